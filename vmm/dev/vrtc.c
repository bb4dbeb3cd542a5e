/* MC146818A real-time clock (Motorola MC146818A datasheet) with the IBM
 * PC/AT CMOS conventions for the NVRAM bytes.
 *
 * The clock is kept as a wall time at a divider phase: while it runs,
 * wall(now) = base_sec + floor((now - phase) / 1 s), and the periodic
 * interrupt counts 32.768 kHz divider ticks from the same phase, so the
 * second boundaries and the periodic grid are exact and never drift.
 * Events (periodic, update-ended, alarm) are counted lazily over
 * (seen, now] on every access and update; the registers they touch only
 * change at those points, so a flag read is always as of now. */
#include "vmm/dev/vrtc.h"
#include "lib/string.h"

#define NS_PER_S    1000000000ll
#define DIV_HZ      32768
/* UIP rises 244 us (eight 32.768 kHz cycles, t_BUC) before the update. */
#define UIP_NS      244141
/* After the divider leaves reset the first update comes half a second
 * later (MC146818A datasheet, register A DV2-DV0). */
#define DIV_START_NS 500000000ll
#define SECS_PER_DAY 86400

#define A_UIP   0x80
#define A_DV    0x70
#define A_DV_RESET 0x60    /* DV2 DV1 = 11: divider chain held in reset */
#define A_RS    0x0f
#define B_SET   0x80
#define B_PIE   0x40
#define B_AIE   0x20
#define B_UIE   0x10
#define B_DM    0x04       /* 1: binary, 0: BCD */
#define B_24H   0x02
#define C_IRQF  0x80
#define C_PF    0x40
#define C_AF    0x20
#define C_UF    0x10
#define D_VRT   0x80
#define HOUR_PM 0x80
#define ALARM_ANY 0xc0     /* both high bits: "don't care" alarm byte */

static bool vrtc_divider_on(const struct vrtc *r)
{
	return (r->cmos[VRTC_REG_A] & A_DV_RESET) != A_DV_RESET;
}

/* Updates happen (and the time advances) with the divider running and
 * SET clear (MC146818A datasheet, register B SET). */
static bool vrtc_clock_on(const struct vrtc *r)
{
	return vrtc_divider_on(r) && !(r->cmos[VRTC_REG_B] & B_SET);
}

/* Nanoseconds since the divider phase; phase is never after a time the
 * model has been called with. */
static uint64_t vrtc_elapsed(const struct vrtc *r, uint64_t now)
{
	return (uint64_t)((int64_t)now - r->phase);
}

static int64_t vrtc_wall(const struct vrtc *r, uint64_t now)
{
	return r->base_sec + (int64_t)(vrtc_elapsed(r, now) / NS_PER_S);
}

/* 32.768 kHz divider ticks in ns (floor), and back (the first ns at or
 * after tick k). */
static uint64_t vrtc_ticks(uint64_t ns)
{
	return ns / NS_PER_S * DIV_HZ + ns % NS_PER_S * DIV_HZ / NS_PER_S;
}

static uint64_t vrtc_tick_ns(uint64_t k)
{
	return k / DIV_HZ * NS_PER_S + (k % DIV_HZ * NS_PER_S + DIV_HZ - 1) / DIV_HZ;
}

/* Periodic interrupt period in divider ticks from RS3-RS0, 0 when off
 * (MC146818A datasheet, periodic interrupt rate table, 32.768 kHz time
 * base: rates 1 and 2 repeat rates 8 and 9). */
static uint64_t vrtc_period_ticks(const struct vrtc *r)
{
	unsigned rs = r->cmos[VRTC_REG_A] & A_RS;

	if (!rs || !vrtc_divider_on(r))
		return 0;
	if (rs < 3)
		rs += 7;
	return 1ull << (rs - 1);
}

/* Date math (days from 1970-01-01 in the proleptic Gregorian calendar),
 * after H. Hinnant's days_from_civil / civil_from_days. */
static int64_t vrtc_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t vrtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = vrtc_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void vrtc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = vrtc_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Register encoding per register B DM (MC146818A datasheet, "Time,
 * Calendar and Alarm Data Modes"). */
static uint8_t vrtc_enc(const struct vrtc *r, unsigned v)
{
	if (r->cmos[VRTC_REG_B] & B_DM)
		return (uint8_t)v;
	return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

static unsigned vrtc_dec(const struct vrtc *r, uint8_t v)
{
	if (r->cmos[VRTC_REG_B] & B_DM)
		return v;
	return (unsigned)(v >> 4) * 10 + (v & 0xf);
}

/* In 12-hour mode hours run 1-12 with bit 7 for PM (register B 24/12). */
static uint8_t vrtc_enc_hour(const struct vrtc *r, unsigned h)
{
	if (r->cmos[VRTC_REG_B] & B_24H)
		return vrtc_enc(r, h);
	return (uint8_t)(vrtc_enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? HOUR_PM : 0));
}

static unsigned vrtc_dec_hour(const struct vrtc *r, uint8_t v)
{
	if (r->cmos[VRTC_REG_B] & B_24H)
		return vrtc_dec(r, v);
	return vrtc_dec(r, v & 0x7f) % 12 + (v & HOUR_PM ? 12 : 0);
}

/* The time registers (and the century byte) from a wall time. */
static void vrtc_store_time(struct vrtc *r, int64_t t)
{
	int64_t days = vrtc_floor_div(t, SECS_PER_DAY), year;
	unsigned sod = (unsigned)(t - days * SECS_PER_DAY), mon, day;

	vrtc_civil_from_days(days, &year, &mon, &day);
	r->cmos[VRTC_SECONDS] = vrtc_enc(r, sod % 60);
	r->cmos[VRTC_MINUTES] = vrtc_enc(r, sod / 60 % 60);
	r->cmos[VRTC_HOURS] = vrtc_enc_hour(r, sod / 3600);
	/* 1970-01-01 was a Thursday; the register counts Sunday as 1. */
	r->cmos[VRTC_WEEKDAY] = vrtc_enc(r, (unsigned)((days % 7 + 11) % 7) + 1);
	r->cmos[VRTC_DAY] = vrtc_enc(r, day);
	r->cmos[VRTC_MONTH] = vrtc_enc(r, mon);
	r->cmos[VRTC_YEAR] = vrtc_enc(r, (unsigned)(year % 100));
	r->cmos[VRTC_CENTURY] = vrtc_enc(r, (unsigned)(year / 100));
}

/* The wall time the time registers say, as a guest left them. Out-of-range
 * fields are clamped or carried rather than trusted. */
static int64_t vrtc_load_time(const struct vrtc *r)
{
	unsigned mon = vrtc_dec(r, r->cmos[VRTC_MONTH]);
	unsigned day = vrtc_dec(r, r->cmos[VRTC_DAY]);
	int64_t year = (int64_t)vrtc_dec(r, r->cmos[VRTC_CENTURY]) * 100 +
		       vrtc_dec(r, r->cmos[VRTC_YEAR]);

	mon = mon < 1 ? 1 : mon > 12 ? 12 : mon;
	day = day < 1 ? 1 : day > 31 ? 31 : day;
	return vrtc_days_from_civil(year, mon, day) * SECS_PER_DAY +
	       vrtc_dec_hour(r, r->cmos[VRTC_HOURS]) * 3600ll +
	       vrtc_dec(r, r->cmos[VRTC_MINUTES]) * 60ll +
	       vrtc_dec(r, r->cmos[VRTC_SECONDS]);
}

/* One alarm byte: the value to match, -1 for don't care, -2 for a value
 * no time can have. */
static int vrtc_alarm_field(const struct vrtc *r, unsigned reg, unsigned limit)
{
	uint8_t v = r->cmos[reg];
	unsigned x;

	if ((v & ALARM_ANY) == ALARM_ANY)
		return -1;
	x = reg == VRTC_HOUR_ALARM ? vrtc_dec_hour(r, v) : vrtc_dec(r, v);
	return x < limit ? (int)x : -2;
}

/* The first wall second after t that matches the alarm (MC146818A
 * datasheet, "Alarm"), or -1 if none ever does. Every pattern that can
 * match does so within a day. */
static int64_t vrtc_alarm_next(const struct vrtc *r, int64_t t)
{
	int as = vrtc_alarm_field(r, VRTC_SEC_ALARM, 60);
	int am = vrtc_alarm_field(r, VRTC_MIN_ALARM, 60);
	int ah = vrtc_alarm_field(r, VRTC_HOUR_ALARM, 24);
	int64_t day0 = vrtc_floor_div(t, SECS_PER_DAY) * SECS_PER_DAY;
	int64_t sod = t - day0, hs, ms, c;

	if (as == -2 || am == -2 || ah == -2)
		return -1;
	for (hs = sod / 3600 * 3600; hs <= sod + SECS_PER_DAY; hs += 3600) {
		if (ah >= 0 && (hs / 3600) % 24 != ah)
			continue;
		for (int m = 0; m < 60; m++) {
			if (am >= 0 && m != am)
				continue;
			ms = hs + m * 60;
			if (ms + 59 <= sod)
				continue;
			c = as >= 0 ? ms + as : (ms > sod ? ms : sod + 1);
			if (c > sod)
				return day0 + c;
		}
	}
	return -1;
}

static void vrtc_set_irq(struct vrtc *r)
{
	uint8_t *c = &r->cmos[VRTC_REG_C];
	bool level;

	/* IRQF = PF.PIE + AF.AIE + UF.UIE (MC146818A datasheet, register C). */
	if (*c & r->cmos[VRTC_REG_B] & (C_PF | C_AF | C_UF))
		*c |= C_IRQF;
	level = *c & C_IRQF;
	if (level != r->irq) {
		r->irq = level;
		r->env->irq_line(r->env->ctx, VRTC_IRQ, level);
	}
}

/* Counts the events in (seen, now]. Flags are set whatever the enable
 * bits (MC146818A datasheet, register C). */
static void vrtc_count_events(struct vrtc *r, uint64_t now)
{
	uint64_t per = vrtc_period_ticks(r), e0, e1;
	int64_t w0, w1, a;

	if (now <= r->seen)
		return;
	e0 = vrtc_elapsed(r, r->seen);
	e1 = vrtc_elapsed(r, now);
	if (per && vrtc_ticks(e1) / per > vrtc_ticks(e0) / per)
		r->cmos[VRTC_REG_C] |= C_PF;
	if (vrtc_clock_on(r)) {
		w0 = vrtc_wall(r, r->seen);
		w1 = vrtc_wall(r, now);
		if (w1 > w0) {
			r->cmos[VRTC_REG_C] |= C_UF;
			a = vrtc_alarm_next(r, w0);
			if (a >= 0 && a <= w1)
				r->cmos[VRTC_REG_C] |= C_AF;
		}
	}
	r->seen = now;
}

void vrtc_update(struct vrtc *r, uint64_t now)
{
	vrtc_count_events(r, now);
	if (vrtc_clock_on(r))
		vrtc_store_time(r, vrtc_wall(r, r->seen));
	vrtc_set_irq(r);
}

uint64_t vrtc_next_deadline(const struct vrtc *r, uint64_t now)
{
	uint8_t b = r->cmos[VRTC_REG_B];
	uint64_t per = vrtc_period_ticks(r), best = DEV_NO_DEADLINE, t, e;
	int64_t a;

	if (r->cmos[VRTC_REG_C] & C_IRQF)
		return DEV_NO_DEADLINE;
	e = vrtc_elapsed(r, r->seen);
	if ((b & B_PIE) && per) {
		t = (uint64_t)r->phase + vrtc_tick_ns((vrtc_ticks(e) / per + 1) * per);
		best = t < best ? t : best;
	}
	if ((b & B_UIE) && vrtc_clock_on(r)) {
		t = (uint64_t)r->phase + (e / NS_PER_S + 1) * NS_PER_S;
		best = t < best ? t : best;
	}
	if ((b & B_AIE) && vrtc_clock_on(r)) {
		a = vrtc_alarm_next(r, vrtc_wall(r, r->seen));
		if (a >= 0) {
			t = (uint64_t)(r->phase + (a - r->base_sec) * NS_PER_S);
			best = t < best ? t : best;
		}
	}
	if (best != DEV_NO_DEADLINE && best < now)
		best = now;
	return best;
}

/* The clock restarts from the time registers. With the divider running
 * all along the next update keeps the divider's phase: SET only inhibits
 * updates (MC146818A datasheet, register B SET). */
static void vrtc_rebase(struct vrtc *r, uint64_t now)
{
	r->phase += (int64_t)(vrtc_elapsed(r, now) / NS_PER_S * NS_PER_S);
	r->base_sec = vrtc_load_time(r);
}

static void vrtc_write_a(struct vrtc *r, uint8_t v, uint64_t now)
{
	bool div_was = vrtc_divider_on(r), clock_was = vrtc_clock_on(r);

	r->cmos[VRTC_REG_A] = v & (uint8_t)~A_UIP;
	if (!div_was && vrtc_divider_on(r))
		r->phase = (int64_t)now + DIV_START_NS - NS_PER_S;
	if (!clock_was && vrtc_clock_on(r))
		r->base_sec = vrtc_load_time(r);
}

static void vrtc_write_b(struct vrtc *r, uint8_t v, uint64_t now)
{
	bool clock_was = vrtc_clock_on(r);

	/* Setting SET clears UIE (MC146818A datasheet, register B). */
	if (v & B_SET)
		v &= (uint8_t)~B_UIE;
	r->cmos[VRTC_REG_B] = v;
	if (!clock_was && vrtc_clock_on(r))
		vrtc_rebase(r, now);
}

static bool vrtc_is_time_reg(uint8_t i)
{
	return i == VRTC_SECONDS || i == VRTC_MINUTES || i == VRTC_HOURS ||
	       i == VRTC_WEEKDAY || i == VRTC_DAY || i == VRTC_MONTH ||
	       i == VRTC_YEAR || i == VRTC_CENTURY;
}

uint8_t vrtc_read(struct vrtc *r, uint16_t port)
{
	uint64_t now;
	uint8_t v;

	if (port != VRTC_PORT_DATA)
		return 0xff;           /* the index port is write-only */
	now = r->env->now_ns(r->env->ctx);
	vrtc_update(r, now);
	switch (r->index) {
	case VRTC_REG_A:
		v = r->cmos[VRTC_REG_A];
		if (vrtc_clock_on(r) &&
		    NS_PER_S - vrtc_elapsed(r, now) % NS_PER_S <= UIP_NS)
			v |= A_UIP;
		return v;
	case VRTC_REG_C:
		/* Reading C clears every flag and releases IRQ. */
		v = r->cmos[VRTC_REG_C];
		r->cmos[VRTC_REG_C] = 0;
		vrtc_set_irq(r);
		return v;
	default:
		return r->cmos[r->index];
	}
}

void vrtc_write(struct vrtc *r, uint16_t port, uint8_t v)
{
	uint64_t now;

	if (port == VRTC_PORT_INDEX) {
		/* Bit 7 gates NMI on the PC; NMIs are not modelled. */
		r->index = v & 0x7f;
		return;
	}
	if (port != VRTC_PORT_DATA)
		return;
	now = r->env->now_ns(r->env->ctx);
	vrtc_update(r, now);
	switch (r->index) {
	case VRTC_REG_A:
		vrtc_write_a(r, v, now);
		break;
	case VRTC_REG_B:
		vrtc_write_b(r, v, now);
		break;
	case VRTC_REG_C:
	case VRTC_REG_D:
		return;                /* read-only */
	default:
		r->cmos[r->index] = v;
		/* Writes while the clock runs land as well: the clock goes
		 * on from the new value. */
		if (vrtc_is_time_reg(r->index) && vrtc_clock_on(r))
			vrtc_rebase(r, now);
		break;
	}
	vrtc_set_irq(r);
}

/* PC/AT CMOS memory bytes (IBM PC AT Technical Reference, CMOS RAM map):
 * base memory in KiB at 0x15, memory above 1 MiB in KiB at 0x17 and again
 * at 0x30 (capped at 0xffff), memory above 16 MiB in 64 KiB units at 0x34
 * (the convention SeaBIOS and other firmware read), all little-endian; the
 * checksum of 0x10-0x2d big-endian at 0x2e. */
static void vrtc_nvram(struct vrtc *r, uint64_t ram_bytes)
{
	uint64_t kib, units;
	unsigned sum = 0;

	r->cmos[VRTC_BASE_LO] = 640 & 0xff;
	r->cmos[VRTC_BASE_LO + 1] = 640 >> 8;
	kib = ram_bytes > (1u << 20) ? (ram_bytes - (1u << 20)) >> 10 : 0;
	kib = kib > 0xffff ? 0xffff : kib;
	r->cmos[VRTC_EXT_LO] = r->cmos[VRTC_EXT2_LO] = (uint8_t)kib;
	r->cmos[VRTC_EXT_LO + 1] = r->cmos[VRTC_EXT2_LO + 1] = (uint8_t)(kib >> 8);
	units = ram_bytes > (16u << 20) ? (ram_bytes - (16u << 20)) >> 16 : 0;
	units = units > 0xffff ? 0xffff : units;
	r->cmos[VRTC_HIGH_LO] = (uint8_t)units;
	r->cmos[VRTC_HIGH_LO + 1] = (uint8_t)(units >> 8);
	/* A math coprocessor, EGA/VGA display, no diskette drive. */
	r->cmos[VRTC_EQUIPMENT] = 0x02;
	for (unsigned i = 0x10; i < VRTC_CHECKSUM; i++)
		sum += r->cmos[i];
	r->cmos[VRTC_CHECKSUM] = (uint8_t)(sum >> 8);
	r->cmos[VRTC_CHECKSUM + 1] = (uint8_t)sum;
}

void vrtc_init(struct vrtc *r, const struct dev_env *env,
	       uint64_t epoch_seconds_at_now0, uint64_t ram_bytes)
{
	uint64_t now;

	memset(r, 0, sizeof(*r));
	r->env = env;
	now = env->now_ns(env->ctx);
	r->cmos[VRTC_REG_A] = 0x26;
	r->cmos[VRTC_REG_B] = B_24H;
	r->cmos[VRTC_REG_D] = D_VRT;     /* valid RAM and time */
	r->base_sec = (int64_t)epoch_seconds_at_now0;
	r->phase = 0;
	r->seen = now;
	vrtc_nvram(r, ram_bytes);
	vrtc_store_time(r, vrtc_wall(r, now));
}
