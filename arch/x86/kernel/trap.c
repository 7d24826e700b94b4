/*
 * The x86 kernels' trap(): every exception, interrupt and system call
 * lands here (from trap.S). A user page fault that mm-core cannot resolve kills only that
 * process; a kernel fault panics.
 */
#include <kernel/proc.h>

#include "x86.h"

static const char *const exception_names[32] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"bound range",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor overrun",
	"invalid TSS",
	"segment not present",
	"stack fault",
	"general protection",
	"page fault",
	"reserved",
	"x87 error",
	"alignment check",
	"machine check",
	"SIMD error",
	"virtualization",
	"control protection",
};

/* Page-fault error code bits, SDM Vol. 3A §4.7. */
static void describe_pf(uintptr_t err, char *buf)
{
	const char *acc = (err & 0x10) ? "fetch" : (err & 2) ? "write" : "read";
	const char *why = (err & 8) ? "reserved bit" : (err & 1) ? "protection" : "not present";
	char *b = buf;
	for (const char *s = acc; *s;)
		*b++ = *s++;
	*b++ = ',', *b++ = ' ';
	for (const char *s = why; *s;)
		*b++ = *s++;
	*b = 0;
}

void trap(struct trapframe *tf);
void trap(struct trapframe *tf)
{
	unsigned v = (unsigned)tf->vector;
	struct proc *p = proc_current(); /* NULL before proc_init() */
	char buf[24];
	if (v == 0x80) {
		TF_RET(tf) = (uintptr_t)syscall_dispatch(tf);
		return;
	}
	if (v >= 32 && v < 48) {
		pic_eoi(v);
		if (v == 32) {
			((struct sched_stats *)sched_stats())->ticks++;
			if (TF_FROM_USER(tf))
				schedule(); /* preemption; idle schedules by itself */
		}
		return;
	}
	const char *name = v < 32 && exception_names[v] ? exception_names[v] : "exception";
	if (v == 14) {
		uintptr_t addr = read_cr2();
		char what[40];
		describe_pf(tf->err, what);
		if (TF_FROM_USER(tf) && p) {
			/* Demand paging, copy-on-write and stack growth: mm-core
			 * decides; only a verdict kills. */
			unsigned access = ((tf->err & 2) ? MM_ACCESS_WRITE : 0) |
			                  ((tf->err & 0x10) ? MM_ACCESS_EXEC : 0);
			enum mm_fault_verdict verdict = mm_fault(p->space, addr, access, NULL);
			if (verdict == MM_FAULT_RESOLVED)
				return;
			kprintf("# pid %d (%s) killed: %s: page fault at 0x%llx (%s, user; error "
			        "code "
			        "0x%x: P=%u W=%u U=%u RSVD=%u I/D=%u) pc 0x%llx\n",
			        p->pid, p->name, fault_verdict_name(verdict),
			        (unsigned long long)addr, what, (unsigned)tf->err,
			        (unsigned)(tf->err & 1), (unsigned)(tf->err >> 1) & 1,
			        (unsigned)(tf->err >> 2) & 1, (unsigned)(tf->err >> 3) & 1,
			        (unsigned)(tf->err >> 4) & 1, (unsigned long long)TF_PC(tf));
			proc_kill(p, v);
		}
		panic("kernel page fault at 0x%llx (%s, error code 0x%x) pc 0x%llx, %s",
		      (unsigned long long)addr, what, (unsigned)tf->err,
		      (unsigned long long)TF_PC(tf), proc_who(p, buf));
	}
	if (TF_FROM_USER(tf) && p) {
		kprintf("# pid %d (%s) killed: %s (vector %u, error code 0x%x) pc 0x%llx\n", p->pid,
		        p->name, name, v, (unsigned)tf->err, (unsigned long long)TF_PC(tf));
		proc_kill(p, v);
	}
	panic("%s (vector %u, error code 0x%x) in the kernel, pc 0x%llx, %s", name, v,
	      (unsigned)tf->err, (unsigned long long)TF_PC(tf), proc_who(p, buf));
}
