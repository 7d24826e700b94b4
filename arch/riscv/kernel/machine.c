/*
 * The riscv64 kernel's machine (kernel/arch.h) on QEMU's virt machine
 * under OpenSBI: RAM and reservations from the devicetree, the NS16550A
 * UART, the test finisher, satp and sfence.vma, the SBI timer.
 *
 * Sources: RISC-V Privileged Architecture 20211203 (§4.1.11 satp, §4.2.1
 * sfence.vma), SBI v1.0 (§6 TIME), the Devicetree Specification v0.4, and
 * QEMU's hw/riscv/virt.c for the virt machine's device addresses (test
 * finisher 0x100000, UART0 0x10000000) and hw/misc/sifive_test.c for the
 * finisher's encoding.
 */
#include <kernel/arch.h>
#include <kernel/kernel.h>

#include <arch/layout.h>
#include <arch/pte.h>

#include "cpu.h"

#define VIRT_TEST  UINT64_C(0x100000)
#define VIRT_UART0 UINT64_C(0x10000000)
/* The virt machine's timebase-frequency (/cpus in its devicetree): 10 MHz. */
#define TIMEBASE_HZ 10000000u

/* ---- devicetree ----------------------------------------------------------- */

void arch_boot_info(uintptr_t hartid, uintptr_t dtb_pa, struct boot_info *bi)
{
	(void)hartid;
	fdt_boot_info(dtb_pa, bi);
}

int arch_map_devices(struct mm_sys *sys, unsigned global)
{
	const unsigned rw = MM_PROT_READ | MM_PROT_WRITE | global;
	int err = mm_kernel_map(sys, (uintptr_t)phys_to_virt(VIRT_UART0), VIRT_UART0, 1, rw);
	if (!err)
		err = mm_kernel_map(sys, (uintptr_t)phys_to_virt(VIRT_TEST), VIRT_TEST, 1, rw);
	return err;
}

/* ---- console and exit ----------------------------------------------------- */

/* NS16550A registers, one byte apart on the virt machine. */
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_LSR 5

static volatile uint8_t *uart(void)
{
	return phys_to_virt(VIRT_UART0);
}

void arch_console_init(void)
{
	uart()[UART_IER] = 0x00; /* no interrupts */
	uart()[UART_LCR] = 0x03; /* 8N1 */
	uart()[UART_FCR] = 0x07; /* FIFO on, cleared */
}

void arch_console_putc(char c)
{
	while (!(uart()[UART_LSR] & 0x20)) /* transmit holding register empty */
		;
	uart()[UART_THR] = (uint8_t)c;
}

/* The test finisher: 0x3333 | code << 16 makes QEMU exit with @code. */
void arch_qemu_exit(bool success)
{
	*(volatile uint32_t *)phys_to_virt(VIRT_TEST) = 0x3333u | (success ? 33u : 35u) << 16;
	arch_halt_forever();
}

void arch_halt_forever(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- MMU ------------------------------------------------------------------ */

/* The G bit needs no switch to turn it on. */
unsigned arch_kernel_global(void)
{
	return MM_PROT_GLOBAL;
}

/* Megapages and gigapages are part of Sv39 and Sv48 (Privileged spec §4.4). */
unsigned arch_large_pages(void)
{
	return ARCH_LARGE_MAX_LEVEL;
}

/* No address-space identifiers yet: every space runs as ASID 0. */
uint32_t arch_asid_count(void)
{
	return 0;
}

/* satp: MODE, ASID, root PPN (§4.1.11). No ASIDs are assigned yet: every
 * space is ASID 0, and a satp write is followed by a full sfence.vma. */
void arch_mmu_activate(mm_paddr_t root, uint32_t asid)
{
	csr_write(satp, ((uint64_t)RISCV_SATP_MODE << RISCV_SATP_MODE_SHIFT) |
	                        (((uint64_t)asid & RISCV_SATP_ASID_MASK) << RISCV_SATP_ASID_SHIFT) |
	                        (root >> ARCH_PAGE_SHIFT));
	__asm__ volatile("sfence.vma" ::: "memory");
}

mm_paddr_t arch_mmu_root(void)
{
	return (csr_read(satp) & RISCV_SATP_PPN_MASK) << ARCH_PAGE_SHIFT;
}

/* sfence.vma va, asid orders the stores to the tables before it with the
 * walks after it and drops the page's entries of that ASID (global ones
 * too only with rs2 = x0, §4.2.1): MM_ASID_ALL means every ASID. */
void arch_tlb_invalidate_page(uint32_t asid, mm_vaddr_t va)
{
	if (asid == MM_ASID_ALL)
		__asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
	else
		__asm__ volatile("sfence.vma %0, %1" : : "r"(va), "r"((uint64_t)asid) : "memory");
}

void arch_tlb_flush_all(uint32_t asid)
{
	if (asid == MM_ASID_ALL)
		__asm__ volatile("sfence.vma" ::: "memory");
	else
		__asm__ volatile("sfence.vma zero, %0" : : "r"((uint64_t)asid) : "memory");
}

/* ---- user memory -------------------------------------------------------- */

const char *arch_user_protection_init(void)
{
	csr_clear(sstatus, SSTATUS_SUM);
	return "sstatus.SUM clear outside user copies; S-mode never executes user pages";
}

void arch_user_access_begin(void)
{
	csr_set(sstatus, SSTATUS_SUM);
}

void arch_user_access_end(void)
{
	csr_clear(sstatus, SSTATUS_SUM);
}

/* ---- interrupts ----------------------------------------------------------- */

static uint64_t tick_cycles;

void riscv_timer_next(void)
{
	sbi_call(SBI_EXT_TIME, 0, csr_read(time) + tick_cycles);
}

void arch_timer_init(unsigned hz)
{
	tick_cycles = TIMEBASE_HZ / hz;
	riscv_timer_next();
	csr_set(sie, SIE_STIE);
}

void arch_irq_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

void arch_irq_disable(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

/* wfi wakes on a pending, enabled interrupt even with SIE clear (§3.3.3):
 * sleep first, then let it in. */
void arch_wait_for_interrupt(void)
{
	__asm__ volatile("wfi" ::: "memory");
	csr_set(sstatus, SSTATUS_SIE);
	csr_clear(sstatus, SSTATUS_SIE);
}
