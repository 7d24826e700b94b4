/*
 * mm/frame.h - the physical frame allocator.
 *
 * Manages 4 KiB frames over the physical ranges the platform hands it (the
 * Multiboot memory map in a kernel, the arena in the simulator). Each frame
 * has 8 bytes of metadata (struct mm_frame) held in a caller-provided array,
 * so the allocator itself never allocates. Free frames are kept by a buddy
 * system (Knuth, TAOCP vol. 1, 2.5): free blocks of 2^k frames, aligned to
 * 2^k frames in physical address, on one doubly linked list per order
 * threaded through that same metadata and nothing else. Single frames and
 * physically contiguous, aligned runs (mm_frame_alloc_run(): 2 MiB, 4 MiB,
 * 1 GiB large pages) come from the same pool; a freed frame merges with its
 * free buddy, order after order. Alloc and free are O(MM_FRAME_MAX_ORDER),
 * i.e. O(log n) (a lookup of the range holding a physical address is a
 * binary search over at most MM_FRAMES_MAX_RANGES ranges, a constant bound).
 * src/frame.c's header describes the layout of the links.
 *
 * In front of the buddy lists sits a small cache of free single frames
 * (a ring of at most MM_FRAME_CACHE_MAX frame indices inside struct
 * mm_frames, as Linux's per-CPU page lists): a freed frame goes there, and
 * a single-frame allocation comes from there, LIFO, so that a frame freed
 * and taken again costs no merge and no split. An empty cache is refilled
 * with one block of up to 2^MM_FRAME_CACHE_REFILL_ORDER frames; a full one
 * sends its MM_FRAME_CACHE_BATCH oldest frames back to the lists, merged.
 * A cached frame is free (MM_FRAME_FREE, counted by
 * mm_frames_free_count()) but on no list; a run allocation that finds no
 * block drains the cache and looks again, and the functions that report
 * blocks drain it first, so that they report what a run allocation sees.
 *
 * Zones (mm_frames_init_zoned()): a kernel whose direct map does not reach
 * all of RAM (i386, i386 PAE) gives the allocator a high base; the frames
 * above it form a second zone with lists and a cache of its own, from
 * which only user frames come (first), as Linux's ZONE_HIGHMEM.
 *
 * The frame size is the ISA's page size: this header is compiled once per
 * ISA like the rest of mm-core.
 */
#ifndef MM_FRAME_H
#define MM_FRAME_H

#include <mm/types.h>

#include <arch/pte.h>

/** enum mm_frame_kind - what a frame in use holds (for the counters). */
enum mm_frame_kind {
	MM_FRAME_FREE = 0,   /* free: part of a free buddy block, or cached */
	MM_FRAME_PT = 1,     /* a page table (any level, root included) */
	MM_FRAME_USER = 2,   /* user data mapped into address spaces */
	MM_FRAME_KERNEL = 3, /* allocated by the kernel for its own use */
	MM_FRAME_REGION = 4, /* mm-core's region (VMA) nodes of one space */
	MM_FRAME_NKINDS = 5,
};

/**
 * struct mm_frame - metadata of one physical frame: 8 bytes.
 * @ref_or_next: in use, the reference count (>= 1); free, the allocator's
 *               (a free-list link: see src/frame.c).
 * @kind:        an enum mm_frame_kind (MM_FRAME_FREE for every free frame).
 * @flags:       in use, 0; free, the allocator's (the order of the free
 *               block the frame heads, if it heads one).
 * @pt_used:     for a page table, its number of present entries, so that
 *               unmap can free a table it empties in O(1); free, the
 *               allocator's.
 *
 * These 8 bytes are all the allocator keeps per frame: there is no bitmap
 * beside them.
 */
struct mm_frame {
	uint32_t ref_or_next;
	uint8_t kind;
	uint8_t flags;
	uint16_t pt_used;
};

/** struct mm_phys_range - a run of usable RAM: [base, base + pages * 4 KiB). */
struct mm_phys_range {
	mm_paddr_t base; /* physical address, page aligned, never 0 */
	uint64_t pages;  /* length in 4 KiB frames */
};

/** MM_FRAMES_MAX_RANGES - at most this many RAM ranges per allocator. */
#define MM_FRAMES_MAX_RANGES 32u
/** MM_FRAME_REF_MAX - a frame's highest reference count (then -MM_EOVERFLOW). */
#define MM_FRAME_REF_MAX UINT32_MAX
/**
 * MM_FRAME_MAX_ORDER - the largest buddy block: 2^18 frames, 1 GiB of
 * 4 KiB frames (an x86_64, Sv39/Sv48 or aarch64 1 GiB page).
 */
#define MM_FRAME_MAX_ORDER 18u
/**
 * MM_FRAME_BUCKET_SHIFT - single free frames are listed per bucket of
 * 2^24 consecutive frame indices (64 GiB), with 24-bit links (src/frame.c).
 */
#define MM_FRAME_BUCKET_SHIFT 24u
/** MM_FRAME_NBUCKETS - buckets covering the 2^32 frame indices: 256. */
#define MM_FRAME_NBUCKETS (1u << (32u - MM_FRAME_BUCKET_SHIFT))
/**
 * MM_FRAME_CACHE_MAX - at most this many free single frames wait in the
 * allocator's cache (struct mm_frames' @cache) in front of the buddy lists:
 * the high-water mark. A free that finds the cache full first drains its
 * MM_FRAME_CACHE_BATCH oldest frames to the buddy lists. A power of two.
 */
#define MM_FRAME_CACHE_MAX 128u
/** MM_FRAME_CACHE_BATCH - frames drained at once when the cache is full. */
#define MM_FRAME_CACHE_BATCH 64u
/**
 * MM_FRAME_CACHE_REFILL_ORDER - an empty cache is refilled with one free
 * block of at most 2^6 = 64 frames taken from the buddy lists.
 */
#define MM_FRAME_CACHE_REFILL_ORDER 6u

/**
 * MM_FRAME_NZONES - the zones of an allocator: MM_ZONE_LOW, the frames a
 * kernel's direct map reaches, and MM_ZONE_HIGH, those above it (see
 * mm_frames_init_zoned()).
 */
#define MM_FRAME_NZONES 2u

/** enum mm_zone - a zone of physical memory (Linux's ZONE_NORMAL, ZONE_HIGHMEM). */
enum mm_zone {
	MM_ZONE_LOW = 0,  /* below the high base: every kind of frame */
	MM_ZONE_HIGH = 1, /* at or above it: MM_FRAME_USER frames only */
};

/**
 * struct mm_frame_zone - the free lists and the cache of one zone. Part of
 * struct mm_frames; opaque. Its frames are the global indices
 * [@first, @end): whole ranges, since init cuts a range at the high base.
 */
struct mm_frame_zone {
	/* First, what single-frame allocation and free touch (one cache line). */
	uint32_t first;       /* global index of its first frame */
	uint32_t end;         /* one past its last frame's global index */
	uint32_t ncached;     /* frames in the ring, 0 to MM_FRAME_CACHE_MAX */
	uint32_t cache_first; /* ring position of the oldest cached frame */
	/* The cache's fresh block: the frames [fresh, fresh_end) of the last
	 * refill not handed out yet, lowest first once the ring is empty. */
	uint32_t fresh;      /* first frame of the fresh block not handed out */
	uint32_t fresh_end;  /* one past the fresh block's last frame */
	uint32_t order_mask; /* bit k: the list of order k is not empty */
	uint32_t floor;      /* no free block of order >= 1 starts below this index */
	/*
	 * The cache of free single frames: a ring of global indices, oldest
	 * at cache[cache_first], newest (the next one out) at
	 * cache[(cache_first + ncached - 1) % MM_FRAME_CACHE_MAX].
	 */
	uint32_t cache[MM_FRAME_CACHE_MAX];
	uint32_t head[MM_FRAME_MAX_ORDER + 1]; /* index + 1 of each order's first block, 0 = none */
	uint32_t nblocks[MM_FRAME_MAX_ORDER + 1];     /* free blocks of each order */
	uint64_t bucket_mask[MM_FRAME_NBUCKETS / 64]; /* bit b: head0[b] != 0 */
	uint32_t head0[MM_FRAME_NBUCKETS]; /* index + 1 of each bucket's first single frame */
};

/** struct mm_frames - allocator state. Treat as opaque; read via functions. */
struct mm_frames {
	/* First, what every allocation and free touches: 64 bytes, one
	 * cache line (then range[0], mm_frame_get()'s fast path). */
	struct mm_frame *meta;            /* one per frame, in global index order */
	int64_t fail_countdown;           /* fault injection: see mm_frames_fail_after() */
	uint64_t nalloc_calls;            /* successful and failed allocation attempts */
	uint32_t total;                   /* frames managed */
	uint32_t nfree;                   /* frames free (in free blocks) */
	uint32_t in_use[MM_FRAME_NKINDS]; /* frames in use, by enum mm_frame_kind */
	uint32_t high_first;              /* zone[MM_ZONE_HIGH].first: @total if none */
	uint32_t high_free;               /* free frames of the high zone (0 if none) */
	struct mm_phys_range range[MM_FRAMES_MAX_RANGES]; /* sorted by base */
	uint32_t first_index[MM_FRAMES_MAX_RANGES];       /* global index */
	unsigned nranges;                                 /* ranges in @range */
	mm_paddr_t high_base; /* frames at or above it are MM_ZONE_HIGH; 0: none */
	struct mm_frame_zone zone[MM_FRAME_NZONES]; /* indexed by enum mm_zone */
};

/**
 * mm_frames_meta_bytes() - bytes of metadata mm_frames_init() needs.
 * @ranges:  usable RAM, in any order.
 * @n:       entries in @ranges.
 *
 * Return: 8 bytes per frame in @ranges (sizeof(struct mm_frame)).
 */
size_t mm_frames_meta_bytes(const struct mm_phys_range *ranges, size_t n);

/**
 * mm_frames_init() - start managing the frames of @ranges; all start free.
 * @fa:         allocator state to initialise.
 * @ranges:     usable RAM; bases page aligned and non-zero, lengths > 0,
 *              no overlaps. Copied and sorted; the caller keeps ownership.
 * @n:          number of ranges, 1 to MM_FRAMES_MAX_RANGES.
 * @meta:       storage for the metadata, suitably aligned, and not inside
 *              any range (a kernel reserves it by shrinking a range first).
 * @meta_bytes: size of @meta; at least mm_frames_meta_bytes(@ranges, @n).
 *
 * Each range is cut into the largest blocks its alignment allows (up to
 * MM_FRAME_MAX_ORDER). Frames are handed out lowest address first after
 * init. O(number of frames): every frame's metadata is written.
 *
 * Return: 0; -MM_EINVAL if a range is unaligned, empty, starts at 0,
 * overlaps another, or the ranges hold 2^32 frames or more, or @meta is too
 * small; -MM_ENOTSUP if @n exceeds MM_FRAMES_MAX_RANGES. On error @fa is
 * left unusable and nothing else is touched.
 */
int mm_frames_init(struct mm_frames *fa, const struct mm_phys_range *ranges, size_t n,
                   struct mm_frame *meta, size_t meta_bytes);

/**
 * mm_frames_init_zoned() - mm_frames_init() with a high zone: the frames at
 * or above the physical address @high_base form MM_ZONE_HIGH, those below
 * it MM_ZONE_LOW (Linux's ZONE_HIGHMEM and ZONE_NORMAL), each with its own
 * free lists and cache. A frame of kind MM_FRAME_USER comes from the high
 * zone while it has a free frame (single frames and runs alike), then from
 * the low zone; every other kind (page tables, region nodes, the kernel's
 * own frames) from the low zone only, so that those stay where a kernel's
 * direct map reaches. A run never spans the two zones, and blocks never
 * merge across @high_base. The counters (mm_frames_free_count(),
 * mm_frames_in_use(), fault injection) cover both zones.
 * @fa:         allocator state to initialise, as for mm_frames_init().
 * @ranges:     usable RAM, as for mm_frames_init().
 * @n:          number of ranges, as for mm_frames_init().
 * @meta:       metadata storage, as for mm_frames_init().
 * @meta_bytes: size of @meta, as for mm_frames_init().
 * @high_base:  page-aligned physical address, in bytes; 0 for no high
 *              zone (then this is mm_frames_init()). A range that
 *              straddles it is cut in two there.
 *
 * Return: those of mm_frames_init(); -MM_EINVAL also for an unaligned
 * @high_base; -MM_ENOTSUP also if cutting a range at @high_base makes
 * more than MM_FRAMES_MAX_RANGES ranges.
 */
int mm_frames_init_zoned(struct mm_frames *fa, const struct mm_phys_range *ranges, size_t n,
                         struct mm_frame *meta, size_t meta_bytes, mm_paddr_t high_base);

/**
 * mm_frames_zone_free() - free frames (listed or cached) in zone @zone
 * (MM_ZONE_LOW or MM_ZONE_HIGH; 0 for MM_ZONE_HIGH without a high zone).
 */
static inline uint32_t mm_frames_zone_free(const struct mm_frames *fa, enum mm_zone zone)
{
	return zone == MM_ZONE_HIGH ? fa->high_free : fa->nfree - fa->high_free;
}

/** mm_frames_zone_total() - frames managed in zone @zone, free or not. */
static inline uint32_t mm_frames_zone_total(const struct mm_frames *fa, enum mm_zone zone)
{
	return fa->zone[zone].end - fa->zone[zone].first;
}

/**
 * mm_frames_is_high() - whether the physical address @pa (bytes) lies in
 * the high zone: at or above the high base of mm_frames_init_zoned().
 */
static inline bool mm_frames_is_high(const struct mm_frames *fa, mm_paddr_t pa)
{
	return fa->high_base && pa >= fa->high_base;
}

/**
 * mm_frame_alloc() - take a free frame, with a reference count of 1.
 * @fa:   the allocator.
 * @kind: MM_FRAME_PT, MM_FRAME_USER or MM_FRAME_KERNEL.
 * @out:  receives the frame's physical address.
 *
 * The frame's contents are not cleared (see mm_sys_frame_alloc() for the
 * zeroing, poisoning-aware wrapper). The frame comes from the cache of
 * free single frames: the newest freed frame it holds (the frame freed
 * last is the next one out), else the next frame of its last refill. An
 * empty cache is first refilled with the lowest free block the allocator
 * can find in O(1) or, failing that, the lowest of the heads of its lists
 * (one per order), split down to 2^MM_FRAME_CACHE_REFILL_ORDER frames if
 * larger, and handed out lowest address first: so a fresh allocator hands
 * out frames lowest address first. O(1), or O(MM_FRAME_MAX_ORDER) when it
 * refills the cache.
 *
 * Return: 0; -MM_ENOMEM if no frame is free or fault injection fires (then
 * nothing changed but the attempt counter); -MM_EINVAL for a bad @kind.
 */
int mm_frame_alloc(struct mm_frames *fa, enum mm_frame_kind kind, mm_paddr_t *out);

/**
 * mm_frame_alloc_run() - take 2^@order physically contiguous free frames,
 * aligned to 2^@order frames in physical address, each with a reference
 * count of 1.
 * @fa:    the allocator.
 * @kind:  MM_FRAME_PT, MM_FRAME_USER, MM_FRAME_KERNEL or MM_FRAME_REGION;
 *         every frame of the run gets it (and counts in mm_frames_in_use()).
 * @order: log2 of the run's length in frames, 0 to MM_FRAME_MAX_ORDER:
 *         order 9 is a 2 MiB page of 4 KiB frames, 10 a 4 MiB (i386) page,
 *         18 a 1 GiB page.
 * @out:   receives the physical address of the run's first frame, a
 *         multiple of 2^@order * ARCH_PAGE_SIZE.
 *
 * This is a buddy system's allocation (Knuth, TAOCP vol. 1, 2.5, after
 * Knowlton): a free block of order @order or above is taken, the lowest
 * the allocator finds in O(1) (see mm_frame_alloc()), and split in halves
 * until one of 2^@order frames is left, the upper halves going back on
 * their lists. If the lists hold no block of order @order or above, the
 * cache of free single frames is drained into them (mm_frames_drain(): its
 * frames merge with their free buddies) and the lists are searched again,
 * so that frames waiting in the cache count. A run never spans two ranges; the ranges' bases need
 * not be aligned (a run is aligned in physical address, not in frame index). The frames are not
 * cleared. Each frame of the run is then a frame in use like any other: the
 * caller frees the run frame by frame with mm_frame_unref() (all at once or
 * one at a time, as a large page split into small ones drops them), and
 * the frames merge back with their buddies as they come free. Fault
 * injection (mm_frames_fail_after()) counts the run as one allocation.
 * mm_frame_alloc_run(fa, kind, 0, out) is mm_frame_alloc(fa, kind, out):
 * it takes the frame from the cache.
 *
 * Cost: O(MM_FRAME_MAX_ORDER) to find and split the block, plus
 * O(2^@order) to write the run's metadata (each frame's reference count),
 * plus, if the cache is drained, mm_frames_drain()'s.
 *
 * Return: 0; -MM_ENOMEM if no free, aligned run of that length exists
 * even after draining the cache (even if that many frames are free,
 * scattered) or fault injection fires (then the cache is not drained):
 * then nothing changed but the attempt counter and where the cached frames
 * are kept (on the lists, merged, if a drain happened: a difference no
 * accounting function shows, since those drain first); -MM_EINVAL for a
 * bad @kind or @order > MM_FRAME_MAX_ORDER (nothing changed, not counted).
 */
int mm_frame_alloc_run(struct mm_frames *fa, enum mm_frame_kind kind, unsigned order,
                       mm_paddr_t *out);

/* The general lookup behind mm_frame_get(): a binary search of the ranges. */
struct mm_frame *mm_frame_get_slow(const struct mm_frames *fa, mm_paddr_t pa);

/**
 * mm_frame_get() - metadata of the managed frame holding @pa.
 * Inline fast path for the lowest range (often the only one), then a
 * binary search of the others.
 * Return: the metadata, or NULL if @pa is outside every range (e.g. MMIO).
 */
static inline struct mm_frame *mm_frame_get(const struct mm_frames *fa, mm_paddr_t pa)
{
	uint64_t off = (pa - fa->range[0].base) >> ARCH_PAGE_SHIFT;
	if (pa >= fa->range[0].base && off < fa->range[0].pages)
		return &fa->meta[off];
	return mm_frame_get_slow(fa, pa);
}

/**
 * mm_frame_ref() - take one more reference to the in-use frame at @pa.
 * Return: 0; -MM_EOVERFLOW if the count is already MM_FRAME_REF_MAX (it
 * does not change); -MM_EINVAL if @pa is not a managed frame in use.
 */
int mm_frame_ref(struct mm_frames *fa, mm_paddr_t pa);

/**
 * mm_frame_unref() - drop one reference to the in-use frame at @pa; when
 * the count reaches 0 the frame is free and goes to the cache of free
 * single frames, in O(1). If the cache is full, its MM_FRAME_CACHE_BATCH
 * oldest frames first go back to the buddy lists, each merged with its
 * buddy block if that is free, and so on up (at most MM_FRAME_MAX_ORDER
 * merges per frame, each O(1); contiguous cached frames go back as whole
 * blocks).
 * Precondition: @pa is a managed frame in use (an assertion otherwise: a
 * double free is a broken invariant, not a caller error).
 *
 * Return: the references left (0: the frame is now free).
 */
uint32_t mm_frame_unref(struct mm_frames *fa, mm_paddr_t pa);

/**
 * mm_frame_ref_meta() - mm_frame_ref() for a caller that already holds the
 * frame's metadata @f (from mm_frame_get()): no lookup. Same errors.
 */
int mm_frame_ref_meta(struct mm_frame *f);

/**
 * mm_frame_unref_meta() - mm_frame_unref() given the metadata @f of a frame
 * of @fa in use: no lookup. Return: the references left.
 */
uint32_t mm_frame_unref_meta(struct mm_frames *fa, struct mm_frame *f);

/**
 * mm_frames_free_count() - frames free: on the buddy lists or in the cache
 * of free single frames (both are free to every caller). O(1), no drain.
 */
static inline uint32_t mm_frames_free_count(const struct mm_frames *fa)
{
	return fa->nfree;
}

/** mm_frames_total() - frames managed. */
static inline uint32_t mm_frames_total(const struct mm_frames *fa)
{
	return fa->total;
}

/** mm_frames_in_use() - frames in use of @kind. */
static inline uint32_t mm_frames_in_use(const struct mm_frames *fa, enum mm_frame_kind kind)
{
	return fa->in_use[kind];
}

/**
 * mm_frames_drain() - send every frame of the cache of free single frames
 * back to the buddy lists, merged with its free buddies (contiguous cached
 * frames go back as whole blocks). Changes no count: the frames were free
 * and stay free. Called by mm_frame_alloc_run() when it finds no block, and
 * by mm_frames_free_blocks() and mm_frames_largest_free_order().
 * O((MM_FRAME_CACHE_MAX + 2^MM_FRAME_CACHE_REFILL_ORDER) * MM_FRAME_MAX_ORDER)
 * at most; O(1) if the cache is empty.
 */
void mm_frames_drain(struct mm_frames *fa);

/**
 * mm_frames_cached() - free single frames in the caches of all zones,
 * 0 to MM_FRAME_NZONES * (MM_FRAME_CACHE_MAX +
 * 2^MM_FRAME_CACHE_REFILL_ORDER).
 */
static inline uint32_t mm_frames_cached(const struct mm_frames *fa)
{
	uint32_t n = 0;
	for (unsigned z = 0; z < MM_FRAME_NZONES; z++)
		n += fa->zone[z].ncached + (fa->zone[z].fresh_end - fa->zone[z].fresh);
	return n;
}

/**
 * mm_frames_free_blocks() - free blocks of exactly 2^@order frames (each
 * one on the list of its order), in all zones, 0 for @order >
 * MM_FRAME_MAX_ORDER.
 * Drains the cache of free single frames first (mm_frames_drain()), so the
 * blocks are those of a buddy system that merges every free frame at once:
 * maximal, and what mm_frame_alloc_run() can take. The sum over the orders
 * of blocks * 2^order is mm_frames_free_count(). O(1) after the drain.
 */
static inline uint32_t mm_frames_free_blocks(struct mm_frames *fa, unsigned order)
{
	if (mm_frames_cached(fa))
		mm_frames_drain(fa);
	if (order > MM_FRAME_MAX_ORDER)
		return 0;
	uint32_t n = 0;
	for (unsigned z = 0; z < MM_FRAME_NZONES; z++)
		n += fa->zone[z].nblocks[order];
	return n;
}

/**
 * mm_frames_largest_free_order() - the order of the largest free block in
 * any zone: mm_frame_alloc_run() of MM_FRAME_USER frames succeeds for
 * every order up to it (fault injection aside) and fails for every order
 * above it (other kinds see the low zone only: mm_frames_zone_free()). Drains the cache of free
 * single frames first (mm_frames_drain()), as a failing run allocation
 * would. O(1) after the drain.
 * Return: 0 to MM_FRAME_MAX_ORDER, or -1 if no frame is free.
 */
int mm_frames_largest_free_order(struct mm_frames *fa);

/**
 * mm_frames_fail_after() - fault injection for tests: let the next @n
 * allocation attempts succeed (if frames are free) and make the one after
 * them fail with -MM_ENOMEM, then every one after that until the call is
 * repeated. @n < 0 turns injection off (the default).
 */
void mm_frames_fail_after(struct mm_frames *fa, int64_t n);

/**
 * mm_frames_index() - global index of the managed frame at @pa, in
 * 0 .. mm_frames_total() - 1, or UINT32_MAX if @pa is not managed.
 */
uint32_t mm_frames_index(const struct mm_frames *fa, mm_paddr_t pa);

/** mm_frames_paddr() - physical address of the frame with global @index. */
mm_paddr_t mm_frames_paddr(const struct mm_frames *fa, uint32_t index);

#endif /* MM_FRAME_H */
