/* The bookkeeping of the host's IDT vectors: which vector belongs to
 * whom (the hypervisor's fixed ones, and those handed out to drivers and
 * the VMM), a handler and its context for each, and counts of what
 * arrived. Pure: arch/x86/vectors.c owns the one table of the machine
 * and dispatches interrupts through it.
 *
 * Vectors 0-31 are exceptions (Intel SDM Vol. 3A, 6.3.1); a fixed
 * interrupt below 16 is illegal (10.5.2). Drivers get VECTAB_FIRST to
 * VECTAB_LAST; the priority class 0xf0-0xff stays the hypervisor's (the
 * kick IPI, the spurious vector), and 0x20-0x2f holds the LAPIC timer. */
#ifndef VATRA_ARCH_X86_VECTAB_H
#define VATRA_ARCH_X86_VECTAB_H

#include <stdint.h>
#include <stdbool.h>
#include "lib/sink.h"

#define VECTAB_FIRST 0x30
#define VECTAB_LAST 0xef
#define VECTAB_NAME_MAX 16

/* Runs in interrupt context with interrupts off, on the CPU that took
 * it; the EOI is sent after it returns. */
typedef void vectab_fn(unsigned vector, void *ctx);

enum vectab_state { VECTAB_UNUSED, VECTAB_FIXED, VECTAB_ALLOCATED };

struct vectab_entry {
	vectab_fn *fn;
	void *ctx;
	uint8_t state;		/* enum vectab_state */
	char name[VECTAB_NAME_MAX];
	uint64_t count;		/* deliveries since it was set up */
};

struct vectab {
	struct vectab_entry e[256];
	uint64_t spurious;
	uint64_t unexpected;		/* every vector with no owner */
	uint8_t unexpected_seen[256 / 8];
};

/* Clears the table: every vector unused. */
void vectab_init(struct vectab *t);
/* A vector the hypervisor uses itself (fn may be NULL when the
 * dispatcher handles it). 0, -EINVAL (an exception vector) or -EBUSY. */
int vectab_fix(struct vectab *t, unsigned vector, vectab_fn *fn, void *ctx, const char *name);
/* The lowest free vector of VECTAB_FIRST..VECTAB_LAST, now fn's; returns
 * it, or -EINVAL (no fn), -ENOSPC (all taken). */
int vectab_alloc(struct vectab *t, vectab_fn *fn, void *ctx, const char *name);
/* 0, or -EINVAL for a vector that was not allocated (fixed ones stay). */
int vectab_free(struct vectab *t, unsigned vector);
/* The entry of a vector in use, or NULL. */
const struct vectab_entry *vectab_get(const struct vectab *t, unsigned vector);

/* Counts a delivery to the owner of vector and returns its entry; for a
 * vector with no owner counts it as unexpected and returns NULL, with
 * *first set when this vector was never unexpected before (log it once). */
const struct vectab_entry *vectab_hit(struct vectab *t, unsigned vector, bool *first);
void vectab_spurious(struct vectab *t);

/* "vectors: ..." lines: the range, every vector in use with its count,
 * spurious and unexpected totals and which vectors came unexpected. */
void vectab_report(const struct vectab *t, struct sink *out);

#endif
