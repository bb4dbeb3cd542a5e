/*
 * ptedu: a passed-through PCI function (QEMU's edu device, 1234:11e8)
 * as a partition sees it, and a DMA attack with it. Roles:
 *
 *   role=victim  plants a marker page at guest-physical 8 MiB, waits until
 *                the attacker says it is done (the probe page's flag,
 *                at most wait_ms=, default 120000), checks the page is
 *                untouched and exits.
 *   (noattack: the same without the attack, for a device's next owner;
 *   nodma: without the DMA into its own RAM either)
 *   role=io      a virtio device through its I/O BAR (see test_io_bar).
 *   role=idle    passes at once (a partition beside refused ones).
 *   role=attack  owns the edu (then holds it hold_ms=, default 0):
 *     - finds it on bus 0; its BAR0 already placed (1 MiB, in the PCI
 *       window), as firmware would; decode and bus mastering off
 *     - config space: the ROM BAR reads 0 even after writing ones; the
 *       header is single-function; IDs, subsystem IDs, interrupt pin and
 *       the capability bodies are read-only; the interrupt line is the
 *       guest's; Command bits outside the whitelist (special cycles, MWI,
 *       VGA snoop, fast back-to-back) do not stick; the capability list
 *       holds MSI
 *     - BAR0: sizes to 1 MiB; the device answers there (ID 0x010000ed,
 *       the liveness register inverts); moved to 0xe0000000 it answers
 *       there and the old place reads all ones
 *     - DMA inside its own RAM, there and back (must work)
 *     - DMA into the victim's RAM (victim=N: its host-physical base from
 *       the probe) and into the hypervisor's marker page, both ways: the
 *       markers stay, and what comes back is not the marker
 *     - MSI: aimed at an APIC ID the partition lacks, nothing arrives;
 *       programmed to this vCPU's APIC, vector 0x61: a raised interrupt
 *       and a DMA completion each arrive once as that vector
 * The probe page (Vatra's, for debug_exit partitions): 0x00 the host-
 * physical address of a hypervisor page holding the marker, 0x08 1 while
 * it is intact, 0x20 the attack-done flag, 0x28 the IOMMU faults logged
 * so far, 0x100 + 8 * N partition N's
 * RAM base (host-physical).
 */
#include "rt.h"

#define CF8 0xcf8
#define CFC 0xcfc
#define PROBE 0xd0001000ul
#define EDU_ID 0x010000edu
#define EDU_BUF 0x40000ul	/* the device's 4 KiB buffer, as a DMA address */
#define VICTIM_PAGE 0x800000ul
#define NEW_BAR 0xe0000000ul
#define LAPIC 0xfee00000ul
#define VEC 0x61
#define XFER 2048	/* bytes per transfer */

static unsigned slot = 32;
static volatile uint8_t *bar;

static uint32_t cfg_read(unsigned reg)
{
	outl(CF8, 0x80000000u | slot << 11 | (reg & 0xfc));
	return inl(CFC) >> (8 * (reg & 3));
}

static void cfg_write32(unsigned reg, uint32_t v)
{
	outl(CF8, 0x80000000u | slot << 11 | (reg & 0xfc));
	outl(CFC, v);
}

static void cfg_write16(unsigned reg, uint16_t v)
{
	outl(CF8, 0x80000000u | slot << 11 | (reg & 0xfc));
	outw(CFC + (reg & 2), v);
}

static void cfg_write8(unsigned reg, uint8_t v)
{
	outl(CF8, 0x80000000u | slot << 11 | (reg & 0xfc));
	outb(CFC + (reg & 3), v);
}

static void make_page(uint8_t *p, uint32_t seed)
{
	uint32_t x = seed;

	for (int i = 0; i < 4096; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16) | 0x80;
	}
}

static uint64_t tsc_khz(void)
{
	if (cpuid(0x40000000, 0).eax >= 0x40000010)
		return cpuid(0x40000010, 0).eax;
	return 0;
}

static void wait_ms(uint64_t ms)
{
	for (uint64_t end = rdtsc() + ms * tsc_khz(); rdtsc() < end;)
		asm volatile("pause");
}

static uint64_t probe(unsigned off)
{
	return *(volatile uint64_t *)(PROBE + off);
}

/* With `faults` (VT-d): waits until the hypervisor has logged one more
 * IOMMU fault (at most 5 s). QEMU's VT-d has one fault register and
 * drops a second fault of the same device until the first is cleared,
 * so each attack waits for its fault to be taken. */
static uint64_t faults_seen;

static void wait_fault(void)
{
	uint64_t end = rdtsc() + 5000 * tsc_khz();

	if (!rt_has_flag("faults"))
		return;
	while (probe(0x28) == faults_seen && rdtsc() < end)
		asm volatile("pause");
	EXPECT(probe(0x28) > faults_seen);
	faults_seen = probe(0x28);
}

/* ---- edu ---- */

static uint32_t edu32(unsigned off)
{
	return *(volatile uint32_t *)(bar + off);
}

static void edu_w32(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(bar + off) = v;
}

static void edu_w64(unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(bar + off) = v;
}

/* One transfer of n bytes between RAM/bus address `bus` and the device
 * buffer at EDU_BUF + off (to_bus: device -> bus). QEMU aborts on a
 * count of 0 or a device range leaving its buffer (7.2 also counts a
 * range ending exactly at its end as leaving it): refused here. Waits
 * for the command's start bit to clear (100 ms of virtual time). */
static bool edu_dma(uint64_t bus, unsigned off, unsigned n, bool to_bus, bool irq)
{
	uint64_t khz = tsc_khz(), end;

	if (!n || off + n >= 4096 || off >= 4096)
		return false;
	edu_w64(0x80, to_bus ? EDU_BUF + off : bus);
	edu_w64(0x88, to_bus ? bus : EDU_BUF + off);
	edu_w64(0x90, n);
	edu_w64(0x98, 1 | (to_bus ? 2 : 0) | (irq ? 4 : 0));
	end = rdtsc() + 5000 * khz;
	while (edu32(0x98) & 1)
		if (rdtsc() > end)
			return false;
	return true;
}

static void find_edu(void)
{
	for (unsigned d = 0; d < 32; d++) {
		outl(CF8, 0x80000000u | d << 11);
		if (inl(CFC) == 0x11e81234u) {
			slot = d;
			return;
		}
	}
}

static void test_config(void)
{
	uint32_t b0 = cfg_read(0x10), sz;
	uint16_t cmd;
	unsigned cap, msi = 0;

	rt_printf("ptedu: edu at 00:%02x.0, BAR0 0x%x\n", slot, b0);
	EXPECT_EQ(cfg_read(0x04) & 7, 0);			/* decode, master off */
	EXPECT_EQ(b0 & 0xf, 0);					/* 32-bit memory */
	EXPECT(b0 >= 0xc0000000u && b0 < 0xfec00000u);	/* in the PCI window */
	EXPECT_EQ(b0 & 0xfffff, 0);
	cfg_write32(0x10, 0xffffffff);
	sz = cfg_read(0x10);
	EXPECT_EQ(sz, 0xfff00000);				/* 1 MiB */
	cfg_write32(0x10, b0);
	EXPECT_EQ(cfg_read(0x10), b0);
	for (unsigned r = 0x14; r < 0x28; r += 4) {
		cfg_write32(r, 0xffffffff);
		EXPECT_EQ(cfg_read(r), 0);			/* no other BARs */
	}
	cfg_write32(0x30, 0xfffff801);
	EXPECT_EQ(cfg_read(0x30), 0);				/* ROM hidden */
	EXPECT_EQ(cfg_read(0x0e) & 0x80, 0);
	cfg_write16(0x00, 0xffff);
	cfg_write16(0x02, 0x0000);
	EXPECT_EQ(cfg_read(0x00), 0x11e81234);
	cfg_write32(0x08, 0);
	EXPECT_EQ(cfg_read(0x0b) & 0xff, 0x00);
	EXPECT_EQ(cfg_read(0x0a) & 0xff, 0xff);			/* class 00ff */
	{
		uint32_t sub = cfg_read(0x2c);

		cfg_write32(0x2c, ~sub);
		EXPECT_EQ(cfg_read(0x2c), sub);
	}
	cfg_write8(0x3c, 0x0a);
	EXPECT_EQ(cfg_read(0x3c) & 0xff, 0x0a);
	cfg_write8(0x3d, 0x04);
	EXPECT_EQ(cfg_read(0x3d) & 0xff, 0x01);			/* INTA# */
	/* Command: special cycles, MWI, VGA snoop, fast back-to-back never
	 * reach the device */
	cfg_write16(0x04, 0x0278);
	cmd = (uint16_t)cfg_read(0x04);
	EXPECT_EQ(cmd & 0x0238, 0);
	cfg_write16(0x04, 0);
	/* capabilities */
	EXPECT(cfg_read(0x06) & 0x10);
	for (cap = cfg_read(0x34) & 0xfc; cap >= 0x40 && cap < 0x100; cap = cfg_read(cap + 1) & 0xfc) {
		uint32_t before = cfg_read(cap);

		if ((before & 0xff) == 0x05)
			msi = cap;
		/* the ID byte and the next pointer are read-only */
		cfg_write8(cap, 0xff);
		EXPECT_EQ(cfg_read(cap), before);
	}
	EXPECT(msi);
	rt_printf("ptedu: config space: ROM hidden, IDs and header read-only, MSI at 0x%x\n", msi);
	/* extended space reads, does not write */
	cfg_write32(0xfc, 0xffffffff);
}

static void test_bar(void)
{
	uint32_t b0 = cfg_read(0x10) & ~0xfu;

	bar = (volatile uint8_t *)(uint64_t)b0;
	cfg_write16(0x04, 0x0002);				/* memory decode */
	EXPECT_EQ(edu32(0x00), EDU_ID);
	edu_w32(0x04, 0x12345678);
	EXPECT_EQ(edu32(0x04), 0xedcba987);
	/* moved */
	cfg_write16(0x04, 0);
	cfg_write32(0x10, (uint32_t)NEW_BAR);
	cfg_write16(0x04, 0x0002);
	bar = (volatile uint8_t *)NEW_BAR;
	EXPECT_EQ(edu32(0x00), EDU_ID);
	EXPECT_EQ(*(volatile uint32_t *)(uint64_t)b0, 0xffffffff);
	rt_printf("ptedu: BAR0 moved from 0x%x to 0x%lx: ID 0x%x there, 0x%x at the old place\n",
		  b0, NEW_BAR, edu32(0x00), *(volatile uint32_t *)(uint64_t)b0);
	cfg_write16(0x04, 0x0006);				/* + bus master */
}

static uint8_t pat[4096], mark[4096], back[4096] __attribute__((aligned(4096)));

static void test_dma_own(void)
{
	uint8_t *a = (uint8_t *)0x600000, *b = (uint8_t *)0x601000;

	if (rt_has_flag("nodma")) {
		rt_printf("ptedu: DMA in own RAM: skipped (nodma)\n");
		return;
	}
	make_page(pat, 0x1234);
	memcpy(a, pat, 4096);
	memset(b, 0, 4096);
	EXPECT(edu_dma((uint64_t)a, 0, XFER, false, false));
	EXPECT(edu_dma((uint64_t)b, 0, XFER, true, false));
	EXPECT(!memcmp(a, b, XFER));
	EXPECT_EQ(b[XFER], 0);
	rt_printf("ptedu: DMA in own RAM: %u bytes there and back %s\n", XFER,
		  memcmp(a, b, XFER) ? "DIFFER" : "match");
}

/* Writes the device buffer (holding pat) to target, then reads target
 * into the device and the device into `back`: the marker must not come
 * back, and the device's buffer must not have taken it. */
static bool attack(const char *what, uint64_t target, uint32_t seed)
{
	bool ok = true;

	make_page(mark, seed);
	EXPECT(edu_dma((uint64_t)pat, 0, XFER, false, false));	/* buffer := pat */
	EXPECT(edu_dma(target, 0, XFER, true, false));		/* write attack */
	wait_fault();
	EXPECT(edu_dma(target, 0, XFER, false, false));		/* read attack */
	wait_fault();
	memset(back, 0, sizeof(back));
	EXPECT(edu_dma((uint64_t)back, 0, XFER, true, false));
	ok &= EXPECT(memcmp(back, mark, XFER));
	rt_printf("ptedu: DMA at %s (host 0x%lx): %s\n", what, target,
		  memcmp(back, mark, XFER) ? "the marker did not come back" : "MARKER READ");
	return ok;
}

static void test_msi(void)
{
	unsigned msi = 0;
	uint32_t id = *(volatile uint32_t *)(LAPIC + 0x20) >> 24;

	for (unsigned cap = cfg_read(0x34) & 0xfc; cap >= 0x40 && cap < 0x100;
	     cap = cfg_read(cap + 1) & 0xfc)
		if ((cfg_read(cap) & 0xff) == 0x05)
			msi = cap;
	if (!EXPECT(msi))
		return;
	*(volatile uint32_t *)(LAPIC + 0xf0) = 0x1ff;
	cfg_write32(msi + 4, 0xfee00000u | id << 12);
	if (cfg_read(msi + 2) & 0x80) {
		cfg_write32(msi + 8, 0);
		cfg_write16(msi + 0xc, VEC);
	} else {
		cfg_write16(msi + 8, VEC);
	}
	/* First aimed at an APIC ID the partition does not have: Vatra
	 * refuses the message, nothing arrives anywhere. */
	cfg_write32(msi + 4, 0xfee00000u | 7u << 12);
	cfg_write16(msi + 2, 1);
	sti();
	edu_w32(0x60, 1);
	wait_ms(300);
	edu_w32(0x64, 1);
	EXPECT_EQ(rt_irq_total(), 0);
	cfg_write16(msi + 2, 0);
	cli();
	rt_printf("ptedu: MSI to APIC 7 (not the partition's): %u interrupts\n", rt_irq_total());
	cfg_write32(msi + 4, 0xfee00000u | id << 12);
	cfg_write16(msi + 2, 1);
	EXPECT_EQ(cfg_read(msi + 2) & 1, 1);
	sti();
	edu_w32(0x60, 1);					/* raise */
	for (uint64_t end = rdtsc() + 2000 * tsc_khz(); !rt_irq_count[VEC] && rdtsc() < end;)
		asm volatile("pause");
	edu_w32(0x64, 1);					/* acknowledge */
	*(volatile uint32_t *)(LAPIC + 0xb0) = 0;
	EXPECT_EQ(rt_irq_count[VEC], 1);
	EXPECT(edu_dma((uint64_t)back, 0, 16, true, true));	/* DMA with interrupt */
	for (uint64_t end = rdtsc() + 2000 * tsc_khz(); rt_irq_count[VEC] < 2 && rdtsc() < end;)
		asm volatile("pause");
	edu_w32(0x64, 0x100);
	*(volatile uint32_t *)(LAPIC + 0xb0) = 0;
	cli();
	EXPECT_EQ(rt_irq_count[VEC], 2);
	EXPECT_EQ(rt_irq_total(), 2);
	rt_printf("ptedu: MSI vector 0x%x to APIC %u: %u interrupts for a raise and a DMA\n", VEC,
		  id, rt_irq_count[VEC]);
	cfg_write16(msi + 2, 0);
}

/* role=io: a transitional virtio-rng (1af4:1005) passed through, reached
 * through its legacy I/O BAR (virtio 1.1, 4.1.4.8: device features at
 * +0, device status at +0x12) while I/O decode is on — features read, a
 * status written reads back — and not at all (all ones) with I/O decode
 * off. */
static void test_io_bar(void)
{
	uint32_t b0, feat, off_io;
	uint8_t st;
	uint16_t port;

	for (unsigned d = 0; d < 32; d++) {
		outl(CF8, 0x80000000u | d << 11);
		if (inl(CFC) == 0x10051af4u)
			slot = d;
	}
	if (!EXPECT(slot < 32))
		return;
	b0 = cfg_read(0x10);
	EXPECT_EQ(b0 & 3, 1);					/* an I/O BAR */
	port = (uint16_t)(b0 & ~3u);
	EXPECT(port != 0);
	cfg_write16(0x04, 0x0001);				/* I/O decode */
	feat = inl(port);
	EXPECT(feat != 0 && feat != 0xffffffff);
	outb(port + 0x12, 1);					/* ACKNOWLEDGE */
	st = inb(port + 0x12);
	EXPECT_EQ(st, 1);
	outb(port + 0x12, 0);					/* reset */
	cfg_write16(0x04, 0);					/* I/O decode off */
	off_io = inl(port);
	EXPECT_EQ(off_io, 0xffffffff);
	rt_printf("ptedu: virtio I/O BAR at port 0x%x: features 0x%x, status 0x%x read back, "
		  "0x%x with I/O decode off\n", port, feat, st, off_io);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	if (!EXPECT(tsc_khz() != 0))
		rt_done();
	if (rt_has_flag("role=io")) {
		test_io_bar();
		rt_done();
	}
	if (rt_has_flag("role=idle")) {
		rt_printf("ptedu: idle\n");
		rt_done();
	}
	if (rt_has_flag("role=victim")) {
		uint8_t *p = (uint8_t *)VICTIM_PAGE;
		uint64_t end = rdtsc() + rt_arg_ul("wait_ms=", 120000) * tsc_khz();

		make_page(p, 0xbadc0de);
		rt_printf("ptedu: victim marker planted\n");
		while (!probe(0x20) && rdtsc() < end)
			asm volatile("pause");
		EXPECT(probe(0x20));
		make_page(mark, 0xbadc0de);
		EXPECT(!memcmp(p, mark, 4096));
		rt_printf("ptedu: victim marker %s after the attack\n",
			  memcmp(p, mark, 4096) ? "CHANGED" : "intact");
		rt_done();
	}
	find_edu();
	if (!EXPECT(slot < 32)) {
		*(volatile uint64_t *)(PROBE + 0x20) = 1;
		rt_done();
	}
	test_config();
	test_bar();
	test_dma_own();
	faults_seen = probe(0x28);
	if (rt_has_flag("noattack"))
		goto msi;
	attack("the victim's RAM", probe(0x100 + 8 * rt_arg_ul("victim=", 0)) + VICTIM_PAGE,
	       0xbadc0de);
	attack("the hypervisor's marker page", probe(0x00), 0x5eedf00d);
	EXPECT_EQ(probe(0x08), 1);
	rt_printf("ptedu: hypervisor marker %s\n", probe(0x08) == 1 ? "intact" : "CHANGED");
msi:
	test_msi();
	*(volatile uint64_t *)(PROBE + 0x20) = 1;
	rt_printf("ptedu: holding after %u checks, %u failed\n", rt_checks, rt_failures);
	for (uint64_t end = rdtsc() + rt_arg_ul("hold_ms=", 0) * tsc_khz(); rdtsc() < end;)
		asm volatile("pause");
	rt_done();
}
