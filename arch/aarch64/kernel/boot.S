/*
 * aarch64 kernel entry on QEMU's virt machine: QEMU loads the ELF at its
 * physical addresses (0x40200000 up) and enters it at EL1 (or EL2 with
 * -machine virtualization=on: then this drops to EL1), MMU off. The
 * devicetree is at the start of RAM (0x40000000); QEMU 7.2 leaves x0 0
 * for an ELF image (a Linux Image would get the address in x0), and
 * arch_boot_info() reads 0 as "the start of RAM".
 *
 * Everything here runs at the physical address the image was loaded at,
 * reaching its data PC-relatively (adrp, the small code model), until the
 * MMU is on: boot_tables() (boot.c) builds the boot page tables, 1 GiB
 * blocks mapping physical 0 to 4 GiB at 0 through TTBR0_EL1 (to survive
 * turning the MMU on), and at the direct-map base and the image at
 * ARCH_KERNEL_IMAGE_BASE + its physical address through TTBR1_EL1. Then it
 * jumps to the image's linked (virtual) address and calls
 * kmain(dtb_pa, 0). mm-core replaces these tables with its kernel space
 * (TTBR1_EL1) and the process spaces (TTBR0_EL1) as soon as it is up.
 *
 * Source: ARM DDI 0487, D17.2 (MAIR_EL1, TCR_EL1, SCTLR_EL1,
 * ID_AA64MMFR0_EL1), D8.2 (VMSAv8-64 translation), D8.13 (TLB maintenance
 * after the MMU's registers change).
 */
/* MAIR_EL1: attribute 0 Normal, inner and outer write-back non-transient,
 * read- and write-allocate (0xFF); attribute 1 Device-nGnRnE (0x00). */
#define MAIR_VALUE 0x00FF
/* TCR_EL1: T0SZ = T1SZ = 16 (48-bit halves), TG0 = 0b00 (4 KiB), TG1 =
 * 0b10 (4 KiB), walks inner shareable (SH = 0b11), inner and outer
 * write-back write-allocate (IRGN = ORGN = 0b01); IPS and AS added from
 * ID_AA64MMFR0_EL1 below. */
#define TCR_T0SZ  16
#define TCR_T1SZ  (16 << 16)
#define TCR_WALK0 ((1 << 8) | (1 << 10) | (3 << 12))
#define TCR_WALK1 ((1 << 24) | (1 << 26) | (3 << 28))
#define TCR_TG1_4K (2 << 30)
#define TCR_IPS_SHIFT 32
#define TCR_AS (1 << 36)
/* SCTLR_EL1: the bits RES1 in Armv8.0 (29, 28, 23, 22, 20, 11), then M
 * (MMU on), C and I (caches), SA and SA0 (stack alignment checks), UCI (EL0 may clean and invalidate
 * cache lines by VA, to run code it wrote, as on Linux). Left 0: A
 * (unaligned Normal accesses allowed), UMA (EL0 cannot mask interrupts),
 * nTWI and nTWE (EL0's WFI and WFE trap), DZE and UCT (EL0's DC ZVA and
 * CTR_EL0 reads trap), EE and E0E (little-endian), and WXN (writable
 * means never executable), which the boot tables' read-write-execute
 * blocks cannot run under: cpu.c sets it once mm-core's tables are in. */
#define SCTLR_RES1 ((1 << 29) | (1 << 28) | (1 << 23) | (1 << 22) | (1 << 20) | (1 << 11))
#define SCTLR_VALUE (SCTLR_RES1 | (1 << 26) | (1 << 12) | (1 << 4) | (1 << 3) | (1 << 2) | 1)

/* Entered at EL2 (QEMU's -machine virtualization=on, as most boards
 * boot): EL1 runs AArch64 (HCR_EL2.RW) untrapped (no other HCR_EL2 bit,
 * CPTR_EL2 with only its RES1 bits, HSTR_EL2 0), reaches the physical
 * counter and timer (CNTHCTL_EL2.EL1PCTEN, EL1PCEN), sees the virtual
 * counter equal to the physical one (CNTVOFF_EL2 0), and starts with its
 * MMU off; then eret to EL1h with D, A, I and F masked (SPSR_EL2 0x3C5). */
#define HCR_RW        (1 << 31)
#define CPTR_EL2_RES1 0x33FF
#define SPSR_EL1H_MASKED 0x3C5

	.section .boot.text, "ax"
	.global _start
_start:
	msr daifset, #0xf
	mov x19, x0			/* the devicetree */
	mrs x1, CurrentEL
	cmp x1, #(2 << 2)		/* EL2: drop to EL1 */
	b.ne el1
	ldr x1, =HCR_RW
	msr hcr_el2, x1
	mov x1, #3
	msr cnthctl_el2, x1
	msr cntvoff_el2, xzr
	ldr x1, =CPTR_EL2_RES1
	msr cptr_el2, x1
	msr hstr_el2, xzr
	ldr x1, =SCTLR_RES1
	msr sctlr_el1, x1
	mov x1, #SPSR_EL1H_MASKED
	msr spsr_el2, x1
	adr x1, el1
	msr elr_el2, x1
	eret
el1:
	adrp x1, boot_stack_top		/* physical, for now */
	add x1, x1, :lo12:boot_stack_top
	mov sp, x1
	bl boot_tables			/* x0 = TTBR0 root, x1 = TTBR1 root */
	msr ttbr0_el1, x0
	msr ttbr1_el1, x1
	ldr x0, =MAIR_VALUE
	msr mair_el1, x0
	ldr x0, =(TCR_T0SZ | TCR_T1SZ | TCR_WALK0 | TCR_WALK1 | TCR_TG1_4K)
	mrs x1, id_aa64mmfr0_el1
	and x2, x1, #0xf		/* PARange, bits 3:0: IPS takes the same code */
	cmp x2, #5			/* 48 bits: the most this format addresses */
	mov x3, #5
	csel x2, x2, x3, ls
	orr x0, x0, x2, lsl #TCR_IPS_SHIFT
	ubfx x2, x1, #4, #4		/* ASIDBits: 0b0010 = 16 bits */
	cmp x2, #2
	b.ne 1f
	orr x0, x0, #TCR_AS
1:	msr tcr_el1, x0
	msr cpacr_el1, xzr		/* FP and SIMD trap, at EL1 and EL0 */
	isb
	tlbi vmalle1
	dsb nsh
	isb
	ldr x0, =SCTLR_VALUE
	msr sctlr_el1, x0
	isb
	ldr x0, =high
	br x0
	.ltorg

	.text
high:
	ldr x0, =KERNEL_VOFF		/* the stack, at its linked address */
	mov x1, sp
	add x1, x1, x0
	mov sp, x1
	mov x0, x19
	mov x1, xzr
	bl kmain
2:	wfi
	b 2b
	.ltorg

/*
 * void ttbr1_switch(uint64_t root): load @root into TTBR1_EL1 in place of
 * the boot tables, with break-before-make for the whole kernel half: the
 * boot tables map it with 1 GiB blocks, mm-core with 4 KiB pages, and a
 * TLB holding both for one address may raise a TLB conflict abort (ARM
 * DDI 0487, D8.16 "TLB conflict aborts"). So this runs through TTBR0_EL1's
 * identity map of the image (still the boot tables': called once, before
 * TTBR0_EL1 is ever changed), touches no kernel-half address (no stack),
 * stops walks through TTBR1_EL1 (TCR_EL1.EPD1) while every entry is
 * invalidated, then loads @root and lets walks resume. Interrupts are off.
 */
	.global ttbr1_switch
ttbr1_switch:
	ldr x1, =KERNEL_VOFF
	adr x2, 1f
	sub x2, x2, x1			/* 1f's physical (identity-mapped) address */
	br x2
1:	mrs x3, tcr_el1
	orr x4, x3, #(1 << 23)		/* EPD1 */
	msr tcr_el1, x4
	isb
	tlbi vmalle1is
	dsb ish
	isb
	msr ttbr1_el1, x0
	msr tcr_el1, x3
	isb
	ret				/* to the caller's kernel-half address */
	.ltorg

	.bss
	.balign 16
	.global boot_stack_top
boot_stack:
	.space 16384
boot_stack_top:
