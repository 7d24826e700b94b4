/*
 * arch/riscv64-sv48 virtual layout of an mmkit kernel (and of the simulator's
 * model of one): what the kernels and the simulator need, not mm-core
 * (which reads <arch/pte.h> and <arch/abi.h>). Physical memory is
 * direct-mapped at the start of the kernel half; the kernel image runs in
 * the top 2 GiB, as Linux's does on RISC-V.
 */
#ifndef ARCH_RISCV64_SV48_LAYOUT_H
#define ARCH_RISCV64_SV48_LAYOUT_H

#include <arch/abi.h>

#define ARCH_DIRECT_MAP_BASE UINT64_C(0xFFFF800000000000)
#define ARCH_DIRECT_MAP_MAX  (UINT64_C(1) << 46) /* 64 TiB */
/* No high memory: the direct map reaches all the RAM the kernel uses. */
#define ARCH_HIGHMEM_END ARCH_DIRECT_MAP_MAX
/* The kernel image: linked at ARCH_KERNEL_IMAGE_BASE + its physical
 * address. RAM starts at 2 GiB on QEMU's virt machine, where OpenSBI
 * enters the kernel at 0x80200000: it runs at 0xFFFFFFFF80200000, in the
 * top 2 GiB (arch/riscv/kernel/linker.ld). */
#define ARCH_KERNEL_IMAGE_BASE UINT64_C(0xFFFFFFFF00000000)
/* What the boot page tables map (1 GiB pages: physical 0 to 4 GiB, the
 * devices and the first 2 GiB of RAM) at the direct-map base, until
 * mm-core's kernel space takes over (arch/riscv/kernel/boot.c). */
#define ARCH_BOOT_MAP_BYTES UINT64_C(0x100000000)

#endif
