/*
 * arch/aarch64 user ABI, as mm-core's ELF loader (mm_exec()) needs it.
 * Linux arm64 gives user space 48 bits (TASK_SIZE 2^48); mmkit's user half
 * is the lower 2^47 bytes, as on x86_64 (ARCH_USER_END), so the stack top
 * and the PIE base (two thirds of the user half, as Linux's
 * ELF_ET_DYN_BASE) are x86_64's values.
 */
#ifndef ARCH_AARCH64_ABI_H
#define ARCH_AARCH64_ABI_H

#include <mm/types.h>

/* The initial user stack top (the stack grows down from it). */
#define ARCH_USER_STACK_TOP UINT64_C(0x00007FFFFFFFF000)
/* ELF class and machine of the executables mm_exec() accepts. */
#define ARCH_ELF_CLASS   2   /* ELFCLASS64 */
#define ARCH_ELF_MACHINE 183 /* EM_AARCH64 */
/* Where a position-independent executable (ET_DYN) is loaded. */
#define ARCH_ELF_DYN_BASE UINT64_C(0x0000555555554000)

#endif
