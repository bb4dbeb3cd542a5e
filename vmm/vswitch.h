/* A virtual switch between partitions: an L2 learning bridge (IEEE
 * 802.1D's forwarding, without spanning tree). Each port has a delivery
 * callback; a frame from a port teaches the switch where its source MAC
 * lives, then goes to the port its destination was learnt on, or to every
 * other port when the destination is broadcast, multicast or not known
 * yet. A port that does not take a frame (its callback says no room)
 * drops it and counts the drop; the sender never waits. Ports are NICs of
 * partitions today; an uplink to a physical NIC would be one more port
 * with its own callback.
 *
 * Pure code, no locking: the caller serializes per switch. */
#ifndef VATRA_VMM_VSWITCH_H
#define VATRA_VMM_VSWITCH_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define VSW_NAME_MAX	32
#define VSW_MAX_PORTS	16
#define VSW_MAC_ENTRIES	64
#define VSW_AGE_NS	300000000000ull		/* 300 s, 802.1D's default ageing time */
#define VSW_FRAME_MIN	14			/* destination, source, type */
#define VSW_FRAME_MAX	1518			/* 1500 bytes of payload, a VLAN tag */

/* Delivers a frame to the port's owner: 0 taken, else not (no room). */
typedef int (*vsw_rx_fn)(void *ctx, const uint8_t *frame, size_t len);

struct vsw_port {
	bool used;
	char label[48];			/* for reports: "web eth0" */
	vsw_rx_fn rx;
	void *ctx;
	/* counters: frames the port sent into the switch, and delivered to it */
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
	uint64_t drops;			/* frames for it that it did not take */
	uint64_t bad;			/* frames from it that were too short or long */
};

struct vsw_mac {
	bool used;
	uint8_t mac[6];
	unsigned port;
	uint64_t seen;			/* ns */
};

struct vswitch {
	char name[VSW_NAME_MAX];
	struct vsw_port ports[VSW_MAX_PORTS];
	struct vsw_mac macs[VSW_MAC_ENTRIES];
	uint64_t floods, unknown;	/* frames flooded; of them, to unknown unicast */
};

void vsw_init(struct vswitch *s, const char *name);
/* A new port: its index, or -ENOSPC. */
int vsw_port_add(struct vswitch *s, const char *label, vsw_rx_fn rx, void *ctx);
/* Gone: its learnt MACs are forgotten. */
void vsw_port_del(struct vswitch *s, unsigned port);
/* A frame from port at time now (ns): learnt, forwarded or flooded.
 * Returns how many ports took it. */
unsigned vsw_input(struct vswitch *s, unsigned port, const uint8_t *frame, size_t len,
		   uint64_t now);
/* The port a MAC was learnt on and not aged out, or -1. */
int vsw_lookup(const struct vswitch *s, const uint8_t *mac, uint64_t now);

#endif
