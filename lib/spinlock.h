/* Test-and-test-and-set spinlock. Hypervisor code runs with interrupts
 * off, and the only interrupt handlers (LAPIC timer, kick, spurious) take
 * no lock, so no lock needs to disable interrupts. Lock order, outermost
 * first: partition lock, console lock, log lock, memory lock. */
#ifndef VATRA_LIB_SPINLOCK_H
#define VATRA_LIB_SPINLOCK_H

#include <stdint.h>
#include <stdbool.h>

struct spinlock {
	volatile uint32_t held;
};

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

#endif
