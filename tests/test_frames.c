/* The frame allocator: ranges, O(1) free list, reference counts, kinds. */
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
	/* The last freed frame is the next one out (LIFO, O(1)). */
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
	return run_suite(s);
}
