/*
 * tour: a guided run of mm-core in the simulator, printing what happens.
 *
 * It replays the five seed kernels' core story on one ISA: two processes
 * with their own address spaces write the same virtual address; the kernel
 * half is shared and supervisor-only; a process cannot see another's pages;
 * fork copies a space; a missing invalidation is caught; exit gives every
 * frame back. Every claim it prints is checked, and it exits non-zero if
 * one does not hold.
 *
 * usage: tour-<isa> [--quiet]
 */
#include <sim/sim.h>

#include <arch/layout.h>
#include <arch/pte.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static bool quiet;

#define say(...)                                                                                   \
	do {                                                                                       \
		if (!quiet)                                                                        \
			printf(__VA_ARGS__);                                                       \
	} while (0)

static void expect(bool ok, const char *what)
{
	say("  [%s] %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		failures++;
}

static const char *prot_str(unsigned prot, char buf[8])
{
	snprintf(buf, 8, "%c%c%c%c", (prot & MM_PROT_READ) ? 'r' : '-',
	         (prot & MM_PROT_WRITE) ? 'w' : '-', (prot & MM_PROT_EXEC) ? 'x' : '-',
	         (prot & MM_PROT_USER) ? 'u' : 's');
	return buf;
}

static int show_entry(void *ctx, const struct mm_walk_entry *e)
{
	static const char *names[] = ARCH_LEVEL_NAMES;
	(void)ctx;
	char p[8];
	say("    %*s%-4s[%4u] va 0x%0*" PRIx64 " -> %s 0x%" PRIx64 "%s%s\n",
	    (int)(2 * (ARCH_LEVELS - 1 - e->level)), "", names[e->level], e->index,
	    ARCH_VA_BITS > 32 ? 16 : 8, e->va, e->leaf ? "frame" : "table", e->pa,
	    e->leaf ? " " : "", e->leaf ? prot_str(e->prot, p) : "");
	return 0;
}

static void show_frames(struct mm_sys *sys, const char *when)
{
	const struct mm_frames *fa = &sys->frames;
	say("  frames %-28s free %5u  page tables %4u  user %4u  kernel %u\n", when,
	    mm_frames_free_count(fa), mm_frames_in_use(fa, MM_FRAME_PT),
	    mm_frames_in_use(fa, MM_FRAME_USER), mm_frames_in_use(fa, MM_FRAME_KERNEL));
}

int main(int argc, char **argv)
{
	quiet = argc > 1 && strcmp(argv[1], "--quiet") == 0;
	const unsigned RW = MM_PROT_READ | MM_PROT_WRITE | MM_PROT_USER;
	const mm_vaddr_t va = 0x08048000; /* where i386 ELF programs start */

	struct sim_config cfg = sim_config_default();
	struct sim *sim;
	int err = sim_create(&cfg, &sim);
	if (err) {
		fprintf(stderr, "tour: sim_create: %s\n", mm_strerror(err));
		return 1;
	}
	struct mm_sys *sys = sim_sys(sim);
	struct mm_space *kernel = mm_sys_kernel_space(sys);

	say("== mmkit tour on %s: %u-level tables of %u entries, user half below 0x%" PRIx64 "\n",
	    ARCH_NAME, ARCH_LEVELS, ARCH_ENTRIES, ARCH_USER_END);
	say("  simulated RAM: %" PRIu64 " MiB at 0x%" PRIx64 ", direct-mapped at 0x%" PRIx64
	    "; TLB %u entries\n",
	    cfg.mem_bytes >> 20, cfg.phys_base, ARCH_DIRECT_MAP_BASE + cfg.phys_base,
	    cfg.tlb_entries);
	show_frames(sys, "at boot:");
	const uint32_t free_at_start = mm_frames_free_count(&sys->frames);

	say("\n-- 1. two processes, one virtual address\n");
	struct mm_space a, b;
	mm_space_create(sys, &a);
	mm_space_create(sys, &b);
	mm_map(&a, va, 1, RW);
	mm_map(&b, va, 1, RW);
	uint64_t va_a = 0xAAAA, va_b = 0xBBBB, got_a = 0, got_b = 0;
	mm_space_activate(&a);
	sim_write(sim, va, &va_a, 8, SIM_USER, NULL);
	mm_space_activate(&b);
	sim_write(sim, va, &va_b, 8, SIM_USER, NULL);
	mm_space_activate(&a);
	sim_read(sim, va, &got_a, 8, SIM_USER, NULL);
	mm_space_activate(&b);
	sim_read(sim, va, &got_b, 8, SIM_USER, NULL);
	struct mm_mapping ma, mb;
	mm_query(&a, va, &ma);
	mm_query(&b, va, &mb);
	say("  A writes 0x%" PRIx64 " and B writes 0x%" PRIx64 " at 0x%" PRIx64 "\n", va_a, va_b,
	    va);
	say("  A reads 0x%" PRIx64 " (frame 0x%" PRIx64 "), B reads 0x%" PRIx64 " (frame 0x%" PRIx64
	    ")\n",
	    got_a, ma.pa, got_b, mb.pa);
	expect(got_a == va_a && got_b == va_b && ma.pa != mb.pa,
	       "each process reads back its own value, from its own frame");
	say("  A's page tables (user half):\n");
	mm_space_walk(&a, false, show_entry, NULL);

	say("\n-- 2. the kernel half: shared, supervisor-only\n");
	mm_paddr_t kf;
	mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &kf);
	mm_vaddr_t kva = ARCH_DIRECT_MAP_BASE + kf;
	uint64_t kv = 0x5EED, kgot = 0;
	sim_write(sim, kva, &kv, 8, 0, NULL); /* as the kernel, in B */
	mm_space_activate(&a);
	sim_read(sim, kva, &kgot, 8, 0, NULL);
	struct sim_fault f;
	int urc = sim_read(sim, kva, &kgot, 0 + 8, SIM_USER, &f);
	say("  the kernel writes 0x%" PRIx64 " at 0x%" PRIx64 " in B and reads it in A\n", kv, kva);
	expect(kgot == kv, "the kernel half is the same memory in every space");
	say("  user code reading it: page fault, error code %#x (P=%u W=%u U=%u)\n", f.error_code,
	    f.error_code & 1, (f.error_code >> 1) & 1, (f.error_code >> 2) & 1);
	expect(urc != 0 && f.error_code == (SIM_PF_P | SIM_PF_US),
	       "user mode cannot touch the kernel half");
	mm_sys_frame_put(sys, kf);

	say("\n-- 3. isolation: what only B maps does not exist in A\n");
	mm_map(&b, va + 0x10000, 1, RW);
	mm_space_activate(&a);
	urc = sim_read(sim, va + 0x10000, &kgot, 8, SIM_USER, &f);
	say("  A reads 0x%" PRIx64 ": page fault, error code %#x (not present)\n", va + 0x10000,
	    f.error_code);
	expect(urc != 0 && f.error_code == SIM_PF_US, "A faults on B's page");

	say("\n-- 4. fork: an eager clone of A\n");
	struct mm_space c;
	mm_space_clone(&a, &c, MM_CLONE_EAGER);
	mm_space_activate(&c);
	uint64_t child_sees = 0, child_writes = 0xC0C0;
	sim_read(sim, va, &child_sees, 8, SIM_USER, NULL);
	sim_write(sim, va, &child_writes, 8, SIM_USER, NULL);
	mm_space_activate(&a);
	sim_read(sim, va, &got_a, 8, SIM_USER, NULL);
	say("  the child reads 0x%" PRIx64 ", writes 0x%" PRIx64
	    "; the parent still reads 0x%" PRIx64 "\n",
	    child_sees, child_writes, got_a);
	expect(child_sees == va_a && got_a == va_a, "the child starts with the parent's data, "
	                                            "then each has its own");
	show_frames(sys, "with 3 processes:");

	say("\n-- 5. a missing invalidation is caught\n");
	mm_space_activate(&a);
	sim_write(sim, va, &va_a, 8, SIM_USER, NULL); /* a writable TLB entry */
	sim_drop_invalidations(sim, 1);               /* as if mm-core forgot invlpg */
	mm_protect(&a, va, 1, MM_PROT_READ | MM_PROT_USER);
	uint64_t stale_before = sim_stats(sim)->stale;
	sim_read(sim, va, &got_a, 8, SIM_USER, NULL);
	say("  A's page made read-only with its invlpg dropped; the next access hits the TLB\n");
	expect(sim_stats(sim)->stale == stale_before + 1 && sim_stats(sim)->last_stale_va == va,
	       "the TLB checker reports the stale entry, naming its address");
	sim_tlb_flush(sim);

	say("\n-- 6. exit: destroy every process\n");
	int busy = mm_space_destroy(&a);
	say("  destroying the running space: %s\n", mm_strerror(busy));
	expect(busy == -MM_EBUSY, "a space cannot free the tables it runs on");
	mm_space_activate(kernel);
	mm_space_destroy(&a);
	mm_space_destroy(&b);
	mm_space_destroy(&c);
	show_frames(sys, "after exit:");
	expect(mm_frames_free_count(&sys->frames) == free_at_start,
	       "every frame is back where it was at boot");
	char msg[256];
	expect(sim_check(sim, msg, sizeof(msg)) == 0, "every invariant holds");

	const struct sim_stats *st = sim_stats(sim);
	say("\n  MMU: %" PRIu64 " accesses, %" PRIu64 " TLB hits, %" PRIu64 " misses, %" PRIu64
	    " walks, %" PRIu64 " page faults, %" PRIu64 " CR3 writes, %" PRIu64 " invlpg\n",
	    st->accesses, st->tlb_hits, st->tlb_misses, st->walks, st->page_faults, st->cr3_writes,
	    st->invlpg);
	say("== %s: %s\n", ARCH_NAME, failures ? "SOMETHING DID NOT HOLD" : "all claims hold");
	sim_destroy(sim);
	return failures ? 1 : 0;
}
