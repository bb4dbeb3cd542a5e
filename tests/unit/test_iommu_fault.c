/* Unit tests for drivers/iommu_fault.c: VT-d fault recording registers
 * and AMD-Vi event-log entries built bit by bit from the specs' layouts
 * (QEMU 7.2 never writes the AMD event log, so this is where that path
 * is tested), and hostile values: every reason code, all-ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "drivers/iommu_priv.h"

/* VT-d 4.0, 11.4.14: FI 63:12, SID 79:64, FR 103:96, T 126, F 127. */
static void frcd(uint64_t *lo, uint64_t *hi, uint64_t fi, uint16_t sid, unsigned fr, bool read, bool f)
{
	*lo = fi;
	*hi = sid | (uint64_t)fr << 32 | (uint64_t)read << 62 | (uint64_t)f << 63;
}

static void test_vtd_dma_fault(void **state)
{
	struct iommu_fault f;
	uint64_t lo, hi;

	/* The edu (00:01.0) writing to 0x13d000: reason 5, T = 0. */
	frcd(&lo, &hi, 0x13d000, 0x0008, 5, false, true);
	assert_true(vtd_fault_decode(lo, hi, 0, &f));
	assert_int_equal(f.rid, 0x0008);
	assert_int_equal(f.addr, 0x13d000);
	assert_true(f.write);
	assert_int_equal(f.reason, 5);
	assert_non_null(strstr(f.what, "write"));
	/* A read from a device behind a bridge (03:00.2), high address. */
	frcd(&lo, &hi, 0x7fffffff000ull, 0x0302, 6, true, true);
	assert_true(vtd_fault_decode(lo, hi, 2, &f));
	assert_int_equal(f.seg, 2);
	assert_int_equal(f.rid, 0x0302);
	assert_int_equal(f.addr, 0x7fffffff000ull);
	assert_false(f.write);
	assert_non_null(strstr(f.what, "read"));
	/* Low bits of the FI field are reserved: never part of the address. */
	frcd(&lo, &hi, 0x5000 | 0xabc, 1, 2, false, true);
	assert_true(vtd_fault_decode(lo, hi, 0, &f));
	assert_int_equal(f.addr, 0x5000);
	assert_string_equal(f.what, "context entry not present");
	/* F clear: nothing recorded there. */
	frcd(&lo, &hi, 0x5000, 1, 5, false, false);
	assert_false(vtd_fault_decode(lo, hi, 0, &f));
}

static void test_vtd_ir_fault(void **state)
{
	struct iommu_fault f;
	uint64_t lo, hi;

	/* Interrupt remapping faults carry the interrupt index in FI 63:48. */
	frcd(&lo, &hi, 0x0123ULL << 48, 0x0010, 0x25, false, true);
	assert_true(vtd_fault_decode(lo, hi, 0, &f));
	assert_int_equal(f.addr, 0x123);
	assert_string_equal(f.what, "interrupt source-ID check failed");
	frcd(&lo, &hi, 0, 0, 0x21, false, true);
	assert_true(vtd_fault_decode(lo, hi, 0, &f));
	assert_string_equal(f.what, "interrupt remapping entry not present");
}

static void test_vtd_every_reason(void **state)
{
	struct iommu_fault f;

	for (unsigned r = 0; r < 256; r++) {
		uint64_t lo, hi;

		frcd(&lo, &hi, 0x1000, 0xffff, r, r & 1, true);
		assert_true(vtd_fault_decode(lo, hi, 0, &f));
		assert_int_equal(f.reason, r);
		assert_non_null(f.what);
		assert_true(f.what[0]);
	}
	assert_string_equal(vtd_fault_reason(0x99), "unknown reason");
	assert_true(vtd_fault_decode(~0ULL, ~0ULL, 0xffff, &f));
	assert_int_equal(f.rid, 0xffff);
	assert_false(f.write);
}

/* AMD IOMMU 3.0, 2.5.3 IO_PAGE_FAULT: DeviceID 15:0, DomainID 47:32,
 * flags 59:48 (RW bit 53), code 63:60, address 127:64. */
static void ev(uint32_t e[4], unsigned code, uint16_t devid, uint16_t dom, unsigned flags, uint64_t addr)
{
	e[0] = devid;
	e[1] = dom | (flags & 0xfff) << 16 | code << 28;
	e[2] = (uint32_t)addr;
	e[3] = (uint32_t)(addr >> 32);
}

static void test_amdvi_page_fault(void **state)
{
	struct iommu_fault f;
	uint32_t e[4];

	/* A write (RW = flag bit 5) by 00:02.0 to 0x10001000, domain 4004. */
	ev(e, 2, 0x0010, 4004, 1u << 5 | 1u << 4, 0x10001000);
	assert_true(amdvi_event_decode(e, 0, &f));
	assert_int_equal(f.rid, 0x0010);
	assert_int_equal(f.addr, 0x10001000);
	assert_true(f.write);
	assert_int_equal(f.reason, 2);
	assert_string_equal(f.what, "I/O page fault");
	/* A read. */
	ev(e, 2, 0x0300, 2, 1u << 4, 0xfffff000ull << 8);
	assert_true(amdvi_event_decode(e, 1, &f));
	assert_int_equal(f.seg, 1);
	assert_int_equal(f.rid, 0x0300);
	assert_int_equal(f.addr, 0xfffff000ull << 8);
	assert_false(f.write);
}

static void test_amdvi_other_events(void **state)
{
	struct iommu_fault f;
	uint32_t e[4];

	ev(e, 1, 0x00a0, 0, 0, 0xfed80000);
	assert_true(amdvi_event_decode(e, 0, &f));
	assert_string_equal(f.what, "illegal device table entry");
	assert_int_equal(f.rid, 0xa0);
	/* Command errors name no device: the address is the command's. */
	ev(e, 5, 0x1234, 0, 0, 0x40000);
	assert_true(amdvi_event_decode(e, 0, &f));
	assert_string_equal(f.what, "illegal command");
	assert_int_equal(f.rid, 0);
	assert_int_equal(f.addr, 0x40000);
	/* An entry the IOMMU has not written yet. */
	memset(e, 0, sizeof(e));
	assert_false(amdvi_event_decode(e, 0, &f));
	/* Every code decodes to words; all-ones does not crash. */
	for (unsigned c = 0; c < 16; c++) {
		ev(e, c, 0xffff, 0xffff, 0xfff, ~0ULL);
		assert_true(amdvi_event_decode(e, 0, &f));
		assert_true(f.what && f.what[0]);
	}
	assert_string_equal(amdvi_event_name(0xf), "unknown event");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vtd_dma_fault),
		cmocka_unit_test(test_vtd_ir_fault),
		cmocka_unit_test(test_vtd_every_reason),
		cmocka_unit_test(test_amdvi_page_fault),
		cmocka_unit_test(test_amdvi_other_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
