/* The type 0 header of a passed-through function, byte by byte: what the
 * guest reads and which of its write bits reach the device (PCI Local
 * Bus 3.0, 6.1-6.2; PCI Express Base 4.0, 7.5.1). Everything not listed
 * here as writable is read-only to the guest, whatever it writes. */
#include "vmm/dev/ptdev.h"

/* Command (6.2.2): I/O and memory decode, bus master, parity error
 * response, SERR# enable, interrupt disable. Not: special cycles, memory
 * write and invalidate, VGA palette snoop, fast back-to-back (nothing a
 * guest needs, and MWI/snoop reach the host's bus behaviour). */
#define CMD_LO (VPCI_CMD_IO | VPCI_CMD_MEMORY | VPCI_CMD_MASTER | VPCI_CMD_PARITY)
#define CMD_HI ((VPCI_CMD_SERR | VPCI_CMD_INTX_DISABLE) >> 8)
/* Status (6.2.3): bit 8 master data parity error and bits 11-15 (target
 * abort signalled/received, master abort, SERR# signalled, parity error)
 * are write-1-to-clear; the rest is read-only. */
#define STS_HI_W1C 0xf9

#define R { PTDEV_WL_REAL, 0, 0 }
#define Z { PTDEV_WL_ZERO, 0, 0 }
#define S { PTDEV_WL_SHADOW, 0, 0 }

static const struct ptdev_wl header[64] = {
	/* 0x00 vendor, device */
	R, R, R, R,
	/* 0x04 command, status */
	{ PTDEV_WL_REAL, CMD_LO, 0 }, { PTDEV_WL_REAL, CMD_HI, 0 },
	R, { PTDEV_WL_REAL, STS_HI_W1C, STS_HI_W1C },
	/* 0x08 revision, prog IF, subclass, class */
	R, R, R, R,
	/* 0x0c cache line size, latency timer (both the guest's), header
	 * type (shadow: one function, whatever the device is), BIST
	 * (read-only: a self-test is not the guest's to start) */
	{ PTDEV_WL_REAL, 0xff, 0 }, { PTDEV_WL_REAL, 0xff, 0 }, S, R,
	/* 0x10-0x27 BARs */
	S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S,
	/* 0x28 CardBus CIS pointer: hidden */
	Z, Z, Z, Z,
	/* 0x2c subsystem vendor and ID */
	R, R, R, R,
	/* 0x30 expansion ROM: hidden, reads as not implemented */
	Z, Z, Z, Z,
	/* 0x34 capabilities pointer (re-linked list), reserved */
	S, Z, Z, Z,
	/* 0x38 reserved */
	Z, Z, Z, Z,
	/* 0x3c interrupt line (shadow), pin, Min_Gnt, Max_Lat */
	S, R, R, R,
};

const struct ptdev_wl *ptdev_wl_byte(unsigned reg)
{
	static const struct ptdev_wl zero = Z;

	return reg < 64 ? &header[reg] : &zero;
}
