/*
 * difftest: random mmap/munmap/mprotect/fork/read/write/exit sequences,
 * run by the host Linux kernel and replayed by mm-core.
 *
 * For each seed: generate a sequence of operations (a pure function of the
 * seed and the options), run it as real Linux processes (linux.c), and
 * write an mmsim script that performs the same operations and asserts
 * every Linux outcome: each value read, each fault and its kind
 * (SEGV_MAPERR: `segv`, SEGV_ACCERR: `access`), each error. Then
 * `mmsim --arch ISA run -` checks mm-core against it, the script on its
 * standard input (it never reaches a shell). Any disagreement is a failure,
 * and the failing sequence is minimised and saved as a script.
 *
 * Where mm-core differs from Linux on purpose, the generator knows
 * (`avoided()` and `run_op()`), and docs/TESTING.md says why.
 *
 *   difftest --arch ISA --mmsim PATH [--seeds A-B] [options]
 *   difftest --print --seed N [options]      the script of one seed
 */
#include "difftest.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPS   4096
#define MAX_PROCS 256 /* process numbers in one sequence (names p0..p255) */

/* ---- options ------------------------------------------------------------------ */

/* Operation classes that can be switched on and off (--enable/--disable). */
enum {
	C_SHARED,     /* MAP_SHARED mmaps */
	C_WRITE_ONLY, /* PROT_WRITE alone: read-write on x86, as on Linux */
	C_WX,         /* PROT_WRITE|PROT_EXEC (no read): read-write-execute */
	C_RWX,        /* read-write-execute */
	C_EXEC_ONLY,  /* PROT_EXEC alone: readable on x86 without protection keys */
	C_PROT_NONE,  /* PROT_NONE mmaps and mprotects */
	C_REPLACE,    /* replacing MAP_FIXED over existing mappings */
	C_MADVISE,    /* madvise(MADV_DONTNEED) */
	C_EAGER,      /* some forks use mm-core's eager clone */
	C_HOLES,      /* mprotect over holes (mm-core: all or nothing, see run_op) */
	C_NCLASSES,
};

static const struct {
	const char *name;
	bool on;
	const char *what;
} classes[C_NCLASSES] = {
	[C_SHARED] = { "shared", true, "MAP_SHARED mmaps" },
	[C_WRITE_ONLY] = { "write-only", true, "PROT_WRITE alone (read-write on x86)" },
	[C_WX] = { "wx", true, "PROT_WRITE|PROT_EXEC (read-write-execute on x86)" },
	[C_RWX] = { "rwx", true, "PROT_READ|PROT_WRITE|PROT_EXEC" },
	[C_EXEC_ONLY] = { "exec-only", true,
	                  "PROT_EXEC alone (readable on x86; off if the host has protection "
	                  "keys)" },
	[C_PROT_NONE] = { "prot-none", true, "PROT_NONE mmaps and mprotects" },
	[C_REPLACE] = { "replace", true, "replacing MAP_FIXED (mmsim: mmap ... fixed)" },
	[C_MADVISE] = { "madvise", true, "madvise(MADV_DONTNEED) (mmsim: madvise ... dontneed)" },
	[C_EAGER] = { "eager", true, "eager clones for some forks" },
	[C_HOLES] = { "holes", true, "mprotect and madvise over ranges with holes" },
};

static struct config {
	const char *arch;
	const char *mmsim;
	uint64_t first, last; /* seeds */
	unsigned pages;       /* window size */
	unsigned nops;
	unsigned max_procs;
	unsigned eager_pct;
	unsigned shared_pct;
	unsigned none_pct;    /* protections that are PROT_NONE (class prot-none) */
	unsigned replace_pct; /* mmaps that replace (class replace) */
	unsigned weight[DT_NKINDS];
	bool on[C_NCLASSES];
	bool print;
	bool minimise;
	bool verbose;
	bool plant;
	unsigned wrapped_seeds; /* seeds to run when MMSIM_WRAPPER is set (Valgrind) */
	const char *hole_error; /* mmsim's name of mm_mprotect()'s error for a hole */
	const char *keep_dir;
	uint64_t lo; /* window start */
} cfg = {
	.pages = 64,
	.nops = 300,
	.max_procs = 4,
	.eager_pct = 20,
	.shared_pct = 25,
	.none_pct = 10,
	.replace_pct = 20,
	.weight = { [DT_MMAP] = 14,
	            [DT_MUNMAP] = 8,
	            [DT_MPROTECT] = 12,
	            [DT_MADVISE] = 4,
	            [DT_READ] = 25,
	            [DT_WRITE] = 25,
	            [DT_FORK] = 8,
	            [DT_EXIT] = 5 },
	.minimise = true,
	.wrapped_seeds = 6,
	.hole_error = "ENOENT",
	.keep_dir = ".",
};

static const char *const kind_names[DT_NKINDS] = { "mmap", "munmap", "mprotect", "madvise",
	                                           "read", "write",  "fork",     "exit" };

__attribute__((noreturn, format(printf, 1, 2))) static void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("difftest: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* ---- random numbers: splitmix64 ------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static unsigned below(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

static bool chance(unsigned pct)
{
	return below(100) < pct;
}

/* ---- the model: what Linux's address spaces hold ---------------------------------- */

/* Per process, per window page: DT_S_* (mapped, shared, Linux PROT_* bits).
 * It predicts Linux, and is checked against /proc/PID/maps after every
 * operation that changes mappings. */
struct model {
	bool alive[MAX_PROCS];
	uint8_t st[MAX_PROCS][DT_WINDOW_PAGES];
	unsigned nalive;
};

static bool any_mapped(const struct model *m, unsigned p, unsigned a, unsigned n)
{
	for (unsigned i = a; i < a + n; i++)
		if (m->st[p][i] & DT_S_MAPPED)
			return true;
	return false;
}

/* The first page of [a, a + n) that is not mapped, or a + n. */
static unsigned first_hole(const struct model *m, unsigned p, unsigned a, unsigned n)
{
	unsigned i = a;
	while (i < a + n && (m->st[p][i] & DT_S_MAPPED))
		i++;
	return i;
}

/* Is @op a case the generator avoids (mm-core differs from Linux on
 * purpose, and the difference cannot be expected)? See docs/TESTING.md.
 * None today: the differences left are expected (run_op()). */
static bool avoided(const struct model *m, const struct dt_op *op)
{
	(void)m;
	(void)op;
	return false;
}

/* Can @op run in model @m at all (its process alive, its child's number
 * free)? A sequence with operations removed skips what no longer can. */
static bool applicable(const struct model *m, const struct dt_op *op)
{
	if (!m->alive[op->proc])
		return false;
	if (op->kind == DT_FORK && m->alive[op->child])
		return false;
	if (op->kind == DT_EXIT && m->nalive == 1)
		return false; /* the last process exits at the end */
	return !avoided(m, op);
}

/* What the model expects of an mmap/mprotect: 0, or the Linux errno. For an
 * mprotect over a hole, *@hole receives the first missing page. */
static int model_apply(struct model *m, const struct dt_op *op, unsigned *hole)
{
	uint8_t *st = m->st[op->proc];
	unsigned a = op->page, n = op->npages;
	switch (op->kind) {
	case DT_MMAP:
		if (!(op->flags & DT_F_REPLACE) && any_mapped(m, op->proc, a, n))
			return EEXIST;
		for (unsigned i = a; i < a + n; i++)
			st[i] = DT_S_MAPPED | ((op->flags & DT_F_SHARED) ? DT_S_SHARED : 0) |
			        op->prot;
		return 0;
	case DT_MUNMAP: memset(st + a, 0, n); return 0;
	case DT_MPROTECT: {
		unsigned h = first_hole(m, op->proc, a, n);
		for (unsigned i = a; i < h; i++)
			st[i] = (uint8_t)((st[i] & ~DT_S_PROT) | op->prot);
		*hole = h;
		return h == a + n ? 0 : ENOMEM;
	}
	case DT_FORK:
		memcpy(m->st[op->child], st, sizeof(m->st[0]));
		m->alive[op->child] = true;
		m->nalive++;
		return 0;
	case DT_EXIT:
		m->alive[op->proc] = false;
		m->nalive--;
		return 0;
	case DT_MADVISE: {
		/* Linux advises every mapped page of the range, then says
		 * ENOMEM if there was a hole. Contents only: no state here. */
		*hole = first_hole(m, op->proc, a, n);
		return *hole == a + n ? 0 : ENOMEM;
	}
	default: return 0;
	}
}

/* ---- generation ------------------------------------------------------------------ */

static unsigned rand_len(void)
{
	static const unsigned lens[] = { 1, 1, 1, 2, 2, 3, 4, 5, 8, 13 };
	if (chance(10))
		return 1 + below(cfg.pages / 2);
	return lens[below(sizeof(lens) / sizeof(lens[0]))];
}

/* A range [*a, *a + *n) in the window: @want 1 = free pages, 2 = mapped
 * pages, 0 = anything. */
static void rand_range(const struct model *m, unsigned p, int want, unsigned *a, unsigned *n)
{
	unsigned len = rand_len();
	unsigned start = below(cfg.pages);
	if (want) {
		for (int tries = 0; tries < 16; tries++) {
			bool mapped = m->st[p][start] & DT_S_MAPPED;
			if (mapped == (want == 2))
				break;
			start = below(cfg.pages);
		}
	}
	unsigned end = start + 1;
	while (end < cfg.pages && end - start < len) {
		bool mapped = m->st[p][end] & DT_S_MAPPED;
		if (want && mapped != (want == 2))
			break;
		end++;
	}
	*a = start;
	*n = end - start;
}

static uint8_t rand_prot(void)
{
	/* Linux PROT_* bits: 1 read, 2 write, 4 exec. */
	uint8_t p[8];
	unsigned n = 0;
	p[n++] = 1;
	p[n++] = 3;
	p[n++] = 3;
	p[n++] = 5;
	if (cfg.on[C_RWX])
		p[n++] = 7;
	if (cfg.on[C_WRITE_ONLY])
		p[n++] = 2;
	if (cfg.on[C_WX])
		p[n++] = 6;
	if (cfg.on[C_EXEC_ONLY])
		p[n++] = 4;
	if (cfg.on[C_PROT_NONE] && chance(cfg.none_pct))
		return 0;
	return p[below(n)];
}

static unsigned rand_live(const struct model *m)
{
	unsigned k = below(m->nalive);
	for (unsigned p = 0; p < MAX_PROCS; p++)
		if (m->alive[p] && k-- == 0)
			return p;
	return 0;
}

/* Generate the sequence of @seed into @ops; returns its length. */
static unsigned generate(uint64_t seed, struct dt_op *ops)
{
	static struct model m;
	memset(&m, 0, sizeof(m));
	m.alive[0] = true;
	m.nalive = 1;
	rng_state = seed * UINT64_C(0x2545f4914f6cdd1d) + 1;
	unsigned total = 0, n = 0, cur = 0, next_id = 1, tries = 0;
	uint16_t written[16][2]; /* recent writes: page, offset */
	unsigned nwritten = 0;
	for (unsigned k = 0; k < DT_NKINDS; k++)
		total += cfg.weight[k];
	while (n < cfg.nops && tries++ < 100 * cfg.nops) {
		struct dt_op op;
		memset(&op, 0, sizeof(op));
		unsigned r = below(total), kind = 0;
		while (r >= cfg.weight[kind])
			r -= cfg.weight[kind++];
		if (!m.alive[cur] || chance(25))
			cur = rand_live(&m);
		op.kind = (uint8_t)kind;
		op.proc = (uint8_t)cur;
		switch (kind) {
		case DT_MMAP: {
			unsigned a, len;
			bool replace = cfg.on[C_REPLACE] && chance(cfg.replace_pct);
			rand_range(&m, cur, replace || chance(25) ? 0 : 1, &a, &len);
			op.page = (uint16_t)a;
			op.npages = (uint16_t)len;
			op.prot = rand_prot();
			if (cfg.on[C_SHARED] && chance(cfg.shared_pct))
				op.flags |= DT_F_SHARED;
			if (replace)
				op.flags |= DT_F_REPLACE;
			break;
		}
		case DT_MUNMAP:
		case DT_MPROTECT:
		case DT_MADVISE: {
			unsigned a, len;
			int want = kind == DT_MUNMAP ? (chance(50) ? 2 : 0)
			           : kind != DT_MUNMAP && cfg.on[C_HOLES] && chance(25) ? 0
			                                                                : 2;
			rand_range(&m, cur, want, &a, &len);
			op.page = (uint16_t)a;
			op.npages = (uint16_t)len;
			op.prot = rand_prot();
			if (kind != DT_MUNMAP && !cfg.on[C_HOLES] &&
			    first_hole(&m, cur, a, len) != a + len)
				continue;
			break;
		}
		case DT_READ:
		case DT_WRITE: {
			unsigned a, len;
			rand_range(&m, cur, chance(85) ? 2 : 0, &a, &len);
			static const uint16_t offs[] = { 0, 8, 0x800, 0xff8 };
			op.page = (uint16_t)a;
			op.off = chance(85) ? offs[below(4)] : (uint16_t)(below(DT_PAGE / 8) * 8);
			/* Often where something was written before, by this
			 * process or another: that is where copies show. */
			if (nwritten && chance(kind == DT_READ ? 50 : 25)) {
				unsigned w = below(nwritten < 16 ? nwritten : 16);
				op.page = written[w][0];
				op.off = written[w][1];
			}
			if (kind == DT_WRITE) {
				written[nwritten % 16][0] = op.page;
				written[nwritten % 16][1] = op.off;
				nwritten++;
			}
			op.value = UINT64_C(0xd1f0000000000000) | ((uint64_t)cur << 40) |
			           ((seed & 0xffff) << 16) | (n + 1);
			break;
		}
		case DT_FORK:
			if (m.nalive >= cfg.max_procs || next_id >= MAX_PROCS)
				continue;
			op.child = (uint8_t)next_id++;
			if (cfg.on[C_EAGER] && chance(cfg.eager_pct))
				op.flags |= DT_F_EAGER;
			break;
		case DT_EXIT: break;
		}
		if (!applicable(&m, &op))
			continue;
		unsigned hole;
		model_apply(&m, &op, &hole);
		ops[n++] = op;
	}
	return n;
}

/* ---- running: Linux, and the script ------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void emit(struct buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatal("vsnprintf failed");
		if (b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			fatal("out of memory");
	}
}

/* mmsim's letters for Linux protection @p, as asked: mm-core widens a
 * protection without read as the x86 MMU does (a writable or executable
 * page is readable), and Linux on x86 grants the same. */
static const char *letters(uint8_t p)
{
	static const char *const l[8] = { "---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx" };
	return l[p & 7];
}

static uint64_t va_of(unsigned page)
{
	return cfg.lo + (uint64_t)page * DT_PAGE;
}

static char self_path[PATH_MAX]; /* this program, exec'd as the worker */

/* A generator failure (the model or the oracle misbehaved), as opposed to
 * a divergence of mm-core: both fail the test. */
struct run {
	struct buf script;
	char why[512];
	struct dt_proc procs[MAX_PROCS];
	struct model m;
	int active; /* mmsim's active space, -1: kernel */
	bool planted;
	unsigned emitted, faults, errors;
	unsigned forks, values; /* forks; reads that saw a written value */
};

__attribute__((format(printf, 2, 3))) static int gen_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Compare the model of process @p with what /proc says Linux holds. */
static int verify(struct run *r, unsigned p, unsigned opno)
{
	uint8_t st[DT_WINDOW_PAGES];
	if (dt_linux_pages(r->procs[p].pid, cfg.lo, cfg.pages, st))
		return gen_fail(r, "op %u: cannot read /proc/%d/maps", opno, (int)r->procs[p].pid);
	for (unsigned i = 0; i < cfg.pages; i++)
		if (st[i] != r->m.st[p][i])
			return gen_fail(r,
			                "op %u: the model of p%u disagrees with Linux at 0x%" PRIx64
			                ": model 0x%02x, /proc/%d/maps 0x%02x (a generator bug)",
			                opno, p, va_of(i), r->m.st[p][i], (int)r->procs[p].pid,
			                st[i]);
	return 0;
}

static void switch_to(struct run *r, int p)
{
	if (r->active == p)
		return;
	if (p < 0)
		emit(&r->script, "switch kernel\n");
	else
		emit(&r->script, "switch p%d\n", p);
	r->active = p;
}

static const char *errname(int e)
{
	switch (e) {
	case EEXIST: return "EEXIST";
	case ENOMEM: return "ENOMEM";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	default: return "E?";
	}
}

/* Run one operation on Linux and write what mmsim must do and see. */
static int run_op(struct run *r, unsigned opno, const struct dt_op *op)
{
	struct buf *s = &r->script;
	struct dt_result res;
	struct dt_proc *p = &r->procs[op->proc];
	if (dt_linux_run(p, cfg.lo, op, &res, &r->procs[op->child]))
		return gen_fail(r, "op %u (%s): lost the Linux process p%u (pid %d)", opno,
		                kind_names[op->kind], op->proc, (int)p->pid);
	uint64_t va = va_of(op->page);
	unsigned hole = 0;
	const uint8_t st = r->m.st[op->proc][op->page]; /* before the operation */
	int want = model_apply(&r->m, op, &hole);
	switch (op->kind) {
	case DT_MMAP:
	case DT_MPROTECT:
	case DT_MUNMAP:
	case DT_MADVISE: {
		const char *name = kind_names[op->kind];
		if (res.err != want)
			return gen_fail(r, "op %u: Linux %s gave %s, the model expected %s", opno,
			                name, res.err ? errname(res.err) : "success",
			                want ? errname(want) : "success");
		if (op->kind == DT_MMAP) {
			if (res.err) {
				/* MAP_FIXED_NOREPLACE over a mapping: EEXIST in both. */
				emit(s, "expect-error EEXIST\n");
				r->errors++;
			}
			emit(s, "mmap p%u 0x%" PRIx64 " %u %s%s%s\n", op->proc, va, op->npages,
			     letters(op->prot), (op->flags & DT_F_SHARED) ? " shared" : "",
			     (op->flags & DT_F_REPLACE) ? " fixed" : "");
		} else if (op->kind == DT_MPROTECT) {
			if (res.err) {
				/* Linux changes the pages up to the hole, then says
				 * ENOMEM; mm-core changes nothing (all or nothing) and
				 * says so with its own code. Then the script does what
				 * Linux did, so that both hold the same again. */
				emit(s,
				     "expect-error %s  # Linux: ENOMEM, applied up to 0x%" PRIx64
				     "\n",
				     cfg.hole_error, va_of(hole));
				r->errors++;
			}
			emit(s, "mprotect p%u 0x%" PRIx64 " %u %s\n", op->proc, va, op->npages,
			     letters(op->prot));
			if (res.err && hole > op->page)
				emit(s, "mprotect p%u 0x%" PRIx64 " %u %s  # what Linux applied\n",
				     op->proc, va, hole - op->page, letters(op->prot));
		} else if (op->kind == DT_MUNMAP) {
			emit(s, "munmap p%u 0x%" PRIx64 " %u\n", op->proc, va, op->npages);
		} else {
			if (res.err) {
				/* As for mprotect, but Linux advised every mapped
				 * page of the range, not only those before the hole. */
				emit(s,
				     "expect-error %s  # Linux: ENOMEM, advised the mapped pages\n",
				     cfg.hole_error);
				r->errors++;
			}
			emit(s, "madvise p%u 0x%" PRIx64 " %u dontneed\n", op->proc, va,
			     op->npages);
			const uint8_t *pst = r->m.st[op->proc];
			for (unsigned i = op->page; res.err && i < op->page + op->npages;) {
				unsigned j = i;
				while (j < op->page + op->npages && (pst[j] & DT_S_MAPPED))
					j++;
				if (j > i)
					emit(s,
					     "madvise p%u 0x%" PRIx64
					     " %u dontneed  # what Linux did\n",
					     op->proc, va_of(i), j - i);
				i = j + 1;
			}
		}
		if (op->kind != DT_MADVISE)
			return verify(r, op->proc, opno);
		return 0;
	}
	case DT_READ:
	case DT_WRITE: {
		bool wr = op->kind == DT_WRITE;
		uint64_t at = va + op->off;
		switch_to(r, op->proc);
		/* What the model expects Linux to do: a cross-check only. */
		int expect = !(st & DT_S_MAPPED) ? SEGV_MAPERR
		             : !(st & DT_S_PROT) ? SEGV_ACCERR
		             : wr && !(st & 2)   ? SEGV_ACCERR
		                                 : 0;
		if (res.sig && res.sig != SIGSEGV)
			return gen_fail(r, "op %u: Linux raised signal %d on %s 0x%" PRIx64, opno,
			                res.sig, kind_names[op->kind], at);
		if (res.sicode != expect)
			return gen_fail(r,
			                "op %u: Linux %s 0x%" PRIx64 " gave si_code %d, the model "
			                "expected %d (exec-only pages and protection keys?)",
			                opno, kind_names[op->kind], at, res.sicode, expect);
		if (res.sicode) {
			emit(s, "fault %s 0x%" PRIx64 " %s\n", wr ? "write" : "read", at,
			     res.sicode == SEGV_MAPERR ? "segv" : "access");
			r->faults++;
		} else if (wr) {
			emit(s, "write 0x%" PRIx64 " 0x%" PRIx64 "\n", at, op->value);
		} else {
			uint64_t v = res.value;
			if (cfg.plant && !r->planted) {
				v ^= 1; /* --plant: a wrong expectation, which must fail */
				r->planted = true;
			}
			emit(s, "read 0x%" PRIx64 " 0x%" PRIx64 "\n", at, v);
			r->values += v != 0;
		}
		return 0;
	}
	case DT_FORK:
		if (res.err)
			return gen_fail(r, "op %u: Linux fork failed: %s", opno, strerror(res.err));
		r->forks++;
		emit(s, "fork p%u p%u %s\n", op->proc, op->child,
		     (op->flags & DT_F_EAGER) ? "eager" : "cow");
		return verify(r, op->child, opno);
	case DT_EXIT:
		if (r->active == op->proc)
			switch_to(r, -1);
		emit(s, "destroy p%u\n", op->proc);
		return 0;
	}
	return gen_fail(r, "op %u: unknown kind %u", opno, op->kind);
}

static void kill_all(struct run *r)
{
	for (unsigned p = 0; p < MAX_PROCS; p++)
		dt_linux_kill(&r->procs[p]);
}

/* Run @ops (n of them) on Linux, writing the mmsim script into r->script.
 * Returns 0, or -1 with r->why (a generator failure). */
static int run_sequence(struct run *r, uint64_t seed, const struct dt_op *ops, unsigned n)
{
	r->script.len = 0;
	r->why[0] = 0;
	r->emitted = r->faults = r->errors = r->forks = r->values = 0;
	memset(&r->m, 0, sizeof(r->m));
	memset(r->procs, 0, sizeof(r->procs));
	r->active = -1;
	r->planted = false;
	struct utsname u;
	uname(&u);
	emit(&r->script,
	     "# difftest seed %" PRIu64 ": %u operations in [0x%" PRIx64 ", 0x%" PRIx64 "),\n"
	     "# every outcome as the host Linux kernel (%s %s) had it.\n",
	     seed, n, cfg.lo, va_of(cfg.pages), u.sysname, u.release);
	emit(&r->script, "mark\ncreate p0\n");
	int started = dt_linux_start(&r->procs[0]);
	if (started == -2)
		return gen_fail(r,
		                "the window [0x%" PRIx64 ", 0x%" PRIx64 ") is not free in a new "
		                "Linux process",
		                cfg.lo, va_of(cfg.pages));
	if (started)
		return gen_fail(r, "cannot start a Linux worker (%s)", self_path);
	r->m.alive[0] = true;
	r->m.nalive = 1;
	int rc = 0;
	for (unsigned i = 0; i < n && !rc; i++) {
		if (!applicable(&r->m, &ops[i]))
			continue;
		rc = run_op(r, i, &ops[i]);
		if (++r->emitted % 16 == 0)
			emit(&r->script, "check\n");
	}
	if (rc) {
		kill_all(r);
		return rc;
	}
	emit(&r->script, "check\n");
	/* Everyone exits: every frame must come back. */
	switch_to(r, -1);
	for (unsigned p = 0; p < MAX_PROCS; p++) {
		if (!r->m.alive[p])
			continue;
		struct dt_op ex = { .kind = DT_EXIT, .proc = (uint8_t)p };
		struct dt_result res;
		if (dt_linux_run(&r->procs[p], cfg.lo, &ex, &res, NULL))
			rc = gen_fail(r, "lost the Linux process p%u at its exit", p);
		emit(&r->script, "destroy p%u\n", p);
	}
	emit(&r->script, "conserved\n");
	kill_all(r);
	return rc;
}

/* ---- mmsim ----------------------------------------------------------------------- */

/* Run the script through `mmsim --arch ARCH run -`. Returns 0 if it passes;
 * otherwise 1, with mmsim's message in @msg. */
static int run_mmsim(const struct buf *script, char *msg, size_t msglen)
{
	char *argv[64];
	int argc = 0;
	if (!cfg.mmsim) /* main() asks for --mmsim unless --print */
		fatal("no mmsim to run (--mmsim)");
	const char *wrapper = getenv("MMSIM_WRAPPER");
	char *wrap = wrapper ? strdup(wrapper) : NULL;
	for (char *t = wrap ? strtok(wrap, " \t") : NULL; t && argc < 50; t = strtok(NULL, " \t"))
		argv[argc++] = t;
	argv[argc++] = (char *)cfg.mmsim;
	argv[argc++] = (char *)"--arch";
	argv[argc++] = (char *)cfg.arch;
	argv[argc++] = (char *)"run";
	argv[argc++] = (char *)"-";
	argv[argc] = NULL;
	int in[2];
	FILE *err = tmpfile();
	if (!err || pipe(in))
		fatal("cannot make a pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(in[0], 0);
		close(in[0]);
		close(in[1]);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(fileno(err), 2);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(wrap);
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	for (size_t off = 0; off < script->len;) {
		ssize_t w = write(in[1], script->p + off, script->len - off);
		if (w <= 0)
			break; /* mmsim stopped reading: it failed */
		off += (size_t)w;
	}
	close(in[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rewind(err);
	size_t got = fread(msg, 1, msglen - 1, err);
	while (got && msg[got - 1] == '\n')
		got--;
	msg[got] = 0;
	fclose(err);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!got)
		snprintf(msg, msglen, "mmsim %s %d",
		         WIFEXITED(status) ? "exited with" : "killed by",
		         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 1;
}

/* The kind of a failure, to keep the same one while minimising: mmsim's
 * message without "-:LINE: " and without numbers. */
static void failure_kind(const char *msg, char *out, size_t len)
{
	const char *m = msg;
	if (!strncmp(m, "-:", 2)) {
		const char *c = strchr(m + 2, ':');
		m = c ? c + 1 : m;
	}
	size_t n = 0;
	for (; *m && *m != '\n' && n + 1 < len; m++)
		if (!(*m >= '0' && *m <= '9') &&
		    !(*m >= 'a' && *m <= 'f' && m > msg && m[-1] == 'x'))
			out[n++] = *m;
	out[n] = 0;
}

/* ---- main -------------------------------------------------------------------------- */

static void save(const char *name, const struct buf *b)
{
	FILE *f = fopen(name, "w");
	if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f))
		fprintf(stderr, "difftest: cannot write %s: %s\n", name, strerror(errno));
}

/* Does @ops still fail the same way? */
static bool still_fails(struct run *r, uint64_t seed, const struct dt_op *ops, unsigned n,
                        const char *kind)
{
	char msg[4096], k[512];
	if (run_sequence(r, seed, ops, n))
		return false;
	if (!run_mmsim(&r->script, msg, sizeof(msg)))
		return false;
	failure_kind(msg, k, sizeof(k));
	return !strcmp(k, kind);
}

/* Remove operations while the failure stays: chunks, halving down to one. */
static unsigned minimise(struct run *r, uint64_t seed, struct dt_op *ops, unsigned n,
                         const char *kind)
{
	static struct dt_op cand[MAX_OPS];
	for (unsigned chunk = n / 2 ? n / 2 : 1; chunk >= 1; chunk /= 2) {
		for (unsigned start = 0; start < n;) {
			unsigned end = start + chunk > n ? n : start + chunk, m = 0;
			for (unsigned i = 0; i < n; i++)
				if (i < start || i >= end)
					cand[m++] = ops[i];
			if (m < n && still_fails(r, seed, cand, m, kind)) {
				memcpy(ops, cand, m * sizeof(*ops));
				n = m;
			} else {
				start += chunk;
			}
		}
		if (chunk == 1)
			break;
	}
	/* Then fold a forked process into its parent: drop the fork, and
	 * let the parent do what the child did (from the last fork back). */
	for (unsigned i = n; i-- > 0;) {
		if (i >= n || ops[i].kind != DT_FORK)
			continue;
		unsigned m = 0;
		uint8_t parent = ops[i].proc, child = ops[i].child;
		for (unsigned j = 0; j < n; j++) {
			if (j == i)
				continue;
			cand[m] = ops[j];
			if (j > i && cand[m].proc == child)
				cand[m].proc = parent;
			m++;
		}
		if (still_fails(r, seed, cand, m, kind)) {
			memcpy(ops, cand, m * sizeof(*ops));
			n = m;
		}
	}
	return n;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: difftest --arch ISA --mmsim PATH [--seeds A-B | --seed N] "
	        "[options]\n"
	        "       difftest --print --seed N [options]\n"
	        "options:\n"
	        "  --ops N            operations per sequence (%u)\n"
	        "  --pages N          window size in pages, around 0x%" PRIx64 " (%u)\n"
	        "  --procs N          live processes at most (%u)\n"
	        "  --eager-pct N      percentage of forks that are eager clones (%u)\n"
	        "  --shared-pct N     percentage of mmaps that are MAP_SHARED (%u)\n"
	        "  --none-pct N       percentage of protections that are PROT_NONE (%u)\n"
	        "  --replace-pct N    percentage of mmaps that replace (MAP_FIXED) (%u)\n"
	        "  --weight OP=N      weight of an operation kind (mmap munmap mprotect madvise\n"
	        "                     read write fork exit)\n"
	        "  --enable C, --disable C   an operation class (see below)\n"
	        "  --hole-error NAME  mm_mprotect()'s error over a hole, as mmsim names it (%s)\n"
	        "  --no-minimise      do not minimise a failing sequence\n"
	        "  --keep DIR         where failing scripts go (%s)\n"
	        "  --wrapped-seeds N  seeds to run when MMSIM_WRAPPER is set, as under\n"
	        "                     meson test --setup valgrind (%u)\n"
	        "  --verbose          a line per sequence\n"
	        "  --plant            TEST ONLY: expect a wrong value at the first read of\n"
	        "                     each sequence; succeed only if mmsim catches every one\n"
	        "classes:\n",
	        cfg.nops, DT_WINDOW_MID, cfg.pages, cfg.max_procs, cfg.eager_pct, cfg.shared_pct,
	        cfg.none_pct, cfg.replace_pct, cfg.hole_error, cfg.keep_dir, cfg.wrapped_seeds);
	for (unsigned c = 0; c < C_NCLASSES; c++)
		fprintf(f, "  %-11s %s (%s)\n", classes[c].name, classes[c].what,
		        cfg.on[c] ? "on" : "off");
}

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || end == s || s[0] == '-')
		fatal("bad %s '%s'", what, s);
	return (unsigned long)v;
}

static void set_class(const char *name, bool on)
{
	for (unsigned c = 0; c < C_NCLASSES; c++)
		if (!strcmp(name, classes[c].name)) {
			cfg.on[c] = on;
			return;
		}
	fatal("unknown class '%s' (see --help)", name);
}

static void parse_args(int argc, char **argv)
{
	enum {
		O_OPS = 256,
		O_PAGES,
		O_PROCS,
		O_EAGER,
		O_SHARED,
		O_NONE,
		O_REPLACE,
		O_WEIGHT,
		O_ENABLE,
		O_DISABLE,
		O_HOLE,
		O_NOMIN,
		O_KEEP,
		O_WRAPPED,
		O_PRINT,
		O_VERBOSE,
		O_PLANT,
		O_SEED,
		O_SEEDS,
		O_ARCH,
		O_MMSIM
	};
	static const struct option longs[] = {
		{ "ops", required_argument, NULL, O_OPS },
		{ "pages", required_argument, NULL, O_PAGES },
		{ "procs", required_argument, NULL, O_PROCS },
		{ "eager-pct", required_argument, NULL, O_EAGER },
		{ "shared-pct", required_argument, NULL, O_SHARED },
		{ "none-pct", required_argument, NULL, O_NONE },
		{ "replace-pct", required_argument, NULL, O_REPLACE },
		{ "weight", required_argument, NULL, O_WEIGHT },
		{ "enable", required_argument, NULL, O_ENABLE },
		{ "disable", required_argument, NULL, O_DISABLE },
		{ "hole-error", required_argument, NULL, O_HOLE },
		{ "no-minimise", no_argument, NULL, O_NOMIN },
		{ "keep", required_argument, NULL, O_KEEP },
		{ "wrapped-seeds", required_argument, NULL, O_WRAPPED },
		{ "print", no_argument, NULL, O_PRINT },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "plant", no_argument, NULL, O_PLANT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "seeds", required_argument, NULL, O_SEEDS },
		{ "arch", required_argument, NULL, O_ARCH },
		{ "mmsim", required_argument, NULL, O_MMSIM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	for (unsigned c = 0; c < C_NCLASSES; c++)
		cfg.on[c] = classes[c].on;
	/* With protection keys, Linux makes PROT_EXEC alone execute-only (a
	 * read faults with SEGV_PKUERR): x86 paging alone cannot, nor mm-core. */
	long pkey = syscall(SYS_pkey_alloc, 0UL, 0UL);
	if (pkey >= 0) {
		syscall(SYS_pkey_free, pkey);
		cfg.on[C_EXEC_ONLY] = false;
	}
	cfg.first = 1;
	cfg.last = 300;
	int o;
	while ((o = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (o) {
		case O_OPS: cfg.nops = (unsigned)parse_num(optarg, "operation count"); break;
		case O_PAGES: cfg.pages = (unsigned)parse_num(optarg, "page count"); break;
		case O_PROCS: cfg.max_procs = (unsigned)parse_num(optarg, "process count"); break;
		case O_EAGER: cfg.eager_pct = (unsigned)parse_num(optarg, "percentage"); break;
		case O_SHARED: cfg.shared_pct = (unsigned)parse_num(optarg, "percentage"); break;
		case O_NONE: cfg.none_pct = (unsigned)parse_num(optarg, "percentage"); break;
		case O_REPLACE: cfg.replace_pct = (unsigned)parse_num(optarg, "percentage"); break;
		case O_WEIGHT: {
			char *eq = strchr(optarg, '=');
			unsigned k = 0;
			while (eq && k < DT_NKINDS &&
			       (strlen(kind_names[k]) != (size_t)(eq - optarg) ||
			        strncmp(optarg, kind_names[k], (size_t)(eq - optarg))))
				k++;
			if (!eq || k == DT_NKINDS)
				fatal("--weight OP=N: unknown '%s'", optarg);
			cfg.weight[k] = (unsigned)parse_num(eq + 1, "weight");
			break;
		}
		case O_ENABLE: set_class(optarg, true); break;
		case O_DISABLE: set_class(optarg, false); break;
		case O_HOLE: cfg.hole_error = optarg; break;
		case O_NOMIN: cfg.minimise = false; break;
		case O_KEEP: cfg.keep_dir = optarg; break;
		case O_WRAPPED: cfg.wrapped_seeds = (unsigned)parse_num(optarg, "count"); break;
		case O_PRINT: cfg.print = true; break;
		case O_VERBOSE: cfg.verbose = true; break;
		case O_PLANT: cfg.plant = true; break;
		case O_SEED: cfg.first = cfg.last = parse_num(optarg, "seed"); break;
		case O_SEEDS: {
			char *dash = strchr(optarg, '-');
			if (!dash)
				fatal("--seeds A-B");
			*dash = 0;
			cfg.first = parse_num(optarg, "seed");
			cfg.last = parse_num(dash + 1, "seed");
			if (cfg.last < cfg.first)
				fatal("--seeds A-B with A <= B");
			break;
		}
		case O_ARCH: cfg.arch = optarg; break;
		case O_MMSIM: cfg.mmsim = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	if (!cfg.print && (!cfg.arch || !cfg.mmsim))
		fatal("--arch and --mmsim are required (or --print)");
	if (cfg.pages < 2 || cfg.pages > DT_WINDOW_PAGES || (cfg.pages & 1))
		fatal("--pages: an even number from 2 to %u", DT_WINDOW_PAGES);
	if (cfg.nops < 1 || cfg.nops > MAX_OPS)
		fatal("--ops: 1 to %u", MAX_OPS);
	if (cfg.max_procs < 1 || cfg.max_procs > 60)
		fatal("--procs: 1 to 60 (mmsim holds 64 spaces)");
	if (!cfg.on[C_MADVISE])
		cfg.weight[DT_MADVISE] = 0;
	unsigned total = 0;
	for (unsigned k = 0; k < DT_NKINDS; k++)
		total += cfg.weight[k];
	if (!total)
		fatal("every operation weight is 0");
	cfg.lo = DT_WINDOW_MID - (uint64_t)cfg.pages / 2 * DT_PAGE;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--worker"))
		dt_linux_worker_main(parse_num(argv[2], "window"), parse_num(argv[3], "window"));
	parse_args(argc, argv);

	ssize_t sl = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (sl <= 0)
		fatal("cannot find myself: %s", strerror(errno));
	self_path[sl] = 0;
	dt_linux_set_self(self_path, cfg.lo, va_of(cfg.pages));

	static struct dt_op ops[MAX_OPS];
	static struct run r;
	if (cfg.print) {
		unsigned n = generate(cfg.first, ops);
		if (run_sequence(&r, cfg.first, ops, n))
			fatal("seed %" PRIu64 ": %s", cfg.first, r.why);
		fwrite(r.script.p, 1, r.script.len, stdout);
		return 0;
	}

	/* Where the ISA's MMU can make PROT_EXEC alone execute-only (RISC-V),
	 * mm-core does and a read faults, while Linux on an x86 host reads the
	 * page: a difference on purpose, so the generator leaves such mmaps
	 * out. Asked of mmsim itself, once. */
	if (cfg.on[C_EXEC_ONLY]) {
		static struct buf probe;
		emit(&probe,
		     "create p\nmmap p 0x10000 1 --x\nswitch p\nfault read 0x10000 access\n");
		char msg[256];
		if (run_mmsim(&probe, msg, sizeof(msg)) == 0) {
			cfg.on[C_EXEC_ONLY] = false;
			printf("difftest: %s has execute-only pages, this host's Linux does not: "
			       "class exec-only off\n",
			       cfg.arch);
		}
		free(probe.p);
	}

	uint64_t last = cfg.last;
	if (getenv("MMSIM_WRAPPER") && last - cfg.first >= cfg.wrapped_seeds) {
		last = cfg.first + cfg.wrapped_seeds - 1;
		printf("difftest: MMSIM_WRAPPER is set: seeds %" PRIu64 "-%" PRIu64 " only\n",
		       cfg.first, last);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long nseq = 0, nops = 0, nfaults = 0, nerrors = 0, failed = 0;
	unsigned long long planted_caught = 0, nforks = 0, nvalues = 0;
	bool minimised = false;
	for (uint64_t seed = cfg.first; seed <= last; seed++) {
		unsigned n = generate(seed, ops);
		nseq++;
		char msg[4096];
		if (run_sequence(&r, seed, ops, n)) {
			printf("FAIL seed %" PRIu64 ": generator: %s\n", seed, r.why);
			failed++;
			continue;
		}
		nops += r.emitted;
		nfaults += r.faults;
		nerrors += r.errors;
		nforks += r.forks;
		nvalues += r.values;
		if (!run_mmsim(&r.script, msg, sizeof(msg))) {
			if (cfg.plant) {
				printf("MISSED seed %" PRIu64 ": the planted wrong value passed\n",
				       seed);
				continue;
			}
			if (cfg.verbose)
				printf("ok seed %" PRIu64 ": %u operations, %u faults, %u errors\n",
				       seed, r.emitted, r.faults, r.errors);
			continue;
		}
		if (cfg.plant) {
			/* The planted wrong value must be what failed. */
			bool caught = strstr(msg, ", expected 0x") != NULL;
			planted_caught += caught;
			if (!caught || cfg.verbose)
				printf("%s seed %" PRIu64 ": %s\n", caught ? "caught" : "MISSED",
				       seed, msg);
			continue;
		}
		failed++;
		char name[PATH_MAX];
		snprintf(name, sizeof(name), "%s/difftest-%s-%" PRIu64 ".mmsim", cfg.keep_dir,
		         cfg.arch, seed);
		save(name, &r.script);
		printf("FAIL seed %" PRIu64 ": mm-core differs from Linux: %s  script: %s\n", seed,
		       msg, name);
		if (cfg.minimise && !minimised) {
			minimised = true;
			char kind[512];
			failure_kind(msg, kind, sizeof(kind));
			unsigned m = minimise(&r, seed, ops, n, kind);
			if (run_sequence(&r, seed, ops, m) == 0 &&
			    run_mmsim(&r.script, msg, sizeof(msg))) {
				snprintf(name, sizeof(name), "%s/difftest-%s-%" PRIu64 "-min.mmsim",
				         cfg.keep_dir, cfg.arch, seed);
				save(name, &r.script);
				printf("minimised to %u operations: %s\n%s\n", m, name, msg);
				fwrite(r.script.p, 1, r.script.len, stdout);
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("difftest %s: seeds %" PRIu64 "-%" PRIu64 ": %llu sequences, %llu operations "
	       "(%llu forks, %llu faults, %llu errors, %llu written values read back), "
	       "%llu failed, %.1f s\n",
	       cfg.arch, cfg.first, last, nseq, nops, nforks, nfaults, nerrors, nvalues, failed,
	       secs);
	free(r.script.p);
	if (cfg.plant) {
		printf("difftest --plant: mmsim caught the planted wrong value in %llu of %llu "
		       "sequences\n",
		       planted_caught, nseq);
		return !failed && planted_caught == nseq ? 0 : 1;
	}
	return failed ? 1 : 0;
}
