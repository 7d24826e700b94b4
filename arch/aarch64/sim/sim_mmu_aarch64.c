/*
 * The simulator's MMU interface (sim/src/sim_mmu_api.h) over the aarch64
 * model (mmu_aarch64.c).
 *
 * The machine the simulator models: EL1 with PSTATE.PAN = 0 (a kernel
 * inside its user-copy routines, so EL1 loads and stores may touch EL0
 * pages; EL1 fetches from a page writable at EL0 never can, and mm-core
 * sets PXN on every user page besides), SCTLR_EL1.WXN = 0 (mm-core's own
 * W^X policy, mm_sys_set_wx(), is the one the kernels use), TCR_EL1.HA = 0
 * (no FEAT_HAFDBS: an entry with AF clear faults, so a leaf mm-core forgot
 * to mark accessed shows up), a 48-bit physical address size, and 16-bit
 * ASIDs in TTBR0_EL1. The user half is walked from TTBR0_EL1, the kernel
 * half from TTBR1_EL1 (sim_mmu_set_kernel_root()).
 *
 * The neutral walk: @readable and @writable are EL1's data rights, @user
 * "EL0 may load", @executable EL0's execute right and @sup_executable
 * EL1's. The neutral fault report: "protection violation" (SIM_PF_P) when
 * a walk without checks finds a valid leaf (a Permission or Access flag
 * fault), "not valid" otherwise (a Translation or Address size fault);
 * hw_code is ESR_EL1.
 */
#include <sim_mmu_api.h>

#include <sim/sim.h>

static unsigned acc_of(unsigned flags)
{
	return ((flags & SIM_WRITE) ? MMU_A64_ACC_WRITE : 0) |
	       ((flags & SIM_USER) ? MMU_A64_ACC_EL0 : 0) |
	       ((flags & SIM_FETCH) ? MMU_A64_ACC_FETCH : 0);
}

void sim_mmu_reset(struct sim_mmu *m)
{
	m->regs = (struct mmu_a64_regs){
		.pan = false,
		.wxn = false,
		.ha = false,
		.pa_bits = 48,
	};
}

bool sim_mmu_set_root(struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t root,
                      uint32_t asid)
{
	(void)phys; /* TTBR0_EL1 names the root; each walk reads it */
	(void)ctx;
	m->regs.ttbr0 = root;
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

void sim_mmu_set_kernel_root(struct sim_mmu *m, uint64_t root)
{
	m->regs.ttbr1 = root;
}

uint64_t sim_mmu_root(const struct sim_mmu *m)
{
	return m->regs.ttbr0;
}

uint32_t sim_mmu_asid(const struct sim_mmu *m)
{
	return m->regs.asid;
}

static void from_result(const struct mmu_a64_result *r, bool ok, struct sim_walk *w)
{
	*w = (struct sim_walk){
		.ok = ok,
		.page_fault = !ok && !r->external,
		.bus_error = !ok && r->external,
		.hw_code = ok ? 0 : r->esr,
		.pa = r->pa,
		.page_base_va = r->page_base_va,
		.page_size = r->page_size,
		.readable = r->el1_read,
		.writable = r->el1_write,
		.user = r->el0_read,
		.executable = r->el0_exec,
		.sup_executable = r->el1_exec,
		.global = r->global,
		/* No dirty state is modelled (TCR_EL1.HD = 0): a writable page
		 * takes writes without a walk. */
		.dirty = true,
	};
}

/* The model's result as the neutral walk describes it back. */
static struct mmu_a64_result result_of(const struct sim_walk *w)
{
	return (struct mmu_a64_result){
		.ok = true,
		.el1_read = w->readable,
		.el1_write = w->writable,
		.el0_read = w->user,
		.el0_write = w->user && w->writable,
		.el0_exec = w->executable,
		.el1_exec = w->sup_executable,
	};
}

bool sim_mmu_probe(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t va,
                   struct sim_walk *w)
{
	struct mmu_a64_result r;
	bool ok = mmu_a64_translate(&m->regs, phys, ctx, va, 0, MMU_A64_WALK_NO_CHECK, &r);
	from_result(&r, ok, w);
	return ok;
}

bool sim_mmu_translate(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t va,
                       unsigned flags, bool set_ad, struct sim_walk *w)
{
	struct mmu_a64_result r;
	bool ok = mmu_a64_translate(&m->regs, phys, ctx, va, acc_of(flags),
	                            set_ad ? MMU_A64_WALK_SET_AF : 0, &r);
	from_result(&r, ok, w);
	if (!ok && w->page_fault) {
		uint32_t type = r.fsc & ~3u;
		bool present = type == MMU_A64_FSC_PERMISSION || type == MMU_A64_FSC_ACCESS_FLAG;
		w->fault = (present ? SIM_PF_P : 0u) | ((flags & SIM_WRITE) ? SIM_PF_WR : 0u) |
		           ((flags & SIM_USER) ? SIM_PF_US : 0u) |
		           ((flags & SIM_FETCH) ? SIM_PF_ID : 0u);
	}
	return ok;
}

bool sim_mmu_allows(const struct sim_mmu *m, const struct sim_walk *w, unsigned flags)
{
	struct mmu_a64_result r = result_of(w);
	return mmu_a64_rights_allow(&m->regs, &r, acc_of(flags));
}

bool sim_mmu_hit_faults(unsigned flags, uint32_t *hw_code)
{
	/* A cached entry that denies the access gives a Permission fault at
	 * level 3 without a walk, and stays cached (Arm ARM D8, "Translation
	 * Lookaside Buffers": only Translation, Address size and Access flag
	 * faults are never cached). The level reported is 3: the TLB does
	 * not keep the level an entry came from, and mm-core maps only
	 * 4 KiB pages; a block's fault would name its own level. */
	unsigned acc = acc_of(flags);
	uint32_t ec =
	        (acc & MMU_A64_ACC_FETCH)
	                ? ((acc & MMU_A64_ACC_EL0) ? MMU_A64_EC_IABT_LOWER : MMU_A64_EC_IABT_CUR)
	                : ((acc & MMU_A64_ACC_EL0) ? MMU_A64_EC_DABT_LOWER : MMU_A64_EC_DABT_CUR);
	bool wnr = !(acc & MMU_A64_ACC_FETCH) && (acc & MMU_A64_ACC_WRITE);
	*hw_code = ec << 26 | 1u << 25 | (wnr ? 1u << 6 : 0) | (MMU_A64_FSC_PERMISSION | 3u);
	return true;
}

uint32_t sim_mmu_asids(void)
{
	return 65536; /* 16-bit ASIDs (ID_AA64MMFR0_EL1.ASIDBits = 0b0010) */
}

const char *sim_mmu_code_name(void)
{
	return "ESR_EL1";
}

bool sim_mmu_caches_invalid(void)
{
	/* Arm ARM D8, "Translation Lookaside Buffers": a walk that faults with a
	 * Translation, Address size or Access flag fault is never cached. */
	return false;
}

bool sim_mmu_requires_bbm(void)
{
	/* Arm ARM D8 "Using break-before-make when updating translation
	 * table entries": a change of output address or block size of a
	 * valid entry goes invalid, TLBI, then the new entry. */
	return true;
}
