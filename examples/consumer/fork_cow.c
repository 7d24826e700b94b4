/*
 * fork_cow: the smallest host program built against an installed mmkit
 * (pkg-config mmkit-sim-x86_64, or any ISA's): a process writes a page,
 * forks copy-on-write, the parent writes again, and the child must still
 * read the value from before the fork; then every frame comes back. It uses
 * only the installed headers (<sim/sim.h>, <mm/mm.h>, <mm/version.h>).
 * Exits 0 when every check holds, 1 otherwise.
 *
 *   cc fork_cow.c $(pkg-config --cflags --libs mmkit-sim-x86_64) -o fork_cow
 */
#include <mm/version.h>
#include <sim/sim.h>

#include <stdio.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fork_cow: failed: %s (line %d)\n", #cond, __LINE__);      \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int main(void)
{
	struct sim_config cfg = sim_config_default();
	struct sim *sim;
	CHECK(sim_create(&cfg, &sim) == 0);
	struct mm_sys *sys = sim_sys(sim);
	const uint32_t free_before = mm_frames_free_count(&sys->frames);

	static struct mm_space parent, child;
	mm_vaddr_t va;
	CHECK(mm_space_create(sys, &parent) == 0);
	CHECK(mm_mmap(&parent, 0, 1, MM_PROT_READ | MM_PROT_WRITE, 0, &va) == 0);
	CHECK(mm_space_activate(&parent) == 0);
	const unsigned user = SIM_USER | SIM_DEMAND; /* user mode; faults go to mm_fault() */
	struct sim_fault f;
	uint32_t v = 111, got = 0;
	CHECK(sim_write(sim, va, &v, sizeof(v), user, &f) == 0);

	CHECK(mm_space_clone(&parent, &child, MM_CLONE_COW) == 0);
	v = 222;
	CHECK(sim_write(sim, va, &v, sizeof(v), user, &f) == 0); /* the COW break */
	CHECK(mm_space_activate(&child) == 0);
	CHECK(sim_read(sim, va, &got, sizeof(got), user, &f) == 0);
	CHECK(got == 111);
	char why[256];
	CHECK(sim_check(sim, why, sizeof(why)) == 0);

	CHECK(mm_space_activate(mm_sys_kernel_space(sys)) == 0);
	CHECK(mm_space_destroy(&child) == 0);
	CHECK(mm_space_destroy(&parent) == 0);
	CHECK(mm_frames_free_count(&sys->frames) == free_before);
	sim_destroy(sim);
	printf("fork_cow: mmkit %s (%s): the child read %u after the parent wrote 222; "
	       "%u frames free before and after\n",
	       MMKIT_VERSION, sim_arch_name(), got, free_before);
	return 0;
}
