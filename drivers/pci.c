/* The machine's PCI configuration space and its one tree
 * (drivers/pci.h): ECAM through the MCFG (PCIe Base 4.0, 7.2.2), or
 * configuration mechanism #1 at 0xCF8/0xCFC (PCI Local Bus 3.0,
 * 3.2.2.3.2). One lock serialises every access: mechanism #1 is an
 * address write and a data access that must not interleave. The tree is
 * built once, on the boot CPU before the others start, so nothing else
 * reads a BAR while it is being sized. */
#include "drivers/pci.h"
#include "drivers/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu.h"
#include "mm/mem.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/errno.h"

#define CF8_ADDR 0xcf8
#define CF8_DATA 0xcfc
#define ECAM_BUS_BYTES (1u << 20)	/* 32 devices x 8 functions x 4 KiB */

static struct spinlock lock;
static struct pci_tree tree;
/* ECAM: a bus's 1 MiB is mapped on its first access (most buses never
 * hold a device, and all 256 would need 128 page-table pages). */
static uint8_t ecam_mapped[PCI_MAX_ROOTS][256 / 8];
static uint8_t ecam_failed[PCI_MAX_ROOTS][256 / 8];

static bool width_ok(uint16_t reg, unsigned width, unsigned limit)
{
	return (width == 1 || width == 2 || width == 4) && !(reg & (width - 1)) &&
	       reg + width <= limit;
}

static uint32_t ones(unsigned width)
{
	return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

static uint32_t cf8_read(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t reg,
			 unsigned width)
{
	uint16_t port = (uint16_t)(CF8_DATA + (reg & 3));
	uint32_t v;

	(void)ctx;
	if (seg || !width_ok(reg, width, 256))
		return ones(width);
	spin_lock(&lock);
	outl(CF8_ADDR, 1u << 31 | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (reg & 0xfc));
	v = width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
	spin_unlock(&lock);
	return v;
}

static void cf8_write(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t reg,
		      unsigned width, uint32_t val)
{
	uint16_t port = (uint16_t)(CF8_DATA + (reg & 3));

	(void)ctx;
	if (seg || !width_ok(reg, width, 256))
		return;
	spin_lock(&lock);
	outl(CF8_ADDR, 1u << 31 | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (reg & 0xfc));
	if (width == 1)
		outb(port, (uint8_t)val);
	else if (width == 2)
		outw(port, (uint16_t)val);
	else
		outl(port, val);
	spin_unlock(&lock);
}

/* The ECAM address of a register, its bus mapped; NULL when no root of
 * the tree covers it or the mapping failed. Called with the lock held. */
static volatile void *ecam_addr(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t reg)
{
	for (unsigned r = 0; r < tree.nroots; r++) {
		const struct pci_root *rt = &tree.roots[r];
		uint64_t pa = rt->ecam_base + ((uint64_t)bus << 20);
		uint8_t bit = (uint8_t)(1u << (bus % 8));
		uint8_t *p;

		if (!rt->ecam || rt->seg != seg || bus < rt->bus_start || bus > rt->bus_end)
			continue;
		if (ecam_failed[r][bus / 8] & bit)
			return 0;
		if (!(ecam_mapped[r][bus / 8] & bit)) {
			if (!mmu_map_phys(pa, ECAM_BUS_BYTES, true)) {
				ecam_failed[r][bus / 8] |= bit;
				return 0;
			}
			ecam_mapped[r][bus / 8] |= bit;
		}
		p = phys_to_virt(pa);
		return p + ((uint32_t)devfn << 12) + reg;
	}
	return 0;
}

static uint32_t ecam_read(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t reg,
			  unsigned width)
{
	volatile void *p;
	uint32_t v = ones(width);

	(void)ctx;
	if (!width_ok(reg, width, 4096))
		return v;
	spin_lock(&lock);
	p = ecam_addr(seg, bus, devfn, reg);
	if (p)
		v = width == 1 ? *(volatile uint8_t *)p : width == 2 ? *(volatile uint16_t *)p :
		    *(volatile uint32_t *)p;
	spin_unlock(&lock);
	return v;
}

static void ecam_write(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t reg,
		       unsigned width, uint32_t val)
{
	volatile void *p;

	(void)ctx;
	if (!width_ok(reg, width, 4096))
		return;
	spin_lock(&lock);
	p = ecam_addr(seg, bus, devfn, reg);
	if (p) {
		if (width == 1)
			*(volatile uint8_t *)p = (uint8_t)val;
		else if (width == 2)
			*(volatile uint16_t *)p = (uint16_t)val;
		else
			*(volatile uint32_t *)p = val;
	}
	spin_unlock(&lock);
}

static const struct pci_cfg_ops cf8_ops = { cf8_read, cf8_write, 0 };
static const struct pci_cfg_ops ecam_ops = { ecam_read, ecam_write, 0 };
static const struct pci_cfg_ops *host_ops;

/* Log lines: a sink that collects one line and logs it. */
struct line {
	struct sink_buf sb;
	char buf[192];
};

static void line_start(struct line *l)
{
	sink_buf_init(&l->sb, l->buf, sizeof(l->buf));
}

static void line_log(struct line *l, enum log_level lvl)
{
	if (l->sb.len && l->buf[l->sb.len - 1] == '\n')
		l->buf[--l->sb.len] = '\0';
	log_msg(lvl, "%s", l->buf);
}

void pci_init(const struct acpi_info *acpi)
{
	struct line l;

	tree.nroots = 0;
	for (unsigned i = 0; acpi && i < acpi->nmcfg && i < PCI_MAX_ROOTS; i++) {
		const struct acpi_mcfg *m = &acpi->mcfg[i];

		tree.roots[tree.nroots++] = (struct pci_root){
			.seg = m->segment, .bus_start = m->bus_start, .bus_end = m->bus_end,
			.cfg_size = 4096, .ecam = true, .ecam_base = m->base,
		};
	}
	if (tree.nroots) {
		host_ops = &ecam_ops;
	} else {
		tree.roots[tree.nroots++] = (struct pci_root){
			.seg = 0, .bus_start = 0, .bus_end = 255, .cfg_size = 256,
		};
		host_ops = &cf8_ops;
	}
	pci_enum(&tree, host_ops);
	/* An IOMMU's own PCI function (AMD-Vi; PCI Code and ID Assignment:
	 * 08/06) is the hypervisor's: a guest driving it would undo the
	 * isolation it gives. */
	for (unsigned i = 0; i < tree.ndevs; i++)
		if (tree.devs[i].class == 0x08 && tree.devs[i].subclass == 0x06)
			pci_set_hypervisor(&tree.devs[i], "the IOMMU");
	for (unsigned i = 0; i < tree.nproblems; i++) {
		line_start(&l);
		pci_problem_report(&tree.problems[i], &l.sb.sink);
		line_log(&l, LOG_WARN);
	}
	line_start(&l);
	pci_tree_summary(&tree, &l.sb.sink);
	line_log(&l, LOG_INFO);
}

struct pci_tree *pci_host_tree(void)
{
	return &tree;
}

void pci_report(struct sink *out)
{
	if (!host_ops) {
		sink_printf(out, "pci: not enumerated\n");
		return;
	}
	pci_tree_report(&tree, out);
	pci_tree_summary(&tree, out);
	sink_write(out, "\n", 1);
}

int pci_claim_hv(const struct pci_dev *d, const char *what)
{
	struct pci_dev *w;
	int r = 0;

	if (d < tree.devs || d >= tree.devs + tree.ndevs)
		return -EINVAL;
	w = &tree.devs[d - tree.devs];
	spin_lock(&lock);
	if (w->owner != PCI_OWNER_FREE)
		r = -EBUSY;
	else
		pci_set_hypervisor(w, what);
	spin_unlock(&lock);
	return r;
}

uint32_t pci_cfg_read(const struct pci_dev *d, uint16_t reg, unsigned width)
{
	if (!host_ops || !width_ok(reg, width, d->cfg_size))
		return ones(width == 1 || width == 2 ? width : 4);
	return host_ops->read(0, d->seg, d->bus, d->devfn, reg, width);
}

void pci_cfg_write(const struct pci_dev *d, uint16_t reg, unsigned width, uint32_t val)
{
	if (host_ops && width_ok(reg, width, d->cfg_size))
		host_ops->write(0, d->seg, d->bus, d->devfn, reg, width, val);
}
