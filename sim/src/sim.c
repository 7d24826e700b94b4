/*
 * The host simulator: arena, machine hooks, software TLB, poisoning.
 * See <sim/sim.h>.
 */
#include <sim/sim.h>

#include <arch/layout.h>
#include <arch/pte.h>

#include "sim_mmu_api.h"
#include <sim_arch.h> /* the ISA's simulator settings (ARCH_SIM_ASIDS) */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define SIM_HAVE_VALGRIND 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SIM_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define SIM_HAVE_ASAN 1
#endif
#endif

struct tlb_entry {
	uint64_t vpn;  /* va >> 12 of the first byte of the page it caches */
	uint64_t pa;   /* physical address of the page */
	uint32_t asid; /* the address space it was filled in */
	bool valid, readable, writable, user, executable, sup_executable, dirty;
	bool negative;    /* a cached "not valid" (ISAs that may cache one): faults */
	uint32_t hw_code; /* negative: the ISA's code of the fault it caches */
	bool global;      /* survives root switches and flush_all (x86 G with CR4.PGE) */
	uint8_t ok;       /* access kinds (SIM_WRITE|USER|FETCH, 0-7) served without a walk */
	uint8_t shift;    /* log2 of its page's size: 12, or a large page's (one entry) */
};

struct sim {
	struct sim_config cfg;
	uint8_t *arena;
	struct mm_frame *meta;
	struct mm_sys sys;
	struct sim_mmu mmu; /* the ISA's model state: root, control bits */
	struct tlb_entry *tlb;
	unsigned tlb_sets;
	uint8_t *tlb_next; /* per set: next way to replace */
	unsigned drop_invlpg;
	struct sim_stats st;
	/* The most recent translation, in front of the TLB (a micro-TLB): for
	 * each access kind (SIM_WRITE|USER|FETCH, 0-7) whether a hit needs no
	 * walk. Cleared by every invalidation, flush and fill. */
	uint64_t last_vpn, last_pa;
	uint8_t last_ok;
	mm_paddr_t asid0_root; /* the last root activated without an identifier */
	mm_paddr_t mapped[2];  /* frames map_frame gave and unmap_frame has not ended */
	unsigned nmapped;
	uint64_t large_fills; /* TLB entries ever filled from a large page */
	bool checking;        /* in sim_check(): table windows walk without filling the TLB */
};

const char *sim_arch_name(void)
{
	return ARCH_NAME;
}

void mm_panic(const char *msg)
{
	fprintf(stderr, "mm-core panic: %s\n", msg);
	abort();
}

struct sim_config sim_config_default(void)
{
	return (struct sim_config){
		.mem_bytes = 16u << 20,
		.phys_base = 1u << 20,
		.nranges = 1,
		.tlb_entries = 64,
		.tlb_ways = 4,
		.check_stale = true,
		.direct_map = true,
		.large_pages = true,
#ifdef ARCH_SIM_ASIDS
		.asids = ARCH_SIM_ASIDS,
#endif
	};
}

uint32_t sim_asids_max(void)
{
	return sim_mmu_asids();
}

/* ---- physical memory ----------------------------------------------------- */

void *sim_phys(struct sim *sim, mm_paddr_t pa, size_t len)
{
	if (pa < sim->cfg.phys_base || len > sim->cfg.mem_bytes ||
	    pa - sim->cfg.phys_base > sim->cfg.mem_bytes - len)
		return NULL;
	return sim->arena + (pa - sim->cfg.phys_base);
}

/* The MMU model's read of one entry: the ISA's entry size, so that the
 * last entry of the last frame of RAM (a 4-byte i386 entry) is in RAM. */
static void *mmu_phys(void *ctx, uint64_t pa)
{
	return sim_phys(ctx, pa, sizeof(arch_pte_t));
}

static void poison(void *p, size_t len)
{
#ifdef SIM_HAVE_VALGRIND
	VALGRIND_MAKE_MEM_NOACCESS(p, len);
#endif
#ifdef SIM_HAVE_ASAN
	ASAN_POISON_MEMORY_REGION(p, len);
#endif
	(void)p, (void)len;
}

static void unpoison(void *p, size_t len)
{
#ifdef SIM_HAVE_ASAN
	ASAN_UNPOISON_MEMORY_REGION(p, len);
#endif
#ifdef SIM_HAVE_VALGRIND
	VALGRIND_MAKE_MEM_UNDEFINED(p, len);
#endif
	(void)p, (void)len;
}

/* ---- software TLB -------------------------------------------------------- */

static void last_clear(struct sim *sim)
{
	sim->last_vpn = UINT64_MAX;
	sim->last_ok = 0;
}

static struct tlb_entry *tlb_set(struct sim *sim, uint64_t vpn)
{
	return &sim->tlb[(vpn % sim->tlb_sets) * sim->cfg.tlb_ways];
}

/* The entry of page size 1 << @shift that would hold @va, in its set. */
static struct tlb_entry *tlb_find(struct sim *sim, mm_vaddr_t va, unsigned shift)
{
	const uint64_t vpn = (va >> shift) << (shift - ARCH_PAGE_SHIFT);
	struct tlb_entry *set = &sim->tlb[((va >> shift) % sim->tlb_sets) * sim->cfg.tlb_ways];
	const uint32_t asid = sim_mmu_asid(&sim->mmu);
	for (unsigned w = 0; w < sim->cfg.tlb_ways; w++)
		if (set[w].valid && set[w].shift == shift && set[w].vpn == vpn &&
		    (set[w].global || set[w].asid == asid))
			return &set[w];
	return NULL;
}

/* The entry translating @va: a 4 KiB page's, or (once any was filled) a
 * large page's, one entry for the whole page as a TLB's large-page array
 * holds it (SDM Vol. 3A §4.10.2.2), indexed by the large page number. */
static struct tlb_entry *tlb_lookup(struct sim *sim, mm_vaddr_t va)
{
	if (!sim->tlb)
		return NULL;
	struct tlb_entry *e = tlb_find(sim, va, ARCH_PAGE_SHIFT);
	for (unsigned l = 1; !e && sim->large_fills && l <= ARCH_LARGE_MAX_LEVEL; l++)
		e = tlb_find(sim, va, arch_level_shift(l));
	return e;
}

/* The rights of a TLB entry, as the model's rule reads them. */
static struct sim_walk rights_of(const struct tlb_entry *e)
{
	return (struct sim_walk){ .ok = true,
		                  .readable = e->readable,
		                  .writable = e->writable,
		                  .executable = e->executable,
		                  .sup_executable = e->sup_executable,
		                  .user = e->user,
		                  .global = e->global,
		                  .dirty = e->dirty };
}

/* Which access kinds the TLB entry @e serves without a walk (the model's
 * rights rule; a write through a clean entry walks to set D: x86 SDM
 * §4.8). */
static uint8_t entry_ok(const struct sim *sim, const struct tlb_entry *e)
{
	uint8_t ok = 0;
	struct sim_walk w = rights_of(e);
	for (unsigned f = 0; f < 8; f++)
		if (sim_mmu_allows(&sim->mmu, &w, f) && (!(f & SIM_WRITE) || e->dirty))
			ok |= (uint8_t)(1u << f);
	return ok;
}

static void tlb_fill(struct sim *sim, mm_vaddr_t va, const struct sim_walk *r)
{
	last_clear(sim);
	if (!sim->tlb)
		return;
	/* A large page takes one entry, for all of it. */
	unsigned shift = ARCH_PAGE_SHIFT;
	while (r->page_size > (UINT64_C(1) << shift) && shift < 63)
		shift++;
	if (shift > ARCH_PAGE_SHIFT)
		sim->large_fills++;
	struct tlb_entry *e = tlb_find(sim, va, shift);
	if (!e) {
		uint64_t set = (va >> shift) % sim->tlb_sets;
		e = &sim->tlb[set * sim->cfg.tlb_ways + sim->tlb_next[set]];
		sim->tlb_next[set] = (uint8_t)((sim->tlb_next[set] + 1) % sim->cfg.tlb_ways);
	}
	*e = (struct tlb_entry){
		.vpn = (va >> shift) << (shift - ARCH_PAGE_SHIFT),
		.pa = r->pa & ~((UINT64_C(1) << shift) - 1),
		.asid = sim_mmu_asid(&sim->mmu),
		.valid = true,
		.readable = r->readable,
		.writable = r->writable,
		.user = r->user,
		.executable = r->executable,
		.sup_executable = r->sup_executable,
		.dirty = r->dirty,
		.global = r->global,
		.shift = (uint8_t)shift,
	};
	e->ok = entry_ok(sim, e);
}

/* Cache the "not valid" a walk found for @va's page, as an ISA whose TLB may
 * (sim_mmu_caches_invalid()) does, until an invalidation drops it. */
static void tlb_fill_negative(struct sim *sim, mm_vaddr_t va, uint32_t hw_code)
{
	struct sim_walk none = { 0 };
	tlb_fill(sim, va, &none);
	struct tlb_entry *e = sim->tlb ? tlb_find(sim, va, ARCH_PAGE_SHIFT) : NULL;
	if (e) {
		e->negative = true;
		e->hw_code = hw_code;
		e->ok = 0;
	}
}

void sim_tlb_flush(struct sim *sim)
{
	last_clear(sim);
	if (sim->tlb)
		memset(sim->tlb, 0, sizeof(*sim->tlb) * sim->cfg.tlb_entries);
}

static void bbm_check(struct sim *sim, const struct tlb_entry *e);

/* What a CR3 write does (SDM Vol. 3A §4.10.4.1), or Arm's TLBI ASIDE1:
 * drop every non-global entry of @asid (of every identifier for
 * MM_ASID_ALL); global ones (G leaves while CR4.PGE is 1, Arm nG=0) stay. */
static void tlb_flush_asid(struct sim *sim, uint32_t asid)
{
	last_clear(sim);
	for (unsigned i = 0; sim->tlb && i < sim->cfg.tlb_entries; i++)
		if (sim->tlb[i].valid && !sim->tlb[i].global &&
		    (asid == MM_ASID_ALL || sim->tlb[i].asid == asid)) {
			bbm_check(sim, &sim->tlb[i]);
			sim->tlb[i].valid = false;
		}
}

/* Does the invalidation of @va in @asid drop the valid entry @e? */
static bool tlb_drops(const struct tlb_entry *e, uint32_t asid, mm_vaddr_t va)
{
	return e->valid && (asid == MM_ASID_ALL || (!e->global && e->asid == asid)) &&
	       ((e->vpn << ARCH_PAGE_SHIFT) >> e->shift) == (va >> e->shift);
}

/* Drop the entries of the page holding @va in address space @asid, global
 * ones spared; with MM_ASID_ALL, every entry of the page (RISC-V
 * sfence.vma va, asid / va, x0; x86 invlpg, whose spaces are all 0 and
 * whose kernel-half invalidations name MM_ASID_ALL). For a large page,
 * its entry, whichever address inside it names: INVLPG invalidates the
 * TLB entries for the page that maps the address, whatever its size (SDM
 * Vol. 3A §4.10.4.1); sfence.vma and TLBI VAE1 likewise invalidate the
 * leaf that maps the address. */
static void tlb_invalidate(struct sim *sim, uint32_t asid, mm_vaddr_t va)
{
	last_clear(sim);
	if (!sim->tlb)
		return;
	const uint64_t vpn = va >> ARCH_PAGE_SHIFT;
	struct tlb_entry *set = tlb_set(sim, vpn);
	for (unsigned w = 0; w < sim->cfg.tlb_ways; w++)
		if (tlb_drops(&set[w], asid, va)) {
			bbm_check(sim, &set[w]);
			set[w].valid = false;
		}
	for (unsigned i = 0; sim->large_fills && i < sim->cfg.tlb_entries; i++)
		if (sim->tlb[i].shift > ARCH_PAGE_SHIFT && tlb_drops(&sim->tlb[i], asid, va)) {
			bbm_check(sim, &sim->tlb[i]);
			sim->tlb[i].valid = false;
		}
}

/*
 * The root whose translation the TLB entry @e caches: the loaded root for
 * a global entry or one of the current identifier; else the root of the
 * live space with @e's identifier (for identifier 0, the last root loaded
 * without one, if its space still lives). 0 if no live space has it.
 */
static mm_paddr_t root_of(struct sim *sim, const struct tlb_entry *e)
{
	if (e->global || e->asid == sim_mmu_asid(&sim->mmu))
		return sim_mmu_root(&sim->mmu);
	for (struct mm_space *s = mm_space_first(&sim->sys); s; s = mm_space_next(s))
		if (s->asid == e->asid && (e->asid != 0 || s->root == sim->asid0_root))
			return s->root;
	return 0;
}

/* A rights-ignoring walk of the page @e caches, in the space it belongs to. */
static bool probe_entry(struct sim *sim, const struct tlb_entry *e, struct sim_walk *r)
{
	struct sim_mmu m = sim->mmu;
	mm_paddr_t root = root_of(sim, e);
	if (!root) {
		*r = (struct sim_walk){ 0 };
		return false;
	}
	/* The root entries as they are in memory (x86 PAE: PDPTEs loaded anew). */
	if (!sim_mmu_set_root(&m, mmu_phys, sim, root, e->asid)) {
		*r = (struct sim_walk){ 0 };
		return false;
	}
	return sim_mmu_probe(&m, mmu_phys, sim, e->vpn << ARCH_PAGE_SHIFT, r);
}

/*
 * The break-before-make checker, for an ISA that requires it
 * (sim_mmu_requires_bbm(): aarch64). Called for each TLB entry an
 * invalidation or flush is about to drop, and on checked hits: if the
 * tables now map the entry's page to another frame, the valid entry it was
 * filled from changed its output address while the TLB held it, in place
 * or through an invalid entry that was never invalidated; a correct
 * sequence (invalid, TLBI, new entry) would have dropped the TLB entry
 * while the page was unmapped. Reported, naming the address (Arm ARM D8,
 * "Using break-before-make when updating translation table entries").
 */
static void bbm_check(struct sim *sim, const struct tlb_entry *e)
{
	struct sim_walk r;
	if (!sim_mmu_requires_bbm() || e->negative || !probe_entry(sim, e, &r))
		return;
	uint64_t now = r.pa & ~(uint64_t)(ARCH_PAGE_SIZE - 1);
	/* The output address, or the size (a block split into a table or
	 * pages merged into a block), changed while the TLB held the entry. */
	if (now == e->pa && r.page_size == (UINT64_C(1) << e->shift))
		return;
	sim->st.bbm++;
	sim->st.last_bbm_va = e->vpn << ARCH_PAGE_SHIFT;
	if (!sim->cfg.quiet)
		fprintf(stderr,
		        "sim: break-before-make violated for va 0x%" PRIx64
		        ": a TLB entry held pa 0x%" PRIx64 " (page of 0x%" PRIx64
		        " bytes) while the tables changed it to pa 0x%" PRIx64 " (0x%" PRIx64
		        " bytes) without an invalid entry and an invalidation between\n",
		        sim->st.last_bbm_va, e->pa, UINT64_C(1) << e->shift, now, r.page_size);
	if (sim->cfg.abort_on_stale)
		abort();
}

/*
 * Is the cached entry @e for @vpn still what the tables say? Stale means
 * the tables no longer allow the translation or a right the entry grants:
 * the sign of a missing invalidation. Re-walks without touching A/D.
 */
static bool tlb_entry_is_stale(struct sim *sim, const struct tlb_entry *e, char *why,
                               size_t why_len)
{
	struct sim_walk r;
	if (e->negative) { /* stale once the tables map the page */
		if (!probe_entry(sim, e, &r))
			return false;
		snprintf(why, why_len, "cached not valid, tables: mapped (pa 0x%" PRIx64 ")", r.pa);
		return true;
	}
	if (!probe_entry(sim, e, &r)) {
		snprintf(why, why_len, "tables: not mapped (%s %#x)", sim_mmu_code_name(),
		         r.hw_code);
		return true;
	}
	const char *bad = NULL;
	if ((r.pa & ~(uint64_t)(ARCH_PAGE_SIZE - 1)) != e->pa)
		bad = "another frame";
	else if (r.page_size != (UINT64_C(1) << e->shift))
		/* A large page split (or pages merged) with the TLB keeping the
		 * old size: the SDM asks for an invalidation when a page's size
		 * changes (Vol. 3A §4.10.4.2); Arm for break-before-make. */
		bad = "another page size";
	else if (e->writable && !r.writable)
		bad = "read-only";
	else if (e->readable && !r.readable)
		bad = "not readable";
	else if (e->user && !r.user)
		bad = "supervisor-only";
	else if ((e->executable && !r.executable) || (e->sup_executable && !r.sup_executable))
		bad = "execute-disabled";
	if (!bad)
		return false;
	snprintf(why, why_len, "tables: %s (pa 0x%" PRIx64 ")", bad, r.pa);
	return true;
}

static void report_stale(struct sim *sim, const struct tlb_entry *e, const char *why)
{
	sim->st.stale++;
	sim->st.last_stale_va = e->vpn << ARCH_PAGE_SHIFT;
	if (!sim->cfg.quiet)
		fprintf(stderr,
		        "sim: stale TLB entry for va 0x%" PRIx64 ": cached pa 0x%" PRIx64
		        "%s%s%s, %s (missing invalidation?)\n",
		        sim->st.last_stale_va, e->pa, e->writable ? " writable" : "",
		        e->user ? " user" : "", e->executable ? " exec" : "", why);
	if (sim->cfg.abort_on_stale)
		abort();
}

/* ---- machine hooks ------------------------------------------------------- */

/* mm-core's rule for mm_mach_ops.map_frame: no other hook while a frame
 * is mapped (a kernel's temporary mapping may not survive one). */
static void no_frame_mapped(const struct sim *sim, const char *hook)
{
	if (sim->nmapped) {
		fprintf(stderr, "sim: %s called with a frame mapped\n", hook);
		mm_panic("a machine hook called between map_frame and unmap_frame");
	}
}

/*
 * The direct map, for what mm-core keeps for itself (tables, region
 * nodes, metadata). A frame users map is reached through map_frame only,
 * as on a platform whose direct map does not reach every frame (a 32-bit
 * kernel's high memory): asked here for one, the simulator stops.
 */
static void *hook_phys_to_virt(void *ctx, mm_paddr_t pa)
{
	struct sim *sim = ctx;
	no_frame_mapped(sim, "phys_to_virt");
	void *p = sim_phys(sim, pa, ARCH_PAGE_SIZE);
	if (!p)
		mm_panic("phys_to_virt: address outside RAM");
	const struct mm_frame *f = mm_frame_get(&sim->sys.frames, pa);
	if (f && f->kind == MM_FRAME_USER)
		mm_panic("phys_to_virt of a user frame: mm-core reaches those through map_frame");
	if (mm_frames_is_high(&sim->sys.frames, pa))
		mm_panic("phys_to_virt of high memory: the direct map does not reach it");
	/* Built with the recursive mapping, mm-core reaches a table through
	 * its window (table_window) once a root is loaded, as a kernel with
	 * no direct map of its tables must: asked here for one, stop. */
	if (MM_TABLES_RECURSIVE && f && f->kind == MM_FRAME_PT && sim->sys.active)
		mm_panic("phys_to_virt of a page table: the recursive mapping reaches tables "
		         "through table_window");
	return p;
}

/*
 * The recursive mapping's window (mm_mach_ops.table_window): @va is where
 * mm-core computed (arch_recursive_table_va()) that the loaded root maps
 * the table at @pa. As the processor would, the simulator translates @va
 * through its TLB and MMU model, a supervisor write; it stops if that
 * faults or reaches another frame: wrong window arithmetic, a window entry
 * missing, or a TLB entry left from a table since unlinked (a missing
 * invalidation; with check_stale the stale entry is also reported).
 */
static int access_once(struct sim *sim, mm_vaddr_t va, unsigned flags, mm_paddr_t *pa,
                       struct sim_fault *fault);

static void *hook_table_window(void *ctx, mm_vaddr_t va, mm_paddr_t pa)
{
	struct sim *sim = ctx;
	no_frame_mapped(sim, "table_window");
	const struct sim_stats before = sim->st;
	struct sim_fault f = { 0 };
	mm_paddr_t got = 0;
	int err;
	if (sim->checking) { /* the checker's walks leave the TLB as it was */
		struct sim_walk r;
		err = sim_mmu_translate(&sim->mmu, mmu_phys, sim, va, SIM_WRITE, false, &r) ? 0
		                                                                            : -1;
		got = r.pa;
		f.error_code = r.fault;
	} else {
		err = access_once(sim, va, SIM_WRITE, &got, &f);
	}
	sim->st.window_misses += sim->st.tlb_misses - before.tlb_misses;
	sim->st.window_accesses++;
	sim->st.accesses = before.accesses;
	sim->st.tlb_hits = before.tlb_hits;
	sim->st.tlb_misses = before.tlb_misses;
	sim->st.walks = before.walks;
	if (err || got != pa) {
		fprintf(stderr,
		        "sim: table window 0x%" PRIx64 " for the table at 0x%" PRIx64
		        ": %s 0x%" PRIx64 "\n",
		        va, pa, err ? "faults, code" : "reaches",
		        err ? (uint64_t)f.error_code : got);
		mm_panic("table_window: the window does not reach the table (stale TLB entry, or "
		         "a wrong window)");
	}
	return sim_phys(sim, pa, ARCH_PAGE_SIZE);
}

static void *hook_map_frame(void *ctx, mm_paddr_t pa)
{
	struct sim *sim = ctx;
	void *p = sim_phys(sim, pa, ARCH_PAGE_SIZE);
	if (!p || (pa & (ARCH_PAGE_SIZE - 1)))
		mm_panic("map_frame: not a frame of RAM");
	const struct mm_frame *f = mm_frame_get(&sim->sys.frames, pa);
	if (f && f->kind == MM_FRAME_FREE)
		mm_panic("map_frame of a free frame");
	if (sim->nmapped == 2)
		mm_panic("map_frame: a third frame mapped at once (mm-core holds at most two)");
	sim->mapped[sim->nmapped++] = pa;
	if (f && f->kind == MM_FRAME_PT)
		sim->st.table_maps++;
	else
		sim->st.frame_maps++;
	return p;
}

static void hook_unmap_frame(void *ctx, mm_paddr_t pa, void *p)
{
	struct sim *sim = ctx;
	if (!sim->nmapped || sim->mapped[sim->nmapped - 1] != pa ||
	    p != sim_phys(sim, pa, ARCH_PAGE_SIZE))
		mm_panic("unmap_frame: not the frame mapped last, or not its pointer");
	sim->nmapped--;
}

static void hook_activate(void *ctx, mm_paddr_t root, uint32_t asid)
{
	struct sim *sim = ctx;
	no_frame_mapped(sim, "activate");
	sim->st.cr3_writes++;
	/* The micro-TLB in front of the TLB is not tagged: it goes. */
	last_clear(sim);
	/* A space without an identifier: as a kernel's switch does (x86: the
	 * CR3 write itself, SDM Vol. 3A §4.10.4.1), the non-global entries of
	 * identifier 0 go, checked against the root they were filled from
	 * (before the new one is loaded); global entries stay. With one,
	 * every entry stays, tagged. */
	if (asid == 0) {
		tlb_flush_asid(sim, 0);
		sim->asid0_root = root;
	}
	if (!sim_mmu_set_root(&sim->mmu, mmu_phys, sim, root, asid))
		mm_panic("activate: the root register write faulted (a root entry with a "
		         "reserved bit set: x86 PAE #GP)");
}

static mm_paddr_t hook_read_root(void *ctx)
{
	return sim_mmu_root(&((struct sim *)ctx)->mmu);
}

static void hook_invalidate_page(void *ctx, uint32_t asid, mm_vaddr_t va)
{
	struct sim *sim = ctx;
	no_frame_mapped(sim, "invalidate_page");
	if (sim->drop_invlpg) {
		sim->drop_invlpg--;
		sim->st.dropped_invlpg++;
		return;
	}
	if (sim->checking)
		return; /* sim_check() drops every window entry when it ends */
	sim->st.invlpg++;
	tlb_invalidate(sim, asid, va);
}

static void hook_flush_all(void *ctx, uint32_t asid)
{
	struct sim *sim = ctx;
	no_frame_mapped(sim, "flush_all");
	if (sim->checking)
		return; /* sim_check() drops every window entry when it ends */
	sim->st.flushes++;
	tlb_flush_asid(sim, asid); /* as the kernel's CR3 reload: globals stay */
}

static void hook_frame_allocated(void *ctx, mm_paddr_t pa)
{
	no_frame_mapped(ctx, "frame_allocated");
	unpoison(sim_phys(ctx, pa, ARCH_PAGE_SIZE), ARCH_PAGE_SIZE);
}

static void hook_frame_freed(void *ctx, mm_paddr_t pa)
{
	no_frame_mapped(ctx, "frame_freed");
	poison(sim_phys(ctx, pa, ARCH_PAGE_SIZE), ARCH_PAGE_SIZE);
}

static const struct mm_mach_ops sim_ops = {
	.phys_to_virt = hook_phys_to_virt,
	.activate = hook_activate,
	.read_root = hook_read_root,
	.invalidate_page = hook_invalidate_page,
	.flush_all = hook_flush_all,
	.frame_allocated = hook_frame_allocated,
	.frame_freed = hook_frame_freed,
	.map_frame = hook_map_frame,
	.unmap_frame = hook_unmap_frame,
	.table_window = hook_table_window,
};

/* ---- life cycle ---------------------------------------------------------- */

/* Where the high zone starts (sim_config.high_bytes), 0 if there is none. */
static mm_paddr_t sim_high_base(const struct sim_config *cfg)
{
	return cfg->high_bytes ? cfg->phys_base + cfg->mem_bytes - cfg->high_bytes : 0;
}

int sim_create(const struct sim_config *cfg, struct sim **out)
{
	const uint64_t page = ARCH_PAGE_SIZE;
	if (!cfg || cfg->mem_bytes == 0 || cfg->mem_bytes % page || cfg->phys_base == 0 ||
	    cfg->phys_base % page || cfg->nranges == 0 || cfg->nranges > MM_FRAMES_MAX_RANGES ||
	    (cfg->tlb_entries &&
	     (cfg->tlb_ways == 0 || cfg->tlb_ways > 255 || cfg->tlb_entries % cfg->tlb_ways)) ||
	    cfg->high_bytes % page || cfg->high_bytes >= cfg->mem_bytes)
		return -MM_EINVAL;
	uint64_t frames = cfg->mem_bytes / page;
	if (frames < UINT64_C(2) * cfg->nranges ||
	    cfg->phys_base + cfg->mem_bytes < cfg->phys_base ||
	    !arch_pa_is_valid(cfg->phys_base + cfg->mem_bytes - page))
		return -MM_EINVAL;

	struct sim *sim = calloc(1, sizeof(*sim));
	if (!sim)
		return -MM_ENOMEM;
	sim->cfg = *cfg;
	/* Anonymous memory: page aligned, zero-filled, committed on first touch. */
	sim->arena = mmap(NULL, cfg->mem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                  -1, 0);
	if (sim->arena == MAP_FAILED)
		sim->arena = NULL;
	if (cfg->tlb_entries) {
		sim->tlb = calloc(cfg->tlb_entries, sizeof(*sim->tlb));
		sim->tlb_sets = cfg->tlb_entries / cfg->tlb_ways;
		sim->tlb_next = calloc(sim->tlb_sets, 1);
	}
	/* Split RAM into nranges pieces; the last page of each but the last
	 * is a hole that no one owns. */
	struct mm_phys_range ranges[MM_FRAMES_MAX_RANGES];
	uint64_t per = frames / cfg->nranges;
	for (unsigned i = 0; i < cfg->nranges; i++) {
		uint64_t n = i + 1 == cfg->nranges ? frames - per * i : per - 1;
		ranges[i] = (struct mm_phys_range){ cfg->phys_base + per * i * page, n };
	}
	size_t meta_bytes = mm_frames_meta_bytes(ranges, cfg->nranges);
	sim->meta = malloc(meta_bytes);
	if (!sim->arena || !sim->meta || (cfg->tlb_entries && (!sim->tlb || !sim->tlb_next))) {
		sim_destroy(sim);
		return -MM_ENOMEM;
	}
	poison(sim->arena, cfg->mem_bytes); /* every frame starts free */

	last_clear(sim);
	sim_mmu_reset(&sim->mmu);
	int err = mm_sys_init(&sim->sys, &sim_ops, sim, ranges, cfg->nranges, sim->meta, meta_bytes,
	                      sim_high_base(cfg));
	if (err) {
		free(sim->meta);
		sim->meta = NULL;
		sim_destroy(sim);
		return err;
	}
	if (cfg->asids) {
		err = cfg->asids > sim_mmu_asids() ? -MM_EINVAL
		                                   : mm_sys_set_asids(&sim->sys, cfg->asids);
		if (err) {
			sim_destroy(sim);
			return err;
		}
	}
	/* An MMU with a root register for the kernel half (aarch64 TTBR1_EL1)
	 * gets the kernel space's root once, as a kernel's boot code does. */
	sim_mmu_set_kernel_root(&sim->mmu, mm_sys_kernel_space(&sim->sys)->root);
	/* The simulated CPU has every page size its format defines (x86: PSE
	 * and 1 GiB pages). */
	if (cfg->large_pages)
		(void)mm_sys_set_large_pages(&sim->sys, ARCH_LARGE_MAX_LEVEL);
	mm_sys_set_thp(&sim->sys, cfg->thp);
	if (cfg->direct_map) {
		/* Low memory only: the high zone is what it does not reach. */
		err = mm_kernel_map(&sim->sys, ARCH_DIRECT_MAP_BASE + cfg->phys_base,
		                    cfg->phys_base, frames - cfg->high_bytes / page,
		                    MM_PROT_READ | MM_PROT_WRITE |
		                            (cfg->large_pages ? MM_PROT_LARGE : 0u));
		if (err) {
			sim_destroy(sim);
			return err;
		}
	}
	mm_space_activate(mm_sys_kernel_space(&sim->sys));
	*out = sim;
	return 0;
}

void sim_destroy(struct sim *sim)
{
	if (!sim)
		return;
	if (sim->meta) {
		struct mm_sys *sys = &sim->sys;
		if (sys->nspaces) {
			mm_space_activate(mm_sys_kernel_space(sys));
			struct mm_space *s;
			while ((s = mm_space_next(mm_sys_kernel_space(sys))) != NULL)
				mm_space_destroy(s);
			mm_sys_fini(sys);
		}
	}
	if (sim->arena)
		unpoison(sim->arena, sim->cfg.mem_bytes);
	if (sim->arena)
		munmap(sim->arena, sim->cfg.mem_bytes);
	free(sim->meta);
	free(sim->tlb);
	free(sim->tlb_next);
	free(sim);
}

struct mm_sys *sim_sys(struct sim *sim)
{
	return &sim->sys;
}

const struct sim_stats *sim_stats(const struct sim *sim)
{
	return &sim->st;
}

mm_paddr_t sim_cr3(const struct sim *sim)
{
	return sim_mmu_root(&sim->mmu);
}

void sim_drop_invalidations(struct sim *sim, unsigned n)
{
	sim->drop_invlpg = n;
}

/* ---- accesses ------------------------------------------------------------ */

static int access_once(struct sim *sim, mm_vaddr_t va, unsigned flags, mm_paddr_t *pa,
                       struct sim_fault *fault);

/* The micro-TLB: the 4 KiB page of @va, at @pa, through @e. */
static void remember(struct sim *sim, const struct tlb_entry *e, mm_vaddr_t va, mm_paddr_t pa)
{
	sim->last_vpn = va >> ARCH_PAGE_SHIFT;
	sim->last_pa = pa & ~(uint64_t)(ARCH_PAGE_SIZE - 1);
	sim->last_ok = e->ok;
}

int sim_access(struct sim *sim, mm_vaddr_t va, unsigned flags, mm_paddr_t *pa,
               struct sim_fault *fault)
{
	const uint64_t vpn0 = va >> ARCH_PAGE_SHIFT;
	if (vpn0 == sim->last_vpn && (sim->last_ok >> (flags & 7) & 1)) {
		sim->st.accesses++;
		sim->st.tlb_hits++;
		*pa = sim->last_pa | (va & (ARCH_PAGE_SIZE - 1));
		return 0;
	}
	struct sim_fault f = { 0 };
	int err = access_once(sim, va, flags, pa, &f);
	/* A kernel's #PF handler: resolve, then retry the instruction. Two
	 * rounds at most (a fill, then a COW break of the same page). */
	for (int round = 0; err && (flags & SIM_DEMAND) && f.page_fault && round < 2; round++) {
		struct mm_space *s = sim->sys.active;
		unsigned acc = ((flags & SIM_WRITE) ? MM_ACCESS_WRITE : 0) |
		               ((flags & SIM_FETCH) ? MM_ACCESS_EXEC : 0);
		enum mm_fault_how how;
		f.verdict = s ? mm_fault(s, va, acc, &how) : MM_FAULT_SEGV;
		if (f.verdict != MM_FAULT_RESOLVED)
			break;
		sim->st.resolved[how]++;
		err = access_once(sim, va, flags, pa, &f);
	}
	if (err && fault)
		*fault = f;
	return err;
}

static int access_once(struct sim *sim, mm_vaddr_t va, unsigned flags, mm_paddr_t *pa,
                       struct sim_fault *fault)
{
	const unsigned acc = flags & (SIM_WRITE | SIM_USER | SIM_FETCH);
	sim->st.accesses++;

	struct tlb_entry *e = tlb_lookup(sim, va);
	if (e) {
		if (sim->cfg.check_stale) {
			char why[96];
			if (tlb_entry_is_stale(sim, e, why, sizeof(why)))
				report_stale(sim, e, why);
			bbm_check(sim, e);
		}
		if (e->negative) {
			/* A cached "not valid": the hardware faults without a walk;
			 * the handler finds the page mapped, invalidates, retries. */
			sim->st.tlb_hits++;
			sim->st.page_faults++;
			if (fault)
				*fault = (struct sim_fault){
					.page_fault = true,
					.va = va,
					.error_code = ((flags & SIM_WRITE) ? SIM_PF_WR : 0u) |
					              ((flags & SIM_USER) ? SIM_PF_US : 0u) |
					              ((flags & SIM_FETCH) ? SIM_PF_ID : 0u),
					.hw_code = e->hw_code,
				};
			return -MM_EFAULT;
		}
		if (e->ok >> (flags & 7) & 1) { /* allowed, and D already set for a write */
			sim->st.tlb_hits++;
			*pa = e->pa + (va - (e->vpn << ARCH_PAGE_SHIFT));
			if (!sim->cfg.check_stale)
				remember(sim, e, va, *pa);
			return 0;
		}
		/*
		 * A hit that denies the access faults on real hardware. On x86
		 * the fault invalidates the entry (SDM §4.10.4.1): drop it and
		 * walk; the handler finds the tables allow it and retries (a
		 * spurious fault). On aarch64 the entry itself faults and stays
		 * (sim_mmu_hit_faults()) until the handler invalidates it. A
		 * write through a clean entry makes the processor walk to set D.
		 */
		struct sim_walk rights = rights_of(e);
		uint32_t code;
		if (!sim_mmu_allows(&sim->mmu, &rights, acc)) {
			if (sim_mmu_hit_faults(acc, &code)) {
				sim->st.tlb_hits++;
				sim->st.page_faults++;
				if (fault)
					*fault = (struct sim_fault){
						.page_fault = true,
						.va = va,
						.error_code =
						        SIM_PF_P |
						        ((flags & SIM_WRITE) ? SIM_PF_WR : 0u) |
						        ((flags & SIM_USER) ? SIM_PF_US : 0u) |
						        ((flags & SIM_FETCH) ? SIM_PF_ID : 0u),
						.hw_code = code,
					};
				return -MM_EFAULT;
			}
			sim->st.spurious++;
		}
		e->valid = false;
	}
	sim->st.tlb_misses++;
	sim->st.walks++;
	struct sim_walk r;
	if (!sim_mmu_translate(&sim->mmu, mmu_phys, sim, va, acc, true, &r)) {
		sim->st.page_faults += r.page_fault;
		if (r.page_fault && !(r.fault & SIM_PF_P) && sim_mmu_caches_invalid())
			tlb_fill_negative(sim, va, r.hw_code);
		if (fault)
			*fault = (struct sim_fault){ .page_fault = r.page_fault,
				                     .va = va,
				                     .error_code = r.fault,
				                     .hw_code = r.hw_code };
		return -MM_EFAULT;
	}
	tlb_fill(sim, va, &r);
	*pa = r.pa;
	return 0;
}

int sim_peek(struct sim *sim, mm_paddr_t root, mm_vaddr_t va, unsigned flags, mm_paddr_t *pa,
             uint32_t *error_code)
{
	struct sim_mmu m = sim->mmu;
	struct sim_walk r;
	if (!sim_mmu_set_root(&m, mmu_phys, sim, root, sim_mmu_asid(&sim->mmu))) {
		if (error_code)
			*error_code = 0;
		return -MM_EFAULT;
	}
	if (!sim_mmu_translate(&m, mmu_phys, sim, va, flags & (SIM_WRITE | SIM_USER | SIM_FETCH),
	                       false, &r)) {
		if (error_code)
			*error_code = r.fault;
		return -MM_EFAULT;
	}
	*pa = r.pa;
	return 0;
}

static int copy(struct sim *sim, mm_vaddr_t va, void *buf, size_t len, unsigned flags,
                struct sim_fault *fault, bool to_memory)
{
	uint8_t *b = buf;
	while (len) {
		size_t chunk = ARCH_PAGE_SIZE - (va & (ARCH_PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		mm_paddr_t pa;
		int err = sim_access(sim, va, flags | (to_memory ? SIM_WRITE : 0), &pa, fault);
		if (err)
			return err;
		uint8_t *p = sim_phys(sim, pa, chunk);
		if (!p) { /* mapped, but no RAM there (device memory): a bus error */
			if (fault)
				*fault = (struct sim_fault){ .page_fault = false, .va = va };
			return -MM_EFAULT;
		}
		if (to_memory)
			memcpy(p, b, chunk);
		else
			memcpy(b, p, chunk);
		va += chunk, b += chunk, len -= chunk;
	}
	return 0;
}

int sim_read(struct sim *sim, mm_vaddr_t va, void *buf, size_t len, unsigned flags,
             struct sim_fault *fault)
{
	return copy(sim, va, buf, len, flags & ~(unsigned)SIM_WRITE, fault, false);
}

int sim_write(struct sim *sim, mm_vaddr_t va, const void *buf, size_t len, unsigned flags,
              struct sim_fault *fault)
{
	return copy(sim, va, (void *)buf, len, flags, fault, true);
}

/* ---- invariant checker --------------------------------------------------- */

struct check_ctx {
	struct sim *sim;
	const struct mm_space *space;
	uint32_t *mapcount; /* user-half leaf PTEs per managed frame */
	uint64_t leaves, tables, large;
	char *msg;
	size_t msg_len;
};

#if MM_TABLES_RECURSIVE
#define SIM_KERNEL_END_SLOT ARCH_RECURSIVE_FIRST_SLOT /* the window slots above */

/* The window entries of @s's root (recursive mapping), from raw memory:
 * its self entry points at itself; its alternate entries are empty unless
 * it is loaded, and then hold what mm-core says it installed (rec_alt).
 * Returns what is wrong, or NULL. */
static const char *check_windows(struct sim *sim, const struct mm_space *s)
{
	const arch_pte_t *t = sim_phys(sim, s->root, ARCH_PAGE_SIZE);
	if (t[ARCH_RECURSIVE_SLOT] != arch_recursive_pte(s->root))
		return "a root's self entry does not point at the root";
	const bool loaded = sim->sys.active == s;
	for (unsigned i = 0; i < ARCH_RECURSIVE_ALT_SLOTS; i++) {
		const arch_pte_t e = t[ARCH_RECURSIVE_ALT_FIRST + i];
		const mm_paddr_t want = loaded ? sim->sys.rec_alt[i] : 0;
		if (e != (want ? arch_recursive_pte(want) : 0))
			return loaded ? "an alternate entry differs from the root mm-core installed"
			              : "a root not loaded has an alternate entry";
	}
	for (unsigned i = ARCH_RECURSIVE_FIRST_SLOT; i < ARCH_ROOT_ENTRIES; i++)
		if (i != ARCH_RECURSIVE_SLOT &&
		    (i < ARCH_RECURSIVE_ALT_FIRST ||
		     i >= ARCH_RECURSIVE_ALT_FIRST + ARCH_RECURSIVE_ALT_SLOTS) &&
		    t[i] != 0)
			return "a window slot holds an entry of no window";
	return NULL;
}
#else
#define SIM_KERNEL_END_SLOT ARCH_ROOT_ENTRIES

static const char *check_windows(struct sim *sim, const struct mm_space *s)
{
	(void)sim;
	(void)s;
	return NULL;
}
#endif

static int fail(struct check_ctx *c, const char *what, mm_vaddr_t va, mm_paddr_t pa)
{
	snprintf(c->msg, c->msg_len,
	         "%s (space root 0x%" PRIx64 ", va 0x%" PRIx64 ", pa 0x%" PRIx64 ")", what,
	         c->space ? c->space->root : 0, va, pa);
	return -1;
}

/* Present entries among the first @end of the table at @pa, counted from
 * raw memory. */
static unsigned count_present(struct sim *sim, mm_paddr_t pa, unsigned end)
{
	const arch_pte_t *t = sim_phys(sim, pa, ARCH_PAGE_SIZE);
	unsigned n = 0;
	if (!t) /* outside memory: no entries to count */
		return 0;
	for (unsigned i = 0; i < end; i++)
		n += arch_pte_is_present(t[i]) ||
		     arch_pte_is_protnone(t[i]); /* PROT_NONE leaves hold frames */
	return n;
}

static int check_entry(void *ctx, const struct mm_walk_entry *e)
{
	struct check_ctx *c = ctx;
	struct mm_frames *fa = &c->sim->sys.frames;
	const struct mm_frame *f = mm_frame_get(fa, e->pa);
	if (e->kernel)
		return 0; /* the kernel half is checked bit for bit separately */
	if (!e->leaf) {
		if (!f || f->kind != MM_FRAME_PT)
			return fail(c, "a table entry points at a frame that is not a page table",
			            e->va, e->pa);
		if (f->pt_used != count_present(c->sim, e->pa, ARCH_ENTRIES))
			return fail(c, "a table's pt_used differs from its present entries", e->va,
			            e->pa);
		if (f->pt_used == 0)
			return fail(c, "an empty user page table was not freed", e->va, e->pa);
		c->tables++;
		return 0;
	}
	/* A large leaf maps 1 << arch_level_shift(level) bytes from an address
	 * aligned to that size, and holds one reference per 4 KiB frame. */
	const uint64_t size = UINT64_C(1) << arch_level_shift(e->level);
	if (e->level > 0) {
		if (e->level > ARCH_LARGE_MAX_LEVEL)
			return fail(c, "a large page above the format's largest", e->va, e->pa);
		if ((e->va | e->pa) & (size - 1))
			return fail(c, "a large page is not aligned to its size", e->va, e->pa);
		c->large++;
	}
	for (uint64_t off = 0; off < size; off += ARCH_PAGE_SIZE) {
		c->leaves++;
		f = mm_frame_get(fa, e->pa + off);
		if (!f)
			continue; /* unmanaged (device) memory */
		if (f->kind == MM_FRAME_FREE)
			return fail(c, "a user PTE maps a free frame", e->va + off, e->pa + off);
		if (f->kind == MM_FRAME_PT)
			return fail(c, "a user PTE maps a page table", e->va + off, e->pa + off);
		c->mapcount[mm_frames_index(fa, e->pa + off)]++;
	}
	return 0;
}

/*
 * The protection rules of a user leaf (mm-core's internal.h, "the one
 * rule"), checked from the outside: COW pages are read-only and never
 * shared; a private frame mapped more than once is never writable; and in a
 * space with regions, every page lies in a region that allows at least
 * what the page grants and has the page's sharing.
 */
static int check_leaf_rules(void *ctx, const struct mm_walk_entry *e)
{
	struct check_ctx *c = ctx;
	if (!e->leaf)
		return 0;
	if (e->cow && (e->prot & MM_PROT_WRITE))
		return fail(c, "a COW page is writable", e->va, e->pa);
	if (e->cow && e->shared)
		return fail(c, "a shared page is marked COW", e->va, e->pa);
	const uint64_t size = UINT64_C(1) << arch_level_shift(e->level);
	for (uint64_t off = 0; off < size && !e->shared && (e->prot & MM_PROT_WRITE);
	     off += ARCH_PAGE_SIZE) {
		const struct mm_frame *f = mm_frame_get(&c->sim->sys.frames, e->pa + off);
		if (f && f->ref_or_next > 1)
			return fail(c, "a private frame mapped more than once is writable",
			            e->va + off, e->pa + off);
	}
	if (mm_region_count(c->space) == 0)
		return 0; /* the page-table layer alone: no regions to hold pages to */
	const struct mm_region *r = mm_region_find(c->space, e->va);
	if (!r)
		return fail(c, "a present user page lies in no region", e->va, e->pa);
	unsigned logical = e->prot | (e->cow ? MM_PROT_WRITE : 0u);
	if (logical & ~arch_prot_effective(r->prot))
		return fail(c, "a page grants more than its region allows", e->va, e->pa);
	if (e->shared != (r->backing == MM_BACKING_SHARED))
		return fail(c, "a page's shared mark differs from its region's backing", e->va,
		            e->pa);
	return 0;
}

/* Count the kernel half's large leaves. */
static int count_kernel_large(void *ctx, const struct mm_walk_entry *e)
{
	if (e->kernel && e->leaf && e->level > 0)
		++*(uint64_t *)ctx;
	return 0;
}

static int check_all(struct sim *sim, char *msg, size_t msg_len);

/* Every TLB entry of the loaded space agrees with the tables. */
static int check_tlb(struct sim *sim, struct check_ctx *c)
{
	int rc = 0;
	for (unsigned i = 0; !rc && sim->tlb && i < sim->cfg.tlb_entries; i++) {
		char why[96];
		const struct tlb_entry *e = &sim->tlb[i];
		if (e->valid && (e->global || e->asid == sim_mmu_asid(&sim->mmu)) &&
		    tlb_entry_is_stale(sim, e, why, sizeof(why))) {
			c->space = sim->sys.active ? sim->sys.active : &sim->sys.kernel;
			rc = fail(c, "stale TLB entry", sim->tlb[i].vpn << ARCH_PAGE_SHIFT,
			          sim->tlb[i].pa);
		}
	}
	return rc;
}

/*
 * With the recursive mapping, the checker's read-only walks go through
 * mm-core's windows, which may install a root in an alternate entry and
 * flush: the checker must not change what it checks (the TLB). While it
 * runs, table windows are walked without the TLB and the TLB hooks leave
 * the TLB alone (mm-core changes no mapping in a walk); at the end every
 * window entry leaves the TLB, since an alternate entry may have changed.
 */
int sim_check(struct sim *sim, char *msg, size_t msg_len)
{
	if (!MM_TABLES_RECURSIVE)
		return check_all(sim, msg, msg_len);
	/* The TLB first, before any alternate entry changes. */
	struct check_ctx c = { .sim = sim, .msg = msg, .msg_len = msg_len };
	if (check_tlb(sim, &c))
		return -1;
	sim->checking = true;
	int rc = check_all(sim, msg, msg_len);
	sim->checking = false;
#if MM_TABLES_RECURSIVE
	const uint64_t window_vpn = (uint64_t)ARCH_RECURSIVE_FIRST_SLOT
	                            << (arch_level_shift(ARCH_LEVELS - 1) - ARCH_PAGE_SHIFT);
	for (unsigned i = 0; sim->tlb && i < sim->cfg.tlb_entries; i++)
		if (sim->tlb[i].vpn >= window_vpn)
			sim->tlb[i].valid = false;
	last_clear(sim);
#endif
	return rc;
}

static int check_all(struct sim *sim, char *msg, size_t msg_len)
{
	struct mm_sys *sys = &sim->sys;
	struct mm_frames *fa = &sys->frames;
	struct check_ctx c = { .sim = sim, .msg = msg, .msg_len = msg_len };
	c.mapcount = calloc(mm_frames_total(fa), sizeof(uint32_t));
	if (!c.mapcount) {
		snprintf(msg, msg_len, "out of host memory");
		return -1;
	}
	int rc = 0;
	const size_t half = sizeof(arch_pte_t) * ARCH_KERNEL_FIRST_SLOT;
	const size_t half_end = sizeof(arch_pte_t) * SIM_KERNEL_END_SLOT;
	const uint8_t *ktmpl = sim_phys(sim, sys->kernel.root, ARCH_PAGE_SIZE);
	uint64_t user_tables = 0, spaces = 0, region_frames = 0;
	for (struct mm_space *s = mm_space_first(sys); s && !rc; s = mm_space_next(s)) {
		spaces++;
		c.space = s;
		const uint8_t *root = sim_phys(sim, s->root, ARCH_PAGE_SIZE);
		const struct mm_frame *rf = mm_frame_get(fa, s->root);
		if (!root || !rf || rf->kind != MM_FRAME_PT) {
			rc = fail(&c, "a root is not a page-table frame", 0, s->root);
			break;
		}
		if (ARCH_KERNEL_ROOT_SEPARATE && !s->is_kernel) {
			/* The MMU reaches the kernel half through its own root
			 * register: a user root must carry none of it. */
			static const uint8_t zero[ARCH_PAGE_SIZE];
			if (memcmp(root + half, zero, ARCH_PAGE_SIZE - half) != 0) {
				rc = fail(&c, "a user root has entries in the kernel half", 0,
				          s->root);
				break;
			}
		} else if (memcmp(root + half, ktmpl + half, half_end - half) != 0) {
			rc = fail(&c, "the kernel half differs from the kernel template", 0,
			          s->root);
			break;
		}
		const char *bad_window = check_windows(sim, s);
		if (bad_window) {
			rc = fail(&c, bad_window, 0, s->root);
			break;
		}
		if (rf->pt_used != count_present(sim, s->root, SIM_KERNEL_END_SLOT)) {
			rc = fail(&c, "a root's pt_used differs from its present entries", 0,
			          s->root);
			break;
		}
		c.leaves = c.tables = c.large = 0;
		rc = mm_space_walk(s, false, check_entry, &c);
		if (rc)
			break;
		if (c.leaves != s->user_pages || c.tables + 1 != s->table_pages ||
		    (!s->is_kernel && c.large != s->large_leaves)) {
			char what[160];
			snprintf(what, sizeof(what),
			         "counters differ from the tables: user_pages %" PRIu64
			         " vs %" PRIu64 " 4 KiB pages, table_pages %" PRIu64 " vs %" PRIu64
			         " tables, large_leaves %" PRIu64 " vs %" PRIu64,
			         s->user_pages, c.leaves, s->table_pages, c.tables + 1,
			         s->large_leaves, c.large);
			rc = fail(&c, what, 0, s->root);
		}
		user_tables += c.tables + 1;
		region_frames += s->region_pages;
	}
	if (!rc && spaces != sys->nspaces)
		rc = fail(&c, "the space list and nspaces disagree", 0, 0);
	if (!rc) {
		uint64_t klarge = 0;
		mm_space_walk(&sys->kernel, true, count_kernel_large, &klarge);
		c.space = &sys->kernel;
		if (klarge != sys->kernel.large_leaves)
			rc = fail(&c, "the kernel half's large_leaves differs from its large pages",
			          0, 0);
	}
	if (!rc && user_tables + sys->kernel_tables != mm_frames_in_use(fa, MM_FRAME_PT)) {
		c.space = &sys->kernel;
		rc = fail(&c, "page-table frames in use differ from the tables present", 0, 0);
	}
	if (!rc && region_frames != mm_frames_in_use(fa, MM_FRAME_REGION)) {
		c.space = &sys->kernel;
		rc = fail(&c, "region-node frames in use differ from the spaces' counts", 0, 0);
	}
	for (uint32_t i = 0; !rc && i < mm_frames_total(fa); i++) {
		const struct mm_frame *f = &fa->meta[i];
		c.space = &sys->kernel;
		if (f->kind == MM_FRAME_REGION && c.mapcount[i])
			rc = fail(&c, "a frame of region nodes is mapped", 0,
			          mm_frames_paddr(fa, i));
		else if (f->kind == MM_FRAME_USER && f->ref_or_next != c.mapcount[i])
			rc = fail(&c,
			          "a user frame's reference count differs from the PTEs mapping it",
			          0, mm_frames_paddr(fa, i));
		else if (f->kind == MM_FRAME_KERNEL && f->ref_or_next <= c.mapcount[i])
			rc = fail(&c, "a kernel frame mapped to users lost the kernel's reference",
			          0, mm_frames_paddr(fa, i));
		else if (f->kind != MM_FRAME_FREE && f->kind != MM_FRAME_USER &&
		         i >= fa->high_first)
			rc = fail(&c, "a page table, region or kernel frame in high memory", 0,
			          mm_frames_paddr(fa, i));
	}
	if (!rc && sim_mmu_root_stale(&sim->mmu, mmu_phys, sim)) {
		/* x86 PAE: a root entry (PDPTE) changed in memory and CR3 was
		 * not written again: the MMU still walks from the old ones. */
		c.space = sys->active ? sys->active : &sys->kernel;
		rc = fail(&c, "the MMU's copy of the root entries (PDPTE registers) is stale", 0,
		          sim_mmu_root(&sim->mmu));
	}
	if (!rc && !sim->checking) /* recursive mapping: checked before, by sim_check() */
		rc = check_tlb(sim, &c);
	for (struct mm_space *s = mm_space_first(sys); s && !rc; s = mm_space_next(s)) {
		c.space = s;
		const struct mm_region *prev = NULL;
		uint64_t n = 0;
		for (const struct mm_region *r = mm_region_first(s); r && !rc;
		     prev = r, r = mm_region_next(s, r), n++) {
			if ((r->start | r->end) & (ARCH_PAGE_SIZE - 1) || r->start >= r->end ||
			    r->end > ARCH_USER_END || (prev && r->start < prev->end))
				rc = fail(&c, "regions unsorted, unaligned or overlapping",
				          r->start, 0);
			else if (mm_region_find(s, r->start) != r ||
			         mm_region_find(s, r->end - 1) != r)
				rc = fail(&c, "a region is not found by its own addresses",
				          r->start, 0);
		}
		if (!rc && n != mm_region_count(s))
			rc = fail(&c, "the region count is not the number of regions", n, 0);
		if (!rc)
			rc = mm_space_walk(s, false, check_leaf_rules, &c);
	}
	free(c.mapcount);
	return rc;
}
