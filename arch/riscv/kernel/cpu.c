/*
 * riscv64 CPU set-up: the trap vector. There is nothing like x86's GDT or
 * TSS: the privilege a trap came from is sstatus.SPP, and trap.S finds the
 * kernel stack through sscratch.
 */
#include <kernel/arch.h>

#include "cpu.h"

extern char trap_entry[];

void cpu_init(void)
{
	csr_write(sscratch, 0);
	csr_write(stvec, (uintptr_t)trap_entry); /* direct mode: bits 1:0 = 0 */
}

/* trap_return puts the top of the stack it returns from into sscratch
 * when it returns to U-mode: nothing to do here. */
void cpu_set_kernel_stack(uintptr_t top)
{
	(void)top;
}
