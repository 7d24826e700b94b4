/*
 * The aarch64 kernel's trap(): every exception, interrupt and system call
 * lands here (from trap.S's vectors). A user abort that mm-core cannot
 * resolve kills only that process; a kernel abort panics. A process the
 * kernel kills exits with EXIT_KILLED | ESR_EL1.EC. Source: ARM DDI 0487,
 * D17.2.37 (ESR_EL1: exception classes; the data and instruction abort
 * ISS: WnR, FnV, DFSC/IFSC), D17.2.40 (FAR_EL1), D1.10 (vectors).
 */
#include <kernel/proc.h>

/* What an exception class is, in words (the ones this kernel expects). */
static const char *ec_name(unsigned ec)
{
	switch (ec) {
	case EC_UNKNOWN: return "undefined instruction";
	case EC_WFX: return "WFI or WFE trapped";
	case EC_FP: return "FP or SIMD access trapped";
	case EC_ILLEGAL: return "illegal execution state";
	case EC_SVC64: return "SVC";
	case EC_SYSREG: return "system register access trapped";
	case EC_IABT_LOW:
	case EC_IABT_CUR: return "instruction abort";
	case EC_PC_ALIGN: return "PC alignment fault";
	case EC_DABT_LOW:
	case EC_DABT_CUR: return "data abort";
	case EC_SP_ALIGN: return "SP alignment fault";
	case EC_BRK: return "BRK instruction";
	default: return "exception";
	}
}

/* What a fault status code says: the translation is missing, forbids the
 * access, or lacks its access flag (every leaf is made with AF set). */
static const char *fsc_name(unsigned fsc)
{
	switch (FSC_KIND(fsc)) {
	case FSC_TRANSLATION: return "not present";
	case FSC_PERMISSION: return "protection";
	case FSC_ACCESS_FLAG: return "access flag";
	case FSC_ADDRESS_SIZE: return "address size";
	default: return "other fault";
	}
}

/* An abort (EC 0x20, 0x21, 0x24, 0x25): demand paging, copy-on-write and
 * stack growth for EL0, through mm-core; a panic for EL1. */
static void abort_trap(struct trapframe *tf, struct proc *p, unsigned ec)
{
	const bool fetch = ec == EC_IABT_LOW || ec == EC_IABT_CUR;
	const bool write = !fetch && (tf->esr & ESR_ISS_WNR);
	const unsigned fsc = ESR_FSC(tf->esr);
	const uint64_t addr = (tf->esr & ESR_ISS_FNV) ? 0 : tf->far;
	const char *acc = fetch ? "fetch" : write ? "write" : "read";
	char buf[24];
	if (TF_FROM_USER(tf) && p) {
		unsigned access = fetch ? MM_ACCESS_EXEC : write ? MM_ACCESS_WRITE : MM_ACCESS_READ;
		enum mm_fault_verdict verdict = mm_fault(p->space, addr, access, NULL);
		if (verdict == MM_FAULT_RESOLVED)
			return;
		kprintf("# pid %d (%s) killed: %s: page fault at 0x%llx (%s, %s, user; EC 0x%x "
		        "FSC 0x%x) pc 0x%llx\n",
		        p->pid, p->name, fault_verdict_name(verdict), (unsigned long long)addr, acc,
		        fsc_name(fsc), ec, fsc, (unsigned long long)TF_PC(tf));
		proc_kill(p, ec);
	}
	panic("kernel page fault at 0x%llx (%s, %s, EC 0x%x FSC 0x%x) pc 0x%llx, %s",
	      (unsigned long long)addr, acc, fsc_name(fsc), ec, fsc, (unsigned long long)TF_PC(tf),
	      proc_who(p, buf));
}

/**
 * trap() - called by trap.S for every exception taken to EL1, with @tf the
 * frame it saved on the current kernel stack (its vector number in
 * @tf->vector). Returns to trap_return, which resumes @tf (possibly
 * changed: a system call's result, or another process after schedule()).
 * A process that cannot go on is killed (proc_kill(), no return); the
 * kernel's own faults panic.
 */
void trap(struct trapframe *tf);
void trap(struct trapframe *tf)
{
	struct proc *p = proc_current(); /* NULL before proc_init() */
	char buf[24];
	const unsigned vec = (unsigned)tf->vector;
	if (vec == VEC_EL1H_IRQ || vec == VEC_EL0_IRQ) {
		unsigned irq = aarch64_irq();
		if (irq == IRQ_VTIMER) {
			((struct sched_stats *)sched_stats())->ticks++;
			if (TF_FROM_USER(tf))
				schedule(); /* preemption; idle schedules by itself */
		} else if (irq != GIC_SPURIOUS) {
			panic("unexpected interrupt %u, %s", irq, proc_who(p, buf));
		}
		return;
	}
	if (vec != VEC_EL1H_SYNC && vec != VEC_EL0_SYNC)
		panic("unexpected exception vector %u (ESR 0x%llx) pc 0x%llx, %s", vec,
		      (unsigned long long)tf->esr, (unsigned long long)TF_PC(tf), proc_who(p, buf));
	const unsigned ec = ESR_EC(tf->esr);
	if (ec == EC_SVC64 && TF_FROM_USER(tf)) {
		/* ELR_EL1 already points past the svc. */
		TF_RET(tf) = (uint64_t)syscall_dispatch(tf);
		return;
	}
	if (ec == EC_IABT_LOW || ec == EC_IABT_CUR || ec == EC_DABT_LOW || ec == EC_DABT_CUR) {
		abort_trap(tf, p, ec);
		return;
	}
	if (TF_FROM_USER(tf) && p) {
		kprintf("# pid %d (%s) killed: %s (EC 0x%x, ESR 0x%llx, FAR 0x%llx) pc 0x%llx\n",
		        p->pid, p->name, ec_name(ec), ec, (unsigned long long)tf->esr,
		        (unsigned long long)tf->far, (unsigned long long)TF_PC(tf));
		proc_kill(p, ec);
	}
	panic("%s (EC 0x%x, ESR 0x%llx, FAR 0x%llx) in the kernel, pc 0x%llx, %s", ec_name(ec), ec,
	      (unsigned long long)tf->esr, (unsigned long long)tf->far,
	      (unsigned long long)TF_PC(tf), proc_who(p, buf));
}
