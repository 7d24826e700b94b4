/*
 * fuzz-replay-<isa>: the harness without a fuzzing engine. Runs each input
 * file (or every file of each directory) once; with --print, writes the
 * operations of the inputs as an mmsim scenario script on stdout (and the
 * ELF it execs as fuzz-<isa>.elf), so a crash becomes a regression test by
 * committing its input or its script.
 *
 * usage: fuzz-replay-<isa> [--print] INPUT|DIR...
 */
#include "fuzz.h"

#include <arch/pte.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz-replay: cannot open %s\n", path);
		return 1;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int ran = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--print")) {
			size_t size;
			const void *elf = fuzz_elf(&size);
			char name[64];
			snprintf(name, sizeof(name), "fuzz-%s.elf", ARCH_NAME);
			FILE *e = fopen(name, "wb");
			if (e) {
				fwrite(elf, 1, size, e);
				fclose(e);
			}
			fuzz_set_script(stdout);
			continue;
		}
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			char *names[4096];
			int n = 0;
			for (struct dirent *e; d && (e = readdir(d)) && n < 4096;)
				if (e->d_name[0] != '.')
					names[n++] = strdup(e->d_name);
			if (d)
				closedir(d);
			qsort(names, (size_t)n, sizeof(names[0]), cmp);
			for (int k = 0; k < n; k++) {
				char path[4096];
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]);
				bad += run_file(path);
				ran++;
				free(names[k]);
			}
		} else {
			bad += run_file(argv[i]);
			ran++;
		}
	}
	fprintf(stderr, "fuzz-replay (%s): %d inputs, no divergence\n", ARCH_NAME, ran - bad);
	printf("%s%d passed, %d failed\n", argc > 1 && !strcmp(argv[1], "--print") ? "# " : "",
	       ran - bad, bad);
	return bad ? 1 : 0;
}
