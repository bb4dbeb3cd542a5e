/* Resetting one PCI function before it changes hands (drivers/pci.h):
 * Function Level Reset where the function has it (PCIe Base 4.0, 6.6.2
 * through Device Control; or the Advanced Features capability, PCI
 * Advanced Capabilities ECN), else the D3hot -> D0 transition when the
 * function does not advertise No_Soft_Reset (PCI PM 1.2, 5.4 and 8.2.2),
 * else a secondary bus reset through the bridge above when every
 * function on that bus belongs to the same owner (PCI-to-PCI Bridge 1.2,
 * 3.2.5.18). Afterwards the host's BAR addresses are written back, with
 * decode and bus mastering off. */
#include "drivers/pci.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"

static void delay_ms(unsigned ms)
{
	uint64_t khz = hv.tsc_khz ? hv.tsc_khz : 2000000, end = rdtsc() + khz * ms;

	while (rdtsc() < end)
		cpu_relax();
}

/* Waits up to ms for the Transactions Pending bit (mask) at reg to clear:
 * a reset while a completion is outstanding would lose it. */
static void wait_idle(const struct pci_dev *d, uint16_t reg, unsigned width, uint32_t mask,
		      unsigned ms)
{
	for (unsigned i = 0; i < ms && (pci_cfg_read(d, reg, width) & mask); i++)
		delay_ms(1);
}

static bool try_flr(const struct pci_dev *d)
{
	const struct pci_cap *af = pci_find_cap(d, PCI_CAP_AF);

	if (d->pcie_off && (pci_cfg_read(d, d->pcie_off + 4, 4) & (1u << 28))) {
		/* Device Status bit 5: Transactions Pending. */
		wait_idle(d, d->pcie_off + 0xa, 2, 1u << 5, 100);
		pci_cfg_write(d, d->pcie_off + 8, 2,
			      pci_cfg_read(d, d->pcie_off + 8, 2) | (1u << 15));
		delay_ms(100);
		return true;
	}
	if (af && (pci_cfg_read(d, af->off + 3, 1) & 3) == 3) {
		/* AF capabilities: TP and FLR supported; AF status bit 0 TP. */
		wait_idle(d, af->off + 5, 1, 1, 100);
		pci_cfg_write(d, af->off + 4, 1, 1);
		delay_ms(100);
		return true;
	}
	return false;
}

static bool try_pm(const struct pci_dev *d)
{
	uint16_t csr;

	if (!d->pm_off)
		return false;
	csr = (uint16_t)pci_cfg_read(d, d->pm_off + 4, 2);
	if (csr & (1u << 3))		/* No_Soft_Reset: D3hot keeps its state */
		return false;
	pci_cfg_write(d, d->pm_off + 4, 2, (csr & ~3u) | 3);
	delay_ms(10);
	pci_cfg_write(d, d->pm_off + 4, 2, csr & ~3u);
	delay_ms(10);
	return true;
}

static bool try_bus_reset(const struct pci_tree *t, const struct pci_dev *d)
{
	const struct pci_dev *b;
	uint16_t ctl;

	if (d->parent < 0 || (unsigned)d->parent >= t->ndevs)
		return false;
	b = &t->devs[d->parent];
	if (b->hdr_type != 1)
		return false;
	for (unsigned i = 0; i < t->ndevs; i++) {
		const struct pci_dev *o = &t->devs[i];

		if (o->seg == d->seg && o->bus == b->sec_bus &&
		    (o->owner != d->owner || o->owner_id != d->owner_id))
			return false;
	}
	ctl = (uint16_t)pci_cfg_read(b, 0x3e, 2);
	pci_cfg_write(b, 0x3e, 2, ctl | (1u << 6));
	delay_ms(2);
	pci_cfg_write(b, 0x3e, 2, ctl & ~(1u << 6));
	delay_ms(100);
	return true;
}

static void restore_bars(const struct pci_dev *d)
{
	for (unsigned i = 0; i < d->nbars && i < PCI_MAX_BARS; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (b->type == PCI_BAR_NONE || !b->size)
			continue;
		pci_cfg_write(d, (uint16_t)(0x10 + 4 * i), 4, (uint32_t)b->base);
		if (b->type == PCI_BAR_MEM64 && i + 1 < PCI_MAX_BARS)
			pci_cfg_write(d, (uint16_t)(0x14 + 4 * i), 4, (uint32_t)(b->base >> 32));
	}
}

const char *pci_reset(const struct pci_tree *t, const struct pci_dev *d)
{
	const char *how = "no reset method (state kept)";
	uint16_t cmd = (uint16_t)pci_cfg_read(d, 0x04, 2);

	/* Bus mastering and decode off first: no DMA during or after. */
	pci_cfg_write(d, 0x04, 2, cmd & ~7u);
	if (try_flr(d))
		how = "function level reset";
	else if (try_pm(d))
		how = "D3hot-D0 power management reset";
	else if (try_bus_reset(t, d))
		how = "secondary bus reset";
	restore_bars(d);
	/* What a reset leaves in Command, also when there was none: decode,
	 * bus mastering, parity/SERR# reporting and INTx disable off. */
	cmd = (uint16_t)pci_cfg_read(d, 0x04, 2);
	pci_cfg_write(d, 0x04, 2, cmd & ~0x0547u);
	return how;
}
