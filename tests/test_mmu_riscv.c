/*
 * The RISC-V MMU model itself (arch/riscv/sim/mmu_riscv.c), on hand-built
 * Sv39 and Sv48 tables: the oracle is only as good as its own tests. PTE
 * bits are written out as the Privileged spec gives them ("Sv39" PTE
 * format); nothing here uses mm-core or <arch/pte.h>.
 */
#include "mmu_riscv.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* The spec's PTE bits, written out independently of the model. */
#define V 0x1ull
#define R 0x2ull
#define W 0x4ull
#define X 0x8ull
#define U 0x10ull
#define G 0x20ull
#define A 0x40ull
#define D 0x80ull

#define MEM ((size_t)64 * 4096)
static _Alignas(4096) uint8_t mem[MEM];

static void *phys(void *ctx, uint64_t pa)
{
	(void)ctx;
	return pa + 8 <= MEM ? &mem[pa] : NULL;
}

static void put(uint64_t pa, uint64_t e)
{
	memcpy(&mem[pa], &e, 8);
}

static uint64_t get(uint64_t pa)
{
	uint64_t v;
	memcpy(&v, &mem[pa], 8);
	return v;
}

/* A PTE for the table or frame at physical @pa with flag bits @f. */
static uint64_t pte(uint64_t pa, uint64_t f)
{
	return (pa >> 12) << 10 | f;
}

static struct mmu_rv_regs sv39, sv48;
static struct mmu_rv_result res;

/* Tables at 0x1000 (root), 0x2000, 0x3000 (Sv39: level 2, 1, 0); for Sv48
 * the root is 0x5000 and points at 0x1000. */
static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	sv39 = (struct mmu_rv_regs){
		.mode = MMU_RV_SV39, .satp_ppn = 1, .hw_ad = true, .pa_bits = 56
	};
	sv48 = sv39;
	sv48.mode = MMU_RV_SV48;
	sv48.satp_ppn = 5;
	put(0x5000, pte(0x1000, V)); /* Sv48 level 3, VPN[3] = 0 */
	put(0x1000, pte(0x2000, V)); /* level 2, VPN[2] = 0 */
	put(0x2000, pte(0x3000, V)); /* level 1, VPN[1] = 0 */
}

/* Map 4 KiB page @va (VPN[2] = VPN[1] = 0) to frame @pa with flags @f. */
static void leaf(uint64_t va, uint64_t pa, uint64_t f)
{
	put(0x3000 + ((va >> 12) & 511) * 8, pte(pa, f));
}

static bool tr(const struct mmu_rv_regs *r, uint64_t va, unsigned acc)
{
	return mmu_rv_translate(r, phys, NULL, va, acc, MMU_RV_WALK_SET_AD, &res);
}

START_TEST(a_4k_leaf_translates_in_both_modes)
{
	leaf(0x5000, 0x9000, V | R | W | A | D);
	ck_assert(tr(&sv39, 0x5123, 0));
	ck_assert_uint_eq(res.pa, 0x9123);
	ck_assert_uint_eq(res.page_size, 4096);
	ck_assert_uint_eq(res.page_base_va, 0x5000);
	ck_assert_uint_eq(res.levels, 3);
	ck_assert(tr(&sv48, 0x5123, MMU_RV_ACC_WRITE));
	ck_assert_uint_eq(res.pa, 0x9123);
	ck_assert_uint_eq(res.levels, 4);
	ck_assert(res.readable && res.writable && !res.executable && !res.user);
}
END_TEST

START_TEST(superpages_and_the_misaligned_check)
{
	/* A 2 MiB leaf at level 1 (VPN[1] = 1), PPN aligned to 2 MiB. */
	put(0x2000 + 8, pte(0x400000, V | R | A | D));
	ck_assert(tr(&sv39, 0x200000 + 0x12345, 0));
	ck_assert_uint_eq(res.pa, 0x400000 + 0x12345);
	ck_assert_uint_eq(res.page_size, 2u << 20);
	ck_assert_uint_eq(res.page_base_va, 0x200000);
	ck_assert_uint_eq(res.levels, 2);
	/* Misaligned: PPN[0] != 0 (step 6) is a page fault. */
	put(0x2000 + 8, pte(0x401000, V | R | A | D));
	ck_assert(!tr(&sv39, 0x200000, 0));
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_LOAD_PAGE);
	/* A 1 GiB leaf at level 2 (VPN[2] = 1). */
	put(0x1000 + 8, pte(0x40000000, V | R | X | A | D));
	ck_assert(tr(&sv39, 0x40000000 + 0x1234567, MMU_RV_ACC_FETCH));
	ck_assert_uint_eq(res.pa, 0x40000000 + 0x1234567);
	ck_assert_uint_eq(res.page_size, 1u << 30);
	put(0x1000 + 8, pte(0x40200000, V | R | X | A | D)); /* PPN[1] != 0 */
	ck_assert(!tr(&sv39, 0x40000000, MMU_RV_ACC_FETCH));
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_FETCH_PAGE);
}
END_TEST

START_TEST(invalid_entries_at_each_level_fault)
{
	leaf(0x5000, 0x9000, V | R | A | D);
	ck_assert(tr(&sv39, 0x5000, 0));
	const uint64_t tables[] = { 0x3000 + 5 * 8, 0x2000, 0x1000 };
	for (unsigned i = 0; i < 3; i++) {
		uint64_t saved = get(tables[i]);
		put(tables[i], saved & ~V);
		ck_assert(!tr(&sv39, 0x5000, MMU_RV_ACC_WRITE));
		ck_assert(!res.access_fault);
		ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_STORE_PAGE);
		ck_assert_uint_eq(res.tval, 0x5000);
		ck_assert_uint_eq(res.levels, 3 - i);
		put(tables[i], saved);
	}
}
END_TEST

START_TEST(reserved_encodings_fault)
{
	leaf(0x5000, 0x9000, V | W | A | D); /* W without R */
	ck_assert(!tr(&sv39, 0x5000, 0));
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_LOAD_PAGE);
	leaf(0x5000, 0x9000, V | R | A | D | (1ull << 54)); /* bits 63:54 */
	ck_assert(!tr(&sv39, 0x5000, 0));
	leaf(0x5000, 0x9000, V | R | A | D | (1ull << 63)); /* N: Svnapot not modelled */
	ck_assert(!tr(&sv39, 0x5000, 0));
	/* A pointer at level 0 (R = W = X = 0): no level below. */
	leaf(0x5000, 0x9000, V);
	ck_assert(!tr(&sv39, 0x5000, 0));
	ck_assert_uint_eq(res.levels, 3);
	/* D, A or U in a non-leaf PTE are reserved. */
	leaf(0x5000, 0x9000, V | R | A | D);
	const uint64_t bad[] = { U, A, D };
	for (unsigned i = 0; i < 3; i++) {
		put(0x2000, pte(0x3000, V | bad[i]));
		ck_assert(!tr(&sv39, 0x5000, 0));
		ck_assert_uint_eq(res.levels, 2);
	}
	put(0x2000, pte(0x3000, V));
	ck_assert(tr(&sv39, 0x5000, 0));
}
END_TEST

START_TEST(addresses_must_be_sign_extended)
{
	ck_assert(!tr(&sv39, 1ull << 39, 0)); /* bit 39 set, bit 38 clear */
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_LOAD_PAGE);
	ck_assert_uint_eq(res.levels, 0);
	ck_assert(!tr(&sv39, 0x0000004000000000ull, MMU_RV_ACC_FETCH)); /* bit 38 alone */
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_FETCH_PAGE);
	/* The same address is canonical for Sv48 (bits 63:47 zero): it walks. */
	ck_assert(!tr(&sv48, 0x0000004000000000ull, 0));
	ck_assert_uint_gt(res.levels, 0);
	ck_assert(!tr(&sv48, 1ull << 48, 0));
	ck_assert_uint_eq(res.levels, 0);
}
END_TEST

/*
 * Every R/W/X/U combination against every access kind, in S and U mode,
 * with SUM and MXR on and off, against the rules as the spec words them
 * (written out here, not taken from the model):
 *  - U-mode may access a page only if U=1.
 *  - S-mode may access a U=1 page only if SUM=1, and may never fetch from
 *    it.
 *  - A fetch needs X; a store needs W; a load needs R, or X with MXR=1.
 *  - W without R is reserved: a page fault whatever the access.
 */
START_TEST(rights_of_every_combination)
{
	for (unsigned bits = 0; bits < 16; bits++) {
		bool r = bits & 1, w = bits & 2, x = bits & 4, u = bits & 8;
		if (!r && !w && !x)
			continue; /* a pointer, not a leaf */
		leaf(0x5000, 0x9000,
		     V | A | D | (r ? R : 0) | (w ? W : 0) | (x ? X : 0) | (u ? U : 0));
		for (unsigned sum = 0; sum < 2; sum++)
			for (unsigned mxr = 0; mxr < 2; mxr++)
				for (unsigned acc = 0; acc < 8; acc++) {
					bool user = acc & MMU_RV_ACC_USER,
					     store = acc & MMU_RV_ACC_WRITE,
					     fetch = acc & MMU_RV_ACC_FETCH;
					if (store && fetch)
						continue;
					/* Reserved (W without R), or the mode may not touch the
					 * page. */
					bool barred = (w && !r) || (user && !u) ||
					              (!user && u && (!sum || fetch));
					bool want;
					if (barred)
						want = false;
					else if (fetch)
						want = x;
					else if (store)
						want = w;
					else
						want = r || (x && mxr);
					struct mmu_rv_regs regs = sv39;
					regs.sum = sum;
					regs.mxr = mxr;
					bool got = mmu_rv_translate(&regs, phys, NULL, 0x5010, acc,
					                            0, &res);
					ck_assert_msg(got == want,
					              "r%d w%d x%d u%d sum%u mxr%u acc%u: model %d",
					              r, w, x, u, sum, mxr, acc, got);
					if (!got)
						ck_assert_uint_eq(res.cause, fetch   ? 12u
						                             : store ? 15u
						                                     : 13u);
					else
						ck_assert(mmu_rv_rights_allow(&regs, r, w, x, u,
						                              acc));
				}
	}
}
END_TEST

START_TEST(accessed_and_dirty_by_hardware_or_by_fault)
{
	/* Svadu: the walk sets A on a load, A and D on a store, only when it
	 * succeeds and only when asked to write. */
	leaf(0x5000, 0x9000, V | R | W);
	ck_assert(mmu_rv_translate(&sv39, phys, NULL, 0x5000, 0, 0, &res));
	ck_assert_uint_eq(get(0x3000 + 5 * 8) & (A | D), 0); /* not asked */
	ck_assert(tr(&sv39, 0x5000, 0));
	ck_assert_uint_eq(get(0x3000 + 5 * 8) & (A | D), A);
	ck_assert(!res.dirty);
	ck_assert(tr(&sv39, 0x5000, MMU_RV_ACC_WRITE));
	ck_assert_uint_eq(get(0x3000 + 5 * 8) & (A | D), A | D);
	ck_assert(res.dirty);
	leaf(0x5000, 0x9000, V | R);
	ck_assert(!tr(&sv39, 0x5000, MMU_RV_ACC_WRITE)); /* denied: nothing set */
	ck_assert_uint_eq(get(0x3000 + 5 * 8) & (A | D), 0);
	/* Svade: a clear A, or a clear D on a store, is a page fault. */
	struct mmu_rv_regs ade = sv39;
	ade.hw_ad = false;
	leaf(0x5000, 0x9000, V | R | W);
	ck_assert(!mmu_rv_translate(&ade, phys, NULL, 0x5000, 0, MMU_RV_WALK_SET_AD, &res));
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_LOAD_PAGE);
	leaf(0x5000, 0x9000, V | R | W | A);
	ck_assert(mmu_rv_translate(&ade, phys, NULL, 0x5000, 0, MMU_RV_WALK_SET_AD, &res));
	ck_assert(!mmu_rv_translate(&ade, phys, NULL, 0x5000, MMU_RV_ACC_WRITE, MMU_RV_WALK_SET_AD,
	                            &res));
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_STORE_PAGE);
	ck_assert_uint_eq(get(0x3000 + 5 * 8) & D, 0);
}
END_TEST

START_TEST(global_and_access_faults)
{
	leaf(0x5000, 0x9000, V | R | G | A | D);
	ck_assert(tr(&sv39, 0x5000, 0));
	ck_assert(res.global);
	/* A global non-leaf makes everything below it global. */
	leaf(0x5000, 0x9000, V | R | A | D);
	put(0x2000, pte(0x3000, V | G));
	ck_assert(tr(&sv39, 0x5000, 0));
	ck_assert(res.global);
	put(0x2000, pte(0x3000, V));
	ck_assert(tr(&sv39, 0x5000, 0));
	ck_assert(!res.global);
	/* A table outside memory: an access fault of the access's kind. */
	put(0x2000, pte(MEM + 0x1000, V));
	ck_assert(!tr(&sv39, 0x5000, MMU_RV_ACC_WRITE));
	ck_assert(res.access_fault);
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_STORE_ACCESS);
	ck_assert(!tr(&sv39, 0x5000, MMU_RV_ACC_FETCH));
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_FETCH_ACCESS);
	ck_assert(!tr(&sv39, 0x5000, 0));
	ck_assert_uint_eq(res.cause, MMU_RV_CAUSE_LOAD_ACCESS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mmu-riscv");
	TCase *tc = tcase_create("sv39-sv48");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, a_4k_leaf_translates_in_both_modes);
	tcase_add_test(tc, superpages_and_the_misaligned_check);
	tcase_add_test(tc, invalid_entries_at_each_level_fault);
	tcase_add_test(tc, reserved_encodings_fault);
	tcase_add_test(tc, addresses_must_be_sign_extended);
	tcase_add_test(tc, rights_of_every_combination);
	tcase_add_test(tc, accessed_and_dirty_by_hardware_or_by_fault);
	tcase_add_test(tc, global_and_access_faults);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
