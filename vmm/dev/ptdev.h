/* A passed-through PCI function's configuration space as its partition
 * sees it: a model that sits behind one vpci function (its vpci_ops) and
 * decides for every byte whether the guest reads the real device, a
 * shadow, or zero, and whether a write reaches the device at all.
 *
 *  - Header (type 0, PCI Local Bus 3.0, 6.1): a per-byte whitelist
 *    (vmm/dev/ptdev_wl.c). Only Command (decode, bus master, parity,
 *    SERR#, INTx disable), Status (its write-1-to-clear error bits),
 *    cache line size and latency timer reach the device. Identity,
 *    class, subsystem IDs, interrupt pin, Min_Gnt/Max_Lat read through.
 *    The BARs are shadowed: the guest sizes and places them, and the
 *    model asks its environment to map the real BAR where the guest put
 *    it while the matching decode bit is set (and to unmap it when it
 *    moves or decode goes off). The expansion ROM is hidden (reads 0:
 *    not implemented), so is the CardBus CIS pointer; Interrupt Line is
 *    a shadow (it means nothing to the device).
 *  - Capabilities: the list is the device's, minus the ones hidden
 *    (MSI-X: its table is not emulated yet), re-linked. MSI is emulated
 *    on shadow registers (one vector offered); the environment learns
 *    every change and programs the real function through interrupt
 *    remapping. Every other capability reads through and is read-only.
 *  - Extended configuration space (0x100-0xfff): reads through,
 *    read-only.
 *
 * Pure code: the device is reached only through struct ptdev_env, so
 * the model runs over a fake function in the unit tests. The caller
 * serializes accesses (the partition lock). */
#ifndef VATRA_VMM_DEV_PTDEV_H
#define VATRA_VMM_DEV_PTDEV_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/vpci.h"

#define PTDEV_NBARS 6
#define PTDEV_MAX_CAPS 16

struct ptdev_env {
	/* The real function's configuration space (reg aligned to size). */
	uint32_t (*cfg_read)(void *ctx, unsigned reg, unsigned size);
	void (*cfg_write)(void *ctx, unsigned reg, unsigned size, uint32_t val);
	/* Maps real BAR i at guest address (or port) gaddr, or unmaps it
	 * from there. A refusal (an address outside the partition's PCI
	 * window, overlapping something) leaves the BAR unmapped: 0 or
	 * negative. */
	int (*bar_map)(void *ctx, unsigned i, uint64_t gaddr, bool on);
	/* The guest's MSI: enabled and not masked, with its message; called
	 * on every change of any of them. */
	void (*msi_update)(void *ctx, bool on, uint64_t addr, uint32_t data);
	void *ctx;
};

/* One BAR as the device has it. */
struct ptdev_bar_info {
	uint64_t size;			/* 0: none (or the upper half of a 64-bit one) */
	uint32_t type;			/* VPCI_BAR_IO, _MEM32 or _MEM64 [| _PREFETCH] */
};

struct ptdev_bar {
	uint64_t size;
	uint32_t type;
	bool upper;			/* the high dword of the BAR below */
	uint32_t shadow;		/* the register as the guest reads it */
	bool mapped;
	uint64_t mapped_at;
};

struct ptdev_cap {
	uint8_t off, id;
	bool hidden;
};

struct ptdev {
	struct ptdev_env env;
	struct ptdev_bar bars[PTDEV_NBARS];
	uint16_t cmd;			/* the guest's Command decode bits, as last written */
	uint8_t int_line;
	struct ptdev_cap caps[PTDEV_MAX_CAPS];
	unsigned ncaps;
	uint8_t cap_ptr;		/* first visible capability, 0 = none */
	/* MSI (PCI Local Bus 3.0, 6.8.1): the capability and its shadow */
	uint8_t msi_off;		/* 0 = the device has no MSI */
	bool msi_64, msi_maskable;
	uint16_t msi_ctrl;		/* Enable only: one vector offered */
	uint32_t msi_addr_lo, msi_addr_hi, msi_mask;
	uint16_t msi_data;
	bool msi_on;			/* what msi_update last said */
	uint64_t msi_cur_addr;
	uint32_t msi_cur_data;
	/* guest writes that reached nothing (outside the whitelist) */
	uint64_t dropped_writes;
};

/*
 * Sets the model up for the device env reaches: its BARs (as the host
 * enumeration sized them) pre-assigned at gaddr[i] as firmware would
 * (0 = leave unassigned), decode and bus mastering off, the capability
 * list walked (at most PTDEV_MAX_CAPS, loops cut). Nothing is mapped
 * until the guest turns decoding on. -EINVAL for a BAR the model
 * cannot express.
 */
int ptdev_init(struct ptdev *d, const struct ptdev_env *env,
	       const struct ptdev_bar_info bars[PTDEV_NBARS], const uint64_t gaddr[PTDEV_NBARS]);
/* Unmaps every BAR and turns the guest's MSI off (msi_update(false)). */
void ptdev_shutdown(struct ptdev *d);

/* The guest's accesses, as vpci_ops hooks (reg 0..4095, size 1, 2 or 4,
 * within one dword). */
uint32_t ptdev_cfg_read(struct ptdev *d, unsigned reg, unsigned size);
void ptdev_cfg_write(struct ptdev *d, unsigned reg, unsigned size, uint32_t val);
/* The ops that route a vpci function (whose ctx is the ptdev) here. */
extern const struct vpci_ops ptdev_vpci_ops;

/* The guest address BAR i holds (the upper half folded in). */
uint64_t ptdev_bar_addr(const struct ptdev *d, unsigned i);

/* ---- the header whitelist (vmm/dev/ptdev_wl.c) ---- */

enum ptdev_wl_kind {
	PTDEV_WL_REAL,		/* reads the device; writes reach it only in wmask bits */
	PTDEV_WL_ZERO,		/* reads 0, writes dropped */
	PTDEV_WL_SHADOW,	/* the model's own (BARs, Interrupt Line, capability pointer) */
};

struct ptdev_wl {
	uint8_t kind;		/* enum ptdev_wl_kind */
	uint8_t wmask;		/* bits the guest's write sets in the device */
	uint8_t w1c;		/* of those, bits that are write-1-to-clear */
};

/* The rule for header byte reg (0..63). */
const struct ptdev_wl *ptdev_wl_byte(unsigned reg);

/*
 * Whether a guest's MSI message may be delivered: it must be in the
 * interrupt window, fixed or lowest-priority, edge, with a vector of 16
 * or more, physical to one of the partition's APIC IDs (apic_ids[0..n))
 * or logical/broadcast (delivered by the partition's own local APICs,
 * which decide). 0, or -EINVAL with *why set.
 */
int ptdev_msi_check(uint64_t addr, uint32_t data, const uint32_t *apic_ids, unsigned n,
		    const char **why);

#endif
