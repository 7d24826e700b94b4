/*
 * The TLB contract on every ISA: address-space identifiers (ASIDs, PCIDs)
 * that let a switch keep the TLB, and break-before-make where the ISA
 * requires it (aarch64). Built twice: as it is, and (PLANTED_COW_NO_BBM)
 * against an mm-core with the planted bug MM_PLANT_COW_NO_BBM, where the
 * break-before-make checker must catch the COW break that writes its new
 * entry over the old one in place.
 */
#include <check.h>
#include <string.h>

#include <arch/pte.h>
#include <mm/mm.h>
#include <sim/sim.h>

#include "helpers.h"

#define PAGE_MASK (ARCH_PAGE_SIZE - 1)

/* A machine whose spaces get identifiers (1 .. @asids - 1; 0: none), on
 * any ISA, with the stale-TLB checker on every hit or not. */
static struct sim *machine(uint32_t asids, bool check_stale)
{
	struct sim_config cfg = sim_config_default();
	cfg.quiet = true;
	cfg.asids = asids;
	cfg.check_stale = check_stale;
	test_highmem(&cfg);
	struct sim *m = NULL;
	ck_assert_int_eq(sim_create(&cfg, &m), 0);
	return m;
}

static struct sim *asid_machine(uint32_t asids)
{
	return machine(asids, true);
}

static mm_paddr_t translate(struct sim *m, mm_vaddr_t va, unsigned flags)
{
	mm_paddr_t pa = 0;
	ck_assert_int_eq(sim_access(m, va, flags, &pa, NULL), 0);
	return pa;
}

/* ---- address-space identifiers ------------------------------------------- */

START_TEST(switch_keeps_tagged_entries)
{
	if (sim_asids_max() < 256)
		return; /* an ISA without identifiers (i386) */
	struct sim *m = asid_machine(256);
	struct mm_sys *y = sim_sys(m);
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(y, &a), 0);
	ck_assert_int_eq(mm_space_create(y, &b), 0);
	ck_assert_uint_ne(a.asid, 0);
	ck_assert_uint_ne(b.asid, 0);
	ck_assert_uint_ne(a.asid, b.asid);
	ck_assert_int_eq(mm_map(&a, UVA, 1, RW), 0);
	ck_assert_int_eq(mm_map(&b, UVA, 1, RW), 0);
	mm_space_activate(&a);
	mm_paddr_t pa_a = translate(m, UVA, SIM_USER);
	mm_space_activate(&b);
	mm_paddr_t pa_b = translate(m, UVA, SIM_USER);
	ck_assert_uint_ne(pa_a, pa_b);
	/* Back to a: its entry is still there, tagged, and b's is not used. */
	uint64_t hits = sim_stats(m)->tlb_hits, flushes = sim_stats(m)->flushes;
	mm_space_activate(&a);
	ck_assert_uint_eq(translate(m, UVA, SIM_USER), pa_a);
	ck_assert_uint_eq(sim_stats(m)->tlb_hits, hits + 1);
	ck_assert_uint_eq(sim_stats(m)->flushes, flushes);
	ck_assert_uint_eq(sim_stats(m)->stale, 0);
	mm_space_activate(mm_sys_kernel_space(y));
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	ck_assert_int_eq(mm_space_destroy(&b), 0);
	sim_destroy(m);
}
END_TEST

/* A switch between tagged spaces, right after a translation: the one
 * remembered in front of the TLB must not serve the next space. */
START_TEST(switch_forgets_the_last_translation)
{
	if (sim_asids_max() < 256)
		return;                      /* an ISA without identifiers (i386) */
	struct sim *m = machine(256, false); /* the fast path in front of the TLB */
	struct mm_sys *y = sim_sys(m);
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(y, &a), 0);
	ck_assert_int_eq(mm_space_create(y, &b), 0);
	ck_assert_int_eq(mm_map(&a, UVA, 1, RW), 0);
	ck_assert_int_eq(mm_map(&b, UVA, 1, RW), 0);
	struct mm_mapping qa, qb;
	ck_assert_int_eq(mm_query(&a, UVA, &qa), 0);
	ck_assert_int_eq(mm_query(&b, UVA, &qb), 0);
	mm_space_activate(&a);
	ck_assert_uint_eq(translate(m, UVA, SIM_USER), qa.pa);
	ck_assert_uint_eq(translate(m, UVA, SIM_USER), qa.pa);
	mm_space_activate(&b);
	ck_assert_uint_eq(translate(m, UVA, SIM_USER), qb.pa);
	mm_space_activate(mm_sys_kernel_space(y));
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	ck_assert_int_eq(mm_space_destroy(&b), 0);
	sim_destroy(m);
}
END_TEST

/* Spaces without identifiers mapping one address to different frames:
 * a switch drops the old space's entries, which is no break-before-make
 * violation, and a kernel-half flush of every identifier drops them all. */
START_TEST(untagged_switches_are_no_violation)
{
	struct sim *m = machine(0, true);
	struct mm_sys *y = sim_sys(m);
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(y, &a), 0);
	ck_assert_int_eq(mm_space_create(y, &b), 0);
	ck_assert_int_eq(mm_map(&a, UVA, 1, RW), 0);
	ck_assert_int_eq(mm_map(&b, UVA, 1, RW), 0);
	mm_space_activate(&a);
	translate(m, UVA, SIM_USER);
	mm_space_activate(&b);
	translate(m, UVA, SIM_USER);
	mm_space_activate(&a);
	translate(m, UVA, SIM_USER); /* cached again, for the flush below */
	ck_assert_uint_eq(sim_stats(m)->bbm, 0);
	ck_assert_uint_eq(sim_stats(m)->stale, 0);
	uint64_t misses = sim_stats(m)->tlb_misses;
	y->ops->flush_all(y->mach, MM_ASID_ALL);
	translate(m, UVA, SIM_USER);
	ck_assert_uint_eq(sim_stats(m)->tlb_misses, misses + 1);
	mm_space_activate(mm_sys_kernel_space(y));
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	ck_assert_int_eq(mm_space_destroy(&b), 0);
	sim_destroy(m);
}
END_TEST

START_TEST(untagged_switch_drops_entries)
{
	struct sim *m = machine(0, true);
	struct mm_sys *y = sim_sys(m);
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(y, &a), 0);
	ck_assert_int_eq(mm_space_create(y, &b), 0);
	ck_assert_uint_eq(a.asid, 0);
	ck_assert_int_eq(mm_map(&a, UVA, 1, RW), 0);
	mm_space_activate(&a);
	translate(m, UVA, SIM_USER);
	mm_space_activate(&b);
	mm_space_activate(&a);
	uint64_t misses = sim_stats(m)->tlb_misses;
	translate(m, UVA, SIM_USER);
	ck_assert_uint_eq(sim_stats(m)->tlb_misses, misses + 1);
	mm_space_activate(mm_sys_kernel_space(y));
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	ck_assert_int_eq(mm_space_destroy(&b), 0);
	sim_destroy(m);
}
END_TEST

/* A change to a space that is not active is invalidated by its identifier:
 * its tagged entries outlive the switch away from it. */
START_TEST(inactive_space_change_is_invalidated)
{
	if (sim_asids_max() < 256)
		return; /* an ISA without identifiers (i386) */
	struct sim *m = asid_machine(256);
	struct mm_sys *y = sim_sys(m);
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(y, &a), 0);
	ck_assert_int_eq(mm_space_create(y, &b), 0);
	ck_assert_int_eq(mm_map(&a, UVA, 2, RW), 0);
	mm_space_activate(&a);
	translate(m, UVA, SIM_USER | SIM_WRITE); /* a writable entry, tagged a */
	translate(m, UVA + PAGE, SIM_USER | SIM_WRITE);
	mm_space_activate(&b);
	uint64_t invl = sim_stats(m)->invlpg;
	ck_assert_int_eq(mm_protect(&a, UVA, 1, RO), 0);
	ck_assert_uint_gt(sim_stats(m)->invlpg, invl);
	mm_space_activate(&a);
	struct sim_fault f;
	mm_paddr_t pa;
	ck_assert_int_eq(sim_access(m, UVA, SIM_USER | SIM_WRITE, &pa, &f), -MM_EFAULT);
	ck_assert(f.page_fault && (f.error_code & SIM_PF_P));
	ck_assert_uint_eq(sim_stats(m)->stale, 0);
	/* The same downgrade with its invalidation lost: the stale-TLB
	 * checker names the page when a hit uses the old writable entry. */
	mm_space_activate(&b);
	sim_drop_invalidations(m, 1);
	ck_assert_int_eq(mm_protect(&a, UVA + PAGE, 1, RO), 0);
	mm_space_activate(&a);
	char msg[256];
	ck_assert_int_eq(sim_check(m, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "stale TLB entry"));
	ck_assert_int_eq(sim_access(m, UVA + PAGE, SIM_USER | SIM_WRITE, &pa, NULL), 0);
	ck_assert_uint_eq(sim_stats(m)->stale, 1);
	ck_assert_uint_eq(sim_stats(m)->last_stale_va, UVA + PAGE);
	sim_tlb_flush(m);
	mm_space_activate(mm_sys_kernel_space(y));
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	ck_assert_int_eq(mm_space_destroy(&b), 0);
	sim_destroy(m);
}
END_TEST

/* Destroying a space flushes its identifier before giving it again: the
 * next space with it never sees the old translations. When every
 * identifier is taken a space gets 0 and still works. */
START_TEST(destroy_flushes_then_reuses)
{
	if (sim_asids_max() < 256)
		return;                  /* an ISA without identifiers (i386) */
	struct sim *m = asid_machine(3); /* identifiers 1 and 2 */
	struct mm_sys *y = sim_sys(m);
	static struct mm_space a, b, c, d;
	ck_assert_int_eq(mm_space_create(y, &a), 0);
	ck_assert_int_eq(mm_space_create(y, &b), 0);
	ck_assert_int_eq(mm_space_create(y, &c), 0);
	ck_assert_uint_eq(a.asid + b.asid, 3);
	ck_assert_uint_eq(c.asid, 0);
	ck_assert_int_eq(mm_map(&a, UVA, 1, RW), 0);
	ck_assert_int_eq(mm_map(&c, UVA, 1, RW), 0);
	mm_space_activate(&a);
	mm_paddr_t old = translate(m, UVA, SIM_USER);
	mm_space_activate(&c);
	translate(m, UVA, SIM_USER);
	mm_space_activate(&b);
	uint32_t id = a.asid;
	uint64_t flushes = sim_stats(m)->flushes;
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	ck_assert_uint_eq(sim_stats(m)->flushes, flushes + 1);
	/* a's frame is taken, so that d's page is another frame: a TLB entry
	 * left over from a would translate to the wrong one. */
	mm_paddr_t hold;
	ck_assert_int_eq(mm_sys_frame_alloc(y, MM_FRAME_USER, true, &hold), 0);
	ck_assert_int_eq(mm_space_create(y, &d), 0);
	ck_assert_uint_eq(d.asid, id);
	ck_assert_int_eq(mm_map(&d, UVA, 1, RW), 0);
	struct mm_mapping q;
	ck_assert_int_eq(mm_query(&d, UVA, &q), 0);
	ck_assert_uint_ne(q.pa, old);
	mm_space_activate(&d);
	ck_assert_uint_eq(translate(m, UVA, SIM_USER), q.pa);
	ck_assert_uint_eq(sim_stats(m)->stale, 0);
	mm_sys_frame_put(y, hold);
	mm_space_activate(mm_sys_kernel_space(y));
	ck_assert_int_eq(mm_space_destroy(&b), 0);
	ck_assert_int_eq(mm_space_destroy(&c), 0);
	ck_assert_int_eq(mm_space_destroy(&d), 0);
	ck_assert_int_eq(mm_sys_fini(y), 0);
	sim_destroy(m);
}
END_TEST

START_TEST(set_asids_errors)
{
	struct sim *m = machine(0, true);
	struct mm_sys *y = sim_sys(m);
	ck_assert_int_eq(mm_sys_set_asids(y, 1), -MM_EINVAL);
	static struct mm_space a;
	ck_assert_int_eq(mm_space_create(y, &a), 0);
	ck_assert_int_eq(mm_sys_set_asids(y, 16), -MM_EBUSY);
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	ck_assert_int_eq(mm_sys_set_asids(y, 16), 0);
	ck_assert_int_eq(mm_sys_set_asids(y, 16), -MM_EBUSY);
	sim_destroy(m);
}
END_TEST

/* ---- break-before-make --------------------------------------------------- */

/* The page-table entry that maps @va in @s (a leaf-table walk). */
struct find_leaf {
	mm_vaddr_t va;
	mm_paddr_t table;
};

static int find_leaf_table(void *ctx, const struct mm_walk_entry *e)
{
	struct find_leaf *f = ctx;
	if (e->level == 1 && !e->leaf && f->va >= e->va &&
	    f->va - e->va < (UINT64_C(1) << arch_level_shift(1)))
		f->table = e->pa;
	return 0;
}

static arch_pte_t *leaf_of(struct sim *m, struct mm_space *s, mm_vaddr_t va)
{
	struct find_leaf f = { .va = va };
	ck_assert_int_eq(mm_space_walk(s, false, find_leaf_table, &f), 0);
	ck_assert_uint_ne(f.table, 0);
	arch_pte_t *t = sim_phys(m, f.table, ARCH_PAGE_SIZE);
	ck_assert_ptr_nonnull(t);
	return &t[arch_pte_index(va, 0)];
}

/*
 * A COW break on a page the TLB holds, through a user write. Correct
 * mm-core breaks before it makes wherever the format says the change needs
 * it; the planted build writes the new entry over the old and must be
 * caught by the checker on exactly those ISAs, naming the page.
 */
START_TEST(cow_break_breaks_before_make)
{
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mm_map(&a, UVA, 2, RW), 0);
	mm_space_activate(&a);
	ck_assert_int_eq(dwrite(UVA, 11), 0);
	ck_assert_int_eq(mm_space_clone(&a, &b, MM_CLONE_COW), 0);
	struct mm_mapping before, after;
	ck_assert_int_eq(mm_query(&a, UVA, &before), 0);
	ck_assert(before.cow);
	ck_assert_uint_eq(dread(UVA), 11); /* the TLB holds the read-only COW entry */
	uint64_t invl = sim_stats(sim)->invlpg;
	ck_assert_int_eq(dwrite(UVA, 22), 0); /* COW break: a copy */
	/* One invalidation per break on every ISA: after the new entry, or
	 * (break-before-make, no cached invalid entries) between the two. */
	ck_assert_uint_eq(sim_stats(sim)->invlpg, invl + 1);
	ck_assert_int_eq(mm_query(&a, UVA, &after), 0);
	ck_assert_uint_ne(after.pa, before.pa);
	ck_assert_uint_eq(dread(UVA), 22);
	bool needs = arch_pte_needs_bbm(arch_pte_leaf(before.pa & ~(uint64_t)PAGE_MASK, RO),
	                                arch_pte_leaf(after.pa & ~(uint64_t)PAGE_MASK, RW));
	const struct sim_stats *st = sim_stats(sim);
#ifdef PLANTED_COW_NO_BBM
	ck_assert_uint_eq(st->bbm, needs ? 1 : 0);
	if (needs)
		ck_assert_uint_eq(st->last_bbm_va, UVA);
#else
	(void)needs;
	ck_assert_uint_eq(st->bbm, 0);
#endif
	ck_assert_uint_eq(st->stale, 0);
	/* b still sees the old value. */
	mm_space_activate(&b);
	ck_assert_uint_eq(dread(UVA), 11);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	ck_assert_int_eq(mm_space_destroy(&b), 0);
}
END_TEST

/*
 * The checker itself, on a hand-made violation: the output address of a
 * valid leaf the TLB holds is changed in place, then invalidated (the
 * sequence x86 and RISC-V allow). On an ISA that requires
 * break-before-make the invalidation finds the TLB entry pointing at
 * another frame than the tables now do, and reports the page; elsewhere
 * nothing is reported.
 */
START_TEST(bbm_checker_names_an_in_place_change)
{
	static struct mm_space a;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mm_map(&a, UVA, 2, RW), 0);
	mm_space_activate(&a);
	ck_assert_int_eq(dwrite(UVA, 1), 0);
	ck_assert_int_eq(dwrite(UVA + PAGE, 2), 0);
	arch_pte_t *e0 = leaf_of(sim, &a, UVA), *e1 = leaf_of(sim, &a, UVA + PAGE);
	arch_pte_t old0 = *e0, old1 = *e1;
	/* Swap the two pages' frames in place, no invalid entry between. */
	arch_pte_t new0 = arch_pte_leaf(arch_pte_paddr(old1), RW);
	bool needs = arch_pte_needs_bbm(old0, new0);
	arch_pte_store(e0, new0);
	arch_pte_store(e1, arch_pte_leaf(arch_pte_paddr(old0), RW));
	sys->ops->invalidate_page(sys->mach, a.asid, UVA);
	ck_assert_uint_eq(sim_stats(sim)->bbm, needs ? 1 : 0);
	if (needs)
		ck_assert_uint_eq(sim_stats(sim)->last_bbm_va, UVA);
	/* The second page's entry is still cached: a checked hit finds it. */
	uint64_t v;
	struct sim_fault f;
	ck_assert_int_eq(sim_read(sim, UVA + PAGE, &v, sizeof(v), SIM_USER, &f), 0);
	ck_assert_uint_eq(sim_stats(sim)->bbm, needs ? 2 : 0);
	/* Put it back the right way: invalid, invalidate, then the entry. */
	arch_pte_store(e0, 0);
	arch_pte_store(e1, 0);
	sys->ops->flush_all(sys->mach, a.asid);
	arch_pte_store(e0, old0);
	arch_pte_store(e1, old1);
	ck_assert_uint_eq(sim_stats(sim)->bbm, needs ? 2 : 0);
	ck_assert_uint_eq(dread(UVA), 1);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&a), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tlb");
	TCase *tc = tcase_create("asid");
	tcase_add_test(tc, switch_keeps_tagged_entries);
	tcase_add_test(tc, untagged_switch_drops_entries);
	tcase_add_test(tc, switch_forgets_the_last_translation);
	tcase_add_test(tc, untagged_switches_are_no_violation);
	tcase_add_test(tc, inactive_space_change_is_invalidated);
	tcase_add_test(tc, destroy_flushes_then_reuses);
	tcase_add_test(tc, set_asids_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("bbm");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cow_break_breaks_before_make);
	tcase_add_test(tc, bbm_checker_names_an_in_place_change);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
