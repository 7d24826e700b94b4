/*
 * i386 trap entry: one stub per vector pushes an error code (0 where the
 * CPU pushes none; SDM Vol. 3A §6.13) and the vector, then trap_common
 * saves the registers as a struct trapframe and calls trap(tf).
 * Also swtch(), the kernel context switch.
 *
 * The C code may assume, on entry to trap() (System V i386 ABI): EFLAGS.DF
 * clear (cld: user code may have set it, and neither gate nor CPU clears
 * it; the compiler's rep movs/stos would run backwards); DS, ES, FS and GS
 * the kernel's data segment (user code chose its own); SS:ESP the kernel
 * stack (the CPU loads it from the TSS on entry from ring 3). The gate has
 * already cleared IF, TF, NT, RF and VM (SDM Vol. 3A §6.12.1.3); AC has no
 * effect in ring 0 without SMAP (CR4.SMAP is clear).
 */
#include "vectors.inc"

	.text
trap_common:
	cld
	pusha
	push %ds
	push %es
	push %fs
	push %gs
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	testb $1, x86_smap_on		/* SMAP: no user access unless a copy opens it */
	jz 1f
	clac
1:	push %esp
	call trap
	add $4, %esp
	.global trap_return
trap_return:
	pop %gs
	pop %fs
	pop %es
	pop %ds
	popa
	add $8, %esp
	iret

/* void swtch(uintptr_t *save_sp, uintptr_t new_sp) */
	.global swtch
swtch:
	mov 4(%esp), %eax
	mov 8(%esp), %edx
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, (%eax)
	mov %edx, %esp
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

	.section .note.GNU-stack, "", @progbits
