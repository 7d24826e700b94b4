/*
 * x86_64 kernel CPU interface: the trap frame built by trap.S, segment
 * selectors, and what the common kernel needs to know about them.
 */
#ifndef ARCH_X86_64_KERNEL_CPU_H
#define ARCH_X86_64_KERNEL_CPU_H

#include <stdint.h>

/* Selectors: GDT index << 3 | RPL (SDM Vol. 3A §3.4.2). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS   0x28

/* What trap.S pushes, lowest address first. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rdx, rcx, rbx, rax;
	uint64_t vector, err;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (always, in 64-bit mode) */
};

#define TF_PC(tf)        ((tf)->rip)
#define TF_SP(tf)        ((tf)->rsp)
#define TF_RET(tf)       ((tf)->rax)
#define TF_FROM_USER(tf) (((tf)->cs & 3) == 3)
/* System call (int 0x80): number in RAX, arguments in RDI, RSI, RDX. */
#define TF_SYSNO(tf) ((tf)->rax)
#define TF_ARG0(tf)  ((tf)->rdi)
#define TF_ARG1(tf)  ((tf)->rsi)
#define TF_ARG2(tf)  ((tf)->rdx)

/* A new user thread: entry, stack, and one argument for main (in RDI). */
static inline void tf_init_user(struct trapframe *tf, uintptr_t pc, uintptr_t sp, uintptr_t arg)
{
	*tf = (struct trapframe){ .rdi = arg,
		                  .rip = pc,
		                  .cs = SEL_UCODE,
		                  .rflags = 0x202, /* IF */
		                  .rsp = sp,
		                  .ss = SEL_UDATA };
}

/* Saved by swtch(), lowest address first; then the return address. */
struct switch_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp, ret;
};

/* One instruction that returns: ret (C3). */
#define ARCH_RET_INSN                                                                              \
	{                                                                                          \
		0xC3                                                                               \
	}
/* The register that holds a space's root, for messages. */
#define ARCH_ROOT_REG "CR3"
/* Was a process (exit status @st) killed by a page fault (vector 14)? */
#define ARCH_KILLED_BY_PF(st) ((st) == (EXIT_KILLED | 14))

#endif
