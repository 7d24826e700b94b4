/*
 * RISC-V (riscv64, Sv39 and Sv48) instructions a hostile user program
 * (kernel/user/uhostile.c) uses against the kernel: the counterparts of
 * arch/x86/user/attack.h, each with the exception that must kill it.
 * Sources: the RISC-V Unprivileged ISA 20191213 (F/D encodings, §8-9;
 * integer division by zero does not trap, §7.2) and Vector 1.0 (vsetvli);
 * the RISC-V Privileged Architecture 20211203: §2.1 (a CSR access beyond
 * the current privilege is an illegal instruction), §3.1.6.5 (wfi in
 * U-mode with S-mode present: illegal instruction), §3.3.2 (sret, mret),
 * §4.1.1 (sstatus.FS and VS: Off makes every F/D/V instruction and FP
 * CSR illegal), §4.1.9 (scause, Table 4.2), §4.3.1 (Sv39: bits 63-39 of a
 * VA must equal bit 38, or else a page fault), §4.2.1 (sfence.vma).
 * Device addresses of QEMU's virt machine: hw/riscv/virt.c.
 */
#ifndef ARCH_RISCV_USER_ATTACK_H
#define ARCH_RISCV_USER_ATTACK_H

#include "ulib.h"

/* scause exception codes (Privileged spec Table 4.2): a process the kernel
 * kills for cause c exits with status 0x100 | c. */
#define RV_CAUSE_ILLEGAL    2
#define RV_CAUSE_BREAKPOINT 3
#define RV_CAUSE_FETCH_PF   12
#define RV_CAUSE_LOAD_PF    13
#define RV_CAUSE_STORE_PF   15

/* The wait() status of a child the kernel killed for exception @c. */
#define ATTACK_KILLED(c) (0x100 | (c))

/* What each kind of kill means on this ISA (uhostile.c names only these). */
#define KILLED_READ_PF    ATTACK_KILLED(RV_CAUSE_LOAD_PF)
#define KILLED_WRITE_PF   ATTACK_KILLED(RV_CAUSE_STORE_PF)
#define KILLED_FETCH_PF   ATTACK_KILLED(RV_CAUSE_FETCH_PF)
#define KILLED_PRIV       ATTACK_KILLED(RV_CAUSE_ILLEGAL)
#define KILLED_UNDEFINED  ATTACK_KILLED(RV_CAUSE_ILLEGAL)
#define KILLED_BREAKPOINT ATTACK_KILLED(RV_CAUSE_BREAKPOINT)
#define KILLED_FPU        ATTACK_KILLED(RV_CAUSE_ILLEGAL)
#define KILLED_SIMD       ATTACK_KILLED(RV_CAUSE_ILLEGAL)
/* The devices have no port space: their physical addresses, used as user
 * VAs, are not mapped for U-mode. */
#define KILLED_DEVICE_WRITE ATTACK_KILLED(RV_CAUSE_STORE_PF)
#define KILLED_DEVICE_READ  ATTACK_KILLED(RV_CAUSE_LOAD_PF)

/* Names for the check lines. */
#define ATTACK_EXC_PRIV        "illegal instruction"
#define ATTACK_NAMES_IRQ_HALT  "csrc sstatus.SIE, wfi"
#define ATTACK_NAMES_SYSTEM    "csrw satp, csrr sstatus, csrw stvec, csrw mstatus, sfence.vma"
#define ATTACK_NAMES_DEVICE    "a store to the test finisher, a load from UART0 (physical addresses)"
#define ATTACK_EXC_DEVICE      "a page fault"
#define ATTACK_NAMES_BREAK     "ebreak: killed by a breakpoint"
#define ATTACK_NAMES_UNDEFINED "unimp: killed by an illegal instruction"
#define ATTACK_NAMES_FPU                                                                           \
	"F/D (fadd.d) and V (vsetvli) instructions with sstatus.FS and VS off, whose registers "   \
	"the kernel does not switch: killed by an illegal instruction"

/* The kernel image: QEMU's virt machine loads it at physical 0x80200000
 * (arch/riscv/kernel/linker.ld); its text's second page, and the image in
 * the kernel's direct map of RAM. */
#define ATTACK_KERNEL_IMAGE  (ARCH_KERNEL_IMAGE_BASE + 0x80200000ul)
#define ATTACK_KERNEL_TEXT   (ATTACK_KERNEL_IMAGE + 0x1000ul)
#define ATTACK_KERNEL_DIRECT (ARCH_DIRECT_MAP_BASE + 0x80200000ul)

/* A leaf page-table entry: V, R, W, X, U, A, D (bits 0-4, 6, 7), frame
 * 0x80200000 (the kernel's image; PPN at bit 10). Planted in memory that
 * the kernel must zero before using it as a page table. */
#define ATTACK_FAKE_PTE ((0x80200ul << 10) | 0xDFul)

/* The state user code can leave behind for the kernel: there is no flag
 * like x86's DF, but sp, gp and tp are the registers a careless kernel
 * would keep using (its stack, its global and thread pointers). */
#define ATTACK_TAINT_NAME "sp, gp and tp pointing into the kernel"

/**
 * syscall3_tainted() - a system call (ecall) made with sp, gp and tp all
 * pointing at kernel text: the kernel must take its stack from sscratch
 * and use neither. They are restored from t0-t2 (which the kernel keeps,
 * in the child of a fork too) before returning to C.
 */
static inline long syscall3_tainted(long n, long a, long b, long c)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a7 __asm__("a7") = n;
	__asm__ volatile("mv t0, sp\n\tmv t1, gp\n\tmv t2, tp\n\t"
	                 "mv sp, %[p]\n\tmv gp, %[p]\n\tmv tp, %[p]\n\t"
	                 "ecall\n\t"
	                 "mv sp, t0\n\tmv gp, t1\n\tmv tp, t2"
	                 : "+r"(a0)
	                 : "r"(a1), "r"(a2), "r"(a7), [p] "r"(ATTACK_KERNEL_TEXT)
	                 : "t0", "t1", "t2", "memory");
	return a0;
}

/** read_tainted() - read the byte at @p with sp, gp and tp in the kernel (a page fault). */
static inline unsigned char read_tainted(const volatile void *p)
{
	unsigned long v;
	__asm__ volatile("mv t0, sp\n\tmv t1, gp\n\tmv t2, tp\n\t"
	                 "mv sp, %[k]\n\tmv gp, %[k]\n\tmv tp, %[k]\n\t"
	                 "lbu %[v], 0(%[p])\n\t"
	                 "mv sp, t0\n\tmv gp, t1\n\tmv tp, t2"
	                 : [v] "=&r"(v)
	                 : [p] "r"(p), [k] "r"(ATTACK_KERNEL_TEXT)
	                 : "t0", "t1", "t2", "memory");
	return (unsigned char)v;
}

/** write_tainted() - write @v to the byte at @p with sp, gp and tp in the kernel. */
static inline void write_tainted(volatile void *p, unsigned char v)
{
	__asm__ volatile("mv t0, sp\n\tmv t1, gp\n\tmv t2, tp\n\t"
	                 "mv sp, %[k]\n\tmv gp, %[k]\n\tmv tp, %[k]\n\t"
	                 "sb %[v], 0(%[p])\n\t"
	                 "mv sp, t0\n\tmv gp, t1\n\tmv tp, t2"
	                 :
	                 : [p] "r"(p), [v] "r"(v), [k] "r"(ATTACK_KERNEL_TEXT)
	                 : "t0", "t1", "t2", "memory");
}

/* Execute permission is the PTE's X bit. */
#define ATTACK_HAS_NX 1
/* The first address above the user half, ARCH_USER_END (2^38 with Sv39,
 * 2^47 with Sv48), is not canonical: its bits above the VA width differ
 * from the top one. RISC-V reports that as a page fault (§4.3.1), not as
 * x86's #GP. */
#define ATTACK_NONCANONICAL            ((unsigned long)ARCH_USER_END)
#define KILLED_NONCANONICAL_READ       KILLED_READ_PF
#define KILLED_NONCANONICAL_FETCH      KILLED_FETCH_PF
#define ATTACK_NAMES_NONCANONICAL_KILL "a page fault"

/* What x86 has and RISC-V does not: IOPL and IF in user-writable flags
 * (popf), int N through gates (one ecall instead), the syscall/sysenter
 * instructions (ecall is the system call), a trap on division by zero
 * (the result is all ones, §7.2), single-stepping (a debug-mode feature). */
#define ATTACK_HAS_IOPL          0
#define ATTACK_HAS_INT_GATES     0
#define ATTACK_HAS_FAST_SYSCALL  0
#define ATTACK_DIVIDE_TRAPS      0
#define ATTACK_HAS_SINGLE_STEP   0
#define ATTACK_NAMES_NO_IOPL     "no IOPL or IF among the registers U-mode writes"
#define ATTACK_NAMES_NO_GATES    "no int N gates: ecall is the only way in"
#define ATTACK_NAMES_NO_FASTCALL "no syscall/sysenter: ecall is the system call"
#define ATTACK_NAMES_NO_STEP     "no single-step from U-mode (a debug-mode feature)"

/* One 4-byte instruction: ret (jalr x0, 0(ra)), little-endian. */
#define ATTACK_RET_CODE                                                                            \
	{                                                                                          \
		0x67, 0x80, 0x00, 0x00                                                             \
	}

/** attack_put_ret() - write a ret instruction at @p (4-byte aligned). */
static inline void attack_put_ret(volatile unsigned char *p)
{
	p[0] = 0x67;
	p[1] = 0x80;
	p[2] = 0x00;
	p[3] = 0x00;
}

/* The virt machine's test finisher (0x100000) and UART0 (0x10000000): a
 * user store or load there must never reach QEMU. 0x5555 would make QEMU
 * exit with status 0, which the boot's harness reads as a failure. */
#define ATTACK_TEST_FINISHER 0x100000ul
#define ATTACK_UART0         0x10000000ul

/** attack_irq_off() - clear sstatus.SIE (interrupts off): illegal in U-mode. */
static inline void attack_irq_off(void)
{
	__asm__ volatile("csrci sstatus, 2" : : : "memory");
}
/** attack_halt() - wfi: illegal in U-mode when S-mode exists (§3.1.6.5). */
static inline void attack_halt(void)
{
	__asm__ volatile("wfi");
}
/** attack_write_root() - point satp (the page-table root) at 0 (bare mode). */
static inline void attack_write_root(void)
{
	__asm__ volatile("csrw satp, zero" : : : "memory");
}
/** attack_read_control() - read sstatus, the supervisor's control register. */
static inline void attack_read_control(void)
{
	unsigned long v;
	__asm__ volatile("csrr %0, sstatus" : "=r"(v));
}
/** attack_set_trap_table() - point stvec (the trap vector) at 0. */
static inline void attack_set_trap_table(void)
{
	__asm__ volatile("csrw stvec, zero" : : : "memory");
}
/** attack_write_msr() - write a machine-mode CSR (mstatus), the closest to wrmsr. */
static inline void attack_write_msr(void)
{
	__asm__ volatile("csrw mstatus, zero" : : : "memory");
}
/** attack_flush_tlb() - sfence.vma (all addresses, all spaces). */
static inline void attack_flush_tlb(void)
{
	__asm__ volatile("sfence.vma" : : : "memory");
}
/** attack_dev_exit() - store "exit with status 0" to the test finisher's physical address. */
static inline void attack_dev_exit(void)
{
	*(volatile unsigned int *)ATTACK_TEST_FINISHER = 0x5555u;
}
/** attack_dev_console() - load UART0's receive register from its physical address. */
static inline void attack_dev_console(void)
{
	(void)*(volatile unsigned char *)ATTACK_UART0;
}
/** attack_breakpoint() - ebreak: a breakpoint exception (cause 3). */
static inline void attack_breakpoint(void)
{
	__asm__ volatile("ebreak");
}
/** attack_undefined() - unimp (an all-zero encoding, defined illegal). */
static inline void attack_undefined(void)
{
	__asm__ volatile("unimp");
}
/** attack_fpu() - fadd.d ft0, ft0, ft0 (D; encoded: the user code is rv64imac). */
static inline void attack_fpu(void)
{
	__asm__ volatile(".4byte 0x02007053" : : : "memory");
}
/** attack_simd() - vsetvli t0, zero, e8, m1, ta, ma (V; encoded). */
static inline void attack_simd(void)
{
	__asm__ volatile(".4byte 0x0c0072d7" : : : "t0", "memory");
}

/**
 * attack_div0() - divide and take the remainder by zero, signed and
 * unsigned: no trap on RISC-V (Unprivileged ISA §7.2, Table 7.1). Return:
 * 0 if the results are the defined ones (quotient all ones, remainder the
 * dividend), else 3.
 */
static inline int attack_div0(void)
{
	unsigned long q, r, one = 1, zero = 0;
	long sq, sr, five = 5;
	__asm__ volatile("divu %0, %2, %3\n\tremu %1, %2, %3"
	                 : "=&r"(q), "=&r"(r)
	                 : "r"(one), "r"(zero));
	__asm__ volatile("div %0, %2, %3\n\trem %1, %2, %3"
	                 : "=&r"(sq), "=&r"(sr)
	                 : "r"(five), "r"(zero));
	return q == ~0ul && r == 1 && sq == -1 && sr == 5 ? 0 : 3;
}

/**
 * attack_idiv_overflow() - LONG_MIN / -1 and LONG_MIN % -1: no trap.
 * Return: 0 if the results are the defined ones (LONG_MIN and 0), else 3.
 */
static inline int attack_idiv_overflow(void)
{
	long q, r, min = -(long)(~0ul >> 1) - 1, m1 = -1;
	__asm__ volatile("div %0, %2, %3\n\trem %1, %2, %3"
	                 : "=&r"(q), "=&r"(r)
	                 : "r"(min), "r"(m1));
	return q == min && r == 0 ? 0 : 3;
}

/**
 * attack_call() - call code at @va: fence.i first (the code may just have
 * been written, §5.1 of the Unprivileged ISA: instruction fetches need it).
 */
static inline void attack_call(unsigned long va)
{
	__asm__ volatile("fence.i\n\tjalr ra, 0(%0)" : : "r"(va) : "ra", "memory");
}

/* ---- RISC-V's own attacks, run by uhostile.c's ATTACK_ISA_EXTRAS loop ---- */

/** attack_sret() - return from a supervisor trap, from U-mode. */
static inline int attack_sret(void)
{
	__asm__ volatile("sret" : : : "memory");
	return 99;
}
/** attack_mret() - return from a machine trap, from U-mode. */
static inline int attack_mret(void)
{
	__asm__ volatile("mret" : : : "memory");
	return 99;
}
/** attack_read_sscratch() - read sscratch: in U-mode it holds the kernel stack's top. */
static inline int attack_read_sscratch(void)
{
	unsigned long v;
	__asm__ volatile("csrr %0, sscratch" : "=r"(v));
	return (int)(v != 0) + 99;
}
/** attack_write_sie() - turn every supervisor interrupt off in sie. */
static inline int attack_write_sie(void)
{
	__asm__ volatile("csrw sie, zero" : : : "memory");
	return 99;
}
/** attack_read_mhartid() - read a machine-mode information CSR. */
static inline int attack_read_mhartid(void)
{
	unsigned long v;
	__asm__ volatile("csrr %0, mhartid" : "=r"(v));
	return (int)(v != 0) + 99;
}
/** attack_read_fcsr() - read the FP control and status register with sstatus.FS off. */
static inline int attack_read_fcsr(void)
{
	unsigned long v;
	__asm__ volatile("csrr %0, 0x003" : "=r"(v)); /* fcsr */
	return (int)(v != 0) + 99;
}
/** attack_kernel_finisher() - store "exit 0" to the kernel's own mapping of the test finisher. */
static inline int attack_kernel_finisher(void)
{
	*(volatile unsigned int *)(ARCH_DIRECT_MAP_BASE + ATTACK_TEST_FINISHER) = 0x5555u;
	return 99;
}
/** attack_kernel_uart() - store a byte to the kernel's own mapping of UART0. */
static inline int attack_kernel_uart(void)
{
	*(volatile unsigned char *)(ARCH_DIRECT_MAP_BASE + ATTACK_UART0) = '!';
	return 99;
}
/**
 * attack_sbi_reset() - an ecall with SBI's system-reset numbers (extension
 * "SRST" in a7, function 0 in a6, shutdown in a0): from U-mode it is a
 * system call the kernel must refuse (ENOSYS), never pass to the firmware.
 * Returns 0 when refused so.
 */
static inline int attack_sbi_reset(void)
{
	register long a0 __asm__("a0") = 0;
	register long a1 __asm__("a1") = 0;
	register long a6 __asm__("a6") = 0;
	register long a7 __asm__("a7") = 0x53525354; /* "SRST" */
	__asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a6), "r"(a7) : "memory");
	return a0 == -ENOSYS ? 0 : 2;
}

/* X(function, expected wait() status, what): each runs in its own child. */
#define ATTACK_ISA_EXTRAS(X)                                                                       \
	X(attack_sret, KILLED_PRIV, "sret from U-mode: killed by an illegal instruction")          \
	X(attack_mret, KILLED_PRIV, "mret from U-mode: killed by an illegal instruction")          \
	X(attack_read_sscratch, KILLED_PRIV,                                                       \
	  "csrr sscratch (the kernel stack's top): killed by an illegal instruction")              \
	X(attack_write_sie, KILLED_PRIV, "csrw sie: killed by an illegal instruction")             \
	X(attack_read_mhartid, KILLED_PRIV, "csrr mhartid: killed by an illegal instruction")      \
	X(attack_read_fcsr, KILLED_FPU, "csrr fcsr with sstatus.FS off: killed")                   \
	X(attack_kernel_finisher, KILLED_WRITE_PF,                                                 \
	  "a store to the kernel's mapping of the test finisher: killed by a page fault")          \
	X(attack_kernel_uart, KILLED_WRITE_PF,                                                     \
	  "a store to the kernel's mapping of UART0: killed by a page fault")                      \
	X(attack_sbi_reset, 0, "an ecall with SBI's system-reset numbers: ENOSYS, QEMU runs on")

#endif
