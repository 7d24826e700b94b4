/*
 * The riscv64 boot page tables, built before paging is on (boot.S), at the
 * image's physical address: this file must not use absolute addresses
 * (-mcmodel=medany keeps every reference to its data PC-relative), and
 * writes only its own static tables.
 *
 * Leaves are 1 GiB pages at level 2 (Sv39: in the root; Sv48: one level
 * down), with A and D set so that no hardware A/D update is needed
 * (Privileged spec §4.3.1, §4.3.2 step 7). Physical 0 to
 * ARCH_BOOT_MAP_BYTES is mapped at 0, at ARCH_DIRECT_MAP_BASE, and (the
 * gigabytes that hold the image) at ARCH_KERNEL_IMAGE_BASE.
 */
#include <arch/layout.h>
#include <arch/pte.h>

#include <stdint.h>

uint64_t boot_satp(void);

#define GIGA_LEVEL 2u
#define NTABLES    4u /* Sv48: the root and one level-2 table per root entry used */

static arch_pte_t tables[NTABLES][ARCH_ENTRIES] __attribute__((aligned(4096)));
static unsigned used;

static unsigned index_of(uint64_t va, unsigned level)
{
	return (unsigned)(va >> (ARCH_PAGE_SHIFT + level * ARCH_INDEX_BITS)) & (ARCH_ENTRIES - 1);
}

static void map_giga(uint64_t va, uint64_t pa)
{
	arch_pte_t *t = tables[0];
	for (unsigned level = ARCH_LEVELS - 1; level > GIGA_LEVEL; level--) {
		arch_pte_t *e = &t[index_of(va, level)];
		if (!(*e & RISCV_PTE_V)) {
			arch_pte_t *next = tables[++used];
			*e = (((uint64_t)(uintptr_t)next >> ARCH_PAGE_SHIFT)
			      << RISCV_PTE_PPN_SHIFT) |
			     RISCV_PTE_V;
		}
		t = (arch_pte_t *)(uintptr_t)(((*e >> RISCV_PTE_PPN_SHIFT) & RISCV_PTE_PPN_MASK)
		                              << ARCH_PAGE_SHIFT);
	}
	t[index_of(va, GIGA_LEVEL)] = ((pa >> ARCH_PAGE_SHIFT) << RISCV_PTE_PPN_SHIFT) |
	                              RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_X |
	                              RISCV_PTE_A | RISCV_PTE_D;
}

/* Returns the satp value that turns these tables on (mode, ASID 0, root PPN). */
uint64_t boot_satp(void)
{
	for (unsigned i = 0; i < NTABLES; i++)
		for (unsigned j = 0; j < ARCH_ENTRIES; j++)
			tables[i][j] = 0;
	used = 0;
	const uint64_t giga = UINT64_C(1) << 30;
	for (uint64_t pa = 0; pa < ARCH_BOOT_MAP_BYTES; pa += giga) {
		map_giga(pa, pa);
		map_giga(ARCH_DIRECT_MAP_BASE + pa, pa);
		if (pa >= UINT64_C(0x80000000)) /* RAM, where the image is */
			map_giga(ARCH_KERNEL_IMAGE_BASE + pa, pa);
	}
	return ((uint64_t)RISCV_SATP_MODE << RISCV_SATP_MODE_SHIFT) |
	       ((uint64_t)(uintptr_t)tables[0] >> ARCH_PAGE_SHIFT);
}
