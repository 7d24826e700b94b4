/*
 * bench-linux-<isa>: mm-core in the simulator beside Linux on this machine,
 * in one run. Every figure is a median (with min-max) of repetitions, and
 * every goal is a ratio to a reference measured here, now, because
 * absolute times drift on a shared machine. Nothing is asserted.
 *
 * usage: bench-linux-<isa> [--reps N] [--max-pages N] [--svg FILE]
 */
#include <sim/sim.h>

#include <arch/pte.h>

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PAGE ARCH_PAGE_SIZE
static int reps = 5;

struct fig {
	double med, min, max;
};

static struct fig stat_of(double *v, int n)
{
	/* Every caller fills v[0..n) in its timing loop, which cppcheck does
	 * not follow. */
	/* cppcheck-suppress uninitvar */
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return (struct fig){ v[n / 2], v[0], v[n - 1] };
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-linux: %s: %s\n", what, mm_strerror(err));
	exit(1);
}

/* ---- Linux, measured by this program -------------------------------------------- */

/* Resident-set process: @pages pages of anonymous memory, all touched. */
static char *linux_resident(uint64_t pages)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	               0);
	if (p == MAP_FAILED)
		die("mmap", -MM_ENOMEM);
	for (uint64_t i = 0; i < pages; i++)
		p[i * PAGE] = (char)i;
	return p;
}

/* fork() of this process (resident set @pages), per page; and the exit of
 * the child, with its pages still COW-shared (@dirty false) or all copied
 * by the child first (@dirty true), per page. */
static void linux_fork_exit(uint64_t pages, char *mem, bool dirty, struct fig *fork_f,
                            struct fig *exit_f)
{
	double vf[64], ve[64];
	for (int k = 0; k < reps; k++) {
		int go[2], ready[2];
		if (pipe(go) || pipe(ready))
			die("pipe", -MM_ENOMEM);
		double t0 = now_ns();
		pid_t pid = fork();
		double t1 = now_ns();
		if (pid == 0) {
			if (dirty)
				for (uint64_t i = 0; i < pages; i++)
					mem[i * PAGE]++;
			char c = 1;
			if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
				_exit(2);
			_exit(0);
		}
		char c;
		if (read(ready[0], &c, 1) != 1)
			die("child", -MM_EINVAL);
		double t2 = now_ns();
		if (write(go[1], &c, 1) != 1)
			die("pipe write", -MM_EINVAL);
		int st;
		waitpid(pid, &st, 0);
		double t3 = now_ns();
		vf[k] = (t1 - t0) / (double)pages;
		ve[k] = (t3 - t2) / (double)pages;
		close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);
	}
	if (fork_f)
		*fork_f = stat_of(vf, reps);
	*exit_f = stat_of(ve, reps);
}

/* Linux's page-table bytes for this process (VmPTE, in KiB). */
static long linux_vmpte_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* ---- mm-core in the simulator ----------------------------------------------------- */

static struct sim *sim_for(uint64_t frames)
{
	struct sim_config cfg = sim_config_default();
	cfg.mem_bytes = (frames + 8192) * PAGE;
	cfg.quiet = true;
	cfg.direct_map = false;
	cfg.check_stale = false;
	struct sim *sim;
	int err = sim_create(&cfg, &sim);
	if (err)
		die("sim_create", err);
	return sim;
}

struct row {
	uint64_t pages;
	struct fig cow, lfork, eager, memcpy_, memcpy4k, destroy, destroy_cow, lexit_cow,
	        lexit_dirty;
	struct fig map, unmap;
	double pt_bytes_per_page, linux_pt_bytes_per_page;
};

static void measure(uint64_t n, struct row *r)
{
	r->pages = n;
	struct sim *sim = sim_for(3 * n);
	struct mm_sys *sys = sim_sys(sim);
	static struct mm_space p, c;
	int err;
	double vmap[64], vun[64];
	/* First, on the fresh machine (its frames come out in order): map and
	 * unmap of a range of given frames (the page-table layer). */
	mm_paddr_t first = 0, pa;
	static struct mm_space q;
	mm_space_create(sys, &q);
	for (uint64_t i = 0; i < n; i++) {
		if ((err = mm_sys_frame_alloc(sys, MM_FRAME_USER, false, &pa)))
			die("frames", err);
		if (!i)
			first = pa;
	}
	for (int k = 0; k < reps; k++) {
		double t0 = now_ns();
		if ((err = mm_map_phys(&q, 0x10000000, first, n,
		                       MM_PROT_READ | MM_PROT_WRITE | MM_PROT_USER)))
			die("map", err);
		double t1 = now_ns();
		mm_unmap(&q, 0x10000000, n);
		double t2 = now_ns();
		vmap[k] = (t1 - t0) / (double)n;
		vun[k] = (t2 - t1) / (double)n;
	}
	err = mm_space_create(sys, &p);
	mm_vaddr_t va = 0;
	if (!err)
		err = mm_mmap(&p, 0, n, MM_PROT_READ | MM_PROT_WRITE, 0, &va);
	if (!err)
		err = mm_populate(&p, va, n, MM_ACCESS_WRITE);
	if (err)
		die("populate", err);
	r->pt_bytes_per_page = (double)(p.table_pages * PAGE) / (double)n;
	double vc[64], vd[64], vdc[64], ve[64], vm[64], v4[64];
	char *src = malloc(n * PAGE), *dst = malloc(n * PAGE);
	if (!src || !dst)
		die("malloc", -MM_ENOMEM);
	memset(src, 1, n * PAGE);
	memset(dst, 2, n * PAGE);
	for (int k = -1; k < reps; k++) { /* k = -1: a warm-up, not recorded */
		double t0 = now_ns();
		if ((err = mm_space_clone(&p, &c, MM_CLONE_COW)))
			die("cow clone", err);
		double t1 = now_ns();
		mm_space_destroy(&c); /* its pages are all COW-shared */
		double t2 = now_ns();
		if ((err = mm_space_clone(&p, &c, MM_CLONE_EAGER)))
			die("eager clone", err);
		double t3 = now_ns();
		mm_space_destroy(&c); /* unshared: every frame freed */
		double t4 = now_ns();
		memcpy(dst, src, n * PAGE);
		double t5 = now_ns();
		for (uint64_t i = 0; i < n; i++) /* as a clone copies: a page at a time */
			memcpy(dst + i * PAGE, src + i * PAGE, PAGE);
		double t6 = now_ns();
		if (k < 0)
			continue;
		vc[k] = (t1 - t0) / (double)n;
		vdc[k] = (t2 - t1) / (double)n;
		ve[k] = (t3 - t2) / (double)n;
		vd[k] = (t4 - t3) / (double)n;
		vm[k] = (t5 - t4) / (double)n;
		v4[k] = (t6 - t5) / (double)n;
	}
	r->cow = stat_of(vc, reps);
	r->destroy_cow = stat_of(vdc, reps);
	r->eager = stat_of(ve, reps);
	r->destroy = stat_of(vd, reps);
	r->memcpy_ = stat_of(vm, reps);
	r->memcpy4k = stat_of(v4, reps);
	r->map = stat_of(vmap, reps);
	r->unmap = stat_of(vun, reps);
	if (dst[n * PAGE - 1] != 1)
		die("memcpy", -MM_EINVAL);
	free(src);
	free(dst);
	sim_destroy(sim);

	long pte0 = linux_vmpte_kib();
	char *mem = linux_resident(n);
	long pte1 = linux_vmpte_kib();
	r->linux_pt_bytes_per_page = pte0 >= 0 ? (double)(pte1 - pte0) * 1024.0 / (double)n : -1;
	linux_fork_exit(n, mem, false, &r->lfork, &r->lexit_cow);
	linux_fork_exit(n, mem, true, NULL, &r->lexit_dirty);
	munmap(mem, n * PAGE);
}

/* Translation: a TLB hit, and a miss with a full walk. */
static void translation(struct fig *hit, struct fig *miss)
{
	const uint64_t n = 16384;
	struct sim *sim = sim_for(n + 64);
	struct mm_sys *sys = sim_sys(sim);
	static struct mm_space s;
	mm_space_create(sys, &s);
	mm_vaddr_t va;
	mm_mmap(&s, 0, n, MM_PROT_READ | MM_PROT_WRITE, 0, &va);
	mm_populate(&s, va, n, MM_ACCESS_WRITE);
	mm_space_activate(&s);
	double vh[64], vmi[64];
	mm_paddr_t pa;
	const int per = 1 << 20;
	for (int k = 0; k < reps; k++) {
		double t0 = now_ns();
		for (int i = 0; i < per; i++) /* two pages: always in the TLB */
			sim_access(sim, va + (uint64_t)(i & 1) * PAGE + 8, SIM_USER, &pa, NULL);
		double t1 = now_ns();
		for (int i = 0; i < per; i++) /* 16 Ki pages round-robin: always a miss */
			sim_access(sim, va + (uint64_t)i * 97u % n * PAGE, SIM_USER, &pa, NULL);
		double t2 = now_ns();
		vh[k] = (t1 - t0) / per;
		vmi[k] = (t2 - t1) / per;
	}
	const struct sim_stats *st = sim_stats(sim);
	if (st->tlb_misses < (uint64_t)reps * per * 9 / 10)
		fprintf(stderr, "bench-linux: expected misses did not miss\n");
	*hit = stat_of(vh, reps);
	*miss = stat_of(vmi, reps);
	sim_destroy(sim);
}

static void pf(const char *what, struct fig f, const char *unit)
{
	printf("  %-46s %9.2f %-8s (%.2f-%.2f)\n", what, f.med, unit, f.min, f.max);
}

static void svg(const char *path, const struct row *rows, int nrows)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	const double W = 720, H = 420, L = 70, R = 190, T = 40, B = 50;
	double ymax = 0;
	for (int i = 0; i < nrows; i++) {
		double v[] = { rows[i].cow.med, rows[i].lfork.med, rows[i].eager.med,
			       rows[i].memcpy_.med };
		for (int j = 0; j < 4; j++)
			if (v[j] > ymax)
				ymax = v[j];
	}
	ymax *= 1.1;
	fprintf(f,
	        "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
	        "font-family='sans-serif' font-size='12'>\n",
	        W, H);
	fprintf(f,
	        "<rect width='100%%' height='100%%' fill='white'/>\n<text x='%.0f' y='22' "
	        "font-size='14'>mmkit (%s, simulator) vs Linux on this machine: cost per "
	        "page</text>\n",
	        L, ARCH_NAME);
	fprintf(f,
	        "<line x1='%.0f' y1='%.0f' x2='%.0f' y2='%.0f' stroke='black'/><line x1='%.0f' "
	        "y1='%.0f' x2='%.0f' y2='%.0f' stroke='black'/>\n",
	        L, H - B, W - R, H - B, L, T, L, H - B);
	for (int k = 0; k <= 5; k++) {
		double y = H - B - (H - T - B) * k / 5.0;
		fprintf(f,
		        "<text x='%.0f' y='%.0f' text-anchor='end'>%.0f</text><line x1='%.0f' "
		        "y1='%.0f' x2='%.0f' y2='%.0f' stroke='#ddd'/>\n",
		        L - 6, y + 4, ymax * k / 5.0, L, y, W - R, y);
	}
	fprintf(f,
	        "<text x='14' y='%.0f' transform='rotate(-90 14 %.0f)'>ns per page "
	        "(median)</text>\n",
	        (H) / 2, H / 2);
	for (int i = 0; i < nrows; i++) {
		double x = L + (W - L - R) * (nrows > 1 ? (double)i / (nrows - 1) : 0.5);
		fprintf(f, "<text x='%.0f' y='%.0f' text-anchor='middle'>%" PRIu64 " Ki</text>\n",
		        x, H - B + 18, rows[i].pages / 1024);
	}
	fprintf(f, "<text x='%.0f' y='%.0f' text-anchor='middle'>resident pages (4 KiB)</text>\n",
	        (L + W - R) / 2, H - 10);
	const char *names[4] = { "mm-core COW clone", "Linux fork()", "mm-core eager clone",
		                 "memcpy of the pages" };
	const char *colors[4] = { "#2a9d8f", "#e76f51", "#264653", "#e9c46a" };
	for (int s = 0; s < 4; s++) {
		fprintf(f, "<polyline fill='none' stroke-width='2.5' stroke='%s' points='",
		        colors[s]);
		for (int i = 0; i < nrows; i++) {
			const struct row *r = &rows[i];
			double v = s == 0   ? r->cow.med
			           : s == 1 ? r->lfork.med
			           : s == 2 ? r->eager.med
			                    : r->memcpy_.med;
			double x = L + (W - L - R) * (nrows > 1 ? (double)i / (nrows - 1) : 0.5);
			fprintf(f, "%.1f,%.1f ", x, H - B - (H - T - B) * v / ymax);
		}
		fprintf(f,
		        "'/>\n<rect x='%.0f' y='%.0f' width='14' height='4' fill='%s'/><text "
		        "x='%.0f' y='%.0f'>%s</text>\n",
		        W - R + 12, T + 20.0 * s + 6, colors[s], W - R + 32, T + 20.0 * s + 12,
		        names[s]);
	}
	fprintf(f, "</svg>\n");
	fclose(f);
}

int main(int argc, char **argv)
{
	uint64_t max_pages = UINT64_C(256) * 1024;
	const char *svg_path = "bench-linux-" ARCH_NAME ".svg";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--reps"))
			reps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--max-pages"))
			max_pages = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--svg"))
			svg_path = argv[i + 1];
	}
	if (reps < 1 || reps > 64 || max_pages < 4096) {
		fprintf(stderr, "usage: %s [--reps 1..64] [--max-pages N>=4096] [--svg FILE]\n",
		        argv[0]);
		return 2;
	}
	struct row rows[8];
	int nrows = 0;
	for (uint64_t n = 4096; n <= max_pages && nrows < 8; n *= 4)
		measure(n, &rows[nrows++]);
	struct fig hit, miss;
	translation(&hit, &miss);

	printf("== mm-core (%s, simulator) beside Linux on this machine: medians of %d, "
	       "(min-max)\n",
	       ARCH_NAME, reps);
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		printf("-- %" PRIu64 " Ki resident pages (%" PRIu64 " MiB)\n", r->pages / 1024,
		       r->pages * PAGE >> 20);
		pf("mm-core COW clone, per page", r->cow, "ns");
		pf("Linux fork() of the same resident set, per page", r->lfork, "ns");
		printf("  %-46s %9.3fx   (goal: at most 0.2x)\n", "  ratio",
		       r->cow.med / r->lfork.med);
		pf("mm-core eager clone, per page", r->eager, "ns");
		pf("memcpy of the same bytes, per page", r->memcpy_, "ns");
		printf("  %-46s %9.3fx   (goal: at most 1.25x)\n", "  ratio",
		       r->eager.med / r->memcpy_.med);
		pf("memcpy of the same bytes, 4 KiB at a time", r->memcpy4k, "ns");
		printf("  %-46s %9.3fx\n", "  ratio to that", r->eager.med / r->memcpy4k.med);
		pf("mm-core destroy, COW-shared, per page", r->destroy_cow, "ns");
		pf("mm-core destroy, unshared, per page", r->destroy, "ns");
		pf("Linux exit of the forked child, shared, per page", r->lexit_cow, "ns");
		pf("Linux exit of a child that wrote every page", r->lexit_dirty, "ns");
		printf("  %-46s %9.3fx / %.3fx (goal: at most 0.2x)\n",
		       "  ratios (shared / unshared)", r->destroy_cow.med / r->lexit_cow.med,
		       r->destroy.med / r->lexit_dirty.med);
		pf("mm-core map (frames given), per page", r->map, "ns");
		pf("mm-core unmap, per page", r->unmap, "ns");
		printf("  %-46s %9.2f bytes  (Linux VmPTE: %.2f)\n",
		       "page-table bytes per resident page", r->pt_bytes_per_page,
		       r->linux_pt_bytes_per_page);
	}
	printf("-- translation (%s, 64-entry TLB)\n", ARCH_NAME);
	pf("TLB hit, per access", hit, "ns");
	pf("TLB miss and full page walk, per access", miss, "ns");
	printf("-- frame metadata: %zu bytes per frame (Linux's struct page: 64)\n",
	       sizeof(struct mm_frame));
	svg(svg_path, rows, nrows);
	printf("-- plot: %s\n", svg_path);
	return 0;
}
