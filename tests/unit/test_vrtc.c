/* The MC146818 RTC: Linux's UIP-avoiding read and set_time sequences, BCD,
 * binary and 12-hour modes, dates checked against the C library's gmtime,
 * the periodic (1024 Hz), update-ended and alarm interrupts with register
 * C, and the PC's CMOS memory size bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "vmm/dev/vrtc.h"

#define S 1000000000ull
#define LEAP_EVE 1709251198ull     /* 2024-02-29 23:59:58 UTC, Thursday */

static uint64_t now;
static bool line8;
static unsigned rises;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now;
}

static void fake_irq(void *ctx, unsigned line, bool level)
{
	(void)ctx;
	assert_int_equal(line, 8);
	assert_true(level != line8);   /* every call is a transition */
	line8 = level;
	rises += level;
}

static const struct dev_env env = { .now_ns = fake_now, .irq_line = fake_irq };

static void setup_rtc(struct vrtc *r, uint64_t epoch, uint64_t ram)
{
	now = 0;
	line8 = false;
	rises = 0;
	vrtc_init(r, &env, epoch, ram);
}

static uint8_t rd(struct vrtc *r, uint8_t i)
{
	vrtc_write(r, 0x70, i);
	return vrtc_read(r, 0x71);
}

static void wr(struct vrtc *r, uint8_t i, uint8_t v)
{
	vrtc_write(r, 0x70, i);
	vrtc_write(r, 0x71, v);
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0xf);
}

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t enc(bool bin, int v)
{
	return bin ? (uint8_t)v : to_bcd((unsigned)v);
}

static unsigned dec(bool bin, uint8_t v)
{
	return bin ? v : bcd(v);
}

struct rtc_time {
	uint8_t sec, min, hour, wday, mday, mon, year, century, ctrl;
};

/* drivers/rtc/rtc-mc146818-lib.c: mc146818_avoid_UIP with the
 * mc146818_get_time callback; each I/O takes 1 us, udelay(10) 10 us. */
static void linux_get_time(struct vrtc *r, struct rtc_time *t)
{
	for (int i = 0; i < 1000; i++) {
		uint8_t seconds;

		now += 1000;
		seconds = rd(r, 0x00);
		now += 1000;
		if (rd(r, 0x0a) & 0x80) {
			now += 10000;
			continue;
		}
		now += 1000;
		if (seconds != rd(r, 0x00))
			continue;
		t->sec = seconds;
		t->min = rd(r, 0x02);
		t->hour = rd(r, 0x04);
		t->wday = rd(r, 0x06);
		t->mday = rd(r, 0x07);
		t->mon = rd(r, 0x08);
		t->year = rd(r, 0x09);
		t->century = rd(r, 0x32);
		t->ctrl = rd(r, 0x0b);
		now += 1000;
		if (rd(r, 0x0a) & 0x80) {
			now += 10000;
			continue;
		}
		return;
	}
	fail_msg("UIP never cleared");
}

/* mc146818_set_time: SET, divider reset, the registers, then B and A
 * restored. */
static void linux_set_time(struct vrtc *r, const struct rtc_time *t)
{
	uint8_t b = rd(r, 0x0b), a;

	wr(r, 0x0b, b | 0x80);
	a = rd(r, 0x0a);
	wr(r, 0x0a, a | 0x70);
	wr(r, 0x09, t->year);
	wr(r, 0x08, t->mon);
	wr(r, 0x07, t->mday);
	wr(r, 0x04, t->hour);
	wr(r, 0x02, t->min);
	wr(r, 0x00, t->sec);
	wr(r, 0x32, t->century);
	wr(r, 0x0b, b);
	wr(r, 0x0a, a);
}

static void test_nvram(void **state)
{
	struct vrtc r;
	unsigned sum = 0;

	(void)state;
	setup_rtc(&r, LEAP_EVE, (32ull << 20) + 85 * 1024);
	assert_int_equal(rd(&r, 0x15) | rd(&r, 0x16) << 8, 640);
	assert_int_equal(rd(&r, 0x17) | rd(&r, 0x18) << 8, 31 * 1024 + 85);
	assert_int_equal(rd(&r, 0x30) | rd(&r, 0x31) << 8, 31 * 1024 + 85);
	assert_int_equal(rd(&r, 0x34) | rd(&r, 0x35) << 8, 257);
	assert_int_equal(rd(&r, 0x14), 0x02);
	assert_int_equal(rd(&r, 0x0f), 0x00);      /* shutdown: normal POST */
	assert_int_equal(rd(&r, 0x32), 0x20);      /* century, BCD */
	assert_int_equal(rd(&r, 0x0a), 0x26);
	assert_int_equal(rd(&r, 0x0b), 0x02);
	assert_int_equal(rd(&r, 0x0c), 0x00);
	assert_int_equal(rd(&r, 0x0d), 0x80);
	for (uint8_t i = 0x10; i < 0x2e; i++)
		sum += rd(&r, i);
	assert_int_equal(rd(&r, 0x2e) << 8 | rd(&r, 0x2f), sum);

	setup_rtc(&r, LEAP_EVE, 512ull << 20);
	assert_int_equal(rd(&r, 0x17) | rd(&r, 0x18) << 8, 0xffff);  /* capped */
	assert_int_equal(rd(&r, 0x34) | rd(&r, 0x35) << 8, (512 - 16) * 16);
	setup_rtc(&r, LEAP_EVE, 8ull << 20);
	assert_int_equal(rd(&r, 0x17) | rd(&r, 0x18) << 8, 7 * 1024);
	assert_int_equal(rd(&r, 0x34) | rd(&r, 0x35) << 8, 0);
	setup_rtc(&r, LEAP_EVE, 8ull << 30);
	assert_int_equal(rd(&r, 0x34) | rd(&r, 0x35) << 8, 0xffff);
	setup_rtc(&r, LEAP_EVE, 0);
	assert_int_equal(rd(&r, 0x17) | rd(&r, 0x18) << 8, 0);

	/* The NVRAM bytes are plain memory. */
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr(&r, (uint8_t)i, (uint8_t)(i ^ 0x5a));
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			assert_int_equal(rd(&r, (uint8_t)i), i ^ 0x5a);
}

static void test_ports(void **state)
{
	struct vrtc r;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	/* Bit 7 of the index is the NMI mask, not part of the index. */
	wr(&r, 0x8f, 0x0a);
	assert_int_equal(rd(&r, 0x0f), 0x0a);
	assert_int_equal(vrtc_read(&r, 0x70), 0xff);
	assert_int_equal(vrtc_read(&r, 0x72), 0xff);
	vrtc_write(&r, 0x72, 0x0f);
	assert_int_equal(rd(&r, 0x0f), 0x0a);
	/* D and C are read-only, as is A's UIP bit. */
	wr(&r, 0x0d, 0x00);
	assert_int_equal(rd(&r, 0x0d), 0x80);
	wr(&r, 0x0c, 0xf0);
	assert_int_equal(rd(&r, 0x0c), 0x00);
	now = S / 2;
	wr(&r, 0x0a, 0xa6);
	assert_int_equal(rd(&r, 0x0a), 0x26);
	/* Setting SET clears UIE. */
	wr(&r, 0x0b, 0x92);
	assert_int_equal(rd(&r, 0x0b), 0x82);
}

static void test_linux_read_bcd(void **state)
{
	struct vrtc r;
	struct rtc_time t;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	linux_get_time(&r, &t);
	assert_int_equal(t.sec, 0x58);
	assert_int_equal(t.min, 0x59);
	assert_int_equal(t.hour, 0x23);
	assert_int_equal(t.wday, 5);               /* Thursday */
	assert_int_equal(t.mday, 0x29);
	assert_int_equal(t.mon, 0x02);
	assert_int_equal(t.year, 0x24);
	assert_int_equal(t.century, 0x20);
	assert_int_equal(t.ctrl & 0x04, 0);        /* BCD */
	/* Two seconds on: the leap day rolls into March, a Friday. */
	now = 2 * S;
	linux_get_time(&r, &t);
	assert_int_equal(t.sec, 0x00);
	assert_int_equal(t.min, 0x00);
	assert_int_equal(t.hour, 0x00);
	assert_int_equal(t.wday, 6);
	assert_int_equal(t.mday, 0x01);
	assert_int_equal(t.mon, 0x03);
	/* A year later (2025 is not leap): 2025-03-01 after 2025-02-28. */
	now = 2 * S + 365ull * 86400 * S - S;
	linux_get_time(&r, &t);
	assert_int_equal(t.mday, 0x28);
	assert_int_equal(t.mon, 0x02);
	assert_int_equal(t.year, 0x25);
	assert_int_equal(t.sec, 0x59);
}

static void test_uip(void **state)
{
	struct vrtc r;
	struct rtc_time t;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	now = S - 245000;
	assert_int_equal(rd(&r, 0x0a) & 0x80, 0);
	now = S - 244000;
	assert_int_equal(rd(&r, 0x0a) & 0x80, 0x80);
	now = S - 1;
	assert_int_equal(rd(&r, 0x0a) & 0x80, 0x80);
	assert_int_equal(rd(&r, 0x00), 0x58);
	now = S;
	assert_int_equal(rd(&r, 0x0a) & 0x80, 0);
	assert_int_equal(rd(&r, 0x00), 0x59);
	/* Linux's read, started inside the window, waits it out and gets the
	 * new second. */
	now = 2 * S - 200000;
	linux_get_time(&r, &t);
	assert_true(now >= 2 * S);
	assert_int_equal(t.sec, 0x00);
	/* No updates, so no UIP, while SET is 1. */
	wr(&r, 0x0b, 0x82);
	now = 3 * S - 100000;
	assert_int_equal(rd(&r, 0x0a) & 0x80, 0);
}

static void test_binary_and_12_hour(void **state)
{
	struct vrtc r;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	wr(&r, 0x0b, 0x06);                         /* binary, 24-hour */
	assert_int_equal(rd(&r, 0x04), 23);
	assert_int_equal(rd(&r, 0x00), 58);
	assert_int_equal(rd(&r, 0x07), 29);
	assert_int_equal(rd(&r, 0x09), 24);
	assert_int_equal(rd(&r, 0x32), 20);
	wr(&r, 0x0b, 0x04);                         /* binary, 12-hour */
	assert_int_equal(rd(&r, 0x04), 0x80 | 11);  /* 11 PM */
	wr(&r, 0x0b, 0x00);                         /* BCD, 12-hour */
	assert_int_equal(rd(&r, 0x04), 0x91);
	now = 2 * S;
	assert_int_equal(rd(&r, 0x04), 0x12);       /* midnight: 12 AM */
	now = 2 * S + 3600 * S;
	assert_int_equal(rd(&r, 0x04), 0x01);
	now = 2 * S + 12 * 3600 * S;
	assert_int_equal(rd(&r, 0x04), 0x92);       /* noon: 12 PM */
	now = 2 * S + 13 * 3600 * S;
	assert_int_equal(rd(&r, 0x04), 0x81);
}

static void test_date_sweep_against_gmtime(void **state)
{
	static const int64_t extra[] = {
		0, 951782400, 951868800, 4107542400 - 1, 4107542400,
		LEAP_EVE, 946684799, 946684800, 2147483647, 2147483648,
	};
	struct vrtc r;
	struct tm tm;
	time_t tt;
	int64_t t;
	bool bin;

	(void)state;
	for (unsigned i = 0; i < 700 + sizeof(extra) / sizeof(extra[0]); i++) {
		t = i < 700 ? (int64_t)i * 6034567 + i * i : extra[i - 700];
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		setup_rtc(&r, (uint64_t)t, 0);
		assert_int_equal(bcd(rd(&r, 0x00)), tm.tm_sec);
		assert_int_equal(bcd(rd(&r, 0x02)), tm.tm_min);
		assert_int_equal(bcd(rd(&r, 0x04)), tm.tm_hour);
		assert_int_equal(rd(&r, 0x06), tm.tm_wday + 1);
		assert_int_equal(bcd(rd(&r, 0x07)), tm.tm_mday);
		assert_int_equal(bcd(rd(&r, 0x08)), tm.tm_mon + 1);
		assert_int_equal(bcd(rd(&r, 0x09)), (tm.tm_year + 1900) % 100);
		assert_int_equal(bcd(rd(&r, 0x32)), (tm.tm_year + 1900) / 100);
		wr(&r, 0x0b, 0x06);
		assert_int_equal(rd(&r, 0x07), tm.tm_mday);
		assert_int_equal(rd(&r, 0x08), tm.tm_mon + 1);
		assert_int_equal(rd(&r, 0x09), (tm.tm_year + 1900) % 100);

		/* Set through the registers a time 12345 days later and read it
		 * back, in BCD or binary: the parse inverts the display. */
		bin = i & 1;
		tt = (time_t)(t + 12345ll * 86400 + 4321);
		assert_non_null(gmtime_r(&tt, &tm));
		wr(&r, 0x0b, bin ? 0x86 : 0x82);
		wr(&r, 0x00, enc(bin, tm.tm_sec));
		wr(&r, 0x02, enc(bin, tm.tm_min));
		wr(&r, 0x04, enc(bin, tm.tm_hour));
		wr(&r, 0x07, enc(bin, tm.tm_mday));
		wr(&r, 0x08, enc(bin, tm.tm_mon + 1));
		wr(&r, 0x09, enc(bin, (tm.tm_year + 1900) % 100));
		wr(&r, 0x32, enc(bin, (tm.tm_year + 1900) / 100));
		wr(&r, 0x0b, bin ? 0x06 : 0x02);
		now += S;
		tt += 1;
		assert_non_null(gmtime_r(&tt, &tm));
		assert_int_equal(dec(bin, rd(&r, 0x00)), tm.tm_sec);
		assert_int_equal(dec(bin, rd(&r, 0x02)), tm.tm_min);
		assert_int_equal(dec(bin, rd(&r, 0x04)), tm.tm_hour);
		assert_int_equal(rd(&r, 0x06), tm.tm_wday + 1);
		assert_int_equal(dec(bin, rd(&r, 0x07)), tm.tm_mday);
		assert_int_equal(dec(bin, rd(&r, 0x08)), tm.tm_mon + 1);
		assert_int_equal(dec(bin, rd(&r, 0x09)), (tm.tm_year + 1900) % 100);
		assert_int_equal(dec(bin, rd(&r, 0x32)), (tm.tm_year + 1900) / 100);
	}
}

static void test_linux_set_time(void **state)
{
	struct vrtc r;
	struct rtc_time t = {
		.sec = 0x56, .min = 0x34, .hour = 0x12, .mday = 0x15,
		.mon = 0x06, .year = 0x30, .century = 0x20,
	};
	uint64_t t0;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	now = 1234567890;
	linux_set_time(&r, &t);
	/* Out of divider reset: the first update is 500 ms later. */
	t0 = now;
	now = t0 + S / 2 - 1;
	assert_int_equal(rd(&r, 0x00), 0x56);
	assert_int_equal(rd(&r, 0x06), 7);          /* a Saturday */
	now = t0 + S / 2;
	assert_int_equal(rd(&r, 0x00), 0x57);
	now = t0 + S / 2 + 3 * S;
	assert_int_equal(rd(&r, 0x00), 0x00);
	assert_int_equal(rd(&r, 0x02), 0x35);
	assert_int_equal(rd(&r, 0x09), 0x30);
	assert_int_equal(rd(&r, 0x08), 0x06);

	/* While SET is 1 the registers hold what was written. */
	wr(&r, 0x0b, 0x82);
	wr(&r, 0x00, 0x10);
	now += 5 * S;
	assert_int_equal(rd(&r, 0x00), 0x10);
	assert_int_equal(rd(&r, 0x02), 0x35);
}

static void test_set_keeps_divider_phase(void **state)
{
	struct vrtc r;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	/* SET alone does not touch the divider: the new time ticks over at
	 * the old phase, here each whole second of guest time. */
	now = 1300000000;
	wr(&r, 0x0b, 0x82);
	wr(&r, 0x00, 0x00);
	wr(&r, 0x02, 0x00);
	now = 1700000000;
	wr(&r, 0x0b, 0x02);
	now = 2 * S - 1;
	assert_int_equal(rd(&r, 0x00), 0x00);
	now = 2 * S;
	assert_int_equal(rd(&r, 0x00), 0x01);
	assert_int_equal(rd(&r, 0x02), 0x00);
	assert_int_equal(rd(&r, 0x04), 0x23);
	/* A write while the clock runs takes effect at once, phase kept. */
	now = 2 * S + S / 4;
	wr(&r, 0x02, 0x45);
	assert_int_equal(rd(&r, 0x02), 0x45);
	assert_int_equal(rd(&r, 0x00), 0x01);
	now = 3 * S;
	assert_int_equal(rd(&r, 0x00), 0x02);
	assert_int_equal(rd(&r, 0x02), 0x45);
}

static void test_periodic_1024hz(void **state)
{
	struct vrtc r;
	uint64_t dl;
	uint8_t c;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	assert_int_equal(vrtc_next_deadline(&r, now), DEV_NO_DEADLINE);
	/* rtc-cmos: rate 6 (1024 Hz) is the firmware default; PIE on. */
	(void)rd(&r, 0x0c);
	wr(&r, 0x0b, rd(&r, 0x0b) | 0x40);
	assert_false(line8);
	for (uint64_t k = 1; k <= 4096; k++) {
		dl = vrtc_next_deadline(&r, now);
		/* k * 976562.5 ns, rounded up: on the 32.768 kHz grid. */
		assert_int_equal(dl, (k * 1953125 + 1) / 2);
		vrtc_update(&r, dl - 1);
		assert_false(line8);
		now = dl;
		vrtc_update(&r, now);
		assert_true(line8);
		assert_int_equal(rises, k);
		assert_int_equal(vrtc_next_deadline(&r, now), DEV_NO_DEADLINE);
		/* IRQF and PF; UF each whole second, AF at midnight (the
		 * alarm registers are 00:00:00), which is at 2 s. */
		c = rd(&r, 0x0c);
		assert_int_equal(c & 0xc0, 0xc0);
		assert_int_equal(c & 0x10, k % 1024 ? 0 : 0x10);
		assert_int_equal(c & 0x20, k == 2048 ? 0x20 : 0);
		assert_false(line8);
		assert_int_equal(rd(&r, 0x0c), 0);
	}
	assert_int_equal(now, 4 * S);
	/* Register C unread: IRQ8 stays asserted and no edge follows. */
	now += 10 * S;
	vrtc_update(&r, now);
	assert_true(line8);
	vrtc_update(&r, now + S);
	assert_int_equal(rises, 4097);
	assert_int_equal(rd(&r, 0x0c) & 0xc0, 0xc0);

	/* Other rates: 8192 Hz, 2 Hz, and rate 1 = 256 Hz. */
	now = 100 * S;
	wr(&r, 0x0a, 0x23);
	(void)rd(&r, 0x0c);
	assert_int_equal(vrtc_next_deadline(&r, now), 100 * S + 122071);
	wr(&r, 0x0a, 0x2f);
	assert_int_equal(vrtc_next_deadline(&r, now), 100 * S + S / 2);
	wr(&r, 0x0a, 0x21);
	assert_int_equal(vrtc_next_deadline(&r, now), 100 * S + 3906250);
	/* Rate 0 or a divider in reset: no periodic interrupt. */
	wr(&r, 0x0a, 0x20);
	assert_int_equal(vrtc_next_deadline(&r, now), DEV_NO_DEADLINE);
	wr(&r, 0x0a, 0x76);
	assert_int_equal(vrtc_next_deadline(&r, now), DEV_NO_DEADLINE);
	now += S;
	assert_int_equal(rd(&r, 0x0c), 0);
}

static void test_flag_without_enable(void **state)
{
	struct vrtc r;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	/* PF sets with PIE clear; no IRQF, no IRQ. */
	now = 5000000;
	assert_int_equal(rd(&r, 0x0c), 0x40);
	assert_int_equal(rd(&r, 0x0c), 0x00);
	assert_int_equal(rises, 0);
	/* Enabling with the flag pending asserts IRQ at once. */
	now = 10000000;
	wr(&r, 0x0b, 0x42);
	assert_true(line8);
	assert_int_equal(rd(&r, 0x0c), 0xc0);
	assert_false(line8);
}

static void test_update_ended_interrupt(void **state)
{
	struct vrtc r;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	now = 300000000;
	wr(&r, 0x0b, 0x12);
	(void)rd(&r, 0x0c);
	assert_int_equal(vrtc_next_deadline(&r, now), S);
	now = S;
	vrtc_update(&r, now);
	assert_true(line8);
	assert_int_equal(rd(&r, 0x0c) & 0xf0, 0xd0);  /* IRQF, UF (and PF) */
	assert_int_equal(vrtc_next_deadline(&r, now), 2 * S);
	/* No update interrupts while SET holds the clock. */
	wr(&r, 0x0b, 0x82);
	wr(&r, 0x0b, 0x12);
	wr(&r, 0x0b, 0x92);
	now = 5 * S;
	assert_int_equal(rd(&r, 0x0c) & 0x10, 0);
	assert_int_equal(vrtc_next_deadline(&r, now), DEV_NO_DEADLINE);
}

static void test_alarm(void **state)
{
	struct vrtc r;

	(void)state;
	setup_rtc(&r, LEAP_EVE, 0);
	/* 00:00:05, two seconds past midnight plus five. */
	wr(&r, 0x01, 0x05);
	wr(&r, 0x03, 0x00);
	wr(&r, 0x05, 0x00);
	wr(&r, 0x0b, 0x22);
	(void)rd(&r, 0x0c);
	assert_int_equal(vrtc_next_deadline(&r, now), 7 * S);
	now = 7 * S - 1;
	vrtc_update(&r, now);
	assert_false(line8);
	now = 7 * S;
	vrtc_update(&r, now);
	assert_true(line8);
	assert_int_equal(rd(&r, 0x0c) & 0xa0, 0xa0);
	/* Next match: a day later. */
	assert_int_equal(vrtc_next_deadline(&r, now), 7 * S + 86400 * S);
	/* Don't-care seconds and minutes: any :mm:ss in hour 0. */
	wr(&r, 0x01, 0xc0);
	wr(&r, 0x03, 0xff);
	assert_int_equal(vrtc_next_deadline(&r, now), 8 * S);
	/* Hour 1 in 12-hour BCD with PM: 13:00:30. */
	wr(&r, 0x0b, 0x20);
	wr(&r, 0x01, 0x30);
	wr(&r, 0x03, 0x00);
	wr(&r, 0x05, 0x81);
	assert_int_equal(vrtc_next_deadline(&r, now), (2 + 13 * 3600 + 30) * S);
	/* An impossible alarm never fires. */
	wr(&r, 0x01, 0x75);
	assert_int_equal(vrtc_next_deadline(&r, now), DEV_NO_DEADLINE);

	/* With AIE clear the flag is still counted, even across a gap the
	 * VMM never looked at. */
	setup_rtc(&r, LEAP_EVE, 0);
	wr(&r, 0x01, 0x05);
	wr(&r, 0x03, 0x00);
	wr(&r, 0x05, 0x00);
	now = 6 * S;
	assert_int_equal(rd(&r, 0x0c) & 0x20, 0);
	now = 100 * S;
	assert_int_equal(rd(&r, 0x0c) & 0xa0, 0x20);
	assert_int_equal(rises, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvram),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_linux_read_bcd),
		cmocka_unit_test(test_uip),
		cmocka_unit_test(test_binary_and_12_hour),
		cmocka_unit_test(test_date_sweep_against_gmtime),
		cmocka_unit_test(test_linux_set_time),
		cmocka_unit_test(test_set_keeps_divider_phase),
		cmocka_unit_test(test_periodic_1024hz),
		cmocka_unit_test(test_flag_without_enable),
		cmocka_unit_test(test_update_ended_interrupt),
		cmocka_unit_test(test_alarm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
