/* Local APIC register model (Intel SDM Vol. 3A, chapter 11; chapter 10 in
 * editions before 2023). One register file serves both interfaces: an
 * x2APIC MSR is the xAPIC register at offset (msr - 0x800) << 4, with the
 * differences of Table 11-6 applied where the mode is tested. */
#include "vmm/dev/vlapic.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

#define REG_ID       0x020
#define REG_VER      0x030
#define REG_TPR      0x080
#define REG_APR      0x090
#define REG_PPR      0x0a0
#define REG_EOI      0x0b0
#define REG_RRD      0x0c0
#define REG_LDR      0x0d0
#define REG_DFR      0x0e0
#define REG_SVR      0x0f0
#define REG_ISR      0x100
#define REG_TMR      0x180
#define REG_IRR      0x200
#define REG_ESR      0x280
#define REG_LVT_CMCI 0x2f0
#define REG_ICR_LO   0x300
#define REG_ICR_HI   0x310
#define REG_LVT_TMR  0x320     /* timer; thermal, perf, LINT0, LINT1, error follow */
#define REG_LVT_ERR  0x370
#define REG_TMICT    0x380
#define REG_TMCCT    0x390
#define REG_TDCR     0x3e0
#define REG_SELF_IPI 0x3f0

/* Version 14h (integrated APIC), max LVT entry 6 (CMCI present), no EOI
 * broadcast suppression in bit 24 (SDM 11.4.8, Figure 11-7). */
#define APIC_VERSION 0x00060014u

/* SVR: vector, APIC software enable, focus processor checking. Bit 12
 * (EOI broadcast suppression) is reserved since VER bit 24 is clear
 * (SDM 11.9, Figure 11-23). */
#define SVR_ENABLE   (1u << 8)
#define SVR_BITS     0x3ffu

#define LVT_MASKED   (1u << 16)
#define LVT_STATUS   (1u << 12)  /* delivery status: always idle here */
#define LVT_RIRR     (1u << 14)  /* LINT remote IRR: no LINT inputs, always 0 */
#define LVT_TSC_MODE (1u << 18)

/* Writable bits of each LVT entry (SDM 11.5.1, Figure 11-8): vector,
 * delivery mode where the entry has one, LINT polarity and trigger mode,
 * mask, timer mode. */
static const uint32_t lvt_bits[VLAPIC_NR_LVT] = {
	[VLAPIC_LVT_CMCI]    = 0x000107ff,
	[VLAPIC_LVT_TIMER]   = 0x000700ff,
	[VLAPIC_LVT_THERMAL] = 0x000107ff,
	[VLAPIC_LVT_PERF]    = 0x000107ff,
	[VLAPIC_LVT_LINT0]   = 0x0001a7ff,
	[VLAPIC_LVT_LINT1]   = 0x0001a7ff,
	[VLAPIC_LVT_ERROR]   = 0x000100ff,
};

enum { TIMER_ONESHOT, TIMER_PERIODIC, TIMER_TSC_DEADLINE };

/* ESR bits (SDM 11.5.3, Figure 11-9). */
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG  (1u << 7)

/* ICR (SDM 11.6.1, Figure 11-12): vector, delivery mode, destination
 * mode, level, trigger mode, shorthand. Delivery status (bit 12) always
 * reads idle: an IPI leaves at once. */
#define ICR_BITS     0x000ccfffu
#define ICR_LOGICAL  (1u << 11)
#define ICR_ASSERT   (1u << 14)

#define NS_PER_MS    1000000ULL  /* kHz * ns / 10^6 = cycles */

static bool vec_test(const uint32_t *bm, unsigned v)
{
	return (bm[v >> 5] >> (v & 31)) & 1;
}

static void vec_set(uint32_t *bm, unsigned v)
{
	bm[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *bm, unsigned v)
{
	bm[v >> 5] &= ~(1u << (v & 31));
}

static int vec_highest(const uint32_t *bm)
{
	for (int i = 7; i >= 0; i--)
		if (bm[i])
			return i * 32 + 31 - __builtin_clz(bm[i]);
	return -1;
}

static bool hw_enabled(const struct vlapic *l)
{
	return l->apic_base & VLAPIC_BASE_EN;
}

static bool x2apic(const struct vlapic *l)
{
	return (l->apic_base & (VLAPIC_BASE_EN | VLAPIC_BASE_EXTD)) ==
	       (VLAPIC_BASE_EN | VLAPIC_BASE_EXTD);
}

static bool sw_enabled(const struct vlapic *l)
{
	return l->svr & SVR_ENABLE;
}

static uint64_t now_ns(const struct vlapic *l)
{
	if (!l->env || !l->env->now_ns)
		return 0;
	return l->env->now_ns(l->env->ctx);
}

/* a * b / c rounded down or up, saturating; exact as long as b * c fits
 * in 64 bits, which holds for every rate here (kHz times 10^6 times a
 * divisor of at most 128). Keeps clear of 128-bit division, which the
 * hypervisor does not link. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c, bool up)
{
	uint64_t q = a / c, r = a % c, hi, lo;

	if (b && q > UINT64_MAX / b)
		return UINT64_MAX;
	hi = q * b;
	lo = r * b;
	lo = lo / c + (up && lo % c);
	return hi > UINT64_MAX - lo ? UINT64_MAX : hi + lo;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* x2APIC logical ID: cluster in bits 31:16, one bit of sixteen for the
 * position in the cluster (SDM 11.12.10.2). */
static uint32_t x2apic_ldr(const struct vlapic *l)
{
	return ((l->apic_id >> 4) << 16) | (1u << (l->apic_id & 15));
}

/* SDM 11.8.3.1: the PPR is the TPR when its class is at least that of
 * the highest in-service vector, else that vector's class. */
static uint32_t ppr(const struct vlapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? (l->tpr & 0xff) : isr_class;
}

/* An error the APIC detected: latched for the next ESR write, and the
 * LVT error interrupt when unmasked (SDM 11.5.3). An error vector that is
 * itself illegal is not delivered, which would only loop. */
static void lapic_error(struct vlapic *l, uint32_t bit)
{
	uint32_t lvt = l->lvt[VLAPIC_LVT_ERROR];

	l->esr_pending |= bit;
	if (!(lvt & LVT_MASKED) && (lvt & 0xff) >= 16)
		vlapic_set_irq(l, lvt & 0xff, false);
}

void vlapic_set_irq(struct vlapic *l, uint8_t vector, bool level)
{
	/* A globally disabled APIC is absent (SDM 11.4.3). A software-
	 * disabled one still holds what arrives (SDM 11.4.7.2):
	 * vlapic_pending offers nothing until it is enabled again. */
	if (!hw_enabled(l))
		return;
	/* Vectors 0-15 are illegal for the APIC (SDM 11.5.2). */
	if (vector < 16) {
		lapic_error(l, ESR_RECV_ILLEGAL);
		return;
	}
	vec_set(l->irr, vector);
	/* TMR records the trigger mode on acceptance into IRR (SDM 11.8.4). */
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
}

/* A local interrupt from an LVT entry: fixed delivery goes into IRR;
 * the other modes are the caller's (returned), -1 when masked. */
static int lvt_fire(struct vlapic *l, unsigned idx)
{
	uint32_t lvt = l->lvt[idx];
	int mode = (lvt >> 8) & 7;

	if (lvt & LVT_MASKED)
		return -1;
	if (mode == VLAPIC_DM_FIXED)
		vlapic_set_irq(l, lvt & 0xff, false);
	return mode;
}

int vlapic_lint(struct vlapic *l, unsigned lint)
{
	if (lint > 1)
		return -1;
	/* With the APIC disabled in IA32_APIC_BASE the pins are the
	 * processor's INTR and NMI (11.4.3): LINT1 is then an NMI; LINT0's
	 * INTR is the PIC's, which reaches the vCPU on its own path. With
	 * it disabled in SVR every LVT entry acts masked (11.4.7.2). */
	if (!hw_enabled(l))
		return lint ? VLAPIC_DM_NMI : -1;
	if (!sw_enabled(l))
		return -1;
	return lvt_fire(l, lint ? VLAPIC_LVT_LINT1 : VLAPIC_LVT_LINT0);
}

bool vlapic_lint_nmi(const struct vlapic *l)
{
	if (!hw_enabled(l))
		return true;
	if (!sw_enabled(l))
		return false;
	for (unsigned i = VLAPIC_LVT_LINT0; i <= VLAPIC_LVT_LINT1; i++)
		if (!(l->lvt[i] & LVT_MASKED) && ((l->lvt[i] >> 8) & 7) == VLAPIC_DM_NMI)
			return true;
	return false;
}

/* ---- timer (SDM 11.5.4) ---- */

static unsigned timer_mode(const struct vlapic *l)
{
	unsigned m = (l->lvt[VLAPIC_LVT_TIMER] >> 17) & 3;

	return m == 3 ? TIMER_ONESHOT : m;      /* 11b is reserved */
}

/* Divide configuration, bits 0, 1 and 3 (SDM 11.5.4, Figure 11-10):
 * 000b divides by 2 ... 110b by 128, 111b by 1. */
static uint32_t timer_divisor(uint32_t dcr)
{
	uint32_t v = (dcr & 3) | ((dcr >> 1) & 4);

	return v == 7 ? 1 : 2u << v;
}

/* Timer ticks since the count was last loaded by an initial-count write. */
static uint64_t timer_ticks(const struct vlapic *l, uint64_t now)
{
	if (now <= l->timer_start)
		return 0;
	return muldiv(now - l->timer_start, l->bus_khz, l->timer_div * NS_PER_MS, false);
}

/* The first time at which ticks timer ticks have elapsed. */
static uint64_t timer_ticks_ns(const struct vlapic *l, uint64_t ticks)
{
	return sat_add(l->timer_start, muldiv(ticks, l->timer_div * NS_PER_MS, l->bus_khz, true));
}

static void timer_set_deadline(struct vlapic *l)
{
	l->timer_deadline = timer_ticks_ns(l, (l->timer_periods + 1) * l->timer_icr);
}

/* An initial-count write loads the count and restarts it; 0 stops the
 * timer (SDM 11.5.4). The divisor in force now drives this count. */
static void timer_load(struct vlapic *l, uint32_t count)
{
	l->timer_icr = count;
	l->timer_start = now_ns(l);
	l->timer_periods = 0;
	l->timer_div = timer_divisor(l->timer_dcr);
	l->timer_armed = count && l->bus_khz;
	if (l->timer_armed)
		timer_set_deadline(l);
}

static uint32_t timer_current(const struct vlapic *l)
{
	uint64_t ticks, icr = l->timer_icr;

	/* TSC-deadline mode: the current count always reads 0 (11.5.4.1);
	 * a one-shot count that expired, or a disarmed timer, reads 0. */
	if (timer_mode(l) == TIMER_TSC_DEADLINE || !l->timer_armed)
		return 0;
	ticks = timer_ticks(l, now_ns(l));
	if (timer_mode(l) == TIMER_PERIODIC)
		return (uint32_t)(icr - ticks % icr);
	ticks -= l->timer_periods * icr;
	return ticks >= icr ? 0 : (uint32_t)(icr - ticks);
}

uint64_t vlapic_guest_tsc(const struct vlapic *l, uint64_t now)
{
	return muldiv(now, l->tsc_khz, NS_PER_MS, false) + l->tsc_offset;
}

/* Ticks from ns 0 until the guest's TSC reads val: tsc_offset is signed
 * (the guest may have moved its TSC either way). A value the TSC had
 * passed before ns 0 is 0, a deadline due at once. */
static uint64_t tsc_since_start(const struct vlapic *l, uint64_t val)
{
	int64_t off = (int64_t)l->tsc_offset;
	uint64_t t;

	if (off >= 0)
		return val < (uint64_t)off ? 0 : val - (uint64_t)off;
	t = val - (uint64_t)off;
	return t < val ? UINT64_MAX : t;
}

static void tsc_deadline_write(struct vlapic *l, uint64_t val)
{
	/* Outside TSC-deadline mode writes are ignored (SDM 11.5.4.1);
	 * writing 0 disarms. The deadline is the first ns at which the TSC
	 * reaches val. */
	if (timer_mode(l) != TIMER_TSC_DEADLINE)
		return;
	l->tsc_deadline = val;
	l->timer_armed = val != 0;
	if (val)
		l->timer_deadline = muldiv(tsc_since_start(l, val), NS_PER_MS, l->tsc_khz, true);
}

static void timer_lvt_write(struct vlapic *l, uint32_t val)
{
	unsigned old;

	/* Expiries up to now happened under the old entry (masked ones
	 * raised nothing): vlapic_next_deadline may have left them due. */
	vlapic_update(l, now_ns(l));
	old = timer_mode(l);

	l->lvt[VLAPIC_LVT_TIMER] = val;
	/* "A write to the LVT Timer Register that changes the timer mode
	 * disarms the local APIC timer" (SDM 11.5.4.1). */
	if (timer_mode(l) != old) {
		l->timer_armed = false;
		l->tsc_deadline = 0;
	}
}

/* A periodic or one-shot expiry that cannot raise an interrupt needs no
 * update at its time: masked (or the APIC software-disabled), or its
 * vector still waiting in IRR, where another expiry would only merge
 * (SDM 11.5.4; the current count is worked out from the time when read).
 * The update at the next device access, acceptance or LVT write does
 * what the expiry did. So a guest with a timer of count 1 that it does
 * not take exits for it only as fast as it takes the interrupts. A
 * TSC-deadline expiry also clears IA32_TSC_DEADLINE: always kept. */
uint64_t vlapic_next_deadline(const struct vlapic *l, uint64_t now)
{
	uint32_t lvt = l->lvt[VLAPIC_LVT_TIMER];

	(void)now;
	if (!l->timer_armed)
		return DEV_NO_DEADLINE;
	if (timer_mode(l) != TIMER_TSC_DEADLINE &&
	    ((lvt & LVT_MASKED) || !sw_enabled(l) ||
	     (((lvt >> 8) & 7) == VLAPIC_DM_FIXED && vec_test(l->irr, lvt & 0xff))))
		return DEV_NO_DEADLINE;
	return l->timer_deadline;
}

void vlapic_update(struct vlapic *l, uint64_t now)
{
	if (!l->timer_armed || now < l->timer_deadline)
		return;
	switch (timer_mode(l)) {
	case TIMER_TSC_DEADLINE:
		/* "it disarms itself and clears the IA32_TSC_DEADLINE MSR". */
		l->timer_armed = false;
		l->tsc_deadline = 0;
		break;
	case TIMER_PERIODIC:
		/* Reload, keeping phase with the original start; periods that
		 * were missed fold into this one interrupt, as IRR would. */
		l->timer_periods = timer_ticks(l, now) / l->timer_icr;
		timer_set_deadline(l);
		break;
	default:
		l->timer_armed = false;
	}
	/* A masked timer still counts down; only its interrupt is held back. */
	lvt_fire(l, VLAPIC_LVT_TIMER);
}

/* ---- reset and mode ---- */

/* Power-up values (SDM 11.4.7.1), also what INIT and a global disable
 * leave: IRR, ISR, TMR, ICR, LDR, TPR, timer counts and divide
 * configuration zero; DFR all ones; LVT masked; SVR 0xff. */
static void reset_regs(struct vlapic *l)
{
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = 0xffffffff;
	l->svr = 0xff;
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	memset(l->irr, 0, sizeof(l->irr));
	l->esr = 0;
	l->esr_pending = 0;
	l->icr = 0;
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
		l->lvt[i] = LVT_MASKED;
	l->timer_icr = 0;
	l->timer_dcr = 0;
	l->timer_div = timer_divisor(0);
	l->timer_armed = false;
	l->timer_start = 0;
	l->timer_periods = 0;
	l->timer_deadline = 0;
	l->tsc_deadline = 0;
}

void vlapic_init(struct vlapic *l, const struct dev_env *env, const struct vlapic_ops *ops,
		 uint32_t apic_id, bool bsp, uint64_t tsc_khz, uint64_t bus_khz)
{
	memset(l, 0, sizeof(*l));
	l->env = env;
	if (ops)
		l->ops = *ops;
	l->apic_id = apic_id;
	l->bsp = bsp;
	l->tsc_khz = tsc_khz;
	l->bus_khz = bus_khz;
	/* Enabled, xAPIC mode, default base; BSP flag on the bootstrap
	 * processor (SDM 11.4.4, Figure 11-5). */
	l->apic_base = VLAPIC_DEFAULT_BASE | VLAPIC_BASE_EN | (bsp ? VLAPIC_BASE_BSP : 0);
	reset_regs(l);
}

void vlapic_init_reset(struct vlapic *l)
{
	reset_regs(l);
}

/* IA32_APIC_BASE writes and the state machine of SDM 11.12.5, Figure
 * 11-30: disabled <-> xAPIC, xAPIC -> x2APIC, x2APIC -> disabled. EN=0
 * with EXTD=1 is invalid; x2APIC -> xAPIC and disabled -> x2APIC are
 * refused with #GP. */
static int set_apic_base(struct vlapic *l, uint64_t val)
{
	const uint64_t modes = VLAPIC_BASE_EN | VLAPIC_BASE_EXTD;
	uint64_t old = l->apic_base, want = val & modes;

	/* Everything but BSP (read-only) and the mode bits must match: the
	 * base cannot move, and bits 0-7, 9 and 52-63 are reserved. */
	if ((val & ~(modes | VLAPIC_BASE_BSP)) != (old & ~(modes | VLAPIC_BASE_BSP)))
		return -EINVAL;
	if (want == VLAPIC_BASE_EXTD)
		return -EINVAL;
	if (x2apic(l) && want == VLAPIC_BASE_EN)
		return -EINVAL;
	if (!(old & VLAPIC_BASE_EN) && want == modes)
		return -EINVAL;
	l->apic_base = (old & ~modes) | want;
	/* Clearing EN loses the APIC's state (SDM 11.4.3): it comes back
	 * in its power-up state. Entering x2APIC mode keeps the registers;
	 * the x2APIC ID and LDR are derived (SDM 11.12.5.1). */
	if ((old & VLAPIC_BASE_EN) && !(want & VLAPIC_BASE_EN))
		reset_regs(l);
	return 0;
}

/* ---- registers ---- */

static void do_eoi(struct vlapic *l)
{
	int v = vec_highest(l->isr);

	/* SDM 11.8.5: the EOI retires the highest in-service vector; a
	 * level-triggered one is broadcast to the IOAPICs. */
	if (v < 0)
		return;
	vec_clear(l->isr, (unsigned)v);
	if (vec_test(l->tmr, (unsigned)v) && l->ops.eoi)
		l->ops.eoi(l->ops.ctx, (uint8_t)v);
}

static void icr_send(struct vlapic *l)
{
	uint32_t lo = (uint32_t)l->icr;
	uint8_t vector = lo & 0xff, mode = (lo >> 8) & 7;
	uint32_t dest = x2apic(l) ? (uint32_t)(l->icr >> 32) : (uint32_t)(l->icr >> 56);

	/* "Send Illegal Vector": a fixed or lowest-priority IPI with a
	 * vector in 0-15 is not sent (SDM 11.5.3). SIPI vectors are page
	 * numbers, so any value goes. */
	if ((mode == VLAPIC_DM_FIXED || mode == VLAPIC_DM_LOWEST) && vector < 16) {
		lapic_error(l, ESR_SEND_ILLEGAL);
		return;
	}
	if (l->ops.send_ipi)
		l->ops.send_ipi(l->ops.ctx, dest, lo & ICR_LOGICAL, (lo >> 18) & 3, mode, vector,
				lo & ICR_ASSERT);
}

static void svr_write(struct vlapic *l, uint32_t val)
{
	l->svr = val;
	/* Software disable sets every LVT mask bit (SDM 11.4.7.2). */
	if (!(val & SVR_ENABLE))
		for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
			l->lvt[i] |= LVT_MASKED;
}

static int reg_read(struct vlapic *l, uint32_t off, uint32_t *val)
{
	bool x2 = x2apic(l);

	*val = 0;
	if (off >= REG_ISR && off < REG_ISR + 0x80) {
		*val = l->isr[(off - REG_ISR) >> 4];
		return 0;
	}
	if (off >= REG_TMR && off < REG_TMR + 0x80) {
		*val = l->tmr[(off - REG_TMR) >> 4];
		return 0;
	}
	if (off >= REG_IRR && off < REG_IRR + 0x80) {
		*val = l->irr[(off - REG_IRR) >> 4];
		return 0;
	}
	if (off >= REG_LVT_TMR && off <= REG_LVT_ERR) {
		*val = l->lvt[VLAPIC_LVT_TIMER + ((off - REG_LVT_TMR) >> 4)];
		return 0;
	}
	switch (off) {
	case REG_ID:
		/* xAPIC: ID in bits 31:24; x2APIC: the 32-bit x2APIC ID. */
		*val = x2 ? l->apic_id : l->apic_id << 24;
		return 0;
	case REG_VER:
		*val = APIC_VERSION;
		return 0;
	case REG_TPR:
		*val = l->tpr;
		return 0;
	case REG_APR:
	case REG_RRD:
	case REG_EOI:
		/* APR and remote read are gone in x2APIC mode, EOI is write-
		 * only there (Table 11-6); the xAPIC page reads 0. */
		return x2 ? -EINVAL : 0;
	case REG_PPR:
		*val = ppr(l);
		return 0;
	case REG_LDR:
		*val = x2 ? x2apic_ldr(l) : l->ldr;
		return 0;
	case REG_DFR:
		if (x2)
			return -EINVAL;         /* no DFR in x2APIC mode */
		*val = l->dfr;
		return 0;
	case REG_SVR:
		*val = l->svr;
		return 0;
	case REG_ESR:
		*val = l->esr;
		return 0;
	case REG_LVT_CMCI:
		*val = l->lvt[VLAPIC_LVT_CMCI];
		return 0;
	case REG_ICR_LO:
		*val = (uint32_t)l->icr;
		return 0;
	case REG_ICR_HI:
		if (x2)
			return -EINVAL;         /* one 64-bit ICR at 0x830 */
		*val = (uint32_t)(l->icr >> 32);
		return 0;
	case REG_TMICT:
		*val = l->timer_icr;
		return 0;
	case REG_TMCCT:
		*val = timer_current(l);
		return 0;
	case REG_TDCR:
		*val = l->timer_dcr;
		return 0;
	default:
		/* Reserved, and SELF IPI which is write-only. */
		return -EINVAL;
	}
}

/* Writes of the register at off. -EINVAL: reserved register, or (x2APIC
 * mode) a reserved bit set (SDM 11.12.1.3: #GP); -EPERM: a read-only
 * register. In xAPIC mode reserved bits are dropped. */
static int reg_write(struct vlapic *l, uint32_t off, uint32_t val)
{
	bool x2 = x2apic(l);

#define KEEP(bits)							\
	do {								\
		if (x2 && (val & ~(uint32_t)(bits)))			\
			return -EINVAL;					\
		val &= (bits);						\
	} while (0)

	if (off >= REG_ISR && off < REG_IRR + 0x80)
		return -EPERM;
	if (off == REG_LVT_CMCI || (off >= REG_LVT_TMR && off <= REG_LVT_ERR)) {
		unsigned idx = off == REG_LVT_CMCI ? VLAPIC_LVT_CMCI
				: VLAPIC_LVT_TIMER + ((off - REG_LVT_TMR) >> 4);
		uint32_t bits = lvt_bits[idx];
		uint32_t ro = LVT_STATUS |
			(idx == VLAPIC_LVT_LINT0 || idx == VLAPIC_LVT_LINT1 ? LVT_RIRR : 0);

		if (idx == VLAPIC_LVT_TIMER && !l->tsc_khz)
			bits &= ~LVT_TSC_MODE;  /* bit 18 reserved without TSC-deadline */
		if (x2 && idx == VLAPIC_LVT_TIMER && ((val >> 17) & 3) == 3)
			return -EINVAL;
		KEEP(bits | ro);
		val &= bits;
		/* While software-disabled the masks cannot be cleared. */
		if (!sw_enabled(l))
			val |= LVT_MASKED;
		if (idx == VLAPIC_LVT_TIMER)
			timer_lvt_write(l, val);
		else
			l->lvt[idx] = val;
		return 0;
	}
	switch (off) {
	case REG_ID:
	case REG_VER:
	case REG_PPR:
	case REG_TMCCT:
		/* The xAPIC ID is read-only here too: the hypervisor routes by
		 * the ID it assigned (changing it is model-specific, 11.4.6). */
		return -EPERM;
	case REG_APR:
	case REG_RRD:
		return x2 ? -EINVAL : -EPERM;
	case REG_TPR:
		KEEP(0xff);
		l->tpr = val;
		return 0;
	case REG_EOI:
		/* x2APIC: a non-zero EOI write is #GP (Table 11-6). */
		if (x2 && val)
			return -EINVAL;
		do_eoi(l);
		return 0;
	case REG_LDR:
		if (x2)
			return -EPERM;
		l->ldr = val & 0xff000000;
		return 0;
	case REG_DFR:
		if (x2)
			return -EINVAL;
		l->dfr = val | 0x0fffffff;      /* model in 31:28, rest reads 1 */
		return 0;
	case REG_SVR:
		KEEP(SVR_BITS);
		vlapic_update(l, now_ns(l));   /* expiries so far, as enabled then */
		svr_write(l, val);
		return 0;
	case REG_ESR:
		/* The write makes the errors seen since the previous write
		 * readable and starts over (SDM 11.5.3); x2APIC allows only 0. */
		if (x2 && val)
			return -EINVAL;
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return 0;
	case REG_ICR_LO:
		/* xAPIC only (the MSR path writes the 64-bit ICR): the low
		 * half sends. */
		l->icr = (l->icr & 0xffffffff00000000ULL) | (val & ICR_BITS);
		icr_send(l);
		return 0;
	case REG_ICR_HI:
		if (x2)
			return -EINVAL;
		l->icr = (uint32_t)l->icr | ((uint64_t)(val & 0xff000000) << 32);
		return 0;
	case REG_TMICT:
		/* Ignored in TSC-deadline mode (SDM 11.5.4.1). */
		if (timer_mode(l) != TIMER_TSC_DEADLINE)
			timer_load(l, val);
		return 0;
	case REG_TDCR:
		KEEP(0x0b);
		l->timer_dcr = val;
		return 0;
	case REG_SELF_IPI:
		/* SDM 11.12.11: x2APIC only; an edge-triggered fixed IPI to
		 * this APIC, logged in IRR by the time the WRMSR completes. */
		if (!x2)
			return -EINVAL;
		KEEP(0xff);
		if (val < 16)
			lapic_error(l, ESR_SEND_ILLEGAL);
		else
			vlapic_set_irq(l, (uint8_t)val, false);
		return 0;
	default:
		return -EINVAL;
	}
#undef KEEP
}

int vlapic_mmio_read(struct vlapic *l, uint32_t offset, uint32_t *val)
{
	*val = 0;
	if ((offset & 0xf) || offset >= VLAPIC_SIZE)
		return -EINVAL;
	/* SDM 11.12.2: in x2APIC mode the page behaves as for a globally
	 * disabled APIC, which is no APIC at all (11.4.3). */
	if (!hw_enabled(l) || x2apic(l))
		return -ENODEV;
	if (reg_read(l, offset, val))
		lapic_error(l, ESR_ILLEGAL_REG);
	return 0;
}

bool vlapic_access_moves_timer(uint32_t offset, bool write)
{
	if (!write)
		return false;
	switch (offset & ~0xfu) {
	case REG_EOI:
	case REG_TPR:
	case REG_ESR:
	case REG_ICR_LO:
	case REG_ICR_HI:
		return false;
	default:
		return true;
	}
}

int vlapic_mmio_write(struct vlapic *l, uint32_t offset, uint32_t val)
{
	if ((offset & 0xf) || offset >= VLAPIC_SIZE)
		return -EINVAL;
	if (!hw_enabled(l) || x2apic(l))
		return -ENODEV;
	if (reg_write(l, offset, val) == -EINVAL)
		lapic_error(l, ESR_ILLEGAL_REG);
	return 0;
}

int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t *val)
{
	uint32_t v;

	*val = 0;
	if (msr == VLAPIC_MSR_APIC_BASE) {
		*val = l->apic_base;
		return 0;
	}
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (!l->tsc_khz)
			return -EINVAL;
		/* Reads 0 outside TSC-deadline mode (SDM 11.5.4.1). */
		if (timer_mode(l) == TIMER_TSC_DEADLINE)
			*val = l->tsc_deadline;
		return 0;
	}
	if (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST)
		return -ENOENT;
	/* SDM 11.12.2: the x2APIC MSRs #GP unless in x2APIC mode. */
	if (!x2apic(l))
		return -EINVAL;
	if (((msr - VLAPIC_MSR_X2APIC_FIRST) << 4) == REG_ICR_LO) {
		*val = l->icr;
		return 0;
	}
	if (reg_read(l, (msr - VLAPIC_MSR_X2APIC_FIRST) << 4, &v))
		return -EINVAL;
	*val = v;
	return 0;
}

int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t val)
{
	uint32_t off;

	if (msr == VLAPIC_MSR_APIC_BASE)
		return set_apic_base(l, val);
	if (msr == VLAPIC_MSR_TSC_DEADLINE) {
		if (!l->tsc_khz)
			return -EINVAL;
		tsc_deadline_write(l, val);
		return 0;
	}
	if (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST)
		return -ENOENT;
	if (!x2apic(l))
		return -EINVAL;
	off = (msr - VLAPIC_MSR_X2APIC_FIRST) << 4;
	if (off == REG_ICR_LO) {
		/* One 64-bit write: destination in 63:32, and it sends
		 * (SDM 11.12.9). Bits 12, 13, 16-17 and 20-31 are reserved. */
		if ((uint32_t)val & ~ICR_BITS)
			return -EINVAL;
		l->icr = val;
		icr_send(l);
		return 0;
	}
	/* Every other x2APIC register is 32 bits: 63:32 reserved (11.12.1.3). */
	if (val >> 32)
		return -EINVAL;
	return reg_write(l, off, (uint32_t)val) ? -EINVAL : 0;
}

/* ---- interrupt delivery ---- */

EXIT_PATH int vlapic_pending(struct vlapic *l)
{
	int v;

	if (!hw_enabled(l) || !sw_enabled(l))
		return -1;
	v = vec_highest(l->irr);
	/* SDM 11.8.3.1: only a priority class above the PPR's gets through. */
	if (v < 0 || ((uint32_t)v & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return v;
}

void vlapic_accept(struct vlapic *l, uint8_t vector)
{
	if (!vec_test(l->irr, vector))
		return;
	/* Timer expiries while the vector waited merged into it: account
	 * for them before it leaves IRR (vlapic_next_deadline). */
	vlapic_update(l, now_ns(l));
	vec_clear(l->irr, vector);
	vec_set(l->isr, vector);
}

bool vlapic_match_dest(const struct vlapic *l, uint32_t dest, bool logical)
{
	uint32_t ldr;

	if (!hw_enabled(l))
		return false;
	if (x2apic(l)) {
		if (dest == 0xffffffff)
			return true;
		if (!logical)
			return dest == l->apic_id;
		/* Cluster in 31:16 must match; any common bit in 15:0. */
		ldr = x2apic_ldr(l);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == l->apic_id;
	ldr = l->ldr >> 24;
	if ((l->dfr >> 28) == 0xf)
		return (ldr & dest) != 0;       /* flat model: a bitmap */
	/* Cluster model: cluster in 7:4, member bitmap in 3:0. */
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}
