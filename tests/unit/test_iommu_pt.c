/* Unit tests for drivers/iommu_pt.c: the VT-d second-level and AMD-Vi
 * formats driven by the shared engine (arch/x86/paging.c). Each check
 * compares the engine's tables with a walker written here from the specs'
 * entry layouts alone (what the IOMMU hardware would do), so a wrong bit
 * in a format shows as a wrong translation. Table pages live in a fake
 * physical memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/iommu_pt.h"
#include "lib/errno.h"

#define PG 4096ULL
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define NPAGES 1024
#define BASE 0x3340000000ULL

static uint8_t (*mem)[PG];
static bool used[NPAGES];
static unsigned live;

static void *f_alloc(void *ctx, uint64_t *phys)
{
	for (unsigned i = 0; i < NPAGES; i++)
		if (!used[i]) {
			used[i] = true;
			live++;
			memset(mem[i], 0, PG);
			*phys = BASE + i * PG;
			return mem[i];
		}
	return NULL;
}

static void f_free(void *ctx, uint64_t phys)
{
	unsigned i = (unsigned)((phys - BASE) / PG);

	assert_true(used[i]);
	used[i] = false;
	live--;
	memset(mem[i], 0x5a, PG);
}

static void *f_virt(void *ctx, uint64_t phys)
{
	unsigned i = (unsigned)((phys - BASE) / PG);

	assert_true(phys >= BASE && i < NPAGES && used[i]);
	return mem[i];
}

static const struct pt_env env = { f_alloc, f_free, f_virt, NULL };

static int setup(void **state)
{
	mem = calloc(NPAGES, PG);
	memset(used, 0, sizeof(used));
	live = 0;
	return 0;
}

static int teardown(void **state)
{
	free(mem);
	return 0;
}

static uint64_t rd(uint64_t table, unsigned i)
{
	return ((uint64_t *)f_virt(NULL, table))[i];
}

/* VT-d 4.0, 3.7 / 9.8: a second-level walk. Returns the access rights
 * (bit 0 read, bit 1 write) and the host address, 0 when faulting. */
static unsigned vtd_walk(uint64_t root, unsigned levels, uint64_t iova, uint64_t *hpa)
{
	uint64_t table = root;

	if (iova >> (12 + 9 * levels))
		return 0;
	for (unsigned l = levels; l >= 1; l--) {
		uint64_t e = rd(table, (iova >> (12 + 9 * (l - 1))) & 511);
		uint64_t sz = 1ULL << (12 + 9 * (l - 1));

		if (!(e & 3))
			return 0;
		assert_int_equal(e & 0x800, 0);		/* SNP: reserved without ECAP.SC */
		assert_int_equal(e & 0xfff0000000000000ULL, 0);
		if (l == 1 || (e & 0x80)) {
			assert_true(l <= 3);
			*hpa = (e & 0x000ffffffffff000ULL & ~(sz - 1)) + (iova & (sz - 1));
			return (unsigned)(e & 3);
		}
		/* Non-leaf: both rights, so the leaf decides. */
		assert_int_equal(e & 3, 3);
		table = e & 0x000ffffffffff000ULL;
	}
	return 0;
}

/* AMD IOMMU 3.0, 2.2.3: a walk from a DTE of mode `levels`. */
static unsigned amdvi_walk(uint64_t root, unsigned levels, uint64_t iova, uint64_t *hpa)
{
	uint64_t table = root;
	unsigned l = levels, perm = 3;

	if (iova >> (12 + 9 * levels))
		return 0;
	for (;;) {
		uint64_t e = rd(table, (iova >> (12 + 9 * (l - 1))) & 511);
		unsigned nl = (e >> 9) & 7;
		uint64_t sz = 1ULL << (12 + 9 * (l - 1));

		if (!(e & 1))
			return 0;
		perm &= (unsigned)((e >> 61) & 3);
		if (nl == 0) {
			*hpa = (e & 0x000ffffffffff000ULL & ~(sz - 1)) + (iova & (sz - 1));
			return perm;
		}
		/* The next level is always the one below (no skipping). */
		assert_int_equal(nl, l - 1);
		assert_int_equal((e >> 61) & 3, 3);
		table = e & 0x000ffffffffff000ULL;
		l = nl;
	}
}

typedef unsigned (*walker)(uint64_t, unsigned, uint64_t, uint64_t *);

struct fmt_case {
	const struct pt_format *fmt;
	walker walk;
};

static const struct fmt_case cases[] = {
	{ &pt_vtd3, vtd_walk }, { &pt_vtd4, vtd_walk },
	{ &pt_amdvi3, amdvi_walk }, { &pt_amdvi4, amdvi_walk },
};

static void expect(const struct fmt_case *c, struct pt *pt, uint64_t iova, unsigned perm,
		   uint64_t hpa)
{
	uint64_t got = 0, lpa = 0;
	unsigned p = c->walk(pt->root, c->fmt->levels, iova, &got);
	unsigned fl = 0;
	int r = pt_lookup(pt, iova, &lpa, &fl, NULL);

	assert_int_equal(p, perm);
	if (perm) {
		assert_int_equal(got, hpa);
		assert_int_equal(r, 0);
		assert_int_equal(lpa, hpa);
		assert_int_equal(fl & (PT_R | PT_W), perm == 3 ? (PT_R | PT_W) : PT_R);
	} else {
		assert_int_equal(r, -ENOENT);
	}
}

static void test_map_walk(void **state)
{
	for (unsigned k = 0; k < 4; k++) {
		const struct fmt_case *c = &cases[k];
		struct pt pt;

		assert_int_equal(pt_init(&pt, c->fmt, &env, PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G), 0);
		/* Three pages read/write, one read-only, nothing around them. */
		assert_int_equal(pt_map(&pt, 0x200000, 0x80000000, 3 * PG, PT_R | PT_W), 0);
		assert_int_equal(pt_map(&pt, 0x400000, 0x90000000, PG, PT_R), 0);
		expect(c, &pt, 0x200000, 3, 0x80000000);
		expect(c, &pt, 0x202abc, 3, 0x80002abc);
		expect(c, &pt, 0x1ff000, 0, 0);
		expect(c, &pt, 0x203000, 0, 0);
		expect(c, &pt, 0x400010, 1, 0x90000010);
		expect(c, &pt, 0x401000, 0, 0);
		expect(c, &pt, 0, 0, 0);
		/* Overlap refused, nothing changed. */
		assert_int_equal(pt_map(&pt, 0x202000, 0x1000, 2 * PG, PT_R), -EEXIST);
		expect(c, &pt, 0x203000, 0, 0);
		/* Past the format's width. */
		assert_int_equal(pt_map(&pt, 1ULL << (12 + 9 * c->fmt->levels), 0, PG, PT_R), -EINVAL);
		/* Unmap the middle page only. */
		assert_int_equal(pt_unmap(&pt, 0x201000, PG), 0);
		expect(c, &pt, 0x200000, 3, 0x80000000);
		expect(c, &pt, 0x201000, 0, 0);
		expect(c, &pt, 0x202000, 3, 0x80002000);
		pt_destroy(&pt);
		assert_int_equal(live, 0);
	}
}

static void test_large_pages(void **state)
{
	for (unsigned k = 0; k < 4; k++) {
		const struct fmt_case *c = &cases[k];
		struct pt pt;
		uint64_t ps = 0;

		assert_int_equal(pt_init(&pt, c->fmt, &env, PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G), 0);
		/* 1 GiB + 2 MiB + 4 KiB, each aligned: one leaf of each size. */
		assert_int_equal(pt_map(&pt, GiB, 4 * GiB, GiB + 2 * MiB + PG, PT_R | PT_W), 0);
		assert_int_equal(pt_lookup(&pt, GiB + 12345, NULL, NULL, &ps), 0);
		assert_int_equal(ps, GiB);
		assert_int_equal(pt_lookup(&pt, 2 * GiB + 5, NULL, NULL, &ps), 0);
		assert_int_equal(ps, 2 * MiB);
		expect(c, &pt, GiB + 0x3456789, 3, 4 * GiB + 0x3456789);
		expect(c, &pt, 2 * GiB + 0x100000, 3, 5 * GiB + 0x100000);
		expect(c, &pt, 2 * GiB + 2 * MiB, 3, 5 * GiB + 2 * MiB);
		expect(c, &pt, 2 * GiB + 2 * MiB + PG, 0, 0);
		/* Punch a 4 KiB hole in the 1 GiB page: split twice, the rest stays. */
		assert_int_equal(pt_unmap(&pt, GiB + 3 * MiB, PG), 0);
		expect(c, &pt, GiB + 3 * MiB, 0, 0);
		expect(c, &pt, GiB + 3 * MiB - PG, 3, 4 * GiB + 3 * MiB - PG);
		expect(c, &pt, GiB + 3 * MiB + PG, 3, 4 * GiB + 3 * MiB + PG);
		expect(c, &pt, GiB + 900 * MiB, 3, 4 * GiB + 900 * MiB);
		/* Without large-page support (CAP.SLLPS = 0): 4 KiB leaves only. */
		pt_destroy(&pt);
		assert_int_equal(pt_init(&pt, c->fmt, &env, PT_LEAF_4K), 0);
		assert_int_equal(pt_map(&pt, 0, 0x40000000, 2 * MiB, PT_R), 0);
		assert_int_equal(pt_lookup(&pt, 0x1000, NULL, NULL, &ps), 0);
		assert_int_equal(ps, PG);
		expect(c, &pt, 0x1fffff, 1, 0x401fffff);
		pt_destroy(&pt);
		assert_int_equal(live, 0);
	}
}

/* Random maps and unmaps against a shadow of 512 pages: the hardware
 * walk must agree with the shadow everywhere (nothing outside what was
 * asked is ever reachable). */
static void test_random(void **state)
{
	static uint64_t shadow[512];
	uint64_t rng = 12345;

	for (unsigned k = 0; k < 4; k++) {
		const struct fmt_case *c = &cases[k];
		struct pt pt;

		memset(shadow, 0, sizeof(shadow));
		assert_int_equal(pt_init(&pt, c->fmt, &env, PT_LEAF_4K | PT_LEAF_2M), 0);
		for (unsigned it = 0; it < 3000; it++) {
			unsigned first, n, i;
			bool clash = false;

			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			first = (unsigned)(rng >> 33) % 512;
			n = 1 + (unsigned)(rng >> 20) % 8;
			if (first + n > 512)
				n = 512 - first;
			for (i = first; i < first + n; i++)
				clash |= shadow[i] != 0;
			if ((rng >> 60) & 1) {
				uint64_t hpa = 0x100000000ULL + ((rng >> 8) & 0xffff) * PG;
				int r = pt_map(&pt, 0x10000000 + first * PG, hpa, n * PG, PT_R | PT_W);

				assert_int_equal(r, clash ? -EEXIST : 0);
				if (!r)
					for (i = 0; i < n; i++)
						shadow[first + i] = hpa + i * PG;
			} else {
				assert_int_equal(pt_unmap(&pt, 0x10000000 + first * PG, n * PG), 0);
				for (i = first; i < first + n; i++)
					shadow[i] = 0;
			}
			if (it % 100 == 0)
				for (i = 0; i < 512; i++)
					expect(c, &pt, 0x10000000 + i * PG, shadow[i] ? 3 : 0, shadow[i]);
		}
		for (unsigned i = 0; i < 512; i++)
			expect(c, &pt, 0x10000000 + i * PG, shadow[i] ? 3 : 0, shadow[i]);
		expect(c, &pt, 0x10000000 - PG, 0, 0);
		expect(c, &pt, 0x10000000 + 512 * PG, 0, 0);
		pt_destroy(&pt);
		assert_int_equal(live, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
