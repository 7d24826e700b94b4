/* aarch64 system call: svc #0, number in x8, arguments in x0, x1, x2, result in x0. */
#ifndef ARCH_AARCH64_USER_SYS_H
#define ARCH_AARCH64_USER_SYS_H
static inline long syscall3(long n, long a, long b, long c)
{
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x8 __asm__("x8") = n;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
	return x0;
}
/* Did a child (wait() status @st) die of a page fault the kernel could not
 * resolve? ESR_EL1.EC 0x20 (instruction abort) or 0x24 (data abort). */
#define USER_KILLED_BY_PF(st) ((st) == 0x100 + 0x20 || (st) == 0x100 + 0x24)
#endif
