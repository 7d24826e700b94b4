/*
 * mm-core address spaces: a walker parameterised by level over the ISA's
 * page-table format (<arch/pte.h>), and the operations of <mm/mm.h> on it.
 *
 * Invariants kept here (checked by the test suites' invariant checker):
 *  - no user-half table below the root is ever empty: unmap frees a table
 *    as soon as its last entry goes, so a failed map can be rolled back by
 *    unmapping what it mapped and pruning empty tables on the way;
 *  - every table's pt_used (frame metadata) equals its present entries;
 *  - the root entries of the kernel half are written once, at
 *    mm_sys_init() or mm_space_create(), and never change.
 */
#include <mm/mm.h>

#include <arch/pte.h>

#include "assert.h"
#include "internal.h"

#define ROOT_LEVEL (ARCH_LEVELS - 1u)
/* Kernel-half tables at this level are allocated once and shared. */
#define SHARED_LEVEL (ARCH_LEVELS - 2u)
#define PAGE_MASK    (ARCH_PAGE_SIZE - 1u)

void *mmi_frame_map(const struct mm_sys *sys, mm_paddr_t pa)
{
	if (sys->ops->map_frame)
		return sys->ops->map_frame(sys->mach, pa);
	return sys->ops->phys_to_virt(sys->mach, pa);
}

void mmi_frame_unmap(const struct mm_sys *sys, mm_paddr_t pa, void *p)
{
	if (sys->ops->unmap_frame)
		sys->ops->unmap_frame(sys->mach, pa, p);
}

void mmi_frame_zero(const struct mm_sys *sys, mm_paddr_t pa)
{
	void *p = mmi_frame_map(sys, pa);
	__builtin_memset(p, 0, ARCH_PAGE_SIZE);
	mmi_frame_unmap(sys, pa, p);
}

void mmi_frame_copy(const struct mm_sys *sys, mm_paddr_t dst, mm_paddr_t src)
{
	void *d = mmi_frame_map(sys, dst);
	const void *s = mmi_frame_map(sys, src);
	__builtin_memcpy(d, s, ARCH_PAGE_SIZE);
	mmi_frame_unmap(sys, src, (void *)(uintptr_t)s);
	mmi_frame_unmap(sys, dst, d);
}

struct mm_frame *mmi_table_meta(const struct mm_sys *sys, mm_paddr_t pa)
{
	struct mm_frame *f = mm_frame_get(&sys->frames, pa);
	MM_ASSERT(f && f->kind == MM_FRAME_PT);
	return f;
}

#if MM_TABLES_RECURSIVE
_Static_assert(ARCH_RECURSIVE_ALT_SLOTS >= 2 && ARCH_RECURSIVE_ALT_SLOTS <= MM_RECURSIVE_ALT_MAX,
               "a clone holds tables of two roots besides the loaded one");
_Static_assert(ARCH_RECURSIVE_FIRST_SLOT > ARCH_KERNEL_FIRST_SLOT &&
                       ARCH_RECURSIVE_ALT_FIRST + ARCH_RECURSIVE_ALT_SLOTS <= ARCH_ROOT_ENTRIES &&
                       ARCH_RECURSIVE_SLOT < ARCH_ROOT_ENTRIES,
               "the windows are root entries above the kernel half");

static mm_paddr_t loaded_root(const struct mm_sys *sys)
{
	return sys->active ? sys->active->root : 0;
}

/* The pointer through which mm-core reaches the table at @pa, which the
 * loaded root maps at window address @w. */
static arch_pte_t *window_ptr(const struct mm_sys *sys, mm_vaddr_t w, mm_paddr_t pa)
{
	if (sys->ops->table_window)
		return (arch_pte_t *)sys->ops->table_window(sys->mach, w, pa);
	return (arch_pte_t *)(uintptr_t)w;
}

/* The loaded root's own entries, through its self entry. */
static arch_pte_t *loaded_entries(const struct mm_sys *sys)
{
	return window_ptr(sys, arch_recursive_table_va(ARCH_RECURSIVE_SLOT, 0, ROOT_LEVEL),
	                  loaded_root(sys));
}

/* Point alternate entry @i of the loaded root at @root (0: clear it). The
 * windows of the root it held may be in the TLB: they go (a flush of the
 * loaded space's non-global entries, as NetBSD i386's pmap_map_ptes() did;
 * x86 caches no entry that is not present, SDM Vol. 3A §4.10.2.3, so a slot
 * that was empty needs none). */
static void alt_set(struct mm_sys *sys, unsigned i, mm_paddr_t root)
{
	arch_pte_t *lt = loaded_entries(sys);
	arch_pte_store(&lt[ARCH_RECURSIVE_ALT_FIRST + i], root ? arch_recursive_pte(root) : 0);
	const bool was = sys->rec_alt[i] != 0;
	sys->rec_alt[i] = root;
	if (was || arch_tlb_caches_invalid())
		sys->ops->flush_all(sys->mach, sys->active->asid);
}

/* The alternate slot where @root is installed, installing it in the one
 * used least recently if it is in none. */
static unsigned alt_slot(struct mm_sys *sys, mm_paddr_t root)
{
	for (unsigned i = 0; i < ARCH_RECURSIVE_ALT_SLOTS; i++)
		if (sys->rec_alt[i] == root) {
			sys->rec_mru = i;
			return ARCH_RECURSIVE_ALT_FIRST + i;
		}
	const unsigned i = (sys->rec_mru + 1) % ARCH_RECURSIVE_ALT_SLOTS;
	alt_set(sys, i, root);
	sys->rec_mru = i;
	return ARCH_RECURSIVE_ALT_FIRST + i;
}

/* Is the table at @level on @va's path under @root reached through the
 * loaded root's self entry: @root is loaded, or the table is shared by
 * every root (below the root level in the kernel half)? */
static bool through_self(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned level)
{
	return root == loaded_root(sys) || (level < ROOT_LEVEL && va >= ARCH_KERNEL_BASE);
}

arch_pte_t *mmi_table_window(const struct mm_sys *csys, mm_paddr_t root, mm_vaddr_t va,
                             unsigned level, mm_paddr_t pa)
{
	/* The alternate entries are a cache of mappings, as a TLB is: a
	 * read-only walk may install a root in one. */
	struct mm_sys *sys = (struct mm_sys *)(uintptr_t)csys;
	if (!sys->active) /* before the first activation: no root to walk yet */
		return (arch_pte_t *)sys->ops->phys_to_virt(sys->mach, pa);
	const unsigned slot =
	        through_self(sys, root, va, level) ? ARCH_RECURSIVE_SLOT : alt_slot(sys, root);
	return window_ptr(sys, arch_recursive_table_va(slot, va, level), pa);
}

void mmi_table_unlinked(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned level)
{
	if (!sys->active)
		return;
	unsigned slot = ARCH_RECURSIVE_SLOT;
	if (!through_self(sys, root, va, level)) {
		unsigned i = 0;
		while (i < ARCH_RECURSIVE_ALT_SLOTS && sys->rec_alt[i] != root)
			i++;
		if (i == ARCH_RECURSIVE_ALT_SLOTS)
			return; /* installed nowhere: no window, no TLB entry */
		slot = ARCH_RECURSIVE_ALT_FIRST + i;
	}
	sys->ops->invalidate_page(sys->mach, sys->active->asid,
	                          arch_recursive_table_va(slot, va, level));
}

/* Before the loaded root changes: clear its alternate entries, so that a
 * root not loaded holds none (its windows leave the TLB with the root
 * write, or here where the TLB is tagged). */
static void alt_clear_all(struct mm_sys *sys)
{
	if (!sys->active)
		return;
	bool any = false;
	for (unsigned i = 0; i < ARCH_RECURSIVE_ALT_SLOTS; i++)
		if (sys->rec_alt[i]) {
			arch_pte_store(&loaded_entries(sys)[ARCH_RECURSIVE_ALT_FIRST + i], 0);
			sys->rec_alt[i] = 0;
			any = true;
		}
	if (any && sys->active->asid != 0)
		sys->ops->flush_all(sys->mach, sys->active->asid);
}

/* @root is going away: take it out of the alternate entries (with the
 * flush of its windows) before its frame can be reused. */
static void alt_forget(struct mm_sys *sys, mm_paddr_t root)
{
	for (unsigned i = 0; i < ARCH_RECURSIVE_ALT_SLOTS; i++)
		if (sys->rec_alt[i] == root)
			alt_set(sys, i, 0);
}
#endif

mm_vaddr_t mmi_span_end(mm_vaddr_t va, unsigned level, mm_vaddr_t end)
{
	mm_vaddr_t next = (va | (mmi_level_size(level) - 1)) + 1;
	if (next == 0) /* the span reaches 2^64, and so does or ends before it @end */
		return end;
	return (end != 0 && next > end) ? end : next;
}

/* First address past the leaf table that holds @va, capped at @end: the
 * chunk of range walks. */
mm_vaddr_t mmi_chunk_end(mm_vaddr_t va, mm_vaddr_t end)
{
	return mmi_span_end(va, 1, end);
}

arch_pte_t *mmi_descend(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned *level,
                        mm_paddr_t *table)
{
	mm_paddr_t pa = root;
	for (unsigned l = ROOT_LEVEL;; l--) {
		arch_pte_t *slot = &mmi_table(sys, root, va, l, pa)[arch_pte_index(va, l)];
		if (l == 0 || !arch_pte_is_present(*slot) || arch_pte_is_leaf(*slot, l)) {
			*level = l;
			if (table)
				*table = pa;
			return slot;
		}
		pa = arch_pte_paddr(*slot);
	}
}

/* ---- frames ------------------------------------------------------------ */

int mm_sys_frame_alloc_run(struct mm_sys *sys, enum mm_frame_kind kind, unsigned order, bool zero,
                           mm_paddr_t *pa)
{
	mm_paddr_t run;
	int err = mm_frame_alloc_run(&sys->frames, kind, order, &run);
	if (err)
		return err;
	const uint64_t size = (uint64_t)ARCH_PAGE_SIZE << order;
	for (uint64_t off = 0; off < size; off += ARCH_PAGE_SIZE) {
		if (sys->ops->frame_allocated)
			sys->ops->frame_allocated(sys->mach, run + off);
		if (!zero)
			continue;
		/* Users map it (maybe beyond the direct map), or it is a table with
		 * no window yet (recursive mapping): the temporary mapping. */
		if (kind == MM_FRAME_USER || (MM_TABLES_RECURSIVE && kind == MM_FRAME_PT))
			mmi_frame_zero(sys, run + off);
		else
			__builtin_memset(sys->ops->phys_to_virt(sys->mach, run + off), 0,
			                 ARCH_PAGE_SIZE);
	}
	*pa = run;
	return 0;
}

int mm_sys_frame_alloc(struct mm_sys *sys, enum mm_frame_kind kind, bool zero, mm_paddr_t *out)
{
	return mm_sys_frame_alloc_run(sys, kind, 0, zero, out);
}

uint32_t mm_sys_frame_put(struct mm_sys *sys, mm_paddr_t pa)
{
	struct mm_frame *f = mm_frame_get(&sys->frames, pa);
	MM_ASSERT(f != NULL);
	uint32_t left = mm_frame_unref_meta(&sys->frames, f);
	if (left == 0 && sys->ops->frame_freed)
		sys->ops->frame_freed(sys->mach, pa);
	return left;
}

void mmi_put_if_managed(struct mm_sys *sys, mm_paddr_t pa)
{
	struct mm_frame *f = mm_frame_get(&sys->frames, pa);
	if (f && mm_frame_unref_meta(&sys->frames, f) == 0 && sys->ops->frame_freed)
		sys->ops->frame_freed(sys->mach, pa);
}

/* ---- TLB batching -------------------------------------------------------- */

void mmi_tlb_add(struct mmi_tlb_batch *b, mm_vaddr_t va)
{
	if (b->needed && b->each) {
		b->sys->ops->invalidate_page(b->sys->mach, b->asid, va);
		return;
	}
	if (!b->needed || b->full)
		return;
	if (b->n == MM_TLB_BATCH_PAGES) {
		b->full = true;
		return;
	}
	b->va[b->n++] = va;
}

void mmi_tlb_finish(struct mmi_tlb_batch *b)
{
	if (!b->needed)
		return;
	if (b->full) {
		b->sys->ops->flush_all(b->sys->mach, b->asid);
		return;
	}
	for (unsigned i = 0; i < b->n; i++)
		b->sys->ops->invalidate_page(b->sys->mach, b->asid, b->va[i]);
}

void mmi_tlb_add_new(struct mmi_tlb_batch *b, mm_vaddr_t va)
{
	if (arch_tlb_caches_invalid())
		mmi_tlb_add(b, va);
}

void mmi_root_entry_changed(struct mm_sys *sys, mm_paddr_t root)
{
	if (!arch_root_entries_cached() || sys->ops->read_root(sys->mach) != root)
		return;
	/* x86 PAE: a CR3 write reloads the four PDPTE registers (SDM Vol. 3A
	 * §4.4.1); with no PCID it also drops the non-global TLB entries. */
	const struct mm_space *a = sys->active;
	sys->ops->activate(sys->mach, root, a && a->root == root ? a->asid : 0);
}

/* ---- the walker ---------------------------------------------------------- */

/*
 * Find the table at level @target (mmi_leaf_table(): the leaf table, level
 * 0) covering @va under @root; with @alloc,
 * allocate missing tables on the way (zeroed, kind PT, counted in
 * *@ntables, user-accessible if @user). On -MM_ENOMEM the tables already
 * linked stay linked but empty: the caller prunes them.
 *
 * Return: 0 and *@leaf_pa; -MM_ENOENT (no @alloc, a table is missing: its
 * parent's level in *@missing if @missing is not NULL);
 * -MM_ENOMEM.
 */
int mmi_table_for(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned target, bool alloc,
                  bool user, uint64_t *ntables, mm_paddr_t *table_pa, unsigned *missing)
{
	mm_paddr_t pa = root;
	for (unsigned level = ROOT_LEVEL; level > target; level--) {
		arch_pte_t *t = mmi_table(sys, root, va, level, pa);
		unsigned i = arch_pte_index(va, level);
		/* A large leaf on the way: callers split it first (mmi_split_edges(),
		 * mmi_demote_range()) or never meet one. */
		MM_ASSERT(!mmi_is_leaf_at(t[i], level));
		if (!arch_pte_is_present(t[i])) {
			if (!alloc) {
				if (missing)
					*missing = level;
				return -MM_ENOENT;
			}
			mm_paddr_t npa;
			int err = mm_sys_frame_alloc(sys, MM_FRAME_PT, true, &npa);
			if (err)
				return err;
			arch_pte_store(&t[i], arch_pte_table(npa, level, user));
			mmi_table_meta(sys, pa)->pt_used++;
			(*ntables)++;
			if (level == ROOT_LEVEL)
				mmi_root_entry_changed(sys, root);
		}
		pa = arch_pte_paddr(t[i]);
	}
	*table_pa = pa;
	return 0;
}

int mmi_leaf_table(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, bool alloc, bool user,
                   uint64_t *ntables, mm_paddr_t *leaf_pa, unsigned *missing)
{
	return mmi_table_for(sys, root, va, 0, alloc, user, ntables, leaf_pa, missing);
}

/*
 * Free the empty tables on @va's path, from the leaf table up, stopping
 * below @stop_level (ROOT_LEVEL for a user half: never the root;
 * SHARED_LEVEL for the kernel half: never the shared tables).
 */
void mmi_prune(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, unsigned stop_level,
               uint64_t *ntables)
{
	mm_paddr_t path[ARCH_LEVELS];
	path[ROOT_LEVEL] = root;
	unsigned lowest = ROOT_LEVEL;
	for (unsigned level = ROOT_LEVEL; level > 0; level--) {
		arch_pte_t e =
		        mmi_table(sys, root, va, level, path[level])[arch_pte_index(va, level)];
		if (!arch_pte_is_present(e) || arch_pte_is_leaf(e, level))
			break;
		path[level - 1] = arch_pte_paddr(e);
		lowest = level - 1;
	}
	for (unsigned level = lowest; level < stop_level; level++) {
		if (mmi_table_meta(sys, path[level])->pt_used != 0)
			break;
		arch_pte_t *parent = mmi_table(sys, root, va, level + 1, path[level + 1]);
		arch_pte_store(&parent[arch_pte_index(va, level + 1)], 0);
		mmi_table_meta(sys, path[level + 1])->pt_used--;
		mmi_table_unlinked(sys, root, va, level);
		if (level + 1 == ROOT_LEVEL) /* before the table can be reused */
			mmi_root_entry_changed(sys, root);
		mm_sys_frame_put(sys, path[level]);
		(*ntables)--;
	}
}

/*
 * Number of present leaf PTEs in [va, end) under @root. Read only; skips
 * a whole missing subtree at once, so a huge sparse range costs little.
 */
uint64_t mmi_count_mapped(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, mm_vaddr_t end)
{
	uint64_t n = 0;
	while (va != end) {
		unsigned level;
		arch_pte_t *slot = mmi_descend(sys, root, va, &level, NULL);
		mm_vaddr_t stop = mmi_span_end(va, level > 0 ? level : 1, end);
		if (level == 0) { /* the rest of this leaf table */
			arch_pte_t *t = slot - arch_pte_index(va, 0);
			for (mm_vaddr_t v = va; v != stop; v += ARCH_PAGE_SIZE)
				n += mmi_leaf_used(t[arch_pte_index(v, 0)]);
		} else if (mmi_is_leaf_at(*slot, level)) { /* a large page */
			n += (stop - va) >> ARCH_PAGE_SHIFT;
		} /* else missing: nothing is mapped in its span */
		va = stop;
	}
	return n;
}

/* ---- large pages -------------------------------------------------------- */

static void leaf_set_prot_at(struct mm_sys *sys, arch_pte_t *e, unsigned level, unsigned prot);

int mm_sys_set_large_pages(struct mm_sys *sys, unsigned max_level)
{
	if (max_level > ARCH_LARGE_MAX_LEVEL)
		return -MM_EINVAL;
	sys->large_max = max_level;
	return 0;
}

/*
 * Split the large leaf in @slot (at @level > 0, mapping from @base) into
 * the table at @tpa (a frame of kind PT the caller took): 512 (1024)
 * leaves one level down, the same translations, rights and software bits,
 * so that references and the COW state stay as they were (a large leaf
 * holds one reference per 4 KiB frame). The table is filled before it is
 * linked. The TLB may hold the large page, whose size has now changed:
 * it is invalidated (SDM Vol. 3A §4.10.4.2), at once and with the entry
 * invalid in between where the ISA breaks before it makes (aarch64: a
 * block replaced by a table, Arm ARM D8 "break-before-make").
 */
static void split_leaf(struct mm_sys *sys, mm_paddr_t root, arch_pte_t *slot, unsigned level,
                       mm_vaddr_t base, mm_paddr_t tpa, bool user, uint64_t *nlarge,
                       struct mmi_tlb_batch *b)
{
	const arch_pte_t e = *slot;
	const arch_pte_t piece = arch_pte_resize(e, level - 1);
	const uint64_t size = mmi_level_size(level - 1);
	arch_pte_t *t = mmi_table_map(sys, tpa); /* linked nowhere yet */
	for (unsigned i = 0; i < ARCH_ENTRIES; i++)
		arch_pte_store(&t[i], arch_pte_with_paddr(piece, arch_pte_paddr(e) + i * size));
	mmi_table_unmap(sys, tpa, t);
	mmi_table_meta(sys, tpa)->pt_used = (uint16_t)ARCH_ENTRIES;
	/* A root-level leaf is never split where the MMU caches root entries
	 * (x86 PAE has no page at its root level). */
	MM_ASSERT(!(arch_root_entries_cached() && level == ROOT_LEVEL));
	const arch_pte_t table = arch_pte_table(tpa, level, user);
	if (arch_pte_is_present(e) && b->needed && arch_pte_needs_bbm(e, table)) {
		arch_pte_store(slot, 0);
		sys->ops->invalidate_page(sys->mach, b->asid, base);
		arch_pte_store(slot, table);
	} else {
		arch_pte_store(slot, table);
		if (arch_pte_is_present(e))
			mmi_tlb_add(b, base);
	}
	/* The new table's window page translated the leaf before (if cached). */
	mmi_table_unlinked(sys, root, base, level - 1);
	*nlarge = *nlarge - 1 + (level > 1 ? ARCH_ENTRIES : 0);
}

/* Splits that make @b a boundary between leaves under @root: one per
 * level, from the large leaf holding @b down, at which @b is not aligned.
 * The leaf's slot in *@slot, its level in *@level. */
static unsigned splits_at(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t b,
                          arch_pte_t **slot, unsigned *level)
{
	*slot = mmi_descend(sys, root, b, level, NULL);
	if (*level == 0 || !mmi_is_leaf_at(**slot, *level))
		return 0;
	unsigned n = 0;
	for (unsigned l = *level; l > 0 && (b & (mmi_level_size(l) - 1)); l--)
		n++;
	return n;
}

/* Split at @b until it is a boundary, with tables from @spare. */
static void split_to(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t b, bool user,
                     mm_paddr_t *spare, unsigned *nspare, uint64_t *ntables, uint64_t *nlarge,
                     struct mmi_tlb_batch *tlb)
{
	for (;;) {
		unsigned level;
		arch_pte_t *slot = mmi_descend(sys, root, b, &level, NULL);
		if (level == 0 || !mmi_is_leaf_at(*slot, level) ||
		    !(b & (mmi_level_size(level) - 1)))
			return;
		MM_ASSERT(*nspare > 0);
		split_leaf(sys, root, slot, level, b & ~(mmi_level_size(level) - 1),
		           spare[--*nspare], user, nlarge, tlb);
		(*ntables)++;
	}
}

/*
 * Make @va and @end (0: 2^64) boundaries between leaves under @root, so
 * that every large leaf lies wholly inside or outside [va, end). The
 * tables are counted and taken first (the two ends may share splits of
 * one large leaf), so it is all-or-nothing.
 */
static int split_edges(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, mm_vaddr_t end,
                       bool user, uint64_t *ntables, uint64_t *nlarge, struct mmi_tlb_batch *tlb)
{
	arch_pte_t *s1, *s2 = NULL;
	unsigned l1, l2 = 0;
	unsigned n1 = splits_at(sys, root, va, &s1, &l1);
	unsigned n2 = end ? splits_at(sys, root, end, &s2, &l2) : 0;
	if (n1 + n2 == 0)
		return 0;
	unsigned shared = 0; /* both ends in one large leaf: its first splits serve both */
	if (s1 == s2 && n1 && n2)
		for (unsigned l = l1; l > 0; l--) {
			uint64_t mask = mmi_level_size(l) - 1;
			if (!(va & mask) || !(end & mask) || (va & ~mask) != (end & ~mask))
				break;
			shared++;
		}
	mm_paddr_t spare[2 * ARCH_LEVELS];
	unsigned nspare = 0, need = n1 + n2 - shared;
	while (nspare < need) {
		int err = mm_sys_frame_alloc(sys, MM_FRAME_PT, false, &spare[nspare]);
		if (err) {
			while (nspare)
				mm_sys_frame_put(sys, spare[--nspare]);
			return err;
		}
		nspare++;
	}
	split_to(sys, root, va, user, spare, &nspare, ntables, nlarge, tlb);
	if (end)
		split_to(sys, root, end, user, spare, &nspare, ntables, nlarge, tlb);
	MM_ASSERT(nspare == 0);
	return 0;
}

int mmi_split_edges(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end, struct mmi_tlb_batch *b)
{
	if (!s->large_leaves)
		return 0;
	return split_edges(s->sys, s->root, va, end, true, &s->table_pages, &s->large_leaves, b);
}

/* Tables that demoting a large leaf at @level to 4 KiB pages takes:
 * 1 + 512 + ... + 512^(level - 1). */
static uint64_t demote_tables(unsigned level)
{
	uint64_t n = 0, per = 1;
	for (unsigned l = level; l > 0; l--, per *= ARCH_ENTRIES)
		n += per;
	return n;
}

/* Pop a frame from the chain of spare tables (linked through their first
 * word; each is overwritten whole when used). */
static mm_paddr_t spare_pop(struct mm_sys *sys, mm_paddr_t *chain)
{
	mm_paddr_t pa = *chain;
	MM_ASSERT(pa != 0);
	arch_pte_t *t = mmi_table_map(sys, pa);
	*chain = *(mm_paddr_t *)(void *)t;
	mmi_table_unmap(sys, pa, t);
	return pa;
}

static void demote_leaf(struct mm_space *s, arch_pte_t *slot, unsigned level, mm_vaddr_t base,
                        mm_paddr_t *chain, struct mmi_tlb_batch *b)
{
	mm_paddr_t tpa = spare_pop(s->sys, chain);
	split_leaf(s->sys, s->root, slot, level, base, tpa, true, &s->large_leaves, b);
	s->table_pages++;
	if (level == 1)
		return;
	arch_pte_t *t = mmi_table(s->sys, s->root, base, level - 1, tpa);
	for (unsigned i = 0; i < ARCH_ENTRIES; i++)
		demote_leaf(s, &t[i], level - 1, base + i * mmi_level_size(level - 1), chain, b);
}

int mmi_demote_reserve(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end, mm_paddr_t *chain)
{
	*chain = 0;
	if (!s->large_leaves)
		return 0;
	struct mm_sys *sys = s->sys;
	uint64_t need = 0;
	for (mm_vaddr_t v = va; v != end;) {
		unsigned level;
		arch_pte_t *slot = mmi_descend(sys, s->root, v, &level, NULL);
		if (level > 0 && mmi_is_leaf_at(*slot, level))
			need += demote_tables(level);
		v = mmi_span_end(v, level > 0 ? level : 1, end);
	}
	for (uint64_t i = 0; i < need; i++) {
		mm_paddr_t pa;
		int err = mm_sys_frame_alloc(sys, MM_FRAME_PT, false, &pa);
		if (err) {
			mmi_demote_cancel(sys, chain);
			return err;
		}
		arch_pte_t *t = mmi_table_map(sys, pa);
		*(mm_paddr_t *)(void *)t = *chain;
		mmi_table_unmap(sys, pa, t);
		*chain = pa;
	}
	return 0;
}

void mmi_demote_cancel(struct mm_sys *sys, mm_paddr_t *chain)
{
	while (*chain)
		mm_sys_frame_put(sys, spare_pop(sys, chain));
}

void mmi_demote_apply(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end, mm_paddr_t *chain)
{
	if (!*chain)
		return; /* nothing to demote */
	struct mm_sys *sys = s->sys;
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	for (mm_vaddr_t v = va; v != end;) {
		unsigned level;
		arch_pte_t *slot = mmi_descend(sys, s->root, v, &level, NULL);
		if (level > 0 && mmi_is_leaf_at(*slot, level))
			demote_leaf(s, slot, level, v & ~(mmi_level_size(level) - 1), chain, &b);
		v = mmi_span_end(v, level > 0 ? level : 1, end);
	}
	MM_ASSERT(*chain == 0);
	mmi_tlb_finish(&b);
}

int mmi_demote_range(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end)
{
	mm_paddr_t chain;
	int err = mmi_demote_reserve(s, va, end, &chain);
	if (!err)
		mmi_demote_apply(s, va, end, &chain);
	return err;
}

/* ---- argument checks ----------------------------------------------------- */

/* A range of whole pages: sets *@end (exclusive; 0 if it ends at 2^64). */
static int check_pages(mm_vaddr_t va, uint64_t npages, mm_vaddr_t *end)
{
	if (npages == 0 || (va & PAGE_MASK) || !arch_va_is_canonical(va))
		return -MM_EINVAL;
	if (npages > (UINT64_MAX >> ARCH_PAGE_SHIFT))
		return -MM_EINVAL;
	mm_vaddr_t last = va + ((npages << ARCH_PAGE_SHIFT) - 1);
	if (last < va || !arch_va_is_canonical(last))
		return -MM_EINVAL;
	*end = last + 1;
	return 0;
}

int mmi_check_user_range(const struct mm_space *s, mm_vaddr_t va, uint64_t npages, mm_vaddr_t *end)
{
	if (s->is_kernel)
		return -MM_EPERM;
	if (npages == 0 || (va & PAGE_MASK) || !arch_va_is_canonical(va))
		return -MM_EINVAL;
	if (va >= ARCH_USER_END || npages > ((ARCH_USER_END - va) >> ARCH_PAGE_SHIFT))
		return -MM_EFAULT; /* starts in, or runs into, the kernel half */
	*end = va + (npages << ARCH_PAGE_SHIFT);
	return 0;
}

static int check_kernel_range(mm_vaddr_t va, uint64_t npages, mm_vaddr_t *end)
{
	int err = check_pages(va, npages, end);
	if (err)
		return err;
	if (va < ARCH_KERNEL_BASE)
		return -MM_EFAULT;
#if MM_TABLES_RECURSIVE
	/* The windows of the recursive mapping are no kernel memory. */
	const mm_vaddr_t windows = (mm_vaddr_t)ARCH_RECURSIVE_FIRST_SLOT
	                           << arch_level_shift(ROOT_LEVEL);
	if (*end == 0 || *end > windows)
		return -MM_EFAULT;
#endif
	return 0;
}

/* ---- mapping ------------------------------------------------------------- */

/*
 * The level of the leaf to make at @va for @src (physical address @pa),
 * mapping up to @end: the largest that @src and the platform allow, whose
 * size @va and @pa are aligned to and that fits. In the kernel half, a
 * root-level leaf replaces the empty shared table of its slot, which only
 * a system with no user space yet may do (the root entries are copied
 * into every space at creation): *@root_slot says so.
 */
static unsigned pick_level(const struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, mm_paddr_t pa,
                           mm_vaddr_t end, const struct mmi_map_src *src, bool user_half,
                           bool *root_slot)
{
	*root_slot = false;
	if (src->anon)
		return 0;
	unsigned max = src->max_level < sys->large_max ? src->max_level : sys->large_max;
	for (unsigned l = max; l > 0; l--) {
		uint64_t size = mmi_level_size(l);
		if (((va | pa) & (size - 1)) || (end != 0 && end - va < size) ||
		    !arch_pa_is_valid(pa + (size - ARCH_PAGE_SIZE)))
			continue;
		if (l == ROOT_LEVEL && !user_half) {
			if (sys->nspaces != 1 || ARCH_KERNEL_ROOT_SEPARATE)
				continue;
			const arch_pte_t e =
			        mmi_table(sys, root, va, l, root)[arch_pte_index(va, l)];
			if (!arch_pte_is_present(e) || arch_pte_is_leaf(e, l) ||
			    mmi_table_meta(sys, arch_pte_paddr(e))->pt_used)
				continue;
			*root_slot = true;
		}
		return l;
	}
	return 0;
}

/* Take one reference on each managed frame of [pa, pa + size); none on
 * error. */
static int ref_run(struct mm_sys *sys, mm_paddr_t pa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += ARCH_PAGE_SIZE) {
		struct mm_frame *f = mm_frame_get(&sys->frames, pa + off);
		int err = f ? mm_frame_ref_meta(f) : 0;
		if (err) {
			while (off) {
				off -= ARCH_PAGE_SIZE;
				mmi_put_if_managed(sys, pa + off);
			}
			return err;
		}
	}
	return 0;
}

int mmi_map_range(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, mm_vaddr_t end,
                  const struct mmi_map_src *src, unsigned prot, bool user_half, uint64_t *ntables,
                  uint64_t *npages_out, uint64_t *nlarge)
{
	const unsigned stop = user_half ? ROOT_LEVEL : SHARED_LEVEL;
	const mm_vaddr_t start = va;
	bool root_slots = false; /* kernel root-level leaves left for the second pass */
	int err = 0;
	while (va != end) {
		bool root_slot;
		unsigned level = pick_level(sys, root, va, src->pa + (va - start), end, src,
		                            user_half, &root_slot);
		if (root_slot) { /* placed below, once nothing else can fail */
			root_slots = true;
			va += mmi_level_size(level);
			continue;
		}
		if (level > 0) {
			mm_paddr_t tpa, pa = src->pa + (va - start);
			err = mmi_table_for(sys, root, va, level, true, user_half, ntables, &tpa,
			                    NULL);
			if (!err && src->take_ref)
				err = ref_run(sys, pa, mmi_level_size(level));
			if (err)
				goto undo_chunk;
			arch_pte_t *slot =
			        &mmi_table(sys, root, va, level, tpa)[arch_pte_index(va, level)];
			MM_ASSERT(*slot == 0);
			arch_pte_store(slot,
			               arch_pte_resize(arch_pte_with_shared(arch_pte_leaf(pa, prot),
			                                                    src->shared),
			                               level));
			mmi_table_meta(sys, tpa)->pt_used++;
			*npages_out += mmi_level_size(level) >> ARCH_PAGE_SHIFT;
			(*nlarge)++;
			va += mmi_level_size(level);
			continue;
		}
		mm_vaddr_t cend = mmi_chunk_end(va, end);
		mm_paddr_t lt;
		err = mmi_leaf_table(sys, root, va, true, user_half, ntables, &lt, NULL);
		if (err)
			goto undo_chunk;
		arch_pte_t *t = mmi_table(sys, root, va, 0, lt);
		struct mm_frame *lt_meta = mmi_table_meta(sys, lt);
		for (; va != cend; va += ARCH_PAGE_SIZE) {
			mm_paddr_t pa;
			if (src->anon) {
				err = mm_sys_frame_alloc(sys, MM_FRAME_USER, true, &pa);
				if (err)
					goto undo_chunk;
			} else {
				pa = src->pa + (va - start);
				if (src->take_ref && mm_frame_get(&sys->frames, pa)) {
					err = mm_frame_ref(&sys->frames, pa);
					if (err)
						goto undo_chunk;
				}
			}
			unsigned i = arch_pte_index(va, 0);
			MM_ASSERT(!mmi_leaf_used(t[i]));
			arch_pte_store(&t[i],
			               arch_pte_with_shared(arch_pte_leaf(pa, prot), src->shared));
			lt_meta->pt_used++;
			(*npages_out)++;
		}
	}
	/* Kernel root-level leaves, each in place of its slot's empty shared
	 * table; nothing can fail any more. */
	for (va = start; root_slots && va != end;) {
		bool root_slot;
		mm_paddr_t pa = src->pa + (va - start);
		unsigned level = pick_level(sys, root, va, pa, end, src, user_half, &root_slot);
		if (root_slot) {
			arch_pte_t *slot =
			        &mmi_table(sys, root, va, level, root)[arch_pte_index(va, level)];
			const mm_paddr_t shared = arch_pte_paddr(*slot);
			/* A and D set: the MMU must never write one of the copies. */
			arch_pte_store(slot, arch_pte_with_ad(arch_pte_resize(
			                             arch_pte_leaf(pa, prot), level)));
			mmi_table_unlinked(sys, root, va, level - 1);
			mm_sys_frame_put(sys, shared);
			(*ntables)--;
			*npages_out += mmi_level_size(level) >> ARCH_PAGE_SHIFT;
			(*nlarge)++;
		}
		va = mmi_span_end(va, level > 0 ? level : 1, end);
	}
	return 0;

undo_chunk:
	/* Tables linked for the page that failed may be empty: prune them. */
	mmi_prune(sys, root, va, stop, ntables);
	if (va != start) {
		/* Nothing mapped here was ever present before: no TLB entries. */
		struct mmi_tlb_batch none = { .sys = sys, .needed = false };
		*npages_out -=
		        mmi_unmap_range(sys, root, start, va, user_half, ntables, nlarge, &none);
	}
	return err;
}

/*
 * Unmap what is mapped in [va, end) under @root, no large leaf crossing
 * either end: clear each leaf (a large one whole), drop its frame
 * references (user half only: one per 4 KiB frame), queue the
 * invalidation (once per leaf), and free tables that become empty.
 * Return: the 4 KiB pages unmapped.
 */
uint64_t mmi_unmap_range(struct mm_sys *sys, mm_paddr_t root, mm_vaddr_t va, mm_vaddr_t end,
                         bool user_half, uint64_t *ntables, uint64_t *nlarge,
                         struct mmi_tlb_batch *b)
{
	const unsigned stop = user_half ? ROOT_LEVEL : SHARED_LEVEL;
	uint64_t n = 0;
	while (va != end) {
		unsigned level;
		mm_paddr_t tpa;
		arch_pte_t *slot = mmi_descend(sys, root, va, &level, &tpa);
		mm_vaddr_t cstart = va, cend = mmi_span_end(va, level > 0 ? level : 1, end);
		if (level > 0) {
			if (mmi_is_leaf_at(*slot, level)) { /* a large page, wholly inside */
				const arch_pte_t e = *slot;
				const uint64_t size = mmi_level_size(level);
				MM_ASSERT(!(va & (size - 1)) && cend - va == size);
				MM_ASSERT(level < ROOT_LEVEL || user_half);
				arch_pte_store(slot, 0);
				mmi_table_meta(sys, tpa)->pt_used--;
				mmi_tlb_add(b, va);
				if (user_half)
					for (uint64_t off = 0; off < size; off += ARCH_PAGE_SIZE)
						mmi_put_if_managed(sys, arch_pte_paddr(e) + off);
				n += size >> ARCH_PAGE_SHIFT;
				(*nlarge)--;
				mmi_prune(sys, root, va, stop, ntables);
			}
			va = cend;
			continue;
		}
		arch_pte_t *t = slot - arch_pte_index(va, 0);
		struct mm_frame *lt_meta = mmi_table_meta(sys, tpa);
		for (; va != cend; va += ARCH_PAGE_SIZE) {
			unsigned i = arch_pte_index(va, 0);
			arch_pte_t e = t[i];
			if (!mmi_leaf_used(e))
				continue;
			arch_pte_store(&t[i], 0);
			lt_meta->pt_used--;
			mmi_tlb_add(b, va);
			if (user_half)
				mmi_put_if_managed(sys, arch_pte_paddr(e));
			n++;
		}
		if (lt_meta->pt_used == 0)
			mmi_prune(sys, root, cstart, stop, ntables);
	}
	return n;
}

/* Pages [va, end) were just made valid: the TLB work an ISA that caches
 * entries that are not valid needs (none on x86). */
static void tlb_new_range(struct mmi_tlb_batch b, mm_vaddr_t va, mm_vaddr_t end)
{
	if (!arch_tlb_caches_invalid())
		return;
	for (; va != end; va += ARCH_PAGE_SIZE)
		mmi_tlb_add(&b, va);
	mmi_tlb_finish(&b);
}

int mm_map(struct mm_space *s, mm_vaddr_t va, uint64_t npages, unsigned prot)
{
	mm_vaddr_t end;
	int err = mmi_check_user_range(s, va, npages, &end);
	if (err)
		return err;
	if (!arch_prot_is_valid(prot))
		return -MM_EINVAL;
	if (mmi_wx_refused(s->sys, prot))
		return -MM_EACCES;
	if (mmi_count_mapped(s->sys, s->root, va, end) != 0)
		return -MM_EEXIST;
	struct mmi_map_src src = { .anon = true };
	err = mmi_map_range(s->sys, s->root, va, end, &src, prot, true, &s->table_pages,
	                    &s->user_pages, &s->large_leaves);
	if (!err)
		tlb_new_range(mmi_tlb_batch_of(s), va, end);
	return err;
}

int mm_map_phys(struct mm_space *s, mm_vaddr_t va, mm_paddr_t pa, uint64_t npages, unsigned prot)
{
	const unsigned max_level = (prot & MM_PROT_LARGE) ? ARCH_LARGE_MAX_LEVEL : 0;
	prot &= ~(unsigned)MM_PROT_LARGE;
	mm_vaddr_t end;
	int err = mmi_check_user_range(s, va, npages, &end);
	if (err)
		return err;
	if (!arch_prot_is_valid(prot) || !arch_pa_is_valid(pa) ||
	    !arch_pa_is_valid(pa + ((npages - 1) << ARCH_PAGE_SHIFT)) ||
	    pa + ((npages - 1) << ARCH_PAGE_SHIFT) < pa)
		return -MM_EINVAL;
	if (mmi_wx_refused(s->sys, prot))
		return -MM_EACCES;
	for (uint64_t i = 0; i < npages; i++) {
		const struct mm_frame *f =
		        mm_frame_get(&s->sys->frames, pa + (i << ARCH_PAGE_SHIFT));
		if (f && f->kind == MM_FRAME_FREE)
			return -MM_EINVAL;
	}
	if (mmi_count_mapped(s->sys, s->root, va, end) != 0)
		return -MM_EEXIST;
	struct mmi_map_src src = {
		.anon = false, .pa = pa, .take_ref = true, .shared = true, .max_level = max_level
	};
	err = mmi_map_range(s->sys, s->root, va, end, &src, prot, true, &s->table_pages,
	                    &s->user_pages, &s->large_leaves);
	if (!err)
		tlb_new_range(mmi_tlb_batch_of(s), va, end);
	return err;
}

int mm_unmap(struct mm_space *s, mm_vaddr_t va, uint64_t npages)
{
	mm_vaddr_t end;
	int err = mmi_check_user_range(s, va, npages, &end);
	if (err)
		return err;
	if (mmi_count_mapped(s->sys, s->root, va, end) != npages)
		return -MM_ENOENT;
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	err = mmi_split_edges(s, va, end, &b);
	if (err)
		return err;
	s->user_pages -= mmi_unmap_range(s->sys, s->root, va, end, true, &s->table_pages,
	                                 &s->large_leaves, &b);
	mmi_tlb_finish(&b);
	return 0;
}

int mm_protect(struct mm_space *s, mm_vaddr_t va, uint64_t npages, unsigned prot)
{
	mm_vaddr_t end;
	int err = mmi_check_user_range(s, va, npages, &end);
	if (err)
		return err;
	if (!arch_prot_is_valid(prot))
		return -MM_EINVAL;
	if (mmi_wx_refused(s->sys, prot))
		return -MM_EACCES;
	if (mmi_count_mapped(s->sys, s->root, va, end) != npages)
		return -MM_ENOENT;
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	err = mmi_split_edges(s, va, end, &b);
	if (err)
		return err;
	while (va != end) {
		unsigned level;
		arch_pte_t *slot = mmi_descend(s->sys, s->root, va, &level, NULL);
		mm_vaddr_t cend = mmi_span_end(va, level > 0 ? level : 1, end);
		if (level > 0) { /* a large page, wholly inside: once */
			leaf_set_prot_at(s->sys, slot, level, prot);
			mmi_tlb_add(&b, va);
			va = cend;
			continue;
		}
		arch_pte_t *t = slot - arch_pte_index(va, 0);
		for (; va != cend; va += ARCH_PAGE_SIZE) {
			mmi_leaf_set_prot(s->sys, &t[arch_pte_index(va, 0)], prot);
			mmi_tlb_add(&b, va);
		}
	}
	mmi_tlb_finish(&b);
	return 0;
}

int mm_kernel_map(struct mm_sys *sys, mm_vaddr_t va, mm_paddr_t pa, uint64_t npages, unsigned prot)
{
	mm_vaddr_t end;
	int err = check_kernel_range(va, npages, &end);
	if (err)
		return err;
	const unsigned max_level = (prot & MM_PROT_LARGE) ? ARCH_LARGE_MAX_LEVEL : 0;
	prot &= ~(unsigned)MM_PROT_LARGE;
	if (!arch_prot_is_valid(prot & ~(unsigned)MM_PROT_GLOBAL) || (prot & MM_PROT_USER) ||
	    !arch_pa_is_valid(pa))
		return -MM_EINVAL;
	mm_paddr_t last_pa = pa + ((npages - 1) << ARCH_PAGE_SHIFT);
	if (last_pa < pa || !arch_pa_is_valid(last_pa))
		return -MM_EINVAL;
	if (mmi_count_mapped(sys, sys->kernel.root, va, end) != 0)
		return -MM_EEXIST;
	struct mmi_map_src src = {
		.anon = false, .pa = pa, .take_ref = false, .max_level = max_level
	};
	uint64_t mapped = 0;
	err = mmi_map_range(sys, sys->kernel.root, va, end, &src, prot, false, &sys->kernel_tables,
	                    &mapped, &sys->kernel.large_leaves);
	if (!err)
		tlb_new_range((struct mmi_tlb_batch){ .sys = sys,
		                                      .asid = MM_ASID_ALL,
		                                      .needed = sys->active != NULL },
		              va, end);
	return err;
}

int mm_kernel_window(struct mm_sys *sys, mm_vaddr_t va, unsigned npages, mm_paddr_t pa,
                     unsigned prot, arch_pte_t **ptes)
{
	const uint64_t span = UINT64_C(1) << arch_level_shift(1);
	if (!ptes || npages == 0 || npages > ARCH_ENTRIES || (prot & MM_PROT_LARGE) ||
	    (va & (span - 1)) + ((uint64_t)npages << ARCH_PAGE_SHIFT) > span)
		return -MM_EINVAL;
	int err = mm_kernel_map(sys, va, pa, npages, prot);
	if (err)
		return err;
	mm_paddr_t lt;
	err = mmi_leaf_table(sys, sys->kernel.root, va, false, false, NULL, &lt, NULL);
	MM_ASSERT(err == 0); /* mapped with 4 KiB pages just now */
	*ptes = &mmi_table(sys, sys->kernel.root, va, 0, lt)[arch_pte_index(va, 0)];
	return 0;
}

int mm_kernel_unmap(struct mm_sys *sys, mm_vaddr_t va, uint64_t npages)
{
	mm_vaddr_t end;
	int err = check_kernel_range(va, npages, &end);
	if (err)
		return err;
	if (mmi_count_mapped(sys, sys->kernel.root, va, end) != npages)
		return -MM_ENOENT;
	/* A root-level large page is a root entry every space has a copy of. */
	for (mm_vaddr_t v = va; v != end; v = mmi_span_end(v, ROOT_LEVEL, end))
		if (arch_pte_is_leaf(mmi_table(sys, sys->kernel.root, v, ROOT_LEVEL,
		                               sys->kernel.root)[arch_pte_index(v, ROOT_LEVEL)],
		                     ROOT_LEVEL))
			return -MM_EBUSY;
	struct mmi_tlb_batch b = {
		.sys = sys, .asid = MM_ASID_ALL, .needed = sys->active != NULL, .each = true
	};
#ifdef MM_PLANT_KERNEL_UNMAP_NO_INVLPG /* test-only planted bug */
	b.needed = false;
#endif
	if (sys->kernel.large_leaves) {
		err = split_edges(sys, sys->kernel.root, va, end, false, &sys->kernel_tables,
		                  &sys->kernel.large_leaves, &b);
		if (err)
			return err;
	}
	mmi_unmap_range(sys, sys->kernel.root, va, end, false, &sys->kernel_tables,
	                &sys->kernel.large_leaves, &b);
	mmi_tlb_finish(&b);
	return 0;
}

/*
 * The metadata the COW rule judges a leaf at @level by: its frame's, or
 * for a large page the most referenced of its 4 KiB frames' (a large page
 * is private to one space only if every frame of it is). NULL if
 * unmanaged.
 */
static const struct mm_frame *leaf_meta(const struct mm_sys *sys, arch_pte_t e, unsigned level)
{
	const struct mm_frame *most = mm_frame_get(&sys->frames, arch_pte_paddr(e));
	for (uint64_t off = ARCH_PAGE_SIZE; most && level > 0 && off < mmi_level_size(level);
	     off += ARCH_PAGE_SIZE) {
		const struct mm_frame *f = mm_frame_get(&sys->frames, arch_pte_paddr(e) + off);
		if (f && f->ref_or_next > most->ref_or_next)
			most = f;
	}
	return most;
}

/* mmi_leaf_set_prot() for a leaf at any @level. */
static void leaf_set_prot_at(struct mm_sys *sys, arch_pte_t *e, unsigned level, unsigned prot)
{
	if (!(prot & MM_PROT_READ)) {
		if (!arch_pte_is_protnone(*e))
			arch_pte_store(e, arch_pte_to_protnone(*e));
		return;
	}
	if (arch_pte_is_protnone(*e))
		arch_pte_store(e, arch_pte_from_protnone(*e, prot));
	arch_pte_store(e, mmi_pte_with_logical_prot(*e, prot, leaf_meta(sys, *e, level)));
}

void mmi_leaf_set_prot(struct mm_sys *sys, arch_pte_t *e, unsigned prot)
{
	leaf_set_prot_at(sys, e, 0, prot);
}

/* ---- query and walk ------------------------------------------------------ */

int mm_query(const struct mm_space *s, mm_vaddr_t va, struct mm_mapping *out)
{
	if (!arch_va_is_canonical(va))
		return -MM_EINVAL;
	/* A kernel address is looked up where the MMU finds it from this
	 * space: the kernel space's root holds the kernel half, shared by
	 * every root or (ARCH_KERNEL_ROOT_SEPARATE) walked from its own. */
	mm_paddr_t root = arch_pte_index(va, ROOT_LEVEL) >= ARCH_KERNEL_FIRST_SLOT
	                          ? s->sys->kernel.root
	                          : s->root;
	if (arch_pte_index(va, ROOT_LEVEL) >= MMI_KERNEL_END_SLOT)
		return -MM_ENOENT; /* the recursive mapping's windows map no memory */
	unsigned level;
	arch_pte_t e = *mmi_descend(s->sys, root, va, &level, NULL);
	if (!mmi_is_leaf_at(e, level))
		return -MM_ENOENT;
	bool none = arch_pte_is_protnone(e);
	const uint64_t size = mmi_level_size(level);
	/* The 4 KiB frame holding va, whose metadata says who else maps it. */
	mm_paddr_t frame = arch_pte_paddr(e) + (va & (size - 1) & ~PAGE_MASK);
	const struct mm_frame *f = mm_frame_get(&s->sys->frames, frame);
	*out = (struct mm_mapping){
		.pa = frame | (va & PAGE_MASK),
		.size = size,
		.prot = none ? 0u : arch_pte_prot(e),
		.protnone = none,
		.cow = arch_pte_is_cow(e),
		.shared = arch_pte_is_shared(e),
		.accessed = arch_pte_is_accessed(e),
		.dirty = arch_pte_is_dirty(e),
		.managed = f != NULL,
		.refs = f ? f->ref_or_next : 0,
	};
	return 0;
}

static int walk_table(const struct mm_sys *sys, mm_paddr_t root, mm_paddr_t pa, unsigned level,
                      mm_vaddr_t base, unsigned first, unsigned end, mm_walk_fn fn, void *ctx)
{
	const arch_pte_t *t = mmi_table(sys, root, base, level, pa);
	for (unsigned i = first; i < end; i++) {
		arch_pte_t e = t[i];
		bool none = arch_pte_is_protnone(e) && arch_pte_is_leaf(e, level);
		if (!arch_pte_is_present(e) && !none)
			continue;
		mm_vaddr_t va =
		        arch_va_canonical(base + ((mm_vaddr_t)i << arch_level_shift(level)));
		bool leaf = arch_pte_is_leaf(e, level);
		struct mm_walk_entry w = {
			.va = va,
			.level = level,
			.index = i,
			.pa = arch_pte_paddr(e),
			.leaf = leaf,
			.prot = leaf && !none ? arch_pte_prot(e) : 0,
			.protnone = none,
			.cow = leaf && arch_pte_is_cow(e),
			.shared = leaf && arch_pte_is_shared(e),
			.kernel = va >= ARCH_KERNEL_BASE,
		};
		int r = fn(ctx, &w);
		if (r)
			return r;
		if (!leaf) {
			r = walk_table(sys, root, w.pa, level - 1, va, 0, ARCH_ENTRIES, fn, ctx);
			if (r)
				return r;
		}
	}
	return 0;
}

int mm_space_walk(const struct mm_space *s, bool kernel_half, mm_walk_fn fn, void *ctx)
{
	int r = walk_table(s->sys, s->root, s->root, ROOT_LEVEL, 0, 0, ARCH_KERNEL_FIRST_SLOT, fn,
	                   ctx);
	if (r || !kernel_half)
		return r;
	/* The kernel half as the MMU sees it from this space: the kernel
	 * space's entries, which every root shares or (ARCH_KERNEL_ROOT_SEPARATE)
	 * the MMU reaches through its second root register. */
	return walk_table(s->sys, s->sys->kernel.root, s->sys->kernel.root, ROOT_LEVEL, 0,
	                  ARCH_KERNEL_FIRST_SLOT, MMI_KERNEL_END_SLOT, fn, ctx);
}

/* ---- spaces -------------------------------------------------------------- */

struct mm_space *mm_space_first(struct mm_sys *sys)
{
	return &sys->kernel;
}

struct mm_space *mm_space_next(struct mm_space *s)
{
	return s->next == &s->sys->kernel ? NULL : s->next;
}

static void list_add(struct mm_sys *sys, struct mm_space *s)
{
	struct mm_space *head = &sys->kernel;
	s->prev = head->prev;
	s->next = head;
	head->prev->next = s;
	head->prev = s;
	sys->nspaces++;
}

static void list_del(struct mm_sys *sys, struct mm_space *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
	s->prev = s->next = NULL;
	sys->nspaces--;
}

/* ---- address-space identifiers -------------------------------------------- */

/* At most one frame of bitmap. */
#define ASID_MAX ((uint32_t)(ARCH_PAGE_SIZE * 8))

/* A free identifier, marked used; 0 if identifiers are off or all taken. */
static uint32_t asid_get(struct mm_sys *sys)
{
	if (!sys->asid_count)
		return 0;
	uint8_t *map = sys->ops->phys_to_virt(sys->mach, sys->asid_map);
	for (uint32_t n = 0; n < sys->asid_count; n++) {
		uint32_t a = (sys->asid_next + n) % sys->asid_count;
		if (a == 0 || (map[a / 8] >> (a % 8) & 1))
			continue;
		map[a / 8] |= (uint8_t)(1u << (a % 8));
		sys->asid_next = a + 1;
		return a;
	}
	return 0;
}

/* Give back @asid, its TLB entries flushed first, so that the next space
 * to get it starts with none. */
static void asid_put(struct mm_sys *sys, uint32_t asid)
{
	if (!asid)
		return;
	sys->ops->flush_all(sys->mach, asid);
	uint8_t *map = sys->ops->phys_to_virt(sys->mach, sys->asid_map);
	map[asid / 8] &= (uint8_t) ~(1u << (asid % 8));
}

int mm_sys_set_asids(struct mm_sys *sys, uint32_t count)
{
	if (count < 2)
		return -MM_EINVAL;
	if (sys->nspaces != 1 || sys->asid_count)
		return -MM_EBUSY;
	int err = mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &sys->asid_map);
	if (err)
		return err;
	sys->asid_count = count < ASID_MAX ? count : ASID_MAX;
	sys->asid_next = 1;
	return 0;
}

/* ---- spaces, continued ---------------------------------------------------- */

int mm_space_create(struct mm_sys *sys, struct mm_space *s)
{
	mm_paddr_t root;
	int err = mm_sys_frame_alloc(sys, MM_FRAME_PT, true, &root);
	if (err)
		return err;
	/* The kernel half, and only the kernel half, comes from the template,
	 * unless the MMU reaches it through a root of its own (aarch64 TTBR1). */
	if (!ARCH_KERNEL_ROOT_SEPARATE) {
		const arch_pte_t *kt =
		        mmi_table(sys, sys->kernel.root, 0, ROOT_LEVEL, sys->kernel.root);
		arch_pte_t *t = mmi_table(sys, root, 0, ROOT_LEVEL, root);
		for (unsigned i = ARCH_KERNEL_FIRST_SLOT; i < MMI_KERNEL_END_SLOT; i++)
			arch_pte_store(&t[i], kt[i]);
	}
#if MM_TABLES_RECURSIVE
	arch_pte_store(&mmi_table(sys, root, 0, ROOT_LEVEL, root)[ARCH_RECURSIVE_SLOT],
	               arch_recursive_pte(root));
#endif
#ifdef MM_PLANT_COPY_USER_ENTRIES /* test-only planted bug: seed 002's */
	if (sys->active && !sys->active->is_kernel) {
		arch_pte_t *t = mmi_table(sys, root, 0, ROOT_LEVEL, root);
		const arch_pte_t *at =
		        mmi_table(sys, sys->active->root, 0, ROOT_LEVEL, sys->active->root);
		for (unsigned i = 0; i < ARCH_KERNEL_FIRST_SLOT; i++)
			arch_pte_store(&t[i], at[i]);
	}
#endif
	/* The window entries (recursive mapping) are not counted. */
	mmi_table_meta(sys, root)->pt_used =
	        (uint16_t)(ARCH_KERNEL_ROOT_SEPARATE
	                           ? 0
	                           : MMI_KERNEL_END_SLOT - ARCH_KERNEL_FIRST_SLOT);
	*s = (struct mm_space){ .sys = sys, .root = root, .table_pages = 1, .asid = asid_get(sys) };
	list_add(sys, s);
	return 0;
}

/* Free everything under entries [first, end) of the table at @pa. */
static void free_subtree(struct mm_sys *sys, struct mm_space *s, mm_paddr_t root, mm_paddr_t pa,
                         unsigned level, mm_vaddr_t base, unsigned first, unsigned end,
                         bool user_half)
{
	arch_pte_t *t = mmi_table(sys, root, base, level, pa);
	for (unsigned i = first; i < end; i++) {
		arch_pte_t e = t[i];
		bool leaf = mmi_is_leaf_at(e, level);
		if (!leaf && !(level > 0 && arch_pte_is_present(e)))
			continue;
		mm_paddr_t child = arch_pte_paddr(e);
		if (leaf) { /* one reference per 4 KiB frame, a large page's too */
			const uint64_t size = mmi_level_size(level);
			for (uint64_t off = 0; user_half && off < size; off += ARCH_PAGE_SIZE)
				mmi_put_if_managed(sys, child + off);
			if (s)
				s->user_pages -= size >> ARCH_PAGE_SHIFT;
			if (level > 0)
				(s ? s : &sys->kernel)->large_leaves--;
		} else {
			const mm_vaddr_t va = base + ((mm_vaddr_t)i << arch_level_shift(level));
			free_subtree(sys, s, root, child, level - 1, va, 0, ARCH_ENTRIES,
			             user_half);
			arch_pte_store(&t[i], 0); /* unlinked before it is freed */
			mmi_table_unlinked(sys, root, va, level - 1);
			mm_sys_frame_put(sys, child);
			if (s)
				s->table_pages--;
			else
				sys->kernel_tables--;
		}
		arch_pte_store(&t[i], 0);
	}
}

int mm_space_destroy(struct mm_space *s)
{
	if (s->is_kernel)
		return -MM_EPERM;
	if (mm_space_is_active(s))
		return -MM_EBUSY;
	struct mm_sys *sys = s->sys;
	/* The identifier's TLB entries go first, while the tables they were
	 * filled from still exist: no frame is reused while a tagged TLB may
	 * still translate to it. */
	asid_put(sys, s->asid);
	free_subtree(sys, s, s->root, s->root, ROOT_LEVEL, 0, 0, ARCH_KERNEL_FIRST_SLOT, true);
	MM_ASSERT(s->user_pages == 0 && s->table_pages == 1);
	mmi_regions_free_all(s);
#if MM_TABLES_RECURSIVE
	alt_forget(sys, s->root);
#endif
	mm_sys_frame_put(sys, s->root);
	list_del(sys, s);
	*s = (struct mm_space){ 0 };
	return 0;
}

int mm_space_activate(struct mm_space *s)
{
#if MM_TABLES_RECURSIVE
	alt_clear_all(s->sys);
#endif
	s->sys->active = s;
	s->sys->ops->activate(s->sys->mach, s->root, s->asid);
	return 0;
}

/* What a clone does with the leaves of one parent: see mm_space_clone(). */
struct clone_ctx {
	struct mm_space *parent, *child;
	enum mm_clone_mode mode;
};

/*
 * The child's PTE for the parent's present leaf @src at @va. Pass 1 only:
 * the parent is not touched. Shared pages (software shared bit) and device
 * memory are shared as they are. Otherwise EAGER copies the frame and COW
 * shares it; both give the child the parent's logical protection through
 * mmi_pte_with_logical_prot(), so a shared frame is COW if logically
 * writable and read-only otherwise, and a copy is exactly as writable as
 * the parent's page is logically.
 */
static int clone_leaf(struct mm_sys *sys, struct clone_ctx *c, arch_pte_t src, arch_pte_t *dst)
{
	if (arch_pte_is_protnone(src)) { /* the child's twin: PROT_NONE too */
		arch_pte_t twin;
		int err = clone_leaf(
		        sys, c, arch_pte_from_protnone(src, MM_PROT_READ | MM_PROT_USER), &twin);
		if (!err)
			arch_pte_store(dst, arch_pte_to_protnone(twin));
		return err;
	}
	mm_paddr_t pa = arch_pte_paddr(src);
	unsigned prot = mmi_pte_logical_prot(src);
	struct mm_frame *f = mm_frame_get(&sys->frames, pa);
	if (!f || arch_pte_is_shared(src)) {
		int err = f ? mm_frame_ref_meta(f) : 0;
		if (!err)
			arch_pte_store(dst, arch_pte_with_shared(
			                            arch_pte_leaf(pa, arch_pte_prot(src)), true));
		return err;
	}
	if (c->mode == MM_CLONE_COW) {
		int err = mm_frame_ref_meta(f); /* now > 1: COW if logically writable */
		if (err)
			return err;
		arch_pte_store(dst, mmi_pte_with_logical_prot(arch_pte_leaf(pa, prot), prot, f));
		return 0;
	}
	mm_paddr_t copy;
	int err = mm_sys_frame_alloc(sys, MM_FRAME_USER, false, &copy);
	if (err)
		return err;
	mmi_frame_copy(sys, copy, pa);
	arch_pte_store(dst, arch_pte_leaf(copy, prot));
	return 0;
}

/*
 * The child's entry for the parent's large leaf @src at @level (pass 1:
 * the parent is not touched), with one more reference on each managed
 * 4 KiB frame (none taken on error).
 *  - Shared memory (mm_map_phys()) and device memory: shared as it is,
 *    whole, by both clones.
 *  - A private large page (anonymous memory, transparent huge pages): a
 *    COW clone shares it whole, COW if logically writable, by the one
 *    rule (pass 2 write-protects the parent's); the first write on either
 *    side demotes its large page to 4 KiB pages (mm_fault() demotes what
 *    it touches) and copies one 4 KiB page, not 2 MiB. An eager clone
 *    copies it into 4 KiB pages under a new leaf table: a clone must not
 *    fail for want of a contiguous run.
 */
static int clone_large(struct mm_sys *sys, struct clone_ctx *c, arch_pte_t src, unsigned level,
                       mm_vaddr_t va, arch_pte_t *dst)
{
	const mm_paddr_t pa = arch_pte_paddr(src);
	const uint64_t size = mmi_level_size(level);
	if (arch_pte_is_shared(src) || !mm_frame_get(&sys->frames, pa) || c->mode == MM_CLONE_COW) {
		int err = ref_run(sys, pa, size);
		if (err)
			return err;
		arch_pte_t e = src;
		if (!arch_pte_is_shared(src) && mm_frame_get(&sys->frames, pa) &&
		    !arch_pte_is_protnone(src))
			e = mmi_pte_with_logical_prot(src, mmi_pte_logical_prot(src),
			                              leaf_meta(sys, src, level));
		arch_pte_store(dst, e);
		c->child->large_leaves++;
		c->child->user_pages += size >> ARCH_PAGE_SHIFT;
		return 0;
	}
	/* Eager, private: 4 KiB copies under a new leaf table (level 1 only:
	 * anonymous large pages are 2 MiB or 4 MiB). */
	MM_ASSERT(level == 1);
	mm_paddr_t t;
	int err = mm_sys_frame_alloc(sys, MM_FRAME_PT, true, &t);
	if (err)
		return err;
	arch_pte_store(dst, arch_pte_table(t, level, true));
	c->child->table_pages++;
	arch_pte_t *pt = mmi_table(sys, c->child->root, va, level - 1, t);
	struct mm_frame *meta = mmi_table_meta(sys, t);
	const bool none = arch_pte_is_protnone(src);
	const unsigned prot = none ? 0u : mmi_pte_logical_prot(src);
	for (unsigned i = 0; i < ARCH_ENTRIES; i++) {
		mm_paddr_t copy;
		err = mm_sys_frame_alloc(sys, MM_FRAME_USER, false, &copy);
		if (err)
			return err; /* the partial child is consistent: destroy frees it */
		mmi_frame_copy(sys, copy, pa + (uint64_t)i * ARCH_PAGE_SIZE);
		arch_pte_t e = arch_pte_leaf(copy, none ? MM_PROT_READ | MM_PROT_USER : prot);
		arch_pte_store(&pt[i], none ? arch_pte_to_protnone(e) : e);
		meta->pt_used++;
		c->child->user_pages++;
	}
	return 0;
}

/* Pass 1: copy entries [first, end) of @src_pa (at @level) into @dst_pa. */
static int clone_table(struct mm_sys *sys, struct clone_ctx *c, mm_paddr_t src_pa,
                       mm_paddr_t dst_pa, unsigned level, mm_vaddr_t base, unsigned first,
                       unsigned end)
{
	const arch_pte_t *src = mmi_table(sys, c->parent->root, base, level, src_pa);
	arch_pte_t *dst = mmi_table(sys, c->child->root, base, level, dst_pa);
	struct mm_frame *dst_meta = mmi_table_meta(sys, dst_pa);
	for (unsigned i = first; i < end; i++) {
		arch_pte_t e = src[i];
		bool leaf = mmi_is_leaf_at(e, level);
		if (!leaf && !(level > 0 && arch_pte_is_present(e)))
			continue;
		mm_vaddr_t va = base + ((mm_vaddr_t)i << arch_level_shift(level));
		int err;
		if (leaf && level > 0) {
			err = clone_large(sys, c, e, level, va, &dst[i]);
			if (arch_pte_is_present(dst[i]) || arch_pte_is_protnone(dst[i]))
				dst_meta->pt_used++; /* linked, if only partly filled */
			if (err)
				return err;
			continue;
		}
		if (level == 0) {
			err = clone_leaf(sys, c, e, &dst[i]);
			if (err)
				return err;
			dst_meta->pt_used++;
			c->child->user_pages++;
			continue;
		}
		mm_paddr_t t;
		err = mm_sys_frame_alloc(sys, MM_FRAME_PT, true, &t);
		if (err)
			return err;
		arch_pte_store(&dst[i], arch_pte_table(t, level, true));
		dst_meta->pt_used++;
		c->child->table_pages++;
		err = clone_table(sys, c, arch_pte_paddr(e), t, level - 1, va, 0, ARCH_ENTRIES);
		if (err)
			return err; /* the partial child is consistent: destroy frees it */
	}
	return 0;
}

/*
 * Pass 2 of a COW clone: write-protect and COW-mark each parent PTE whose
 * twin pass 1 COW-marked in the child (the two trees have the same shape).
 * No lookups, and it cannot fail.
 */
static void cow_protect(struct mm_sys *sys, const struct clone_ctx *c, mm_paddr_t ppa,
                        mm_paddr_t cpa, unsigned level, mm_vaddr_t base, unsigned first,
                        unsigned end)
{
	arch_pte_t *pt = mmi_table(sys, c->parent->root, base, level, ppa);
	const arch_pte_t *ct = mmi_table(sys, c->child->root, base, level, cpa);
	for (unsigned i = first; i < end; i++) {
		arch_pte_t e = pt[i];
		if (!arch_pte_is_present(e))
			continue;
		if (level > 0 && !arch_pte_is_leaf(e, level)) {
			cow_protect(sys, c, arch_pte_paddr(e), arch_pte_paddr(ct[i]), level - 1,
			            base + ((mm_vaddr_t)i << arch_level_shift(level)), 0,
			            ARCH_ENTRIES);
			continue;
		}
		if (arch_pte_is_cow(ct[i]) && !arch_pte_is_cow(e))
			arch_pte_store(&pt[i], arch_pte_with_cow(
			                               arch_pte_with_prot(
			                                       e, arch_pte_prot(e) &
			                                                  ~(unsigned)MM_PROT_WRITE),
			                               true));
	}
}

int mm_space_clone(struct mm_space *parent, struct mm_space *child, enum mm_clone_mode mode)
{
	if (parent->is_kernel)
		return -MM_EPERM;
	if (mode != MM_CLONE_EAGER && mode != MM_CLONE_COW)
		return -MM_EINVAL;
	struct mm_sys *sys = parent->sys;
	int err = mm_space_create(sys, child);
	if (err)
		return err;
	struct clone_ctx c = { .parent = parent, .child = child, .mode = mode };
	err = mmi_regions_clone(child, parent);
	if (!err)
		err = clone_table(sys, &c, parent->root, child->root, ROOT_LEVEL, 0, 0,
		                  ARCH_KERNEL_FIRST_SLOT);
	if (err) {
		int derr = mm_space_destroy(child);
		MM_ASSERT(derr == 0);
		return err;
	}
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	if (mode == MM_CLONE_COW) {
#ifndef MM_PLANT_COW_NO_PROTECT /* test-only planted bug */
		cow_protect(sys, &c, parent->root, child->root, ROOT_LEVEL, 0, 0,
		            ARCH_KERNEL_FIRST_SLOT);
#endif
#ifndef MM_PLANT_COW_NO_FLUSH /* test-only planted bug */
		if (mm_space_tlb_live(parent))
			sys->ops->flush_all(sys->mach,
			                    parent->asid); /* write permissions were revoked */
#endif
	}
	return 0;
}

/* ---- the system ---------------------------------------------------------- */

void mm_sys_set_wx(struct mm_sys *sys, bool strict)
{
	sys->wx_strict = strict;
}

void mm_sys_set_thp(struct mm_sys *sys, bool on)
{
	sys->thp = on;
}

int mm_sys_init(struct mm_sys *sys, const struct mm_mach_ops *ops, void *mach,
                const struct mm_phys_range *ranges, size_t n, struct mm_frame *meta,
                size_t meta_bytes, mm_paddr_t high_base)
{
	if (!ops || !ops->phys_to_virt || !ops->activate || !ops->read_root ||
	    !ops->invalidate_page || !ops->flush_all || !ops->map_frame != !ops->unmap_frame)
		return -MM_EINVAL;
	*sys = (struct mm_sys){ .ops = ops, .mach = mach };
	int err = mm_frames_init_zoned(&sys->frames, ranges, n, meta, meta_bytes, high_base);
	if (err)
		return err;
	if (mm_frames_zone_total(&sys->frames, MM_ZONE_HIGH) && !ops->map_frame)
		return -MM_EINVAL; /* high frames are reachable through map_frame only */

	struct mm_space *k = &sys->kernel;
	*k = (struct mm_space){ .sys = sys, .is_kernel = true, .table_pages = 1 };
	k->prev = k->next = k;
	sys->nspaces = 1;
	err = mm_sys_frame_alloc(sys, MM_FRAME_PT, true, &k->root);
	if (err)
		return err;
	arch_pte_t *root = mmi_table(sys, k->root, 0, ROOT_LEVEL, k->root);
#if MM_TABLES_RECURSIVE
	arch_pte_store(&root[ARCH_RECURSIVE_SLOT], arch_recursive_pte(k->root));
#endif
	for (unsigned i = ARCH_KERNEL_FIRST_SLOT; i < MMI_KERNEL_END_SLOT; i++) {
		mm_paddr_t t;
		err = mm_sys_frame_alloc(sys, MM_FRAME_PT, true, &t);
		if (err) {
			free_subtree(sys, NULL, k->root, k->root, ROOT_LEVEL, 0,
			             ARCH_KERNEL_FIRST_SLOT, i, false);
			mm_sys_frame_put(sys, k->root);
			return err;
		}
		arch_pte_store(&root[i], arch_pte_table(t, ROOT_LEVEL, false));
		sys->kernel_tables++;
	}
	mmi_table_meta(sys, k->root)->pt_used =
	        (uint16_t)(MMI_KERNEL_END_SLOT - ARCH_KERNEL_FIRST_SLOT);
	return 0;
}

int mm_sys_fini(struct mm_sys *sys)
{
	if (sys->nspaces != 1)
		return -MM_EBUSY;
	free_subtree(sys, NULL, sys->kernel.root, sys->kernel.root, ROOT_LEVEL, 0,
	             ARCH_KERNEL_FIRST_SLOT, MMI_KERNEL_END_SLOT, false);
	MM_ASSERT(sys->kernel_tables == 0);
	mm_sys_frame_put(sys, sys->kernel.root);
	if (sys->asid_count)
		mm_sys_frame_put(sys, sys->asid_map);
	sys->asid_count = 0;
	sys->active = NULL;
	sys->nspaces = 0;
	return 0;
}
