/*
 * kernel/kernel.h - the mmkit kernels' common services: console, TAP test
 * output, panic, QEMU exit, and memory set-up around mm-core.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <kernel/arch.h>
#include <mm/mm.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRINTF(a, b) __attribute__((format(printf, a, b)))

/* console.c: formatted output on the arch's serial line (arch_console_putc()). */
void console_putc(char c);
void kvprintf(const char *fmt, va_list ap);
void kprintf(const char *fmt, ...) PRINTF(1, 2);

/** panic() - print "PANIC: ..." and exit QEMU with the failure code. */
__attribute__((noreturn)) PRINTF(1, 2) void panic(const char *fmt, ...);

/* TAP on the serial line (Test Anything Protocol 13). */
void tap_ok(bool ok, const char *fmt, ...) PRINTF(2, 3);
__attribute__((noreturn)) void tap_done(void);

/* lib.c: what the compiler may call in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* mem.c: physical memory and mm-core. */

/** struct mem_info - what mem_init() found. */
struct mem_info {
	const char *source;    /* where RAM was described: "Multiboot map", "devicetree" */
	uint64_t ram_bytes;    /* RAM the firmware described, in bytes */
	uint64_t managed;      /* frames handed to mm-core */
	unsigned nranges;      /* ranges handed to mm-core */
	uint64_t meta_bytes;   /* frame metadata, carved from RAM */
	uint64_t direct_pages; /* pages of the direct map mm-core built */
	uint64_t large_pages;  /* large pages in it and the image mapping */
	unsigned large_level;  /* the largest level a large page may sit at */
	uint64_t high_frames;  /* frames of high memory (above the direct map) */
	char cmdline[128];     /* the command line, or "" */
};

/**
 * mem_init() - hand the RAM of @bi (less what it reserves, the kernel image
 * and the frame metadata) to mm-core, let mm-core build the direct map and
 * the image mapping, map the arch's devices (arch_map_devices()), and
 * switch to mm-core's kernel space.
 */
void mem_init(const struct boot_info *bi, struct mem_info *info);

/** kmm_global_pages() - are kernel mappings global (CPUID PGE, CR4.PGE on)? */
bool kmm_global_pages(void);

/** kmm() - the system's mm-core state. */
struct mm_sys *kmm(void);

/** phys_to_virt() - the direct-map address of physical @pa. */
void *phys_to_virt(mm_paddr_t pa);

/**
 * kmap_frame() - a kernel address for the 4 KiB frame at physical @pa: its
 * direct-map address, or for high memory (above the direct map: i386,
 * i386 PAE) one of two temporary mappings, which kunmap_frame() ends.
 * At most two at once, ended in reverse order (it panics otherwise); no
 * TLB work for a direct-mapped frame, an invlpg of the slot otherwise.
 * mm-core's map_frame hook.
 */
void *kmap_frame(mm_paddr_t pa);

/** kunmap_frame() - end kmap_frame(@pa)'s mapping at @p. */
void kunmap_frame(mm_paddr_t pa, void *p);

#endif
