/* I/O page-table formats for the shared page-table engine
 * (arch/x86/paging.h): what a device's DMA address goes through.
 *
 *  - VT-d second-level tables (Intel VT-d 4.0, 9.8 "Second-Level Paging
 *    Entries"): Read in bit 0, Write in bit 1, Page Size in bit 7 of
 *    2 MiB/1 GiB leaves, the address in bits 51:12 (below the unit's HAW).
 *    3 levels for a 39-bit address width, 4 for 48 bits (CAP.SAGAW).
 *    Entries with R = W = 0 are not present. Snoop (bit 11) and the
 *    memory-type bits stay 0 (reserved unless ECAP.SC / extended mode).
 *  - AMD-Vi page tables (AMD IOMMU 3.0, 2.2.3 "I/O Page Tables"): Present
 *    in bit 0, Next Level in bits 11:9 (the level of the table a PDE
 *    points at; 0 in a PTE, which at level 2 or 3 maps a 2 MiB or 1 GiB
 *    page), the address in bits 51:12, IR in bit 61 and IW in bit 62.
 *    Permissions are ANDed over every level of the walk, so PDEs carry
 *    IR|IW and the leaf decides. 3 levels (mode 3) or 4 (mode 4).
 *
 * Only PT_R and PT_W mean anything here; a map must ask for at least
 * one of them (the driver checks). */
#ifndef VATRA_DRIVERS_IOMMU_PT_H
#define VATRA_DRIVERS_IOMMU_PT_H

#include "arch/x86/paging.h"

extern const struct pt_format pt_vtd3, pt_vtd4;
extern const struct pt_format pt_amdvi3, pt_amdvi4;

#endif
