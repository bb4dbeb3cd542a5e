/* virtio-blk (virtio 1.x, 5.2): a disk whose image is a buffer in
 * hypervisor memory, one request queue. Read, write, flush, get-id and
 * discard; a read-only disk offers VIRTIO_BLK_F_RO and fails writes.
 * Pure code, no locking: the caller serializes per partition (a disk
 * belongs to one partition at a time). */
#ifndef VATRA_VMM_DEV_VIRTIO_BLK_H
#define VATRA_VMM_DEV_VIRTIO_BLK_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/virtio_pci.h"

#define VBLK_SECTOR	512
#define VBLK_ID_LEN	20	/* VIRTIO_BLK_ID_BYTES */

/* Request types and status values (5.2.6). */
#define VBLK_T_IN	0
#define VBLK_T_OUT	1
#define VBLK_T_FLUSH	4
#define VBLK_T_GET_ID	8
#define VBLK_T_DISCARD	11
#define VBLK_S_OK	0
#define VBLK_S_IOERR	1
#define VBLK_S_UNSUPP	2

/* Feature bits (5.2.3). */
#define VBLK_F_SEG_MAX	(1ull << 2)
#define VBLK_F_RO	(1ull << 5)
#define VBLK_F_BLK_SIZE	(1ull << 6)
#define VBLK_F_FLUSH	(1ull << 9)
#define VBLK_F_DISCARD	(1ull << 13)

/* The image: size bytes at data (a whole number of sectors is used). */
struct vdisk {
	uint8_t *data;
	uint64_t size;
	bool ro;
	char id[VBLK_ID_LEN + 1];
	uint64_t reads, writes, flushes, discards, errors;   /* requests */
	uint64_t read_bytes, written_bytes;
};

struct virtio_blk {
	struct virtio_dev dev;
	struct vdisk *disk;
};

/* Adds the disk as PCI function 00:dev.0 (see virtio_pci_add). */
int virtio_blk_add(struct virtio_blk *b, struct vdisk *disk, struct vpci *pci, uint8_t dev,
		   uint32_t bar, const struct dev_env *env, uint64_t ram_size,
		   struct virtq_req *req, unsigned intx_gsi);

#endif
