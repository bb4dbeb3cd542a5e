/* Unit tests for vmm/mtrr.c: which MSRs exist, what a write must look
 * like (anything else #GPs), the firmware state and the type lookup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/mtrr.h"
#include "lib/errno.h"

#define WB8 0x0606060606060606ULL

static void test_cap_and_msrs(void **state)
{
	(void)state;
	assert_int_equal(mtrr_cap(), 8 | 1u << 8 | 1u << 10);
	assert_true(mtrr_is_msr(0xfe));
	assert_true(mtrr_is_msr(0x2ff));
	assert_true(mtrr_is_msr(0x250));
	assert_true(mtrr_is_msr(0x258));
	assert_true(mtrr_is_msr(0x259));
	for (uint32_t m = 0x268; m <= 0x26f; m++)
		assert_true(mtrr_is_msr(m));
	for (uint32_t m = 0x200; m <= 0x20f; m++)
		assert_true(mtrr_is_msr(m));
	/* Past VCNT, between the fixed ranges, SMRR: none. */
	assert_false(mtrr_is_msr(0x210));
	assert_false(mtrr_is_msr(0x1ff));
	assert_false(mtrr_is_msr(0x251));
	assert_false(mtrr_is_msr(0x257));
	assert_false(mtrr_is_msr(0x25a));
	assert_false(mtrr_is_msr(0x267));
	assert_false(mtrr_is_msr(0x270));
	assert_false(mtrr_is_msr(0x1f2));
	assert_false(mtrr_is_msr(0x2fe));
	assert_false(mtrr_is_msr(0x300));
}

static void test_read(void **state)
{
	struct mtrr m;
	uint64_t v = 1;

	(void)state;
	mtrr_reset(&m);
	assert_int_equal(mtrr_read(&m, 0xfe, &v), 0);
	assert_int_equal(v, mtrr_cap());
	assert_int_equal(mtrr_read(&m, 0x2ff, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mtrr_read(&m, 0x210, &v), -ENOENT);
	assert_int_equal(mtrr_read(&m, 0x277, &v), -ENOENT);
	/* Each register reads what was written into it and nothing else. */
	for (uint32_t i = 0; i < 8; i++) {
		assert_int_equal(mtrr_write(&m, 0x200 + 2 * i, 0x1000ull * (i + 1) | 6, 36), 0);
		assert_int_equal(mtrr_write(&m, 0x201 + 2 * i, 0xff0000800ull, 36), 0);
	}
	for (uint32_t i = 0; i < 8; i++) {
		assert_int_equal(mtrr_read(&m, 0x200 + 2 * i, &v), 0);
		assert_int_equal(v, 0x1000ull * (i + 1) | 6);
		assert_int_equal(mtrr_read(&m, 0x201 + 2 * i, &v), 0);
		assert_int_equal(v, 0xff0000800ull);
	}
	const uint32_t fix[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b,
				 0x26c, 0x26d, 0x26e, 0x26f };
	const uint8_t t[] = { 0, 1, 4, 5, 6 };
	for (unsigned i = 0; i < 11; i++)
		assert_int_equal(mtrr_write(&m, fix[i], 0x0001040506000100ull |
					    (uint64_t)t[i % 5] << 56 | t[i / 5], 36), 0);
	for (unsigned i = 0; i < 11; i++) {
		assert_int_equal(mtrr_read(&m, fix[i], &v), 0);
		assert_int_equal(v, 0x0001040506000100ull | (uint64_t)t[i % 5] << 56 | t[i / 5]);
	}
}

static void test_def_type(void **state)
{
	struct mtrr m;
	uint64_t v;

	(void)state;
	mtrr_reset(&m);
	const uint8_t good[] = { 0, 1, 4, 5, 6 };
	for (unsigned i = 0; i < sizeof(good); i++) {
		assert_int_equal(mtrr_write(&m, 0x2ff, 0xc00 | good[i], 36), 0);
		mtrr_read(&m, 0x2ff, &v);
		assert_int_equal(v, 0xc00 | good[i]);
	}
	assert_int_equal(mtrr_write(&m, 0x2ff, 0x406, 36), 0);
	assert_int_equal(mtrr_write(&m, 0x2ff, 0x800, 36), 0);
	/* Types 2, 3, 7 and up; bits 8, 9, 12 and 63. */
	const uint64_t bad[] = { 2, 3, 7, 8, 0x80, 0xff, 0x106, 0x206, 0x1006,
				 1ull << 63 | 6, 0xffffffffffffffffull };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mtrr_write(&m, 0x2ff, bad[i], 36), -EINVAL);
	mtrr_read(&m, 0x2ff, &v);
	assert_int_equal(v, 0x800);   /* refused writes changed nothing */
}

static void test_cap_read_only(void **state)
{
	struct mtrr m;

	(void)state;
	mtrr_reset(&m);
	assert_int_equal(mtrr_write(&m, 0xfe, mtrr_cap(), 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0xfe, 0, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x210, 0, 36), -ENOENT);
}

static void test_fixed(void **state)
{
	struct mtrr m;
	uint64_t v;

	(void)state;
	mtrr_reset(&m);
	assert_int_equal(mtrr_write(&m, 0x250, WB8, 36), 0);
	assert_int_equal(mtrr_write(&m, 0x26f, 0x0504010006060606ull, 36), 0);
	/* A reserved type in any one of the eight fields. */
	for (int f = 0; f < 8; f++) {
		uint64_t bad = (WB8 & ~(0xffull << (8 * f)));
		assert_int_equal(mtrr_write(&m, 0x259, bad | 2ull << (8 * f), 36), -EINVAL);
		assert_int_equal(mtrr_write(&m, 0x259, bad | 7ull << (8 * f), 36), -EINVAL);
		/* AMD's RdDram/WrDram (bits 3, 4 of a field) are not offered. */
		assert_int_equal(mtrr_write(&m, 0x259, bad | 0x1eull << (8 * f), 36), -EINVAL);
	}
	mtrr_read(&m, 0x259, &v);
	assert_int_equal(v, 0);
}

static void test_variable(void **state)
{
	struct mtrr m;
	uint64_t v;

	(void)state;
	mtrr_reset(&m);
	/* MAXPHYADDR 36: base and mask bits 35:12. */
	assert_int_equal(mtrr_write(&m, 0x200, 0xfffff000ull | 6, 36), 0);
	assert_int_equal(mtrr_write(&m, 0x200, 0xffffff000ull | 0, 36), 0);
	assert_int_equal(mtrr_write(&m, 0x200, 0x1000000000ull, 36), -EINVAL);   /* bit 36 */
	assert_int_equal(mtrr_write(&m, 0x200, 0x1000000000ull, 37), 0);
	assert_int_equal(mtrr_write(&m, 0x200, 1ull << 63, 52), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x200, 0x100 | 6, 36), -EINVAL);   /* bits 11:8 */
	assert_int_equal(mtrr_write(&m, 0x200, 0x800 | 6, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x200, 2, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x200, 3, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x200, 7, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x200, 0x10, 36), -EINVAL);
	mtrr_read(&m, 0x200, &v);
	assert_int_equal(v, 0x1000000000ull);
	/* Mask: V 11, mask 35:12; 10:0 and 63:36 reserved. */
	assert_int_equal(mtrr_write(&m, 0x201, 0xfc0000800ull, 36), 0);
	assert_int_equal(mtrr_write(&m, 0x201, 0xfc0000000ull, 36), 0);
	assert_int_equal(mtrr_write(&m, 0x201, 0xfc0000801ull, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x201, 0xfc0000c00ull, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x201, 0x1fc0000800ull, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x201, 0xffffffffc0000800ull, 36), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x201, 0xffffffffc0000800ull & ((1ull << 52) - 1), 52), 0);
	assert_int_equal(mtrr_write(&m, 0x20f, 0xfc0000800ull, 36), 0);
	/* A hostile MAXPHYADDR: never a shift past 63. */
	assert_int_equal(mtrr_write(&m, 0x201, 0x800, 0), 0);
	assert_int_equal(mtrr_write(&m, 0x201, 0x1000, 0), -EINVAL);
	assert_int_equal(mtrr_write(&m, 0x201, 1ull << 63 | 0x800, 255), -EINVAL);
}

static void test_firmware(void **state)
{
	struct mtrr m;
	const struct mtrr_range r[] = {
		{ 0xc0000000, 0x40000000, MTRR_UC },
		{ 0xb0000000, 0x10000000, MTRR_UC },
	};
	uint64_t v;

	(void)state;
	assert_int_equal(mtrr_firmware(&m, 36, r, 2), 0);
	mtrr_read(&m, 0x2ff, &v);
	assert_int_equal(v, 0xc06);
	mtrr_read(&m, 0x250, &v);
	assert_int_equal(v, WB8);
	mtrr_read(&m, 0x26f, &v);
	assert_int_equal(v, WB8);
	mtrr_read(&m, 0x200, &v);
	assert_int_equal(v, 0xc0000000);
	mtrr_read(&m, 0x201, &v);
	assert_int_equal(v, 0xfc0000800ull);
	mtrr_read(&m, 0x203, &v);
	assert_int_equal(v, 0xff0000800ull);
	mtrr_read(&m, 0x205, &v);
	assert_int_equal(v, 0);
	/* What it wrote, a guest may write back. */
	for (uint32_t msr = 0x200; msr < 0x210; msr++) {
		mtrr_read(&m, msr, &v);
		assert_int_equal(mtrr_write(&m, msr, v, 36), 0);
	}
	/* Refused, leaving the state as it was. */
	const struct mtrr_range unaligned = { 0xc0001000, 0x40000000, MTRR_UC };
	const struct mtrr_range odd = { 0xc0000000, 0x30000000, MTRR_UC };
	const struct mtrr_range tiny = { 0, 0x800, MTRR_UC };
	const struct mtrr_range high = { 0x1000000000ull, 0x1000, MTRR_UC };
	const struct mtrr_range type = { 0xc0000000, 0x40000000, 2 };
	struct mtrr many[1];
	assert_int_equal(mtrr_firmware(&m, 36, &unaligned, 1), -EINVAL);
	assert_int_equal(mtrr_firmware(&m, 36, &odd, 1), -EINVAL);
	assert_int_equal(mtrr_firmware(&m, 36, &tiny, 1), -EINVAL);
	assert_int_equal(mtrr_firmware(&m, 36, &high, 1), -EINVAL);
	assert_int_equal(mtrr_firmware(&m, 36, &type, 1), -EINVAL);
	assert_int_equal(mtrr_firmware(&m, 36, r, 9), -EINVAL);
	(void)many;
	mtrr_read(&m, 0x201, &v);
	assert_int_equal(v, 0xfc0000800ull);
	assert_int_equal(mtrr_firmware(&m, 36, NULL, 0), 0);
	mtrr_read(&m, 0x201, &v);
	assert_int_equal(v, 0);
}

static void test_type(void **state)
{
	struct mtrr m;
	const struct mtrr_range r[] = {
		{ 0xc0000000, 0x40000000, MTRR_UC },
		{ 0xb0000000, 0x10000000, MTRR_UC },
	};

	(void)state;
	mtrr_reset(&m);
	assert_int_equal(mtrr_type(&m, 0, 36), MTRR_UC);          /* E clear */
	assert_int_equal(mtrr_firmware(&m, 36, r, 2), 0);
	assert_int_equal(mtrr_type(&m, 0, 36), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 0x100000, 36), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 0xafffffff, 36), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 0xb0000000, 36), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0xfee00000, 36), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0x100000000ull, 36), MTRR_WB);
	/* The mask is compared below MAXPHYADDR only: 36 bits. */
	assert_int_equal(mtrr_type(&m, 0x1000000000ull | 0xc0000000, 36), MTRR_UC);
	/* Fixed ranges: 64K, 16K and 4K fields (Table 13-9). */
	m.fixed[0] = 0x0600000000000000ull;       /* 70000-7FFFF WB, rest UC */
	m.fixed[2] = 0x0000000000000100ull;       /* A4000-A7FFF WC */
	m.fixed[10] = 0x0500000000000000ull;      /* FF000-FFFFF WP */
	assert_int_equal(mtrr_type(&m, 0x6ffff, 36), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0x70000, 36), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 0x9ffff, 36), MTRR_WB);   /* fixed[1] unchanged: WB */
	assert_int_equal(mtrr_type(&m, 0xa3fff, 36), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0xa4000, 36), MTRR_WC);
	assert_int_equal(mtrr_type(&m, 0xa8000, 36), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0xfefff, 36), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0xff000, 36), MTRR_WP);
	/* FE clear: the variable ranges and the default below 1 MiB. */
	assert_int_equal(mtrr_write(&m, 0x2ff, 0x800 | MTRR_WB, 36), 0);
	assert_int_equal(mtrr_type(&m, 0x6ffff, 36), MTRR_WB);
	/* Overlaps: UC wins; WT with WB is WT; WC with WB undefined. */
	assert_int_equal(mtrr_write(&m, 0x204, 0x0 | MTRR_WT, 36), 0);
	assert_int_equal(mtrr_write(&m, 0x205, 0xff0000800ull, 36), 0);   /* [0, 256M) WT */
	assert_int_equal(mtrr_write(&m, 0x206, 0x0 | MTRR_WB, 36), 0);
	assert_int_equal(mtrr_write(&m, 0x207, 0xfe0000800ull, 36), 0);   /* [0, 512M) WB */
	assert_int_equal(mtrr_type(&m, 0x1000, 36), MTRR_WT);
	assert_int_equal(mtrr_type(&m, 0x10000000, 36), MTRR_WB);
	assert_int_equal(mtrr_write(&m, 0x204, 0x0 | MTRR_WC, 36), 0);
	assert_int_equal(mtrr_type(&m, 0x1000, 36), MTRR_UNDEFINED);
	assert_int_equal(mtrr_write(&m, 0x204, 0x0 | MTRR_UC, 36), 0);
	assert_int_equal(mtrr_type(&m, 0x1000, 36), MTRR_UC);
	/* An invalid (V clear) range does not count. */
	assert_int_equal(mtrr_write(&m, 0x205, 0xff0000000ull, 36), 0);
	assert_int_equal(mtrr_type(&m, 0x1000, 36), MTRR_WB);
	/* Default type when nothing matches. */
	assert_int_equal(mtrr_write(&m, 0x2ff, 0x800 | MTRR_WT, 36), 0);
	assert_int_equal(mtrr_type(&m, 0x200000000ull, 36), MTRR_WT);
}

/* Random values: a write is accepted exactly when no reserved bit is
 * set and every type field is valid, and a refused write changes
 * nothing. */
static void test_random(void **state)
{
	struct mtrr m;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	mtrr_reset(&m);
	for (int i = 0; i < 200000; i++) {
		uint64_t before, after, val;
		uint32_t msr = 0x1f0 + (uint32_t)(x % 0x120);
		unsigned maxphy = (unsigned)(x >> 58) % 64;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		val = x;
		if (i & 1)
			val &= 0xfffffffff0000cffull;   /* more of them valid-looking */
		if (mtrr_read(&m, msr, &before) == -ENOENT) {
			assert_int_equal(mtrr_write(&m, msr, val, maxphy), -ENOENT);
			continue;
		}
		int r = mtrr_write(&m, msr, val, maxphy);
		mtrr_read(&m, msr, &after);
		if (r)
			assert_int_equal(after, before);
		else
			assert_int_equal(after, val);
		(void)mtrr_type(&m, x, maxphy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_and_msrs),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_def_type),
		cmocka_unit_test(test_cap_read_only),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_variable),
		cmocka_unit_test(test_firmware),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
