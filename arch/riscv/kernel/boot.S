/*
 * riscv64 kernel entry from OpenSBI (SBI v1.0; QEMU's virt machine enters
 * the image's lowest physical address, 0x80200000, in S-mode with satp 0,
 * a0 = hart ID and a1 = the devicetree's physical address).
 *
 * Everything here runs at the physical address the image was loaded at,
 * reaching its data PC-relatively (-mcmodel=medany), until boot_satp()
 * (boot.c) has built boot page tables: 1 GiB pages mapping physical 0 to
 * 4 GiB at 0 (to survive the satp write), at the direct-map base and the
 * image at ARCH_KERNEL_IMAGE_BASE + its physical address. Then it jumps to
 * the image's linked (virtual) address and calls kmain(hartid, dtb_pa).
 * mm-core replaces these tables with its kernel space as soon as it is up.
 */
	.section .boot.text, "ax"
	.global _start
_start:
	csrw sie, zero
	csrw sscratch, zero	/* trap.S: 0 while in the kernel */
	lla sp, boot_stack_top	/* physical, for now */
	mv s0, a0
	mv s1, a1
	call boot_satp
	sfence.vma
	csrw satp, a0
	sfence.vma		/* Privileged spec §4.2.1: after a satp write */
	ld t0, .Lhigh
	jr t0
	.balign 8
.Lhigh:
	.dword high

	.text
high:
	ld t0, .Lvoff		/* the stack, at its linked address */
	add sp, sp, t0
	mv a0, s0
	mv a1, s1
	call kmain
1:	wfi
	j 1b
	.balign 8
.Lvoff:
	.dword KERNEL_VOFF

	.bss
	.balign 16
	.global boot_stack_top
boot_stack:
	.space 16384
boot_stack_top:
