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
/* The kernel image: linked at ARCH_KERNEL_IMAGE_BASE + its physical address. */
#define ARCH_KERNEL_IMAGE_BASE UINT64_C(0xFFFFFFFF80000000)
/* What the boot page tables map (2 MiB pages), at 0, at the direct-map base
 * and at the image base, until mm-core's kernel space takes over. */
#define ARCH_BOOT_MAP_BYTES UINT64_C(0x40000000)
/* User processes: initial stack top (grows down), and the ELF class. */
#define ARCH_USER_STACK_TOP UINT64_C(0x00007FFFFFFFF000)
#define ARCH_ELF_CLASS      2  /* ELFCLASS64 */
#define ARCH_ELF_MACHINE    62 /* EM_X86_64 */
/* Where a position-independent executable (ET_DYN) is loaded, as Linux does. */
#define ARCH_ELF_DYN_BASE   UINT64_C(0x0000555555554000)
#define ARCH_SIM_MMU_MODE   MMU_X86_PAGING_4LEVEL
#define ARCH_SIM_MAXPHYADDR 46u

#endif
