/*
 * An x86 MMU model: linear-address translation as the processor does it,
 * written from the Intel SDM Vol. 3A ch. 4 "Paging" and nothing else. It is
 * the simulator's oracle: it reads raw paging-structure entries from
 * simulated physical memory and never calls mm-core or <arch/pte.h>, so a
 * bug in either shows up as a disagreement.
 *
 * Modes: 32-bit paging (§4.3; i386), PAE paging (§4.4; the simulator
 * does not use it yet) and 4-level paging (§4.5; x86_64).
 * Modelled: P, R/W, U/S, XD (with IA32_EFER.NXE; PAE and 4-level paging),
 * PS (4 MiB pages with CR4.PSE; 2 MiB and 1 GiB pages), the PAE PDPTE
 * registers loaded on a CR3 write (§4.4.1, mmu_x86_load_pdptes()), the
 * access rights of §4.6 (CR0.WP, CR4.SMEP, CR4.SMAP with EFLAGS.AC, and
 * implicit supervisor-mode accesses), reserved bits (§4.3/§4.4/§4.5 tables,
 * MAXPHYADDR), Accessed and Dirty (§4.8), and the page-fault error code
 * (§4.7).
 * Not modelled: 5-level paging, PCIDs (the simulator's TLB tags with
 * them; the walk ignores them), protection keys (CR4.PKE/PKS), shadow
 * stacks (CR4.CET), HLAT, memory types (PWT/PCD/PAT), the PDPTE loads of
 * MOV to CR0/CR4 and task switches (only the CR3 write is modelled), and
 * segmentation (a #GP, such as a non-canonical address, is reported as a
 * bus error).
 */
#ifndef MMU_X86_H
#define MMU_X86_H

#include <stdbool.h>
#include <stdint.h>

enum mmu_x86_mode {
	MMU_X86_PAGING_32,     /* CR0.PG=1, CR4.PAE=0 */
	MMU_X86_PAGING_4LEVEL, /* CR0.PG=1, CR4.PAE=1, IA32_EFER.LME=1 */
	MMU_X86_PAGING_PAE,    /* CR0.PG=1, CR4.PAE=1, IA32_EFER.LME=0 */
};

/* Access kinds (flags). */
enum {
	MMU_ACC_WRITE = 1u << 0, /* else a read */
	MMU_ACC_USER = 1u << 1,  /* CPL = 3, else supervisor */
	MMU_ACC_FETCH = 1u << 2, /* instruction fetch; with MMU_ACC_WRITE: both checked */
	/*
	 * An implicit supervisor-mode access (§4.6: GDT, LDT, IDT or TSS
	 * accesses): a supervisor-mode data access whatever the CPL
	 * (MMU_ACC_USER is then ignored and U/S is 0 in the error code), and
	 * SMAP blocks it on user-mode addresses whatever EFLAGS.AC says.
	 */
	MMU_ACC_IMPLICIT = 1u << 3,
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
	bool cr4_smep;       /* supervisor-mode execution prevention (§4.6.1) */
	bool cr4_smap;       /* supervisor-mode access prevention (§4.6.1) */
	bool eflags_ac;      /* EFLAGS.AC: lets explicit accesses through SMAP */
	unsigned maxphyaddr; /* physical-address width, 32..52 */
	/*
	 * PAE paging: the four PDPTE registers (§4.4.1). The processor loads
	 * them from the PDPT when CR3 is written and the walk never reads the
	 * PDPT in memory: set them with mmu_x86_load_pdptes() after setting
	 * @cr3 (zero, as after a memset, is four not-present PDPTEs).
	 */
	uint64_t pdpte[4];
};

/** enum mmu_x86_load - what loading the PAE PDPTE registers did. */
enum mmu_x86_load {
	MMU_X86_LOAD_OK,
	MMU_X86_LOAD_GP,        /* a present PDPTE has a reserved bit: #GP(0) */
	MMU_X86_LOAD_BUS_ERROR, /* the PDPT had no RAM behind it */
};

/**
 * mmu_x86_phys_fn - where the model reads and writes physical memory: a
 * host pointer to the 8 bytes (4 in 32-bit paging) at @pa, or NULL if no
 * RAM is there (the model then reports a bus error).
 */
typedef void *(*mmu_x86_phys_fn)(void *ctx, uint64_t pa);

/**
 * mmu_x86_load_pdptes() - the PDPTE load of a MOV to CR3 in PAE paging
 * (§4.4.1): read the four 8-byte PDPTEs at CR3[31:5] into @regs->pdpte.
 * If a PDPTE has P=1 and a reserved bit set (bits 2:1, 8:5 and
 * 63:MAXPHYADDR, Table 4-8), the processor raises #GP(0) and loads
 * nothing: then @regs->pdpte is left as it was and MMU_X86_LOAD_GP
 * returned (the caller, as the MOV did not complete, should put its old
 * CR3 back). Only for MMU_X86_PAGING_PAE; other modes have no PDPTE
 * registers and get MMU_X86_LOAD_OK with nothing read.
 */
enum mmu_x86_load mmu_x86_load_pdptes(struct mmu_x86_regs *regs, mmu_x86_phys_fn phys, void *ctx);

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
	unsigned levels;       /* paging-structure entries used (PAE: the PDPTE register counts) */
};

/* Walk flags. */
enum {
	MMU_WALK_SET_AD = 1u << 0, /* set A and D bits as the processor would */
};

/**
 * mmu_x86_translate() - translate @va for an access of kind @acc.
 * With MMU_WALK_SET_AD, A bits are set in every entry used and the D bit in
 * the leaf on a write, only when the translation succeeds (§4.8). PAE
 * paging takes the PDPTE from @regs->pdpte (see mmu_x86_load_pdptes()),
 * and a PDPTE has no A bit. Linear addresses are 32 bits wide in 32-bit
 * and PAE paging (higher bits of @va are dropped).
 * Return: true if translated; false with res->error_code otherwise.
 */
bool mmu_x86_translate(const struct mmu_x86_regs *regs, mmu_x86_phys_fn phys, void *ctx,
                       uint64_t va, unsigned acc, unsigned flags, struct mmu_x86_result *res);

/**
 * mmu_x86_rights_allow() - do rights (@writable, @user, @executable) allow
 * an access of kind @acc under @regs? The rules of SDM Vol. 3A §4.6.1
 * (CR0.WP, SMEP, SMAP and EFLAGS.AC, XD with NXE outside 32-bit paging),
 * used for walks and for TLB hits alike. @user says the address is a
 * user-mode address (U/S=1 at every level), @executable that no entry
 * has XD=1.
 */
bool mmu_x86_rights_allow(const struct mmu_x86_regs *regs, bool writable, bool user,
                          bool executable, unsigned acc);

#endif
