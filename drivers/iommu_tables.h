/* The IOMMU's ACPI tables, parsed in full: Intel's DMAR (every DRHD with
 * its device scopes, RMRRs, ATSRs) and AMD's IVRS (IVHD blocks of types
 * 10h, 11h and 40h with every device entry, IVMDs).
 *
 * Pure code: the caller hands in the whole table (header included) as
 * bytes and a struct to fill; nothing is read beyond len. The tables are
 * untrusted input: a malformed table is refused as a whole (-EBADMSG, or
 * -ENOSPC when it lists more than the generous bounds below) with one
 * message naming what is wrong and where (the byte offset in the table),
 * because a half-understood IOMMU description could leave a device
 * unblocked.
 *
 * References: Intel VT-d 4.0 chapter 8 (DMAR: 8.1 header, 8.3 DRHD, 8.3.1
 * device scope, 8.4 RMRR, 8.5 ATSR); AMD I/O Virtualization Technology
 * (IOMMU) Specification 3.0, 5.2 (IVRS: 5.2.2 IVHD, 5.2.2.2 device
 * entries, 5.2.3 IVMD). */
#ifndef VATRA_DRIVERS_IOMMU_TABLES_H
#define VATRA_DRIVERS_IOMMU_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define IOMMU_TABLE_MSG 128

/* Bounds: far above any machine's tables (a large server has a handful
 * of units and a few hundred scopes); past them the table is refused
 * with -ENOSPC rather than half-used. */
#define DMAR_MAX_UNITS 64
#define DMAR_MAX_SCOPES 4096
#define DMAR_MAX_PATH 8		/* bridges between the start bus and the device */
#define DMAR_MAX_RMRR 128
#define DMAR_MAX_ATSR 64

/* Device scope types, VT-d 4.0 Table 8-3. */
enum dmar_scope_type {
	DMAR_SCOPE_ENDPOINT = 1,
	DMAR_SCOPE_BRIDGE = 2,
	DMAR_SCOPE_IOAPIC = 3,
	DMAR_SCOPE_HPET = 4,
	DMAR_SCOPE_ACPI_NS = 5,
};

struct dmar_scope {
	uint8_t type;		/* enum dmar_scope_type */
	uint8_t enum_id;	/* IOAPIC ID, HPET number, ACPI device number */
	uint8_t bus;		/* start bus number */
	uint8_t npath;		/* 1..DMAR_MAX_PATH */
	uint8_t path[DMAR_MAX_PATH];	/* devfn at each hop: (dev << 3) | fn */
};

/* The owner of a run of scopes: scopes[first .. first + n). */
struct dmar_scopes {
	unsigned first, n;
};

#define DMAR_INCLUDE_PCI_ALL (1u << 0)

struct dmar_drhd {
	uint64_t base;		/* register base, 4 KiB aligned */
	uint8_t flags;		/* DMAR_INCLUDE_PCI_ALL */
	uint8_t size;		/* register set: 2^size pages (0 on older firmware) */
	uint16_t seg;
	struct dmar_scopes sc;
};

struct dmar_rmrr {
	uint16_t seg;
	uint64_t base, limit;	/* [base, limit] inclusive, 4 KiB granular */
	struct dmar_scopes sc;
};

struct dmar_atsr {
	uint8_t flags;		/* bit 0: ALL_PORTS */
	uint16_t seg;
	struct dmar_scopes sc;
};

#define DMAR_F_INTR_REMAP (1u << 0)
#define DMAR_F_X2APIC_OPT_OUT (1u << 1)
#define DMAR_F_DMA_CTRL_OPT_IN (1u << 2)

struct dmar_info {
	uint8_t haw;		/* host address width in bits (table value + 1) */
	uint8_t flags;		/* DMAR_F_* */
	struct dmar_drhd drhd[DMAR_MAX_UNITS];
	unsigned ndrhd;
	struct dmar_rmrr rmrr[DMAR_MAX_RMRR];
	unsigned nrmrr;
	struct dmar_atsr atsr[DMAR_MAX_ATSR];
	unsigned natsr;
	struct dmar_scope scopes[DMAR_MAX_SCOPES];
	unsigned nscopes;
	unsigned nother;	/* structures of types not used here (RHSA, ANDD, SATC...) */
};

/* Parses a whole DMAR table (signature, length, checksum included).
 * 0, or -EBADMSG / -ENOSPC with msg (IOMMU_TABLE_MSG bytes) saying why. */
int dmar_parse(struct dmar_info *d, const void *tbl, size_t len, char *msg);

/* A scope's requester ID: the start bus and the last hop's devfn when the
 * path has one hop; a longer path goes through bridges, whose secondary
 * bus numbers secbus() reads (PCI-to-PCI bridge 1.2, 3.2.5.4). -ENOENT
 * when a bridge on the way answers nothing (bus 0 or all-ones). */
int dmar_scope_rid(const struct dmar_scope *s, uint16_t seg,
		   uint8_t (*secbus)(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn),
		   void *ctx, uint16_t *rid);

/* ---- IVRS ---- */

#define IVRS_MAX_UNITS 64
#define IVRS_MAX_DEVS 4096
#define IVRS_MAX_IVMD 128

/* What a device entry stands for, decoded from its type (5.2.2.2). */
enum ivrs_dev_kind {
	IVRS_DEV_ALL = 1,	/* type 1: every device ID */
	IVRS_DEV_SELECT,	/* 2, or a range 3..4 */
	IVRS_DEV_ALIAS,		/* 42h, or a range 43h..4: requests come with ID alias */
	IVRS_DEV_EXT,		/* 46h, or a range 47h..4, with ext settings */
	IVRS_DEV_SPECIAL,	/* 48h: an IOAPIC or HPET */
	IVRS_DEV_ACPI,		/* F0h: an ACPI device named by _HID/_UID */
};

#define IVRS_SPECIAL_IOAPIC 1
#define IVRS_SPECIAL_HPET 2

struct ivrs_dev {
	uint8_t kind;		/* enum ivrs_dev_kind */
	uint8_t setting;	/* DTE setting bits (INITPass, EIntPass, NMIPass, SysMgt, Lint0/1) */
	uint16_t first, last;	/* device IDs, inclusive (first == last for one) */
	uint16_t alias;		/* IVRS_DEV_ALIAS: the ID the IOMMU sees */
	uint32_t ext;		/* IVRS_DEV_EXT: extended setting */
	uint8_t handle;		/* IVRS_DEV_SPECIAL: IOAPIC ID or HPET number */
	uint8_t variety;	/* IVRS_DEV_SPECIAL: IVRS_SPECIAL_* */
	char hid[9];		/* IVRS_DEV_ACPI */
};

struct ivrs_devs {
	unsigned first, n;
};

struct ivrs_ivhd {
	uint8_t type;		/* 10h, 11h, 40h */
	uint8_t flags;
	uint16_t devid;		/* the IOMMU's own PCI function */
	uint16_t cap_off;	/* its capability block in config space */
	uint64_t base;		/* MMIO registers */
	uint16_t seg;
	uint16_t info;		/* MSI number, unit ID */
	uint32_t feat;		/* 10h: feature reporting; 11h/40h: attributes */
	uint64_t efr;		/* 11h/40h: EFR register image */
	bool superseded;	/* a block of a higher type describes the same unit */
	struct ivrs_devs dv;
};

struct ivrs_ivmd {
	uint8_t type;		/* 20h all, 21h one device, 22h a range */
	uint8_t flags;		/* bit 0 unity, 1 IR, 2 IW, 3 exclusion range */
	uint16_t first, last;
	uint64_t start, len;
};

struct ivrs_info {
	uint32_t ivinfo;	/* virtual address size, physical size, EFRSup... */
	struct ivrs_ivhd ivhd[IVRS_MAX_UNITS];
	unsigned nivhd;
	struct ivrs_dev devs[IVRS_MAX_DEVS];
	unsigned ndevs;
	struct ivrs_ivmd ivmd[IVRS_MAX_IVMD];
	unsigned nivmd;
	unsigned nother;	/* blocks of unknown types, skipped */
};

/* Parses a whole IVRS table; same contract as dmar_parse(). */
int ivrs_parse(struct ivrs_info *v, const void *tbl, size_t len, char *msg);

/* The unit of the IVRS whose device entries name devid (in seg); the
 * newest block type wins. NULL when none does. */
const struct ivrs_ivhd *ivrs_unit_of(const struct ivrs_info *v, uint16_t seg, uint16_t devid);

#endif
