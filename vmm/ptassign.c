/* `devices =` against the host's PCI tree. See vmm/ptassign.h. */
#include "vmm/ptassign.h"
#include "lib/printf.h"
#include "lib/errno.h"

#define BDF_FMT "%04x:%02x:%02x.%x"
#define BDF(d) (d)->seg, (d)->bus, (d)->devfn >> 3, (d)->devfn & 7

static bool listed(struct pci_dev *const *out, unsigned n, const struct pci_dev *d)
{
	for (unsigned i = 0; i < n; i++)
		if (out[i] == d)
			return true;
	return false;
}

static struct pci_dev *find_entry(struct pci_tree *t, const struct part_dev *e, int id,
				  struct pci_dev *const *out, unsigned n)
{
	if (e->kind == PART_DEV_BDF)
		return pci_tree_find(t, e->seg, e->bus, e->devfn);
	for (unsigned i = 0; i < t->ndevs; i++) {
		struct pci_dev *d = &t->devs[i];

		if (d->vendor == e->vendor && d->device == e->device && !d->hdr_type &&
		    d->class != 0x06 &&
		    (d->owner == PCI_OWNER_FREE ||
		     (d->owner == PCI_OWNER_PART && d->owner_id == id)) &&
		    !listed(out, n, d))
			return d;
	}
	return NULL;
}

/* Why partition id may not have d (ignoring the IOMMU), or 0. */
static int owner_check(const struct pci_dev *d, int id, char *err, size_t errlen)
{
	if (d->owner == PCI_OWNER_HV) {
		snprintf(err, errlen, BDF_FMT " is the hypervisor's (%s)", BDF(d), d->owner_name);
		return -EPERM;
	}
	if (d->owner == PCI_OWNER_PART && d->owner_id != id) {
		snprintf(err, errlen, BDF_FMT " is already partition %s's", BDF(d), d->owner_name);
		return -EBUSY;
	}
	return 0;
}

int ptassign_resolve(struct pci_tree *t, const struct part_config *c, int id,
		     const struct ptassign_env *env, struct pci_dev **out, unsigned *n,
		     char *err, size_t errlen)
{
	int r;

	*n = 0;
	err[0] = '\0';
	for (unsigned i = 0; i < c->ndevs && i < PART_MAX_DEVS; i++) {
		const struct part_dev *e = &c->devs[i];
		struct pci_dev *d = find_entry(t, e, id, out, *n);

		if (!d && e->kind == PART_DEV_BDF) {
			snprintf(err, errlen, "%04x:%02x:%02x.%x does not exist", e->seg, e->bus,
				 e->devfn >> 3, e->devfn & 7);
			return -ENODEV;
		}
		if (!d) {
			snprintf(err, errlen, "no free function %04x:%04x%s", e->vendor, e->device,
				 *n ? " left" : "");
			return -ENODEV;
		}
		if (listed(out, *n, d)) {
			snprintf(err, errlen, BDF_FMT " is listed twice", BDF(d));
			return -EINVAL;
		}
		if (d->hdr_type || d->class == 0x06) {
			snprintf(err, errlen, BDF_FMT " is a bridge: only endpoints are passed "
				 "through", BDF(d));
			return -EINVAL;
		}
		r = owner_check(d, id, err, errlen);
		if (r)
			return r;
		out[(*n)++] = d;
	}
	/* Functions an IOMMU cannot tell apart go together. */
	for (unsigned i = 0; i < *n; i++) {
		uint16_t rid = pci_dma_rid(t, out[i]);

		for (unsigned j = 0; j < t->ndevs; j++) {
			struct pci_dev *o = &t->devs[j];

			if (o == out[i] || o->seg != out[i]->seg || o->hdr_type || o->class == 0x06 ||
			    pci_dma_rid(t, o) != rid || listed(out, *n, o))
				continue;
			r = owner_check(o, id, err, errlen);
			if (r) {
				snprintf(err, errlen, BDF_FMT " shares its requester ID %02x:%02x.%x "
					 "with " BDF_FMT ", which is %s %s", BDF(out[i]), rid >> 8,
					 (rid >> 3) & 0x1f, rid & 7, BDF(o),
					 o->owner == PCI_OWNER_HV ? "the hypervisor's:" :
					 "already partition", o->owner_name);
				return r;
			}
			snprintf(err, errlen, BDF_FMT " shares its requester ID %02x:%02x.%x with "
				 BDF_FMT ": list them together", BDF(out[i]), rid >> 8,
				 (rid >> 3) & 0x1f, rid & 7, BDF(o));
			return -EINVAL;
		}
	}
	if (!*n)
		return 0;
	if (!env->iommu) {
		snprintf(err, errlen, "no IOMMU: %s", env->iommu_absent ? env->iommu_absent :
			 "none was found");
		return -ENODEV;
	}
	for (unsigned i = 0; i < *n; i++)
		if (!env->iommu->covers(out[i]->seg, pci_dma_rid(t, out[i]))) {
			snprintf(err, errlen, BDF_FMT " is behind no unit of the %s IOMMU",
				 BDF(out[i]), env->iommu->kind);
			return -ENODEV;
		}
	if (!env->intr_remap && !env->allow_unsafe) {
		snprintf(err, errlen, "the %s IOMMU does not remap interrupts: a guest could "
			 "send any interrupt to any CPU (allow_unsafe_interrupts = yes in [vatra] "
			 "accepts that)", env->iommu->kind);
		return -EPERM;
	}
	return 0;
}
