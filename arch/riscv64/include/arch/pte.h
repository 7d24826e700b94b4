/*
 * arch/riscv64 page-table format: RISC-V Sv39, 3 levels of 512 eight-byte
 * entries, 4 KiB pages, a 39-bit virtual address space. The format itself
 * is shared with the other RISC-V port: arch/riscv/include/riscv_pte.h.
 */
#ifndef ARCH_RISCV64_PTE_H
#define ARCH_RISCV64_PTE_H

#if defined(MM_TABLES_RECURSIVE) && MM_TABLES_RECURSIVE
#error "riscv64 has no recursive table mapping (ARCH_RECURSIVE_SLOT, arch_recursive_table_va()): only i386 does; build with -Dtables=direct"
#endif

#define ARCH_NAME    "riscv64"
#define RISCV_LEVELS 3u
#define ARCH_LEVEL_NAMES                                                                           \
	{                                                                                          \
		"L0", "L1", "L2"                                                                   \
	}

#include "../../../riscv/include/riscv_pte.h"

_Static_assert(ARCH_VA_BITS == 39, "Sv39");

#endif
