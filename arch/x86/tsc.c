/* TSC calibration over a 10 ms window. */
#include "arch/x86/tsc.h"
#include "arch/x86/cpu.h"

#define PM_TIMER_HZ 3579545ULL  /* ACPI 6.4, 4.8.3.3 */
#define PIT_HZ      1193182ULL

static uint32_t pm_read(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint64_t by_pm_timer(uint16_t port, bool wide)
{
	uint32_t mask = wide ? 0xffffffff : 0xffffff;
	uint32_t ticks = (uint32_t)(PM_TIMER_HZ / 100), start, now, spins = 0;
	uint64_t t0, t1;

	start = pm_read(port) & mask;
	t0 = rdtsc();
	do {
		now = pm_read(port) & mask;
		if (++spins > 50000000)
			return 0;          /* the timer does not count */
	} while (((now - start) & mask) < ticks);
	t1 = rdtsc();
	return (t1 - t0) * PM_TIMER_HZ / (((now - start) & mask) * 1000ULL);
}

/* PIT channel 2, gated by port 0x61, counting down once in mode 0. */
static uint64_t by_pit(void)
{
	uint16_t count = (uint16_t)(PIT_HZ / 100);
	uint64_t t0, t1;
	uint32_t spins = 0;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);            /* channel 2, lo/hi, mode 0, binary */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		if (++spins > 50000000)
			return 0;
	t1 = rdtsc();
	return (t1 - t0) * PIT_HZ / (count * 1000ULL);
}

uint64_t tsc_calibrate(uint32_t pm_tmr_port, bool pm_tmr_32bit)
{
	uint64_t khz = 0;

	if (pm_tmr_port)
		khz = by_pm_timer((uint16_t)pm_tmr_port, pm_tmr_32bit);
	if (!khz)
		khz = by_pit();
	return khz;
}
