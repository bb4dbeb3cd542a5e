/* A partition's virtio devices: its disks (virtio-blk) as the config
 * names them, on its PCI bus from 00:03.0, each with its BAR where
 * firmware would have put it. Disk images are the files the loader read
 * from the ESP; writes go to that memory and stay for the hypervisor's
 * life (a restarted partition finds them; the image on the stick is not
 * changed). */
#ifndef VATRA_VMM_VIRTIO_H
#define VATRA_VMM_VIRTIO_H

#include "vmm/part_config.h"
#include "vmm/dev/virtio_blk.h"
#include "lib/sink.h"

#define VIRTIO_FIRST_SLOT	3		/* PCI device number of the first */
#define VIRTIO_BAR_BASE		0xe0000000u	/* BARs from here, one window each */
#define VIRTIO_INTX_GSI		11

struct partition;

struct part_virtio {
	struct virtq_req req;			/* one chain at a time: the partition's lock */
	struct virtio_blk blk[PART_MAX_DISKS];
	unsigned nblk;
};

/* Adds the partition's devices to its PCI bus (at platform setup): 0, or
 * -errno with the reason logged (a disk that is missing or in use by a
 * running partition). */
int virtio_part_init(struct partition *p);
/* Its devices and their state, for "info NAME". */
void virtio_part_info(const struct partition *p, struct sink *out);

#endif
