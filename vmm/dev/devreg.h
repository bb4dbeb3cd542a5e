/* The partition PC's address decoder: device models register the port
 * ranges and MMIO ranges they decode (at setup, or at run time as a guest
 * programs a BAR) and the timers they keep; the platform dispatches every
 * port or MMIO access and every timer update through it. Like a bus with
 * one target per address, overlapping ranges are refused. An address no
 * range covers is "nothing here" (-ENOENT) for the caller to handle.
 *
 * Pure code, no locking: the caller serializes changes and dispatches
 * per partition. devreg_pio_unclaimed alone may run beside them: the
 * changes bump a sequence count around themselves, and it answers only
 * from a state that held still while it looked. */
#ifndef VATRA_VMM_DEV_DEVREG_H
#define VATRA_VMM_DEV_DEVREG_H

#include <stdint.h>
#include <stdbool.h>

#define DEVREG_MAX_RANGES 48
#define DEVREG_MAX_TIMERS 16

enum devreg_space { DEVREG_PIO, DEVREG_MMIO, DEVREG_NSPACES };

/*
 * One access. addr is the address the guest used, off its offset from the
 * range's base, size 1, 2, 4 or 8 bytes; a read fills *val (zero-extended
 * to size), a write finds the value there. who is what the caller gave
 * devreg_access (the vCPU). 0, or a negative errno for the caller to act on.
 */
typedef int (*devreg_fn)(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
			 bool write, uint64_t *val);
/* Fires what is due at guest time now (ns) and returns the next deadline
 * (DEV_NO_DEADLINE for none). */
typedef uint64_t (*devreg_tick_fn)(void *ctx, uint64_t now);

struct devreg_range {
	bool used;
	uint64_t base, len;
	devreg_fn fn;
	void *ctx;
};

struct devreg_timer {
	devreg_tick_fn tick;
	void *ctx;
};

struct devreg {
	struct devreg_range ranges[DEVREG_NSPACES][DEVREG_MAX_RANGES];
	/* The used slots of each space by base address, ascending: a
	 * lookup, which every port or MMIO exit makes, is a binary search
	 * (ranges never overlap, so only the last one starting at or below
	 * an address can hold it). Rebuilt by every add, move and delete. */
	uint8_t order[DEVREG_NSPACES][DEVREG_MAX_RANGES];
	uint64_t order_base[DEVREG_NSPACES][DEVREG_MAX_RANGES];   /* their bases */
	unsigned nused[DEVREG_NSPACES];
	/* 1 + the slot of each space's last hit, tried first (a guest
	 * polls the same register over and over); written by lookups,
	 * checked against the slot before use, so any value is safe. */
	uint8_t hint[DEVREG_NSPACES];
	/* Odd while an add, move or delete changes the ranges, one more at
	 * its start and its end. */
	uint32_t seq;
	/* The last port lookup that found nothing, as seq << 32 | port << 1
	 * | 1 (a guest writes the same unclaimed port over and over: port
	 * 0x80 for an I/O delay). Written by lookups; it counts only with
	 * the current seq, so any value is safe. */
	uint64_t pio_miss;
	struct devreg_timer timers[DEVREG_MAX_TIMERS];
	unsigned ntimers;
};

void devreg_init(struct devreg *r);

/* Registers [base, base+len) in space: the handle (>= 0), -EINVAL for an
 * empty range or one past the space's end (ports end at 0x10000),
 * -EBUSY when it overlaps a registered range, -ENOSPC when full. */
int devreg_add(struct devreg *r, enum devreg_space s, uint64_t base, uint64_t len,
	       devreg_fn fn, void *ctx);
/* Moves a registered range to new_base (as a guest moves a BAR); on
 * -EBUSY/-EINVAL it stays where it was. -ENOENT for a bad handle. */
int devreg_move(struct devreg *r, enum devreg_space s, int handle, uint64_t new_base);
/* Unregisters it; its addresses decode to nothing again. */
void devreg_del(struct devreg *r, enum devreg_space s, int handle);
/* Whether any registered range of space overlaps [base, base+len). */
bool devreg_busy(const struct devreg *r, enum devreg_space s, uint64_t base, uint64_t len);
/* The range an access of size bytes at addr falls in, or NULL. A port
 * access is decoded by its first port (wider accesses reach the next
 * registers of the same device, as on the ISA bus); an MMIO access must
 * lie wholly inside one range. */
const struct devreg_range *devreg_find(struct devreg *r, enum devreg_space s,
				       uint64_t addr, unsigned size);
/* Whether no range holds port, known without the caller's lock: false
 * also when the ranges changed while it looked (ask again, locked). */
bool devreg_pio_unclaimed(struct devreg *r, uint16_t port);
/* Dispatches one access: the handler's result, or -ENOENT when no range
 * decodes it. */
int devreg_access(struct devreg *r, enum devreg_space s, void *who, uint64_t addr,
		  unsigned size, bool write, uint64_t *val);

/* Timers: -ENOSPC when full. devreg_tick runs every timer and returns
 * the earliest deadline. */
int devreg_timer_add(struct devreg *r, devreg_tick_fn tick, void *ctx);
uint64_t devreg_tick(struct devreg *r, uint64_t now);

#endif
