/*
 * The aarch64 kernel's machine (kernel/arch.h) on QEMU's virt machine at
 * EL1: RAM and reservations from the devicetree, the PL011 UART,
 * semihosting's exit, TTBR0_EL1/TTBR1_EL1 and TLBI, the GICv2 and the EL1
 * virtual timer.
 *
 * Sources: ARM DDI 0487 (D8.13 TLB maintenance instructions and the
 * ordering they need; D17.2 TTBR0_EL1, TTBR1_EL1, TCR_EL1, SCTLR_EL1,
 * CNTFRQ_EL0, CNTV_CTL_EL0, CNTV_TVAL_EL0; C5.2.11 PSTATE.PAN); the ARM
 * Generic Interrupt Controller Architecture Specification v2 (§4.3
 * distributor registers, §4.4 CPU interface registers); the PrimeCell UART
 * (PL011) Technical Reference Manual (§3.3: UARTDR, UARTFR, UARTCR);
 * Arm's "Semihosting for AArch32 and AArch64" v2 (SYS_EXIT 0x18, HLT
 * #0xF000, ADP_Stopped_ApplicationExit 0x20026); QEMU's hw/arm/virt.c for
 * the virt machine's memory map (GIC distributor 0x08000000, CPU
 * interface 0x08010000, UART 0x09000000, RAM from 0x40000000) and
 * hw/arm/boot.c (an ELF kernel gets the devicetree at the start of RAM).
 */
#include <kernel/arch.h>
#include <kernel/kernel.h>

#include <arch/layout.h>
#include <arch/pte.h>

#include "cpu.h"

#define VIRT_GICD  UINT64_C(0x08000000)
#define VIRT_GICC  UINT64_C(0x08010000)
#define VIRT_UART0 UINT64_C(0x09000000)
#define VIRT_RAM   UINT64_C(0x40000000)

/* ---- devicetree ----------------------------------------------------------- */

/* x0 at entry: the devicetree's physical address, or 0: QEMU puts the
 * blob at the start of RAM for an ELF kernel but leaves x0 0 (QEMU 7.2,
 * hw/arm/boot.c: only a Linux image is given its address in x0). */
void arch_boot_info(uintptr_t dtb_pa, uintptr_t unused, struct boot_info *bi)
{
	(void)unused;
	fdt_boot_info(dtb_pa ? dtb_pa : VIRT_RAM, bi);
}

/* The leaf of kernel address @va in the kernel space's tables, or NULL. */
static arch_pte_t *kernel_leaf(struct mm_sys *sys, uint64_t va)
{
	mm_paddr_t table = sys->kernel.root;
	for (unsigned level = ARCH_LEVELS - 1;; level--) {
		arch_pte_t *e = (arch_pte_t *)phys_to_virt(table) + arch_pte_index(va, level);
		if (!arch_pte_is_present(*e))
			return NULL;
		if (arch_pte_is_leaf(*e, level))
			return e;
		table = arch_pte_paddr(*e);
	}
}

/* One page of device registers at phys_to_virt(@pa): mapped by mm-core as
 * Normal memory, then made Device-nGnRnE (AttrIndx 1) here. The kernel
 * space is not active yet, so the entry is changed before any walk or TLB
 * has seen it (no break-before-make needed). */
static int map_device(struct mm_sys *sys, uint64_t pa, unsigned prot)
{
	const uint64_t va = (uintptr_t)phys_to_virt(pa);
	int err = mm_kernel_map(sys, va, pa, 1, prot);
	if (err)
		return err;
	arch_pte_t *e = kernel_leaf(sys, va);
	if (!e)
		return -MM_EINVAL;
	arch_pte_store(e, (*e & ~(AARCH64_PTE_ATTRINDX | AARCH64_PTE_SH)) | AARCH64_ATTR_DEVICE);
	return 0;
}

int arch_map_devices(struct mm_sys *sys, unsigned global)
{
	if (sys->active)
		return -MM_EBUSY; /* map_device() relies on no walk having seen them */
	const unsigned rw = MM_PROT_READ | MM_PROT_WRITE | global;
	int err = map_device(sys, VIRT_UART0, rw);
	if (!err)
		err = map_device(sys, VIRT_GICD, rw);
	if (!err)
		err = map_device(sys, VIRT_GICC, rw);
	return err;
}

/* ---- console and exit ----------------------------------------------------- */

/* PL011 registers (32-bit, byte offsets). */
#define UART_DR      0x00
#define UART_FR      0x18
#define UART_LCR_H   0x2C
#define UART_CR      0x30
#define UART_IMSC    0x38
#define UART_FR_TXFF (1u << 5) /* transmit FIFO full */

static volatile uint32_t *uart_reg(unsigned off)
{
	return (volatile uint32_t *)((uintptr_t)phys_to_virt(VIRT_UART0) + off);
}

void arch_console_init(void)
{
	*uart_reg(UART_CR) = 0;                                 /* off while set up */
	*uart_reg(UART_IMSC) = 0;                               /* no interrupts */
	*uart_reg(UART_LCR_H) = (3u << 5) | (1u << 4);          /* 8 bits, FIFOs on */
	*uart_reg(UART_CR) = (1u << 0) | (1u << 8) | (1u << 9); /* UARTEN, TXE, RXE */
}

void arch_console_putc(char c)
{
	while (*uart_reg(UART_FR) & UART_FR_TXFF)
		;
	*uart_reg(UART_DR) = (uint8_t)c;
}

/* Semihosting SYS_EXIT (0x18) with the AArch64 parameter block: the reason
 * ADP_Stopped_ApplicationExit and the exit code, which QEMU (-semihosting)
 * exits with. QEMU reads the block through the current translation. */
void arch_qemu_exit(bool success)
{
	static volatile uint64_t block[2];
	block[0] = 0x20026;
	block[1] = success ? 33 : 35;
	register uint64_t x0 __asm__("x0") = 0x18;
	register uint64_t x1 __asm__("x1") = (uintptr_t)block;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	arch_halt_forever();
}

void arch_halt_forever(void)
{
	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- MMU ------------------------------------------------------------------ */

/* nG clear: global, which needs no switch to turn on. */
unsigned arch_kernel_global(void)
{
	return MM_PROT_GLOBAL;
}

/* 2 MiB and 1 GiB blocks are part of the 4 KiB granule (Arm ARM D8.3). */
unsigned arch_large_pages(void)
{
	return ARCH_LARGE_MAX_LEVEL;
}

/* ASIDBits (ID_AA64MMFR0_EL1[7:4]): 16 bits (boot.S then set TCR_EL1.AS)
 * or 8. */
uint32_t arch_asid_count(void)
{
	unsigned bits = (sysreg_read(id_aa64mmfr0_el1) >> ID_MMFR0_ASID_SHIFT) & 0xF;
	return bits == ID_MMFR0_ASID_16 ? UINT32_C(65536) : UINT32_C(256);
}

static bool ttbr1_loaded;

/*
 * TTBR1_EL1 holds mm-core's kernel root from the first activation on
 * (ttbr1_switch(), boot.S: break-before-make for the whole half; then the
 * boot identity map's global entries leave every TLB); TTBR0_EL1 the
 * active space's root with its ASID in bits 63:48. The kernel space has no
 * user half: with it, TTBR0_EL1 holds its root (for arch_mmu_root()) but
 * TCR_EL1.EPD0 stops every walk through it, so a user address faults. A
 * space without an ASID of its own (0) drops ASID 0's entries.
 */
void arch_mmu_activate(mm_paddr_t root, uint32_t asid)
{
	const mm_paddr_t kroot = kmm()->kernel.root;
	__asm__ volatile("dsb ishst" ::: "memory"); /* the tables' stores, before walks */
	const bool first = !ttbr1_loaded;
	if (first) {
		ttbr1_switch(kroot);
		ttbr1_loaded = true;
	}
	uint64_t tcr = sysreg_read(tcr_el1);
	uint64_t want = root == kroot ? (tcr | TCR_EPD0) : (tcr & ~TCR_EPD0);
	sysreg_write(ttbr0_el1, root | ((uint64_t)(asid & 0xFFFF) << TTBR_ASID_SHIFT));
	if (want != tcr)
		sysreg_write(tcr_el1, want);
	isb();
	if (first) {
		__asm__ volatile("tlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
	} else if (asid == 0) {
		__asm__ volatile("tlbi aside1is, xzr\n\tdsb ish\n\tisb" ::: "memory");
	}
}

mm_paddr_t arch_mmu_root(void)
{
	return sysreg_read(ttbr0_el1) & AARCH64_PTE_ADDR;
}

/* The page's TLBI operand: ASID in bits 63:48, VA[55:12] in bits 43:0. */
static uint64_t tlbi_operand(uint32_t asid, mm_vaddr_t va)
{
	return ((uint64_t)(asid & 0xFFFF) << TTBR_ASID_SHIFT) |
	       ((va >> ARCH_PAGE_SHIFT) & UINT64_C(0xFFFFFFFFFFF));
}

/* TLBI VAE1IS drops the page's entries of that ASID (and global ones) at
 * every level; VAAE1IS those of every ASID. The DSB before orders the
 * table stores with the walks; the DSB after waits for the invalidation. */
void arch_tlb_invalidate_page(uint32_t asid, mm_vaddr_t va)
{
	if (asid == MM_ASID_ALL)
		__asm__ volatile("dsb ishst\n\ttlbi vaae1is, %0\n\tdsb ish\n\tisb"
		                 :
		                 : "r"(tlbi_operand(0, va))
		                 : "memory");
	else
		__asm__ volatile("dsb ishst\n\ttlbi vae1is, %0\n\tdsb ish\n\tisb"
		                 :
		                 : "r"(tlbi_operand(asid, va))
		                 : "memory");
}

void arch_tlb_flush_all(uint32_t asid)
{
	if (asid == MM_ASID_ALL)
		__asm__ volatile("dsb ishst\n\ttlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
	else
		__asm__ volatile("dsb ishst\n\ttlbi aside1is, %0\n\tdsb ish\n\tisb"
		                 :
		                 : "r"(tlbi_operand(asid, 0))
		                 : "memory");
}

/* ---- user memory -------------------------------------------------------- */

/* MSR PAN, #1 and #0, encoded (Armv8.1: the assembler needs +pan to name it). */
#define SET_PAN   ".inst 0xd500419f"
#define CLEAR_PAN ".inst 0xd500409f"

static bool pan;

const char *arch_user_protection_init(void)
{
	/* mm-core's kernel space is active (mem_init()): no page of it is
	 * writable and executable, so every writable page can be made never
	 * executable by the MMU too (WXN, which a TLB may cache: flushed). */
	sysreg_write(sctlr_el1, sysreg_read(sctlr_el1) | SCTLR_WXN);
	isb();
	__asm__ volatile("tlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
	if (!aarch64_has_pan())
		return "no PAN on this CPU (FEAT_PAN): the kernel can read user pages; EL1 never "
		       "executes them (PXN); SCTLR_EL1.WXN on";
	pan = true;
	sysreg_write(sctlr_el1, sysreg_read(sctlr_el1) & ~SCTLR_SPAN); /* PAN set on entry */
	isb();
	__asm__ volatile(SET_PAN ::: "memory");
	return "PSTATE.PAN set outside user copies; EL1 never executes user pages (PXN); "
	       "SCTLR_EL1.WXN on";
}

void arch_user_access_begin(void)
{
	if (pan)
		__asm__ volatile(CLEAR_PAN ::: "memory");
}

void arch_user_access_end(void)
{
	if (pan)
		__asm__ volatile(SET_PAN ::: "memory");
}

/* ---- interrupts ----------------------------------------------------------- */

/* GICv2 registers (byte offsets). */
#define GICD_CTLR       0x000
#define GICD_ISENABLER0 0x100
#define GICD_IPRIORITYR 0x400
#define GICC_CTLR       0x000
#define GICC_PMR        0x004
#define GICC_IAR        0x00C
#define GICC_EOIR       0x010

static volatile uint32_t *gicd(unsigned off)
{
	return (volatile uint32_t *)((uintptr_t)phys_to_virt(VIRT_GICD) + off);
}

static volatile uint32_t *gicc(unsigned off)
{
	return (volatile uint32_t *)((uintptr_t)phys_to_virt(VIRT_GICC) + off);
}

static uint64_t tick_counts;

void arch_timer_init(unsigned hz)
{
	tick_counts = sysreg_read(cntfrq_el0) / hz;
	/* The timer's PPI: priority 0x80, enabled; the distributor and the CPU
	 * interface forward it (every priority below 0xF0 passes). */
	((volatile uint8_t *)gicd(GICD_IPRIORITYR))[IRQ_VTIMER] = 0x80;
	*gicd(GICD_ISENABLER0) = 1u << IRQ_VTIMER;
	*gicd(GICD_CTLR) = 1;
	*gicc(GICC_PMR) = 0xF0;
	*gicc(GICC_CTLR) = 1;
	sysreg_write(cntkctl_el1, 0); /* EL0 reaches neither the counters nor the timers */
	sysreg_write(cntv_tval_el0, tick_counts);
	sysreg_write(cntv_ctl_el0, 1); /* ENABLE, IMASK clear */
	isb();
}

unsigned aarch64_irq(void)
{
	uint32_t iar = *gicc(GICC_IAR);
	unsigned id = iar & 0x3FF;
	if (id >= 1020)
		return GIC_SPURIOUS;
	if (id == IRQ_VTIMER)
		sysreg_write(cntv_tval_el0, tick_counts); /* the next tick; the line drops */
	*gicc(GICC_EOIR) = iar;
	return id;
}

void arch_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

void arch_irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

/* WFI wakes on a pending interrupt even with PSTATE.I set (D1.16.2):
 * sleep first, then let it in. */
void arch_wait_for_interrupt(void)
{
	__asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}
