/*
 * uhello: the second program, started by exec(). It checks the initial
 * stack mm_exec() built (argc, argv, envp, auxv, as Linux lays them out)
 * and exits 0 if all is as expected. Its argument is the stack pointer.
 */
#include "ulib.h"

enum { AT_NULL = 0, AT_PAGESZ = 6, AT_ENTRY = 9 };
extern char _start[];

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int main(long sp_arg);
int main(long sp_arg)
{
	long *sp = (long *)sp_arg;
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **e = envp;
	while (*e)
		e++;
	long pagesz = 0, entry = 0;
	for (long *aux = (long *)(e + 1); aux[0] != AT_NULL; aux += 2) {
		if (aux[0] == AT_PAGESZ)
			pagesz = aux[1];
		if (aux[0] == AT_ENTRY)
			entry = aux[1];
	}
	int ok = argc == 2 && streq(argv[0], "uhello") && streq(argv[1], "from-exec") &&
	         argv[2] == 0 && envp[0] && streq(envp[0], "MMKIT=1") && pagesz == 4096 &&
	         entry == (long)_start;
	puts_("# uhello after exec: argv[1] = ");
	puts_(argc > 1 ? argv[1] : "(none)");
	puts_(ok ? ", envp and auxv as expected\n" : ", NOT as expected\n");
	return ok ? 0 : 1;
}
