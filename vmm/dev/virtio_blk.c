/* virtio-blk. See vmm/dev/virtio_blk.h. */
#include "vmm/dev/virtio_blk.h"
#include "lib/string.h"
#include "lib/errno.h"

/* struct virtio_blk_config (5.2.4) up to write_zeroes_may_unmap and its
 * padding: capacity at 0, seg_max at 12, blk_size at 20, num_queues at
 * 34, the discard limits at 36, 40 and 44. */
#define CFG_SIZE	60
#define SEG_MAX		(VIRTIO_QUEUE_SIZE - 2)	/* header and status take two */
#define DISCARD_SEG	16			/* le64 sector, le32 num, le32 flags */
#define MAX_DISCARD_SEGS 32

static struct virtio_blk *blk_of(struct virtio_dev *d)
{
	return d->ctx;
}

static uint64_t sectors(const struct vdisk *k)
{
	return k->size / VBLK_SECTOR;
}

static uint8_t blk_cfg_read(struct virtio_dev *d, unsigned off)
{
	uint64_t v;
	unsigned at;

	if (off < 8) {
		v = sectors(blk_of(d)->disk);
		at = off;
	} else if (off >= 12 && off < 16) {
		v = SEG_MAX;
		at = off - 12;
	} else if (off >= 20 && off < 24) {
		v = VBLK_SECTOR;
		at = off - 20;
	} else if (off >= 34 && off < 36) {
		v = 1;
		at = off - 34;
	} else if (off >= 36 && off < 40) {
		v = 0xffffffffu;   /* max_discard_sectors */
		at = off - 36;
	} else if (off >= 40 && off < 44) {
		v = MAX_DISCARD_SEGS;
		at = off - 40;
	} else if (off >= 44 && off < 48) {
		v = 1;   /* discard_sector_alignment, in sectors */
		at = off - 44;
	} else {
		return 0;
	}
	return (uint8_t)(v >> (8 * at));
}

/* Whether [sector, +bytes) lies on the disk. */
static bool on_disk(const struct vdisk *k, uint64_t sector, uint64_t bytes)
{
	uint64_t n = sectors(k);

	return sector <= n && bytes <= (n - sector) * VBLK_SECTOR;
}

static uint8_t do_discard(struct virtio_blk *b, struct virtq_req *r)
{
	struct vdisk *k = b->disk;
	uint64_t nseg = (r->out_bytes - 16) / DISCARD_SEG;

	if (k->ro)
		return VBLK_S_IOERR;
	if ((r->out_bytes - 16) % DISCARD_SEG || !nseg || nseg > MAX_DISCARD_SEGS)
		return VBLK_S_IOERR;
	for (uint64_t i = 0; i < nseg; i++) {
		uint8_t s[DISCARD_SEG];
		uint64_t sec = 0;
		uint32_t num = 0;

		if (virtq_read(&b->dev.q[0].vq, r, 16 + i * DISCARD_SEG, s, sizeof(s)))
			return VBLK_S_IOERR;
		for (int j = 7; j >= 0; j--)
			sec = sec << 8 | s[j];
		for (int j = 11; j >= 8; j--)
			num = num << 8 | s[j];
		if (!on_disk(k, sec, (uint64_t)num * VBLK_SECTOR))
			return VBLK_S_IOERR;
		/* A discarded range reads as zeros afterwards. */
		memset(k->data + sec * VBLK_SECTOR, 0, (uint64_t)num * VBLK_SECTOR);
	}
	k->discards++;
	return VBLK_S_OK;
}

/* One request: header (type, reserved, sector) in the readable part,
 * the status byte last in the writable part (5.2.6). Returns the bytes
 * written into the request's buffers. */
static uint32_t do_request(struct virtio_blk *b, struct virtq_req *r)
{
	struct virtq *q = &b->dev.q[0].vq;
	struct vdisk *k = b->disk;
	uint8_t h[16], st = VBLK_S_OK;
	uint32_t type;
	uint64_t sector = 0, len, written = 0;

	virtq_read(q, r, 0, h, sizeof(h));
	type = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	for (int j = 15; j >= 8; j--)
		sector = sector << 8 | h[j];
	switch (type) {
	case VBLK_T_IN:
		len = r->in_bytes - 1;
		if (len % VBLK_SECTOR || !on_disk(k, sector, len) ||
		    virtq_write(q, r, 0, k->data + sector * VBLK_SECTOR, len)) {
			st = VBLK_S_IOERR;
			break;
		}
		written = len;
		k->reads++;
		k->read_bytes += len;
		break;
	case VBLK_T_OUT:
		len = r->out_bytes - 16;
		if (k->ro || len % VBLK_SECTOR || !on_disk(k, sector, len) ||
		    virtq_read(q, r, 16, k->data + sector * VBLK_SECTOR, len)) {
			st = VBLK_S_IOERR;
			break;
		}
		k->writes++;
		k->written_bytes += len;
		break;
	case VBLK_T_FLUSH:
		/* The image is memory: every write is already where it goes. */
		k->flushes++;
		break;
	case VBLK_T_GET_ID:
		len = r->in_bytes - 1 < VBLK_ID_LEN ? r->in_bytes - 1 : VBLK_ID_LEN;
		{
			char id[VBLK_ID_LEN] = { 0 };

			memcpy(id, k->id, strlen(k->id) < VBLK_ID_LEN ? strlen(k->id) : VBLK_ID_LEN);
			if (virtq_write(q, r, 0, id, len))
				st = VBLK_S_IOERR;
			else
				written = len;
		}
		break;
	case VBLK_T_DISCARD:
		st = do_discard(b, r);
		break;
	default:
		st = VBLK_S_UNSUPP;
	}
	if (st == VBLK_S_IOERR)
		k->errors++;
	virtq_write(q, r, r->in_bytes - 1, &st, 1);
	return (uint32_t)(written + 1);
}

static void blk_notify(struct virtio_dev *d, unsigned qi)
{
	struct virtio_blk *b = blk_of(d);
	struct virtq *q = &d->q[qi].vq;
	struct virtq_req *r = d->req;
	int got;

	do {
		virtq_notify(q, false);
		while ((got = virtq_pop(q, r)) > 0) {
			if (r->out_bytes < 16 || !r->in_bytes) {
				virtio_needs_reset(d, (int)qi, "request without header or status byte");
				return;
			}
			if (virtq_push(q, r->head, do_request(b, r)))
				break;
			virtio_used(d, qi);
		}
		if (got < 0 || q->broken) {
			virtio_needs_reset(d, (int)qi, q->why);
			return;
		}
	} while (virtq_notify(q, true));
}

static const struct virtio_dev_ops blk_ops = {
	.type = VIRTIO_ID_BLOCK, .class = 0x01, .subclass = 0x00,   /* mass storage, SCSI */
	.nqueues = 1, .cfg_size = CFG_SIZE,
	.cfg_read = blk_cfg_read, .notify = blk_notify,
};

int virtio_blk_add(struct virtio_blk *b, struct vdisk *disk, struct vpci *pci, uint8_t dev,
		   uint32_t bar, const struct dev_env *env, uint64_t ram_size,
		   struct virtq_req *req, unsigned intx_gsi)
{
	uint64_t f = VBLK_F_SEG_MAX | VBLK_F_BLK_SIZE | VBLK_F_FLUSH | VBLK_F_DISCARD;

	b->disk = disk;
	if (disk->ro)
		f = (f & ~VBLK_F_DISCARD) | VBLK_F_RO;
	return virtio_pci_add(&b->dev, pci, dev, bar, &blk_ops, b, f, env, ram_size, req,
			      intx_gsi);
}
