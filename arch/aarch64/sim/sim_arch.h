/* arch/aarch64 simulator settings. Read by the simulator only. */
#ifndef SIM_ARCH_AARCH64_H
#define SIM_ARCH_AARCH64_H

/* Every space gets an ASID of its own, as an aarch64 kernel with 16-bit
 * ASIDs (ID_AA64MMFR0_EL1.ASIDBits = 0b0010, TCR_EL1.AS = 1) gives them:
 * switches keep the TLB, and every change invalidates by VA and ASID. */
#define ARCH_SIM_ASIDS 65536u

#endif
