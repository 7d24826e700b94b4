/* arch/x86_64 simulator settings: the x86 model in 4-level paging (SDM Vol.
 * 3A §4.5) with MAXPHYADDR 46. Read by the simulator only. */
#ifndef SIM_ARCH_X86_64_H
#define SIM_ARCH_X86_64_H

#define ARCH_SIM_MMU_MODE   MMU_X86_PAGING_4LEVEL
#define ARCH_SIM_MAXPHYADDR 46u
/* 12-bit PCIDs in CR3[11:0] with CR4.PCIDE = 1 (SDM Vol. 3A §4.10.1). */
#define ARCH_SIM_PCIDS 4096u

#endif
