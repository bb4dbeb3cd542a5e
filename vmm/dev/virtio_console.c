/* virtio-console. See vmm/dev/virtio_console.h. */
#include "vmm/dev/virtio_console.h"
#include "lib/errno.h"

/* struct virtio_console_config (5.3.4): cols, rows, max_nr_ports,
 * emerg_wr, meaningful only with features this device does not offer:
 * they read 0. */
#define CFG_SIZE 12
#define CHUNK 256

static uint8_t con_cfg_read(struct virtio_dev *d, unsigned off)
{
	(void)d;
	(void)off;
	return 0;
}

static void con_notify(struct virtio_dev *d, unsigned qi)
{
	struct virtio_console *c = d->ctx;
	struct virtq *q = &d->q[qi].vq;
	struct virtq_req *r = d->req;
	uint8_t buf[CHUNK];
	int got;

	if (qi != VCON_TXQ)
		return;   /* receive buffers posted: input takes them as it comes */
	do {
		virtq_notify(q, false);
		while ((got = virtq_pop(q, r)) > 0) {
			for (uint64_t off = 0; off < r->out_bytes; off += CHUNK) {
				uint64_t n = r->out_bytes - off < CHUNK ? r->out_bytes - off : CHUNK;

				if (virtq_read(q, r, off, buf, n))
					break;
				c->out(c->out_ctx, buf, (size_t)n);
				c->bytes_out += n;
			}
			if (virtq_push(q, r->head, 0))
				break;
			virtio_used(d, qi);
		}
		if (got < 0 || q->broken) {
			virtio_needs_reset(d, (int)qi, q->why);
			return;
		}
	} while (virtq_notify(q, true));
}

size_t virtio_console_rx(struct virtio_console *c, const uint8_t *s, size_t n)
{
	struct virtio_dev *d = &c->dev;
	struct virtq *q = &d->q[VCON_RXQ].vq;
	struct virtq_req *r = d->req;
	size_t done = 0;

	while (done < n && virtio_live(d) && d->q[VCON_RXQ].enabled) {
		int got = virtq_pop(q, r);
		uint64_t k;

		if (got < 0) {
			virtio_needs_reset(d, VCON_RXQ, q->why);
			break;
		}
		if (!got)
			break;
		if (!r->in_bytes) {
			virtio_needs_reset(d, VCON_RXQ, "receive buffer not writable");
			break;
		}
		k = r->in_bytes < n - done ? r->in_bytes : n - done;
		if (virtq_write(q, r, 0, s + done, k) || virtq_push(q, r->head, (uint32_t)k)) {
			virtio_needs_reset(d, VCON_RXQ, q->broken ? q->why : "receive buffer outside RAM");
			break;
		}
		done += (size_t)k;
		virtio_used(d, VCON_RXQ);
	}
	c->bytes_in += done;
	c->bytes_dropped += n - done;
	return done;
}

static const struct virtio_dev_ops con_ops = {
	.type = VIRTIO_ID_CONSOLE, .class = 0x07, .subclass = 0x80,   /* communication, other */
	.nqueues = 2, .cfg_size = CFG_SIZE,
	.cfg_read = con_cfg_read, .notify = con_notify,
};

int virtio_console_add(struct virtio_console *c, struct vpci *pci, uint8_t dev, uint32_t bar,
		       const struct dev_env *env, uint64_t ram_size, struct virtq_req *req,
		       unsigned intx_gsi)
{
	return virtio_pci_add(&c->dev, pci, dev, bar, &con_ops, c, 0, env, ram_size, req, intx_gsi);
}
