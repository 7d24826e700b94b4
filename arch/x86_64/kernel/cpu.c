/*
 * x86_64 descriptor tables: a GDT with 64-bit user segments and a TSS, and
 * the IDT. Source: Intel SDM Vol. 3A §3.4.5, §5.2.1 (64-bit code
 * segments), §8.7 (64-bit TSS), §6.14.1 (64-bit IDT gates).
 */
#include <kernel/kernel.h>

#include "cpu.h"
#include "x86.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2, reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap;
} __attribute__((packed));

struct gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[7];
static struct gate idt[256];
extern uintptr_t isr_table[49]; /* trap.S: vectors 0-47, then 128 */

static void set_gate(int v, uintptr_t handler, int dpl)
{
	idt[v] = (struct gate){ (uint16_t)handler,
		                SEL_KCODE,
		                0,
		                (uint8_t)(0x8E | (dpl << 5)), /* P, 64-bit interrupt gate */
		                (uint16_t)(handler >> 16),
		                (uint32_t)(handler >> 32),
		                0 };
}

void cpu_init(void)
{
	fpu_disable();
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull; /* kernel code: L=1, DPL 0 */
	gdt[2] = 0x00CF92000000FFFFull; /* kernel data */
	gdt[3] = 0x00CFF2000000FFFFull; /* user data: DPL 3 */
	gdt[4] = 0x00AFFA000000FFFFull; /* user code: L=1, DPL 3 */
	gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) /* P, TSS */ |
	         (((base >> 24) & 0xFF) << 56);
	gdt[6] = base >> 32;
	tss.iomap = sizeof(tss); /* no I/O bitmap: user port I/O faults */
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) g = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
	__asm__ volatile("lgdt %0" : : "m"(g));
	/* Reload CS with a far return, then the data segments and TR. */
	__asm__ volatile("pushq %0\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\tlretq\n1:"
	                 :
	                 : "i"(SEL_KCODE)
	                 : "rax", "memory");
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" : : "r"(SEL_KDATA));
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	for (int v = 0; v < 48; v++)
		set_gate(v, isr_table[v], 0);
	set_gate(0x80, isr_table[48], 3); /* int 0x80 from ring 3 */
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

void cpu_set_kernel_stack(uintptr_t top)
{
	tss.rsp0 = top;
}
