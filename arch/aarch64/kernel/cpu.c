/*
 * aarch64 CPU set-up: the exception vectors. There is nothing like x86's
 * GDT or TSS: the EL a trap came from is SPSR_EL1.M, and a trap from EL0
 * finds the kernel stack in SP_EL1, which trap_return leaves at the top of
 * the process's kernel stack. Source: ARM DDI 0487, D1.10 (exception
 * vectors), D17.2.149 (VBAR_EL1), D17.2.65 (ID_AA64MMFR1_EL1).
 */
#include <kernel/arch.h>
#include <kernel/kernel.h>

#include <arch/pte.h>

#include "cpu.h"

extern char trap_vectors[];

void cpu_init(void)
{
	sysreg_write(vbar_el1, (uintptr_t)trap_vectors); /* 2 KiB aligned (trap.S) */
	isb();
	/* boot.S programmed MAIR_EL1 before any C ran: the attributes pte.h's
	 * AttrIndx values mean must be the ones it wrote. */
	if (sysreg_read(mair_el1) != AARCH64_MAIR)
		panic("MAIR_EL1 is 0x%llx, not pte.h's 0x%llx",
		      (unsigned long long)sysreg_read(mair_el1), (unsigned long long)AARCH64_MAIR);
}

/* trap_return leaves SP_EL1 at the top of the stack it returns from when it
 * returns to EL0: nothing to do here. */
void cpu_set_kernel_stack(uintptr_t top)
{
	(void)top;
}

int aarch64_has_pan(void)
{
	return ((sysreg_read(id_aa64mmfr1_el1) >> ID_MMFR1_PAN_SHIFT) & 0xF) != 0;
}
