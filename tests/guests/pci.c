/*
 * pci: the partition's PCI bus, reached both ways.
 *   - the RSDP in 0xE0000-0xFFFFF, its XSDT (or RSDT), the MCFG there
 *     (checksums right): the ECAM base of segment 0, bus 0 first
 *   - every dword of the host bridge's (00:00.0) and the test function's
 *     (00:01.0) header reads the same through CF8/CFC and ECAM; absent
 *     functions read all ones both ways
 *   - a register written one way reads back the other way (the test
 *     function's BAR0 and Command register)
 *   - the test function's capability list: a vendor-specific (09h)
 *     capability, length 5, data "VT", then MSI (05h)
 *   - BAR0 sizing: all ones in, 0xFFFFF000 out (4 KiB, 32-bit memory)
 *   - BAR0 at A with memory decode on: the ID at A, the BAR's own
 *     address at A+8, a scratch register at A+0x10; moved to B: all of it
 *     at B, and A reads all ones without stopping the partition (the PCI
 *     hole holds nothing there now); with decode off B reads all ones too
 *   - MSI: with MSI Enable clear a write to the doorbell (BAR0 + 0x18)
 *     delivers nothing; programmed with this CPU's LAPIC and vector 0x51
 *     and enabled, each doorbell write delivers 0x51 once
 *   - DMA: the function writes its ID into a RAM buffer and reads RAM
 *     back; aimed at 0x40000000 (outside RAM) or across the end of RAM
 *     it is refused (status 1), RAM unchanged, the partition runs on
 * Flag `bare`: not under Vatra (no test function): print "skipped".
 */
#include "rt.h"

#define CF8 0xcf8
#define CFC 0xcfc
#define TEST_DEV 1
#define TEST_ID 0x4943505452544156ull   /* "VATRTPCI" */
#define BAR_A 0xc0000000u
#define BAR_B 0xc0100000u

static uint64_t ecam;

static uint32_t cf8_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t io_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	outl(CF8, cf8_addr(bus, dev, fn, reg));
	return inl(CFC);
}

static void io_write(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
	outl(CF8, cf8_addr(bus, dev, fn, reg));
	outl(CFC, v);
}

static volatile uint32_t *ecam_reg(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return (volatile uint32_t *)(ecam + ((uint64_t)bus << 20 | dev << 15 | fn << 12 | reg));
}

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

/* ACPI 6.4, 5.2.5.1: the RSDP on a 16-byte boundary in the BIOS area. */
static const uint8_t *find_rsdp(void)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8) && checksum_ok((const void *)a, 20))
			return (const uint8_t *)a;
	return NULL;
}

/* The MCFG through the XSDT (revision 2) or RSDT; its first allocation
 * (ACPI MCFG: base u64 at 44, segment u16 at 52, buses at 54 and 55). */
static uint64_t find_ecam(void)
{
	const uint8_t *rsdp = find_rsdp(), *sdt;
	uint32_t len, esize;

	if (!EXPECT(rsdp))
		return 0;
	if (rsdp[15] >= 2) {
		sdt = (const uint8_t *)*(const uint64_t *)(rsdp + 24);
		esize = 8;
	} else {
		sdt = (const uint8_t *)(uint64_t)*(const uint32_t *)(rsdp + 16);
		esize = 4;
	}
	len = *(const uint32_t *)(sdt + 4);
	EXPECT(checksum_ok(sdt, len));
	for (uint32_t off = 36; off + esize <= len; off += esize) {
		uint64_t t = esize == 8 ? *(const uint64_t *)(sdt + off) : *(const uint32_t *)(sdt + off);
		const uint8_t *h = (const uint8_t *)t;

		if (memcmp(h, "MCFG", 4))
			continue;
		len = *(const uint32_t *)(h + 4);
		EXPECT(len >= 60);
		EXPECT(checksum_ok(h, len));
		EXPECT_EQ(*(const uint16_t *)(h + 52), 0);   /* segment 0 */
		EXPECT_EQ(h[54], 0);                            /* from bus 0 */
		rt_printf("pci: MCFG: ECAM at 0x%llx, buses %u-%u\n",
			  (unsigned long long)*(const uint64_t *)(h + 44), h[54], h[55]);
		return *(const uint64_t *)(h + 44);
	}
	EXPECT(!"an MCFG in the XSDT");
	return 0;
}

static void same_both_ways(unsigned dev, unsigned fn)
{
	unsigned same = 0;

	for (unsigned reg = 0; reg < 64; reg += 4)
		same += io_read(0, dev, fn, reg) == *ecam_reg(0, dev, fn, reg);
	EXPECT_EQ(same, 16);
}

static uint8_t cfg8(unsigned dev, unsigned reg)
{
	return (uint8_t)(*ecam_reg(0, dev, 0, reg & ~3u) >> (8 * (reg & 3)));
}

static unsigned msi_cap;

static void test_caps(void)
{
	unsigned cap;

	EXPECT(io_read(0, TEST_DEV, 0, 4) & (0x10u << 16));    /* Status: capabilities list */
	cap = cfg8(TEST_DEV, 0x34) & ~3u;
	EXPECT(cap >= 0x40);
	EXPECT_EQ(cfg8(TEST_DEV, cap), 0x09);
	EXPECT_EQ(cfg8(TEST_DEV, cap + 2), 5);
	EXPECT_EQ(cfg8(TEST_DEV, cap + 3), 'V');
	EXPECT_EQ(cfg8(TEST_DEV, cap + 4), 'T');
	msi_cap = cfg8(TEST_DEV, cap + 1) & ~3u;
	EXPECT(msi_cap > cap);
	EXPECT_EQ(cfg8(TEST_DEV, msi_cap), 0x05);
	EXPECT_EQ(cfg8(TEST_DEV, msi_cap + 1), 0);             /* the last one */
}

#define LAPIC 0xfee00000ul
#define MSI_VEC 0x51

static void wait_a_little(void)
{
	for (volatile int i = 0; i < 1000; i++)
		;
}

/* PCI Local Bus 3.0, 6.8.1 (32-bit MSI); the message as SDM Vol. 3A,
 * 11.11 lays it out: 0xFEE, destination APIC ID in bits 19:12. */
static void test_msi(void)
{
	volatile uint32_t *bar = (volatile uint32_t *)(uint64_t)BAR_A;
	volatile uint32_t *svr = (volatile uint32_t *)(LAPIC + 0xf0);
	uint32_t id = *(volatile uint32_t *)(LAPIC + 0x20) >> 24;

	if (!msi_cap)
		return;
	io_write(0, TEST_DEV, 0, 0x10, BAR_A);
	io_write(0, TEST_DEV, 0, 4, 2);
	*svr = 0x1ff;                                 /* LAPIC on, spurious 0xff */
	sti();
	bar[6] = 1;
	wait_a_little();
	EXPECT_EQ(rt_irq_count[MSI_VEC], 0);          /* MSI Enable clear */
	*ecam_reg(0, TEST_DEV, 0, msi_cap + 4) = 0xfee00000u | id << 12;
	*ecam_reg(0, TEST_DEV, 0, msi_cap + 8) = MSI_VEC;
	*ecam_reg(0, TEST_DEV, 0, msi_cap) |= 1u << 16;   /* Message Control: enable */
	EXPECT_EQ(io_read(0, TEST_DEV, 0, msi_cap) >> 16 & 1, 1);
	for (int i = 0; i < 3; i++) {
		bar[6] = 1;
		wait_a_little();
		*(volatile uint32_t *)(LAPIC + 0xb0) = 0;    /* EOI */
	}
	cli();
	EXPECT_EQ(rt_irq_count[MSI_VEC], 3);
	EXPECT_EQ(rt_irq_total(), 3);
	rt_printf("pci: MSI vector 0x%x to APIC %u: %u deliveries for 3 doorbells\n", MSI_VEC, id,
		  rt_irq_count[MSI_VEC]);
	io_write(0, TEST_DEV, 0, 4, 0);
}

static void test_bar(void)
{
	volatile uint64_t *a = (volatile uint64_t *)(uint64_t)BAR_A;
	volatile uint64_t *b = (volatile uint64_t *)(uint64_t)BAR_B;

	/* Sizing with decode off (what an OS does): PCI Local Bus 3.0,
	 * 6.2.5.1. */
	io_write(0, TEST_DEV, 0, 4, 0);
	io_write(0, TEST_DEV, 0, 0x10, 0xffffffff);
	EXPECT_EQ(io_read(0, TEST_DEV, 0, 0x10), 0xfffff000);
	EXPECT_EQ(*ecam_reg(0, TEST_DEV, 0, 0x10), 0xfffff000);
	/* Placed at A through ECAM, decode on through CF8/CFC. */
	*ecam_reg(0, TEST_DEV, 0, 0x10) = BAR_A;
	EXPECT_EQ(io_read(0, TEST_DEV, 0, 0x10), BAR_A);
	EXPECT_EQ(a[0], 0xffffffffffffffffull);                 /* not decoding yet */
	io_write(0, TEST_DEV, 0, 4, 2);
	EXPECT_EQ(*ecam_reg(0, TEST_DEV, 0, 4) & 0xffff, 2);
	EXPECT_EQ(a[0], TEST_ID);
	EXPECT_EQ(a[1], BAR_A);
	((volatile uint32_t *)a)[4] = 0x5a5aa5a5;
	EXPECT_EQ(((volatile uint32_t *)a)[4], 0x5a5aa5a5);
	/* Moved to B through CF8/CFC while decoding. */
	io_write(0, TEST_DEV, 0, 0x10, BAR_B);
	EXPECT_EQ(*ecam_reg(0, TEST_DEV, 0, 0x10), BAR_B);
	EXPECT_EQ(b[0], TEST_ID);
	EXPECT_EQ(b[1], BAR_B);
	EXPECT_EQ(((volatile uint32_t *)b)[4], 0x5a5aa5a5);
	EXPECT_EQ(a[0], 0xffffffffffffffffull);
	EXPECT_EQ(((volatile uint32_t *)a)[4], 0xffffffff);
	rt_printf("pci: BAR0 moved from 0x%x to 0x%x: reads 0x%llx there, 0x%llx at the old place\n",
		  BAR_A, BAR_B, (unsigned long long)b[0], (unsigned long long)a[0]);
	/* Decode off: gone. */
	*ecam_reg(0, TEST_DEV, 0, 4) = 0;
	EXPECT_EQ(b[0], 0xffffffffffffffffull);
}

static void dma(volatile uint64_t *bar, uint64_t addr, uint64_t op)
{
	bar[4] = addr;               /* 0x20 */
	bar[5] = op;                 /* 0x28 */
}

static void test_dma(void)
{
	static volatile uint64_t buf[2];
	volatile uint64_t *bar = (volatile uint64_t *)(uint64_t)BAR_A;
	uint64_t end = rt_arg_ul("mem=", 16 << 20);

	io_write(0, TEST_DEV, 0, 0x10, BAR_A);
	io_write(0, TEST_DEV, 0, 4, 2);
	buf[0] = 0;
	buf[1] = 0x1122334455667788ull;
	dma(bar, (uint64_t)&buf[0], 1);
	EXPECT_EQ(((volatile uint32_t *)bar)[14], 0);     /* 0x38: done */
	EXPECT_EQ(buf[0], TEST_ID);
	EXPECT_EQ(buf[1], 0x1122334455667788ull);
	dma(bar, (uint64_t)&buf[1], 2);
	EXPECT_EQ(bar[6], 0x1122334455667788ull);          /* 0x30 */
	dma(bar, 0x40000000, 1);
	EXPECT_EQ(((volatile uint32_t *)bar)[14], 1);
	dma(bar, end - 4, 1);
	EXPECT_EQ(((volatile uint32_t *)bar)[14], 1);
	EXPECT_EQ(*(volatile uint32_t *)(end - 4), 0);
	rt_printf("pci: DMA into RAM done, outside RAM refused\n");
	io_write(0, TEST_DEV, 0, 4, 0);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;

	if (rt_has_flag("bare")) {
		rt_printf("pci: skipped\n");
		rt_done();
	}
	ecam = find_ecam();
	if (!ecam)
		rt_done();
	/* The host bridge, both ways. */
	EXPECT_EQ(io_read(0, 0, 0, 0), 0x29c08086);
	EXPECT_EQ(*ecam_reg(0, 0, 0, 0), 0x29c08086);
	same_both_ways(0, 0);
	/* The test function, both ways. */
	EXPECT_EQ(io_read(0, TEST_DEV, 0, 0), 0x56541234);
	same_both_ways(TEST_DEV, 0);
	EXPECT_EQ(io_read(0, TEST_DEV, 0, 8) >> 24, 0xff);
	/* Nothing at 00:02.0 or on bus 1, either way. */
	EXPECT_EQ(io_read(0, 2, 0, 0), 0xffffffff);
	EXPECT_EQ(*ecam_reg(0, 2, 0, 0), 0xffffffff);
	EXPECT_EQ(*ecam_reg(1, 0, 0, 0), 0xffffffff);
	rt_printf("pci: 00:00.0 %08x and 00:01.0 %08x read the same through CF8/CFC and ECAM\n",
		  io_read(0, 0, 0, 0), *ecam_reg(0, TEST_DEV, 0, 0));
	test_caps();
	test_bar();
	test_msi();
	test_dma();
	rt_done();
}
