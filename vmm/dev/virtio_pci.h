/* The virtio 1.x PCI transport, modern only (virtio 1.x, 4.1): one PCI
 * function with vendor ID 1af4 and device ID 1040 + the virtio device
 * type, whose single 32-bit memory BAR holds the common configuration,
 * the ISR status byte, the device-specific configuration, the queue
 * notification doorbells and the MSI-X table and PBA. The vendor
 * capabilities point there, plus the PCI configuration access capability
 * that reaches the same registers through configuration space.
 *
 * Feature negotiation offers VIRTIO_F_VERSION_1, INDIRECT_DESC, EVENT_IDX
 * and what the device model adds, and refuses FEATURES_OK for any other
 * bit or without VERSION_1. Queue interrupts go out as MSI-X messages
 * through dev_env when the driver enabled MSI-X, else on the INTx line
 * with the ISR bits. A bad ring puts the device into DEVICE_NEEDS_RESET
 * (2.1.1) with one log line and a configuration change interrupt; the
 * device then does nothing until the driver resets it.
 *
 * Pure code, no locking: the caller serializes per partition. */
#ifndef VATRA_VMM_DEV_VIRTIO_PCI_H
#define VATRA_VMM_DEV_VIRTIO_PCI_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/vpci.h"
#include "vmm/dev/virtq.h"
#include "vmm/dev/devenv.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040		/* + device type (4.1.2.1) */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Transport feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC	(1ull << 28)
#define VIRTIO_F_EVENT_IDX	(1ull << 29)
#define VIRTIO_F_VERSION_1	(1ull << 32)

#define VIRTIO_MAX_QUEUES	4
#define VIRTIO_MSIX_VECTORS	(VIRTIO_MAX_QUEUES + 1)
#define VIRTIO_NO_VECTOR	0xffff
#define VIRTIO_QUEUE_SIZE	256

/* The BAR's layout. */
#define VIRTIO_BAR_SIZE		0x8000
#define VIRTIO_BAR_COMMON	0x0000
#define VIRTIO_BAR_ISR		0x1000
#define VIRTIO_BAR_DEVICE	0x2000
#define VIRTIO_BAR_NOTIFY	0x3000
#define VIRTIO_BAR_MSIX		0x4000
#define VIRTIO_BAR_PBA		0x5000
#define VIRTIO_NOTIFY_MULT	4
#define VIRTIO_COMMON_SIZE	0x38

struct virtio_dev;

/* What a device type adds to the transport. */
struct virtio_dev_ops {
	uint8_t type;			/* VIRTIO_ID_* */
	uint8_t class, subclass;	/* PCI class code */
	unsigned nqueues;		/* 1..VIRTIO_MAX_QUEUES */
	unsigned cfg_size;		/* bytes of device configuration, <= 0x1000 */
	/* One byte of the device configuration (off < cfg_size), and a write
	 * to it (may be NULL: read-only). */
	uint8_t (*cfg_read)(struct virtio_dev *d, unsigned off);
	void (*cfg_write)(struct virtio_dev *d, unsigned off, uint8_t val);
	/* The driver notified queue q (enabled, device live). */
	void (*notify)(struct virtio_dev *d, unsigned q);
	/* The device is reset (by the driver, or at setup). */
	void (*reset)(struct virtio_dev *d);
};

struct virtio_queue {
	uint16_t size, msix;
	bool enabled;
	uint64_t desc, avail, used;
	struct virtq vq;
};

struct virtio_msix_entry {
	uint64_t addr;
	uint32_t data, ctrl;		/* ctrl bit 0: masked */
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *ctx;			/* the device model's own state */
	const struct dev_env *env;
	uint64_t ram_size;
	struct vpci_func *pci;
	struct virtq_req *req;		/* scratch for one chain, shared per partition */
	/* One line about the device: queue q (or the device, q < 0) broke
	 * the rules, why says how; it needs a reset. */
	void (*log)(struct virtio_dev *d, int q, const char *why);
	void *log_ctx;
	uint64_t features;		/* offered */
	uint64_t driver_features;	/* accepted by the driver */
	uint32_t dfselect, gfselect;
	uint8_t status, generation, isr;
	uint16_t qsel, config_msix;
	struct virtio_queue q[VIRTIO_MAX_QUEUES];
	struct virtio_msix_entry msix[VIRTIO_MSIX_VECTORS];
	uint32_t pba;
	unsigned msix_cap, cfg_cap;	/* capability offsets */
	bool intx;			/* the INTx line's level */
	unsigned intx_gsi;
	/* statistics */
	uint64_t notifies, interrupts, resets, needs_resets;
};

/* Adds the function at 00:dev.0 with BAR0 at bar (the address firmware
 * would have given it, decoding from the start; the guest may move it),
 * offering features (device-specific bits) on top of the transport's.
 * INTx is pin A on intx_gsi. 0 or -errno from vpci. */
int virtio_pci_add(struct virtio_dev *d, struct vpci *pci, uint8_t dev, uint32_t bar,
		   const struct virtio_dev_ops *ops, void *ctx, uint64_t features,
		   const struct dev_env *env, uint64_t ram_size, struct virtq_req *req,
		   unsigned intx_gsi);
/* The BAR's registers, off from its base (devreg_fn's contract). */
int virtio_pci_bar(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size, bool write,
		   uint64_t *val);
/* Whether the driver set DRIVER_OK and the device does not need a reset. */
bool virtio_live(const struct virtio_dev *d);
/* Whether the driver accepted feature bit f (a VIRTIO_F_* mask). */
bool virtio_has(const struct virtio_dev *d, uint64_t f);
/* The device used buffers of queue q: interrupts the driver when it asked
 * for it (the queue's suppression, then MSI-X or INTx). */
void virtio_used(struct virtio_dev *d, unsigned q);
/* The device configuration changed: generation and interrupt. */
void virtio_config_changed(struct virtio_dev *d);
/* Queue q (or the device, q < 0) is broken: DEVICE_NEEDS_RESET, the log
 * line, a configuration change interrupt. */
void virtio_needs_reset(struct virtio_dev *d, int q, const char *why);
/* The device's state, for reports: "reset", "negotiating", "live",
 * "needs reset", "failed". */
const char *virtio_state(const struct virtio_dev *d);

#endif
