/* Host IDT vector bookkeeping (arch/x86/vectab.h). Pure. Callers
 * serialise alloc, fix and free; vectab_hit may run beside them on
 * another CPU and only reads the entry and bumps counters atomically. */
#include "arch/x86/vectab.h"
#include "lib/errno.h"

#define EXCEPTIONS 32

static void name_copy(char *dst, const char *src)
{
	unsigned i = 0;

	for (; src && src[i] && i < VECTAB_NAME_MAX - 1; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

void vectab_init(struct vectab *t)
{
	for (unsigned v = 0; v < 256; v++)
		t->e[v] = (struct vectab_entry){ 0 };
	t->spurious = 0;
	t->unexpected = 0;
	for (unsigned i = 0; i < sizeof(t->unexpected_seen); i++)
		t->unexpected_seen[i] = 0;
}

static void entry_set(struct vectab_entry *e, enum vectab_state s, vectab_fn *fn, void *ctx,
		      const char *name)
{
	e->count = 0;
	e->ctx = ctx;
	name_copy(e->name, name);
	__atomic_store_n(&e->fn, fn, __ATOMIC_RELEASE);
	__atomic_store_n(&e->state, (uint8_t)s, __ATOMIC_RELEASE);
}

int vectab_fix(struct vectab *t, unsigned vector, vectab_fn *fn, void *ctx, const char *name)
{
	if (vector < EXCEPTIONS || vector > 255)
		return -EINVAL;
	if (t->e[vector].state != VECTAB_UNUSED)
		return -EBUSY;
	entry_set(&t->e[vector], VECTAB_FIXED, fn, ctx, name);
	return 0;
}

int vectab_alloc(struct vectab *t, vectab_fn *fn, void *ctx, const char *name)
{
	if (!fn)
		return -EINVAL;
	for (unsigned v = VECTAB_FIRST; v <= VECTAB_LAST; v++)
		if (t->e[v].state == VECTAB_UNUSED) {
			entry_set(&t->e[v], VECTAB_ALLOCATED, fn, ctx, name);
			return (int)v;
		}
	return -ENOSPC;
}

int vectab_free(struct vectab *t, unsigned vector)
{
	struct vectab_entry *e;

	if (vector > 255 || t->e[vector].state != VECTAB_ALLOCATED)
		return -EINVAL;
	e = &t->e[vector];
	__atomic_store_n(&e->state, (uint8_t)VECTAB_UNUSED, __ATOMIC_RELEASE);
	__atomic_store_n(&e->fn, (vectab_fn *)0, __ATOMIC_RELEASE);
	return 0;
}

const struct vectab_entry *vectab_get(const struct vectab *t, unsigned vector)
{
	if (vector > 255 || t->e[vector].state == VECTAB_UNUSED)
		return 0;
	return &t->e[vector];
}

const struct vectab_entry *vectab_hit(struct vectab *t, unsigned vector, bool *first)
{
	struct vectab_entry *e;
	uint8_t bit;

	*first = false;
	if (vector > 255)
		return 0;
	e = &t->e[vector];
	if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != VECTAB_UNUSED) {
		__atomic_fetch_add(&e->count, 1, __ATOMIC_RELAXED);
		return e;
	}
	__atomic_fetch_add(&t->unexpected, 1, __ATOMIC_RELAXED);
	bit = (uint8_t)(1u << (vector % 8));
	*first = !(__atomic_fetch_or(&t->unexpected_seen[vector / 8], bit, __ATOMIC_RELAXED) & bit);
	return 0;
}

void vectab_spurious(struct vectab *t)
{
	__atomic_fetch_add(&t->spurious, 1, __ATOMIC_RELAXED);
}

void vectab_report(const struct vectab *t, struct sink *out)
{
	unsigned used = 0, n = 0;

	for (unsigned v = VECTAB_FIRST; v <= VECTAB_LAST; v++)
		used += t->e[v].state != VECTAB_UNUSED;
	sink_printf(out, "vectors: %#x-%#x for drivers, %u in use, %u free; spurious %llu, "
		    "unexpected %llu\n", VECTAB_FIRST, VECTAB_LAST, used,
		    VECTAB_LAST - VECTAB_FIRST + 1 - used, (unsigned long long)t->spurious,
		    (unsigned long long)t->unexpected);
	for (unsigned v = 0; v < 256; v++) {
		const struct vectab_entry *e = &t->e[v];

		if (e->state == VECTAB_UNUSED)
			continue;
		sink_printf(out, "vectors: %#04x %-16s %-9s %llu\n", v, e->name,
			    e->state == VECTAB_FIXED ? "fixed" : "allocated",
			    (unsigned long long)e->count);
	}
	for (unsigned v = 0; v < 256; v++)
		if (t->unexpected_seen[v / 8] & (1u << (v % 8)))
			sink_printf(out, "%s %#04x", n++ ? "" : "vectors: came unexpected:", v);
	if (n)
		sink_write(out, "\n", 1);
}
