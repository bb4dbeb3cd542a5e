/* virtio-net. See vmm/dev/virtio_net.h. */
#include "vmm/dev/virtio_net.h"
#include "lib/string.h"
#include "lib/errno.h"

/* struct virtio_net_config (5.1.4): mac[6], then le16 status (bit 0:
 * VIRTIO_NET_S_LINK_UP). */
#define CFG_SIZE 8

static struct virtio_net *net_of(struct virtio_dev *d)
{
	return d->ctx;
}

static uint8_t net_cfg_read(struct virtio_dev *d, unsigned off)
{
	if (off < 6)
		return net_of(d)->mac[off];
	return off == 6 ? 1 : 0;   /* link up */
}

static void tx_queue(struct virtio_net *n)
{
	struct virtio_dev *d = &n->dev;
	struct virtq *q = &d->q[VNET_TXQ].vq;
	struct virtq_req *r = d->req;
	int got;

	do {
		virtq_notify(q, false);
		while ((got = virtq_pop(q, r)) > 0) {
			uint64_t len = r->out_bytes - VNET_HDR_LEN;

			/* Each chain is a header and one frame (5.1.6.2). */
			if (r->out_bytes < VNET_HDR_LEN || len > VNET_FRAME_MAX ||
			    virtq_read(q, r, VNET_HDR_LEN, n->frame, len)) {
				n->tx_dropped++;
			} else {
				n->tx_frames++;
				n->tx(n->tx_ctx, n->frame, (size_t)len);
			}
			if (virtq_push(q, r->head, 0))
				break;
			virtio_used(d, VNET_TXQ);
		}
		if (got < 0 || q->broken) {
			virtio_needs_reset(d, VNET_TXQ, q->why);
			return;
		}
	} while (virtq_notify(q, true));
}

void virtio_net_tx_poll(struct virtio_net *n)
{
	if (!n->tx_pending)
		return;
	n->tx_pending = false;
	if (virtio_live(&n->dev) && n->dev.q[VNET_TXQ].enabled)
		tx_queue(n);
}

static void net_notify(struct virtio_dev *d, unsigned qi)
{
	struct virtio_net *n = net_of(d);

	if (qi == VNET_TXQ && n->tx_defer) {
		if (!n->tx_pending) {
			n->tx_pending = true;
			virtq_notify(&d->q[VNET_TXQ].vq, false);
			if (n->tx_later)
				n->tx_later(n->tx_ctx);
		}
	} else if (qi == VNET_TXQ) {
		tx_queue(n);
	}
	else if (qi == VNET_RXQ && n->rx_ready)
		n->rx_ready(n->tx_ctx);
}

int virtio_net_rx(struct virtio_net *n, const uint8_t *frame, size_t len)
{
	struct virtio_dev *d = &n->dev;
	struct virtq *q = &d->q[VNET_RXQ].vq;
	struct virtq_req *r = d->req;
	/* flags, gso_type, hdr_len, gso_size, csum_start, csum_offset all 0;
	 * num_buffers 1 (5.1.6.4). */
	uint8_t hdr[VNET_HDR_LEN] = { [10] = 1 };
	uint64_t room;
	int got;

	if (!virtio_live(d) || !d->q[VNET_RXQ].enabled)
		return -EAGAIN;
	got = virtq_pop(q, r);
	if (got < 0) {
		virtio_needs_reset(d, VNET_RXQ, q->why);
		return -EIO;
	}
	if (!got) {
		/* Out of buffers: ask to be told when the driver posts more. */
		if (!virtq_notify(q, true))
			return -EAGAIN;
		got = virtq_pop(q, r);
		if (got <= 0) {
			if (got < 0)
				virtio_needs_reset(d, VNET_RXQ, q->why);
			return got < 0 ? -EIO : -EAGAIN;
		}
	}
	room = r->in_bytes < VNET_HDR_LEN ? 0 : r->in_bytes - VNET_HDR_LEN;
	if (len > room)
		len = (size_t)room;
	if (r->in_bytes < VNET_HDR_LEN || virtq_write(q, r, 0, hdr, sizeof(hdr)) ||
	    virtq_write(q, r, VNET_HDR_LEN, frame, len)) {
		virtio_needs_reset(d, VNET_RXQ, "receive buffer shorter than the header");
		return -EIO;
	}
	if (virtq_push(q, r->head, (uint32_t)(VNET_HDR_LEN + len))) {
		virtio_needs_reset(d, VNET_RXQ, q->why);
		return -EIO;
	}
	n->rx_frames++;
	virtio_used(d, VNET_RXQ);
	return 0;
}

static void net_reset(struct virtio_dev *d)
{
	net_of(d)->tx_pending = false;
}

static const struct virtio_dev_ops net_ops = {
	.type = VIRTIO_ID_NET, .class = 0x02, .subclass = 0x00,   /* network, Ethernet */
	.nqueues = 2, .cfg_size = CFG_SIZE,
	.cfg_read = net_cfg_read, .notify = net_notify, .reset = net_reset,
};

int virtio_net_add(struct virtio_net *n, const uint8_t mac[6], struct vpci *pci, uint8_t dev,
		   uint32_t bar, const struct dev_env *env, uint64_t ram_size,
		   struct virtq_req *req, unsigned intx_gsi)
{
	memcpy(n->mac, mac, 6);
	return virtio_pci_add(&n->dev, pci, dev, bar, &net_ops, n, VNET_F_MAC | VNET_F_STATUS, env,
			      ram_size, req, intx_gsi);
}
