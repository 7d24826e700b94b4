/*
 * The aarch64 boot page tables, built with the MMU off (boot.S), at the
 * image's physical address: this file must not use absolute addresses
 * (the small code model reaches its data with adrp, PC-relative), and
 * writes only its own static tables.
 *
 * Leaves are 1 GiB blocks at Arm level 1 (mmkit level 2), with AF set
 * (no Access flag fault) and global. Physical 0 to ARCH_BOOT_MAP_BYTES is
 * mapped at 0 through TTBR0_EL1 (the identity, to survive turning the MMU
 * on), and through TTBR1_EL1 at ARCH_DIRECT_MAP_BASE and, for the
 * gigabytes of RAM that hold the image, at ARCH_KERNEL_IMAGE_BASE. The
 * first gigabyte, where the virt machine has its devices (the PL011 at
 * 0x09000000, which kmain() prints to before mm-core is up), is
 * Device-nGnRnE (MAIR_EL1 attribute 1), never executable; the rest is
 * Normal write-back memory (attribute 0).
 * Source: ARM DDI 0487, D8.3 "Translation table descriptor formats"
 * (block descriptors), D8.5 "Memory region attributes".
 */
#include <arch/layout.h>
#include <arch/pte.h>

#include <stdint.h>

/** struct boot_roots - what boot.S loads into TTBR0_EL1 and TTBR1_EL1 (x0, x1). */
struct boot_roots {
	uint64_t ttbr0, ttbr1;
};

struct boot_roots boot_tables(void);

#define GIGA_LEVEL 2u
#define NTABLES    5u /* two roots, an Arm level-1 table under each root entry used */
#define RAM_BASE   UINT64_C(0x40000000)

static arch_pte_t tables[NTABLES][ARCH_ENTRIES] __attribute__((aligned(4096)));
static unsigned used;

static void map_giga(arch_pte_t *root, uint64_t va, uint64_t pa)
{
	arch_pte_t *t = root;
	for (unsigned level = ARCH_LEVELS - 1; level > GIGA_LEVEL; level--) {
		arch_pte_t *e = &t[arch_pte_index(va, level)];
		if (!(*e & AARCH64_PTE_VALID))
			*e = (uint64_t)(uintptr_t)tables[++used] | AARCH64_PTE_VALID |
			     AARCH64_PTE_TABLE;
		t = (arch_pte_t *)(uintptr_t)(*e & AARCH64_PTE_ADDR);
	}
	arch_pte_t attr = pa < RAM_BASE
	                          ? AARCH64_ATTR_DEVICE | AARCH64_PTE_PXN | AARCH64_PTE_UXN
	                          : AARCH64_ATTR_NORMAL | AARCH64_PTE_SH_INNER | AARCH64_PTE_UXN;
	t[arch_pte_index(va, GIGA_LEVEL)] = pa | AARCH64_PTE_VALID | AARCH64_PTE_AF | attr;
}

/**
 * boot_tables() - build the boot tables (above), with the MMU off, at the
 * image's physical address. Return: the physical addresses of the roots
 * boot.S loads into TTBR0_EL1 (x0) and TTBR1_EL1 (x1).
 */
struct boot_roots boot_tables(void)
{
	for (unsigned i = 0; i < NTABLES; i++)
		for (unsigned j = 0; j < ARCH_ENTRIES; j++)
			tables[i][j] = 0;
	arch_pte_t *lo = tables[0], *hi = tables[1];
	used = 1;
	const uint64_t giga = UINT64_C(1) << 30;
	for (uint64_t pa = 0; pa < ARCH_BOOT_MAP_BYTES; pa += giga) {
		map_giga(lo, pa, pa);
		map_giga(hi, ARCH_DIRECT_MAP_BASE + pa, pa);
		if (pa >= RAM_BASE) /* RAM, where the image is */
			map_giga(hi, ARCH_KERNEL_IMAGE_BASE + pa, pa);
	}
	return (struct boot_roots){ (uint64_t)(uintptr_t)lo, (uint64_t)(uintptr_t)hi };
}
