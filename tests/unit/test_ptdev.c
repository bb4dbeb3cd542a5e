/* Unit tests for vmm/dev/ptdev.c and ptdev_wl.c: a passed-through
 * function's configuration space over a fake device that logs every
 * access reaching it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmm/dev/ptdev.h"
#include "lib/errno.h"

/* ---- the fake device ---- */

static uint8_t dev[4096];
static unsigned nwrites;
static struct { unsigned reg, size; uint32_t val; } writes[4096];
static struct { unsigned bar; uint64_t at; bool on; } maps[64];
static unsigned nmaps;
static int map_result;
static struct { bool on; uint64_t addr; uint32_t data; } msis[64];
static unsigned nmsis;
static struct { unsigned i; bool on; uint64_t addr; uint32_t data; } xs[256];
static unsigned nxs, nxen;
static bool xen;

static uint32_t fake_read(void *ctx, unsigned reg, unsigned size)
{
	uint32_t v = 0;

	(void)ctx;
	assert_true(reg + size <= sizeof(dev));
	assert_int_equal(reg % size, 0);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)dev[reg + i] << (8 * i);
	return v;
}

static void fake_write(void *ctx, unsigned reg, unsigned size, uint32_t val)
{
	(void)ctx;
	assert_true(reg + size <= sizeof(dev));
	assert_true(nwrites < 4096);
	writes[nwrites].reg = reg;
	writes[nwrites].size = size;
	writes[nwrites++].val = val;
	for (unsigned i = 0; i < size; i++)
		dev[reg + i] = (uint8_t)(val >> (8 * i));
}

static int fake_map(void *ctx, unsigned bar, uint64_t at, bool on)
{
	(void)ctx;
	assert_true(nmaps < 64);
	maps[nmaps].bar = bar;
	maps[nmaps].at = at;
	maps[nmaps++].on = on;
	return on ? map_result : 0;
}

static void fake_msi(void *ctx, bool on, uint64_t addr, uint32_t data)
{
	(void)ctx;
	assert_true(nmsis < 64);
	msis[nmsis].on = on;
	msis[nmsis].addr = addr;
	msis[nmsis++].data = data;
}

static void fake_msix_enable(void *ctx, bool on)
{
	(void)ctx;
	nxen++;
	xen = on;
}

static void fake_msix(void *ctx, unsigned i, bool on, uint64_t addr, uint32_t data)
{
	(void)ctx;
	assert_true(nxs < 256);
	xs[nxs].i = i;
	xs[nxs].on = on;
	xs[nxs].addr = addr;
	xs[nxs++].data = data;
}

static unsigned nintx;
static bool intx_off;

static void fake_intx(void *ctx, bool disabled)
{
	(void)ctx;
	nintx++;
	intx_off = disabled;
}

static const struct ptdev_env env = { fake_read, fake_write, fake_map, fake_msi,
				      fake_msix_enable, fake_msix, fake_intx, NULL };

static void put(unsigned reg, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		dev[reg + i] = (uint8_t)(v >> (8 * i));
}

/* An edu-like function: 1234:11e8, class 00ff, BAR0 1 MiB memory, pin
 * INTA, capabilities PM at 0x40, MSI (64-bit, maskable) at 0x50, MSI-X
 * (8 vectors, table and PBA in BAR2) at 0x70, vendor at 0x80; an AER
 * extended capability. */
static struct ptdev_bar_info bars[PTDEV_NBARS];
static uint64_t gaddr[PTDEV_NBARS];

static int setup(void **state)
{
	(void)state;
	memset(dev, 0, sizeof(dev));
	nwrites = nmaps = nmsis = nxs = nxen = nintx = 0;
	intx_off = false;
	xen = false;
	map_result = 0;
	put(0x00, 2, 0x1234);
	put(0x02, 2, 0x11e8);
	put(0x04, 2, 0x0007);			/* firmware left decode + master on */
	put(0x06, 2, 0x0010 | 0xf900);		/* cap list, every error bit set */
	put(0x08, 4, 0x00ff0010);
	put(0x0c, 4, 0x00800010);		/* multi-function, cache line 0x10 */
	put(0x10, 4, 0xfea00000);		/* BAR0 host address */
	put(0x14, 4, 0x0000c001);		/* BAR1 io */
	put(0x18, 4, 0xfe00000c);		/* BAR2-3 mem64 pref */
	put(0x1c, 4, 0x00000001);
	put(0x2c, 4, 0x11001af4);
	put(0x30, 4, 0xfeb00001);		/* a ROM: hidden */
	put(0x34, 1, 0x40);
	put(0x3c, 4, 0x0000010b);		/* line 11, pin A */
	put(0x40, 2, 0x5001);			/* PM -> 0x50 */
	put(0x42, 2, 0x0003);
	put(0x44, 2, 0x0000);			/* PMCSR */
	put(0x50, 2, 0x7005);			/* MSI -> 0x70 */
	put(0x52, 2, 0x0180 | 0x0002);		/* 64-bit, maskable, 2 vectors */
	put(0x54, 4, 0xfee01000);		/* stale host message */
	put(0x64, 4, 0x2);			/* pending bits: the device's */
	put(0x70, 2, 0x8011);			/* MSI-X -> 0x80 */
	put(0x72, 2, 0x0007);			/* 8 vectors */
	put(0x74, 4, 0x1002);			/* table: BAR2 + 0x1000 */
	put(0x78, 4, 0x3002);			/* PBA: BAR2 + 0x3000 */
	put(0x80, 2, 0x0009);			/* vendor, end */
	put(0x82, 1, 0x08);
	put(0x100, 4, 0x00010001);		/* AER v1, end */
	memset(bars, 0, sizeof(bars));
	memset(gaddr, 0, sizeof(gaddr));
	bars[0] = (struct ptdev_bar_info){ 1 << 20, VPCI_BAR_MEM32 };
	bars[1] = (struct ptdev_bar_info){ 32, VPCI_BAR_IO };
	bars[2] = (struct ptdev_bar_info){ 16384, VPCI_BAR_MEM64 | VPCI_BAR_PREFETCH };
	gaddr[0] = 0xc0000000;
	gaddr[1] = 0xc040;
	gaddr[2] = 0x123c0004000ull;
	return 0;
}

static struct ptdev *mk(void)
{
	struct ptdev *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	assert_int_equal(ptdev_init(d, &env, bars, gaddr), 0);
	return d;
}

/* ---- tests ---- */

/* Every byte of the header at every width: writes of all ones, zero and
 * a pattern reach the device only in whitelisted bits, and the device's
 * other bits stay as they were. Command goes as one 16-bit write (QEMU
 * applies INTx Disable only on a write covering its low byte). */
static void test_header_every_register(void **state)
{
	static const uint32_t pats[] = { 0xffffffffu, 0, 0xa5c3965au, 0x5a3c69a5u };
	uint8_t before[64];
	struct ptdev *d;

	(void)state;
	d = mk();
	memcpy(before, dev, 64);
	for (unsigned size = 1; size <= 4; size *= 2) {
		for (unsigned reg = 0; reg < 64; reg += size) {
			for (unsigned p = 0; p < 4; p++) {
				unsigned first = nwrites;

				nmaps = 0;
				ptdev_cfg_write(d, reg, size, pats[p] & (size == 4 ? ~0u :
							(1u << (8 * size)) - 1));
				for (unsigned w = first; w < nwrites; w++) {
					const struct ptdev_wl *wl = ptdev_wl_byte(writes[w].reg);

					/* Command as one 16-bit write when the
					 * access touches it (its bits are checked
					 * below) */
					if (writes[w].reg == 4 && writes[w].size == 2) {
						assert_true(reg <= 5 && reg + size > 4);
						continue;
					}
					/* else byte writes, only to whitelisted
					 * bytes inside the guest's access */
					assert_int_equal(writes[w].size, 1);
					assert_true(writes[w].reg >= reg &&
						    writes[w].reg < reg + size);
					assert_int_equal(wl->kind, PTDEV_WL_REAL);
					assert_int_not_equal(wl->wmask, 0);
				}
			}
		}
	}
	/* bits outside the whitelist kept the device's values (the W1C ones
	 * may have been cleared: the guest wrote ones there) */
	for (unsigned r = 0; r < 64; r++) {
		const struct ptdev_wl *wl = ptdev_wl_byte(r);
		uint8_t keep = (uint8_t)~wl->wmask;

		assert_int_equal(dev[r] & keep, before[r] & keep);
	}
	/* only Command, Status, cache line and latency are in the list */
	for (unsigned r = 0; r < 64; r++) {
		const struct ptdev_wl *wl = ptdev_wl_byte(r);

		if (r == 4 || r == 5 || r == 7 || r == 0x0c || r == 0x0d)
			assert_int_not_equal(wl->wmask, 0);
		else
			assert_int_equal(wl->wmask, 0);
	}
	assert_int_equal(ptdev_wl_byte(0x04)->wmask, 0x47);
	assert_int_equal(ptdev_wl_byte(0x05)->wmask, 0x05);
	assert_int_equal(ptdev_wl_byte(0x06)->wmask, 0);
	assert_int_equal(ptdev_wl_byte(0x07)->w1c, 0xf9);
	assert_int_equal(ptdev_wl_byte(64)->kind, PTDEV_WL_ZERO);
	free(d);
}

/* Reads: identity through, ROM and CIS hidden, one function, the
 * guest's interrupt line, pin through. */
static void test_header_reads(void **state)
{
	struct ptdev *d;

	(void)state;
	d = mk();
	assert_int_equal(ptdev_cfg_read(d, 0, 4), 0x11e81234);
	assert_int_equal(ptdev_cfg_read(d, 0x08, 4), 0x00ff0010);
	assert_int_equal(ptdev_cfg_read(d, 0x0e, 1), 0x00);		/* bit 7 cleared */
	assert_int_equal(ptdev_cfg_read(d, 0x0c, 4), 0x00000010);
	assert_int_equal(ptdev_cfg_read(d, 0x2c, 4), 0x11001af4);
	assert_int_equal(ptdev_cfg_read(d, 0x30, 4), 0);
	ptdev_cfg_write(d, 0x30, 4, 0xffffffff);			/* ROM sizing */
	assert_int_equal(ptdev_cfg_read(d, 0x30, 4), 0);
	assert_int_equal(dev[0x30], 0x01);				/* untouched */
	assert_int_equal(ptdev_cfg_read(d, 0x28, 4), 0);
	/* init turned decode and bus mastering off on the device */
	assert_int_equal(ptdev_cfg_read(d, 0x04, 2), 0);
	assert_int_equal(ptdev_cfg_read(d, 0x3c, 2), 0x0100);		/* line 0, pin A */
	ptdev_cfg_write(d, 0x3c, 1, 5);
	assert_int_equal(ptdev_cfg_read(d, 0x3c, 4), 0x00000105);
	assert_int_equal(dev[0x3c], 0x0b);				/* shadow only */
	ptdev_cfg_write(d, 0x3d, 1, 3);					/* pin: read-only */
	assert_int_equal(ptdev_cfg_read(d, 0x3d, 1), 1);
	/* Status: W1C of exactly the bits written */
	nwrites = 0;
	ptdev_cfg_write(d, 0x06, 2, 0x2000);
	assert_int_equal(nwrites, 1);
	assert_int_equal(writes[0].reg, 7);
	assert_int_equal(writes[0].val, 0x20);
	/* Command: the guest's bits, reserved ones kept */
	dev[0x04] = 0x18;		/* MWI + special cycles set by someone */
	ptdev_cfg_write(d, 0x04, 2, 0xffff);
	assert_int_equal(dev[0x04], 0x18 | 0x47);
	assert_int_equal(dev[0x05], 0x05);
	ptdev_cfg_write(d, 0x04, 2, 0);
	assert_int_equal(dev[0x04], 0x18);
	free(d);
}

/* BARs: pre-assigned, sized, moved, mapped only while decoding. */
static void test_bars(void **state)
{
	struct ptdev *d;

	(void)state;
	d = mk();
	assert_int_equal(ptdev_cfg_read(d, 0x10, 4), 0xc0000000);
	assert_int_equal(ptdev_cfg_read(d, 0x14, 4), 0xc041);
	assert_int_equal(ptdev_cfg_read(d, 0x18, 4), 0xc000400c);
	assert_int_equal(ptdev_cfg_read(d, 0x1c, 4), 0x123);
	assert_int_equal(ptdev_cfg_read(d, 0x20, 4), 0);
	assert_int_equal(ptdev_bar_addr(d, 2), 0x123c0004000ull);
	assert_int_equal(nmaps, 0);
	/* the device's own BARs never change */
	for (unsigned i = 0; i < 0x18; i++)
		ptdev_cfg_write(d, 0x10 + i, 1, 0xff);
	assert_int_equal(fake_read(NULL, 0x10, 4), 0xfea00000);
	assert_int_equal(fake_read(NULL, 0x18, 4), 0xfe00000c);
	/* sizing */
	assert_int_equal(ptdev_cfg_read(d, 0x10, 4), 0xfff00000);
	assert_int_equal(ptdev_cfg_read(d, 0x14, 4), 0xffffffe1);
	assert_int_equal(ptdev_cfg_read(d, 0x18, 4), 0xffffc00c);
	assert_int_equal(ptdev_cfg_read(d, 0x1c, 4), 0xffffffff);
	assert_int_equal(ptdev_cfg_read(d, 0x20, 4), 0);
	assert_int_equal(nmaps, 0);		/* decode is off */
	ptdev_cfg_write(d, 0x10, 4, 0xd0012345);
	assert_int_equal(ptdev_cfg_read(d, 0x10, 4), 0xd0000000);
	ptdev_cfg_write(d, 0x14, 2, 0xc100);
	ptdev_cfg_write(d, 0x16, 2, 0);
	ptdev_cfg_write(d, 0x18, 4, 0xd0100000);
	ptdev_cfg_write(d, 0x1c, 4, 0);
	/* memory decode on: the two memory BARs map */
	ptdev_cfg_write(d, 0x04, 2, VPCI_CMD_MEMORY);
	assert_int_equal(nmaps, 2);
	assert_int_equal(maps[0].bar, 0);
	assert_int_equal(maps[0].at, 0xd0000000);
	assert_true(maps[0].on);
	assert_int_equal(maps[1].bar, 2);
	assert_int_equal(maps[1].at, 0xd0100000);
	/* moving BAR0 unmaps and maps again */
	ptdev_cfg_write(d, 0x10, 4, 0xe0000000);
	assert_int_equal(nmaps, 4);
	assert_false(maps[2].on);
	assert_int_equal(maps[2].at, 0xd0000000);
	assert_true(maps[3].on);
	assert_int_equal(maps[3].at, 0xe0000000);
	/* sizing with decode on: the environment refuses the address */
	map_result = -EINVAL;
	ptdev_cfg_write(d, 0x10, 4, 0xffffffff);
	assert_int_equal(nmaps, 6);
	assert_false(maps[4].on);
	assert_true(maps[5].on);
	assert_int_equal(maps[5].at, 0xfff00000);
	map_result = 0;
	ptdev_cfg_write(d, 0x10, 4, 0xe0000000);
	assert_int_equal(nmaps, 7);
	assert_true(maps[6].on);
	/* I/O decode on adds BAR1; off and decode-off remove everything */
	ptdev_cfg_write(d, 0x04, 1, VPCI_CMD_MEMORY | VPCI_CMD_IO);
	assert_int_equal(nmaps, 8);
	assert_int_equal(maps[7].bar, 1);
	assert_int_equal(maps[7].at, 0xc100);
	ptdev_cfg_write(d, 0x04, 1, 0);
	assert_int_equal(nmaps, 11);
	for (unsigned i = 8; i < 11; i++)
		assert_false(maps[i].on);
	ptdev_cfg_write(d, 0x04, 1, VPCI_CMD_MEMORY);
	assert_int_equal(nmaps, 13);
	ptdev_shutdown(d);
	assert_int_equal(nmaps, 15);
	assert_false(maps[13].on);
	assert_false(maps[14].on);
	free(d);
}

/* Bad BARs are refused at init. */
static void test_bars_refused(void **state)
{
	struct ptdev d;

	(void)state;
	bars[0].size = 3 << 20;
	assert_int_equal(ptdev_init(&d, &env, bars, gaddr), -EINVAL);
	bars[0] = (struct ptdev_bar_info){ 512, VPCI_BAR_IO };
	assert_int_equal(ptdev_init(&d, &env, bars, gaddr), -EINVAL);
	bars[0] = (struct ptdev_bar_info){ 8, VPCI_BAR_MEM32 };
	assert_int_equal(ptdev_init(&d, &env, bars, gaddr), -EINVAL);
	bars[0] = (struct ptdev_bar_info){ 4096, VPCI_BAR_MEM32 };
	bars[5] = (struct ptdev_bar_info){ 4096, VPCI_BAR_MEM64 };
	assert_int_equal(ptdev_init(&d, &env, bars, gaddr), -EINVAL);
	bars[5] = (struct ptdev_bar_info){ 4096, VPCI_BAR_IO | VPCI_BAR_PREFETCH };
	assert_int_equal(ptdev_init(&d, &env, bars, gaddr), -EINVAL);
}

/* The capability list, and a hidden one re-linked around. */
static void test_caps(void **state)
{
	struct ptdev *d;

	(void)state;
	d = mk();
	assert_int_equal(ptdev_cfg_read(d, 0x34, 1), 0x40);
	assert_int_equal(ptdev_cfg_read(d, 0x40, 2), 0x5001);
	assert_int_equal(ptdev_cfg_read(d, 0x50, 2), 0x7005);
	assert_int_equal(ptdev_cfg_read(d, 0x70, 2), 0x8011);
	assert_int_equal(ptdev_cfg_read(d, 0x80, 4), 0x00080009);
	/* capability writes outside MSI reach nothing */
	nwrites = 0;
	ptdev_cfg_write(d, 0x44, 2, 0x0003);	/* PMCSR D3 */
	ptdev_cfg_write(d, 0x40, 4, 0xffffffff);
	ptdev_cfg_write(d, 0xfc, 4, 0xffffffff);
	assert_int_equal(nwrites, 0);
	assert_int_equal(ptdev_cfg_read(d, 0x44, 2), 0);
	/* extended space: through, read-only */
	assert_int_equal(ptdev_cfg_read(d, 0x100, 4), 0x00010001);
	ptdev_cfg_write(d, 0x104, 4, 0xffffffff);
	ptdev_cfg_write(d, 0xffc, 4, 0xffffffff);
	assert_int_equal(nwrites, 0);
	assert_true(d->dropped_writes >= 6);
	free(d);

	/* a table in a reserved BIR: MSI-X hidden, the list skips it */
	setup(NULL);
	put(0x74, 4, 0x1006);
	d = mk();
	assert_int_equal(d->msix_off, 0);
	assert_int_equal(ptdev_cfg_read(d, 0x50, 2), 0x8005);
	assert_int_equal(ptdev_cfg_read(d, 0x70, 2), 0);
	free(d);

	/* a list that loops, and one that points into the header */
	setup(NULL);
	put(0x81, 1, 0x40);
	d = mk();
	assert_int_equal(d->ncaps, 4);
	assert_int_equal(ptdev_cfg_read(d, 0x81, 1), 0);
	free(d);
	setup(NULL);
	put(0x34, 1, 0x10);
	d = mk();
	assert_int_equal(d->ncaps, 0);
	assert_int_equal(ptdev_cfg_read(d, 0x34, 1), 0);
	free(d);
	setup(NULL);
	put(0x06, 2, 0);			/* no capability list */
	d = mk();
	assert_int_equal(d->ncaps, 0);
	assert_int_equal(d->msi_off, 0);
	free(d);
}

/* MSI: shadowed, one vector, every change reported, nothing reaches
 * the device. */
static void test_msi(void **state)
{
	struct ptdev *d;

	(void)state;
	d = mk();
	nwrites = 0;
	assert_int_equal(d->msi_off, 0x50);
	/* 64-bit, maskable, one vector offered, disabled, empty message */
	assert_int_equal(ptdev_cfg_read(d, 0x52, 2), 0x0180);
	assert_int_equal(ptdev_cfg_read(d, 0x54, 4), 0);
	assert_int_equal(ptdev_cfg_read(d, 0x64, 4), 0x2);		/* pending: device */
	ptdev_cfg_write(d, 0x54, 4, 0xfee01003);
	ptdev_cfg_write(d, 0x58, 4, 0);
	ptdev_cfg_write(d, 0x5c, 2, 0x0041);
	assert_int_equal(ptdev_cfg_read(d, 0x54, 4), 0xfee01000);
	assert_int_equal(ptdev_cfg_read(d, 0x5c, 4), 0x0041);
	assert_int_equal(nmsis, 0);
	ptdev_cfg_write(d, 0x52, 2, 0x0071);		/* enable, MME=7 asked */
	assert_int_equal(ptdev_cfg_read(d, 0x52, 2), 0x0181);
	assert_int_equal(nmsis, 1);
	assert_true(msis[0].on);
	assert_int_equal(msis[0].addr, 0xfee01000);
	assert_int_equal(msis[0].data, 0x41);
	ptdev_cfg_write(d, 0x5c, 2, 0x0042);
	assert_int_equal(nmsis, 2);
	assert_int_equal(msis[1].data, 0x42);
	ptdev_cfg_write(d, 0x5c, 2, 0x0042);		/* no change: no call */
	assert_int_equal(nmsis, 2);
	ptdev_cfg_write(d, 0x60, 4, 0xffffffff);		/* mask: one bit */
	assert_int_equal(ptdev_cfg_read(d, 0x60, 4), 1);
	assert_int_equal(nmsis, 3);
	assert_false(msis[2].on);
	ptdev_cfg_write(d, 0x60, 4, 0);
	assert_int_equal(nmsis, 4);
	assert_true(msis[3].on);
	ptdev_cfg_write(d, 0x58, 4, 0x1);			/* upper address */
	assert_int_equal(msis[4].addr, 0x1fee01000ull);
	ptdev_cfg_write(d, 0x52, 1, 0);
	assert_false(msis[5].on);
	assert_int_equal(nwrites, 0);
	assert_int_equal(fake_read(NULL, 0x54, 4), 0xfee01000);	/* untouched */
	ptdev_cfg_write(d, 0x52, 1, 1);
	ptdev_shutdown(d);
	assert_false(msis[nmsis - 1].on);
	free(d);

	/* 32-bit, not maskable */
	setup(NULL);
	put(0x52, 2, 0x0000);
	d = mk();
	nwrites = 0;
	ptdev_cfg_write(d, 0x54, 4, 0xfee00000);
	ptdev_cfg_write(d, 0x58, 2, 0x30);
	ptdev_cfg_write(d, 0x5c, 4, 0xffffffff);	/* past the capability: dropped */
	assert_int_equal(ptdev_cfg_read(d, 0x58, 2), 0x30);
	ptdev_cfg_write(d, 0x52, 2, 1);
	assert_true(msis[0].on);
	assert_int_equal(msis[0].data, 0x30);
	assert_int_equal(nwrites, 0);
	free(d);
}

/* MSI-X: Enable and Function Mask shadowed, the table and PBA emulated,
 * every deliverable vector reported, nothing reaching the device. */
static void test_msix(void **state)
{
	struct ptdev *d;
	uint64_t v;

	(void)state;
	d = mk();
	nwrites = 0;
	assert_int_equal(d->msix_n, 8);
	assert_int_equal(ptdev_cfg_read(d, 0x72, 2), 0x0007);
	assert_int_equal(ptdev_cfg_read(d, 0x74, 4), 0x1002);
	assert_int_equal(ptdev_cfg_read(d, 0x78, 4), 0x3002);
	/* entries start masked */
	assert_int_equal(ptdev_msix_access(d, 2, 0x100c, 4, false, &v), 0);
	assert_int_equal(v, 1);
	/* outside the table and PBA, or another BAR: the device's */
	assert_int_equal(ptdev_msix_access(d, 2, 0x0ffc, 4, false, &v), -ENOENT);
	assert_int_equal(ptdev_msix_access(d, 2, 0x1080, 4, false, &v), -ENOENT);
	assert_int_equal(ptdev_msix_access(d, 0, 0x1000, 4, false, &v), -ENOENT);
	assert_int_equal(ptdev_msix_access(d, 2, 0x3008, 4, false, &v), -ENOENT);
	/* program vector 0 (dwords) and 1 (qwords) while disabled */
	v = 0xfee01003;
	ptdev_msix_access(d, 2, 0x1000, 4, true, &v);
	v = 0;
	ptdev_msix_access(d, 2, 0x1004, 4, true, &v);
	v = 0x41;
	ptdev_msix_access(d, 2, 0x1008, 4, true, &v);
	v = 0;
	ptdev_msix_access(d, 2, 0x100c, 4, true, &v);
	v = 0x00000000fee02000ull;
	ptdev_msix_access(d, 2, 0x1010, 8, true, &v);
	v = 0x0000000000000042ull;			/* data 0x42, unmasked */
	ptdev_msix_access(d, 2, 0x1018, 8, true, &v);
	assert_int_equal(nxs, 0);
	assert_int_equal(ptdev_msix_access(d, 2, 0x1000, 8, false, &v), 0);
	assert_int_equal(v, 0xfee01000ull);			/* reserved bits cleared */
	/* enable with the function masked: nothing deliverable yet */
	ptdev_cfg_write(d, 0x72, 2, 0xc000);
	assert_int_equal(nxen, 1);
	assert_true(xen);
	assert_int_equal(nxs, 0);
	assert_int_equal(ptdev_cfg_read(d, 0x72, 2), 0xc007);
	/* unmask the function: vectors 0 and 1 go on */
	ptdev_cfg_write(d, 0x73, 1, 0x80);
	assert_int_equal(nxs, 2);
	assert_int_equal(xs[0].i, 0);
	assert_true(xs[0].on);
	assert_int_equal(xs[0].addr, 0xfee01000);
	assert_int_equal(xs[0].data, 0x41);
	assert_int_equal(xs[1].i, 1);
	assert_int_equal(xs[1].data, 0x42);
	assert_true(ptdev_msix_fire(d, 0));
	/* mask vector 1: it goes off; a fire then pends, the PBA shows it */
	v = 1;
	ptdev_msix_access(d, 2, 0x101c, 4, true, &v);
	assert_int_equal(nxs, 3);
	assert_false(xs[2].on);
	assert_false(ptdev_msix_fire(d, 1));
	assert_int_equal(ptdev_msix_access(d, 2, 0x3000, 8, false, &v), 0);
	assert_int_equal(v, 2);
	v = 0;
	ptdev_msix_access(d, 2, 0x3000, 8, true, &v);		/* PBA: read-only */
	ptdev_msix_access(d, 2, 0x3000, 4, false, &v);
	assert_int_equal(v, 2);
	assert_true(ptdev_msix_take(d, 1));
	assert_false(ptdev_msix_take(d, 1));
	assert_false(ptdev_msix_fire(d, 9));			/* past the table */
	/* a new message for an active vector is reported */
	v = 0x51;
	ptdev_msix_access(d, 2, 0x1008, 4, true, &v);
	assert_int_equal(nxs, 4);
	assert_int_equal(xs[3].data, 0x51);
	/* odd sizes and misaligned accesses do nothing */
	v = 0xffffffff;
	ptdev_msix_access(d, 2, 0x1008, 2, true, &v);
	ptdev_msix_access(d, 2, 0x1006, 4, true, &v);
	ptdev_msix_access(d, 2, 0x1004, 8, true, &v);
	assert_int_equal(nxs, 4);
	/* disable: vector 0 off, then the device's MSI-X off */
	ptdev_cfg_write(d, 0x72, 2, 0);
	assert_int_equal(nxs, 5);
	assert_false(xs[4].on);
	assert_int_equal(nxen, 2);
	assert_false(xen);
	assert_int_equal(nwrites, 0);
	assert_int_equal(fake_read(NULL, 0x72, 2), 0x0007);
	ptdev_cfg_write(d, 0x72, 2, 0x8000);
	ptdev_shutdown(d);
	assert_false(xen);
	free(d);

	/* a device with more vectors than offered */
	setup(NULL);
	put(0x72, 2, 0x07ff);
	d = mk();
	assert_int_equal(d->msix_n, PTDEV_MSIX_MAX);
	assert_int_equal(ptdev_cfg_read(d, 0x72, 2), PTDEV_MSIX_MAX - 1);
	v = 0;
	assert_int_equal(ptdev_msix_access(d, 2, 0x1000 + 2047 * 16, 4, true, &v), 0);
	assert_int_equal(ptdev_msix_access(d, 2, 0x1000 + 2047 * 16, 4, false, &v), 0);
	assert_int_equal(v, 0);
	free(d);
}

/* Which pieces of a BAR must exit. */
static void test_trap_ranges(void **state)
{
	uint64_t off[2], len[2];
	struct ptdev *d;

	(void)state;
	d = mk();
	/* table BAR2 + 0x1000 (8 entries), PBA BAR2 + 0x3000: two pages */
	assert_int_equal(ptdev_trap_ranges(d, 2, 16384, off, len), 2);
	assert_int_equal(off[0], 0x1000);
	assert_int_equal(len[0], 0x1000);
	assert_int_equal(off[1], 0x3000);
	assert_int_equal(len[1], 0x1000);
	/* BAR0 holds neither; a BAR below a page exits whole; no size, none */
	assert_int_equal(ptdev_trap_ranges(d, 0, 1 << 20, off, len), 0);
	assert_int_equal(ptdev_trap_ranges(d, 4, 256, off, len), 1);
	assert_int_equal(off[0], 0);
	assert_int_equal(len[0], 256);
	assert_int_equal(ptdev_trap_ranges(d, 4, 0, off, len), 0);
	/* table and PBA in one page (PBA before the table): merged */
	d->msix_table_off = 0x2800;
	d->msix_pba_off = 0x2000;
	assert_int_equal(ptdev_trap_ranges(d, 2, 16384, off, len), 1);
	assert_int_equal(off[0], 0x2000);
	assert_int_equal(len[0], 0x1000);
	/* in adjacent pages: merged; PBA first in the BAR: sorted */
	d->msix_table_off = 0x3000;
	d->msix_pba_off = 0x2ff8;
	assert_int_equal(ptdev_trap_ranges(d, 2, 16384, off, len), 1);
	assert_int_equal(off[0], 0x2000);
	assert_int_equal(len[0], 0x2000);
	d->msix_table_off = 0x3000;
	d->msix_pba_off = 0x0000;
	assert_int_equal(ptdev_trap_ranges(d, 2, 16384, off, len), 2);
	assert_int_equal(off[0], 0);
	assert_int_equal(off[1], 0x3000);
	/* a table of 2048 entries spans 8 pages, cut at the BAR's end */
	d->msix_dev_n = 2048;
	d->msix_table_off = 0x1000;
	d->msix_pba_off = 0x1000;
	d->msix_pba_bir = 0;
	assert_int_equal(ptdev_trap_ranges(d, 2, 16384, off, len), 1);
	assert_int_equal(off[0], 0x1000);
	assert_int_equal(len[0], 0x3000);
	assert_int_equal(ptdev_trap_ranges(d, 0, 1 << 20, off, len), 1);
	assert_int_equal(off[0], 0x1000);
	assert_int_equal(len[0], 0x1000);		/* 2048 bits of PBA: 256 bytes */
	/* a table offset past the BAR: nothing to trap there */
	d->msix_table_off = 0x8000;
	d->msix_pba_bir = 2;
	d->msix_pba_off = 0x8000;
	assert_int_equal(ptdev_trap_ranges(d, 2, 16384, off, len), 0);
	/* no MSI-X: nothing */
	d->msix_off = 0;
	assert_int_equal(ptdev_trap_ranges(d, 2, 16384, off, len), 0);
	free(d);
}

static void test_msi_check(void **state)
{
	static const uint32_t ids[] = { 0, 1, 2 };
	const char *why = NULL;

	(void)state;
	assert_int_equal(ptdev_msi_check(0xfee01000, 0x41, ids, 3, &why), 0);
	assert_int_equal(ptdev_msi_check(0xfee00000, 0x141, ids, 3, &why), 0);	/* lowest */
	assert_int_equal(ptdev_msi_check(0xfeeff000, 0x41, ids, 3, &why), 0);	/* broadcast */
	assert_int_equal(ptdev_msi_check(0xfee0f004, 0x41, ids, 3, &why), 0);	/* logical */
	assert_int_equal(ptdev_msi_check(0xfee03000, 0x41, ids, 3, &why), -EINVAL);
	assert_non_null(strstr(why, "none of the partition's vCPUs"));
	assert_int_equal(ptdev_msi_check(0xfee00000, 0x0f, ids, 3, &why), -EINVAL);
	assert_non_null(strstr(why, "below 16"));
	assert_int_equal(ptdev_msi_check(0xfed00000, 0x41, ids, 3, &why), -EINVAL);
	assert_int_equal(ptdev_msi_check(0x1fee00000ull, 0x41, ids, 3, &why), -EINVAL);
	assert_int_equal(ptdev_msi_check(0xfee00000, 0x441, ids, 3, &why), -EINVAL);	/* NMI */
	assert_int_equal(ptdev_msi_check(0xfee00000, 0x541, ids, 3, &why), -EINVAL);	/* INIT */
	assert_int_equal(ptdev_msi_check(0xfee00000, 0x241, ids, 3, &why), -EINVAL);	/* SMI */
	assert_int_equal(ptdev_msi_check(0xfee00000, 0x741, ids, 3, &why), -EINVAL);	/* ExtINT */
	assert_int_equal(ptdev_msi_check(0xfee00000, 0x8041, ids, 3, &why), -EINVAL);	/* level */
	assert_int_equal(ptdev_msi_check(0xfee00000, 0x41, ids, 0, &why), -EINVAL);
	/* the vCPU whose CPU takes the host vector */
	{
		static const uint32_t sparse[] = { 4, 0, 7 };

		assert_int_equal(ptdev_msi_target(0xfee07000, 0x41, sparse, 3), 2);
		assert_int_equal(ptdev_msi_target(0xfee00000, 0x41, sparse, 3), 1);
		assert_int_equal(ptdev_msi_target(0xfee07000, 0x141, sparse, 3), 2);	/* lowest, physical */
		assert_int_equal(ptdev_msi_target(0xfee07004, 0x41, sparse, 3), 0);	/* logical */
		assert_int_equal(ptdev_msi_target(0xfeeff000, 0x41, sparse, 3), 0);	/* broadcast */
		assert_int_equal(ptdev_msi_target(0xfee09000, 0x41, sparse, 3), 0);	/* no such vCPU */
		assert_int_equal(ptdev_msi_target(0xfed00000, 0x41, sparse, 3), 0);	/* not a message */
	}
	/* random hostile messages never crash and pass only the rules */
	srand(7);
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t a = (uint64_t)rand() << 33 ^ (uint64_t)rand() << 2;
		uint32_t dt = (uint32_t)rand();

		if (i & 1)
			a = 0xfee00000u | (a & 0xfffff);
		if (!ptdev_msi_check(a, dt, ids, 3, &why)) {
			assert_int_equal(a >> 20, 0xfee);
			assert_true((dt & 0xff) >= 16);
			assert_true(((dt >> 8) & 7) <= 1);
		}
	}
}

/* Random accesses of every size anywhere: writes reach only whitelisted
 * header bytes, never a BAR, a capability or the extended space. */
static void test_fuzz(void **state)
{
	struct ptdev *d;

	(void)state;
	d = mk();
	srand(11);
	for (unsigned i = 0; i < 200000; i++) {
		unsigned size = 1u << (rand() % 3), reg = ((unsigned)rand() % 4096) & ~(size - 1);
		uint32_t v = (uint32_t)rand() ^ (uint32_t)rand() << 16;

		if (rand() & 1) {
			(void)ptdev_cfg_read(d, reg, size);
			continue;
		}
		nwrites = 0;
		ptdev_cfg_write(d, reg, size, v);
		for (unsigned w = 0; w < nwrites; w++)
			assert_int_not_equal(ptdev_wl_byte(writes[w].reg)->wmask, 0);
		if (nmaps > 60)
			nmaps = 0;
		if (nmsis > 60)
			nmsis = 0;
	}
	assert_int_equal(fake_read(NULL, 0x10, 4), 0xfea00000);
	assert_int_equal(fake_read(NULL, 0x54, 4), 0xfee01000);
	free(d);
}

/* INTx: the pin reads through unless the function has no route (then
 * 0, no INTx); the guest's INTx Disable reaches the device and the hook
 * hears each change of it, at any width, and only changes. */
static void test_intx(void **state)
{
	struct ptdev *d = mk();

	(void)state;
	assert_int_equal(ptdev_cfg_read(d, VPCI_INT_PIN, 1), 1);
	d->intx_hidden = true;
	assert_int_equal(ptdev_cfg_read(d, VPCI_INT_PIN, 1), 0);
	assert_int_equal((ptdev_cfg_read(d, 0x3c, 4) >> 8) & 0xff, 0);	/* at any width */
	d->intx_hidden = false;
	ptdev_cfg_write(d, 0x04, 2, 0x0406);
	assert_int_equal(nintx, 1);
	assert_true(intx_off);
	assert_int_equal(dev[0x05] & 4, 4);
	ptdev_cfg_write(d, 0x04, 4, 0x00000406);	/* no change: no call */
	assert_int_equal(nintx, 1);
	ptdev_cfg_write(d, 0x05, 1, 0x00);
	assert_int_equal(nintx, 2);
	assert_int_equal(writes[nwrites - 1].reg, 4);	/* as a 16-bit write */
	assert_int_equal(writes[nwrites - 1].size, 2);
	assert_false(intx_off);
	assert_int_equal(dev[0x05] & 4, 0);
	ptdev_cfg_write(d, 0x04, 1, 0x06);		/* the low byte alone: no call */
	assert_int_equal(nintx, 2);
	free(d);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
	const struct CMUnitTest tests[] = {
		T(test_header_every_register),
		T(test_header_reads),
		T(test_bars),
		T(test_bars_refused),
		T(test_caps),
		T(test_msi),
		T(test_msix),
		T(test_trap_ranges),
		T(test_msi_check),
		T(test_fuzz),
		T(test_intx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
