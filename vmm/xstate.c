/* The guest's XSAVE feature set (vmm/xstate.h). */
#include "vmm/xstate.h"
#include "lib/errno.h"

uint64_t xstate_guest_mask(uint64_t host, bool pkru)
{
	uint64_t m = host & (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_YMM | XFEATURE_AVX512);

	if ((m & (XFEATURE_X87 | XFEATURE_SSE)) != (XFEATURE_X87 | XFEATURE_SSE))
		return 0;
	/* AVX-512 state comes in one piece, on top of AVX's (Vol. 1, 13.3). */
	if (!(m & XFEATURE_YMM) || (m & XFEATURE_AVX512) != XFEATURE_AVX512)
		m &= ~XFEATURE_AVX512;
	if (pkru && (host & XFEATURE_PKRU))
		m |= XFEATURE_PKRU;
	return m;
}

int xstate_xsetbv_check(uint64_t allowed, uint32_t index, uint64_t val)
{
	/* Only XCR0 exists; x87 state cannot be disabled; nothing the
	 * processor (here: the guest's processor) does not support; AVX
	 * needs SSE; AVX-512's three bits together and with AVX; the two
	 * MPX bits together (SDM Vol. 2C, XSETBV, "Protected Mode
	 * Exceptions"; Vol. 1, 13.3). */
	if (index != 0)
		return -EINVAL;
	if (!(val & XFEATURE_X87) || (val & ~allowed))
		return -EINVAL;
	if ((val & XFEATURE_YMM) && !(val & XFEATURE_SSE))
		return -EINVAL;
	if (val & XFEATURE_AVX512) {
		if ((val & XFEATURE_AVX512) != XFEATURE_AVX512 || !(val & XFEATURE_YMM))
			return -EINVAL;
	}
	if (!(val & XFEATURE_BNDREGS) != !(val & XFEATURE_BNDCSR))
		return -EINVAL;
	return 0;
}

uint32_t xstate_size(const struct xstate_layout *l, uint64_t xcr0, bool compacted)
{
	uint32_t size = XSAVE_MIN_SIZE;

	for (unsigned i = 2; i < 64; i++) {
		if (!(xcr0 & (1ULL << i)) || !l->size[i])
			continue;
		if (compacted) {
			if (l->align64[i])
				size = (size + 63) & ~63u;
			size += l->size[i];
		} else if (l->offset[i] + l->size[i] > size) {
			size = l->offset[i] + l->size[i];
		}
	}
	return size;
}

void xstate_leaf_d(const struct xstate_layout *l, uint64_t mask, uint64_t xcr0, uint32_t sub,
		   uint32_t r[4])
{
	r[0] = r[1] = r[2] = r[3] = 0;
	if (!mask)
		return;
	switch (sub) {
	case 0:
		r[0] = (uint32_t)mask;
		r[1] = xstate_size(l, xcr0, false);
		r[2] = xstate_size(l, mask, false);
		r[3] = (uint32_t)(mask >> 32);
		break;
	case 1:
		/* XSAVEOPT 0, XSAVEC 1, XGETBV with ECX = 1 2; not XSAVES 3
		 * (no supervisor state, no IA32_XSS) nor XFD 4. */
		r[0] = l->ext_features & 0x7;
		if (r[0] & 0x2)
			r[1] = xstate_size(l, xcr0, true);
		break;
	default:
		if (sub < 64 && (mask & (1ULL << sub))) {
			r[0] = l->size[sub];
			r[1] = l->offset[sub];
			r[2] = l->align64[sub] ? 0x2 : 0;   /* user state, alignment */
		}
		break;
	}
}

/* Feature bits whose instructions use a state component (SDM Vol. 2A,
 * CPUID; VEX-encoded instructions need YMM state enabled in XCR0, EVEX
 * ones the AVX-512 state; Vol. 1, 14.3 and 15.2). */
#define L1_ECX_FMA     (1u << 12)
#define L1_ECX_XSAVE   (1u << 26)
#define L1_ECX_OSXSAVE (1u << 27)
#define L1_ECX_AVX     (1u << 28)
#define L1_ECX_F16C    (1u << 29)
#define L7_EBX_AVX2    (1u << 5)
/* AVX512F 16, DQ 17, IFMA 21, PF 26, ER 27, CD 28, BW 30, VL 31. */
#define L7_EBX_AVX512  ((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | \
			(1u << 28) | (1u << 30) | (1u << 31))
/* VBMI 1, VBMI2 6, VNNI 11, BITALG 12, VPOPCNTDQ 14. */
#define L7_ECX_AVX512  ((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14))
#define L7_ECX_PKU     ((1u << 3) | (1u << 4))  /* PKU, OSPKE */
#define L7_ECX_VEX     ((1u << 9) | (1u << 10)) /* VAES, VPCLMULQDQ */
/* 4VNNIW 2, 4FMAPS 3, VP2INTERSECT 8, FP16 23. */
#define L7_EDX_AVX512  ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 23))
#define L7_EDX_AMX     ((1u << 22) | (1u << 24) | (1u << 25))
#define L71_EAX_AVXVNNI (1u << 4)
#define L71_EAX_AVX512BF16 (1u << 5)
#define L81_ECX_XOP_FMA4 ((1u << 11) | (1u << 16))

void xstate_filter_features(uint64_t mask, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	bool ymm = mask & XFEATURE_YMM, avx512 = mask & XFEATURE_OPMASK;

	switch (leaf) {
	case 1:
		if (!mask)
			r[2] &= ~(L1_ECX_XSAVE | L1_ECX_OSXSAVE);
		if (!ymm)
			r[2] &= ~(L1_ECX_AVX | L1_ECX_FMA | L1_ECX_F16C);
		break;
	case 7:
		if (sub == 0) {
			if (!ymm) {
				r[1] &= ~L7_EBX_AVX2;
				r[2] &= ~L7_ECX_VEX;
			}
			if (!avx512) {
				r[1] &= ~L7_EBX_AVX512;
				r[2] &= ~L7_ECX_AVX512;
				r[3] &= ~L7_EDX_AVX512;
			}
			if (!(mask & XFEATURE_PKRU))
				r[2] &= ~L7_ECX_PKU;
			r[3] &= ~L7_EDX_AMX;
		} else if (sub == 1) {
			if (!ymm)
				r[0] &= ~L71_EAX_AVXVNNI;
			if (!avx512)
				r[0] &= ~L71_EAX_AVX512BF16;
		}
		break;
	case 0x80000001:
		if (!ymm)
			r[2] &= ~L81_ECX_XOP_FMA4;
		break;
	}
}
