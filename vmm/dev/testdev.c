/* The test device's registers: a byte-addressable 8-byte scratch register
 * at 0x000, a read-only ID at 0x008, a write counter at 0x010 and a
 * 256-byte scratch array at 0x100. Everything else reads all ones. */
#include "vmm/dev/testdev.h"
#include "lib/string.h"
#include "lib/errno.h"

void testdev_reset(struct testdev *d)
{
	memset(d, 0, sizeof(*d));
}

static uint8_t byte_at(const struct testdev *d, uint64_t off)
{
	if (off < 8)
		return d->scratch[off];
	if (off < 16)
		return (uint8_t)(TESTDEV_ID >> (8 * (off - 8)));
	if (off < 24)
		return (uint8_t)(d->writes >> (8 * (off - 16)));
	if (off >= 0x100 && off < 0x200)
		return d->array[off - 0x100];
	return 0xff;
}

uint64_t testdev_read(struct testdev *d, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)byte_at(d, off + i) << (8 * i);
	return v;
}

void testdev_write(struct testdev *d, uint64_t off, unsigned size, uint64_t val)
{
	d->writes++;
	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		if (o < 8)
			d->scratch[o] = b;
		else if (o >= 0x100 && o < 0x200)
			d->array[o - 0x100] = b;
	}
}

/* ---- the PCI function ---- */

/* BAR0's registers: offset, size, the field (NULL: computed), and
 * whether the guest writes it. Fields are little endian, as x86 is. */
#define TESTDEV_BAR_SCRATCH  0x10
#define TESTDEV_BAR_MSI      0x18
#define TESTDEV_BAR_DMA_ADDR 0x20
#define TESTDEV_BAR_DMA_GO   0x28    /* 1: ID to RAM at DMA_ADDR; 2: RAM there to DMA_DATA */
#define TESTDEV_BAR_DMA_DATA 0x30
#define TESTDEV_BAR_DMA_STS  0x38    /* 0 done, 1 refused: not all in the partition's RAM */

static uint8_t *testdev_bar_field(struct testdev *d, uint64_t off, bool *rw)
{
	*rw = true;
	if (off >= TESTDEV_BAR_SCRATCH && off < TESTDEV_BAR_SCRATCH + 4)
		return (uint8_t *)&d->pci_scratch + (off - TESTDEV_BAR_SCRATCH);
	if (off >= TESTDEV_BAR_DMA_ADDR && off < TESTDEV_BAR_DMA_ADDR + 8)
		return (uint8_t *)&d->dma_addr + (off - TESTDEV_BAR_DMA_ADDR);
	*rw = false;
	if (off >= TESTDEV_BAR_DMA_DATA && off < TESTDEV_BAR_DMA_DATA + 8)
		return (uint8_t *)&d->dma_data + (off - TESTDEV_BAR_DMA_DATA);
	if (off >= TESTDEV_BAR_DMA_STS && off < TESTDEV_BAR_DMA_STS + 4)
		return (uint8_t *)&d->dma_status + (off - TESTDEV_BAR_DMA_STS);
	return NULL;
}

static uint8_t testdev_bar_byte(struct testdev *d, uint64_t base, uint64_t off)
{
	bool rw;
	const uint8_t *f = testdev_bar_field(d, off, &rw);

	if (f)
		return *f;
	if (off < 8)
		return (uint8_t)(TESTDEV_PCI_ID >> (8 * off));
	if (off < 16)
		return (uint8_t)(base >> (8 * (off - 8)));
	return 0xff;
}

/* A DMA through the partition's environment, which refuses anything not
 * wholly in guest RAM. */
static void testdev_dma(struct testdev *d, uint64_t op)
{
	const uint64_t id = TESTDEV_PCI_ID;
	int r = -EINVAL;

	if (d->env && op == 1 && d->env->mem_write)
		r = d->env->mem_write(d->env->ctx, d->dma_addr, &id, sizeof(id));
	else if (d->env && op == 2 && d->env->mem_read)
		r = d->env->mem_read(d->env->ctx, d->dma_addr, &d->dma_data, sizeof(d->dma_data));
	d->dma_status = r ? 1 : 0;
}

/* MSI capability registers (PCI Local Bus 3.0, 6.8.1, 32-bit layout):
 * Message Control at +2 (bit 0 MSI Enable), Message Address at +4,
 * Message Data at +8. */
#define TESTDEV_MSI_CTL   2
#define TESTDEV_MSI_ADDR  4
#define TESTDEV_MSI_DATA  8

static void testdev_msi(struct testdev *d)
{
	const uint8_t *c;
	uint32_t addr;

	if (!d->pci || !d->env || !d->env->msi)
		return;
	c = &d->pci->cfg[d->msi_cap];
	if (!(c[TESTDEV_MSI_CTL] & 1))
		return;   /* MSI off (and INTx has no pin here): nothing */
	addr = (uint32_t)c[TESTDEV_MSI_ADDR] | (uint32_t)c[TESTDEV_MSI_ADDR + 1] << 8 |
	       (uint32_t)c[TESTDEV_MSI_ADDR + 2] << 16 | (uint32_t)c[TESTDEV_MSI_ADDR + 3] << 24;
	if (!d->env->msi(d->env->ctx, addr,
			 (uint32_t)c[TESTDEV_MSI_DATA] | (uint32_t)c[TESTDEV_MSI_DATA + 1] << 8))
		d->msis++;
}

static int testdev_bar(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		       bool write, uint64_t *val)
{
	struct testdev *d = ctx;

	(void)who;
	if (write && off == TESTDEV_BAR_MSI) {
		testdev_msi(d);
		return 0;
	}
	if (write && off == TESTDEV_BAR_DMA_GO) {
		testdev_dma(d, *val);
		return 0;
	}
	if (write) {
		for (unsigned i = 0; i < size; i++) {
			bool rw;
			uint8_t *f = testdev_bar_field(d, off + i, &rw);

			if (f && rw)
				*f = (uint8_t)(*val >> (8 * i));
		}
		return 0;
	}
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint64_t)testdev_bar_byte(d, addr - off, off + i) << (8 * i);
	return 0;
}

int testdev_pci_add(struct testdev *d, struct vpci *pci, const struct dev_env *env)
{
	static const uint8_t vendor_cap[] = { 5, 'V', 'T' };   /* length, then data */
	static const uint8_t msi_cap[10] = { 0 };   /* control (one message, 32-bit), address, data */
	struct vpci_func *f;
	int r = vpci_add(pci, 0, TESTDEV_PCI_DEV, 0, NULL, d, &f);

	if (r)
		return r;
	d->pci = f;
	d->env = env;
	vpci_cfg_set(f, VPCI_VENDOR_ID, 2, TESTDEV_PCI_VENDOR);
	vpci_cfg_set(f, VPCI_DEVICE_ID, 2, TESTDEV_PCI_DEVICE);
	vpci_cfg_set(f, VPCI_CLASS, 1, 0xff);      /* "does not fit any class" */
	r = vpci_bar_add(f, 0, VPCI_BAR_MEM32, TESTDEV_PCI_BAR, testdev_bar, d);
	if (!r)
		r = vpci_cap_add(f, 0x09, vendor_cap, sizeof(vendor_cap), NULL);
	if (!r)
		r = vpci_cap_add(f, 0x05, msi_cap, sizeof(msi_cap), &d->msi_cap);
	if (r)
		return r;
	/* The guest's bits: MSI Enable; the address (dword aligned); the data. */
	f->wmask[d->msi_cap + TESTDEV_MSI_CTL] = 1;
	for (unsigned i = 0; i < 4; i++)
		f->wmask[d->msi_cap + TESTDEV_MSI_ADDR + i] = i ? 0xff : 0xfc;
	f->wmask[d->msi_cap + TESTDEV_MSI_DATA] = 0xff;
	f->wmask[d->msi_cap + TESTDEV_MSI_DATA + 1] = 0xff;
	return 0;
}
