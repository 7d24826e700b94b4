/*
 * Physical frame allocator: a buddy system (Knuth, TAOCP vol. 1, 2.5)
 * whose free lists are threaded through the 8-byte per-frame metadata and
 * nothing else. See <mm/frame.h> for the contract.
 *
 * Blocks. A free block of order k is 2^k frames of one range whose first
 * physical frame number is a multiple of 2^k (alignment is on the physical
 * address, so a range with an unaligned base starts with small blocks). Its
 * buddy is the block of the same order at frame number (pfn ^ 2^k), if that
 * lies wholly inside the same range. Every frame of a free block has kind
 * MM_FRAME_FREE; the first one, the head, has flags HEAD | k, and every
 * other free frame has flags 0, as has every frame in use. Blocks are
 * maximal: two free buddies of order k < MM_FRAME_MAX_ORDER are always
 * merged, so a free buddy of a block being freed is always the head of a
 * block of its order or smaller, and checking one frame's flags is enough.
 *
 * Lists. Each order has a doubly linked list, so that a free buddy can be
 * taken out of the middle of it in O(1) when it merges:
 *  - order k >= 1: the head's ref_or_next holds the index + 1 of the next
 *    block's head (0: none), and the second frame's ref_or_next the index
 *    + 1 of the previous one (0: none); fa->head[k] is the first block.
 *  - order 0 has only the one frame's 56 spare bits (kind must stay
 *    MM_FRAME_FREE), too few for two 32-bit indices. So single frames are
 *    listed per bucket of 2^24 consecutive indices (fa->head0[], with a
 *    bitmap of the non-empty buckets), and the links are 24-bit offsets
 *    inside the bucket: next in ref_or_next bits 0-23, previous in
 *    ref_or_next bits 24-31 (high 8 bits) and pt_used (low 16 bits), and a
 *    link to the frame itself ends the list. Below 64 GiB there is one
 *    bucket.
 *
 * The cache of free single frames. A buddy system alone splits a block on
 * almost every single-frame allocation and merges it back on the free,
 * where a LIFO list touches one frame: 4x slower on alloc/free churn. So,
 * as Linux's per-CPU page lists, single frames go through a cache in front
 * of the lists, of two parts, both in struct mm_frames:
 *  - the ring: up to MM_FRAME_CACHE_MAX global indices of freed frames
 *    (fa->cache, oldest at fa->cache_first). A ring inside the allocator
 *    rather than a list threaded through the frames' links: the free
 *    frames' 8 bytes have no room for a third set of links beside the
 *    order-0 ones, a push or pop touches no other frame's metadata, the
 *    oldest frames (the drain's) are at the other end in O(1), and a
 *    drain reads its batch from one array. 512 bytes, whatever the number
 *    of frames.
 *  - the fresh block: [fa->fresh, fa->fresh_end), what is left of the last
 *    refill, handed out lowest first without being written anywhere.
 * A cached frame has kind MM_FRAME_FREE and flags 0 (so no merge takes it
 * for a free block) and counts in fa->nfree; it is on no list, so the
 * blocks beside it are not maximal while it waits. Free pushes the frame
 * on the ring; a full ring first drains its MM_FRAME_CACHE_BATCH oldest
 * frames. Alloc of order 0 pops the newest frame of the ring, else takes
 * the next fresh one, else refills: the block the policy below picks for
 * order 0, split down to 2^MM_FRAME_CACHE_REFILL_ORDER frames at most,
 * becomes the fresh block. A drain frees frames as spans: consecutive ring
 * entries with consecutive indices (ascending or descending, as frames
 * freed in order or in reverse come) make one span, cut into the largest
 * aligned blocks inside one range as init cuts a range, each freed with
 * its merges; so a batch that is one 64-frame block costs one merge chain,
 * not 64. A periodic drain whose batch ends inside a span that the ring
 * goes on with stops at the span's last frame aligned to
 * MM_FRAME_CACHE_BATCH (batch_end()), so that batches of a long span stay
 * aligned blocks. Everything that must see the blocks (a run allocation
 * that found none, mm_frames_free_blocks(), mm_frames_largest_free_order())
 * drains the whole cache first.
 *
 * Metadata accounting: 8 bytes per frame in all (struct mm_frame), and a
 * fixed ~1.5 KiB in struct mm_frames (list heads, bucket bitmap, counters,
 * the cache's ring), whatever the number of frames. The free frames'
 * memory is never read or written.
 *
 * Policy: the lowest block that can serve the request, as far as O(1)
 * can tell (index order is address order). fa->floor is an index below
 * which no free block of order >= 1 starts: a push lowers it, and removing
 * the block that starts at it raises it past that block (the others are
 * disjoint from it, so above). An allocation of order k takes the lowest
 * bucket's first single frame if k = 0 and that frame is below the floor;
 * else the block at the floor if one of order >= max(k, 1) starts there;
 * else the lowest of the heads of the lists of orders k and above. The
 * block is split, the upper halves pushed on their lists. Lists are LIFO,
 * and init pushes each order's blocks highest first, so a fresh allocator
 * hands out lowest address first (through the cache, which hands out a
 * refill lowest first), and a freed frame comes out next (the cache). Alloc: at most
 * MM_FRAME_MAX_ORDER + 4 head reads and MM_FRAME_MAX_ORDER splits; free: at most MM_FRAME_MAX_ORDER
 * merges, each O(1) (plus the range lookup, 5 steps for 32 ranges).
 */
#include <mm/frame.h>

#include <arch/pte.h>

#include "assert.h"

_Static_assert(sizeof(struct mm_frame) == 8, "8 bytes of metadata per frame");
_Static_assert(MM_FRAME_MAX_ORDER < 32, "order_mask has a bit per order");

#define HEAD     0x80u                               /* flags: heads a free block */
#define OFF_MASK ((1u << MM_FRAME_BUCKET_SHIFT) - 1) /* offset in a bucket */

size_t mm_frames_meta_bytes(const struct mm_phys_range *ranges, size_t n)
{
	uint64_t frames = 0;
	for (size_t i = 0; i < n; i++)
		frames += ranges[i].pages;
	return (size_t)(frames * sizeof(struct mm_frame));
}

/* --- Order-0 lists: per bucket, 24-bit offsets, a self link ends them. --- */

static inline uint32_t next0(const struct mm_frame *f)
{
	return f->ref_or_next & OFF_MASK;
}

static inline uint32_t prev0(const struct mm_frame *f)
{
	return (f->ref_or_next >> MM_FRAME_BUCKET_SHIFT) << 16 | f->pt_used;
}

static inline void set_next0(struct mm_frame *f, uint32_t off)
{
	f->ref_or_next = (f->ref_or_next & ~OFF_MASK) | off;
}

static inline void set_prev0(struct mm_frame *f, uint32_t off)
{
	f->ref_or_next = (f->ref_or_next & OFF_MASK) | (off >> 16) << MM_FRAME_BUCKET_SHIFT;
	f->pt_used = (uint16_t)off;
}

static void push0(struct mm_frames *fa, struct mm_frame_zone *z, uint32_t idx)
{
	uint32_t b = idx >> MM_FRAME_BUCKET_SHIFT, off = idx & OFF_MASK;
	struct mm_frame *f = &fa->meta[idx];
	*f = (struct mm_frame){ .kind = MM_FRAME_FREE, .flags = HEAD };
	set_prev0(f, off);
	if (z->head0[b]) {
		uint32_t old = z->head0[b] - 1;
		set_next0(f, old & OFF_MASK);
		set_prev0(&fa->meta[old], off);
	} else {
		set_next0(f, off);
		z->bucket_mask[b / 64] |= UINT64_C(1) << (b % 64);
	}
	z->head0[b] = idx + 1;
	z->order_mask |= 1u;
	z->nblocks[0]++;
}

static void remove0(struct mm_frames *fa, struct mm_frame_zone *z, uint32_t idx)
{
	uint32_t b = idx >> MM_FRAME_BUCKET_SHIFT, base = b << MM_FRAME_BUCKET_SHIFT;
	uint32_t off = idx & OFF_MASK;
	struct mm_frame *f = &fa->meta[idx];
	uint32_t n = next0(f), p = prev0(f);
	if (p == off) { /* first */
		if (n == off) {
			z->head0[b] = 0;
			z->bucket_mask[b / 64] &= ~(UINT64_C(1) << (b % 64));
		} else {
			z->head0[b] = base + n + 1;
			set_prev0(&fa->meta[base + n], n);
		}
	} else {
		set_next0(&fa->meta[base + p], n == off ? p : n);
		if (n != off)
			set_prev0(&fa->meta[base + n], p);
	}
	f->flags = 0;
	if (--z->nblocks[0] == 0)
		z->order_mask &= ~1u;
}

/* Index of the first free single frame of the lowest non-empty bucket. */
static uint32_t first0(const struct mm_frame_zone *z)
{
	for (unsigned w = 0;; w++)
		if (z->bucket_mask[w])
			return z->head0[w * 64 + (unsigned)__builtin_ctzll(z->bucket_mask[w])] - 1;
}

/* --- Lists of order >= 1: links in the head and in the second frame. --- */

static inline __attribute__((always_inline)) void
push(struct mm_frames *fa, struct mm_frame_zone *z, uint32_t idx, unsigned k)
{
	if (k == 0) {
		push0(fa, z, idx);
		return;
	}
	uint32_t old = z->head[k];
	fa->meta[idx] = (struct mm_frame){ .ref_or_next = old,
		                           .kind = MM_FRAME_FREE,
		                           .flags = (uint8_t)(HEAD | k) };
	fa->meta[idx + 1] = (struct mm_frame){ .ref_or_next = 0, .kind = MM_FRAME_FREE };
	if (old)
		fa->meta[old].ref_or_next = idx + 1; /* old - 1 + 1: its second frame */
	z->head[k] = idx + 1;
	if (idx < z->floor)
		z->floor = idx;
	z->order_mask |= 1u << k;
	z->nblocks[k]++;
}

static inline __attribute__((always_inline)) void
remove_block(struct mm_frames *fa, struct mm_frame_zone *z, uint32_t idx, unsigned k)
{
	if (k == 0) {
		remove0(fa, z, idx);
		return;
	}
	struct mm_frame *f = &fa->meta[idx];
	uint32_t n = f->ref_or_next, p = fa->meta[idx + 1].ref_or_next;
	if (p)
		fa->meta[p - 1].ref_or_next = n;
	else
		z->head[k] = n;
	if (n)
		fa->meta[n].ref_or_next = p; /* n - 1 + 1: the next block's second frame */
	f->flags = 0;
	if (idx == z->floor) /* the others are disjoint from it, so above it */
		z->floor = idx + (1u << k);
	if (--z->nblocks[k] == 0)
		z->order_mask &= ~(1u << k);
}

/* The zone holding global frame index @idx (a zone is whole ranges). */
static inline struct mm_frame_zone *zone_of(struct mm_frames *fa, uint32_t idx)
{
	return &fa->zone[idx >= fa->high_first ? MM_ZONE_HIGH : MM_ZONE_LOW];
}

int mm_frames_init_zoned(struct mm_frames *fa, const struct mm_phys_range *ranges, size_t n,
                         struct mm_frame *meta, size_t meta_bytes, mm_paddr_t high_base)
{
	if (n > MM_FRAMES_MAX_RANGES)
		return -MM_ENOTSUP;
	if (n == 0 || !ranges || !meta || (high_base & (ARCH_PAGE_SIZE - 1)))
		return -MM_EINVAL;

	*fa = (struct mm_frames){ 0 };
	fa->fail_countdown = -1;
	fa->high_base = high_base;

	/* Copy, validate, and insertion-sort by base (n is small). */
	uint64_t frames = 0;
	for (size_t i = 0; i < n; i++) {
		struct mm_phys_range r = ranges[i];
		if (r.base == 0 || (r.base & (ARCH_PAGE_SIZE - 1)) || r.pages == 0 ||
		    r.pages > UINT32_MAX || r.base + r.pages * ARCH_PAGE_SIZE < r.base)
			return -MM_EINVAL;
		size_t j = i;
		while (j > 0 && fa->range[j - 1].base > r.base) {
			fa->range[j] = fa->range[j - 1];
			j--;
		}
		fa->range[j] = r;
		frames += r.pages;
	}
	if (frames >= UINT32_MAX)
		return -MM_EINVAL;
	for (size_t i = 1; i < n; i++) {
		const struct mm_phys_range *p = &fa->range[i - 1];
		if (p->base + p->pages * ARCH_PAGE_SIZE > fa->range[i].base)
			return -MM_EINVAL; /* overlap */
	}
	if (meta_bytes < frames * sizeof(struct mm_frame))
		return -MM_EINVAL;
	/* A range across the high base becomes two, one per zone. */
	for (size_t i = 0; high_base && i < n; i++) {
		struct mm_phys_range *r = &fa->range[i];
		if (r->base >= high_base || r->base + r->pages * ARCH_PAGE_SIZE <= high_base)
			continue;
		if (n == MM_FRAMES_MAX_RANGES)
			return -MM_ENOTSUP;
		for (size_t j = n; j > i + 1; j--)
			fa->range[j] = fa->range[j - 1];
		uint64_t low = (high_base - r->base) >> ARCH_PAGE_SHIFT;
		fa->range[i + 1] = (struct mm_phys_range){ high_base, r->pages - low };
		r->pages = low;
		n++;
		break; /* sorted and disjoint: no other range crosses it */
	}

	fa->nranges = (unsigned)n;
	fa->meta = meta;
	fa->total = (uint32_t)frames;
	uint32_t idx = 0, high_first = fa->total;
	for (unsigned i = 0; i < fa->nranges; i++) {
		fa->first_index[i] = idx;
		if (high_base && fa->range[i].base >= high_base && high_first == fa->total)
			high_first = idx;
		idx += (uint32_t)fa->range[i].pages;
	}
	fa->zone[MM_ZONE_LOW].end = high_first;
	fa->zone[MM_ZONE_HIGH].first = high_first;
	fa->high_first = high_first;
	fa->zone[MM_ZONE_HIGH].end = fa->total;
	for (unsigned z = 0; z < MM_FRAME_NZONES; z++)
		fa->zone[z].floor = UINT32_MAX;
	fa->high_free = fa->total - high_first;
	for (uint32_t i = 0; i < fa->total; i++)
		meta[i] = (struct mm_frame){ .kind = MM_FRAME_FREE };
	/*
	 * Cut each range into maximal aligned blocks, from the top of the
	 * highest range down: each push goes on the head of its list, so every
	 * list ends up in ascending address order.
	 */
	for (unsigned i = fa->nranges; i-- > 0;) {
		struct mm_frame_zone *z = zone_of(fa, fa->first_index[i]);
		uint64_t lo = fa->range[i].base >> ARCH_PAGE_SHIFT;
		uint64_t end = lo + fa->range[i].pages;
		while (end > lo) {
			unsigned k = MM_FRAME_MAX_ORDER;
			while ((end & ((UINT64_C(1) << k) - 1)) || end - lo < (UINT64_C(1) << k))
				k--;
			end -= UINT64_C(1) << k;
			push(fa, z, fa->first_index[i] + (uint32_t)(end - lo), k);
		}
	}
	fa->nfree = fa->total;
	return 0;
}

int mm_frames_init(struct mm_frames *fa, const struct mm_phys_range *ranges, size_t n,
                   struct mm_frame *meta, size_t meta_bytes)
{
	return mm_frames_init_zoned(fa, ranges, n, meta, meta_bytes, 0);
}

/* Index of the range holding global frame index @idx (binary search). */
static unsigned range_of_index(const struct mm_frames *fa, uint32_t idx)
{
	unsigned lo = 0, hi = fa->nranges;
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (fa->first_index[mid] <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

mm_paddr_t mm_frames_paddr(const struct mm_frames *fa, uint32_t index)
{
	unsigned r = range_of_index(fa, index);
	return fa->range[r].base + (uint64_t)(index - fa->first_index[r]) * ARCH_PAGE_SIZE;
}

uint32_t mm_frames_index(const struct mm_frames *fa, mm_paddr_t pa)
{
	unsigned lo = 0, hi = fa->nranges;
	if (hi == 0 || pa < fa->range[0].base)
		return UINT32_MAX;
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (fa->range[mid].base <= pa)
			lo = mid;
		else
			hi = mid;
	}
	const struct mm_phys_range *r = &fa->range[lo];
	uint64_t off = (pa - r->base) >> ARCH_PAGE_SHIFT;
	if (off >= r->pages)
		return UINT32_MAX;
	return fa->first_index[lo] + (uint32_t)off;
}

struct mm_frame *mm_frame_get_slow(const struct mm_frames *fa, mm_paddr_t pa)
{
	uint32_t i = mm_frames_index(fa, pa);
	return i == UINT32_MAX ? NULL : &fa->meta[i];
}

void mm_frames_fail_after(struct mm_frames *fa, int64_t n)
{
	fa->fail_countdown = n;
}

/*
 * Free the 2^@k frames at offset @off of range @r (aligned to 2^@k in frame
 * number, every one free and on no list): merge the block with its free
 * buddies, order after order, then list it in the range's zone.
 */
static void free_block(struct mm_frames *fa, unsigned r, uint64_t off, unsigned k)
{
	struct mm_frame_zone *z = zone_of(fa, fa->first_index[r]);
	uint64_t lo = fa->range[r].base >> ARCH_PAGE_SHIFT;
	uint64_t pages = fa->range[r].pages;
	for (; k < MM_FRAME_MAX_ORDER; k++) {
		uint64_t size = UINT64_C(1) << k;
		uint64_t boff = ((lo + off) ^ size) - lo; /* wraps if below lo */
		if (boff >= pages || pages - boff < size)
			break; /* the buddy is not (wholly) in this range */
		uint32_t b = fa->first_index[r] + (uint32_t)boff;
		const struct mm_frame *bf = &fa->meta[b];
		if (bf->kind != MM_FRAME_FREE || bf->flags != (HEAD | k))
			break;
		remove_block(fa, z, b, k);
		if (boff < off)
			off = boff;
	}
	push(fa, z, fa->first_index[r] + (uint32_t)off, k);
}

/*
 * Free the @n frames of global indices @idx .. @idx + @n - 1 (every one
 * free and on no list; they may span ranges): cut them into the largest
 * blocks aligned in frame number inside one range, as init cuts a range,
 * and free each with its merges.
 */
static void free_span(struct mm_frames *fa, uint32_t idx, uint32_t n)
{
	while (n) {
		unsigned r = range_of_index(fa, idx);
		uint64_t off = idx - fa->first_index[r];
		uint64_t pfn = (fa->range[r].base >> ARCH_PAGE_SHIFT) + off;
		uint64_t room = fa->range[r].pages - off;
		if (room > n)
			room = n;
		unsigned k = pfn ? (unsigned)__builtin_ctzll(pfn) : MM_FRAME_MAX_ORDER;
		if (k > MM_FRAME_MAX_ORDER)
			k = MM_FRAME_MAX_ORDER;
		while (k > 0 && (UINT64_C(1) << k) > room) /* room >= 1 */
			k--;
		free_block(fa, r, off, k);
		idx += 1u << k;
		n -= 1u << k;
	}
}

#define CACHE_MASK (MM_FRAME_CACHE_MAX - 1)
_Static_assert((MM_FRAME_CACHE_MAX & CACHE_MASK) == 0, "the ring's size is a power of two");
_Static_assert(MM_FRAME_CACHE_BATCH >= 1 && MM_FRAME_CACHE_BATCH <= MM_FRAME_CACHE_MAX &&
                       (MM_FRAME_CACHE_BATCH & (MM_FRAME_CACHE_BATCH - 1)) == 0,
               "a drain batch fits in the ring, a power of two");
_Static_assert(MM_FRAME_CACHE_REFILL_ORDER <= MM_FRAME_MAX_ORDER, "a refill is one block");

/*
 * How many of the @n oldest frames of @z's ring a periodic drain should
 * take: all, unless the batch ends inside a span that the frame after it
 * continues (frames freed in order, or in reverse), the span ending with
 * the frames [lo, hi] in order. Then the frames of the span past its last
 * frame number aligned to MM_FRAME_CACHE_BATCH stay in the ring, to go
 * back later with the rest of their block rather than be cut off from it.
 */
static uint32_t batch_end(const struct mm_frames *fa, const struct mm_frame_zone *z, uint32_t n)
{
	const uint32_t first = z->cache_first, a = MM_FRAME_CACHE_BATCH;
	if (n >= z->ncached || n < 2)
		return n;
	uint32_t last = z->cache[(first + n - 1) & CACHE_MASK];
	uint32_t next = z->cache[(first + n) & CACHE_MASK];
	int step = next == last - 1 ? -1 : next == last + 1 ? 1 : 0;
	if (!step)
		return n;
	unsigned r = range_of_index(fa, last);
	/* frame number - index, modulo 2^32: its low bits give the alignment */
	uint32_t delta = (uint32_t)(fa->range[r].base >> ARCH_PAGE_SHIFT) - fa->first_index[r];
	uint32_t keep = step < 0 ? (a - ((last + delta) & (a - 1))) & (a - 1)
	                         : (last + 1 + delta) & (a - 1);
	if (keep >= n)
		return n;
	for (uint32_t j = 1; j < keep; j++)
		if (z->cache[(first + n - 1 - j) & CACHE_MASK] != last - (uint32_t)step * j)
			return n; /* not one span in order: drain it all */
	return n - keep;
}

/* Send the @n oldest frames of @z's ring back to the lists, as spans. */
static void drain_oldest(struct mm_frames *fa, struct mm_frame_zone *z, uint32_t n)
{
	MM_ASSERT(n <= z->ncached);
	const uint32_t first = z->cache_first;
	uint32_t i = 0;
	while (i < n) {
		uint32_t lo = z->cache[(first + i) & CACHE_MASK], hi = lo;
		/* The common case first: frames freed in reverse order. */
		for (i++; i < n && z->cache[(first + i) & CACHE_MASK] == lo - 1; i++)
			lo--;
		for (; i < n; i++) {
			uint32_t x = z->cache[(first + i) & CACHE_MASK];
			if (x == lo - 1)
				lo = x;
			else if (x == hi + 1)
				hi = x;
			else
				break;
		}
		free_span(fa, lo, hi - lo + 1);
	}
	z->cache_first = (first + n) & CACHE_MASK;
	z->ncached -= n;
}

/* Drain @z's cache: its ring and its fresh block. */
static void drain_zone(struct mm_frames *fa, struct mm_frame_zone *z)
{
	if (z->ncached)
		drain_oldest(fa, z, z->ncached);
	if (z->fresh != z->fresh_end)
		free_span(fa, z->fresh, z->fresh_end - z->fresh);
	z->fresh = z->fresh_end = 0;
}

void mm_frames_drain(struct mm_frames *fa)
{
	for (unsigned z = 0; z < MM_FRAME_NZONES; z++)
		drain_zone(fa, &fa->zone[z]);
}

int mm_frames_largest_free_order(struct mm_frames *fa)
{
	mm_frames_drain(fa);
	uint32_t mask = 0;
	for (unsigned z = 0; z < MM_FRAME_NZONES; z++)
		mask |= fa->zone[z].order_mask;
	return mask ? 31 - __builtin_clz(mask) : -1;
}

/*
 * The head of @z's lowest block of order >= max(@order, 1), or of order 0
 * too if @order is 0, as far as O(1) can tell: the lowest bucket's first
 * single frame if @order is 0 and it lies below z->floor; else the block
 * at z->floor if one of a large enough order starts there (it is then the
 * lowest of all blocks of order >= 1); else the lowest-addressed head among
 * the lists of orders >= @order. An empty list's head is 0, so head - 1 is
 * UINT32_MAX: that loop needs no branch on emptiness. Precondition: a
 * block of order @order or above is listed in @z. The winner's flags give
 * its order.
 */
static uint32_t pick_block(const struct mm_frames *fa, const struct mm_frame_zone *z,
                           unsigned order)
{
	uint32_t idx = UINT32_MAX;
	if (order == 0 && (z->order_mask & 1u)) {
		idx = first0(z);
		if (idx < z->floor)
			return idx;
	}
	if (z->floor < z->end) {
		const struct mm_frame *f = &fa->meta[z->floor];
		unsigned fk = f->flags & ~HEAD;
		if (f->kind == MM_FRAME_FREE && (f->flags & HEAD) && fk >= order && fk >= 1)
			return z->floor;
	}
	for (unsigned j = order > 1 ? order : 1; j <= MM_FRAME_MAX_ORDER; j++) {
		uint32_t h = z->head[j] - 1;
		idx = h < idx ? h : idx;
	}
	return idx;
}

/* Take the block at @idx off @z's list and split it down to order @order,
 * the upper halves going back on their lists. Return: its order before. */
static unsigned take_block(struct mm_frames *fa, struct mm_frame_zone *z, uint32_t idx,
                           unsigned order)
{
	unsigned k = fa->meta[idx].flags & ~HEAD, was = k;
	MM_ASSERT(fa->meta[idx].kind == MM_FRAME_FREE && (fa->meta[idx].flags & HEAD) &&
	          k >= order);
	remove_block(fa, z, idx, k);
	while (k > order) {
		k--;
		push(fa, z, idx + (1u << k), k);
	}
	return was;
}

/*
 * Refill @z's empty cache with the block pick_block(fa, z, 0) finds, split
 * down to at most 2^MM_FRAME_CACHE_REFILL_ORDER frames: it becomes the
 * fresh block, handed out lowest frame first. Return: false if no frame
 * is listed in @z.
 */
static bool refill(struct mm_frames *fa, struct mm_frame_zone *z)
{
	if (!z->order_mask)
		return false;
	uint32_t idx = pick_block(fa, z, 0);
	unsigned k = fa->meta[idx].flags & ~HEAD;
	if (k > MM_FRAME_CACHE_REFILL_ORDER)
		k = MM_FRAME_CACHE_REFILL_ORDER;
	take_block(fa, z, idx, k);
	z->fresh = idx;
	z->fresh_end = idx + (1u << k);
	return true;
}

/* The end of every successful allocation: the run at @idx of @z is in use. */
static inline void hand_out(struct mm_frames *fa, struct mm_frame_zone *z, enum mm_frame_kind kind,
                            uint32_t idx, uint32_t len, mm_paddr_t *out)
{
	for (uint32_t i = 0; i < len; i++)
		fa->meta[idx + i] = (struct mm_frame){ .ref_or_next = 1, .kind = (uint8_t)kind };
	fa->nfree -= len;
	if (z != &fa->zone[MM_ZONE_LOW])
		fa->high_free -= len;
	fa->in_use[kind] += len;
	/* The lowest range (often the only one) without the search. */
	*out = idx < fa->range[0].pages ? fa->range[0].base + (mm_paddr_t)idx * ARCH_PAGE_SIZE
	                                : mm_frames_paddr(fa, idx);
}

static int alloc_refill(struct mm_frames *fa, struct mm_frame_zone *z, enum mm_frame_kind kind,
                        mm_paddr_t *out);

/* A single frame from @z's cache, refilled if empty (fault injection
 * checked by the caller). Inlined with @z a constant for the low zone:
 * the fast path's addresses then need no zone arithmetic. */
static inline __attribute__((always_inline)) int
alloc_from(struct mm_frames *fa, struct mm_frame_zone *z, enum mm_frame_kind kind, mm_paddr_t *out)
{
	uint32_t idx;
	if (z->ncached)
		idx = z->cache[(z->cache_first + --z->ncached) & CACHE_MASK];
	else if (z->fresh != z->fresh_end)
		idx = z->fresh++;
	else
		return alloc_refill(fa, z, kind, out); /* off the fast path */
	if (fa->fail_countdown > 0)
		fa->fail_countdown--;
	hand_out(fa, z, kind, idx, 1, out);
	return 0;
}

/* alloc_from() the high zone, off the fast path (cold: the low zone's
 * path stays compact). */
static __attribute__((noinline, cold)) int alloc_high(struct mm_frames *fa, enum mm_frame_kind kind,
                                                      mm_paddr_t *out)
{
	return alloc_from(fa, &fa->zone[MM_ZONE_HIGH], kind, out);
}

/*
 * mm_frame_alloc() once @kind is checked and the attempt counted. A user
 * frame comes from the high zone while it has a free frame, every other
 * frame (and a user frame once the high zone is exhausted) from the low
 * zone.
 */
static inline __attribute__((always_inline)) int
alloc_single(struct mm_frames *fa, enum mm_frame_kind kind, mm_paddr_t *out)
{
	if (fa->fail_countdown == 0)
		return -MM_ENOMEM;
	if (__builtin_expect(fa->high_free != 0, 0) && kind == MM_FRAME_USER)
		return alloc_high(fa, kind, out);
	return alloc_from(fa, &fa->zone[MM_ZONE_LOW], kind, out);
}

/* alloc_from() with @z's cache empty: refill it, then take a frame. */
static __attribute__((noinline)) int alloc_refill(struct mm_frames *fa, struct mm_frame_zone *z,
                                                  enum mm_frame_kind kind, mm_paddr_t *out)
{
	if (!refill(fa, z))
		return -MM_ENOMEM;
	if (fa->fail_countdown > 0)
		fa->fail_countdown--;
	hand_out(fa, z, kind, z->fresh++, 1, out);
	return 0;
}

int mm_frame_alloc_run(struct mm_frames *fa, enum mm_frame_kind kind, unsigned order,
                       mm_paddr_t *out)
{
	if (kind <= MM_FRAME_FREE || kind >= MM_FRAME_NKINDS || order > MM_FRAME_MAX_ORDER)
		return -MM_EINVAL;
	fa->nalloc_calls++;
	if (order == 0)
		return alloc_single(fa, kind, out);
	if (fa->fail_countdown == 0)
		return -MM_ENOMEM;
	/* The high zone first for user frames, then the low zone. */
	const uint32_t want = ~((1u << order) - 1);
	struct mm_frame_zone *z = NULL;
	for (int zi = kind == MM_FRAME_USER ? (int)MM_ZONE_HIGH : (int)MM_ZONE_LOW; zi >= 0 && !z;
	     zi--) {
		struct mm_frame_zone *c = &fa->zone[zi];
		if (!(c->order_mask & want) && c->ncached + (c->fresh_end - c->fresh))
			drain_zone(fa, c); /* cached frames may complete a block */
		if (c->order_mask & want)
			z = c;
	}
	if (!z)
		return -MM_ENOMEM;
	if (fa->fail_countdown > 0)
		fa->fail_countdown--;
	uint32_t idx = pick_block(fa, z, order);
	take_block(fa, z, idx, order);
	hand_out(fa, z, kind, idx, 1u << order, out);
	return 0;
}

int mm_frame_alloc(struct mm_frames *fa, enum mm_frame_kind kind, mm_paddr_t *out)
{
	if (kind <= MM_FRAME_FREE || kind >= MM_FRAME_NKINDS)
		return -MM_EINVAL;
	fa->nalloc_calls++;
	return alloc_single(fa, kind, out);
}

int mm_frame_ref_meta(struct mm_frame *f)
{
	if (f->kind == MM_FRAME_FREE)
		return -MM_EINVAL;
	if (f->ref_or_next == MM_FRAME_REF_MAX)
		return -MM_EOVERFLOW;
	f->ref_or_next++;
	return 0;
}

int mm_frame_ref(struct mm_frames *fa, mm_paddr_t pa)
{
	struct mm_frame *f = mm_frame_get(fa, pa);
	return f ? mm_frame_ref_meta(f) : -MM_EINVAL;
}

/* Push free frame @idx on @z's full ring: drain its oldest frames first. */
static __attribute__((noinline)) void push_cache_full(struct mm_frames *fa, struct mm_frame_zone *z,
                                                      uint32_t idx)
{
	drain_oldest(fa, z, batch_end(fa, z, MM_FRAME_CACHE_BATCH));
	z->cache[(z->cache_first + z->ncached++) & CACHE_MASK] = idx;
}

/* Put the free frame @idx of zone @z in its cache (inlined with @z a
 * constant, as alloc_from()). */
static inline __attribute__((always_inline)) void cache_push(struct mm_frames *fa,
                                                             struct mm_frame_zone *z, uint32_t idx)
{
	if (z != &fa->zone[MM_ZONE_LOW])
		fa->high_free++;
	if (z->ncached == MM_FRAME_CACHE_MAX)
		push_cache_full(fa, z, idx); /* off the fast path */
	else
		z->cache[(z->cache_first + z->ncached++) & CACHE_MASK] = idx;
}

/* cache_push() to the high zone, off the fast path. */
static __attribute__((noinline, cold)) void free_high(struct mm_frames *fa, uint32_t idx)
{
	cache_push(fa, &fa->zone[MM_ZONE_HIGH], idx);
}

/* mm_frame_unref_meta() for a frame @f of @fa. */
static inline __attribute__((always_inline)) uint32_t unref(struct mm_frames *fa,
                                                            struct mm_frame *f)
{
	MM_ASSERT(f->kind != MM_FRAME_FREE && f->ref_or_next > 0);
	if (--f->ref_or_next > 0)
		return f->ref_or_next;
	fa->in_use[f->kind]--;
	*f = (struct mm_frame){ .kind = MM_FRAME_FREE };
	fa->nfree++;
	const uint32_t idx = (uint32_t)(f - fa->meta);
	if (__builtin_expect(idx >= fa->high_first, 0))
		free_high(fa, idx); /* off the fast path */
	else
		cache_push(fa, &fa->zone[MM_ZONE_LOW], idx);
	return 0;
}

uint32_t mm_frame_unref_meta(struct mm_frames *fa, struct mm_frame *f)
{
	MM_ASSERT((size_t)(f - fa->meta) < fa->total);
	return unref(fa, f);
}

uint32_t mm_frame_unref(struct mm_frames *fa, mm_paddr_t pa)
{
	struct mm_frame *f = mm_frame_get(fa, pa);
	MM_ASSERT(f != NULL); /* and so one of @fa's */
	return unref(fa, f);
}
