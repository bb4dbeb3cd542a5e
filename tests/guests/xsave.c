/*
 * xsave: the guest's XSAVE-managed state.
 *   - CPUID.1:ECX: AVX (and FMA, F16C) only with XSAVE; OSXSAVE follows
 *     CR4.OSXSAVE
 *   - XSETBV and XGETBV with CR4.OSXSAVE clear: #UD
 *   - XCR0 is 1 at power-up; leaf 0xD: EAX:EDX the components offered,
 *     EBX the area size for the current XCR0
 *   - XSETBV refused with #GP(0): XCR0 = 0, SSE off, AVX without SSE,
 *     ECX = 1, a component leaf 0xD does not offer, bit 63, at CPL 3
 *   - with AVX offered: XCR0 = 7, and YMM0-15 (both halves) keep their
 *     values while the vCPU is preempted by a partition on the same CPU
 *     that writes every YMM register in a loop (role=scribble, which
 *     ends after seconds=N). Both also yield the CPU now and then (a
 *     hypercall), so that they take turns where the hypervisor's timer
 *     cannot preempt a guest running with interrupts off.
 *   - with AVX-512 offered: its three components only together, and
 *     ZMM16 and k1 survive preemption the same way.
 *   - with protection keys offered: PKRU state may be enabled in XCR0,
 *     OSPKE follows CR4.PKE, and PKRU survives preemption even with its
 *     state left out of XCR0 (as the scribbler writes its own).
 * Flag `bare`: no other partition, no preemption count required.
 */
#include "rt.h"

#define XCR0_X87 1ull
#define XCR0_SSE 2ull
#define XCR0_YMM 4ull
#define CR4_OSXSAVE (1ull << 18)
#define CR4_PKE (1ull << 22)

static uint32_t rdpkru(void)
{
	uint32_t v, d;

	asm volatile("rdpkru" : "=a"(v), "=d"(d) : "c"(0));
	return v;
}

static void wrpkru(uint32_t v)
{
	asm volatile("wrpkru" ::"a"(v), "c"(0), "d"(0) : "memory");
}

static bool pku;

static uint32_t xs_ecx;
static uint64_t xs_val;

static void do_xsetbv(void *a)
{
	(void)a;
	asm volatile("xsetbv" ::"c"(xs_ecx), "a"((uint32_t)xs_val), "d"((uint32_t)(xs_val >> 32)));
}

static void do_xgetbv(void *a)
{
	uint32_t lo, hi;

	(void)a;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

static int try_xsetbv(uint32_t ecx, uint64_t val)
{
	xs_ecx = ecx;
	xs_val = val;
	return rt_try(do_xsetbv, NULL);
}

static void user_xsetbv(void)
{
	asm volatile("xsetbv" ::"c"(0), "a"(7), "d"(0));
	for (;;)
		asm volatile("hlt");   /* #GP at CPL 3 as well */
}

/* YMM0-15 to and from 512 bytes (the compiler keeps no state in them:
 * test kernels are built with -mgeneral-regs-only). */
static void ymm_load(const uint8_t *p)
{
	asm volatile("vmovdqu 0(%0), %%ymm0\n\tvmovdqu 32(%0), %%ymm1\n\t"
		     "vmovdqu 64(%0), %%ymm2\n\tvmovdqu 96(%0), %%ymm3\n\t"
		     "vmovdqu 128(%0), %%ymm4\n\tvmovdqu 160(%0), %%ymm5\n\t"
		     "vmovdqu 192(%0), %%ymm6\n\tvmovdqu 224(%0), %%ymm7\n\t"
		     "vmovdqu 256(%0), %%ymm8\n\tvmovdqu 288(%0), %%ymm9\n\t"
		     "vmovdqu 320(%0), %%ymm10\n\tvmovdqu 352(%0), %%ymm11\n\t"
		     "vmovdqu 384(%0), %%ymm12\n\tvmovdqu 416(%0), %%ymm13\n\t"
		     "vmovdqu 448(%0), %%ymm14\n\tvmovdqu 480(%0), %%ymm15"
		     ::"r"(p) : "memory");
}

static void ymm_store(uint8_t *p)
{
	asm volatile("vmovdqu %%ymm0, 0(%0)\n\tvmovdqu %%ymm1, 32(%0)\n\t"
		     "vmovdqu %%ymm2, 64(%0)\n\tvmovdqu %%ymm3, 96(%0)\n\t"
		     "vmovdqu %%ymm4, 128(%0)\n\tvmovdqu %%ymm5, 160(%0)\n\t"
		     "vmovdqu %%ymm6, 192(%0)\n\tvmovdqu %%ymm7, 224(%0)\n\t"
		     "vmovdqu %%ymm8, 256(%0)\n\tvmovdqu %%ymm9, 288(%0)\n\t"
		     "vmovdqu %%ymm10, 320(%0)\n\tvmovdqu %%ymm11, 352(%0)\n\t"
		     "vmovdqu %%ymm12, 384(%0)\n\tvmovdqu %%ymm13, 416(%0)\n\t"
		     "vmovdqu %%ymm14, 448(%0)\n\tvmovdqu %%ymm15, 480(%0)"
		     ::"r"(p) : "memory");
}

/* AVX-512: ZMM16 (a register only AVX-512 state holds) and k1. */
static void zmm_load(const uint8_t *p, uint64_t k)
{
	asm volatile("vmovdqu64 (%0), %%zmm16\n\tkmovq %1, %%k1" ::"r"(p), "r"(k) : "memory");
}

static uint64_t zmm_store(uint8_t *p)
{
	uint64_t k;

	asm volatile("vmovdqu64 %%zmm16, (%1)\n\tkmovq %%k1, %0" : "=r"(k) : "r"(p) : "memory");
	return k;
}

static bool avx512;
static uint8_t pattern[512] __attribute__((aligned(64)));
static uint8_t readback[512] __attribute__((aligned(64)));

static uint64_t tsc_khz(void)
{
	uint64_t khz = cpuid(0x40000010, 0).eax;

	return khz ? khz : 2000000;
}

/* Writes every YMM register with this partition's own bytes until the
 * time is up. */
static noreturn void scribble(void)
{
	uint64_t end = rdtsc() + rt_arg_ul("seconds=", 3) * tsc_khz() * 1000;
	unsigned loops = 0;

	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(0xa5 ^ i);
	while (rdtsc() < end) {
		ymm_load(pattern);
		if (avx512)
			zmm_load(pattern + 64, loops);
		if (pku)
			wrpkru(0x55555554u ^ (loops << 2));
		pattern[loops % sizeof(pattern)]++;
		if (++loops % 4096 == 0)
			rt_hypercall(HC_YIELD, 0, 0, 0, 0);
	}
	rt_printf("xsave: scribbled over YMM0-15 %u times\n", loops);
	EXPECT(loops > 0);
	rt_done();
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	struct cpuid_regs l1 = cpuid(1, 0), d0, d1, d2;
	bool xsave = l1.ecx & (1u << 26), avx = l1.ecx & (1u << 28);
	uint64_t offered;

	(void)mb_magic, (void)mb_info;
	/* No impossible CPU: the VEX families only with XSAVE. */
	if (!xsave) {
		EXPECT(!avx);
		EXPECT(!(l1.ecx & (1u << 12)));    /* FMA */
		EXPECT(!(l1.ecx & (1u << 29)));    /* F16C */
		EXPECT(!(cpuid(7, 0).ebx & (1u << 5)));   /* AVX2 */
		rt_printf("xsave: not offered; AVX, FMA, F16C, AVX2 hidden too\n");
		rt_done();
	}
	EXPECT(!(l1.ecx & (1u << 27)));            /* OSXSAVE: CR4 bit still clear */
	EXPECT_EQ(rt_try(do_xgetbv, NULL), 6 + 1);
	EXPECT_EQ(try_xsetbv(0, XCR0_X87), 6 + 1);

	write_cr4(read_cr4() | CR4_OSXSAVE);
	EXPECT(cpuid(1, 0).ecx & (1u << 27));     /* OSXSAVE now reads 1 */
	EXPECT_EQ(xgetbv0(), XCR0_X87);
	d0 = cpuid(0xd, 0);
	offered = (uint64_t)d0.edx << 32 | d0.eax;
	rt_printf("xsave: offered XCR0 0x%lx, area %u bytes now, %u with everything\n",
		  offered, d0.ebx, d0.ecx);
	EXPECT((offered & 3) == 3);
	EXPECT_EQ(d0.ebx, 576);                    /* x87 | SSE area for XCR0 = 1 */
	EXPECT(d0.ecx >= 576);
	EXPECT(!(offered & (3ull << 3)));          /* no MPX */
	EXPECT(!(offered & (3ull << 17)));         /* no AMX */
	EXPECT_EQ(!!(offered & XCR0_YMM), avx);    /* AVX exactly with its state */
	d1 = cpuid(0xd, 1);
	EXPECT(!(d1.eax & (1u << 3)));             /* no XSAVES */

	/* What XSETBV refuses. */
	EXPECT_EQ(try_xsetbv(0, 0), 13 + 1);
	EXPECT_EQ(rt_trap_err, 0);
	EXPECT_EQ(try_xsetbv(0, XCR0_SSE), 13 + 1);
	EXPECT_EQ(try_xsetbv(1, XCR0_X87), 13 + 1);
	EXPECT_EQ(try_xsetbv(0, XCR0_X87 | (1ull << 63)), 13 + 1);
	for (unsigned i = 2; i < 63; i++)
		if (!(offered & (1ull << i)))
			EXPECT_EQ(try_xsetbv(0, XCR0_X87 | XCR0_SSE | (1ull << i)), 13 + 1);
	if (avx)
		EXPECT_EQ(try_xsetbv(0, XCR0_X87 | XCR0_YMM), 13 + 1);
	EXPECT_EQ(xgetbv0(), XCR0_X87);            /* none of them took effect */
	EXPECT_EQ(try_xsetbv(0, XCR0_X87 | XCR0_SSE), 0);
	EXPECT_EQ(xgetbv0(), XCR0_X87 | XCR0_SSE);
	EXPECT_EQ(rt_user_run(user_xsetbv), 13 + 1);
	EXPECT_EQ(xgetbv0(), XCR0_X87 | XCR0_SSE);

	if (!avx) {
		rt_printf("xsave: no AVX offered on this CPU\n");
		rt_done();
	}
	EXPECT_EQ(try_xsetbv(0, XCR0_X87 | XCR0_SSE | XCR0_YMM), 0);
	EXPECT_EQ(xgetbv0(), XCR0_X87 | XCR0_SSE | XCR0_YMM);
	d2 = cpuid(0xd, 2);
	EXPECT_EQ(cpuid(0xd, 0).ebx, d2.ebx + d2.eax);   /* EBX follows XCR0 */
	EXPECT_EQ(d2.eax, 256);

	if ((offered & 0xe0) == 0xe0) {
		/* AVX-512's three components only together, and with AVX. */
		EXPECT_EQ(try_xsetbv(0, 0x27), 13 + 1);
		EXPECT_EQ(try_xsetbv(0, 0x67), 13 + 1);
		EXPECT_EQ(try_xsetbv(0, 0xe3), 13 + 1);
		EXPECT_EQ(try_xsetbv(0, 0xe7), 0);
		EXPECT_EQ(xgetbv0(), 0xe7);
		EXPECT_EQ(cpuid(0xd, 0).ebx, cpuid(0xd, 0).ecx);   /* everything enabled */
		EXPECT(cpuid(7, 0).ebx & (1u << 16));             /* AVX512F offered */
		avx512 = true;
	} else {
		EXPECT(!(cpuid(7, 0).ebx & (1u << 16)));          /* no AVX512F without its state */
	}

	if (cpuid(7, 0).ecx & (1u << 3)) {
		EXPECT(offered & (1ull << 9));             /* PKU comes with PKRU state */
		EXPECT(!(cpuid(7, 0).ecx & (1u << 4)));    /* OSPKE: CR4.PKE still clear */
		write_cr4(read_cr4() | CR4_PKE);
		EXPECT(cpuid(7, 0).ecx & (1u << 4));
		EXPECT_EQ(rdpkru(), 0);
		EXPECT_EQ(try_xsetbv(0, xgetbv0() | (1ull << 9)), 0);
		EXPECT_EQ(try_xsetbv(0, xgetbv0() & ~(1ull << 9)), 0);   /* PKRU state off again */
		pku = true;
	} else {
		EXPECT(!(offered & (1ull << 9)));
	}

	if (rt_has_flag("role=scribble"))
		scribble();

	/* Every byte of YMM0-15 distinct from the scribbler's, both halves. */
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(0x3c + 7 * i);
	ymm_load(pattern);
	if (avx512)
		zmm_load(pattern + 128, 0x5a5a00ff5a5a00ffull);
	if (pku)
		wrpkru(0xc3c3c3c0u);
	uint64_t khz = tsc_khz(), gap = khz, end = rdtsc() + 4 * khz * 1000, last = rdtsc();
	unsigned preempted = 0, bad = 0, spins = 0;
	while (rdtsc() < end && preempted < 20) {
		uint64_t now;
		if (!rt_bare && ++spins % 65536 == 0)
			rt_hypercall(HC_YIELD, 0, 0, 0, 0);
		now = rdtsc();
		if (now - last > gap) {           /* over 1 ms away: another vCPU ran */
			preempted++;
			ymm_store(readback);
			if (memcmp(readback, pattern, sizeof(pattern)))
				bad++;
			if (avx512 && (zmm_store(readback) != 0x5a5a00ff5a5a00ffull ||
				       memcmp(readback, pattern + 128, 64)))
				bad++;
			if (pku && rdpkru() != 0xc3c3c3c0u)
				bad++;
		}
		last = now;
	}
	ymm_store(readback);
	rt_printf("xsave: preempted %u times, YMM0-15%s%s changed %u times\n", preempted,
		  avx512 ? ", ZMM16 and k1" : "", pku ? ", PKRU" : "", bad);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(memcmp(readback, pattern, sizeof(pattern)), 0);
	if (!rt_bare)
		EXPECT(preempted >= 3);
	rt_done();
}
