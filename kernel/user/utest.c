/*
 * utest: the user program of the in-kernel tests. The kernel starts it
 * with one argument, the test to play; its exit status is the verdict
 * (0 = the property held), or it is killed by a fault on purpose.
 */
#include <arch/layout.h>
#include <arch/pte.h>

#include "ulib.h"

#define PAGE 4096

enum {
	T_HELLO = 1,
	T_ISOLATION = 2,
	T_SYSCALL = 3,
	T_READ_KERNEL = 4,
	T_WRITE_TEXT = 5,
	T_OTHERS_PAGE = 6,
	T_OWN_PAGE = 7,
	T_FORK = 8,
	T_FORK_EXIT_1000 = 9,
	T_SBRK = 10,
	T_SPIN = 11,
	T_SPAWN = 12,
	T_COW = 13,
	T_STACK_64K = 14,
	T_STACK_OVERFLOW = 15,
	T_MMAP = 16,
	T_EXEC = 17,
	T_THP = 18,
	T_HIGHMEM = 19,
};
#define OTHER_VA 0x70000000ul /* mapped by the kernel in T_OWN_PAGE only */

static volatile unsigned long cell; /* .bss: the same VA in every process */
static volatile unsigned long shared_at_fork = 1;

/* Deep recursion, 1 KiB a frame: far past the stack's 256 KiB reach, so
 * it runs into the guard page long before the bound. */
static int recurse(int depth)
{
	volatile char frame[1024];
	if (depth > (1 << 20))
		return 0;
	frame[0] = (char)depth;
	return recurse(depth + 1) + frame[0];
}

int main(long test);
int main(long test)
{
	long pid = getpid();
	switch (test) {
	case T_HELLO:
		puts_("# hello from user mode, pid ");
		putx((unsigned long)pid);
		puts_("\n");
		return 0;
	case T_ISOLATION: {
		cell = 0xC0DE0000ul + (unsigned long)pid;
		for (int i = 0; i < 20; i++)
			yield(); /* let the other instance write its own value */
		long pfn = kinfo(KINFO_PHYS, (long)&cell);
		puts_("# pid ");
		putx((unsigned long)pid);
		puts_(": cell at va ");
		putx((unsigned long)&cell);
		puts_(" pfn ");
		putx((unsigned long)pfn);
		puts_(" holds ");
		putx(cell);
		puts_("\n");
		if (cell != 0xC0DE0000ul + (unsigned long)pid)
			return 1;
		return pfn == -EINVAL ? 2 : 0; /* 2: KINFO_PHYS refused (not a test kernel) */
	}
	case T_SYSCALL: {
		/* A system call reaches kernel code (write) and data (counters). */
		static const char msg[] = "# a system call reached the kernel\n";
		long n = write(1, msg, sizeof(msg) - 1);
		long frames = kinfo(KINFO_FREE_FRAMES, 0);
		long bad = write(1, (const void *)(uintptr_t)ARCH_KERNEL_BASE, 8); /* refused */
		return n == (long)sizeof(msg) - 1 && pid > 0 && frames > 0 && bad < 0 ? 0 : 1;
	}
	case T_READ_KERNEL:
		return *(volatile int *)(uintptr_t)(ARCH_DIRECT_MAP_BASE + 0x100000); /* killed */
	case T_WRITE_TEXT:
		/* The test is this write to the read-only text: GCC's -fanalyzer
		 * rightly sees a write to a function (clang has no such warning). */
#ifndef __clang__
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-write-to-const"
#endif
		*(volatile unsigned char *)(uintptr_t)&main = 0xCC; /* killed */
#ifndef __clang__
#pragma GCC diagnostic pop
#endif
		return 1;
	case T_OTHERS_PAGE:
		return *(volatile int *)OTHER_VA; /* killed: only another process maps it */
	case T_OWN_PAGE:
		for (int i = 0; i < 5; i++)
			yield();
		*(volatile int *)OTHER_VA = 7;
		return *(volatile int *)OTHER_VA == 7 ? 0 : 1;
	case T_FORK: {
		shared_at_fork = 42;
		long child = fork();
		if (child < 0)
			return 2;
		if (child == 0) {
			int ok = shared_at_fork == 42; /* the parent's data at fork */
			shared_at_fork = 43;           /* then its own */
			exit(ok && shared_at_fork == 43 ? 0 : 3);
		}
		int st = -1;
		long got = wait(&st);
		return got == child && st == 0 && shared_at_fork == 42 ? 0 : 4;
	}
	case T_FORK_EXIT_1000:
		for (int i = 0; i < 1000; i++) {
			long child = fork();
			if (child < 0)
				return 2;
			if (child == 0)
				exit(7);
			int st = -1;
			if (wait(&st) != child || st != 7)
				return 3;
		}
		return 0;
	case T_SBRK: {
		volatile char *p = sbrk(3 * PAGE + 100);
		if ((long)p < 0)
			return 2;
		for (int i = 0; i < 3 * PAGE + 100; i++)
			p[i] = (char)i;
		for (int i = 0; i < 3 * PAGE + 100; i++)
			if (p[i] != (char)i)
				return 3;
		return (long)sbrk(-(3 * PAGE + 100)) == (long)p + 3L * PAGE + 100 ? 0 : 4;
	}
	case T_SPAWN: {
		/* A space made while this one runs: its user half starts empty, so
		 * the child's program loads where this one's already is. */
		long child = spawn(T_HELLO);
		int st = -1;
		return child > 0 && wait(&st) == child && st == 0 ? 0 : 1;
	}
	case T_COW: {
		/* After fork the page is shared (same frame). The child writes
		 * first, while the parent waits: its write copies. The parent,
		 * then alone with the frame, takes it over in place. */
		/* Frames are compared only where the kernel tells them (a TEST
		 * ONLY kernel: KINFO_PHYS); the values everywhere. */
		cell = 1;
		long pa0 = kinfo(KINFO_PHYS, (long)&cell);
		int phys = pa0 != -EINVAL;
		long child = fork();
		if (child == 0) {
			int shared = (!phys || kinfo(KINFO_PHYS, (long)&cell) == pa0) && cell == 1;
			cell = 2;
			int copied = (!phys || kinfo(KINFO_PHYS, (long)&cell) != pa0) && cell == 2;
			exit(shared && copied ? 0 : 1);
		}
		int st = -1;
		long got = wait(&st);
		int own = cell == 1; /* untouched by the child's write */
		cell = 3;
		int reused = (!phys || kinfo(KINFO_PHYS, (long)&cell) == pa0) && cell == 3;
		return got == child && st == 0 && own && reused ? 0 : 1;
	}
	case T_STACK_64K: {
		/* 64 KiB of locals: the stack grows down, page by page, on fault. */
		volatile char big[64 * 1024];
		for (long i = (long)sizeof(big) - 1; i >= 0; i -= 512)
			big[i] = (char)i;
		long sum = 0;
		for (long i = 0; i < (long)sizeof(big); i += 512)
			sum += big[i + 511] == (char)(i + 511);
		return sum == (long)sizeof(big) / 512 ? 0 : 1;
	}
	case T_STACK_OVERFLOW: return recurse(0); /* killed in the guard page */
	case T_MMAP: {
		char *p = mmap(4ul * PAGE, 2 /* MM_PROT_WRITE */);
		if ((unsigned long)p > (unsigned long)-4096) /* -errno */
			return 2;
		for (int i = 0; i < 4; i++)
			p[(long)i * PAGE] = (char)(10 + i);
		if (munmap(p + PAGE, PAGE) != 0) /* a sub-range: splits the region */
			return 3;
		if (p[0] != 10 || p[2L * PAGE] != 12 || p[3L * PAGE] != 13)
			return 4;
		long child = fork();
		if (child == 0)
			exit(p[PAGE]); /* unmapped: killed */
		int st = -1;
		return wait(&st) == child && USER_KILLED_BY_PF(st) ? 0 : 5;
	}
	case T_THP: {
		/* Transparent huge pages (a kernel booted with thp=on): the
		 * first touch of anonymous memory maps the whole aligned large
		 * page around it, zeroed, on one aligned run of physically
		 * contiguous frames (checked where the kernel tells frames:
		 * KINFO_PHYS); after fork a write copies 4 KiB, the rest stays
		 * shared. */
		unsigned long big = (unsigned long)kinfo(KINFO_THP, 0);
		if (big == 0)
			return 3; /* off */
		char *m = mmap(2 * big, 2 /* MM_PROT_WRITE */);
		if ((unsigned long)m > (unsigned long)-4096) /* -errno */
			return 2;
		volatile char *a = (char *)(((unsigned long)m + big - 1) & ~(big - 1));
		a[0] = 1;
		long pfn0 = kinfo(KINFO_PHYS, (long)a); /* a PFN */
		int phys = pfn0 != -EINVAL;
		if (phys && ((unsigned long)pfn0 & (big / PAGE - 1)))
			return 4;
		for (unsigned long off = PAGE; off < big; off += PAGE) {
			if (a[off] != 0)
				return 5;
			if (phys && kinfo(KINFO_PHYS, (long)(a + off)) != pfn0 + (long)(off / PAGE))
				return 6;
		}
		long child = fork();
		if (child == 0) {
			a[PAGE] = 2;
			int copied = !phys || kinfo(KINFO_PHYS, (long)(a + PAGE)) != pfn0 + 1;
			int rest = !phys || kinfo(KINFO_PHYS, (long)(a + 2L * PAGE)) == pfn0 + 2;
			exit(copied && rest && a[0] == 1 && a[PAGE] == 2 ? 0 : 1);
		}
		int st = -1;
		if (wait(&st) != child || st != 0)
			return 7;
		if (a[PAGE] != 0 || (phys && kinfo(KINFO_PHYS, (long)(a + PAGE)) != pfn0 + 1))
			return 8;
		return munmap(m, 2 * big) == 0 ? 0 : 9;
	}
	case T_HIGHMEM: {
		/* High memory (a 32-bit kernel with RAM above its direct map):
		 * user frames come from there first, zero-filled through the
		 * kernel's temporary mappings; a write after fork copies one
		 * high frame to another (two temporary mappings at once), and
		 * each side keeps its own bytes. 3: the kernel has none. */
		long base = kinfo(KINFO_HIGHMEM, 0);
		if (base == 0)
			return 3;
		char *m = mmap(2L * PAGE, 2 /* MM_PROT_WRITE */);
		if ((unsigned long)m > (unsigned long)-4096) /* -errno */
			return 2;
		volatile unsigned long *w = (unsigned long *)m;
		const unsigned long n = PAGE / sizeof(unsigned long);
		for (unsigned long i = 0; i < n; i++)
			if (w[i] != 0)
				return 4;
		for (unsigned long i = 0; i < n; i++)
			w[i] = 0x5EED0000ul + i;
		long pfn = kinfo(KINFO_PHYS, (long)m);
		int phys = pfn != -EINVAL;
		if (phys && pfn < base)
			return 5;
		long child = fork();
		if (child == 0) {
			w[1] = 7;
			long cpfn = kinfo(KINFO_PHYS, (long)m);
			int ok = w[1] == 7 && w[0] == 0x5EED0000ul &&
			         w[n - 1] == 0x5EED0000ul + n - 1;
			exit(ok && (!phys || (cpfn != pfn && cpfn >= base)) ? 0 : 1);
		}
		int st = -1;
		if (wait(&st) != child || st != 0)
			return 6;
		for (unsigned long i = 0; i < n; i++)
			if (w[i] != 0x5EED0000ul + i)
				return 7;
		if (phys && kinfo(KINFO_PHYS, (long)m) != pfn)
			return 8;
		return munmap(m, 2L * PAGE) == 0 ? 0 : 9;
	}
	case T_EXEC:
		exec(1); /* uhello; returns only on failure */
		return 9;
	case T_SPIN: {
		/* Never yields: only the timer can let the others run. */
		long t0 = kinfo(KINFO_TICKS, 0);
		while (kinfo(KINFO_TICKS, 0) < t0 + 10)
			;
		return 0;
	}
	}
	return 99;
}
