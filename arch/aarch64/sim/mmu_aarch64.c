/*
 * aarch64 MMU model (VMSAv8-64 stage 1, EL1&0, 4 KiB granule, 48-bit VA).
 * Every rule cites the part of Arm ARM chapter D8 it comes from. See
 * mmu_aarch64.h.
 */
#include "mmu_aarch64.h"

#include <string.h>

/* Descriptor fields (Arm ARM D8, "Translation table descriptor formats"). */
#define D_VALID       (1ull << 0)
#define D_TABLE       (1ull << 1) /* levels 0-2: table; level 3: page (must be 1) */
#define D_AP1         (1ull << 6) /* AP[1]: EL0 may access */
#define D_AP2         (1ull << 7) /* AP[2]: read-only */
#define D_AF          (1ull << 10)
#define D_NG          (1ull << 11)
#define D_PXN         (1ull << 53)
#define D_UXN         (1ull << 54)
#define D_PXNTABLE    (1ull << 59)
#define D_UXNTABLE    (1ull << 60)
#define D_APTABLE0    (1ull << 61)          /* no EL0 data access below */
#define D_APTABLE1    (1ull << 62)          /* no write access below */
#define D_OA_MASK     0x0000FFFFFFFFF000ull /* output address bits [47:12] */
#define GRANULE_SHIFT 12
#define INDEX_BITS    9
#define VA_BITS       48         /* T0SZ = T1SZ = 16 */
#define ESR_IL        (1u << 25) /* a 32-bit instruction */
#define ESR_WNR       (1u << 6)  /* data abort: a write */
#define ESR_EC_SHIFT  26

static bool fault(struct mmu_a64_result *res, uint64_t va, unsigned acc, uint32_t type,
                  unsigned level, bool external)
{
	uint32_t ec;
	if (acc & MMU_A64_ACC_FETCH)
		ec = (acc & MMU_A64_ACC_EL0) ? MMU_A64_EC_IABT_LOWER : MMU_A64_EC_IABT_CUR;
	else
		ec = (acc & MMU_A64_ACC_EL0) ? MMU_A64_EC_DABT_LOWER : MMU_A64_EC_DABT_CUR;
	res->ok = false;
	res->external = external;
	res->fsc = type | level;
	/* ESR_EL1: EC, IL = 1, and for a data abort WnR (D17, ISS encoding
	 * for an exception from a Data Abort); the FAR is valid (FnV = 0). */
	res->esr = (ec << ESR_EC_SHIFT) | ESR_IL | res->fsc |
	           (!(acc & MMU_A64_ACC_FETCH) && (acc & MMU_A64_ACC_WRITE) ? ESR_WNR : 0);
	res->far = va;
	return false;
}

bool mmu_a64_rights_allow(const struct mmu_a64_regs *regs, const struct mmu_a64_result *res,
                          unsigned acc)
{
	/* D8 "Memory access control": instruction fetches need execute
	 * permission at the EL that fetches; loads and stores, read or write
	 * permission there. PSTATE.PAN makes every EL1 load and store to a
	 * page that EL0 may access a Permission fault (FEAT_PAN). */
	if (acc & MMU_A64_ACC_EL0) {
		if (acc & MMU_A64_ACC_FETCH)
			return res->el0_exec;
		return (acc & MMU_A64_ACC_WRITE) ? res->el0_write : res->el0_read;
	}
	if (acc & MMU_A64_ACC_FETCH)
		return res->el1_exec;
	if (regs->pan && res->el0_read)
		return false;
	return (acc & MMU_A64_ACC_WRITE) ? res->el1_write : res->el1_read;
}

/* The rights a leaf grants, with what the tables above it took away
 * (D8 "Hierarchical control of data access permissions" and
 * "... of instruction access permissions"). */
static void rights(const struct mmu_a64_regs *regs, uint64_t desc, bool no_el0, bool ro, bool pxn_t,
                   bool uxn_t, struct mmu_a64_result *res)
{
	/* AP[2:1]: 00 EL1 RW; 01 EL1 and EL0 RW; 10 EL1 RO; 11 EL1 and EL0 RO. */
	bool read_only = ro || (desc & D_AP2);
	bool el0 = !no_el0 && (desc & D_AP1);
	res->el1_read = true;
	res->el1_write = !read_only;
	res->el0_read = el0;
	res->el0_write = el0 && !read_only;
	/* Execute: UXN for EL0 (an EL0 fetch needs no data permission: AP 00
	 * with UXN 0 is execute-only), PXN for EL1. A region writable at EL0
	 * is never executable at EL1 ("PXN treated as 1"); with SCTLR_EL1.WXN
	 * a region writable at all is executable at neither EL. */
	bool wxn = regs->wxn && res->el1_write;
	res->el0_exec = !uxn_t && !(desc & D_UXN) && !wxn;
	res->el1_exec = !pxn_t && !(desc & D_PXN) && !res->el0_write && !wxn;
}

bool mmu_a64_translate(const struct mmu_a64_regs *regs, mmu_a64_phys_fn phys, void *ctx,
                       uint64_t va, unsigned acc, unsigned flags, struct mmu_a64_result *res)
{
	memset(res, 0, sizeof(*res));

	/* D8 "Translation table walk": VA[63:48] all zeros selects TTBR0,
	 * all ones TTBR1 (TBI off); anything else is a level 0 Translation
	 * fault. */
	uint64_t top = va >> VA_BITS;
	uint64_t table;
	if (top == 0)
		table = regs->ttbr0;
	else if (top == (~0ull >> VA_BITS))
		table = regs->ttbr1;
	else
		return fault(res, va, acc, MMU_A64_FSC_TRANSLATION, 0, false);

	bool no_el0 = false, ro = false, pxn_t = false, uxn_t = false;
	for (unsigned level = 0; level <= 3; level++) {
		unsigned shift = GRANULE_SHIFT + (3 - level) * INDEX_BITS;
		uint64_t index = (va >> shift) & ((1u << INDEX_BITS) - 1);
		uint64_t desc_pa = table + index * 8;
		void *where = phys(ctx, desc_pa);
		res->levels++;
		if (!where)
			return fault(res, va, acc, MMU_A64_FSC_EXT_WALK, level, true);
		uint64_t desc;
		memcpy(&desc, where, sizeof(desc));

		/* D8, descriptor formats: bit 0 clear is an invalid descriptor; a block at level 0
		 * (4 KiB granule, no FEAT_LPA2) and bits[1:0] = 01 at level 3 are
		 * invalid too: all Translation faults at this level. */
		if (!(desc & D_VALID) || (level == 0 && !(desc & D_TABLE)) ||
		    (level == 3 && !(desc & D_TABLE)))
			return fault(res, va, acc, MMU_A64_FSC_TRANSLATION, level, false);

		/* D8 "Address size": an output address beyond the
		 * physical-address size (IPS) is an Address size fault. */
		uint64_t oa = desc & D_OA_MASK;
		if (regs->pa_bits < 48 && (oa >> regs->pa_bits))
			return fault(res, va, acc, MMU_A64_FSC_ADDR_SIZE, level, false);

		if (level < 3 && (desc & D_TABLE)) {
			/* A table descriptor: its controls apply to every level below. */
			no_el0 = no_el0 || (desc & D_APTABLE0);
			ro = ro || (desc & D_APTABLE1);
			pxn_t = pxn_t || (desc & D_PXNTABLE);
			uxn_t = uxn_t || (desc & D_UXNTABLE);
			table = oa;
			continue;
		}

		/* A block (levels 1, 2) or a page (level 3). The output address
		 * of a block is bits [47:shift]; the bits below are RES0 and
		 * ignored here. */
		uint64_t size = 1ull << shift;
		rights(regs, desc, no_el0, ro, pxn_t, uxn_t, res);
		res->global = !(desc & D_NG);
		res->af = (desc & D_AF) != 0;
		if (!(flags & MMU_A64_WALK_NO_CHECK)) {
			/* D8 "The Access flag": AF 0 is an Access flag fault
			 * unless the hardware manages it (HA), checked before
			 * permissions as the walk finds it. */
			if (!res->af && !regs->ha)
				return fault(res, va, acc, MMU_A64_FSC_ACCESS_FLAG, level, false);
			if (!mmu_a64_rights_allow(regs, res, acc))
				return fault(res, va, acc, MMU_A64_FSC_PERMISSION, level, false);
			if (!res->af && (flags & MMU_A64_WALK_SET_AF)) {
				desc |= D_AF;
				memcpy(where, &desc, sizeof(desc));
				res->af = true;
			}
		}
		res->ok = true;
		res->pa = (oa & ~(size - 1)) | (va & (size - 1));
		res->page_base_va = va & ~(size - 1);
		res->page_size = size;
		return true;
	}
	return false; /* not reached: level 3 always ends the walk */
}
