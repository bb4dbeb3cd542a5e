/* The Vatra test device, for partitions with debug_exit = yes: a page of
 * MMIO registers that guest test kernels drive through many instruction
 * forms, and a PCI function whose memory BAR identifies itself
 * (tests/guests/README.md has the register maps). Pure code. */
#ifndef VATRA_VMM_DEV_TESTDEV_H
#define VATRA_VMM_DEV_TESTDEV_H

#include <stdint.h>
#include "vmm/dev/vpci.h"
#include "vmm/dev/devenv.h"

#define TESTDEV_GPA  0xd0000000ULL
#define TESTDEV_SIZE 0x1000
#define TESTDEV_ID   0x0000564154524130ULL

/* The PCI function at 00:01.0: its BAR0 (4 KiB, 32-bit memory) reads
 * TESTDEV_PCI_ID at 0x0, the address the BAR decodes at at 0x8, a 4-byte
 * scratch register at 0x10; a write to 0x18 signals its MSI (when the
 * guest enabled it); 0x20 a DMA address, 0x28 a DMA doorbell (1: the ID
 * to RAM there, 2: 8 bytes of RAM from there to 0x30), 0x38 the DMA's
 * status (0 done, 1 refused: not all in guest RAM); all ones elsewhere. Its capability list holds a
 * vendor-specific capability (ID 09h) with the bytes "VT", then an MSI
 * capability (05h: 32-bit address, one message). */
#define TESTDEV_PCI_DEV     1
#define TESTDEV_PCI_VENDOR  0x1234    /* the ID emulators give devices of their own */
#define TESTDEV_PCI_DEVICE  0x5654
#define TESTDEV_PCI_BAR     0x1000
#define TESTDEV_PCI_ID      0x4943505452544156ULL   /* "VATRTPCI" */

struct testdev {
	uint8_t scratch[8];
	uint8_t array[256];
	uint64_t writes;
	uint32_t pci_scratch;
	struct vpci_func *pci;           /* the function, NULL without one */
	unsigned msi_cap;                /* its MSI capability's offset */
	const struct dev_env *env;       /* where its MSIs go */
	uint64_t msis;                   /* messages sent */
	uint64_t dma_addr, dma_data;     /* its DMA registers */
	uint32_t dma_status;
};

void testdev_reset(struct testdev *d);
/* off is relative to the device base; size 1, 2, 4 or 8. */
uint64_t testdev_read(struct testdev *d, uint64_t off, unsigned size);
void testdev_write(struct testdev *d, uint64_t off, unsigned size, uint64_t val);
/* Adds the PCI function to pci, its MSIs going to env: 0 or -errno. */
int testdev_pci_add(struct testdev *d, struct vpci *pci, const struct dev_env *env);

#endif
