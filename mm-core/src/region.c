/*
 * mm-core's region (VMA) set: an AVL tree keyed by start address, threaded
 * in address order, whose nodes live in frames mm-core takes from the
 * frame allocator (kind MM_FRAME_REGION). See docs/ARCHITECTURE.md,
 * "Regions".
 *
 * - Lookup, insertion and removal are O(log n); first, next and count O(1).
 * - Each node carries two subtree summaries: the largest free gap below a
 *   region of the subtree (the gap between a region and its predecessor,
 *   stack reach and guard page included), and the lowest reach of a
 *   grow-down region. mmap's search for a free range is O(log n) with them.
 * - Node storage: a frame holds a small header and REGION_NODES_PER_FRAME
 *   nodes. An operation reserves the nodes it may need before it changes
 *   anything (mmi_regions_reserve()), so that running out of frames fails
 *   it whole; after that, insertion cannot fail. A frame whose nodes are all
 *   free goes back to the allocator, except one kept as a spare.
 *
 * The recursion (insert, remove, path fix) is bounded by the AVL height,
 * at most 1.44 log2(n + 2): 26 levels for a million regions.
 */
#include "assert.h"
#include "internal.h"

#define PAGE ARCH_PAGE_SIZE

/* The header at the start of each frame of region nodes. */
struct region_frame {
	mm_paddr_t pa;
	struct region_frame *prev, *next;           /* every frame of the space */
	struct region_frame *prev_free, *next_free; /* frames with a free node */
	struct mm_region_node *free;                /* this frame's free nodes */
	unsigned used;                              /* nodes in use */
	bool on_free_list;
};

#define REGION_HEADER_BYTES ((sizeof(struct region_frame) + 15u) & ~(size_t)15u)
#define REGION_NODES_PER_FRAME                                                                     \
	((unsigned)((ARCH_PAGE_SIZE - REGION_HEADER_BYTES) / sizeof(struct mm_region_node)))
_Static_assert(REGION_NODES_PER_FRAME >= 8, "a frame must hold several region nodes");

#define NO_STACK (~(mm_vaddr_t)0)

/* ---- node storage ------------------------------------------------------------ */

static struct mm_region_node *frame_node(struct region_frame *f, unsigned i)
{
	return (struct mm_region_node *)((uint8_t *)f + REGION_HEADER_BYTES) + i;
}

static void free_list_add(struct mm_space *s, struct region_frame *f)
{
	f->prev_free = NULL;
	f->next_free = s->region_free_frames;
	if (f->next_free)
		f->next_free->prev_free = f;
	s->region_free_frames = f;
	f->on_free_list = true;
}

static void free_list_del(struct mm_space *s, struct region_frame *f)
{
	if (f->prev_free)
		f->prev_free->next_free = f->next_free;
	else
		s->region_free_frames = f->next_free;
	if (f->next_free)
		f->next_free->prev_free = f->prev_free;
	f->on_free_list = false;
}

/* Take one frame for nodes, all of them free. */
static int frame_add(struct mm_space *s)
{
	struct mm_sys *sys = s->sys;
	mm_paddr_t pa;
	int err = mm_sys_frame_alloc(sys, MM_FRAME_REGION, false, &pa);
	if (err)
		return err;
	struct region_frame *f = sys->ops->phys_to_virt(sys->mach, pa);
	*f = (struct region_frame){ .pa = pa, .next = s->region_frames };
	if (f->next)
		f->next->prev = f;
	s->region_frames = f;
	for (unsigned i = REGION_NODES_PER_FRAME; i-- > 0;) {
		struct mm_region_node *n = frame_node(f, i);
		n->frame = f;
		n->next = f->free;
		f->free = n;
	}
	free_list_add(s, f);
	s->region_free += REGION_NODES_PER_FRAME;
	s->region_pages++;
	return 0;
}

/* Give back frame @f, whose nodes are all free. */
static void frame_del(struct mm_space *s, struct region_frame *f)
{
	MM_ASSERT(f->used == 0);
	if (f->on_free_list)
		free_list_del(s, f);
	if (f->prev)
		f->prev->next = f->next;
	else
		s->region_frames = f->next;
	if (f->next)
		f->next->prev = f->prev;
	s->region_free -= REGION_NODES_PER_FRAME;
	s->region_pages--;
	mm_sys_frame_put(s->sys, f->pa);
}

int mmi_regions_reserve(struct mm_space *s, uint64_t n, uint64_t *added)
{
	*added = 0;
	while (s->region_free < n) {
		int err = frame_add(s);
		if (err) {
			mmi_regions_cancel(s, *added);
			*added = 0;
			return err;
		}
		++*added;
	}
	return 0;
}

void mmi_regions_cancel(struct mm_space *s, uint64_t added)
{
	/* frame_add() pushes at the head of both lists, and no node has been
	 * taken since: the first @added frames are the new ones, all free. */
	for (; added > 0; added--)
		frame_del(s, s->region_frames);
}

static struct mm_region_node *node_take(struct mm_space *s)
{
	struct region_frame *f = s->region_free_frames;
	MM_ASSERT(f && s->region_free > 0); /* the caller reserved it */
	struct mm_region_node *n = f->free;
	f->free = n->next;
	f->used++;
	s->region_free--;
	if (!f->free)
		free_list_del(s, f);
	return n;
}

static void node_give(struct mm_space *s, struct mm_region_node *n)
{
	struct region_frame *f = n->frame;
	n->next = f->free;
	f->free = n;
	f->used--;
	s->region_free++;
	if (!f->on_free_list)
		free_list_add(s, f);
	/* An empty frame goes back unless the other frames' free nodes are
	 * too few for one operation (hysteresis against alloc/free churn). */
	if (f->used == 0 && s->region_free - REGION_NODES_PER_FRAME >= MMI_REGION_NODES_PER_OP)
		frame_del(s, f);
}

void mmi_regions_free_all(struct mm_space *s)
{
	while (s->region_frames) {
		struct region_frame *f = s->region_frames;
		s->region_free += f->used; /* the nodes of the regions dropped */
		f->used = 0;
		frame_del(s, f);
	}
	MM_ASSERT(s->region_pages == 0 && s->region_free == 0);
	s->regions = s->region_first = s->region_last = s->region_hint = NULL;
	s->nregions = 0;
}

/* ---- the AVL tree ------------------------------------------------------------ */

static bool grows_down(const struct mm_region *r)
{
	return (r->flags & MM_REGION_GROWS_DOWN) != 0;
}

mm_vaddr_t mmi_reach_lo(const struct mm_region *r)
{
	return grows_down(r) ? r->limit - PAGE : r->start;
}

/* The free gap just below @n: from its predecessor's end (or page 1: page 0
 * stays unmapped so that NULL faults) up to @n's reach. */
static mm_vaddr_t gap_below(const struct mm_region_node *n)
{
	mm_vaddr_t lo = n->prev ? n->prev->r.end : PAGE;
	mm_vaddr_t hi = mmi_reach_lo(&n->r);
	return hi > lo ? hi - lo : 0;
}

static int height(const struct mm_region_node *n)
{
	return n ? n->height : 0;
}

/* Recompute @n's height and summaries from its children. */
static void update(struct mm_region_node *n)
{
	int hl = height(n->left), hr = height(n->right);
	n->height = 1 + (hl > hr ? hl : hr);
	mm_vaddr_t gap = gap_below(n);
	mm_vaddr_t st = grows_down(&n->r) ? mmi_reach_lo(&n->r) : NO_STACK;
	const struct mm_region_node *c[2] = { n->left, n->right };
	for (unsigned i = 0; i < 2; i++) {
		if (!c[i])
			continue;
		if (c[i]->max_gap > gap)
			gap = c[i]->max_gap;
		if (c[i]->stack_lo < st)
			st = c[i]->stack_lo;
	}
	n->max_gap = gap;
	n->stack_lo = st;
}

static struct mm_region_node *rotate_right(struct mm_region_node *n)
{
	struct mm_region_node *l = n->left;
	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct mm_region_node *rotate_left(struct mm_region_node *n)
{
	struct mm_region_node *r = n->right;
	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

/* Update @n and restore the AVL balance at it; return the subtree's root. */
static struct mm_region_node *rebalance(struct mm_region_node *n)
{
	update(n);
	int bal = height(n->left) - height(n->right);
	if (bal > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bal < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static struct mm_region_node *insert_node(struct mm_region_node *t, struct mm_region_node *n)
{
	if (!t)
		return n;
	MM_ASSERT(n->r.start != t->r.start);
	if (n->r.start < t->r.start)
		t->left = insert_node(t->left, n);
	else
		t->right = insert_node(t->right, n);
	return rebalance(t);
}

/* Unlink the lowest node of @t into *@min. */
static struct mm_region_node *remove_min(struct mm_region_node *t, struct mm_region_node **min)
{
	if (!t->left) {
		*min = t;
		return t->right;
	}
	t->left = remove_min(t->left, min);
	return rebalance(t);
}

static struct mm_region_node *remove_node(struct mm_region_node *t, mm_vaddr_t start)
{
	MM_ASSERT(t); /* the node is in the tree */
	if (start < t->r.start) {
		t->left = remove_node(t->left, start);
	} else if (start > t->r.start) {
		t->right = remove_node(t->right, start);
	} else {
		if (!t->left || !t->right)
			return t->left ? t->left : t->right;
		struct mm_region_node *m;
		struct mm_region_node *right = remove_min(t->right, &m);
		m->left = t->left;
		m->right = right;
		t = m;
	}
	return rebalance(t);
}

/* Recompute the summaries on the path from the root to the node whose
 * start is @start (after a change that kept the tree's order). */
static void fix_path(struct mm_region_node *t, mm_vaddr_t start)
{
	if (!t)
		return;
	if (start < t->r.start)
		fix_path(t->left, start);
	else if (start > t->r.start)
		fix_path(t->right, start);
	update(t);
}

void mmi_region_changed(struct mm_space *s, struct mm_region_node *n)
{
	fix_path(s->regions, n->r.start);
	if (n->next)
		fix_path(s->regions, n->next->r.start); /* its gap starts at our end */
}

struct mm_region_node *mmi_region_floor(const struct mm_space *s, mm_vaddr_t va)
{
	struct mm_region_node *t = s->regions, *best = NULL;
	while (t) {
		if (t->r.start <= va) {
			best = t;
			t = t->right;
		} else {
			t = t->left;
		}
	}
	return best;
}

struct mm_region_node *mmi_region_ending_after(const struct mm_space *s, mm_vaddr_t va)
{
	struct mm_region_node *n = mmi_region_floor(s, va);
	if (!n)
		return s->region_first;
	return va < n->r.end ? n : n->next;
}

struct mm_region_node *mmi_region_insert(struct mm_space *s, const struct mm_region *r)
{
	struct mm_region_node *n = node_take(s);
	struct region_frame *frame = n->frame;
	struct mm_region_node *prev = mmi_region_floor(s, r->start);
	struct mm_region_node *next = prev ? prev->next : s->region_first;
	*n = (struct mm_region_node){ .r = *r, .prev = prev, .next = next, .frame = frame };
	if (prev)
		prev->next = n;
	else
		s->region_first = n;
	if (next)
		next->prev = n;
	else
		s->region_last = n;
	update(n);
	s->regions = insert_node(s->regions, n);
	if (next)
		fix_path(s->regions, next->r.start);
	s->nregions++;
	return n;
}

void mmi_region_remove(struct mm_space *s, struct mm_region_node *n)
{
	struct mm_region_node *next = n->next;
	if (s->region_hint == n)
		s->region_hint = n->prev;
	s->regions = remove_node(s->regions, n->r.start);
	if (n->prev)
		n->prev->next = next;
	else
		s->region_first = next;
	if (next)
		next->prev = n->prev;
	else
		s->region_last = n->prev;
	if (next)
		fix_path(s->regions, next->r.start);
	s->nregions--;
	node_give(s, n);
}

/* The highest node of @t whose reach starts at or below @top with a gap of
 * at least @len below it. */
static const struct mm_region_node *gap_search(const struct mm_region_node *t, mm_vaddr_t top,
                                               uint64_t len)
{
	if (!t || t->max_gap < len)
		return NULL;
	if (mmi_reach_lo(&t->r) <= top) {
		const struct mm_region_node *hit = gap_search(t->right, top, len);
		if (hit)
			return hit;
		if (gap_below(t) >= len)
			return t;
	}
	return gap_search(t->left, top, len);
}

mm_vaddr_t mmi_region_find_gap(const struct mm_space *s, uint64_t len)
{
	const struct mm_region_node *root = s->regions;
	if (len == 0 || len > ARCH_USER_END - PAGE)
		return 0;
	if (!root || root->stack_lo == NO_STACK) {
		/* No stack: the highest gap may be above the last region. */
		mm_vaddr_t lo = s->region_last ? s->region_last->r.end : PAGE;
		if (lo < PAGE)
			lo = PAGE;
		if (ARCH_USER_END - lo >= len)
			return ARCH_USER_END - len;
	}
	const struct mm_region_node *n = gap_search(root, root ? root->stack_lo : 0, len);
	return n ? mmi_reach_lo(&n->r) - len : 0;
}

int mmi_regions_clone(struct mm_space *child, const struct mm_space *parent)
{
	uint64_t added;
	int err = mmi_regions_reserve(child, parent->nregions, &added);
	if (err)
		return err;
	for (const struct mm_region_node *n = parent->region_first; n; n = n->next)
		mmi_region_insert(child, &n->r);
	return 0;
}

/* ---- the public read side ------------------------------------------------------ */

const struct mm_region *mm_region_find(const struct mm_space *s, mm_vaddr_t va)
{
	/* The hint first (NetBSD's uvm_map keeps one too): the last region
	 * found answers for itself, the gap after it, and its successor, so a
	 * stream of faults moving through memory costs O(1) per lookup. The
	 * hint is a cache, not state: writing it through a const space is
	 * what a lookup may do (struct mm_space says so). */
	struct mm_space *w = (struct mm_space *)(uintptr_t)s;
	struct mm_region_node *h = s->region_hint;
	if (h && va >= h->r.start) {
		if (va < h->r.end)
			return &h->r;
		struct mm_region_node *next = h->next;
		if (!next || va < next->r.start)
			return NULL;
		if (va < next->r.end) {
			w->region_hint = next;
			return &next->r;
		}
	}
	struct mm_region_node *n = mmi_region_floor(s, va);
	if (n)
		w->region_hint = n;
	return n && va < n->r.end ? &n->r : NULL;
}

const struct mm_region *mm_region_first(const struct mm_space *s)
{
	return s->region_first ? &s->region_first->r : NULL;
}

const struct mm_region *mm_region_next(const struct mm_space *s, const struct mm_region *r)
{
	(void)s;
	const struct mm_region_node *n = ((const struct mm_region_node *)(const void *)r)->next;
	return n ? &n->r : NULL;
}

uint64_t mm_region_count(const struct mm_space *s)
{
	return s->nregions;
}
