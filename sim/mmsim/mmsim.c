/* mmsim: the machine, the state of a run, and how errors end it. */
#include "mmsim.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct mmsim_state M;

/* An error in the input or in the simulation: a message naming the file and
 * line on stderr (and, with --json, the document on stdout); exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (M.out)
		fflush(M.out);
	fflush(stdout);
	if (M.progress_shown)
		fputs("\r\033[K", stderr);
	if (M.where && M.line)
		fprintf(stderr, "%s:%lu: %s\n", M.where, M.line, msg);
	else if (M.where)
		fprintf(stderr, "%s: %s\n", M.where, msg);
	else
		fprintf(stderr, "mmsim: %s\n", msg);
	if (M.json && M.cmd)
		emit_json(msg);
	exit(1);
}

/* A usage error (a bad option or operand): a message and exit 2. */
__attribute__((noreturn, format(printf, 1, 2))) void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mmsim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see mmsim --help)\n", stderr);
	va_end(ap);
	exit(2);
}

void track_peak(void)
{
	uint32_t used = mm_frames_total(&M.sys->frames) - mm_frames_free_count(&M.sys->frames);
	if (used > M.peak_in_use)
		M.peak_in_use = used;
}

void make_sim(uint64_t mem_mib, unsigned tlb, bool check_stale, bool thp)
{
	struct sim_config cfg = sim_config_default();
	cfg.thp = thp;
	cfg.mem_bytes = mem_mib << 20;
	cfg.tlb_entries = tlb;
	cfg.tlb_ways = tlb >= 4 ? 4 : (tlb ? tlb : 1);
	cfg.check_stale = check_stale;
	int err = sim_create(&cfg, &M.sim);
	if (err)
		die("cannot create a %" PRIu64 " MiB machine with a %u-entry TLB: %s", mem_mib, tlb,
		    mm_strerror(err));
	M.sys = sim_sys(M.sim);
	track_peak();
}

void ok_or_die(int err, const char *what)
{
	if (M.expect_err) {
		if (err == M.expect_err) {
			M.expect_err = 0;
			return;
		}
		if (!(err == -MM_ENOMEM && M.inject))
			die("%s: expected %s, got %s", what, mm_strerror(M.expect_err),
			    err ? mm_strerror(err) : "success");
	}
	if (err == -MM_ENOMEM && M.inject) {
		fprintf(M.out, "# %s: ENOMEM (injected)\n", what);
		return;
	}
	if (err)
		die("%s: %s", what, mm_strerror(err));
	track_peak();
}

const char *verdict_name(const struct sim_fault *f)
{
	static const char *const v[] = { "resolved", "segv", "access", "oom" };
	return f->page_fault ? v[f->verdict] : "gp";
}
