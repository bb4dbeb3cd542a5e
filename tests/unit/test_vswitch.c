/* Unit tests for vmm/vswitch.c: learning, forwarding to the learnt port,
 * flooding of broadcast, multicast and unknown unicast, filtering of
 * frames for the sender's own segment, drops by a full port (counted,
 * the others still served), bad frame sizes, ageing, a full MAC table
 * and port removal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmm/vswitch.h"
#include "lib/errno.h"

#define NP 4

static struct vswitch sw;
static unsigned got[NP];
static bool full[NP];
static uint8_t last[NP][64];

static int rx(void *ctx, const uint8_t *frame, size_t len)
{
	unsigned i = (unsigned)(uintptr_t)ctx;

	if (full[i])
		return -ENOSPC;
	got[i]++;
	memcpy(last[i], frame, len < 64 ? len : 64);
	return 0;
}

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void mac(uint8_t *m, unsigned n)
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(m, base, 6);
	m[5] = (uint8_t)n;
}

/* A 60-byte frame from src to dst (a MAC, or n < 256 for mac(n)). */
static unsigned send(unsigned port, const uint8_t *dst, unsigned src, uint64_t now)
{
	uint8_t f[60] = { 0 };

	memcpy(f, dst, 6);
	mac(f + 6, src);
	f[12] = 0x08;
	return vsw_input(&sw, port, f, sizeof(f), now);
}

static int setup(void **state)
{
	(void)state;
	vsw_init(&sw, "sw0");
	memset(got, 0, sizeof(got));
	memset(full, 0, sizeof(full));
	for (unsigned i = 0; i < NP; i++)
		assert_int_equal(vsw_port_add(&sw, "p", rx, (void *)(uintptr_t)i), (int)i);
	return 0;
}

static void test_flood_then_learn(void **state)
{
	uint8_t m[6];

	(void)state;
	/* Unknown destination: every port but the sender's. */
	mac(m, 2);
	assert_int_equal(send(1, m, 1, 10), 3);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 0);
	assert_int_equal(got[2], 1);
	assert_int_equal(sw.unknown, 1);
	assert_int_equal(vsw_lookup(&sw, (mac(m, 1), m), 10), 1);
	/* 2 answers 1 from port 2: straight to port 1 only, and 2 is learnt. */
	mac(m, 1);
	assert_int_equal(send(2, m, 2, 20), 1);
	assert_int_equal(got[1], 1);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[3], 1);
	mac(m, 2);
	assert_int_equal(send(1, m, 1, 30), 1);
	assert_int_equal(got[2], 2);
	assert_int_equal(got[0], 1);
	assert_int_equal(sw.ports[1].tx_frames, 2);
	assert_int_equal(sw.ports[2].rx_frames, 2);
	assert_int_equal(sw.ports[2].rx_bytes, 120);
}

static void test_broadcast_and_multicast_flood(void **state)
{
	uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 }, m[6];

	(void)state;
	mac(m, 9);
	send(3, m, 9, 1);   /* 9 is learnt on port 3 */
	memset(got, 0, sizeof(got));
	assert_int_equal(send(0, BCAST, 1, 2), 3);
	assert_int_equal(send(0, mc, 1, 3), 3);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[3], 2);
	/* A multicast source is never learnt. */
	uint8_t f[60] = { 0 };
	memcpy(f, BCAST, 6);
	memcpy(f + 6, mc, 6);
	vsw_input(&sw, 2, f, sizeof(f), 4);
	assert_int_equal(vsw_lookup(&sw, mc, 4), -1);
}

static void test_own_segment_filtered(void **state)
{
	uint8_t m[6];

	(void)state;
	mac(m, 5);
	send(2, m, 5, 1);            /* 5 lives on port 2 */
	memset(got, 0, sizeof(got));
	assert_int_equal(send(2, m, 6, 2), 0);   /* 6 on port 2 sends to 5: stays there */
	for (unsigned i = 0; i < NP; i++)
		assert_int_equal(got[i], 0);
}

static void test_full_port_drops_and_counts(void **state)
{
	(void)state;
	full[2] = true;
	assert_int_equal(send(0, BCAST, 1, 1), 2);
	assert_int_equal(sw.ports[2].drops, 1);
	assert_int_equal(got[1], 1);
	assert_int_equal(got[3], 1);
	/* Known destination that is full: dropped, counted, nobody else gets it. */
	uint8_t m[6];
	mac(m, 7);
	send(2, m, 7, 2);
	memset(got, 0, sizeof(got));
	assert_int_equal(send(0, m, 1, 3), 0);
	assert_int_equal(sw.ports[2].drops, 2);
	assert_int_equal(got[1] + got[3], 0);
}

static void test_bad_sizes(void **state)
{
	uint8_t f[VSW_FRAME_MAX + 1];

	(void)state;
	memset(f, 0xff, sizeof(f));
	assert_int_equal(vsw_input(&sw, 0, f, VSW_FRAME_MIN - 1, 1), 0);
	assert_int_equal(vsw_input(&sw, 0, f, VSW_FRAME_MAX + 1, 1), 0);
	assert_int_equal(sw.ports[0].bad, 2);
	assert_int_equal(sw.ports[0].tx_frames, 0);
	assert_int_equal(vsw_input(&sw, 0, f, VSW_FRAME_MAX, 1), 3);
	/* A port that is not there sends nothing. */
	assert_int_equal(vsw_input(&sw, VSW_MAX_PORTS, f, 60, 1), 0);
	assert_int_equal(vsw_input(&sw, 9, f, 60, 1), 0);
}

static void test_ageing(void **state)
{
	uint8_t m[6];

	(void)state;
	mac(m, 1);
	send(1, BCAST, 1, 100);
	assert_int_equal(vsw_lookup(&sw, m, 100 + VSW_AGE_NS - 1), 1);
	assert_int_equal(vsw_lookup(&sw, m, 100 + VSW_AGE_NS), -1);
	memset(got, 0, sizeof(got));
	assert_int_equal(send(0, m, 2, 100 + VSW_AGE_NS), 3);   /* flooded again */
}

static void test_moves_port(void **state)
{
	uint8_t m[6];

	(void)state;
	mac(m, 1);
	send(1, BCAST, 1, 1);
	send(3, BCAST, 1, 2);   /* the station moved */
	assert_int_equal(vsw_lookup(&sw, m, 3), 3);
}

static void test_table_full(void **state)
{
	uint8_t m[6];

	(void)state;
	for (unsigned i = 0; i < VSW_MAC_ENTRIES + 10; i++)
		send(i % NP, BCAST, 10 + i, 1 + i);
	/* The newest are there, the oldest were replaced. */
	mac(m, 10 + VSW_MAC_ENTRIES + 9);
	assert_int_equal(vsw_lookup(&sw, m, 1000), (int)((VSW_MAC_ENTRIES + 9) % NP));
	mac(m, 10);
	assert_int_equal(vsw_lookup(&sw, m, 1000), -1);
}

static void test_port_del(void **state)
{
	uint8_t m[6];

	(void)state;
	mac(m, 1);
	send(1, BCAST, 1, 1);
	vsw_port_del(&sw, 1);
	assert_int_equal(vsw_lookup(&sw, m, 2), -1);
	memset(got, 0, sizeof(got));
	assert_int_equal(send(0, BCAST, 2, 3), 2);
	assert_int_equal(got[1], 0);
	assert_int_equal(vsw_port_add(&sw, "again", rx, (void *)(uintptr_t)1), 1);
	for (int i = NP; i < VSW_MAX_PORTS; i++)
		assert_true(vsw_port_add(&sw, "x", rx, (void *)(uintptr_t)0) >= 0);
	assert_int_equal(vsw_port_add(&sw, "x", rx, NULL), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_flood_then_learn, setup),
		cmocka_unit_test_setup(test_broadcast_and_multicast_flood, setup),
		cmocka_unit_test_setup(test_own_segment_filtered, setup),
		cmocka_unit_test_setup(test_full_port_drops_and_counts, setup),
		cmocka_unit_test_setup(test_bad_sizes, setup),
		cmocka_unit_test_setup(test_ageing, setup),
		cmocka_unit_test_setup(test_moves_port, setup),
		cmocka_unit_test_setup(test_table_full, setup),
		cmocka_unit_test_setup(test_port_del, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
