/*
 * A small reader of flattened devicetrees (DTB), for kernels whose firmware
 * describes RAM that way (RISC-V: OpenSBI passes the DTB's physical address
 * in a1). It reads what a kernel needs to hand RAM to mm-core: the reg
 * ranges of the memory nodes, and what must stay untouched (the memory
 * reservation block and the children of /reserved-memory).
 *
 * Source: the Devicetree Specification, release v0.4, chapter 5 "Flattened
 * Devicetree (DTB) Format" (header, structure block tokens, strings block,
 * memory reservation block) and §2.3.5 (#address-cells, #size-cells:
 * defaults 2 and 1), §3.4 (/memory: device_type "memory", reg), §3.5
 * (/reserved-memory).
 *
 * The blob is untrusted: every offset, length and string is checked against
 * the size the caller says is readable, and a malformed blob is an error,
 * never a read out of bounds. Freestanding: no allocation, no libc.
 */
#ifndef KERNEL_FDT_H
#define KERNEL_FDT_H

#include <stddef.h>
#include <stdint.h>

/** struct fdt_range - a physical range [base, base + size), in bytes. */
struct fdt_range {
	uint64_t base, size;
};

/* Errors (returned negated). */
enum {
	FDT_EBADMAGIC = 1, /* not a DTB (magic 0xd00dfeed) */
	FDT_EBADHEADER,    /* header fields outside the blob, or version < 16 */
	FDT_EBADSTRUCT,    /* a token, name, property or string out of bounds */
	FDT_ETOOMANY,      /* more ranges than @max */
	FDT_EBADCELLS,     /* #address-cells or #size-cells not 1 or 2 */
};

/**
 * fdt_totalsize() - the blob's size from its header, in bytes, or 0 if
 * @len bytes at @fdt do not start with a DTB header.
 */
size_t fdt_totalsize(const void *fdt, size_t len);

/**
 * fdt_memory() - the RAM the devicetree describes: every (base, size) pair
 * of the reg property of every child of the root whose device_type is
 * "memory" (name "memory" or "memory@..."), in blob order, ranges of size 0
 * left out. @fdt: the blob, @len bytes of it readable (the header's
 * totalsize must fit). @out: room for @max ranges; *@n receives the count.
 * Return: 0; -FDT_E* (nothing useful in @out).
 */
int fdt_memory(const void *fdt, size_t len, struct fdt_range *out, size_t max, size_t *n);

/**
 * fdt_reserved() - what must not be handed out as free RAM: the memory
 * reservation block's entries, then the reg ranges of the children of
 * /reserved-memory (with that node's own #address-cells and #size-cells).
 * The blob itself is not included (the caller knows where it is).
 * Parameters and return: as for fdt_memory().
 */
int fdt_reserved(const void *fdt, size_t len, struct fdt_range *out, size_t max, size_t *n);

/**
 * fdt_bootargs() - the kernel command line: the string value of the
 * bootargs property of /chosen (§3.6), copied to @buf (@size bytes, at
 * least 1), NUL-terminated and cut to fit; "" if there is none.
 * Return: 0; -FDT_E* (then @buf holds ""); -FDT_ETOOMANY if @size is 0.
 */
int fdt_bootargs(const void *fdt, size_t len, char *buf, size_t size);

#endif
