/* A split virtqueue, the device side (virtio 1.x, 2.7): descriptor chains
 * (direct and indirect) taken from the available ring, completions put
 * into the used ring, and the notification suppression of both
 * directions, with or without VIRTIO_F_RING_EVENT_IDX.
 *
 * Guest memory is reached only through the dev_env accessors, and every
 * address the driver hands over (the rings, each descriptor's buffer, an
 * indirect table) is checked against the partition's RAM, [0, ram_size),
 * before it is used. A ring that breaks the rules makes the call fail with
 * -EIO and q->why saying what was wrong; the queue then stays broken until
 * it is reset, and the transport puts the device into DEVICE_NEEDS_RESET.
 *
 * Pure code, no locking: the caller serializes per device. */
#ifndef VATRA_VMM_DEV_VIRTQ_H
#define VATRA_VMM_DEV_VIRTQ_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/devenv.h"

#define VIRTQ_MAX_SIZE		256	/* the largest queue a device offers */

/* Descriptor flags (2.7.5) and ring flags (2.7.6, 2.7.8). */
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	1

/* One buffer of a chain, inside guest RAM. */
struct virtq_seg {
	uint64_t addr;
	uint32_t len;
};

/* A chain as the device takes it: nout device-readable buffers, then nin
 * device-writable ones (the driver must order them so, 2.7.4.2). */
struct virtq_req {
	uint16_t head;
	unsigned nout, nin;
	uint64_t out_bytes, in_bytes;
	struct virtq_seg seg[VIRTQ_MAX_SIZE];
};

struct virtq {
	uint16_t size;			/* entries, a power of two */
	uint64_t desc, avail, used;	/* guest-physical ring addresses */
	bool event_idx;			/* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool broken;			/* a bad ring was seen; why says what */
	const char *why;
	uint16_t last_avail;		/* the next available entry to take */
	uint16_t used_idx;		/* our copy of used->idx */
	uint16_t signalled;		/* used_idx at the last interrupt decision */
	bool signalled_valid;
	const struct dev_env *env;
	uint64_t ram_size;
};

/* Sets up a queue the driver enabled: the ring addresses and size it
 * wrote. 0, or -EIO (with why) for a size that is not a power of two up
 * to VIRTQ_MAX_SIZE or rings not wholly in RAM or misaligned (2.7:
 * descriptors 16, available ring 2, used ring 4). */
int virtq_start(struct virtq *q, const struct dev_env *env, uint64_t ram_size, uint16_t size,
		uint64_t desc, uint64_t avail, uint64_t used, bool event_idx);
/* Forgets everything (device reset). */
void virtq_reset(struct virtq *q);

/* Takes the next available chain into *r: 1, 0 when none is available,
 * -EIO for a bad ring (an index past the queue, a loop, a chain longer
 * than the queue, a buffer not in RAM, an indirect table inside an
 * indirect table or with NEXT, a bad indirect length, a readable buffer
 * after a writable one). */
int virtq_pop(struct virtq *q, struct virtq_req *r);
/* Puts chain head, with len bytes written into its buffers, into the used
 * ring. 0 or -EIO. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* After pushes: whether the driver wants an interrupt for them (its
 * NO_INTERRUPT flag, or its used_event index). */
bool virtq_should_signal(struct virtq *q);
/* The device's wish for notifications (used->flags NO_NOTIFY, or
 * avail_event = the next entry it will look at). Enabling returns true
 * when entries arrived meanwhile, so the caller looks again rather than
 * waiting for a notification that will not come. */
bool virtq_notify(struct virtq *q, bool enable);

/* Copies len bytes at offset off of the chain's readable buffers into
 * buf, or buf into its writable buffers: 0, or -EFAULT when the buffers
 * are shorter. */
int virtq_read(const struct virtq *q, const struct virtq_req *r, uint64_t off, void *buf,
	       uint64_t len);
int virtq_write(const struct virtq *q, const struct virtq_req *r, uint64_t off,
		const void *buf, uint64_t len);

#endif
