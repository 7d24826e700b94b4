/*
 * The region set without a fixed cap (issue 10): 100,000 regions, the tree
 * against a brute-force model over random operations (lookup, order and
 * the free-range search that its subtree summaries speed up), and the
 * allocation-failure sweep of every operation that may need a frame of
 * region nodes.
 */
#include "helpers.h"

static void mmap_fixed(struct mm_space *s, mm_vaddr_t va, uint64_t n, unsigned prot)
{
	mm_vaddr_t got = 0;
	ck_assert_int_eq(mm_mmap(s, va, n, prot, MM_MAP_FIXED_NOREPLACE, &got), 0);
	ck_assert_uint_eq(got, va);
}

#define BASE UINT64_C(0x10000000)

#define MANY 100000u

START_TEST(hundred_thousand_regions)
{
	static struct mm_space s;
	big_machine(64u << 20); /* 100,000 regions' nodes: 12 MiB */
	uint32_t free0 = free_frames(sim);
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	/* One page each, a hole after each: nothing merges. */
	for (unsigned k = 0; k < MANY; k++) {
		mm_vaddr_t got = 0;
		if (mm_mmap(&s, BASE + (mm_vaddr_t)k * 2 * PAGE, 1, (k % 3) ? RO : RW,
		            MM_MAP_FIXED_NOREPLACE, &got) != 0)
			ck_abort_msg("mmap of region %u failed", k);
	}
	ck_assert_uint_eq(mm_region_count(&s), MANY);
	/* Every region is found by each of its addresses, and none in a hole
	 * (checked in plain C, asserted once: Check records every assertion). */
	uint64_t i = 0, wrong = 0;
	for (const struct mm_region *r = mm_region_first(&s); r; r = mm_region_next(&s, r), i++)
		wrong += r->start != BASE + i * 2 * PAGE || mm_region_find(&s, r->start) != r ||
		         mm_region_find(&s, r->end - 1) != r || mm_region_find(&s, r->end) != NULL;
	ck_assert_uint_eq(wrong, 0);
	ck_assert_uint_eq(i, MANY);
	/* The nodes live in frames of their own kind, and only there. */
	ck_assert_uint_gt(s.region_pages, 0);
	ck_assert_uint_eq(mm_frames_in_use(&sys->frames, MM_FRAME_REGION), s.region_pages);
	ck_assert_uint_ge(s.region_pages * PAGE, (uint64_t)MANY * sizeof(struct mm_region));
	assert_invariants(sim);
	/* Regions k, k+1 and k+2 (k a multiple of 4) made alike, and their two
	 * holes filled: three merge into one. */
	for (unsigned k = 0; k + 2 < MANY; k += 4) {
		mm_vaddr_t a = BASE + (mm_vaddr_t)k * 2 * PAGE, got;
		wrong += mm_mprotect(&s, a, 5, RO) != -MM_ENOENT; /* holes */
		wrong += mm_mprotect(&s, a, 1, RO) != 0;
		wrong += mm_mprotect(&s, a + 2 * PAGE, 1, RO) != 0;
		wrong += mm_mprotect(&s, a + 4 * PAGE, 1, RO) != 0;
		wrong += mm_mmap(&s, a + PAGE, 1, RO, MM_MAP_FIXED_NOREPLACE, &got) != 0;
		wrong += mm_mmap(&s, a + 3 * PAGE, 1, RO, MM_MAP_FIXED_NOREPLACE, &got) != 0;
		wrong += mm_region_find(&s, a)->end != a + 5 * PAGE;
	}
	ck_assert_uint_eq(wrong, 0);
	ck_assert_uint_eq(mm_region_count(&s), MANY - 2 * (MANY / 4));
	/* Every other region goes. */
	uint64_t before = mm_region_count(&s), gone = 0;
	for (mm_vaddr_t va = BASE; va < BASE + (mm_vaddr_t)MANY * 2 * PAGE; va += 16 * PAGE) {
		const struct mm_region *r = mm_region_find(&s, va);
		wrong += !r || mm_munmap(&s, r->start, (r->end - r->start) / PAGE) != 0;
		gone++;
	}
	ck_assert_uint_eq(wrong, 0);
	ck_assert_uint_eq(mm_region_count(&s), before - gone);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	ck_assert_uint_eq(free_frames(sim), free0); /* every node frame came back */
	ck_assert_uint_eq(mm_frames_in_use(&sys->frames, MM_FRAME_REGION), 0);
}
END_TEST

/* ---- the tree against brute force --------------------------------------------- */

static mm_vaddr_t reach_of(const struct mm_region *r)
{
	return (r->flags & MM_REGION_GROWS_DOWN) ? r->limit - PAGE : r->start;
}

/* Where mmap without a hint must put @len bytes, by brute force over the
 * regions in address order: the highest gap below every stack's reach,
 * never page 0. */
static mm_vaddr_t expected_gap(const struct mm_space *s, uint64_t len)
{
	mm_vaddr_t top = ARCH_USER_END;
	for (const struct mm_region *r = mm_region_first(s); r; r = mm_region_next(s, r))
		if ((r->flags & MM_REGION_GROWS_DOWN) && reach_of(r) < top)
			top = reach_of(r);
	mm_vaddr_t best = 0, prev_end = PAGE;
	for (const struct mm_region *r = mm_region_first(s); r; r = mm_region_next(s, r)) {
		if (reach_of(r) > top)
			break;
		if (reach_of(r) >= prev_end + len)
			best = reach_of(r) - len;
		prev_end = r->end;
	}
	if (top == ARCH_USER_END && ARCH_USER_END >= prev_end + len)
		best = ARCH_USER_END - len;
	return best;
}

/* A model of the window: 0 for a page in no region, else 0x80 | the
 * region's READ, WRITE and EXEC, to check lookups and iteration against. */
#define WPAGES 512u
static uint8_t model[WPAGES];

static void check_against_model(const struct mm_space *s, mm_vaddr_t w)
{
	/* Compared in plain C, asserted once: Check records every assertion. */
	int bad = -1;
	unsigned got = 0;
	for (unsigned p = 0; p < WPAGES && bad < 0; p++) {
		const struct mm_region *r = mm_region_find(s, w + (mm_vaddr_t)p * PAGE);
		got = r ? 0x80u | (r->prot & (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC)) : 0;
		if (got != model[p])
			bad = (int)p;
	}
	ck_assert_msg(bad < 0, "page %d: region says %#x, the model %#x", bad, got,
	              bad < 0 ? 0 : model[bad]);
	/* Iteration: sorted, disjoint, and the count agrees. */
	uint64_t n = 0;
	mm_vaddr_t last_end = 0;
	bool sorted = true;
	for (const struct mm_region *r = mm_region_first(s); r; r = mm_region_next(s, r), n++) {
		sorted = sorted && r->start >= last_end;
		last_end = r->end;
	}
	ck_assert(sorted);
	ck_assert_uint_eq(n, mm_region_count(s));
}

START_TEST(random_operations_against_brute_force)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	/* A stack near the top bounds the search; the window lies below it. */
	const mm_vaddr_t stack_end = ARCH_USER_END - 64 * PAGE;
	const mm_vaddr_t w = stack_end - 64 * PAGE - WPAGES * PAGE - 16 * PAGE;
	struct mm_region st = { .start = stack_end - 4 * PAGE,
		                .end = stack_end,
		                .limit = stack_end - 32 * PAGE,
		                .prot = RW,
		                .kind = MM_REGION_STACK,
		                .backing = MM_BACKING_ANON,
		                .flags = MM_REGION_GROWS_DOWN };
	ck_assert_int_eq(mm_region_add(&s, &st), 0);
	mmap_fixed(&s, stack_end + 8 * PAGE, 2, RO); /* above the stack: never chosen */
	memset(model, 0, sizeof(model));
	const unsigned prots[3] = { MM_PROT_READ, MM_PROT_READ | MM_PROT_WRITE, 0 };
	uint64_t seed = 0x5eed;
	for (unsigned step = 0; step < 3000; step++) {
		uint64_t x = rnd(&seed);
		unsigned p = (unsigned)(x % WPAGES), n = 1 + (unsigned)((x >> 16) % 8);
		if (p + n > WPAGES)
			n = WPAGES - p;
		unsigned prot = prots[(x >> 24) % 3];
		mm_vaddr_t va = w + (mm_vaddr_t)p * PAGE, got;
		switch ((x >> 32) % 4) {
		case 0: /* replacing mmap */
			ck_assert_int_eq(mm_mmap(&s, va, n, prot, MM_MAP_FIXED, &got), 0);
			for (unsigned q = p; q < p + n; q++)
				model[q] = (uint8_t)(0x80 | prot);
			break;
		case 1:
			ck_assert_int_eq(mm_munmap(&s, va, n), 0);
			memset(model + p, 0, n);
			break;
		case 2: {
			bool covered = true;
			for (unsigned q = p; q < p + n; q++)
				covered = covered && model[q];
			int rc = mm_mprotect(&s, va, n, prot);
			ck_assert_int_eq(rc, covered ? 0 : -MM_ENOENT);
			if (covered)
				for (unsigned q = p; q < p + n; q++)
					model[q] = (uint8_t)(0x80 | prot);
			break;
		}
		default: { /* the free-range search: where must it land? */
			uint64_t len = (uint64_t)n * PAGE;
			mm_vaddr_t want = expected_gap(&s, len);
			ck_assert_int_eq(mm_mmap(&s, 0, n, RO, 0, &got), 0);
			ck_assert_uint_eq(got, want);
			if (got >= w && got < w + WPAGES * PAGE)
				for (unsigned q = 0; q < n; q++)
					model[(got - w) / PAGE + q] = 0x80 | MM_PROT_READ;
			else
				ck_assert_int_eq(mm_munmap(&s, got, n), 0); /* below the window */
			break;
		}
		}
		check_against_model(&s, w);
		if (step % 100 == 0)
			assert_invariants(sim);
	}
	assert_invariants(sim);
}
END_TEST

/* ---- running out of frames ------------------------------------------------------ */

struct rop {
	struct mm_space *s, *c;
	int kind;
	mm_vaddr_t va;
};

enum { R_MMAP, R_MMAP_SHARED, R_SPLIT, R_PUNCH, R_ADD, R_MREMAP, R_MREMAP_MOVE, R_CLONE };

static int run_rop(void *ctx)
{
	struct rop *o = ctx;
	mm_vaddr_t got;
	switch (o->kind) {
	case R_MMAP: return mm_mmap(o->s, o->va, 1, RO, MM_MAP_FIXED_NOREPLACE, &got);
	case R_MMAP_SHARED:
		return mm_mmap(o->s, o->va, 3, RW, MM_MAP_FIXED_NOREPLACE | MM_MAP_SHARED, &got);
	case R_SPLIT: return mm_mprotect(o->s, o->va + PAGE, 1, RW); /* two splits */
	case R_PUNCH: return mm_munmap(o->s, o->va + PAGE, 1);
	case R_ADD: {
		struct mm_region r = { .start = o->va,
			               .end = o->va + PAGE,
			               .prot = RO,
			               .kind = MM_REGION_MMAP,
			               .backing = MM_BACKING_ANON };
		return mm_region_add(o->s, &r);
	}
	case R_MREMAP: return mm_mremap(o->s, o->va, 3, 6, 0, &got);
	case R_MREMAP_MOVE: return mm_mremap(o->s, o->va + PAGE, 1, 4, MM_MREMAP_MAYMOVE, &got);
	default: return mm_space_clone(o->s, o->c, MM_CLONE_COW);
	}
}

/* Use up the free region nodes of @s, so that the next node needs a frame. */
static void exhaust_nodes(struct mm_space *s, mm_vaddr_t *next)
{
	while (s->region_free > 0) {
		mmap_fixed(s, *next, 1, (*next / PAGE) % 3 ? RO : RW);
		*next += 2 * PAGE;
	}
}

/* Every operation that may need a frame of region nodes fails whole
 * (ENOMEM, nothing changed) when any of its allocations fails, and then
 * succeeds: the sweep fails each allocation in turn. */
START_TEST(sweep_every_region_operation)
{
	static struct mm_space s, c;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t next = BASE;
	const mm_vaddr_t far = UINT64_C(0x30000000);
	/* A three-page region to split, punch and grow, with pages in it. */
	mmap_fixed(&s, far, 3, RW);
	ck_assert_int_eq(mm_populate(&s, far, 3, MM_ACCESS_WRITE), 0);
	const int kinds[] = { R_MMAP, R_MMAP_SHARED, R_SPLIT, R_PUNCH, R_ADD, R_MREMAP };
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct rop o = { &s, NULL, kinds[k], far };
		if (kinds[k] == R_MMAP || kinds[k] == R_MMAP_SHARED || kinds[k] == R_ADD)
			o.va = UINT64_C(0x38000000) + (uint64_t)k * 16 * PAGE;
		exhaust_nodes(&s, &next);
		int failures = sweep(run_rop, NULL, &o);
		ck_assert_msg(failures >= 1, "operation %d never needed a frame", kinds[k]);
		/* Put the three-page region back for the next one. */
		if (kinds[k] == R_SPLIT)
			ck_assert_int_eq(mm_mprotect(&s, far, 3, RW), 0);
		if (kinds[k] == R_PUNCH)
			mmap_fixed(&s, far + PAGE, 1, RW);
	}
	/* mremap that moves: the old range's split and the moved region. */
	ck_assert_int_eq(mm_munmap(&s, far + 3 * PAGE, 3), 0);
	exhaust_nodes(&s, &next);
	struct rop mv = { &s, NULL, R_MREMAP_MOVE, far };
	ck_assert_int_ge(sweep(run_rop, NULL, &mv), 1);
	/* A clone takes a node per region: several frames of them. */
	struct rop cl = { &s, &c, R_CLONE, 0 };
	int failures = sweep(run_rop, NULL, &cl);
	ck_assert_int_ge(failures, 2);
	ck_assert(space_regions_eq(&s, &c));
	ck_assert_uint_ge(c.region_pages * PAGE, mm_region_count(&c) * sizeof(struct mm_region));
	assert_invariants(sim);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regions-" ARCH_NAME);
	/* One case per test, so that CK_RUN_CASE=many (random, sweep) runs one. */
	const struct {
		const char *name;
		const TTest *test;
	} cases[] = { { "many", hundred_thousand_regions },
		      { "random", random_operations_against_brute_force },
		      { "sweep", sweep_every_region_operation } };
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 300);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return run_suite(s);
}
