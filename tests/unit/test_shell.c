/* Shell line splitting and command parsing, with a fuzz target: nothing
 * an operator types may make the parser read or write outside the line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <cmocka.h>
#include "mgmt/shell.h"
#include "lib/errno.h"

static void test_split_words(void **state)
{
	char line[] = "  start   web\tnow ";
	char *argv[SHELL_MAX_ARGS];

	(void)state;
	assert_int_equal(shell_split(line, argv, SHELL_MAX_ARGS), 3);
	assert_string_equal(argv[0], "start");
	assert_string_equal(argv[1], "web");
	assert_string_equal(argv[2], "now");
}

static void test_split_empty(void **state)
{
	char a[] = "", b[] = " \t \r";
	char *argv[SHELL_MAX_ARGS];

	(void)state;
	assert_int_equal(shell_split(a, argv, SHELL_MAX_ARGS), 0);
	assert_int_equal(shell_split(b, argv, SHELL_MAX_ARGS), 0);
}

static void test_split_too_many(void **state)
{
	char line[] = "a b c d";
	char ok[] = "a b c";
	char *argv[3];

	(void)state;
	assert_int_equal(shell_split(line, argv, 3), -E2BIG);
	assert_int_equal(shell_split(ok, argv, 3), 3);
	assert_string_equal(argv[2], "c");
}

static const struct shell_cmd_spec specs[] = {
	{ "help", "" }, { "list", "" }, { "stats", "[NAME]" }, { "start", "NAME" },
	{ "console", "NAME" },
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* Exactly max words, also followed by blanks, fit; one more does not;
 * through shell_parse: SHELL_MAX_ARGS words reach the command lookup,
 * one more is too many. */
static void test_split_exact_limit(void **state)
{
	char trail[] = "a b c \t ", lead[] = " \t a b c", more[] = "a b c d ", *argv[3];
	char buf[256], *av[SHELL_MAX_ARGS];
	int argc;

	(void)state;
	assert_int_equal(shell_split(trail, argv, 3), 3);
	assert_string_equal(argv[2], "c");
	assert_int_equal(shell_split(lead, argv, 3), 3);
	assert_string_equal(argv[0], "a");
	assert_int_equal(shell_split(more, argv, 3), -E2BIG);
	snprintf(buf, sizeof(buf), "nosuch 2 3 4 5 6 7 8");
	assert_int_equal(shell_parse(buf, specs, NSPECS, av, &argc), -ENOSYS);
	assert_int_equal(argc, SHELL_MAX_ARGS);
	assert_string_equal(av[SHELL_MAX_ARGS - 1], "8");
	snprintf(buf, sizeof(buf), "nosuch 2 3 4 5 6 7 8 9");
	assert_int_equal(shell_parse(buf, specs, NSPECS, av, &argc), -E2BIG);
	assert_int_equal(argc, 0);
}

static int parse(const char *text, char **argv, int *argc, char *buf, size_t size)
{
	snprintf(buf, size, "%s", text);
	return shell_parse(buf, specs, NSPECS, argv, argc);
}

static void test_parse_commands(void **state)
{
	char buf[256], *argv[SHELL_MAX_ARGS];
	int argc;

	(void)state;
	assert_int_equal(parse("help", argv, &argc, buf, sizeof(buf)), 0);
	assert_int_equal(argc, 1);
	assert_int_equal(parse("  start\tweb ", argv, &argc, buf, sizeof(buf)), 3);
	assert_int_equal(argc, 2);
	assert_string_equal(argv[1], "web");
	assert_int_equal(parse("stats", argv, &argc, buf, sizeof(buf)), 2);
	assert_int_equal(parse("stats db", argv, &argc, buf, sizeof(buf)), 2);
	/* A command missing its argument is still found: the command says
	 * what it needs. */
	assert_int_equal(parse("start", argv, &argc, buf, sizeof(buf)), 3);
	assert_int_equal(argc, 1);
}

static void test_parse_errors(void **state)
{
	char buf[256], *argv[SHELL_MAX_ARGS];
	int argc;

	(void)state;
	assert_int_equal(parse("", argv, &argc, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(argc, 0);
	assert_int_equal(parse(" \t\r ", argv, &argc, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(parse("nosuch", argv, &argc, buf, sizeof(buf)), -ENOSYS);
	assert_string_equal(argv[0], "nosuch");
	assert_int_equal(parse("Help", argv, &argc, buf, sizeof(buf)), -ENOSYS);
	assert_int_equal(parse("hel", argv, &argc, buf, sizeof(buf)), -ENOSYS);
	assert_int_equal(parse("helpx", argv, &argc, buf, sizeof(buf)), -ENOSYS);
	assert_int_equal(parse("help me", argv, &argc, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(argv[0], "help");
	assert_int_equal(parse("start a b", argv, &argc, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(parse("stats a b", argv, &argc, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(parse("a b c d e f g h i", argv, &argc, buf, sizeof(buf)), -E2BIG);
	assert_int_equal(parse("start a b c d e f g", argv, &argc, buf, sizeof(buf)), -EINVAL);
}

/* Random lines of any bytes but NUL (what the line editor can hand over),
 * in a buffer with guard bytes on both sides. The parser must return one
 * of its documented results, every word must lie inside the line and
 * hold no blank, and the words must be exactly the line's blank-separated
 * words. */
static void test_parse_fuzz(void **state)
{
	enum { GUARD = 32, MAXLEN = 300 };
	unsigned seed = 12345;

	(void)state;
	for (int iter = 0; iter < 200000; iter++) {
		unsigned char raw[GUARD + MAXLEN + 1 + GUARD];
		char copy[MAXLEN + 1], *argv[SHELL_MAX_ARGS], *line = (char *)raw + GUARD;
		size_t len;
		int argc = -1, r, want = 0;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % MAXLEN;
		memset(raw, 0xa5, sizeof(raw));
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 6) {
			case 0: line[i] = ' '; break;
			case 1: line[i] = "\t\r\n\v\f"[(seed >> 20) % 5]; break;
			case 2: line[i] = "helpliststatsstartconsole"[(seed >> 20) % 25]; break;
			default: line[i] = (char)(1 + (seed >> 20) % 255);
			}
		}
		line[len] = '\0';
		memcpy(copy, line, len + 1);
		r = shell_parse(line, specs, NSPECS, argv, &argc);
		for (int g = 0; g < GUARD; g++) {
			assert_int_equal(raw[g], 0xa5);
			assert_int_equal(raw[GUARD + MAXLEN + 1 + g], 0xa5);
		}
		/* Count the words by hand. */
		for (size_t i = 0; i < len; i++) {
			bool blank = strchr(" \t\r\n\v\f", copy[i]) != NULL;
			bool prev = i == 0 || strchr(" \t\r\n\v\f", copy[i - 1]) != NULL;
			if (!blank && prev)
				want++;
		}
		if (want > SHELL_MAX_ARGS) {
			assert_int_equal(r, -E2BIG);
			continue;
		}
		assert_int_equal(argc, want);
		if (!want) {
			assert_int_equal(r, -ENOENT);
			continue;
		}
		assert_true(r == -ENOSYS || r == -EINVAL || (r >= 0 && r < (int)NSPECS));
		for (int w = 0; w < argc; w++) {
			size_t n = strlen(argv[w]);
			assert_true(argv[w] >= line && argv[w] + n <= line + len);
			assert_true(n > 0);
			for (size_t i = 0; i < n; i++)
				assert_null(strchr(" \t\r\n\v\f", argv[w][i]));
			/* The word is where it was in the line. */
			assert_memory_equal(argv[w], copy + (argv[w] - line), n);
		}
		if (r >= 0) {
			assert_string_equal(argv[0], specs[r].name);
			assert_true(argc == 1 || (argc == 2 && specs[r].args[0]));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_split_empty),
		cmocka_unit_test(test_split_too_many),
		cmocka_unit_test(test_split_exact_limit),
		cmocka_unit_test(test_parse_commands),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
