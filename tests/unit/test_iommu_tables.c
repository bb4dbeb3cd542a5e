/* Unit tests for drivers/iommu_tables.c: QEMU's own DMAR and IVRS (dumped
 * by tools/gen-iommu-fixtures), hand-built tables with every structure
 * and entry type, corrupted variants, and a random-mutation fuzz loop
 * (run under ASan/UBSan: a read past the table aborts the test). Every
 * table is copied into a heap block of exactly its size first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "drivers/iommu_tables.h"
#include "lib/errno.h"
#include "tests/unit/iommu_fixtures.h"

static struct dmar_info dm;
static struct ivrs_info iv;
static char msg[IOMMU_TABLE_MSG];

/* ---- a byte builder for synthetic tables ---- */

struct buf {
	uint8_t b[70000];
	size_t n;
};

static void put8(struct buf *t, unsigned v) { t->b[t->n++] = (uint8_t)v; }
static void put16(struct buf *t, unsigned v) { put8(t, v & 0xff); put8(t, v >> 8); }
static void put32(struct buf *t, uint32_t v) { put16(t, v & 0xffff); put16(t, v >> 16); }
static void put64(struct buf *t, uint64_t v) { put32(t, (uint32_t)v); put32(t, (uint32_t)(v >> 32)); }
static void set16(struct buf *t, size_t at, unsigned v) { t->b[at] = v & 0xff; t->b[at + 1] = (uint8_t)(v >> 8); }

static void sdt_begin(struct buf *t, const char *sig)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	t->b[8] = 1;
	memcpy(t->b + 10, "VATRA ", 6);
	t->n = 36;
}

static void fix(uint8_t *p, size_t len)
{
	uint8_t s = 0;

	p[4] = len & 0xff;
	p[5] = (len >> 8) & 0xff;
	p[6] = (len >> 16) & 0xff;
	p[7] = (uint8_t)(len >> 24);
	p[9] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[9] = (uint8_t)-s;
}

static void sdt_end(struct buf *t)
{
	fix(t->b, t->n);
}

static uint8_t *dup(const void *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	memcpy(c, p, n);
	return c;
}

static int parse_dmar(const void *p, size_t n)
{
	uint8_t *c = dup(p, n);
	int r = dmar_parse(&dm, c, n, msg);

	free(c);
	return r;
}

static int parse_ivrs(const void *p, size_t n)
{
	uint8_t *c = dup(p, n);
	int r = ivrs_parse(&iv, c, n, msg);

	free(c);
	return r;
}

/* DMAR header: HAW 39, flags. */
static void dmar_begin(struct buf *t, unsigned flags)
{
	sdt_begin(t, "DMAR");
	put8(t, 38);
	put8(t, flags);
	for (int i = 0; i < 10; i++)
		put8(t, 0);
}

static size_t drhd_begin(struct buf *t, unsigned flags, unsigned seg, uint64_t base)
{
	size_t at = t->n;

	put16(t, 0);
	put16(t, 0);
	put8(t, flags);
	put8(t, 0);
	put16(t, seg);
	put64(t, base);
	return at;
}

static void scope(struct buf *t, unsigned type, unsigned id, unsigned bus, int hops, const uint8_t *path)
{
	put8(t, type);
	put8(t, 6 + 2 * hops);
	put16(t, 0);
	put8(t, id);
	put8(t, bus);
	for (int i = 0; i < hops; i++) {
		put8(t, path[2 * i]);
		put8(t, path[2 * i + 1]);
	}
}

static void struct_end(struct buf *t, size_t at)
{
	set16(t, at + 2, (unsigned)(t->n - at));
}

/* ---- QEMU's tables ---- */

static void test_qemu_dmar(void **state)
{
	static const uint8_t want[][2] = { {0, 0}, {1, 0}, {2, 0}, {0x1f, 0}, {0x1f, 2}, {0x1f, 3} };
	uint16_t rid;

	assert_int_equal(parse_dmar(qemu_dmar, sizeof(qemu_dmar)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(dm.haw, 39);
	assert_true(dm.flags & DMAR_F_INTR_REMAP);
	assert_int_equal(dm.ndrhd, 1);
	assert_int_equal(dm.drhd[0].base, 0xfed90000);
	assert_int_equal(dm.drhd[0].flags, 0);
	assert_int_equal(dm.drhd[0].seg, 0);
	assert_int_equal(dm.drhd[0].sc.n, 7);
	assert_int_equal(dm.nrmrr, 0);
	assert_int_equal(dm.natsr, 0);
	/* First the IOAPIC (enumeration ID 0 at ff:00.0), then one endpoint
	 * per root-bus device. */
	assert_int_equal(dm.scopes[0].type, DMAR_SCOPE_IOAPIC);
	assert_int_equal(dm.scopes[0].enum_id, 0);
	assert_int_equal(dm.scopes[0].bus, 0xff);
	assert_int_equal(dmar_scope_rid(&dm.scopes[0], 0, NULL, NULL, &rid), 0);
	assert_int_equal(rid, 0xff00);
	for (unsigned i = 0; i < 6; i++) {
		const struct dmar_scope *s = &dm.scopes[1 + i];

		assert_int_equal(s->type, DMAR_SCOPE_ENDPOINT);
		assert_int_equal(s->npath, 1);
		assert_int_equal(dmar_scope_rid(s, 0, NULL, NULL, &rid), 0);
		assert_int_equal(rid, want[i][0] << 3 | want[i][1]);
	}
}

static void test_qemu_ivrs(void **state)
{
	static const uint16_t sel[] = { 0x00, 0x08, 0x10, 0x18, 0xf8, 0xfa, 0xfb };
	const struct ivrs_ivhd *u;

	assert_int_equal(parse_ivrs(qemu_ivrs, sizeof(qemu_ivrs)), 0);
	assert_int_equal(iv.nivhd, 1);
	u = &iv.ivhd[0];
	assert_int_equal(u->type, 0x10);
	assert_int_equal(u->base, 0xfed80000);
	assert_int_equal(u->devid, 0x08);	/* the IOMMU is 00:01.0 */
	assert_int_equal(u->cap_off, 0x40);
	assert_false(u->superseded);
	assert_int_equal(u->dv.n, 8);
	for (unsigned i = 0; i < 7; i++) {
		assert_int_equal(iv.devs[i].kind, IVRS_DEV_SELECT);
		assert_int_equal(iv.devs[i].first, sel[i]);
		assert_int_equal(iv.devs[i].last, sel[i]);
	}
	assert_int_equal(iv.devs[7].kind, IVRS_DEV_SPECIAL);
	assert_int_equal(iv.devs[7].variety, IVRS_SPECIAL_IOAPIC);
	assert_int_equal(iv.devs[7].handle, 0);
	assert_int_equal(iv.devs[7].first, 0xa0);	/* 00:14.0 */
	assert_ptr_equal(ivrs_unit_of(&iv, 0, 0x10), u);
	assert_ptr_equal(ivrs_unit_of(&iv, 0, 0xa0), u);
	assert_null(ivrs_unit_of(&iv, 0, 0x20));
	assert_null(ivrs_unit_of(&iv, 1, 0x10));
	assert_int_equal(iv.nivmd, 0);
}

/* ---- synthetic DMAR: every structure and scope type ---- */

static struct buf tb;

static void build_full_dmar(struct buf *t)
{
	static const uint8_t p1[] = { 3, 0 }, p2[] = { 1, 0, 0, 1 }, p3[] = { 0x1f, 7 };
	size_t at;

	dmar_begin(t, DMAR_F_INTR_REMAP | DMAR_F_X2APIC_OPT_OUT);
	at = drhd_begin(t, 0, 0, 0xfed90000);
	scope(t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, p1);
	scope(t, DMAR_SCOPE_BRIDGE, 0, 0, 2, p2);
	scope(t, DMAR_SCOPE_HPET, 5, 0, 1, p3);
	struct_end(t, at);
	at = drhd_begin(t, DMAR_INCLUDE_PCI_ALL, 0, 0xfed91000);
	scope(t, DMAR_SCOPE_IOAPIC, 2, 0xf0, 1, p3);
	struct_end(t, at);
	/* RMRR: a USB controller's legacy buffer. */
	at = t->n;
	put16(t, 1);
	put16(t, 0);
	put16(t, 0);
	put16(t, 0);
	put64(t, 0x7f000000);
	put64(t, 0x7f00ffff);
	scope(t, DMAR_SCOPE_ENDPOINT, 0, 0, 1, p1);
	struct_end(t, at);
	/* ATSR for all root ports. */
	at = t->n;
	put16(t, 2);
	put16(t, 0);
	put8(t, 1);
	put8(t, 0);
	put16(t, 0);
	struct_end(t, at);
	/* An RHSA (type 3): kept as "other". */
	at = t->n;
	put16(t, 3);
	put16(t, 20);
	put32(t, 0);
	put64(t, 0xfed90000);
	put32(t, 0);
	sdt_end(t);
}

static uint8_t fake_secbus(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn)
{
	(void)ctx;
	return bus == 0 && devfn == (1 << 3) ? 4 : 0;
}

static void test_dmar_full(void **state)
{
	uint16_t rid;

	build_full_dmar(&tb);
	assert_int_equal(parse_dmar(tb.b, tb.n), 0);
	assert_int_equal(dm.ndrhd, 2);
	assert_int_equal(dm.drhd[0].sc.n, 3);
	assert_int_equal(dm.drhd[1].flags, DMAR_INCLUDE_PCI_ALL);
	assert_int_equal(dm.drhd[1].sc.n, 1);
	assert_int_equal(dm.scopes[dm.drhd[1].sc.first].type, DMAR_SCOPE_IOAPIC);
	assert_int_equal(dm.scopes[dm.drhd[1].sc.first].enum_id, 2);
	assert_int_equal(dm.scopes[2].type, DMAR_SCOPE_HPET);
	assert_int_equal(dm.scopes[2].enum_id, 5);
	assert_int_equal(dm.nrmrr, 1);
	assert_int_equal(dm.rmrr[0].base, 0x7f000000);
	assert_int_equal(dm.rmrr[0].limit, 0x7f00ffff);
	assert_int_equal(dm.rmrr[0].sc.n, 1);
	assert_int_equal(dm.natsr, 1);
	assert_int_equal(dm.atsr[0].flags, 1);
	assert_int_equal(dm.nother, 1);
	/* The bridge scope: 00:01.0 is a bridge to bus 4, the device 04:00.1. */
	assert_int_equal(dm.scopes[1].npath, 2);
	assert_int_equal(dmar_scope_rid(&dm.scopes[1], 0, fake_secbus, NULL, &rid), 0);
	assert_int_equal(rid, 0x0401);
	assert_int_equal(dmar_scope_rid(&dm.scopes[1], 0, NULL, NULL, &rid), -ENOENT);
}

static void expect_dmar_refused(const struct buf *t, int err, const char *needle)
{
	assert_int_equal(parse_dmar(t->b, t->n), err);
	if (!strstr(msg, needle))
		fail_msg("message '%s' lacks '%s'", msg, needle);
}

static void test_dmar_corrupt(void **state)
{
	static const uint8_t p1[] = { 3, 0 };
	size_t at;

	build_full_dmar(&tb);
	/* Truncated: the buffer ends before the length field says. */
	assert_int_equal(parse_dmar(tb.b, tb.n - 1), -EBADMSG);
	assert_non_null(strstr(msg, "length field"));
	assert_int_equal(parse_dmar(tb.b, 20), -EBADMSG);
	assert_non_null(strstr(msg, "shorter than"));
	/* Bad checksum. */
	tb.b[60] ^= 0x40;
	expect_dmar_refused(&tb, -EBADMSG, "checksum");
	/* Wrong signature. */
	build_full_dmar(&tb);
	tb.b[0] = 'X';
	fix(tb.b, tb.n);
	expect_dmar_refused(&tb, -EBADMSG, "signature");

	/* A structure of length zero (would loop forever). */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	struct_end(&tb, at);
	put16(&tb, 1);
	put16(&tb, 0);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "has length 0");

	/* A structure whose length runs past the table. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	struct_end(&tb, at);
	set16(&tb, at + 2, 200);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "runs past the end");

	/* A zero-length device scope. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	scope(&tb, 1, 0, 0, 1, p1);
	tb.b[at + 16 + 1] = 0;
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "bad length 0");

	/* A scope running past its DRHD. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	scope(&tb, 1, 0, 0, 1, p1);
	tb.b[at + 16 + 1] = 10;
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "bad length 10");

	/* A scope header cut by the DRHD's end. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	put8(&tb, 1);
	put8(&tb, 8);
	put8(&tb, 0);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "truncated");

	/* Unknown scope type, bad path entry, long path. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	scope(&tb, 9, 0, 0, 1, p1);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "unknown type 9");
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	scope(&tb, 1, 0, 0, 1, (const uint8_t[]){ 32, 0 });
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "path entry 32.0");
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	scope(&tb, 1, 0, 0, 9, (const uint8_t[18]){ 0 });
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -ENOSPC, "9 hops");

	/* Register base 0 or unaligned, duplicated. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90800);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "register base 0xfed90800");
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	struct_end(&tb, at);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "repeats");

	/* INCLUDE_PCI_ALL not last of its segment. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, DMAR_INCLUDE_PCI_ALL, 0, 0xfed90000);
	struct_end(&tb, at);
	at = drhd_begin(&tb, 0, 0, 0xfed91000);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "INCLUDE_PCI_ALL");

	/* No DRHD at all; a DRHD too short; HAW 0. */
	dmar_begin(&tb, 0);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "no DRHD");
	dmar_begin(&tb, 0);
	put16(&tb, 0);
	put16(&tb, 8);
	put32(&tb, 0);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "too short");
	build_full_dmar(&tb);
	tb.b[36] = 0;
	fix(tb.b, tb.n);
	expect_dmar_refused(&tb, -EBADMSG, "host address width 1");

	/* RMRR with a limit that is not a page's last byte, or below base. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	struct_end(&tb, at);
	at = tb.n;
	put16(&tb, 1);
	put16(&tb, 0);
	put32(&tb, 0);
	put64(&tb, 0x100000);
	put64(&tb, 0x100000);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "RMRR at offset");

	/* Trailing bytes that cannot hold a structure header. */
	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	struct_end(&tb, at);
	put16(&tb, 0);
	sdt_end(&tb);
	expect_dmar_refused(&tb, -EBADMSG, "truncated");
}

/* Many scopes are kept (no small fixed cap); past the bound the table is
 * refused, not cut. */
static void test_dmar_many_scopes(void **state)
{
	static const uint8_t p1[] = { 3, 0 };
	size_t at;

	dmar_begin(&tb, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	for (unsigned i = 0; i < 1000; i++)
		scope(&tb, 1, 0, (uint8_t)i, 1, p1);
	struct_end(&tb, at);
	sdt_end(&tb);
	assert_int_equal(parse_dmar(tb.b, tb.n), 0);
	assert_int_equal(dm.drhd[0].sc.n, 1000);
	assert_int_equal(dm.scopes[999].bus, 999 & 0xff);

	dmar_begin(&tb, 0);
	for (unsigned u = 0; u < 2; u++) {
		at = drhd_begin(&tb, 0, 0, 0xfed90000 + u * 0x1000);
		for (unsigned i = 0; i < DMAR_MAX_SCOPES / 2 + 1; i++)
			scope(&tb, 1, 0, 0, 1, p1);
		struct_end(&tb, at);
	}
	sdt_end(&tb);
	expect_dmar_refused(&tb, -ENOSPC, "more than 4096 device scopes");
}

/* ---- synthetic IVRS ---- */

static size_t ivhd_begin(struct buf *t, unsigned type, uint64_t base, unsigned devid)
{
	size_t at = t->n;

	put8(t, type);
	put8(t, 0xd1);
	put16(t, 0);
	put16(t, devid);
	put16(t, 0x40);
	put64(t, base);
	put16(t, 0);
	put16(t, 0);
	put32(t, 0);
	if (type != 0x10) {
		put64(t, 0x1234);
		put64(t, 0);
	}
	return at;
}

static void ent4(struct buf *t, unsigned type, unsigned devid)
{
	put8(t, type);
	put16(t, devid);
	put8(t, 0);
}

static void ent8(struct buf *t, unsigned type, unsigned devid, uint32_t extra)
{
	put8(t, type);
	put16(t, devid);
	put8(t, 0);
	put32(t, extra);
}

static void ivrs_begin(struct buf *t)
{
	sdt_begin(t, "IVRS");
	put32(t, 0x2800);
	put64(t, 0);
}

static void build_full_ivrs(struct buf *t)
{
	size_t at;

	ivrs_begin(t);
	/* The same unit as 10h and as 40h: the 40h block is the one used. */
	at = ivhd_begin(t, 0x10, 0xfed80000, 0x02);
	ent4(t, 2, 0x10);
	struct_end(t, at);
	at = ivhd_begin(t, 0x40, 0xfed80000, 0x02);
	ent4(t, 3, 0x100);		/* range 01:00.0 .. 01:1f.7 */
	ent4(t, 4, 0x1ff);
	ent8(t, 0x43, 0x200, 0x18 << 8); 	/* alias range 02:00.0.. as 00:03.0 */
	ent4(t, 4, 0x2ff);
	ent8(t, 0x42, 0x300, 0x20 << 8); 	/* alias 03:00.0 as 00:04.0 */
	ent8(t, 0x46, 0x400, 0xcafe);		/* extended select */
	ent8(t, 0x47, 0x500, 0x1);		/* extended range */
	ent4(t, 4, 0x5ff);
	/* special: HPET 0 at 00:14.0 */
	put8(t, 0x48); put16(t, 0); put8(t, 0); put8(t, 0); put16(t, 0xa0); put8(t, 2);
	ent8(t, 0x40, 0, 0);			/* 8-byte padding */
	ent4(t, 0, 0);				/* 4-byte padding */
	/* F0h ACPI device with a 4-byte UID */
	put8(t, 0xf0); put16(t, 0xa5); put8(t, 0);
	for (const char *h = "AMDI0020"; *h; h++) put8(t, *h);
	put64(t, 0);
	put8(t, 2); put8(t, 4); put32(t, 0x30303030);
	ent4(t, 0x3f, 0x777);			/* reserved 4-byte type: skipped */
	struct_end(t, at);
	/* IVMD for one device: unity-mapped, readable and writable. */
	at = t->n;
	put8(t, 0x21); put8(t, 7); put16(t, 32); put16(t, 0x10); put16(t, 0);
	put64(t, 0); put64(t, 0x7e000000); put64(t, 0x10000);
	/* An unknown block type is skipped. */
	put8(t, 0x30); put8(t, 0); put16(t, 8); put32(t, 0);
	sdt_end(t);
}

static void test_ivrs_full(void **state)
{
	const struct ivrs_ivhd *u;

	build_full_ivrs(&tb);
	assert_int_equal(parse_ivrs(tb.b, tb.n), 0);
	assert_int_equal(iv.nivhd, 2);
	assert_true(iv.ivhd[0].superseded);
	assert_false(iv.ivhd[1].superseded);
	u = &iv.ivhd[1];
	assert_int_equal(u->efr, 0x1234);
	assert_int_equal(u->dv.n, 7);
	assert_int_equal(iv.devs[u->dv.first + 0].kind, IVRS_DEV_SELECT);
	assert_int_equal(iv.devs[u->dv.first + 0].first, 0x100);
	assert_int_equal(iv.devs[u->dv.first + 0].last, 0x1ff);
	assert_int_equal(iv.devs[u->dv.first + 1].kind, IVRS_DEV_ALIAS);
	assert_int_equal(iv.devs[u->dv.first + 1].last, 0x2ff);
	assert_int_equal(iv.devs[u->dv.first + 1].alias, 0x18);
	assert_int_equal(iv.devs[u->dv.first + 2].kind, IVRS_DEV_ALIAS);
	assert_int_equal(iv.devs[u->dv.first + 2].alias, 0x20);
	assert_int_equal(iv.devs[u->dv.first + 3].kind, IVRS_DEV_EXT);
	assert_int_equal(iv.devs[u->dv.first + 3].ext, 0xcafe);
	assert_int_equal(iv.devs[u->dv.first + 4].last, 0x5ff);
	assert_int_equal(iv.devs[u->dv.first + 5].kind, IVRS_DEV_SPECIAL);
	assert_int_equal(iv.devs[u->dv.first + 5].variety, IVRS_SPECIAL_HPET);
	assert_int_equal(iv.devs[u->dv.first + 6].kind, IVRS_DEV_ACPI);
	assert_string_equal(iv.devs[u->dv.first + 6].hid, "AMDI0020");
	/* The 10h block's select of 0x10 is not consulted: it is superseded. */
	assert_ptr_equal(ivrs_unit_of(&iv, 0, 0x150), u);
	assert_null(ivrs_unit_of(&iv, 0, 0x10));
	assert_int_equal(iv.nivmd, 1);
	assert_int_equal(iv.ivmd[0].first, 0x10);
	assert_int_equal(iv.ivmd[0].start, 0x7e000000);
	assert_int_equal(iv.ivmd[0].len, 0x10000);
	assert_int_equal(iv.nother, 1);
}

static void expect_ivrs_refused(const struct buf *t, int err, const char *needle)
{
	assert_int_equal(parse_ivrs(t->b, t->n), err);
	if (!strstr(msg, needle))
		fail_msg("message '%s' lacks '%s'", msg, needle);
}

static void test_ivrs_corrupt(void **state)
{
	size_t at;

	build_full_ivrs(&tb);
	assert_int_equal(parse_ivrs(tb.b, tb.n - 4), -EBADMSG);
	tb.b[70] ^= 1;
	expect_ivrs_refused(&tb, -EBADMSG, "checksum");

	/* A range start without its end: at the block end, and followed by
	 * another entry. */
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	ent4(&tb, 3, 0x100);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "has no end entry");
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	ent4(&tb, 3, 0x100);
	ent4(&tb, 2, 0x300);
	ent4(&tb, 4, 0x1ff);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "has no end entry");
	/* An end without a start; a range running backwards. */
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	ent4(&tb, 4, 0x1ff);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "without a start");
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	ent4(&tb, 3, 0x200);
	ent4(&tb, 4, 0x100);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "backwards");
	/* A zero-length block; one past the end; an IVHD too short. */
	ivrs_begin(&tb);
	put8(&tb, 0x10); put8(&tb, 0); put16(&tb, 0); put32(&tb, 0);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "has length 0");
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	struct_end(&tb, at);
	set16(&tb, at + 2, 300);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "runs past the end");
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	struct_end(&tb, at);
	set16(&tb, at + 2, 12);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "too short");
	/* An 8-byte entry cut by the block end. */
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x11, 0xfed80000, 2);
	ent4(&tb, 0x42, 0x100);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "runs past the block end");
	/* An F0h entry whose UID length runs past; F0h in a 10h block. */
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x40, 0xfed80000, 2);
	put8(&tb, 0xf0); put16(&tb, 0xa5); put8(&tb, 0);
	put64(&tb, 0); put64(&tb, 0); put8(&tb, 2); put8(&tb, 200);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "runs past the block end");
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	put8(&tb, 0xf0); put16(&tb, 0xa5); put8(&tb, 0);
	put64(&tb, 0); put64(&tb, 0); put8(&tb, 2); put8(&tb, 0);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "only in 11h/40h");
	/* Special device of an unknown variety; unaligned base; no IVHD. */
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	put8(&tb, 0x48); put16(&tb, 0); put8(&tb, 0); put8(&tb, 0); put16(&tb, 0xa0); put8(&tb, 9);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "variety 9");
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed81000, 2);
	struct_end(&tb, at);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "register base");
	ivrs_begin(&tb);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "no IVHD");
	/* IVMD of length 0 or wrapping. */
	build_full_ivrs(&tb);
	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	struct_end(&tb, at);
	put8(&tb, 0x20); put8(&tb, 1); put16(&tb, 32); put32(&tb, 0);
	put64(&tb, 0); put64(&tb, 0xfffffffffffff000ull); put64(&tb, 0x2000);
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -EBADMSG, "IVMD at offset");
}

static void test_ivrs_many_entries(void **state)
{
	size_t at;

	ivrs_begin(&tb);
	at = ivhd_begin(&tb, 0x10, 0xfed80000, 2);
	for (unsigned i = 0; i < 3000; i++)
		ent4(&tb, 2, i);
	struct_end(&tb, at);
	sdt_end(&tb);
	assert_int_equal(parse_ivrs(tb.b, tb.n), 0);
	assert_int_equal(iv.ivhd[0].dv.n, 3000);
	ivrs_begin(&tb);
	for (unsigned u = 0; u < 2; u++) {
		at = ivhd_begin(&tb, 0x10, 0xfed80000 + u * 0x4000, 2);
		for (unsigned i = 0; i < IVRS_MAX_DEVS / 2 + 1; i++)
			ent4(&tb, 2, i);
		struct_end(&tb, at);
	}
	sdt_end(&tb);
	expect_ivrs_refused(&tb, -ENOSPC, "more than 4096 device entries");
}

/* ---- fuzz: random mutations of every table above ----
 * 40000 rounds by default; VATRA_FUZZ_ITER sets more (make fuzz-tables). */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void fuzz_one(const uint8_t *src, size_t n, bool dmar)
{
	uint8_t *c;
	size_t len = n;
	unsigned flips = 1 + rnd() % 8;
	int r;

	if (rnd() % 4 == 0)
		len = rnd() % (n + 1);
	c = malloc(len ? len : 1);
	memcpy(c, src, len);
	for (unsigned i = 0; i < flips && len; i++) {
		size_t at = rnd() % len;

		switch (rnd() % 3) {
		case 0: c[at] = (uint8_t)rnd(); break;
		case 1: c[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
		default: c[at] = (rnd() & 1) ? 0 : 0xff; break;
		}
	}
	/* Mostly with a correct checksum, so the structure parsers see the
	 * damage instead of the checksum test catching it. */
	if (len >= 36 && rnd() % 8) {
		uint32_t tl = (uint32_t)(c[4] | c[5] << 8 | c[6] << 16 | (uint32_t)c[7] << 24);
		if (tl > len || rnd() % 2)
			tl = (uint32_t)len;
		fix(c, tl);
	}
	msg[0] = '\0';
	r = dmar ? dmar_parse(&dm, c, len, msg) : ivrs_parse(&iv, c, len, msg);
	if (r)
		assert_true(msg[0] != '\0');
	else if (dmar)
		assert_true(dm.ndrhd >= 1 && dm.nscopes <= DMAR_MAX_SCOPES);
	else
		assert_true(iv.nivhd >= 1 && iv.ndevs <= IVRS_MAX_DEVS);
	free(c);
}

static void test_fuzz(void **state)
{
	static struct buf full_dmar, full_ivrs;

	const char *env = getenv("VATRA_FUZZ_ITER");
	unsigned long iter = env ? strtoul(env, NULL, 10) : 40000;

	build_full_dmar(&full_dmar);
	build_full_ivrs(&full_ivrs);
	for (unsigned long i = 0; i < iter; i++) {
		fuzz_one(qemu_dmar, sizeof(qemu_dmar), true);
		fuzz_one(qemu_ivrs, sizeof(qemu_ivrs), false);
		fuzz_one(full_dmar.b, full_dmar.n, true);
		fuzz_one(full_ivrs.b, full_ivrs.n, false);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_dmar),
		cmocka_unit_test(test_qemu_ivrs),
		cmocka_unit_test(test_dmar_full),
		cmocka_unit_test(test_dmar_corrupt),
		cmocka_unit_test(test_dmar_many_scopes),
		cmocka_unit_test(test_ivrs_full),
		cmocka_unit_test(test_ivrs_corrupt),
		cmocka_unit_test(test_ivrs_many_entries),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
