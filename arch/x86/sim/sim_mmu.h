/*
 * The x86 MMU model's state, as the simulator holds it (see sim/src/mmu.h):
 * the control registers of arch/x86/sim/mmu_x86.h. Shared by i386 and
 * x86_64; the paging mode comes from the ISA's <sim_arch.h>.
 */
#ifndef SIM_MMU_X86_STATE_H
#define SIM_MMU_X86_STATE_H

#include "mmu_x86.h"

struct sim_mmu {
	struct mmu_x86_regs regs;
	uint32_t pcid; /* CR3[11:0] with CR4.PCIDE = 1 (x86_64 only): the TLB's tag */
};

#endif
