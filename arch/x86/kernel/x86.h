/*
 * x86 instructions the kernels use, for both i386 and x86_64: port I/O,
 * control registers, invlpg. Source: Intel SDM Vol. 2 (instruction
 * reference) and Vol. 3A §2.5 (control registers), §4.10.4 (TLB).
 */
#ifndef ARCH_X86_KERNEL_X86_H
#define ARCH_X86_KERNEL_X86_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uintptr_t read_cr0(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(uintptr_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

#define CR0_MP (1u << 1) /* monitor coprocessor */
#define CR0_EM (1u << 2) /* emulation: x87 and MMX fault, SSE is #UD */

/**
 * fpu_disable() - no FPU for anyone (SDM Vol. 3A §2.5, §13.1): the kernels
 * save no x87/MMX/SSE state on a switch, so user code that could use those
 * registers would read another process's values. CR0.EM makes x87
 * instructions #NM and MMX and SSE ones #UD, which kill the process.
 */
static inline void fpu_disable(void)
{
	write_cr0((read_cr0() | CR0_EM) & ~(uintptr_t)CR0_MP);
}

static inline uintptr_t read_cr2(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uintptr_t read_cr3(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Writing CR3 flushes every non-global TLB entry (SDM Vol. 3A §4.10.4.1). */
static inline void write_cr3(uintptr_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uintptr_t read_cr4(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uintptr_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

#define X86_CR4_PGE (1u << 7) /* global pages enabled (SDM Vol. 3A §2.5) */

/* CPUID leaf @leaf (subleaf 0); the boot code has checked that CPUID exists. */
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

#define X86_CPUID1_EDX_PGE      (1u << 13) /* CPUID.01H:EDX.PGE (SDM Vol. 2A, CPUID) */
#define X86_CPUID81_EDX_PAGE1GB (1u << 26) /* CPUID.80000001H:EDX: 1 GiB pages */
#define X86_CPUID7_EBX_SMEP     (1u << 7)  /* CPUID.(EAX=07H,ECX=0):EBX.SMEP */
#define X86_CPUID7_EBX_SMAP     (1u << 20) /* CPUID.(EAX=07H,ECX=0):EBX.SMAP */
#define X86_CR4_SMEP            (1u << 20) /* SDM Vol. 3A §2.5 */
#define X86_CR4_SMAP            (1u << 21)

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

__attribute__((noreturn)) static inline void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static inline void irq_enable(void)
{
	__asm__ volatile("sti");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli");
}

/* pic.c: the 8259A PICs at vectors 32-47 and the PIT at @hz on IRQ 0. */
void pic_init(unsigned hz);
void pic_eoi(unsigned vector);

#endif
