/* Interrupts of passed-through functions (vmm/passthru_priv.h): the
 * guest's MSI and MSI-X messages validated and programmed into the
 * device as remapped messages to host vectors, the host vectors turned
 * into the guest's own vectors at the partition's next exit, and the
 * IOMMU's faults tied to the owning partition. */
#include "vmm/passthru_priv.h"
#include "vmm/partition.h"
#include "arch/x86/vectors.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/errno.h"

#define MSI_CTRL 2

/* ---- MSI ---- */

/* The host vector fired: the device interrupted. Delivery needs the
 * partition lock, which this CPU may hold already: leave a mark and kick
 * the vCPU the message names, whose CPU this is (platform_poll runs the
 * tick below). */
static void pt_irq(unsigned vector, void *ctx)
{
	struct pt_func *f = ctx;

	(void)vector;
	__atomic_store_n(&f->pending, 1, __ATOMIC_RELEASE);
	platform_kick_vcpu(&f->p->vcpus[f->msi_vcpu]);
}

uint64_t ptirq_tick(void *ctx, uint64_t now)
{
	struct part_pt *pt = ctx;

	(void)now;
	for (unsigned i = 0; i < pt->n; i++) {
		struct pt_func *f = &pt->f[i];

		uint64_t x = __atomic_exchange_n(&f->xpend, 0, __ATOMIC_ACQ_REL);

		for (unsigned v = 0; x && v < f->model.msix_n; v++)
			if ((x & (1ull << v)) && ptdev_msix_fire(&f->model, v)) {
				f->irqs++;
				f->p->plat.env.msi(f->p, f->xaddr[v], f->xdata[v]);
			}
		if (!__atomic_exchange_n(&f->pending, 0, __ATOMIC_ACQ_REL) || !f->msi_on)
			continue;
		f->irqs++;
		f->p->plat.env.msi(f->p, f->msi_addr, f->msi_data);
	}
	ptintx_tick(pt);
	return DEV_NO_DEADLINE;
}

void ptirq_msi_off(struct pt_func *f)
{
	uint16_t off = f->hd->msi_off;

	if (off)
		pci_cfg_write(f->hd, off + MSI_CTRL, 2,
			      pci_cfg_read(f->hd, off + MSI_CTRL, 2) & ~0x71u);
	f->msi_on = false;
}

/* The guest (re)programmed its MSI: validate the message against the
 * partition, then point the real function at the host vector — through
 * its remapping entry when the IOMMU remaps, else directly. */
void ptirq_msi_update(void *ctx, bool on, uint64_t addr, uint32_t data)
{
	struct pt_func *f = ctx;
	struct partition *p = f->p;
	const struct pci_dev *d = f->hd;
	uint32_t ids[VCPU_MAX], hdata;
	uint64_t haddr;
	const char *why;
	uint32_t dest;

	ptirq_msi_off(f);
	if (!on || !d->msi_off)
		return;
	for (unsigned i = 0; i < p->nvcpus; i++)
		ids[i] = p->vcpus[i].id;
	if (ptdev_msi_check(addr, data, ids, p->nvcpus, &why)) {
		if (!f->msi_refused++)
			pr_warn("partition %s: " BDF_FMT ": MSI address %#llx data %#x refused: %s",
				part_name(p), BDF(d), (unsigned long long)addr, data, why);
		return;
	}
	if (f->vector < 0) {
		f->vector = vectors_alloc(pt_irq, f, "passthrough MSI");
		if (f->vector < 0) {
			pr_err("partition %s: " BDF_FMT ": no host vector for its MSI (%s)",
			       part_name(p), BDF(d), err_name(f->vector));
			return;
		}
	}
	/* The host CPU of the vCPU it names takes it: the handler marks it
	 * and kicks that vCPU, so delivery and injection stay on one CPU. */
	f->msi_vcpu = ptdev_msi_target(addr, data, ids, p->nvcpus);
	dest = p->vcpus[f->msi_vcpu].pcpu ? p->vcpus[f->msi_vcpu].pcpu->apic_id :
					    cpu_table[0].apic_id;
	if (f->ir >= 0) {
		struct iommu_irte e = { (uint8_t)f->vector, dest, false };

		if (iommu->ir_set(d->seg, f->rid, (unsigned)f->ir, &e)) {
			pr_err("partition %s: " BDF_FMT ": remapping entry %d refused",
			       part_name(p), BDF(d), f->ir);
			return;
		}
		if (iommu->ir_msi(d->seg, f->rid, (unsigned)f->ir, &haddr, &hdata)) {
			pr_err("partition %s: " BDF_FMT ": no remapped MSI for entry %d",
			       part_name(p), BDF(d), f->ir);
			return;
		}
	} else {
		haddr = 0xfee00000u | dest << 12;
		hdata = (uint32_t)f->vector;
	}
	f->msi_addr = addr;
	f->msi_data = data;
	pci_cfg_write(d, d->msi_off + 4, 4, (uint32_t)haddr);
	if (d->msi_64bit) {
		pci_cfg_write(d, d->msi_off + 8, 4, (uint32_t)(haddr >> 32));
		pci_cfg_write(d, d->msi_off + 0xc, 2, (uint16_t)hdata);
	} else {
		pci_cfg_write(d, d->msi_off + 8, 2, (uint16_t)hdata);
	}
	if (d->msi_maskable)
		pci_cfg_write(d, d->msi_off + (d->msi_64bit ? 0x10 : 0xc), 4, 0);
	f->msi_on = true;
	pci_cfg_write(d, d->msi_off + MSI_CTRL, 2,
		      (pci_cfg_read(d, d->msi_off + MSI_CTRL, 2) & ~0x70u) | 1);
}

/* ---- MSI-X ---- */

/* Entry i of the device's own MSI-X table, through the hypervisor's
 * mapping of its BAR; NULL when the table does not lie inside the BAR. */
static volatile uint32_t *xentry(struct pt_func *f, unsigned i)
{
	unsigned bir = f->model.msix_table_bir;
	volatile uint8_t *hw = f->bar_virt[bir];
	uint64_t at = f->model.msix_table_off + 16ull * i;

	if (!hw || at + 16 > f->hd->bar[bir].size)
		return NULL;
	return (volatile uint32_t *)(hw + at);
}

static void px_irq(unsigned vector, void *ctx)
{
	struct pt_vec *v = ctx;

	(void)vector;
	__atomic_or_fetch(&v->f->xpend, 1ull << v->i, __ATOMIC_RELEASE);
	platform_kick_vcpu(&v->f->p->vcpus[v->f->xvcpu[v->i]]);
}

void ptirq_msix_enable(void *ctx, bool on)
{
	struct pt_func *f = ctx;
	const struct pci_dev *d = f->hd;
	uint16_t off = f->model.msix_off;
	uint16_t ctrl = (uint16_t)pci_cfg_read(d, off + 2, 2) & ~0xc000u;

	if (on) {
		/* Every vector masked on the device until the guest's
		 * message for it is programmed (a stale one never fires). */
		for (unsigned i = 0; i < f->model.msix_dev_n; i++) {
			volatile uint32_t *e = xentry(f, i);

			if (e)
				e[3] = 1;
		}
		pci_cfg_write(d, off + 2, 2, ctrl | 0x8000u);
	} else {
		pci_cfg_write(d, off + 2, 2, ctrl);
	}
}

void ptirq_msix_update(void *ctx, unsigned i, bool on, uint64_t addr, uint32_t data)
{
	struct pt_func *f = ctx;
	struct partition *p = f->p;
	const struct pci_dev *d = f->hd;
	volatile uint32_t *e = xentry(f, i);
	uint32_t ids[VCPU_MAX], hdata;
	uint64_t haddr;
	uint32_t dest;
	const char *why;

	if (!e || i >= PTDEV_MSIX_MAX)
		return;
	e[3] = 1;			/* masked while it changes */
	if (!on)
		return;
	for (unsigned k = 0; k < p->nvcpus; k++)
		ids[k] = p->vcpus[k].id;
	if (ptdev_msi_check(addr, data, ids, p->nvcpus, &why)) {
		if (!f->msi_refused++)
			pr_warn("partition %s: " BDF_FMT ": MSI-X vector %u address %#llx data %#x "
				"refused: %s", part_name(p), BDF(d), i, (unsigned long long)addr, data,
				why);
		return;
	}
	if (f->xvec[i] < 0) {
		f->xctx[i] = (struct pt_vec){ f, i };
		f->xvec[i] = vectors_alloc(px_irq, &f->xctx[i], "passthrough MSI-X");
		if (f->xvec[i] < 0) {
			pr_err("partition %s: " BDF_FMT ": no host vector for MSI-X vector %u (%s)",
			       part_name(p), BDF(d), i, err_name(f->xvec[i]));
			f->xvec[i] = -1;
			return;
		}
	}
	f->xvcpu[i] = (uint8_t)ptdev_msi_target(addr, data, ids, p->nvcpus);
	dest = p->vcpus[f->xvcpu[i]].pcpu ? p->vcpus[f->xvcpu[i]].pcpu->apic_id :
					    cpu_table[0].apic_id;
	if (f->xir >= 0) {
		struct iommu_irte irte = { (uint8_t)f->xvec[i], dest, false };

		if (iommu->ir_set(d->seg, f->rid, (unsigned)f->xir + i, &irte) ||
		    iommu->ir_msi(d->seg, f->rid, (unsigned)f->xir + i, &haddr, &hdata)) {
			pr_err("partition %s: " BDF_FMT ": MSI-X vector %u: remapping entry refused",
			       part_name(p), BDF(d), i);
			return;
		}
	} else {
		haddr = 0xfee00000u | dest << 12;
		hdata = (uint32_t)f->xvec[i];
	}
	f->xaddr[i] = addr;
	f->xdata[i] = data;
	e[0] = (uint32_t)haddr;
	e[1] = (uint32_t)(haddr >> 32);
	e[2] = hdata;
	e[3] = 0;
	/* One that came while the guest had it masked goes in now. */
	if (ptdev_msix_take(&f->model, i)) {
		f->irqs++;
		p->plat.env.msi(p, addr, data);
	}
}

/* ---- IOMMU faults ---- */

/* Past this many faults of one device in one run its bus mastering is
 * turned off: a storm would otherwise keep the IOMMU and the log busy.
 * The partition is told nothing (its driver sees a dead device). */
#define PT_FAULT_STORM 4096

/* The IOMMU driver calls this for each decoded fault (it logged it
 * already, rate-limited): the owner's name, and the per-device count. */
/* One line per fault while the IOMMU layer says to log it (it samples a
 * storm), with the owner when a partition has the device. */
static void fault_log(const struct iommu_fault *flt, const struct partition *owner)
{
	if (!flt->log)
		return;
	pr_warn("iommu: fault #%lu from %04x:%02x:%02x.%x: %s at %#llx: %s (reason %#x)%s%s%s",
		flt->count, flt->seg, flt->rid >> 8, (flt->rid >> 3) & 0x1f, flt->rid & 7,
		flt->write ? "write" : "read", (unsigned long long)flt->addr, flt->what,
		flt->reason, owner ? ", partition " : "", owner ? part_name(owner) : "",
		/* the IOMMU layer logs the first 16 of a device, then samples */
		flt->count == 16 ? "; further faults of it are sampled" : "");
}

void ptirq_fault(const struct iommu_fault *flt)
{
	for (unsigned id = 0; id < PART_MAX; id++) {
		struct part_pt *pt = &passthru_parts[id];

		for (unsigned i = 0; i < pt->n; i++) {
			struct pt_func *f = &pt->f[i];
			uint64_t n;

			if (!f->hd || f->hd->seg != flt->seg || f->rid != flt->rid)
				continue;
			n = __atomic_add_fetch(&f->faults, 1, __ATOMIC_RELAXED);
			fault_log(flt, f->p);
			if (n == PT_FAULT_STORM) {
				pci_cfg_write(f->hd, 0x04, 2, pci_cfg_read(f->hd, 0x04, 2) & ~4u);
				pr_warn("partition %s: " BDF_FMT ": %u IOMMU faults: bus mastering "
					"turned off", part_name(f->p), BDF(f->hd), PT_FAULT_STORM);
			}
			return;
		}
	}
	fault_log(flt, NULL);
}

void ptirq_free(struct pt_func *f)
{
	if (f->ir >= 0)
		iommu->ir_free(f->hd->seg, f->rid, (unsigned)f->ir, 1);
	f->ir = -1;
	if (f->vector >= 0)
		vectors_free((unsigned)f->vector);
	f->vector = -1;
	if (f->xir >= 0)
		iommu->ir_free(f->hd->seg, f->rid, (unsigned)f->xir, f->model.msix_n);
	f->xir = -1;
	for (unsigned v = 0; v < PTDEV_MSIX_MAX; v++) {
		if (f->xvec[v] >= 0)
			vectors_free((unsigned)f->xvec[v]);
		f->xvec[v] = -1;
	}
}
