/*
 * mtrr: the memory type range registers as the guest's CPU has them
 * (Intel SDM Vol. 3A, 13.11; AMD APM Vol. 2, 7.7).
 *   - CPUID 1 EDX[12] (and AMD's 0x80000001 EDX[12]) offers MTRRs
 *   - IA32_MTRRCAP reads VCNT 8, FIX, WC (0x508); a write #GPs
 *   - what firmware left: MTRR_DEF_TYPE 0xc06 (E, FE, WB), every fixed
 *     range WB, PHYSBASE0/MASK0 UC over [3 GiB, 4 GiB), PHYSBASE1/MASK1
 *     UC over the ECAM window [0xb0000000, 0xc0000000), the others 0
 *   - every register round-trips every valid memory type (0 1 4 5 6)
 *   - #GP(0), the register unchanged, for: DEF_TYPE types 2 3 7 8 0xff
 *     and bits 8 9 12 63; a reserved type in each field of each fixed
 *     range (AMD's RdDram/WrDram bits too); PHYSBASE types 2 3 7, bits
 *     11:8, bit MAXPHYADDR and 63; PHYSMASK bits 10:0, bit MAXPHYADDR
 *     and 63 (MAXPHYADDR from CPUID 0x80000008)
 *   - absent (RDMSR and WRMSR #GP): PHYSBASE8/PHYSMASK8, the MSRs between
 *     the fixed ranges, SMRR (MTRRCAP.SMRR is 0)
 *   - PAT: an MTRR write leaves IA32_PAT alone
 * Flag `bare`: CPUID, MTRRCAP and the round trips only (the firmware's
 * values and the #GP rules are Vatra's).
 */
#include "rt.h"

static uint32_t msr_arg;
static uint64_t val_arg, got_arg;
static void do_rdmsr(void *a) { (void)a; got_arg = rdmsr(msr_arg); }
static void do_wrmsr(void *a) { (void)a; wrmsr(msr_arg, val_arg); }

/* 0, or the vector + 1 of the exception (#GP's error code must be 0). */
static int try_rd(uint32_t m, uint64_t *v)
{
	int r;

	msr_arg = m;
	got_arg = 0;
	r = rt_try(do_rdmsr, NULL);
	if (r == 13 + 1)
		EXPECT_EQ(rt_trap_err, 0);
	*v = got_arg;
	return r;
}

static int try_wr(uint32_t m, uint64_t v)
{
	int r;

	msr_arg = m, val_arg = v;
	r = rt_try(do_wrmsr, NULL);
	if (r == 13 + 1)
		EXPECT_EQ(rt_trap_err, 0);
	return r;
}

static const uint32_t fixed[11] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
				    0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
static const uint8_t types[5] = { 0, 1, 4, 5, 6 };
static unsigned checks_gp, rounds;

/* A write of v to m is refused with #GP(0) and m keeps what it had. */
static void refused(uint32_t m, uint64_t v, const char *what)
{
	uint64_t before = 0, after = 0;

	EXPECT_EQ(try_rd(m, &before), 0);
	if (!EXPECT_EQ(try_wr(m, v), 14))
		rt_printf("mtrr: FAIL: wrmsr 0x%x <- 0x%lx (%s) accepted\n", m, v, what);
	EXPECT_EQ(try_rd(m, &after), 0);
	EXPECT_EQ(after, before);
	checks_gp++;
}

/* v is written and read back, then the old value is put back. */
static void round_trip(uint32_t m, uint64_t v)
{
	uint64_t old = 0, got = 0;

	EXPECT_EQ(try_rd(m, &old), 0);
	if (!EXPECT_EQ(try_wr(m, v), 0))
		rt_printf("mtrr: FAIL: wrmsr 0x%x <- 0x%lx refused\n", m, v);
	EXPECT_EQ(try_rd(m, &got), 0);
	EXPECT_EQ(got, v);
	EXPECT_EQ(try_wr(m, old), 0);
	rounds++;
}

static void absent(uint32_t m)
{
	uint64_t v;

	EXPECT_EQ(try_rd(m, &v), 14);
	EXPECT_EQ(try_wr(m, 0), 14);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	uint64_t v = 0, pat;
	unsigned maxphy = 36;

	EXPECT(cpuid(1, 0).edx >> 12 & 1);
	if (rt_is_amd)
		EXPECT(cpuid(0x80000001, 0).edx >> 12 & 1);
	if (cpuid(0x80000000, 0).eax >= 0x80000008)
		maxphy = cpuid(0x80000008, 0).eax & 0xff;
	uint64_t abits = ((1ull << maxphy) - 1) & ~0xfffull;
	rt_printf("mtrr: MAXPHYADDR %u\n", maxphy);

	EXPECT_EQ(try_rd(0xfe, &v), 0);
	rt_printf("mtrr: MTRRCAP 0x%lx\n", v);
	uint64_t cap = v;
	EXPECT_EQ(cap & 0xff, 8);
	EXPECT(cap >> 8 & 1);

	if (!rt_bare) {
		EXPECT_EQ(cap, 0x508);
		EXPECT_EQ(try_wr(0xfe, cap), 14);
		EXPECT_EQ(try_wr(0xfe, 0), 14);
		/* The firmware's state. */
		EXPECT_EQ(try_rd(0x2ff, &v), 0);
		rt_printf("mtrr: MTRR_DEF_TYPE 0x%lx\n", v);
		EXPECT_EQ(v, 0xc06);
		for (unsigned i = 0; i < 11; i++) {
			EXPECT_EQ(try_rd(fixed[i], &v), 0);
			EXPECT_EQ(v, 0x0606060606060606ull);
		}
		for (unsigned i = 0; i < 8; i++) {
			uint64_t b = 0, m = 0;
			EXPECT_EQ(try_rd(0x200 + 2 * i, &b), 0);
			EXPECT_EQ(try_rd(0x201 + 2 * i, &m), 0);
			rt_printf("mtrr: PHYSBASE%u 0x%lx PHYSMASK%u 0x%lx\n", i, b, i, m);
			if (i == 0) {
				EXPECT_EQ(b, 0xc0000000);
				EXPECT_EQ(m, (abits & ~0x3fffffffull) | 0x800);
			} else if (i == 1) {
				EXPECT_EQ(b, 0xb0000000);
				EXPECT_EQ(m, (abits & ~0xfffffffull) | 0x800);
			} else {
				EXPECT_EQ(b, 0);
				EXPECT_EQ(m, 0);
			}
		}
	}

	pat = rdmsr(0x277);
	/* Round trips of every valid type in every register. */
	for (unsigned t = 0; t < 5; t++) {
		round_trip(0x2ff, 0xc00 | types[t]);
		round_trip(0x2ff, 0x400 | types[t]);
		round_trip(0x2ff, types[t]);
		for (unsigned i = 0; i < 11; i++)
			/* All fields types[t], field i % 8 the next type. */
			round_trip(fixed[i], (0x0101010101010101ull * types[t] &
					      ~(0xffull << (8 * (i % 8)))) |
					     (uint64_t)types[(t + 1) % 5] << (8 * (i % 8)));
		for (unsigned i = 0; i < 8; i++) {
			round_trip(0x200 + 2 * i, (0x100000ull << i & abits) | types[t]);
			round_trip(0x201 + 2 * i, (abits & ~0xfffffull) | (t & 1) << 11);
		}
	}
	/* The highest address bit below MAXPHYADDR is there. */
	round_trip(0x200, 1ull << (maxphy - 1));
	round_trip(0x201, abits | 0x800);
	EXPECT_EQ(rdmsr(0x277), pat);
	rt_printf("mtrr: %u round trips\n", rounds);

	if (rt_bare) {
		rt_printf("mtrr: skip the #GP rules (bare)\n");
		rt_done();
	}

	/* IA32_MTRR_DEF_TYPE (13.11.2.1). */
	const uint64_t bad_def[] = { 2, 3, 7, 8, 0xff, 0xc02, 0xc07, 1u << 8 | 6, 1u << 9 | 6,
				     1u << 12 | 6, 1ull << 63 | 6, 1ull << 32 };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_def); i++)
		refused(0x2ff, bad_def[i], "DEF_TYPE");
	/* Fixed ranges: one bad field at a time (13.11.2.2). */
	const uint8_t bad_t[] = { 2, 3, 7, 8, 0x16, 0x0e, 0xff };
	for (unsigned i = 0; i < 11; i++)
		for (unsigned f = 0; f < 8; f++)
			refused(fixed[i], (0x0606060606060606ull & ~(0xffull << (8 * f))) |
					  (uint64_t)bad_t[(i + f) % ARRAY_SIZE(bad_t)] << (8 * f),
				"fixed field");
	/* Variable ranges (13.11.2.3). */
	for (unsigned i = 0; i < 8; i++) {
		uint32_t b = 0x200 + 2 * i, m = b + 1;
		refused(b, 2, "PHYSBASE type 2");
		refused(b, 3, "PHYSBASE type 3");
		refused(b, 7, "PHYSBASE type 7");
		refused(b, 0x80 | 6, "PHYSBASE type 0x86");
		refused(b, 1u << (8 + i % 4) | 6, "PHYSBASE bits 11:8");
		refused(b, 1ull << maxphy | 6, "PHYSBASE bit MAXPHYADDR");
		refused(b, 1ull << 63 | 6, "PHYSBASE bit 63");
		refused(m, abits | 0x800 | 1u << i, "PHYSMASK bits 10:0");
		refused(m, abits | 0x800 | 1u << 10, "PHYSMASK bit 10");
		refused(m, abits | 0x800 | 1ull << maxphy, "PHYSMASK bit MAXPHYADDR");
		refused(m, 1ull << 63 | 0x800, "PHYSMASK bit 63");
	}
	rt_printf("mtrr: %u reserved-bit and type writes refused with #GP(0)\n", checks_gp);
	/* What MTRRCAP does not announce is not there. */
	absent(0x210);   /* PHYSBASE8 */
	absent(0x211);   /* PHYSMASK8 */
	absent(0x251);
	absent(0x257);
	absent(0x25a);
	absent(0x267);
	absent(0x270);
	absent(0x1f2);   /* SMRR_PHYSBASE */
	absent(0x1f3);   /* SMRR_PHYSMASK */
	EXPECT_EQ(rdmsr(0x277), pat);
	/* Still the firmware's state after all of it. */
	EXPECT_EQ(rdmsr(0x2ff), 0xc06);
	EXPECT_EQ(rdmsr(0x200), 0xc0000000);
	rt_done();
}
