/*
 * The x86 MMU model itself, on hand-built paging structures: the oracle is
 * only as good as its own tests. Entry bits are written out as the SDM
 * gives them (Vol. 3A §4.3 for 32-bit paging, §4.4 for PAE paging, §4.5
 * for 4-level paging); nothing here uses mm-core or <arch/pte.h>. The
 * access rights (§4.6.1, with SMEP, SMAP, EFLAGS.AC and implicit accesses)
 * are checked against a rule function written here from the SDM's text
 * and against a hand-written table.
 */
#include "mmu_x86.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SDM bit positions, written out independently of the model. */
#define P  0x1ull
#define RW 0x2ull
#define US 0x4ull
#define A  0x20ull
#define D  0x40ull
#define PS 0x80ull
#define XD (1ull << 63)

#define MEM ((size_t)64 * 4096)
static _Alignas(4096) uint8_t mem[MEM];
/* Two pages of RAM above 4 GiB, for PAE paging structures up there. */
#define HI    0x100000000ull
#define MEMHI ((size_t)2 * 4096)
static _Alignas(4096) uint8_t memhi[MEMHI];

static void *phys(void *ctx, uint64_t pa)
{
	(void)ctx;
	if (pa >= HI && pa - HI + 8 <= MEMHI)
		return &memhi[pa - HI];
	return pa + 8 <= MEM ? &mem[pa] : NULL;
}

static void put32(uint64_t pa, uint64_t e)
{
	uint32_t v = (uint32_t)e;
	memcpy(&mem[pa], &v, 4);
}
static uint32_t get32(uint64_t pa)
{
	uint32_t v;
	memcpy(&v, &mem[pa], 4);
	return v;
}
static void put64(uint64_t pa, uint64_t e)
{
	memcpy(phys(NULL, pa), &e, 8);
}
static uint64_t get64(uint64_t pa)
{
	uint64_t v;
	memcpy(&v, phys(NULL, pa), 8);
	return v;
}

static struct mmu_x86_regs r32, r64, rpae;
static struct mmu_x86_result res;

static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	memset(memhi, 0, sizeof(memhi));
	r32 = (struct mmu_x86_regs){ .mode = MMU_X86_PAGING_32,
		                     .cr3 = 0x1000,
		                     .cr0_wp = true,
		                     .cr4_pse = true,
		                     .maxphyaddr = 32 };
	r64 = (struct mmu_x86_regs){ .mode = MMU_X86_PAGING_4LEVEL,
		                     .cr3 = 0x1000,
		                     .cr0_wp = true,
		                     .efer_nxe = true,
		                     .maxphyaddr = 36 };
	rpae = (struct mmu_x86_regs){ .mode = MMU_X86_PAGING_PAE,
		                      .cr3 = 0x1020, /* CR3[31:5]: the PDPT */
		                      .cr0_wp = true,
		                      .efer_nxe = true,
		                      .maxphyaddr = 36 };
}

static bool tr(const struct mmu_x86_regs *r, uint64_t va, unsigned acc)
{
	return mmu_x86_translate(r, phys, NULL, va, acc, MMU_WALK_SET_AD, &res);
}

/* 32-bit paging: PD at 0x1000, PT at 0x2000, va 0x00403123 -> 0x5123. */
START_TEST(paging32_walk_rights_and_ad)
{
	put32(0x1000 + 1 * 4, 0x2000 | P | RW | US); /* PDE 1 */
	put32(0x2000 + 3 * 4, 0x5000 | P | US);      /* PTE 3: read-only user */
	ck_assert(tr(&r32, 0x00403123, MMU_ACC_USER));
	ck_assert_uint_eq(res.pa, 0x5123);
	ck_assert_uint_eq(res.levels, 2);
	ck_assert(res.user && !res.writable && res.executable);
	ck_assert_uint_eq(get32(0x1004), 0x2000 | P | RW | US | A); /* §4.8 A set */
	ck_assert_uint_eq(get32(0x200C), 0x5000 | P | US | A);      /* not D */
	/* User write to a read-only page: P|W|U = 7 (§4.7); nothing written. */
	ck_assert(!tr(&r32, 0x00403123, MMU_ACC_USER | MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 7);
	ck_assert_uint_eq(get32(0x200C), 0x5000 | P | US | A);
	/* Supervisor write: refused with CR0.WP=1 (P|W = 3), allowed with WP=0. */
	ck_assert(!tr(&r32, 0x00403123, MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 3);
	r32.cr0_wp = false;
	ck_assert(tr(&r32, 0x00403123, MMU_ACC_WRITE));
	ck_assert_uint_eq(get32(0x200C), 0x5000 | P | US | A | D); /* D set */
	/* Fetches: no XD in 32-bit paging, and no I/D bit in the error code. */
	ck_assert(tr(&r32, 0x00403123, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert(!tr(&r32, 0x00404000, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 4); /* not present, user */
}
END_TEST

START_TEST(paging32_rights_combine_over_levels)
{
	put32(0x1000 + 1 * 4, 0x2000 | P);           /* PDE: supervisor, read-only */
	put32(0x2000 + 3 * 4, 0x5000 | P | RW | US); /* PTE: user, writable */
	ck_assert(!tr(&r32, 0x00403000, MMU_ACC_USER));
	ck_assert_uint_eq(res.error_code, 5); /* P|U */
	ck_assert(!tr(&r32, 0x00403000, MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 3);         /* P|W, WP=1 */
	ck_assert_uint_eq(get32(0x1004), 0x2000 | P); /* no A on a fault */
	/* A missing PDE: not present, level 1 only. */
	ck_assert(!tr(&r32, 0x00C00000, MMU_ACC_WRITE | MMU_ACC_USER));
	ck_assert_uint_eq(res.error_code, 6);
	ck_assert_uint_eq(res.levels, 1);
}
END_TEST

START_TEST(paging32_4mib_pages_and_reserved_bits)
{
	put32(0x1000 + 2 * 4, 0x00800000 | P | RW | PS); /* PDE 2: 4 MiB at 8 MiB */
	ck_assert(tr(&r32, 0x00812345, 0));
	ck_assert_uint_eq(res.pa, 0x00812345);
	ck_assert_uint_eq(res.page_size, 4u << 20);
	/* With CR4.PSE=0 the PS bit is ignored: the PDE points at a table. */
	r32.cr4_pse = false;
	ck_assert(!tr(&r32, 0x00800000, 0));
	ck_assert(res.bus_error); /* the "table" at 8 MiB is outside this RAM */
	r32.cr4_pse = true;
	/* Bit 21 of a 4 MiB PDE is reserved: P|RSVD = 9. */
	put32(0x1000 + 2 * 4, 0x00800000 | P | RW | PS | (1u << 21));
	ck_assert(!tr(&r32, 0x00812345, 0));
	ck_assert_uint_eq(res.error_code, 9);
}
END_TEST

/* 4-level paging: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void map4(uint64_t pte_flags)
{
	put64(0x1000, 0x2000 | P | RW | US);
	put64(0x2000, 0x3000 | P | RW | US);
	put64(0x3000, 0x4000 | P | RW | US);
	put64(0x4000 + 5 * 8, 0x9000 | pte_flags); /* va 0x5000 */
}

START_TEST(paging4_walk_xd_and_id_bit)
{
	map4(P | RW | US | XD);
	ck_assert(tr(&r64, 0x5010, MMU_ACC_USER | MMU_ACC_WRITE));
	ck_assert_uint_eq(res.pa, 0x9010);
	ck_assert_uint_eq(res.levels, 4);
	ck_assert(!res.executable);
	ck_assert_uint_eq(get64(0x4028), 0x9000 | P | RW | US | XD | A | D);
	ck_assert_uint_eq(get64(0x1000), 0x2000 | P | RW | US | A);
	/* Fetch from an XD page: P|U|I/D = 0x15. */
	ck_assert(!tr(&r64, 0x5010, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x15);
	/* XD in an upper level forbids fetches too. */
	map4(P | RW | US);
	put64(0x2000, 0x3000 | P | RW | US | XD);
	ck_assert(!tr(&r64, 0x5010, MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x11);
	/* With NXE=0, bit 63 is reserved: P|RSVD|I/D? no I/D without NXE. */
	r64.efer_nxe = false;
	ck_assert(!tr(&r64, 0x5010, 0));
	ck_assert_uint_eq(res.error_code, 0x9);
}
END_TEST

START_TEST(paging4_large_pages_and_reserved_bits)
{
	put64(0x1000, 0x2000 | P | RW);
	put64(0x2000 + 1 * 8, 0x40000000 | P | RW | PS); /* 1 GiB at 1 GiB */
	put64(0x2000 + 2 * 8, 0x3000 | P | RW);
	put64(0x3000 + 3 * 8, 0x00600000 | P | PS); /* 2 MiB at 6 MiB, va 2G+6M */
	ck_assert(tr(&r64, 0x40001234, 0));
	ck_assert_uint_eq(res.pa, 0x40001234);
	ck_assert_uint_eq(res.page_size, 1ull << 30);
	ck_assert(tr(&r64, 0x80612345, 0));
	ck_assert_uint_eq(res.pa, 0x00612345);
	ck_assert_uint_eq(res.page_size, 2ull << 20);
	ck_assert(!tr(&r64, 0x80612345, MMU_ACC_WRITE)); /* read-only 2 MiB page */
	ck_assert_uint_eq(res.error_code, 3);
	/* Bit 13 of a 2 MiB PDE is reserved. */
	put64(0x3000 + 3 * 8, 0x00600000 | P | PS | (1ull << 13));
	ck_assert(!tr(&r64, 0x80612345, 0));
	ck_assert_uint_eq(res.error_code, 9);
	/* PS in a PML4E is reserved. */
	put64(0x1000, 0x2000 | P | RW | PS);
	ck_assert(!tr(&r64, 0x40001234, MMU_ACC_USER));
	ck_assert_uint_eq(res.error_code, 0xD); /* P|U|RSVD */
	/* Address bits at or above MAXPHYADDR (36) are reserved. */
	put64(0x1000, 0x2000 | P | RW | (1ull << 40));
	ck_assert(!tr(&r64, 0x40001234, 0));
	ck_assert_uint_eq(res.error_code, 9);
}
END_TEST

START_TEST(paging4_non_canonical_is_not_a_page_fault)
{
	map4(P | RW | US);
	ck_assert(!tr(&r64, 0x0000800000000000ull, 0));
	ck_assert(res.bus_error);
	ck_assert(tr(&r64, 0x5000, 0));
}
END_TEST

START_TEST(walk_without_ad_leaves_memory_alone)
{
	map4(P | RW | US);
	uint8_t before[MEM];
	memcpy(before, mem, MEM);
	ck_assert(mmu_x86_translate(&r64, phys, NULL, 0x5000, MMU_ACC_WRITE, 0, &res));
	ck_assert(memcmp(before, mem, MEM) == 0);
}
END_TEST

/*
 * PAE paging (§4.4): PDPT at 0x1020 (CR3[31:5], 32-byte aligned, Table
 * 4-7), PD at 0x2000, PT at 0x3000. va 0x40403abc: PDPTE 1, PDE 2, PTE 3.
 */
static void map_pae(uint64_t pte)
{
	put64(0x1020 + 1 * 8, 0x2000 | P);
	put64(0x2000 + 2 * 8, 0x3000 | P | RW | US);
	put64(0x3000 + 3 * 8, pte);
	ck_assert_int_eq(mmu_x86_load_pdptes(&rpae, phys, NULL), MMU_X86_LOAD_OK);
}

START_TEST(pae_4k_page_above_4g_and_ad)
{
	rpae.cr3 = 0x1020 | 0x18; /* bits 4:0 of CR3 are ignored (Table 4-7) */
	map_pae(0x123456000ull | P | RW | US);
	ck_assert_uint_eq(rpae.pdpte[1], 0x2000 | P);
	ck_assert(tr(&rpae, 0x40403abc, MMU_ACC_USER));
	ck_assert_uint_eq(res.pa, 0x123456abcull); /* PA above 4 GiB, below 2^36 */
	ck_assert_uint_eq(res.page_size, 4096);
	ck_assert_uint_eq(res.page_base_va, 0x40403000);
	ck_assert_uint_eq(res.levels, 3); /* the PDPTE register, PDE, PTE */
	ck_assert(res.user && res.writable && res.executable && !res.dirty);
	/* §4.8: A in the PDE and the PTE; a PAE PDPTE has no A bit (its bit
	 * 5 is reserved, Table 4-8), and the PDPT in memory is not written. */
	ck_assert_uint_eq(get64(0x1028), 0x2000 | P);
	ck_assert_uint_eq(get64(0x2010), 0x3000 | P | RW | US | A);
	ck_assert_uint_eq(get64(0x3018), 0x123456000ull | P | RW | US | A);
	ck_assert(tr(&rpae, 0x40403abc, MMU_ACC_WRITE));
	ck_assert(res.dirty);
	ck_assert_uint_eq(get64(0x3018), 0x123456000ull | P | RW | US | A | D);
	ck_assert_uint_eq(get64(0x1028), 0x2000 | P);
	/* Linear addresses are 32 bits: bits 63:32 of @va play no part. */
	ck_assert(tr(&rpae, 0x740403abcull, 0));
	ck_assert_uint_eq(res.pa, 0x123456abcull);
	/* PDPTE 0 is not present: a not-present #PF, one level used. */
	ck_assert(!tr(&rpae, 0x00403abc, MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 2);
	ck_assert_uint_eq(res.levels, 1);
}
END_TEST

START_TEST(pae_2mib_pages)
{
	put64(0x1020 + 1 * 8, 0x2000 | P);
	ck_assert_int_eq(mmu_x86_load_pdptes(&rpae, phys, NULL), MMU_X86_LOAD_OK);
	/* PDE 3 maps 2 MiB at 0x240600000; bit 12 is PAT (Table 4-9), not an
	 * address bit and not reserved. */
	put64(0x2000 + 3 * 8, 0x240600000ull | (1ull << 12) | P | PS);
	ck_assert(tr(&rpae, 0x40612345, 0));
	ck_assert_uint_eq(res.pa, 0x240612345ull);
	ck_assert_uint_eq(res.page_size, 2u << 20);
	ck_assert_uint_eq(res.page_base_va, 0x40600000);
	ck_assert_uint_eq(res.levels, 2);
	ck_assert(!res.user && !res.writable);
	ck_assert_uint_eq(get64(0x2018), 0x240600000ull | (1ull << 12) | P | PS | A);
	/* Supervisor write to a read-only page with WP=1: P|W. */
	ck_assert(!tr(&rpae, 0x40612345, MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 3);
	rpae.cr0_wp = false;
	ck_assert(tr(&rpae, 0x40612345, MMU_ACC_WRITE));
	ck_assert_uint_eq(get64(0x2018), 0x240600000ull | (1ull << 12) | P | PS | A | D);
	/* Table 4-9: bits 20:13 are reserved. */
	put64(0x2000 + 3 * 8, 0x240600000ull | (1ull << 20) | P | PS);
	ck_assert(!tr(&rpae, 0x40612345, 0));
	ck_assert_uint_eq(res.error_code, 9);
	put64(0x2000 + 3 * 8, 0x240600000ull | (1ull << 13) | P | PS);
	ck_assert(!tr(&rpae, 0x40612345, MMU_ACC_USER));
	ck_assert_uint_eq(res.error_code, 0xD);
}
END_TEST

START_TEST(pae_reserved_bits)
{
	map_pae(0x5000 | P | RW | US);
	ck_assert(tr(&rpae, 0x40403000, 0));
	/* Bits 62:MAXPHYADDR (36) of a PTE, a PDE and a 2 MiB PDE are
	 * reserved in PAE paging (Tables 4-9..4-11), bit 62 included (in
	 * 4-level paging it is ignored). */
	const uint64_t bad[] = { 1ull << 36, 1ull << 51, 1ull << 52, 1ull << 62 };
	for (unsigned i = 0; i < 4; i++) {
		put64(0x3000 + 3 * 8, 0x5000 | P | RW | US | bad[i]);
		ck_assert(!tr(&rpae, 0x40403000, MMU_ACC_USER));
		ck_assert_uint_eq(res.error_code, 0xD); /* P|U|RSVD */
		put64(0x3000 + 3 * 8, 0x5000 | P | RW | US);
		put64(0x2000 + 2 * 8, 0x3000 | P | RW | US | bad[i]);
		ck_assert(!tr(&rpae, 0x40403000, MMU_ACC_WRITE));
		ck_assert_uint_eq(res.error_code, 0xB); /* P|W|RSVD */
		ck_assert_uint_eq(res.levels, 2);
		put64(0x2000 + 2 * 8, 0x3000 | P | RW | US);
	}
	/* Bit 7 of a PTE is PAT, not reserved; below MAXPHYADDR is address. */
	put64(0x3000 + 3 * 8, 0x800005000ull | P | PS);
	ck_assert(tr(&rpae, 0x40403000, 0));
	ck_assert_uint_eq(res.pa, 0x800005000ull);
	/* With MAXPHYADDR 52 bits 51:36 are address bits, 62:52 still reserved. */
	rpae.maxphyaddr = 52;
	put64(0x3000 + 3 * 8, 0x8000000005000ull | P);
	ck_assert(tr(&rpae, 0x40403000, 0));
	ck_assert_uint_eq(res.pa, 0x8000000005000ull);
	put64(0x3000 + 3 * 8, 0x5000 | P | (1ull << 52));
	ck_assert(!tr(&rpae, 0x40403000, 0));
	ck_assert_uint_eq(res.error_code, 9);
}
END_TEST

START_TEST(pae_paging_structures_above_4g)
{
	/* The PD entry points at a page table at 4 GiB (PAE paging
	 * structures may be anywhere below 2^MAXPHYADDR; only the PDPT must
	 * be below 4 GiB, CR3 being 32 bits). */
	put64(0x1020 + 1 * 8, 0x2000 | P);
	ck_assert_int_eq(mmu_x86_load_pdptes(&rpae, phys, NULL), MMU_X86_LOAD_OK);
	put64(0x2000 + 2 * 8, HI | P | RW | US);
	put64(HI + 3 * UINT64_C(8), 0x987654000ull | P | RW | US);
	ck_assert(tr(&rpae, 0x40403010, MMU_ACC_USER | MMU_ACC_WRITE));
	ck_assert_uint_eq(res.pa, 0x987654010ull);
	ck_assert_uint_eq(get64(HI + 3 * UINT64_C(8)), 0x987654000ull | P | RW | US | A | D);
	/* A PT beyond RAM: a bus error, not a page fault. */
	put64(0x2000 + 2 * 8, (HI + 0x10000) | P | RW | US);
	ck_assert(!tr(&rpae, 0x40403010, 0));
	ck_assert(res.bus_error);
}
END_TEST

START_TEST(pae_xd_and_not_present_at_each_level)
{
	map_pae(0x5000 | P | RW | US | XD);
	ck_assert(tr(&rpae, 0x40403000, MMU_ACC_USER));
	ck_assert(!res.executable);
	/* A user fetch from an XD page: P|U|I/D (NXE=1 sets I/D, §4.7). */
	ck_assert(!tr(&rpae, 0x40403000, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x15);
	/* XD in the PDE forbids fetches too (§4.6.1: "any paging-structure
	 * entry"). */
	put64(0x3000 + 3 * 8, 0x5000 | P | RW | US);
	put64(0x2000 + 2 * 8, 0x3000 | P | RW | US | XD);
	ck_assert(!tr(&rpae, 0x40403000, MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x11);
	/* NXE=0: bit 63 is reserved in PDEs and PTEs; no I/D without NXE. */
	rpae.efer_nxe = false;
	ck_assert(!tr(&rpae, 0x40403000, MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x9);
	put64(0x2000 + 2 * 8, 0x3000 | P | RW | US);
	ck_assert(tr(&rpae, 0x40403000, MMU_ACC_FETCH));
	ck_assert(res.executable);
	/* Not present at each level, with the error code of the access. */
	put64(0x3000 + 3 * 8, 0x5000 | RW | US);
	ck_assert(!tr(&rpae, 0x40403000, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x4); /* no I/D: NXE=0, SMEP=0 */
	ck_assert_uint_eq(res.levels, 3);
	rpae.efer_nxe = true;
	ck_assert(!tr(&rpae, 0x40403000, MMU_ACC_USER | MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x14);
	put64(0x2000 + 2 * 8, 0x3000 | RW | US);
	ck_assert(!tr(&rpae, 0x40403000, MMU_ACC_USER | MMU_ACC_WRITE));
	ck_assert_uint_eq(res.error_code, 0x6);
	ck_assert_uint_eq(res.levels, 2);
	rpae.pdpte[1] = 0x2000; /* as a load of a not-present PDPTE leaves it */
	ck_assert(!tr(&rpae, 0x40403000, 0));
	ck_assert_uint_eq(res.error_code, 0);
	ck_assert_uint_eq(res.levels, 1);
	/* No A bit was set by any fault. */
	ck_assert_uint_eq(get64(0x2010), 0x3000 | RW | US);
	ck_assert_uint_eq(get64(0x3018), 0x5000 | RW | US);
}
END_TEST

START_TEST(pae_pdpte_load)
{
	map_pae(0x5000 | P | RW | US);
	uint64_t before[4];
	memcpy(before, rpae.pdpte, sizeof(before));
	/* Table 4-8: bits 2:1 and 8:5 are reserved (R/W, U/S, A, D, PS, G
	 * positions elsewhere), and 63:MAXPHYADDR, bit 63 too whatever NXE
	 * says. A present PDPTE with one: #GP(0), nothing loaded (§4.4.1). */
	const uint64_t bad[] = { RW, US, 1u << 5, 1u << 6, PS, 1u << 8, 1ull << 36, XD };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put64(0x1020 + 3 * 8, 0x4000 | P | bad[i]);
		ck_assert_int_eq(mmu_x86_load_pdptes(&rpae, phys, NULL), MMU_X86_LOAD_GP);
		ck_assert(memcmp(before, rpae.pdpte, sizeof(before)) == 0);
	}
	/* Bits 3 and 4 (PWT, PCD) and 11:9 (ignored) are not reserved, nor are
	 * reserved bits of a not-present PDPTE. */
	put64(0x1020 + 3 * 8, 0x4000 | P | 0x18 | 0xE00);
	put64(0x1020 + 2 * 8, RW | US | XD);
	ck_assert_int_eq(mmu_x86_load_pdptes(&rpae, phys, NULL), MMU_X86_LOAD_OK);
	ck_assert_uint_eq(rpae.pdpte[3], 0x4000 | P | 0x18 | 0xE00);
	ck_assert_uint_eq(rpae.pdpte[2], RW | US | XD);
	/* The walk uses the registers: a PDPT changed in memory takes effect
	 * only at the next load (a CR3 write, §4.4.1). */
	put64(0x1020 + 1 * 8, 0);
	ck_assert(tr(&rpae, 0x40403000, 0));
	ck_assert_int_eq(mmu_x86_load_pdptes(&rpae, phys, NULL), MMU_X86_LOAD_OK);
	ck_assert(!tr(&rpae, 0x40403000, 0));
	ck_assert_uint_eq(res.error_code, 0);
	/* A PDPT without RAM behind it. */
	rpae.cr3 = 0xFFFFFFE0;
	ck_assert_int_eq(mmu_x86_load_pdptes(&rpae, phys, NULL), MMU_X86_LOAD_BUS_ERROR);
	/* Other modes have no PDPTE registers: nothing is read. */
	r64.cr3 = 0xFFFFF000;
	ck_assert_int_eq(mmu_x86_load_pdptes(&r64, phys, NULL), MMU_X86_LOAD_OK);
	ck_assert_uint_eq(r64.pdpte[0], 0);
}
END_TEST

/*
 * Access rights, §4.6.1, with SMEP and SMAP. One 4 KiB page per mode, its
 * U/S, R/W and XD either in the leaf or in a higher entry (the other
 * entries grant everything): 32-bit paging va 0x00403000 (PDE 1, PTE 3),
 * PAE va 0x40403000 (as map_pae()), 4-level va 0x5000 (as map4()).
 */
enum kind { K_READ, K_WRITE, K_FETCH, K_IMPLICIT_READ, K_IMPLICIT_WRITE, K_KINDS };
static const char *const kind_name[] = { "read", "write", "fetch", "implicit read",
	                                 "implicit write" };

struct row {
	enum mmu_x86_mode mode;
	bool us, rw, xd; /* the page's bits (XD: none in 32-bit paging) */
	enum kind kind;
	bool cpl3;
	bool wp, smep, smap, ac, nxe;
};

struct outcome {
	bool ok;
	uint32_t ec; /* when !ok */
};

/*
 * The SDM's rules, as its text goes (§4.6.1 "Determination of Access
 * Rights", §4.7 for the error code, Tables 4-9..4-11 and 4-14..4-19 for
 * bit 63 when NXE=0), one bullet after another.
 */
static struct outcome sdm(const struct row *w)
{
	bool implicit = w->kind == K_IMPLICIT_READ || w->kind == K_IMPLICIT_WRITE;
	bool is_write = w->kind == K_WRITE || w->kind == K_IMPLICIT_WRITE;
	bool is_fetch = w->kind == K_FETCH;
	/* "accesses made while CPL < 3 are supervisor-mode accesses";
	 * implicit accesses are supervisor-mode "regardless of CPL". */
	bool user_mode_access = w->cpl3 && !implicit;
	/* "If the U/S flag is 0 in at least one of the paging-structure
	 * entries, the address is a supervisor-mode address." */
	bool user_mode_address = w->us;
	bool has_xd = w->mode != MMU_X86_PAGING_32; /* 32-bit entries have no bit 63 */
	bool pae_set = w->mode != MMU_X86_PAGING_32;

	/* §4.7, the error code of any fault of this access. */
	uint32_t ec = (is_write ? 2u : 0) | (user_mode_access ? 4u : 0);
	if (is_fetch && (w->smep || (pae_set && w->nxe)))
		ec |= 0x10;

	/* Bit 63 with NXE=0 is reserved: a reserved-bit fault. */
	if (has_xd && w->xd && !w->nxe)
		return (struct outcome){ false, ec | 1u | 8u };

	bool allowed;
	if (!user_mode_access) {
		if (is_fetch) {
			if (user_mode_address && w->smep) {
				/* "If CR4.SMEP = 1, instructions may not be fetched
				 * from any user-mode address." */
				allowed = false;
			} else {
				/* "For 32-bit paging or if NXE = 0, instructions may
				 * be fetched from any supervisor-mode address";
				 * otherwise only with XD=0 everywhere; the same for a
				 * user-mode address with SMEP off. */
				allowed = !(pae_set && w->nxe && w->xd);
			}
		} else if (!is_write) {
			if (!user_mode_address || !w->smap)
				allowed = true; /* "from any supervisor-mode address"; SMAP off */
			else
				allowed = w->ac && !implicit;
		} else {
			if (!user_mode_address) {
				allowed = !w->wp || w->rw;
			} else if (!w->wp) {
				allowed = !w->smap || (w->ac && !implicit);
			} else {
				/* WP=1: SMAP=0: R/W=1 needed; SMAP=1: "AC = 1 and the
				 * access is explicit" and R/W=1. */
				if (!w->smap)
					allowed = w->rw;
				else
					allowed = w->ac && !implicit && w->rw;
			}
		}
	} else {
		if (!user_mode_address)
			allowed = false; /* no user-mode access to supervisor addresses */
		else if (is_write)
			allowed = w->rw;
		else if (is_fetch)
			allowed = !(pae_set && w->nxe && w->xd);
		else
			allowed = true;
	}
	return (struct outcome){ allowed, allowed ? 0 : ec | 1u };
}

static const uint64_t conf_va[] = { [MMU_X86_PAGING_32] = 0x00403000,
	                            [MMU_X86_PAGING_PAE] = 0x40403000,
	                            [MMU_X86_PAGING_4LEVEL] = 0x5000 };

/* The tables for @w: the page's bits in the leaf (@in_leaf) or in the
 * PDE (32-bit, PAE) or PML4E (4-level), everything granted elsewhere. */
static void conf_map(struct mmu_x86_regs *r, const struct row *w, bool in_leaf)
{
	uint64_t bitsof = P | (w->us ? US : 0) | (w->rw ? RW : 0) | (w->xd ? XD : 0);
	uint64_t all = P | RW | US;
	uint64_t upper = in_leaf ? all : bitsof;
	uint64_t leaf = (in_leaf ? bitsof : all) | A | D;
	*r = (struct mmu_x86_regs){ .mode = w->mode,
		                    .cr3 = w->mode == MMU_X86_PAGING_PAE ? 0x1020 : 0x1000,
		                    .cr0_wp = w->wp,
		                    .cr4_pse = true,
		                    .efer_nxe = w->nxe,
		                    .cr4_smep = w->smep,
		                    .cr4_smap = w->smap,
		                    .eflags_ac = w->ac,
		                    .maxphyaddr = 36 };
	switch (w->mode) {
	case MMU_X86_PAGING_32:
		put32(0x1000 + 1 * 4, 0x2000 | upper);
		put32(0x2000 + 3 * 4, 0x5000 | leaf);
		break;
	case MMU_X86_PAGING_PAE:
		put64(0x1020 + 1 * 8, 0x2000 | P);
		ck_assert_int_eq(mmu_x86_load_pdptes(r, phys, NULL), MMU_X86_LOAD_OK);
		put64(0x2000 + 2 * 8, 0x3000 | upper);
		put64(0x3000 + 3 * 8, 0x5000 | leaf);
		break;
	case MMU_X86_PAGING_4LEVEL:
		put64(0x1000, 0x2000 | upper);
		put64(0x2000, 0x3000 | all);
		put64(0x3000, 0x4000 | all);
		put64(0x4000 + 5 * 8, 0x9000 | leaf);
		break;
	}
}

static unsigned acc_of(const struct row *w)
{
	static const unsigned k[] = { [K_READ] = 0,
		                      [K_WRITE] = MMU_ACC_WRITE,
		                      [K_FETCH] = MMU_ACC_FETCH,
		                      [K_IMPLICIT_READ] = MMU_ACC_IMPLICIT,
		                      [K_IMPLICIT_WRITE] = MMU_ACC_IMPLICIT | MMU_ACC_WRITE };
	return k[w->kind] | (w->cpl3 ? MMU_ACC_USER : 0);
}

static void describe(const struct row *w, char *buf, size_t n)
{
	static const char *const mode[] = { [MMU_X86_PAGING_32] = "32-bit",
		                            [MMU_X86_PAGING_PAE] = "PAE",
		                            [MMU_X86_PAGING_4LEVEL] = "4-level" };
	snprintf(buf, n, "%s U/S=%d R/W=%d XD=%d %s CPL=%d WP=%d SMEP=%d SMAP=%d AC=%d NXE=%d",
	         mode[w->mode], w->us, w->rw, w->xd, kind_name[w->kind], w->cpl3 ? 3 : 0, w->wp,
	         w->smep, w->smap, w->ac, w->nxe);
}

/* One row through the model: a walk (with the page's bits in the leaf or
 * higher up) and the TLB-hit check mmu_x86_rights_allow(). */
static void check_row(const struct row *w, struct outcome want, bool in_leaf)
{
	char d[200];
	describe(w, d, sizeof(d));
	struct mmu_x86_regs r;
	conf_map(&r, w, in_leaf);
	bool ok = mmu_x86_translate(&r, phys, NULL, conf_va[w->mode], acc_of(w), 0, &res);
	ck_assert_msg(ok == want.ok, "%s (%s): model %s, SDM %s", d, in_leaf ? "leaf" : "upper",
	              ok ? "allows" : "faults", want.ok ? "allows" : "faults");
	if (!ok)
		ck_assert_msg(res.error_code == want.ec, "%s: error code %#x, SDM %#x", d,
		              res.error_code, want.ec);
	else
		ck_assert_uint_eq(res.pa, (w->mode == MMU_X86_PAGING_4LEVEL ? 0x9000 : 0x5000));
	if (!(want.ec & 8)) { /* no reserved bit: the rights alone decide */
		bool has_xd = w->mode != MMU_X86_PAGING_32 && w->xd;
		ck_assert_msg(mmu_x86_rights_allow(&r, w->rw, w->us, !has_xd, acc_of(w)) == want.ok,
		              "%s: mmu_x86_rights_allow disagrees", d);
	}
}

START_TEST(rights_against_the_sdm_rules)
{
	static const enum mmu_x86_mode modes[] = { MMU_X86_PAGING_32, MMU_X86_PAGING_PAE,
		                                   MMU_X86_PAGING_4LEVEL };
	unsigned rows = 0, allowed = 0, rsvd = 0;
	for (unsigned m = 0; m < 3; m++)
		for (unsigned page = 0; page < 8; page++)
			for (unsigned k = 0; k < K_KINDS; k++)
				for (unsigned c = 0; c < 64; c++) {
					struct row w = { .mode = modes[m],
						         .us = page & 1,
						         .rw = page & 2,
						         .xd = page & 4,
						         .kind = (enum kind)k,
						         .cpl3 = c & 1,
						         .wp = c & 2,
						         .smep = c & 4,
						         .smap = c & 8,
						         .ac = c & 16,
						         .nxe = c & 32 };
					struct outcome want = sdm(&w);
					check_row(&w, want, true);
					check_row(&w, want, false);
					rows++;
					allowed += want.ok;
					rsvd += !want.ok && (want.ec & 8);
				}
	ck_assert_uint_eq(rows, (uintmax_t)3 * 8 * K_KINDS * 64);
	/* Both outcomes are well represented (a rule function that always
	 * says "allowed" would not pass the walks above anyway). */
	ck_assert_uint_gt(allowed, rows / 4);
	ck_assert_uint_gt(rows - allowed - rsvd, rows / 4);
	ck_assert_uint_eq(rsvd, (uintmax_t)2 * 4 * K_KINDS * 32); /* PAE, 4-level: XD=1, NXE=0 */
}
END_TEST

/*
 * Hand-written rows, each from a sentence of §4.6.1 (rights) and §4.7
 * (error code: P=1, W/R=2, U/S=4, RSVD=8, I/D=0x10).
 */
START_TEST(rights_hand_table)
{
#define M32 MMU_X86_PAGING_32
#define PAE MMU_X86_PAGING_PAE
#define M4  MMU_X86_PAGING_4LEVEL
	static const struct {
		struct row w;
		bool ok;
		uint32_t ec;
	} t[] = {
		/* "If CR4.SMAP = 1 ... If EFLAGS.AC = 0 ..., data may not be read
		 * from any user-mode address." */
		{ { M4, 1, 1, 0, K_READ, 0, 1, 0, 1, 0, 1 }, false, 0x1 },
		/* "If EFLAGS.AC = 1 and the access is explicit, data may be read" */
		{ { M4, 1, 1, 0, K_READ, 0, 1, 0, 1, 1, 1 }, true, 0 },
		/* "... or the access is implicit": AC does not help. */
		{ { M4, 1, 1, 0, K_IMPLICIT_READ, 0, 1, 0, 1, 1, 1 }, false, 0x1 },
		/* An implicit write at CPL 3 is a supervisor-mode access: U/S=0. */
		{ { M4, 1, 1, 0, K_IMPLICIT_WRITE, 1, 1, 0, 1, 1, 1 }, false, 0x3 },
		/* "If CR0.WP = 0 ... SMAP = 1 ... AC = 1 and the access is explicit,
		 * data may be written to any user-mode address": R/W=0 too. */
		{ { M4, 1, 0, 0, K_WRITE, 0, 0, 0, 1, 1, 1 }, true, 0 },
		/* WP=1, SMAP=1, AC=1: only with R/W=1. */
		{ { M4, 1, 0, 0, K_WRITE, 0, 1, 0, 1, 1, 1 }, false, 0x3 },
		{ { M4, 1, 1, 0, K_WRITE, 0, 1, 0, 1, 1, 1 }, true, 0 },
		/* "If CR4.SMEP = 1, instructions may not be fetched from any
		 * user-mode address"; I/D is set (NXE=1). */
		{ { M4, 1, 1, 0, K_FETCH, 0, 1, 1, 0, 0, 1 }, false, 0x11 },
		/* I/D with SMEP=1 in 32-bit paging too. */
		{ { M32, 1, 1, 0, K_FETCH, 0, 1, 1, 0, 0, 0 }, false, 0x11 },
		/* SMEP=0: 32-bit paging fetches from any user-mode address. */
		{ { M32, 1, 1, 0, K_FETCH, 0, 1, 0, 0, 0, 0 }, true, 0 },
		/* A user fetch from a supervisor page, 32-bit, SMEP=0: no I/D. */
		{ { M32, 0, 1, 0, K_FETCH, 1, 1, 0, 0, 0, 0 }, false, 0x5 },
		/* PAE, NXE=1, XD=1: a user fetch faults, with I/D. */
		{ { PAE, 1, 1, 1, K_FETCH, 1, 1, 0, 0, 0, 1 }, false, 0x15 },
		/* PAE, NXE=0: bit 63 is reserved. */
		{ { PAE, 0, 1, 1, K_READ, 0, 1, 0, 0, 0, 0 }, false, 0x9 },
		/* SMEP says nothing about supervisor-mode addresses. */
		{ { M4, 0, 0, 0, K_FETCH, 0, 1, 1, 1, 0, 1 }, true, 0 },
		/* SMAP says nothing about user-mode accesses. */
		{ { M4, 1, 0, 0, K_WRITE, 1, 1, 0, 1, 0, 1 }, false, 0x7 },
		{ { M4, 1, 1, 0, K_READ, 1, 1, 0, 1, 0, 1 }, true, 0 },
		/* "If CR0.WP = 0, data may be written to any supervisor-mode
		 * address." */
		{ { PAE, 0, 0, 0, K_WRITE, 0, 0, 0, 0, 0, 1 }, true, 0 },
		/* SMAP concerns data accesses, not fetches. */
		{ { M4, 1, 1, 0, K_FETCH, 0, 1, 0, 1, 0, 1 }, true, 0 },
		/* An implicit read of a supervisor page at CPL 3 with SMAP. */
		{ { M4, 0, 0, 0, K_IMPLICIT_READ, 1, 1, 0, 1, 0, 1 }, true, 0 },
		/* 32-bit paging with SMAP: an implicit read of a user page. */
		{ { M32, 1, 1, 0, K_IMPLICIT_READ, 1, 1, 0, 1, 1, 0 }, false, 0x1 },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct outcome want = { t[i].ok, t[i].ec };
		check_row(&t[i].w, want, true);
		check_row(&t[i].w, want, false);
		/* The rule function agrees with the hand-written rows. */
		struct outcome s = sdm(&t[i].w);
		ck_assert_msg(s.ok == t[i].ok && s.ec == t[i].ec, "row %u: rule function", i);
	}
#undef M32
#undef PAE
#undef M4
}
END_TEST

START_TEST(smep_smap_combine_over_levels)
{
	/* U/S=0 in the PML4E makes every address under it a supervisor-mode
	 * address (§4.6): SMAP and SMEP do not apply, even if the PTE says
	 * user. */
	map4(P | RW | US);
	r64.cr4_smep = r64.cr4_smap = true;
	ck_assert(!tr(&r64, 0x5000, 0));
	ck_assert_uint_eq(res.error_code, 1);
	ck_assert(!tr(&r64, 0x5000, MMU_ACC_FETCH));
	ck_assert_uint_eq(res.error_code, 0x11);
	put64(0x1000, 0x2000 | P | RW);
	ck_assert(tr(&r64, 0x5000, MMU_ACC_WRITE));
	ck_assert(tr(&r64, 0x5000, MMU_ACC_FETCH));
	ck_assert(!res.user);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mmu-x86");
	TCase *tc = tcase_create("sdm");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, paging32_walk_rights_and_ad);
	tcase_add_test(tc, paging32_rights_combine_over_levels);
	tcase_add_test(tc, paging32_4mib_pages_and_reserved_bits);
	tcase_add_test(tc, paging4_walk_xd_and_id_bit);
	tcase_add_test(tc, paging4_large_pages_and_reserved_bits);
	tcase_add_test(tc, paging4_non_canonical_is_not_a_page_fault);
	tcase_add_test(tc, walk_without_ad_leaves_memory_alone);
	tcase_add_test(tc, pae_4k_page_above_4g_and_ad);
	tcase_add_test(tc, pae_2mib_pages);
	tcase_add_test(tc, pae_reserved_bits);
	tcase_add_test(tc, pae_paging_structures_above_4g);
	tcase_add_test(tc, pae_xd_and_not_present_at_each_level);
	tcase_add_test(tc, pae_pdpte_load);
	tcase_add_test(tc, rights_against_the_sdm_rules);
	tcase_add_test(tc, rights_hand_table);
	tcase_add_test(tc, smep_smap_combine_over_levels);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
