/* Civil dates to days since 1970, for the host RTC reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "arch/x86/rtc.h"

static void test_days_from_civil(void **state)
{
	(void)state;
	assert_int_equal(rtc_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(rtc_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(rtc_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(rtc_days_from_civil(2024, 2, 29), 19782);
	assert_int_equal(rtc_days_from_civil(2026, 11, 29), 20786);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_from_civil),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
