/*
 * arch/x86_64 user ABI, as mm-core's ELF loader (mm_exec()) needs it: the
 * ELF class and machine it accepts, where a position-independent
 * executable is loaded, and the initial stack top. Linux's values.
 */
#ifndef ARCH_X86_64_ABI_H
#define ARCH_X86_64_ABI_H

#include <mm/types.h>

/* The initial user stack top (the stack grows down from it). */
#define ARCH_USER_STACK_TOP UINT64_C(0x00007FFFFFFFF000)
/* ELF class and machine of the executables mm_exec() accepts. */
#define ARCH_ELF_CLASS   2  /* ELFCLASS64 */
#define ARCH_ELF_MACHINE 62 /* EM_X86_64 */
/* Where a position-independent executable (ET_DYN) is loaded. */
#define ARCH_ELF_DYN_BASE UINT64_C(0x0000555555554000)

#endif
