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
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#ifndef MMSIM_VERSION
#define MMSIM_VERSION "unknown"
#endif

#define PAGE       ARCH_PAGE_SIZE
#define MAX_SPACES 64

extern char **environ;

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

static struct {
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
	const char *where; /* file name for messages */
	unsigned long line;
	uint32_t mark;
	uint32_t peak_in_use;
	bool progress_shown; /* the progress bar is on stderr's last line */
	bool inject;         /* fail-next armed: ENOMEM is an expected outcome */
	int expect_err;      /* expect-error: the next operation must fail so */
} M;

static void emit_json(const char *error);

/* An error in the input or in the simulation: a message naming the file and
 * line on stderr (and, with --json, the document on stdout); exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (M.out)
		fflush(M.out);
	fflush(stdout);
	if (M.progress_shown)
		fputs("\r\033[K", stderr);
	if (M.where && M.line)
		fprintf(stderr, "%s:%lu: %s\n", M.where, M.line, msg);
	else if (M.where)
		fprintf(stderr, "%s: %s\n", M.where, msg);
	else
		fprintf(stderr, "mmsim: %s\n", msg);
	if (M.json && M.cmd)
		emit_json(msg);
	exit(1);
}

/* A usage error (a bad option or operand): a message and exit 2. */
__attribute__((noreturn, format(printf, 1, 2))) static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mmsim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see mmsim --help)\n", stderr);
	va_end(ap);
	exit(2);
}

/*
 * Parses all of @s as an unsigned number, decimal or 0x hex (no sign, no
 * space, no octal), within [min, max]. Return: true and *@out; false for
 * anything else, overflow included.
 */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
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

/* ---- escaping ----------------------------------------------------------------- */

/* The length of the well-formed UTF-8 sequence at @p (1 to 4), or 0 if the
 * bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut). */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n;
	uint32_t c, min;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, min = 0x80, c = p[0] & 0x1fu;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, min = 0x800, c = p[0] & 0x0fu;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, min = 0x10000, c = p[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* the terminating NUL stops here too */
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* @s as a JSON string, quotes included: '"', '\' and control characters
 * escaped, bytes that are not UTF-8 replaced by U+FFFD, so the document is
 * valid JSON whatever a file or space name holds. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_seq(p);
		if (n == 0) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

/* @s inside a DOT quoted string (the caller writes the quotes): '"' and '\'
 * escaped, control characters and bytes that are not UTF-8 written as '?'. */
static void dot_esc(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_seq(p);
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			fputc('?', f);
			p++;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fwrite(p, 1, n, f);
		p += n;
	}
}

/* ---- output --------------------------------------------------------------- */

static const char *const how_names[MM_FAULT_NHOWS] = { "demand_zero", "file",       "cow_copy",
	                                               "cow_reuse",   "stack_grow", "spurious" };
static const char *const kind_names[MM_REGION_NKINDS] = { "code",  "rodata", "data",  "heap",
	                                                  "stack", "mmap",   "shared" };
static const char *const backing_names[] = { "anon", "file", "shared" };

static void prot_str(unsigned prot, bool shared, char out[5])
{
	out[0] = (prot & MM_PROT_READ) ? 'r' : '-';
	out[1] = (prot & MM_PROT_WRITE) ? 'w' : '-';
	out[2] = (prot & MM_PROT_EXEC) ? 'x' : '-';
	out[3] = shared ? 's' : 'p';
	out[4] = 0;
}

struct resident_ctx {
	const struct mm_space *s;
	uint64_t *counts; /* per region */
};

static int count_leaf(void *ctx, const struct mm_walk_entry *e)
{
	struct resident_ctx *r = ctx;
	if (!e->leaf)
		return 0;
	unsigned lo = 0, hi = r->s->nregions; /* the region holding e->va, if any */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (e->va >= r->s->regions[mid].end)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->s->nregions && e->va >= r->s->regions[lo].start)
		r->counts[lo]++;
	return 0;
}

/* The resident pages of each region of @s, exactly: one walk of the tree. */
static void resident_pages(const struct mm_space *s, uint64_t counts[MM_REGIONS_MAX])
{
	memset(counts, 0, MM_REGIONS_MAX * sizeof(counts[0]));
	struct resident_ctx r = { s, counts };
	mm_space_walk(s, false, count_leaf, &r);
}

/* The file offset and name /proc/PID/maps would show for region @r of @n. */
static const char *region_name(const struct named *n, const struct mm_region *r, uint64_t *off)
{
	*off = 0;
	if (r->backing == MM_BACKING_FILE && n->image) {
		*off = (uint64_t)(r->file - n->image->data) - (r->file_va - r->start);
		return n->image->path;
	}
	if (r->kind == MM_REGION_STACK)
		return "[stack]";
	if (r->kind == MM_REGION_HEAP)
		return "[heap]";
	return "";
}

/* /proc/PID/maps style, plus the kind and the resident pages. */
static void show_maps(struct named *n)
{
	struct mm_space *s = n->s;
	uint64_t res[MM_REGIONS_MAX];
	resident_pages(s, res);
	fprintf(M.out, "# maps of %s (%u regions, %" PRIu64 " resident pages)\n", n->name,
	        s->nregions, s->user_pages);
	for (unsigned i = 0; i < s->nregions; i++) {
		const struct mm_region *r = &s->regions[i];
		char p[5];
		prot_str(r->prot, r->backing == MM_BACKING_SHARED, p);
		uint64_t off;
		const char *name = region_name(n, r, &off);
		fprintf(M.out,
		        "%0*" PRIx64 "-%0*" PRIx64 " %s %08" PRIx64 " 00:00 0 %-24s # %s, %" PRIu64
		        " resident\n",
		        ARCH_VA_BITS > 32 ? 12 : 8, r->start, ARCH_VA_BITS > 32 ? 12 : 8, r->end, p,
		        off, name, kind_names[r->kind], res[i]);
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
		fprintf(M.out, "%*s%-4s[%3u] %0*" PRIx64 " -> frame 0x%" PRIx64 " %s%s",
		        2 * (ARCH_LEVELS - 1 - e->level), "", lv[e->level], e->index,
		        ARCH_VA_BITS > 32 ? 12 : 8, e->va, e->pa, p, e->cow ? " cow" : "");
		if (m.refs > 1)
			fprintf(M.out, " shared(refs=%u)", m.refs);
		fputc('\n', M.out);
	} else {
		fprintf(M.out, "%*s%-4s[%3u] %0*" PRIx64 " -> table 0x%" PRIx64 "\n",
		        2 * (ARCH_LEVELS - 1 - e->level), "", lv[e->level], e->index,
		        ARCH_VA_BITS > 32 ? 12 : 8, e->va, e->pa);
	}
	return 0;
}

static void show_tables(struct named *n)
{
	fprintf(M.out,
	        "# page tables of %s: root 0x%" PRIx64 ", %" PRIu64 " table frames (user half)\n",
	        n->name, n->s->root, n->s->table_pages);
	mm_space_walk(n->s, false, show_entry, n->s);
}

struct dot_ctx {
	FILE *f;
	struct mm_space *s;
	unsigned leaves;
	mm_paddr_t last_table[8]; /* per level, the table the walk is in */
};

static int dot_entry(void *ctx, const struct mm_walk_entry *e)
{
	struct dot_ctx *d = ctx;
	static const char *const lv[] = ARCH_LEVEL_NAMES;
	/* The walk visits a table before its entries, so the parent of this
	 * entry is the last table seen one level up. */
	mm_paddr_t parent = e->level == ARCH_LEVELS - 1 ? d->s->root : d->last_table[e->level];
	if (!e->leaf) {
		d->last_table[e->level - 1] = e->pa;
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

/*
 * Renders @dot_path as SVG into @svg_path with Graphviz's `dot`, started
 * with posix_spawnp() from an argument vector: no shell ever sees the names.
 * Its output goes to stderr. Return: 0 if it rendered; ENOENT if there is no
 * `dot`; another errno value if it could not start; -1 if it failed.
 */
static int render_svg(const char *dot_path, const char *svg_path)
{
	/* A name starting with '-' must not read as an option. */
	size_t ilen = strlen(dot_path) + 3, olen = strlen(svg_path) + 5;
	char *in = malloc(ilen), *outarg = malloc(olen);
	if (!in || !outarg) {
		free(in);
		free(outarg);
		return ENOMEM;
	}
	snprintf(in, ilen, "%s%s", dot_path[0] == '-' ? "./" : "", dot_path);
	snprintf(outarg, olen, "-o%s%s", svg_path[0] == '-' ? "./" : "", svg_path);
	char *argv[] = { "dot", "-Tsvg", outarg, in, NULL };
	posix_spawn_file_actions_t fa;
	int err = posix_spawn_file_actions_init(&fa);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, 2, 1);
	pid_t pid;
	if (!err)
		err = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(in);
	free(outarg);
	if (err)
		return err;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Graphviz: each space's tree, side by side; shared frames drawn once and
 * highlighted, so a fork's sharing shows. Rendered to SVG if dot exists. */
static void write_dot(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	fprintf(f,
	        "digraph mmkit {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n");
	for (int i = 0; i < MAX_SPACES; i++) {
		struct named *n = &M.spaces[i];
		if (!n->s)
			continue;
		fprintf(f, "  subgraph cluster_%d {\n  label=\"", i);
		dot_esc(f, n->name);
		fprintf(f, " (%s)\";\n", ARCH_NAME);
		fprintf(f, "  t%" PRIx64 " [label=\"", n->s->root);
		dot_esc(f, n->name);
		fprintf(f, " root\\n0x%" PRIx64 "\", shape=box, style=bold];\n", n->s->root);
		fprintf(f, "  }\n");
		struct dot_ctx d = { .f = f, .s = n->s };
		mm_space_walk(n->s, false, dot_entry, &d);
	}
	fprintf(f, "}\n");
	if (fclose(f))
		die("cannot write '%s': %s", path, strerror(errno));
	size_t len = strlen(path) + 5;
	char *svg = malloc(len);
	struct picture *more = realloc(M.pictures, (M.npictures + 1) * sizeof(*more));
	char *dot = strdup(path);
	if (!svg || !more || !dot) {
		free(svg);
		free(dot);
		die("out of host memory");
	}
	M.pictures = more;
	snprintf(svg, len, "%s.svg", path);
	int err = render_svg(path, svg);
	if (err == 0) {
		fprintf(M.out, "# picture: %s (Graphviz), rendered to %s\n", path, svg);
	} else {
		if (err == ENOENT)
			fprintf(M.out, "# picture: %s (Graphviz; install graphviz to render it)\n",
			        path);
		else
			fprintf(M.out, "# picture: %s (Graphviz; dot could not render it)\n", path);
		free(svg);
		svg = NULL;
	}
	M.pictures[M.npictures++] = (struct picture){ dot, svg };
}

static void json_stats(FILE *f)
{
	const struct sim_stats *st = sim_stats(M.sim);
	track_peak();
	uint64_t resident = 0, tables = 0;
	for (int i = 0; i < MAX_SPACES; i++)
		if (M.spaces[i].s)
			resident += M.spaces[i].s->user_pages, tables += M.spaces[i].s->table_pages;
	fprintf(f,
	        "{\"accesses\": %" PRIu64 ", \"tlb_hits\": %" PRIu64 ", \"tlb_misses\": %" PRIu64
	        ", \"walks\": %" PRIu64 ", \"page_faults\": %" PRIu64 ", \"faults_resolved\": {",
	        st->accesses, st->tlb_hits, st->tlb_misses, st->walks, st->page_faults);
	for (int h = 0; h < MM_FAULT_NHOWS; h++)
		fprintf(f, "%s\"%s\": %" PRIu64, h ? ", " : "", how_names[h], st->resolved[h]);
	fprintf(f,
	        "}, \"resident_pages\": %" PRIu64 ", \"page_table_frames\": %" PRIu64
	        ", \"page_table_bytes\": %" PRIu64 ", \"peak_frames\": %u, \"frames_free\": %u"
	        ", \"frames_total\": %u, \"cr3_writes\": %" PRIu64 ", \"invlpg\": %" PRIu64
	        ", \"tlb_flushes\": %" PRIu64 ", \"stale_tlb_entries\": %" PRIu64 "}",
	        resident, tables, tables * PAGE, M.peak_in_use,
	        mm_frames_free_count(&M.sys->frames), mm_frames_total(&M.sys->frames),
	        st->cr3_writes, st->invlpg, st->flushes, st->stale);
}

static void show_stats(void)
{
	const struct sim_stats *st = sim_stats(M.sim);
	FILE *o = M.out;
	track_peak();
	uint64_t resident = 0, tables = 0;
	for (int i = 0; i < MAX_SPACES; i++)
		if (M.spaces[i].s)
			resident += M.spaces[i].s->user_pages, tables += M.spaces[i].s->table_pages;
	uint64_t faults = 0;
	for (int h = 0; h < MM_FAULT_NHOWS; h++)
		faults += st->resolved[h];
	fprintf(o, "# statistics (%s)\n", ARCH_NAME);
	fprintf(o, "  accesses          %" PRIu64 "\n", st->accesses);
	fprintf(o, "  TLB hits          %" PRIu64 " (%.2f%%)\n", st->tlb_hits,
	        st->accesses ? 100.0 * (double)st->tlb_hits / (double)st->accesses : 0.0);
	fprintf(o, "  TLB misses        %" PRIu64 "\n", st->tlb_misses);
	fprintf(o, "  page walks        %" PRIu64 "\n", st->walks);
	fprintf(o, "  page faults       %" PRIu64 " (resolved %" PRIu64 ":", st->page_faults,
	        faults);
	for (int h = 0; h < MM_FAULT_NHOWS; h++)
		if (st->resolved[h])
			fprintf(o, " %s %" PRIu64, how_names[h], st->resolved[h]);
	fprintf(o, ")\n");
	fprintf(o, "  resident pages    %" PRIu64 " (%" PRIu64 " KiB)\n", resident,
	        resident * PAGE / 1024);
	fprintf(o, "  page-table frames %" PRIu64 " (%" PRIu64 " bytes, user half)\n", tables,
	        tables * PAGE);
	fprintf(o, "  peak frames       %u in use (of %u)\n", M.peak_in_use,
	        mm_frames_total(&M.sys->frames));
	fprintf(o,
	        "  CR3 writes %" PRIu64 ", invlpg %" PRIu64 ", TLB flushes %" PRIu64
	        ", stale TLB entries %" PRIu64 "\n",
	        st->cr3_writes, st->invlpg, st->flushes, st->stale);
}

static void json_addr(FILE *f, const char *key, uint64_t v)
{
	fprintf(f, "\"%s\": \"0x%" PRIx64 "\"", key, v);
}

static void json_space(FILE *f, const struct named *n)
{
	const struct mm_space *s = n->s;
	fputs("    {\"name\": ", f);
	json_str(f, n->name);
	fprintf(f, ", \"active\": %s, ", mm_space_is_active(s) ? "true" : "false");
	json_addr(f, "root", s->root);
	fprintf(f, ", \"resident_pages\": %" PRIu64 ", \"table_frames\": %" PRIu64 ",\n",
	        s->user_pages, s->table_pages);
	fputs("     \"image\": ", f);
	if (n->image) {
		const struct mm_exec_image *im = &n->image->info;
		fputs("{\"file\": ", f);
		json_str(f, n->image->path);
		fputs(", ", f);
		json_addr(f, "entry", im->entry);
		fputs(", ", f);
		json_addr(f, "sp", im->sp);
		fputs(", ", f);
		json_addr(f, "load_bias", im->load_bias);
		fputs(", ", f);
		json_addr(f, "phdr", im->phdr);
		fprintf(f, ", \"phnum\": %u, ", im->phnum);
		json_addr(f, "brk", im->brk);
		fprintf(f, ", \"interp\": %s}", im->has_interp ? "true" : "false");
	} else {
		fputs("null", f);
	}
	fputs(",\n     \"regions\": [", f);
	uint64_t res[MM_REGIONS_MAX];
	resident_pages(s, res);
	for (unsigned i = 0; i < s->nregions; i++) {
		const struct mm_region *r = &s->regions[i];
		char p[5];
		prot_str(r->prot, r->backing == MM_BACKING_SHARED, p);
		uint64_t off;
		const char *name = region_name(n, r, &off);
		fprintf(f, "%s\n      {", i ? "," : "");
		json_addr(f, "start", r->start);
		fputs(", ", f);
		json_addr(f, "end", r->end);
		fprintf(f, ", \"perms\": \"%s\", ", p);
		json_addr(f, "offset", off);
		fputs(", \"path\": ", f);
		json_str(f, name);
		fprintf(f,
		        ", \"kind\": \"%s\", \"backing\": \"%s\", \"grows_down\": %s, "
		        "\"resident_pages\": %" PRIu64 "}",
		        kind_names[r->kind], backing_names[r->backing],
		        (r->flags & MM_REGION_GROWS_DOWN) ? "true" : "false", res[i]);
	}
	fputs("]}", f);
}

/*
 * With --json, the one document on stdout (docs/MMSIM.md has the schema):
 * the command, the text it printed (as lines), the spaces with their
 * regions and images, the statistics, the pictures, and the error if
 * @error is not NULL.
 */
static void emit_json(const char *error)
{
	FILE *f = stdout;
	fflush(M.out);
	fputs("{\n  \"mmsim\": ", f);
	json_str(f, MMSIM_VERSION);
	fputs(",\n  \"command\": ", f);
	json_str(f, M.cmd);
	fprintf(f, ",\n  \"arch\": \"%s\",\n  \"input\": ", ARCH_NAME);
	if (M.input)
		json_str(f, M.input);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"ok\": %s,\n  \"error\": ", error ? "false" : "true");
	if (error) {
		fputs("{\"file\": ", f);
		if (M.where)
			json_str(f, M.where);
		else
			fputs("null", f);
		if (M.line)
			fprintf(f, ", \"line\": %lu", M.line);
		else
			fputs(", \"line\": null", f);
		fputs(", \"message\": ", f);
		json_str(f, error);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(",\n  \"output\": [", f);
	size_t nlines = 0;
	for (char *p = M.out_buf, *end = M.out_buf + M.out_len; p && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl)
			*nl = 0;
		fputs(nlines++ ? ",\n    " : "\n    ", f);
		json_str(f, p);
		p = nl ? nl + 1 : end;
	}
	fputs(nlines ? "\n  ],\n  \"spaces\": [" : "],\n  \"spaces\": [", f);
	int nsp = 0;
	for (int i = 0; i < MAX_SPACES; i++) {
		if (!M.spaces[i].s)
			continue;
		fputs(nsp++ ? ",\n" : "\n", f);
		json_space(f, &M.spaces[i]);
	}
	fputs(nsp ? "\n  ],\n  \"stats\": " : "],\n  \"stats\": ", f);
	if (M.sim)
		json_stats(f);
	else
		fputs("null", f);
	fputs(",\n  \"trace\": ", f);
	if (M.trace_path) {
		fputs("{\"file\": ", f);
		json_str(f, M.trace_path);
		fprintf(f, ", \"lines\": %" PRIu64 "}", M.trace_lines);
	} else {
		fputs("null", f);
	}
	fputs(",\n  \"pictures\": [", f);
	for (size_t i = 0; i < M.npictures; i++) {
		fputs(i ? ", {\"dot\": " : "{\"dot\": ", f);
		json_str(f, M.pictures[i].dot);
		fputs(", \"svg\": ", f);
		if (M.pictures[i].svg)
			json_str(f, M.pictures[i].svg);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputs("]\n}\n", f);
	fflush(f);
}

/* ---- spaces by name --------------------------------------------------------- */

static void image_put(struct image *im)
{
	if (im && --im->refs == 0) {
		free(im->data);
		free(im);
	}
}

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
static void drop_space(struct named *n)
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
		fprintf(M.out, "# %s: ENOMEM (injected)\n", what);
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
		if (n == cap) {
			uint8_t *more = realloc(buf, cap *= 2);
			if (!more)
				free(buf);
			buf = more;
		}
	}
	bool failed = ferror(f);
	fclose(f);
	if (!buf)
		die("out of host memory reading '%s'", path);
	if (failed) {
		free(buf);
		die("cannot read '%s'", path);
	}
	*size = n;
	return buf;
}

/* exec FILE into a fresh space that replaces @n's on success. */
static mm_vaddr_t load_base; /* --load-base: where an ET_DYN file goes */

static void do_exec(struct named *n, const char *path, char **args, int nargs, bool eager)
{
	struct image *img = calloc(1, sizeof(*img));
	if (!img)
		die("out of host memory");
	img->refs = 1;
	img->data = read_file(path, &img->size);
	snprintf(img->path, sizeof(img->path), "%s", path);
	const char *argv[64];
	int argc = 0;
	argv[argc++] = path;
	for (int i = 0; i < nargs && argc < 63; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	const char *envp[] = { "MMSIM=1", NULL };
	struct mm_space *fresh = calloc(1, sizeof(*fresh));
	if (!fresh) {
		image_put(img);
		die("out of host memory");
	}
	int cerr = mm_space_create(M.sys, fresh);
	if (cerr) {
		free(fresh);
		image_put(img);
		ok_or_die(cerr, "exec: create"); /* returns only for an injected failure */
		return;
	}
	struct mm_exec_args a = { .argv = argv,
		                  .envp = envp,
		                  .stack_top = ARCH_USER_STACK_TOP,
		                  .stack_max_pages = 2048,
		                  .eager = eager,
		                  .dyn_base = load_base };
	int err = mm_exec(fresh, img->data, img->size, &a, &img->info);
	if (err) {
		mm_space_destroy(fresh);
		free(fresh);
		image_put(img);
		if (err == -MM_ENOMEM && M.inject) {
			fprintf(M.out, "# exec: ENOMEM (injected)\n");
			return;
		}
		die("exec '%s': %s (%s)", path, mm_strerror(err),
		    err == -MM_EINVAL ? "not a valid " ARCH_NAME " ELF executable" : "refused");
	}
	if (n->s) {
		if (mm_space_is_active(n->s))
			mm_space_activate(fresh);
		ok_or_die(mm_space_destroy(n->s), "exec: destroy the old image");
		free(n->s);
		image_put(n->image);
	}
	n->s = fresh;
	n->image = img;
	track_peak();
	const struct mm_exec_image *im = &img->info;
	fprintf(M.out,
	        "# exec %s: entry 0x%" PRIx64 ", stack pointer 0x%" PRIx64 ", %u program "
	        "headers, heap from 0x%" PRIx64 "%s\n",
	        path, im->entry, im->sp, im->phnum, im->brk,
	        im->has_interp ? "; PT_INTERP present (interpreter not loaded)" : "");
}

static void user_access(mm_vaddr_t va, unsigned flags, void *buf, size_t len, struct sim_fault *f,
                        int *rc)
{
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

/* A signal that ends mmsim while the progress bar shows: erase its line
 * first, so the shell's prompt starts clean. */
static void progress_interrupted(int sig)
{
	static const char erase[] = "\r\033[K";
	ssize_t w = write(2, erase, sizeof(erase) - 1);
	(void)w;
	signal(sig, SIG_DFL);
	raise(sig);
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The progress bar on stderr (a terminal): how much of the file is read
 * (when its size is known), the lines replayed, their rate and the time
 * left, fitted to the terminal's width so that the line never wraps.
 */
static void progress(uint64_t lines, gzFile g, off_t size, double t0, bool done)
{
	int cols = 80;
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		cols = ws.ws_col;
	double elapsed = seconds() - t0;
	double rate = elapsed > 0 ? (double)lines / elapsed : 0;
	double frac = size > 0 ? (double)gzoffset(g) / (double)size : 0;
	if (frac > 1 || done)
		frac = size > 0 ? 1 : 0;
	char eta[32] = "", info[128];
	if (size > 0 && !done && frac > 0.001 && elapsed > 0) {
		unsigned left = (unsigned)(elapsed * (1 - frac) / frac + 0.5);
		if (left < 60)
			snprintf(eta, sizeof(eta), " ETA %us", left);
		else if (left < 3600)
			snprintf(eta, sizeof(eta), " ETA %um%02us", left / 60, left % 60);
		else
			snprintf(eta, sizeof(eta), " ETA %uh%02um", left / 3600, left / 60 % 60);
	}
	int n = snprintf(info, sizeof(info), " %3.0f%% %.1fM lines, %.1fM/s%s", frac * 100,
	                 (double)lines / 1e6, rate / 1e6, eta);
	const char *text = size > 0 ? info : info + 6; /* no percentage without a size */
	n -= (int)(text - info);
	int room = cols - 1 - n; /* the last column stays free: no wrap */
	fputc('\r', stderr);
	if (size > 0 && room >= 12) {
		int width = room - 2 > 50 ? 50 : room - 2, fill = (int)(frac * width);
		fputc('[', stderr);
		for (int i = 0; i < width; i++)
			fputc(i < fill ? '#' : '.', stderr);
		fprintf(stderr, "]%s", text);
	} else {
		fprintf(stderr, "%.*s", cols > 1 ? cols - 1 : 0, text + (text[0] == ' '));
	}
	fputs("\033[K", stderr);
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
	struct mm_region copy[MM_REGIONS_MAX];
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
	double t0 = seconds();
	if (tty) {
		signal(SIGINT, progress_interrupted);
		signal(SIGTERM, progress_interrupted);
		M.progress_shown = true;
	}
	M.where = path;
	M.trace_path = path;
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
				progress(lines, g, size, t0, false);
		}
		memmove(buf, buf + start, have - (start < have ? start : have));
		have -= start < have ? start : have;
		if (got == 0)
			break;
	}
	if (tty) {
		progress(lines, g, size, t0, true);
		M.progress_shown = false;
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	gzclose(g);
	M.trace_lines = lines;
	M.line = 0;
	track_peak();
	return 0;
}

/* ---- main --------------------------------------------------------------------- */

/* Every option: getopt_long's entry, how help shows it, what it does. */
static const struct option opts[] = {
	{ "arch", required_argument, 0, 'a' },
	{ "json", no_argument, 0, 'j' },
	{ "dot", required_argument, 0, 'd' },
	{ "tlb", required_argument, 0, 't' },
	{ "mem", required_argument, 0, 'm' },
	{ "fold", no_argument, 0, 'f' },
	{ "quiet", no_argument, 0, 'q' },
	{ "check-stale", no_argument, 0, 's' },
	{ "image", required_argument, 0, 'i' },
	{ "trace", required_argument, 0, 'T' },
	{ "eager", no_argument, 0, 'e' },
	{ "help", no_argument, 0, 'h' },
	{ "load-base", required_argument, 0, 'L' },
	{ "version", no_argument, 0, 'V' },
	{ 0, 0, 0, 0 },
};

static const struct {
	int code;
	const char *shown, *help;
} opt_help[] = {
	{ 'j', "--json", "print one JSON document on stdout (schema: docs/MMSIM.md)" },
	{ 'd', "--dot FILE", "write the page-table trees as Graphviz to FILE (and FILE.svg)" },
	{ 't', "--tlb N", "TLB entries, 0 to 65536, a multiple of 4 above 4 (default 64)" },
	{ 'm', "--mem MIB", "simulated RAM, 4 to 65536 MiB (default 256)" },
	{ 'f', "--fold", "fold addresses outside the user half into it" },
	{ 'q', "--quiet", "no progress bar" },
	{ 's', "--check-stale", "check every TLB hit against the page tables (slower)" },
	{ 'i', "--image ELF", "start the replay from the image of ELF" },
	{ 'L', "--load-base ADDR", "where a position-independent ELF goes (Valgrind: 0x108000)" },
	{ 'e', "--eager", "load every page of the image now, not on fault" },
	{ 'T', "--trace FILE", "then replay the Lackey trace FILE in the image" },
	{ 'h', "--help", "this help" },
};

/* The subcommands: the options each takes (getopt codes), its synopsis and
 * what it does. */
static const struct command {
	const char *name, *options, *synopsis, *summary, *about;
} commands[] = {
	{ "run", "jdtmh", "run [OPTIONS] SCRIPT|-", "run a scenario script",
	  "Run a scenario script (- for stdin): one operation per line, on named\n"
	  "address spaces of a simulated machine." },
	{ "trace", "tmjfqsiLdh", "trace [OPTIONS] FILE|-", "replay a Valgrind Lackey trace",
	  "Replay a Valgrind Lackey memory trace (plain or gzip; - for stdin) in one\n"
	  "address space, demand-faulting its pages, then print the statistics." },
	{ "exec", "jdetmLTfqh", "exec [OPTIONS] ELF [ARGS...]", "build the image of an executable",
	  "Build the image of the executable ELF with ARGS as mm_exec() does (regions,\n"
	  "initial stack), then print its maps and the statistics. What follows ELF\n"
	  "is the program's arguments." },
	{ "help", "", "help [COMMAND]", "how to use mmsim, or COMMAND",
	  "Say how to use mmsim, or COMMAND." },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mmsim [--arch i386|x86_64] COMMAND [OPTIONS] ARGS...\n"
	           "       mmsim --version | --help | help COMMAND | COMMAND --help\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-30s %s\n", commands[i].synopsis, commands[i].summary);
	fprintf(f, "\n--arch picks the simulated ISA (default x86_64). The scenario language and\n"
	           "the JSON schema: docs/MMSIM.md.\n");
}

/* `mmsim help CMD`, `mmsim CMD --help`: its synopsis, what it does, its
 * options, and for `run` the operations of the scenario language. */
static void help(const struct command *c)
{
	printf("usage: mmsim [--arch i386|x86_64] %s\n\n%s\n", c->synopsis, c->about);
	if (*c->options)
		printf("\noptions:\n");
	for (const char *o = c->options; *o; o++)
		for (size_t i = 0; i < sizeof(opt_help) / sizeof(opt_help[0]); i++)
			if (opt_help[i].code == *o)
				printf("  %-18s %s\n", opt_help[i].shown, opt_help[i].help);
	if (!strcmp(c->name, "run")) {
		printf("\noperations (numbers decimal or 0x hex; PROT letters of rwx):\n");
		for (size_t i = 0; i < sizeof(op_specs) / sizeof(op_specs[0]); i++)
			printf("  %s\n", op_specs[i].usage);
	}
}

/* The value of numeric option --@name: all of @arg, in [min, max]; or a
 * usage error saying what is expected. */
static uint64_t option_num(const char *name, const char *arg, uint64_t min, uint64_t max,
                           const char *expected)
{
	uint64_t v;
	if (!parse_u64(arg, min, max, &v))
		usage_error("--%s '%s': expected %s", name, arg, expected);
	return v;
}

static const char *option_name(int code)
{
	for (const struct option *o = opts; o->name; o++)
		if (o->val == code)
			return o->name;
	return "?";
}

/* Free what the run built (the spaces, the machine, the images), so that
 * memcheck sees every byte returned. */
static void teardown(void)
{
	sim_destroy(M.sim); /* destroys the spaces still alive */
	M.sim = NULL;
	for (int i = 0; i < MAX_SPACES; i++)
		if (M.spaces[i].s)
			drop_space(&M.spaces[i]);
	for (size_t i = 0; i < M.npictures; i++) {
		free(M.pictures[i].dot);
		free(M.pictures[i].svg);
	}
	free(M.pictures);
	if (M.out != stdout)
		fclose(M.out);
	free(M.out_buf);
}

int main(int argc, char **argv)
{
	/* Before the command: only --arch (the driver acted on it), --help
	 * and --version. */
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		const char *a = argv[first];
		if (!strcmp(a, "--arch") || !strncmp(a, "--arch=", 7)) {
			const char *isa = a[6] == '=' ? a + 7 : argv[++first];
			if (!isa)
				usage_error("--arch needs a value (i386 or x86_64)");
			if (strcmp(isa, ARCH_NAME))
				usage_error("--arch %s: this tool is for %s", isa, ARCH_NAME);
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("mmsim %s\n", MMSIM_VERSION);
			return 0;
		} else {
			usage_error("'%s' before the command: only --arch, --help and --version go "
			            "there",
			            a);
		}
	}
	if (first == argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[first];
	const struct command *spec = find_command(cmd);
	if (!spec)
		usage_error("unknown command '%s' (run, trace, exec or help)", cmd);
	if (!strcmp(cmd, "help")) {
		if (first + 1 == argc) {
			usage(stdout);
			return 0;
		}
		const struct command *about = find_command(argv[first + 1]);
		if (!about || first + 2 < argc)
			usage_error("help takes one command: run, trace, exec or help");
		help(about);
		return 0;
	}

	/* The command's options and operands, in any order; for exec, what
	 * follows the ELF is the program's, as given. */
	uint64_t tlb = 64, mem = 256;
	bool fold = false, quiet = false, stale = false, eager = false;
	const char *image = NULL, *trace = NULL;
	int c, cargc = argc - first;
	char **cargv = argv + first;
	char **operands = calloc((size_t)argc, sizeof(char *));
	int nops = 0;
	bool only_operands = false; /* after "--" */
	if (!operands)
		die("out of host memory");
	optind = 1;
	opterr = 0;
	while (optind < cargc) {
		if (only_operands || (!strcmp(cmd, "exec") && nops >= 1)) {
			operands[nops++] = cargv[optind++];
			continue;
		}
		if ((c = getopt_long(cargc, cargv, "+:h", opts, NULL)) == -1) {
			only_operands = !strcmp(cargv[optind - 1], "--");
			if (optind < cargc && !only_operands)
				operands[nops++] = cargv[optind++];
			continue;
		}
		if (c == ':')
			usage_error("option '%s' needs a value", cargv[optind - 1]);
		if (c == '?')
			usage_error("unknown option '%s'", cargv[optind - 1]);
		if (c == 'a')
			usage_error("--arch goes before the command: mmsim --arch %s %s ...",
			            optarg, cmd);
		if (!strchr(spec->options, c))
			usage_error("%s takes no --%s (see mmsim help %s)", cmd, option_name(c),
			            cmd);
		switch (c) {
		case 'j': M.json = true; break;
		case 'd': M.dot = optarg; break;
		case 't':
			tlb = option_num(
			        "tlb", optarg, 0, 65536,
			        "a TLB size from 0 to 65536 entries, a multiple of 4 above 4");
			if (tlb > 4 && tlb % 4)
				usage_error("--tlb %s: above 4 entries, a multiple of 4 (4 ways)",
				            optarg);
			break;
		case 'm':
			mem = option_num("mem", optarg, 4, 65536,
			                 "a memory size from 4 to 65536 MiB");
			break;
		case 'f': fold = true; break;
		case 'q': quiet = true; break;
		case 's': stale = true; break;
		case 'i': image = optarg; break;
		case 'T': trace = optarg; break;
		case 'e': eager = true; break;
		case 'L':
			load_base = option_num("load-base", optarg, PAGE, ARCH_USER_END - PAGE,
			                       "a page-aligned address in the user half");
			if (load_base % PAGE)
				usage_error("--load-base %s: not page-aligned", optarg);
			break;
		case 'h': help(spec); return 0;
		}
	}
	if (!strcmp(cmd, "run") && nops != 1)
		usage_error("run takes one SCRIPT");
	if (!strcmp(cmd, "trace") && nops != 1)
		usage_error("trace takes one FILE (or - for stdin)");
	if (!strcmp(cmd, "exec") && nops < 1)
		usage_error("exec takes an ELF file, then its arguments");
	if (!strcmp(cmd, "trace") && load_base && !image)
		usage_error("--load-base places the --image ELF: give one");
	M.out = stdout;
	if (M.json && !(M.out = open_memstream(&M.out_buf, &M.out_len))) {
		M.out = stdout;
		die("cannot buffer the output: %s", strerror(errno));
	}
	M.cmd = cmd;
	M.input = operands[0];
	if (!strcmp(cmd, "run")) {
		make_sim(mem, (unsigned)tlb, true);
		cmd_run(operands[0]);
		M.where = NULL;
		if (M.dot)
			write_dot(M.dot);
	} else if (!strcmp(cmd, "trace")) {
		make_sim(mem, (unsigned)tlb, stale);
		struct named *s = &M.spaces[0];
		snprintf(s->name, sizeof(s->name), "trace");
		if (image) { /* the replay starts from the program's image */
			do_exec(s, image, NULL, 0, false);
		} else {
			s->s = calloc(1, sizeof(struct mm_space));
			if (!s->s)
				die("out of host memory");
			int err = mm_space_create(M.sys, s->s);
			if (err) {
				free(s->s);
				s->s = NULL;
			}
			ok_or_die(err, "create");
		}
		struct trace_opts o = { fold, quiet };
		cmd_trace(operands[0], &o, s);
		M.where = NULL;
		if (!M.json)
			show_stats();
		if (M.dot)
			write_dot(M.dot);
	} else {
		make_sim(mem, (unsigned)tlb, true);
		struct named *s = &M.spaces[0];
		snprintf(s->name, sizeof(s->name), "%s", "exec");
		do_exec(s, operands[0], operands + 1, nops - 1, eager);
		if (trace) {
			struct trace_opts o = { fold, quiet };
			cmd_trace(trace, &o, s);
			M.where = NULL;
		}
		if (!M.json) {
			show_maps(s);
			show_stats();
		}
		if (M.dot)
			write_dot(M.dot);
	}
	if (M.json)
		emit_json(NULL);
	teardown();
	free(operands);
	return 0;
}
