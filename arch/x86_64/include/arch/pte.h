/*
 * arch/x86_64 page-table format: 4-level paging, 4 levels of 512 eight-byte
 * entries, 4 KiB pages, a 48-bit virtual address space, execute-disable
 * (IA32_EFER.NXE=1). The format itself is shared with i386 PAE:
 * arch/x86/include/x86_pte64.h (SDM Vol. 3A §4.5).
 */
#ifndef ARCH_X86_64_PTE_H
#define ARCH_X86_64_PTE_H

#if defined(MM_TABLES_RECURSIVE) && MM_TABLES_RECURSIVE
#error "x86_64 has no recursive table mapping (ARCH_RECURSIVE_SLOT, arch_recursive_table_va()): only i386 does; build with -Dtables=direct"
#endif

#define ARCH_NAME         "x86_64"
#define X86_PAGING_LEVELS 4u
#define ARCH_LEVEL_NAMES                                                                           \
	{                                                                                          \
		"PT", "PD", "PDPT", "PML4"                                                         \
	}

#include "../../../x86/include/x86_pte64.h"

_Static_assert(ARCH_VA_BITS == 48, "4-level paging");

#endif
