/*
 * The simulator's MMU interface (sim/src/mmu.h) over the x86 model
 * (mmu_x86.c), for i386 (32-bit paging), i386-pae (PAE paging: the PDPTE
 * registers are loaded on a root write) and x86_64 (4-level paging): the
 * mode comes from the ISA's <sim_arch.h>. The neutral fault bits are the
 * #PF error code's own (SDM Vol. 3A §4.7), so @fault and @hw_code agree.
 */
#include <sim_mmu_api.h>

#include <sim/sim.h>

#include <sim_arch.h>

_Static_assert((unsigned)SIM_PF_P == (unsigned)MMU_PF_P &&
                       (unsigned)SIM_PF_WR == (unsigned)MMU_PF_WR &&
                       (unsigned)SIM_PF_US == (unsigned)MMU_PF_US &&
                       (unsigned)SIM_PF_RSVD == (unsigned)MMU_PF_RSVD &&
                       (unsigned)SIM_PF_ID == (unsigned)MMU_PF_ID,
               "the neutral fault bits are the x86 error code's");

static unsigned acc_of(unsigned flags)
{
	return ((flags & SIM_WRITE) ? MMU_ACC_WRITE : 0) | ((flags & SIM_USER) ? MMU_ACC_USER : 0) |
	       ((flags & SIM_FETCH) ? MMU_ACC_FETCH : 0);
}

void sim_mmu_reset(struct sim_mmu *m)
{
	/*
	 * What the kernels enable: WP, PSE, PGE and NXE (SDM Vol. 3A §2.5).
	 * CR4.SMEP and CR4.SMAP stay 0 (the fields left out are 0): the
	 * simulator's supervisor accesses (no SIM_USER) stand for the
	 * kernel's user copies, made with EFLAGS.AC=1 (stac), and its tests
	 * write user pages from supervisor mode on purpose (a COW break by a
	 * kernel write); sim_mmu_probe() reads every cached page, user pages
	 * included. With SMAP=1 and AC=1 an explicit access is allowed
	 * exactly as with SMAP=0 (§4.6.1), and the simulator makes no
	 * implicit accesses, so SMAP would change nothing; SMEP would forbid
	 * supervisor fetches from user pages, which mm-core never makes in
	 * the simulator. The model's SMEP/SMAP rules are tested on their
	 * own (tests/test_mmu_x86.c).
	 */
	m->regs = (struct mmu_x86_regs){
		.mode = ARCH_SIM_MMU_MODE,
		.cr0_wp = true,
		.cr4_pse = true,
		.cr4_pge = true,
		.efer_nxe = true,
		.maxphyaddr = ARCH_SIM_MAXPHYADDR,
	};
}

bool sim_mmu_set_root(struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t root,
                      uint32_t asid)
{
	/* A MOV to CR3; in PAE paging it loads the PDPTE registers, or
	 * faults (#GP) and changes nothing (SDM Vol. 3A §4.4.1). */
	struct mmu_x86_regs regs = m->regs;
	regs.cr3 = root;
	if (mmu_x86_load_pdptes(&regs, phys, ctx) != MMU_X86_LOAD_OK)
		return false;
	m->regs = regs;
	/* The PCID tags TLB entries only; the walk never reads it. */
	m->pcid = asid;
	return true;
}

bool sim_mmu_root_stale(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx)
{
	if (m->regs.mode != MMU_X86_PAGING_PAE)
		return false;
	/* The PDPT is 32-byte aligned at CR3[31:5] (§4.4.1). */
	for (unsigned i = 0; i < 4; i++) {
		const uint64_t *e =
		        phys(ctx, (m->regs.cr3 & UINT64_C(0xFFFFFFE0)) + (uint64_t)i * 8);
		if (!e || *e != m->regs.pdpte[i])
			return true;
	}
	return false;
}

uint64_t sim_mmu_root(const struct sim_mmu *m)
{
	return m->regs.cr3;
}

uint32_t sim_mmu_asid(const struct sim_mmu *m)
{
	return m->pcid;
}

bool sim_mmu_hit_faults(unsigned flags, uint32_t *hw_code)
{
	(void)flags; /* the fault drops the entry (SDM Vol. 3A §4.10.4.1) */
	(void)hw_code;
	return false;
}

uint32_t sim_mmu_asids(void)
{
	return ARCH_SIM_PCIDS;
}

static void from_result(const struct mmu_x86_result *r, bool ok, struct sim_walk *w)
{
	*w = (struct sim_walk){
		.ok = ok,
		/* A non-canonical address (#GP) is reported as a bus error. */
		.page_fault = !ok && !r->bus_error,
		.bus_error = !ok && r->bus_error,
		.fault = ok ? 0 : r->error_code,
		.hw_code = ok ? 0 : r->error_code,
		.pa = r->pa,
		.page_base_va = r->page_base_va,
		.page_size = r->page_size,
		.readable = ok, /* every present x86 page is readable (§4.6) */
		.writable = r->writable,
		.executable = r->executable,
		.sup_executable = r->executable,
		.user = r->user,
		.global = r->global,
		.dirty = r->dirty,
	};
}

bool sim_mmu_translate(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t va,
                       unsigned flags, bool set_ad, struct sim_walk *w)
{
	struct mmu_x86_result r;
	bool ok = mmu_x86_translate(&m->regs, phys, ctx, va, acc_of(flags),
	                            set_ad ? MMU_WALK_SET_AD : 0, &r);
	from_result(&r, ok, w);
	return ok;
}

bool sim_mmu_probe(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t va,
                   struct sim_walk *w)
{
	/* A supervisor read: with SMAP off (sim_mmu_reset()) it is allowed on
	 * every present page. */
	return sim_mmu_translate(m, phys, ctx, va, 0, false, w);
}

bool sim_mmu_allows(const struct sim_mmu *m, const struct sim_walk *w, unsigned flags)
{
	return mmu_x86_rights_allow(&m->regs, w->writable, w->user, w->executable, acc_of(flags));
}

const char *sim_mmu_code_name(void)
{
	return "error code";
}

bool sim_mmu_caches_invalid(void)
{
	return false; /* "does not cache a translation ... unless the present flag is 1" */
}

void sim_mmu_set_kernel_root(struct sim_mmu *m, uint64_t root)
{
	(void)m; /* the kernel half is shared through PML4/PD entries */
	(void)root;
}

bool sim_mmu_requires_bbm(void)
{
	return false; /* a PTE may change in place; invlpg then (SDM Vol. 3A §4.10.4) */
}
