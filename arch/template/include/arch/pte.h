/*
 * arch/template: the arch contract, written down once as an example port.
 *
 * Every name a port must provide, with its meaning, units, preconditions,
 * what 0 means, and the conformance test that checks it (tests/test_pte.c
 * unless another suite is named). The format below is made up but
 * complete and self-consistent: 4 KiB pages, three levels of 512 eight-byte
 * entries (a 39-bit virtual address space), one valid bit, independent R,
 * W, X and U bits. It is compiled in CI (arch/template/check.c, with
 * _Static_assert on its geometry) and never linked: copy it to
 * arch/<isa>/include/arch/pte.h and change what your manual says.
 * docs/PORTING.md walks through a port.
 *
 * Rules for every port:
 *  - Pure and static inline: the header compiles on the host (the
 *    simulator, the tests) and in a freestanding kernel alike.
 *  - This header, with <arch/abi.h>, is the only place that knows the ISA's
 *    bit positions. mm-core uses the names below and nothing else; the
 *    simulator's MMU model (arch/<isa>/sim/) must never include it.
 *  - Level numbering, all of mmkit: 0 is the leaf table (4 KiB pages),
 *    ARCH_LEVELS - 1 the root, the table the MMU's root register points at.
 *  - The entry 0 is "not valid": a zeroed table maps nothing, and mm-core
 *    writes 0 to clear an entry.
 *  - The kernel half is the upper root slots [ARCH_KERNEL_FIRST_SLOT,
 *    ARCH_ROOT_ENTRIES) of the kernel space's root: mm-core shares those root
 *    entries in every space, or, where the MMU walks the kernel half from
 *    a root register of its own (ARCH_KERNEL_ROOT_SEPARATE), leaves them
 *    out of every user root.
 */
#ifndef ARCH_TEMPLATE_PTE_H
#define ARCH_TEMPLATE_PTE_H

#include <mm/types.h>

/* ---- geometry (test: geometry, index_composition) ------------------------ */

/** ARCH_NAME - the ISA's name, as `mmsim --arch` and the build spell it. */
#define ARCH_NAME "template"

#define ARCH_PAGE_SHIFT 12u                              /* log2 of the page size */
#define ARCH_PAGE_SIZE  (UINT64_C(1) << ARCH_PAGE_SHIFT) /* bytes; 4096 everywhere */
#define ARCH_LEVELS     3u                               /* tables from leaf to root */
#define ARCH_INDEX_BITS 9u                               /* VA bits each level decodes */
#define ARCH_ENTRIES    (1u << ARCH_INDEX_BITS)          /* entries per table */
#define ARCH_VA_BITS    39u /* = ARCH_PAGE_SHIFT + ARCH_LEVELS * ARCH_INDEX_BITS here */
#define ARCH_PA_BITS    56u /* physical-address width an entry can hold */
/* First root slot of the kernel half: root entries
 * [ARCH_KERNEL_FIRST_SLOT, ARCH_ROOT_ENTRIES) map it (in every space's root, or
 * only in the kernel space's with ARCH_KERNEL_ROOT_SEPARATE). */
#define ARCH_KERNEL_FIRST_SLOT 256u
/**
 * ARCH_ROOT_INDEX_BITS - the VA bits the root decodes: ARCH_INDEX_BITS in
 * most formats; fewer where the root is smaller than a table (x86 PAE: a
 * PDPT of four entries, 2 bits, which still takes a frame). The geometry:
 * ARCH_PAGE_SHIFT + (ARCH_LEVELS - 1) * ARCH_INDEX_BITS +
 * ARCH_ROOT_INDEX_BITS == ARCH_VA_BITS.
 */
#define ARCH_ROOT_INDEX_BITS ARCH_INDEX_BITS
/** ARCH_ROOT_ENTRIES - the entries the root table uses: its slots are
 * [0, ARCH_ROOT_ENTRIES), and the rest of its frame stays zero. */
#define ARCH_ROOT_ENTRIES (1u << ARCH_ROOT_INDEX_BITS)
/**
 * ARCH_KERNEL_ROOT_SEPARATE - how the MMU reaches the kernel half. 0: from
 * the root entries [ARCH_KERNEL_FIRST_SLOT, ARCH_ROOT_ENTRIES) of whatever root
 * is loaded, so mm_space_create() copies the kernel space's entries into
 * every new root (x86, RISC-V). 1: from a root register of its own
 * (aarch64 TTBR1_EL1), which the platform points at the kernel space's
 * root once: a user root's kernel-half entries stay empty, and nothing of
 * the kernel is copied or shared through it. A constant (0 or 1) that
 * mm-core tests in plain C, never in #if. (test: space, kernel_half_*)
 */
#define ARCH_KERNEL_ROOT_SEPARATE 0
/** ARCH_USER_END - the first virtual address that is not user: the user
 * half is [0, ARCH_USER_END). */
#define ARCH_USER_END UINT64_C(0x0000004000000000)
/** ARCH_KERNEL_BASE - the first kernel address; between ARCH_USER_END and
 * it, addresses that are not canonical. */
#define ARCH_KERNEL_BASE UINT64_C(0xFFFFFFC000000000)
/* What people call each level's table, leaf first (mmsim's output, DOT). */
#define ARCH_LEVEL_NAMES                                                                           \
	{                                                                                          \
		"L0", "L1", "L2"                                                                   \
	}

/** arch_pte_t - one entry, as it sits in a table (ARCH_ENTRIES of them fill
 * one 4 KiB page: checked by geometry). */
typedef uint64_t arch_pte_t;

/* The made-up format's bits. A real port cites its manual for each. */
#define TEMPLATE_PTE_V    (UINT64_C(1) << 0)           /* valid */
#define TEMPLATE_PTE_R    (UINT64_C(1) << 1)           /* readable */
#define TEMPLATE_PTE_W    (UINT64_C(1) << 2)           /* writable */
#define TEMPLATE_PTE_X    (UINT64_C(1) << 3)           /* executable */
#define TEMPLATE_PTE_U    (UINT64_C(1) << 4)           /* user-accessible */
#define TEMPLATE_PTE_G    (UINT64_C(1) << 5)           /* global: survives address-space switches */
#define TEMPLATE_PTE_A    (UINT64_C(1) << 6)           /* accessed (hardware-set) */
#define TEMPLATE_PTE_D    (UINT64_C(1) << 7)           /* dirty (hardware-set) */
#define TEMPLATE_PTE_T    (UINT64_C(1) << 8)           /* table: points at the next level */
#define TEMPLATE_PTE_COW  (UINT64_C(1) << 9)           /* software: copy-on-write */
#define TEMPLATE_PTE_SHR  (UINT64_C(1) << 10)          /* software: shared on purpose */
#define TEMPLATE_PTE_NONE (UINT64_C(1) << 11)          /* software, V=0: PROT_NONE, frame kept */
#define TEMPLATE_PTE_ADDR UINT64_C(0x00FFFFFFFFFFF000) /* bits 55:12 */

/** arch_level_shift() - log2 of the bytes one entry at @level spans:
 * 12 at level 0 (a page), 21 at level 1, 30 at level 2. */
static inline unsigned arch_level_shift(unsigned level)
{
	return ARCH_PAGE_SHIFT + level * ARCH_INDEX_BITS;
}

/** arch_pte_index() - index (0 .. ARCH_ENTRIES - 1) of the entry for
 * virtual address @va in its table at @level. */
static inline unsigned arch_pte_index(mm_vaddr_t va, unsigned level)
{
	return (unsigned)(va >> arch_level_shift(level)) & (ARCH_ENTRIES - 1);
}

/** arch_va_is_canonical() - may @va be used at all: bits 63 .. VA_BITS-1
 * all equal (sign extension). mm-core refuses other addresses. */
static inline bool arch_va_is_canonical(mm_vaddr_t va)
{
	uint64_t top = va >> (ARCH_VA_BITS - 1);
	return top == 0 || top == (UINT64_MAX >> (ARCH_VA_BITS - 1));
}

/** arch_va_canonical() - the canonical form of an address composed from
 * table indices (the walkers build addresses that way). */
static inline mm_vaddr_t arch_va_canonical(mm_vaddr_t va)
{
	const unsigned top = 64u - ARCH_VA_BITS;
	return (mm_vaddr_t)((int64_t)(va << top) >> top);
}

/** arch_pa_is_valid() - can an entry point at the 4 KiB frame at physical
 * address @pa: page aligned and within ARCH_PA_BITS. */
static inline bool arch_pa_is_valid(mm_paddr_t pa)
{
	return (pa & ~TEMPLATE_PTE_ADDR) == 0;
}

/* ---- protections (test: leaf_round_trip, effective_prot_is_idempotent_and_
 * monotonic, mmu_agrees_with_format) ------------------------------------------ */

/**
 * arch_prot_effective() - what the hardware really grants for a request of
 * MM_PROT_* bits @prot: never less than asked, widened where the format
 * cannot say it (x86: every present page is readable). Idempotent and
 * monotonic. This format can say every combination but write without
 * read, which it widens to read-write.
 */
static inline unsigned arch_prot_effective(unsigned prot)
{
	return (prot & MM_PROT_WRITE) ? (prot | MM_PROT_READ) : prot;
}

/** arch_prot_is_valid() - may @prot be asked of the page-table layer
 * (mm_map(), mm_protect())? READ is required; no unknown bit. */
static inline bool arch_prot_is_valid(unsigned prot)
{
	return (prot & ~(unsigned)MM_PROT_ALL) == 0 && (prot & MM_PROT_READ);
}

/* ---- entries (test: leaf_round_trip, table_round_trip) ------------------------ */

/**
 * arch_pte_table() - a valid non-leaf entry, in a table at @level (from 1
 * up to the root's, ARCH_LEVELS minus 1), pointing at the table
 * at @pa (page aligned, arch_pa_is_valid()). @user: the entry is in the
 * user half. A format whose root entries differ from the others (x86 PAE:
 * a PDPTE has P and the address only) tells them apart by @level.
 * Non-leaf entries should grant everything the format lets them, so that
 * leaves alone decide rights; a format whose tables carry no rights (as
 * this one) ignores @user.
 */
static inline arch_pte_t arch_pte_table(mm_paddr_t pa, unsigned level, bool user)
{
	(void)level; /* the same format at every level */
	(void)user;
	return pa | TEMPLATE_PTE_V | TEMPLATE_PTE_T;
}

/** arch_pte_is_present() - is @e valid for the MMU (a table or a leaf)?
 * False for 0 and for PROT_NONE entries. */
static inline bool arch_pte_is_present(arch_pte_t e)
{
	return (e & TEMPLATE_PTE_V) != 0;
}

/**
 * arch_pte_is_leaf() - does the present entry @e at @level map memory
 * rather than point at a table? Every entry at level 0 is a leaf; above it,
 * as the format says (x86: PS; RISC-V: any of R, W, X; here: T clear).
 * mm-core's walkers stop at leaves; it creates leaves above level 0 up to
 * ARCH_LARGE_MAX_LEVEL (large pages).
 */
static inline bool arch_pte_is_leaf(arch_pte_t e, unsigned level)
{
	return level == 0 || !(e & TEMPLATE_PTE_T);
}

/*
 * ARCH_LARGE_MAX_LEVEL - the highest level at which a leaf (a large page)
 * may sit; 0 for a format without large pages. A leaf at level L maps
 * 1 << arch_level_shift(L) bytes from an output address aligned to that
 * size. mm-core makes large leaves only where the platform allows
 * (mm_sys_set_large_pages(): CPU features such as x86 PSE or 1 GiB pages),
 * splits them into the next level down when an operation covers part of
 * one, and walks, clones and frees them whole. Here: 2 MiB at level 1.
 */
#define ARCH_LARGE_MAX_LEVEL 1u

/**
 * arch_pte_resize() - the leaf @e (valid or PROT_NONE) re-encoded as a
 * leaf at @level (a large page above 0, a 4 KiB page at 0), with its
 * output address, protections, A/D and software bits kept: what a format
 * encodes differently for large leaves (x86 PS, aarch64 block vs page
 * descriptors) changes here, and nowhere else. Here: nothing (T is clear
 * on every leaf).
 * Preconditions: @level <= ARCH_LARGE_MAX_LEVEL; the output address is
 * aligned to 1 << arch_level_shift(@level). (test: large_resize_round_trip)
 */
static inline arch_pte_t arch_pte_resize(arch_pte_t e, unsigned level)
{
	(void)level;
	return e;
}

/**
 * arch_pte_with_ad() - the leaf @e with its accessed and dirty bits set, so
 * that the MMU never writes it: mm-core writes a root-level kernel leaf so
 * (an i386 4 MiB or Sv39 1 GiB page), since each root holds a copy of it
 * and a hardware write to one copy would make the copies differ. Here: A and D.
 */
static inline arch_pte_t arch_pte_with_ad(arch_pte_t e)
{
	return e | TEMPLATE_PTE_A | TEMPLATE_PTE_D;
}

/** arch_pte_paddr() - the physical address of the frame or table @e points
 * at (page aligned). Also defined for PROT_NONE entries. */
static inline mm_paddr_t arch_pte_paddr(arch_pte_t e)
{
	return e & TEMPLATE_PTE_ADDR;
}

/** arch_pte_with_paddr() - @e (a leaf of any level, or PROT_NONE) with its
 * output address replaced by @pa (aligned to the leaf's size): how
 * mm-core gives each piece of a split large page its address. */
static inline arch_pte_t arch_pte_with_paddr(arch_pte_t e, mm_paddr_t pa)
{
	return (e & ~TEMPLATE_PTE_ADDR) | pa;
}

/** arch_pte_prot() - the MM_PROT_* bits of a present leaf: READ, WRITE,
 * EXEC, USER and GLOBAL as encoded (what the hardware grants). */
static inline unsigned arch_pte_prot(arch_pte_t e)
{
	return ((e & TEMPLATE_PTE_R) ? MM_PROT_READ : 0u) |
	       ((e & TEMPLATE_PTE_W) ? MM_PROT_WRITE : 0u) |
	       ((e & TEMPLATE_PTE_X) ? MM_PROT_EXEC : 0u) |
	       ((e & TEMPLATE_PTE_U) ? MM_PROT_USER : 0u) |
	       ((e & TEMPLATE_PTE_G) ? MM_PROT_GLOBAL : 0u);
}

/**
 * arch_pte_with_prot() - the present leaf @e with its protections replaced
 * by arch_prot_effective(@prot) (plus USER and GLOBAL as asked). The frame,
 * the accessed/dirty bits and every software bit are kept. The one encoder
 * of protections: arch_pte_leaf() uses it.
 */
static inline arch_pte_t arch_pte_with_prot(arch_pte_t e, unsigned prot)
{
	prot = arch_prot_effective(prot);
	e &= ~(TEMPLATE_PTE_R | TEMPLATE_PTE_W | TEMPLATE_PTE_X | TEMPLATE_PTE_U | TEMPLATE_PTE_G);
	return e | ((prot & MM_PROT_READ) ? TEMPLATE_PTE_R : 0) |
	       ((prot & MM_PROT_WRITE) ? TEMPLATE_PTE_W : 0) |
	       ((prot & MM_PROT_EXEC) ? TEMPLATE_PTE_X : 0) |
	       ((prot & MM_PROT_USER) ? TEMPLATE_PTE_U : 0) |
	       ((prot & MM_PROT_GLOBAL) ? TEMPLATE_PTE_G : 0);
}

/**
 * arch_pte_leaf() - a present level-0 leaf mapping the 4 KiB frame at @pa
 * with protections @prot. Preconditions: arch_pa_is_valid(@pa),
 * arch_prot_is_valid(@prot) or a subset mm-core's regions use. No software
 * bit is set. Whether A and D start set is the port's choice (say it: a
 * port whose hardware faults on a clear A or D bit must set them).
 */
static inline arch_pte_t arch_pte_leaf(mm_paddr_t pa, unsigned prot)
{
	return arch_pte_with_prot((arch_pte_t)pa | TEMPLATE_PTE_V, prot);
}

/* ---- software bits (test: leaf_round_trip; suites cow and mmap) -------------- */

/** arch_pte_is_cow() / arch_pte_with_cow() - the copy-on-write mark of a
 * leaf: "logically writable, frame shared copy-on-write". A bit the MMU
 * ignores in a valid entry; setting or clearing it changes nothing else. */
static inline bool arch_pte_is_cow(arch_pte_t e)
{
	return (e & TEMPLATE_PTE_COW) != 0;
}

/** arch_pte_with_cow() - leaf @e with its copy-on-write mark set to @cow. */
static inline arch_pte_t arch_pte_with_cow(arch_pte_t e, bool cow)
{
	return cow ? (e | TEMPLATE_PTE_COW) : (e & ~TEMPLATE_PTE_COW);
}

/** arch_pte_is_shared() / arch_pte_with_shared() - the "shared on purpose"
 * mark (MM_MAP_SHARED, mm_map_phys()): never COW, shared by a fork. A bit
 * the MMU ignores in a valid entry. */
static inline bool arch_pte_is_shared(arch_pte_t e)
{
	return (e & TEMPLATE_PTE_SHR) != 0;
}

/** arch_pte_with_shared() - leaf @e with its shared mark set to @shared. */
static inline arch_pte_t arch_pte_with_shared(arch_pte_t e, bool shared)
{
	return shared ? (e | TEMPLATE_PTE_SHR) : (e & ~TEMPLATE_PTE_SHR);
}

/**
 * arch_pte_is_protnone() - is @e a PROT_NONE leaf: not valid to the MMU
 * (every access faults) but holding its frame, whose address and shared
 * mark it keeps. Needs a bit of the not-valid encoding that software owns
 * (a port's manual says which bits the MMU ignores when V=0).
 */
static inline bool arch_pte_is_protnone(arch_pte_t e)
{
	return (e & (TEMPLATE_PTE_V | TEMPLATE_PTE_NONE)) == TEMPLATE_PTE_NONE;
}

/** arch_pte_to_protnone() - the PROT_NONE form of the present leaf @e:
 * frame and shared mark kept, COW mark dropped. */
static inline arch_pte_t arch_pte_to_protnone(arch_pte_t e)
{
	return (arch_pte_with_cow(e, false) & ~TEMPLATE_PTE_V) | TEMPLATE_PTE_NONE;
}

/** arch_pte_from_protnone() - the present leaf for PROT_NONE entry @e with
 * protections @prot, frame and shared mark kept. */
static inline arch_pte_t arch_pte_from_protnone(arch_pte_t e, unsigned prot)
{
	return arch_pte_with_prot((e & ~TEMPLATE_PTE_NONE) | TEMPLATE_PTE_V, prot);
}

/** arch_pte_is_dirty() / arch_pte_is_accessed() - the hardware's D and A
 * bits of a leaf (reported by mm_query()). */
static inline bool arch_pte_is_dirty(arch_pte_t e)
{
	return (e & TEMPLATE_PTE_D) != 0;
}

/** arch_pte_is_accessed() - the hardware's A bit of leaf @e. */
static inline bool arch_pte_is_accessed(arch_pte_t e)
{
	return (e & TEMPLATE_PTE_A) != 0;
}

/* ---- how entries change (suites space, cow, vm: the stale-TLB checker) ------- */

/**
 * arch_pte_store() - write @e into the table slot @slot: the one way
 * mm-core writes an entry, so that a port can add what its memory model
 * needs (a single-copy-atomic store so the MMU never sees half an entry;
 * on SMP later, an atomic). Ordering against the MMU's walks is the TLB
 * hooks' job (x86 invlpg, RISC-V sfence.vma, Arm DSB+TLBI+DSB+ISB).
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
 * arch_root_entries_cached() - does the MMU keep its own copy of the root
 * entries, read when the root register is written and never again (x86
 * PAE: the four PDPTE registers, SDM Vol. 3A §4.4.1)? Then mm-core, after
 * changing a root entry of the loaded root, writes the root register again
 * (mm_mach_ops.activate) before it relies on the change or frees a table
 * the old entry pointed at. Most formats: false (root entries are read by
 * each walk, and cached only as the TLB hooks drop).
 */
static inline bool arch_root_entries_cached(void)
{
	return false;
}

/**
 * arch_tlb_caches_invalid() - may the TLB or the walk caches hold an entry
 * that is not valid, so that making an entry valid needs an invalidation
 * too? x86: no. RISC-V: yes (the privileged spec lets an implementation
 * cache invalid entries until sfence.vma). When true, mm-core invalidates
 * every page it makes valid in an active space.
 */
static inline bool arch_tlb_caches_invalid(void)
{
	return true;
}

/*
 * Optional: the recursive mapping (meson -Dtables=recursive, which defines
 * MM_TABLES_RECURSIVE=1; docs/ARCHITECTURE.md, "Direct map or recursive
 * mapping"). A port that offers it defines the items below; one that does
 * not says so with an #error when MM_TABLES_RECURSIVE is 1 (x86_64,
 * riscv64, aarch64, i386-pae do). Only i386 offers it today. Every window
 * slot lies above the kernel half's last slot: the kernel half becomes
 * [ARCH_KERNEL_FIRST_SLOT, ARCH_RECURSIVE_FIRST_SLOT), and each root's
 * window entries are its own.
 */
#if MM_TABLES_RECURSIVE
/** ARCH_RECURSIVE_SLOT - the root entry of every root that points at that
 * root itself (the self-map): the loaded root's tables appear in the
 * window this entry spans. */
#define ARCH_RECURSIVE_SLOT 511u
/** ARCH_RECURSIVE_ALT_FIRST - the first alternate entry: entries
 * [ARCH_RECURSIVE_ALT_FIRST, + ARCH_RECURSIVE_ALT_SLOTS) of the loaded root
 * point at other roots, whose tables then appear in their windows. */
#define ARCH_RECURSIVE_ALT_FIRST 509u
/** ARCH_RECURSIVE_ALT_SLOTS - alternate entries: at least 2 (a clone holds
 * tables of two roots besides the loaded one), at most MM_RECURSIVE_ALT_MAX. */
#define ARCH_RECURSIVE_ALT_SLOTS 2u
/** ARCH_RECURSIVE_FIRST_SLOT - the lowest window slot; the kernel half
 * ends below it, and mm_kernel_map() refuses addresses from its span up. */
#define ARCH_RECURSIVE_FIRST_SLOT 509u

/**
 * arch_recursive_table_va() - where the table at @level on @va's path,
 * under the root in entry @slot of the loaded root, appears: @slot is
 * ARCH_RECURSIVE_SLOT (the loaded root) or an alternate slot. The walk of
 * that address must take root entry @slot, then the self entry as often
 * as needed to stop one level early, then @va's indices above @level,
 * and end on the table. @level ARCH_LEVELS - 1 (a root): the self entry
 * at every level but the last, which is @slot, so that a root in an
 * alternate slot needs no self entry yet. Only the VA arithmetic, no
 * memory read.
 */
static inline mm_vaddr_t arch_recursive_table_va(unsigned slot, mm_vaddr_t va, unsigned level)
{
	mm_vaddr_t w = 0;
	unsigned k = ARCH_LEVELS; /* index positions, from the root's down */
	if (level == ARCH_LEVELS - 1) {
		while (--k > 0)
			w |= (mm_vaddr_t)ARCH_RECURSIVE_SLOT << arch_level_shift(k);
		w |= (mm_vaddr_t)slot << arch_level_shift(0);
		return arch_va_canonical(w);
	}
	w |= (mm_vaddr_t)slot << arch_level_shift(--k);
	for (unsigned n = 0; n < level; n++)
		w |= (mm_vaddr_t)ARCH_RECURSIVE_SLOT << arch_level_shift(--k);
	for (unsigned l = ARCH_LEVELS - 1; k > 0; l--)
		w |= (mm_vaddr_t)arch_pte_index(va, l) << arch_level_shift(--k);
	return arch_va_canonical(w);
}

/**
 * arch_recursive_pte() - the entry of a window slot pointing at the root
 * at @root_pa: a table entry the MMU also takes for a leaf (of the window
 * page that is the root itself), so supervisor-only (no window is
 * reachable from user mode), writable, and with every bit the MMU would
 * set on a leaf already set (x86: A and D), since mm-core compares roots.
 */
static inline arch_pte_t arch_recursive_pte(mm_paddr_t root_pa)
{
	return arch_pte_table(root_pa, ARCH_LEVELS - 1, false);
}
#endif

#endif /* ARCH_TEMPLATE_PTE_H */
