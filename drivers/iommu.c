/* The IOMMU layer above the two drivers (iommu.h): picks the driver the
 * ACPI tables name, parses those tables in full first (a malformed one
 * leaves the machine without passthrough, nothing else), honours the
 * firmware's reserved-memory regions (RMRR, IVMD unity ranges), and
 * owns the fault path: counting, a rate-limited log, the partition
 * layer's handler. */
#include "drivers/iommu_priv.h"
#include "drivers/acpi.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/spinlock.h"
#include "drivers/pci.h"
#include "lib/printf.h"
#include "lib/errno.h"

const struct iommu_ops *iommu;
const char *iommu_absent_reason = "not probed";
struct dmar_info iommu_dmar;
struct ivrs_info iommu_ivrs;

static char absent_buf[IOMMU_TABLE_MSG + 48];

/* ---- faults ---- */

/* The first faults are all logged; then one in IOMMU_FAULT_LOG_EVERY, so a
 * device in a storm cannot flood the console. */
#define IOMMU_FAULT_LOG_FIRST 16
#define IOMMU_FAULT_LOG_EVERY 1000
#define IOMMU_FAULT_DEVS 32

static struct {
	uint16_t seg, rid;
	unsigned long n;
} fault_devs[IOMMU_FAULT_DEVS];
static unsigned long faults_total, faults_unlisted;
static struct iommu_fault last_fault;

/* Without the partition layer's handler: the fault, with no owner. */
static void default_fault(const struct iommu_fault *f)
{
	if (f->log)
		pr_warn("iommu: fault #%lu from %04x:%02x:%02x.%x: %s at %#llx: %s (reason %#x)%s",
			f->count, f->seg, f->rid >> 8, (f->rid >> 3) & 0x1f, f->rid & 7,
			f->write ? "write" : "read", (unsigned long long)f->addr, f->what,
			f->reason, f->count == IOMMU_FAULT_LOG_FIRST ? "; further faults of it are sampled" : "");
}

static void (*fault_fn)(const struct iommu_fault *f) = default_fault;

void iommu_set_fault_handler(void (*fn)(const struct iommu_fault *f))
{
	fault_fn = fn ? fn : default_fault;
}

void iommu_fault_report(const struct iommu_fault *fault)
{
	struct iommu_fault c = *fault, *f = &c;
	unsigned long n = 0;
	unsigned i;

	faults_total++;
	for (i = 0; i < IOMMU_FAULT_DEVS; i++) {
		if (fault_devs[i].n && fault_devs[i].seg == f->seg && fault_devs[i].rid == f->rid)
			break;
		if (!fault_devs[i].n) {
			fault_devs[i].seg = f->seg;
			fault_devs[i].rid = f->rid;
			break;
		}
	}
	if (i < IOMMU_FAULT_DEVS)
		n = ++fault_devs[i].n;
	else
		n = ++faults_unlisted;
	f->count = n;
	f->log = n <= IOMMU_FAULT_LOG_FIRST || n % IOMMU_FAULT_LOG_EVERY == 0;
	last_fault = *f;
	fault_fn(f);
}

unsigned long iommu_fault_count(void)
{
	return faults_total;
}

bool iommu_last_fault(struct iommu_fault *f)
{
	if (!faults_total)
		return false;
	*f = last_fault;
	return true;
}

volatile bool iommu_event_pending;
static struct spinlock poll_lock;

/* Polled every IOMMU_POLL_MS at most unless a fault event marked work
 * pending; one CPU at a time (another finds the lock taken and leaves
 * it to the holder). */
#define IOMMU_POLL_MS 100

void iommu_poll(void)
{
	static uint64_t next;
	uint64_t now;

	if (!iommu)
		return;
	now = rdtsc();
	if (!iommu_event_pending && hv.tsc_khz && now < next)
		return;
	if (!spin_trylock(&poll_lock))
		return;
	next = now + hv.tsc_khz * IOMMU_POLL_MS;
	iommu_event_pending = false;
	iommu->poll_faults();
	spin_unlock(&poll_lock);
}

uint8_t iommu_secbus(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn)
{
	const struct pci_tree *t = pci_host_tree();

	(void)ctx;
	for (unsigned i = 0; t && i < t->ndevs; i++)
		if (t->devs[i].seg == seg && t->devs[i].bus == bus && t->devs[i].devfn == devfn)
			return t->devs[i].hdr_type == 1 ? t->devs[i].sec_bus : 0;
	return 0;
}

/* ---- helpers for the drivers ---- */

uint64_t iommu_deadline(unsigned ms)
{
	if (hv.tsc_khz)
		return rdtsc() + hv.tsc_khz * ms;
	/* No TSC frequency: count calls instead (~1 us each is a guess). */
	return (uint64_t)ms * 1000;
}

bool iommu_expired(uint64_t deadline)
{
	static uint64_t spins;

	cpu_relax();
	if (hv.tsc_khz)
		return rdtsc() > deadline;
	return ++spins % (deadline + 1) == 0;
}

void *iommu_page_alloc(uint64_t npages, uint64_t *phys)
{
	uint64_t p = page_alloc(npages, 1);

	if (!p)
		return NULL;
	*phys = p;
	return phys_to_virt(p);
}

void iommu_page_free(uint64_t phys, uint64_t npages)
{
	page_free(phys, npages);
}

/* I/O page-table pages for the drivers' page-table engine. A table page
 * the engine unlinks may still sit in the units' paging caches until the
 * invalidation that follows the change: it is kept until then, and
 * reused only after it. One driver runs at a time, so one list serves. */
#define DEFER_MAX 64
static uint64_t deferred[DEFER_MAX];
static unsigned ndeferred;

void *iommu_pt_alloc(void *ctx, uint64_t *phys)
{
	(void)ctx;
	return iommu_page_alloc(1, phys);
}

void *iommu_pt_virt(void *ctx, uint64_t phys)
{
	(void)ctx;
	return phys_to_virt(phys);
}

void iommu_defer_free(uint64_t phys, void (*flush_all)(void))
{
	if (ndeferred == DEFER_MAX) {
		flush_all();
		iommu_release_deferred();
	}
	deferred[ndeferred++] = phys;
}

void iommu_release_deferred(void)
{
	while (ndeferred)
		iommu_page_free(deferred[--ndeferred], 1);
}

/* ---- setup ---- */

static void absent(const char *why)
{
	iommu_absent_reason = why;
	snprintf(hv.iommu, sizeof(hv.iommu), "none: %s", why);
}

static const struct acpi_table_ref *find_table(const struct acpi_info *ai, const char *sig)
{
	for (unsigned i = 0; i < ai->ntables; i++)
		if (!memcmp(ai->tables[i].sig, sig, 5))
			return &ai->tables[i];
	return NULL;
}

/* Reserved memory the firmware says devices keep using (VT-d RMRRs; IVMD
 * unity ranges): mapped one to one in a domain of their own, the devices
 * attached to it, each reported. Only these ranges are mapped there. */
static void reserved_regions(void)
{
	static struct iommu_domain *rd;
	unsigned mapped = 0;

	if (!iommu)
		return;
	for (unsigned i = 0; i < iommu_dmar.nrmrr && iommu == &vtd_ops; i++) {
		const struct dmar_rmrr *m = &iommu_dmar.rmrr[i];

		if (!rd && !(rd = iommu->domain_create(IOMMU_DOMAIN_RESERVED))) {
			pr_err("iommu: no domain for the RMRRs: their devices stay blocked");
			return;
		}
		if (iommu->map(rd, m->base, m->base, m->limit - m->base + 1,
			       IOMMU_READ | IOMMU_WRITE) && !mapped)
			pr_warn("iommu: RMRR %#llx-%#llx overlaps another",
				(unsigned long long)m->base, (unsigned long long)m->limit);
		for (unsigned k = 0; k < m->sc.n; k++) {
			const struct dmar_scope *s = &iommu_dmar.scopes[m->sc.first + k];
			uint16_t rid;

			if (dmar_scope_rid(s, m->seg, iommu_secbus, NULL, &rid)) {
				pr_warn("iommu: RMRR %#llx-%#llx: a device behind bridges is not resolved; it stays blocked",
					(unsigned long long)m->base, (unsigned long long)m->limit);
				continue;
			}
			if (!iommu->attach(rd, m->seg, rid))
				pr_info("iommu: RMRR %#llx-%#llx identity-mapped for %04x:%02x:%02x.%x",
					(unsigned long long)m->base, (unsigned long long)m->limit,
					m->seg, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
		}
		mapped++;
	}
	for (unsigned i = 0; i < iommu_ivrs.nivmd && iommu == &amdvi_ops; i++) {
		const struct ivrs_ivmd *m = &iommu_ivrs.ivmd[i];
		unsigned prot = (m->flags & 2 ? IOMMU_READ : 0) | (m->flags & 4 ? IOMMU_WRITE : 0);
		uint64_t len = (m->len + 0xfff) & ~0xfffULL;

		if (m->type == 0x20 || m->last - m->first > 255) {
			pr_warn("iommu: IVMD %#llx+%#llx names devices %#x-%#x: not mapped (it would open the range to all of them); they stay blocked",
				(unsigned long long)m->start, (unsigned long long)m->len, m->first, m->last);
			continue;
		}
		if (!(m->flags & 1) || !prot) {
			pr_info("iommu: IVMD %#llx+%#llx (flags %#x) is not a unity range: not mapped",
				(unsigned long long)m->start, (unsigned long long)m->len, m->flags);
			continue;
		}
		if (!rd && !(rd = iommu->domain_create(IOMMU_DOMAIN_RESERVED))) {
			pr_err("iommu: no domain for the IVMDs: their devices stay blocked");
			return;
		}
		iommu->map(rd, m->start, m->start, len, prot);
		for (uint32_t id = m->first; id <= m->last; id++)
			if (iommu->covers(0, (uint16_t)id) && !iommu->attach(rd, 0, (uint16_t)id))
				pr_info("iommu: IVMD %#llx+%#llx identity-mapped for 0000:%02x:%02x.%x",
					(unsigned long long)m->start, (unsigned long long)len,
					id >> 8, (id >> 3) & 0x1f, id & 7);
	}
}

static int setup_with(const struct iommu_ops *ops, const struct acpi_info *ai)
{
	struct iommu_info inf;
	int r = ops->init(ai);

	if (r) {
		snprintf(absent_buf, sizeof(absent_buf), "the %s units did not come up (%s)",
			 ops->kind, err_name(r));
		absent(absent_buf);
		return r;
	}
	iommu = ops;
	iommu_absent_reason = NULL;
	ops->info(&inf);
	reserved_regions();
	pr_info("iommu: %s: every device blocked (deny by default), %u-bit domains, interrupt remapping %s",
		inf.kind, inf.addr_bits, inf.intr_remap ? "on" : "off");
	return 0;
}

int iommu_setup(const struct acpi_info *ai)
{
	const struct acpi_table_ref *t;
	static char msg[IOMMU_TABLE_MSG];
	const void *p;
	int r;

	if (!ai) {
		absent("no ACPI tables");
		return -ENOENT;
	}
	t = find_table(ai, "DMAR");
	if (!t)
		t = find_table(ai, "IVRS");
	if (!t) {
		absent("no DMAR or IVRS table (no IOMMU)");
		pr_info("iommu: none (no DMAR or IVRS table): device passthrough unavailable");
		return -ENOENT;
	}
	p = t->valid ? mmu_map_phys(t->phys, t->len, false) : NULL;
	if (!p) {
		snprintf(absent_buf, sizeof(absent_buf), "the %s table is unusable", t->sig);
		absent(absent_buf);
		pr_err("iommu: %s: passthrough unavailable", absent_buf);
		return -EBADMSG;
	}
	if (t->sig[0] == 'D')
		r = dmar_parse(&iommu_dmar, p, t->len, msg);
	else
		r = ivrs_parse(&iommu_ivrs, p, t->len, msg);
	if (r) {
		snprintf(absent_buf, sizeof(absent_buf), "table refused: %s", msg);
		absent(absent_buf);
		pr_err("iommu: %s; device passthrough unavailable, everything else runs", msg);
		return r;
	}
	r = setup_with(t->sig[0] == 'D' ? &vtd_ops : &amdvi_ops, ai);
	if (r)
		pr_err("iommu: %s; device passthrough unavailable, everything else runs",
		       iommu_absent_reason);
	return r;
}

void iommu_report(struct sink *out)
{
	if (!iommu) {
		sink_printf(out, "iommu: none: %s\n", iommu_absent_reason);
		return;
	}
	iommu->poll_faults();
	iommu->report(out);
	sink_printf(out, "faults: %lu in all\n", faults_total);
	for (unsigned i = 0; i < IOMMU_FAULT_DEVS && fault_devs[i].n; i++)
		sink_printf(out, "  %04x:%02x:%02x.%x  %lu fault(s)\n", fault_devs[i].seg,
			    fault_devs[i].rid >> 8, (fault_devs[i].rid >> 3) & 0x1f,
			    fault_devs[i].rid & 7, fault_devs[i].n);
	if (faults_unlisted)
		sink_printf(out, "  other devices: %lu fault(s)\n", faults_unlisted);
}
