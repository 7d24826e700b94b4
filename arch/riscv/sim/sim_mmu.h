/*
 * The RISC-V MMU model's state, as the simulator holds it (see
 * sim/src/sim_mmu_api.h): the registers of arch/riscv/sim/mmu_riscv.h.
 * Shared by riscv64 (Sv39) and riscv64-sv48; the mode comes from the
 * ISA's <sim_arch.h>.
 */
#ifndef SIM_MMU_RISCV_STATE_H
#define SIM_MMU_RISCV_STATE_H

#include "mmu_riscv.h"

struct sim_mmu {
	struct mmu_rv_regs regs;
};

#endif
