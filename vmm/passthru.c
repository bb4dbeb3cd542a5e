/* A partition's passed-through PCI functions: start, stop, their BARs
 * in the nested tables and the permission map, and the report. See
 * vmm/passthru.h; interrupts are vmm/ptirq.c's. */
#include "vmm/passthru_priv.h"
#include "vmm/ptassign.h"
#include "vmm/partition.h"
#include "vmm/vmm_ops.h"
#include "vmm/sched.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"

struct part_pt passthru_parts[PART_MAX];
/* Guards every pci_dev's owner fields. */
static struct spinlock own_lock;

/* ---- the model's environment ---- */

static uint32_t env_cfg_read(void *ctx, unsigned reg, unsigned size)
{
	struct pt_func *f = ctx;

	/* Past a conventional function's 256 bytes: no extended
	 * capabilities (PCIe Base 4.0, 7.6: a header of 0). */
	if (reg >= f->hd->cfg_size)
		return 0;
	return pci_cfg_read(f->hd, (uint16_t)reg, size);
}

static void env_cfg_write(void *ctx, unsigned reg, unsigned size, uint32_t val)
{
	struct pt_func *f = ctx;

	pci_cfg_write(f->hd, (uint16_t)reg, size, val);
}


/* Whether [at, at+len) is free in the partition's PCI window: above its
 * RAM, inside the hole below the IOAPIC, no emulated device there and
 * no other passed-through BAR mapped there. */
static bool window_free(struct partition *p, const struct pt_func *self, unsigned bar,
			uint64_t at, uint64_t len)
{
	struct part_pt *pt = &passthru_parts[p->id];

	if (at < PLAT_PCI_HOLE_GPA || at < p->ram_size || at + len > PLAT_IOAPIC_GPA ||
	    at + len < at)
		return false;
	if (devreg_busy(&p->plat.reg, DEVREG_MMIO, at, len))
		return false;
	for (unsigned i = 0; i < pt->n; i++)
		for (unsigned b = 0; b < PTDEV_NBARS; b++) {
			const struct ptdev_bar *o = &pt->f[i].model.bars[b];

			if ((&pt->f[i] == self && b == bar) || !o->mapped || (o->type & VPCI_BAR_IO))
				continue;
			if (at < o->mapped_at + o->size && o->mapped_at < at + len)
				return false;
		}
	return true;
}

/* One access to a trapped piece: the MSI-X table and PBA are the
 * model's, everything else goes to the device as the guest sized it. */
static int trap_mmio(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		     bool write, uint64_t *val)
{
	struct pt_trap *t = ctx;
	struct pt_func *f = t->f;
	uint64_t at = t->off + off;
	volatile uint8_t *hw = f->bar_virt[t->bar];

	(void)who, (void)addr;
	if (!ptdev_msix_access(&f->model, t->bar, at, size, write, val))
		return 0;
	if (!hw || at + size > f->hd->bar[t->bar].size || (at & (size - 1))) {
		if (!write)
			*val = ~0ull >> (64 - 8 * size);
		return 0;
	}
	if (write) {
		switch (size) {
		case 1: *(volatile uint8_t *)(hw + at) = (uint8_t)*val; break;
		case 2: *(volatile uint16_t *)(hw + at) = (uint16_t)*val; break;
		case 4: *(volatile uint32_t *)(hw + at) = (uint32_t)*val; break;
		default: *(volatile uint64_t *)(hw + at) = *val; break;
		}
	} else {
		switch (size) {
		case 1: *val = *(volatile uint8_t *)(hw + at); break;
		case 2: *val = *(volatile uint16_t *)(hw + at); break;
		case 4: *val = *(volatile uint32_t *)(hw + at); break;
		default: *val = *(volatile uint64_t *)(hw + at); break;
		}
	}
	return 0;
}

static void traps_off(struct pt_func *f, unsigned bar)
{
	for (unsigned t = 0; t < f->ntraps; t++)
		if (f->traps[t].bar == bar && f->traps[t].handle >= 0) {
			devreg_del(&f->p->plat.reg, DEVREG_MMIO, f->traps[t].handle);
			f->traps[t].handle = -1;
		}
}

static int traps_on(struct pt_func *f, unsigned bar, uint64_t gaddr)
{
	for (unsigned t = 0; t < f->ntraps; t++) {
		struct pt_trap *tr = &f->traps[t];

		if (tr->bar != bar)
			continue;
		tr->handle = devreg_add(&f->p->plat.reg, DEVREG_MMIO, gaddr + tr->off, tr->len,
					trap_mmio, tr);
		if (tr->handle < 0) {
			tr->handle = -1;
			traps_off(f, bar);
			return -EBUSY;
		}
	}
	return 0;
}

/* The pieces of each BAR that must exit: a whole BAR below a page, and
 * the pages of the MSI-X table and PBA (PCI Local Bus 3.0, 6.8.2: they
 * may share pages with other registers, which are forwarded). */
static void traps_plan(struct pt_func *f)
{
	f->ntraps = 0;
	for (unsigned i = 0; i < PTDEV_NBARS && i < f->hd->nbars; i++) {
		const struct pci_bar *b = &f->hd->bar[i];
		uint64_t off[2], len[2];
		unsigned n;

		if (b->type == PCI_BAR_NONE || b->type == PCI_BAR_IO || !b->size)
			continue;
		n = ptdev_trap_ranges(&f->model, i, b->size, off, len);
		for (unsigned k = 0; k < n; k++)
			f->traps[f->ntraps++] = (struct pt_trap){ f, i, off[k], len[k], -1 };
	}
}

static int env_bar_map(void *ctx, unsigned i, uint64_t gaddr, bool on)
{
	struct pt_func *f = ctx;
	struct partition *p = f->p;
	const struct pci_bar *b = &f->hd->bar[i];
	int r;

	if (b->type == PCI_BAR_IO) {
		/* The I/O permission map lets the guest reach the same port
		 * numbers as the machine's: the BAR works where the host has
		 * it (where it is pre-assigned), nowhere else. */
		if (!on) {
			vmm->part_io(p, (uint16_t)gaddr, (unsigned)b->size, false);
			return 0;
		}
		if (gaddr != b->base || devreg_busy(&p->plat.reg, DEVREG_PIO, gaddr, b->size)) {
			if (!f->bar_refused++)
				pr_warn("partition %s: " BDF_FMT ": I/O BAR%u at %#llx is not "
					"reachable: it works only at the host's port %#llx",
					part_name(p), BDF(f->hd), i, (unsigned long long)gaddr,
					(unsigned long long)b->base);
			return -EINVAL;
		}
		vmm->part_io(p, (uint16_t)gaddr, (unsigned)b->size, true);
		return 0;
	}
	if (!on) {
		traps_off(f, i);
		if (b->size >= PT_PAGE) {
			pt_unmap(&p->gpt, gaddr, b->size);
			part_gpt_sync(p);
		}
		return 0;
	}
	if (!window_free(p, f, i, gaddr, b->size)) {
		if (!f->bar_refused++)
			pr_warn("partition %s: " BDF_FMT ": BAR%u not mapped at %#llx: outside the "
				"PCI window or over another device", part_name(p), BDF(f->hd), i,
				(unsigned long long)gaddr);
		return -EINVAL;
	}
	r = traps_on(f, i, gaddr);
	if (r)
		return r;
	/* The rest in the nested tables, around the trapped pages. */
	for (uint64_t at = 0; b->size >= PT_PAGE && at < b->size;) {
		uint64_t end = b->size;

		for (unsigned t = 0; t < f->ntraps; t++) {
			const struct pt_trap *tr = &f->traps[t];

			if (tr->bar != i)
				continue;
			if (tr->off <= at && at < tr->off + tr->len) {
				at = tr->off + tr->len;
				end = at;	/* nothing mapped here */
				break;
			}
			if (tr->off > at && tr->off < end)
				end = tr->off;
		}
		if (end > at) {
			r = pt_map(&p->gpt, gaddr + at, b->base + at, end - at,
				   PT_R | PT_W | PT_USER | PT_UC);
			if (r) {
				pt_unmap(&p->gpt, gaddr, b->size);
				part_gpt_sync(p);
				traps_off(f, i);
				pr_err("partition %s: " BDF_FMT ": BAR%u: nested mapping failed (%s)",
				       part_name(p), BDF(f->hd), i, err_name(r));
				return r;
			}
			at = end;
		}
	}
	return 0;
}

/* ---- start and stop ---- */

static uint32_t bar_vpci_type(const struct pci_bar *b)
{
	switch (b->type) {
	case PCI_BAR_IO: return VPCI_BAR_IO;
	case PCI_BAR_MEM32: return VPCI_BAR_MEM32 | (b->prefetch ? VPCI_BAR_PREFETCH : 0);
	case PCI_BAR_MEM64: return VPCI_BAR_MEM64 | (b->prefetch ? VPCI_BAR_PREFETCH : 0);
	}
	return 0;
}

/* Where firmware would put each BAR: memory BARs at the lowest free
 * size-aligned address of the PCI window, I/O BARs at the host's ports
 * (the only place the permission map can pass them). */
static int assign_bars(struct partition *p, struct pt_func *f, struct ptdev_bar_info *info,
		       char *err, size_t errlen)
{
	struct part_pt *pt = &passthru_parts[p->id];

	for (unsigned i = 0; i < PTDEV_NBARS && i < f->hd->nbars; i++) {
		const struct pci_bar *b = &f->hd->bar[i];
		uint64_t at;
		bool found = false;

		info[i] = (struct ptdev_bar_info){ 0, 0 };
		f->gaddr[i] = 0;
		if (b->type == PCI_BAR_NONE || !b->size)
			continue;
		info[i] = (struct ptdev_bar_info){ b->size, bar_vpci_type(b) };
		if (b->type == PCI_BAR_IO) {
			if (!devreg_busy(&p->plat.reg, DEVREG_PIO, b->base, b->size))
				f->gaddr[i] = b->base;
			continue;
		}
		for (at = PLAT_PCI_HOLE_GPA; at + b->size <= PLAT_IOAPIC_GPA && !found;
		     at += b->size) {
			bool clash = at < p->ram_size ||
				     devreg_busy(&p->plat.reg, DEVREG_MMIO, at, b->size);

			for (unsigned j = 0; j <= (unsigned)(f - pt->f) && !clash; j++)
				for (unsigned k = 0; k < PTDEV_NBARS && !clash; k++) {
					uint64_t o = pt->f[j].gaddr[k],
						 os = pt->f[j].hd->bar[k].size;

					if ((&pt->f[j] == f && k >= i) || !o ||
					    pt->f[j].hd->bar[k].type == PCI_BAR_IO)
						continue;
					clash = at < o + os && o < at + b->size;
				}
			if (!clash) {
				f->gaddr[i] = at;
				found = true;
			}
		}
		if (!found) {
			snprintf(err, errlen, BDF_FMT ": BAR%u (%llu KiB) does not fit the "
				 "partition's PCI window", BDF(f->hd), i,
				 (unsigned long long)(b->size >> 10));
			return -ENOSPC;
		}
	}
	return 0;
}

static void release_all(struct partition *p, struct pci_dev **devs, unsigned n)
{
	spin_lock(&own_lock);
	for (unsigned i = 0; i < n; i++)
		pci_release(devs[i], (int)p->id);
	spin_unlock(&own_lock);
}

int passthru_start(struct partition *p, char *err, size_t errlen)
{
	const struct part_config *c = &p->cfg;
	struct part_pt *pt = &passthru_parts[p->id];
	struct pci_dev *devs[PART_MAX_DEVS];
	struct ptassign_env env = { iommu, iommu_absent_reason, false, false };
	struct iommu_info ii = { 0 };
	char why[160];
	unsigned n;
	int r;

	memset(pt, 0, sizeof(*pt));
	if (iommu)
		iommu_set_fault_handler(ptirq_fault);
	r = ptprobe_add(p);
	if (r) {
		snprintf(err, errlen, "the test probe page could not be set up (%s)", err_name(r));
		return r;
	}
	if (!c->ndevs)
		return 0;
	if (iommu) {
		iommu->info(&ii);
		env.intr_remap = ii.intr_remap;
	}
	env.allow_unsafe = hv.allow_unsafe_interrupts;
	spin_lock(&own_lock);
	r = ptassign_resolve(pci_host_tree(), c, (int)p->id, &env, devs, &n, why, sizeof(why));
	for (unsigned i = 0; !r && i < n; i++)
		if (devs[i]->owner == PCI_OWNER_FREE)
			pci_claim(devs[i], (int)p->id, c->name);
	spin_unlock(&own_lock);
	if (r) {
		pr_err("partition %s: vatra.cfg line %u: devices = ...: %s", part_name(p),
		       c->devs_line, why);
		snprintf(err, errlen, "vatra.cfg line %u (devices): %s", c->devs_line, why);
		return r;
	}
	if (!env.intr_remap)
		pr_warn("partition %s: the IOMMU does not remap interrupts: its devices can "
			"send any interrupt to any CPU (allow_unsafe_interrupts = yes)",
			part_name(p));

	/* One domain: exactly the partition's RAM where its guest sees it. */
	pt->dom = iommu->domain_create(p->id + 1);
	if (!pt->dom) {
		snprintf(err, errlen, "no IOMMU domain");
		release_all(p, devs, n);
		return -ENOMEM;
	}
	uint64_t t0 = rdtsc();
	r = iommu->map(pt->dom, 0, p->ram_hpa, p->ram_size, IOMMU_READ | IOMMU_WRITE);
	uint64_t dt = rdtsc() - t0;
	if (!r && hv.tsc_khz && p->ram_size) {
		/* What mapping the domain costs the partition's start
		 * (make bench reads it): microseconds, and per GiB. */
		uint64_t us = dt * 1000 / hv.tsc_khz;
		pr_info("partition %s: IOMMU domain maps %llu MiB in %llu us (%llu us per GiB)",
			part_name(p), (unsigned long long)(p->ram_size >> 20),
			(unsigned long long)us,
			(unsigned long long)(us * (1ull << 30) / p->ram_size));
	}
	if (r) {
		snprintf(err, errlen, "its IOMMU domain cannot map its RAM (%s)", err_name(r));
		iommu->domain_destroy(pt->dom);
		pt->dom = NULL;
		release_all(p, devs, n);
		return r;
	}
	pt->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct pt_func *f = &pt->f[i];

		f->p = p;
		f->hd = devs[i];
		f->rid = pci_dma_rid(pci_host_tree(), devs[i]);
		f->vector = -1;
		f->ir = -1;
		f->xir = -1;
		f->intx = -1;
		for (unsigned v = 0; v < PTDEV_MSIX_MAX; v++)
			f->xvec[v] = -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct pt_func *f = &pt->f[i];
		struct ptdev_env me = { env_cfg_read, env_cfg_write, env_bar_map, ptirq_msi_update,
					ptirq_msix_enable, ptirq_msix_update, ptintx_disable, f };
		struct ptdev_bar_info info[PTDEV_NBARS];
		struct vpci_func *vf = NULL;
		bool attached = false;

		for (unsigned j = 0; j < i; j++)
			attached |= pt->f[j].rid == f->rid && pt->f[j].hd->seg == f->hd->seg;
		if (!attached) {
			r = iommu->attach(pt->dom, f->hd->seg, f->rid);
			if (r) {
				snprintf(err, errlen, BDF_FMT ": IOMMU attach failed (%s)",
					 BDF(f->hd), err_name(r));
				goto fail;
			}
		}
		if (env.intr_remap && f->hd->msi_off) {
			f->ir = iommu->ir_alloc(f->hd->seg, f->rid, 1);
			if (f->ir < 0) {
				snprintf(err, errlen, BDF_FMT ": no interrupt-remapping entry (%s)",
					 BDF(f->hd), err_name(f->ir));
				r = f->ir;
				f->ir = -1;
				goto fail;
			}
		}
		r = assign_bars(p, f, info, err, errlen);
		if (r)
			goto fail;
		r = ptdev_init(&f->model, &me, info, f->gaddr);
		if (r) {
			snprintf(err, errlen, BDF_FMT ": BARs the model cannot express",
				 BDF(f->hd));
			goto fail;
		}
		/* The hypervisor reaches the BARs it traps pieces of (the MSI-X
		 * table, registers sharing its pages, BARs below a page). */
		traps_plan(f);
		for (unsigned t = 0; t < f->ntraps; t++) {
			unsigned b = f->traps[t].bar;

			if (!f->bar_virt[b])
				f->bar_virt[b] = mmu_map_phys(f->hd->bar[b].base, f->hd->bar[b].size,
							      true);
			if (!f->bar_virt[b]) {
				snprintf(err, errlen, BDF_FMT ": BAR%u cannot be mapped for the "
					 "hypervisor", BDF(f->hd), b);
				r = -ENOMEM;
				goto fail;
			}
		}
		if (f->model.msix_off && !f->bar_virt[f->model.msix_table_bir]) {
			snprintf(err, errlen, BDF_FMT ": its MSI-X table is in no memory BAR",
				 BDF(f->hd));
			r = -EINVAL;
			goto fail;
		}
		if (env.intr_remap && f->model.msix_off) {
			f->xir = iommu->ir_alloc(f->hd->seg, f->rid, f->model.msix_n);
			if (f->xir < 0) {
				snprintf(err, errlen, BDF_FMT ": no interrupt-remapping entries for "
					 "MSI-X (%s)", BDF(f->hd), err_name(f->xir));
				r = f->xir;
				f->xir = -1;
				goto fail;
			}
		}
		for (f->slot = 2, r = -EEXIST; f->slot < 32 && r == -EEXIST; f->slot++) {
			r = vpci_add(&p->plat.pci, 0, f->slot, 0, &ptdev_vpci_ops, &f->model, &vf);
			if (!r)
				break;
		}
		if (r) {
			snprintf(err, errlen, BDF_FMT ": no room on the partition's PCI bus (%s)",
				 BDF(f->hd), err_name(r));
			goto fail;
		}
		pr_info("partition %s: " BDF_FMT " %04x:%04x is its 00:%02x.0", part_name(p),
			BDF(f->hd), f->hd->vendor, f->hd->device, f->slot);
		ptintx_setup(f);
	}
	ptintx_finish(p);
	r = devreg_timer_add(&p->plat.reg, ptirq_tick, pt);
	if (r) {
		snprintf(err, errlen, "no timer slot for its devices' interrupts");
		goto fail;
	}
	return 0;
fail:
	passthru_stop(p);
	return r;
}

void passthru_stop(struct partition *p)
{
	struct part_pt *pt = &passthru_parts[p->id];

	if (!pt->n && !pt->dom)
		return;
	for (unsigned i = 0; i < pt->n; i++) {
		struct pt_func *f = &pt->f[i];

		if (!f->hd)
			continue;
		/* The guest's view goes: BARs unmapped, MSI off. */
		if (f->model.env.cfg_read)
			ptdev_shutdown(&f->model);
		ptirq_msi_off(f);
		/* Bus mastering off and a reset, so nothing of this run
		 * survives into the next owner's. */
		f->reset_how = pci_reset(pci_host_tree(), f->hd);
		pr_info("partition %s: " BDF_FMT ": %s", part_name(p), BDF(f->hd), f->reset_how);
		ptirq_free(f);
		ptintx_free(f);
	}
	/* Blocking again before anyone else may own them. */
	for (unsigned i = 0; i < pt->n; i++) {
		struct pt_func *f = &pt->f[i];
		bool done = false;

		for (unsigned j = 0; j < i; j++)
			done |= pt->f[j].rid == f->rid && pt->f[j].hd->seg == f->hd->seg;
		if (!done && f->hd && pt->dom)
			iommu->detach(pt->dom, f->hd->seg, f->rid);
	}
	if (pt->dom) {
		iommu->unmap(pt->dom, 0, p->ram_size);
		iommu->domain_destroy(pt->dom);
		pt->dom = NULL;
	}
	spin_lock(&own_lock);
	for (unsigned i = 0; i < pt->n; i++)
		if (pt->f[i].hd)
			pci_release(pt->f[i].hd, (int)p->id);
	spin_unlock(&own_lock);
	pt->n = 0;
}

void passthru_report(const struct partition *p, struct sink *out)
{
	const struct part_pt *pt = &passthru_parts[p->id];
	const struct part_config *c = &p->cfg;

	if (!c->ndevs)
		return;
	if (!pt->n) {
		sink_printf(out, "  devices  none assigned (vatra.cfg line %u)\n", c->devs_line);
		return;
	}
	for (unsigned i = 0; i < pt->n; i++) {
		const struct pt_func *f = &pt->f[i];

		sink_printf(out, "  device   " BDF_FMT " %04x:%04x as 00:%02x.0, requester ID "
			    "%02x:%02x.%x, MSI %s, %llu interrupts", BDF(f->hd), f->hd->vendor,
			    f->hd->device, f->slot, f->rid >> 8, (f->rid >> 3) & 0x1f, f->rid & 7,
			    f->msi_on ? "on" : "off", (unsigned long long)f->irqs);
		if (f->msi_refused)
			sink_printf(out, ", %llu MSI refused", (unsigned long long)f->msi_refused);
		ptintx_report(f, out);
		if (f->faults)
			sink_printf(out, ", %llu IOMMU faults", (unsigned long long)f->faults);
		sink_printf(out, ", %llu config writes dropped\n",
			    (unsigned long long)f->model.dropped_writes);
		for (unsigned b = 0; b < PTDEV_NBARS; b++) {
			const struct ptdev_bar *m = &f->model.bars[b];

			if (!m->size || m->upper)
				continue;
			sink_printf(out, "    BAR%u host %#llx guest %#llx size %#llx%s\n", b,
				    (unsigned long long)f->hd->bar[b].base,
				    (unsigned long long)ptdev_bar_addr(&f->model, b),
				    (unsigned long long)m->size, m->mapped ? " mapped" : "");
		}
	}
}
