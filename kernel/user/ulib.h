/* The user programs' C library: system call wrappers and printing. */
#ifndef ULIB_H
#define ULIB_H

#include <stddef.h>
#include <stdint.h>

#include "sys.h"

enum {
	SYS_write = 1,
	SYS_getpid,
	SYS_fork,
	SYS_exit,
	SYS_wait,
	SYS_yield,
	SYS_sbrk,
	SYS_kinfo,
	SYS_spawn,
	SYS_mmap,
	SYS_munmap,
	SYS_exec,
	SYS_mprotect
};
enum { EBADF = 9, ECHILD = 10, ENOMEM = 12, EACCES = 13, EFAULT = 14, EINVAL = 22, ENOSYS = 38 };
/* KINFO_PHYS answers a page frame number (PFN), KINFO_HIGHMEM the first
 * PFN of high memory or 0 (kernel/include/kernel/proc.h). */
enum { KINFO_FREE_FRAMES = 1, KINFO_TICKS = 2, KINFO_PHYS = 3, KINFO_THP = 4, KINFO_HIGHMEM = 5 };

static inline long write(int fd, const void *buf, size_t n)
{
	return syscall3(SYS_write, fd, (long)buf, (long)n);
}
static inline long getpid(void)
{
	return syscall3(SYS_getpid, 0, 0, 0);
}
static inline long fork(void)
{
	return syscall3(SYS_fork, 0, 0, 0);
}
__attribute__((noreturn)) static inline void exit(int status)
{
	syscall3(SYS_exit, status, 0, 0);
	for (;;)
		;
}
static inline long wait(int *status)
{
	return syscall3(SYS_wait, (long)status, 0, 0);
}
static inline long yield(void)
{
	return syscall3(SYS_yield, 0, 0, 0);
}
static inline void *sbrk(long incr)
{
	return (void *)syscall3(SYS_sbrk, incr, 0, 0);
}
static inline long spawn(long arg)
{
	return syscall3(SYS_spawn, arg, 0, 0);
}
/* mmap(len, MM_PROT_WRITE (2) | MM_PROT_EXEC (4)): readable anonymous memory. */
static inline void *mmap(unsigned long len, long prot_write_exec)
{
	return (void *)syscall3(SYS_mmap, (long)len, prot_write_exec, 0);
}
static inline long munmap(void *va, unsigned long len)
{
	return syscall3(SYS_munmap, (long)va, (long)len, 0);
}
/* mprotect(va, len, MM_PROT_WRITE | MM_PROT_EXEC): READ is implied. */
static inline long mprotect(void *va, unsigned long len, long prot_write_exec)
{
	return syscall3(SYS_mprotect, (long)va, (long)len, prot_write_exec);
}
static inline long exec(long program)
{
	return syscall3(SYS_exec, program, 0, 0);
}
static inline long kinfo(long what, long arg)
{
	return syscall3(SYS_kinfo, what, arg, 0);
}

static inline size_t ustrlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static inline void puts_(const char *s)
{
	write(1, s, ustrlen(s));
}

static inline void putx(unsigned long v)
{
	char b[2 + 2 * sizeof(v) + 1];
	int n = sizeof(b) - 1;
	b[n] = 0;
	do {
		b[--n] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	b[--n] = 'x';
	b[--n] = '0';
	puts_(b + n);
}

static inline void putd(unsigned long v)
{
	char b[3 * sizeof(v) + 1];
	int n = sizeof(b) - 1;
	b[n] = 0;
	do {
		b[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(b + n);
}

#endif
