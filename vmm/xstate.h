/* The guest's XSAVE feature set, as pure policy: which state components
 * (XCR0 bits) a guest may enable, whether an XSETBV value is one the CPU
 * would accept, and the CPUID bits and leaf 0xD that follow from them.
 * Intel SDM Vol. 1, chapter 13 (XSAVE-managed state); AMD APM Vol. 2,
 * 11.5 (XSAVE/XRSTOR). No hardware access: host-unit-tested. */
#ifndef VATRA_VMM_XSTATE_H
#define VATRA_VMM_XSTATE_H

#include <stdint.h>
#include <stdbool.h>

#define XFEATURE_X87       (1ULL << 0)
#define XFEATURE_SSE       (1ULL << 1)
#define XFEATURE_YMM       (1ULL << 2)   /* AVX: upper halves of YMM0-15 */
#define XFEATURE_BNDREGS   (1ULL << 3)   /* MPX */
#define XFEATURE_BNDCSR    (1ULL << 4)
#define XFEATURE_OPMASK    (1ULL << 5)   /* AVX-512: k0-k7 */
#define XFEATURE_ZMM_HI256 (1ULL << 6)   /* AVX-512: upper halves of ZMM0-15 */
#define XFEATURE_HI16_ZMM  (1ULL << 7)   /* AVX-512: ZMM16-31 */
#define XFEATURE_PKRU      (1ULL << 9)
#define XFEATURE_AVX512    (XFEATURE_OPMASK | XFEATURE_ZMM_HI256 | XFEATURE_HI16_ZMM)

/* The legacy area and the XSAVE header: the fixed start of every area. */
#define XSAVE_LEGACY_SIZE  512
#define XSAVE_HEADER_SIZE  64
#define XSAVE_MIN_SIZE     (XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE)

/* Where the host's CPU puts each component (CPUID.(EAX=0DH,ECX=i)). */
struct xstate_layout {
	uint64_t supported;          /* CPUID.(0DH,0):EDX:EAX, user components */
	uint32_t ext_features;       /* CPUID.(0DH,1):EAX: XSAVEOPT, XSAVEC, ... */
	uint32_t size[64], offset[64];
	bool align64[64];            /* CPUID.(0DH,i):ECX[1] */
};

/* What guests may enable, from what the host supports: x87, SSE, AVX
 * and the three AVX-512 components (all or none, and only with AVX),
 * PKRU when pkru is true; never MPX, AMX or supervisor state. x87 and
 * SSE must be there for anything to be offered (0 otherwise). */
uint64_t xstate_guest_mask(uint64_t host_supported, bool pkru);

/* XSETBV's operand checks (SDM Vol. 2C, XSETBV; Vol. 1, 13.3): 0 when
 * XCR[index] = val would be accepted, -EINVAL for #GP(0). allowed is
 * the guest's mask. */
int xstate_xsetbv_check(uint64_t allowed, uint32_t index, uint64_t val);

/* Size of an area holding the components in xcr0: standard format
 * (CPUID.(0DH,0):EBX/ECX), or compacted (CPUID.(0DH,1):EBX). */
uint32_t xstate_size(const struct xstate_layout *l, uint64_t xcr0, bool compacted);

/* The guest's CPUID leaf 0xD subleaf sub, given the guest's mask and its
 * current XCR0. r holds EAX, EBX, ECX, EDX. */
void xstate_leaf_d(const struct xstate_layout *l, uint64_t mask, uint64_t xcr0, uint32_t sub,
		   uint32_t r[4]);

/* Clears the feature bits of leaf (1, 7 and its subleaf 1, 0x80000001)
 * whose instructions need a state component missing from mask. r holds
 * EAX, EBX, ECX, EDX as the host gave them. */
void xstate_filter_features(uint64_t mask, uint32_t leaf, uint32_t sub, uint32_t r[4]);

#endif
