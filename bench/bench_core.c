/*
 * bench_core: speed and size of mm-core's basic operations in the
 * simulator, for one ISA. Run by `meson test --benchmark --verbose`; prints a table of
 * medians with min-max over repetitions. Nothing here is asserted: the
 * figures are for people (docs/PERFORMANCE.md), not for pass/fail.
 *
 * usage: bench-core-<isa> [--reps N]
 */
#include <sim/sim.h>

#include <arch/pte.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

static int reps = 9;

/* Median, min and max of @n samples, sorted in place. */
static void report(const char *what, const char *unit, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("  %-52s %9.2f %-8s (min %.2f, max %.2f)\n", what, v[n / 2], unit, v[0], v[n - 1]);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, mm_strerror(err));
	exit(1);
}

/*
 * REFERENCE ONLY, not mm-core: the LIFO free-list frame allocator that
 * mm-core used before the buddy system (mm-core/src/frame.c as of commit
 * f915a5e), copied here so that the buddy allocator is measured beside it
 * in the same run (issue 15's goal: a single frame within 1.5x of it). It
 * keeps the old data layout: one free list threaded through the 8-byte
 * metadata, ref_or_next = index + 1 of the next free frame. Only what the
 * measurement needs: init, alloc, unref.
 */
struct lifo_frames {
	struct mm_phys_range range[MM_FRAMES_MAX_RANGES];
	uint32_t first_index[MM_FRAMES_MAX_RANGES];
	unsigned nranges;
	struct mm_frame *meta;
	uint32_t total, nfree, free_head;
	uint32_t in_use[MM_FRAME_NKINDS];
	int64_t fail_countdown;
	uint64_t nalloc_calls;
};

/* The old mm_frames_init() minus its checks; @r sorted, not overlapping. */
static void lifo_init(struct lifo_frames *fa, const struct mm_phys_range *r, unsigned n,
                      struct mm_frame *meta)
{
	*fa = (struct lifo_frames){ .nranges = n, .meta = meta, .fail_countdown = -1 };
	for (unsigned i = 0; i < n; i++) {
		fa->range[i] = r[i];
		fa->first_index[i] = fa->total;
		fa->total += (uint32_t)r[i].pages;
	}
	for (uint32_t i = 0; i < fa->total; i++)
		meta[i] = (struct mm_frame){ .ref_or_next = i + 2 <= fa->total ? i + 2 : 0 };
	fa->free_head = fa->total ? 1 : 0;
	fa->nfree = fa->total;
}

static mm_paddr_t lifo_paddr(const struct lifo_frames *fa, uint32_t index)
{
	unsigned lo = 0, hi = fa->nranges;
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (fa->first_index[mid] <= index)
			lo = mid;
		else
			hi = mid;
	}
	return fa->range[lo].base + (uint64_t)(index - fa->first_index[lo]) * ARCH_PAGE_SIZE;
}

static struct mm_frame *lifo_get(const struct lifo_frames *fa, mm_paddr_t pa)
{
	uint64_t off = (pa - fa->range[0].base) >> ARCH_PAGE_SHIFT;
	if (pa >= fa->range[0].base && off < fa->range[0].pages)
		return &fa->meta[off];
	unsigned lo = 0, hi = fa->nranges;
	if (pa < fa->range[0].base)
		return NULL;
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (fa->range[mid].base <= pa)
			lo = mid;
		else
			hi = mid;
	}
	off = (pa - fa->range[lo].base) >> ARCH_PAGE_SHIFT;
	return off < fa->range[lo].pages ? &fa->meta[fa->first_index[lo] + off] : NULL;
}

static __attribute__((noinline)) int lifo_alloc(struct lifo_frames *fa, enum mm_frame_kind kind,
                                                mm_paddr_t *out)
{
	if (kind <= MM_FRAME_FREE || kind >= MM_FRAME_NKINDS)
		return -MM_EINVAL;
	fa->nalloc_calls++;
	if (fa->fail_countdown == 0)
		return -MM_ENOMEM;
	if (fa->free_head == 0)
		return -MM_ENOMEM;
	if (fa->fail_countdown > 0)
		fa->fail_countdown--;
	uint32_t idx = fa->free_head - 1;
	struct mm_frame *f = &fa->meta[idx];
	if (f->kind != MM_FRAME_FREE)
		abort();
	fa->free_head = f->ref_or_next;
	*f = (struct mm_frame){ .ref_or_next = 1, .kind = (uint8_t)kind };
	fa->nfree--;
	fa->in_use[kind]++;
	*out = lifo_paddr(fa, idx);
	return 0;
}

static __attribute__((noinline)) uint32_t lifo_unref(struct lifo_frames *fa, mm_paddr_t pa)
{
	struct mm_frame *f = lifo_get(fa, pa);
	if (!f || f->kind == MM_FRAME_FREE || f->ref_or_next == 0)
		abort();
	if (--f->ref_or_next > 0)
		return f->ref_or_next;
	fa->in_use[f->kind]--;
	uint32_t idx = (uint32_t)(f - fa->meta);
	*f = (struct mm_frame){ .ref_or_next = fa->free_head, .kind = MM_FRAME_FREE };
	fa->free_head = idx + 1;
	fa->nfree++;
	return 0;
}

/* @nranges ranges of @frames / @nranges frames each, with one-frame holes. */
static void pool_ranges(struct mm_phys_range *r, uint32_t frames, unsigned nranges)
{
	uint64_t per = frames / nranges;
	for (unsigned i = 0; i < nranges; i++)
		r[i] = (struct mm_phys_range){ (UINT64_C(1) << 20) + i * (per + 1) * ARCH_PAGE_SIZE,
			                       per };
}

/*
 * Frame allocator: the cost of one alloc+free pair with the pool @fill
 * percent used, over @nranges ranges, with the buddy allocator and, in the
 * same run and on the same pattern, the old LIFO list (the reference
 * above). A flat figure across fill levels, pool sizes and range counts is
 * the O(1) or O(log n) bound showing.
 */
static void bench_frames(uint32_t frames, unsigned nranges, unsigned fill)
{
	struct mm_phys_range r[MM_FRAMES_MAX_RANGES];
	pool_ranges(r, frames, nranges);
	size_t bytes = mm_frames_meta_bytes(r, nranges);
	struct mm_frame *meta = malloc(bytes);
	struct mm_frames fa;
	int err = mm_frames_init(&fa, r, nranges, meta, bytes);
	if (err)
		die("mm_frames_init", err);
	struct lifo_frames lf;
	struct mm_frame *lmeta = malloc(bytes);
	if (!meta || !lmeta)
		die("malloc", -MM_ENOMEM);
	lifo_init(&lf, r, nranges, lmeta);
	uint32_t held = (uint32_t)((uint64_t)mm_frames_total(&fa) * fill / 100);
	mm_paddr_t pa;
	for (uint32_t i = 0; i < held; i++) {
		mm_frame_alloc(&fa, MM_FRAME_USER, &pa);
		lifo_alloc(&lf, MM_FRAME_USER, &pa);
	}
	enum { BATCH = 4096 };
	static mm_paddr_t got[BATCH];
	double v[64] = { 0 }, vl[64] = { 0 }, ratio[64] = { 0 };
	for (int k = 0; k < reps; k++) {
		double t0 = now_ns();
		for (int i = 0; i < BATCH; i++)
			mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]);
		for (int i = BATCH - 1; i >= 0; i--)
			mm_frame_unref(&fa, got[i]);
		double t1 = now_ns();
		for (int i = 0; i < BATCH; i++)
			lifo_alloc(&lf, MM_FRAME_USER, &got[i]);
		for (int i = BATCH - 1; i >= 0; i--)
			lifo_unref(&lf, got[i]);
		double t2 = now_ns();
		v[k] = (t1 - t0) / BATCH;
		vl[k] = (t2 - t1) / BATCH;
		ratio[k] = v[k] / vl[k];
	}
	char what[96];
	snprintf(what, sizeof(what), "frame alloc+free, %u Ki frames, %u range%s, %u%% used",
	         frames >> 10, nranges, nranges > 1 ? "s" : "", fill);
	report(what, "ns/pair", v, reps);
	report("  same, old LIFO list (reference, not mm-core)", "ns/pair", vl, reps);
	report("  buddy / LIFO, per repetition (goal <= 1.5)", "x", ratio, reps);
	free(lmeta);
	free(meta);
}

/*
 * Runs of 2^@order frames (order 9: a 2 MiB page): mm_frame_alloc_run()
 * of @batch runs, then every frame freed one by one, last run first, as a
 * large page split into small ones would be; per run, and per frame.
 */
static void bench_runs(uint32_t frames, unsigned order, unsigned batch)
{
	struct mm_phys_range r[1];
	pool_ranges(r, frames, 1);
	size_t bytes = mm_frames_meta_bytes(r, 1);
	struct mm_frame *meta = malloc(bytes);
	mm_paddr_t *got = malloc(batch * sizeof(*got));
	if (!meta || !got)
		die("malloc", -MM_ENOMEM);
	struct mm_frames fa;
	int err = mm_frames_init(&fa, r, 1, meta, bytes);
	if (err)
		die("mm_frames_init", err);
	const uint32_t len = UINT32_C(1) << order;
	double v[64] = { 0 }, vf[64] = { 0 };
	for (int k = 0; k < reps; k++) {
		double t0 = now_ns();
		for (unsigned i = 0; i < batch; i++)
			if ((err = mm_frame_alloc_run(&fa, MM_FRAME_USER, order, &got[i])))
				die("mm_frame_alloc_run", err);
		for (unsigned i = batch; i-- > 0;)
			for (uint32_t j = 0; j < len; j++)
				mm_frame_unref(&fa, got[i] + (mm_paddr_t)j * ARCH_PAGE_SIZE);
		v[k] = (now_ns() - t0) / batch;
		vf[k] = v[k] / len;
	}
	char what[96];
	snprintf(what, sizeof(what), "run of order %u (%u KiB) alloc + %u frees, %u Ki frames",
	         order, len * (unsigned)(ARCH_PAGE_SIZE >> 10), len, frames >> 10);
	report(what, "ns/run", v, reps);
	report("  the same, per frame of the run", "ns/frame", vf, reps);
	free(got);
	free(meta);
}

static struct sim *big_sim(uint64_t mem_bytes)
{
	struct sim_config cfg = sim_config_default();
	cfg.mem_bytes = mem_bytes;
	cfg.quiet = true;
	cfg.direct_map = false; /* only the user mappings being measured */
	struct sim *sim;
	int err = sim_create(&cfg, &sim);
	if (err)
		die("sim_create", err);
	return sim;
}

/* map/unmap of @n pages, per page. */
static void bench_map(uint64_t n)
{
	struct sim *sim = big_sim((n * 2 + 4096) * ARCH_PAGE_SIZE);
	struct mm_sys *sys = sim_sys(sim);
	static struct mm_space s;
	int err = mm_space_create(sys, &s);
	if (err)
		die("mm_space_create", err);
	const mm_vaddr_t va = 0x10000000;
	const unsigned rw = MM_PROT_READ | MM_PROT_WRITE | MM_PROT_USER;
	/* Frames for mm_map_phys: a run the test owns, mapped without zeroing. */
	mm_paddr_t first = 0, pa;
	for (uint64_t i = 0; i < n; i++) {
		err = mm_sys_frame_alloc(sys, MM_FRAME_USER, false, &pa);
		if (err)
			die("mm_sys_frame_alloc", err);
		if (i == 0)
			first = pa;
	}
	double vmp[64] = { 0 }, vma[64] = { 0 }, vun[64] = { 0 }, vpr[64] = { 0 };
	for (int k = 0; k < reps; k++) {
		double t0 = now_ns();
		err = mm_map_phys(&s, va, first, n, rw);
		double t1 = now_ns();
		if (err)
			die("mm_map_phys", err);
		err = mm_protect(&s, va, n, MM_PROT_READ | MM_PROT_USER);
		double t2 = now_ns();
		if (err)
			die("mm_protect", err);
		mm_unmap(&s, va, n);
		double t3 = now_ns();
		err = mm_map(&s, va, n, rw);
		double t4 = now_ns();
		if (err)
			die("mm_map", err);
		mm_unmap(&s, va, n);
		vmp[k] = (t1 - t0) / (double)n;
		vpr[k] = (t2 - t1) / (double)n;
		vun[k] = (t3 - t2) / (double)n;
		vma[k] = (t4 - t3) / (double)n;
	}
	char what[96];
	snprintf(what, sizeof(what), "mm_map_phys, %" PRIu64 " pages (tables + PTEs)", n);
	report(what, "ns/page", vmp, reps);
	snprintf(what, sizeof(what), "mm_map, %" PRIu64 " pages (+ alloc and zero frames)", n);
	report(what, "ns/page", vma, reps);
	snprintf(what, sizeof(what), "mm_protect, %" PRIu64 " pages", n);
	report(what, "ns/page", vpr, reps);
	snprintf(what, sizeof(what), "mm_unmap, %" PRIu64 " pages (+ free tables)", n);
	report(what, "ns/page", vun, reps);
	sim_destroy(sim);
}

/* Clones of a space with @n resident pages, per page, beside memcpy. */
static void bench_clone(uint64_t n)
{
	struct sim *sim = big_sim((n * 2 + 4096) * ARCH_PAGE_SIZE);
	struct mm_sys *sys = sim_sys(sim);
	static struct mm_space p, c;
	mm_space_create(sys, &p);
	mm_vaddr_t va;
	int err = mm_mmap(&p, 0, n, MM_PROT_READ | MM_PROT_WRITE, 0, &va);
	if (!err)
		err = mm_populate(&p, va, n, MM_ACCESS_WRITE);
	if (err)
		die("mm_mmap/mm_populate", err);
	char *src = malloc(n * ARCH_PAGE_SIZE), *dst = malloc(n * ARCH_PAGE_SIZE);
	if (!src || !dst)
		die("malloc", -MM_ENOMEM);
	memset(src, 1, n * ARCH_PAGE_SIZE);
	memset(dst, 2, n * ARCH_PAGE_SIZE);
	double vc[64] = { 0 }, vd[64] = { 0 }, vm[64] = { 0 }, vw[64] = { 0 }, vwd[64] = { 0 };
	for (int k = 0; k < reps; k++) {
		double t0 = now_ns();
		err = mm_space_clone(&p, &c, MM_CLONE_EAGER);
		double t1 = now_ns();
		if (err)
			die("mm_space_clone", err);
		mm_space_destroy(&c);
		double t2 = now_ns();
		memcpy(dst, src, n * ARCH_PAGE_SIZE);
		double t3 = now_ns();
		err = mm_space_clone(&p, &c, MM_CLONE_COW);
		double t4 = now_ns();
		if (err)
			die("mm_space_clone(COW)", err);
		mm_space_destroy(&c);
		double t5 = now_ns();
		vc[k] = (t1 - t0) / (double)n;
		vd[k] = (t2 - t1) / (double)n;
		vm[k] = (t3 - t2) / (double)n;
		vw[k] = (t4 - t3) / (double)n;
		vwd[k] = (t5 - t4) / (double)n;
	}
	if (dst[n * ARCH_PAGE_SIZE - 1] != 1)
		die("memcpy check", -MM_EINVAL);
	char what[96];
	snprintf(what, sizeof(what), "COW clone, %" PRIu64 " resident pages", n);
	report(what, "ns/page", vw, reps);
	snprintf(what, sizeof(what), "destroy of the COW clone, %" PRIu64 " pages", n);
	report(what, "ns/page", vwd, reps);
	snprintf(what, sizeof(what), "eager clone, %" PRIu64 " resident pages", n);
	report(what, "ns/page", vc, reps);
	snprintf(what, sizeof(what), "memcpy of the same %" PRIu64 " x 4 KiB (reference)", n);
	report(what, "ns/page", vm, reps);
	snprintf(what, sizeof(what), "destroy of the eager clone, %" PRIu64 " pages", n);
	report(what, "ns/page", vd, reps);
	free(src);
	free(dst);
	sim_destroy(sim);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--reps") == 0)
		reps = atoi(argv[2]);
	if (reps < 1 || reps > 64) {
		fprintf(stderr, "usage: %s [--reps 1..64]\n", argv[0]);
		return 2;
	}
	printf("== mm-core on %s: medians of %d repetitions\n", ARCH_NAME, reps);
	printf("  %-52s %9zu bytes    (Linux struct page: 64)\n", "frame metadata per frame",
	       sizeof(struct mm_frame));
	bench_frames(1u << 16, 1, 0);
	bench_frames(1u << 16, 1, 90);
	bench_frames(1u << 20, 1, 50);
	bench_frames(1u << 20, MM_FRAMES_MAX_RANGES, 50);
	bench_runs(1u << 20, 9, 512);
	bench_map(16384);
	bench_clone(16384);
	return 0;
}
