/*
 * kernel/proc.h - processes, each in its own mm-core address space, a
 * preemptive round-robin scheduler, and the system calls.
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <kernel/arch.h>
#include <kernel/kernel.h>

#include "cpu.h"

#define NPROC            64
#define KSTACK_SIZE      8192
#define EXIT_KILLED      0x100 /* a process killed by exception v exits with EXIT_KILLED | v */
#define USTACK_MAX_PAGES 64    /* a stack's reach: 256 KiB, then a guard page */

enum proc_state { P_UNUSED, P_RUNNABLE, P_RUNNING, P_BLOCKED, P_ZOMBIE };

struct proc {
	int pid;
	enum proc_state state;
	const char *name;
	struct mm_space *space;  /* one of slot[]; NULL for the idle process */
	struct mm_space slot[2]; /* exec builds the new image in the other slot */
	uintptr_t ksp;           /* saved kernel stack pointer (swtch) */
	uint8_t *kstack;         /* KSTACK_SIZE bytes; NULL for idle */
	struct trapframe *tf;    /* user registers, at the top of kstack */
	struct proc *parent;
	int status;          /* exit status, for wait() */
	mm_paddr_t probe_pa; /* last KINFO_PHYS answer (TEST ONLY kernels) */
};

/* System call numbers (int 0x80). */
enum {
	SYS_write = 1,
	SYS_getpid = 2,
	SYS_fork = 3,
	SYS_exit = 4,
	SYS_wait = 5,
	SYS_yield = 6,
	SYS_sbrk = 7,
	SYS_kinfo = 8, /* test support: read a kernel counter */
	SYS_spawn = 9, /* start the built-in program as a child */
	SYS_mmap = 10,
	SYS_munmap = 11,
	SYS_exec = 12, /* replace the image with built-in program N */
	SYS_mprotect = 13,
};
/* Error numbers the system calls return (negated) beyond mm-core's MM_E*
 * codes; the values are Linux's. */
enum { K_EBADF = 9, K_ECHILD = 10, K_ENOSYS = 38 };
/* SYS_kinfo selectors. KINFO_PHYS (the frame number, PFN, of a user page:
 * a PFN fits a 32-bit long where a physical address above 4 GiB would
 * not) is answered only by kernels built with MMKIT_TEST_KINFO_PHYS (TEST
 * ONLY: the mmkit-<isa>-test images); others say -MM_EINVAL. KINFO_THP:
 * the bytes of the large page a fault in anonymous memory may map whole
 * (transparent huge pages, boot option thp=on), or 0 when off.
 * KINFO_HIGHMEM: the PFN where high memory (above the direct map, user
 * frames only) starts, or 0 if the kernel has none. */
enum { KINFO_FREE_FRAMES = 1, KINFO_TICKS = 2, KINFO_PHYS = 3, KINFO_THP = 4, KINFO_HIGHMEM = 5 };

/** struct sched_stats - what the scheduler counted. */
struct sched_stats {
	uint64_t switches, cr3_writes, cr3_skips, ticks, killed;
};

void proc_init(void);
/**
 * proc_spawn() - a new process running the ELF executable @image (@size
 * bytes, kept in memory: segments are read on fault) with @arg in the first
 * argument register of its main(). mm_exec() builds the image in a fresh
 * address space through the direct map, without switching CR3. The new
 * process is a child of the idle process.
 * Return: the process, or NULL with *@err set (-MM_ENOMEM, -MM_EINVAL).
 */
struct proc *proc_spawn(const char *name, const void *image, size_t size, uintptr_t arg, int *err);
struct proc *proc_current(void);
void schedule(void);
/** proc_reap_all() - as the idle process: run until every process has exited. */
void proc_run_until_idle(void (*on_exit)(struct proc *p, void *ctx), void *ctx);
const struct sched_stats *sched_stats(void);
/**
 * proc_kill() - end @p, the current process, for exception @vector: it
 * exits with status EXIT_KILLED | @vector (the caller printed why).
 */
void proc_kill(struct proc *p, unsigned vector);
long syscall_dispatch(struct trapframe *tf);
/**
 * proc_who() - who trapped, for a panic: "pid N", or "before any process"
 * (@p NULL: a trap before proc_init()). @buf holds 24 bytes.
 */
const char *proc_who(const struct proc *p, char *buf);
/** fault_verdict_name() - mm_fault()'s verdict in words, for a kill message. */
const char *fault_verdict_name(enum mm_fault_verdict v);
/** proc_each_live() - call @fn for every live process with a space. */
void proc_each_live(void (*fn)(struct proc *p, void *ctx), void *ctx);

#endif
