/*
 * The fuzz harness: bytes -> a sequence of operations on up to four
 * address spaces -> mm-core on the simulator, judged after every operation
 * against a reference model and the invariant checker. One harness for
 * libFuzzer, AFL++ (persistent mode, through its libFuzzer driver) and the
 * plain replay main (replay.c). Compiled once per ISA, like mm-core.
 *
 * The model is deliberately simple and independent of mm-core: per space
 * and per page of a 64-page window, the region's protection (or none), its
 * kind and where regions begin, which model frame holds the page and with
 * what protection. Model frames have a value and a reference count, so
 * copy-on-write is "a write to a private frame with more than one reference
 * gets a new frame". Regions are counted (merging included) so that a full
 * region table is predicted, not guessed. Eight kernel-half pages, mapped
 * and unmapped while a user space is active, are modelled too. Regions may
 * be PROT_NONE (pages keep their frames, every access faults ACCESS);
 * MAP_FIXED replaces, madvise(DONTNEED) drops private pages, mremap
 * shrinks, grows or moves, and brk moves the end of a heap.
 */
#include "fuzz.h"
#include "scenario.h"

#include <mm/exec.h>

#include <arch/layout.h>
#include <arch/pte.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PAGE       ARCH_PAGE_SIZE
#define NS         4
#define WIN        64
#define STACK_SLOT WIN /* the exec'd image's stack page: counted, never read */
#define LEAF_SPAN  (UINT64_C(1) << arch_level_shift(1))
#define BASE       UINT64_C(0x10000000)
#define MAXF       4096
#define KS         8 /* kernel-half pages: 4 at the end of a leaf table, 4 in the next */
/* Padding regions (one page each, apart) fill the region table, outside the window. */
#define PAD_MAX   64u /* padding regions: op_pad() */
#define PAD_VA(j) (BASE + 4 * LEAF_SPAN + 2 * (mm_vaddr_t)(j)*PAGE)
/* Past the direct map (which mmsim has, and the harness does not). */
#define KBASE ((ARCH_DIRECT_MAP_BASE + ARCH_DIRECT_MAP_MAX) & ~(LEAF_SPAN - 1))

/* Window page @p: two groups of 32 pages, in two different leaf tables. */
static mm_vaddr_t va_of(unsigned p)
{
	return BASE + (p / 32) * LEAF_SPAN + (p % 32) * PAGE;
}

struct mframe {
	uint64_t val;
	uint32_t refs;
};

static mm_vaddr_t kva(unsigned k)
{
	return KBASE + LEAF_SPAN - 4 * PAGE + k * PAGE;
}

/* Region kinds, as far as merging and fork care. */
enum { K_NONE, K_ANON, K_SHARED, K_FILE, K_HEAP };

/* A PROT_NONE region's (or page's) protection in the model: a region with
 * no access (rprot 0 means no region). */
#define PNONE MM_PROT_USER

struct mspace {
	bool live;
	uint8_t rprot[WIN + 1]; /* MM_PROT_* of the region; 0: none */
	uint8_t kind[WIN + 1];  /* K_*: anonymous private regions merge; shared never copy */
	bool rstart[WIN + 1];   /* a region may begin at this page (unless merged) */
	uint8_t pprot[WIN + 1]; /* a present page's protection (what a write may do) */
	uint64_t init[WIN + 1]; /* value a first touch gives (0, or file bytes) */
	int32_t frame[WIN + 1]; /* model frame, -1: not present */
	unsigned extra;         /* regions outside the window: padding, the exec'd stack */
	unsigned npad;          /* padding regions added */
	bool heap;              /* brk_start is set: the heap starts at page hpage */
	uint8_t hpage;
	uint32_t hlen; /* brk - brk_start, in bytes */
};

/* A kernel-half page: mapped (to a frame the harness allocated) or not. */
struct kslot {
	bool mapped;
	mm_paddr_t pa;
	uint64_t val;
};

static struct {
	struct sim *sim;
	struct mm_sys *sys;
	struct mm_space *s[NS];
	struct mspace m[NS];
	struct mframe f[MAXF];
	struct kslot k[KS];
	int active;   /* -1: kernel */
	FILE *script; /* print the operations as an mmsim script */
	unsigned ops;
	uint8_t elf[3 * 4096];
	size_t elf_size;
} F;

__attribute__((noreturn, format(printf, 1, 2))) static void diverge(const char *fmt, ...)
{
	if (F.script)
		fflush(F.script);
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz (%s): divergence after operation %u: ", ARCH_NAME, F.ops);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nreproduce: build/fuzz/fuzz-replay-%s --print INPUT > case.mmsim\n",
	        ARCH_NAME);
	va_end(ap);
	abort();
}

/* The scripts name the spaces so. */
static const char *const snames[NS] = { "s0", "s1", "s2", "s3" };

/* @op as a line of the script, written by the scenario language's own
 * printer (sim/mmsim/scenario.c), so that what the fuzzer prints is what
 * mmsim reads. */
static void say_op(struct op op)
{
	if (F.script && scenario_print(F.script, &op))
		diverge("operation %d cannot be written as a script line", (int)op.kind);
}
#define SAY(...) say_op((struct op){ __VA_ARGS__ })

/* A comment line of the script. */
static void comment(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void comment(const char *fmt, ...)
{
	if (!F.script)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(F.script, fmt, ap);
	va_end(ap);
}

/* ---- model frames ------------------------------------------------------------ */

static uint32_t mf_count; /* model frames with references */

static int32_t mf_new(uint64_t val)
{
	for (int32_t i = 0; i < MAXF; i++)
		if (F.f[i].refs == 0) {
			F.f[i] = (struct mframe){ val, 1 };
			mf_count++;
			return i;
		}
	diverge("model out of frames");
}

static void mf_put(int32_t id)
{
	if (id < 0)
		return;
	if (F.f[id].refs == 0)
		diverge("model frame refcount underflow");
	if (--F.f[id].refs == 0)
		mf_count--;
}

static uint32_t mf_live(void)
{
	return mf_count;
}

static void model_drop(struct mspace *m)
{
	for (int p = 0; p <= WIN; p++)
		mf_put(m->frame[p]);
	memset(m, 0, sizeof(*m));
	for (int p = 0; p <= WIN; p++)
		m->frame[p] = -1;
}

/* ---- model regions ----------------------------------------------------------- */

/* Do window pages @p - 1 and @p have contiguous virtual addresses? */
static bool adjacent(unsigned p)
{
	return p % 32 != 0;
}

/* Does a region begin at window page @p? */
static bool region_begins(const struct mspace *m, unsigned p)
{
	return m->rprot[p] && (!adjacent(p) || !m->rprot[p - 1] || m->rstart[p]);
}

/* Regions [p, p + n) and what follows begin where they begin. */
static void mark_bounds(struct mspace *m, unsigned p, unsigned n)
{
	m->rstart[p] = true;
	if (p + n < WIN)
		m->rstart[p + n] = true;
}

/* Adjacent anonymous private regions of one protection are one region. */
static void model_merge(struct mspace *m)
{
	for (unsigned p = 1; p < WIN; p++)
		if (adjacent(p) && m->rprot[p] && m->rprot[p - 1] == m->rprot[p] &&
		    (m->kind[p] == K_ANON || m->kind[p] == K_HEAP) && m->kind[p - 1] == m->kind[p])
			m->rstart[p] = false;
}

static unsigned model_regions(const struct mspace *m)
{
	unsigned n = m->extra;
	for (unsigned p = 0; p < WIN; p++)
		n += region_begins(m, p);
	return n;
}

/* A page of the page-table layer: present, in no region. A space uses
 * either regions or the page-table layer alone (sim_check() holds every
 * page of a space with regions to a region), never both at once. */
static bool has_loose_pages(const struct mspace *m)
{
	for (unsigned p = 0; p < WIN; p++)
		if (m->frame[p] >= 0 && !m->rprot[p])
			return true;
	return false;
}

/* ---- the generated ELF: text at window page 40 (r-x), data 42-43 (rw-) ------ */

static void wr(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#define TEXT_VAL UINT64_C(0x1111111111111111)
#define DATA_VAL UINT64_C(0x2222222222222222)

static void make_elf(void)
{
	const size_t W = (size_t)4 * ARCH_ELF_CLASS, eh = ARCH_ELF_CLASS == 1 ? 52 : 64,
	             ph = ARCH_ELF_CLASS == 1 ? 32 : 56;
	uint8_t *f = F.elf;
	memset(f, 0, sizeof(F.elf));
	memcpy(f, "\177ELF", 4); /* NOLINT(bugprone-not-null-terminated-result): magic bytes */
	f[4] = ARCH_ELF_CLASS, f[5] = 1, f[6] = 1;
	wr(f + 16, 2, 2), wr(f + 18, ARCH_ELF_MACHINE, 2), wr(f + 20, 1, 4);
	wr(f + 24, va_of(40), W), wr(f + 24 + W, eh, W);
	uint8_t *t = f + 24 + 3 * W + 4;
	wr(t, eh, 2), wr(t + 2, ph, 2), wr(t + 4, 2, 2);
	const struct {
		uint32_t flags;
		uint64_t off, va, filesz, memsz;
	} seg[2] = { { 5, 0x1000, va_of(40), 0x1000, 0x1000 },
		     { 6, 0x2000, va_of(42), 0x1000, 0x2000 } };
	for (int i = 0; i < 2; i++) {
		uint8_t *p = f + eh + (unsigned)i * ph;
		wr(p, 1, 4);
		if (ARCH_ELF_CLASS == 1) {
			wr(p + 4, seg[i].off, 4), wr(p + 8, seg[i].va, 4),
			        wr(p + 16, seg[i].filesz, 4);
			wr(p + 20, seg[i].memsz, 4), wr(p + 24, seg[i].flags, 4);
		} else {
			wr(p + 4, seg[i].flags, 4), wr(p + 8, seg[i].off, 8),
			        wr(p + 16, seg[i].va, 8);
			wr(p + 32, seg[i].filesz, 8), wr(p + 40, seg[i].memsz, 8);
		}
	}
	memset(f + 0x1000, 0x11, 0x1000);
	memset(f + 0x2000, 0x22, 0x1000);
	F.elf_size = sizeof(F.elf);
}

const void *fuzz_elf(size_t *size)
{
	make_elf();
	*size = F.elf_size;
	return F.elf;
}

/* ---- checks ------------------------------------------------------------------- */

static void activate(int i)
{
	F.active = i;
	mm_space_activate(i < 0 ? mm_sys_kernel_space(F.sys) : F.s[i]);
}

/* The judge: not instrumented for coverage (its loops would only slow the
 * fuzzer down without guiding it). */
#if defined(__clang__) && __clang_major__ >= 13
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

/* Space @i's region table against the model: the window's regions one by
 * one, and how many lie outside it. */
NO_COVERAGE static void check_regions(int i)
{
	const struct mm_space *sp = F.s[i];
	const struct mspace *m = &F.m[i];
	unsigned outside = 0, p = 0;
	for (const struct mm_region *g = mm_region_first(sp); g; g = mm_region_next(sp, g)) {
		if ((g->prot & MM_PROT_WRITE) && (g->prot & MM_PROT_EXEC))
			diverge("space %d: a region is writable and executable, never asked for",
			        i);
		if (g->start < BASE || g->start >= BASE + 2 * LEAF_SPAN) {
			outside++;
			continue;
		}
		while (p < WIN && !region_begins(m, p))
			p++;
		if (p == WIN)
			diverge("space %d: region [%#" PRIx64 ", %#" PRIx64 ") is not in the model",
			        i, (uint64_t)g->start, (uint64_t)g->end);
		unsigned q = p + 1;
		while (q < WIN && m->rprot[q] && !region_begins(m, q))
			q++;
		if (g->start != va_of(p) || g->end != va_of(q - 1) + PAGE ||
		    (g->prot & ~(unsigned)MM_PROT_USER) !=
		            (m->rprot[p] & ~(unsigned)MM_PROT_USER) ||
		    (g->backing == MM_BACKING_SHARED) != (m->kind[p] == K_SHARED))
			diverge("space %d: region [%#" PRIx64 ", %#" PRIx64
			        ") prot %#x%s, the model "
			        "has pages %u-%u prot %#x%s",
			        i, (uint64_t)g->start, (uint64_t)g->end, g->prot,
			        g->backing == MM_BACKING_SHARED ? " shared" : "", p, q - 1,
			        m->rprot[p], m->kind[p] == K_SHARED ? " shared" : "");
		p = q;
	}
	while (p < WIN && !region_begins(m, p))
		p++;
	if (p < WIN)
		diverge("space %d: the model has a region at page %u, mm-core does not", i, p);
	if (outside != m->extra)
		diverge("space %d: %u regions outside the window, the model expects %u", i, outside,
		        m->extra);
}

/* The kernel-half pages: through the TLB in the active space (supervisor
 * reads, which must fault where nothing is mapped, and user reads, which
 * must always fault), and by a TLB-free walk in every space in @mask. */
NO_COVERAGE static void check_kernel(unsigned mask)
{
	for (unsigned k = 0; k < KS; k++) {
		const struct kslot *ks = &F.k[k];
		uint64_t v = 0;
		struct sim_fault f;
		/* User mode first: a TLB hit that denies an access drops the
		 * entry, and the supervisor read after it caches it again. */
		if (ks->mapped && !sim_read(F.sim, kva(k), &v, sizeof(v), SIM_USER, &f))
			diverge("kernel page %u: user code can read it", k);
		int rc = sim_read(F.sim, kva(k), &v, sizeof(v), 0, &f);
		if (ks->mapped && rc)
			diverge("kernel page %u: the MMU faults (error code %#x), it is mapped", k,
			        f.error_code);
		if (!ks->mapped && !rc)
			diverge("kernel page %u (va %#" PRIx64 "): readable, it was unmapped", k,
			        (uint64_t)kva(k));
		if (ks->mapped && v != ks->val)
			diverge("kernel page %u: the MMU reads %#" PRIx64 ", the model %#" PRIx64,
			        k, v, ks->val);
		for (int i = 0; i < NS; i++) {
			if (!F.m[i].live || !(mask >> i & 1))
				continue;
			mm_paddr_t pa;
			rc = sim_peek(F.sim, F.s[i]->root, kva(k), 0, &pa, NULL);
			if (ks->mapped != !rc || (!rc && pa != ks->pa))
				diverge("kernel page %u: space %d %s", k, i,
				        rc           ? "does not map it"
				        : ks->mapped ? "maps another frame"
				                     : "maps it");
		}
	}
}

/*
 * Invariants and frame counts always; the page-by-page comparison for the
 * spaces in @mask (every space when @mask is ~0). The active space is read
 * through the TLB (whose hits re-walk, so a stale entry shows), the others
 * by a TLB-free walk of the MMU model: the check never writes CR3, so what
 * the TLB caches survives from one operation to the next, as on hardware.
 */
NO_COVERAGE static void check_spaces(unsigned mask, bool invariants)
{
	char msg[256];
	if (invariants && sim_check(F.sim, msg, sizeof(msg)))
		diverge("invariant: %s", msg);
	if (sim_stats(F.sim)->stale)
		diverge("the TLB served a stale entry for va %#" PRIx64,
		        sim_stats(F.sim)->last_stale_va);
	if (sim_stats(F.sim)->bbm)
		diverge("break-before-make violated for va %#" PRIx64,
		        sim_stats(F.sim)->last_bbm_va);
	if (mm_frames_in_use(&F.sys->frames, MM_FRAME_USER) != mf_live())
		diverge("user frames in use %u, the model predicts %u",
		        mm_frames_in_use(&F.sys->frames, MM_FRAME_USER), mf_live());
	for (int i = 0; i < NS; i++) {
		struct mspace *m = &F.m[i];
		if (!m->live || !(mask >> i & 1))
			continue;
		check_regions(i);
		for (unsigned p = 0; p < WIN; p++) {
			struct mm_mapping q;
			int present = mm_query(F.s[i], va_of(p), &q) == 0;
			if (present != (m->frame[p] >= 0))
				diverge("space %d page %u: mm-core says %s, the model %s", i, p,
				        present ? "present" : "absent",
				        m->frame[p] >= 0 ? "present" : "absent");
			if (present && (q.prot & MM_PROT_WRITE) && !(m->pprot[p] & MM_PROT_WRITE))
				diverge("space %d page %u: writable in the tables, not in the "
				        "model",
				        i, p);
			/* PROT_NONE: mapped, not present to the MMU, frame kept. */
			bool none = present && !(m->pprot[p] & MM_PROT_READ);
			if (present && q.protnone != none)
				diverge("space %d page %u: mm-core says%s PROT_NONE, the model%s",
				        i, p, q.protnone ? "" : " not", none ? "" : " not");
			uint64_t v = 0;
			uint32_t code = 0;
			int rc;
			if (i == F.active) {
				struct sim_fault f = { 0 };
				rc = sim_read(F.sim, va_of(p), &v, sizeof(v), SIM_USER, &f);
				code = f.error_code;
			} else {
				mm_paddr_t pa;
				rc = sim_peek(F.sim, F.s[i]->root, va_of(p), SIM_USER, &pa, &code);
				if (!rc)
					memcpy(&v, sim_phys(F.sim, pa, sizeof(v)), sizeof(v));
			}
			if (!present || none) {
				if (!rc)
					diverge("space %d page %u: the MMU reads an %s page", i, p,
					        none ? "PROT_NONE" : "absent");
				if (none)
					memcpy(&v, sim_phys(F.sim, q.pa, sizeof(v)), sizeof(v));
				if (none && v != F.f[m->frame[p]].val)
					diverge("space %d page %u: PROT_NONE frame holds %#" PRIx64
					        ", the model %#" PRIx64,
					        i, p, v, F.f[m->frame[p]].val);
				continue;
			}
			if (rc)
				diverge("space %d page %u: the MMU faults (error code %#x) on a "
				        "present page",
				        i, p, code);
			if (v != F.f[m->frame[p]].val)
				diverge("space %d page %u: the MMU reads %#" PRIx64
				        ", the model %#" PRIx64,
				        i, p, v, F.f[m->frame[p]].val);
		}
	}
	check_kernel(mask);
}

static void check_all(void)
{
	check_spaces(~0u, true);
}

/* Operations: NOPS of them, and "fail the Nth allocation of the next",
 * picked by the first byte modulo NOPS + 1; and three more (madvise,
 * mremap, brk) by the bytes from OP_EXT up, which would otherwise repeat
 * operations 0-8 once more (so the older inputs keep their meaning). */
#define NOPS   18
#define OP_EXT 247u

static unsigned decode_op(unsigned byte, unsigned nops)
{
	if (byte < OP_EXT)
		return byte % nops;
	return byte < 249 ? NOPS + 1 : byte < 253 ? NOPS + 2 : NOPS + 3;
}

/* ---- operations ------------------------------------------------------------------ */

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned next(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static const unsigned prots[4] = { MM_PROT_READ, MM_PROT_READ | MM_PROT_WRITE,
	                           MM_PROT_READ | MM_PROT_EXEC, MM_PROT_READ | MM_PROT_WRITE };
/* Regions (mmap, mprotect): the fourth is PROT_NONE. */
static const unsigned rprots[4] = { MM_PROT_READ, MM_PROT_READ | MM_PROT_WRITE,
	                            MM_PROT_READ | MM_PROT_EXEC, PNONE };

/* Print "expect-error NAME" before an operation the model expects to fail. */
static void say_want(int want)
{
	if (want)
		SAY(.kind = OP_EXPECT_ERROR, .err = want);
}

static bool injected(int rc)
{
	return rc == -MM_ENOMEM;
}

/* The result @rc of an operation the model expects to end in @want; with
 * injection armed, ENOMEM is also fine (then nothing may have changed). */
static bool judge(const char *op, int s, int rc, int want, bool inject)
{
	if (rc == want)
		return rc == 0;
	if (inject && injected(rc))
		return false;
	diverge("%s in space %d returned %d (%s), the model expects %d", op, s, rc, mm_strerror(rc),
	        want);
}

/* Keep ranges inside one group: contiguous virtual addresses. */
static bool in_group(unsigned p, unsigned n)
{
	return p + n <= WIN && (p / 32) == ((p + n - 1) / 32);
}

/* mmap at a fixed address: MM_MAP_FIXED_NOREPLACE (EEXIST over a region)
 * or, with @fixed, MM_MAP_FIXED (replaces regions and pages, all or
 * nothing). */
static void op_mmap(int s, unsigned p, unsigned n, unsigned pi, bool shared, bool fixed,
                    bool inject)
{
	struct mspace *m = &F.m[s];
	if (!in_group(p, n) || has_loose_pages(m))
		return;
	unsigned prot = rprots[pi];
	struct mspace t = *m;
	int want = 0;
	for (unsigned q = p; q < p + n; q++) {
		if (m->rprot[q] && !fixed)
			want = -MM_EEXIST;
		t.rprot[q] = (uint8_t)prot;
		t.kind[q] = shared ? K_SHARED : K_ANON;
		t.rstart[q] = false;
	}
	mark_bounds(&t, p, n);
	model_merge(&t);
	say_want(want);
	SAY(.kind = OP_MMAP, .space = snames[s], .va = va_of(p), .pages = n,
	    .prot = rprots[pi] & ~(unsigned)MM_PROT_USER, .shared = shared, .fixed = fixed);
	mm_vaddr_t got;
	int rc = mm_mmap(F.s[s], va_of(p), n, prot & ~(unsigned)MM_PROT_USER,
	                 (fixed ? MM_MAP_FIXED : MM_MAP_FIXED_NOREPLACE) |
	                         (shared ? MM_MAP_SHARED : 0),
	                 &got);
	if (!judge("mmap", s, rc, want, inject))
		return;
	if (got != va_of(p))
		diverge("mmap in space %d: at %#" PRIx64 ", asked for %#" PRIx64, s, (uint64_t)got,
		        va_of(p));
	*m = t;
	for (unsigned q = p; q < p + n; q++) {
		mf_put(m->frame[q]); /* replaced (MM_MAP_FIXED) */
		m->frame[q] = -1;
		m->init[q] = 0;
		if (shared) {
			m->frame[q] = mf_new(0);
			m->pprot[q] = (uint8_t)prot;
		}
	}
}

static void op_munmap(int s, unsigned p, unsigned n, bool inject)
{
	struct mspace *m = &F.m[s];
	if (!in_group(p, n))
		return;
	struct mspace t = *m;
	for (unsigned q = p; q < p + n; q++)
		t.rprot[q] = 0, t.kind[q] = K_NONE, t.rstart[q] = false;
	mark_bounds(&t, p, n);
	int want = 0;
	say_want(want);
	SAY(.kind = OP_MUNMAP, .space = snames[s], .va = va_of(p), .pages = n);
	int rc = mm_munmap(F.s[s], va_of(p), n);
	if (!judge("munmap", s, rc, want, inject))
		return;
	for (unsigned q = p; q < p + n; q++) {
		mf_put(t.frame[q]);
		t.frame[q] = -1;
	}
	*m = t;
}

static void op_mprotect(int s, unsigned p, unsigned n, unsigned pi, bool inject)
{
	struct mspace *m = &F.m[s];
	if (!in_group(p, n))
		return;
	struct mspace t = *m;
	int want = 0;
	for (unsigned q = p; q < p + n; q++) {
		if (!m->rprot[q])
			want = -MM_ENOENT;
		t.rprot[q] = (uint8_t)rprots[pi];
		if (t.frame[q] >= 0)
			t.pprot[q] = (uint8_t)rprots[pi];
	}
	mark_bounds(&t, p, n);
	model_merge(&t);
	say_want(want);
	SAY(.kind = OP_MPROTECT, .space = snames[s], .va = va_of(p), .pages = n,
	    .prot = rprots[pi] & ~(unsigned)MM_PROT_USER);
	int rc = mm_mprotect(F.s[s], va_of(p), n, rprots[pi] & ~(unsigned)MM_PROT_USER);
	if (!judge("mprotect", s, rc, want, inject))
		return;
	*m = t;
}

/* The page-table layer: mm_map, mm_unmap, mm_protect. They work without
 * regions; the harness maps only in a space without regions, and protects
 * a region's page no wider than its region, so that a page never has
 * rights its region lacks. */
static void op_map(int s, unsigned p, unsigned n, unsigned pi, bool inject)
{
	struct mspace *m = &F.m[s];
	if (!in_group(p, n) || model_regions(m))
		return;
	int want = 0;
	for (unsigned q = p; q < p + n; q++)
		if (m->frame[q] >= 0)
			want = -MM_EEXIST;
	say_want(want);
	SAY(.kind = OP_MAP, .space = snames[s], .va = va_of(p), .pages = n, .prot = prots[pi]);
	int rc = mm_map(F.s[s], va_of(p), n, prots[pi] | MM_PROT_USER);
	if (!judge("map", s, rc, want, inject))
		return;
	for (unsigned q = p; q < p + n; q++) {
		m->frame[q] = mf_new(0);
		m->pprot[q] = (uint8_t)prots[pi];
	}
}

static void op_unmap(int s, unsigned p, unsigned n, bool inject)
{
	struct mspace *m = &F.m[s];
	if (!in_group(p, n))
		return;
	int want = 0;
	for (unsigned q = p; q < p + n; q++)
		if (m->frame[q] < 0)
			want = -MM_ENOENT;
	say_want(want);
	SAY(.kind = OP_UNMAP, .space = snames[s], .va = va_of(p), .pages = n);
	int rc = mm_unmap(F.s[s], va_of(p), n);
	if (!judge("unmap", s, rc, want, inject))
		return;
	for (unsigned q = p; q < p + n; q++) {
		mf_put(m->frame[q]);
		m->frame[q] = -1;
	}
}

static void op_protect(int s, unsigned p, unsigned n, unsigned pi, bool inject)
{
	struct mspace *m = &F.m[s];
	if (!in_group(p, n))
		return;
	unsigned prot = prots[pi];
	int want = 0;
	for (unsigned q = p; q < p + n; q++) {
		if (m->rprot[q] && (prot & ~(unsigned)m->rprot[q]))
			return;
		if (m->frame[q] < 0)
			want = -MM_ENOENT;
	}
	say_want(want);
	SAY(.kind = OP_PROTECT, .space = snames[s], .va = va_of(p), .pages = n, .prot = prots[pi]);
	int rc = mm_protect(F.s[s], va_of(p), n, prot | MM_PROT_USER);
	if (!judge("protect", s, rc, want, inject))
		return;
	for (unsigned q = p; q < p + n; q++)
		m->pprot[q] = (uint8_t)prot;
}

/* Padding: single-page regions outside the window until space @s has
 * PAD_MAX - @k regions, so that the window's regions sit among many in
 * the region tree (rebalancing, gap search). */
static void op_pad(int s, unsigned k, bool inject)
{
	struct mspace *m = &F.m[s];
	if (has_loose_pages(m))
		return;
	while (model_regions(m) + k < PAD_MAX && m->npad < PAD_MAX) {
		mm_vaddr_t va = PAD_VA(m->npad), got;
		SAY(.kind = OP_MMAP, .space = snames[s], .va = va, .pages = 1,
		    .prot = MM_PROT_READ);
		int rc = mm_mmap(F.s[s], va, 1, MM_PROT_READ, MM_MAP_FIXED_NOREPLACE, &got);
		if (inject && injected(rc))
			return; /* a frame for region nodes was refused: nothing changed */
		if (rc)
			diverge("padding mmap returned %d (%s) at %u regions", rc, mm_strerror(rc),
			        model_regions(m));
		m->npad++;
		m->extra++;
	}
}

static void op_clone(int src, int dst, bool cow, bool inject)
{
	if (!F.m[src].live || src == dst)
		return;
	if (F.m[dst].live) { /* the slot is taken: its process exits first */
		if (F.active == dst) {
			SAY(.kind = OP_SWITCH);
			activate(-1);
		}
		SAY(.kind = OP_DESTROY, .space = snames[dst]);
		if (mm_space_destroy(F.s[dst]))
			diverge("destroy refused");
		model_drop(&F.m[dst]);
		check_all();
	}
	SAY(.kind = OP_FORK, .space = snames[src], .space2 = snames[dst], .eager = !cow);
	int rc = mm_space_clone(F.s[src], F.s[dst], cow ? MM_CLONE_COW : MM_CLONE_EAGER);
	if (!judge("clone", src, rc, 0, inject))
		return;
	struct mspace *a = &F.m[src], *b = &F.m[dst];
	*b = *a;
	for (int p = 0; p <= WIN; p++) {
		if (a->frame[p] < 0)
			continue;
		if (cow || a->kind[p] == K_SHARED)
			F.f[a->frame[p]].refs++; /* both map the same frame */
		else
			b->frame[p] = mf_new(F.f[a->frame[p]].val); /* an eager copy */
	}
}

/*
 * What an access to page @p of @m must come to: a present page is read, or
 * written if its own protection allows; an absent one is filled if its
 * region allows the access.
 */
static enum mm_fault_verdict model_verdict(const struct mspace *m, unsigned p, bool write)
{
	if (m->frame[p] >= 0)
		return !(m->pprot[p] & MM_PROT_READ) || (write && !(m->pprot[p] & MM_PROT_WRITE))
		               ? MM_FAULT_ACCESS
		               : MM_FAULT_RESOLVED;
	if (!m->rprot[p])
		return MM_FAULT_SEGV;
	if (!(m->rprot[p] & MM_PROT_READ))
		return MM_FAULT_ACCESS; /* PROT_NONE */
	return write && !(m->rprot[p] & MM_PROT_WRITE) ? MM_FAULT_ACCESS : MM_FAULT_RESOLVED;
}

/* The allowed access @write to page @p done in the model: a first touch
 * fills it; a write to a private frame that another page maps copies it. */
static void model_touch(struct mspace *m, unsigned p, bool write)
{
	if (m->frame[p] < 0) {
		m->frame[p] = mf_new(m->init[p]);
		m->pprot[p] = m->rprot[p];
	} else if (write && F.f[m->frame[p]].refs > 1 && m->kind[p] != K_SHARED) {
		F.f[m->frame[p]].refs--; /* copy-on-write */
		m->frame[p] = mf_new(F.f[m->frame[p]].val);
	}
}

static void switch_to(int s)
{
	if (F.active != s) {
		SAY(.kind = OP_SWITCH, .space = snames[s]);
		activate(s);
	}
}

static void op_access(int s, unsigned p, bool write, uint64_t val, bool inject)
{
	struct mspace *m = &F.m[s];
	switch_to(s);
	uint64_t v = val;
	struct sim_fault f = { 0 };
	int rc = write ? sim_write(F.sim, va_of(p), &v, 8, SIM_USER | SIM_DEMAND, &f)
	               : sim_read(F.sim, va_of(p), &v, 8, SIM_USER | SIM_DEMAND, &f);
	enum mm_fault_verdict want = model_verdict(m, p, write);
	enum mm_fault_verdict got = rc == 0 ? MM_FAULT_RESOLVED : f.verdict;
	if (got == MM_FAULT_OOM && inject)
		return;
	if (got != want)
		diverge("%s space %d page %u: verdict %d, the model expects %d",
		        write ? "write" : "read", s, p, got, want);
	if (want != MM_FAULT_RESOLVED) {
		/* scenario_verdicts[]: segv, access, gp, oom */
		SAY(.kind = OP_FAULT, .access = write ? OP_ACCESS_WRITE : OP_ACCESS_READ,
		    .va = va_of(p),
		    .verdict = want == MM_FAULT_SEGV  ? 0
		               : want == MM_FAULT_OOM ? 3
		                                      : 1);
		return;
	}
	model_touch(m, p, write);
	if (write) {
		F.f[m->frame[p]].val = val;
		SAY(.kind = OP_WRITE, .va = va_of(p), .value = val, .has_value = true);
	} else {
		if (v != F.f[m->frame[p]].val)
			diverge("read space %d page %u: %#" PRIx64 ", the model %#" PRIx64, s, p, v,
			        F.f[m->frame[p]].val);
		SAY(.kind = OP_READ, .va = va_of(p), .value = v, .has_value = true);
	}
}

static const char *const verdict_names[] = { "resolved", "segv", "access", "oom" };

/*
 * A software fault: what a kernel does before it touches user memory (a
 * user-pointer check, copy_to_user): mm_fault() on space @s, active or not,
 * with no hardware fault behind it, so any translation the TLB holds for
 * the page is still there. With @poke, the kernel then writes the page
 * (supervisor mode, through the TLB), as copy_to_user would.
 */
static void op_softfault(int s, unsigned p, bool write, bool poke, uint64_t val, bool inject)
{
	struct mspace *m = &F.m[s];
	enum mm_fault_verdict want = model_verdict(m, p, write);
	/* scenario_soft_verdicts[] is in the order of enum mm_fault_verdict. */
	SAY(.kind = OP_SOFTFAULT, .space = snames[s],
	    .access = write ? OP_ACCESS_WRITE : OP_ACCESS_READ, .va = va_of(p),
	    .verdict = (int)want);
	enum mm_fault_verdict got =
	        mm_fault(F.s[s], va_of(p), write ? MM_ACCESS_WRITE : MM_ACCESS_READ, NULL);
	if (got == MM_FAULT_OOM && inject)
		return;
	if (got != want)
		diverge("mm_fault(%s) space %d page %u: verdict %s, the model expects %s",
		        write ? "write" : "read", s, p, verdict_names[got], verdict_names[want]);
	if (want != MM_FAULT_RESOLVED)
		return;
	model_touch(m, p, write);
	if (!write || !poke || F.active != s)
		return;
	SAY(.kind = OP_KWRITE, .va = va_of(p), .value = val, .has_value = true);
	struct sim_fault f = { 0 };
	if (sim_write(F.sim, va_of(p), &val, 8, 0, &f))
		diverge("space %d page %u: the kernel's write faults (error code %#x) after "
		        "mm_fault(write) resolved it",
		        s, p, f.error_code);
	F.f[m->frame[p]].val = val;
}

/* mm_populate() of [p, p + n) for reading or writing: page by page in the
 * model, up to the first page whose region forbids the access. */
static void op_populate(int s, unsigned p, unsigned n, bool write, bool inject)
{
	struct mspace *m = &F.m[s];
	if (!in_group(p, n))
		return;
	unsigned acc = write ? MM_ACCESS_WRITE : MM_ACCESS_READ;
	int how = write ? OP_ACCESS_WRITE : OP_ACCESS_READ;
	unsigned stop = p + n;
	for (unsigned q = p; q < p + n && stop == p + n; q++)
		if (model_verdict(m, q, write) != MM_FAULT_RESOLVED)
			stop = q;
	int want = stop < p + n ? -MM_EFAULT : 0;
	if (inject) {
		/* Pages populated before an ENOMEM stay: one page at a time, so
		 * that the model knows which. */
		for (unsigned q = p; q <= stop && q < p + n; q++) {
			int w = q == stop ? -MM_EFAULT : 0;
			say_want(w);
			SAY(.kind = OP_POPULATE, .space = snames[s], .va = va_of(q), .pages = 1,
			    .access = how);
			int rc = mm_populate(F.s[s], va_of(q), 1, acc);
			if (!judge("populate", s, rc, w, true))
				return;
			model_touch(m, q, write);
		}
		return;
	}
	say_want(want);
	SAY(.kind = OP_POPULATE, .space = snames[s], .va = va_of(p), .pages = n, .access = how);
	int rc = mm_populate(F.s[s], va_of(p), n, acc);
	if (rc != want)
		diverge("populate space %d pages %u-%u: %d (%s), the model expects %d", s, p,
		        p + n - 1, rc, mm_strerror(rc), want);
	for (unsigned q = p; q < stop; q++)
		model_touch(m, q, write);
}

/* Kernel-half pages, mapped and unmapped while a user space is active. */
static void op_kmap(unsigned k, uint64_t val, bool inject)
{
	struct kslot *ks = &F.k[k];
	if (ks->mapped) {
		SAY(.kind = OP_EXPECT_ERROR, .err = -MM_EEXIST);
		SAY(.kind = OP_KMAP, .va = kva(k), .prot = MM_PROT_READ | MM_PROT_WRITE);
		int rc = mm_kernel_map(F.sys, kva(k), ks->pa, 1, MM_PROT_READ | MM_PROT_WRITE);
		judge("kernel map", -1, rc, -MM_EEXIST, inject);
		return;
	}
	SAY(.kind = OP_KMAP, .va = kva(k), .prot = MM_PROT_READ | MM_PROT_WRITE);
	mm_paddr_t pa;
	int rc = mm_sys_frame_alloc(F.sys, MM_FRAME_KERNEL, true, &pa);
	if (!judge("kernel frame", -1, rc, 0, inject))
		return;
	rc = mm_kernel_map(F.sys, kva(k), pa, 1, MM_PROT_READ | MM_PROT_WRITE);
	if (!judge("kernel map", -1, rc, 0, inject)) {
		mm_sys_frame_put(F.sys, pa);
		return;
	}
	*ks = (struct kslot){ true, pa, val };
	SAY(.kind = OP_KWRITE, .va = kva(k), .value = val, .has_value = true);
	struct sim_fault f = { 0 };
	if (sim_write(F.sim, kva(k), &val, 8, 0, &f))
		diverge("kernel page %u: the write after mm_kernel_map faults (error code %#x)", k,
		        f.error_code);
}

static void op_kunmap(unsigned k, unsigned n)
{
	if (k + n > KS)
		n = KS - k;
	int want = 0;
	for (unsigned j = k; j < k + n; j++)
		if (!F.k[j].mapped)
			want = -MM_ENOENT;
	say_want(want);
	SAY(.kind = OP_KUNMAP, .va = kva(k), .pages = n);
	int rc = mm_kernel_unmap(F.sys, kva(k), n);
	if (!judge("kernel unmap", -1, rc, want, false))
		return;
	/* At once, in the active space, before anything writes CR3; and before
	 * the frames go, so that a stale translation reads a frame in use. */
	for (unsigned j = k; j < k + n; j++) {
		SAY(.kind = OP_KREAD, .va = kva(j), .want_fault = true);
		uint64_t v;
		struct sim_fault f;
		if (!sim_read(F.sim, kva(j), &v, sizeof(v), 0, &f))
			diverge("kernel page %u: still readable right after mm_kernel_unmap", j);
	}
	for (unsigned j = k; j < k + n; j++) {
		mm_sys_frame_put(F.sys, F.k[j].pa);
		F.k[j].mapped = false;
	}
}

static void op_exec(int s, bool inject)
{
	struct mm_space *fresh = calloc(1, sizeof(*fresh));
	if (!fresh || mm_space_create(F.sys, fresh)) {
		free(fresh);
		return; /* injection hit the root: nothing to compare */
	}
	const char *argv[] = { "fuzz", NULL };
	struct mm_exec_args a = { .argv = argv,
		                  .stack_top = ARCH_USER_STACK_TOP,
		                  .stack_max_pages = 16 };
	struct mm_exec_image img;
	/* Printed only if it worked: under an injected failure mmsim's exec
	 * (which allocates in another order) might not fail, and would leave a
	 * space the script never destroys. */
	int rc = mm_exec(fresh, F.elf, F.elf_size, &a, &img);
	if (rc) {
		if (!(inject && injected(rc)))
			diverge("exec returned %d (%s)", rc, mm_strerror(rc));
		mm_space_destroy(fresh);
		free(fresh);
		return;
	}
	SAY(.kind = OP_EXEC, .space = snames[s], .word = "fuzz-" ARCH_NAME ".elf");
	if (F.m[s].live) {
		if (F.active == s)
			mm_space_activate(fresh);
		if (mm_space_destroy(F.s[s]))
			diverge("exec: the old space would not go");
		model_drop(&F.m[s]);
	}
	free(F.s[s]);
	F.s[s] = fresh;
	struct mspace *m = &F.m[s];
	model_drop(m);
	m->live = true;
	m->rprot[40] = MM_PROT_READ | MM_PROT_EXEC | MM_PROT_USER;
	m->init[40] = TEXT_VAL;
	m->rprot[42] = m->rprot[43] = MM_PROT_READ | MM_PROT_WRITE | MM_PROT_USER;
	m->init[42] = DATA_VAL;
	m->kind[40] = m->kind[42] = m->kind[43] = K_FILE;
	m->rstart[40] = m->rstart[42] = true;
	m->extra = 1;                     /* the stack */
	m->frame[STACK_SLOT] = mf_new(0); /* the populated top of the stack */
	m->rprot[STACK_SLOT] = m->pprot[STACK_SLOT] = MM_PROT_READ | MM_PROT_WRITE;
	m->heap = true, m->hpage = 44, m->hlen = 0; /* the page after the data */
}

/* mm_madvise(MM_MADV_DONTNEED): private pages go (the next touch reads
 * zeros or the file's bytes), shared ones stay; a page in no region is
 * ENOENT and nothing changes. */
static void op_madvise(int s, unsigned p, unsigned n)
{
	struct mspace *m = &F.m[s];
	if (!in_group(p, n))
		return;
	int want = 0;
	for (unsigned q = p; q < p + n; q++)
		if (!m->rprot[q])
			want = -MM_ENOENT;
	say_want(want);
	SAY(.kind = OP_MADVISE, .space = snames[s], .va = va_of(p), .pages = n);
	int rc = mm_madvise(F.s[s], va_of(p), n, MM_MADV_DONTNEED);
	if (!judge("madvise", s, rc, want, false))
		return;
	for (unsigned q = p; q < p + n; q++)
		if (m->kind[q] != K_SHARED) {
			mf_put(m->frame[q]);
			m->frame[q] = -1;
		}
}

/* The last page of the region holding page @p, plus one. */
static unsigned region_end(const struct mspace *m, unsigned p)
{
	unsigned q = p + 1;
	while (q < WIN && adjacent(q) && m->rprot[q] && !region_begins(m, q))
		q++;
	return q;
}

/*
 * mm_mremap() of [p, p + n) to @nn pages: shrink, grow in place, or with
 * @maymove, move. A move goes where mm-core finds a gap (outside the
 * window): the harness checks there that every page moved with its frame
 * (value, presence, PROT_NONE), then unmaps the moved region, so that the
 * model stays within the window. With @stack, the exec'd image's stack
 * page instead (EINVAL).
 */
static void op_mremap(int s, unsigned p, unsigned n, unsigned nn, bool maymove, bool stack,
                      bool inject)
{
	struct mspace *m = &F.m[s];
	if (stack) { /* the exec'd image's stack page: never remapped */
		if (!m->rprot[STACK_SLOT])
			return;
		mm_vaddr_t va = ARCH_USER_STACK_TOP - PAGE, got;
		SAY(.kind = OP_EXPECT_ERROR, .err = -MM_EINVAL);
		SAY(.kind = OP_MREMAP, .space = snames[s], .va = va, .pages = 1, .value = nn,
		    .maymove = maymove);
		int rc = mm_mremap(F.s[s], va, 1, nn, maymove ? MM_MREMAP_MAYMOVE : 0, &got);
		judge("mremap of the stack", s, rc, -MM_EINVAL, false);
		return;
	}
	if (!in_group(p, n > nn ? n : nn))
		return;
	struct mspace t = *m;
	int want = 0;
	enum { SHRINK, GROW, MOVE } how = SHRINK;
	if (!m->rprot[p] || region_end(m, p) < p + n)
		want = -MM_EFAULT;
	else if (m->kind[p] == K_FILE)
		want = -MM_EINVAL;
	else if (nn < n) {
		for (unsigned q = p + nn; q < p + n; q++)
			t.rprot[q] = 0, t.kind[q] = K_NONE, t.rstart[q] = false;
		mark_bounds(&t, p + nn, n - nn);
	} else if (nn > n) {
		how = GROW;
		for (unsigned q = p + n; q < p + nn; q++)
			if (m->rprot[q])
				how = MOVE;
		if (how == GROW) {
			for (unsigned q = p + n; q < p + nn; q++)
				t.rprot[q] = m->rprot[p], t.kind[q] = m->kind[p],
				t.rstart[q] = false;
			if (m->kind[p] == K_SHARED)
				mark_bounds(&t, p + n, nn - n);
			else if (p + nn < WIN && adjacent(p + nn))
				t.rstart[p + nn] = true;
			model_merge(&t);
		} else if (!maymove) {
			want = -MM_ENOMEM;
		} else {
			for (unsigned q = p; q < p + n; q++)
				t.rprot[q] = 0, t.kind[q] = K_NONE, t.rstart[q] = false;
			mark_bounds(&t, p, n);
		}
	}
	say_want(want);
	SAY(.kind = OP_MREMAP, .space = snames[s], .va = va_of(p), .pages = n, .value = nn,
	    .maymove = maymove);
	mm_vaddr_t got = 0;
	int rc = mm_mremap(F.s[s], va_of(p), n, nn, maymove ? MM_MREMAP_MAYMOVE : 0, &got);
	if (!judge("mremap", s, rc, want, inject))
		return;
	if (how != MOVE) {
		if (got != va_of(p))
			diverge("mremap in space %d: at %#" PRIx64 ", not in place", s,
			        (uint64_t)got);
		for (unsigned q = p + nn; q < p + n; q++) { /* shrunk */
			mf_put(t.frame[q]);
			t.frame[q] = -1;
		}
		for (unsigned q = p + n; q < p + nn; q++) { /* grown */
			t.init[q] = 0;
			if (t.kind[q] == K_SHARED) {
				t.frame[q] = mf_new(0);
				t.pprot[q] = t.rprot[q];
			}
		}
		*m = t;
		return;
	}
	if (got % PAGE || (got < va_of(WIN - 1) + PAGE && got + nn * PAGE > BASE))
		diverge("mremap in space %d moved to %#" PRIx64 ", in the window", s,
		        (uint64_t)got);
	comment("# moved to %#" PRIx64 "\n", (uint64_t)got);
	/* The contents moved with the mapping: page by page at the new address. */
	for (unsigned q = 0; q < nn; q++) {
		struct mm_mapping mp;
		int present = mm_query(F.s[s], got + q * PAGE, &mp) == 0;
		bool grown = q >= n;
		bool want_present = grown ? m->kind[p] == K_SHARED : m->frame[p + q] >= 0;
		if (present != want_present)
			diverge("mremap in space %d: moved page %u is %s, the model says %s", s, q,
			        present ? "present" : "absent",
			        want_present ? "present" : "absent");
		if (!present)
			continue;
		uint64_t v;
		memcpy(&v, sim_phys(F.sim, mp.pa, sizeof(v)), sizeof(v));
		uint64_t mv = grown ? 0 : F.f[m->frame[p + q]].val;
		bool none = !((grown ? m->rprot[p] : m->pprot[p + q]) & MM_PROT_READ);
		if (v != mv || mp.protnone != none)
			diverge("mremap in space %d: moved page %u reads %#" PRIx64
			        "%s, the model %#" PRIx64 "%s",
			        s, q, v, mp.protnone ? " (PROT_NONE)" : "", mv,
			        none ? " (PROT_NONE)" : "");
	}
	/* The tables the move made or left, before the munmap that follows
	 * prunes them. */
	char msg[256];
	if (sim_check(F.sim, msg, sizeof(msg)))
		diverge("invariant after mremap moved: %s", msg);
	/* Out of the window again: the moved region goes. */
	SAY(.kind = OP_MUNMAP, .space = snames[s], .va = got, .pages = nn);
	rc = mm_munmap(F.s[s], got, nn);
	if (rc)
		diverge("munmap of the moved region returned %d (%s)", rc, mm_strerror(rc));
	for (unsigned q = p; q < p + n; q++) {
		mf_put(t.frame[q]);
		t.frame[q] = -1;
	}
	*m = t;
}

/*
 * brk: with no heap yet, set where it starts (as mmsim's "brk A start
 * ADDR" and mm_exec() do), on a page that leaves 8 pages in its group;
 * then move its end: below the start (EINVAL), or to 0-7 pages past the
 * start, page aligned or not. Growing adds a read-write heap region (ENOMEM
 * if it runs into a region), shrinking unmaps whole pages.
 */
static void op_brk(int s, unsigned p, unsigned c, bool inject)
{
	struct mspace *m = &F.m[s];
	if (!m->heap) {
		if (p % 32 > 24)
			return;
		SAY(.kind = OP_BRK, .space = snames[s], .start = true, .va = va_of(p));
		F.s[s]->brk_start = F.s[s]->brk = va_of(p);
		m->heap = true, m->hpage = (uint8_t)p, m->hlen = 0;
		return;
	}
	unsigned h = m->hpage;
	uint32_t len = (c & 8 ? 0x10 : 0) + (c % 8) * (uint32_t)PAGE;
	mm_vaddr_t nb = (c >> 4) % 4 == 0 ? va_of(h) - PAGE : va_of(h) + len;
	unsigned oldp = h + (m->hlen + PAGE - 1) / PAGE, newp = h + (len + PAGE - 1) / PAGE;
	struct mspace t = *m;
	int want = 0;
	if (nb < va_of(h))
		want = -MM_EINVAL;
	else if (newp > oldp) {
		for (unsigned q = oldp; q < newp; q++) {
			if (m->rprot[q])
				want = -MM_ENOMEM; /* runs into a region */
			t.rprot[q] = MM_PROT_READ | MM_PROT_WRITE, t.kind[q] = K_HEAP;
			t.rstart[q] = false, t.init[q] = 0;
		}
		mark_bounds(&t, oldp, newp - oldp);
		model_merge(&t);
	} else if (newp < oldp) {
		for (unsigned q = newp; q < oldp; q++)
			t.rprot[q] = 0, t.kind[q] = K_NONE, t.rstart[q] = false;
		mark_bounds(&t, newp, oldp - newp);
	}
	say_want(want);
	SAY(.kind = OP_BRK, .space = snames[s], .va = nb);
	mm_vaddr_t got;
	int rc = mm_brk(F.s[s], nb, &got);
	if (!judge("brk", s, rc, want, inject))
		return;
	if (got != nb)
		diverge("brk in space %d: %#" PRIx64 ", asked for %#" PRIx64, s, (uint64_t)got,
		        (uint64_t)nb);
	for (unsigned q = newp; q < oldp; q++) {
		mf_put(t.frame[q]);
		t.frame[q] = -1;
	}
	t.hlen = len;
	*m = t;
}

void fuzz_set_script(FILE *f)
{
	F.script = f;
}

/* One machine for every input: creating and tearing down a system (256
 * kernel-half tables) would cost more than the input. Each input starts
 * with no space and the same free-frame count, and must end so. */
static uint32_t baseline_free;

static void setup(void)
{
	if (!F.sim) {
		struct sim_config cfg = sim_config_default();
		cfg.mem_bytes = 8u << 20;
		cfg.quiet = true;
		cfg.direct_map = false; /* nothing here uses it */
		if (sim_create(&cfg, &F.sim))
			abort();
		F.sys = sim_sys(F.sim);
		baseline_free = mm_frames_free_count(&F.sys->frames);
		make_elf();
	}
	memset(F.f, 0, sizeof(F.f));
	memset(F.k, 0, sizeof(F.k));
	mf_count = 0;
	for (int i = 0; i < NS; i++) {
		memset(&F.m[i], 0, sizeof(F.m[i]));
		for (int p = 0; p <= WIN; p++)
			F.m[i].frame[p] = -1;
	}
	for (int i = 0; i < NS; i++)
		F.s[i] = calloc(1, sizeof(struct mm_space));
	activate(-1);
	sim_tlb_flush(F.sim);
	F.ops = 0;
}

/* Printed too: a script ends with the machine as it began, so that
 * scripts can follow one another in one mmsim run. */
static void teardown(void)
{
	SAY(.kind = OP_SWITCH);
	activate(-1);
	for (unsigned k = 0; k < KS; k++)
		if (F.k[k].mapped) {
			SAY(.kind = OP_KUNMAP, .va = kva(k), .pages = 1);
			if (mm_kernel_unmap(F.sys, kva(k), 1))
				diverge("teardown: kernel unmap refused");
			mm_sys_frame_put(F.sys, F.k[k].pa);
		}
	for (int i = 0; i < NS; i++) {
		if (F.m[i].live)
			SAY(.kind = OP_DESTROY, .space = snames[i]);
		if (F.m[i].live && mm_space_destroy(F.s[i]))
			diverge("teardown: destroy refused");
		free(F.s[i]);
		F.s[i] = NULL;
	}
	if (mm_frames_free_count(&F.sys->frames) != baseline_free)
		diverge("destroying every space left %u free frames, not %u",
		        mm_frames_free_count(&F.sys->frames), baseline_free);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	struct in in = { data, size };
	SAY(.kind = OP_ARCH, .word = ARCH_NAME);
	while (in.n && F.ops < 128) {
		unsigned op = decode_op(next(&in), NOPS + 1), a = next(&in), b = next(&in),
		         c = next(&in);
		bool inject = false;
		F.ops++;
		if (op == NOPS) { /* the next operation's allocation number k fails */
			unsigned k = a % 16;
			SAY(.kind = OP_FAIL_NEXT, .fail_at = k);
			mm_frames_fail_after(&F.sys->frames, k);
			inject = true;
			op = decode_op(next(&in), NOPS), a = next(&in), b = next(&in),
			c = next(&in);
		}
		int s = (int)(a % NS), t = (int)((a >> 2) % NS);
		unsigned p = b % WIN, n = 1 + c % 8, pi = c >> 6;
		uint64_t val = (uint64_t)c << 8 | b | (uint64_t)a << 16;
		if (op != 0 && op != 9 && op != 15 && op != 16 && !F.m[s].live)
			op = 0;
		switch (op) {
		case 0: /* create */
			if (!F.m[s].live) {
				SAY(.kind = OP_CREATE, .space = snames[s]);
				int rc = mm_space_create(F.sys, F.s[s]);
				if (judge("create", s, rc, 0, inject))
					F.m[s].live = true;
			}
			break;
		case 1: /* destroy */
			if (F.active == s) {
				SAY(.kind = OP_SWITCH);
				activate(-1);
			}
			SAY(.kind = OP_DESTROY, .space = snames[s]);
			if (mm_space_destroy(F.s[s]))
				diverge("destroy refused");
			model_drop(&F.m[s]);
			break;
		case 2: /* switch (a CR3 write: the TLB is flushed) */
			if ((c & 0xc0) == 0xc0) {
				SAY(.kind = OP_SWITCH);
				activate(-1);
			} else {
				SAY(.kind = OP_SWITCH, .space = snames[s]);
				activate(s);
			}
			break;
		case 3: op_mmap(s, p, n, pi, (c >> 5) & 1, (c >> 3) & 1, inject); break;
		case 4: op_munmap(s, p, n, inject); break;
		case 5: op_mprotect(s, p, n, pi, inject); break;
		case 6: op_clone(s, t, !(c & 1), inject); break;
		case 7: op_access(s, p, true, val, inject); break;
		case 8: op_access(s, p, false, 0, inject); break;
		case 9: op_exec(s, inject); break;
		case 10: op_populate(s, p, n, (c >> 5) & 1, inject); break;
		case 11: op_map(s, p, n, pi, inject); break;
		case 12: op_unmap(s, p, n, inject); break;
		case 13: op_protect(s, p, n, pi, inject); break;
		case 14: op_softfault(s, p, (c >> 5) & 1, (c >> 6) & 1, val, inject); break;
		case 15: op_kmap(b % KS, val | UINT64_C(0x4b) << 40, inject); break;
		case 16: op_kunmap(b % KS, 1 + c % 4); break;
		case 17: op_pad(s, c % 8, inject); break;
		case NOPS + 1: op_madvise(s, p, n); break;
		case NOPS + 2:
			op_mremap(s, p, n, 1 + (c >> 3) % 8, (a >> 4) & 1, (b >> 6) == 3, inject);
			break;
		case NOPS + 3:
			if (!has_loose_pages(&F.m[s]))
				op_brk(s, p, c, inject);
			break;
		}
		mm_frames_fail_after(&F.sys->frames, -1);
		if (inject)
			SAY(.kind = OP_FAIL_NEXT, .fail_at = -1);
		SAY(.kind = OP_CHECK);
		/* Every operation: the stale-TLB counter, the frame count, and the
		 * spaces it named and the active one page by page; every space
		 * every 16 operations; every invariant every 8 and at the end. */
		unsigned mask = 1u << s | 1u << t | (F.active >= 0 ? 1u << F.active : 0);
		check_spaces(F.ops % 16 == 0 || !in.n ? ~0u : mask, F.ops % 8 == 0 || !in.n);
	}
	check_all();
	teardown();
	return 0;
}
