/* Local APIC driver for the host (Intel SDM Vol. 3A, chapter 10). */
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "lib/log.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

#define APIC_BASE_X2  (1ULL << 10)
#define APIC_BASE_EN  (1ULL << 11)

enum {
	REG_ID = 0x020, REG_TPR = 0x080, REG_EOI = 0x0b0, REG_SVR = 0x0f0, REG_ISR = 0x100,
	REG_ICR_LO = 0x300, REG_ICR_HI = 0x310,
	REG_LVT_CMCI = 0x2f0, REG_LVT_TIMER = 0x320, REG_LVT_THERMAL = 0x330,
	REG_LVT_PERF = 0x340, REG_LVT_LINT0 = 0x350, REG_LVT_LINT1 = 0x360,
	REG_LVT_ERROR = 0x370, REG_TIMER_INIT = 0x380, REG_TIMER_CUR = 0x390,
	REG_TIMER_DIV = 0x3e0,
};
#define LVT_MASKED (1u << 16)

static EXIT_DATA volatile uint32_t *mmio;
static EXIT_DATA bool x2;
static EXIT_DATA bool ready;
static EXIT_DATA uint64_t ticks_per_ktsc;   /* timer ticks per 1024 TSC cycles, the same on every CPU */

static uint32_t rd(uint32_t reg)
{
	return x2 ? (uint32_t)rdmsr(0x800 + (reg >> 4)) : mmio[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
	if (x2)
		wrmsr(0x800 + (reg >> 4), v);
	else
		mmio[reg / 4] = v;
}

bool apic_ready(void)
{
	return ready;
}

void apic_irq(unsigned vector)
{
	struct cpu *c = this_cpu();

	if (vector == APIC_SPURIOUS_VECTOR)
		return;
	if (vector == APIC_KICK_VECTOR) {
		if (cpus_halt)
			cpu_halt_forever();   /* another CPU hit a fatal error */
		c->kicks++;
	} else {
		c->timer_irqs++;
		c->timer_armed = 0;
	}
	wr(REG_EOI, 0);
}

void apic_eoi(void)
{
	wr(REG_EOI, 0);
}

/* ISR: eight 32-bit registers 10h apart, vector v at bit v % 32 of the
 * (v / 32)th (SDM Vol. 3A, 11.8.4). */
bool apic_in_service(unsigned vector)
{
	if ((!mmio && !x2) || vector > 255)
		return false;
	return rd(REG_ISR + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

uint32_t apic_id(void)
{
	return x2 ? rd(REG_ID) : rd(REG_ID) >> 24;
}

/* Interrupt command register (SDM Vol. 3A, 11.6.1): waits for the
 * previous IPI to leave (xAPIC delivery status) before sending. */
static void icr(uint32_t apic, uint32_t lo)
{
	if (x2) {
		wrmsr(0x830, ((uint64_t)apic << 32) | lo);
		return;
	}
	for (unsigned i = 0; i < 1000000 && (rd(REG_ICR_LO) & (1u << 12)); i++)
		cpu_relax();
	wr(REG_ICR_HI, apic << 24);
	wr(REG_ICR_LO, lo);
}

void apic_send_ipi(uint32_t apic, uint8_t vector)
{
	icr(apic, vector);                              /* fixed, physical */
}

/* Shorthand 01b: self (SDM Vol. 3A, 11.6.1), fixed delivery. */
void apic_send_self(uint8_t vector)
{
	icr(0, 0x40000 | vector);
}

void apic_send_init(uint32_t apic)
{
	icr(apic, 0x4500);                              /* INIT, level assert */
}

void apic_send_sipi(uint32_t apic, uint8_t page)
{
	icr(apic, 0x4600 | page);                       /* start-up */
}

/* Shorthand 11b: all excluding self (SDM Vol. 3A, 11.6.1). */
void apic_send_ipi_others(uint8_t vector)
{
	icr(0, 0xc0000 | vector);
}

void apic_send_init_others(void)
{
	icr(0, 0xc4500);
}

void apic_send_sipi_others(uint8_t page)
{
	icr(0, 0xc4600 | page);
}

/* The boot CPU's setup, without the calibration: every LVT masked but
 * the timer, the same divider. */
static void lapic_program(void)
{
	wr(REG_TPR, 0);
	wr(REG_SVR, (1u << 8) | APIC_SPURIOUS_VECTOR);
	wr(REG_LVT_LINT0, LVT_MASKED);
	wr(REG_LVT_LINT1, LVT_MASKED);
	wr(REG_LVT_ERROR, LVT_MASKED);
	wr(REG_LVT_PERF, LVT_MASKED);
	wr(REG_LVT_THERMAL, LVT_MASKED);
	wr(REG_TIMER_DIV, 0xb);                 /* divide by 1 */
}

int apic_init_ap(void)
{
	if (!mmio && !x2)
		return -ENODEV;
	if (x2 != !!(rdmsr(MSR_APIC_BASE) & APIC_BASE_X2))
		return -EIO;   /* the firmware left this CPU in the other mode */
	if (!x2)
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN);
	lapic_program();
	wr(REG_TIMER_INIT, 0);
	wr(REG_LVT_TIMER, ready ? APIC_TIMER_VECTOR : LVT_MASKED | APIC_TIMER_VECTOR);
	return 0;
}

void apic_take_pending(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}

int apic_init(uint64_t tsc_khz)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), t0, t1;
	uint32_t start, end;

	if (!(cpuid(1, 0).d & (1u << 9)) || !tsc_khz)
		return -ENODEV;
	x2 = base & APIC_BASE_X2;
	if (!x2) {
		mmio = mmu_map_phys(base & ~0xfffULL, 4096, true);
		if (!mmio)
			return -ENOMEM;
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
	}
	lapic_program();
	wr(REG_LVT_TIMER, LVT_MASKED | APIC_TIMER_VECTOR);
	/* Timer ticks per TSC cycle, over ~1 ms. */
	wr(REG_TIMER_INIT, 0xffffffff);
	start = rd(REG_TIMER_CUR);
	t0 = rdtsc();
	while (rdtsc() - t0 < tsc_khz)
		cpu_relax();
	end = rd(REG_TIMER_CUR);
	t1 = rdtsc();
	wr(REG_TIMER_INIT, 0);
	if (start <= end || t1 == t0)
		return -EIO;
	ticks_per_ktsc = ((uint64_t)(start - end) << 10) / (t1 - t0);
	if (!ticks_per_ktsc)
		ticks_per_ktsc = 1;
	wr(REG_LVT_TIMER, APIC_TIMER_VECTOR);   /* one-shot, unmasked */
	/* Prove it: a 1 ms shot must interrupt within 100 ms. */
	ready = true;
	apic_timer_at(rdtsc() + tsc_khz);
	t0 = rdtsc();
	while (!this_cpu()->timer_irqs && rdtsc() - t0 < 100 * tsc_khz)
		apic_take_pending();
	if (!this_cpu()->timer_irqs) {
		ready = false;
		wr(REG_TIMER_INIT, 0);
		return -EIO;
	}
	pr_info("apic: %s, timer %llu ticks per 1024 TSC cycles", x2 ? "x2APIC" : "xAPIC",
		(unsigned long long)ticks_per_ktsc);
	return 0;
}

EXIT_PATH void apic_timer_at(uint64_t deadline)
{
	uint64_t now = rdtsc(), ticks;
	struct cpu *c = this_cpu();

	if (!ready || deadline == c->timer_armed)
		return;   /* re-arming with the same deadline costs an MMIO write */
	c->timer_armed = deadline;
	if (!deadline) {
		wr(REG_TIMER_INIT, 0);
		return;
	}
	ticks = deadline > now ? ((deadline - now) * ticks_per_ktsc) >> 10 : 1;
	if (ticks > 0xffffffff)
		ticks = 0xffffffff;
	wr(REG_TIMER_INIT, ticks ? (uint32_t)ticks : 1);
}
