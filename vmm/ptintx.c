/* Legacy INTx of passed-through functions (vmm/passthru_priv.h).
 *
 * Host side: a function's pin is swizzled up through the bridges above
 * it ((device + pin) mod 4 at each, PCI-to-PCI Bridge 1.2, 9.1) to its
 * root bus, whose _PRT in the firmware's ACPI tables (drivers/acpi_prt.c)
 * names the GSI, its trigger and polarity. That GSI's IOAPIC input is
 * programmed level-triggered as the route says, through a remapping
 * entry with the IOAPIC's source ID when the IOMMU remaps, to a host
 * vector whose handler masks the input (a level line stays asserted
 * until the guest's driver clears the cause), clears its remote IRR and
 * marks the line.
 *
 * Guest side: each host line a partition uses is one input of its
 * virtual IOAPIC (GSI 16 up), active low like the INTx# wire: driven
 * low while the host line is asserted, high while idle. The DSDT's
 * static _PRT maps each function's pin to it. The guest's EOI of that
 * input (its remote IRR cleared) lets the line go idle and unmasks the
 * host input: if the device still asserts, the host vector comes again.
 *
 * Sharing: functions of one partition on one host GSI share its line,
 * as on the board. A GSI that also carries a function of another
 * partition or of the hypervisor is refused for INTx (the other owner's
 * device could hold the line asserted, or its interrupts would be
 * delivered here); a free function on it gets INTx Disable set. */
#include "vmm/passthru_priv.h"
#include "vmm/partition.h"
#include "drivers/acpi.h"
#include "drivers/acpi_prt.h"
#include "drivers/ioapic.h"
#include "arch/x86/vectors.h"
#include "arch/x86/percpu.h"
#include "arch/x86/mmu.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"

#define INTX_LINES 32
#define INTX_VGSI_FIRST 16
#define INTX_VGSI_N 8			/* 16-23 of the partition's IOAPIC */
#define PCI_CMD_INTX_DISABLE 0x400u

struct intx_line {
	bool used;
	uint32_t gsi;
	struct partition *p;		/* its owner */
	unsigned nfuncs;
	uint8_t vgsi;
	bool level, active_low;
	int vector;
	int ir;				/* index in the IOAPIC's remapping block, -1 */
	uint16_t ir_seg, ir_rid;
	volatile uint32_t pending;	/* the host vector came (input masked) */
	bool asserted;			/* the virtual line is low */
	bool resample;			/* its functions report Interrupt Status */
	uint64_t irqs;
};

static struct acpi_prt host_prt;
static bool have_prt;
static const char *no_prt_why = "no ACPI tables";
static struct intx_line lines[INTX_LINES];
static struct spinlock intx_lock;

/* ---- boot: the firmware's routing tables ---- */

void passthru_intx_init(const struct acpi_info *ai)
{
	struct prt_aml blk[ACPI_MAX_TABLES];
	unsigned n = 0;
	int r;

	if (!ai)
		return;
	for (unsigned i = 0; i < ai->ntables; i++) {
		const struct acpi_table_ref *t = &ai->tables[i];
		const uint8_t *m;

		if (!t->valid || t->len <= 36 ||
		    (strcmp(t->sig, "DSDT") && strcmp(t->sig, "SSDT")))
			continue;
		m = mmu_map_phys(t->phys, t->len, false);
		if (!m)
			continue;
		/* the DSDT first: its names come before the SSDTs' */
		if (!strcmp(t->sig, "DSDT") && n) {
			blk[n] = blk[0];
			blk[0] = (struct prt_aml){ m + 36, t->len - 36 };
			n++;
		} else {
			blk[n++] = (struct prt_aml){ m + 36, t->len - 36 };
		}
	}
	if (!n) {
		no_prt_why = "the firmware has no DSDT";
		pr_warn("pci: no DSDT: INTx of passed-through functions unavailable");
		return;
	}
	r = acpi_prt_parse(&host_prt, blk, n);
	have_prt = true;
	for (unsigned i = 0; i < host_prt.nerrors; i++)
		pr_info("pci: _PRT reader: %s", host_prt.errors[i]);
	if (!r)
		pr_warn("pci: the ACPI tables name no PCI root bus: INTx of passed-through "
			"functions unavailable");
	for (unsigned i = 0; i < host_prt.nroots; i++) {
		const struct prt_root *rt = &host_prt.roots[i];
		unsigned bad = 0;

		for (unsigned k = 0; k < rt->n; k++)
			bad += rt->e[k].why != NULL;
		if (rt->why)
			pr_warn("pci: root bus %04x:%02x (%s): no INTx routes: %s", rt->seg, rt->bus,
				rt->name, rt->why);
		else
			pr_info("pci: root bus %04x:%02x (%s): _PRT with %u routes%s%s", rt->seg,
				rt->bus, rt->name, rt->n, bad ? ", some unreadable" : "",
				rt->bridge_prt ? "; bridges below have _PRTs of their own" : "");
	}
	for (unsigned i = 0; i < host_prt.nbridges; i++) {
		const struct prt_bridge *b = &host_prt.bridges[i];

		if (b->why)
			pr_warn("pci: bridge %s below root bus %02x: its _PRT unread: %s", b->name,
				host_prt.roots[b->root].bus, b->why);
		else
			pr_info("pci: bridge %s below root bus %02x (_ADR %#x): _PRT with %u routes",
				b->name, host_prt.roots[b->root].bus, b->adr[b->depth - 1], b->n);
	}
}

/* ---- routes ---- */

/* Linux's order (and the firmware's meaning): the _PRT of the bus the
 * function is on — its bridge's, when the firmware gives that bridge
 * one, else the pin swizzled onto the bridge's own and the same asked
 * one bus up — down to the root bus's _PRT. */
static int host_route(const struct pci_dev *d, struct prt_route *r, const char **why)
{
	const struct pci_tree *t = pci_host_tree();
	const struct pci_dev *up[PRT_BRIDGE_DEPTH], *cur = d;
	unsigned n = 0;
	uint8_t pin;

	if (!d->irq_pin || d->irq_pin > 4) {
		*why = "it has no INTx pin";
		return -ENOENT;
	}
	if (!have_prt) {
		*why = no_prt_why;
		return -ENOENT;
	}
	/* the bridges above it, nearest first */
	for (const struct pci_dev *b = d; b->parent >= 0; b = &t->devs[b->parent]) {
		if ((unsigned)b->parent >= t->ndevs || n >= PRT_BRIDGE_DEPTH) {
			*why = "it is behind more bridges than Vatra follows";
			return -ENOENT;
		}
		up[n++] = &t->devs[b->parent];
	}
	pin = (uint8_t)(d->irq_pin - 1);
	for (unsigned k = 0; k < n; k++) {
		uint32_t adr[PRT_BRIDGE_DEPTH];
		unsigned depth = n - k;		/* up[n-1] (on the root bus) .. up[k] */
		const struct pci_dev *root = up[n - 1];
		int rc;

		for (unsigned j = 0; j < depth; j++) {
			const struct pci_dev *b = up[n - 1 - j];

			adr[j] = (uint32_t)(b->devfn >> 3) << 16 | (b->devfn & 7);
		}
		rc = acpi_prt_route_below(&host_prt, root->seg, root->bus, adr, depth,
					  cur->devfn >> 3, pin, r, why);
		if (rc != -ENXIO)
			return rc;
		pin = prt_swizzle(cur->devfn >> 3, pin);
		cur = up[k];
	}
	return acpi_prt_route(&host_prt, cur->seg, cur->bus, cur->devfn >> 3, pin, r, why);
}

/* ---- the host vector ---- */

static void intx_irq(unsigned vector, void *ctx)
{
	struct intx_line *l = ctx;
	struct partition *p = l->p;

	(void)vector;
	if (!p)
		return;		/* a late one of a line being given back */
	ioapic_mask(l->gsi, true);
	ioapic_eoi(l->gsi);
	__atomic_store_n(&l->pending, 1, __ATOMIC_RELEASE);
	platform_kick(p);
}

static void line_free(struct intx_line *l)
{
	ioapic_clear(l->gsi);
	if (l->ir >= 0)
		iommu->ir_free(l->ir_seg, l->ir_rid, (unsigned)l->ir, 1);
	if (l->vector >= 0)
		vectors_free((unsigned)l->vector);
	memset(l, 0, sizeof(*l));
}

/* The host input programmed (masked) to a new vector: 0 or a reason. */
static const char *line_program(struct intx_line *l)
{
	uint32_t dest = cpu_table[0].apic_id;
	struct iommu_info ii = { 0 };
	uint64_t fmt;
	uint8_t id;

	if (ioapic_of(l->gsi, &id))
		return "its GSI is on no IOAPIC Vatra drives";
	l->ir = -1;
	l->vector = vectors_alloc(intx_irq, l, "passthrough INTx");
	if (l->vector < 0)
		return "no host vector";
	if (iommu)
		iommu->info(&ii);
	if (ii.intr_remap) {
		struct iommu_irte e = { (uint8_t)l->vector, dest, l->level };

		if (!iommu->ioapic_rid || iommu->ioapic_rid(id, &l->ir_seg, &l->ir_rid))
			return "the IOMMU's tables give its IOAPIC no source ID";
		l->ir = iommu->ir_alloc(l->ir_seg, l->ir_rid, 1);
		if (l->ir < 0)
			return "no interrupt-remapping entry for its IOAPIC input";
		if (iommu->ir_set(l->ir_seg, l->ir_rid, (unsigned)l->ir, &e) ||
		    iommu->ir_ioapic(l->ir_seg, l->ir_rid, (unsigned)l->ir, (uint8_t)l->vector, &fmt))
			return "the IOMMU refused the IOAPIC input's remapping entry";
	} else {
		fmt = ioapic_rte_direct((uint8_t)l->vector, (uint8_t)dest);
	}
	if (ioapic_program(l->gsi, fmt, l->level, l->active_low))
		return "its IOAPIC input cannot be programmed";
	return NULL;
}

/* ---- setup and teardown ---- */

/* The guest sees no pin, and the device keeps INTx disabled (the model
 * holds the bit set): its line may be someone else's. */
static void refuse(struct pt_func *f, const char *why)
{
	f->intx = -1;
	f->intx_why = why;
	f->model.intx_hidden = true;
	pci_cfg_write(f->hd, 0x04, 2, pci_cfg_read(f->hd, 0x04, 2) | PCI_CMD_INTX_DISABLE);
	pr_warn("partition %s: " BDF_FMT ": INTx refused: %s", part_name(f->p), BDF(f->hd), why);
}

void ptintx_setup(struct pt_func *f)
{
	struct partition *p = f->p;
	const struct pci_tree *t = pci_host_tree();
	struct prt_route r;
	struct intx_line *l = NULL;
	const char *why;
	int free_i = -1;

	f->intx = -1;
	f->intx_why = NULL;
	if (!f->hd->irq_pin) {
		f->intx_why = "no INTx pin";
		return;
	}
	if (host_route(f->hd, &r, &why)) {
		refuse(f, why);
		return;
	}
	f->intx_gsi = r.gsi;
	spin_lock(&intx_lock);
	/* Anyone else's function on the same GSI? */
	for (unsigned i = 0; i < t->ndevs; i++) {
		const struct pci_dev *e = &t->devs[i];
		struct prt_route er;
		const char *ew;

		if (e == f->hd || host_route(e, &er, &ew) || er.gsi != r.gsi)
			continue;
		if (e->owner == PCI_OWNER_HV || (e->owner == PCI_OWNER_PART && e->owner_id != (int)p->id)) {
			snprintf(f->intx_msg, sizeof(f->intx_msg),
				 "GSI %u is shared with " BDF_FMT ", %s%s%s", r.gsi, BDF(e),
				 e->owner == PCI_OWNER_HV ? "the hypervisor's (" : "partition ",
				 e->owner_name, e->owner == PCI_OWNER_HV ? ")" : "'s");
			spin_unlock(&intx_lock);
			refuse(f, f->intx_msg);
			return;
		}
	}
	for (unsigned i = 0; i < INTX_LINES; i++) {
		if (lines[i].used && lines[i].gsi == r.gsi) {
			l = &lines[i];
			break;
		}
		if (!lines[i].used && free_i < 0)
			free_i = (int)i;
	}
	if (l && l->p != p) {
		snprintf(f->intx_msg, sizeof(f->intx_msg), "GSI %u is partition %s's", r.gsi,
			 part_name(l->p));
		spin_unlock(&intx_lock);
		refuse(f, f->intx_msg);
		return;
	}
	if (!l) {
		bool vused[INTX_VGSI_N] = { false };
		unsigned v;

		for (unsigned i = 0; i < INTX_LINES; i++)
			if (lines[i].used && lines[i].p == p)
				vused[lines[i].vgsi - INTX_VGSI_FIRST] = true;
		for (v = 0; v < INTX_VGSI_N && vused[v]; v++)
			;
		if (free_i < 0 || v == INTX_VGSI_N) {
			spin_unlock(&intx_lock);
			refuse(f, free_i < 0 ? "every host INTx line Vatra keeps is in use"
					     : "the partition's IOAPIC inputs 16-23 are all in use");
			return;
		}
		l = &lines[free_i];
		*l = (struct intx_line){ .used = true, .gsi = r.gsi, .p = p,
					 .vgsi = (uint8_t)(INTX_VGSI_FIRST + v), .level = r.level,
					 .active_low = r.active_low, .vector = -1, .ir = -1 };
		why = line_program(l);
		if (why) {
			line_free(l);
			spin_unlock(&intx_lock);
			refuse(f, why);
			return;
		}
		/* Free functions on it can hold it no longer. */
		for (unsigned i = 0; i < t->ndevs; i++) {
			const struct pci_dev *e = &t->devs[i];
			struct prt_route er;
			const char *ew;

			if (e != f->hd && e->owner == PCI_OWNER_FREE && !host_route(e, &er, &ew) &&
			    er.gsi == r.gsi)
				pci_cfg_write(e, 0x04, 2, pci_cfg_read(e, 0x04, 2) | PCI_CMD_INTX_DISABLE);
		}
	}
	l->nfuncs++;
	f->intx = (int)(l - lines);
	spin_unlock(&intx_lock);
	pr_info("partition %s: " BDF_FMT ": INT%c -> host GSI %u (%s, %s)%s -> its GSI %u",
		part_name(p), BDF(f->hd), 'A' + f->hd->irq_pin - 1, r.gsi,
		r.level ? "level" : "edge", r.active_low ? "low" : "high",
		l->nfuncs > 1 ? ", shared" : "", l->vgsi);
}

static void eoi_hook(void *ctx, unsigned gsi)
{
	struct partition *p = ctx;

	for (unsigned i = 0; i < INTX_LINES; i++) {
		struct intx_line *l = &lines[i];

		if (!l->used || l->p != p || l->vgsi != gsi || !l->asserted)
			continue;
		l->asserted = false;
		vioapic_set_irq(&p->plat.ioapic, gsi, true);
		ioapic_mask(l->gsi, false);
	}
}

void ptintx_finish(struct partition *p)
{
	struct part_pt *pt = &passthru_parts[p->id];
	struct platform *pl = &p->plat;

	pl->nprt = 0;
	for (unsigned i = 0; i < pt->n; i++) {
		struct pt_func *f = &pt->f[i];

		if (f->intx < 0 || pl->nprt >= ACPIGEN_MAX_PRT)
			continue;
		/* the guest's pin is the device's own: slot f->slot, function 0 */
		pl->prt[pl->nprt++] = (struct acpigen_prt){ f->slot, (uint8_t)(f->hd->irq_pin - 1),
							    lines[f->intx].vgsi };
	}
	if (!pl->nprt)
		return;
	pl->ioapic.eoi_hook = eoi_hook;
	pl->ioapic.eoi_ctx = p;
	for (unsigned i = 0; i < INTX_LINES; i++)
		if (lines[i].used && lines[i].p == p) {
			vioapic_set_irq(&pl->ioapic, lines[i].vgsi, true);	/* idle: high */
			ioapic_mask(lines[i].gsi, false);
		}
	platform_acpi_build(p);
}

/* Whether a function of the partition on line i still asserts INTx: the
 * Interrupt Status bit of its Status register (PCI 3.0, 6.2.3). */
static bool line_held(struct part_pt *pt, unsigned i)
{
	for (unsigned k = 0; k < pt->n; k++)
		if (pt->f[k].intx == (int)i && (pci_cfg_read(pt->f[k].hd, 0x06, 2) & 8))
			return true;
	return false;
}

/* The lines the host vectors marked go low; a low line whose functions
 * all let go (the guest's driver cleared the cause, but the entry is
 * masked or the EOI has not come) goes high again and its host input
 * is unmasked, as the wire would: no stale interrupt at an unmask.
 * That needs the Status register's Interrupt Status bit, which
 * functions before PCI 2.3 may lack: it is used once it was seen set. */
void ptintx_tick(struct part_pt *pt)
{
	struct partition *p = pt->n ? pt->f[0].p : NULL;

	if (!p)
		return;
	for (unsigned i = 0; i < INTX_LINES; i++) {
		struct intx_line *l = &lines[i];

		if (!l->used || l->p != p)
			continue;
		if (__atomic_exchange_n(&l->pending, 0, __ATOMIC_ACQ_REL)) {
			l->irqs++;
			l->asserted = true;
			/* a function older than PCI 2.3 may lack the bit:
			 * then only the EOI lets the line go */
			if (!l->resample)
				l->resample = line_held(pt, i);
			vioapic_set_irq(&p->plat.ioapic, l->vgsi, false);
		} else if (l->asserted && l->resample && !line_held(pt, i)) {
			l->asserted = false;
			vioapic_set_irq(&p->plat.ioapic, l->vgsi, true);
			ioapic_mask(l->gsi, false);
		}
	}
}

/* INTx Disable deasserts the function's INTx (PCI 3.0, 6.2.2): the line
 * goes idle, and the host input is unmasked, so another function still
 * asserting it brings it back. */
void ptintx_disable(void *ctx, bool disabled)
{
	struct pt_func *f = ctx;
	struct intx_line *l;

	if (f->intx < 0 || !disabled)
		return;
	l = &lines[f->intx];
	if (!l->asserted)
		return;
	l->asserted = false;
	vioapic_set_irq(&f->p->plat.ioapic, l->vgsi, true);
	ioapic_mask(l->gsi, false);
}

void ptintx_free(struct pt_func *f)
{
	struct intx_line *l;

	if (f->hd)
		pci_cfg_write(f->hd, 0x04, 2, pci_cfg_read(f->hd, 0x04, 2) | PCI_CMD_INTX_DISABLE);
	if (f->intx < 0)
		return;
	spin_lock(&intx_lock);
	l = &lines[f->intx];
	f->intx = -1;
	if (l->used && !--l->nfuncs) {
		ioapic_mask(l->gsi, true);
		pr_info("partition %s: host GSI %u given back after %llu interrupts", part_name(f->p),
			l->gsi, (unsigned long long)l->irqs);
		line_free(l);
	}
	spin_unlock(&intx_lock);
}

void ptintx_report(const struct pt_func *f, struct sink *out)
{
	const struct intx_line *l;

	if (f->intx < 0) {
		sink_printf(out, ", INTx %s", f->intx_why ? "refused" : "none");
		return;
	}
	l = &lines[f->intx];
	sink_printf(out, ", INTx host GSI %u as its GSI %u, %llu interrupts", l->gsi, l->vgsi,
		    (unsigned long long)l->irqs);
}
