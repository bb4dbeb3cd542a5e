/* The guest's XSAVE policy: masks, XSETBV checks, leaf 0xD, feature bits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/xstate.h"
#include "lib/errno.h"

#define X87 XFEATURE_X87
#define SSE XFEATURE_SSE
#define YMM XFEATURE_YMM
#define K   XFEATURE_OPMASK
#define ZH  XFEATURE_ZMM_HI256
#define HZ  XFEATURE_HI16_ZMM
#define PK  XFEATURE_PKRU
#define AVX512 XFEATURE_AVX512

/* The standard-format layout of a Skylake-X (SDM Vol. 1, 13.4 and the
 * CPUID leaf 0xD values such a CPU reports): AVX at 576, MPX at 960 and
 * 1024, AVX-512 at 1088, 1152 and 1664, PKRU at 2688. */
static void skx(struct xstate_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->supported = X87 | SSE | YMM | XFEATURE_BNDREGS | XFEATURE_BNDCSR | AVX512 | PK;
	l->ext_features = 0xf;   /* XSAVEOPT, XSAVEC, XGETBV1, XSAVES */
	l->size[2] = 256;  l->offset[2] = 576;
	l->size[3] = 64;   l->offset[3] = 960;
	l->size[4] = 64;   l->offset[4] = 1024;
	l->size[5] = 64;   l->offset[5] = 1088;
	l->size[6] = 512;  l->offset[6] = 1152;
	l->size[7] = 1024; l->offset[7] = 1664;
	l->size[9] = 8;    l->offset[9] = 2688;
}

static void test_guest_mask(void **state)
{
	(void)state;
	/* MPX is never offered; PKRU only when asked. */
	assert_int_equal(xstate_guest_mask(X87 | SSE | YMM | XFEATURE_BNDREGS | XFEATURE_BNDCSR | AVX512 | PK, false),
			 X87 | SSE | YMM | AVX512);
	assert_int_equal(xstate_guest_mask(X87 | SSE | YMM | AVX512 | PK, true),
			 X87 | SSE | YMM | AVX512 | PK);
	assert_int_equal(xstate_guest_mask(X87 | SSE | YMM, true), X87 | SSE | YMM);
	/* AVX-512 only whole and only on AVX. */
	assert_int_equal(xstate_guest_mask(X87 | SSE | YMM | K | ZH, false), X87 | SSE | YMM);
	assert_int_equal(xstate_guest_mask(X87 | SSE | AVX512, false), X87 | SSE);
	/* Without x87 and SSE state nothing is offered. */
	assert_int_equal(xstate_guest_mask(X87, false), 0);
	assert_int_equal(xstate_guest_mask(SSE | YMM, false), 0);
	assert_int_equal(xstate_guest_mask(X87 | SSE, false), X87 | SSE);
	/* AMX tiles (17, 18) are never offered. */
	assert_int_equal(xstate_guest_mask(X87 | SSE | YMM | (3ULL << 17), false), X87 | SSE | YMM);
}

static void test_xsetbv_check(void **state)
{
	uint64_t all = X87 | SSE | YMM | AVX512;

	(void)state;
	assert_int_equal(xstate_xsetbv_check(all, 0, X87), 0);
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | SSE), 0);
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | SSE | YMM), 0);
	assert_int_equal(xstate_xsetbv_check(all, 0, all), 0);
	/* XCR other than 0 */
	assert_int_equal(xstate_xsetbv_check(all, 1, X87), -EINVAL);
	assert_int_equal(xstate_xsetbv_check(all, 0x80000000u, X87), -EINVAL);
	/* x87 cannot be turned off */
	assert_int_equal(xstate_xsetbv_check(all, 0, 0), -EINVAL);
	assert_int_equal(xstate_xsetbv_check(all, 0, SSE), -EINVAL);
	/* AVX without SSE */
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | YMM), -EINVAL);
	/* AVX-512 partly, or without AVX */
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | SSE | YMM | K), -EINVAL);
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | SSE | YMM | K | ZH), -EINVAL);
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | SSE | AVX512), -EINVAL);
	/* anything the guest's CPU does not have: hidden components,
	 * reserved bits, bit 63 */
	assert_int_equal(xstate_xsetbv_check(X87 | SSE, 0, X87 | SSE | YMM), -EINVAL);
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | SSE | PK), -EINVAL);
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | XFEATURE_BNDREGS | XFEATURE_BNDCSR), -EINVAL);
	assert_int_equal(xstate_xsetbv_check(all, 0, X87 | (1ULL << 63)), -EINVAL);
	assert_int_equal(xstate_xsetbv_check(all | PK, 0, X87 | SSE | PK), 0);
	/* MPX's two bits go together even where MPX is allowed */
	assert_int_equal(xstate_xsetbv_check(all | XFEATURE_BNDREGS | XFEATURE_BNDCSR, 0,
					     X87 | XFEATURE_BNDREGS), -EINVAL);
}

static void test_sizes(void **state)
{
	struct xstate_layout l;

	(void)state;
	skx(&l);
	assert_int_equal(xstate_size(&l, X87 | SSE, false), 576);
	assert_int_equal(xstate_size(&l, X87 | SSE | YMM, false), 832);
	assert_int_equal(xstate_size(&l, X87 | SSE | YMM | AVX512, false), 2688);
	assert_int_equal(xstate_size(&l, X87 | SSE | YMM | AVX512 | PK, false), 2696);
	/* Compacted: components packed in order after the header. */
	assert_int_equal(xstate_size(&l, X87 | SSE | YMM, true), 832);
	assert_int_equal(xstate_size(&l, X87 | SSE | YMM | AVX512, true), 832 + 64 + 512 + 1024);
	assert_int_equal(xstate_size(&l, X87 | SSE | PK, true), 584);
	l.align64[9] = true;
	assert_int_equal(xstate_size(&l, X87 | SSE | YMM | K | PK, true), 832 + 64 + 8);
	assert_int_equal(xstate_size(&l, X87 | SSE | K | PK, true), 576 + 64 + 8);
	l.size[5] = 60;   /* 576 + 60 = 636, rounded up to 640 for PKRU */
	assert_int_equal(xstate_size(&l, X87 | SSE | K | PK, true), 648);
}

static void test_leaf_d(void **state)
{
	struct xstate_layout l;
	uint64_t mask = X87 | SSE | YMM | AVX512;
	uint32_t r[4];

	(void)state;
	skx(&l);
	xstate_leaf_d(&l, mask, X87 | SSE | YMM, 0, r);
	assert_int_equal(r[0], (uint32_t)mask);
	assert_int_equal(r[1], 832);       /* for the current XCR0 */
	assert_int_equal(r[2], 2688);      /* for everything offered */
	assert_int_equal(r[3], 0);
	xstate_leaf_d(&l, mask, X87, 0, r);
	assert_int_equal(r[1], 576);
	/* Subleaf 1: no XSAVES, no IA32_XSS bits. */
	xstate_leaf_d(&l, mask, X87 | SSE | YMM, 1, r);
	assert_int_equal(r[0], 0x7);
	assert_int_equal(r[1], 832);
	assert_int_equal(r[2], 0);
	assert_int_equal(r[3], 0);
	/* A component offered: its size and offset; one hidden: zeros. */
	xstate_leaf_d(&l, mask, X87, 2, r);
	assert_int_equal(r[0], 256);
	assert_int_equal(r[1], 576);
	xstate_leaf_d(&l, mask, X87, 7, r);
	assert_int_equal(r[0], 1024);
	assert_int_equal(r[1], 1664);
	for (uint32_t sub = 3; sub <= 4; sub++) {
		xstate_leaf_d(&l, mask, X87, sub, r);   /* MPX, hidden */
		assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	}
	xstate_leaf_d(&l, mask, X87, 9, r);         /* PKRU, not offered here */
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	xstate_leaf_d(&l, mask, X87, 64, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	/* No XSAVE at all: the whole leaf is zero. */
	xstate_leaf_d(&l, 0, X87, 0, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
}

static void test_features(void **state)
{
	uint32_t r[4];

	(void)state;
	/* Leaf 1 with AVX state: XSAVE, AVX, FMA, F16C stay. */
	r[0] = r[1] = r[3] = 0;
	r[2] = (1u << 12) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29) | 1u;
	xstate_filter_features(X87 | SSE | YMM, 1, 0, r);
	assert_int_equal(r[2], (1u << 12) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29) | 1u);
	/* Without AVX state the VEX families go; SSE3 (bit 0) stays. */
	xstate_filter_features(X87 | SSE, 1, 0, r);
	assert_int_equal(r[2], (1u << 26) | (1u << 27) | 1u);
	/* Without XSAVE nothing of it stays. */
	xstate_filter_features(0, 1, 0, r);
	assert_int_equal(r[2], 1u);

	/* Leaf 7: AVX2 with AVX; AVX-512 only with its state; BMI1/2 (3, 8,
	 * VEX-encoded GPR instructions) whatever XCR0 allows; AMX never. */
	r[0] = 0;
	r[1] = (1u << 3) | (1u << 5) | (1u << 8) | (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
	r[2] = (1u << 1) | (1u << 3) | (1u << 9) | (1u << 11);
	r[3] = (1u << 2) | (1u << 22) | (1u << 24) | (1u << 25);
	xstate_filter_features(X87 | SSE | YMM | AVX512, 7, 0, r);
	assert_int_equal(r[1], (1u << 3) | (1u << 5) | (1u << 8) | (1u << 16) | (1u << 17) |
			       (1u << 30) | (1u << 31));
	assert_int_equal(r[2], (1u << 1) | (1u << 9) | (1u << 11));   /* PKU without PKRU: gone */
	assert_int_equal(r[3], 1u << 2);
	xstate_filter_features(X87 | SSE | YMM, 7, 0, r);
	assert_int_equal(r[1], (1u << 3) | (1u << 5) | (1u << 8));
	assert_int_equal(r[2], 1u << 9);
	assert_int_equal(r[3], 0);
	xstate_filter_features(X87 | SSE, 7, 0, r);
	assert_int_equal(r[1], (1u << 3) | (1u << 8));
	assert_int_equal(r[2], 0);
	r[2] = (1u << 3) | (1u << 4);
	xstate_filter_features(X87 | SSE | PK, 7, 0, r);
	assert_int_equal(r[2], (1u << 3) | (1u << 4));
	/* Leaf 7.1: AVX-VNNI and AVX512_BF16. */
	r[0] = (1u << 4) | (1u << 5);
	xstate_filter_features(X87 | SSE | YMM, 7, 1, r);
	assert_int_equal(r[0], 1u << 4);
	xstate_filter_features(X87 | SSE, 7, 1, r);
	assert_int_equal(r[0], 0);
	/* AMD XOP and FMA4 need AVX state; LAHF (bit 0) does not. */
	r[2] = (1u << 11) | (1u << 16) | 1u;
	xstate_filter_features(X87 | SSE | YMM, 0x80000001, 0, r);
	assert_int_equal(r[2], (1u << 11) | (1u << 16) | 1u);
	xstate_filter_features(X87 | SSE, 0x80000001, 0, r);
	assert_int_equal(r[2], 1u);
	/* Other leaves are left alone. */
	r[0] = r[1] = r[2] = r[3] = 0xffffffff;
	xstate_filter_features(0, 0x80000008, 0, r);
	assert_int_equal(r[0] & r[1] & r[2] & r[3], 0xffffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_mask),
		cmocka_unit_test(test_xsetbv_check),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_leaf_d),
		cmocka_unit_test(test_features),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
