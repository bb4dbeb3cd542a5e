/*
 * flood: a partition that asks for as many timer interrupts as the
 * virtual PC can give, to see that it cannot take its neighbours' CPU
 * time: the LAPIC timer periodic with count 1 and divide-by-1 (or, with
 * `deadline`, TSC deadlines always in the past), the PIT's channel 0 at
 * its highest rate (count 2) and the RTC's periodic interrupt at 8 kHz,
 * both through the IOAPIC. Every interrupt is acknowledged (LAPIC EOI,
 * RTC register C). It halts between interrupts (`busy`: spins with
 * interrupts on) for `seconds=N` (0, the default: forever), then turns
 * every source off and prints how many interrupts it took per source.
 */
#include "rt.h"

#define LAPIC(off) (*(volatile uint32_t *)(0xfee00000ul + (off)))
#define IOAPIC_SEL (*(volatile uint32_t *)0xfec00000ul)
#define IOAPIC_WIN (*(volatile uint32_t *)0xfec00010ul)
/* Each its own priority class, the LAPIC timer lowest: it gets what the
 * others leave. */
enum { V_LAPIC = 0x40, V_PIT = 0x50, V_RTC = 0x60 };

static bool deadline;
static uint64_t end;              /* TSC at which the flood stops, 0 = never */
static volatile bool done;

/* Every source off: the LAPIC timer masked, IOAPIC pins masked, the
 * RTC's periodic interrupt disabled. */
static void stop_all(void)
{
	LAPIC(0x320) = 1u << 16;
	IOAPIC_SEL = 0x10 + 2 * 2;
	IOAPIC_WIN = 1u << 16;
	IOAPIC_SEL = 0x10 + 2 * 8;
	IOAPIC_WIN = 1u << 16;
	outb(0x70, 0x0b);
	outb(0x71, 0x02);
	done = true;
}

static void ioapic_route(unsigned pin, unsigned vec)
{
	IOAPIC_SEL = 0x10 + 2 * pin + 1;
	IOAPIC_WIN = 0;                  /* APIC ID 0 */
	IOAPIC_SEL = 0x10 + 2 * pin;
	IOAPIC_WIN = vec;                /* fixed, physical, edge, high, unmasked */
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static bool on_irq(uint64_t vec)
{
	/* Checked here: at count 1 the main loop barely runs between two
	 * interrupts. */
	if (end && !done && rdtsc() >= end)
		stop_all();
	if (vec == V_RTC)
		(void)cmos(0x0c);        /* re-arms the RTC's interrupt */
	if (vec == V_LAPIC && deadline)
		wrmsr(0x6e0, rdtsc() - 1000);   /* already passed */
	LAPIC(0xb0) = 0;
	return false;
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	uint64_t secs = rt_arg_ul("seconds=", 0), khz = cpuid(0x40000010, 0).eax;
	bool busy = rt_has_flag("busy");

	if (!khz)
		khz = 2000000;
	deadline = rt_has_flag("deadline") && (cpuid(1, 0).ecx >> 24 & 1);
	rt_irq_hook = on_irq;
	LAPIC(0xf0) = 0x1ff;                     /* software-enable the LAPIC */
	LAPIC(0x3e0) = 0xb;                      /* divide by 1 */
	if (deadline) {
		LAPIC(0x320) = V_LAPIC | 2u << 17;   /* TSC-deadline mode */
		wrmsr(0x6e0, rdtsc() - 1000);
	} else {
		LAPIC(0x320) = V_LAPIC | 1u << 17;   /* periodic */
		LAPIC(0x380) = 1;
	}
	/* PIT channel 0, mode 2, count 2: 596 kHz asked for. */
	outb(0x43, 0x34);
	outb(0x40, 2);
	outb(0x40, 0);
	ioapic_route(2, V_PIT);                  /* IRQ0 is GSI 2 (MADT override) */
	/* RTC periodic interrupt at 8192 Hz (rate 3). */
	outb(0x70, 0x0a);
	outb(0x71, (cmos(0x0a) & 0xf0) | 3);
	outb(0x70, 0x0b);
	outb(0x71, cmos(0x0b) | 0x40);
	/* Routed before register C is read: IRQ8 stays high until then, so
	 * an edge raised while the pin was masked would be the last. */
	ioapic_route(8, V_RTC);
	(void)cmos(0x0c);
	rt_printf("flood: LAPIC timer %s, PIT count 2, RTC 8 kHz%s\n",
		  deadline ? "TSC deadlines in the past" : "periodic count 1", busy ? ", spinning" : "");
	if (secs)
		end = rdtsc() + secs * khz * 1000;
	asm volatile("sti");
	while (!done) {
		if (busy)
			asm volatile("pause");
		else
			asm volatile("hlt");
	}
	asm volatile("cli");
	rt_printf("flood: %u LAPIC, %u PIT, %u RTC interrupts in %lu s\n", rt_irq_count[V_LAPIC],
		  rt_irq_count[V_PIT], rt_irq_count[V_RTC], secs);
	EXPECT(rt_irq_count[V_LAPIC] > 0);
	EXPECT(rt_irq_count[V_PIT] > 0);
	EXPECT(rt_irq_count[V_RTC] > 0);
	rt_done();
}
