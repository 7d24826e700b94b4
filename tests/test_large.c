/*
 * Large pages (2 MiB, 4 MiB, 1 GiB leaves above level 0), on every ISA:
 * mapping with MM_PROT_LARGE, query and walk, the split of a large page
 * that an unmap or protect covers only in part (and the sweep of every
 * allocation failing during one), clone, destroy, the kernel half, the
 * region layer's demotion to 4 KiB pages, and the TLB: the simulator's MMU
 * model walks the large leaves, and its TLB checks every invalidation.
 */
#include "helpers.h"

#include <arch/layout.h>

/* The size of a large page at level 1 (2 MiB; 4 MiB on i386). */
#define L1 (UINT64_C(1) << arch_level_shift(1))
/* Its order as a run of frames (9; 10 on i386). */
#define L1_ORDER (arch_level_shift(1) - ARCH_PAGE_SHIFT)
/* User and physical addresses aligned to every large page size. */
#define LVA   UINT64_C(0x40000000)
#define LPA   UINT64_C(0x40000000) /* beyond the simulator's RAM: unmanaged */
#define LARGE (RW | MM_PROT_LARGE)

static struct mm_space s;

static void new_space(void)
{
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
}

static uint64_t query_size(const struct mm_space *sp, mm_vaddr_t va)
{
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(sp, va, &m), 0);
	return m.size;
}

static mm_paddr_t query_pa(const struct mm_space *sp, mm_vaddr_t va)
{
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(sp, va, &m), 0);
	return m.pa;
}

/* Drop a run of mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, L1_ORDER, ...). */
static void put_run(mm_paddr_t run)
{
	for (uint64_t off = 0; off < L1; off += PAGE)
		ck_assert_uint_eq(mm_sys_frame_put(sys, run + off), 0);
}

START_TEST(format_resize_round_trips)
{
	for (unsigned level = 1; level <= ARCH_LARGE_MAX_LEVEL; level++) {
		const mm_paddr_t pa = UINT64_C(1) << arch_level_shift(level);
		const unsigned prot = RW;
		arch_pte_t small = arch_pte_with_shared(arch_pte_leaf(pa, prot), true);
		arch_pte_t big = arch_pte_resize(small, level);
		ck_assert(arch_pte_is_present(big));
		ck_assert(arch_pte_is_leaf(big, level));
		ck_assert_uint_eq(arch_pte_paddr(big), pa);
		ck_assert_uint_eq(arch_pte_prot(big), arch_pte_prot(small));
		ck_assert(arch_pte_is_shared(big));
		ck_assert(arch_pte_resize(big, 0) == small);
		arch_pte_t moved = arch_pte_with_paddr(big, 2 * pa);
		ck_assert_uint_eq(arch_pte_paddr(moved), 2 * pa);
		ck_assert(arch_pte_is_leaf(moved, level));
		ck_assert(arch_pte_with_paddr(moved, pa) == big);
		/* A table entry at the same level is no leaf. */
		ck_assert(!arch_pte_is_leaf(arch_pte_table(pa, level, true), level));
	}
	ck_assert_int_eq(mm_sys_set_large_pages(sys, ARCH_LARGE_MAX_LEVEL + 1), -MM_EINVAL);
	ck_assert_uint_eq(sys->large_max, ARCH_LARGE_MAX_LEVEL);
}
END_TEST

START_TEST(map_phys_large_where_aligned)
{
	new_space();
	/* Two large pages and one 4 KiB page after them. */
	const uint64_t n = 2 * (L1 / PAGE) + 1;
	ck_assert_int_eq(mm_map_phys(&s, LVA, LPA, n, LARGE), 0);
	ck_assert_uint_eq(s.large_leaves, 2);
	ck_assert_uint_eq(s.user_pages, n);
	ck_assert_uint_eq(query_size(&s, LVA), L1);
	ck_assert_uint_eq(query_size(&s, LVA + L1 + 5 * PAGE), L1);
	ck_assert_uint_eq(query_pa(&s, LVA + L1 + 5 * PAGE + 7), LPA + L1 + 5 * PAGE + 7);
	ck_assert_uint_eq(query_size(&s, LVA + 2 * L1), PAGE);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&s, LVA + 3, &m), 0);
	ck_assert(m.shared && !m.managed && !m.cow);
	ck_assert_uint_eq(m.prot, arch_prot_effective(RW));
	assert_invariants(sim);

	/* The same range without the flag, or with large pages off, or
	 * misaligned physically: 4 KiB pages. */
	static struct mm_space t;
	ck_assert_int_eq(mm_space_create(sys, &t), 0);
	ck_assert_int_eq(mm_map_phys(&t, LVA, LPA, L1 / PAGE, RW), 0);
	ck_assert_uint_eq(query_size(&t, LVA), PAGE);
	ck_assert_int_eq(mm_map_phys(&t, LVA + L1, LPA + PAGE, L1 / PAGE, LARGE), 0);
	ck_assert_uint_eq(query_size(&t, LVA + L1), PAGE);
	ck_assert_int_eq(mm_sys_set_large_pages(sys, 0), 0);
	ck_assert_int_eq(mm_map_phys(&t, LVA + 2 * L1, LPA, L1 / PAGE, LARGE), 0);
	ck_assert_uint_eq(query_size(&t, LVA + 2 * L1), PAGE);
	ck_assert_uint_eq(t.large_leaves, 0);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&t), 0);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	assert_invariants(sim);
}
END_TEST

/* What mm_space_walk() says about the entry mapping LVA. */
static int find_lva(void *ctx, const struct mm_walk_entry *e)
{
	if (e->leaf && e->va == LVA)
		*(struct mm_walk_entry *)ctx = *e;
	return 0;
}

START_TEST(walk_reports_large_leaves)
{
	new_space();
	ck_assert_int_eq(mm_map_phys(&s, LVA, LPA, L1 / PAGE, LARGE), 0);
	struct mm_walk_entry w = { 0 };
	ck_assert_int_eq(mm_space_walk(&s, false, find_lva, &w), 0);
	ck_assert(w.leaf);
	ck_assert_uint_eq(w.level, 1);
	ck_assert_uint_eq(w.pa, LPA);
	ck_assert(w.shared);
	/* One table per level between the root and the leaf. */
	ck_assert_uint_eq(s.table_pages, ARCH_LEVELS - 1);
}
END_TEST

START_TEST(user_access_through_large_page)
{
	mm_paddr_t run; /* zeroed, kind KERNEL, one reference per frame */
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, L1_ORDER, true, &run), 0);
	uint8_t *bytes = sim_phys(sim, run, L1);
	ck_assert_ptr_nonnull(bytes);
	for (uint64_t off = 0; off < L1; off += PAGE)
		memcpy(bytes + off, &off, sizeof(off));
	new_space();
	ck_assert_int_eq(mm_map_phys(&s, LVA, run, L1 / PAGE, LARGE), 0);
	ck_assert_uint_eq(query_size(&s, LVA), L1);
	/* Each frame: the kernel's reference and the large page's. */
	for (uint64_t off = 0; off < L1; off += PAGE)
		ck_assert_uint_eq(mm_frame_get(&sys->frames, run + off)->ref_or_next, 2);
	mm_space_activate(&s);
	for (uint64_t off = 0; off < L1; off += 37 * PAGE) {
		uint64_t v;
		ck_assert_int_eq(uread64(sim, LVA + off, &v), 0);
		ck_assert_uint_eq(v, off);
	}
	ck_assert_int_eq(uwrite64(sim, LVA + 3 * PAGE + 8, 0x1234), 0);
	uint64_t v;
	memcpy(&v, bytes + 3 * PAGE + 8, sizeof(v));
	ck_assert_uint_eq(v, 0x1234);
	/* Read-only, whole: the TLB entries of every piece read above go. */
	ck_assert_int_eq(mm_protect(&s, LVA, L1 / PAGE, RO | MM_PROT_USER), 0);
	ck_assert_uint_eq(query_size(&s, LVA), L1);
	for (uint64_t off = 0; off < L1; off += 37 * PAGE) {
		struct sim_fault f;
		uint64_t x = 0;
		ck_assert_int_ne(sim_write(sim, LVA + off, &x, sizeof(x), SIM_USER, &f), 0);
		ck_assert(f.page_fault);
	}
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	assert_invariants(sim);
	/* Unmapped whole: one invalidation drops every piece. */
	const uint64_t inv = sim_stats(sim)->invlpg;
	ck_assert_int_eq(mm_unmap(&s, LVA, L1 / PAGE), 0);
	ck_assert_uint_eq(sim_stats(sim)->invlpg, inv + 1);
	for (uint64_t off = 0; off < L1; off += 37 * PAGE)
		ck_assert_int_ne(uread64(sim, LVA + off, &v), 0);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	for (uint64_t off = 0; off < L1; off += PAGE)
		ck_assert_uint_eq(mm_frame_get(&sys->frames, run + off)->ref_or_next, 1);
	kernel_active();
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	put_run(run);
	assert_invariants(sim);
}
END_TEST

START_TEST(one_tlb_entry_per_large_page)
{
	/* Every 4 KiB piece of a large page read: one TLB miss, since the
	 * TLB caches the large page whole; the same frames in 4 KiB pages:
	 * one miss per page. */
	mm_paddr_t run; /* zeroed, kind KERNEL, one reference per frame */
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, L1_ORDER, true, &run), 0);
	new_space();
	ck_assert_int_eq(mm_map_phys(&s, LVA, run, L1 / PAGE, LARGE), 0);
	ck_assert_int_eq(mm_map_phys(&s, LVA + L1, run, L1 / PAGE, RW), 0);
	mm_space_activate(&s);
	uint64_t v;
	for (unsigned k = 0; k < 2; k++) {
		const uint64_t before = sim_stats(sim)->tlb_misses;
		for (uint64_t off = 0; off < L1; off += PAGE)
			ck_assert_int_eq(uread64(sim, LVA + k * L1 + off, &v), 0);
		ck_assert_uint_eq(sim_stats(sim)->tlb_misses - before, k == 0 ? 1 : L1 / PAGE);
	}
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	put_run(run);
}
END_TEST

START_TEST(partial_unmap_splits)
{
	mm_paddr_t run; /* zeroed, kind KERNEL, one reference per frame */
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, L1_ORDER, true, &run), 0);
	new_space();
	ck_assert_int_eq(mm_map_phys(&s, LVA, run, L1 / PAGE, LARGE), 0);
	ck_assert_int_eq(mm_map_phys(&s, LVA + L1, LPA, L1 / PAGE, LARGE), 0);
	mm_space_activate(&s);
	uint64_t v;
	for (uint64_t off = 0; off < L1; off += 61 * PAGE)
		ck_assert_int_eq(uread64(sim, LVA + off, &v), 0); /* TLB entries of the pieces */
	const uint64_t tables = s.table_pages, used = s.user_pages;
	ck_assert_int_eq(mm_unmap(&s, LVA + 5 * PAGE, 1), 0);
	ck_assert_uint_eq(s.table_pages, tables + 1);
	ck_assert_uint_eq(s.user_pages, used - 1);
	ck_assert_uint_eq(s.large_leaves, 1);
	ck_assert_uint_eq(query_size(&s, LVA + 4 * PAGE), PAGE);
	ck_assert_uint_eq(query_pa(&s, LVA + 6 * PAGE), run + 6 * PAGE);
	ck_assert_uint_eq(query_size(&s, LVA + L1), L1);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&s, LVA + 5 * PAGE, &m), -MM_ENOENT);
	ck_assert_int_ne(uread64(sim, LVA + 5 * PAGE, &v), 0);
	for (uint64_t off = 0; off < L1; off += 61 * PAGE)
		if (off != 5 * PAGE)
			ck_assert_int_eq(uread64(sim, LVA + off, &v), 0);
	ck_assert_uint_eq(mm_frame_get(&sys->frames, run + 5 * PAGE)->ref_or_next, 1);
	ck_assert_uint_eq(mm_frame_get(&sys->frames, run + 6 * PAGE)->ref_or_next, 2);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	ck_assert_uint_eq(sim_stats(sim)->bbm, 0);
	assert_invariants(sim);
	/* A range over the whole second page unmaps it without a split. */
	ck_assert_int_eq(mm_unmap(&s, LVA + L1, L1 / PAGE), 0);
	ck_assert_uint_eq(s.large_leaves, 0);
	ck_assert_uint_eq(s.table_pages, tables + 1);
	assert_invariants(sim);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	put_run(run);
	assert_invariants(sim);
}
END_TEST

START_TEST(partial_protect_splits)
{
	new_space();
	ck_assert_int_eq(mm_map_phys(&s, LVA, LPA, 2 * L1 / PAGE, LARGE), 0);
	/* Across the boundary of the two large pages: both split. */
	const uint64_t tables = s.table_pages;
	ck_assert_int_eq(mm_protect(&s, LVA + L1 - 2 * PAGE, 4, RO), 0);
	ck_assert_uint_eq(s.table_pages, tables + 2);
	ck_assert_uint_eq(s.large_leaves, 0);
	struct mm_mapping m;
	for (int i = -3; i < 5; i++) {
		ck_assert_int_eq(mm_query(&s, LVA + L1 + (mm_vaddr_t)(i * (int64_t)PAGE), &m), 0);
		bool inside = i >= -2 && i < 2;
		ck_assert_uint_eq(m.prot, arch_prot_effective(inside ? RO : RW));
		ck_assert_uint_eq(m.pa, LPA + L1 + (mm_paddr_t)(i * (int64_t)PAGE));
		ck_assert_uint_eq(m.size, PAGE);
	}
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	assert_invariants(sim);
}
END_TEST

#if ARCH_LARGE_MAX_LEVEL >= 2
#define L2 (UINT64_C(1) << arch_level_shift(2))

START_TEST(gigapage_split_twice)
{
	new_space();
	ck_assert_int_eq(mm_map_phys(&s, LVA, LPA, L2 / PAGE, LARGE), 0);
	ck_assert_uint_eq(query_size(&s, LVA), L2);
	ck_assert_uint_eq(s.large_leaves, 1);
	const uint64_t tables = s.table_pages;
	/* One page in the middle: 1 GiB -> 512 x 2 MiB -> 512 x 4 KiB. */
	const mm_vaddr_t hole = LVA + 300 * L1 + 7 * PAGE;
	ck_assert_int_eq(mm_unmap(&s, hole, 1), 0);
	ck_assert_uint_eq(s.table_pages, tables + 2);
	ck_assert_uint_eq(s.large_leaves, ARCH_ENTRIES - 1);
	ck_assert_uint_eq(query_size(&s, LVA), L1);
	ck_assert_uint_eq(query_size(&s, hole + PAGE), PAGE);
	ck_assert_uint_eq(query_pa(&s, hole + PAGE), LPA + (hole + PAGE - LVA));
	ck_assert_uint_eq(s.user_pages, L2 / PAGE - 1);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	assert_invariants(sim);
}
END_TEST
#endif

/* The sweep's operations: split by an unmap of [va, va + n pages). */
struct op_ctx {
	mm_vaddr_t va;
	uint64_t n;
	mm_paddr_t pa;
};

static int op_unmap(void *ctx)
{
	struct op_ctx *o = ctx;
	return mm_unmap(&s, o->va, o->n);
}

static int op_protect(void *ctx)
{
	struct op_ctx *o = ctx;
	return mm_protect(&s, o->va, o->n, RO);
}

static int op_map_large(void *ctx)
{
	struct op_ctx *o = ctx;
	return mm_map_phys(&s, o->va, o->pa, o->n, LARGE);
}

static int op_unmap_again(void *ctx)
{
	struct op_ctx *o = ctx;
	return mm_unmap(&s, o->va, o->n);
}

START_TEST(sweep_split)
{
	new_space();
	mm_space_activate(&s);
	/* The largest page the format has, split at both ends of a small
	 * range inside it: the ends share their splits. */
	const uint64_t big = UINT64_C(1) << arch_level_shift(ARCH_LARGE_MAX_LEVEL);
	ck_assert_int_eq(mm_map_phys(&s, LVA, LPA, big / PAGE, LARGE), 0);
	struct op_ctx o = { .va = LVA + big / 2 + 3 * PAGE, .n = 2 };
	int f = sweep(op_unmap, NULL, &o);
	ck_assert_int_eq(f, (int)ARCH_LARGE_MAX_LEVEL); /* one table per level split */
	ck_assert_uint_eq(s.user_pages, big / PAGE - 2);
	/* Ends in two different large pages: one table each. */
	ck_assert_int_eq(mm_map_phys(&s, LVA + big, LPA, 2 * L1 / PAGE, LARGE), 0);
	o = (struct op_ctx){ .va = LVA + big + L1 - PAGE, .n = 3 };
	f = sweep(op_protect, NULL, &o);
	ck_assert_int_eq(f, 2);
	/* A map: the tables it links, all given back on each failure. */
	o = (struct op_ctx){ .va = LVA + big + 4 * L1, .pa = LPA, .n = L1 / PAGE + 1 };
	f = sweep(op_map_large, op_unmap_again, &o);
	ck_assert_int_ge(f, 1);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	assert_invariants(sim);
}
END_TEST

START_TEST(clone_shares_large_pages)
{
	mm_paddr_t run; /* zeroed, kind KERNEL, one reference per frame */
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, L1_ORDER, true, &run), 0);
	new_space();
	ck_assert_int_eq(mm_map_phys(&s, LVA, run, L1 / PAGE, LARGE), 0);
	static struct mm_space c, e;
	ck_assert_int_eq(mm_space_clone(&s, &c, MM_CLONE_COW), 0);
	ck_assert_int_eq(mm_space_clone(&s, &e, MM_CLONE_EAGER), 0);
	ck_assert_uint_eq(query_size(&c, LVA), L1);
	ck_assert_uint_eq(query_size(&e, LVA + 9 * PAGE), L1);
	ck_assert_uint_eq(query_pa(&e, LVA + 9 * PAGE), run + 9 * PAGE);
	ck_assert_uint_eq(c.large_leaves, 1);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&s, LVA, &m), 0);
	ck_assert(!m.cow && (m.prot & MM_PROT_WRITE)); /* shared: never COW */
	for (uint64_t off = 0; off < L1; off += PAGE)
		ck_assert_uint_eq(mm_frame_get(&sys->frames, run + off)->ref_or_next, 4);
	assert_invariants(sim);
	/* A write through the child reaches the parent's bytes. */
	mm_space_activate(&c);
	ck_assert_int_eq(uwrite64(sim, LVA + 2 * PAGE, 77), 0);
	mm_space_activate(&s);
	uint64_t v;
	ck_assert_int_eq(uread64(sim, LVA + 2 * PAGE, &v), 0);
	ck_assert_uint_eq(v, 77);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&c), 0);
	ck_assert_int_eq(mm_space_destroy(&e), 0);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	for (uint64_t off = 0; off < L1; off += PAGE)
		ck_assert_uint_eq(mm_frame_get(&sys->frames, run + off)->ref_or_next, 1);
	put_run(run);
	assert_invariants(sim);
}
END_TEST

/* Kernel addresses free in the simulator, aligned to every page size. */
#if ARCH_LARGE_MAX_LEVEL >= 2
#define KVA (ARCH_DIRECT_MAP_BASE + (UINT64_C(1) << arch_level_shift(2)))
#else
#define KVA (ARCH_DIRECT_MAP_BASE + UINT64_C(0x20000000))
#endif
#define KRW (MM_PROT_READ | MM_PROT_WRITE)

START_TEST(kernel_map_large)
{
	const struct mm_space *k = mm_sys_kernel_space(sys);
	const uint64_t tables = sys->kernel_tables, large = k->large_leaves;
	ck_assert_int_eq(mm_kernel_map(sys, KVA, LPA, 2 * L1 / PAGE, KRW | MM_PROT_LARGE), 0);
	ck_assert_uint_eq(query_size(k, KVA), L1);
	ck_assert_uint_eq(query_pa(k, KVA + L1 + 3), LPA + L1 + 3);
	ck_assert_uint_eq(k->large_leaves, large + 2);
	assert_invariants(sim);
	if (1 == ARCH_LEVELS - 1) {
		/* A root entry (i386 4 MiB): permanent, and made only while no
		 * user space exists. */
		ck_assert_uint_eq(sys->kernel_tables, tables - 2);
		ck_assert_int_eq(mm_kernel_unmap(sys, KVA, 1), -MM_EBUSY);
		new_space();
		ck_assert_int_eq(
		        mm_kernel_map(sys, KVA + 2 * L1, LPA, L1 / PAGE, KRW | MM_PROT_LARGE), 0);
		ck_assert_uint_eq(query_size(&s, KVA + 2 * L1), PAGE);
		ck_assert_uint_eq(query_size(&s, KVA), L1); /* seen from the new space */
		assert_invariants(sim);
		return;
	}
	/* A page out of the middle of the first: split, in the kernel half. */
	ck_assert_int_eq(mm_kernel_unmap(sys, KVA + PAGE, 1), 0);
	ck_assert_uint_eq(query_size(k, KVA), PAGE);
	ck_assert_uint_eq(query_size(k, KVA + L1), L1);
	ck_assert_uint_eq(k->large_leaves, large + 1);
	assert_invariants(sim);
	ck_assert_int_eq(mm_kernel_unmap(sys, KVA, 1), 0);
	ck_assert_int_eq(mm_kernel_unmap(sys, KVA + 2 * PAGE, 2 * L1 / PAGE - 2), 0);
	ck_assert_uint_eq(k->large_leaves, large);
	ck_assert_uint_eq(sys->kernel_tables, tables);
	assert_invariants(sim);
}
END_TEST

START_TEST(region_layer_demotes)
{
	new_space();
	ck_assert_int_eq(mm_map_phys(&s, LVA, LPA, 2 * L1 / PAGE, LARGE), 0);
	const struct mm_region r = { .start = LVA,
		                     .end = LVA + 2 * L1,
		                     .prot = RW & ~(unsigned)MM_PROT_USER,
		                     .kind = MM_REGION_SHARED,
		                     .backing = MM_BACKING_SHARED };
	ck_assert_int_eq(mm_region_add(&s, &r), 0);
	assert_invariants(sim);
	/* munmap of one page in the second large page: it (and only it)
	 * becomes 4 KiB pages. */
	ck_assert_int_eq(mm_munmap(&s, LVA + L1 + PAGE, 1), 0);
	ck_assert_uint_eq(s.large_leaves, 1);
	ck_assert_uint_eq(query_size(&s, LVA + L1), PAGE);
	ck_assert_uint_eq(query_size(&s, LVA), L1);
	assert_invariants(sim);
	/* A fault in the first: a write to a read-only shared page is refused,
	 * and the page is 4 KiB now. */
	ck_assert_int_eq(mm_mprotect(&s, LVA, 1, MM_PROT_READ), 0);
	ck_assert_uint_eq(s.large_leaves, 0);
	ck_assert_int_eq(mm_fault(&s, LVA, MM_ACCESS_WRITE, NULL), MM_FAULT_ACCESS);
	ck_assert_int_eq(mm_fault(&s, LVA + PAGE, MM_ACCESS_WRITE, NULL), MM_FAULT_RESOLVED);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	assert_invariants(sim);
}
END_TEST

START_TEST(root_level_kernel_pages_never_drift)
{
	/* A root-level kernel large page (i386 4 MiB, Sv39 1 GiB) is copied
	 * into every root: the MMU must never set A or D in one copy, so
	 * mm-core writes it with both set. Touch the direct map through a
	 * user space's root; sim_check() compares every kernel half. */
	new_space();
	mm_space_activate(&s);
	/* A frame in use (free ones are poisoned) that a large page maps. */
	const struct mm_space *k = mm_sys_kernel_space(sys);
	const uint32_t total = mm_frames_total(&sys->frames);
	mm_paddr_t *got = calloc(total, sizeof(*got));
	ck_assert_ptr_nonnull(got);
	uint32_t n = 0;
	do
		ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &got[n++]), 0);
	while (query_size(k, ARCH_DIRECT_MAP_BASE + got[n - 1]) != L1);
	const mm_vaddr_t va = ARCH_DIRECT_MAP_BASE + got[n - 1];
	uint64_t v = 0;
	ck_assert_int_eq(sim_read(sim, va, &v, sizeof(v), 0, NULL), 0);
	ck_assert_int_eq(sim_write(sim, va, &v, sizeof(v), 0, NULL), 0);
	assert_invariants(sim);
	kernel_active();
	while (n)
		mm_sys_frame_put(sys, got[--n]);
	free(got);
}
END_TEST

START_TEST(direct_map_uses_large_pages)
{
	/* The simulator maps its RAM with large pages where aligned: a direct
	 * map address at an aligned offset is in one. */
	const struct mm_space *k = mm_sys_kernel_space(sys);
	const mm_paddr_t pa = (sim_config_default().phys_base + L1 - 1) & ~(L1 - 1);
	ck_assert_uint_eq(query_size(k, ARCH_DIRECT_MAP_BASE + pa), L1);
	ck_assert_uint_eq(query_pa(k, ARCH_DIRECT_MAP_BASE + pa + 5), pa + 5);
	ck_assert_uint_gt(k->large_leaves, 0);
}
END_TEST

/* ---- transparent huge pages ------------------------------------------------ */

static void thp_machine(void)
{
	sim_destroy(sim);
	struct sim_config cfg = sim_config_default();
	cfg.quiet = true;
	cfg.thp = true;
	ck_assert_int_eq(sim_create(&cfg, &sim), 0);
	sys = sim_sys(sim);
}

#define URW_REGION (MM_PROT_READ | MM_PROT_WRITE)

static void mmap_fixed(mm_vaddr_t va, uint64_t pages)
{
	mm_vaddr_t out;
	ck_assert_int_eq(mm_mmap(&s, va, pages, URW_REGION, MM_MAP_FIXED, &out), 0);
	ck_assert_uint_eq(out, va);
}

START_TEST(thp_fault_maps_a_large_page)
{
	thp_machine();
	const uint32_t free0 = free_frames(sim);
	new_space();
	mmap_fixed(LVA, 2 * L1 / PAGE);
	mm_space_activate(&s);
	ck_assert_int_eq(dwrite(LVA + 5 * PAGE, 7), 0);
	ck_assert_uint_eq(query_size(&s, LVA), L1);
	ck_assert_uint_eq(s.large_leaves, 1);
	ck_assert_uint_eq(s.user_pages, L1 / PAGE);
	ck_assert_uint_eq(dread(LVA + 100 * PAGE), 0); /* zeroed */
	ck_assert_uint_eq(dread(LVA + 5 * PAGE), 7);
	/* A spurious fault in it keeps it whole. */
	enum mm_fault_how how;
	ck_assert_int_eq(mm_fault(&s, LVA + 9 * PAGE, MM_ACCESS_WRITE, &how), MM_FAULT_RESOLVED);
	ck_assert_int_eq(how, MM_FAULT_SPURIOUS);
	ck_assert_uint_eq(s.large_leaves, 1);
	ck_assert_int_eq(mm_populate(&s, LVA, L1 / PAGE, MM_ACCESS_WRITE), 0);
	ck_assert_uint_eq(s.large_leaves, 1);
	assert_invariants(sim);

	/* A COW fork shares it whole; a write copies one 4 KiB page. */
	static struct mm_space c, e;
	ck_assert_int_eq(mm_space_clone(&s, &c, MM_CLONE_COW), 0);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&c, LVA, &m), 0);
	ck_assert(m.cow && m.size == L1 && m.refs == 2);
	ck_assert_int_eq(mm_query(&s, LVA, &m), 0);
	ck_assert(m.cow && !(m.prot & MM_PROT_WRITE));
	assert_invariants(sim);
	const uint32_t before = free_frames(sim);
	ck_assert_int_eq(dwrite(LVA + 5 * PAGE, 8), 0);
	ck_assert_uint_eq(query_size(&s, LVA), PAGE);
	ck_assert_uint_eq(before - free_frames(sim), 2); /* a leaf table, one copy */
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(LVA + 5 * PAGE), 7);
	ck_assert_uint_eq(query_size(&c, LVA), L1);
	mm_space_activate(&s);
	ck_assert_uint_eq(dread(LVA + 5 * PAGE), 8);
	assert_invariants(sim);

	/* An eager clone of the child: 4 KiB copies. */
	ck_assert_int_eq(mm_space_clone(&c, &e, MM_CLONE_EAGER), 0);
	ck_assert_uint_eq(query_size(&e, LVA), PAGE);
	ck_assert_uint_eq(e.user_pages, L1 / PAGE);
	mm_space_activate(&e);
	ck_assert_uint_eq(dread(LVA + 5 * PAGE), 7);
	assert_invariants(sim);

	/* munmap of part of the child's: demoted, the rest kept. */
	ck_assert_int_eq(mm_munmap(&c, LVA + PAGE, 1), 0);
	ck_assert_uint_eq(c.large_leaves, 0);
	ck_assert_uint_eq(c.user_pages, L1 / PAGE - 1);
	assert_invariants(sim);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&e), 0);
	ck_assert_int_eq(mm_space_destroy(&c), 0);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	ck_assert_uint_eq(free_frames(sim), free0);
	assert_invariants(sim);
}
END_TEST

START_TEST(thp_falls_back_to_4k_pages)
{
	thp_machine();
	new_space();
	/* The region does not cover the aligned page around the address. */
	mmap_fixed(LVA + PAGE, L1 / PAGE);
	mm_space_activate(&s);
	ck_assert_int_eq(dwrite(LVA + 2 * PAGE, 1), 0);
	ck_assert_uint_eq(query_size(&s, LVA + 2 * PAGE), PAGE);
	/* It covers it, but a page of it is mapped already. */
	mmap_fixed(LVA + 2 * L1, L1 / PAGE);
	mm_sys_set_thp(sys, false);
	ck_assert_int_eq(mm_populate(&s, LVA + 2 * L1 + 3 * PAGE, 1, MM_ACCESS_WRITE), 0);
	mm_sys_set_thp(sys, true);
	ck_assert_int_eq(dwrite(LVA + 2 * L1 + 4 * PAGE, 1), 0);
	ck_assert_uint_eq(query_size(&s, LVA + 2 * L1 + 4 * PAGE), PAGE);
	/* No contiguous run free: every other frame taken. */
	const uint32_t total = free_frames(sim);
	mm_paddr_t *got = calloc(total, sizeof(*got));
	ck_assert_ptr_nonnull(got);
	uint32_t n = 0;
	while (mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, false, &got[n]) == 0)
		n++;
	for (uint32_t i = 0; i < n; i += 2)
		mm_sys_frame_put(sys, got[i]);
	mmap_fixed(LVA + 4 * L1, L1 / PAGE);
	ck_assert_int_eq(dwrite(LVA + 4 * L1, 5), 0);
	ck_assert_uint_eq(query_size(&s, LVA + 4 * L1), PAGE);
	assert_invariants(sim);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	for (uint32_t i = 1; i < n; i += 2)
		mm_sys_frame_put(sys, got[i]);
	free(got);
	/* Off: 4 KiB pages. */
	mm_sys_set_thp(sys, false);
	new_space();
	mmap_fixed(LVA, L1 / PAGE);
	mm_space_activate(&s);
	ck_assert_int_eq(dwrite(LVA, 1), 0);
	ck_assert_uint_eq(query_size(&s, LVA), PAGE);
	kernel_active();
	assert_invariants(sim);
}
END_TEST

static int op_populate(void *ctx)
{
	struct op_ctx *o = ctx;
	return mm_populate(&s, o->va, o->n, MM_ACCESS_WRITE);
}

START_TEST(thp_sweep)
{
	thp_machine();
	new_space();
	mmap_fixed(LVA, L1 / PAGE);
	struct op_ctx o = { .va = LVA + 9 * PAGE, .n = 1 };
	int f = sweep(op_populate, NULL, &o);
	ck_assert_int_ge(f, 1);
	ck_assert_uint_eq(query_size(&s, LVA), L1);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	assert_invariants(sim);
}
END_TEST

/*
 * The region layer demotes a large page before an operation that touches
 * part of it, and the operation may still run out of frames afterwards (a
 * shared mapping's frames, a move's tables, a COW copy). Each must then
 * leave everything as it was, the large page included: the sweep fails
 * every allocation in turn and compares the whole machine.
 */
static int op_shared_fixed(void *ctx)
{
	struct op_ctx *o = ctx;
	mm_vaddr_t out;
	return mm_mmap(&s, o->va, o->n, URW_REGION, MM_MAP_FIXED | MM_MAP_SHARED, &out);
}

static int op_mremap_move(void *ctx)
{
	struct op_ctx *o = ctx;
	mm_vaddr_t out;
	/* Grow a region that cannot grow in place: it moves, page by page. */
	return mm_mremap(&s, o->va, o->n, o->n + 1, MM_MREMAP_MAYMOVE, &out);
}

static int op_cow_write(void *ctx)
{
	struct op_ctx *o = ctx;
	enum mm_fault_how how;
	enum mm_fault_verdict v = mm_fault(&s, o->va, MM_ACCESS_WRITE, &how);
	return v == MM_FAULT_RESOLVED ? 0 : v == MM_FAULT_OOM ? -MM_ENOMEM : -MM_EINVAL;
}

START_TEST(thp_demotion_is_all_or_nothing)
{
	thp_machine();
	new_space();
	/* Two large pages, the second followed by a one-page region so that
	 * mremap must move them. */
	mmap_fixed(LVA, 2 * L1 / PAGE);
	mmap_fixed(LVA + 2 * L1, 1);
	ck_assert_int_eq(mm_populate(&s, LVA, 2 * L1 / PAGE, MM_ACCESS_WRITE), 0);
	ck_assert_uint_eq(s.large_leaves, 2);
	struct op_ctx o = { .va = LVA + 3 * PAGE, .n = 2 };
	ck_assert_int_ge(sweep(op_shared_fixed, NULL, &o), 1);
	ck_assert_uint_eq(s.large_leaves, 1);

	/* mremap: the second large page moves (demoted, then moved). */
	o = (struct op_ctx){ .va = LVA + L1, .n = L1 / PAGE };
	ck_assert_int_ge(sweep(op_mremap_move, NULL, &o), 1);
	ck_assert_uint_eq(s.large_leaves, 0);

	/* A COW write into a large page shared with a child. */
	ck_assert_int_eq(mm_munmap(&s, LVA, 2 * L1 / PAGE), 0);
	mmap_fixed(LVA, L1 / PAGE);
	ck_assert_int_eq(mm_populate(&s, LVA, L1 / PAGE, MM_ACCESS_WRITE), 0);
	ck_assert_uint_eq(s.large_leaves, 1);
	static struct mm_space c;
	ck_assert_int_eq(mm_space_clone(&s, &c, MM_CLONE_COW), 0);
	o = (struct op_ctx){ .va = LVA + 7 * PAGE, .n = 1 };
	ck_assert_int_ge(sweep(op_cow_write, NULL, &o), 1);
	ck_assert_uint_eq(s.large_leaves, 0);
	ck_assert_uint_eq(c.large_leaves, 1);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&c), 0);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	assert_invariants(sim);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("large-" ARCH_NAME);
	TCase *tc = tcase_create("large");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, format_resize_round_trips);
	tcase_add_test(tc, map_phys_large_where_aligned);
	tcase_add_test(tc, walk_reports_large_leaves);
	tcase_add_test(tc, user_access_through_large_page);
	tcase_add_test(tc, one_tlb_entry_per_large_page);
	tcase_add_test(tc, partial_unmap_splits);
	tcase_add_test(tc, partial_protect_splits);
#if ARCH_LARGE_MAX_LEVEL >= 2
	tcase_add_test(tc, gigapage_split_twice);
#endif
	tcase_add_test(tc, sweep_split);
	tcase_add_test(tc, clone_shares_large_pages);
	tcase_add_test(tc, kernel_map_large);
	tcase_add_test(tc, region_layer_demotes);
	tcase_add_test(tc, root_level_kernel_pages_never_drift);
	tcase_add_test(tc, direct_map_uses_large_pages);
	tcase_add_test(tc, thp_fault_maps_a_large_page);
	tcase_add_test(tc, thp_falls_back_to_4k_pages);
	tcase_add_test(tc, thp_sweep);
	tcase_add_test(tc, thp_demotion_is_all_or_nothing);
	suite_add_tcase(su, tc);
	return run_suite(su);
}
