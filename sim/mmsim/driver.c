/*
 * mmsim: the driver. mm-core is compiled once per ISA with the same symbol
 * names, so each ISA has its own tool (mmsim-<isa>) installed beside this
 * driver; the driver reads --arch (default MMKIT_ISA_DEFAULT), which goes
 * before the command, and runs that ISA's tool, the way gcc runs cc1. The
 * tool sees "mmsim" as its name, so no message names it. The ISAs come from
 * the build's one list (mmkit_isas.h, generated from meson.build).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mmkit_isas.h"

/* Is @arch one of the words of MMKIT_ISAS? */
static int known_isa(const char *arch)
{
	size_t n = strlen(arch);
	for (const char *w = MMKIT_ISAS; *w;) {
		size_t len = strcspn(w, " ");
		if (n && len == n && !strncmp(w, arch, n))
			return 1;
		w += len + (w[len] == ' ');
	}
	return 0;
}

#ifndef MMSIM_VERSION
#define MMSIM_VERSION "unknown"
#endif

int main(int argc, char **argv)
{
	const char *arch = MMKIT_ISA_DEFAULT;
	/* Only the words before the command: what follows it belongs to the
	 * command (and, for exec, to the program). */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--arch")) {
			if (i + 1 == argc) {
				fprintf(stderr, "mmsim: --arch needs a value (%s)\n",
				        MMKIT_ISAS_USAGE);
				return 2;
			}
			arch = argv[++i];
		} else if (!strncmp(argv[i], "--arch=", 7)) {
			arch = argv[i] + 7;
		} else if (!strcmp(argv[i], "--version")) {
			printf("mmsim %s (mmkit; ISAs: %s)\n", MMSIM_VERSION, MMKIT_ISAS);
			return 0;
		} else if (!strcmp(argv[i], "--list-arch")) {
			for (const char *w = MMKIT_ISAS; *w; w++)
				putchar(*w == ' ' ? '\n' : *w);
			putchar('\n');
			return 0;
		}
	}
	if (!known_isa(arch)) {
		fprintf(stderr, "mmsim: unknown --arch '%s' (%s)\n", arch, MMKIT_ISAS_USAGE);
		return 2;
	}
	char self[PATH_MAX], tool[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "mmsim: cannot find where mmsim is installed: %s\n",
		        strerror(errno));
		return 2;
	}
	self[n] = 0;
	snprintf(tool, sizeof(tool), "%s/mmsim-%s", dirname(self), arch);
	argv[0] = "mmsim";
	execv(tool, argv);
	fprintf(stderr, "mmsim: the %s simulator cannot start (%s): mmsim is not fully installed\n",
	        arch, strerror(errno));
	return 2;
}
