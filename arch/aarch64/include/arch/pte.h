/*
 * arch/aarch64 page-table format: VMSAv8-64 stage 1 translation of the
 * EL1&0 regime, 4 KiB granule, 48-bit virtual addresses in each half
 * (TCR_EL1.T0SZ = T1SZ = 16), four lookup levels of 512 eight-byte
 * descriptors, 48-bit output addresses. The contract every name keeps is
 * written in arch/template/include/arch/pte.h.
 * Source: Arm Architecture Reference Manual for A-profile (ARM DDI 0487),
 * chapter D8 "The AArch64 Virtual Memory System Architecture": "Translation
 * table descriptor formats", "Memory access control" (AP, UXN, PXN),
 * "The Access flag", and "Using break-before-make when updating
 * translation table entries".
 *
 * Level numbering: mmkit counts from the leaf, Arm from the root. mmkit
 * level 0 (the page table) is Arm's level 3; mmkit level 3 (the root,
 * which TTBR0_EL1 or TTBR1_EL1 points at) is Arm's level 0.
 *
 *   63   48 47    39 38    30 29    21 20    12 11          0
 *  +-------+--------+--------+--------+--------+-------------+
 *  | 0/1s  | Arm L0 | Arm L1 | Arm L2 | Arm L3 | page offset |
 *  |       | mmkit 3| mmkit 2| mmkit 1| mmkit 0|             |
 *  +-------+--------+--------+--------+--------+-------------+
 *  bits 63:48 all 0: TTBR0_EL1 (user); all 1: TTBR1_EL1 (kernel).
 *
 * Descriptors: bit 0 valid. At Arm levels 0-2, bits[1:0] = 11 is a table,
 * 01 a block (levels 1 and 2 only: 1 GiB, 2 MiB); at level 3, 11 is a
 * page and 01 is reserved. A page or block carries AttrIndx[4:2], AP[2:1]
 * at bits 7:6 (bit 6: EL0 may access; bit 7: read-only), SH[9:8], AF[10],
 * nG[11], the output address in bits 47:12, PXN[53], UXN[54]; bits 58:55
 * are reserved for software. A table descriptor carries PXNTable[59],
 * UXNTable[60] and APTable[62:61].
 *
 * Policies of this port:
 *  - The kernel half has a root of its own (ARCH_KERNEL_ROOT_SEPARATE):
 *    TTBR1_EL1 holds the kernel space's root, TTBR0_EL1 a process's. A
 *    user root's entries 256-511 stay empty; the kernel root's entries
 *    256-511 (VA 0xFFFF800000000000 up) hold the kernel half.
 *  - Leaves are made with AF=1 (without FEAT_HAFDBS a clear AF is an
 *    Access flag fault) and every leaf counts as dirty: VMSAv8-64 has no
 *    dirty bit without FEAT_HAFDBS's DBM, and mm-core does not track
 *    dirtiness (RISC-V's port likewise sets D at creation).
 *  - Memory: AttrIndx 0 (MAIR_EL1 attribute 0 is Normal, write-back; the
 *    kernel programs it), inner shareable. mm-core has no memory type:
 *    every leaf it makes is Normal. A kernel that maps a device through
 *    mm_kernel_map() then sets the leaf's AttrIndx to AARCH64_ATTR_DEVICE
 *    (MAIR_EL1 attribute 1, Device-nGnRnE) itself, before the mapping is
 *    used (arch/aarch64/kernel/machine.c); AARCH64_MAIR is the MAIR_EL1
 *    value both attributes need.
 *  - Software bits: 55 = COW, 56 = SHARED in a valid leaf; 57 marks a
 *    PROT_NONE leaf, which is not valid (bit 0 clear: the MMU ignores every
 *    other bit of an invalid descriptor).
 *  - EXEC brings READ (no execute-only pages: EL0 execute-only would need
 *    AP[1]=0, which PAN cannot guard without FEAT_EPAN); WRITE brings READ.
 *    User pages are never executable at EL1 (PXN set), kernel pages never
 *    at EL0 (UXN set); user leaves are not global (nG=1, ASID-tagged).
 *  - Tables: kernel-half tables set UXNTable and APTable[0] (no EL0
 *    access), so a wrong leaf below them still cannot give the kernel's
 *    pages to EL0; user-half tables set nothing, as mm-core may map a
 *    supervisor page in the user half and its leaf's PXN decides.
 *  - Break-before-make (arch_pte_needs_bbm()): a valid entry that changes
 *    its output address, its size or kind, its memory attributes or nG
 *    goes invalid, then is invalidated from the TLB, then is written anew;
 *    permission and AF changes are made in place, as the manual allows.
 *  - TLBs never cache a descriptor that faults for translation, address
 *    size or access flag ("Translation table entries that generate a
 *    Translation fault ... are not cached in a TLB"): a new mapping needs
 *    no invalidation (arch_tlb_caches_invalid() is false), only a DSB
 *    before the access, which the kernel's TLB hooks and exception return
 *    give.
 */
#ifndef ARCH_AARCH64_PTE_H
#define ARCH_AARCH64_PTE_H

#if defined(MM_TABLES_RECURSIVE) && MM_TABLES_RECURSIVE
#error "aarch64 has no recursive table mapping (ARCH_RECURSIVE_SLOT, arch_recursive_table_va()): only i386 does; build with -Dtables=direct"
#endif

#include <mm/types.h>

#define ARCH_NAME "aarch64"

/* Geometry. */
#define ARCH_PAGE_SHIFT           12u
#define ARCH_PAGE_SIZE            (UINT64_C(1) << ARCH_PAGE_SHIFT)
#define ARCH_LEVELS               4u
#define ARCH_INDEX_BITS           9u
#define ARCH_ENTRIES              (1u << ARCH_INDEX_BITS)
#define ARCH_VA_BITS              48u
#define ARCH_PA_BITS              48u /* OA bits 47:12 (no FEAT_LPA) */
#define ARCH_KERNEL_FIRST_SLOT    256u
#define ARCH_ROOT_INDEX_BITS      ARCH_INDEX_BITS /* the root is a whole table */
#define ARCH_ROOT_ENTRIES         (1u << ARCH_ROOT_INDEX_BITS)
#define ARCH_KERNEL_ROOT_SEPARATE 1 /* TTBR1_EL1 */
#define ARCH_USER_END             UINT64_C(0x0000800000000000)
#define ARCH_KERNEL_BASE          UINT64_C(0xFFFF800000000000)
#define ARCH_LEVEL_NAMES                                                                           \
	{                                                                                          \
		"L3", "L2", "L1", "L0"                                                             \
	}

typedef uint64_t arch_pte_t;

/* Descriptor bits (ARM DDI 0487, D8 "Translation table descriptor formats"). */
#define AARCH64_PTE_VALID      (UINT64_C(1) << 0)
#define AARCH64_PTE_TABLE      (UINT64_C(1) << 1) /* levels 0-2: table; level 3: page */
#define AARCH64_PTE_ATTRINDX   (UINT64_C(7) << 2)
#define AARCH64_PTE_AP_EL0     (UINT64_C(1) << 6) /* AP[1]: EL0 may access */
#define AARCH64_PTE_AP_RO      (UINT64_C(1) << 7) /* AP[2]: read-only */
#define AARCH64_PTE_SH_INNER   (UINT64_C(3) << 8) /* SH[1:0] = 11: inner shareable */
#define AARCH64_PTE_SH         (UINT64_C(3) << 8)
#define AARCH64_PTE_AF         (UINT64_C(1) << 10)          /* access flag */
#define AARCH64_PTE_NG         (UINT64_C(1) << 11)          /* not global: ASID-tagged */
#define AARCH64_PTE_ADDR       UINT64_C(0x0000FFFFFFFFF000) /* OA bits 47:12 */
#define AARCH64_PTE_PXN        (UINT64_C(1) << 53)          /* no execution at EL1 */
#define AARCH64_PTE_UXN        (UINT64_C(1) << 54)          /* no execution at EL0 */
#define AARCH64_PTE_SW_COW     (UINT64_C(1) << 55)          /* software: copy-on-write */
#define AARCH64_PTE_SW_SHARED  (UINT64_C(1) << 56)          /* software: shared on purpose */
#define AARCH64_PTE_SW_NONE    (UINT64_C(1) << 57)          /* software, invalid: PROT_NONE */
#define AARCH64_TABLE_PXN      (UINT64_C(1) << 59)          /* PXNTable */
#define AARCH64_TABLE_UXN      (UINT64_C(1) << 60)          /* UXNTable */
#define AARCH64_TABLE_AP_NOEL0 (UINT64_C(1) << 61)          /* APTable[0]: no EL0 access */
/* AttrIndx values (bits 4:2) and the MAIR_EL1 a kernel programs for them
 * (D17.2.97: 0xFF Normal inner/outer write-back non-transient read/write
 * allocate; 0x00 Device-nGnRnE). mm-core's leaves are all AttrIndx 0. */
#define AARCH64_ATTR_NORMAL (UINT64_C(0) << 2)
#define AARCH64_ATTR_DEVICE (UINT64_C(1) << 2)
#define AARCH64_MAIR        UINT64_C(0x00FF)
/* What a change of which needs break-before-make (besides a valid<->table
 * change): the output address, the memory type and shareability, nG. */
#define AARCH64_PTE_BBM_BITS                                                                       \
	(AARCH64_PTE_ADDR | AARCH64_PTE_ATTRINDX | AARCH64_PTE_SH | AARCH64_PTE_NG |               \
	 AARCH64_PTE_TABLE | AARCH64_PTE_VALID)

/** arch_level_shift() - log2 of the bytes one entry at mmkit @level spans. */
static inline unsigned arch_level_shift(unsigned level)
{
	return ARCH_PAGE_SHIFT + level * ARCH_INDEX_BITS;
}

/** arch_pte_index() - index of @va's entry in its table at mmkit @level. */
static inline unsigned arch_pte_index(mm_vaddr_t va, unsigned level)
{
	return (unsigned)(va >> arch_level_shift(level)) & (ARCH_ENTRIES - 1);
}

/** arch_va_is_canonical() - does @va fall in one of the two 48-bit ranges,
 * bits 63:48 all 0 (TTBR0_EL1) or all 1 (TTBR1_EL1)? mm-core's user half
 * is the lower half of TTBR0's range, as on x86_64. */
static inline bool arch_va_is_canonical(mm_vaddr_t va)
{
	uint64_t top = va >> (ARCH_VA_BITS - 1);
	return top == 0 || top == (UINT64_MAX >> (ARCH_VA_BITS - 1));
}

/** arch_va_canonical() - bit 47 copied into bits 63:48. */
static inline mm_vaddr_t arch_va_canonical(mm_vaddr_t va)
{
	const unsigned top = 64u - ARCH_VA_BITS;
	return (mm_vaddr_t)((int64_t)(va << top) >> top);
}

/** arch_pa_is_valid() - page aligned and within the 48-bit output address. */
static inline bool arch_pa_is_valid(mm_paddr_t pa)
{
	return (pa & ~AARCH64_PTE_ADDR) == 0;
}

/** arch_prot_effective() - every valid leaf is readable at the EL it is
 * accessible from (AP has no "no read" encoding once valid, and this port
 * makes no execute-only pages): READ is always granted. */
static inline unsigned arch_prot_effective(unsigned prot)
{
	return prot | MM_PROT_READ;
}

/** arch_prot_is_valid() - may @prot be requested? READ is required. */
static inline bool arch_prot_is_valid(unsigned prot)
{
	return (prot & ~(unsigned)MM_PROT_ALL) == 0 && (prot & MM_PROT_READ);
}

/**
 * arch_pte_table() - a table descriptor for the table at @pa. User-half
 * tables take nothing away (mm-core may map a supervisor page there, and
 * its leaf says what it allows); kernel-half tables set UXNTable and
 * APTable[0] (nothing below is reachable from EL0).
 */
static inline arch_pte_t arch_pte_table(mm_paddr_t pa, unsigned level, bool user)
{
	(void)level; /* the same format at every level */
	return pa | AARCH64_PTE_VALID | AARCH64_PTE_TABLE |
	       (user ? 0 : (AARCH64_TABLE_UXN | AARCH64_TABLE_AP_NOEL0));
}

/** arch_pte_is_present() - is the descriptor valid (bit 0)? */
static inline bool arch_pte_is_present(arch_pte_t e)
{
	return (e & AARCH64_PTE_VALID) != 0;
}

/** arch_pte_is_leaf() - a page at mmkit level 0; above it, a block
 * (bits[1:0] = 01). */
static inline bool arch_pte_is_leaf(arch_pte_t e, unsigned level)
{
	return level == 0 || !(e & AARCH64_PTE_TABLE);
}

/*
 * ARCH_LARGE_MAX_LEVEL - the highest level at which a leaf (a large page)
 * may sit: with the 4 KiB granule, block descriptors at Arm levels 2
 * (2 MiB) and 1 (1 GiB), mmkit levels 1 and 2 (Arm ARM D8.3, "Translation
 * table descriptor formats"); no block at Arm level 0 without FEAT_LPA2.
 */
#define ARCH_LARGE_MAX_LEVEL 2u

/**
 * arch_pte_resize() - the leaf @e (valid or PROT_NONE) re-encoded as a
 * leaf at @level: a block (bits[1:0] = 01) above level 0, a page
 * (bits[1:0] = 11) at 0, with output address, attributes and software
 * bits kept.
 * Preconditions: @level <= ARCH_LARGE_MAX_LEVEL; the output address is
 * aligned to 1 << arch_level_shift(@level). (test: large_resize_round_trip)
 */
static inline arch_pte_t arch_pte_resize(arch_pte_t e, unsigned level)
{
	return level ? (e & ~AARCH64_PTE_TABLE) : (e | AARCH64_PTE_TABLE);
}

/**
 * arch_pte_with_ad() - the leaf @e with its accessed and dirty bits set, so
 * that the MMU never writes it: mm-core writes a root-level kernel leaf so
 * (an i386 4 MiB or Sv39 1 GiB page), since each root holds a copy of it
 * and a hardware write to one copy would make the copies differ. aarch64: AF (set by
 * arch_pte_leaf() already; no dirty state without DBM).
 */
static inline arch_pte_t arch_pte_with_ad(arch_pte_t e)
{
	return e | AARCH64_PTE_AF;
}

/** arch_pte_paddr() - the output address (or next table) of @e. */
static inline mm_paddr_t arch_pte_paddr(arch_pte_t e)
{
	return e & AARCH64_PTE_ADDR;
}

/** arch_pte_with_paddr() - @e (a leaf of any level, or PROT_NONE) with its
 * output address replaced by @pa (aligned to the leaf's size). */
static inline arch_pte_t arch_pte_with_paddr(arch_pte_t e, mm_paddr_t pa)
{
	return (e & ~AARCH64_PTE_ADDR) | pa;
}

/** arch_pte_prot() - the protections a valid leaf grants: USER from
 * AP[1], WRITE from AP[2] clear, EXEC from UXN (user pages) or PXN
 * (kernel pages), GLOBAL from nG clear. */
static inline unsigned arch_pte_prot(arch_pte_t e)
{
	bool user = (e & AARCH64_PTE_AP_EL0) != 0;
	unsigned prot = MM_PROT_READ;
	if (user)
		prot |= MM_PROT_USER;
	if (!(e & AARCH64_PTE_AP_RO))
		prot |= MM_PROT_WRITE;
	if (!(e & (user ? AARCH64_PTE_UXN : AARCH64_PTE_PXN)))
		prot |= MM_PROT_EXEC;
	if (!(e & AARCH64_PTE_NG))
		prot |= MM_PROT_GLOBAL;
	return prot;
}

/** arch_pte_with_prot() - @e with AP, UXN, PXN and nG from @prot; output
 * address, attributes, AF and software bits kept. */
static inline arch_pte_t arch_pte_with_prot(arch_pte_t e, unsigned prot)
{
	bool user = (prot & MM_PROT_USER) != 0;
	e &= ~(AARCH64_PTE_AP_EL0 | AARCH64_PTE_AP_RO | AARCH64_PTE_UXN | AARCH64_PTE_PXN |
	       AARCH64_PTE_NG);
	if (user)
		e |= AARCH64_PTE_AP_EL0;
	if (!(prot & MM_PROT_WRITE))
		e |= AARCH64_PTE_AP_RO;
	e |= user ? AARCH64_PTE_PXN : AARCH64_PTE_UXN;
	if (!(prot & MM_PROT_EXEC))
		e |= user ? AARCH64_PTE_UXN : AARCH64_PTE_PXN;
	if (!(prot & MM_PROT_GLOBAL))
		e |= AARCH64_PTE_NG;
	return e;
}

/** arch_pte_leaf() - a level-3 page descriptor for the frame at @pa:
 * Normal memory (AttrIndx 0), inner shareable, AF set. Preconditions:
 * arch_pa_is_valid(@pa), arch_prot_is_valid(@prot). */
static inline arch_pte_t arch_pte_leaf(mm_paddr_t pa, unsigned prot)
{
	return arch_pte_with_prot((arch_pte_t)pa | AARCH64_PTE_VALID | AARCH64_PTE_TABLE |
	                                  AARCH64_PTE_SH_INNER | AARCH64_PTE_AF,
	                          prot);
}

/** arch_pte_is_cow() / arch_pte_with_cow() - software bit 55. */
static inline bool arch_pte_is_cow(arch_pte_t e)
{
	return (e & AARCH64_PTE_SW_COW) != 0;
}

static inline arch_pte_t arch_pte_with_cow(arch_pte_t e, bool cow)
{
	return cow ? (e | AARCH64_PTE_SW_COW) : (e & ~AARCH64_PTE_SW_COW);
}

/** arch_pte_is_shared() / arch_pte_with_shared() - software bit 56. */
static inline bool arch_pte_is_shared(arch_pte_t e)
{
	return (e & AARCH64_PTE_SW_SHARED) != 0;
}

static inline arch_pte_t arch_pte_with_shared(arch_pte_t e, bool shared)
{
	return shared ? (e | AARCH64_PTE_SW_SHARED) : (e & ~AARCH64_PTE_SW_SHARED);
}

/** arch_pte_is_protnone() - invalid (bit 0 clear) with software bit 57:
 * every other bit of an invalid descriptor is ignored by the MMU. */
static inline bool arch_pte_is_protnone(arch_pte_t e)
{
	return (e & (AARCH64_PTE_VALID | AARCH64_PTE_SW_NONE)) == AARCH64_PTE_SW_NONE;
}

/** arch_pte_to_protnone() - valid bit cleared, bit 57 set; frame and
 * shared mark kept, COW mark dropped. */
static inline arch_pte_t arch_pte_to_protnone(arch_pte_t e)
{
	return (arch_pte_with_cow(e, false) & ~AARCH64_PTE_VALID) | AARCH64_PTE_SW_NONE;
}

/** arch_pte_from_protnone() - the valid leaf again, with @prot. */
static inline arch_pte_t arch_pte_from_protnone(arch_pte_t e, unsigned prot)
{
	return arch_pte_with_prot((e & ~AARCH64_PTE_SW_NONE) | AARCH64_PTE_VALID, prot);
}

/** arch_pte_is_dirty() - every leaf counts as dirty (see the policies). */
static inline bool arch_pte_is_dirty(arch_pte_t e)
{
	(void)e;
	return true;
}

/** arch_pte_is_accessed() - the access flag (set at creation). */
static inline bool arch_pte_is_accessed(arch_pte_t e)
{
	return (e & AARCH64_PTE_AF) != 0;
}

/** arch_pte_store() - one aligned 64-bit store, single-copy atomic ("Single-
 * copy atomicity": aligned doubleword accesses are), so a walk never sees
 * half a descriptor. The TLB hooks' DSB orders it before later walks. */
static inline void arch_pte_store(arch_pte_t *slot, arch_pte_t e)
{
	*(volatile arch_pte_t *)slot = e;
}

/**
 * arch_pte_needs_bbm() - must replacing the entry @old by @new go through
 * break-before-make: @old written invalid, its TLB entries invalidated,
 * then @new? Yes when both are valid and they differ in output address,
 * in kind or size (table, block, page), in memory attributes or
 * shareability, or in nG (ARM DDI 0487, D8 "Using break-before-make when
 * updating translation table entries"). Permission and AF changes are
 * made in place.
 */
static inline bool arch_pte_needs_bbm(arch_pte_t old, arch_pte_t new_e)
{
	return (old & AARCH64_PTE_VALID) && (new_e & AARCH64_PTE_VALID) &&
	       ((old ^ new_e) & AARCH64_PTE_BBM_BITS) != 0;
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

/** arch_tlb_caches_invalid() - no: a descriptor that faults for
 * translation, address size or access flag is never cached in a TLB. */
static inline bool arch_tlb_caches_invalid(void)
{
	return false;
}

_Static_assert(ARCH_PAGE_SIZE == 4096, "mm-core maps 4 KiB pages");
_Static_assert((uint64_t)ARCH_ENTRIES * sizeof(arch_pte_t) == ARCH_PAGE_SIZE,
               "a table fills one page");
_Static_assert(ARCH_VA_BITS ==
                       ARCH_PAGE_SHIFT + (ARCH_LEVELS - 1) * ARCH_INDEX_BITS + ARCH_ROOT_INDEX_BITS,
               "the levels decode exactly the VA bits");

#endif /* ARCH_AARCH64_PTE_H */
