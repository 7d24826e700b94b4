/*
 * Internal to mm-core: the walker and range helpers shared by space.c (the
 * page-table layer) and vm.c (regions, faults, mmap). Not a public API.
 */
#ifndef MM_SRC_INTERNAL_H
#define MM_SRC_INTERNAL_H

#include <mm/mm.h>

#include <arch/pte.h>

#define ROOT_LEVEL (ARCH_LEVELS - 1u)
/* Kernel-half tables at this level are allocated once and shared. */
#define SHARED_LEVEL (ARCH_LEVELS - 2u)
#define PAGE_MASK    (ARCH_PAGE_SIZE - 1u)

/*
 * Invalidations owed by one range operation. Entries are cleared first and
 * the TLB work is done once at the end, before returning to any caller that
 * could touch the pages (single CPU: nothing runs in between).
 */
struct mmi_tlb_batch {
	const struct mm_sys *sys;
	uint32_t asid; /* the space's, or MM_ASID_ALL for the kernel half */
	bool needed;   /* the space is active, or the kernel half changed */
	bool full;     /* too many pages: flush everything instead */
	bool each;     /* invalidate every page at once, never by a flush: the
	                * kernel half's global entries survive flush_all */
	unsigned n;
	mm_vaddr_t va[MM_TLB_BATCH_PAGES];
};

struct mmi_map_src {
	bool anon;     /* fresh zeroed frames; else consecutive physical pages */
	mm_paddr_t pa; /* !anon: physical address of the first page */
	bool take_ref; /* take a reference on managed frames */
	bool shared;   /* mark the PTEs shared (arch_pte_with_shared) */
	/* !anon: the highest level at which a large leaf may be made where
	 * addresses and range allow (0: 4 KiB pages only). */
	unsigned max_level;
};

/* Bytes one entry at @level spans. */
static inline uint64_t mmi_level_size(unsigned level)
{
	return UINT64_C(1) << arch_level_shift(level);
}

/*
 * The one rule for protections of user leaves (see "Copy-on-write" in
 * docs/ARCHITECTURE.md):
 *
 *  - A page's logical protection is its hardware protection, plus WRITE if
 *    the software COW bit is set: COW means "logically writable, frame
 *    shared copy-on-write". A read-only page never carries the COW bit.
 *  - A private page (no software shared bit) whose managed frame has more
 *    than one reference is never hardware-writable: if it is logically
 *    writable it is COW instead, and the first write copies.
 *
 * mmi_pte_logical_prot() reads the first; mmi_pte_with_logical_prot() is
 * the only place a user leaf's protection is set from a logical one
 * (protect, mprotect, clone, COW break).
 */
static inline unsigned mmi_pte_logical_prot(arch_pte_t e)
{
	return arch_pte_prot(e) | (arch_pte_is_cow(e) ? MM_PROT_WRITE : 0u);
}

/* Does the leaf @e hold a frame: present, or PROT_NONE (not present to the
 * MMU, frame kept)? For an entry at level 0; above it, mmi_is_leaf_at(). */
static inline bool mmi_leaf_used(arch_pte_t e)
{
	return arch_pte_is_present(e) || arch_pte_is_protnone(e);
}

/* Is the entry @e at @level a leaf holding frames (a page, or a large page
 * above level 0), present or PROT_NONE? A table entry is not. */
static inline bool mmi_is_leaf_at(arch_pte_t e, unsigned level)
{
	return mmi_leaf_used(e) && arch_pte_is_leaf(e, level);
}

/* @e (a present user leaf whose frame's metadata is @f, NULL if unmanaged)
 * with logical protection @prot, by the rule above. */
static inline arch_pte_t mmi_pte_with_logical_prot(arch_pte_t e, unsigned prot,
                                                   const struct mm_frame *f)
{
	bool shared_frame = f && f->ref_or_next > 1 && !arch_pte_is_shared(e);
	bool cow = (prot & MM_PROT_WRITE) && shared_frame;
	return arch_pte_with_cow(
	        arch_pte_with_prot(e, cow ? prot & ~(unsigned)MM_PROT_WRITE : prot), cow);
}

/* Drop one reference to @pa if it is a managed frame (one lookup). */
void mmi_put_if_managed(struct mm_sys *sys, mm_paddr_t pa);
/* The contents of a frame users map (mm_mach_ops.map_frame, else the
 * direct map), until mmi_frame_unmap(); at most two at once. */
void *mmi_frame_map(const struct mm_sys *sys, mm_paddr_t pa);
void mmi_frame_unmap(const struct mm_sys *sys, mm_paddr_t pa, void *p);
/* Zero, or copy (@src to @dst), one frame's 4 KiB through mmi_frame_map(). */
void mmi_frame_zero(const struct mm_sys *sys, mm_paddr_t pa);
void mmi_frame_copy(const struct mm_sys *sys, mm_paddr_t dst, mm_paddr_t src);

/*
 * How mm-core reaches a page table (docs/ARCHITECTURE.md, "Direct map or
 * recursive mapping"). A table linked in a tree is named by the tree's
 * root @root, an address @va its entries span and its @level, besides its
 * physical address @pa:
 *  - direct map (default): phys_to_virt(@pa), inline, nothing else read;
 *  - recursive (MM_TABLES_RECURSIVE, -Dtables=recursive): the table's
 *    address in a window of the loaded root (arch_recursive_table_va()):
 *    its self entry if @root is loaded or the table is a shared one of the
 *    kernel half, else an alternate entry of the loaded root where @root
 *    is installed (mmi_table_window()). The pointer stays valid while
 *    @root stays loaded or installed: mm-core holds pointers into at most
 *    two roots besides the loaded one at a time (a clone: parent and
 *    child), and the alternate slot replaced is the one used least
 *    recently, so a third root is never needed to keep two.
 * A table linked nowhere (filled before it is linked, a spare) has no
 * window: mmi_table_map() reaches it, through the temporary mapping of
 * mm_mach_ops.map_frame in recursive mode (phys_to_virt otherwise).
 */
#if MM_TABLES_RECURSIVE
#define MMI_KERNEL_END_SLOT ARCH_RECURSIVE_FIRST_SLOT /* the windows are not kernel half */
arch_pte_t *mmi_table_window(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va,
                             unsigned level, mm_paddr_t pa);
/* The table at @level on @va's path under @root was unlinked (or its
 * parent entry changed): invalidate its window page, if a window may map it. */
void mmi_table_unlinked(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned level);
#else
#define MMI_KERNEL_END_SLOT ARCH_ROOT_ENTRIES /* the kernel half: root entries up to the last */
static inline void mmi_table_unlinked(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va,
                                      unsigned level)
{
	(void)sys;
	(void)root;
	(void)va;
	(void)level;
}
#endif

/* The table at @pa, linked at @level on @va's path under @root (above). */
static inline arch_pte_t *mmi_table(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va,
                                    unsigned level, mm_paddr_t pa)
{
#if MM_TABLES_RECURSIVE
	return mmi_table_window(sys, root, va, level, pa);
#else
	(void)root;
	(void)va;
	(void)level;
	return (arch_pte_t *)sys->ops->phys_to_virt(sys->mach, pa);
#endif
}

/* A table frame linked nowhere, until mmi_table_unmap() (no other hook
 * call in between in recursive mode: it is mmi_frame_map()). */
static inline arch_pte_t *mmi_table_map(const struct mm_sys *sys, mm_paddr_t pa)
{
	if (MM_TABLES_RECURSIVE)
		return (arch_pte_t *)mmi_frame_map(sys, pa);
	return (arch_pte_t *)sys->ops->phys_to_virt(sys->mach, pa);
}

static inline void mmi_table_unmap(const struct mm_sys *sys, mm_paddr_t pa, arch_pte_t *t)
{
	if (MM_TABLES_RECURSIVE)
		mmi_frame_unmap(sys, pa, t);
}
struct mm_frame *mmi_table_meta(const struct mm_sys *sys, mm_paddr_t pa);
mm_vaddr_t mmi_chunk_end(mm_vaddr_t va, mm_vaddr_t end);
/* First address past the entry at @level spanning @va, capped at @end
 * (0: the range ends at 2^64). */
mm_vaddr_t mmi_span_end(mm_vaddr_t va, unsigned level, mm_vaddr_t end);
/* The slot of the entry that decides @va under @root: the first on its
 * path that is missing or a leaf (of any level); its level in *@level and,
 * if @table is not NULL, the table holding it in *@table. */
arch_pte_t *mmi_descend(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned *level,
                        mm_paddr_t *table);
/* The batch for a change to @s: TLB work only if a TLB may hold @s's entries. */
static inline struct mmi_tlb_batch mmi_tlb_batch_of(const struct mm_space *s)
{
	return (struct mmi_tlb_batch){ .sys = s->sys,
		                       .asid = s->asid,
		                       .needed = mm_space_tlb_live(s) };
}
void mmi_tlb_add(struct mmi_tlb_batch *b, mm_vaddr_t va);
/* A page of @b's space went from not valid to valid: invalidate it too if
 * the ISA may cache entries that are not valid (arch_tlb_caches_invalid()). */
void mmi_tlb_add_new(struct mmi_tlb_batch *b, mm_vaddr_t va);
void mmi_tlb_finish(struct mmi_tlb_batch *b);
/* A root entry of the table at @root changed (a table linked or unlinked):
 * where the MMU keeps its own copy of the root entries
 * (arch_root_entries_cached(): x86 PAE's PDPTE registers), write the root
 * register again if @root is the one loaded, so that the MMU sees the
 * change before mm-core relies on it or reuses an unlinked table. */
void mmi_root_entry_changed(struct mm_sys *sys, mm_paddr_t root);
int mmi_leaf_table(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, bool alloc, bool user,
                   uint64_t *ntables, mm_paddr_t *leaf_pa, unsigned *missing);
/* mmi_leaf_table() for the table at level @target. */
int mmi_table_for(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned target, bool alloc,
                  bool user, uint64_t *ntables, mm_paddr_t *table_pa, unsigned *missing);
void mmi_prune(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned stop_level,
               uint64_t *ntables);
uint64_t mmi_count_mapped(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, mm_vaddr_t end);
int mmi_check_user_range(const struct mm_space *s, mm_vaddr_t va, uint64_t npages, mm_vaddr_t *end);
/* Map [va, end) under @root, every page absent; all-or-nothing. */
int mmi_map_range(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, mm_vaddr_t end,
                  const struct mmi_map_src *src, unsigned prot, bool user_half, uint64_t *ntables,
                  uint64_t *npages_out, uint64_t *nlarge);
/* Unmap what is mapped in [va, end) under @root, no large leaf crossing
 * either end (mmi_split_edges()); returns the 4 KiB pages unmapped. */
uint64_t mmi_unmap_range(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, mm_vaddr_t end,
                         bool user_half, uint64_t *ntables, uint64_t *nlarge,
                         struct mmi_tlb_batch *b);
/* Split the large leaves of @s's user half that cross @va or @end, so
 * that each leaf lies wholly inside or outside [va, end); all-or-nothing.
 * Return: 0 or -MM_ENOMEM (nothing changed). */
int mmi_split_edges(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end, struct mmi_tlb_batch *b);
/* Split every large leaf of @s's user half that overlaps [va, end) down
 * to 4 KiB pages, for the region layer, which works page by page; no-op
 * (and free) when the space has none. All-or-nothing.
 * Return: 0 or -MM_ENOMEM (nothing changed). */
int mmi_demote_range(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end);
/* mmi_demote_range() in two steps, for a caller with other allocations to
 * make between them: mmi_demote_reserve() takes every table the demotion
 * of [va, end) needs (into *@chain, 0 if none) and changes nothing else;
 * then mmi_demote_apply() demotes with them (cannot fail), or
 * mmi_demote_cancel() gives them back.
 * Return (reserve): 0 or -MM_ENOMEM (nothing taken). */
int mmi_demote_reserve(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end, mm_paddr_t *chain);
void mmi_demote_apply(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end, mm_paddr_t *chain);
void mmi_demote_cancel(struct mm_sys *sys, mm_paddr_t *chain);

/* Set the used leaf *@e to logical protection @prot: without READ it becomes
 * PROT_NONE (frame kept), else present by mmi_pte_with_logical_prot(). */
void mmi_leaf_set_prot(struct mm_sys *sys, arch_pte_t *e, unsigned prot);

/* ---- the region set (region.c) ---------------------------------------------- */

/* A region in the tree: the public struct first, so that a region pointer
 * handed out is a node pointer. Lives in a frame of kind MM_FRAME_REGION. */
struct mm_region_node {
	struct mm_region r;
	struct mm_region_node *left, *right; /* AVL tree by r.start */
	struct mm_region_node *prev, *next;  /* address order; next links free nodes */
	struct region_frame *frame;          /* the frame holding this node */
	mm_vaddr_t max_gap;                  /* largest gap below a region of the subtree */
	mm_vaddr_t stack_lo;                 /* lowest reach of a grow-down region in it */
	int height;
};

/* Nodes any one region operation may add: a split at each end of its range
 * and one new region. Operations reserve this many before changing. */
#define MMI_REGION_NODES_PER_OP 3u

/* Make @n free nodes available to @s; *@added counts the frames taken, for
 * mmi_regions_cancel(). -MM_ENOMEM (nothing taken) if frames run out. */
int mmi_regions_reserve(struct mm_space *s, uint64_t n, uint64_t *added);
/* Give back the @added frames of the last reservation, before any insert. */
void mmi_regions_cancel(struct mm_space *s, uint64_t added);
/* Insert a copy of @r (which overlaps no region) in a reserved node. */
struct mm_region_node *mmi_region_insert(struct mm_space *s, const struct mm_region *r);
void mmi_region_remove(struct mm_space *s, struct mm_region_node *n);
/* After @n's start, end, limit or flags changed in place (order kept). */
void mmi_region_changed(struct mm_space *s, struct mm_region_node *n);
/* The last region starting at or below @va, or NULL. */
struct mm_region_node *mmi_region_floor(const struct mm_space *s, mm_vaddr_t va);
/* The first region ending above @va, or NULL. */
struct mm_region_node *mmi_region_ending_after(const struct mm_space *s, mm_vaddr_t va);
/* The highest free range of @len bytes below every stack, or 0. */
mm_vaddr_t mmi_region_find_gap(const struct mm_space *s, uint64_t len);
/* Lowest address a region occupies: a stack's whole reach and guard page. */
mm_vaddr_t mmi_reach_lo(const struct mm_region *r);
int mmi_regions_clone(struct mm_space *child, const struct mm_space *parent);
void mmi_regions_free_all(struct mm_space *s);

/* The W^X policy (mm_sys_set_wx()): is @prot refused? */
static inline bool mmi_wx_refused(const struct mm_sys *sys, unsigned prot)
{
	return sys->wx_strict && (prot & MM_PROT_WRITE) && (prot & MM_PROT_EXEC);
}

#endif
