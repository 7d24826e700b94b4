/*
 * arch/i386 virtual layout of an mmkit kernel (and of the simulator's
 * model of one): what the kernels and the simulator need, not mm-core
 * (which reads <arch/pte.h> and <arch/abi.h>). Physical memory is direct-mapped at
 * ARCH_DIRECT_MAP_BASE (the kernel image lives there too, at 0xC0100000), up to ARCH_DIRECT_MAP_MAX
 * bytes; RAM above it, up to ARCH_HIGHMEM_END, is high memory.
 */
#ifndef ARCH_I386_LAYOUT_H
#define ARCH_I386_LAYOUT_H

#include <arch/abi.h>

#define ARCH_DIRECT_MAP_BASE UINT64_C(0xC0000000)
#define ARCH_DIRECT_MAP_MAX  UINT64_C(0x38000000) /* 896 MiB */
/* RAM up to here is used (a kernel gives it to mm-core): what lies above
 * ARCH_DIRECT_MAP_MAX is high memory, for user frames only, which the
 * kernel reaches through two temporary mappings at ARCH_KMAP_BASE (just
 * above the direct map's reach, inside one leaf table: mm_kernel_window()). */
#define ARCH_HIGHMEM_END UINT64_C(0x100000000) /* 4 GiB: a 32-bit PTE's frame address */
#define ARCH_KMAP_BASE   UINT64_C(0xF8000000)
/* The kernel image: linked at ARCH_KERNEL_IMAGE_BASE + its physical address. */
#define ARCH_KERNEL_IMAGE_BASE UINT64_C(0xC0000000)
/* What the boot page tables map (4 MiB PSE pages), at 0 and at the
 * direct-map base, until mm-core's kernel space takes over. */
#define ARCH_BOOT_MAP_BYTES UINT64_C(0x40000000)

#endif
