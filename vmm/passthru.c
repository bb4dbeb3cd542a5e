/* A partition's passed-through PCI functions. See vmm/passthru.h. */
#include "vmm/passthru.h"
#include "vmm/ptassign.h"
#include "vmm/partition.h"
#include "vmm/vmm_ops.h"
#include "vmm/sched.h"
#include "vmm/dev/ptdev.h"
#include "drivers/pci.h"
#include "drivers/iommu.h"
#include "include/vatra/hv.h"
#include "arch/x86/vectors.h"
#include "arch/x86/percpu.h"
#include "mm/mem.h"
#include "arch/x86/mmu.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"

#define PAGE 4096ull
#define MSI_CTRL 2

/* A piece of a BAR the guest reaches through exits instead of the nested
 * tables: the pages holding the MSI-X table or PBA, or all of a BAR
 * smaller than a page (its page may hold other devices' registers). */
struct pt_trap {
	struct pt_func *f;
	unsigned bar;
	uint64_t off, len;		/* within the BAR */
	int handle;			/* in the partition's decoder, -1 = none */
};

#define PT_TRAPS 3

struct pt_vec {
	struct pt_func *f;
	unsigned i;
};

struct pt_func {
	struct partition *p;
	struct pci_dev *hd;		/* the host function */
	uint16_t rid;			/* what the IOMMU sees (pci_dma_rid) */
	uint8_t slot;			/* device number on the partition's bus 0 */
	struct ptdev model;
	uint64_t gaddr[PTDEV_NBARS];	/* pre-assigned guest addresses */
	int vector;			/* host vector of its MSI, -1 = none */
	int ir;				/* its remapping entry, -1 = none */
	bool msi_on;			/* the guest's MSI is programmed into the device */
	uint64_t msi_addr;		/* the guest's message, delivered per interrupt */
	uint32_t msi_data;
	volatile uint32_t pending;	/* set by the host vector, taken under the lock */
	uint64_t irqs, msi_refused, bar_refused;
	volatile uint64_t faults;	/* IOMMU faults it caused while the partition's */
	const char *reset_how;
	/* trapped BAR pieces, and the host BARs as the hypervisor reaches them */
	struct pt_trap traps[PT_TRAPS];
	unsigned ntraps;
	volatile uint8_t *bar_virt[PTDEV_NBARS];
	/* MSI-X: per vector its host vector, the guest's message, and the
	 * interrupts that came (bit i, set by the host vector) */
	int xvec[PTDEV_MSIX_MAX];
	struct pt_vec xctx[PTDEV_MSIX_MAX];
	uint64_t xaddr[PTDEV_MSIX_MAX];
	uint32_t xdata[PTDEV_MSIX_MAX];
	int xir;			/* first of its block of remapping entries, -1 */
	volatile uint64_t xpend;
};

struct part_pt {
	struct pt_func f[PART_MAX_DEVS];
	unsigned n;
	struct iommu_domain *dom;
};

/* Indexed by partition id, outside struct partition: host vectors point
 * at these while the partition's own struct is cleared for a restart. */
static struct part_pt pts[PART_MAX];
/* Guards every pci_dev's owner fields. */
static struct spinlock own_lock;

#define BDF_FMT "%04x:%02x:%02x.%x"
#define BDF(d) (d)->seg, (d)->bus, (d)->devfn >> 3, (d)->devfn & 7

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

static void gpt_flush(struct partition *p)
{
	for (unsigned i = 0; i < p->nvcpus; i++)
		if (p->vcpus[i].arch)
			vmm->gpt_changed(&p->vcpus[i]);
	sched_kick_partition(p);
}

/* Whether [at, at+len) is free in the partition's PCI window: above its
 * RAM, inside the hole below the IOAPIC, no emulated device there and
 * no other passed-through BAR mapped there. */
static bool window_free(struct partition *p, const struct pt_func *self, unsigned bar,
			uint64_t at, uint64_t len)
{
	struct part_pt *pt = &pts[p->id];

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
	const struct ptdev *m = &f->model;

	f->ntraps = 0;
	for (unsigned i = 0; i < PTDEV_NBARS && i < f->hd->nbars; i++) {
		const struct pci_bar *b = &f->hd->bar[i];
		uint64_t lo[2], hi[2];
		unsigned n = 0;

		if (b->type == PCI_BAR_NONE || b->type == PCI_BAR_IO || !b->size)
			continue;
		if (b->size < PAGE) {
			f->traps[f->ntraps++] = (struct pt_trap){ f, i, 0, b->size, -1 };
			continue;
		}
		if (m->msix_off && m->msix_table_bir == i) {
			lo[n] = m->msix_table_off & ~(PAGE - 1);
			hi[n++] = (m->msix_table_off + m->msix_dev_n * 16ull + PAGE - 1) & ~(PAGE - 1);
		}
		if (m->msix_off && m->msix_pba_bir == i) {
			lo[n] = m->msix_pba_off & ~(PAGE - 1);
			hi[n++] = (m->msix_pba_off + (m->msix_dev_n + 63u) / 64 * 8 + PAGE - 1) &
				  ~(PAGE - 1);
		}
		if (n == 2 && lo[1] <= hi[0] && lo[0] <= hi[1]) {
			lo[0] = lo[0] < lo[1] ? lo[0] : lo[1];
			hi[0] = hi[0] > hi[1] ? hi[0] : hi[1];
			n = 1;
		}
		for (unsigned k = 0; k < n && f->ntraps < PT_TRAPS; k++) {
			if (hi[k] > b->size)
				hi[k] = b->size;
			if (hi[k] > lo[k])
				f->traps[f->ntraps++] = (struct pt_trap){ f, i, lo[k], hi[k] - lo[k], -1 };
		}
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
		if (b->size >= PAGE) {
			pt_unmap(&p->gpt, gaddr, b->size);
			gpt_flush(p);
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
	for (uint64_t at = 0; b->size >= PAGE && at < b->size;) {
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

/* ---- MSI ---- */

/* The host vector fired: the device interrupted. Delivery needs the
 * partition lock, which this CPU may hold already: leave a mark and make
 * the partition's CPUs look (platform_poll runs the tick below). */
static void pt_irq(unsigned vector, void *ctx)
{
	struct pt_func *f = ctx;

	(void)vector;
	__atomic_store_n(&f->pending, 1, __ATOMIC_RELEASE);
	f->p->plat.dirty = true;
	sched_kick_partition(f->p);
}

static uint64_t pt_tick(void *ctx, uint64_t now)
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
	return DEV_NO_DEADLINE;
}

static void msi_hw_off(struct pt_func *f)
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
static void env_msi_update(void *ctx, bool on, uint64_t addr, uint32_t data)
{
	struct pt_func *f = ctx;
	struct partition *p = f->p;
	const struct pci_dev *d = f->hd;
	uint32_t ids[VCPU_MAX], hdata;
	uint64_t haddr;
	const char *why;
	uint32_t dest;

	msi_hw_off(f);
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
	/* The host CPU of its boot vCPU takes it (any CPU would do: the
	 * handler only marks it). */
	dest = p->vcpus[0].pcpu ? p->vcpus[0].pcpu->apic_id : cpu_table[0].apic_id;
	if (f->ir >= 0) {
		struct iommu_irte e = { (uint8_t)f->vector, dest };

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

/* ---- IOMMU faults ---- */

/* Past this many faults of one device in one run its bus mastering is
 * turned off: a storm would otherwise keep the IOMMU and the log busy.
 * The partition is told nothing (its driver sees a dead device). */
#define PT_FAULT_STORM 4096

/* The IOMMU driver calls this for each decoded fault (it logged it
 * already, rate-limited): the owner's name, and the per-device count. */
static void pt_fault(const struct iommu_fault *flt)
{
	for (unsigned id = 0; id < PART_MAX; id++) {
		struct part_pt *pt = &pts[id];

		for (unsigned i = 0; i < pt->n; i++) {
			struct pt_func *f = &pt->f[i];
			uint64_t n;

			if (!f->hd || f->hd->seg != flt->seg || f->rid != flt->rid)
				continue;
			n = __atomic_add_fetch(&f->faults, 1, __ATOMIC_RELAXED);
			if (n == 1)
				pr_warn("partition %s: " BDF_FMT " faulted (%s at %#llx): its DMA reaches "
					"only its own RAM", part_name(f->p), BDF(f->hd),
					flt->write ? "write" : "read", (unsigned long long)flt->addr);
			if (n == PT_FAULT_STORM) {
				pci_cfg_write(f->hd, 0x04, 2, pci_cfg_read(f->hd, 0x04, 2) & ~4u);
				pr_warn("partition %s: " BDF_FMT ": %u IOMMU faults: bus mastering "
					"turned off", part_name(f->p), BDF(f->hd), PT_FAULT_STORM);
			}
			return;
		}
	}
}

/* ---- the DMA-attack probe (test partitions) ---- */

/* A page of the hypervisor's own memory holding a known pattern (the
 * one tests/guests/ptedu.c computes), which no IOMMU domain ever maps;
 * the probe page tells a debug_exit partition where it is and whether
 * it is intact, where each partition's RAM lives, and carries one flag
 * between test partitions. Test support only: ordinary partitions never
 * see it. */
static uint64_t marker_hpa;
static volatile uint64_t attack_done;

static void marker_fill(uint8_t *p)
{
	uint32_t x = 0x5eedf00d;

	for (int i = 0; i < 4096; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16) | 0x80;
	}
}

static bool marker_intact(void)
{
	uint8_t want[64];
	const uint8_t *p = phys_to_virt(marker_hpa);
	uint32_t x = 0x5eedf00d;

	for (unsigned i = 0; i < 4096; i++) {
		x = x * 1103515245u + 12345u;
		want[i % 64] = (uint8_t)(x >> 16) | 0x80;
		if (p[i] != want[i % 64])
			return false;
	}
	return true;
}

static int probe_mmio(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		      bool write, uint64_t *val)
{
	(void)ctx, (void)who, (void)addr;
	if (write) {
		if (off == 0x20)
			attack_done = *val;
		return 0;
	}
	*val = 0;
	if (size != 8)
		return 0;
	if (off == 0x00)
		*val = marker_hpa;
	else if (off == 0x08)
		*val = marker_hpa && marker_intact();
	else if (off == 0x20)
		*val = attack_done;
	else if (off == 0x28)
		*val = iommu ? iommu_fault_count() : 0;
	else if (off >= 0x100 && off < 0x100 + 8 * PART_MAX)
		*val = partitions[(off - 0x100) / 8].ram_hpa;
	return 0;
}

static int probe_add(struct partition *p)
{
	if (!p->cfg.debug_exit)
		return 0;
	if (!marker_hpa) {
		marker_hpa = page_alloc(1, 1);
		if (!marker_hpa)
			return -ENOMEM;
		marker_fill(phys_to_virt(marker_hpa));
	}
	return devreg_add(&p->plat.reg, DEVREG_MMIO, PASSTHRU_PROBE_GPA, 4096, probe_mmio, p) < 0 ?
	       -EBUSY : 0;
}

/* ---- MSI-X ---- */

static volatile uint32_t *xentry(struct pt_func *f, unsigned i)
{
	volatile uint8_t *hw = f->bar_virt[f->model.msix_table_bir];

	return hw ? (volatile uint32_t *)(hw + f->model.msix_table_off + 16ull * i) : NULL;
}

static void px_irq(unsigned vector, void *ctx)
{
	struct pt_vec *v = ctx;

	(void)vector;
	__atomic_or_fetch(&v->f->xpend, 1ull << v->i, __ATOMIC_RELEASE);
	v->f->p->plat.dirty = true;
	sched_kick_partition(v->f->p);
}

static void env_msix_enable(void *ctx, bool on)
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

static void env_msix_update(void *ctx, unsigned i, bool on, uint64_t addr, uint32_t data)
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
	dest = p->vcpus[0].pcpu ? p->vcpus[0].pcpu->apic_id : cpu_table[0].apic_id;
	if (f->xir >= 0) {
		struct iommu_irte irte = { (uint8_t)f->xvec[i], dest };

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
	struct part_pt *pt = &pts[p->id];

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
	struct part_pt *pt = &pts[p->id];
	struct pci_dev *devs[PART_MAX_DEVS];
	struct ptassign_env env = { iommu, iommu_absent_reason, false, false };
	struct iommu_info ii = { 0 };
	char why[160];
	unsigned n;
	int r;

	memset(pt, 0, sizeof(*pt));
	if (iommu)
		iommu_set_fault_handler(pt_fault);
	r = probe_add(p);
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
	r = iommu->map(pt->dom, 0, p->ram_hpa, p->ram_size, IOMMU_READ | IOMMU_WRITE);
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
		for (unsigned v = 0; v < PTDEV_MSIX_MAX; v++)
			f->xvec[v] = -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct pt_func *f = &pt->f[i];
		struct ptdev_env me = { env_cfg_read, env_cfg_write, env_bar_map, env_msi_update,
					env_msix_enable, env_msix_update, f };
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
	}
	r = devreg_timer_add(&p->plat.reg, pt_tick, pt);
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
	struct part_pt *pt = &pts[p->id];

	if (!pt->n && !pt->dom)
		return;
	for (unsigned i = 0; i < pt->n; i++) {
		struct pt_func *f = &pt->f[i];

		if (!f->hd)
			continue;
		/* The guest's view goes: BARs unmapped, MSI off. */
		if (f->model.env.cfg_read)
			ptdev_shutdown(&f->model);
		msi_hw_off(f);
		/* Bus mastering off and a reset, so nothing of this run
		 * survives into the next owner's. */
		f->reset_how = pci_reset(pci_host_tree(), f->hd);
		pr_info("partition %s: " BDF_FMT ": %s", part_name(p), BDF(f->hd), f->reset_how);
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
	const struct part_pt *pt = &pts[p->id];
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
