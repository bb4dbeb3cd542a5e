/*
 * vbad: hostile rings for a virtio-blk disk at 00:03.0 (a partition with
 * `disk = ...` whose image starts with the bytes "VATRA-DISK"). Vatra
 * only. For each case the driver resets the device, negotiates
 * VERSION_1 (+ INDIRECT_DESC), sets up queue 0 of 16 entries in its RAM,
 * sets DRIVER_OK, then hands over a bad ring and kicks:
 *   loop        descriptor 1 pointing at itself
 *   next        a next index past the queue size
 *   head        an available entry naming descriptor 200
 *   avail       the available index 40 ahead of a 16-entry queue
 *   ram         a data buffer past the end of RAM (mem=)
 *   wrap        a data buffer whose address wraps around 2^64
 *   indirect    an indirect table holding an indirect descriptor
 *   indzero     a zero-length indirect table
 *   ringram     the used ring placed past RAM when the queue is enabled
 * Each must set DEVICE_NEEDS_RESET (status bit 0x40) without touching
 * memory (a guard pattern around the buffers stays) and without any data
 * landing past RAM; then a reset clears it and a good read of sector 0
 * returns the image's first bytes: the device works again.
 * Also: FEATURES_OK is refused without VERSION_1.
 * With a NIC (virtio-net) at 00:04.0 (`net = ...` on a switch of its
 * own): transmit chains that loop or point past RAM put it into
 * DEVICE_NEEDS_RESET too (the device sends a little after the kick: the
 * status is polled), and after a reset a good frame is sent (used).
 * Last, INTx (MSI-X never enabled): with IOAPIC pin 11 (the Interrupt
 * Line register's) level-triggered to this LAPIC, a completed disk
 * request raises the interrupt once, the ISR reads 1 (queue) and then 0.
 */
#include "rt.h"

#define CF8 0xcf8
#define CFC 0xcfc
#define DEV 3
#define QSZ 16
#define DESC  0x300000ull
#define AVAIL 0x301000ull
#define USED  0x302000ull
#define HDR   0x303000ull
#define DATA  0x304000ull
#define STAT  0x305000ull
#define IND   0x306000ull
#define GUARD 0x307000ull

static volatile uint8_t *bar;
static uint64_t mem;

static uint32_t cfg_read_dev(unsigned dev, unsigned reg)
{
	outl(CF8, 0x80000000u | dev << 11 | (reg & 0xfc));
	return inl(CFC);
}

static uint32_t cfg_read(unsigned reg)
{
	return cfg_read_dev(DEV, reg);
}

static uint8_t status(void) { return bar[0x14]; }
static void set_status(uint8_t s) { bar[0x14] = s; }
static void w16(unsigned off, uint16_t v) { *(volatile uint16_t *)(bar + off) = v; }
static void w32(unsigned off, uint32_t v) { *(volatile uint32_t *)(bar + off) = v; }
static uint32_t r32(unsigned off) { return *(volatile uint32_t *)(bar + off); }

static void desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	volatile uint8_t *d = (volatile uint8_t *)(table + 16 * i);

	*(volatile uint64_t *)d = addr;
	*(volatile uint32_t *)(d + 8) = len;
	*(volatile uint16_t *)(d + 12) = flags;
	*(volatile uint16_t *)(d + 14) = next;
}

static volatile uint16_t *avail_idx(void) { return (volatile uint16_t *)(AVAIL + 2); }
static volatile uint16_t *avail_ring(unsigned i) { return (volatile uint16_t *)(AVAIL + 4 + 2 * i); }

/* Reset, negotiate, set up queue 0 (used ring at used), DRIVER_OK. */
static void bring_up(uint64_t used)
{
	set_status(0);
	memset((void *)DESC, 0, 0x3000);
	set_status(1);
	set_status(3);
	w32(0x08, 1);
	w32(0x0c, 1);            /* VERSION_1 */
	w32(0x08, 0);
	w32(0x0c, 1u << 28);     /* INDIRECT_DESC */
	set_status(0xb);
	w16(0x16, 0);
	w16(0x18, QSZ);
	w32(0x20, (uint32_t)DESC);
	w32(0x24, 0);
	w32(0x28, (uint32_t)AVAIL);
	w32(0x2c, 0);
	w32(0x30, (uint32_t)used);
	w32(0x34, (uint32_t)(used >> 32));
	w16(0x1c, 1);
	set_status(0xf);
}

static void kick(uint16_t head)
{
	uint16_t i = *avail_idx();

	*avail_ring(i % QSZ) = head;
	*avail_idx() = (uint16_t)(i + 1);
	w16(0x3000, 0);
}

/* A read of sector 0 into DATA through descriptors 0-2. */
static void read_req(void)
{
	memset((void *)HDR, 0, 16);
	*(volatile uint8_t *)STAT = 0xee;
	desc(DESC, 0, HDR, 16, 1, 1);
	desc(DESC, 1, DATA, 512, 1 | 2, 2);
	desc(DESC, 2, STAT, 1, 2, 0);
}

static bool guards_intact(void)
{
	for (unsigned i = 0; i < 4096; i++)
		if (((volatile uint8_t *)GUARD)[i] != 0x5a)
			return false;
	return true;
}

static bool works_again(void)
{
	bring_up(USED);
	memset((void *)DATA, 0, 512);
	read_req();
	kick(0);
	return status() == 0xf && *(volatile uint8_t *)STAT == 0 &&
	       !memcmp((void *)DATA, "VATRA-DISK", 10);
}

static void check_case(const char *name)
{
	bool nr = status() & 0x40;

	EXPECT(nr);
	EXPECT(guards_intact());
	EXPECT(works_again());
	EXPECT(!(status() & 0x40));
	rt_printf("vbad: %s: %s\n", name, nr ? "device needs reset, reset, works again" : "NOT caught");
}

/* ---- the NIC ---- */

#define NDEV   4
#define NDESC  0x310000ull	/* transmit queue (1) */
#define NAVAIL 0x311000ull
#define NUSED  0x312000ull
#define RDESC  0x313000ull	/* receive queue (0), never filled */
#define RAVAIL 0x314000ull
#define RUSED  0x315000ull
#define FRAME  0x316000ull

static void queue_setup(unsigned q, uint64_t d, uint64_t a, uint64_t u)
{
	w16(0x16, (uint16_t)q);
	w16(0x18, QSZ);
	w32(0x20, (uint32_t)d);
	w32(0x24, 0);
	w32(0x28, (uint32_t)a);
	w32(0x2c, 0);
	w32(0x30, (uint32_t)u);
	w32(0x34, 0);
	w16(0x1c, 1);
}

static void net_up(void)
{
	set_status(0);
	memset((void *)NDESC, 0, 0x7000);
	set_status(3);
	w32(0x08, 1);
	w32(0x0c, 1);            /* VERSION_1 */
	w32(0x08, 0);
	w32(0x0c, 0);
	set_status(0xb);
	queue_setup(0, RDESC, RAVAIL, RUSED);
	queue_setup(1, NDESC, NAVAIL, NUSED);
	set_status(0xf);
}

static void net_kick(uint16_t head)
{
	volatile uint16_t *idx = (volatile uint16_t *)(NAVAIL + 2);

	((volatile uint16_t *)(NAVAIL + 4))[*idx % QSZ] = head;
	*idx = (uint16_t)(*idx + 1);
	w16(0x3000 + 4, 1);
}

/* Polls (each read an exit, so the device's deferred send comes) until
 * the device needs a reset or has used the chain. */
static void net_wait(void)
{
	for (unsigned i = 0; i < 200000; i++)
		if ((status() & 0x40) || *(volatile uint16_t *)(NUSED + 2))
			return;
}

static bool net_works_again(void)
{
	net_up();
	memset((void *)FRAME, 0, 12 + 60);
	memset((void *)(FRAME + 12), 0xff, 6);          /* broadcast */
	*(volatile uint8_t *)(FRAME + 12 + 6) = 0x02;   /* a local source */
	desc(NDESC, 0, FRAME, 12 + 60, 0, 0);
	net_kick(0);
	net_wait();
	return !(status() & 0x40) && *(volatile uint16_t *)(NUSED + 2) == 1;
}

static void net_case(const char *name)
{
	bool nr;

	net_wait();
	nr = status() & 0x40;
	EXPECT(nr);
	EXPECT(guards_intact());
	EXPECT(net_works_again());
	rt_printf("vbad: %s: %s\n", name, nr ? "device needs reset, reset, works again" : "NOT caught");
}

static void nic_cases(void)
{
	if (cfg_read_dev(NDEV, 0) != 0x10411af4u) {
		rt_printf("vbad: no NIC at 00:04.0\n");
		return;
	}
	bar = (volatile uint8_t *)(uintptr_t)(cfg_read_dev(NDEV, 0x10) & ~0xfu);
	rt_printf("vbad: virtio-net at 00:04.0, BAR0 %p\n", (void *)bar);
	EXPECT(net_works_again());

	net_up();
	desc(NDESC, 0, FRAME, 12 + 60, 1, 0);   /* NEXT back to itself */
	net_kick(0);
	net_case("net-loop");

	net_up();
	desc(NDESC, 0, mem - 16, 12 + 60, 0, 0);
	net_kick(0);
	net_case("net-ram");
}

/* ---- INTx through the IOAPIC ---- */

#define IOAPIC 0xfec00000ul
#define LAPIC  0xfee00000ul
#define V_INTX 0x61

static void ioapic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static void intx_case(void)
{
	unsigned pin = cfg_read(0x3c) & 0xff;

	EXPECT_EQ(pin, 11);
	EXPECT_EQ((cfg_read(0x3c) >> 8) & 0xff, 1);   /* INTA */
	bar = (volatile uint8_t *)(uintptr_t)(cfg_read(0x10) & ~0xfu);
	*(volatile uint32_t *)(LAPIC + 0xf0) = 0x1ff;   /* SVR: APIC software-enabled */
	*(volatile uint32_t *)(LAPIC + 0x80) = 0;       /* TPR */
	ioapic_wr(0x11 + 2 * pin, *(volatile uint32_t *)(LAPIC + 0x20) & 0xff000000u);
	ioapic_wr(0x10 + 2 * pin, V_INTX | 1u << 15);   /* fixed, level, active high */
	bring_up(USED);
	(void)bar[0x1000];                               /* ISR cleared */
	read_req();
	sti();
	kick(0);
	for (unsigned i = 0; i < 100000 && !rt_irq_count[V_INTX]; i++)
		asm volatile("pause");
	cli();
	EXPECT_EQ(rt_irq_count[V_INTX], 1);
	EXPECT_EQ(*(volatile uint8_t *)STAT, 0);
	EXPECT_EQ(bar[0x1000], 1);                       /* queue interrupt, read clears */
	EXPECT_EQ(bar[0x1000], 0);
	ioapic_wr(0x10 + 2 * pin, 1u << 16);             /* masked again */
	rt_printf("vbad: INTx: %u interrupt(s) on IOAPIC pin %u\n", rt_irq_count[V_INTX], pin);
}

int main(uint32_t magic, uint64_t info)
{
	(void)magic;
	(void)info;
	if (rt_has_flag("bare")) {
		rt_printf("vbad: skipped (bare)\n");
		rt_done();
	}
	mem = rt_arg_ul("mem=", 32u << 20);
	if (!EXPECT_EQ(cfg_read(0), 0x10421af4u))
		rt_done();
	bar = (volatile uint8_t *)(uintptr_t)(cfg_read(0x10) & ~0xfu);
	rt_printf("vbad: virtio-blk at 00:03.0, BAR0 %p\n", (void *)bar);
	memset((void *)GUARD, 0x5a, 4096);

	/* FEATURES_OK without VERSION_1 does not stick. */
	set_status(0);
	set_status(3);
	w32(0x08, 1);
	w32(0x0c, 0);
	set_status(0xb);
	EXPECT(!(status() & 8));
	EXPECT(works_again());

	bring_up(USED);
	read_req();
	desc(DESC, 1, DATA, 512, 1 | 2, 1);   /* 0 -> 1 -> 1 -> ... */
	kick(0);
	check_case("loop");

	bring_up(USED);
	read_req();
	desc(DESC, 1, DATA, 512, 1 | 2, QSZ + 5);
	kick(0);
	check_case("next");

	bring_up(USED);
	read_req();
	kick(200);
	check_case("head");

	bring_up(USED);
	read_req();
	*avail_idx() = 40;
	w16(0x3000, 0);
	check_case("avail");

	bring_up(USED);
	read_req();
	desc(DESC, 1, mem - 256, 512, 1 | 2, 2);
	kick(0);
	check_case("ram");

	bring_up(USED);
	read_req();
	desc(DESC, 1, ~0ull - 255, 512, 1 | 2, 2);
	kick(0);
	check_case("wrap");

	bring_up(USED);
	desc(IND, 0, IND, 16, 4, 0);
	desc(DESC, 0, IND, 16, 4, 0);
	kick(0);
	check_case("indirect");

	bring_up(USED);
	desc(DESC, 0, IND, 0, 4, 0);
	kick(0);
	check_case("indzero");

	bring_up(mem - 64);
	check_case("ringram");

	EXPECT_EQ(r32(0x2000), 0x40);   /* capacity: 64 sectors (32 KiB) */
	nic_cases();
	intx_case();
	rt_done();
}
