/*
 * mmsim-<isa>: the simulator on the command line, for one ISA. The `mmsim`
 * driver (driver.c) picks the binary from --arch. See `mmsim --help` and
 * docs/MMSIM.md.
 *
 *   mmsim run [--json] [--dot FILE] SCRIPT      a scenario script
 *   mmsim trace [options] FILE|-                a Valgrind Lackey trace
 *   mmsim exec [options] ELF [ARGS...]          the image of an executable
 */
#include <mm/exec.h>
#include <sim/sim.h>

#include <arch/layout.h>
#include <arch/pte.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define PAGE       ARCH_PAGE_SIZE
#define MAX_SPACES 64

struct named {
	char name[32];
	struct mm_space *s;
	const uint8_t *image; /* exec'd file, for map offsets and names */
	char image_path[256];
};

static struct {
	struct sim *sim;
	struct mm_sys *sys;
	struct named spaces[MAX_SPACES];
	bool json;
	const char *dot;
	const char *where; /* file name for messages */
	unsigned long line;
	uint32_t mark;
	uint32_t peak_in_use;
	bool inject;    /* fail-next armed: ENOMEM is an expected outcome */
	int expect_err; /* expect-error: the next operation must fail so */
} M;

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fflush(stdout);
	if (M.where && M.line)
		fprintf(stderr, "%s:%lu: ", M.where, M.line);
	else if (M.where)
		fprintf(stderr, "%s: ", M.where);
	else
		fprintf(stderr, "mmsim: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void track_peak(void)
{
	uint32_t used = mm_frames_total(&M.sys->frames) - mm_frames_free_count(&M.sys->frames);
	if (used > M.peak_in_use)
		M.peak_in_use = used;
}

static void make_sim(uint64_t mem_mib, unsigned tlb, bool check_stale)
{
	struct sim_config cfg = sim_config_default();
	cfg.mem_bytes = mem_mib << 20;
	cfg.tlb_entries = tlb;
	cfg.tlb_ways = tlb >= 4 ? 4 : (tlb ? tlb : 1);
	cfg.check_stale = check_stale;
	int err = sim_create(&cfg, &M.sim);
	if (err)
		die("cannot create a %" PRIu64 " MiB machine with a %u-entry TLB: %s", mem_mib, tlb,
		    mm_strerror(err));
	M.sys = sim_sys(M.sim);
	track_peak();
}

/* ---- output --------------------------------------------------------------- */

static const char *const how_names[MM_FAULT_NHOWS] = { "demand_zero", "file",       "cow_copy",
	                                               "cow_reuse",   "stack_grow", "spurious" };
static const char *const kind_names[MM_REGION_NKINDS] = { "code",  "rodata", "data",  "heap",
	                                                  "stack", "mmap",   "shared" };

static void prot_str(unsigned prot, bool shared, char out[5])
{
	out[0] = (prot & MM_PROT_READ) ? 'r' : '-';
	out[1] = (prot & MM_PROT_WRITE) ? 'w' : '-';
	out[2] = (prot & MM_PROT_EXEC) ? 'x' : '-';
	out[3] = shared ? 's' : 'p';
	out[4] = 0;
}

/* Resident pages of @s in [lo, hi). */
static uint64_t resident(struct mm_space *s, mm_vaddr_t lo, mm_vaddr_t hi)
{
	uint64_t n = 0;
	struct mm_mapping m;
	if ((hi - lo) / PAGE > 1u << 20)
		return 0; /* not worth counting */
	for (mm_vaddr_t va = lo; va < hi; va += PAGE)
		n += mm_query(s, va, &m) == 0;
	return n;
}

/* /proc/PID/maps style, plus the kind and the resident pages. */
static void show_maps(struct named *n)
{
	struct mm_space *s = n->s;
	printf("# maps of %s (%u regions, %" PRIu64 " resident pages)\n", n->name, s->nregions,
	       s->user_pages);
	for (unsigned i = 0; i < s->nregions; i++) {
		const struct mm_region *r = &s->regions[i];
		char p[5];
		prot_str(r->prot, r->backing == MM_BACKING_SHARED, p);
		uint64_t off = 0;
		const char *name = "";
		if (r->backing == MM_BACKING_FILE && n->image) {
			off = (uint64_t)(r->file - n->image) - (r->file_va - r->start);
			name = n->image_path;
		} else if (r->kind == MM_REGION_STACK) {
			name = "[stack]";
		} else if (r->kind == MM_REGION_HEAP) {
			name = "[heap]";
		}
		printf("%0*" PRIx64 "-%0*" PRIx64 " %s %08" PRIx64 " 00:00 0 %-24s # %s, %" PRIu64
		       " resident\n",
		       ARCH_VA_BITS > 32 ? 12 : 8, r->start, ARCH_VA_BITS > 32 ? 12 : 8, r->end, p,
		       off, name, kind_names[r->kind], resident(s, r->start, r->end));
	}
}

static int show_entry(void *ctx, const struct mm_walk_entry *e)
{
	static const char *const lv[] = ARCH_LEVEL_NAMES;
	struct mm_space *s = ctx;
	char p[5] = "";
	if (e->leaf) {
		struct mm_mapping m;
		mm_query(s, e->va, &m);
		prot_str(e->prot, false, p);
		p[3] = (e->prot & MM_PROT_USER) ? 'u' : 's';
		printf("%*s%-4s[%3u] %0*" PRIx64 " -> frame 0x%" PRIx64 " %s%s",
		       2 * (ARCH_LEVELS - 1 - e->level), "", lv[e->level], e->index,
		       ARCH_VA_BITS > 32 ? 12 : 8, e->va, e->pa, p, e->cow ? " cow" : "");
		if (m.refs > 1)
			printf(" shared(refs=%u)", m.refs);
		putchar('\n');
	} else {
		printf("%*s%-4s[%3u] %0*" PRIx64 " -> table 0x%" PRIx64 "\n",
		       2 * (ARCH_LEVELS - 1 - e->level), "", lv[e->level], e->index,
		       ARCH_VA_BITS > 32 ? 12 : 8, e->va, e->pa);
	}
	return 0;
}

static void show_tables(struct named *n)
{
	printf("# page tables of %s: root 0x%" PRIx64 ", %" PRIu64 " table frames (user half)\n",
	       n->name, n->s->root, n->s->table_pages);
	mm_space_walk(n->s, false, show_entry, n->s);
}

struct dot_ctx {
	FILE *f;
	struct mm_space *s;
	const char *space;
	unsigned leaves;
};

static int dot_entry(void *ctx, const struct mm_walk_entry *e)
{
	struct dot_ctx *d = ctx;
	static const char *const lv[] = ARCH_LEVEL_NAMES;
	/* The parent table of this entry is the one the walk came from: we
	 * draw edges from the table holding the entry, found by a query of
	 * the tree: keep a stack of the last table per level instead. */
	static mm_paddr_t last_table[8];
	mm_paddr_t parent = e->level == ARCH_LEVELS - 1 ? d->s->root : last_table[e->level];
	if (!e->leaf) {
		last_table[e->level - 1] = e->pa;
		fprintf(d->f, "  t%" PRIx64 " [label=\"%s 0x%" PRIx64 "\", shape=box];\n", e->pa,
		        lv[e->level - 1], e->pa);
		fprintf(d->f, "  t%" PRIx64 " -> t%" PRIx64 " [label=\"%u\"];\n", parent, e->pa,
		        e->index);
		return 0;
	}
	if (++d->leaves > 4096)
		return 0;
	struct mm_mapping m;
	mm_query(d->s, e->va, &m);
	const char *style = m.refs > 1 ? ", style=filled, fillcolor=\"#f4a261\"" : "";
	fprintf(d->f, "  f%" PRIx64 " [label=\"frame 0x%" PRIx64 "%s\", shape=ellipse%s];\n", e->pa,
	        e->pa, m.refs > 1 ? "\\nshared" : "", style);
	fprintf(d->f, "  t%" PRIx64 " -> f%" PRIx64 " [label=\"%u%s\"%s];\n", parent, e->pa,
	        e->index, e->cow ? " cow" : "", e->cow ? ", style=dashed" : "");
	return 0;
}

/* Graphviz: each space's tree, side by side; shared frames drawn once and
 * highlighted, so a fork's sharing shows. Rendered to SVG if dot exists. */
static void write_dot(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write %s: %s", path, strerror(errno));
	fprintf(f,
	        "digraph mmkit {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n");
	for (int i = 0; i < MAX_SPACES; i++) {
		struct named *n = &M.spaces[i];
		if (!n->s)
			continue;
		fprintf(f, "  subgraph cluster_%d {\n  label=\"%s (%s)\";\n", i, n->name,
		        ARCH_NAME);
		fprintf(f,
		        "  t%" PRIx64 " [label=\"%s root\\n0x%" PRIx64
		        "\", shape=box, style=bold];\n",
		        n->s->root, n->name, n->s->root);
		fprintf(f, "  }\n");
		struct dot_ctx d = { f, n->s, n->name, 0 };
		mm_space_walk(n->s, false, dot_entry, &d);
	}
	fprintf(f, "}\n");
	fclose(f);
	char svg[512];
	snprintf(svg, sizeof(svg), "%s.svg", path);
	if (system("command -v dot >/dev/null 2>&1") == 0) {
		char cmd[1200];
		snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' -o '%s'", path, svg);
		if (system(cmd) == 0) {
			printf("# picture: %s (Graphviz), rendered to %s\n", path, svg);
			return;
		}
	}
	printf("# picture: %s (Graphviz; install graphviz to render it)\n", path);
}

static void show_stats(void)
{
	const struct sim_stats *st = sim_stats(M.sim);
	track_peak();
	uint64_t resident = 0, tables = 0;
	for (int i = 0; i < MAX_SPACES; i++)
		if (M.spaces[i].s)
			resident += M.spaces[i].s->user_pages, tables += M.spaces[i].s->table_pages;
	uint64_t faults = 0;
	for (int h = 0; h < MM_FAULT_NHOWS; h++)
		faults += st->resolved[h];
	if (M.json) {
		printf("{\"arch\": \"%s\", \"accesses\": %" PRIu64 ", \"tlb_hits\": %" PRIu64
		       ", \"tlb_misses\": %" PRIu64 ", \"walks\": %" PRIu64
		       ", \"page_faults\": %" PRIu64 ", \"faults_resolved\": {",
		       ARCH_NAME, st->accesses, st->tlb_hits, st->tlb_misses, st->walks,
		       st->page_faults);
		for (int h = 0; h < MM_FAULT_NHOWS; h++)
			printf("%s\"%s\": %" PRIu64, h ? ", " : "", how_names[h], st->resolved[h]);
		printf("}, \"resident_pages\": %" PRIu64 ", \"page_table_frames\": %" PRIu64
		       ", \"page_table_bytes\": %" PRIu64
		       ", \"peak_frames\": %u, \"frames_free\": %u"
		       ", \"cr3_writes\": %" PRIu64 ", \"invlpg\": %" PRIu64
		       ", \"tlb_flushes\": %" PRIu64 ", \"stale_tlb_entries\": %" PRIu64 "}\n",
		       resident, tables, tables * PAGE, M.peak_in_use,
		       mm_frames_free_count(&M.sys->frames), st->cr3_writes, st->invlpg,
		       st->flushes, st->stale);
		return;
	}
	printf("# statistics (%s)\n", ARCH_NAME);
	printf("  accesses          %" PRIu64 "\n", st->accesses);
	printf("  TLB hits          %" PRIu64 " (%.2f%%)\n", st->tlb_hits,
	       st->accesses ? 100.0 * (double)st->tlb_hits / (double)st->accesses : 0.0);
	printf("  TLB misses        %" PRIu64 "\n", st->tlb_misses);
	printf("  page walks        %" PRIu64 "\n", st->walks);
	printf("  page faults       %" PRIu64 " (resolved %" PRIu64 ":", st->page_faults, faults);
	for (int h = 0; h < MM_FAULT_NHOWS; h++)
		if (st->resolved[h])
			printf(" %s %" PRIu64, how_names[h], st->resolved[h]);
	printf(")\n");
	printf("  resident pages    %" PRIu64 " (%" PRIu64 " KiB)\n", resident,
	       resident * PAGE / 1024);
	printf("  page-table frames %" PRIu64 " (%" PRIu64 " bytes, user half)\n", tables,
	       tables * PAGE);
	printf("  peak frames       %u in use (of %u)\n", M.peak_in_use,
	       mm_frames_total(&M.sys->frames));
	printf("  CR3 writes %" PRIu64 ", invlpg %" PRIu64 ", TLB flushes %" PRIu64
	       ", stale TLB entries %" PRIu64 "\n",
	       st->cr3_writes, st->invlpg, st->flushes, st->stale);
}

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

static void drop_space(struct named *n)
{
	free(n->s);
	n->s = NULL;
}

/* ---- the scenario language -------------------------------------------------- */

static uint64_t num(const char *tok, const char *what)
{
	if (!tok)
		die("missing %s", what);
	char *end;
	errno = 0;
	uint64_t v = strtoull(tok, &end, 0);
	if (errno || *end || end == tok || tok[0] == '-')
		die("bad %s '%s' (a number: decimal or 0x hex)", what, tok);
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
	return num(tok, "virtual address");
}

static void ok_or_die(int err, const char *what)
{
	if (M.expect_err) {
		if (err == M.expect_err) {
			M.expect_err = 0;
			return;
		}
		if (!(err == -MM_ENOMEM && M.inject))
			die("%s: expected %s, got %s", what, mm_strerror(M.expect_err),
			    err ? mm_strerror(err) : "success");
	}
	if (err == -MM_ENOMEM && M.inject) {
		if (!M.json)
			printf("# %s: ENOMEM (injected)\n", what);
		return;
	}
	if (err)
		die("%s: %s", what, mm_strerror(err));
	track_peak();
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open '%s': %s", path, strerror(errno));
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf)
		die("out of host memory reading '%s'", path);
	*size = n;
	return buf;
}

/* exec FILE into a fresh space that replaces @n's on success. */
static mm_vaddr_t load_base; /* --load-base: where an ET_DYN file goes */

static void do_exec(struct named *n, const char *path, char **args, int nargs, bool eager)
{
	size_t size;
	uint8_t *img = read_file(path, &size);
	const char *argv[64];
	int argc = 0;
	argv[argc++] = path;
	for (int i = 0; i < nargs && argc < 63; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	const char *envp[] = { "MMSIM=1", NULL };
	struct mm_space *fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		die("out of host memory");
	int cerr = mm_space_create(M.sys, fresh);
	if (cerr) {
		free(fresh);
		free(img);
		ok_or_die(cerr, "exec: create"); /* returns only for an injected failure */
		return;
	}
	struct mm_exec_args a = { .argv = argv,
		                  .envp = envp,
		                  .stack_top = ARCH_USER_STACK_TOP,
		                  .stack_max_pages = 2048,
		                  .eager = eager,
		                  .dyn_base = load_base };
	struct mm_exec_image im;
	int err = mm_exec(fresh, img, size, &a, &im);
	if (err == -MM_ENOMEM && M.inject) {
		mm_space_destroy(fresh);
		free(fresh);
		free(img);
		if (!M.json)
			printf("# exec: ENOMEM (injected)\n");
		return;
	}
	if (err) {
		mm_space_destroy(fresh);
		free(fresh);
		free(img);
		die("exec '%s': %s (%s)", path, mm_strerror(err),
		    err == -MM_EINVAL ? "not a valid " ARCH_NAME " ELF executable" : "refused");
	}
	if (n->s) {
		if (mm_space_is_active(n->s))
			mm_space_activate(fresh);
		ok_or_die(mm_space_destroy(n->s), "exec: destroy the old image");
		free(n->s);
		free((void *)n->image);
	}
	n->s = fresh;
	n->image = img;
	snprintf(n->image_path, sizeof(n->image_path), "%s", path);
	track_peak();
	if (!M.json)
		printf("# exec %s: entry 0x%" PRIx64 ", stack pointer 0x%" PRIx64 ", %u program "
		       "headers, heap from 0x%" PRIx64 "%s\n",
		       path, im.entry, im.sp, im.phnum, im.brk,
		       im.has_interp ? "; PT_INTERP present (interpreter not loaded)" : "");
}

static void user_access(const char *op, mm_vaddr_t va, unsigned flags, void *buf, size_t len,
                        struct sim_fault *f, int *rc)
{
	(void)op;
	*rc = (flags & SIM_WRITE) ? sim_write(M.sim, va, buf, len, flags, f)
	                          : sim_read(M.sim, va, buf, len, flags, f);
	track_peak();
}

static const char *verdict_name(const struct sim_fault *f)
{
	static const char *const v[] = { "resolved", "segv", "access", "oom" };
	return f->page_fault ? v[f->verdict] : "gp";
}

static void run_line(char *line)
{
	char *tok[32];
	int n = 0;
	for (char *t = strtok(line, " \t\r\n"); t && n < 32; t = strtok(NULL, " \t\r\n")) {
		if (t[0] == '#')
			break;
		tok[n++] = t;
	}
	if (n == 0)
		return;
	for (int i = n; i < 32; i++)
		tok[i] = NULL;
	const char *op = tok[0];
	const unsigned U = SIM_USER | SIM_DEMAND;
	if (!strcmp(op, "arch")) {
		if (!tok[1] || strcmp(tok[1], ARCH_NAME))
			die("this script is for %s; run it with --arch %s", tok[1] ? tok[1] : "?",
			    tok[1] ? tok[1] : "?");
	} else if (!strcmp(op, "create")) {
		struct named *s = new_space(tok[1] ? tok[1] : (die("missing space name"), ""));
		int err = mm_space_create(M.sys, s->s);
		if (err)
			drop_space(s); /* an injected ENOMEM: no space by that name */
		ok_or_die(err, "create");
	} else if (!strcmp(op, "destroy")) {
		struct named *s = need_space(tok[1]);
		ok_or_die(mm_space_destroy(s->s), "destroy");
		drop_space(s);
	} else if (!strcmp(op, "switch")) {
		if (tok[1] && !strcmp(tok[1], "kernel"))
			mm_space_activate(mm_sys_kernel_space(M.sys));
		else
			mm_space_activate(need_space(tok[1])->s);
	} else if (!strcmp(op, "fork")) {
		struct named *p = need_space(tok[1]);
		if (!tok[2])
			die("fork PARENT CHILD [cow|eager]");
		struct named *c = new_space(tok[2]);
		enum mm_clone_mode mode = MM_CLONE_COW;
		if (tok[3] && !strcmp(tok[3], "eager"))
			mode = MM_CLONE_EAGER;
		else if (tok[3] && strcmp(tok[3], "cow"))
			die("fork mode '%s': cow or eager", tok[3]);
		int err = mm_space_clone(p->s, c->s, mode);
		if (err)
			drop_space(c);
		ok_or_die(err, "fork");
		c->image = NULL;
	} else if (!strcmp(op, "map") || !strcmp(op, "protect") || !strcmp(op, "mprotect")) {
		struct named *s = need_space(tok[1]);
		mm_vaddr_t va = va_of(tok[2]);
		uint64_t pages = num(tok[3], "page count");
		unsigned prot = prot_of(tok[4]);
		int err = !strcmp(op, "map")       ? mm_map(s->s, va, pages, prot)
		          : !strcmp(op, "protect") ? mm_protect(s->s, va, pages, prot)
		                                   : mm_mprotect(s->s, va, pages, prot);
		ok_or_die(err, op);
	} else if (!strcmp(op, "unmap") || !strcmp(op, "munmap")) {
		struct named *s = need_space(tok[1]);
		mm_vaddr_t va = va_of(tok[2]);
		uint64_t pages = num(tok[3], "page count");
		ok_or_die(!strcmp(op, "unmap") ? mm_unmap(s->s, va, pages)
		                               : mm_munmap(s->s, va, pages),
		          op);
	} else if (!strcmp(op, "mmap")) {
		struct named *s = need_space(tok[1]);
		mm_vaddr_t va = tok[2] && !strcmp(tok[2], "any") ? 0 : va_of(tok[2]);
		uint64_t pages = num(tok[3], "page count");
		unsigned prot = prot_of(tok[4]) & ~(unsigned)MM_PROT_USER;
		unsigned flags = va ? MM_MAP_FIXED : 0;
		if (tok[5] && !strcmp(tok[5], "shared"))
			flags |= MM_MAP_SHARED;
		else if (tok[5])
			die("mmap option '%s': only 'shared'", tok[5]);
		mm_vaddr_t got;
		ok_or_die(mm_mmap(s->s, va, pages, prot, flags, &got), "mmap");
		if (!M.json)
			printf("# mmap %s: %" PRIu64 " pages at 0x%" PRIx64 "\n", s->name, pages,
			       got);
	} else if (!strcmp(op, "stack")) {
		struct named *s = need_space(tok[1]);
		mm_vaddr_t top = va_of(tok[2]);
		uint64_t max = num(tok[3], "page count");
		struct mm_region r = { .start = top - PAGE,
			               .end = top,
			               .limit = top - max * PAGE,
			               .prot = MM_PROT_READ | MM_PROT_WRITE,
			               .kind = MM_REGION_STACK,
			               .backing = MM_BACKING_ANON,
			               .flags = MM_REGION_GROWS_DOWN };
		if (max < 1 || max * PAGE >= top)
			die("stack: bad size");
		ok_or_die(mm_region_add(s->s, &r), "stack");
		ok_or_die(mm_populate(s->s, top - PAGE, 1, MM_ACCESS_WRITE), "stack");
	} else if (!strcmp(op, "exec")) {
		struct named *s = find_space(tok[1] ? tok[1] : (die("exec SPACE FILE [ARGS]"), ""));
		if (!tok[2])
			die("exec SPACE FILE [ARGS]");
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
		uint64_t v = 0;
		struct sim_fault f;
		int rc;
		if (!strcmp(op, "write")) {
			v = num(tok[2], "value");
			user_access(op, va, U | SIM_WRITE, &v, 8, &f, &rc);
		} else {
			user_access(op, va, U, &v, 8, &f, &rc);
		}
		if (rc)
			die("%s 0x%" PRIx64 ": fault (%s, error code 0x%x)", op, va,
			    verdict_name(&f), f.error_code);
		if (!strcmp(op, "read") && tok[2] && v != num(tok[2], "expected value"))
			die("read 0x%" PRIx64 ": got 0x%" PRIx64 ", expected %s", va, v, tok[2]);
		if (!strcmp(op, "read") && !tok[2] && !M.json)
			printf("# read 0x%" PRIx64 " = 0x%" PRIx64 "\n", va, v);
	} else if (!strcmp(op, "fault")) {
		/* fault read|write|exec VA segv|access: the access must fail so. */
		if (!tok[1] || !tok[3])
			die("fault read|write|exec VA segv|access|gp");
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
			user_access(op, va, fl, &v, 1, &f, &rc);
		}
		if (!rc)
			die("%s 0x%" PRIx64 ": expected a fault (%s), but it succeeded", tok[1], va,
			    tok[3]);
		if (strcmp(verdict_name(&f), tok[3]))
			die("%s 0x%" PRIx64 ": expected %s, got %s (error code 0x%x)", tok[1], va,
			    tok[3], verdict_name(&f), f.error_code);
	} else if (!strcmp(op, "populate")) {
		/* populate A VA PAGES read|write: mm_populate() */
		struct named *s = need_space(tok[1]);
		mm_vaddr_t va = va_of(tok[2]);
		uint64_t pages = num(tok[3], "page count");
		if (!tok[4] || (strcmp(tok[4], "read") && strcmp(tok[4], "write")))
			die("populate SPACE VA PAGES read|write");
		ok_or_die(mm_populate(s->s, va, pages,
		                      !strcmp(tok[4], "write") ? MM_ACCESS_WRITE : MM_ACCESS_READ),
		          "populate");
	} else if (!strcmp(op, "softfault")) {
		/* softfault A read|write VA VERDICT: mm_fault() called by the kernel
		 * (no hardware fault: the TLB is left as it is) must answer VERDICT. */
		static const char *const v[] = { "resolved", "segv", "access", "oom" };
		struct named *s = need_space(tok[1]);
		if (!tok[2] || !tok[4] || (strcmp(tok[2], "read") && strcmp(tok[2], "write")))
			die("softfault SPACE read|write VA resolved|segv|access");
		enum mm_fault_verdict got =
		        mm_fault(s->s, va_of(tok[3]),
		                 !strcmp(tok[2], "write") ? MM_ACCESS_WRITE : MM_ACCESS_READ, NULL);
		track_peak();
		if (strcmp(v[got], tok[4]) && !(got == MM_FAULT_OOM && M.inject))
			die("softfault %s %s: got %s, expected %s", tok[2], tok[3], v[got], tok[4]);
	} else if (!strcmp(op, "kmap")) {
		/* kmap VA PROT: a fresh kernel frame mapped at VA in the kernel half */
		mm_vaddr_t va = va_of(tok[1]);
		unsigned prot = prot_of(tok[2]) & ~(unsigned)MM_PROT_USER;
		mm_paddr_t pa;
		int err = mm_sys_frame_alloc(M.sys, MM_FRAME_KERNEL, true, &pa);
		if (!err) {
			err = mm_kernel_map(M.sys, va, pa, 1, prot);
			if (err)
				mm_sys_frame_put(M.sys, pa);
		}
		ok_or_die(err, "kmap");
	} else if (!strcmp(op, "kunmap")) {
		/* kunmap VA PAGES: unmap kernel-half pages and free their frames */
		mm_vaddr_t va = va_of(tok[1]);
		uint64_t pages = num(tok[2], "page count");
		mm_paddr_t pas[64];
		if (pages > 64)
			die("kunmap: at most 64 pages");
		for (uint64_t i = 0; i < pages; i++) {
			struct mm_mapping q;
			pas[i] = mm_query(mm_sys_kernel_space(M.sys), va + i * PAGE, &q) ? 0 : q.pa;
		}
		int err = mm_kernel_unmap(M.sys, va, pages);
		if (!err)
			for (uint64_t i = 0; i < pages; i++)
				if (mm_frame_get(&M.sys->frames, pas[i]))
					mm_sys_frame_put(M.sys, pas[i]);
		ok_or_die(err, "kunmap");
	} else if (!strcmp(op, "kread") || !strcmp(op, "kwrite")) {
		/* kread VA [VALUE|fault] / kwrite VA VALUE: 8 bytes in supervisor
		 * mode, in the active space, through the TLB; no fault handling. */
		mm_vaddr_t va = va_of(tok[1]);
		uint64_t v = 0;
		struct sim_fault f;
		int rc;
		bool wr = !strcmp(op, "kwrite");
		if (wr) {
			v = num(tok[2], "value");
			user_access(op, va, SIM_WRITE, &v, 8, &f, &rc);
		} else {
			user_access(op, va, 0, &v, 8, &f, &rc);
		}
		bool want_fault = !wr && tok[2] && !strcmp(tok[2], "fault");
		if (want_fault && !rc)
			die("kread 0x%" PRIx64 ": expected a fault, read 0x%" PRIx64, va, v);
		if (!want_fault && rc)
			die("%s 0x%" PRIx64 ": fault (error code 0x%x)", op, va, f.error_code);
		if (!wr && !want_fault && tok[2] && v != num(tok[2], "expected value"))
			die("kread 0x%" PRIx64 ": got 0x%" PRIx64 ", expected %s", va, v, tok[2]);
		if (!wr && !tok[2] && !M.json)
			printf("# kread 0x%" PRIx64 " = 0x%" PRIx64 "\n", va, v);
	} else if (!strcmp(op, "expect-error")) {
		/* expect-error NAME: the next operation must fail with NAME. */
		static const struct {
			const char *name;
			int err;
		} codes[] = { { "EPERM", -MM_EPERM },   { "ENOENT", -MM_ENOENT },
			      { "ENOMEM", -MM_ENOMEM }, { "EFAULT", -MM_EFAULT },
			      { "EBUSY", -MM_EBUSY },   { "EEXIST", -MM_EEXIST },
			      { "EINVAL", -MM_EINVAL } };
		M.expect_err = 0;
		for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (tok[1] && !strcmp(tok[1], codes[i].name))
				M.expect_err = codes[i].err;
		if (!M.expect_err)
			die("expect-error: unknown error name '%s'", tok[1] ? tok[1] : "");
		return;
	} else if (!strcmp(op, "fail-next")) {
		/* fail-next N: allocation N (from 0) of what follows fails, until
		 * `fail-next off`; ENOMEM and OOM are then accepted outcomes. */
		if (tok[1] && !strcmp(tok[1], "off")) {
			mm_frames_fail_after(&M.sys->frames, -1);
			M.inject = false;
		} else {
			mm_frames_fail_after(&M.sys->frames,
			                     (int64_t)num(tok[1], "allocation number"));
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
		const char *what = tok[1] ? tok[1] : "";
		if (!strcmp(what, "stats")) {
			show_stats();
		} else if (!strcmp(what, "maps") || !strcmp(what, "tables")) {
			for (int i = 0; i < MAX_SPACES; i++) {
				struct named *s = &M.spaces[i];
				if (!s->s || (tok[2] && strcmp(tok[2], s->name)))
					continue;
				!strcmp(what, "maps") ? show_maps(s) : show_tables(s);
			}
		} else {
			die("show maps|tables [SPACE] | show stats");
		}
	} else if (!strcmp(op, "dot")) {
		if (!tok[1])
			die("dot FILE");
		write_dot(tok[1]);
	} else if (!strcmp(op, "echo")) {
		if (!M.json) {
			for (int i = 1; i < n; i++)
				printf("%s%s", i > 1 ? " " : "", tok[i]);
			putchar('\n');
		}
	} else {
		die("unknown operation '%s'", op);
	}
}

static int cmd_run(const char *path);
static void run_checked(char *line)
{
	bool expecting = M.expect_err != 0;
	run_line(line);
	if (expecting && M.expect_err)
		die("expected %s, but the operation succeeded", mm_strerror(M.expect_err));
}

static int cmd_run(const char *path)
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

/* ---- Lackey traces ---------------------------------------------------------- */

struct trace_opts {
	bool fold;
	bool quiet;
};

static void progress(uint64_t lines, gzFile g, off_t size, bool done)
{
	double frac = size > 0 ? (double)gzoffset(g) / (double)size : 0;
	if (frac > 1)
		frac = 1;
	char bar[41];
	int fill = (int)(frac * 40);
	for (int i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[40] = 0;
	if (size > 0)
		fprintf(stderr, "\r[%s] %3.0f%% %.1fM lines", bar, frac * 100, (double)lines / 1e6);
	else
		fprintf(stderr, "\r%.1fM lines", (double)lines / 1e6);
	if (done)
		fputc('\n', stderr);
}

/* One access of @size bytes at @va, touching every page it crosses. */
static void trace_access(mm_vaddr_t va, unsigned size, unsigned flags, const struct trace_opts *o)
{
	if ((va & (PAGE - 1)) + size <= PAGE && va < ARCH_USER_END && arch_va_is_canonical(va)) {
		mm_paddr_t pa; /* the common case: one page */
		struct sim_fault f;
		if (sim_access(M.sim, va, flags, &pa, &f))
			die("access at 0x%" PRIx64 " failed: %s (error code 0x%x)", va,
			    verdict_name(&f), f.error_code);
		return;
	}
	if (!arch_va_is_canonical(va) || va >= ARCH_USER_END) {
		if (!o->fold)
			die("address 0x%" PRIx64 " is outside the %s user half (below 0x%" PRIx64
			    "); use --fold to fold it in",
			    va, ARCH_NAME, (uint64_t)ARCH_USER_END);
		va %= ARCH_USER_END;
	}
	mm_vaddr_t last = va + (size ? size - 1 : 0);
	for (mm_vaddr_t p = va & ~(mm_vaddr_t)(PAGE - 1);; p += PAGE) {
		mm_paddr_t pa;
		struct sim_fault f;
		mm_vaddr_t at = p < va ? va : p;
		if (at >= ARCH_USER_END)
			break;
		if (sim_access(M.sim, at, flags, &pa, &f))
			die("access at 0x%" PRIx64 " failed: %s (error code 0x%x)", at,
			    verdict_name(&f), f.error_code);
		if (p + PAGE > last)
			break;
	}
}

static void fill_gaps(struct mm_space *s)
{
	/* Anonymous rwx regions over every gap, so that a trace of a real
	 * program (heap, libraries, its own mmaps) demand-faults anywhere. */
	mm_vaddr_t at = 0;
	unsigned n = s->nregions;
	struct mm_region copy[MM_REGIONS_MAX + 2];
	memcpy(copy, s->regions, n * sizeof(copy[0]));
	for (unsigned i = 0; i <= n; i++) {
		mm_vaddr_t lo = i < n ? copy[i].start : ARCH_USER_END;
		if (i < n && (copy[i].flags & MM_REGION_GROWS_DOWN))
			lo = copy[i].limit - PAGE;
		if (lo > at) {
			struct mm_region r = { .start = at,
				               .end = lo,
				               .prot = MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC,
				               .kind = MM_REGION_MMAP,
				               .backing = MM_BACKING_ANON };
			ok_or_die(mm_region_add(s, &r), "trace: region");
		}
		if (i < n)
			at = copy[i].end;
	}
}

static int8_t hexval[256];

static int cmd_trace(const char *path, const struct trace_opts *o, struct named *space)
{
	for (int i = 0; i < 256; i++)
		hexval[i] = (int8_t)(isdigit(i)               ? i - '0'
		                     : (i >= 'a' && i <= 'f') ? i - 'a' + 10
		                     : (i >= 'A' && i <= 'F') ? i - 'A' + 10
		                                              : -1);
	int fd = strcmp(path, "-") ? -1 : 0;
	gzFile g = fd == 0 ? gzdopen(dup(0), "rb") : gzopen(path, "rb");
	if (!g)
		die("cannot open trace '%s': %s", path, strerror(errno));
	gzbuffer(g, 1 << 20);
	off_t size = 0;
	struct stat sb;
	if (fd != 0 && stat(path, &sb) == 0)
		size = sb.st_size;
	bool tty = isatty(2) && !o->quiet;
	M.where = path;
	fill_gaps(space->s);
	mm_space_activate(space->s);
	static char buf[1 << 20];
	size_t have = 0;
	uint64_t lines = 0;
	for (;;) {
		int got = gzread(g, buf + have, (unsigned)(sizeof(buf) - have));
		if (got < 0) {
			int e;
			die("reading the trace: %s", gzerror(g, &e));
		}
		have += (size_t)got;
		if (have == 0)
			break;
		size_t start = 0;
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);
			if (!nl) {
				if (got == 0) { /* the last line, without a newline */
					if (start == have)
						break;
					nl = buf + have;
				} else {
					break;
				}
			}
			char *p = buf + start, *end = nl;
			start = (size_t)(nl - buf) + 1;
			M.line = ++lines;
			if (p == end || *p == '=') /* blank, or Valgrind's own messages */
				continue;
			while (p < end && *p == ' ')
				p++;
			char op = p < end ? *p++ : 0;
			unsigned flags = SIM_USER | SIM_DEMAND;
			if (op == 'S' || op == 'M')
				flags |= SIM_WRITE;
			else if (op == 'I')
				flags |= SIM_FETCH;
			else if (op != 'L')
				die("malformed trace line: expected I, L, S or M, found '%.*s'",
				    (int)(end - p + 1 > 40 ? 40 : end - p + 1), p - 1);
			while (p < end && *p == ' ')
				p++;
			uint64_t va = 0;
			int digits = 0;
			for (; p < end && isxdigit((unsigned char)*p) && digits < 17; p++, digits++)
				va = va << 4 |
				     (uint64_t)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
			if (digits == 0 || digits > 16 || p >= end || *p != ',')
				die("malformed trace line: expected ADDRESS,SIZE");
			unsigned sz = 0;
			for (p++; p < end && *p >= '0' && *p <= '9' && sz < 1u << 20; p++)
				sz = sz * 10 + (unsigned)(*p - '0');
			while (p < end && (*p == ' ' || *p == '\r'))
				p++;
			if (p != end || sz == 0 || sz > 4096)
				die("malformed trace line: bad size");
			if (op == 'M') /* modify: a load, then a store */
				trace_access(va, sz, flags & ~(unsigned)SIM_WRITE, o);
			trace_access(va, sz, flags, o);
			if (tty && (lines & ((1u << 20) - 1)) == 0)
				progress(lines, g, size, false);
		}
		memmove(buf, buf + start, have - (start < have ? start : have));
		have -= start < have ? start : have;
		if (got == 0)
			break;
	}
	if (tty)
		progress(lines, g, size, true);
	gzclose(g);
	M.line = 0;
	track_peak();
	return 0;
}

/* ---- main --------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: mmsim [--arch i386|x86_64] COMMAND ...\n"
	        "  run [--json] [--dot FILE] SCRIPT     run a scenario script (- for stdin)\n"
	        "  trace [--tlb N] [--mem MIB] [--json] [--fold] [--quiet] [--check-stale]\n"
	        "        [--image ELF] FILE|-           replay a Valgrind Lackey trace (plain or "
	        "gzip)\n"
	        "  exec [--json] [--dot FILE] [--eager] [--trace FILE] ELF [ARGS...]\n"
	        "                                       build and show the image of an executable\n"
	        "This is mmsim for %s. See docs/MMSIM.md for the scenario language.\n",
	        ARCH_NAME);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arch", required_argument, 0, 'a' },      { "json", no_argument, 0, 'j' },
		{ "dot", required_argument, 0, 'd' },       { "tlb", required_argument, 0, 't' },
		{ "mem", required_argument, 0, 'm' },       { "fold", no_argument, 0, 'f' },
		{ "quiet", no_argument, 0, 'q' },           { "check-stale", no_argument, 0, 's' },
		{ "image", required_argument, 0, 'i' },     { "trace", required_argument, 0, 'T' },
		{ "eager", no_argument, 0, 'e' },           { "help", no_argument, 0, 'h' },
		{ "load-base", required_argument, 0, 'L' }, { 0, 0, 0, 0 },
	};
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	/* Options may come before or after the command; the first non-option
	 * is the command, the rest its operands. */
	unsigned long tlb = 64, mem = 256;
	bool fold = false, quiet = false, stale = false, eager = false;
	const char *image = NULL, *trace = NULL, *cmd = NULL;
	int c;
	char **operands = calloc((size_t)argc, sizeof(char *));
	int nops = 0;
	optind = 1;
	while (optind < argc) {
		if (cmd && !strcmp(cmd, "exec") && nops >= 1) {
			operands[nops++] =
			        argv[optind++]; /* ELF ARGS...: the program's, as given */
			continue;
		}
		if ((c = getopt_long(argc, argv, "+h", opts, NULL)) == -1) {
			if (!cmd)
				cmd = argv[optind++];
			else
				operands[nops++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'a':
			if (strcmp(optarg, ARCH_NAME))
				die("this is mmsim for %s, not %s (the mmsim driver picks the "
				    "right one)",
				    ARCH_NAME, optarg);
			break;
		case 'j': M.json = true; break;
		case 'd': M.dot = optarg; break;
		case 't': tlb = strtoul(optarg, NULL, 0); break;
		case 'm': mem = strtoul(optarg, NULL, 0); break;
		case 'f': fold = true; break;
		case 'q': quiet = true; break;
		case 's': stale = true; break;
		case 'i': image = optarg; break;
		case 'T': trace = optarg; break;
		case 'e': eager = true; break;
		case 'L': load_base = strtoull(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!cmd) {
		usage(stderr);
		return 2;
	}
	if (tlb > 65536 || (tlb > 4 && tlb % 4) || mem < 4 || mem > 65536)
		die("--tlb must be 0-65536 (a multiple of 4 above 4), --mem 4-65536 MiB");
	if (!strcmp(cmd, "run")) {
		if (nops != 1)
			die("run takes one SCRIPT");
		make_sim(mem, tlb, true);
		cmd_run(operands[0]);
		if (M.dot)
			write_dot(M.dot);
	} else if (!strcmp(cmd, "trace")) {
		if (nops != 1)
			die("trace takes one FILE (or - for stdin)");
		make_sim(mem, tlb, stale);
		struct named *s = &M.spaces[0];
		snprintf(s->name, sizeof(s->name), "trace");
		if (image) { /* the replay starts from the program's image */
			do_exec(s, image, NULL, 0, false);
		} else {
			s->s = calloc(1, sizeof(struct mm_space));
			if (!s->s)
				die("out of host memory");
			ok_or_die(mm_space_create(M.sys, s->s), "create");
		}
		struct trace_opts o = { fold, quiet };
		cmd_trace(operands[0], &o, s);
		show_stats();
		if (M.dot)
			write_dot(M.dot);
	} else if (!strcmp(cmd, "exec")) {
		if (nops < 1)
			die("exec takes an ELF file, then its arguments");
		make_sim(mem, tlb, true);
		struct named *s = &M.spaces[0];
		snprintf(s->name, sizeof(s->name), "%s", "exec");
		do_exec(s, operands[0], operands + 1, nops - 1, eager);
		if (trace) {
			struct trace_opts o = { fold, quiet };
			cmd_trace(trace, &o, s);
		}
		if (!M.json)
			show_maps(s);
		show_stats();
		if (M.dot)
			write_dot(M.dot);
	} else {
		die("unknown command '%s' (run, trace or exec)", cmd);
	}
	free(operands);
	return 0;
}
