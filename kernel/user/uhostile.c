/*
 * uhostile: a hostile user program. It attacks the kernel the way a
 * malicious program would, each attack in a forked child, and checks from
 * the parent that the child got the right error or was killed while
 * everything else went on. It prints its results as a TAP subtest
 * (indented lines) and exits with the number of failed checks; the kernel's
 * own TAP line for the suite (kernel/core/main.c) judges that status and
 * that every frame came back.
 */
#include <arch/layout.h>
#include <arch/pte.h>

#include "attack.h"
#include "ulib.h"

#define PAGE 4096ul

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

static int is_err(const void *p)
{
	return (unsigned long)p > (unsigned long)-4096;
}

/* ---- EFLAGS.DF ------------------------------------------------------------ */

/* Frames full of fake page-table entries (present, writable, user, pointing
 * at the kernel image) are freed; then, with DF set, faults need new page
 * tables and new pages. Each must come zeroed: the neighbours of a touched
 * page stay not present and read as zeros too. */
static int df_zero_pages(void)
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
		(void)read_df(q + k * chunk);
	for (int k = 0; k < 4; k++)
		for (unsigned long b = 0; b < 4 * PAGE; b++)
			if (q[k * chunk + b] != 0)
				return 5;
	return 0;
}

/* fork, mmap, munmap, sbrk, write and wait, each called with DF set. */
static int df_syscalls(void)
{
	long c = syscall3_df(SYS_fork, 0, 0, 0);
	if (c == 0)
		exit(0);
	int st = -1;
	if (c < 0 || syscall3_df(SYS_wait, (long)&st, 0, 0) != c || st != 0)
		return 2;
	char *m = (char *)syscall3_df(SYS_mmap, 8 * PAGE, MM_PROT_WRITE, 0);
	if (is_err(m))
		return 3;
	for (int i = 0; i < 8; i++)
		write_df(m + i * PAGE, (unsigned char)(i + 1));
	for (int i = 0; i < 8; i++)
		for (unsigned long b = 1; b < PAGE; b++)
			if (m[i * PAGE + b] != 0 || m[i * PAGE] != i + 1)
				return 4;
	if (syscall3_df(SYS_munmap, (long)m, 8 * PAGE, 0) != 0)
		return 5;
	char *h = (char *)syscall3_df(SYS_sbrk, 3 * PAGE, 0, 0);
	if (is_err(h))
		return 6;
	for (unsigned long b = 0; b < 3 * PAGE; b++)
		if (h[b] != 0)
			return 7;
	if (syscall3_df(SYS_sbrk, -(long)(3 * PAGE), 0, 0) != (long)h + (long)(3 * PAGE))
		return 8;
	static const char msg[] = "# a write() with DF set\n";
	if (syscall3_df(SYS_write, 1, (long)msg, sizeof(msg) - 1) != (long)sizeof(msg) - 1)
		return 9;
	return 0;
}

/* exec with DF set: uhello checks the argv, envp and auxv the kernel wrote. */
static int df_exec(void)
{
	syscall3_df(SYS_exec, 1, 0, 0);
	return 9; /* exec failed */
}

int main(long arg);

/* ---- W^X ------------------------------------------------------------------ */

/* The wait() status of a child the kernel killed for exception @vec. */
#define KILLED(vec) (0x100 | (vec))

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
	check(in_child(wx_readonly_write) == KILLED(VEC_PF),
	      "a write after mprotect took write permission away is killed");
}

/* ---- bad system-call arguments -------------------------------------------- */

/* Stack reach the kernel gives (its USTACK_MAX_PAGES), then a guard page. */
#define STACK_REACH_PAGES 64ul

static const char rodata_msg[] = "rodata";

static void syscall_args(void)
{
	static char buf[16] = "# bad pointers\n";
	char *gone = mmap(PAGE, MM_PROT_WRITE);
	munmap(gone, PAGE);
	const char *ktext = (const char *)(uintptr_t)(ARCH_KERNEL_IMAGE_BASE + 0x101000);
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
	              wait((int *)(uintptr_t)(ARCH_KERNEL_IMAGE_BASE + 0x101000)) == -EFAULT,
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
	              munmap((void *)(uintptr_t)(ARCH_KERNEL_IMAGE_BASE + 0x100000), PAGE) < 0 &&
	              mprotect((void *)(uintptr_t)ARCH_KERNEL_BASE, PAGE, MM_PROT_WRITE) < 0 &&
	              mprotect((void *)(uintptr_t)(ARCH_KERNEL_IMAGE_BASE + 0x101000), PAGE,
	                       MM_PROT_WRITE) < 0 &&
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

static int null_read(void)
{
	/* The attack itself: a read of page 0, which the kernel must kill. */
	/* cppcheck-suppress nullPointer */
	return *(volatile int *)0; /* NOLINT(clang-analyzer-core.NullDereference): the attack */
}
static int null_write(void)
{
	/* The attack itself: a write to page 0, which the kernel must kill. */
	/* cppcheck-suppress nullPointer */
	*(volatile int *)0 = 1; /* NOLINT(clang-analyzer-core.NullDereference): the attack */
	return 99;
}
static int kernel_read(void)
{
	return *(volatile int *)(uintptr_t)(ARCH_KERNEL_IMAGE_BASE + 0x101000);
}
static int kernel_write(void)
{
	*(volatile int *)(uintptr_t)(ARCH_DIRECT_MAP_BASE + 0x100000) = 1;
	return 99;
}
static int text_write(void)
{
	*(volatile char *)(uintptr_t)&main = 0;
	return 99;
}
static int rodata_write(void)
{
	*(volatile char *)(uintptr_t)rodata_msg = 0;
	return 99;
}
static int kernel_jump(void)
{
	attack_call((unsigned long)(ARCH_KERNEL_IMAGE_BASE + 0x101000));
	return 99;
}
static int stack_in_reach(void)
{
	return *(volatile char *)(uintptr_t)(ARCH_USER_STACK_TOP -
	                                     (uint64_t)(STACK_REACH_PAGES - 4) * PAGE);
}
static int stack_guard(void)
{
	return *(volatile char *)(uintptr_t)(ARCH_USER_STACK_TOP -
	                                     (uint64_t)STACK_REACH_PAGES * PAGE - 8);
}
static int stack_far_below(void)
{
	return *(volatile char *)(uintptr_t)(ARCH_USER_STACK_TOP - (uint64_t)4096 * PAGE);
}
#ifdef ATTACK_NONCANONICAL
static int noncanonical_read(void)
{
	return *(volatile char *)ATTACK_NONCANONICAL;
}
static int noncanonical_jump(void)
{
	attack_call(ATTACK_NONCANONICAL);
	return 99;
}
#endif

static void memory_attacks(void)
{
	check(in_child(null_read) == KILLED(VEC_PF) && in_child(null_write) == KILLED(VEC_PF),
	      "NULL read, NULL write: killed by a page fault");
	check(in_child(kernel_read) == KILLED(VEC_PF) && in_child(kernel_write) == KILLED(VEC_PF),
	      "read of kernel text, write to the kernel's direct map: killed");
	check(in_child(text_write) == KILLED(VEC_PF) && in_child(rodata_write) == KILLED(VEC_PF),
	      "write to own text, to own rodata: killed");
	check(in_child(kernel_jump) == KILLED(VEC_PF), "a call into kernel text: killed");
	check(in_child(stack_in_reach) == 0 && in_child(stack_guard) == KILLED(VEC_PF) &&
	              in_child(stack_far_below) == KILLED(VEC_PF),
	      "the stack grows within its reach; its guard page and below: killed");
#ifdef ATTACK_NONCANONICAL
	check(in_child(noncanonical_read) == KILLED(VEC_GP) &&
	              in_child(noncanonical_jump) == KILLED(VEC_GP),
	      "read of, call to a non-canonical address: killed by #GP");
#else
	check(1, "# SKIP no non-canonical addresses with 32-bit paging");
#endif
}

/* ---- privileged instructions, gates, exceptions ---------------------------- */

#define CHILD(name, body)                                                                          \
	static int name(void)                                                                      \
	{                                                                                          \
		body;                                                                              \
		return 99;                                                                         \
	}
CHILD(do_cli, attack_cli())
CHILD(do_hlt, attack_hlt())
CHILD(do_cr3, attack_write_cr3())
CHILD(do_cr0, attack_read_cr0())
CHILD(do_out_exit, attack_out(ATTACK_EXIT_PORT, 0))
CHILD(do_in_com1, attack_in(ATTACK_COM1_PORT))
CHILD(do_lidt, attack_lidt())
CHILD(do_wrmsr, attack_wrmsr())
CHILD(do_invlpg, attack_invlpg())
CHILD(do_popf_iopl, attack_popf_iopl())
CHILD(do_int_pf, ATTACK_INT(14))
CHILD(do_int_df, ATTACK_INT(8))
CHILD(do_int_nmi, ATTACK_INT(2))
CHILD(do_int3, attack_int3())
CHILD(do_int_timer, ATTACK_INT(32))
CHILD(do_int_irq15, ATTACK_INT(47))
CHILD(do_int_none, ATTACK_INT(0x81))
CHILD(do_syscall_insn, attack_syscall_insn())
CHILD(do_sysenter, attack_sysenter())
CHILD(do_ud2, attack_ud2())
CHILD(do_fpu, attack_fpu())
CHILD(do_trap_flag, attack_trap_flag())
CHILD(do_sse, attack_sse())
CHILD(do_div0, attack_div0())
CHILD(do_idiv, attack_idiv_overflow())

static int gp_or_np(int st)
{
	return st == KILLED(VEC_GP) || st == KILLED(VEC_NP);
}

static void instruction_attacks(void)
{
	check(in_child(do_cli) == KILLED(VEC_GP) && in_child(do_hlt) == KILLED(VEC_GP),
	      "cli, hlt: killed by #GP");
	check(in_child(do_cr3) == KILLED(VEC_GP) && in_child(do_cr0) == KILLED(VEC_GP) &&
	              in_child(do_lidt) == KILLED(VEC_GP) && in_child(do_wrmsr) == KILLED(VEC_GP) &&
	              in_child(do_invlpg) == KILLED(VEC_GP),
	      "mov to CR3, mov from CR0, lidt, wrmsr, invlpg: killed by #GP");
	check(in_child(do_out_exit) == KILLED(VEC_GP) && in_child(do_in_com1) == KILLED(VEC_GP),
	      "out to QEMU's exit port, in from COM1: killed by #GP");
	check(in_child(do_popf_iopl) == KILLED(VEC_GP) && attack_popf_cli_ignored(),
	      "popf cannot raise IOPL (the out after it is killed) nor clear IF");
	check(in_child(do_int_pf) == KILLED(VEC_GP) && in_child(do_int_df) == KILLED(VEC_GP) &&
	              in_child(do_int_nmi) == KILLED(VEC_GP) && in_child(do_int3) == KILLED(VEC_GP),
	      "int 14, int 8, int 2, int3 (exception vectors): killed by #GP");
	check(in_child(do_int_timer) == KILLED(VEC_GP) &&
	              in_child(do_int_irq15) == KILLED(VEC_GP) && gp_or_np(in_child(do_int_none)),
	      "int 32, int 47 (IRQ vectors), int 0x81 (no gate): killed");
	int se = in_child(do_sysenter);
	check(in_child(do_syscall_insn) == KILLED(VEC_UD) &&
	              (se == KILLED(VEC_UD) || se == KILLED(VEC_GP)),
	      "the syscall and sysenter instructions (never enabled): killed");
	check(in_child(do_div0) == KILLED(VEC_DE) && in_child(do_idiv) == KILLED(VEC_DE),
	      "divide by zero, LONG_MIN / -1: killed by #DE");
	check(in_child(do_ud2) == KILLED(VEC_UD), "ud2: killed by #UD");
	check(in_child(do_trap_flag) == KILLED(VEC_DB),
	      "single-stepping (EFLAGS.TF) into a system call: the debug trap kills in user mode");
	check(in_child(do_fpu) == KILLED(VEC_NM) && in_child(do_sse) == KILLED(VEC_UD),
	      "x87 (#NM) and SSE (#UD) instructions, whose registers the kernel does not "
	      "switch: killed");
}

/* ---- execution from data (NX) ---------------------------------------------- */

static char data_code[16] = { ATTACK_RET_OPCODE };

static int exec_stack(void)
{
	volatile unsigned char code[16];
	code[0] = ATTACK_RET_OPCODE;
	attack_call((unsigned long)code);
	return 0;
}
static int exec_data(void)
{
	attack_call((unsigned long)data_code);
	return 0;
}
static int exec_heap(void)
{
	unsigned char *h = sbrk(PAGE);
	if (is_err(h))
		return 2;
	h[0] = ATTACK_RET_OPCODE;
	attack_call((unsigned long)h);
	return 0;
}
static int exec_mmap(void)
{
	unsigned char *m = mmap(PAGE, MM_PROT_WRITE);
	if (is_err(m))
		return 2;
	m[0] = ATTACK_RET_OPCODE;
	attack_call((unsigned long)m);
	return 0;
}
/* Written, then made executable (never both): it runs. */
static int exec_after_mprotect(void)
{
	unsigned char *m = mmap(PAGE, MM_PROT_WRITE);
	if (is_err(m))
		return 2;
	m[0] = ATTACK_RET_OPCODE;
	if (mprotect(m, PAGE, MM_PROT_EXEC) != 0)
		return 3;
	attack_call((unsigned long)m);
	return 0;
}

static void nx_attacks(void)
{
#if ATTACK_HAS_NX
	check(in_child(exec_stack) == KILLED(VEC_PF) && in_child(exec_data) == KILLED(VEC_PF) &&
	              in_child(exec_heap) == KILLED(VEC_PF) &&
	              in_child(exec_mmap) == KILLED(VEC_PF),
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

static int read_after_munmap(void)
{
	volatile char *m = mmap(PAGE, MM_PROT_WRITE);
	m[0] = 1; /* now in the TLB */
	munmap((void *)m, PAGE);
	return m[0];
}
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

static void resource_attacks(void)
{
	long f0 = kinfo(KINFO_FREE_FRAMES, 0);
	check(in_child(fork_chain) == 0 && kinfo(KINFO_FREE_FRAMES, 0) == f0,
	      "fork bomb: fork fails with ENOMEM, every process is reaped, every frame back");
	if ((unsigned long)f0 <= OOM_MAX_FRAMES)
		check(in_child(eat_memory) == KILLED(VEC_PF) && kinfo(KINFO_FREE_FRAMES, 0) == f0,
		      "out of memory: the toucher is killed, every frame comes back");
	else
		check(1, "# SKIP out of memory: more than 1 GiB free, too slow to fill under TCG");
	check(in_child(read_after_munmap) == KILLED(VEC_PF) &&
	              in_child(read_after_sbrk_shrink) == KILLED(VEC_PF),
	      "a read after munmap, after sbrk shrank the heap: killed (no stale TLB entry)");
	check(in_child(write_after_fork) == 0,
	      "a write right after fork copies: the child sees the value at fork");
}

int main(long arg)
{
	(void)arg;
	puts_("# Subtest: hostile user program\n");
	n_run = n_failed = 0; /* fault in .bss now: the frame counts below stay steady */
	long free0 = kinfo(KINFO_FREE_FRAMES, 0);

	check(in_child(df_zero_pages) == 0,
	      "DF set at page faults: new pages and new page tables come zeroed");
	check(in_child(df_syscalls) == 0,
	      "DF set at fork, wait, mmap, munmap, sbrk, write: each works");
	check(in_child(df_exec) == 0, "DF set at exec: the new image's stack is intact");
	check(kinfo(KINFO_FREE_FRAMES, 0) == free0, "every frame came back after the DF attacks");
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
