/*
 * The RISC-V MMU model (arch/riscv/sim/mmu_riscv.c) at the edges that
 * tests/test_mmu_riscv.c leaves out: Sv48's own superpages (2 MiB, 1 GiB,
 * 512 GiB) and the misaligned check at every level, the high (negative)
 * half of both address spaces and every non-canonical bit, each reserved
 * PTE bit alone, invalid and reserved entries at every Sv48 level, the PTE
 * addresses each walk reads, A/D on superpages, access faults at every
 * level and past the physical-address width, and the rights of every leaf
 * against a table written from the spec's words.
 *
 * Written from The RISC-V Instruction Set Manual, Volume II: Privileged
 * Architecture, "Supervisor-Level ISA": "Virtual Address Translation
 * Process" (steps 1-10 of the current text), "Sv39: Page-Based 39-bit
 * Virtual-Memory System", "Sv48: Page-Based 48-bit Virtual-Memory System",
 * "Memory Privilege in sstatus Register" (SUM, MXR), and the Svade/Svadu
 * rules for A and D. PTE bits and VPN fields are written out here; nothing
 * uses mm-core or <arch/pte.h>.
 */
#include "mmu_riscv.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* "Sv32" PTE bits 9:0 (Sv39 and Sv48 keep them). */
#define V 0x1ull
#define R 0x2ull
#define W 0x4ull
#define X 0x8ull
#define U 0x10ull
#define G 0x20ull
#define A 0x40ull
#define D 0x80ull

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

#define MEM ((size_t)64 * 4096)
static _Alignas(4096) uint8_t mem[MEM];

/* Every physical address the model asked for, in order. */
struct reads {
	unsigned n;
	uint64_t pa[8];
};
static struct reads rd;

static void *phys(void *ctx, uint64_t pa)
{
	struct reads *r = ctx;
	if (r && r->n < 8)
		r->pa[r->n++] = pa;
	return pa + 8 <= MEM ? &mem[pa] : NULL;
}

static void put(uint64_t pa, uint64_t e)
{
	memcpy(&mem[pa], &e, 8);
}

static uint64_t get(uint64_t pa)
{
	uint64_t v;
	memcpy(&v, &mem[pa], 8);
	return v;
}

/* A PTE naming physical address @pa (PPN in bits 53:10) with flags @f. */
static uint64_t pte(uint64_t pa, uint64_t f)
{
	return (pa >> 12) << 10 | f;
}

/* va.vpn[i]: 9 bits above the 12-bit offset, level i ("Sv39", "Sv48"). */
static uint64_t vpn(uint64_t va, unsigned i)
{
	return (va >> (12 + 9 * i)) & 511;
}

/* Tables: level 3 at 0x1000 (the Sv48 root), level 2 at 0x2000 (the Sv39
 * root), level 1 at 0x3000, level 0 at 0x4000. */
static const uint64_t table[4] = { 0x4000, 0x3000, 0x2000, 0x1000 };

static struct mmu_rv_regs sv39, sv48;
static struct mmu_rv_result res;

static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	memset(&rd, 0, sizeof(rd));
	sv39 = (struct mmu_rv_regs){
		.mode = MMU_RV_SV39, .satp_ppn = 0x2000 >> 12, .hw_ad = true, .pa_bits = 56
	};
	sv48 = sv39;
	sv48.mode = MMU_RV_SV48;
	sv48.satp_ppn = 0x1000 >> 12;
}

/* The address of the level-@i PTE that a walk of @va reads. */
static uint64_t slot(uint64_t va, unsigned i)
{
	return table[i] + vpn(va, i) * 8;
}

/* Pointers from level @top down to level @lvl + 1 for @va, then @leaf at
 * level @lvl. */
static void chain(uint64_t va, unsigned top, unsigned lvl, uint64_t leaf)
{
	for (unsigned i = top; i > lvl; i--)
		put(slot(va, i), pte(table[i - 1], V));
	put(slot(va, lvl), leaf);
}

static bool tr(const struct mmu_rv_regs *r, uint64_t va, unsigned acc)
{
	memset(&rd, 0, sizeof(rd));
	return mmu_rv_translate(r, phys, &rd, va, acc, MMU_RV_WALK_SET_AD, &res);
}

static unsigned cause_of(unsigned acc)
{
	return (acc & MMU_RV_ACC_FETCH) ? 12u : (acc & MMU_RV_ACC_WRITE) ? 15u : 13u;
}

/* "Sv48": 2 MiB megapages, 1 GiB gigapages and 512 GiB terapages; step 10:
 * pa.ppn[i-1:0] = va.vpn[i-1:0], the rest from the PTE. */
START_TEST(sv48_superpages_at_every_level)
{
	const uint64_t va = 0x0000123456789ABCull;
	const struct {
		unsigned lvl;
		uint64_t size, frame;
	} cases[] = {
		{ 1, 2 * MIB, 0x7FE00000ull },
		{ 2, GIB, 0x00FFFFFFC0000000ull }, /* the top gigapage of a 56-bit space */
		{ 3, 512 * GIB, 0x0000FF8000000000ull },
	};
	for (unsigned c = 0; c < 3; c++) {
		setup();
		chain(va, 3, cases[c].lvl, pte(cases[c].frame, V | R | W | A | D));
		ck_assert(tr(&sv48, va, MMU_RV_ACC_WRITE));
		ck_assert_uint_eq(res.page_size, cases[c].size);
		ck_assert_uint_eq(res.page_base_va, va & ~(cases[c].size - 1));
		ck_assert_uint_eq(res.pa, cases[c].frame | (va & (cases[c].size - 1)));
		ck_assert_uint_eq(res.levels, 4 - cases[c].lvl);
		ck_assert_uint_eq(rd.n, 4 - cases[c].lvl);
		for (unsigned k = 0; k < rd.n; k++)
			ck_assert_uint_eq(rd.pa[k], slot(va, 3 - k));
	}
	/* An Sv39 gigapage with PPN[2] (26 bits) at its top. */
	uint64_t v39 = 0x12345678ull; /* vpn[2] = 0 */
	setup();
	chain(v39, 2, 2, pte(0x00FFFFFFC0000000ull, V | R | A | D));
	ck_assert(tr(&sv39, v39, 0));
	ck_assert_uint_eq(res.pa, 0x00FFFFFFC0000000ull | v39);
	ck_assert_uint_eq(res.page_size, GIB);
}
END_TEST

/* Step 5: a leaf at level i > 0 with any of pte.ppn[i-1:0] non-zero is a
 * misaligned superpage: a page fault of the access's type. Each low PPN
 * field alone, at every level, in both modes. */
START_TEST(misaligned_superpages_fault_field_by_field)
{
	const uint64_t va = 0x0000001234567000ull;
	const unsigned accs[] = { 0, MMU_RV_ACC_WRITE, MMU_RV_ACC_FETCH };
	for (unsigned mode = 0; mode < 2; mode++) {
		const struct mmu_rv_regs *regs = mode ? &sv48 : &sv39;
		unsigned top = mode ? 3 : 2;
		for (unsigned lvl = 1; lvl <= top; lvl++)
			for (unsigned f = 0; f < lvl; f++)
				for (unsigned a = 0; a < 3; a++) {
					setup();
					uint64_t frame = 1ull << (12 + 9 * lvl + 4); /* aligned */
					frame |= 1ull << (12 + 9 * f); /* ppn[f] = 1 */
					chain(va, top, lvl, pte(frame, V | R | W | X | A));
					ck_assert_msg(!tr(regs, va, accs[a]),
					              "mode %u lvl %u field %u", mode, lvl, f);
					ck_assert(!res.access_fault);
					ck_assert_uint_eq(res.cause, cause_of(accs[a]));
					ck_assert_uint_eq(res.tval, va);
					ck_assert_uint_eq(res.levels, top + 1 - lvl);
					/* Faulted before step 9: D not set (A was). */
					ck_assert_uint_eq(get(slot(va, lvl)) & D, 0);
				}
	}
}
END_TEST

/* Step 3: V = 0 at each of Sv48's four levels: a page fault after reading
 * that PTE and no further. */
START_TEST(invalid_at_each_sv48_level)
{
	const uint64_t va = 0x00007FFFFFFFF123ull; /* the last user page */
	for (unsigned lvl = 0; lvl < 4; lvl++) {
		setup();
		chain(va, 3, 0, pte(0x9000, V | R | A | D));
		ck_assert(tr(&sv48, va, 0));
		ck_assert_uint_eq(res.pa, 0x9123);
		put(slot(va, lvl), get(slot(va, lvl)) & ~V);
		ck_assert(!tr(&sv48, va, MMU_RV_ACC_FETCH));
		ck_assert(!res.access_fault);
		ck_assert_uint_eq(res.cause, 12);
		ck_assert_uint_eq(res.tval, va);
		ck_assert_uint_eq(res.levels, 4 - lvl);
		ck_assert_uint_eq(rd.pa[rd.n - 1], slot(va, lvl));
	}
}
END_TEST

/* "Sv39": bits 63-54 reserved (63 for Svnapot, 62-61 for Svpbmt, neither
 * modelled); set, a page fault. Each bit alone, in a leaf and in a pointer
 * at every level; the PTE stays untouched (no A/D written). */
START_TEST(each_reserved_bit_alone_faults)
{
	const uint64_t va = 0x5000;
	for (unsigned bit = 54; bit < 64; bit++)
		for (unsigned lvl = 0; lvl < 4; lvl++) {
			setup();
			chain(va, 3, 0, pte(0x9000, V | R | W));
			uint64_t e = get(slot(va, lvl)) | (1ull << bit);
			put(slot(va, lvl), e);
			ck_assert_msg(!tr(&sv48, va, MMU_RV_ACC_WRITE), "bit %u level %u", bit,
			              lvl);
			ck_assert_uint_eq(res.cause, 15);
			ck_assert_uint_eq(res.levels, 4 - lvl);
			ck_assert_uint_eq(get(slot(va, lvl)), e);
			ck_assert_uint_eq(get(slot(va, 0)) & (A | D), 0);
		}
	/* Bits 53:10 are the PPN, not reserved: bit 53 set in a leaf is a
	 * frame at 2^55. */
	setup();
	chain(va, 2, 0, pte(1ull << 55, V | R | A | D));
	ck_assert(tr(&sv39, va, 0));
	ck_assert_uint_eq(res.pa, 1ull << 55);
}
END_TEST

/* Step 3: R = 0 with W = 1 is reserved wherever it appears (W alone and
 * W|X), so a "pointer" with W set is no pointer; step 4: a pointer at
 * level 0; "Sv39": D, A, U reserved in a pointer. Sv48, every level. */
START_TEST(reserved_encodings_at_every_sv48_level)
{
	const uint64_t va = 0x0000400000000000ull - 0x1000; /* vpn 127, 511, 511, 511 */
	const uint64_t bad[] = { W, W | X, U, A, D, W | A | D };
	for (unsigned lvl = 0; lvl < 4; lvl++)
		for (unsigned b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			setup();
			chain(va, 3, 0, pte(0x9000, V | R | A | D));
			uint64_t e = get(slot(va, lvl));
			if (lvl == 0 && (bad[b] == U || bad[b] == A || bad[b] == D))
				continue; /* allowed in a leaf */
			put(slot(va, lvl), (lvl == 0 ? e & ~R : e) | bad[b]);
			ck_assert_msg(!tr(&sv48, va, 0), "level %u bits %#llx", lvl,
			              (unsigned long long)bad[b]);
			ck_assert_uint_eq(res.cause, 13);
			ck_assert_uint_eq(res.levels, 4 - lvl);
		}
	/* A pointer (R = W = X = 0) at level 0 of Sv48: all four read. */
	setup();
	chain(va, 3, 0, pte(0x9000, V));
	ck_assert(!tr(&sv48, va, MMU_RV_ACC_WRITE));
	ck_assert_uint_eq(res.cause, 15);
	ck_assert_uint_eq(res.levels, 4);
	/* G in a pointer is not reserved. */
	setup();
	chain(va, 3, 0, pte(0x9000, V | R | A | D));
	put(slot(va, 2), get(slot(va, 2)) | G);
	ck_assert(tr(&sv48, va, 0));
	ck_assert(res.global);
}
END_TEST

/* "Sv39": bits 63-39 equal to bit 38; "Sv48": 63-48 equal to 47. The high
 * half walks with vpn[top] >= 256; flipping any one bit above the VA width
 * of either half is a page fault before any PTE is read, tval = va. */
START_TEST(sign_extension_bit_by_bit)
{
	const struct {
		const struct mmu_rv_regs *regs;
		unsigned top, width;
		uint64_t lo, hi;
	} m[] = {
		{ &sv39, 2, 39, 0x0000003FFFFFF000ull, 0xFFFFFFC000000000ull },
		{ &sv48, 3, 48, 0x00007FFFFFFFF000ull, 0xFFFF800000000000ull },
	};
	for (unsigned k = 0; k < 2; k++) {
		const struct mmu_rv_regs *regs = m[k].regs;
		setup();
		chain(m[k].hi, m[k].top, 0, pte(0x9000, V | R | A | D | G));
		ck_assert(tr(regs, m[k].hi + 0x10, 0));
		ck_assert_uint_eq(res.pa, 0x9010);
		ck_assert_uint_eq(vpn(m[k].hi, m[k].top), 256);
		ck_assert_uint_eq(rd.pa[0], table[m[k].top] + 256ull * 8);
		setup();
		chain(m[k].lo, m[k].top, 0, pte(0xA000, V | R | A | D));
		ck_assert(tr(regs, m[k].lo + 0x10, 0));
		ck_assert_uint_eq(res.pa, 0xA010);
		for (unsigned b = m[k].width; b < 64; b++) {
			uint64_t bad_lo = m[k].lo ^ (1ull << b), bad_hi = m[k].hi ^ (1ull << b);
			ck_assert(!tr(regs, bad_lo, MMU_RV_ACC_WRITE));
			ck_assert_uint_eq(res.cause, 15);
			ck_assert_uint_eq(res.tval, bad_lo);
			ck_assert_uint_eq(res.levels, 0);
			ck_assert_uint_eq(rd.n, 0);
			ck_assert(!tr(regs, bad_hi, MMU_RV_ACC_FETCH));
			ck_assert_uint_eq(res.cause, 12);
			ck_assert_uint_eq(res.tval, bad_hi);
			ck_assert_uint_eq(res.levels, 0);
		}
		/* Bit width-1 flipped alone makes the address non-canonical too. */
		ck_assert(!tr(regs, m[k].lo ^ (1ull << (m[k].width - 1)), 0));
		ck_assert_uint_eq(res.levels, 0);
	}
}
END_TEST

/* Step 2: a PTE address with no memory (PMA/PMP) is an access fault of the
 * original access type (1, 5, 7), at whichever level it happens; also a
 * PTE address at or past 2^pa_bits. */
START_TEST(access_faults_at_every_level)
{
	const uint64_t va = 0x6000;
	const unsigned accs[] = { 0, MMU_RV_ACC_WRITE, MMU_RV_ACC_FETCH };
	const unsigned want[] = { 5, 7, 1 };
	for (unsigned lvl = 0; lvl < 4; lvl++)
		for (unsigned a = 0; a < 3; a++) {
			setup();
			chain(va, 3, 0, pte(0x9000, V | R | W | X | A | D));
			if (lvl == 3)
				sv48.satp_ppn = (MEM + 0x3000) >> 12; /* the root itself */
			else
				put(slot(va, lvl + 1), pte(MEM + 0x3000, V));
			ck_assert(!tr(&sv48, va, accs[a]));
			ck_assert(res.access_fault);
			ck_assert_uint_eq(res.cause, want[a]);
			ck_assert_uint_eq(res.tval, va);
			ck_assert_uint_eq(res.levels, 4 - lvl);
		}
	/* pa_bits = 14: the level-0 table at 0x4000 is past the machine's
	 * physical addresses although the host array has it. */
	setup();
	chain(va, 2, 0, pte(0x9000, V | R | A | D));
	ck_assert(tr(&sv39, va, 0));
	sv39.pa_bits = 14;
	ck_assert(!tr(&sv39, va, 0));
	ck_assert(res.access_fault);
	ck_assert_uint_eq(res.cause, 5);
	ck_assert_uint_eq(res.levels, 3);
}
END_TEST

/* Step 9 on superpages: Svadu writes A (and D on a store) into the leaf,
 * wherever it sits, never into a pointer, and only when the translation
 * succeeds; Svade faults with the access's cause and writes nothing. */
START_TEST(accessed_dirty_on_superpages)
{
	const uint64_t va = 0x0000008040201000ull; /* vpn 1, 1, 1, 1 */
	for (unsigned lvl = 0; lvl < 4; lvl++) {
		setup();
		uint64_t frame = 1ull << (12 + 9 * lvl + 9);
		chain(va, 3, lvl, pte(frame, V | R | W | X | U));
		/* Not asked to write: nothing changes, D reported clear. */
		ck_assert(mmu_rv_translate(&sv48, phys, NULL, va, MMU_RV_ACC_USER, 0, &res));
		ck_assert_uint_eq(get(slot(va, lvl)) & (A | D), 0);
		ck_assert(!res.dirty);
		/* A fetch sets A only. */
		ck_assert(tr(&sv48, va, MMU_RV_ACC_USER | MMU_RV_ACC_FETCH));
		ck_assert_uint_eq(get(slot(va, lvl)) & (A | D), A);
		ck_assert(!res.dirty);
		/* A denied store (S-mode on a U page without SUM) sets nothing. */
		ck_assert(!tr(&sv48, va, MMU_RV_ACC_WRITE));
		ck_assert_uint_eq(res.cause, 15);
		ck_assert_uint_eq(get(slot(va, lvl)) & D, 0);
		/* A U-mode store sets D. */
		ck_assert(tr(&sv48, va, MMU_RV_ACC_WRITE | MMU_RV_ACC_USER));
		ck_assert_uint_eq(get(slot(va, lvl)) & (A | D), A | D);
		ck_assert(res.dirty);
		ck_assert_uint_eq(res.pa, frame | (va & ((1ull << (12 + 9 * lvl)) - 1)));
		for (unsigned i = lvl + 1; i < 4; i++)
			ck_assert_uint_eq(get(slot(va, i)), pte(table[i - 1], V));
		/* Svade: A clear faults with the access's cause, whatever the
		 * flag; A set and D clear faults only stores. */
		struct mmu_rv_regs ade = sv48;
		ade.hw_ad = false;
		const unsigned accs[] = { MMU_RV_ACC_USER, MMU_RV_ACC_USER | MMU_RV_ACC_WRITE,
			                  MMU_RV_ACC_USER | MMU_RV_ACC_FETCH };
		for (unsigned a = 0; a < 3; a++) {
			put(slot(va, lvl), pte(frame, V | R | W | X | U));
			ck_assert(!tr(&ade, va, accs[a]));
			ck_assert(!res.access_fault);
			ck_assert_uint_eq(res.cause, cause_of(accs[a]));
			ck_assert_uint_eq(res.tval, va);
			ck_assert_uint_eq(get(slot(va, lvl)), pte(frame, V | R | W | X | U));
			put(slot(va, lvl), pte(frame, V | R | W | X | U | A));
			bool ok = tr(&ade, va, accs[a]);
			ck_assert(ok == !(accs[a] & MMU_RV_ACC_WRITE));
			ck_assert_uint_eq(get(slot(va, lvl)), pte(frame, V | R | W | X | U | A));
			put(slot(va, lvl), pte(frame, V | R | W | X | U | A | D));
			ck_assert(tr(&ade, va, accs[a]));
			ck_assert(res.dirty);
		}
	}
}
END_TEST

/*
 * The rights of a leaf, as a table written from the spec's words rather
 * than a formula:
 *  - "Sv32" PTE format: R, W, X say whether the page can be read, written
 *    and executed; W without R is reserved (step 3), so W and W|X are not
 *    leaves one may grant: a page fault for every access.
 *  - "Memory Privilege in sstatus Register": MXR=1 makes loads from pages
 *    marked readable or executable succeed; MXR=0 only readable.
 *  - U-mode may access a page only when U=1; S-mode may access U=1 pages
 *    only when SUM=1 and never fetch from them; S-mode may access U=0 pages.
 * One row per R/W/X encoding (bit 0 R, 1 W, 2 X): loads without MXR, loads
 * with MXR, stores, fetches.
 */
static const struct {
	const char *name;
	bool load, load_mxr, store, fetch;
} rwx_table[8] = {
	[0] = { "---", false, false, false, false }, /* a pointer, not used here */
	[1] = { "R--", true, true, false, false },
	[2] = { "-W-", false, false, false, false }, /* reserved */
	[3] = { "RW-", true, true, true, false },
	[4] = { "--X", false, true, false, true },
	[5] = { "R-X", true, true, false, true },
	[6] = { "-WX", false, false, false, false }, /* reserved */
	[7] = { "RWX", true, true, true, true },
};

/* May the mode reach the page at all? [user mode][pte.u][sum][fetch]. */
static const bool mode_table[2][2][2][2] = {
	/* S-mode: U=0 pages always; U=1 pages with SUM, never for a fetch. */
	[0][0] = { { true, true }, { true, true } },
	[0][1] = { { false, false }, { true, false } },
	/* U-mode: U=1 pages only, SUM irrelevant. */
	[1][0] = { { false, false }, { false, false } },
	[1][1] = { { true, true }, { true, true } },
};

START_TEST(rights_against_the_spec_table_on_a_gigapage)
{
	const uint64_t va = 0xFFFF80004ABCD123ull; /* Sv48 high half, vpn[2] = 1 */
	for (unsigned rwx = 1; rwx < 8; rwx++)
		for (unsigned u = 0; u < 2; u++) {
			setup();
			uint64_t f =
			        ((rwx & 1) ? R : 0) | ((rwx & 2) ? W : 0) | ((rwx & 4) ? X : 0);
			chain(va, 3, 2, pte(0x80000000ull, V | A | D | f | (u ? U : 0)));
			for (unsigned user = 0; user < 2; user++)
				for (unsigned sum = 0; sum < 2; sum++)
					for (unsigned mxr = 0; mxr < 2; mxr++)
						for (unsigned kind = 0; kind < 3; kind++) {
							unsigned acc =
							        (user ? MMU_RV_ACC_USER : 0) |
							        (kind == 1 ? MMU_RV_ACC_WRITE : 0) |
							        (kind == 2 ? MMU_RV_ACC_FETCH : 0);
							bool reach =
							        mode_table[user][u][sum][kind == 2];
							bool grant =
							        kind == 2   ? rwx_table[rwx].fetch
							        : kind == 1 ? rwx_table[rwx].store
							        : mxr ? rwx_table[rwx].load_mxr
							              : rwx_table[rwx].load;
							bool want = reach && grant;
							struct mmu_rv_regs regs = sv48;
							regs.sum = sum;
							regs.mxr = mxr;
							bool got = tr(&regs, va, acc);
							ck_assert_msg(got == want,
							              "%s u%u user%u sum%u mxr%u "
							              "kind%u: %d",
							              rwx_table[rwx].name, u, user,
							              sum, mxr, kind, got);
							if (got) {
								ck_assert_uint_eq(res.pa,
								                  0x8ABCD123ull);
								ck_assert_uint_eq(res.page_size,
								                  GIB);
								ck_assert(res.user == (u != 0));
								ck_assert(res.readable ==
								          ((rwx & 1) != 0));
								ck_assert(res.writable ==
								          ((rwx & 2) != 0));
								ck_assert(res.executable ==
								          ((rwx & 4) != 0));
							} else {
								ck_assert_uint_eq(res.cause,
								                  cause_of(acc));
								ck_assert_uint_eq(res.tval, va);
							}
							/* The TLB-hit rule agrees, reserved rows
							 * aside. */
							if (rwx != 2 && rwx != 6)
								ck_assert(mmu_rv_rights_allow(
								                  &regs, rwx & 1,
								                  rwx & 2, rwx & 4,
								                  u, acc) == want);
						}
		}
}
END_TEST

/* Global mappings ("Sv32" PTE format): G in a pointer makes every mapping
 * below it global; G only on a leaf makes that leaf global; a G below a
 * non-global pointer does not reach up. Sv48, the root's G. */
START_TEST(global_from_any_level)
{
	const uint64_t va = 0x7000;
	for (int glvl = -1; glvl < 4; glvl++) {
		setup();
		chain(va, 3, 0, pte(0x9000, V | R | A | D));
		if (glvl >= 0)
			put(slot(va, (unsigned)glvl), get(slot(va, (unsigned)glvl)) | G);
		ck_assert(tr(&sv48, va, 0));
		ck_assert_msg(res.global == (glvl >= 0), "G at level %d", glvl);
	}
	/* A global gigapage in Sv39 (root's leaf). */
	setup();
	chain(va, 2, 2, pte(0x40000000, V | R | X | G | A | D));
	ck_assert(tr(&sv39, va, MMU_RV_ACC_FETCH));
	ck_assert(res.global);
	ck_assert_uint_eq(res.levels, 1);
	ck_assert_uint_eq(res.pa, 0x40007000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mmu-riscv-edges");
	TCase *tc = tcase_create("sv39-sv48-edges");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, sv48_superpages_at_every_level);
	tcase_add_test(tc, misaligned_superpages_fault_field_by_field);
	tcase_add_test(tc, invalid_at_each_sv48_level);
	tcase_add_test(tc, each_reserved_bit_alone_faults);
	tcase_add_test(tc, reserved_encodings_at_every_sv48_level);
	tcase_add_test(tc, sign_extension_bit_by_bit);
	tcase_add_test(tc, access_faults_at_every_level);
	tcase_add_test(tc, accessed_dirty_on_superpages);
	tcase_add_test(tc, rights_against_the_spec_table_on_a_gigapage);
	tcase_add_test(tc, global_from_any_level);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
