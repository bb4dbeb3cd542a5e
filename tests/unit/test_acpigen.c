/* Unit tests for vmm/dev/acpigen.c.
 *
 * The tables are built into a heap buffer of exactly the size given to
 * acpigen_build(), standing for guest-physical [base, base + size): under
 * ASan any write past it is caught. They are then read back two ways:
 * through the hypervisor's own parser (drivers/acpi.c), whose map callback
 * hands out a fresh exact-size copy per call, and by the byte-level checks
 * here, which recompute every checksum and read fields at the offsets of
 * the ACPI 6.4 tables independently of the generator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmm/dev/acpigen.h"
#include "drivers/acpi_prt.h"
#include "drivers/acpi.h"
#include "lib/errno.h"

#define BIOS_BASE	0xe0000ull	/* where the hypervisor puts them */
#define BIOS_SIZE	0x20000u	/* up to 0xfffff */

/* ---- guest memory ---- */

struct guest {
	uint8_t *mem;
	uint64_t base;
	size_t size;
	void *win;		/* the parser's current (only) mapping */
};

static struct guest g;
static struct acpi_info *ai;

static void guest_alloc(uint64_t base, size_t size, uint8_t fill)
{
	free(g.mem);
	g.mem = malloc(size ? size : 1);
	assert_non_null(g.mem);
	memset(g.mem, fill, size);
	g.base = base;
	g.size = size;
}

static const void *guest_map(void *ctx, uint64_t phys, size_t len)
{
	struct guest *gg = ctx;

	free(gg->win);
	gg->win = NULL;
	if (phys < gg->base || len > gg->size || phys - gg->base > gg->size - len)
		return NULL;
	gg->win = malloc(len ? len : 1);
	memcpy(gg->win, gg->mem + (phys - gg->base), len);
	return gg->win;
}

static int setup(void **state)
{
	(void)state;
	memset(&g, 0, sizeof(g));
	ai = calloc(1, sizeof(*ai));
	return ai ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(g.win);
	free(g.mem);
	free(ai);
	memset(&g, 0, sizeof(g));
	return 0;
}

/* Pointer to len bytes of guest memory at gpa; fails the test if outside. */
static uint8_t *G(uint64_t gpa, size_t len)
{
	assert_true(gpa >= g.base && len <= g.size && gpa - g.base <= g.size - len);
	return g.mem + (gpa - g.base);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

static struct acpigen_cfg cfg_default(unsigned ncpus)
{
	struct acpigen_cfg c = {
		.ncpus = ncpus,
		.lapic_addr = 0xfee00000,
		.ioapic_id = 0,
		.ioapic_addr = 0xfec00000,
		.sci_irq = 9,
		.pm1a_evt = 0x600,
		.pm1a_cnt = 0x604,
		.pm_tmr = 0x608,
		.slp_typ_s5 = 5,
		.reset_port = 0xcf9,
		.reset_value = 0x06,
		.mcfg_base = 0xb0000000,
		.mcfg_bus_end = 0,
		.oem_id = "VATRA ",
	};
	return c;
}

/* Builds into a fresh buffer; returns the rc and the RSDP address. */
static int build_at(const struct acpigen_cfg *c, uint64_t base, size_t size,
		    uint64_t *rsdp)
{
	guest_alloc(base, size, 0xa5);
	*rsdp = 0;
	return acpigen_build(c, g.mem, base, size, rsdp);
}

static uint64_t build_ok(const struct acpigen_cfg *c)
{
	uint64_t rsdp;

	assert_int_equal(build_at(c, BIOS_BASE, BIOS_SIZE, &rsdp), 0);
	return rsdp;
}

static void parse_ok(uint64_t rsdp)
{
	struct acpi_env env = { .map = guest_map, .ctx = &g };
	int rc = acpi_parse(ai, &env, rsdp);

	free(g.win);
	g.win = NULL;
	for (unsigned i = 0; i < ai->nerrors && i < ACPI_MAX_ERRORS; i++)
		print_message("acpi error: %s\n", ai->errors[i]);
	assert_int_equal(rc, 0);
	assert_int_equal(ai->nerrors, 0);
}

static const struct acpi_table_ref *ref(const char *sig)
{
	for (unsigned i = 0; i < ai->ntables; i++)
		if (!strcmp(ai->tables[i].sig, sig))
			return &ai->tables[i];
	return NULL;
}

/* ---- independent walk ---- */

/* Finds a table by signature through the XSDT (or the DSDT via the FADT). */
static uint64_t find(uint64_t rsdp, const char *sig)
{
	uint64_t xsdt = get64(G(rsdp + 24, 8));
	uint32_t xlen = get32(G(xsdt + 4, 4));

	for (uint32_t off = 36; off + 8 <= xlen; off += 8) {
		uint64_t t = get64(G(xsdt + off, 8));

		if (!memcmp(G(t, 4), sig, 4))
			return t;
		if (!strcmp(sig, "DSDT") && !memcmp(G(t, 4), "FACP", 4))
			return get64(G(t + 140, 8));
	}
	return 0;
}

/* Every checksummed structure reachable from the RSDP sums to zero. */
static void check_checksums(uint64_t rsdp)
{
	uint64_t xsdt, rsdt, fadt, dsdt;
	uint32_t xlen;

	assert_memory_equal(G(rsdp, 8), "RSD PTR ", 8);
	assert_int_equal(sum8(G(rsdp, 20), 20), 0);
	assert_int_equal(get32(G(rsdp + 20, 4)), 36);
	assert_int_equal(sum8(G(rsdp, 36), 36), 0);

	xsdt = get64(G(rsdp + 24, 8));
	xlen = get32(G(xsdt + 4, 4));
	assert_memory_equal(G(xsdt, 4), "XSDT", 4);
	assert_int_equal(sum8(G(xsdt, xlen), xlen), 0);
	for (uint32_t off = 36; off < xlen; off += 8) {
		uint64_t t = get64(G(xsdt + off, 8));
		uint32_t len = get32(G(t + 4, 4));

		assert_true(len >= 36);
		assert_int_equal(sum8(G(t, len), len), 0);
	}

	rsdt = get32(G(rsdp + 16, 4));
	if (rsdt) {
		uint32_t rlen = get32(G(rsdt + 4, 4));

		assert_memory_equal(G(rsdt, 4), "RSDT", 4);
		assert_int_equal(sum8(G(rsdt, rlen), rlen), 0);
		/* Same tables, in the same order, as the XSDT. */
		assert_int_equal((rlen - 36) / 4, (xlen - 36) / 8);
		for (uint32_t i = 0; i < (rlen - 36) / 4; i++)
			assert_int_equal(get32(G(rsdt + 36 + 4 * i, 4)),
					 get64(G(xsdt + 36 + 8 * i, 8)));
	}

	fadt = find(rsdp, "FACP");
	assert_int_not_equal(fadt, 0);
	dsdt = get64(G(fadt + 140, 8));
	assert_memory_equal(G(dsdt, 4), "DSDT", 4);
	assert_int_equal(sum8(G(dsdt, get32(G(dsdt + 4, 4))), get32(G(dsdt + 4, 4))), 0);
}

/* ---- whole-tree tests ---- */

static void test_parse_default(void **state)
{
	struct acpigen_cfg c = cfg_default(4);
	uint64_t rsdp;

	(void)state;
	rsdp = build_ok(&c);
	/* First thing in the area, on the 16-byte boundary at base. */
	assert_int_equal(rsdp, BIOS_BASE);
	parse_ok(rsdp);

	assert_int_equal(ai->rsdp_rev, 2);
	assert_true(ai->xsdt);
	assert_string_equal(ai->oem_id, "VATRA ");
	/* FADT, MADT, MCFG from the XSDT, the DSDT through the FADT; the
	 * FACS is reached through the FADT only and is no SDT. */
	assert_int_equal(ai->ntables, 4);
	assert_non_null(ref("FACP"));
	assert_non_null(ref("APIC"));
	assert_non_null(ref("MCFG"));
	assert_non_null(ref("DSDT"));
	assert_null(ref("FACS"));
	for (unsigned i = 0; i < ai->ntables; i++) {
		assert_true(ai->tables[i].valid);
		assert_string_equal(ai->tables[i].oem_id, "VATRA ");
	}
	assert_int_equal(ref("FACP")->rev, 6);
	assert_int_equal(ref("FACP")->len, 276);
	assert_int_equal(ref("APIC")->rev, 5);
	assert_int_equal(ref("MCFG")->rev, 1);
	assert_int_equal(ref("DSDT")->rev, 2);

	assert_true(ai->have_fadt);
	assert_int_equal(ai->fadt_rev, 6);
	assert_false(ai->hw_reduced);
	assert_int_equal(ai->dsdt_phys, ref("DSDT")->phys);

	assert_true(ai->have_s5);
	assert_int_equal(ai->slp_typa, 5);
	assert_int_equal(ai->slp_typb, 5);

	assert_int_equal(ai->nmcfg, 1);
	assert_int_equal(ai->mcfg[0].base, 0xb0000000);
	assert_int_equal(ai->mcfg[0].segment, 0);
	assert_int_equal(ai->mcfg[0].bus_start, 0);
	assert_int_equal(ai->mcfg[0].bus_end, 0);

	check_checksums(rsdp);
}

static void check_madt(unsigned n)
{
	assert_true(ai->have_madt);
	assert_int_equal(ai->lapic_addr, 0xfee00000);
	assert_true(ai->pcat_compat);
	assert_int_equal(ai->ncpus, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(ai->cpus[i].apic_id, i);
		assert_int_equal(ai->cpus[i].uid, i);
		assert_true(ai->cpus[i].enabled);
		assert_false(ai->cpus[i].online_capable);
		assert_false(ai->cpus[i].x2apic);
	}
	assert_int_equal(ai->nioapics, 1);
	assert_int_equal(ai->ioapics[0].id, 0);
	assert_int_equal(ai->ioapics[0].addr, 0xfec00000);
	assert_int_equal(ai->ioapics[0].gsi_base, 0);
	assert_int_equal(ai->nisos, 2);
	/* IRQ0 -> GSI2 edge/high: polarity 01, trigger 01 (Table 5.26). */
	assert_int_equal(ai->isos[0].bus, 0);
	assert_int_equal(ai->isos[0].source, 0);
	assert_int_equal(ai->isos[0].gsi, 2);
	assert_int_equal(ai->isos[0].flags, 0x0005);
	/* SCI: IRQ9 -> GSI9 level/high: polarity 01, trigger 11. */
	assert_int_equal(ai->isos[1].bus, 0);
	assert_int_equal(ai->isos[1].source, 9);
	assert_int_equal(ai->isos[1].gsi, 9);
	assert_int_equal(ai->isos[1].flags, 0x000d);
}

static void test_madt_cpu_counts(void **state)
{
	static const unsigned counts[] = { 1, 2, 4, 64, 255 };

	(void)state;
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		struct acpigen_cfg c = cfg_default(counts[k]);
		uint64_t rsdp = build_ok(&c);

		parse_ok(rsdp);
		check_madt(counts[k]);
		check_checksums(rsdp);
		assert_int_equal(ref("APIC")->len, 44 + 8 * counts[k] + 12 + 2 * 10 + 6);
	}
}

/* Walks the MADT by hand: entry order and the entries the parser skips. */
static void test_madt_raw_entries(void **state)
{
	struct acpigen_cfg c = cfg_default(3);
	uint64_t rsdp, madt;
	uint32_t len;
	const uint8_t *t, *e;

	(void)state;
	c.ioapic_id = 3;
	rsdp = build_ok(&c);
	madt = find(rsdp, "APIC");
	len = get32(G(madt + 4, 4));
	t = G(madt, len);
	assert_int_equal(get32(t + 40), 1);	/* PCAT_COMPAT only */

	e = t + 44;
	for (unsigned i = 0; i < 3; i++, e += 8) {
		assert_int_equal(e[0], 0);
		assert_int_equal(e[1], 8);
		assert_int_equal(e[2], i);
		assert_int_equal(e[3], i);
		assert_int_equal(get32(e + 4), 1);	/* Enabled, not Online Capable */
	}
	assert_int_equal(e[0], 1);
	assert_int_equal(e[1], 12);
	assert_int_equal(e[2], 3);
	assert_int_equal(e[3], 0);
	assert_int_equal(get32(e + 4), 0xfec00000);
	assert_int_equal(get32(e + 8), 0);
	e += 12;
	assert_int_equal(e[0], 2);
	assert_int_equal(e[1], 10);
	e += 10;
	assert_int_equal(e[0], 2);
	assert_int_equal(e[1], 10);
	e += 10;
	/* Local APIC NMI: all processors (UID 0xff), edge/high, LINT1. */
	assert_int_equal(e[0], 4);
	assert_int_equal(e[1], 6);
	assert_int_equal(e[2], 0xff);
	assert_int_equal(get16(e + 3), 0x0005);
	assert_int_equal(e[5], 1);
	e += 6;
	assert_ptr_equal(e, t + len);
}

static void test_fadt_via_parser(void **state)
{
	struct acpigen_cfg c = cfg_default(2);

	(void)state;
	parse_ok(build_ok(&c));
	assert_int_equal(ai->pm1a_cnt, 0x604);
	assert_int_equal(ai->pm1b_cnt, 0);
	assert_int_equal(ai->pm_tmr, 0x608);
	assert_false(ai->pm_tmr_32bit);
	assert_int_equal(ai->sci_irq, 9);
	assert_int_equal(ai->smi_cmd, 0);
	assert_int_equal(ai->acpi_enable, 0);
	assert_true(ai->reset_supported);
	assert_int_equal(ai->reset_reg.space, ACPI_GAS_IO);
	assert_int_equal(ai->reset_reg.bit_width, 8);
	assert_int_equal(ai->reset_reg.bit_offset, 0);
	assert_int_equal(ai->reset_reg.access_size, 1);
	assert_int_equal(ai->reset_reg.addr, 0xcf9);
	assert_int_equal(ai->reset_value, 0x06);
}

static void check_gas_io(const uint8_t *p, uint8_t width, uint8_t access, uint64_t port)
{
	assert_int_equal(p[0], 1);		/* System I/O */
	assert_int_equal(p[1], width);
	assert_int_equal(p[2], 0);
	assert_int_equal(p[3], access);
	assert_int_equal(get64(p + 4), port);
}

/* FADT fields the parser does not report, at Table 5.9 offsets. */
static void test_fadt_raw_fields(void **state)
{
	struct acpigen_cfg c = cfg_default(2);
	uint64_t rsdp, fadt, facs, dsdt;
	const uint8_t *f;

	(void)state;
	rsdp = build_ok(&c);
	fadt = find(rsdp, "FACP");
	f = G(fadt, 276);

	facs = get32(f + 36);
	dsdt = get32(f + 40);
	assert_int_not_equal(facs, 0);
	assert_int_equal(get64(f + 132), 0);	/* X_FIRMWARE_CTRL: one of the two */
	assert_int_equal(get64(f + 140), dsdt);	/* X_DSDT == DSDT */
	assert_int_equal(f[44], 0);
	assert_int_equal(get16(f + 46), 9);		/* SCI_INT */
	assert_int_equal(get32(f + 48), 0);		/* SMI_CMD */
	assert_int_equal(f[52], 0);			/* ACPI_ENABLE */
	assert_int_equal(f[53], 0);			/* ACPI_DISABLE */
	assert_int_equal(get32(f + 56), 0x600);		/* PM1a_EVT_BLK */
	assert_int_equal(get32(f + 60), 0);		/* PM1b_EVT_BLK */
	assert_int_equal(get32(f + 64), 0x604);		/* PM1a_CNT_BLK */
	assert_int_equal(get32(f + 68), 0);
	assert_int_equal(get32(f + 72), 0);		/* PM2 */
	assert_int_equal(get32(f + 76), 0x608);		/* PM_TMR_BLK */
	assert_int_equal(get32(f + 80), 0);		/* GPE0 */
	assert_int_equal(get32(f + 84), 0);		/* GPE1 */
	assert_int_equal(f[88], 4);			/* PM1_EVT_LEN */
	assert_int_equal(f[89], 2);			/* PM1_CNT_LEN */
	assert_int_equal(f[90], 0);
	assert_int_equal(f[91], 4);			/* PM_TMR_LEN */
	assert_int_equal(f[92], 0);
	assert_int_equal(f[93], 0);
	assert_true(get16(f + 96) > 100);		/* no C2 */
	assert_true(get16(f + 98) > 1000);		/* no C3 */
	/* IAPC_BOOT_ARCH: LEGACY_DEVICES only; 8042 absent. */
	assert_int_equal(get16(f + 109), 0x0001);
	/* Flags: WBINVD, PROC_C1, PWR_BUTTON, SLP_BUTTON, FIX_RTC,
	 * RESET_REG_SUP; not TMR_VAL_EXT (bit 8), not HW_REDUCED (bit 20). */
	assert_int_equal(get32(f + 112), 0x1 | 0x4 | 0x10 | 0x20 | 0x40 | 0x400);
	check_gas_io(f + 116, 8, 1, 0xcf9);		/* RESET_REG */
	assert_int_equal(f[128], 0x06);
	assert_int_equal(get16(f + 129), 0);		/* ARM_BOOT_ARCH */
	assert_int_equal(f[131], 4);			/* minor version: 6.4 */
	check_gas_io(f + 148, 32, 2, 0x600);		/* X_PM1a_EVT_BLK */
	assert_int_equal(get64(f + 160 + 4), 0);	/* X_PM1b_EVT_BLK */
	check_gas_io(f + 172, 16, 2, 0x604);		/* X_PM1a_CNT_BLK */
	assert_int_equal(get64(f + 184 + 4), 0);
	assert_int_equal(get64(f + 196 + 4), 0);	/* X_PM2 */
	check_gas_io(f + 208, 32, 3, 0x608);		/* X_PM_TMR_BLK */
	for (unsigned off = 220; off < 276; off++)	/* GPEs, sleep regs, HV id */
		assert_int_equal(f[off], 0);
	/* OEM Table ID must match the RSDT's (5.2.9). */
	assert_memory_equal(f + 16, G(get32(G(rsdp + 16, 4)) + 16, 8), 8);
}

static void test_facs(void **state)
{
	struct acpigen_cfg c = cfg_default(1);
	uint64_t rsdp, facs;
	const uint8_t *p;

	(void)state;
	rsdp = build_ok(&c);
	facs = get32(G(find(rsdp, "FACP") + 36, 4));
	assert_int_equal(facs % 64, 0);			/* 5.2.10 alignment */
	p = G(facs, 64);
	assert_memory_equal(p, "FACS", 4);
	assert_int_equal(get32(p + 4), 64);
	assert_int_equal(get32(p + 8), 0);		/* hardware signature */
	assert_int_equal(get32(p + 12), 0);		/* waking vector */
	assert_int_equal(get32(p + 16), 0);		/* global lock free */
	assert_int_equal(get32(p + 20), 0);		/* no S4BIOS, no 64-bit wake */
	assert_int_equal(get64(p + 24), 0);
	assert_int_equal(p[32], 2);			/* version */
	for (unsigned i = 33; i < 64; i++)
		assert_int_equal(p[i], 0);
}

/* The DSDT's AML, byte for byte, hand-assembled from ACPI 6.4 20.2:
 * Scope(\_SB){} and Name(\_S5, Package(){t, t, 0, 0}). */
static void test_dsdt_aml_bytes(void **state)
{
	static const uint8_t aml5[] = {
		0x10, 0x06, '\\', '_', 'S', 'B', '_',		/* ScopeOp PkgLength(6) \_SB_ */
		0x08, '\\', '_', 'S', '5', '_',			/* NameOp \_S5_ */
		0x12, 0x08, 0x04,				/* PackageOp PkgLength(8) 4 elems */
		0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,		/* BytePrefix 5 x2, Zero x2 */
	};
	static const uint8_t aml0[] = {
		0x10, 0x06, '\\', '_', 'S', 'B', '_',
		0x08, '\\', '_', 'S', '5', '_',
		0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,	/* ZeroOp x4 */
	};
	static const uint8_t aml1[] = {
		0x10, 0x06, '\\', '_', 'S', 'B', '_',
		0x08, '\\', '_', 'S', '5', '_',
		0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,	/* OneOp x2, ZeroOp x2 */
	};
	static const struct {
		uint8_t typ;
		const uint8_t *aml;
		size_t len;
	} cases[] = {
		{ 5, aml5, sizeof(aml5) },
		{ 0, aml0, sizeof(aml0) },
		{ 1, aml1, sizeof(aml1) },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct acpigen_cfg c = cfg_default(1);
		uint64_t dsdt;
		const uint8_t *p;

		c.slp_typ_s5 = cases[k].typ;
		dsdt = find(build_ok(&c), "DSDT");
		p = G(dsdt, 36);
		assert_memory_equal(p, "DSDT", 4);
		assert_int_equal(get32(p + 4), 36 + cases[k].len);
		assert_int_equal(p[8], 2);
		assert_memory_equal(p + 28, "VTRA", 4);
		assert_memory_equal(G(dsdt + 36, cases[k].len), cases[k].aml, cases[k].len);
	}
}

static void test_s5_values(void **state)
{
	(void)state;
	for (uint8_t typ = 0; typ <= 7; typ++) {
		struct acpigen_cfg c = cfg_default(2);

		c.slp_typ_s5 = typ;
		parse_ok(build_ok(&c));
		assert_true(ai->have_s5);
		assert_int_equal(ai->slp_typa, typ);
		assert_int_equal(ai->slp_typb, typ);
	}
}

static void test_no_mcfg(void **state)
{
	struct acpigen_cfg c = cfg_default(2);
	uint64_t rsdp;

	(void)state;
	c.mcfg_base = 0;
	rsdp = build_ok(&c);
	parse_ok(rsdp);
	assert_int_equal(ai->ntables, 3);
	assert_null(ref("MCFG"));
	assert_int_equal(ai->nmcfg, 0);
	assert_int_equal(find(rsdp, "MCFG"), 0);
	check_checksums(rsdp);
}

static void test_mcfg_bus_range(void **state)
{
	struct acpigen_cfg c = cfg_default(2);
	const uint8_t *e;

	(void)state;
	c.mcfg_base = 0xe0000000;
	c.mcfg_bus_end = 255;
	parse_ok(build_ok(&c));
	assert_int_equal(ai->nmcfg, 1);
	assert_int_equal(ai->mcfg[0].base, 0xe0000000);
	assert_int_equal(ai->mcfg[0].bus_start, 0);
	assert_int_equal(ai->mcfg[0].bus_end, 255);
	assert_int_equal(ref("MCFG")->len, 60);
	e = G(ref("MCFG")->phys, 60);
	for (unsigned i = 36; i < 44; i++)		/* reserved */
		assert_int_equal(e[i], 0);
	for (unsigned i = 56; i < 60; i++)		/* entry reserved */
		assert_int_equal(e[i], 0);
}

static void test_other_sci_and_oem(void **state)
{
	struct acpigen_cfg c = cfg_default(2);
	uint64_t rsdp;

	(void)state;
	c.sci_irq = 11;
	memcpy(c.oem_id, "AB\0\0\0\0", 7);
	rsdp = build_ok(&c);
	parse_ok(rsdp);
	assert_int_equal(ai->sci_irq, 11);
	assert_int_equal(ai->nisos, 2);
	assert_int_equal(ai->isos[1].source, 11);
	assert_int_equal(ai->isos[1].gsi, 11);
	assert_int_equal(ai->isos[1].flags, 0x000d);
	/* Short OEM ids are space padded, in the RSDP and every header. */
	assert_memory_equal(G(rsdp + 9, 6), "AB    ", 6);
	assert_string_equal(ai->oem_id, "AB    ");
	for (unsigned i = 0; i < ai->ntables; i++)
		assert_memory_equal(G(ai->tables[i].phys + 10, 6), "AB    ", 6);
}

static void test_no_reset_register(void **state)
{
	struct acpigen_cfg c = cfg_default(1);
	const uint8_t *f;

	(void)state;
	c.reset_port = 0;
	parse_ok(build_ok(&c));
	assert_false(ai->reset_supported);
	f = G(ref("FACP")->phys, 276);
	assert_int_equal(get32(f + 112) & 0x400, 0);
	for (unsigned i = 116; i < 129; i++)
		assert_int_equal(f[i], 0);
}

/* Linux finds the RSDP by scanning 0xe0000-0xfffff on 16-byte boundaries
 * for the signature with a valid checksum (ACPI 6.4, 5.2.5.1). */
static uint64_t legacy_scan(void)
{
	for (uint64_t a = 0xe0000; a + 36 <= 0x100000; a += 16) {
		if (a < g.base || a + 36 > g.base + g.size)
			continue;
		if (!memcmp(G(a, 8), "RSD PTR ", 8) && !sum8(G(a, 20), 20))
			return a;
	}
	return 0;
}

static void test_rsdp_alignment_and_scan(void **state)
{
	static const uint64_t bases[] = { 0xe0000, 0xe0004, 0xe000f, 0xf0001, 0xff000 };

	(void)state;
	for (size_t k = 0; k < sizeof(bases) / sizeof(bases[0]); k++) {
		struct acpigen_cfg c = cfg_default(4);
		uint64_t rsdp;

		assert_int_equal(build_at(&c, bases[k], 0x100000 - bases[k], &rsdp), 0);
		assert_int_equal(rsdp % 16, 0);
		assert_true(rsdp >= bases[k] && rsdp < bases[k] + 16);
		assert_int_equal(legacy_scan(), rsdp);
		parse_ok(rsdp);
		check_madt(4);
		check_checksums(rsdp);
	}
}

/* An OS that only knows ACPI 1.0 reads RsdtAddress: same tables. */
static void test_rsdt_fallback(void **state)
{
	struct acpigen_cfg c = cfg_default(4);
	uint64_t rsdp;
	uint8_t *r;

	(void)state;
	rsdp = build_ok(&c);
	r = G(rsdp, 36);
	assert_int_not_equal(get32(r + 16), 0);
	r[15] = 0;				/* pretend revision 0 */
	r[8] = 0;
	r[8] = (uint8_t)-sum8(r, 20);
	parse_ok(rsdp);
	assert_false(ai->xsdt);
	assert_int_equal(ai->root_phys, get32(r + 16));
	assert_int_equal(ai->ntables, 4);
	assert_non_null(ref("FACP"));
	assert_non_null(ref("APIC"));
	assert_non_null(ref("MCFG"));
	assert_non_null(ref("DSDT"));
	check_madt(4);
	assert_true(ai->have_s5);
}

/* Above 4 GiB: no RSDT, and the 64-bit FACS/DSDT pointers only. */
static void test_above_4g(void **state)
{
	static const struct {
		uint64_t base;
		size_t size;
	} cases[] = {
		{ 0x100000000ull, 0x2000 },
		{ 0xfffff000ull, 0x2000 },		/* straddles 4 GiB */
		{ 0xffffffffffffe000ull, 0x2000 },	/* ends exactly at 2^64 */
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct acpigen_cfg c = cfg_default(8);
		uint64_t rsdp, fadt, facs;
		const uint8_t *f;

		assert_int_equal(build_at(&c, cases[k].base, cases[k].size, &rsdp), 0);
		assert_int_equal(get32(G(rsdp + 16, 4)), 0);	/* RsdtAddress */
		fadt = find(rsdp, "FACP");
		f = G(fadt, 276);
		assert_int_equal(get32(f + 36), 0);		/* FIRMWARE_CTRL */
		assert_int_equal(get32(f + 40), 0);		/* DSDT */
		facs = get64(f + 132);
		assert_int_equal(facs % 64, 0);
		assert_memory_equal(G(facs, 4), "FACS", 4);
		assert_memory_equal(G(get64(f + 140), 4), "DSDT", 4);
		parse_ok(rsdp);
		assert_true(ai->xsdt);
		assert_int_equal(ai->ntables, 4);
		assert_int_equal(ai->dsdt_phys, get64(f + 140));
		check_madt(8);
		check_checksums(rsdp);
	}
}

/* ---- sizes ---- */

/* End of the highest structure reachable from the RSDP. */
static uint64_t tables_end(uint64_t rsdp)
{
	uint64_t end = rsdp + 36, xsdt = get64(G(rsdp + 24, 8)), fadt;
	uint32_t xlen = get32(G(xsdt + 4, 4));
	uint64_t t[8];
	unsigned n = 0;

	t[n++] = xsdt;
	if (get32(G(rsdp + 16, 4)))
		t[n++] = get32(G(rsdp + 16, 4));
	for (uint32_t off = 36; off < xlen; off += 8)
		t[n++] = get64(G(xsdt + off, 8));
	fadt = find(rsdp, "FACP");
	t[n++] = get64(G(fadt + 140, 8));
	t[n++] = get32(G(fadt + 36, 4)) ? get32(G(fadt + 36, 4)) : get64(G(fadt + 132, 8));
	for (unsigned i = 0; i < n; i++) {
		uint64_t e = t[i] + get32(G(t[i] + 4, 4));

		if (e > end)
			end = e;
	}
	return end;
}

static void check_sizes(const struct acpigen_cfg *c, uint64_t base)
{
	uint64_t rsdp;
	size_t need = 0;
	int rc;

	/* Every size below the minimum fails with -ENOSPC and writes
	 * nothing (the buffer is exactly that size: ASan guards the end). */
	for (;; need++) {
		rc = build_at(c, base, need, &rsdp);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOSPC);
		for (size_t i = 0; i < need; i++)
			assert_int_equal(g.mem[i], 0xa5);
		assert_true(need < 16384);
	}
	/* The minimum is exactly the end of the last table. */
	assert_int_equal(tables_end(rsdp), base + need);
	parse_ok(rsdp);
	check_madt(c->ncpus);

	/* With room to spare, nothing past the tables is touched. */
	assert_int_equal(build_at(c, base, need + 4096, &rsdp), 0);
	for (size_t i = need; i < need + 4096; i++)
		assert_int_equal(g.mem[i], 0xa5);
}

static void test_enospc(void **state)
{
	struct acpigen_cfg c;

	(void)state;
	c = cfg_default(1);
	check_sizes(&c, BIOS_BASE);
	c = cfg_default(64);
	c.mcfg_base = 0;
	check_sizes(&c, BIOS_BASE + 8);
	c = cfg_default(255);
	check_sizes(&c, 0x100000000ull);
}

static void test_einval(void **state)
{
	struct acpigen_cfg c;
	uint64_t rsdp = 0x1234;
	uint8_t buf[4096];

	(void)state;
#define BAD(field, value) do {						\
		c = cfg_default(4);					\
		c.field = value;					\
		memset(buf, 0x5a, sizeof(buf));				\
		assert_int_equal(acpigen_build(&c, buf, BIOS_BASE, sizeof(buf), &rsdp), \
				 -EINVAL);				\
		for (size_t i = 0; i < sizeof(buf); i++)		\
			assert_int_equal(buf[i], 0x5a);			\
		assert_int_equal(rsdp, 0x1234);				\
	} while (0)
	BAD(ncpus, 0);
	BAD(ncpus, 256);
	BAD(lapic_addr, 0);
	BAD(lapic_addr, 0xfee00800);
	BAD(ioapic_addr, 0);
	BAD(sci_irq, 0);
	BAD(sci_irq, 2);
	BAD(sci_irq, 16);
	BAD(slp_typ_s5, 8);
	BAD(pm1a_evt, 0);
	BAD(pm1a_cnt, 0);
	BAD(pm_tmr, 0);
	BAD(pm_tmr, 0xfffd);			/* 4 ports past 0xffff */
	BAD(pm1a_cnt, 0x602);			/* inside PM1a_EVT */
	BAD(pm_tmr, 0x605);			/* inside PM1a_CNT */
	BAD(pm1a_evt, 0x606);			/* PM1a_EVT over PM_TMR */
	BAD(mcfg_base, 0xb0080000);		/* not 1 MiB aligned */
#undef BAD

	/* An ECAM window of 2 buses that would wrap past 2^64. */
	c = cfg_default(4);
	c.mcfg_bus_end = 1;
	c.mcfg_base = 0xfffffffffff00000ull;
	assert_int_equal(acpigen_build(&c, buf, BIOS_BASE, sizeof(buf), &rsdp), -EINVAL);
	c.mcfg_bus_end = 0;	/* one bus: ends exactly at 2^64, fine */
	assert_int_equal(acpigen_build(&c, buf, BIOS_BASE, sizeof(buf), &rsdp), 0);

	c = cfg_default(4);
	assert_int_equal(acpigen_build(NULL, buf, BIOS_BASE, sizeof(buf), &rsdp), -EINVAL);
	assert_int_equal(acpigen_build(&c, NULL, BIOS_BASE, sizeof(buf), &rsdp), -EINVAL);
	assert_int_equal(acpigen_build(&c, buf, BIOS_BASE, sizeof(buf), NULL), -EINVAL);
	/* [base, base + size) wraps the address space. */
	assert_int_equal(acpigen_build(&c, buf, UINT64_MAX - 100, sizeof(buf), &rsdp),
			 -EINVAL);
	/* Limits that are fine. */
	c.ncpus = 255;
	c.sci_irq = 15;
	c.slp_typ_s5 = 7;
	assert_int_equal(acpigen_build(&c, buf, BIOS_BASE, sizeof(buf), &rsdp), 0);
}

/* ---- PkgLength ---- */

/* Independent decoder (ACPI 6.4 20.2.4): returns the encoded length and
 * sets *n to the encoding size. */
static size_t pkglen_decode(const uint8_t *p, size_t *n)
{
	size_t follow = p[0] >> 6, v;

	*n = follow + 1;
	if (!follow)
		return p[0] & 0x3f;
	assert_int_equal(p[0] & 0x30, 0);	/* bits 5:4 reserved */
	v = p[0] & 0x0f;
	for (size_t i = 0; i < follow; i++)
		v |= (size_t)p[1 + i] << (4 + 8 * i);
	return v;
}

static void test_pkglength(void **state)
{
	static const struct {
		size_t body;
		size_t n;
		uint8_t enc[4];
	} cases[] = {
		{ 0, 1, { 0x01 } },
		{ 5, 1, { 0x06 } },
		{ 62, 1, { 0x3f } },				/* 63: largest 1-byte */
		{ 63, 2, { 0x41, 0x04 } },			/* 65 = 0x041 */
		{ 4093, 2, { 0x4f, 0xff } },			/* 4095: largest 2-byte */
		{ 4094, 3, { 0x81, 0x00, 0x01 } },		/* 4097 = 0x01001 */
		{ (1u << 20) - 4, 3, { 0x8f, 0xff, 0xff } },	/* 2^20 - 1 */
		{ (1u << 20) - 3, 4, { 0xc1, 0x00, 0x00, 0x01 } },	/* 2^20 + 1 */
		{ (1u << 28) - 5, 4, { 0xcf, 0xff, 0xff, 0xff } },	/* 2^28 - 1 */
	};
	uint8_t out[4];

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(acpigen_pkglength(out, cases[k].body), cases[k].n);
		assert_memory_equal(out, cases[k].enc, cases[k].n);
	}
	/* 2^28 or more cannot be encoded. */
	assert_int_equal(acpigen_pkglength(out, (1u << 28) - 4), 0);
	assert_int_equal(acpigen_pkglength(out, SIZE_MAX), 0);

	/* Round trip and minimality over every length up to 3-byte range. */
	for (size_t body = 0; body < 70000; body++) {
		size_t n = acpigen_pkglength(out, body), dn;
		size_t want = body <= 62 ? 1 : body <= 4093 ? 2 : 3;

		assert_int_equal(n, want);
		assert_int_equal(pkglen_decode(out, &dn), body + n);
		assert_int_equal(dn, n);
	}
}

/* With INTx routes the DSDT has \_SB.PCI0 with a static _PRT: read back
 * with Vatra's own _PRT reader (drivers/acpi_prt.c), each route is its
 * GSI, level, active low; the rest of the tables still parse. Without
 * routes there is no PCI0 (test_dsdt_aml_bytes). */
static void test_dsdt_prt(void **state)
{
	static struct acpi_prt prt;
	struct acpigen_cfg c = cfg_default(2);
	struct prt_route rt;
	struct prt_aml blk;
	const char *why;
	uint64_t rsdp, dsdt;
	uint32_t len;

	(void)state;
	c.nprt = 3;
	c.prt[0] = (struct acpigen_prt){ 2, 0, 16 };
	c.prt[1] = (struct acpigen_prt){ 3, 0, 16 };
	c.prt[2] = (struct acpigen_prt){ 4, 1, 17 };
	c.pci_mem_base = 0xc0000000;
	c.pci_mem_end = 0xfebfffff;
	rsdp = build_ok(&c);
	dsdt = find(rsdp, "DSDT");
	len = get32(G(dsdt + 4, 4));
	blk.aml = G(dsdt + 36, len - 36);
	blk.len = len - 36;
	assert_int_equal(acpi_prt_parse(&prt, &blk, 1), 1);
	assert_int_equal(prt.nerrors, 0);
	assert_string_equal(prt.roots[0].name, "PCI0");
	assert_null(prt.roots[0].why);
	assert_int_equal(prt.roots[0].n, 3);
	assert_int_equal(acpi_prt_route(&prt, 0, 0, 3, 0, &rt, &why), 0);
	assert_int_equal(rt.gsi, 16);
	assert_true(rt.level && rt.active_low);
	assert_int_equal(acpi_prt_route(&prt, 0, 0, 4, 1, &rt, &why), 0);
	assert_int_equal(rt.gsi, 17);
	assert_int_equal(acpi_prt_route(&prt, 0, 0, 4, 0, &rt, &why), -ENOENT);
	parse_ok(rsdp);
	assert_true(ai->have_s5);
	/* a bad route or window is refused */
	c.prt[1].pin = 4;
	assert_int_equal(build_at(&c, BIOS_BASE, BIOS_SIZE, &rsdp), -EINVAL);
	c.prt[1].pin = 0;
	c.pci_mem_end = 0;
	assert_int_equal(build_at(&c, BIOS_BASE, BIOS_SIZE, &rsdp), -EINVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_parse_default),
		T(test_madt_cpu_counts),
		T(test_madt_raw_entries),
		T(test_fadt_via_parser),
		T(test_fadt_raw_fields),
		T(test_facs),
		T(test_dsdt_aml_bytes),
		T(test_dsdt_prt),
		T(test_s5_values),
		T(test_no_mcfg),
		T(test_mcfg_bus_range),
		T(test_other_sci_and_oem),
		T(test_no_reset_register),
		T(test_rsdp_alignment_and_scan),
		T(test_rsdt_fallback),
		T(test_above_4g),
		T(test_enospc),
		T(test_einval),
		T(test_pkglength),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
