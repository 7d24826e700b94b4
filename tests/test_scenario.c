/*
 * The scenario language as a library (sim/mmsim/scenario.h): every kind of
 * operation parses, prints in its canonical form, and parses back into the
 * same operation; so does every line of the example scenarios; bad lines
 * are refused with a message; words that cannot be written are refused by
 * the printer, which then writes nothing.
 */
#include "scenario.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SCENARIO_DIR
#error "SCENARIO_DIR: where examples/scenarios is"
#endif

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Whether @a and @b are the same operation (the fields that print). */
static bool same_op(const struct op *a, const struct op *b)
{
	if (a->kind != b->kind || !same_str(a->space, b->space) ||
	    !same_str(a->space2, b->space2) || a->va != b->va || a->pages != b->pages ||
	    a->prot != b->prot || a->any != b->any || a->shared != b->shared ||
	    a->fixed != b->fixed || a->maymove != b->maymove || a->start != b->start ||
	    a->want_fault != b->want_fault || a->eager != b->eager ||
	    a->has_value != b->has_value || a->access != b->access || a->verdict != b->verdict ||
	    a->err != b->err || a->fail_at != b->fail_at || a->show != b->show ||
	    a->nargs != b->nargs)
		return false;
	if ((a->kind != OP_READ && !same_str(a->word, b->word)) ||
	    ((a->kind == OP_WRITE || a->has_value) && a->value != b->value))
		return false;
	for (int i = 0; i < a->nargs; i++)
		if (!same_str(a->args[i], b->args[i]))
			return false;
	return true;
}

/* scenario_print() of @op into @buf (size @len); its return value. */
static int print_to(const struct op *op, char *buf, size_t len)
{
	memset(buf, 0, len);
	FILE *f = fmemopen(buf, len, "w");
	ck_assert_ptr_nonnull(f);
	int rc = scenario_print(f, op);
	fclose(f);
	return rc;
}

/*
 * @line parses into an operation, which prints as @canonical (if not NULL),
 * and that text parses into the same operation and prints the same again.
 */
static void round_trip(const char *line, const char *canonical)
{
	char in[1024], err[256], text1[1024], text2[1024], again[1024];
	struct op op1, op2;
	snprintf(in, sizeof(in), "%s", line);
	int got = scenario_parse(in, &op1, err, sizeof(err));
	ck_assert_msg(got == 1, "'%s' does not parse: %s", line, got < 0 ? err : "blank");
	ck_assert_int_eq(print_to(&op1, text1, sizeof(text1)), 0);
	if (canonical)
		ck_assert_str_eq(text1, canonical);
	snprintf(again, sizeof(again), "%s", text1);
	got = scenario_parse(again, &op2, err, sizeof(err));
	ck_assert_msg(got == 1, "'%s' (printed from '%s') does not parse: %s", text1, line,
	              got < 0 ? err : "blank");
	ck_assert_msg(same_op(&op1, &op2), "'%s' printed as '%s', which parses differently", line,
	              text1);
	ck_assert_int_eq(print_to(&op2, text2, sizeof(text2)), 0);
	ck_assert_str_eq(text1, text2);
}

START_TEST(every_kind_round_trips)
{
	static const char *const cases[][2] = {
		{ "arch x86_64", "arch x86_64\n" },
		{ "create a", "create a\n" },
		{ "destroy a", "destroy a\n" },
		{ "switch a", "switch a\n" },
		{ "switch kernel", "switch kernel\n" },
		{ "fork a b", "fork a b cow\n" },
		{ "fork a b eager", "fork a b eager\n" },
		{ "exec a /bin/true -l x", "exec a /bin/true -l x\n" },
		{ "exec a prog", "exec a prog\n" },
		{ "mmap a any 3 r", "mmap a any 3 r--\n" },
		{ "mmap a 4096 2 rw shared", "mmap a 0x1000 2 rw- shared\n" },
		{ "mmap a 0X10000 1 -", "mmap a 0x10000 1 ---\n" },
		{ "munmap a 0x10000 1", "munmap a 0x10000 1\n" },
		{ "mprotect a 0x10000 0x10 r-x", "mprotect a 0x10000 16 r-x\n" },
		{ "mmap a 0x10000 2 rw fixed shared", "mmap a 0x10000 2 rw- shared fixed\n" },
		{ "madvise a 0x10000 2 dontneed", "madvise a 0x10000 2 dontneed\n" },
		{ "mremap a 0x10000 2 4", "mremap a 0x10000 2 4\n" },
		{ "mremap a 0x10000 2 4 maymove", "mremap a 0x10000 2 4 maymove\n" },
		{ "brk a 0x50000010", "brk a 0x50000010\n" },
		{ "brk a start 0x50000000", "brk a start 0x50000000\n" },
		{ "populate a 0x10000 2 write", "populate a 0x10000 2 write\n" },
		{ "softfault a read 0x10000 segv", "softfault a read 0x10000 segv\n" },
		{ "kmap 0xffff0000 rw", "kmap 0xffff0000 rw-\n" },
		{ "kunmap 0xffff0000 1", "kunmap 0xffff0000 1\n" },
		{ "kread 0xffff0000", "kread 0xffff0000\n" },
		{ "kread 0xffff0000 fault", "kread 0xffff0000 fault\n" },
		{ "kread 0xffff0000 7", "kread 0xffff0000 0x7\n" },
		{ "kwrite 0xffff0000 7", "kwrite 0xffff0000 0x7\n" },
		{ "stack a 0x7fff0000 16", "stack a 0x7fff0000 16\n" },
		{ "map a 0x8048000 4 rwx", "map a 0x8048000 4 rwx\n" },
		{ "unmap a 0x8048000 4", "unmap a 0x8048000 4\n" },
		{ "protect a 0x8048000 4 xr", "protect a 0x8048000 4 r-x\n" },
		{ "write 0x10000 18446744073709551615", "write 0x10000 0xffffffffffffffff\n" },
		{ "read 0x10000", "read 0x10000\n" },
		{ "read 0x10000 0", "read 0x10000 0x0\n" },
		{ "fault read 0x10000 segv", "fault read 0x10000 segv\n" },
		{ "fault write 0 access", "fault write 0x0 access\n" },
		{ "fault exec 0x800000000000 gp", "fault exec 0x800000000000 gp\n" },
		{ "fault read 0x1000 oom", "fault read 0x1000 oom\n" },
		{ "expect-error EEXIST", "expect-error EEXIST\n" },
		{ "expect-error ENOTSUP", "expect-error ENOTSUP\n" },
		{ "fail-next 0", "fail-next 0\n" },
		{ "fail-next 0x10", "fail-next 16\n" },
		{ "fail-next off", "fail-next off\n" },
		{ "check", "check\n" },
		{ "mark   # a comment", "mark\n" },
		{ "conserved", "conserved\n" },
		{ "show maps", "show maps\n" },
		{ "show tables b", "show tables b\n" },
		{ "show stats", "show stats\n" },
		{ "dot x';touch${IFS}INJECTED;'.dot", "dot x';touch${IFS}INJECTED;'.dot\n" },
		{ "echo", "echo\n" },
		{ "echo  two\twords", "echo two words\n" },
	};
	bool seen[OP_NKINDS] = { false };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		round_trip(cases[i][0], cases[i][1]);
		char in[256], err[128];
		struct op op;
		snprintf(in, sizeof(in), "%s", cases[i][0]);
		ck_assert_int_eq(scenario_parse(in, &op, err, sizeof(err)), 1);
		seen[op.kind] = true;
	}
	for (int k = 0; k < OP_NKINDS; k++)
		ck_assert_msg(seen[k], "operation kind %d is not covered", k);
}
END_TEST

START_TEST(parsed_fields)
{
	char line[] = "mmap a 0x20000 3 rw shared", err[128];
	struct op op;
	ck_assert_int_eq(scenario_parse(line, &op, err, sizeof(err)), 1);
	ck_assert_int_eq(op.kind, OP_MMAP);
	ck_assert_str_eq(op.space, "a");
	ck_assert_uint_eq(op.va, 0x20000);
	ck_assert_uint_eq(op.pages, 3);
	ck_assert_uint_eq(op.prot, MM_PROT_READ | MM_PROT_WRITE);
	ck_assert(op.shared && !op.any);
	char fault[] = "fault exec 0x1000 access";
	ck_assert_int_eq(scenario_parse(fault, &op, err, sizeof(err)), 1);
	ck_assert_int_eq(op.access, OP_ACCESS_EXEC);
	ck_assert_str_eq(scenario_verdicts[op.verdict], "access");
	char expect[] = "expect-error EBUSY";
	ck_assert_int_eq(scenario_parse(expect, &op, err, sizeof(err)), 1);
	ck_assert_int_eq(op.err, -MM_EBUSY);
	char off[] = "fail-next off";
	ck_assert_int_eq(scenario_parse(off, &op, err, sizeof(err)), 1);
	ck_assert_int_eq(op.fail_at, -1);
	char blank[] = "   # nothing but a comment\n";
	ck_assert_int_eq(scenario_parse(blank, &op, err, sizeof(err)), 0);
}
END_TEST

START_TEST(bad_lines_are_refused)
{
	static const char *const cases[][2] = {
		{ "frobnicate a", "unknown operation 'frobnicate'" },
		{ "create", "create: missing operands" },
		{ "create a b", "create: too many operands" },
		{ "map a 0x1000 zz rw", "bad page count 'zz'" },
		{ "map a +1 1 rw", "bad virtual address '+1'" },
		{ "map a 010x 1 rw", "bad virtual address '010x'" },
		{ "map a 0x1000 1 rwz", "bad protection 'rwz'" },
		{ "mmap a any 1 rw private", "mmap option 'private'" },
		{ "fork a b sideways", "fork mode 'sideways'" },
		{ "fault read 0x1000 acess", "unknown verdict 'acess'" },
		{ "fault fetch 0x1000 segv", "access 'fetch'" },
		{ "expect-error EWHAT", "unknown error name 'EWHAT'" },
		{ "fail-next -1", "bad allocation number '-1'" },
		{ "stack a 0x1000 1", "leaves no room" },
		{ "stack a 0x10000 16", "page count 16 is out of range (1 to 15)" },
		{ "show stats a", "show: usage" },
		{ "write 0x1000 0x10000000000000000", "bad value" },
		{ "echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 "
		  "29 "
		  "30 31 32",
		  "too many words" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[512], err[256] = "";
		struct op op;
		snprintf(in, sizeof(in), "%s", cases[i][0]);
		ck_assert_msg(scenario_parse(in, &op, err, sizeof(err)) == -1, "'%s' parsed",
		              cases[i][0]);
		ck_assert_msg(strstr(err, cases[i][1]), "'%s': message '%s', wanted '%s'",
		              cases[i][0], err, cases[i][1]);
	}
}
END_TEST

START_TEST(unprintable_words_are_refused)
{
	static const char *const names[] = { "two words", "", "#comment", "tab\there" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct op op = { .kind = OP_CREATE, .space = names[i] };
		char buf[256];
		ck_assert_int_eq(print_to(&op, buf, sizeof(buf)), -1);
		ck_assert_str_eq(buf, "");
	}
	struct op create = { .kind = OP_CREATE, .space = NULL };
	char buf[256];
	ck_assert_int_eq(print_to(&create, buf, sizeof(buf)), -1);
	struct op code = { .kind = OP_EXPECT_ERROR, .err = -4000 };
	ck_assert_int_eq(print_to(&code, buf, sizeof(buf)), -1);
	struct op echo = { .kind = OP_ECHO, .nargs = 2, .args = { "fine", "not fine" } };
	ck_assert_int_eq(print_to(&echo, buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(example_scenarios_round_trip)
{
	static const char *const files[] = { "fork-cow", "stack-growth", "munmap-subrange",
		                             "isolation" };
	int ops = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], line[4096];
		snprintf(path, sizeof(path), "%s/%s.mmsim", SCENARIO_DIR, files[i]);
		FILE *f = fopen(path, "r");
		ck_assert_msg(f != NULL, "cannot open %s", path);
		while (fgets(line, sizeof(line), f)) {
			char copy[4096], err[256];
			struct op op;
			snprintf(copy, sizeof(copy), "%s", line);
			if (scenario_parse(copy, &op, err, sizeof(err)) == 1) {
				line[strcspn(line, "\n")] = 0;
				round_trip(line, NULL);
				ops++;
			}
		}
		fclose(f);
	}
	ck_assert_int_gt(ops, 40);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("language");
	tcase_add_test(tc, every_kind_round_trips);
	tcase_add_test(tc, parsed_fields);
	tcase_add_test(tc, bad_lines_are_refused);
	tcase_add_test(tc, unprintable_words_are_refused);
	tcase_add_test(tc, example_scenarios_round_trip);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
