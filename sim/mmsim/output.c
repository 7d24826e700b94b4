/* mmsim: what a run shows: maps, page tables, statistics, Graphviz, and the
 * JSON document. */
#include "mmsim.h"

#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

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

/* What one region holds in frames, as smaps counts it: @rss resident pages,
 * @shared of them shared (their frame mapped more than once, or the region
 * SHARED-backed); the rest are private. */
struct region_use {
	uint64_t rss, shared;
};

struct resident_ctx {
	const struct mm_space *s;
	const struct mm_region *r; /* the region at or after the last leaf */
	uint64_t i;                /* its index */
	struct region_use *use;    /* per region, in address order */
};

/* Leaves come in address order: move the region cursor along with them. */
static int count_leaf(void *ctx, const struct mm_walk_entry *e)
{
	struct resident_ctx *c = ctx;
	if (!e->leaf)
		return 0;
	while (c->r && c->r->end <= e->va) {
		c->r = mm_region_next(c->s, c->r);
		c->i++;
	}
	if (c->r && e->va >= c->r->start) {
		const struct mm_frame *f = mm_frame_get(&M.sys->frames, e->pa);
		c->use[c->i].rss++;
		if (c->r->backing == MM_BACKING_SHARED || e->shared || (f && f->ref_or_next > 1))
			c->use[c->i].shared++;
	}
	return 0;
}

/* The resident, shared and private pages of each region of @s, exactly, in
 * address order: one walk of the tree. The caller frees the array. */
static struct region_use *resident_pages(const struct mm_space *s)
{
	uint64_t n = mm_region_count(s);
	struct region_use *use = calloc(n ? n : 1, sizeof(*use));
	if (!use)
		die("out of memory");
	struct resident_ctx c = { s, mm_region_first(s), 0, use };
	mm_space_walk(s, false, count_leaf, &c);
	return use;
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

/* /proc/PID/maps style, plus the kind and smaps' Rss, Shared and Private. */
void show_maps(struct named *n)
{
	struct mm_space *s = n->s;
	struct region_use *use = resident_pages(s);
	fprintf(M.out, "# maps of %s (%" PRIu64 " regions, %" PRIu64 " resident pages)\n", n->name,
	        mm_region_count(s), s->user_pages);
	uint64_t i = 0;
	for (const struct mm_region *r = mm_region_first(s); r; r = mm_region_next(s, r), i++) {
		char p[5];
		prot_str(r->prot, r->backing == MM_BACKING_SHARED, p);
		uint64_t off;
		const char *name = region_name(n, r, &off);
		fprintf(M.out,
		        "%0*" PRIx64 "-%0*" PRIx64 " %s %08" PRIx64
		        " 00:00 0 %-24s # %s, Rss %" PRIu64 " kB, Shared %" PRIu64
		        " kB, Private %" PRIu64 " kB\n",
		        ARCH_VA_BITS > 32 ? 12 : 8, r->start, ARCH_VA_BITS > 32 ? 12 : 8, r->end, p,
		        off, name, kind_names[r->kind], use[i].rss * (PAGE / 1024),
		        use[i].shared * (PAGE / 1024),
		        (use[i].rss - use[i].shared) * (PAGE / 1024));
	}
	free(use);
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
		if (e->level > 0) /* a large page: its size */
			fprintf(M.out, " %" PRIu64 " KiB page", m.size >> 10);
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

void show_tables(struct named *n)
{
	fprintf(M.out,
	        "# page tables of %s: root 0x%" PRIx64 ", %" PRIu64 " table frames (user half)\n",
	        n->name, n->s->root, n->s->table_pages);
	mm_space_walk(n->s, false, show_entry, n->s);
}

/* The run of pages show_mem() is collecting: [start, end) with @perms. */
struct mem_ctx {
	bool open;
	mm_vaddr_t start, end;
	unsigned perms;
	uint64_t runs;
};

static void mem_flush(struct mem_ctx *c)
{
	int w = ARCH_VA_BITS > 32 ? 16 : 8;
	if (!c->open)
		return;
	fprintf(M.out, "%0*" PRIx64 "-%0*" PRIx64 " %0*" PRIx64 " %c%c%c%c\n", w, c->start, w,
	        c->end, w, c->end - c->start, (c->perms & MM_PROT_USER) ? 'u' : '-', 'r',
	        (c->perms & MM_PROT_WRITE) ? 'w' : '-', (c->perms & MM_PROT_EXEC) ? 'x' : '-');
	c->runs++;
	c->open = false;
}

/* Leaves come in address order: extend the run, or close it and open one. */
static int mem_leaf(void *ctx, const struct mm_walk_entry *e)
{
	struct mem_ctx *c = ctx;
	if (!e->leaf || e->protnone)
		return 0;
	unsigned perms = e->prot & (MM_PROT_USER | MM_PROT_WRITE | MM_PROT_EXEC);
	mm_vaddr_t size = PAGE << (e->level * ARCH_INDEX_BITS);
	if (c->open && c->end == e->va && c->perms == perms) {
		c->end += size;
		return 0;
	}
	mem_flush(c);
	*c = (struct mem_ctx){ true, e->va, e->va + size, perms, c->runs };
	return 0;
}

/* QEMU's `info mem`: the present pages of @n, both halves, as runs of
 * contiguous virtual pages with the same effective permissions. */
void show_mem(struct named *n)
{
	fprintf(M.out, "# mem of %s: present pages by run (u user, w writable, x executable)\n",
	        n->name);
	struct mem_ctx c = { 0 };
	mm_space_walk(n->s, true, mem_leaf, &c);
	mem_flush(&c);
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
	char size[32] = "";
	if (e->level > 0) /* a large page: its size */
		snprintf(size, sizeof(size), "\\n%" PRIu64 " KiB page", m.size >> 10);
	fprintf(d->f, "  f%" PRIx64 " [label=\"frame 0x%" PRIx64 "%s%s\", shape=ellipse%s];\n",
	        e->pa, e->pa, size, m.refs > 1 ? "\\nshared" : "", style);
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
void write_dot(const char *path)
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
	uint64_t resident = 0, tables = 0, large = 0;
	for (int i = 0; i < MAX_SPACES; i++)
		if (M.spaces[i].s)
			resident += M.spaces[i].s->user_pages, tables += M.spaces[i].s->table_pages,
			        large += M.spaces[i].s->large_leaves;
	fprintf(f,
	        "{\"accesses\": %" PRIu64 ", \"tlb_hits\": %" PRIu64 ", \"tlb_misses\": %" PRIu64
	        ", \"walks\": %" PRIu64 ", \"page_faults\": %" PRIu64 ", \"faults_resolved\": {",
	        st->accesses, st->tlb_hits, st->tlb_misses, st->walks, st->page_faults);
	for (int h = 0; h < MM_FAULT_NHOWS; h++)
		fprintf(f, "%s\"%s\": %" PRIu64, h ? ", " : "", how_names[h], st->resolved[h]);
	fprintf(f,
	        "}, \"resident_pages\": %" PRIu64 ", \"large_pages\": %" PRIu64
	        ", \"page_table_frames\": %" PRIu64 ", \"page_table_bytes\": %" PRIu64
	        ", \"peak_frames\": %u, \"frames_free\": %u"
	        ", \"frames_total\": %u, \"cr3_writes\": %" PRIu64 ", \"invlpg\": %" PRIu64
	        ", \"tlb_flushes\": %" PRIu64 ", \"stale_tlb_entries\": %" PRIu64
	        ", \"bbm_violations\": %" PRIu64 "}",
	        resident, large, tables, tables * PAGE, M.peak_in_use,
	        mm_frames_free_count(&M.sys->frames), mm_frames_total(&M.sys->frames),
	        st->cr3_writes, st->invlpg, st->flushes, st->stale, st->bbm);
}

void show_stats(void)
{
	const struct sim_stats *st = sim_stats(M.sim);
	FILE *o = M.out;
	track_peak();
	uint64_t resident = 0, tables = 0, large = 0;
	for (int i = 0; i < MAX_SPACES; i++)
		if (M.spaces[i].s)
			resident += M.spaces[i].s->user_pages, tables += M.spaces[i].s->table_pages,
			        large += M.spaces[i].s->large_leaves;
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
	fprintf(o, "  resident pages    %" PRIu64 " (%" PRIu64 " KiB", resident,
	        resident * PAGE / 1024);
	if (large)
		fprintf(o, ", %" PRIu64 " large pages of them", large);
	fprintf(o, ")\n");
	fprintf(o, "  page-table frames %" PRIu64 " (%" PRIu64 " bytes, user half)\n", tables,
	        tables * PAGE);
	fprintf(o, "  peak frames       %u in use (of %u)\n", M.peak_in_use,
	        mm_frames_total(&M.sys->frames));
	fprintf(o,
	        "  CR3 writes %" PRIu64 ", invlpg %" PRIu64 ", TLB flushes %" PRIu64
	        ", stale TLB entries %" PRIu64 ", break-before-make violations %" PRIu64 "\n",
	        st->cr3_writes, st->invlpg, st->flushes, st->stale, st->bbm);
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
	struct region_use *use = resident_pages(s);
	uint64_t i = 0;
	for (const struct mm_region *r = mm_region_first(s); r; r = mm_region_next(s, r), i++) {
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
		        "\"resident_pages\": %" PRIu64 ", \"rss\": %" PRIu64
		        ", \"shared\": %" PRIu64 ", \"private\": %" PRIu64 "}",
		        kind_names[r->kind], backing_names[r->backing],
		        (r->flags & MM_REGION_GROWS_DOWN) ? "true" : "false", use[i].rss,
		        use[i].rss * (PAGE / 1024), use[i].shared * (PAGE / 1024),
		        (use[i].rss - use[i].shared) * (PAGE / 1024));
	}
	free(use);
	fputs("]}", f);
}

/*
 * With --json, the one document on stdout (docs/MMSIM.md has the schema):
 * the command, the text it printed (as lines), the spaces with their
 * regions and images, the statistics, the pictures, and the error if
 * @error is not NULL.
 */
void emit_json(const char *error)
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
