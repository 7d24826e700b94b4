/* mmsim exec and the `exec` operation: executable images. */
#include "mmsim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void image_put(struct image *im)
{
	if (im && --im->refs == 0) {
		free(im->data);
		free(im);
	}
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
void do_exec(struct named *n, const char *path, char **args, int nargs, bool eager)
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
		                  .dyn_base = M.load_base };
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
