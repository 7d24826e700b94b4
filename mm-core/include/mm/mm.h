/*
 * mm/mm.h - mm-core: per-process address spaces over a portable walker.
 *
 * An address space (struct mm_space) is a root page table whose user half is
 * private and whose kernel half is shared with every other space of the same
 * system (struct mm_sys). mm-core creates, clones, activates and destroys
 * spaces and maps, unmaps, protects and queries 4 KiB pages in them. It is
 * compiled once per ISA from the same sources; the ISA's page-table format
 * comes from <arch/pte.h> (chosen by include path) and the platform's
 * hardware access from struct mm_mach_ops. Single processor: TLB work is
 * done on the calling CPU only.
 *
 * Kernel half. mm_sys_init() allocates, once, every table one level below
 * the root for the kernel half (256 tables: 1 MiB on both i386 and x86_64)
 * and every space's root points at those same tables. So a kernel mapping
 * made at any time (mm_kernel_map()) is at once visible in every space, and
 * the root entries of the kernel half never change after init: they are
 * identical in every space by construction. Linux x86 made the same choice
 * for the same reason (no pgd synchronisation list).
 *
 * Ownership. Every leaf PTE in a user half that points at a managed frame
 * holds one reference to it; the frame is freed when the last goes. Every
 * page table belongs to exactly one space (the kernel-half tables to the
 * system). Kernel-half mappings hold no references: the kernel owns what it
 * maps there.
 *
 * Errors. Functions return 0 or a negative MM_E* code (see <mm/types.h>).
 * Bad input changes nothing. Every operation that allocates frames is
 * all-or-nothing: on -MM_ENOMEM the space and the allocator are exactly as
 * they were. A broken invariant calls mm_panic().
 */
#ifndef MM_MM_H
#define MM_MM_H

#include <mm/frame.h>
#include <mm/types.h>

/**
 * struct mm_mach_ops - the machine hooks, implemented by each platform.
 *
 * The kernel implements them with its direct map and its ISA's root
 * register and TLB instructions (x86: CR3 and invlpg; RISC-V: satp and
 * sfence.vma); the simulator with its arena, a root variable and its
 * software TLB. Address-space identifiers: @asid is the space's
 * mm_space.asid (0 on a platform that uses none, as x86 without PCID), or
 * MM_ASID_ALL for a change in the kernel half.
 *
 * @phys_to_virt:    a pointer through which the 4 KiB frame at @pa (page
 *                   aligned, a managed frame or table) can be read and
 *                   written. Required.
 * @activate:        make @root (physical address of a root table) the one
 *                   the MMU walks, tagged with address-space identifier
 *                   @asid. With @asid 0 (no identifier) the platform must
 *                   also drop the non-global TLB entries of identifier 0
 *                   (x86: a CR3 write does, SDM Vol. 3A §4.10.4.1); with
 *                   another @asid it keeps every entry (aarch64: TTBR0_EL1
 *                   with the ASID in bits 63:48, no TLBI). Required.
 * @read_root:       the root the MMU walks now. Required.
 * @invalidate_page: drop any cached translation of the page holding @va
 *                   in address space @asid; with MM_ASID_ALL, in every
 *                   space, global entries included (x86: invlpg; RISC-V:
 *                   sfence.vma va, asid or va, x0). Required.
 * @flush_all:       drop every non-global cached translation of @asid
 *                   (x86 without PCID: reload CR3; aarch64: TLBI
 *                   ASIDE1IS); with MM_ASID_ALL, of every address space
 *                   (RISC-V: sfence.vma x0, x0; aarch64: TLBI VMALLE1IS,
 *                   which drop global entries too, as they may). Required.
 * @frame_allocated: optional; called after a frame leaves the free list,
 *                   before mm-core touches it (the simulator unpoisons it).
 * @frame_freed:     optional; called after a frame returns to the free list
 *                   (the simulator poisons it for Valgrind and ASan).
 * @map_frame:       optional, with @unmap_frame: a pointer through which
 *                   the 4 KiB frame at @pa can be read and written until
 *                   unmap_frame(@pa, that pointer), for a platform whose
 *                   direct map does not reach every frame (a 32-bit kernel
 *                   with more RAM than its kernel half: a temporary
 *                   mapping, as Linux's kmap_local_page()). mm-core reaches
 *                   the contents of frames that users map (zero-fill, COW
 *                   and eager copies, file bytes, exec's stack) only
 *                   through it, holds at most two at once, unmaps in
 *                   reverse order, and makes no other hook call while one
 *                   is mapped. Page tables, region nodes and its own
 *                   metadata it reaches through @phys_to_virt. Without
 *                   these hooks, @phys_to_virt serves for every frame.
 * @unmap_frame:     ends the mapping @map_frame gave for @pa at @p.
 * @table_window:    optional; used only by a build with the recursive
 *                   mapping (-Dtables=recursive): a pointer through which
 *                   mm-core reads and writes the page table at @pa, which
 *                   the loaded root maps at the window address @va (a
 *                   supervisor-only address in the root's self-map or
 *                   alternate entries, arch_recursive_table_va()). A
 *                   kernel returns @va itself (NULL hook: the same); the
 *                   simulator translates @va through its MMU model and
 *                   TLB and stops if it does not reach @pa (a stale TLB
 *                   entry for a window, or wrong window arithmetic). In
 *                   that build mm-core reaches tables through
 *                   @phys_to_virt only before its first activation, and
 *                   tables linked nowhere through @map_frame.
 *                   Source: Intel SDM Vol. 3A §4.3 (the MMU walks the
 *                   window like any address).
 */
struct mm_mach_ops {
	void *(*phys_to_virt)(void *ctx, mm_paddr_t pa);
	void (*activate)(void *ctx, mm_paddr_t root, uint32_t asid);
	mm_paddr_t (*read_root)(void *ctx);
	void (*invalidate_page)(void *ctx, uint32_t asid, mm_vaddr_t va);
	void (*flush_all)(void *ctx, uint32_t asid);
	void (*frame_allocated)(void *ctx, mm_paddr_t pa);
	void (*frame_freed)(void *ctx, mm_paddr_t pa);
	void *(*map_frame)(void *ctx, mm_paddr_t pa);
	void (*unmap_frame)(void *ctx, mm_paddr_t pa, void *p);
	void *(*table_window)(void *ctx, mm_vaddr_t va, mm_paddr_t pa);
};

/** MM_ASID_ALL - the @asid of an invalidation that concerns every address
 * space and global entries: a change in the kernel half. */
#define MM_ASID_ALL UINT32_MAX

/**
 * mm_panic() - stop on a broken invariant. Provided by each platform: the
 * kernel prints @msg and halts; the simulator prints it and aborts.
 */
void mm_panic(const char *msg) __attribute__((noreturn));

struct mm_sys;

/** enum mm_region_kind - what a region holds (for people and policy). */
enum mm_region_kind {
	MM_REGION_CODE,
	MM_REGION_RODATA,
	MM_REGION_DATA, /* data and bss */
	MM_REGION_HEAP,
	MM_REGION_STACK,
	MM_REGION_MMAP,   /* anonymous private mmap */
	MM_REGION_SHARED, /* anonymous shared mmap */
	MM_REGION_NKINDS,
};

/** enum mm_backing - where a region's pages come from on first touch. */
enum mm_backing {
	MM_BACKING_ANON,   /* zero-filled frames, private (copy-on-write on fork) */
	MM_BACKING_FILE,   /* bytes of a file image, then zeros; private */
	MM_BACKING_SHARED, /* frames shared with every fork, never copied */
};

/* Region flags. */
enum {
	MM_REGION_GROWS_DOWN = 1u << 0, /* a stack: faults below it grow it */
};

/**
 * struct mm_region - one region (VMA) of a user half: [start, end), page
 * aligned virtual addresses, with one protection and one backing.
 * @limit:    grows-down regions: the lowest address @start may reach; the
 *            page just below @limit is a guard page that is never mapped.
 * @file:     file-backed regions: the bytes that belong at @file_va, for
 *            @file_len bytes (pages beyond them read as zero). The memory
 *            must outlive the region (the caller owns it).
 */
struct mm_region {
	mm_vaddr_t start; /* first byte, page aligned */
	mm_vaddr_t end;   /* one past the last byte, page aligned */
	mm_vaddr_t limit;
	const uint8_t *file;
	mm_vaddr_t file_va; /* where the file's first byte belongs */
	uint64_t file_len;  /* bytes of the file, from @file_va */
	uint8_t prot;       /* MM_PROT_* (READ at least; USER always) */
	uint8_t kind;       /* enum mm_region_kind */
	uint8_t backing;    /* enum mm_backing */
	uint8_t flags;      /* MM_REGION_* */
};

struct mm_region_node;
struct region_frame;

/**
 * struct mm_space - one address space. The caller provides the storage (so
 * mm-core never allocates memory other than frames) and must not touch the
 * fields, except to read them.
 * @sys:         the system it belongs to.
 * @root:        physical address of its root table (what the MMU's root
 *               register holds: x86 CR3, RISC-V satp).
 * @asid:        its address-space identifier (PCID, ASID), passed to the
 *               activate and TLB hooks: 0 (none) unless the platform
 *               turned identifiers on with mm_sys_set_asids(), then one
 *               that no other live space has, or 0 when all are taken.
 * @user_pages:  present leaf PTEs in its user half, in 4 KiB pages.
 * @table_pages: page-table frames it owns, root included.
 * @is_kernel:   the system's kernel space (no user half, never destroyed).
 * @regions:     its regions (VMAs), non-overlapping, as many as frames
 *               allow: an AVL tree by start address, threaded in address
 *               order, its nodes in frames of kind MM_FRAME_REGION
 *               (@region_pages of them). Read them with mm_region_find(),
 *               mm_region_first(), mm_region_next(), mm_region_count(); see
 *               mm_region_add(). The page-table layer (mm_map() and
 *               friends) works without them; faults and mmap use them.
 */
struct mm_space {
	struct mm_sys *sys;
	mm_paddr_t root;
	uint64_t user_pages;
	uint64_t table_pages;
	uint64_t large_leaves; /* leaves above level 0 (large pages) in its half */
	bool is_kernel;
	uint32_t asid;
	struct mm_space *prev, *next; /* every space of @sys */
	mm_vaddr_t brk_start, brk;    /* the heap of mm_brk(): first byte, current end */
	/* Its regions: a tree in frames of kind MM_FRAME_REGION, read through
	 * mm_region_find(), mm_region_first() and mm_region_next(). */
	struct mm_region_node *regions;                    /* tree root */
	struct mm_region_node *region_first, *region_last; /* address order */
	uint64_t nregions;                                 /* regions in the tree */
	struct mm_region_node *region_hint;                /* lookup cache: see mm_region_find() */
	struct region_frame *region_frames;                /* frames holding its nodes */
	struct region_frame *region_free_frames;           /* those with a free node */
	uint64_t region_free;                              /* free nodes in them */
	uint64_t region_pages;                             /* frames holding its nodes */
};

/** MM_RECURSIVE_ALT_MAX - alternate root entries a recursive-mapping build
 * may use (ARCH_RECURSIVE_ALT_SLOTS, at most this many). */
#define MM_RECURSIVE_ALT_MAX 2u

/**
 * struct mm_sys - one machine's memory-management state.
 * @frames:        the frame allocator.
 * @kernel:        the kernel space: its root is the template of the kernel
 *                 half; it is what runs when no process space is active.
 * @active:        the space whose root is loaded, or NULL before the first
 *                 mm_space_activate().
 * @nspaces:       live spaces, the kernel space included.
 * @kernel_tables: page-table frames owned by the kernel half.
 * @asid_map:      physical address of the frame whose bits mark the
 *                 address-space identifiers in use (mm_sys_set_asids());
 *                 0 while identifiers are off.
 * @asid_count:    identifiers the platform has, 0 never given; 0 when off.
 * @asid_next:     where the search for a free identifier starts.
 * @rec_alt:       recursive-mapping builds only: the root installed in each
 *                 alternate root entry of the loaded root, 0 for none.
 * @rec_mru:       the alternate entry used last (the other is replaced).
 */
struct mm_sys {
	struct mm_frames frames;
	const struct mm_mach_ops *ops; /* the platform's hooks */
	void *mach;                    /* their context: passed to every hook */
	struct mm_space kernel;
	struct mm_space *active;
	unsigned nspaces;
	uint64_t kernel_tables;
	bool wx_strict; /* W^X policy on: see mm_sys_set_wx() */
	mm_paddr_t asid_map;
	uint32_t asid_count, asid_next;
	unsigned large_max; /* highest level of a large leaf: mm_sys_set_large_pages() */
	bool thp;           /* transparent huge pages: mm_sys_set_thp() */
	mm_paddr_t rec_alt[MM_RECURSIVE_ALT_MAX];
	unsigned rec_mru;
};

/**
 * mm_sys_set_asids() - give every space created from now on an
 * address-space identifier of its own, from 1 to @count - 1 (0 means
 * none), as a TLB that tags entries (aarch64 ASIDs, x86 PCIDs, RISC-V
 * ASIDs) lets a platform switch spaces without a flush. mm-core then
 * invalidates a space's pages by identifier on every change, whether or
 * not the space is active (a tagged TLB keeps an inactive space's
 * entries), flushes an identifier (the flush_all hook) when its space is
 * destroyed, before it can be given again, and passes it to the activate
 * hook. A space created when every identifier is taken gets 0, whose
 * entries the activate hook drops on every switch: correct, only slower.
 * Identifiers above 32767 are not used (the bitmap is one frame).
 * Preconditions: only the kernel space exists; called at most once.
 * Source: Arm ARM D8 "Translation Lookaside Buffers" (ASIDs, nG); Intel
 * SDM Vol. 3A §4.10.1 (PCIDs).
 * Return: 0; -MM_EINVAL (@count < 2); -MM_EBUSY (spaces exist, or
 * identifiers already on); -MM_ENOMEM (no frame for the bitmap). Nothing
 * changes on error.
 */
int mm_sys_set_asids(struct mm_sys *sys, uint32_t count);

/**
 * mm_sys_set_wx() - the W^X policy: when @strict, no user page or region
 * may be asked for writable and executable at once: mm_map(),
 * mm_map_phys(), mm_protect(), mm_mmap(), mm_mprotect() and mm_region_add()
 * refuse a protection with both MM_PROT_WRITE and MM_PROT_EXEC with
 * -MM_EACCES, changing nothing. It judges the protection asked for, not
 * what the MMU makes of it (32-bit x86 paging executes every readable
 * page). Off after mm_sys_init(); mm_exec() keeps W^X for ELF segments
 * either way. No TLB effect.
 * @sys:    the system.
 * @strict: true to refuse W+X, false to allow it.
 */
void mm_sys_set_wx(struct mm_sys *sys, bool strict);

/**
 * mm_sys_set_thp() - transparent huge pages: when @on, a fault in private
 * anonymous memory (an mm_mmap() or mm_region_add() region backed by
 * MM_BACKING_ANON, not a grow-down stack) whose region covers the whole
 * aligned level-1 page around the address (2 MiB; 4 MiB on i386), none of
 * which is mapped yet, maps that whole page at once with a physically
 * contiguous run of zeroed frames (mm_frame_alloc_run()), if
 * mm_sys_set_large_pages() allows level 1 and the allocator has a run;
 * else, or when off (after mm_sys_init()), it maps one 4 KiB page, as
 * before. Such a page is split into 4 KiB pages by the region layer's
 * calls that touch it (a write to it after a COW fork copies one 4 KiB
 * page), and an eager clone copies it into 4 KiB pages. No TLB effect;
 * changes no existing mapping. Source: Linux's transparent hugepage
 * support (Documentation/admin-guide/mm/transhuge.rst), as a design.
 * @sys: the system.
 * @on:  true to back faults with large pages where possible.
 */
void mm_sys_set_thp(struct mm_sys *sys, bool on);

/**
 * mm_sys_set_large_pages() - let mm_kernel_map() and mm_map_phys() with
 * MM_PROT_LARGE make leaves at levels 1 to @max_level: the page sizes the
 * CPU supports (x86: 4 MiB with CR4.PSE on i386, CPUID.01H:EDX.PSE[bit 3];
 * 2 MiB always and 1 GiB with CPUID.80000001H:EDX.Page1GB[bit 26] on
 * x86_64, SDM Vol. 3A §4.1.4; RISC-V and aarch64 always have 2 MiB and
 * 1 GiB). 0 after mm_sys_init(): 4 KiB pages only. May be called at any
 * time; it changes no existing mapping. No TLB effect.
 * @sys:       the system.
 * @max_level: 0 to ARCH_LARGE_MAX_LEVEL (1 << arch_level_shift(level)
 *             bytes per page at each level).
 * Return: 0; -MM_EINVAL if @max_level > ARCH_LARGE_MAX_LEVEL (nothing
 * changes).
 */
int mm_sys_set_large_pages(struct mm_sys *sys, unsigned max_level);

/**
 * mm_sys_init() - set up a system over the physical RAM in @ranges.
 * @sys:        storage to initialise.
 * @ops:        the machine hooks (struct mm_mach_ops), kept by pointer.
 * @mach:       the context passed to each of them.
 * @ranges:     usable RAM, as for mm_frames_init().
 * @n:          entries in @ranges.
 * @meta:       frame metadata storage, as for mm_frames_init().
 * @meta_bytes: its size in bytes (mm_frames_meta_bytes()).
 * @high_base:  physical address (bytes, page aligned) where the platform's
 *              direct map ends, or 0 if @phys_to_virt reaches all of
 *              @ranges. The frames at or above it are high memory
 *              (mm_frames_init_zoned()): mm-core gives them out as user
 *              frames only, first, and reaches them through map_frame, so
 *              that page tables, region nodes and every frame the kernel
 *              takes for itself stay below it. On i386 PAE it must be at
 *              most 4 GiB: CR3 holds a 32-bit PDPT address (Intel SDM Vol.
 *              3A §4.4.1).
 *
 * Allocates the kernel root and every kernel-half table one level below it
 * (ARCH_ROOT_ENTRIES - ARCH_KERNEL_FIRST_SLOT + 1 frames, kind MM_FRAME_PT),
 * zeroed. Does not activate anything: the platform maps its kernel (e.g.
 * the direct map) with mm_kernel_map() first, then activates.
 *
 * Return: 0; the errors of mm_frames_init_zoned(); -MM_EINVAL if a
 * required hook is missing, or only one of map_frame and unmap_frame is
 * given, or @ranges hold frames at or above @high_base without them;
 * -MM_ENOMEM if RAM is too small (nothing is left allocated).
 */
int mm_sys_init(struct mm_sys *sys, const struct mm_mach_ops *ops, void *mach,
                const struct mm_phys_range *ranges, size_t n, struct mm_frame *meta,
                size_t meta_bytes, mm_paddr_t high_base);

/**
 * mm_sys_fini() - tear the system down: unmap the whole kernel half and free
 * the kernel root and every kernel-half table.
 * Preconditions: every space but the kernel space has been destroyed.
 * Afterwards mm_frames_free_count() equals the count before mm_sys_init(),
 * less the frames still held with kind MM_FRAME_KERNEL.
 *
 * Return: 0; -MM_EBUSY if a process space still exists (nothing changes).
 */
int mm_sys_fini(struct mm_sys *sys);

/** mm_sys_kernel_space() - the kernel space of @sys. */
static inline struct mm_space *mm_sys_kernel_space(struct mm_sys *sys)
{
	return &sys->kernel;
}

/**
 * mm_sys_frame_alloc() - allocate one frame for the kernel's own use, or as
 * a building block, with a reference count of 1.
 * @sys:  the system.
 * @kind: MM_FRAME_KERNEL normally; MM_FRAME_USER for a frame the caller will
 *        map with mm_map_phys() and then drop its own reference to.
 * @zero: clear the 4 KiB first.
 * @out:  receives the physical address.
 *
 * The frame_allocated hook (struct mm_mach_ops) is called for the frame
 * before it is cleared. The same as mm_sys_frame_alloc_run() of order 0.
 *
 * Return: 0; -MM_ENOMEM (nothing changes); -MM_EINVAL for a bad @kind.
 * The caller drops the frame with mm_sys_frame_put().
 */
int mm_sys_frame_alloc(struct mm_sys *sys, enum mm_frame_kind kind, bool zero, mm_paddr_t *out);

/**
 * mm_sys_frame_alloc_run() - allocate 2^@order physically contiguous
 * frames, aligned to 2^@order frames in physical address, each with a
 * reference count of 1: mm_frame_alloc_run() on the frames of @sys, plus
 * what mm_sys_frame_alloc() does for one frame, for every frame of the run.
 * @sys:   the system.
 * @kind:  MM_FRAME_KERNEL normally; MM_FRAME_USER for frames the caller
 *         will map with mm_map_phys() (a large page, MM_PROT_LARGE) and then
 *         drop its own references to; every frame of the run gets it.
 * @order: log2 of the run's length in 4 KiB frames, 0 to
 *         MM_FRAME_MAX_ORDER (9: 2 MiB, 10: 4 MiB on i386, 18: 1 GiB).
 * @zero:  clear every frame first, frame by frame (4 KiB << @order bytes
 *         in all): a MM_FRAME_USER frame through the map_frame and
 *         unmap_frame hooks when the platform has them, any other kind
 *         through phys_to_virt.
 * @pa:    receives the physical address of the first frame, a multiple of
 *         4 KiB << @order.
 *
 * The frame_allocated hook is called for each frame of the run, lowest
 * first, before that frame is cleared. There is no run-sized free: each
 * frame is an ordinary frame in use, dropped with mm_sys_frame_put() (all
 * of them, or one at a time as a large page split into 4 KiB pages drops
 * them), which calls the frame_freed hook for each; the run merges back in
 * the allocator when its last frame is free. Cost: mm_frame_alloc_run()'s,
 * plus 2^@order hook calls and, with @zero, 4 KiB << @order bytes written.
 *
 * Return: 0; -MM_ENOMEM if no free aligned run of that length exists (even
 * when enough frames are free, scattered) or fault injection
 * (mm_frames_fail_after(), which counts the run as one allocation) fires:
 * nothing changes, no hook is called; -MM_EINVAL for a bad @kind or @order
 * > MM_FRAME_MAX_ORDER (nothing changes). On error nothing is to be freed.
 */
int mm_sys_frame_alloc_run(struct mm_sys *sys, enum mm_frame_kind kind, unsigned order, bool zero,
                           mm_paddr_t *pa);

/**
 * mm_sys_frame_put() - drop one reference to the managed frame at @pa,
 * freeing it at zero. Precondition: @pa is a managed frame in use.
 * Return: the references left.
 */
uint32_t mm_sys_frame_put(struct mm_sys *sys, mm_paddr_t pa);

/**
 * mm_kernel_map() - map @npages 4 KiB pages of physical memory at @pa into
 * the kernel half at @va, visible at once in every space.
 * @sys:    the system.
 * @va:     page-aligned virtual address in the kernel half.
 * @pa:     page-aligned physical address; no reference is taken.
 * @npages: pages, > 0; the range must stay in the kernel half.
 * @prot:   MM_PROT_READ plus any of WRITE and EXEC, and MM_PROT_GLOBAL for
 *          a global page (its TLB entries survive address-space switches;
 *          the platform must have enabled them, x86: CR4.PGE, SDM Vol. 3A
 *          §4.10.2.4); never MM_PROT_USER. With MM_PROT_LARGE, large
 *          pages wherever @va and @pa are both aligned to one and it fits
 *          in the range, up to the level mm_sys_set_large_pages() allows
 *          (the largest first), 4 KiB pages elsewhere. A large page at the
 *          root level (i386 4 MiB, Sv39 1 GiB: a root entry, copied into
 *          every space) is made only while no user space exists, and is
 *          never unmapped: the kernel half's root entries are shared by
 *          copy.
 *
 * Allocates page tables below the shared level as needed. TLB: none where
 * the ISA never caches entries that are not valid (x86, SDM Vol. 3A
 * §4.10.2.3); where it may (arch_tlb_caches_invalid(): RISC-V), each page
 * is invalidated in every space (MM_ASID_ALL) once a space is active.
 *
 * Return: 0; -MM_EINVAL for an unaligned, non-canonical or wrapping range,
 * an invalid @pa, or a bad @prot; -MM_EFAULT if the range is not wholly in
 * the kernel half (with MM_TABLES_RECURSIVE, which ends below the
 * recursive mapping's windows: ARCH_RECURSIVE_FIRST_SLOT); -MM_EEXIST if
 * any page in it is mapped; -MM_ENOMEM. Nothing changes on error.
 */
int mm_kernel_map(struct mm_sys *sys, mm_vaddr_t va, mm_paddr_t pa, uint64_t npages, unsigned prot);

/**
 * mm_kernel_window() - set aside @npages 4 KiB pages of the kernel half at
 * @va whose leaf entries the platform then rewrites itself: a window of
 * temporary mappings for frames its direct map does not reach (high
 * memory: the map_frame hook of a 32-bit kernel; Linux's fixmap and
 * kmap_local_page()).
 * @sys:    the system.
 * @va:     page-aligned virtual address in the kernel half; the range must
 *          lie in the span of one leaf table (1 << arch_level_shift(1)
 *          bytes, aligned: 4 MiB on i386, 2 MiB on PAE).
 * @npages: 1 to ARCH_ENTRIES.
 * @pa:     page-aligned physical address: the entries map @pa, @pa +
 *          4 KiB, ... to start with (frames the platform owns, e.g. a
 *          parking page); no reference is taken.
 * @prot:   as for mm_kernel_map(), without MM_PROT_LARGE.
 * @ptes:   receives the address, through phys_to_virt, of the first of the
 *          @npages consecutive leaf entries.
 *
 * The range is mapped with mm_kernel_map() (4 KiB pages, visible in every
 * space). Afterwards the platform may store into those entries, with
 * arch_pte_store(), any present leaf of arch_pte_leaf() for a frame it
 * owns, and must then invalidate that page in its TLB itself (x86 invlpg;
 * Intel SDM Vol. 3A §4.10.4.1) before using it. Every entry must stay
 * present: mm-core counts the present entries of each table. mm-core
 * does not touch them again unless mm_kernel_unmap() is called on the
 * range (which unmaps whatever they then map).
 *
 * Return: 0; -MM_EINVAL for a NULL @ptes, a bad @npages or @prot, or a
 * range across two leaf tables; the errors of mm_kernel_map(). Nothing
 * changes on error.
 */
int mm_kernel_window(struct mm_sys *sys, mm_vaddr_t va, unsigned npages, mm_paddr_t pa,
                     unsigned prot, arch_pte_t **ptes);

/**
 * mm_kernel_unmap() - unmap @npages pages at @va in the kernel half, freeing
 * tables below the shared level that this empties.
 * TLB: each page is invalidated with invalidate_page(MM_ASID_ALL, va) (x86
 * invlpg, RISC-V sfence.vma va, x0), never by a flush, since a global
 * page's entry survives a root switch (x86: a CR3 reload, SDM Vol. 3A
 * §4.10.4.1); in the active space, which shares the kernel half.
 *
 * A large page crossing either end of the range is split first (one page
 * table per level split, invalidated page by page as above).
 *
 * Return: 0; -MM_EINVAL, -MM_EFAULT as for mm_kernel_map(); -MM_ENOENT if
 * any page in the range is not mapped; -MM_EBUSY if the range touches a
 * large page at the root level (permanent: see mm_kernel_map());
 * -MM_ENOMEM if a split finds no frame. Nothing changes on error.
 */
int mm_kernel_unmap(struct mm_sys *sys, mm_vaddr_t va, uint64_t npages);

/**
 * MM_TLB_BATCH_PAGES - a range operation that must invalidate more pages
 * than this flushes the whole TLB instead, once (as Zircon's x86 MMU does).
 */
#define MM_TLB_BATCH_PAGES 32u

/**
 * mm_space_create() - a new address space: empty user half, shared kernel
 * half. Allocates one frame (the root) and writes into its kernel half the
 * kernel root's entries, and into its user half nothing: user entries are
 * never copied from anywhere.
 * @sys:   the system it belongs to.
 * @space: caller-provided storage, overwritten.
 *
 * Return: 0; -MM_ENOMEM (nothing allocated, @space untouched).
 */
int mm_space_create(struct mm_sys *sys, struct mm_space *space);

/** enum mm_clone_mode - how mm_space_clone() copies user pages. */
enum mm_clone_mode {
	MM_CLONE_EAGER = 0, /* copy every managed user frame now */
	MM_CLONE_COW = 1,   /* share frames read-only, copy on first write */
};

/**
 * mm_space_clone() - fork: a new space whose user half maps the same pages,
 * with the same logical protections, as @parent's, and the same regions.
 * @parent: source space, not the kernel space.
 * @child:  caller-provided storage for the new space.
 * @mode:   MM_CLONE_EAGER copies each managed user frame into a fresh frame
 *          of the same contents. MM_CLONE_COW shares every managed frame
 *          (one more reference each): pages that are logically writable
 *          (W, or already COW) in private memory become read-only with the
 *          software COW bit in both spaces, and the first write copies
 *          (mm_fault()); read-only pages are shared read-only without the
 *          COW bit, so writing them stays a protection violation. EAGER
 *          copies have the parent's logical protection: a read-only page's
 *          copy is read-only. In both modes, pages with the shared mark
 *          (MM_BACKING_SHARED regions, mm_map_phys()) and unmanaged pages
 *          (device memory) are shared as they are.
 *
 * COW is done in two passes: the child is built first (the only pass that
 * allocates), then the parent is write-protected (which cannot fail).
 *
 * TLB: MM_CLONE_COW write-protects the parent: if it is active, the TLB is
 * flushed once. MM_CLONE_EAGER changes nothing in the parent.
 *
 * Return: 0; -MM_EPERM if @parent is the kernel space; -MM_EINVAL for a bad
 * @mode; -MM_ENOMEM (no frames for the child's tables, pages or region
 * nodes); -MM_EOVERFLOW if a frame's reference count is full.
 * On error everything allocated for the child is freed and @parent is
 * exactly as it was.
 */
int mm_space_clone(struct mm_space *parent, struct mm_space *child, enum mm_clone_mode mode);

/**
 * mm_space_destroy() - free every frame of @space: each user frame it holds
 * the last reference to, every user page table, its region nodes' frames,
 * and the root.
 * Afterwards the free-frame count is back to where it was before the space
 * was created (for frames not shared with another space).
 *
 * TLB: none without an identifier (the space is not active, and an
 * untagged TLB caches only the active space's translations); with one
 * (mm_sys_set_asids()), the flush_all hook for it, before the identifier
 * can go to another space.
 *
 * Return: 0; -MM_EBUSY if @space is the active one (switch away first: a
 * space cannot free the tables it is running on); -MM_EPERM for the kernel
 * space. Nothing changes on error.
 */
int mm_space_destroy(struct mm_space *space);

/**
 * mm_space_activate() - make @space the one the MMU uses: its root goes to
 * the MMU's root register through the activate hook (x86: CR3, which also
 * drops the TLB's non-global entries).
 * Return: 0.
 */
int mm_space_activate(struct mm_space *space);

/**
 * mm_map() - map @npages fresh, zeroed frames at @va in @space's user half.
 * @space:  a user space (not the kernel space).
 * @va:     page-aligned, canonical, and the whole range below the kernel
 *          half (ARCH_USER_END).
 * @npages: pages, > 0.
 * @prot:   MM_PROT_READ plus any of WRITE, EXEC, USER.
 *
 * Allocates page tables on demand (kind MM_FRAME_PT) and one frame per page
 * (kind MM_FRAME_USER). TLB: none where the ISA never caches entries that
 * are not valid (x86); where it may (RISC-V), each new page of an active
 * space is invalidated.
 *
 * Return: 0; -MM_EINVAL (unaligned, non-canonical, empty or wrapping range,
 * bad @prot); -MM_EFAULT (range reaches into the kernel half); -MM_EPERM
 * (@space is the kernel space); -MM_EEXIST (a page in the range is already
 * mapped); -MM_ENOMEM. Nothing changes on error: frames and tables
 * allocated before an -MM_ENOMEM are freed again.
 */
int mm_map(struct mm_space *space, mm_vaddr_t va, uint64_t npages, unsigned prot);

/**
 * mm_map_phys() - map the @npages physical pages at @pa at @va in @space's
 * user half, as shared memory. A managed frame gets one more reference per
 * mapping; an unmanaged one (device memory) gets none. The PTEs carry the
 * software shared mark: such pages are never copy-on-write, a clone (eager
 * or COW) shares them as they are, and mm_protect() sets exactly @prot.
 * With MM_PROT_LARGE in @prot, large pages (2 MiB, 4 MiB, 1 GiB) wherever
 * @va and @pa are both aligned to one, up to mm_sys_set_large_pages(); a
 * large leaf holds one reference on each managed 4 KiB frame it maps, so
 * that splitting it moves references, never takes them. mm_unmap() or
 * mm_protect() of part of a large page splits it into the next level down
 * (a new page table, all-or-nothing); the region layer's calls (mm_fault(),
 * mm_munmap(), mm_mprotect(), ...) split the large pages they touch into
 * 4 KiB pages first. Source: Intel SDM Vol. 3A §4.3-§4.5 (PS), RISC-V
 * Privileged spec §4.3-§4.5 (superpages), Arm ARM D8.3 (block descriptors).
 *
 * Return: as mm_map(), plus -MM_EINVAL if @pa is invalid for the ISA or a
 * page in the range is a managed frame that is free, and -MM_EOVERFLOW if a
 * frame's reference count is full. Nothing changes on error.
 */
int mm_map_phys(struct mm_space *space, mm_vaddr_t va, mm_paddr_t pa, uint64_t npages,
                unsigned prot);

/**
 * mm_unmap() - unmap @npages pages at @va in @space's user half, dropping
 * each page's frame reference and freeing every page table this empties.
 *
 * TLB: if @space is active, each page is invalidated (one full flush if
 * more than MM_TLB_BATCH_PAGES); a large page once, at any of its
 * addresses, which invalidates every TLB entry for it (SDM Vol. 3A
 * §4.10.4.1 INVLPG; sfence.vma and TLBI VAE1 likewise). A large page that
 * crosses either end of the range is first split (needing one page table
 * per level split) and invalidated, since its page size changed (SDM Vol.
 * 3A §4.10.4.2; aarch64 breaks before it makes).
 *
 * Return: 0; -MM_EINVAL, -MM_EFAULT, -MM_EPERM as for mm_map(); -MM_ENOENT
 * if any page in the range is not mapped; -MM_ENOMEM if a large page must
 * be split and no frame is left for its table. Nothing changes on error.
 */
int mm_unmap(struct mm_space *space, mm_vaddr_t va, uint64_t npages);

/**
 * mm_protect() - set the logical protections of @npages mapped pages at @va
 * in @space's user half to @prot (frames and A/D bits are kept).
 *
 * Copy-on-write holds: a private page whose frame another mapping shares
 * (reference count > 1, no shared mark) is never made hardware-writable;
 * if @prot allows writing it becomes read-only with the COW mark, and the
 * first write copies (mm_fault()). Without WRITE in @prot the COW mark goes
 * (a read-only page is never COW), and writes are access violations.
 *
 * TLB: if @space is active, each page is invalidated (one full flush past
 * MM_TLB_BATCH_PAGES), for upgrades as for downgrades.
 *
 * A large page wholly inside the range keeps its size; one that crosses
 * either end is split first, as by mm_unmap().
 *
 * Return: 0; -MM_EINVAL, -MM_EFAULT, -MM_EPERM as for mm_map(); -MM_ENOENT
 * if any page in the range is not mapped; -MM_ENOMEM if a large page must
 * be split and no frame is left for its table. Nothing changes on error.
 */
int mm_protect(struct mm_space *space, mm_vaddr_t va, uint64_t npages, unsigned prot);

/** struct mm_mapping - what mm_query() reports for one virtual address. */
struct mm_mapping {
	mm_paddr_t pa; /* physical address of the byte at va */
	unsigned prot; /* effective MM_PROT_* (arch_prot_effective) */
	bool protnone; /* PROT_NONE: not present to the MMU, frame kept; prot 0 */
	bool cow;      /* software copy-on-write mark (logically writable) */
	bool shared;   /* software shared mark: shared on purpose, never COW */
	bool accessed; /* A bit, set by the MMU */
	bool dirty;    /* D bit, set by the MMU */
	bool managed;  /* the frame is managed by the allocator */
	uint32_t refs; /* its reference count, 0 if unmanaged */
	uint64_t size; /* bytes of the page holding va: 4 KiB, or a large page's */
};

/**
 * mm_query() - translate @va (any byte, user or kernel half) in @space.
 * Reads the tables only: no A/D or fault effects, and no TLB effect on the
 * pages it reads about. With MM_TABLES_RECURSIVE, reading a space that is
 * not loaded may install its root in an alternate root entry, which
 * flushes the loaded space's non-global TLB entries (flush_all) when that
 * entry held another root.
 * Return: 0 and *@out filled; -MM_EINVAL if @va is not canonical;
 * -MM_ENOENT if it is not mapped (with MM_TABLES_RECURSIVE: also in the
 * recursive mapping's windows, which map no memory of their own).
 */
int mm_query(const struct mm_space *space, mm_vaddr_t va, struct mm_mapping *out);

/** struct mm_walk_entry - one present entry, as mm_space_walk() visits it. */
struct mm_walk_entry {
	mm_vaddr_t va;  /* first virtual address the entry covers */
	unsigned level; /* 0 = leaf table, ARCH_LEVELS - 1 = root */
	unsigned index; /* index of the entry in its table */
	mm_paddr_t pa;  /* the frame or table it points at */
	bool leaf;      /* maps a page (else points at a table) */
	unsigned prot;  /* leaf only: effective MM_PROT_* (0: PROT_NONE) */
	bool protnone;  /* leaf only: PROT_NONE, frame kept, not present */
	bool cow;       /* leaf only: software COW mark */
	bool shared;    /* leaf only: software shared mark */
	bool kernel;    /* in the shared kernel half */
};

/** mm_walk_fn - visitor for mm_space_walk(); non-zero stops the walk. */
typedef int (*mm_walk_fn)(void *ctx, const struct mm_walk_entry *e);

/**
 * mm_space_walk() - visit every present entry of @space, tables before what
 * they point at, in increasing address order; the kernel half too if
 * @kernel_half (with MM_TABLES_RECURSIVE, not the recursive mapping's
 * window entries). Read only; with MM_TABLES_RECURSIVE, the TLB effect of
 * mm_query() on a space that is not loaded.
 * Return: 0, or the first non-zero value @fn returned.
 */
int mm_space_walk(const struct mm_space *space, bool kernel_half, mm_walk_fn fn, void *ctx);

/* ---- regions, faults and mmap (vm.c) ------------------------------------ */

/**
 * mm_region_add() - add region @r to @s's user half. No page is mapped:
 * pages come on first touch (mm_fault()) or by mm_populate().
 * @s: the space (not the kernel space).
 * @r: start and end page aligned, start < end, below ARCH_USER_END; prot
 *     any of READ, WRITE and EXEC, 0 being PROT_NONE (USER is implied;
 *     widened as for mm_mmap()); kind, backing and
 *     flags valid; a grows-down region has start - limit page aligned and
 *     limit >= one page; a file-backed region has @file non-NULL.
 *
 * Adjacent anonymous regions of the same kind, protection and flags are
 * merged. The range, and for a grows-down region its whole reach and guard
 * page [limit - 4 KiB, end), must not overlap any region or reach.
 *
 * Return: 0; -MM_EINVAL (bad region); -MM_EFAULT (outside the user half);
 * -MM_EEXIST (overlap); -MM_ENOMEM (no frame for the region's node; see
 * "Regions" in docs/ARCHITECTURE.md);
 * -MM_EPERM (kernel space). Nothing changes on error.
 */
int mm_region_add(struct mm_space *s, const struct mm_region *r);

/**
 * mm_region_find() - the region holding virtual address @va, or NULL.
 * O(log n) in the number of regions; O(1) when @va is in the region found
 * last, the gap after it or its successor (a hint kept in @s: the one
 * field a lookup writes, so concurrent lookups of one space need the
 * space's lock, as every other call does). The pointer, like those of
 * mm_region_first() and mm_region_next(), is valid until the next call that
 * changes @s's regions (add, fault-time stack growth, mmap and friends,
 * destroy); read the region through it, never write.
 */
const struct mm_region *mm_region_find(const struct mm_space *s, mm_vaddr_t va);

/**
 * mm_region_first() - @s's lowest region (by start address), or NULL if it
 * has none. O(1). See mm_region_find() for how long the pointer lives.
 */
const struct mm_region *mm_region_first(const struct mm_space *s);

/**
 * mm_region_next() - the region after @r in address order, or NULL after
 * the last. @r must be a region of @s (from mm_region_first(),
 * mm_region_next() or mm_region_find()) with no change to @s's regions
 * since. O(1). A whole-space loop:
 *     for (r = mm_region_first(s); r; r = mm_region_next(s, r))
 */
const struct mm_region *mm_region_next(const struct mm_space *s, const struct mm_region *r);

/**
 * mm_region_count() - how many regions @s has. O(1).
 */
uint64_t mm_region_count(const struct mm_space *s);

/* Access kinds for mm_fault(). */
enum {
	MM_ACCESS_READ = 0,
	MM_ACCESS_WRITE = 1u << 0,
	MM_ACCESS_EXEC = 1u << 1,
};

/** enum mm_fault_verdict - what mm_fault() decided. */
enum mm_fault_verdict {
	MM_FAULT_RESOLVED = 0, /* retry the access: it will succeed */
	MM_FAULT_SEGV,         /* no region there (or the guard page): kill */
	MM_FAULT_ACCESS,       /* a region there forbids this access: kill */
	MM_FAULT_OOM,          /* the fix needs a frame and none is left */
};

/** enum mm_fault_how - how a resolved fault was resolved. */
enum mm_fault_how {
	MM_FAULT_DEMAND_ZERO, /* a fresh zeroed frame */
	MM_FAULT_FILE,        /* a fresh frame filled from the file image */
	MM_FAULT_COW_COPY,    /* a shared COW frame copied */
	MM_FAULT_COW_REUSE,   /* a COW frame with one reference made writable */
	MM_FAULT_STACK_GROW,  /* a stack region grown down, then zero-filled */
	MM_FAULT_SPURIOUS,    /* the tables already allowed it (stale TLB) */
	MM_FAULT_NHOWS,
};

/**
 * mm_fault() - resolve a page fault at @va in @s's user half, as a
 * kernel's #PF handler does with CR2 and the error code.
 * @s:      the space that faulted (its user half).
 * @va:     the faulting virtual address (x86 CR2, RISC-V stval).
 * @access: MM_ACCESS_READ, or WRITE or EXEC.
 * @how:    if not NULL and resolved, receives how.
 *
 * Rules: a present page that is COW and written is copied, or made
 * writable in place if its frame has one reference; a missing page inside
 * a region whose protection allows @access is filled (zeros, or file
 * bytes); a missing page below a grows-down region, down to its limit, grows
 * it; a write to a read-only page is MM_FAULT_ACCESS, never a copy.
 *
 * TLB: an entry that changed in an active space is invalidated (and, where
 * the ISA may cache entries that are not valid, one that became valid).
 * On MM_FAULT_OOM nothing changed.
 *
 * Return: a verdict.
 */
enum mm_fault_verdict mm_fault(struct mm_space *s, mm_vaddr_t va, unsigned access,
                               enum mm_fault_how *how);

/**
 * mm_populate() - fault in @npages pages at @va for @access now (what
 * MAP_POPULATE and a stack's first page need).
 * Return: 0; -MM_EFAULT if a page is not in a region that allows @access;
 * -MM_ENOMEM (the pages populated before stay: they are valid).
 */
int mm_populate(struct mm_space *s, mm_vaddr_t va, uint64_t npages, unsigned access);

/* mm_mmap() flags. */
enum {
	MM_MAP_FIXED = 1u << 0,           /* exactly at @addr, replacing what is there */
	MM_MAP_SHARED = 1u << 1,          /* shared with forks; populated at once */
	MM_MAP_FIXED_NOREPLACE = 1u << 2, /* exactly at @addr; -MM_EEXIST if taken */
};

/**
 * mm_mmap() - a new anonymous region of @npages pages (mmap(2) with
 * MAP_ANONYMOUS). Private regions are demand-zero; MM_MAP_SHARED ones are
 * populated at once and their frames are shared, never copied, on fork.
 * @s:      the space.
 * @npages: its length in 4 KiB pages, > 0.
 * @addr:  with MM_MAP_FIXED or MM_MAP_FIXED_NOREPLACE, the page-aligned
 *         virtual address; otherwise a hint (0: none): if the range there is
 *         free it is used, else the highest free gap below the lowest stack.
 * @prot:  any combination of READ, WRITE and EXEC (USER is implied); 0 is
 *         PROT_NONE: the region reserves the range and every access faults
 *         with MM_FAULT_ACCESS. What the ISA cannot grant alone is widened
 *         as its MMU does: on x86 write-only is read-write and
 *         execute-only read-execute, as on Linux.
 * @flags: MM_MAP_FIXED replaces every region and page in the range, as one
 *         operation (Linux's MAP_FIXED: munmap, then map, all-or-nothing);
 *         MM_MAP_FIXED_NOREPLACE refuses a range that overlaps a region.
 *         A fixed range may not fall in a stack's reach below its region
 *         (-MM_EEXIST; Linux would allow it).
 * @out:   receives the address.
 *
 * TLB: pages replaced in an active space are invalidated (batched).
 *
 * Return: 0; -MM_EINVAL (bad arguments, or both fixed flags);
 * -MM_EFAULT (a fixed range outside the user half); -MM_EEXIST (a
 * MM_MAP_FIXED_NOREPLACE range taken, or a stack's reach); -MM_ENOMEM (no
 * gap; no frame for a region node, a shared region's pages or their
 * tables). Nothing changes on error.
 */
int mm_mmap(struct mm_space *s, mm_vaddr_t addr, uint64_t npages, unsigned prot, unsigned flags,
            mm_vaddr_t *out);

/**
 * mm_munmap() - remove [va, va + npages pages) from every region, splitting
 * regions at its ends, and unmap the pages present there (their frames are
 * dropped, tables freed when emptied). Holes in the range are fine.
 * TLB: each unmapped page of an active space is invalidated (batched).
 * Return: 0; -MM_EINVAL, -MM_EFAULT, -MM_EPERM as for mm_map(); -MM_ENOMEM
 * if splitting a region in two needs a frame for its node and there is
 * none (nothing changes).
 */
int mm_munmap(struct mm_space *s, mm_vaddr_t va, uint64_t npages);

/**
 * mm_mprotect() - set the protection @prot (as for mm_mmap(): 0 is
 * PROT_NONE) of every region page in the range,
 * splitting regions at its ends, and of the pages present there, by the
 * rule of mm_protect(): a private page whose frame another space also maps
 * becomes read-only and COW when @prot allows writing, and loses its COW
 * mark when it does not. PROT_NONE makes present pages not present to the
 * MMU while they keep their frames (mm_query() reports them with
 * @protnone); a later mprotect with READ restores them, contents intact.
 * TLB: every present page in an active space is invalidated (batched).
 * Return: 0; -MM_EINVAL (bad @prot or range); -MM_EFAULT; -MM_ENOENT if a
 * page of the range is in no region; -MM_ENOMEM if a split needs a frame for
 * a region node and there is none.
 * Nothing changes on error.
 */
int mm_mprotect(struct mm_space *s, mm_vaddr_t va, uint64_t npages, unsigned prot);

/* mm_madvise() advice. */
enum {
	MM_MADV_DONTNEED = 4, /* the value of Linux's MADV_DONTNEED */
};

/**
 * mm_madvise() - advise on [va, va + @npages pages). MM_MADV_DONTNEED
 * drops the private pages present there (their frames are released): the
 * next touch gets zeros (anonymous) or the file's bytes again (file-backed),
 * as on Linux. Pages of shared regions stay, since they are the region's
 * contents (Linux keeps them in the shared object and maps them back with
 * the same bytes).
 * TLB: dropped pages of an active space are invalidated (batched).
 * Return: 0; -MM_EINVAL (bad range or advice); -MM_EFAULT (outside the user
 * half); -MM_ENOENT if a page of the range is in no region (Linux: ENOMEM;
 * mm-core changes nothing then); -MM_EPERM (kernel space). Allocates
 * nothing.
 */
int mm_madvise(struct mm_space *s, mm_vaddr_t va, uint64_t npages, unsigned advice);

/* mm_mremap() flags. */
enum {
	MM_MREMAP_MAYMOVE = 1u << 0, /* Linux's MREMAP_MAYMOVE */
};

/**
 * mm_mremap() - resize the mapping [old, old + @old_pages pages), which
 * must lie in one region, to @new_pages pages (mremap(2)). Shrinking unmaps
 * the tail. Growing extends the region in place if the pages after it are
 * free; otherwise, with MM_MREMAP_MAYMOVE, the whole mapping moves to a
 * free gap: its page-table entries move (frames, references and COW state
 * with them) and nothing is copied. New pages of a private region are
 * demand-zero; of a shared region, populated and shared.
 * @s:         the space.
 * @old:       the mapping's first byte, page aligned.
 * @old_pages: its length in 4 KiB pages.
 * @new_pages: the new length in 4 KiB pages, > 0.
 * @flags: 0, or MM_MREMAP_MAYMOVE: the mapping may move to grow.
 * @out: receives the (possibly new) virtual address.
 *
 * TLB: pages moved or unmapped in an active space are invalidated.
 *
 * Return: 0; -MM_EINVAL (bad arguments, @new_pages 0, unknown flags, a
 * stack or file-backed region); -MM_EFAULT (the old range is not inside
 * one region); -MM_ENOMEM (no room in place without MM_MREMAP_MAYMOVE, no
 * gap, or no frames: for pages, tables or region nodes).
 * All-or-nothing: nothing changes on error.
 */
int mm_mremap(struct mm_space *s, mm_vaddr_t old, uint64_t old_pages, uint64_t new_pages,
              unsigned flags, mm_vaddr_t *out);

/**
 * mm_brk() - set the end of @s's heap to @new_brk (a byte address; brk(2)).
 * The heap starts where mm_exec() put it (the page after the highest
 * segment: struct mm_space's @brk_start); growing adds demand-zero pages
 * (kind MM_REGION_HEAP), shrinking unmaps whole pages past the new end.
 * @s:       the space.
 * @new_brk: the heap's new end (a byte address), or 0 to ask for it.
 * @out: receives the heap's end after the call (the old end on error).
 *
 * Return: 0; 0 with the current end for @new_brk 0 (a query, as brk(0));
 * -MM_EINVAL (no heap, or @new_brk below its start or in the kernel half);
 * -MM_ENOMEM (the heap would run into another region, or no frame for a
 * region node). Nothing changes on error.
 */
int mm_brk(struct mm_space *s, mm_vaddr_t new_brk, mm_vaddr_t *out);

/** mm_space_is_active() - is @space the one the MMU uses? */
static inline bool mm_space_is_active(const struct mm_space *space)
{
	return space->sys->active == space;
}

/**
 * mm_space_tlb_live() - may a TLB hold translations of @space, so that a
 * change to it needs an invalidation: it is active, or it has an
 * identifier (mm_sys_set_asids()), whose entries outlive a switch.
 */
static inline bool mm_space_tlb_live(const struct mm_space *space)
{
	return mm_space_is_active(space) || space->asid != 0;
}

/**
 * mm_space_first() - the first live space of @sys (the kernel space), to
 * iterate over every live space with mm_space_next().
 * @sys: the system.
 */
struct mm_space *mm_space_first(struct mm_sys *sys);
/**
 * mm_space_next() - the live space after @space, or NULL after the last.
 * @space: a live space (from mm_space_first() or this function).
 */
struct mm_space *mm_space_next(struct mm_space *space);

#endif /* MM_MM_H */
