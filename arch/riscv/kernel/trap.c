/*
 * The riscv64 kernel's trap(): every exception, interrupt and system call
 * lands here (from trap.S). A user page fault that mm-core cannot resolve
 * kills only that process; a kernel fault panics. Causes: RISC-V
 * Privileged Architecture 20211203, §4.1.9 (scause, Table 4.2), §4.1.10
 * (stval).
 */
#include <kernel/proc.h>

static const char *const exception_names[16] = {
	"instruction address misaligned",
	"instruction access fault",
	"illegal instruction",
	"breakpoint",
	"load address misaligned",
	"load access fault",
	"store address misaligned",
	"store access fault",
	"environment call from U-mode",
	"environment call from S-mode",
	"reserved",
	"reserved",
	"instruction page fault",
	"load page fault",
	"reserved",
	"store page fault",
};

void trap(struct trapframe *tf);
void trap(struct trapframe *tf)
{
	const uint64_t cause = tf->scause;
	struct proc *p = proc_current(); /* NULL before proc_init() */
	char buf[24];
	if (cause & SCAUSE_INTR) {
		if ((cause & 0xFF) == IRQ_S_TIMER) {
			riscv_timer_next();
			((struct sched_stats *)sched_stats())->ticks++;
			if (TF_FROM_USER(tf))
				schedule(); /* preemption; idle schedules by itself */
			return;
		}
		panic("unexpected interrupt %llu, %s", (unsigned long long)(cause & 0xFF),
		      proc_who(p, buf));
	}
	if (cause == CAUSE_ECALL_U) {
		tf->sepc += 4; /* past the ecall */
		TF_RET(tf) = (uint64_t)syscall_dispatch(tf);
		return;
	}
	const unsigned v = (unsigned)cause;
	const char *name = cause < 16 ? exception_names[cause] : "exception";
	if (cause == CAUSE_FETCH_PF || cause == CAUSE_LOAD_PF || cause == CAUSE_STORE_PF) {
		const uint64_t addr = tf->stval;
		const char *acc = cause == CAUSE_FETCH_PF   ? "fetch"
		                  : cause == CAUSE_STORE_PF ? "write"
		                                            : "read";
		if (TF_FROM_USER(tf) && p) {
			/* Demand paging, copy-on-write and stack growth: mm-core
			 * decides; only a verdict kills. */
			unsigned access = cause == CAUSE_STORE_PF   ? MM_ACCESS_WRITE
			                  : cause == CAUSE_FETCH_PF ? MM_ACCESS_EXEC
			                                            : MM_ACCESS_READ;
			enum mm_fault_verdict verdict = mm_fault(p->space, addr, access, NULL);
			if (verdict == MM_FAULT_RESOLVED)
				return;
			kprintf("# pid %d (%s) killed: %s: page fault at 0x%llx (%s, user; scause "
			        "%u) "
			        "pc 0x%llx\n",
			        p->pid, p->name, fault_verdict_name(verdict),
			        (unsigned long long)addr, acc, v, (unsigned long long)TF_PC(tf));
			proc_kill(p, v);
		}
		panic("kernel page fault at 0x%llx (%s, scause %u) pc 0x%llx, %s",
		      (unsigned long long)addr, acc, v, (unsigned long long)TF_PC(tf),
		      proc_who(p, buf));
	}
	if (TF_FROM_USER(tf) && p) {
		kprintf("# pid %d (%s) killed: %s (scause %u, stval 0x%llx) pc 0x%llx\n", p->pid,
		        p->name, name, v, (unsigned long long)tf->stval,
		        (unsigned long long)TF_PC(tf));
		proc_kill(p, v);
	}
	panic("%s (scause %u, stval 0x%llx) in the kernel, pc 0x%llx, %s", name, v,
	      (unsigned long long)tf->stval, (unsigned long long)TF_PC(tf), proc_who(p, buf));
}
