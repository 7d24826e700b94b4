/* mmsim trace: Lackey trace replay, and its progress bar. */
#include "mmsim.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* A signal that ends mmsim while the progress bar shows: erase its line
 * first, so the shell's prompt starts clean. */
static void progress_interrupted(int sig)
{
	static const char erase[] = "\r\033[K";
	ssize_t w = write(2, erase, sizeof(erase) - 1);
	(void)w;
	signal(sig, SIG_DFL);
	raise(sig);
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The progress bar on stderr (a terminal): how much of the file is read
 * (when its size is known), the lines replayed, their rate and the time
 * left, fitted to the terminal's width so that the line never wraps.
 */
static void progress(uint64_t lines, gzFile g, off_t size, double t0, bool done)
{
	int cols = 80;
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		cols = ws.ws_col;
	double elapsed = seconds() - t0;
	double rate = elapsed > 0 ? (double)lines / elapsed : 0;
	double frac = size > 0 ? (double)gzoffset(g) / (double)size : 0;
	if (frac > 1 || done)
		frac = size > 0 ? 1 : 0;
	char eta[32] = "", info[128];
	if (size > 0 && !done && frac > 0.001 && elapsed > 0) {
		unsigned left = (unsigned)(elapsed * (1 - frac) / frac + 0.5);
		if (left < 60)
			snprintf(eta, sizeof(eta), " ETA %us", left);
		else if (left < 3600)
			snprintf(eta, sizeof(eta), " ETA %um%02us", left / 60, left % 60);
		else
			snprintf(eta, sizeof(eta), " ETA %uh%02um", left / 3600, left / 60 % 60);
	}
	int n = snprintf(info, sizeof(info), " %3.0f%% %.1fM lines, %.1fM/s%s", frac * 100,
	                 (double)lines / 1e6, rate / 1e6, eta);
	const char *text = size > 0 ? info : info + 6; /* no percentage without a size */
	n -= (int)(text - info);
	int room = cols - 1 - n; /* the last column stays free: no wrap */
	fputc('\r', stderr);
	if (size > 0 && room >= 12) {
		int width = room - 2 > 50 ? 50 : room - 2, fill = (int)(frac * width);
		fputc('[', stderr);
		for (int i = 0; i < width; i++)
			fputc(i < fill ? '#' : '.', stderr);
		fprintf(stderr, "]%s", text);
	} else {
		fprintf(stderr, "%.*s", cols > 1 ? cols - 1 : 0, text + (text[0] == ' '));
	}
	fputs("\033[K", stderr);
	if (done)
		fputc('\n', stderr);
}

/* One access of @size bytes at @va, touching every page it crosses. */
static void trace_access(mm_vaddr_t va, unsigned size, unsigned flags, const struct trace_opts *o)
{
	if ((va & (PAGE - 1)) + size <= PAGE && va < ARCH_USER_END && arch_va_is_canonical(va)) {
		mm_paddr_t pa; /* the common case: one page */
		struct sim_fault f;
		if (sim_access(M.sim, va, flags, &pa, &f))
			die("access at 0x%" PRIx64 " failed: %s (error code 0x%x)", va,
			    verdict_name(&f), f.error_code);
		return;
	}
	if (!arch_va_is_canonical(va) || va >= ARCH_USER_END) {
		if (!o->fold)
			die("address 0x%" PRIx64 " is outside the %s user half (below 0x%" PRIx64
			    "); use --fold to fold it in",
			    va, ARCH_NAME, (uint64_t)ARCH_USER_END);
		va %= ARCH_USER_END;
	}
	mm_vaddr_t last = va + (size ? size - 1 : 0);
	for (mm_vaddr_t p = va & ~(mm_vaddr_t)(PAGE - 1);; p += PAGE) {
		mm_paddr_t pa;
		struct sim_fault f;
		mm_vaddr_t at = p < va ? va : p;
		if (at >= ARCH_USER_END)
			break;
		if (sim_access(M.sim, at, flags, &pa, &f))
			die("access at 0x%" PRIx64 " failed: %s (error code 0x%x)", at,
			    verdict_name(&f), f.error_code);
		if (p + PAGE > last)
			break;
	}
}

static void fill_gaps(struct mm_space *s)
{
	/* Anonymous rwx regions over every gap, so that a trace of a real
	 * program (heap, libraries, its own mmaps) demand-faults anywhere. */
	mm_vaddr_t at = 0;
	const struct mm_region *next = mm_region_first(s);
	for (;;) {
		/* The gap [at, lo) below @next (or up to the end of the user half). */
		mm_vaddr_t lo = next ? next->start : ARCH_USER_END;
		if (next && (next->flags & MM_REGION_GROWS_DOWN))
			lo = next->limit - PAGE;
		mm_vaddr_t after = next ? next->end : 0;
		if (lo > at) {
			struct mm_region r = { .start = at,
				               .end = lo,
				               .prot = MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC,
				               .kind = MM_REGION_MMAP,
				               .backing = MM_BACKING_ANON };
			ok_or_die(mm_region_add(s, &r), "trace: region");
		}
		if (!next)
			break;
		/* The add may have merged @next away: find it again by address. */
		at = after;
		next = mm_region_next(s, mm_region_find(s, after - 1));
	}
}

int cmd_trace(const char *path, const struct trace_opts *o, struct named *space)
{
	int fd = strcmp(path, "-") ? -1 : 0;
	gzFile g = fd == 0 ? gzdopen(dup(0), "rb") : gzopen(path, "rb");
	if (!g)
		die("cannot open trace '%s': %s", path, strerror(errno));
	gzbuffer(g, 1 << 20);
	off_t size = 0;
	struct stat sb;
	if (fd != 0 && stat(path, &sb) == 0)
		size = sb.st_size;
	bool tty = isatty(2) && !o->quiet;
	double t0 = seconds();
	if (tty) {
		signal(SIGINT, progress_interrupted);
		signal(SIGTERM, progress_interrupted);
		M.progress_shown = true;
	}
	M.where = path;
	M.trace_path = path;
	fill_gaps(space->s);
	mm_space_activate(space->s);
	static char buf[1 << 20];
	size_t have = 0;
	uint64_t lines = 0;
	for (;;) {
		int got = gzread(g, buf + have, (unsigned)(sizeof(buf) - have));
		if (got < 0) {
			int e;
			die("reading the trace: %s", gzerror(g, &e));
		}
		have += (size_t)got;
		if (have == 0)
			break;
		size_t start = 0;
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);
			if (!nl) {
				if (got == 0) { /* the last line, without a newline */
					if (start == have)
						break;
					nl = buf + have;
				} else {
					break;
				}
			}
			char *p = buf + start, *end = nl;
			start = (size_t)(nl - buf) + 1;
			M.line = ++lines;
			if (p == end || *p == '=') /* blank, or Valgrind's own messages */
				continue;
			while (p < end && *p == ' ')
				p++;
			char op = p < end ? *p++ : 0;
			unsigned flags = SIM_USER | SIM_DEMAND;
			if (op == 'S' || op == 'M')
				flags |= SIM_WRITE;
			else if (op == 'I')
				flags |= SIM_FETCH;
			else if (op != 'L')
				die("malformed trace line: expected I, L, S or M, found '%.*s'",
				    (int)(end - p + 1 > 40 ? 40 : end - p + 1), p - 1);
			while (p < end && *p == ' ')
				p++;
			uint64_t va = 0;
			int digits = 0;
			for (; p < end && isxdigit((unsigned char)*p) && digits < 17; p++, digits++)
				va = va << 4 |
				     (uint64_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
			if (digits == 0 || digits > 16 || p >= end || *p != ',')
				die("malformed trace line: expected ADDRESS,SIZE");
			unsigned sz = 0;
			for (p++; p < end && *p >= '0' && *p <= '9' && sz < 1u << 20; p++)
				sz = sz * 10 + (unsigned)(*p - '0');
			while (p < end && (*p == ' ' || *p == '\r'))
				p++;
			if (p != end || sz == 0 || sz > 4096)
				die("malformed trace line: bad size");
			if (op == 'M') /* modify: a load, then a store */
				trace_access(va, sz, flags & ~(unsigned)SIM_WRITE, o);
			trace_access(va, sz, flags, o);
			if (tty && (lines & ((1u << 20) - 1)) == 0)
				progress(lines, g, size, t0, false);
		}
		memmove(buf, buf + start, have - (start < have ? start : have));
		have -= start < have ? start : have;
		if (got == 0)
			break;
	}
	if (tty) {
		progress(lines, g, size, t0, true);
		M.progress_shown = false;
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	gzclose(g);
	M.trace_lines = lines;
	M.line = 0;
	track_peak();
	return 0;
}
