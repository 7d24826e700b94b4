/*
 * The fuzz harness: bytes -> a sequence of operations on up to four
 * address spaces -> mm-core on the simulator, judged after every operation
 * against a reference model and the invariant checker. One harness for
 * libFuzzer, AFL++ (persistent mode, through its libFuzzer driver) and the
 * plain replay main (replay.c). Compiled once per ISA, like mm-core.
 *
 * The model is deliberately simple and independent of mm-core: per space
 * and per page of a 64-page window, the region's protection (or none),
 * whether it is shared, and which model frame holds the page. Model frames
 * have a value and a reference count, so copy-on-write is "a write to a
 * frame with more than one reference gets a new frame".
 */
#include "fuzz.h"

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

/* Window page @p: two groups of 32 pages, in two different leaf tables. */
static mm_vaddr_t va_of(unsigned p)
{
	return BASE + (p / 32) * LEAF_SPAN + (p % 32) * PAGE;
}

struct mframe {
	uint64_t val;
	uint32_t refs;
};

struct mspace {
	bool live;
	uint8_t rprot[WIN + 1]; /* MM_PROT_* of the region; 0: none */
	bool shared[WIN + 1];
	uint64_t init[WIN + 1]; /* value a first touch gives (0, or file bytes) */
	int32_t frame[WIN + 1]; /* model frame, -1: not present */
};

static struct {
	struct sim *sim;
	struct mm_sys *sys;
	struct mm_space *s[NS];
	struct mspace m[NS];
	struct mframe f[MAXF];
	int active;   /* -1: kernel */
	FILE *script; /* print the operations as an mmsim script */
	unsigned ops;
	uint8_t elf[3 * 4096];
	size_t elf_size;
} F;

__attribute__((noreturn, format(printf, 1, 2))) static void diverge(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz (%s): divergence after operation %u: ", ARCH_NAME, F.ops);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nreproduce: build/fuzz/fuzz-replay-%s --print INPUT > case.mmsim\n",
	        ARCH_NAME);
	va_end(ap);
	abort();
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
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
	const unsigned W = 4u * ARCH_ELF_CLASS, eh = ARCH_ELF_CLASS == 1 ? 52 : 64,
	               ph = ARCH_ELF_CLASS == 1 ? 32 : 56;
	uint8_t *f = F.elf;
	memset(f, 0, sizeof(F.elf));
	memcpy(f, "\177ELF", 4);
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

/* Invariants and frame counts always; the page-by-page MMU comparison for
 * the spaces in @mask (every space when @mask is ~0). */
/* The judge: not instrumented for coverage (its loops would only slow the
 * fuzzer down without guiding it). */
#if defined(__clang__) && __clang_major__ >= 13
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

NO_COVERAGE static void check_spaces(unsigned mask, bool invariants)
{
	char msg[256];
	if (invariants && sim_check(F.sim, msg, sizeof(msg)))
		diverge("invariant: %s", msg);
	if (sim_stats(F.sim)->stale)
		diverge("the TLB served a stale entry for va %#" PRIx64,
		        sim_stats(F.sim)->last_stale_va);
	if (mm_frames_in_use(&F.sys->frames, MM_FRAME_USER) != mf_live())
		diverge("user frames in use %u, the model predicts %u",
		        mm_frames_in_use(&F.sys->frames, MM_FRAME_USER), mf_live());
	int was = F.active;
	for (int i = 0; i < NS; i++) {
		struct mspace *m = &F.m[i];
		if (!m->live || !(mask >> i & 1))
			continue;
		for (unsigned r = 0; r < F.s[i]->nregions; r++) {
			unsigned pr = F.s[i]->regions[r].prot;
			if ((pr & MM_PROT_WRITE) && (pr & MM_PROT_EXEC))
				diverge("space %d: a region is writable and executable, never "
				        "asked for",
				        i);
		}
		bool switched = false;
		for (unsigned p = 0; p < WIN; p++) {
			struct mm_mapping q;
			int present = mm_query(F.s[i], va_of(p), &q) == 0;
			if (present != (m->frame[p] >= 0))
				diverge("space %d page %u: mm-core says %s, the model %s", i, p,
				        present ? "present" : "absent",
				        m->frame[p] >= 0 ? "present" : "absent");
			if (!present)
				continue;
			if ((q.prot & MM_PROT_WRITE) && !(m->rprot[p] & MM_PROT_WRITE))
				diverge("space %d page %u: writable in the tables, not in the "
				        "model",
				        i, p);
			if (!switched) {
				activate(i);
				switched = true;
			}
			uint64_t v = 0;
			struct sim_fault f;
			if (sim_read(F.sim, va_of(p), &v, sizeof(v), SIM_USER, &f))
				diverge("space %d page %u: the MMU faults (error code %#x) on a "
				        "present page",
				        i, p, f.error_code);
			if (v != F.f[m->frame[p]].val)
				diverge("space %d page %u: the MMU reads %#" PRIx64
				        ", the model %#" PRIx64,
				        i, p, v, F.f[m->frame[p]].val);
		}
	}
	if (F.active != was)
		activate(was);
}

static void check_all(void)
{
	check_spaces(~0u, true);
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
static const char *const prot_names[4] = { "r", "rw", "r-x", "rw" };

static const char *errname(int e)
{
	switch (-e) {
	case MM_EEXIST: return "EEXIST";
	case MM_ENOENT: return "ENOENT";
	case MM_EINVAL: return "EINVAL";
	case MM_EFAULT: return "EFAULT";
	case MM_EBUSY: return "EBUSY";
	case MM_EPERM: return "EPERM";
	default: return "ENOMEM";
	}
}

/* Print "expect-error NAME" before an operation the model expects to fail. */
static void say_want(int want)
{
	if (want)
		say("expect-error %s\n", errname(want));
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
	/* A full region table: the model does not count regions (merging). */
	if (rc == -MM_ENOMEM && F.s[s]->nregions + 2 >= MM_REGIONS_MAX)
		return false;
	diverge("%s returned %d (%s), the model expects %d", op, rc, mm_strerror(rc), want);
}

static void op_mmap(int s, unsigned p, unsigned n, unsigned pi, bool shared, bool inject)
{
	struct mspace *m = &F.m[s];
	if (p + n > WIN || (p / 32) != ((p + n - 1) / 32))
		return; /* keep ranges inside one group: contiguous virtual addresses */
	unsigned prot = prots[pi];
	int want = 0;
	for (unsigned q = p; q < p + n; q++)
		if (m->rprot[q])
			want = -MM_EEXIST;
	say_want(want);
	say("mmap s%d %#" PRIx64 " %u %s%s\n", s, va_of(p), n, prot_names[pi],
	    shared ? " shared" : "");
	mm_vaddr_t got;
	int rc = mm_mmap(F.s[s], va_of(p), n, prot & ~(unsigned)MM_PROT_USER,
	                 MM_MAP_FIXED_NOREPLACE | (shared ? MM_MAP_SHARED : 0), &got);
	if (!judge("mmap", s, rc, want, inject))
		return;
	for (unsigned q = p; q < p + n; q++) {
		m->rprot[q] = (uint8_t)prot;
		m->shared[q] = shared;
		m->init[q] = 0;
		if (shared)
			m->frame[q] = mf_new(0);
	}
}

static void op_munmap(int s, unsigned p, unsigned n, bool inject)
{
	struct mspace *m = &F.m[s];
	if (p + n > WIN || (p / 32) != ((p + n - 1) / 32))
		return;
	say("munmap s%d %#" PRIx64 " %u\n", s, va_of(p), n);
	int rc = mm_munmap(F.s[s], va_of(p), n);
	if (!judge("munmap", s, rc, 0, inject))
		return;
	for (unsigned q = p; q < p + n; q++) {
		mf_put(m->frame[q]);
		m->frame[q] = -1;
		m->rprot[q] = 0;
		m->shared[q] = false;
	}
}

static void op_mprotect(int s, unsigned p, unsigned n, unsigned pi, bool inject)
{
	struct mspace *m = &F.m[s];
	if (p + n > WIN || (p / 32) != ((p + n - 1) / 32))
		return;
	int want = 0;
	for (unsigned q = p; q < p + n; q++)
		if (!m->rprot[q])
			want = -MM_ENOENT;
	say_want(want);
	say("mprotect s%d %#" PRIx64 " %u %s\n", s, va_of(p), n, prot_names[pi]);
	int rc = mm_mprotect(F.s[s], va_of(p), n, prots[pi] & ~(unsigned)MM_PROT_USER);
	if (!judge("mprotect", s, rc, want, inject))
		return;
	for (unsigned q = p; q < p + n; q++)
		m->rprot[q] = (uint8_t)prots[pi];
}

static void op_clone(int src, int dst, bool cow, bool inject)
{
	if (!F.m[src].live || src == dst)
		return;
	if (F.m[dst].live) { /* the slot is taken: its process exits first */
		if (F.active == dst) {
			say("switch kernel\n");
			activate(-1);
		}
		say("destroy s%d\n", dst);
		if (mm_space_destroy(F.s[dst]))
			diverge("destroy refused");
		model_drop(&F.m[dst]);
		check_all();
	}
	say("fork s%d s%d %s\n", src, dst, cow ? "cow" : "eager");
	int rc = mm_space_clone(F.s[src], F.s[dst], cow ? MM_CLONE_COW : MM_CLONE_EAGER);
	if (!judge("clone", src, rc, 0, inject))
		return;
	struct mspace *a = &F.m[src], *b = &F.m[dst];
	*b = *a;
	for (int p = 0; p <= WIN; p++) {
		if (a->frame[p] < 0)
			continue;
		if (cow || a->shared[p])
			F.f[a->frame[p]].refs++; /* both map the same frame */
		else
			b->frame[p] = mf_new(F.f[a->frame[p]].val); /* an eager copy */
	}
}

static void op_access(int s, unsigned p, bool write, uint64_t val, bool inject)
{
	struct mspace *m = &F.m[s];
	if (F.active != s) {
		say("switch s%d\n", s);
		activate(s);
	}
	uint64_t v = val;
	struct sim_fault f = { 0 };
	int rc = write ? sim_write(F.sim, va_of(p), &v, 8, SIM_USER | SIM_DEMAND, &f)
	               : sim_read(F.sim, va_of(p), &v, 8, SIM_USER | SIM_DEMAND, &f);
	enum mm_fault_verdict want = MM_FAULT_RESOLVED;
	if (!m->rprot[p])
		want = MM_FAULT_SEGV;
	else if (write && !(m->rprot[p] & MM_PROT_WRITE))
		want = MM_FAULT_ACCESS;
	enum mm_fault_verdict got = rc == 0 ? MM_FAULT_RESOLVED : f.verdict;
	if (got == MM_FAULT_OOM && inject)
		return;
	if (got != want)
		diverge("%s space %d page %u: verdict %d, the model expects %d",
		        write ? "write" : "read", s, p, got, want);
	if (want != MM_FAULT_RESOLVED) {
		say("fault %s %#" PRIx64 " %s\n", write ? "write" : "read", va_of(p),
		    want == MM_FAULT_SEGV ? "segv" : "access");
		return;
	}
	if (m->frame[p] < 0)
		m->frame[p] = mf_new(m->init[p]);
	if (write) {
		struct mframe *fr = &F.f[m->frame[p]];
		if (fr->refs > 1 && !m->shared[p]) { /* copy-on-write */
			fr->refs--;
			m->frame[p] = mf_new(val);
		} else {
			fr->val = val;
		}
		say("write %#" PRIx64 " %#" PRIx64 "\n", va_of(p), val);
	} else {
		if (v != F.f[m->frame[p]].val)
			diverge("read space %d page %u: %#" PRIx64 ", the model %#" PRIx64, s, p, v,
			        F.f[m->frame[p]].val);
		say("read %#" PRIx64 " %#" PRIx64 "\n", va_of(p), v);
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
	say("exec s%d fuzz-%s.elf\n", s, ARCH_NAME);
	int rc = mm_exec(fresh, F.elf, F.elf_size, &a, &img);
	if (rc) {
		if (!(inject && injected(rc)))
			diverge("exec returned %d (%s)", rc, mm_strerror(rc));
		mm_space_destroy(fresh);
		free(fresh);
		return;
	}
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
	m->frame[STACK_SLOT] = mf_new(0); /* the populated top of the stack */
	m->rprot[STACK_SLOT] = MM_PROT_READ | MM_PROT_WRITE;
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
	mf_count = 0;
	for (int i = 0; i < NS; i++) {
		F.s[i] = calloc(1, sizeof(struct mm_space));
		memset(&F.m[i], 0, sizeof(F.m[i]));
		for (int p = 0; p <= WIN; p++)
			F.m[i].frame[p] = -1;
	}
	activate(-1);
	sim_tlb_flush(F.sim);
	F.ops = 0;
}

static void teardown(void)
{
	activate(-1);
	for (int i = 0; i < NS; i++) {
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
	say("arch %s\n", ARCH_NAME);
	while (in.n && F.ops < 128) {
		unsigned op = next(&in) % 12, a = next(&in), b = next(&in), c = next(&in);
		int s = (int)(a % NS), t = (int)((a >> 2) % NS);
		unsigned p = b % WIN, n = 1 + c % 8;
		bool inject = false;
		F.ops++;
		if (op == 11) { /* the next operation's allocation number k fails */
			unsigned k = a % 16;
			say("fail-next %u\n", k);
			mm_frames_fail_after(&F.sys->frames, k);
			inject = true;
			op = next(&in) % 11, a = next(&in), b = next(&in), c = next(&in);
			s = (int)(a % NS), t = (int)((a >> 2) % NS), p = b % WIN, n = 1 + c % 8;
		}
		if (op != 0 && op != 9 && !F.m[s].live)
			op = 0;
		switch (op) {
		case 0: /* create */
			if (!F.m[s].live) {
				say("create s%d\n", s);
				int rc = mm_space_create(F.sys, F.s[s]);
				if (judge("create", s, rc, 0, inject))
					F.m[s].live = true;
			}
			break;
		case 1: /* destroy */
			if (F.active == s) {
				say("switch kernel\n");
				activate(-1);
			}
			say("destroy s%d\n", s);
			if (mm_space_destroy(F.s[s]))
				diverge("destroy refused");
			model_drop(&F.m[s]);
			break;
		case 2: /* switch */
			say("switch s%d\n", s);
			activate(s);
			break;
		case 3: op_mmap(s, p, n, c >> 6, (c >> 5) & 1, inject); break;
		case 4: op_munmap(s, p, n, inject); break;
		case 5: op_mprotect(s, p, n, c >> 6, inject); break;
		case 6: op_clone(s, t, !(c & 1), inject); break;
		case 7:
			op_access(s, p, true, (uint64_t)c << 8 | b | (uint64_t)a << 16, inject);
			break;
		case 8: op_access(s, p, false, 0, inject); break;
		case 9: op_exec(s, inject); break;
		case 10: { /* populate: fault pages in for writing, as MAP_POPULATE does */
			unsigned q;
			for (q = p; q < p + n && q < WIN; q++)
				op_access(s, q, false, 0, inject);
			break;
		}
		}
		mm_frames_fail_after(&F.sys->frames, -1);
		if (inject)
			say("fail-next off\n");
		say("check\n");
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
