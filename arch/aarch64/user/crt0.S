/* aarch64 user entry: the kernel passes main's argument in x0. */
	.section .text.start, "ax"
	.global _start
_start:
	mov x29, xzr		/* the outermost frame record */
	mov x30, xzr
	bl main
	mov x8, #4		/* SYS_exit, status in x0 */
	svc #0
1:	b 1b
