/*
 * mmap semantics as Linux has them, for each ISA: PROT_NONE regions whose
 * pages keep their contents, protections without READ, MAP_FIXED replacing
 * what is there as one all-or-nothing operation, and MAP_FIXED_NOREPLACE.
 */
#include "helpers.h"

#define NONE (MM_PROT_USER) /* PROT_NONE as mm_mmap() takes it: no R, W or X */

static const mm_vaddr_t A = UINT64_C(0x40000000);

static struct mm_mapping query(struct mm_space *s, mm_vaddr_t va)
{
	struct mm_mapping m;
	ck_assert_int_eq(mm_query(s, va, &m), 0);
	return m;
}

static void mmap_at(struct mm_space *s, mm_vaddr_t va, uint64_t n, unsigned prot, unsigned flags)
{
	mm_vaddr_t got = 0;
	ck_assert_int_eq(mm_mmap(s, va, n, prot, flags | MM_MAP_FIXED_NOREPLACE, &got), 0);
	ck_assert_uint_eq(got, va);
}

/* PROT_NONE keeps the pages: every access is an access violation (Linux:
 * SIGSEGV with SEGV_ACCERR), and mprotect back restores the contents. */
START_TEST(prot_none_keeps_the_contents)
{
	static struct mm_space s;
	uint32_t free0 = free_frames(sim);
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mmap_at(&s, A, 3, RW, 0);
	mm_space_activate(&s);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(dwrite(A + i * PAGE, 100 + i), 0);
	uint32_t used = free_frames(sim);
	ck_assert_int_eq(mm_mprotect(&s, A, 3, 0), 0);
	ck_assert_uint_eq(free_frames(sim), used); /* nothing freed */
	ck_assert(query(&s, A).protnone);
	ck_assert_uint_eq(query(&s, A).prot, 0);
	ck_assert_uint_eq(query(&s, A).refs, 1);
	assert_invariants(sim); /* includes the TLB: the old entries are gone */
	ck_assert_int_eq(verdict_of(A, 0), MM_FAULT_ACCESS);
	ck_assert_int_eq(verdict_of(A + PAGE, SIM_WRITE), MM_FAULT_ACCESS);
	ck_assert_int_eq(verdict_of(A + 2 * PAGE, SIM_FETCH), MM_FAULT_ACCESS);
	ck_assert_int_eq(mm_populate(&s, A, 1, MM_ACCESS_READ), -MM_EFAULT);
	/* Back to readable: the same frames, the same bytes. */
	ck_assert_int_eq(mm_mprotect(&s, A, 2, RO), 0);
	ck_assert_uint_eq(dread(A), 100);
	ck_assert_uint_eq(dread(A + PAGE), 101);
	ck_assert_int_eq(verdict_of(A + PAGE, SIM_WRITE), MM_FAULT_ACCESS);
	ck_assert_int_eq(verdict_of(A + 2 * PAGE, 0), MM_FAULT_ACCESS); /* still none */
	ck_assert_int_eq(mm_mprotect(&s, A + 2 * PAGE, 1, RW), 0);
	ck_assert_uint_eq(dread(A + 2 * PAGE), 102);
	ck_assert_int_eq(dwrite(A + 2 * PAGE, 7), 0);
	assert_invariants(sim);
	/* munmap of PROT_NONE pages gives their frames back. */
	ck_assert_int_eq(mm_mprotect(&s, A, 3, 0), 0);
	kernel_active();
	ck_assert_int_eq(mm_munmap(&s, A, 2), 0);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&s), 0); /* and destroy the rest */
	ck_assert_uint_eq(free_frames(sim), free0);
}
END_TEST

/* A region mapped PROT_NONE reserves the range: no frames, every access
 * faults with ACCESS (not SEGV), and mprotect opens it to demand paging. */
START_TEST(prot_none_region_reserves)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	uint32_t free0 = free_frames(sim);
	mmap_at(&s, A, 4, NONE, 0);
	ck_assert_uint_eq(free_frames(sim), free0 - s.region_pages); /* no page frames */
	ck_assert_uint_eq((*region_at(&s, 0)).prot & (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC),
	                  0);
	mm_space_activate(&s);
	ck_assert_int_eq(verdict_of(A, 0), MM_FAULT_ACCESS);
	ck_assert_int_eq(verdict_of(A + 3 * PAGE, SIM_WRITE), MM_FAULT_ACCESS);
	ck_assert_int_eq(verdict_of(A + 4 * PAGE, 0), MM_FAULT_SEGV);
	ck_assert_uint_eq(s.user_pages, 0);
	ck_assert_int_eq(mm_mprotect(&s, A + PAGE, 1, RW), 0);
	ck_assert_uint_eq(dread(A + PAGE), 0);
	ck_assert_int_eq(dwrite(A + PAGE, 5), 0);
	ck_assert_uint_eq(s.user_pages, 1);
	ck_assert_uint_eq(mm_region_count(&s), 3);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

/* Fork of PROT_NONE pages: COW shares the frame (still PROT_NONE in both),
 * eager copies it; either side opening its page sees the contents, and a
 * write after opening copies (the frame is shared). */
START_TEST(prot_none_across_fork)
{
	static struct mm_space p, c, e;
	uint32_t free0 = free_frames(sim);
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mmap_at(&p, A, 1, RW, 0);
	mm_space_activate(&p);
	ck_assert_int_eq(dwrite(A, 0xAB), 0);
	kernel_active();
	ck_assert_int_eq(mm_mprotect(&p, A, 1, 0), 0);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	ck_assert_int_eq(mm_space_clone(&p, &e, MM_CLONE_EAGER), 0);
	ck_assert(query(&c, A).protnone && query(&e, A).protnone);
	ck_assert_uint_eq(query(&c, A).refs, 2);
	ck_assert_uint_eq(query(&e, A).refs, 1);
	assert_invariants(sim);
	ck_assert_int_eq(mm_mprotect(&c, A, 1, RW), 0);
	ck_assert(query(&c, A).cow); /* shared with p: copy on write */
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(A), 0xAB);
	ck_assert_int_eq(dwrite(A, 0xCD), 0);
	mm_space_activate(&e);
	ck_assert_int_eq(verdict_of(A, 0), MM_FAULT_ACCESS);
	kernel_active();
	ck_assert_int_eq(mm_mprotect(&e, A, 1, RW), 0);
	ck_assert(!query(&e, A).cow); /* its own copy */
	ck_assert_int_eq(mm_mprotect(&p, A, 1, RO), 0);
	mm_space_activate(&p);
	ck_assert_uint_eq(dread(A), 0xAB);
	mm_space_activate(&e);
	ck_assert_uint_eq(dread(A), 0xAB);
	kernel_active();
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&c), 0);
	ck_assert_int_eq(mm_space_destroy(&e), 0);
	ck_assert_int_eq(mm_space_destroy(&p), 0);
	ck_assert_uint_eq(free_frames(sim), free0);
}
END_TEST

/* A shared PROT_NONE mapping is populated (as every shared mapping) with
 * its pages PROT_NONE; once opened, writes are seen across a fork. */
START_TEST(shared_prot_none)
{
	static struct mm_space p, c;
	ck_assert_int_eq(mm_space_create(sys, &p), 0);
	mmap_at(&p, A, 2, NONE, MM_MAP_SHARED);
	ck_assert_uint_eq(p.user_pages, 2);
	ck_assert(query(&p, A).protnone && query(&p, A).shared);
	ck_assert_int_eq(mm_space_clone(&p, &c, MM_CLONE_COW), 0);
	ck_assert_int_eq(mm_mprotect(&p, A, 2, RW), 0);
	ck_assert_int_eq(mm_mprotect(&c, A, 2, RW), 0);
	ck_assert(!query(&c, A).cow);
	mm_space_activate(&c);
	ck_assert_int_eq(dwrite(A + PAGE, 77), 0);
	mm_space_activate(&p);
	ck_assert_uint_eq(dread(A + PAGE), 77);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

/* Write-only is read-write on every ISA (no MMU grants write without
 * read); execute-only is read-execute where the MMU cannot say it (x86, as
 * on Linux) and execute-only where it can (RISC-V): arch_prot_effective()
 * says which, and the page behaves as the region says. */
START_TEST(protections_without_read)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mmap_at(&s, A, 1, MM_PROT_WRITE, 0);
	mmap_at(&s, A + 2 * PAGE, 1, MM_PROT_EXEC, 0);
	ck_assert_uint_eq((*region_at(&s, 0)).prot, RW);
	const unsigned xo = arch_prot_effective(MM_PROT_EXEC) & (MM_PROT_EXEC | MM_PROT_READ);
	ck_assert_uint_eq((*region_at(&s, 1)).prot, xo | MM_PROT_USER);
	mm_space_activate(&s);
	ck_assert_int_eq(dwrite(A, 3), 0);
	ck_assert_uint_eq(dread(A), 3);
	ck_assert_int_eq(verdict_of(A + 2 * PAGE, SIM_FETCH), MM_FAULT_RESOLVED);
	ck_assert_int_eq(verdict_of(A + 2 * PAGE, 0),
	                 (xo & MM_PROT_READ) ? MM_FAULT_RESOLVED : MM_FAULT_ACCESS);
	ck_assert_int_eq(verdict_of(A + 2 * PAGE, SIM_WRITE), MM_FAULT_ACCESS);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

/* MAP_FIXED replaces: the old pages in the range go (frames back), the new
 * region is there, what is outside is untouched. */
/* The W^X policy (mm_sys_set_wx()): off, writable-and-executable is
 * allowed everywhere; on, every entry point refuses it with -MM_EACCES and
 * changes nothing; write or execute alone stays allowed. */
START_TEST(wx_policy_refuses_write_and_exec)
{
	static struct mm_space s;
	const unsigned wx = MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC;
	const unsigned uwx = wx | MM_PROT_USER;
	uint32_t free0 = free_frames(sim);
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t got = 0;
	ck_assert_int_eq(mm_mmap(&s, A, 1, wx, MM_MAP_FIXED_NOREPLACE, &got), 0); /* off: allowed */
	mm_sys_set_wx(sys, true);
	const uint64_t regions = mm_region_count(&s);
	ck_assert_int_eq(mm_mmap(&s, A + 4 * PAGE, 1, wx, MM_MAP_FIXED_NOREPLACE, &got),
	                 -MM_EACCES);
	ck_assert_int_eq(mm_mmap(&s, 0, 1, MM_PROT_WRITE | MM_PROT_EXEC, 0, &got), -MM_EACCES);
	mmap_at(&s, A + 8 * PAGE, 2, RW, 0); /* write alone: allowed */
	ck_assert_int_eq(mm_populate(&s, A + 8 * PAGE, 2, MM_ACCESS_WRITE), 0);
	const unsigned p8 = query(&s, A + 8 * PAGE).prot;
	ck_assert_int_eq(mm_mprotect(&s, A + 8 * PAGE, 2, wx), -MM_EACCES);
	ck_assert_uint_eq(query(&s, A + 8 * PAGE).prot, p8); /* unchanged */
	ck_assert_int_eq(mm_mprotect(&s, A + 8 * PAGE, 2, MM_PROT_READ | MM_PROT_EXEC), 0);
	struct mm_region r = { .start = A + 16 * PAGE, .end = A + 17 * PAGE, .prot = uwx };
	ck_assert_int_eq(mm_region_add(&s, &r), -MM_EACCES);
	ck_assert_int_eq(mm_map(&s, A + 32 * PAGE, 1, uwx), -MM_EACCES);
	ck_assert_int_eq(mm_map(&s, A + 32 * PAGE, 1, RW), 0);
	const unsigned p32 = query(&s, A + 32 * PAGE).prot;
	ck_assert_int_eq(mm_protect(&s, A + 32 * PAGE, 1, uwx), -MM_EACCES);
	ck_assert_uint_eq(query(&s, A + 32 * PAGE).prot, p32);
	ck_assert_int_eq(mm_unmap(&s, A + 32 * PAGE, 1), 0); /* page-table layer: no region */
	mm_paddr_t f;
	ck_assert_int_eq(mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &f), 0);
	ck_assert_int_eq(mm_map_phys(&s, A + 40 * PAGE, f, 1, uwx), -MM_EACCES);
	ck_assert_int_eq(mm_region_count(&s), regions + 1); /* only the RW mmap added one */
	mm_sys_set_wx(sys, false);
	ck_assert_int_eq(mm_mprotect(&s, A + 8 * PAGE, 2, wx), 0); /* off again: allowed */
	mm_sys_frame_put(sys, f);
	assert_invariants(sim);
	ck_assert_int_eq(mm_space_destroy(&s), 0);
	ck_assert_uint_eq(free_frames(sim), free0);
}
END_TEST

START_TEST(map_fixed_replaces)
{
	static struct mm_space s, c;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mmap_at(&s, A, 4, RW, 0);
	mm_space_activate(&s);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(dwrite(A + i * PAGE, 10 + i), 0);
	uint32_t free1 = free_frames(sim);
	mm_vaddr_t got;
	ck_assert_int_eq(mm_mmap(&s, A + PAGE, 2, RO, MM_MAP_FIXED, &got), 0);
	ck_assert_uint_eq(got, A + PAGE);
	ck_assert_uint_eq(free_frames(sim), free1 + 2);
	ck_assert_uint_eq(mm_region_count(&s), 3);
	assert_invariants(sim); /* and no stale TLB entry for the old pages */
	ck_assert_uint_eq(dread(A), 10);
	ck_assert_uint_eq(dread(A + PAGE), 0);
	ck_assert_int_eq(verdict_of(A + 2 * PAGE, SIM_WRITE), MM_FAULT_ACCESS);
	ck_assert_uint_eq(dread(A + 3 * PAGE), 13);
	/* A shared mapping over private pages and a hole: shared with a fork. */
	ck_assert_int_eq(mm_mmap(&s, A + 3 * PAGE, 3, RW, MM_MAP_FIXED | MM_MAP_SHARED, &got), 0);
	ck_assert_uint_eq(dread(A + 3 * PAGE), 0);
	assert_invariants(sim);
	kernel_active();
	ck_assert_int_eq(mm_space_clone(&s, &c, MM_CLONE_COW), 0);
	mm_space_activate(&c);
	ck_assert_int_eq(dwrite(A + 5 * PAGE, 55), 0);
	mm_space_activate(&s);
	ck_assert_uint_eq(dread(A + 5 * PAGE), 55);
	/* Same attributes on both sides: the replacement merges back. */
	kernel_active();
	ck_assert_int_eq(mm_mmap(&s, A + PAGE, 2, RW, MM_MAP_FIXED, &got), 0);
	ck_assert_uint_eq((*region_at(&s, 0)).start, A);
	ck_assert_uint_eq((*region_at(&s, 0)).end, A + 3 * PAGE);
	assert_invariants(sim);
}
END_TEST

struct fixed_ctx {
	struct mm_space *s;
	unsigned flags;
};

/* B: a leaf-table boundary; the old mapping ends there, the new one
 * straddles it, so it needs a new leaf table and four frames. */
#define B (A + LEAF_SPAN)

static int fixed_op(void *ctx)
{
	struct fixed_ctx *f = ctx;
	mm_vaddr_t got;
	return mm_mmap(f->s, B - 2 * PAGE, 4, RW, MM_MAP_FIXED | f->flags, &got);
}

/* MAP_FIXED is all-or-nothing: failing allocation N, for every N, leaves
 * the old mapping and every frame as they were. */
START_TEST(map_fixed_is_all_or_nothing)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mmap_at(&s, B - 4 * PAGE, 4, RW, 0);
	ck_assert_int_eq(mm_populate(&s, B - 4 * PAGE, 4, MM_ACCESS_WRITE), 0);
	mm_space_activate(&s);
	ck_assert_int_eq(dwrite(B - PAGE, 9), 0);
	struct fixed_ctx f = { .s = &s, .flags = MM_MAP_SHARED };
	ck_assert_int_eq(sweep(fixed_op, NULL, &f), 4 + 1); /* four frames, one table */
	ck_assert_uint_eq(dread(B - PAGE), 0);
	ck_assert(query(&s, B - PAGE).shared);
	ck_assert(!query(&s, B - 3 * PAGE).shared);
	/* A private replacement allocates nothing: it cannot fail so. */
	f.flags = 0;
	ck_assert_int_eq(sweep(fixed_op, NULL, &f), 0);
	ck_assert_uint_eq(s.user_pages, 2);
	kernel_active();
}
END_TEST

/* MAP_FIXED_NOREPLACE refuses a taken range and changes nothing; a fixed
 * mapping may not land in a stack's reach; a fixed replacement at a full
 * region table is counted on its result. */
START_TEST(map_fixed_refusals)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mmap_at(&s, A, 2, RW, 0);
	struct mm_region stack = { .start = A + 0x100000 - PAGE,
		                   .end = A + 0x100000,
		                   .limit = A + 0x100000 - 16 * PAGE,
		                   .prot = RW,
		                   .kind = MM_REGION_STACK,
		                   .backing = MM_BACKING_ANON,
		                   .flags = MM_REGION_GROWS_DOWN };
	ck_assert_int_eq(mm_region_add(&s, &stack), 0);
	uint64_t fp = machine_fp(sim);
	mm_vaddr_t got;
	ck_assert_int_eq(mm_mmap(&s, A + PAGE, 1, RW, MM_MAP_FIXED_NOREPLACE, &got), -MM_EEXIST);
	ck_assert_int_eq(mm_mmap(&s, A, 1, RW, MM_MAP_FIXED | MM_MAP_FIXED_NOREPLACE, &got),
	                 -MM_EINVAL);
	ck_assert_int_eq(mm_mmap(&s, A + 0x100000 - 8 * PAGE, 1, RW, MM_MAP_FIXED, &got),
	                 -MM_EEXIST);
	ck_assert_uint_eq(machine_fp(sim), fp);
	/* Replacing a whole region keeps the count; a region that merges
	 * with neither side adds one. */
	for (unsigned i = 0; i < 64; i++)
		mmap_at(&s, A + 0x200000 + (uint64_t)i * 2 * PAGE, 1, (i % 2) ? RW : RO, 0);
	uint64_t n = mm_region_count(&s);
	ck_assert_int_eq(mm_mmap(&s, A + 0x200000 + 10 * PAGE, 1, RW, MM_MAP_FIXED, &got), 0);
	ck_assert_uint_eq(mm_region_count(&s), n);
	ck_assert_int_eq(
	        mm_mmap(&s, A + 0x200000 + 11 * PAGE, 1, RO | MM_PROT_EXEC, MM_MAP_FIXED, &got), 0);
	ck_assert_uint_eq(mm_region_count(&s), n + 1);
	assert_invariants(sim);
}
END_TEST

/* madvise(MADV_DONTNEED): private pages go (zeros next time), shared pages
 * stay (they are the contents), a hole is refused and changes nothing. */
START_TEST(madvise_dontneed)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mmap_at(&s, A, 2, RW, 0);
	mmap_at(&s, A + 2 * PAGE, 1, RW, MM_MAP_SHARED);
	mm_space_activate(&s);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(dwrite(A + i * PAGE, 1 + i), 0);
	uint32_t free1 = free_frames(sim);
	uint64_t fp = machine_fp(sim);
	ck_assert_int_eq(mm_madvise(&s, A, 4, MM_MADV_DONTNEED), -MM_ENOENT); /* a hole */
	ck_assert_int_eq(mm_madvise(&s, A, 3, 99), -MM_EINVAL);
	ck_assert_uint_eq(machine_fp(sim), fp);
	ck_assert_int_eq(mm_madvise(&s, A, 3, MM_MADV_DONTNEED), 0);
	ck_assert_uint_eq(free_frames(sim), free1 + 2);
	assert_invariants(sim); /* the dropped pages' TLB entries too */
	ck_assert_uint_eq(dread(A), 0);
	ck_assert_uint_eq(dread(A + PAGE), 0);
	ck_assert_uint_eq(dread(A + 2 * PAGE), 3);
	kernel_active();
}
END_TEST

/* mremap: shrink, grow in place, and move with the contents and the COW
 * state travelling with the page-table entries (nothing copied). */
START_TEST(mremap_shrink_grow_move)
{
	static struct mm_space s, c;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mmap_at(&s, A, 4, RW, 0);
	mm_space_activate(&s);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(dwrite(A + i * PAGE, 10 + i), 0);
	mm_vaddr_t got;
	ck_assert_int_eq(mm_mremap(&s, A, 4, 3, 0, &got), 0); /* shrink */
	ck_assert_uint_eq(got, A);
	ck_assert_int_eq(verdict_of(A + 3 * PAGE, 0), MM_FAULT_SEGV);
	ck_assert_int_eq(mm_mremap(&s, A, 3, 6, 0, &got), 0); /* grow in place */
	ck_assert_uint_eq(got, A);
	ck_assert_uint_eq(mm_region_count(&s), 1);
	ck_assert_uint_eq(dread(A + 2 * PAGE), 12);
	ck_assert_uint_eq(dread(A + 5 * PAGE), 0);
	/* Something right after it: growing must move. */
	mmap_at(&s, A + 6 * PAGE, 1, RO, 0);
	uint64_t fp = machine_fp(sim);
	ck_assert_int_eq(mm_mremap(&s, A, 6, 8, 0, &got), -MM_ENOMEM); /* may not move */
	ck_assert_int_eq(mm_mremap(&s, A, 2, 8, 0, &got), -MM_ENOMEM);
	ck_assert_int_eq(mm_mremap(&s, A, 8, 9, MM_MREMAP_MAYMOVE, &got), -MM_EFAULT);
	ck_assert_uint_eq(machine_fp(sim), fp);
	kernel_active();
	ck_assert_int_eq(mm_space_clone(&s, &c, MM_CLONE_COW), 0);
	mm_space_activate(&s);
	mm_paddr_t pa1 = query(&s, A + PAGE).pa;
	uint32_t free1 = free_frames(sim);
	ck_assert_int_eq(mm_mremap(&s, A, 6, 10, MM_MREMAP_MAYMOVE, &got), 0);
	ck_assert_uint_ne(got, A);
	ck_assert_uint_eq(query(&s, got + PAGE).pa, pa1); /* the same frame: moved */
	ck_assert(query(&s, got + PAGE).cow);
	ck_assert_uint_le(free_frames(sim), free1); /* tables at most: no copies */
	assert_invariants(sim);                     /* the old range's TLB entries are gone */
	ck_assert_int_eq(verdict_of(A, 0), MM_FAULT_SEGV);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(dread(got + i * PAGE), 10 + i);
	ck_assert_uint_eq(dread(got + 9 * PAGE), 0);
	ck_assert_int_eq(dwrite(got + PAGE, 99), 0); /* COW: the child keeps 11 */
	mm_space_activate(&c);
	ck_assert_uint_eq(dread(A + PAGE), 11);
	kernel_active();
	assert_invariants(sim);
	/* A sparse mapping over more than a leaf table's span: the target's
	 * tables that receive nothing are freed again. */
	const uint64_t n = LEAF_SPAN / PAGE + 1;
	const mm_vaddr_t big = UINT64_C(0x50000000);
	mmap_at(&c, big, n, RW, 0);
	mmap_at(&c, big + n * PAGE, 1, RO, 0); /* no growth in place */
	mm_space_activate(&c);
	ck_assert_int_eq(dwrite(big, 8), 0);
	ck_assert_int_eq(mm_mremap(&c, big, n, n + 1, MM_MREMAP_MAYMOVE, &got), 0);
	ck_assert_uint_ne(got, big);
	ck_assert_uint_eq(dread(got), 8);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

struct remap_ctx {
	struct mm_space *s;
	mm_vaddr_t at;
	uint64_t from, to;
};

static int remap_op(void *ctx)
{
	struct remap_ctx *r = ctx;
	mm_vaddr_t got;
	return mm_mremap(r->s, r->at, r->from, r->to, MM_MREMAP_MAYMOVE, &got);
}

/* mremap is all-or-nothing: a move needs leaf tables at the new place, and
 * growing a shared mapping needs frames; failing each allocation in turn
 * leaves everything as it was. */
START_TEST(mremap_is_all_or_nothing)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mmap_at(&s, A, 3, RW, MM_MAP_SHARED);
	mmap_at(&s, A + 3 * PAGE, 1, RO, 0); /* blocks growth in place */
	mm_space_activate(&s);
	ck_assert_int_eq(dwrite(A, 5), 0);
	struct remap_ctx r = { .s = &s, .at = A, .from = 3, .to = 5 };
	ck_assert_int_gt(sweep(remap_op, NULL, &r), 2); /* tables, then two frames */
	mm_vaddr_t moved = mm_region_find(&s, A) ? 0 : 1;
	ck_assert_uint_eq(moved, 1);
	ck_assert_uint_eq(mm_region_count(&s), 2);
	mm_vaddr_t at = (*region_at(&s, 0)).start == A + 3 * PAGE ? (*region_at(&s, 1)).start
	                                                          : (*region_at(&s, 0)).start;
	ck_assert_uint_eq(dread(at), 5);
	ck_assert(query(&s, at + 4 * PAGE).shared);
	kernel_active();
}
END_TEST

/* brk: the heap starts at the end of the image; it grows with demand-zero
 * pages, shrinks by whole pages, and never runs into another region. */
START_TEST(brk_grows_and_shrinks)
{
	static struct mm_space s;
	ck_assert_int_eq(mm_space_create(sys, &s), 0);
	mm_vaddr_t cur;
	ck_assert_int_eq(mm_brk(&s, 0, &cur), 0);
	ck_assert_uint_eq(cur, 0);
	ck_assert_int_eq(mm_brk(&s, A, &cur), -MM_EINVAL); /* no heap yet */
	s.brk_start = s.brk = A;                           /* as mm_exec() leaves it */
	ck_assert_int_eq(mm_brk(&s, A + 3 * PAGE + 5, &cur), 0);
	ck_assert_uint_eq(cur, A + 3 * PAGE + 5);
	ck_assert_uint_eq((*region_at(&s, 0)).end, A + 4 * PAGE);
	ck_assert_uint_eq((*region_at(&s, 0)).kind, MM_REGION_HEAP);
	mm_space_activate(&s);
	ck_assert_int_eq(dwrite(A + 3 * PAGE, 1), 0);
	ck_assert_int_eq(mm_brk(&s, A + PAGE, &cur), 0);
	ck_assert_int_eq(verdict_of(A + 3 * PAGE, 0), MM_FAULT_SEGV);
	ck_assert_uint_eq(s.user_pages, 0);
	ck_assert_int_eq(mm_brk(&s, A - 1, &cur), -MM_EINVAL);
	mmap_at(&s, A + 8 * PAGE, 1, RO, 0);
	ck_assert_int_eq(mm_brk(&s, A + 9 * PAGE, &cur), -MM_ENOMEM);
	ck_assert_uint_eq(cur, A + PAGE);
	assert_invariants(sim);
	kernel_active();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mmap-" ARCH_NAME);
	TCase *tc = tcase_create("mmap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, prot_none_keeps_the_contents);
	tcase_add_test(tc, prot_none_region_reserves);
	tcase_add_test(tc, prot_none_across_fork);
	tcase_add_test(tc, shared_prot_none);
	tcase_add_test(tc, protections_without_read);
	tcase_add_test(tc, wx_policy_refuses_write_and_exec);
	tcase_add_test(tc, map_fixed_replaces);
	tcase_add_test(tc, map_fixed_is_all_or_nothing);
	tcase_add_test(tc, map_fixed_refusals);
	tcase_add_test(tc, madvise_dontneed);
	tcase_add_test(tc, mremap_shrink_grow_move);
	tcase_add_test(tc, mremap_is_all_or_nothing);
	tcase_add_test(tc, brk_grows_and_shrinks);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
