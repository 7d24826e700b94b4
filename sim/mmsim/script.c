/* mmsim run: the scenario language, and the address spaces it names. */
#include "mmsim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- spaces by name --------------------------------------------------------- */

static struct named *find_space(const char *name)
{
	for (int i = 0; i < MAX_SPACES; i++)
		if (M.spaces[i].s && strcmp(M.spaces[i].name, name) == 0)
			return &M.spaces[i];
	return NULL;
}

static struct named *need_space(const char *name)
{
	struct named *n = find_space(name);
	if (!n)
		die("no address space named '%s' (create it first)", name);
	return n;
}

static struct named *new_space(const char *name)
{
	if (strlen(name) >= sizeof(M.spaces[0].name) || !strcmp(name, "kernel"))
		die("bad space name '%s'", name);
	if (find_space(name))
		die("an address space named '%s' exists already", name);
	for (int i = 0; i < MAX_SPACES; i++) {
		if (M.spaces[i].s)
			continue;
		struct named *n = &M.spaces[i];
		memset(n, 0, sizeof(*n));
		n->s = calloc(1, sizeof(struct mm_space));
		if (!n->s)
			die("out of host memory");
		snprintf(n->name, sizeof(n->name), "%s", name);
		return n;
	}
	die("too many address spaces (%d)", MAX_SPACES);
}

/* Forget @n: its mm_space (destroyed already) and its image reference. */
void drop_space(struct named *n)
{
	free(n->s);
	n->s = NULL;
	image_put(n->image);
	n->image = NULL;
}

/* ---- the scenario language -------------------------------------------------- */

/* Every operation: its name, how many operands it takes, and its usage. */
static const struct op_spec {
	const char *name;
	int min, max;
	const char *usage;
} op_specs[] = {
	{ "arch", 1, 1, "arch i386|x86_64" },
	{ "create", 1, 1, "create SPACE" },
	{ "destroy", 1, 1, "destroy SPACE" },
	{ "switch", 1, 1, "switch SPACE|kernel" },
	{ "fork", 2, 3, "fork PARENT CHILD [cow|eager]" },
	{ "exec", 2, 31, "exec SPACE FILE [ARGS...]" },
	{ "mmap", 4, 5, "mmap SPACE VA|any PAGES PROT [shared]" },
	{ "munmap", 3, 3, "munmap SPACE VA PAGES" },
	{ "mprotect", 4, 4, "mprotect SPACE VA PAGES PROT" },
	{ "stack", 3, 3, "stack SPACE TOP MAXPAGES" },
	{ "map", 4, 4, "map SPACE VA PAGES PROT" },
	{ "unmap", 3, 3, "unmap SPACE VA PAGES" },
	{ "protect", 4, 4, "protect SPACE VA PAGES PROT" },
	{ "write", 2, 2, "write VA VALUE" },
	{ "read", 1, 2, "read VA [VALUE]" },
	{ "fault", 3, 3, "fault read|write|exec VA segv|access|gp|oom" },
	{ "expect-error", 1, 1, "expect-error CODE" },
	{ "fail-next", 1, 1, "fail-next N|off" },
	{ "check", 0, 0, "check" },
	{ "mark", 0, 0, "mark" },
	{ "conserved", 0, 0, "conserved" },
	{ "show", 1, 2, "show maps [SPACE] | show tables [SPACE] | show stats" },
	{ "dot", 1, 1, "dot FILE" },
	{ "echo", 0, 31, "echo TEXT" },
};

void script_usage(FILE *f)
{
	for (size_t i = 0; i < sizeof(op_specs) / sizeof(op_specs[0]); i++)
		fprintf(f, "  %s\n", op_specs[i].usage);
}

/* @tok as a number in [min, max], or an error naming @what. */
static uint64_t num(const char *tok, const char *what, uint64_t min, uint64_t max)
{
	uint64_t v;
	if (!tok)
		die("missing %s", what);
	if (parse_u64(tok, 0, UINT64_MAX, &v) == false)
		die("bad %s '%s' (a number: decimal or 0x hex)", what, tok);
	if (v < min || v > max)
		die("%s %s is out of range (%" PRIu64 " to %" PRIu64 ")", what, tok, min, max);
	return v;
}

static unsigned prot_of(const char *tok)
{
	if (!tok)
		die("missing protection (r, rw, r-x, rwx, ...)");
	unsigned p = 0;
	for (const char *c = tok; *c; c++) {
		switch (*c) {
		case 'r': p |= MM_PROT_READ; break;
		case 'w': p |= MM_PROT_WRITE; break;
		case 'x': p |= MM_PROT_EXEC; break;
		case '-': break;
		default: die("bad protection '%s' (letters r, w, x and -)", tok);
		}
	}
	return p | MM_PROT_USER;
}

static mm_vaddr_t va_of(const char *tok)
{
	return num(tok, "virtual address", 0, UINT64_MAX);
}

static uint64_t pages_of(const char *tok)
{
	return num(tok, "page count", 0, UINT64_MAX);
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

static void user_access(mm_vaddr_t va, unsigned flags, void *buf, size_t len, struct sim_fault *f,
                        int *rc)
{
	*rc = (flags & SIM_WRITE) ? sim_write(M.sim, va, buf, len, flags, f)
	                          : sim_read(M.sim, va, buf, len, flags, f);
	track_peak();
}

static void run_line(char *line)
{
	char *tok[33];
	int n = 0;
	for (char *t = strtok(line, " \t\r\n"); t; t = strtok(NULL, " \t\r\n")) {
		if (t[0] == '#')
			break;
		if (n == 32)
			die("too many words (at most 32)");
		tok[n++] = t;
	}
	if (n == 0)
		return;
	for (int i = n; i < 33; i++)
		tok[i] = NULL;
	const char *op = tok[0];
	const struct op_spec *spec = NULL;
	for (size_t i = 0; i < sizeof(op_specs) / sizeof(op_specs[0]); i++)
		if (!strcmp(op, op_specs[i].name))
			spec = &op_specs[i];
	if (!spec)
		die("unknown operation '%s'", op);
	if (n - 1 < spec->min || n - 1 > spec->max)
		die("%s: %s operands; usage: %s", op, n - 1 < spec->min ? "missing" : "too many",
		    spec->usage);
	const unsigned U = SIM_USER | SIM_DEMAND;
	if (!strcmp(op, "arch")) {
		if (strcmp(tok[1], ARCH_NAME))
			die("this script is for %s; run it with --arch %s", tok[1], tok[1]);
	} else if (!strcmp(op, "create")) {
		struct named *s = new_space(tok[1]);
		int err = mm_space_create(M.sys, s->s);
		if (err)
			drop_space(s);
		ok_or_die(err, "create");
	} else if (!strcmp(op, "destroy")) {
		struct named *s = need_space(tok[1]);
		int err = mm_space_destroy(s->s);
		if (!err)
			drop_space(s);
		ok_or_die(err, "destroy");
	} else if (!strcmp(op, "switch")) {
		if (!strcmp(tok[1], "kernel"))
			mm_space_activate(mm_sys_kernel_space(M.sys));
		else
			mm_space_activate(need_space(tok[1])->s);
	} else if (!strcmp(op, "fork")) {
		struct named *p = need_space(tok[1]);
		enum mm_clone_mode mode = MM_CLONE_COW;
		if (tok[3] && !strcmp(tok[3], "eager"))
			mode = MM_CLONE_EAGER;
		else if (tok[3] && strcmp(tok[3], "cow"))
			die("fork mode '%s': cow or eager", tok[3]);
		struct named *c = new_space(tok[2]);
		int err = mm_space_clone(p->s, c->s, mode);
		if (err) {
			drop_space(c);
		} else if (p->image) { /* the child's file-backed regions point into it */
			c->image = p->image;
			c->image->refs++;
		}
		ok_or_die(err, "fork");
	} else if (!strcmp(op, "map") || !strcmp(op, "protect") || !strcmp(op, "mprotect")) {
		struct named *s = need_space(tok[1]);
		mm_vaddr_t va = va_of(tok[2]);
		uint64_t pages = pages_of(tok[3]);
		unsigned prot = prot_of(tok[4]);
		int err = !strcmp(op, "map")       ? mm_map(s->s, va, pages, prot)
		          : !strcmp(op, "protect") ? mm_protect(s->s, va, pages, prot)
		                                   : mm_mprotect(s->s, va, pages, prot);
		ok_or_die(err, op);
	} else if (!strcmp(op, "unmap") || !strcmp(op, "munmap")) {
		struct named *s = need_space(tok[1]);
		mm_vaddr_t va = va_of(tok[2]);
		uint64_t pages = pages_of(tok[3]);
		ok_or_die(!strcmp(op, "unmap") ? mm_unmap(s->s, va, pages)
		                               : mm_munmap(s->s, va, pages),
		          op);
	} else if (!strcmp(op, "mmap")) {
		struct named *s = need_space(tok[1]);
		mm_vaddr_t va = !strcmp(tok[2], "any") ? 0 : va_of(tok[2]);
		uint64_t pages = pages_of(tok[3]);
		unsigned prot = prot_of(tok[4]) & ~(unsigned)MM_PROT_USER;
		unsigned flags = va ? MM_MAP_FIXED : 0;
		if (tok[5] && !strcmp(tok[5], "shared"))
			flags |= MM_MAP_SHARED;
		else if (tok[5])
			die("mmap option '%s': only 'shared'", tok[5]);
		mm_vaddr_t got;
		int err = mm_mmap(s->s, va, pages, prot, flags, &got);
		ok_or_die(err, "mmap");
		if (!err)
			fprintf(M.out, "# mmap %s: %" PRIu64 " pages at 0x%" PRIx64 "\n", s->name,
			        pages, got);
	} else if (!strcmp(op, "stack")) {
		struct named *s = need_space(tok[1]);
		mm_vaddr_t top = va_of(tok[2]);
		if (top < 2 * PAGE)
			die("stack: top 0x%" PRIx64 " leaves no room for a stack", top);
		uint64_t max = num(tok[3], "page count", 1, top / PAGE - 1);
		struct mm_region r = { .start = top - PAGE,
			               .end = top,
			               .limit = top - max * PAGE,
			               .prot = MM_PROT_READ | MM_PROT_WRITE,
			               .kind = MM_REGION_STACK,
			               .backing = MM_BACKING_ANON,
			               .flags = MM_REGION_GROWS_DOWN };
		ok_or_die(mm_region_add(s->s, &r), "stack");
		ok_or_die(mm_populate(s->s, top - PAGE, 1, MM_ACCESS_WRITE), "stack");
	} else if (!strcmp(op, "exec")) {
		struct named *s = find_space(tok[1]);
		if (!s) {
			s = new_space(tok[1]);
			int err = mm_space_create(M.sys, s->s);
			if (err)
				drop_space(s);
			ok_or_die(err, "exec: create");
			if (err)
				return;
		}
		do_exec(s, tok[2], &tok[3], n - 3, false);
	} else if (!strcmp(op, "write") || !strcmp(op, "read")) {
		mm_vaddr_t va = va_of(tok[1]);
		uint64_t v = 0, want = 0;
		struct sim_fault f;
		int rc;
		if (tok[2])
			want = num(tok[2], !strcmp(op, "write") ? "value" : "expected value", 0,
			           UINT64_MAX);
		if (!strcmp(op, "write")) {
			v = want;
			user_access(va, U | SIM_WRITE, &v, 8, &f, &rc);
		} else {
			user_access(va, U, &v, 8, &f, &rc);
		}
		if (rc)
			die("%s 0x%" PRIx64 ": fault (%s, error code 0x%x)", op, va,
			    verdict_name(&f), f.error_code);
		if (!strcmp(op, "read") && tok[2] && v != want)
			die("read 0x%" PRIx64 ": got 0x%" PRIx64 ", expected %s", va, v, tok[2]);
		if (!strcmp(op, "read") && !tok[2])
			fprintf(M.out, "# read 0x%" PRIx64 " = 0x%" PRIx64 "\n", va, v);
	} else if (!strcmp(op, "fault")) {
		/* fault read|write|exec VA VERDICT: the access must fail so. */
		static const char *const verdicts[] = { "segv", "access", "gp", "oom" };
		bool known = false;
		for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
			known |= !strcmp(tok[3], verdicts[i]);
		if (!known)
			die("fault: unknown verdict '%s' (segv, access, gp or oom)", tok[3]);
		unsigned fl = U;
		if (!strcmp(tok[1], "write"))
			fl |= SIM_WRITE;
		else if (!strcmp(tok[1], "exec"))
			fl |= SIM_FETCH;
		else if (strcmp(tok[1], "read"))
			die("fault: access '%s' is read, write or exec", tok[1]);
		mm_vaddr_t va = va_of(tok[2]);
		uint64_t v = 0;
		struct sim_fault f = { 0 };
		int rc;
		if (fl & SIM_FETCH) {
			mm_paddr_t pa;
			rc = sim_access(M.sim, va, fl, &pa, &f);
		} else {
			user_access(va, fl, &v, 1, &f, &rc);
		}
		if (!rc)
			die("%s 0x%" PRIx64 ": expected a fault (%s), but it succeeded", tok[1], va,
			    tok[3]);
		if (strcmp(verdict_name(&f), tok[3]))
			die("%s 0x%" PRIx64 ": expected %s, got %s (error code 0x%x)", tok[1], va,
			    tok[3], verdict_name(&f), f.error_code);
	} else if (!strcmp(op, "expect-error")) {
		/* expect-error CODE: the next operation must fail with CODE. */
		M.expect_err = error_code(tok[1]);
		if (!M.expect_err)
			die("expect-error: unknown error name '%s'", tok[1]);
		return;
	} else if (!strcmp(op, "fail-next")) {
		/* fail-next N: allocation N (from 0) of what follows fails, until
		 * `fail-next off`; ENOMEM and OOM are then accepted outcomes. */
		if (!strcmp(tok[1], "off")) {
			mm_frames_fail_after(&M.sys->frames, -1);
			M.inject = false;
		} else {
			mm_frames_fail_after(
			        &M.sys->frames,
			        (int64_t)num(tok[1], "allocation number", 0, INT64_MAX));
			M.inject = true;
		}
	} else if (!strcmp(op, "check")) {
		char msg[256];
		if (sim_check(M.sim, msg, sizeof(msg)))
			die("invariant broken: %s", msg);
	} else if (!strcmp(op, "mark")) {
		M.mark = mm_frames_free_count(&M.sys->frames);
	} else if (!strcmp(op, "conserved")) {
		uint32_t now = mm_frames_free_count(&M.sys->frames);
		if (now != M.mark)
			die("frames not conserved: %u free at the mark, %u now", M.mark, now);
	} else if (!strcmp(op, "show")) {
		const char *what = tok[1];
		if (!strcmp(what, "stats") && !tok[2]) {
			show_stats();
		} else if (!strcmp(what, "maps") || !strcmp(what, "tables")) {
			if (tok[2])
				need_space(tok[2]);
			for (int i = 0; i < MAX_SPACES; i++) {
				struct named *s = &M.spaces[i];
				if (!s->s || (tok[2] && strcmp(tok[2], s->name)))
					continue;
				!strcmp(what, "maps") ? show_maps(s) : show_tables(s);
			}
		} else {
			die("show: usage: %s", spec->usage);
		}
	} else if (!strcmp(op, "dot")) {
		write_dot(tok[1]);
	} else if (!strcmp(op, "echo")) {
		for (int i = 1; i < n; i++)
			fprintf(M.out, "%s%s", i > 1 ? " " : "", tok[i]);
		fputc('\n', M.out);
	}
}

static void run_checked(char *line)
{
	bool expecting = M.expect_err != 0;
	run_line(line);
	if (expecting && M.expect_err)
		die("expected %s, but the operation succeeded", mm_strerror(M.expect_err));
}

int cmd_run(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		die("cannot open '%s': %s", path, strerror(errno));
	M.where = path;
	char buf[4096];
	while (fgets(buf, sizeof(buf), f)) {
		M.line++;
		if (!strchr(buf, '\n') && !feof(f))
			die("line too long");
		run_checked(buf);
	}
	if (f != stdin)
		fclose(f);
	M.line = 0;
	return 0;
}
