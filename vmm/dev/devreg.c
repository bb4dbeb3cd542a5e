/* The partition PC's address decoder. See vmm/dev/devreg.h. */
#include "vmm/dev/devreg.h"
#include "vmm/dev/devenv.h"
#include "lib/string.h"
#include "lib/errno.h"

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
		*g = (struct devreg_range){ true, base, len, fn, ctx };
		if ((unsigned)i >= r->top[s])
			r->top[s] = (unsigned)i + 1;
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
	g->base = new_base;
	return 0;
}

void devreg_del(struct devreg *r, enum devreg_space s, int handle)
{
	struct devreg_range *g = devreg_get(r, s, handle);

	if (!g)
		return;
	*g = (struct devreg_range){ 0 };
	while (r->top[s] && !r->ranges[s][r->top[s] - 1].used)
		r->top[s]--;
}

const struct devreg_range *devreg_find(const struct devreg *r, enum devreg_space s,
				       uint64_t addr, unsigned size)
{
	if (s >= DEVREG_NSPACES || !size)
		return NULL;
	/* An unused slot has len 0, and addr below base wraps past len. */
	for (unsigned i = 0; i < r->top[s]; i++) {
		const struct devreg_range *g = &r->ranges[s][i];

		if (addr - g->base >= g->len)
			continue;
		if (s == DEVREG_MMIO && size > g->len - (addr - g->base))
			return NULL;
		return g;
	}
	return NULL;
}

int devreg_access(const struct devreg *r, enum devreg_space s, void *who, uint64_t addr,
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
