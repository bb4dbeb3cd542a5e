/* The local APIC model, driven through the register sequences a Linux
 * guest uses (arch/x86/kernel/apic/apic.c, smpboot.c, x2apic_*.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/dev/vlapic.h"
#include "lib/errno.h"

#define TSC_KHZ 2000000ULL      /* 2 GHz: TSC = 2 * ns */
#define BUS_KHZ 1000000ULL      /* 1 GHz: one timer clock per ns */

/* xAPIC register offsets and Linux's values (asm/apicdef.h). */
#define APIC_ID      0x20
#define APIC_LVR     0x30
#define APIC_TASKPRI 0x80
#define APIC_ARBPRI  0x90
#define APIC_PROCPRI 0xa0
#define APIC_EOI     0xb0
#define APIC_LDR     0xd0
#define APIC_DFR     0xe0
#define APIC_SPIV    0xf0
#define APIC_ISR     0x100
#define APIC_TMR     0x180
#define APIC_IRR     0x200
#define APIC_ESR     0x280
#define APIC_LVTCMCI 0x2f0
#define APIC_ICR     0x300
#define APIC_ICR2    0x310
#define APIC_LVTT    0x320
#define APIC_LVTTHMR 0x330
#define APIC_LVTPC   0x340
#define APIC_LVT0    0x350
#define APIC_LVT1    0x360
#define APIC_LVTERR  0x370
#define APIC_TMICT   0x380
#define APIC_TMCCT   0x390
#define APIC_TDCR    0x3e0
#define APIC_SELF_IPI 0x3f0

#define APIC_SPIV_APIC_ENABLED   0x100
#define APIC_SPIV_FOCUS_DISABLED 0x200
#define SPURIOUS_APIC_VECTOR     0xff
#define ERROR_APIC_VECTOR        0xfe
#define RESCHEDULE_VECTOR        0xfd
#define CALL_FUNCTION_VECTOR     0xfc
#define LOCAL_TIMER_VECTOR       0xec
#define APIC_LVT_MASKED          0x10000
#define APIC_LVT_TIMER_PERIODIC  (1 << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2 << 17)
#define APIC_DM_NMI              0x400
#define APIC_DM_EXTINT           0x700
#define APIC_TDR_DIV_16          0x3
#define APIC_TDR_DIV_1           0xb
#define APIC_INT_LEVELTRIG       0x8000
#define APIC_INT_ASSERT          0x4000
#define APIC_DEST_LOGICAL        0x800
#define APIC_DM_INIT             0x500
#define APIC_DM_STARTUP          0x600
#define APIC_DEST_SELF           0x40000
#define APIC_DEST_ALLINC         0x80000
#define APIC_DEST_ALLBUT         0xc0000

#define MSR(reg) (0x800 + ((reg) >> 4))

static uint64_t now;

static uint64_t env_now(void *ctx)
{
	(void)ctx;
	return now;
}

static const struct dev_env env = { .now_ns = env_now };

struct ipi {
	uint32_t dest;
	bool logical;
	uint8_t shorthand, mode, vector;
	bool assert;
};

static struct ipi ipis[16];
static unsigned nipis;
static uint8_t eois[16];
static unsigned neois;

static void rec_ipi(void *ctx, uint32_t dest, bool logical, uint8_t shorthand, uint8_t mode,
		    uint8_t vector, bool assert)
{
	assert_ptr_equal(ctx, &ipis);
	assert_true(nipis < 16);
	ipis[nipis++] = (struct ipi){ dest, logical, shorthand, mode, vector, assert };
}

static void rec_eoi(void *ctx, uint8_t vector)
{
	assert_ptr_equal(ctx, &ipis);
	assert_true(neois < 16);
	eois[neois++] = vector;
}

static const struct vlapic_ops ops = { .send_ipi = rec_ipi, .eoi = rec_eoi, .ctx = &ipis };

static void mk(struct vlapic *l, uint32_t id, bool bsp)
{
	now = 1000;
	nipis = 0;
	neois = 0;
	vlapic_init(l, &env, &ops, id, bsp, TSC_KHZ, BUS_KHZ);
}

static uint32_t rd(struct vlapic *l, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(vlapic_mmio_read(l, off, &v), 0);
	return v;
}

static void wr(struct vlapic *l, uint32_t off, uint32_t v)
{
	assert_int_equal(vlapic_mmio_write(l, off, v), 0);
}

static uint64_t rdmsr(struct vlapic *l, uint32_t msr)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vlapic_msr_read(l, msr, &v), 0);
	return v;
}

static void wrmsr(struct vlapic *l, uint32_t msr, uint64_t v)
{
	assert_int_equal(vlapic_msr_write(l, msr, v), 0);
}

static bool irr(struct vlapic *l, unsigned v)
{
	return (l->irr[v / 32] >> (v % 32)) & 1;
}

static bool isr(struct vlapic *l, unsigned v)
{
	return (l->isr[v / 32] >> (v % 32)) & 1;
}

/* setup_local_APIC's software enable: focus checking off, vector 0xff. */
static void sw_enable(struct vlapic *l)
{
	wr(l, APIC_SPIV, (rd(l, APIC_SPIV) & ~0xffu) | APIC_SPIV_APIC_ENABLED |
	   APIC_SPIV_FOCUS_DISABLED | SPURIOUS_APIC_VECTOR);
}

/* x2apic_enable(): IA32_APIC_BASE |= X2APIC_ENABLE. */
static void to_x2apic(struct vlapic *l)
{
	wrmsr(l, 0x1b, rdmsr(l, 0x1b) | (1 << 10));
}

static void test_reset_state(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 3, false);
	assert_int_equal(rdmsr(&l, 0x1b), 0xfee00800);          /* EN, no BSP */
	assert_int_equal(rd(&l, APIC_ID), 3u << 24);
	assert_int_equal(rd(&l, APIC_LVR), 0x00060014);         /* v14h, 7 LVTs */
	assert_int_equal(rd(&l, APIC_SPIV), 0xff);
	assert_int_equal(rd(&l, APIC_DFR), 0xffffffff);
	assert_int_equal(rd(&l, APIC_LDR), 0);
	assert_int_equal(rd(&l, APIC_TASKPRI), 0);
	for (uint32_t off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		assert_int_equal(rd(&l, off), APIC_LVT_MASKED);
	assert_int_equal(rd(&l, APIC_LVTCMCI), APIC_LVT_MASKED);
	assert_int_equal(rd(&l, APIC_TMICT), 0);
	assert_int_equal(rd(&l, APIC_TMCCT), 0);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);

	mk(&l, 0, true);
	assert_int_equal(rdmsr(&l, 0x1b), 0xfee00900);          /* BSP flag */
}

static void test_linux_setup_local_apic(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 2, false);
	/* init_apic_ldr for the flat model, CPU 2 */
	wr(&l, APIC_DFR, 0xffffffff);
	wr(&l, APIC_LDR, (rd(&l, APIC_LDR) & ~0xff000000u) | (1u << 2) << 24);
	assert_int_equal(rd(&l, APIC_LDR), 0x04000000);
	wr(&l, APIC_LDR, 0x040000ff);                       /* 23:0 reserved */
	assert_int_equal(rd(&l, APIC_LDR), 0x04000000);
	wr(&l, APIC_TASKPRI, rd(&l, APIC_TASKPRI) & ~0xffu);
	sw_enable(&l);
	assert_int_equal(rd(&l, APIC_SPIV), 0x3ff);
	/* LINT0 ExtINT masked on an AP, LINT1 NMI masked on an AP */
	wr(&l, APIC_LVT0, APIC_DM_EXTINT | APIC_LVT_MASKED);
	wr(&l, APIC_LVT1, APIC_DM_NMI | APIC_LVT_MASKED);
	assert_int_equal(rd(&l, APIC_LVT0), 0x10700);
	assert_int_equal(rd(&l, APIC_LVT1), 0x10400);
	/* lapic_setup_esr */
	wr(&l, APIC_ESR, 0);
	wr(&l, APIC_LVTERR, ERROR_APIC_VECTOR);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), 0);
	assert_int_equal(rd(&l, APIC_LVTERR), ERROR_APIC_VECTOR);
	/* xAPIC drops reserved bits instead of faulting */
	wr(&l, APIC_LVTERR, 0xffffffff);
	assert_int_equal(rd(&l, APIC_LVTERR), 0x000100ff);
	wr(&l, APIC_LVT0, 0xffffffff);                      /* remote IRR, status RO */
	assert_int_equal(rd(&l, APIC_LVT0), 0x0001a7ff);
	wr(&l, APIC_ID, 0x07000000);                        /* the ID stays */
	assert_int_equal(rd(&l, APIC_ID), 2u << 24);
}

static void test_svr_software_disable(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	/* Held while software-disabled, offered once enabled. */
	vlapic_set_irq(&l, 0x41, false);
	assert_true(irr(&l, 0x41));
	assert_int_equal(vlapic_pending(&l), -1);
	/* LVT masks cannot be cleared while disabled (SDM 11.4.7.2) */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR);
	assert_int_equal(rd(&l, APIC_LVTT), APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	sw_enable(&l);
	assert_int_equal(vlapic_pending(&l), 0x41);
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR);
	assert_int_equal(rd(&l, APIC_LVTT), LOCAL_TIMER_VECTOR);
	/* Disabling masks every LVT entry and stops delivery. */
	wr(&l, APIC_SPIV, 0xff);
	assert_int_equal(rd(&l, APIC_LVTT), APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_true(irr(&l, 0x41));
}

/* calibrate_APIC_clock: __setup_APIC_LVTT(0xffffffff, 0, 0) is periodic,
 * masked, divide 16, TMICT 0xffffffff / 16; the count is read across a
 * 100 ms window measured by another clock. */
static void test_timer_calibration_linux(void **state)
{
	struct vlapic l;
	uint32_t t1, t2;
	uint64_t bus_hz;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_PERIODIC | APIC_LVT_MASKED);
	wr(&l, APIC_TDCR, (rd(&l, APIC_TDCR) & ~0xbu) | APIC_TDR_DIV_16);
	wr(&l, APIC_TMICT, 0xffffffffu / 16);
	assert_int_equal(rd(&l, APIC_TDCR), 3);
	now += 5000000;
	t1 = rd(&l, APIC_TMCCT);
	now += 100000000;                                   /* 100 ms */
	t2 = rd(&l, APIC_TMCCT);
	assert_int_equal(t1 - t2, 100000000 / 16);
	bus_hz = (uint64_t)(t1 - t2) * 16 * 10;             /* Linux's arithmetic */
	assert_int_equal(bus_hz, BUS_KHZ * 1000);
	/* Masked: nothing reaches IRR when a period ends. */
	now += 0x0fffffffULL * 16;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(l.irr[LOCAL_TIMER_VECTOR / 32], 0);
}

static void test_timer_one_shot_div16(void **state)
{
	struct vlapic l;
	uint64_t t0;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	/* __setup_APIC_LVTT(.., oneshot=1, irqen=1), then lapic_next_event */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR);
	wr(&l, APIC_TDCR, APIC_TDR_DIV_16);
	t0 = now;
	wr(&l, APIC_TMICT, 1000);                           /* 16 us */
	assert_int_equal(vlapic_next_deadline(&l, now), t0 + 16000);
	now = t0 + 8000;
	assert_int_equal(rd(&l, APIC_TMCCT), 500);
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), -1);
	now = t0 + 15999;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(rd(&l, APIC_TMCCT), 1);
	now = t0 + 16000;
	assert_int_equal(rd(&l, APIC_TMCCT), 0);
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), LOCAL_TIMER_VECTOR);
	assert_false((l.tmr[LOCAL_TIMER_VECTOR / 32] >> (LOCAL_TIMER_VECTOR % 32)) & 1);
	/* One-shot: done, no further deadline; the count stays 0. */
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	now += 1000000;
	assert_int_equal(rd(&l, APIC_TMCCT), 0);
	assert_int_equal(rd(&l, APIC_TMICT), 1000);
	/* Re-arming restarts from the new initial count; 0 stops it. While
	 * the vector waits in IRR the expiry would merge: no deadline. */
	wr(&l, APIC_TMICT, 10);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	vlapic_accept(&l, LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_next_deadline(&l, now), now + 160);
	wr(&l, APIC_TMICT, 0);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	assert_int_equal(rd(&l, APIC_TMCCT), 0);
}

static void test_timer_current_count_decrements(void **state)
{
	struct vlapic l;
	uint64_t t0;

	(void)state;
	mk(&l, 0, true);
	wr(&l, APIC_TDCR, APIC_TDR_DIV_1);
	t0 = now;
	wr(&l, APIC_TMICT, 1000);
	assert_int_equal(rd(&l, APIC_TMCCT), 1000);
	now = t0 + 1;
	assert_int_equal(rd(&l, APIC_TMCCT), 999);
	now = t0 + 250;
	assert_int_equal(rd(&l, APIC_TMCCT), 750);
	now = t0 + 999;
	assert_int_equal(rd(&l, APIC_TMCCT), 1);
	now = t0 + 1000;
	assert_int_equal(rd(&l, APIC_TMCCT), 0);
	now = t0 + 5000;
	assert_int_equal(rd(&l, APIC_TMCCT), 0);            /* no wrap in one-shot */
	/* Divide by 2 (TDCR 0) at 1 GHz: one count per 2 ns. */
	wr(&l, APIC_TDCR, 0);
	t0 = now;
	wr(&l, APIC_TMICT, 1000);
	now = t0 + 3;
	assert_int_equal(rd(&l, APIC_TMCCT), 999);
	now = t0 + 600;
	assert_int_equal(rd(&l, APIC_TMCCT), 700);
}

static void test_timer_divide_encodings(void **state)
{
	/* TDCR bits 3,1,0: 000b /2, 001b /4, 010b /8, 011b /16, 100b /32,
	 * 101b /64, 110b /128, 111b /1 (SDM 11.5.4, Figure 11-10). */
	static const struct { uint32_t tdcr, div; } t[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wr(&l, APIC_TDCR, t[i].tdcr | 0x4);         /* bit 2 reserved */
		assert_int_equal(rd(&l, APIC_TDCR), t[i].tdcr);
		wr(&l, APIC_TMICT, 100);
		assert_int_equal(vlapic_next_deadline(&l, now) - now, 100ULL * t[i].div);
	}
}

static void test_timer_periodic_hz(void **state)
{
	struct vlapic l;
	uint64_t t0;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	/* __setup_APIC_LVTT(lapic_timer_period, 0, 1) at HZ=250: 4 ms of a
	 * 1 GHz bus is 4,000,000 clocks, / APIC_DIVISOR 16. */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_PERIODIC);
	wr(&l, APIC_TDCR, APIC_TDR_DIV_16);
	t0 = now;
	wr(&l, APIC_TMICT, 4000000 / 16);
	assert_int_equal(vlapic_next_deadline(&l, now), t0 + 4000000);
	now = t0 + 4000000;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);   /* in IRR */
	vlapic_accept(&l, LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_next_deadline(&l, now), t0 + 8000000);
	wr(&l, APIC_EOI, 0);
	/* Mid-period the count has reloaded from the initial count. */
	now = t0 + 5000000;
	assert_int_equal(rd(&l, APIC_TMCCT), 250000 - 62500);
	now = t0 + 8000000;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), LOCAL_TIMER_VECTOR);
	vlapic_accept(&l, LOCAL_TIMER_VECTOR);
	wr(&l, APIC_EOI, 0);
	/* A vCPU that was away for 5 periods gets one interrupt and the
	 * next deadline stays on the 4 ms grid. */
	now = t0 + 30000000;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), LOCAL_TIMER_VECTOR);
	vlapic_accept(&l, LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_next_deadline(&l, now), t0 + 32000000);
	assert_int_equal(rd(&l, APIC_TMCCT), 250000 - 2000000 / 16);
	/* Changing the timer mode disarms it (SDM 11.5.4.1). */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
}

/* A timer whose interrupt cannot be raised (masked, the APIC disabled
 * in SVR, or its vector still in IRR) asks for no update at its expiry,
 * and what it did meanwhile is exactly what an update at every expiry
 * would have done: periodic count 1 never floods. */
static void test_timer_unobservable(void **state)
{
	struct vlapic l;
	uint64_t t0;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	wr(&l, APIC_TDCR, APIC_TDR_DIV_1);
	/* Masked periodic count 1: counts (TMCCT), never due. */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_PERIODIC | APIC_LVT_MASKED);
	t0 = now;
	wr(&l, APIC_TMICT, 1);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	now = t0 + 1000005;
	/* Unmasking: the expiries while masked raised nothing (SDM 11.5.1);
	 * the next one is on the grid. */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_PERIODIC);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_true(vlapic_next_deadline(&l, now) > now);
	assert_true(vlapic_next_deadline(&l, now) <= now + 10);
	/* It fires once; then, not accepted, no more deadlines however
	 * long the guest keeps interrupts off. */
	now += 10;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	now += 5000000;
	/* Accepted: the merged expiries are behind it, the next is ahead. */
	vlapic_accept(&l, LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_true(vlapic_next_deadline(&l, now) > now);
	/* SVR software-disable: no deadline either; re-enabling does not
	 * raise the expiries of the disabled time. */
	wr(&l, APIC_EOI, 0);
	wr(&l, APIC_SPIV, 0xff);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	now += 1000;
	sw_enable(&l);
	assert_int_equal(vlapic_pending(&l), -1);
	/* A one-shot masked expiry: disarmed, nothing raised. */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_MASKED);
	wr(&l, APIC_TMICT, 100);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	now += 200;
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	assert_int_equal(rd(&l, APIC_TMCCT), 0);
}

static void test_timer_tsc_deadline(void **state)
{
	struct vlapic l;
	uint64_t tsc;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	now = 1000000;
	assert_int_equal(vlapic_guest_tsc(&l, now), 2000000);
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_TSCDEADLINE);
	assert_int_equal(rd(&l, APIC_LVTT), 0x400ec);
	/* TMICT is ignored and TMCCT reads 0 in this mode. */
	wr(&l, APIC_TMICT, 1234);
	assert_int_equal(rd(&l, APIC_TMICT), 0);
	assert_int_equal(rd(&l, APIC_TMCCT), 0);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	/* lapic_next_deadline: tsc + delta; 1 ms ahead, plus an odd cycle */
	tsc = vlapic_guest_tsc(&l, now) + 2000001;
	wrmsr(&l, 0x6e0, tsc);
	assert_int_equal(rdmsr(&l, 0x6e0), tsc);
	/* first ns at which TSC >= deadline: ceil(tsc / 2) */
	assert_int_equal(vlapic_next_deadline(&l, now), 2000001);
	now = 2000000;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), -1);
	now = 2000001;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), LOCAL_TIMER_VECTOR);
	/* It disarms itself and clears the MSR. */
	assert_int_equal(rdmsr(&l, 0x6e0), 0);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	vlapic_accept(&l, LOCAL_TIMER_VECTOR);
	wr(&l, APIC_EOI, 0);

	/* Arm, then lapic_timer_shutdown: mask, then zero the MSR. */
	wrmsr(&l, 0x6e0, vlapic_guest_tsc(&l, now) + 1000);
	assert_true(vlapic_next_deadline(&l, now) != DEV_NO_DEADLINE);
	wr(&l, APIC_LVTT, rd(&l, APIC_LVTT) | APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	wrmsr(&l, 0x6e0, 0);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	now += 1000000;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), -1);

	/* A deadline already past is due at once. */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_TSCDEADLINE);
	wrmsr(&l, 0x6e0, 1);
	assert_true(vlapic_next_deadline(&l, now) <= now);
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), LOCAL_TIMER_VECTOR);
}

/* A guest that moved its TSC (IA32_TSC_ADJUST) arms deadlines on the TSC
 * it reads: forward, backward, and a deadline the moved TSC had already
 * passed before the partition's start. TSC rate 2 GHz: 2 ticks per ns. */
static void test_timer_tsc_deadline_moved_tsc(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	now = 1000000;
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_TSCDEADLINE);
	l.tsc_offset = 1000000000;          /* forward by 10^9 ticks */
	assert_int_equal(vlapic_guest_tsc(&l, now), 1002000000);
	wrmsr(&l, 0x6e0, vlapic_guest_tsc(&l, now) + 2000);
	assert_int_equal(vlapic_next_deadline(&l, now), now + 1000);
	wrmsr(&l, 0x6e0, 999999999);        /* before ns 0 on the moved TSC */
	assert_int_equal(vlapic_next_deadline(&l, now), 0);
	l.tsc_offset = (uint64_t)-1000000;  /* backward by 10^6 ticks */
	assert_int_equal(vlapic_guest_tsc(&l, now), 1000000);
	wrmsr(&l, 0x6e0, vlapic_guest_tsc(&l, now) + 2000);
	assert_int_equal(vlapic_next_deadline(&l, now), now + 1000);
	wrmsr(&l, 0x6e0, UINT64_MAX);       /* saturates, never wraps to "now" */
	assert_true(vlapic_next_deadline(&l, now) > now);
	now += 1000;
	vlapic_update(&l, now);
	assert_int_equal(vlapic_pending(&l), -1);
}

static void test_timer_tsc_deadline_mode_changes(void **state)
{
	struct vlapic l;
	uint64_t v;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	/* Outside TSC-deadline mode the MSR reads 0 and ignores writes. */
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR);
	wrmsr(&l, 0x6e0, 123456789);
	assert_int_equal(rdmsr(&l, 0x6e0), 0);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	/* A running one-shot count is disarmed by entering TSC-deadline mode. */
	wr(&l, APIC_TMICT, 1000);
	assert_true(vlapic_next_deadline(&l, now) != DEV_NO_DEADLINE);
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_TSCDEADLINE);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	/* An armed deadline is disarmed by leaving it. */
	wrmsr(&l, 0x6e0, vlapic_guest_tsc(&l, now) + 100);
	assert_true(vlapic_next_deadline(&l, now) != DEV_NO_DEADLINE);
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_PERIODIC);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_TSCDEADLINE);
	assert_int_equal(rdmsr(&l, 0x6e0), 0);

	/* Without a TSC rate there is no TSC-deadline mode: the MSR #GPs and
	 * LVT bit 18 is reserved. */
	vlapic_init(&l, &env, &ops, 0, true, 0, BUS_KHZ);
	sw_enable(&l);
	assert_int_equal(vlapic_msr_read(&l, 0x6e0, &v), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, 0x6e0, 1), -EINVAL);
	wr(&l, APIC_LVTT, LOCAL_TIMER_VECTOR | APIC_LVT_TIMER_TSCDEADLINE);
	assert_int_equal(rd(&l, APIC_LVTT), LOCAL_TIMER_VECTOR);
}

static void test_eoi_edge(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	vlapic_set_irq(&l, 0x31, false);
	assert_int_equal(rd(&l, APIC_IRR + 0x10), 1u << 17);   /* 0x31 = 32 + 17 */
	assert_int_equal(vlapic_pending(&l), 0x31);
	vlapic_accept(&l, 0x31);
	assert_false(irr(&l, 0x31));
	assert_true(isr(&l, 0x31));
	assert_int_equal(rd(&l, APIC_ISR + 0x10), 1u << 17);
	assert_int_equal(rd(&l, APIC_PROCPRI), 0x30);
	assert_int_equal(vlapic_pending(&l), -1);
	wr(&l, APIC_EOI, 0);
	assert_false(isr(&l, 0x31));
	assert_int_equal(rd(&l, APIC_PROCPRI), 0);
	assert_int_equal(neois, 0);                         /* edge: no broadcast */
	/* EOI with nothing in service does nothing. */
	wr(&l, APIC_EOI, 0);
	assert_int_equal(neois, 0);
	/* accept() of a vector not requested changes nothing */
	vlapic_accept(&l, 0x50);
	assert_false(isr(&l, 0x50));
}

static void test_eoi_level_broadcast(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	vlapic_set_irq(&l, 0x41, true);
	assert_int_equal(rd(&l, APIC_TMR + 0x20), 1u << 1);     /* TMR for 0x41 */
	assert_int_equal(vlapic_pending(&l), 0x41);
	vlapic_accept(&l, 0x41);
	wr(&l, APIC_EOI, 0);
	assert_int_equal(neois, 1);
	assert_int_equal(eois[0], 0x41);
	assert_false(isr(&l, 0x41));
	/* The same vector arriving edge-triggered clears its TMR bit. */
	vlapic_set_irq(&l, 0x41, false);
	assert_int_equal(rd(&l, APIC_TMR + 0x20), 0);
	vlapic_accept(&l, 0x41);
	wr(&l, APIC_EOI, 0);
	assert_int_equal(neois, 1);
}

static void test_eoi_nested_highest_first(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	vlapic_set_irq(&l, 0x31, true);
	vlapic_accept(&l, vlapic_pending(&l));
	/* A higher class interrupts the handler. */
	vlapic_set_irq(&l, 0x61, false);
	assert_int_equal(vlapic_pending(&l), 0x61);
	vlapic_accept(&l, 0x61);
	assert_int_equal(rd(&l, APIC_PROCPRI), 0x60);
	wr(&l, APIC_EOI, 0);                                /* retires 0x61 */
	assert_false(isr(&l, 0x61));
	assert_true(isr(&l, 0x31));
	assert_int_equal(neois, 0);
	wr(&l, APIC_EOI, 0);                                /* then 0x31 */
	assert_false(isr(&l, 0x31));
	assert_int_equal(neois, 1);
	assert_int_equal(eois[0], 0x31);
}

static void test_tpr_masking(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	wr(&l, APIC_TASKPRI, 0x50);
	assert_int_equal(rd(&l, APIC_PROCPRI), 0x50);
	vlapic_set_irq(&l, 0x55, false);
	assert_int_equal(vlapic_pending(&l), -1);           /* class 5 is not above 5 */
	vlapic_set_irq(&l, 0x61, false);
	assert_int_equal(vlapic_pending(&l), 0x61);
	wr(&l, APIC_TASKPRI, 0xf0);
	assert_int_equal(vlapic_pending(&l), -1);
	wr(&l, APIC_TASKPRI, 0x4f);
	assert_int_equal(vlapic_pending(&l), 0x61);
	vlapic_accept(&l, 0x61);
	assert_int_equal(vlapic_pending(&l), -1);           /* 0x55 is below 0x60 */
	wr(&l, APIC_EOI, 0);
	assert_int_equal(vlapic_pending(&l), 0x55);
	wr(&l, APIC_TASKPRI, 0x1ff);                        /* 8 bits only */
	assert_int_equal(rd(&l, APIC_TASKPRI), 0xff);
}

static void test_priority_classes(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	vlapic_set_irq(&l, 0x31, false);
	vlapic_set_irq(&l, 0x5f, false);
	vlapic_set_irq(&l, 0x3f, false);
	assert_int_equal(vlapic_pending(&l), 0x5f);
	vlapic_accept(&l, 0x5f);
	assert_int_equal(rd(&l, APIC_PROCPRI), 0x50);
	/* Same class as the one in service waits, higher classes nest. */
	vlapic_set_irq(&l, 0x52, false);
	assert_int_equal(vlapic_pending(&l), -1);
	vlapic_set_irq(&l, 0x60, false);
	assert_int_equal(vlapic_pending(&l), 0x60);
	vlapic_accept(&l, 0x60);
	wr(&l, APIC_EOI, 0);
	wr(&l, APIC_EOI, 0);
	/* Within a class the higher vector goes first. */
	assert_int_equal(vlapic_pending(&l), 0x52);
	vlapic_accept(&l, 0x52);
	wr(&l, APIC_EOI, 0);
	assert_int_equal(vlapic_pending(&l), 0x3f);
	/* PPR is the TPR when the TPR's class is the higher (11.8.3.1). */
	vlapic_accept(&l, 0x3f);
	wr(&l, APIC_TASKPRI, 0x72);
	assert_int_equal(rd(&l, APIC_PROCPRI), 0x72);
	wr(&l, APIC_TASKPRI, 0x21);
	assert_int_equal(rd(&l, APIC_PROCPRI), 0x30);
	wr(&l, APIC_TASKPRI, 0x35);                         /* same class: TPR */
	assert_int_equal(rd(&l, APIC_PROCPRI), 0x35);
}

static void test_icr_xapic_init_sipi(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	/* wakeup_secondary_cpu_via_init for APIC ID 3, trampoline 0x9a000 */
	wr(&l, APIC_ICR2, 3u << 24);
	wr(&l, APIC_ICR, APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT);
	assert_int_equal(rd(&l, APIC_ICR) & 0x1000, 0);     /* never busy */
	wr(&l, APIC_ICR2, 3u << 24);
	wr(&l, APIC_ICR, APIC_INT_LEVELTRIG | APIC_DM_INIT);
	for (int i = 0; i < 2; i++) {
		wr(&l, APIC_ICR2, 3u << 24);
		wr(&l, APIC_ICR, APIC_DM_STARTUP | (0x9a000 >> 12));
	}
	assert_int_equal(nipis, 4);
	assert_int_equal(ipis[0].dest, 3);
	assert_false(ipis[0].logical);
	assert_int_equal(ipis[0].shorthand, VLAPIC_SH_NONE);
	assert_int_equal(ipis[0].mode, VLAPIC_DM_INIT);
	assert_true(ipis[0].assert);
	assert_int_equal(ipis[1].mode, VLAPIC_DM_INIT);
	assert_false(ipis[1].assert);                       /* INIT de-assert */
	for (int i = 2; i < 4; i++) {
		assert_int_equal(ipis[i].dest, 3);
		assert_int_equal(ipis[i].mode, VLAPIC_DM_STARTUP);
		assert_int_equal(ipis[i].vector, 0x9a);
	}
	assert_int_equal(rd(&l, APIC_ICR2), 3u << 24);
	assert_int_equal(rd(&l, APIC_ICR), 0x69a);
	wr(&l, APIC_ICR2, 0xffffffff);                      /* 23:0 reserved */
	assert_int_equal(rd(&l, APIC_ICR2), 0xff000000);
	/* Writing ICR2 alone sends nothing. */
	assert_int_equal(nipis, 4);
}

static void test_icr_xapic_fixed_and_shorthands(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	/* flat logical: CPUs 0-3 (LDR bits), reschedule */
	wr(&l, APIC_ICR2, 0x0fu << 24);
	wr(&l, APIC_ICR, APIC_DEST_LOGICAL | RESCHEDULE_VECTOR);
	/* __default_send_IPI_shortcut: all but self, call-function */
	wr(&l, APIC_ICR, APIC_DEST_ALLBUT | CALL_FUNCTION_VECTOR);
	wr(&l, APIC_ICR, APIC_DEST_SELF | 0xf6);
	wr(&l, APIC_ICR, APIC_DEST_ALLINC | APIC_DM_NMI);
	assert_int_equal(nipis, 4);
	assert_int_equal(ipis[0].dest, 0x0f);
	assert_true(ipis[0].logical);
	assert_int_equal(ipis[0].mode, VLAPIC_DM_FIXED);
	assert_int_equal(ipis[0].vector, RESCHEDULE_VECTOR);
	assert_int_equal(ipis[1].shorthand, VLAPIC_SH_OTHERS);
	assert_int_equal(ipis[1].vector, CALL_FUNCTION_VECTOR);
	assert_false(ipis[1].logical);
	assert_int_equal(ipis[2].shorthand, VLAPIC_SH_SELF);
	assert_int_equal(ipis[2].vector, 0xf6);
	assert_int_equal(ipis[3].shorthand, VLAPIC_SH_ALL);
	assert_int_equal(ipis[3].mode, VLAPIC_DM_NMI);
}

static void test_icr_illegal_vector_and_error_lvt(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	wr(&l, APIC_LVTERR, ERROR_APIC_VECTOR);
	wr(&l, APIC_ICR2, 1u << 24);
	wr(&l, APIC_ICR, 0x0005);                           /* fixed, vector 5 */
	assert_int_equal(nipis, 0);
	assert_int_equal(vlapic_pending(&l), ERROR_APIC_VECTOR);
	/* ESR shows it only after a write (SDM 11.5.3), then clears. */
	assert_int_equal(rd(&l, APIC_ESR), 0);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), 0x20);           /* send illegal vector */
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), 0);
	/* Receiving one: "receive illegal vector", nothing in IRR. */
	vlapic_set_irq(&l, 7, false);
	assert_int_equal(l.irr[0], 0);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), 0x40);
	/* SIPI vectors below 16 are page numbers, not errors. */
	wr(&l, APIC_ICR, APIC_DM_STARTUP | 0x08);
	assert_int_equal(nipis, 1);
	assert_int_equal(ipis[0].vector, 8);
}

static void test_xapic_illegal_register(void **state)
{
	struct vlapic l;
	uint32_t v;

	(void)state;
	mk(&l, 0, true);
	sw_enable(&l);
	assert_int_equal(rd(&l, 0x040), 0);                 /* reserved */
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), 0x80);
	wr(&l, APIC_SELF_IPI, 0x40);                        /* x2APIC only */
	assert_false(irr(&l, 0x40));
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), 0x80);
	/* Read-only registers ignore writes without an error. */
	wr(&l, APIC_LVR, 0);
	wr(&l, APIC_PROCPRI, 0x80);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), 0);
	assert_int_equal(rd(&l, APIC_LVR), 0x00060014);
	assert_int_equal(rd(&l, APIC_ARBPRI), 0);
	/* Not a register access at all. */
	assert_int_equal(vlapic_mmio_read(&l, 0x84, &v), -EINVAL);
	assert_int_equal(vlapic_mmio_write(&l, 0x1000, 0), -EINVAL);
}

static void test_x2apic_enable_transitions(void **state)
{
	struct vlapic l;
	uint64_t v;
	uint32_t m;

	(void)state;
	mk(&l, 0x2b, false);
	sw_enable(&l);
	wr(&l, APIC_TASKPRI, 0x20);
	/* Reserved bits, EXTD without EN, and a new base are #GP. */
	assert_int_equal(vlapic_msr_write(&l, 0x1b, 0xfee00800 | 1), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, 0x1b, 0xfee00800 | (1 << 9)), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, 0x1b, 0xfee00400), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, 0x1b, 0xfed00800), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, 0x1b, 0xfee00800 | (1ULL << 52)), -EINVAL);
	/* The BSP flag is read-only. */
	wrmsr(&l, 0x1b, 0xfee00900);
	assert_int_equal(rdmsr(&l, 0x1b), 0xfee00800);
	/* xAPIC -> x2APIC keeps the registers. */
	to_x2apic(&l);
	assert_int_equal(rdmsr(&l, 0x1b), 0xfee00c00);
	assert_int_equal(rdmsr(&l, MSR(APIC_ID)), 0x2b);
	assert_int_equal(rdmsr(&l, MSR(APIC_LDR)), (2u << 16) | (1u << 11));
	assert_int_equal(rdmsr(&l, MSR(APIC_TASKPRI)), 0x20);
	assert_int_equal(rdmsr(&l, MSR(APIC_SPIV)), 0x3ff);
	/* x2APIC -> xAPIC directly is #GP (SDM 11.12.5). */
	assert_int_equal(vlapic_msr_write(&l, 0x1b, 0xfee00800), -EINVAL);
	assert_int_equal(rdmsr(&l, 0x1b), 0xfee00c00);
	/* x2APIC -> disabled: registers back to power-up values. */
	wrmsr(&l, 0x1b, 0xfee00000);
	assert_int_equal(vlapic_msr_read(&l, MSR(APIC_ID), &v), -EINVAL);
	assert_int_equal(vlapic_mmio_read(&l, APIC_ID, &m), -ENODEV);
	/* disabled -> x2APIC is #GP; disabled -> xAPIC is fine. */
	assert_int_equal(vlapic_msr_write(&l, 0x1b, 0xfee00c00), -EINVAL);
	wrmsr(&l, 0x1b, 0xfee00800);
	assert_int_equal(rd(&l, APIC_SPIV), 0xff);
	assert_int_equal(rd(&l, APIC_TASKPRI), 0);
	assert_int_equal(rd(&l, APIC_ID), 0x2bu << 24);
	to_x2apic(&l);
	assert_int_equal(rdmsr(&l, MSR(APIC_ID)), 0x2b);
}

static void test_x2apic_gp_cases(void **state)
{
	struct vlapic l;
	uint64_t v;
	uint32_t m;

	(void)state;
	mk(&l, 1, false);
	/* x2APIC MSRs in xAPIC mode */
	assert_int_equal(vlapic_msr_read(&l, MSR(APIC_ID), &v), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_EOI), 0), -EINVAL);
	/* Not the LAPIC's MSR at all */
	assert_int_equal(vlapic_msr_read(&l, 0x10, &v), -ENOENT);
	assert_int_equal(vlapic_msr_write(&l, 0x900, 0), -ENOENT);
	to_x2apic(&l);
	/* The MMIO page is gone in x2APIC mode (SDM 11.12.2). */
	assert_int_equal(vlapic_mmio_read(&l, APIC_SPIV, &m), -ENODEV);
	assert_int_equal(vlapic_mmio_write(&l, APIC_SPIV, 0x1ff), -ENODEV);
	assert_int_equal(rdmsr(&l, MSR(APIC_SPIV)), 0xff);
	wrmsr(&l, MSR(APIC_SPIV), 0x1ff);
	/* No DFR, no ICR2, no APR, no remote read; reserved MSRs */
	assert_int_equal(vlapic_msr_read(&l, MSR(APIC_DFR), &v), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_DFR), 0xffffffff), -EINVAL);
	assert_int_equal(vlapic_msr_read(&l, MSR(APIC_ICR2), &v), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_ICR2), 0), -EINVAL);
	assert_int_equal(vlapic_msr_read(&l, MSR(APIC_ARBPRI), &v), -EINVAL);
	assert_int_equal(vlapic_msr_read(&l, 0x801, &v), -EINVAL);
	assert_int_equal(vlapic_msr_read(&l, 0x840, &v), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, 0x8ff, 0), -EINVAL);
	/* Read-only registers */
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_ID), 1), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_LVR), 0), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_LDR), 0), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_PROCPRI), 0), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_ISR), 0), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_IRR + 0x70), 0), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_TMCCT), 0), -EINVAL);
	/* Write-only registers */
	assert_int_equal(vlapic_msr_read(&l, MSR(APIC_EOI), &v), -EINVAL);
	assert_int_equal(vlapic_msr_read(&l, MSR(APIC_SELF_IPI), &v), -EINVAL);
	/* Reserved bits (SDM 11.12.1.3) */
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_EOI), 1), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_ESR), 1), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_TASKPRI), 0x100), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_TASKPRI), 1ULL << 32), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_SPIV), 0x11ff), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_LVTERR), 0x7fe), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_LVTT), 0x600ec), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_TDCR), 0x4), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_SELF_IPI), 0x140), -EINVAL);
	assert_int_equal(vlapic_msr_write(&l, MSR(APIC_ICR), 0x10fd), -EINVAL);
	/* None of the refused writes changed anything. */
	assert_int_equal(rdmsr(&l, MSR(APIC_TASKPRI)), 0);
	assert_int_equal(rdmsr(&l, MSR(APIC_SPIV)), 0x1ff);
	assert_int_equal(rdmsr(&l, MSR(APIC_LVTERR)), APIC_LVT_MASKED);
	assert_int_equal(nipis, 0);
}

static void test_x2apic_registers(void **state)
{
	struct vlapic l;
	uint64_t t0;

	(void)state;
	mk(&l, 5, false);
	to_x2apic(&l);
	wrmsr(&l, MSR(APIC_SPIV), APIC_SPIV_APIC_ENABLED | SPURIOUS_APIC_VECTOR);
	wrmsr(&l, MSR(APIC_TASKPRI), 0);
	assert_int_equal(rdmsr(&l, MSR(APIC_LVR)), 0x00060014);
	/* timer through MSRs */
	wrmsr(&l, MSR(APIC_LVTT), LOCAL_TIMER_VECTOR);
	wrmsr(&l, MSR(APIC_TDCR), APIC_TDR_DIV_1);
	t0 = now;
	wrmsr(&l, MSR(APIC_TMICT), 500);
	now = t0 + 200;
	assert_int_equal(rdmsr(&l, MSR(APIC_TMCCT)), 300);
	assert_int_equal(rdmsr(&l, MSR(APIC_TMICT)), 500);
	now = t0 + 500;
	vlapic_update(&l, now);
	assert_int_equal(rdmsr(&l, MSR(APIC_IRR + 0x70)), 1u << (LOCAL_TIMER_VECTOR - 224));
	assert_int_equal(vlapic_pending(&l), LOCAL_TIMER_VECTOR);
	vlapic_accept(&l, LOCAL_TIMER_VECTOR);
	assert_int_equal(rdmsr(&l, MSR(APIC_ISR + 0x70)), 1u << (LOCAL_TIMER_VECTOR - 224));
	assert_int_equal(rdmsr(&l, MSR(APIC_PROCPRI)), 0xe0);
	/* native_apic_msr_eoi: WRMSR 0x80b, 0 */
	wrmsr(&l, MSR(APIC_EOI), 0);
	assert_int_equal(rdmsr(&l, MSR(APIC_ISR + 0x70)), 0);
	/* level vector through TMR, broadcast EOI */
	vlapic_set_irq(&l, 0x22, true);
	assert_int_equal(rdmsr(&l, MSR(APIC_TMR + 0x10)), 1u << 2);
	vlapic_accept(&l, 0x22);
	wrmsr(&l, MSR(APIC_EOI), 0);
	assert_int_equal(neois, 1);
	assert_int_equal(eois[0], 0x22);
	/* ESR: write 0, read */
	wrmsr(&l, MSR(APIC_LVTERR), ERROR_APIC_VECTOR);
	wrmsr(&l, MSR(APIC_ESR), 0);
	assert_int_equal(rdmsr(&l, MSR(APIC_ESR)), 0);
	assert_int_equal(rdmsr(&l, MSR(APIC_LVTERR)), ERROR_APIC_VECTOR);
}

static void test_icr_x2apic(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	to_x2apic(&l);
	wrmsr(&l, MSR(APIC_SPIV), 0x1ff);
	/* __x2apic_send_IPI_dest: 32-bit destination in ICR[63:32] */
	wrmsr(&l, MSR(APIC_ICR), (0x12345ULL << 32) | RESCHEDULE_VECTOR);
	/* x2apic_cluster: logical, cluster 1, members 0 and 2 */
	wrmsr(&l, MSR(APIC_ICR), (0x00010005ULL << 32) | APIC_DEST_LOGICAL | CALL_FUNCTION_VECTOR);
	/* INIT/SIPI to x2APIC ID 0x100, which xAPIC cannot name */
	wrmsr(&l, MSR(APIC_ICR), (0x100ULL << 32) | APIC_INT_LEVELTRIG | APIC_INT_ASSERT |
	      APIC_DM_INIT);
	wrmsr(&l, MSR(APIC_ICR), (0x100ULL << 32) | APIC_DM_STARTUP | 0x9a);
	wrmsr(&l, MSR(APIC_ICR), APIC_DEST_ALLBUT | CALL_FUNCTION_VECTOR);
	assert_int_equal(nipis, 5);
	assert_int_equal(ipis[0].dest, 0x12345);
	assert_false(ipis[0].logical);
	assert_int_equal(ipis[0].mode, VLAPIC_DM_FIXED);
	assert_int_equal(ipis[0].vector, RESCHEDULE_VECTOR);
	assert_int_equal(ipis[1].dest, 0x00010005);
	assert_true(ipis[1].logical);
	assert_int_equal(ipis[2].dest, 0x100);
	assert_int_equal(ipis[2].mode, VLAPIC_DM_INIT);
	assert_true(ipis[2].assert);
	assert_int_equal(ipis[3].mode, VLAPIC_DM_STARTUP);
	assert_int_equal(ipis[3].vector, 0x9a);
	assert_int_equal(ipis[4].shorthand, VLAPIC_SH_OTHERS);
	/* the 64-bit ICR reads back */
	assert_int_equal(rdmsr(&l, MSR(APIC_ICR)), APIC_DEST_ALLBUT | CALL_FUNCTION_VECTOR);
	wrmsr(&l, MSR(APIC_ICR), (7ULL << 32) | 0x30);
	assert_int_equal(rdmsr(&l, MSR(APIC_ICR)), (7ULL << 32) | 0x30);
}

static void test_x2apic_self_ipi(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 4, false);
	to_x2apic(&l);
	wrmsr(&l, MSR(APIC_SPIV), 0x1ff);
	/* x2apic_send_IPI_self: the SELF IPI MSR logs straight into IRR. */
	vlapic_set_irq(&l, 0x40, true);                     /* TMR set ... */
	vlapic_accept(&l, 0x40);
	wrmsr(&l, MSR(APIC_EOI), 0);
	wrmsr(&l, MSR(APIC_SELF_IPI), 0x40);
	assert_true(irr(&l, 0x40));
	assert_int_equal(rdmsr(&l, MSR(APIC_TMR + 0x20)), 0);   /* ... edge clears */
	assert_int_equal(nipis, 0);
	assert_int_equal(vlapic_pending(&l), 0x40);
	vlapic_accept(&l, 0x40);
	wrmsr(&l, MSR(APIC_EOI), 0);
	assert_int_equal(neois, 1);                         /* only the level one */
	/* illegal vector: not logged, ESR send-illegal */
	wrmsr(&l, MSR(APIC_SELF_IPI), 0x03);
	assert_int_equal(l.irr[0], 0);
	wrmsr(&l, MSR(APIC_ESR), 0);
	assert_int_equal(rdmsr(&l, MSR(APIC_ESR)), 0x20);
}

static void test_match_dest(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 2, false);
	/* xAPIC physical */
	assert_true(vlapic_match_dest(&l, 2, false));
	assert_false(vlapic_match_dest(&l, 3, false));
	assert_true(vlapic_match_dest(&l, 0xff, false));
	/* flat logical: LDR bit 2 */
	wr(&l, APIC_LDR, 0x04000000);
	assert_true(vlapic_match_dest(&l, 0x0f, true));
	assert_false(vlapic_match_dest(&l, 0x0b, true));
	assert_true(vlapic_match_dest(&l, 0xff, true));
	/* cluster logical: cluster 3, member bit 1 */
	wr(&l, APIC_DFR, 0x0fffffff);
	assert_int_equal(rd(&l, APIC_DFR), 0x0fffffff);
	wr(&l, APIC_LDR, 0x32000000);
	assert_true(vlapic_match_dest(&l, 0x36, true));
	assert_false(vlapic_match_dest(&l, 0x26, true));
	assert_false(vlapic_match_dest(&l, 0x35, true));
	/* x2APIC: 32-bit physical, derived cluster LDR (cluster 0, bit 2) */
	mk(&l, 0x12, false);
	to_x2apic(&l);
	assert_true(vlapic_match_dest(&l, 0x12, false));
	assert_false(vlapic_match_dest(&l, 0xff, false));
	assert_true(vlapic_match_dest(&l, 0xffffffff, false));
	assert_true(vlapic_match_dest(&l, 0x00010004, true));
	assert_false(vlapic_match_dest(&l, 0x00000004, true));
	assert_false(vlapic_match_dest(&l, 0x00010008, true));
	/* globally disabled: matches nothing */
	wrmsr(&l, 0x1b, 0xfee00000);
	assert_false(vlapic_match_dest(&l, 0xffffffff, false));
}

static void test_hw_disable_and_init_reset(void **state)
{
	struct vlapic l;
	uint32_t m;

	(void)state;
	mk(&l, 1, false);
	sw_enable(&l);
	vlapic_set_irq(&l, 0x50, false);
	wr(&l, APIC_TDCR, APIC_TDR_DIV_1);
	wr(&l, APIC_TMICT, 100000);
	wrmsr(&l, 0x1b, 0xfee00000);                        /* EN = 0 */
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(vlapic_next_deadline(&l, now), DEV_NO_DEADLINE);
	assert_int_equal(vlapic_mmio_write(&l, APIC_SPIV, 0x1ff), -ENODEV);
	vlapic_set_irq(&l, 0x60, false);                    /* dropped */
	wrmsr(&l, 0x1b, 0xfee00800);
	sw_enable(&l);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(rd(&l, APIC_TMICT), 0);

	/* INIT: registers reset, ID and x2APIC mode kept (11.4.7.3) */
	to_x2apic(&l);
	wrmsr(&l, MSR(APIC_SPIV), 0x1ff);
	wrmsr(&l, MSR(APIC_TASKPRI), 0x30);
	vlapic_set_irq(&l, 0x70, false);
	vlapic_init_reset(&l);
	assert_int_equal(rdmsr(&l, 0x1b), 0xfee00c00);
	assert_int_equal(rdmsr(&l, MSR(APIC_ID)), 1);
	assert_int_equal(rdmsr(&l, MSR(APIC_SPIV)), 0xff);
	assert_int_equal(rdmsr(&l, MSR(APIC_TASKPRI)), 0);
	assert_false(irr(&l, 0x70));
	assert_int_equal(vlapic_mmio_read(&l, APIC_ID, &m), -ENODEV);
}

/* LINT0/LINT1 as their LVT entries say (SDM 11.5.1): masked -> nothing,
 * fixed -> the vector in IRR, NMI -> the caller's; software-disabled ->
 * masked; hardware-disabled -> LINT1 is the NMI pin (11.4.3). */
static void test_lint(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	assert_int_equal(vlapic_lint(&l, 1), -1);          /* masked at reset */
	assert_int_equal(vlapic_lint(&l, 2), -1);
	sw_enable(&l);
	wr(&l, APIC_LVT1, APIC_DM_NMI);
	assert_int_equal(vlapic_lint(&l, 1), VLAPIC_DM_NMI);
	assert_int_equal(vlapic_pending(&l), -1);          /* nothing in IRR */
	wr(&l, APIC_LVT1, APIC_DM_NMI | APIC_LVT_MASKED);
	assert_int_equal(vlapic_lint(&l, 1), -1);
	wr(&l, APIC_LVT0, 0x45);                           /* fixed, vector 0x45 */
	assert_int_equal(vlapic_lint(&l, 0), VLAPIC_DM_FIXED);
	assert_true(irr(&l, 0x45));
	assert_int_equal(vlapic_pending(&l), 0x45);
	wr(&l, APIC_LVT1, APIC_DM_NMI);
	wr(&l, APIC_SPIV, 0xff);                           /* software-disabled */
	assert_int_equal(vlapic_lint(&l, 1), -1);
	sw_enable(&l);
	assert_int_equal(vlapic_msr_write(&l, VLAPIC_MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | VLAPIC_BASE_BSP), 0);
	assert_int_equal(vlapic_lint(&l, 1), VLAPIC_DM_NMI); /* hardware-disabled: the NMI pin */
	assert_int_equal(vlapic_lint(&l, 0), -1);
}

/* Whether LINT0/LINT1 would give an NMI, without taking a signal: only an
 * unmasked NMI entry of a software-enabled APIC, or the NMI pin of a
 * hardware-disabled one; a fixed or masked entry is not. */
static void test_lint_nmi(void **state)
{
	struct vlapic l;

	(void)state;
	mk(&l, 0, true);
	assert_false(vlapic_lint_nmi(&l));                 /* masked at reset */
	sw_enable(&l);
	assert_false(vlapic_lint_nmi(&l));
	wr(&l, APIC_LVT0, APIC_DM_NMI | APIC_LVT_MASKED);
	wr(&l, APIC_LVT1, 0x45);                           /* fixed */
	assert_false(vlapic_lint_nmi(&l));
	assert_false(irr(&l, 0x45));                       /* nothing taken */
	wr(&l, APIC_LVT0, APIC_DM_NMI);
	assert_true(vlapic_lint_nmi(&l));
	wr(&l, APIC_LVT0, APIC_LVT_MASKED);
	wr(&l, APIC_LVT1, APIC_DM_NMI);
	assert_true(vlapic_lint_nmi(&l));
	wr(&l, APIC_SPIV, 0xff);                           /* software-disabled */
	assert_false(vlapic_lint_nmi(&l));
	assert_int_equal(vlapic_msr_write(&l, VLAPIC_MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | VLAPIC_BASE_BSP), 0);
	assert_true(vlapic_lint_nmi(&l));                  /* hardware-disabled: the NMI pin */
}

/* vlapic_access_moves_timer: an access it says leaves the timer alone
 * never arms it nor brings its deadline forward, from LAPICs with the
 * timer one-shot, periodic or TSC-deadline, armed or not, masked or not,
 * with vectors in IRR and ISR (the timer's among them); and it says so of
 * every read and of the EOI, TPR, ESR and ICR writes. */
static void test_access_moves_timer(void **state)
{
	static const uint32_t quiet_writes[] = { APIC_EOI, APIC_TASKPRI, APIC_ESR, APIC_ICR, APIC_ICR2 };
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned checked = 0;

	(void)state;
	for (uint32_t off = 0; off < 0x400; off += 0x10)
		assert_false(vlapic_access_moves_timer(off, false));
	for (unsigned i = 0; i < sizeof(quiet_writes) / sizeof(quiet_writes[0]); i++)
		assert_false(vlapic_access_moves_timer(quiet_writes[i], true));
	assert_true(vlapic_access_moves_timer(APIC_TMICT, true));
	assert_true(vlapic_access_moves_timer(APIC_LVTT, true));
	assert_true(vlapic_access_moves_timer(APIC_TDCR, true));
	assert_true(vlapic_access_moves_timer(APIC_SPIV, true));
	for (int it = 0; it < 4000; it++) {
		struct vlapic l;
		uint32_t off, val, mode;
		uint64_t before, after;
		bool write;

#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
		mk(&l, 0, true);
		wr(&l, APIC_SPIV, APIC_SPIV_APIC_ENABLED | 0xff);
		mode = (uint32_t)(RND() % 3);
		wr(&l, APIC_TDCR, (uint32_t)(RND() % 16));
		wr(&l, APIC_LVTT, 0x40 | (mode << 17) | (RND() % 4 ? 0 : APIC_LVT_MASKED));
		if (mode == 2)
			wrmsr(&l, 0x6e0, RND() % 4 ? 5000000 + RND() % 1000000 : 0);
		else if (RND() % 4)
			wr(&l, APIC_TMICT, 1 + (uint32_t)(RND() % 100000));
		for (int k = 0; k < 3; k++) {
			uint8_t vec = RND() % 2 ? 0x40 : (uint8_t)(0x20 + RND() % 0xd0);

			vlapic_set_irq(&l, vec, false);
			if (RND() % 2 && vlapic_pending(&l) >= 0)
				vlapic_accept(&l, (uint8_t)vlapic_pending(&l));
		}
		now += RND() % 3000000;
		vlapic_update(&l, now);
		off = (uint32_t)(RND() % 0x40) << 4;
		write = RND() % 2;
		if (vlapic_access_moves_timer(off, write))
			continue;
		val = (uint32_t)RND();
		if (off == APIC_ICR)            /* a fixed IPI to itself or another */
			val = (val & 0xc00ff) | (RND() % 2 ? 0x40000 : 0);
		before = vlapic_next_deadline(&l, now);
		if (write)
			vlapic_mmio_write(&l, off, val);
		else
			vlapic_mmio_read(&l, off, &val);
		after = vlapic_next_deadline(&l, now);
		assert_true(after >= before);
		checked++;
#undef RND
	}
	assert_true(checked > 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_moves_timer),
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_linux_setup_local_apic),
		cmocka_unit_test(test_svr_software_disable),
		cmocka_unit_test(test_timer_calibration_linux),
		cmocka_unit_test(test_timer_one_shot_div16),
		cmocka_unit_test(test_timer_current_count_decrements),
		cmocka_unit_test(test_timer_divide_encodings),
		cmocka_unit_test(test_timer_periodic_hz),
		cmocka_unit_test(test_timer_unobservable),
		cmocka_unit_test(test_timer_tsc_deadline),
		cmocka_unit_test(test_timer_tsc_deadline_moved_tsc),
		cmocka_unit_test(test_timer_tsc_deadline_mode_changes),
		cmocka_unit_test(test_eoi_edge),
		cmocka_unit_test(test_eoi_level_broadcast),
		cmocka_unit_test(test_eoi_nested_highest_first),
		cmocka_unit_test(test_tpr_masking),
		cmocka_unit_test(test_priority_classes),
		cmocka_unit_test(test_icr_xapic_init_sipi),
		cmocka_unit_test(test_icr_xapic_fixed_and_shorthands),
		cmocka_unit_test(test_icr_illegal_vector_and_error_lvt),
		cmocka_unit_test(test_xapic_illegal_register),
		cmocka_unit_test(test_x2apic_enable_transitions),
		cmocka_unit_test(test_x2apic_gp_cases),
		cmocka_unit_test(test_x2apic_registers),
		cmocka_unit_test(test_icr_x2apic),
		cmocka_unit_test(test_x2apic_self_ipi),
		cmocka_unit_test(test_match_dest),
		cmocka_unit_test(test_hw_disable_and_init_reset),
		cmocka_unit_test(test_lint),
		cmocka_unit_test(test_lint_nmi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
