/*
 * arch/i386-pae page-table format: PAE paging, 3 levels (a PDPT of four
 * entries, then 512-entry PDs and PTs), eight-byte entries, 4 KiB pages, a
 * 32-bit virtual address space, physical addresses above 4 GiB and
 * execute-disable (IA32_EFER.NXE=1). The entry format is shared with
 * x86_64: arch/x86/include/x86_pte64.h (SDM Vol. 3A §4.4).
 *
 * A third x86 format rather than a variant of arch/i386: its entries are
 * twice as wide and its geometry differs at every level, so nothing of
 * 32-bit paging's format is shared; the user ABI and the kernel are the
 * i386 ones.
 */
#ifndef ARCH_I386_PAE_PTE_H
#define ARCH_I386_PAE_PTE_H

#if defined(MM_TABLES_RECURSIVE) && MM_TABLES_RECURSIVE
#error "i386-pae has no recursive table mapping (ARCH_RECURSIVE_SLOT, arch_recursive_table_va()): only i386 does; build with -Dtables=direct"
#endif

#define ARCH_NAME         "i386-pae"
#define X86_PAGING_LEVELS 3u
#define ARCH_LEVEL_NAMES                                                                           \
	{                                                                                          \
		"PT", "PD", "PDPT"                                                                 \
	}

#include "../../../x86/include/x86_pte64.h"

_Static_assert(ARCH_VA_BITS == 32 && ARCH_ROOT_ENTRIES == 4, "PAE paging");

#endif
