/*
 * An aarch64 MMU model: VMSAv8-64 stage 1 translation of the EL1&0
 * regime with the 4 KiB granule and 48-bit virtual addresses, written from
 * the Arm Architecture Reference Manual for A-profile (Arm ARM), chapter
 * D8 "The AArch64 Virtual Memory System Architecture" (translation table
 * walks, descriptor formats, access permissions, the Access flag, the
 * fault status codes) and D17 (ESR_EL1, FAR_EL1), and nothing else. It is
 * the simulator's oracle for the aarch64 port: it reads raw descriptors
 * from simulated physical memory and never calls mm-core or <arch/pte.h>.
 *
 * Levels are Arm's: level 0 is the root (VA[47:39]), level 3 holds pages
 * (VA[20:12]). Two roots: TTBR0_EL1 for VA[63:48] all zeros, TTBR1_EL1 for
 * all ones (TCR_EL1.T0SZ = T1SZ = 16); any other VA is a level 0
 * Translation fault (TBI0 = TBI1 = 0: no tagged addresses).
 *
 * Modelled: table, block (levels 1 and 2) and page descriptors; block
 * descriptors at level 0 and level-3 descriptors with bits[1:0] = 01 as
 * Translation faults; output addresses beyond the physical-address size
 * (TCR_EL1.IPS) as Address size faults; AP[2:1], PXN, UXN, the hierarchical
 * APTable, PXNTable and UXNTable; "a region writable at EL0 is never
 * executable at EL1" (PXN treated as 1); SCTLR_EL1.WXN (writable implies
 * XN at every EL) and PSTATE.PAN (EL1 data accesses to EL0-accessible
 * pages fault), each as a switch; the Access flag: an Access flag fault
 * when AF is 0, or, with FEAT_HAFDBS's TCR_EL1.HA, AF set by the walk;
 * nG; the fault syndrome: ESR_EL1's EC (0x20/0x21 instruction abort, 0x24/
 * 0x25 data abort, from EL0 or EL1), IL, WnR and the DFSC/IFSC with the
 * level, and FAR_EL1.
 * Not modelled: the dirty state (TCR_EL1.HD, DBM), the Contiguous hint
 * (ignored, as the manual allows), memory attributes and shareability
 * (read, never judged), the 16 KiB and 64 KiB granules, 52-bit addresses,
 * TBI, EPD0/EPD1, stage 2 and the EL2/EL3 regimes.
 */
#ifndef MMU_AARCH64_H
#define MMU_AARCH64_H

#include <stdbool.h>
#include <stdint.h>

/** struct mmu_a64_regs - the system-register state that shapes translation. */
struct mmu_a64_regs {
	uint64_t ttbr0;   /* TTBR0_EL1.BADDR: the user root (physical) */
	uint64_t ttbr1;   /* TTBR1_EL1.BADDR: the kernel root (physical) */
	uint16_t asid;    /* TTBR0_EL1.ASID (TCR_EL1.A1 = 0): the TLB's business */
	bool pan;         /* PSTATE.PAN: EL1 loads/stores to EL0-accessible pages fault */
	bool wxn;         /* SCTLR_EL1.WXN: a writable region is never executable */
	bool ha;          /* TCR_EL1.HA (FEAT_HAFDBS): the walk sets AF; else AF=0 faults */
	unsigned pa_bits; /* TCR_EL1.IPS as a width: 32 to 48 */
};

/* Access kinds (flags). */
enum {
	MMU_A64_ACC_WRITE = 1u << 0, /* a store; else a load */
	MMU_A64_ACC_EL0 = 1u << 1,   /* an access from EL0; else EL1 */
	MMU_A64_ACC_FETCH = 1u << 2, /* an instruction fetch */
};

/* ESR_EL1.EC values (Arm ARM D17, ESR_EL1). */
enum {
	MMU_A64_EC_IABT_LOWER = 0x20, /* Instruction Abort from a lower EL */
	MMU_A64_EC_IABT_CUR = 0x21,   /* Instruction Abort, same EL */
	MMU_A64_EC_DABT_LOWER = 0x24, /* Data Abort from a lower EL */
	MMU_A64_EC_DABT_CUR = 0x25,   /* Data Abort, same EL */
};

/* DFSC/IFSC fault types, before the level is added (Arm ARM D17, ISS
 * encoding for an exception from a Data Abort: 0b0000LL and so on). */
enum {
	MMU_A64_FSC_ADDR_SIZE = 0x00,   /* Address size fault, level LL */
	MMU_A64_FSC_TRANSLATION = 0x04, /* Translation fault, level LL */
	MMU_A64_FSC_ACCESS_FLAG = 0x08, /* Access flag fault, level LL */
	MMU_A64_FSC_PERMISSION = 0x0C,  /* Permission fault, level LL */
	MMU_A64_FSC_EXT_WALK = 0x14,    /* Synchronous External abort on a walk, level LL */
};

/** mmu_a64_phys_fn - a host pointer to the 8 bytes at physical @pa, or NULL
 * if no memory is there (a synchronous External abort on the walk). */
typedef void *(*mmu_a64_phys_fn)(void *ctx, uint64_t pa);

/** struct mmu_a64_result - the outcome of one translation. */
struct mmu_a64_result {
	bool ok;
	bool external;                    /* !ok: a descriptor address had no memory behind it */
	uint32_t esr;                     /* !ok: ESR_EL1 (EC, IL, WnR, DFSC/IFSC) */
	uint32_t fsc;                     /* !ok: the DFSC/IFSC alone (type + level) */
	uint64_t far;                     /* !ok: FAR_EL1, the faulting virtual address */
	uint64_t pa;                      /* the byte's physical address */
	uint64_t page_base_va, page_size; /* 4 KiB page, 2 MiB or 1 GiB block */
	/* Rights of the whole walk (hierarchical controls applied). */
	bool el0_read, el0_write, el0_exec; /* at EL0 */
	bool el1_read, el1_write, el1_exec; /* at EL1 (PAN not applied) */
	bool global;                        /* nG = 0 */
	bool af;                            /* the leaf's AF is (now) 1 */
	unsigned levels;                    /* descriptors read */
};

/* Walk flags. */
enum {
	MMU_A64_WALK_SET_AF = 1u << 0,   /* with ha: set AF in the leaf when the access succeeds */
	MMU_A64_WALK_NO_CHECK = 1u << 1, /* no permission or AF check: report the rights */
};

/**
 * mmu_a64_translate() - translate @va for an access of kind @acc, as the
 * stage 1 EL1&0 walk of Arm ARM D8 does it.
 * With MMU_A64_WALK_SET_AF and regs->ha, AF is set in the leaf, only when
 * the translation succeeds. With MMU_A64_WALK_NO_CHECK a valid leaf
 * translates whatever its permissions and AF (for probes).
 * Return: res->ok; else res->esr, res->fsc and res->far say why.
 */
bool mmu_a64_translate(const struct mmu_a64_regs *regs, mmu_a64_phys_fn phys, void *ctx,
                       uint64_t va, unsigned acc, unsigned flags, struct mmu_a64_result *res);

/**
 * mmu_a64_rights_allow() - do the rights of a walk (@res's el0_* and el1_*
 * fields) allow an access of kind @acc under @regs (PAN)? The permission
 * check of the walk, for TLB hits alike.
 */
bool mmu_a64_rights_allow(const struct mmu_a64_regs *regs, const struct mmu_a64_result *res,
                          unsigned acc);

#endif
