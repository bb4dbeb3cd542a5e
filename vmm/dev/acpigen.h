/* ACPI tables for one partition: what an unmodified OS (Linux acpi=on)
 * needs to find its CPUs, interrupt controllers, PM timer, reset and
 * power-off, with nothing it would go looking for that is not emulated.
 *
 * Pure code: the tables are written into a caller buffer that stands for
 * guest-physical memory, nothing is allocated. drivers/acpi.c parses the
 * result in the unit tests.
 *
 * What is built (ACPI 6.4 chapter 5.2):
 *   RSDP rev 2 -> XSDT (and an RSDT when everything lies below 4 GiB)
 *     -> FADT rev 6.4 -> FACS, DSDT (\_SB scope and \_S5 package; a
 *        PCI root bridge with a _PRT when there are INTx routes)
 *     -> MADT rev 5 (one LAPIC per CPU, one IOAPIC, IRQ0 and SCI
 *        overrides, LINT1 NMI)
 *     -> MCFG (when an ECAM window is configured)
 *
 * The memory holding the tables must be reported to the guest as reserved
 * (E820 type 2), not RAM: the FACS in particular must not be "system
 * AddressRangeMemory" (ACPI 6.4, 5.2.10).
 */
#ifndef VATRA_VMM_DEV_ACPIGEN_H
#define VATRA_VMM_DEV_ACPIGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ACPIGEN_MAX_PRT 32

struct acpigen_cfg {
	unsigned ncpus;			/* LAPIC ids and processor UIDs 0..ncpus-1 (1..255) */
	uint32_t lapic_addr;		/* local APIC base, 4 KiB aligned (0xfee00000) */
	uint8_t ioapic_id;
	uint32_t ioapic_addr;		/* 0xfec00000; the IOAPIC's GSI base is 0 */
	uint16_t sci_irq;		/* ISA IRQ of the SCI: 1..15, not 2 (9) */
	uint16_t pm1a_evt;		/* PM1a event block, 4 ports (0x600) */
	uint16_t pm1a_cnt;		/* PM1a control block, 2 ports (0x604) */
	uint16_t pm_tmr;		/* PM timer, 4 ports, 24-bit (0x608) */
	uint8_t slp_typ_s5;		/* SLP_TYP for S5 (0..7), see \_S5 */
	uint16_t reset_port;		/* 0xcf9; 0 = no reset register */
	uint8_t reset_value;		/* 0x06 */
	uint64_t mcfg_base;		/* ECAM base, 1 MiB aligned; 0 = no MCFG */
	uint8_t mcfg_bus_end;		/* ECAM covers buses 0..mcfg_bus_end */
	char oem_id[7];			/* up to 6 chars, space padded ("VATRA ") */
	/* INTx routes of the partition's PCI bus 0: with any, the DSDT has a
	 * PCI root bridge \_SB.PCI0 (PNP0A03, bus 0, its windows in _CRS)
	 * whose static _PRT maps each function's pin to its GSI (source
	 * Zero: level, active low, ACPI 6.4 6.2.13). Without, no PCI0. */
	struct acpigen_prt {
		uint8_t slot;		/* device number 0-31 */
		uint8_t pin;		/* 0 = INTA# .. 3 = INTD# */
		uint8_t gsi;		/* 16-23, on the IOAPIC above */
	} prt[ACPIGEN_MAX_PRT];
	unsigned nprt;
	uint32_t pci_mem_base, pci_mem_end;	/* PCI0's memory window, inclusive */
};

/*
 * Lays the tables out at guest-physical base into buf, which stands for
 * guest-physical [base, base + size). The RSDP comes first, at the lowest
 * 16-byte aligned address at or above base, so a legacy scan of
 * 0xe0000-0xfffff (ACPI 6.4, 5.2.5.1) finds it when base is in that area.
 *
 * Returns 0 and sets *rsdp_gpa; -ENOSPC when size is too small, -EINVAL for
 * a bad cfg (ncpus 0 or > 255, misaligned LAPIC or ECAM base, SCI not an
 * ISA IRQ other than 0 and 2, SLP_TYP > 7, PM blocks overlapping or past
 * port 0xffff, ...) or when [base, base + size) wraps. On error nothing is
 * written. On success only the bytes the tables occupy (with their
 * alignment padding) are written; the rest of buf is left alone.
 */
int acpigen_build(const struct acpigen_cfg *cfg, uint8_t *buf, uint64_t base,
		  size_t size, uint64_t *rsdp_gpa);

/*
 * AML PkgLength (ACPI 6.4, 20.2.4) for a package whose contents after the
 * PkgLength are body_len bytes: the encoded length counts its own bytes.
 * Writes the shortest encoding to out and returns its size (1..4), or 0
 * when the length cannot be encoded (2^28 or more). Exposed for unit tests.
 */
size_t acpigen_pkglength(uint8_t out[4], size_t body_len);

#endif
