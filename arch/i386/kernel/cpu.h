/*
 * i386 kernel CPU interface: the trap frame built by trap.S, segment
 * selectors, and what the common kernel needs to know about them.
 */
#ifndef ARCH_I386_KERNEL_CPU_H
#define ARCH_I386_KERNEL_CPU_H

#include <stdint.h>

/* Selectors: GDT index << 3 | RPL (SDM Vol. 3A §3.4.2). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE (0x18 | 3)
#define SEL_UDATA (0x20 | 3)
#define SEL_TSS   0x28

/* What trap.S pushes, lowest address first. */
struct trapframe {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, oesp, ebx, edx, ecx, eax; /* pusha */
	uint32_t vector, err;
	uint32_t eip, cs, eflags; /* pushed by the CPU */
	uint32_t esp, ss;         /* pushed by the CPU on a privilege change */
};

#define TF_PC(tf)        ((tf)->eip)
#define TF_SP(tf)        ((tf)->esp)
#define TF_RET(tf)       ((tf)->eax)
#define TF_FROM_USER(tf) (((tf)->cs & 3) == 3)
/* System call: number in EAX, arguments in EBX, ECX, EDX (int 0x80). */
#define TF_SYSNO(tf) ((tf)->eax)
#define TF_ARG0(tf)  ((tf)->ebx)
#define TF_ARG1(tf)  ((tf)->ecx)
#define TF_ARG2(tf)  ((tf)->edx)

/* A new user thread: entry, stack, and one argument for main (in EAX). */
static inline void tf_init_user(struct trapframe *tf, uintptr_t pc, uintptr_t sp, uintptr_t arg)
{
	*tf = (struct trapframe){ .gs = SEL_UDATA,
		                  .fs = SEL_UDATA,
		                  .es = SEL_UDATA,
		                  .ds = SEL_UDATA,
		                  .eax = (uint32_t)arg,
		                  .eip = (uint32_t)pc,
		                  .cs = SEL_UCODE,
		                  .eflags = 0x202, /* IF */
		                  .esp = (uint32_t)sp,
		                  .ss = SEL_UDATA };
}

/* Saved by swtch(), lowest address first; then the return address. */
struct switch_frame {
	uint32_t edi, esi, ebx, ebp, ret;
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
