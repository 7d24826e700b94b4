/*
 * arch/template: the user ABI mm-core's ELF loader (mm_exec()) needs, for
 * the example port of <arch/pte.h>. A real port takes Linux's values for
 * its ISA (the loader lays out the initial stack as Linux does).
 */
#ifndef ARCH_TEMPLATE_ABI_H
#define ARCH_TEMPLATE_ABI_H

#include <mm/types.h>

/* The initial user stack top, page aligned, below ARCH_USER_END. */
#define ARCH_USER_STACK_TOP UINT64_C(0x0000003FFFFFF000)
/* ELF class (1: ELFCLASS32, 2: ELFCLASS64) and e_machine of the executables
 * mm_exec() accepts. */
#define ARCH_ELF_CLASS   2
#define ARCH_ELF_MACHINE 0 /* EM_NONE: the template runs nothing */
/* Where a position-independent executable (ET_DYN) is loaded. */
#define ARCH_ELF_DYN_BASE UINT64_C(0x0000002AAAAAA000)

#endif
