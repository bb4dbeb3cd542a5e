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
 *  - Capabilities: the list is the device's, re-linked around any
 *    hidden one (a second MSI or MSI-X capability). MSI is emulated on
 *    shadow registers (one vector offered). MSI-X is emulated too: its
 *    Enable and Function Mask bits are shadows, and its table and PBA,
 *    which live in a BAR, are reached through ptdev_msix_access (the
 *    environment traps their pages and passes the rest of each page to
 *    the device); at most PTDEV_MSIX_MAX entries are offered. The
 *    environment learns every change of a vector's message or mask and
 *    programs the real function through interrupt remapping. Every other
 *    capability reads through and is read-only.
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
#define PTDEV_MSIX_MAX 32	/* a block of remapping entries holds at most 32 */

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
	/* MSI-X: the guest's Enable bit changed (the device's MSI-X is to be
	 * on or off), and vector i is now deliverable (enabled, neither it
	 * nor the function masked) or not, with its message; called on every
	 * change of any of them. */
	void (*msix_enable)(void *ctx, bool on);
	void (*msix_update)(void *ctx, unsigned i, bool on, uint64_t addr, uint32_t data);
	/* The guest's Command register INTx Disable bit (10) changed (it
	 * reached the device too); optional. */
	void (*intx_disable)(void *ctx, bool disabled);
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
	bool intx_hidden;		/* Interrupt Pin reads 0: no INTx route for it */
	bool intx_disabled;		/* the guest's INTx Disable, as last written */
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
	/* MSI-X (PCI Local Bus 3.0, 6.8.2): the capability and its shadow */
	uint8_t msix_off;		/* 0 = none */
	uint16_t msix_n;		/* entries offered (the device's, at most PTDEV_MSIX_MAX) */
	uint16_t msix_dev_n;		/* entries the device has */
	uint8_t msix_table_bir, msix_pba_bir;
	uint32_t msix_table_off, msix_pba_off;
	uint16_t msix_ctrl;		/* Enable and Function Mask */
	struct {
		uint32_t addr_lo, addr_hi, data, ctrl;
		bool on;		/* what msix_update last said */
		uint64_t cur_addr;	/* and with which message */
		uint32_t cur_data;
	} msix[PTDEV_MSIX_MAX];
	uint64_t msix_pending;		/* PBA: fired while masked */
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

/*
 * One guest access to the MSI-X table or PBA: off is from the start of
 * BAR bir, size 4 or 8 (naturally aligned, PCI Local Bus 3.0, 6.8.2).
 * Returns 0 when off lies in the table or the PBA (a read fills *val;
 * entries past those offered read 0 and ignore writes; the PBA is
 * read-only), or -ENOENT when it is neither (the caller forwards the
 * access to the device).
 */
int ptdev_msix_access(struct ptdev *d, unsigned bir, uint64_t off, unsigned size, bool write,
		      uint64_t *val);
/* The device raised vector i: true when it is to be delivered now;
 * false when it is masked (its pending bit is set, and the next
 * msix_update(on) of i is the time to deliver it: ptdev_msix_take). */
bool ptdev_msix_fire(struct ptdev *d, unsigned i);
/* Clears and returns vector i's pending bit. */
bool ptdev_msix_take(struct ptdev *d, unsigned i);

/*
 * The pieces of memory BAR bar (size bytes) whose guest accesses must
 * exit instead of reaching the device through the nested tables: all of
 * it when it is smaller than a page (its page may hold another device's
 * registers), else the whole pages holding the MSI-X table and the PBA
 * (merged when they share or touch pages), cut at the BAR's end. Fills
 * off[]/len[] (offsets in the BAR) and returns how many: 0, 1 or 2.
 */
#define PTDEV_PAGE 4096ull
unsigned ptdev_trap_ranges(const struct ptdev *d, unsigned bar, uint64_t size,
			   uint64_t off[2], uint64_t len[2]);

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
/*
 * Which of the partition's vCPUs (index into apic_ids[0..n)) a message
 * that passed ptdev_msi_check names: the one with its physical
 * destination APIC ID; 0 for a logical or broadcast message, which the
 * local APICs decide among themselves. The device's host vector goes to
 * that vCPU's CPU, so delivery and injection stay on one CPU.
 */
unsigned ptdev_msi_target(uint64_t addr, uint32_t data, const uint32_t *apic_ids, unsigned n);

#endif
