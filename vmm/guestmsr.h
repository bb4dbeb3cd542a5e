/* The architectural rules for the MSR values a guest writes into state
 * the vendor keeps (PAT, EFER): the same on AMD-V and VT-x, checked
 * before the vendor is called. Pure code. */
#ifndef VATRA_VMM_GUESTMSR_H
#define VATRA_VMM_GUESTMSR_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/vmm.h"

/* Each PAT entry a memory type 0, 1, 4, 5, 6 or 7; 2, 3 and 8-255 are
 * reserved and #GP (SDM Vol. 3A, 13.12.2). */
bool guestmsr_pat_valid(uint64_t pat);
/* The EFER bits a guest of that CPU vendor may set: SCE, LME, LMA (kept
 * as the CPU has it), NXE, and on AMD CPUs FFXSR; SVME and the rest #GP
 * (SDM Vol. 3A, 2.2.1; AMD APM Vol. 2, 3.1.7). */
bool guestmsr_efer_valid(uint64_t efer, enum cpu_vendor v);

#endif
