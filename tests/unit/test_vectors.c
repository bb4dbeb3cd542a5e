/* Unit tests for arch/x86/vectab.c: the host vector table's allocation
 * range, fixed vectors, free, delivery counts, unexpected vectors (counted
 * always, reported once) and the report. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "arch/x86/vectab.h"
#include "lib/errno.h"

static struct vectab *t;
static int ctx_a, ctx_b;

static void handler(unsigned vector, void *ctx)
{
	(void)vector;
	(void)ctx;
}

static int setup(void **state)
{
	(void)state;
	t = malloc(sizeof(*t));
	if (!t)
		return -1;
	memset(t, 0xcc, sizeof(*t));	/* vectab_init must clear it all */
	vectab_init(t);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(t);
	return 0;
}

static void test_alloc_in_range(void **state)
{
	int a, b;
	const struct vectab_entry *e;

	(void)state;
	a = vectab_alloc(t, handler, &ctx_a, "iommu-fault");
	b = vectab_alloc(t, handler, &ctx_b, "nic");
	assert_int_equal(a, VECTAB_FIRST);
	assert_int_equal(b, VECTAB_FIRST + 1);
	e = vectab_get(t, (unsigned)b);
	assert_non_null(e);
	assert_ptr_equal(e->fn, handler);
	assert_ptr_equal(e->ctx, &ctx_b);
	assert_string_equal(e->name, "nic");
	assert_int_equal(e->state, VECTAB_ALLOCATED);
	assert_null(vectab_get(t, VECTAB_FIRST + 2));
	assert_int_equal(vectab_alloc(t, NULL, NULL, "x"), -EINVAL);
}

static void test_exhaust_and_free(void **state)
{
	unsigned n = 0;
	int v;

	(void)state;
	while ((v = vectab_alloc(t, handler, NULL, "d")) >= 0) {
		assert_true(v >= VECTAB_FIRST && v <= VECTAB_LAST);
		n++;
	}
	assert_int_equal(v, -ENOSPC);
	assert_int_equal(n, VECTAB_LAST - VECTAB_FIRST + 1);
	assert_int_equal(vectab_free(t, 0x77), 0);
	assert_int_equal(vectab_free(t, 0x77), -EINVAL);	/* twice */
	assert_int_equal(vectab_alloc(t, handler, NULL, "again"), 0x77);
	assert_int_equal(vectab_alloc(t, handler, NULL, "none"), -ENOSPC);
}

/* Fixed vectors: never handed out, never freed, never exceptions. */
static void test_fixed(void **state)
{
	(void)state;
	assert_int_equal(vectab_fix(t, 0x20, NULL, NULL, "lapic-timer"), 0);
	assert_int_equal(vectab_fix(t, 0xf2, NULL, NULL, "kick"), 0);
	assert_int_equal(vectab_fix(t, 0x31, NULL, NULL, "fixed-in-range"), 0);
	assert_int_equal(vectab_fix(t, 0x20, NULL, NULL, "again"), -EBUSY);
	assert_int_equal(vectab_fix(t, 14, NULL, NULL, "pf"), -EINVAL);
	assert_int_equal(vectab_fix(t, 256, NULL, NULL, "big"), -EINVAL);
	assert_int_equal(vectab_free(t, 0x20), -EINVAL);
	assert_int_equal(vectab_free(t, 0x31), -EINVAL);
	assert_int_equal(vectab_free(t, 300), -EINVAL);
	assert_int_equal(vectab_alloc(t, handler, NULL, "a"), 0x30);
	assert_int_equal(vectab_alloc(t, handler, NULL, "b"), 0x32);	/* 0x31 is fixed */
	assert_int_equal(vectab_get(t, 0xf2)->state, VECTAB_FIXED);
}

static void test_hits_and_unexpected(void **state)
{
	bool first;
	int v;

	(void)state;
	v = vectab_alloc(t, handler, &ctx_a, "dev");
	assert_ptr_equal(vectab_hit(t, (unsigned)v, &first), vectab_get(t, (unsigned)v));
	assert_false(first);
	vectab_hit(t, (unsigned)v, &first);
	assert_int_equal(vectab_get(t, (unsigned)v)->count, 2);
	assert_int_equal(t->unexpected, 0);

	assert_null(vectab_hit(t, 0x90, &first));
	assert_true(first);
	assert_null(vectab_hit(t, 0x90, &first));
	assert_false(first);		/* logged once */
	assert_null(vectab_hit(t, 0x91, &first));
	assert_true(first);
	assert_int_equal(t->unexpected, 3);

	/* A freed vector that still fires is unexpected, not its old owner. */
	assert_int_equal(vectab_free(t, (unsigned)v), 0);
	assert_null(vectab_hit(t, (unsigned)v, &first));
	assert_true(first);
	assert_int_equal(t->unexpected, 4);
	/* Re-allocated, the count starts over. */
	assert_int_equal(vectab_alloc(t, handler, NULL, "dev2"), v);
	assert_int_equal(vectab_get(t, (unsigned)v)->count, 0);

	vectab_spurious(t);
	vectab_spurious(t);
	assert_int_equal(t->spurious, 2);
	assert_null(vectab_hit(t, 999, &first));
	assert_false(first);
}

static void test_long_name_cut(void **state)
{
	int v;

	(void)state;
	v = vectab_alloc(t, handler, NULL, "a-name-much-longer-than-sixteen");
	assert_int_equal(strlen(vectab_get(t, (unsigned)v)->name), VECTAB_NAME_MAX - 1);
}

static void test_report(void **state)
{
	static char buf[4096];
	struct sink_buf sb;
	bool first;

	(void)state;
	vectab_fix(t, 0x20, NULL, NULL, "lapic-timer");
	vectab_alloc(t, handler, NULL, "nic");
	vectab_hit(t, 0x20, &first);
	vectab_hit(t, 0x20, &first);
	vectab_hit(t, 0x55, &first);
	vectab_hit(t, 0x66, &first);
	vectab_spurious(t);
	sink_buf_init(&sb, buf, sizeof(buf));
	vectab_report(t, &sb.sink);
	assert_non_null(strstr(buf, "vectors: 0x30-0xef for drivers, 1 in use, 191 free; "
				    "spurious 1, unexpected 2\n"));
	assert_non_null(strstr(buf, "vectors: 0x20 lapic-timer      fixed     2\n"));
	assert_non_null(strstr(buf, "vectors: 0x30 nic              allocated 0\n"));
	assert_non_null(strstr(buf, "vectors: came unexpected: 0x55 0x66\n"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_alloc_in_range),
		T(test_exhaust_and_free),
		T(test_fixed),
		T(test_hits_and_unexpected),
		T(test_long_name_cut),
		T(test_report),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
