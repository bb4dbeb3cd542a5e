/* The management NIC: choosing a PCI function and a driver (nic.h). */
#include "drivers/nic.h"
#include "drivers/iommu.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/strutil.h"

static const struct nic_driver *const drivers[] = {
	&virtio_net_driver,
	&e1000_driver,
};

/* Hex digits up to a separator; at most max. */
static int hexnum(const char **p, unsigned max, unsigned *out)
{
	unsigned v = 0, n = 0;

	while (str_hexdigit(**p) >= 0) {
		v = v * 16 + (unsigned)str_hexdigit(**p);
		if (v > max || ++n > 4)
			return -EINVAL;
		(*p)++;
	}
	if (!n)
		return -EINVAL;
	*out = v;
	return 0;
}

int nic_parse_bdf(const char *s, uint16_t *seg, uint8_t *bus, uint8_t *devfn)
{
	unsigned a, b, dev, fn, sg = 0;
	const char *p = s;

	if (hexnum(&p, 0xffff, &a) || *p++ != ':' || hexnum(&p, 0xffff, &b))
		return -EINVAL;
	if (*p == ':') {
		p++;
		sg = a;
		a = b;
		if (hexnum(&p, 0x1f, &b))
			return -EINVAL;
	}
	dev = b;
	if (a > 0xff || dev > 0x1f || *p++ != '.' || hexnum(&p, 7, &fn) || *p)
		return -EINVAL;
	*seg = (uint16_t)sg;
	*bus = (uint8_t)a;
	*devfn = (uint8_t)(dev << 3 | fn);
	return 0;
}

uint64_t nic_dma_alloc(struct nic *n, uint64_t pages)
{
	uint64_t phys = page_alloc(pages, 1);

	if (!phys || !n->dom)
		return phys;
	if (iommu->map(n->dom, phys, phys, pages * 4096, IOMMU_READ | IOMMU_WRITE)) {
		pr_err("mgmt: cannot map the NIC's buffers in its IOMMU domain");
		page_free(phys, pages);
		return 0;
	}
	return phys;
}

/* Deny by default holds for the hypervisor's own NIC too: it gets a
 * domain of its own, empty until its driver allocates its rings and
 * buffers (nic_dma_alloc), attached before the driver starts it. */
static int iommu_prepare(const struct pci_dev *d, struct nic *n)
{
	uint16_t rid = (uint16_t)(d->bus << 8 | d->devfn);

	if (!iommu || !iommu->covers(d->seg, rid))
		return 0;
	n->dom = iommu->domain_create(IOMMU_DOMAIN_MGMT_NIC);
	if (!n->dom || iommu->attach(n->dom, d->seg, rid)) {
		pr_err("mgmt: the NIC's IOMMU domain could not be set up");
		if (n->dom)
			iommu->domain_destroy(n->dom);
		n->dom = NULL;
		return -EIO;
	}
	return 0;
}

static void iommu_release(const struct pci_dev *d, struct nic *n)
{
	if (n->dom) {
		iommu->detach(n->dom, d->seg, (uint16_t)(d->bus << 8 | d->devfn));
		iommu->domain_destroy(n->dom);
		n->dom = NULL;
	}
}

static const struct nic_driver *driver_for(const struct pci_dev *d)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->match(d))
			return drivers[i];
	return NULL;
}

int nic_open(const char *want, struct nic *out, bool (*reserved)(const struct pci_dev *d))
{
	const struct pci_tree *t = pci_host_tree();
	bool any = !strcmp(want, "auto");
	uint16_t seg = 0;
	uint8_t bus = 0, devfn = 0;

	if (!any && nic_parse_bdf(want, &seg, &bus, &devfn)) {
		pr_err("mgmt_nic = %s: expected auto or a PCI address like 00:03.0", want);
		return -EINVAL;
	}
	for (unsigned i = 0; i < t->ndevs; i++) {
		const struct pci_dev *d = &t->devs[i];
		const struct nic_driver *drv;
		int r;

		if (!any && (d->seg != seg || d->bus != bus || d->devfn != devfn))
			continue;
		drv = driver_for(d);
		if (!drv) {
			if (!any) {
				pr_err("mgmt_nic %s: %04x:%04x is no NIC Vatra has a driver for",
				       want, d->vendor, d->device);
				return -ENODEV;
			}
			continue;
		}
		if (any && reserved && reserved(d))
			continue;
		if (d->owner) {
			if (!any) {
				pr_err("mgmt_nic %s: already taken (%s %s)", want,
				       d->owner == PCI_OWNER_HV ? "hypervisor" : "partition", d->owner_name);
				return -EBUSY;
			}
			continue;
		}
		memset(out, 0, sizeof(*out));
		out->pci = d;
		out->model = drv->name;
		r = iommu_prepare(d, out);
		if (!r)
			r = drv->init(d, out);   /* may name the model more exactly */
		if (r) {
			iommu_release(d, out);
			pr_err("mgmt: %s at %02x:%02x.%x did not come up (%s)", drv->name, d->bus,
			       d->devfn >> 3, d->devfn & 7, err_name(r));
			if (!any)
				return r;
			continue;
		}
		if (pci_claim_hv(d, "management NIC"))
			pr_warn("mgmt: %02x:%02x.%x was claimed meanwhile", d->bus, d->devfn >> 3,
				d->devfn & 7);
		pr_info("mgmt: %s at %02x:%02x.%x, MAC %02x:%02x:%02x:%02x:%02x:%02x", out->model,
			d->bus, d->devfn >> 3, d->devfn & 7, out->mac[0], out->mac[1], out->mac[2],
			out->mac[3], out->mac[4], out->mac[5]);
		if (out->dom)
			pr_info("mgmt: the NIC reaches only its own buffers (IOMMU domain %u)",
				IOMMU_DOMAIN_MGMT_NIC);
		return 0;
	}
	if (any)
		pr_warn("mgmt: no network interface Vatra has a driver for: management network off");
	else
		pr_err("mgmt_nic %s: no such PCI function: management network off", want);
	return -ENODEV;
}
