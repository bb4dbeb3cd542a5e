/* Unit tests for vmm/guestmsr.c: PAT memory types and guest EFER bits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/guestmsr.h"

static void test_pat(void **state)
{
	(void)state;
	assert_true(guestmsr_pat_valid(0x0007040600070406ULL));    /* power-up value */
	assert_true(guestmsr_pat_valid(0x0007010600070106ULL));
	assert_true(guestmsr_pat_valid(0));
	assert_true(guestmsr_pat_valid(0x0707070707070707ULL));
	/* 2 and 3 are reserved, so is anything above 7, in any entry. */
	assert_false(guestmsr_pat_valid(0x0000000000000002ULL));
	assert_false(guestmsr_pat_valid(0x0300000000000000ULL));
	assert_false(guestmsr_pat_valid(0x0000000000080000ULL));
	assert_false(guestmsr_pat_valid(0xff07040600070406ULL));
}

static void test_efer(void **state)
{
	const uint64_t lm = (1u << 0) | (1u << 8) | (1u << 10) | (1u << 11);

	(void)state;
	assert_true(guestmsr_efer_valid(lm, CPU_VENDOR_INTEL));
	assert_true(guestmsr_efer_valid(lm, CPU_VENDOR_AMD));
	assert_true(guestmsr_efer_valid(0, CPU_VENDOR_OTHER));
	/* FFXSR (bit 14) is AMD's. */
	assert_true(guestmsr_efer_valid(lm | 1u << 14, CPU_VENDOR_AMD));
	assert_false(guestmsr_efer_valid(lm | 1u << 14, CPU_VENDOR_INTEL));
	/* SVME (12), LMSLE (13), TCE (15) and reserved bits: never. */
	assert_false(guestmsr_efer_valid(1u << 12, CPU_VENDOR_AMD));
	assert_false(guestmsr_efer_valid(1u << 13, CPU_VENDOR_AMD));
	assert_false(guestmsr_efer_valid(1u << 15, CPU_VENDOR_AMD));
	assert_false(guestmsr_efer_valid(1u << 1, CPU_VENDOR_INTEL));
	assert_false(guestmsr_efer_valid(1ULL << 40, CPU_VENDOR_INTEL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pat),
		cmocka_unit_test(test_efer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
