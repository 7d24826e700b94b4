/*
 * mm-core's virtual-memory layer over the page tables: regions (VMAs),
 * page-fault resolution (demand zero, file fill, copy-on-write, stack
 * growth), populate, and anonymous mmap/munmap/mprotect. See <mm/mm.h>.
 *
 * Regions live in a tree whose nodes are in frames (region.c). Each
 * operation reserves the frames it may need (region nodes, page tables,
 * shared pages) before it changes anything, or undoes itself on
 * -MM_ENOMEM: nothing changes on error.
 */
#include "assert.h"
#include "internal.h"

#define PAGE ARCH_PAGE_SIZE

static bool grows_down(const struct mm_region *r)
{
	return (r->flags & MM_REGION_GROWS_DOWN) != 0;
}

#define reach_lo mmi_reach_lo

/* Does [lo, hi) meet a region, or a stack's reach or guard page? O(log n):
 * reaches are disjoint and sorted, so only the first region ending above
 * @lo can. */
static bool overlaps(const struct mm_space *s, mm_vaddr_t lo, mm_vaddr_t hi)
{
	const struct mm_region_node *n = mmi_region_ending_after(s, lo);
	return n && reach_lo(&n->r) < hi;
}

static bool mergeable(const struct mm_region *a, const struct mm_region *b)
{
	return a->end == b->start && a->backing == MM_BACKING_ANON &&
	       b->backing == MM_BACKING_ANON && a->kind == b->kind && a->prot == b->prot &&
	       a->flags == 0 && b->flags == 0;
}

/* Merge every pair of adjacent mergeable regions from the one ending at or
 * below @lo to the one starting at @hi: the regions an operation on
 * [lo, hi) touched and their neighbours. */
static void merge_range(struct mm_space *s, mm_vaddr_t lo, mm_vaddr_t hi)
{
	struct mm_region_node *n = lo ? mmi_region_floor(s, lo - 1) : NULL;
	if (!n)
		n = s->region_first;
	while (n && n->next && n->next->r.start <= hi) {
		struct mm_region_node *next = n->next;
		if (mergeable(&n->r, &next->r)) {
			mm_vaddr_t end = next->r.end;
			mmi_region_remove(s, next);
			n->r.end = end;
			mmi_region_changed(s, n);
		} else {
			n = next;
		}
	}
}

/* Does cutting at @va split a region (is @va strictly inside one)? */
static bool splits_at(const struct mm_space *s, mm_vaddr_t va)
{
	const struct mm_region_node *n = mmi_region_floor(s, va);
	return n && n->r.start < va && va < n->r.end;
}

/* Region nodes an operation cutting [va, end) out of the regions needs at
 * its peak: one per split (what it removes is freed after). */
static uint64_t splits(const struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end)
{
	return (uint64_t)splits_at(s, va) + (uint64_t)splits_at(s, end);
}

/*
 * A region protection from a request of READ, WRITE and EXEC in any
 * combination (USER is implied), 0 being PROT_NONE: pages keep their
 * frames but every access faults. What the ISA cannot grant alone is
 * widened as its MMU does (x86: a present page is readable, so
 * write-only is read-write and execute-only is read-execute, as on
 * Linux); nothing is widened beyond READ. Return false for other bits.
 */
static bool region_prot(unsigned prot, unsigned *out)
{
	if (prot & ~(unsigned)MM_PROT_ALL)
		return false;
	prot |= MM_PROT_USER;
	if (prot & (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC))
		prot = arch_prot_effective(prot) & (prot | MM_PROT_READ);
	*out = prot;
	return true;
}

static bool prot_ok(unsigned prot)
{
	unsigned dummy;
	return region_prot(prot, &dummy);
}

int mm_region_add(struct mm_space *s, const struct mm_region *r)
{
	if (s->is_kernel)
		return -MM_EPERM;
	if ((r->start & PAGE_MASK) || (r->end & PAGE_MASK) || r->start >= r->end ||
	    !prot_ok(r->prot) || r->kind >= MM_REGION_NKINDS || r->backing > MM_BACKING_SHARED ||
	    (r->flags & ~(unsigned)MM_REGION_GROWS_DOWN) ||
	    (r->backing == MM_BACKING_FILE && !r->file))
		return -MM_EINVAL;
	if (grows_down(r) && ((r->limit & PAGE_MASK) || r->limit < PAGE || r->limit > r->start))
		return -MM_EINVAL;
	if (mmi_wx_refused(s->sys, r->prot))
		return -MM_EACCES;
	if (r->end > ARCH_USER_END)
		return -MM_EFAULT;
	if (overlaps(s, reach_lo(r), r->end))
		return -MM_EEXIST;
	struct mm_region c = *r;
	unsigned cprot = 0;
	(void)region_prot(r->prot, &cprot); /* checked above */
	c.prot = (uint8_t)cprot;
	if (!grows_down(&c))
		c.limit = 0;
	uint64_t added;
	int err = mmi_regions_reserve(s, 1, &added);
	if (err)
		return err;
	mmi_region_insert(s, &c);
	merge_range(s, c.start, c.end);
	return 0;
}

/* Split the region holding @va (strictly inside it) in two at @va. Takes
 * one reserved node. */
static void split_at(struct mm_space *s, mm_vaddr_t va)
{
	struct mm_region_node *n = mmi_region_floor(s, va);
	if (!n || !(n->r.start < va && va < n->r.end))
		return;
	struct mm_region upper = n->r;
	upper.start = va;
	upper.flags &= (uint8_t)~MM_REGION_GROWS_DOWN; /* only the bottom part grows */
	upper.limit = 0;
	n->r.end = va;
	mmi_region_changed(s, n);
	mmi_region_insert(s, &upper);
}

/* ---- page helpers ----------------------------------------------------------- */

/* The PTE slot of @va, or NULL if its leaf table does not exist. */
static arch_pte_t *pte_slot(struct mm_space *s, mm_vaddr_t va, mm_paddr_t *table_pa)
{
	mm_paddr_t lt;
	if (mmi_leaf_table(s->sys, s->root, va, false, false, NULL, &lt, NULL) != 0)
		return NULL;
	if (table_pa)
		*table_pa = lt;
	return &mmi_table(s->sys, s->root, va, 0, lt)[arch_pte_index(va, 0)];
}

static void invalidate(struct mm_space *s, mm_vaddr_t va)
{
	if (mm_space_tlb_live(s))
		s->sys->ops->invalidate_page(s->sys->mach, s->asid, va);
}

/* Does @prot allow @access? A fetch needs EXEC, a write WRITE, a read
 * READ: an execute-only page (an encoding RISC-V has and x86 lacks) runs
 * but cannot be read. */
static bool allows(unsigned prot, unsigned access)
{
	if (access & MM_ACCESS_EXEC)
		return (prot & MM_PROT_EXEC) != 0;
	if (access & MM_ACCESS_WRITE)
		return (prot & MM_PROT_WRITE) != 0;
	return (prot & MM_PROT_READ) != 0;
}

/* A fresh page at @va for region @r (zero or file bytes), mapped with the
 * region's protection. All-or-nothing. */
static enum mm_fault_verdict fill_page(struct mm_space *s, const struct mm_region *r, mm_vaddr_t va,
                                       enum mm_fault_how *how)
{
	struct mmi_map_src src = { .anon = true, .shared = r->backing == MM_BACKING_SHARED };
	uint64_t one = 0;
	int err = mmi_map_range(s->sys, s->root, va, va + PAGE, &src, r->prot, true,
	                        &s->table_pages, &one, &s->large_leaves);
	if (err)
		return MM_FAULT_OOM;
	s->user_pages++;
	if (arch_tlb_caches_invalid())
		invalidate(s, va); /* the ISA may have cached the entry not valid */
	*how = MM_FAULT_DEMAND_ZERO;
	if (r->backing == MM_BACKING_FILE && va + PAGE > r->file_va &&
	    va < r->file_va + r->file_len) {
		mm_vaddr_t lo = va > r->file_va ? va : r->file_va;
		mm_vaddr_t hi = r->file_va + r->file_len;
		if (hi > va + PAGE)
			hi = va + PAGE;
		arch_pte_t *e = pte_slot(s, va, NULL);
		const mm_paddr_t pa = arch_pte_paddr(*e);
		uint8_t *frame = mmi_frame_map(s->sys, pa);
		__builtin_memcpy(frame + (lo - va), r->file + (lo - r->file_va), (size_t)(hi - lo));
		mmi_frame_unmap(s->sys, pa, frame);
		*how = MM_FAULT_FILE;
	}
	return MM_FAULT_RESOLVED;
}

/*
 * Transparent huge pages (mm_sys_set_thp()): map the whole aligned
 * level-1 page around @va with one zeroed run of frames, when @r is
 * private anonymous memory covering it, nothing of it is mapped, and a
 * run and the tables are there. Return: whether it did (if not, nothing
 * changed and the caller maps one 4 KiB page).
 */
static bool fill_large(struct mm_space *s, const struct mm_region *r, mm_vaddr_t va,
                       enum mm_fault_how *how)
{
	struct mm_sys *sys = s->sys;
	const uint64_t size = mmi_level_size(1);
	const mm_vaddr_t base = va & ~(size - 1);
	if (!sys->thp || sys->large_max < 1 || r->backing != MM_BACKING_ANON || grows_down(r) ||
	    base < r->start || base + size > r->end)
		return false;
	unsigned level;
	arch_pte_t *slot = mmi_descend(sys, s->root, base, &level, NULL);
	if (level < 1 || mmi_leaf_used(*slot))
		return false; /* a leaf table there (pages mapped), or a leaf */
	mm_paddr_t run, tpa;
	if (mm_sys_frame_alloc_run(sys, MM_FRAME_USER, arch_level_shift(1) - ARCH_PAGE_SHIFT, true,
	                           &run))
		return false;
	if (mmi_table_for(sys, s->root, base, 1, true, true, &s->table_pages, &tpa, NULL)) {
		mmi_prune(sys, s->root, base, ARCH_LEVELS - 1, &s->table_pages);
		for (uint64_t off = 0; off < size; off += PAGE)
			mm_sys_frame_put(sys, run + off);
		return false;
	}
	arch_pte_store(&mmi_table(sys, s->root, base, 1, tpa)[arch_pte_index(base, 1)],
	               arch_pte_resize(arch_pte_leaf(run, r->prot), 1));
	mmi_table_meta(sys, tpa)->pt_used++;
	s->user_pages += size / PAGE;
	s->large_leaves++;
	/* The ISA may have cached any of its pages not valid: each is
	 * invalidated (past MM_TLB_BATCH_PAGES, one flush). */
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	for (uint64_t off = 0; off < size; off += PAGE)
		mmi_tlb_add_new(&b, base + off);
	mmi_tlb_finish(&b);
	*how = MM_FAULT_DEMAND_ZERO;
	return true;
}

/*
 * Write @new_e over the valid leaf @e of @s at @va. Where the ISA requires
 * break-before-make for this change (arch_pte_needs_bbm(): aarch64, when
 * the output address changes), the entry first goes invalid and its TLB
 * entries are invalidated, so that no TLB ever holds the old and the new
 * translation at once.
 * Return: whether the caller must still invalidate @va, as after any
 * change: not after a break-before-make on an ISA whose TLB caches no
 * invalid entry, where the invalidation in between already dropped the
 * old translation and nothing cached the invalid one.
 */
static bool replace_leaf(struct mm_space *s, arch_pte_t *e, mm_vaddr_t va, arch_pte_t new_e)
{
	bool again = true;
#ifndef MM_PLANT_COW_NO_BBM /* test-only planted bug: the new entry over the old in place */
	if (arch_pte_needs_bbm(*e, new_e)) {
		arch_pte_store(e, 0);
		invalidate(s, va);
		again = arch_tlb_caches_invalid();
	}
#else
	(void)s;
	(void)va;
#endif
	arch_pte_store(e, new_e);
	return again;
}

/* A write to a present COW page: copy it, or take it over if alone. */
/* ... @spare: a user frame the caller took for the copy, or 0 (then it is
 * taken here); given back if not needed. */
static enum mm_fault_verdict break_cow(struct mm_space *s, arch_pte_t *e, mm_vaddr_t va,
                                       mm_paddr_t spare, enum mm_fault_how *how)
{
	struct mm_sys *sys = s->sys;
	mm_paddr_t old = arch_pte_paddr(*e);
	struct mm_frame *f = mm_frame_get(&sys->frames, old);
	MM_ASSERT(f && f->kind != MM_FRAME_FREE);
	unsigned prot = mmi_pte_logical_prot(*e);
	MM_ASSERT(prot & MM_PROT_WRITE);
	bool again = true;       /* invalidate @va at the end */
#ifdef MM_PLANT_COW_REUSE_SHARED /* test-only planted bug: take over a frame others map */
	if (f->ref_or_next > 1) {
		arch_pte_store(e, arch_pte_with_cow(arch_pte_with_prot(*e, prot), false));
		*how = MM_FAULT_COW_REUSE;
		invalidate(s, va);
		return MM_FAULT_RESOLVED;
	}
#endif
	if (f->ref_or_next == 1) {
		if (spare)
			mm_sys_frame_put(sys, spare);
		arch_pte_store(e, mmi_pte_with_logical_prot(*e, prot, f));
		*how = MM_FAULT_COW_REUSE;
	} else {
		mm_paddr_t copy = spare;
		if (!copy && mm_sys_frame_alloc(sys, MM_FRAME_USER, false, &copy) != 0)
			return MM_FAULT_OOM;
		mmi_frame_copy(sys, copy, old);
		again = replace_leaf(s, e, va, arch_pte_leaf(copy, prot));
#ifndef MM_PLANT_COW_KEEPS_REF /* test-only planted bug */
		mm_sys_frame_put(sys, old);
#endif
		*how = MM_FAULT_COW_COPY;
#ifdef MM_PLANT_COW_BREAK_NO_INVLPG /* test-only planted bug: the old translation stays */
		return MM_FAULT_RESOLVED;
#endif
	}
	if (again)
		invalidate(s, va);
	return MM_FAULT_RESOLVED;
}

enum mm_fault_verdict mm_fault(struct mm_space *s, mm_vaddr_t va, unsigned access,
                               enum mm_fault_how *how)
{
	enum mm_fault_how dummy;
	if (!how)
		how = &dummy;
	if (s->is_kernel || !arch_va_is_canonical(va) || va >= ARCH_USER_END)
		return MM_FAULT_SEGV;
	const mm_vaddr_t page = va & ~(mm_vaddr_t)PAGE_MASK;
	const struct mm_region *r = mm_region_find(s, page);
	unsigned level;
	arch_pte_t *large = mmi_descend(s->sys, s->root, page, &level, NULL);
	if (level > 0 && mmi_is_leaf_at(*large, level)) {
		/* A large page: refused, or spurious, as a whole; a write to a
		 * COW one splits it into 4 KiB pages (it alone), and the 4 KiB
		 * page written breaks below. */
		if (arch_pte_is_protnone(*large))
			return MM_FAULT_ACCESS;
		unsigned logical = mmi_pte_logical_prot(*large);
		if (!allows(r ? r->prot : logical, access) || !allows(logical, access))
			return MM_FAULT_ACCESS;
		if (!(access & MM_ACCESS_WRITE) || (arch_pte_prot(*large) & MM_PROT_WRITE)) {
			*how = MM_FAULT_SPURIOUS;
			invalidate(s, page);
			return MM_FAULT_RESOLVED;
		}
		/* All-or-nothing: the copy's frame first (if the page is
		 * shared), then the demotion's tables. */
		const mm_paddr_t pa = arch_pte_paddr(*large) + (page & (mmi_level_size(level) - 1));
		const struct mm_frame *f = mm_frame_get(&s->sys->frames, pa);
		mm_paddr_t spare = 0;
		if (f && f->ref_or_next > 1 &&
		    mm_sys_frame_alloc(s->sys, MM_FRAME_USER, false, &spare) != 0)
			return MM_FAULT_OOM;
		if (mmi_demote_range(s, page, page + PAGE)) {
			if (spare)
				mm_sys_frame_put(s->sys, spare);
			return MM_FAULT_OOM;
		}
		if (spare) /* now a 4 KiB COW page, as the large one was */
			return break_cow(s, pte_slot(s, page, NULL), page, spare, how);
	}
	arch_pte_t *e = pte_slot(s, page, NULL);

	if (e && arch_pte_is_protnone(*e))
		return MM_FAULT_ACCESS; /* PROT_NONE: the page is there, no access is */
	if (e && arch_pte_is_present(*e)) {
		unsigned hw = arch_pte_prot(*e);
		unsigned logical = mmi_pte_logical_prot(*e);
		if (!allows(r ? r->prot : logical, access) || !allows(logical, access))
			return MM_FAULT_ACCESS;
		if ((access & MM_ACCESS_WRITE) && !(hw & MM_PROT_WRITE))
			return break_cow(s, e, page, 0, how); /* cow is set: logical allows */
		*how = MM_FAULT_SPURIOUS;
		invalidate(s, page);
		return MM_FAULT_RESOLVED;
	}
	if (r) {
		if (!allows(r->prot, access))
			return MM_FAULT_ACCESS;
		if (fill_large(s, r, page, how))
			return MM_FAULT_RESOLVED;
		return fill_page(s, r, page, how);
	}
	/* Below a stack, within its reach: grow it. The guard page is below
	 * the limit, so it is never reached. */
	struct mm_region_node *st = mmi_region_floor(s, page);
	st = st ? st->next : s->region_first; /* the first region above @page */
	if (st && grows_down(&st->r) && page >= st->r.limit) {
		if (!allows(st->r.prot, access))
			return MM_FAULT_ACCESS;
		enum mm_fault_verdict v = fill_page(s, &st->r, page, how);
		if (v != MM_FAULT_RESOLVED)
			return v;
		st->r.start = page;
		mmi_region_changed(s, st);
		*how = MM_FAULT_STACK_GROW;
		return v;
	}
	return MM_FAULT_SEGV;
}

int mm_populate(struct mm_space *s, mm_vaddr_t va, uint64_t npages, unsigned access)
{
	mm_vaddr_t end;
	int err = mmi_check_user_range(s, va, npages, &end);
	if (err)
		return err;
	for (; va != end; va += PAGE) {
		unsigned level;
		arch_pte_t *e = mmi_descend(s->sys, s->root, va, &level, NULL);
		if (arch_pte_is_present(*e) && arch_pte_is_leaf(*e, level) &&
		    allows(arch_pte_prot(*e), access))
			continue; /* a 4 KiB or a large page, there and allowing it */
		enum mm_fault_verdict v = mm_fault(s, va, access, NULL);
		if (v == MM_FAULT_OOM)
			return -MM_ENOMEM;
		if (v != MM_FAULT_RESOLVED)
			return -MM_EFAULT;
	}
	return 0;
}

/* Unmap every present page in [va, end): holes allowed. */
static void unmap_present(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end,
                          struct mmi_tlb_batch *b)
{
	struct mm_sys *sys = s->sys;
	while (va != end) {
		mm_vaddr_t cstart = va, cend = mmi_chunk_end(va, end);
		mm_paddr_t lt;
		unsigned missing;
		if (mmi_leaf_table(sys, s->root, va, false, false, NULL, &lt, &missing) != 0) {
			uint64_t span = UINT64_C(1) << arch_level_shift(missing);
			mm_vaddr_t next = (va | (span - 1)) + 1;
			va = (next == 0 || next > end || next < va) ? end : next;
			continue;
		}
		arch_pte_t *t = mmi_table(sys, s->root, va, 0, lt);
		struct mm_frame *meta = mmi_table_meta(sys, lt);
		for (; va != cend; va += PAGE) {
			arch_pte_t *e = &t[arch_pte_index(va, 0)];
			if (!mmi_leaf_used(*e))
				continue;
			mm_paddr_t pa = arch_pte_paddr(*e);
			arch_pte_store(e, 0);
			meta->pt_used--;
			s->user_pages--;
			mmi_tlb_add(b, va);
			mmi_put_if_managed(sys, pa);
		}
#ifndef MM_PLANT_KEEP_EMPTY_TABLE /* test-only planted bug */
		if (meta->pt_used == 0)
			mmi_prune(sys, s->root, cstart, ROOT_LEVEL, &s->table_pages);
#else
		(void)cstart;
#endif
	}
}

/* Cut [va, end) out of the regions (splitting at its ends) and drop what
 * lies inside. The caller has reserved splits(s, va, end) nodes. */
static void remove_regions(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end)
{
	split_at(s, va);
	split_at(s, end);
	struct mm_region_node *n = mmi_region_ending_after(s, va);
	while (n && n->r.start < end) {
		struct mm_region_node *next = n->next;
		MM_ASSERT(n->r.start >= va && n->r.end <= end);
		mmi_region_remove(s, n);
		n = next;
	}
}

int mm_munmap(struct mm_space *s, mm_vaddr_t va, uint64_t npages)
{
	mm_vaddr_t end;
	int err = mmi_check_user_range(s, va, npages, &end);
	if (err)
		return err;
	uint64_t added;
	err = mmi_regions_reserve(s, splits(s, va, end), &added);
	if (err)
		return err;
	err = mmi_demote_range(s, va, end);
	if (err) {
		mmi_regions_cancel(s, added);
		return err;
	}
	remove_regions(s, va, end);
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	unmap_present(s, va, end, &b);
	mmi_tlb_finish(&b);
	return 0;
}

int mm_mprotect(struct mm_space *s, mm_vaddr_t va, uint64_t npages, unsigned prot)
{
	mm_vaddr_t end;
	int err = mmi_check_user_range(s, va, npages, &end);
	if (err)
		return err;
	unsigned rprot;
	if (!region_prot(prot, &rprot))
		return -MM_EINVAL;
	if (mmi_wx_refused(s->sys, prot))
		return -MM_EACCES;
	/* Every page must be in a region: walk the covering regions. */
	for (mm_vaddr_t at = va; at < end;) {
		const struct mm_region *r = mm_region_find(s, at);
		if (!r)
			return -MM_ENOENT;
		at = r->end;
	}
	uint64_t added;
	err = mmi_regions_reserve(s, splits(s, va, end), &added);
	if (err)
		return err;
	err = mmi_demote_range(s, va, end);
	if (err) {
		mmi_regions_cancel(s, added);
		return err;
	}
	split_at(s, va);
	split_at(s, end);
	for (struct mm_region_node *n = mmi_region_ending_after(s, va); n && n->r.start < end;
	     n = n->next)
		n->r.prot = (uint8_t)rprot; /* no summary depends on it */
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	for (mm_vaddr_t at = va; at != end; at += PAGE) {
		arch_pte_t *e = pte_slot(s, at, NULL);
		if (!e || !mmi_leaf_used(*e))
			continue;
		mmi_leaf_set_prot(s->sys, e, rprot);
#ifndef MM_PLANT_MISSING_INVLPG /* test-only planted bug: see docs/FUZZING.md */
		mmi_tlb_add(&b, at);
#endif
	}
	merge_range(s, va, end);
	mmi_tlb_finish(&b);
	return 0;
}

/* The highest free gap of @len bytes below every stack, or 0. */
static mm_vaddr_t find_gap(const struct mm_space *s, uint64_t len)
{
	return mmi_region_find_gap(s, len);
}

/* Prune the empty leaf tables of [va, end) (after ensure_tables()). */
static void prune_tables(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end)
{
	for (mm_vaddr_t c = va; c != end; c = mmi_chunk_end(c, end))
		mmi_prune(s->sys, s->root, c, ROOT_LEVEL, &s->table_pages);
}

/* Make every leaf table of [va, end) exist; all-or-nothing (on -MM_ENOMEM
 * the tables linked are pruned again). A span a large page maps is left
 * as it is: the demotion reserved before (mmi_demote_reserve()) and
 * applied after brings its tables. */
static int ensure_tables(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end)
{
	for (mm_vaddr_t v = va; v != end; v = mmi_chunk_end(v, end)) {
		unsigned level;
		arch_pte_t *slot = mmi_descend(s->sys, s->root, v, &level, NULL);
		if (level > 0 && mmi_is_leaf_at(*slot, level))
			continue;
		mm_paddr_t lt;
		int err =
		        mmi_leaf_table(s->sys, s->root, v, true, true, &s->table_pages, &lt, NULL);
		if (err) {
			prune_tables(s, va, mmi_chunk_end(v, end));
			return err;
		}
	}
	return 0;
}

/* A chain of zeroed user frames, linked through their first 8 bytes
 * (reached through mmi_frame_map(): a frame may lie beyond the direct
 * map). chain_pop() zeroes the link again. */
static void chain_push(struct mm_sys *sys, mm_paddr_t *chain, mm_paddr_t f)
{
	mm_paddr_t *link = mmi_frame_map(sys, f);
	*link = *chain;
	mmi_frame_unmap(sys, f, link);
	*chain = f;
}

static mm_paddr_t chain_pop(struct mm_sys *sys, mm_paddr_t *chain)
{
	const mm_paddr_t f = *chain;
	mm_paddr_t *link = mmi_frame_map(sys, f);
	*chain = *link;
	*link = 0; /* the frame reads as zero again */
	mmi_frame_unmap(sys, f, link);
	return f;
}

/*
 * Phase 1 of a shared mmap over [va, end): make every leaf table of the
 * range exist and take @npages zeroed frames, chained through their first
 * word in *@chain. All-or-nothing: on -MM_ENOMEM the frames are freed and
 * the tables it linked pruned again.
 */
static int reserve_shared(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end, uint64_t npages,
                          mm_paddr_t *chain)
{
	struct mm_sys *sys = s->sys;
	int err = ensure_tables(s, va, end);
	if (err)
		return err;
	uint64_t got = 0;
	for (; got < npages; got++) {
		mm_paddr_t f;
		err = mm_sys_frame_alloc(sys, MM_FRAME_USER, true, &f);
		if (err)
			break;
		chain_push(sys, chain, f);
	}
	if (!err)
		return 0;
	for (; got > 0; got--)
		mm_sys_frame_put(sys, chain_pop(sys, chain));
	prune_tables(s, va, end);
	return err;
}

/*
 * Phase 2 of a shared mmap (cannot fail): every page of [va, end) gets a
 * frame of @chain, shared-marked, with region protection @prot (PROT_NONE
 * if it has no READ); a page there before is dropped and invalidated.
 */
static void install_shared(struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end, mm_paddr_t chain,
                           unsigned prot, struct mmi_tlb_batch *b)
{
	struct mm_sys *sys = s->sys;
	for (; va != end; va += PAGE) {
		mm_paddr_t lt;
		int err = mmi_leaf_table(sys, s->root, va, false, false, NULL, &lt, NULL);
		MM_ASSERT(err == 0);
		arch_pte_t *e = &mmi_table(sys, s->root, va, 0, lt)[arch_pte_index(va, 0)];
		struct mm_frame *meta = mmi_table_meta(sys, lt);
		mm_paddr_t f = chain_pop(sys, &chain);
		arch_pte_t new_e =
		        arch_pte_with_shared(arch_pte_leaf(f, prot | MM_PROT_READ), true);
		if (!(prot & MM_PROT_READ))
			new_e = arch_pte_to_protnone(new_e);
		if (mmi_leaf_used(*e)) {
			/* A replacement: another frame at a mapped page, which
			 * breaks before it makes where the ISA requires it. */
			mm_paddr_t old = arch_pte_paddr(*e);
			if (replace_leaf(s, e, va, new_e))
				mmi_tlb_add(b, va);
			mmi_put_if_managed(sys, old);
		} else {
			meta->pt_used++;
			s->user_pages++;
			mmi_tlb_add_new(b, va);
			arch_pte_store(e, new_e);
		}
	}
}

/* Would a fixed mapping ending at @end land in the reach (or guard page) of
 * a grow-down region above it that it does not itself cut? */
static bool in_stack_reach(const struct mm_space *s, mm_vaddr_t end)
{
	/* Only the first region starting at or above @end can: reaches are
	 * disjoint and sorted. */
	const struct mm_region_node *n = mmi_region_floor(s, end - 1);
	n = n ? n->next : s->region_first;
	return n && grows_down(&n->r) && reach_lo(&n->r) < end;
}

int mm_mmap(struct mm_space *s, mm_vaddr_t addr, uint64_t npages, unsigned prot, unsigned flags,
            mm_vaddr_t *out)
{
	const unsigned fixed = MM_MAP_FIXED | MM_MAP_FIXED_NOREPLACE;
	unsigned rprot;
	if (s->is_kernel)
		return -MM_EPERM;
	if (npages == 0 || !region_prot(prot, &rprot) ||
	    (flags & ~(unsigned)(fixed | MM_MAP_SHARED)) || (flags & fixed) == fixed ||
	    (addr & PAGE_MASK))
		return -MM_EINVAL;
	if (mmi_wx_refused(s->sys, prot))
		return -MM_EACCES;
	if (npages > (ARCH_USER_END >> ARCH_PAGE_SHIFT))
		return -MM_ENOMEM;
	uint64_t len = npages << ARCH_PAGE_SHIFT;
	mm_vaddr_t at = addr;
	if (flags & fixed) {
		mm_vaddr_t end;
		int err = mmi_check_user_range(s, addr, npages, &end);
		if (err)
			return err;
		if ((flags & MM_MAP_FIXED_NOREPLACE) && overlaps(s, addr, end))
			return -MM_EEXIST;
		if (in_stack_reach(s, end))
			return -MM_EEXIST;
	} else if (!addr || addr >= ARCH_USER_END || len > ARCH_USER_END - addr ||
	           overlaps(s, addr, addr + len)) {
		at = find_gap(s, len);
		if (!at)
			return -MM_ENOMEM;
	}
	const mm_vaddr_t end = at + len;
	bool shared = flags & MM_MAP_SHARED;
	struct mm_region c = {
		.start = at,
		.end = end,
		.prot = (uint8_t)rprot,
		.kind = shared ? MM_REGION_SHARED : MM_REGION_MMAP,
		.backing = shared ? MM_BACKING_SHARED : MM_BACKING_ANON,
	};
	/* Reserve first: the nodes of the splits and of the new region, the
	 * tables that demote large pages in the range, then a shared region's
	 * tables and frames. */
	uint64_t added;
	int err = mmi_regions_reserve(s, splits(s, at, end) + 1, &added);
	if (err)
		return err;
	mm_paddr_t spare_tables;
	err = mmi_demote_reserve(s, at, end, &spare_tables);
	if (err) {
		mmi_regions_cancel(s, added);
		return err;
	}
	mm_paddr_t chain = 0;
	if (shared) {
		err = reserve_shared(s, at, end, npages, &chain);
		if (err) {
			mmi_demote_cancel(s->sys, &spare_tables);
			mmi_regions_cancel(s, added);
			return err;
		}
	}
	/* Nothing fails from here on: replace what was there. */
	mmi_demote_apply(s, at, end, &spare_tables);
	remove_regions(s, at, end);
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	if (shared)
		install_shared(s, at, end, chain, rprot, &b);
	else if (flags & MM_MAP_FIXED)
		unmap_present(s, at, end, &b); /* only a replacement finds pages there */
	mmi_region_insert(s, &c);
	merge_range(s, at, end);
	mmi_tlb_finish(&b);
	*out = at;
	return 0;
}

/* Is every page of [va, end) in some region? */
static bool all_in_regions(const struct mm_space *s, mm_vaddr_t va, mm_vaddr_t end)
{
	for (mm_vaddr_t at = va; at < end;) {
		const struct mm_region *r = mm_region_find(s, at);
		if (!r)
			return false;
		at = r->end;
	}
	return true;
}

int mm_madvise(struct mm_space *s, mm_vaddr_t va, uint64_t npages, unsigned advice)
{
	mm_vaddr_t end;
	int err = mmi_check_user_range(s, va, npages, &end);
	if (err)
		return err;
	if (advice != MM_MADV_DONTNEED)
		return -MM_EINVAL;
	if (!all_in_regions(s, va, end))
		return -MM_ENOENT;
	err = mmi_demote_range(s, va, end);
	if (err)
		return err;
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	for (mm_vaddr_t at = va; at < end;) {
		const struct mm_region *r = mm_region_find(s, at);
		mm_vaddr_t stop = r->end < end ? r->end : end;
		/* A shared region's pages are its contents: they stay (Linux keeps
		 * them in the shared object and maps them back on the next touch,
		 * which reads the same bytes). */
		if (r->backing != MM_BACKING_SHARED)
			unmap_present(s, at, stop, &b);
		at = stop;
	}
	mmi_tlb_finish(&b);
	return 0;
}

/*
 * Move every used leaf of [from, from + len) to the same offset at @to, in
 * the same space (frames, references and software bits travel with them).
 * Precondition: every leaf table of the target range exists, and no page
 * there is used. Cannot fail. Old tables emptied are pruned.
 */
static void move_leaves(struct mm_space *s, mm_vaddr_t from, mm_vaddr_t to, uint64_t len,
                        struct mmi_tlb_batch *b)
{
	struct mm_sys *sys = s->sys;
	for (uint64_t off = 0; off < len; off += PAGE) {
		mm_paddr_t lt_old, lt_new;
		if (mmi_leaf_table(sys, s->root, from + off, false, false, NULL, &lt_old, NULL) !=
		    0)
			continue;
		arch_pte_t *e = &mmi_table(sys, s->root, from + off, 0,
		                           lt_old)[arch_pte_index(from + off, 0)];
		if (!mmi_leaf_used(*e))
			continue;
		int err = mmi_leaf_table(sys, s->root, to + off, false, false, NULL, &lt_new, NULL);
		MM_ASSERT(err == 0);
		arch_pte_t *d =
		        &mmi_table(sys, s->root, to + off, 0, lt_new)[arch_pte_index(to + off, 0)];
		MM_ASSERT(!mmi_leaf_used(*d));
		arch_pte_store(d, *e);
		mmi_table_meta(sys, lt_new)->pt_used++;
		mmi_tlb_add_new(b, to + off);
		arch_pte_store(e, 0);
		mmi_tlb_add(b, from + off);
		if (--mmi_table_meta(sys, lt_old)->pt_used == 0)
			mmi_prune(sys, s->root, from + off, ROOT_LEVEL, &s->table_pages);
	}
}

int mm_mremap(struct mm_space *s, mm_vaddr_t old, uint64_t old_pages, uint64_t new_pages,
              unsigned flags, mm_vaddr_t *out)
{
	mm_vaddr_t old_end, new_end;
	int err = mmi_check_user_range(s, old, old_pages, &old_end);
	if (err)
		return err;
	if (new_pages == 0 || (flags & ~(unsigned)MM_MREMAP_MAYMOVE))
		return -MM_EINVAL;
	const struct mm_region *rp = mm_region_find(s, old);
	if (!rp || old_end > rp->end)
		return -MM_EFAULT; /* Linux: the old range must lie in one mapping */
	if (grows_down(rp) || rp->backing == MM_BACKING_FILE)
		return -MM_EINVAL;
	struct mm_region r = *rp;
	if (new_pages <= old_pages) { /* shrink: the tail goes */
		if (new_pages < old_pages) {
			err = mm_munmap(s, old + (new_pages << ARCH_PAGE_SHIFT),
			                old_pages - new_pages);
			if (err)
				return err;
		}
		*out = old;
		return 0;
	}
	const uint64_t old_len = old_pages << ARCH_PAGE_SHIFT;
	const uint64_t grow = (new_pages - old_pages) << ARCH_PAGE_SHIFT;
	bool shared = r.backing == MM_BACKING_SHARED;
	/* In place, if the range after the old one is free. */
	if (mmi_check_user_range(s, old_end, new_pages - old_pages, &new_end) == 0 &&
	    !overlaps(s, old_end, new_end) && !in_stack_reach(s, new_end)) {
		/* old_end is the region's end here: the region itself would
		 * overlap the range otherwise. */
		struct mm_region ext = r;
		ext.start = old_end;
		ext.end = new_end;
		ext.flags &= (uint8_t)~MM_REGION_GROWS_DOWN;
		uint64_t added;
		err = mmi_regions_reserve(s, 1, &added);
		if (err)
			return err;
		mm_paddr_t chain = 0;
		if (shared) {
			err = reserve_shared(s, old_end, new_end, new_pages - old_pages, &chain);
			if (err) {
				mmi_regions_cancel(s, added);
				return err;
			}
		}
		struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
		if (shared)
			install_shared(s, old_end, new_end, chain, r.prot, &b);
		mmi_region_insert(s, &ext);
		merge_range(s, ext.start, ext.end);
		mmi_tlb_finish(&b);
		*out = old;
		return 0;
	}
	if (!(flags & MM_MREMAP_MAYMOVE))
		return -MM_ENOMEM;
	const uint64_t new_len = old_len + grow;
	mm_vaddr_t to = find_gap(s, new_len);
	if (!to)
		return -MM_ENOMEM;
	new_end = to + new_len;
	/* Reserve: the nodes (the old range cut out, the moved region), the
	 * tables that demote the old range's large pages (it moves page by
	 * page), the target's tables, a shared region's new frames. */
	uint64_t added;
	err = mmi_regions_reserve(s, splits(s, old, old_end) + 1, &added);
	if (err)
		return err;
	mm_paddr_t spare_tables;
	err = mmi_demote_reserve(s, old, old_end, &spare_tables);
	if (err) {
		mmi_regions_cancel(s, added);
		return err;
	}
	err = ensure_tables(s, to, to + old_len);
	if (err) {
		mmi_demote_cancel(s->sys, &spare_tables);
		mmi_regions_cancel(s, added);
		return err;
	}
	mm_paddr_t chain = 0;
	if (shared) {
		err = reserve_shared(s, to + old_len, new_end, new_pages - old_pages, &chain);
		if (err) {
			prune_tables(s, to, to + old_len);
			mmi_demote_cancel(s->sys, &spare_tables);
			mmi_regions_cancel(s, added);
			return err;
		}
	}
	mmi_demote_apply(s, old, old_end, &spare_tables);
	struct mm_region moved = r;
	moved.start = to;
	moved.end = new_end;
	remove_regions(s, old, old_end);
	struct mmi_tlb_batch b = mmi_tlb_batch_of(s);
	move_leaves(s, old, to, old_len, &b);
	prune_tables(s, to, to + old_len); /* tables left empty by holes */
	if (shared)
		install_shared(s, to + old_len, new_end, chain, r.prot, &b);
	mmi_region_insert(s, &moved);
	merge_range(s, to, new_end);
	mmi_tlb_finish(&b);
	*out = to;
	return 0;
}

int mm_brk(struct mm_space *s, mm_vaddr_t new_brk, mm_vaddr_t *out)
{
	if (s->is_kernel)
		return -MM_EPERM;
	*out = s->brk;
	if (!s->brk_start || new_brk < s->brk_start || new_brk >= ARCH_USER_END)
		return new_brk == 0 ? 0 : -MM_EINVAL; /* brk(0) asks where it is */
	const mm_vaddr_t old_end = (s->brk + PAGE_MASK) & ~(mm_vaddr_t)PAGE_MASK;
	const mm_vaddr_t new_end = (new_brk + PAGE_MASK) & ~(mm_vaddr_t)PAGE_MASK;
	int err = 0;
	if (new_end > old_end) { /* a demand-zero heap region, merged with the last */
		struct mm_region r = { .start = old_end,
			               .end = new_end,
			               .prot = MM_PROT_READ | MM_PROT_WRITE,
			               .kind = MM_REGION_HEAP,
			               .backing = MM_BACKING_ANON };
		err = mm_region_add(s, &r);
		if (err == -MM_EEXIST)
			err = -MM_ENOMEM; /* as Linux: the heap runs into a mapping */
	} else if (new_end < old_end) {
		err = mm_munmap(s, new_end, (old_end - new_end) >> ARCH_PAGE_SHIFT);
	}
	if (err)
		return err;
	s->brk = *out = new_brk;
	return 0;
}
