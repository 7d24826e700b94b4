/*
 * x86 MMU model. Every rule cites the Intel SDM Vol. 3A section it comes
 * from. See mmu_x86.h.
 */
#include "mmu_x86.h"

#include <string.h>

/*
 * Paging-structure entry bits (§4.3 tables 4-4..4-6; §4.4 tables 4-8..4-11;
 * §4.5 tables 4-14..4-19).
 */
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

/* §4.6, §4.7: XD exists in PAE and 4-level paging with IA32_EFER.NXE=1. */
static bool xd_enabled(const struct mmu_x86_regs *r)
{
	return r->mode != MMU_X86_PAGING_32 && r->efer_nxe;
}

/* §4.6: implicit accesses are supervisor-mode accesses whatever the CPL. */
static bool supervisor_access(unsigned acc)
{
	return !(acc & MMU_ACC_USER) || (acc & MMU_ACC_IMPLICIT);
}

bool mmu_x86_rights_allow(const struct mmu_x86_regs *r, bool writable, bool user, bool executable,
                          unsigned acc)
{
	bool fetch = acc & MMU_ACC_FETCH;
	bool write = acc & MMU_ACC_WRITE; /* with a fetch too: both rules apply */
	if (!supervisor_access(acc)) {
		/* §4.6.1, user-mode accesses: only to user-mode addresses, and
		 * data writes only if R/W=1 at every level. */
		if (!user)
			return false;
		if (write && !writable)
			return false;
	} else {
		/* §4.6.1: with CR4.SMEP=1, no supervisor fetch from a user-mode
		 * address. */
		if (fetch && user && r->cr4_smep)
			return false;
		/* §4.6.1: with CR4.SMAP=1, supervisor data accesses to a
		 * user-mode address need EFLAGS.AC=1 and an explicit access. */
		if (!fetch && user && r->cr4_smap && (!r->eflags_ac || (acc & MMU_ACC_IMPLICIT)))
			return false;
		/* Supervisor writes, to supervisor- and user-mode addresses
		 * alike: with CR0.WP=1 only if R/W=1 at every level. */
		if (write && r->cr0_wp && !writable)
			return false;
	}
	/* Instruction fetches: XD=1 at any level forbids them (§4.6.1). */
	if (fetch && xd_enabled(r) && !executable)
		return false;
	return true;
}

enum mmu_x86_load mmu_x86_load_pdptes(struct mmu_x86_regs *r, mmu_x86_phys_fn phys, void *ctx)
{
	if (r->mode != MMU_X86_PAGING_PAE)
		return MMU_X86_LOAD_OK;
	/* §4.4.1, Table 4-7: CR3[31:5] is the 32-byte aligned PDPT. */
	uint64_t pdpt = r->cr3 & bits(31, 5);
	/* Table 4-8: bits 2:1, 8:5 and 63:MAXPHYADDR are reserved. */
	uint64_t rsvd = bits(2, 1) | bits(8, 5) | bits(63, r->maxphyaddr);
	uint64_t e[4];
	for (unsigned i = 0; i < 4; i++) {
		void *p = phys(ctx, pdpt + (uint64_t)i * 8);
		if (!p)
			return MMU_X86_LOAD_BUS_ERROR;
		memcpy(&e[i], p, 8);
		/* §4.4.1: a present PDPTE with a reserved bit set: #GP(0),
		 * and the PDPTEs are not loaded. */
		if ((e[i] & E_P) && (e[i] & rsvd))
			return MMU_X86_LOAD_GP;
	}
	memcpy(r->pdpte, e, sizeof(e));
	return MMU_X86_LOAD_OK;
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
	/*
	 * §4.7: W/R describes the access; U/S is 1 for user-mode accesses
	 * (implicit supervisor-mode accesses at CPL 3 are supervisor-mode
	 * accesses, §4.6, so U/S=0; editions of the SDM before SMAP said
	 * "CPL = 3" here, when no access at CPL 3 was a supervisor-mode
	 * one); I/D is 1 for fetches if SMEP=1, or if CR4.PAE=1 (PAE or
	 * 4-level paging) and NXE=1.
	 */
	bool fetch = acc & MMU_ACC_FETCH;
	uint32_t ec =
	        ((acc & MMU_ACC_WRITE) ? MMU_PF_WR : 0) | (supervisor_access(acc) ? 0 : MMU_PF_US);
	if (fetch && (r->cr4_smep || xd_enabled(r)))
		ec |= MMU_PF_ID;

	unsigned nlevels, index_bits, entry_bytes;
	uint64_t table;
	bool writable = true, user = true, executable = true;
	void *where[4];
	uint64_t entry[4];
	unsigned used = 0;  /* entries used, the PDPTE register included */
	unsigned first = 0; /* entry[first..used) came from memory */
	/*
	 * Reserved bits of every present entry: physical-address bits
	 * 51:MAXPHYADDR (4-level paging, §4.5 tables 4-14..4-19) or
	 * 62:MAXPHYADDR (PAE paging, §4.4 tables 4-9..4-11); bit 63 too
	 * without NXE.
	 */
	uint64_t rsvd_all = 0;
	if (r->mode == MMU_X86_PAGING_32) {
		nlevels = 2, index_bits = 10, entry_bytes = 4;
		table = r->cr3 & bits(31, 12); /* §4.3 table 4-3 */
		va &= 0xFFFFFFFFull;
	} else if (r->mode == MMU_X86_PAGING_PAE) {
		/* §4.4.2: linear-address bits 31:30 select a PDPTE register. */
		va &= 0xFFFFFFFFull;
		uint64_t e = r->pdpte[va >> 30];
		entry[used] = e;
		where[used++] = NULL;
		first = used;
		res->levels = used;
		if (!(e & E_P)) {
			/* §4.4.2: a PDPTE with P=0 gives a not-present #PF. */
			res->error_code = ec;
			return false;
		}
		/* Reserved bits were refused at load time (#GP, §4.4.1), and a
		 * PDPTE controls no access rights (§4.6.1). */
		nlevels = 2, index_bits = 9, entry_bytes = 8;
		table = e & bits(r->maxphyaddr - 1, 12);
		rsvd_all = r->maxphyaddr < 63 ? bits(62, r->maxphyaddr) : 0;
	} else {
		nlevels = 4, index_bits = 9, entry_bytes = 8;
		table = r->cr3 & bits(r->maxphyaddr - 1, 12); /* §4.5 table 4-12 */
		/* A non-canonical address raises #GP, not #PF: report it as a bus error. */
		uint64_t top = va >> 47;
		if (top != 0 && top != 0x1FFFF) {
			res->bus_error = true;
			return false;
		}
		rsvd_all = r->maxphyaddr < 52 ? bits(51, r->maxphyaddr) : 0;
	}
	if (r->mode != MMU_X86_PAGING_32 && !r->efer_nxe)
		rsvd_all |= E_XD;

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
		/* Reserved bits (§4.3, §4.4, §4.5): checked on present entries. */
		uint64_t rsvd = rsvd_all;
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
				/* 1 GiB (4-level, level 2) or 2 MiB (level 1) page;
				 * bits shift-1:13 are reserved (PAE: Table 4-9). */
				leaf = true;
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
		if (xd_enabled(r) && (e & E_XD))
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
				/* §4.8: A in every entry used; D in the leaf on a
				 * write. A PAE PDPTE is a register, with no A bit. */
				bool write = acc & MMU_ACC_WRITE;
				for (unsigned i = first; i < used; i++) {
					uint64_t ne = entry[i] | E_A;
					if (i == used - 1 && write)
						ne |= E_D;
					if (ne != entry[i])
						write_entry(r, where[i], ne);
				}
				if (write)
					res->dirty = true;
			}
			return true;
		}
		table = r->mode == MMU_X86_PAGING_32 ? (e & bits(31, 12))
		                                     : (e & bits(r->maxphyaddr - 1, 12));
	}
	return false; /* unreachable: level 0 is always a leaf */
}
