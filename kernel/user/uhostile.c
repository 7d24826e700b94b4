/*
 * uhostile: a hostile user program. It attacks the kernel the way a
 * malicious program would, each attack in a forked child, and checks from
 * the parent that the child got the right error or was killed while
 * everything else went on. The instructions and the exceptions that must
 * kill them are each ISA's (arch/<family>/user/attack.h): this file names
 * only neutral kinds (KILLED_PRIV, KILLED_READ_PF...) and the features an
 * ISA may lack (ATTACK_HAS_*). It prints its results as a TAP subtest
 * (indented lines) and exits with the number of failed checks; the kernel's
 * own TAP line for the suite (kernel/core/main.c) judges that status and
 * that every frame came back.
 */
#include <arch/layout.h>
#include <arch/pte.h>

#include "ulib.h"
#include "attack.h"

#define PAGE 4096ul

/* Masking interrupts and halting are privileged instructions (KILLED_PRIV)
 * unless the ISA's attack.h says they trap with exceptions of their own
 * (aarch64: EC 0x18 and 0x01). */
#ifndef KILLED_IRQ_OFF
#define KILLED_IRQ_OFF KILLED_PRIV
#endif
#ifndef KILLED_HALT
#define KILLED_HALT KILLED_PRIV
#endif

static volatile int n_run, n_failed;

/* One subtest line: "    ok N - what" or "    not ok N - what". */
static void check(int ok, const char *what)
{
	n_run++;
	if (!ok)
		n_failed++;
	puts_(ok ? "    ok " : "    not ok ");
	putd((unsigned long)n_run);
	puts_(" - ");
	puts_(what);
	puts_("\n");
}

/* Run @fn in a forked child; return its wait() status, or -1. */
static int in_child(int (*fn)(void))
{
	long c = fork();
	if (c < 0)
		return -1;
	if (c == 0)
		exit(fn());
	int st = -1;
	return wait(&st) == c ? st : -1;
}

/* Is @p a -errno returned where a pointer was expected? */
static int is_err(const void *p)
{
	return (unsigned long)p > (unsigned long)-4096;
}

/* ---- hostile CPU state at kernel entry (x86: EFLAGS.DF) ---------------------- */

/* Frames full of fake page-table entries (present, writable, user, pointing
 * at the kernel image) are freed; then, with the CPU state the kernel must
 * not trust (ATTACK_TAINT_NAME), faults need new page
 * tables and new pages. Each must come zeroed: the neighbours of a touched
 * page stay not present and read as zeros too. */
static int taint_zero_pages(void)
{
	enum { DIRTY = 64 };
	uintptr_t *d = mmap(DIRTY * PAGE, MM_PROT_WRITE);
	if (is_err(d))
		return 2;
	for (unsigned long i = 0; i < DIRTY * PAGE / sizeof(*d); i++)
		d[i] = ATTACK_FAKE_PTE;
	if (munmap(d, DIRTY * PAGE) != 0)
		return 3;
	const unsigned long chunk = ARCH_ENTRIES * PAGE; /* one leaf table's reach */
	volatile unsigned char *q = mmap(4 * chunk, MM_PROT_WRITE);
	if (is_err((const void *)q))
		return 4;
	for (int k = 0; k < 4; k++)
		(void)read_tainted(q + k * chunk);
	for (int k = 0; k < 4; k++)
		for (unsigned long b = 0; b < 4 * PAGE; b++)
			if (q[k * chunk + b] != 0)
				return 5;
	return 0;
}

/* fork, mmap, munmap, sbrk, write and wait, each called with the tainted state. */
static int taint_syscalls(void)
{
	long c = syscall3_tainted(SYS_fork, 0, 0, 0);
	if (c == 0)
		exit(0);
	int st = -1;
	if (c < 0 || syscall3_tainted(SYS_wait, (long)&st, 0, 0) != c || st != 0)
		return 2;
	char *m = (char *)syscall3_tainted(SYS_mmap, 8 * PAGE, MM_PROT_WRITE, 0);
	if (is_err(m))
		return 3;
	for (int i = 0; i < 8; i++)
		write_tainted(m + i * PAGE, (unsigned char)(i + 1));
	for (int i = 0; i < 8; i++)
		for (unsigned long b = 1; b < PAGE; b++)
			if (m[i * PAGE + b] != 0 || m[i * PAGE] != i + 1)
				return 4;
	if (syscall3_tainted(SYS_munmap, (long)m, 8 * PAGE, 0) != 0)
		return 5;
	char *h = (char *)syscall3_tainted(SYS_sbrk, 3 * PAGE, 0, 0);
	if (is_err(h))
		return 6;
	for (unsigned long b = 0; b < 3 * PAGE; b++)
		if (h[b] != 0)
			return 7;
	if (syscall3_tainted(SYS_sbrk, -(long)(3 * PAGE), 0, 0) != (long)h + (long)(3 * PAGE))
		return 8;
	static const char msg[] = "# a write() with " ATTACK_TAINT_NAME "\n";
	if (syscall3_tainted(SYS_write, 1, (long)msg, sizeof(msg) - 1) != (long)sizeof(msg) - 1)
		return 9;
	return 0;
}

/* exec with the tainted state: uhello checks the argv, envp and auxv the kernel wrote. */
static int taint_exec(void)
{
	syscall3_tainted(SYS_exec, 1, 0, 0);
	return 9; /* exec failed */
}

/* The entry point, declared early: its address is the program's own text. */
int main(long arg);

/* ---- W^X ------------------------------------------------------------------ */

/* mprotect takes write permission away for real: the write after it is killed. */
static int wx_readonly_write(void)
{
	volatile char *m = mmap(PAGE, MM_PROT_WRITE);
	if (is_err((const void *)m))
		return 2;
	m[0] = 1;
	if (mprotect((void *)m, PAGE, MM_PROT_EXEC) != 0)
		return 3;
	if (m[0] != 1)
		return 4;
	m[0] = 2; /* killed */
	return 5;
}

/* W^X: no page is ever writable and executable at once. */
static void wx_attacks(void)
{
	check(mmap(PAGE, MM_PROT_WRITE | MM_PROT_EXEC) == (void *)(long)-EACCES,
	      "W^X: mmap(PROT_WRITE|PROT_EXEC) is refused with EACCES");
	char *x = mmap(PAGE, MM_PROT_EXEC), *w = mmap(PAGE, MM_PROT_WRITE);
	check(!is_err(x) && !is_err(w) &&
	              mprotect(x, PAGE, MM_PROT_WRITE | MM_PROT_EXEC) == -EACCES &&
	              mprotect(w, PAGE, MM_PROT_WRITE | MM_PROT_EXEC) == -EACCES,
	      "W^X: mprotect to PROT_WRITE|PROT_EXEC of an executable or a writable page: EACCES");
	void *text = (void *)((unsigned long)&main & ~(PAGE - 1));
	check(mprotect(text, PAGE, MM_PROT_WRITE | MM_PROT_EXEC) == -EACCES,
	      "W^X: mprotect of the program's own text to writable+executable: EACCES");
	check(mprotect(x, PAGE, MM_PROT_WRITE) == 0 && mprotect(x, PAGE, MM_PROT_EXEC) == 0 &&
	              mprotect(w, PAGE, 0) == 0,
	      "mprotect to W, then X, then read-only: each allowed");
	munmap(x, PAGE);
	munmap(w, PAGE);
	check(in_child(wx_readonly_write) == KILLED_WRITE_PF,
	      "a write after mprotect took write permission away is killed");
}

/* ---- bad system-call arguments -------------------------------------------- */

/* Stack reach the kernel gives (its USTACK_MAX_PAGES), then a guard page. */
#define STACK_REACH_PAGES 64ul

static const char rodata_msg[] = "rodata";

/* System calls with bad pointers, lengths, fds and numbers: each refused. */
static void syscall_args(void)
{
	static char buf[16] = "# bad pointers\n";
	char *gone = mmap(PAGE, MM_PROT_WRITE);
	munmap(gone, PAGE);
	const char *ktext = (const char *)(uintptr_t)ATTACK_KERNEL_TEXT;
	check(write(1, NULL, 8) == -EFAULT && write(1, gone, 8) == -EFAULT &&
	              write(1, ktext, 8) == -EFAULT,
	      "write() from NULL, an unmapped page, kernel text: EFAULT");
	check(write(1, (const void *)(uintptr_t)(ARCH_USER_END - 4), 8) == -EFAULT &&
	              write(1, (const void *)(uintptr_t)ARCH_USER_STACK_TOP, 8) == -EFAULT &&
	              wait((int *)(uintptr_t)(ARCH_USER_STACK_TOP - 2)) == -EFAULT,
	      "write() across the user/kernel boundary, above the stack top; wait() storing "
	      "across the stack top: EFAULT");
	check(write(1, buf, (size_t)-1) == -EFAULT &&
	              write(1, buf, (size_t)0 - (uintptr_t)buf) == -EFAULT &&
	              write(1, buf, (size_t)0 - (uintptr_t)buf + 4) == -EFAULT,
	      "write() with SIZE_MAX and wrapping lengths: EFAULT");
	char *two = mmap(2 * PAGE, MM_PROT_WRITE);
	static const char tail[] = "# partial\n";
	for (unsigned i = 0; i < sizeof(tail) - 1; i++)
		two[PAGE - (sizeof(tail) - 1) + i] = tail[i];
	munmap(two + PAGE, PAGE);
	check(write(1, two + PAGE - (sizeof(tail) - 1), 64) == (long)sizeof(tail) - 1,
	      "write() running into an unmapped page: the bytes before it are written and "
	      "counted");
	munmap(two, PAGE);
	check(write(7, buf, 4) == -EBADF && write(-1, buf, 4) == -EBADF,
	      "write() to bad fds: EBADF");
	check(wait((int *)(uintptr_t)ARCH_KERNEL_BASE) == -EFAULT &&
	              wait((int *)(uintptr_t)ATTACK_KERNEL_TEXT) == -EFAULT,
	      "wait() storing its status into the kernel: EFAULT");
	check(wait((int *)(uintptr_t)rodata_msg) == -EFAULT &&
	              wait((int *)(uintptr_t)&main) == -EFAULT,
	      "wait() storing its status into rodata or text (read-only): EFAULT");
	check(wait(NULL) == -ECHILD, "wait() without children: ECHILD");

	check(mmap(0, MM_PROT_WRITE) == (void *)(long)-EINVAL &&
	              is_err(mmap((unsigned long)-1, MM_PROT_WRITE)) &&
	              is_err(mmap((unsigned long)-1 - 100, MM_PROT_WRITE)) &&
	              is_err(mmap((unsigned long)-PAGE, MM_PROT_WRITE)) &&
	              mmap(PAGE, 8) == (void *)(long)-EINVAL,
	      "mmap() of 0, SIZE_MAX and wrapping lengths, bad protection: refused");
	volatile char *m = mmap(2 * PAGE, MM_PROT_WRITE);
	m[0] = 42;
	check(munmap((void *)m, (unsigned long)-1) < 0 &&
	              munmap((void *)m, (unsigned long)-1 - 100) < 0 &&
	              munmap((void *)(m + 1), PAGE) == -EINVAL && munmap((void *)m, 0) == -EINVAL &&
	              m[0] == 42,
	      "munmap() with SIZE_MAX, wrapping and zero lengths, unaligned: refused, the "
	      "mapping stays");
	check(munmap((void *)(uintptr_t)ARCH_KERNEL_BASE, PAGE) < 0 &&
	              munmap((void *)(uintptr_t)(ARCH_USER_END - PAGE), 2 * PAGE) < 0 &&
	              munmap((void *)(uintptr_t)ATTACK_KERNEL_IMAGE, PAGE) < 0 &&
	              mprotect((void *)(uintptr_t)ARCH_KERNEL_BASE, PAGE, MM_PROT_WRITE) < 0 &&
	              mprotect((void *)(uintptr_t)ATTACK_KERNEL_TEXT, PAGE, MM_PROT_WRITE) < 0 &&
	              mprotect((void *)m, (unsigned long)-1, 0) < 0 && m[0] == 42,
	      "munmap()/mprotect() of the kernel or across its boundary: refused");
	munmap((void *)m, 2 * PAGE);
	long big = (long)(~0ul >> 1);
	check(is_err(sbrk(big)) && is_err(sbrk(-big - 1)) && is_err(sbrk(-(long)PAGE * 1024)),
	      "sbrk() by LONG_MAX, LONG_MIN, below the heap's start: refused");
	check(syscall3(0, 0, 0, 0) == -ENOSYS && syscall3(99, 0, 0, 0) == -ENOSYS &&
	              syscall3(-1, 0, 0, 0) == -ENOSYS && syscall3(big, 0, 0, 0) == -ENOSYS &&
	              syscall3(-big - 1, 0, 0, 0) == -ENOSYS,
	      "system calls 0, 99, -1, LONG_MAX, LONG_MIN: ENOSYS");
	check(exec(99) == -EINVAL && exec(-1) == -EINVAL && kinfo(99, 0) == -EINVAL &&
	              kinfo(KINFO_PHYS, (long)ARCH_KERNEL_BASE) < 0,
	      "exec() of program 99 or -1, kinfo() of selector 99 or a kernel page: refused");
	check(write(1, buf, 15) == 15, "and system calls still work");
}

/* ---- memory --------------------------------------------------------------- */

/* Child: read page 0. */
static int null_read(void)
{
	/* The attack itself: a read of page 0, which the kernel must kill. */
	/* cppcheck-suppress nullPointer */
	return *(volatile int *)0; /* NOLINT(clang-analyzer-core.NullDereference): the attack */
}
/* Child: write page 0. */
static int null_write(void)
{
	/* The attack itself: a write to page 0, which the kernel must kill. */
	/* cppcheck-suppress nullPointer */
	*(volatile int *)0 = 1; /* NOLINT(clang-analyzer-core.NullDereference): the attack */
	return 99;
}
/* Child: read the kernel's text. */
static int kernel_read(void)
{
	return *(volatile int *)(uintptr_t)ATTACK_KERNEL_TEXT;
}
/* Child: write the kernel's image through its direct map. */
static int kernel_write(void)
{
	*(volatile int *)(uintptr_t)ATTACK_KERNEL_DIRECT = 1;
	return 99;
}
/* Child: write its own text. */
static int text_write(void)
{
	*(volatile char *)(uintptr_t)&main = 0;
	return 99;
}
/* Child: write its own rodata. */
static int rodata_write(void)
{
	*(volatile char *)(uintptr_t)rodata_msg = 0;
	return 99;
}
/* Child: call into the kernel's text. */
static int kernel_jump(void)
{
	attack_call((unsigned long)ATTACK_KERNEL_TEXT);
	return 99;
}
/* Child: read the stack within its reach (it grows: status 0). */
static int stack_in_reach(void)
{
	return *(volatile char *)(uintptr_t)(ARCH_USER_STACK_TOP -
	                                     (uint64_t)(STACK_REACH_PAGES - 4) * PAGE);
}
/* Child: read the stack's guard page. */
static int stack_guard(void)
{
	return *(volatile char *)(uintptr_t)(ARCH_USER_STACK_TOP -
	                                     (uint64_t)STACK_REACH_PAGES * PAGE - 8);
}
/* Child: read far below the stack. */
static int stack_far_below(void)
{
	return *(volatile char *)(uintptr_t)(ARCH_USER_STACK_TOP - (uint64_t)4096 * PAGE);
}
#ifdef ATTACK_NONCANONICAL
/* Child: read the first non-canonical address. */
static int noncanonical_read(void)
{
	return *(volatile char *)ATTACK_NONCANONICAL;
}
/* Child: call the first non-canonical address. */
static int noncanonical_jump(void)
{
	attack_call(ATTACK_NONCANONICAL);
	return 99;
}
#endif

/* Reads, writes and calls where the process has no such access: killed. */
static void memory_attacks(void)
{
	check(in_child(null_read) == KILLED_READ_PF && in_child(null_write) == KILLED_WRITE_PF,
	      "NULL read, NULL write: killed by a page fault");
	check(in_child(kernel_read) == KILLED_READ_PF && in_child(kernel_write) == KILLED_WRITE_PF,
	      "read of kernel text, write to the kernel's direct map: killed");
	check(in_child(text_write) == KILLED_WRITE_PF && in_child(rodata_write) == KILLED_WRITE_PF,
	      "write to own text, to own rodata: killed");
	check(in_child(kernel_jump) == KILLED_FETCH_PF, "a call into kernel text: killed");
	check(in_child(stack_in_reach) == 0 && in_child(stack_guard) == KILLED_READ_PF &&
	              in_child(stack_far_below) == KILLED_READ_PF,
	      "the stack grows within its reach; its guard page and below: killed");
#ifdef ATTACK_NONCANONICAL
	check(in_child(noncanonical_read) == KILLED_NONCANONICAL_READ &&
	              in_child(noncanonical_jump) == KILLED_NONCANONICAL_FETCH,
	      "read of, call to a non-canonical address: killed "
	      "by " ATTACK_NAMES_NONCANONICAL_KILL);
#else
	check(1, "# SKIP " ATTACK_NAMES_NO_NONCANONICAL);
#endif
}

/* ---- privileged instructions, gates, exceptions ---------------------------- */

#define CHILD(name, body)                                                                          \
	static int name(void)                                                                      \
	{                                                                                          \
		body;                                                                              \
		return 99;                                                                         \
	}
CHILD(do_irq_off, attack_irq_off())
CHILD(do_halt, attack_halt())
CHILD(do_write_root, attack_write_root())
CHILD(do_read_control, attack_read_control())
CHILD(do_set_trap_table, attack_set_trap_table())
CHILD(do_write_msr, attack_write_msr())
CHILD(do_flush_tlb, attack_flush_tlb())
CHILD(do_dev_exit, attack_dev_exit())
CHILD(do_dev_console, attack_dev_console())
CHILD(do_breakpoint, attack_breakpoint())
CHILD(do_undefined, attack_undefined())
CHILD(do_fpu, attack_fpu())
CHILD(do_simd, attack_simd())
#if ATTACK_HAS_IOPL
CHILD(do_popf_iopl, attack_popf_iopl())
#endif
#if ATTACK_HAS_INT_GATES
CHILD(do_int_pf, ATTACK_INT(14))
CHILD(do_int_df, ATTACK_INT(8))
CHILD(do_int_nmi, ATTACK_INT(2))
CHILD(do_int_timer, ATTACK_INT(32))
CHILD(do_int_irq15, ATTACK_INT(47))
CHILD(do_int_none, ATTACK_INT(0x81))
#endif
#if ATTACK_HAS_FAST_SYSCALL
CHILD(do_syscall_insn, attack_syscall_insn())
CHILD(do_sysenter, attack_sysenter())
#endif
#if ATTACK_HAS_SINGLE_STEP
CHILD(do_trap_flag, attack_trap_flag())
#endif

#if ATTACK_DIVIDE_TRAPS
CHILD(do_div0, attack_div0())
CHILD(do_idiv, attack_idiv_overflow())
#else
/* Division by zero and LONG_MIN / -1 do not trap: each attack checks the
 * ISA's defined results and returns 0 when they came out. */
static int do_div0(void)
{
	return attack_div0();
}
/* Child: LONG_MIN / -1 (see do_div0()). */
static int do_idiv(void)
{
	return attack_idiv_overflow();
}
#endif

/* The ISA's own attacks (ATTACK_ISA_EXTRAS in attack.h), each in a child. */
#define EXTRA_CHECK(fn, status, what) check(in_child(fn) == (status), what);

/* Privileged and special instructions, each in a child: killed as the ISA says. */
static void instruction_attacks(void)
{
	check(in_child(do_irq_off) == KILLED_IRQ_OFF && in_child(do_halt) == KILLED_HALT,
	      ATTACK_NAMES_IRQ_HALT ": killed by " ATTACK_EXC_PRIV);
	check(in_child(do_write_root) == KILLED_PRIV && in_child(do_read_control) == KILLED_PRIV &&
	              in_child(do_set_trap_table) == KILLED_PRIV &&
	              in_child(do_write_msr) == KILLED_PRIV &&
	              in_child(do_flush_tlb) == KILLED_PRIV,
	      ATTACK_NAMES_SYSTEM ": killed by " ATTACK_EXC_PRIV);
	check(in_child(do_dev_exit) == KILLED_DEVICE_WRITE &&
	              in_child(do_dev_console) == KILLED_DEVICE_READ,
	      ATTACK_NAMES_DEVICE ": killed by " ATTACK_EXC_DEVICE);
#if ATTACK_HAS_IOPL
	check(in_child(do_popf_iopl) == KILLED_PRIV && attack_popf_cli_ignored(),
	      "popf cannot raise IOPL (the out after it is killed) nor clear IF");
#else
	check(1, "# SKIP " ATTACK_NAMES_NO_IOPL);
#endif
	check(in_child(do_breakpoint) == KILLED_BREAKPOINT, ATTACK_NAMES_BREAK);
#if ATTACK_HAS_INT_GATES
	check(in_child(do_int_pf) == KILLED_GATE && in_child(do_int_df) == KILLED_GATE &&
	              in_child(do_int_nmi) == KILLED_GATE,
	      "int 14, int 8, int 2 (exception vectors): killed by #GP");
	check(in_child(do_int_timer) == KILLED_GATE && in_child(do_int_irq15) == KILLED_GATE &&
	              KILLED_NO_GATE(in_child(do_int_none)),
	      "int 32, int 47 (IRQ vectors), int 0x81 (no gate): killed");
#else
	check(1, "# SKIP " ATTACK_NAMES_NO_GATES);
#endif
#if ATTACK_HAS_FAST_SYSCALL
	check(in_child(do_syscall_insn) == KILLED_FAST_SYSCALL &&
	              KILLED_SYSENTER(in_child(do_sysenter)),
	      "the syscall and sysenter instructions (never enabled): killed");
#else
	check(1, "# SKIP " ATTACK_NAMES_NO_FASTCALL);
#endif
#if ATTACK_DIVIDE_TRAPS
	check(in_child(do_div0) == KILLED_DIVIDE && in_child(do_idiv) == KILLED_DIVIDE,
	      "divide by zero, LONG_MIN / -1: killed by #DE");
#else
	check(in_child(do_div0) == 0 && in_child(do_idiv) == 0,
	      "divide by zero, LONG_MIN / -1: no trap, the ISA's defined results");
#endif
	check(in_child(do_undefined) == KILLED_UNDEFINED, ATTACK_NAMES_UNDEFINED);
#if ATTACK_HAS_SINGLE_STEP
	check(in_child(do_trap_flag) == KILLED_SINGLE_STEP,
	      "single-stepping (EFLAGS.TF) into a system call: the debug trap kills in user mode");
#else
	check(1, "# SKIP " ATTACK_NAMES_NO_STEP);
#endif
	check(in_child(do_fpu) == KILLED_FPU && in_child(do_simd) == KILLED_SIMD, ATTACK_NAMES_FPU);
	ATTACK_ISA_EXTRAS(EXTRA_CHECK)
}

/* ---- execution from data (NX) ---------------------------------------------- */

static char data_code[16] __attribute__((aligned(4))) = ATTACK_RET_CODE;

/* Child: run a ret written on its stack. */
static int exec_stack(void)
{
	volatile unsigned char code[16] __attribute__((aligned(4)));
	attack_put_ret(code);
	attack_call((unsigned long)code);
	return 0;
}
/* Child: run a ret in its data. */
static int exec_data(void)
{
	attack_call((unsigned long)data_code);
	return 0;
}
/* Child: run a ret written on its heap. */
static int exec_heap(void)
{
	unsigned char *h = sbrk(PAGE);
	if (is_err(h))
		return 2;
	attack_put_ret(h);
	attack_call((unsigned long)h);
	return 0;
}
/* Child: run a ret written in a writable mmap'd page. */
static int exec_mmap(void)
{
	unsigned char *m = mmap(PAGE, MM_PROT_WRITE);
	if (is_err(m))
		return 2;
	attack_put_ret(m);
	attack_call((unsigned long)m);
	return 0;
}
/* Written, then made executable (never both): it runs. */
static int exec_after_mprotect(void)
{
	unsigned char *m = mmap(PAGE, MM_PROT_WRITE);
	if (is_err(m))
		return 2;
	attack_put_ret(m);
	if (mprotect(m, PAGE, MM_PROT_EXEC) != 0)
		return 3;
	attack_call((unsigned long)m);
	return 0;
}

/* Execution from writable memory: killed where the ISA has NX. */
static void nx_attacks(void)
{
#if ATTACK_HAS_NX
	check(in_child(exec_stack) == KILLED_FETCH_PF && in_child(exec_data) == KILLED_FETCH_PF &&
	              in_child(exec_heap) == KILLED_FETCH_PF &&
	              in_child(exec_mmap) == KILLED_FETCH_PF,
	      "NX: executing from the stack, data, heap, an mmap'd page: killed");
#else
	(void)exec_stack, (void)exec_data, (void)exec_heap, (void)exec_mmap;
	check(1, "# SKIP no NX with 32-bit paging: stack, data and heap are executable");
#endif
	check(in_child(exec_after_mprotect) == 0,
	      "a page written, then made executable with mprotect: it runs");
}

/* ---- fork bomb, out of memory, stale TLB ----------------------------------- */

/* A chain of forks, each parent waiting for its child and passing its
 * status up, until fork fails: it must fail with ENOMEM. */
static int fork_chain(void)
{
	for (;;) {
		long c = fork();
		if (c < 0)
			return c == -ENOMEM ? 0 : 2;
		if (c > 0) {
			int st = -1;
			exit(wait(&st) == c ? st : 3);
		}
	}
}

/* Touch fresh anonymous memory until the kernel runs out of frames: only
 * with at most 1 GiB free (filling 4 GiB takes a minute under TCG). */
#define OOM_MAX_FRAMES (1ul << 18)

/* Child: touch fresh anonymous pages until the kernel runs out. */
static int eat_memory(void)
{
	for (;;) {
		volatile char *m = mmap(4096 * PAGE, MM_PROT_WRITE);
		if (is_err((const void *)m))
			return 2;
		for (unsigned long i = 0; i < 4096; i++)
			m[i * PAGE] = 1;
	}
}

/* Child: read a page after munmap (its translation was in the TLB). */
static int read_after_munmap(void)
{
	volatile char *m = mmap(PAGE, MM_PROT_WRITE);
	m[0] = 1; /* now in the TLB */
	munmap((void *)m, PAGE);
	return m[0];
}
/* Child: read a heap page after sbrk gave it back. */
static int read_after_sbrk_shrink(void)
{
	volatile char *h = sbrk(PAGE);
	h[0] = 1;
	sbrk(-(long)PAGE);
	return h[0];
}

static volatile unsigned long fork_cell;

/* The parent writes right after fork, while the TLB may still hold the
 * page writable: the child must still see the value at fork. */
static int write_after_fork(void)
{
	fork_cell = 1;
	long c = fork();
	if (c == 0) {
		for (int i = 0; i < 3; i++)
			yield();
		exit(fork_cell == 1 ? 0 : 4);
	}
	fork_cell = 2;
	int st = -1;
	if (c < 0 || wait(&st) != c)
		return 2;
	return st == 0 && fork_cell == 2 ? 0 : 3;
}

/* Fork bomb, out of memory, stale TLB entries, COW right after fork. */
static void resource_attacks(void)
{
	long f0 = kinfo(KINFO_FREE_FRAMES, 0);
	check(in_child(fork_chain) == 0 && kinfo(KINFO_FREE_FRAMES, 0) == f0,
	      "fork bomb: fork fails with ENOMEM, every process is reaped, every frame back");
	if ((unsigned long)f0 <= OOM_MAX_FRAMES)
		check(in_child(eat_memory) == KILLED_WRITE_PF && kinfo(KINFO_FREE_FRAMES, 0) == f0,
		      "out of memory: the toucher is killed, every frame comes back");
	else
		check(1, "# SKIP out of memory: more than 1 GiB free, too slow to fill under TCG");
	check(in_child(read_after_munmap) == KILLED_READ_PF &&
	              in_child(read_after_sbrk_shrink) == KILLED_READ_PF,
	      "a read after munmap, after sbrk shrank the heap: killed (no stale TLB entry)");
	check(in_child(write_after_fork) == 0,
	      "a write right after fork copies: the child sees the value at fork");
}

/* The program's text and rodata (kernel/user/user.ld). */
extern const char __image_ro_start[], __image_ro_end[];

/* Fault in every page of the program's own text and rodata now, by reading
 * it: code that a check runs for the first time must not look like a frame
 * the kernel kept (the pages a compiler puts that code on differ by ISA). */
static void fault_in_image(void)
{
	for (uintptr_t va = (uintptr_t)__image_ro_start; va < (uintptr_t)__image_ro_end; va += PAGE)
		(void)*(const volatile char *)va;
}

/* Run every attack; return the number of failed checks. */
int main(long arg)
{
	(void)arg;
	puts_("# Subtest: hostile user program\n");
	n_run = n_failed = 0; /* fault in .bss now: the frame counts below stay steady */
	fault_in_image();
	long free0 = kinfo(KINFO_FREE_FRAMES, 0);

	check(in_child(taint_zero_pages) == 0,
	      ATTACK_TAINT_NAME " at page faults: new pages and new page tables come zeroed");
	check(in_child(taint_syscalls) == 0,
	      ATTACK_TAINT_NAME " at fork, wait, mmap, munmap, sbrk, write: each works");
	check(in_child(taint_exec) == 0,
	      ATTACK_TAINT_NAME " at exec: the new image's stack is intact");
	check(kinfo(KINFO_FREE_FRAMES, 0) == free0,
	      "every frame came back after the " ATTACK_TAINT_NAME " attacks");
	wx_attacks();
	syscall_args();
	memory_attacks();
	instruction_attacks();
	nx_attacks();
	resource_attacks();

	puts_("    1..");
	putd((unsigned long)n_run);
	puts_("\n");
	return n_failed;
}
