/*
 * bench_mmap: mm-core's mmap, munmap and mprotect per call beside Linux's,
 * on the same sequence of calls, in one run; and region lookup with few
 * and with many regions. Run by `meson test --benchmark --verbose`.
 * Nothing is asserted: the figures are for docs/PERFORMANCE.md.
 *
 * The sequence: CALLS calls from a fixed seed over a window of WINDOW pages
 * at 0x40000000 (free in a fresh Linux x86_64 process and inside the user
 * half of every ISA): mmap (MAP_FIXED_NOREPLACE; a taken range fails the
 * same way on both), munmap and mprotect (which fail on a hole on both) of
 * random page ranges, with random protections. No page is touched, so
 * the figures are the region bookkeeping alone. Linux runs it in a child
 * process; each side runs it REPS times and the median is reported.
 *
 * usage: bench-mmap-<isa> [--reps N]
 */
#define _GNU_SOURCE
#include <sim/sim.h>

#include <arch/pte.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum { CALLS = 20000, WINDOW = 256, MAXREPS = 64 };
static const uint64_t BASE = UINT64_C(0x40000000);
static int reps = 9;

struct call {
	uint8_t kind; /* 0 mmap, 1 munmap, 2 mprotect */
	uint8_t prot; /* MM_PROT_READ|WRITE|EXEC */
	uint16_t page, n;
};
static struct call seq[CALLS];

static void make_sequence(void)
{
	uint64_t s = 0x9E3779B97F4A7C15u;
	for (int i = 0; i < CALLS; i++) {
		s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
		uint64_t r = s * UINT64_C(2685821657736338717);
		unsigned n = 1 + (unsigned)(r >> 8) % 8;
		seq[i] = (struct call){ .kind = (uint8_t)(r % 3),
			                .prot = (uint8_t)(MM_PROT_READ |
			                                  ((r >> 4) & 1 ? MM_PROT_WRITE : 0)),
			                .page = (uint16_t)((r >> 16) % (WINDOW - n)),
			                .n = (uint16_t)n };
	}
}

static int linux_prot(unsigned p)
{
	return ((p & MM_PROT_READ) ? PROT_READ : 0) | ((p & MM_PROT_WRITE) ? PROT_WRITE : 0);
}

/* One pass in this (Linux) process; returns ns per call and the failures. */
static double linux_pass(unsigned *failures)
{
	double t0 = now_ns();
	unsigned bad = 0;
	for (int i = 0; i < CALLS; i++) {
		void *a = (void *)(uintptr_t)(BASE + (uint64_t)seq[i].page * 4096);
		size_t len = (size_t)seq[i].n * 4096;
		int rc;
		if (seq[i].kind == 0)
			rc = mmap(a, len, linux_prot(seq[i].prot),
			          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			          0) == MAP_FAILED;
		else if (seq[i].kind == 1)
			rc = munmap(a, len);
		else
			rc = mprotect(a, len, linux_prot(seq[i].prot));
		bad += rc != 0;
	}
	double t = (now_ns() - t0) / CALLS;
	munmap((void *)(uintptr_t)BASE, (size_t)WINDOW * 4096);
	*failures = bad;
	return t;
}

static double mm_pass(struct mm_space *s, unsigned *failures)
{
	double t0 = now_ns();
	unsigned bad = 0;
	for (int i = 0; i < CALLS; i++) {
		mm_vaddr_t a = BASE + (uint64_t)seq[i].page * ARCH_PAGE_SIZE, got;
		int rc;
		if (seq[i].kind == 0)
			rc = mm_mmap(s, a, seq[i].n, seq[i].prot, MM_MAP_FIXED_NOREPLACE, &got);
		else if (seq[i].kind == 1)
			rc = mm_munmap(s, a, seq[i].n);
		else
			rc = mm_mprotect(s, a, seq[i].n, seq[i].prot);
		bad += rc != 0;
	}
	double t = (now_ns() - t0) / CALLS;
	mm_munmap(s, BASE, WINDOW);
	*failures = bad;
	return t;
}

/* ns per mm_region_find() over a space holding @n one-page regions (n >= 1),
 * a hole after each: at addresses in a pseudo-random order (@random), or in
 * address order, as a stream of faults sweeping through memory would. */
static double lookup_cost(struct sim *sim, unsigned n, bool random)
{
	static struct mm_space s;
	if (n == 0)
		exit(2);
	if (mm_space_create(sim_sys(sim), &s))
		exit(1);
	for (unsigned i = 0; i < n; i++) {
		mm_vaddr_t got;
		if (mm_mmap(&s, BASE + (mm_vaddr_t)i * 2 * ARCH_PAGE_SIZE, 1, MM_PROT_READ,
		            MM_MAP_FIXED_NOREPLACE, &got))
			exit(1);
	}
	/* Half of the addresses fall in the holes. */
	enum { LOOKUPS = 1000000, NADDR = 4096 };
	static mm_vaddr_t addr[NADDR];
	uint64_t x = 88172645463325252u;
	for (unsigned i = 0; i < NADDR; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		addr[i] = BASE + (x % (2 * (uint64_t)n)) * ARCH_PAGE_SIZE;
	}
	double v[MAXREPS];
	volatile uintptr_t sink = 0;
	for (int k = 0; k < reps; k++) {
		double t0 = now_ns();
		if (random)
			for (unsigned i = 0; i < LOOKUPS; i++)
				sink += (uintptr_t)mm_region_find(&s, addr[i % NADDR]);
		else
			for (unsigned i = 0; i < LOOKUPS; i++)
				sink += (uintptr_t)mm_region_find(
				        &s, BASE + (i % (2 * (uint64_t)n)) * ARCH_PAGE_SIZE);
		v[k] = (now_ns() - t0) / LOOKUPS;
	}
	(void)sink;
	mm_space_destroy(&s);
	return median(v, reps);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--reps"))
		reps = atoi(argv[2]);
	if (reps < 1 || reps > MAXREPS)
		reps = 9;
	make_sequence();
	int fd[2];
	if (pipe(fd))
		return 1;
	pid_t pid = fork();
	if (pid == 0) { /* Linux, in a fresh child */
		double v[MAXREPS];
		unsigned bad = 0;
		for (int k = 0; k < reps; k++)
			v[k] = linux_pass(&bad);
		double m = median(v, reps);
		if (write(fd[1], &m, sizeof(m)) != sizeof(m) || write(fd[1], &bad, sizeof(bad)) < 0)
			_exit(1);
		_exit(0);
	}
	double lx = 0;
	unsigned lbad = 0;
	if (read(fd[0], &lx, sizeof(lx)) != sizeof(lx) || read(fd[0], &lbad, sizeof(lbad)) < 0)
		return 1;
	waitpid(pid, NULL, 0);

	struct sim_config cfg = sim_config_default();
	cfg.quiet = true;
	cfg.mem_bytes = 64u << 20; /* 100,000 regions' nodes */
	struct sim *sim;
	if (sim_create(&cfg, &sim))
		return 1;
	static struct mm_space s;
	if (mm_space_create(sim_sys(sim), &s))
		return 1;
	double v[MAXREPS];
	unsigned mbad = 0;
	for (int k = 0; k < reps; k++)
		v[k] = mm_pass(&s, &mbad);
	double mm = median(v, reps);
	mm_space_destroy(&s);

	printf("mmap/munmap/mprotect, %d calls over %d pages (%s), median of %d:\n", CALLS, WINDOW,
	       ARCH_NAME, reps);
	printf("  %-40s %8.1f ns/call (%u calls failed)\n", "mm-core (simulator)", mm, mbad);
	printf("  %-40s %8.1f ns/call (%u calls failed)\n", "Linux (this machine, system calls)",
	       lx, lbad);
	printf("region lookup (mm_region_find), median of %d:\n", reps);
	printf("  %-40s %8.1f ns\n", "10 regions, random order", lookup_cost(sim, 10, true));
	printf("  %-40s %8.1f ns\n", "100,000 regions, random order",
	       lookup_cost(sim, 100000, true));
	printf("  %-40s %8.1f ns\n", "10 regions, address order", lookup_cost(sim, 10, false));
	printf("  %-40s %8.1f ns\n", "100,000 regions, address order",
	       lookup_cost(sim, 100000, false));
	sim_destroy(sim);
	return 0;
}
