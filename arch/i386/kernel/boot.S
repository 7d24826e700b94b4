/*
 * i386 entry from a Multiboot (v1) loader: GRUB or QEMU -kernel.
 * State on entry (Multiboot spec §3.2): protected mode, paging off,
 * EAX = 0x2BADB002, EBX = physical address of the Multiboot info.
 *
 * Builds a boot page directory with 4 MiB pages (CR4.PSE, SDM Vol. 3A
 * §4.3) mapping the first ARCH_BOOT_MAP_BYTES (1 GiB) both at 0 (to survive
 * the switch) and at 0xC0000000, turns paging on and jumps to the
 * higher-half C entry kmain(magic, info_pa). mm-core replaces these tables
 * with its own kernel space as soon as it is up.
 *
 * Built with X86_PAE=1 (the i386-pae kernel): PAE paging instead (SDM
 * Vol. 3A §4.4), a PDPT whose entries 0 and 3 point at one PD of 2 MiB
 * pages (the same 1 GiB at 0 and at 0xC0000000), CR4.PAE, and IA32_EFER.NXE
 * (mm-core's entries carry XD). It needs PAE and NX (CPUID), and says so.
 */
#define KVMA 0xC0000000

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
#if X86_PAE
	/* What the PAE kernel needs (it is built -march=i686): CPUID, PAE,
	 * and NX: without NX, XD (bit 63) is a reserved bit and every
	 * non-executable entry would fault (SDM Vol. 3A §4.4.2). */
	CPU_REQUIRE_CPUID msg_no_cpuid
	CPU_REQUIRE_LEAF 1, msg_no_pae
	CPU_REQUIRE 1, %edx, 6, msg_no_pae	/* CPUID.1:EDX.PAE[bit 6] */
	CPU_REQUIRE_LEAF 0x80000001, msg_no_nx
	CPU_REQUIRE 0x80000001, %edx, 20, msg_no_nx	/* NX */
	mov %ebp, %esi
	mov $(boot_pd - KVMA), %edx
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax			/* P | RW | PS: a 2 MiB page */
	mov %eax, (%edx, %ecx, 8)	/* PDE i, low half (the high half is 0) */
	inc %ecx
	cmp $512, %ecx
	jne 1b
	mov $(boot_pdpt - KVMA), %eax
	or $1, %edx			/* a PDPTE: P and the address only (Table 4-8) */
	mov %edx, (%eax)		/* PDPTE 0: identity */
	mov %edx, 24(%eax)		/* PDPTE 3: higher half */
	mov %eax, %ebx
	mov %cr4, %eax
	or $0x20, %eax			/* CR4.PAE */
	mov %eax, %cr4
	mov $0xC0000080, %ecx		/* IA32_EFER */
	rdmsr
	or $0x800, %eax			/* NXE (bit 11) */
	wrmsr
	mov %ebx, %cr3			/* the PDPT: its PDPTEs load when CR0.PG is set (§4.4.1) */
#else
	/* What this kernel needs beyond a 486 (it is built -march=i486):
	 * CPUID, and 4 MiB pages (CR4.PSE) for the boot tables below. */
	CPU_REQUIRE_CPUID msg_no_cpuid
	CPU_REQUIRE_LEAF 1, msg_no_pse
	CPU_REQUIRE 1, %edx, 3, msg_no_pse	/* CPUID.1:EDX.PSE[bit 3] */
	mov %ebp, %esi
	mov $(boot_pd - KVMA), %edx
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $22, %eax
	or $0x83, %eax			/* P | RW | PS: a 4 MiB page */
	mov %eax, (%edx, %ecx, 4)	/* PDE i: identity */
	mov %eax, 3072(%edx, %ecx, 4)	/* PDE 768 + i: higher half */
	inc %ecx
	cmp $256, %ecx
	jne 1b
	mov %cr4, %eax
	or $0x10, %eax			/* CR4.PSE */
	mov %eax, %cr4
	mov %edx, %cr3
#endif
	mov %cr0, %eax
	or $0x80010000, %eax		/* CR0.PG | CR0.WP */
	mov %eax, %cr0
	lea higher_half, %eax
	jmp *%eax

	CPU_REFUSE_CODE

	.section .boot.data, "a"
msg_no_cpuid:
#if X86_PAE
	.asciz "mmkit: cannot run on this CPU: it has no CPUID instruction (a 386 or an early 486); the i386-pae kernel needs CPUID, PAE and NX\r\n"
#else
	.asciz "mmkit: cannot run on this CPU: it has no CPUID instruction (a 386 or an early 486); the i386 kernel needs CPUID and 4 MiB pages (PSE, Pentium or later)\r\n"
#endif
msg_no_pse:
	.asciz "mmkit: cannot run on this CPU: it has no 4 MiB pages (CPUID PSE), which the i386 kernel's boot page tables use (Pentium or later)\r\n"
#if X86_PAE
msg_no_pae:
	.asciz "mmkit: cannot run on this CPU: it has no PAE paging (CPUID PAE), which the i386-pae kernel uses (Pentium Pro or later)\r\n"
msg_no_nx:
	.asciz "mmkit: cannot run on this CPU: it has no NX (execute-disable, CPUID NX); without it every readable page would be executable (no W^X), so the i386-pae kernel refuses to run\r\n"
#endif

	.text
higher_half:
	mov $boot_stack_top, %esp
	xor %ebp, %ebp
	push %edi
	push %esi
	call kmain
2:	cli
	hlt
	jmp 2b

	.bss
	.align 4096
boot_pd:
	.skip 4096
#if X86_PAE
boot_pdpt:				/* 32-byte aligned (CR3[31:5]); a page here */
	.skip 4096
#endif
	.align 16
	.global boot_stack_top
boot_stack:
	.skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
