/*
 * mmsim-<isa>: the simulator on the command line, for one ISA; what its
 * files share. The `mmsim` driver (driver.c) picks the binary from --arch.
 * See `mmsim --help` and docs/MMSIM.md.
 *
 *   main.c     the command line: options, help, the subcommands
 *   mmsim.c    the machine, the state of a run, errors
 *   scenario.c the scenario language: a line to a struct op and back
 *   script.c   `mmsim run`: the executor of operations, spaces by name
 *   exec.c     executable images (`mmsim exec`, the `exec` operation)
 *   trace.c    Lackey trace replay (`mmsim trace`), the progress bar
 *   output.c   maps, tables, statistics, Graphviz, the JSON document
 */
#ifndef MMSIM_H
#define MMSIM_H

#include "scenario.h"

#include <mm/exec.h>
#include <sim/sim.h>

#include <arch/layout.h>
#include <arch/pte.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifndef MMSIM_VERSION
#define MMSIM_VERSION "unknown"
#endif

#define PAGE       ARCH_PAGE_SIZE
#define MAX_SPACES 64

/* An executable's bytes and what mm_exec() made of them. File-backed
 * regions point into @data, so it lives as long as any space holding such
 * regions: the exec'd space and its forks each hold a reference. */
struct image {
	unsigned refs;
	uint8_t *data;
	size_t size;
	char path[256];
	struct mm_exec_image info;
};

/* An address space with a name (a slot of M.spaces; free if @s is NULL). */
struct named {
	char name[32];
	struct mm_space *s;
	struct image *image; /* exec'd file, for map offsets and names; or NULL */
};

/* A Graphviz file written, and its SVG if dot rendered one. */
struct picture {
	char *dot;
	char *svg;
};

/* The state of one run of mmsim: the machine, the spaces, the output. */
struct mmsim_state {
	struct sim *sim;
	struct mm_sys *sys;
	struct named spaces[MAX_SPACES];
	bool json;
	const char *cmd;   /* the subcommand, once it runs */
	const char *input; /* its SCRIPT, FILE or ELF */
	FILE *out; /* human-readable output: stdout, or with --json the document's "output" */
	char *out_buf;
	size_t out_len;
	struct picture *pictures;
	size_t npictures;
	const char *trace_path;
	uint64_t trace_lines;
	const char *dot;
	mm_vaddr_t load_base; /* --load-base: where an ET_DYN file goes */
	const char *where;    /* file name for messages */
	unsigned long line;
	uint32_t mark;
	uint32_t peak_in_use;
	bool progress_shown; /* the progress bar is on stderr's last line */
	bool inject;         /* fail-next armed: ENOMEM is an expected outcome */
	int expect_err;      /* expect-error: the next operation must fail so */
};

/* The one run (mmsim.c). */
extern struct mmsim_state M;

/* ---- mmsim.c: the machine and errors ---- */

/**
 * die() - an error in the input or in the simulation: a message naming the
 * file and line (M.where, M.line) on stderr and, with --json, the document
 * on stdout; exit 1.
 */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/** usage_error() - a bad option or operand: "mmsim: " and the message; exit 2. */
__attribute__((noreturn, format(printf, 1, 2))) void usage_error(const char *fmt, ...);

/** make_sim() - the machine: @mem_mib MiB of RAM, a @tlb-entry TLB, every
 * TLB hit checked against the tables with @check_stale, transparent huge
 * pages with @thp (sim_config.thp). */
void make_sim(uint64_t mem_mib, unsigned tlb, bool check_stale, bool thp);

/** track_peak() - note the frames in use now, for the peak statistic. */
void track_peak(void);

/**
 * ok_or_die() - judge the result @err of operation @what: the error that
 * expect-error armed, or an injected ENOMEM while fail-next is armed, are
 * accepted; any other error dies; so does success when an error was
 * expected.
 */
void ok_or_die(int err, const char *what);

/** verdict_name() - "segv", "access", "oom" or "gp": how access @f failed. */
const char *verdict_name(const struct sim_fault *f);

/* ---- output.c ---- */

/**
 * show_maps() - the regions of @n in the style of /proc/PID/maps, with
 * smaps' Rss, Shared and Private, on M.out.
 */
void show_maps(struct named *n);

/**
 * show_mem() - the present pages of @n (user and kernel halves) as runs of
 * contiguous virtual pages with the same permissions, as QEMU's `info mem`,
 * on M.out.
 */
void show_mem(struct named *n);

/** show_tables() - the page-table tree of @n, on M.out. */
void show_tables(struct named *n);

/** show_stats() - the statistics of the machine, on M.out. */
void show_stats(void);

/**
 * write_dot() - every space's page-table tree as Graphviz in @path, then
 * @path.svg rendered by dot (no shell) if dot is there; noted in M.pictures.
 */
void write_dot(const char *path);

/**
 * emit_json() - with --json, the one document on stdout (docs/MMSIM.md has
 * the schema); @error is the message of the error that ends the run, or
 * NULL.
 */
void emit_json(const char *error);

/* ---- exec.c ---- */

/** image_put() - drop a reference to @im (NULL is ignored); the last frees it. */
void image_put(struct image *im);

/**
 * do_exec() - the image of ELF file @path with arguments @args in a fresh
 * space that replaces @n's on success (and stays active if @n's was);
 * @eager loads every page now.
 */
void do_exec(struct named *n, const char *path, char **args, int nargs, bool eager);

/* ---- script.c ---- */

/** cmd_run() - run the scenario script @path ("-": stdin). */
int cmd_run(const char *path);

/** script_usage() - the operations of the scenario language, one a line. */
void script_usage(FILE *f);

/** drop_space() - forget @n: its mm_space (destroyed already) and image. */
void drop_space(struct named *n);

/* ---- trace.c ---- */

struct trace_opts {
	bool fold;  /* fold addresses outside the user half into it */
	bool quiet; /* no progress bar */
};

/**
 * cmd_trace() - replay the Lackey trace @path ("-": stdin), plain or gzip,
 * in @space, demand-faulting its pages.
 */
int cmd_trace(const char *path, const struct trace_opts *o, struct named *space);

#endif
