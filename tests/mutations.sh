#!/usr/bin/env bash
# Deliberate bugs, and the named Check test each must make fail (issue 10
# section 2; docs/TESTING.md). Each mutation is a literal replacement in a
# copy of the tree (never in the tree itself), built and tested there.
#
# usage: tests/mutations.sh [ISA]      (default x86_64; takes a few minutes)
#        tests/mutations.sh i386-recursive   (the recursive mapping's own, in a
#                                             -Dtables=recursive build of i386)
# Exit status: 0 if every mutation is caught by its test, 1 otherwise.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
isa=${1:-x86_64}
tables=direct
if [[ $isa == i386-recursive ]]; then
  isa=i386 tables=recursive
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$src" ls-files -z | (cd "$src" && xargs -0 cp --parents -t "$work")
meson setup "$work/build" "$work" -Dtables=$tables >/dev/null

# name ~ file ~ exact text (\n: a newline) ~ replacement ~ suite ~ test that must fail
mutations=(
"protect ignores COW~mm-core/src/space.c~mmi_leaf_set_prot(s->sys, &t[arch_pte_index(va, 0)], prot);~t[arch_pte_index(va, 0)] = arch_pte_with_prot(t[arch_pte_index(va, 0)], prot);~cow~protect_writable_keeps_cow"
"read-only keeps COW~mm-core/src/internal.h~bool cow = (prot & MM_PROT_WRITE) && shared_frame;~bool cow = ((prot & MM_PROT_WRITE) && shared_frame) || arch_pte_is_cow(e);~cow~eager_clone_of_readonly_page_stays_readonly"
"region cancel keeps frames~mm-core/src/region.c~	for (; added > 0; added--)~	for (; added > 99; added--)~regions~sweep_every_region_operation"
"gap summary ignores subtrees~mm-core/src/region.c~		if (c[i]->max_gap > gap)~		if (0)~regions~random_operations_against_brute_force"
"stack summary ignores subtrees~mm-core/src/region.c~		if (c[i]->stack_lo < st)~		if (0)~regions~random_operations_against_brute_force"
"merge forgets the removed end~mm-core/src/vm.c~			n->r.end = end;\n			mmi_region_changed(s, n);~			mmi_region_changed(s, n);~cow~region_counts_follow_splits_and_merges"
"software COW break without invlpg~mm-core/src/vm.c~	invalidate(s, va);\n	return MM_FAULT_RESOLVED;~	(void)va;\n	return MM_FAULT_RESOLVED;~cow~software_cow_break_invalidates_the_old_translation"
"kernel unmap without TLB work~mm-core/src/space.c~.needed = sys->active != NULL, .each = true~.needed = false, .each = true~cow~kernel_unmap_seen_at_once_by_the_active_space"
"shared pages not marked shared~mm-core/src/vm.c~arch_pte_with_shared(arch_pte_leaf(f, prot | MM_PROT_READ), true);~arch_pte_leaf(f, prot | MM_PROT_READ);~cow~clone_at_shared_private_boundary"
"demand-zero frames not zeroed~mm-core/src/space.c~err = mm_sys_frame_alloc(sys, MM_FRAME_USER, true, &pa);~err = mm_sys_frame_alloc(sys, MM_FRAME_USER, false, &pa);~cow~demand_zero_frames_are_zero"
"munmap keeps a reference~mm-core/src/vm.c~			mmi_tlb_add(b, va);\n			mmi_put_if_managed(sys, pa);~			mmi_tlb_add(b, va);\n			(void)pa;~cow~munmap_part_of_shared_mapping_drops_each_reference_once"
"exec copies past p_filesz~mm-core/src/vm.c~		mm_vaddr_t hi = r->file_va + r->file_len;~		mm_vaddr_t hi = va + PAGE;~exec~exec_zero_fills_after_the_file_bytes"
"mremap move without invlpg~mm-core/src/vm.c~		arch_pte_store(e, 0);\n		mmi_tlb_add(b, from + off);~		arch_pte_store(e, 0);\n		(void)b;~mmap~mremap_shrink_grow_move"
"mremap leaves empty tables~mm-core/src/vm.c~	prune_tables(s, to, to + old_len); /* tables left empty by holes */~~mmap~mremap_shrink_grow_move"
"kernel unmap by a flush (globals survive)~mm-core/src/space.c~.needed = sys->active != NULL, .each = true~.needed = sys->active != NULL, .each = false~cow~global_kernel_pages_survive_switches_until_unmapped"
"page tables from the high zone~mm-core/src/frame.c~return kind == MM_FRAME_USER && high->nfree ? high~return (kind || 1) && high->nfree ? high~frames~user_frames_come_from_high_memory_first_and_the_rest_never"
"user frames from the low zone first~mm-core/src/frame.c~return kind == MM_FRAME_USER && high->nfree ? high~return kind == MM_FRAME_FREE && high->nfree ? high~frames~user_frames_come_from_high_memory_first_and_the_rest_never"
"madvise drops shared pages~mm-core/src/vm.c~		if (r->backing != MM_BACKING_SHARED)\n			unmap_present(s, at, stop, &b);~		unmap_present(s, at, stop, &b);~mmap~madvise_dontneed"
)
# Address-space identifiers: on every ISA whose simulator has them (not i386
# nor i386-pae).
if [[ $isa != i386* ]]; then
  mutations+=(
"destroy reuses an ASID unflushed~mm-core/src/space.c~	sys->ops->flush_all(sys->mach, asid);\n	uint8_t *map~	uint8_t *map~tlb~destroy_flushes_then_reuses"
"an inactive space's change not invalidated by its ASID~mm-core/include/mm/mm.h~return mm_space_is_active(space) || space->asid != 0;~return mm_space_is_active(space);~tlb~inactive_space_change_is_invalidated"
  )
fi
# The aarch64 port's own.
if [[ $isa == aarch64 ]]; then
  mutations+=(
"aarch64: COW break without break-before-make~mm-core/src/vm.c~	if (arch_pte_needs_bbm(*e, new_e)) {~	if (0) {~tlb~cow_break_breaks_before_make"
"aarch64: leaves made without the Access flag~arch/aarch64/include/arch/pte.h~AARCH64_PTE_SH_INNER | AARCH64_PTE_AF,~AARCH64_PTE_SH_INNER,~pte~mmu_agrees_with_format"
  )
fi
# The i386-pae port's own: the PDPTE registers (SDM Vol. 3A §4.4.1).
if [[ $isa == i386-pae ]]; then
  mutations+=(
"pae: no CR3 write after a root-entry change~mm-core/src/space.c~	if (!arch_root_entries_cached() || sys->ops->read_root(sys->mach) != root)~	if (1)~space~root_entry_changes_reach_the_mmu"
"pae: PDPTEs written with R/W (reserved)~arch/x86/include/x86_pte64.h~		return pa | X86_PTE_P;~		return pa | X86_PTE_P | X86_PTE_RW;~space~seed_same_va_different_frames"
  )
fi
# The riscv64 port's own (tests/mutations.sh riscv64, or riscv64-sv48).
if [[ $isa == riscv64* ]]; then
  mutations+=(
"riscv: no sfence.vma after a map~arch/riscv/include/riscv_pte.h~static inline bool arch_tlb_caches_invalid(void)\n{\n	return true;~static inline bool arch_tlb_caches_invalid(void)\n{\n	return false;~cow~new_mappings_are_not_hidden_by_a_cached_invalid_entry"
"riscv: U set on a user table entry~arch/riscv/include/riscv_pte.h~	(void)user;\n	return riscv_ppn_bits(pa) | RISCV_PTE_V;~	return riscv_ppn_bits(pa) | RISCV_PTE_V | (user ? RISCV_PTE_U : 0);~space~seed_same_va_different_frames"
  )
fi
# The recursive mapping's own (docs/ARCHITECTURE.md, "Direct map or
# recursive mapping"): only these, in that build.
if [[ $tables == recursive ]]; then
  mutations=(
"recursive: a freed table's window not invalidated~mm-core/src/space.c~	sys->ops->invalidate_page(sys->mach, sys->active->asid,\n	                          arch_recursive_table_va(slot, va, level));~	(void)slot;~recursive~freed_table_window_invalidation_is_checked"
"recursive: an alternate entry replaced without a flush~mm-core/src/space.c~	if (was || arch_tlb_caches_invalid())~	if (0 && was)~recursive~inactive_spaces_use_the_alternate_entries"
"recursive: alternate entries kept across a switch~mm-core/src/space.c~	alt_clear_all(s->sys);~~recursive~inactive_spaces_use_the_alternate_entries"
"recursive: the self entry user-accessible~arch/i386/include/arch/pte.h~	return (arch_pte_t)root_pa | I386_PTE_P | I386_PTE_RW | I386_PTE_A | I386_PTE_D;~	return (arch_pte_t)root_pa | I386_PTE_P | I386_PTE_RW | I386_PTE_US | I386_PTE_A | I386_PTE_D;~recursive~every_root_maps_itself_supervisor_only"
"recursive: the window of the wrong level~arch/i386/include/arch/pte.h~	if (level == 0)\n		return~	if (level != 0)\n		return~space~conservation_random_sequences"
  )
fi

caught=0 missed=0
for m in "${mutations[@]}"; do
  IFS='~' read -r name file old new suite test <<<"$m"
  cp "$work/$file" "$work/$file.orig"
  if ! python3 - "$work/$file" "$old" "$new" <<'EOF'
import sys
path, old, new = sys.argv[1], sys.argv[2].replace('\\n', '\n'), sys.argv[3].replace('\\n', '\n')
s = open(path).read()
if old not in s:
    sys.exit(1)
open(path, 'w').write(s.replace(old, new, 1))
EOF
  then
    echo "not ok - $name: the text to mutate is gone from $file (update this script)"
    missed=$((missed + 1)); continue
  fi
  if ! ninja -C "$work/build" "tests/test-$suite-$isa" >/dev/null 2>&1; then
    echo "not ok - $name: does not build"
    missed=$((missed + 1))
  elif out=$(CK_FORK=yes "$work/build/tests/test-$suite-$isa" 2>&1); [ $? -ne 0 ] &&
       grep -q ":$test:" <<<"$out"; then
    echo "ok - $name: caught by $suite/$test"
    caught=$((caught + 1))
  else
    echo "not ok - $name: $suite/$test did not fail"
    missed=$((missed + 1))
  fi
  mv "$work/$file.orig" "$work/$file"
done
echo "# $caught caught, $missed missed ($isa)"
[ "$missed" -eq 0 ]
