/*
 * msr: Vatra's MSR policy.
 *   - read/write round trip (then restored): PAT, TSC_AUX, KERNEL_GS_BASE,
 *     SYSENTER_ESP, STAR, LSTAR, FS_BASE (and FS: really uses the base)
 *   - IA32_TSC reads between two RDTSCs (Vatra only)
 *   - APIC_BASE reads 0xFEE00900 (Vatra only)
 *   - RDMSR/WRMSR of 0x12345678, VM_CR 0xC0010114, IA32_VMX_BASIC 0x480
 *     raise #GP(0) (Vatra only)
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

static const uint32_t denied[] = {0x12345678, 0xC0010114, 0x480};

static uint32_t msr_arg;
static void do_rdmsr(void *a) { (void)a; (void)rdmsr(msr_arg); }
static void do_wrmsr(void *a) { (void)a; wrmsr(msr_arg, 0); }

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
		rt_printf("msr: skip IA32_TSC, APIC_BASE and the deny list (bare)\n");
		rt_done();
	}

	/* QEMU TCG itself reads IA32_TSC as 0: Vatra must emulate it. */
	EXPECT(t0 <= tsc && tsc <= t1);

	uint64_t apic = rdmsr(0x1B);
	rt_printf("msr: APIC_BASE 0x%lx\n", apic);
	EXPECT_EQ(apic, 0xFEE00900);

	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		msr_arg = denied[i];
		int r = rt_try(do_rdmsr, NULL);
		EXPECT_EQ(r, 13 + 1);
		EXPECT_EQ(rt_trap_err, 0);
		int w = rt_try(do_wrmsr, NULL);
		EXPECT_EQ(w, 13 + 1);
		EXPECT_EQ(rt_trap_err, 0);
		rt_printf("msr: 0x%08x rdmsr %s, wrmsr %s\n", denied[i],
			  r == 14 ? "#GP" : "no #GP", w == 14 ? "#GP" : "no #GP");
	}
	rt_done();
}
