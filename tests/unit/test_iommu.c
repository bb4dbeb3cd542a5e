/* Unit tests for drivers/iommu.c, the layer above the two drivers: the
 * driver picked by the table, a refused table leaving no IOMMU with the
 * reason, RMRR and IVMD ranges identity-mapped only for the devices they
 * name, and the fault path's counting, sampling and handler. The
 * drivers are fakes here that record what the layer asked of them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "drivers/iommu_priv.h"
#include "drivers/acpi.h"
#include "drivers/pci.h"
#include "include/vatra/hv.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/errno.h"
#include "tests/unit/iommu_fixtures.h"

struct hv hv;

/* ---- what iommu.c reaches below it ---- */

static char logbuf[8192];

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(logbuf);

	(void)lvl;
	va_start(ap, fmt);
	if (n < sizeof(logbuf) - 2) {
		vsnprintf(logbuf + n, sizeof(logbuf) - n - 1, fmt, ap);
		strcat(logbuf, "\n");
	}
	va_end(ap);
}

static const uint8_t *mapped_table;

void *mmu_map_phys(uint64_t phys, size_t len, bool uncached)
{
	(void)len;
	(void)uncached;
	return phys == 0x7000 ? (void *)mapped_table : NULL;
}

uint64_t page_alloc(uint64_t npages, uint64_t align_pages)
{
	(void)npages;
	(void)align_pages;
	return 0;
}

void page_free(uint64_t phys, uint64_t npages)
{
	(void)phys;
	(void)npages;
}

struct pci_tree *pci_host_tree(void)
{
	return NULL;
}

/* ---- fake drivers ---- */

struct iommu_domain {
	unsigned id;
};

static struct iommu_domain fake_dom;
static int init_ret;
static unsigned ncreate, nmap, nattach;
static uint64_t map_gpa[8], map_hpa[8], map_len[8];
static unsigned map_prot[8];
static uint16_t attach_rid[300];

static int f_init(const struct acpi_info *ai)
{
	(void)ai;
	return init_ret;
}

static void f_info(struct iommu_info *o)
{
	o->kind = "fake";
	o->units = 1;
	o->intr_remap = true;
	o->addr_bits = 39;
}

static bool f_covers(uint16_t seg, uint16_t rid)
{
	return seg == 0 && rid < 0x200;
}

static struct iommu_domain *f_create(unsigned id)
{
	ncreate++;
	fake_dom.id = id;
	return &fake_dom;
}

static int f_map(struct iommu_domain *d, uint64_t gpa, uint64_t hpa, uint64_t len, unsigned prot)
{
	(void)d;
	if (nmap < 8) {
		map_gpa[nmap] = gpa;
		map_hpa[nmap] = hpa;
		map_len[nmap] = len;
		map_prot[nmap] = prot;
	}
	nmap++;
	return 0;
}

static int f_attach(struct iommu_domain *d, uint16_t seg, uint16_t rid)
{
	(void)d;
	(void)seg;
	if (nattach < 300)
		attach_rid[nattach] = rid;
	nattach++;
	return 0;
}

static void f_poll(void)
{
}

static void f_report(struct sink *out)
{
	(void)out;
}

const struct iommu_ops vtd_ops = {
	.kind = "VT-d", .init = f_init, .info = f_info, .covers = f_covers,
	.domain_create = f_create, .map = f_map, .attach = f_attach,
	.poll_faults = f_poll, .report = f_report,
};
const struct iommu_ops amdvi_ops = {
	.kind = "AMD-Vi", .init = f_init, .info = f_info, .covers = f_covers,
	.domain_create = f_create, .map = f_map, .attach = f_attach,
	.poll_faults = f_poll, .report = f_report,
};

/* ---- helpers ---- */

static struct acpi_info ai;
static uint8_t tbl[4096];

static void fix(uint8_t *p, size_t len)
{
	uint8_t s = 0;

	p[4] = (uint8_t)len;
	p[5] = (uint8_t)(len >> 8);
	p[6] = p[7] = 0;
	p[9] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[9] = (uint8_t)-s;
}

static void with_table(const char *sig, const uint8_t *t, size_t len)
{
	memset(&ai, 0, sizeof(ai));
	memcpy(ai.tables[0].sig, sig, 5);
	ai.tables[0].phys = 0x7000;
	ai.tables[0].len = (uint32_t)len;
	ai.tables[0].valid = true;
	ai.ntables = 1;
	mapped_table = t;
}

static int setup(void **state)
{
	(void)state;
	iommu = NULL;
	init_ret = 0;
	ncreate = nmap = nattach = 0;
	logbuf[0] = '\0';
	iommu_set_fault_handler(NULL);
	return 0;
}

/* ---- tests ---- */

static void test_picks_driver(void **state)
{
	with_table("DMAR", qemu_dmar, sizeof(qemu_dmar));
	assert_int_equal(iommu_setup(&ai), 0);
	assert_ptr_equal(iommu, &vtd_ops);
	assert_null(iommu_absent_reason);
	assert_int_equal(ncreate, 0);	/* no RMRR in QEMU's table */
	assert_non_null(strstr(logbuf, "every device blocked"));

	setup(NULL);
	with_table("IVRS", qemu_ivrs, sizeof(qemu_ivrs));
	assert_int_equal(iommu_setup(&ai), 0);
	assert_ptr_equal(iommu, &amdvi_ops);
}

static void test_no_iommu(void **state)
{
	memset(&ai, 0, sizeof(ai));
	assert_int_equal(iommu_setup(&ai), -ENOENT);
	assert_null(iommu);
	assert_non_null(strstr(iommu_absent_reason, "no DMAR or IVRS"));
	assert_int_equal(iommu_setup(NULL), -ENOENT);
	assert_null(iommu);
	/* A table acpi.c found broken (header or checksum) is not opened. */
	with_table("DMAR", qemu_dmar, sizeof(qemu_dmar));
	ai.tables[0].valid = false;
	assert_int_equal(iommu_setup(&ai), -EBADMSG);
	assert_null(iommu);
	assert_non_null(strstr(iommu_absent_reason, "unusable"));
}

static void test_refused_table(void **state)
{
	memcpy(tbl, qemu_dmar, sizeof(qemu_dmar));
	tbl[48 + 2] = 0;	/* the DRHD's length: 0 */
	tbl[48 + 3] = 0;
	fix(tbl, sizeof(qemu_dmar));
	with_table("DMAR", tbl, sizeof(qemu_dmar));
	assert_int_equal(iommu_setup(&ai), -EBADMSG);
	assert_null(iommu);
	assert_non_null(strstr(iommu_absent_reason, "table refused: DMAR: structure type 0 at offset 48 has length 0"));
	assert_non_null(strstr(logbuf, "passthrough unavailable"));
	/* A driver whose units do not come up: no IOMMU either. */
	setup(NULL);
	init_ret = -ETIMEDOUT;
	with_table("DMAR", qemu_dmar, sizeof(qemu_dmar));
	assert_int_equal(iommu_setup(&ai), -ETIMEDOUT);
	assert_null(iommu);
	assert_non_null(strstr(iommu_absent_reason, "did not come up (ETIMEDOUT)"));
}

/* A DMAR with one DRHD and an RMRR for 00:1d.0 and 00:1a.0. */
static void test_rmrr(void **state)
{
	static const uint8_t rmrr[] = {
		1, 0, 40, 0, 0, 0, 0, 0,
		0x00, 0x00, 0xe0, 0x7d, 0, 0, 0, 0,	/* base 0x7de00000 */
		0xff, 0xff, 0xe1, 0x7d, 0, 0, 0, 0,	/* limit 0x7de1ffff */
		1, 8, 0, 0, 0, 0, 0x1d, 0,
		1, 8, 0, 0, 0, 0, 0x1a, 0,
	};
	size_t n = sizeof(qemu_dmar);

	memcpy(tbl, qemu_dmar, n);
	memcpy(tbl + n, rmrr, sizeof(rmrr));
	n += sizeof(rmrr);
	fix(tbl, n);
	with_table("DMAR", tbl, n);
	assert_int_equal(iommu_setup(&ai), 0);
	assert_int_equal(ncreate, 1);
	assert_int_equal(fake_dom.id, IOMMU_DOMAIN_RESERVED);
	assert_int_equal(nmap, 1);
	assert_int_equal(map_gpa[0], 0x7de00000);
	assert_int_equal(map_hpa[0], 0x7de00000);
	assert_int_equal(map_len[0], 0x20000);
	assert_int_equal(map_prot[0], IOMMU_READ | IOMMU_WRITE);
	assert_int_equal(nattach, 2);
	assert_int_equal(attach_rid[0], 0x1d << 3);
	assert_int_equal(attach_rid[1], 0x1a << 3);
	assert_non_null(strstr(logbuf, "RMRR 0x7de00000-0x7de1ffff identity-mapped for 0000:00:1d.0"));
}

/* IVMDs: a unity range for one device is mapped for it; one for all
 * devices, or one that is not a unity range, is not. */
static void test_ivmd(void **state)
{
	static const uint8_t ivmd[] = {
		0x21, 0x07, 32, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0x7e, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0,	/* 0x7e000000 + 4 KiB */
		0x20, 0x07, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0x7f, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0,
		0x22, 0x08, 32, 0, 0x20, 0, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0x6f, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0,
	};
	size_t n = sizeof(qemu_ivrs);

	memcpy(tbl, qemu_ivrs, n);
	memcpy(tbl + n, ivmd, sizeof(ivmd));
	n += sizeof(ivmd);
	fix(tbl, n);
	with_table("IVRS", tbl, n);
	assert_int_equal(iommu_setup(&ai), 0);
	assert_int_equal(nmap, 1);
	assert_int_equal(map_gpa[0], 0x7e000000);
	assert_int_equal(map_len[0], 0x1000);
	assert_int_equal(nattach, 1);
	assert_int_equal(attach_rid[0], 0x10);
	if (!strstr(logbuf, "names devices 0x0-0xffff: not mapped"))
		fail_msg("log: %s", logbuf);
	assert_non_null(strstr(logbuf, "is not a unity range"));
}

static unsigned handled, logged;
static struct iommu_fault seen;

static void handler(const struct iommu_fault *f)
{
	handled++;
	logged += f->log;
	seen = *f;
}

static void test_faults(void **state)
{
	struct iommu_fault f = { .seg = 0, .rid = 0x0008, .addr = 0x13d000, .write = true,
				 .reason = 5, .what = "write not permitted" }, last;
	unsigned long before = iommu_fault_count();

	/* The default handler logs, naming no owner. */
	iommu_fault_report(&f);
	assert_non_null(strstr(logbuf, "iommu: fault #1 from 0000:00:01.0: write at 0x13d000: write not permitted (reason 0x5)"));
	assert_true(iommu_last_fault(&last));
	assert_int_equal(last.rid, 8);
	assert_int_equal(last.count, 1);
	/* A registered handler gets every fault; a storm is sampled. */
	iommu_set_fault_handler(handler);
	for (unsigned i = 0; i < 2999; i++)
		iommu_fault_report(&f);
	assert_int_equal(handled, 2999);
	assert_int_equal(seen.count, 3000);
	/* Logged: faults 2..16, then 1000, 2000, 3000. */
	assert_int_equal(logged, 15 + 3);
	assert_int_equal(iommu_fault_count(), before + 3000);
	/* Another device is counted apart. */
	f.rid = 0x0010;
	iommu_fault_report(&f);
	assert_int_equal(seen.count, 1);
	assert_true(seen.log);
	iommu_set_fault_handler(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_picks_driver, setup),
		cmocka_unit_test_setup(test_no_iommu, setup),
		cmocka_unit_test_setup(test_refused_table, setup),
		cmocka_unit_test_setup(test_rmrr, setup),
		cmocka_unit_test_setup(test_ivmd, setup),
		cmocka_unit_test_setup(test_faults, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
