/* Which host PCI functions a partition's `devices =` line names, and
 * whether it may have them: every refusal is one message naming the
 * function and why. Pure: it reads the host tree and asks the IOMMU
 * driver's covers(); the caller claims what it returns, under its lock,
 * before anything else may look at the tree's owners. */
#ifndef VATRA_VMM_PTASSIGN_H
#define VATRA_VMM_PTASSIGN_H

#include <stddef.h>
#include "drivers/pci.h"
#include "drivers/iommu.h"
#include "vmm/part_config.h"

/* What passthrough depends on besides the tree. */
struct ptassign_env {
	const struct iommu_ops *iommu;	/* NULL: none */
	const char *iommu_absent;	/* why, when iommu is NULL */
	bool intr_remap;		/* the IOMMU remaps interrupts */
	bool allow_unsafe;		/* [vatra] allow_unsafe_interrupts */
};

/*
 * Resolves c->devs for partition id into out[0..*n) (at most
 * PART_MAX_DEVS): a place must exist; an identity takes the first
 * function with it that is free and not taken by an earlier entry. Then
 * each must be an endpoint (header type 0, not of the bridge class 06h:
 * a host bridge has a type 0 header), not the hypervisor's, not
 * another partition's, listed with every endpoint sharing its requester
 * ID (pci_dma_rid), none of which may be another's; and there must be an
 * IOMMU that covers its requester ID and remaps interrupts (or
 * allow_unsafe). 0, or -ENODEV/-EBUSY/-EINVAL/-EPERM with err holding
 * "SSSS:BB:DD.F ..." (no partition name, no line: the caller adds them).
 */
int ptassign_resolve(struct pci_tree *t, const struct part_config *c, int id,
		     const struct ptassign_env *env, struct pci_dev **out, unsigned *n,
		     char *err, size_t errlen);

#endif
