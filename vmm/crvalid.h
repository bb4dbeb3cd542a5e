/* The architectural rules for a guest's writes to CR0, CR4 and EFER:
 * which values raise #GP(0) and what a legal write leaves in the
 * register. Pure: both vendors call it from their write paths, and the
 * bits a guest may set come from what its CPUID shows (vmm/cpuid.c). */
#ifndef VATRA_VMM_CRVALID_H
#define VATRA_VMM_CRVALID_H

#include <stdint.h>
#include <stdbool.h>

/* The guest's control state before the write, as the guest sees it. */
struct cr_state {
	uint64_t cr0, cr3, cr4, efer;
	bool cs_l;              /* CS.L: in 64-bit mode (with EFER.LMA) */
};

/* What the guest's CPUID offers, as the masks the writes are checked
 * against (crvalid_allowed builds them). */
struct cr_allowed {
	uint64_t cr4;           /* CR4 bits the guest may set */
	uint64_t efer;          /* EFER bits the guest may set (LMA included) */
};

/* The CPUID bits that decide the masks: leaf 1 ECX/EDX, leaf 7.0
 * EBX/ECX/EDX, leaf 0x80000001 ECX/EDX as the guest reads them. */
struct cr_cpuid {
	uint32_t l1c, l1d, l7b, l7c, l7d, e1c, e1d;
};

void crvalid_allowed(const struct cr_cpuid *id, struct cr_allowed *out);

/* Each returns 0 and the value to load in *out (reserved low CR0 bits
 * dropped, ET set, LMA following LME and PG), or -EINVAL when the
 * write raises #GP(0) (Intel SDM Vol. 2B, MOV—Move to/from Control
 * Registers; Vol. 3A, 2.5 and 4.1.2; AMD APM Vol. 2, 3.1). For CR0 and
 * EFER, *out carries EFER.LMA's new value in crvalid_cr0's efer_out. */
int crvalid_cr0(const struct cr_state *s, uint64_t val, uint64_t *out, uint64_t *efer_out);
int crvalid_cr4(const struct cr_state *s, const struct cr_allowed *a, uint64_t val,
		uint64_t *out);
int crvalid_efer(const struct cr_state *s, const struct cr_allowed *a, uint64_t val,
		 uint64_t *out);

#endif
