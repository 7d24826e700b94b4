/*
 * x86_64 trap entry: one stub per vector pushes an error code (0 where the
 * CPU pushes none; SDM Vol. 3A §6.13) and the vector, then trap_common
 * saves the registers as a struct trapframe and calls trap(tf).
 * Also swtch(), the kernel context switch.
 */
	.macro stub n, has_err
	.text
isr_\n:
	.if \has_err == 0
	push $0
	.endif
	push $\n
	jmp trap_common
	.section .data.isr_table, "aw"
	.quad isr_\n
	.endm

	.section .data.isr_table, "aw"
	.global isr_table
isr_table:
	stub 0,0; stub 1,0; stub 2,0; stub 3,0; stub 4,0; stub 5,0; stub 6,0; stub 7,0
	stub 8,1; stub 9,0; stub 10,1; stub 11,1; stub 12,1; stub 13,1; stub 14,1; stub 15,0
	stub 16,0; stub 17,1; stub 18,0; stub 19,0; stub 20,0; stub 21,1; stub 22,0; stub 23,0
	stub 24,0; stub 25,0; stub 26,0; stub 27,0; stub 28,0; stub 29,1; stub 30,1; stub 31,0
	stub 32,0; stub 33,0; stub 34,0; stub 35,0; stub 36,0; stub 37,0; stub 38,0; stub 39,0
	stub 40,0; stub 41,0; stub 42,0; stub 43,0; stub 44,0; stub 45,0; stub 46,0; stub 47,0
	stub 128,0

	.text
trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	call trap
	.global trap_return
trap_return:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

/* void swtch(uintptr_t *save_sp, uintptr_t new_sp) */
	.global swtch
swtch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.section .note.GNU-stack, "", @progbits
