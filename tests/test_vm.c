/*
 * The virtual-memory layer on the simulator, for each ISA: regions,
 * demand paging, copy-on-write fork, grow-down stacks with a guard page,
 * mmap/munmap/mprotect, and the allocation-failure sweep over fault
 * resolution, COW break and COW clone.
 */
#include "helpers.h"

static struct mm_region anon(mm_vaddr_t start, uint64_t pages, unsigned prot, unsigned kind)
{
	return (struct mm_region){ .start = start,
		                   .end = start + pages * PAGE,
		                   .prot = (uint8_t)prot,
		                   .kind = (uint8_t)kind,
		                   .backing = MM_BACKING_ANON };
}

static uint64_t refs_at(struct mm_space *s, mm_vaddr_t va)
{
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(s, va, &m), 0);
	return m.refs;
}

static mm_paddr_t pa_at(struct mm_space *s, mm_vaddr_t va)
{
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(s, va, &m), 0);
	return m.pa;
}

/* ---- regions ---------------------------------------------------------------- */

START_TEST(regions_add_find_merge_and_refuse)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	struct mm_region a = anon(UVA, 4, RW, MM_REGION_HEAP);
	ck_assert_int_eq(mm_region_add(&s, &a), 0);
	struct mm_region b = anon(UVA + 4 * PAGE, 2, RW, MM_REGION_HEAP);
	ck_assert_int_eq(mm_region_add(&s, &b), 0);
	ck_assert_uint_eq(mm_region_count(&s), 1); /* merged */
	ck_assert_uint_eq((*region_at(&s, 0)).end, UVA + 6 * PAGE);
	struct mm_region c = anon(UVA + 6 * PAGE, 1, RO, MM_REGION_HEAP);
	ck_assert_int_eq(mm_region_add(&s, &c), 0);
	ck_assert_uint_eq(mm_region_count(&s), 2); /* other protection: not merged */
	ck_assert_ptr_eq(mm_region_find(&s, UVA + 5 * PAGE + 7), region_at(&s, 0));
	ck_assert_ptr_eq(mm_region_find(&s, UVA + 6 * PAGE), region_at(&s, 1));
	ck_assert_ptr_null(mm_region_find(&s, UVA + 7 * PAGE));
	ck_assert_ptr_null(mm_region_find(&s, UVA - 1));
	/* Refusals change nothing. */
	struct mm_region before[2] = { (*region_at(&s, 0)), (*region_at(&s, 1)) };
	struct mm_region over = anon(UVA + 3 * PAGE, 2, RW, MM_REGION_MMAP);
	struct mm_region bad = anon(UVA + 100 * PAGE, 1, 1u << 5, MM_REGION_MMAP); /* no such bit */
	struct mm_region kern = anon(ARCH_USER_END - PAGE, 2, RW, MM_REGION_MMAP);
	ck_assert_int_eq(mm_region_add(&s, &over), -MM_EEXIST);
	ck_assert_int_eq(mm_region_add(&s, &bad), -MM_EINVAL);
	ck_assert_int_eq(mm_region_add(&s, &kern), -MM_EFAULT);
	ck_assert_uint_eq(mm_region_count(&s), 2);
	ck_assert(regions_are(&s, before, sizeof(before) / sizeof(before[0])));
	/* No fixed cap: 1,000 more, each found by its own addresses. */
	for (unsigned i = 0; i < 1000; i++) {
		struct mm_region r = anon(UVA + (100 + 2 * i) * PAGE, 1, RO, MM_REGION_MMAP);
		ck_assert_int_eq(mm_region_add(&s, &r), 0);
	}
	ck_assert_uint_eq(mm_region_count(&s), 1002);
	uint64_t i = 0;
	for (const struct mm_region *r = mm_region_first(&s); r; r = mm_region_next(&s, r), i++) {
		ck_assert_ptr_eq(mm_region_find(&s, r->start), r);
		ck_assert_ptr_eq(mm_region_find(&s, r->end - 1), r);
		const struct mm_region *after = mm_region_find(&s, r->end);
		ck_assert(after == NULL || after == mm_region_next(&s, r));
	}
	ck_assert_uint_eq(i, 1002);
	assert_invariants(sim);
}
END_TEST

/* ---- demand paging ---------------------------------------------------------- */

START_TEST(demand_zero_maps_on_first_touch)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&s, 0, 100, RW, 0, &va), 0);
	ck_assert_uint_eq(s.user_pages, 0); /* nothing mapped yet */
	mm_space_activate(&s);
	ck_assert_uint_eq(dread(va + 50 * PAGE), 0); /* zero-filled */
	ck_assert_int_eq(dwrite(va + 3 * PAGE, 77), 0);
	ck_assert_uint_eq(dread(va + 3 * PAGE), 77);
	ck_assert_uint_eq(s.user_pages, 2);
	ck_assert_uint_eq(sim_stats(sim)->resolved[MM_FAULT_DEMAND_ZERO], 2);
	/* Outside every region: a segmentation violation. */
	ck_assert_int_eq(verdict_of(va - PAGE, 0), MM_FAULT_SEGV);
	ck_assert_int_eq(verdict_of(ARCH_KERNEL_BASE, 0), MM_FAULT_SEGV);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

START_TEST(file_backed_region_fills_from_the_image)
{
	static struct mm_space s;
	static uint8_t image[PAGE + 100];
	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	/* File bytes start 16 bytes into the first page; 3 pages of memory. */
	struct mm_region r = { .start = UVA,
		               .end = UVA + 3 * PAGE,
		               .prot = RO,
		               .kind = MM_REGION_DATA,
		               .backing = MM_BACKING_FILE,
		               .file = image,
		               .file_va = UVA + 16,
		               .file_len = sizeof(image) };
	ck_assert_int_eq(mm_region_add(&s, &r), 0);
	mm_space_activate(&s);
	uint8_t got[PAGE + 132];
	ck_assert_int_eq(sim_read(sim, UVA, got, sizeof(got), D, NULL), 0);
	for (size_t i = 0; i < 16; i++)
		ck_assert_uint_eq(got[i], 0);
	ck_assert(memcmp(got + 16, image, sizeof(image)) == 0);
	for (size_t i = 16 + sizeof(image); i < sizeof(got); i++)
		ck_assert_uint_eq(got[i], 0); /* beyond the file: zeros (bss) */
	ck_assert_uint_eq(sim_stats(sim)->resolved[MM_FAULT_FILE], 2);
	ck_assert_int_eq(verdict_of(UVA, SIM_WRITE), MM_FAULT_ACCESS); /* read-only */
	assert_invariants(sim);
	kernel_active();
}
END_TEST

/* ---- copy-on-write ---------------------------------------------------------- */

START_TEST(cow_fork_shares_then_copies)
{
	static struct mm_space p, c, g;
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	struct mm_region r = anon(UVA, 4, RW, MM_REGION_DATA);
	ck_assert_int_eq(mm_region_add(&p, &r), 0);
	mm_space_activate(&p);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(dwrite(UVA + (uint64_t)i * PAGE, 100 + i), 0);
	uint32_t free0 = free_frames(sim);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	/* Only the child's tables and region nodes were allocated: the data
	 * frames are shared. */
	ck_assert_uint_eq(free0 - free_frames(sim), c.table_pages + c.region_pages);
	ck_assert_uint_eq(pa_at(&p, UVA), pa_at(&c, UVA));
	ck_assert_uint_eq(refs_at(&p, UVA), 2);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&p, UVA, &m), 0);
	ck_assert(m.cow && !(m.prot & MM_PROT_WRITE));
	ck_assert_uint_eq(mm_region_count(&c), 1);
	assert_invariants(sim);
	/* The parent was active: its writable TLB entries are gone, so its
	 * next write faults and copies (no stale entry lets it through). */
	ck_assert_int_eq(dwrite(UVA, 500), 0);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	ck_assert_uint_eq(sim_stats(sim)->resolved[MM_FAULT_COW_COPY], 1);
	ck_assert_uint_ne(pa_at(&p, UVA), pa_at(&c, UVA));
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(UVA), 100); /* the child still sees fork-time data */
	/* A grandchild: the COW mark survives a re-fork. */
	ck_assert_int_eq(mm_space_clone(&c, &g, MM_CLONE_COW), 0);
	ck_assert_uint_eq(refs_at(&g, UVA + PAGE), 3);
	mm_space_activate(&g);
	ck_assert_int_eq(dwrite(UVA + PAGE, 900), 0);
	ck_assert_uint_eq(refs_at(&c, UVA + PAGE), 2);
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(UVA + PAGE), 101);
	/* After the others let go, the last owner reuses the frame in place. */
	kernel_active();
	ck_assert_int_eq(mm_space_destroy(&g), 0);
	ck_assert_int_eq(mm_space_destroy(&p), 0);
	mm_space_activate(&c);
	mm_paddr_t before = pa_at(&c, UVA + 2 * PAGE);
	ck_assert_uint_eq(refs_at(&c, UVA + 2 * PAGE), 1);
	ck_assert_int_eq(dwrite(UVA + 2 * PAGE, 7), 0);
	ck_assert_uint_eq(pa_at(&c, UVA + 2 * PAGE), before);
	ck_assert_uint_ge(sim_stats(sim)->resolved[MM_FAULT_COW_REUSE], 1);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

START_TEST(read_only_stays_read_only)
{
	static struct mm_space p, c;
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	struct mm_region r = anon(UVA, 1, RO, MM_REGION_RODATA);
	ck_assert_int_eq(mm_region_add(&p, &r), 0);
	mm_space_activate(&p);
	ck_assert_uint_eq(dread(UVA), 0);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&c, UVA, &m), 0);
	ck_assert(!m.cow); /* shared read-only, not copy-on-write */
	uint32_t free0 = free_frames(sim);
	mm_space_activate(&c);
	ck_assert_int_eq(verdict_of(UVA, SIM_WRITE), MM_FAULT_ACCESS);
	ck_assert_uint_eq(free_frames(sim), free0); /* no copy was made */
	ck_assert_uint_eq(sim_stats(sim)->resolved[MM_FAULT_COW_COPY], 0);
	kernel_active();
}
END_TEST

START_TEST(shared_mapping_is_shared_across_fork)
{
	static struct mm_space p, c;
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&p, 0, 2, RW, MM_MAP_SHARED, &va), 0);
	ck_assert_uint_eq(p.user_pages, 2); /* populated at once */
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	mm_space_activate(&c);
	ck_assert_int_eq(dwrite(va + PAGE, 4242), 0);
	mm_space_activate(&p);
	ck_assert_uint_eq(dread(va + PAGE), 4242);
	ck_assert_uint_eq(sim_stats(sim)->resolved[MM_FAULT_COW_COPY], 0);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

START_TEST(fork_of_10000_pages_gives_every_frame_back)
{
	static struct mm_space p, c;
	big_machine(64u << 20); /* 10,000 pages and their tables */
	uint32_t free0 = free_frames(sim);
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&p, 0, 10000, RW, 0, &va), 0);
	ck_assert_int_eq(mm_populate(&p, va, 10000, MM_ACCESS_WRITE), 0);
	ck_assert_uint_eq(p.user_pages, 10000);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	ck_assert_uint_eq(c.user_pages, 10000);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&c), 0);
	ck_assert_int_eq(mm_space_destroy(&p), 0);
	ck_assert_uint_eq(free_frames(sim), free0);
}
END_TEST

/* ---- stacks ------------------------------------------------------------------ */

START_TEST(stack_grows_down_to_its_limit_and_no_further)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	const mm_vaddr_t top = UVA + 1024 * PAGE, limit = top - 64 * PAGE;
	struct mm_region st = { .start = top - PAGE,
		                .end = top,
		                .limit = limit,
		                .prot = RW,
		                .kind = MM_REGION_STACK,
		                .backing = MM_BACKING_ANON,
		                .flags = MM_REGION_GROWS_DOWN };
	ck_assert_int_eq(mm_region_add(&s, &st), 0);
	ck_assert_int_eq(mm_populate(&s, top - PAGE, 1, MM_ACCESS_WRITE), 0);
	ck_assert_uint_eq(s.user_pages, 1); /* only the top page */
	mm_space_activate(&s);
	/* 64 KiB of stack, written top-down as a program would. */
	for (mm_vaddr_t a = top - 8; a >= top - 16 * PAGE; a -= 512)
		ck_assert_int_eq(dwrite(a, a), 0);
	ck_assert_uint_eq(s.user_pages, 16);
	ck_assert_uint_eq(sim_stats(sim)->resolved[MM_FAULT_STACK_GROW], 15);
	ck_assert_uint_eq(mm_region_find(&s, top - 1)->start, top - 16 * PAGE);
	ck_assert_uint_eq(dread(top - 16 * PAGE + 504), top - 16 * PAGE + 504);
	/* Down to the limit is fine; the guard page below it is not. */
	ck_assert_int_eq(verdict_of(limit, SIM_WRITE), MM_FAULT_RESOLVED);
	ck_assert_int_eq(verdict_of(limit - 8, SIM_WRITE), MM_FAULT_SEGV);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&s, limit - PAGE, &m), -MM_ENOENT);
	/* Nothing may be placed in the guard page or the stack's reach. */
	struct mm_region in_guard = anon(limit - PAGE, 1, RW, MM_REGION_MMAP);
	ck_assert_int_eq(mm_region_add(&s, &in_guard), -MM_EEXIST);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

/* ---- mmap / munmap / mprotect ---------------------------------------------- */

START_TEST(munmap_and_mprotect_split_regions)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&s, 0, 10, RW, 0, &va), 0);
	mm_space_activate(&s);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(dwrite(va + (uint64_t)i * PAGE, i), 0);
	uint32_t free0 = free_frames(sim);
	/* munmap pages 3-4: two regions remain, exactly two frames come back. */
	ck_assert_int_eq(mm_munmap(&s, va + 3 * PAGE, 2), 0);
	ck_assert_uint_eq(mm_region_count(&s), 2);
	ck_assert_uint_eq(free_frames(sim), free0 + 2);
	ck_assert_uint_eq(s.user_pages, 8);
	ck_assert_int_eq(verdict_of(va + 3 * PAGE, 0), MM_FAULT_SEGV);
	ck_assert_uint_eq(dread(va + 5 * PAGE), 5);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	/* mprotect pages 6-7 read-only: the second region splits in three. */
	ck_assert_int_eq(mm_mprotect(&s, va + 6 * PAGE, 2, RO), 0);
	ck_assert_uint_eq(mm_region_count(&s), 4);
	ck_assert_int_eq(verdict_of(va + 6 * PAGE, SIM_WRITE), MM_FAULT_ACCESS);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0); /* the downgrade was invalidated */
	ck_assert_uint_eq(dread(va + 7 * PAGE), 7);
	ck_assert_int_eq(dwrite(va + 8 * PAGE, 88), 0);
	/* Back to RW: the regions merge again. */
	ck_assert_int_eq(mm_mprotect(&s, va + 6 * PAGE, 2, RW), 0);
	ck_assert_uint_eq(mm_region_count(&s), 2);
	ck_assert_int_eq(dwrite(va + 6 * PAGE, 66), 0);
	/* A hole in the range: mprotect refuses and changes nothing. */
	uint64_t fp = machine_fp(sim);
	ck_assert_int_eq(mm_mprotect(&s, va + 2 * PAGE, 3, RO), -MM_ENOENT);
	ck_assert_uint_eq(machine_fp(sim), fp);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

START_TEST(mprotect_keeps_shared_frames_cow)
{
	/* A private page shared after fork, made read-only then writable
	 * again, must not become writable shared memory. */
	static struct mm_space p, c;
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&p, 0, 1, RW, 0, &va), 0);
	mm_space_activate(&p);
	ck_assert_int_eq(dwrite(va, 1), 0);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	ck_assert_int_eq(mm_mprotect(&p, va, 1, RO), 0);
	ck_assert_int_eq(mm_mprotect(&p, va, 1, RW), 0);
	ck_assert_int_eq(dwrite(va, 2), 0);
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(va), 1);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

START_TEST(mmap_bad_input_changes_nothing)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t va = 0;
	ck_assert_int_eq(mm_mmap(&s, UVA, 4, RW, MM_MAP_FIXED_NOREPLACE, &va), 0);
	uint64_t fp = machine_fp(sim);
	struct mm_region before = (*region_at(&s, 0));
	ck_assert_int_eq(mm_mmap(&s, UVA + PAGE, 1, RW, MM_MAP_FIXED_NOREPLACE, &va), -MM_EEXIST);
	ck_assert_int_eq(mm_mmap(&s, UVA + 1, 1, RW, MM_MAP_FIXED_NOREPLACE, &va), -MM_EINVAL);
	ck_assert_int_eq(mm_mmap(&s, 0, 0, RW, 0, &va), -MM_EINVAL);
	ck_assert_int_eq(mm_mmap(&s, 0, 1, 1u << 5, 0, &va), -MM_EINVAL); /* no such bit */
	ck_assert_int_eq(mm_mmap(&s, 0, 1, RW, 1u << 7, &va), -MM_EINVAL);
	ck_assert_int_eq(mm_mmap(&s, ARCH_KERNEL_BASE, 1, RW, MM_MAP_FIXED_NOREPLACE, &va),
	                 -MM_EFAULT);
	ck_assert_int_eq(mm_munmap(&s, UVA + 1, 1), -MM_EINVAL);
	ck_assert_int_eq(mm_mprotect(&s, UVA, 1, 1u << 5), -MM_EINVAL);
	ck_assert_uint_eq(machine_fp(sim), fp);
	ck_assert_uint_eq(mm_region_count(&s), 1);
	ck_assert(regions_are(&s, &before, 1));
	ck_assert_int_eq(mm_munmap(&s, UVA + 100 * PAGE, 4), 0); /* nothing there: fine */
}
END_TEST

/* ---- the allocation-failure sweep -------------------------------------------- */

struct fault_op {
	struct mm_space *s, *child;
	mm_vaddr_t va;
	unsigned access;
};

static int op_fault(void *c)
{
	struct fault_op *o = c;
	enum mm_fault_verdict v = mm_fault(o->s, o->va, o->access, NULL);
	return v == MM_FAULT_RESOLVED ? 0 : v == MM_FAULT_OOM ? -MM_ENOMEM : -MM_EFAULT;
}

static int op_cow_clone(void *c)
{
	struct fault_op *o = c;
	return mm_space_clone(o->s, o->child, MM_CLONE_COW);
}

START_TEST(sweep_fault_resolution_and_cow)
{
	static struct mm_space s, c;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&s, 0, 4, RW, 0, &va), 0);
	/* Demand zero far from anything: frame plus every table level. */
	struct fault_op o = { .s = &s, .va = va + 2 * PAGE, .access = MM_ACCESS_WRITE };
	ck_assert_int_ge(sweep(op_fault, NULL, &o), 2);
	ck_assert_int_eq(mm_populate(&s, va, 4, MM_ACCESS_WRITE), 0);
	/* A COW clone: only the child's tables are allocated. */
	o.child = &c;
	ck_assert_int_ge(sweep(op_cow_clone, NULL, &o), 2);
	/* A COW break that must copy. */
	o.va = va + PAGE;
	ck_assert_int_eq(sweep(op_fault, NULL, &o), 1);
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(&s, va + PAGE, &m), 0);
	ck_assert(!m.cow && (m.prot & MM_PROT_WRITE) && m.refs == 1);
	/* A stack growth. */
	const mm_vaddr_t top = UVA + 4096 * PAGE;
	struct mm_region st = { .start = top - PAGE,
		                .end = top,
		                .limit = top - 32 * PAGE,
		                .prot = RW,
		                .kind = MM_REGION_STACK,
		                .flags = MM_REGION_GROWS_DOWN };
	ck_assert_int_eq(mm_region_add(&s, &st), 0);
	o.va = top - 20 * PAGE;
	ck_assert_int_ge(sweep(op_fault, NULL, &o), 1);
	ck_assert_uint_eq(mm_region_find(&s, top - 1)->start, top - 20 * PAGE);
}
END_TEST

/* Every region an ELF-like layout makes is W^X unless asked. */
START_TEST(no_region_is_writable_and_executable_unless_asked)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&s, 0, 2, RW, 0, &va), 0);
	ck_assert_int_eq(mm_mmap(&s, 0, 2, MM_PROT_READ | MM_PROT_EXEC, 0, &va), 0);
	ck_assert_int_eq(mm_mmap(&s, 0, 1, RW | MM_PROT_EXEC, 0, &va), 0); /* asked for */
	unsigned wx = 0;
	for (unsigned i = 0; i < mm_region_count(&s); i++)
		wx += ((*region_at(&s, i)).prot & MM_PROT_WRITE) &&
		      ((*region_at(&s, i)).prot & MM_PROT_EXEC);
	ck_assert_uint_eq(wx, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vm-" ARCH_NAME);
	TCase *tc = tcase_create("vm");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, regions_add_find_merge_and_refuse);
	tcase_add_test(tc, demand_zero_maps_on_first_touch);
	tcase_add_test(tc, file_backed_region_fills_from_the_image);
	tcase_add_test(tc, cow_fork_shares_then_copies);
	tcase_add_test(tc, read_only_stays_read_only);
	tcase_add_test(tc, shared_mapping_is_shared_across_fork);
	tcase_add_test(tc, fork_of_10000_pages_gives_every_frame_back);
	tcase_add_test(tc, stack_grows_down_to_its_limit_and_no_further);
	tcase_add_test(tc, munmap_and_mprotect_split_regions);
	tcase_add_test(tc, mprotect_keeps_shared_frames_cow);
	tcase_add_test(tc, mmap_bad_input_changes_nothing);
	tcase_add_test(tc, sweep_fault_resolution_and_cow);
	tcase_add_test(tc, no_region_is_writable_and_executable_unless_asked);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
