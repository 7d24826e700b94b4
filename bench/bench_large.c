/*
 * bench_large: what large pages save, for one ISA, in the simulator.
 *  1. Page-table bytes for 1 GiB mapped at a 1 GiB-aligned address, in
 *     4 KiB pages and with MM_PROT_LARGE (the largest pages the format
 *     has; and with level-1 pages only, as a CPU without 1 GiB pages
 *     gets), counted from the tables themselves, and the time to map.
 *  2. The same random trace of user reads replayed over 8 MiB backed by
 *     4 KiB pages and by large pages: the software TLB's misses (64
 *     entries, 4 ways).
 * Run by `meson test --benchmark --verbose`. Nothing is asserted: the
 * figures are for people (docs/PERFORMANCE.md).
 *
 * usage: bench-large-<isa> [--reps N]
 */
#include <sim/sim.h>

#include <arch/pte.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define PAGE ARCH_PAGE_SIZE
#define RW   (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_USER)
#define GIB  (UINT64_C(1) << 30)
#define VA   GIB       /* aligned to every page size */
#define PA   (2 * GIB) /* beyond the simulator's RAM: device memory, no references */

static int reps = 9;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-large: %s: %s\n", what, mm_strerror(err));
	exit(1);
}

static struct sim *new_sim(uint64_t mem_bytes, bool large)
{
	struct sim_config cfg = sim_config_default();
	cfg.mem_bytes = mem_bytes;
	cfg.quiet = true;
	cfg.direct_map = false;
	cfg.large_pages = large;
	struct sim *sim;
	int err = sim_create(&cfg, &sim);
	if (err)
		die("sim_create", err);
	return sim;
}

static int count_tables(void *ctx, const struct mm_walk_entry *e)
{
	if (!e->leaf)
		++*(uint64_t *)ctx;
	return 0;
}

/* Tables below the root that mapping 1 GiB takes with large pages up to
 * @max_level (0: 4 KiB pages), and the median time to map it. */
static uint64_t gib_tables(unsigned max_level, double *ns)
{
	double t[64];
	uint64_t tables = 0;
	for (int r = 0; r < reps; r++) {
		struct sim *sim = new_sim(16u << 20, true);
		struct mm_sys *sys = sim_sys(sim);
		int err = mm_sys_set_large_pages(sys, max_level);
		if (err)
			die("mm_sys_set_large_pages", err);
		struct mm_space s;
		err = mm_space_create(sys, &s);
		if (err)
			die("mm_space_create", err);
		double t0 = now_ns();
		err = mm_map_phys(&s, VA, PA, GIB / PAGE, RW | (max_level ? MM_PROT_LARGE : 0u));
		t[r] = now_ns() - t0;
		if (err)
			die("mm_map_phys", err);
		tables = 0;
		mm_space_walk(&s, false, count_tables, &tables);
		mm_space_destroy(&s);
		sim_destroy(sim);
	}
	*ns = median(t, reps);
	return tables;
}

/* TLB misses of one random trace of @n reads over @bytes at VA, mapped
 * with @prot (MM_PROT_LARGE or not). */
static uint64_t trace_misses(uint64_t bytes, uint64_t n, unsigned prot)
{
	struct sim *sim = new_sim(64u << 20, true);
	struct mm_sys *sys = sim_sys(sim);
	/* A run of frames in use (kind KERNEL, one reference each) to map. */
	mm_paddr_t run;
	int err = mm_sys_frame_alloc_run(sys, MM_FRAME_KERNEL,
	                                 (unsigned)__builtin_ctzll(bytes) - ARCH_PAGE_SHIFT, false,
	                                 &run);
	if (err)
		die("mm_sys_frame_alloc_run", err);
	struct mm_space s;
	err = mm_space_create(sys, &s);
	if (!err)
		err = mm_map_phys(&s, VA, run, bytes / PAGE, prot);
	if (err)
		die("map", err);
	mm_space_activate(&s);
	uint64_t seed = 42, before = sim_stats(sim)->tlb_misses;
	for (uint64_t i = 0; i < n; i++) {
		seed = seed * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
		uint64_t off = (seed >> 20) % bytes & ~UINT64_C(7);
		uint64_t v;
		err = sim_read(sim, VA + off, &v, sizeof(v), SIM_USER, NULL);
		if (err)
			die("sim_read", err);
	}
	uint64_t misses = sim_stats(sim)->tlb_misses - before;
	mm_space_activate(mm_sys_kernel_space(sys));
	mm_space_destroy(&s);
	sim_destroy(sim);
	return misses;
}

/* "1/N of 4 KiB pages'", or that no table below the root is needed. */
static const char *ratio(uint64_t small, uint64_t large)
{
	static char buf[4][64];
	static unsigned at;
	char *b = buf[at++ % 4];
	if (large == 0)
		snprintf(b, 64, "no table below the root (root entries only)");
	else
		snprintf(b, 64, "1/%.0f of 4 KiB pages'", (double)small / (double)large);
	return b;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--reps"))
		reps = atoi(argv[2]);
	if (reps < 1 || reps > 64 || (argc != 1 && argc != 3)) {
		fprintf(stderr, "usage: %s [--reps 1..64]\n", argv[0]);
		return 2;
	}
	printf("== large pages on %s: medians of %d repetitions\n", ARCH_NAME, reps);
	double ns4k, ns1;
	uint64_t t4k = gib_tables(0, &ns4k);
	uint64_t t1 = gib_tables(1, &ns1);
	printf("  page tables for 1 GiB, 4 KiB pages           %6" PRIu64 " (%" PRIu64
	       " KiB), mapped in %.2f ms\n",
	       t4k, t4k * PAGE >> 10, ns4k / 1e6);
	printf("  page tables for 1 GiB, %4" PRIu64 " KiB pages        %6" PRIu64 " (%" PRIu64
	       " KiB), mapped in %.3f ms: %s\n",
	       (UINT64_C(1) << arch_level_shift(1)) >> 10, t1, t1 * PAGE >> 10, ns1 / 1e6,
	       ratio(t4k, t1));
#if ARCH_LARGE_MAX_LEVEL > 1
	double nsmax;
	uint64_t tmax = gib_tables(ARCH_LARGE_MAX_LEVEL, &nsmax);
	printf("  page tables for 1 GiB, largest pages          %6" PRIu64 " (%" PRIu64
	       " KiB), mapped in %.3f ms: %s\n",
	       tmax, tmax * PAGE >> 10, nsmax / 1e6, ratio(t4k, tmax));
#endif
	const uint64_t bytes = 8u << 20, n = 1000000;
	uint64_t m4k = trace_misses(bytes, n, RW);
	uint64_t mlarge = trace_misses(bytes, n, RW | MM_PROT_LARGE);
	printf("  TLB misses, %" PRIu64 " random reads over 8 MiB: 4 KiB pages %" PRIu64
	       ", large pages %" PRIu64 " (1/%.0f)\n",
	       n, m4k, mlarge, mlarge ? (double)m4k / (double)mlarge : 0.0);
	return 0;
}
