/*
 * arch/riscv64-sv48 user ABI, as mm-core's ELF loader (mm_exec()) needs it:
 * Linux's values for RV64 with Sv48 (TASK_SIZE is the user half; PIEs load
 * at two thirds of it, as ELF_ET_DYN_BASE).
 */
#ifndef ARCH_RISCV64_SV48_ABI_H
#define ARCH_RISCV64_SV48_ABI_H

#include <mm/types.h>

/* The initial user stack top (the stack grows down from it). */
#define ARCH_USER_STACK_TOP UINT64_C(0x00007FFFFFFFF000)
/* ELF class and machine of the executables mm_exec() accepts. */
#define ARCH_ELF_CLASS   2   /* ELFCLASS64 */
#define ARCH_ELF_MACHINE 243 /* EM_RISCV */
/* Where a position-independent executable (ET_DYN) is loaded. */
#define ARCH_ELF_DYN_BASE UINT64_C(0x0000555555554000)

#endif
