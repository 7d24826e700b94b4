/*
 * sim/sim.h - the host paging simulator.
 *
 * A machine with one CPU: physical memory is one host-allocated arena, CR3
 * is a variable, translation is done by an independent x86 MMU model
 * (arch/x86/sim/mmu_x86.c, written from the Intel SDM) behind a software
 * TLB, and mm-core runs on it exactly as in a kernel, through the same
 * machine hooks. Compiled once per ISA, like mm-core.
 *
 * Physical layout: the arena starts at cfg.phys_base (never 0) and may be
 * split into several ranges separated by one-page holes, like a Multiboot
 * memory map. Freed frames are poisoned for Valgrind memcheck and ASan.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <mm/mm.h>

#include <stdio.h>

/** struct sim_config - machine parameters; start from sim_config_default(). */
struct sim_config {
	uint64_t mem_bytes;   /* RAM in bytes, a multiple of 4 KiB (16 MiB) */
	mm_paddr_t phys_base; /* physical address of the first frame (1 MiB) */
	unsigned nranges;     /* RAM split into this many ranges (1) */
	unsigned tlb_entries; /* software TLB size; 0 = no TLB (64) */
	unsigned tlb_ways;    /* associativity (4) */
	bool check_stale;     /* re-walk on every TLB hit (true) */
	bool abort_on_stale;  /* abort() on a stale entry (false) */
	bool quiet;           /* no stale-entry messages on stderr (false) */
	bool direct_map;      /* map all RAM at ARCH_DIRECT_MAP_BASE (true) */
	bool large_pages;     /* mm_sys_set_large_pages(ARCH_LARGE_MAX_LEVEL), and the
	                         direct map in large pages where aligned (true) */
	bool thp;             /* transparent huge pages: mm_sys_set_thp() (false) */
	uint32_t asids;       /* address-space identifiers, mm_sys_set_asids(); 0 = none
	                         (aarch64 65536, others 0); at most sim_asids_max() */
	uint64_t high_bytes;  /* the top of RAM beyond the kernel's direct map, in bytes,
	                         a multiple of 4 KiB below mem_bytes: mm_sys_init()'s
	                         high zone, which the simulator's direct map does not
	                         cover and phys_to_virt refuses (0) */
};

/*
 * The simulated CPU has CR4.PGE set: leaves mapped with MM_PROT_GLOBAL are
 * global, and their TLB entries survive CR3 writes and the flush_all hook
 * (which reloads CR3, as a kernel does); only invlpg (invalidate_page) or
 * sim_tlb_flush() drop them (SDM Vol. 3A §4.10.2.4, §4.10.4.1).
 */

/** sim_config_default() - the defaults shown in struct sim_config. */
struct sim_config sim_config_default(void);

/** struct sim_stats - what the machine counted since sim_create(). */
struct sim_stats {
	uint64_t accesses;                 /* sim_access() calls (one per page touched) */
	uint64_t tlb_hits;                 /* accesses the software TLB translated */
	uint64_t tlb_misses;               /* accesses that needed a walk */
	uint64_t walks;                    /* page walks by the MMU model */
	uint64_t page_faults;              /* accesses that raised #PF */
	uint64_t spurious;                 /* TLB hits that denied access and were re-walked */
	uint64_t cr3_writes;               /* activate hooks: root register writes */
	uint64_t invlpg;                   /* invalidate_page hooks executed */
	uint64_t flushes;                  /* flush_all hooks executed */
	uint64_t dropped_invlpg;           /* invalidations skipped by sim_drop_invalidations() */
	uint64_t stale;                    /* stale TLB entries found */
	uint64_t resolved[MM_FAULT_NHOWS]; /* SIM_DEMAND faults resolved, by how */
	mm_vaddr_t last_stale_va;          /* the page of the last stale entry found */
	uint64_t bbm;           /* break-before-make violations found (ISAs that require it) */
	mm_vaddr_t last_bbm_va; /* the page of the last one */
	uint64_t frame_maps;    /* map_frame hooks: a user frame's contents reached */
	uint64_t table_maps;    /* map_frame hooks for a table linked nowhere (recursive mapping) */
	/* Recursive mapping (-Dtables=recursive): table_window hooks, each an
	 * access through the TLB and the MMU model (not in the counts above). */
	uint64_t window_accesses;
	uint64_t window_misses; /* table_window hooks that missed the TLB and walked */
};

struct sim;

/**
 * sim_create() - build a machine and its mm-core system (mm_sys_init()),
 * with all RAM direct-mapped in the kernel half if cfg->direct_map.
 * Return: 0 and *@out; -MM_EINVAL for a bad config (size not a multiple of
 * 4 KiB, base 0 or unaligned, nranges 0 or too many, tlb_ways not dividing
 * tlb_entries, asids above sim_asids_max()); -MM_ENOMEM if the host or the
 * arena is too small.
 */
int sim_create(const struct sim_config *cfg, struct sim **out);

/**
 * sim_asids_max() - the most address-space identifiers the simulated ISA's
 * TLB tags entries with (cfg.asids), 0 if it has none: x86_64 4096 PCIDs,
 * riscv64 and aarch64 65536, i386 0.
 */
uint32_t sim_asids_max(void);

/**
 * sim_destroy() - destroy every space still alive, tear the system down
 * (mm_sys_fini()) and free the host memory. NULL is ignored.
 */
void sim_destroy(struct sim *sim);

/** sim_sys() - the mm-core system running on @sim. */
struct mm_sys *sim_sys(struct sim *sim);

/** sim_stats() - the counters. */
const struct sim_stats *sim_stats(const struct sim *sim);

/** sim_cr3() - the simulated CR3: physical address of the active root. */
mm_paddr_t sim_cr3(const struct sim *sim);

/* Access flags for sim_access(), sim_read(), sim_write(). */
enum {
	SIM_WRITE = 1u << 0,
	SIM_USER = 1u << 1, /* CPL 3; else supervisor */
	SIM_FETCH = 1u << 2,
	/* Handle a #PF in a user address as a kernel does: mm_fault() on the
	 * active space, then retry; only an unresolved fault is returned. */
	SIM_DEMAND = 1u << 3,
};

/** struct sim_fault - why an access did not complete. */
struct sim_fault {
	bool page_fault;               /* a page fault; else another exception (x86 #GP for
	                                * a non-canonical address) or a bus error */
	mm_vaddr_t va;                 /* the faulting virtual address (x86 CR2, RISC-V stval) */
	uint32_t error_code;           /* the neutral report: SIM_PF_* bits */
	uint32_t hw_code;              /* the ISA's own: x86 #PF error code, RISC-V scause */
	enum mm_fault_verdict verdict; /* with SIM_DEMAND: mm_fault()'s answer */
};

/* The neutral page-fault report, for every ISA (the bits are those of the
 * x86 #PF error code, SDM Vol. 3A §4.7; each ISA's model maps its own
 * report to them). */
enum {
	SIM_PF_P = 1u << 0,    /* a protection violation; else not present / not valid */
	SIM_PF_WR = 1u << 1,   /* the access was a write */
	SIM_PF_US = 1u << 2,   /* the access was in user mode */
	SIM_PF_RSVD = 1u << 3, /* a reserved bit was set in an entry */
	SIM_PF_ID = 1u << 4,   /* the access was an instruction fetch */
};

/**
 * sim_access() - translate @va for one access through the TLB and, on a
 * miss, the MMU model (which sets A/D bits as the processor would).
 * Return: 0 and *@pa; -MM_EFAULT and *@fault filled on #PF or #GP.
 */
int sim_access(struct sim *sim, mm_vaddr_t va, unsigned flags, mm_paddr_t *pa,
               struct sim_fault *fault);

/**
 * sim_peek() - translate @va for an access of kind @flags (SIM_WRITE,
 * SIM_USER, SIM_FETCH) in the space whose root table is at @root, with the
 * MMU model alone: no TLB, no A/D bits, no fault handling, CR3 untouched.
 * For judges that look into a space that is not active.
 * Return: 0 and *@pa; -MM_EFAULT (with the #PF error code in *@error_code
 * if not NULL) if the MMU would fault.
 */
int sim_peek(struct sim *sim, mm_paddr_t root, mm_vaddr_t va, unsigned flags, mm_paddr_t *pa,
             uint32_t *error_code);

/**
 * sim_read() - copy @len bytes from virtual memory at @va to @buf, as a
 * program would (each page through sim_access(), with @flags).
 * Return: 0; -MM_EFAULT with *@fault on the first page that faults (bytes
 * before it were copied).
 */
int sim_read(struct sim *sim, mm_vaddr_t va, void *buf, size_t len, unsigned flags,
             struct sim_fault *fault);
/**
 * sim_write() - copy @len bytes from @buf to virtual memory at @va, as a
 * program would (each page through sim_access(), with @flags | SIM_WRITE).
 * Return: as sim_read().
 */
int sim_write(struct sim *sim, mm_vaddr_t va, const void *buf, size_t len, unsigned flags,
              struct sim_fault *fault);

/**
 * sim_phys() - host pointer to physical memory at @pa with @len bytes
 * readable, or NULL if [pa, pa + len) is not wholly RAM. For tests and
 * tools that look at frames directly.
 */
void *sim_phys(struct sim *sim, mm_paddr_t pa, size_t len);

/**
 * sim_drop_invalidations() - test-only fault injection: the next @n
 * invalidate_page hooks do nothing, as if mm-core had forgotten an invlpg.
 * The stale-TLB checker must then catch the stale entry.
 */
void sim_drop_invalidations(struct sim *sim, unsigned n);

/** sim_tlb_flush() - drop every TLB entry, global ones too (as toggling CR4.PGE does). */
void sim_tlb_flush(struct sim *sim);

/**
 * sim_check() - check every invariant of mm-core on @sim and its TLB:
 *  - the kernel half of every root equals the kernel template, bit for bit;
 *  - every table's pt_used equals its present entries, and every table and
 *    mapped managed frame is in use (never both free and mapped);
 *  - each MM_FRAME_USER frame's reference count equals the user PTEs that
 *    map it (a MM_FRAME_KERNEL one has at least one more: the kernel's);
 *  - each space's user_pages and table_pages, and the allocator's count of
 *    page-table frames, match what the tables hold;
 *  - no TLB entry allows what the tables do not (no stale entry);
 *  - regions are sorted, page aligned and do not overlap; no COW page is
 *    writable.
 * Return: 0; -1 with a message naming the first violation in @msg.
 */
int sim_check(struct sim *sim, char *msg, size_t msg_len);

/** sim_arch_name() - the ISA this simulator was built for ("i386", ...). */
const char *sim_arch_name(void);

#endif
