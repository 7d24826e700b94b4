/*
 * kernel/arch.h - what each ISA's kernel code provides to the common kernel
 * (kernel/core/): the kernel half of the arch contract. mm-core's half is
 * <arch/pte.h> (docs/PORTING.md); this one is the machine around it:
 * firmware, console, QEMU's exit device, the MMU's root register and TLB,
 * interrupts and the timer. The x86 kernels implement it in
 * arch/x86/kernel/machine.c, riscv64 in arch/riscv/kernel/machine.c,
 * aarch64 in arch/aarch64/kernel/machine.c.
 *
 * Each ISA's "cpu.h" (arch/<isa>/kernel/) adds the trap frame and its
 * accessors (TF_PC, TF_SP, TF_RET, TF_FROM_USER, TF_SYSNO, TF_ARG0-2,
 * tf_init_user()), struct switch_frame, ARCH_ROOT_REG (the name of the
 * register that holds the root: "CR3", "satp", "TTBR0_EL1") and
 * ARCH_KILLED_BY_PF().
 */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <mm/mm.h>

#include <stdbool.h>
#include <stdint.h>

#define BOOT_MAX_RANGES 32

/** struct boot_range - physical bytes [base, base + size). */
struct boot_range {
	uint64_t base, size;
};

/**
 * struct boot_info - what the firmware said, in neutral terms: RAM, what
 * in it must stay untouched (firmware, the boot information itself), and
 * the command line. The kernel image is not listed: mem_init() knows it.
 */
struct boot_info {
	const char *source; /* "Multiboot map", "devicetree": for messages */
	struct boot_range ram[BOOT_MAX_RANGES];
	struct boot_range reserved[BOOT_MAX_RANGES];
	unsigned nram, nreserved;
	char cmdline[128]; /* "" if none */
};

/**
 * arch_boot_info() - read the firmware's description of the machine from
 * the two words the boot code received (x86: the Multiboot magic in EAX
 * and the physical address of the information in EBX; riscv64: the hart
 * ID in a0 and the devicetree's physical address in a1; aarch64: the
 * devicetree's physical address in x0, and 0). Reads them
 * through the boot mapping (phys_to_virt()). Panics when they are missing
 * or malformed: the kernel cannot run without knowing its RAM.
 */
void arch_boot_info(uintptr_t a0, uintptr_t a1, struct boot_info *bi);

/**
 * fdt_boot_info() - arch_boot_info() for a machine whose firmware hands
 * over a devicetree (riscv64, aarch64; kernel/core/fdt_boot.c): RAM from
 * its memory nodes, reservations from its reservation block and
 * /reserved-memory plus the blob itself, the command line from
 * /chosen/bootargs. @dtb_pa: the blob's physical address, inside the boot
 * mapping. Panics if there is none there or it is malformed.
 */
void fdt_boot_info(uintptr_t dtb_pa, struct boot_info *bi);

/**
 * arch_map_devices() - map the memory-mapped devices the kernel drives into
 * mm-core's kernel space (mm_kernel_map(), kernel-only, at
 * phys_to_virt() of their physical address), before it is activated.
 * x86 drives its devices through port I/O: nothing. Return: 0 or a
 * negative MM_E* code (mem_init() panics).
 */
int arch_map_devices(struct mm_sys *sys, unsigned global);

/**
 * arch_user_protection_init() - have the CPU stop the kernel from touching
 * user pages outside arch_user_access_begin()/end() and from ever
 * executing them, where it can: x86 CR4.SMAP and CR4.SMEP when CPUID has
 * them (Intel SDM Vol. 3A §4.6.1); RISC-V sstatus.SUM clear (S-mode never
 * executes a U page, Privileged spec §4.3.1); aarch64 PSTATE.PAN where the
 * CPU has FEAT_PAN, PXN always, and SCTLR_EL1.WXN (ARM DDI 0487 D8.4).
 * Return: what is on, in words.
 */
const char *arch_user_protection_init(void);
/**
 * arch_user_access_begin(), arch_user_access_end() - open and close the
 * kernel's access to user pages around a copy from or to user memory (x86
 * with SMAP: stac and clac; RISC-V: set and clear sstatus.SUM; aarch64
 * with PAN: clear and set PSTATE.PAN). Every trap
 * entry closes it again for its handler.
 */
void arch_user_access_begin(void);
void arch_user_access_end(void);

/** arch_console_init(), arch_console_putc() - the serial line, polled: one raw byte. */
void arch_console_init(void);
void arch_console_putc(char c);

/**
 * arch_qemu_exit() - leave QEMU with status 33 on success, 35 on failure
 * (x86: isa-debug-exit; riscv64: the virt machine's test finisher;
 * aarch64: semihosting SYS_EXIT, with QEMU's -semihosting), so a
 * hang, a reset or a firmware shutdown can never pass.
 */
__attribute__((noreturn)) void arch_qemu_exit(bool success);

/**
 * arch_kernel_global() - turn global pages on if the CPU has them (x86:
 * CPUID PGE, then CR4.PGE; RISC-V and aarch64: always there) and say what to add to
 * the protection of kernel-half mappings: MM_PROT_GLOBAL, or 0.
 */
unsigned arch_kernel_global(void);

/**
 * arch_large_pages() - the largest level at which this CPU maps a large
 * page, for mm_sys_set_large_pages() (mem_init() maps the direct map and
 * the image with the largest pages that fit, MM_PROT_LARGE), 0 for none.
 * i386: 1 (4 MiB, CR4.PSE, which boot.S requires and turns on); x86_64: 1
 * (2 MiB), 2 with CPUID.80000001H:EDX.Page1GB[bit 26] (1 GiB; SDM Vol. 3A
 * §4.1.4); riscv64 and aarch64: 2 (2 MiB and 1 GiB, always there).
 */
unsigned arch_large_pages(void);

/**
 * arch_asid_count() - how many address-space identifiers the TLB tags its
 * entries with, for mm_sys_set_asids() (mem_init() calls it once, right
 * after mm_sys_init()), or 0 to use none: then every space runs as
 * identifier 0, and arch_mmu_activate() drops the non-global entries on
 * every switch. aarch64: 2^ASIDBits (ID_AA64MMFR0_EL1, ARM DDI 0487
 * D17.2.64); x86 (no PCID yet) and riscv64 (no ASIDs yet): 0.
 */
uint32_t arch_asid_count(void);

/* mm-core's machine hooks (struct mm_mach_ops, <mm/mm.h>), for the CPU
 * this runs on: load the root of a space (physical address) with its
 * address-space ID, read it back, invalidate one page of @asid (or every
 * ASID's with MM_ASID_ALL), flush all of @asid's non-global entries. */
void arch_mmu_activate(mm_paddr_t root, uint32_t asid);
mm_paddr_t arch_mmu_root(void);
void arch_tlb_invalidate_page(uint32_t asid, mm_vaddr_t va);
void arch_tlb_flush_all(uint32_t asid);

/** arch_timer_init() - the scheduler's tick, @hz times a second, unmasked. */
void arch_timer_init(unsigned hz);
void arch_irq_enable(void);
void arch_irq_disable(void);
/**
 * arch_wait_for_interrupt() - called with interrupts off: sleep until an
 * interrupt is pending, let it be taken, return with interrupts off again
 * (no wake-up can be lost between the check that made the caller wait and
 * the sleep).
 */
void arch_wait_for_interrupt(void);
/** arch_halt_forever() - interrupts off, stop this CPU. */
__attribute__((noreturn)) void arch_halt_forever(void);

/* The arch's trap entry and CPU set-up (arch/<isa>/kernel/). */
void cpu_init(void);
/** cpu_set_kernel_stack() - where a trap from user mode finds its stack. */
void cpu_set_kernel_stack(uintptr_t top);
/** swtch() - save the callee-saved registers on this stack, store its
 * pointer in *@save_sp, load @new_sp and return through its switch frame. */
void swtch(uintptr_t *save_sp, uintptr_t new_sp);
/** trap_return - restores the trap frame at the stack pointer and returns to it. */
extern char trap_return[];

#endif
