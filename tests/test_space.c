/*
 * Address spaces on the simulator, for each ISA: the seeds' isolation
 * tests, the shared kernel half, conservation of frames, the
 * allocation-failure sweep, bad input, and the stale-TLB checker.
 */
#include "helpers.h"

#include <arch/layout.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_VALGRIND 1
#endif
#endif

/* ---- the seeds' three tests --------------------------------------------- */

START_TEST(seed_same_va_different_frames)
{
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mm_space_create(sys, &b), 0);
	ck_assert_int_eq(mm_map(&a, UVA, 1, RW), 0);
	ck_assert_int_eq(mm_map(&b, UVA, 1, RW), 0);
	mm_space_activate(&a);
	ck_assert_int_eq(uwrite64(sim, UVA, 0xAAAA), 0);
	mm_space_activate(&b);
	ck_assert_int_eq(uwrite64(sim, UVA, 0xBBBB), 0);
	uint64_t v;
	mm_space_activate(&a);
	ck_assert_int_eq(uread64(sim, UVA, &v), 0);
	ck_assert_uint_eq(v, 0xAAAA);
	mm_space_activate(&b);
	ck_assert_int_eq(uread64(sim, UVA, &v), 0);
	ck_assert_uint_eq(v, 0xBBBB);
	struct mm_mapping ma, mb;
	ck_assert_int_eq(mm_query(&a, UVA, &ma), 0);
	ck_assert_int_eq(mm_query(&b, UVA, &mb), 0);
	ck_assert_uint_ne(ma.pa, mb.pa);
	ck_assert(ma.dirty && ma.accessed); /* the MMU set A and D */
	assert_invariants(sim);
}
END_TEST

START_TEST(seed_kernel_half_supervisor_only)
{
	/* A kernel frame, reached through the direct map from two spaces. */
	mm_paddr_t kf;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &kf), 0);
	mm_vaddr_t kva = ARCH_DIRECT_MAP_BASE + kf;
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mm_space_create(sys, &b), 0);
	mm_space_activate(&a);
	uint64_t v = 0x5EED, got = 0;
	ck_assert_int_eq(sim_write(sim, kva, &v, 8, 0, NULL), 0); /* supervisor */
	mm_space_activate(&b);
	ck_assert_int_eq(sim_read(sim, kva, &got, 8, 0, NULL), 0);
	ck_assert_uint_eq(got, 0x5EED);
	struct sim_fault f;
	for (int i = 0; i < 2; i++) {
		mm_space_activate(i ? &b : &a);
		ck_assert_int_eq(sim_read(sim, kva, &got, 8, SIM_USER, &f), -MM_EFAULT);
		ck_assert(f.page_fault);
		ck_assert_uint_eq(f.va, kva);
		ck_assert_uint_eq(f.error_code, SIM_PF_P | SIM_PF_US); /* protection, user read */
	}
	kernel_active();
	mm_sys_frame_put(sys, kf);
	assert_invariants(sim);
}
END_TEST

START_TEST(seed_other_space_faults)
{
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mm_space_create(sys, &b), 0);
	ck_assert_int_eq(mm_map(&b, UVA, 1, RW), 0);
	mm_space_activate(&b);
	ck_assert_int_eq(uwrite64(sim, UVA, 42), 0);
	mm_space_activate(&a);
	struct sim_fault f;
	uint64_t v;
	ck_assert_int_eq(sim_read(sim, UVA, &v, 8, SIM_USER, &f), -MM_EFAULT);
	ck_assert(f.page_fault);
	ck_assert_uint_eq(f.error_code, SIM_PF_US); /* not present, user read */
	ck_assert_int_eq(sim_write(sim, UVA, &v, 8, SIM_USER, &f), -MM_EFAULT);
	ck_assert_uint_eq(f.error_code, SIM_PF_US | SIM_PF_WR);
}
END_TEST

/* ---- the kernel half ----------------------------------------------------- */

START_TEST(kernel_half_identical_after_late_mapping)
{
	enum { N = 24 };
	static struct mm_space s[N];
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(mm_space_create(sys, &s[i]), 0);
		ck_assert_int_eq(mm_map(&s[i], UVA + (uint64_t)i * LEAF_SPAN, 1 + i % 3, RW), 0);
	}
	/* A kernel mapping made after the spaces exist, in a part of the
	 * kernel half with no lower tables yet: at the very top. */
	mm_paddr_t kf;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &kf), 0);
	const mm_vaddr_t kva = UINT64_C(0) - 16 * PAGE; /* top of the VA space */
	mm_vaddr_t top = arch_va_is_canonical(kva) ? kva : UINT64_C(0xFFFF0000);
#if MM_TABLES_RECURSIVE
	/* The top is the recursive mapping's windows: no kernel memory. */
	const mm_vaddr_t windows = (mm_vaddr_t)ARCH_RECURSIVE_FIRST_SLOT
	                           << arch_level_shift(ARCH_LEVELS - 1);
	ck_assert_int_eq(mm_kernel_map(sys, top, kf, 1, MM_PROT_READ | MM_PROT_WRITE), -MM_EFAULT);
	ck_assert_int_eq(mm_kernel_map(sys, windows - PAGE, kf, 2, MM_PROT_READ), -MM_EFAULT);
	top = windows - 16 * PAGE; /* the top of the kernel half */
#endif
	uint32_t tables_before = mm_frames_in_use(&sys->frames, MM_FRAME_PT);
	ck_assert_int_eq(mm_kernel_map(sys, top, kf, 1, MM_PROT_READ | MM_PROT_WRITE), 0);
	ck_assert_uint_ge(mm_frames_in_use(&sys->frames, MM_FRAME_PT), tables_before);
	assert_invariants(sim); /* compares every root's kernel half bit for bit */
	for (int i = 0; i < N; i++) {
		struct mm_mapping m;
		ck_assert_int_eq(mm_query(&s[i], top, &m), 0);
		ck_assert_uint_eq(m.pa, kf);
		mm_space_activate(&s[i]);
		uint64_t v = (uint64_t)i, got;
		ck_assert_int_eq(sim_write(sim, top + 8, &v, 8, 0, NULL), 0);
		ck_assert_int_eq(sim_read(sim, top + 8, &got, 8, 0, NULL), 0);
		ck_assert_uint_eq(got, v);
	}
	/* A space created after the mapping sees it too. */
	static struct mm_space late;
	ck_assert_int_eq(mm_space_create(sys, &late), 0);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&late, top, &m), 0);
	ck_assert_uint_eq(m.pa, kf);
	/* Unmapping it is seen everywhere, and frees the tables it needed. */
	ck_assert_int_eq(mm_kernel_unmap(sys, top, 1), 0);
	ck_assert_uint_eq(mm_frames_in_use(&sys->frames, MM_FRAME_PT), tables_before + 1);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(mm_query(&s[i], top, &m), -MM_ENOENT);
	kernel_active();
	mm_sys_frame_put(sys, kf);
	assert_invariants(sim);
}
END_TEST

START_TEST(create_copies_no_user_entry)
{
	/* Seed 002's bug: a new space must not inherit any user entry, not
	 * from the kernel space, not from the active space. */
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mm_map(&a, UVA, 4, RW), 0);
	mm_space_activate(&a);
	ck_assert_int_eq(mm_space_create(sys, &b), 0);
	ck_assert_uint_eq(b.user_pages, 0);
	ck_assert_uint_eq(b.table_pages, 1);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&b, UVA, &m), -MM_ENOENT);
	ck_assert_int_eq(mm_map(&b, UVA, 4, RW), 0); /* no "already mapped" */
	assert_invariants(sim);
}
END_TEST

/* ---- map / unmap / protect / query --------------------------------------- */

START_TEST(unmap_frees_emptied_tables)
{
	static struct mm_space s;
	uint32_t free0 = free_frames(sim);
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	/* Across a leaf-table boundary: two leaf tables at least. */
	mm_vaddr_t va = ((UVA + LEAF_SPAN) & ~(LEAF_SPAN - 1)) - 2 * PAGE;
	ck_assert_int_eq(mm_map(&s, va, 4, RW), 0);
	ck_assert_uint_ge(s.table_pages, 3);
	ck_assert_uint_eq(s.user_pages, 4);
	ck_assert_int_eq(mm_unmap(&s, va, 2), 0); /* empties the first leaf table */
	assert_invariants(sim);
	ck_assert_int_eq(mm_unmap(&s, va + 2 * PAGE, 2), 0);
	ck_assert_uint_eq(s.table_pages, 1); /* only the root is left */
	ck_assert_uint_eq(s.user_pages, 0);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	ck_assert_uint_eq(free_frames(sim), free0);
}
END_TEST

START_TEST(protect_and_query)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	ck_assert_int_eq(mm_map(&s, UVA, 3, RW), 0);
	mm_space_activate(&s);
	ck_assert_int_eq(uwrite64(sim, UVA + PAGE, 7), 0);
	ck_assert_int_eq(mm_protect(&s, UVA + PAGE, 1, RO), 0);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&s, UVA + PAGE + 12, &m), 0);
	ck_assert_uint_eq(m.prot, arch_prot_effective(RO));
	ck_assert_uint_eq(m.pa & (PAGE - 1), 12);
	ck_assert(m.managed && m.refs == 1 && m.dirty);
	struct sim_fault f;
	ck_assert_int_eq(sim_write(sim, UVA + PAGE, &m, 8, SIM_USER, &f), -MM_EFAULT);
	ck_assert_uint_eq(f.error_code, SIM_PF_P | SIM_PF_WR | SIM_PF_US);
	uint64_t v;
	ck_assert_int_eq(uread64(sim, UVA + PAGE, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(mm_protect(&s, UVA + PAGE, 1, RW), 0);
	ck_assert_int_eq(uwrite64(sim, UVA + PAGE, 8), 0);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	assert_invariants(sim);
}
END_TEST

START_TEST(map_phys_shares_and_counts)
{
	mm_paddr_t f;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_USER, true, &f), 0);
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mm_space_create(sys, &b), 0);
	ck_assert_int_eq(mm_map_phys(&a, UVA, f, 1, RW), 0);
	ck_assert_int_eq(mm_map_phys(&b, UVA + PAGE, f, 1, RW), 0);
	mm_sys_frame_put(sys, f); /* the mappings keep it alive */
	mm_space_activate(&a);
	ck_assert_int_eq(uwrite64(sim, UVA, 99), 0);
	mm_space_activate(&b);
	uint64_t v;
	ck_assert_int_eq(uread64(sim, UVA + PAGE, &v), 0);
	ck_assert_uint_eq(v, 99);
	assert_invariants(sim);
	kernel_active();
	uint32_t before = free_frames(sim);
	uint64_t a_tables = a.table_pages - 1;
	ck_assert_int_eq(mm_unmap(&a, UVA, 1), 0);
	ck_assert_uint_eq(a.table_pages, 1);
	ck_assert_uint_eq(free_frames(sim), before + a_tables); /* f lives on in b */
	ck_assert_int_eq(mm_space_destroy(&b), 0);
	ck_assert_ptr_nonnull(mm_frame_get(&sys->frames, f));
	ck_assert_uint_eq(mm_frame_get(&sys->frames, f)->kind, MM_FRAME_FREE);
	assert_invariants(sim);
}
END_TEST

/* ---- clone ---------------------------------------------------------------- */

START_TEST(clone_eager_copies_contents)
{
	static struct mm_space p, c;
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	ck_assert_int_eq(mm_map(&p, UVA, 5, RW), 0);
	ck_assert_int_eq(mm_map(&p, UVA + 3 * LEAF_SPAN, 2, RO | MM_PROT_EXEC), 0);
	mm_space_activate(&p);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(uwrite64(sim, UVA + (uint64_t)i * PAGE, 100 + i), 0);
	uint64_t pfp = space_fp(sim, &p);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_EAGER), 0);
	ck_assert_uint_eq(space_fp(sim, &p), pfp); /* parent untouched */
	ck_assert_uint_eq(c.user_pages, p.user_pages);
	ck_assert_uint_eq(c.table_pages, p.table_pages);
	/* Same contents and protections, different frames; then independent. */
	mm_space_activate(&c);
	for (int i = 0; i < 5; i++) {
		uint64_t v;
		mm_vaddr_t va = UVA + (uint64_t)i * PAGE;
		ck_assert_int_eq(uread64(sim, va, &v), 0);
		ck_assert_uint_eq(v, 100 + i);
		struct mm_mapping mp, mc;
		ck_assert_int_eq(mm_query(&p, va, &mp), 0);
		ck_assert_int_eq(mm_query(&c, va, &mc), 0);
		ck_assert_uint_ne(mp.pa, mc.pa);
		ck_assert_uint_eq(mp.prot, mc.prot);
		ck_assert_int_eq(uwrite64(sim, va, 200 + i), 0);
	}
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&c, UVA + 3 * LEAF_SPAN + PAGE, &m), 0);
	ck_assert_uint_eq(m.prot, arch_prot_effective(RO | MM_PROT_EXEC));
	mm_space_activate(&p);
	uint64_t v;
	ck_assert_int_eq(uread64(sim, UVA, &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(mm_space_clone(&p, &c, (enum mm_clone_mode)7), -MM_EINVAL);
	ck_assert_int_eq(mm_space_clone(mm_sys_kernel_space(sys), &c, MM_CLONE_EAGER), -MM_EPERM);
	assert_invariants(sim);
}
END_TEST

/* ---- destroy, activate ---------------------------------------------------- */

START_TEST(destroy_refuses_active_and_kernel)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	ck_assert_int_eq(mm_map(&s, UVA, 2, RW), 0);
	mm_space_activate(&s);
	ck_assert_uint_eq(sim_cr3(sim), s.root);
	uint64_t fp = machine_fp(sim);
	ck_assert_int_eq(mm_space_destroy(&s), -MM_EBUSY);
	ck_assert_int_eq(mm_space_destroy(mm_sys_kernel_space(sys)), -MM_EPERM);
	ck_assert_uint_eq(machine_fp(sim), fp);
	ck_assert_int_eq(uwrite64(sim, UVA, 1), 0); /* still runs */
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&s), 0);
}
END_TEST

/* ---- bad input: a clear error, and nothing changes ------------------------ */

START_TEST(bad_input_changes_nothing)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	ck_assert_int_eq(mm_map(&s, UVA, 2, RW), 0);
	mm_space_activate(&s);
	const mm_vaddr_t ue = ARCH_USER_END;
	mm_paddr_t kf;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, false, &kf), 0);
	uint64_t fp = machine_fp(sim);
	struct {
		int got, want;
	} cases[] = {
		{ mm_map(&s, UVA + 1, 1, RW), -MM_EINVAL },           /* unaligned */
		{ mm_map(&s, UVA, 0, RW), -MM_EINVAL },               /* empty */
		{ mm_map(&s, UVA + 8 * PAGE, 1, 0), -MM_EINVAL },     /* no READ */
		{ mm_map(&s, UVA + 8 * PAGE, 1, 64), -MM_EINVAL },    /* unknown prot */
		{ mm_map(&s, UINT64_C(1) << 60, 1, RW), -MM_EINVAL }, /* non-canonical */
		{ mm_map(&s, ARCH_KERNEL_BASE, 1, RW), -MM_EFAULT },  /* kernel half */
		{ mm_map(&s, ue - PAGE, 2, RW), -MM_EFAULT },         /* runs into it */
		{ mm_map(&s, 0, UINT64_MAX, RW), -MM_EFAULT },        /* absurd length */
		{ mm_map(&s, UVA + PAGE, 2, RW), -MM_EEXIST },        /* over a mapping */
		{ mm_map(mm_sys_kernel_space(sys), UVA, 1, RW), -MM_EPERM },
		{ mm_unmap(&s, UVA + PAGE, 2), -MM_ENOENT },      /* partly unmapped */
		{ mm_unmap(&s, UVA + 64 * PAGE, 1), -MM_ENOENT }, /* nothing there */
		{ mm_unmap(&s, UVA, 1u << 16), -MM_ENOENT },      /* huge, sparse */
		{ mm_unmap(&s, ARCH_KERNEL_BASE, 1), -MM_EFAULT },
		{ mm_protect(&s, UVA, 3, RO), -MM_ENOENT },
		{ mm_protect(&s, UVA, 1, 0), -MM_EINVAL },
		{ mm_map_phys(&s, UVA + 8 * PAGE, kf + 3, 1, RW), -MM_EINVAL },
		{ mm_map_phys(&s, UVA + 8 * PAGE, kf + 64 * PAGE, 1, RW),
		  -MM_EINVAL }, /* free frame */
		{ mm_kernel_map(sys, UVA, kf, 1, MM_PROT_READ), -MM_EFAULT },
		{ mm_kernel_map(sys, ARCH_KERNEL_BASE, kf, 1, RW), -MM_EINVAL }, /* USER bit */
		{ mm_kernel_map(sys, ARCH_DIRECT_MAP_BASE + kf, kf, 1, MM_PROT_READ), -MM_EEXIST },
		{ mm_kernel_unmap(sys, UVA, 1), -MM_EFAULT },
		{ mm_space_destroy(&s), -MM_EBUSY },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(cases[i].got == cases[i].want, "case %zu: got %d (%s), want %d", i,
		              cases[i].got, mm_strerror(cases[i].got), cases[i].want);
	ck_assert_uint_eq(machine_fp(sim), fp);
	ck_assert_str_eq(mm_strerror(-MM_EEXIST), "EEXIST: already mapped");
	kernel_active();
	mm_sys_frame_put(sys, kf);
	assert_invariants(sim);
}
END_TEST

/* ---- conservation --------------------------------------------------------- */

/* Random create/map/unmap/protect/clone/destroy over several spaces. */
START_TEST(conservation_random_sequences)
{
	enum { NS = 6 };
	static struct mm_space sp[NS];
	bool live[NS] = { 0 };
	uint64_t seed = 0x9E3779B97F4A7C15ull ^ (uint64_t)(_i + 1) * 7919;
	uint32_t free0 = free_frames(sim);
	for (int step = 0; step < 400; step++) {
		unsigned i = rnd(&seed) % NS, j = rnd(&seed) % NS;
		mm_vaddr_t va = UVA + (rnd(&seed) % 48) * PAGE + (rnd(&seed) % 3) * LEAF_SPAN;
		uint64_t n = 1 + rnd(&seed) % 12;
		int rc;
		switch (rnd(&seed) % 7) {
		case 0:
			if (!live[i] && mm_space_create(sys, &sp[i]) == 0)
				live[i] = true;
			break;
		case 1:
		case 2:
			if (live[i]) {
				rc = mm_map(&sp[i], va, n, (rnd(&seed) & 1) ? RW : RO);
				ck_assert(rc == 0 || rc == -MM_EEXIST);
			}
			break;
		case 3:
			if (live[i]) {
				rc = mm_unmap(&sp[i], va, n);
				ck_assert(rc == 0 || rc == -MM_ENOENT);
			}
			break;
		case 4:
			if (live[i]) {
				rc = mm_protect(&sp[i], va, n, (rnd(&seed) & 1) ? RW : RO);
				ck_assert(rc == 0 || rc == -MM_ENOENT);
			}
			break;
		case 5:
			if (live[i] && !live[j] &&
			    mm_space_clone(&sp[i], &sp[j], MM_CLONE_EAGER) == 0)
				live[j] = true;
			break;
		case 6:
			if (live[i]) {
				mm_space_activate(&sp[i]);
				uint64_t v = rnd(&seed);
				(void)uwrite64(sim, va, v);
				if (rnd(&seed) % 2) {
					kernel_active();
					ck_assert_int_eq(mm_space_destroy(&sp[i]), 0);
					live[i] = false;
				}
			}
			break;
		}
		if (step % 16 == 0)
			assert_invariants(sim);
	}
	assert_invariants(sim);
	kernel_active();
	for (int i = 0; i < NS; i++)
		if (live[i])
			ck_assert_int_eq(mm_space_destroy(&sp[i]), 0);
	ck_assert_uint_eq(free_frames(sim), free0);
	ck_assert_uint_eq(mm_frames_in_use(&sys->frames, MM_FRAME_USER), 0);
}
END_TEST

START_TEST(sys_fini_returns_every_frame)
{
	struct sim_config cfg = sim_config_default();
	cfg.nranges = 3;
	cfg.quiet = true;
	struct sim *s2;
	ck_assert_int_eq(sim_create(&cfg, &s2), 0);
	struct mm_sys *y = sim_sys(s2);
	uint32_t total = mm_frames_total(&y->frames);
	static struct mm_space a;
	ck_assert_int_eq(mm_space_create(y, &a), 0);
	ck_assert_int_eq(mm_sys_fini(y), -MM_EBUSY);
	ck_assert_int_eq(mm_map(&a, UVA, 100, RW), 0);
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	/* All frames of a fresh system: every PT frame is the kernel's, and
	 * one more holds the ASID bitmap where the ISA's simulator gives
	 * every space an identifier (mm_sys_set_asids()). */
	ck_assert_uint_eq(mm_frames_in_use(&y->frames, MM_FRAME_PT), 1 + y->kernel_tables);
	uint32_t asid_frames = y->asid_map ? 1 : 0;
	ck_assert_uint_eq(mm_frames_free_count(&y->frames) + 1 + y->kernel_tables + asid_frames,
	                  total);
	sim_destroy(s2);
}
END_TEST

/* ---- the allocation-failure sweep --------------------------------------- */

/* sweep() is in helpers.h. */

struct op_ctx {
	struct mm_space *src, *dst;
	mm_vaddr_t va;
	uint64_t n;
};

static int op_create(void *c)
{
	return mm_space_create(sys, ((struct op_ctx *)c)->dst);
}
static int op_destroy(void *c)
{
	return mm_space_destroy(((struct op_ctx *)c)->dst);
}
static int op_map(void *c)
{
	struct op_ctx *o = c;
	return mm_map(o->src, o->va, o->n, RW);
}
static int op_unmap(void *c)
{
	struct op_ctx *o = c;
	return mm_unmap(o->src, o->va, o->n);
}
static int op_clone(void *c)
{
	struct op_ctx *o = c;
	return mm_space_clone(o->src, o->dst, MM_CLONE_EAGER);
}
static int op_kmap(void *c)
{
	struct op_ctx *o = c;
	return mm_kernel_map(sys, o->va, sys->kernel.root, o->n, MM_PROT_READ);
}
static int op_kunmap(void *c)
{
	struct op_ctx *o = c;
	return mm_kernel_unmap(sys, o->va, o->n);
}

/* A parent with pages in several leaf tables, some of them shared. */
static void populate(struct mm_space *p)
{
	ck_assert_int_eq(mm_space_create(sys, p), 0);
	ck_assert_int_eq(mm_map(p, UVA, 3, RW), 0);
	ck_assert_int_eq(mm_map(p, UVA + LEAF_SPAN + 5 * PAGE, 2, RO), 0);
	ck_assert_int_eq(mm_map(p, ARCH_USER_END - 2 * PAGE, 2, RW), 0);
	mm_space_activate(p);
	ck_assert_int_eq(uwrite64(sim, UVA, 0xC0FFEE), 0);
	kernel_active();
}

START_TEST(sweep_create)
{
	static struct mm_space s;
	struct op_ctx o = { .dst = &s };
	ck_assert_int_eq(sweep(op_create, op_destroy, &o), 1);
}
END_TEST

START_TEST(sweep_map)
{
	static struct mm_space p;
	populate(&p);
	/* Around existing mappings, through several new tables. */
	struct op_ctx o = { .src = &p, .va = UVA + 3 * PAGE, .n = LEAF_SPAN / PAGE - 8 };
	int f = sweep(op_map, op_unmap, &o);
	ck_assert_int_ge(f, (int)o.n); /* one per page at least, plus tables */
	/* Far away: every level of new tables. */
	o.va = UINT64_C(0x40000000) - 2 * PAGE, o.n = 4;
	ck_assert_int_ge(sweep(op_map, op_unmap, &o), 4);
}
END_TEST

START_TEST(sweep_clone)
{
	static struct mm_space p, c;
	populate(&p);
	struct op_ctx o = { .src = &p, .dst = &c };
	int f = sweep(op_clone, op_destroy, &o);
	ck_assert_int_eq((uint64_t)f, 1 + p.table_pages - 1 + p.user_pages);
}
END_TEST

START_TEST(sweep_kernel_map)
{
	/* Above the direct map, where no lower kernel tables exist yet. */
	struct op_ctx o = { .va = ARCH_DIRECT_MAP_BASE + (UINT64_C(1) << 29) - PAGE, .n = 3 };
	sweep(op_kmap, op_kunmap, &o);
}
END_TEST

/* ---- the stale-TLB checker ------------------------------------------------ */

START_TEST(stale_tlb_is_caught)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	ck_assert_int_eq(mm_map(&s, UVA, 2, RW), 0);
	mm_space_activate(&s);
	ck_assert_int_eq(uwrite64(sim, UVA, 1), 0); /* caches a writable entry */
	ck_assert_int_eq(uwrite64(sim, UVA + PAGE, 1), 0);
	/* Correct mm-core: a downgrade invalidates, nothing is stale. */
	ck_assert_int_eq(mm_protect(&s, UVA, 1, RO), 0);
	uint64_t v;
	ck_assert_int_eq(uread64(sim, UVA, &v), 0);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	assert_invariants(sim);
	/* Forget one invalidation, through the test-only hook: caught. */
	sim_drop_invalidations(sim, 1);
	ck_assert_int_eq(mm_protect(&s, UVA + PAGE, 1, RO), 0);
	ck_assert_uint_eq(sim_stats(sim)->dropped_invlpg, 1);
	char msg[256];
	ck_assert_int_eq(sim_check(sim, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "stale TLB entry"));
	ck_assert_int_eq(uread64(sim, UVA + PAGE, &v), 0);
	ck_assert_uint_eq(sim_stats(sim)->stale, 1);
	ck_assert_uint_eq(sim_stats(sim)->last_stale_va, UVA + PAGE);
	sim_tlb_flush(sim);
	/* The same after an unmap. */
	ck_assert_int_eq(uread64(sim, UVA, &v), 0);
	sim_drop_invalidations(sim, 1);
	ck_assert_int_eq(mm_unmap(&s, UVA, 1), 0);
	/* The stale entry still translates, to a frame now free: translate
	 * only (reading it would be a use-after-free, which the poisoning of
	 * freed frames reports under Valgrind and ASan). */
	mm_paddr_t pa;
	ck_assert_int_eq(sim_access(sim, UVA, SIM_USER, &pa, NULL), 0);
	ck_assert_uint_eq(mm_frame_get(&sys->frames, pa & ~(PAGE - 1))->kind, MM_FRAME_FREE);
	ck_assert_uint_eq(sim_stats(sim)->stale, 2);
	ck_assert_uint_eq(sim_stats(sim)->last_stale_va, UVA);
	sim_tlb_flush(sim);
	kernel_active();
}
END_TEST

START_TEST(batched_invalidation_flushes_once)
{
	static struct mm_space s;
	uint64_t n = MM_TLB_BATCH_PAGES + 8;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	ck_assert_int_eq(mm_map(&s, UVA, n, RW), 0);
	mm_space_activate(&s);
	for (uint64_t i = 0; i < n; i++)
		ck_assert_int_eq(uwrite64(sim, UVA + i * PAGE, i), 0);
	uint64_t fl = sim_stats(sim)->flushes, inv = sim_stats(sim)->invlpg;
	ck_assert_int_eq(mm_protect(&s, UVA, n, RO), 0);
	ck_assert_uint_eq(sim_stats(sim)->flushes, fl + 1);
	ck_assert_uint_eq(sim_stats(sim)->invlpg, inv);
	ck_assert_int_eq(mm_protect(&s, UVA, 2, RW), 0);
	ck_assert_uint_eq(sim_stats(sim)->invlpg, inv + 2);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

/*
 * A root entry of the loaded root changes (a table linked, then unlinked)
 * and the MMU sees it. Where the MMU keeps root entries in registers of
 * its own (x86 PAE's four PDPTEs: arch_root_entries_cached()), mm-core
 * writes the root register again after each change, and the simulator's
 * check compares those registers with memory; elsewhere a change costs no
 * root write at all.
 */
START_TEST(root_entry_changes_reach_the_mmu)
{
	static struct mm_space a;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	mm_space_activate(&a);
	const mm_vaddr_t span = UINT64_C(1) << arch_level_shift(ARCH_LEVELS - 1);
	/* A page in each of two root slots, each slot empty before. */
	const mm_vaddr_t va[2] = { UVA, (UVA & ~(span - 1)) + span };
	const uint64_t per_change = arch_root_entries_cached() ? 1 : 0;
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_lt(va[i], ARCH_USER_END);
		const uint64_t writes = sim_stats(sim)->cr3_writes;
		ck_assert_int_eq(mm_map(&a, va[i], 1, RW), 0);
		ck_assert_uint_eq(sim_stats(sim)->cr3_writes, writes + per_change);
		ck_assert_int_eq(uwrite64(sim, va[i], 0x1000u + (unsigned)i), 0);
		assert_invariants(sim);
	}
	for (int i = 0; i < 2; i++) {
		uint64_t v;
		ck_assert_int_eq(uread64(sim, va[i], &v), 0);
		ck_assert_uint_eq(v, 0x1000u + (unsigned)i);
		const uint64_t writes = sim_stats(sim)->cr3_writes;
		const uint64_t tables = a.table_pages;
		ck_assert_int_eq(mm_unmap(&a, va[i], 1), 0);
		ck_assert_uint_eq(a.table_pages, tables - (ARCH_LEVELS - 1)); /* up to the root */
		ck_assert_uint_eq(sim_stats(sim)->cr3_writes, writes + per_change);
		ck_assert_int_eq(uread64(sim, va[i], &v), -MM_EFAULT);
		assert_invariants(sim);
	}
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&a), 0);
	assert_invariants(sim);
}
END_TEST

/*
 * Freed frames are poisoned: under Valgrind, a freed frame is unaddressable
 * and an allocated one addressable again (VALGRIND_GET_VBITS answers 3 for
 * unaddressable memory without reporting an error). Without Valgrind the
 * test checks only the allocator's side.
 */
START_TEST(freed_frames_are_poisoned)
{
	mm_paddr_t f;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &f), 0);
	uint8_t *p = sim_phys(sim, f, PAGE);
	ck_assert_ptr_nonnull(p);
	p[0] = 1;
	ck_assert_uint_eq(mm_sys_frame_put(sys, f), 0);
	ck_assert_uint_eq(mm_frame_get(&sys->frames, f)->kind, MM_FRAME_FREE);
#ifdef HAVE_VALGRIND
	if (RUNNING_ON_VALGRIND) {
		uint8_t vbits[8];
		ck_assert_int_eq(VALGRIND_GET_VBITS(p, vbits, 8), 3);
		mm_paddr_t g;
		ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &g), 0);
		ck_assert_uint_eq(g, f); /* LIFO: the same frame comes back */
		ck_assert_int_eq(VALGRIND_GET_VBITS(p, vbits, 8), 1);
		mm_sys_frame_put(sys, g);
	}
#endif
}
END_TEST

/*
 * mm_sys_frame_alloc_run(): every frame of the run in use with one
 * reference, unpoisoned by the frame_allocated hook and cleared if asked;
 * each dropped with mm_sys_frame_put(), poisoned again; errors change
 * nothing. Under Valgrind the hooks' effect is checked too.
 */
START_TEST(frame_alloc_run_calls_the_hooks_for_each_frame)
{
	enum { ORDER = 4, N = 1 << ORDER };
	mm_frames_drain(&sys->frames); /* the blocks as a plain buddy system's */
	const uint32_t free0 = free_frames(sim);
	mm_paddr_t run, again;
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, ORDER, false, &run), 0);
	ck_assert_uint_eq(run % (N * PAGE), 0);
	ck_assert_uint_eq(free_frames(sim), free0 - N);
	uint8_t *p = sim_phys(sim, run, N * PAGE);
	ck_assert_ptr_nonnull(p);
	for (unsigned i = 0; i < N; i++) {
		const struct mm_frame *f = mm_frame_get(&sys->frames, run + i * PAGE);
		ck_assert_uint_eq(f->kind, MM_FRAME_KERNEL);
		ck_assert_uint_eq(f->ref_or_next, 1);
	}
	memset(p, 0xAB, N * PAGE); /* addressable: the hook ran for each */
	for (unsigned i = 0; i < N; i++)
		ck_assert_uint_eq(mm_sys_frame_put(sys, run + i * PAGE), 0);
	ck_assert_uint_eq(free_frames(sim), free0);
#ifdef HAVE_VALGRIND
	uint8_t vbits[8];
	if (RUNNING_ON_VALGRIND)
		for (unsigned i = 0; i < N; i++)
			ck_assert_int_eq(VALGRIND_GET_VBITS(p + i * PAGE, vbits, 8), 3);
#endif
	/* The same run again (merged back, the lowest that fits), cleared. */
	mm_frames_drain(&sys->frames);
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_USER, ORDER, true, &again), 0);
	ck_assert_uint_eq(again, run);
	for (unsigned i = 0; i < N * PAGE; i++)
		if (p[i] != 0)
			ck_abort_msg("byte %u of the run not cleared", i);
#ifdef HAVE_VALGRIND
	if (RUNNING_ON_VALGRIND)
		for (unsigned i = 0; i < N; i++)
			ck_assert_int_eq(VALGRIND_GET_VBITS(p + i * PAGE, vbits, 8), 1);
#endif
	ck_assert_uint_eq(mm_frames_in_use(&sys->frames, MM_FRAME_USER), N);
	for (unsigned i = 0; i < N; i++)
		ck_assert_uint_eq(mm_sys_frame_put(sys, run + i * PAGE), 0);
	/* Errors: nothing taken, nothing to free. */
	mm_paddr_t pa = 0xdead;
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_FREE, ORDER, true, &pa), -MM_EINVAL);
	ck_assert_int_eq(
	        mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, MM_FRAME_MAX_ORDER + 1, true, &pa),
	        -MM_EINVAL);
	int top = mm_frames_largest_free_order(&sys->frames);
	if (top >= 0 && top < (int)MM_FRAME_MAX_ORDER)
		ck_assert_int_eq(
		        mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, (unsigned)top + 1, true, &pa),
		        -MM_ENOMEM);
	mm_frames_fail_after(&sys->frames, 0);
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, ORDER, true, &pa),
	                 -MM_ENOMEM);
	mm_frames_fail_after(&sys->frames, -1);
	ck_assert_uint_eq(pa, 0xdead);
	ck_assert_uint_eq(free_frames(sim), free0);
}
END_TEST

/*
 * mm_kernel_window(): the platform rewrites the window's leaf entries
 * itself (a 32-bit kernel's temporary mappings of high memory), and the
 * tables stay consistent.
 */
START_TEST(kernel_window_entries_belong_to_the_platform)
{
	const mm_vaddr_t kva = UINT64_C(0) - 16 * PAGE;
	mm_vaddr_t top = arch_va_is_canonical(kva) ? kva : UINT64_C(0xFFFF0000);
#if MM_TABLES_RECURSIVE
	/* Below the recursive mapping's windows, which end the kernel half. */
	top = (mm_vaddr_t)ARCH_RECURSIVE_FIRST_SLOT << arch_level_shift(ARCH_LEVELS - 1);
	top -= 16 * PAGE;
#endif
	const mm_vaddr_t win = top & ~(LEAF_SPAN - 1);
	mm_paddr_t park, other;
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, 1, true, &park), 0);
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &other), 0);
	memset(sim_phys(sim, park, 2 * PAGE), 0x11, 2 * PAGE);
	memset(sim_phys(sim, other, PAGE), 0x22, PAGE);
	const unsigned rw = MM_PROT_READ | MM_PROT_WRITE;
	arch_pte_t *ptes = NULL;
	uint32_t tables = mm_frames_in_use(&sys->frames, MM_FRAME_PT);
	/* Bad input changes nothing. */
	ck_assert_int_eq(mm_kernel_window(sys, win, 0, park, rw, &ptes), -MM_EINVAL);
	ck_assert_int_eq(mm_kernel_window(sys, win, 2, park, rw, NULL), -MM_EINVAL);
	ck_assert_int_eq(mm_kernel_window(sys, win, 2, park, rw | MM_PROT_LARGE, &ptes),
	                 -MM_EINVAL);
	ck_assert_int_eq(mm_kernel_window(sys, win + LEAF_SPAN - PAGE, 2, park, rw, &ptes),
	                 -MM_EINVAL); /* across two leaf tables */
	ck_assert_int_eq(mm_kernel_window(sys, UVA, 2, park, rw, &ptes), -MM_EFAULT);
	ck_assert_uint_eq(mm_frames_in_use(&sys->frames, MM_FRAME_PT), tables);
	ck_assert_ptr_null(ptes);

	ck_assert_int_eq(mm_kernel_window(sys, win, 2, park, rw, &ptes), 0);
	ck_assert_uint_eq(arch_pte_paddr(ptes[0]), park);
	ck_assert_uint_eq(arch_pte_paddr(ptes[1]), park + PAGE);
	uint8_t b = 0;
	ck_assert_int_eq(sim_read(sim, win + PAGE, &b, 1, 0, NULL), 0);
	ck_assert_uint_eq(b, 0x11);
	/* The platform points the second page elsewhere, then invalidates. */
	arch_pte_store(&ptes[1], arch_pte_leaf(other, rw));
	sim_tlb_flush(sim);
	ck_assert_int_eq(sim_read(sim, win + PAGE, &b, 1, 0, NULL), 0);
	ck_assert_uint_eq(b, 0x22);
	ck_assert_int_eq(sim_read(sim, win, &b, 1, 0, NULL), 0);
	ck_assert_uint_eq(b, 0x11);
	/* Supervisor only, in every space, and the tables stay consistent. */
	static struct mm_space s1;
	ck_assert_int_eq(mm_space_create(sys, &s1), 0);
	ck_assert_int_eq(mm_space_activate(&s1), 0);
	ck_assert_int_eq(sim_read(sim, win + PAGE, &b, 1, 0, NULL), 0);
	ck_assert_uint_eq(b, 0x22);
	ck_assert_int_eq(sim_read(sim, win + PAGE, &b, 1, SIM_USER, NULL), -MM_EFAULT);
	assert_invariants(sim);
	/* mm_kernel_window() on a window that exists: mm_kernel_map()'s error. */
	ck_assert_int_eq(mm_kernel_window(sys, win, 1, park, rw, &ptes), -MM_EEXIST);
	ck_assert_int_eq(mm_space_activate(mm_sys_kernel_space(sys)), 0);
	ck_assert_int_eq(mm_space_destroy(&s1), 0);
	ck_assert_int_eq(mm_kernel_unmap(sys, win, 2), 0);
	assert_invariants(sim);
	ck_assert_uint_eq(mm_sys_frame_put(sys, park), 0);
	ck_assert_uint_eq(mm_sys_frame_put(sys, park + PAGE), 0);
	ck_assert_uint_eq(mm_sys_frame_put(sys, other), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("space-" ARCH_NAME);
	TCase *tc = tcase_create("space");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, seed_same_va_different_frames);
	tcase_add_test(tc, seed_kernel_half_supervisor_only);
	tcase_add_test(tc, seed_other_space_faults);
	tcase_add_test(tc, kernel_half_identical_after_late_mapping);
	tcase_add_test(tc, kernel_window_entries_belong_to_the_platform);
	tcase_add_test(tc, create_copies_no_user_entry);
	tcase_add_test(tc, unmap_frees_emptied_tables);
	tcase_add_test(tc, protect_and_query);
	tcase_add_test(tc, map_phys_shares_and_counts);
	tcase_add_test(tc, clone_eager_copies_contents);
	tcase_add_test(tc, destroy_refuses_active_and_kernel);
	tcase_add_test(tc, bad_input_changes_nothing);
	tcase_add_loop_test(tc, conservation_random_sequences, 0, 8);
	tcase_add_test(tc, sys_fini_returns_every_frame);
	tcase_add_test(tc, sweep_create);
	tcase_add_test(tc, sweep_map);
	tcase_add_test(tc, sweep_clone);
	tcase_add_test(tc, sweep_kernel_map);
	tcase_add_test(tc, stale_tlb_is_caught);
	tcase_add_test(tc, batched_invalidation_flushes_once);
	tcase_add_test(tc, freed_frames_are_poisoned);
	tcase_add_test(tc, root_entry_changes_reach_the_mmu);
	tcase_add_test(tc, frame_alloc_run_calls_the_hooks_for_each_frame);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
