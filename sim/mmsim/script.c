/* mmsim run: the executor of scenario operations, and the spaces they name. */
#include "mmsim.h"
#include "scenario.h"

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

/* ---- the executor ----------------------------------------------------------- */

static void user_access(mm_vaddr_t va, unsigned flags, void *buf, size_t len, struct sim_fault *f,
                        int *rc)
{
	*rc = (flags & SIM_WRITE) ? sim_write(M.sim, va, buf, len, flags, f)
	                          : sim_read(M.sim, va, buf, len, flags, f);
	track_peak();
}

void script_usage(FILE *f)
{
	scenario_usage(f);
}

/* The name of @op's operation, for messages. */
static const char *op_name(const struct op *op)
{
	static const char *const names[OP_NKINDS] = {
		[OP_MAP] = "map",     [OP_PROTECT] = "protect", [OP_MPROTECT] = "mprotect",
		[OP_UNMAP] = "unmap", [OP_MUNMAP] = "munmap",   [OP_READ] = "read",
		[OP_WRITE] = "write",
	};
	return names[op->kind] ? names[op->kind] : "?";
}

/* Carry out @op on the machine; an error dies (ok_or_die()). */
static void run_op(const struct op *op)
{
	const unsigned U = SIM_USER | SIM_DEMAND;
	const char *what = op_name(op);
	switch (op->kind) {
	case OP_ARCH:
		if (strcmp(op->word, ARCH_NAME))
			die("this script is for %s; run it with --arch %s", op->word, op->word);
		break;
	case OP_CREATE: {
		struct named *s = new_space(op->space);
		int err = mm_space_create(M.sys, s->s);
		if (err)
			drop_space(s);
		ok_or_die(err, "create");
		break;
	}
	case OP_DESTROY: {
		struct named *s = need_space(op->space);
		int err = mm_space_destroy(s->s);
		if (!err)
			drop_space(s);
		ok_or_die(err, "destroy");
		break;
	}
	case OP_SWITCH:
		if (!op->space)
			mm_space_activate(mm_sys_kernel_space(M.sys));
		else
			mm_space_activate(need_space(op->space)->s);
		break;
	case OP_FORK: {
		struct named *p = need_space(op->space);
		struct named *c = new_space(op->space2);
		int err = mm_space_clone(p->s, c->s, op->eager ? MM_CLONE_EAGER : MM_CLONE_COW);
		if (err) {
			drop_space(c);
		} else if (p->image) { /* the child's file-backed regions point into it */
			c->image = p->image;
			c->image->refs++;
		}
		ok_or_die(err, "fork");
		break;
	}
	case OP_MAP:
	case OP_PROTECT:
	case OP_MPROTECT: {
		struct named *s = need_space(op->space);
		unsigned prot = op->prot | MM_PROT_USER;
		int err = op->kind == OP_MAP       ? mm_map(s->s, op->va, op->pages, prot)
		          : op->kind == OP_PROTECT ? mm_protect(s->s, op->va, op->pages, prot)
		                                   : mm_mprotect(s->s, op->va, op->pages, prot);
		ok_or_die(err, what);
		break;
	}
	case OP_UNMAP:
	case OP_MUNMAP: {
		struct named *s = need_space(op->space);
		ok_or_die(op->kind == OP_UNMAP ? mm_unmap(s->s, op->va, op->pages)
		                               : mm_munmap(s->s, op->va, op->pages),
		          what);
		break;
	}
	case OP_MMAP: {
		struct named *s = need_space(op->space);
		mm_vaddr_t va = op->any ? 0 : op->va;
		unsigned flags = (va ? (op->fixed ? MM_MAP_FIXED : MM_MAP_FIXED_NOREPLACE) : 0) |
		                 (op->shared ? MM_MAP_SHARED : 0);
		mm_vaddr_t got;
		int err = mm_mmap(s->s, va, op->pages, op->prot, flags, &got);
		ok_or_die(err, "mmap");
		if (!err)
			fprintf(M.out, "# mmap %s: %" PRIu64 " pages at 0x%" PRIx64 "\n", s->name,
			        op->pages, got);
		break;
	}
	case OP_MADVISE: {
		struct named *s = need_space(op->space);
		ok_or_die(mm_madvise(s->s, op->va, op->pages, MM_MADV_DONTNEED), "madvise");
		break;
	}
	case OP_MREMAP: {
		struct named *s = need_space(op->space);
		mm_vaddr_t got;
		int err = mm_mremap(s->s, op->va, op->pages, op->value,
		                    op->maymove ? MM_MREMAP_MAYMOVE : 0, &got);
		ok_or_die(err, "mremap");
		if (!err)
			fprintf(M.out, "# mremap %s: %" PRIu64 " pages at 0x%" PRIx64 "\n", s->name,
			        op->value, got);
		break;
	}
	case OP_BRK: {
		struct named *s = need_space(op->space);
		if (op->start) {
			if (s->s->brk_start)
				die("brk: the heap of %s already starts at 0x%" PRIx64, s->name,
				    s->s->brk_start);
			s->s->brk_start = s->s->brk = op->va;
			break;
		}
		mm_vaddr_t got;
		int err = mm_brk(s->s, op->va, &got);
		ok_or_die(err, "brk");
		if (!err)
			fprintf(M.out, "# brk %s: 0x%" PRIx64 "\n", s->name, got);
		break;
	}
	case OP_STACK: {
		struct named *s = need_space(op->space);
		mm_vaddr_t top = op->va;
		struct mm_region r = { .start = top - PAGE,
			               .end = top,
			               .limit = top - op->pages * PAGE,
			               .prot = MM_PROT_READ | MM_PROT_WRITE,
			               .kind = MM_REGION_STACK,
			               .backing = MM_BACKING_ANON,
			               .flags = MM_REGION_GROWS_DOWN };
		ok_or_die(mm_region_add(s->s, &r), "stack");
		ok_or_die(mm_populate(s->s, top - PAGE, 1, MM_ACCESS_WRITE), "stack");
		break;
	}
	case OP_EXEC: {
		struct named *s = find_space(op->space);
		if (!s) {
			s = new_space(op->space);
			int err = mm_space_create(M.sys, s->s);
			if (err)
				drop_space(s);
			ok_or_die(err, "exec: create");
			if (err)
				return;
		}
		do_exec(s, op->word, (char **)op->args, op->nargs, false);
		break;
	}
	case OP_WRITE:
	case OP_READ: {
		uint64_t v = op->value;
		struct sim_fault f;
		int rc;
		if (op->kind == OP_WRITE)
			user_access(op->va, U | SIM_WRITE, &v, 8, &f, &rc);
		else
			user_access(op->va, U, &v, 8, &f, &rc);
		if (rc)
			die("%s 0x%" PRIx64 ": fault (%s, error code 0x%x)", what, op->va,
			    verdict_name(&f), f.error_code);
		if (op->kind == OP_READ && op->has_value && v != op->value)
			die("read 0x%" PRIx64 ": got 0x%" PRIx64 ", expected %s", op->va, v,
			    op->word);
		if (op->kind == OP_READ && !op->has_value)
			fprintf(M.out, "# read 0x%" PRIx64 " = 0x%" PRIx64 "\n", op->va, v);
		break;
	}
	case OP_FAULT: {
		/* fault read|write|exec VA VERDICT: the access must fail so. */
		static const char *const access_names[] = { "read", "write", "exec" };
		const char *verdict = scenario_verdicts[op->verdict];
		unsigned fl = U | (op->access == OP_ACCESS_WRITE  ? SIM_WRITE
		                   : op->access == OP_ACCESS_EXEC ? SIM_FETCH
		                                                  : 0);
		uint64_t v = 0;
		struct sim_fault f = { 0 };
		int rc;
		if (fl & SIM_FETCH) {
			mm_paddr_t pa;
			rc = sim_access(M.sim, op->va, fl, &pa, &f);
		} else {
			user_access(op->va, fl, &v, 1, &f, &rc);
		}
		if (!rc)
			die("%s 0x%" PRIx64 ": expected a fault (%s), but it succeeded",
			    access_names[op->access], op->va, verdict);
		if (strcmp(verdict_name(&f), verdict))
			die("%s 0x%" PRIx64 ": expected %s, got %s (error code 0x%x)",
			    access_names[op->access], op->va, verdict, verdict_name(&f),
			    f.error_code);
		break;
	}
	case OP_POPULATE: {
		struct named *s = need_space(op->space);
		ok_or_die(mm_populate(s->s, op->va, op->pages,
		                      op->access == OP_ACCESS_WRITE ? MM_ACCESS_WRITE
		                                                    : MM_ACCESS_READ),
		          "populate");
		break;
	}
	case OP_SOFTFAULT: {
		/* mm_fault() called by the kernel itself (no hardware fault: the
		 * TLB is left as it is) must answer the verdict. */
		struct named *s = need_space(op->space);
		enum mm_fault_verdict got = mm_fault(
		        s->s, op->va,
		        op->access == OP_ACCESS_WRITE ? MM_ACCESS_WRITE : MM_ACCESS_READ, NULL);
		track_peak();
		if ((int)got != op->verdict && !(got == MM_FAULT_OOM && M.inject))
			die("softfault 0x%" PRIx64 ": got %s, expected %s", op->va,
			    scenario_soft_verdicts[got], scenario_soft_verdicts[op->verdict]);
		break;
	}
	case OP_KMAP: {
		/* A fresh kernel frame mapped at VA in the kernel half. */
		mm_paddr_t pa;
		int err = mm_sys_frame_alloc(M.sys, MM_FRAME_KERNEL, true, &pa);
		if (!err) {
			err = mm_kernel_map(M.sys, op->va, pa, 1, op->prot);
			if (err)
				mm_sys_frame_put(M.sys, pa);
		}
		ok_or_die(err, "kmap");
		break;
	}
	case OP_KUNMAP: {
		/* Unmap kernel-half pages and free the frames kmap gave them. */
		mm_paddr_t pas[64];
		for (uint64_t i = 0; i < op->pages; i++) {
			struct mm_mapping q;
			pas[i] = mm_query(mm_sys_kernel_space(M.sys), op->va + i * PAGE, &q) ? 0
			                                                                     : q.pa;
		}
		int err = mm_kernel_unmap(M.sys, op->va, op->pages);
		if (!err)
			for (uint64_t i = 0; i < op->pages; i++)
				if (mm_frame_get(&M.sys->frames, pas[i]))
					mm_sys_frame_put(M.sys, pas[i]);
		ok_or_die(err, "kunmap");
		break;
	}
	case OP_KREAD:
	case OP_KWRITE: {
		/* 8 bytes in supervisor mode, in the active space, through the
		 * TLB; no fault handling. */
		uint64_t v = op->kind == OP_KWRITE ? op->value : 0;
		struct sim_fault f = { 0 };
		int rc;
		user_access(op->va, op->kind == OP_KWRITE ? SIM_WRITE : 0, &v, 8, &f, &rc);
		const char *name = op->kind == OP_KWRITE ? "kwrite" : "kread";
		if (op->want_fault && !rc)
			die("kread 0x%" PRIx64 ": expected a fault, read 0x%" PRIx64, op->va, v);
		if (!op->want_fault && rc)
			die("%s 0x%" PRIx64 ": fault (error code 0x%x)", name, op->va,
			    f.error_code);
		if (op->kind == OP_KREAD && op->has_value && v != op->value)
			die("kread 0x%" PRIx64 ": got 0x%" PRIx64 ", expected 0x%" PRIx64, op->va,
			    v, op->value);
		if (op->kind == OP_KREAD && !op->has_value && !op->want_fault)
			fprintf(M.out, "# kread 0x%" PRIx64 " = 0x%" PRIx64 "\n", op->va, v);
		break;
	}
	case OP_EXPECT_ERROR:
		/* expect-error CODE: the next operation must fail with CODE. */
		M.expect_err = op->err;
		break;
	case OP_FAIL_NEXT:
		/* fail-next N: allocation N (from 0) of what follows fails, until
		 * `fail-next off`; ENOMEM and OOM are then accepted outcomes. */
		mm_frames_fail_after(&M.sys->frames, op->fail_at);
		M.inject = op->fail_at >= 0;
		break;
	case OP_CHECK: {
		char msg[256];
		if (sim_check(M.sim, msg, sizeof(msg)))
			die("invariant broken: %s", msg);
		break;
	}
	case OP_MARK: M.mark = mm_frames_free_count(&M.sys->frames); break;
	case OP_CONSERVED: {
		uint32_t now = mm_frames_free_count(&M.sys->frames);
		if (now != M.mark)
			die("frames not conserved: %u free at the mark, %u now", M.mark, now);
		break;
	}
	case OP_SHOW:
		if (op->show == OP_SHOW_STATS) {
			show_stats();
			break;
		}
		if (op->space)
			need_space(op->space);
		for (int i = 0; i < MAX_SPACES; i++) {
			struct named *s = &M.spaces[i];
			if (!s->s || (op->space && strcmp(op->space, s->name)))
				continue;
			if (op->show == OP_SHOW_MAPS)
				show_maps(s);
			else if (op->show == OP_SHOW_MEM)
				show_mem(s);
			else
				show_tables(s);
		}
		break;
	case OP_DOT: write_dot(op->word); break;
	case OP_ECHO:
		for (int i = 0; i < op->nargs; i++)
			fprintf(M.out, "%s%s", i ? " " : "", op->args[i]);
		fputc('\n', M.out);
		break;
	case OP_NKINDS: break;
	}
}

/* Parse @line and carry it out. */
static void run_line(char *line)
{
	struct op op;
	char err[512];
	int got = scenario_parse(line, &op, err, sizeof(err));
	if (got < 0)
		die("%s", err);
	if (got > 0)
		run_op(&op);
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
	const bool opened = strcmp(path, "-") != 0; /* else standard input */
	FILE *f = opened ? fopen(path, "r") : stdin;
	if (!f)
		die("cannot open '%s': %s", path, strerror(errno));
	M.where = path;
	char buf[4096];
	while (fgets(buf, sizeof(buf), f)) {
		M.line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			if (opened)
				fclose(f);
			die("line too long");
		}
		run_checked(buf);
	}
	int err = ferror(f) ? errno : 0;
	if (opened)
		fclose(f);
	M.line = 0;
	if (err)
		die("cannot read '%s': %s", path, strerror(err));
	if (M.expect_err)
		die("expect-error %.*s at the end: no operation follows",
		    (int)strcspn(mm_strerror(M.expect_err), ":"), mm_strerror(M.expect_err));
	return 0;
}
