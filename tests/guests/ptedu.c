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
 *   role=intx    two edu with MSI off, driven through INTx (see test_intx).
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
 *     - forge: a DMA write of an interrupt message naming a remapping
 *       entry nobody has: nothing arrives (see test_forge)
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
	if (memcmp(a, b, XFER)) {
		unsigned first = 0, n = 0, zero = 0;
		uint8_t *c = (uint8_t *)0x602000;
		bool again;

		for (unsigned i = XFER; i--;)
			if (a[i] != b[i]) {
				first = i;
				n++;
				zero += !b[i];
			}
		rt_printf("ptedu: DMA in own RAM: %u bytes differ (%u of them 0), the first at %u: "
			  "%02x sent, %02x back\n", n, zero, first, a[first], b[first]);
		wait_ms(200);
		again = !memcmp(a, b, XFER);
		memset(c, 0, 4096);
		rt_printf("ptedu: DMA in own RAM: 200 ms later they %s; the buffer read again %s\n",
			  again ? "match" : "still differ",
			  !edu_dma((uint64_t)c, 0, XFER, true, false) ? "did not complete" :
			  memcmp(a, c, XFER) ? "differs too" : "matches");
	}
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

/* A forged MSI: the device DMA-writes an interrupt message into the
 * interrupt window (0xFEEx_xxxx), which the IOMMU takes as an interrupt
 * request, not memory. The message names a remapping entry nobody was
 * given: in VT-d's remappable format handle 4095 (the last of 4096
 * entries), with data 0xff, which AMD-Vi takes as entry 255 (the last
 * of a device's 256). The IOMMU drops it: nothing arrives here, and the
 * hypervisor takes no interrupt it did not expect. (Messages naming
 * another device's entry, and compatibility-format ones, cannot be
 * tested under QEMU 7.2: it checks no requester ID on them and passes
 * the old format through; tests/integration/passthru.sh.) */
static void test_forge(void)
{
	const uint32_t handle = 4095;
	uint64_t addr = 0xfee00000u | (handle & 0x7fff) << 5 | 1u << 4 | (handle >> 15) << 2;
	unsigned before = rt_irq_total();

	memset(back, 0, sizeof(back));
	back[0] = 0xff;						/* the message's data */
	sti();
	EXPECT(edu_dma((uint64_t)back, 0, 4, false, false));	/* buffer := data */
	EXPECT(edu_dma(addr, 0, 4, true, false));		/* the forged write */
	wait_ms(300);
	cli();
	EXPECT_EQ(rt_irq_total(), before);
	rt_printf("ptedu: forged MSI (address 0x%lx data 0xff, an entry nobody has): %u interrupts\n",
		  addr, rt_irq_total() - before);
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

/* ---- role=intx ---- */

#define IOAPIC 0xfec00000ul
#define INTX_VEC 0x62
#define NEDU 2

static unsigned eslot[NEDU], nedu;
static volatile uint8_t *ebar[NEDU];
static volatile uint32_t seen[NEDU];	/* raises each edu's status showed the handler */
static volatile bool leave_once;	/* the handler leaves the next one asserted */
/* What each INTx interrupt found, printed when a count is off. */
static struct { uint64_t tsc; uint32_t st[NEDU]; } itrace[16];
static volatile unsigned ntrace;
static uint64_t raise0;			/* when edu 0 was raised */

static uint32_t scfg(unsigned s, unsigned reg)
{
	outl(CF8, 0x80000000u | s << 11 | (reg & 0xfc));
	return inl(CFC) >> (8 * (reg & 3));
}

static void scfg16(unsigned s, unsigned reg, uint16_t v)
{
	outl(CF8, 0x80000000u | s << 11 | (reg & 0xfc));
	outw(CFC + (reg & 2), v);
}

static uint32_t e32(unsigned i, unsigned off) { return *(volatile uint32_t *)(ebar[i] + off); }
static void ew32(unsigned i, unsigned off, uint32_t v) { *(volatile uint32_t *)(ebar[i] + off) = v; }

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* An AML integer of the _PRT's entries: Zero, One, BytePrefix, DWordPrefix. */
static const uint8_t *aml_int(const uint8_t *p, uint32_t *v)
{
	switch (*p) {
	case 0x00: *v = 0; return p + 1;
	case 0x01: *v = 1; return p + 1;
	case 0x0a: *v = p[1]; return p + 2;
	case 0x0c: *v = p[1] | p[2] << 8 | p[3] << 16 | (uint32_t)p[4] << 24; return p + 5;
	}
	return NULL;
}

static const uint8_t *pkg_body(const uint8_t *p, const uint8_t **end)
{
	unsigned extra = p[0] >> 6, len = extra ? p[0] & 0xf : p[0] & 0x3f;

	for (unsigned i = 0; i < extra; i++)
		len |= (unsigned)p[1 + i] << (4 + 8 * i);
	*end = p + len;
	return p + 1 + extra;
}

/* The GSI the partition's DSDT routes pin (0-3) of device s to, from its
 * _PRT package (RSDP in the BIOS area -> XSDT -> FADT -> X_DSDT), or -1;
 * *flags gets the source (0: a GSI, level, active low). */
static int prt_gsi(unsigned s, unsigned pin, uint32_t *src)
{
	const uint8_t *rsdp = NULL, *xsdt, *dsdt = NULL, *p, *end, *e, *eend;
	uint32_t xlen, dlen, addr, epin, idx;

	for (uint64_t a = 0xe0000; a < 0x100000 && !rsdp; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8))
			rsdp = (const uint8_t *)a;
	if (!rsdp)
		return -1;
	xsdt = (const uint8_t *)get64(rsdp + 24);
	xlen = *(const uint32_t *)(xsdt + 4);
	for (uint32_t off = 36; off + 8 <= xlen; off += 8) {
		const uint8_t *t = (const uint8_t *)get64(xsdt + off);

		if (!memcmp(t, "FACP", 4))
			dsdt = (const uint8_t *)get64(t + 140);
	}
	if (!dsdt)
		return -1;
	dlen = *(const uint32_t *)(dsdt + 4);
	for (p = dsdt + 36; p + 6 < dsdt + dlen; p++)
		if (!memcmp(p, "_PRT", 4) && p[4] == 0x12)
			break;
	if (p + 6 >= dsdt + dlen)
		return -1;
	p = pkg_body(p + 5, &end) + 1;			/* past NumElements */
	for (e = p; e < end && *e == 0x12; e = eend) {
		const uint8_t *q = pkg_body(e + 1, &eend) + 1;
		uint32_t gsi;

		q = aml_int(q, &addr);
		q = q ? aml_int(q, &epin) : NULL;
		q = q ? aml_int(q, src) : NULL;
		q = q ? aml_int(q, &idx) : NULL;
		if (!q)
			return -1;
		gsi = idx;
		if (addr == (s << 16 | 0xffff) && epin == pin)
			return (int)gsi;
	}
	return -1;
}

/* The INTx handler: what each edu raised is acknowledged (its status,
 * 0x24, cleared through 0x64), then the EOI, which the IOAPIC takes for
 * the level-triggered input. Once, on request, the cause is left. */
static bool intx_hook(uint64_t vec)
{
	unsigned t = ntrace;

	if (vec != INTX_VEC)
		return false;
	if (t < 16)
		itrace[t].tsc = rdtsc();
	ntrace = t + 1;
	for (unsigned i = 0; i < nedu; i++) {
		uint32_t st = e32(i, 0x24);

		if (t < 16)
			itrace[t].st[i] = st;
		if (!st)
			continue;
		if (leave_once) {
			leave_once = false;
			continue;
		}
		seen[i]++;
		ew32(i, 0x64, st);
	}
	*(volatile uint32_t *)(LAPIC + 0xb0) = 0;
	return false;
}

static void ioapic_w(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static void wait_irqs(unsigned n, uint64_t ms)
{
	for (uint64_t end = rdtsc() + ms * tsc_khz(); rt_irq_count[INTX_VEC] < n && rdtsc() < end;)
		asm volatile("pause");
}

/* Two edu on one host GSI share one line of the partition's IOAPIC:
 *  - both report Interrupt Pin A, MSI off; the DSDT's _PRT maps each to
 *    the same GSI (source Zero: level, active low)
 *  - that input programmed level, active low, vector 0x62 to this CPU
 *  - a raise on each edu arrives once and its function's status says so
 *  - a raise the handler leaves asserted comes again after the EOI
 *  - both raised at once: every cause acknowledged, the line then quiet
 *  - INTx Disable on the edu holds its raise back; clearing it lets the
 *    interrupt come
 *  - a raise acknowledged while the entry is masked: nothing at the unmask */
static void test_intx(void)
{
	uint32_t id = *(volatile uint32_t *)(LAPIC + 0x20) >> 24, src = 9;
	int gsi = -1;

	for (unsigned d = 0; d < 32 && nedu < NEDU; d++) {
		outl(CF8, 0x80000000u | d << 11);
		if (inl(CFC) == 0x11e81234u)
			eslot[nedu++] = d;
	}
	if (!EXPECT_EQ(nedu, 2))
		return;
	for (unsigned i = 0; i < nedu; i++) {
		unsigned s = eslot[i], cap;
		int g;

		EXPECT_EQ(scfg(s, 0x3d) & 0xff, 1);		/* INTA# */
		for (cap = scfg(s, 0x34) & 0xfc; cap >= 0x40 && cap < 0x100;
		     cap = scfg(s, cap + 1) & 0xfc)
			if ((scfg(s, cap) & 0xff) == 0x05)
				EXPECT_EQ(scfg(s, cap + 2) & 1, 0);	/* MSI off */
		g = prt_gsi(s, 0, &src);
		EXPECT(g >= 16 && g < 24);
		EXPECT_EQ(src, 0);
		if (i)
			EXPECT_EQ(g, gsi);
		gsi = g;
		ebar[i] = (volatile uint8_t *)(uint64_t)(scfg(s, 0x10) & ~0xfu);
		scfg16(s, 0x04, 0x0002);			/* memory decode, INTx on */
		EXPECT_EQ(e32(i, 0), EDU_ID);
	}
	if (gsi < 0)
		return;
	rt_printf("ptedu: INTx: 00:%02x.0 and 00:%02x.0 pin A -> GSI %d (_PRT, level, low)\n",
		  eslot[0], eslot[1], gsi);
	rt_irq_hook = intx_hook;
	*(volatile uint32_t *)(LAPIC + 0xf0) = 0x1ff;
	ioapic_w(0x11 + 2 * (unsigned)gsi, id << 24);
	/* vector, fixed, physical, active low (13), level (15), unmasked */
	ioapic_w(0x10 + 2 * (unsigned)gsi, INTX_VEC | 1u << 13 | 1u << 15);
	sti();
	wait_ms(50);
	EXPECT_EQ(rt_irq_total(), 0);				/* idle: nothing */
	for (unsigned i = 0; i < nedu; i++) {
		unsigned before = rt_irq_count[INTX_VEC];

		if (!i)
			raise0 = rdtsc();
		ew32(i, 0x60, 1u << i);
		wait_irqs(before + 1, 2000);
		wait_ms(20);
		EXPECT_EQ(rt_irq_count[INTX_VEC], before + 1);
		EXPECT_EQ(seen[i], 1);
		EXPECT_EQ(e32(i, 0x24), 0);
	}
	rt_printf("ptedu: INTx: a raise on each: %u interrupts, seen by edu %u and %u\n",
		  rt_irq_count[INTX_VEC], seen[0], seen[1]);
	if (rt_irq_count[INTX_VEC] != 2)
		for (unsigned t = 0; t < ntrace && t < 16; t++)
			rt_printf("ptedu: INTx: interrupt %u at +%lu us: status 0x%x and 0x%x\n", t,
				  (itrace[t].tsc - raise0) / (tsc_khz() / 1000), itrace[t].st[0],
				  itrace[t].st[1]);
	/* left asserted by the handler: the level brings it back */
	leave_once = true;
	ew32(0, 0x60, 4);
	wait_irqs(4, 2000);
	wait_ms(20);
	EXPECT_EQ(rt_irq_count[INTX_VEC], 4);
	EXPECT_EQ(seen[0], 2);
	rt_printf("ptedu: INTx: a cause left asserted comes again after the EOI: %u interrupts\n",
		  rt_irq_count[INTX_VEC] - 2);
	/* both at once */
	ew32(0, 0x60, 8);
	ew32(1, 0x60, 8);
	wait_irqs(5, 2000);
	wait_ms(50);
	EXPECT(rt_irq_count[INTX_VEC] >= 5 && rt_irq_count[INTX_VEC] <= 6);
	EXPECT_EQ(seen[0], 3);
	EXPECT_EQ(seen[1], 2);
	EXPECT_EQ(e32(0, 0x24) | e32(1, 0x24), 0);
	rt_printf("ptedu: INTx: both raised at once: both acknowledged, %u interrupts in all\n",
		  rt_irq_count[INTX_VEC]);
	/* INTx Disable holds it back */
	{
		unsigned before = rt_irq_count[INTX_VEC];

		scfg16(eslot[1], 0x04, 0x0402);
		ew32(1, 0x60, 16);
		wait_ms(300);
		EXPECT_EQ(rt_irq_count[INTX_VEC], before);
		EXPECT_EQ(e32(1, 0x24), 16);
		scfg16(eslot[1], 0x04, 0x0002);
		wait_irqs(before + 1, 2000);
		EXPECT_EQ(rt_irq_count[INTX_VEC], before + 1);
		EXPECT_EQ(seen[1], 3);
		rt_printf("ptedu: INTx: with INTx Disable %u interrupts, after clearing it %u\n", 0,
			  rt_irq_count[INTX_VEC] - before);
	}
	/* raised and acknowledged while the entry is masked: the line went
	 * idle again, so the unmask delivers nothing stale */
	{
		unsigned before = rt_irq_count[INTX_VEC];

		ioapic_w(0x10 + 2 * (unsigned)gsi, INTX_VEC | 1u << 13 | 1u << 15 | 1u << 16);
		ew32(0, 0x60, 32);
		wait_ms(100);
		ew32(0, 0x64, 32);
		wait_ms(100);
		ioapic_w(0x10 + 2 * (unsigned)gsi, INTX_VEC | 1u << 13 | 1u << 15);
		wait_ms(100);
		EXPECT_EQ(rt_irq_count[INTX_VEC], before);
		rt_printf("ptedu: INTx: raised and acknowledged while masked: %u interrupts at the "
			  "unmask\n", rt_irq_count[INTX_VEC] - before);
	}
	cli();
	ioapic_w(0x10 + 2 * (unsigned)gsi, 1u << 16);
	rt_irq_hook = NULL;
	EXPECT_EQ(rt_irq_total(), rt_irq_count[INTX_VEC]);
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
	if (rt_has_flag("role=intx")) {
		test_intx();
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
	if (rt_has_flag("forge"))
		test_forge();
	*(volatile uint64_t *)(PROBE + 0x20) = 1;
	rt_printf("ptedu: holding after %u checks, %u failed\n", rt_checks, rt_failures);
	for (uint64_t end = rdtsc() + rt_arg_ul("hold_ms=", 0) * tsc_khz(); rdtsc() < end;)
		asm volatile("pause");
	rt_done();
}
