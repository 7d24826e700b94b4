/*
 * arch/riscv64 virtual layout of an mmkit kernel (and of the simulator's
 * model of one): what the kernels and the simulator need, not mm-core
 * (which reads <arch/pte.h> and <arch/abi.h>). Physical memory is
 * direct-mapped at the start of the kernel half; the kernel image runs in
 * the top 2 GiB, as Linux's does on RISC-V.
 */
#ifndef ARCH_RISCV64_LAYOUT_H
#define ARCH_RISCV64_LAYOUT_H

#include <arch/abi.h>

#define ARCH_DIRECT_MAP_BASE UINT64_C(0xFFFFFFC000000000)
#define ARCH_DIRECT_MAP_MAX  (UINT64_C(1) << 36) /* 64 GiB */
/* The kernel image: linked at ARCH_KERNEL_IMAGE_BASE + its physical address. */
#define ARCH_KERNEL_IMAGE_BASE UINT64_C(0xFFFFFFFF80000000)
/* What the boot page tables map (1 GiB pages) until mm-core's kernel space
 * takes over. */
#define ARCH_BOOT_MAP_BYTES UINT64_C(0x40000000)

#endif
