/* Ticket spinlock: CPUs get the lock in the order they asked for it, so
 * a CPU that drops a lock and takes it again at once (a vCPU's CPU
 * between two exits) cannot starve another waiting for it (the shell
 * stopping that partition). Hypervisor code runs with interrupts
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

/* Zero is unlocked. owner: the ticket being served; next: the next one
 * handed out; both wrap. */
struct spinlock {
	union {
		volatile uint32_t word;
		struct {
			volatile uint16_t owner;
			volatile uint16_t next;
		} t;
	};
};

/* Only when nobody holds or waits for it. */
static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);

	if ((uint16_t)v != (uint16_t)(v >> 16))
		return false;
	return __atomic_compare_exchange_n(&l->word, &v, v + (1u << 16), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_lock(struct spinlock *l)
{
	uint16_t me = (uint16_t)(__atomic_fetch_add(&l->word, 1u << 16, __ATOMIC_ACQUIRE) >> 16);

	while (__atomic_load_n(&l->t.owner, __ATOMIC_ACQUIRE) != me)
		__builtin_ia32_pause();
}

/* Only the holder writes owner. */
static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->t.owner, (uint16_t)(l->t.owner + 1), __ATOMIC_RELEASE);
}

#endif
