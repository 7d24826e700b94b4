/* arch/riscv64 simulator settings: the RISC-V model in Sv39. Read by the
 * simulator only. */
#ifndef SIM_ARCH_RISCV64_H
#define SIM_ARCH_RISCV64_H

#define ARCH_SIM_MMU_MODE MMU_RV_SV39

#endif
