/* Physical page-frame allocator (bitmap). See palloc.h for the contract.
 *
 * The searches work a 64-bit word at a time: a word that is all ones
 * (fully used) or all zeroes (fully free) is skipped with one compare, so
 * a scan over a few million frames touches only a few tens of thousands of
 * words even when memory is nearly full. */
#include "lib/palloc.h"
#include "lib/string.h"
#include "lib/errno.h"

#define PAGE_SHIFT 12
#define PAGE_MASK  (PAGE_SIZE - 1)

/* Number of set bits. Written out (SWAR) rather than __builtin_popcountll,
 * which without -mpopcnt becomes a call into libgcc, and the core is not
 * linked against libgcc. */
static unsigned palloc_popcount(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* Index of the lowest set bit; x != 0. GCC expands this inline (BSF/TZCNT)
 * on x86-64, no library call. */
static unsigned palloc_ctz(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static uint64_t palloc_word_mask(unsigned lo, unsigned hi)
{
	uint64_t m = hi == 64 ? ~0ULL : (1ULL << hi) - 1;

	return m & ~((1ULL << lo) - 1);
}

/* Set frame indices [s, e); returns how many were clear (free) before. */
static uint64_t palloc_set_range(struct palloc *pa, uint64_t s, uint64_t e)
{
	uint64_t changed = 0;

	while (s < e) {
		uint64_t w = s / 64;
		unsigned lo = s % 64;
		unsigned hi = e - s >= 64 - lo ? 64 : lo + (unsigned)(e - s);
		uint64_t m = palloc_word_mask(lo, hi);

		changed += palloc_popcount(m & ~pa->bitmap[w]);
		pa->bitmap[w] |= m;
		s += hi - lo;
	}
	return changed;
}

/* Clear frame indices [s, e); returns how many were set (used) before. */
static uint64_t palloc_clear_range(struct palloc *pa, uint64_t s, uint64_t e)
{
	uint64_t changed = 0;

	while (s < e) {
		uint64_t w = s / 64;
		unsigned lo = s % 64;
		unsigned hi = e - s >= 64 - lo ? 64 : lo + (unsigned)(e - s);
		uint64_t m = palloc_word_mask(lo, hi);

		changed += palloc_popcount(m & pa->bitmap[w]);
		pa->bitmap[w] &= ~m;
		s += hi - lo;
	}
	return changed;
}

/* First index in [s, e) whose bit equals want (true = used), or e. */
static uint64_t palloc_find(const struct palloc *pa, uint64_t s, uint64_t e, bool want)
{
	while (s < e) {
		uint64_t w = s / 64;
		uint64_t bits = want ? pa->bitmap[w] : ~pa->bitmap[w];

		bits &= ~0ULL << (s % 64);
		if (bits) {
			uint64_t idx = w * 64 + palloc_ctz(bits);

			return idx < e ? idx : e;
		}
		s = (w + 1) * 64;
	}
	return e;
}

/* Clip the frame range [s, e) to the covered area and turn it into bitmap
 * indices. Returns false if nothing is left. */
static bool palloc_clip(const struct palloc *pa, uint64_t *s, uint64_t *e)
{
	uint64_t lo = *s > pa->base_pfn ? *s : pa->base_pfn;
	uint64_t hi = *e < pa->base_pfn + pa->npfn ? *e : pa->base_pfn + pa->npfn;

	if (lo >= hi)
		return false;
	*s = lo - pa->base_pfn;
	*e = hi - pa->base_pfn;
	return true;
}

/* floor((phys + size) / PAGE_SIZE) computed without overflowing 64 bits,
 * so a range that runs to the top of the address space still works. */
static uint64_t palloc_end_pfn_floor(uint64_t phys, uint64_t size)
{
	return (phys >> PAGE_SHIFT) + (size >> PAGE_SHIFT) +
	       (((phys & PAGE_MASK) + (size & PAGE_MASK)) >> PAGE_SHIFT);
}

size_t palloc_bitmap_bytes(uint64_t npfn)
{
	return (size_t)(npfn / 64 + (npfn % 64 != 0)) * sizeof(uint64_t);
}

void palloc_init(struct palloc *pa, uint64_t *bitmap, uint64_t base_pfn, uint64_t npfn)
{
	pa->base_pfn = base_pfn;
	pa->npfn = npfn;
	pa->bitmap = bitmap;
	pa->free_pages = 0;
	pa->managed_pages = 0;
	pa->hint = 0;
	/* All ones: every frame used, including the tail bits past npfn in
	 * the last word, which nothing ever clears (add_free clips to npfn). */
	if (npfn)
		memset(bitmap, 0xff, palloc_bitmap_bytes(npfn));
}

void palloc_add_free(struct palloc *pa, uint64_t phys, uint64_t size)
{
	uint64_t s, e, n;

	if (!size)
		return;
	/* Inward: only frames wholly inside the range are RAM we may use. */
	s = (phys >> PAGE_SHIFT) + ((phys & PAGE_MASK) != 0);
	e = palloc_end_pfn_floor(phys, size);
	if (!palloc_clip(pa, &s, &e))
		return;
	n = palloc_clear_range(pa, s, e);
	pa->free_pages += n;
	pa->managed_pages += n;
}

void palloc_reserve(struct palloc *pa, uint64_t phys, uint64_t size)
{
	uint64_t s, e;

	if (!size)
		return;
	/* Outward: a frame holding any reserved byte must never be handed out. */
	s = phys >> PAGE_SHIFT;
	e = palloc_end_pfn_floor(phys, size) +
	    (((phys & PAGE_MASK) + (size & PAGE_MASK)) & PAGE_MASK ? 1 : 0);
	if (!palloc_clip(pa, &s, &e))
		return;
	pa->free_pages -= palloc_set_range(pa, s, e);
}

/* Lowest start index in [from, start_limit) of n free frames whose frame
 * number is a multiple of align; pa->npfn if there is none. */
static uint64_t palloc_search(const struct palloc *pa, uint64_t from, uint64_t start_limit,
			      uint64_t n, uint64_t align)
{
	uint64_t s = from;

	for (;;) {
		uint64_t rem, used;

		s = palloc_find(pa, s, start_limit, false);
		if (s >= start_limit)
			return pa->npfn;
		rem = (pa->base_pfn + s) & (align - 1);
		if (rem) {
			if (align - rem >= start_limit - s)
				return pa->npfn;
			s += align - rem;
		}
		/* Starts only move up, so once a run no longer fits before
		 * the end of the bitmap no later one will either. */
		if (n > pa->npfn - s)
			return pa->npfn;
		used = palloc_find(pa, s, s + n, true);
		if (used == s + n)
			return s;
		s = used + 1;
	}
}

int palloc_alloc(struct palloc *pa, uint64_t npages, uint64_t align_pages, uint64_t *phys_out)
{
	uint64_t hint, idx;

	if (!phys_out || !npages)
		return -EINVAL;
	if (!align_pages)
		align_pages = 1;
	if (align_pages & (align_pages - 1))
		return -EINVAL;
	if (npages > pa->free_pages)
		return -ENOMEM;

	/* Next-fit: start where the last allocation ended so repeated small
	 * allocations do not rescan the used prefix; wrap around once. */
	hint = pa->hint < pa->npfn ? pa->hint : 0;
	idx = palloc_search(pa, hint, pa->npfn, npages, align_pages);
	if (idx == pa->npfn && hint)
		idx = palloc_search(pa, 0, hint, npages, align_pages);
	if (idx == pa->npfn)
		return -ENOMEM;

	palloc_set_range(pa, idx, idx + npages);
	pa->free_pages -= npages;
	pa->hint = idx + npages < pa->npfn ? idx + npages : 0;
	*phys_out = (pa->base_pfn + idx) << PAGE_SHIFT;
	return 0;
}

int palloc_free(struct palloc *pa, uint64_t phys, uint64_t npages)
{
	uint64_t pfn = phys >> PAGE_SHIFT, idx;

	if ((phys & PAGE_MASK) || !npages || pfn < pa->base_pfn)
		return -EINVAL;
	idx = pfn - pa->base_pfn;
	if (idx >= pa->npfn || npages > pa->npfn - idx)
		return -EINVAL;
	/* Check the whole range before touching it, so a double free
	 * (even of one frame in the middle) changes nothing. */
	if (palloc_find(pa, idx, idx + npages, false) != idx + npages)
		return -EINVAL;
	palloc_clear_range(pa, idx, idx + npages);
	pa->free_pages += npages;
	return 0;
}

bool palloc_is_free(const struct palloc *pa, uint64_t phys)
{
	uint64_t pfn = phys >> PAGE_SHIFT, idx;

	if (pfn < pa->base_pfn || pfn - pa->base_pfn >= pa->npfn)
		return false;
	idx = pfn - pa->base_pfn;
	return !(pa->bitmap[idx / 64] & (1ULL << (idx % 64)));
}
