/*
 * arch/x86_64 virtual layout of an mmkit kernel (and of the simulator's
 * model of one). Physical memory is direct-mapped at ARCH_DIRECT_MAP_BASE,
 * the start of the kernel half, up to ARCH_DIRECT_MAP_MAX bytes; the kernel
 * image runs in the top 2 GiB (0xFFFFFFFF80000000).
 */
#ifndef ARCH_X86_64_LAYOUT_H
#define ARCH_X86_64_LAYOUT_H

#define ARCH_DIRECT_MAP_BASE UINT64_C(0xFFFF800000000000)
#define ARCH_DIRECT_MAP_MAX  (UINT64_C(1) << 46) /* 64 TiB */
#define ARCH_SIM_MMU_MODE    MMU_X86_PAGING_4LEVEL
#define ARCH_SIM_MAXPHYADDR  46u

#endif
