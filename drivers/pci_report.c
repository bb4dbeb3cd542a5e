/* The PCI tree as text, and the names it uses (drivers/pci.h). Pure. */
#include "drivers/pci.h"

/* PCI Code and ID Assignment 1.11, 1: base class and sub-class. */
static const struct {
	uint8_t class, subclass;	/* subclass 0xff: any other */
	const char *name;
} class_names[] = {
	{ 0x00, 0x01, "VGA compatible unclassified" }, { 0x00, 0xff, "Unclassified" },
	{ 0x01, 0x00, "SCSI storage controller" }, { 0x01, 0x01, "IDE interface" },
	{ 0x01, 0x05, "ATA controller" }, { 0x01, 0x06, "SATA controller" },
	{ 0x01, 0x07, "SAS controller" }, { 0x01, 0x08, "Non-Volatile memory controller" },
	{ 0x01, 0xff, "Mass storage controller" },
	{ 0x02, 0x00, "Ethernet controller" }, { 0x02, 0xff, "Network controller" },
	{ 0x03, 0x00, "VGA compatible controller" }, { 0x03, 0xff, "Display controller" },
	{ 0x04, 0x03, "Audio device" }, { 0x04, 0xff, "Multimedia controller" },
	{ 0x05, 0xff, "Memory controller" },
	{ 0x06, 0x00, "Host bridge" }, { 0x06, 0x01, "ISA bridge" },
	{ 0x06, 0x04, "PCI bridge" }, { 0x06, 0x07, "CardBus bridge" },
	{ 0x06, 0xff, "Bridge" },
	{ 0x07, 0x00, "Serial controller" }, { 0x07, 0xff, "Communication controller" },
	{ 0x08, 0x00, "PIC" }, { 0x08, 0x06, "IOMMU" }, { 0x08, 0xff, "System peripheral" },
	{ 0x09, 0xff, "Input device controller" }, { 0x0a, 0xff, "Docking station" },
	{ 0x0b, 0xff, "Processor" },
	{ 0x0c, 0x03, "USB controller" }, { 0x0c, 0x05, "SMBus" },
	{ 0x0c, 0xff, "Serial bus controller" },
	{ 0x0d, 0xff, "Wireless controller" }, { 0x0e, 0xff, "Intelligent controller" },
	{ 0x0f, 0xff, "Satellite communication controller" },
	{ 0x10, 0xff, "Encryption controller" }, { 0x11, 0xff, "Signal processing controller" },
	{ 0x12, 0xff, "Processing accelerator" },
};

const char *pci_class_name(uint8_t class, uint8_t subclass)
{
	for (unsigned i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (class_names[i].class == class &&
		    (class_names[i].subclass == subclass || class_names[i].subclass == 0xff))
			return class_names[i].name;
	return "Unknown class";
}

/* PCI Code and ID Assignment 1.11, 2 (capabilities) and 3 (extended). */
static const char *const cap_names[] = {
	[0x01] = "PM", [0x02] = "AGP", [0x03] = "VPD", [0x04] = "slot-id", [0x05] = "MSI",
	[0x06] = "hot-swap", [0x07] = "PCI-X", [0x08] = "HyperTransport",
	[0x09] = "vendor", [0x0a] = "debug-port", [0x0b] = "CompactPCI",
	[0x0c] = "hot-plug", [0x0d] = "subsystem-id", [0x0e] = "AGP8x",
	[0x0f] = "secure", [0x10] = "PCIe", [0x11] = "MSI-X", [0x12] = "SATA",
	[0x13] = "AF", [0x14] = "EA",
};

static const char *const ecap_names[] = {
	[0x01] = "AER", [0x02] = "VC", [0x03] = "serial-number", [0x04] = "power-budget",
	[0x05] = "RC-link", [0x06] = "RC-internal-link", [0x07] = "RC-event-collector",
	[0x08] = "MFVC", [0x09] = "VC", [0x0a] = "RCRB", [0x0b] = "vendor",
	[0x0d] = "ACS", [0x0e] = "ARI", [0x0f] = "ATS", [0x10] = "SR-IOV",
	[0x11] = "MR-IOV", [0x12] = "multicast", [0x13] = "PRI", [0x15] = "resizable-BAR",
	[0x16] = "DPA", [0x17] = "TPH", [0x18] = "LTR", [0x19] = "secondary-PCIe",
	[0x1b] = "PASID", [0x1d] = "DPC", [0x1e] = "L1-PM", [0x1f] = "PTM",
	[0x23] = "DVSEC", [0x25] = "DLF", [0x26] = "16GT",
};

const char *pci_cap_name(uint16_t id)
{
	if (id < sizeof(cap_names) / sizeof(cap_names[0]) && cap_names[id])
		return cap_names[id];
	return "unknown";
}

const char *pci_ecap_name(uint16_t id)
{
	if (id < sizeof(ecap_names) / sizeof(ecap_names[0]) && ecap_names[id])
		return ecap_names[id];
	return "unknown";
}

const char *pci_problem_text(uint8_t kind)
{
	switch (kind) {
	case PCI_PROB_CAP_LOOP: return "capability list loops back at";
	case PCI_PROB_CAP_PTR: return "capability pointer into the header:";
	case PCI_PROB_CAP_MANY: return "more capabilities than kept, from";
	case PCI_PROB_ECAP_PTR: return "extended capability pointer below 0x100:";
	case PCI_PROB_ECAP_LOOP: return "extended capability list loops back at";
	case PCI_PROB_BAR: return "BAR sizes to nonsense, ignored: register";
	case PCI_PROB_BAR64_LAST: return "64-bit BAR in the last slot, ignored: register";
	case PCI_PROB_HEADER: return "unknown header type, function skipped: register";
	case PCI_PROB_BRIDGE_BUS: return "bridge's secondary bus unusable, not walked: register";
	case PCI_PROB_DEPTH: return "bridges nested too deep, not walked: register";
	case PCI_PROB_FULL: return "the device table is full";
	}
	return "problem";
}

static const char *pcie_type_name(uint8_t t)
{
	/* PCIe Base 4.0, 7.5.3.2: Device/Port Type. */
	static const char *const n[] = {
		"endpoint", "legacy-endpoint", "?", "?", "root-port", "upstream-port",
		"downstream-port", "pcie-to-pci", "pci-to-pcie", "rc-endpoint",
		"rc-event-collector",
	};
	return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static void size_text(struct sink *out, uint64_t s)
{
	static const char units[] = "KMGTPE";
	unsigned u = 0;

	if (!s || s % 1024) {
		sink_printf(out, "%llu", (unsigned long long)s);
		return;
	}
	s /= 1024;
	while (s >= 1024 && !(s % 1024) && u + 1 < sizeof(units) - 1) {
		s /= 1024;
		u++;
	}
	sink_printf(out, "%llu%c", (unsigned long long)s, units[u]);
}

static void indent(struct sink *out, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		sink_write(out, "  ", 2);
}

static void report_bars(const struct pci_dev *d, struct sink *out)
{
	static const char *const type[] = { "", "io", "mem32", "mem64" };

	for (unsigned i = 0; i < d->nbars; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (b->type == PCI_BAR_NONE || !b->size)
			continue;
		indent(out, d->depth + 2);
		sink_printf(out, "BAR%u %s%s %#llx ", i, type[b->type], b->prefetch ? " pref" : "",
			    (unsigned long long)b->base);
		size_text(out, b->size);
		sink_write(out, "\n", 1);
	}
}

static void window(struct sink *out, const char *name, uint64_t base, uint64_t limit)
{
	if (base > limit)
		sink_printf(out, "  %s closed", name);
	else
		sink_printf(out, "  %s %#llx-%#llx", name, (unsigned long long)base,
			    (unsigned long long)limit);
}

static void report_windows(const struct pci_dev *d, struct sink *out)
{
	window(out, "io", d->io_base, d->io_limit);
	window(out, "mem", d->mem_base, d->mem_limit);
	window(out, "pref", d->pref_base, d->pref_limit);
}

static void report_caps(const struct pci_dev *d, struct sink *out)
{
	if (!d->ncaps && !d->necaps && !d->irq_pin)
		return;
	indent(out, d->depth + 2);
	if (d->irq_pin)
		sink_printf(out, "irq INT%c# line %u", 'A' + (d->irq_pin - 1) % 4, d->irq_line);
	if (d->ncaps)
		sink_printf(out, "%scaps:", d->irq_pin ? "  " : "");
	for (unsigned i = 0; i < d->ncaps; i++) {
		uint16_t id = d->caps[i].id;

		sink_printf(out, " %s", pci_cap_name(id));
		if (id == PCI_CAP_MSI && d->caps[i].off == d->msi_off)
			sink_printf(out, "(%u%s%s)", d->msi_vectors, d->msi_64bit ? " 64bit" : "",
				    d->msi_maskable ? " mask" : "");
		else if (id == PCI_CAP_MSIX && d->caps[i].off == d->msix_off)
			sink_printf(out, "(%u table BAR%u+%#x pba BAR%u+%#x)", d->msix_size,
				    d->msix_table_bir, d->msix_table_off, d->msix_pba_bir,
				    d->msix_pba_off);
		else if (id == PCI_CAP_PCIE && d->caps[i].off == d->pcie_off)
			sink_printf(out, "(%s)", pcie_type_name(d->pcie_type));
	}
	if (d->flr)
		sink_printf(out, " FLR");
	sink_write(out, "\n", 1);
	if (!d->necaps)
		return;
	indent(out, d->depth + 2);
	sink_printf(out, "ext:");
	for (unsigned i = 0; i < d->necaps; i++)
		sink_printf(out, " %s", pci_ecap_name(d->ecaps[i].id));
	sink_write(out, "\n", 1);
}

void pci_problem_report(const struct pci_problem *p, struct sink *out)
{
	if (p->kind == PCI_PROB_FULL) {
		sink_printf(out, "pci: %04x:%02x:%02x.%x: the device table is full (%u functions): "
			    "this one and the rest are only counted\n", p->seg, p->bus,
			    p->devfn >> 3, p->devfn & 7, p->value);
		return;
	}
	sink_printf(out, "pci: %04x:%02x:%02x.%x: %s %#x (read %#x)\n", p->seg, p->bus,
		    p->devfn >> 3, p->devfn & 7, pci_problem_text(p->kind), p->where, p->value);
}

void pci_tree_report(const struct pci_tree *t, struct sink *out)
{
	sink_printf(out, "%-12s %-9s %-30s %s\n", "seg:bus:dv.f", "ven:dev", "class", "owner");
	for (unsigned i = 0; i < t->ndevs; i++) {
		const struct pci_dev *d = &t->devs[i];
		unsigned w = d->depth * 2 < 20 ? 20 - d->depth * 2 : 0;

		indent(out, d->depth);
		sink_printf(out, "%04x:%02x:%02x.%x %04x:%04x %-*s ", d->seg, d->bus,
			    d->devfn >> 3, d->devfn & 7, d->vendor, d->device, (int)w + 10,
			    pci_class_name(d->class, d->subclass));
		pci_owner_text(d, out);
		sink_write(out, "\n", 1);
		if (d->hdr_type) {
			indent(out, d->depth + 2);
			sink_printf(out, "buses %02x-%02x", d->sec_bus, d->sub_bus);
			if (d->hdr_type == 1)
				report_windows(d, out);
			sink_write(out, "\n", 1);
		}
		report_bars(d, out);
		report_caps(d, out);
	}
	for (unsigned i = 0; i < t->nproblems; i++)
		pci_problem_report(&t->problems[i], out);
	if (t->problems_dropped)
		sink_printf(out, "pci: %u more problem(s) not kept\n", t->problems_dropped);
}

void pci_tree_summary(const struct pci_tree *t, struct sink *out)
{
	uint8_t buses[PCI_MAX_ROOTS][256 / 8] = { { 0 } };
	unsigned nbus = 0, nseg = 0, ecam = 0;

	for (unsigned r = 0; r < t->nroots; r++) {
		bool new_seg = true;

		for (unsigned q = 0; q < r; q++)
			new_seg &= t->roots[q].seg != t->roots[r].seg;
		nseg += new_seg;
		ecam += t->roots[r].ecam;
	}
	for (unsigned i = 0; i < t->ndevs; i++) {
		const struct pci_dev *d = &t->devs[i];
		unsigned r = 0;

		while (r + 1 < t->nroots && t->roots[r].seg != d->seg)
			r++;
		if (r < PCI_MAX_ROOTS && !(buses[r][d->bus / 8] & (1u << (d->bus % 8)))) {
			buses[r][d->bus / 8] |= (uint8_t)(1u << (d->bus % 8));
			nbus++;
		}
	}
	sink_printf(out, "pci: %u function(s) on %u bus(es) of %u segment(s) through %s",
		    t->ndevs + t->dropped, nbus, nseg,
		    !t->nroots ? "nothing" : ecam == t->nroots ? "ECAM" : ecam ? "ECAM and CF8/CFC" :
		    "CF8/CFC");
	if (t->dropped)
		sink_printf(out, " (%u not kept)", t->dropped);
	if (t->nproblems + t->problems_dropped)
		sink_printf(out, ", %u problem(s)", t->nproblems + t->problems_dropped);
}
