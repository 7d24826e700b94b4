/*
 * riscv64 trap entry (stvec, direct mode) and swtch().
 *
 * sscratch is 0 while the hart runs in the kernel, and the top of the
 * current process's kernel stack while it runs in U-mode (trap_return sets
 * it). So the first instruction tells the two apart: swapped with sp, a
 * non-zero sscratch means "from user", and sp is now the kernel stack.
 * The trap frame (struct trapframe, cpu.h) holds x1-x31 at (n - 1) * 8,
 * then sepc, sstatus, scause, stval. trap(tf) is called with sp 16-byte
 * aligned (RISC-V psABI). The hart has already cleared sstatus.SIE (SPIE
 * keeps the old value), so the kernel runs with interrupts off.
 */
#define TF_SIZE (36 * 8)
#define R(n) ((n) - 1) * 8
#define SSTATUS_SPP 0x100
#define SSTATUS_SUM 0x40000

	.text
	.balign 4
	.global trap_entry
trap_entry:
	csrrw sp, sscratch, sp
	bnez sp, 1f
	/* From the kernel: sscratch was 0. Take sp back; sscratch stays 0. */
	csrrw sp, sscratch, sp
	addi sp, sp, -TF_SIZE
	sd t0, R(5)(sp)
	addi t0, sp, TF_SIZE
	sd t0, R(2)(sp)
	j 2f
1:	/* From U-mode: sp is the kernel stack's top, sscratch the user sp. */
	addi sp, sp, -TF_SIZE
	sd t0, R(5)(sp)
	csrrw t0, sscratch, zero
	sd t0, R(2)(sp)
2:	sd x1, R(1)(sp)
	sd x3, R(3)(sp)
	sd x4, R(4)(sp)
	sd x6, R(6)(sp)
	sd x7, R(7)(sp)
	sd x8, R(8)(sp)
	sd x9, R(9)(sp)
	sd x10, R(10)(sp)
	sd x11, R(11)(sp)
	sd x12, R(12)(sp)
	sd x13, R(13)(sp)
	sd x14, R(14)(sp)
	sd x15, R(15)(sp)
	sd x16, R(16)(sp)
	sd x17, R(17)(sp)
	sd x18, R(18)(sp)
	sd x19, R(19)(sp)
	sd x20, R(20)(sp)
	sd x21, R(21)(sp)
	sd x22, R(22)(sp)
	sd x23, R(23)(sp)
	sd x24, R(24)(sp)
	sd x25, R(25)(sp)
	sd x26, R(26)(sp)
	sd x27, R(27)(sp)
	sd x28, R(28)(sp)
	sd x29, R(29)(sp)
	sd x30, R(30)(sp)
	sd x31, R(31)(sp)
	csrr t0, sepc
	sd t0, 31 * 8(sp)
	csrr t0, sstatus
	sd t0, 32 * 8(sp)
	li t0, SSTATUS_SUM	/* the handler starts with user access closed */
	csrc sstatus, t0
	csrr t0, scause
	sd t0, 33 * 8(sp)
	csrr t0, stval
	sd t0, 34 * 8(sp)
	mv a0, sp
	call trap
	.global trap_return
trap_return:
	ld t0, 31 * 8(sp)
	csrw sepc, t0
	ld t0, 32 * 8(sp)
	csrw sstatus, t0
	/* Back to U-mode: the next trap from there finds this stack's top. */
	andi t0, t0, SSTATUS_SPP
	bnez t0, 3f
	addi t0, sp, TF_SIZE
	csrw sscratch, t0
3:	ld x1, R(1)(sp)
	ld x3, R(3)(sp)
	ld x4, R(4)(sp)
	ld x5, R(5)(sp)
	ld x6, R(6)(sp)
	ld x7, R(7)(sp)
	ld x8, R(8)(sp)
	ld x9, R(9)(sp)
	ld x10, R(10)(sp)
	ld x11, R(11)(sp)
	ld x12, R(12)(sp)
	ld x13, R(13)(sp)
	ld x14, R(14)(sp)
	ld x15, R(15)(sp)
	ld x16, R(16)(sp)
	ld x17, R(17)(sp)
	ld x18, R(18)(sp)
	ld x19, R(19)(sp)
	ld x20, R(20)(sp)
	ld x21, R(21)(sp)
	ld x22, R(22)(sp)
	ld x23, R(23)(sp)
	ld x24, R(24)(sp)
	ld x25, R(25)(sp)
	ld x26, R(26)(sp)
	ld x27, R(27)(sp)
	ld x28, R(28)(sp)
	ld x29, R(29)(sp)
	ld x30, R(30)(sp)
	ld x31, R(31)(sp)
	ld sp, R(2)(sp)
	sret

/* void swtch(uintptr_t *save_sp, uintptr_t new_sp): struct switch_frame. */
	.global swtch
swtch:
	addi sp, sp, -112
	sd s0, 0(sp)
	sd s1, 8(sp)
	sd s2, 16(sp)
	sd s3, 24(sp)
	sd s4, 32(sp)
	sd s5, 40(sp)
	sd s6, 48(sp)
	sd s7, 56(sp)
	sd s8, 64(sp)
	sd s9, 72(sp)
	sd s10, 80(sp)
	sd s11, 88(sp)
	sd ra, 96(sp)
	sd sp, 0(a0)
	mv sp, a1
	ld s0, 0(sp)
	ld s1, 8(sp)
	ld s2, 16(sp)
	ld s3, 24(sp)
	ld s4, 32(sp)
	ld s5, 40(sp)
	ld s6, 48(sp)
	ld s7, 56(sp)
	ld s8, 64(sp)
	ld s9, 72(sp)
	ld s10, 80(sp)
	ld s11, 88(sp)
	ld ra, 96(sp)
	addi sp, sp, 112
	ret
