/* riscv64 user entry: the kernel passes main's argument in a0. */
	.section .text.start, "ax"
	.global _start
_start:
	call main
	li a7, 4		/* SYS_exit, status in a0 */
	ecall
1:	j 1b
