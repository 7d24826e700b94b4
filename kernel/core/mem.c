/*
 * Physical memory: from the firmware's description (struct boot_info, by
 * arch_boot_info()) to mm-core, and mm-core's machine hooks implemented
 * with the direct map and the arch's root register and TLB invalidation.
 *
 * Boot tables (boot.S) map the first ARCH_BOOT_MAP_BYTES; everything this
 * file touches before the switch to mm-core's kernel space lies there: the
 * allocator hands out the lowest frames first, and the metadata is carved
 * from low memory.
 */
#include <kernel/arch.h>
#include <kernel/kernel.h>

#include <arch/layout.h>
#include <arch/pte.h>

extern char _kernel_phys_start[], _kernel_phys_end[], _etext[], _erodata[];
/* The image's physical bounds, read through absolute words: the linker's
 * physical symbols may lie farther from the code than a PC-relative
 * reference reaches (riscv64: 4 GiB below it, beyond +-2 GiB). */
static const volatile uintptr_t image_phys[2] = { (uintptr_t)_kernel_phys_start,
	                                          (uintptr_t)_kernel_phys_end };

static struct mm_sys sys;

struct mm_sys *kmm(void)
{
	return &sys;
}

void *phys_to_virt(mm_paddr_t pa)
{
	return (void *)(uintptr_t)(pa + ARCH_DIRECT_MAP_BASE);
}

/* The kernel image's parts, as physical addresses (page-aligned). */
struct image_parts {
	uint64_t start, etext, erodata, end;
};

static struct image_parts image_parts(void)
{
	const uint64_t mask = ARCH_PAGE_SIZE - 1;
	return (struct image_parts){
		.start = image_phys[0],
		.etext = ((uintptr_t)_etext - ARCH_KERNEL_IMAGE_BASE + mask) & ~mask,
		.erodata = (uintptr_t)_erodata - ARCH_KERNEL_IMAGE_BASE,
		.end = image_phys[1],
	};
}

/* The protection of physical page @pa in a mapping of the image: text
 * read-only and executable, rodata read-only, the rest read-write; never
 * writable and executable. Outside the image: read-write. Where the kernel
 * does not run from this mapping (@runs false: the x86_64 direct map),
 * nothing is executable. */
/* MM_PROT_GLOBAL if the CPU has global pages (then CR4.PGE is on): every
 * kernel-half mapping is the same in every space, so none need leave the
 * TLB on a CR3 write. */
static unsigned kglobal;

bool kmm_global_pages(void)
{
	return kglobal != 0;
}

static unsigned image_prot(const struct image_parts *ip, uint64_t pa, bool runs)
{
	if (pa >= ip->start && pa < ip->etext)
		return MM_PROT_READ | (runs ? MM_PROT_EXEC : 0) | kglobal;
	if (pa >= ip->etext && pa < ip->erodata)
		return MM_PROT_READ | kglobal;
	return MM_PROT_READ | MM_PROT_WRITE | kglobal;
}

/* Map physical [lo, hi) at @va_base + pa in runs of pages of one
 * protection (image_prot()). */
static int map_by_parts(uint64_t va_base, uint64_t lo, uint64_t hi, bool runs)
{
	const struct image_parts ip = image_parts();
	const uint64_t cuts[] = { ip.start, ip.etext, ip.erodata, ip.end };
	for (uint64_t at = lo; at < hi;) {
		uint64_t next = hi;
		for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
			if (cuts[i] > at && cuts[i] < next)
				next = cuts[i];
		int err = mm_kernel_map(&sys, va_base + at, at, (next - at) / ARCH_PAGE_SIZE,
		                        image_prot(&ip, at, runs) | MM_PROT_LARGE);
		if (err)
			return err;
		at = next;
	}
	return 0;
}

/* ---- mm-core's machine hooks ---------------------------------------------- */

static void *hook_phys_to_virt(void *ctx, mm_paddr_t pa)
{
	(void)ctx;
	return phys_to_virt(pa);
}

static void hook_activate(void *ctx, mm_paddr_t root, uint32_t asid)
{
	(void)ctx;
	arch_mmu_activate(root, asid);
}

static mm_paddr_t hook_read_root(void *ctx)
{
	(void)ctx;
	return arch_mmu_root();
}

static void hook_invalidate_page(void *ctx, uint32_t asid, mm_vaddr_t va)
{
	(void)ctx;
	arch_tlb_invalidate_page(asid, va);
}

static void hook_flush_all(void *ctx, uint32_t asid)
{
	(void)ctx;
	arch_tlb_flush_all(asid);
}

/* Where the direct map ends: RAM from here up to ram_limit_pa is high
 * memory, user frames only, reached through kmap_frame(). */
static uint64_t direct_limit_pa = ARCH_DIRECT_MAP_MAX;

#if ARCH_HIGHMEM_END > ARCH_DIRECT_MAP_MAX
/*
 * Temporary mappings of high memory (Linux's kmap_local_page()): two
 * kernel pages at ARCH_KMAP_BASE whose entries this file rewrites, as
 * mm-core holds at most two frames mapped at once and unmaps them in
 * reverse order (struct mm_mach_ops). The kernel takes no interrupt in
 * kernel mode (but in its idle loop), so nothing else uses them meanwhile.
 * An unmapped slot maps its parking frame again, so that no stale
 * mapping of a user frame outlives its use.
 */
#define KMAP_SLOTS 2u
static arch_pte_t *kmap_ptes; /* the slots' leaf entries (mm_kernel_window()) */
static mm_paddr_t kmap_park;  /* KMAP_SLOTS frames of the kernel's */
static unsigned kmap_used;    /* slots in use, the lowest first */

static void kmap_set(unsigned slot, mm_paddr_t pa)
{
	arch_pte_store(&kmap_ptes[slot], arch_pte_leaf(pa, MM_PROT_READ | MM_PROT_WRITE));
	arch_tlb_invalidate_page(MM_ASID_ALL, ARCH_KMAP_BASE + slot * ARCH_PAGE_SIZE);
}

void *kmap_frame(mm_paddr_t pa)
{
	if (pa < direct_limit_pa)
		return phys_to_virt(pa);
	if (!kmap_ptes || kmap_used == KMAP_SLOTS)
		panic("kmap_frame(0x%llx): no free temporary mapping", (unsigned long long)pa);
	const unsigned slot = kmap_used++;
	kmap_set(slot, pa);
	return (void *)(uintptr_t)(ARCH_KMAP_BASE + slot * ARCH_PAGE_SIZE);
}

void kunmap_frame(mm_paddr_t pa, void *p)
{
	if (pa < direct_limit_pa)
		return;
	if (!kmap_used ||
	    (uintptr_t)p != (uintptr_t)(ARCH_KMAP_BASE + (kmap_used - 1u) * ARCH_PAGE_SIZE))
		panic("kunmap_frame(0x%llx): not the last temporary mapping",
		      (unsigned long long)pa);
	kmap_used--;
	kmap_set(kmap_used, kmap_park + kmap_used * ARCH_PAGE_SIZE);
}

/* The window, once the kernel half has the direct map. */
static void kmap_init(void)
{
	int err = mm_sys_frame_alloc_run(&sys, MM_FRAME_KERNEL, 1, true, &kmap_park);
	err = err ? err
	          : mm_kernel_window(&sys, ARCH_KMAP_BASE, KMAP_SLOTS, kmap_park,
	                             MM_PROT_READ | MM_PROT_WRITE, &kmap_ptes);
	if (err)
		panic("temporary-mapping window: %s", mm_strerror(err));
}
#else
void *kmap_frame(mm_paddr_t pa)
{
	return phys_to_virt(pa);
}

void kunmap_frame(mm_paddr_t pa, void *p)
{
	(void)pa;
	(void)p;
}

static void kmap_init(void)
{
}
#endif

static void *hook_map_frame(void *ctx, mm_paddr_t pa)
{
	(void)ctx;
	return kmap_frame(pa);
}

static void hook_unmap_frame(void *ctx, mm_paddr_t pa, void *p)
{
	(void)ctx;
	kunmap_frame(pa, p);
}

static const struct mm_mach_ops kernel_ops = {
	.phys_to_virt = hook_phys_to_virt,
	.activate = hook_activate,
	.read_root = hook_read_root,
	.invalidate_page = hook_invalidate_page,
	.flush_all = hook_flush_all,
	.map_frame = hook_map_frame,
	.unmap_frame = hook_unmap_frame,
};

/* ---- ranges ------------------------------------------------------------- */

struct span {
	uint64_t lo, hi; /* [lo, hi), page aligned */
};

#define MAX_SPANS MM_FRAMES_MAX_RANGES
static struct span spans[MAX_SPANS];
static unsigned nspans;

/* RAM at or above this physical address is left unused (ram_limit()). */
static uint64_t ram_limit_pa = ARCH_DIRECT_MAP_MAX;

static void span_add(uint64_t lo, uint64_t hi)
{
	lo = (lo + ARCH_PAGE_SIZE - 1) & ~(ARCH_PAGE_SIZE - 1);
	hi &= ~(ARCH_PAGE_SIZE - 1);
	if (hi > ram_limit_pa)
		hi = ram_limit_pa; /* beyond what the kernel supports: not ours */
	if (lo >= hi)
		return;
	if (nspans == MAX_SPANS) {
		kprintf("# memory: more than %u ranges; ignoring 0x%llx-0x%llx\n", MAX_SPANS,
		        (unsigned long long)lo, (unsigned long long)hi);
		return;
	}
	spans[nspans++] = (struct span){ lo, hi };
}

/* Remove [lo, hi) from every span, splitting where needed. */
static void span_remove(uint64_t lo, uint64_t hi)
{
	lo &= ~(ARCH_PAGE_SIZE - 1);
	hi = (hi + ARCH_PAGE_SIZE - 1) & ~(ARCH_PAGE_SIZE - 1);
	for (unsigned i = 0; i < nspans; i++) {
		struct span s = spans[i];
		if (hi <= s.lo || lo >= s.hi)
			continue;
		/* Drop span i, then add back what is left on either side. */
		spans[i--] = spans[--nspans];
		if (s.lo < lo)
			span_add(s.lo, lo);
		if (hi < s.hi)
			span_add(hi, s.hi);
	}
}

/* The physical address below which the RAM of @bi, counted from the lowest
 * address up, adds up to @bytes (as Linux reads mem=: an amount of RAM,
 * wherever RAM starts); the end of the highest range if there is less. */
static uint64_t amount_limit(const struct boot_info *bi, uint64_t bytes)
{
	uint64_t at = 0, counted = 0;
	for (;;) {
		/* The next range above @at, lowest first (the firmware's order
		 * need not be sorted). */
		const struct boot_range *next = NULL;
		for (unsigned i = 0; i < bi->nram; i++) {
			const struct boot_range *r = &bi->ram[i];
			if (r->base + r->size > at && (!next || r->base < next->base))
				next = r;
		}
		if (!next)
			return at;
		uint64_t lo = next->base > at ? next->base : at, hi = next->base + next->size;
		if (hi - lo >= bytes - counted)
			return lo + (bytes - counted);
		counted += hi - lo;
		at = hi;
	}
}

/* The physical address below which the kernel uses RAM, and why not above,
 * and in *@direct where its direct map ends (RAM between the two is high
 * memory). Without high memory (ARCH_HIGHMEM_END == ARCH_DIRECT_MAP_MAX)
 * the two are one: the direct map's reach, or what the boot page tables
 * can hold: before mm-core's kernel space is active, the frame metadata (8
 * bytes per frame) and the direct map's page tables (an entry per frame)
 * are written through the boot mapping (ARCH_BOOT_MAP_BYTES), of which an
 * eighth is kept for the image, low memory and the rest. With it (i386),
 * RAM is used up to what a page-table entry addresses. A "mem=<n>M" or
 * "mem=<n>G" on the command line lowers both to amount_limit() of that
 * many bytes. */
static uint64_t ram_limit(const struct boot_info *bi, const char *cmdline, const char **why,
                          uint64_t *direct)
{
	const uint64_t per_frame = sizeof(struct mm_frame) + sizeof(arch_pte_t);
	const uint64_t boot_cap =
	        (ARCH_BOOT_MAP_BYTES - ARCH_BOOT_MAP_BYTES / 8) / per_frame * ARCH_PAGE_SIZE;
	uint64_t limit = ARCH_HIGHMEM_END;
	*direct = ARCH_DIRECT_MAP_MAX < boot_cap ? ARCH_DIRECT_MAP_MAX : boot_cap;
	if (ARCH_HIGHMEM_END > ARCH_DIRECT_MAP_MAX) {
		*why = "beyond what a page-table entry of this kernel addresses";
	} else {
		*why = "beyond the kernel's direct map";
		if (boot_cap < limit) {
			limit = boot_cap;
			*why = "its frame metadata and direct-map page tables would not fit in the "
			       "boot page tables' reach";
		}
	}
	for (const char *c = cmdline; *c; c++) {
		if ((c != cmdline && c[-1] != ' ') || memcmp(c, "mem=", 4) != 0)
			continue;
		uint64_t n = 0;
		const char *d = c + 4;
		for (; *d >= '0' && *d <= '9'; d++)
			n = n * 10 + (uint64_t)(*d - '0');
		uint64_t bytes = *d == 'G' ? n << 30 : *d == 'M' ? n << 20 : 0;
		uint64_t at = bytes ? amount_limit(bi, bytes) : 0;
		if (at && at < limit) {
			limit = at;
			*why = "mem= on the command line";
		}
	}
	if (*direct > limit)
		*direct = limit;
	return limit;
}

void mem_init(const struct boot_info *bi, struct mem_info *info)
{
	*info = (struct mem_info){ .source = bi->source };
	for (size_t i = 0; i < sizeof(info->cmdline); i++)
		info->cmdline[i] = bi->cmdline[i];
	info->cmdline[sizeof(info->cmdline) - 1] = 0;

	const char *why;
	ram_limit_pa = ram_limit(bi, info->cmdline, &why, &direct_limit_pa);
	uint64_t unused = 0;
	for (unsigned i = 0; i < bi->nram; i++) {
		const struct boot_range *r = &bi->ram[i];
		info->ram_bytes += r->size;
		span_add(r->base, r->base + r->size);
		uint64_t end = r->base + r->size;
		if (end > ram_limit_pa)
			unused += end - (r->base > ram_limit_pa ? r->base : ram_limit_pa);
	}
	if (unused)
		kprintf("# memory: %llu MiB of RAM above %llu MiB left unused: %s\n",
		        (unsigned long long)(unused >> 20),
		        (unsigned long long)(ram_limit_pa >> 20), why);
	/* Not for the allocator: what the firmware reserved (and the boot
	 * information we still read), and the kernel image. */
	for (unsigned i = 0; i < bi->nreserved; i++)
		span_remove(bi->reserved[i].base, bi->reserved[i].base + bi->reserved[i].size);
	span_remove(image_phys[0], image_phys[1]);

	/* Frame metadata: carve it from the first span that holds it and lies
	 * in the boot mapping. Sized for the spans before the carve (an upper
	 * bound). */
	struct mm_phys_range ranges[MAX_SPANS];
	for (unsigned i = 0; i < nspans; i++)
		ranges[i] = (struct mm_phys_range){ spans[i].lo,
			                            (spans[i].hi - spans[i].lo) / ARCH_PAGE_SIZE };
	size_t meta_bytes = mm_frames_meta_bytes(ranges, nspans);
	uint64_t meta_pa = 0;
	for (unsigned i = 0; i < nspans && !meta_pa; i++)
		if (spans[i].hi - spans[i].lo >= meta_bytes + ARCH_PAGE_SIZE &&
		    spans[i].lo + meta_bytes <= ARCH_BOOT_MAP_BYTES &&
		    spans[i].lo + meta_bytes <= direct_limit_pa)
			meta_pa = spans[i].lo;
	if (!meta_pa)
		panic("no room for %zu bytes of frame metadata", meta_bytes);
	span_remove(meta_pa, meta_pa + meta_bytes);
	for (unsigned i = 0; i < nspans; i++)
		ranges[i] = (struct mm_phys_range){ spans[i].lo,
			                            (spans[i].hi - spans[i].lo) / ARCH_PAGE_SIZE };

	/* Frames above the direct map: high memory, user frames only. */
	const uint64_t high_base = ram_limit_pa > direct_limit_pa ? direct_limit_pa : 0;
	int err = mm_sys_init(&sys, &kernel_ops, NULL, ranges, nspans, phys_to_virt(meta_pa),
	                      meta_bytes, high_base);
	if (err)
		panic("mm_sys_init: %s", mm_strerror(err));
	info->high_frames = mm_frames_zone_total(&sys.frames, MM_ZONE_HIGH);
	if (info->high_frames)
		kprintf("# memory: %llu MiB of high memory above %llu MiB, for user pages, "
		        "reached through temporary mappings\n",
		        (unsigned long long)((uint64_t)info->high_frames * ARCH_PAGE_SIZE >> 20),
		        (unsigned long long)(high_base >> 20));
	/* Address-space identifiers, where the TLB has them: then a switch
	 * between spaces keeps every space's TLB entries. */
	uint32_t nasids = arch_asid_count();
	if (nasids) {
		err = mm_sys_set_asids(&sys, nasids);
		if (err)
			panic("mm_sys_set_asids: %s", mm_strerror(err));
	}
	kglobal = arch_kernel_global();
	err = mm_sys_set_large_pages(&sys, arch_large_pages());
	if (err)
		panic("mm_sys_set_large_pages: %s", mm_strerror(err));
	mm_sys_set_wx(&sys, true); /* W^X for every user mapping */
	info->managed = mm_frames_total(&sys.frames);
	info->nranges = nspans;
	info->meta_bytes = meta_bytes;

	/* The direct map, by mm-core, over every RAM range (the image, the
	 * metadata and low memory included) up to the RAM limit. */
	for (unsigned i = 0; i < bi->nram; i++) {
		const struct boot_range *r = &bi->ram[i];
		uint64_t lo = r->base & ~(ARCH_PAGE_SIZE - 1);
		uint64_t hi = (r->base + r->size + ARCH_PAGE_SIZE - 1) & ~(ARCH_PAGE_SIZE - 1);
		if (lo >= direct_limit_pa)
			continue;
		if (hi > direct_limit_pa)
			hi = direct_limit_pa;
		uint64_t n = (hi - lo) / ARCH_PAGE_SIZE;
		/* The image's text and rodata are read-only here too (i386 runs
		 * from this mapping; on x86_64 it is an alias). */
		err = map_by_parts(ARCH_DIRECT_MAP_BASE, lo, hi,
		                   ARCH_KERNEL_IMAGE_BASE == ARCH_DIRECT_MAP_BASE);
		if (err)
			panic("direct map of 0x%llx-0x%llx: %s", (unsigned long long)lo,
			      (unsigned long long)hi, mm_strerror(err));
		info->direct_pages += n;
	}
	info->large_pages = sys.kernel.large_leaves;
	info->large_level = sys.large_max;
	/* The image itself, where it is not the direct map (x86_64): text
	 * read-only and executable, rodata read-only, data and bss writable,
	 * neither executable. */
	if (ARCH_KERNEL_IMAGE_BASE != ARCH_DIRECT_MAP_BASE) {
		const struct image_parts ip = image_parts();
		err = map_by_parts(ARCH_KERNEL_IMAGE_BASE, ip.start, ip.end, true);
		if (err)
			panic("image mapping: %s", mm_strerror(err));
	}
	err = arch_map_devices(&sys, kglobal);
	if (err)
		panic("device mappings: %s", mm_strerror(err));
	if (info->high_frames)
		kmap_init();
	mm_space_activate(mm_sys_kernel_space(&sys));
}
