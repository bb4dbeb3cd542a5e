/* The DMA-attack probe page of test partitions (debug_exit = yes), at
 * PASSTHRU_PROBE_GPA (vmm/passthru.h; tests/guests/ptedu.c reads it). */
#include "vmm/passthru_priv.h"
#include "vmm/partition.h"
#include "mm/mem.h"
#include "lib/errno.h"

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

int ptprobe_add(struct partition *p)
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
