/* Modern virtio-net over PCI as the management NIC (virtio 1.1: 4.1 PCI
 * transport, 2.6 split virtqueues, 5.1 network device). Polled: the
 * driver asks for no interrupts and the owner CPU reaps the used rings.
 * Queue 0 receives, queue 1 transmits; every buffer starts with the
 * 12-byte struct virtio_net_hdr_v1 (5.1.6, VIRTIO_F_VERSION_1). */
#include "drivers/nic.h"
#include "arch/x86/mmu.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/errno.h"
#include "lib/string.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_NET_MODERN 0x1041   /* 0x1040 + device type 1 (4.1.2.1) */
#define VIRTIO_NET_TRANSITIONAL 0x1000

/* Capability cfg_type (4.1.4) */
#define VPCI_COMMON 1
#define VPCI_NOTIFY 2
#define VPCI_ISR    3
#define VPCI_DEVICE 4

/* Common configuration registers (4.1.4.3) */
#define CC_DFSELECT  0x00
#define CC_DF        0x04
#define CC_GFSELECT  0x08
#define CC_GF        0x0c
#define CC_NUMQ      0x12
#define CC_STATUS    0x14
#define CC_QSELECT   0x16
#define CC_QSIZE     0x18
#define CC_QENABLE   0x1c
#define CC_QNOTIFY   0x1e
#define CC_QDESC     0x20
#define CC_QAVAIL    0x28
#define CC_QUSED     0x30

/* Device status (2.1) */
#define ST_ACK         1
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8
#define ST_FAILED      0x80

/* Feature bits (5.1.3, 6) */
#define F_MAC       (1ULL << 5)
#define F_STATUS    (1ULL << 16)
#define F_VERSION_1 (1ULL << 32)
/* 6.1: the device's DMA goes through the platform's IOMMU. Accepted when
 * offered: every address the driver hands the device is one nic_dma_alloc
 * mapped in the NIC's own IOMMU domain (IOVA = physical), or physical when
 * no IOMMU covers it; a device offering it may refuse FEATURES_OK without. */
#define F_ACCESS_PLATFORM (1ULL << 33)

#define VRING_DESC_F_WRITE 2
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define NET_HDR_LEN 12
#define QSIZE 64
#define BUF_SIZE 2048

struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq_avail { uint16_t flags, idx, ring[QSIZE], used_event; };
struct vq_used_elem { uint32_t id, len; };
struct vq_used { uint16_t flags, idx; struct vq_used_elem ring[QSIZE]; uint16_t avail_event; };

struct vq {
	uint16_t size;
	volatile struct vq_desc *desc;
	volatile struct vq_avail *avail;
	volatile struct vq_used *used;
	uint8_t *bufs;            /* size * BUF_SIZE, one per descriptor */
	uint64_t bufs_phys;
	uint16_t last_used;       /* used entries reaped */
	uint16_t avail_idx;       /* entries offered */
	uint16_t inflight;        /* tx: offered and not yet used */
	volatile uint16_t *notify;
};

struct vnet {
	volatile uint8_t *common;
	volatile uint8_t *devcfg;
	volatile uint8_t *notify_base;
	uint32_t notify_mul;
	bool has_status;
	struct vq rx, tx;
};

static struct vnet vnet_state;

static inline void mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint8_t rd8(volatile uint8_t *b, unsigned o) { return b[o]; }
static uint16_t rd16(volatile uint8_t *b, unsigned o) { return *(volatile uint16_t *)(b + o); }
static uint32_t rd32(volatile uint8_t *b, unsigned o) { return *(volatile uint32_t *)(b + o); }
static void wr8(volatile uint8_t *b, unsigned o, uint8_t v) { b[o] = v; }
static void wr16(volatile uint8_t *b, unsigned o, uint16_t v) { *(volatile uint16_t *)(b + o) = v; }
static void wr32(volatile uint8_t *b, unsigned o, uint32_t v) { *(volatile uint32_t *)(b + o) = v; }
static void wr64(volatile uint8_t *b, unsigned o, uint64_t v)
{
	wr32(b, o, (uint32_t)v);
	wr32(b, o + 4, (uint32_t)(v >> 32));
}

static bool vnet_match(const struct pci_dev *d)
{
	return d->vendor == VIRTIO_VENDOR &&
	       (d->device == VIRTIO_NET_MODERN ||
		(d->device == VIRTIO_NET_TRANSITIONAL && d->class == 0x02));
}

/* Maps the region a virtio vendor capability names (4.1.4). */
static volatile uint8_t *map_cap(const struct pci_dev *d, uint16_t off, uint32_t *extra)
{
	uint8_t bar = (uint8_t)pci_cfg_read(d, off + 4, 1);
	uint32_t offset = pci_cfg_read(d, off + 8, 4);
	uint32_t length = pci_cfg_read(d, off + 12, 4);
	const struct pci_bar *b;

	if (bar >= PCI_MAX_BARS)
		return NULL;
	b = &d->bar[bar];
	if ((b->type != PCI_BAR_MEM32 && b->type != PCI_BAR_MEM64) || !b->base ||
	    (uint64_t)offset + length > b->size || !length)
		return NULL;
	if (extra)
		*extra = pci_cfg_read(d, off + 16, 4);
	return mmu_map_phys(b->base + offset, length, true);
}

static int vq_setup(struct nic *n, struct vnet *v, uint16_t index, struct vq *q, bool rx)
{
	uint16_t max, noff;
	uint64_t ring;

	wr16(v->common, CC_QSELECT, index);
	max = rd16(v->common, CC_QSIZE);
	if (!max)
		return -ENODEV;
	/* The ring is sized here, no larger than the device allows. */
	q->size = max < QSIZE ? max : QSIZE;
	if (q->size & (q->size - 1))
		return -ENODEV;
	wr16(v->common, CC_QSIZE, q->size);
	ring = nic_dma_alloc(n, 3);
	q->bufs_phys = nic_dma_alloc(n, (uint64_t)q->size * BUF_SIZE / 4096);
	if (!ring || !q->bufs_phys)
		return -ENOMEM;
	q->desc = phys_to_virt(ring);
	q->avail = phys_to_virt(ring + 4096);
	q->used = phys_to_virt(ring + 8192);
	q->bufs = phys_to_virt(q->bufs_phys);
	q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	for (uint16_t i = 0; i < q->size; i++) {
		q->desc[i].addr = q->bufs_phys + (uint64_t)i * BUF_SIZE;
		q->desc[i].len = BUF_SIZE;
		q->desc[i].flags = rx ? VRING_DESC_F_WRITE : 0;
		q->desc[i].next = 0;
	}
	wr64(v->common, CC_QDESC, ring);
	wr64(v->common, CC_QAVAIL, ring + 4096);
	wr64(v->common, CC_QUSED, ring + 8192);
	noff = rd16(v->common, CC_QNOTIFY);
	q->notify = (volatile uint16_t *)(v->notify_base + (uint32_t)noff * v->notify_mul);
	wr16(v->common, CC_QENABLE, 1);
	if (rx) {
		for (uint16_t i = 0; i < q->size; i++)
			q->avail->ring[i] = i;
		mb();
		q->avail_idx = q->size;
		q->avail->idx = q->avail_idx;
	}
	return 0;
}

static int vnet_send(struct nic *n, const void *frame, size_t len)
{
	struct vnet *v = n->priv;
	struct vq *q = &v->tx;
	uint16_t slot;

	if (!len || len > NIC_MTU_FRAME)
		return -EINVAL;
	/* Reap what the device has sent. */
	while (q->last_used != q->used->idx) {
		q->last_used++;
		q->inflight--;
	}
	if (q->inflight == q->size) {
		n->tx_full++;
		return -EAGAIN;
	}
	slot = q->avail_idx % q->size;
	memset(q->bufs + (size_t)slot * BUF_SIZE, 0, NET_HDR_LEN);
	memcpy(q->bufs + (size_t)slot * BUF_SIZE + NET_HDR_LEN, frame, len);
	q->desc[slot].len = (uint32_t)(len + NET_HDR_LEN);
	q->avail->ring[slot] = slot;
	mb();
	q->avail->idx = ++q->avail_idx;
	q->inflight++;
	mb();
	*q->notify = 1;
	n->tx_frames++;
	return 0;
}

static unsigned vnet_poll(struct nic *n, nic_rx_fn rx, void *ctx, unsigned budget)
{
	struct vnet *v = n->priv;
	struct vq *q = &v->rx;
	unsigned done = 0;

	while (done < budget && q->last_used != q->used->idx) {
		volatile struct vq_used_elem *e = &q->used->ring[q->last_used % q->size];
		uint32_t id = e->id, len = e->len;

		mb();
		if (id < q->size && len > NET_HDR_LEN && len <= BUF_SIZE) {
			rx(ctx, q->bufs + (size_t)id * BUF_SIZE + NET_HDR_LEN, len - NET_HDR_LEN);
			n->rx_frames++;
		} else {
			n->rx_dropped++;
		}
		q->last_used++;
		if (id < q->size) {
			q->avail->ring[q->avail_idx % q->size] = (uint16_t)id;
			mb();
			q->avail->idx = ++q->avail_idx;
		}
		done++;
	}
	if (done) {
		mb();
		*q->notify = 0;
	}
	return done;
}

static bool vnet_link_up(struct nic *n)
{
	struct vnet *v = n->priv;

	return !v->has_status || (rd16(v->devcfg, 6) & 1);
}

/* Device initialization, 3.1.1: reset, ACKNOWLEDGE, DRIVER, features,
 * FEATURES_OK (read back), queues, DRIVER_OK. */
static int vnet_init(const struct pci_dev *d, struct nic *n)
{
	struct vnet *v = &vnet_state;
	uint64_t have, want;
	uint16_t cmd;
	int r;

	memset(v, 0, sizeof(*v));
	for (unsigned i = 0; i < d->ncaps; i++) {
		uint16_t off = d->caps[i].off;
		uint8_t type;

		if (d->caps[i].id != PCI_CAP_VENDOR)
			continue;
		type = (uint8_t)pci_cfg_read(d, off + 3, 1);
		if (type == VPCI_COMMON && !v->common)
			v->common = map_cap(d, off, NULL);
		else if (type == VPCI_NOTIFY && !v->notify_base)
			v->notify_base = map_cap(d, off, &v->notify_mul);
		else if (type == VPCI_DEVICE && !v->devcfg)
			v->devcfg = map_cap(d, off, NULL);
	}
	if (!v->common || !v->notify_base || !v->devcfg) {
		pr_err("mgmt: virtio-net at %02x:%02x.%x has no modern (virtio 1.0) interface",
		       d->bus, d->devfn >> 3, d->devfn & 7);
		return -ENODEV;
	}
	cmd = (uint16_t)pci_cfg_read(d, 0x04, 2);
	pci_cfg_write(d, 0x04, 2, cmd | 0x6);   /* memory space, bus master */

	/* The firmware may have used the device (a network boot): reset
	 * and wait for the reset to finish (4.1.4.3.2). */
	wr8(v->common, CC_STATUS, 0);
	for (unsigned i = 0; rd8(v->common, CC_STATUS) && i < 1000000; i++)
		__builtin_ia32_pause();
	wr8(v->common, CC_STATUS, ST_ACK);
	wr8(v->common, CC_STATUS, ST_ACK | ST_DRIVER);
	wr32(v->common, CC_DFSELECT, 0);
	have = rd32(v->common, CC_DF);
	wr32(v->common, CC_DFSELECT, 1);
	have |= (uint64_t)rd32(v->common, CC_DF) << 32;
	if (!(have & F_VERSION_1)) {
		wr8(v->common, CC_STATUS, ST_FAILED);
		return -ENODEV;
	}
	want = have & (F_VERSION_1 | F_ACCESS_PLATFORM | F_MAC | F_STATUS);
	wr32(v->common, CC_GFSELECT, 0);
	wr32(v->common, CC_GF, (uint32_t)want);
	wr32(v->common, CC_GFSELECT, 1);
	wr32(v->common, CC_GF, (uint32_t)(want >> 32));
	wr8(v->common, CC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd8(v->common, CC_STATUS) & ST_FEATURES_OK)) {
		wr8(v->common, CC_STATUS, ST_FAILED);
		return -ENODEV;
	}
	v->has_status = want & F_STATUS;
	if (rd16(v->common, CC_NUMQ) < 2) {
		wr8(v->common, CC_STATUS, ST_FAILED);
		return -ENODEV;
	}
	r = vq_setup(n, v, 0, &v->rx, true);
	if (!r)
		r = vq_setup(n, v, 1, &v->tx, false);
	if (r) {
		wr8(v->common, CC_STATUS, ST_FAILED);
		return r;
	}
	if (want & F_MAC) {
		for (unsigned i = 0; i < 6; i++)
			n->mac[i] = rd8(v->devcfg, i);
	} else {
		/* A locally administered address of our own. */
		static const uint8_t mac[6] = { 0x02, 0x56, 0x54, 0x52, 0x41, 0x01 };
		memcpy(n->mac, mac, 6);
	}
	wr8(v->common, CC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	mb();
	*v->rx.notify = 0;
	n->priv = v;
	n->send = vnet_send;
	n->poll = vnet_poll;
	n->link_up = vnet_link_up;
	return 0;
}

const struct nic_driver virtio_net_driver = {
	.name = "virtio-net",
	.match = vnet_match,
	.init = vnet_init,
};
