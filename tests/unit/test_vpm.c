/* ACPI PM timer (24- and 32-bit wrap), PM1 status/enable/control, Linux's
 * S5 entry and 0xCF9 reset sequences, the power button and TMR_STS SCIs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/dev/vpm.h"

#define SCI 9

static uint64_t now;
static bool sci;
static unsigned sci_rises;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now;
}

static void fake_irq(void *ctx, unsigned line, bool level)
{
	(void)ctx;
	assert_int_equal(line, SCI);
	assert_true(level != sci);     /* every call is a transition */
	sci = level;
	sci_rises += level;
}

static const struct dev_env env = { .now_ns = fake_now, .irq_line = fake_irq };

static uint64_t ns_of(uint64_t t)
{
	return (uint64_t)(((unsigned __int128)t * 1000000000u + VPM_PMTMR_HZ - 1) /
			  VPM_PMTMR_HZ);
}

static void setup_pm(struct vpm *pm, bool ext32)
{
	now = 0;
	sci = false;
	sci_rises = 0;
	vpm_init(pm, &env, SCI, ext32);
}

static void test_pm_timer_24bit(void **state)
{
	struct vpmtimer t;
	struct vpm pm;
	uint64_t w = 1ull << 24;

	(void)state;
	vpmtimer_init(&t, false);
	assert_int_equal(vpmtimer_read(&t, 0), 0);
	assert_int_equal(vpmtimer_read(&t, 1000000000), 3579545);
	assert_int_equal(vpmtimer_read(&t, 1000000000ull * 3600), (3579545ull * 3600) & 0xffffff);
	/* The first ns of each tick. */
	assert_int_equal(vpmtimer_read(&t, ns_of(12345) - 1), 12344);
	assert_int_equal(vpmtimer_read(&t, ns_of(12345)), 12345);
	/* Wraps at 2^24, every 4.687 s. */
	assert_int_equal(vpmtimer_read(&t, ns_of(w) - 1), 0xffffff);
	assert_int_equal(vpmtimer_read(&t, ns_of(w)), 0);
	assert_int_equal(vpmtimer_read(&t, ns_of(3 * w + 7)), 7);
	assert_true(ns_of(w) > 4686000000ull && ns_of(w) < 4688000000ull);

	/* Through the port: 32-bit and byte reads of the same value. */
	setup_pm(&pm, false);
	now = ns_of(w + 0x123456);
	assert_int_equal(vpm_read(&pm, VPM_PM_TMR, 4), 0x123456);
	assert_int_equal(vpm_read(&pm, VPM_PM_TMR + 1, 1), 0x34);
	assert_int_equal(vpm_read(&pm, VPM_PM_TMR + 3, 1), 0x00);
	/* Read-only. */
	assert_int_equal(vpm_write(&pm, VPM_PM_TMR, 4, 0), VPM_NONE);
	assert_int_equal(vpm_read(&pm, VPM_PM_TMR, 4), 0x123456);
	/* acpi_pm_read_verified: successive reads never go back. */
	for (uint32_t i = 0, last = 0; i < 1000; i++) {
		uint32_t v;

		now += 137;
		v = vpm_read(&pm, VPM_PM_TMR, 4);
		if (i)
			assert_true(((v - last) & 0xffffff) <= 1);
		last = v;
	}
}

static void test_pm_timer_32bit(void **state)
{
	struct vpmtimer t;

	(void)state;
	vpmtimer_init(&t, true);
	assert_int_equal(vpmtimer_read(&t, ns_of(1ull << 24)), 1u << 24);
	assert_int_equal(vpmtimer_read(&t, ns_of(1ull << 32) - 1), 0xffffffffu);
	assert_int_equal(vpmtimer_read(&t, ns_of(1ull << 32)), 0);
	assert_int_equal(vpmtimer_read(&t, ns_of((1ull << 32) + 99)), 99);
}

static void test_linux_s5(void **state)
{
	struct vpm pm;
	uint32_t cnt;

	(void)state;
	setup_pm(&pm, false);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_CNT, 2), 0x0001);  /* SCI_EN */
	/* acpi_hw_legacy_sleep: clear WAK_STS, read PM1_CNT, write SLP_TYP,
	 * then SLP_TYP | SLP_EN. */
	assert_int_equal(vpm_write(&pm, VPM_PM1A_EVT, 2, VPM_WAK_STS), VPM_NONE);
	cnt = vpm_read(&pm, VPM_PM1A_CNT, 2);
	cnt &= ~0x3c00u;
	cnt |= VPM_SLP_TYP_S5 << 10;
	assert_int_equal(vpm_write(&pm, VPM_PM1A_CNT, 2, cnt), VPM_NONE);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_CNT, 2), 0x1401);
	cnt |= 0x2000;
	assert_int_equal(vpm_write(&pm, VPM_PM1A_CNT, 2, cnt), VPM_POWEROFF);
	/* SLP_EN is write-only. */
	assert_int_equal(vpm_read(&pm, VPM_PM1A_CNT, 2), 0x1401);
	/* A byte write of the high half works as well. */
	assert_int_equal(vpm_write(&pm, VPM_PM1A_CNT + 1, 1, 0x34), VPM_POWEROFF);
	/* Other sleep types are not offered: nothing happens. */
	for (uint32_t typ = 0; typ < 8; typ++)
		if (typ != VPM_SLP_TYP_S5)
			assert_int_equal(vpm_write(&pm, VPM_PM1A_CNT, 2,
						   0x2000 | typ << 10), VPM_NONE);
	/* SCI_EN belongs to the hardware: a write of 0 leaves it set. */
	vpm_write(&pm, VPM_PM1A_CNT, 2, 0);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_CNT, 2), 0x0001);
}

static void test_reset_register(void **state)
{
	struct vpm pm;
	uint8_t cf9;

	(void)state;
	setup_pm(&pm, false);
	/* native_machine_emergency_restart, BOOT_CF9_FORCE, cold reboot. */
	cf9 = (uint8_t)(vpm_read(&pm, VPM_RESET_PORT, 1) & ~0x0e);
	assert_int_equal(vpm_write(&pm, VPM_RESET_PORT, 1, cf9 | 0x02), VPM_NONE);
	assert_int_equal(vpm_read(&pm, VPM_RESET_PORT, 1), 0x02);
	assert_int_equal(vpm_write(&pm, VPM_RESET_PORT, 1, cf9 | 0x0e), VPM_RESET);
	/* Warm: 0x06, also the FADT RESET_VALUE for acpi_reboot. */
	assert_int_equal(vpm_write(&pm, VPM_RESET_PORT, 1, VPM_RESET_VALUE), VPM_RESET);
	assert_int_equal(vpm_write(&pm, VPM_RESET_PORT, 1, 0x08), VPM_NONE);
	assert_int_equal(vpm_read(&pm, VPM_RESET_PORT, 1), 0x08);
	/* Unclaimed bytes. */
	assert_int_equal(vpm_read(&pm, 0x606, 1), 0xff);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_CNT, 4), 0xffff0001);
	assert_int_equal(vpm_write(&pm, 0x606, 2, 0x2000 | 5 << 10), VPM_NONE);
}

static void test_power_button(void **state)
{
	struct vpm pm;

	(void)state;
	setup_pm(&pm, false);
	/* Not enabled: the status is recorded, no SCI. */
	vpm_power_button(&pm);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT, 2), VPM_PWRBTN_STS);
	assert_false(sci);
	/* Enabling with the status set raises the SCI. */
	vpm_write(&pm, VPM_PM1A_EVT + 2, 2, 0x0100);
	assert_true(sci);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT, 4), 0x01000100);
	/* The handler clears it by writing 1. */
	vpm_write(&pm, VPM_PM1A_EVT, 2, VPM_PWRBTN_STS);
	assert_false(sci);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT, 2), 0);
	/* Writing 0 clears nothing. */
	vpm_power_button(&pm);
	assert_true(sci);
	vpm_write(&pm, VPM_PM1A_EVT, 2, 0);
	assert_true(sci);
	vpm_write(&pm, VPM_PM1A_EVT + 1, 1, 0x01);     /* byte access */
	assert_false(sci);
	assert_int_equal(sci_rises, 2);
	/* Only the defined enable bits stick. */
	vpm_write(&pm, VPM_PM1A_EVT + 2, 2, 0xffff);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT + 2, 2), 0x4721);
}

static void test_tmr_sts(void **state)
{
	struct vpm pm;
	uint64_t half = 1ull << 23;

	(void)state;
	setup_pm(&pm, false);
	/* TMR_EN clear: no deadline, but the flag is still counted. */
	assert_int_equal(vpm_next_deadline(&pm, 0), DEV_NO_DEADLINE);
	now = ns_of(half) - 1;
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT, 2) & VPM_TMR_STS, 0);
	now = ns_of(half);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT, 2) & VPM_TMR_STS, VPM_TMR_STS);
	assert_false(sci);
	vpm_write(&pm, VPM_PM1A_EVT, 2, VPM_TMR_STS);
	/* TMR_EN: an SCI each time bit 23 changes. */
	vpm_write(&pm, VPM_PM1A_EVT + 2, 2, 0x0001);
	for (uint64_t k = 2; k < 10; k++) {
		uint64_t dl = vpm_next_deadline(&pm, now);

		assert_int_equal(dl, ns_of(k * half));
		vpm_update(&pm, dl - 1);
		assert_false(sci);
		now = dl;
		vpm_update(&pm, now);
		assert_true(sci);
		assert_int_equal(vpm_next_deadline(&pm, now), DEV_NO_DEADLINE);
		vpm_write(&pm, VPM_PM1A_EVT, 2, VPM_TMR_STS);
		assert_false(sci);
	}
	/* 32-bit timer: bit 31, every 10 minutes. */
	setup_pm(&pm, true);
	vpm_write(&pm, VPM_PM1A_EVT + 2, 2, 0x0001);
	assert_int_equal(vpm_next_deadline(&pm, now), ns_of(1ull << 31));
}

/* A machine's PM timer that guests read directly, running at num/den of
 * the rate guest time says, starting at hw0. */
static uint64_t hw0, hw_num = 1, hw_den = 1;

static uint64_t hw_ticks(void)
{
	return hw0 + (uint64_t)((unsigned __int128)now * VPM_PMTMR_HZ * hw_num /
				((unsigned __int128)1000000000u * hw_den));
}

static uint32_t fake_hw(void *ctx)
{
	(void)ctx;
	return (uint32_t)hw_ticks() & 0xffffff;
}

/* TMR_STS follows a hardware counter that drifts from guest time, as
 * the machine's does from a TSC calibrated to within a fraction of a
 * percent: the SCI comes when bit 23 of what the guest reads changes,
 * not early, and late by less than 0.1 ms, for a counter faster or
 * slower than guest time. */
static void test_tmr_sts_hw(void **state)
{
	static const uint64_t rates[][2] = { { 10043, 10000 }, { 9900, 10000 }, { 1, 1 } };
	struct vpm pm;

	(void)state;
	for (unsigned r = 0; r < 3; r++) {
		setup_pm(&pm, false);
		hw_num = rates[r][0];
		hw_den = rates[r][1];
		hw0 = 0x7ff000;
		vpm_follow_hw(&pm, fake_hw, NULL);
		vpm_write(&pm, VPM_PM1A_EVT + 2, 2, 0x0001);
		for (unsigned k = 0; k < 6; k++) {
			uint64_t before = hw_ticks() >> 23, wakes = 0;

			for (;;) {
				uint64_t dl = vpm_next_deadline(&pm, now);

				assert_true(dl != DEV_NO_DEADLINE && dl >= now);
				now = dl;
				vpm_update(&pm, now);
				wakes++;
				if (sci)
					break;
				assert_int_equal(hw_ticks() >> 23, before);
				assert_true(wakes < 40);
			}
			/* Crossed, and by less than 0.1 ms of ticks. */
			assert_int_equal(hw_ticks() >> 23, before + 1);
			assert_true((hw_ticks() & 0x7fffff) < VPM_PMTMR_HZ / 10000);
			assert_true(wakes <= 8);
			vpm_write(&pm, VPM_PM1A_EVT, 2, VPM_TMR_STS);
			assert_false(sci);
		}
	}
	/* An access that exits reads the machine's counter too, not guest
	 * time's. */
	hw_num = 10043;
	now += ns_of(12345);
	assert_int_equal(vpm_read(&pm, VPM_PM_TMR, 4), fake_hw(NULL));
	hw_num = hw_den = 1;
	/* TMR_EN clear and no update for two whole turns of the counter
	 * (it reads the same value again): the toggles are still counted. */
	setup_pm(&pm, false);
	hw_num = hw_den = 1;
	hw0 = 0x100;
	vpm_follow_hw(&pm, fake_hw, NULL);
	now = ns_of(2ull << 24);
	assert_int_equal(fake_hw(NULL), 0x100);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT, 2) & VPM_TMR_STS, VPM_TMR_STS);
	vpm_write(&pm, VPM_PM1A_EVT, 2, VPM_TMR_STS);
	/* Less than half a turn later, on the same side of bit 23: none. */
	now += ns_of(1ull << 20);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT, 2) & VPM_TMR_STS, 0);
}

/* A read of the PM timer without the partition's lock (vpm_timer_peek):
 * the same value vpm_read gives at the same moment for every size and
 * offset inside PM_TMR, 24 and 32 bits wide, the model untouched; and a
 * TMR_STS that the read would have set is set by the next vpm_read all
 * the same. Refused outside PM_TMR, across its end, and while the timer
 * follows a hardware counter. */
static void test_timer_peek(void **state)
{
	static const uint64_t times[] = { 0, 1, 999, 1000000000, 4686390000ull, 12345678901234ull };
	struct vpm pm, before;
	uint32_t v;

	(void)state;
	for (int ext = 0; ext < 2; ext++) {
		setup_pm(&pm, ext);
		for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++)
			for (unsigned port = VPM_PM_TMR; port < VPM_PM_TMR + 4; port++)
				for (unsigned size = 1; size <= 4; size *= 2) {
					if (port + size > VPM_PM_TMR + 4) {
						assert_false(vpm_timer_peekable(&pm, (uint16_t)port, size));
						assert_false(vpm_timer_peek(&pm, (uint16_t)port, size,
									    times[k], &v));
						continue;
					}
					now = times[k];
					before = pm;
					assert_true(vpm_timer_peekable(&pm, (uint16_t)port, size));
					assert_true(vpm_timer_peek(&pm, (uint16_t)port, size, now, &v));
					assert_memory_equal(&pm, &before, sizeof(pm));
					uint32_t mask = size == 4 ? ~0u : (1u << 8 * size) - 1;
					assert_int_equal(v & mask, vpm_read(&pm, (uint16_t)port, size));
				}
	}
	/* TMR_STS: a peek past the toggle changes nothing; the next read of
	 * PM1_STS finds it set. */
	setup_pm(&pm, false);
	now = ns_of(1ull << 23);
	assert_true(vpm_timer_peek(&pm, VPM_PM_TMR, 4, now, &v));
	assert_int_equal(v, 1u << 23);
	assert_int_equal(pm.sts & VPM_TMR_STS, 0);
	assert_int_equal(vpm_read(&pm, VPM_PM1A_EVT, 2) & VPM_TMR_STS, VPM_TMR_STS);
	/* Not the PM timer, or not guest time's. */
	assert_false(vpm_timer_peek(&pm, VPM_PM1A_EVT, 2, now, &v));
	assert_false(vpm_timer_peek(&pm, VPM_PM_TMR - 1, 1, now, &v));
	assert_false(vpm_timer_peek(&pm, VPM_PM_TMR + 4, 1, now, &v));
	vpm_follow_hw(&pm, fake_hw, NULL);
	assert_false(vpm_timer_peekable(&pm, VPM_PM_TMR, 4));
	assert_false(vpm_timer_peek(&pm, VPM_PM_TMR, 4, now, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pm_timer_24bit),
		cmocka_unit_test(test_pm_timer_32bit),
		cmocka_unit_test(test_linux_s5),
		cmocka_unit_test(test_reset_register),
		cmocka_unit_test(test_power_button),
		cmocka_unit_test(test_tmr_sts),
		cmocka_unit_test(test_tmr_sts_hw),
		cmocka_unit_test(test_timer_peek),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
