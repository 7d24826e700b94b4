/*
 * Copy-on-write and protections that no path can break, for each ISA:
 * mm_protect() and mm_mprotect() on COW-shared pages, eager and COW clones
 * of read-only pages, software COW breaks and the TLB, kernel unmaps seen at
 * once by an active user space, clones at a shared/private boundary and of
 * a full region table, demand-zero frames, and references dropped once.
 * Each test names the bug (issue 10) it keeps out.
 */
#include "helpers.h"

static struct mm_mapping query(struct mm_space *s, mm_vaddr_t va)
{
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(s, va, &m), 0);
	return m;
}

/* A space with one RW page at UVA holding @v, cloned COW into @c. */
static void parent_and_cow_child(struct mm_space *p, struct mm_space *c, uint64_t v)
{
	ck_assert_int_eq(mm_space_create(sys, p), 0);
	ck_assert_int_eq(mm_map(p, UVA, 1, RW), 0);
	mm_space_activate(p);
	ck_assert_int_eq(uwrite64(sim, UVA, v), 0);
	kernel_active();
	ck_assert_int_eq(mm_space_clone(p, c, MM_CLONE_COW), 0);
	ck_assert(query(p, UVA).cow && query(c, UVA).cow);
	ck_assert_uint_eq(query(p, UVA).refs, 2);
}

/* Bug: mm_protect() ignored the COW bit, so making a COW-shared page
 * writable let the parent's writes reach the child. */
START_TEST(protect_writable_keeps_cow)
{
	static struct mm_space p, c;
	parent_and_cow_child(&p, &c, 111);
	ck_assert_int_eq(mm_protect(&p, UVA, 1, RW), 0);
	struct mm_mapping m = query(&p, UVA);
	ck_assert(m.cow);
	ck_assert(!(m.prot & MM_PROT_WRITE));
	assert_invariants(sim);
	mm_space_activate(&p);
	ck_assert_int_eq(dwrite(UVA, 222), 0);
	ck_assert_uint_eq(sim_stats(sim)->resolved[MM_FAULT_COW_COPY], 1);
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(UVA), 111);
	mm_space_activate(&p);
	ck_assert_uint_eq(dread(UVA), 222);
	ck_assert_uint_eq(query(&p, UVA).refs, 1);
	ck_assert_uint_eq(query(&c, UVA).refs, 1);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

/* The same through two steps: read-only (the COW mark goes, a write is an
 * access violation), then writable again (COW again: the frame is still
 * shared). */
START_TEST(protect_readonly_then_writable_is_cow_again)
{
	static struct mm_space p, c;
	parent_and_cow_child(&p, &c, 111);
	ck_assert_int_eq(mm_protect(&p, UVA, 1, RO), 0);
	ck_assert(!query(&p, UVA).cow);
	assert_invariants(sim);
	mm_space_activate(&p);
	ck_assert_int_eq(verdict_of(UVA, SIM_WRITE), MM_FAULT_ACCESS);
	kernel_active();
	ck_assert_int_eq(mm_protect(&p, UVA, 1, RW), 0);
	ck_assert(query(&p, UVA).cow);
	assert_invariants(sim);
	mm_space_activate(&p);
	ck_assert_int_eq(dwrite(UVA, 222), 0);
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(UVA), 111);
	/* Alone on its frame now, a page made writable is simply writable. */
	kernel_active();
	ck_assert_int_eq(mm_protect(&c, UVA, 1, RO), 0);
	ck_assert_int_eq(mm_protect(&c, UVA, 1, RW), 0);
	ck_assert(!query(&c, UVA).cow);
	ck_assert(query(&c, UVA).prot & MM_PROT_WRITE);
	assert_invariants(sim);
}
END_TEST

/* Bug: mm_mprotect() kept the COW mark on a page it made read-only, and an
 * eager clone took COW for "writable": the child's copy was writable inside
 * a read-only region (Linux: SIGSEGV with SEGV_ACCERR). */
START_TEST(eager_clone_of_readonly_page_stays_readonly)
{
	static struct mm_space p0, p1, p2;
	const mm_vaddr_t va = UINT64_C(0x40000000);
	ck_assert_int_eq(mm_space_create(sys, &p0), 0);
	mm_vaddr_t got;
	ck_assert_int_eq(mm_mmap(&p0, va, 1, RW, MM_MAP_FIXED, &got), 0);
	mm_space_activate(&p0);
	ck_assert_int_eq(dwrite(va, 0x1111), 0);
	kernel_active();
	ck_assert_int_eq(mm_space_clone(&p0, &p1, MM_CLONE_COW), 0);
	ck_assert_int_eq(mm_mprotect(&p0, va, 1, RO | MM_PROT_EXEC), 0);
	ck_assert(!query(&p0, va).cow);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_clone(&p0, &p2, MM_CLONE_EAGER), 0);
	ck_assert(!(query(&p2, va).prot & MM_PROT_WRITE));
	ck_assert(!query(&p2, va).cow);
	assert_invariants(sim);
	mm_space_activate(&p2);
	ck_assert_uint_eq(dread(va), 0x1111);
	ck_assert_int_eq(verdict_of(va, SIM_WRITE), MM_FAULT_ACCESS);
	mm_space_activate(&p0);
	ck_assert_int_eq(verdict_of(va, SIM_WRITE), MM_FAULT_ACCESS);
	mm_space_activate(&p1); /* the first child's page is still COW */
	ck_assert_int_eq(dwrite(va, 0x2222), 0);
	mm_space_activate(&p0);
	ck_assert_uint_eq(dread(va), 0x1111);
	kernel_active();
	/* The page-table layer alone (no regions) keeps the same rule. */
	static struct mm_space q, q1, q2;
	parent_and_cow_child(&q, &q1, 5);
	ck_assert_int_eq(mm_protect(&q, UVA, 1, RO), 0);
	ck_assert_int_eq(mm_space_clone(&q, &q2, MM_CLONE_EAGER), 0);
	ck_assert(!(query(&q2, UVA).prot & MM_PROT_WRITE));
	mm_space_activate(&q2);
	ck_assert_int_eq(verdict_of(UVA, SIM_WRITE), MM_FAULT_ACCESS);
	kernel_active();
	assert_invariants(sim);
}
END_TEST

/* mprotect making a shared private frame writable makes it COW, on both
 * ISAs, and a COW clone of a read-only page shares it read-only. */
START_TEST(mprotect_writable_on_shared_frame_is_cow)
{
	static struct mm_space p, c;
	const mm_vaddr_t va = UINT64_C(0x40000000);
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mm_vaddr_t got;
	ck_assert_int_eq(mm_mmap(&p, va, 2, RO, MM_MAP_FIXED, &got), 0);
	ck_assert_int_eq(mm_populate(&p, va, 2, MM_ACCESS_READ), 0);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	ck_assert(!query(&p, va).cow && !query(&c, va).cow); /* read-only: no COW */
	ck_assert_uint_eq(query(&c, va).refs, 2);
	ck_assert_int_eq(mm_mprotect(&c, va, 2, RW), 0);
	ck_assert(query(&c, va).cow);
	ck_assert(!(query(&c, va).prot & MM_PROT_WRITE));
	assert_invariants(sim);
	mm_space_activate(&c);
	ck_assert_int_eq(dwrite(va, 9), 0);
	mm_space_activate(&p);
	ck_assert_uint_eq(dread(va), 0);
	kernel_active();
	assert_invariants(sim);
}
END_TEST

/* 64 two-page regions alternating r and rw, a page apart (none merge). */
#define NREG 64u
static void fill_regions(struct mm_space *s, mm_vaddr_t base)
{
	for (unsigned i = 0; i < NREG; i++) {
		mm_vaddr_t got;
		ck_assert_int_eq(mm_mmap(s, base + (uint64_t)i * 3 * PAGE, 2, (i % 2) ? RW : RO,
		                         MM_MAP_FIXED, &got),
		                 0);
	}
	ck_assert_uint_eq(mm_region_count(s), NREG);
}

/* Region counts follow splits and merges exactly (the count a full table
 * used to check on the result, before regions had no cap). */
START_TEST(region_counts_follow_splits_and_merges)
{
	static struct mm_space s;
	const mm_vaddr_t b = UINT64_C(0x10000000);
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	fill_regions(&s, b);
	mm_vaddr_t got;
	ck_assert_int_eq(mm_mprotect(&s, b + PAGE, 1, RW), 0); /* a real split */
	ck_assert_uint_eq(mm_region_count(&s), NREG + 1);
	ck_assert_int_eq(mm_mprotect(&s, b + PAGE, 1, RO), 0); /* merged back */
	ck_assert_uint_eq(mm_region_count(&s), NREG);
	/* Trim the end of region 0: still 64. */
	ck_assert_int_eq(mm_munmap(&s, b + PAGE, 1), 0);
	ck_assert_uint_eq(mm_region_count(&s), NREG);
	/* mmap that merges with region 0: still 64. */
	ck_assert_int_eq(mm_mmap(&s, b + PAGE, 1, RO, MM_MAP_FIXED, &got), 0);
	ck_assert_uint_eq(mm_region_count(&s), NREG);
	ck_assert_uint_eq(region_at(&s, 0)->end, b + 2 * PAGE);
	/* mprotect over a whole region. */
	ck_assert_int_eq(mm_mprotect(&s, b, 2, RW), 0);
	ck_assert_uint_eq(mm_region_count(&s), NREG);
	/* Trim region 1's start: still 64. */
	ck_assert_int_eq(mm_munmap(&s, b + 3 * PAGE, 1), 0);
	ck_assert_uint_eq(mm_region_count(&s), NREG);
	/* A hole punched in a region: one more. */
	ck_assert_int_eq(mm_mmap(&s, b + 0x100000, 3, RW, MM_MAP_FIXED, &got), 0);
	ck_assert_int_eq(mm_munmap(&s, b + 0x100000 + PAGE, 1), 0);
	ck_assert_uint_eq(mm_region_count(&s), NREG + 2);
	/* Whole regions go. */
	ck_assert_int_eq(mm_munmap(&s, b, 6), 0);
	ck_assert_uint_eq(mm_region_count(&s), NREG);
	assert_invariants(sim);
}
END_TEST

/* A clone of a space with many regions has exactly its regions. */
START_TEST(clone_of_many_regions)
{
	static struct mm_space s, e, c;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	fill_regions(&s, UINT64_C(0x10000000));
	ck_assert_int_eq(mm_populate(&s, UINT64_C(0x10000000), 1, MM_ACCESS_READ), 0);
	ck_assert_int_eq(mm_space_clone(&s, &e, MM_CLONE_EAGER), 0);
	ck_assert_int_eq(mm_space_clone(&s, &c, MM_CLONE_COW), 0);
	ck_assert_uint_eq(mm_region_count(&e), NREG);
	ck_assert_uint_eq(mm_region_count(&c), NREG);
	ck_assert(space_regions_eq(&e, &s));
	ck_assert(space_regions_eq(&c, &s));
	assert_invariants(sim);
}
END_TEST

/* A page made valid in an active space is seen at once, by the page-table
 * layer (mm_map) and by demand paging alike. An ISA whose TLB may cache
 * "not valid" (RISC-V, until sfence.vma) needs an invalidation after a map
 * too: the simulator caches it there, and a missing invalidation shows as
 * a stale entry and a fault on an access that must succeed. */
START_TEST(new_mappings_are_not_hidden_by_a_cached_invalid_entry)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_space_activate(&s);
	const uint64_t stale0 = sim_stats(sim)->stale;
	uint64_t v = 0;
	ck_assert_int_ne(uread64(sim, UVA, &v), 0); /* nothing there: a fault */
	ck_assert_int_eq(mm_map(&s, UVA, 1, RW), 0);
	ck_assert_int_eq(uwrite64(sim, UVA, 7), 0); /* no fault handling: must just work */
	ck_assert_int_eq(uread64(sim, UVA, &v), 0);
	ck_assert_uint_eq(v, 7);
	/* Demand paging, in a space with regions. */
	static struct mm_space t;
	kernel_active();
	ck_assert_int_eq(mm_space_create(sys, &t), 0);
	mm_space_activate(&t);
	const mm_vaddr_t b = UVA + 4 * PAGE;
	ck_assert_int_ne(uread64(sim, b, &v), 0);
	mm_vaddr_t got;
	ck_assert_int_eq(mm_mmap(&t, b, 1, RW, MM_MAP_FIXED_NOREPLACE, &got), 0);
	ck_assert_int_eq(dwrite(b, 9), 0); /* demand zero through mm_fault */
	ck_assert_uint_eq(dread(b), 9);
	ck_assert_uint_eq(sim_stats(sim)->stale, stale0);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

/* A COW break reached from software (a kernel's user-pointer check calls
 * mm_populate(WRITE) or mm_fault(WRITE)) while the old read-only
 * translation is cached must invalidate it: the stale-TLB checker sees it. */
START_TEST(software_cow_break_invalidates_the_old_translation)
{
	static struct mm_space p, c;
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	ck_assert_int_eq(mm_map(&p, UVA, 3, RW), 0);
	mm_space_activate(&p);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(uwrite64(sim, UVA + i * PAGE, 10 + i), 0);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(dread(UVA + i * PAGE), 10 + i); /* cache read-only entries */
	enum mm_fault_how how;
	ck_assert_int_eq(mm_fault(&p, UVA, MM_ACCESS_WRITE, &how), MM_FAULT_RESOLVED);
	ck_assert_int_eq(how, MM_FAULT_COW_COPY);
	assert_invariants(sim); /* no stale TLB entry */
	ck_assert_int_eq(mm_populate(&p, UVA + PAGE, 1, MM_ACCESS_WRITE), 0);
	assert_invariants(sim);
	/* The reuse path: the child copies first, so the parent's frame is its
	 * own again and is made writable in place. */
	mm_space_activate(&c);
	ck_assert_int_eq(dwrite(UVA + 2 * PAGE, 99), 0);
	mm_space_activate(&p);
	ck_assert_uint_eq(dread(UVA + 2 * PAGE), 12);
	ck_assert_int_eq(mm_fault(&p, UVA + 2 * PAGE, MM_ACCESS_WRITE, &how), MM_FAULT_RESOLVED);
	ck_assert_int_eq(how, MM_FAULT_COW_REUSE);
	assert_invariants(sim);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(uwrite64(sim, UVA + i * PAGE, 20 + i), 0);
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(UVA), 10);
	ck_assert_uint_eq(dread(UVA + PAGE), 11);
	ck_assert_uint_eq(dread(UVA + 2 * PAGE), 99);
	kernel_active();
}
END_TEST

/* mm_kernel_unmap() while a user space is active: the kernel address must
 * fault at once, before any CR3 write flushes the TLB. */
START_TEST(kernel_unmap_seen_at_once_by_the_active_space)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_paddr_t kf;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &kf), 0);
	const mm_vaddr_t kva = KERNEL_TOP - 16 * PAGE;
	const mm_vaddr_t top = arch_va_is_canonical(kva) ? kva : UINT64_C(0xFFFF0000);
	ck_assert_int_eq(mm_kernel_map(sys, top, kf, 1, MM_PROT_READ | MM_PROT_WRITE), 0);
	mm_space_activate(&s);
	uint64_t v = 7, got = 0;
	ck_assert_int_eq(sim_write(sim, top, &v, 8, SIM_WRITE, NULL), 0); /* supervisor */
	ck_assert_int_eq(sim_read(sim, top, &got, 8, 0, NULL), 0);        /* cached now */
	ck_assert_uint_eq(got, 7);
	ck_assert_int_eq(mm_kernel_unmap(sys, top, 1), 0);
	struct sim_fault f = { 0 };
	ck_assert_int_ne(sim_read(sim, top, &got, 8, 0, &f), 0);
	ck_assert(f.page_fault);
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	assert_invariants(sim);
	kernel_active();
	mm_sys_frame_put(sys, kf);
}
END_TEST

/* Global kernel pages (MM_PROT_GLOBAL, x86's G bit with CR4.PGE): their
 * TLB entries survive a switch of address space, so mm_kernel_unmap() must
 * invalidate each page, never rely on a CR3 reload; more pages than one
 * batch (MM_TLB_BATCH_PAGES) show it. */
START_TEST(global_kernel_pages_survive_switches_until_unmapped)
{
	enum { N = MM_TLB_BATCH_PAGES + 8 };
	static struct mm_space a, b;
	ck_assert_int_eq(mm_space_create(sys, &a), 0);
	ck_assert_int_eq(mm_space_create(sys, &b), 0);
	const mm_vaddr_t kva = KERNEL_TOP - 64 * PAGE;
	const mm_vaddr_t top = arch_va_is_canonical(kva) ? kva : UINT64_C(0xFFF00000);
	/* N allocated frames in a row, to read (a run of 64). */
	mm_paddr_t run;
	ck_assert_int_eq(mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL, 6, true, &run), 0);
	ck_assert_int_eq(mm_kernel_map(sys, top, run, N, MM_PROT_READ | MM_PROT_GLOBAL), 0);
	ck_assert(query(mm_sys_kernel_space(sys), top).prot & MM_PROT_GLOBAL);
	ck_assert_int_eq(mm_map(&a, UVA, 1, RW | MM_PROT_GLOBAL), -MM_EINVAL); /* user: never */
	mm_space_activate(&a);
	uint64_t v;
	for (unsigned i = 0; i < N; i++)
		ck_assert_int_eq(sim_read(sim, top + i * PAGE, &v, 8, 0, NULL), 0);
	mm_space_activate(&b); /* a CR3 write: the global entries stay */
	uint64_t walks = sim_stats(sim)->walks;
	for (unsigned i = 0; i < N; i++)
		ck_assert_int_eq(sim_read(sim, top + i * PAGE, &v, 8, 0, NULL), 0);
	ck_assert_uint_lt(sim_stats(sim)->walks - walks, N); /* most were TLB hits */
	ck_assert_int_eq(mm_kernel_unmap(sys, top, N), 0);
	for (unsigned i = 0; i < N; i++) {
		struct sim_fault f = { 0 };
		ck_assert_int_ne(sim_read(sim, top + i * PAGE, &v, 8, 0, &f), 0);
		ck_assert(f.page_fault);
	}
	ck_assert_uint_eq(sim_stats(sim)->stale, 0);
	assert_invariants(sim);
	kernel_active();
	for (unsigned i = 0; i < 64; i++)
		mm_sys_frame_put(sys, run + i * PAGE);
}
END_TEST

/* Clone at a boundary between a shared and a private region, with the
 * first page of the second region present, in both orders. */
START_TEST(clone_at_shared_private_boundary)
{
	static struct mm_space p, c;
	const mm_vaddr_t a = UINT64_C(0x40000000);
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mm_vaddr_t got;
	/* [a, a+2): shared, [a+2, a+4): private, [a+4, a+6): shared. */
	ck_assert_int_eq(mm_mmap(&p, a, 2, RW, MM_MAP_FIXED | MM_MAP_SHARED, &got), 0);
	ck_assert_int_eq(mm_mmap(&p, a + 2 * PAGE, 2, RW, MM_MAP_FIXED, &got), 0);
	ck_assert_int_eq(mm_mmap(&p, a + 4 * PAGE, 2, RW, MM_MAP_FIXED | MM_MAP_SHARED, &got), 0);
	mm_space_activate(&p);
	for (unsigned i = 0; i < 6; i++)
		ck_assert_int_eq(dwrite(a + i * PAGE, i), 0);
	kernel_active();
	for (int mode = MM_CLONE_EAGER; mode <= MM_CLONE_COW; mode++) {
		ck_assert_int_eq(mm_space_clone(&p, &c, (enum mm_clone_mode)mode), 0);
		assert_invariants(sim);
		mm_space_activate(&c);
		for (unsigned i = 0; i < 6; i++)
			ck_assert_int_eq(dwrite(a + i * PAGE, 100 + i + 10 * (unsigned)mode), 0);
		mm_space_activate(&p);
		for (unsigned i = 0; i < 6; i++) {
			bool shared = i < 2 || i >= 4;
			uint64_t want = shared ? 100 + i + 10 * (unsigned)mode : i;
			ck_assert_msg(dread(a + i * PAGE) == want, "mode %d page %u", mode, i);
			if (shared) /* put the parent's value back for the next round */
				ck_assert_int_eq(dwrite(a + i * PAGE, i), 0);
		}
		kernel_active();
		ck_assert_int_eq(mm_space_destroy(&c), 0);
		assert_invariants(sim);
	}
}
END_TEST

/* Demand-zero frames are zero, every byte, even when the allocator hands
 * back frames a previous owner filled. */
START_TEST(demand_zero_frames_are_zero)
{
	static struct mm_space s;
	enum { N = 16 };
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&s, 0, N, RW, 0, &va), 0);
	mm_space_activate(&s);
	static uint8_t page[ARCH_PAGE_SIZE];
	memset(page, 0xA5, sizeof(page));
	for (unsigned i = 0; i < N; i++)
		ck_assert_int_eq(
		        sim_write(sim, va + i * PAGE, page, PAGE, SIM_USER | SIM_DEMAND, NULL), 0);
	ck_assert_int_eq(mm_munmap(&s, va, N), 0); /* the frames go back, dirty */
	ck_assert_int_eq(mm_mmap(&s, 0, N, RW, 0, &va), 0);
	for (unsigned i = 0; i < N; i++) {
		memset(page, 0xFF, sizeof(page));
		ck_assert_int_eq(
		        sim_read(sim, va + i * PAGE, page, PAGE, SIM_USER | SIM_DEMAND, NULL), 0);
		for (size_t b = 0; b < PAGE; b++)
			ck_assert_msg(page[b] == 0, "page %u byte %zu is %#x", i, b, page[b]);
	}
	kernel_active();
}
END_TEST

/* A munmap of part of a shared mapping drops each frame's reference once. */
START_TEST(munmap_part_of_shared_mapping_drops_each_reference_once)
{
	static struct mm_space p, c;
	uint32_t free0 = free_frames(sim);
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mm_vaddr_t va;
	ck_assert_int_eq(mm_mmap(&p, 0, 4, RW, MM_MAP_SHARED, &va), 0);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(query(&c, va + i * PAGE).refs, 2);
	ck_assert_int_eq(mm_munmap(&p, va + PAGE, 2), 0);
	ck_assert_uint_eq(query(&c, va).refs, 2);
	ck_assert_uint_eq(query(&c, va + PAGE).refs, 1);
	ck_assert_uint_eq(query(&c, va + 2 * PAGE).refs, 1);
	ck_assert_uint_eq(query(&c, va + 3 * PAGE).refs, 2);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&c), 0);
	ck_assert_uint_eq(query(&p, va).refs, 1);
	ck_assert_uint_eq(query(&p, va + 3 * PAGE).refs, 1);
	ck_assert_int_eq(mm_space_destroy(&p), 0);
	ck_assert_uint_eq(free_frames(sim), free0);
}
END_TEST

/* mm_map_phys() maps shared memory: a fork shares it, writes are seen on
 * both sides, and protect never makes it COW. */
START_TEST(map_phys_pages_stay_shared_across_fork_and_protect)
{
	static struct mm_space p, c;
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mm_paddr_t f;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_USER, true, &f), 0);
	ck_assert_int_eq(mm_map_phys(&p, UVA, f, 1, RO), 0);
	mm_sys_frame_put(sys, f);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	ck_assert_int_eq(mm_protect(&c, UVA, 1, RW), 0);
	ck_assert(query(&c, UVA).shared && !query(&c, UVA).cow);
	ck_assert(query(&c, UVA).prot & MM_PROT_WRITE);
	assert_invariants(sim);
	mm_space_activate(&c);
	ck_assert_int_eq(uwrite64(sim, UVA, 42), 0);
	mm_space_activate(&p);
	uint64_t v = 0;
	ck_assert_int_eq(uread64(sim, UVA, &v), 0);
	ck_assert_uint_eq(v, 42);
	kernel_active();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cow-" ARCH_NAME);
	TCase *tc = tcase_create("cow");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, protect_writable_keeps_cow);
	tcase_add_test(tc, protect_readonly_then_writable_is_cow_again);
	tcase_add_test(tc, eager_clone_of_readonly_page_stays_readonly);
	tcase_add_test(tc, mprotect_writable_on_shared_frame_is_cow);
	tcase_add_test(tc, region_counts_follow_splits_and_merges);
	tcase_add_test(tc, clone_of_many_regions);
	tcase_add_test(tc, new_mappings_are_not_hidden_by_a_cached_invalid_entry);
	tcase_add_test(tc, software_cow_break_invalidates_the_old_translation);
	tcase_add_test(tc, kernel_unmap_seen_at_once_by_the_active_space);
	tcase_add_test(tc, global_kernel_pages_survive_switches_until_unmapped);
	tcase_add_test(tc, clone_at_shared_private_boundary);
	tcase_add_test(tc, demand_zero_frames_are_zero);
	tcase_add_test(tc, munmap_part_of_shared_mapping_drops_each_reference_once);
	tcase_add_test(tc, map_phys_pages_stay_shared_across_fork_and_protect);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
