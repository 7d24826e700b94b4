/*
 * x86_64 entry from a Multiboot (v1) loader: GRUB or QEMU -kernel (which
 * loads the 32-bit ELF copy of this kernel). State on entry: 32-bit
 * protected mode, paging off, EAX = 0x2BADB002, EBX = Multiboot info.
 *
 * Switches to long mode itself (SDM Vol. 3A §9.8.5): boot tables with
 * 2 MiB pages map the first ARCH_BOOT_MAP_BYTES (1 GiB) at 0, at the direct
 * map 0xFFFF800000000000 and at the image base 0xFFFFFFFF80000000; then
 * CR4.PAE, EFER.LME and EFER.NXE, CR0.PG, a 64-bit code segment, and the
 * higher-half C entry kmain(magic, info_pa).
 */
#define KVMA 0xFFFFFFFF80000000

#include "multiboot_header.inc"
#include "cpu_check.inc"

	.section .boot.text, "ax"
	.code32
	.global _start
_start:
	cli
	cld
	mov %eax, %ebp			/* Multiboot magic */
	mov %ebx, %edi			/* Multiboot info, physical */
	mov $(boot_stack_top - KVMA), %esp
	/* Before using them: long mode (and PAE), and NX. Without NX the
	 * kernel refuses to run rather than silently lose W^X and
	 * non-executable stacks, heaps and data (mm-core sets XD in every
	 * non-executable entry, a reserved bit when EFER.NXE is clear). */
	CPU_REQUIRE_CPUID msg_no_long_mode
	CPU_REQUIRE_LEAF 0x80000001, msg_no_long_mode
	CPU_REQUIRE 0x80000001, %edx, 29, msg_no_long_mode	/* LM */
	CPU_REQUIRE 0x80000001, %edx, 20, msg_no_nx		/* NX */
	CPU_REQUIRE 1, %edx, 6, msg_no_long_mode		/* PAE */
	mov %ebp, %esi
	mov $(boot_pd - KVMA), %edx
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax			/* P | RW | PS: a 2 MiB page */
	mov %eax, (%edx, %ecx, 8)
	movl $0, 4(%edx, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	lea 0x23(%edx), %eax		/* PD | P | RW | A */
	mov %eax, (boot_pdpt_low - KVMA)
	mov %eax, (boot_pdpt_high - KVMA + 510 * 8)
	mov $(boot_pdpt_low - KVMA + 0x23), %eax
	mov %eax, (boot_pml4 - KVMA)		/* 0: identity */
	mov %eax, (boot_pml4 - KVMA + 256 * 8)	/* 256: direct map */
	mov $(boot_pdpt_high - KVMA + 0x23), %eax
	mov %eax, (boot_pml4 - KVMA + 511 * 8)	/* 511: the image */
	mov $(boot_pml4 - KVMA), %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax			/* CR4.PAE */
	mov %eax, %cr4
	mov $0xC0000080, %ecx		/* IA32_EFER */
	rdmsr
	or $0x900, %eax			/* LME (bit 8) | NXE (bit 11) */
	wrmsr
	mov %cr0, %eax
	or $0x80010000, %eax		/* CR0.PG | CR0.WP */
	mov %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode

	CPU_REFUSE_CODE			/* 32-bit code */

	.code64
long_mode:
	xor %eax, %eax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	movabs $higher_half, %rax
	jmp *%rax

	.section .boot.data, "a"
msg_no_long_mode:
	.asciz "mmkit: cannot run on this CPU: it has no long mode (64-bit, CPUID LM); boot the i386 kernel, mmkit-i386.elf, instead\r\n"
msg_no_nx:
	.asciz "mmkit: cannot run on this CPU: it has no NX (execute-disable, CPUID NX); without it every readable page would be executable (no W^X, executable stacks, heaps and data), so the x86_64 kernel refuses to run\r\n"
	.align 8
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF	/* 0x08: 64-bit code, DPL 0 */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	.text
higher_half:
	movabs $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov %esi, %eax
	mov %edi, %esi			/* kmain(magic, info_pa) */
	mov %eax, %edi
	call kmain
2:	cli
	hlt
	jmp 2b

	.bss
	.align 4096
boot_pml4:
	.skip 4096
boot_pdpt_low:
	.skip 4096
boot_pdpt_high:
	.skip 4096
boot_pd:
	.skip 4096
	.align 16
	.global boot_stack_top
boot_stack:
	.skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
