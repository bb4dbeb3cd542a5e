/* The host's I/O APICs (the MADT lists them; 82093AA register model):
 * every input masked at boot, and only the pins Vatra routes (a
 * passed-through function's INTx, vmm/ptintx.c) ever unmasked. A GSI
 * belongs to the IOAPIC whose range [gsi_base, gsi_base + entries)
 * holds it. */
#ifndef VATRA_DRIVERS_IOAPIC_H
#define VATRA_DRIVERS_IOAPIC_H

#include <stdint.h>
#include <stdbool.h>

struct acpi_info;

/* Maps each IOAPIC and masks all its inputs. Returns how many are usable. */
int ioapic_init(const struct acpi_info *ai);
/* The IOAPIC ID (the MADT's) of the one that has gsi: 0 or -ENOENT. */
int ioapic_of(uint32_t gsi, uint8_t *id);
/* Writes gsi's redirection entry masked: fmt holds its vector, delivery
 * mode and destination bits (or, under interrupt remapping, the
 * remappable format's bits the IOMMU driver gave), trigger and polarity
 * as given. 0 or -ENOENT. */
int ioapic_program(uint32_t gsi, uint64_t fmt, bool level, bool active_low);
void ioapic_mask(uint32_t gsi, bool masked);
/* Clears a level-triggered entry's remote IRR (the EOI register of a
 * version 0x20 IOAPIC, else an edge/level toggle while masked). */
void ioapic_eoi(uint32_t gsi);
/* The entry back to its reset state: masked, vector 0. */
void ioapic_clear(uint32_t gsi);

/* The format bits of a physical, fixed-delivery entry to a host vector. */
static inline uint64_t ioapic_rte_direct(uint8_t vector, uint8_t apic_id)
{
	return vector | (uint64_t)apic_id << 56;
}

#endif
