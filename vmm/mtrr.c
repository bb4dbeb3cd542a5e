/* Guest MTRR state and its rules. See vmm/mtrr.h. */
#include "vmm/mtrr.h"
#include "lib/errno.h"

#define PAGE_BITS 12

/* Types an MTRR may hold: UC, WC (offered in MTRRCAP), WT, WP, WB. */
static bool type_valid(uint64_t t)
{
	return t == MTRR_UC || t == MTRR_WC || t == MTRR_WT || t == MTRR_WP || t == MTRR_WB;
}

/* Bits maxphy-1..12: where a base or mask may have ones. */
static uint64_t addr_bits(unsigned maxphy)
{
	if (maxphy > 52)
		maxphy = 52;
	if (maxphy <= PAGE_BITS)
		return 0;
	return ((1ULL << maxphy) - 1) & ~((1ULL << PAGE_BITS) - 1);
}

/* Index into fixed[] for a fixed-range MSR, or -1. */
static int fixed_index(uint32_t msr)
{
	if (msr == MSR_MTRR_FIX64K)
		return 0;
	if (msr == MSR_MTRR_FIX16K_80)
		return 1;
	if (msr == MSR_MTRR_FIX16K_A0)
		return 2;
	if (msr >= MSR_MTRR_FIX4K_C0 && msr < MSR_MTRR_FIX4K_C0 + 8)
		return 3 + (int)(msr - MSR_MTRR_FIX4K_C0);
	return -1;
}

static bool var_msr(uint32_t msr)
{
	return msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_VCNT;
}

uint64_t mtrr_cap(void)
{
	return MTRR_VCNT | MTRR_CAP_FIX | MTRR_CAP_WC;
}

bool mtrr_is_msr(uint32_t msr)
{
	return msr == MSR_MTRRCAP || msr == MSR_MTRR_DEF_TYPE || fixed_index(msr) >= 0 ||
	       var_msr(msr);
}

void mtrr_reset(struct mtrr *m)
{
	*m = (struct mtrr){ 0 };
}

int mtrr_firmware(struct mtrr *m, unsigned maxphy, const struct mtrr_range *ranges, unsigned n)
{
	uint64_t bits = addr_bits(maxphy);
	struct mtrr t = { 0 };

	if (n > MTRR_VCNT)
		return -EINVAL;
	t.def_type = MTRR_DEF_E | MTRR_DEF_FE | MTRR_WB;
	for (int i = 0; i < MTRR_NFIXED; i++)
		t.fixed[i] = 0x0606060606060606ULL;
	for (unsigned i = 0; i < n; i++) {
		const struct mtrr_range *r = &ranges[i];

		if (r->size < (1ULL << PAGE_BITS) || (r->size & (r->size - 1)) ||
		    (r->base & (r->size - 1)) || !type_valid(r->type) ||
		    ((r->base + r->size - 1) & ~(bits | 0xfff)))
			return -EINVAL;
		t.base[i] = r->base | r->type;
		t.mask[i] = (~(r->size - 1) & bits) | MTRR_MASK_VALID;
	}
	*m = t;
	return 0;
}

int mtrr_read(const struct mtrr *m, uint32_t msr, uint64_t *val)
{
	int f = fixed_index(msr);

	if (msr == MSR_MTRRCAP)
		*val = mtrr_cap();
	else if (msr == MSR_MTRR_DEF_TYPE)
		*val = m->def_type;
	else if (f >= 0)
		*val = m->fixed[f];
	else if (var_msr(msr))
		*val = msr & 1 ? m->mask[(msr - MSR_MTRR_PHYSBASE0) / 2]
			       : m->base[(msr - MSR_MTRR_PHYSBASE0) / 2];
	else
		return -ENOENT;
	return 0;
}

int mtrr_write(struct mtrr *m, uint32_t msr, uint64_t val, unsigned maxphy)
{
	uint64_t bits = addr_bits(maxphy);
	int f = fixed_index(msr);

	if (msr == MSR_MTRRCAP)
		return -EINVAL;   /* read-only */
	if (msr == MSR_MTRR_DEF_TYPE) {
		/* Type in 7:0, FE 10, E 11; 9:8 and 63:12 reserved (13.11.2.1). */
		if ((val & ~(0xffULL | MTRR_DEF_FE | MTRR_DEF_E)) || !type_valid(val & 0xff))
			return -EINVAL;
		m->def_type = val;
		return 0;
	}
	if (f >= 0) {
		/* Eight type fields; each must be a valid type (13.11.2.2). */
		for (int i = 0; i < 8; i++)
			if (!type_valid((val >> (8 * i)) & 0xff))
				return -EINVAL;
		m->fixed[f] = val;
		return 0;
	}
	if (!var_msr(msr))
		return -ENOENT;
	if (msr & 1) {
		/* PHYSMASK: mask maxphy-1..12, V 11; 10:0 and the bits at
		 * and above MAXPHYADDR reserved (13.11.2.3). */
		if (val & ~(bits | MTRR_MASK_VALID))
			return -EINVAL;
		m->mask[(msr - MSR_MTRR_PHYSBASE0) / 2] = val;
	} else {
		/* PHYSBASE: type 7:0, base maxphy-1..12; 11:8 and the bits
		 * at and above MAXPHYADDR reserved. */
		if ((val & ~(bits | 0xffULL)) || !type_valid(val & 0xff))
			return -EINVAL;
		m->base[(msr - MSR_MTRR_PHYSBASE0) / 2] = val;
	}
	return 0;
}

/* The fixed range's type for pa below 1 MiB (Table 13-9). */
static uint8_t fixed_type(const struct mtrr *m, uint64_t pa)
{
	unsigned reg, field;

	if (pa < 0x80000) {
		reg = 0, field = (unsigned)(pa >> 16);
	} else if (pa < 0xc0000) {
		reg = 1 + (unsigned)((pa - 0x80000) >> 17);
		field = (unsigned)((pa >> 14) & 7);
	} else {
		reg = 3 + (unsigned)((pa - 0xc0000) >> 15);
		field = (unsigned)((pa >> 12) & 7);
	}
	return (uint8_t)(m->fixed[reg] >> (8 * field));
}

uint8_t mtrr_type(const struct mtrr *m, uint64_t pa, unsigned maxphy)
{
	uint64_t bits = addr_bits(maxphy);
	unsigned found = 0;   /* bit t: a matching range has type t */

	if (!(m->def_type & MTRR_DEF_E))
		return MTRR_UC;
	if ((m->def_type & MTRR_DEF_FE) && pa < 0x100000)
		return fixed_type(m, pa);
	for (int i = 0; i < MTRR_VCNT; i++) {
		uint64_t mask = m->mask[i] & bits;

		if (!(m->mask[i] & MTRR_MASK_VALID))
			continue;
		if ((pa & mask) == (m->base[i] & mask))
			found |= 1u << (m->base[i] & 7);
	}
	if (!found)
		return (uint8_t)(m->def_type & 0xff);
	if (found & (1u << MTRR_UC))
		return MTRR_UC;
	if (found == ((1u << MTRR_WT) | (1u << MTRR_WB)))
		return MTRR_WT;
	for (uint8_t t = 0; t < 8; t++)
		if (found == 1u << t)
			return t;
	return MTRR_UNDEFINED;
}
