/*
 * msr: Vatra's MSR policy (docs/msr.md), both ways, per vendor.
 *   - round trip (then restored): PAT, TSC_AUX, KERNEL_GS_BASE,
 *     SYSENTER_ESP, STAR, LSTAR, FS_BASE (and FS: really uses the base)
 *   - IA32_TSC reads between two RDTSCs (Vatra only)
 *   - Vatra only: every MSR of the table for the vendor CPUID names
 *     (AMD or Intel) and of the common table, each checked as its kind
 *     says: read-write (write, read back, restore), fixed (reads a value,
 *     writes dropped: RAZ/WI), read-only (reads a value, writes #GP),
 *     readable, or absent (RDMSR and WRMSR #GP(0)). An MSR that a CPUID
 *     bit promises is checked as its kind when the guest's CPUID shows
 *     the bit and as absent when not. Writes of reserved bits #GP.
 *   - Vatra only: the speculation controls as CPUID offers them:
 *     IA32_SPEC_CTRL with exactly the IBRS/STIBP/SSBD bits shown (each
 *     written and read back, every other bit #GP), IA32_PRED_CMD write-only
 *     (IBPB works, other bits #GP), IA32_ARCH_CAPABILITIES read-only,
 *     IA32_FLUSH_CMD write-only (L1D_FLUSH), and on AMD VIRT_SPEC_CTRL
 *     with SSBD only; each absent (#GP both ways) where its bits are clear.
 *   - WRMSR to IA32_TSC moves the TSC RDTSC reads; on Intel (CPUID 7
 *     EBX[1]) IA32_TSC_ADJUST moves with it and writing it moves the TSC
 *     (SDM Vol. 3B, 17.17.3).
 * Flag `bare`: skip the Vatra-only checks.
 */
#include "rt.h"

static const struct {
	uint32_t msr;
	const char *name;
	uint64_t value;
} allowed[] = {
	{0x277, "IA32_PAT", 0x0007010600070106ull},
	{0xC0000103, "TSC_AUX", 0xabcd},
	{0xC0000102, "KERNEL_GS_BASE", 0xffff800012345000ull},
	{0x175, "SYSENTER_ESP", 0x12345678},
	{0xC0000081, "STAR", 0x0023001000000000ull},
	{0xC0000082, "LSTAR", 0xffffffff81000000ull},
	{0xC0000100, "FS_BASE", 0x0000123456789000ull},
};

enum kind {
	RW,      /* write value, read it back */
	FIXED,   /* reads value; a write of wval is accepted and dropped */
	RO,      /* reads value; writes #GP */
	READ,    /* reads anything; writing back what it read works */
	ROANY,   /* reads anything; writes #GP */
	GP,      /* RDMSR and WRMSR #GP(0) */
	RSVD,    /* a write of wval (reserved bits) #GP(0) */
};

/* CPUID leaf 1 is written 0x1, EAX..EDX as 0..3. */
struct need {
	uint32_t leaf;
	uint8_t reg, bit;
};

struct entry {
	uint32_t msr;
	const char *name;
	enum kind kind;
	uint64_t value, wval;
	struct need need;   /* leaf 0: always */
};

#define N(l, r, b) { l, r, b }
enum { EAX, EBX, ECX, EDX };

/* Both vendors. */
static const struct entry common[] = {
	{0x277, "PAT reserved type 2", RSVD, 0, 0x0007010600070102ull, N(1, EDX, 16)},
	{0xC0000103, "TSC_AUX bit 32", RSVD, 0, 1ull << 32, N(0x80000001, EDX, 27)},
	{0xC0000080, "EFER", READ, 0, 0, {0}},
	{0xFE, "MTRRCAP", RO, 0x508, 0x508, N(1, EDX, 12)},
	{0x179, "MCG_CAP", RO, 0, 0, N(1, EDX, 14)},
	{0x17B, "MCG_CTL (MCG_CAP.CTL_P 0)", GP, 0, 0, {0}},
	{0x400, "MC0_CTL (0 banks)", GP, 0, 0, {0}},
	{0x17A, "MCG_STATUS", RW, 5, 0, N(1, EDX, 14)},
	{0x17A, "MCG_STATUS bit 4", RSVD, 0, 0x10, N(1, EDX, 14)},
	{0x1D9, "DEBUGCTL", FIXED, 0, 3, {0}},
	{0x1D9, "DEBUGCTL bit 63", RSVD, 0, 1ull << 63, {0}},
	{0x6E0, "TSC_DEADLINE (not armed)", FIXED, 0, 0x123456789ull, N(1, ECX, 24)},
	{0x802, "x2APIC ID in xAPIC mode", GP, 0, 0, {0}},
	/* CPUID hides what these need. */
	{0x3B, "TSC_ADJUST", READ, 0, 0, N(7, EBX, 1)},
	{0x600, "DS_AREA", READ, 0, 0, N(1, EDX, 21)},
	{0x186, "PERFEVTSEL0 (no PMU)", GP, 0, 0, {0}},
	{0xC1, "PMC0 (no PMU)", GP, 0, 0, {0}},
	{0xE7, "MPERF", GP, 0, 0, {0}},
	{0xE8, "APERF", GP, 0, 0, {0}},
	{0x9B, "SMM_MONITOR_CTL", GP, 0, 0, {0}},
	{0x480, "VMX_BASIC", GP, 0, 0, {0}},
	{0xC0000104, "TSC_RATIO", GP, 0, 0, {0}},
	{0xC0000105, "LWP_CFG", GP, 0, 0, {0}},
	{0xC0010114, "VM_CR", GP, 0, 0, {0}},
	{0xC0010117, "VM_HSAVE_PA", GP, 0, 0, {0}},
	{0xC0010140, "OSVW_ID_LENGTH", READ, 0, 0, N(0x80000001, ECX, 9)},
	{0xC0010200, "PERF_CTL0 (ext)", RW, 0, 0, N(0x80000001, ECX, 23)},
	/* Nothing is there. */
	{0x12345678, "reserved", GP, 0, 0, {0}},
	{0x2000, "reserved 0x2000", GP, 0, 0, {0}},
	{0x40000000, "hypervisor range", GP, 0, 0, {0}},
	{0xC0002000, "reserved 0xC0002000", GP, 0, 0, {0}},
	{0xFFFFFFFF, "reserved 0xFFFFFFFF", GP, 0, 0, {0}},
};

static const struct entry amd[] = {
	{0xC0010000, "PerfEvtSel0", FIXED, 0, 0x430076, {0}},
	{0xC0010001, "PerfEvtSel1", FIXED, 0, 0x4300c0, {0}},
	{0xC0010002, "PerfEvtSel2", FIXED, 0, 0x430076, {0}},
	{0xC0010003, "PerfEvtSel3", FIXED, 0, 0x430076, {0}},
	{0xC0010004, "PerfCtr0", FIXED, 0, 0x1234, {0}},
	{0xC0010005, "PerfCtr1", FIXED, 0, 0x1234, {0}},
	{0xC0010006, "PerfCtr2", FIXED, 0, 0x1234, {0}},
	{0xC0010007, "PerfCtr3", FIXED, 0, 0xffffffffffffull, {0}},
	{0xC0010008, "after PerfCtr3", GP, 0, 0, {0}},
	{0xC0010010, "SYSCFG", FIXED, 0, 0, {0}},
	{0xC0010015, "HWCR", FIXED, 1u << 24, 1u << 24, {0}},
	{0xC001001F, "NB_CFG", FIXED, 0, 0, {0}},
	{0x8B, "PATCH_LEVEL", RO, 0, 0, {0}},
	/* Intel's */
	{0x3A, "FEATURE_CONTROL", GP, 0, 0, {0}},
	{0x1A0, "MISC_ENABLE", GP, 0, 0, {0}},
	{0x345, "PERF_CAPABILITIES", GP, 0, 0, {0}},
	{0x17, "PLATFORM_ID", GP, 0, 0, {0}},
	{0x198, "PERF_STATUS", GP, 0, 0, {0}},
	{0x0, "P5_MC_ADDR", GP, 0, 0, {0}},
	{0x1, "P5_MC_TYPE", GP, 0, 0, {0}},
};

static const struct entry intel[] = {
	{0x3A, "FEATURE_CONTROL", RO, 1, 0, {0}},
	{0x1A0, "MISC_ENABLE", FIXED, 0x1801, 0x1801, {0}},
	{0x345, "PERF_CAPABILITIES", RO, 0, 0, N(1, ECX, 15)},
	{0x17, "PLATFORM_ID", RO, 0, 0, {0}},
	{0x198, "PERF_STATUS", RO, 0, 0, {0}},
	{0x0, "P5_MC_ADDR", FIXED, 0, 0, {0}},
	{0x1, "P5_MC_TYPE", FIXED, 0, 0, {0}},
	{0x8B, "BIOS_SIGN_ID", FIXED, 0, 0, {0}},
	/* AMD's */
	{0xC0010000, "PerfEvtSel0", GP, 0, 0, {0}},
	{0xC0010004, "PerfCtr0", GP, 0, 0, {0}},
	{0xC0010007, "PerfCtr3", GP, 0, 0, {0}},
	{0xC0010010, "SYSCFG", GP, 0, 0, {0}},
	{0xC0010015, "HWCR", GP, 0, 0, {0}},
	{0xC001001F, "NB_CFG", GP, 0, 0, {0}},
};

static uint32_t msr_arg;
static uint64_t val_arg, got_arg;
static void do_rdmsr(void *a) { (void)a; got_arg = rdmsr(msr_arg); }
static void do_wrmsr(void *a) { (void)a; wrmsr(msr_arg, val_arg); }

/* 0, or the vector + 1 of the exception (the error code must be 0). */
static int try_rd(uint32_t m, uint64_t *v)
{
	int r;

	msr_arg = m;
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

static bool offered(const struct need *n)
{
	struct cpuid_regs r;
	uint32_t w[4];

	if (!n->leaf)
		return true;
	if (n->leaf >= 0x80000000 ? cpuid(0x80000000, 0).eax < n->leaf : cpuid(0, 0).eax < n->leaf)
		return false;
	r = cpuid(n->leaf, 0);
	w[0] = r.eax, w[1] = r.ebx, w[2] = r.ecx, w[3] = r.edx;
	return w[n->reg] >> n->bit & 1;
}

static void check(const struct entry *e)
{
	enum kind k = offered(&e->need) ? e->kind : GP;
	uint64_t v = 0, v2 = 0;
	int r, w = 0;
	bool ok = true;

	r = try_rd(e->msr, &v);
	switch (k) {
	case RW:
		ok &= EXPECT_EQ(r, 0);
		w = try_wr(e->msr, e->value);
		ok &= EXPECT_EQ(w, 0);
		ok &= EXPECT_EQ(try_rd(e->msr, &v2), 0);
		ok &= EXPECT_EQ(v2, e->value);
		try_wr(e->msr, v);
		break;
	case FIXED:
	case RO:
		ok &= EXPECT_EQ(r, 0);
		ok &= EXPECT_EQ(v, e->value);
		w = try_wr(e->msr, e->wval);
		ok &= EXPECT_EQ(w, k == RO ? 14 : 0);
		ok &= EXPECT_EQ(try_rd(e->msr, &v2), 0);
		ok &= EXPECT_EQ(v2, e->value);
		break;
	case READ:
	case ROANY:
		ok &= EXPECT_EQ(r, 0);
		w = try_wr(e->msr, v);
		ok &= EXPECT_EQ(w, k == ROANY ? 14 : 0);
		break;
	case GP:
		ok &= EXPECT_EQ(r, 14);
		w = try_wr(e->msr, e->wval);
		ok &= EXPECT_EQ(w, 14);
		break;
	case RSVD:
		w = try_wr(e->msr, e->wval);
		ok &= EXPECT_EQ(w, 14);
		break;
	}
	rt_printf("msr: 0x%08x %-26s %-5s rdmsr %s 0x%lx, wrmsr %s%s\n", e->msr, e->name,
		  k == RW ? "rw" : k == FIXED ? "wi" : k == RO || k == ROANY ? "ro" : k == READ ? "read" :
		  k == GP ? "#gp" : "rsvd", r ? "#GP" : "ok", r ? 0 : v, w ? "#GP" : "ok",
		  ok ? "" : "  <- FAIL");
}

static void check_table(const struct entry *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check(&t[i]);
}

#define BIG (1ull << 40)

/* WRMSR IA32_TSC sets what RDTSC reads; TSC_ADJUST follows (17.17.3). */
static void check_tsc_write(void)
{
	bool adj = offered(&(struct need)N(7, EBX, 1));
	uint64_t a0 = 0, a1 = 0, t0, target, t1, back;

	if (adj)
		EXPECT_EQ(try_rd(0x3B, &a0), 0);
	t0 = rdtsc();
	target = t0 + BIG;
	EXPECT_EQ(try_wr(0x10, target), 0);
	t1 = rdtsc();
	rt_printf("msr: IA32_TSC written 0x%lx (was 0x%lx), rdtsc then 0x%lx\n", target, t0, t1);
	EXPECT(t1 >= target && t1 - target < BIG / 16);
	EXPECT(rdmsr(0x10) >= t1);
	if (!adj) {
		rt_printf("msr: IA32_TSC_ADJUST not offered\n");
		return;
	}
	EXPECT_EQ(try_rd(0x3B, &a1), 0);
	rt_printf("msr: IA32_TSC_ADJUST 0x%lx -> 0x%lx\n", a0, a1);
	/* It moved by what the write added, give or take the exits between. */
	EXPECT(a1 - a0 > BIG - BIG / 16 && a1 - a0 <= BIG);
	/* Writing it back moves the TSC back by the same amount. */
	EXPECT_EQ(try_wr(0x3B, a0), 0);
	back = rdtsc();
	rt_printf("msr: IA32_TSC_ADJUST written 0x%lx, rdtsc 0x%lx\n", a0, back);
	EXPECT(back < target && back >= t0);
	EXPECT_EQ(rdmsr(0x3B), a0);
}

static bool bit_of(uint32_t leaf, int reg, int bit)
{
	return offered(&(struct need){ leaf, (uint8_t)reg, (uint8_t)bit });
}

/* Writes every bit of msr alone: those in ok must work (and read back
 * where readable), all others #GP; then 0, which always works. */
static void check_bits(uint32_t m, const char *name, uint64_t ok, bool readable)
{
	unsigned bad = 0;

	for (unsigned b = 0; b < 64; b++) {
		uint64_t v = 1ull << b, back = 0;
		int w = try_wr(m, v), r = readable ? try_rd(m, &back) : 0;
		bool good = (ok & v) ? w == 0 && r == 0 && (!readable || back == v) : w == 14;

		if (!good) {
			rt_printf("msr: %s bit %u: wrmsr %s, read back 0x%lx  <- FAIL\n", name, b,
				  w ? "#GP" : "ok", back);
			bad++;
		}
		EXPECT(good);
	}
	EXPECT_EQ(try_wr(m, 0), 0);
	rt_printf("msr: %s: bits 0x%lx writable%s, every other bit #GP%s\n", name, ok,
		  readable ? " and read back" : "", bad ? "  <- FAIL" : "");
}

/* IA32_SPEC_CTRL, IA32_PRED_CMD, VIRT_SPEC_CTRL: exactly what CPUID
 * shows (Intel 7.0 EDX[26,27,31]; AMD 0x80000008 EBX[12,14,15,24,25]). */
static void check_spec(void)
{
	bool ibrs = bit_of(7, EDX, 26), stibp = bit_of(7, EDX, 27), ssbd = bit_of(7, EDX, 31);
	bool ibpb = ibrs, virt = false;
	uint64_t bits, v = ~0ull;

	if (rt_is_amd) {
		ibpb |= bit_of(0x80000008, EBX, 12);
		ibrs |= bit_of(0x80000008, EBX, 14);
		stibp |= bit_of(0x80000008, EBX, 15);
		ssbd |= bit_of(0x80000008, EBX, 24);
		virt = bit_of(0x80000008, EBX, 25);
	}
	bits = (ibrs ? 1 : 0) | (stibp ? 2 : 0) | (ssbd ? 4 : 0);
	rt_printf("msr: speculation controls offered: SPEC_CTRL 0x%lx, IBPB %s, VIRT_SSBD %s\n", bits,
		  ibpb ? "yes" : "no", virt ? "yes" : "no");
	if (bits) {
		EXPECT_EQ(try_rd(0x48, &v), 0);
		EXPECT_EQ(v, 0);             /* its reset value */
		check_bits(0x48, "SPEC_CTRL", bits, true);
		EXPECT_EQ(try_wr(0x48, bits), 0);
		EXPECT_EQ(try_rd(0x48, &v), 0);
		EXPECT_EQ(v, bits);
		EXPECT_EQ(try_wr(0x48, 0), 0);
	} else {
		check(&(struct entry){ 0x48, "SPEC_CTRL", GP, 0, 0, {0} });
	}
	if (ibpb) {
		EXPECT_EQ(try_rd(0x49, &v), 14);   /* write-only */
		check_bits(0x49, "PRED_CMD", 1, false);
		rt_printf("msr: PRED_CMD: rdmsr #GP (write-only)\n");
	} else {
		check(&(struct entry){ 0x49, "PRED_CMD", GP, 0, 1, {0} });
	}
	/* Intel's ARCH_CAPABILITIES (read-only) and FLUSH_CMD (write-only). */
	if (bit_of(7, EDX, 29)) {
		uint64_t v2 = ~0ull;
		EXPECT_EQ(try_rd(0x10A, &v), 0);
		EXPECT_EQ(try_wr(0x10A, v), 14);
		EXPECT_EQ(try_wr(0x10A, 0), 14);
		EXPECT_EQ(try_rd(0x10A, &v2), 0);
		EXPECT_EQ(v2, v);
		rt_printf("msr: ARCH_CAPABILITIES reads 0x%lx, writes #GP\n", v);
	} else {
		check(&(struct entry){ 0x10A, "ARCH_CAPABILITIES", GP, 0, 0, {0} });
	}
	if (bit_of(7, EDX, 28)) {
		EXPECT_EQ(try_rd(0x10B, &v), 14);
		check_bits(0x10B, "FLUSH_CMD", 1, false);
		rt_printf("msr: FLUSH_CMD: rdmsr #GP (write-only)\n");
	} else {
		check(&(struct entry){ 0x10B, "FLUSH_CMD", GP, 0, 1, {0} });
	}
	if (virt) {
		EXPECT_EQ(try_rd(0xC001011F, &v), 0);
		EXPECT_EQ(v, 0);
		check_bits(0xC001011F, "VIRT_SPEC_CTRL", 4, true);
		/* Its SSBD stays set across exits and other MSRs' traffic. */
		EXPECT_EQ(try_wr(0xC001011F, 4), 0);
		for (int i = 0; i < 100; i++)
			(void)cpuid(0, 0);
		EXPECT_EQ(try_rd(0xC001011F, &v), 0);
		EXPECT_EQ(v, 4);
		rt_printf("msr: VIRT_SPEC_CTRL: SSBD set across 100 exits, reads 0x%lx\n", v);
		EXPECT_EQ(try_wr(0xC001011F, 0), 0);
	} else {
		check(&(struct entry){ 0xC001011F, "VIRT_SPEC_CTRL", GP, 0, 4, {0} });
	}
}

static uint64_t fs_target = 0x600dcafe0badf00dull;

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;

	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		uint32_t m = allowed[i].msr;
		uint64_t old = rdmsr(m);
		wrmsr(m, allowed[i].value);
		uint64_t got = rdmsr(m);
		wrmsr(m, old);
		rt_printf("msr: %-15s 0x%08x was 0x%lx, wrote 0x%lx, read 0x%lx\n",
			  allowed[i].name, m, old, allowed[i].value, got);
		EXPECT_EQ(got, allowed[i].value);
		EXPECT_EQ(rdmsr(m), old);
	}

	/* FS_BASE is the base FS: addressing uses. */
	uint64_t old_fs = rdmsr(0xC0000100), v;
	wrmsr(0xC0000100, (uint64_t)&fs_target);
	asm volatile("movq %%fs:0, %0" : "=r"(v));
	wrmsr(0xC0000100, old_fs);
	EXPECT_EQ(v, fs_target);

	uint64_t t0 = rdtsc(), tsc = rdmsr(0x10), t1 = rdtsc();
	rt_printf("msr: rdtsc 0x%lx, IA32_TSC 0x%lx, rdtsc 0x%lx\n", t0, tsc, t1);

	if (rt_bare) {
		rt_printf("msr: skip IA32_TSC, APIC_BASE and the policy tables (bare)\n");
		rt_done();
	}

	/* QEMU TCG itself reads IA32_TSC as 0: Vatra must emulate it. */
	EXPECT(t0 <= tsc && tsc <= t1);

	uint64_t apic = rdmsr(0x1B);
	rt_printf("msr: APIC_BASE 0x%lx\n", apic);
	EXPECT_EQ(apic, 0xFEE00900);

	EXPECT(rt_is_amd || rt_is_intel);
	rt_printf("msr: policy tables: common and %s\n", rt_is_amd ? "AMD" : "Intel");
	check_table(common, ARRAY_SIZE(common));
	if (rt_is_amd)
		check_table(amd, ARRAY_SIZE(amd));
	else
		check_table(intel, ARRAY_SIZE(intel));
	check_spec();
	check_tsc_write();
	rt_done();
}
