/*
 * difftest: the host Linux kernel as a differential oracle for mm-core.
 * Shared definitions of the generator (difftest.c) and the Linux side
 * (linux.c). See docs/TESTING.md.
 */
#ifndef DIFFTEST_H
#define DIFFTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DT_PAGE 4096u

/*
 * The window every operation falls in: DT_WINDOW_PAGES at most, centred on
 * DT_WINDOW_MID (1 GiB). That address is valid in the user half of both
 * ISAs, and it is a boundary of every page-table level below the root on
 * both: an i386 leaf table spans 4 MiB, an x86_64 one 2 MiB (and its page
 * directory 1 GiB), so a window around it straddles them all.
 */
#define DT_WINDOW_MID   UINT64_C(0x40000000)
#define DT_WINDOW_PAGES 256u

/* Operation kinds. */
enum dt_kind {
	DT_MMAP,
	DT_MUNMAP,
	DT_MPROTECT,
	DT_MADVISE, /* madvise(MADV_DONTNEED) */
	DT_READ,
	DT_WRITE,
	DT_FORK,
	DT_EXIT,
	DT_NKINDS,
};

/* Operation flags. */
enum {
	DT_F_SHARED = 1u << 0,  /* mmap: MAP_SHARED */
	DT_F_REPLACE = 1u << 1, /* mmap: replacing MAP_FIXED (else MAP_FIXED_NOREPLACE) */
	DT_F_EAGER = 1u << 2,   /* fork: mm-core's eager clone (Linux: the same fork) */
};

/* One operation of a sequence. It does not depend on any outcome, so a
 * sequence is a pure function of the seed, and any subset of it is again
 * a valid sequence (the minimiser relies on this). */
struct dt_op {
	uint8_t kind;
	uint8_t proc;  /* the process it runs in: mmsim space "p<proc>" */
	uint8_t child; /* fork: the new process's number */
	uint8_t prot;  /* mmap, mprotect: Linux PROT_* bits */
	uint8_t flags; /* DT_F_* */
	uint16_t page; /* first page, as an index into the window */
	uint16_t npages;
	uint16_t off; /* read, write: byte offset in the page (8-aligned) */
	uint64_t value;
};

/* What Linux did. */
struct dt_result {
	int32_t err;    /* 0 or an errno (mmap, munmap, mprotect, madvise) */
	int32_t sicode; /* read, write: 0, or the SIGSEGV si_code */
	uint64_t value; /* read: the value read */
	int32_t pid;    /* fork: the child's pid */
	int32_t sig;    /* read, write: the signal (SIGSEGV or SIGBUS), if any */
};

/* A live Linux process running the worker loop (linux.c). */
struct dt_proc {
	int fd; /* the controller's end of its socket */
	pid_t pid;
	bool alive;
	bool direct; /* the controller's own child (reaped with waitpid) */
};

/* linux.c */
__attribute__((noreturn)) void dt_linux_worker_main(uint64_t lo, uint64_t hi);
void dt_linux_set_self(const char *path, uint64_t lo, uint64_t hi);
int dt_linux_window_free(uint64_t lo, uint64_t hi);
int dt_linux_start(struct dt_proc *p);
int dt_linux_run(struct dt_proc *p, uint64_t window_lo, const struct dt_op *op,
                 struct dt_result *res, struct dt_proc *child);
void dt_linux_kill(struct dt_proc *p);
/* The page states of [lo, hi) in @pid from /proc/PID/maps: DT_S_* per page. */
int dt_linux_pages(pid_t pid, uint64_t lo, unsigned npages, uint8_t *st);

/* Page states (the model's and /proc's): mapped, shared, Linux PROT_* bits. */
enum {
	DT_S_MAPPED = 0x80,
	DT_S_SHARED = 0x40,
	DT_S_PROT = 0x07,
};

#endif /* DIFFTEST_H */
