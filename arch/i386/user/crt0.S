/* i386 user entry: the kernel passes main's argument in EAX. */
	.section .text.start, "ax"
	.global _start
_start:
	push %eax
	call main
	mov %eax, %ebx
	mov $4, %eax		/* SYS_exit */
	int $0x80
1:	jmp 1b
	.section .note.GNU-stack, "", @progbits
