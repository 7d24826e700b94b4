/*
 * The x86 MMU model itself, on hand-built paging structures: the oracle is
 * only as good as its own tests. Entry bits are written out as the SDM
 * gives them (Vol. 3A §4.3 for 32-bit paging, §4.5 for 4-level paging);
 * nothing here uses mm-core or <arch/pte.h>.
 */
#include "mmu_x86.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* SDM bit positions, written out independently of the model. */
#define P  0x1ull
#define RW 0x2ull
#define US 0x4ull
#define A  0x20ull
#define D  0x40ull
#define PS 0x80ull
#define XD (1ull << 63)

#define MEM ((size_t)64 * 4096)
static _Alignas(4096) uint8_t mem[MEM];

static void *phys(void *ctx, uint64_t pa)
{
	(void)ctx;
	return pa + 8 <= MEM ? &mem[pa] : NULL;
}

static void put32(uint64_t pa, uint64_t e)
{
	uint32_t v = (uint32_t)e;
	memcpy(&mem[pa], &v, 4);
}
static uint32_t get32(uint64_t pa)
{
	uint32_t v;
	memcpy(&v, &mem[pa], 4);
	return v;
}
static void put64(uint64_t pa, uint64_t e)
{
	memcpy(&mem[pa], &e, 8);
}
static uint64_t get64(uint64_t pa)
{
	uint64_t v;
	memcpy(&v, &mem[pa], 8);
	return v;
}

static struct mmu_x86_regs r32, r64;
static struct mmu_x86_result res;

static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	r32 = (struct mmu_x86_regs){ .mode = MMU_X86_PAGING_32,
		                     .cr3 = 0x1000,
		                     .cr0_wp = true,
		                     .cr4_pse = true,
		                     .maxphyaddr = 32 };
	r64 = (struct mmu_x86_regs){ .mode = MMU_X86_PAGING_4LEVEL,
		                     .cr3 = 0x1000,
		                     .cr0_wp = true,
		                     .efer_nxe = true,
		                     .maxphyaddr = 36 };
}

static bool tr(const struct mmu_x86_regs *r, uint64_t va, unsigned acc)
{
	return mmu_x86_translate(r, phys, NULL, va, acc, MMU_WALK_SET_AD, &res);
}

/* 32-bit paging: PD at 0x1000, PT at 0x2000, va 0x00403123 -> 0x5123. */
START_TEST(paging32_walk_rights_and_ad)
{
	put32(0x1000 + 1 * 4, 0x2000 | P | RW | US); /* PDE 1 */
	put32(0x2000 + 3 * 4, 0x5000 | P | US);      /* PTE 3: read-only user */
	ck_assert(tr(&r32, 0x00403123, MMU_ACC_USER));
	ck_assert_uint_eq(res.pa, 0x5123);
	ck_assert_uint_eq(res.levels, 2);
	ck_assert(res.user && !res.writable && res.executable);
	ck_assert_uint_eq(get32(0x1004), 0x2000 | P | RW | US | A); /* §4.8 A set */
	ck_assert_uint_eq(get32(0x200C), 0x5000 | P | US | A);      /* not D */
	/* User write to a read-only page: P|W|U = 7 (§4.7); nothing written. */
	ck_assert(!tr(&r32, 0x00403123, MMU_ACC_USER | MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 7);
	ck_assert_uint_eq(get32(0x200C), 0x5000 | P | US | A);
	/* Supervisor write: refused with CR0.WP=1 (P|W = 3), allowed with WP=0. */
	ck_assert(!tr(&r32, 0x00403123, MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 3);
	r32.cr0_wp = false;
	ck_assert(tr(&r32, 0x00403123, MMU_ACC_WRITE));
	ck_assert_uint_eq(get32(0x200C), 0x5000 | P | US | A | D); /* D set */
	/* Fetches: no XD in 32-bit paging, and no I/D bit in the error code. */
	ck_assert(tr(&r32, 0x00403123, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert(!tr(&r32, 0x00404000, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 4); /* not present, user */
}
END_TEST

START_TEST(paging32_rights_combine_over_levels)
{
	put32(0x1000 + 1 * 4, 0x2000 | P);           /* PDE: supervisor, read-only */
	put32(0x2000 + 3 * 4, 0x5000 | P | RW | US); /* PTE: user, writable */
	ck_assert(!tr(&r32, 0x00403000, MMU_ACC_USER));
	ck_assert_uint_eq(res.error_code, 5); /* P|U */
	ck_assert(!tr(&r32, 0x00403000, MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 3);         /* P|W, WP=1 */
	ck_assert_uint_eq(get32(0x1004), 0x2000 | P); /* no A on a fault */
	/* A missing PDE: not present, level 1 only. */
	ck_assert(!tr(&r32, 0x00C00000, MMU_ACC_WRITE | MMU_ACC_USER));
	ck_assert_uint_eq(res.error_code, 6);
	ck_assert_uint_eq(res.levels, 1);
}
END_TEST

START_TEST(paging32_4mib_pages_and_reserved_bits)
{
	put32(0x1000 + 2 * 4, 0x00800000 | P | RW | PS); /* PDE 2: 4 MiB at 8 MiB */
	ck_assert(tr(&r32, 0x00812345, 0));
	ck_assert_uint_eq(res.pa, 0x00812345);
	ck_assert_uint_eq(res.page_size, 4u << 20);
	/* With CR4.PSE=0 the PS bit is ignored: the PDE points at a table. */
	r32.cr4_pse = false;
	ck_assert(!tr(&r32, 0x00800000, 0));
	ck_assert(res.bus_error); /* the "table" at 8 MiB is outside this RAM */
	r32.cr4_pse = true;
	/* Bit 21 of a 4 MiB PDE is reserved: P|RSVD = 9. */
	put32(0x1000 + 2 * 4, 0x00800000 | P | RW | PS | (1u << 21));
	ck_assert(!tr(&r32, 0x00812345, 0));
	ck_assert_uint_eq(res.error_code, 9);
}
END_TEST

/* 4-level paging: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void map4(uint64_t pte_flags)
{
	put64(0x1000, 0x2000 | P | RW | US);
	put64(0x2000, 0x3000 | P | RW | US);
	put64(0x3000, 0x4000 | P | RW | US);
	put64(0x4000 + 5 * 8, 0x9000 | pte_flags); /* va 0x5000 */
}

START_TEST(paging4_walk_xd_and_id_bit)
{
	map4(P | RW | US | XD);
	ck_assert(tr(&r64, 0x5010, MMU_ACC_USER | MMU_ACC_WRITE));
	ck_assert_uint_eq(res.pa, 0x9010);
	ck_assert_uint_eq(res.levels, 4);
	ck_assert(!res.executable);
	ck_assert_uint_eq(get64(0x4028), 0x9000 | P | RW | US | XD | A | D);
	ck_assert_uint_eq(get64(0x1000), 0x2000 | P | RW | US | A);
	/* Fetch from an XD page: P|U|I/D = 0x15. */
	ck_assert(!tr(&r64, 0x5010, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x15);
	/* XD in an upper level forbids fetches too. */
	map4(P | RW | US);
	put64(0x2000, 0x3000 | P | RW | US | XD);
	ck_assert(!tr(&r64, 0x5010, MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x11);
	/* With NXE=0, bit 63 is reserved: P|RSVD|I/D? no I/D without NXE. */
	r64.efer_nxe = false;
	ck_assert(!tr(&r64, 0x5010, 0));
	ck_assert_uint_eq(res.error_code, 0x9);
}
END_TEST

START_TEST(paging4_large_pages_and_reserved_bits)
{
	put64(0x1000, 0x2000 | P | RW);
	put64(0x2000 + 1 * 8, 0x40000000 | P | RW | PS); /* 1 GiB at 1 GiB */
	put64(0x2000 + 2 * 8, 0x3000 | P | RW);
	put64(0x3000 + 3 * 8, 0x00600000 | P | PS); /* 2 MiB at 6 MiB, va 2G+6M */
	ck_assert(tr(&r64, 0x40001234, 0));
	ck_assert_uint_eq(res.pa, 0x40001234);
	ck_assert_uint_eq(res.page_size, 1ull << 30);
	ck_assert(tr(&r64, 0x80612345, 0));
	ck_assert_uint_eq(res.pa, 0x00612345);
	ck_assert_uint_eq(res.page_size, 2ull << 20);
	ck_assert(!tr(&r64, 0x80612345, MMU_ACC_WRITE)); /* read-only 2 MiB page */
	ck_assert_uint_eq(res.error_code, 3);
	/* Bit 13 of a 2 MiB PDE is reserved. */
	put64(0x3000 + 3 * 8, 0x00600000 | P | PS | (1ull << 13));
	ck_assert(!tr(&r64, 0x80612345, 0));
	ck_assert_uint_eq(res.error_code, 9);
	/* PS in a PML4E is reserved. */
	put64(0x1000, 0x2000 | P | RW | PS);
	ck_assert(!tr(&r64, 0x40001234, MMU_ACC_USER));
	ck_assert_uint_eq(res.error_code, 0xD); /* P|U|RSVD */
	/* Address bits at or above MAXPHYADDR (36) are reserved. */
	put64(0x1000, 0x2000 | P | RW | (1ull << 40));
	ck_assert(!tr(&r64, 0x40001234, 0));
	ck_assert_uint_eq(res.error_code, 9);
}
END_TEST

START_TEST(paging4_non_canonical_is_not_a_page_fault)
{
	map4(P | RW | US);
	ck_assert(!tr(&r64, 0x0000800000000000ull, 0));
	ck_assert(res.bus_error);
	ck_assert(tr(&r64, 0x5000, 0));
}
END_TEST

START_TEST(walk_without_ad_leaves_memory_alone)
{
	map4(P | RW | US);
	uint8_t before[MEM];
	memcpy(before, mem, MEM);
	ck_assert(mmu_x86_translate(&r64, phys, NULL, 0x5000, MMU_ACC_WRITE, 0, &res));
	ck_assert(memcmp(before, mem, MEM) == 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mmu-x86");
	TCase *tc = tcase_create("sdm");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, paging32_walk_rights_and_ad);
	tcase_add_test(tc, paging32_rights_combine_over_levels);
	tcase_add_test(tc, paging32_4mib_pages_and_reserved_bits);
	tcase_add_test(tc, paging4_walk_xd_and_id_bit);
	tcase_add_test(tc, paging4_large_pages_and_reserved_bits);
	tcase_add_test(tc, paging4_non_canonical_is_not_a_page_fault);
	tcase_add_test(tc, walk_without_ad_leaves_memory_alone);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
