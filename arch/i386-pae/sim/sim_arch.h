/* arch/i386-pae simulator settings: the x86 model in PAE paging (SDM Vol. 3A
 * §4.4) with MAXPHYADDR 36 (what a PAE CPU without CPUID leaf 80000008H
 * has, §4.1.4). Read by the simulator only. */
#ifndef SIM_ARCH_I386_PAE_H
#define SIM_ARCH_I386_PAE_H

#define ARCH_SIM_MMU_MODE   MMU_X86_PAGING_PAE
#define ARCH_SIM_MAXPHYADDR 36u
/* No PCIDs: CR4.PCIDE can be set only in IA-32e mode (SDM Vol. 3A §4.10.1). */
#define ARCH_SIM_PCIDS 0u

#endif
