/* ACPI PM timer, PM1a event/control registers (ACPI 6.4, 4.8.3 "Fixed
 * Hardware Registers") and the reset control register at 0xCF9 (Intel ICH
 * datasheets, "Reset Control Register"; ACPI 6.4, 4.8.3.6 reset register).
 */
#include "vmm/dev/vpm.h"
#include "lib/string.h"

#define NS_PER_S 1000000000ull

/* PM1_EN bits that exist: TMR, GBL, PWRBTN, SLPBTN, RTC, PCIEXP_WAKE_DIS
 * (ACPI 6.4, table "PM1 Enable Registers Fixed Hardware Feature Enable
 * Bits"). The events that can set a status bit here are TMR and PWRBTN. */
#define EN_MASK        0x4721
#define SCI_EVENTS     0x0721
/* PM1_CNT (ACPI 6.4, 4.8.3.2.1): SCI_EN is owned by the hardware; BM_RLD
 * and SLP_TYP are kept; GBL_RLS and SLP_EN are write-only actions. */
#define CNT_SCI_EN     0x0001
#define CNT_BM_RLD     0x0002
#define CNT_SLP_TYP    0x1c00
#define CNT_SLP_SHIFT  10
#define CNT_SLP_EN     0x2000
/* 0xCF9: SYS_RST (1) and FULL_RST (3) choose the kind of reset; RST_CPU
 * (2) going to 1 performs it. */
#define RST_KEEP       0x0a
#define RST_CPU        0x04

static uint64_t vpm_ticks(uint64_t ns)
{
	return ns / NS_PER_S * VPM_PMTMR_HZ + ns % NS_PER_S * VPM_PMTMR_HZ / NS_PER_S;
}

static uint64_t vpm_tick_ns(uint64_t t)
{
	return t / VPM_PMTMR_HZ * NS_PER_S +
	       (t % VPM_PMTMR_HZ * NS_PER_S + VPM_PMTMR_HZ - 1) / VPM_PMTMR_HZ;
}

void vpmtimer_init(struct vpmtimer *t, bool ext32)
{
	t->ext32 = ext32;
	t->base = 0;
}

uint32_t vpmtimer_read(const struct vpmtimer *t, uint64_t now)
{
	uint64_t v = vpm_ticks(now) + t->base;

	return (uint32_t)(t->ext32 ? v : v & 0xffffff);
}

/* TMR_STS sets each time the counter's top bit changes (ACPI 6.4,
 * 4.8.3.3): every 2^23 or 2^31 ticks. */
static unsigned vpm_msb_shift(const struct vpm *pm)
{
	return pm->tmr.ext32 ? 31 : 23;
}

static void vpm_sci(struct vpm *pm)
{
	/* The SCI is a level, active while any enabled status bit is set. */
	bool level = (pm->cnt & CNT_SCI_EN) && (pm->sts & pm->en & SCI_EVENTS);

	if (level != pm->sci_level) {
		pm->sci_level = level;
		pm->env->irq_line(pm->env->ctx, pm->sci, level);
	}
}

static uint64_t vpm_mask(const struct vpm *pm)
{
	return pm->tmr.ext32 ? 0xffffffffull : 0xffffffull;
}

/* The counter at now, carried past its width. A hardware counter is read
 * and its advance since seen taken as the whole turns plus the remainder
 * closest to what guest time says elapsed, so no turn is missed between
 * two updates far apart. */
static uint64_t vpm_count(const struct vpm *pm, uint64_t now)
{
	uint64_t span = vpm_mask(pm) + 1, d, est;

	if (!pm->hw_read)
		return vpm_ticks(now) + pm->tmr.base;
	d = ((uint64_t)pm->hw_read(pm->hw_ctx) - pm->count) & vpm_mask(pm);
	est = now > pm->seen ? vpm_ticks(now - pm->seen) : 0;
	if (est > d)
		d += (est - d + span / 2) / span * span;
	return pm->count + d;
}

void vpm_update(struct vpm *pm, uint64_t now)
{
	unsigned sh = vpm_msb_shift(pm);
	uint64_t c;

	if (now <= pm->seen)
		return;
	c = vpm_count(pm, now);
	if (c >> sh != pm->count >> sh)
		pm->sts |= VPM_TMR_STS;
	pm->count = c;
	pm->seen = now;
	vpm_sci(pm);
}

uint64_t vpm_next_deadline(const struct vpm *pm, uint64_t now)
{
	unsigned sh = vpm_msb_shift(pm);
	uint64_t next, left, t;

	if (!(pm->en & VPM_TMR_STS) || (pm->sts & VPM_TMR_STS))
		return DEV_NO_DEADLINE;
	next = ((pm->count >> sh) + 1) << sh;
	if (!pm->hw_read) {
		t = vpm_tick_ns(next - pm->tmr.base);
		return t < now ? now : t;
	}
	left = next - pm->count;
	/* A hardware counter runs at its own rate, not guest time's: look
	 * a little early and again, closing in on the toggle, instead of
	 * arriving late by the rates' difference. */
	if (left > 64)
		left -= left / 32;
	t = pm->seen + vpm_tick_ns(left);
	return t < now ? now : t;
}

void vpm_follow_hw(struct vpm *pm, uint32_t (*hw_read)(void *ctx), void *ctx)
{
	pm->hw_read = hw_read;
	pm->hw_ctx = ctx;
	pm->count = hw_read(ctx);
}

void vpm_init(struct vpm *pm, const struct dev_env *env, unsigned sci_irq,
	      bool tmr_ext32)
{
	memset(pm, 0, sizeof(*pm));
	pm->env = env;
	pm->sci = sci_irq;
	vpmtimer_init(&pm->tmr, tmr_ext32);
	pm->cnt = CNT_SCI_EN;
	pm->seen = env->now_ns(env->ctx);
	pm->count = vpm_count(pm, pm->seen);
}

void vpm_power_button(struct vpm *pm)
{
	vpm_update(pm, pm->env->now_ns(pm->env->ctx));
	pm->sts |= VPM_PWRBTN_STS;
	vpm_sci(pm);
}

static uint8_t vpm_byte(const struct vpm *pm, uint16_t port, uint64_t now)
{
	switch (port) {
	case VPM_PM1A_EVT:
	case VPM_PM1A_EVT + 1:
		return (uint8_t)(pm->sts >> 8 * (port & 1));
	case VPM_PM1A_EVT + 2:
	case VPM_PM1A_EVT + 3:
		return (uint8_t)(pm->en >> 8 * (port & 1));
	case VPM_PM1A_CNT:
	case VPM_PM1A_CNT + 1:
		return (uint8_t)(pm->cnt >> 8 * (port & 1));
	case VPM_PM_TMR:
	case VPM_PM_TMR + 1:
	case VPM_PM_TMR + 2:
	case VPM_PM_TMR + 3:
		/* Read where it exits (string I/O, emulation): the counter
		 * the guest reads directly, as vpm_read just updated it. */
		if (pm->hw_read)
			return (uint8_t)((pm->count & vpm_mask(pm)) >> 8 * (port - VPM_PM_TMR));
		return (uint8_t)(vpmtimer_read(&pm->tmr, now) >> 8 * (port - VPM_PM_TMR));
	case VPM_RESET_PORT:
		return pm->rst;
	default:
		return 0xff;
	}
}

uint32_t vpm_read(struct vpm *pm, uint16_t port, unsigned size)
{
	uint64_t now = pm->env->now_ns(pm->env->ctx);
	uint32_t v = 0;

	vpm_update(pm, now);
	for (unsigned i = 0; i < size && i < 4; i++)
		v |= (uint32_t)vpm_byte(pm, (uint16_t)(port + i), now) << 8 * i;
	return v;
}

bool vpm_timer_peekable(const struct vpm *pm, uint16_t port, unsigned size)
{
	return !pm->hw_read && port >= VPM_PM_TMR && port + size <= VPM_PM_TMR + 4 && size <= 4;
}

bool vpm_timer_peek(const struct vpm *pm, uint16_t port, unsigned size, uint64_t now,
		    uint32_t *val)
{
	if (!vpm_timer_peekable(pm, port, size))
		return false;
	*val = vpmtimer_read(&pm->tmr, now) >> 8 * (port - VPM_PM_TMR);
	return true;
}

/* A write to PM1_CNT, whole register as it now reads plus the write-only
 * bits written. */
static enum vpm_action vpm_cnt(struct vpm *pm, uint16_t v)
{
	pm->cnt = (uint16_t)(CNT_SCI_EN | (v & (CNT_BM_RLD | CNT_SLP_TYP)));
	/* SLP_EN starts the transition to the state in SLP_TYP (ACPI 6.4,
	 * 4.8.3.2.1 and 16.1.6 "Transitioning from the Working to the
	 * Sleeping State"); only S5 is offered. */
	if ((v & CNT_SLP_EN) &&
	    ((v & CNT_SLP_TYP) >> CNT_SLP_SHIFT) == VPM_SLP_TYP_S5)
		return VPM_POWEROFF;
	return VPM_NONE;
}

enum vpm_action vpm_write(struct vpm *pm, uint16_t port, unsigned size, uint32_t v)
{
	enum vpm_action act = VPM_NONE;
	uint16_t clear = 0, en = pm->en, en_mask = 0, cnt = pm->cnt, cnt_mask = 0;

	vpm_update(pm, pm->env->now_ns(pm->env->ctx));
	for (unsigned i = 0; i < size && i < 4; i++) {
		uint16_t p = (uint16_t)(port + i);
		uint16_t b = (uint8_t)(v >> 8 * i);
		unsigned sh = 8 * (p & 1);

		switch (p) {
		case VPM_PM1A_EVT:
		case VPM_PM1A_EVT + 1:
			clear |= (uint16_t)(b << sh);    /* write 1 to clear */
			break;
		case VPM_PM1A_EVT + 2:
		case VPM_PM1A_EVT + 3:
			en_mask |= (uint16_t)(0xff << sh);
			en = (uint16_t)((en & ~(0xff << sh)) | b << sh);
			break;
		case VPM_PM1A_CNT:
		case VPM_PM1A_CNT + 1:
			cnt_mask |= (uint16_t)(0xff << sh);
			cnt = (uint16_t)((cnt & ~(0xff << sh)) | b << sh);
			break;
		case VPM_RESET_PORT:
			pm->rst = (uint8_t)(b & RST_KEEP);
			if (b & RST_CPU)
				act = VPM_RESET;
			break;
		default:
			break;             /* the timer is read-only */
		}
	}
	pm->sts &= (uint16_t)~clear;
	if (en_mask)
		pm->en = en & EN_MASK;
	if (cnt_mask && vpm_cnt(pm, cnt) == VPM_POWEROFF)
		act = VPM_POWEROFF;
	vpm_sci(pm);
	return act;
}
