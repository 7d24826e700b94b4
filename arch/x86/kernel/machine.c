/*
 * The x86 kernels' machine (kernel/arch.h), for i386 and x86_64: the
 * Multiboot memory map, COM1, isa-debug-exit, CR3 and invlpg, CR4.PGE, the
 * PIC and PIT. Sources: the Multiboot Specification 0.6.96 §3.3 (boot
 * information), Intel SDM Vol. 3A §2.5 (control registers), §4.10.4 (TLB).
 */
#include <kernel/arch.h>
#include <kernel/kernel.h>

#include <arch/pte.h>

#include "x86.h"

/* ---- Multiboot ------------------------------------------------------------ */

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4];
	uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap_entry {
	uint32_t size; /* of the rest of the entry */
	uint64_t addr, len;
	uint32_t type; /* 1 = available RAM */
} __attribute__((packed));

#define MB_BOOT_MAGIC   0x2BADB002u
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP    (1u << 6)

static void add(struct boot_range *r, unsigned *n, uint64_t base, uint64_t size)
{
	if (*n == BOOT_MAX_RANGES) {
		kprintf("# memory: more than %u ranges; ignoring 0x%llx-0x%llx\n", BOOT_MAX_RANGES,
		        (unsigned long long)base, (unsigned long long)base + size);
		return;
	}
	r[(*n)++] = (struct boot_range){ base, size };
}

void arch_boot_info(uintptr_t magic, uintptr_t mbi_pa, struct boot_info *bi)
{
	*bi = (struct boot_info){ .source = "Multiboot map" };
	if (magic != MB_BOOT_MAGIC)
		panic("not booted by a Multiboot loader (magic 0x%llx)", (unsigned long long)magic);
	const struct mb_info *mbi = phys_to_virt(mbi_pa);
	if (!(mbi->flags & MB_INFO_MMAP))
		panic("the loader gave no memory map");
	if (mbi->flags & MB_INFO_CMDLINE) {
		const char *c = phys_to_virt(mbi->cmdline);
		size_t i = 0;
		for (; c[i] && i + 1 < sizeof(bi->cmdline); i++)
			bi->cmdline[i] = c[i];
		bi->cmdline[i] = 0;
	}
	for (uint32_t off = 0; off + sizeof(struct mb_mmap_entry) <= mbi->mmap_length;) {
		const struct mb_mmap_entry *e = phys_to_virt(mbi->mmap_addr + off);
		if (e->type == 1)
			add(bi->ram, &bi->nram, e->addr, e->len);
		off += e->size + 4;
	}
	/* Real-mode memory and BIOS data below 1 MiB, and the Multiboot
	 * structures mem_init() may still read. */
	add(bi->reserved, &bi->nreserved, 0, 0x100000);
	add(bi->reserved, &bi->nreserved, mbi_pa, sizeof(*mbi));
	add(bi->reserved, &bi->nreserved, mbi->mmap_addr, mbi->mmap_length);
}

int arch_map_devices(struct mm_sys *sys, unsigned global)
{
	(void)sys; /* port I/O only */
	(void)global;
	return 0;
}

/* ---- console and exit ----------------------------------------------------- */

#define COM1 0x3F8

void arch_console_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB on */
	outb(COM1 + 0, 0x03); /* divisor 3: 38400 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
	outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
}

void arch_console_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20)) /* transmit holding register empty */
		;
	outb(COM1, (uint8_t)c);
}

void arch_qemu_exit(bool success)
{
	/* isa-debug-exit: QEMU exits with (value << 1) | 1. */
	outl(0xF4, success ? 0x10 : 0x11);
	arch_halt_forever(); /* without the device: stop here */
}

void arch_halt_forever(void)
{
	cpu_halt_forever();
}

/* ---- MMU ------------------------------------------------------------------ */

unsigned arch_kernel_global(void)
{
	uint32_t a, b, c, d;
	cpuid(1, &a, &b, &c, &d);
	if (!(d & X86_CPUID1_EDX_PGE)) /* a 486 has none: then nothing is global */
		return 0;
	write_cr4(read_cr4() | X86_CR4_PGE);
	return MM_PROT_GLOBAL;
}

unsigned arch_large_pages(void)
{
#if ARCH_LARGE_MAX_LEVEL >= 2
	uint32_t max, b, c, d;
	cpuid(0x80000000u, &max, &b, &c, &d);
	if (max >= 0x80000001u) {
		uint32_t a;
		cpuid(0x80000001u, &a, &b, &c, &d);
		if (d & X86_CPUID81_EDX_PAGE1GB)
			return 2;
	}
	return 1; /* 2 MiB pages: every long-mode CPU has them */
#else
	/* i386: 4 MiB pages (boot.S requires PSE and turns CR4.PSE on);
	 * i386-pae: 2 MiB pages, which PAE paging always has. */
	return 1;
#endif
}

/* No address-space identifiers yet: every space runs as ASID 0. */
uint32_t arch_asid_count(void)
{
	return 0;
}

/* No PCID yet: every space's @asid is 0. */
void arch_mmu_activate(mm_paddr_t root, uint32_t asid)
{
	(void)asid;
	write_cr3((uintptr_t)root);
}

mm_paddr_t arch_mmu_root(void)
{
	return read_cr3() & ~(uintptr_t)(ARCH_PAGE_SIZE - 1);
}

/* invlpg drops the page's entries whatever their PCID or G bit (SDM Vol.
 * 3A §4.10.4.1). */
void arch_tlb_invalidate_page(uint32_t asid, mm_vaddr_t va)
{
	(void)asid;
	invlpg((uintptr_t)va);
}

void arch_tlb_flush_all(uint32_t asid)
{
	(void)asid;
	write_cr3(read_cr3());
}

/* ---- user memory -------------------------------------------------------- */

/* CR4.SMAP is on: trap.S clears EFLAGS.AC on every entry (a trap may come
 * from user code that set AC, or from inside a user copy). */
bool x86_smap_on;

const char *arch_user_protection_init(void)
{
	uint32_t max, b, c, d;
	cpuid(0, &max, &b, &c, &d);
	uint32_t ebx = 0;
	if (max >= 7)
		cpuid(7, &max, &ebx, &c, &d);
	uintptr_t cr4 = read_cr4();
	if (ebx & X86_CPUID7_EBX_SMEP)
		cr4 |= X86_CR4_SMEP;
	if (ebx & X86_CPUID7_EBX_SMAP)
		cr4 |= X86_CR4_SMAP;
	write_cr4(cr4);
	x86_smap_on = (ebx & X86_CPUID7_EBX_SMAP) != 0;
	if ((ebx & X86_CPUID7_EBX_SMEP) && x86_smap_on)
		return "SMEP and SMAP on";
	if (ebx & X86_CPUID7_EBX_SMEP)
		return "SMEP on (the CPU has no SMAP)";
	return x86_smap_on ? "SMAP on (the CPU has no SMEP)"
	                   : "none (the CPU has neither SMEP nor SMAP)";
}

void arch_user_access_begin(void)
{
	if (x86_smap_on)
		__asm__ volatile("stac" ::: "memory", "cc");
}

void arch_user_access_end(void)
{
	if (x86_smap_on)
		__asm__ volatile("clac" ::: "memory", "cc");
}

/* ---- interrupts ----------------------------------------------------------- */

void arch_timer_init(unsigned hz)
{
	pic_init(hz);
}

void arch_irq_enable(void)
{
	irq_enable();
}

void arch_irq_disable(void)
{
	irq_disable();
}

/* sti's one-instruction shadow: the interrupt is taken after hlt starts. */
void arch_wait_for_interrupt(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}
