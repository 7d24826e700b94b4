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

/* Status of a child killed by a fault (the kernel's EXIT_KILLED). */
static int killed(int st)
{
	return st >= 0x100 && st < 0x200;
}

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
	check(killed(in_child(wx_readonly_write)),
	      "a write after mprotect took write permission away is killed");
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

	puts_("    1..");
	putd((unsigned long)n_run);
	puts_("\n");
	return n_failed;
}
