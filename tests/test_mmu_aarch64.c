/*
 * The aarch64 MMU model itself (arch/aarch64/sim/mmu_aarch64.c), on
 * hand-built VMSAv8-64 tables: the oracle is only as good as its own tests.
 * Descriptor bits are written out as the Arm ARM gives them (D8,
 * "Translation table descriptor formats"); ESR_EL1 values as D17 gives
 * them. Nothing here uses mm-core or <arch/pte.h>.
 */
#include "mmu_aarch64.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* The manual's descriptor bits, written out independently of the model. */
#define VALID     0x1ull
#define TABLE     0x2ull /* levels 0-2: table; level 3: page */
#define PAGE      0x3ull /* a level 3 page descriptor: bits[1:0] = 11 */
#define BLOCK     0x1ull /* a level 1/2 block: bits[1:0] = 01 */
#define AP_EL0    (1ull << 6)
#define AP_RO     (1ull << 7)
#define AF        (1ull << 10)
#define NG        (1ull << 11)
#define PXN       (1ull << 53)
#define UXN       (1ull << 54)
#define PXNTABLE  (1ull << 59)
#define UXNTABLE  (1ull << 60)
#define APT_NOEL0 (1ull << 61)
#define APT_RO    (1ull << 62)

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

enum { RD = 0, WR = MMU_A64_ACC_WRITE, EL0 = MMU_A64_ACC_EL0, FX = MMU_A64_ACC_FETCH };

static struct mmu_a64_regs regs;
static struct mmu_a64_result res;

/* User tables: TTBR0 root 0x1000 -> L1 0x2000 -> L2 0x3000 -> L3 0x4000.
 * Kernel tables: TTBR1 root 0x5000 -> 0x6000 -> 0x7000 -> 0x8000. */
#define UVA   0x0000000000403000ull /* L0 0, L1 0, L2 2, L3 3 */
#define KVA   0xFFFF800000201000ull /* L0 256, L1 0, L2 1, L3 1 */
#define FRAME 0x20000ull

static uint64_t l3_slot(void)
{
	return 0x4000 + 3 * 8;
}

static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	regs = (struct mmu_a64_regs){ .ttbr0 = 0x1000, .ttbr1 = 0x5000, .pa_bits = 48 };
	put(0x1000 + 0 * 8, 0x2000 | VALID | TABLE);
	put(0x2000 + 0 * 8, 0x3000 | VALID | TABLE);
	put(0x3000 + 2 * 8, 0x4000 | VALID | TABLE);
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0 | NG | PXN);
	put(0x5000 + 256 * 8, 0x6000 | VALID | TABLE);
	put(0x6000 + 0 * 8, 0x7000 | VALID | TABLE);
	put(0x7000 + 1 * 8, 0x8000 | VALID | TABLE);
	put(0x8000 + 1 * 8, 0x30000 | PAGE | AF | UXN);
}

static bool tr(uint64_t va, unsigned acc)
{
	return mmu_a64_translate(&regs, phys, NULL, va, acc, 0, &res);
}

/* ESR_EL1 as D17 lays it out: EC[31:26], IL[25], WnR[6], xFSC[5:0]. */
static uint32_t esr(uint32_t ec, bool wnr, uint32_t fsc)
{
	return ec << 26 | 1u << 25 | (wnr ? 1u << 6 : 0) | fsc;
}

START_TEST(page_walk_from_ttbr0)
{
	ck_assert(tr(UVA + 0x123, EL0));
	ck_assert_uint_eq(res.pa, FRAME + 0x123);
	ck_assert_uint_eq(res.page_size, 4096);
	ck_assert_uint_eq(res.page_base_va, UVA);
	ck_assert_uint_eq(res.levels, 4);
	ck_assert(!res.global);
	ck_assert(tr(UVA + 8, EL0 | WR));
}
END_TEST

START_TEST(kernel_half_from_ttbr1)
{
	ck_assert(tr(KVA + 0x40, RD));
	ck_assert_uint_eq(res.pa, 0x30040);
	ck_assert(res.global);
	ck_assert(tr(KVA, FX));
	/* Not from EL0: AP[1] is 0 (a Permission fault, level 3). */
	ck_assert(!tr(KVA, EL0));
	ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_DABT_LOWER, false, 0x0F));
	ck_assert_uint_eq(res.far, KVA);
	/* The same index under TTBR0 is a different table (no entry). */
	ck_assert(!tr(KVA & 0x0000FFFFFFFFFFFFull, RD));
	ck_assert_uint_eq(res.fsc, 0x04);
}
END_TEST

START_TEST(address_outside_both_ranges)
{
	uint64_t bad[] = { 0x0001000000000000ull, 0x8000000000000000ull, 0xFFFE000000000000ull };
	for (unsigned i = 0; i < 3; i++) {
		ck_assert(!tr(bad[i], WR));
		/* Translation fault, level 0, from EL1, a write. */
		ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_DABT_CUR, true, 0x04));
		ck_assert_uint_eq(res.far, bad[i]);
		ck_assert(!res.external);
	}
}
END_TEST

START_TEST(translation_fault_at_each_level)
{
	uint64_t slots[] = { 0x1000, 0x2000, 0x3000 + 2 * 8, l3_slot() };
	for (unsigned level = 0; level < 4; level++) {
		setup();
		put(slots[level], get(slots[level]) & ~VALID);
		ck_assert(!tr(UVA, EL0 | FX));
		ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_IABT_LOWER, false, 0x04 + level));
		ck_assert_uint_eq(res.levels, level + 1);
	}
}
END_TEST

START_TEST(blocks_at_levels_1_and_2_only)
{
	/* A 1 GiB block at level 1 (index 1: VA 0x40000000). */
	put(0x2000 + 1 * 8, 0x40000000ull | BLOCK | AF | AP_EL0 | NG);
	ck_assert(tr(0x40000000ull + 0x12345678, EL0));
	ck_assert_uint_eq(res.pa, 0x40000000ull + 0x12345678);
	ck_assert_uint_eq(res.page_size, 1ull << 30);
	ck_assert_uint_eq(res.levels, 2);
	/* A 2 MiB block at level 2 (index 5: VA 0xA00000). */
	put(0x3000 + 5 * 8, 0x1600000ull | BLOCK | AF | AP_EL0 | NG);
	ck_assert(tr(0xA00000ull + 0x1234, EL0));
	ck_assert_uint_eq(res.pa, 0x1600000ull + 0x1234);
	ck_assert_uint_eq(res.page_size, 2ull << 20);
	ck_assert_uint_eq(res.page_base_va, 0xA00000ull);
	/* No block at level 0 with the 4 KiB granule: a Translation fault. */
	put(0x1000 + 1 * 8, BLOCK | AF | AP_EL0);
	ck_assert(!tr(1ull << 39, EL0));
	ck_assert_uint_eq(res.fsc, 0x04);
	/* bits[1:0] = 01 at level 3 is reserved: a Translation fault there. */
	put(l3_slot(), FRAME | BLOCK | AF | AP_EL0);
	ck_assert(!tr(UVA, EL0));
	ck_assert_uint_eq(res.fsc, 0x07);
}
END_TEST

/*
 * AP[2:1] against D8's table of data access permissions:
 *   00: EL1 RW, EL0 none      01: EL1 RW, EL0 RW
 *   10: EL1 RO, EL0 none      11: EL1 RO, EL0 RO
 */
START_TEST(ap_data_permissions)
{
	static const struct {
		uint64_t ap;
		bool el1_r, el1_w, el0_r, el0_w;
	} t[] = {
		{ 0, true, true, false, false },
		{ AP_EL0, true, true, true, true },
		{ AP_RO, true, false, false, false },
		{ AP_RO | AP_EL0, true, false, true, false },
	};
	for (unsigned i = 0; i < 4; i++) {
		put(l3_slot(), FRAME | PAGE | AF | NG | UXN | PXN | t[i].ap);
		ck_assert_int_eq(tr(UVA, RD), t[i].el1_r);
		ck_assert_int_eq(tr(UVA, WR), t[i].el1_w);
		ck_assert_int_eq(tr(UVA, EL0), t[i].el0_r);
		ck_assert_int_eq(tr(UVA, EL0 | WR), t[i].el0_w);
		if (!t[i].el0_w) {
			ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_DABT_LOWER, true, 0x0F));
			ck_assert_uint_eq(res.far, UVA);
		}
	}
}
END_TEST

START_TEST(execute_permissions)
{
	/* UXN governs EL0, PXN EL1. */
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0 | AP_RO);
	ck_assert(tr(UVA, EL0 | FX));
	ck_assert(tr(UVA, FX)); /* read-only at EL0: EL1 may execute it */
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0 | AP_RO | UXN);
	ck_assert(!tr(UVA, EL0 | FX));
	ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_IABT_LOWER, false, 0x0F));
	ck_assert(tr(UVA, FX));
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0 | AP_RO | PXN);
	ck_assert(tr(UVA, EL0 | FX));
	ck_assert(!tr(UVA, FX));
	ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_IABT_CUR, false, 0x0F));
	/* Writable at EL0 (AP 01): never executable at EL1, PXN 0 or not. */
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0);
	ck_assert(tr(UVA, EL0 | FX));
	ck_assert(!tr(UVA, FX));
	/* EL0 execute-only: AP 00 and UXN 0. */
	put(l3_slot(), FRAME | PAGE | AF | PXN);
	ck_assert(tr(UVA, EL0 | FX));
	ck_assert(!tr(UVA, EL0));
}
END_TEST

START_TEST(wxn_and_pan)
{
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0 | AP_RO);
	ck_assert(tr(UVA, EL0 | FX));
	regs.wxn = true;
	ck_assert(tr(UVA, EL0 | FX)); /* read-only: WXN changes nothing */
	put(l3_slot(), FRAME | PAGE | AF);
	ck_assert(!tr(UVA, FX)); /* EL1-writable: not executable anywhere */
	ck_assert(!tr(UVA, EL0 | FX));
	regs.wxn = false;
	ck_assert(tr(UVA, FX));
	/* PAN: EL1 loads and stores to EL0-accessible pages fault. */
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0 | NG | PXN);
	ck_assert(tr(UVA, RD));
	regs.pan = true;
	ck_assert(!tr(UVA, RD));
	ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_DABT_CUR, false, 0x0F));
	ck_assert(tr(UVA, EL0 | WR));
	ck_assert(tr(KVA, WR)); /* a kernel page is no concern of PAN */
}
END_TEST

START_TEST(hierarchical_table_controls)
{
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0);
	/* APTable[0] at level 1's descriptor: no EL0 data access below. */
	put(0x2000, 0x3000 | VALID | TABLE | APT_NOEL0);
	ck_assert(!tr(UVA, EL0));
	ck_assert_uint_eq(res.fsc, 0x0F); /* reported at the leaf's level */
	ck_assert(tr(UVA, WR));
	/* APTable[1]: no writes below, at any EL. */
	put(0x2000, 0x3000 | VALID | TABLE | APT_RO);
	ck_assert(tr(UVA, EL0));
	ck_assert(!tr(UVA, EL0 | WR));
	ck_assert(!tr(UVA, WR));
	/* UXNTable and PXNTable. */
	put(l3_slot(), FRAME | PAGE | AF | AP_EL0 | AP_RO);
	put(0x2000, 0x3000 | VALID | TABLE | UXNTABLE);
	ck_assert(!tr(UVA, EL0 | FX));
	ck_assert(tr(UVA, FX));
	put(0x1000, 0x2000 | VALID | TABLE | PXNTABLE);
	put(0x2000, 0x3000 | VALID | TABLE);
	ck_assert(tr(UVA, EL0 | FX));
	ck_assert(!tr(UVA, FX));
	/* Without the checks (a probe) the rights are reported, not judged. */
	ck_assert(mmu_a64_translate(&regs, phys, NULL, UVA, EL0 | FX, MMU_A64_WALK_NO_CHECK, &res));
	ck_assert(!res.el1_exec && res.el0_exec && res.el0_read && !res.el0_write);
}
END_TEST

START_TEST(access_flag)
{
	put(l3_slot(), FRAME | PAGE | AP_EL0 | NG | PXN);
	ck_assert(!tr(UVA, EL0));
	ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_DABT_LOWER, false, 0x0B));
	/* Checked before permissions: a fetch from an EL1-forbidden page with
	 * AF 0 reports the Access flag. */
	ck_assert(!tr(UVA, FX));
	ck_assert_uint_eq(res.fsc, 0x0B);
	/* With TCR_EL1.HA the walk sets AF, when the access succeeds only. */
	regs.ha = true;
	ck_assert(!mmu_a64_translate(&regs, phys, NULL, UVA, FX, MMU_A64_WALK_SET_AF, &res));
	ck_assert_uint_eq(res.fsc, 0x0F);
	ck_assert_uint_eq(get(l3_slot()) & AF, 0);
	ck_assert(mmu_a64_translate(&regs, phys, NULL, UVA, EL0, MMU_A64_WALK_SET_AF, &res));
	ck_assert_uint_eq(get(l3_slot()) & AF, AF);
	ck_assert(res.af);
	/* A block's AF, at level 2. */
	regs.ha = false;
	put(0x3000 + 5 * 8, 0x1600000ull | BLOCK | AP_EL0);
	ck_assert(!tr(0xA00000ull, EL0));
	ck_assert_uint_eq(res.fsc, 0x0A);
}
END_TEST

START_TEST(address_size_and_external_aborts)
{
	/* An output address beyond a 40-bit IPS: Address size fault at the
	 * level of the descriptor that holds it. */
	regs.pa_bits = 40;
	put(l3_slot(), (1ull << 40) | PAGE | AF | AP_EL0);
	ck_assert(!tr(UVA, EL0));
	ck_assert_uint_eq(res.fsc, 0x03);
	ck_assert(!res.external);
	put(0x3000 + 2 * 8, (1ull << 41) | VALID | TABLE);
	ck_assert(!tr(UVA, EL0));
	ck_assert_uint_eq(res.fsc, 0x02);
	/* A table with no memory behind it: a synchronous External abort on
	 * the walk, at the level of the descriptor that could not be read. */
	regs.pa_bits = 48;
	put(0x3000 + 2 * 8, 0x10000000ull | VALID | TABLE);
	ck_assert(!tr(UVA, EL0 | WR));
	ck_assert(res.external);
	ck_assert_uint_eq(res.esr, esr(MMU_A64_EC_DABT_LOWER, true, 0x17));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mmu-aarch64");
	TCase *tc = tcase_create("walk");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, page_walk_from_ttbr0);
	tcase_add_test(tc, kernel_half_from_ttbr1);
	tcase_add_test(tc, address_outside_both_ranges);
	tcase_add_test(tc, translation_fault_at_each_level);
	tcase_add_test(tc, blocks_at_levels_1_and_2_only);
	tcase_add_test(tc, ap_data_permissions);
	tcase_add_test(tc, execute_permissions);
	tcase_add_test(tc, wxn_and_pan);
	tcase_add_test(tc, hierarchical_table_controls);
	tcase_add_test(tc, access_flag);
	tcase_add_test(tc, address_size_and_external_aborts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
