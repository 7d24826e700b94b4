/*
 * Physical frame allocator: a LIFO free list threaded through 8-byte
 * per-frame metadata. See <mm/frame.h> for the contract.
 */
#include <mm/frame.h>

#include <arch/pte.h>

#include "assert.h"

size_t mm_frames_meta_bytes(const struct mm_phys_range *ranges, size_t n)
{
	uint64_t frames = 0;
	for (size_t i = 0; i < n; i++)
		frames += ranges[i].pages;
	return (size_t)(frames * sizeof(struct mm_frame));
}

int mm_frames_init(struct mm_frames *fa, const struct mm_phys_range *ranges, size_t n,
                   struct mm_frame *meta, size_t meta_bytes)
{
	if (n > MM_FRAMES_MAX_RANGES)
		return -MM_ENOTSUP;
	if (n == 0 || !ranges || !meta)
		return -MM_EINVAL;

	*fa = (struct mm_frames){ 0 };
	fa->fail_countdown = -1;

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

	fa->nranges = (unsigned)n;
	fa->meta = meta;
	fa->total = (uint32_t)frames;
	uint32_t idx = 0;
	for (unsigned i = 0; i < fa->nranges; i++) {
		fa->first_index[i] = idx;
		idx += (uint32_t)fa->range[i].pages;
	}
	/* Thread the list so that the lowest frame comes out first. */
	for (uint32_t i = 0; i < fa->total; i++)
		meta[i] = (struct mm_frame){ .ref_or_next = i + 2 <= fa->total ? i + 2 : 0,
			                     .kind = MM_FRAME_FREE };
	fa->free_head = fa->total ? 1 : 0;
	fa->nfree = fa->total;
	return 0;
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

int mm_frame_alloc(struct mm_frames *fa, enum mm_frame_kind kind, mm_paddr_t *out)
{
	if (kind <= MM_FRAME_FREE || kind >= MM_FRAME_NKINDS)
		return -MM_EINVAL;
	fa->nalloc_calls++;
	if (fa->fail_countdown == 0)
		return -MM_ENOMEM;
	if (fa->free_head == 0)
		return -MM_ENOMEM;
	if (fa->fail_countdown > 0)
		fa->fail_countdown--;

	uint32_t idx = fa->free_head - 1;
	struct mm_frame *f = &fa->meta[idx];
	MM_ASSERT(f->kind == MM_FRAME_FREE);
	fa->free_head = f->ref_or_next;
	*f = (struct mm_frame){ .ref_or_next = 1, .kind = (uint8_t)kind };
	fa->nfree--;
	fa->in_use[kind]++;
	*out = mm_frames_paddr(fa, idx);
	return 0;
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

uint32_t mm_frame_unref_meta(struct mm_frames *fa, struct mm_frame *f)
{
	MM_ASSERT(f >= fa->meta && f < fa->meta + fa->total);
	MM_ASSERT(f->kind != MM_FRAME_FREE && f->ref_or_next > 0);
	if (--f->ref_or_next > 0)
		return f->ref_or_next;
	fa->in_use[f->kind]--;
	uint32_t idx = (uint32_t)(f - fa->meta);
	*f = (struct mm_frame){ .ref_or_next = fa->free_head, .kind = MM_FRAME_FREE };
	fa->free_head = idx + 1;
	fa->nfree++;
	return 0;
}

uint32_t mm_frame_unref(struct mm_frames *fa, mm_paddr_t pa)
{
	struct mm_frame *f = mm_frame_get(fa, pa);
	MM_ASSERT(f != NULL);
	return mm_frame_unref_meta(fa, f);
}
