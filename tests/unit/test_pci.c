/* Unit tests for drivers/pci_enum.c and drivers/pci_report.c over a fake
 * configuration space: bridges and their secondary buses, BAR sizing of
 * every kind, capability and extended-capability lists (and their loops),
 * all-ones devices, ECAM against CF8/CFC sizes, a full device table and
 * the report's text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "drivers/pci.h"
#include "lib/errno.h"

/* ---- the fake configuration space ---- */

struct ffn {
	uint16_t seg;
	uint8_t bus, devfn;
	uint8_t cfg[4096];
	uint32_t wmask[6];	/* writable bits of each BAR */
};

#define MAX_FNS 32
static struct ffn *fns;
static unsigned nfns;
static bool flood;			/* every function of buses 0 and 1 exists */
static unsigned bar_writes_decoding;	/* BAR writes with decode on */
static unsigned reads;
static struct pci_tree *t;

static struct ffn *find(uint16_t seg, uint8_t bus, uint8_t devfn)
{
	for (unsigned i = 0; i < nfns; i++)
		if (fns[i].seg == seg && fns[i].bus == bus && fns[i].devfn == devfn)
			return &fns[i];
	return NULL;
}

static uint32_t flood_read(uint8_t bus, uint8_t devfn, uint16_t reg, unsigned w)
{
	uint8_t b[4096] = { 0 };
	uint32_t v = 0;

	if (bus > 1)
		return w == 4 ? 0xffffffff : (1u << (8 * w)) - 1;
	b[0] = 0x34, b[1] = 0x12, b[2] = devfn, b[3] = bus;
	b[0x0e] = 0x80;
	if (!bus && !devfn) {
		b[0x0e] = 0x81;	/* a bridge to bus 1 */
		b[0x0b] = 6, b[0x0a] = 4, b[0x19] = 1, b[0x1a] = 1;
	}
	for (unsigned i = 0; i < w; i++)
		v |= (uint32_t)b[reg + i] << (8 * i);
	return v;
}

static uint32_t fake_read(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t reg,
			  unsigned w)
{
	struct ffn *f = find(seg, bus, devfn);
	uint32_t v = 0;

	(void)ctx;
	reads++;
	assert_true(w == 1 || w == 2 || w == 4);
	assert_int_equal(reg % w, 0);
	assert_true(reg + w <= 4096);
	if (flood)
		return flood_read(bus, devfn, reg, w);
	if (!f)
		return w == 4 ? 0xffffffff : (1u << (8 * w)) - 1;
	for (unsigned i = 0; i < w; i++)
		v |= (uint32_t)f->cfg[reg + i] << (8 * i);
	return v;
}

static unsigned nbar_regs(const struct ffn *f)
{
	uint8_t type = f->cfg[0x0e] & 0x7f;

	return type == 0 ? 6 : type == 1 ? 2 : type == 2 ? 1 : 0;
}

static void fake_write(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t reg,
		       unsigned w, uint32_t val)
{
	struct ffn *f = find(seg, bus, devfn);

	(void)ctx;
	assert_int_equal(reg % w, 0);
	if (!f)
		return;
	if (reg >= 0x10 && reg < 0x10 + 4 * nbar_regs(f)) {
		unsigned i = (reg - 0x10) / 4;
		uint32_t old;

		assert_int_equal(w, 4);
		memcpy(&old, &f->cfg[reg], 4);
		if (f->cfg[4] & 3)
			bar_writes_decoding++;
		old = (val & f->wmask[i]) | (old & ~f->wmask[i]);
		memcpy(&f->cfg[reg], &old, 4);
		return;
	}
	for (unsigned i = 0; i < w; i++)
		f->cfg[reg + i] = (uint8_t)(val >> (8 * i));
}

static const struct pci_cfg_ops ops = { fake_read, fake_write, NULL };

static void put16(struct ffn *f, uint16_t reg, uint16_t v)
{
	memcpy(&f->cfg[reg], &v, 2);
}

static void put32(struct ffn *f, uint16_t reg, uint32_t v)
{
	memcpy(&f->cfg[reg], &v, 4);
}

static struct ffn *fn_add(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fnum,
			  uint16_t vendor, uint16_t device, uint8_t class, uint8_t sub,
			  uint8_t hdr)
{
	struct ffn *f;

	assert_true(nfns < MAX_FNS);
	f = &fns[nfns++];
	memset(f, 0, sizeof(*f));
	f->seg = seg;
	f->bus = bus;
	f->devfn = (uint8_t)(dev << 3 | fnum);
	put16(f, 0, vendor);
	put16(f, 2, device);
	f->cfg[0x0b] = class;
	f->cfg[0x0a] = sub;
	f->cfg[0x0e] = hdr;
	return f;
}

static struct ffn *bridge_add(uint8_t bus, uint8_t dev, uint8_t sec, uint8_t sub)
{
	struct ffn *f = fn_add(0, bus, dev, 0, 0x8086, 0x2448, 6, 4, 1);

	f->cfg[0x18] = bus;
	f->cfg[0x19] = sec;
	f->cfg[0x1a] = sub;
	return f;
}

/* A BAR: its programmed value and its writable address bits. */
static void bar_set(struct ffn *f, unsigned i, uint32_t value, uint32_t wmask)
{
	put32(f, (uint16_t)(0x10 + 4 * i), value);
	f->wmask[i] = wmask;
}

/* A capability at off with the given ID, linked to next. */
static void cap_set(struct ffn *f, uint8_t off, uint8_t id, uint8_t next)
{
	f->cfg[off] = id;
	f->cfg[off + 1] = next;
	if (!(f->cfg[6] & 0x10)) {
		f->cfg[6] |= 0x10;
		f->cfg[0x34] = off;
	}
}

static void ecap_set(struct ffn *f, uint16_t off, uint16_t id, uint16_t next)
{
	put32(f, off, (uint32_t)id | 1u << 16 | (uint32_t)next << 20);
}

static void one_root(uint16_t cfg_size)
{
	t->nroots = 1;
	t->roots[0] = (struct pci_root){ .seg = 0, .bus_start = 0, .bus_end = 255,
					 .cfg_size = cfg_size, .ecam = cfg_size == 4096 };
}

static const struct pci_dev *dev_at(uint8_t bus, uint8_t dev, uint8_t fnum)
{
	for (unsigned i = 0; i < t->ndevs; i++)
		if (t->devs[i].bus == bus && t->devs[i].devfn == (dev << 3 | fnum))
			return &t->devs[i];
	return NULL;
}

static unsigned count_problems(enum pci_problem_kind k)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->nproblems; i++)
		n += t->problems[i].kind == k;
	return n;
}

static int setup(void **state)
{
	(void)state;
	fns = calloc(MAX_FNS, sizeof(*fns));
	t = malloc(sizeof(*t));
	if (!fns || !t)
		return -1;
	memset(t, 0xcc, sizeof(*t));	/* pci_enum must not trust the old contents */
	nfns = 0;
	flood = false;
	bar_writes_decoding = 0;
	reads = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fns);
	free(t);
	return 0;
}

/* ---- tests ---- */

/* Bridges are walked depth-first to their secondary buses; a bus no
 * bridge leads to is never read. */
static void test_bridges_depth_first(void **state)
{
	struct ffn *f;

	(void)state;
	fn_add(0, 0, 0, 0, 0x8086, 0x29c0, 6, 0, 0);
	f = bridge_add(0, 0x1c, 1, 2);
	f->cfg[0x1c] = 0x21;			/* I/O 32-bit: 0x12000-0x13fff */
	f->cfg[0x1d] = 0x31;
	put16(f, 0x30, 1);
	put16(f, 0x32, 1);
	put16(f, 0x20, 0xfe00);			/* memory 0xfe000000-0xfe1fffff */
	put16(f, 0x22, 0xfe10);
	put16(f, 0x24, 0xc001);			/* prefetchable 64-bit, above 4G */
	put16(f, 0x26, 0xc0f1);
	put32(f, 0x28, 1);
	put32(f, 0x2c, 1);
	fn_add(0, 0, 0x1f, 0, 0x8086, 0x2918, 6, 1, 0);
	bridge_add(1, 0, 2, 2);
	fn_add(0, 2, 0, 0, 0x1af4, 0x1041, 2, 0, 0);
	fn_add(0, 5, 0, 0, 0x1234, 0x5678, 2, 0, 0);	/* behind no bridge */
	one_root(4096);

	assert_int_equal(pci_enum(t, &ops), 5);
	assert_int_equal(t->ndevs, 5);
	assert_int_equal(t->devs[0].devfn, 0);
	assert_int_equal(t->devs[1].devfn, 0x1c << 3);
	assert_int_equal(t->devs[2].bus, 1);	/* below the bridge before 00:1f */
	assert_int_equal(t->devs[3].bus, 2);
	assert_int_equal(t->devs[4].devfn, 0x1f << 3);
	assert_int_equal(t->devs[3].depth, 2);
	assert_int_equal(t->devs[3].parent, 2);
	assert_int_equal(t->devs[2].parent, 1);
	assert_int_equal(t->devs[0].parent, -1);
	assert_int_equal(t->devs[1].hdr_type, 1);
	assert_int_equal(t->devs[1].sec_bus, 1);
	assert_int_equal(t->devs[1].sub_bus, 2);
	assert_int_equal(t->devs[1].nbars, 2);
	assert_int_equal(t->devs[1].io_base, 0x12000);
	assert_int_equal(t->devs[1].io_limit, 0x13fff);
	assert_int_equal(t->devs[1].mem_base, 0xfe000000);
	assert_int_equal(t->devs[1].mem_limit, 0xfe1fffff);
	assert_int_equal(t->devs[1].pref_base, 0x1c0000000ULL);
	assert_int_equal(t->devs[1].pref_limit, 0x1c0ffffffULL);
	assert_null(dev_at(5, 0, 0));
	assert_int_equal(t->nproblems, 0);
	/* 3 buses x 32 devices at most, plus the functions' own registers:
	 * far fewer reads than scanning 256 buses. */
	assert_true(reads < 1000);
}

static void test_bridge_bad_secondary(void **state)
{
	(void)state;
	bridge_add(0, 1, 0, 0);	/* not configured by the firmware */
	bridge_add(0, 2, 3, 3);
	bridge_add(0, 3, 3, 3);	/* claims a bus already walked */
	bridge_add(3, 0, 0x40, 0x40);	/* outside the root's range */
	one_root(4096);
	t->roots[0].bus_end = 0x20;

	assert_int_equal(pci_enum(t, &ops), 4);
	assert_int_equal(count_problems(PCI_PROB_BRIDGE_BUS), 3);
	assert_non_null(dev_at(3, 0, 0));
}

/* A bridge whose secondary bus is its own: no endless walk. */
static void test_bridge_loop(void **state)
{
	(void)state;
	bridge_add(0, 0, 1, 1);
	bridge_add(1, 0, 1, 1);
	one_root(256);
	assert_int_equal(pci_enum(t, &ops), 2);
	assert_int_equal(count_problems(PCI_PROB_BRIDGE_BUS), 1);
}

static void test_multifunction(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 3, 0, 0x8086, 0x1111, 1, 6, 0x80);
	(void)f;
	fn_add(0, 0, 3, 2, 0x8086, 0x2222, 0xc, 5, 0);
	/* a single-function device that answers on every function */
	fn_add(0, 0, 4, 0, 0x8086, 0x3333, 2, 0, 0);
	fn_add(0, 0, 4, 1, 0x8086, 0x3333, 2, 0, 0);
	/* function 1 without function 0: no device */
	fn_add(0, 0, 5, 1, 0x8086, 0x4444, 2, 0, 0);
	one_root(256);
	assert_int_equal(pci_enum(t, &ops), 3);
	assert_true(dev_at(0, 3, 0)->multifunction);
	assert_non_null(dev_at(0, 3, 2));
	assert_null(dev_at(0, 4, 1));
	assert_null(dev_at(0, 5, 1));
}

static void test_bars_every_kind(void **state)
{
	struct ffn *f;
	const struct pci_dev *d;

	(void)state;
	f = fn_add(0, 0, 2, 0, 0x8086, 0x100e, 2, 0, 0);
	bar_set(f, 0, 0xfebc0000, 0xfffe0000);		/* mem32 128K */
	bar_set(f, 1, 0x0000c001, 0xffffffc0);		/* io 64 */
	bar_set(f, 2, 0xfe00000c, 0xffffc000);		/* mem64 pref 16K, low */
	bar_set(f, 3, 0x00000001, 0xffffffff);		/* ... high: 0x1fe000000 */
	bar_set(f, 4, 0x0000d001, 0x0000fff0);		/* io 16 on a 16-bit decoder */
	bar_set(f, 5, 0, 0);				/* not implemented */
	put16(f, 4, 0x0007);				/* I/O, memory, bus master on */
	one_root(4096);

	assert_int_equal(pci_enum(t, &ops), 1);
	d = &t->devs[0];
	assert_int_equal(d->bar[0].type, PCI_BAR_MEM32);
	assert_int_equal(d->bar[0].size, 128 * 1024);
	assert_int_equal(d->bar[0].base, 0xfebc0000);
	assert_false(d->bar[0].prefetch);
	assert_int_equal(d->bar[1].type, PCI_BAR_IO);
	assert_int_equal(d->bar[1].size, 64);
	assert_int_equal(d->bar[1].base, 0xc000);
	assert_int_equal(d->bar[2].type, PCI_BAR_MEM64);
	assert_true(d->bar[2].prefetch);
	assert_int_equal(d->bar[2].size, 16 * 1024);
	assert_int_equal(d->bar[2].base, 0x1fe000000ULL);
	assert_int_equal(d->bar[3].type, PCI_BAR_NONE);	/* the upper half */
	assert_int_equal(d->bar[4].type, PCI_BAR_IO);
	assert_int_equal(d->bar[4].size, 16);
	assert_int_equal(d->bar[4].base, 0xd000);
	assert_int_equal(d->bar[5].type, PCI_BAR_NONE);
	assert_int_equal(t->nproblems, 0);
	/* Sized with decode off, everything restored after. */
	assert_int_equal(bar_writes_decoding, 0);
	assert_int_equal(f->cfg[4], 0x07);
	assert_int_equal(*(uint32_t *)&f->cfg[0x10], 0xfebc0000);
	assert_int_equal(*(uint32_t *)&f->cfg[0x1c], 1);
}

/* A 64-bit BAR whose upper half takes address bits too: a 4 GiB BAR. */
static void test_bar64_large(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 2, 0, 0x10de, 0x1234, 3, 0, 0);
	bar_set(f, 0, 0x0000000c, 0x00000000);
	bar_set(f, 1, 0x00000004, 0xffffffff);
	one_root(256);
	pci_enum(t, &ops);
	assert_int_equal(t->devs[0].bar[0].size, 0x100000000ULL);
	assert_int_equal(t->devs[0].bar[0].base, 0x400000000ULL);
}

static void test_bars_all_ones(void **state)
{
	struct ffn *f;
	const struct pci_dev *d;

	(void)state;
	f = fn_add(0, 0, 2, 0, 0x1234, 0x0001, 2, 0, 0);
	for (unsigned i = 0; i < 6; i++)
		bar_set(f, i, 0xffffffff, 0);
	one_root(256);
	assert_int_equal(pci_enum(t, &ops), 1);
	d = &t->devs[0];
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(d->bar[i].type, PCI_BAR_NONE);
		assert_int_equal(d->bar[i].size, 0);
	}
	assert_int_equal(count_problems(PCI_PROB_BAR), 6);
	assert_int_equal(t->problems[0].where, 0x10);
	assert_int_equal(t->problems[0].value, 0xffffffff);
}

static void test_bars_nonsense(void **state)
{
	struct ffn *f;
	const struct pci_dev *d;

	(void)state;
	f = fn_add(0, 0, 2, 0, 0x1234, 0x0002, 2, 0, 0);
	bar_set(f, 0, 0, 0xff0f0000);		/* holes in the size mask */
	bar_set(f, 1, 0x6, 0xfffff000);		/* memory type 3: reserved */
	bar_set(f, 2, 0, 0xfffffff0);		/* fine: 16 bytes */
	bar_set(f, 5, 0x4, 0xfffff000);		/* 64-bit in the last slot */
	one_root(256);
	pci_enum(t, &ops);
	d = &t->devs[0];
	assert_int_equal(d->bar[0].type, PCI_BAR_NONE);
	assert_int_equal(d->bar[1].type, PCI_BAR_NONE);
	assert_int_equal(d->bar[2].type, PCI_BAR_MEM32);
	assert_int_equal(d->bar[2].size, 16);
	assert_int_equal(d->bar[5].type, PCI_BAR_NONE);
	assert_int_equal(count_problems(PCI_PROB_BAR), 2);
	assert_int_equal(count_problems(PCI_PROB_BAR64_LAST), 1);
}

/* The sizing helper on its own: slots taken, or which nonsense. */
static void test_bar_size_codes(void **state)
{
	struct ffn *f;
	struct pci_bar b;
	uint32_t bad;

	(void)state;
	f = fn_add(0, 0, 2, 0, 0x1234, 0x0003, 2, 0, 0);
	bar_set(f, 0, 0xc, 0xffffc000);
	bar_set(f, 1, 0, 0xffffffff);
	bar_set(f, 2, 0xfffffffe, 0);		/* reads back with type 3 */
	bar_set(f, 5, 0x4, 0xfffff000);
	assert_int_equal(pci_bar_size(&ops, 0, 0, 2 << 3, 0, 6, &b, &bad), 2);
	assert_int_equal(b.size, 16 * 1024);
	assert_int_equal(pci_bar_size(&ops, 0, 0, 2 << 3, 2, 6, &b, &bad), -PCI_PROB_BAR);
	assert_int_equal(bad, 0xfffffffe);
	assert_int_equal(b.type, PCI_BAR_NONE);
	assert_int_equal(pci_bar_size(&ops, 0, 0, 2 << 3, 5, 6, &b, &bad), -PCI_PROB_BAR64_LAST);
	assert_int_equal(pci_bar_size(&ops, 0, 0, 2 << 3, 3, 6, &b, &bad), 1);	/* unimplemented */
	assert_int_equal(b.size, 0);
}

/* Registers that read all-ones: an absent function is not listed; one
 * with IDs but an all-ones header is reported and skipped. */
static void test_all_ones_device(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 1, 0, 0x8086, 0x7777, 0, 0, 0);
	memset(f->cfg + 4, 0xff, sizeof(f->cfg) - 4);
	f = fn_add(0, 0, 2, 0, 0xffff, 0xffff, 0, 0, 0);
	memset(f->cfg, 0xff, sizeof(f->cfg));
	fn_add(0, 0, 3, 0, 0x8086, 0x1234, 2, 0, 0);
	one_root(4096);
	assert_int_equal(pci_enum(t, &ops), 1);
	assert_int_equal(t->ndevs, 1);
	assert_int_equal(t->devs[0].devfn, 3 << 3);
	assert_int_equal(count_problems(PCI_PROB_HEADER), 1);
	assert_int_equal(t->problems[0].devfn, 1 << 3);
	assert_int_equal(t->problems[0].value, 0xff);
}

static void test_caps_parsed(void **state)
{
	struct ffn *f;
	const struct pci_dev *d;

	(void)state;
	f = fn_add(0, 0, 4, 0, 0x1af4, 0x1041, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PM, 0x50);
	cap_set(f, 0x50, PCI_CAP_MSI, 0x68);
	put16(f, 0x52, 1u << 7 | 1u << 8 | 2u << 1);	/* 64-bit, maskable, 4 vectors */
	cap_set(f, 0x68, PCI_CAP_MSIX, 0x7b);		/* low pointer bits are masked */
	put16(f, 0x6a, 2);				/* 3 entries */
	put32(f, 0x6c, 0x00000001);			/* table BAR1+0 */
	put32(f, 0x70, 0x00000801);			/* PBA BAR1+0x800 */
	cap_set(f, 0x78, PCI_CAP_PCIE, 0);
	put16(f, 0x7a, 0x0002);				/* endpoint, version 2 */
	put32(f, 0x7c, 1u << 28);			/* FLR */
	ecap_set(f, 0x100, 0x0001, 0x148);
	ecap_set(f, 0x148, 0x000e, 0);
	one_root(4096);

	pci_enum(t, &ops);
	d = &t->devs[0];
	assert_int_equal(t->nproblems, 0);
	assert_int_equal(d->ncaps, 4);
	assert_int_equal(d->caps[0].id, PCI_CAP_PM);
	assert_int_equal(d->pm_off, 0x40);
	assert_int_equal(d->msi_off, 0x50);
	assert_true(d->msi_64bit);
	assert_true(d->msi_maskable);
	assert_int_equal(d->msi_vectors, 4);
	assert_int_equal(d->msix_off, 0x68);
	assert_int_equal(d->msix_size, 3);
	assert_int_equal(d->msix_table_bir, 1);
	assert_int_equal(d->msix_table_off, 0);
	assert_int_equal(d->msix_pba_bir, 1);
	assert_int_equal(d->msix_pba_off, 0x800);
	assert_int_equal(d->pcie_off, 0x78);
	assert_int_equal(d->pcie_type, 0);
	assert_true(d->flr);
	assert_int_equal(d->necaps, 2);
	assert_int_equal(d->ecaps[0].id, 1);
	assert_int_equal(d->ecaps[1].id, 0xe);
	assert_int_equal(d->ecaps[1].off, 0x148);
	assert_non_null(pci_find_ecap(d, 0xe));
	assert_null(pci_find_ecap(d, 0x10));
	assert_non_null(pci_find_cap(d, PCI_CAP_MSIX));
	assert_null(pci_find_cap(d, PCI_CAP_AF));
}

static void test_af_flr_and_no_flr(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 1, 0, 0x8086, 0x1, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_AF, 0);
	f->cfg[0x43] = 0x03;			/* TP and FLR */
	f = fn_add(0, 0, 2, 0, 0x8086, 0x2, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PCIE, 0);	/* DevCap without FLR */
	one_root(256);
	pci_enum(t, &ops);
	assert_true(dev_at(0, 1, 0)->flr);
	assert_false(dev_at(0, 2, 0)->flr);
	/* Through CF8/CFC there is no extended space to read. */
	assert_int_equal(dev_at(0, 2, 0)->cfg_size, 256);
}

static void test_cap_loop(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 1, 0, 0x8086, 0x1, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PM, 0x50);
	cap_set(f, 0x50, PCI_CAP_MSI, 0x40);
	f = fn_add(0, 0, 2, 0, 0x8086, 0x2, 2, 0, 0);
	cap_set(f, 0xfc, PCI_CAP_VENDOR, 0xfc);	/* points at itself */
	one_root(256);
	assert_int_equal(pci_enum(t, &ops), 2);
	assert_int_equal(dev_at(0, 1, 0)->ncaps, 2);
	assert_int_equal(dev_at(0, 2, 0)->ncaps, 1);
	assert_int_equal(count_problems(PCI_PROB_CAP_LOOP), 2);
	assert_int_equal(t->problems[0].where, 0x40);
}

static void test_cap_into_header(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 1, 0, 0x8086, 0x1, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PM, 0x10);
	f = fn_add(0, 0, 2, 0, 0x8086, 0x2, 2, 0, 0);
	f->cfg[6] = 0x10;
	f->cfg[0x34] = 0x3c;			/* the first pointer already */
	one_root(256);
	pci_enum(t, &ops);
	assert_int_equal(dev_at(0, 1, 0)->ncaps, 1);
	assert_int_equal(dev_at(0, 2, 0)->ncaps, 0);
	assert_int_equal(count_problems(PCI_PROB_CAP_PTR), 2);
}

/* Without the Capabilities List status bit the pointer is not followed. */
static void test_cap_status_bit(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 1, 0, 0x8086, 0x1, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PM, 0);
	f->cfg[6] = 0;
	one_root(256);
	pci_enum(t, &ops);
	assert_int_equal(t->devs[0].ncaps, 0);
}

static void test_ecap_loop_and_low_pointer(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 1, 0, 0x8086, 0x1, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PCIE, 0);
	ecap_set(f, 0x100, 0x0001, 0x180);
	ecap_set(f, 0x180, 0x000d, 0x100);
	f = fn_add(0, 0, 2, 0, 0x8086, 0x2, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PCIE, 0);
	ecap_set(f, 0x100, 0x0001, 0x040);
	f = fn_add(0, 0, 3, 0, 0x8086, 0x3, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PCIE, 0);
	memset(f->cfg + 0x100, 0xff, 0xf00);	/* no extended space */
	one_root(4096);
	pci_enum(t, &ops);
	assert_int_equal(dev_at(0, 1, 0)->necaps, 2);
	assert_int_equal(dev_at(0, 2, 0)->necaps, 1);
	assert_int_equal(dev_at(0, 3, 0)->necaps, 0);
	assert_int_equal(count_problems(PCI_PROB_ECAP_LOOP), 1);
	assert_int_equal(count_problems(PCI_PROB_ECAP_PTR), 1);
}

/* The same function through CF8/CFC (256 bytes): no extended caps. */
static void test_cf8_has_no_ecaps(void **state)
{
	struct ffn *f;

	(void)state;
	f = fn_add(0, 0, 1, 0, 0x8086, 0x1, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_PCIE, 0);
	ecap_set(f, 0x100, 0x0001, 0);
	one_root(256);
	pci_enum(t, &ops);
	assert_int_equal(t->devs[0].necaps, 0);
	assert_int_equal(t->devs[0].ncaps, 1);
	one_root(4096);
	pci_enum(t, &ops);
	assert_int_equal(t->devs[0].necaps, 1);
	assert_int_equal(t->devs[0].cfg_size, 4096);
}

static void test_segments(void **state)
{
	(void)state;
	fn_add(0, 0, 0, 0, 0x8086, 0x29c0, 6, 0, 0);
	fn_add(1, 0x80, 0, 0, 0x8086, 0x1, 2, 0, 0);
	fn_add(1, 0, 0, 0, 0x8086, 0x2, 2, 0, 0);	/* below segment 1's range */
	t->nroots = 2;
	t->roots[0] = (struct pci_root){ .seg = 0, .bus_start = 0, .bus_end = 0x7f,
					 .cfg_size = 4096, .ecam = true };
	t->roots[1] = (struct pci_root){ .seg = 1, .bus_start = 0x80, .bus_end = 0xff,
					 .cfg_size = 4096, .ecam = true };
	assert_int_equal(pci_enum(t, &ops), 2);
	assert_int_equal(t->devs[1].seg, 1);
	assert_int_equal(t->devs[1].bus, 0x80);
}

static void test_table_full(void **state)
{
	(void)state;
	flood = true;
	one_root(256);
	assert_int_equal(pci_enum(t, &ops), 512);
	assert_int_equal(t->ndevs, PCI_MAX_DEVS);
	assert_int_equal(t->dropped, 512 - PCI_MAX_DEVS);
	assert_int_equal(count_problems(PCI_PROB_FULL), 1);
	assert_int_equal(t->problems[0].bus, 1);	/* bus 1 is walked first */
	assert_int_equal(t->problems[0].devfn, 0xff);
}

static void test_report_text(void **state)
{
	struct ffn *f;
	struct sink_buf sb;
	static char buf[8192];

	(void)state;
	fn_add(0, 0, 0, 0, 0x8086, 0x29c0, 6, 0, 0);
	f = fn_add(0, 0, 2, 0, 0x8086, 0x100e, 2, 0, 0);
	bar_set(f, 0, 0xfe00000c, 0xffffc000);
	bar_set(f, 1, 0x00000000, 0xffffffff);
	bar_set(f, 2, 0x0000c001, 0xffffffc0);
	f->cfg[0x3d] = 1;
	f->cfg[0x3c] = 11;
	cap_set(f, 0x40, PCI_CAP_MSIX, 0x50);
	put16(f, 0x42, 2);
	put32(f, 0x44, 1);
	put32(f, 0x48, 0x801);
	cap_set(f, 0x50, PCI_CAP_PCIE, 0);
	put32(f, 0x54, 1u << 28);
	ecap_set(f, 0x100, 0x0001, 0);
	f = bridge_add(0, 3, 1, 1);
	f->cfg[0x1c] = 0xf0;			/* I/O closed: base above limit */
	put16(f, 0x20, 0xc000);
	put16(f, 0x22, 0xc010);
	put16(f, 0x24, 0xfff1);			/* prefetchable closed */
	f = fn_add(0, 1, 0, 0, 0x1af4, 0x1041, 2, 0, 0);
	cap_set(f, 0x40, PCI_CAP_VENDOR, 0x40);
	one_root(4096);
	pci_enum(t, &ops);
	assert_int_equal(pci_claim(&t->devs[0], 3, "web"), 0);

	sink_buf_init(&sb, buf, sizeof(buf));
	pci_tree_report(t, &sb.sink);
	pci_tree_summary(t, &sb.sink);
	assert_int_equal(sb.dropped, 0);
	assert_non_null(strstr(buf, "seg:bus:dv.f ven:dev   class                          owner\n"));
	assert_non_null(strstr(buf, "0000:00:00.0 8086:29c0 Host bridge                    partition web\n"));
	assert_non_null(strstr(buf, "0000:00:02.0 8086:100e Ethernet controller"));
	assert_non_null(strstr(buf, "BAR0 mem64 pref 0xfe000000 16K\n"));
	assert_non_null(strstr(buf, "BAR2 io 0xc000 64\n"));
	assert_non_null(strstr(buf, "irq INTA# line 11"));
	assert_non_null(strstr(buf, "MSI-X(3 table BAR1+0x0 pba BAR1+0x800)"));
	assert_non_null(strstr(buf, "PCIe(endpoint) FLR\n"));
	assert_non_null(strstr(buf, "ext: AER\n"));
	assert_non_null(strstr(buf, "PCI bridge"));
	assert_non_null(strstr(buf, "    buses 01-01  io closed  mem 0xc0000000-0xc01fffff  pref closed\n"));
	assert_non_null(strstr(buf, "  0000:01:00.0 1af4:1041"));	/* indented below */
	assert_non_null(strstr(buf, "web\n"));
	assert_non_null(strstr(buf, "free\n"));
	assert_non_null(strstr(buf, "capability list loops back at 0x40"));
	assert_non_null(strstr(buf, "pci: 4 function(s) on 2 bus(es) of 1 segment(s) through ECAM"
				    ", 1 problem(s)"));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pci_class_name(2, 0), "Ethernet controller");
	assert_string_equal(pci_class_name(2, 0x80), "Network controller");
	assert_string_equal(pci_class_name(6, 4), "PCI bridge");
	assert_string_equal(pci_class_name(0x40, 0), "Unknown class");
	assert_string_equal(pci_cap_name(PCI_CAP_MSI), "MSI");
	assert_string_equal(pci_cap_name(0xee), "unknown");
	assert_string_equal(pci_ecap_name(0x10), "SR-IOV");
	assert_string_equal(pci_ecap_name(0xffff), "unknown");
}

/* Ownership: free -> one partition -> free; the hypervisor's stays. */
static void test_owner(void **state)
{
	struct pci_tree *tr = calloc(1, sizeof(*tr));
	char buf[128];
	struct sink_buf sb;

	(void)state;
	tr->ndevs = 3;
	tr->devs[0] = (struct pci_dev){ .bus = 0, .devfn = 0x10, .parent = -1 };
	tr->devs[1] = (struct pci_dev){ .bus = 3, .devfn = 0x00, .parent = -1 };
	tr->devs[2] = (struct pci_dev){ .seg = 1, .bus = 3, .devfn = 0x00, .parent = -1 };
	assert_ptr_equal(pci_tree_find(tr, 0, 3, 0), &tr->devs[1]);
	assert_ptr_equal(pci_tree_find(tr, 1, 3, 0), &tr->devs[2]);
	assert_null(pci_tree_find(tr, 0, 3, 1));
	assert_int_equal(tr->devs[1].owner, PCI_OWNER_FREE);

	assert_int_equal(pci_claim(&tr->devs[1], 2, "web"), 0);
	assert_int_equal(pci_claim(&tr->devs[1], 5, "db"), -EBUSY);
	assert_int_equal(pci_claim(&tr->devs[1], 2, "web"), -EBUSY);
	pci_release(&tr->devs[1], 5);		/* not db's: stays web's */
	assert_int_equal(tr->devs[1].owner, PCI_OWNER_PART);
	assert_int_equal(tr->devs[1].owner_id, 2);
	sink_buf_init(&sb, buf, sizeof(buf));
	pci_owner_text(&tr->devs[1], &sb.sink);
	assert_string_equal(buf, "partition web");
	pci_release(&tr->devs[1], 2);
	assert_int_equal(tr->devs[1].owner, PCI_OWNER_FREE);
	assert_int_equal(pci_claim(&tr->devs[1], 5, "db"), 0);

	pci_set_hypervisor(&tr->devs[0], "the serial console, and a very long reason");
	assert_int_equal(pci_claim(&tr->devs[0], 1, "x"), -EBUSY);
	pci_release(&tr->devs[0], -1);
	assert_int_equal(tr->devs[0].owner, PCI_OWNER_HV);
	sink_buf_init(&sb, buf, sizeof(buf));
	pci_owner_text(&tr->devs[0], &sb.sink);
	assert_string_equal(buf, "hypervisor (the serial console, and a very )");
	sink_buf_init(&sb, buf, sizeof(buf));
	pci_owner_text(&tr->devs[2], &sb.sink);
	assert_string_equal(buf, "free");
	free(tr);
}

/* Requester IDs through bridges: PCIe ports pass them, a PCIe-to-PCI
 * bridge makes them (secondary bus, 00.0), a conventional bridge its
 * own; the topmost rewriting bridge wins; a broken parent chain ends. */
static void test_dma_rid(void **state)
{
	struct pci_tree *tr = calloc(1, sizeof(*tr));

	(void)state;
	tr->ndevs = 9;
	/* 0: root port 00:1c.0 -> bus 1; 1: endpoint 01:00.0 */
	tr->devs[0] = (struct pci_dev){ .bus = 0, .devfn = 0xe0, .parent = -1, .hdr_type = 1,
					.sec_bus = 1, .pcie_off = 0x40, .pcie_type = 4 };
	tr->devs[1] = (struct pci_dev){ .bus = 1, .devfn = 0x00, .parent = 0, .pcie_off = 0x40 };
	/* 2: root port 00:1d.0 -> bus 2; 3: PCIe-to-PCI bridge 02:00.0 -> bus 3;
	 * 4, 5: conventional 03:01.0 and 03:02.1 */
	tr->devs[2] = (struct pci_dev){ .bus = 0, .devfn = 0xe8, .parent = -1, .hdr_type = 1,
					.sec_bus = 2, .pcie_off = 0x40, .pcie_type = 4 };
	tr->devs[3] = (struct pci_dev){ .bus = 2, .devfn = 0x00, .parent = 2, .hdr_type = 1,
					.sec_bus = 3, .pcie_off = 0x40, .pcie_type = 7 };
	tr->devs[4] = (struct pci_dev){ .bus = 3, .devfn = 0x08, .parent = 3 };
	tr->devs[5] = (struct pci_dev){ .bus = 3, .devfn = 0x11, .parent = 3 };
	/* 6: conventional bridge 03:04.0 -> bus 4 below it; 7: 04:00.0 */
	tr->devs[6] = (struct pci_dev){ .bus = 3, .devfn = 0x20, .parent = 3, .hdr_type = 1,
					.sec_bus = 4 };
	tr->devs[7] = (struct pci_dev){ .bus = 4, .devfn = 0x00, .parent = 6 };
	/* 8: a parent index past the table (a corrupt tree) */
	tr->devs[8] = (struct pci_dev){ .bus = 9, .devfn = 0x00, .parent = 200 };

	assert_int_equal(pci_dma_rid(tr, &tr->devs[1]), 0x0100);
	assert_int_equal(pci_dma_rid(tr, &tr->devs[0]), 0x00e0);
	assert_int_equal(pci_dma_rid(tr, &tr->devs[3]), 0x0200);
	assert_int_equal(pci_dma_rid(tr, &tr->devs[4]), 0x0300);
	assert_int_equal(pci_dma_rid(tr, &tr->devs[5]), 0x0300);
	assert_int_equal(pci_dma_rid(tr, &tr->devs[6]), 0x0300);
	assert_int_equal(pci_dma_rid(tr, &tr->devs[7]), 0x0300);
	assert_int_equal(pci_dma_rid(tr, &tr->devs[8]), 0x0900);
	/* a parent loop ends after PCI_MAX_DEPTH hops */
	tr->devs[0].parent = 1;
	tr->devs[1].parent = 0;
	(void)pci_dma_rid(tr, &tr->devs[1]);
	free(tr);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_bridges_depth_first),
		T(test_owner),
		T(test_dma_rid),
		T(test_bridge_bad_secondary),
		T(test_bridge_loop),
		T(test_multifunction),
		T(test_bars_every_kind),
		T(test_bar64_large),
		T(test_bars_all_ones),
		T(test_bars_nonsense),
		T(test_bar_size_codes),
		T(test_all_ones_device),
		T(test_caps_parsed),
		T(test_af_flr_and_no_flr),
		T(test_cap_loop),
		T(test_cap_into_header),
		T(test_cap_status_bit),
		T(test_ecap_loop_and_low_pointer),
		T(test_cf8_has_no_ecaps),
		T(test_segments),
		T(test_table_full),
		T(test_report_text),
		T(test_names),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
