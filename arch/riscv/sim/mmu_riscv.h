/*
 * A RISC-V MMU model: Sv39 and Sv48 address translation as the hardware
 * does it, written from The RISC-V Instruction Set Manual, Volume II:
 * Privileged Architecture ("Sv39", "Sv48", "Virtual Address Translation
 * Process", "Memory Privilege in sstatus Register" for SUM and MXR, and
 * the Svade/Svadu rules for A and D) and nothing else. It is the
 * simulator's oracle for the riscv64 ports: it reads raw PTEs from
 * simulated physical memory and never calls mm-core or <arch/pte.h>.
 *
 * Modelled: V, R, W, X, U, G, A, D; leaves at any level with the
 * misaligned-superpage check; W-without-R and reserved bits 63:54 as page
 * faults (Svnapot's N and Svpbmt's PBMT are not modelled: a PTE using them
 * faults); D, A, U set in a non-leaf PTE as page faults; SUM and MXR; A/D
 * set by the hardware (Svadu) or a page fault when they are clear (Svade);
 * the exception causes 12, 13, 15 (page faults) and 1, 5, 7 (access
 * faults) with the faulting address as tval.
 * Not modelled: PMP/PMA (an entry address without RAM is an access fault),
 * Sv57, the hypervisor extension, Svnapot, Svpbmt.
 */
#ifndef MMU_RISCV_H
#define MMU_RISCV_H

#include <stdbool.h>
#include <stdint.h>

enum mmu_rv_mode {
	MMU_RV_SV39, /* satp.MODE = 8: 3 levels, 39-bit VA */
	MMU_RV_SV48, /* satp.MODE = 9: 4 levels, 48-bit VA */
};

/** struct mmu_rv_regs - the state that shapes translation. */
struct mmu_rv_regs {
	enum mmu_rv_mode mode;
	uint64_t satp_ppn; /* PPN of the root table */
	uint16_t asid;     /* satp.ASID (the TLB's business; the walk ignores it) */
	bool sum;          /* sstatus.SUM: S-mode loads/stores may touch U pages */
	bool mxr;          /* sstatus.MXR: loads may read execute-only pages */
	bool hw_ad;        /* Svadu: hardware sets A/D; else (Svade) clear A/D fault */
	unsigned pa_bits;  /* physical-address width, at most 56 */
};

/* Access kinds (flags). */
enum {
	MMU_RV_ACC_WRITE = 1u << 0, /* a store or AMO; else a load */
	MMU_RV_ACC_USER = 1u << 1,  /* U-mode; else S-mode */
	MMU_RV_ACC_FETCH = 1u << 2, /* an instruction fetch */
};

/* Exception causes (scause), Privileged spec Table "Supervisor cause". */
enum {
	MMU_RV_CAUSE_FETCH_ACCESS = 1,
	MMU_RV_CAUSE_LOAD_ACCESS = 5,
	MMU_RV_CAUSE_STORE_ACCESS = 7,
	MMU_RV_CAUSE_FETCH_PAGE = 12,
	MMU_RV_CAUSE_LOAD_PAGE = 13,
	MMU_RV_CAUSE_STORE_PAGE = 15,
};

/** mmu_rv_phys_fn - a host pointer to the 8 bytes at physical @pa, or NULL
 * if no memory is there (an access fault). */
typedef void *(*mmu_rv_phys_fn)(void *ctx, uint64_t pa);

/** struct mmu_rv_result - the outcome of one translation. */
struct mmu_rv_result {
	bool ok;
	bool access_fault;     /* a PTE address had no memory behind it */
	unsigned cause;        /* !ok: MMU_RV_CAUSE_* */
	uint64_t tval;         /* !ok: the faulting virtual address */
	uint64_t pa;           /* the byte's physical address */
	uint64_t page_base_va; /* first virtual address of the (super)page */
	uint64_t page_size;    /* 4 KiB, 2 MiB, 1 GiB or 512 GiB */
	bool readable, writable, executable, user, global;
	bool dirty;      /* the leaf's D bit is (now) set */
	unsigned levels; /* PTEs read */
};

/* Walk flags. */
enum {
	MMU_RV_WALK_SET_AD = 1u << 0, /* with hw_ad: set A (and D on a store) */
};

/**
 * mmu_rv_translate() - translate @va for an access of kind @acc, by the
 * "Virtual Address Translation Process" of the Privileged spec.
 * With MMU_RV_WALK_SET_AD and hw_ad, A is set in the leaf (and D on a
 * store), only when the translation succeeds.
 * Return: res->ok; else res->cause and res->tval say why.
 */
bool mmu_rv_translate(const struct mmu_rv_regs *regs, mmu_rv_phys_fn phys, void *ctx, uint64_t va,
                      unsigned acc, unsigned flags, struct mmu_rv_result *res);

/**
 * mmu_rv_rights_allow() - do a leaf's R, W, X, U allow an access of kind
 * @acc under @regs (SUM, MXR)? Step 5 of the translation process: used for
 * walks and TLB hits alike.
 * Return: true if the access is allowed; false if it is a page fault.
 */
bool mmu_rv_rights_allow(const struct mmu_rv_regs *regs, bool r, bool w, bool x, bool u,
                         unsigned acc);

#endif
