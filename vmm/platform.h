/* The PC a partition sees: 8259 PICs, 8254 PIT, CMOS RTC, ACPI PM block
 * and reset port, PCI configuration space, IOAPIC, one local APIC per vCPU,
 * and the ACPI tables that describe them; plus the wiring between them
 * (interrupt lines, IPIs, EOIs) and their timers. */
#ifndef VATRA_VMM_PLATFORM_H
#define VATRA_VMM_PLATFORM_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/devenv.h"
#include "vmm/dev/devreg.h"
#include "vmm/dev/vpic.h"
#include "vmm/dev/vpit.h"
#include "vmm/dev/vrtc.h"
#include "vmm/dev/vpm.h"
#include "vmm/dev/vpci.h"
#include "vmm/dev/vioapic.h"
#include "vmm/dev/vlapic.h"
#include "vmm/dev/acpigen.h"

#define PLAT_IOAPIC_GPA  0xfec00000ULL
#define PLAT_LAPIC_GPA   0xfee00000ULL
#define PLAT_ACPI_GPA    0xe0000ULL     /* tables in the BIOS area */
#define PLAT_ACPI_SIZE   0x20000ULL
#define PLAT_ECAM_GPA    0xb0000000ULL  /* buses 0-255, as the MCFG says */
#define PLAT_ECAM_SIZE   0x10000000ULL
#define PLAT_PCI_HOLE_GPA 0xc0000000ULL /* BARs go here, up to the IOAPIC */
#define PLAT_DEBUG_EXIT_PORT 0xf4       /* debug_exit = yes partitions only */
/* The port a test partition with direct_test_port = yes reaches without
 * exits (the POST-code port: harmless to read and write on a PC). No
 * device model decodes it. */
#define PLAT_DIRECT_TEST_PORT 0x80

struct partition;
struct vcpu;

struct platform {
	/* Read by every exit (first: see struct partition) */
	uint64_t next_tsc;               /* earliest device deadline (TSC), 0 = none */
	bool dirty;                      /* a device was touched: deadlines may move
	                                  * (set under the partition lock only:
	                                  * platform_update clears it after the
	                                  * ticks; other CPUs use platform_kick) */
	volatile bool kicked;            /* another CPU left work for a device (a frame) */
	struct dev_env env;
	struct devreg reg;               /* what every device decodes, and the timers */
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	struct vpm pm;
	struct vpci pci;
	struct vioapic ioapic;
	/* INTx routes of passed-through functions, for the DSDT's _PRT */
	struct acpigen_prt prt[ACPIGEN_MAX_PRT];
	unsigned nprt;
	uint64_t rsdp;                   /* guest-physical, 0 if no tables */
};

/* Sets every device to its reset state and writes the ACPI tables into
 * guest RAM at PLAT_ACPI_GPA (when RAM reaches there). 0 or -errno. */
int platform_init(struct partition *p);
/* (Re)writes the ACPI tables, with the _PRT of prt[0..nprt). 0 or -errno. */
int platform_acpi_build(struct partition *p);
/* Whether the partition has the ECAM window (and an MCFG): when its RAM
 * ends below PLAT_ECAM_GPA. */
bool platform_has_ecam(const struct partition *p);
/* Per vCPU: its local APIC. */
void platform_vcpu_init(struct vcpu *v);
/* v's own CPU only: runs v's LAPIC timer (an interrupt it raises waits
 * in the LAPIC's IRR); returns the TSC value of its next deadline, 0 =
 * none, also kept in v->lapic_due. */
uint64_t platform_lapic_poll(struct vcpu *v);
/* v's own CPU only: nothing in v's LAPIC to deliver, and the 8259 is not
 * wired to it (so no other device's interrupt can be pending for it). */
bool platform_lapic_quiet(struct vcpu *v);

/* Guest time in ns since the partition started. */
uint64_t platform_now(struct partition *p);
/* Another CPU (without the partition's lock) left work for one of its
 * devices: the next poll runs the device ticks, and a vCPU is kicked so
 * that poll comes soon. */
void platform_kick(struct partition *p);
/* The same, kicking v: the vCPU the work is for, whose CPU then runs the
 * poll and the delivery itself. */
void platform_kick_vcpu(struct vcpu *v);
/* Fires every timer that is due; returns the TSC value of the next
 * deadline (0 = none). */
uint64_t platform_update(struct partition *p);
/* The same, but only does the work when a deadline has passed or a
 * device was touched since the last update (the common exit touches
 * none). */
uint64_t platform_poll(struct partition *p);

/* The vector v should take next (LAPIC, or the PIC through LINT0 on the
 * boot vCPU), or -1; accept when it was injected. */
int platform_pending(struct vcpu *v);
/* The NMI button: LINT1 of every vCPU's LAPIC pulsed; returns how many
 * took it (as an NMI or as the fixed vector their LINT1 names). */
unsigned platform_nmi_button(struct partition *p);
void platform_accept(struct vcpu *v, int vector);
/* Whether an NMI can reach v from outside: its LAPIC takes LINT0 or
 * LINT1 as an NMI (the NMI button), or an unmasked IOAPIC entry sends
 * NMIs. Lock held. */
bool platform_nmi_wired(struct vcpu *v);

/* Port I/O through the registry: 0 handled, -ENOENT when no device
 * decodes it (the caller reads all ones, drops writes). */
int platform_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val);
/* Whether no device of p decodes port (its first port decides, as for
 * platform_io), known without p's lock; false when unsure. */
bool platform_port_unclaimed(struct partition *p, uint16_t port);
/* Whether gpa is on the local APIC's page (every vCPU's own LAPIC
 * there; its base never moves). */
static inline bool platform_lapic_page(uint64_t gpa)
{
	return (gpa & ~0xfffULL) == PLAT_LAPIC_GPA;
}
/* An access of v's to its own LAPIC's page, straight to the model,
 * without the partition's lock: 0, or -EAGAIN (nothing done) when
 * [gpa, gpa + size) leaves the page. */
int platform_lapic_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write, uint64_t *val);
/* Whether a non-string access (an IN when in) to port of size bytes
 * touches no device model and nothing shared but CONFIG_ADDRESS (itself
 * one atomic register), so that it needs no lock: an unclaimed port, a
 * dword at 0xcf8, CONFIG_DATA while CONFIG_ADDRESS names no function (the
 * answer is then the one of that moment), or a read of the PM timer while
 * it follows guest time. platform_port_private_io does it: the value an
 * IN reads (all ones but at 0xcf8 and the PM timer). */
bool platform_port_private(struct partition *p, uint16_t port, unsigned size, bool in);
uint32_t platform_port_private_io(struct partition *p, uint16_t port, unsigned size, bool in,
				  uint32_t val);
/* Lets partition p reach the machine's ports [port, port+len) without
 * exits: 0, or -EBUSY when a device model of its PC decodes any of them
 * (the guest would bypass it). */
int platform_io_direct(struct partition *p, uint16_t port, unsigned len);
/* Whether an MMIO access at gpa reaches a device or the PCI hole (which
 * reads all ones where no BAR decodes); otherwise it reaches nothing. */
bool platform_mmio_owns(struct partition *p, uint64_t gpa);
/* One MMIO access through the registry: 0, or -EFAULT when nothing is
 * there, or the device's error. */
int platform_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write, uint64_t *val);
/* LAPIC MSRs (APIC base, x2APIC, TSC deadline): 0, -EINVAL (#GP) or -ENOENT. */
int platform_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val);

#endif
