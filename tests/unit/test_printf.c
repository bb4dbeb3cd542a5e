/* vsnprintf: conversions, flags, widths and truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "lib/printf.h"

/* Some cases below are odd on purpose (a NULL string, an unknown
 * conversion); the compiler need not warn about them. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-extra-args"

#define FMT(want, ...) do {						\
	char b[128];							\
	int n = snprintf(b, sizeof(b), __VA_ARGS__);			\
	assert_string_equal(b, want);					\
	assert_int_equal(n, (int)strlen(want));				\
} while (0)

static void test_integers(void **state)
{
	(void)state;
	FMT("42", "%d", 42);
	FMT("-42", "%i", -42);
	FMT("-2147483648", "%d", (int)0x80000000);
	FMT("4294967295", "%u", 0xffffffffu);
	FMT("18446744073709551615", "%llu", 0xffffffffffffffffULL);
	FMT("-9223372036854775808", "%lld", (long long)0x8000000000000000ULL);
	FMT("ff", "%x", 255);
	FMT("FF", "%X", 255);
	FMT("0xff", "%#x", 255);
	FMT("777", "%o", 511);
	FMT("123", "%zu", (size_t)123);
	FMT("-1", "%hhd", 255);
	FMT("65535", "%hu", 0xffffffffu);
	FMT("0", "%x", 0);
}

static void test_width_flags(void **state)
{
	(void)state;
	FMT("   42", "%5d", 42);
	FMT("42   |", "%-5d|", 42);
	FMT("00042", "%05d", 42);
	FMT("-0042", "%05d", -42);
	FMT("+42", "%+d", 42);
	FMT(" 42", "% d", 42);
	FMT("0x00ff", "%#06x", 255);
	FMT("  007", "%5.3d", 7);
	FMT("", "%.0d", 0);
	FMT("   ab", "%*s", 5, "ab");
	FMT("ab   |", "%*s|", -5, "ab");
	FMT("0x000000000000dead", "%#018llx", 0xdeadULL);
}

static void test_strings_chars(void **state)
{
	(void)state;
	FMT("hello", "%s", "hello");
	FMT("hel", "%.3s", "hello");
	FMT("hel", "%.*s", 3, "hello");
	FMT("(null)", "%s", (char *)NULL);
	FMT("x", "%c", 'x');
	FMT("  x", "%3c", 'x');
	FMT("100%", "%d%%", 100);
	FMT("%q", "%q");
	FMT("0x1000", "%p", (void *)0x1000);
}

static void test_truncation(void **state)
{
	char b[8];
	int n;

	(void)state;
	memset(b, 'z', sizeof(b));
	n = snprintf(b, sizeof(b), "%s", "0123456789");
	assert_int_equal(n, 10);
	assert_string_equal(b, "0123456");
	n = snprintf(b, 1, "abc");
	assert_int_equal(n, 3);
	assert_int_equal(b[0], '\0');
	b[0] = 'q';
	n = snprintf(b, 0, "abc");
	assert_int_equal(n, 3);
	assert_int_equal(b[0], 'q');   /* size 0 writes nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_width_flags),
		cmocka_unit_test(test_strings_chars),
		cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
