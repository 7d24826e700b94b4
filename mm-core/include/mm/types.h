/*
 * mm/types.h - arch-neutral types, protections and error codes of mmkit.
 *
 * Everything here is the same on every ISA. Nothing here knows a shift, a
 * mask or a bit of any page-table format: those live in arch/<isa>/.
 */
#ifndef MM_TYPES_H
#define MM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * MM_TABLES_RECURSIVE - 1 in a build where mm-core reaches page tables
 * through the recursive mapping (meson -Dtables=recursive, or a kernel
 * built with -DMM_TABLES_RECURSIVE=1; i386 only), 0 where it reaches them
 * through the direct map (mm_mach_ops.phys_to_virt). docs/ARCHITECTURE.md,
 * "Direct map or recursive mapping".
 */
#ifndef MM_TABLES_RECURSIVE
#define MM_TABLES_RECURSIVE 0
#endif

/*
 * Addresses. Always 64 bits wide, on every ISA, so that a caller (mmsim, a
 * fuzzer) can pass an address the ISA cannot hold and get -MM_EINVAL rather
 * than a silent truncation.
 */
typedef uint64_t mm_vaddr_t; /* a virtual (linear) address, in bytes */
typedef uint64_t mm_paddr_t; /* a physical address, in bytes */

/*
 * Arch-neutral protections of a 4 KiB page. Each ISA translates them to and
 * from its hardware bits in exactly one place (arch_pte_leaf() and
 * arch_pte_prot() in <arch/pte.h>). A present mapping is always readable:
 * MM_PROT_READ is required by every map operation.
 */
enum {
	MM_PROT_READ = 1u << 0,
	MM_PROT_WRITE = 1u << 1,
	MM_PROT_EXEC = 1u << 2,
	MM_PROT_USER = 1u << 3, /* accessible from user mode (ring 3) */
	MM_PROT_ALL = (1u << 4) - 1,
	/* Kernel-half mappings only (mm_kernel_map()): a global page, whose TLB
	 * entries survive address-space switches (x86: the G bit, with
	 * CR4.PGE). Never part of a user protection. */
	MM_PROT_GLOBAL = 1u << 4,
	/* mm_kernel_map() and mm_map_phys() only: map with the largest pages
	 * (2 MiB, 4 MiB, 1 GiB: ARCH_LARGE_MAX_LEVEL) that the alignment of
	 * the virtual and physical addresses, the range and
	 * mm_sys_set_large_pages() allow, 4 KiB pages elsewhere. Not stored:
	 * never part of a page's protection. */
	MM_PROT_LARGE = 1u << 5,
};

/*
 * Error codes. Functions return 0 or a negative code (-MM_EINVAL, ...). The
 * values equal Linux's errno numbers so that a kernel can hand them to user
 * space unchanged; mm-core does not include <errno.h> because it is built
 * freestanding for the kernels.
 */
enum {
	MM_EPERM = 1,      /* operation not allowed on this object */
	MM_ENOENT = 2,     /* nothing is mapped there */
	MM_ENOMEM = 12,    /* out of frames or address space */
	MM_EACCES = 13,    /* refused by policy: writable and executable (mm_sys_set_wx()) */
	MM_EFAULT = 14,    /* user range reaches into the kernel half */
	MM_EBUSY = 16,     /* the object is in use (e.g. the active space) */
	MM_EEXIST = 17,    /* something is already mapped there */
	MM_EINVAL = 22,    /* unaligned, non-canonical, empty or bad argument */
	MM_EOVERFLOW = 75, /* a reference count would overflow */
	MM_ENOTSUP = 95,   /* not supported by this ISA or build */
};

/**
 * mm_strerror() - name of an mmkit error code.
 * @err: an error code, negative (as returned) or positive.
 *
 * Return: a static string such as "EEXIST: already mapped"; "unknown error"
 * for a code mmkit never returns. Never NULL.
 */
const char *mm_strerror(int err);

#endif /* MM_TYPES_H */
