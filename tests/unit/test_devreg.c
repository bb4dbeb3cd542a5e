/* Unit tests for vmm/dev/devreg.c: registration, overlaps, moves,
 * unregistering, dispatch and timers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "vmm/dev/devreg.h"
#include "vmm/dev/devenv.h"
#include "lib/errno.h"

static struct devreg reg;
static uint64_t last_addr, last_off;
static void *last_who;

/* Reads return the device's tag (its ctx) plus the offset. */
static int dev_fn(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		  bool write, uint64_t *val)
{
	(void)size;
	last_addr = addr;
	last_off = off;
	last_who = who;
	if (!write)
		*val = (uint64_t)(uintptr_t)ctx + off;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	memset(&reg, 0xcc, sizeof(reg));
	devreg_init(&reg);
	return 0;
}

static uint64_t rd(enum devreg_space s, uint64_t addr, unsigned size, int *r)
{
	uint64_t v = 0;

	*r = devreg_access(&reg, s, (void *)0x77, addr, size, false, &v);
	return v;
}

static void test_overlaps_refused(void **state)
{
	(void)state;
	assert_true(devreg_add(&reg, DEVREG_PIO, 0x20, 2, dev_fn, (void *)0x1000) >= 0);
	assert_int_equal(devreg_add(&reg, DEVREG_PIO, 0x21, 1, dev_fn, NULL), -EBUSY);
	assert_int_equal(devreg_add(&reg, DEVREG_PIO, 0x1f, 2, dev_fn, NULL), -EBUSY);
	assert_int_equal(devreg_add(&reg, DEVREG_PIO, 0x10, 0x100, dev_fn, NULL), -EBUSY);
	/* Adjacent ranges are fine, and the spaces are separate. */
	assert_true(devreg_add(&reg, DEVREG_PIO, 0x22, 1, dev_fn, NULL) >= 0);
	assert_true(devreg_add(&reg, DEVREG_PIO, 0x1f, 1, dev_fn, NULL) >= 0);
	assert_true(devreg_add(&reg, DEVREG_MMIO, 0x20, 2, dev_fn, NULL) >= 0);
	assert_true(devreg_add(&reg, DEVREG_MMIO, 0xfee00000, 0x1000, dev_fn, NULL) >= 0);
	assert_int_equal(devreg_add(&reg, DEVREG_MMIO, 0xfedff000, 0x2000, dev_fn, NULL), -EBUSY);
	/* What is taken, asked without registering. */
	assert_true(devreg_busy(&reg, DEVREG_PIO, 0x10, 0x10));
	assert_true(devreg_busy(&reg, DEVREG_PIO, 0x22, 1));
	assert_false(devreg_busy(&reg, DEVREG_PIO, 0x23, 0x10));
	assert_false(devreg_busy(&reg, DEVREG_PIO, 0x80, 1));
	assert_true(devreg_busy(&reg, DEVREG_MMIO, 0xfee00fff, 1));
	assert_false(devreg_busy(&reg, DEVREG_MMIO, 0xfee01000, 0x1000));
}

static void test_bad_ranges(void **state)
{
	(void)state;
	assert_int_equal(devreg_add(&reg, DEVREG_PIO, 0x10, 0, dev_fn, NULL), -EINVAL);
	assert_int_equal(devreg_add(&reg, DEVREG_PIO, 0xfffe, 4, dev_fn, NULL), -EINVAL);
	assert_true(devreg_add(&reg, DEVREG_PIO, 0xfffc, 4, dev_fn, NULL) >= 0);
	assert_int_equal(devreg_add(&reg, DEVREG_MMIO, ~0ULL - 8, 0x1000, dev_fn, NULL), -EINVAL);
	assert_int_equal(devreg_add(&reg, DEVREG_MMIO, 0x1000, 0x10, NULL, NULL), -EINVAL);
}

static void test_dispatch(void **state)
{
	int r;

	(void)state;
	assert_true(devreg_add(&reg, DEVREG_PIO, 0x3f8, 8, dev_fn, (void *)0x500) >= 0);
	assert_int_equal(rd(DEVREG_PIO, 0x3fa, 1, &r), 0x502);
	assert_int_equal(r, 0);
	assert_int_equal(last_addr, 0x3fa);
	assert_int_equal(last_off, 2);
	assert_ptr_equal(last_who, (void *)0x77);
	/* A port access decodes by its first port. */
	assert_int_equal(rd(DEVREG_PIO, 0x3ff, 4, &r), 0x507);
	assert_int_equal(r, 0);
	rd(DEVREG_PIO, 0x400, 1, &r);
	assert_int_equal(r, -ENOENT);
	rd(DEVREG_PIO, 0x3f7, 2, &r);
	assert_int_equal(r, -ENOENT);
	/* An MMIO access must lie wholly in its range. */
	assert_true(devreg_add(&reg, DEVREG_MMIO, 0xd0000000, 0x1000, dev_fn, (void *)0) >= 0);
	assert_int_equal(rd(DEVREG_MMIO, 0xd0000ff8, 8, &r), 0xff8);
	assert_int_equal(r, 0);
	rd(DEVREG_MMIO, 0xd0000ffc, 8, &r);
	assert_int_equal(r, -ENOENT);
	rd(DEVREG_MMIO, 0x3f8, 1, &r);
	assert_int_equal(r, -ENOENT);
}

static void test_move(void **state)
{
	int h, r;

	(void)state;
	h = devreg_add(&reg, DEVREG_MMIO, 0xc0000000, 0x1000, dev_fn, (void *)0x10000);
	assert_true(h >= 0);
	assert_true(devreg_add(&reg, DEVREG_MMIO, 0xc0200000, 0x1000, dev_fn, NULL) >= 0);
	assert_int_equal(devreg_move(&reg, DEVREG_MMIO, h, 0xc0100000), 0);
	/* Only the new place decodes, with offsets from it. */
	assert_int_equal(rd(DEVREG_MMIO, 0xc0100010, 4, &r), 0x10010);
	assert_int_equal(r, 0);
	assert_int_equal(last_off, 0x10);
	rd(DEVREG_MMIO, 0xc0000010, 4, &r);
	assert_int_equal(r, -ENOENT);
	/* A move onto another range is refused and changes nothing. */
	assert_int_equal(devreg_move(&reg, DEVREG_MMIO, h, 0xc01ff800), -EBUSY);
	assert_int_equal(rd(DEVREG_MMIO, 0xc0100000, 4, &r), 0x10000);
	assert_int_equal(r, 0);
	/* Moving onto part of its own old place is fine. */
	assert_int_equal(devreg_move(&reg, DEVREG_MMIO, h, 0xc0100800), 0);
	rd(DEVREG_MMIO, 0xc0100000, 4, &r);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(devreg_move(&reg, DEVREG_MMIO, 7, 0), -ENOENT);
	assert_int_equal(devreg_move(&reg, DEVREG_PIO, h, 0x100), -ENOENT);
}

static void test_del(void **state)
{
	int h, r;

	(void)state;
	h = devreg_add(&reg, DEVREG_PIO, 0xcf8, 8, dev_fn, (void *)0x40);
	assert_true(h >= 0);
	devreg_del(&reg, DEVREG_PIO, h);
	rd(DEVREG_PIO, 0xcfc, 4, &r);
	assert_int_equal(r, -ENOENT);
	/* The place is free for another device. */
	assert_true(devreg_add(&reg, DEVREG_PIO, 0xcfc, 4, dev_fn, NULL) >= 0);
	rd(DEVREG_PIO, 0xcfc, 4, &r);
	assert_int_equal(r, 0);
	devreg_del(&reg, DEVREG_PIO, 40);   /* a handle never given out */
	devreg_del(&reg, DEVREG_PIO, -1);
	rd(DEVREG_PIO, 0xcfc, 4, &r);
	assert_int_equal(r, 0);
}

static void test_full(void **state)
{
	(void)state;
	for (int i = 0; i < DEVREG_MAX_RANGES; i++)
		assert_int_equal(devreg_add(&reg, DEVREG_PIO, (uint64_t)i * 4, 4, dev_fn, NULL), i);
	assert_int_equal(devreg_add(&reg, DEVREG_PIO, 0x8000, 4, dev_fn, NULL), -ENOSPC);
}

/* Holes between used slots, deleting the highest one, and a full
 * table's last slot must all still decode right. */
static void test_holes(void **state)
{
	int a, b, c, r;

	(void)state;
	a = devreg_add(&reg, DEVREG_PIO, 0x100, 4, dev_fn, NULL);
	b = devreg_add(&reg, DEVREG_PIO, 0x200, 4, dev_fn, NULL);
	c = devreg_add(&reg, DEVREG_PIO, 0x300, 4, dev_fn, NULL);
	assert_true(a == 0 && b == 1 && c == 2);
	devreg_del(&reg, DEVREG_PIO, c);
	rd(DEVREG_PIO, 0x300, 1, &r);
	assert_int_equal(r, -ENOENT);
	devreg_del(&reg, DEVREG_PIO, a);        /* a hole below b */
	rd(DEVREG_PIO, 0x100, 1, &r);
	assert_int_equal(r, -ENOENT);
	rd(DEVREG_PIO, 0x203, 1, &r);
	assert_int_equal(r, 0);
	rd(DEVREG_PIO, 0x1ff, 1, &r);
	assert_int_equal(r, -ENOENT);
	rd(DEVREG_PIO, 0x204, 1, &r);
	assert_int_equal(r, -ENOENT);
	devreg_del(&reg, DEVREG_PIO, b);
	rd(DEVREG_PIO, 0x200, 1, &r);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(devreg_add(&reg, DEVREG_PIO, 0x300, 4, dev_fn, NULL), 0);
	rd(DEVREG_PIO, 0x302, 2, &r);
	assert_int_equal(r, 0);
	/* A range at address 0 and one at the top of the space. */
	assert_true(devreg_add(&reg, DEVREG_PIO, 0, 1, dev_fn, NULL) >= 0);
	assert_true(devreg_add(&reg, DEVREG_PIO, 0xfffc, 4, dev_fn, NULL) >= 0);
	rd(DEVREG_PIO, 0, 1, &r);
	assert_int_equal(r, 0);
	rd(DEVREG_PIO, 0xffff, 1, &r);
	assert_int_equal(r, 0);
	rd(DEVREG_PIO, 0xfffb, 1, &r);
	assert_int_equal(r, -ENOENT);
}

static void test_full_last_slot(void **state)
{
	int r;

	(void)state;
	for (int i = 0; i < DEVREG_MAX_RANGES; i++)
		assert_int_equal(devreg_add(&reg, DEVREG_MMIO, 0x1000ULL * (uint64_t)(i + 1), 0x10,
					    dev_fn, NULL), i);
	rd(DEVREG_MMIO, 0x1000ULL * DEVREG_MAX_RANGES + 8, 8, &r);
	assert_int_equal(r, 0);
	devreg_del(&reg, DEVREG_MMIO, DEVREG_MAX_RANGES - 1);
	rd(DEVREG_MMIO, 0x1000ULL * DEVREG_MAX_RANGES + 8, 8, &r);
	assert_int_equal(r, -ENOENT);
	rd(DEVREG_MMIO, 0x1000ULL * (DEVREG_MAX_RANGES - 1), 4, &r);
	assert_int_equal(r, 0);
}

/* The binary search against a plain scan of the slots, through a few
 * thousand random adds, moves and deletes in both spaces: every address
 * of the region, and every MMIO access size, finds the same range (or
 * none). */
static const struct devreg_range *scan(enum devreg_space s, uint64_t addr, unsigned size)
{
	for (unsigned i = 0; i < DEVREG_MAX_RANGES; i++) {
		const struct devreg_range *g = &reg.ranges[s][i];

		if (!g->used || addr - g->base >= g->len)
			continue;
		return s == DEVREG_MMIO && size > g->len - (addr - g->base) ? NULL : g;
	}
	return NULL;
}

static void test_search_matches_scan(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	uint32_t seed = 12345;
	int handles[DEVREG_NSPACES][DEVREG_MAX_RANGES];
	unsigned nh[DEVREG_NSPACES] = { 0, 0 }, checked = 0, found = 0;

	(void)state;
	for (int step = 0; step < 3000; step++) {
		enum devreg_space s = (enum devreg_space)(step & 1);
		uint64_t base, len;
		unsigned op;

		seed = seed * 1103515245u + 12345u;
		op = (seed >> 16) % 5;   /* 0-2 add, 3 move, 4 delete */
		base = (seed >> 4) % 0x400;
		len = 1 + (seed >> 20) % 40;
		if (op <= 2 || !nh[s]) {
			int h = devreg_add(&reg, s, base, len, dev_fn, NULL);

			if (h >= 0)
				handles[s][nh[s]++] = h;
		} else if (op == 3) {
			(void)devreg_move(&reg, s, handles[s][base % nh[s]], (base * 7) % 0x400);
		} else {
			unsigned k = (unsigned)(base % nh[s]);

			devreg_del(&reg, s, handles[s][k]);
			handles[s][k] = handles[s][--nh[s]];
		}
		if (step % 50)
			continue;
		for (int t = 0; t < DEVREG_NSPACES; t++)
			for (uint64_t a = 0; a < 0x420; a++)
				for (unsigned z = 0; z < (t == DEVREG_MMIO ? 4 : 1); z++) {
					const struct devreg_range *want = scan((enum devreg_space)t, a, sizes[z]);

					assert_ptr_equal(devreg_find(&reg, (enum devreg_space)t, a, sizes[z]), want);
					checked++;
					found += want != NULL;
				}
	}
	/* The walk met both outcomes plenty of times. */
	assert_true(found > checked / 10 && found < checked - checked / 10);
}

static uint64_t tick_a(void *ctx, uint64_t now)
{
	(*(int *)ctx)++;
	return now + 500;
}

static uint64_t tick_none(void *ctx, uint64_t now)
{
	(void)now;
	(*(int *)ctx)++;
	return DEV_NO_DEADLINE;
}

static void test_timers(void **state)
{
	int a = 0, b = 0;

	(void)state;
	assert_int_equal(devreg_tick(&reg, 10), DEV_NO_DEADLINE);
	assert_int_equal(devreg_timer_add(&reg, tick_none, &b), 0);
	assert_int_equal(devreg_tick(&reg, 10), DEV_NO_DEADLINE);
	assert_int_equal(devreg_timer_add(&reg, tick_a, &a), 0);
	assert_int_equal(devreg_tick(&reg, 1000), 1500);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	for (int i = 2; i < DEVREG_MAX_TIMERS; i++)
		assert_int_equal(devreg_timer_add(&reg, tick_none, &b), 0);
	assert_int_equal(devreg_timer_add(&reg, tick_none, &b), -ENOSPC);
}

/* A port found unclaimed is remembered; every change of the ranges
 * forgets it, so a device that arrives there is found at once. */
static void test_pio_miss_forgotten(void **state)
{
	int r, h;

	(void)state;
	/* Another device, whose hits move the last-hit hint off 0x80. */
	assert_true(devreg_add(&reg, DEVREG_PIO, 0x60, 1, dev_fn, (void *)0x50) >= 0);
	assert_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));
	assert_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));   /* the remembered miss */
	h = devreg_add(&reg, DEVREG_PIO, 0x80, 1, dev_fn, (void *)0x100);
	assert_true(h >= 0);
	assert_int_equal(rd(DEVREG_PIO, 0x80, 1, &r), 0x100);
	assert_int_equal(r, 0);
	/* Moved away: unclaimed again, then back by a move. */
	assert_int_equal(devreg_move(&reg, DEVREG_PIO, h, 0x90), 0);
	assert_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));
	assert_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));
	assert_int_equal(devreg_move(&reg, DEVREG_PIO, h, 0x80), 0);
	assert_non_null(devreg_find(&reg, DEVREG_PIO, 0x60, 1));
	assert_non_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));
	devreg_del(&reg, DEVREG_PIO, h);
	assert_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));
	assert_non_null(devreg_find(&reg, DEVREG_PIO, 0x60, 1));
	assert_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));
	h = devreg_add(&reg, DEVREG_PIO, 0x80, 1, dev_fn, (void *)0x100);
	assert_non_null(devreg_find(&reg, DEVREG_PIO, 0x60, 1));
	assert_non_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));
	devreg_del(&reg, DEVREG_PIO, h);
	/* A miss of one port says nothing of another. */
	assert_true(devreg_add(&reg, DEVREG_PIO, 0x81, 1, dev_fn, (void *)0x200) >= 0);
	assert_null(devreg_find(&reg, DEVREG_PIO, 0x80, 1));
	assert_non_null(devreg_find(&reg, DEVREG_PIO, 0x81, 1));
}

/* The lock-free question: true only for a port no range holds, and
 * false (unsure) while a change is in progress. */
static void test_pio_unclaimed(void **state)
{
	int h;

	(void)state;
	h = devreg_add(&reg, DEVREG_PIO, 0x3f8, 8, dev_fn, (void *)0x300);
	assert_true(h >= 0);
	assert_true(devreg_pio_unclaimed(&reg, 0x80));
	assert_true(devreg_pio_unclaimed(&reg, 0x80));
	assert_false(devreg_pio_unclaimed(&reg, 0x3f8));
	assert_false(devreg_pio_unclaimed(&reg, 0x3ff));
	assert_true(devreg_pio_unclaimed(&reg, 0x400));
	assert_true(devreg_pio_unclaimed(&reg, 0x3f7));
	/* Mid-change, as another CPU would see it. */
	reg.seq++;
	assert_false(devreg_pio_unclaimed(&reg, 0x80));
	reg.seq++;
	assert_true(devreg_pio_unclaimed(&reg, 0x80));
	assert_int_equal(devreg_move(&reg, DEVREG_PIO, h, 0x80), 0);
	assert_false(devreg_pio_unclaimed(&reg, 0x80));
	assert_false(devreg_pio_unclaimed(&reg, 0x87));
	assert_true(devreg_pio_unclaimed(&reg, 0x3f8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_overlaps_refused, setup),
		cmocka_unit_test_setup(test_bad_ranges, setup),
		cmocka_unit_test_setup(test_dispatch, setup),
		cmocka_unit_test_setup(test_move, setup),
		cmocka_unit_test_setup(test_del, setup),
		cmocka_unit_test_setup(test_full, setup),
		cmocka_unit_test_setup(test_holes, setup),
		cmocka_unit_test_setup(test_full_last_slot, setup),
		cmocka_unit_test_setup(test_search_matches_scan, setup),
		cmocka_unit_test_setup(test_timers, setup),
		cmocka_unit_test_setup(test_pio_miss_forgotten, setup),
		cmocka_unit_test_setup(test_pio_unclaimed, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
