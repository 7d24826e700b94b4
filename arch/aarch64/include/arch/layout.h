/*
 * arch/aarch64 virtual layout of an mmkit kernel (and of the simulator's
 * model of one): what the kernel and the simulator need, not mm-core
 * (which reads <arch/pte.h> and <arch/abi.h>). Everything here lives in
 * the TTBR1_EL1 half. Physical memory is direct-mapped at the start of the
 * kernel half; the kernel image runs in the top 4 GiB, at its physical
 * address plus ARCH_KERNEL_IMAGE_BASE (QEMU's virt machine puts RAM at
 * 1 GiB).
 */
#ifndef ARCH_AARCH64_LAYOUT_H
#define ARCH_AARCH64_LAYOUT_H

#include <arch/abi.h>

#define ARCH_DIRECT_MAP_BASE UINT64_C(0xFFFF800000000000)
#define ARCH_DIRECT_MAP_MAX  (UINT64_C(1) << 46) /* 64 TiB */
/* No high memory: the direct map reaches all the RAM the kernel uses. */
#define ARCH_HIGHMEM_END ARCH_DIRECT_MAP_MAX
/* The kernel image: linked at ARCH_KERNEL_IMAGE_BASE + its physical address. */
#define ARCH_KERNEL_IMAGE_BASE UINT64_C(0xFFFFFFFF00000000)
/* What the boot page tables map (1 GiB blocks) at the direct-map base,
 * until mm-core's kernel space takes over. */
#define ARCH_BOOT_MAP_BYTES UINT64_C(0x100000000)

#endif
