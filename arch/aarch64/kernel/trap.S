/*
 * aarch64 exception vectors (VBAR_EL1) and swtch().
 *
 * The table has 16 entries of 0x80 bytes (ARM DDI 0487, D1.10.2): from
 * the current EL with SP_EL0 (0-3, never used: the kernel always runs on
 * SP_EL1), from the current EL with SP_EL1 (4-7), from EL0 in AArch64
 * (8-11) and in AArch32 (12-15); each group is synchronous, IRQ, FIQ,
 * SError. An exception to EL1 always selects SP_EL1, so a trap from EL0
 * lands on the top of the current process's kernel stack: trap_return
 * leaves SP_EL1 there when it returns to EL0 (the trap frame is the top
 * of the stack). The CPU has already masked D, A, I and F (PSTATE.DAIF),
 * so the kernel runs with interrupts off, and set PSTATE.PAN where the CPU
 * has it (SCTLR_EL1.SPAN = 0, cpu.c): user access is closed.
 *
 * The trap frame (struct trapframe, cpu.h): x0-x30 at n * 8, then the
 * interrupted SP, ELR_EL1, SPSR_EL1, ESR_EL1, FAR_EL1 and the vector's
 * number. trap(tf) is called with SP 16-byte aligned (AAPCS64).
 */
#define TF_SIZE   (38 * 8)
#define TF_SP     (31 * 8)
#define TF_ELR    (32 * 8)
#define TF_SPSR   (33 * 8)
#define TF_ESR    (34 * 8)
#define TF_FAR    (35 * 8)
#define TF_VECTOR (36 * 8)

	.macro VENTRY n
	.balign 0x80
	sub sp, sp, #TF_SIZE
	stp x0, x1, [sp, #0]
	mov x0, #\n
	b trap_common
	.endm

	.text
	.balign 2048
	.global trap_vectors
trap_vectors:
	VENTRY 0
	VENTRY 1
	VENTRY 2
	VENTRY 3
	VENTRY 4
	VENTRY 5
	VENTRY 6
	VENTRY 7
	VENTRY 8
	VENTRY 9
	VENTRY 10
	VENTRY 11
	VENTRY 12
	VENTRY 13
	VENTRY 14
	VENTRY 15

trap_common:
	stp x2, x3, [sp, #16]
	stp x4, x5, [sp, #32]
	stp x6, x7, [sp, #48]
	stp x8, x9, [sp, #64]
	stp x10, x11, [sp, #80]
	stp x12, x13, [sp, #96]
	stp x14, x15, [sp, #112]
	stp x16, x17, [sp, #128]
	stp x18, x19, [sp, #144]
	stp x20, x21, [sp, #160]
	stp x22, x23, [sp, #176]
	stp x24, x25, [sp, #192]
	stp x26, x27, [sp, #208]
	stp x28, x29, [sp, #224]
	str x30, [sp, #240]
	mrs x1, spsr_el1
	tst x1, #0xf		/* M[3:0] = 0: from EL0t */
	b.ne 1f
	mrs x2, sp_el0		/* the user's stack pointer */
	b 2f
1:	add x2, sp, #TF_SIZE	/* the kernel's, before this frame */
2:	str x2, [sp, #TF_SP]
	mrs x3, elr_el1
	str x3, [sp, #TF_ELR]
	str x1, [sp, #TF_SPSR]
	mrs x4, esr_el1
	str x4, [sp, #TF_ESR]
	mrs x5, far_el1
	str x5, [sp, #TF_FAR]
	str x0, [sp, #TF_VECTOR]
	mov x29, xzr		/* no frame record above this one */
	mov x0, sp
	bl trap
	.global trap_return
trap_return:
	ldr x0, [sp, #TF_ELR]
	msr elr_el1, x0
	ldr x1, [sp, #TF_SPSR]
	msr spsr_el1, x1
	tst x1, #0xf
	b.ne 3f
	ldr x2, [sp, #TF_SP]	/* back to EL0: its stack pointer */
	msr sp_el0, x2
3:	ldp x0, x1, [sp, #0]
	ldp x2, x3, [sp, #16]
	ldp x4, x5, [sp, #32]
	ldp x6, x7, [sp, #48]
	ldp x8, x9, [sp, #64]
	ldp x10, x11, [sp, #80]
	ldp x12, x13, [sp, #96]
	ldp x14, x15, [sp, #112]
	ldp x16, x17, [sp, #128]
	ldp x18, x19, [sp, #144]
	ldp x20, x21, [sp, #160]
	ldp x22, x23, [sp, #176]
	ldp x24, x25, [sp, #192]
	ldp x26, x27, [sp, #208]
	ldp x28, x29, [sp, #224]
	ldr x30, [sp, #240]
	add sp, sp, #TF_SIZE
	eret

/* void swtch(uintptr_t *save_sp, uintptr_t new_sp): struct switch_frame. */
	.global swtch
swtch:
	sub sp, sp, #96
	stp x19, x20, [sp, #0]
	stp x21, x22, [sp, #16]
	stp x23, x24, [sp, #32]
	stp x25, x26, [sp, #48]
	stp x27, x28, [sp, #64]
	stp x29, x30, [sp, #80]
	mov x9, sp
	str x9, [x0]
	mov sp, x1
	ldp x19, x20, [sp, #0]
	ldp x21, x22, [sp, #16]
	ldp x23, x24, [sp, #32]
	ldp x25, x26, [sp, #48]
	ldp x27, x28, [sp, #64]
	ldp x29, x30, [sp, #80]
	add sp, sp, #96
	ret
