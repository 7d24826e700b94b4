/*
 * The boot information of a machine whose firmware hands the kernel a
 * devicetree (riscv64 under OpenSBI, aarch64 on QEMU's virt machine):
 * RAM, reservations and the command line, read through the boot mapping.
 * Source: the Devicetree Specification v0.4 (through kernel/core/fdt.c).
 */
#include <kernel/arch.h>
#include <kernel/fdt.h>
#include <kernel/kernel.h>

#include <arch/layout.h>

static void copy_ranges(struct boot_range *out, unsigned *n, const struct fdt_range *r, size_t k)
{
	for (size_t i = 0; i < k && *n < BOOT_MAX_RANGES; i++)
		out[(*n)++] = (struct boot_range){ r[i].base, r[i].size };
}

void fdt_boot_info(uintptr_t dtb_pa, struct boot_info *bi)
{
	*bi = (struct boot_info){ .source = "devicetree" };
	if (dtb_pa == 0 || dtb_pa >= ARCH_BOOT_MAP_BYTES)
		panic("no devicetree from the boot loader (at 0x%llx)", (unsigned long long)dtb_pa);
	const void *dtb = phys_to_virt(dtb_pa);
	/* The header says how long the blob is; it must lie in the boot map. */
	size_t len = fdt_totalsize(dtb, (size_t)(ARCH_BOOT_MAP_BYTES - dtb_pa));
	if (len == 0)
		panic("the devicetree at 0x%llx is not one", (unsigned long long)dtb_pa);
	struct fdt_range r[BOOT_MAX_RANGES];
	size_t k;
	int err = fdt_memory(dtb, len, r, BOOT_MAX_RANGES, &k);
	if (err)
		panic("devicetree memory nodes: error %d", err);
	copy_ranges(bi->ram, &bi->nram, r, k);
	err = fdt_reserved(dtb, len, r, BOOT_MAX_RANGES - 1, &k);
	if (err)
		panic("devicetree reservations: error %d", err);
	copy_ranges(bi->reserved, &bi->nreserved, r, k);
	/* The blob itself, which this kernel reads no more after boot but
	 * does not copy: keep it. */
	bi->reserved[bi->nreserved++] = (struct boot_range){ dtb_pa, len };
	if (fdt_bootargs(dtb, len, bi->cmdline, sizeof(bi->cmdline)) != 0)
		bi->cmdline[0] = 0;
}
