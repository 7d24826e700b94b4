/* mmsim: the command line: global options, the subcommands, their options
 * and help. */
#include "mmkit_isas.h"
#include "mmsim.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Every option: getopt_long's entry, how help shows it, what it does. */
static const struct option opts[] = {
	{ "arch", required_argument, 0, 'a' },  { "json", no_argument, 0, 'j' },
	{ "dot", required_argument, 0, 'd' },   { "tlb", required_argument, 0, 't' },
	{ "mem", required_argument, 0, 'm' },   { "fold", no_argument, 0, 'f' },
	{ "quiet", no_argument, 0, 'q' },       { "check-stale", no_argument, 0, 's' },
	{ "image", required_argument, 0, 'i' }, { "trace", required_argument, 0, 'T' },
	{ "eager", no_argument, 0, 'e' },       { "thp", no_argument, 0, 'H' },
	{ "help", no_argument, 0, 'h' },        { "load-base", required_argument, 0, 'L' },
	{ "version", no_argument, 0, 'V' },     { 0, 0, 0, 0 },
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
	{ 'H', "--thp",
	  "transparent huge pages: a fault maps a whole large page where a region covers one" },
	{ 'T', "--trace FILE", "then replay the Lackey trace FILE in the image" },
	{ 'h', "--help", "this help" },
};

/* The subcommands: the options each takes (getopt codes), its synopsis and
 * what it does. */
static const struct command {
	const char *name, *options, *synopsis, *summary, *about;
} commands[] = {
	{ "run", "jdtmHh", "run [OPTIONS] SCRIPT|-", "run a scenario script",
	  "Run a scenario script (- for stdin): one operation per line, on named\n"
	  "address spaces of a simulated machine." },
	{ "trace", "tmjfqsiLdHh", "trace [OPTIONS] FILE|-", "replay a Valgrind Lackey trace",
	  "Replay a Valgrind Lackey memory trace (plain or gzip; - for stdin) in one\n"
	  "address space, demand-faulting its pages, then print the statistics." },
	{ "exec", "jdetmLTfqHh", "exec [OPTIONS] ELF [ARGS...]", "build the image of an executable",
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
	fprintf(f,
	        "usage: mmsim [--arch %s] COMMAND [OPTIONS] ARGS...\n"
	        "       mmsim --version | --list-arch | --help | help COMMAND | COMMAND --help\n\n",
	        MMKIT_ISAS_USAGE);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-30s %s\n", commands[i].synopsis, commands[i].summary);
	fprintf(f,
	        "\n--arch picks the simulated ISA (default %s; --list-arch lists them). The\n"
	        "scenario language and the JSON schema: docs/MMSIM.md.\n",
	        MMKIT_ISA_DEFAULT);
}

/* `mmsim help CMD`, `mmsim CMD --help`: its synopsis, what it does, its
 * options, and for `run` the operations of the scenario language. */
static void help(const struct command *c)
{
	printf("usage: mmsim [--arch %s] %s\n\n%s\n", MMKIT_ISAS_USAGE, c->synopsis, c->about);
	if (*c->options)
		printf("\noptions:\n");
	for (const char *o = c->options; *o; o++)
		for (size_t i = 0; i < sizeof(opt_help) / sizeof(opt_help[0]); i++)
			if (opt_help[i].code == *o)
				printf("  %-18s %s\n", opt_help[i].shown, opt_help[i].help);
	if (!strcmp(c->name, "run")) {
		printf("\noperations (numbers decimal or 0x hex; PROT letters of rwx):\n");
		script_usage(stdout);
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
				usage_error("--arch needs a value (%s)", MMKIT_ISAS_USAGE);
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
	bool fold = false, quiet = false, stale = false, eager = false, thp = false;
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
		case 'H': thp = true; break;
		case 'L':
			M.load_base = option_num("load-base", optarg, PAGE, ARCH_USER_END - PAGE,
			                         "a page-aligned address in the user half");
			if (M.load_base % PAGE)
				usage_error("--load-base %s: not page-aligned", optarg);
			break;
		case 'h':
			help(spec);
			free(operands);
			return 0;
		}
	}
	if (!strcmp(cmd, "run") && nops != 1)
		usage_error("run takes one SCRIPT");
	if (!strcmp(cmd, "trace") && nops != 1)
		usage_error("trace takes one FILE (or - for stdin)");
	if (!strcmp(cmd, "exec") && nops < 1)
		usage_error("exec takes an ELF file, then its arguments");
	if (!strcmp(cmd, "trace") && M.load_base && !image)
		usage_error("--load-base places the --image ELF: give one");
	M.out = stdout;
	if (M.json && !(M.out = open_memstream(&M.out_buf, &M.out_len))) {
		M.out = stdout;
		die("cannot buffer the output: %s", strerror(errno));
	}
	M.cmd = cmd;
	M.input = operands[0];
	if (!strcmp(cmd, "run")) {
		make_sim(mem, (unsigned)tlb, true, thp);
		cmd_run(operands[0]);
		M.where = NULL;
		if (M.dot)
			write_dot(M.dot);
	} else if (!strcmp(cmd, "trace")) {
		make_sim(mem, (unsigned)tlb, stale, thp);
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
		make_sim(mem, (unsigned)tlb, true, thp);
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
