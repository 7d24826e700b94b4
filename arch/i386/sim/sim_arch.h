/* arch/i386 simulator settings: the x86 model in 32-bit paging (SDM Vol. 3A
 * §4.3) with a 32-bit physical address space. Read by the simulator only. */
#ifndef SIM_ARCH_I386_H
#define SIM_ARCH_I386_H

#define ARCH_SIM_MMU_MODE   MMU_X86_PAGING_32
#define ARCH_SIM_MAXPHYADDR 32u
/* No PCIDs: CR4.PCIDE can be set only in IA-32e mode (SDM Vol. 3A §4.10.1). */
#define ARCH_SIM_PCIDS 0u

#endif
