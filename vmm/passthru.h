/* A partition's passed-through PCI functions: claimed from the host tree
 * at its start (vmm/ptassign.c decides), put in one IOMMU domain that
 * maps exactly its RAM at the guest-physical addresses its nested tables
 * use, shown on its virtual PCI bus through the config-space model
 * (vmm/dev/ptdev.c) with their BARs mapped into its nested tables or
 * I/O permission map, and their MSIs remapped to a host vector that
 * injects the guest's vector. At its stop each is quiesced and reset,
 * its remapping entries freed, detached into the IOMMU's blocking
 * domain, and only then released. */
#ifndef VATRA_VMM_PASSTHRU_H
#define VATRA_VMM_PASSTHRU_H

#include <stddef.h>
#include "lib/sink.h"

struct partition;
struct acpi_info;

/* Test partitions (debug_exit = yes) get the DMA-attack probe page here,
 * right after the test device (tests/guests/ptedu.c has its layout). */
#define PASSTHRU_PROBE_GPA 0xd0001000ULL

/* At boot: reads the firmware's PCI routing tables (the root buses'
 * _PRT) for passed-through functions' INTx, and logs what it found. */
void passthru_intx_init(const struct acpi_info *ai);

/* After the partition's PC and permission maps exist, before its image
 * loads: 0, or a negative errno with err saying why (the partition then
 * does not start; passthru_stop has already undone everything). Lock
 * held. */
int passthru_start(struct partition *p, char *err, size_t errlen);
/* Gives every function back (see above). Lock held, no vCPU in a
 * slice, its nested tables and permission maps still there. */
void passthru_stop(struct partition *p);
/* Its functions for `info NAME`: host and guest places, BARs, MSI. */
void passthru_report(const struct partition *p, struct sink *out);

#endif
