/* Test-and-test-and-set spinlock. Hypervisor code runs with interrupts
 * off; they are enabled only at explicit points (apic_take_pending, the
 * idle hlt, the guest-entry window), never inside the log code, so no
 * lock needs to disable interrupts. Interrupt handlers (arch/x86/vectors.c)
 * take at most the log lock. Lock order, outermost first: partition lock,
 * a vCPU's LAPIC lock, console lock, log lock, syslog queue lock
 * (net/syslog.c), memory lock. */
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
