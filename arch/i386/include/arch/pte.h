/*
 * arch/i386 page-table format: 32-bit paging (no PAE), 4 KiB pages.
 * Source: Intel SDM Vol. 3A §4.3 "32-bit paging" (CR3, PDE and PTE formats)
 * and §4.6 (access rights).
 *
 * Pure and static inline: compiles on the host and in the kernel alike.
 * This file (and its x86_64 sibling) is the only place that knows the bit
 * positions; mm-core uses the names below and nothing else.
 *
 * Level numbering (all of mmkit): 0 = the leaf table (PT), 1 = the page
 * directory (PD), which is the root that CR3 points at.
 *
 *   31        22 21        12 11          0
 *  +------------+------------+-------------+
 *  | PD index   | PT index   | page offset |   linear address
 *  +------------+------------+-------------+
 *     level 1      level 0
 *
 * User half: 0x00000000-0xBFFFFFFF (PDEs 0-767). Kernel half:
 * 0xC0000000-0xFFFFFFFF (PDEs 768-1023), shared by every address space.
 */
#ifndef ARCH_I386_PTE_H
#define ARCH_I386_PTE_H

#include <mm/types.h>

#define ARCH_NAME "i386"

/* Geometry. */
#define ARCH_PAGE_SHIFT           12u
#define ARCH_PAGE_SIZE            (UINT64_C(1) << ARCH_PAGE_SHIFT) /* bytes */
#define ARCH_LEVELS               2u                               /* PT, PD */
#define ARCH_INDEX_BITS           10u
#define ARCH_ENTRIES              (1u << ARCH_INDEX_BITS) /* entries per table */
#define ARCH_VA_BITS              32u
#define ARCH_PA_BITS              32u             /* physical address bits a leaf PTE can hold */
#define ARCH_KERNEL_FIRST_SLOT    768u            /* first shared PDE */
#define ARCH_ROOT_INDEX_BITS      ARCH_INDEX_BITS /* the root is a whole table */
#define ARCH_ROOT_ENTRIES         (1u << ARCH_ROOT_INDEX_BITS)
#define ARCH_KERNEL_ROOT_SEPARATE 0 /* the kernel half: root entries of every root */
#define ARCH_USER_END             UINT64_C(0xC0000000) /* first non-user VA */
#define ARCH_KERNEL_BASE          UINT64_C(0xC0000000) /* first kernel VA */
#define ARCH_LEVEL_NAMES                                                                           \
	{                                                                                          \
		"PT", "PD"                                                                         \
	}

typedef uint32_t arch_pte_t;

/* Hardware bits, SDM Vol. 3A §4.3 (PDE and PTE formats). */
#define I386_PTE_P    (1u << 0) /* present */
#define I386_PTE_RW   (1u << 1) /* writable */
#define I386_PTE_US   (1u << 2) /* user-mode accessible */
#define I386_PTE_PWT  (1u << 3) /* page-level write-through */
#define I386_PTE_PCD  (1u << 4) /* page-level cache disable */
#define I386_PTE_A    (1u << 5) /* accessed */
#define I386_PTE_D    (1u << 6) /* dirty (leaf only) */
#define I386_PTE_PS   (1u << 7) /* PDE: 4 MiB page (CR4.PSE=1) */
#define I386_PTE_G    (1u << 8) /* global (leaf only, CR4.PGE=1) */
#define I386_PTE_ADDR 0xFFFFF000u
/* Bits 11:9 are ignored by the processor: software bits. */
#define I386_PTE_SW_COW    (1u << 9)  /* copy-on-write (mm-core) */
#define I386_PTE_SW_SHARED (1u << 10) /* shared on purpose, never COW */
#define I386_PTE_SW_NONE   (1u << 11) /* P=0: PROT_NONE, frame kept */

/** arch_level_shift() - log2 of the bytes one entry at @level spans. */
static inline unsigned arch_level_shift(unsigned level)
{
	return ARCH_PAGE_SHIFT + level * ARCH_INDEX_BITS;
}

/** arch_pte_index() - index of @va's entry in its table at @level. */
static inline unsigned arch_pte_index(mm_vaddr_t va, unsigned level)
{
	return (unsigned)(va >> arch_level_shift(level)) & (ARCH_ENTRIES - 1);
}

/**
 * arch_va_is_canonical() - can @va be a linear address of this ISA?
 * For 32-bit paging: any value below 2^32.
 */
static inline bool arch_va_is_canonical(mm_vaddr_t va)
{
	return va <= UINT32_MAX;
}

/**
 * arch_va_canonical() - the linear address whose table indices compose to
 * @va: 32-bit paging has no sign extension, so @va itself (low 32 bits).
 */
static inline mm_vaddr_t arch_va_canonical(mm_vaddr_t va)
{
	return va & UINT32_MAX;
}

/**
 * arch_pa_is_valid() - can a leaf PTE point at the 4 KiB frame at @pa?
 * @pa must be page aligned and below 2^32 (no PAE, no PSE-36 for 4 KiB).
 */
static inline bool arch_pa_is_valid(mm_paddr_t pa)
{
	return (pa & (ARCH_PAGE_SIZE - 1)) == 0 && pa < (UINT64_C(1) << ARCH_PA_BITS);
}

/**
 * arch_prot_effective() - the protections the hardware really grants for a
 * request of @prot. 32-bit paging has no execute-disable bit (SDM §4.6):
 * every present page is readable and executable.
 */
static inline unsigned arch_prot_effective(unsigned prot)
{
	return (prot & (MM_PROT_WRITE | MM_PROT_USER)) | MM_PROT_READ | MM_PROT_EXEC;
}

/** arch_prot_is_valid() - may @prot be requested? READ is required. */
static inline bool arch_prot_is_valid(unsigned prot)
{
	return (prot & ~(unsigned)MM_PROT_ALL) == 0 && (prot & MM_PROT_READ);
}

/**
 * arch_pte_table() - encode a non-leaf entry pointing at the table at @pa.
 * User-half tables are writable and user-accessible, so that the leaf alone
 * decides (SDM §4.6: rights are the AND of all levels); kernel-half tables
 * are supervisor-only.
 */
static inline arch_pte_t arch_pte_table(mm_paddr_t pa, unsigned level, bool user)
{
	(void)level; /* the same format at every level */
	return (arch_pte_t)pa | I386_PTE_P | I386_PTE_RW | I386_PTE_A | (user ? I386_PTE_US : 0) |
	       (MM_TABLES_RECURSIVE ? I386_PTE_D : 0u);
}

/** arch_pte_is_present() - is the P bit set? */
static inline bool arch_pte_is_present(arch_pte_t e)
{
	return (e & I386_PTE_P) != 0;
}

/**
 * arch_pte_is_leaf() - does the present entry @e at @level map memory
 * rather than point at a table? Every entry at level 0; above it, those
 * with PS set (a large page, SDM Vol. 3A §4.5 Tables 4-15 to 4-17).
 */
static inline bool arch_pte_is_leaf(arch_pte_t e, unsigned level)
{
	return level == 0 || (e & I386_PTE_PS);
}

/*
 * ARCH_LARGE_MAX_LEVEL - the highest level at which a leaf (a large page)
 * may sit; 0 for a format without large pages. Leaves above level 0 map
 * 1 << arch_level_shift(level) bytes, and mm-core makes them only where
 * the platform allows (mm_sys_set_large_pages()).
 */
/* i386: 4 MiB PDEs with PS set, with CR4.PSE (SDM Vol. 3A §4.3, Table 4-4);
 * the PD is the root, so a 4 MiB page is a root entry. */
#define ARCH_LARGE_MAX_LEVEL 1u

/**
 * arch_pte_resize() - the leaf @e (present or PROT_NONE) re-encoded as a
 * leaf at @level: a 4 MiB page at level 1, a 4 KiB page at 0, with its
 * output address, protections, A/D and software bits kept. x86: PS (bit
 * 7) set above level 0, clear at 0. mm-core never sets PAT (bit 7 of a
 * PTE, bit 12 of a 4 MiB PDE) nor PSE-36 address bits (20:13, SDM Vol. 3A
 * §4.3 Table 4-4), so nothing else moves.
 * Preconditions: @level <= ARCH_LARGE_MAX_LEVEL; the output address is
 * aligned to 1 << arch_level_shift(@level). (test: large_resize_round_trip)
 */
static inline arch_pte_t arch_pte_resize(arch_pte_t e, unsigned level)
{
	return level ? (e | I386_PTE_PS) : (e & ~I386_PTE_PS);
}

/**
 * arch_pte_with_ad() - the leaf @e with its accessed and dirty bits set, so
 * that the MMU never writes it: mm-core writes a root-level kernel leaf so
 * (an i386 4 MiB or Sv39 1 GiB page), since each root holds a copy of it
 * and a hardware write to one copy would make the copies differ. x86: A and D (SDM Vol. 3A §4.8).
 */
static inline arch_pte_t arch_pte_with_ad(arch_pte_t e)
{
	return e | I386_PTE_A | I386_PTE_D;
}

/**
 * arch_pte_store() - write entry @e into the table slot @slot: the one way
 * mm-core writes an entry. One aligned store the MMU sees whole (SDM Vol.
 * 3A §8.1.1 "Guaranteed Atomic Operations": aligned accesses of up to
 * 64 bits); volatile, so
 * the compiler neither splits nor elides it. Ordering with the TLB is the
 * invalidation hooks' job.
 */
static inline void arch_pte_store(arch_pte_t *slot, arch_pte_t e)
{
	*(volatile arch_pte_t *)slot = e;
}

/**
 * arch_pte_needs_bbm() - must replacing the entry @old by @new_e go through
 * break-before-make: @old written invalid (0), its TLB entries
 * invalidated, and only then @new_e written? mm-core asks before every
 * change of a valid leaf that may alter its output address (a COW break),
 * and does so where this says yes. x86 and RISC-V: never (an entry may
 * change in place, then be invalidated); aarch64: a change of output
 * address, size, memory type or nG between two valid entries (Arm ARM
 * D8, "break-before-make"). (test: cow; the simulator's BBM checker)
 */
static inline bool arch_pte_needs_bbm(arch_pte_t old, arch_pte_t new_e)
{
	(void)old;
	(void)new_e;
	return false;
}

/**
 * arch_root_entries_cached() - does the MMU keep root entries in registers
 * of its own, read only when the root register is written? No: each walk
 * reads the root table (see arch/template/include/arch/pte.h).
 */
static inline bool arch_root_entries_cached(void)
{
	return false;
}

/**
 * arch_tlb_caches_invalid() - may the TLB or paging-structure caches hold
 * an entry that is not valid, so that making an entry valid needs an
 * invalidation too? x86: no, "the processor does not cache a translation
 * for a page number unless the present flag is 1" (SDM Vol. 3A §4.10.2.3).
 */
static inline bool arch_tlb_caches_invalid(void)
{
	return false;
}

/** arch_pte_paddr() - physical address of the frame or table @e points at. */
static inline mm_paddr_t arch_pte_paddr(arch_pte_t e)
{
	return e & I386_PTE_ADDR;
}

/** arch_pte_with_paddr() - @e (a leaf of any level, or PROT_NONE) with its
 * output address replaced by @pa (aligned to the leaf's size). */
static inline arch_pte_t arch_pte_with_paddr(arch_pte_t e, mm_paddr_t pa)
{
	return (e & ~(arch_pte_t)I386_PTE_ADDR) | (arch_pte_t)pa;
}

/** arch_pte_prot() - decode the protections of a present leaf PTE. */
static inline unsigned arch_pte_prot(arch_pte_t e)
{
	unsigned prot = MM_PROT_READ | MM_PROT_EXEC;
	if (e & I386_PTE_RW)
		prot |= MM_PROT_WRITE;
	if (e & I386_PTE_US)
		prot |= MM_PROT_USER;
	if (e & I386_PTE_G)
		prot |= MM_PROT_GLOBAL;
	return prot;
}

/**
 * arch_pte_with_prot() - @e (a present leaf) with its protections replaced
 * by @prot; frame, A/D and software bits are kept.
 */
static inline arch_pte_t arch_pte_with_prot(arch_pte_t e, unsigned prot)
{
	e &= ~(arch_pte_t)(I386_PTE_RW | I386_PTE_US | I386_PTE_G);
	if (prot & MM_PROT_WRITE)
		e |= I386_PTE_RW;
	if (prot & MM_PROT_USER)
		e |= I386_PTE_US;
	if (prot & MM_PROT_GLOBAL)
		e |= I386_PTE_G;
	return e;
}

/**
 * arch_pte_leaf() - encode a level-0 PTE mapping the 4 KiB frame at @pa.
 * Preconditions: arch_pa_is_valid(@pa), arch_prot_is_valid(@prot).
 * The protection bits come from arch_pte_with_prot(), their one encoder.
 */
static inline arch_pte_t arch_pte_leaf(mm_paddr_t pa, unsigned prot)
{
	return arch_pte_with_prot((arch_pte_t)pa | I386_PTE_P, prot);
}

/** arch_pte_is_cow() - is the software copy-on-write bit set? */
static inline bool arch_pte_is_cow(arch_pte_t e)
{
	return (e & I386_PTE_SW_COW) != 0;
}

/** arch_pte_with_cow() - @e with the software copy-on-write bit set to @cow. */
static inline arch_pte_t arch_pte_with_cow(arch_pte_t e, bool cow)
{
	return cow ? (e | I386_PTE_SW_COW) : (e & ~(arch_pte_t)I386_PTE_SW_COW);
}

/**
 * arch_pte_is_shared() - is the software "shared" bit set? mm-core sets it on
 * pages whose frame is shared on purpose (MM_MAP_SHARED regions,
 * mm_map_phys()): they are never copy-on-write, and a fork shares them.
 * Bit 10 is ignored by the processor (SDM Vol. 3A §4.3, §4.5).
 */
static inline bool arch_pte_is_shared(arch_pte_t e)
{
	return (e & I386_PTE_SW_SHARED) != 0;
}

/** arch_pte_with_shared() - @e with the software "shared" bit set to @shared. */
static inline arch_pte_t arch_pte_with_shared(arch_pte_t e, bool shared)
{
	return shared ? (e | I386_PTE_SW_SHARED) : (e & ~(arch_pte_t)I386_PTE_SW_SHARED);
}

/**
 * arch_pte_is_protnone() - is @e a PROT_NONE leaf: not present to the MMU
 * (P=0, so every access faults), but still holding its frame, whose
 * address and software bits it keeps (mm-core's PROT_NONE pages keep their
 * contents, as Linux's protnone entries do). The processor ignores every
 * other bit of an entry whose P bit is 0 (SDM Vol. 3A §4.5, Table 4-19).
 */
static inline bool arch_pte_is_protnone(arch_pte_t e)
{
	return (e & (I386_PTE_P | I386_PTE_SW_NONE)) == I386_PTE_SW_NONE;
}

/**
 * arch_pte_to_protnone() - the PROT_NONE form of the present leaf @e: P
 * cleared, the frame and the shared mark kept, the COW mark dropped (a page
 * without access is not logically writable).
 */
static inline arch_pte_t arch_pte_to_protnone(arch_pte_t e)
{
	return (arch_pte_with_cow(e, false) & ~(arch_pte_t)I386_PTE_P) | I386_PTE_SW_NONE;
}

/**
 * arch_pte_from_protnone() - the present leaf for the PROT_NONE entry @e,
 * with the frame and the shared mark kept and protections @prot.
 */
static inline arch_pte_t arch_pte_from_protnone(arch_pte_t e, unsigned prot)
{
	return arch_pte_with_prot((e & ~(arch_pte_t)I386_PTE_SW_NONE) | I386_PTE_P, prot);
}

/** arch_pte_is_dirty() - has the processor set the D bit of this leaf? */
static inline bool arch_pte_is_dirty(arch_pte_t e)
{
	return (e & I386_PTE_D) != 0;
}

/** arch_pte_is_accessed() - has the processor set the A bit? */
static inline bool arch_pte_is_accessed(arch_pte_t e)
{
	return (e & I386_PTE_A) != 0;
}

/*
 * The recursive mapping (build option -Dtables=recursive,
 * MM_TABLES_RECURSIVE=1): mm-core reaches the tables of the loaded root
 * through a root entry that points at the root itself, and another root's
 * through an alternate root entry pointing at that root, instead of the
 * direct map (docs/ARCHITECTURE.md, "Direct map or recursive mapping").
 * The top three PDEs are the windows, 4 MiB of virtual space each, never
 * part of the kernel half:
 *  - ARCH_RECURSIVE_SLOT (1023, 0xFFC00000): the self entry, in every
 *    root, pointing at that root;
 *  - ARCH_RECURSIVE_ALT_FIRST.. (1021, 1022: 0xFF400000, 0xFF800000):
 *    the alternate entries of the loaded root, each pointing at another
 *    root or empty.
 * Every window entry is supervisor-only (U/S clear), so no window address
 * is reachable from ring 3 whatever the entries under it say (SDM Vol. 3A
 * §4.6: rights are the AND of all levels). With the option, table PDEs
 * are written with D set too: bit 6 of a PDE that references a PT is
 * ignored (SDM Vol. 3A Table 4-5), but a window access takes that PDE for
 * a PTE and would set it (§4.8), making the kernel half's copies differ.
 */
#if MM_TABLES_RECURSIVE
#define ARCH_RECURSIVE_SLOT       1023u /* the self entry: PDE 1023 */
#define ARCH_RECURSIVE_ALT_FIRST  1021u /* first alternate entry */
#define ARCH_RECURSIVE_ALT_SLOTS  2u    /* alternate entries: 1021 and 1022 */
#define ARCH_RECURSIVE_FIRST_SLOT 1021u /* first window slot: the kernel half ends below */

/**
 * arch_recursive_table_va() - the virtual address at which the table at
 * @level on the path of @va appears, under the root that entry @slot of
 * the loaded root points at (@slot ARCH_RECURSIVE_SLOT: the loaded root
 * itself; an alternate slot: the root installed there).
 * @level 0: the PT of PDE (@va >> 22), at (@slot << 22) | (PDE index << 12)
 * (the MMU walks PDE @slot, takes that root for a PT and its PDE for a PTE).
 * @level 1: the root itself, at (1023 << 22) | (@slot << 12): the self
 * entry, then PDE @slot of the loaded root taken for a PTE; the root in an
 * alternate slot needs no self entry of its own for this.
 * Source: SDM Vol. 3A §4.3 (32-bit paging's linear-address translation).
 */
static inline mm_vaddr_t arch_recursive_table_va(unsigned slot, mm_vaddr_t va, unsigned level)
{
	if (level == 0)
		return ((mm_vaddr_t)slot << 22) | (((va >> 22) & 0x3FFu) << 12);
	return ((mm_vaddr_t)ARCH_RECURSIVE_SLOT << 22) | ((mm_vaddr_t)slot << 12);
}

/**
 * arch_recursive_pte() - the entry of a window slot pointing at the root
 * at @root_pa: present, writable, supervisor-only, A and D set (the MMU
 * takes it for a PDE and, through the self entry, for a PTE: it never
 * writes it). Source: SDM Vol. 3A §4.3, §4.8.
 */
static inline arch_pte_t arch_recursive_pte(mm_paddr_t root_pa)
{
	return (arch_pte_t)root_pa | I386_PTE_P | I386_PTE_RW | I386_PTE_A | I386_PTE_D;
}
#endif

/* The geometry mm-core relies on (see arch/template/include/arch/pte.h). */
_Static_assert(ARCH_PAGE_SIZE == 4096, "mm-core maps 4 KiB pages");
_Static_assert((uint64_t)ARCH_ENTRIES * sizeof(arch_pte_t) == ARCH_PAGE_SIZE,
               "a table fills one page");
_Static_assert(ARCH_PAGE_SHIFT + (ARCH_LEVELS - 1) * ARCH_INDEX_BITS + ARCH_ROOT_INDEX_BITS ==
                       ARCH_VA_BITS,
               "the levels decode exactly the virtual-address bits");

#endif /* ARCH_I386_PTE_H */
