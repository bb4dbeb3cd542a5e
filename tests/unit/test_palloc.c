/* Host unit tests for lib/palloc.c (cmocka). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/palloc.h"
#include "lib/errno.h"

#define MiB (1024ULL * 1024)

/* A fixture: an allocator over [base_pfn, base_pfn + npfn) with its own
 * heap bitmap, so ASan catches any access past palloc_bitmap_bytes(). */
struct fx {
	struct palloc pa;
	uint64_t *bm;
};

static void fx_init(struct fx *f, uint64_t base_pfn, uint64_t npfn)
{
	size_t bytes = palloc_bitmap_bytes(npfn);

	f->bm = malloc(bytes ? bytes : 1);
	assert_non_null(f->bm);
	memset(f->bm, 0x5a, bytes);	/* init must not rely on zeroed memory */
	palloc_init(&f->pa, f->bm, base_pfn, npfn);
}

static void fx_fini(struct fx *f)
{
	free(f->bm);
}

static uint64_t pfn_addr(uint64_t pfn)
{
	return pfn * PAGE_SIZE;
}

/* Free frames counted one by one through the public API. */
static uint64_t count_free(const struct palloc *pa)
{
	uint64_t n = 0, i;

	for (i = 0; i < pa->npfn; i++)
		n += palloc_is_free(pa, pfn_addr(pa->base_pfn + i));
	return n;
}

static void test_bitmap_bytes(void **state)
{
	(void)state;
	assert_int_equal(palloc_bitmap_bytes(0), 0);
	assert_int_equal(palloc_bitmap_bytes(1), 8);
	assert_int_equal(palloc_bitmap_bytes(63), 8);
	assert_int_equal(palloc_bitmap_bytes(64), 8);
	assert_int_equal(palloc_bitmap_bytes(65), 16);
	assert_int_equal(palloc_bitmap_bytes(128), 16);
	assert_int_equal(palloc_bitmap_bytes(4ULL << 20), (4ULL << 20) / 8);
}

static void test_init_all_used(void **state)
{
	struct fx f;
	uint64_t phys = 0;
	unsigned i;

	(void)state;
	fx_init(&f, 0x100, 200);
	assert_int_equal(f.pa.base_pfn, 0x100);
	assert_int_equal(f.pa.npfn, 200);
	assert_int_equal(f.pa.free_pages, 0);
	assert_int_equal(f.pa.managed_pages, 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(f.bm[i], ~0ULL);
	assert_int_equal(count_free(&f.pa), 0);
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), -ENOMEM);
	fx_fini(&f);
}

static void test_add_free_rounds_inward(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 0, 64);
	/* [0x1800, 0x3800): only frame 2 is wholly inside. */
	palloc_add_free(&f.pa, 0x1800, 0x2000);
	assert_int_equal(f.pa.free_pages, 1);
	assert_int_equal(f.pa.managed_pages, 1);
	assert_false(palloc_is_free(&f.pa, 0x1000));
	assert_true(palloc_is_free(&f.pa, 0x2000));
	assert_true(palloc_is_free(&f.pa, 0x2fff));
	assert_false(palloc_is_free(&f.pa, 0x3000));
	/* Less than a page, unaligned: nothing. Size 0: nothing. */
	palloc_add_free(&f.pa, 0x5100, 0xe00);
	palloc_add_free(&f.pa, 0x6000, 0);
	assert_int_equal(f.pa.free_pages, 1);
	/* Aligned exact range. */
	palloc_add_free(&f.pa, 0x10000, 0x4000);
	assert_int_equal(f.pa.free_pages, 5);
	assert_int_equal(f.pa.managed_pages, 5);
	assert_int_equal(count_free(&f.pa), 5);
	fx_fini(&f);
}

static void test_add_free_not_double_counted(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 0, 64);
	palloc_add_free(&f.pa, 0, 8 * PAGE_SIZE);
	palloc_add_free(&f.pa, 4 * PAGE_SIZE, 8 * PAGE_SIZE);	/* 4 new */
	palloc_add_free(&f.pa, 0, 12 * PAGE_SIZE);			/* 0 new */
	assert_int_equal(f.pa.free_pages, 12);
	assert_int_equal(f.pa.managed_pages, 12);
	assert_int_equal(count_free(&f.pa), 12);
	fx_fini(&f);
}

static void test_add_free_clipped(void **state)
{
	struct fx f;

	(void)state;
	/* Covers frames 0x100..0x17f. */
	fx_init(&f, 0x100, 0x80);
	/* Starts below, ends inside: frames 0x100..0x10f. */
	palloc_add_free(&f.pa, 0, pfn_addr(0x110));
	assert_int_equal(f.pa.free_pages, 0x10);
	/* Starts inside, ends above: frames 0x170..0x17f. */
	palloc_add_free(&f.pa, pfn_addr(0x170), 1024 * MiB);
	assert_int_equal(f.pa.free_pages, 0x20);
	/* Entirely outside on both sides. */
	palloc_add_free(&f.pa, 0, pfn_addr(0x100));
	palloc_add_free(&f.pa, pfn_addr(0x180), 64 * MiB);
	assert_int_equal(f.pa.free_pages, 0x20);
	/* Runs to the top of the 64-bit space without overflowing. */
	palloc_add_free(&f.pa, pfn_addr(0x160), ~0ULL - pfn_addr(0x160) + 1);
	assert_int_equal(f.pa.free_pages, 0x30);
	palloc_add_free(&f.pa, ~0ULL - 100, ~0ULL);
	assert_int_equal(f.pa.free_pages, 0x30);
	assert_int_equal(f.pa.managed_pages, 0x30);
	assert_false(palloc_is_free(&f.pa, pfn_addr(0xff)));
	assert_false(palloc_is_free(&f.pa, pfn_addr(0x180)));
	assert_true(palloc_is_free(&f.pa, pfn_addr(0x17f)));
	assert_int_equal(count_free(&f.pa), 0x30);
	fx_fini(&f);
}

static void test_reserve_rounds_outward(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 0, 64);
	palloc_add_free(&f.pa, 0, 64 * PAGE_SIZE);
	assert_int_equal(f.pa.free_pages, 64);
	/* [0x1800, 0x2800) touches frames 1 and 2. */
	palloc_reserve(&f.pa, 0x1800, 0x1000);
	assert_int_equal(f.pa.free_pages, 62);
	assert_false(palloc_is_free(&f.pa, 0x1000));
	assert_false(palloc_is_free(&f.pa, 0x2000));
	assert_true(palloc_is_free(&f.pa, 0x0));
	assert_true(palloc_is_free(&f.pa, 0x3000));
	/* One byte reserves a whole frame. */
	palloc_reserve(&f.pa, 0x5fff, 1);
	assert_int_equal(f.pa.free_pages, 61);
	assert_false(palloc_is_free(&f.pa, 0x5000));
	/* Re-reserving, size 0 and out-of-range reserves change nothing. */
	palloc_reserve(&f.pa, 0x1000, 0x2000);
	palloc_reserve(&f.pa, 0x8000, 0);
	palloc_reserve(&f.pa, pfn_addr(64), 16 * PAGE_SIZE);
	assert_int_equal(f.pa.free_pages, 61);
	/* Crossing the end of the covered area: frames 60..63 only. */
	palloc_reserve(&f.pa, pfn_addr(60), ~0ULL - pfn_addr(60));
	assert_int_equal(f.pa.free_pages, 57);
	assert_int_equal(f.pa.managed_pages, 64);	/* "ever added" */
	assert_int_equal(count_free(&f.pa), 57);
	fx_fini(&f);
}

static void test_reserved_never_allocated(void **state)
{
	struct fx f;
	uint64_t phys, n = 0;

	(void)state;
	fx_init(&f, 0, 256);
	palloc_add_free(&f.pa, 0, 256 * PAGE_SIZE);
	/* The "hypervisor image" at frames 10..29 and one odd frame. */
	palloc_reserve(&f.pa, pfn_addr(10), 20 * PAGE_SIZE);
	palloc_reserve(&f.pa, pfn_addr(200), 1);
	while (palloc_alloc(&f.pa, 1, 1, &phys) == 0) {
		uint64_t pfn = phys / PAGE_SIZE;

		assert_true(pfn < 256);
		assert_false(pfn >= 10 && pfn < 30);
		assert_int_not_equal(pfn, 200);
		n++;
	}
	assert_int_equal(n, 256 - 21);
	assert_int_equal(f.pa.free_pages, 0);
	fx_fini(&f);
}

static void test_alloc_invalid(void **state)
{
	struct fx f;
	uint64_t phys;

	(void)state;
	fx_init(&f, 0, 64);
	palloc_add_free(&f.pa, 0, 64 * PAGE_SIZE);
	assert_int_equal(palloc_alloc(&f.pa, 0, 1, &phys), -EINVAL);
	assert_int_equal(palloc_alloc(&f.pa, 1, 3, &phys), -EINVAL);
	assert_int_equal(palloc_alloc(&f.pa, 1, 6, &phys), -EINVAL);
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, NULL), -EINVAL);
	assert_int_equal(f.pa.free_pages, 64);
	/* 0 and 1 both mean page alignment. */
	assert_int_equal(palloc_alloc(&f.pa, 1, 0, &phys), 0);
	assert_int_equal(phys, 0);
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), 0);
	assert_int_equal(phys, PAGE_SIZE);
	/* More than exists. */
	assert_int_equal(palloc_alloc(&f.pa, 65, 1, &phys), -ENOMEM);
	assert_int_equal(f.pa.free_pages, 62);
	fx_fini(&f);
}

static void test_alloc_aligned_2m(void **state)
{
	struct fx f;
	uint64_t phys, phys2, base_pfn = 0x1003;	/* deliberately unaligned */

	(void)state;
	fx_init(&f, base_pfn, 4096);
	palloc_add_free(&f.pa, pfn_addr(base_pfn), 4096 * PAGE_SIZE);
	/* Take a frame so the first free one is not 2 MiB aligned either. */
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), 0);
	assert_int_equal(phys, pfn_addr(base_pfn));
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys), 0);
	assert_int_equal(phys % (2 * MiB), 0);
	/* The first 2 MiB boundary at or after frame 0x1004 is frame 0x1200. */
	assert_int_equal(phys, pfn_addr(0x1200));
	assert_int_equal(f.pa.free_pages, 4096 - 1 - 512);
	assert_false(palloc_is_free(&f.pa, phys));
	assert_false(palloc_is_free(&f.pa, phys + 511 * PAGE_SIZE));
	assert_true(palloc_is_free(&f.pa, phys + 512 * PAGE_SIZE));
	assert_true(palloc_is_free(&f.pa, phys - PAGE_SIZE));
	/* A second one lands on the next boundary. */
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys2), 0);
	assert_int_equal(phys2, pfn_addr(0x1400));
	/* 4096 frames from 0x1003 end at 0x2003: room for 0x1600,0x1800,
	 * 0x1a00,0x1c00,0x1e00 but not for one at 0x2000. */
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys2), 0);
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys2), 0);
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys2), 0);
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys2), 0);
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys2), 0);
	assert_int_equal(phys2, pfn_addr(0x1e00));
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys2), -ENOMEM);
	/* But the unaligned hole 0x1004..0x11ff (508 frames) is still there;
	 * found by the wrapped pass, since the hint is past it. */
	assert_int_equal(palloc_alloc(&f.pa, 509, 1, &phys2), -ENOMEM);
	assert_int_equal(palloc_alloc(&f.pa, 508, 1, &phys2), 0);
	assert_int_equal(phys2, pfn_addr(0x1004));
	assert_int_equal(f.pa.free_pages, 3);	/* 0x2000..0x2002 */
	/* Huge alignment that no frame satisfies. */
	assert_int_equal(palloc_alloc(&f.pa, 1, 1ULL << 40, &phys2), -ENOMEM);
	assert_int_equal(palloc_alloc(&f.pa, 1, 1ULL << 63, &phys2), -ENOMEM);
	fx_fini(&f);
}

static void test_exhaustion(void **state)
{
	struct fx f;
	uint64_t phys, seen[100], n = 0, i;

	(void)state;
	fx_init(&f, 0x40, 100);
	palloc_add_free(&f.pa, 0, 1ULL << 40);
	assert_int_equal(f.pa.free_pages, 100);
	while (palloc_alloc(&f.pa, 1, 1, &phys) == 0) {
		assert_true(n < 100);
		seen[n++] = phys;
	}
	assert_int_equal(n, 100);
	assert_int_equal(f.pa.free_pages, 0);
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), -ENOMEM);
	/* Next-fit hands them out in order on a fresh allocator. */
	for (i = 0; i < n; i++)
		assert_int_equal(seen[i], pfn_addr(0x40 + i));
	/* Free one; the next allocation must get exactly that one. */
	assert_int_equal(palloc_free(&f.pa, seen[37], 1), 0);
	assert_int_equal(f.pa.free_pages, 1);
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), 0);
	assert_int_equal(phys, seen[37]);
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), -ENOMEM);
	fx_fini(&f);
}

static void test_fragmentation(void **state)
{
	struct fx f;
	uint64_t phys, i;

	(void)state;
	fx_init(&f, 0, 256);
	palloc_add_free(&f.pa, 0, 256 * PAGE_SIZE);
	for (i = 0; i < 256; i++)
		assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), 0);
	/* Free every other frame: 128 free, but no two adjacent. */
	for (i = 0; i < 256; i += 2)
		assert_int_equal(palloc_free(&f.pa, pfn_addr(i), 1), 0);
	assert_int_equal(f.pa.free_pages, 128);
	assert_int_equal(palloc_alloc(&f.pa, 2, 1, &phys), -ENOMEM);
	assert_int_equal(f.pa.free_pages, 128);
	/* Freeing frame 101 joins 100..102 into a run of three. */
	assert_int_equal(palloc_free(&f.pa, pfn_addr(101), 1), 0);
	assert_int_equal(palloc_alloc(&f.pa, 4, 1, &phys), -ENOMEM);
	assert_int_equal(palloc_alloc(&f.pa, 3, 1, &phys), 0);
	assert_int_equal(phys, pfn_addr(100));
	/* Single frames still come from the holes. */
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), 0);
	assert_int_equal(phys % (2 * PAGE_SIZE), 0);
	assert_int_equal(f.pa.free_pages, 128 + 1 - 3 - 1);
	fx_fini(&f);
}

static void test_free_invalid_and_double(void **state)
{
	struct fx f;
	uint64_t a, b;

	(void)state;
	fx_init(&f, 0x10, 64);
	palloc_add_free(&f.pa, pfn_addr(0x10), 64 * PAGE_SIZE);
	assert_int_equal(palloc_alloc(&f.pa, 4, 1, &a), 0);
	assert_int_equal(palloc_alloc(&f.pa, 4, 1, &b), 0);
	assert_int_equal(f.pa.free_pages, 56);

	assert_int_equal(palloc_free(&f.pa, a + 1, 1), -EINVAL);		/* unaligned */
	assert_int_equal(palloc_free(&f.pa, a, 0), -EINVAL);		/* nothing */
	assert_int_equal(palloc_free(&f.pa, pfn_addr(0xf), 1), -EINVAL);	/* below */
	assert_int_equal(palloc_free(&f.pa, pfn_addr(0x50), 1), -EINVAL);	/* above */
	assert_int_equal(palloc_free(&f.pa, pfn_addr(0x4f), 2), -EINVAL);	/* crosses end */
	assert_int_equal(palloc_free(&f.pa, a, ~0ULL), -EINVAL);		/* huge */
	assert_int_equal(palloc_free(&f.pa, ~0ULL & ~(PAGE_SIZE - 1), 1), -EINVAL);
	assert_int_equal(f.pa.free_pages, 56);

	assert_int_equal(palloc_free(&f.pa, a, 4), 0);
	assert_int_equal(f.pa.free_pages, 60);
	/* Double free of the whole block. */
	assert_int_equal(palloc_free(&f.pa, a, 4), -EINVAL);
	assert_int_equal(f.pa.free_pages, 60);
	/* A range that is half still-allocated, half free: rejected, and the
	 * allocated half stays allocated. */
	assert_int_equal(palloc_free(&f.pa, a + 2 * PAGE_SIZE, 4), -EINVAL);
	assert_int_equal(f.pa.free_pages, 60);
	assert_false(palloc_is_free(&f.pa, b));
	assert_false(palloc_is_free(&f.pa, b + PAGE_SIZE));
	/* A free frame in the middle of a range. */
	assert_int_equal(palloc_free(&f.pa, b + PAGE_SIZE, 1), 0);
	assert_int_equal(palloc_free(&f.pa, b, 4), -EINVAL);
	assert_false(palloc_is_free(&f.pa, b));
	assert_false(palloc_is_free(&f.pa, b + 3 * PAGE_SIZE));
	assert_int_equal(f.pa.free_pages, 61);
	assert_int_equal(count_free(&f.pa), 61);
	/* is_free outside the covered area is false. */
	assert_false(palloc_is_free(&f.pa, 0));
	assert_false(palloc_is_free(&f.pa, pfn_addr(0x50)));
	fx_fini(&f);
}

static void test_word_boundaries(void **state)
{
	struct fx f;
	uint64_t phys, i, n = 0;

	(void)state;
	/* 130 frames: two full words and 2 bits of a third. */
	fx_init(&f, 0, 130);
	palloc_add_free(&f.pa, 0, 1ULL << 30);
	assert_int_equal(f.pa.free_pages, 130);
	/* The tail bits past npfn stay set. */
	assert_int_equal(f.bm[2], ~0ULL << 2);
	/* A run straddling the first word boundary. */
	palloc_reserve(&f.pa, 0, 60 * PAGE_SIZE);
	assert_int_equal(palloc_alloc(&f.pa, 8, 1, &phys), 0);
	assert_int_equal(phys, pfn_addr(60));
	assert_int_equal(f.bm[0], ~0ULL);
	assert_int_equal(f.bm[1] & 0xf, 0xf);
	assert_int_equal(f.bm[1] & 0x10, 0);
	/* A run filling a whole word plus the partial last word; found by
	 * the wrapped pass (the hint is at frame 68). */
	assert_int_equal(palloc_free(&f.pa, phys, 8), 0);
	palloc_reserve(&f.pa, pfn_addr(60), 4 * PAGE_SIZE);
	assert_int_equal(palloc_alloc(&f.pa, 66, 1, &phys), 0);
	assert_int_equal(phys, pfn_addr(64));
	assert_int_equal(f.bm[1], ~0ULL);
	assert_int_equal(f.bm[2], ~0ULL);
	assert_int_equal(f.pa.free_pages, 0);
	assert_int_equal(palloc_free(&f.pa, phys, 66), 0);
	/* The last two frames (in the partial word) are reachable and
	 * nothing past npfn ever comes back. */
	for (i = 0; i < 66; i++) {
		assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), 0);
		assert_true(phys / PAGE_SIZE < 130);
		n += phys / PAGE_SIZE >= 128;
	}
	assert_int_equal(n, 2);
	assert_int_equal(palloc_alloc(&f.pa, 1, 1, &phys), -ENOMEM);
	/* Freeing allocated frames plus the tail bits past npfn is refused. */
	assert_int_equal(palloc_free(&f.pa, pfn_addr(129), 2), -EINVAL);
	assert_int_equal(palloc_free(&f.pa, pfn_addr(127), 64), -EINVAL);
	assert_int_equal(f.pa.free_pages, 0);
	assert_int_equal(f.bm[2], ~0ULL);
	/* A run that would need frames past npfn is refused. */
	assert_int_equal(palloc_free(&f.pa, pfn_addr(126), 4), 0);
	assert_int_equal(palloc_alloc(&f.pa, 5, 1, &phys), -ENOMEM);
	assert_int_equal(palloc_alloc(&f.pa, 4, 1, &phys), 0);
	assert_int_equal(phys, pfn_addr(126));
	fx_fini(&f);
}

static void test_next_fit_wraps(void **state)
{
	struct fx f;
	uint64_t phys, a;

	(void)state;
	fx_init(&f, 0, 128);
	palloc_add_free(&f.pa, 0, 128 * PAGE_SIZE);
	assert_int_equal(palloc_alloc(&f.pa, 8, 1, &a), 0);
	assert_int_equal(palloc_alloc(&f.pa, 112, 1, &phys), 0);
	assert_int_equal(f.pa.hint, 120);
	assert_int_equal(palloc_free(&f.pa, a, 8), 0);
	/* 8 free at 120..127 (after the hint) and 8 at 0..7 (before it). */
	assert_int_equal(palloc_alloc(&f.pa, 8, 1, &phys), 0);
	assert_int_equal(phys, pfn_addr(120));
	assert_int_equal(f.pa.hint, 0);	/* ran to the end: wraps */
	assert_int_equal(palloc_alloc(&f.pa, 8, 1, &phys), 0);
	assert_int_equal(phys, pfn_addr(0));
	/* Run found only by the wrapped pass that extends past the hint. */
	assert_int_equal(palloc_free(&f.pa, pfn_addr(4), 8), 0);
	f.pa.hint = 6;
	assert_int_equal(palloc_alloc(&f.pa, 8, 1, &phys), 0);
	assert_int_equal(phys, pfn_addr(4));
	fx_fini(&f);
}

/* A few million frames (16 GiB) with only the last word free: the search
 * must skip the full words, and the result must be right. */
static void test_large_skips_full_words(void **state)
{
	struct fx f;
	uint64_t npfn = 4ULL << 20, phys, i;

	(void)state;
	fx_init(&f, 0x100, npfn);
	palloc_add_free(&f.pa, pfn_addr(0x100 + npfn - 100), 100 * PAGE_SIZE);
	assert_int_equal(f.pa.free_pages, 100);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(palloc_alloc(&f.pa, 64, 1, &phys), 0);
		assert_int_equal(phys, pfn_addr(0x100 + npfn - 100));
		assert_int_equal(palloc_free(&f.pa, phys, 64), 0);
		f.pa.hint = 0;	/* force a scan from the start each time */
	}
	/* And a 2 MiB-aligned allocation that cannot fit. */
	assert_int_equal(palloc_alloc(&f.pa, 512, 512, &phys), -ENOMEM);
	fx_fini(&f);
}

/* Randomized alloc/free against a shadow owner map. */
static void test_random_stress(void **state)
{
	enum { NPFN = 3000, MAXLIVE = 200, ROUNDS = 20000 };
	struct live { uint64_t phys, n; } live[MAXLIVE];
	static int owner[NPFN];
	uint64_t base_pfn = 0x777, nlive = 0, live_pages = 0;
	unsigned nalloc = 0, nfail = 0, nfree = 0;
	unsigned seed = 12345, r;
	struct fx f;
	int round;

	(void)state;
	fx_init(&f, base_pfn, NPFN);
	palloc_add_free(&f.pa, pfn_addr(base_pfn), NPFN * PAGE_SIZE);
	/* Holes that are never RAM and a reserved block. */
	palloc_reserve(&f.pa, pfn_addr(base_pfn + 1000), 37 * PAGE_SIZE);
	palloc_reserve(&f.pa, pfn_addr(base_pfn + 2047), 3 * PAGE_SIZE);
	for (r = 0; r < NPFN; r++)
		owner[r] = palloc_is_free(&f.pa, pfn_addr(base_pfn + r)) ? 0 : -1;

	for (round = 0; round < ROUNDS; round++) {
		seed = seed * 1103515245u + 12345u;
		r = seed >> 8;
		if (nlive < MAXLIVE && (r % 3 != 0 || nlive == 0)) {
			static const uint64_t aligns[] = { 0, 1, 2, 8, 64, 512 };
			uint64_t n = 1 + (r >> 4) % ((r & 8) ? 70 : 4);
			uint64_t al = aligns[(r >> 12) % 6], phys, i;
			uint64_t before = f.pa.free_pages;
			int ret = palloc_alloc(&f.pa, n, al, &phys);

			if (ret) {
				assert_int_equal(ret, -ENOMEM);
				assert_int_equal(f.pa.free_pages, before);
				nfail++;
				continue;
			}
			if (al > 1)
				assert_int_equal(phys % (al * PAGE_SIZE), 0);
			assert_true(phys / PAGE_SIZE >= base_pfn);
			assert_true(phys / PAGE_SIZE + n <= base_pfn + NPFN);
			for (i = 0; i < n; i++) {
				uint64_t idx = phys / PAGE_SIZE - base_pfn + i;

				/* Never handed out twice, never a reserved frame. */
				assert_int_equal(owner[idx], 0);
				owner[idx] = round + 1;
				assert_false(palloc_is_free(&f.pa, phys + i * PAGE_SIZE));
			}
			nalloc++;
			live[nlive].phys = phys;
			live[nlive].n = n;
			nlive++;
			live_pages += n;
		} else {
			uint64_t k = (r >> 4) % nlive, i;
			struct live l = live[k];

			assert_int_equal(palloc_free(&f.pa, l.phys, l.n), 0);
			/* Freeing it again must fail and change nothing. */
			assert_int_equal(palloc_free(&f.pa, l.phys, l.n), -EINVAL);
			for (i = 0; i < l.n; i++)
				owner[l.phys / PAGE_SIZE - base_pfn + i] = 0;
			live[k] = live[--nlive];
			nfree++;
			live_pages -= l.n;
		}
		assert_int_equal(f.pa.free_pages + live_pages, f.pa.managed_pages - 40);
		if (round % 1000 == 0)
			assert_int_equal(count_free(&f.pa), f.pa.free_pages);
	}
	assert_int_equal(count_free(&f.pa), f.pa.free_pages);
	/* The run really exercised all paths, including running out. */
	print_message("stress: %u allocs, %u -ENOMEM, %u frees\n", nalloc, nfail, nfree);
	assert_true(nalloc > 5000);
	assert_true(nfree > 5000);
	assert_true(nfail > 100);
	for (r = 0; r < NPFN; r++)
		assert_int_equal(owner[r] == 0, palloc_is_free(&f.pa, pfn_addr(base_pfn + r)));
	while (nlive) {
		nlive--;
		assert_int_equal(palloc_free(&f.pa, live[nlive].phys, live[nlive].n), 0);
	}
	assert_int_equal(f.pa.free_pages, NPFN - 40);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_bytes),
		cmocka_unit_test(test_init_all_used),
		cmocka_unit_test(test_add_free_rounds_inward),
		cmocka_unit_test(test_add_free_not_double_counted),
		cmocka_unit_test(test_add_free_clipped),
		cmocka_unit_test(test_reserve_rounds_outward),
		cmocka_unit_test(test_reserved_never_allocated),
		cmocka_unit_test(test_alloc_invalid),
		cmocka_unit_test(test_alloc_aligned_2m),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_fragmentation),
		cmocka_unit_test(test_free_invalid_and_double),
		cmocka_unit_test(test_word_boundaries),
		cmocka_unit_test(test_next_fit_wraps),
		cmocka_unit_test(test_large_skips_full_words),
		cmocka_unit_test(test_random_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
