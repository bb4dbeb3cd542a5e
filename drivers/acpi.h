/* ACPI static table discovery: RSDP -> XSDT/RSDT -> MADT, MCFG, FADT (+ the
 * DSDT's \_S5 package), DMAR and IVRS.
 *
 * Pure code: every firmware byte is reached through acpi_env.map(), nothing
 * is allocated, and all results land in a caller-provided struct acpi_info.
 * The tables are untrusted input; every length and checksum is validated
 * before use and problems are recorded in acpi_info.errors[] in the order
 * they were found.
 *
 * References: ACPI 6.4 chapter 5.2 (RSDP, SDT header, XSDT, FADT, MADT),
 * ACPI 6.4 chapter 20 (AML encoding), PCI Firmware 3.2 4.1.2 (MCFG),
 * Intel VT-d 4.0 chapter 8 (DMAR), AMD IOMMU 3.0 5.2 (IVRS).
 */
#ifndef VATRA_DRIVERS_ACPI_H
#define VATRA_DRIVERS_ACPI_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/*
 * Memory is reached only through this callback: returns a pointer to len
 * readable bytes at physical address phys, or NULL.
 *
 * The parser never keeps a pointer across a later map() call, so a mapper
 * that reuses one temporary window is fine: a returned pointer only has to
 * stay valid until the next call.
 */
struct acpi_env {
	const void *(*map)(void *ctx, uint64_t phys, size_t len);
	void *ctx;
};

#define ACPI_MAX_TABLES 64
#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_ISOS 32
#define ACPI_MAX_MCFG 8
#define ACPI_MAX_ERRORS 16
#define ACPI_MSG_MAX 96

/* Generic Address Structure, ACPI 6.4 5.2.3.2. */
struct acpi_gas {
	uint8_t space, bit_width, bit_offset, access_size;
	uint64_t addr;
};

#define ACPI_GAS_MEMORY 0	/* System Memory space */
#define ACPI_GAS_IO 1		/* System I/O space */
#define ACPI_GAS_PCI_CONFIG 2	/* PCI Configuration space */

struct acpi_table_ref {
	char sig[5];		/* non-printable bytes shown as '?' */
	uint64_t phys;
	uint32_t len;
	uint8_t rev;
	char oem_id[7];
	bool valid;		/* header+checksum ok */
};

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t uid;
	bool enabled;
	bool online_capable;
	bool x2apic;
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;
	uint32_t gsi_base;
};

/* flags are the MPS INTI flags: bits 1:0 polarity, bits 3:2 trigger mode. */
struct acpi_iso {
	uint8_t bus, source;
	uint32_t gsi;
	uint16_t flags;
};

struct acpi_mcfg {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start, bus_end;
};

struct acpi_info {
	uint8_t rsdp_rev;
	char oem_id[7];
	bool xsdt;
	uint64_t root_phys;
	/* Tables listed by the root table, plus the DSDT found via the FADT. */
	struct acpi_table_ref tables[ACPI_MAX_TABLES];
	unsigned ntables;

	/* MADT (APIC) */
	bool have_madt;
	uint32_t lapic_addr;
	bool pcat_compat;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];	/* only usable ones (enabled or online capable) */
	unsigned ncpus;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned nioapics;
	struct acpi_iso isos[ACPI_MAX_ISOS];
	unsigned nisos;

	/* MCFG */
	struct acpi_mcfg mcfg[ACPI_MAX_MCFG];
	unsigned nmcfg;

	/* FADT (FACP) */
	bool have_fadt;
	uint8_t fadt_rev;
	bool reset_supported;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	/* I/O ports (0 = absent); X_ 64-bit GAS fields preferred when present
	 * and in I/O space. All zero on HW-reduced platforms. */
	uint32_t pm1a_cnt, pm1b_cnt;
	uint32_t pm_tmr;
	bool pm_tmr_32bit;
	uint16_t sci_irq;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint64_t dsdt_phys;
	bool hw_reduced;

	/* \_S5 from the DSDT's AML (a bounded byte scan for the _S5_ package,
	 * not an AML interpreter) */
	bool have_s5;
	uint8_t slp_typa, slp_typb;

	/* IOMMU tables: found and summarized only */
	bool have_dmar;
	uint8_t dmar_haw;	/* host address width in bits (table value + 1) */
	unsigned dmar_drhd;
	bool dmar_intr_remap;
	bool have_ivrs;
	unsigned ivrs_ivhd;	/* IVHD blocks of types 10h, 11h and 40h */

	/* problems found, in order; when more than ACPI_MAX_ERRORS occur the
	 * last slot says so and the rest are dropped */
	char errors[ACPI_MAX_ERRORS][ACPI_MSG_MAX];
	unsigned nerrors;
};

/* Checksum of len bytes sums to 0 mod 256. */
bool acpi_checksum_ok(const void *p, size_t len);

/*
 * Walks RSDP -> XSDT (or RSDT for revision 0 / absent XSDT) -> tables and
 * parses MADT, MCFG, FADT (+DSDT _S5), DMAR, IVRS. ai is cleared first.
 *
 * Returns 0 when the RSDP and root table are usable (individual bad tables
 * are recorded in errors[] and marked !valid, and are not parsed), -ENOENT
 * for rsdp_phys 0, -EBADMSG for a corrupt RSDP/root table, -EFAULT when
 * map() fails for the RSDP or root table.
 */
int acpi_parse(struct acpi_info *ai, const struct acpi_env *env, uint64_t rsdp_phys);

/*
 * The per-table parsers, exposed for unit tests; tbl points at the whole
 * table of len bytes (header included, already validated). They read
 * nothing beyond len. Return 0 or -EBADMSG (and record an error) for
 * malformed contents; partial results before a malformed entry are kept.
 * Overflowing one of the fixed-size arrays records an error but returns 0.
 * acpi_find_s5() returns 0 with have_s5 false when there is no _S5_ package.
 */
int acpi_parse_madt(struct acpi_info *ai, const void *tbl, size_t len);
int acpi_parse_mcfg(struct acpi_info *ai, const void *tbl, size_t len);
int acpi_parse_fadt(struct acpi_info *ai, const void *tbl, size_t len);
int acpi_find_s5(struct acpi_info *ai, const void *dsdt, size_t len);
int acpi_parse_dmar(struct acpi_info *ai, const void *tbl, size_t len);
int acpi_parse_ivrs(struct acpi_info *ai, const void *tbl, size_t len);

#endif
