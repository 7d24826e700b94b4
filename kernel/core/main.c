/*
 * kmain: the kernels' C entry, shared by every ISA. Sets up memory
 * through mm-core, then runs the in-kernel tests, printed as TAP on the
 * serial line, and leaves QEMU with the verdict.
 */
#include <kernel/kernel.h>
#include <kernel/proc.h>

#include <arch/layout.h>
#include <arch/pte.h>

#define UVA UINT64_C(0x08048000)
#define URW (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_USER)

static struct mm_space spaces[64];

void kmain(uintptr_t a0, uintptr_t a1);

/* "rwx" for a protection (a static buffer per call site is not needed:
 * four rotating ones). */
static const char *prot_str(unsigned prot)
{
	static char bufs[4][4];
	static unsigned at;
	char *b = bufs[at++ % 4];
	b[0] = (prot & MM_PROT_READ) ? 'r' : '-';
	b[1] = (prot & MM_PROT_WRITE) ? 'w' : '-';
	b[2] = (prot & MM_PROT_EXEC) ? 'x' : '-';
	b[3] = 0;
	return b;
}

/* The first large leaf of the kernel half over RAM mm-core manages (not
 * firmware's: OpenSBI guards its own with PMP), for test_memory(). */
struct large_seen {
	bool found;
	unsigned level;
	mm_vaddr_t va;
	mm_paddr_t pa;
};

static int first_large(void *ctx, const struct mm_walk_entry *e)
{
	struct large_seen *ls = ctx;
	if (!e->leaf || e->level == 0 || !e->kernel || ls->found ||
	    !mm_frame_get(&kmm()->frames, e->pa + 12345))
		return 0;
	*ls = (struct large_seen){ true, e->level, e->va, e->pa };
	return 1; /* stop the walk */
}

static void test_memory(const struct mem_info *mi)
{
	struct mm_sys *sys = kmm();
	tap_ok(mi->managed > 0 && mi->managed * ARCH_PAGE_SIZE <= mi->ram_bytes,
	       "memory: %llu MiB of RAM in the %s, %llu frames managed in %u ranges",
	       (unsigned long long)(mi->ram_bytes >> 20), mi->source,
	       (unsigned long long)mi->managed, mi->nranges);
	tap_ok(sizeof(struct mm_frame) == 8 && mi->meta_bytes >= 8 * mi->managed &&
	               mi->meta_bytes < 8 * mi->managed + mi->meta_bytes / 256 + 8,
	       "frame metadata: %llu KiB, 8 bytes per frame",
	       (unsigned long long)(mi->meta_bytes >> 10));
	tap_ok(arch_mmu_root() == sys->kernel.root,
	       "%s holds mm-core's kernel root (0x%llx); direct map of %llu pages built by "
	       "mm-core",
	       ARCH_ROOT_REG, (unsigned long long)sys->kernel.root,
	       (unsigned long long)mi->direct_pages);
	/* The direct map in large pages where RAM holds one aligned (every
	 * boot has a few MiB of aligned RAM); a byte read through the first
	 * one is the byte of its physical address. */
	struct large_seen ls = { 0 };
	mm_space_walk(&sys->kernel, true, first_large, &ls);
	struct mm_mapping m = { 0 };
	bool ok = mi->large_level == 0 ||
	          (ls.found && mi->large_pages > 0 &&
	           mm_query(&sys->kernel, ls.va + 12345, &m) == 0 && m.pa == ls.pa + 12345 &&
	           m.size == (UINT64_C(1) << arch_level_shift(ls.level)) &&
	           *(volatile uint8_t *)(uintptr_t)(ls.va + 12345) ==
	                   *(volatile uint8_t *)phys_to_virt(ls.pa + 12345));
	tap_ok(ok,
	       "large pages up to level %u: %llu in the kernel half (the first of %llu KiB), which "
	       "takes %llu page tables",
	       mi->large_level, (unsigned long long)mi->large_pages,
	       (unsigned long long)(m.size >> 10), (unsigned long long)sys->kernel_tables);
}

/* The kernel's own mappings: text read-only (and executable), rodata
 * read-only, data writable, neither executable where the ISA can say so;
 * the direct-map alias of text read-only too. */
static const char layout_rodata[] = "read-only";
static volatile int layout_data = 1;

static void test_kernel_layout(void)
{
	struct mm_space *k = mm_sys_kernel_space(kmm());
	const bool nx = !(arch_prot_effective(MM_PROT_READ) & MM_PROT_EXEC);
	/* Zeroed: the message reads them even when a query fails. */
	struct mm_mapping t = { 0 }, r = { 0 }, d = { 0 }, alias = { 0 };
	mm_paddr_t text_pa = (uintptr_t)&kmain - ARCH_KERNEL_IMAGE_BASE;
	bool ok = mm_query(k, (uintptr_t)&kmain, &t) == 0 &&
	          mm_query(k, (uintptr_t)layout_rodata, &r) == 0 &&
	          mm_query(k, (uintptr_t)&layout_data, &d) == 0 &&
	          mm_query(k, (uintptr_t)phys_to_virt(text_pa), &alias) == 0;
	const unsigned g = kmm_global_pages() ? MM_PROT_GLOBAL : 0;
	tap_ok(ok && !(t.prot & MM_PROT_WRITE) && (t.prot & MM_PROT_EXEC) &&
	               !(r.prot & MM_PROT_WRITE) && (!nx || !(r.prot & MM_PROT_EXEC)) &&
	               (d.prot & MM_PROT_WRITE) && (!nx || !(d.prot & MM_PROT_EXEC)) &&
	               !(alias.prot & MM_PROT_WRITE) && t.pa == alias.pa &&
	               (t.prot & r.prot & d.prot & alias.prot & MM_PROT_GLOBAL) == g,
	       "kernel mappings: text %s, rodata %s, data %s, text's direct-map alias %s, %s",
	       prot_str(t.prot), prot_str(r.prot), prot_str(d.prot), prot_str(alias.prot),
	       g ? "all global" : "not global (the CPU has no global pages)");
}

/* Seed test 1, on the real MMU: same VA, two spaces, two frames. */
static void test_same_va(void)
{
	struct mm_sys *sys = kmm();
	struct mm_space *a = &spaces[0], *b = &spaces[1];
	int err = mm_space_create(sys, a);
	err = err ? err : mm_space_create(sys, b);
	err = err ? err : mm_map(a, UVA, 1, URW);
	err = err ? err : mm_map(b, UVA, 1, URW);
	if (err) {
		tap_ok(false, "two spaces: %s", mm_strerror(err));
		return;
	}
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)UVA;
	arch_user_access_begin(); /* the kernel writes user pages (SMAP, SUM) */
	mm_space_activate(a);
	*p = 0xAAAA;
	mm_space_activate(b);
	*p = 0xBBBB;
	mm_space_activate(a);
	uint32_t ra = *p;
	mm_space_activate(b);
	uint32_t rb = *p;
	arch_user_access_end();
	mm_space_activate(mm_sys_kernel_space(sys));
	struct mm_mapping ma, mb;
	mm_query(a, UVA, &ma);
	mm_query(b, UVA, &mb);
	/* cppcheck cannot see that mm_space_activate() changes what *p reads
	 * (another CR3): that is the point of the test. */
	/* cppcheck-suppress incorrectLogicOperator */
	tap_ok(ra == 0xAAAA && rb == 0xBBBB && ma.pa != mb.pa,
	       "same VA in two spaces through %s: reads 0x%x and 0x%x from frames 0x%llx and "
	       "0x%llx",
	       ARCH_ROOT_REG, ra, rb, (unsigned long long)ma.pa, (unsigned long long)mb.pa);
	/* x86 sets D on the write; formats without a hardware dirty bit in
	 * use (RISC-V with D set at creation, aarch64 without DBM) report
	 * every leaf dirty, so there the test only checks that mm-core says so. */
	tap_ok(ma.dirty && mb.dirty, "both written pages' entries read as dirty");
	mm_space_destroy(a);
	mm_space_destroy(b);
}

/* The kernel half is identical in every live space, after a late mapping. */
/*
 * Is the kernel half of the user root at @root as it must be: the kernel
 * space's root entries, bit for bit, where every root shares them; none at
 * all where the MMU reaches the kernel half through a root register of its
 * own (ARCH_KERNEL_ROOT_SEPARATE: aarch64 TTBR1_EL1)?
 */
static bool kernel_half_ok(mm_paddr_t root)
{
	const size_t off = ARCH_KERNEL_FIRST_SLOT * sizeof(arch_pte_t);
	const uint8_t *r = (const uint8_t *)phys_to_virt(root) + off;
	const uint8_t *k = (const uint8_t *)phys_to_virt(kmm()->kernel.root) + off;
#if MM_TABLES_RECURSIVE
	/* The kernel half ends at the recursive mapping's windows, each
	 * root's own; its self entry points at itself. */
	const size_t end = ARCH_RECURSIVE_FIRST_SLOT * sizeof(arch_pte_t);
	if (((const arch_pte_t *)phys_to_virt(root))[ARCH_RECURSIVE_SLOT] !=
	    arch_recursive_pte(root))
		return false;
#else
	const size_t end = ARCH_PAGE_SIZE;
#endif
	if (!ARCH_KERNEL_ROOT_SEPARATE)
		return memcmp(r, k, end - off) == 0;
	for (size_t i = 0; i < ARCH_PAGE_SIZE - off; i++)
		if (r[i])
			return false;
	return true;
}

static void test_kernel_half(void)
{
	struct mm_sys *sys = kmm();
	enum { N = 32 };
	int err = 0;
	for (int i = 0; i < N && !err; i++)
		err = mm_space_create(sys, &spaces[i]);
	mm_paddr_t f;
	err = err ? err : mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &f);
	const mm_vaddr_t late = ARCH_DIRECT_MAP_BASE + ARCH_DIRECT_MAP_MAX + 16 * ARCH_PAGE_SIZE;
	err = err ? err : mm_kernel_map(sys, late, f, 1, MM_PROT_READ | MM_PROT_WRITE);
	if (err) {
		tap_ok(false, "kernel half: %s", mm_strerror(err));
		return;
	}
	bool same = true, seen = true;
	for (int i = 0; i < N; i++) {
		same &= kernel_half_ok(spaces[i].root);
		mm_space_activate(&spaces[i]);
		*(volatile uint32_t *)(uintptr_t)late = (uint32_t)i;
		seen &= *(volatile uint32_t *)phys_to_virt(f) == (uint32_t)i;
	}
	mm_space_activate(mm_sys_kernel_space(sys));
	tap_ok(same && seen,
	       "kernel half identical in %d spaces after a late kernel mapping, and live in each",
	       N);
	/* Address-space identifiers (mm_sys_set_asids(), where the TLB has
	 * them): every live space its own, never 0; else all 0. */
	const uint32_t nasids = arch_asid_count();
	bool asids_ok = true;
	for (int i = 0; i < N; i++) {
		asids_ok &= nasids ? spaces[i].asid != 0 : spaces[i].asid == 0;
		for (int j = 0; j < i; j++)
			asids_ok &= !nasids || spaces[i].asid != spaces[j].asid;
	}
	if (nasids)
		tap_ok(asids_ok, "address-space identifiers: %d spaces, %d distinct ones (of %u)",
		       N, N, (unsigned)(sys->asid_count - 1));
	else
		tap_ok(asids_ok, "address-space identifiers: none, every space runs as 0");
	mm_kernel_unmap(sys, late, 1);
	mm_sys_frame_put(sys, f);
	for (int i = 0; i < N; i++)
		mm_space_destroy(&spaces[i]);
}

/* After a COW fork both sides' writable pages are read-only and COW, on
 * one frame each: a fork that left the parent writable would let its
 * writes reach the child. */
static void test_fork_write_protects(void)
{
	struct mm_sys *sys = kmm();
	struct mm_space *a = &spaces[0], *b = &spaces[1];
	enum { N = 4 };
	int err = mm_space_create(sys, a);
	err = err ? err : mm_map(a, UVA, N, URW);
	if (!err) {
		mm_space_activate(a);
		arch_user_access_begin();
		for (int i = 0; i < N; i++) /* writable and dirty in the TLB */
			*(volatile uint32_t *)(uintptr_t)(UVA + i * ARCH_PAGE_SIZE) = (uint32_t)i;
		arch_user_access_end();
		err = mm_space_clone(a, b, MM_CLONE_COW);
		mm_space_activate(mm_sys_kernel_space(sys));
	}
	if (err) {
		tap_ok(false, "fork write-protects: %s", mm_strerror(err));
		return;
	}
	bool ro = true;
	for (int i = 0; i < N; i++) {
		struct mm_mapping ma, mb;
		mm_vaddr_t va = UVA + i * ARCH_PAGE_SIZE;
		ro &= mm_query(a, va, &ma) == 0 && mm_query(b, va, &mb) == 0 &&
		      !(ma.prot & MM_PROT_WRITE) && !(mb.prot & MM_PROT_WRITE) && ma.cow &&
		      mb.cow && ma.pa == mb.pa && ma.refs == 2;
	}
	tap_ok(ro,
	       "after a COW fork the parent's %d writable pages are read-only and COW, "
	       "sharing the child's frames",
	       N);
	mm_space_destroy(b);
	mm_space_destroy(a);
}

/* Conservation: 1,000 create/map/clone/destroy cycles. */
static void test_conservation(void)
{
	struct mm_sys *sys = kmm();
	uint32_t before = mm_frames_free_count(&sys->frames);
	int err = 0;
	for (int i = 0; i < 1000 && !err; i++) {
		err = mm_space_create(sys, &spaces[0]);
		err = err ? err : mm_map(&spaces[0], UVA, 1 + i % 7, URW);
		err = err ? err : mm_space_clone(&spaces[0], &spaces[1], MM_CLONE_EAGER);
		if (!err) {
			mm_space_destroy(&spaces[1]);
			mm_space_destroy(&spaces[0]);
		}
	}
	uint32_t after = mm_frames_free_count(&sys->frames);
	tap_ok(!err && after == before,
	       "1000 create/map/clone/destroy cycles: free frames %u before, %u after", before,
	       after);
}

/* ---- processes --------------------------------------------------------- */

extern const uint8_t utest_start[], utest_end[];

enum {
	T_HELLO = 1,
	T_ISOLATION,
	T_SYSCALL,
	T_READ_KERNEL,
	T_WRITE_TEXT,
	T_OTHERS_PAGE,
	T_OWN_PAGE,
	T_FORK,
	T_FORK_EXIT_1000,
	T_SBRK,
	T_SPIN,
	T_SPAWN,
	T_COW,
	T_STACK_64K,
	T_STACK_OVERFLOW,
	T_MMAP,
	T_EXEC,
	T_THP,
	T_HIGHMEM
};
#define OTHER_VA UINT64_C(0x70000000)
#ifdef MMKIT_TEST_KINFO_PHYS
#define KINFO_PHYS_ON true /* frames are checked through KINFO_PHYS */
#else
#define KINFO_PHYS_ON false
#endif
/* In the user half, which the kernel space leaves empty: a read faults. */
#define EARLY_FAULT_VA UINT64_C(0x80000000)

struct result {
	int pid, test, status;
	mm_paddr_t probe;
};
static struct result results[2 * NPROC];
static int nresults;

static void record_exit(struct proc *p, void *ctx)
{
	(void)ctx;
	for (int i = 0; i < nresults; i++)
		if (results[i].pid == p->pid) {
			results[i].status = p->status;
			results[i].probe = p->probe_pa;
		}
}

static struct proc *spawn(int test)
{
	int err;
	struct proc *p = proc_spawn("utest", utest_start,
	                            (size_t)((uintptr_t)utest_end - (uintptr_t)utest_start),
	                            (uintptr_t)test, &err);
	if (!p)
		panic("spawn of test %d: %s", test, mm_strerror(err));
	results[nresults++] = (struct result){ p->pid, test, -1, 0 };
	return p;
}

/* The results of every process that played @test, in spawn order. */
static int results_of(int test, struct result *out[], int max)
{
	int n = 0;
	for (int i = 0; i < nresults && n < max; i++)
		if (results[i].test == test)
			out[n++] = &results[i];
	if (n == 0) /* the callers read out[0] */
		panic("no process recorded a result for test %d", test);
	return n;
}

struct half_check {
	int spaces;
	bool same;
};

static void check_half(struct proc *p, void *ctx)
{
	struct half_check *c = ctx;
	c->spaces++;
	c->same &= kernel_half_ok(p->space->root);
}

static void test_processes(void)
{
	struct mm_sys *sys = kmm();
	uint32_t free0 = mm_frames_free_count(&sys->frames);
	spawn(T_HELLO);
	spawn(T_SYSCALL);
	spawn(T_ISOLATION);
	spawn(T_ISOLATION);
	spawn(T_READ_KERNEL);
	spawn(T_WRITE_TEXT);
	spawn(T_OTHERS_PAGE);
	struct proc *owner = spawn(T_OWN_PAGE);
	/* A region of its own, as every page of a process has (mprotect,
	 * munmap, mmap's placement and faults go by regions), populated
	 * before the owner runs. */
	mm_vaddr_t other;
	if (mm_mmap(owner->space, OTHER_VA, 1, MM_PROT_READ | MM_PROT_WRITE, MM_MAP_FIXED_NOREPLACE,
	            &other) != 0 ||
	    mm_populate(owner->space, OTHER_VA, 1, MM_ACCESS_WRITE) != 0)
		panic("mapping the owner's private page");
	spawn(T_FORK);
	spawn(T_SBRK);
	spawn(T_SPIN);
	spawn(T_SPIN);
	spawn(T_SPAWN);
	spawn(T_COW);
	spawn(T_STACK_64K);
	spawn(T_STACK_OVERFLOW);
	spawn(T_MMAP);
	spawn(T_EXEC);
	spawn(T_THP);
	spawn(T_HIGHMEM);
	struct half_check hc = { 0, true };
	proc_each_live(check_half, &hc);
	tap_ok(hc.same && hc.spaces == 20, "kernel half identical in all %d live process spaces",
	       hc.spaces);
	uint64_t switches0 = sched_stats()->switches;
	proc_run_until_idle(record_exit, NULL);

	struct result *r[4];
	results_of(T_HELLO, r, 4);
	tap_ok(r[0]->status == 0, "a process ran in ring 3 and exited with status %d",
	       r[0]->status);
	int n = results_of(T_ISOLATION, r, 4);
#ifdef MMKIT_TEST_KINFO_PHYS
	tap_ok(n == 2 && r[0]->status == 0 && r[1]->status == 0 && r[0]->probe && r[1]->probe &&
	               r[0]->probe != r[1]->probe,
	       "seed 1: two processes write the same VA, each reads back its own value, "
	       "from frames 0x%llx and 0x%llx",
	       (unsigned long long)r[0]->probe, (unsigned long long)(n == 2 ? r[1]->probe : 0));
#else
	/* Status 2: the value was right, and KINFO_PHYS was refused. */
	tap_ok(n == 2 && r[0]->status == 2 && r[1]->status == 2 && !r[0]->probe && !r[1]->probe,
	       "seed 1: two processes write the same VA, each reads back its own value; "
	       "KINFO_PHYS refused (physical addresses only from a TEST ONLY kernel)");
#endif
	results_of(T_SYSCALL, r, 4);
	tap_ok(r[0]->status == 0,
	       "seed 2: a system call reaches kernel code and data; a kernel pointer is refused");
	struct result *k1[1], *k2[1], *k3[1], *own[1];
	results_of(T_READ_KERNEL, k1, 1);
	results_of(T_WRITE_TEXT, k2, 1);
	results_of(T_OTHERS_PAGE, k3, 1);
	results_of(T_OWN_PAGE, own, 1);
	tap_ok(ARCH_KILLED_BY_PF(k1[0]->status) && ARCH_KILLED_BY_PF(k2[0]->status) &&
	               ARCH_KILLED_BY_PF(k3[0]->status) && own[0]->status == 0,
	       "seed 3: reading the kernel half, writing own text, touching another's page: "
	       "each killed, the others finished");
	results_of(T_FORK, r, 4);
	tap_ok(r[0]->status == 0, "fork: the child sees the parent's data, then its own writes");
	results_of(T_SPAWN, r, 4);
	tap_ok(r[0]->status == 0,
	       "spawn from a running process: the new space's user half starts empty");
	results_of(T_COW, r, 4);
	tap_ok(r[0]->status == 0 && (r[0]->probe != 0) == KINFO_PHYS_ON,
	       "COW fork: the page is shared after fork, each side's write "
	       "copies it, and each sees its own value (status %d)",
	       r[0]->status);
	results_of(T_STACK_64K, r, 4);
	tap_ok(r[0]->status == 0, "a stack grows down by 64 KiB on faults");
	results_of(T_STACK_OVERFLOW, r, 4);
	tap_ok(ARCH_KILLED_BY_PF(r[0]->status),
	       "a stack overflowing into its guard page is killed, alone");
	results_of(T_MMAP, r, 4);
	tap_ok(r[0]->status == 0,
	       "mmap, then munmap of a sub-range: the rest stays, the hole kills a toucher "
	       "(status %d)",
	       r[0]->status);
	results_of(T_EXEC, r, 4);
	tap_ok(r[0]->status == 0, "exec of a second program, with argv, envp and auxv");
	results_of(T_THP, r, 4);
	if (sys->thp)
		tap_ok(r[0]->status == 0,
		       "transparent huge pages: a first touch maps the aligned %llu KiB around "
		       "it, zeroed%s; after fork a write copies 4 KiB (status %d)",
		       (unsigned long long)((UINT64_C(1) << arch_level_shift(1)) >> 10),
		       KINFO_PHYS_ON ? ", on contiguous frames" : "", r[0]->status);
	else
		tap_ok(r[0]->status == 3, "# SKIP transparent huge pages off (boot with thp=on)");
	results_of(T_HIGHMEM, r, 4);
	if (mm_frames_zone_total(&sys->frames, MM_ZONE_HIGH)) {
		const mm_paddr_t high = sys->frames.high_base;
		const bool seen = KINFO_PHYS_ON ? r[0]->probe >= high : r[0]->probe == 0;
		tap_ok(r[0]->status == 0 && seen,
		       "high memory: user pages come from above %llu MiB first, zero-filled and "
		       "copied on write through temporary mappings (a user page at 0x%llx%s; "
		       "status %d)",
		       (unsigned long long)(high >> 20), (unsigned long long)r[0]->probe,
		       r[0]->probe >> 32 ? ", above 4 GiB" : "", r[0]->status);
	} else {
		tap_ok(r[0]->status == 3, "# SKIP no high memory: the direct map reaches all RAM");
	}
	results_of(T_SBRK, r, 4);
	tap_ok(r[0]->status == 0, "sbrk: the heap grows by 3 pages and shrinks back");
	n = results_of(T_SPIN, r, 4);
	tap_ok(n == 2 && r[0]->status == 0 && r[1]->status == 0,
	       "preemption: two processes that never yield both finished (%llu switches)",
	       (unsigned long long)(sched_stats()->switches - switches0));
	uint32_t free1 = mm_frames_free_count(&sys->frames);
	tap_ok(free1 == free0, "every frame of every process came back: %u free before, %u after",
	       free0, free1);

	/* Conservation: 1,000 fork/exit cycles. */
	spawn(T_FORK_EXIT_1000);
	proc_run_until_idle(record_exit, NULL);
	results_of(T_FORK_EXIT_1000, r, 4);
	uint32_t free2 = mm_frames_free_count(&sys->frames);
	tap_ok(r[0]->status == 0 && free2 == free0,
	       "1000 fork/exit cycles: free frames %u before, %u after", free0, free2);
	const struct sched_stats *st = sched_stats();
	tap_ok(st->cr3_writes > 0 && st->killed == 5,
	       "scheduler: %llu switches, %llu %s writes, %llu skipped (same space), %llu ticks",
	       (unsigned long long)st->switches, (unsigned long long)st->cr3_writes, ARCH_ROOT_REG,
	       (unsigned long long)st->cr3_skips, (unsigned long long)st->ticks);
}

/* The hostile user program (kernel/user/uhostile.c): it prints its checks
 * as a TAP subtest and exits with the number that failed. */
extern const uint8_t uhostile_start[], uhostile_end[];

static void test_hostile(void)
{
	struct mm_sys *sys = kmm();
	uint32_t free0 = mm_frames_free_count(&sys->frames);
	int err;
	struct proc *p =
	        proc_spawn("uhostile", uhostile_start,
	                   (size_t)((uintptr_t)uhostile_end - (uintptr_t)uhostile_start), 0, &err);
	if (!p)
		panic("spawn of uhostile: %s", mm_strerror(err));
	results[nresults++] = (struct result){ p->pid, 0, -1, 0 };
	int at = nresults - 1;
	proc_run_until_idle(record_exit, NULL);
	uint32_t free1 = mm_frames_free_count(&sys->frames);
	tap_ok(results[at].status == 0 && free1 == free0,
	       "hostile user program: exit status %d (failed checks), free frames %u before, %u "
	       "after",
	       results[at].status, free0, free1);
}

/* A kernel bug on purpose: the kernel touches a user page outside a user
 * copy (@exec: calls it). Where the CPU can stop that (x86 SMEP and SMAP;
 * RISC-V always for execution, SUM for data) it must end in a clear panic;
 * elsewhere the kernel says that nothing stopped it, and goes on. */
static void kernel_touches_user(bool exec)
{
	static const uint8_t ret_insn[] = ARCH_RET_INSN;
	static struct mm_space s;
	struct mm_mapping m;
	int err = mm_space_create(kmm(), &s);
	err = err ? err : mm_map(&s, UVA, 1, MM_PROT_READ | MM_PROT_EXEC | MM_PROT_USER);
	err = err ? err : mm_query(&s, UVA, &m);
	if (err)
		panic("a user page for the test: %s", mm_strerror(err));
	void *page = kmap_frame(m.pa);
	memcpy(page, ret_insn, sizeof(ret_insn));
	kunmap_frame(m.pa, page);
	mm_space_activate(&s);
	if (exec) {
		kprintf("# the kernel calls a user page on purpose\n");
		((void (*)(void))(uintptr_t)UVA)();
	} else {
		kprintf("# the kernel reads a user page outside a user copy, on purpose\n");
		(void)*(volatile uint8_t *)(uintptr_t)UVA;
	}
	kprintf("# the kernel %s a user page and nothing stopped it\n", exec ? "ran" : "read");
	mm_space_activate(mm_sys_kernel_space(kmm()));
	mm_space_destroy(&s);
}

/* Does the space-separated @line contain @word? */
static bool has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = line; *p; p++)
		if ((p == line || p[-1] == ' ') && memcmp(p, word, n) == 0 &&
		    (p[n] == 0 || p[n] == ' '))
			return true;
	return false;
}

void kmain(uintptr_t a0, uintptr_t a1)
{
	arch_console_init();
	kprintf("mmkit kernel (%s) booting\n", ARCH_NAME);
	cpu_init();
	static struct boot_info bi;
	arch_boot_info(a0, a1, &bi);
	struct mem_info mi;
	mem_init(&bi, &mi);
	/* Transparent huge pages, on request: every test then runs with
	 * anonymous memory in large pages where a region covers one. */
	const bool thp = has_word(mi.cmdline, "thp=on");
	mm_sys_set_thp(kmm(), thp);
	kprintf("# transparent huge pages: %s\n",
	        thp ? "on (thp=on)" : "off (boot with thp=on for them)");
	kprintf("# user memory: %s\n", arch_user_protection_init());
	kprintf("# page tables: %s\n",
	        MM_TABLES_RECURSIVE ? "through the recursive mapping (a self-map root entry)"
	                            : "through the direct map");
	if (has_word(mi.cmdline, "test=early-fault")) {
		/* A kernel fault before the first process exists: trap() must
		 * not read a process that is not there. */
		kprintf("# reading an unmapped address before proc_init(), on purpose\n");
		(void)*(volatile int *)(uintptr_t)EARLY_FAULT_VA;
	}
	proc_init();
	arch_timer_init(100);
	if (has_word(mi.cmdline, "test=kernel-fault")) {
		/* A kernel bug on purpose: a read of an unmapped kernel address
		 * must end in a clear panic and QEMU's failure exit. */
		kprintf("# reading an unmapped kernel address on purpose\n");
		(void)*(volatile int *)(uintptr_t)(ARCH_DIRECT_MAP_BASE + ARCH_DIRECT_MAP_MAX +
		                                   64 * ARCH_PAGE_SIZE);
	}
	if (has_word(mi.cmdline, "test=kernel-exec-user"))
		kernel_touches_user(true);
	if (has_word(mi.cmdline, "test=kernel-read-user"))
		kernel_touches_user(false);
	if (has_word(mi.cmdline, "test=write-kernel-text")) {
		/* Kernel text is read-only: a write to it must panic. */
		kprintf("# writing to kernel text on purpose\n");
		*(volatile char *)(uintptr_t)&kmain = 0;
	}
	test_memory(&mi);
	test_kernel_layout();
	test_same_va();
	test_kernel_half();
	test_conservation();
	test_fork_write_protects();
	test_processes();
	test_hostile();
	tap_done();
}
