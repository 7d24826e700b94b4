/*
 * i386 descriptor tables: a flat GDT with user segments and a TSS, and the
 * IDT. Source: Intel SDM Vol. 3A §3.4.5 (segment descriptors), §7.2 (TSS),
 * §6.11 (IDT descriptors).
 */
#include <kernel/kernel.h>

#include "cpu.h"
#include "x86.h"

struct tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
} __attribute__((packed));

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[6];
static struct gate idt[256];
extern uintptr_t isr_table[49]; /* trap.S: vectors 0-47, then 128 */

static void load_gdt(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) d = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt };
	__asm__ volatile("lgdt %0" : : "m"(d));
	__asm__ volatile("ljmp %0, $1f\n1:" : : "i"(SEL_KCODE));
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs; mov %0, %%ss"
	                 :
	                 : "r"(SEL_KDATA));
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

static void set_gate(int v, uintptr_t handler, int dpl)
{
	idt[v] = (struct gate){ (uint16_t)handler, SEL_KCODE, 0,
		                (uint8_t)(0x8E | (dpl << 5)), /* P, 32-bit interrupt gate */
		                (uint16_t)(handler >> 16) };
}

void cpu_init(void)
{
	fpu_disable();
	uint32_t base = (uint32_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	gdt[0] = 0;
	gdt[1] = 0x00CF9A000000FFFFull; /* kernel code: DPL 0, 4 GiB */
	gdt[2] = 0x00CF92000000FFFFull; /* kernel data */
	gdt[3] = 0x00CFFA000000FFFFull; /* user code: DPL 3 */
	gdt[4] = 0x00CFF2000000FFFFull; /* user data: DPL 3 */
	gdt[5] = (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
	         (0x89ull << 40) /* P, 32-bit TSS available */ | ((uint64_t)(base >> 24) << 56);
	tss.ss0 = SEL_KDATA;
	tss.iomap = sizeof(tss); /* no I/O bitmap: user port I/O faults */
	load_gdt();
	for (int v = 0; v < 48; v++)
		set_gate(v, isr_table[v], 0);
	set_gate(0x80, isr_table[48], 3); /* int 0x80 from ring 3 */
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) d = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

void cpu_set_kernel_stack(uintptr_t top)
{
	tss.esp0 = (uint32_t)top;
}
