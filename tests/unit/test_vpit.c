/* The 8254: Linux's periodic and one-shot clockevents, both TSC
 * calibrations through channel 2 and port 0x61, latch and read-back, the
 * modes' waveforms, gates, BCD, and IRQ0 deadlines over many periods. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/dev/vpit.h"

#define F 1193182u

static uint64_t now;
static unsigned pulses;       /* completed raise-then-lower on IRQ0 */
static bool line0;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now;
}

static void fake_irq(void *ctx, unsigned line, bool level)
{
	(void)ctx;
	assert_int_equal(line, 0);
	assert_true(level != line0);   /* every call is a transition */
	line0 = level;
	if (!level)
		pulses++;
}

static const struct dev_env env = { .now_ns = fake_now, .irq_line = fake_irq };

/* Independent of the model's arithmetic: 128-bit products. */
static uint64_t tick_of(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * F / 1000000000u);
}

static uint64_t ns_of(uint64_t t)
{
	return (uint64_t)(((unsigned __int128)t * 1000000000u + F - 1) / F);
}

static void setup_pit(struct vpit *p, uint64_t t0)
{
	now = t0;
	pulses = 0;
	line0 = false;
	vpit_init(p, &env);
}

static void write16(struct vpit *p, uint16_t port, uint16_t v)
{
	vpit_write(p, port, (uint8_t)v);
	vpit_write(p, port, (uint8_t)(v >> 8));
}

static uint16_t latch_read(struct vpit *p, unsigned ch)
{
	uint16_t v;

	vpit_write(p, 0x43, (uint8_t)(ch << 6));
	v = vpit_read(p, (uint16_t)(0x40 + ch));
	return (uint16_t)(v | vpit_read(p, (uint16_t)(0x40 + ch)) << 8);
}

static uint8_t status(struct vpit *p, unsigned ch)
{
	vpit_write(p, 0x43, (uint8_t)(0xe0 | 2u << ch));
	return vpit_read(p, (uint16_t)(0x40 + ch));
}

static bool out2(struct vpit *p)
{
	return vpit_read(p, 0x61) & 0x20;
}

static void test_firmware_state(void **state)
{
	struct vpit p;

	(void)state;
	setup_pit(&p, 0);
	/* Mode 3, LSB then MSB, binary, OUT high, count loaded. */
	assert_int_equal(status(&p, 0), 0xb6);
	assert_int_equal(status(&p, 2), 0xb6);
	assert_int_equal(vpit_next_deadline(&p, 0), ns_of(65536));
	assert_int_equal(vpit_read(&p, 0x43), 0xff);
	assert_int_equal(vpit_read(&p, 0x60), 0xff);
	/* Channel 2's gate is low: its count does not move. */
	now = 10000000;
	assert_int_equal(latch_read(&p, 2), 0);
	assert_true(out2(&p));
	assert_int_equal(vpit_read(&p, 0x61) & 0x0f, 0);
	/* Channel 0 runs at 18.2 Hz: one IRQ0 per 65536 clocks. */
	now = vpit_next_deadline(&p, now);
	vpit_update(&p, now);
	assert_int_equal(pulses, 1);
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(2 * 65536));
}

static void test_linux_periodic_1khz(void **state)
{
	struct vpit p;
	uint64_t t0 = 1234567, s, dl;
	long double ideal;

	(void)state;
	setup_pit(&p, 0);
	now = t0;
	/* pit_set_periodic: mode 2, LSB/MSB, channel 0, PIT_LATCH = 1193. */
	vpit_write(&p, 0x43, 0x34);
	vpit_write(&p, 0x40, 1193 & 0xff);
	vpit_write(&p, 0x40, 1193 >> 8);
	s = tick_of(t0);
	assert_int_equal(status(&p, 0), 0xb4);
	for (unsigned k = 1; k <= 20000; k++) {
		dl = vpit_next_deadline(&p, now);
		assert_int_equal(dl, ns_of(s + (uint64_t)k * 1193));
		/* No drift: within one input clock of the ideal period. */
		ideal = (long double)t0 + (long double)k * 1193 * 1e9L / F;
		assert_true((long double)dl - ideal < 839.0L);
		assert_true(ideal - (long double)dl < 839.0L);
		/* Not a nanosecond early. */
		vpit_update(&p, dl - 1);
		assert_int_equal(pulses, k - 1);
		now = dl;
		vpit_update(&p, now);
		assert_int_equal(pulses, k);
		vpit_update(&p, now);          /* idempotent */
		assert_int_equal(pulses, k);
	}
	/* 20000 periods of 1193 clocks: 19.9969 s. */
	assert_true(now - t0 > 19996000000ull && now - t0 < 19998000000ull);
	assert_false(line0);
}

static void test_late_update_keeps_grid(void **state)
{
	struct vpit p;
	uint64_t s;

	(void)state;
	setup_pit(&p, 0);
	now = 777;
	vpit_write(&p, 0x43, 0x34);
	write16(&p, 0x40, 1000);
	s = tick_of(777);
	/* The VMM comes back ten and a half periods late. */
	now = ns_of(s + 10500);
	assert_int_equal(vpit_next_deadline(&p, now), now);   /* overdue */
	vpit_update(&p, now);
	assert_int_equal(pulses, 1);        /* the 8259A latches one edge */
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 11000));
	now = ns_of(s + 11000);
	vpit_update(&p, now);
	assert_int_equal(pulses, 2);
}

static void test_linux_pit_calibrate_tsc(void **state)
{
	struct vpit p;
	uint64_t t0, s, hit = 0;
	uint8_t v;

	(void)state;
	setup_pit(&p, 1000);
	/* Gate high, speaker off; channel 2 mode 0, 50 ms latch. */
	v = vpit_read(&p, 0x61);
	vpit_write(&p, 0x61, (uint8_t)((v & ~0x02) | 0x01));
	vpit_write(&p, 0x43, 0xb0);
	t0 = now;
	vpit_write(&p, 0x42, 59659 & 0xff);
	vpit_write(&p, 0x42, 59659 >> 8);
	s = tick_of(t0);
	assert_false(out2(&p));
	while (now < t0 + 60000000) {
		now += 1000;
		if (vpit_read(&p, 0x61) & 0x20) {
			hit = now;
			break;
		}
	}
	assert_true(hit >= ns_of(s + 59659) && hit < ns_of(s + 59659) + 1000);
	assert_true(hit - t0 > 49990000 && hit - t0 < 50010000);
	/* Channel 2 never touches IRQ0 (channel 0's first firmware-mode
	 * edge is at 54.9 ms); OUT stays high in mode 0. */
	assert_int_equal(pulses, 0);
	now += 100000000;
	assert_true(out2(&p));
	assert_int_equal(vpit_read(&p, 0x61) & 0x03, 0x01);
}

static void test_linux_quick_pit_calibrate(void **state)
{
	struct vpit p;
	uint64_t s, seen_at;
	uint8_t msb;

	(void)state;
	setup_pit(&p, 0);
	now = 3000000;
	vpit_write(&p, 0x61, (uint8_t)((vpit_read(&p, 0x61) & ~0x02) | 0x01));
	vpit_write(&p, 0x43, 0xb0);
	vpit_write(&p, 0x42, 0xff);
	vpit_write(&p, 0x42, 0xff);
	s = tick_of(now);
	/* pit_verify_msb(0): an unlatched LSB then MSB read. */
	(void)vpit_read(&p, 0x42);
	assert_int_equal(vpit_read(&p, 0x42), 0xff);
	/* pit_expect_msb: the MSB steps down every 256 clocks. */
	for (unsigned i = 1; i <= 200; i++) {
		unsigned polls = 0;

		do {
			now += 100;
			(void)vpit_read(&p, 0x42);
			msb = vpit_read(&p, 0x42);
			assert_true(++polls < 10000);
		} while (msb == (uint8_t)(0xff - i + 1));
		seen_at = now;
		assert_int_equal(msb, 0xff - i);
		assert_true(seen_at >= ns_of(s + 256 * i));
		assert_true(seen_at < ns_of(s + 256 * i) + 100);
	}
}

static void test_latch_and_readback(void **state)
{
	struct vpit p;
	uint64_t s;

	(void)state;
	setup_pit(&p, 0);
	vpit_write(&p, 0x43, 0x34);
	/* Null count until the whole count is written. */
	assert_int_equal(status(&p, 0), 0xf4);
	vpit_write(&p, 0x40, 1000 & 0xff);
	assert_int_equal(status(&p, 0), 0xf4);
	vpit_write(&p, 0x40, 1000 >> 8);
	assert_int_equal(status(&p, 0), 0xb4);
	s = tick_of(now);
	now = ns_of(s + 100);
	vpit_write(&p, 0x43, 0x00);          /* latch */
	now = ns_of(s + 400);
	vpit_write(&p, 0x43, 0x00);          /* ignored: not yet read */
	assert_int_equal(vpit_read(&p, 0x40), 900 & 0xff);
	now = ns_of(s + 500);
	assert_int_equal(vpit_read(&p, 0x40), 900 >> 8);
	/* Unlatched: the live count, LSB then MSB. */
	assert_int_equal(vpit_read(&p, 0x40), 500 & 0xff);
	assert_int_equal(vpit_read(&p, 0x40), 500 >> 8);
	/* Read-back of count and status: status comes first. */
	now = ns_of(s + 999);
	vpit_write(&p, 0x43, 0xc2);
	now = ns_of(s + 1500);
	assert_int_equal(vpit_read(&p, 0x40), 0x34);   /* OUT low at CE 1 */
	assert_int_equal(vpit_read(&p, 0x40), 1);
	assert_int_equal(vpit_read(&p, 0x40), 0);
	/* Read-back of several counters at once. */
	vpit_write(&p, 0x43, 0xce);
	now = ns_of(s + 1600);
	assert_int_equal(vpit_read(&p, 0x42), 0xb6);
	assert_int_equal(vpit_read(&p, 0x42), 0);
	assert_int_equal(vpit_read(&p, 0x42), 0);
	assert_int_equal(vpit_read(&p, 0x41), 0xb6);
	assert_int_equal(vpit_read(&p, 0x40), 0xb4);
	assert_int_equal(vpit_read(&p, 0x40), 500 & 0xff);
	assert_int_equal(vpit_read(&p, 0x40), 500 >> 8);
	/* Status only, then count only. */
	vpit_write(&p, 0x43, 0xe2);
	vpit_write(&p, 0x43, 0xd2);
	assert_int_equal(vpit_read(&p, 0x40), 0xb4);
	assert_int_equal(vpit_read(&p, 0x40), 400 & 0xff);
	assert_int_equal(vpit_read(&p, 0x40), 400 >> 8);
	/* A control word drops any latch. */
	vpit_write(&p, 0x43, 0x00);
	vpit_write(&p, 0x43, 0x34);
	assert_int_equal(vpit_read(&p, 0x40), 400 & 0xff);
	assert_int_equal(vpit_read(&p, 0x40), 400 >> 8);
}

static void test_mode2_rewrite_at_period_end(void **state)
{
	struct vpit p;
	uint64_t s;

	(void)state;
	setup_pit(&p, 0);
	vpit_write(&p, 0x43, 0x34);
	write16(&p, 0x40, 1000);
	s = tick_of(now);
	now = ns_of(s + 300);
	write16(&p, 0x40, 500);
	assert_int_equal(status(&p, 0) & 0x40, 0x40);   /* not loaded yet */
	assert_int_equal(latch_read(&p, 0), 700);      /* old count runs on */
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 1000));
	now = ns_of(s + 1000);
	vpit_update(&p, now);
	assert_int_equal(pulses, 1);
	assert_int_equal(status(&p, 0) & 0x40, 0);
	assert_int_equal(latch_read(&p, 0), 500);
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 1500));
	/* The reload is found even when the VMM skips it. */
	now = ns_of(s + 1499);
	vpit_update(&p, now);
	assert_int_equal(pulses, 1);
	assert_int_equal(latch_read(&p, 0), 1);
	now = ns_of(s + 2000);
	vpit_update(&p, now);
	assert_int_equal(pulses, 2);
}

static void test_mode3_square_wave(void **state)
{
	struct vpit p;
	uint64_t s;
	static const bool out4[] = { 1, 1, 0, 0, 1, 1, 0, 0 };
	static const uint16_t ce4[] = { 4, 2, 4, 2, 4, 2, 4, 2 };
	static const bool out5[] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
	static const uint16_t ce5[] = { 4, 2, 0, 4, 2, 4, 2, 0, 4, 2 };

	(void)state;
	setup_pit(&p, 0);
	vpit_write(&p, 0x61, 0x01);
	vpit_write(&p, 0x43, 0xb6);
	write16(&p, 0x42, 4);
	s = tick_of(now);
	for (unsigned k = 0; k < 8; k++) {
		now = ns_of(s + k);
		assert_int_equal(out2(&p), out4[k]);
		assert_int_equal(latch_read(&p, 2), ce4[k]);
	}
	/* Odd count: high one clock longer. */
	vpit_write(&p, 0x43, 0xb6);
	write16(&p, 0x42, 5);
	s = tick_of(now);
	for (unsigned k = 0; k < 10; k++) {
		now = ns_of(s + k);
		assert_int_equal(out2(&p), out5[k]);
		assert_int_equal(latch_read(&p, 2), ce5[k]);
	}
	/* Channel 0 in mode 3 (as Linux's i8253 clocksource-only boot
	 * leaves it): IRQ0 on every rising edge. */
	vpit_write(&p, 0x43, 0x36);
	write16(&p, 0x40, 11932);
	s = tick_of(now);
	pulses = 0;
	for (unsigned k = 1; k <= 100; k++) {
		now = vpit_next_deadline(&p, now);
		assert_int_equal(now, ns_of(s + 11932ull * k));
		vpit_update(&p, now);
		assert_int_equal(pulses, k);
	}
}

static void test_linux_oneshot_and_shutdown(void **state)
{
	struct vpit p;
	uint64_t s;

	(void)state;
	setup_pit(&p, 0);
	/* pit_set_oneshot then pit_next_event(11932): mode 4. */
	vpit_write(&p, 0x43, 0x38);
	now = 5000;
	vpit_write(&p, 0x40, 11932 & 0xff);
	vpit_write(&p, 0x40, 11932 >> 8);
	s = tick_of(now);
	/* OUT strobes low at terminal count; IRQ0 on its rising edge. */
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 11933));
	now = ns_of(s + 11932);
	vpit_update(&p, now);
	assert_int_equal(pulses, 0);
	assert_int_equal(status(&p, 0) & 0x80, 0);
	now = ns_of(s + 11933);
	vpit_update(&p, now);
	assert_int_equal(pulses, 1);
	/* One shot only; CE wraps on. */
	assert_int_equal(vpit_next_deadline(&p, now), DEV_NO_DEADLINE);
	now += 1000000000;
	vpit_update(&p, now);
	assert_int_equal(pulses, 1);
	/* The next event re-arms it. */
	write16(&p, 0x40, 100);
	s = tick_of(now);
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 101));
	/* pit_shutdown: mode 0 sets OUT low, then a count of 0 (65536). */
	vpit_write(&p, 0x43, 0x30);
	assert_int_equal(status(&p, 0) & 0x80, 0);
	assert_int_equal(vpit_next_deadline(&p, now), DEV_NO_DEADLINE);
	vpit_write(&p, 0x40, 0);
	vpit_write(&p, 0x40, 0);
	s = tick_of(now);
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 65536));
	/* Back to periodic: the control word alone raises OUT, an edge. */
	vpit_write(&p, 0x43, 0x34);
	assert_int_equal(pulses, 2);
	assert_int_equal(vpit_next_deadline(&p, now), DEV_NO_DEADLINE);
}

static void test_gate(void **state)
{
	struct vpit p;
	uint64_t s;

	(void)state;
	setup_pit(&p, 0);
	/* Mode 0 with the gate low: loaded but held. */
	vpit_write(&p, 0x43, 0xb0);
	write16(&p, 0x42, 1000);
	s = tick_of(now);
	now = ns_of(s + 500);
	assert_int_equal(latch_read(&p, 2), 1000);
	vpit_write(&p, 0x61, 0x01);
	now = ns_of(s + 800);
	assert_int_equal(latch_read(&p, 2), 700);
	vpit_write(&p, 0x61, 0x00);
	now = ns_of(s + 5000);
	assert_int_equal(latch_read(&p, 2), 700);
	assert_false(out2(&p));
	vpit_write(&p, 0x61, 0x01);
	now = ns_of(s + 5699);
	assert_false(out2(&p));
	now = ns_of(s + 5700);
	assert_true(out2(&p));

	/* Mode 2: gate low forces OUT high and stops; high reloads. */
	vpit_write(&p, 0x43, 0xb4);
	write16(&p, 0x42, 100);
	s = tick_of(now);
	now = ns_of(s + 99);
	assert_false(out2(&p));              /* CE = 1 */
	vpit_write(&p, 0x61, 0x00);
	assert_true(out2(&p));
	now = ns_of(s + 1000);
	assert_int_equal(latch_read(&p, 2), 1);
	vpit_write(&p, 0x61, 0x01);
	assert_int_equal(latch_read(&p, 2), 100);
	now = ns_of(s + 1099);
	assert_false(out2(&p));
}

static void test_bcd(void **state)
{
	struct vpit p;
	uint64_t s;

	(void)state;
	setup_pit(&p, 0);
	vpit_write(&p, 0x43, 0x31);          /* channel 0, mode 0, BCD */
	vpit_write(&p, 0x40, 0x00);
	vpit_write(&p, 0x40, 0x10);          /* 1000 decimal */
	s = tick_of(now);
	assert_int_equal(status(&p, 0), 0x31);
	now = ns_of(s + 1);
	assert_int_equal(latch_read(&p, 0), 0x0999);
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 1000));
	now = ns_of(s + 1001);
	assert_int_equal(latch_read(&p, 0), 0x9999);   /* wraps in decimal */
	assert_int_equal(pulses, 1);
	/* Count 0 is 10000 in BCD. */
	write16(&p, 0x40, 0);
	s = tick_of(now);
	assert_int_equal(latch_read(&p, 0), 0x0000);
	now = ns_of(s + 2);
	assert_int_equal(latch_read(&p, 0), 0x9998);
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 10000));
}

/* Channel 0 at count 2 (596 kHz): no deadline closer than 100 us to the
 * last pulse, the edges between merge into one pulse, so 10 ms give at
 * most 102 pulses and as many updates; after a quiet spell the first
 * edge is on time. */
static void test_rate_limit(void **state)
{
	struct vpit p;
	uint64_t end, d, last = 0;
	unsigned updates = 0;

	(void)state;
	setup_pit(&p, 0);
	pulses = 0;
	vpit_write(&p, 0x43, 0x34);          /* channel 0, LSB/MSB, mode 2 */
	write16(&p, 0x40, 2);
	end = now + 10000000;
	while (now < end) {
		d = vpit_next_deadline(&p, now);
		assert_true(d != DEV_NO_DEADLINE);
		if (pulses)
			assert_true(d >= last + 100000 - 1000);
		now = d > now ? d : now + 1;
		vpit_update(&p, now);
		updates++;
		if (pulses)
			last = now;
	}
	assert_true(pulses >= 99 && pulses <= 102);   /* 10 ms / 99 us, give or take a tick */
	assert_true(updates <= 104);
	/* Stopped a while, then a one-shot count: its edge on time. */
	vpit_write(&p, 0x43, 0x30);          /* mode 0: OUT low, no edge */
	now += 1000000;
	vpit_update(&p, now);
	write16(&p, 0x40, 100);
	d = vpit_next_deadline(&p, now);
	assert_true(d >= ns_of(tick_of(now) + 100) && d <= ns_of(tick_of(now) + 101));
}

static void test_byte_access_modes(void **state)
{
	struct vpit p;
	uint64_t s;

	(void)state;
	setup_pit(&p, 0);
	vpit_write(&p, 0x43, 0x10);          /* channel 0, LSB only, mode 0 */
	vpit_write(&p, 0x40, 0x20);
	s = tick_of(now);
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 0x20));
	now = ns_of(s + 0x10);
	assert_int_equal(vpit_read(&p, 0x40), 0x10);
	assert_int_equal(vpit_read(&p, 0x40), 0x10);   /* never the MSB */
	vpit_write(&p, 0x43, 0x20);          /* MSB only */
	vpit_write(&p, 0x40, 0x01);
	s = tick_of(now);
	assert_int_equal(vpit_next_deadline(&p, now), ns_of(s + 0x100));
	now = ns_of(s + 1);
	assert_int_equal(vpit_read(&p, 0x40), 0x00);   /* 0x00ff */
	vpit_write(&p, 0x43, 0x00);
	assert_int_equal(vpit_read(&p, 0x40), 0x00);
	now = ns_of(s + 0x101);
	assert_int_equal(vpit_read(&p, 0x40), 0xff);   /* wrapped: 0xffff */
	/* Mode 0, LSB then MSB: the first byte stops the count, OUT low. */
	vpit_write(&p, 0x61, 0x01);
	vpit_write(&p, 0x43, 0xb0);
	write16(&p, 0x42, 10);
	s = tick_of(now);
	now = ns_of(s + 20);
	assert_true(out2(&p));
	vpit_write(&p, 0x42, 50);
	assert_false(out2(&p));
	now = ns_of(s + 1000);
	assert_false(out2(&p));
	vpit_write(&p, 0x42, 0);
	s = tick_of(now);
	now = ns_of(s + 50);
	assert_true(out2(&p));
	/* Mode numbers 6 and 7 are modes 2 and 3; status shows them as
	 * written. */
	vpit_write(&p, 0x43, 0xbc);
	assert_int_equal(status(&p, 2), 0xfc);
	write16(&p, 0x42, 3);
	s = tick_of(now);
	now = ns_of(s + 2);
	assert_false(out2(&p));
	now = ns_of(s + 3);
	assert_true(out2(&p));
}

static void test_modes_1_and_5(void **state)
{
	struct vpit p;
	uint64_t s;

	(void)state;
	setup_pit(&p, 0);
	/* Mode 1: OUT high until the gate's rising edge triggers a
	 * one-shot low pulse of N clocks; a retrigger restarts it. */
	vpit_write(&p, 0x43, 0xb2);
	write16(&p, 0x42, 100);
	assert_true(out2(&p));
	now = 100000;
	assert_true(out2(&p));
	vpit_write(&p, 0x61, 0x01);
	s = tick_of(now);
	assert_false(out2(&p));
	now = ns_of(s + 50);
	vpit_write(&p, 0x61, 0x00);          /* gate low: no effect */
	vpit_write(&p, 0x61, 0x01);          /* retrigger */
	s = tick_of(now);
	now = ns_of(s + 99);
	assert_false(out2(&p));
	assert_int_equal(latch_read(&p, 2), 1);
	now = ns_of(s + 100);
	assert_true(out2(&p));
	/* Mode 5: the trigger starts a count; strobe low at its end. */
	vpit_write(&p, 0x43, 0xba);
	write16(&p, 0x42, 10);
	vpit_write(&p, 0x61, 0x00);
	now += 1000000;
	assert_true(out2(&p));
	vpit_write(&p, 0x61, 0x01);
	s = tick_of(now);
	now = ns_of(s + 9);
	assert_true(out2(&p));
	now = ns_of(s + 10);
	assert_false(out2(&p));
	now = ns_of(s + 11);
	assert_true(out2(&p));
}

static void test_port61(void **state)
{
	struct vpit p;
	uint8_t a, b;

	(void)state;
	setup_pit(&p, 0);
	vpit_write(&p, 0x61, 0xff);
	a = vpit_read(&p, 0x61);
	assert_int_equal(a & 0xcf, 0x0f);          /* bits 6-7 read 0 */
	/* The refresh bit toggles every 18 clocks. */
	now = ns_of(tick_of(now) / 18 * 18 + 18);
	b = vpit_read(&p, 0x61);
	assert_int_equal((a ^ b) & 0x10, 0x10);
	now = ns_of(tick_of(now) + 18);
	assert_int_equal(vpit_read(&p, 0x61) & 0x10, a & 0x10);
	vpit_write(&p, 0x61, 0x00);
	assert_int_equal(vpit_read(&p, 0x61) & 0x0f, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firmware_state),
		cmocka_unit_test(test_linux_periodic_1khz),
		cmocka_unit_test(test_late_update_keeps_grid),
		cmocka_unit_test(test_linux_pit_calibrate_tsc),
		cmocka_unit_test(test_linux_quick_pit_calibrate),
		cmocka_unit_test(test_latch_and_readback),
		cmocka_unit_test(test_mode2_rewrite_at_period_end),
		cmocka_unit_test(test_mode3_square_wave),
		cmocka_unit_test(test_linux_oneshot_and_shutdown),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_bcd),
		cmocka_unit_test(test_byte_access_modes),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_modes_1_and_5),
		cmocka_unit_test(test_port61),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
