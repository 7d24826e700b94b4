/*
 * mmsim: the driver. mm-core is compiled once per ISA with the same symbol
 * names, so each ISA has its own tool (mmsim-i386, mmsim-x86_64); this
 * driver reads --arch (default x86_64) and runs the one beside it, the way
 * gcc runs cc1.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *arch = "x86_64";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--arch") && i + 1 < argc)
			arch = argv[i + 1];
		else if (!strncmp(argv[i], "--arch=", 7))
			arch = argv[i] + 7;
	}
	if (strcmp(arch, "i386") && strcmp(arch, "x86_64")) {
		fprintf(stderr, "mmsim: unknown --arch '%s' (i386 or x86_64)\n", arch);
		return 2;
	}
	char self[PATH_MAX], tool[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "mmsim: cannot find myself: %s\n", strerror(errno));
		return 2;
	}
	self[n] = 0;
	snprintf(tool, sizeof(tool), "%s/mmsim-%s", dirname(self), arch);
	argv[0] = tool;
	execv(tool, argv);
	fprintf(stderr, "mmsim: cannot run %s: %s\n", tool, strerror(errno));
	return 2;
}
