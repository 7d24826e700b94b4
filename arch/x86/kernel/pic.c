/*
 * The legacy interrupt hardware: two 8259A PICs remapped to vectors 32-47,
 * and the 8254 PIT on IRQ 0 as the scheduler's timer.
 */
#include <kernel/kernel.h>

#include "x86.h"

void pic_init(unsigned hz)
{
	/* ICW1-4: edge triggered, cascade, vectors 32 and 40, 8086 mode. */
	outb(0x20, 0x11), outb(0xA0, 0x11);
	outb(0x21, 32), outb(0xA1, 40);
	outb(0x21, 4), outb(0xA1, 2);
	outb(0x21, 1), outb(0xA1, 1);
	outb(0x21, 0xFE), outb(0xA1, 0xFF); /* only IRQ 0 (the PIT) */
	/* PIT channel 0, mode 2 (rate generator), 1.193182 MHz / hz. */
	unsigned div = 1193182u / hz;
	outb(0x43, 0x34);
	outb(0x40, (uint8_t)div), outb(0x40, (uint8_t)(div >> 8));
}

void pic_eoi(unsigned vector)
{
	if (vector >= 40)
		outb(0xA0, 0x20);
	outb(0x20, 0x20);
}
