/*
 * The Linux side of difftest: each simulated process is a real Linux
 * process running a worker loop. The controller sends it one operation at
 * a time over a SOCK_SEQPACKET socket; it performs the operation on its own
 * address space and answers with what happened (an errno, a value read, a
 * fault's si_code, a child's pid).
 *
 * Workers are exec'd afresh (this same program, `--worker`), so that their
 * address space holds nothing of the controller's, and so that under
 * Valgrind (which does not follow exec unless told to) the deliberate
 * faults run natively while the controller is checked.
 *
 * Faults: reads and writes run under sigsetjmp(); the SIGSEGV handler
 * records si_code (SEGV_MAPERR: no mapping; SEGV_ACCERR: the mapping
 * forbids the access) and siglongjmp()s back.
 */
#include "difftest.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* A request: the operation and where the window starts. */
struct req {
	struct dt_op op;
	uint64_t lo;
};

/* ---- worker ------------------------------------------------------------------ */

static sigjmp_buf fault_jb;
static volatile sig_atomic_t fault_code, fault_sig;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_code = si->si_code;
	fault_sig = sig;
	siglongjmp(fault_jb, 1);
}

/* A user read or write of 8 bytes at @va, which may fault. Its own frame:
 * nothing it changes after sigsetjmp() lives in a register. */
__attribute__((noinline)) static void user_access(const struct dt_op *op, uint64_t va,
                                                  struct dt_result *r)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
	if (sigsetjmp(fault_jb, 1) == 0) {
		if (op->kind == DT_READ)
			r->value = *p;
		else
			*p = op->value;
	} else {
		r->sicode = fault_code;
		r->sig = fault_sig;
	}
}

/* Send @r, with @fd attached if it is not -1. */
static int send_reply(int sock, const struct dt_result *r, int fd)
{
	struct iovec iov = { .iov_base = (void *)r, .iov_len = sizeof(*r) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(*r) ? 0 : -1;
}

static int prot_flags(unsigned p)
{
	return ((p & 1) ? PROT_READ : 0) | ((p & 2) ? PROT_WRITE : 0) | ((p & 4) ? PROT_EXEC : 0);
}

/* The worker loop on socket @sock: never returns. */
__attribute__((noreturn)) static void worker(int sock)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGCHLD, SIG_IGN); /* forked workers are reaped by the kernel */

	for (;;) {
		struct req q;
		ssize_t n = recv(sock, &q, sizeof(q), 0);
		if (n != (ssize_t)sizeof(q))
			_exit(n == 0 ? 0 : 3);
		const struct dt_op *op = &q.op;
		uint64_t va = q.lo + (uint64_t)op->page * DT_PAGE;
		size_t len = (size_t)op->npages * DT_PAGE;
		struct dt_result r;
		memset(&r, 0, sizeof(r));
		int passfd = -1;
		switch (op->kind) {
		case DT_MMAP: {
			int fl = MAP_ANONYMOUS |
			         ((op->flags & DT_F_SHARED) ? MAP_SHARED : MAP_PRIVATE) |
			         ((op->flags & DT_F_REPLACE) ? MAP_FIXED : MAP_FIXED_NOREPLACE);
			void *p = mmap((void *)(uintptr_t)va, len, prot_flags(op->prot), fl, -1, 0);
			if (p == MAP_FAILED) {
				r.err = errno;
			} else if ((uintptr_t)p != va) {
				/* A kernel older than 4.17 takes NOREPLACE as a hint. */
				munmap(p, len);
				r.err = EEXIST;
			}
			break;
		}
		case DT_MUNMAP:
			if (munmap((void *)(uintptr_t)va, len))
				r.err = errno;
			break;
		case DT_MPROTECT:
			if (mprotect((void *)(uintptr_t)va, len, prot_flags(op->prot)))
				r.err = errno;
			break;
		case DT_MADVISE:
			if (madvise((void *)(uintptr_t)va, len, MADV_DONTNEED))
				r.err = errno;
			break;
		case DT_READ:
		case DT_WRITE: user_access(op, va + op->off, &r); break;
		case DT_FORK: {
			int sv[2];
			if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {
				r.err = errno;
				break;
			}
			pid_t pid = fork();
			if (pid == 0) {
				close(sock);
				close(sv[0]);
				sock = sv[1];
				continue; /* the child answers nothing now: its parent does */
			}
			close(sv[1]);
			if (pid < 0) {
				r.err = errno;
				close(sv[0]);
				break;
			}
			r.pid = pid;
			passfd = sv[0];
			break;
		}
		case DT_EXIT: send_reply(sock, &r, -1); _exit(0);
		default: _exit(4);
		}
		if (send_reply(sock, &r, passfd))
			_exit(5);
		if (passfd >= 0)
			close(passfd);
	}
}

/* The entry point of `difftest --worker LO HI`: the socket is fd 3, and
 * [LO, HI) must be free in this fresh address space. */
void dt_linux_worker_main(uint64_t lo, uint64_t hi)
{
	struct dt_result ready;
	memset(&ready, 0, sizeof(ready));
	ready.err = dt_linux_window_free(lo, hi) ? EEXIST : 0;
	if (send_reply(3, &ready, -1) || ready.err)
		_exit(8);
	worker(3);
}

/* ---- controller --------------------------------------------------------------- */

static char self_path[4096];
static char window_arg[2][32];

void dt_linux_set_self(const char *path, uint64_t lo, uint64_t hi)
{
	snprintf(self_path, sizeof(self_path), "%s", path);
	snprintf(window_arg[0], sizeof(window_arg[0]), "%llu", (unsigned long long)lo);
	snprintf(window_arg[1], sizeof(window_arg[1]), "%llu", (unsigned long long)hi);
}

int dt_linux_window_free(uint64_t lo, uint64_t hi)
{
	void *p = mmap((void *)(uintptr_t)lo, hi - lo, PROT_NONE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	munmap(p, hi - lo);
	return (uintptr_t)p == lo ? 0 : -1;
}

int dt_linux_start(struct dt_proc *p)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* fd 3 is the worker's socket, without close-on-exec. */
		if (dup2(sv[1], 3) < 0)
			_exit(6);
		char *argv[] = { self_path, (char *)"--worker", window_arg[0], window_arg[1],
			         NULL };
		execv(self_path, argv);
		_exit(7);
	}
	close(sv[1]);
	p->fd = sv[0];
	p->pid = pid;
	p->alive = true;
	p->direct = true;
	/* It says whether the window is free in its fresh address space. */
	struct dt_result ready;
	memset(&ready, 0, sizeof(ready));
	if (recv(p->fd, &ready, sizeof(ready), 0) != (ssize_t)sizeof(ready) || ready.err) {
		bool taken = ready.err == EEXIST;
		dt_linux_kill(p);
		return taken ? -2 : -1;
	}
	return 0;
}

int dt_linux_run(struct dt_proc *p, uint64_t window_lo, const struct dt_op *op,
                 struct dt_result *res, struct dt_proc *child)
{
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = *op;
	q.lo = window_lo;
	if (send(p->fd, &q, sizeof(q), MSG_NOSIGNAL) != (ssize_t)sizeof(q))
		return -1;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = res, .iov_len = sizeof(*res) };
	struct msghdr mh = { .msg_iov = &iov,
		             .msg_iovlen = 1,
		             .msg_control = u.buf,
		             .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(p->fd, &mh, MSG_CMSG_CLOEXEC);
	if (n != (ssize_t)sizeof(*res))
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int fd = -1;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (op->kind == DT_FORK && res->err == 0) {
		if (fd < 0)
			return -1;
		child->fd = fd;
		child->pid = res->pid;
		child->alive = true;
		child->direct = false;
	} else if (fd >= 0) {
		close(fd);
	}
	if (op->kind == DT_EXIT) {
		close(p->fd);
		p->alive = false;
		if (p->direct)
			waitpid(p->pid, NULL, 0);
	}
	return 0;
}

void dt_linux_kill(struct dt_proc *p)
{
	if (!p->alive)
		return;
	kill(p->pid, SIGKILL);
	close(p->fd);
	if (p->direct)
		waitpid(p->pid, NULL, 0);
	p->alive = false;
}

int dt_linux_pages(pid_t pid, uint64_t lo, unsigned npages, uint8_t *st)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	memset(st, 0, npages);
	uint64_t hi = lo + (uint64_t)npages * DT_PAGE;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) != 3)
			continue;
		if (b <= lo || a >= hi)
			continue;
		uint8_t s = DT_S_MAPPED | (perms[0] == 'r' ? 1 : 0) | (perms[1] == 'w' ? 2 : 0) |
		            (perms[2] == 'x' ? 4 : 0) | (perms[3] == 's' ? DT_S_SHARED : 0);
		for (uint64_t va = a < lo ? lo : a; va < b && va < hi; va += DT_PAGE)
			st[(va - lo) / DT_PAGE] = s;
	}
	fclose(f);
	return 0;
}
