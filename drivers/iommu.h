/* The machine's IOMMU: one interface, a driver per kind (drivers/vtd.c for
 * Intel VT-d, drivers/amdvi.c for AMD-Vi), chosen by the ACPI tables
 * (DMAR or IVRS), never by the CPU vendor.
 *
 * Rules every driver keeps:
 *  - Deny by default. iommu_init() turns translation on with every
 *    requester ID the tables cover in the blocking domain (no mapping at
 *    all). A device leaves it only by iommu_attach() into a partition's
 *    domain and returns to it by iommu_detach().
 *  - A domain maps guest-physical to host-physical for one partition and
 *    nothing else; the hypervisor's own memory is never mapped in one.
 *  - Every change of a mapping, a context/device-table entry or an
 *    interrupt-remapping entry is followed by the invalidation it needs
 *    and a wait for its completion before the call returns.
 *
 * Requester IDs are (bus << 8) | devfn within a PCI segment. */
#ifndef VATRA_DRIVERS_IOMMU_H
#define VATRA_DRIVERS_IOMMU_H

#include <stdint.h>
#include <stdbool.h>
#include "lib/sink.h"

struct acpi_info;
struct iommu_domain;

#define IOMMU_READ 1u
#define IOMMU_WRITE 2u

/* What a driver can do, after its units came up. */
struct iommu_info {
	const char *kind;	/* "VT-d", "AMD-Vi" */
	unsigned units;
	bool intr_remap;	/* interrupt remapping on every unit */
	unsigned addr_bits;	/* widest guest-physical address a domain maps */
};

/* An interrupt-remapping entry's target: a host vector on a host CPU
 * (physical APIC ID), fixed delivery; edge, or level for an IOAPIC's
 * level-triggered input (VT-d keeps the trigger mode in the entry). */
struct iommu_irte {
	uint8_t vector;
	uint32_t dest_apic;
	bool level;
};

/* Domain IDs: the partition layer uses 0 .. IOMMU_DOMAIN_MAX_ID (its
 * partition numbers); the IDs above are the IOMMU layer's own. */
#define IOMMU_DOMAIN_MAX_ID 4000
#define IOMMU_DOMAIN_RESERVED 4001	/* RMRR / IVMD unity ranges */
#define IOMMU_DOMAIN_SELFTEST 4002	/* the boot self-test's scratch domain */
#define IOMMU_DOMAIN_MGMT_NIC 4003	/* the management NIC: its own rings and buffers */

struct iommu_ops {
	const char *kind;
	/* Finds the units in the parsed tables, brings each up in the
	 * blocking state; 0 or a negative errno with a log line. */
	int (*init)(const struct acpi_info *ai);
	void (*info)(struct iommu_info *out);
	/* Is this requester ID behind a unit of ours? */
	bool (*covers)(uint16_t seg, uint16_t rid);

	struct iommu_domain *(*domain_create)(unsigned id);
	void (*domain_destroy)(struct iommu_domain *d);
	/* len and the addresses are 4 KiB multiples. */
	int (*map)(struct iommu_domain *d, uint64_t gpa, uint64_t hpa,
		   uint64_t len, unsigned prot);
	int (*unmap)(struct iommu_domain *d, uint64_t gpa, uint64_t len);
	int (*attach)(struct iommu_domain *d, uint16_t seg, uint16_t rid);
	/* Back to the blocking domain. */
	int (*detach)(struct iommu_domain *d, uint16_t seg, uint16_t rid);

	/* Interrupt remapping: a block of n entries owned by one requester
	 * ID (source-ID checked). Returns the first index or negative. */
	int (*ir_alloc)(uint16_t seg, uint16_t rid, unsigned n);
	int (*ir_set)(uint16_t seg, uint16_t rid, unsigned index,
		      const struct iommu_irte *e);
	void (*ir_free)(uint16_t seg, uint16_t rid, unsigned index, unsigned n);
	/* The MSI address and data a device must send to hit remapping
	 * entry index of its block (the formats differ: VT-d puts a handle
	 * in the address, AMD-Vi the index in the data). */
	int (*ir_msi)(uint16_t seg, uint16_t rid, unsigned index, uint64_t *addr,
		      uint32_t *data);
	/* The requester ID an IOAPIC's interrupts carry (the DMAR's IOAPIC
	 * scope, the IVRS's special IOAPIC entry): 0 or -ENOENT. */
	int (*ioapic_rid)(uint8_t ioapic_id, uint16_t *seg, uint16_t *rid);
	/* The redirection-entry bits (vector, delivery mode, destination
	 * field) that make an IOAPIC input hit remapping entry index of the
	 * IOAPIC's block whose vector is vector: VT-d's remappable format
	 * (5.1.5.1), AMD-Vi's index in the vector field (2.2.5). */
	int (*ir_ioapic)(uint16_t seg, uint16_t rid, unsigned index, uint8_t vector,
			 uint64_t *rte);
	/* Is this requester ID one of the IOMMU's own functions (the AMD
	 * IOMMU's PCI function)? The hypervisor keeps those. */
	bool (*is_unit)(uint16_t seg, uint16_t rid);

	/* Reads and clears recorded faults, logging and counting each. */
	void (*poll_faults)(void);
	/* The shell's `iommu`. */
	void (*report)(struct sink *out);
};

/* A decoded fault, for the log and the per-partition counters. */
struct iommu_fault {
	uint16_t seg, rid;
	uint64_t addr;
	bool write;
	unsigned reason;	/* the unit's own reason code */
	const char *what;	/* the reason in words */
	/* Filled by the IOMMU layer before the handler runs: */
	unsigned long count;	/* faults of this device so far, this one included */
	bool log;		/* false once the device faults in a storm: count only */
};

/* The one driver in use, or NULL when the machine has no IOMMU (or its
 * tables were refused): then passthrough is unavailable and says why. */
extern const struct iommu_ops *iommu;
/* Why there is no IOMMU, for `caps` and the refusal of `devices =`. */
extern const char *iommu_absent_reason;

/* Picks the driver the tables name and runs its init. */
int iommu_setup(const struct acpi_info *ai);
/* Who owns a faulting device is the partition layer's knowledge: it
 * registers this, and the driver calls it for each decoded fault; the
 * handler logs the fault (with its owner) when f->log says so. NULL
 * restores the default, which logs "iommu: fault #N from SSSS:BB:DD.F:
 * write|read at ADDR: REASON (reason 0xR)" and names no owner. */
void iommu_set_fault_handler(void (*fn)(const struct iommu_fault *f));

/* Reads and logs recorded faults now (the fault interrupt makes this
 * prompt; the boot CPU's idle loop calls it as the fallback). */
void iommu_poll(void);
/* The shell's `iommu`: units, domains, devices, fault counts. */
void iommu_report(struct sink *out);
unsigned long iommu_fault_count(void);
/* The most recent fault, for the boot self-test. */
bool iommu_last_fault(struct iommu_fault *f);

#endif
