/*
 * Compiles the example port (arch/template/include) as mm-core would see
 * it, in CI, and checks its geometry: what every real port's pte.h also
 * asserts. Never linked into anything.
 */
#include <arch/abi.h>
#include <arch/pte.h>

_Static_assert(ARCH_PAGE_SIZE == 4096, "mm-core maps 4 KiB pages");
_Static_assert((uint64_t)ARCH_ENTRIES * sizeof(arch_pte_t) == ARCH_PAGE_SIZE,
               "a table fills one page");
_Static_assert(ARCH_PAGE_SHIFT + (ARCH_LEVELS - 1) * ARCH_INDEX_BITS + ARCH_ROOT_INDEX_BITS ==
                       ARCH_VA_BITS,
               "the levels decode exactly the virtual-address bits");
_Static_assert(ARCH_KERNEL_FIRST_SLOT > 0 && ARCH_KERNEL_FIRST_SLOT < ARCH_ROOT_ENTRIES &&
                       ARCH_ROOT_ENTRIES <= ARCH_ENTRIES,
               "both halves have root slots");
_Static_assert(ARCH_USER_STACK_TOP < ARCH_USER_END && ARCH_ELF_DYN_BASE < ARCH_USER_END,
               "the ABI's addresses are user addresses");

/* Every function of the contract, called once, so that each compiles. */
unsigned template_check(mm_vaddr_t va, mm_paddr_t pa, unsigned prot);
unsigned template_check(mm_vaddr_t va, mm_paddr_t pa, unsigned prot)
{
	arch_pte_t slot = 0;
	arch_pte_t e = arch_pte_leaf(pa, prot);
	e = arch_pte_with_cow(arch_pte_with_shared(e, true), true);
	arch_pte_store(&slot, arch_pte_from_protnone(arch_pte_to_protnone(e), prot));
	return arch_pte_index(arch_va_canonical(va), 0) + arch_level_shift(1) +
	       arch_va_is_canonical(va) + arch_pa_is_valid(pa) + arch_prot_effective(prot) +
	       arch_prot_is_valid(prot) + arch_pte_is_present(slot) + arch_pte_is_leaf(slot, 0) +
	       (unsigned)arch_pte_paddr(arch_pte_table(pa, 1, true)) + arch_pte_prot(slot) +
	       arch_pte_is_cow(slot) + arch_pte_is_shared(slot) + arch_pte_is_protnone(slot) +
	       arch_pte_is_dirty(slot) + arch_pte_is_accessed(slot) + arch_tlb_caches_invalid() +
	       arch_root_entries_cached();
}

#if MM_TABLES_RECURSIVE
/* The recursive mapping's items, where a build asks for them. */
mm_vaddr_t template_check_recursive(mm_vaddr_t va);
mm_vaddr_t template_check_recursive(mm_vaddr_t va)
{
	_Static_assert(ARCH_RECURSIVE_FIRST_SLOT > ARCH_KERNEL_FIRST_SLOT &&
	                       ARCH_RECURSIVE_SLOT < ARCH_ROOT_ENTRIES &&
	                       ARCH_RECURSIVE_ALT_SLOTS >= 2,
	               "the windows are root slots above the kernel half");
	return arch_recursive_table_va(ARCH_RECURSIVE_ALT_FIRST, va, 0) +
	       arch_pte_paddr(arch_recursive_pte(4096));
}
#endif
