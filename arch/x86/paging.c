/* Table-driven page-table engine (see paging.h) and the host x86-64
 * 4-level format.
 *
 * Every operation walks the radix tree recursively over an inclusive
 * range [va, last]; using the last byte instead of the end keeps a range
 * that ends at the very top of the address space (0xffff_ffff_ffff_f000
 * plus one page) from overflowing to 0.
 *
 * Operations that can fail part-way are arranged so they cannot leave a
 * half-done change behind: pt_map() checks for overlap before writing and
 * tears down what it built if an allocation fails; pt_unmap() and
 * pt_protect() allocate every table a split can need before touching
 * anything. */
#include "arch/x86/paging.h"
#include "lib/string.h"
#include "lib/errno.h"

#define PT_ENTRIES 512
#define PT_TABLE_SIZE 4096ULL

/* ---- host x86-64 4-level format (Intel SDM Vol. 3A, 4.5) ------------- */

/* Entry bits, from the 4-level paging-structure entry formats (Intel SDM
 * Vol. 3A, 4.5, tables "Format of a PML4 Entry" through "Format of a
 * Page-Table Entry that Maps a 4-KByte Page"). */
#define X86_P    (1ULL << 0)   /* present */
#define X86_RW   (1ULL << 1)   /* writes allowed (with CR0.WP, also for CPL 0) */
#define X86_US   (1ULL << 2)   /* user-mode accesses allowed */
#define X86_PWT  (1ULL << 3)   /* page-level write-through: PAT index bit 0 */
#define X86_PCD  (1ULL << 4)   /* page-level cache disable: PAT index bit 1 */
#define X86_PS   (1ULL << 7)   /* page size: PDPTE maps 1 GiB, PDE maps 2 MiB */
#define X86_G    (1ULL << 8)   /* global, with CR4.PGE = 1; leaves only */
#define X86_XD   (1ULL << 63)  /* execute-disable, with IA32_EFER.NXE = 1 */
/* Physical address bits 51:12. Bits 51:MAXPHYADDR are reserved on a
 * given CPU; the caller only maps memory that exists. In 2M/1G leaves bit
 * 12 is the PAT bit, so their address field starts at bit 21/30. */
#define X86_ADDR 0x000ffffffffff000ULL

static uint64_t x86_span(unsigned level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

static bool x86_is_leaf(uint64_t e, unsigned level)
{
	/* PS exists only in PDEs (level 2) and PDPTEs (level 3); in a PML4E
	 * bit 7 is reserved, and a PTE always maps a page. */
	if (level == 1)
		return true;
	return (level == 2 || level == 3) && (e & X86_PS);
}

static uint64_t x86_addr(uint64_t e, unsigned level)
{
	if (level > 1 && x86_is_leaf(e, level))
		return e & X86_ADDR & ~(x86_span(level) - 1);
	return e & X86_ADDR;
}

static uint64_t x86_table_entry(uint64_t phys)
{
	/* Access rights are the most restrictive over all levels of the walk
	 * (Intel SDM Vol. 3A, 4.6), so non-leaf entries grant everything and
	 * leave the decision to the leaf. PWT/PCD stay clear: the tables
	 * themselves are ordinary write-back RAM. */
	return (phys & X86_ADDR) | X86_P | X86_RW | X86_US;
}

static uint64_t x86_leaf_entry(uint64_t phys, unsigned level, unsigned flags)
{
	uint64_t e = X86_P;

	/* Present implies readable: host paging has no write- or
	 * execute-only pages, so PT_R is implicit. */
	if (level > 1) {
		e |= X86_PS;
		e |= phys & X86_ADDR & ~(x86_span(level) - 1);
	} else {
		e |= phys & X86_ADDR;
	}
	if (flags & PT_W)
		e |= X86_RW;
	if (flags & PT_USER)
		e |= X86_US;
	/* PAT=0, PCD=1, PWT=1 selects IA32_PAT entry 3, which is UC after
	 * power-up or reset (Intel SDM Vol. 3A, "Selecting a Memory Type from
	 * the PAT" and "Programming the PAT"). Strong UC rather than UC-
	 * (entry 2), so an MTRR cannot turn device memory into WC. */
	if (flags & PT_UC)
		e |= X86_PCD | X86_PWT;
	if (flags & PT_GLOBAL)
		e |= X86_G;
	if (!(flags & PT_X))
		e |= X86_XD;
	return e;
}

static bool x86_present(uint64_t e)
{
	return e & X86_P;
}

static unsigned x86_flags(uint64_t e, unsigned level)
{
	unsigned f = PT_R;

	(void)level;
	if (e & X86_RW)
		f |= PT_W;
	if (e & X86_US)
		f |= PT_USER;
	if (!(e & X86_XD))
		f |= PT_X;
	/* PCD alone (PAT entry 2, UC-) is uncached too. */
	if (e & X86_PCD)
		f |= PT_UC;
	if (e & X86_G)
		f |= PT_GLOBAL;
	return f;
}

const struct pt_format pt_x86_64 = {
	.name = "x86-64 4-level",
	.levels = 4,
	.leaf_levels = PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G,
	/* Linear addresses must be canonical: bits 63:47 all equal (Intel SDM
	 * Vol. 1, 3.3.7.1; Vol. 3A, 4.5). */
	.sign_extended = true,
	.table_entry = x86_table_entry,
	.leaf_entry = x86_leaf_entry,
	.present = x86_present,
	.is_leaf = x86_is_leaf,
	.addr = x86_addr,
	.flags = x86_flags,
};

/* ---- generic engine ---------------------------------------------------- */

static unsigned pt_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static uint64_t pt_span(unsigned level)
{
	return 1ULL << pt_shift(level);
}

static unsigned pt_index(uint64_t va, unsigned level)
{
	return (va >> pt_shift(level)) & (PT_ENTRIES - 1);
}

static uint64_t *pt_table(const struct pt *pt, uint64_t phys)
{
	return pt->env->phys_to_virt(pt->env->ctx, phys);
}

/* Entries may be live (walked by the CPU or an IOMMU): read and write each
 * one with a single 64-bit access the compiler may not split or merge. */
static uint64_t pt_read(const uint64_t *t, unsigned i)
{
	return ((const volatile uint64_t *)t)[i];
}

static void pt_write(uint64_t *t, unsigned i, uint64_t e)
{
	((volatile uint64_t *)t)[i] = e;
}

/* The non-leaf entry at level pointing at the table (of level - 1) at
 * phys: formats that record the child's level in the entry (AMD-Vi's
 * next-level field) say so through table_entry_lvl. */
static uint64_t pt_table_entry(const struct pt *pt, uint64_t phys, unsigned level)
{
	if (pt->fmt->table_entry_lvl)
		return pt->fmt->table_entry_lvl(phys, level);
	return pt->fmt->table_entry(phys);
}

static bool pt_is_leaf(const struct pt *pt, uint64_t e, unsigned level)
{
	return level == 1 || pt->fmt->is_leaf(e, level);
}

static unsigned pt_addr_bits(const struct pt *pt)
{
	return 12 + 9 * pt->fmt->levels;
}

/* Is a a valid input address for this format? */
static bool pt_addr_ok(const struct pt *pt, uint64_t a)
{
	unsigned bits = pt_addr_bits(pt);

	if (pt->fmt->sign_extended) {
		uint64_t top = a >> (bits - 1);

		return top == 0 || top == (~0ULL >> (bits - 1));
	}
	return (a >> bits) == 0;
}

/* Validate a page-aligned [va, va + size) and return its last byte. */
static int pt_check_range(const struct pt *pt, uint64_t va, uint64_t size, uint64_t *last)
{
	if (!pt->fmt)
		return -EINVAL;
	if (!size || ((va | size) & (PT_TABLE_SIZE - 1)))
		return -EINVAL;
	if (size - 1 > ~0ULL - va)
		return -EINVAL;
	*last = va + size - 1;
	if (!pt_addr_ok(pt, va) || !pt_addr_ok(pt, *last))
		return -EINVAL;
	/* Both ends canonical is not enough: a range from the low half into
	 * the high half runs through the non-canonical hole. */
	if (pt->fmt->sign_extended && ((va ^ *last) >> (pt_addr_bits(pt) - 1)))
		return -EINVAL;
	return 0;
}

static int pt_check_flags(unsigned flags)
{
	if (flags & ~(unsigned)PT_FLAGS_ALL)
		return -EINVAL;
	/* A leaf needs some access right; in formats with separate R/W/X bits
	 * (EPT) an entry without any would read back as not present. */
	if (!(flags & (PT_R | PT_W | PT_X)))
		return -EINVAL;
	return 0;
}

/* Iterator over the entries of one table that intersect [va, last]. For
 * the current entry: i is its index, va..clast the part of the range
 * inside it, full whether that part is the whole entry. */
struct pt_iter {
	unsigned level, i;
	uint64_t va, clast, last;
	bool full, done;
};

static void pt_iter_calc(struct pt_iter *it)
{
	uint64_t span = pt_span(it->level);
	uint64_t base = it->va & ~(span - 1);

	it->i = pt_index(it->va, it->level);
	/* min(last, base + span - 1) without computing base + span, which
	 * is 2^64 for the top entry of the high half. */
	it->clast = it->last - base < span ? it->last : base + span - 1;
	it->full = it->va == base && it->clast == base + span - 1;
}

static void pt_iter_start(struct pt_iter *it, unsigned level, uint64_t va, uint64_t last)
{
	it->level = level;
	it->va = va;
	it->last = last;
	it->done = false;
	pt_iter_calc(it);
}

static void pt_iter_next(struct pt_iter *it)
{
	if (it->clast == it->last) {
		it->done = true;
		return;
	}
	it->va = it->clast + 1;
	pt_iter_calc(it);
}

#define pt_for_each_entry(it, level, va, last) \
	for (pt_iter_start(&(it), level, va, last); !(it).done; pt_iter_next(&(it)))

/* true if no leaf maps any part of [va, last]. */
static bool pt_range_empty(const struct pt *pt, uint64_t table, unsigned level,
			   uint64_t va, uint64_t last)
{
	uint64_t *t = pt_table(pt, table);
	struct pt_iter it;

	pt_for_each_entry(it, level, va, last) {
		uint64_t e = pt_read(t, it.i);

		if (!pt->fmt->present(e))
			continue;
		if (pt_is_leaf(pt, e, level))
			return false;
		if (!pt_range_empty(pt, pt->fmt->addr(e, level), level - 1, it.va, it.clast))
			return false;
	}
	return true;
}

/* true if every byte of [va, last] is mapped by some leaf. */
static bool pt_range_mapped(const struct pt *pt, uint64_t table, unsigned level,
			    uint64_t va, uint64_t last)
{
	uint64_t *t = pt_table(pt, table);
	struct pt_iter it;

	pt_for_each_entry(it, level, va, last) {
		uint64_t e = pt_read(t, it.i);

		if (!pt->fmt->present(e))
			return false;
		if (pt_is_leaf(pt, e, level))
			continue;
		if (!pt_range_mapped(pt, pt->fmt->addr(e, level), level - 1, it.va, it.clast))
			return false;
	}
	return true;
}

static bool pt_table_empty(const struct pt *pt, uint64_t table)
{
	uint64_t *t = pt_table(pt, table);
	unsigned i;

	for (i = 0; i < PT_ENTRIES; i++)
		if (pt->fmt->present(pt_read(t, i)))
			return false;
	return true;
}

static int pt_alloc_table(struct pt *pt, uint64_t *phys)
{
	if (!pt->env->alloc(pt->env->ctx, phys))
		return -ENOMEM;
	return 0;
}

static int pt_map_range(struct pt *pt, uint64_t table, unsigned level,
			uint64_t va, uint64_t last, uint64_t pa, unsigned flags)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t *t = pt_table(pt, table);
	struct pt_iter it;

	pt_for_each_entry(it, level, va, last) {
		uint64_t e = pt_read(t, it.i), child;
		int ret;

		/* Greedy is optimal: an entry becomes a leaf when the range
		 * covers all of it and pa shares its alignment; anything
		 * else descends. Level 1 always takes the first branch. */
		if (!fmt->present(e) && (pt->leaf_levels & (1u << level)) && it.full &&
		    !(pa & (pt_span(level) - 1))) {
			pt_write(t, it.i, fmt->leaf_entry(pa, level, flags));
		} else {
			/* The overlap check ran first, so a present leaf here
			 * is a bug in the caller's locking; do not clobber it. */
			if (level == 1 || (fmt->present(e) && pt_is_leaf(pt, e, level)))
				return -EEXIST;
			if (fmt->present(e)) {
				child = fmt->addr(e, level);
			} else {
				ret = pt_alloc_table(pt, &child);
				if (ret)
					return ret;
				/* The new table is empty (zeroed), so linking it
				 * before filling it never exposes garbage. */
				pt_write(t, it.i, pt_table_entry(pt, child, level));
			}
			ret = pt_map_range(pt, child, level - 1, it.va, it.clast, pa, flags);
			if (ret)
				return ret;
		}
		pa += it.clast - it.va + 1;
	}
	return 0;
}

/* Table pages for splits, allocated before an unmap/protect changes
 * anything. Each end of the range can sit inside a large leaf and need
 * one split per level below it. */
struct pt_pool {
	uint64_t phys[2 * (PT_MAX_LEVELS - 1)];
	unsigned n;
};

static void pt_pool_drain(struct pt *pt, struct pt_pool *pool)
{
	while (pool->n)
		pt->env->free(pt->env->ctx, pool->phys[--pool->n]);
}

static int pt_pool_fill(struct pt *pt, struct pt_pool *pool, unsigned need)
{
	pool->n = 0;
	while (pool->n < need) {
		if (pt_alloc_table(pt, &pool->phys[pool->n])) {
			pt_pool_drain(pt, pool);
			return -ENOMEM;
		}
		pool->n++;
	}
	return 0;
}

/* How many splits a range boundary at b needs: b lies inside a leaf of
 * level L and not at its start; after splitting, the new leaf holding b
 * must be split again for every smaller size b is not aligned to. */
static unsigned pt_splits_at(const struct pt *pt, uint64_t b)
{
	uint64_t table = pt->root;
	unsigned level, n = 0;

	for (level = pt->fmt->levels; level > 1; level--) {
		uint64_t e = pt_read(pt_table(pt, table), pt_index(b, level));

		if (!pt->fmt->present(e))
			return 0;
		if (pt_is_leaf(pt, e, level))
			break;
		table = pt->fmt->addr(e, level);
	}
	for (; level > 1; level--)
		if (b & (pt_span(level) - 1))
			n++;
	return n;
}

/* Splits needed for an operation on [va, last]; may overcount (both ends
 * in one leaf), never undercounts. */
static unsigned pt_splits_needed(const struct pt *pt, uint64_t va, uint64_t last)
{
	unsigned n = pt_splits_at(pt, va);

	if (last != ~0ULL && pt_addr_ok(pt, last + 1))
		n += pt_splits_at(pt, last + 1);
	return n;
}

/* Replace the large leaf e in slot i of t by a table of leaves one level
 * down with the same addresses and flags. The new table is filled before
 * it is linked, so a concurrent walker sees either the old leaf or the
 * complete replacement; the caller still has to invalidate, as the TLB may
 * hold the large translation (Intel SDM Vol. 3A, 4.10.4). Going through
 * flags() rather than copying bits matters on x86, where the PAT bit
 * moves from bit 12 to bit 7. Accessed/dirty bits are not carried over. */
static int pt_split(struct pt *pt, struct pt_pool *pool, uint64_t *t, unsigned i,
		    uint64_t e, unsigned level, uint64_t *child_out)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t child, pa = fmt->addr(e, level), sub = pt_span(level - 1);
	unsigned flags = fmt->flags(e, level), j;
	uint64_t *c;

	if (!pool || !pool->n)
		return -ENOMEM;
	child = pool->phys[--pool->n];
	c = pt_table(pt, child);
	for (j = 0; j < PT_ENTRIES; j++)
		pt_write(c, j, fmt->leaf_entry(pa + j * sub, level - 1, flags));
	pt_write(t, i, pt_table_entry(pt, child, level));
	*child_out = child;
	return 0;
}

static int pt_unmap_range(struct pt *pt, struct pt_pool *pool, uint64_t table,
			  unsigned level, uint64_t va, uint64_t last)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t *t = pt_table(pt, table);
	struct pt_iter it;

	pt_for_each_entry(it, level, va, last) {
		uint64_t e = pt_read(t, it.i), child;
		int ret;

		if (!fmt->present(e))
			continue;
		if (pt_is_leaf(pt, e, level)) {
			if (it.full) {
				pt_write(t, it.i, 0);
				continue;
			}
			ret = pt_split(pt, pool, t, it.i, e, level, &child);
			if (ret)
				return ret;
		} else {
			child = fmt->addr(e, level);
		}
		ret = pt_unmap_range(pt, pool, child, level - 1, it.va, it.clast);
		if (ret)
			return ret;
		/* Unlink before freeing; see paging.h on deferring reuse of
		 * the page until the paging-structure caches are flushed. */
		if (pt_table_empty(pt, child)) {
			pt_write(t, it.i, 0);
			pt->env->free(pt->env->ctx, child);
		}
	}
	return 0;
}

static int pt_protect_range(struct pt *pt, struct pt_pool *pool, uint64_t table,
			    unsigned level, uint64_t va, uint64_t last, unsigned flags)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t *t = pt_table(pt, table);
	struct pt_iter it;

	pt_for_each_entry(it, level, va, last) {
		uint64_t e = pt_read(t, it.i), child;
		int ret;

		if (pt_is_leaf(pt, e, level)) {
			uint64_t n = fmt->leaf_entry(fmt->addr(e, level), level, flags);

			/* Already right: leave it (and its A/D bits) alone,
			 * and do not split a large page for nothing. */
			if (fmt->flags(e, level) == fmt->flags(n, level))
				continue;
			if (it.full) {
				pt_write(t, it.i, n);
				continue;
			}
			ret = pt_split(pt, pool, t, it.i, e, level, &child);
			if (ret)
				return ret;
		} else {
			child = fmt->addr(e, level);
		}
		ret = pt_protect_range(pt, pool, child, level - 1, it.va, it.clast, flags);
		if (ret)
			return ret;
	}
	return 0;
}

static void pt_free_tree(struct pt *pt, uint64_t table, unsigned level)
{
	if (level > 1) {
		uint64_t *t = pt_table(pt, table);
		unsigned i;

		for (i = 0; i < PT_ENTRIES; i++) {
			uint64_t e = pt_read(t, i);

			if (pt->fmt->present(e) && !pt_is_leaf(pt, e, level))
				pt_free_tree(pt, pt->fmt->addr(e, level), level - 1);
		}
	}
	pt->env->free(pt->env->ctx, table);
}

int pt_init(struct pt *pt, const struct pt_format *fmt, const struct pt_env *env,
	    unsigned leaf_levels)
{
	unsigned mask, level;

	memset(pt, 0, sizeof(*pt));
	if (!fmt || !env || !env->alloc || !env->free || !env->phys_to_virt)
		return -EINVAL;
	if (fmt->levels < 2 || fmt->levels > PT_MAX_LEVELS ||
	    (!fmt->table_entry && !fmt->table_entry_lvl) ||
	    !fmt->leaf_entry || !fmt->present || !fmt->is_leaf || !fmt->addr || !fmt->flags)
		return -EINVAL;
	/* Only levels 1..levels exist. */
	mask = fmt->leaf_levels & leaf_levels & ((2u << fmt->levels) - 2);
	if (!(mask & PT_LEAF_4K))
		return -EINVAL;
	for (level = 2; level <= fmt->levels; level++)
		if ((mask & (1u << level)) && !(mask & (1u << (level - 1))))
			return -EINVAL;

	pt->fmt = fmt;
	pt->env = env;
	pt->leaf_levels = mask;
	if (pt_alloc_table(pt, &pt->root)) {
		pt->fmt = NULL;
		return -ENOMEM;
	}
	return 0;
}

int pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t size, unsigned flags)
{
	const struct pt_format *fmt = pt->fmt;
	uint64_t last, pa_last;
	int ret;

	ret = pt_check_range(pt, va, size, &last);
	if (ret)
		return ret;
	ret = pt_check_flags(flags);
	if (ret)
		return ret;
	if ((pa & (PT_TABLE_SIZE - 1)) || size - 1 > ~0ULL - pa)
		return -EINVAL;
	/* The format must be able to hold every target address: check the
	 * lowest and highest page round-trip through an entry. */
	pa_last = pa + size - PT_TABLE_SIZE;
	if (fmt->addr(fmt->leaf_entry(pa, 1, flags), 1) != pa ||
	    fmt->addr(fmt->leaf_entry(pa_last, 1, flags), 1) != pa_last)
		return -EINVAL;

	if (!pt_range_empty(pt, pt->root, fmt->levels, va, last))
		return -EEXIST;
	ret = pt_map_range(pt, pt->root, fmt->levels, va, last, pa, flags);
	if (ret) {
		/* Nothing in [va, last] was mapped before this call, so
		 * unmapping the whole range removes exactly what it added
		 * (and the tables it allocated) and needs no split. */
		pt_unmap_range(pt, NULL, pt->root, fmt->levels, va, last);
	}
	return ret;
}

int pt_unmap(struct pt *pt, uint64_t va, uint64_t size)
{
	struct pt_pool pool;
	uint64_t last;
	int ret;

	ret = pt_check_range(pt, va, size, &last);
	if (ret)
		return ret;
	ret = pt_pool_fill(pt, &pool, pt_splits_needed(pt, va, last));
	if (ret)
		return ret;
	ret = pt_unmap_range(pt, &pool, pt->root, pt->fmt->levels, va, last);
	pt_pool_drain(pt, &pool);
	return ret;
}

int pt_protect(struct pt *pt, uint64_t va, uint64_t size, unsigned flags)
{
	struct pt_pool pool;
	uint64_t last;
	int ret;

	ret = pt_check_range(pt, va, size, &last);
	if (ret)
		return ret;
	ret = pt_check_flags(flags);
	if (ret)
		return ret;
	if (!pt_range_mapped(pt, pt->root, pt->fmt->levels, va, last))
		return -ENOENT;
	ret = pt_pool_fill(pt, &pool, pt_splits_needed(pt, va, last));
	if (ret)
		return ret;
	ret = pt_protect_range(pt, &pool, pt->root, pt->fmt->levels, va, last, flags);
	pt_pool_drain(pt, &pool);
	return ret;
}

int pt_lookup(const struct pt *pt, uint64_t va, uint64_t *pa, unsigned *flags, uint64_t *page_size)
{
	uint64_t table;
	unsigned level;

	if (!pt->fmt || !pt_addr_ok(pt, va))
		return -EINVAL;
	table = pt->root;
	for (level = pt->fmt->levels; level >= 1; level--) {
		uint64_t e = pt_read(pt_table(pt, table), pt_index(va, level));

		if (!pt->fmt->present(e))
			return -ENOENT;
		if (pt_is_leaf(pt, e, level)) {
			uint64_t span = pt_span(level);

			if (pa)
				*pa = pt->fmt->addr(e, level) + (va & (span - 1));
			if (flags)
				*flags = pt->fmt->flags(e, level);
			if (page_size)
				*page_size = span;
			return 0;
		}
		table = pt->fmt->addr(e, level);
	}
	return -ENOENT;
}

int pt_walk_tables(const struct pt *pt, uint64_t va, uint64_t *tables, unsigned max)
{
	uint64_t table;
	unsigned level, n = 0;

	if (!pt->fmt || !pt_addr_ok(pt, va))
		return -EINVAL;
	table = pt->root;
	for (level = pt->fmt->levels; level >= 1; level--) {
		uint64_t e = pt_read(pt_table(pt, table), pt_index(va, level));

		if (n < max)
			tables[n++] = table;
		if (!pt->fmt->present(e))
			return -ENOENT;
		if (pt_is_leaf(pt, e, level))
			return (int)n;
		table = pt->fmt->addr(e, level);
	}
	return (int)n;
}

void pt_destroy(struct pt *pt)
{
	if (!pt->fmt)
		return;
	pt_free_tree(pt, pt->root, pt->fmt->levels);
	pt->fmt = NULL;
	pt->root = 0;
}

/* ---- AMD nested page tables ---------------------------------------------- */

/* NPT entries have the host long-mode layout, and the nested walk treats
 * every guest access as a user access, so U/S must be set at every level
 * (AMD APM Vol. 2, 15.25.5). Global has no meaning there. Guest-physical
 * addresses are plain numbers, not sign-extended. */
static uint64_t npt_leaf_entry(uint64_t phys, unsigned level, unsigned flags)
{
	return x86_leaf_entry(phys, level, (flags & ~(unsigned)PT_GLOBAL) | PT_USER);
}

const struct pt_format pt_npt = {
	.name = "AMD NPT 4-level",
	.levels = 4,
	.leaf_levels = PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G,
	.sign_extended = false,
	.table_entry = x86_table_entry,
	.leaf_entry = npt_leaf_entry,
	.present = x86_present,
	.is_leaf = x86_is_leaf,
	.addr = x86_addr,
	.flags = x86_flags,
};

/* ---- Intel EPT ----------------------------------------------------------- */

/* EPT entries (Intel SDM Vol. 3C, 29.3.2): read/write/execute in bits
 * 2:0, the memory type in bits 5:3 of leaves (6 = write-back, 0 =
 * uncacheable), bit 7 for 2 MiB/1 GiB leaves. Write without read is a
 * misconfiguration, so W implies R. */
#define EPT_R   (1ULL << 0)
#define EPT_W   (1ULL << 1)
#define EPT_X   (1ULL << 2)
#define EPT_WB  (6ULL << 3)
#define EPT_PS  (1ULL << 7)

static bool ept_present(uint64_t e)
{
	return e & (EPT_R | EPT_W | EPT_X);
}

static uint64_t ept_table_entry(uint64_t phys)
{
	return (phys & X86_ADDR) | EPT_R | EPT_W | EPT_X;
}

static uint64_t ept_leaf_entry(uint64_t phys, unsigned level, unsigned flags)
{
	uint64_t e = phys & X86_ADDR & ~(x86_span(level) - 1);

	if (level > 1)
		e |= EPT_PS;
	if (flags & (PT_R | PT_W))
		e |= EPT_R;
	if (flags & PT_W)
		e |= EPT_W;
	if (flags & PT_X)
		e |= EPT_X;
	if (!(flags & PT_UC))
		e |= EPT_WB;
	return e;
}

static unsigned ept_flags(uint64_t e, unsigned level)
{
	unsigned f = 0;

	(void)level;
	if (e & EPT_R)
		f |= PT_R;
	if (e & EPT_W)
		f |= PT_W;
	if (e & EPT_X)
		f |= PT_X;
	if (!(e & (7ULL << 3)))
		f |= PT_UC;
	return f;
}

const struct pt_format pt_ept = {
	.name = "Intel EPT 4-level",
	.levels = 4,
	.leaf_levels = PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G,
	.sign_extended = false,
	.table_entry = ept_table_entry,
	.leaf_entry = ept_leaf_entry,
	.present = ept_present,
	/* Bit 7 marks large leaves and bits 51:12 hold the address, as in
	 * host paging: the same decoding serves. */
	.is_leaf = x86_is_leaf,
	.addr = x86_addr,
	.flags = ept_flags,
};
