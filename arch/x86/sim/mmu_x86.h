/*
 * An x86 MMU model: linear-address translation as the processor does it,
 * written from the Intel SDM Vol. 3A ch. 4 "Paging" and nothing else. It is
 * the simulator's oracle: it reads raw paging-structure entries from
 * simulated physical memory and never calls mm-core or <arch/pte.h>, so a
 * bug in either shows up as a disagreement.
 *
 * Modes: 32-bit paging (§4.3; i386) and 4-level paging (§4.5; x86_64).
 * Modelled: P, R/W, U/S, XD (with IA32_EFER.NXE), PS (4 MiB pages with
 * CR4.PSE; 2 MiB and 1 GiB pages), CR0.WP, supervisor and user rules
 * (§4.6, SMEP/SMAP off), reserved bits (§4.3/§4.5 tables, MAXPHYADDR),
 * Accessed and Dirty (§4.8), and the page-fault error code (§4.7).
 * Not modelled: PAE, 5-level paging, PCIDs, protection keys, SMEP/SMAP,
 * memory types (PWT/PCD/PAT).
 */
#ifndef MMU_X86_H
#define MMU_X86_H

#include <stdbool.h>
#include <stdint.h>

enum mmu_x86_mode {
	MMU_X86_PAGING_32,     /* CR0.PG=1, CR4.PAE=0 */
	MMU_X86_PAGING_4LEVEL, /* CR0.PG=1, CR4.PAE=1, IA32_EFER.LME=1 */
};

/* Access kinds (flags). */
enum {
	MMU_ACC_WRITE = 1u << 0, /* else a read */
	MMU_ACC_USER = 1u << 1,  /* CPL = 3, else supervisor */
	MMU_ACC_FETCH = 1u << 2, /* instruction fetch */
};

/* Page-fault error code bits, SDM Vol. 3A §4.7. */
enum {
	MMU_PF_P = 1u << 0,    /* 0: not present; 1: protection violation */
	MMU_PF_WR = 1u << 1,   /* the access was a write */
	MMU_PF_US = 1u << 2,   /* the access was in user mode */
	MMU_PF_RSVD = 1u << 3, /* a reserved bit was set */
	MMU_PF_ID = 1u << 4,   /* the access was an instruction fetch */
};

/** struct mmu_x86_regs - the control state that shapes translation. */
struct mmu_x86_regs {
	enum mmu_x86_mode mode;
	uint64_t cr3;        /* only bits of the root address are used */
	bool cr0_wp;         /* write-protect supervisor writes */
	bool cr4_pse;        /* 4 MiB pages in 32-bit paging */
	bool cr4_pge;        /* global pages: G leaves survive CR3 writes (§4.10.2.4) */
	bool efer_nxe;       /* execute-disable bit enabled */
	unsigned maxphyaddr; /* physical-address width, 32..52 */
};

/**
 * mmu_x86_phys_fn - where the model reads and writes physical memory: a
 * host pointer to the 8 bytes (4 in 32-bit paging) at @pa, or NULL if no
 * RAM is there (the model then reports a bus error).
 */
typedef void *(*mmu_x86_phys_fn)(void *ctx, uint64_t pa);

/** struct mmu_x86_result - the outcome of one translation. */
struct mmu_x86_result {
	bool ok;               /* translated; else @error_code is set */
	bool bus_error;        /* an entry address had no RAM behind it */
	uint32_t error_code;   /* MMU_PF_* when !ok */
	uint64_t pa;           /* physical address of the byte */
	uint64_t page_base_va; /* first linear address of the page */
	uint64_t page_size;    /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
	bool writable;         /* rights over the whole walk, for the TLB: */
	bool user;             /*   user-accessible */
	bool executable;       /*   not execute-disabled */
	bool dirty;            /* the leaf's D bit is (now) set */
	bool global;           /* the leaf's G bit is set and CR4.PGE is 1 */
	unsigned levels;       /* paging-structure entries read */
};

/* Walk flags. */
enum {
	MMU_WALK_SET_AD = 1u << 0, /* set A and D bits as the processor would */
};

/**
 * mmu_x86_translate() - translate @va for an access of kind @acc.
 * With MMU_WALK_SET_AD, A bits are set in every entry used and the D bit in
 * the leaf on a write, only when the translation succeeds (§4.8).
 * Return: true if translated; false with res->error_code otherwise.
 */
bool mmu_x86_translate(const struct mmu_x86_regs *regs, mmu_x86_phys_fn phys, void *ctx,
                       uint64_t va, unsigned acc, unsigned flags, struct mmu_x86_result *res);

/**
 * mmu_x86_rights_allow() - do rights (@writable, @user, @executable) allow
 * an access of kind @acc under @regs? The rules of SDM Vol. 3A §4.6, used
 * for walks and for TLB hits alike.
 */
bool mmu_x86_rights_allow(const struct mmu_x86_regs *regs, bool writable, bool user,
                          bool executable, unsigned acc);

#endif
