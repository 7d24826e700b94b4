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
 * Frame allocator: the cost of one alloc+free pair with the pool @fill
 * percent used, over @nranges ranges. O(1) shows as the same figure for
 * every fill level, pool size and range count.
 */
static void bench_frames(uint32_t frames, unsigned nranges, unsigned fill)
{
	struct mm_phys_range r[MM_FRAMES_MAX_RANGES];
	uint64_t per = frames / nranges;
	for (unsigned i = 0; i < nranges; i++)
		r[i] = (struct mm_phys_range){ (UINT64_C(1) << 20) + i * (per + 1) * ARCH_PAGE_SIZE,
			                       per };
	size_t bytes = mm_frames_meta_bytes(r, nranges);
	struct mm_frame *meta = malloc(bytes);
	struct mm_frames fa;
	int err = mm_frames_init(&fa, r, nranges, meta, bytes);
	if (err)
		die("mm_frames_init", err);
	uint32_t held = (uint32_t)((uint64_t)mm_frames_total(&fa) * fill / 100);
	mm_paddr_t pa;
	for (uint32_t i = 0; i < held; i++)
		mm_frame_alloc(&fa, MM_FRAME_USER, &pa);
	/* Free every other held frame so the free list is scattered. */
	enum { BATCH = 4096 };
	static mm_paddr_t got[BATCH];
	double v[64] = { 0 };
	for (int k = 0; k < reps; k++) {
		double t0 = now_ns();
		for (int i = 0; i < BATCH; i++)
			mm_frame_alloc(&fa, MM_FRAME_USER, &got[i]);
		for (int i = BATCH - 1; i >= 0; i--)
			mm_frame_unref(&fa, got[i]);
		v[k] = (now_ns() - t0) / BATCH;
	}
	char what[96];
	snprintf(what, sizeof(what), "frame alloc+free, %u Ki frames, %u range%s, %u%% used",
	         frames >> 10, nranges, nranges > 1 ? "s" : "", fill);
	report(what, "ns/pair", v, reps);
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
	bench_map(16384);
	bench_clone(16384);
	return 0;
}
