/*
 * i386 trap entry: one stub per vector pushes an error code (0 where the
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
	.long isr_\n
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
	push %esp
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
