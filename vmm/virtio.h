/* A partition's virtio devices: its disks (virtio-blk), then its NICs
 * (virtio-net) as the config names them, then its virtio-console (hvc0,
 * whose output joins the UART's in the partition's console ring), on its PCI bus from 00:03.0,
 * each with its BAR where firmware would have put it. Each NIC is a port
 * of a virtual switch (vmm/vswitch.h): a frame it sends is copied into
 * the inbound queue of every port it goes to, and from there into that
 * partition's receive buffers by that partition's own CPU; no memory is
 * shared between partitions. Disk images are the files the loader read
 * from the ESP; writes go to that memory and stay for the hypervisor's
 * life (a restarted partition finds them; the image on the stick is not
 * changed). */
#ifndef VATRA_VMM_VIRTIO_H
#define VATRA_VMM_VIRTIO_H

#include "vmm/part_config.h"
#include "vmm/dev/virtio_blk.h"
#include "vmm/dev/virtio_net.h"
#include "vmm/dev/virtio_console.h"
#include "lib/sink.h"

#define VIRTIO_FIRST_SLOT	3		/* PCI device number of the first */
#define VIRTIO_BAR_BASE		0xe0000000u	/* BARs from here, one window each */
#define VIRTIO_INTX_GSI		11
#define VIRTIO_TX_DELAY_NS	100000		/* a NIC's kick waits this long for more frames */

struct partition;

struct part_virtio {
	struct virtq_req req;			/* one chain at a time: the partition's lock */
	struct virtio_blk blk[PART_MAX_DISKS];
	unsigned nblk;
	struct virtio_net net[PART_MAX_NICS];
	uint64_t tx_due[PART_MAX_NICS];		/* ns: when a deferred kick is sent */
	unsigned nnet;
	struct virtio_console con;
	bool has_con;
};

/* Adds the partition's devices to its PCI bus (at platform setup): 0, or
 * -errno with the reason logged (a disk that is missing or in use by a
 * running partition). */
int virtio_part_init(struct partition *p);
/* Its devices and their state, for "info NAME". */
void virtio_part_info(const struct partition *p, struct sink *out);
/* The operator's keystrokes for the partition: true when its hvc0 takes
 * them (hvc = console), false when they are the UART's. Lock held. */
bool virtio_console_input(struct partition *p, const uint8_t *s, size_t n);
/* Creates the switches vatra.cfg declares (at boot, before partitions). */
void virtio_switches_init(const char (*names)[PART_NAME_MAX], unsigned n);
/* Each switch: its ports, MAC table and counters, for "switch". */
void virtio_switch_report(struct sink *out);
/* The MAC of NIC i of a partition with this name when the config gives
 * none: 02 (locally administered, unicast) and 40 bits of a hash of both,
 * the same at every boot. */
void virtio_default_mac(const char *name, unsigned i, uint8_t mac[6]);

#endif
