/* Intel VT-d: every DRHD unit of the DMAR brought up with translation on
 * and every requester ID in the blocking domain, queued invalidation,
 * interrupt remapping and fault recording. (Intel Virtualization
 * Technology for Directed I/O, rev. 4.0; chapter and section numbers
 * below are from it.)
 *
 * Blocking: every root entry of a unit points at one context table whose
 * 256 entries are all present, translation type 00b (second-level only),
 * domain VTD_DID_BLOCK, and a second-level root that maps nothing. Any
 * DMA then faults (reason 5/6) and is recorded with its requester ID and
 * address (a not-present context entry would fault too, reason 2, but the
 * explicit domain keeps attach/detach one operation: swap the entry).
 * A bus gets a context table of its own on its first attach.
 *
 * Register rules (10.4): 32-bit registers are accessed 32 bits wide
 * (QEMU aborts on an 8-byte access to FECTL), GCMD is written as the
 * persistent GSTS bits plus the one change, invalidation-wait descriptors
 * use Status Write only (IF+SW together aborts QEMU).
 *
 * Lock: vtd_lock serialises every change of the tables and the queue. */
#include "drivers/iommu_priv.h"
#include "drivers/iommu_pt.h"
#include "drivers/pci.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu.h"
#include "arch/x86/vectors.h"
#include "arch/x86/apic.h"
#include "mm/mem.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "lib/errno.h"

/* Register offsets, 10.4. */
#define VER 0x00
#define CAP 0x08
#define ECAP 0x10
#define GCMD 0x18
#define GSTS 0x1c
#define RTADDR 0x20
#define FSTS 0x34
#define FECTL 0x38
#define FEDATA 0x3c
#define FEADDR 0x40
#define FEUADDR 0x44
#define IQH 0x80
#define IQT 0x88
#define IQA 0x90
#define IRTA 0xb8

/* GCMD/GSTS bits, 10.4.4-5. */
#define G_TE (1u << 31)
#define G_SRTP (1u << 30)
#define G_WBF (1u << 27)
#define G_QIE (1u << 26)
#define G_IRE (1u << 25)
#define G_SIRTP (1u << 24)
#define G_CFI (1u << 23)
/* One-shot command bits that read back as status, not as state. */
#define G_ONESHOT (G_SRTP | (1u << 29) | G_WBF | G_SIRTP)

#define CAP_ND(c) ((unsigned)(c) & 7)
#define CAP_RWBF(c) (((c) >> 4) & 1)
#define CAP_SAGAW(c) ((unsigned)((c) >> 8) & 0x1f)
#define CAP_MGAW(c) ((unsigned)((c) >> 16) & 0x3f)
#define CAP_FRO(c) ((unsigned)((c) >> 24) & 0x3ff)
#define CAP_SLLPS(c) ((unsigned)((c) >> 34) & 0xf)
#define CAP_NFR(c) ((unsigned)((c) >> 40) & 0xff)
#define ECAP_C(e) ((e) & 1)
#define ECAP_QI(e) (((e) >> 1) & 1)
#define ECAP_IR(e) (((e) >> 3) & 1)

#define FSTS_PFO (1u << 0)
#define FSTS_PPF (1u << 1)
#define FSTS_IQE (1u << 4)
#define FSTS_ICE (1u << 5)
#define FSTS_ITE (1u << 6)
#define FECTL_IM (1u << 31)

/* Invalidation descriptors, 6.5.2. */
#define QI_CC 0x1		/* context-cache */
#define QI_IOTLB 0x2
#define QI_IEC 0x4		/* interrupt entry cache */
#define QI_WAIT 0x5
#define QI_CC_GLOBAL (1ULL << 4)
#define QI_IOTLB_GLOBAL (1ULL << 4)
#define QI_IOTLB_DOMAIN (2ULL << 4)
#define QI_IOTLB_DR (1ULL << 7)	/* drain reads */
#define QI_IOTLB_DW (1ULL << 6)	/* drain writes */
#define QI_WAIT_SW (1ULL << 5)
#define IQ_ENTRIES 256		/* IQA.QS = 0: one 4 KiB page of 16-byte descriptors */

/* Context entry, 9.3. */
#define CE_P 1ULL
#define VTD_DID_BLOCK 1		/* 0 is left unused (reserved with caching mode) */
#define VTD_DID_BASE 2		/* partition domain id N has DID N + 2 */

/* Interrupt remapping, 9.10: 16-byte entries; 4096 of them (IRTA.S = 11). */
#define IRT_S 11
#define IRT_ENTRIES (1u << (IRT_S + 1))
#define IRT_PAGES (IRT_ENTRIES * 16 / 4096)

#define VTD_MAX_ATTACH 512
#define VTD_MAX_DOMAINS 64

struct vtd_unit {
	volatile uint8_t *regs;
	uint64_t base;
	uint16_t seg;
	bool include_all;
	unsigned drhd;		/* index in iommu_dmar */
	uint64_t cap, ecap;
	bool coherent, ir;
	unsigned nfr, fro;
	uint64_t root_phys;
	uint64_t *root;		/* 256 root entries of 2 qwords */
	uint64_t blk_phys;	/* the blocking context table */
	uint64_t ctx_phys[256];	/* a bus's own context table, or 0 */
	uint64_t iq_phys;
	uint64_t *iq;
	unsigned iq_tail;
	uint64_t stat_phys;
	volatile uint32_t *stat;
	uint64_t irt_phys;
	uint64_t *irt;
	uint16_t irt_owner[IRT_ENTRIES];
	uint8_t irt_used[IRT_ENTRIES / 8];
	unsigned long faults;
	bool broken;		/* the invalidation queue stopped: no more changes */
};

struct iommu_domain {
	bool used;
	unsigned id;
	uint16_t did;
	struct pt pt;
	unsigned ndevs;
};

struct vtd_attach {
	uint16_t seg, rid;
	struct iommu_domain *d;
};

static struct vtd_unit units[DMAR_MAX_UNITS];
static unsigned nunits;
static struct iommu_domain domains[VTD_MAX_DOMAINS];
static struct vtd_attach attached[VTD_MAX_ATTACH];
static unsigned nattached;
static uint64_t empty_sl_phys;	/* a second-level root that maps nothing */
static const struct pt_format *sl_fmt;
static unsigned sl_agaw, sl_leaves, addr_bits;
static bool all_ir;
static int fault_vector = -1;
static unsigned long fault_irqs;
static struct spinlock vtd_lock;

/* ---- registers ---- */

static uint32_t r32(struct vtd_unit *u, unsigned off)
{
	return *(volatile uint32_t *)(u->regs + off);
}

static void w32(struct vtd_unit *u, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(u->regs + off) = v;
}

static uint64_t r64(struct vtd_unit *u, unsigned off)
{
	return *(volatile uint64_t *)(u->regs + off);
}

static void w64(struct vtd_unit *u, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(u->regs + off) = v;
}

/* Table writes reach memory before the unit reads them: with ECAP.C = 0
 * its walks do not snoop the CPU caches (6.4). */
static void flush_tables(struct vtd_unit *u)
{
	if (!u->coherent)
		__asm__ volatile("wbinvd" ::: "memory");
	else
		__asm__ volatile("sfence" ::: "memory");
}

static void flush_all(void)
{
	for (unsigned i = 0; i < nunits; i++)
		if (!units[i].coherent) {
			__asm__ volatile("wbinvd" ::: "memory");
			return;
		}
	__asm__ volatile("sfence" ::: "memory");
}

/* One global command (10.4.4): the persistent state plus one change,
 * then wait for GSTS to show it. on says whether bit must end set. */
static int gcmd(struct vtd_unit *u, uint32_t bit, bool on, uint32_t status)
{
	uint32_t st = r32(u, GSTS) & ~G_ONESHOT;
	uint64_t dl = iommu_deadline(1000);

	w32(u, GCMD, on ? st | bit : st & ~bit);
	while (!!(r32(u, GSTS) & status) != on)
		if (iommu_expired(dl)) {
			pr_err("vtd %#llx: GSTS never showed %#x %s", (unsigned long long)u->base,
			       status, on ? "set" : "clear");
			return -ETIMEDOUT;
		}
	return 0;
}

/* CAP.RWBF: the unit buffers writes to its tables until told (6.8). WBF
 * is one-shot: set it, wait for WBFS to clear. */
static void write_buffer_flush(struct vtd_unit *u)
{
	uint64_t dl = iommu_deadline(1000);

	w32(u, GCMD, (r32(u, GSTS) & ~G_ONESHOT) | G_WBF);
	while (r32(u, GSTS) & G_WBF)
		if (iommu_expired(dl)) {
			pr_err("vtd %#llx: write-buffer flush never completed",
			       (unsigned long long)u->base);
			return;
		}
}

/* ---- queued invalidation (6.5.2) ---- */

/* Queues n descriptors and a wait descriptor (Status Write only) and
 * waits for the status write: when it lands, everything before it has
 * completed (6.5.2.8). Caller holds vtd_lock. */
static int qi_submit(struct vtd_unit *u, const uint64_t (*desc)[2], unsigned n)
{
	uint64_t dl;
	uint32_t fsts;

	if (u->broken)
		return -EIO;
	*u->stat = 0;
	for (unsigned i = 0; i <= n; i++) {
		uint64_t *slot = u->iq + 2 * u->iq_tail;

		if (i < n) {
			slot[0] = desc[i][0];
			slot[1] = desc[i][1];
		} else {
			slot[0] = QI_WAIT | QI_WAIT_SW | (1ULL << 32);
			slot[1] = u->stat_phys;
		}
		u->iq_tail = (u->iq_tail + 1) % IQ_ENTRIES;
	}
	flush_tables(u);
	w64(u, IQT, (uint64_t)u->iq_tail << 4);
	dl = iommu_deadline(1000);
	while (*u->stat != 1) {
		fsts = r32(u, FSTS);
		if (fsts & (FSTS_IQE | FSTS_ITE | FSTS_ICE)) {
			pr_err("vtd %#llx: invalidation queue error (FSTS %#x, head %#llx): no further changes on this unit",
			       (unsigned long long)u->base, fsts, (unsigned long long)r64(u, IQH));
			u->broken = true;
			return -EIO;
		}
		if (iommu_expired(dl)) {
			pr_err("vtd %#llx: invalidation wait timed out: no further changes on this unit",
			       (unsigned long long)u->base);
			u->broken = true;
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static int inv_context_global(struct vtd_unit *u)
{
	const uint64_t d[2][2] = {
		{ QI_CC | QI_CC_GLOBAL, 0 },
		{ QI_IOTLB | QI_IOTLB_GLOBAL | QI_IOTLB_DR | QI_IOTLB_DW, 0 },
	};

	return qi_submit(u, d, 2);
}

static int inv_domain(struct vtd_unit *u, uint16_t did)
{
	const uint64_t d[1][2] = {
		{ QI_IOTLB | QI_IOTLB_DOMAIN | QI_IOTLB_DR | QI_IOTLB_DW | (uint64_t)did << 16, 0 },
	};

	if (CAP_RWBF(u->cap))
		write_buffer_flush(u);
	return qi_submit(u, d, 1);
}

static int inv_iec(struct vtd_unit *u)
{
	const uint64_t d[1][2] = { { QI_IEC, 0 } };	/* global */

	return qi_submit(u, d, 1);
}

/* ---- context entries ---- */

static uint64_t *ctx_entry(struct vtd_unit *u, uint64_t table, uint8_t devfn)
{
	return (uint64_t *)phys_to_virt(table) + 2 * devfn;
}

static void ctx_fill(uint64_t *ce, uint64_t slptr, uint16_t did)
{
	ce[1] = sl_agaw | (uint64_t)did << 8;	/* AW, DID */
	ce[0] = (slptr & ~0xfffULL) | CE_P;	/* TT 00b: second-level only */
}

/* Points (bus, devfn) of unit u at a second-level table under did:
 * the entry is made not present, the caches dropped, then rewritten
 * (6.5.3.3 on changing a present context entry). */
static int ctx_set(struct vtd_unit *u, uint16_t rid, uint64_t slptr, uint16_t did,
		   uint16_t old_did)
{
	uint8_t bus = rid >> 8, devfn = rid & 0xff;
	uint64_t *ce;
	int r;

	if (!u->ctx_phys[bus]) {
		uint64_t phys;
		void *t = iommu_page_alloc(1, &phys);

		if (!t)
			return -ENOMEM;
		memcpy(t, phys_to_virt(u->blk_phys), 4096);
		u->ctx_phys[bus] = phys;
		u->root[2 * bus] = phys | 1;
		flush_tables(u);
		r = inv_context_global(u);
		if (r)
			return r;
	}
	ce = ctx_entry(u, u->ctx_phys[bus], devfn);
	ce[0] &= ~CE_P;
	flush_tables(u);
	r = inv_context_global(u);
	if (!r)
		r = inv_domain(u, old_did);
	ctx_fill(ce, slptr, did);
	flush_tables(u);
	if (!r)
		r = inv_context_global(u);
	return r;
}

/* ---- units ---- */

static bool unit_has(struct vtd_unit *u, uint16_t seg, uint16_t rid);

static struct vtd_unit *unit_for(uint16_t seg, uint16_t rid)
{
	struct vtd_unit *all = NULL;

	for (unsigned i = 0; i < nunits; i++) {
		if (units[i].seg != seg)
			continue;
		if (unit_has(&units[i], seg, rid))
			return &units[i];
		if (units[i].include_all)
			all = &units[i];
	}
	return all;
}

static const struct pci_dev *pci_find(uint16_t seg, uint8_t bus, uint8_t devfn)
{
	const struct pci_tree *t = pci_host_tree();

	for (unsigned i = 0; t && i < t->ndevs; i++)
		if (t->devs[i].seg == seg && t->devs[i].bus == bus && t->devs[i].devfn == devfn)
			return &t->devs[i];
	return NULL;
}

/* Does a device scope of u name rid (an endpoint, an IOAPIC or HPET, a
 * bridge or anything below it)? */
static bool unit_has(struct vtd_unit *u, uint16_t seg, uint16_t rid)
{
	const struct dmar_drhd *h = &iommu_dmar.drhd[u->drhd];

	for (unsigned k = 0; k < h->sc.n; k++) {
		const struct dmar_scope *s = &iommu_dmar.scopes[h->sc.first + k];
		uint16_t srid;

		if (dmar_scope_rid(s, seg, iommu_secbus, NULL, &srid))
			continue;
		if (srid == rid)
			return true;
		if (s->type == DMAR_SCOPE_BRIDGE) {
			const struct pci_dev *b = pci_find(seg, srid >> 8, srid & 0xff);

			if (b && b->hdr_type == 1 && (rid >> 8) >= b->sec_bus &&
			    (rid >> 8) <= b->sub_bus)
				return true;
		}
	}
	return false;
}

static int unit_init(struct vtd_unit *u, const struct dmar_drhd *h, unsigned idx)
{
	uint64_t *blk;
	int r;

	u->base = h->base;
	u->seg = h->seg;
	u->include_all = h->flags & DMAR_INCLUDE_PCI_ALL;
	u->drhd = idx;
	u->regs = mmu_map_phys(h->base, 4096, true);
	if (!u->regs)
		return -EFAULT;
	u->cap = r64(u, CAP);
	u->ecap = r64(u, ECAP);
	if (u->cap == ~0ULL || !u->cap) {
		pr_err("vtd %#llx: no registers answer", (unsigned long long)u->base);
		return -ENODEV;
	}
	u->coherent = ECAP_C(u->ecap);
	u->ir = ECAP_IR(u->ecap);
	u->nfr = CAP_NFR(u->cap) + 1;
	u->fro = CAP_FRO(u->cap) * 16;
	if (u->fro + 16 * u->nfr > 4096 && !mmu_map_phys(h->base, u->fro + 16 * u->nfr, true))
		return -EFAULT;
	if (!ECAP_QI(u->ecap)) {
		pr_err("vtd %#llx: no queued invalidation (register-based invalidation is not implemented)",
		       (unsigned long long)u->base);
		return -ENODEV;
	}
	/* Whatever the firmware left: translation, queue and remapping off
	 * before the tables are replaced. */
	if (r32(u, GSTS) & G_TE && (r = gcmd(u, G_TE, false, G_TE)))
		return r;
	if (r32(u, GSTS) & G_IRE && (r = gcmd(u, G_IRE, false, G_IRE)))
		return r;
	if (r32(u, GSTS) & G_QIE && (r = gcmd(u, G_QIE, false, G_QIE)))
		return r;

	u->root = iommu_page_alloc(1, &u->root_phys);
	blk = iommu_page_alloc(1, &u->blk_phys);
	u->iq = iommu_page_alloc(1, &u->iq_phys);
	u->stat = iommu_page_alloc(1, &u->stat_phys);
	if (!u->root || !blk || !u->iq || !u->stat)
		return -ENOMEM;
	for (unsigned i = 0; i < 256; i++) {
		ctx_fill(blk + 2 * i, empty_sl_phys, VTD_DID_BLOCK);
		u->root[2 * i] = u->blk_phys | 1;	/* root entry: P, context-table pointer */
	}
	flush_tables(u);
	w64(u, RTADDR, u->root_phys);		/* TTM 00b: legacy root table */
	if ((r = gcmd(u, G_SRTP, true, G_SRTP)))
		return r;
	w64(u, IQT, 0);
	w64(u, IQA, u->iq_phys);		/* QS 0, DW 0: 256 128-bit descriptors */
	u->iq_tail = 0;
	if ((r = gcmd(u, G_QIE, true, G_QIE)))
		return r;
	if ((r = inv_context_global(u)))
		return r;

	if (u->ir) {
		u->irt = iommu_page_alloc(IRT_PAGES, &u->irt_phys);
		if (!u->irt)
			return -ENOMEM;
		flush_tables(u);
		w64(u, IRTA, u->irt_phys | IRT_S);	/* EIME 0: xAPIC destinations */
		if ((r = gcmd(u, G_SIRTP, true, G_SIRTP)) || (r = inv_iec(u)))
			return r;
		/* CFI stays 0: compatibility-format interrupts are blocked,
		 * only remapped ones go through (5.1.2.1). */
		if ((r = gcmd(u, G_IRE, true, G_IRE)))
			return r;
	}

	/* Faults: clear what is recorded, then deliver events to the boot
	 * CPU's fault vector (or stay masked and be polled). */
	for (unsigned i = 0; i < u->nfr; i++)
		w32(u, u->fro + 16 * i + 12, 0x80000000u);
	w32(u, FSTS, FSTS_PFO | FSTS_IQE | FSTS_ICE | FSTS_ITE);
	if (fault_vector >= 0) {
		w32(u, FEDATA, (uint32_t)fault_vector);
		w32(u, FEADDR, 0xfee00000u | (apic_id() & 0xff) << 12);
		w32(u, FEUADDR, 0);
		w32(u, FECTL, 0);
	}

	if ((r = gcmd(u, G_TE, true, G_TE)))
		return r;
	return inv_context_global(u);
}

static void vtd_fault_irq(unsigned vector, void *ctx)
{
	(void)vector;
	(void)ctx;
	fault_irqs++;
	iommu_event_pending = true;
}

static int vtd_init(const struct acpi_info *ai)
{
	unsigned sagaw_all = 0x1f, sllps_all = 0xf, mgaw = 64;
	int r;

	(void)ai;
	if (!empty_sl_phys && !iommu_page_alloc(1, &empty_sl_phys))
		return -ENOMEM;
	fault_vector = vectors_alloc(vtd_fault_irq, NULL, "vt-d fault");
	if (fault_vector < 0)
		pr_warn("vtd: no host vector for fault events: faults are polled");
	all_ir = true;
	nunits = 0;
	for (unsigned i = 0; i < iommu_dmar.ndrhd; i++) {
		struct vtd_unit *u = &units[nunits];
		uint64_t cap;

		memset(u, 0, sizeof(*u));
		/* The format is decided before the first unit's tables are
		 * built: read every unit's capabilities first. */
		u->regs = mmu_map_phys(iommu_dmar.drhd[i].base, 4096, true);
		if (!u->regs)
			return -EFAULT;
		cap = r64(u, CAP);
		sagaw_all &= CAP_SAGAW(cap);
		sllps_all &= CAP_SLLPS(cap);
		if (CAP_MGAW(cap) + 1 < mgaw)
			mgaw = CAP_MGAW(cap) + 1;
	}
	/* SAGAW bit 2: 48-bit 4-level; bit 1: 39-bit 3-level (10.4.2). */
	if (sagaw_all & 4 && mgaw >= 48) {
		sl_fmt = &pt_vtd4;
		sl_agaw = 2;
		addr_bits = 48;
	} else if (sagaw_all & 2) {
		sl_fmt = &pt_vtd3;
		sl_agaw = 1;
		addr_bits = mgaw < 39 ? mgaw : 39;
	} else {
		pr_err("vtd: the units share no 3- or 4-level table format (SAGAW %#x)", sagaw_all);
		return -ENODEV;
	}
	sl_leaves = PT_LEAF_4K | (sllps_all & 1 ? PT_LEAF_2M : 0) |
		    ((sllps_all & 3) == 3 ? PT_LEAF_1G : 0);
	for (unsigned i = 0; i < iommu_dmar.ndrhd; i++) {
		struct vtd_unit *u = &units[nunits];

		r = unit_init(u, &iommu_dmar.drhd[i], i);
		if (r) {
			pr_err("vtd %#llx: not brought up (%s)",
			       (unsigned long long)iommu_dmar.drhd[i].base, err_name(r));
			return r;
		}
		all_ir &= u->ir;
		nunits++;
		pr_info("vtd %#llx: segment %u%s, %u scope(s), version %u.%u, cap %#llx ecap %#llx, %u fault register(s), %s, IR %s, translation on",
			(unsigned long long)u->base, u->seg, u->include_all ? " (all PCI devices)" : "",
			iommu_dmar.drhd[i].sc.n, (r32(u, VER) >> 4) & 0xf, r32(u, VER) & 0xf,
			(unsigned long long)u->cap, (unsigned long long)u->ecap, u->nfr,
			u->coherent ? "coherent" : "not coherent", u->ir ? "on" : "off");
	}
	return 0;
}

static void vtd_info(struct iommu_info *out)
{
	out->kind = "VT-d";
	out->units = nunits;
	out->intr_remap = nunits && all_ir;
	out->addr_bits = addr_bits;
}

static bool vtd_covers(uint16_t seg, uint16_t rid)
{
	return unit_for(seg, rid) != NULL;
}

static bool vtd_is_unit(uint16_t seg, uint16_t rid)
{
	(void)seg;
	(void)rid;
	return false;	/* VT-d units are not PCI functions */
}

/* ---- domains ---- */


static void global_flush(void)
{
	for (unsigned i = 0; i < nunits; i++)
		inv_context_global(&units[i]);
}

/* A table page the engine unlinked may still sit in the units' paging
 * caches until the invalidation that follows: keep it until then. */
static void pt_free(void *ctx, uint64_t phys)
{
	(void)ctx;
	iommu_defer_free(phys, global_flush);
}

static const struct pt_env pt_env_vtd = { iommu_pt_alloc, pt_free, iommu_pt_virt, NULL };

static struct iommu_domain *vtd_domain_create(unsigned id)
{
	struct iommu_domain *d = NULL;
	unsigned did = id + VTD_DID_BASE;

	if (!nunits)
		return NULL;
	for (unsigned i = 0; i < nunits; i++)
		if (did >= 1u << (4 + 2 * CAP_ND(units[i].cap)))
			return NULL;
	spin_lock(&vtd_lock);
	for (unsigned i = 0; i < VTD_MAX_DOMAINS; i++) {
		if (domains[i].used && domains[i].id == id) {
			d = NULL;
			break;
		}
		if (!domains[i].used && !d)
			d = &domains[i];
	}
	if (d && pt_init(&d->pt, sl_fmt, &pt_env_vtd, sl_leaves))
		d = NULL;
	if (d) {
		d->used = true;
		d->id = id;
		d->did = (uint16_t)did;
		d->ndevs = 0;
		flush_all();
	}
	spin_unlock(&vtd_lock);
	return d;
}

static int vtd_map(struct iommu_domain *d, uint64_t gpa, uint64_t hpa, uint64_t len,
		   unsigned prot)
{
	unsigned fl = (prot & IOMMU_READ ? PT_R : 0) | (prot & IOMMU_WRITE ? PT_W : 0);
	int r;

	if (!fl || (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	if (gpa + len < gpa || (addr_bits < 64 && (gpa + len - 1) >> addr_bits))
		return -EINVAL;
	spin_lock(&vtd_lock);
	r = pt_map(&d->pt, gpa, hpa, len, fl);
	flush_all();
	/* With caching mode a not-present entry may be cached too; a
	 * domain-selective flush covers both cases. */
	for (unsigned i = 0; !r && i < nunits; i++)
		r = inv_domain(&units[i], d->did);
	spin_unlock(&vtd_lock);
	return r;
}

static int vtd_unmap(struct iommu_domain *d, uint64_t gpa, uint64_t len)
{
	int r, ri;

	spin_lock(&vtd_lock);
	r = pt_unmap(&d->pt, gpa, len);
	flush_all();
	for (unsigned i = 0; i < nunits; i++) {
		ri = inv_domain(&units[i], d->did);
		if (!r)
			r = ri;
	}
	iommu_release_deferred();
	spin_unlock(&vtd_lock);
	return r;
}

static struct vtd_attach *find_attach(uint16_t seg, uint16_t rid)
{
	for (unsigned i = 0; i < nattached; i++)
		if (attached[i].seg == seg && attached[i].rid == rid)
			return &attached[i];
	return NULL;
}

static int vtd_attach(struct iommu_domain *d, uint16_t seg, uint16_t rid)
{
	struct vtd_unit *u = unit_for(seg, rid);
	int r;

	if (!u)
		return -ENODEV;
	spin_lock(&vtd_lock);
	if (find_attach(seg, rid)) {
		spin_unlock(&vtd_lock);
		return -EBUSY;
	}
	if (nattached == VTD_MAX_ATTACH) {
		spin_unlock(&vtd_lock);
		return -ENOSPC;
	}
	r = ctx_set(u, rid, d->pt.root, d->did, VTD_DID_BLOCK);
	if (!r) {
		attached[nattached++] = (struct vtd_attach){ seg, rid, d };
		d->ndevs++;
	}
	spin_unlock(&vtd_lock);
	return r;
}

static int vtd_detach(struct iommu_domain *d, uint16_t seg, uint16_t rid)
{
	struct vtd_unit *u = unit_for(seg, rid);
	struct vtd_attach *a;
	int r;

	if (!u)
		return -ENODEV;
	spin_lock(&vtd_lock);
	a = find_attach(seg, rid);
	if (!a || a->d != d) {
		spin_unlock(&vtd_lock);
		return -ENOENT;
	}
	r = ctx_set(u, rid, empty_sl_phys, VTD_DID_BLOCK, d->did);
	/* Even on an error the device is not left in the domain's books:
	 * its entry was made not present first. */
	*a = attached[--nattached];
	d->ndevs--;
	spin_unlock(&vtd_lock);
	return r;
}

static void vtd_domain_destroy(struct iommu_domain *d)
{
	if (!d)
		return;
	for (unsigned i = nattached; i-- > 0;)
		if (attached[i].d == d)
			vtd_detach(d, attached[i].seg, attached[i].rid);
	spin_lock(&vtd_lock);
	pt_destroy(&d->pt);
	for (unsigned i = 0; i < nunits; i++)
		inv_domain(&units[i], d->did);
	iommu_release_deferred();
	d->used = false;
	spin_unlock(&vtd_lock);
}

/* ---- interrupt remapping (9.10) ---- */

static bool irt_used(struct vtd_unit *u, unsigned i)
{
	return u->irt_used[i / 8] & (1u << (i % 8));
}

static int vtd_ir_alloc(uint16_t seg, uint16_t rid, unsigned n)
{
	struct vtd_unit *u = unit_for(seg, rid);
	unsigned align = 1;

	if (!u || !u->ir)
		return -ENODEV;
	if (!n || n > 32)
		return -EINVAL;
	while (align < n)
		align <<= 1;		/* multi-message MSI: an aligned block */
	spin_lock(&vtd_lock);
	for (unsigned i = 0; i + align <= IRT_ENTRIES; i += align) {
		unsigned k;

		for (k = 0; k < n && !irt_used(u, i + k); k++)
			;
		if (k < n)
			continue;
		for (k = 0; k < n; k++) {
			u->irt_used[(i + k) / 8] |= 1u << ((i + k) % 8);
			u->irt_owner[i + k] = rid;
		}
		spin_unlock(&vtd_lock);
		return (int)i;
	}
	spin_unlock(&vtd_lock);
	return -ENOSPC;
}

static int vtd_ir_set(uint16_t seg, uint16_t rid, unsigned index, const struct iommu_irte *e)
{
	struct vtd_unit *u = unit_for(seg, rid);
	uint64_t *ent;
	int r;

	if (!u || !u->ir)
		return -ENODEV;
	if (index >= IRT_ENTRIES || !irt_used(u, index) || u->irt_owner[index] != rid)
		return -EPERM;
	if (e->dest_apic > 0xff)
		return -EINVAL;		/* xAPIC mode (EIME 0): 8-bit destinations */
	spin_lock(&vtd_lock);
	ent = u->irt + 2 * index;
	ent[0] = 0;			/* not present while it changes */
	flush_tables(u);
	r = inv_iec(u);
	/* hi: SID, SQ 00b (all 16 bits compared), SVT 01b (verify). */
	ent[1] = rid | 1ULL << 18;
	/* lo: P, physical destination mode, fixed, trigger mode (bit 4),
	 * vector, DST[15:8]. */
	ent[0] = 1 | (e->level ? 1u << 4 : 0) | (uint64_t)e->vector << 16 |
		 (uint64_t)e->dest_apic << 40;
	flush_tables(u);
	if (!r)
		r = inv_iec(u);
	spin_unlock(&vtd_lock);
	return r;
}

static void vtd_ir_free(uint16_t seg, uint16_t rid, unsigned index, unsigned n)
{
	struct vtd_unit *u = unit_for(seg, rid);

	if (!u || !u->ir)
		return;
	spin_lock(&vtd_lock);
	for (unsigned i = index; i < index + n && i < IRT_ENTRIES; i++) {
		if (!irt_used(u, i) || u->irt_owner[i] != rid)
			continue;
		u->irt[2 * i] = 0;
		u->irt[2 * i + 1] = 0;
		u->irt_used[i / 8] &= (uint8_t)~(1u << (i % 8));
	}
	flush_tables(u);
	inv_iec(u);
	spin_unlock(&vtd_lock);
}

/* Remappable-format MSI (5.1.5.2): address bit 4 set, the handle in bits
 * 19:5 and bit 2, SHV 0 so the index is the handle itself. */
static int vtd_ir_msi(uint16_t seg, uint16_t rid, unsigned index, uint64_t *addr, uint32_t *data)
{
	struct vtd_unit *u = unit_for(seg, rid);

	if (!u || !u->ir || index >= IRT_ENTRIES)
		return -ENODEV;
	*addr = 0xfee00000u | (index & 0x7fff) << 5 | 1u << 4 | ((index >> 15) & 1) << 2;
	*data = 0;
	return 0;
}

/* The IOAPIC's requester ID from its device scope (8.3.1.1). */
static int vtd_ioapic_rid(uint8_t id, uint16_t *seg, uint16_t *rid)
{
	for (unsigned i = 0; i < iommu_dmar.ndrhd; i++) {
		const struct dmar_drhd *h = &iommu_dmar.drhd[i];

		for (unsigned k = 0; k < h->sc.n; k++) {
			const struct dmar_scope *s = &iommu_dmar.scopes[h->sc.first + k];

			if (s->type != DMAR_SCOPE_IOAPIC || s->enum_id != id)
				continue;
			if (dmar_scope_rid(s, h->seg, iommu_secbus, NULL, rid))
				return -ENOENT;
			*seg = h->seg;
			return 0;
		}
	}
	return -ENOENT;
}

/* Remappable-format IOAPIC entry (5.1.5.1): bit 48 set, the handle in
 * bits 63:49 and bit 11, delivery bits 0, and the vector field the same
 * as the remapping entry's (the EOI broadcast matches it). */
static int vtd_ir_ioapic(uint16_t seg, uint16_t rid, unsigned index, uint8_t vector,
			 uint64_t *rte)
{
	struct vtd_unit *u = unit_for(seg, rid);

	if (!u || !u->ir || index >= IRT_ENTRIES)
		return -ENODEV;
	*rte = vector | ((index >> 15) & 1ull) << 11 | 1ull << 48 | (uint64_t)(index & 0x7fff) << 49;
	return 0;
}

/* ---- faults (7.3) ---- */

static void unit_faults(struct vtd_unit *u)
{
	uint32_t fsts = r32(u, FSTS);

	if (fsts & FSTS_PPF) {
		unsigned first = (fsts >> 8) & 0xff;

		for (unsigned k = 0; k < u->nfr; k++) {
			unsigned i = (first + k) % u->nfr, o = u->fro + 16 * i;
			uint64_t lo, hi;
			struct iommu_fault f;

			hi = (uint64_t)r32(u, o + 12) << 32 | r32(u, o + 8);
			if (!(hi >> 63))
				continue;
			lo = (uint64_t)r32(u, o + 4) << 32 | r32(u, o);
			w32(u, o + 12, 0x80000000u);	/* F is write-1-to-clear */
			if (vtd_fault_decode(lo, hi, u->seg, &f)) {
				u->faults++;
				iommu_fault_report(&f);
			}
		}
	}
	if (fsts & FSTS_PFO)
		pr_warn("vtd %#llx: fault records overflowed: some faults were not recorded",
			(unsigned long long)u->base);
	if (fsts & (FSTS_PFO))
		w32(u, FSTS, FSTS_PFO);
}

static void vtd_poll_faults(void)
{
	for (unsigned i = 0; i < nunits; i++)
		unit_faults(&units[i]);
}

static void vtd_report(struct sink *out)
{
	unsigned blocked_buses;

	for (unsigned i = 0; i < nunits; i++) {
		struct vtd_unit *u = &units[i];
		uint32_t gsts = r32(u, GSTS);

		blocked_buses = 0;
		for (unsigned b = 0; b < 256; b++)
			blocked_buses += !u->ctx_phys[b];
		sink_printf(out, "unit %u: VT-d at %#llx, segment %u%s, cap %#llx ecap %#llx\n", i,
			    (unsigned long long)u->base, u->seg,
			    u->include_all ? " (INCLUDE_PCI_ALL)" : "", (unsigned long long)u->cap,
			    (unsigned long long)u->ecap);
		sink_printf(out, "  translation %s, queued invalidation %s, IR %s, %u fault register(s), %lu fault(s)%s\n",
			    gsts & G_TE ? "on" : "off", gsts & G_QIE ? "on" : "off",
			    gsts & G_IRE ? "on" : "off", u->nfr, u->faults,
			    u->broken ? ", INVALIDATION QUEUE STOPPED" : "");
		sink_printf(out, "  blocking domain: every requester ID but the %u attached (%u bus(es) with a context table of their own)\n",
			    nattached, 256 - blocked_buses);
	}
	sink_printf(out, "domains: %s tables, %u-bit, fault interrupts %lu%s\n", sl_fmt->name,
		    addr_bits, fault_irqs, fault_vector < 0 ? " (polled)" : "");
	for (unsigned i = 0; i < VTD_MAX_DOMAINS; i++) {
		if (!domains[i].used)
			continue;
		sink_printf(out, "  domain %u (DID %u): %u device(s)", domains[i].id, domains[i].did,
			    domains[i].ndevs);
		for (unsigned k = 0; k < nattached; k++)
			if (attached[k].d == &domains[i])
				sink_printf(out, " %04x:%02x:%02x.%x", attached[k].seg,
					    attached[k].rid >> 8, (attached[k].rid >> 3) & 0x1f,
					    attached[k].rid & 7);
		sink_printf(out, "\n");
	}
}

const struct iommu_ops vtd_ops = {
	.kind = "VT-d",
	.init = vtd_init,
	.info = vtd_info,
	.covers = vtd_covers,
	.domain_create = vtd_domain_create,
	.domain_destroy = vtd_domain_destroy,
	.map = vtd_map,
	.unmap = vtd_unmap,
	.attach = vtd_attach,
	.detach = vtd_detach,
	.ir_alloc = vtd_ir_alloc,
	.ir_set = vtd_ir_set,
	.ir_free = vtd_ir_free,
	.ir_msi = vtd_ir_msi,
	.ioapic_rid = vtd_ioapic_rid,
	.ir_ioapic = vtd_ir_ioapic,
	.is_unit = vtd_is_unit,
	.poll_faults = vtd_poll_faults,
	.report = vtd_report,
};
