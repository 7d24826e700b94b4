/*
 * The recursive mapping (-Dtables=recursive): mm-core reaches page tables
 * through a self-map root entry and alternate root entries instead of the
 * direct map. The simulator's table_window hook translates every window
 * address through its MMU model and TLB, so the other suites already run
 * mm-core's window arithmetic against the oracle; these tests check the
 * windows themselves: where they are, who may reach them, and that a
 * missing window invalidation is caught.
 */
#include <mm/mm.h>

#include "helpers.h"

#include <inttypes.h>
#include <stdio.h>

#if !MM_TABLES_RECURSIVE
#error "built only with -Dtables=recursive (tests/meson.build)"
#endif

/* The window address of the table at @level on @va's path under the root
 * in slot @slot of the loaded root (the arch's arithmetic). */
static mm_vaddr_t window(unsigned slot, mm_vaddr_t va, unsigned level)
{
	return arch_recursive_table_va(slot, va, level);
}

START_TEST(every_root_maps_itself_supervisor_only)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	ck_assert_int_eq(mm_map(&s, UVA, 1, RW), 0);
	mm_space_activate(&s);
	/* Through the MMU model: the self entry's window page is the root. */
	const mm_vaddr_t self = window(ARCH_RECURSIVE_SLOT, 0, ARCH_LEVELS - 1);
	mm_paddr_t pa = 0;
	ck_assert_int_eq(sim_access(sim, self, 0, &pa, NULL), 0);
	ck_assert_uint_eq(pa, s.root);
	arch_pte_t e = 0;
	ck_assert_int_eq(sim_read(sim, self + ARCH_RECURSIVE_SLOT * sizeof(arch_pte_t), &e,
	                          sizeof(e), 0, NULL),
	                 0);
	ck_assert_uint_eq(e, arch_recursive_pte(s.root));
	/* The leaf table of UVA, at its window address, holds UVA's entry. */
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&s, UVA, &m), 0);
	ck_assert_int_eq(sim_read(sim,
	                          window(ARCH_RECURSIVE_SLOT, UVA, 0) +
	                                  arch_pte_index(UVA, 0) * sizeof(arch_pte_t),
	                          &e, sizeof(e), 0, NULL),
	                 0);
	ck_assert(arch_pte_is_present(e));
	ck_assert_uint_eq(arch_pte_paddr(e), m.pa);
	/* Ring 3 reaches no window: a protection fault on the self entry. */
	struct sim_fault f;
	ck_assert_int_eq(sim_access(sim, self, SIM_USER, &pa, &f), -MM_EFAULT);
	ck_assert(f.page_fault);
	ck_assert_uint_eq(f.error_code & (SIM_PF_P | SIM_PF_US), SIM_PF_P | SIM_PF_US);
	ck_assert_int_eq(sim_access(sim, window(ARCH_RECURSIVE_SLOT, UVA, 0), SIM_USER, &pa, &f),
	                 -MM_EFAULT);
	ck_assert_uint_eq(f.error_code & SIM_PF_P, SIM_PF_P);
	/* Queries and walks of the kernel half see no window. */
	ck_assert_int_eq(mm_query(mm_sys_kernel_space(sys), self, &m), -MM_ENOENT);
	assert_invariants(sim);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&s), 0);
}
END_TEST

/* A table freed must leave the TLB through its window: drop that one
 * invalidation and the checker finds the window's stale entry. */
START_TEST(freed_table_window_invalidation_is_checked)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_space_activate(&s);
	ck_assert_int_eq(mm_map(&s, UVA, 1, RW), 0); /* a new leaf table, through its window */
	const mm_vaddr_t w = window(ARCH_RECURSIVE_SLOT, UVA, 0);
	/* The leaf table's window is in the TLB: written through it. */
	const uint64_t invlpg = sim_stats(sim)->invlpg;
	ck_assert_int_eq(mm_unmap(&s, UVA, 1), 0);             /* the table is freed */
	ck_assert_uint_eq(sim_stats(sim)->invlpg, invlpg + 2); /* the page and the window */
	assert_invariants(sim);
	/* Again, with the window's invalidation (the first) dropped. */
	ck_assert_int_eq(mm_map(&s, UVA, 1, RW), 0);
	sim_drop_invalidations(sim, 1);
	ck_assert_int_eq(mm_unmap(&s, UVA, 1), 0);
	ck_assert_uint_eq(sim_stats(sim)->dropped_invlpg, 1);
	char msg[256] = "";
	ck_assert_int_eq(sim_check(sim, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "stale TLB entry"));
	char va[32];
	snprintf(va, sizeof(va), "va 0x%" PRIx64 ",", w);
	ck_assert_msg(strstr(msg, va) != NULL, "%s does not name the window %s", msg, va);
	sim_tlb_flush(sim);
	assert_invariants(sim);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&s), 0);
}
END_TEST

/* @n pages of anonymous memory at @va in @s, each written once. */
static int mmap_touched(struct mm_space *s, mm_vaddr_t va, uint64_t n)
{
	mm_vaddr_t out;
	int err = mm_mmap(s, va, n, MM_PROT_READ | MM_PROT_WRITE, MM_MAP_FIXED, &out);
	return err ? err : mm_populate(s, va, n, MM_ACCESS_WRITE);
}

/* Spaces not loaded are reached through the alternate entries: a clone
 * of one inactive space into another needs both at once, and a third
 * space replaces the one used least recently, with a flush. */
START_TEST(inactive_spaces_use_the_alternate_entries)
{
	static struct mm_space a, b, c;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mmap_touched(&a, UVA, 3), 0);
	ck_assert_int_eq(mmap_touched(&a, UVA + 4 * LEAF_SPAN, 2), 0);
	ck_assert_int_eq(mm_space_clone(&a, &b, MM_CLONE_COW), 0); /* kernel loaded */
	ck_assert_uint_eq(sys->rec_alt[0] == a.root || sys->rec_alt[1] == a.root, 1);
	ck_assert_uint_eq(sys->rec_alt[0] == b.root || sys->rec_alt[1] == b.root, 1);
	const uint64_t flushes = sim_stats(sim)->flushes;
	ck_assert_int_eq(mm_space_create(sys, &c), 0); /* replaces one of them */
	ck_assert_uint_eq(sim_stats(sim)->flushes, flushes + 1);
	ck_assert_uint_eq(sys->rec_alt[0] == c.root || sys->rec_alt[1] == c.root, 1);
	/* Each inactive space in turn, a third one evicting: still right. */
	ck_assert_int_eq(mmap_touched(&a, UVA + 8 * LEAF_SPAN, 1), 0);
	ck_assert_int_eq(mmap_touched(&b, UVA + 8 * LEAF_SPAN, 1), 0);
	ck_assert_int_eq(mm_map(&c, UVA, 1, RW), 0);
	ck_assert_int_eq(mm_munmap(&a, UVA + 8 * LEAF_SPAN, 1), 0);
	assert_invariants(sim);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&c), 0);
	/* Loading a space clears the alternate entries of the one it replaces. */
	mm_space_activate(&a);
	ck_assert_uint_eq(sys->rec_alt[0] | sys->rec_alt[1], 0);
	/* A COW break in a, which is loaded; b is not. */
	ck_assert_int_eq(dwrite(UVA, 7), 0);
	ck_assert_uint_eq(dread(UVA), 7);
	mm_space_activate(&b);
	ck_assert_uint_eq(dread(UVA), 0);
	assert_invariants(sim);
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	const mm_paddr_t broot = b.root;
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&b, UVA, &m), 0); /* a read installs b */
	ck_assert_uint_eq(sys->rec_alt[0] == broot || sys->rec_alt[1] == broot, 1);
	ck_assert_int_eq(mm_space_destroy(&b), 0); /* its alternate entry goes with it */
	ck_assert_uint_eq(sys->rec_alt[0] != broot && sys->rec_alt[1] != broot, 1);
	assert_invariants(sim);
}
END_TEST

START_TEST(kernel_map_refuses_the_windows)
{
	mm_paddr_t kf;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &kf), 0);
	const mm_vaddr_t first = (mm_vaddr_t)ARCH_RECURSIVE_FIRST_SLOT
	                         << arch_level_shift(ARCH_LEVELS - 1);
	ck_assert_int_eq(mm_kernel_map(sys, first, kf, 1, MM_PROT_READ), -MM_EFAULT);
	ck_assert_int_eq(mm_kernel_map(sys, first - PAGE, kf, 2, MM_PROT_READ), -MM_EFAULT);
	ck_assert_int_eq(mm_kernel_map(sys, window(ARCH_RECURSIVE_SLOT, 0, 1), kf, 1, MM_PROT_READ),
	                 -MM_EFAULT);
	ck_assert_int_eq(mm_kernel_map(sys, first - PAGE, kf, 1, MM_PROT_READ), 0);
	ck_assert_int_eq(mm_kernel_unmap(sys, first - PAGE, 1), 0);
	mm_sys_frame_put(sys, kf);
	assert_invariants(sim);
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("recursive-" ARCH_NAME);
	TCase *tc = tcase_create("recursive");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_root_maps_itself_supervisor_only);
	tcase_add_test(tc, freed_table_window_invalidation_is_checked);
	tcase_add_test(tc, inactive_spaces_use_the_alternate_entries);
	tcase_add_test(tc, kernel_map_refuses_the_windows);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return run_suite(suite());
}
