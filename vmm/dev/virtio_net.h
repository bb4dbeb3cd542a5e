/* virtio-net (virtio 1.x, 5.1): one receive and one transmit queue, a
 * fixed MAC, link always up; no offloads, so frames are at most
 * VNET_FRAME_MAX bytes. Transmitted frames go to a callback (the
 * partition's switch port); received frames are put into the buffers the
 * driver posted, or refused when there are none.
 * Pure code, no locking: the caller serializes per partition. */
#ifndef VATRA_VMM_DEV_VIRTIO_NET_H
#define VATRA_VMM_DEV_VIRTIO_NET_H

#include <stdint.h>
#include <stddef.h>
#include "vmm/dev/virtio_pci.h"

#define VNET_F_MAC	(1ull << 5)
#define VNET_F_STATUS	(1ull << 16)
#define VNET_HDR_LEN	12		/* struct virtio_net_hdr_v1 (5.1.6) */
#define VNET_FRAME_MAX	1518
#define VNET_RXQ	0
#define VNET_TXQ	1

struct virtio_net {
	struct virtio_dev dev;
	uint8_t mac[6];
	/* Where transmitted frames go. */
	void (*tx)(void *ctx, const uint8_t *frame, size_t len);
	void *tx_ctx;
	/* The driver posted receive buffers: a caller with frames waiting
	 * may deliver them now. */
	void (*rx_ready)(void *ctx);
	/* With tx_defer, a kick of the transmit queue only marks it pending
	 * (and turns further kicks off) and calls tx_later; the caller runs
	 * virtio_net_tx_poll a little later, so frames queued meanwhile go
	 * out together for one exit. Without it, a kick sends at once. */
	bool tx_defer, tx_pending;
	void (*tx_later)(void *ctx);
	uint8_t frame[VNET_FRAME_MAX];	/* one transmitted frame */
	uint64_t tx_frames, rx_frames, tx_dropped, rx_dropped;
};

int virtio_net_add(struct virtio_net *n, const uint8_t mac[6], struct vpci *pci, uint8_t dev,
		   uint32_t bar, const struct dev_env *env, uint64_t ram_size,
		   struct virtq_req *req, unsigned intx_gsi);
/* Puts one frame into the next receive buffer: 0, -EAGAIN when the
 * driver has posted none (or the device is not live), -EIO when the ring
 * is bad (the device then needs a reset). A frame longer than the buffer
 * is cut to it. */
int virtio_net_rx(struct virtio_net *n, const uint8_t *frame, size_t len);
/* Sends what the transmit queue holds if a kick is pending. */
void virtio_net_tx_poll(struct virtio_net *n);

#endif
