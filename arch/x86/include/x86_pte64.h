/*
 * x86 paging with 64-bit entries, 4 KiB pages, with the execute-disable bit
 * (IA32_EFER.NXE=1): the body of arch/x86_64/include/arch/pte.h (4-level
 * paging, X86_PAGING_LEVELS 4) and arch/i386-pae/include/arch/pte.h (PAE
 * paging, X86_PAGING_LEVELS 3), which define X86_PAGING_LEVELS and include
 * this file. The contract every name keeps is written in
 * arch/template/include/arch/pte.h.
 * Source: Intel SDM Vol. 3A §4.4 "PAE paging" and §4.5 "4-level paging and
 * 5-level paging" (PML4E, PDPTE, PDE and PTE formats) and §4.6 (access
 * rights).
 *
 * Pure and static inline: compiles on the host and in the kernel alike.
 * This file (and i386's 32-bit sibling) is the only place that knows the
 * bit positions; mm-core uses the names below and nothing else.
 *
 * Level numbering (all of mmkit): 0 = PT (leaf), 1 = PD, 2 = PDPT,
 * 3 = PML4; the highest is the root that CR3 points at.
 *
 * 4-level paging (x86_64):
 *   63    48 47    39 38    30 29    21 20    12 11          0
 *  +--------+--------+--------+--------+--------+-------------+
 *  | sign   | PML4   | PDPT   | PD     | PT     | page offset |
 *  | ext.   | level 3| level 2| level 1| level 0|             |
 *  +--------+--------+--------+--------+--------+-------------+
 * User half: 0x0000000000000000-0x00007FFFFFFFFFFF (PML4 entries 0-255).
 * Kernel half: 0xFFFF800000000000-0xFFFFFFFFFFFFFFFF (entries 256-511),
 * shared by every address space.
 *
 * PAE paging (i386-pae): a 32-bit linear address, a root of only four
 * PDPTEs (ARCH_ROOT_ENTRIES; the root table still takes a frame), and
 * physical addresses up to MAXPHYADDR (at most 52 bits):
 *   31 30 29        21 20        12 11          0
 *  +-----+------------+------------+-------------+
 *  |PDPT | PD         | PT         | page offset |
 *  |lvl 2| level 1    | level 0    |             |
 *  +-----+------------+------------+-------------+
 * User half: 0x00000000-0xBFFFFFFF (PDPTEs 0-2). Kernel half:
 * 0xC0000000-0xFFFFFFFF (PDPTE 3), shared by every address space.
 * The processor loads the four PDPTEs into registers on a CR3 write and
 * does not reread them (§4.4.1): arch_root_entries_cached() says so, and
 * mm-core reloads CR3 after changing a root entry of the loaded root. A
 * PDPTE has no R/W, U/S, A or XD bits (they are reserved: Table 4-8).
 */
#ifndef ARCH_X86_PTE64_H
#define ARCH_X86_PTE64_H

#include <mm/types.h>

#ifndef X86_PAGING_LEVELS
#error "define X86_PAGING_LEVELS (4: 4-level paging, 3: PAE) before including x86_pte64.h"
#endif

/* Geometry. */
#define ARCH_PAGE_SHIFT           12u
#define ARCH_PAGE_SIZE            (UINT64_C(1) << ARCH_PAGE_SHIFT) /* bytes */
#define ARCH_LEVELS               X86_PAGING_LEVELS
#define ARCH_INDEX_BITS           9u
#define ARCH_ENTRIES              (1u << ARCH_INDEX_BITS) /* entries per table */
#define ARCH_PA_BITS              52u /* architectural maximum (MAXPHYADDR <= 52) */
#define ARCH_KERNEL_ROOT_SEPARATE 0   /* the kernel half: root entries of every root */
#if X86_PAGING_LEVELS == 4
#define ARCH_ROOT_INDEX_BITS   9u /* a PML4 of 512 entries */
#define ARCH_VA_BITS           48u
#define ARCH_KERNEL_FIRST_SLOT 256u                         /* first shared PML4E */
#define ARCH_USER_END          UINT64_C(0x0000800000000000) /* first non-user VA */
#define ARCH_KERNEL_BASE       UINT64_C(0xFFFF800000000000) /* first kernel VA */
#else
#define ARCH_ROOT_INDEX_BITS   2u /* a PDPT of 4 entries (§4.4.1) */
#define ARCH_VA_BITS           32u
#define ARCH_KERNEL_FIRST_SLOT 3u                   /* PDPTE 3: 0xC0000000 up */
#define ARCH_USER_END          UINT64_C(0xC0000000) /* first non-user VA */
#define ARCH_KERNEL_BASE       UINT64_C(0xC0000000) /* first kernel VA */
#endif
#define ARCH_ROOT_ENTRIES (1u << ARCH_ROOT_INDEX_BITS) /* entries the root uses */

typedef uint64_t arch_pte_t;

/* Hardware bits, SDM Vol. 3A §4.5 (paging-structure entry formats). */
#define X86_PTE_P    (UINT64_C(1) << 0)           /* present */
#define X86_PTE_RW   (UINT64_C(1) << 1)           /* writable */
#define X86_PTE_US   (UINT64_C(1) << 2)           /* user-mode accessible */
#define X86_PTE_PWT  (UINT64_C(1) << 3)           /* page-level write-through */
#define X86_PTE_PCD  (UINT64_C(1) << 4)           /* page-level cache disable */
#define X86_PTE_A    (UINT64_C(1) << 5)           /* accessed */
#define X86_PTE_D    (UINT64_C(1) << 6)           /* dirty (leaf only) */
#define X86_PTE_PS   (UINT64_C(1) << 7)           /* PDPTE/PDE: 1 GiB / 2 MiB page */
#define X86_PTE_G    (UINT64_C(1) << 8)           /* global (leaf only) */
#define X86_PTE_XD   (UINT64_C(1) << 63)          /* execute-disable */
#define X86_PTE_ADDR UINT64_C(0x000FFFFFFFFFF000) /* bits 51:12 */
/* Bits 11:9 and 58:52 are ignored by the processor: software bits. */
#define X86_PTE_SW_COW    (UINT64_C(1) << 9)  /* copy-on-write (mm-core) */
#define X86_PTE_SW_SHARED (UINT64_C(1) << 10) /* shared on purpose, never COW */
#define X86_PTE_SW_NONE   (UINT64_C(1) << 11) /* P=0: PROT_NONE, frame kept */

/** arch_level_shift() - log2 of the bytes one entry at @level spans. */
static inline unsigned arch_level_shift(unsigned level)
{
	return ARCH_PAGE_SHIFT + level * ARCH_INDEX_BITS;
}

/** arch_pte_index() - index of @va's entry in its table at @level. */
static inline unsigned arch_pte_index(mm_vaddr_t va, unsigned level)
{
	return (unsigned)(va >> arch_level_shift(level)) & (ARCH_ENTRIES - 1);
}

/**
 * arch_va_is_canonical() - can @va be a linear address? 4-level paging:
 * bits 63:47 must all equal bit 47 (SDM Vol. 1 §3.3.7.1). PAE: any value
 * below 2^32 (no sign extension).
 */
static inline bool arch_va_is_canonical(mm_vaddr_t va)
{
	if (ARCH_VA_BITS == 32)
		return va <= UINT32_MAX;
	uint64_t top = va >> (ARCH_VA_BITS - 1); /* bits 63:47 */
	return top == 0 || top == (UINT64_MAX >> (ARCH_VA_BITS - 1));
}

/**
 * arch_va_canonical() - the canonical form of an address composed from
 * table indices: 4-level paging copies bit 47 into bits 63:48; PAE keeps
 * the low 32 bits.
 */
static inline mm_vaddr_t arch_va_canonical(mm_vaddr_t va)
{
	if (ARCH_VA_BITS == 32)
		return va & UINT32_MAX;
	const unsigned top = 64u - ARCH_VA_BITS;
	return (mm_vaddr_t)((int64_t)(va << top) >> top);
}

/**
 * arch_pa_is_valid() - can a leaf PTE point at the 4 KiB frame at @pa?
 * @pa must be page aligned and fit in bits 51:12.
 */
static inline bool arch_pa_is_valid(mm_paddr_t pa)
{
	return (pa & ~X86_PTE_ADDR) == 0;
}

/**
 * arch_prot_effective() - the protections the hardware really grants for a
 * request of @prot: every present page is readable (SDM §4.6); write and
 * execute are honoured as asked.
 */
static inline unsigned arch_prot_effective(unsigned prot)
{
	return (prot & (MM_PROT_WRITE | MM_PROT_EXEC | MM_PROT_USER)) | MM_PROT_READ;
}

/** arch_prot_is_valid() - may @prot be requested? READ is required. */
static inline bool arch_prot_is_valid(unsigned prot)
{
	return (prot & ~(unsigned)MM_PROT_ALL) == 0 && (prot & MM_PROT_READ);
}

/**
 * arch_pte_table() - encode a non-leaf entry, in a table at @level (1 ..
 * ARCH_LEVELS - 1), pointing at the table at @pa.
 * Non-leaf entries grant everything (writable, executable, and
 * user-accessible in the user half) so that the leaf alone decides (SDM
 * §4.6: rights combine across levels); kernel-half tables are
 * supervisor-only. The Accessed bit is set up front (as Linux does), so
 * the MMU never writes a table entry, and the kernel-half entries of every
 * root stay bit-identical (SDM §4.8). A PAE PDPTE (the root's) has P and
 * the address only: its R/W, U/S and A positions are reserved (SDM Vol. 3A
 * §4.4.1, Table 4-8), and a CR3 load with one set faults (#GP).
 */
static inline arch_pte_t arch_pte_table(mm_paddr_t pa, unsigned level, bool user)
{
	if (ARCH_VA_BITS == 32 && level == ARCH_LEVELS - 1)
		return pa | X86_PTE_P;
	return pa | X86_PTE_P | X86_PTE_RW | X86_PTE_A | (user ? X86_PTE_US : 0);
}

/**
 * arch_root_entries_cached() - does the MMU keep its own copy of the root
 * entries, read when the root register is written and not again, so that
 * a change to a root entry of the loaded root reaches the MMU only through
 * another write of the root register (mm_mach_ops.activate)? PAE: yes,
 * the four PDPTE registers (SDM Vol. 3A §4.4.1: the processor does not
 * keep them coherent with memory); 4-level paging: no, a PML4E is read by
 * the walk (and cached only in paging-structure caches, which invlpg
 * drops, §4.10.3).
 */
static inline bool arch_root_entries_cached(void)
{
	return ARCH_VA_BITS == 32;
}

/** arch_pte_is_present() - is the P bit set? */
static inline bool arch_pte_is_present(arch_pte_t e)
{
	return (e & X86_PTE_P) != 0;
}

/**
 * arch_pte_is_leaf() - does the present entry @e at @level map memory
 * rather than point at a table? Every entry at level 0; above it, those
 * with PS set (a large page, SDM Vol. 3A §4.5 Tables 4-15 to 4-17).
 */
static inline bool arch_pte_is_leaf(arch_pte_t e, unsigned level)
{
	return level == 0 || (e & X86_PTE_PS);
}

/*
 * ARCH_LARGE_MAX_LEVEL - the highest level at which a leaf (a large page)
 * may sit; 0 for a format without large pages. Leaves above level 0 map
 * 1 << arch_level_shift(level) bytes, and mm-core makes them only where
 * the platform allows (mm_sys_set_large_pages()).
 */
/* 4-level paging: 2 MiB PDEs and 1 GiB PDPTEs with PS set (SDM Vol. 3A
 * §4.5, Tables 4-17 and 4-15); 1 GiB pages need
 * CPUID.80000001H:EDX.Page1GB[bit 26]. PAE: 2 MiB PDEs only (§4.4.2,
 * Table 4-9); a PDPTE never maps a page. */
#define ARCH_LARGE_MAX_LEVEL (X86_PAGING_LEVELS == 4 ? 2u : 1u)

/**
 * arch_pte_resize() - the leaf @e (present or PROT_NONE) re-encoded as a
 * leaf at @level: a large page above level 0, a 4 KiB page at 0, with its
 * output address, protections, A/D and software bits kept. x86: PS (bit
 * 7) set above level 0, clear at 0. The PAT bit (bit 7 of a 4 KiB PTE,
 * bit 12 of a large one; SDM Vol. 3A §4.5 Tables 4-15 to 4-19) is never
 * set by mm-core, so nothing else moves.
 * Preconditions: @level <= ARCH_LARGE_MAX_LEVEL; the output address is
 * aligned to 1 << arch_level_shift(@level). (test: large_resize_round_trip)
 */
static inline arch_pte_t arch_pte_resize(arch_pte_t e, unsigned level)
{
	return level ? (e | X86_PTE_PS) : (e & ~X86_PTE_PS);
}

/**
 * arch_pte_with_ad() - the leaf @e with its accessed and dirty bits set, so
 * that the MMU never writes it: mm-core writes a root-level kernel leaf so
 * (an i386 4 MiB or Sv39 1 GiB page), since each root holds a copy of it
 * and a hardware write to one copy would make the copies differ. x86: A and D (SDM Vol. 3A §4.8).
 */
static inline arch_pte_t arch_pte_with_ad(arch_pte_t e)
{
	return e | X86_PTE_A | X86_PTE_D;
}

/**
 * arch_pte_store() - write entry @e into the table slot @slot: the one way
 * mm-core writes an entry. One aligned store the MMU sees whole (SDM Vol.
 * 3A §8.1.1 "Guaranteed Atomic Operations": aligned accesses of up to
 * 64 bits); volatile, so
 * the compiler neither splits nor elides it. Ordering with the TLB is the
 * invalidation hooks' job.
 */
static inline void arch_pte_store(arch_pte_t *slot, arch_pte_t e)
{
#if defined(__i386__)
	/* A 32-bit kernel (i386 PAE): a plain 64-bit store is two 32-bit
	 * moves, and the MMU could walk half an entry between them. LOCK
	 * CMPXCHG8B writes all 8 bytes at once (SDM Vol. 2A, CMPXCHG8B):
	 * compare EDX:EAX with the slot, store ECX:EBX if equal, else load
	 * the slot into EDX:EAX and try again. */
	uint64_t old = *(volatile uint64_t *)slot;
	__asm__ volatile("1: lock cmpxchg8b %0\n\tjnz 1b"
	                 : "+m"(*slot), "+A"(old)
	                 : "b"((uint32_t)e), "c"((uint32_t)(e >> 32))
	                 : "memory", "cc");
#else
	*(volatile arch_pte_t *)slot = e;
#endif
}

/**
 * arch_pte_needs_bbm() - must replacing the entry @old by @new_e go through
 * break-before-make: @old written invalid (0), its TLB entries
 * invalidated, and only then @new_e written? mm-core asks before every
 * change of a valid leaf that may alter its output address (a COW break),
 * and does so where this says yes. x86 and RISC-V: never (an entry may
 * change in place, then be invalidated); aarch64: a change of output
 * address, size, memory type or nG between two valid entries (Arm ARM
 * D8, "break-before-make"). (test: cow; the simulator's BBM checker)
 */
static inline bool arch_pte_needs_bbm(arch_pte_t old, arch_pte_t new_e)
{
	(void)old;
	(void)new_e;
	return false;
}

/**
 * arch_tlb_caches_invalid() - may the TLB or paging-structure caches hold
 * an entry that is not valid, so that making an entry valid needs an
 * invalidation too? x86: no, "the processor does not cache a translation
 * for a page number unless the present flag is 1" (SDM Vol. 3A §4.10.2.3).
 */
static inline bool arch_tlb_caches_invalid(void)
{
	return false;
}

/** arch_pte_paddr() - physical address of the frame or table @e points at. */
static inline mm_paddr_t arch_pte_paddr(arch_pte_t e)
{
	return e & X86_PTE_ADDR;
}

/** arch_pte_with_paddr() - @e (a leaf of any level, or PROT_NONE) with its
 * output address replaced by @pa (aligned to the leaf's size). */
static inline arch_pte_t arch_pte_with_paddr(arch_pte_t e, mm_paddr_t pa)
{
	return (e & ~X86_PTE_ADDR) | pa;
}

/** arch_pte_prot() - decode the protections of a present leaf PTE. */
static inline unsigned arch_pte_prot(arch_pte_t e)
{
	unsigned prot = MM_PROT_READ;
	if (e & X86_PTE_RW)
		prot |= MM_PROT_WRITE;
	if (e & X86_PTE_US)
		prot |= MM_PROT_USER;
	if (!(e & X86_PTE_XD))
		prot |= MM_PROT_EXEC;
	if (e & X86_PTE_G)
		prot |= MM_PROT_GLOBAL;
	return prot;
}

/**
 * arch_pte_with_prot() - @e (a present leaf) with its protections replaced
 * by @prot; frame, A/D and software bits are kept.
 */
static inline arch_pte_t arch_pte_with_prot(arch_pte_t e, unsigned prot)
{
	e &= ~(X86_PTE_RW | X86_PTE_US | X86_PTE_XD | X86_PTE_G);
	if (prot & MM_PROT_WRITE)
		e |= X86_PTE_RW;
	if (prot & MM_PROT_GLOBAL)
		e |= X86_PTE_G;
	if (prot & MM_PROT_USER)
		e |= X86_PTE_US;
	if (!(prot & MM_PROT_EXEC))
		e |= X86_PTE_XD;
	return e;
}

/**
 * arch_pte_leaf() - encode a level-0 PTE mapping the 4 KiB frame at @pa.
 * Preconditions: arch_pa_is_valid(@pa), arch_prot_is_valid(@prot).
 * The protection bits come from arch_pte_with_prot(), their one encoder.
 */
static inline arch_pte_t arch_pte_leaf(mm_paddr_t pa, unsigned prot)
{
	return arch_pte_with_prot((arch_pte_t)pa | X86_PTE_P, prot);
}

/** arch_pte_is_cow() - is the software copy-on-write bit set? */
static inline bool arch_pte_is_cow(arch_pte_t e)
{
	return (e & X86_PTE_SW_COW) != 0;
}

/** arch_pte_with_cow() - @e with the software copy-on-write bit set to @cow. */
static inline arch_pte_t arch_pte_with_cow(arch_pte_t e, bool cow)
{
	return cow ? (e | X86_PTE_SW_COW) : (e & ~X86_PTE_SW_COW);
}

/**
 * arch_pte_is_shared() - is the software "shared" bit set? mm-core sets it on
 * pages whose frame is shared on purpose (MM_MAP_SHARED regions,
 * mm_map_phys()): they are never copy-on-write, and a fork shares them.
 * Bit 10 is ignored by the processor (SDM Vol. 3A §4.3, §4.5).
 */
static inline bool arch_pte_is_shared(arch_pte_t e)
{
	return (e & X86_PTE_SW_SHARED) != 0;
}

/** arch_pte_with_shared() - @e with the software "shared" bit set to @shared. */
static inline arch_pte_t arch_pte_with_shared(arch_pte_t e, bool shared)
{
	return shared ? (e | X86_PTE_SW_SHARED) : (e & ~X86_PTE_SW_SHARED);
}

/**
 * arch_pte_is_protnone() - is @e a PROT_NONE leaf: not present to the MMU
 * (P=0, so every access faults), but still holding its frame, whose
 * address and software bits it keeps (mm-core's PROT_NONE pages keep their
 * contents, as Linux's protnone entries do). The processor ignores every
 * other bit of an entry whose P bit is 0 (SDM Vol. 3A §4.5, Table 4-19).
 */
static inline bool arch_pte_is_protnone(arch_pte_t e)
{
	return (e & (X86_PTE_P | X86_PTE_SW_NONE)) == X86_PTE_SW_NONE;
}

/**
 * arch_pte_to_protnone() - the PROT_NONE form of the present leaf @e: P
 * cleared, the frame and the shared mark kept, the COW mark dropped (a page
 * without access is not logically writable).
 */
static inline arch_pte_t arch_pte_to_protnone(arch_pte_t e)
{
	return (arch_pte_with_cow(e, false) & ~X86_PTE_P) | X86_PTE_SW_NONE;
}

/**
 * arch_pte_from_protnone() - the present leaf for the PROT_NONE entry @e,
 * with the frame and the shared mark kept and protections @prot.
 */
static inline arch_pte_t arch_pte_from_protnone(arch_pte_t e, unsigned prot)
{
	return arch_pte_with_prot((e & ~X86_PTE_SW_NONE) | X86_PTE_P, prot);
}

/** arch_pte_is_dirty() - has the processor set the D bit of this leaf? */
static inline bool arch_pte_is_dirty(arch_pte_t e)
{
	return (e & X86_PTE_D) != 0;
}

/** arch_pte_is_accessed() - has the processor set the A bit? */
static inline bool arch_pte_is_accessed(arch_pte_t e)
{
	return (e & X86_PTE_A) != 0;
}

/* The geometry mm-core relies on (see arch/template/include/arch/pte.h). */
_Static_assert(ARCH_PAGE_SIZE == 4096, "mm-core maps 4 KiB pages");
_Static_assert((uint64_t)ARCH_ENTRIES * sizeof(arch_pte_t) == ARCH_PAGE_SIZE,
               "a table fills one page");
_Static_assert(ARCH_PAGE_SHIFT + (ARCH_LEVELS - 1) * ARCH_INDEX_BITS + ARCH_ROOT_INDEX_BITS ==
                       ARCH_VA_BITS,
               "the levels decode exactly the virtual-address bits");

#endif /* ARCH_X86_PTE64_H */
