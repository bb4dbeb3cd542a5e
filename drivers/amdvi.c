/* AMD-Vi: every IVHD unit brought up with a device table in which every
 * one of the 65536 device IDs has a valid blocking entry, a command
 * buffer with completion waits, an event log, and per-device interrupt
 * remapping tables. (AMD I/O Virtualization Technology (IOMMU)
 * Specification 3.0; section numbers below are from it.)
 *
 * Blocking entry (2.2.2): V = 1, TV = 1, Mode 0, IR = IW = 0 denies every
 * DMA; IV = 1 with IntCtl 00b aborts every fixed/arbitrated interrupt and
 * the pass bits (INIT, ExtInt, NMI, LINT0/1) are 0. An entry with V = 0
 * would let DMA through untranslated, so there is none.
 *
 * Registers: the base registers latch when their upper half is written,
 * so 64-bit values are written low dword then high dword.
 *
 * Lock: amdvi_lock serialises every change of the tables and the
 * command buffer. */
#include "drivers/iommu_priv.h"
#include "drivers/iommu_pt.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu.h"
#include "mm/mem.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "lib/errno.h"

/* MMIO registers, 3.4. */
#define DEVTAB_BASE 0x0000
#define CMDBUF_BASE 0x0008
#define EVTLOG_BASE 0x0010
#define CONTROL 0x0018
#define EFR 0x0030
#define CMD_HEAD 0x2000
#define CMD_TAIL 0x2008
#define EVT_HEAD 0x2010
#define EVT_TAIL 0x2018
#define STATUS 0x2020
#define MMIO_SIZE 0x4000

#define CTL_IOMMU_EN (1ULL << 0)
#define CTL_EVTLOG_EN (1ULL << 2)
#define CTL_CMDBUF_EN (1ULL << 12)
#define ST_EVT_OVERFLOW (1u << 0)
#define ST_EVT_RUN (1u << 3)
#define EFR_IA (1ULL << 6)

/* Commands, 2.4. */
#define CMD_COMPLETION_WAIT 0x1
#define CMD_INV_DEVTAB 0x2
#define CMD_INV_PAGES 0x3
#define CMD_INV_INTTAB 0x5
#define CMD_INV_ALL 0x8
#define CMD_ENTRIES 256		/* ComLen 8: 4 KiB */
#define EVT_ENTRIES 256		/* EventLen 8: 4 KiB */

/* Device table entry, 2.2.2.1. */
#define DTE_V (1ULL << 0)
#define DTE_TV (1ULL << 1)
#define DTE_MODE_SHIFT 9
#define DTE_IR (1ULL << 61)
#define DTE_IW (1ULL << 62)
#define DTE_IV (1ULL << 0)		/* qword 2 */
#define DTE_INTTABLEN_SHIFT 1
#define DTE_INTCTL_REMAP (2ULL << 60)
#define DEVIDS 65536
#define DEVTAB_PAGES (DEVIDS * 32 / 4096)

#define DOM_BLOCK 1
#define DOM_BASE 2			/* domain id N has domain ID N + 2 */
#define AMDVI_MAX_DOMAINS 64
#define AMDVI_MAX_ATTACH 512
#define AMDVI_MAX_IRDEVS 128
#define IRT_LEN 8			/* 2^8 = 256 entries of 4 bytes per device */
#define IRT_N (1u << IRT_LEN)

struct amdvi_unit {
	volatile uint8_t *regs;
	const struct ivrs_ivhd *h;
	uint64_t efr;
	uint64_t devtab_phys;
	uint64_t *devtab;
	uint64_t cmd_phys;
	uint32_t *cmd;
	unsigned cmd_tail;
	uint64_t evt_phys;
	uint32_t *evt;
	unsigned evt_head;
	uint64_t stat_phys;
	volatile uint64_t *stat;
	uint64_t seq;
	unsigned long events;
	bool broken;
};

struct iommu_domain {
	bool used;
	unsigned id;
	uint16_t domid;
	struct pt pt;
	unsigned ndevs;
};

struct amdvi_attach {
	uint16_t seg, rid;
	struct iommu_domain *d;
};

/* A device's interrupt remapping table. */
struct amdvi_irdev {
	uint16_t seg, rid;
	uint64_t phys;
	uint32_t *t;
	uint8_t used[IRT_N / 8];
};

static struct amdvi_unit units[IVRS_MAX_UNITS];
static unsigned nunits;
static struct iommu_domain domains[AMDVI_MAX_DOMAINS];
static struct amdvi_attach attached[AMDVI_MAX_ATTACH];
static unsigned nattached;
static struct amdvi_irdev irdevs[AMDVI_MAX_IRDEVS];
static uint64_t irt_empty_phys;	/* the blocking entries' (unused) interrupt table */
static struct spinlock amdvi_lock;

static uint32_t r32(struct amdvi_unit *u, unsigned off)
{
	return *(volatile uint32_t *)(u->regs + off);
}

static void w32(struct amdvi_unit *u, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(u->regs + off) = v;
}

/* Low dword, then high: the high write latches the register. */
static void w64(struct amdvi_unit *u, unsigned off, uint64_t v)
{
	w32(u, off, (uint32_t)v);
	w32(u, off + 4, (uint32_t)(v >> 32));
}

static uint64_t r64(struct amdvi_unit *u, unsigned off)
{
	return r32(u, off) | (uint64_t)r32(u, off + 4) << 32;
}

/* ---- commands (2.4) ---- */

/* Queues the commands and a COMPLETION_WAIT that stores a fresh sequence
 * number; returns when the store has landed, i.e. when every command
 * before it has completed (2.4.1). Caller holds amdvi_lock. */
static int cmd_submit(struct amdvi_unit *u, const uint32_t (*c)[4], unsigned n)
{
	uint64_t dl, want = ++u->seq;

	if (u->broken)
		return -EIO;
	for (unsigned i = 0; i <= n; i++) {
		uint32_t *slot = u->cmd + 4 * u->cmd_tail;

		if (i < n) {
			memcpy(slot, c[i], 16);
		} else {
			/* S = 1: store the 64-bit data at the address. */
			slot[0] = (uint32_t)(u->stat_phys & 0xfffffff8u) | 1;
			slot[1] = (uint32_t)((u->stat_phys >> 32) & 0xfffff) | CMD_COMPLETION_WAIT << 28;
			slot[2] = (uint32_t)want;
			slot[3] = (uint32_t)(want >> 32);
		}
		u->cmd_tail = (u->cmd_tail + 1) % CMD_ENTRIES;
	}
	__asm__ volatile("sfence" ::: "memory");
	w32(u, CMD_TAIL, u->cmd_tail << 4);
	dl = iommu_deadline(1000);
	while (*u->stat != want)
		if (iommu_expired(dl)) {
			pr_err("amdvi %#llx: completion wait timed out (head %#x tail %#x): no further changes on this unit",
			       (unsigned long long)u->h->base, r32(u, CMD_HEAD), r32(u, CMD_TAIL));
			u->broken = true;
			return -ETIMEDOUT;
		}
	return 0;
}

static void cmd_inv_devtab(uint32_t c[4], uint16_t devid)
{
	c[0] = devid;
	c[1] = CMD_INV_DEVTAB << 28;
	c[2] = c[3] = 0;
}

/* Every page of a domain: S = 1 with the address all ones below bit 63
 * (2.4.3), PDE = 1 for the cached directory entries too. */
static void cmd_inv_domain(uint32_t c[4], uint16_t domid)
{
	c[0] = 0;
	c[1] = domid | CMD_INV_PAGES << 28;
	c[2] = 0xfffff000u | 1 | 2;
	c[3] = 0x7fffffffu;
}

static void cmd_inv_inttab(uint32_t c[4], uint16_t devid)
{
	c[0] = devid;
	c[1] = CMD_INV_INTTAB << 28;
	c[2] = c[3] = 0;
}

/* ---- device table ---- */

static uint64_t *dte(struct amdvi_unit *u, uint16_t devid)
{
	return u->devtab + 4 * devid;
}

static void dte_block(uint64_t *e)
{
	e[3] = 0;
	e[2] = DTE_IV | (irt_empty_phys & 0x000fffffffffffc0ULL);	/* IntTabLen 0, IntCtl 00b: abort */
	e[1] = DOM_BLOCK;
	e[0] = DTE_V | DTE_TV;			/* Mode 0, IR = IW = 0: no DMA at all */
}

static struct amdvi_unit *unit_for(uint16_t seg, uint16_t devid)
{
	const struct ivrs_ivhd *h = ivrs_unit_of(&iommu_ivrs, seg, devid);

	for (unsigned i = 0; h && i < nunits; i++)
		if (units[i].h == h)
			return &units[i];
	return NULL;
}

/* Points devid's DMA at root (mode levels) under domid, or blocks it
 * (root 0): the entry is first made blocking and the old domain's
 * translations dropped, then rewritten. */
static int dte_set_dma(struct amdvi_unit *u, uint16_t devid, uint64_t root, unsigned levels,
		       uint16_t domid, uint16_t old_domid)
{
	uint64_t *e = dte(u, devid);
	uint32_t c[3][4];
	int r;

	e[0] = DTE_V | DTE_TV;
	cmd_inv_devtab(c[0], devid);
	cmd_inv_domain(c[1], old_domid);
	r = cmd_submit(u, (const uint32_t (*)[4])c, 2);
	e[1] = domid;
	if (root)
		e[0] = DTE_V | DTE_TV | (uint64_t)levels << DTE_MODE_SHIFT | root | DTE_IR | DTE_IW;
	cmd_inv_devtab(c[0], devid);
	cmd_inv_domain(c[1], domid);
	if (!r)
		r = cmd_submit(u, (const uint32_t (*)[4])c, 2);
	return r;
}

static int unit_init(struct amdvi_unit *u, const struct ivrs_ivhd *h)
{
	uint32_t c[1][4];
	int r;

	u->h = h;
	u->regs = mmu_map_phys(h->base, MMIO_SIZE, true);
	if (!u->regs)
		return -EFAULT;
	if (r32(u, EFR) == ~0u && r32(u, EFR + 4) == ~0u) {
		pr_err("amdvi %#llx: no registers answer", (unsigned long long)h->base);
		return -ENODEV;
	}
	u->efr = r64(u, EFR);
	/* Off while the tables are replaced. */
	w64(u, CONTROL, 0);
	u->devtab = iommu_page_alloc(DEVTAB_PAGES, &u->devtab_phys);
	u->cmd = iommu_page_alloc(1, &u->cmd_phys);
	u->evt = iommu_page_alloc(1, &u->evt_phys);
	u->stat = iommu_page_alloc(1, &u->stat_phys);
	if (!u->devtab || !u->cmd || !u->evt || !u->stat)
		return -ENOMEM;
	for (unsigned id = 0; id < DEVIDS; id++)
		dte_block(dte(u, (uint16_t)id));
	__asm__ volatile("sfence" ::: "memory");
	w64(u, DEVTAB_BASE, u->devtab_phys | (DEVTAB_PAGES - 1));
	w64(u, CMDBUF_BASE, u->cmd_phys | 8ULL << 56);
	w64(u, EVTLOG_BASE, u->evt_phys | 8ULL << 56);
	w64(u, CMD_HEAD, 0);
	w64(u, CMD_TAIL, 0);
	w64(u, EVT_HEAD, 0);
	w64(u, EVT_TAIL, 0);
	u->cmd_tail = 0;
	u->evt_head = 0;
	w64(u, CONTROL, CTL_IOMMU_EN | CTL_EVTLOG_EN | CTL_CMDBUF_EN);
	/* Whatever the unit cached from the firmware's tables goes. */
	if (u->efr & EFR_IA) {
		c[0][0] = 0;
		c[0][1] = CMD_INV_ALL << 28;
		c[0][2] = c[0][3] = 0;
		r = cmd_submit(u, (const uint32_t (*)[4])c, 1);
	} else {
		r = cmd_submit(u, NULL, 0);
		for (unsigned id = 0; !r && id < DEVIDS; id += 64) {
			uint32_t cc[64][4];

			for (unsigned k = 0; k < 64; k++)
				cmd_inv_devtab(cc[k], (uint16_t)(id + k));
			r = cmd_submit(u, (const uint32_t (*)[4])cc, 64);
		}
	}
	return r;
}

static int amdvi_init(const struct acpi_info *ai)
{
	int r;

	(void)ai;
	if (!irt_empty_phys && !iommu_page_alloc(1, &irt_empty_phys))
		return -ENOMEM;
	nunits = 0;
	for (unsigned i = 0; i < iommu_ivrs.nivhd; i++) {
		const struct ivrs_ivhd *h = &iommu_ivrs.ivhd[i];
		struct amdvi_unit *u = &units[nunits];

		if (h->superseded)
			continue;
		memset(u, 0, sizeof(*u));
		r = unit_init(u, h);
		if (r) {
			pr_err("amdvi %#llx: not brought up (%s)", (unsigned long long)h->base,
			       err_name(r));
			return r;
		}
		nunits++;
		pr_info("amdvi %#llx: IVHD %#x, segment %u, the IOMMU is %04x:%02x:%02x.%x, %u device entr%s, EFR %#llx, every device ID blocked, translation on",
			(unsigned long long)h->base, h->type, h->seg, h->seg, h->devid >> 8,
			(h->devid >> 3) & 0x1f, h->devid & 7, h->dv.n, h->dv.n == 1 ? "y" : "ies",
			(unsigned long long)u->efr);
	}
	return nunits ? 0 : -ENODEV;
}

static void amdvi_info(struct iommu_info *out)
{
	out->kind = "AMD-Vi";
	out->units = nunits;
	out->intr_remap = nunits > 0;	/* remapping tables are part of every unit (2.2.5) */
	out->addr_bits = 48;
}

static bool amdvi_covers(uint16_t seg, uint16_t rid)
{
	return unit_for(seg, rid) != NULL;
}

static bool amdvi_is_unit(uint16_t seg, uint16_t rid)
{
	for (unsigned i = 0; i < nunits; i++)
		if (units[i].h->seg == seg && units[i].h->devid == rid)
			return true;
	return false;
}

/* ---- domains ---- */


static void flush_everything(void)
{
	for (unsigned i = 0; i < nunits; i++) {
		uint32_t c[1][4];

		if (units[i].efr & EFR_IA) {
			c[0][0] = 0;
			c[0][1] = CMD_INV_ALL << 28;
			c[0][2] = c[0][3] = 0;
			cmd_submit(&units[i], (const uint32_t (*)[4])c, 1);
		} else {
			for (unsigned d = 0; d < AMDVI_MAX_DOMAINS; d++)
				if (domains[d].used) {
					cmd_inv_domain(c[0], domains[d].domid);
					cmd_submit(&units[i], (const uint32_t (*)[4])c, 1);
				}
		}
	}
}

/* Unlinked table pages may still be cached by the units until the
 * invalidation that follows the change: reused only after it. */
static void pt_free(void *ctx, uint64_t phys)
{
	(void)ctx;
	iommu_defer_free(phys, flush_everything);
}

static const struct pt_env pt_env_amdvi = { iommu_pt_alloc, pt_free, iommu_pt_virt, NULL };

static struct iommu_domain *amdvi_domain_create(unsigned id)
{
	struct iommu_domain *d = NULL;

	if (!nunits || id + DOM_BASE > 0xffff)
		return NULL;
	spin_lock(&amdvi_lock);
	for (unsigned i = 0; i < AMDVI_MAX_DOMAINS; i++) {
		if (domains[i].used && domains[i].id == id) {
			d = NULL;
			break;
		}
		if (!domains[i].used && !d)
			d = &domains[i];
	}
	if (d && pt_init(&d->pt, &pt_amdvi4, &pt_env_amdvi, PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G))
		d = NULL;
	if (d) {
		d->used = true;
		d->id = id;
		d->domid = (uint16_t)(id + DOM_BASE);
		d->ndevs = 0;
	}
	spin_unlock(&amdvi_lock);
	return d;
}

static int inv_domain_all_units(uint16_t domid)
{
	uint32_t c[1][4];
	int r = 0, ri;

	cmd_inv_domain(c[0], domid);
	for (unsigned i = 0; i < nunits; i++) {
		ri = cmd_submit(&units[i], (const uint32_t (*)[4])c, 1);
		if (!r)
			r = ri;
	}
	return r;
}

static int amdvi_map(struct iommu_domain *d, uint64_t gpa, uint64_t hpa, uint64_t len,
		     unsigned prot)
{
	unsigned fl = (prot & IOMMU_READ ? PT_R : 0) | (prot & IOMMU_WRITE ? PT_W : 0);
	int r;

	if (!fl || (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	spin_lock(&amdvi_lock);
	r = pt_map(&d->pt, gpa, hpa, len, fl);
	__asm__ volatile("sfence" ::: "memory");
	if (!r)
		r = inv_domain_all_units(d->domid);
	spin_unlock(&amdvi_lock);
	return r;
}

static int amdvi_unmap(struct iommu_domain *d, uint64_t gpa, uint64_t len)
{
	int r, ri;

	spin_lock(&amdvi_lock);
	r = pt_unmap(&d->pt, gpa, len);
	__asm__ volatile("sfence" ::: "memory");
	ri = inv_domain_all_units(d->domid);
	if (!r)
		r = ri;
	iommu_release_deferred();
	spin_unlock(&amdvi_lock);
	return r;
}

static struct amdvi_attach *find_attach(uint16_t seg, uint16_t rid)
{
	for (unsigned i = 0; i < nattached; i++)
		if (attached[i].seg == seg && attached[i].rid == rid)
			return &attached[i];
	return NULL;
}

static int amdvi_attach(struct iommu_domain *d, uint16_t seg, uint16_t rid)
{
	struct amdvi_unit *u = unit_for(seg, rid);
	int r;

	if (!u)
		return -ENODEV;
	if (amdvi_is_unit(seg, rid))
		return -EPERM;
	spin_lock(&amdvi_lock);
	if (find_attach(seg, rid)) {
		spin_unlock(&amdvi_lock);
		return -EBUSY;
	}
	if (nattached == AMDVI_MAX_ATTACH) {
		spin_unlock(&amdvi_lock);
		return -ENOSPC;
	}
	r = dte_set_dma(u, rid, d->pt.root, d->pt.fmt->levels, d->domid, DOM_BLOCK);
	if (!r) {
		attached[nattached++] = (struct amdvi_attach){ seg, rid, d };
		d->ndevs++;
	}
	spin_unlock(&amdvi_lock);
	return r;
}

static int amdvi_detach(struct iommu_domain *d, uint16_t seg, uint16_t rid)
{
	struct amdvi_unit *u = unit_for(seg, rid);
	struct amdvi_attach *a;
	int r;

	if (!u)
		return -ENODEV;
	spin_lock(&amdvi_lock);
	a = find_attach(seg, rid);
	if (!a || a->d != d) {
		spin_unlock(&amdvi_lock);
		return -ENOENT;
	}
	r = dte_set_dma(u, rid, 0, 0, DOM_BLOCK, d->domid);
	*a = attached[--nattached];
	d->ndevs--;
	spin_unlock(&amdvi_lock);
	return r;
}

static void amdvi_domain_destroy(struct iommu_domain *d)
{
	if (!d)
		return;
	for (unsigned i = nattached; i-- > 0;)
		if (attached[i].d == d)
			amdvi_detach(d, attached[i].seg, attached[i].rid);
	spin_lock(&amdvi_lock);
	pt_destroy(&d->pt);
	inv_domain_all_units(d->domid);
	iommu_release_deferred();
	d->used = false;
	spin_unlock(&amdvi_lock);
}

/* ---- interrupt remapping (2.2.5) ---- */

static struct amdvi_irdev *irdev(uint16_t seg, uint16_t rid, bool create)
{
	struct amdvi_irdev *free_slot = NULL;

	for (unsigned i = 0; i < AMDVI_MAX_IRDEVS; i++) {
		if (irdevs[i].t && irdevs[i].seg == seg && irdevs[i].rid == rid)
			return &irdevs[i];
		if (!irdevs[i].t && !free_slot)
			free_slot = &irdevs[i];
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->t = iommu_page_alloc(1, &free_slot->phys);
	if (!free_slot->t)
		return NULL;
	free_slot->seg = seg;
	free_slot->rid = rid;
	memset(free_slot->used, 0, sizeof(free_slot->used));
	return free_slot;
}

static bool ir_used(struct amdvi_irdev *v, unsigned i)
{
	return v->used[i / 8] & (1u << (i % 8));
}

static int amdvi_ir_alloc(uint16_t seg, uint16_t rid, unsigned n)
{
	struct amdvi_unit *u = unit_for(seg, rid);
	struct amdvi_irdev *v;
	unsigned align = 1;
	int r = -ENOSPC;

	if (!u)
		return -ENODEV;
	if (!n || n > 32)
		return -EINVAL;
	while (align < n)
		align <<= 1;
	spin_lock(&amdvi_lock);
	v = irdev(seg, rid, true);
	if (!v) {
		spin_unlock(&amdvi_lock);
		return -ENOMEM;
	}
	for (unsigned i = 0; i + align <= IRT_N; i += align) {
		unsigned k;

		for (k = 0; k < n && !ir_used(v, i + k); k++)
			;
		if (k < n)
			continue;
		for (k = 0; k < n; k++)
			v->used[(i + k) / 8] |= 1u << ((i + k) % 8);
		r = (int)i;
		break;
	}
	if (r >= 0) {
		uint64_t *e = dte(u, rid);
		uint32_t c[1][4];

		/* The device's own table, remapping fixed and arbitrated
		 * interrupts; its DMA settings stay. */
		e[2] = DTE_IV | (uint64_t)IRT_LEN << DTE_INTTABLEN_SHIFT |
		       (v->phys & 0x000fffffffffffc0ULL) | DTE_INTCTL_REMAP;
		cmd_inv_devtab(c[0], rid);
		if (cmd_submit(u, (const uint32_t (*)[4])c, 1))
			r = -EIO;
	}
	spin_unlock(&amdvi_lock);
	return r;
}

static int amdvi_ir_set(uint16_t seg, uint16_t rid, unsigned index, const struct iommu_irte *e)
{
	struct amdvi_unit *u = unit_for(seg, rid);
	struct amdvi_irdev *v;
	uint32_t c[1][4];
	int r;

	if (!u)
		return -ENODEV;
	if (e->dest_apic > 0xff)
		return -EINVAL;		/* the 32-bit entry holds 8-bit destinations */
	spin_lock(&amdvi_lock);
	v = irdev(seg, rid, false);
	if (!v || index >= IRT_N || !ir_used(v, index)) {
		spin_unlock(&amdvi_lock);
		return -EPERM;
	}
	/* RemapEn, IntType 000b fixed, DM 0 physical, destination, vector (2.2.5.1). */
	v->t[index] = 1u | e->dest_apic << 8 | (uint32_t)e->vector << 16;
	cmd_inv_inttab(c[0], rid);
	r = cmd_submit(u, (const uint32_t (*)[4])c, 1);
	spin_unlock(&amdvi_lock);
	return r;
}

static void amdvi_ir_free(uint16_t seg, uint16_t rid, unsigned index, unsigned n)
{
	struct amdvi_unit *u = unit_for(seg, rid);
	struct amdvi_irdev *v;
	uint32_t c[1][4];

	if (!u)
		return;
	spin_lock(&amdvi_lock);
	v = irdev(seg, rid, false);
	for (unsigned i = index; v && i < index + n && i < IRT_N; i++) {
		v->t[i] = 0;
		v->used[i / 8] &= (uint8_t)~(1u << (i % 8));
	}
	cmd_inv_inttab(c[0], rid);
	cmd_submit(u, (const uint32_t (*)[4])c, 1);
	spin_unlock(&amdvi_lock);
}

/* An MSI is remapped by its data: bits 10:0 index the device's table
 * (2.2.5); the address only has to be in the interrupt range. */
static int amdvi_ir_msi(uint16_t seg, uint16_t rid, unsigned index, uint64_t *addr,
			uint32_t *data)
{
	if (!unit_for(seg, rid) || index >= IRT_N)
		return -ENODEV;
	*addr = 0xfee00000u;
	*data = index;
	return 0;
}

/* The IOAPIC's device ID: the IVRS's special entry (variety IOAPIC)
 * whose handle is its ID (5.2.2.2.5). */
static int amdvi_ioapic_rid(uint8_t id, uint16_t *seg, uint16_t *rid)
{
	for (unsigned i = 0; i < iommu_ivrs.nivhd; i++) {
		const struct ivrs_ivhd *h = &iommu_ivrs.ivhd[i];

		if (h->superseded)
			continue;
		for (unsigned k = 0; k < h->dv.n; k++) {
			const struct ivrs_dev *d = &iommu_ivrs.devs[h->dv.first + k];

			if (d->kind == IVRS_DEV_SPECIAL && d->variety == IVRS_SPECIAL_IOAPIC &&
			    d->handle == id) {
				*seg = h->seg;
				*rid = d->first;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* An IOAPIC's message is remapped by its data like an MSI: the entry's
 * vector field (data bits 7:0) is the index, delivery mode fixed (bits
 * 10:8 zero), so only the first 256 entries are reachable. */
static int amdvi_ir_ioapic(uint16_t seg, uint16_t rid, unsigned index, uint8_t vector,
			   uint64_t *rte)
{
	(void)vector;
	if (!unit_for(seg, rid) || index > 0xff)
		return -ENODEV;
	*rte = index;
	return 0;
}

/* ---- event log (2.5) ---- */

static void unit_events(struct amdvi_unit *u)
{
	uint32_t st = r32(u, STATUS);
	unsigned tail = (r32(u, EVT_TAIL) >> 4) % EVT_ENTRIES;

	while (u->evt_head != tail) {
		uint32_t *ev = u->evt + 4 * u->evt_head;
		struct iommu_fault f;

		if (amdvi_event_decode(ev, u->h->seg, &f)) {
			u->events++;
			iommu_fault_report(&f);
		}
		memset(ev, 0, 16);
		u->evt_head = (u->evt_head + 1) % EVT_ENTRIES;
	}
	w32(u, EVT_HEAD, u->evt_head << 4);
	if (st & ST_EVT_OVERFLOW) {
		/* 3.4.13: the log stopped; clear the overflow, turn it on again. */
		pr_warn("amdvi %#llx: event log overflowed: events were lost",
			(unsigned long long)u->h->base);
		w32(u, STATUS, ST_EVT_OVERFLOW);
		w64(u, CONTROL, CTL_IOMMU_EN | CTL_CMDBUF_EN);
		w64(u, CONTROL, CTL_IOMMU_EN | CTL_EVTLOG_EN | CTL_CMDBUF_EN);
	}
}

static void amdvi_poll_faults(void)
{
	for (unsigned i = 0; i < nunits; i++)
		unit_events(&units[i]);
}

static void amdvi_report(struct sink *out)
{
	for (unsigned i = 0; i < nunits; i++) {
		struct amdvi_unit *u = &units[i];
		uint64_t ctl = r64(u, CONTROL);

		sink_printf(out, "unit %u: AMD-Vi at %#llx (IVHD %#x), segment %u, PCI function %04x:%02x:%02x.%x (the hypervisor's), EFR %#llx\n",
			    i, (unsigned long long)u->h->base, u->h->type, u->h->seg, u->h->seg,
			    u->h->devid >> 8, (u->h->devid >> 3) & 0x1f, u->h->devid & 7,
			    (unsigned long long)u->efr);
		sink_printf(out, "  translation %s, command buffer %s, event log %s, IR on, %lu event(s)%s\n",
			    ctl & CTL_IOMMU_EN ? "on" : "off", ctl & CTL_CMDBUF_EN ? "on" : "off",
			    r32(u, STATUS) & ST_EVT_RUN ? "running" : "stopped", u->events,
			    u->broken ? ", COMMAND BUFFER STOPPED" : "");
		sink_printf(out, "  blocking domain: all 65536 device IDs but the %u attached\n",
			    nattached);
	}
	sink_printf(out, "domains: %s tables, 48-bit\n", pt_amdvi4.name);
	for (unsigned i = 0; i < AMDVI_MAX_DOMAINS; i++) {
		if (!domains[i].used)
			continue;
		sink_printf(out, "  domain %u (domain ID %u): %u device(s)", domains[i].id,
			    domains[i].domid, domains[i].ndevs);
		for (unsigned k = 0; k < nattached; k++)
			if (attached[k].d == &domains[i])
				sink_printf(out, " %04x:%02x:%02x.%x", attached[k].seg,
					    attached[k].rid >> 8, (attached[k].rid >> 3) & 0x1f,
					    attached[k].rid & 7);
		sink_printf(out, "\n");
	}
}

const struct iommu_ops amdvi_ops = {
	.kind = "AMD-Vi",
	.init = amdvi_init,
	.info = amdvi_info,
	.covers = amdvi_covers,
	.domain_create = amdvi_domain_create,
	.domain_destroy = amdvi_domain_destroy,
	.map = amdvi_map,
	.unmap = amdvi_unmap,
	.attach = amdvi_attach,
	.detach = amdvi_detach,
	.ir_alloc = amdvi_ir_alloc,
	.ir_set = amdvi_ir_set,
	.ir_free = amdvi_ir_free,
	.ir_msi = amdvi_ir_msi,
	.ioapic_rid = amdvi_ioapic_rid,
	.ir_ioapic = amdvi_ir_ioapic,
	.is_unit = amdvi_is_unit,
	.poll_faults = amdvi_poll_faults,
	.report = amdvi_report,
};
