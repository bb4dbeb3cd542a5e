/* TLB tag generations and the flush decision that goes with each entry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/tlbtag.h"

/* One entry as a vendor makes it: decide, then store both states back. */
static struct tlbtag_decision enter(struct tlbtag_cpu *c, int cpu, struct tlbtag *t,
				    bool dirty, bool flush_one)
{
	struct tlbtag_decision d = tlbtag_decide(c, t, cpu, dirty, flush_one);

	assert_int_equal(d.tag, d.vcpu.tag);
	assert_true(d.tag >= 1);
	assert_true(d.tag <= (c->max ? c->max : 1));
	*c = d.cpu;
	*t = d.vcpu;
	return d;
}

static void test_keeps_tag(void **state)
{
	struct tlbtag_cpu c;
	struct tlbtag a, b;
	struct tlbtag_decision d;

	(void)state;
	tlbtag_cpu_init(&c, 16);
	tlbtag_init(&a);
	tlbtag_init(&b);
	d = enter(&c, 0, &a, false, false);
	assert_int_equal(d.tag, 1);
	assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);   /* fresh tag: nothing cached */
	assert_false(d.rollover);
	d = enter(&c, 0, &b, false, false);
	assert_int_equal(d.tag, 2);
	d = enter(&c, 0, &a, false, false);             /* same generation: kept */
	assert_int_equal(d.tag, 1);
	assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);
	assert_int_equal(c.next, 3);
}

/* The decision is a pure function: the inputs are never written. */
static void test_pure(void **state)
{
	struct tlbtag_cpu c;
	struct tlbtag t;
	struct tlbtag_decision d;

	(void)state;
	tlbtag_cpu_init(&c, 2);
	tlbtag_init(&t);
	d = tlbtag_decide(&c, &t, 0, true, false);
	assert_int_equal(c.next, 1);
	assert_int_equal(c.gen, 1);
	assert_int_equal(t.tag, 0);
	assert_int_equal(t.cpu, -1);
	assert_int_equal(d.cpu.next, 2);
	assert_int_equal(d.vcpu.cpu, 0);
	assert_int_equal(d.vcpu.gen, 1);
}

static void test_generation_rollover(void **state)
{
	struct tlbtag_cpu c;
	struct tlbtag t[16];
	struct tlbtag_decision d;

	(void)state;
	tlbtag_cpu_init(&c, 16);                 /* tags 1..15 */
	for (int i = 0; i < 15; i++) {
		tlbtag_init(&t[i]);
		d = enter(&c, 0, &t[i], false, true);
		assert_int_equal(d.tag, (uint32_t)i + 1);
		assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);
		assert_false(d.rollover);
	}
	tlbtag_init(&t[15]);
	/* The 16th vCPU starts a new generation and flushes every tag. */
	d = enter(&c, 0, &t[15], false, true);
	assert_true(d.rollover);
	assert_int_equal(d.flush, TLBTAG_FLUSH_ALL);
	assert_int_equal(d.tag, 1);
	assert_int_equal(c.gen, 2);
	assert_int_equal(t[15].gen, 2);
	/* An old-generation vCPU is reassigned: a new tag, never its old
	 * one (tag 1 is t[15]'s now), and no second flush. */
	d = enter(&c, 0, &t[0], false, true);
	assert_int_equal(d.tag, 2);
	assert_int_not_equal(d.tag, t[15].tag);
	assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);
	assert_false(d.rollover);
	assert_int_equal(t[0].gen, 2);
	/* t[15] keeps its tag in the new generation. */
	d = enter(&c, 0, &t[15], false, true);
	assert_int_equal(d.tag, 1);
	assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);
}

/* Every reassignment gives a tag that no other vCPU of this generation
 * holds, over many generations. */
static void test_reassignment_never_clashes(void **state)
{
	enum { NV = 7 };
	struct tlbtag_cpu c;
	struct tlbtag t[NV];
	unsigned rollovers = 0;

	(void)state;
	tlbtag_cpu_init(&c, 5);                  /* tags 1..4 for 7 vCPUs */
	for (int i = 0; i < NV; i++)
		tlbtag_init(&t[i]);
	for (int round = 0; round < 200; round++) {
		int i = (round * 3) % NV;
		uint32_t before = t[i].tag;
		bool current = t[i].gen == c.gen;
		uint64_t gen_before = c.gen;
		struct tlbtag_decision d = enter(&c, 0, &t[i], false, true);

		rollovers += d.rollover;
		if (d.rollover)
			assert_int_equal(c.gen, gen_before + 1);
		for (int j = 0; j < NV; j++)
			if (j != i && t[j].gen == c.gen)
				assert_int_not_equal(t[j].tag, d.tag);
		/* A vCPU of the current generation keeps its tag. */
		if (before && current)
			assert_int_equal(d.tag, before);
	}
	assert_true(rollovers > 10);
}

static void test_cpu_move(void **state)
{
	struct tlbtag_cpu c0, c1;
	struct tlbtag t, other;
	struct tlbtag_decision d;

	(void)state;
	tlbtag_cpu_init(&c0, 16);
	tlbtag_cpu_init(&c1, 16);
	tlbtag_init(&t);
	tlbtag_init(&other);
	enter(&c0, 0, &t, false, true);
	enter(&c1, 1, &other, false, true);      /* tag 1 on CPU 1 is taken */
	/* Moving to another CPU takes a tag there, the same number or not. */
	d = enter(&c1, 1, &t, false, true);
	assert_int_equal(t.cpu, 1);
	assert_int_equal(d.tag, 2);
	assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);
	/* Back on CPU 0 it is reassigned again, even if CPU 0's generation
	 * is unchanged. */
	d = enter(&c0, 0, &t, false, true);
	assert_int_equal(t.cpu, 0);
	assert_int_equal(d.tag, 2);
}

static void test_dirty(void **state)
{
	struct tlbtag_cpu c;
	struct tlbtag t;
	struct tlbtag_decision d;

	(void)state;
	tlbtag_cpu_init(&c, 4);                  /* tags 1..3 */
	tlbtag_init(&t);
	/* A fresh tag needs no flush even for changed mappings. */
	d = enter(&c, 0, &t, true, true);
	assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);
	assert_int_equal(d.tag, 1);
	/* Clean: nothing. */
	d = enter(&c, 0, &t, false, true);
	assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);
	/* Dirty with flush-by-tag: keep the tag, flush it alone. */
	d = enter(&c, 0, &t, true, true);
	assert_int_equal(d.flush, TLBTAG_FLUSH_TAG);
	assert_int_equal(d.tag, 1);
	/* Dirty without it: a fresh tag rather than a full flush... */
	d = enter(&c, 0, &t, true, false);
	assert_int_equal(d.flush, TLBTAG_FLUSH_NONE);
	assert_int_equal(d.tag, 2);
	d = enter(&c, 0, &t, true, false);
	assert_int_equal(d.tag, 3);
	/* ...until the tags run out: then a new generation and a full flush. */
	d = enter(&c, 0, &t, true, false);
	assert_true(d.rollover);
	assert_int_equal(d.flush, TLBTAG_FLUSH_ALL);
	assert_int_equal(d.tag, 1);
}

static void test_no_tags(void **state)
{
	struct tlbtag_cpu c;
	struct tlbtag t;
	struct tlbtag_decision d;

	(void)state;
	tlbtag_cpu_init(&c, 1);                  /* only the host's tag 0 */
	tlbtag_init(&t);
	d = enter(&c, 0, &t, false, true);
	assert_int_equal(d.flush, TLBTAG_FLUSH_ALL);
	d = enter(&c, 0, &t, false, true);       /* flush every time */
	assert_int_equal(d.flush, TLBTAG_FLUSH_ALL);
	assert_int_equal(d.tag, 1);
	assert_false(d.rollover);
	tlbtag_cpu_init(&c, 0);
	assert_int_equal(c.max, 0);
	tlbtag_cpu_init(&c, 2);                  /* one guest tag */
	assert_int_equal(c.max, 1);
}

static void test_limit(void **state)
{
	(void)state;
	assert_int_equal(tlbtag_limit(16, 0), 16);
	assert_int_equal(tlbtag_limit(16, 4), 4);
	assert_int_equal(tlbtag_limit(16, 16), 16);
	assert_int_equal(tlbtag_limit(16, 17), 16);      /* never more than the CPU has */
	assert_int_equal(tlbtag_limit(0x10000, 65536), 0x10000);
}

static void test_log_rollover(void **state)
{
	unsigned n = 0;

	(void)state;
	assert_false(tlbtag_log_rollover(1));   /* the first generation is no rollover */
	assert_true(tlbtag_log_rollover(2));
	assert_false(tlbtag_log_rollover(3));
	assert_true(tlbtag_log_rollover(4));
	assert_true(tlbtag_log_rollover(1ULL << 40));
	for (uint64_t g = 1; g <= 100000; g++)
		n += tlbtag_log_rollover(g);
	assert_int_equal(n, 16);                /* 2^1 .. 2^16 */
}

/* The exit path's shortcut holds exactly where the decision would keep
 * everything as it is: over tag states of every kind (none, current,
 * stale generation, another CPU's, no tags at all), tlbtag_current() true
 * means decide(dirty = false) changes nothing and flushes nothing; false
 * means it either flushes or hands out a tag. */
static void test_current(void **state)
{
	const uint32_t maxes[] = { 0, 1, 3, 15 };
	const uint32_t tags[] = { 0, 1, 2, 15 };
	const uint64_t gens[] = { 0, 1, 2, 7 };
	const int cpus[] = { -1, 0, 1 };
	unsigned hits = 0, misses = 0;

	(void)state;
	for (unsigned a = 0; a < 4; a++)
		for (unsigned b = 0; b < 4; b++)
			for (unsigned g = 0; g < 4; g++)
				for (unsigned k = 0; k < 3; k++)
					for (unsigned nx = 1; nx <= 4; nx++) {
		struct tlbtag_cpu c = { .next = nx, .max = maxes[a], .gen = 2 };
		struct tlbtag t = { .tag = tags[b], .gen = gens[g], .cpu = cpus[k] };
		for (int one = 0; one < 2; one++) {
			struct tlbtag_decision d = tlbtag_decide(&c, &t, 0, false, one);
			bool same = d.flush == TLBTAG_FLUSH_NONE && d.tag == t.tag &&
				    !memcmp(&d.cpu, &c, sizeof(c)) && d.vcpu.tag == t.tag &&
				    d.vcpu.gen == t.gen && d.vcpu.cpu == t.cpu;
			if (tlbtag_current(&c, &t, 0)) {
				assert_true(same);
				hits++;
			} else {
				assert_false(same);
				misses++;
			}
		}
	}
	assert_true(hits > 0 && misses > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_tag),
		cmocka_unit_test(test_pure),
		cmocka_unit_test(test_generation_rollover),
		cmocka_unit_test(test_reassignment_never_clashes),
		cmocka_unit_test(test_cpu_move),
		cmocka_unit_test(test_dirty),
		cmocka_unit_test(test_no_tags),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_log_rollover),
		cmocka_unit_test(test_current),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
