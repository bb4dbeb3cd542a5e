/* Unit tests for drivers/acpi.c.
 *
 * ACPI trees are built in a fake physical memory array. The map callback
 * bounds-checks into it and hands out a fresh heap copy of exactly the
 * granted bytes, freeing the previous one: under ASan any read past what was
 * granted, or through a pointer kept across map() calls, is caught.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "drivers/acpi.h"
#include "lib/errno.h"

/* ---- fake physical memory ---- */

#define MEM_BASE	0x7f000000ull
#define MEM_SIZE	(256 * 1024)

#define RSDP_AT		(MEM_BASE + 0x0000)
#define XSDT_AT		(MEM_BASE + 0x0100)
#define RSDT_AT		(MEM_BASE + 0x0300)
#define FADT_AT		(MEM_BASE + 0x1000)
#define DSDT_AT		(MEM_BASE + 0x2000)
#define MADT_AT		(MEM_BASE + 0x3000)
#define MCFG_AT		(MEM_BASE + 0x4000)
#define DMAR_AT		(MEM_BASE + 0x5000)
#define IVRS_AT		(MEM_BASE + 0x6000)
#define SSDT_AT		(MEM_BASE + 0x7000)
#define FREE_AT		(MEM_BASE + 0x8000)

/* XSDT/RSDT entry order in the good tree. */
enum { E_FADT, E_MADT, E_MCFG, E_DMAR, E_IVRS, E_SSDT, E_COUNT };
static const uint64_t good_entries[E_COUNT] = {
	FADT_AT, MADT_AT, MCFG_AT, DMAR_AT, IVRS_AT, SSDT_AT,
};

static uint8_t mem[MEM_SIZE];

struct fake {
	void *win;		/* the current (only) mapping */
	unsigned nmaps;
	size_t max_len;
};

static const void *fake_map(void *ctx, uint64_t phys, size_t len)
{
	struct fake *f = ctx;

	f->nmaps++;
	free(f->win);
	f->win = NULL;
	if (len > f->max_len)
		f->max_len = len;
	if (phys < MEM_BASE || len > MEM_SIZE || phys - MEM_BASE > MEM_SIZE - len)
		return NULL;
	f->win = malloc(len ? len : 1);
	memcpy(f->win, mem + (phys - MEM_BASE), len);
	return f->win;
}

static struct acpi_info *ai;
static struct fake fk;

static int setup(void **state)
{
	(void)state;
	ai = calloc(1, sizeof(*ai));
	memset(mem, 0, sizeof(mem));
	memset(&fk, 0, sizeof(fk));
	return ai ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(fk.win);
	fk.win = NULL;
	free(ai);
	return 0;
}

static int parse_at(uint64_t rsdp)
{
	struct acpi_env env = { .map = fake_map, .ctx = &fk };
	int rc = acpi_parse(ai, &env, rsdp);

	free(fk.win);
	fk.win = NULL;
	return rc;
}

static int parse(void)
{
	return parse_at(RSDP_AT);
}

/* Runs a per-table parser on an exact-size heap copy of buf. */
static int run(int (*fn)(struct acpi_info *, const void *, size_t),
	       const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, buf, len);
	rc = fn(ai, copy, len);
	free(copy);
	return rc;
}

static bool has_error(const char *needle)
{
	for (unsigned i = 0; i < ai->nerrors && i < ACPI_MAX_ERRORS; i++)
		if (strstr(ai->errors[i], needle))
			return true;
	return false;
}

static const struct acpi_table_ref *find_ref(const char *sig)
{
	for (unsigned i = 0; i < ai->ntables; i++)
		if (!strcmp(ai->tables[i].sig, sig))
			return &ai->tables[i];
	return NULL;
}

/* ---- byte helpers ---- */

static uint8_t *P(uint64_t phys)
{
	assert_true(phys >= MEM_BASE && phys < MEM_BASE + MEM_SIZE);
	return mem + (phys - MEM_BASE);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void fix_sum(uint8_t *p, size_t len, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

/* Re-seals a table in mem after an edit, using its own length field. */
static void seal(uint64_t phys)
{
	fix_sum(P(phys), get32(P(phys) + 4), 9);
}

static void put_gas(uint8_t *p, uint8_t space, uint8_t width, uint64_t addr)
{
	p[0] = space;
	p[1] = width;
	p[2] = 0;
	p[3] = 1;
	put64(p + 4, addr);
}

/* ---- table builder ---- */

struct tb {
	uint8_t *p;
	size_t len;
};

static void tb_begin(struct tb *t, uint8_t *p, const char *sig, uint8_t rev, size_t hdrlen)
{
	memset(p, 0, hdrlen);
	memcpy(p, sig, 4);
	p[8] = rev;
	memcpy(p + 10, "VATRA ", 6);
	memcpy(p + 16, "TESTTBL ", 8);
	put32(p + 24, 1);
	memcpy(p + 28, "VTRA", 4);
	put32(p + 32, 1);
	t->p = p;
	t->len = hdrlen;
}

static uint8_t *tb_add(struct tb *t, size_t n)
{
	uint8_t *e = t->p + t->len;

	memset(e, 0, n);
	t->len += n;
	return e;
}

static void tb_bytes(struct tb *t, const void *b, size_t n)
{
	memcpy(tb_add(t, n), b, n);
}

static size_t tb_end(struct tb *t)
{
	put32(t->p + 4, (uint32_t)t->len);
	fix_sum(t->p, t->len, 9);
	return t->len;
}

static void madt_lapic(struct tb *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t *e = tb_add(t, 8);

	e[0] = 0;
	e[1] = 8;
	e[2] = uid;
	e[3] = id;
	put32(e + 4, flags);
}

static void madt_x2apic(struct tb *t, uint32_t id, uint32_t uid, uint32_t flags)
{
	uint8_t *e = tb_add(t, 16);

	e[0] = 9;
	e[1] = 16;
	put32(e + 4, id);
	put32(e + 8, flags);
	put32(e + 12, uid);
}

static void madt_ioapic(struct tb *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	uint8_t *e = tb_add(t, 12);

	e[0] = 1;
	e[1] = 12;
	e[2] = id;
	put32(e + 4, addr);
	put32(e + 8, gsi);
}

static void madt_iso(struct tb *t, uint8_t bus, uint8_t src, uint32_t gsi, uint16_t flags)
{
	uint8_t *e = tb_add(t, 10);

	e[0] = 2;
	e[1] = 10;
	e[2] = bus;
	e[3] = src;
	put32(e + 4, gsi);
	put16(e + 8, flags);
}

static void madt_begin(struct tb *t, uint8_t *p)
{
	tb_begin(t, p, "APIC", 5, 44);
	put32(p + 36, 0xfee00000);
	put32(p + 40, 1);	/* PCAT_COMPAT */
}

static size_t build_madt(uint8_t *p)
{
	struct tb t;
	uint8_t *e;

	madt_begin(&t, p);
	madt_lapic(&t, 0, 0, 1);
	madt_lapic(&t, 1, 2, 3);	/* bit 1 is reserved while enabled */
	madt_lapic(&t, 2, 4, 2);	/* online capable, not enabled */
	madt_lapic(&t, 3, 6, 0);	/* unusable: dropped */
	e = tb_add(&t, 6);		/* type 4 LAPIC NMI: skipped */
	e[0] = 4;
	e[1] = 6;
	e[2] = 0xff;
	madt_x2apic(&t, 0x100, 0x10, 1);
	madt_ioapic(&t, 8, 0xfec00000, 0);
	madt_ioapic(&t, 9, 0xfec01000, 24);
	madt_iso(&t, 0, 0, 2, 0);
	madt_iso(&t, 0, 9, 9, 0x000d);
	return tb_end(&t);
}

static void mcfg_entry(struct tb *t, uint64_t base, uint16_t seg, uint8_t b0, uint8_t b1)
{
	uint8_t *e = tb_add(t, 16);

	put64(e, base);
	put16(e + 8, seg);
	e[10] = b0;
	e[11] = b1;
}

static size_t build_mcfg(uint8_t *p)
{
	struct tb t;

	tb_begin(&t, p, "MCFG", 1, 44);
	mcfg_entry(&t, 0xe0000000, 0, 0, 255);
	mcfg_entry(&t, 0x3f00000000ull, 1, 0, 63);
	return tb_end(&t);
}

/* ACPI 6 FADT, 276 bytes. */
static size_t build_fadt(uint8_t *p, uint64_t dsdt)
{
	struct tb t;

	tb_begin(&t, p, "FACP", 6, 276);
	put32(p + 40, (uint32_t)dsdt);
	put16(p + 46, 9);		/* SCI_INT */
	put32(p + 48, 0xb2);		/* SMI_CMD */
	p[52] = 0xf0;			/* ACPI_ENABLE */
	put32(p + 64, 0x604);		/* PM1a_CNT_BLK (legacy) */
	put32(p + 68, 0);
	put32(p + 76, 0x608);		/* PM_TMR_BLK */
	p[91] = 4;
	put32(p + 112, (1u << 8) | (1u << 10));	/* TMR_VAL_EXT | RESET_REG_SUP */
	put_gas(p + 116, 1, 8, 0xcf9);	/* RESET_REG */
	p[128] = 0x06;
	p[131] = 4;			/* minor version */
	put64(p + 140, dsdt);		/* X_DSDT */
	put_gas(p + 172, 1, 16, 0x404);	/* X_PM1a_CNT_BLK, I/O: preferred */
	put_gas(p + 208, 0, 32, 0xfed00000);	/* X_PM_TMR_BLK in memory: ignored */
	return tb_end(&t);
}

/* Emits Name(\_S5, Package(n){elems}) with a PkgLength of pkgbytes bytes. */
static size_t emit_s5(uint8_t *o, int pkgbytes, uint8_t numel, const uint8_t *elems,
		      size_t nelem_bytes)
{
	size_t n = 0, pkglen = (size_t)pkgbytes + 1 + nelem_bytes;

	o[n++] = 0x08;
	o[n++] = '\\';
	memcpy(o + n, "_S5_", 4);
	n += 4;
	o[n++] = 0x12;
	if (pkgbytes == 1) {
		o[n++] = (uint8_t)pkglen;
	} else {
		o[n++] = (uint8_t)(((pkgbytes - 1) << 6) | (pkglen & 0x0f));
		for (int k = 1; k < pkgbytes; k++)
			o[n++] = (uint8_t)(pkglen >> (4 + 8 * (k - 1)));
	}
	o[n++] = numel;
	memcpy(o + n, elems, nelem_bytes);
	return n + nelem_bytes;
}

/* DSDT with some filler, a decoy "_S5_" reference, then the package. */
static size_t build_dsdt(uint8_t *p, int pkgbytes, uint8_t numel,
			 const uint8_t *elems, size_t nelem_bytes)
{
	static const uint8_t pre[] = {
		0x10, 0x05, '_', 'S', 'B', '_',		/* Scope(_SB) */
		0x70, '_', 'S', '5', '_', 0x60,		/* Store(_S5_, Local0) */
		0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x0a, 0x06, 0x0a, 0x06, 0x00, 0x00,
	};
	uint8_t aml[64];
	struct tb t;
	size_t n;

	tb_begin(&t, p, "DSDT", 2, 36);
	tb_bytes(&t, pre, sizeof(pre));
	n = emit_s5(aml, pkgbytes, numel, elems, nelem_bytes);
	tb_bytes(&t, aml, n);
	tb_bytes(&t, "\x5b\x80OPR_", 6);	/* trailing junk */
	return tb_end(&t);
}

static size_t build_dmar(uint8_t *p)
{
	struct tb t;
	uint8_t *e;

	tb_begin(&t, p, "DMAR", 1, 48);
	p[36] = 38;		/* 39-bit */
	p[37] = 0x05;		/* INTR_REMAP | DMA_CTRL_PLATFORM_OPT_IN */
	e = tb_add(&t, 24);	/* DRHD with one device scope */
	put16(e, 0);
	put16(e + 2, 24);
	put64(e + 8, 0xfed90000);
	e = tb_add(&t, 32);	/* RMRR */
	put16(e, 1);
	put16(e + 2, 32);
	e = tb_add(&t, 16);	/* DRHD, INCLUDE_PCI_ALL */
	put16(e, 0);
	put16(e + 2, 16);
	e[4] = 1;
	put64(e + 8, 0xfed91000);
	return tb_end(&t);
}

static void ivrs_block(struct tb *t, uint8_t type, uint16_t len)
{
	uint8_t *e = tb_add(t, len);

	e[0] = type;
	put16(e + 2, len);
}

static size_t build_ivrs(uint8_t *p)
{
	struct tb t;

	tb_begin(&t, p, "IVRS", 2, 48);
	put32(p + 36, 0x00203041);
	ivrs_block(&t, 0x10, 28);
	ivrs_block(&t, 0x11, 40);
	ivrs_block(&t, 0x21, 32);	/* IVMD: not counted */
	ivrs_block(&t, 0x40, 48);
	return tb_end(&t);
}

static void build_root(uint64_t at, const char *sig, const uint64_t *ents, size_t n)
{
	size_t esz = sig[0] == 'X' ? 8 : 4;
	struct tb t;

	tb_begin(&t, P(at), sig, 1, 36);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = tb_add(&t, esz);

		if (esz == 8)
			put64(e, ents[i]);
		else
			put32(e, (uint32_t)ents[i]);
	}
	tb_end(&t);
}

static void build_rsdp(uint64_t at, uint8_t rev, uint64_t rsdt, uint64_t xsdt)
{
	uint8_t *p = P(at);

	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "VATRA ", 6);
	p[15] = rev;
	put32(p + 16, (uint32_t)rsdt);
	put32(p + 20, 36);
	put64(p + 24, xsdt);
	fix_sum(p, 20, 8);
	fix_sum(p, 36, 32);
}

static const uint8_t s5_bytes[] = { 0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00 };

static void build_tree(void)
{
	struct tb t;

	memset(mem, 0, sizeof(mem));
	build_fadt(P(FADT_AT), DSDT_AT);
	build_dsdt(P(DSDT_AT), 1, 4, s5_bytes, sizeof(s5_bytes));
	build_madt(P(MADT_AT));
	build_mcfg(P(MCFG_AT));
	build_dmar(P(DMAR_AT));
	build_ivrs(P(IVRS_AT));
	tb_begin(&t, P(SSDT_AT), "SSDT", 2, 36);
	tb_bytes(&t, "\x10\x05_PR_", 6);
	tb_end(&t);
	build_root(XSDT_AT, "XSDT", good_entries, E_COUNT);
	build_root(RSDT_AT, "RSDT", good_entries, E_COUNT);
	build_rsdp(RSDP_AT, 2, RSDT_AT, XSDT_AT);
}

/* Everything the good tree describes, whichever root table was used. */
static void check_good_contents(void)
{
	assert_string_equal(ai->oem_id, "VATRA ");

	assert_true(ai->have_madt);
	assert_int_equal(ai->lapic_addr, 0xfee00000);
	assert_true(ai->pcat_compat);
	assert_int_equal(ai->ncpus, 4);
	assert_int_equal(ai->cpus[0].apic_id, 0);
	assert_true(ai->cpus[0].enabled);
	assert_false(ai->cpus[0].x2apic);
	assert_int_equal(ai->cpus[1].apic_id, 2);
	assert_int_equal(ai->cpus[1].uid, 1);
	assert_true(ai->cpus[1].enabled);
	assert_false(ai->cpus[1].online_capable);
	assert_int_equal(ai->cpus[2].apic_id, 4);
	assert_false(ai->cpus[2].enabled);
	assert_true(ai->cpus[2].online_capable);
	assert_int_equal(ai->cpus[3].apic_id, 0x100);
	assert_int_equal(ai->cpus[3].uid, 0x10);
	assert_true(ai->cpus[3].x2apic);
	assert_true(ai->cpus[3].enabled);
	assert_int_equal(ai->nioapics, 2);
	assert_int_equal(ai->ioapics[0].id, 8);
	assert_int_equal(ai->ioapics[0].addr, 0xfec00000);
	assert_int_equal(ai->ioapics[1].id, 9);
	assert_int_equal(ai->ioapics[1].gsi_base, 24);
	assert_int_equal(ai->nisos, 2);
	assert_int_equal(ai->isos[0].source, 0);
	assert_int_equal(ai->isos[0].gsi, 2);
	assert_int_equal(ai->isos[1].source, 9);
	assert_int_equal(ai->isos[1].gsi, 9);
	assert_int_equal(ai->isos[1].flags, 0x000d);

	assert_int_equal(ai->nmcfg, 2);
	assert_int_equal(ai->mcfg[0].base, 0xe0000000);
	assert_int_equal(ai->mcfg[0].bus_end, 255);
	assert_int_equal(ai->mcfg[1].base, 0x3f00000000ull);
	assert_int_equal(ai->mcfg[1].segment, 1);
	assert_int_equal(ai->mcfg[1].bus_end, 63);

	assert_true(ai->have_fadt);
	assert_int_equal(ai->fadt_rev, 6);
	assert_true(ai->reset_supported);
	assert_int_equal(ai->reset_reg.space, ACPI_GAS_IO);
	assert_int_equal(ai->reset_reg.bit_width, 8);
	assert_int_equal(ai->reset_reg.addr, 0xcf9);
	assert_int_equal(ai->reset_value, 6);
	assert_int_equal(ai->pm1a_cnt, 0x404);	/* X_ field in I/O space wins */
	assert_int_equal(ai->pm1b_cnt, 0);
	assert_int_equal(ai->pm_tmr, 0x608);	/* X_ field in memory: legacy */
	assert_true(ai->pm_tmr_32bit);
	assert_int_equal(ai->sci_irq, 9);
	assert_int_equal(ai->smi_cmd, 0xb2);
	assert_int_equal(ai->acpi_enable, 0xf0);
	assert_int_equal(ai->dsdt_phys, DSDT_AT);
	assert_false(ai->hw_reduced);

	assert_true(ai->have_s5);
	assert_int_equal(ai->slp_typa, 5);
	assert_int_equal(ai->slp_typb, 7);

	assert_true(ai->have_dmar);
	assert_int_equal(ai->dmar_haw, 39);
	assert_int_equal(ai->dmar_drhd, 2);
	assert_true(ai->dmar_intr_remap);
	assert_true(ai->have_ivrs);
	assert_int_equal(ai->ivrs_ivhd, 3);
}

/* ---- tests: checksum ---- */

static void test_checksum(void **state)
{
	uint8_t b[4] = { 0x10, 0x20, 0x30, 0xa0 };

	(void)state;
	assert_true(acpi_checksum_ok(b, 4));
	b[3] = 0xa1;
	assert_false(acpi_checksum_ok(b, 4));
	assert_true(acpi_checksum_ok(b, 0));
}

/* ---- tests: whole-tree walks ---- */

static void test_good_xsdt(void **state)
{
	(void)state;
	build_tree();
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->nerrors, 0);
	assert_int_equal(ai->rsdp_rev, 2);
	assert_true(ai->xsdt);
	assert_int_equal(ai->root_phys, XSDT_AT);
	/* The six root entries plus the DSDT, listed after the FADT. */
	assert_int_equal(ai->ntables, 7);
	assert_string_equal(ai->tables[0].sig, "FACP");
	assert_int_equal(ai->tables[0].phys, FADT_AT);
	assert_int_equal(ai->tables[0].len, 276);
	assert_int_equal(ai->tables[0].rev, 6);
	assert_string_equal(ai->tables[0].oem_id, "VATRA ");
	assert_string_equal(ai->tables[1].sig, "DSDT");
	assert_string_equal(ai->tables[2].sig, "APIC");
	assert_string_equal(ai->tables[6].sig, "SSDT");
	for (unsigned i = 0; i < ai->ntables; i++)
		assert_true(ai->tables[i].valid);
	check_good_contents();
	/* Never asked for more than the biggest table. */
	assert_true(fk.max_len <= 512);
}

static void test_rsdt_rev0(void **state)
{
	(void)state;
	build_tree();
	build_rsdp(RSDP_AT, 0, RSDT_AT, XSDT_AT);
	/* A revision 0 RSDP is only 20 bytes: break the rest to prove it
	 * is not consulted. */
	memset(P(RSDP_AT) + 20, 0xee, 16);
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->nerrors, 0);
	assert_int_equal(ai->rsdp_rev, 0);
	assert_false(ai->xsdt);
	assert_int_equal(ai->root_phys, RSDT_AT);
	assert_int_equal(ai->ntables, 7);
	check_good_contents();
}

static void test_v2_without_xsdt(void **state)
{
	(void)state;
	build_tree();
	build_rsdp(RSDP_AT, 2, RSDT_AT, 0);
	assert_int_equal(parse(), 0);
	assert_false(ai->xsdt);
	assert_int_equal(ai->root_phys, RSDT_AT);
	check_good_contents();
}

/* ---- tests: RSDP and root table corruption ---- */

static void test_rsdp_zero(void **state)
{
	(void)state;
	build_tree();
	assert_int_equal(parse_at(0), -ENOENT);
	assert_int_equal(fk.nmaps, 0);
}

static void test_rsdp_unreadable(void **state)
{
	(void)state;
	build_tree();
	assert_int_equal(parse_at(0x1000), -EFAULT);
	assert_true(has_error("RSDP: not readable"));
	/* The last 10 bytes of memory: v1 part not even mappable. */
	assert_int_equal(parse_at(MEM_BASE + MEM_SIZE - 10), -EFAULT);
}

static void test_rsdp_bad_signature(void **state)
{
	(void)state;
	build_tree();
	P(RSDP_AT)[3] = 'X';
	fix_sum(P(RSDP_AT), 20, 8);
	assert_int_equal(parse(), -EBADMSG);
	assert_string_equal(ai->errors[0], "RSDP: bad signature");
	assert_false(ai->have_madt);
}

static void test_rsdp_bad_checksum(void **state)
{
	(void)state;
	build_tree();
	P(RSDP_AT)[8] ^= 1;
	assert_int_equal(parse(), -EBADMSG);
	assert_string_equal(ai->errors[0], "RSDP: bad checksum");
	assert_int_equal(ai->ntables, 0);
}

static void test_rsdp_bad_ext_checksum(void **state)
{
	(void)state;
	build_tree();
	P(RSDP_AT)[33] = 0x5a;	/* reserved byte, extended checksum not fixed */
	assert_int_equal(parse(), -EBADMSG);
	assert_string_equal(ai->errors[0], "RSDP: bad extended checksum");
	assert_false(ai->have_madt);
}

static void test_rsdp_bad_length(void **state)
{
	(void)state;
	build_tree();
	put32(P(RSDP_AT) + 20, 8);
	fix_sum(P(RSDP_AT), 36, 32);
	assert_int_equal(parse(), -EBADMSG);
	assert_true(has_error("RSDP: length 8 out of range"));

	/* Longer than 36 is accepted if it is readable and sums to zero. */
	build_tree();
	put32(P(RSDP_AT) + 20, 40);
	fix_sum(P(RSDP_AT), 40, 32);
	assert_int_equal(parse(), 0);
	assert_true(ai->have_madt);
}

static void test_rsdp_no_root(void **state)
{
	(void)state;
	build_tree();
	build_rsdp(RSDP_AT, 2, 0, 0);
	assert_int_equal(parse(), -EBADMSG);
	assert_true(has_error("no RSDT or XSDT"));
}

static void test_xsdt_outside_memory(void **state)
{
	(void)state;
	build_tree();
	build_rsdp(RSDP_AT, 2, RSDT_AT, 0x20000000);
	assert_int_equal(parse(), -EFAULT);
	assert_true(has_error("XSDT: not readable at 0x20000000"));
	assert_int_equal(ai->ntables, 0);
	/* Address that wraps the 64-bit space. */
	build_rsdp(RSDP_AT, 2, RSDT_AT, UINT64_MAX - 8);
	assert_int_equal(parse(), -EFAULT);
}

static void test_xsdt_bad_checksum(void **state)
{
	(void)state;
	build_tree();
	P(XSDT_AT)[40] ^= 0x40;
	assert_int_equal(parse(), -EBADMSG);
	assert_string_equal(ai->errors[0], "XSDT: bad checksum");
	assert_false(ai->have_fadt);
}

static void test_xsdt_bad_signature(void **state)
{
	(void)state;
	build_tree();
	memcpy(P(XSDT_AT), "RSDT", 4);
	seal(XSDT_AT);
	assert_int_equal(parse(), -EBADMSG);
	assert_true(has_error("XSDT: bad signature"));
}

static void test_xsdt_bad_length(void **state)
{
	(void)state;
	/* Shorter than a header. */
	build_tree();
	put32(P(XSDT_AT) + 4, 20);
	fix_sum(P(XSDT_AT), 20, 9);
	assert_int_equal(parse(), -EBADMSG);
	assert_string_equal(ai->errors[0], "XSDT: length 20 shorter than header");

	/* Absurd: rejected before anything of that size is mapped. */
	build_tree();
	put32(P(XSDT_AT) + 4, 0xfffffff0);
	assert_int_equal(parse(), -EBADMSG);
	assert_true(has_error("XSDT: length 4294967280 too large"));
	assert_true(fk.max_len < 0x1000);

	/* Plausible but runs off the end of memory. */
	build_tree();
	put32(P(XSDT_AT) + 4, MEM_SIZE);
	assert_int_equal(parse(), -EFAULT);
	assert_true(has_error("XSDT: 262144 bytes at 0x7f000100 not readable"));
}

static void test_xsdt_partial_entry(void **state)
{
	(void)state;
	build_tree();
	/* 4 stray bytes after the six entries. */
	put32(P(XSDT_AT) + 4, 36 + 6 * 8 + 4);
	seal(XSDT_AT);
	assert_int_equal(parse(), 0);
	assert_true(has_error("XSDT: length 88 leaves a partial entry"));
	check_good_contents();
}

static void test_xsdt_entry_unreadable(void **state)
{
	(void)state;
	build_tree();
	put64(P(XSDT_AT) + 36 + 8 * E_DMAR, 0x10);
	put64(P(XSDT_AT) + 36 + 8 * E_SSDT, 0);
	seal(XSDT_AT);
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->nerrors, 2);
	assert_string_equal(ai->errors[0], "XSDT: entry 3 points at unreadable memory");
	assert_string_equal(ai->errors[1], "XSDT: entry 5 is null");
	assert_false(ai->have_dmar);
	assert_true(ai->have_madt);
	assert_true(ai->have_ivrs);
	assert_true(ai->have_s5);
	assert_int_equal(ai->ntables, 5);
}

/* ---- tests: individual bad tables during a walk ---- */

static void test_table_bad_checksum(void **state)
{
	const struct acpi_table_ref *r;

	(void)state;
	build_tree();
	P(MADT_AT)[50] ^= 0xff;
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->nerrors, 1);
	assert_string_equal(ai->errors[0], "APIC: bad checksum");
	r = find_ref("APIC");
	assert_non_null(r);
	assert_false(r->valid);
	assert_false(ai->have_madt);
	assert_int_equal(ai->ncpus, 0);
	/* Everything else is still parsed. */
	assert_int_equal(ai->nmcfg, 2);
	assert_true(ai->have_fadt);
	assert_true(ai->have_s5);
	assert_true(ai->have_dmar);
	assert_true(find_ref("MCFG")->valid);
}

static void test_table_short_length(void **state)
{
	(void)state;
	build_tree();
	put32(P(MCFG_AT) + 4, 20);
	assert_int_equal(parse(), 0);
	assert_string_equal(ai->errors[0], "MCFG: length 20 shorter than header");
	assert_false(find_ref("MCFG")->valid);
	assert_int_equal(find_ref("MCFG")->len, 20);
	assert_int_equal(ai->nmcfg, 0);
	assert_true(ai->have_madt);
}

static void test_table_huge_length(void **state)
{
	(void)state;
	build_tree();
	put32(P(MADT_AT) + 4, 0xffffff00);
	put32(P(DMAR_AT) + 4, 0x100000);	/* under the cap, past memory */
	assert_int_equal(parse(), 0);
	assert_true(has_error("APIC: length 4294967040 too large"));
	assert_true(has_error("DMAR: 1048576 bytes at 0x7f005000 not readable"));
	assert_false(ai->have_madt);
	assert_false(ai->have_dmar);
	assert_true(ai->have_ivrs);
	assert_true(fk.max_len <= 0x100000);
}

static void test_fadt_shorter_than_header(void **state)
{
	struct tb t;

	(void)state;
	build_tree();
	tb_begin(&t, P(FADT_AT), "FACP", 1, 40);
	tb_end(&t);
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->nerrors, 1);
	assert_string_equal(ai->errors[0], "FACP: length 40 shorter than header");
	assert_true(find_ref("FACP")->valid);	/* header and checksum were fine */
	assert_false(ai->have_fadt);
	assert_false(ai->have_s5);
	assert_null(find_ref("DSDT"));
}

static void test_dsdt_problems(void **state)
{
	(void)state;
	/* DSDT pointer into nowhere. */
	build_tree();
	put32(P(FADT_AT) + 40, 0x1000);
	put64(P(FADT_AT) + 140, 0x1000);
	seal(FADT_AT);
	assert_int_equal(parse(), 0);
	assert_true(has_error("DSDT: header at 0x1000 not readable"));
	assert_true(ai->have_fadt);
	assert_false(ai->have_s5);

	/* Pointer at something that is not a DSDT. */
	build_tree();
	put64(P(FADT_AT) + 140, SSDT_AT);
	seal(FADT_AT);
	assert_int_equal(parse(), 0);
	assert_true(has_error("DSDT pointer 0x7f007000 has wrong signature"));
	assert_false(ai->have_s5);

	/* Bad DSDT checksum. */
	build_tree();
	P(DSDT_AT)[40] ^= 1;
	assert_int_equal(parse(), 0);
	assert_string_equal(ai->errors[0], "DSDT: bad checksum");
	assert_false(find_ref("DSDT")->valid);
	assert_false(ai->have_s5);

	/* No DSDT at all. */
	build_tree();
	put32(P(FADT_AT) + 40, 0);
	put64(P(FADT_AT) + 140, 0);
	seal(FADT_AT);
	assert_int_equal(parse(), 0);
	assert_true(has_error("FACP: no DSDT address"));
}

static void test_duplicate_table(void **state)
{
	static const uint64_t ents[] = { MADT_AT, FREE_AT };
	struct tb t;

	(void)state;
	build_tree();
	madt_begin(&t, P(FREE_AT));
	madt_lapic(&t, 0, 0x33, 1);
	tb_end(&t);
	build_root(XSDT_AT, "XSDT", ents, 2);
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->ncpus, 4);		/* from the first MADT only */
	assert_true(has_error("APIC: duplicate table at 0x7f008000 ignored"));
	assert_int_equal(ai->ntables, 2);
}

static void test_too_many_tables(void **state)
{
	uint64_t ents[70];

	(void)state;
	build_tree();
	for (int i = 0; i < 70; i++)
		ents[i] = SSDT_AT;
	ents[69] = MADT_AT;	/* beyond the listing cap, still parsed */
	build_root(XSDT_AT, "XSDT", ents, 70);
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->ntables, ACPI_MAX_TABLES);
	assert_int_equal(ai->nerrors, 1);
	assert_string_equal(ai->errors[0], "XSDT: more than 64 tables, rest not listed");
	assert_true(ai->have_madt);
	assert_int_equal(ai->ncpus, 4);
}

static void test_error_overflow(void **state)
{
	uint64_t ents[20] = { 0 };

	(void)state;
	build_tree();
	build_root(XSDT_AT, "XSDT", ents, 20);
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->nerrors, ACPI_MAX_ERRORS);
	assert_string_equal(ai->errors[0], "XSDT: entry 0 is null");
	assert_string_equal(ai->errors[14], "XSDT: entry 14 is null");
	assert_string_equal(ai->errors[ACPI_MAX_ERRORS - 1], "further errors dropped");
}

static void test_garbage_signature_sanitized(void **state)
{
	(void)state;
	build_tree();
	memcpy(P(SSDT_AT), "\x01" "AB\xff", 4);	/* checksum now wrong too */
	assert_int_equal(parse(), 0);
	assert_string_equal(ai->errors[0], "?AB?: bad checksum");
	assert_non_null(find_ref("?AB?"));
	assert_false(find_ref("?AB?")->valid);
}

/* ---- tests: MADT ---- */

static void test_madt_zero_length_entry(void **state)
{
	uint8_t buf[128];
	struct tb t;
	uint8_t *e;

	(void)state;
	madt_begin(&t, buf);
	tb_add(&t, 8);		/* type 0, length 0 */
	tb_end(&t);
	assert_int_equal(run(acpi_parse_madt, buf, t.len), -EBADMSG);
	assert_int_equal(ai->nerrors, 1);
	assert_string_equal(ai->errors[0], "APIC: entry type 0 at offset 44 has length 0");
	assert_true(ai->have_madt);

	/* Partial results before the bad entry are kept. */
	memset(ai, 0, sizeof(*ai));
	madt_begin(&t, buf);
	madt_lapic(&t, 0, 1, 1);
	madt_ioapic(&t, 2, 0xfec00000, 0);
	tb_add(&t, 4)[0] = 1;	/* type 1, length 0 */
	madt_lapic(&t, 1, 3, 1);
	tb_end(&t);
	assert_int_equal(run(acpi_parse_madt, buf, t.len), -EBADMSG);
	assert_string_equal(ai->errors[0], "APIC: entry type 1 at offset 64 has length 0");
	assert_int_equal(ai->ncpus, 1);
	assert_int_equal(ai->nioapics, 1);

	/* Length 1 cannot even cover the type and length bytes. */
	memset(ai, 0, sizeof(*ai));
	madt_begin(&t, buf);
	e = tb_add(&t, 8);
	e[0] = 0x7f;
	e[1] = 1;
	tb_end(&t);
	assert_int_equal(run(acpi_parse_madt, buf, t.len), -EBADMSG);
	assert_string_equal(ai->errors[0], "APIC: entry type 127 at offset 44 has length 1");
}

static void test_madt_entry_past_end(void **state)
{
	uint8_t buf[128];
	struct tb t;

	(void)state;
	madt_begin(&t, buf);
	madt_lapic(&t, 0, 1, 1);
	madt_x2apic(&t, 0x200, 1, 1);
	tb_end(&t);
	/* Cut the x2APIC entry short but keep its length byte. */
	assert_int_equal(run(acpi_parse_madt, buf, t.len - 4), -EBADMSG);
	assert_string_equal(ai->errors[0],
			    "APIC: entry type 9 at offset 52 runs past end (length 16)");
	assert_int_equal(ai->ncpus, 1);

	/* Only one byte of an entry header left. */
	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_parse_madt, buf, 53), -EBADMSG);
	assert_true(has_error("truncated entry header at offset 52"));
	assert_int_equal(ai->ncpus, 1);
}

static void test_madt_entry_too_short(void **state)
{
	uint8_t buf[128];
	struct tb t;
	uint8_t *e;

	(void)state;
	madt_begin(&t, buf);
	e = tb_add(&t, 8);	/* an I/O APIC entry needs 12 bytes */
	e[0] = 1;
	e[1] = 8;
	tb_end(&t);
	assert_int_equal(run(acpi_parse_madt, buf, t.len), -EBADMSG);
	assert_true(has_error("entry type 1 at offset 44 too short (length 8)"));
	assert_int_equal(ai->nioapics, 0);

	/* Header only: valid, empty. Shorter than the MADT header: error. */
	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_parse_madt, buf, 44), 0);
	assert_true(ai->have_madt);
	assert_int_equal(ai->nerrors, 0);
	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_parse_madt, buf, 40), -EBADMSG);
	assert_string_equal(ai->errors[0], "APIC: length 40 shorter than header");
	assert_false(ai->have_madt);
}

static void test_madt_too_many_cpus(void **state)
{
	uint8_t *p = P(MADT_AT);
	struct tb t;

	(void)state;
	build_tree();
	madt_begin(&t, p);
	for (int i = 0; i < 200; i++)
		madt_lapic(&t, (uint8_t)i, (uint8_t)i, 1);
	for (int i = 0; i < 100; i++)
		madt_x2apic(&t, 0x1000 + (uint32_t)i, 1000 + (uint32_t)i, 1);
	madt_ioapic(&t, 1, 0xfec00000, 0);	/* after the overflow */
	tb_end(&t);
	assert_int_equal(parse(), 0);
	assert_int_equal(ai->ncpus, ACPI_MAX_CPUS);
	assert_int_equal(ai->cpus[199].apic_id, 199);
	assert_true(ai->cpus[200].x2apic);
	assert_int_equal(ai->cpus[255].apic_id, 0x1000 + 55);
	assert_int_equal(ai->nerrors, 1);
	assert_string_equal(ai->errors[0], "APIC: more than 256 usable CPUs, rest ignored");
	assert_int_equal(ai->nioapics, 1);
	assert_true(find_ref("APIC")->valid);
}

static void test_madt_too_many_ioapics_isos(void **state)
{
	static uint8_t buf[2048];
	struct tb t;

	(void)state;
	madt_begin(&t, buf);
	for (int i = 0; i < 20; i++)
		madt_ioapic(&t, (uint8_t)i, 0xfec00000 + 0x1000u * (uint32_t)i, 24u * (uint32_t)i);
	for (int i = 0; i < 40; i++)
		madt_iso(&t, 0, (uint8_t)i, (uint32_t)i, 0);
	tb_end(&t);
	assert_int_equal(run(acpi_parse_madt, buf, t.len), 0);
	assert_int_equal(ai->nioapics, ACPI_MAX_IOAPICS);
	assert_int_equal(ai->ioapics[15].gsi_base, 24 * 15);
	assert_int_equal(ai->nisos, ACPI_MAX_ISOS);
	assert_int_equal(ai->isos[31].source, 31);
	assert_int_equal(ai->nerrors, 2);
	assert_true(has_error("more than 16 I/O APICs"));
	assert_true(has_error("more than 32 interrupt overrides"));
}

/* Every FADT field the parser reads, with the table ending exactly at the
 * field's last byte (read) and one byte earlier (absent, the value it
 * has without the field); offsets from ACPI 6.5, 5.2.9. */
enum fadt_field { FF_SCI, FF_SMI, FF_ENABLE, FF_PM1A, FF_TMR, FF_TMR32, FF_RESET, FF_DSDT };

static uint64_t fadt_field(enum fadt_field f)
{
	switch (f) {
	case FF_SCI: return ai->sci_irq;
	case FF_SMI: return ai->smi_cmd;
	case FF_ENABLE: return ai->acpi_enable;
	case FF_PM1A: return ai->pm1a_cnt;
	case FF_TMR: return ai->pm_tmr;
	case FF_TMR32: return ai->pm_tmr_32bit;
	case FF_RESET: return ai->reset_supported;
	case FF_DSDT: return ai->dsdt_phys;
	}
	return ~0ull;
}

static void test_fadt_field_boundaries(void **state)
{
	static const struct {
		const char *field;
		size_t end;                  /* offset + size */
		enum fadt_field f;
		uint64_t with, without;
	} t[] = {
		{ "SCI_INT", 48, FF_SCI, 9, 0 },
		{ "SMI_CMD", 52, FF_SMI, 0xb2, 0 },
		{ "ACPI_ENABLE", 53, FF_ENABLE, 0xf0, 0 },
		{ "PM1a_CNT_BLK", 68, FF_PM1A, 0x604, 0 },
		{ "PM_TMR_BLK", 80, FF_TMR, 0x608, 0 },
		{ "Flags (TMR_VAL_EXT)", 116, FF_TMR32, 1, 0 },
		{ "RESET_VALUE", 129, FF_RESET, 1, 0 },
		{ "X_DSDT", 148, FF_DSDT, 0x987654321ull, 0x12345678 },
		{ "X_PM1a_CNT_BLK", 184, FF_PM1A, 0x404, 0x604 },
	};
	uint8_t buf[276];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (size_t cut = 0; cut <= 1; cut++) {
			uint64_t got, want = cut ? t[i].without : t[i].with;

			build_fadt(buf, 0x12345678);
			put64(buf + 140, 0x987654321ull);
			memset(ai, 0, sizeof(*ai));
			assert_int_equal(run(acpi_parse_fadt, buf, t[i].end - cut), 0);
			got = fadt_field(t[i].f);
			if (got != want)
				fail_msg("FADT of %zu bytes: %s is %#llx, want %#llx", t[i].end - cut,
					 t[i].field, (unsigned long long)got, (unsigned long long)want);
		}
	}
}

/* ---- tests: exact boundaries of every table with entries ---- */

typedef int (*table_fn)(struct acpi_info *, const void *, size_t);

/* A table whose last entry ends exactly at len: len parses cleanly and
 * stores that entry (count() goes from before to before + 1); len - 1
 * cuts the entry by one byte, which must be refused with the entry not
 * stored; len + 1 leaves one stray byte after it, refused as a truncated
 * header with every entry kept. Checked by results, not by a sanitizer:
 * an off-by-one that accepts the cut entry fails here. */
static void boundary(table_fn fn, uint8_t *buf, size_t len, unsigned (*count)(void),
		     unsigned before, const char *cut_msg, const char *extra_msg)
{
	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(fn, buf, len), 0);
	assert_int_equal(ai->nerrors, 0);
	assert_int_equal(count(), before + 1);

	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(fn, buf, len - 1), -EBADMSG);
	if (!has_error(cut_msg))
		fail_msg("len - 1: want '%s', got '%s'", cut_msg, ai->nerrors ? ai->errors[0] : "");
	assert_int_equal(count(), before);

	memset(ai, 0, sizeof(*ai));
	buf[len] = 0;
	assert_int_equal(run(fn, buf, len + 1), -EBADMSG);
	if (!has_error(extra_msg))
		fail_msg("len + 1: want '%s', got '%s'", extra_msg, ai->nerrors ? ai->errors[0] : "");
	assert_int_equal(count(), before + 1);
}

static unsigned count_cpus(void) { return ai->ncpus; }
static unsigned count_ioapics(void) { return ai->nioapics; }
static unsigned count_isos(void) { return ai->nisos; }
static unsigned count_mcfg(void) { return ai->nmcfg; }
static unsigned count_drhd(void) { return ai->dmar_drhd; }
static unsigned count_ivhd(void) { return ai->ivrs_ivhd; }

static void test_madt_exact_boundaries(void **state)
{
	uint8_t buf[128];
	struct tb t;

	(void)state;
	/* Each entry type the parser stores, as the last entry. */
	madt_begin(&t, buf);
	madt_ioapic(&t, 1, 0xfec00000, 0);
	madt_lapic(&t, 0, 1, 1);
	boundary(acpi_parse_madt, buf, tb_end(&t), count_cpus, 0,
		 "entry type 0 at offset 56 runs past end (length 8)",
		 "truncated entry header at offset 64");
	madt_begin(&t, buf);
	madt_lapic(&t, 0, 1, 1);
	madt_x2apic(&t, 0x200, 1, 1);
	boundary(acpi_parse_madt, buf, tb_end(&t), count_cpus, 1,
		 "entry type 9 at offset 52 runs past end (length 16)",
		 "truncated entry header at offset 68");
	madt_begin(&t, buf);
	madt_lapic(&t, 0, 1, 1);
	madt_ioapic(&t, 1, 0xfec00000, 0);
	boundary(acpi_parse_madt, buf, tb_end(&t), count_ioapics, 0,
		 "entry type 1 at offset 52 runs past end (length 12)",
		 "truncated entry header at offset 64");
	madt_begin(&t, buf);
	madt_iso(&t, 0, 0, 2, 0);
	boundary(acpi_parse_madt, buf, tb_end(&t), count_isos, 0,
		 "entry type 2 at offset 44 runs past end (length 10)",
		 "truncated entry header at offset 54");
}

static void test_other_tables_exact_boundaries(void **state)
{
	static uint8_t buf[256];
	struct tb t;
	uint8_t *e;

	(void)state;
	tb_begin(&t, buf, "MCFG", 1, 44);
	mcfg_entry(&t, 0xe0000000, 0, 0, 255);
	mcfg_entry(&t, 0xd0000000, 1, 0, 15);
	boundary(acpi_parse_mcfg, buf, tb_end(&t), count_mcfg, 1,
		 "length 75 leaves a partial 15-byte entry",
		 "length 77 leaves a partial 1-byte entry");

	tb_begin(&t, buf, "DMAR", 1, 48);
	buf[36] = 38;
	e = tb_add(&t, 16);
	put16(e + 2, 16);
	put64(e + 8, 0xfed90000);
	e = tb_add(&t, 16);
	put16(e + 2, 16);
	e[4] = 1;
	put64(e + 8, 0xfed91000);
	boundary(acpi_parse_dmar, buf, tb_end(&t), count_drhd, 1,
		 "structure type 0 at offset 64 runs past end (length 16)",
		 "truncated structure header at offset 80");

	tb_begin(&t, buf, "IVRS", 2, 48);
	ivrs_block(&t, 0x10, 28);
	ivrs_block(&t, 0x11, 40);
	boundary(acpi_parse_ivrs, buf, tb_end(&t), count_ivhd, 1,
		 "block type 0x11 at offset 76 runs past end (length 40)",
		 "truncated block header at offset 116");
}

/* ---- tests: MCFG ---- */

static void test_mcfg_partial_entry(void **state)
{
	uint8_t buf[128];
	struct tb t;

	(void)state;
	tb_begin(&t, buf, "MCFG", 1, 44);
	mcfg_entry(&t, 0xe0000000, 0, 0, 255);
	tb_add(&t, 8);
	tb_end(&t);
	assert_int_equal(run(acpi_parse_mcfg, buf, t.len), -EBADMSG);
	assert_string_equal(ai->errors[0], "MCFG: length 68 leaves a partial 8-byte entry");
	assert_int_equal(ai->nmcfg, 1);
	assert_int_equal(ai->mcfg[0].base, 0xe0000000);

	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_parse_mcfg, buf, 43), -EBADMSG);
	assert_string_equal(ai->errors[0], "MCFG: length 43 shorter than header");
}

static void test_mcfg_bad_entries(void **state)
{
	static uint8_t buf[512];
	struct tb t;

	(void)state;
	tb_begin(&t, buf, "MCFG", 1, 44);
	mcfg_entry(&t, 0xe0000000, 0, 10, 5);		/* inverted */
	mcfg_entry(&t, 0, 1, 0, 255);			/* no base */
	for (int i = 0; i < 10; i++)
		mcfg_entry(&t, 0x100000000ull * (uint64_t)(i + 1), (uint16_t)i, 0, 255);
	tb_end(&t);
	assert_int_equal(run(acpi_parse_mcfg, buf, t.len), -EBADMSG);
	assert_true(has_error("MCFG: entry 0 bus range 10-5 is inverted"));
	assert_true(has_error("MCFG: entry 1 has base address 0"));
	assert_true(has_error("MCFG: more than 8 entries"));
	assert_int_equal(ai->nmcfg, ACPI_MAX_MCFG);
	assert_int_equal(ai->mcfg[0].segment, 0);
	assert_int_equal(ai->mcfg[0].base, 0x100000000ull);
}

/* ---- tests: FADT ---- */

static void test_fadt_acpi1(void **state)
{
	uint8_t buf[276];

	(void)state;
	build_fadt(buf, 0x12345678);
	buf[8] = 1;
	/* Only the first 116 bytes exist in an ACPI 1.0 FADT: the reset
	 * register, X_DSDT and X_ blocks are beyond the table. */
	put64(buf + 140, 0x999999999ull);
	assert_int_equal(run(acpi_parse_fadt, buf, 116), 0);
	assert_int_equal(ai->nerrors, 0);
	assert_true(ai->have_fadt);
	assert_int_equal(ai->fadt_rev, 1);
	assert_int_equal(ai->dsdt_phys, 0x12345678);
	assert_false(ai->reset_supported);	/* flag set, field absent */
	assert_int_equal(ai->pm1a_cnt, 0x604);	/* legacy field */
	assert_int_equal(ai->pm_tmr, 0x608);
	assert_true(ai->pm_tmr_32bit);
	assert_int_equal(ai->sci_irq, 9);

	/* 60 bytes: DSDT, SCI and SMI fields but no PM blocks or flags. */
	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_parse_fadt, buf, 60), 0);
	assert_int_equal(ai->dsdt_phys, 0x12345678);
	assert_int_equal(ai->smi_cmd, 0xb2);
	assert_int_equal(ai->pm1a_cnt, 0);
	assert_int_equal(ai->pm_tmr, 0);
	assert_false(ai->pm_tmr_32bit);
}

static void test_fadt_x_fields(void **state)
{
	uint8_t buf[276];

	(void)state;
	build_fadt(buf, 0x1000);
	put64(buf + 140, 0x123456789ull);		/* X_DSDT wins */
	put32(buf + 68, 0x605);				/* PM1b legacy */
	put_gas(buf + 184, 0, 16, 0xfed00000);		/* X_PM1b in memory */
	put_gas(buf + 208, 1, 32, 0x10008);		/* X_PM_TMR: not a port */
	assert_int_equal(run(acpi_parse_fadt, buf, sizeof(buf)), 0);
	assert_int_equal(ai->dsdt_phys, 0x123456789ull);
	assert_int_equal(ai->pm1a_cnt, 0x404);
	assert_int_equal(ai->pm1b_cnt, 0x605);
	assert_int_equal(ai->pm_tmr, 0x608);
	assert_true(ai->reset_supported);

	/* X_PM_TMR in I/O space is preferred; no reset without the flag. */
	memset(ai, 0, sizeof(*ai));
	put_gas(buf + 208, 1, 32, 0x408);
	put32(buf + 112, 0);
	assert_int_equal(run(acpi_parse_fadt, buf, sizeof(buf)), 0);
	assert_int_equal(ai->pm_tmr, 0x408);
	assert_false(ai->pm_tmr_32bit);
	assert_false(ai->reset_supported);
}

static void test_fadt_hw_reduced(void **state)
{
	uint8_t buf[276];

	(void)state;
	build_fadt(buf, 0x1000);
	put32(buf + 112, (1u << 20) | (1u << 10) | (1u << 8));
	assert_int_equal(run(acpi_parse_fadt, buf, sizeof(buf)), 0);
	assert_true(ai->hw_reduced);
	assert_int_equal(ai->pm1a_cnt, 0);
	assert_int_equal(ai->pm_tmr, 0);
	assert_false(ai->pm_tmr_32bit);
	assert_int_equal(ai->sci_irq, 0);
	assert_int_equal(ai->smi_cmd, 0);
	assert_true(ai->reset_supported);
	assert_int_equal(ai->reset_reg.addr, 0xcf9);
	assert_int_equal(ai->dsdt_phys, 0x1000);
}

/* ---- tests: _S5 ---- */

static int s5_run(const uint8_t *aml, size_t n)
{
	uint8_t buf[256];
	struct tb t;

	tb_begin(&t, buf, "DSDT", 2, 36);
	tb_bytes(&t, aml, n);
	tb_end(&t);
	return run(acpi_find_s5, buf, t.len);
}

static void test_s5_encodings(void **state)
{
	static const struct {
		int pkgbytes;
		uint8_t numel;
		uint8_t elems[12];
		size_t n;
		uint8_t a, b;
	} cases[] = {
		{ 1, 2, { 0x00, 0x00 }, 2, 0, 0 },			/* ZeroOp */
		{ 1, 4, { 0x01, 0x00, 0x00, 0x00 }, 4, 1, 0 },		/* OneOp */
		{ 1, 4, { 0x0a, 0x07, 0x0a, 0x07, 0x00, 0x00 }, 6, 7, 7 },	/* BytePrefix */
		{ 1, 2, { 0x0b, 0x05, 0x00, 0x0a, 0x03 }, 5, 5, 3 },	/* WordPrefix */
		{ 1, 2, { 0x0c, 0x06, 0, 0, 0, 0x01 }, 6, 6, 1 },		/* DWordPrefix */
		{ 2, 4, { 0x0a, 0x05, 0x00, 0x00, 0x00 }, 5, 5, 0 },	/* 2-byte PkgLength */
		{ 3, 2, { 0x01, 0x0a, 0x02 }, 3, 1, 2 },		/* 3-byte PkgLength */
		{ 4, 2, { 0x0a, 0x04, 0x01 }, 3, 4, 1 },		/* 4-byte PkgLength */
	};
	uint8_t buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = build_dsdt(buf, cases[i].pkgbytes, cases[i].numel,
					cases[i].elems, cases[i].n);

		memset(ai, 0, sizeof(*ai));
		assert_int_equal(run(acpi_find_s5, buf, len), 0);
		assert_int_equal(ai->nerrors, 0);
		assert_true(ai->have_s5);
		assert_int_equal(ai->slp_typa, cases[i].a);
		assert_int_equal(ai->slp_typb, cases[i].b);
	}
}

static void test_s5_not_found(void **state)
{
	static const uint8_t decoys[] = {
		0x70, '_', 'S', '5', '_', 0x60,		/* reference */
		0x0d, 'x', '_', 'S', '5', '_', 0x00,	/* string */
		'_', 'S', '5',
	};

	(void)state;
	assert_int_equal(s5_run(decoys, sizeof(decoys)), 0);
	assert_false(ai->have_s5);
	assert_int_equal(ai->nerrors, 0);
	/* "_S5_" as the very last bytes: nothing follows, nothing found. */
	assert_int_equal(s5_run((const uint8_t *)"\x08_S5_", 5), 0);
	assert_false(ai->have_s5);
	/* Header only. */
	assert_int_equal(s5_run(decoys, 0), 0);
	assert_false(ai->have_s5);
	/* Shorter than a header. */
	assert_int_equal(run(acpi_find_s5, decoys, sizeof(decoys)), -EBADMSG);
	assert_true(has_error("DSDT: length 16 shorter than header"));
}

static void test_s5_malformed(void **state)
{
	uint8_t aml[32];
	size_t n;

	(void)state;
	/* One element only. */
	n = emit_s5(aml, 1, 1, (const uint8_t *)"\x0a\x05", 2);
	assert_int_equal(s5_run(aml, n), -EBADMSG);
	assert_true(has_error("has 1 elements, need 2"));
	assert_false(ai->have_s5);

	/* A String where an integer should be. */
	memset(ai, 0, sizeof(*ai));
	n = emit_s5(aml, 1, 2, (const uint8_t *)"\x0a\x05\x0d\x41\x00", 5);
	assert_int_equal(s5_run(aml, n), -EBADMSG);
	assert_true(has_error("_S5_ element 1 has unsupported opcode 0xd"));
	assert_false(ai->have_s5);

	/* A word that does not fit SLP_TYP. */
	memset(ai, 0, sizeof(*ai));
	n = emit_s5(aml, 1, 2, (const uint8_t *)"\x0b\x00\x01\x00", 4);
	assert_int_equal(s5_run(aml, n), -EBADMSG);
	assert_true(has_error("element 0 value 0x100 out of range"));

	/* PkgLength too small to hold even NumElements. */
	memset(ai, 0, sizeof(*ai));
	memcpy(aml, "\x08_S5_\x12\x01\x02\x00\x00", 11);
	assert_int_equal(s5_run(aml, 11), -EBADMSG);
	assert_true(has_error("package length 1"));

	/* PkgLength claims more than its elements: the second element is
	 * outside the package. */
	memset(ai, 0, sizeof(*ai));
	memcpy(aml, "\x08_S5_\x12\x04\x02\x0a\x05\x0a\x05", 12);
	assert_int_equal(s5_run(aml, 12), -EBADMSG);
	assert_true(has_error("truncated"));
	assert_false(ai->have_s5);

	/* The package ends inside a WordPrefix operand: the bytes after the
	 * package are readable but must not be used. */
	memset(ai, 0, sizeof(*ai));
	memcpy(aml, "\x08_S5_\x12\x05\x02\x0a\x05\x0b\x07\x00\x00\x00", 14);
	assert_int_equal(s5_run(aml, 14), -EBADMSG);
	assert_true(has_error("DSDT: _S5_ package at offset 37 truncated"));
	assert_false(ai->have_s5);
}

static void test_s5_truncated(void **state)
{
	uint8_t buf[512], aml[32];
	struct tb t;
	size_t n, name_at, i;

	(void)state;
	/* 4-byte PkgLength so truncation hits every kind of field. */
	n = emit_s5(aml, 4, 2, (const uint8_t *)"\x0b\x05\x00\x0a\x05", 5);
	tb_begin(&t, buf, "DSDT", 2, 36);
	tb_bytes(&t, "\x10\x05_SB_", 6);
	name_at = t.len + 2;	/* after NameOp and '\' */
	tb_bytes(&t, aml, n);
	tb_end(&t);

	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_find_s5, buf, t.len), 0);
	assert_true(ai->have_s5);
	assert_int_equal(ai->slp_typa, 5);

	/* Cutting anywhere after the PackageOp is a truncated package; before
	 * it, there is simply no _S5_ package. Exact-size copies make ASan
	 * catch any peek past the cut. */
	for (i = name_at; i < t.len; i++) {
		memset(ai, 0, sizeof(*ai));
		if (i <= name_at + 4) {
			assert_int_equal(run(acpi_find_s5, buf, i), 0);
			assert_int_equal(ai->nerrors, 0);
		} else {
			assert_int_equal(run(acpi_find_s5, buf, i), -EBADMSG);
			assert_true(has_error("DSDT: _S5_ package at offset 44 truncated"));
		}
		assert_false(ai->have_s5);
	}
}

/* ---- tests: DMAR and IVRS ---- */

static void test_dmar(void **state)
{
	uint8_t buf[256];
	size_t len;
	struct tb t;

	(void)state;
	len = build_dmar(buf);
	assert_int_equal(run(acpi_parse_dmar, buf, len), 0);
	assert_true(ai->have_dmar);
	assert_int_equal(ai->dmar_haw, 39);
	assert_true(ai->dmar_intr_remap);
	assert_int_equal(ai->dmar_drhd, 2);

	/* Zero-length structure after the first DRHD. */
	memset(ai, 0, sizeof(*ai));
	put16(buf + 48 + 24 + 2, 0);
	assert_int_equal(run(acpi_parse_dmar, buf, len), -EBADMSG);
	assert_string_equal(ai->errors[0], "DMAR: structure type 1 at offset 72 has length 0");
	assert_int_equal(ai->dmar_drhd, 1);

	/* A length of 2 does not cover the 4-byte structure header. */
	memset(ai, 0, sizeof(*ai));
	len = build_dmar(buf);
	put16(buf + 48 + 2, 2);
	assert_int_equal(run(acpi_parse_dmar, buf, len), -EBADMSG);
	assert_string_equal(ai->errors[0], "DMAR: structure type 0 at offset 48 has length 2");
	assert_int_equal(ai->dmar_drhd, 0);

	/* DRHD shorter than its fixed part. */
	memset(ai, 0, sizeof(*ai));
	tb_begin(&t, buf, "DMAR", 1, 48);
	put16(tb_add(&t, 8) + 2, 8);
	tb_end(&t);
	assert_int_equal(run(acpi_parse_dmar, buf, t.len), -EBADMSG);
	assert_true(has_error("DMAR: DRHD at offset 48 too short (length 8)"));
	assert_int_equal(ai->dmar_drhd, 0);

	/* Running past the end; truncated structure header. */
	memset(ai, 0, sizeof(*ai));
	len = build_dmar(buf);
	assert_int_equal(run(acpi_parse_dmar, buf, len - 1), -EBADMSG);
	assert_true(has_error("runs past end"));
	assert_int_equal(ai->dmar_drhd, 1);
	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_parse_dmar, buf, 50), -EBADMSG);
	assert_true(has_error("truncated structure header at offset 48"));

	/* Absurd address width; short header. */
	memset(ai, 0, sizeof(*ai));
	buf[36] = 200;
	assert_int_equal(run(acpi_parse_dmar, buf, len), -EBADMSG);
	assert_true(has_error("host address width 201 out of range"));
	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_parse_dmar, buf, 47), -EBADMSG);
	assert_false(ai->have_dmar);
}

static void test_ivrs(void **state)
{
	uint8_t buf[256];
	size_t len;

	(void)state;
	len = build_ivrs(buf);
	assert_int_equal(run(acpi_parse_ivrs, buf, len), 0);
	assert_true(ai->have_ivrs);
	assert_int_equal(ai->ivrs_ivhd, 3);

	/* Zero-length IVMD after two IVHDs. */
	memset(ai, 0, sizeof(*ai));
	put16(buf + 48 + 28 + 40 + 2, 0);
	assert_int_equal(run(acpi_parse_ivrs, buf, len), -EBADMSG);
	assert_string_equal(ai->errors[0], "IVRS: block type 0x21 at offset 116 has length 0");
	assert_int_equal(ai->ivrs_ivhd, 2);

	/* Length 3 does not cover the 4-byte block header. */
	memset(ai, 0, sizeof(*ai));
	len = build_ivrs(buf);
	put16(buf + 48 + 2, 3);
	assert_int_equal(run(acpi_parse_ivrs, buf, len), -EBADMSG);
	assert_string_equal(ai->errors[0], "IVRS: block type 0x10 at offset 48 has length 3");
	assert_int_equal(ai->ivrs_ivhd, 0);

	/* Type 11h block shorter than its 40-byte header. */
	memset(ai, 0, sizeof(*ai));
	len = build_ivrs(buf);
	put16(buf + 48 + 28 + 2, 24);
	assert_int_equal(run(acpi_parse_ivrs, buf, 48 + 28 + 24), -EBADMSG);
	assert_true(has_error("IVHD type 0x11 at offset 76 too short (length 24)"));
	assert_int_equal(ai->ivrs_ivhd, 1);

	/* Past the end; short header. */
	memset(ai, 0, sizeof(*ai));
	len = build_ivrs(buf);
	assert_int_equal(run(acpi_parse_ivrs, buf, len - 8), -EBADMSG);
	assert_true(has_error("block type 0x40 at offset 148 runs past end (length 48)"));
	assert_int_equal(ai->ivrs_ivhd, 2);
	memset(ai, 0, sizeof(*ai));
	assert_int_equal(run(acpi_parse_ivrs, buf, 40), -EBADMSG);
	assert_string_equal(ai->errors[0], "IVRS: length 40 shorter than header");
}

/* ---- fuzz-ish ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void check_sane(void)
{
	assert_true(ai->ntables <= ACPI_MAX_TABLES);
	assert_true(ai->ncpus <= ACPI_MAX_CPUS);
	assert_true(ai->nioapics <= ACPI_MAX_IOAPICS);
	assert_true(ai->nisos <= ACPI_MAX_ISOS);
	assert_true(ai->nmcfg <= ACPI_MAX_MCFG);
	assert_true(ai->nerrors <= ACPI_MAX_ERRORS);
	for (unsigned i = 0; i < ai->nerrors; i++)
		assert_true(memchr(ai->errors[i], '\0', ACPI_MSG_MAX) != NULL);
	for (unsigned i = 0; i < ai->ntables; i++) {
		assert_int_equal(strlen(ai->tables[i].sig), 4);
		assert_true(strlen(ai->tables[i].oem_id) <= 6);
	}
	assert_true(strlen(ai->oem_id) <= 6);
}

static const uint64_t all_tables[] = {
	XSDT_AT, RSDT_AT, FADT_AT, DSDT_AT, MADT_AT, MCFG_AT, DMAR_AT, IVRS_AT, SSDT_AT,
};

static void test_fuzz_tree(void **state)
{
	unsigned outcomes[3] = { 0 };

	(void)state;
	for (int iter = 0; iter < 4000; iter++) {
		int nmut = 1 + (int)(rng() % 8), rc;
		bool reseal = rng() & 1;

		build_tree();
		for (int m = 0; m < nmut; m++) {
			uint64_t base = all_tables[rng() % 9];
			uint64_t r = rng();

			switch (r % 4) {
			case 0:		/* any byte of a table or the RSDP */
				P(base)[(r >> 8) % 96] = (uint8_t)(r >> 32);
				break;
			case 1:		/* the length field */
				put32(P(base) + 4, (uint32_t)(r >> 8) % 700);
				break;
			case 2:		/* a sub-entry length byte */
				P(base)[44 + (r >> 8) % 200] = (uint8_t)(r >> 32) % 20;
				break;
			default:	/* the RSDP */
				P(RSDP_AT)[(r >> 8) % 36] = (uint8_t)(r >> 32);
				break;
			}
		}
		/* Half the time fix every checksum so the contents, not just
		 * the checksums, get exercised. */
		if (reseal) {
			for (size_t i = 0; i < 9; i++) {
				uint32_t l = get32(P(all_tables[i]) + 4);

				if (l >= 10 && l <= 0x1000)
					seal(all_tables[i]);
			}
			fix_sum(P(RSDP_AT), 20, 8);
			fix_sum(P(RSDP_AT), 36, 32);
		}
		memset(ai, 0xa5, sizeof(*ai));	/* acpi_parse must clear it */
		rc = parse();
		assert_true(rc == 0 || rc == -EBADMSG || rc == -EFAULT);
		outcomes[rc == 0 ? 0 : rc == -EBADMSG ? 1 : 2]++;
		check_sane();
	}
	/* The mutations reached the table parsers, not just the RSDP. */
	assert_true(outcomes[0] > 1000);
	assert_true(outcomes[1] > 0);
}

static void test_fuzz_parsers(void **state)
{
	static int (*const fns[])(struct acpi_info *, const void *, size_t) = {
		acpi_parse_madt, acpi_parse_mcfg, acpi_parse_fadt,
		acpi_find_s5, acpi_parse_dmar, acpi_parse_ivrs,
	};
	uint8_t buf[400];
	unsigned ok = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rng() % sizeof(buf);
		int rc;

		/* Small byte values make plausible lengths and opcodes. */
		for (size_t i = 0; i < len; i++) {
			uint64_t r = rng();

			buf[i] = (r & 3) ? (uint8_t)(r >> 8) % 24 : (uint8_t)(r >> 16);
		}
		if (len > 60 && (rng() & 1))
			memcpy(buf + 40 + rng() % 16, "_S5_\x12", 5);
		memset(ai, 0, sizeof(*ai));
		rc = run(fns[iter % 6], buf, len);
		assert_true(rc == 0 || rc == -EBADMSG);
		if (rc == -EBADMSG)
			assert_true(ai->nerrors > 0);
		else
			ok++;
		check_sane();
	}
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_checksum),
		T(test_good_xsdt),
		T(test_rsdt_rev0),
		T(test_v2_without_xsdt),
		T(test_rsdp_zero),
		T(test_rsdp_unreadable),
		T(test_rsdp_bad_signature),
		T(test_rsdp_bad_checksum),
		T(test_rsdp_bad_ext_checksum),
		T(test_rsdp_bad_length),
		T(test_rsdp_no_root),
		T(test_xsdt_outside_memory),
		T(test_xsdt_bad_checksum),
		T(test_xsdt_bad_signature),
		T(test_xsdt_bad_length),
		T(test_xsdt_partial_entry),
		T(test_xsdt_entry_unreadable),
		T(test_table_bad_checksum),
		T(test_table_short_length),
		T(test_table_huge_length),
		T(test_fadt_shorter_than_header),
		T(test_dsdt_problems),
		T(test_duplicate_table),
		T(test_too_many_tables),
		T(test_error_overflow),
		T(test_garbage_signature_sanitized),
		T(test_madt_zero_length_entry),
		T(test_madt_entry_past_end),
		T(test_madt_exact_boundaries),
		T(test_fadt_field_boundaries),
		T(test_other_tables_exact_boundaries),
		T(test_madt_entry_too_short),
		T(test_madt_too_many_cpus),
		T(test_madt_too_many_ioapics_isos),
		T(test_mcfg_partial_entry),
		T(test_mcfg_bad_entries),
		T(test_fadt_acpi1),
		T(test_fadt_x_fields),
		T(test_fadt_hw_reduced),
		T(test_s5_encodings),
		T(test_s5_not_found),
		T(test_s5_malformed),
		T(test_s5_truncated),
		T(test_dmar),
		T(test_ivrs),
		T(test_fuzz_tree),
		T(test_fuzz_parsers),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
