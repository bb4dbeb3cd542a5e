/*
 * nmi: NMIs into the guest through its local APIC (xAPIC).
 *   - an NMI IPI to the vCPU's own APIC ID arrives, once
 *   - one to all including self arrives, once
 *   - an NMI sent from inside the NMI handler is held: the handler is
 *     not re-entered, and the held NMI is delivered once, after IRET
 *   - an NMI ends HLT with interrupts off: the PIT's one-shot edge
 *     through IOAPIC pin 2 in NMI mode wakes CLI; HLT
 *   - LINT1 programmed as NMI: with flag `button`, the operator's
 *     `nmi NAME` (the partition's NMI button) arrives as an NMI and
 *     wakes the vCPU from HLT
 * Flag `bare`: the same, on the bare machine (QEMU -kernel). Flag
 * `no_hlt_nmi` skips the HLT check: on VT-x without virtual NMIs Vatra
 * takes an NMI handler to have returned only at an exit with interrupts
 * enabled, so an NMI after IRET while IF stays 0 is held.
 */
#include "rt.h"

#define LAPIC 0xfee00000ul
#define REG_ID 0x020
#define REG_SVR 0x0f0
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LINT1 0x360
#define ICR_NMI (4u << 8)
#define ICR_ALL (2u << 18)
#define ICR_PENDING (1u << 12)

static volatile uint32_t *lapic(uint32_t reg) { return (volatile uint32_t *)(LAPIC + reg); }

static volatile unsigned nmis, depth, max_depth;
static volatile bool resend;

static void icr(uint32_t hi, uint32_t lo)
{
	*lapic(REG_ICR_HI) = hi;
	*lapic(REG_ICR_LO) = lo;
	for (int i = 0; i < 100000 && (*lapic(REG_ICR_LO) & ICR_PENDING); i++)
		;
}

static uint32_t my_id(void)
{
	return *lapic(REG_ID) >> 24;
}

static void spin_us(uint64_t us)
{
	uint64_t khz = cpuid(0x40000010, 0).eax, end;

	if (!khz)
		khz = 2000000;
	end = rdtsc() + us * khz / 1000;
	while (rdtsc() < end)
		asm volatile("pause");
}

/* Waits up to ms for nmis to reach want. */
static bool wait_nmis(unsigned want, uint64_t ms)
{
	for (uint64_t i = 0; i < ms * 10 && nmis < want; i++)
		spin_us(100);
	return nmis >= want;
}

static bool nmi_hook(uint64_t vec, uint64_t err, uint64_t *rip, uint64_t *rflags)
{
	(void)err, (void)rip, (void)rflags;
	if (vec != 2)
		return false;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	nmis++;
	if (resend) {
		/* Another NMI while this one is handled: it must wait for
		 * this handler's IRET. */
		resend = false;
		icr(my_id() << 24, ICR_NMI);
		spin_us(2000);
	}
	depth--;
	return true;   /* IRET to where the NMI came in */
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	unsigned before;

	(void)mb_magic, (void)mb_info;
	rt_exc_hook = nmi_hook;
	*lapic(REG_SVR) = 0x1ff;            /* software-enable the LAPIC */

	/* To the own APIC ID, no shorthand. */
	icr(my_id() << 24, ICR_NMI);
	EXPECT(wait_nmis(1, 1000));
	spin_us(2000);
	EXPECT_EQ(nmis, 1);

	/* To all including self. */
	icr(0, ICR_ALL | ICR_NMI);
	EXPECT(wait_nmis(2, 1000));
	spin_us(2000);
	EXPECT_EQ(nmis, 2);

	/* NMI during NMI: held until IRET, then delivered once. */
	max_depth = 0;
	resend = true;
	icr(my_id() << 24, ICR_NMI);
	EXPECT(wait_nmis(4, 2000));
	spin_us(5000);
	EXPECT_EQ(nmis, 4);
	EXPECT_EQ(max_depth, 1);
	rt_printf("nmi: %u NMIs, nested at most %u deep\n", nmis, max_depth);

	/* HLT with IF=0 waits for an NMI (SDM Vol. 2A, HLT): one from the
	 * PIT (mode 0, 10 ms) through IOAPIC pin 2, delivery mode NMI. */
	if (rt_has_flag("no_hlt_nmi")) {
		rt_printf("nmi: HLT with interrupts off not checked (no_hlt_nmi)\n");
		goto lint1;
	}
	before = nmis;
	*(volatile uint32_t *)0xfec00000ul = 0x15;
	*(volatile uint32_t *)0xfec00010ul = my_id() << 24;
	*(volatile uint32_t *)0xfec00000ul = 0x14;
	*(volatile uint32_t *)0xfec00010ul = ICR_NMI;      /* NMI, edge, unmasked */
	outb(0x43, 0x30);
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
	asm volatile("cli; hlt" ::: "memory");
	EXPECT_EQ(nmis, before + 1);
	*(volatile uint32_t *)0xfec00000ul = 0x14;
	*(volatile uint32_t *)0xfec00010ul = 1u << 16;     /* masked */
	rt_printf("nmi: an NMI ended HLT with interrupts off\n");
lint1:

	/* LINT1 as NMI (SDM Vol. 3A, 11.5.1); the NMI button pulses it. */
	*lapic(REG_LINT1) = ICR_NMI;         /* delivery mode NMI, unmasked */
	EXPECT_EQ(*lapic(REG_LINT1) & 0x1ffff, ICR_NMI);
	if (rt_has_flag("button")) {
		before = nmis;
		rt_printf("nmi: waiting for the NMI button\n");
		/* Halted with nothing else to wake it: the NMI ends HLT. */
		while (nmis == before)
			asm volatile("sti; hlt; cli" ::: "memory");
		spin_us(2000);
		EXPECT_EQ(nmis, before + 1);
		rt_printf("nmi: the NMI button arrived on LINT1\n");
	}
	rt_exc_hook = NULL;
	rt_done();
}
