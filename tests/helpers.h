/*
 * Shared helpers of the host test suites: a fresh simulator per test, and a
 * fingerprint of everything an operation may change (every entry of every
 * space, the bytes of every mapped frame, the allocator's counters), so a
 * test can assert that a failed operation changed nothing.
 */
#ifndef TESTS_HELPERS_H
#define TESTS_HELPERS_H

#include <sim/sim.h>

#include <arch/pte.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define PAGE ARCH_PAGE_SIZE
#define RW   (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_USER)
#define RO   (MM_PROT_READ | MM_PROT_USER)
/* A user address every ISA has, and one leaf-table span (2 or 4 MiB). */
#define UVA UINT64_C(0x08048000)
/* The end of the kernel memory a test may map at the top of the address
 * space: 2^64 (0), or the recursive mapping's windows. */
#if MM_TABLES_RECURSIVE
#define KERNEL_TOP ((mm_vaddr_t)ARCH_RECURSIVE_FIRST_SLOT << arch_level_shift(ARCH_LEVELS - 1))
#else
#define KERNEL_TOP UINT64_C(0)
#endif
#define LEAF_SPAN (UINT64_C(1) << arch_level_shift(1))

/*
 * Built with -DTEST_HIGHMEM (the suites' "-highmem" variants), every machine
 * has its upper half beyond the direct map (sim_config.high_bytes): user
 * frames then come from there first, and the simulator stops on any
 * phys_to_virt of it.
 */
static inline void test_highmem(struct sim_config *cfg)
{
#ifdef TEST_HIGHMEM
	cfg->high_bytes = cfg->mem_bytes / 2 / PAGE * PAGE;
#else
	(void)cfg;
#endif
}

static inline struct sim *new_sim(void)
{
	struct sim_config cfg = sim_config_default();
	cfg.quiet = true;
	test_highmem(&cfg);
	struct sim *sim = NULL;
	ck_assert_int_eq(sim_create(&cfg, &sim), 0);
	return sim;
}

/*
 * The fixture of the space, vm and exec suites: a fresh machine per test
 * (Check runs each test in its own process unless CK_FORK=no, so the
 * statics below are per test either way).
 */
static struct sim *sim;
static struct mm_sys *sys;

static inline void setup(void)
{
	sim = new_sim();
	sys = sim_sys(sim);
}

static inline void teardown(void)
{
	sim_destroy(sim);
}

/* Replace the fixture's machine with one of @mem_bytes of RAM. */
static inline void big_machine(uint64_t mem_bytes)
{
	sim_destroy(sim);
	struct sim_config cfg = sim_config_default();
	cfg.mem_bytes = mem_bytes;
	cfg.quiet = true;
	test_highmem(&cfg);
	ck_assert_int_eq(sim_create(&cfg, &sim), 0);
	sys = sim_sys(sim);
}

/* The @i-th region of @s in address order (O(i)); NULL past the last. */
static inline const struct mm_region *region_at(const struct mm_space *s, uint64_t i)
{
	const struct mm_region *r = mm_region_first(s);
	while (r && i--)
		r = mm_region_next(s, r);
	return r;
}

/* Are regions @a and @b the same, member by member (memcmp would compare
 * the padding too)? */
static inline bool region_eq(const struct mm_region *a, const struct mm_region *b)
{
	return a->start == b->start && a->end == b->end && a->limit == b->limit &&
	       a->file == b->file && a->file_va == b->file_va && a->file_len == b->file_len &&
	       a->prot == b->prot && a->kind == b->kind && a->backing == b->backing &&
	       a->flags == b->flags;
}

/* Does @s hold exactly the @n regions of @want, in address order? */
static inline bool regions_are(const struct mm_space *s, const struct mm_region *want, uint64_t n)
{
	const struct mm_region *r = mm_region_first(s);
	for (uint64_t i = 0; i < n; i++, r = mm_region_next(s, r))
		if (!r || !region_eq(r, &want[i]))
			return false;
	return r == NULL && mm_region_count(s) == n;
}

/* Do spaces @a and @b hold the same regions? */
static inline bool space_regions_eq(const struct mm_space *a, const struct mm_space *b)
{
	const struct mm_region *x = mm_region_first(a), *y = mm_region_first(b);
	for (; x && y; x = mm_region_next(a, x), y = mm_region_next(b, y))
		if (!region_eq(x, y))
			return false;
	return !x && !y && mm_region_count(a) == mm_region_count(b);
}

static inline void kernel_active(void)
{
	mm_space_activate(mm_sys_kernel_space(sys));
}

static inline void assert_invariants(struct sim *sim)
{
	char msg[256] = "";
	int rc = sim_check(sim, msg, sizeof(msg));
	ck_assert_msg(rc == 0, "invariant broken: %s", msg);
}

/* FNV-1a over bytes. */
static inline uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* FNV-1a over @n 64-bit words, each as its 8 bytes from the lowest: the same
 * hash as fnv() over their memory on a little-endian host, without reading a
 * uint64_t array through a byte pointer (which clang's analyzer takes for a
 * read of uninitialised bytes). */
static inline uint64_t fnv_words(uint64_t h, const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < 64; k += 8)
			h = (h ^ ((w[i] >> k) & 0xff)) * UINT64_C(0x100000001b3);
	return h;
}

struct fp_ctx {
	struct sim *sim;
	uint64_t h;
};

static inline int fp_entry(void *ctx, const struct mm_walk_entry *e)
{
	struct fp_ctx *c = ctx;
	uint64_t rec[5] = { e->va, e->level, e->pa, e->prot, e->cow };
	c->h = fnv_words(c->h, rec, sizeof(rec) / sizeof(rec[0]));
	if (e->leaf && !e->kernel) {
		const void *p = sim_phys(c->sim, e->pa, PAGE);
		if (p)
			c->h = fnv(c->h, p, PAGE);
	}
	return 0;
}

/* Fingerprint of @s: its entries, mapped bytes and counters. */
static inline uint64_t space_fp(struct sim *sim, const struct mm_space *s)
{
	struct fp_ctx c = { sim, UINT64_C(0xcbf29ce484222325) };
	mm_space_walk(s, true, fp_entry, &c);
	uint64_t rec[4] = { s->root, s->user_pages, s->table_pages, mm_region_count(s) };
	c.h = fnv_words(c.h, rec, sizeof(rec) / sizeof(rec[0]));
	/* Its regions, field by field (a struct's padding is not state). */
	for (const struct mm_region *r = mm_region_first(s); r; r = mm_region_next(s, r)) {
		uint64_t f[10] = { r->start,    r->end,  r->limit, (uintptr_t)r->file, r->file_va,
			           r->file_len, r->prot, r->kind,  r->backing,         r->flags };
		c.h = fnv_words(c.h, f, sizeof(f) / sizeof(f[0]));
	}
	return c.h;
}

/* Fingerprint of the whole machine: every space and the allocator. */
static inline uint64_t machine_fp(struct sim *sim)
{
	struct mm_sys *sys = sim_sys(sim);
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (struct mm_space *s = mm_space_first(sys); s; s = mm_space_next(s)) {
		uint64_t x = space_fp(sim, s);
		h = fnv_words(h, &x, 1);
	}
	const struct mm_frames *fa = &sys->frames;
	uint64_t rec[7] = { fa->nfree,     fa->in_use[1], fa->in_use[2],     fa->in_use[3],
		            fa->in_use[4], sys->nspaces,  sys->kernel_tables };
	h = fnv_words(h, rec, sizeof(rec) / sizeof(rec[0]));
	/* Reference counts of every frame in use. */
	for (uint32_t i = 0; i < fa->total; i++)
		if (fa->meta[i].kind != MM_FRAME_FREE)
			h = fnv(h, &fa->meta[i], sizeof(fa->meta[i]));
	return h;
}

static inline uint32_t free_frames(struct sim *sim)
{
	return mm_frames_free_count(&sim_sys(sim)->frames);
}

/* Write and read one 64-bit value as user code would. */
static inline int uwrite64(struct sim *sim, mm_vaddr_t va, uint64_t v)
{
	return sim_write(sim, va, &v, sizeof(v), SIM_USER, NULL);
}

static inline int uread64(struct sim *sim, mm_vaddr_t va, uint64_t *v)
{
	return sim_read(sim, va, v, sizeof(*v), SIM_USER, NULL);
}

/* User accesses through the MMU model with page faults resolved by
 * mm_fault(), as a kernel's #PF handler would (the fixture's sim). */
static const unsigned D = SIM_USER | SIM_DEMAND; /* a user access, faults handled */

static inline int dwrite(mm_vaddr_t va, uint64_t v)
{
	return sim_write(sim, va, &v, sizeof(v), D, NULL);
}

static inline uint64_t dread(mm_vaddr_t va)
{
	uint64_t v = 0xDEAD;
	struct sim_fault f;
	ck_assert_int_eq(sim_read(sim, va, &v, sizeof(v), D, &f), 0);
	return v;
}

/* What a user access at @va (a write with SIM_WRITE, a fetch with SIM_FETCH)
 * ends in. */
static inline enum mm_fault_verdict verdict_of(mm_vaddr_t va, unsigned flags)
{
	uint64_t v = 0;
	struct sim_fault f = { 0 };
	int rc = (flags & SIM_WRITE)
	                 ? sim_write(sim, va, &v, sizeof(v), D, &f)
	                 : sim_read(sim, va, &v, sizeof(v), D | (flags & SIM_FETCH), &f);
	if (rc == 0)
		return MM_FAULT_RESOLVED;
	return f.page_fault ? f.verdict : MM_FAULT_SEGV; /* #GP: non-canonical */
}

/*
 * The allocation-failure sweep: run @op with frame allocation N failing,
 * for N = 0, 1, ... until it succeeds; each failure must be -MM_ENOMEM and
 * leave the whole machine's fingerprint unchanged. Then, if @undo is not
 * NULL, it must take the machine back to where it was before. Returns how
 * many N failed.
 */
typedef int (*op_fn)(void *ctx);

static inline int sweep(op_fn op, op_fn undo, void *ctx)
{
	int failures = 0;
	for (int64_t n = 0;; n++) {
		uint64_t fp = machine_fp(sim);
		mm_frames_fail_after(&sys->frames, n);
		int rc = op(ctx);
		mm_frames_fail_after(&sys->frames, -1);
		if (rc == 0) {
			assert_invariants(sim);
			if (undo) {
				ck_assert_int_eq(undo(ctx), 0);
				ck_assert_uint_eq(machine_fp(sim), fp);
			}
			return failures;
		}
		ck_assert_int_eq(rc, -MM_ENOMEM);
		ck_assert_msg(machine_fp(sim) == fp, "state changed after failing allocation %lld",
		              (long long)n);
		assert_invariants(sim);
		failures++;
		ck_assert_int_lt(failures, 100000);
	}
}

/* Small deterministic PRNG (xorshift64*), so every run tests the same cases. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* Run one suite; exit status for meson. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
