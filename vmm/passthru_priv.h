/* What the passthrough files (vmm/passthru.c, ptirq.c, ptprobe.c)
 * share: a partition's passed-through functions and their state. Private
 * to them; the rest of the VMM uses vmm/passthru.h. */
#ifndef VATRA_VMM_PASSTHRU_PRIV_H
#define VATRA_VMM_PASSTHRU_PRIV_H

#include "vmm/passthru.h"
#include "vmm/part_config.h"
#include "vmm/dev/ptdev.h"
#include "drivers/pci.h"
#include "drivers/iommu.h"

#define PT_PAGE 4096ull
#define BDF_FMT "%04x:%02x:%02x.%x"
#define BDF(d) (d)->seg, (d)->bus, (d)->devfn >> 3, (d)->devfn & 7

/* A piece of a BAR the guest reaches through exits instead of the nested
 * tables: the pages holding the MSI-X table or PBA, or all of a BAR
 * smaller than a page (its page may hold other devices' registers). */
struct pt_trap {
	struct pt_func *f;
	unsigned bar;
	uint64_t off, len;		/* within the BAR */
	int handle;			/* in the partition's decoder, -1 = none */
};

#define PT_TRAPS (2 * PTDEV_NBARS)	/* ptdev_trap_ranges: at most 2 per BAR */

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
	unsigned msi_vcpu;		/* the vCPU it names: its CPU takes the host vector */
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
	uint8_t xvcpu[PTDEV_MSIX_MAX];	/* as msi_vcpu, per vector */
	struct pt_vec xctx[PTDEV_MSIX_MAX];
	uint64_t xaddr[PTDEV_MSIX_MAX];
	uint32_t xdata[PTDEV_MSIX_MAX];
	int xir;			/* first of its block of remapping entries, -1 */
	volatile uint64_t xpend;
	/* INTx (vmm/ptintx.c): its host line (-1 = none: intx_why says why) */
	int intx;
	const char *intx_why;
	char intx_msg[96];		/* a refusal naming another function */
	uint32_t intx_gsi;		/* host GSI */
};

struct part_pt {
	struct pt_func f[PART_MAX_DEVS];
	unsigned n;
	struct iommu_domain *dom;
};

/* Indexed by partition id, outside struct partition: host vectors point
 * at these while the partition's own struct is cleared for a restart.
 * Changed under the partition's lock. */
extern struct part_pt passthru_parts[PART_MAX];

/* ---- interrupts and faults (vmm/ptirq.c) ---- */

/* The model's MSI and MSI-X hooks (struct ptdev_env). */
void ptirq_msi_update(void *ctx, bool on, uint64_t addr, uint32_t data);
void ptirq_msix_enable(void *ctx, bool on);
void ptirq_msix_update(void *ctx, unsigned i, bool on, uint64_t addr, uint32_t data);
/* The device's MSI off on the hardware. */
void ptirq_msi_off(struct pt_func *f);
/* Gives back its host vectors and remapping entries (the device quiet). */
void ptirq_free(struct pt_func *f);
/* The partition's timer hook: injects the interrupts the host vectors
 * marked (ctx: its struct part_pt). */
uint64_t ptirq_tick(void *ctx, uint64_t now);
/* The IOMMU driver's fault handler: the owner, counts, storms. */
void ptirq_fault(const struct iommu_fault *flt);

/* ---- INTx (vmm/ptintx.c) ---- */

/* Finds f's host GSI and takes (or shares) its line, or records why not
 * (then the guest sees no Interrupt Pin). Partition lock held. */
void ptintx_setup(struct pt_func *f);
/* After every function's setup: the virtual lines idle, the EOI hook,
 * the DSDT's _PRT. */
void ptintx_finish(struct partition *p);
/* The device's INTx disabled, and its line given back (the last one
 * masks the host pin and frees its vector and remapping entry). */
void ptintx_free(struct pt_func *f);
/* The model's hook: the guest's INTx Disable bit changed. */
void ptintx_disable(void *ctx, bool disabled);
/* From ptirq_tick: asserts the virtual lines the host vectors marked. */
void ptintx_tick(struct part_pt *pt);
/* `info NAME`'s words for f's INTx. */
void ptintx_report(const struct pt_func *f, struct sink *out);

/* ---- the DMA-attack probe page (vmm/ptprobe.c) ---- */

/* Adds it to a debug_exit partition's decoder: 0 or -errno. */
int ptprobe_add(struct partition *p);

#endif
