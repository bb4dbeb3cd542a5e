/* 8254 programmable interval timer (Intel 82C54 datasheet) and port 0x61.
 *
 * Each counter is kept as a waveform, not ticked: CE and OUT are functions
 * of d, the input clocks counted since the count was loaded, and d comes
 * from guest time. Ticks are absolute (tick 0 at guest time 0) and the
 * conversions below are exact in both directions, so periodic deadlines
 * land on the same tick grid forever and never drift. */
#include "vmm/dev/vpit.h"
#include "lib/string.h"

#define NS_PER_S  1000000000ull
#define NO_TICK   UINT64_MAX

#define CW_SC(v)     ((v) >> 6)         /* select counter, 3 = read-back */
#define CW_RW(v)     (((v) >> 4) & 3)   /* 0 = counter latch command */
#define CW_M(v)      (((v) >> 1) & 7)
#define CW_BCD       0x01
#define RB_NCOUNT    0x20               /* read-back: do not latch count */
#define RB_NSTATUS   0x10               /* read-back: do not latch status */
#define ST_OUT       0x80
#define ST_NULL      0x40

#define P61_GATE2    0x01
#define P61_RW_MASK  0x0f
#define P61_REFRESH  0x10
#define P61_OUT2     0x20
/* The refresh request bit toggles on each output of counter 1 in the
 * firmware's refresh setup (count 18: every 15.09 us); it is derived from
 * the clock so that delay loops polling it work. */
#define REFRESH_TICKS 18

/* floor(ns * VPIT_HZ / 1e9), without overflow. */
static uint64_t vpit_tick(uint64_t ns)
{
	return ns / NS_PER_S * VPIT_HZ + ns % NS_PER_S * VPIT_HZ / NS_PER_S;
}

/* The first nanosecond at which vpit_tick reaches tick. */
static uint64_t vpit_ns(uint64_t tick)
{
	uint64_t s = tick / VPIT_HZ, r = tick % VPIT_HZ;

	return s * NS_PER_S + (r * NS_PER_S + VPIT_HZ - 1) / VPIT_HZ;
}

static uint64_t vpit_now(const struct vpit *p)
{
	return p->env->now_ns(p->env->ctx);
}

static uint32_t vpit_bcd_to_bin(uint16_t v)
{
	return (uint32_t)(v & 0xf) + ((v >> 4) & 0xf) * 10u +
	       ((v >> 8) & 0xf) * 100u + (v >> 12) * 1000u;
}

static uint16_t vpit_bin_to_bcd(uint32_t v)
{
	return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
			  (v / 1000 % 10) << 12);
}

/* The count register's value in clocks: 0 is the largest count, 2^16 in
 * binary or 10^4 in BCD (82C54 datasheet, "Counter Operation"). */
static uint32_t vpit_count_n(const struct vpit_channel *c, uint16_t cr)
{
	uint32_t n = c->bcd ? vpit_bcd_to_bin(cr) : cr;

	if (!n)
		n = c->bcd ? 10000 : 65536;
	return n;
}

static uint32_t vpit_modulus(const struct vpit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

/* Modes 2 and 3 take a rewritten count at the end of the period. */
static void vpit_catch_up(struct vpit_channel *c, uint64_t t)
{
	if (c->reload_at != NO_TICK && t >= c->reload_at) {
		c->n = c->cr_n;
		c->start = c->reload_at;
		c->reload_at = NO_TICK;
		c->null_count = false;
	}
}

/* The channel as it is at tick t. */
static struct vpit_channel vpit_view(const struct vpit_channel *c, uint64_t t)
{
	struct vpit_channel v = *c;

	vpit_catch_up(&v, t);
	return v;
}

static uint64_t vpit_d(const struct vpit_channel *c, uint64_t t)
{
	if (!c->running)
		return c->d_frozen;
	return t > c->start ? t - c->start : 0;
}

/* OUT at tick t (82C54 datasheet, the mode descriptions and waveforms). */
static bool vpit_out(const struct vpit_channel *c, uint64_t t)
{
	uint64_t d = vpit_d(c, t);

	if (!c->loaded)
		return c->mode != 0;    /* mode 0: low after the control word */
	switch (c->mode) {
	case 0:
	case 1:
		/* Mode 0: low until terminal count. Mode 1: low from the
		 * trigger until terminal count. */
		return d >= c->n;
	case 2:
		/* High, low for the one clock CE is 1; gate low forces high.
		 * A count of 1 is illegal in modes 2 and 3: kept high. */
		if (!c->running || c->n < 2)
			return true;
		return d % c->n != c->n - 1;
	case 3:
		/* High for ceil(N/2) clocks, low for floor(N/2). */
		if (!c->running || c->n < 2)
			return true;
		return d % c->n < (c->n + 1) / 2;
	default:
		/* Modes 4 and 5: a one-clock low strobe at terminal count. */
		return d != c->n;
	}
}

/* CE at tick t, in binary. */
static uint32_t vpit_ce(const struct vpit_channel *c, uint64_t t)
{
	uint64_t d = vpit_d(c, t), m = vpit_modulus(c), pos, half;

	if (!c->loaded)
		return c->ce_hold;
	switch (c->mode) {
	case 2:
		/* N, N-1, ..., 1, reload. */
		return (uint32_t)(c->n - d % c->n) % (uint32_t)m;
	case 3:
		/* Decrements by two each half-period: from N if even, from
		 * N-1 if odd, where the high half runs one clock more, on
		 * to 0 (82C54 datasheet, mode 3 odd counts). */
		pos = d % c->n;
		half = (c->n + 1) / 2;
		if (pos >= half)
			pos -= half;
		return (uint32_t)(((c->n & ~1u) - 2 * pos) % m);
	default:
		/* Modes 0, 1, 4, 5 wrap past terminal count and go on. */
		return (uint32_t)((c->n % m + m - d % m) % m);
	}
}

static uint16_t vpit_ce_reg(const struct vpit_channel *c, uint64_t t)
{
	uint32_t v = vpit_ce(c, t);

	return c->bcd ? vpit_bin_to_bcd(v) : (uint16_t)v;
}

/* The first tick after a at which OUT rises by itself, or NO_TICK. */
static uint64_t vpit_next_rise(const struct vpit_channel *ch, uint64_t a)
{
	struct vpit_channel c = vpit_view(ch, a);
	uint64_t r, k;

	if (!c.loaded || !c.running)
		return NO_TICK;
	switch (c.mode) {
	case 0:
	case 1:
		r = c.start + c.n;
		break;
	case 2:
	case 3:
		if (c.n < 2)
			return NO_TICK;
		/* Both rise at every period boundary; a pending reload is
		 * itself a boundary, so the first one after a comes first. */
		k = a >= c.start ? (a - c.start) / c.n + 1 : 1;
		r = c.start + k * c.n;
		break;
	default:
		r = c.start + c.n + 1;
		break;
	}
	return r > a ? r : NO_TICK;
}

static void vpit_status(struct vpit_channel *c, uint64_t t)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)((vpit_out(c, t) ? ST_OUT : 0) |
			      (c->null_count ? ST_NULL : 0) | c->rw << 4 |
			      c->mode_bits << 1 | (c->bcd ? CW_BCD : 0));
	c->status_latched = true;
}

/* Counter latch: later latches are ignored until the count is read
 * (82C54 datasheet, "Counter Latch Command"). */
static void vpit_latch(struct vpit_channel *c, uint64_t t)
{
	if (c->latched)
		return;
	c->latch = vpit_ce_reg(c, t);
	c->latched = c->rw == 3 ? 2 : 1;
}

/* Starts CE counting n from tick t, or holds it at d = 0 while the gate
 * keeps it from counting. */
static void vpit_start(struct vpit_channel *c, uint64_t t)
{
	c->n = c->cr_n;
	c->loaded = true;
	c->null_count = false;
	c->reload_at = NO_TICK;
	c->start = t;
	c->d_frozen = 0;
	c->running = c->gate;
}

/* A complete count was written. */
static void vpit_load(struct vpit_channel *c, uint16_t cr, uint64_t t)
{
	c->cr_n = vpit_count_n(c, cr);
	c->cr_valid = true;
	c->null_count = true;
	switch (c->mode) {
	case 0:
	case 4:
		/* A new count restarts the count at once. */
		vpit_start(c, t);
		break;
	case 2:
	case 3:
		if (!c->loaded)
			vpit_start(c, t);
		else if (c->running)
			/* Counting goes on; the count takes effect at the
			 * end of the current period. */
			c->reload_at = c->start + ((t - c->start) / c->n + 1) * c->n;
		/* else: the gate's next rising edge loads it. */
		break;
	default:
		/* Modes 1 and 5 load on the gate's rising edge. */
		break;
	}
}

static void vpit_control(struct vpit_channel *c, uint8_t v, uint64_t t)
{
	/* All of the counter's control logic resets; CE keeps its value
	 * until a count is loaded. */
	c->ce_hold = (uint16_t)vpit_ce(c, t);
	c->mode_bits = CW_M(v);
	c->mode = c->mode_bits > 5 ? c->mode_bits - 4 : c->mode_bits;
	c->rw = CW_RW(v);
	c->bcd = v & CW_BCD;
	c->cr_valid = false;
	c->loaded = false;
	c->running = false;
	c->reload_at = NO_TICK;
	c->null_count = true;
	c->wr_msb_next = false;
	c->rd_msb_next = false;
	c->latched = 0;
	c->status_latched = false;
}

/* Gate input (82C54 datasheet, "Gate Pin Operations Summary"). */
static void vpit_gate(struct vpit_channel *c, bool gate, uint64_t t)
{
	if (gate == c->gate)
		return;
	c->gate = gate;
	switch (c->mode) {
	case 0:
	case 4:
		/* Low suspends counting, high resumes it. */
		if (!c->loaded)
			break;
		if (!gate) {
			c->d_frozen = vpit_d(c, t);
			c->running = false;
		} else {
			c->start = t - c->d_frozen;
			c->running = true;
		}
		break;
	case 2:
	case 3:
		/* Low stops counting with OUT high; the rising edge reloads
		 * the count and starts over. */
		if (!gate) {
			if (c->loaded) {
				c->d_frozen = vpit_d(c, t);
				c->running = false;
				c->reload_at = NO_TICK;
			}
		} else if (c->cr_valid) {
			vpit_start(c, t);
		}
		break;
	default:
		/* Modes 1 and 5: the rising edge (re)triggers. */
		if (gate && c->cr_valid) {
			vpit_start(c, t);
			c->running = true;
		}
		break;
	}
}

static void vpit_pulse(struct vpit *p)
{
	p->env->irq_line(p->env->ctx, VPIT_IRQ, true);
	p->env->irq_line(p->env->ctx, VPIT_IRQ, false);
}

static void vpit_sync(struct vpit *p, uint64_t t)
{
	uint64_t r = vpit_next_rise(&p->ch[0], p->seen);

	for (unsigned i = 0; i < 3; i++)
		vpit_catch_up(&p->ch[i], t);
	if (t <= p->seen)
		return;
	p->seen = t;
	if (r <= t) {
		vpit_pulse(p);
		p->last_pulse = t;
	}
}

void vpit_update(struct vpit *p, uint64_t now)
{
	vpit_sync(p, vpit_tick(now));
}

/* Edges closer together than VPIT_MIN_IRQ_NS are more than any guest
 * takes (an OS runs the PIT at 1 kHz at most): the next deadline is held
 * off until that long after the last pulse, and the edges in between
 * merge into one pulse (vpit_sync), as they would in a busy CPU's IRR.
 * So channel 0 at count 2 (596 kHz) costs at most 10000 exits a second;
 * a one-shot edge long after the last pulse comes on time. */
#define VPIT_MIN_IRQ_NS 100000

uint64_t vpit_next_deadline(const struct vpit *p, uint64_t now)
{
	uint64_t r = vpit_next_rise(&p->ch[0], p->seen), ns, min;

	if (r == NO_TICK)
		return DEV_NO_DEADLINE;
	ns = vpit_ns(r);
	min = vpit_ns(p->last_pulse) + VPIT_MIN_IRQ_NS;
	if (p->last_pulse && ns < min)
		ns = min;
	return ns < now ? now : ns;
}

void vpit_init(struct vpit *p, const struct dev_env *env)
{
	uint64_t t;

	memset(p, 0, sizeof(*p));
	p->env = env;
	t = vpit_tick(vpit_now(p));
	p->seen = t;
	for (unsigned i = 0; i < 3; i++) {
		struct vpit_channel *c = &p->ch[i];

		c->gate = i != 2;    /* channels 0 and 1: gate tied high */
		vpit_control(c, 0x36, t);
		vpit_load(c, 0, t);
	}
}

static uint8_t vpit_read_data(struct vpit_channel *c, uint64_t t)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latched) {
		msb = c->rw == 2 || (c->rw == 3 && c->latched == 1);
		c->latched--;
		return (uint8_t)(msb ? c->latch >> 8 : c->latch);
	}
	v = vpit_ce_reg(c, t);
	if (c->rw == 3) {
		msb = c->rd_msb_next;
		c->rd_msb_next = !msb;
	} else {
		msb = c->rw == 2;
	}
	return (uint8_t)(msb ? v >> 8 : v);
}

static void vpit_write_data(struct vpit_channel *c, uint8_t v, uint64_t t)
{
	switch (c->rw) {
	case 1:
		vpit_load(c, v, t);
		break;
	case 2:
		vpit_load(c, (uint16_t)(v << 8), t);
		break;
	default:
		if (!c->wr_msb_next) {
			c->wr_lsb = v;
			c->wr_msb_next = true;
			/* Mode 0: writing the first byte stops the count
			 * and sets OUT low at once (82C54 datasheet). */
			if (c->mode == 0 && c->loaded) {
				c->ce_hold = (uint16_t)vpit_ce(c, t);
				c->loaded = false;
				c->running = false;
			}
			break;
		}
		c->wr_msb_next = false;
		vpit_load(c, (uint16_t)(c->wr_lsb | v << 8), t);
		break;
	}
}

static void vpit_command(struct vpit *p, uint8_t v, uint64_t t)
{
	struct vpit_channel *c;

	if (CW_SC(v) == 3) {
		/* Read-back: bits 3-1 select counters 2-0. */
		for (unsigned i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			c = &p->ch[i];
			if (!(v & RB_NCOUNT))
				vpit_latch(c, t);
			if (!(v & RB_NSTATUS))
				vpit_status(c, t);
		}
		return;
	}
	c = &p->ch[CW_SC(v)];
	if (CW_RW(v) == 0)
		vpit_latch(c, t);
	else
		vpit_control(c, v, t);
}

uint8_t vpit_read(struct vpit *p, uint16_t port)
{
	uint64_t t = vpit_tick(vpit_now(p));

	vpit_sync(p, t);
	switch (port) {
	case VPIT_PORT_CH0:
	case VPIT_PORT_CH0 + 1:
	case VPIT_PORT_CH2:
		return vpit_read_data(&p->ch[port - VPIT_PORT_CH0], t);
	case VPIT_PORT_61:
		return (uint8_t)((p->port61 & P61_RW_MASK) |
				 ((t / REFRESH_TICKS) & 1 ? P61_REFRESH : 0) |
				 (vpit_out(&p->ch[2], t) ? P61_OUT2 : 0));
	default:
		/* 0x43 is write-only. */
		return 0xff;
	}
}

void vpit_write(struct vpit *p, uint16_t port, uint8_t v)
{
	uint64_t t = vpit_tick(vpit_now(p));
	bool out0;

	vpit_sync(p, t);
	out0 = vpit_out(&p->ch[0], t);
	switch (port) {
	case VPIT_PORT_CH0:
	case VPIT_PORT_CH0 + 1:
	case VPIT_PORT_CH2:
		vpit_write_data(&p->ch[port - VPIT_PORT_CH0], v, t);
		break;
	case VPIT_PORT_MODE:
		vpit_command(p, v, t);
		break;
	case VPIT_PORT_61:
		p->port61 = v & P61_RW_MASK;
		vpit_gate(&p->ch[2], v & P61_GATE2, t);
		break;
	default:
		return;
	}
	/* A write can raise OUT by itself (a control word for modes 1-5
	 * sets it high): that is an IRQ0 edge too. */
	if (!out0 && vpit_out(&p->ch[0], t))
		vpit_pulse(p);
}
