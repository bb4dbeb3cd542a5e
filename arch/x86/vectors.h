/* Host interrupt vectors: every IDT vector from 0x20 up reaches
 * vectors_dispatch, which runs the handler a driver or the VMM allocated
 * for it and sends the EOI. The LAPIC timer, the kick IPI and the
 * spurious vector are the hypervisor's own; any other vector that
 * arrives without an owner is counted and logged once, never fatal.
 * The table is global (the IDT is shared by every CPU); a handler runs
 * on whichever CPU the interrupt was sent to. */
#ifndef VATRA_ARCH_X86_VECTORS_H
#define VATRA_ARCH_X86_VECTORS_H

#include <stdint.h>
#include "arch/x86/vectab.h"
#include "lib/sink.h"

/* Sets up the table with the fixed vectors (before interrupts can come:
 * desc_init points every gate from 0x20 at the dispatcher). */
void vectors_init(void);
/* A vector for fn(vector, ctx): the vector, or -ENOSPC / -EINVAL. The
 * source must be quiet (masked) before vectors_free. */
int vectors_alloc(vectab_fn *fn, void *ctx, const char *name);
int vectors_free(unsigned vector);
/* Called from the interrupt stubs (entry.asm) with interrupts off, with
 * the RIP the interrupt came at. */
void vectors_dispatch(unsigned vector, uint64_t rip);
void vectors_report(struct sink *out);
/* Allocates a vector, sends this CPU a self-IPI on it and waits for the
 * handler; frees it and sends one more, which must come as unexpected.
 * 0, or -ETIMEDOUT / -EIO / the allocation's error. Needs the LAPIC. */
int vectors_selftest(uint64_t tsc_khz);

#endif
