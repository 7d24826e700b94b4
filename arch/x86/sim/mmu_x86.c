/*
 * x86 MMU model. Every rule cites the Intel SDM Vol. 3A section it comes
 * from. See mmu_x86.h.
 */
#include "mmu_x86.h"

#include <string.h>

/* Paging-structure entry bits (§4.3 tables 4-4..4-6; §4.5 tables 4-14..4-19). */
#define E_P  (1ull << 0)
#define E_RW (1ull << 1)
#define E_US (1ull << 2)
#define E_A  (1ull << 5)
#define E_D  (1ull << 6)
#define E_PS (1ull << 7)
#define E_G  (1ull << 8) /* leaf only: global (§4.10.2.4) */
#define E_XD (1ull << 63)

static uint64_t bits(unsigned hi, unsigned lo) /* mask of bits hi:lo */
{
	return ((hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1))) & ~((1ull << lo) - 1);
}

bool mmu_x86_rights_allow(const struct mmu_x86_regs *r, bool writable, bool user, bool executable,
                          unsigned acc)
{
	if (acc & MMU_ACC_USER) {
		/* §4.6.1: user-mode accesses need U/S=1 at every level. */
		if (!user)
			return false;
		if ((acc & MMU_ACC_WRITE) && !writable)
			return false;
	} else if (acc & MMU_ACC_WRITE) {
		/* Supervisor writes: with CR0.WP=1 only to writable pages. */
		if (r->cr0_wp && !writable)
			return false;
	}
	/* Instruction fetches: XD=1 at any level forbids them (NXE=1 only). */
	if ((acc & MMU_ACC_FETCH) && r->efer_nxe && !executable)
		return false;
	return true;
}

/* Read the entry at @pa; 32-bit entries in 32-bit paging. */
static bool read_entry(const struct mmu_x86_regs *r, mmu_x86_phys_fn phys, void *ctx, uint64_t pa,
                       uint64_t *e, void **where)
{
	void *p = phys(ctx, pa);
	if (!p)
		return false;
	if (r->mode == MMU_X86_PAGING_32) {
		uint32_t v;
		memcpy(&v, p, 4);
		*e = v;
	} else {
		memcpy(e, p, 8);
	}
	*where = p;
	return true;
}

static void write_entry(const struct mmu_x86_regs *r, void *where, uint64_t e)
{
	if (r->mode == MMU_X86_PAGING_32) {
		uint32_t v = (uint32_t)e;
		memcpy(where, &v, 4);
	} else {
		memcpy(where, &e, 8);
	}
}

bool mmu_x86_translate(const struct mmu_x86_regs *r, mmu_x86_phys_fn phys, void *ctx, uint64_t va,
                       unsigned acc, unsigned flags, struct mmu_x86_result *res)
{
	memset(res, 0, sizeof(*res));
	uint32_t ec =
	        ((acc & MMU_ACC_WRITE) ? MMU_PF_WR : 0) | ((acc & MMU_ACC_USER) ? MMU_PF_US : 0);
	/*
	 * §4.7: I/D is reported for fetches if NXE=1 (PAE/4-level paging) or
	 * SMEP=1; 32-bit paging has no XD, and SMEP is not modelled.
	 */
	if ((acc & MMU_ACC_FETCH) && r->mode == MMU_X86_PAGING_4LEVEL && r->efer_nxe)
		ec |= MMU_PF_ID;

	unsigned nlevels, index_bits, entry_bytes;
	uint64_t table;
	if (r->mode == MMU_X86_PAGING_32) {
		nlevels = 2, index_bits = 10, entry_bytes = 4;
		table = r->cr3 & bits(31, 12); /* §4.3 table 4-3 */
		va &= 0xFFFFFFFFull;
	} else {
		nlevels = 4, index_bits = 9, entry_bytes = 8;
		table = r->cr3 & bits(r->maxphyaddr - 1, 12); /* §4.5 table 4-12 */
		/* A non-canonical address raises #GP, not #PF: report it as a bus error. */
		uint64_t top = va >> 47;
		if (r->mode == MMU_X86_PAGING_4LEVEL && top != 0 && top != 0x1FFFF) {
			res->bus_error = true;
			return false;
		}
	}
	/* Reserved physical-address bits 51:MAXPHYADDR (4-level paging). */
	uint64_t rsvd_pa = r->mode == MMU_X86_PAGING_4LEVEL && r->maxphyaddr < 52
	                           ? bits(51, r->maxphyaddr)
	                           : 0;

	bool writable = true, user = true, executable = true;
	void *where[4];
	uint64_t entry[4];
	unsigned used = 0;
	for (int level = (int)nlevels - 1; level >= 0; level--) {
		unsigned shift = 12 + (unsigned)level * index_bits;
		uint64_t idx = (va >> shift) & ((1ull << index_bits) - 1);
		uint64_t e;
		if (!read_entry(r, phys, ctx, table + idx * entry_bytes, &e, &where[used])) {
			res->bus_error = true;
			return false;
		}
		entry[used++] = e;
		res->levels = used;
		if (!(e & E_P)) {
			res->error_code = ec; /* P=0: not present */
			return false;
		}
		/* Reserved bits (§4.3, §4.5): checked on present entries. */
		uint64_t rsvd = rsvd_pa;
		if (r->mode == MMU_X86_PAGING_4LEVEL && !r->efer_nxe)
			rsvd |= E_XD;
		bool leaf = level == 0;
		if (level > 0 && (e & E_PS)) {
			if (r->mode == MMU_X86_PAGING_32) {
				if (r->cr4_pse) {
					leaf = true;
					/* 4 MiB PDE: bits 21:13 hold PA bits 39:32 (PSE-36);
					 * those at or above MAXPHYADDR are reserved; bit 21 is
					 * always reserved. */
					unsigned hi_bits =
					        r->maxphyaddr > 32 ? r->maxphyaddr - 32 : 0;
					if (hi_bits > 8)
						hi_bits = 8;
					rsvd |= bits(21, 13 + hi_bits);
				}
			} else if (level == 3) {
				rsvd |= E_PS; /* PML4E: PS is reserved */
			} else {
				leaf = true; /* 1 GiB (level 2) or 2 MiB (level 1) page */
				rsvd |= bits(shift - 1, 13);
			}
		}
		if (e & rsvd) {
			res->error_code = ec | MMU_PF_P | MMU_PF_RSVD;
			return false;
		}
		/* §4.6: rights combine over every level. */
		writable = writable && (e & E_RW);
		user = user && (e & E_US);
		if (r->mode == MMU_X86_PAGING_4LEVEL && r->efer_nxe && (e & E_XD))
			executable = false;
		if (leaf) {
			uint64_t page = 1ull << shift;
			uint64_t base;
			if (r->mode == MMU_X86_PAGING_32) {
				if (level == 1)
					base = (e & bits(31, 22)) | ((e & bits(20, 13)) << 19);
				else
					base = e & bits(31, 12);
			} else {
				base = e & bits(r->maxphyaddr - 1, shift);
			}
			if (!mmu_x86_rights_allow(r, writable, user, executable, acc)) {
				res->error_code = ec | MMU_PF_P;
				return false;
			}
			res->ok = true;
			res->pa = base | (va & (page - 1));
			res->page_size = page;
			res->page_base_va = va & ~(page - 1);
			res->writable = writable;
			res->user = user;
			res->executable = executable;
			res->dirty = (e & E_D) != 0;
			res->global = r->cr4_pge && (e & E_G);
			if (flags & MMU_WALK_SET_AD) {
				/* §4.8: A in every entry used; D in the leaf on a write. */
				for (unsigned i = 0; i < used; i++) {
					uint64_t ne = entry[i] | E_A;
					if (i == used - 1 && (acc & MMU_ACC_WRITE))
						ne |= E_D;
					if (ne != entry[i])
						write_entry(r, where[i], ne);
				}
				if (acc & MMU_ACC_WRITE)
					res->dirty = true;
			}
			return true;
		}
		table = r->mode == MMU_X86_PAGING_32 ? (e & bits(31, 12))
		                                     : (e & bits(r->maxphyaddr - 1, 12));
	}
	return false; /* unreachable: level 0 is always a leaf */
}
