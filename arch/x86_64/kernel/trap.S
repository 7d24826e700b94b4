/*
 * x86_64 trap entry: one stub per vector pushes an error code (0 where the
 * CPU pushes none; SDM Vol. 3A §6.13) and the vector, then trap_common
 * saves the registers as a struct trapframe and calls trap(tf).
 * Also swtch(), the kernel context switch.
 */
#include "vectors.inc"

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
