/*
 * The aarch64 MMU model's state, as the simulator holds it (see
 * sim/src/sim_mmu_api.h): the registers of arch/aarch64/sim/mmu_aarch64.h.
 */
#ifndef SIM_MMU_AARCH64_STATE_H
#define SIM_MMU_AARCH64_STATE_H

#include "mmu_aarch64.h"

struct sim_mmu {
	struct mmu_a64_regs regs;
};

#endif
