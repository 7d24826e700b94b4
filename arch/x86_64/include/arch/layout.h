/*
 * arch/x86_64 virtual layout of an mmkit kernel (and of the simulator's
 * model of one): what the kernels and the simulator need, not mm-core
 * (which reads <arch/pte.h> and <arch/abi.h>). Physical memory is direct-mapped at
 * ARCH_DIRECT_MAP_BASE, the start of the kernel half, up to ARCH_DIRECT_MAP_MAX bytes; the kernel
 * image runs in the top 2 GiB (0xFFFFFFFF80000000).
 */
#ifndef ARCH_X86_64_LAYOUT_H
#define ARCH_X86_64_LAYOUT_H

#include <arch/abi.h>

#define ARCH_DIRECT_MAP_BASE UINT64_C(0xFFFF800000000000)
#define ARCH_DIRECT_MAP_MAX  (UINT64_C(1) << 46) /* 64 TiB */
/* No high memory: the direct map reaches all the RAM the kernel uses. */
#define ARCH_HIGHMEM_END ARCH_DIRECT_MAP_MAX
/* The kernel image: linked at ARCH_KERNEL_IMAGE_BASE + its physical address. */
#define ARCH_KERNEL_IMAGE_BASE UINT64_C(0xFFFFFFFF80000000)
/* What the boot page tables map (2 MiB pages), at 0, at the direct-map base
 * and at the image base, until mm-core's kernel space takes over. */
#define ARCH_BOOT_MAP_BYTES UINT64_C(0x40000000)

#endif
