/*
 * PTE-format conformance, run for each ISA: the arch layer's encoders and
 * decoders as round-trip properties (in the spirit of Linux's
 * mm/debug_vm_pgtable.c), and agreement with the independent MMU model.
 */
#include "helpers.h"

/* Physical addresses to try: low, high, every single address bit. */
static mm_paddr_t sample_pa(unsigned i)
{
	if (i < ARCH_PA_BITS - ARCH_PAGE_SHIFT)
		return UINT64_C(1) << (ARCH_PAGE_SHIFT + i);
	if (i == ARCH_PA_BITS - ARCH_PAGE_SHIFT)
		return ((UINT64_C(1) << ARCH_PA_BITS) - 1) & ~(PAGE - 1); /* highest frame */
	return PAGE * i * 7919u;                                          /* assorted */
}
#define NSAMPLES (ARCH_PA_BITS - ARCH_PAGE_SHIFT + 40)

START_TEST(leaf_round_trip)
{
	/* decode(encode(pa, prot)) == (pa, effective(prot)) for every prot. */
	for (unsigned prot = 0; prot <= MM_PROT_ALL; prot++) {
		if (!arch_prot_is_valid(prot))
			continue;
		for (unsigned i = 0; i < NSAMPLES; i++) {
			mm_paddr_t pa = sample_pa(i);
			ck_assert(arch_pa_is_valid(pa));
			arch_pte_t e = arch_pte_leaf(pa, prot);
			ck_assert(arch_pte_is_present(e));
			ck_assert(arch_pte_is_leaf(e, 0));
			ck_assert_uint_eq(arch_pte_paddr(e), pa);
			ck_assert_uint_eq(arch_pte_prot(e), arch_prot_effective(prot));
			ck_assert(!arch_pte_is_cow(e));
			/* The COW bit round-trips and touches nothing else. */
			arch_pte_t c = arch_pte_with_cow(e, true);
			ck_assert(arch_pte_is_cow(c));
			ck_assert_uint_eq(arch_pte_paddr(c), pa);
			ck_assert_uint_eq(arch_pte_prot(c), arch_pte_prot(e));
			ck_assert(arch_pte_with_cow(c, false) == e);
			/* So does the shared bit, independently of the COW bit. */
			ck_assert(!arch_pte_is_shared(e));
			arch_pte_t sh = arch_pte_with_shared(e, true);
			ck_assert(arch_pte_is_shared(sh) && !arch_pte_is_cow(sh));
			ck_assert_uint_eq(arch_pte_paddr(sh), pa);
			ck_assert_uint_eq(arch_pte_prot(sh), arch_pte_prot(e));
			ck_assert(arch_pte_is_cow(arch_pte_with_shared(c, true)));
			ck_assert(arch_pte_is_shared(arch_pte_with_cow(sh, true)));
			ck_assert(arch_pte_with_shared(sh, false) == e);
			/* PROT_NONE: not present, frame and shared mark kept, no COW. */
			arch_pte_t pn = arch_pte_to_protnone(c);
			ck_assert(!arch_pte_is_present(pn) && arch_pte_is_protnone(pn));
			ck_assert_uint_eq(arch_pte_paddr(pn), pa);
			ck_assert(!arch_pte_is_cow(pn));
			ck_assert(!arch_pte_is_protnone(e) && !arch_pte_is_protnone(c));
			ck_assert(!arch_pte_is_protnone(0));
			ck_assert(arch_pte_from_protnone(pn, prot) == e);
			ck_assert(arch_pte_is_shared(arch_pte_to_protnone(sh)));
			ck_assert(arch_pte_from_protnone(arch_pte_to_protnone(sh), prot) == sh);
			/* Changing protections keeps the frame and the COW bit. */
			for (unsigned p2 = 0; p2 <= MM_PROT_ALL; p2++) {
				if (!arch_prot_is_valid(p2))
					continue;
				arch_pte_t f = arch_pte_with_prot(c, p2);
				ck_assert_uint_eq(arch_pte_paddr(f), pa);
				ck_assert_uint_eq(arch_pte_prot(f), arch_prot_effective(p2));
				ck_assert(arch_pte_is_cow(f));
				ck_assert(arch_pte_with_prot(arch_pte_leaf(pa, p2), prot) == e);
			}
		}
	}
}
END_TEST

START_TEST(effective_prot_is_idempotent_and_monotonic)
{
	for (unsigned prot = 0; prot <= MM_PROT_ALL; prot++) {
		if (!arch_prot_is_valid(prot))
			continue;
		unsigned eff = arch_prot_effective(prot);
		ck_assert_uint_eq(arch_prot_effective(eff), eff);
		ck_assert_uint_eq(eff & prot, prot); /* never grants less than asked */
		ck_assert(eff & MM_PROT_READ);
	}
	ck_assert(!arch_prot_is_valid(0));
	ck_assert(!arch_prot_is_valid(MM_PROT_WRITE));
	ck_assert(!arch_prot_is_valid(MM_PROT_ALL + 1));
}
END_TEST

START_TEST(table_round_trip)
{
	for (unsigned i = 0; i < NSAMPLES; i++) {
		mm_paddr_t pa = sample_pa(i);
		for (unsigned level = 1; level < ARCH_LEVELS; level++) {
			for (int user = 0; user < 2; user++) {
				arch_pte_t e = arch_pte_table(pa, level, user);
				ck_assert(arch_pte_is_present(e));
				ck_assert(!arch_pte_is_leaf(e, level));
				ck_assert_uint_eq(arch_pte_paddr(e), pa);
			}
		}
	}
	ck_assert(!arch_pte_is_present(0));
}
END_TEST

START_TEST(geometry)
{
	ck_assert_uint_eq(PAGE, 4096);
	ck_assert_uint_eq(ARCH_ENTRIES * sizeof(arch_pte_t), PAGE); /* a table is a page */
	/* The levels cover exactly the VA bits (the root may decode fewer
	 * bits than a table: x86 PAE's four PDPTEs). */
	ck_assert_uint_eq(arch_level_shift(ARCH_LEVELS - 1) + ARCH_ROOT_INDEX_BITS, ARCH_VA_BITS);
	ck_assert_uint_eq(ARCH_ROOT_ENTRIES, 1u << ARCH_ROOT_INDEX_BITS);
	ck_assert_uint_le(ARCH_ROOT_ENTRIES, ARCH_ENTRIES);
	ck_assert_uint_lt(ARCH_KERNEL_FIRST_SLOT, ARCH_ROOT_ENTRIES);
	/* The kernel half starts at the first shared root slot. */
	ck_assert_uint_eq(arch_pte_index(ARCH_KERNEL_BASE, ARCH_LEVELS - 1),
	                  ARCH_KERNEL_FIRST_SLOT);
	ck_assert_uint_eq(arch_pte_index(ARCH_USER_END - 1, ARCH_LEVELS - 1),
	                  ARCH_KERNEL_FIRST_SLOT - 1);
	ck_assert(arch_va_is_canonical(0));
	ck_assert(arch_va_is_canonical(ARCH_USER_END - 1));
	ck_assert(arch_va_is_canonical(ARCH_KERNEL_BASE));
	ck_assert(arch_va_is_canonical(ARCH_KERNEL_BASE | (ARCH_KERNEL_BASE - ARCH_USER_END) |
	                               (PAGE - 1)));
	ck_assert(!arch_va_is_canonical(UINT64_C(1) << ARCH_VA_BITS));
	ck_assert(!arch_pa_is_valid(PAGE + 1));
	ck_assert(!arch_pa_is_valid(UINT64_C(1) << ARCH_PA_BITS));
}
END_TEST

START_TEST(index_composition)
{
	/* Indices at every level, re-assembled, give back the page address. */
	uint64_t seed = 12345;
	for (int n = 0; n < 10000; n++) {
		mm_vaddr_t va = rnd(&seed) & ((UINT64_C(1) << ARCH_VA_BITS) - 1) & ~(PAGE - 1);
		mm_vaddr_t back = 0;
		for (unsigned l = 0; l < ARCH_LEVELS; l++) {
			unsigned i = arch_pte_index(va, l);
			unsigned entries = ARCH_ENTRIES; /* the root's may be fewer (PAE) */
			if (l == ARCH_LEVELS - 1)
				entries = ARCH_ROOT_ENTRIES;
			ck_assert_uint_lt(i, entries);
			back |= (mm_vaddr_t)i << arch_level_shift(l);
		}
		ck_assert_uint_eq(back, va);
		/* Canonical form is a fixed point and keeps the indices. */
		mm_vaddr_t c = arch_va_canonical(va);
		ck_assert(arch_va_is_canonical(c));
		ck_assert_uint_eq(arch_va_canonical(c), c);
		for (unsigned l = 0; l < ARCH_LEVELS; l++)
			ck_assert_uint_eq(arch_pte_index(c, l), arch_pte_index(va, l));
		ck_assert_uint_eq(c < ARCH_USER_END,
		                  arch_pte_index(va, ARCH_LEVELS - 1) < ARCH_KERNEL_FIRST_SLOT);
	}
}
END_TEST

/*
 * The oracle: for every protection and every access kind, the MMU model
 * (written from the SDM, not from <arch/pte.h>) allows the access exactly
 * when the protections mm-core reports allow it.
 */
START_TEST(mmu_agrees_with_format)
{
	struct sim *sim = new_sim();
	struct mm_sys *sys = sim_sys(sim);
	struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_space_activate(&s);
	mm_vaddr_t va = UVA;
	for (unsigned prot = 0; prot <= MM_PROT_ALL; prot++) {
		if (!arch_prot_is_valid(prot))
			continue;
		ck_assert_int_eq(mm_map(&s, va, 1, prot), 0);
		struct mm_mapping m;
		ck_assert_int_eq(mm_query(&s, va, &m), 0);
		ck_assert_uint_eq(m.prot, arch_prot_effective(prot));
		for (unsigned acc = 0; acc < 8; acc++) {
			bool user = acc & SIM_USER, write = acc & SIM_WRITE,
			     fetch = acc & SIM_FETCH;
			if (write && fetch)
				continue;
			/* Supervisor access to user pages is the machine's policy
			 * (x86 SMEP/SMAP, RISC-V sstatus.SUM), not the format's. */
			if (!user && (m.prot & MM_PROT_USER))
				continue;
			bool want = (!user || (m.prot & MM_PROT_USER)) &&
			            (!write || (m.prot & MM_PROT_WRITE)) &&
			            (!fetch || (m.prot & MM_PROT_EXEC));
			mm_paddr_t pa;
			struct sim_fault f;
			int rc = sim_access(sim, va + 8, acc, &pa, &f);
			ck_assert_msg((rc == 0) == want, "prot %#x access %#x: mmu says %d", prot,
			              acc, rc);
			if (rc == 0)
				ck_assert_uint_eq(pa, m.pa + 8);
			else
				ck_assert(f.page_fault && (f.error_code & SIM_PF_P));
		}
		va += PAGE;
	}
	assert_invariants(sim);
	mm_space_activate(mm_sys_kernel_space(sys));
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	sim_destroy(sim);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pte-" ARCH_NAME);
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, leaf_round_trip);
	tcase_add_test(tc, effective_prot_is_idempotent_and_monotonic);
	tcase_add_test(tc, table_round_trip);
	tcase_add_test(tc, geometry);
	tcase_add_test(tc, index_composition);
	tcase_add_test(tc, mmu_agrees_with_format);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
