/*
 * The scenario language of mmsim (docs/MMSIM.md): one operation a line,
 * parsed into a struct op, printed back from one. Parsing and printing need
 * no machine, so that whatever builds operations (mmsim, the fuzzer, tests)
 * writes scripts mmsim reads back; mmsim's script.c executes them.
 *
 * Adding an operation: a value in enum op_kind, its row in scenario.c's
 * table (name, operand counts, usage), its case in scenario_parse() and
 * scenario_print(), and its case in script.c's executor.
 */
#ifndef MMSIM_SCENARIO_H
#define MMSIM_SCENARIO_H

#include <mm/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** SCENARIO_MAX_WORDS - words on one line, the operation's name included. */
#define SCENARIO_MAX_WORDS 32

/** enum op_kind - the operations, in the order `mmsim help run` lists them. */
enum op_kind {
	OP_ARCH,         /* arch ISA: refuse to run on another ISA */
	OP_CREATE,       /* create SPACE */
	OP_DESTROY,      /* destroy SPACE */
	OP_SWITCH,       /* switch SPACE|kernel (space NULL: the kernel) */
	OP_FORK,         /* fork PARENT CHILD [cow|eager] */
	OP_EXEC,         /* exec SPACE FILE [ARGS...] */
	OP_MMAP,         /* mmap SPACE VA|any PAGES PROT [shared] [fixed] */
	OP_MUNMAP,       /* munmap SPACE VA PAGES */
	OP_MPROTECT,     /* mprotect SPACE VA PAGES PROT */
	OP_MADVISE,      /* madvise SPACE VA PAGES dontneed */
	OP_MREMAP,       /* mremap SPACE VA OLD_PAGES NEW_PAGES [maymove] */
	OP_BRK,          /* brk SPACE ADDR | brk SPACE start ADDR */
	OP_STACK,        /* stack SPACE TOP MAXPAGES */
	OP_MAP,          /* map SPACE VA PAGES PROT */
	OP_UNMAP,        /* unmap SPACE VA PAGES */
	OP_PROTECT,      /* protect SPACE VA PAGES PROT */
	OP_POPULATE,     /* populate SPACE VA PAGES read|write */
	OP_SOFTFAULT,    /* softfault SPACE read|write VA resolved|segv|access|oom */
	OP_KMAP,         /* kmap VA PROT */
	OP_KUNMAP,       /* kunmap VA PAGES */
	OP_KREAD,        /* kread VA [VALUE|fault] */
	OP_KWRITE,       /* kwrite VA VALUE */
	OP_WRITE,        /* write VA VALUE */
	OP_READ,         /* read VA [VALUE] */
	OP_FAULT,        /* fault ACCESS VA VERDICT */
	OP_EXPECT_ERROR, /* expect-error CODE */
	OP_FAIL_NEXT,    /* fail-next N|off */
	OP_CHECK,        /* check */
	OP_MARK,         /* mark */
	OP_CONSERVED,    /* conserved */
	OP_SHOW,         /* show maps|mem|tables [SPACE], show stats */
	OP_DOT,          /* dot FILE */
	OP_ECHO,         /* echo TEXT */
	OP_NKINDS,
};

/** enum op_access - what `fault` tries. */
enum op_access { OP_ACCESS_READ, OP_ACCESS_WRITE, OP_ACCESS_EXEC };

/** enum op_show - what `show` shows. */
enum op_show { OP_SHOW_MAPS, OP_SHOW_TABLES, OP_SHOW_STATS, OP_SHOW_MEM };

/**
 * struct op - one operation. Only the fields its kind uses are meaningful.
 * Strings are not copied: a parsed op points into the line it came from.
 * @space:   the space operated on (fork: the parent; switch, show: NULL
 *           for the kernel or for every space).
 * @space2:  fork: the child.
 * @word:    arch: the ISA; exec, dot: the file; read: VALUE as written
 *           (messages quote it; scenario_print() ignores it).
 * @va:      the address (stack: its top); mmap with @any: unused.
 * @pages:   the page count (stack: the most pages it may grow to).
 * @value:   write: the value; read with @has_value: the value expected;
 *           mremap: the new page count (@pages: the old one).
 * @prot:    MM_PROT_READ|WRITE|EXEC (never MM_PROT_USER).
 * @any:     mmap: the address is `any`.
 * @shared:  mmap: `shared`.
 * @fixed:   mmap: `fixed` (MAP_FIXED: replace what is there); without it an
 *           mmap at an address never replaces (MAP_FIXED_NOREPLACE).
 * @maymove: mremap: `maymove`.
 * @start:   brk: `start` (set where the heap starts, as exec does).
 * @eager:   fork: `eager` (else copy-on-write).
 * @has_value: read: a VALUE to check.
 * @access:  fault, populate, softfault: enum op_access.
 * @verdict: fault: an index in scenario_verdicts[]; softfault: in
 *           scenario_soft_verdicts[].
 * @want_fault: kread: `fault` (the read must fault).
 * @err:     expect-error: the code, negative (-MM_EEXIST).
 * @fail_at: fail-next: the allocation that fails, or -1 for `off`.
 * @show:    show: enum op_show.
 * @args, @nargs: exec: the program's arguments; echo: the words.
 */
struct op {
	enum op_kind kind;
	const char *space, *space2, *word;
	mm_vaddr_t va;
	uint64_t pages, value;
	unsigned prot;
	bool any, shared, fixed, maymove, start, eager, has_value, want_fault;
	int access, verdict, err;
	int64_t fail_at;
	int show;
	const char *args[SCENARIO_MAX_WORDS];
	int nargs;
};

/** scenario_verdicts - the verdicts `fault` names: segv, access, gp, oom. */
extern const char *const scenario_verdicts[4];

/** scenario_soft_verdicts - softfault's: resolved, segv, access, oom (the
 * order of enum mm_fault_verdict). */
extern const char *const scenario_soft_verdicts[4];

/**
 * scenario_parse() - parse @line (which is cut into words in place, up to
 * a '#' comment) into @op.
 * Return: 1 and *@op; 0 for a blank or comment line; -1 with a message in
 * @err (@errlen bytes) for a line that is not an operation.
 */
int scenario_parse(char *line, struct op *op, char *err, size_t errlen);

/**
 * scenario_print() - @op as one line of a script, newline included, that
 * scenario_parse() reads back into the same operation. Numbers are written
 * in 0x hex (counts in decimal), protections as three letters (r-x).
 * Return: 0; -1 (nothing written) if a name or word cannot be written: it
 * is empty, holds white space, or starts with '#'.
 */
int scenario_print(FILE *f, const struct op *op);

/** scenario_usage() - the operations and their operands, one a line. */
void scenario_usage(FILE *f);

/**
 * parse_u64() - all of @s as an unsigned number, decimal or 0x hex (no sign,
 * no space, no octal), within [min, max].
 * Return: true and *@out; false for anything else, overflow included.
 */
bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
