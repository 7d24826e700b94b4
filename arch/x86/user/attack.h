/*
 * x86 instructions a hostile user program (kernel/user/uhostile.c) uses
 * against the kernel, for both i386 and x86_64: each is inline assembly
 * the C code cannot express. Source: Intel SDM Vol. 2 (instruction
 * reference), Vol. 3A §6.15 (exceptions), §4.7 (page-fault error code).
 */
#ifndef ARCH_X86_USER_ATTACK_H
#define ARCH_X86_USER_ATTACK_H

#include "ulib.h"

/* A page-table entry, as i386 and x86_64 (4 KiB leaf) both read it: present,
 * writable, user (bits 0-2), frame 0x100000 (the kernels' image). Planted in
 * memory that the kernel must zero before using it as a page table. */
#define ATTACK_FAKE_PTE 0x100007ul

/* The state user code can leave behind for the kernel: EFLAGS.DF. */
#define ATTACK_TAINT_NAME "DF set"

/**
 * syscall3_tainted() - a system call (int 0x80) made with EFLAGS.DF set: the
 * kernel must not trust DF (its string instructions would run backwards).
 * DF is cleared again before returning to C, which assumes it clear.
 */
static inline long syscall3_tainted(long n, long a, long b, long c)
{
	long r;
#if defined(__x86_64__)
	__asm__ volatile("std\n\tint $0x80\n\tcld"
	                 : "=a"(r)
	                 : "a"(n), "D"(a), "S"(b), "d"(c)
	                 : "memory", "cc");
#else
	__asm__ volatile("std\n\tint $0x80\n\tcld"
	                 : "=a"(r)
	                 : "a"(n), "b"(a), "c"(b), "d"(c)
	                 : "memory", "cc");
#endif
	return r;
}

/** read_tainted() - read the byte at @p with EFLAGS.DF set (a page fault with DF set). */
static inline unsigned char read_tainted(const volatile void *p)
{
	unsigned char v;
	__asm__ volatile("std\n\tmovb (%1), %0\n\tcld" : "=q"(v) : "r"(p) : "memory", "cc");
	return v;
}

/** write_tainted() - write @v to the byte at @p with EFLAGS.DF set. */
static inline void write_tainted(volatile void *p, unsigned char v)
{
	__asm__ volatile("std\n\tmovb %1, (%0)\n\tcld" : : "r"(p), "q"(v) : "memory", "cc");
}

/* Exception vectors (SDM Vol. 3A §6.15): a process the kernel kills for
 * vector v exits with status 0x100 | v. */
#define VEC_DE 0  /* divide error */
#define VEC_DB 1  /* debug (single step) */
#define VEC_UD 6  /* invalid opcode */
#define VEC_NM 7  /* device (FPU) not available */
#define VEC_NP 11 /* segment (gate) not present */
#define VEC_GP 13 /* general protection */
#define VEC_PF 14 /* page fault */

/* The wait() status of a child the kernel killed for vector @v. */
#define ATTACK_KILLED(v) (0x100 | (v))

/* What each kind of kill means on x86 (uhostile.c names only these). */
#define KILLED_READ_PF      ATTACK_KILLED(VEC_PF)
#define KILLED_WRITE_PF     ATTACK_KILLED(VEC_PF)
#define KILLED_FETCH_PF     ATTACK_KILLED(VEC_PF)
#define KILLED_PRIV         ATTACK_KILLED(VEC_GP)
#define KILLED_UNDEFINED    ATTACK_KILLED(VEC_UD)
#define KILLED_BREAKPOINT   ATTACK_KILLED(VEC_GP) /* int3's gate is DPL 0 */
#define KILLED_FPU          ATTACK_KILLED(VEC_NM) /* CR0.EM/TS */
#define KILLED_SIMD         ATTACK_KILLED(VEC_UD) /* CR4.OSFXSR clear */
#define KILLED_DEVICE_WRITE ATTACK_KILLED(VEC_GP) /* out at IOPL 0 */
#define KILLED_DEVICE_READ  ATTACK_KILLED(VEC_GP) /* in at IOPL 0 */
#define KILLED_GATE         ATTACK_KILLED(VEC_GP) /* int N through a DPL 0 gate */
#define KILLED_NO_GATE(st)  ((st) == ATTACK_KILLED(VEC_GP) || (st) == ATTACK_KILLED(VEC_NP))
#define KILLED_FAST_SYSCALL ATTACK_KILLED(VEC_UD)
#define KILLED_SYSENTER(st) ((st) == ATTACK_KILLED(VEC_UD) || (st) == ATTACK_KILLED(VEC_GP))
#define KILLED_DIVIDE       ATTACK_KILLED(VEC_DE)
#define KILLED_SINGLE_STEP  ATTACK_KILLED(VEC_DB)

/* Names for the check lines. */
#define ATTACK_EXC_PRIV        "#GP"
#define ATTACK_NAMES_IRQ_HALT  "cli, hlt"
#define ATTACK_NAMES_SYSTEM    "mov to CR3, mov from CR0, lidt, wrmsr, invlpg"
#define ATTACK_NAMES_DEVICE    "out to QEMU's exit port, in from COM1"
#define ATTACK_EXC_DEVICE      "#GP"
#define ATTACK_NAMES_BREAK     "int3: killed by #GP"
#define ATTACK_NAMES_UNDEFINED "ud2: killed by #UD"
#define ATTACK_NAMES_FPU                                                                           \
	"x87 (#NM) and SSE (#UD) instructions, whose registers the kernel does not switch: killed"

/* The kernel image, loaded at 1 MiB: its text's second page, and the image
 * in the kernel's direct map of RAM. */
#define ATTACK_KERNEL_IMAGE  (ARCH_KERNEL_IMAGE_BASE + 0x100000ul)
#define ATTACK_KERNEL_TEXT   (ATTACK_KERNEL_IMAGE + 0x1000ul)
#define ATTACK_KERNEL_DIRECT (ARCH_DIRECT_MAP_BASE + 0x100000ul)

/* Each x86 feature uhostile.c attacks, which other ISAs may not have. */
#define ATTACK_HAS_IOPL         1 /* EFLAGS.IOPL and IF, written by popf */
#define ATTACK_HAS_INT_GATES    1 /* int N through the IDT's gates */
#define ATTACK_HAS_FAST_SYSCALL 1 /* syscall and sysenter, never enabled */
#define ATTACK_DIVIDE_TRAPS     1 /* #DE */
#define ATTACK_HAS_SINGLE_STEP  1 /* EFLAGS.TF */

#if defined(__x86_64__)
#define ATTACK_HAS_NX 1 /* execute-disable: the x86_64 kernel requires it */
/* The first non-canonical address above the user half (SDM Vol. 1
 * §3.3.7.1): any access is #GP, not #PF. */
#define ATTACK_NONCANONICAL            0x0000800000000000ul
#define KILLED_NONCANONICAL_READ       ATTACK_KILLED(VEC_GP)
#define KILLED_NONCANONICAL_FETCH      ATTACK_KILLED(VEC_GP)
#define ATTACK_NAMES_NONCANONICAL_KILL "#GP"
#elif defined(X86_PAE) && X86_PAE
#define ATTACK_HAS_NX                1 /* execute-disable: the i386-pae kernel requires it */
#define ATTACK_NAMES_NO_NONCANONICAL "no non-canonical addresses with 32-bit addresses"
#else
#define ATTACK_HAS_NX                0 /* 32-bit paging has no execute-disable bit */
#define ATTACK_NAMES_NO_NONCANONICAL "no non-canonical addresses with 32-bit paging"
#endif

/* One byte of code: ret (C3). */
#define ATTACK_RET_CODE                                                                            \
	{                                                                                          \
		0xC3                                                                               \
	}

/** attack_put_ret() - write a ret instruction at @p. */
static inline void attack_put_ret(volatile unsigned char *p)
{
	p[0] = 0xC3;
}

/* The isa-debug-exit port: a user write there must never reach QEMU. */
#define ATTACK_EXIT_PORT 0xF4
#define ATTACK_COM1_PORT 0x3F8

/* Privileged instructions: each must be #GP in ring 3 (IOPL 0). */

/** attack_irq_off() - cli: interrupts off. */
static inline void attack_irq_off(void)
{
	__asm__ volatile("cli");
}
/** attack_halt() - hlt. */
static inline void attack_halt(void)
{
	__asm__ volatile("hlt");
}
/** attack_write_root() - mov to CR3 (the page-table root) of 0. */
static inline void attack_write_root(void)
{
	unsigned long zero = 0;
	__asm__ volatile("mov %0, %%cr3" : : "r"(zero) : "memory");
}
/** attack_read_control() - mov from CR0. */
static inline void attack_read_control(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
}
/** attack_out() - outb @v to @port. */
static inline void attack_out(unsigned short port, unsigned char v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
/** attack_in() - inb from @port. */
static inline void attack_in(unsigned short port)
{
	unsigned char v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
}
/** attack_dev_exit() - out to QEMU's isa-debug-exit port. */
static inline void attack_dev_exit(void)
{
	attack_out(ATTACK_EXIT_PORT, 0);
}
/** attack_dev_console() - in from COM1. */
static inline void attack_dev_console(void)
{
	attack_in(ATTACK_COM1_PORT);
}
/** attack_set_trap_table() - lidt of an empty IDT. */
static inline void attack_set_trap_table(void)
{
	struct {
		unsigned short limit;
		unsigned long base;
	} __attribute__((packed)) d = { 0, 0 };
	__asm__ volatile("lidt %0" : : "m"(d));
}
/** attack_write_msr() - wrmsr of EFER. */
static inline void attack_write_msr(void)
{
	__asm__ volatile("wrmsr" : : "c"(0xC0000080u), "a"(0), "d"(0)); /* EFER */
}
/** attack_flush_tlb() - invlpg of page 0. */
static inline void attack_flush_tlb(void)
{
	__asm__ volatile("invlpg (%0)" : : "r"(0ul) : "memory");
}

/** attack_popf_iopl() - ask popf for IOPL 3 (ignored in ring 3), then out. */
static inline void attack_popf_iopl(void)
{
	unsigned long f;
	__asm__ volatile("pushf\n\tpop %0" : "=r"(f));
	f |= 0x3000ul; /* EFLAGS.IOPL = 3 */
	__asm__ volatile("push %0\n\tpopf" : : "r"(f) : "cc");
	attack_out(ATTACK_EXIT_PORT, 0);
}

/** attack_popf_cli() - clear IF with popf (ignored at IOPL 0); is IF still set? */
static inline int attack_popf_cli_ignored(void)
{
	unsigned long f;
	__asm__ volatile("pushf\n\tpop %0" : "=r"(f));
	f &= ~0x200ul; /* EFLAGS.IF */
	__asm__ volatile("push %0\n\tpopf" : : "r"(f) : "cc");
	__asm__ volatile("pushf\n\tpop %0" : "=r"(f));
	return (f & 0x200ul) != 0;
}

/* int n through gates user code may not use (DPL 0, or none). */
#define ATTACK_INT(n) __asm__ volatile("int %0" : : "i"(n))
/** attack_breakpoint() - int3. */
static inline void attack_breakpoint(void)
{
	__asm__ volatile("int3");
}

/* The fast system-call instructions, never enabled by the kernels. */

/** attack_syscall_insn() - the syscall instruction. */
static inline void attack_syscall_insn(void)
{
#if defined(__x86_64__)
	__asm__ volatile("syscall" : : : "rcx", "r11", "memory");
#else
	__asm__ volatile("syscall" : : : "ecx", "memory");
#endif
}
/** attack_sysenter() - the sysenter instruction. */
static inline void attack_sysenter(void)
{
	__asm__ volatile("sysenter" : : : "memory");
}

/**
 * attack_trap_flag() - set EFLAGS.TF (single-step), then make a system call
 * (getpid): the gate clears TF for the kernel; the #DB must come in user
 * mode, after the kernel returns.
 */
static inline void attack_trap_flag(void)
{
	unsigned long f;
	long r;
	__asm__ volatile("pushf\n\tpop %0" : "=r"(f));
	f |= 0x100ul; /* EFLAGS.TF */
	__asm__ volatile("push %1\n\tpopf\n\tint $0x80"
	                 : "=a"(r)
	                 : "r"(f), "a"(2L)
	                 : "memory", "cc");
	(void)r;
}

/** attack_fpu() - an x87 instruction: the FPU's registers are shared. */
static inline void attack_fpu(void)
{
	__asm__ volatile("fld1\n\tfstp %%st(0)" : : : "memory");
}

/** attack_simd() - an SSE instruction (x86_64: SSE2 is baseline). */
static inline void attack_simd(void)
{
	__asm__ volatile(".byte 0x0f, 0x57, 0xc0" : : : "memory"); /* xorps %xmm0, %xmm0 */
}

/** attack_undefined() - ud2. */
static inline void attack_undefined(void)
{
	__asm__ volatile("ud2");
}

/** attack_div0() - unsigned division by zero: #DE. */
static inline void attack_div0(void)
{
	unsigned long a = 1, d = 0, zero = 0;
	__asm__ volatile("div %2" : "+a"(a), "+d"(d) : "r"(zero));
}

/** attack_idiv_overflow() - the most negative number / -1: #DE. */
static inline void attack_idiv_overflow(void)
{
	long a = -(long)(~0ul >> 1) - 1 /* LONG_MIN */, d = -1, m1 = -1;
	__asm__ volatile("idiv %2" : "+a"(a), "+d"(d) : "r"(m1));
}

/** attack_call() - call code at @va. */
static inline void attack_call(unsigned long va)
{
#if defined(__x86_64__)
	/* Step over the red zone the compiler may use below RSP. */
	__asm__ volatile("sub $128, %%rsp\n\tcall *%0\n\tadd $128, %%rsp" : : "r"(va) : "memory");
#else
	__asm__ volatile("call *%0" : : "r"(va) : "memory");
#endif
}

/* ISA-specific attacks beyond those uhostile.c names: X(function, expected
 * wait() status, what), each run in its own child. None for x86. */
#define ATTACK_ISA_EXTRAS(X)

#endif
