/* Unit tests for net/syslog.c's RFC 5424 formatter: header fields,
 * timestamps (dates across years, leap days), absent and hostile fields,
 * the message cleaned of control characters, truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "net/syslog.h"

static char buf[600];

static const char *fmt(int sev, uint64_t ms, const char *host, const char *msg)
{
	syslog_format(buf, sizeof(buf), SYSLOG_FACILITY, sev, ms, host, "vatra", "log", msg,
		      strlen(msg));
	return buf;
}

static void test_header(void **state)
{
	(void)state;
	/* 2026-12-02T01:47:18.123Z = 1796176038 s */
	assert_string_equal(fmt(6, 1796176038123ull, "vatra", "mgmt: up\n"),
			    "<14>1 2026-12-02T01:47:18.123Z vatra vatra - log - mgmt: up");
	assert_string_equal(fmt(3, 0, "vatra", "x"), "<11>1 - vatra vatra - log - x");
	assert_int_equal(syslog_severity(0), 3);
	assert_int_equal(syslog_severity(1), 4);
	assert_int_equal(syslog_severity(2), 6);
	assert_int_equal(syslog_severity(3), 7);
	assert_int_equal(syslog_severity(-1), 6);
	assert_int_equal(syslog_severity(9), 6);
}

static void test_dates(void **state)
{
	(void)state;
	assert_non_null(strstr(fmt(6, 1000, "h", "m"), " 1970-01-01T00:00:01.000Z "));
	assert_non_null(strstr(fmt(6, 951782400000ull, "h", "m"), " 2000-02-29T00:00:00.000Z "));
	assert_non_null(strstr(fmt(6, 4107542399999ull, "h", "m"), " 2100-02-28T23:59:59.999Z "));
	assert_non_null(strstr(fmt(6, 1709251199000ull, "h", "m"), " 2024-02-29T23:59:59.000Z "));
}

static void test_hostile(void **state)
{
	char big[700];

	(void)state;
	assert_string_equal(fmt(6, 0, "two words", "a\tb\x01\x7f" "c\r\n"),
			    "<14>1 - - vatra - log - a b  c");
	assert_string_equal(fmt(6, 0, "", "m"), "<14>1 - - vatra - log - m");
	assert_string_equal(fmt(6, 0, NULL, "m"), "<14>1 - - vatra - log - m");
	assert_string_equal(fmt(6, 0, "h\xc3\xa9", "m"), "<14>1 - - vatra - log - m");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(syslog_format(buf, sizeof(buf), 1, 6, 0, "h", "a", "-", big, strlen(big)),
			 sizeof(buf) - 1);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_int_equal(syslog_format(buf, 8, 1, 6, 0, "h", "a", "-", "m", 1), 7);
	assert_string_equal(buf, "<14>1 -");
	assert_int_equal(syslog_format(buf, 0, 1, 6, 0, "h", "a", "-", "m", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
