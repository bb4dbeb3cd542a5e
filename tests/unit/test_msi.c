/* Unit tests for vmm/dev/msi.c: MSI address/data fields (Intel SDM
 * Vol. 3A, 11.11). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/dev/msi.h"
#include "lib/errno.h"

static void test_fields(void **state)
{
	struct msi_msg m;

	(void)state;
	/* Destination 0x12, logical, redirection hint; lowest priority,
	 * vector 0x41, level-triggered asserted. */
	assert_int_equal(msi_decode(0xfee1200cULL, 0xc141, &m), 0);
	assert_int_equal(m.dest, 0x12);
	assert_true(m.logical);
	assert_true(m.redirect);
	assert_int_equal(m.mode, 1);
	assert_int_equal(m.vector, 0x41);
	assert_true(m.level);
	assert_true(m.assert);
	/* Physical, fixed, edge. */
	assert_int_equal(msi_decode(0xfee03000ULL, 0x0030, &m), 0);
	assert_int_equal(m.dest, 3);
	assert_false(m.logical);
	assert_false(m.redirect);
	assert_int_equal(m.mode, 0);
	assert_int_equal(m.vector, 0x30);
	assert_false(m.level);
	/* NMI (100b) and ExtINT (111b) are delivery modes of their own. */
	assert_int_equal(msi_decode(0xfee00000ULL, 0x400, &m), 0);
	assert_int_equal(m.mode, 4);
	assert_int_equal(msi_decode(0xfee00000ULL, 0x700, &m), 0);
	assert_int_equal(m.mode, 7);
}

static void test_refused(void **state)
{
	struct msi_msg m;

	(void)state;
	assert_int_equal(msi_decode(0xfed00000ULL, 0x30, &m), -EINVAL);
	assert_int_equal(msi_decode(0x1fee00000ULL, 0x30, &m), -EINVAL);
	assert_int_equal(msi_decode(0xfee00000ULL, 0x330, &m), -EINVAL);
	assert_int_equal(msi_decode(0xfee00000ULL, 0x630, &m), -EINVAL);
}

static void test_compose(void **state)
{
	struct msi_msg m;

	(void)state;
	assert_int_equal(msi_decode(msi_addr(5, false), msi_data(0x55), &m), 0);
	assert_int_equal(m.dest, 5);
	assert_false(m.logical);
	assert_int_equal(m.vector, 0x55);
	assert_int_equal(msi_decode(msi_addr(0x80, true), msi_data(0xef), &m), 0);
	assert_int_equal(m.dest, 0x80);
	assert_true(m.logical);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_compose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
