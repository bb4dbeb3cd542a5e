/* Unit tests for drivers/acpi_prt.c: QEMU 7.2's own q35 DSDT (dumped by
 * tools/gen-prt-fixtures), hand-built AML for each _PRT form and each
 * way it can be unreadable, every truncation of QEMU's DSDT and a
 * random-mutation fuzz (under ASan/UBSan a read past the block aborts:
 * every block is copied into a heap block of exactly its size). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "drivers/acpi_prt.h"
#include "lib/errno.h"
#include "tests/unit/prt_fixtures.h"

static struct acpi_prt prt;

static int parse(const uint8_t *aml, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct prt_aml b = { copy, len };
	int r;

	memcpy(copy, aml, len);
	r = acpi_prt_parse(&prt, &b, 1);
	free(copy);
	return r;
}

static struct prt_route route(uint8_t bus, uint8_t slot, uint8_t pin, const char **why, int *r)
{
	struct prt_route rt = { 0 };

	*why = NULL;
	*r = acpi_prt_route(&prt, 0, bus, slot, pin, &rt, why);
	return rt;
}

/* (bus, slot, pin) routes to gsi with that trigger and polarity. */
static void routes_to(uint8_t bus, uint8_t slot, uint8_t pin, uint32_t gsi, bool level, bool low)
{
	const char *why;
	struct prt_route rt;
	int r;

	rt = route(bus, slot, pin, &why, &r);
	assert_int_equal(r, 0);
	assert_int_equal(rt.gsi, gsi);
	assert_int_equal(rt.level, level);
	assert_int_equal(rt.active_low, low);
}

/* (bus, slot, pin) has no route, and the reason names this. */
static void no_route(uint8_t bus, uint8_t slot, uint8_t pin, const char *reason)
{
	const char *why;
	int r;

	route(bus, slot, pin, &why, &r);
	assert_int_equal(r, -ENOENT);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

/* ---- QEMU's DSDT ---- */

static void test_qemu_q35(void **s)
{
	const char *why;
	struct prt_route rt;
	int r;

	(void)s;
	/* the AML after the 36-byte header */
	assert_int_equal(parse(qemu_dsdt + 36, sizeof(qemu_dsdt) - 36), 1);
	assert_string_equal(prt.roots[0].name, "PCI0");
	assert_null(prt.roots[0].why);
	assert_int_equal(prt.roots[0].bus, 0);
	assert_false(prt.roots[0].bridge_prt);
	assert_int_equal(prt.nbridges, 0);
	assert_int_equal(prt.roots[0].n, 128);
	/* Method (_PRT) { If (PICF == Zero) Return (PRTP) Else Return (PRTA) }:
	 * the APIC-mode PRTA, whose sources are the GSIx link devices with a
	 * static Interrupt (Level, ActiveHigh, Shared) { 16 + x } */
	for (unsigned slot = 0; slot < 0x18; slot++)
		for (unsigned pin = 0; pin < 4; pin++) {
			rt = route(0, (uint8_t)slot, (uint8_t)pin, &why, &r);
			assert_int_equal(r, 0);
			assert_int_equal(rt.gsi, 20 + ((slot + pin) & 3));
			assert_true(rt.level);
			assert_false(rt.active_low);
		}
	/* the ICH9 functions' slots go to GSIA-GSIH by their own table */
	for (unsigned slot = 0x18; slot < 0x20; slot++)
		for (unsigned pin = 0; pin < 4; pin++) {
			rt = route(0, (uint8_t)slot, (uint8_t)pin, &why, &r);
			assert_int_equal(r, 0);
			assert_in_range(rt.gsi, 16, 23);
		}
	assert_string_equal(prt.roots[0].e[20].source, "GSIF");
	/* no other bus, no slot 32 */
	no_route(1, 0, 0, "no PCI root bus");
	route(0, 0, 4, &why, &r);
	assert_int_equal(r, -ENOENT);
}

/* Every prefix of the DSDT: no read past it, never a crash; the whole
 * table still reads once it is all there. */
static void test_qemu_truncated(void **s)
{
	size_t n = sizeof(qemu_dsdt) - 36;

	(void)s;
	for (size_t len = 0; len < n; len += (len < 5000 ? 1 : 7))
		parse(qemu_dsdt + 36, len);
	assert_int_equal(parse(qemu_dsdt + 36, n), 1);
}

/* ---- a small AML builder ---- */

struct aml {
	uint8_t b[8192];
	size_t n;
	size_t open[16];
	unsigned depth;
};

static void b8(struct aml *a, unsigned v) { a->b[a->n++] = (uint8_t)v; }
static void bytes(struct aml *a, const void *p, size_t n) { memcpy(a->b + a->n, p, n); a->n += n; }
static void seg(struct aml *a, const char *s) { bytes(a, s, 4); }
/* A PkgLength in its two-byte form, filled at close. */
static void open_pkg(struct aml *a, unsigned op)
{
	if (op > 0xff) {
		b8(a, op >> 8);
		b8(a, op & 0xff);
	} else {
		b8(a, op);
	}
	a->open[a->depth++] = a->n;
	a->n += 2;
}
static void close_pkg(struct aml *a)
{
	size_t at = a->open[--a->depth], len = a->n - at;

	a->b[at] = (uint8_t)(0x40 | (len & 0xf));
	a->b[at + 1] = (uint8_t)(len >> 4);
}
static void dword(struct aml *a, uint32_t v)
{
	b8(a, 0x0c);
	for (unsigned i = 0; i < 4; i++)
		b8(a, (v >> (8 * i)) & 0xff);
}
static void name(struct aml *a, const char *n) { b8(a, 0x08); seg(a, n); }
static void entry(struct aml *a, unsigned slot, unsigned pin, const char *src, unsigned index)
{
	open_pkg(a, 0x12);
	b8(a, 4);
	dword(a, slot << 16 | 0xffff);
	b8(a, 0x0a);
	b8(a, pin);
	if (src)
		bytes(a, src, strlen(src));
	else
		b8(a, 0x00);
	b8(a, 0x0a);
	b8(a, index);
	close_pkg(a);
}
/* Device (NAME) { Name (_HID, EisaId ("PNP0A08")) [Name (_BBN, bbn)] */
static void root_dev(struct aml *a, const char *n, int bbn)
{
	open_pkg(a, 0x5b82);
	seg(a, n);
	name(a, "_HID");
	dword(a, 0x080ad041);
	if (bbn >= 0) {
		name(a, "_BBN");
		b8(a, 0x0a);
		b8(a, (unsigned)bbn);
	}
}
/* A link device with Name (_CRS, ResourceTemplate () { descriptor }). */
static void link_dev(struct aml *a, const char *n, const uint8_t *desc, size_t dlen)
{
	open_pkg(a, 0x5b82);
	seg(a, n);
	name(a, "_CRS");
	open_pkg(a, 0x11);
	b8(a, 0x0a);
	b8(a, (unsigned)(dlen + 2));
	bytes(a, desc, dlen);
	b8(a, 0x79);
	b8(a, 0x00);
	close_pkg(a);
	close_pkg(a);
}

/* A static package with Zero sources, a link with an Extended Interrupt
 * (level, active low) and one with an IRQ descriptor (edge, high). */
static void test_static_package(void **s)
{
	static const uint8_t ext[] = { 0x89, 6, 0, 0x0d, 1, 42, 0, 0, 0 };	/* level, low, shared */
	static const uint8_t irq[] = { 0x22, 0x00, 0x04 };			/* IRQ 10, no info byte */
	struct aml a = { .n = 0 };

	(void)s;
	open_pkg(&a, 0x10);		/* Scope (\_SB) */
	b8(&a, '\\');
	seg(&a, "_SB_");
	link_dev(&a, "LNKX", ext, sizeof(ext));
	link_dev(&a, "LNKI", irq, sizeof(irq));
	root_dev(&a, "PCI0", 0);
	name(&a, "_PRT");
	open_pkg(&a, 0x12);
	b8(&a, 4);
	entry(&a, 3, 0, NULL, 19);
	entry(&a, 3, 1, "LNKX", 0);
	entry(&a, 4, 0, "\\\x2e_SB_LNKI", 0);	/* \_SB.LNKI */
	entry(&a, 4, 1, "LNKX", 1);		/* index past its one descriptor */
	close_pkg(&a);
	close_pkg(&a);
	close_pkg(&a);
	assert_int_equal(parse(a.b, a.n), 1);
	assert_null(prt.roots[0].why);
	routes_to(0, 3, 0, 19, true, true);
	routes_to(0, 3, 1, 42, true, true);
	no_route(0, 4, 1, "no resource at that index");
	no_route(0, 5, 0, "no entry");
}

/* A dual-name source (\_SB.LNKI) and an IRQ descriptor: edge, high. */
static void test_irq_descriptor(void **s)
{
	static const uint8_t irq[] = { 0x22, 0x00, 0x04 };
	static const uint8_t irq_info[] = { 0x23, 0x20, 0x00, 0x18 };	/* IRQ 5: level, low, shared */
	static const uint8_t two[] = { 0x22, 0x20, 0x04 };
	struct aml a = { .n = 0 };

	(void)s;
	open_pkg(&a, 0x10);
	b8(&a, '\\');
	seg(&a, "_SB_");
	link_dev(&a, "LNKI", irq, sizeof(irq));
	link_dev(&a, "LNKJ", irq_info, sizeof(irq_info));
	link_dev(&a, "LNK2", two, sizeof(two));
	root_dev(&a, "PCI1", 0x40);
	name(&a, "_PRT");
	open_pkg(&a, 0x12);
	b8(&a, 3);
	entry(&a, 1, 0, "\\\x2e_SB_LNKI", 0);
	entry(&a, 1, 1, "^LNKJ", 0);
	entry(&a, 1, 2, "LNK2", 0);
	close_pkg(&a);
	close_pkg(&a);
	close_pkg(&a);
	assert_int_equal(parse(a.b, a.n), 1);
	assert_int_equal(prt.roots[0].bus, 0x40);
	routes_to(0x40, 1, 0, 10, false, false);
	routes_to(0x40, 1, 1, 5, true, true);
	no_route(0x40, 1, 2, "other than one IRQ");
}

/* Method (_PRT) { If (PICM) { Return (AR00) } Return (PR00) }, with
 * \_PIC storing its argument in PICM; and an unknown opcode earlier in
 * the block only skips the rest of that scope. */
static void method_block(struct aml *a, bool pic, bool negate)
{
	open_pkg(a, 0x10);		/* Scope (\) with an unreadable opcode */
	b8(a, '\\');
	b8(a, 0x00);
	b8(a, 0x70);			/* Store at the top: not a declaration */
	close_pkg(a);
	name(a, "PICM");
	b8(a, 0x00);
	if (pic) {
		open_pkg(a, 0x14);	/* Method (_PIC, 1) { Store (Arg0, PICM) } */
		seg(a, "_PIC");
		b8(a, 1);
		b8(a, 0x70);
		b8(a, 0x68);
		seg(a, "PICM");
		close_pkg(a);
	}
	open_pkg(a, 0x10);
	b8(a, '\\');
	seg(a, "_SB_");
	root_dev(a, "PCI0", -1);
	name(a, "AR00");
	open_pkg(a, 0x12);
	b8(a, 1);
	entry(a, 2, 0, NULL, 17);
	close_pkg(a);
	name(a, "PR00");
	open_pkg(a, 0x12);
	b8(a, 1);
	entry(a, 2, 0, NULL, 11);
	close_pkg(a);
	open_pkg(a, 0x14);
	seg(a, "_PRT");
	b8(a, 0);
	open_pkg(a, 0xa0);		/* If (PICM) or If (LNot (PICM)) */
	if (negate)
		b8(a, 0x92);
	seg(a, "PICM");
	b8(a, 0xa4);
	seg(a, negate ? "PR00" : "AR00");
	close_pkg(a);
	b8(a, 0xa4);
	seg(a, negate ? "AR00" : "PR00");
	close_pkg(a);
	/* a root port below with its own _PRT */
	open_pkg(a, 0x5b82);
	seg(a, "RP01");
	name(a, "_PRT");
	open_pkg(a, 0x12);
	b8(a, 0);
	close_pkg(a);
	close_pkg(a);
	close_pkg(a);			/* PCI0 */
	close_pkg(a);			/* \_SB */
}

static void test_method_apic_mode(void **s)
{
	struct aml a = { .n = 0 };
	struct prt_route rt;
	const char *why;
	int r;

	(void)s;
	method_block(&a, true, false);
	assert_int_equal(parse(a.b, a.n), 1);
	assert_true(prt.nerrors >= 1);
	assert_non_null(strstr(prt.errors[0], "opcode 0x70"));
	assert_true(prt.roots[0].bridge_prt);
	rt = route(0, 2, 0, &why, &r);
	assert_int_equal(r, 0);
	assert_int_equal(rt.gsi, 17);
	a.n = 0;
	method_block(&a, true, true);
	assert_int_equal(parse(a.b, a.n), 1);
	rt = route(0, 2, 0, &why, &r);
	assert_int_equal(r, 0);
	assert_int_equal(rt.gsi, 17);
	/* without \_PIC the flag is unknown: refused, not guessed */
	a.n = 0;
	method_block(&a, false, false);
	assert_int_equal(parse(a.b, a.n), 1);
	no_route(0, 2, 0, "_PIC");
}

/* _PRTs below the root bus: a root port (_ADR 0x001c0000) with its own
 * package, a bridge below it with its own, one without a _PRT (the
 * caller swizzles), and one whose _ADR is a method (unusable). */
static void test_bridges(void **s)
{
	static const uint8_t ext[] = { 0x89, 6, 0, 0x0d, 1, 42, 0, 0, 0 };
	struct aml a = { .n = 0 };
	struct prt_route rt;
	const char *why = NULL;
	uint32_t one[1] = { 0x001c0000 }, two[2] = { 0x001c0000, 0x00010000 };
	uint32_t none[1] = { 0x001d0000 };

	(void)s;
	open_pkg(&a, 0x10);
	b8(&a, '\\');
	seg(&a, "_SB_");
	link_dev(&a, "LNKX", ext, sizeof(ext));
	root_dev(&a, "PCI0", 0);
	name(&a, "_PRT");
	open_pkg(&a, 0x12);
	b8(&a, 1);
	entry(&a, 0x1c, 0, NULL, 16);
	close_pkg(&a);
	open_pkg(&a, 0x5b82);		/* Device (RP01) */
	seg(&a, "RP01");
	name(&a, "_ADR");
	dword(&a, 0x001c0000);
	name(&a, "_PRT");
	open_pkg(&a, 0x12);
	b8(&a, 2);
	entry(&a, 0, 0, NULL, 40);
	entry(&a, 0, 1, "LNKX", 0);
	close_pkg(&a);
	open_pkg(&a, 0x5b82);		/* Device (BR02) below it */
	seg(&a, "BR02");
	name(&a, "_ADR");
	dword(&a, 0x00010000);
	name(&a, "_PRT");
	open_pkg(&a, 0x12);
	b8(&a, 1);
	entry(&a, 3, 0, NULL, 50);
	close_pkg(&a);
	close_pkg(&a);
	close_pkg(&a);
	open_pkg(&a, 0x5b82);		/* Device (RP02): _ADR 0x001d0000, no _PRT */
	seg(&a, "RP02");
	name(&a, "_ADR");
	dword(&a, 0x001d0000);
	close_pkg(&a);
	open_pkg(&a, 0x5b82);		/* Device (RP03): _ADR a method */
	seg(&a, "RP03");
	open_pkg(&a, 0x14);
	seg(&a, "_ADR");
	b8(&a, 0);
	b8(&a, 0xa4);
	b8(&a, 0x00);
	close_pkg(&a);
	name(&a, "_PRT");
	open_pkg(&a, 0x12);
	b8(&a, 0);
	close_pkg(&a);
	close_pkg(&a);
	close_pkg(&a);			/* PCI0 */
	close_pkg(&a);			/* \_SB */
	assert_int_equal(parse(a.b, a.n), 1);
	assert_true(prt.roots[0].bridge_prt);
	assert_int_equal(prt.nbridges, 3);
	assert_int_equal(acpi_prt_route_below(&prt, 0, 0, one, 1, 0, 0, &rt, &why), 0);
	assert_int_equal(rt.gsi, 40);
	assert_true(rt.level && rt.active_low);
	assert_int_equal(acpi_prt_route_below(&prt, 0, 0, one, 1, 0, 1, &rt, &why), 0);
	assert_int_equal(rt.gsi, 42);
	assert_int_equal(acpi_prt_route_below(&prt, 0, 0, one, 1, 0, 2, &rt, &why), -ENOENT);
	assert_non_null(strstr(why, "no entry"));
	assert_int_equal(acpi_prt_route_below(&prt, 0, 0, two, 2, 3, 0, &rt, &why), 0);
	assert_int_equal(rt.gsi, 50);
	assert_int_equal(acpi_prt_route_below(&prt, 0, 0, none, 1, 0, 0, &rt, &why), -ENXIO);
	assert_int_equal(acpi_prt_route_below(&prt, 0, 1, one, 1, 0, 0, &rt, &why), -ENXIO);
	for (unsigned i = 0; i < prt.nbridges; i++)
		if (!strcmp(prt.bridges[i].name, "RP03"))
			assert_non_null(strstr(prt.bridges[i].why, "_ADR"));
}

/* What cannot be read is refused with its reason. */
static void test_unreadable(void **s)
{
	struct aml a = { .n = 0 };

	(void)s;
	/* a link whose _CRS is a method; a _PRT method that calls things */
	open_pkg(&a, 0x10);
	b8(&a, '\\');
	seg(&a, "_SB_");
	open_pkg(&a, 0x5b82);
	seg(&a, "LNKM");
	open_pkg(&a, 0x14);
	seg(&a, "_CRS");
	b8(&a, 0);
	b8(&a, 0xa4);
	b8(&a, 0x00);
	close_pkg(&a);
	close_pkg(&a);
	root_dev(&a, "PCI0", 0);
	name(&a, "_PRT");
	open_pkg(&a, 0x12);
	b8(&a, 2);
	entry(&a, 1, 0, "LNKM", 0);
	entry(&a, 1, 1, "NONE", 0);
	close_pkg(&a);
	close_pkg(&a);
	root_dev(&a, "PCI1", 1);
	open_pkg(&a, 0x14);
	seg(&a, "_PRT");
	b8(&a, 0);
	b8(&a, 0x70);			/* Store (...) */
	b8(&a, 0x01);
	seg(&a, "XXXX");
	close_pkg(&a);
	close_pkg(&a);
	root_dev(&a, "PCI2", 2);	/* no _PRT at all */
	close_pkg(&a);
	root_dev(&a, "PCI3", 3);	/* an entry with a bad address */
	name(&a, "_PRT");
	open_pkg(&a, 0x12);
	b8(&a, 1);
	open_pkg(&a, 0x12);
	b8(&a, 4);
	dword(&a, 0x00051234);
	b8(&a, 0x00);
	b8(&a, 0x00);
	b8(&a, 0x00);
	close_pkg(&a);
	close_pkg(&a);
	close_pkg(&a);
	close_pkg(&a);
	assert_int_equal(parse(a.b, a.n), 4);
	no_route(0, 1, 0, "is a method");
	no_route(0, 1, 1, "names no device");
	no_route(1, 1, 0, "_PRT");
	no_route(2, 0, 0, "no _PRT");
	no_route(3, 5, 0, "0xSSSSFFFF");
}

/* Random mutations (bytes changed, runs dropped or repeated) of QEMU's
 * DSDT and of the hand-built method form: 3000 rounds by default,
 * VATRA_FUZZ_ITER sets more (make fuzz-tables). Whatever the input, the
 * result stays within its bounds. */
static void test_fuzz(void **s)
{
	static struct aml built;
	const char *env = getenv("VATRA_FUZZ_ITER");
	unsigned long iters = env ? strtoul(env, NULL, 0) : 3000;
	size_t cap = sizeof(qemu_dsdt) * 2;
	uint8_t *m = malloc(cap);

	(void)s;
	built.n = 0;
	method_block(&built, true, false);
	srand(14);
	for (unsigned long it = 0; it < iters; it++) {
		const uint8_t *src = it & 1 ? built.b : qemu_dsdt + 36;
		size_t n = it & 1 ? built.n : sizeof(qemu_dsdt) - 36;

		memcpy(m, src, n);
		switch (rand() % 3) {
		case 0:		/* bytes changed */
			for (unsigned k = 0, nk = 1 + rand() % 8; k < nk; k++)
				m[rand() % n] = (uint8_t)rand();
			break;
		case 1: {	/* a run dropped */
			size_t at = rand() % n, len = rand() % 64;

			if (at + len > n)
				len = n - at;
			memmove(m + at, m + at + len, n - at - len);
			n -= len;
			break;
		}
		default: {	/* a run repeated */
			size_t at = rand() % n, len = rand() % 64;

			if (at + len > n)
				len = n - at;
			memmove(m + at + len, m + at, n - at);
			n += len;
			break;
		}
		}
		parse(m, n);
		assert_true(prt.nroots <= PRT_MAX_ROOTS);
		assert_true(prt.nerrors <= PRT_MAX_ERRORS);
		assert_true(prt.nbridges <= PRT_MAX_BRIDGES);
		for (unsigned i = 0; i < prt.nbridges; i++) {
			assert_true(prt.bridges[i].n <= PRT_BRIDGE_ENTRIES);
			assert_true(prt.bridges[i].depth >= 1 && prt.bridges[i].depth <= PRT_BRIDGE_DEPTH);
		}
		for (unsigned i = 0; i < prt.nroots; i++) {
			assert_true(prt.roots[i].n <= PRT_MAX_ENTRIES);
			for (unsigned k = 0; k < prt.roots[i].n; k++) {
				assert_true(prt.roots[i].e[k].slot < 32);
				assert_true(prt.roots[i].e[k].pin < 4);
			}
		}
	}
	free(m);
}

static void test_swizzle(void **s)
{
	(void)s;
	/* PCI-to-PCI Bridge 1.2 table 9-1: device 1's INTA# is the bridge's INTB# */
	assert_int_equal(prt_swizzle(0, 0), 0);
	assert_int_equal(prt_swizzle(1, 0), 1);
	assert_int_equal(prt_swizzle(2, 3), 1);
	assert_int_equal(prt_swizzle(31, 3), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_q35),
		cmocka_unit_test(test_qemu_truncated),
		cmocka_unit_test(test_static_package),
		cmocka_unit_test(test_irq_descriptor),
		cmocka_unit_test(test_method_apic_mode),
		cmocka_unit_test(test_bridges),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_swizzle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
