/* Unit tests for lib/strutil.c: bounded copy, case-insensitive compare,
 * white space, error names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/strutil.h"
#include "lib/errno.h"

static void test_copy_limits(void **state)
{
	char d[8];

	(void)state;
	/* size 0: nothing written, the length still returned. */
	memset(d, 'x', sizeof(d));
	assert_int_equal(str_copy(d, "abc", 0), 3);
	assert_int_equal(d[0], 'x');
	/* size 1: only the terminator. */
	assert_int_equal(str_copy(d, "abc", 1), 3);
	assert_string_equal(d, "");
	assert_int_equal(d[1], 'x');
	/* Exactly fits (n + 1): whole string, no truncation. */
	memset(d, 'x', sizeof(d));
	assert_int_equal(str_copy(d, "abc", 4), 3);
	assert_string_equal(d, "abc");
	assert_int_equal(d[4], 'x');
	/* One short (n): truncated to n - 1, result >= size says so. */
	memset(d, 'x', sizeof(d));
	assert_int_equal(str_copy(d, "abcd", 4), 4);
	assert_string_equal(d, "abc");
	assert_int_equal(d[4], 'x');
	assert_int_equal(str_copy(d, "", sizeof(d)), 0);
	assert_string_equal(d, "");
}

static void test_casecmp(void **state)
{
	(void)state;
	assert_int_equal(str_casecmp("Vatra", "vATRA"), 0);
	assert_int_equal(str_casecmp("", ""), 0);
	assert_true(str_casecmp("a", "b") < 0);
	assert_true(str_casecmp("B", "a") > 0);
	assert_true(str_casecmp("ab", "a") > 0);    /* a prefix sorts first */
	assert_true(str_casecmp("a", "ab") < 0);
	/* Only A-Z fold: '@' (before A) and '[' (after Z) stay themselves. */
	assert_true(str_casecmp("@", "`") != 0);
	assert_true(str_casecmp("[", "{") != 0);
	assert_int_equal(str_casecmp("AZ", "az"), 0);
	assert_true(str_casecmp("\x80", "a") > 0);  /* compared unsigned */
}

static void test_isspace(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		bool want = c == ' ' || (c >= '\t' && c <= '\r');
		assert_int_equal(str_isspace((char)c), want);
	}
}

static void test_hexdigit(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9' ? c - '0' :
			   c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			   c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		assert_int_equal(str_hexdigit((char)c), want);
	}
}

static void test_err_name(void **state)
{
	static const struct { int e; const char *name; } t[] = {
		{ 0, "ok" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ E2BIG, "E2BIG" }, { ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		{ ENOSYS, "ENOSYS" }, { EBADMSG, "EBADMSG" }, { ETIMEDOUT, "ETIMEDOUT" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(err_name(-t[i].e), t[i].name);   /* as returned */
		assert_string_equal(err_name(t[i].e), t[i].name);    /* either sign */
	}
	assert_string_equal(err_name(-3), "E?");
	assert_string_equal(err_name(-9999), "E?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_limits),
		cmocka_unit_test(test_casecmp),
		cmocka_unit_test(test_isspace),
		cmocka_unit_test(test_hexdigit),
		cmocka_unit_test(test_err_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
