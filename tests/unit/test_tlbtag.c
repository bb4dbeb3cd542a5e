/* TLB tag generations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/tlbtag.h"

static void test_assign_keeps_tag(void **state)
{
	struct tlbtag_cpu c;
	struct tlbtag a, b;

	(void)state;
	tlbtag_cpu_init(&c, 16);
	tlbtag_init(&a);
	tlbtag_init(&b);
	assert_false(tlbtag_assign(&c, 0, &a));
	assert_int_equal(a.tag, 1);
	assert_false(tlbtag_assign(&c, 0, &b));
	assert_int_equal(b.tag, 2);
	assert_false(tlbtag_assign(&c, 0, &a));   /* same generation: kept */
	assert_int_equal(a.tag, 1);
}

static void test_generation_rollover(void **state)
{
	struct tlbtag_cpu c;
	struct tlbtag t[16];

	(void)state;
	tlbtag_cpu_init(&c, 16);                 /* tags 1..15 */
	for (int i = 0; i < 15; i++) {
		tlbtag_init(&t[i]);
		assert_false(tlbtag_assign(&c, 0, &t[i]));
		assert_int_equal(t[i].tag, (uint32_t)i + 1);
	}
	tlbtag_init(&t[15]);
	/* The 16th vCPU starts a new generation and needs a flush. */
	assert_true(tlbtag_assign(&c, 0, &t[15]));
	assert_int_equal(t[15].tag, 1);
	assert_int_equal(c.gen, 2);
	/* An old-generation vCPU gets a fresh tag, never a clash. */
	assert_false(tlbtag_assign(&c, 0, &t[0]));
	assert_int_equal(t[0].tag, 2);
	assert_int_not_equal(t[0].tag, t[15].tag);
}

static void test_cpu_move_and_invalidate(void **state)
{
	struct tlbtag_cpu c0, c1;
	struct tlbtag t;

	(void)state;
	tlbtag_cpu_init(&c0, 16);
	tlbtag_cpu_init(&c1, 16);
	tlbtag_init(&t);
	tlbtag_assign(&c0, 0, &t);
	tlbtag_assign(&c0, 0, &(struct tlbtag){ 0, 0, -1 });
	/* Moving to another CPU takes a tag there. */
	assert_false(tlbtag_assign(&c1, 1, &t));
	assert_int_equal(t.cpu, 1);
	assert_int_equal(t.tag, 1);
	/* Invalidation forces a new tag on the next entry. */
	tlbtag_invalidate(&t);
	assert_false(tlbtag_assign(&c1, 1, &t));
	assert_int_equal(t.tag, 2);
}

static void test_no_tags(void **state)
{
	struct tlbtag_cpu c;
	struct tlbtag t;

	(void)state;
	tlbtag_cpu_init(&c, 1);                  /* only the host's tag 0 */
	tlbtag_init(&t);
	assert_true(tlbtag_assign(&c, 0, &t));
	assert_true(tlbtag_assign(&c, 0, &t));   /* flush every time */
	assert_int_equal(t.tag, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assign_keeps_tag),
		cmocka_unit_test(test_generation_rollover),
		cmocka_unit_test(test_cpu_move_and_invalidate),
		cmocka_unit_test(test_no_tags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
