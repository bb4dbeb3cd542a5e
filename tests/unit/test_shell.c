/* Shell line splitting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_split_empty),
		cmocka_unit_test(test_split_too_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
