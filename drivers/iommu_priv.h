/* What drivers/iommu.c shares with the two IOMMU drivers (vtd.c,
 * amdvi.c); nothing above drivers/ includes this. */
#ifndef VATRA_DRIVERS_IOMMU_PRIV_H
#define VATRA_DRIVERS_IOMMU_PRIV_H

#include "drivers/iommu.h"
#include "drivers/iommu_tables.h"

/* The parsed table the driver's init reads (set by iommu_setup). */
extern struct dmar_info iommu_dmar;
extern struct ivrs_info iommu_ivrs;

extern const struct iommu_ops vtd_ops;
extern const struct iommu_ops amdvi_ops;

/* A driver hands every decoded fault here: counted, rate-limited in the
 * log, passed to the partition layer's handler. */
void iommu_fault_report(const struct iommu_fault *f);

/* Set by a fault-event interrupt: the next iommu_poll() reads the unit
 * at once instead of waiting for its period. */
extern volatile bool iommu_event_pending;

/* A bridge's secondary bus from the host PCI tree (0: not a bridge), for
 * dmar_scope_rid(). */
uint8_t iommu_secbus(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn);

/* Waits: TSC-timed when the frequency is known, else counted spins. */
uint64_t iommu_deadline(unsigned ms);
bool iommu_expired(uint64_t deadline);

/* 4 KiB table pages for the drivers, zeroed, from the page allocator;
 * NULL/0 when out of memory. */
void *iommu_page_alloc(uint64_t npages, uint64_t *phys);
void iommu_page_free(uint64_t phys, uint64_t npages);
/* The page-table engine's pages for I/O tables (struct pt_env): freed
 * table pages wait for the next invalidation (iommu_release_deferred,
 * called after it); when too many wait, flush_all invalidates first. */
void *iommu_pt_alloc(void *ctx, uint64_t *phys);
void *iommu_pt_virt(void *ctx, uint64_t phys);
void iommu_defer_free(uint64_t phys, void (*flush_all)(void));
void iommu_release_deferred(void);

/* ---- pure decoders (drivers/iommu_fault.c, unit-tested) ---- */

/* VT-d fault recording register (VT-d 4.0, 11.4.14): lo = bits 63:0,
 * hi = bits 127:64. false when F (bit 127) is clear. */
bool vtd_fault_decode(uint64_t lo, uint64_t hi, uint16_t seg, struct iommu_fault *f);
/* VT-d fault reason (Appendix A) in words. */
const char *vtd_fault_reason(unsigned reason);

/* One AMD-Vi event-log entry (AMD IOMMU 3.0, 2.5), four dwords. false for
 * an all-zero (not yet written) entry. */
bool amdvi_event_decode(const uint32_t ev[4], uint16_t seg, struct iommu_fault *f);
const char *amdvi_event_name(unsigned code);

#endif
