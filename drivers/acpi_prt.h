/* Where a PCI function's INTx pin reaches the interrupt controller: the
 * firmware's PCI routing tables (ACPI 6.4 6.2.13, _PRT) of each PCI root
 * bus, read from the DSDT's and SSDTs' AML byte code.
 *
 * Not an AML interpreter. A bounded walk of the declarations (Scope,
 * Device, Name, Method, OperationRegion, Field, ...) finds each root bus
 * (a Device whose _HID or _CID is PNP0A08 or PNP0A03, its _SEG and _BBN
 * when they are static integers) and its _PRT in the forms firmware
 * writes:
 *   Name (_PRT, Package () { Package () { 0xSSSSFFFF, pin, source, index }, ... })
 *   Method (_PRT) { If (PICM) { Return (ARxx) } Return (PRxx) }
 * Devices below a root bus with a _PRT of their own (bridges, PCIe root
 * ports; each on the way with a static _ADR) have theirs read the same
 * way. For the method, the package returned in APIC mode is taken: the
 * predicate (a name, LNot, LEqual, LNotEqual, LAnd, LOr of it and
 * constants) is evaluated with the flag \_PIC stores its argument in
 * (its body must be Store (Arg0, FLAG)) set to 1. Each entry's source is
 * Zero (index is the GSI; level, active low) or the name of a link
 * device whose _CRS is a static buffer: the index-th resource descriptor
 * must be an Extended Interrupt or IRQ descriptor with one interrupt,
 * whose trigger and polarity the route takes.
 *
 * Anything else (a _CRS method, a _PRT doing more than If/Return, an
 * opcode the walk does not know in the middle of a scope) makes that
 * route unavailable with a reason; everything else is still read. Pure
 * code: the tables are untrusted input, never read past their length;
 * the result keeps no pointer into them. */
#ifndef VATRA_DRIVERS_ACPI_PRT_H
#define VATRA_DRIVERS_ACPI_PRT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PRT_MAX_ROOTS 4
#define PRT_MAX_ENTRIES 160	/* QEMU's q35 lists 128 */
#define PRT_MAX_OBJS 1536	/* named objects the walk remembers */
#define PRT_DEPTH 8		/* name segments of a path */
#define PRT_MAX_BRIDGES 48
#define PRT_BRIDGE_ENTRIES 32
#define PRT_BRIDGE_DEPTH 6	/* bridges from a root bus down to one with a _PRT */
#define PRT_MAX_ERRORS 8
#define PRT_MSG_MAX 96

struct prt_route {
	uint32_t gsi;
	bool level;		/* else edge */
	bool active_low;	/* else active high */
};

struct prt_entry {
	uint8_t slot;		/* device number */
	uint8_t pin;		/* 0 = INTA# .. 3 = INTD# */
	const char *why;	/* NULL: route is valid; else why it is not */
	struct prt_route route;
	char source[5];		/* the link device's last name segment, "" for a GSI */
};

struct prt_root {
	uint16_t seg;
	uint8_t bus;
	char name[5];		/* the root device's last name segment */
	const char *why;	/* NULL: entries[] is its _PRT; else why there is none */
	bool bridge_prt;	/* a device below it has a _PRT of its own */
	struct prt_entry e[PRT_MAX_ENTRIES];
	unsigned n;
};

/* A _PRT of a device below a root bus: the bus behind that bridge. */
struct prt_bridge {
	uint8_t root;		/* index in roots[] */
	uint8_t depth;		/* devices from the root bus down to it, itself included */
	uint32_t adr[PRT_BRIDGE_DEPTH];	/* their _ADRs, from the root down */
	char name[5];
	const char *why;	/* NULL: e[] is its _PRT */
	struct prt_entry e[PRT_BRIDGE_ENTRIES];
	unsigned n;
};

struct prt_obj {
	uint32_t path[PRT_DEPTH];
	uint8_t depth;
	uint8_t kind;
	const uint8_t *at;	/* valid only during acpi_prt_parse */
	const uint8_t *end;
};

struct acpi_prt {
	struct prt_root roots[PRT_MAX_ROOTS];
	unsigned nroots;
	struct prt_bridge bridges[PRT_MAX_BRIDGES];
	unsigned nbridges;
	char errors[PRT_MAX_ERRORS][PRT_MSG_MAX];
	unsigned nerrors;
	/* scratch of the parse */
	struct prt_obj objs[PRT_MAX_OBJS];
	unsigned nobjs;
};

/* One definition block: the AML after a DSDT's or SSDT's 36-byte header. */
struct prt_aml {
	const uint8_t *aml;
	size_t len;
};

/* Reads the root buses and their _PRTs from the blocks (the DSDT first).
 * t is cleared first. Returns the number of root buses found; problems
 * are in t->errors and each root's and entry's why. */
int acpi_prt_parse(struct acpi_prt *t, const struct prt_aml *blocks, unsigned n);

/* The route of pin (0-3) of device slot on root bus seg:bus: 0 with *r,
 * or -ENOENT with *why saying what is missing. */
int acpi_prt_route(const struct acpi_prt *t, uint16_t seg, uint8_t bus, uint8_t slot,
		   uint8_t pin, struct prt_route *r, const char **why);

/* The route of pin of device slot on the secondary bus of the bridge
 * reached from root bus seg:bus through the devices with _ADRs
 * adr[0..depth) (the root bus's device first, the bridge last): 0 with
 * *r; -ENOENT with *why when that bridge has a _PRT without a usable
 * entry; -ENXIO when it has no _PRT (the pin is then swizzled onto the
 * bridge's own, Linux's order too). */
int acpi_prt_route_below(const struct acpi_prt *t, uint16_t seg, uint8_t bus, const uint32_t *adr,
			 unsigned depth, uint8_t slot, uint8_t pin, struct prt_route *r,
			 const char **why);

/* The pin a PCI-to-PCI bridge's own INTx carries for pin (0-3) of a
 * device at slot on its secondary bus (PCI-to-PCI Bridge 1.2, 9.1). */
static inline uint8_t prt_swizzle(uint8_t slot, uint8_t pin)
{
	return (uint8_t)((slot + pin) % 4);
}

#endif
