/* PCI configuration space of one partition, reached two ways:
 *   - configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2):
 *     CONFIG_ADDRESS at port 0xcf8 (dword accesses only) and CONFIG_DATA
 *     at ports 0xcfc-0xcff (byte, word or dword);
 *   - ECAM, an MMIO window where offset = bus << 20 | dev << 15 |
 *     fn << 12 | reg (PCI Express Base 4.0, 7.2.2), as the MCFG describes.
 * Both reach the same functions and the same registers.
 *
 * The partition has a table of PCI functions. Each has a 256-byte register
 * file (the conventional header and capabilities, PCI Local Bus 3.0, 6.1)
 * with a per-bit write mask, so plain registers need no code: a read
 * returns the bytes, a write changes only the writable bits. A device
 * model that needs more (BARs that move, virtio registers computed on the
 * fly, a passthrough device forwarding to the real one) adds vpci_ops
 * hooks. vpci_init() installs the host bridge at 00:00.0; virtio or
 * passthrough functions are added later with vpci_add().
 *
 * Functions that are not in the table read as all ones and ignore writes:
 * what a master abort returns on a real bus, and how an OS learns that
 * nothing is there (vendor ID 0xffff, PCI Local Bus 3.0, 6.2.1).
 *
 * Port routing note: only dword accesses to 0xcf8 are CONFIG_ADDRESS. Byte
 * and word accesses to 0xcf8-0xcfb are ordinary I/O (3.2.2.3.2); on PC
 * chipsets the byte port 0xcf9 is the reset control register. The I/O
 * dispatcher decides which to call.
 *
 * Pure code, no locking: the caller serializes accesses per partition.
 */
#ifndef VATRA_VMM_DEV_VPCI_H
#define VATRA_VMM_DEV_VPCI_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/devreg.h"

#define VPCI_MAX_FUNCS		16
#define VPCI_NBARS		6
#define VPCI_CFG_SIZE		256	/* conventional space, all CF8/CFC reaches */
#define VPCI_ECAM_FN_SIZE	4096	/* PCIe extended space, through ECAM */

/* Register offsets and values, PCI Local Bus 3.0 6.2 (Figure 6-1). */
#define VPCI_VENDOR_ID		0x00
#define VPCI_DEVICE_ID		0x02
#define VPCI_COMMAND		0x04
#define VPCI_STATUS		0x06
#define VPCI_REVISION		0x08
#define VPCI_PROG_IF		0x09
#define VPCI_SUBCLASS		0x0a
#define VPCI_CLASS		0x0b
#define VPCI_HEADER_TYPE	0x0e
#define VPCI_BAR0		0x10
#define VPCI_BAR5_END		0x28
#define VPCI_CAP_FIRST		0x40	/* capabilities go after the header */
#define VPCI_SUBSYS_VENDOR	0x2c
#define VPCI_CAP_PTR		0x34
#define VPCI_INT_LINE		0x3c
#define VPCI_INT_PIN		0x3d

#define VPCI_CMD_IO		(1u << 0)
#define VPCI_CMD_MEMORY		(1u << 1)
#define VPCI_CMD_MASTER		(1u << 2)
#define VPCI_CMD_PARITY		(1u << 6)
#define VPCI_CMD_SERR		(1u << 8)
#define VPCI_CMD_INTX_DISABLE	(1u << 10)
#define VPCI_STATUS_CAP_LIST	(1u << 4)

/* BAR types, the read-only low bits of a BAR (PCI Local Bus 3.0,
 * 6.2.5.1): memory (bit 0 = 0) decoded anywhere in 32 bits or, type
 * 10b, in 64 bits over two BARs, optionally prefetchable (bit 3); or I/O
 * (bit 0 = 1). */
#define VPCI_BAR_MEM32		0x0u
#define VPCI_BAR_MEM64		0x4u
#define VPCI_BAR_PREFETCH	0x8u
#define VPCI_BAR_IO		0x1u

/* The host bridge at 00:00.0: Intel 82G33/P35 DRAM controller ids, which
 * Q35-class virtual machines present. See vpci.c for why. */
#define VPCI_HB_VENDOR		0x8086
#define VPCI_HB_DEVICE		0x29c0

struct vpci_func;

/*
 * Device-specific behaviour on top of the register file. Both hooks are
 * optional; reg is 0..4095 (above 255 only through ECAM), size is 1, 2 or
 * 4 and reg..reg+size-1 never crosses a dword.
 */
struct vpci_ops {
	/* Called with the value the register file gives (0 above 255);
	 * returns what the guest reads. */
	uint32_t (*read)(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val);
	/* Called after the write mask has been applied to the register
	 * file, with the value exactly as the guest wrote it. */
	void (*write)(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val);
};

/* A BAR a device model decodes: the registry range that follows the
 * guest's writes to the BAR and to the Command register's decode bits. */
struct vpci_bar {
	uint64_t size;			/* 0: no BAR here (or the upper half of one) */
	uint32_t type;			/* VPCI_BAR_* */
	int handle;			/* in the decoder, -1 while not decoding */
	uint64_t base;			/* where it decodes while handle >= 0 */
	devreg_fn fn;			/* its accesses, off from the BAR's base */
	void *ctx;
};

struct vpci_func {
	bool used;
	uint8_t bus, dev, fn;
	struct vpci *pci;		/* the bus it sits on */
	struct vpci_bar bars[VPCI_NBARS];
	unsigned cap_end;		/* first free byte for vpci_cap_add */
	uint8_t cfg[VPCI_CFG_SIZE];	/* register values, little endian */
	uint8_t wmask[VPCI_CFG_SIZE];	/* 1 = the guest may change this bit */
	const struct vpci_ops *ops;	/* NULL: plain register file */
	void *ctx;			/* the device model's own state */
};

struct vpci {
	uint32_t cf8;			/* CONFIG_ADDRESS as the guest set it */
	struct devreg *reg;		/* where BARs register; NULL: BARs never decode */
	struct vpci_func funcs[VPCI_MAX_FUNCS];
};

/* Clears everything and installs the host bridge at 00:00.0. BARs
 * register in reg (which may be NULL in tests that need no BARs). */
void vpci_init(struct vpci *p, struct devreg *reg);

/*
 * Adds function bus:dev.fn with an all-zero, read-only register file; the
 * caller then fills cfg[] and wmask[] (vpci_cfg_set() helps). Returns 0
 * and sets *out, -EINVAL for dev > 31 or fn > 7, -EEXIST when the
 * function is already there, -ENOSPC when the table is full.
 * As on real hardware an OS scanning a device looks at fn 0 first, and at
 * fn 1-7 only if fn 0's header type has bit 7 (multi-function) set.
 */
int vpci_add(struct vpci *p, uint8_t bus, uint8_t dev, uint8_t fn,
	     const struct vpci_ops *ops, void *ctx, struct vpci_func **out);

/* Stores size (1, 2 or 4) bytes of val at reg of the register file,
 * ignoring the write mask: for device models setting up their header. */
void vpci_cfg_set(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val);

/*
 * Declares BAR idx (0-5) of a memory (VPCI_BAR_MEM32 or MEM64, optionally
 * | VPCI_BAR_PREFETCH) or I/O (VPCI_BAR_IO) window of size bytes, a power
 * of two: at least 16 for memory, 4 to 256 for I/O (PCI Local Bus 3.0,
 * 6.2.5.1). A 64-bit BAR also takes idx + 1. The BAR then follows the
 * sizing protocol by itself (all ones written, the size mask with the
 * type bits read back) and decodes at the address the guest writes
 * whenever the Command register's matching decode bit is set: fn gets
 * the accesses. 0, or -EINVAL for a bad index, type or size.
 */
int vpci_bar_add(struct vpci_func *f, unsigned idx, uint32_t type, uint64_t size,
		 devreg_fn fn, void *ctx);
/* The guest-physical (or port) address BAR idx holds, decoding or not. */
uint64_t vpci_bar_addr(const struct vpci_func *f, unsigned idx);
/*
 * Appends a capability: ID id, then len body bytes (everything after the
 * ID and next-pointer bytes), linked at the end of the list; the Status
 * register's capabilities-list bit and the capabilities pointer are set
 * (6.7). Sets *off to its offset; the body stays read-only unless the
 * caller opens bits in wmask[]. -ENOSPC when it does not fit in the
 * 256-byte space.
 */
int vpci_cap_add(struct vpci_func *f, uint8_t id, const void *body, unsigned len,
		 unsigned *off);

/* Configuration mechanism #1. The CF8 calls are for dword accesses to
 * port 0xcf8; offset is the port minus 0xcfc (0..3) and size 1, 2 or 4.
 * An access with offset + size > 4 reaches past CONFIG_DATA and is not
 * handled here: it reads all ones and writes nothing. */
uint32_t vpci_cf8_read(struct vpci *p);
void vpci_cf8_write(struct vpci *p, uint32_t val);
uint32_t vpci_cfc_read(struct vpci *p, unsigned offset, unsigned size);
void vpci_cfc_write(struct vpci *p, unsigned offset, unsigned size, uint32_t val);
/* Whether a CONFIG_DATA access (offset 0-3, size) under the CONFIG_ADDRESS
 * the guest holds now reaches no function, so that it reads all ones and
 * writes nothing. Needs no lock: CONFIG_ADDRESS is read once, atomically,
 * and the function table does not change while the partition runs (it is
 * built before its vCPUs start and torn down after all have left). */
bool vpci_cfc_none(struct vpci *p, unsigned offset, unsigned size);

/* ECAM: off is the offset into the window (bus 0 at 0), size 1, 2 or 4.
 * Accesses of another size, crossing a dword, or beyond bus 255 read all
 * ones (of size, or 32 bits for bad sizes) and write nothing: the MMIO
 * layer splits wider guest accesses if it wants them to work. */
uint32_t vpci_ecam_read(struct vpci *p, uint64_t off, unsigned size);
void vpci_ecam_write(struct vpci *p, uint64_t off, unsigned size, uint32_t val);

#endif
