/*
 * kmain: the kernels' C entry, shared by i386 and x86_64. Sets up memory
 * through mm-core, then runs the in-kernel tests, printed as TAP on the
 * serial line, and leaves QEMU with the verdict.
 */
#include <kernel/kernel.h>

#include <arch/layout.h>
#include <arch/pte.h>

#include "x86.h"

#define UVA UINT64_C(0x08048000)
#define URW (MM_PROT_READ | MM_PROT_WRITE | MM_PROT_USER)

static struct mm_space spaces[64];

static void test_memory(const struct mem_info *mi)
{
	struct mm_sys *sys = kmm();
	tap_ok(mi->managed > 0 && mi->managed * ARCH_PAGE_SIZE <= mi->ram_bytes,
	       "memory: %llu MiB of RAM in the Multiboot map, %llu frames managed in %u ranges",
	       (unsigned long long)(mi->ram_bytes >> 20), (unsigned long long)mi->managed,
	       mi->nranges);
	tap_ok(sizeof(struct mm_frame) == 8 && mi->meta_bytes >= 8 * mi->managed &&
		       mi->meta_bytes < 8 * mi->managed + mi->meta_bytes / 256 + 8,
	       "frame metadata: %llu KiB, 8 bytes per frame",
	       (unsigned long long)(mi->meta_bytes >> 10));
	tap_ok((read_cr3() & ~(uintptr_t)0xFFF) == sys->kernel.root,
	       "CR3 holds mm-core's kernel root (0x%llx); direct map of %llu pages built by mm-core",
	       (unsigned long long)sys->kernel.root, (unsigned long long)mi->direct_pages);
}

/* Seed test 1, on the real MMU: same VA, two spaces, two frames. */
static void test_same_va(void)
{
	struct mm_sys *sys = kmm();
	struct mm_space *a = &spaces[0], *b = &spaces[1];
	int err = mm_space_create(sys, a);
	err = err ? err : mm_space_create(sys, b);
	err = err ? err : mm_map(a, UVA, 1, URW);
	err = err ? err : mm_map(b, UVA, 1, URW);
	if (err) {
		tap_ok(false, "two spaces: %s", mm_strerror(err));
		return;
	}
	volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)UVA;
	mm_space_activate(a);
	*p = 0xAAAA; /* the kernel writes a user page: no SMAP */
	mm_space_activate(b);
	*p = 0xBBBB;
	mm_space_activate(a);
	uint32_t ra = *p;
	mm_space_activate(b);
	uint32_t rb = *p;
	mm_space_activate(mm_sys_kernel_space(sys));
	struct mm_mapping ma, mb;
	mm_query(a, UVA, &ma);
	mm_query(b, UVA, &mb);
	tap_ok(ra == 0xAAAA && rb == 0xBBBB && ma.pa != mb.pa,
	       "same VA in two spaces through CR3: reads 0x%x and 0x%x from frames 0x%llx and 0x%llx",
	       ra, rb, (unsigned long long)ma.pa, (unsigned long long)mb.pa);
	tap_ok(ma.dirty && mb.dirty, "the MMU set the Dirty bit in both PTEs");
	mm_space_destroy(a);
	mm_space_destroy(b);
}

/* The kernel half is identical in every live space, after a late mapping. */
static void test_kernel_half(void)
{
	struct mm_sys *sys = kmm();
	enum { N = 32 };
	int err = 0;
	for (int i = 0; i < N && !err; i++)
		err = mm_space_create(sys, &spaces[i]);
	mm_paddr_t f;
	err = err ? err : mm_sys_frame_alloc(sys, MM_FRAME_KERNEL, true, &f);
	const mm_vaddr_t late = ARCH_DIRECT_MAP_BASE + ARCH_DIRECT_MAP_MAX + 16 * ARCH_PAGE_SIZE;
	err = err ? err : mm_kernel_map(sys, late, f, 1, MM_PROT_READ | MM_PROT_WRITE);
	if (err) {
		tap_ok(false, "kernel half: %s", mm_strerror(err));
		return;
	}
	const size_t off = ARCH_KERNEL_FIRST_SLOT * sizeof(arch_pte_t);
	const uint8_t *k = phys_to_virt(sys->kernel.root);
	bool same = true, seen = true;
	for (int i = 0; i < N; i++) {
		same &= memcmp((const uint8_t *)phys_to_virt(spaces[i].root) + off, k + off,
			       ARCH_PAGE_SIZE - off) == 0;
		mm_space_activate(&spaces[i]);
		*(volatile uint32_t *)(uintptr_t)late = (uint32_t)i;
		seen &= *(volatile uint32_t *)phys_to_virt(f) == (uint32_t)i;
	}
	mm_space_activate(mm_sys_kernel_space(sys));
	tap_ok(same && seen,
	       "kernel half identical in %d spaces after a late kernel mapping, and live in each",
	       N);
	mm_kernel_unmap(sys, late, 1);
	mm_sys_frame_put(sys, f);
	for (int i = 0; i < N; i++)
		mm_space_destroy(&spaces[i]);
}

/* Conservation: 1,000 create/map/clone/destroy cycles. */
static void test_conservation(void)
{
	struct mm_sys *sys = kmm();
	uint32_t before = mm_frames_free_count(&sys->frames);
	int err = 0;
	for (int i = 0; i < 1000 && !err; i++) {
		err = mm_space_create(sys, &spaces[0]);
		err = err ? err : mm_map(&spaces[0], UVA, 1 + i % 7, URW);
		err = err ? err : mm_space_clone(&spaces[0], &spaces[1], MM_CLONE_EAGER);
		if (!err) {
			mm_space_destroy(&spaces[1]);
			mm_space_destroy(&spaces[0]);
		}
	}
	uint32_t after = mm_frames_free_count(&sys->frames);
	tap_ok(!err && after == before,
	       "1000 create/map/clone/destroy cycles: free frames %u before, %u after", before,
	       after);
}

void kmain(uint32_t magic, uint32_t mbi_pa);
void kmain(uint32_t magic, uint32_t mbi_pa)
{
	console_init();
	kprintf("mmkit kernel (%s) booting\n", ARCH_NAME);
	struct mem_info mi;
	mem_init(magic, mbi_pa, &mi);
	test_memory(&mi);
	test_same_va();
	test_kernel_half();
	test_conservation();
	tap_done();
}
