/*
 * RISC-V page-table format, Sv39 and Sv48, 4 KiB pages: the body of
 * arch/riscv64/include/arch/pte.h (Sv39, RISCV_LEVELS 3) and
 * arch/riscv64-sv48/include/arch/pte.h (Sv48, RISCV_LEVELS 4), which define
 * RISCV_LEVELS and include this file. The contract every name keeps is
 * written in arch/template/include/arch/pte.h.
 * Source: The RISC-V Instruction Set Manual, Volume II: Privileged
 * Architecture, "Sv39: Page-Based 39-bit Virtual-Memory System" and "Sv48"
 * (PTE format, Figure "Sv39 page table entry"), and "Virtual Address
 * Translation Process".
 *
 * Level numbering (all of mmkit): 0 = the 4 KiB leaf table, RISCV_LEVELS - 1
 * = the root, whose PPN satp holds.
 *
 *   63  54 53        28 27    19 18    10 9  8 7 6 5 4 3 2 1 0
 *  +------+------------+--------+--------+----+-+-+-+-+-+-+-+-+
 *  | 0    | PPN[2]     | PPN[1] | PPN[0] |RSW |D|A|G|U|X|W|R|V|     (Sv39)
 *  +------+------------+--------+--------+----+-+-+-+-+-+-+-+-+
 *
 * Entries: V=0 is not valid (the other bits are then free for software).
 * A valid entry with R=W=X=0 points at the next table; with any of R, W, X
 * it is a leaf, at any level (mm-core creates level-0 leaves only). W
 * without R is reserved. Bits 63:54 must be 0 in a valid entry (Svnapot's
 * N and Svpbmt's PBMT are not used). For non-leaf entries D, A and U are
 * reserved and must be 0.
 *
 * Policies of this port:
 *  - Leaves are created with A=1 and D=1 (as Linux does for kernel
 *    mappings): the kernel then never depends on whether the hardware sets
 *    A/D itself (Svadu) or raises a page fault when they are clear (Svade);
 *    mm-core does not track dirtiness through the D bit.
 *  - The two RSW bits: 8 = COW, 9 = SHARED. PROT_NONE entries are not valid
 *    (V=0) and carry bit 54 (free for software when V=0) with their frame.
 *  - Kernel half: root entries 256-511, the sign-extended upper half of the
 *    address space, shared by every space; kernel leaves may be global (G).
 *  - The hardware may cache entries that are not valid: making an entry
 *    valid needs an sfence.vma too (arch_tlb_caches_invalid()).
 */
#ifndef ARCH_RISCV_PTE_H
#define ARCH_RISCV_PTE_H

#include <mm/types.h>

#ifndef RISCV_LEVELS
#error "define RISCV_LEVELS (3: Sv39, 4: Sv48) before including riscv_pte.h"
#endif

/* Geometry. */
#define ARCH_PAGE_SHIFT           12u
#define ARCH_PAGE_SIZE            (UINT64_C(1) << ARCH_PAGE_SHIFT)
#define ARCH_LEVELS               RISCV_LEVELS
#define ARCH_INDEX_BITS           9u
#define ARCH_ENTRIES              (1u << ARCH_INDEX_BITS)
#define ARCH_VA_BITS              (ARCH_PAGE_SHIFT + RISCV_LEVELS * ARCH_INDEX_BITS) /* 39, 48 */
#define ARCH_PA_BITS              56u /* PPN is 44 bits */
#define ARCH_KERNEL_FIRST_SLOT    256u
#define ARCH_ROOT_INDEX_BITS      ARCH_INDEX_BITS /* the root is a whole table */
#define ARCH_ROOT_ENTRIES         (1u << ARCH_ROOT_INDEX_BITS)
#define ARCH_KERNEL_ROOT_SEPARATE 0 /* the kernel half: root entries of every root */
#define ARCH_USER_END             (UINT64_C(1) << (ARCH_VA_BITS - 1))
#define ARCH_KERNEL_BASE          (~(uint64_t)0 << (ARCH_VA_BITS - 1))

typedef uint64_t arch_pte_t;

/* PTE bits (Privileged spec, "Sv39" PTE format). */
/* satp.MODE (Privileged spec §4.1.11, Table 4.4): 8 = Sv39, 9 = Sv48. */
#define RISCV_SATP_MODE       (RISCV_LEVELS == 3 ? 8u : 9u)
#define RISCV_SATP_MODE_SHIFT 60u                       /* MODE: bits 63:60 */
#define RISCV_SATP_ASID_SHIFT 44u                       /* ASID: bits 59:44 */
#define RISCV_SATP_ASID_MASK  UINT64_C(0xFFFF)          /* 16 bits at most */
#define RISCV_SATP_PPN_MASK   ((UINT64_C(1) << 44) - 1) /* PPN: bits 43:0 */

#define RISCV_PTE_V         (UINT64_C(1) << 0)  /* valid */
#define RISCV_PTE_R         (UINT64_C(1) << 1)  /* readable */
#define RISCV_PTE_W         (UINT64_C(1) << 2)  /* writable */
#define RISCV_PTE_X         (UINT64_C(1) << 3)  /* executable */
#define RISCV_PTE_U         (UINT64_C(1) << 4)  /* user-mode accessible */
#define RISCV_PTE_G         (UINT64_C(1) << 5)  /* global mapping */
#define RISCV_PTE_A         (UINT64_C(1) << 6)  /* accessed */
#define RISCV_PTE_D         (UINT64_C(1) << 7)  /* dirty */
#define RISCV_PTE_SW_COW    (UINT64_C(1) << 8)  /* RSW: copy-on-write (mm-core) */
#define RISCV_PTE_SW_SHR    (UINT64_C(1) << 9)  /* RSW: shared on purpose, never COW */
#define RISCV_PTE_SW_NONE   (UINT64_C(1) << 54) /* V=0 only: PROT_NONE, frame kept */
#define RISCV_PTE_PPN_SHIFT 10u
#define RISCV_PTE_PPN_MASK  ((UINT64_C(1) << 44) - 1) /* PPN: bits 53:10 */
#define RISCV_PTE_RWX       (RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_X)

/** arch_level_shift() - log2 of the bytes one entry at @level spans. */
static inline unsigned arch_level_shift(unsigned level)
{
	return ARCH_PAGE_SHIFT + level * ARCH_INDEX_BITS;
}

/** arch_pte_index() - index of @va's entry in its table at @level
 * (VPN[level] in the spec's terms). */
static inline unsigned arch_pte_index(mm_vaddr_t va, unsigned level)
{
	return (unsigned)(va >> arch_level_shift(level)) & (ARCH_ENTRIES - 1);
}

/** arch_va_is_canonical() - bits 63 .. VA_BITS-1 all equal ("instruction
 * fetch addresses and load and store effective addresses ... must have bits
 * 63-39 all equal to bit 38, or else a page-fault exception will occur"). */
static inline bool arch_va_is_canonical(mm_vaddr_t va)
{
	uint64_t top = va >> (ARCH_VA_BITS - 1);
	return top == 0 || top == (UINT64_MAX >> (ARCH_VA_BITS - 1));
}

/** arch_va_canonical() - bit VA_BITS-1 copied into every bit above it. */
static inline mm_vaddr_t arch_va_canonical(mm_vaddr_t va)
{
	const unsigned top = 64u - ARCH_VA_BITS;
	return (mm_vaddr_t)((int64_t)(va << top) >> top);
}

/** arch_pa_is_valid() - page aligned and within the 56 bits a PPN holds. */
static inline bool arch_pa_is_valid(mm_paddr_t pa)
{
	return (pa & (ARCH_PAGE_SIZE - 1)) == 0 && (pa >> ARCH_PA_BITS) == 0;
}

/**
 * arch_prot_effective() - what the hardware grants for @prot: write without
 * read is reserved, so WRITE brings READ; execute-only is a real encoding
 * (X alone: loads fault unless sstatus.MXR is set), so EXEC brings
 * nothing.
 */
static inline unsigned arch_prot_effective(unsigned prot)
{
	return (prot & MM_PROT_WRITE) ? (prot | MM_PROT_READ) : prot;
}

/** arch_prot_is_valid() - may @prot be requested? READ is required. */
static inline bool arch_prot_is_valid(unsigned prot)
{
	return (prot & ~(unsigned)MM_PROT_ALL) == 0 && (prot & MM_PROT_READ);
}

static inline arch_pte_t riscv_ppn_bits(mm_paddr_t pa)
{
	return (pa >> ARCH_PAGE_SHIFT) << RISCV_PTE_PPN_SHIFT;
}

/**
 * arch_pte_table() - a non-leaf entry pointing at the table at @pa: V=1 and
 * R=W=X=0. Non-leaf entries carry no rights (D, A and U are reserved in
 * them), so @user changes nothing: leaves alone decide.
 */
static inline arch_pte_t arch_pte_table(mm_paddr_t pa, unsigned level, bool user)
{
	(void)level; /* the same format at every level */
	(void)user;
	return riscv_ppn_bits(pa) | RISCV_PTE_V;
}

/** arch_pte_is_present() - is V set? */
static inline bool arch_pte_is_present(arch_pte_t e)
{
	return (e & RISCV_PTE_V) != 0;
}

/** arch_pte_is_leaf() - a leaf at any level has R, W or X set; level-0
 * entries are leaves by mmkit's rule (a pointer there is a page fault). */
static inline bool arch_pte_is_leaf(arch_pte_t e, unsigned level)
{
	return level == 0 || (e & RISCV_PTE_RWX) != 0;
}

/*
 * ARCH_LARGE_MAX_LEVEL - the highest level at which a leaf (a large page)
 * may sit. RISC-V allows a leaf at any level (Privileged spec, "Sv39":
 * megapages and gigapages; Sv48 adds 512 GiB terapages). mm-core stops at
 * 1 GiB (level 2: the root on Sv39): terapages are left out, as Linux
 * leaves them out.
 */
#define ARCH_LARGE_MAX_LEVEL 2u

/**
 * arch_pte_resize() - the leaf @e re-encoded as a leaf at @level: the same
 * bits, since a RISC-V leaf looks the same at every level; the PPN must be
 * aligned to the size (a misaligned superpage faults).
 * Preconditions: @level <= ARCH_LARGE_MAX_LEVEL. (test: large_resize_round_trip)
 */
static inline arch_pte_t arch_pte_resize(arch_pte_t e, unsigned level)
{
	(void)level;
	return e;
}

/**
 * arch_pte_with_ad() - the leaf @e with its accessed and dirty bits set, so
 * that the MMU never writes it: mm-core writes a root-level kernel leaf so
 * (an i386 4 MiB or Sv39 1 GiB page), since each root holds a copy of it
 * and a hardware write to one copy would make the copies differ. RISC-V: A and D (arch_pte_leaf()
 * sets them already).
 */
static inline arch_pte_t arch_pte_with_ad(arch_pte_t e)
{
	return e | RISCV_PTE_A | RISCV_PTE_D;
}

/** arch_pte_paddr() - the physical address PPN << 12 of @e. */
static inline mm_paddr_t arch_pte_paddr(arch_pte_t e)
{
	return ((e >> RISCV_PTE_PPN_SHIFT) & RISCV_PTE_PPN_MASK) << ARCH_PAGE_SHIFT;
}

/** arch_pte_with_paddr() - @e (a leaf of any level, or PROT_NONE) with its
 * PPN replaced by that of @pa (aligned to the leaf's size). */
static inline arch_pte_t arch_pte_with_paddr(arch_pte_t e, mm_paddr_t pa)
{
	return (e & ~(RISCV_PTE_PPN_MASK << RISCV_PTE_PPN_SHIFT)) | riscv_ppn_bits(pa);
}

/** arch_pte_prot() - the protections a present leaf grants. */
static inline unsigned arch_pte_prot(arch_pte_t e)
{
	return ((e & RISCV_PTE_R) ? MM_PROT_READ : 0u) | ((e & RISCV_PTE_W) ? MM_PROT_WRITE : 0u) |
	       ((e & RISCV_PTE_X) ? MM_PROT_EXEC : 0u) | ((e & RISCV_PTE_U) ? MM_PROT_USER : 0u) |
	       ((e & RISCV_PTE_G) ? MM_PROT_GLOBAL : 0u);
}

/** arch_pte_with_prot() - @e with R, W, X, U and G from
 * arch_prot_effective(@prot); frame, A/D and RSW kept. */
static inline arch_pte_t arch_pte_with_prot(arch_pte_t e, unsigned prot)
{
	prot = arch_prot_effective(prot);
	e &= ~(RISCV_PTE_RWX | RISCV_PTE_U | RISCV_PTE_G);
	return e | ((prot & MM_PROT_READ) ? RISCV_PTE_R : 0) |
	       ((prot & MM_PROT_WRITE) ? RISCV_PTE_W : 0) |
	       ((prot & MM_PROT_EXEC) ? RISCV_PTE_X : 0) |
	       ((prot & MM_PROT_USER) ? RISCV_PTE_U : 0) |
	       ((prot & MM_PROT_GLOBAL) ? RISCV_PTE_G : 0);
}

/** arch_pte_leaf() - a level-0 leaf for the frame at @pa, with A and D set
 * (the port's policy, above). Preconditions: arch_pa_is_valid(@pa); @prot
 * grants at least one of READ, WRITE, EXEC (else the entry would be a
 * pointer). */
static inline arch_pte_t arch_pte_leaf(mm_paddr_t pa, unsigned prot)
{
	return arch_pte_with_prot(riscv_ppn_bits(pa) | RISCV_PTE_V | RISCV_PTE_A | RISCV_PTE_D,
	                          prot);
}

/** arch_pte_is_cow() / arch_pte_with_cow() - RSW bit 8. */
static inline bool arch_pte_is_cow(arch_pte_t e)
{
	return (e & RISCV_PTE_SW_COW) != 0;
}

static inline arch_pte_t arch_pte_with_cow(arch_pte_t e, bool cow)
{
	return cow ? (e | RISCV_PTE_SW_COW) : (e & ~RISCV_PTE_SW_COW);
}

/** arch_pte_is_shared() / arch_pte_with_shared() - RSW bit 9. */
static inline bool arch_pte_is_shared(arch_pte_t e)
{
	return (e & RISCV_PTE_SW_SHR) != 0;
}

static inline arch_pte_t arch_pte_with_shared(arch_pte_t e, bool shared)
{
	return shared ? (e | RISCV_PTE_SW_SHR) : (e & ~RISCV_PTE_SW_SHR);
}

/** arch_pte_is_protnone() - V=0 with the software PROT_NONE bit: "when V
 * is 0 ... all other bits in the PTE are don't-cares and may be used freely
 * by software". */
static inline bool arch_pte_is_protnone(arch_pte_t e)
{
	return (e & (RISCV_PTE_V | RISCV_PTE_SW_NONE)) == RISCV_PTE_SW_NONE;
}

/** arch_pte_to_protnone() - V cleared, the PROT_NONE bit set; frame, A/D
 * and the shared mark kept, the COW mark dropped. */
static inline arch_pte_t arch_pte_to_protnone(arch_pte_t e)
{
	return (arch_pte_with_cow(e, false) & ~RISCV_PTE_V) | RISCV_PTE_SW_NONE;
}

/** arch_pte_from_protnone() - the present leaf again, with @prot. */
static inline arch_pte_t arch_pte_from_protnone(arch_pte_t e, unsigned prot)
{
	return arch_pte_with_prot((e & ~RISCV_PTE_SW_NONE) | RISCV_PTE_V, prot);
}

/** arch_pte_is_dirty() / arch_pte_is_accessed() - D and A (set at creation
 * by this port: see the policies above). */
static inline bool arch_pte_is_dirty(arch_pte_t e)
{
	return (e & RISCV_PTE_D) != 0;
}

static inline bool arch_pte_is_accessed(arch_pte_t e)
{
	return (e & RISCV_PTE_A) != 0;
}

/** arch_pte_store() - one aligned 64-bit store, single-copy atomic on RV64
 * (Unprivileged spec, "RVWMO": aligned accesses up to XLEN are). The
 * sfence.vma of the TLB hooks orders it before later walks. */
static inline void arch_pte_store(arch_pte_t *slot, arch_pte_t e)
{
	*(volatile arch_pte_t *)slot = e;
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
 * arch_root_entries_cached() - does the MMU keep root entries in registers
 * of its own, read only when the root register is written? No: each walk
 * reads the root table (see arch/template/include/arch/pte.h).
 */
static inline bool arch_root_entries_cached(void)
{
	return false;
}

/** arch_tlb_caches_invalid() - yes: an implementation may cache entries
 * that are not valid, so a new mapping needs sfence.vma as well
 * (Privileged spec, "Supervisor Memory-Management Fence Instruction"). */
static inline bool arch_tlb_caches_invalid(void)
{
	return true;
}

_Static_assert((uint64_t)ARCH_ENTRIES * sizeof(arch_pte_t) == ARCH_PAGE_SIZE,
               "a table fills one page");
_Static_assert(RISCV_LEVELS == 3 || RISCV_LEVELS == 4, "Sv39 or Sv48");

#endif /* ARCH_RISCV_PTE_H */
