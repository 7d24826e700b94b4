/*
 * minikernel entry: Multiboot v1 (Multiboot Specification 0.6.96 §3.1)
 * puts us in 32-bit protected mode, paging off, EAX = magic, EBX = the
 * information's physical address. Boot tables with 2 MiB pages map the
 * first 1 GiB at 0 (to survive the switch), at the direct map
 * 0xFFFF800000000000 and at 0xFFFFFFFF80000000 (the image); then PAE,
 * EFER.LME and NXE, CR0.PG and WP (Intel SDM Vol. 3A §9.8.5, §4.1.1), a
 * 64-bit code segment, and kmain(magic, info) at the image's address.
 */
#define KVMA 0xFFFFFFFF80000000

	.section .multiboot, "a"
	.balign 4
	.long 0x1BADB002		/* magic */
	.long 0x00000002		/* flags: memory information */
	.long -(0x1BADB002 + 0x00000002)

	.section .boot.text, "ax"
	.code32
	.global _start
_start:
	mov $boot_stack_top - KVMA, %esp
	mov %eax, %edi			/* kmain's arguments, kept */
	mov %ebx, %esi
	/* PD: 512 entries of 2 MiB (P, RW, PS). */
	mov $boot_pd - KVMA, %ebx
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	mov %eax, (%ebx, %ecx, 8)
	movl $0, 4(%ebx, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	/* PDPT[0] and PDPT[510] -> PD; PML4[0], [256], [511] -> PDPT. */
	mov $boot_pdpt - KVMA, %eax
	movl $(boot_pd - KVMA + 3), (%eax)
	movl $(boot_pd - KVMA + 3), 510 * 8(%eax)
	mov $boot_pml4 - KVMA, %eax
	movl $(boot_pdpt - KVMA + 3), (%eax)
	movl $(boot_pdpt - KVMA + 3), 256 * 8(%eax)
	movl $(boot_pdpt - KVMA + 3), 511 * 8(%eax)
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $0xC0000080, %ecx		/* EFER: LME, NXE */
	rdmsr
	or $0x900, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax		/* PG, WP, PE */
	mov %eax, %cr0
	lgdt boot_gdtr
	ljmp $0x08, $long_mode

	.code64
long_mode:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	movabs $high, %rax
	jmp *%rax

	.text
high:
	/* The GDT again, at its image address: the identity mapping that
	 * reaches it now goes when mm-core's kernel space takes CR3. */
	movabs $boot_gdtr_high, %rax
	lgdt (%rax)
	movabs $boot_stack_top, %rsp
	call kmain			/* kmain(magic in EDI, info in ESI) */
2:	cli
	hlt
	jmp 2b

	.section .boot.data, "a"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF	/* 64-bit code */
	.quad 0x00CF92000000FFFF	/* data */
boot_gdtr:
	.word 3 * 8 - 1
	.long boot_gdt

	.data
	.balign 8
boot_gdtr_high:
	.word 3 * 8 - 1
	.quad boot_gdt + KVMA

	.bss
	.balign 4096
boot_pml4:	.space 4096
boot_pdpt:	.space 4096
boot_pd:	.space 4096
boot_stack:	.space 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
