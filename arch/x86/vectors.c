/* Host interrupt dispatch and the machine's vector table
 * (arch/x86/vectors.h). Handlers may log: interrupts are only ever
 * enabled at explicit points (apic_take_pending, the idle hlt, the
 * guest-entry window), never while a CPU holds the log lock. */
#include "arch/x86/vectors.h"
#include "arch/x86/apic.h"
#include "arch/x86/svm.h"
#include "arch/x86/cpu.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/errno.h"

static struct vectab table;
static struct spinlock lock;	/* alloc, free and fix; dispatch takes none */

void vectors_init(void)
{
	vectab_init(&table);
	vectab_fix(&table, APIC_TIMER_VECTOR, 0, 0, "lapic-timer");
	vectab_fix(&table, APIC_KICK_VECTOR, 0, 0, "kick");
	vectab_fix(&table, APIC_SPURIOUS_VECTOR, 0, 0, "spurious");
}

int vectors_alloc(vectab_fn *fn, void *ctx, const char *name)
{
	int r;

	spin_lock(&lock);
	r = vectab_alloc(&table, fn, ctx, name);
	spin_unlock(&lock);
	return r;
}

int vectors_free(unsigned vector)
{
	int r;

	spin_lock(&lock);
	r = vectab_free(&table, vector);
	spin_unlock(&lock);
	return r;
}

/* The vector the self-test sends to after freeing it: expected to come
 * as unexpected, and said so by the self-test rather than warned about. */
static volatile int selftest_probe = -1;

void vectors_dispatch(unsigned vector, uint64_t rip)
{
	const struct vectab_entry *e;
	vectab_fn *fn;
	bool first;

	/* Before anything reads this_cpu(): the GS base may be a guest's. */
	if (svm_in_switch(rip))
		svm_switch_interrupted(vector, rip);

	/* The spurious vector sets no in-service bit and takes no EOI
	 * (Intel SDM Vol. 3A, 11.9 "Spurious Interrupt"). */
	if (vector == APIC_SPURIOUS_VECTOR) {
		vectab_spurious(&table);
		return;
	}
	e = vectab_hit(&table, vector, &first);
	if (vector == APIC_TIMER_VECTOR || vector == APIC_KICK_VECTOR) {
		apic_irq(vector);	/* its own bookkeeping and the EOI */
		return;
	}
	if (!e) {
		if (first && (int)vector != selftest_probe)
			pr_warn("vectors: unexpected interrupt on vector %#x (no owner): counted, "
				"logged once", vector);
		/* Only an interrupt the LAPIC delivered is in service and
		 * wants an EOI (11.8.4 "Interrupt Acceptance for Fixed
		 * Interrupts", 11.8.5 "Signaling Interrupt Servicing
		 * Completion"). */
		if (apic_in_service(vector))
			apic_eoi();
		return;
	}
	fn = __atomic_load_n(&e->fn, __ATOMIC_ACQUIRE);
	if (fn)
		fn(vector, e->ctx);
	apic_eoi();
}

void vectors_report(struct sink *out)
{
	vectab_report(&table, out);
}

static void selftest_handler(unsigned vector, void *ctx)
{
	(void)vector;
	__atomic_fetch_add((uint64_t *)ctx, 1, __ATOMIC_RELAXED);
}

/* Takes pending interrupts until *count moves from `from` or about
 * 100 ms pass. */
static bool wait_for(const uint64_t *count, uint64_t from, uint64_t tsc_khz)
{
	uint64_t t0 = rdtsc();

	while (__atomic_load_n(count, __ATOMIC_RELAXED) == from && rdtsc() - t0 < 100 * tsc_khz)
		apic_take_pending();
	return __atomic_load_n(count, __ATOMIC_RELAXED) != from;
}

int vectors_selftest(uint64_t tsc_khz)
{
	static uint64_t hits;
	uint64_t before;
	int v = vectors_alloc(selftest_handler, &hits, "selftest");

	if (v < 0)
		return v;
	hits = 0;
	apic_send_self((uint8_t)v);
	if (!wait_for(&hits, 0, tsc_khz)) {
		vectors_free((unsigned)v);
		return -ETIMEDOUT;
	}
	if (vectors_free((unsigned)v))
		return -EIO;
	before = __atomic_load_n(&table.unexpected, __ATOMIC_RELAXED);
	selftest_probe = v;
	apic_send_self((uint8_t)v);
	if (!wait_for(&table.unexpected, before, tsc_khz) || hits != 1) {
		selftest_probe = -1;
		return -EIO;
	}
	selftest_probe = -1;
	/* A real stray interrupt on this vector later is still warned about. */
	__atomic_fetch_and(&table.unexpected_seen[v / 8], (uint8_t)~(1u << (v % 8)), __ATOMIC_RELAXED);
	pr_info("selftest: vector %#x: a self-IPI ran its handler; freed, the next came as "
		"unexpected", v);
	return 0;
}
