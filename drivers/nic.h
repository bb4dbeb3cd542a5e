/* Network interfaces the hypervisor itself owns (the management NIC).
 * A driver fills struct nic for one PCI function; the network stack
 * (net/) only sends frames and polls for received ones through it. The
 * device is polled by one CPU: no interrupts, no locking inside. */
#ifndef VATRA_DRIVERS_NIC_H
#define VATRA_DRIVERS_NIC_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "drivers/pci.h"

#define NIC_MTU_FRAME 1514   /* Ethernet frame without FCS */

typedef void (*nic_rx_fn)(void *ctx, const void *frame, size_t len);

struct nic {
	const char *model;            /* "virtio-net", "e1000e", ... */
	const struct pci_dev *pci;
	uint8_t mac[6];
	/* Queues one frame (len <= NIC_MTU_FRAME); 0, or -EAGAIN when the
	 * transmit ring is full, -EINVAL for a bad length. */
	int (*send)(struct nic *n, const void *frame, size_t len);
	/* Hands up to budget received frames to rx, gives their buffers
	 * back to the device; returns how many. */
	unsigned (*poll)(struct nic *n, nic_rx_fn rx, void *ctx, unsigned budget);
	bool (*link_up)(struct nic *n);
	void *priv;
	/* With an IOMMU: the NIC's own domain, mapping exactly the memory
	 * nic_dma_alloc gave its driver (1:1), nothing else. */
	struct iommu_domain *dom;
	/* counters */
	uint64_t rx_frames, tx_frames, rx_dropped, tx_full;
};

/* A driver: whether it takes this function, and bringing it up (reset,
 * rings, MAC). */
struct nic_driver {
	const char *name;
	bool (*match)(const struct pci_dev *d);
	int (*init)(const struct pci_dev *d, struct nic *n);
};

extern const struct nic_driver virtio_net_driver;
extern const struct nic_driver e1000_driver;

/* DMA memory for a NIC driver: pages zeroed, physically contiguous and
 * aligned to one page, and, when the machine's IOMMU covers the NIC,
 * mapped one to one in the NIC's domain. Returns the physical address or
 * 0 (out of memory, or the mapping failed: said in the log). */
uint64_t nic_dma_alloc(struct nic *n, uint64_t pages);

/* Finds and brings up the management NIC: want is "auto" (the first
 * function a driver takes that nobody owns and reserved, when given, does
 * not keep for a partition's `devices =`) or a BDF "SEG:BUS:DEV.FN" /
 * "BUS:DEV.FN" (hex). Claims it for the hypervisor (pci_claim_hv).
 * Returns 0, -ENODEV when none matches, or the driver's error. Every
 * failure is logged once. */
int nic_open(const char *want, struct nic *out, bool (*reserved)(const struct pci_dev *d));

/* Parses a BDF as nic_open takes it; 0 or -EINVAL. Pure. */
int nic_parse_bdf(const char *s, uint16_t *seg, uint8_t *bus, uint8_t *devfn);

#endif
