/*
 * The simulator's one view of an MMU model. Each ISA implements these
 * functions in arch/<isa>/sim/ over its own model, written from its own
 * manual (x86: arch/x86/sim/mmu_x86.c from the Intel SDM); the ISA's
 * struct sim_mmu comes from <sim_mmu.h> on its include path. sim.c names
 * no ISA: it sees walks, rights and fault reports in the terms below.
 */
#ifndef SIM_MMU_H
#define SIM_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include <sim_mmu.h> /* struct sim_mmu: the ISA's translation registers */

/**
 * struct sim_walk - one translation by the model.
 * @ok:         translated; else a fault, described by the fields below.
 * @page_fault: !ok: a page fault (the kernel's handler runs); else another
 *              exception (x86: #GP for a non-canonical address) or a bus
 *              error (@bus_error: an entry address had no RAM behind it).
 * @fault:      !ok: the neutral report, SIM_PF_* bits of <sim/sim.h>
 *              (protection violation vs not present, write, user, reserved
 *              bit, instruction fetch).
 * @hw_code:    !ok: the ISA's own report (x86: the #PF error code; RISC-V:
 *              scause), as sim_mmu_code_name() calls it.
 * @pa:         physical address of the byte.
 * @page_base_va, @page_size: the page that translated (4 KiB or larger).
 * @readable, @writable, @executable, @user, @global: the rights of the
 *              whole walk, for the TLB; @global: survives root switches.
 * @sup_executable: a supervisor fetch may execute the page, where the ISA
 *              decides it apart from @executable (aarch64: PXN at EL1,
 *              UXN at EL0, @executable being EL0's); ISAs whose one
 *              execute right serves both levels copy @executable here.
 * @dirty:      the leaf is (now) dirty: a write may use a TLB entry.
 */
struct sim_walk {
	bool ok, page_fault, bus_error;
	uint32_t fault;
	uint32_t hw_code;
	uint64_t pa;
	uint64_t page_base_va, page_size;
	bool readable, writable, executable, sup_executable, user, global, dirty;
};

/** sim_mmu_phys_fn - a host pointer to the entry at physical @pa, or NULL. */
typedef void *(*sim_mmu_phys_fn)(void *ctx, uint64_t pa);

/** sim_mmu_reset() - the model's state at power-on for this ISA: paging
 * on, every protection feature the kernels enable enabled, root 0. */
void sim_mmu_reset(struct sim_mmu *m);

/**
 * sim_mmu_set_root() - the root table (physical address) and address-space
 * identifier the model walks from now on: a write of the root register.
 * A model whose MMU keeps root entries in registers of its own loads them
 * now, through @phys (x86 PAE: the four PDPTEs, SDM Vol. 3A §4.4.1).
 * Touches no TLB. Return: false if the write faults (x86 PAE: a present
 * PDPTE with a reserved bit, #GP); the model is then unchanged.
 */
bool sim_mmu_set_root(struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t root,
                      uint32_t asid);

/**
 * sim_mmu_root_stale() - do the model's own copies of root entries (x86
 * PAE: the PDPTE registers) differ from the root table in memory? Then a
 * root entry changed and the root register was not written again: the
 * MMU walks from the old entries. False for a model that keeps no copies.
 */
bool sim_mmu_root_stale(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx);

/**
 * sim_mmu_set_kernel_root() - the root of the kernel half, for an ISA
 * that walks it from a second root register (aarch64: TTBR1_EL1, the
 * upper half of the address space) rather than from entries of every
 * user root. ISAs whose kernel half is shared through root entries (x86,
 * RISC-V) ignore it. Touches no TLB.
 */
void sim_mmu_set_kernel_root(struct sim_mmu *m, uint64_t root);

/**
 * sim_mmu_requires_bbm() - does this ISA require break-before-make: that
 * a valid leaf never change its output address or page size in place
 * while a TLB may hold it, but go invalid, be invalidated from the TLB,
 * and only then be written anew (Arm ARM, "Translation table entry
 * updates: break-before-make")? If so the simulator checks it on every
 * invalidation and every checked TLB hit.
 */
bool sim_mmu_requires_bbm(void);

/**
 * sim_mmu_asids() - how many address-space identifiers the ISA's TLB tags
 * entries with (identifiers 0 .. n - 1), 0 if it has none: x86_64 4096
 * PCIDs (SDM Vol. 3A §4.10.1), RISC-V 65536 (satp.ASID, at most 16 bits),
 * aarch64 65536 (16-bit ASIDs); i386 none (PCIDs need IA-32e mode).
 */
uint32_t sim_mmu_asids(void);

/**
 * sim_mmu_hit_faults() - when a TLB entry denies an access of kind @flags,
 * does the entry raise the fault itself and stay cached (aarch64: the TLB
 * may hold an entry that gives a Permission fault, so a handler that finds
 * the tables allow the access must invalidate it), rather than the fault
 * dropping it for a fresh walk (x86: a page fault invalidates the entries
 * for its address, SDM Vol. 3A §4.10.4.1; the RISC-V model does the same)?
 * If so *@hw_code is the ISA's code of that fault.
 */
bool sim_mmu_hit_faults(unsigned flags, uint32_t *hw_code);

/** sim_mmu_root() - the root the model walks. */
uint64_t sim_mmu_root(const struct sim_mmu *m);

/** sim_mmu_asid() - the address-space identifier of the current root. */
uint32_t sim_mmu_asid(const struct sim_mmu *m);

/**
 * sim_mmu_translate() - translate @va for an access of kind @flags
 * (SIM_WRITE, SIM_USER, SIM_FETCH). With @set_ad, set the accessed and
 * dirty bits as the hardware would, only when the translation succeeds.
 * Return: w->ok.
 */
bool sim_mmu_translate(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t va,
                       unsigned flags, bool set_ad, struct sim_walk *w);

/**
 * sim_mmu_probe() - translate @va whatever the rights (for the stale-TLB
 * checker and for judges): succeeds if a valid leaf maps it, and reports
 * its rights. Never writes an entry. Return: w->ok.
 */
bool sim_mmu_probe(const struct sim_mmu *m, sim_mmu_phys_fn phys, void *ctx, uint64_t va,
                   struct sim_walk *w);

/**
 * sim_mmu_allows() - do the rights in @w allow an access of kind @flags,
 * under the model's current control state? The same rule the walk
 * applies, for TLB hits.
 */
bool sim_mmu_allows(const struct sim_mmu *m, const struct sim_walk *w, unsigned flags);

/** sim_mmu_code_name() - what the ISA calls @hw_code ("error code"). */
const char *sim_mmu_code_name(void);

/**
 * sim_mmu_caches_invalid() - may this ISA's TLB cache the result of a walk
 * that found no valid entry (RISC-V: yes, until sfence.vma; x86: never,
 * SDM Vol. 3A §4.10.2.3)? If so the simulator caches it, so that a
 * missing invalidation after a map shows up.
 */
bool sim_mmu_caches_invalid(void);

#endif
