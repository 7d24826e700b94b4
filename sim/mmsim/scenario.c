/* The scenario language: a line to a struct op and back (scenario.h). */
#include "scenario.h"

#include <arch/pte.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Every operation: its name, how many operands it takes, and its usage;
 * indexed by enum op_kind. */
static const struct op_spec {
	const char *name;
	int min, max;
	const char *usage;
} op_specs[OP_NKINDS] = {
	[OP_ARCH] = { "arch", 1, 1, "arch ISA (as mmsim --list-arch names them)" },
	[OP_CREATE] = { "create", 1, 1, "create SPACE" },
	[OP_DESTROY] = { "destroy", 1, 1, "destroy SPACE" },
	[OP_SWITCH] = { "switch", 1, 1, "switch SPACE|kernel" },
	[OP_FORK] = { "fork", 2, 3, "fork PARENT CHILD [cow|eager]" },
	[OP_EXEC] = { "exec", 2, 31, "exec SPACE FILE [ARGS...]" },
	[OP_MMAP] = { "mmap", 4, 6, "mmap SPACE VA|any PAGES PROT [shared] [fixed]" },
	[OP_MUNMAP] = { "munmap", 3, 3, "munmap SPACE VA PAGES" },
	[OP_MPROTECT] = { "mprotect", 4, 4, "mprotect SPACE VA PAGES PROT" },
	[OP_MADVISE] = { "madvise", 4, 4, "madvise SPACE VA PAGES dontneed" },
	[OP_MREMAP] = { "mremap", 4, 5, "mremap SPACE VA OLD_PAGES NEW_PAGES [maymove]" },
	[OP_BRK] = { "brk", 2, 3, "brk SPACE ADDR | brk SPACE start ADDR" },
	[OP_STACK] = { "stack", 3, 3, "stack SPACE TOP MAXPAGES" },
	[OP_MAP] = { "map", 4, 4, "map SPACE VA PAGES PROT" },
	[OP_UNMAP] = { "unmap", 3, 3, "unmap SPACE VA PAGES" },
	[OP_PROTECT] = { "protect", 4, 4, "protect SPACE VA PAGES PROT" },
	[OP_POPULATE] = { "populate", 4, 4, "populate SPACE VA PAGES read|write" },
	[OP_SOFTFAULT] = { "softfault", 4, 4,
	                   "softfault SPACE read|write VA resolved|segv|access|oom" },
	[OP_KMAP] = { "kmap", 2, 2, "kmap VA PROT" },
	[OP_KUNMAP] = { "kunmap", 2, 2, "kunmap VA PAGES" },
	[OP_KREAD] = { "kread", 1, 2, "kread VA [VALUE|fault]" },
	[OP_KWRITE] = { "kwrite", 2, 2, "kwrite VA VALUE" },
	[OP_WRITE] = { "write", 2, 2, "write VA VALUE" },
	[OP_READ] = { "read", 1, 2, "read VA [VALUE]" },
	[OP_FAULT] = { "fault", 3, 3, "fault read|write|exec VA segv|access|gp|oom" },
	[OP_EXPECT_ERROR] = { "expect-error", 1, 1, "expect-error CODE" },
	[OP_FAIL_NEXT] = { "fail-next", 1, 1, "fail-next N|off" },
	[OP_CHECK] = { "check", 0, 0, "check" },
	[OP_MARK] = { "mark", 0, 0, "mark" },
	[OP_CONSERVED] = { "conserved", 0, 0, "conserved" },
	[OP_SHOW] = { "show", 1, 2, "show maps|mem|tables [SPACE] | show stats" },
	[OP_DOT] = { "dot", 1, 1, "dot FILE" },
	[OP_ECHO] = { "echo", 0, 31, "echo TEXT" },
};

const char *const scenario_verdicts[4] = { "segv", "access", "gp", "oom" };
const char *const scenario_soft_verdicts[4] = { "resolved", "segv", "access", "oom" };
static const char *const accesses[] = { "read", "write", "exec" };
static const char *const shows[] = { "maps", "tables", "stats", "mem" };

void scenario_usage(FILE *f)
{
	for (size_t i = 0; i < OP_NKINDS; i++)
		fprintf(f, "  %s\n", op_specs[i].usage);
}

bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	int base = 10;
	const char *d = s;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		d = s + 2;
	}
	if (!*d)
		return false;
	for (const char *c = d; *c; c++)
		if (base == 16 ? !isxdigit((unsigned char)*c) : !isdigit((unsigned char)*c))
			return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(d, &end, base);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Where a parse error goes. */
struct perr {
	char *msg;
	size_t len;
};

__attribute__((format(printf, 2, 3))) static int fail(struct perr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, e->len, fmt, ap);
	va_end(ap);
	return -1;
}

/* @tok as a number in [min, max] into *@out; or false and an error naming
 * @what. */
static bool num(struct perr *e, const char *tok, const char *what, uint64_t min, uint64_t max,
                uint64_t *out)
{
	if (!parse_u64(tok, 0, UINT64_MAX, out)) {
		fail(e, "bad %s '%s' (a number: decimal or 0x hex)", what, tok);
		return false;
	}
	if (*out < min || *out > max) {
		fail(e, "%s %s is out of range (%" PRIu64 " to %" PRIu64 ")", what, tok, min, max);
		return false;
	}
	return true;
}

static bool prot_of(struct perr *e, const char *tok, unsigned *prot)
{
	*prot = 0;
	for (const char *c = tok; *c; c++) {
		switch (*c) {
		case 'r': *prot |= MM_PROT_READ; break;
		case 'w': *prot |= MM_PROT_WRITE; break;
		case 'x': *prot |= MM_PROT_EXEC; break;
		case '-': break;
		default: fail(e, "bad protection '%s' (letters r, w, x and -)", tok); return false;
		}
	}
	return true;
}

/* The index of @word in @names (@n of them), or -1. */
static int lookup(const char *word, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(word, names[i]))
			return i;
	return -1;
}

/* The MM_E* code named @name ("EEXIST"), from mm_strerror()'s names, so
 * every code mm-core has is known; 0 if none is called so. */
static int error_code(const char *name)
{
	size_t len = strlen(name);
	for (int e = 1; e < 4096; e++) {
		const char *s = mm_strerror(-e);
		if (!strncmp(s, name, len) && s[len] == ':')
			return -e;
	}
	return 0;
}

int scenario_parse(char *line, struct op *op, char *err, size_t errlen)
{
	struct perr e = { err, errlen };
	char *tok[SCENARIO_MAX_WORDS + 1];
	int n = 0;
	for (char *t = strtok(line, " \t\r\n"); t; t = strtok(NULL, " \t\r\n")) {
		if (t[0] == '#')
			break;
		if (n == SCENARIO_MAX_WORDS)
			return fail(&e, "too many words (at most %d)", SCENARIO_MAX_WORDS);
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	for (int i = n; i <= SCENARIO_MAX_WORDS; i++)
		tok[i] = NULL;
	memset(op, 0, sizeof(*op));
	int kind = -1;
	for (int i = 0; i < OP_NKINDS; i++)
		if (!strcmp(tok[0], op_specs[i].name))
			kind = i;
	if (kind < 0)
		return fail(&e, "unknown operation '%s'", tok[0]);
	const struct op_spec *spec = &op_specs[kind];
	if (n - 1 < spec->min || n - 1 > spec->max)
		return fail(&e, "%s: %s operands; usage: %s", tok[0],
		            n - 1 < spec->min ? "missing" : "too many", spec->usage);
	op->kind = (enum op_kind)kind;
	uint64_t v;
	switch (op->kind) {
	case OP_ARCH: op->word = tok[1]; break;
	case OP_CREATE:
	case OP_DESTROY: op->space = tok[1]; break;
	case OP_SWITCH: op->space = strcmp(tok[1], "kernel") ? tok[1] : NULL; break;
	case OP_FORK:
		op->space = tok[1];
		op->space2 = tok[2];
		if (tok[3] && strcmp(tok[3], "cow") && strcmp(tok[3], "eager"))
			return fail(&e, "fork mode '%s': cow or eager", tok[3]);
		op->eager = tok[3] && !strcmp(tok[3], "eager");
		break;
	case OP_EXEC:
		op->space = tok[1];
		op->word = tok[2];
		for (int i = 3; i < n; i++)
			op->args[op->nargs++] = tok[i];
		break;
	case OP_MAP:
	case OP_PROTECT:
	case OP_MPROTECT:
	case OP_UNMAP:
	case OP_MUNMAP:
	case OP_MMAP:
		op->space = tok[1];
		op->any = op->kind == OP_MMAP && !strcmp(tok[2], "any");
		if (!op->any && !num(&e, tok[2], "virtual address", 0, UINT64_MAX, &op->va))
			return -1;
		if (!num(&e, tok[3], "page count", 0, UINT64_MAX, &op->pages))
			return -1;
		if (tok[4] && !prot_of(&e, tok[4], &op->prot))
			return -1;
		for (int k = 5; op->kind == OP_MMAP && k < n; k++) {
			if (!strcmp(tok[k], "shared") && !op->shared)
				op->shared = true;
			else if (!strcmp(tok[k], "fixed") && !op->fixed && !op->any)
				op->fixed = true;
			else
				return fail(&e,
				            "mmap option '%s': 'shared' or, at an address, 'fixed'",
				            tok[k]);
		}
		break;
	case OP_MADVISE:
		op->space = tok[1];
		if (!num(&e, tok[2], "virtual address", 0, UINT64_MAX, &op->va) ||
		    !num(&e, tok[3], "page count", 0, UINT64_MAX, &op->pages))
			return -1;
		if (strcmp(tok[4], "dontneed"))
			return fail(&e, "madvise: advice '%s': only 'dontneed'", tok[4]);
		break;
	case OP_MREMAP:
		op->space = tok[1];
		if (!num(&e, tok[2], "virtual address", 0, UINT64_MAX, &op->va) ||
		    !num(&e, tok[3], "page count", 0, UINT64_MAX, &op->pages) ||
		    !num(&e, tok[4], "page count", 0, UINT64_MAX, &op->value))
			return -1;
		if (tok[5] && strcmp(tok[5], "maymove"))
			return fail(&e, "mremap option '%s': only 'maymove'", tok[5]);
		op->maymove = tok[5] != NULL;
		break;
	case OP_BRK:
		op->space = tok[1];
		op->start = n == 4;
		if (op->start && strcmp(tok[2], "start"))
			return fail(&e, "brk: '%s': usage: %s", tok[2], spec->usage);
		if (!num(&e, tok[op->start ? 3 : 2], "virtual address", 0, UINT64_MAX, &op->va))
			return -1;
		break;
	case OP_POPULATE:
		op->space = tok[1];
		if (!num(&e, tok[2], "virtual address", 0, UINT64_MAX, &op->va) ||
		    !num(&e, tok[3], "page count", 0, UINT64_MAX, &op->pages))
			return -1;
		op->access = lookup(tok[4], accesses, 2);
		if (op->access < 0)
			return fail(&e, "populate: access '%s': read or write", tok[4]);
		break;
	case OP_SOFTFAULT:
		op->space = tok[1];
		op->access = lookup(tok[2], accesses, 2);
		if (op->access < 0)
			return fail(&e, "softfault: access '%s': read or write", tok[2]);
		if (!num(&e, tok[3], "virtual address", 0, UINT64_MAX, &op->va))
			return -1;
		op->verdict = lookup(tok[4], scenario_soft_verdicts, 4);
		if (op->verdict < 0)
			return fail(
			        &e,
			        "softfault: unknown verdict '%s' (resolved, segv, access or oom)",
			        tok[4]);
		break;
	case OP_KMAP:
		if (!num(&e, tok[1], "virtual address", 0, UINT64_MAX, &op->va) ||
		    !prot_of(&e, tok[2], &op->prot))
			return -1;
		break;
	case OP_KUNMAP:
		if (!num(&e, tok[1], "virtual address", 0, UINT64_MAX, &op->va) ||
		    !num(&e, tok[2], "page count", 1, 64, &op->pages))
			return -1;
		break;
	case OP_KREAD:
	case OP_KWRITE:
		if (!num(&e, tok[1], "virtual address", 0, UINT64_MAX, &op->va))
			return -1;
		op->want_fault = op->kind == OP_KREAD && tok[2] && !strcmp(tok[2], "fault");
		op->has_value = tok[2] != NULL && !op->want_fault;
		if (op->has_value && !num(&e, tok[2], "value", 0, UINT64_MAX, &op->value))
			return -1;
		if (op->kind == OP_KWRITE && !op->has_value)
			return fail(&e, "kwrite: a value, not '%s'", tok[2]);
		break;
	case OP_STACK:
		op->space = tok[1];
		if (!num(&e, tok[2], "virtual address", 0, UINT64_MAX, &op->va))
			return -1;
		if (op->va < 2 * ARCH_PAGE_SIZE)
			return fail(&e, "stack: top 0x%" PRIx64 " leaves no room for a stack",
			            op->va);
		if (!num(&e, tok[3], "page count", 1, op->va / ARCH_PAGE_SIZE - 1, &op->pages))
			return -1;
		break;
	case OP_WRITE:
	case OP_READ:
		if (!num(&e, tok[1], "virtual address", 0, UINT64_MAX, &op->va))
			return -1;
		op->has_value = tok[2] != NULL;
		if (op->kind == OP_READ)
			op->word = tok[2]; /* the value as written, for messages */
		if (tok[2] && !num(&e, tok[2], op->kind == OP_WRITE ? "value" : "expected value", 0,
		                   UINT64_MAX, &op->value))
			return -1;
		break;
	case OP_FAULT:
		op->verdict = lookup(tok[3], scenario_verdicts, 4);
		if (op->verdict < 0)
			return fail(&e, "fault: unknown verdict '%s' (segv, access, gp or oom)",
			            tok[3]);
		op->access = lookup(tok[1], accesses, 3);
		if (op->access < 0)
			return fail(&e, "fault: access '%s' is read, write or exec", tok[1]);
		if (!num(&e, tok[2], "virtual address", 0, UINT64_MAX, &op->va))
			return -1;
		break;
	case OP_EXPECT_ERROR:
		op->err = error_code(tok[1]);
		if (!op->err)
			return fail(&e, "expect-error: unknown error name '%s'", tok[1]);
		break;
	case OP_FAIL_NEXT:
		op->fail_at = -1;
		if (strcmp(tok[1], "off")) {
			if (!num(&e, tok[1], "allocation number", 0, INT64_MAX, &v))
				return -1;
			op->fail_at = (int64_t)v;
		}
		break;
	case OP_CHECK:
	case OP_MARK:
	case OP_CONSERVED: break;
	case OP_SHOW:
		op->show = lookup(tok[1], shows, 4);
		if (op->show < 0 || (op->show == OP_SHOW_STATS && tok[2]))
			return fail(&e, "show: usage: %s", spec->usage);
		op->space = tok[2];
		break;
	case OP_DOT: op->word = tok[1]; break;
	case OP_ECHO:
		for (int i = 1; i < n; i++)
			op->args[op->nargs++] = tok[i];
		break;
	case OP_NKINDS: break;
	}
	return 1;
}

/* Whether @w can be one word of a line: not empty, no white space, no '#'
 * at its start. */
static bool printable(const char *w)
{
	if (!w || !*w || *w == '#')
		return false;
	for (const char *c = w; *c; c++)
		if (isspace((unsigned char)*c))
			return false;
	return true;
}

int scenario_print(FILE *f, const struct op *op)
{
	const struct op_spec *spec = &op_specs[op->kind];
	char line[1024], prot[4];
	size_t at = 0;
	bool ok = true;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		int k_ = snprintf(line + at, sizeof(line) - at, __VA_ARGS__);                      \
		ok = ok && k_ >= 0 && (size_t)k_ < sizeof(line) - at;                              \
		at = ok ? at + (size_t)k_ : at;                                                    \
	} while (0)
#define WORD(w)                                                                                    \
	do {                                                                                       \
		ok = ok && printable(w);                                                           \
		ADD(" %s", ok ? (w) : "");                                                         \
	} while (0)
	prot[0] = (op->prot & MM_PROT_READ) ? 'r' : '-';
	prot[1] = (op->prot & MM_PROT_WRITE) ? 'w' : '-';
	prot[2] = (op->prot & MM_PROT_EXEC) ? 'x' : '-';
	prot[3] = 0;
	ADD("%s", spec->name);
	switch (op->kind) {
	case OP_ARCH:
	case OP_DOT: WORD(op->word); break;
	case OP_CREATE:
	case OP_DESTROY: WORD(op->space); break;
	case OP_SWITCH: WORD(op->space ? op->space : "kernel"); break;
	case OP_FORK:
		WORD(op->space);
		WORD(op->space2);
		ADD(" %s", op->eager ? "eager" : "cow");
		break;
	case OP_EXEC:
		WORD(op->space);
		WORD(op->word);
		for (int i = 0; i < op->nargs; i++)
			WORD(op->args[i]);
		break;
	case OP_MMAP:
	case OP_MAP:
	case OP_PROTECT:
	case OP_MPROTECT:
	case OP_UNMAP:
	case OP_MUNMAP:
		WORD(op->space);
		if (op->any)
			ADD(" any");
		else
			ADD(" 0x%" PRIx64, op->va);
		ADD(" %" PRIu64, op->pages);
		if (op->kind != OP_UNMAP && op->kind != OP_MUNMAP)
			ADD(" %s", prot);
		if (op->shared)
			ADD(" shared");
		if (op->fixed)
			ADD(" fixed");
		break;
	case OP_MADVISE:
		WORD(op->space);
		ADD(" 0x%" PRIx64 " %" PRIu64 " dontneed", op->va, op->pages);
		break;
	case OP_MREMAP:
		WORD(op->space);
		ADD(" 0x%" PRIx64 " %" PRIu64 " %" PRIu64 "%s", op->va, op->pages, op->value,
		    op->maymove ? " maymove" : "");
		break;
	case OP_BRK:
		WORD(op->space);
		ADD("%s 0x%" PRIx64, op->start ? " start" : "", op->va);
		break;
	case OP_STACK:
		WORD(op->space);
		ADD(" 0x%" PRIx64 " %" PRIu64, op->va, op->pages);
		break;
	case OP_POPULATE:
		ok = ok && op->access >= 0 && op->access < 2;
		WORD(op->space);
		if (ok)
			ADD(" 0x%" PRIx64 " %" PRIu64 " %s", op->va, op->pages,
			    accesses[op->access]);
		break;
	case OP_SOFTFAULT:
		ok = ok && op->access >= 0 && op->access < 2 && op->verdict >= 0 && op->verdict < 4;
		WORD(op->space);
		if (ok)
			ADD(" %s 0x%" PRIx64 " %s", accesses[op->access], op->va,
			    scenario_soft_verdicts[op->verdict]);
		break;
	case OP_KMAP: ADD(" 0x%" PRIx64 " %s", op->va, prot); break;
	case OP_KUNMAP: ADD(" 0x%" PRIx64 " %" PRIu64, op->va, op->pages); break;
	case OP_KREAD:
	case OP_KWRITE:
		ADD(" 0x%" PRIx64, op->va);
		if (op->want_fault)
			ADD(" fault");
		else if (op->kind == OP_KWRITE || op->has_value)
			ADD(" 0x%" PRIx64, op->value);
		break;
	case OP_WRITE:
	case OP_READ:
		ADD(" 0x%" PRIx64, op->va);
		if (op->kind == OP_WRITE || op->has_value)
			ADD(" 0x%" PRIx64, op->value);
		break;
	case OP_FAULT:
		ok = ok && op->access >= 0 && op->access < 3 && op->verdict >= 0 && op->verdict < 4;
		if (ok)
			ADD(" %s 0x%" PRIx64 " %s", accesses[op->access], op->va,
			    scenario_verdicts[op->verdict]);
		break;
	case OP_EXPECT_ERROR: {
		const char *s = mm_strerror(op->err);
		ok = ok && strchr(s, ':');
		if (ok)
			ADD(" %.*s", (int)strcspn(s, ":"), s);
		break;
	}
	case OP_FAIL_NEXT:
		if (op->fail_at < 0)
			ADD(" off");
		else
			ADD(" %" PRId64, op->fail_at);
		break;
	case OP_CHECK:
	case OP_MARK:
	case OP_CONSERVED: break;
	case OP_SHOW:
		ok = ok && op->show >= 0 && op->show < 4;
		if (ok)
			ADD(" %s", shows[op->show]);
		if (op->space && op->show != OP_SHOW_STATS)
			WORD(op->space);
		break;
	case OP_ECHO:
		for (int i = 0; i < op->nargs; i++)
			WORD(op->args[i]);
		break;
	case OP_NKINDS: ok = false; break;
	}
#undef WORD
#undef ADD
	if (!ok)
		return -1;
	fprintf(f, "%s\n", line);
	return 0;
}
