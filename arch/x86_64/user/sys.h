/* x86_64 system call: int 0x80, number in RAX, arguments in RDI, RSI, RDX. */
#ifndef ARCH_X86_64_USER_SYS_H
#define ARCH_X86_64_USER_SYS_H
static inline long syscall3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "memory");
	return r;
}
/* Did a child (wait() status @st) die of a page fault the kernel could not resolve? */
#define USER_KILLED_BY_PF(st) ((st) == 0x100 + 14) /* vector 14, #PF */
#endif
