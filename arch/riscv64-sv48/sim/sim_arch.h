/* arch/riscv64-sv48 simulator settings: the RISC-V model in Sv48. Read by the
 * simulator only. */
#ifndef SIM_ARCH_RISCV64_SV48_H
#define SIM_ARCH_RISCV64_SV48_H

#define ARCH_SIM_MMU_MODE MMU_RV_SV48

#endif
