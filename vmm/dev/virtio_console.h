/* virtio-console (virtio 1.x, 5.3), one port and no features: the guest
 * sees it as hvc0. What the guest writes to it goes to a callback (the
 * partition's console ring, beside the UART's output); input is put into
 * the receive buffers the driver posted.
 * Pure code, no locking: the caller serializes per partition. */
#ifndef VATRA_VMM_DEV_VIRTIO_CONSOLE_H
#define VATRA_VMM_DEV_VIRTIO_CONSOLE_H

#include <stdint.h>
#include <stddef.h>
#include "vmm/dev/virtio_pci.h"

#define VCON_RXQ	0
#define VCON_TXQ	1

struct virtio_console {
	struct virtio_dev dev;
	void (*out)(void *ctx, const uint8_t *s, size_t n);
	void *out_ctx;
	uint64_t bytes_out, bytes_in, bytes_dropped;
};

int virtio_console_add(struct virtio_console *c, struct vpci *pci, uint8_t dev, uint32_t bar,
		       const struct dev_env *env, uint64_t ram_size, struct virtq_req *req,
		       unsigned intx_gsi);

/* Puts n bytes of input into the driver's receive buffers; what finds no
 * buffer (or a device that is not live) is dropped and counted. Returns
 * the bytes taken. */
size_t virtio_console_rx(struct virtio_console *c, const uint8_t *s, size_t n);

#endif
