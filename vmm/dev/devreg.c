/* The partition PC's address decoder. See vmm/dev/devreg.h. */
#include "vmm/dev/devreg.h"
#include "vmm/dev/devenv.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

/* Port addresses are 16 bits (SDM Vol. 1, 18.3); MMIO ranges live in a
 * 52-bit guest-physical space (SDM Vol. 3A, 4.1.4: MAXPHYADDR <= 52). */
static const uint64_t devreg_limit[DEVREG_NSPACES] = { 0x10000, 1ULL << 52 };

void devreg_init(struct devreg *r)
{
	memset(r, 0, sizeof(*r));
}

static bool devreg_fits(enum devreg_space s, uint64_t base, uint64_t len)
{
	return s < DEVREG_NSPACES && len && base < devreg_limit[s] &&
	       len <= devreg_limit[s] - base;
}

/* Whether [base, base+len) overlaps a used range other than skip. */
static bool devreg_overlaps(const struct devreg *r, enum devreg_space s, uint64_t base,
			    uint64_t len, int skip)
{
	for (int i = 0; i < DEVREG_MAX_RANGES; i++) {
		const struct devreg_range *g = &r->ranges[s][i];

		if (i != skip && g->used && base < g->base + g->len && g->base < base + len)
			return true;
	}
	return false;
}

bool devreg_busy(const struct devreg *r, enum devreg_space s, uint64_t base, uint64_t len)
{
	return s < DEVREG_NSPACES && devreg_overlaps(r, s, base, len, -1);
}

/* Puts the used slots of space s in order of their base (insertion
 * sort: at most DEVREG_MAX_RANGES of them, and only when one changes). */
static void devreg_sort(struct devreg *r, enum devreg_space s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < DEVREG_MAX_RANGES; i++) {
		unsigned j = n;

		if (!r->ranges[s][i].used)
			continue;
		while (j && r->ranges[s][r->order[s][j - 1]].base > r->ranges[s][i].base) {
			r->order[s][j] = r->order[s][j - 1];
			j--;
		}
		r->order[s][j] = (uint8_t)i;
		n++;
	}
	for (unsigned j = 0; j < n; j++)
		r->order_base[s][j] = r->ranges[s][r->order[s][j]].base;
	r->nused[s] = n;
}

/* Around every change of the ranges (vmm/dev/devreg.h): odd while it
 * lasts, and what it wrote is in memory before the count is even again. */
static void devreg_change_begin(struct devreg *r)
{
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void devreg_change_end(struct devreg *r)
{
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELEASE);
}

int devreg_add(struct devreg *r, enum devreg_space s, uint64_t base, uint64_t len,
	       devreg_fn fn, void *ctx)
{
	if (!devreg_fits(s, base, len) || !fn)
		return -EINVAL;
	if (devreg_overlaps(r, s, base, len, -1))
		return -EBUSY;
	for (int i = 0; i < DEVREG_MAX_RANGES; i++) {
		struct devreg_range *g = &r->ranges[s][i];

		if (g->used)
			continue;
		devreg_change_begin(r);
		*g = (struct devreg_range){ true, base, len, fn, ctx };
		devreg_sort(r, s);
		devreg_change_end(r);
		return i;
	}
	return -ENOSPC;
}

static struct devreg_range *devreg_get(struct devreg *r, enum devreg_space s, int handle)
{
	if (s >= DEVREG_NSPACES || handle < 0 || handle >= DEVREG_MAX_RANGES ||
	    !r->ranges[s][handle].used)
		return NULL;
	return &r->ranges[s][handle];
}

int devreg_move(struct devreg *r, enum devreg_space s, int handle, uint64_t new_base)
{
	struct devreg_range *g = devreg_get(r, s, handle);

	if (!g)
		return -ENOENT;
	if (!devreg_fits(s, new_base, g->len))
		return -EINVAL;
	if (devreg_overlaps(r, s, new_base, g->len, handle))
		return -EBUSY;
	devreg_change_begin(r);
	g->base = new_base;
	devreg_sort(r, s);
	devreg_change_end(r);
	return 0;
}

void devreg_del(struct devreg *r, enum devreg_space s, int handle)
{
	struct devreg_range *g = devreg_get(r, s, handle);

	if (!g)
		return;
	devreg_change_begin(r);
	*g = (struct devreg_range){ 0 };
	devreg_sort(r, s);
	devreg_change_end(r);
}

/* Whether an access of size at addr lies in g (a port access needs
 * only its first port there). */
static bool devreg_holds(const struct devreg_range *g, enum devreg_space s, uint64_t addr,
			 unsigned size)
{
	return g->used && addr - g->base < g->len &&
	       (s != DEVREG_MMIO || size <= g->len - (addr - g->base));
}

static inline uint64_t devreg_miss_key(uint32_t seq, uint64_t port)
{
	return (uint64_t)seq << 32 | port << 1 | 1;
}

EXIT_PATH const struct devreg_range *devreg_find(struct devreg *r, enum devreg_space s,
				       uint64_t addr, unsigned size)
{
	const struct devreg_range *g;
	unsigned lo = 0, hi;
	uint64_t miss = 0;

	if (s >= DEVREG_NSPACES || !size)
		return NULL;
	lo = r->hint[s];
	if (lo && lo <= DEVREG_MAX_RANGES && devreg_holds(g = &r->ranges[s][lo - 1], s, addr, size))
		return g;
	if (s == DEVREG_PIO) {
		miss = devreg_miss_key(__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE), addr);
		if (__atomic_load_n(&r->pio_miss, __ATOMIC_RELAXED) == miss)
			return NULL;
	}
	lo = 0;
	/* lo: how many ranges start at or below addr. */
	hi = r->nused[s];
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (r->order_base[s][mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	g = lo ? &r->ranges[s][r->order[s][lo - 1]] : NULL;
	if (!g || !devreg_holds(g, s, addr, size)) {
		if (miss)
			__atomic_store_n(&r->pio_miss, miss, __ATOMIC_RELAXED);
		return NULL;
	}
	r->hint[s] = (uint8_t)(r->order[s][lo - 1] + 1);
	return g;
}

EXIT_PATH bool devreg_pio_unclaimed(struct devreg *r, uint16_t port)
{
	uint32_t seq = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
	bool none;

	if (seq & 1)
		return false;
	/* A lookup of a state that held still from the count's first read
	 * to its second; devreg_find reads only bounded indices, so one
	 * that races a change reads stale slots, never outside them. */
	none = devreg_find(r, DEVREG_PIO, port, 1) == NULL;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return none && __atomic_load_n(&r->seq, __ATOMIC_RELAXED) == seq;
}

EXIT_PATH int devreg_access(struct devreg *r, enum devreg_space s, void *who, uint64_t addr,
		  unsigned size, bool write, uint64_t *val)
{
	const struct devreg_range *g = devreg_find(r, s, addr, size);

	if (!g)
		return -ENOENT;
	return g->fn(g->ctx, who, addr, addr - g->base, size, write, val);
}

int devreg_timer_add(struct devreg *r, devreg_tick_fn tick, void *ctx)
{
	if (r->ntimers >= DEVREG_MAX_TIMERS)
		return -ENOSPC;
	r->timers[r->ntimers++] = (struct devreg_timer){ tick, ctx };
	return 0;
}

uint64_t devreg_tick(struct devreg *r, uint64_t now)
{
	uint64_t next = DEV_NO_DEADLINE;

	for (unsigned i = 0; i < r->ntimers; i++) {
		uint64_t d = r->timers[i].tick(r->timers[i].ctx, now);

		next = d < next ? d : next;
	}
	return next;
}
