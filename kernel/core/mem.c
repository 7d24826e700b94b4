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

static const struct mm_mach_ops kernel_ops = {
	.phys_to_virt = hook_phys_to_virt,
	.activate = hook_activate,
	.read_root = hook_read_root,
	.invalidate_page = hook_invalidate_page,
	.flush_all = hook_flush_all,
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

/* The physical address below which the kernel uses RAM, and why not above:
 * its direct map's reach (i386: 896 MiB, no highmem), or what the boot page
 * tables can hold: before mm-core's kernel space is active, the frame
 * metadata (8 bytes per frame) and the direct map's page tables (an entry
 * per frame) are written through the boot mapping (ARCH_BOOT_MAP_BYTES),
 * of which an eighth is kept for the image, low memory and the rest. A
 * "mem=<n>M" or "mem=<n>G" on the command line lowers it to
 * amount_limit() of that many bytes. */
static uint64_t ram_limit(const struct boot_info *bi, const char *cmdline, const char **why)
{
	const uint64_t per_frame = sizeof(struct mm_frame) + sizeof(arch_pte_t);
	const uint64_t boot_cap =
	        (ARCH_BOOT_MAP_BYTES - ARCH_BOOT_MAP_BYTES / 8) / per_frame * ARCH_PAGE_SIZE;
	uint64_t limit = ARCH_DIRECT_MAP_MAX;
	*why = "beyond the kernel's direct map (no highmem support)";
	if (boot_cap < limit) {
		limit = boot_cap;
		*why = "its frame metadata and direct-map page tables would not fit in the "
		       "boot page tables' reach";
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
	return limit;
}

void mem_init(const struct boot_info *bi, struct mem_info *info)
{
	*info = (struct mem_info){ .source = bi->source };
	for (size_t i = 0; i < sizeof(info->cmdline); i++)
		info->cmdline[i] = bi->cmdline[i];
	info->cmdline[sizeof(info->cmdline) - 1] = 0;

	const char *why;
	ram_limit_pa = ram_limit(bi, info->cmdline, &why);
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
		    spans[i].lo + meta_bytes <= ARCH_BOOT_MAP_BYTES)
			meta_pa = spans[i].lo;
	if (!meta_pa)
		panic("no room for %zu bytes of frame metadata", meta_bytes);
	span_remove(meta_pa, meta_pa + meta_bytes);
	for (unsigned i = 0; i < nspans; i++)
		ranges[i] = (struct mm_phys_range){ spans[i].lo,
			                            (spans[i].hi - spans[i].lo) / ARCH_PAGE_SIZE };

	int err = mm_sys_init(&sys, &kernel_ops, NULL, ranges, nspans, phys_to_virt(meta_pa),
	                      meta_bytes, 0);
	if (err)
		panic("mm_sys_init: %s", mm_strerror(err));
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
		if (lo >= ram_limit_pa)
			continue;
		if (hi > ram_limit_pa)
			hi = ram_limit_pa;
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
	mm_space_activate(mm_sys_kernel_space(&sys));
}
