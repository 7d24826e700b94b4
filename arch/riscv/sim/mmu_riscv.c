/*
 * RISC-V MMU model (Sv39, Sv48). Every rule cites the step of the
 * Privileged spec's "Virtual Address Translation Process" or the section it
 * comes from. See mmu_riscv.h.
 */
#include "mmu_riscv.h"

#include <string.h>

/* PTE fields (Privileged spec, "Sv39" PTE format; Sv48 keeps them). */
#define PTE_V         (1ull << 0)
#define PTE_R         (1ull << 1)
#define PTE_W         (1ull << 2)
#define PTE_X         (1ull << 3)
#define PTE_U         (1ull << 4)
#define PTE_G         (1ull << 5)
#define PTE_A         (1ull << 6)
#define PTE_D         (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK  ((1ull << 44) - 1) /* bits 53:10 */
#define PTE_RESERVED  (0x3FFull << 54)   /* 63:54: N, PBMT, reserved */
#define PAGE_SHIFT    12
#define VPN_BITS      9
#define PTESIZE       8

bool mmu_rv_rights_allow(const struct mmu_rv_regs *regs, bool r, bool w, bool x, bool u,
                         unsigned acc)
{
	/* "Memory Privilege in sstatus": U-mode needs U=1; S-mode may touch a
	 * U=1 page only with SUM=1, and may never execute from one. */
	if (acc & MMU_RV_ACC_USER) {
		if (!u)
			return false;
	} else if (u && (!regs->sum || (acc & MMU_RV_ACC_FETCH))) {
		return false;
	}
	if (acc & MMU_RV_ACC_FETCH)
		return x;
	if (acc & MMU_RV_ACC_WRITE)
		return w;
	/* A load needs R, or X with MXR ("make executable readable"). */
	return r || (x && regs->mxr);
}

static unsigned page_cause(unsigned acc)
{
	if (acc & MMU_RV_ACC_FETCH)
		return MMU_RV_CAUSE_FETCH_PAGE;
	return (acc & MMU_RV_ACC_WRITE) ? MMU_RV_CAUSE_STORE_PAGE : MMU_RV_CAUSE_LOAD_PAGE;
}

static unsigned access_cause(unsigned acc)
{
	if (acc & MMU_RV_ACC_FETCH)
		return MMU_RV_CAUSE_FETCH_ACCESS;
	return (acc & MMU_RV_ACC_WRITE) ? MMU_RV_CAUSE_STORE_ACCESS : MMU_RV_CAUSE_LOAD_ACCESS;
}

static bool fault(struct mmu_rv_result *res, uint64_t va, unsigned cause, bool access)
{
	res->ok = false;
	res->access_fault = access;
	res->cause = cause;
	res->tval = va;
	return false;
}

bool mmu_rv_translate(const struct mmu_rv_regs *regs, mmu_rv_phys_fn phys, void *ctx, uint64_t va,
                      unsigned acc, unsigned flags, struct mmu_rv_result *res)
{
	const unsigned levels = regs->mode == MMU_RV_SV48 ? 4 : 3;
	const unsigned va_bits = PAGE_SHIFT + levels * VPN_BITS;
	memset(res, 0, sizeof(*res));

	/* "Sv39": bits 63-39 of a virtual address must all equal bit 38 (Sv48:
	 * 63-48 equal 47), or else a page-fault exception occurs. */
	uint64_t top = va >> (va_bits - 1);
	if (top != 0 && top != (~0ull >> (va_bits - 1)))
		return fault(res, va, page_cause(acc), false);

	/* Step 1: a = satp.ppn x PAGESIZE, i = LEVELS - 1. */
	uint64_t a = regs->satp_ppn << PAGE_SHIFT;
	bool global = false;
	for (int i = (int)levels - 1;; i--) {
		/* Step 2: pte at a + va.vpn[i] x PTESIZE; no memory there: an
		 * access fault of the original access type. */
		unsigned vpn = (unsigned)(va >> (PAGE_SHIFT + (unsigned)i * VPN_BITS)) &
		               ((1u << VPN_BITS) - 1);
		uint64_t pte_pa = a + (uint64_t)vpn * PTESIZE;
		void *where = phys(ctx, pte_pa);
		res->levels++;
		if (!where || (regs->pa_bits < 64 && (pte_pa >> regs->pa_bits)))
			return fault(res, va, access_cause(acc), true);
		uint64_t pte;
		memcpy(&pte, where, sizeof(pte));

		/* Step 3: not valid, W without R, or reserved bits: page fault. */
		if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)) || (pte & PTE_RESERVED))
			return fault(res, va, page_cause(acc), false);
		global = global || (pte & PTE_G); /* a global non-leaf makes all below global */

		/* Step 4: R=X=0 is a pointer to the next level. D, A and U are
		 * reserved in non-leaf PTEs ("Sv39"). Below level 0: page fault. */
		if (!(pte & (PTE_R | PTE_X))) {
			if (pte & (PTE_D | PTE_A | PTE_U))
				return fault(res, va, page_cause(acc), false);
			if (i == 0)
				return fault(res, va, page_cause(acc), false);
			a = ((pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK) << PAGE_SHIFT;
			continue;
		}

		/* Step 5: a leaf; do R, W, X, U allow the access (SUM, MXR)? */
		bool r = pte & PTE_R, w = pte & PTE_W, x = pte & PTE_X, u = pte & PTE_U;
		if (!mmu_rv_rights_allow(regs, r, w, x, u, acc))
			return fault(res, va, page_cause(acc), false);

		/* Step 6: a superpage's low PPN fields must be zero. */
		uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
		unsigned low_bits = (unsigned)i * VPN_BITS;
		if (ppn & ((1ull << low_bits) - 1))
			return fault(res, va, page_cause(acc), false);

		/* Step 7: A clear, or D clear on a store: Svade raises a page
		 * fault; Svadu sets them (here only when asked to write). */
		bool store = acc & MMU_RV_ACC_WRITE;
		bool need_a = !(pte & PTE_A), need_d = store && !(pte & PTE_D);
		if ((need_a || need_d) && !regs->hw_ad)
			return fault(res, va, page_cause(acc), false);
		if ((need_a || need_d) && (flags & MMU_RV_WALK_SET_AD)) {
			pte |= PTE_A | (store ? PTE_D : 0);
			memcpy(where, &pte, sizeof(pte));
		}

		/* Step 8: pa.pgoff = va.pgoff; below level i, the VPN fields. */
		uint64_t span_bits = PAGE_SHIFT + low_bits;
		uint64_t mask = (1ull << span_bits) - 1;
		res->ok = true;
		res->pa = (ppn << PAGE_SHIFT) | (va & mask);
		res->page_base_va = va & ~mask;
		res->page_size = 1ull << span_bits;
		res->readable = r;
		res->writable = w;
		res->executable = x;
		res->user = u;
		res->global = global;
		res->dirty = (pte & PTE_D) != 0;
		return true;
	}
}
