/* Host unit tests for arch/x86/paging.c (cmocka).
 *
 * Table pages live in a fake "physical memory": a host array of 4 KiB
 * pages at a made-up physical base, handed to the engine through the
 * pt_env callbacks. The fake counts allocations and frees (leaks), can be
 * told to fail after N allocations, poisons freed pages and refuses to
 * translate a physical address that is not a live table page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/paging.h"
#include "lib/errno.h"

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)
#define PG  (4 * KiB)

/* ---- fake physical memory ------------------------------------------- */

#define FAKE_PAGES 512
#define FAKE_BASE  0x7650000000ULL	/* nonzero, so phys != index mix-ups show */

struct fake_mem {
	uint8_t (*mem)[PG];
	bool used[FAKE_PAGES];
	unsigned live, allocs, frees;
	int fail_after;			/* < 0: never; else allocations left before NULL */
};

static struct fake_mem fm;

static unsigned fake_index(uint64_t phys)
{
	assert_true(phys >= FAKE_BASE);
	assert_int_equal(phys % PG, 0);
	assert_true((phys - FAKE_BASE) / PG < FAKE_PAGES);
	return (unsigned)((phys - FAKE_BASE) / PG);
}

static void *fake_alloc(void *ctx, uint64_t *phys)
{
	unsigned i;

	assert_ptr_equal(ctx, &fm);
	if (fm.fail_after == 0)
		return NULL;
	if (fm.fail_after > 0)
		fm.fail_after--;
	for (i = 0; i < FAKE_PAGES; i++) {
		if (!fm.used[i]) {
			fm.used[i] = true;
			memset(fm.mem[i], 0, PG);
			fm.live++;
			fm.allocs++;
			*phys = FAKE_BASE + i * PG;
			return fm.mem[i];
		}
	}
	fail_msg("fake memory exhausted");
	return NULL;
}

static void fake_free(void *ctx, uint64_t phys)
{
	unsigned i = fake_index(phys);

	assert_ptr_equal(ctx, &fm);
	assert_true(fm.used[i]);		/* double free / bogus free */
	memset(fm.mem[i], 0xa5, PG);		/* stale reads look "present" */
	fm.used[i] = false;
	fm.live--;
	fm.frees++;
}

static void *fake_p2v(void *ctx, uint64_t phys)
{
	unsigned i = fake_index(phys);

	assert_ptr_equal(ctx, &fm);
	assert_true(fm.used[i]);		/* use after free */
	return fm.mem[i];
}

static const struct pt_env env = {
	.alloc = fake_alloc,
	.free = fake_free,
	.phys_to_virt = fake_p2v,
	.ctx = &fm,
};

static int fm_setup(void **state)
{
	(void)state;
	if (!fm.mem)
		fm.mem = aligned_alloc(PG, FAKE_PAGES * PG);
	assert_non_null(fm.mem);
	memset(fm.used, 0, sizeof(fm.used));
	fm.live = fm.allocs = fm.frees = 0;
	fm.fail_after = -1;
	return 0;
}

/* Every test must leave no table page behind. */
static int fm_teardown(void **state)
{
	(void)state;
	assert_int_equal(fm.live, 0);
	assert_int_equal(fm.allocs, fm.frees);
	return 0;
}

/* Full copy of the fake memory, to prove a failed call changed nothing. */
struct snap {
	bool used[FAKE_PAGES];
	uint8_t (*mem)[PG];
	unsigned live;
};

static void snap_take(struct snap *s)
{
	unsigned i;

	s->mem = malloc(FAKE_PAGES * PG);
	assert_non_null(s->mem);
	memcpy(s->used, fm.used, sizeof(s->used));
	for (i = 0; i < FAKE_PAGES; i++)
		if (fm.used[i])
			memcpy(s->mem[i], fm.mem[i], PG);
	s->live = fm.live;
}

static void snap_check_and_free(struct snap *s)
{
	unsigned i;

	assert_int_equal(fm.live, s->live);
	assert_memory_equal(fm.used, s->used, sizeof(s->used));
	for (i = 0; i < FAKE_PAGES; i++)
		if (fm.used[i])
			assert_memory_equal(fm.mem[i], s->mem[i], PG);
	free(s->mem);
}

/* ---- raw walker, independent of the engine --------------------------- */

#define E_P   (1ULL << 0)
#define E_RW  (1ULL << 1)
#define E_US  (1ULL << 2)
#define E_PWT (1ULL << 3)
#define E_PCD (1ULL << 4)
#define E_PS  (1ULL << 7)
#define E_G   (1ULL << 8)
#define E_XD  (1ULL << 63)
#define E_ADDR 0x000ffffffffff000ULL

static uint64_t *raw_table(uint64_t phys)
{
	return (uint64_t *)fake_p2v(&fm, phys);
}

static unsigned raw_index(uint64_t va, unsigned level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

/* The entry for va at level, asserting that all levels above are present
 * table pointers with exactly the bits the spec asks for (P|RW|US, no
 * XD, no PS, no caching bits). */
static uint64_t raw_entry(const struct pt *pt, uint64_t va, unsigned level)
{
	uint64_t table = pt->root;
	unsigned l;

	for (l = 4; l > level; l--) {
		uint64_t e = raw_table(table)[raw_index(va, l)];

		assert_int_equal(e & ~E_ADDR, E_P | E_RW | E_US);
		table = e & E_ADDR;
	}
	return raw_table(table)[raw_index(va, level)];
}

/* ---- helpers ---------------------------------------------------------- */

static void init_pt(struct pt *pt, unsigned leaf_levels)
{
	assert_int_equal(pt_init(pt, &pt_x86_64, &env, leaf_levels), 0);
}

#define ALL_LEAVES (PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G)

/* va translates to pa with flags and page size. */
static void expect_map(const struct pt *pt, uint64_t va, uint64_t pa, unsigned flags, uint64_t size)
{
	uint64_t got_pa = 0, got_size = 0;
	unsigned got_flags = 0;

	assert_int_equal(pt_lookup(pt, va, &got_pa, &got_flags, &got_size), 0);
	assert_int_equal(got_pa, pa);
	assert_int_equal(got_flags, flags);
	assert_int_equal(got_size, size);
}

static void expect_unmapped(const struct pt *pt, uint64_t va)
{
	assert_int_equal(pt_lookup(pt, va, NULL, NULL, NULL), -ENOENT);
}

/* ---- tests ------------------------------------------------------------ */

static void test_init_destroy(void **state)
{
	struct pt pt;
	unsigned i;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(fm.live, 1);
	assert_ptr_equal(pt.fmt, &pt_x86_64);
	assert_int_equal(pt.leaf_levels, ALL_LEAVES);
	for (i = 0; i < 512; i++)
		assert_int_equal(raw_table(pt.root)[i], 0);
	expect_unmapped(&pt, 0);
	pt_destroy(&pt);
	assert_int_equal(fm.live, 0);
	pt_destroy(&pt);		/* harmless */
	assert_int_equal(fm.frees, 1);
	assert_int_equal(pt_map(&pt, 0, 0, PG, PT_R), -EINVAL);	/* destroyed */
}

static void test_init_leaf_levels(void **state)
{
	struct pt pt;

	(void)state;
	/* Masked to what the format has: level 4 and bits beyond dropped. */
	init_pt(&pt, 0xffff);
	assert_int_equal(pt.leaf_levels, ALL_LEAVES);
	pt_destroy(&pt);
	/* CPU without 1 GiB pages. */
	init_pt(&pt, PT_LEAF_4K | PT_LEAF_2M);
	assert_int_equal(pt.leaf_levels, PT_LEAF_4K | PT_LEAF_2M);
	pt_destroy(&pt);
	/* No 4K leaves, or a hole that would make splitting impossible. */
	assert_int_equal(pt_init(&pt, &pt_x86_64, &env, PT_LEAF_2M | PT_LEAF_1G), -EINVAL);
	assert_int_equal(pt_init(&pt, &pt_x86_64, &env, PT_LEAF_4K | PT_LEAF_1G), -EINVAL);
	assert_int_equal(pt_init(&pt, &pt_x86_64, NULL, ALL_LEAVES), -EINVAL);
	assert_int_equal(fm.allocs, 2);
	/* Root allocation failure. */
	fm.fail_after = 0;
	assert_int_equal(pt_init(&pt, &pt_x86_64, &env, ALL_LEAVES), -ENOMEM);
	assert_null(pt.fmt);
	pt_destroy(&pt);		/* harmless after a failed init */
	assert_int_equal(fm.live, 0);
}

static void test_map_4k(void **state)
{
	uint64_t va = 0x10000000, pa = 0x12345000, pa_out = 0, size = 0;
	unsigned flags = 0;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, PG, PT_R | PT_W), 0);
	expect_map(&pt, va, pa, PT_R | PT_W, PG);
	expect_map(&pt, va + 0x123, pa + 0x123, PT_R | PT_W, PG);
	expect_map(&pt, va + 0xfff, pa + 0xfff, PT_R | PT_W, PG);
	expect_unmapped(&pt, va - 1);
	expect_unmapped(&pt, va + PG);
	expect_unmapped(&pt, va + 2 * MiB);
	expect_unmapped(&pt, va + GiB);
	/* Outputs may be NULL, individually. */
	assert_int_equal(pt_lookup(&pt, va, &pa_out, NULL, NULL), 0);
	assert_int_equal(pa_out, pa);
	assert_int_equal(pt_lookup(&pt, va, NULL, &flags, NULL), 0);
	assert_int_equal(flags, PT_R | PT_W);
	assert_int_equal(pt_lookup(&pt, va, NULL, NULL, &size), 0);
	assert_int_equal(size, PG);
	/* root + PDPT + PD + PT */
	assert_int_equal(fm.live, 4);
	assert_int_equal(raw_entry(&pt, va, 1), pa | E_P | E_RW | E_XD);
	/* A second page in the same PT needs no new table. */
	assert_int_equal(pt_map(&pt, va + PG, 0x999000, PG, PT_R | PT_X), 0);
	assert_int_equal(fm.live, 4);
	expect_map(&pt, va + PG, 0x999000, PT_R | PT_X, PG);
	expect_map(&pt, va, pa, PT_R | PT_W, PG);
	pt_destroy(&pt);
}

static void test_map_2m_two_leaves(void **state)
{
	uint64_t va = 0x40000000 + 8 * MiB, pa = 0x200000000ULL + 2 * MiB;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, 4 * MiB, PT_R | PT_W), 0);
	/* root + PDPT + PD: no page tables at all. */
	assert_int_equal(fm.live, 3);
	expect_map(&pt, va, pa, PT_R | PT_W, 2 * MiB);
	expect_map(&pt, va + 2 * MiB - 1, pa + 2 * MiB - 1, PT_R | PT_W, 2 * MiB);
	expect_map(&pt, va + 2 * MiB, pa + 2 * MiB, PT_R | PT_W, 2 * MiB);
	expect_map(&pt, va + 3 * MiB + 0x4567, pa + 3 * MiB + 0x4567, PT_R | PT_W, 2 * MiB);
	expect_unmapped(&pt, va + 4 * MiB);
	expect_unmapped(&pt, va - PG);
	assert_int_equal(raw_entry(&pt, va, 2), pa | E_P | E_RW | E_PS | E_XD);
	assert_int_equal(raw_entry(&pt, va + 2 * MiB, 2), (pa + 2 * MiB) | E_P | E_RW | E_PS | E_XD);
	pt_destroy(&pt);
}

static void test_map_1g(void **state)
{
	uint64_t va = 3 * GiB, pa = 5 * GiB;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, GiB, PT_R | PT_W | PT_X), 0);
	assert_int_equal(fm.live, 2);			/* root + PDPT */
	expect_map(&pt, va, pa, PT_R | PT_W | PT_X, GiB);
	expect_map(&pt, va + GiB - 1, pa + GiB - 1, PT_R | PT_W | PT_X, GiB);
	expect_unmapped(&pt, va + GiB);
	assert_int_equal(raw_entry(&pt, va, 3), pa | E_P | E_RW | E_PS);
	pt_destroy(&pt);

	/* Same request on a CPU without 1 GiB pages: 512 2 MiB leaves. */
	init_pt(&pt, PT_LEAF_4K | PT_LEAF_2M);
	assert_int_equal(pt_map(&pt, va, pa, GiB, PT_R | PT_W | PT_X), 0);
	assert_int_equal(fm.live, 3);			/* root + PDPT + PD */
	expect_map(&pt, va, pa, PT_R | PT_W | PT_X, 2 * MiB);
	expect_map(&pt, va + GiB - PG, pa + GiB - PG, PT_R | PT_W | PT_X, 2 * MiB);
	assert_int_equal(raw_entry(&pt, va + 100 * 2 * MiB, 2), (pa + 200 * MiB) | E_P | E_RW | E_PS);
	pt_destroy(&pt);

	/* 4K leaves only (a format-level option, not a real x86 CPU): an
	 * 8 MiB range needs four page tables. */
	init_pt(&pt, PT_LEAF_4K);
	assert_int_equal(pt_map(&pt, va, pa, 8 * MiB, PT_R), 0);
	assert_int_equal(fm.live, 3 + 4);
	expect_map(&pt, va + 5 * MiB, pa + 5 * MiB, PT_R, PG);
	pt_destroy(&pt);
}

static void test_map_mixed_sizes(void **state)
{
	uint64_t va = GiB + 2 * MiB - 2 * PG, pa = 7 * GiB + 2 * MiB - 2 * PG;
	uint64_t size = 2 * PG + 2 * MiB + 3 * PG, off;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, size, PT_R), 0);
	/* 2 x 4K, then one 2M, then 3 x 4K. */
	for (off = 0; off < size; off += PG) {
		bool big = off >= 2 * PG && off < 2 * PG + 2 * MiB;

		expect_map(&pt, va + off, pa + off, PT_R, big ? 2 * MiB : PG);
	}
	expect_unmapped(&pt, va - PG);
	expect_unmapped(&pt, va + size);
	/* root, PDPT, PD, two PTs */
	assert_int_equal(fm.live, 5);
	pt_destroy(&pt);

	/* va 2M-aligned but pa only 4K-aligned: no large page is possible. */
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, GiB, 3 * GiB + PG, 4 * MiB, PT_R | PT_W), 0);
	for (off = 0; off < 4 * MiB; off += PG)
		expect_map(&pt, GiB + off, 3 * GiB + PG + off, PT_R | PT_W, PG);
	assert_int_equal(fm.live, 5);
	/* 1G-aligned va and pa but 1G + 2M long: one 1G leaf and one 2M. */
	assert_int_equal(pt_map(&pt, 4 * GiB, 8 * GiB, GiB + 2 * MiB, PT_R), 0);
	expect_map(&pt, 4 * GiB + 5, 8 * GiB + 5, PT_R, GiB);
	expect_map(&pt, 5 * GiB + 5, 9 * GiB + 5, PT_R, 2 * MiB);
	expect_unmapped(&pt, 5 * GiB + 2 * MiB);
	assert_int_equal(fm.live, 6);
	pt_destroy(&pt);
}

static void test_raw_bits(void **state)
{
	static const struct {
		unsigned flags;
		uint64_t bits;
	} cases[] = {
		{ PT_R, E_P | E_XD },
		{ PT_R | PT_W, E_P | E_RW | E_XD },
		{ PT_R | PT_X, E_P },
		{ PT_R | PT_W | PT_X, E_P | E_RW },
		{ PT_R | PT_USER, E_P | E_US | E_XD },
		{ PT_R | PT_W | PT_UC, E_P | E_RW | E_PWT | E_PCD | E_XD },
		{ PT_R | PT_X | PT_GLOBAL, E_P | E_G },
		{ PT_R | PT_W | PT_X | PT_USER | PT_UC | PT_GLOBAL,
		  E_P | E_RW | E_US | E_PWT | E_PCD | E_G },
		{ PT_X, E_P },			/* PT_R is implied on x86 */
		{ PT_W, E_P | E_RW | E_XD },
	};
	uint64_t va = 0x7f0000000000ULL, pa = 0xfedc0000000ULL;	/* 1G aligned */
	struct pt pt;
	unsigned c;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t v = va + c * 4 * GiB, p = pa + c * 4 * GiB;
		unsigned back = cases[c].flags | PT_R;

		/* 4 KiB leaf at offset 0, 2 MiB leaf at +2M, 1 GiB leaf at +1G */
		assert_int_equal(pt_map(&pt, v, p, PG, cases[c].flags), 0);
		assert_int_equal(pt_map(&pt, v + 2 * MiB, p + 2 * MiB, 2 * MiB, cases[c].flags), 0);
		assert_int_equal(pt_map(&pt, v + GiB, p + GiB, GiB, cases[c].flags), 0);
		assert_int_equal(raw_entry(&pt, v, 1), p | cases[c].bits);
		assert_int_equal(raw_entry(&pt, v + 2 * MiB, 2), (p + 2 * MiB) | cases[c].bits | E_PS);
		assert_int_equal(raw_entry(&pt, v + GiB, 3), (p + GiB) | cases[c].bits | E_PS);
		expect_map(&pt, v, p, back, PG);
		expect_map(&pt, v + 2 * MiB, p + 2 * MiB, back, 2 * MiB);
		expect_map(&pt, v + GiB, p + GiB, back, GiB);
	}
	/* Non-leaf entries: raw_entry() already asserted P|RW|US only; check
	 * the root entry explicitly too, XD clear so the leaf decides. */
	assert_int_equal(raw_table(pt.root)[raw_index(va, 4)] & ~E_ADDR, E_P | E_RW | E_US);
	pt_destroy(&pt);
}

/* The format callbacks on their own: flags round-trip, address fields and
 * the PAT bit of large pages (bit 12) not read as address. */
static void test_format_callbacks(void **state)
{
	const struct pt_format *f = &pt_x86_64;
	unsigned fl, level;

	(void)state;
	assert_int_equal(f->levels, 4);
	assert_int_equal(f->leaf_levels, ALL_LEAVES);
	assert_true(f->sign_extended);
	for (level = 1; level <= 3; level++) {
		uint64_t pa = 0xabc00000000ULL;

		for (fl = 0; fl <= PT_FLAGS_ALL; fl++) {
			uint64_t e = f->leaf_entry(pa, level, fl);

			assert_true(f->present(e));
			assert_true(f->is_leaf(e, level));
			assert_int_equal(f->addr(e, level), pa);
			assert_int_equal(f->flags(e, level), fl | PT_R);
		}
	}
	/* PAT bit (12) in a 2M / 1G leaf is not part of the address. */
	assert_int_equal(f->addr(0x40000000ULL | (1 << 12) | E_PS | E_P, 2), 0x40000000ULL);
	assert_int_equal(f->addr(0x40000000ULL | (1 << 12) | E_PS | E_P, 3), 0x40000000ULL);
	/* Bits above 51 and the low flag bits are not address either. */
	assert_int_equal(f->addr(0xfff0000000001fffULL, 1), 0x1000);
	/* Table entries. */
	assert_int_equal(f->table_entry(0x123456000ULL), 0x123456000ULL | E_P | E_RW | E_US);
	assert_false(f->is_leaf(f->table_entry(0x1000), 2));
	assert_false(f->is_leaf(f->table_entry(0x1000), 3));
	assert_true(f->is_leaf(f->table_entry(0x1000), 1));
	/* Bit 7 is reserved in a PML4E: never a leaf. */
	assert_false(f->is_leaf(E_P | E_PS, 4));
	assert_false(f->present(0));
	assert_false(f->present(E_RW | E_US));
}

static void test_map_eexist_unchanged(void **state)
{
	uint64_t va = GiB, pa = 2 * GiB;
	struct snap s;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, 2 * MiB, PT_R | PT_W), 0);		/* 2M leaf */
	assert_int_equal(pt_map(&pt, va + 4 * MiB, pa, PG, PT_R), 0);		/* one 4K */
	snap_take(&s);
	/* Exact, inside a large page, straddling the start, straddling the
	 * end, a superset that would also need new tables elsewhere, and one
	 * that only touches the lone 4K page at its very end. */
	assert_int_equal(pt_map(&pt, va, pa, 2 * MiB, PT_R), -EEXIST);
	assert_int_equal(pt_map(&pt, va + 12 * PG, 0, PG, PT_R), -EEXIST);
	assert_int_equal(pt_map(&pt, va - 2 * MiB, 0, 2 * MiB + PG, PT_R), -EEXIST);
	assert_int_equal(pt_map(&pt, va + 2 * MiB - PG, 0, 2 * PG, PT_R), -EEXIST);
	assert_int_equal(pt_map(&pt, 0, 0, 4 * GiB, PT_R), -EEXIST);
	assert_int_equal(pt_map(&pt, va + 2 * MiB, 0, 2 * MiB + PG, PT_R), -EEXIST);
	snap_check_and_free(&s);
	assert_int_equal(fm.allocs, 4);
	/* Right next to them is fine and shares the tables. */
	assert_int_equal(pt_map(&pt, va + 2 * MiB, 0x5000000, 2 * MiB, PT_R), 0);
	assert_int_equal(pt_map(&pt, va + 4 * MiB + PG, 0x6000000, PG, PT_R), 0);
	assert_int_equal(fm.live, 4);
	expect_map(&pt, va + 2 * MiB, 0x5000000, PT_R, 2 * MiB);
	expect_map(&pt, va + 4 * MiB + PG, 0x6000000, PT_R, PG);
	expect_map(&pt, va, pa, PT_R | PT_W, 2 * MiB);
	pt_destroy(&pt);
}

static void test_unmap_split_2m(void **state)
{
	uint64_t va = GiB + 10 * MiB, pa = 0x123400000ULL, off;
	unsigned fl = PT_R | PT_W | PT_GLOBAL;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, 2 * MiB, fl), 0);
	assert_int_equal(fm.live, 3);
	assert_int_equal(pt_unmap(&pt, va + 0x5000, PG), 0);
	assert_int_equal(fm.live, 4);			/* the new PT */
	for (off = 0; off < 2 * MiB; off += PG) {
		if (off == 0x5000)
			expect_unmapped(&pt, va + off);
		else
			expect_map(&pt, va + off, pa + off, fl, PG);
	}
	/* The PDE is now a table pointer and the PTEs are exact. */
	assert_int_equal(raw_entry(&pt, va, 2) & ~E_ADDR, E_P | E_RW | E_US);
	assert_int_equal(raw_entry(&pt, va + 0x4000, 1), (pa + 0x4000) | E_P | E_RW | E_G | E_XD);
	assert_int_equal(raw_entry(&pt, va + 0x5000, 1), 0);
	assert_int_equal(raw_entry(&pt, va + 0x6000, 1), (pa + 0x6000) | E_P | E_RW | E_G | E_XD);
	expect_unmapped(&pt, va + 2 * MiB);
	/* Unmapping the rest frees the page table, and with nothing else
	 * mapped the PD and PDPT as well; only the root stays. */
	assert_int_equal(pt_unmap(&pt, va, 2 * MiB), 0);
	assert_int_equal(fm.live, 1);
	expect_unmapped(&pt, va);
	pt_destroy(&pt);
}

static void test_unmap_split_uc_keeps_type(void **state)
{
	uint64_t va = 2 * GiB, pa = 0xfe000000ULL;	/* device memory */
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, 2 * MiB, PT_R | PT_W | PT_UC), 0);
	assert_int_equal(pt_unmap(&pt, va + 2 * MiB - PG, PG), 0);
	/* In a PTE bit 7 is PAT, so the split must not copy PS there. */
	assert_int_equal(raw_entry(&pt, va, 1), pa | E_P | E_RW | E_PWT | E_PCD | E_XD);
	expect_map(&pt, va + 2 * MiB - 2 * PG, pa + 2 * MiB - 2 * PG, PT_R | PT_W | PT_UC, PG);
	expect_unmapped(&pt, va + 2 * MiB - PG);
	pt_destroy(&pt);
}

static void test_unmap_split_1g(void **state)
{
	uint64_t va = GiB, pa = 2 * GiB, hole = va + 17 * 2 * MiB + 0x45000;
	unsigned fl = PT_R | PT_W | PT_X | PT_UC;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, GiB, fl), 0);
	assert_int_equal(pt_unmap(&pt, hole, PG), 0);
	/* root, PDPT, new PD, new PT */
	assert_int_equal(fm.live, 4);
	expect_unmapped(&pt, hole);
	expect_map(&pt, va, pa, fl, 2 * MiB);
	expect_map(&pt, hole - PG, pa + (hole - va) - PG, fl, PG);
	expect_map(&pt, hole + PG, pa + (hole - va) + PG, fl, PG);
	expect_map(&pt, va + 17 * 2 * MiB, pa + 17 * 2 * MiB, fl, PG);
	expect_map(&pt, va + 18 * 2 * MiB, pa + 18 * 2 * MiB, fl, 2 * MiB);
	expect_map(&pt, va + 16 * 2 * MiB + 7, pa + 16 * 2 * MiB + 7, fl, 2 * MiB);
	expect_map(&pt, va + GiB - 1, pa + GiB - 1, fl, 2 * MiB);
	assert_int_equal(raw_entry(&pt, va, 2), pa | E_P | E_RW | E_PWT | E_PCD | E_PS);
	/* Unmapping a range that partly covers two 2M leaves of the split. */
	assert_int_equal(pt_unmap(&pt, va + 3 * MiB, 2 * MiB), 0);
	expect_map(&pt, va + 3 * MiB - PG, pa + 3 * MiB - PG, fl, PG);
	expect_unmapped(&pt, va + 3 * MiB);
	expect_unmapped(&pt, va + 5 * MiB - PG);
	expect_map(&pt, va + 5 * MiB, pa + 5 * MiB, fl, PG);
	expect_map(&pt, va + 6 * MiB, pa + 6 * MiB, fl, 2 * MiB);
	assert_int_equal(fm.live, 6);
	pt_destroy(&pt);
}

static void test_unmap_holes_and_table_freeing(void **state)
{
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	/* Unmapping nothing at all. */
	assert_int_equal(pt_unmap(&pt, 0, 512 * GiB), 0);
	assert_int_equal(fm.live, 1);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, PG, PT_R), 0);
	assert_int_equal(fm.live, 4);
	assert_int_equal(pt_unmap(&pt, 0x1000, PG), 0);
	assert_int_equal(fm.live, 1);
	assert_int_equal(raw_table(pt.root)[0], 0);
	/* Two mappings and a hole between them, removed by one call that
	 * also covers unmapped space on both sides. */
	assert_int_equal(pt_map(&pt, GiB, 0, PG, PT_R), 0);
	assert_int_equal(pt_map(&pt, GiB + 8 * MiB, 0, 2 * MiB, PT_R), 0);
	assert_int_equal(pt_map(&pt, 600 * GiB, 0, PG, PT_R), 0);	/* other PML4 slot */
	assert_int_equal(pt_unmap(&pt, GiB - 2 * MiB, 16 * MiB), 0);
	expect_unmapped(&pt, GiB);
	expect_unmapped(&pt, GiB + 8 * MiB);
	expect_map(&pt, 600 * GiB, 0, PT_R, PG);
	assert_int_equal(fm.live, 4);			/* root + 600G's chain */
	/* Partly unmapping leaves the table (still used). */
	assert_int_equal(pt_map(&pt, 600 * GiB + PG, PG, PG, PT_R), 0);
	assert_int_equal(pt_unmap(&pt, 600 * GiB, PG), 0);
	assert_int_equal(fm.live, 4);
	expect_map(&pt, 600 * GiB + PG, PG, PT_R, PG);
	pt_destroy(&pt);
}

static void test_unmap_enomem_unchanged(void **state)
{
	uint64_t va = GiB;
	struct snap s;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, 4 * GiB, GiB, PT_R | PT_W), 0);
	/* A split 1G -> 2M -> 4K needs two tables; let only one succeed. */
	snap_take(&s);
	fm.fail_after = 1;
	assert_int_equal(pt_unmap(&pt, va + 0x3000, PG), -ENOMEM);
	snap_check_and_free(&s);
	fm.fail_after = -1;
	expect_map(&pt, va + 0x3000, 4 * GiB + 0x3000, PT_R | PT_W, GiB);
	assert_int_equal(pt_unmap(&pt, va + 0x3000, PG), 0);
	expect_unmapped(&pt, va + 0x3000);
	expect_map(&pt, va + 0x2000, 4 * GiB + 0x2000, PT_R | PT_W, PG);
	assert_int_equal(fm.live, 4);			/* no pool page leaked */
	pt_destroy(&pt);
}

static void test_protect(void **state)
{
	uint64_t va = GiB, pa = 3 * GiB, off;
	unsigned rw = PT_R | PT_W, rx = PT_R | PT_X;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, pa, 4 * MiB, rw), 0);
	/* Whole range RX: the 2 MiB leaves stay 2 MiB. */
	assert_int_equal(pt_protect(&pt, va, 4 * MiB, rx), 0);
	expect_map(&pt, va, pa, rx, 2 * MiB);
	expect_map(&pt, va + 2 * MiB, pa + 2 * MiB, rx, 2 * MiB);
	assert_int_equal(raw_entry(&pt, va, 2), pa | E_P | E_PS);
	assert_int_equal(fm.live, 3);
	/* Same flags again on part of a leaf: no split, nothing kept. */
	assert_int_equal(pt_protect(&pt, va + PG, PG, rx), 0);
	expect_map(&pt, va + PG, pa + PG, rx, 2 * MiB);
	assert_int_equal(fm.live, 3);
	/* Read-only across the boundary of the two leaves: both split. */
	assert_int_equal(pt_protect(&pt, va + 2 * MiB - PG, 2 * PG, PT_R), 0);
	assert_int_equal(fm.live, 5);
	for (off = 0; off < 4 * MiB; off += PG) {
		bool ro = off == 2 * MiB - PG || off == 2 * MiB;

		expect_map(&pt, va + off, pa + off, ro ? PT_R : rx, PG);
	}
	assert_int_equal(raw_entry(&pt, va + 2 * MiB, 1), (pa + 2 * MiB) | E_P | E_XD);
	assert_int_equal(raw_entry(&pt, va + 2 * MiB + PG, 1), (pa + 2 * MiB + PG) | E_P);
	/* Back to RW on everything, and a 1G leaf made RO in full. */
	assert_int_equal(pt_protect(&pt, va, 4 * MiB, rw), 0);
	expect_map(&pt, va + 2 * MiB, pa + 2 * MiB, rw, PG);
	assert_int_equal(raw_entry(&pt, va + 2 * MiB, 1), (pa + 2 * MiB) | E_P | E_RW | E_XD);
	assert_int_equal(pt_map(&pt, 4 * GiB, 4 * GiB, GiB, rw | PT_GLOBAL), 0);
	assert_int_equal(pt_protect(&pt, 4 * GiB, GiB, PT_R | PT_GLOBAL), 0);
	expect_map(&pt, 4 * GiB + 12345, 4 * GiB + 12345, PT_R | PT_GLOBAL, GiB);
	assert_int_equal(raw_entry(&pt, 4 * GiB, 3), 4 * GiB | E_P | E_PS | E_G | E_XD);
	pt_destroy(&pt);
}

static void test_protect_errors_unchanged(void **state)
{
	uint64_t va = GiB;
	struct snap s;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, va, 0, 2 * MiB, PT_R | PT_W), 0);
	assert_int_equal(pt_map(&pt, va + 2 * MiB + PG, 0, PG, PT_R | PT_W), 0);
	snap_take(&s);
	/* Hole at va + 2M. */
	assert_int_equal(pt_protect(&pt, va, 2 * MiB + 2 * PG, PT_R), -ENOENT);
	assert_int_equal(pt_protect(&pt, va - PG, 2 * PG, PT_R), -ENOENT);
	assert_int_equal(pt_protect(&pt, 7 * GiB, PG, PT_R), -ENOENT);
	/* Split needed but no memory. */
	fm.fail_after = 0;
	assert_int_equal(pt_protect(&pt, va + PG, PG, PT_R), -ENOMEM);
	fm.fail_after = -1;
	/* Bad flags. */
	assert_int_equal(pt_protect(&pt, va, PG, 0), -EINVAL);
	assert_int_equal(pt_protect(&pt, va, PG, PT_R | 64), -EINVAL);
	snap_check_and_free(&s);
	expect_map(&pt, va + PG, PG, PT_R | PT_W, 2 * MiB);
	pt_destroy(&pt);
}

static void test_map_enomem_rollback(void **state)
{
	/* Straddles the 512 GiB line (PML4 slots 0 and 1): 4K, 2M | 2M, 4K.
	 * Slot 0's PDPT already exists; needed: PD + PT on each side, and a
	 * PDPT for slot 1, i.e. 5 tables. */
	uint64_t va = 512 * GiB - 2 * MiB - PG, pa = 64 * GiB - 2 * MiB - PG;
	uint64_t size = 2 * PG + 4 * MiB;
	struct snap s;
	struct pt pt;
	int n;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, PG, PT_R), 0);
	for (n = 0; n < 5; n++) {
		unsigned allocs;

		snap_take(&s);
		allocs = fm.allocs;
		fm.fail_after = n;
		assert_int_equal(pt_map(&pt, va, pa, size, PT_R | PT_W), -ENOMEM);
		assert_int_equal(fm.allocs, allocs + n);
		fm.fail_after = -1;
		snap_check_and_free(&s);
		expect_unmapped(&pt, va);
		expect_unmapped(&pt, va + size - PG);
	}
	fm.fail_after = 5;
	assert_int_equal(pt_map(&pt, va, pa, size, PT_R | PT_W), 0);
	assert_int_equal(fm.fail_after, 0);
	fm.fail_after = -1;
	assert_int_equal(fm.live, 4 + 5);
	expect_map(&pt, va, pa, PT_R | PT_W, PG);
	expect_map(&pt, va + PG, pa + PG, PT_R | PT_W, 2 * MiB);
	expect_map(&pt, 512 * GiB, pa + PG + 2 * MiB, PT_R | PT_W, 2 * MiB);
	expect_map(&pt, va + size - PG, pa + size - PG, PT_R | PT_W, PG);
	expect_map(&pt, 0x1000, 0x1000, PT_R, PG);
	pt_destroy(&pt);
}

static void test_noncanonical(void **state)
{
	uint64_t top = 0xfffffffffffff000ULL;
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, 0x0000800000000000ULL, 0, PG, PT_R), -EINVAL);
	assert_int_equal(pt_map(&pt, 0xffff7ffffffff000ULL, 0, PG, PT_R), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x8000000000000000ULL, 0, PG, PT_R), -EINVAL);
	/* Both ends canonical would need the range to jump the hole. */
	assert_int_equal(pt_map(&pt, 0x00007ffffffff000ULL, 0, 0xffff800000000000ULL - 0x00007ffffffff000ULL + PG, PT_R), -EINVAL);
	/* Runs off the end of the low half. */
	assert_int_equal(pt_map(&pt, 0x00007ffffffff000ULL, 0, 2 * PG, PT_R), -EINVAL);
	/* Wraps past 2^64. */
	assert_int_equal(pt_map(&pt, top, 0, 2 * PG, PT_R), -EINVAL);
	assert_int_equal(pt_unmap(&pt, 0x0000800000000000ULL, PG), -EINVAL);
	assert_int_equal(pt_protect(&pt, 0x0000800000000000ULL, PG, PT_R), -EINVAL);
	assert_int_equal(pt_lookup(&pt, 0x0000800000000000ULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(fm.live, 1);

	/* The last low-half page and the high half work. */
	assert_int_equal(pt_map(&pt, 0x00007ffffffff000ULL, 0x5000, PG, PT_R), 0);
	expect_map(&pt, 0x00007fffffffffffULL, 0x5fff, PT_R, PG);
	assert_int_equal(pt_map(&pt, 0xffff800000000000ULL, 0x6000, PG, PT_R), 0);
	expect_map(&pt, 0xffff800000000000ULL, 0x6000, PT_R, PG);
	assert_int_equal(raw_table(pt.root)[256] & E_P, E_P);
	/* Both ends mapped and canonical, but the range crosses the hole:
	 * invalid, not merely "partly unmapped". */
	assert_int_equal(pt_protect(&pt, 0x00007ffffffff000ULL,
				    0xffff800000000000ULL - 0x00007ffffffff000ULL + PG, PT_R), -EINVAL);
	assert_int_equal(pt_unmap(&pt, 0x00007ffffffff000ULL,
				  0xffff800000000000ULL - 0x00007ffffffff000ULL + PG), -EINVAL);
	expect_map(&pt, 0x00007ffffffff000ULL, 0x5000, PT_R, PG);
	assert_int_equal(pt_unmap(&pt, 0x00007ffffffff000ULL, PG), 0);
	assert_int_equal(pt_unmap(&pt, 0xffff800000000000ULL, PG), 0);
	assert_int_equal(fm.live, 1);
	/* The top 2 GiB ("kernel" model), ending exactly at 2^64: two 1G
	 * leaves, then a split at the very top. */
	assert_int_equal(pt_map(&pt, 0xffffffff80000000ULL, 2 * GiB, 2 * GiB, PT_R | PT_X), 0);
	expect_map(&pt, 0xffffffff80000000ULL, 2 * GiB, PT_R | PT_X, GiB);
	expect_map(&pt, 0xffffffffffffffffULL, 4 * GiB - 1, PT_R | PT_X, GiB);
	assert_int_equal(fm.live, 2);
	assert_int_equal(pt_unmap(&pt, top, PG), 0);
	expect_unmapped(&pt, top);
	expect_map(&pt, top - PG, 4 * GiB - 2 * PG, PT_R | PT_X, PG);
	assert_int_equal(pt_protect(&pt, 0xffffffff80000000ULL, 2 * GiB - PG, PT_R), 0);
	expect_map(&pt, top - PG, 4 * GiB - 2 * PG, PT_R, PG);
	assert_int_equal(pt_map(&pt, top, 0x7000, PG, PT_R), 0);
	expect_map(&pt, top + 0xabc, 0x7abc, PT_R, PG);
	assert_int_equal(pt_unmap(&pt, 0xffffffff80000000ULL, 2 * GiB), 0);
	assert_int_equal(fm.live, 1);
	pt_destroy(&pt);
}

static void test_invalid_args(void **state)
{
	struct pt pt;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	assert_int_equal(pt_map(&pt, 0x1001, 0x1000, PG, PT_R), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1800, PG, PT_R), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 100, PT_R), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, 0, PT_R), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, PG, 0), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, PG, PT_USER | PT_UC), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, 0x1000, PG, PT_R | 64), -EINVAL);
	/* Physical address beyond 52 bits, and a pa range that wraps. */
	assert_int_equal(pt_map(&pt, 0x1000, 1ULL << 52, PG, PT_R), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, (1ULL << 52) - PG, 2 * PG, PT_R), -EINVAL);
	assert_int_equal(pt_map(&pt, 0x1000, 0xfffffffffffff000ULL, 2 * PG, PT_R), -EINVAL);
	assert_int_equal(pt_unmap(&pt, 0x1800, PG), -EINVAL);
	assert_int_equal(pt_unmap(&pt, 0x1000, 0), -EINVAL);
	assert_int_equal(pt_protect(&pt, 0x1000, 0x800, PT_R), -EINVAL);
	assert_int_equal(fm.allocs, 1);
	/* The highest representable page is fine. */
	assert_int_equal(pt_map(&pt, 0x1000, (1ULL << 52) - PG, PG, PT_R), 0);
	expect_map(&pt, 0x1000, (1ULL << 52) - PG, PT_R, PG);
	pt_destroy(&pt);
}

static void test_destroy_frees_everything(void **state)
{
	struct pt pt;
	unsigned i;

	(void)state;
	init_pt(&pt, ALL_LEAVES);
	for (i = 0; i < 8; i++)
		assert_int_equal(pt_map(&pt, i * 512 * GiB + i * GiB + i * 2 * MiB + i * PG,
					i * GiB + i * 2 * MiB + i * PG, 3 * GiB + 4 * MiB + 8 * PG,
					PT_R | PT_W), 0);
	assert_int_equal(pt_map(&pt, 0xffff900000000000ULL, 0, 64 * MiB, PT_R), 0);
	assert_int_equal(pt_unmap(&pt, GiB + 2 * GiB + 0x7000, PG), 0);
	assert_int_equal(pt_protect(&pt, 512 * GiB + 2 * GiB, 4 * MiB, PT_R | PT_X), 0);
	print_message("destroy: %u live tables\n", fm.live);
	assert_true(fm.live > 30);
	pt_destroy(&pt);
	assert_int_equal(fm.live, 0);
	assert_int_equal(fm.allocs, fm.frees);
}

/* Random map/unmap/protect (with injected allocation failures) against a
 * per-page shadow over a window straddling a 1 GiB boundary; every page is
 * re-checked after every operation. */
static void test_random_shadow(void **state)
{
	enum { NPG = 2048, ROUNDS = 3000 };
	static struct { uint64_t pa; unsigned flags; bool mapped; } sh[NPG];
	const uint64_t base = 2 * GiB - 4 * MiB;
	static const unsigned fls[] = {
		PT_R, PT_R | PT_W, PT_R | PT_X, PT_R | PT_W | PT_GLOBAL, PT_R | PT_UC | PT_W,
	};
	unsigned seed = 4242, round, nmap = 0, nunmap = 0, nprot = 0, nnomem = 0;
	struct pt pt;

	(void)state;
	memset(sh, 0, sizeof(sh));
	init_pt(&pt, ALL_LEAVES);
	for (round = 0; round < ROUNDS; round++) {
		unsigned r, op, start, len, fl, i;
		bool any = false, all = true, inject;
		int ret;

		seed = seed * 1103515245u + 12345u;
		r = seed >> 4;
		op = r % 3;
		/* Half the time 2M-aligned and 2M-multiple, to get big leaves. */
		if (r & 8) {
			start = ((r >> 5) % 4) * 512;
			len = 512 * (1 + (r >> 8) % 2);
		} else {
			start = (r >> 5) % NPG;
			len = 1 + (r >> 16) % 700;
		}
		if (start + len > NPG)
			len = NPG - start;
		fl = fls[(r >> 12) % 5];
		for (i = start; i < start + len; i++) {
			any |= sh[i].mapped;
			all &= sh[i].mapped;
		}
		seed = seed * 1103515245u + 12345u;
		inject = (seed >> 16) % 4 == 0;
		if (inject)
			fm.fail_after = (int)((seed >> 20) % 3);

		if (op == 0) {
			/* pa congruent to va modulo 2M half of the time. */
			uint64_t pa = (seed & 0x100) ? 16 * GiB + (uint64_t)start * PG
						     : 32 * GiB + (uint64_t)start * PG + PG;

			ret = pt_map(&pt, base + (uint64_t)start * PG, pa, (uint64_t)len * PG, fl);
			if (any)
				assert_int_equal(ret, -EEXIST);
			else if (ret == 0)
				for (i = start; i < start + len; i++) {
					sh[i].mapped = true;
					sh[i].pa = pa + (uint64_t)(i - start) * PG;
					sh[i].flags = fl;
				}
			nmap += ret == 0;
		} else if (op == 1) {
			ret = pt_unmap(&pt, base + (uint64_t)start * PG, (uint64_t)len * PG);
			if (ret == 0)
				for (i = start; i < start + len; i++)
					sh[i].mapped = false;
			nunmap += ret == 0;
		} else {
			ret = pt_protect(&pt, base + (uint64_t)start * PG, (uint64_t)len * PG, fl);
			if (!all)
				assert_int_equal(ret, -ENOENT);
			else if (ret == 0)
				for (i = start; i < start + len; i++)
					sh[i].flags = fl;
			nprot += ret == 0;
		}
		if (ret == -ENOMEM) {
			assert_true(inject);
			nnomem++;
		} else if (ret) {
			assert_true(ret == -EEXIST || ret == -ENOENT);
		}
		fm.fail_after = -1;
		for (i = 0; i < NPG; i++) {
			if (sh[i].mapped) {
				uint64_t pa, size;
				unsigned f;

				assert_int_equal(pt_lookup(&pt, base + (uint64_t)i * PG, &pa, &f, &size), 0);
				assert_int_equal(pa, sh[i].pa);
				assert_int_equal(f, sh[i].flags);
				/* A large leaf must agree with the shadow on every
				 * page it covers. */
				if (size > PG) {
					uint64_t first = i - ((base + (uint64_t)i * PG) & (size - 1)) / PG, j;

					for (j = first; j < first + size / PG && j < NPG; j++) {
						assert_true(sh[j].mapped);
						assert_int_equal(sh[j].flags, f);
						assert_int_equal(sh[j].pa, pa + (j - i) * PG);
					}
				}
			} else {
				expect_unmapped(&pt, base + (uint64_t)i * PG);
			}
		}
	}
	print_message("shadow: %u maps, %u unmaps, %u protects, %u -ENOMEM\n",
		      nmap, nunmap, nprot, nnomem);
	assert_true(nmap > 100 && nunmap > 100 && nprot > 50 && nnomem > 20);
	/* Unmapping everything leaves only the root: no empty table leaked. */
	assert_int_equal(pt_unmap(&pt, base, NPG * PG), 0);
	assert_int_equal(fm.live, 1);
	pt_destroy(&pt);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fm_setup, fm_teardown)

/* NPT: U/S in every leaf, no sign extension of guest-physical addresses. */
static void test_npt_format(void **state)
{
	struct pt pt;
	uint64_t pa = 0;
	unsigned flags = 0;

	(void)state;
	assert_int_equal(pt_init(&pt, &pt_npt, &env, ALL_LEAVES), 0);
	assert_int_equal(pt_map(&pt, 0, 0x40000000, 2 * MiB, PT_R | PT_W | PT_X | PT_GLOBAL), 0);
	assert_int_equal(raw_entry(&pt, 0, 2), 0x40000000 | E_P | E_RW | E_US | E_PS);
	assert_int_equal(pt_lookup(&pt, 0x1234, &pa, &flags, NULL), 0);
	assert_int_equal(pa, 0x40001234);
	assert_int_equal(flags, PT_R | PT_W | PT_X | PT_USER);
	/* 2^47 is a fine guest-physical address (not canonical as linear). */
	assert_int_equal(pt_map(&pt, 1ULL << 47, 0x1000, PG, PT_R), 0);
	assert_int_equal(raw_entry(&pt, 1ULL << 47, 1), 0x1000 | E_P | E_US | E_XD);
	/* Beyond 48 bits it is not. */
	assert_int_equal(pt_map(&pt, 1ULL << 48, 0x1000, PG, PT_R), -EINVAL);
	pt_destroy(&pt);
	assert_int_equal(fm.live, 0);
}

/* EPT: R/W/X bits, WB memory type on leaves, W implies R. */
static void test_ept_format(void **state)
{
	struct pt pt;
	uint64_t pa = 0;
	unsigned flags = 0;

	(void)state;
	assert_int_equal(pt_init(&pt, &pt_ept, &env, ALL_LEAVES), 0);
	assert_int_equal(pt_map(&pt, 0, 0x40000000, 2 * MiB, PT_R | PT_W | PT_X), 0);
	assert_int_equal(raw_entry(&pt, 0, 2), 0x40000000 | 0x7 | (6 << 3) | (1 << 7));
	assert_int_equal(pt_lookup(&pt, 0x1234, &pa, &flags, NULL), 0);
	assert_int_equal(pa, 0x40001234);
	assert_int_equal(flags, PT_R | PT_W | PT_X);
	/* A 4K write-only request becomes read+write; UC has memory type 0. */
	assert_int_equal(pt_map(&pt, 0x10000000, 0x5000, PG, PT_W | PT_UC), 0);
	assert_int_equal(raw_entry(&pt, 0x10000000, 1), 0x5000 | 0x3);
	/* Non-leaf entries grant everything. */
	assert_int_equal(raw_entry(&pt, 0x10000000, 2) & 0x7, 0x7);
	assert_int_equal(pt_map(&pt, 1ULL << 48, 0x1000, PG, PT_R), -EINVAL);
	pt_destroy(&pt);
	assert_int_equal(fm.live, 0);
}

/* Every permission combination of every format at every leaf size, as
 * raw entry bits worked out here from the manuals rather than from the
 * engine, so a format that grants more than asked (X on every readable
 * EPT leaf, W on a read-only page) fails at the bit that is wrong.
 *  host: Intel SDM Vol. 3A, 4.5 (Tables 4-15..4-20): P(0) R/W(1) U/S(2)
 *        PWT(3) PCD(4) PS(7) G(8) XD(63).
 *  NPT:  AMD APM Vol. 2, 15.25.5: the host layout, U/S set, no G.
 *  EPT:  Intel SDM Vol. 3C, 29.3.2 (Tables 29-2..29-6): R(0) W(1) X(2),
 *        memory type 5:3 (6 = WB, 0 = UC), ignore-PAT(6) clear, PS(7),
 *        suppress-#VE(63) clear. */
enum raw_fmt { RAW_HOST, RAW_NPT, RAW_EPT };

static uint64_t raw_expect(enum raw_fmt f, unsigned fl, unsigned level, uint64_t pa)
{
	uint64_t e = pa | (level > 1 ? E_PS : 0);

	if (f == RAW_EPT) {
		if (fl & (PT_R | PT_W))
			e |= 1ULL << 0;
		if (fl & PT_W)
			e |= 1ULL << 1;
		if (fl & PT_X)
			e |= 1ULL << 2;
		if (!(fl & PT_UC))
			e |= 6ULL << 3;
		return e;
	}
	e |= E_P;
	if (fl & PT_W)
		e |= E_RW;
	if ((fl & PT_USER) || f == RAW_NPT)
		e |= E_US;
	if (fl & PT_UC)
		e |= E_PWT | E_PCD;
	if ((fl & PT_GLOBAL) && f == RAW_HOST)
		e |= E_G;
	if (!(fl & PT_X))
		e |= E_XD;
	return e;
}

/* What pt_lookup() gives back for a mapping made with fl. */
static unsigned raw_expect_flags(enum raw_fmt f, unsigned fl)
{
	if (f == RAW_EPT)
		return (fl & (PT_R | PT_W) ? PT_R : 0) | (fl & (PT_W | PT_X | PT_UC));
	fl |= PT_R;
	if (f == RAW_NPT)
		fl = (fl | PT_USER) & ~(unsigned)PT_GLOBAL;
	return fl;
}

static void test_raw_every_combination(void **state)
{
	static const struct pt_format *const fmts[] = { &pt_x86_64, &pt_npt, &pt_ept };
	unsigned f, fl, level;

	(void)state;
	for (f = 0; f < 3; f++) {
		for (level = 1; level <= 3; level++) {
			uint64_t size = 1ULL << (12 + 9 * (level - 1));
			struct pt pt;

			assert_int_equal(pt_init(&pt, fmts[f], &env, ALL_LEAVES), 0);
			for (fl = 1; fl <= PT_FLAGS_ALL; fl++) {
				/* One leaf per combination, each in its own 1 GiB
				 * slot (and 512 GiB slot for 1 GiB leaves). */
				uint64_t va = (uint64_t)fl * (level == 3 ? 2 * GiB : GiB);
				uint64_t pa = 0x80000000000ULL + (uint64_t)fl * 2 * GiB;
				uint64_t want = raw_expect((enum raw_fmt)f, fl, level, pa);
				uint64_t got;
				unsigned back = 0;

				if (!(fl & (PT_R | PT_W | PT_X))) {
					assert_int_equal(pt_map(&pt, va, pa, size, fl), -EINVAL);
					continue;
				}
				assert_int_equal(pt_map(&pt, va, pa, size, fl), 0);
				got = raw_entry(&pt, va, level);
				if (got != want)
					fail_msg("%s level %u flags %#x: entry %#llx, want %#llx",
						 fmts[f]->name, level, fl, (unsigned long long)got,
						 (unsigned long long)want);
				assert_int_equal(pt_lookup(&pt, va, NULL, &back, NULL), 0);
				assert_int_equal(back, raw_expect_flags((enum raw_fmt)f, fl));
			}
			pt_destroy(&pt);
			assert_int_equal(fm.live, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_destroy),
		T(test_npt_format),
		T(test_ept_format),
		T(test_raw_every_combination),
		T(test_init_leaf_levels),
		T(test_map_4k),
		T(test_map_2m_two_leaves),
		T(test_map_1g),
		T(test_map_mixed_sizes),
		T(test_raw_bits),
		T(test_format_callbacks),
		T(test_map_eexist_unchanged),
		T(test_unmap_split_2m),
		T(test_unmap_split_uc_keeps_type),
		T(test_unmap_split_1g),
		T(test_unmap_holes_and_table_freeing),
		T(test_unmap_enomem_unchanged),
		T(test_protect),
		T(test_protect_errors_unchanged),
		T(test_map_enomem_rollback),
		T(test_noncanonical),
		T(test_invalid_args),
		T(test_destroy_frees_everything),
		T(test_random_shadow),
	};
	int ret = cmocka_run_group_tests(tests, NULL, NULL);

	free(fm.mem);
	return ret;
}
