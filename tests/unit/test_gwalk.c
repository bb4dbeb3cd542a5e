/* Guest page walks over a fake guest memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/gwalk.h"
#include "lib/errno.h"

static uint8_t mem[1 << 20];

static int rd(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	(void)ctx;
	if (gpa + size > sizeof(mem))
		return -EFAULT;
	*val = 0;
	memcpy(val, mem + gpa, size);
	return 0;
}

static const struct gwalk_env env = { rd, NULL };

static void put32(uint64_t a, uint32_t v) { memcpy(mem + a, &v, 4); }
static void put64(uint64_t a, uint64_t v) { memcpy(mem + a, &v, 8); }

#define PG (1ULL << 31)
#define PAE (1ULL << 5)
#define PSE (1ULL << 4)
#define LMA (1ULL << 10)

static void test_no_paging(void **state)
{
	uint64_t gpa;

	(void)state;
	assert_int_equal(gwalk(0x11, 0, 0, 0, 0x12345678, &env, &gpa), 0);
	assert_int_equal(gpa, 0x12345678);
}

static void test_32bit(void **state)
{
	uint64_t gpa;

	(void)state;
	memset(mem, 0, sizeof(mem));
	put32(0x1000 + (0x300 << 2), 0x2000 | 1);          /* PDE for 0xc0000000 */
	put32(0x2000 + (0x045 << 2), 0x7000 | 1);          /* PTE */
	assert_int_equal(gwalk(PG | 1, 0x1000, 0, 0, 0xc0045abc, &env, &gpa), 0);
	assert_int_equal(gpa, 0x7abc);
	put32(0x1000 + (0x001 << 2), 0x00c00000 | 0x81);   /* 4 MiB page */
	assert_int_equal(gwalk(PG | 1, 0x1000, PSE, 0, 0x00412345, &env, &gpa), 0);
	assert_int_equal(gpa, 0x00c12345);
	assert_int_equal(gwalk(PG | 1, 0x1000, 0, 0, 0x80000000, &env, &gpa), -EFAULT);
}

static void test_pae_and_long(void **state)
{
	uint64_t gpa;

	(void)state;
	memset(mem, 0, sizeof(mem));
	/* PAE: PDPTE 3 -> PD at 0x3000, 2 MiB page. */
	put64(0x1000 + 3 * 8, 0x3000 | 1);
	put64(0x3000 + 1 * 8, 0x40000000ULL | 0x81);
	assert_int_equal(gwalk(PG | 1, 0x1000, PAE, 0, 0xc0212345, &env, &gpa), 0);
	assert_int_equal(gpa, 0x40012345);
	/* 4-level: 0xffff800000001000 -> PML4[256] -> PDPT -> PD -> PT. */
	put64(0x4000 + 256 * 8, 0x5000 | 1);
	put64(0x5000, 0x6000 | 1);
	put64(0x6000, 0x8000 | 1);
	put64(0x8000 + 8, 0x123456000ULL | 1);
	assert_int_equal(gwalk(PG | 1, 0x4000, PAE, LMA, 0xffff800000001abcULL, &env, &gpa), 0);
	assert_int_equal(gpa, 0x123456abcULL);
	/* 1 GiB page. */
	put64(0x5000 + 8, 0x80000000ULL | 0x81);
	assert_int_equal(gwalk(PG | 1, 0x4000, PAE, LMA, 0xffff800040000010ULL, &env, &gpa), 0);
	assert_int_equal(gpa, 0x80000010ULL);
	/* Not present at the PT level. */
	assert_int_equal(gwalk(PG | 1, 0x4000, PAE, LMA, 0xffff800000002000ULL, &env, &gpa), -EFAULT);
	/* Tables outside guest memory: the read error comes back. */
	assert_int_equal(gwalk(PG | 1, 0x7fff0000000ULL, PAE, LMA, 0, &env, &gpa), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_paging),
		cmocka_unit_test(test_32bit),
		cmocka_unit_test(test_pae_and_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
