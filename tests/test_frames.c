/*
 * The frame allocator: ranges, the buddy system's single frames and aligned
 * runs (merging back, fragmentation, unaligned bases, holes), reference
 * counts, kinds, fault injection, a randomized run against a model, and
 * the cache of free single frames in front of the buddy lists.
 */
#include "helpers.h"

#include <mm/frame.h>

static struct mm_frame meta[4096];

START_TEST(init_rejects_bad_ranges)
{
	struct mm_frames fa;
	struct mm_phys_range zero[] = { { 0, 4 } };
	struct mm_phys_range unaligned[] = { { PAGE + 8, 4 } };
	struct mm_phys_range empty[] = { { PAGE, 0 } };
	struct mm_phys_range overlap[] = { { 16 * PAGE, 8 }, { 20 * PAGE, 8 } };
	ck_assert_int_eq(mm_frames_init(&fa, zero, 1, meta, sizeof(meta)), -MM_EINVAL);
	ck_assert_int_eq(mm_frames_init(&fa, unaligned, 1, meta, sizeof(meta)), -MM_EINVAL);
	ck_assert_int_eq(mm_frames_init(&fa, empty, 1, meta, sizeof(meta)), -MM_EINVAL);
	ck_assert_int_eq(mm_frames_init(&fa, overlap, 2, meta, sizeof(meta)), -MM_EINVAL);
	ck_assert_int_eq(mm_frames_init(&fa, overlap, 0, meta, sizeof(meta)), -MM_EINVAL);
	struct mm_phys_range ok[] = { { PAGE, 8 } };
	ck_assert_int_eq(mm_frames_init(&fa, ok, 1, meta, 7 * sizeof(struct mm_frame)), -MM_EINVAL);
	ck_assert_int_eq(mm_frames_init(&fa, ok, MM_FRAMES_MAX_RANGES + 1, meta, sizeof(meta)),
	                 -MM_ENOTSUP);
}
END_TEST

START_TEST(metadata_is_8_bytes_per_frame)
{
	ck_assert_uint_eq(sizeof(struct mm_frame), 8);
	struct mm_phys_range r[] = { { PAGE, 100 }, { 1000 * PAGE, 28 } };
	ck_assert_uint_eq(mm_frames_meta_bytes(r, 2), (size_t)128 * 8);
}
END_TEST

START_TEST(multi_range_alloc_all_then_free_all)
{
	/* Three ranges given out of order, with holes between them. */
	struct mm_phys_range r[] = { { 900 * PAGE, 5 }, { 16 * PAGE, 3 }, { 300 * PAGE, 7 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 3, meta, sizeof(meta)), 0);
	ck_assert_uint_eq(mm_frames_total(&fa), 15);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 15);
	mm_paddr_t got[15];
	for (int i = 0; i < 15; i++) {
		ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]), 0);
		/* Lowest address first, each inside a range, none twice. */
		if (i)
			ck_assert_uint_gt(got[i], got[i - 1]);
		ck_assert_ptr_nonnull(mm_frame_get(&fa, got[i]));
		ck_assert_uint_eq(mm_frames_paddr(&fa, mm_frames_index(&fa, got[i])), got[i]);
	}
	ck_assert_uint_eq(got[0], 16 * PAGE);
	ck_assert_uint_eq(got[14], 904 * PAGE);
	mm_paddr_t extra;
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &extra), -MM_ENOMEM);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), 15);
	for (int i = 0; i < 15; i++)
		ck_assert_uint_eq(mm_frame_unref(&fa, got[i]), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 15);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), 0);
	/* Holes and outside addresses are not managed. */
	ck_assert_ptr_null(mm_frame_get(&fa, 19 * PAGE));
	ck_assert_ptr_null(mm_frame_get(&fa, 0));
	ck_assert_ptr_null(mm_frame_get(&fa, 905 * PAGE));
}
END_TEST

START_TEST(refcounts_and_kinds)
{
	struct mm_phys_range r[] = { { PAGE, 16 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, meta, sizeof(meta)), 0);
	mm_paddr_t a, b, c;
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_PT, &a), 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_KERNEL, &b), 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &c), 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_FREE, &c), -MM_EINVAL);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_NKINDS, &c), -MM_EINVAL);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_PT), 1);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_KERNEL), 1);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), 1);
	ck_assert_int_eq(mm_frame_ref(&fa, c), 0);
	ck_assert_int_eq(mm_frame_ref(&fa, c), 0);
	ck_assert_uint_eq(mm_frame_get(&fa, c)->ref_or_next, 3);
	ck_assert_uint_eq(mm_frame_unref(&fa, c), 2);
	ck_assert_uint_eq(mm_frame_unref(&fa, c), 1);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 13);
	ck_assert_uint_eq(mm_frame_unref(&fa, c), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 14);
	/* A free frame cannot be referenced; an unmanaged one neither. */
	ck_assert_int_eq(mm_frame_ref(&fa, c), -MM_EINVAL);
	ck_assert_int_eq(mm_frame_ref(&fa, 1000 * PAGE), -MM_EINVAL);
	/* The last freed frame is the next one out (its buddy is in use). */
	mm_paddr_t d;
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &d), 0);
	ck_assert_uint_eq(d, c);
}
END_TEST

START_TEST(refcount_never_overflows_silently)
{
	struct mm_phys_range r[] = { { PAGE, 4 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, meta, sizeof(meta)), 0);
	mm_paddr_t a;
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &a), 0);
	mm_frame_get(&fa, a)->ref_or_next = MM_FRAME_REF_MAX - 1;
	ck_assert_int_eq(mm_frame_ref(&fa, a), 0);
	ck_assert_int_eq(mm_frame_ref(&fa, a), -MM_EOVERFLOW);
	ck_assert_uint_eq(mm_frame_get(&fa, a)->ref_or_next, MM_FRAME_REF_MAX);
}
END_TEST

START_TEST(fault_injection_fails_the_nth)
{
	struct mm_phys_range r[] = { { PAGE, 16 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, meta, sizeof(meta)), 0);
	mm_frames_fail_after(&fa, 2);
	mm_paddr_t a;
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &a), 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &a), 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &a), -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &a), -MM_ENOMEM);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 14);
	mm_frames_fail_after(&fa, -1);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &a), 0);
}
END_TEST

/*
 * CHECK() - ck_assert() for the hot loops below: Check's ck_assert_*()
 * write the position of every passing assertion to a file, which makes a
 * million of them take seconds; this one only reports failures.
 */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg("%s:%d: check failed: %s", __FILE__, __LINE__, #cond);        \
	} while (0)

/* A big pool: one 1 GiB block (2^18 frames) fits in 2^19 frames. */
#define BIG_FRAMES (UINT32_C(1) << 19)
static struct mm_frame big_meta[BIG_FRAMES];

/* The PRNG state of the shuffles and the randomized test (helpers.h). */
static uint64_t rng_state;

/* A value in 0 .. @n - 1. */
static uint32_t below(uint32_t n)
{
	return (uint32_t)(rnd(&rng_state) % n);
}

/* The number of free blocks of every order, to compare two states. */
static void block_counts(struct mm_frames *fa, uint32_t out[MM_FRAME_MAX_ORDER + 1])
{
	uint64_t frames = 0;
	for (unsigned k = 0; k <= MM_FRAME_MAX_ORDER; k++) {
		out[k] = mm_frames_free_blocks(fa, k);
		frames += (uint64_t)out[k] << k;
	}
	CHECK(frames == mm_frames_free_count(fa));
	CHECK(mm_frames_free_blocks(fa, MM_FRAME_MAX_ORDER + 1) == 0);
}

static void assert_same_blocks(struct mm_frames *fa, const uint32_t want[MM_FRAME_MAX_ORDER + 1])
{
	uint32_t now[MM_FRAME_MAX_ORDER + 1];
	block_counts(fa, now);
	for (unsigned k = 0; k <= MM_FRAME_MAX_ORDER; k++)
		if (now[k] != want[k])
			ck_abort_msg("order %u: %u free blocks, want %u", k, now[k], want[k]);
}

START_TEST(runs_of_every_order_are_aligned_and_merge_back)
{
	/* A base 3 frames past an aligned address: alignment is physical. */
	const mm_paddr_t base = ((mm_paddr_t)BIG_FRAMES + 3) * PAGE;
	struct mm_phys_range r[] = { { base, BIG_FRAMES } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, big_meta, sizeof(big_meta)), 0);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), (int)MM_FRAME_MAX_ORDER);
	/* [2^19 + 3, 2^20 + 3): 3 + 4 + ... + 2^17 frames below the one
	 * 1 GiB block at 2^19 + 2^18, then 3 frames. */
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, MM_FRAME_MAX_ORDER), 1);
	uint32_t fresh[MM_FRAME_MAX_ORDER + 1];
	block_counts(&fa, fresh);
	static uint32_t order_of[BIG_FRAMES / 2];
	rng_state = 0x9e3779b97f4a7c15u;
	for (unsigned k = 0; k <= MM_FRAME_MAX_ORDER; k++) {
		const uint32_t len = UINT32_C(1) << k;
		mm_paddr_t pa;
		ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, k, &pa), 0);
		ck_assert_msg(pa % ((mm_paddr_t)len * PAGE) == 0, "order %u run at %#llx", k,
		              (unsigned long long)pa);
		ck_assert_uint_ge(pa, base);
		ck_assert_uint_le(pa + (mm_paddr_t)len * PAGE,
		                  base + (mm_paddr_t)BIG_FRAMES * PAGE);
		ck_assert_uint_eq(mm_frames_free_count(&fa), BIG_FRAMES - len);
		ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), len);
		uint32_t first = mm_frames_index(&fa, pa);
		for (uint32_t i = 0; i < len; i++) {
			const struct mm_frame *f = mm_frame_get(&fa, pa + (mm_paddr_t)i * PAGE);
			CHECK(f == &big_meta[first + i]);
			CHECK(f->ref_or_next == 1 && f->kind == MM_FRAME_USER && f->flags == 0);
			order_of[i] = i;
		}
		/* Free frame by frame, in a random order: all merges back. */
		for (uint32_t i = len; i > 1; i--) {
			uint32_t j = below(i), t = order_of[i - 1];
			order_of[i - 1] = order_of[j];
			order_of[j] = t;
		}
		for (uint32_t i = 0; i < len; i++)
			CHECK(mm_frame_unref(&fa, pa + (mm_paddr_t)order_of[i] * PAGE) == 0);
		ck_assert_uint_eq(mm_frames_free_count(&fa), BIG_FRAMES);
		ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), 0);
		assert_same_blocks(&fa, fresh);
	}
	/* The 1 GiB run is the one block; a second does not exist. */
	mm_paddr_t g, h;
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, MM_FRAME_MAX_ORDER, &g), 0);
	ck_assert_uint_eq(g, ((mm_paddr_t)BIG_FRAMES + BIG_FRAMES / 2) * PAGE);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), (int)MM_FRAME_MAX_ORDER - 1);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, MM_FRAME_MAX_ORDER, &h),
	                 -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, MM_FRAME_MAX_ORDER + 1, &h),
	                 -MM_EINVAL);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_KERNEL), BIG_FRAMES / 2);
}
END_TEST

START_TEST(run_splits_like_a_large_page)
{
	/* A 2 MiB-style run (order 9) split into small pages: some frames get
	 * more references, they are dropped one at a time, and the run only
	 * merges back when its last frame is free. */
	struct mm_phys_range r[] = { { 512 * PAGE, 1024 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, meta, sizeof(meta)), 0);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), 9);
	mm_paddr_t pa;
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 9, &pa), 0);
	ck_assert_uint_eq(pa, 512 * PAGE);
	ck_assert_int_eq(mm_frame_ref(&fa, pa + 7 * PAGE), 0);
	for (unsigned i = 0; i < 512; i++)
		ck_assert_uint_eq(mm_frame_unref(&fa, pa + (mm_paddr_t)i * PAGE), i == 7 ? 1 : 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 1023);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), 9); /* the other half */
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 9), 1);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 0), 1); /* 7's buddy, 6 */
	ck_assert_uint_eq(mm_frame_unref(&fa, pa + 7 * PAGE), 0);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 9), 2);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 0), 0);
	/* 1024 frames at 512: two order-9 blocks that are not buddies. */
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), 9);
	/* Order 0 through the run call is a single frame, lowest first. */
	mm_paddr_t one;
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_REGION, 0, &one), 0);
	ck_assert_uint_eq(one, 512 * PAGE);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_REGION), 1);
}
END_TEST

START_TEST(fragmented_run_fails_and_changes_nothing)
{
	struct mm_phys_range r[] = { { 64 * PAGE, 16 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, meta, sizeof(meta)), 0);
	mm_paddr_t got[16];
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]), 0);
		ck_assert_uint_eq(got[i], (64 + (mm_paddr_t)i) * PAGE);
	}
	/* Free every other frame: 8 free, no two adjacent. */
	for (int i = 0; i < 16; i += 2)
		ck_assert_uint_eq(mm_frame_unref(&fa, got[i]), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 8);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 0), 8);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), 0);
	struct mm_frame before[16];
	memcpy(before, meta, sizeof(before));
	uint64_t calls = fa.nalloc_calls;
	mm_paddr_t pa = 0xdead;
	for (unsigned k = 1; k <= 3; k++)
		ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, k, &pa), -MM_ENOMEM);
	ck_assert_uint_eq(pa, 0xdead);
	ck_assert_uint_eq(fa.nalloc_calls, calls + 3);
	ck_assert_int_eq(memcmp(before, meta, sizeof(before)), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 8);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), 8);
	/* Freeing 5 makes {4, 5} an order-1 block, {4..7} not yet. */
	ck_assert_uint_eq(mm_frame_unref(&fa, got[5]), 0);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), 1);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 2, &pa), -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 1, &pa), 0);
	ck_assert_uint_eq(pa, got[4]);
}
END_TEST

START_TEST(unaligned_bases_holes_and_touching_ranges)
{
	/* Frames 5..31, a hole, 40..47, a hole, 100..102 and then two ranges
	 * that touch (104..107, 108..111): a block never spans two ranges. */
	struct mm_phys_range r[] = {
		{ 108 * PAGE, 4 }, { 40 * PAGE, 8 },  { 5 * PAGE, 27 },
		{ 100 * PAGE, 3 }, { 104 * PAGE, 4 },
	};
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 5, meta, sizeof(meta)), 0);
	ck_assert_uint_eq(mm_frames_total(&fa), 46);
	/* 5 | 6-7 | 8-15 | 16-31 ; 40-47 ; 100-101 | 102 ; 104-107 ; 108-111 */
	const uint32_t want[] = { 2, 2, 2, 2, 1 };
	for (unsigned k = 0; k < 5; k++)
		ck_assert_uint_eq(mm_frames_free_blocks(&fa, k), want[k]);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), 4);
	mm_paddr_t pa;
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 4, &pa), 0);
	ck_assert_uint_eq(pa, 16 * PAGE);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 4, &pa), -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 3, &pa), 0);
	ck_assert_uint_eq(pa, 8 * PAGE);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 3, &pa), 0);
	ck_assert_uint_eq(pa, 40 * PAGE);
	/* 104..111 is aligned and free, but in two ranges. */
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 3, &pa), -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 2, &pa), 0);
	ck_assert_uint_eq(pa, 104 * PAGE);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 2, &pa), 0);
	ck_assert_uint_eq(pa, 108 * PAGE);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 2, &pa), -MM_ENOMEM);
	/* Left: 5, 6-7, 100-101, 102; single frames lowest first. */
	ck_assert_uint_eq(mm_frames_free_count(&fa), 6);
	const mm_paddr_t order[] = { 5, 6, 7, 100, 101, 102 };
	for (unsigned i = 0; i < 6; i++) {
		ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &pa), 0);
		ck_assert_uint_eq(pa, order[i] * PAGE);
	}
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), -1);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 0, &pa), -MM_ENOMEM);
	/* 5 and 6 are neighbours in the range but not buddies (6's is 7). */
	ck_assert_uint_eq(mm_frame_unref(&fa, 5 * PAGE), 0);
	ck_assert_uint_eq(mm_frame_unref(&fa, 6 * PAGE), 0);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 0), 2);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 1), 0);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 1, &pa), -MM_ENOMEM);
	/* 6-7 merge; not with 5, nor with 4-5 (4 is outside the range). */
	ck_assert_uint_eq(mm_frame_unref(&fa, 7 * PAGE), 0);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 0), 1);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 1), 1);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 2), 0);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 1, &pa), 0);
	ck_assert_uint_eq(pa, 6 * PAGE);
}
END_TEST

START_TEST(fault_injection_counts_a_run_once)
{
	struct mm_phys_range r[] = { { 64 * PAGE, 64 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, meta, sizeof(meta)), 0);
	mm_frames_fail_after(&fa, 2);
	mm_paddr_t pa;
	/* Bad arguments are not attempts: they do not move the countdown. */
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_FREE, 1, &pa), -MM_EINVAL);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 99, &pa), -MM_EINVAL);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 5, &pa), 0);
	ck_assert_uint_eq(pa, 64 * PAGE);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &pa), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 31);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 4, &pa), -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 0, &pa), -MM_ENOMEM);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 31);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), 33);
	mm_frames_fail_after(&fa, -1);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 4, &pa), 0);
	ck_assert_uint_eq(pa, 112 * PAGE);
}
END_TEST

/* The cache of free single frames: LIFO, counted as free, drained on demand. */
START_TEST(cache_is_lifo_counted_free_and_drained_by_the_reports)
{
	struct mm_phys_range r[] = { { 64 * PAGE, 64 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, meta, sizeof(meta)), 0);
	ck_assert_uint_eq(mm_frames_cached(&fa), 0);
	mm_paddr_t got[8];
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]), 0);
		ck_assert_uint_eq(got[i], (64 + (mm_paddr_t)i) * PAGE); /* a refill, lowest first */
	}
	/* The refill took one block of 2^MM_FRAME_CACHE_REFILL_ORDER frames. */
	ck_assert_uint_eq(mm_frames_cached(&fa), (1u << MM_FRAME_CACHE_REFILL_ORDER) - 8);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 56);
	for (int i = 0; i < 8; i += 2)
		ck_assert_uint_eq(mm_frame_unref(&fa, got[i]), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 60);
	ck_assert_uint_eq(mm_frames_cached(&fa), (1u << MM_FRAME_CACHE_REFILL_ORDER) - 4);
	/* A cached frame is free: no reference can be taken to it. */
	ck_assert_int_eq(mm_frame_ref(&fa, got[6]), -MM_EINVAL);
	ck_assert_uint_eq(mm_frame_get(&fa, got[6])->kind, MM_FRAME_FREE);
	/* LIFO: the last freed comes out first. */
	mm_paddr_t pa;
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_KERNEL, &pa), 0);
	ck_assert_uint_eq(pa, got[6]);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_KERNEL, &pa), 0);
	ck_assert_uint_eq(pa, got[4]);
	/* The block reports drain the cache first: the blocks are those of a
	 * buddy system that merged every free frame: 64 and 66 alone (65 and
	 * 67 are in use), 72-79, 80-95 and 96-127. */
	const uint32_t want[] = { 2, 0, 0, 1, 1, 1 };
	for (unsigned k = 0; k < 6; k++)
		ck_assert_uint_eq(mm_frames_free_blocks(&fa, k), want[k]);
	ck_assert_uint_eq(mm_frames_cached(&fa), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 58);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), 5);
	/* Draining an empty cache changes nothing. */
	mm_frames_drain(&fa);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 58);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 0), 2);
}
END_TEST

/*
 * A run that exists only because frames wait in the cache: the failed
 * search drains it and looks again. Fault injection fires before that and
 * leaves the cache as it was; a failure after the drain changes no count.
 */
START_TEST(run_drains_the_cache_when_it_finds_no_block)
{
	_Static_assert(MM_FRAME_CACHE_MAX >= 64, "the cache holds the 64 frames freed below");
	struct mm_phys_range r[] = { { 64 * PAGE, 64 } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, meta, sizeof(meta)), 0);
	mm_paddr_t got[64], pa;
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]), 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &pa), -MM_ENOMEM);
	/* Every frame freed, all of them into the cache (it holds 64 or more). */
	for (int i = 0; i < 64; i++)
		ck_assert_uint_eq(mm_frame_unref(&fa, got[i]), 0);
	ck_assert_uint_eq(mm_frames_cached(&fa), 64);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 64);
	/* Fault injection: the attempt is counted, the cache is not drained. */
	mm_frames_fail_after(&fa, 0);
	uint64_t calls = fa.nalloc_calls;
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 6, &pa), -MM_ENOMEM);
	ck_assert_uint_eq(fa.nalloc_calls, calls + 1);
	ck_assert_uint_eq(mm_frames_cached(&fa), 64);
	mm_frames_fail_after(&fa, 1);
	/* No block is listed, yet the whole 64 frames come back as one run. */
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 6, &pa), 0);
	ck_assert_uint_eq(pa, 64 * PAGE);
	ck_assert_uint_eq(mm_frames_cached(&fa), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 0);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_KERNEL), 64);
	/* The countdown moved: the next attempt fails, whatever is free. */
	for (int i = 0; i < 64; i++)
		ck_assert_uint_eq(mm_frame_unref(&fa, pa + (mm_paddr_t)i * PAGE), 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &pa), -MM_ENOMEM);
	ck_assert_uint_eq(mm_frames_cached(&fa), 64);
	mm_frames_fail_after(&fa, -1);
	/* Scattered frames in the cache: the drain merges what it can and
	 * the run still fails, with every count as it was. */
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]), 0);
	for (int i = 0; i < 64; i += 2)
		ck_assert_uint_eq(mm_frame_unref(&fa, got[i]), 0);
	ck_assert_uint_eq(mm_frames_cached(&fa), 32);
	pa = 0xdead;
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 1, &pa), -MM_ENOMEM);
	ck_assert_uint_eq(pa, 0xdead);
	ck_assert_uint_eq(mm_frames_cached(&fa), 0);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 32);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 0), 32);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), 32);
}
END_TEST

/*
 * Far more single frames than the cache holds, freed in a random order:
 * the cache sends batches back to the lists, merged, so once every frame
 * is free the 1 GiB block is whole again, and the blocks are those of a
 * fresh allocator.
 */
START_TEST(cache_batches_merge_back_to_the_largest_block)
{
	const mm_paddr_t base = (mm_paddr_t)BIG_FRAMES * PAGE; /* 2^19: aligned */
	struct mm_phys_range r[] = { { base, BIG_FRAMES } };
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 1, big_meta, sizeof(big_meta)), 0);
	uint32_t fresh[MM_FRAME_MAX_ORDER + 1];
	block_counts(&fa, fresh);
	ck_assert_uint_eq(fresh[MM_FRAME_MAX_ORDER], 2);
	const uint32_t n = UINT32_C(1) << MM_FRAME_MAX_ORDER;
	static mm_paddr_t got[UINT32_C(1) << MM_FRAME_MAX_ORDER];
	for (uint32_t i = 0; i < n; i++)
		CHECK(mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]) == 0);
	/* The first 1 GiB block, frame by frame, lowest first. */
	CHECK(got[0] == base && got[n - 1] == base + (mm_paddr_t)(n - 1) * PAGE);
	rng_state = 0x5851f42d4c957f2du;
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = below(i);
		mm_paddr_t t = got[i - 1];
		got[i - 1] = got[j];
		got[j] = t;
	}
	for (uint32_t i = 0; i < n; i++) {
		CHECK(mm_frame_unref(&fa, got[i]) == 0);
		CHECK(mm_frames_cached(&fa) <= MM_FRAME_CACHE_MAX);
	}
	ck_assert_uint_eq(mm_frames_free_count(&fa), BIG_FRAMES);
	/* Before any drain: all but the cached frames are on the lists. */
	uint64_t listed = 0;
	for (unsigned k = 0; k <= MM_FRAME_MAX_ORDER; k++)
		listed += (uint64_t)fa.zone[MM_ZONE_LOW].nblocks[k] << k;
	ck_assert_uint_eq(listed + mm_frames_cached(&fa), BIG_FRAMES);
	ck_assert_uint_ge(listed, BIG_FRAMES - MM_FRAME_CACHE_MAX);
	assert_same_blocks(&fa, fresh);
	mm_paddr_t g, h;
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, MM_FRAME_MAX_ORDER, &g), 0);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, MM_FRAME_MAX_ORDER, &h), 0);
	ck_assert_uint_eq(g, base);
	ck_assert_uint_eq(h, base + (mm_paddr_t)n * PAGE);
}
END_TEST

/* The model of the randomized test: each managed frame's references. */
#define STRESS_OPS 20000
static uint32_t model_refs[4096];
static uint8_t model_kind[4096];

/* Prefix sums of the model's free frames: free_before[i] = free in 0 .. i-1. */
static uint32_t free_before[4096 + 1];

static void model_prefix(uint32_t total)
{
	for (uint32_t i = 0; i < total; i++)
		free_before[i + 1] = free_before[i] + (model_refs[i] == 0);
}

/* Whether the 2^@k frames at frame number @p of range @i are all free. */
static bool model_free_block(const struct mm_phys_range *r, const uint32_t *first, unsigned i,
                             uint64_t p, unsigned k)
{
	uint64_t lo = r[i].base / PAGE, len = UINT64_C(1) << k;
	if (p < lo || p + len > lo + r[i].pages)
		return false;
	uint32_t a = first[i] + (uint32_t)(p - lo);
	return free_before[a + len] - free_before[a] == len;
}

/*
 * The free blocks the model predicts: per order, the aligned runs of free
 * frames inside one range that are maximal (order MM_FRAME_MAX_ORDER, or
 * the aligned run of twice the size is not all free). A buddy system that
 * always merges free buddies holds exactly these. Needs model_prefix().
 */
static void model_blocks(const struct mm_phys_range *r, unsigned nr, const uint32_t *first,
                         uint32_t out[MM_FRAME_MAX_ORDER + 1])
{
	for (unsigned k = 0; k <= MM_FRAME_MAX_ORDER; k++) {
		const uint64_t len = UINT64_C(1) << k;
		out[k] = 0;
		for (unsigned i = 0; i < nr; i++) {
			uint64_t lo = r[i].base / PAGE, end = lo + r[i].pages;
			for (uint64_t p = (lo + len - 1) & ~(len - 1); p + len <= end; p += len)
				if (model_free_block(r, first, i, p, k) &&
				    (k == MM_FRAME_MAX_ORDER ||
				     !model_free_block(r, first, i, p & ~(2 * len - 1), k + 1)))
					out[k]++;
		}
	}
}

START_TEST(randomized_against_a_model)
{
	/* Sorted by base, as the allocator keeps them; unaligned bases. */
	const struct mm_phys_range r[] = { { (1024 + 3) * PAGE, 700 },
		                           { (2048 + 1) * PAGE, 1300 },
		                           { (4096 + 256) * PAGE, 64 } };
	const uint32_t first[] = { 0, 700, 2000 };
	const uint32_t total = 2064;
	struct mm_frames fa;
	ck_assert_int_eq(mm_frames_init(&fa, r, 3, meta, sizeof(meta)), 0);
	uint32_t fresh[MM_FRAME_MAX_ORDER + 1];
	block_counts(&fa, fresh);
	memset(model_refs, 0, sizeof(model_refs));
	uint32_t nfree = total, in_use[MM_FRAME_NKINDS] = { 0 };
	rng_state = 0x2545f4914f6cdd1du;
	for (int op = 0; op < STRESS_OPS; op++) {
		uint32_t dice = below(100);
		if (dice < 45) {
			/* Mostly single frames, some runs up to order 6. */
			unsigned k = dice < 30 ? 0 : below(7);
			enum mm_frame_kind kind =
			        (enum mm_frame_kind)(1 + below(MM_FRAME_NKINDS - 1));
			mm_paddr_t pa;
			int err = mm_frame_alloc_run(&fa, kind, k, &pa);
			if (err) {
				CHECK(err == -MM_ENOMEM);
				CHECK(mm_frames_largest_free_order(&fa) < (int)k);
			} else {
				const uint32_t len = UINT32_C(1) << k;
				CHECK(pa % ((mm_paddr_t)len * PAGE) == 0);
				uint32_t idx = mm_frames_index(&fa, pa);
				CHECK(idx != UINT32_MAX);
				for (uint32_t i = 0; i < len; i++) {
					CHECK(mm_frames_index(&fa, pa + (mm_paddr_t)i * PAGE) ==
					      idx + i);
					CHECK(model_refs[idx + i] == 0); /* not handed out twice */
					model_refs[idx + i] = 1;
					model_kind[idx + i] = (uint8_t)kind;
				}
				nfree -= len;
				in_use[kind] += len;
			}
		} else {
			/* Drop (or now and then take) a reference to a frame in use. */
			if (nfree == total)
				continue;
			uint32_t i = below(total);
			while (model_refs[i] == 0)
				i = (i + 1) % total;
			mm_paddr_t pa = mm_frames_paddr(&fa, i);
			if (dice < 55) {
				CHECK(mm_frame_ref(&fa, pa) == 0);
				model_refs[i]++;
			} else {
				CHECK(mm_frame_unref(&fa, pa) == model_refs[i] - 1);
				if (--model_refs[i] == 0) {
					nfree++;
					in_use[model_kind[i]]--;
				}
			}
		}
		CHECK(mm_frames_free_count(&fa) == nfree);
		for (unsigned k = 1; k < MM_FRAME_NKINDS; k++)
			CHECK(mm_frames_in_use(&fa, (enum mm_frame_kind)k) == in_use[k]);
		if (op % 128 == 0 || (dice < 45 && op % 8 == 0)) {
			/* The blocks are the model's, so a failed run had none. */
			uint32_t want[MM_FRAME_MAX_ORDER + 1];
			model_prefix(total);
			model_blocks(r, 3, first, want);
			assert_same_blocks(&fa, want);
		}
	}
	/* Drop every reference left: all merges back to the fresh blocks. */
	for (uint32_t i = 0; i < total; i++)
		for (; model_refs[i]; model_refs[i]--)
			mm_frame_unref(&fa, mm_frames_paddr(&fa, i));
	ck_assert_uint_eq(mm_frames_free_count(&fa), total);
	assert_same_blocks(&fa, fresh);
}
END_TEST

/* ---- zones ------------------------------------------------------------- */

START_TEST(zoned_init_cuts_the_range_at_the_high_base)
{
	struct mm_frames fa;
	/* One range of 128 frames from frame 128 (one aligned block of order
	 * 7 without zones); the high base at frame 192. */
	struct mm_phys_range r[] = { { 128 * PAGE, 128 } };
	ck_assert_int_eq(mm_frames_init_zoned(&fa, r, 1, meta, sizeof(meta), 192 * PAGE + 8),
	                 -MM_EINVAL);
	ck_assert_int_eq(mm_frames_init_zoned(&fa, r, 1, meta, sizeof(meta), 0), 0);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 7), 1);
	ck_assert_int_eq(mm_frames_init_zoned(&fa, r, 1, meta, sizeof(meta), 192 * PAGE), 0);
	ck_assert_uint_eq(mm_frames_total(&fa), 128);
	ck_assert_uint_eq(mm_frames_zone_total(&fa, MM_ZONE_LOW), 64);
	ck_assert_uint_eq(mm_frames_zone_total(&fa, MM_ZONE_HIGH), 64);
	ck_assert_uint_eq(mm_frames_zone_free(&fa, MM_ZONE_HIGH), 64);
	ck_assert(!mm_frames_is_high(&fa, 192 * PAGE - 1));
	ck_assert(mm_frames_is_high(&fa, 192 * PAGE));
	/* Blocks never merge across the base, even after frames come back. */
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 7), 0);
	ck_assert_uint_eq(mm_frames_free_blocks(&fa, 6), 2);
	mm_paddr_t run, low, high;
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_PT, &low), 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &high), 0);
	ck_assert_uint_eq(low, 128 * PAGE);
	ck_assert_uint_eq(high, 192 * PAGE);
	ck_assert_uint_eq(mm_frame_unref(&fa, high), 0);
	ck_assert_uint_eq(mm_frame_unref(&fa, low), 0);
	ck_assert_int_eq(mm_frames_largest_free_order(&fa), 6);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 7, &run), -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 6, &run), 0);
	ck_assert_uint_eq(run, 128 * PAGE);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_KERNEL, 6, &run), -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 6, &run), 0);
	ck_assert_uint_eq(run, 192 * PAGE);
	/* Without a high base it is one zone, as mm_frames_init() makes it. */
	ck_assert_int_eq(mm_frames_init_zoned(&fa, r, 1, meta, sizeof(meta), 0), 0);
	ck_assert_uint_eq(mm_frames_zone_total(&fa, MM_ZONE_HIGH), 0);
	ck_assert(!mm_frames_is_high(&fa, 100 * PAGE));
	/* A cut needs a free slot in the range table. */
	struct mm_phys_range many[MM_FRAMES_MAX_RANGES];
	for (unsigned i = 0; i < MM_FRAMES_MAX_RANGES; i++)
		many[i] = (struct mm_phys_range){ (16 + 8 * (uint64_t)i) * PAGE, 4 };
	ck_assert_int_eq(mm_frames_init_zoned(&fa, many, MM_FRAMES_MAX_RANGES, meta, sizeof(meta),
	                                      (16 + 8 * 5 + 2) * PAGE),
	                 -MM_ENOTSUP);
	ck_assert_int_eq(mm_frames_init_zoned(&fa, many, MM_FRAMES_MAX_RANGES, meta, sizeof(meta),
	                                      (16 + 8 * 5) * PAGE),
	                 0);
	ck_assert_uint_eq(mm_frames_zone_total(&fa, MM_ZONE_LOW), UINT32_C(20)); /* 5 ranges of 4 */
}
END_TEST

START_TEST(user_frames_come_from_high_memory_first_and_the_rest_never)
{
	struct mm_frames fa;
	struct mm_phys_range r[] = { { 200 * PAGE, 40 }, { 16 * PAGE, 24 } };
	const mm_paddr_t base = 100 * PAGE; /* between the two ranges */
	ck_assert_int_eq(mm_frames_init_zoned(&fa, r, 2, meta, sizeof(meta), base), 0);
	ck_assert_uint_eq(mm_frames_zone_total(&fa, MM_ZONE_LOW), 24);
	ck_assert_uint_eq(mm_frames_zone_total(&fa, MM_ZONE_HIGH), 40);
	mm_paddr_t pa, got[64];
	/* Every kind but user frames: the low zone only, until it is empty
	 * with the whole high zone free. */
	const enum mm_frame_kind low_kinds[] = { MM_FRAME_PT, MM_FRAME_KERNEL, MM_FRAME_REGION };
	for (unsigned i = 0; i < 24; i++) {
		ck_assert_int_eq(mm_frame_alloc(&fa, low_kinds[i % 3], &got[i]), 0);
		ck_assert_uint_lt(got[i], base);
	}
	for (unsigned k = 0; k < 3; k++)
		ck_assert_int_eq(mm_frame_alloc(&fa, low_kinds[k], &pa), -MM_ENOMEM);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_PT, 1, &pa), -MM_ENOMEM);
	ck_assert_uint_eq(mm_frames_zone_free(&fa, MM_ZONE_HIGH), 40);
	ck_assert_uint_eq(mm_frames_free_count(&fa), 40);
	/* Freed, they go back to the low zone. */
	for (unsigned i = 0; i < 24; i++)
		ck_assert_uint_eq(mm_frame_unref(&fa, got[i]), 0);
	ck_assert_uint_eq(mm_frames_zone_free(&fa, MM_ZONE_LOW), 24);
	/* User frames: the high zone first, every one of it... */
	for (unsigned i = 0; i < 40; i++) {
		ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]), 0);
		ck_assert_uint_ge(got[i], base);
	}
	ck_assert_uint_eq(mm_frames_zone_free(&fa, MM_ZONE_HIGH), 0);
	/* ...then the low zone, runs too. */
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &got[40]), 0);
	ck_assert_uint_lt(got[40], base);
	ck_assert_int_eq(mm_frame_alloc_run(&fa, MM_FRAME_USER, 3, &pa), 0);
	ck_assert_uint_lt(pa, base);
	ck_assert_uint_eq(mm_frames_in_use(&fa, MM_FRAME_USER), 49);
	/* A high frame freed is the next user frame again. */
	ck_assert_uint_eq(mm_frame_unref(&fa, got[7]), 0);
	ck_assert_uint_eq(mm_frames_zone_free(&fa, MM_ZONE_HIGH), 1);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_PT, &pa), 0);
	ck_assert_uint_lt(pa, base);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &pa), 0);
	ck_assert_uint_eq(pa, got[7]);
	/* Fault injection counts both zones' allocations. */
	mm_frames_fail_after(&fa, 0);
	ck_assert_int_eq(mm_frame_alloc(&fa, MM_FRAME_USER, &pa), -MM_ENOMEM);
	ck_assert_uint_eq(mm_frames_zone_free(&fa, MM_ZONE_LOW), 24 - 1 - 8 - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("frames-" ARCH_NAME);
	TCase *tc = tcase_create("allocator");
	tcase_add_test(tc, init_rejects_bad_ranges);
	tcase_add_test(tc, metadata_is_8_bytes_per_frame);
	tcase_add_test(tc, multi_range_alloc_all_then_free_all);
	tcase_add_test(tc, refcounts_and_kinds);
	tcase_add_test(tc, refcount_never_overflows_silently);
	tcase_add_test(tc, fault_injection_fails_the_nth);
	suite_add_tcase(s, tc);
	TCase *tb = tcase_create("buddy");
	tcase_add_test(tb, runs_of_every_order_are_aligned_and_merge_back);
	tcase_add_test(tb, run_splits_like_a_large_page);
	tcase_add_test(tb, fragmented_run_fails_and_changes_nothing);
	tcase_add_test(tb, unaligned_bases_holes_and_touching_ranges);
	tcase_add_test(tb, fault_injection_counts_a_run_once);
	tcase_add_test(tb, randomized_against_a_model);
	suite_add_tcase(s, tb);
	TCase *tk = tcase_create("cache");
	tcase_add_test(tk, cache_is_lifo_counted_free_and_drained_by_the_reports);
	tcase_add_test(tk, run_drains_the_cache_when_it_finds_no_block);
	tcase_add_test(tk, cache_batches_merge_back_to_the_largest_block);
	suite_add_tcase(s, tk);
	TCase *tz = tcase_create("zones");
	tcase_add_test(tz, zoned_init_cuts_the_range_at_the_high_base);
	tcase_add_test(tz, user_frames_come_from_high_memory_first_and_the_rest_never);
	suite_add_tcase(s, tz);
	return run_suite(s);
}
