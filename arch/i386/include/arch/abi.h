/*
 * arch/i386 user ABI, as mm-core's ELF loader (mm_exec()) needs it: the
 * ELF class and machine it accepts, where a position-independent
 * executable is loaded, and the initial stack top. Linux's values.
 */
#ifndef ARCH_I386_ABI_H
#define ARCH_I386_ABI_H

#include <mm/types.h>

/* The initial user stack top (the stack grows down from it). */
#define ARCH_USER_STACK_TOP UINT64_C(0xBFFFF000)
/* ELF class and machine of the executables mm_exec() accepts. */
#define ARCH_ELF_CLASS   1 /* ELFCLASS32 */
#define ARCH_ELF_MACHINE 3 /* EM_386 */
/* Where a position-independent executable (ET_DYN) is loaded. */
#define ARCH_ELF_DYN_BASE UINT64_C(0x56555000)

#endif
