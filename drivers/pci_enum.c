/* PCI enumeration over any configuration space (drivers/pci.h). Pure:
 * configuration space is reached only through struct pci_cfg_ops.
 *
 * Configuration space is untrusted input: every pointer chain is bounded
 * by a bitmap of the offsets already visited, so a loop or a pointer into
 * the header ends the walk with a recorded problem. */
#include "drivers/pci.h"

/* Type 0/1 header registers (PCI Local Bus 3.0, 6.1; PCI-to-PCI Bridge
 * 1.2, 3.2). */
enum {
	REG_VENDOR = 0x00, REG_DEVICE = 0x02, REG_COMMAND = 0x04, REG_STATUS = 0x06,
	REG_REVISION = 0x08, REG_PROGIF = 0x09, REG_SUBCLASS = 0x0a, REG_CLASS = 0x0b,
	REG_HEADER = 0x0e, REG_BAR0 = 0x10, REG_CARDBUS_CAP = 0x14,
	REG_SEC_BUS = 0x19, REG_SUB_BUS = 0x1a, REG_IO_BASE = 0x1c, REG_IO_LIMIT = 0x1d,
	REG_MEM_BASE = 0x20, REG_MEM_LIMIT = 0x22, REG_PREF_BASE = 0x24, REG_PREF_LIMIT = 0x26,
	REG_PREF_BASE_HI = 0x28, REG_PREF_LIMIT_HI = 0x2c, REG_IO_BASE_HI = 0x30,
	REG_IO_LIMIT_HI = 0x32, REG_CAP_PTR = 0x34,
	REG_IRQ_LINE = 0x3c, REG_IRQ_PIN = 0x3d,
};
#define CMD_DECODE 0x3u		/* I/O Space and Memory Space enables */
#define STATUS_CAP_LIST 0x10u
#define HDR_MULTI 0x80u
#define CFG_HDR_END 0x40	/* capabilities live above the header */
#define ECAP_START 0x100	/* PCIe Base 4.0, 7.6.2 */

/* One function's address and the ops that reach it. */
struct fn {
	const struct pci_cfg_ops *ops;
	uint16_t seg;
	uint8_t bus, devfn;
};

static uint32_t rd(const struct fn *f, uint16_t reg, unsigned w)
{
	return f->ops->read(f->ops->ctx, f->seg, f->bus, f->devfn, reg, w);
}

static void wr(const struct fn *f, uint16_t reg, unsigned w, uint32_t v)
{
	f->ops->write(f->ops->ctx, f->seg, f->bus, f->devfn, reg, w, v);
}

static void problem(struct pci_tree *t, const struct fn *f, enum pci_problem_kind k,
		    uint16_t where, uint32_t value)
{
	struct pci_problem *p;

	if (t->nproblems >= PCI_MAX_PROBLEMS) {
		t->problems_dropped++;
		return;
	}
	p = &t->problems[t->nproblems++];
	p->seg = f->seg;
	p->bus = f->bus;
	p->devfn = f->devfn;
	p->kind = (uint8_t)k;
	p->where = where;
	p->value = value;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* PCI Local Bus 3.0, 6.2.5.1: write all-ones, read back the mask of
 * writable address bits, restore. The size is the lowest writable bit. */
static uint32_t bar_probe(const struct fn *f, uint16_t reg, uint32_t *orig)
{
	uint32_t m;

	*orig = rd(f, reg, 4);
	wr(f, reg, 4, 0xffffffff);
	m = rd(f, reg, 4);
	wr(f, reg, 4, *orig);
	return m;
}

int pci_bar_size(const struct pci_cfg_ops *ops, uint16_t seg, uint8_t bus, uint8_t devfn,
		 unsigned i, unsigned nbars, struct pci_bar *b, uint32_t *bad)
{
	const struct fn f = { ops, seg, bus, devfn };
	uint16_t reg = (uint16_t)(REG_BAR0 + 4 * i);
	uint32_t lo, m, hi, mh;
	uint64_t mask;

	*b = (struct pci_bar){ 0 };
	m = bar_probe(&f, reg, &lo);
	*bad = m;
	if (!m)
		return 1;	/* not implemented */
	if ((m & 1) != (lo & 1))
		return -PCI_PROB_BAR;	/* the space bit is read-only */
	if (m & 1) {
		/* I/O: bit 1 reserved; a 16-bit decoder reads 0 above bit 15. */
		if (m & 2)
			return -PCI_PROB_BAR;
		mask = 0xffffffff00000000ULL | (m & ~3u);
		if (!(m >> 16))
			mask |= 0xffff0000u;
		b->size = ~mask + 1;
		if (!pow2(b->size) || b->size > 0x10000) {
			b->size = 0;
			return -PCI_PROB_BAR;
		}
		b->type = PCI_BAR_IO;
		b->base = lo & ~3u;
		return 1;
	}
	if ((m & 0xf) != (lo & 0xf))
		return -PCI_PROB_BAR;	/* type and prefetchable bits are read-only */
	b->prefetch = m & 8;
	switch ((m >> 1) & 3) {
	case 0:		/* anywhere in 32 bits */
	case 1:		/* below 1 MiB (PCI 2.x) */
		mask = 0xffffffff00000000ULL | (m & ~0xfu);
		b->size = ~mask + 1;
		if (!pow2(b->size) || b->size > 0x80000000u) {
			b->size = 0;
			b->prefetch = false;
			return -PCI_PROB_BAR;
		}
		b->type = PCI_BAR_MEM32;
		b->base = lo & ~0xfu;
		return 1;
	case 2:
		if (i + 1 >= nbars) {
			b->prefetch = false;
			return -PCI_PROB_BAR64_LAST;
		}
		mh = bar_probe(&f, (uint16_t)(reg + 4), &hi);
		mask = ((uint64_t)mh << 32) | (m & ~0xfu);
		b->size = ~mask + 1;
		if (!pow2(b->size)) {
			b->size = 0;
			b->prefetch = false;
			*bad = mh;
			return -PCI_PROB_BAR;
		}
		b->type = PCI_BAR_MEM64;
		b->base = ((uint64_t)hi << 32) | (lo & ~0xfu);
		return 2;
	default:	/* type 3 is reserved */
		b->prefetch = false;
		return -PCI_PROB_BAR;
	}
}

static void dev_bars(struct pci_tree *t, const struct fn *f, struct pci_dev *d)
{
	uint16_t cmd = (uint16_t)rd(f, REG_COMMAND, 2);
	uint32_t bad;

	/* Sizing moves the BAR's address for a moment: with decode on, the
	 * device would answer there (PCI Local Bus 3.0, 6.2.5.1). */
	if (cmd & CMD_DECODE)
		wr(f, REG_COMMAND, 2, cmd & ~CMD_DECODE);
	for (unsigned i = 0; i < d->nbars;) {
		int n = pci_bar_size(f->ops, f->seg, f->bus, f->devfn, i, d->nbars, &d->bar[i],
				     &bad);
		if (n < 0) {
			problem(t, f, (enum pci_problem_kind)-n, (uint16_t)(REG_BAR0 + 4 * i), bad);
			n = 1;
		}
		i += (unsigned)n;
	}
	if (cmd & CMD_DECODE)
		wr(f, REG_COMMAND, 2, cmd);
}

/* Marks the dword at off in a visited bitmap; true when it was already. */
static bool seen_before(uint8_t *seen, uint16_t off)
{
	uint8_t bit = (uint8_t)(1u << (off / 4 % 8));
	bool was = seen[off / 32] & bit;

	seen[off / 32] |= bit;
	return was;
}

static void cap_parse(const struct fn *f, struct pci_dev *d, uint8_t id, uint16_t off)
{
	uint32_t v;

	switch (id) {
	case PCI_CAP_PM:
		d->pm_off = off;
		break;
	case PCI_CAP_MSI:	/* PCI Local Bus 3.0, 6.8.1.3 Message Control */
		v = rd(f, (uint16_t)(off + 2), 2);
		d->msi_off = off;
		d->msi_64bit = v & (1u << 7);
		d->msi_maskable = v & (1u << 8);
		d->msi_vectors = (uint8_t)(1u << (((v >> 1) & 7) > 5 ? 5 : (v >> 1) & 7));
		break;
	case PCI_CAP_MSIX:	/* 6.8.2.3-5: Message Control, Table, PBA */
		d->msix_off = off;
		d->msix_size = (uint16_t)((rd(f, (uint16_t)(off + 2), 2) & 0x7ff) + 1);
		v = rd(f, (uint16_t)(off + 4), 4);
		d->msix_table_bir = v & 7;
		d->msix_table_off = v & ~7u;
		v = rd(f, (uint16_t)(off + 8), 4);
		d->msix_pba_bir = v & 7;
		d->msix_pba_off = v & ~7u;
		break;
	case PCI_CAP_PCIE:	/* PCIe Base 4.0, 7.5.3.2 and 7.5.3.3 */
		d->pcie_off = off;
		d->pcie_type = (rd(f, (uint16_t)(off + 2), 2) >> 4) & 0xf;
		if (rd(f, (uint16_t)(off + 4), 4) & (1u << 28))
			d->flr = true;
		break;
	case PCI_CAP_AF:	/* Advanced Features ECN: AF Capabilities bit 1 */
		if (rd(f, (uint16_t)(off + 3), 1) & 2)
			d->flr = true;
		break;
	}
}

/* PCI Local Bus 3.0, 6.7: the list starts at 34h (14h on a CardBus
 * bridge); the bottom two bits of every pointer are reserved. */
static void dev_caps(struct pci_tree *t, const struct fn *f, struct pci_dev *d)
{
	uint8_t seen[256 / 4 / 8] = { 0 };
	uint16_t ptr;

	if (!(rd(f, REG_STATUS, 2) & STATUS_CAP_LIST))
		return;
	ptr = rd(f, d->hdr_type == 2 ? REG_CARDBUS_CAP : REG_CAP_PTR, 1) & 0xfc;
	while (ptr) {
		uint16_t hdr;

		if (ptr < CFG_HDR_END) {
			problem(t, f, PCI_PROB_CAP_PTR, ptr, ptr);
			return;
		}
		if (seen_before(seen, ptr)) {
			problem(t, f, PCI_PROB_CAP_LOOP, ptr, ptr);
			return;
		}
		hdr = (uint16_t)rd(f, ptr, 2);
		if (d->ncaps >= PCI_MAX_CAPS) {
			problem(t, f, PCI_PROB_CAP_MANY, ptr, hdr & 0xff);
			return;
		}
		d->caps[d->ncaps++] = (struct pci_cap){ hdr & 0xff, ptr };
		cap_parse(f, d, hdr & 0xff, ptr);
		ptr = (hdr >> 8) & 0xfc;
	}
}

/* PCIe Base 4.0, 7.6.3: a header dword of ID, version and next offset
 * (bits 31:20), starting at 100h; 0 there means none. */
static void dev_ecaps(struct pci_tree *t, const struct fn *f, struct pci_dev *d)
{
	uint8_t seen[4096 / 4 / 8] = { 0 };
	uint16_t off = ECAP_START;

	if (d->cfg_size < 4096 || !d->pcie_off)
		return;
	while (off) {
		uint32_t hdr;

		if (off < ECAP_START) {
			problem(t, f, PCI_PROB_ECAP_PTR, off, off);
			return;
		}
		if (seen_before(seen, off)) {
			problem(t, f, PCI_PROB_ECAP_LOOP, off, off);
			return;
		}
		hdr = rd(f, off, 4);
		if (!hdr || hdr == 0xffffffff)
			return;
		if (hdr & 0xffff) {
			if (d->necaps >= PCI_MAX_ECAPS) {
				problem(t, f, PCI_PROB_CAP_MANY, off, hdr & 0xffff);
				return;
			}
			d->ecaps[d->necaps++] = (struct pci_cap){ (uint16_t)(hdr & 0xffff), off };
		}
		off = (uint16_t)((hdr >> 20) & 0xffc);
	}
}

/* PCI-to-PCI Bridge 1.2, 3.2.5.6-3.2.5.9: the I/O window in 4 KiB units
 * (32-bit when the low nibble says 1), the memory window in 1 MiB units,
 * the prefetchable one 64-bit when its low nibble says 1. */
static void bridge_windows(const struct fn *f, struct pci_dev *d)
{
	uint32_t b = rd(f, REG_IO_BASE, 1), l = rd(f, REG_IO_LIMIT, 1);

	d->io_base = (b & 0xf0) << 8;
	d->io_limit = (l & 0xf0) << 8 | 0xfff;
	if ((b & 0xf) == 1) {
		d->io_base |= rd(f, REG_IO_BASE_HI, 2) << 16;
		d->io_limit |= rd(f, REG_IO_LIMIT_HI, 2) << 16;
	}
	d->mem_base = (rd(f, REG_MEM_BASE, 2) & 0xfff0) << 16;
	d->mem_limit = (rd(f, REG_MEM_LIMIT, 2) & 0xfff0) << 16 | 0xfffff;
	b = rd(f, REG_PREF_BASE, 2);
	l = rd(f, REG_PREF_LIMIT, 2);
	d->pref_base = (uint64_t)(b & 0xfff0) << 16;
	d->pref_limit = (uint64_t)(l & 0xfff0) << 16 | 0xfffff;
	if ((b & 0xf) == 1) {
		d->pref_base |= (uint64_t)rd(f, REG_PREF_BASE_HI, 4) << 32;
		d->pref_limit |= (uint64_t)rd(f, REG_PREF_LIMIT_HI, 4) << 32;
	}
}

struct walk {
	struct pci_tree *t;
	const struct pci_cfg_ops *ops;
	const struct pci_root *root;
	uint8_t seen_bus[256 / 8];
	unsigned found;
};

static void walk_bus(struct walk *w, uint8_t bus, unsigned depth, int parent);

/* A bridge's secondary bus, when it is one this root may use and not
 * walked yet. */
static void walk_bridge(struct walk *w, const struct fn *f, unsigned depth, int self)
{
	uint8_t sec = (uint8_t)rd(f, REG_SEC_BUS, 1);

	if (sec <= f->bus || sec < w->root->bus_start || sec > w->root->bus_end ||
	    (w->seen_bus[sec / 8] & (1u << (sec % 8)))) {
		problem(w->t, f, PCI_PROB_BRIDGE_BUS, REG_SEC_BUS, sec);
		return;
	}
	if (depth + 1 > PCI_MAX_DEPTH) {
		problem(w->t, f, PCI_PROB_DEPTH, REG_SEC_BUS, sec);
		return;
	}
	walk_bus(w, sec, depth + 1, self);
}

static void walk_fn(struct walk *w, const struct fn *f, uint8_t hdr, unsigned depth,
		    int parent)
{
	struct pci_tree *t = w->t;
	struct pci_dev *d;
	int self = -1;
	uint8_t type = hdr & 0x7f;

	if (type > 2) {
		problem(t, f, PCI_PROB_HEADER, REG_HEADER, hdr);
		return;
	}
	w->found++;
	if (t->ndevs >= PCI_MAX_DEVS) {
		if (!t->dropped++)
			problem(t, f, PCI_PROB_FULL, 0, PCI_MAX_DEVS);
	} else {
		self = (int)t->ndevs;
		d = &t->devs[t->ndevs++];
		*d = (struct pci_dev){ 0 };
		d->seg = f->seg;
		d->bus = f->bus;
		d->devfn = f->devfn;
		d->vendor = (uint16_t)rd(f, REG_VENDOR, 2);
		d->device = (uint16_t)rd(f, REG_DEVICE, 2);
		d->revision = (uint8_t)rd(f, REG_REVISION, 1);
		d->progif = (uint8_t)rd(f, REG_PROGIF, 1);
		d->subclass = (uint8_t)rd(f, REG_SUBCLASS, 1);
		d->class = (uint8_t)rd(f, REG_CLASS, 1);
		d->hdr_type = type;
		d->multifunction = hdr & HDR_MULTI;
		d->irq_line = (uint8_t)rd(f, REG_IRQ_LINE, 1);
		d->irq_pin = (uint8_t)rd(f, REG_IRQ_PIN, 1);
		d->depth = (uint8_t)depth;
		d->parent = (int16_t)parent;
		d->cfg_size = w->root->cfg_size;
		d->nbars = type == 0 ? 6 : type == 1 ? 2 : 1;
		if (type) {
			d->sec_bus = (uint8_t)rd(f, REG_SEC_BUS, 1);
			d->sub_bus = (uint8_t)rd(f, REG_SUB_BUS, 1);
		}
		if (type == 1)
			bridge_windows(f, d);
		dev_bars(t, f, d);
		dev_caps(t, f, d);
		dev_ecaps(t, f, d);
	}
	if (type)
		walk_bridge(w, f, depth, self);
}

static void walk_bus(struct walk *w, uint8_t bus, unsigned depth, int parent)
{
	w->seen_bus[bus / 8] |= (uint8_t)(1u << (bus % 8));
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fnum = 0; fnum < 8; fnum++) {
			struct fn f = { w->ops, w->root->seg, bus, (uint8_t)(dev << 3 | fnum) };
			uint16_t vid = (uint16_t)rd(&f, REG_VENDOR, 2);
			uint8_t hdr;

			if (vid == 0xffff || vid == 0) {
				if (!fnum)
					break;	/* no function 0: no device */
				continue;
			}
			hdr = (uint8_t)rd(&f, REG_HEADER, 1);
			walk_fn(w, &f, hdr, depth, parent);
			/* Single-function devices may answer on every function. */
			if (!fnum && !(hdr & HDR_MULTI))
				break;
		}
}

unsigned pci_enum(struct pci_tree *t, const struct pci_cfg_ops *ops)
{
	unsigned found = 0;

	t->ndevs = 0;
	t->dropped = 0;
	t->nproblems = 0;
	t->problems_dropped = 0;
	for (unsigned r = 0; r < t->nroots && r < PCI_MAX_ROOTS; r++) {
		struct walk w = { .t = t, .ops = ops, .root = &t->roots[r] };

		if (w.root->bus_start > w.root->bus_end)
			continue;
		walk_bus(&w, w.root->bus_start, 0, -1);
		found += w.found;
	}
	return found;
}

const struct pci_cap *pci_find_cap(const struct pci_dev *d, uint16_t id)
{
	for (unsigned i = 0; i < d->ncaps; i++)
		if (d->caps[i].id == id)
			return &d->caps[i];
	return 0;
}

const struct pci_cap *pci_find_ecap(const struct pci_dev *d, uint16_t id)
{
	for (unsigned i = 0; i < d->necaps; i++)
		if (d->ecaps[i].id == id)
			return &d->ecaps[i];
	return 0;
}
