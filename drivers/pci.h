/* The machine's PCI functions: configuration access (ECAM from the
 * ACPI MCFG, mechanism #1 at 0xCF8/0xCFC where there is none), one
 * enumeration at boot, and the report behind the shell's `pci`.
 *
 * The enumeration (drivers/pci_enum.c) is pure: it reaches configuration
 * space only through struct pci_cfg_ops, so it runs over a fake
 * configuration space in the unit tests. drivers/pci.c supplies the
 * host's ops and keeps the one tree of the machine.
 *
 * References: PCI Local Bus 3.0 (6.1 header, 6.2.5 BARs, 6.7 capability
 * list, 6.8 MSI/MSI-X), PCI-to-PCI Bridge 1.2 (3.2 type 1 header), PCI
 * Express Base 4.0 (7.2.2 ECAM, 7.5.3 PCIe capability, 7.6 extended
 * capabilities), PCI Firmware 3.2 4.1.2 (MCFG). */
#ifndef VATRA_DRIVERS_PCI_H
#define VATRA_DRIVERS_PCI_H

#include <stdint.h>
#include <stdbool.h>
#include "lib/sink.h"

struct acpi_info;

#define PCI_MAX_DEVS 256	/* functions kept; more are counted, not kept */
#define PCI_MAX_ROOTS 8		/* host bridges (one per MCFG entry) */
#define PCI_MAX_BARS 6
#define PCI_MAX_CAPS 16
#define PCI_MAX_ECAPS 16
#define PCI_MAX_PROBLEMS 32
#define PCI_MAX_DEPTH 32	/* bridges below bridges, walked at most */

/* Configuration space, reached through these. reg is aligned to width
 * (1, 2 or 4); reads of an absent function return all-ones. */
struct pci_cfg_ops {
	uint32_t (*read)(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn,
			 uint16_t reg, unsigned width);
	void (*write)(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn,
		      uint16_t reg, unsigned width, uint32_t val);
	void *ctx;
};

/* A host bridge: where enumeration starts (bus_start) and the buses its
 * bridges may use. cfg_size is 4096 through ECAM, 256 through CF8/CFC
 * (then no extended capabilities are read). */
struct pci_root {
	uint16_t seg;
	uint8_t bus_start, bus_end;
	uint16_t cfg_size;
	bool ecam;
	uint64_t ecam_base;	/* for the report only */
};

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	uint64_t base;		/* as programmed (type bits cleared) */
	uint64_t size;		/* 0: not implemented */
	uint8_t type;		/* enum pci_bar_type */
	bool prefetch;
};

struct pci_cap {
	uint16_t id;
	uint16_t off;
};

/* Standard capability IDs (PCI Code and ID Assignment 1.11, 2). */
#define PCI_CAP_PM 0x01
#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_PCIE 0x10
#define PCI_CAP_MSIX 0x11
#define PCI_CAP_AF 0x13

struct pci_dev {
	uint16_t seg;
	uint8_t bus, devfn;
	uint16_t vendor, device;
	uint8_t class, subclass, progif, revision;
	uint8_t hdr_type;	/* bits 6:0 of the Header Type register */
	bool multifunction;
	uint8_t irq_pin, irq_line;	/* pin 0 = none, 1..4 = INTA#..INTD# */
	uint8_t depth;		/* bridges above it */
	int16_t parent;		/* index of the bridge above, -1 on a root bus */
	uint16_t cfg_size;	/* 256 or 4096 */
	uint8_t nbars;		/* BAR slots of the header type: 6, 2 or 1 */
	struct pci_bar bar[PCI_MAX_BARS];	/* a 64-bit BAR's upper slot stays NONE */
	/* type 1 (bridge): bus numbers and forwarding windows as the
	 * firmware set them; a window with base > limit is closed */
	uint8_t sec_bus, sub_bus;
	uint32_t io_base, io_limit;
	uint32_t mem_base, mem_limit;
	uint64_t pref_base, pref_limit;
	struct pci_cap caps[PCI_MAX_CAPS];
	uint8_t ncaps;
	struct pci_cap ecaps[PCI_MAX_ECAPS];
	uint8_t necaps;
	/* what the capabilities say */
	uint16_t msi_off;	/* 0 = no MSI */
	uint8_t msi_vectors;	/* Multiple Message Capable, as a count */
	bool msi_64bit, msi_maskable;
	uint16_t msix_off;	/* 0 = no MSI-X */
	uint16_t msix_size;	/* table entries */
	uint8_t msix_table_bir, msix_pba_bir;
	uint32_t msix_table_off, msix_pba_off;
	uint16_t pcie_off;	/* 0 = not PCI Express */
	uint8_t pcie_type;	/* Device/Port Type */
	uint16_t pm_off;
	bool flr;		/* Function Level Reset: PCIe DevCap bit 28 or AF */
	/* who has it (drivers/pci_owner.c): free to pass through, the
	 * hypervisor's own (owner_name says what for), or partition owner_id's
	 * (owner_name is its name). Changed only under the caller's lock. */
	uint8_t owner;		/* enum pci_owner */
	int owner_id;
	char owner_name[32];
};

enum pci_owner { PCI_OWNER_FREE, PCI_OWNER_HV, PCI_OWNER_PART };

enum pci_problem_kind {
	PCI_PROB_CAP_LOOP = 1,	/* the capability list comes back to itself */
	PCI_PROB_CAP_PTR,	/* a pointer into the header (< 0x40) */
	PCI_PROB_CAP_MANY,	/* more capabilities than kept */
	PCI_PROB_ECAP_PTR,	/* an extended pointer < 0x100 or unaligned */
	PCI_PROB_ECAP_LOOP,
	PCI_PROB_BAR,		/* a BAR that sizes to nonsense: ignored */
	PCI_PROB_BAR64_LAST,	/* a 64-bit BAR in the last slot */
	PCI_PROB_HEADER,	/* unknown header type (all-ones registers): skipped */
	PCI_PROB_BRIDGE_BUS,	/* a bridge's secondary bus is unusable: not walked */
	PCI_PROB_DEPTH,		/* bridges nested deeper than PCI_MAX_DEPTH */
	PCI_PROB_FULL,		/* PCI_MAX_DEVS reached: the rest only counted */
};

struct pci_problem {
	uint16_t seg;
	uint8_t bus, devfn;
	uint8_t kind;		/* enum pci_problem_kind */
	uint16_t where;		/* the register or pointer concerned */
	uint32_t value;		/* what it held */
};

struct pci_tree {
	struct pci_root roots[PCI_MAX_ROOTS];
	unsigned nroots;
	struct pci_dev devs[PCI_MAX_DEVS];
	unsigned ndevs;
	unsigned dropped;	/* functions found when devs[] was full */
	struct pci_problem problems[PCI_MAX_PROBLEMS];
	unsigned nproblems, problems_dropped;
};

/* ---- pure (drivers/pci_enum.c) ---- */

/* Enumerates every root of t->roots (set by the caller) depth-first: each
 * root's bus_start, then each bridge's secondary bus when it lies in the
 * root's range and was not walked before. BARs are sized with I/O and
 * memory decode off in the Command register, which is restored after.
 * Returns the number of functions found (kept or not). */
unsigned pci_enum(struct pci_tree *t, const struct pci_cfg_ops *ops);

/* Sizes the BAR slot i of a function: fills b, returns the number of
 * slots it takes (1, or 2 for 64-bit), or for nonsense -PCI_PROB_BAR or
 * -PCI_PROB_BAR64_LAST (then b is NONE and *bad holds the value read
 * back). Decode must already be off. */
int pci_bar_size(const struct pci_cfg_ops *ops, uint16_t seg, uint8_t bus, uint8_t devfn,
		 unsigned i, unsigned nbars, struct pci_bar *b, uint32_t *bad);

const struct pci_cap *pci_find_cap(const struct pci_dev *d, uint16_t id);
const struct pci_cap *pci_find_ecap(const struct pci_dev *d, uint16_t id);

/* Names for the report. */
const char *pci_class_name(uint8_t class, uint8_t subclass);
const char *pci_cap_name(uint16_t id);
const char *pci_ecap_name(uint16_t id);
const char *pci_problem_text(uint8_t kind);

/* The tree as text: one line per function (seg:bus:dev.fn, IDs, class,
 * owner), its BARs, capabilities and extended capabilities; then the
 * problems found. */
void pci_tree_report(const struct pci_tree *t, struct sink *out);
/* One line for a problem. */
void pci_problem_report(const struct pci_problem *p, struct sink *out);
/* "pci: N function(s) on N bus(es) of N segment(s) through ECAM|CF8/CFC",
 * without a newline. */
void pci_tree_summary(const struct pci_tree *t, struct sink *out);

/* ---- ownership (drivers/pci_owner.c, pure) ---- */

/* The function at seg:bus:devfn, or NULL. */
struct pci_dev *pci_tree_find(struct pci_tree *t, uint16_t seg, uint8_t bus, uint8_t devfn);
/* The hypervisor keeps d for itself (a driver's device: the serial
 * console's, the IOMMU's own function, the management NIC): it can never
 * be assigned. why is kept (cut to 31 characters). */
void pci_set_hypervisor(struct pci_dev *d, const char *why);
/* d becomes partition id's: 0, or -EBUSY when it is not free. */
int pci_claim(struct pci_dev *d, int id, const char *name);
/* d is free again, if partition id had it. */
void pci_release(struct pci_dev *d, int id);
/* The owner in words: "free", "hypervisor (why)", "partition NAME". */
void pci_owner_text(const struct pci_dev *d, struct sink *out);
/*
 * The requester ID the function's DMA and MSIs carry when they reach the
 * root complex, as an IOMMU sees them: its own (bus << 8 | devfn), unless
 * a bridge above it takes ownership of the transaction: a PCIe-to-PCI(-X)
 * bridge issues its conventional secondary side's requests as (secondary
 * bus, 00.0) (PCI Express to PCI/PCI-X Bridge 1.0, 2.3); a conventional
 * PCI bridge as itself. The topmost such bridge wins. Functions with the same value
 * cannot be told apart by an IOMMU: they go to one partition together.
 */
uint16_t pci_dma_rid(const struct pci_tree *t, const struct pci_dev *d);

/* ---- the machine (drivers/pci.c) ---- */

/* Enumerates once: the MCFG's segments through ECAM, else bus 0 onward
 * through CF8/CFC. Logs a summary line and every problem. */
void pci_init(const struct acpi_info *acpi);
/* The one tree; ownership fields are changed through pci_claim and
 * pci_release under the caller's lock, nothing else is. */
struct pci_tree *pci_host_tree(void);
void pci_report(struct sink *out);

/* Marks d as the hypervisor's own device (the management NIC) if it is
 * free: `pci` shows "hypervisor (what)" and no partition may be given it
 * (pci_claim refuses it). Returns -EBUSY when a partition or another
 * hypervisor user already has it. */
int pci_claim_hv(const struct pci_dev *d, const char *what);

/* Configuration reads and writes of 1, 2 or 4 bytes (reg aligned to the
 * width), under the configuration lock. Misaligned or out-of-range
 * accesses read all-ones and write nothing. */
uint32_t pci_cfg_read(const struct pci_dev *d, uint16_t reg, unsigned width);
void pci_cfg_write(const struct pci_dev *d, uint16_t reg, unsigned width, uint32_t val);

/* Resets d for its next owner (drivers/pci_reset.c): bus mastering and
 * decode off, then FLR, else a D3hot->D0 reset, else a secondary bus
 * reset when the bus holds only d's owner's functions; the host's BAR
 * addresses written back and Command cleared as a reset would. Returns which reset it was, in words. Takes
 * up to a few hundred milliseconds (the resets' settling times). */
const char *pci_reset(const struct pci_tree *t, const struct pci_dev *d);

#endif
