/* The virtio 1.x PCI transport. See vmm/dev/virtio_pci.h. */
#include "vmm/dev/virtio_pci.h"
#include "lib/string.h"
#include "lib/errno.h"

/* Vendor capability types (4.1.4). */
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4
#define CAP_PCI_CFG	5

/* The PCI configuration access capability's fields, from the capability
 * start (4.1.4.9): bar at +4, offset at +8, length at +12, data at +16. */
#define CFGCAP_BAR	4
#define CFGCAP_OFF	8
#define CFGCAP_LEN	12
#define CFGCAP_DATA	16

/* MSI-X capability (PCI Local Bus 3.0, 6.8.2): Message Control at +2
 * (10:0 table size - 1, 14 Function Mask, 15 Enable), Table and PBA
 * offset/BIR at +4 and +8. */
#define MSIX_CTL	2
#define MSIX_ENABLE	(1u << 15)
#define MSIX_FMASK	(1u << 14)

static const uint64_t transport_features =
	VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX;

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint16_t le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static void put_le(uint8_t *b, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

bool virtio_live(const struct virtio_dev *d)
{
	return (d->status & VIRTIO_STATUS_DRIVER_OK) && !(d->status & VIRTIO_STATUS_NEEDS_RESET);
}

bool virtio_has(const struct virtio_dev *d, uint64_t f)
{
	return (d->driver_features & f) == f;
}

const char *virtio_state(const struct virtio_dev *d)
{
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return "needs reset";
	if (d->status & VIRTIO_STATUS_FAILED)
		return "failed";
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		return "live";
	return d->status ? "negotiating" : "reset";
}

static uint16_t msix_ctl(const struct virtio_dev *d)
{
	return le16(&d->pci->cfg[d->msix_cap + MSIX_CTL]);
}

static bool msix_on(const struct virtio_dev *d)
{
	return msix_ctl(d) & MSIX_ENABLE;
}

/* The INTx line follows the ISR bits, unless the Command register's
 * Interrupt Disable bit holds it low (PCI Local Bus 3.0, 6.2.2). */
static void intx_sync(struct virtio_dev *d)
{
	bool dis = d->pci->cfg[VPCI_COMMAND + 1] & (VPCI_CMD_INTX_DISABLE >> 8);
	bool level = d->isr && !dis && !msix_on(d);

	if (level != d->intx && d->env->irq_line)
		d->env->irq_line(d->env->ctx, d->intx_gsi, level);
	d->intx = level;
}

/* Sends MSI-X vector v, or records it pending while it is masked. */
static void msix_send(struct virtio_dev *d, unsigned v)
{
	if (v >= VIRTIO_MSIX_VECTORS)
		return;
	if ((msix_ctl(d) & MSIX_FMASK) || (d->msix[v].ctrl & 1)) {
		d->pba |= 1u << v;
		return;
	}
	d->pba &= ~(1u << v);
	d->interrupts++;
	if (d->env->msi)
		d->env->msi(d->env->ctx, d->msix[v].addr, d->msix[v].data);
}

/* Pending vectors go out once unmasked (6.8.2.9). */
static void msix_flush(struct virtio_dev *d)
{
	for (unsigned v = 0; v < VIRTIO_MSIX_VECTORS; v++)
		if (d->pba & (1u << v))
			msix_send(d, v);
}

static void interrupt(struct virtio_dev *d, uint16_t vector, uint8_t isr_bit)
{
	if (msix_on(d)) {
		if (vector != VIRTIO_NO_VECTOR)
			msix_send(d, vector);
		return;
	}
	d->isr |= isr_bit;
	d->interrupts++;
	intx_sync(d);
}

void virtio_used(struct virtio_dev *d, unsigned q)
{
	if (q < d->ops->nqueues && virtq_should_signal(&d->q[q].vq))
		interrupt(d, d->q[q].msix, 1);
}

void virtio_config_changed(struct virtio_dev *d)
{
	d->generation++;
	interrupt(d, d->config_msix, 2);
}

void virtio_needs_reset(struct virtio_dev *d, int q, const char *why)
{
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->needs_resets++;
	if (d->log)
		d->log(d, q, why);
	/* 2.1.2: the device SHOULD send a configuration change notification. */
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_config_changed(d);
}

static void dev_reset(struct virtio_dev *d)
{
	d->status = 0;
	d->driver_features = 0;
	d->dfselect = d->gfselect = 0;
	d->qsel = 0;
	d->config_msix = VIRTIO_NO_VECTOR;
	d->isr = 0;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		struct virtio_queue *q = &d->q[i];

		memset(q, 0, sizeof(*q));
		q->size = i < d->ops->nqueues ? VIRTIO_QUEUE_SIZE : 0;
		q->msix = VIRTIO_NO_VECTOR;
	}
	d->resets++;
	if (d->pci)
		intx_sync(d);
	if (d->ops->reset)
		d->ops->reset(d);
}

/* ---- common configuration (4.1.4.3) ---- */

static void common_snapshot(const struct virtio_dev *d, uint8_t *s)
{
	const struct virtio_queue *q = d->qsel < d->ops->nqueues ? &d->q[d->qsel] : NULL;

	memset(s, 0, VIRTIO_COMMON_SIZE);
	put_le(s + 0x00, d->dfselect, 4);
	put_le(s + 0x04, d->dfselect < 2 ? (uint32_t)(d->features >> (32 * d->dfselect)) : 0, 4);
	put_le(s + 0x08, d->gfselect, 4);
	put_le(s + 0x0c, d->gfselect < 2 ? (uint32_t)(d->driver_features >> (32 * d->gfselect)) : 0, 4);
	put_le(s + 0x10, d->config_msix, 2);
	put_le(s + 0x12, d->ops->nqueues, 2);
	s[0x14] = d->status;
	s[0x15] = d->generation;
	put_le(s + 0x16, d->qsel, 2);
	if (!q)
		return;   /* a queue that is not there reads size 0 (4.1.4.3.2) */
	put_le(s + 0x18, q->size, 2);
	put_le(s + 0x1a, q->msix, 2);
	put_le(s + 0x1c, q->enabled, 2);
	put_le(s + 0x1e, d->qsel, 2);      /* queue_notify_off: the queue's own doorbell */
	put_le(s + 0x20, q->desc, 8);
	put_le(s + 0x28, q->avail, 8);
	put_le(s + 0x30, q->used, 8);
}

/* The driver writes FEATURES_OK: accepted only for features we offered,
 * VERSION_1 among them (2.2.2, 6.1); otherwise the bit stays clear and
 * the driver, reading it back, gives up. */
static void status_write(struct virtio_dev *d, uint8_t v)
{
	if (!v) {
		dev_reset(d);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((d->driver_features & ~d->features) || !(d->driver_features & VIRTIO_F_VERSION_1)))
		v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	/* DRIVER_OK without FEATURES_OK is a driver bug: not live. */
	if (!(v & VIRTIO_STATUS_FEATURES_OK))
		v &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
	d->status = (uint8_t)((v & ~VIRTIO_STATUS_NEEDS_RESET) |
			      (d->status & VIRTIO_STATUS_NEEDS_RESET));
}

static void queue_enable(struct virtio_dev *d, struct virtio_queue *q, unsigned idx)
{
	if (q->enabled)
		return;
	q->enabled = true;
	if (virtq_start(&q->vq, d->env, d->ram_size, q->size, q->desc, q->avail, q->used,
			virtio_has(d, VIRTIO_F_EVENT_IDX)))
		virtio_needs_reset(d, (int)idx, q->vq.why);
}

/* A vector the table does not have reads back as NO_VECTOR: how the
 * driver learns it was refused (4.1.5.1.2). */
static uint16_t vector_ok(uint16_t v)
{
	return v < VIRTIO_MSIX_VECTORS ? v : VIRTIO_NO_VECTOR;
}

static void common_write(struct virtio_dev *d, unsigned off, unsigned size, uint64_t val)
{
	uint8_t s[VIRTIO_COMMON_SIZE];
	struct virtio_queue *q;
	bool features_open = !(d->status & VIRTIO_STATUS_FEATURES_OK);

	if (off + size > VIRTIO_COMMON_SIZE)
		return;
	common_snapshot(d, s);
	put_le(s + off, val, size);
#define TOUCHES(a, n) (off < (a) + (n) && off + size > (a))
	if (TOUCHES(0x00, 4))
		d->dfselect = le32(s);
	if (TOUCHES(0x08, 4))
		d->gfselect = le32(s + 0x08);
	if (TOUCHES(0x0c, 4) && d->gfselect < 2 && features_open) {
		uint64_t m = 0xffffffffull << (32 * d->gfselect);

		d->driver_features = (d->driver_features & ~m) |
				     ((uint64_t)le32(s + 0x0c) << (32 * d->gfselect));
	}
	if (TOUCHES(0x10, 2))
		d->config_msix = vector_ok(le16(s + 0x10));
	if (TOUCHES(0x14, 1))
		status_write(d, s[0x14]);
	if (TOUCHES(0x16, 2)) {
		d->qsel = le16(s + 0x16);
		return;
	}
	q = d->qsel < d->ops->nqueues ? &d->q[d->qsel] : NULL;
	if (!q)
		return;
	/* Queue fields are the driver's until it enables the queue (4.1.4.3.2). */
	if (!q->enabled) {
		/* A smaller size is the driver's choice; a bad one is
		 * refused when the queue is enabled. */
		if (TOUCHES(0x18, 2))
			q->size = le16(s + 0x18);
		if (TOUCHES(0x20, 8))
			q->desc = le32(s + 0x20) | (uint64_t)le32(s + 0x24) << 32;
		if (TOUCHES(0x28, 8))
			q->avail = le32(s + 0x28) | (uint64_t)le32(s + 0x2c) << 32;
		if (TOUCHES(0x30, 8))
			q->used = le32(s + 0x30) | (uint64_t)le32(s + 0x34) << 32;
	}
	if (TOUCHES(0x1a, 2))
		q->msix = vector_ok(le16(s + 0x1a));
	if (TOUCHES(0x1c, 2) && le16(s + 0x1c) == 1)
		queue_enable(d, q, d->qsel);
#undef TOUCHES
}

/* ---- the BAR ---- */

static uint64_t bar_read(struct virtio_dev *d, uint64_t off, unsigned size)
{
	uint8_t s[VIRTIO_COMMON_SIZE];
	uint64_t v = 0;

	if (off + size <= VIRTIO_COMMON_SIZE) {
		common_snapshot(d, s);
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)s[off + i] << (8 * i);
		return v;
	}
	if (off == VIRTIO_BAR_ISR) {
		/* Reading the ISR clears it and lowers INTx (4.1.4.5). */
		v = d->isr;
		d->isr = 0;
		intx_sync(d);
		return v;
	}
	if (off >= VIRTIO_BAR_DEVICE && off + size <= VIRTIO_BAR_DEVICE + d->ops->cfg_size) {
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)d->ops->cfg_read(d, (unsigned)(off - VIRTIO_BAR_DEVICE) + i)
			     << (8 * i);
		return v;
	}
	if (off >= VIRTIO_BAR_MSIX && off + size <= VIRTIO_BAR_MSIX + 16 * VIRTIO_MSIX_VECTORS) {
		uint8_t e[16];
		const struct virtio_msix_entry *m = &d->msix[(off - VIRTIO_BAR_MSIX) / 16];
		unsigned at = (unsigned)(off - VIRTIO_BAR_MSIX) & 15;

		if (at + size > 16)
			return 0;
		put_le(e, m->addr, 8);
		put_le(e + 8, m->data, 4);
		put_le(e + 12, m->ctrl, 4);
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)e[at + i] << (8 * i);
		return v;
	}
	if (off >= VIRTIO_BAR_PBA && off + size <= VIRTIO_BAR_PBA + 8)
		return ((uint64_t)d->pba >> (8 * (off - VIRTIO_BAR_PBA))) &
		       (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
	return 0;   /* reserved: reads 0 */
}

static void bar_write(struct virtio_dev *d, uint64_t off, unsigned size, uint64_t val)
{
	if (off + size <= VIRTIO_COMMON_SIZE) {
		common_write(d, (unsigned)off, size, val);
		return;
	}
	if (off >= VIRTIO_BAR_DEVICE && off + size <= VIRTIO_BAR_DEVICE + d->ops->cfg_size) {
		for (unsigned i = 0; i < size && d->ops->cfg_write; i++)
			d->ops->cfg_write(d, (unsigned)(off - VIRTIO_BAR_DEVICE) + i,
					  (uint8_t)(val >> (8 * i)));
		return;
	}
	if (off >= VIRTIO_BAR_NOTIFY && off < VIRTIO_BAR_NOTIFY + VIRTIO_NOTIFY_MULT * VIRTIO_MAX_QUEUES) {
		unsigned qi = (unsigned)(off - VIRTIO_BAR_NOTIFY) / VIRTIO_NOTIFY_MULT;

		d->notifies++;
		if (qi < d->ops->nqueues && d->q[qi].enabled && virtio_live(d))
			d->ops->notify(d, qi);
		return;
	}
	if (off >= VIRTIO_BAR_MSIX && off + size <= VIRTIO_BAR_MSIX + 16 * VIRTIO_MSIX_VECTORS) {
		struct virtio_msix_entry *m = &d->msix[(off - VIRTIO_BAR_MSIX) / 16];
		uint8_t e[16];
		unsigned at = (unsigned)(off - VIRTIO_BAR_MSIX) & 15;

		if (at + size > 16)
			return;
		put_le(e, m->addr, 8);
		put_le(e + 8, m->data, 4);
		put_le(e + 12, m->ctrl, 4);
		put_le(e + at, val, size);
		m->addr = le32(e) | (uint64_t)le32(e + 4) << 32;
		m->data = le32(e + 8);
		m->ctrl = le32(e + 12) & 1;   /* only the mask bit is defined */
		msix_flush(d);
		return;
	}
	/* ISR, PBA and reserved space are read-only. */
}

int virtio_pci_bar(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size, bool write,
		   uint64_t *val)
{
	struct virtio_dev *d = ctx;

	(void)who;
	(void)addr;
	if (write)
		bar_write(d, off, size, *val);
	else
		*val = bar_read(d, off, size);
	return 0;
}

/* ---- configuration space hooks ---- */

/* The PCI configuration access capability: its data window reaches the
 * BAR at the offset and width the driver put in the capability. */
static bool cfgcap_target(const struct virtio_dev *d, uint64_t *off, unsigned *len)
{
	const uint8_t *c = &d->pci->cfg[d->cfg_cap];

	*off = le32(c + CFGCAP_OFF);
	*len = le32(c + CFGCAP_LEN);
	/* 4.1.4.9.1: BAR 0 is ours; length 1, 2 or 4, offset aligned to it. */
	return c[CFGCAP_BAR] == 0 && (*len == 1 || *len == 2 || *len == 4) && !(*off % *len) &&
	       *off + *len <= VIRTIO_BAR_SIZE;
}

static uint32_t cfg_read(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val)
{
	struct virtio_dev *d = f->ctx;
	uint64_t off;
	unsigned len;

	(void)size;
	if (reg >= d->cfg_cap + CFGCAP_DATA && reg < d->cfg_cap + CFGCAP_DATA + 4 &&
	    cfgcap_target(d, &off, &len)) {
		uint64_t v = bar_read(d, off, len);
		return (uint32_t)(v >> (8 * (reg - d->cfg_cap - CFGCAP_DATA)));
	}
	return val;
}

static void cfg_write(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val)
{
	struct virtio_dev *d = f->ctx;
	uint64_t off;
	unsigned len;

	if (reg == d->cfg_cap + CFGCAP_DATA && cfgcap_target(d, &off, &len)) {
		bar_write(d, off, len, val);
		return;
	}
	/* MSI-X enable, function mask, or INTx disable changed. */
	if (reg <= d->msix_cap + MSIX_CTL + 1 && reg + size > d->msix_cap + MSIX_CTL) {
		msix_flush(d);
		intx_sync(d);
	}
	if (reg <= VPCI_COMMAND + 1 && reg + size > VPCI_COMMAND)
		intx_sync(d);
}

static const struct vpci_ops virtio_cfg_ops = { cfg_read, cfg_write };

static int add_vcap(struct vpci_func *f, uint8_t type, uint32_t off, uint32_t len,
		    unsigned extra, uint32_t extra_val, unsigned *at)
{
	uint8_t b[18] = { 0 };

	/* struct virtio_pci_cap after the ID and next bytes: cap_len,
	 * cfg_type, bar, id, padding[2], offset, length (4.1.4). */
	b[0] = (uint8_t)(16 + extra);
	b[1] = type;
	b[2] = 0;
	put_le(b + 6, off, 4);
	put_le(b + 10, len, 4);
	put_le(b + 14, extra_val, extra);
	return vpci_cap_add(f, 0x09, b, 14 + extra, at);
}

int virtio_pci_add(struct virtio_dev *d, struct vpci *pci, uint8_t dev, uint32_t bar,
		   const struct virtio_dev_ops *ops, void *ctx, uint64_t features,
		   const struct dev_env *env, uint64_t ram_size, struct virtq_req *req,
		   unsigned intx_gsi)
{
	uint8_t msix[10] = { 0 };
	struct vpci_func *f;
	unsigned ecam;
	int r;

	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->ctx = ctx;
	d->env = env;
	d->ram_size = ram_size;
	d->req = req;
	d->intx_gsi = intx_gsi;
	d->features = transport_features | features;
	r = vpci_add(pci, 0, dev, 0, &virtio_cfg_ops, d, &f);
	if (r)
		return r;
	d->pci = f;
	vpci_cfg_set(f, VPCI_VENDOR_ID, 2, VIRTIO_PCI_VENDOR);
	vpci_cfg_set(f, VPCI_DEVICE_ID, 2, VIRTIO_PCI_DEVICE_BASE + ops->type);
	/* Revision 1: modern only (4.1.2.1); subsystem IDs as for any
	 * virtio device. */
	vpci_cfg_set(f, VPCI_REVISION, 1, 1);
	vpci_cfg_set(f, VPCI_CLASS, 1, ops->class);
	vpci_cfg_set(f, VPCI_SUBCLASS, 1, ops->subclass);
	vpci_cfg_set(f, VPCI_SUBSYS_VENDOR, 2, VIRTIO_PCI_VENDOR);
	vpci_cfg_set(f, VPCI_SUBSYS_VENDOR + 2, 2, VIRTIO_PCI_DEVICE_BASE + ops->type);
	vpci_cfg_set(f, VPCI_INT_PIN, 1, 1);
	vpci_cfg_set(f, VPCI_INT_LINE, 1, intx_gsi);
	f->wmask[VPCI_INT_LINE] = 0xff;
	/* Bus mastering (the queues are DMA) and INTx disable are the guest's. */
	f->wmask[VPCI_COMMAND] |= VPCI_CMD_MASTER;
	f->wmask[VPCI_COMMAND + 1] |= VPCI_CMD_INTX_DISABLE >> 8;
	r = vpci_bar_add(f, 0, VPCI_BAR_MEM32, VIRTIO_BAR_SIZE, virtio_pci_bar, d);
	if (!r)
		r = add_vcap(f, CAP_COMMON, VIRTIO_BAR_COMMON, VIRTIO_COMMON_SIZE, 0, 0, NULL);
	if (!r)
		r = add_vcap(f, CAP_NOTIFY, VIRTIO_BAR_NOTIFY,
			     VIRTIO_NOTIFY_MULT * VIRTIO_MAX_QUEUES, 4, VIRTIO_NOTIFY_MULT, NULL);
	if (!r)
		r = add_vcap(f, CAP_ISR, VIRTIO_BAR_ISR, 1, 0, 0, NULL);
	if (!r && ops->cfg_size)
		r = add_vcap(f, CAP_DEVICE, VIRTIO_BAR_DEVICE, ops->cfg_size, 0, 0, NULL);
	if (!r)
		r = add_vcap(f, CAP_PCI_CFG, 0, 0, 4, 0, &d->cfg_cap);
	put_le(msix, VIRTIO_MSIX_VECTORS - 1, 2);
	put_le(msix + 2, VIRTIO_BAR_MSIX, 4);	/* BIR 0 */
	put_le(msix + 6, VIRTIO_BAR_PBA, 4);
	if (!r)
		r = vpci_cap_add(f, 0x11, msix, sizeof(msix), &d->msix_cap);
	if (r)
		return r;
	/* The access capability's bar, offset, length and data are the
	 * driver's; so are MSI-X Enable and Function Mask. */
	f->wmask[d->cfg_cap + CFGCAP_BAR] = 0xff;
	for (unsigned i = 0; i < 4; i++) {
		f->wmask[d->cfg_cap + CFGCAP_OFF + i] = 0xff;
		f->wmask[d->cfg_cap + CFGCAP_LEN + i] = 0xff;
		f->wmask[d->cfg_cap + CFGCAP_DATA + i] = 0xff;
	}
	f->wmask[d->msix_cap + MSIX_CTL + 1] = (MSIX_ENABLE | MSIX_FMASK) >> 8;
	for (unsigned v = 0; v < VIRTIO_MSIX_VECTORS; v++)
		d->msix[v].ctrl = 1;   /* masked at reset (6.8.2.9) */
	dev_reset(d);
	d->resets = 0;
	/* As firmware leaves it: BAR0 assigned, memory decoding on. */
	ecam = (unsigned)dev << 15;
	vpci_ecam_write(pci, ecam + VPCI_BAR0, 4, bar);
	vpci_ecam_write(pci, ecam + VPCI_COMMAND, 2, VPCI_CMD_MEMORY);
	return 0;
}
