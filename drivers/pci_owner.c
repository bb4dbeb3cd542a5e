/* Who owns each PCI function, and which functions an IOMMU cannot tell
 * apart (drivers/pci.h). Pure. */
#include "drivers/pci.h"
#include "lib/string.h"
#include "lib/errno.h"

struct pci_dev *pci_tree_find(struct pci_tree *t, uint16_t seg, uint8_t bus, uint8_t devfn)
{
	for (unsigned i = 0; i < t->ndevs; i++) {
		struct pci_dev *d = &t->devs[i];

		if (d->seg == seg && d->bus == bus && d->devfn == devfn)
			return d;
	}
	return NULL;
}

static void owner_set(struct pci_dev *d, uint8_t kind, int id, const char *name)
{
	d->owner = kind;
	d->owner_id = id;
	memset(d->owner_name, 0, sizeof(d->owner_name));
	for (unsigned i = 0; name && name[i] && i + 1 < sizeof(d->owner_name); i++)
		d->owner_name[i] = name[i];
}

void pci_set_hypervisor(struct pci_dev *d, const char *why)
{
	owner_set(d, PCI_OWNER_HV, -1, why);
}

int pci_claim(struct pci_dev *d, int id, const char *name)
{
	if (d->owner != PCI_OWNER_FREE)
		return -EBUSY;
	owner_set(d, PCI_OWNER_PART, id, name);
	return 0;
}

void pci_release(struct pci_dev *d, int id)
{
	if (d->owner == PCI_OWNER_PART && d->owner_id == id)
		owner_set(d, PCI_OWNER_FREE, -1, NULL);
}

void pci_owner_text(const struct pci_dev *d, struct sink *out)
{
	switch (d->owner) {
	case PCI_OWNER_HV:
		sink_printf(out, "hypervisor (%s)", d->owner_name);
		return;
	case PCI_OWNER_PART:
		sink_printf(out, "partition %s", d->owner_name);
		return;
	default:
		sink_printf(out, "free");
	}
}

uint16_t pci_dma_rid(const struct pci_tree *t, const struct pci_dev *d)
{
	uint16_t rid = (uint16_t)(d->bus << 8 | d->devfn);
	unsigned hops = 0;

	for (int p = d->parent; p >= 0 && (unsigned)p < t->ndevs && hops < PCI_MAX_DEPTH;
	     p = t->devs[p].parent, hops++) {
		const struct pci_dev *b = &t->devs[p];

		if (b->pcie_off && b->pcie_type == 7)
			/* PCIe-to-PCI bridge: (secondary bus, 00.0). */
			rid = (uint16_t)(b->sec_bus << 8);
		else if (!b->pcie_off || b->pcie_type == 8)
			/* A conventional bridge (or a PCI-to-PCIe one)
			 * forwards requests as its own. */
			rid = (uint16_t)(b->bus << 8 | b->devfn);
		/* PCIe ports pass the requester ID through. */
	}
	return rid;
}
