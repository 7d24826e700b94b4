/*
 * kernel/kernel.h - the mmkit kernels' common services: console, TAP test
 * output, panic, QEMU exit, and memory set-up around mm-core.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <mm/mm.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRINTF(a, b) __attribute__((format(printf, a, b)))

/* console.c: COM1 at 38400 8N1; every byte of output goes there. */
void console_init(void);
void console_putc(char c);
void kvprintf(const char *fmt, va_list ap);
void kprintf(const char *fmt, ...) PRINTF(1, 2);

/**
 * qemu_exit() - leave QEMU through its isa-debug-exit device (port 0xf4):
 * QEMU exits with status 33 on success and 35 on failure, so a hang or a
 * triple fault (reboot, then -no-reboot's exit 0) can never pass.
 */
__attribute__((noreturn)) void qemu_exit(bool success);

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
	uint64_t ram_bytes;    /* type-1 RAM in the Multiboot map, in bytes */
	uint64_t managed;      /* frames handed to mm-core */
	unsigned nranges;      /* ranges handed to mm-core */
	uint64_t meta_bytes;   /* frame metadata, carved from RAM */
	uint64_t direct_pages; /* pages of the direct map mm-core built */
	char cmdline[128];     /* the Multiboot command line, or "" */
};

/**
 * mem_init() - parse the Multiboot memory map at physical @mbi_pa, hand
 * usable RAM (less the low 1 MiB, the kernel image and the frame
 * metadata) to mm-core, let mm-core build the direct map (and on x86_64 the
 * image mapping), and switch CR3 to mm-core's kernel space.
 */
void mem_init(uint32_t magic, uint32_t mbi_pa, struct mem_info *info);

/** kmm_global_pages() - are kernel mappings global (CPUID PGE, CR4.PGE on)? */
bool kmm_global_pages(void);

/** kmm() - the system's mm-core state. */
struct mm_sys *kmm(void);

/** phys_to_virt() - the direct-map address of physical @pa. */
void *phys_to_virt(mm_paddr_t pa);

#endif
