/* x86_64 user entry: the kernel passes main's argument in RDI. */
	.section .text.start, "ax"
	.global _start
_start:
	call main
	mov %eax, %edi
	mov $4, %eax		/* SYS_exit */
	int $0x80
1:	jmp 1b
	.section .note.GNU-stack, "", @progbits
