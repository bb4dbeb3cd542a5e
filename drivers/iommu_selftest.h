/* The boot-time proof that the IOMMU works, with QEMU's edu device as the
 * DMA engine (`[vatra] iommu_selftest = yes`): blocked DMA leaves
 * hypervisor memory untouched (and on VT-d is recorded as a fault with
 * the edu's requester ID and the address), a mapped page in a scratch
 * domain is reached, an unmapped or detached one is not. The edu is the
 * hypervisor's during the test and is blocked again after it. */
#ifndef VATRA_DRIVERS_IOMMU_SELFTEST_H
#define VATRA_DRIVERS_IOMMU_SELFTEST_H

/* Returns the number of failed checks (0: all passed), or -ENODEV when
 * there is no IOMMU or no edu device; each check logs one line. */
int iommu_selftest(void);

#endif
