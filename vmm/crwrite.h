/* Guest writes to CR0 and CR4 that the hardware hands over without
 * decoding them (AMD-V without decode assists): which instruction it
 * was and what it writes. The rules for the value are vmm/crvalid.c. */
#ifndef VATRA_VMM_CRWRITE_H
#define VATRA_VMM_CRWRITE_H

#include <stdint.h>
#include "vmm/partition.h"
#include "vmm/vmm_ops.h"
#include "vmm/crvalid.h"

struct cr_write {
	unsigned cr;            /* the control register written */
	uint64_t val;           /* its new value, before the checks */
	unsigned len;           /* instruction length: RIP += len when done */
};

/* Decodes the instruction at the guest's CS:RIP: MOV to CRn, LMSW (the
 * result merged into c->cr0 as LMSW does: PE can be set, not cleared)
 * or CLTS. 0, -EINVAL when the bytes are none of these (or cannot be
 * read), or -EFAULT when reading LMSW's memory operand faulted: the
 * guest has been given that #PF or #GP (or is to run it again). */
int crwrite_decode(struct vcpu *v, const struct guest_ctl *c, struct cr_write *w);

/* The guest's control registers as crvalid_* takes them (from
 * vmm->get_ctl, CS.L from the mode), and the bits its CPUID allows. */
void crwrite_state(struct vcpu *v, const struct guest_ctl *c, struct cr_state *s,
		   struct cr_allowed *a);

#endif
