/*
 * mmsim: the driver. mm-core is compiled once per ISA with the same symbol
 * names, so each ISA has its own tool (mmsim-i386, mmsim-x86_64) installed
 * beside this driver; the driver reads --arch (default x86_64), which goes
 * before the command, and runs that ISA's tool, the way gcc runs cc1. The
 * tool sees "mmsim" as its name, so no message names it.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef MMSIM_VERSION
#define MMSIM_VERSION "unknown"
#endif

int main(int argc, char **argv)
{
	const char *arch = "x86_64";
	/* Only the words before the command: what follows it belongs to the
	 * command (and, for exec, to the program). */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--arch")) {
			if (i + 1 == argc) {
				fprintf(stderr, "mmsim: --arch needs a value (i386 or x86_64)\n");
				return 2;
			}
			arch = argv[++i];
		} else if (!strncmp(argv[i], "--arch=", 7)) {
			arch = argv[i] + 7;
		} else if (!strcmp(argv[i], "--version")) {
			printf("mmsim %s (mmkit; ISAs: i386, x86_64)\n", MMSIM_VERSION);
			return 0;
		}
	}
	if (strcmp(arch, "i386") && strcmp(arch, "x86_64")) {
		fprintf(stderr, "mmsim: unknown --arch '%s' (i386 or x86_64)\n", arch);
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
