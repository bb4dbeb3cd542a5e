/* The guest's FPU, SSE and XSAVE-managed state (AVX, AVX-512): what
 * guests may enable in XCR0, their XSETBV exits, and moving a vCPU's
 * state in and out of the registers around its slices. The policy is
 * vmm/xstate.c; this is its use on the machine. */
#ifndef VATRA_VMM_FPU_H
#define VATRA_VMM_FPU_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/exit.h"
#include "vmm/xstate.h"

struct vcpu;
struct cpu;

/* The largest area a vCPU keeps (struct vcpu's fpu[]): components that
 * would not fit are not offered. */
#define FPU_AREA_MAX 4096

/* Probes the host's XSAVE support once, before any partition starts,
 * and reports what guests get. */
void fpu_init(void);

/* The guest-visible state components (0 when the host has no XSAVE). */
uint64_t fpu_guest_mask(void);
const struct xstate_layout *fpu_layout(void);

/* A vCPU at power-up: XCR0 = 1, everything in its initial state. */
void fpu_vcpu_reset(struct vcpu *v);

/* Puts v's state in this CPU's registers (unless they still hold it)
 * before a slice, and saves it after. */
void fpu_load(struct cpu *c, struct vcpu *v);
void fpu_save(struct vcpu *v);

/* v's XCR0 while it is in a slice on this CPU (during its exits). */
uint64_t fpu_guest_xcr0(struct vcpu *v);

/* v's PKRU while it is in a slice on this CPU (0, its reset value,
 * when protection keys are not offered). */
uint32_t fpu_guest_pkru(struct vcpu *v);

int xsetbv_exit(struct vcpu *v, const struct vm_exit *e);

#endif
