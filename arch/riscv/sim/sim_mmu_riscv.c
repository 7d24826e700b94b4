/*
 * The simulator's MMU interface (sim/src/sim_mmu_api.h) over the RISC-V
 * model (mmu_riscv.c), for Sv39 and Sv48: the mode comes from the ISA's
 * <sim_arch.h>.
 *
 * The machine the simulator models: S-mode with sstatus.SUM=1 (a kernel
 * inside its user-copy routines, so supervisor loads and stores may touch
 * user pages; fetches never can) and MXR=0; the hardware sets A and D
 * (Svadu), although mm-core's leaves have them set already.
 *
 * The neutral fault report: "protection violation" (SIM_PF_P) when a walk
 * without rights checks finds a valid leaf, "not valid" otherwise; the
 * write, user and fetch bits from the access; hw_code is scause (12
 * instruction, 13 load, 15 store/AMO page fault).
 */
#include <sim_mmu_api.h>

#include <sim/sim.h>

#include <sim_arch.h>

static unsigned acc_of(unsigned flags)
{
	return ((flags & SIM_WRITE) ? MMU_RV_ACC_WRITE : 0) |
	       ((flags & SIM_USER) ? MMU_RV_ACC_USER : 0) |
	       ((flags & SIM_FETCH) ? MMU_RV_ACC_FETCH : 0);
}

void sim_mmu_reset(struct sim_mmu *m)
{
	m->regs = (struct mmu_rv_regs){
		.mode = ARCH_SIM_MMU_MODE,
		.sum = true,
		.mxr = false,
		.hw_ad = true,
		.pa_bits = 56,
	};
}

bool sim_mmu_set_root(struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t root,
                      uint32_t asid)
{
	(void)phys; /* satp names the root; each walk reads it */
	(void)ctx;
	m->regs.satp_ppn = root >> 12;
	m->regs.asid = (uint16_t)asid;
	return true;
}

bool sim_mmu_root_stale(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx)
{
	(void)m;
	(void)phys;
	(void)ctx;
	return false;
}

uint64_t sim_mmu_root(const struct sim_mmu *m)
{
	return m->regs.satp_ppn << 12;
}

uint32_t sim_mmu_asid(const struct sim_mmu *m)
{
	return m->regs.asid;
}

static void from_result(const struct mmu_rv_result *r, bool ok, struct sim_walk *w)
{
	*w = (struct sim_walk){
		.ok = ok,
		.page_fault = !ok && !r->access_fault,
		.bus_error = !ok && r->access_fault,
		.hw_code = ok ? 0 : r->cause,
		.pa = r->pa,
		.page_base_va = r->page_base_va,
		.page_size = r->page_size,
		.readable = r->readable,
		.writable = r->writable,
		.executable = r->executable,
		.sup_executable = r->executable,
		.user = r->user,
		.global = r->global,
		.dirty = r->dirty,
	};
}

bool sim_mmu_probe(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t va,
                   struct sim_walk *w)
{
	/* A supervisor load with SUM and MXR: allowed on every valid leaf. */
	struct mmu_rv_regs r = m->regs;
	r.sum = true;
	r.mxr = true;
	r.hw_ad = true;
	struct mmu_rv_result res;
	bool ok = mmu_rv_translate(&r, phys, ctx, va, 0, 0, &res);
	from_result(&res, ok, w);
	return ok;
}

bool sim_mmu_translate(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t va,
                       unsigned flags, bool set_ad, struct sim_walk *w)
{
	struct mmu_rv_result r;
	bool ok = mmu_rv_translate(&m->regs, phys, ctx, va, acc_of(flags),
	                           set_ad ? MMU_RV_WALK_SET_AD : 0, &r);
	from_result(&r, ok, w);
	if (!ok && w->page_fault) {
		struct sim_walk leaf;
		w->fault = (sim_mmu_probe(m, phys, ctx, va, &leaf) ? SIM_PF_P : 0u) |
		           ((flags & SIM_WRITE) ? SIM_PF_WR : 0u) |
		           ((flags & SIM_USER) ? SIM_PF_US : 0u) |
		           ((flags & SIM_FETCH) ? SIM_PF_ID : 0u);
	}
	return ok;
}

bool sim_mmu_allows(const struct sim_mmu *m, const struct sim_walk *w, unsigned flags)
{
	return mmu_rv_rights_allow(&m->regs, w->readable, w->writable, w->executable, w->user,
	                           acc_of(flags));
}

bool sim_mmu_hit_faults(unsigned flags, uint32_t *hw_code)
{
	/* Modelled as x86 does it: the fault drops the entry and the access
	 * walks again (stricter than the Privileged spec requires). */
	(void)flags;
	(void)hw_code;
	return false;
}

uint32_t sim_mmu_asids(void)
{
	return 65536; /* satp.ASID: ASIDLEN at most 16 for Sv39 and Sv48 */
}

const char *sim_mmu_code_name(void)
{
	return "scause";
}

bool sim_mmu_caches_invalid(void)
{
	return true; /* an implementation may, until sfence.vma (Privileged spec, SFENCE.VMA) */
}

void sim_mmu_set_kernel_root(struct sim_mmu *m, uint64_t root)
{
	(void)m; /* the kernel half is shared through root entries 256-511 */
	(void)root;
}

bool sim_mmu_requires_bbm(void)
{
	return false; /* a PTE may change in place; sfence.vma then (Privileged spec) */
}
