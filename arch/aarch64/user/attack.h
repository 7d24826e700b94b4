/*
 * aarch64 instructions a hostile user program (kernel/user/uhostile.c)
 * uses against the kernel: the counterparts of arch/x86/user/attack.h and
 * arch/riscv/user/attack.h, each with the exception that must kill it.
 * A process the kernel kills exits with 0x100 | ESR_EL1.EC.
 * Sources: ARM DDI 0487: C6 (A64 instruction encodings: BRK, UDF, HLT,
 * ERET, HVC, SMC at EL0 are UNDEFINED or trap), D1.10 (exception entry),
 * D17.2.37 (ESR_EL1 EC values: 0x00 unknown reason, 0x01 WFI/WFE, 0x07
 * SIMD/FP, 0x18 MSR/MRS/system instruction, 0x20/0x24 instruction/data
 * abort from EL0, 0x3C BRK), D17.2.118 (SCTLR_EL1: UMA, nTWI, UCI),
 * D17.2.33 (CPACR_EL1.FPEN), D17.12 (CNTKCTL_EL1.EL0VTEN), D8.2 (a VA
 * whose bits 63:48 are neither all 0 nor all 1 is a level-0 translation
 * fault), C3.4.7 (integer division by zero gives 0, no trap). Arm's
 * "Semihosting for AArch32 and AArch64" v2 (HLT #0xF000, SYS_EXIT 0x18).
 * Device addresses of QEMU's virt machine: hw/arm/virt.c.
 */
#ifndef ARCH_AARCH64_USER_ATTACK_H
#define ARCH_AARCH64_USER_ATTACK_H

#include "ulib.h"

/* ESR_EL1 exception classes: a process the kernel kills for class c exits
 * with status 0x100 | c. */
#define A64_EC_UNKNOWN 0x00
#define A64_EC_WFX     0x01
#define A64_EC_FP      0x07
#define A64_EC_SYSREG  0x18
#define A64_EC_IABT    0x20
#define A64_EC_DABT    0x24
#define A64_EC_BRK     0x3C

/* The wait() status of a child the kernel killed for exception class @c. */
#define ATTACK_KILLED(c) (0x100 | (c))

/* What each kind of kill means on this ISA (uhostile.c names only these).
 * A read and a write fault are both data aborts. */
#define KILLED_READ_PF    ATTACK_KILLED(A64_EC_DABT)
#define KILLED_WRITE_PF   ATTACK_KILLED(A64_EC_DABT)
#define KILLED_FETCH_PF   ATTACK_KILLED(A64_EC_IABT)
#define KILLED_PRIV       ATTACK_KILLED(A64_EC_UNKNOWN) /* EL1 registers at EL0: UNDEFINED */
#define KILLED_UNDEFINED  ATTACK_KILLED(A64_EC_UNKNOWN)
#define KILLED_BREAKPOINT ATTACK_KILLED(A64_EC_BRK)
#define KILLED_FPU        ATTACK_KILLED(A64_EC_FP) /* CPACR_EL1.FPEN = 0 */
#define KILLED_SIMD       ATTACK_KILLED(A64_EC_FP)
/* Masking interrupts and WFI are not UNDEFINED at EL0: the kernel has them
 * trap (SCTLR_EL1.UMA and nTWI clear), each with its own class. */
#define KILLED_IRQ_OFF ATTACK_KILLED(A64_EC_SYSREG)
#define KILLED_HALT    ATTACK_KILLED(A64_EC_WFX)
/* Semihosting from EL0 is refused by QEMU (its HLT is UNDEFINED there);
 * the UART's physical address is no user mapping. */
#define KILLED_DEVICE_WRITE ATTACK_KILLED(A64_EC_UNKNOWN)
#define KILLED_DEVICE_READ  ATTACK_KILLED(A64_EC_DABT)

/* Names for the check lines. */
#define ATTACK_EXC_PRIV "an exception to EL1"
#define ATTACK_NAMES_IRQ_HALT                                                                      \
	"msr daifset (EC 0x18: SCTLR_EL1.UMA clear), wfi (EC 0x01: SCTLR_EL1.nTWI clear)"
#define ATTACK_NAMES_SYSTEM                                                                        \
	"msr ttbr0_el1, mrs sctlr_el1, msr vbar_el1, msr sctlr_el1, tlbi vmalle1 (EC 0x00)"
#define ATTACK_NAMES_DEVICE                                                                        \
	"semihosting SYS_EXIT (hlt #0xf000) from EL0, a load from the PL011's physical address"
#define ATTACK_EXC_DEVICE      "an undefined instruction and a data abort"
#define ATTACK_NAMES_BREAK     "brk #0: killed by a breakpoint (EC 0x3c)"
#define ATTACK_NAMES_UNDEFINED "udf #0: killed by an undefined instruction (EC 0x00)"
#define ATTACK_NAMES_FPU                                                                           \
	"FP (fadd d0) and SIMD (add v0.16b) instructions with CPACR_EL1.FPEN clear, whose "        \
	"registers the kernel does not switch: killed (EC 0x07)"

/* The kernel image: QEMU's virt machine loads it at physical 0x40200000
 * (arch/aarch64/kernel/linker.ld); its text's second page, and the image
 * in the kernel's direct map of RAM. */
#define ATTACK_KERNEL_IMAGE  (ARCH_KERNEL_IMAGE_BASE + 0x40200000ul)
#define ATTACK_KERNEL_TEXT   (ATTACK_KERNEL_IMAGE + 0x1000ul)
#define ATTACK_KERNEL_DIRECT (ARCH_DIRECT_MAP_BASE + 0x40200000ul)

/* A level-3 page descriptor: valid page (bits 1:0 = 11), AP[1] (EL0 may
 * access, read-write), inner shareable, AF, frame 0x40200000 (the
 * kernel's image). Planted in memory that the kernel must zero before
 * using it as a page table. */
#define ATTACK_FAKE_PTE (0x40200000ul | 0x743ul)

/* The state user code can leave behind for the kernel: no flags register
 * like x86's DF, but the stack pointer, the frame pointer (x29) and the
 * platform register (x18) are the registers a careless kernel would keep
 * using (its stack, a backtrace's frame chain, a per-CPU pointer). */
#define ATTACK_TAINT_NAME "sp, x29 and x18 pointing into the kernel"

/* Save sp, x29, x18 in x9-x11, point them at @p (the kernel's text). */
#define A64_TAINT                                                                                  \
	"mov x9, sp\n\tmov x10, x29\n\tmov x11, x18\n\t"                                           \
	"mov sp, %[k]\n\tmov x29, %[k]\n\tmov x18, %[k]\n\t"
#define A64_UNTAINT "\n\tmov sp, x9\n\tmov x29, x10\n\tmov x18, x11"

/**
 * syscall3_tainted() - a system call (svc #0) made with sp, x29 and x18
 * all pointing at kernel text: the kernel must take its stack from SP_EL1
 * and use none of them. They are restored from x9-x11 (which the kernel
 * keeps, in the child of a fork too) before returning to C.
 */
static inline long syscall3_tainted(long n, long a, long b, long c)
{
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x8 __asm__("x8") = n;
	__asm__ volatile(A64_TAINT "svc #0" A64_UNTAINT
	                 : "+r"(x0)
	                 : "r"(x1), "r"(x2), "r"(x8), [k] "r"(ATTACK_KERNEL_TEXT)
	                 : "x9", "x10", "x11", "x18", "memory");
	return x0;
}

/** read_tainted() - read the byte at @p with sp, x29 and x18 in the kernel (a page fault). */
static inline unsigned char read_tainted(const volatile void *p)
{
	unsigned long v;
	__asm__ volatile(A64_TAINT "ldrb %w[v], [%[p]]" A64_UNTAINT
	                 : [v] "=&r"(v)
	                 : [p] "r"(p), [k] "r"(ATTACK_KERNEL_TEXT)
	                 : "x9", "x10", "x11", "x18", "memory");
	return (unsigned char)v;
}

/** write_tainted() - write @v to the byte at @p with sp, x29 and x18 in the kernel. */
static inline void write_tainted(volatile void *p, unsigned char v)
{
	__asm__ volatile(A64_TAINT "strb %w[v], [%[p]]" A64_UNTAINT
	                 :
	                 : [p] "r"(p), [v] "r"((unsigned long)v), [k] "r"(ATTACK_KERNEL_TEXT)
	                 : "x9", "x10", "x11", "x18", "memory");
}

/* Execute permission is the descriptor's UXN bit. */
#define ATTACK_HAS_NX 1
/* Bits 63:48 neither all 0 (TTBR0_EL1) nor all 1 (TTBR1_EL1): outside both
 * halves, a translation fault at level 0 (an abort, not x86's #GP). */
#define ATTACK_NONCANONICAL       0x0001000000000000ul
#define KILLED_NONCANONICAL_READ  KILLED_READ_PF
#define KILLED_NONCANONICAL_FETCH KILLED_FETCH_PF
#define ATTACK_NAMES_NONCANONICAL_KILL                                                             \
	"a translation fault (bits 63:48 neither all 0 nor all 1: in neither TTBR's range)"

/* What x86 has and aarch64 does not: IOPL and IF in user-writable flags
 * (PSTATE.DAIF is written only with SCTLR_EL1.UMA, clear here), int N
 * through gates (svc is the only way in), syscall/sysenter (svc is the
 * system call), a trap on division by zero (the result is 0), a
 * single-step trap the user can arm (MDSCR_EL1.SS is EL1's). */
#define ATTACK_HAS_IOPL          0
#define ATTACK_HAS_INT_GATES     0
#define ATTACK_HAS_FAST_SYSCALL  0
#define ATTACK_DIVIDE_TRAPS      0
#define ATTACK_HAS_SINGLE_STEP   0
#define ATTACK_NAMES_NO_IOPL     "no IOPL: EL0 writes DAIF only if SCTLR_EL1.UMA is set (it is not)"
#define ATTACK_NAMES_NO_GATES    "no int N gates: svc is the only way in"
#define ATTACK_NAMES_NO_FASTCALL "no syscall/sysenter: svc is the system call"
#define ATTACK_NAMES_NO_STEP     "no single-step the user can arm (MDSCR_EL1.SS is EL1's)"

/* One 4-byte instruction: ret (0xd65f03c0), little-endian. */
#define ATTACK_RET_CODE                                                                            \
	{                                                                                          \
		0xc0, 0x03, 0x5f, 0xd6                                                             \
	}

/**
 * attack_put_ret() - write a ret instruction at @p (4-byte aligned), then
 * make it visible to instruction fetches: clean the data cache line to the
 * point of unification, invalidate the instruction cache line (EL0 may,
 * SCTLR_EL1.UCI set; ARM DDI 0487 D7.5.7).
 */
static inline void attack_put_ret(volatile unsigned char *p)
{
	p[0] = 0xc0;
	p[1] = 0x03;
	p[2] = 0x5f;
	p[3] = 0xd6;
	__asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish" : : "r"(p) : "memory");
}

/* The virt machine's PL011 UART (0x09000000) and GIC CPU interface
 * (0x08010000): a user load there must never reach a device. */
#define ATTACK_UART0 0x09000000ul
#define ATTACK_GICC  0x08010000ul

/** attack_irq_off() - msr daifset, #2 (mask IRQs): traps at EL0 (UMA clear). */
static inline void attack_irq_off(void)
{
	__asm__ volatile("msr daifset, #2" : : : "memory");
}
/** attack_halt() - wfi: traps at EL0 (nTWI clear). */
static inline void attack_halt(void)
{
	__asm__ volatile("wfi");
}
/** attack_write_root() - point TTBR0_EL1 (the page-table root) at 0. */
static inline void attack_write_root(void)
{
	__asm__ volatile("msr ttbr0_el1, xzr" : : : "memory");
}
/** attack_read_control() - read SCTLR_EL1, EL1's system control register. */
static inline void attack_read_control(void)
{
	unsigned long v;
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(v));
}
/** attack_set_trap_table() - point VBAR_EL1 (the exception vectors) at 0. */
static inline void attack_set_trap_table(void)
{
	__asm__ volatile("msr vbar_el1, xzr" : : : "memory");
}
/** attack_write_msr() - write SCTLR_EL1 (MMU off), the closest to wrmsr. */
static inline void attack_write_msr(void)
{
	__asm__ volatile("msr sctlr_el1, xzr" : : : "memory");
}
/** attack_flush_tlb() - tlbi vmalle1 (every EL1&0 entry). */
static inline void attack_flush_tlb(void)
{
	__asm__ volatile("tlbi vmalle1" : : : "memory");
}
/** attack_dev_exit() - semihosting SYS_EXIT "application exit, status 0" from EL0. */
static inline void attack_dev_exit(void)
{
	static volatile unsigned long block[2] = { 0x20026, 0 };
	register unsigned long x0 __asm__("x0") = 0x18;
	register unsigned long x1 __asm__("x1") = (unsigned long)block;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
}
/** attack_dev_console() - load the PL011's data register from its physical address. */
static inline void attack_dev_console(void)
{
	(void)*(volatile unsigned int *)ATTACK_UART0;
}
/** attack_breakpoint() - brk #0: a breakpoint exception (EC 0x3c). */
static inline void attack_breakpoint(void)
{
	__asm__ volatile("brk #0");
}
/** attack_undefined() - udf #0 (permanently undefined). */
static inline void attack_undefined(void)
{
	__asm__ volatile("udf #0");
}
/** attack_fpu() - fadd d0, d0, d0 (encoded: the user code is built general-regs-only). */
static inline void attack_fpu(void)
{
	__asm__ volatile(".inst 0x1e602800" : : : "memory");
}
/** attack_simd() - add v0.16b, v0.16b, v0.16b (Advanced SIMD; encoded). */
static inline void attack_simd(void)
{
	__asm__ volatile(".inst 0x4e208400" : : : "memory");
}

/**
 * attack_div0() - divide and take the remainder by zero, signed and
 * unsigned: no trap on aarch64 (UDIV and SDIV by zero give 0). Return: 0
 * if the results are the defined ones (quotient 0, remainder the
 * dividend), else 3.
 */
static inline int attack_div0(void)
{
	unsigned long q, r, one = 1, zero = 0;
	long sq, sr, five = 5;
	__asm__ volatile("udiv %0, %2, %3\n\tmsub %1, %0, %3, %2"
	                 : "=&r"(q), "=&r"(r)
	                 : "r"(one), "r"(zero));
	__asm__ volatile("sdiv %0, %2, %3\n\tmsub %1, %0, %3, %2"
	                 : "=&r"(sq), "=&r"(sr)
	                 : "r"(five), "r"(zero));
	return q == 0 && r == 1 && sq == 0 && sr == 5 ? 0 : 3;
}

/**
 * attack_idiv_overflow() - LONG_MIN / -1 and LONG_MIN % -1: no trap.
 * Return: 0 if the results are the defined ones (LONG_MIN and 0), else 3.
 */
static inline int attack_idiv_overflow(void)
{
	long q, r, min = -(long)(~0ul >> 1) - 1, m1 = -1;
	__asm__ volatile("sdiv %0, %2, %3\n\tmsub %1, %0, %3, %2"
	                 : "=&r"(q), "=&r"(r)
	                 : "r"(min), "r"(m1));
	return q == min && r == 0 ? 0 : 3;
}

/** attack_call() - call code at @va (an ISB first: it may just have been written). */
static inline void attack_call(unsigned long va)
{
	__asm__ volatile("isb\n\tblr %0" : : "r"(va) : "x30", "memory");
}

/* ---- aarch64's own attacks, run by uhostile.c's ATTACK_ISA_EXTRAS loop ---- */

/** attack_eret() - return from an exception, from EL0. */
static inline int attack_eret(void)
{
	__asm__ volatile("eret" : : : "memory");
	return 99;
}
/** attack_hvc() - call a hypervisor, from EL0. */
static inline int attack_hvc(void)
{
	__asm__ volatile("hvc #0" : : : "memory");
	return 99;
}
/** attack_smc() - call the secure monitor, from EL0. */
static inline int attack_smc(void)
{
	__asm__ volatile("smc #0" : : : "memory");
	return 99;
}
/** attack_read_ttbr1() - read TTBR1_EL1: where the kernel's tables are. */
static inline int attack_read_ttbr1(void)
{
	unsigned long v;
	__asm__ volatile("mrs %0, ttbr1_el1" : "=r"(v));
	return (int)(v != 0) + 99;
}
/** attack_spsel() - select SP_EL1 (the kernel's stack pointer) from EL0. */
static inline int attack_spsel(void)
{
	__asm__ volatile("msr spsel, #1" : : : "memory");
	return 99;
}
/** attack_timer_off() - turn off the virtual timer, the kernel's tick. */
static inline int attack_timer_off(void)
{
	__asm__ volatile("msr cntv_ctl_el0, xzr" : : : "memory");
	return 99;
}
/** attack_read_fpcr() - read FPCR with CPACR_EL1.FPEN clear (mrs x0, fpcr; encoded). */
static inline int attack_read_fpcr(void)
{
	register unsigned long v __asm__("x0");
	__asm__ volatile(".inst 0xd53b4400" : "=r"(v));
	return (int)(v != 0) + 99;
}
/** attack_kernel_uart() - store a byte to the kernel's own mapping of the PL011. */
static inline int attack_kernel_uart(void)
{
	*(volatile unsigned int *)(ARCH_DIRECT_MAP_BASE + ATTACK_UART0) = '!';
	return 99;
}
/** attack_kernel_gicc() - end an interrupt through the kernel's mapping of the GIC. */
static inline int attack_kernel_gicc(void)
{
	*(volatile unsigned int *)(ARCH_DIRECT_MAP_BASE + ATTACK_GICC + 0x10) = 27;
	return 99;
}
/**
 * attack_svc_semihost() - an svc with semihosting's SYS_EXIT numbers (w0
 * 0x18, x1 a block, x8 0x18 too): a system call the kernel must refuse
 * (ENOSYS), never pass on. Returns 0 when refused so.
 */
static inline int attack_svc_semihost(void)
{
	static volatile unsigned long block[2] = { 0x20026, 0 };
	register long x0 __asm__("x0") = 0x18;
	register long x1 __asm__("x1") = (long)block;
	register long x8 __asm__("x8") = 0x18;
	__asm__ volatile("svc #0x123" : "+r"(x0) : "r"(x1), "r"(x8) : "memory");
	return x0 == -ENOSYS ? 0 : 2;
}

/* X(function, expected wait() status, what): each runs in its own child. */
#define ATTACK_ISA_EXTRAS(X)                                                                       \
	X(attack_eret, KILLED_PRIV, "eret from EL0: killed by an undefined instruction")           \
	X(attack_hvc, KILLED_PRIV, "hvc from EL0: killed by an undefined instruction")             \
	X(attack_smc, KILLED_PRIV, "smc from EL0: killed by an undefined instruction")             \
	X(attack_read_ttbr1, KILLED_PRIV, "mrs ttbr1_el1: killed by an undefined instruction")     \
	X(attack_spsel, KILLED_PRIV, "msr spsel, #1: killed by an undefined instruction")          \
	X(attack_timer_off, KILLED_IRQ_OFF,                                                        \
	  "msr cntv_ctl_el0 (the kernel's tick): killed (EC 0x18, CNTKCTL_EL1.EL0VTEN clear)")     \
	X(attack_read_fpcr, KILLED_FPU, "mrs fpcr with CPACR_EL1.FPEN clear: killed")              \
	X(attack_kernel_uart, KILLED_WRITE_PF,                                                     \
	  "a store to the kernel's mapping of the PL011: killed by a data abort")                  \
	X(attack_kernel_gicc, KILLED_WRITE_PF,                                                     \
	  "a store to the kernel's mapping of the GIC CPU interface: killed by a data abort")      \
	X(attack_svc_semihost, 0,                                                                  \
	  "an svc with semihosting's SYS_EXIT numbers: ENOSYS, QEMU runs on")

#endif
