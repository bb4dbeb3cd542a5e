/* IOMMU self-test with QEMU's edu device. See iommu_selftest.h.
 *
 * The edu (PCI 1234:11e8) copies between its 4 KiB buffer, at device
 * address 0x40000, and any bus address: registers 0x80 source, 0x88
 * destination, 0x90 count, 0x98 command (bit 0 start, bit 1 direction:
 * 1 = buffer to bus). QEMU aborts on a zero count or a buffer range
 * whose end is not strictly inside 0x40000-0x40fff (QEMU 7.2 refuses the
 * whole 4096 bytes), so every transfer here is the buffer's first half. */
#include "drivers/iommu_selftest.h"
#include "drivers/iommu.h"
#include "drivers/pci.h"
#include "arch/x86/mmu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/apic.h"
#include "arch/x86/vectors.h"
#include "include/vatra/hv.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "lib/errno.h"

#define EDU_BUF 0x40000ULL
#define EDU_TO_BUS 2u
#define IOVA_SRC 0x10000000ULL
#define IOVA_DST 0x10001000ULL
#define PG 4096
#define XFER 2048

static volatile uint8_t *edu;
static unsigned passed, failed;

static void check(bool ok, const char *what)
{
	if (ok)
		passed++;
	else
		failed++;
	pr_info("iommu selftest: %s %s", ok ? "PASS" : "FAIL", what);
}

static void wr64(unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(edu + off) = v;
}

/* One transfer of XFER bytes; false when the device never finished. */
static bool edu_dma(uint64_t bus_addr, bool to_bus)
{
	uint64_t t0 = rdtsc(), limit = (hv.tsc_khz ? hv.tsc_khz : 2000000) * 3000;

	wr64(0x80, to_bus ? EDU_BUF : bus_addr);
	wr64(0x88, to_bus ? bus_addr : EDU_BUF);
	wr64(0x90, XFER);
	wr64(0x98, 1 | (to_bus ? EDU_TO_BUS : 0));
	while (*(volatile uint32_t *)(edu + 0x98) & 1)
		if (rdtsc() - t0 > limit)
			return false;
	return true;
}

static bool all(const uint8_t *p, uint8_t v)
{
	for (unsigned i = 0; i < PG; i++)
		if (p[i] != v)
			return false;
	return true;
}

static bool pattern(const uint8_t *p)
{
	for (unsigned i = 0; i < XFER; i++)
		if (p[i] != (uint8_t)(i * 7 + 3))
			return false;
	return true;
}

static const struct pci_dev *find_edu(void)
{
	const struct pci_tree *t = pci_host_tree();

	for (unsigned i = 0; t && i < t->ndevs; i++)
		if (t->devs[i].vendor == 0x1234 && t->devs[i].device == 0x11e8)
			return &t->devs[i];
	return NULL;
}

static volatile unsigned long ir_hits;

static void ir_handler(unsigned vector, void *ctx)
{
	(void)vector;
	(void)ctx;
	ir_hits++;
}

static bool irq_arrived(unsigned long before, unsigned ms)
{
	uint64_t t0 = rdtsc(), limit = (hv.tsc_khz ? hv.tsc_khz : 2000000) * ms;

	while (ir_hits == before && rdtsc() - t0 < limit)
		apic_take_pending();
	return ir_hits != before;
}

/* 5. Interrupt remapping: the edu's MSI, sent in the form the driver
 * gives for one entry of its block, reaches a host vector; once the
 * entry is freed the same MSI reaches nothing. */
static void selftest_ir(const struct pci_dev *d, uint16_t rid)
{
	struct iommu_irte e = { 0, 0, false };
	struct iommu_info inf;
	uint64_t addr;
	uint32_t data;
	uint16_t ctl, m = d->msi_off;
	unsigned long before;
	int v, idx;

	iommu->info(&inf);
	if (!inf.intr_remap || !m) {
		pr_info("iommu selftest: interrupt remapping %s, edu MSI %s: not tested",
			inf.intr_remap ? "on" : "off", m ? "present" : "absent");
		return;
	}
	v = vectors_alloc(ir_handler, NULL, "iommu selftest");
	idx = iommu->ir_alloc(d->seg, rid, 1);
	check(v >= 0 && idx >= 0, "a host vector and a remapping entry allocated");
	if (v < 0 || idx < 0)
		goto out;
	e.vector = (uint8_t)v;
	e.dest_apic = apic_id();
	check(!iommu->ir_set(d->seg, rid, (unsigned)idx, &e) &&
	      !iommu->ir_msi(d->seg, rid, (unsigned)idx, &addr, &data), "remapping entry set");
	/* 00:00.0, the host bridge, is covered too but owns no entry. */
	check(rid == 0 || iommu->ir_set(d->seg, 0, (unsigned)idx, &e) == -EPERM,
	      "another requester ID cannot set the edu's entry");
	pci_cfg_write(d, m + 4, 4, (uint32_t)addr);
	if (d->msi_64bit) {
		pci_cfg_write(d, m + 8, 4, (uint32_t)(addr >> 32));
		pci_cfg_write(d, m + 12, 2, (uint16_t)data);
	} else {
		pci_cfg_write(d, m + 8, 2, (uint16_t)data);
	}
	ctl = (uint16_t)pci_cfg_read(d, m + 2, 2);
	pci_cfg_write(d, m + 2, 2, (ctl & ~0x70) | 1);	/* one message, enabled */
	before = ir_hits;
	*(volatile uint32_t *)(edu + 0x60) = 1;		/* raise */
	check(irq_arrived(before, 1000), "the edu's MSI was remapped to the host vector");
	*(volatile uint32_t *)(edu + 0x64) = 1;		/* acknowledge */
	iommu->ir_free(d->seg, rid, (unsigned)idx, 1);
	idx = -1;
	before = ir_hits;
	*(volatile uint32_t *)(edu + 0x60) = 1;
	check(!irq_arrived(before, 300), "with its entry freed the same MSI reached nothing");
	*(volatile uint32_t *)(edu + 0x64) = 1;
	pci_cfg_write(d, m + 2, 2, ctl & ~1);
out:
	if (idx >= 0)
		iommu->ir_free(d->seg, rid, (unsigned)idx, 1);
	if (v >= 0)
		vectors_free((unsigned)v);
}

/* A recorded fault from rid at the page of addr, of the given kind. */
static bool fault_seen(unsigned long before, uint16_t rid, uint64_t addr, bool write)
{
	struct iommu_fault f;

	iommu->poll_faults();
	if (iommu_fault_count() == before || !iommu_last_fault(&f))
		return false;
	return f.rid == rid && f.addr == (addr & ~0xfffULL) && f.write == write;
}

int iommu_selftest(void)
{
	const struct pci_dev *d = find_edu();
	struct iommu_domain *dom = NULL;
	uint64_t victim, src, dst;
	uint8_t *vp, *sp, *dp;
	uint16_t rid, cmd;
	unsigned long nf;
	bool vtd;
	char what[128];

	if (!iommu) {
		pr_warn("iommu selftest: no IOMMU (%s)", iommu_absent_reason);
		return -ENODEV;
	}
	if (!d || !d->bar[0].size) {
		pr_warn("iommu selftest: no edu device (1234:11e8) to DMA with");
		return -ENODEV;
	}
	vtd = !strcmp(iommu->kind, "VT-d");
	rid = (uint16_t)(d->bus << 8 | d->devfn);
	edu = mmu_map_phys(d->bar[0].base, PG, true);
	victim = page_alloc(1, 1);
	src = page_alloc(1, 1);
	dst = page_alloc(1, 1);
	if (!edu || !victim || !src || !dst) {
		pr_err("iommu selftest: no memory");
		return -ENOMEM;
	}
	vp = phys_to_virt(victim);
	sp = phys_to_virt(src);
	dp = phys_to_virt(dst);
	passed = failed = 0;
	cmd = (uint16_t)pci_cfg_read(d, 0x04, 2);
	pci_cfg_write(d, 0x04, 2, cmd | 0x6);	/* memory decode, bus master */
	pr_info("iommu selftest: edu at %04x:%02x:%02x.%x, %s, ident %#x", d->seg, d->bus,
		d->devfn >> 3, d->devfn & 7, iommu->kind, *(volatile uint32_t *)edu);

	/* 1. Blocked: the edu writes its buffer into a hypervisor page. */
	memset(vp, 0x5a, PG);
	nf = iommu_fault_count();
	check(edu_dma(victim, true), "blocked DMA write: the device finished the transfer");
	snprintf(what, sizeof(what), "blocked DMA write left hypervisor page %#llx unchanged",
		 (unsigned long long)victim);
	check(all(vp, 0x5a), what);
	if (vtd) {
		snprintf(what, sizeof(what), "fault recorded: device %02x:%02x.%x, write, page %#llx",
			 d->bus, d->devfn >> 3, d->devfn & 7, (unsigned long long)victim);
		check(fault_seen(nf, rid, victim, true), what);
	} else {
		iommu->poll_faults();
		pr_info("iommu selftest: (AMD-Vi under QEMU 7.2 logs no events; only the denial is checked)");
	}

	/* 1b. Blocked read: the edu tries to fetch a secret from a
	 * hypervisor page into its buffer; what the buffer holds is looked
	 * at once a mapped page can receive it (step 2). */
	for (unsigned i = 0; i < PG; i++)
		vp[i] = (uint8_t)(i * 13 + 0xc1);
	nf = iommu_fault_count();
	check(edu_dma(victim, false), "blocked DMA read: the device finished the transfer");
	if (vtd) {
		snprintf(what, sizeof(what), "fault recorded: device %02x:%02x.%x, read, page %#llx",
			 d->bus, d->devfn >> 3, d->devfn & 7, (unsigned long long)victim);
		check(fault_seen(nf, rid, victim, false), what);
	}

	/* 2. A scratch domain maps one source page (read-only) and one
	 * destination page: the buffer goes in by a read, out by a write. */
	for (unsigned i = 0; i < PG; i++)
		sp[i] = (uint8_t)(i * 7 + 3);
	memset(dp, 0, PG);
	dom = iommu->domain_create(IOMMU_DOMAIN_SELFTEST);
	check(dom != NULL, "scratch domain created");
	if (!dom)
		goto out;
	check(!iommu->map(dom, IOVA_SRC, src, PG, IOMMU_READ) &&
	      !iommu->map(dom, IOVA_DST, dst, PG, IOMMU_READ | IOMMU_WRITE),
	      "two pages mapped");
	check(!iommu->attach(dom, d->seg, rid), "edu attached to the scratch domain");
	memset(dp, 0x5a, PG);
	check(edu_dma(IOVA_DST, true) && !all(dp, 0x5a) && memcmp(dp, vp, XFER) != 0,
	      "the blocked read fetched nothing: the buffer holds no hypervisor secret");
	check(edu_dma(IOVA_SRC, false) && edu_dma(IOVA_DST, true) && pattern(dp),
	      "mapped DMA: read through the IOMMU and written back arrived");

	/* 3. Unmapped: the translation the IOTLB holds must be gone. */
	check(!iommu->unmap(dom, IOVA_DST, PG), "destination page unmapped");
	memset(dp, 0x5a, PG);
	nf = iommu_fault_count();
	edu_dma(IOVA_DST, true);
	check(all(dp, 0x5a), "DMA to the unmapped page did not arrive (IOTLB invalidated)");
	if (vtd)
		check(fault_seen(nf, rid, IOVA_DST, true), "fault recorded at the unmapped I/O address");

	/* 4. Detached: mapped again in the domain, but the edu is back in
	 * the blocking domain. */
	check(!iommu->map(dom, IOVA_DST, dst, PG, IOMMU_READ | IOMMU_WRITE), "destination mapped again");
	check(!iommu->detach(dom, d->seg, rid), "edu detached (back to the blocking domain)");
	nf = iommu_fault_count();
	edu_dma(IOVA_DST, true);
	check(all(dp, 0x5a), "DMA after detach did not arrive (context/device entry invalidated)");
	if (vtd)
		check(fault_seen(nf, rid, IOVA_DST, true), "fault recorded after detach");
	iommu->domain_destroy(dom);
	selftest_ir(d, rid);
out:
	pci_cfg_write(d, 0x04, 2, cmd & ~0x4);	/* bus master off again */
	iommu->poll_faults();
	page_free(victim, 1);
	page_free(src, 1);
	page_free(dst, 1);
	pr_info("iommu selftest: %u of %u checks passed", passed, passed + failed);
	return (int)failed;
}
