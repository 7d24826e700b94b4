/*
 * x86_64 trap entry: one stub per vector pushes an error code (0 where the
 * CPU pushes none; SDM Vol. 3A §6.13) and the vector, then trap_common
 * saves the registers as a struct trapframe and calls trap(tf).
 * Also swtch(), the kernel context switch.
 *
 * The C code may assume, on entry to trap() (System V AMD64 ABI):
 * EFLAGS.DF clear (cld: user code may have set it, and neither gate nor
 * CPU clears it; the compiler's rep movs/stos would run backwards); RSP
 * 16-byte aligned at the call (the CPU aligns RSP to 16 before pushing its
 * 5-word frame, SDM Vol. 3A §6.14.2; the stub pushes 2 words and
 * trap_common 15, 22 words in all: RSP is 16-byte aligned at the call).
 * The gate has already cleared IF, TF, NT and RF; AC has no effect in ring
 * 0 without SMAP; DS, ES and SS are not used for addressing in 64-bit mode,
 * and the kernel never uses FS or GS.
 */
#include "vectors.inc"

	.text
trap_common:
	cld
	testb $1, x86_smap_on(%rip)	/* SMAP: no user access unless a copy opens it */
	jz 1f
	clac
1:
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
