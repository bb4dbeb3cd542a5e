/* Unit tests for arch/x86/permmap.c: the bit positions of both vendors'
 * I/O and MSR permission maps, checked against the byte/bit the manuals
 * name (AMD APM Vol. 2, 15.10-15.11; Intel SDM Vol. 3C, 25.6.4, 25.6.9). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "arch/x86/permmap.h"
#include "lib/errno.h"

static uint8_t map[PERMMAP_SVM_IOPM_SIZE];

static int setup(void **state)
{
	(void)state;
	memset(map, 0xff, sizeof(map));
	return 0;
}

/* The one byte that differs from all ones, and its value. */
static void only_byte(size_t at, uint8_t want)
{
	for (size_t i = 0; i < sizeof(map); i++)
		if (i != at && map[i] != 0xff)
			fail_msg("byte %#zx changed to %#x", i, map[i]);
	assert_int_equal(map[at], want);
}

static void test_io(void **state)
{
	(void)state;
	/* Port 0x80: byte 0x10, bit 0. */
	permmap_io_set(map, 0x80, 1, false);
	only_byte(0x10, 0xfe);
	assert_false(permmap_io_exits(map, 0x80));
	assert_true(permmap_io_exits(map, 0x81));
	permmap_io_set(map, 0x80, 1, true);
	only_byte(0, 0xff);
	/* Port 0x8003 is in VT-x bitmap B (second page), bit 3 of its byte
	 * 0 — byte 0x1000 of the two pages laid end to end. */
	permmap_io_set(map, 0x8003, 1, false);
	only_byte(0x1000, 0xf7);
	permmap_io_set(map, 0x8003, 1, true);
	/* A range runs over bytes and stops at FFFFh. */
	permmap_io_set(map, 0x606, 4, false);
	assert_int_equal(map[0xc0], 0x3f);
	assert_int_equal(map[0xc1], 0xfc);
	permmap_io_set(map, 0x606, 4, true);
	permmap_io_set(map, 0xfffe, 8, false);
	only_byte(0x1fff, 0x3f);
	assert_true(permmap_io_exits(map, 0x10000));
}

static void test_svm_msr(void **state)
{
	(void)state;
	/* MSR 0x10 (TSC): bits 32/33 of vector 0, byte 4 bits 0-1. */
	assert_int_equal(permmap_msr_set(PERMMAP_SVM, map, 0x10, false, false), 0);
	only_byte(4, 0xfc);
	assert_int_equal(permmap_msr_set(PERMMAP_SVM, map, 0x10, true, false), 0);
	only_byte(4, 0xfd);
	assert_true(permmap_msr_exits(PERMMAP_SVM, map, 0x10, false));
	assert_false(permmap_msr_exits(PERMMAP_SVM, map, 0x10, true));
	permmap_msr_set(PERMMAP_SVM, map, 0x10, true, true);
	/* FS_BASE C000_0100h: vector at 0x800, MSR 0x100 -> byte 0x840. */
	permmap_msr_set(PERMMAP_SVM, map, 0xc0000100, false, false);
	only_byte(0x840, 0xfc);
	permmap_msr_set(PERMMAP_SVM, map, 0xc0000100, true, true);
	/* C001_0015h (HWCR): vector at 0x1000, byte 5, bits 2-3. */
	permmap_msr_set(PERMMAP_SVM, map, 0xc0010015, false, false);
	only_byte(0x1005, 0xf3);
	permmap_msr_set(PERMMAP_SVM, map, 0xc0010015, true, true);
	/* SYSENTER_EIP 0x176: byte 0x5d, bits 4-5. */
	permmap_msr_set(PERMMAP_SVM, map, 0x176, false, true);
	only_byte(0x5d, 0xef);
	permmap_msr_set(PERMMAP_SVM, map, 0x176, true, true);
	/* Outside the three vectors: always exits. */
	assert_int_equal(permmap_msr_set(PERMMAP_SVM, map, 0x2000, false, false), -EINVAL);
	assert_int_equal(permmap_msr_set(PERMMAP_SVM, map, 0xc0002000, false, false), -EINVAL);
	assert_int_equal(permmap_msr_set(PERMMAP_SVM, map, 0xc0012000, false, false), -EINVAL);
	assert_int_equal(permmap_msr_set(PERMMAP_SVM, map, 0x40000000, false, false), -EINVAL);
	only_byte(0, 0xff);
	assert_true(permmap_msr_exits(PERMMAP_SVM, map, 0x40000000, false));
}

static void test_vmx_msr(void **state)
{
	(void)state;
	/* SYSENTER_CS 0x174: read bit in byte 0x2e bit 4, write at 2048 on. */
	permmap_msr_set(PERMMAP_VMX, map, 0x174, false, true);
	only_byte(0x2e, 0xef);
	permmap_msr_set(PERMMAP_VMX, map, 0x174, true, false);
	only_byte(2048 + 0x2e, 0xef);
	assert_true(permmap_msr_exits(PERMMAP_VMX, map, 0x174, false));
	assert_false(permmap_msr_exits(PERMMAP_VMX, map, 0x174, true));
	permmap_msr_set(PERMMAP_VMX, map, 0x174, true, true);
	/* KERNEL_GS_BASE C000_0102h: read-high at 1024 (byte 0x20, bit 2),
	 * write-high at 3072. */
	permmap_msr_set(PERMMAP_VMX, map, 0xc0000102, false, true);
	only_byte(1024 + 0x20, 0xfb);
	permmap_msr_set(PERMMAP_VMX, map, 0xc0000102, true, false);
	only_byte(3072 + 0x20, 0xfb);
	permmap_msr_set(PERMMAP_VMX, map, 0xc0000102, true, true);
	/* VT-x has no third range. */
	assert_int_equal(permmap_msr_set(PERMMAP_VMX, map, 0xc0010015, false, false), -EINVAL);
	assert_int_equal(permmap_msr_set(PERMMAP_VMX, map, 0x2000, false, false), -EINVAL);
	only_byte(0, 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_io, setup),
		cmocka_unit_test_setup(test_svm_msr, setup),
		cmocka_unit_test_setup(test_vmx_msr, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
