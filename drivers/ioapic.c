/* Host I/O APICs (drivers/ioapic.h). Registers: IOREGSEL at 0x00 and
 * IOWIN at 0x10 (82093AA datasheet 3.1), the EOI register at 0x40 on
 * version 0x20 and later; redirection entry n at indirect 0x10 + 2n. */
#include "drivers/ioapic.h"
#include "drivers/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/errno.h"

#define REGSEL 0x00
#define WIN 0x10
#define EOIR 0x40
#define IOAPICVER 0x01
#define RTE_MASK (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_LOW (1ull << 13)

struct hioapic {
	volatile uint32_t *mmio;
	uint8_t id, version;
	uint32_t gsi_base;
	unsigned pins;
};

static struct hioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned nioapics;
static struct spinlock ioapic_lock;

static uint32_t rd(struct hioapic *a, unsigned reg)
{
	a->mmio[REGSEL / 4] = reg;
	return a->mmio[WIN / 4];
}

static void wr(struct hioapic *a, unsigned reg, uint32_t v)
{
	a->mmio[REGSEL / 4] = reg;
	a->mmio[WIN / 4] = v;
}

static struct hioapic *find(uint32_t gsi, unsigned *pin)
{
	for (unsigned i = 0; i < nioapics; i++)
		if (gsi >= ioapics[i].gsi_base && gsi - ioapics[i].gsi_base < ioapics[i].pins) {
			*pin = gsi - ioapics[i].gsi_base;
			return &ioapics[i];
		}
	return NULL;
}

/* The entry: the high dword first while the low one keeps it masked. */
static void rte_write(struct hioapic *a, unsigned pin, uint64_t v)
{
	wr(a, 0x10 + 2 * pin, (uint32_t)rd(a, 0x10 + 2 * pin) | (uint32_t)RTE_MASK);
	wr(a, 0x11 + 2 * pin, (uint32_t)(v >> 32));
	wr(a, 0x10 + 2 * pin, (uint32_t)v);
}

static uint64_t rte_read(struct hioapic *a, unsigned pin)
{
	return rd(a, 0x10 + 2 * pin) | (uint64_t)rd(a, 0x11 + 2 * pin) << 32;
}

int ioapic_init(const struct acpi_info *ai)
{
	for (unsigned i = 0; ai && i < ai->nioapics && nioapics < ACPI_MAX_IOAPICS; i++) {
		struct hioapic *a = &ioapics[nioapics];
		uint32_t ver;

		a->mmio = mmu_map_phys(ai->ioapics[i].addr, 4096, true);
		if (!a->mmio) {
			pr_err("ioapic: %u at %#x cannot be mapped: its GSIs are not routed",
			       ai->ioapics[i].id, ai->ioapics[i].addr);
			continue;
		}
		a->id = ai->ioapics[i].id;
		a->gsi_base = ai->ioapics[i].gsi_base;
		ver = rd(a, IOAPICVER);
		if (ver == 0xffffffffu) {
			pr_err("ioapic: %u at %#x reads all ones: ignored", a->id,
			       ai->ioapics[i].addr);
			continue;
		}
		a->version = (uint8_t)ver;
		a->pins = ((ver >> 16) & 0xff) + 1;
		for (unsigned p = 0; p < a->pins; p++)
			rte_write(a, p, RTE_MASK);
		pr_info("ioapic: %u at %#x, version %#x, GSI %u-%u, all masked", a->id,
			ai->ioapics[i].addr, a->version, a->gsi_base, a->gsi_base + a->pins - 1);
		nioapics++;
	}
	return (int)nioapics;
}

int ioapic_of(uint32_t gsi, uint8_t *id)
{
	unsigned pin;
	struct hioapic *a = find(gsi, &pin);

	if (!a)
		return -ENOENT;
	*id = a->id;
	return 0;
}

int ioapic_program(uint32_t gsi, uint64_t fmt, bool level, bool active_low)
{
	unsigned pin;
	struct hioapic *a = find(gsi, &pin);
	uint64_t f;

	if (!a)
		return -ENOENT;
	fmt &= ~(RTE_MASK | RTE_LEVEL | RTE_LOW | (1ull << 14) | (1ull << 12));
	f = irq_save();
	spin_lock(&ioapic_lock);
	rte_write(a, pin, fmt | RTE_MASK | (level ? RTE_LEVEL : 0) | (active_low ? RTE_LOW : 0));
	spin_unlock(&ioapic_lock);
	irq_restore(f);
	return 0;
}

void ioapic_mask(uint32_t gsi, bool masked)
{
	unsigned pin;
	struct hioapic *a = find(gsi, &pin);
	uint32_t lo;
	uint64_t f;

	if (!a)
		return;
	f = irq_save();
	spin_lock(&ioapic_lock);
	lo = rd(a, 0x10 + 2 * pin);
	wr(a, 0x10 + 2 * pin, masked ? lo | (uint32_t)RTE_MASK : lo & ~(uint32_t)RTE_MASK);
	spin_unlock(&ioapic_lock);
	irq_restore(f);
}

void ioapic_eoi(uint32_t gsi)
{
	unsigned pin;
	struct hioapic *a = find(gsi, &pin);
	uint64_t f, e;

	if (!a)
		return;
	f = irq_save();
	spin_lock(&ioapic_lock);
	e = rte_read(a, pin);
	if (a->version >= 0x20) {
		a->mmio[EOIR / 4] = (uint32_t)(e & 0xff);
	} else {
		/* Linux's way for the older ones: edge clears remote IRR. */
		wr(a, 0x10 + 2 * pin, (uint32_t)((e | RTE_MASK) & ~RTE_LEVEL));
		wr(a, 0x10 + 2 * pin, (uint32_t)(e | RTE_MASK));
		wr(a, 0x10 + 2 * pin, (uint32_t)e);
	}
	spin_unlock(&ioapic_lock);
	irq_restore(f);
}

void ioapic_clear(uint32_t gsi)
{
	unsigned pin;
	struct hioapic *a = find(gsi, &pin);
	uint64_t f;

	if (!a)
		return;
	f = irq_save();
	spin_lock(&ioapic_lock);
	rte_write(a, pin, RTE_MASK);
	spin_unlock(&ioapic_lock);
	irq_restore(f);
}
