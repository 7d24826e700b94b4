/*
 * x86 instructions a hostile user program (kernel/user/uhostile.c) uses
 * against the kernel, for both i386 and x86_64: each is inline assembly
 * the C code cannot express. Source: Intel SDM Vol. 2 (instruction
 * reference), Vol. 3A §6.15 (exceptions), §4.7 (page-fault error code).
 */
#ifndef ARCH_X86_USER_ATTACK_H
#define ARCH_X86_USER_ATTACK_H

#include "sys.h"

/* A page-table entry, as i386 and x86_64 (4 KiB leaf) both read it: present,
 * writable, user (bits 0-2), frame 0x100000 (the kernels' image). Planted in
 * memory that the kernel must zero before using it as a page table. */
#define ATTACK_FAKE_PTE 0x100007ul

/**
 * syscall3_df() - a system call (int 0x80) made with EFLAGS.DF set: the
 * kernel must not trust DF (its string instructions would run backwards).
 * DF is cleared again before returning to C, which assumes it clear.
 */
static inline long syscall3_df(long n, long a, long b, long c)
{
	long r;
#if defined(__x86_64__)
	__asm__ volatile("std\n\tint $0x80\n\tcld"
	                 : "=a"(r)
	                 : "a"(n), "D"(a), "S"(b), "d"(c)
	                 : "memory", "cc");
#else
	__asm__ volatile("std\n\tint $0x80\n\tcld"
	                 : "=a"(r)
	                 : "a"(n), "b"(a), "c"(b), "d"(c)
	                 : "memory", "cc");
#endif
	return r;
}

/** read_df() - read the byte at @p with EFLAGS.DF set (a page fault with DF set). */
static inline unsigned char read_df(const volatile void *p)
{
	unsigned char v;
	__asm__ volatile("std\n\tmovb (%1), %0\n\tcld" : "=q"(v) : "r"(p) : "memory", "cc");
	return v;
}

/** write_df() - write @v to the byte at @p with EFLAGS.DF set. */
static inline void write_df(volatile void *p, unsigned char v)
{
	__asm__ volatile("std\n\tmovb %1, (%0)\n\tcld" : : "r"(p), "q"(v) : "memory", "cc");
}

#endif
