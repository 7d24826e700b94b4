/* riscv64 system call: ecall, number in a7, arguments in a0, a1, a2, result in a0. */
#ifndef ARCH_RISCV_USER_SYS_H
#define ARCH_RISCV_USER_SYS_H
static inline long syscall3(long n, long a, long b, long c)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a7 __asm__("a7") = n;
	__asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
	return a0;
}
/* Did a child (wait() status @st) die of a page fault the kernel could not resolve? */
#define USER_KILLED_BY_PF(st)                                                                      \
	((st) == 0x100 + 12 || (st) == 0x100 + 13 || (st) == 0x100 + 15) /* scause */
#endif
