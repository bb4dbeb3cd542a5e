/*
 * dbg: debug registers, #DB and #AC as a guest sees them.
 *   - an execute breakpoint (DR0) fires at the guest's own address, DR6.B0
 *   - a data write breakpoint (DR1, 8 bytes) fires after the store, DR6.B1
 *   - a store elsewhere does not fire; single-step sets DR6.BS; stepping
 *     over STI goes on (where the trap lands in STI's shadow differs
 *     between emulators: only printed), one over MOV SS traps only after
 *     the next instruction (SDM Vol. 3A, 6.8.3); a step over CPUID (which
 *     the hypervisor completes) traps right after it; ICEBP (INT1): #DB
 *     with the saved RIP after it
 *   - #AC at CPL 3 (CR0.AM, RFLAGS.AC, a misaligned load): error code 0,
 *     RIP at the load
 *   - loops: single-stepping for seconds= s (one #DB per instruction),
 *     then re-executing a misaligned load for seconds= s (one #AC each);
 *     the other partitions of the boot must keep running meanwhile
 *   - flag `storm`: the CVE-2015-8104 pattern — #DB delivered on its own
 *     interrupt stack, with a data breakpoint on that stack, so each
 *     delivery raises the next; never ends (destroy the partition)
 * Vatra only for the timing (CPUID 0x40000010); `bare` uses a fixed count.
 * Flags for emulators without the feature: `no_bp` (QEMU's SVM does not
 * arm the guest's DR7 breakpoints at VMRUN), `no_ac` (QEMU's TCG has no
 * alignment checking; its ICEBP is not INT1: `no_icebp`), `no_dr6` (Bochs' SVM intercepts #DB before it
 * sets DR6, where AMD's CPUs set it first): those checks are skipped,
 * saying so.
 */
#include "rt.h"

#define DR7_L0 (1ull << 0)
#define DR7_L1 (1ull << 2)
#define DR6_FIXED 0xffff0ff0ull
#define DR6_BS (1ull << 14)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_AC (1ull << 18)
#define CR0_AM (1ull << 18)


static uint64_t tsc_khz;
static bool no_dr6;

static __attribute__((noinline, aligned(16))) void target(void *a)
{
	(void)a;
	asm volatile("nop");
}

static volatile uint64_t wvar, other;

static void store_wvar(void *a) { (void)a; wvar = 0x1234; }
static void store_other(void *a) { (void)a; other = 0x5678; }

static void single_step(void *a)
{
	(void)a;
	asm volatile("pushfq; orq $0x100, (%%rsp); popfq; nop; nop" ::: "memory", "cc");
}

extern char after_sti[], after_movss[], after_movss_next[], after_cpuid[];

/* CPUID exits on every Vatra vendor: the hypervisor completes it, and the
 * single-step trap after it must still come. */
static void step_cpuid(void *a)
{
	(void)a;
	asm volatile("pushfq; orq $0x100, (%%rsp); popfq; nop\n\t"
		     "cpuid\n"
		     ".globl after_cpuid\n"
		     "after_cpuid: nop" : : "a"(0), "c"(0) : "rbx", "rdx", "memory", "cc");
}

static void step_sti(void *a)
{
	(void)a;
	asm volatile("pushfq; orq $0x100, (%%rsp); popfq; nop\n\t"
		     "cli; sti\n"
		     ".globl after_sti\n"
		     "after_sti: nop; nop" ::: "memory", "cc");
}

static void step_movss(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %%ax\n\t"
		     "pushfq; orq $0x100, (%%rsp); popfq; nop\n\t"
		     "mov %%ax, %%ss\n"
		     ".globl after_movss\n"
		     "after_movss: nop\n"
		     ".globl after_movss_next\n"
		     "after_movss_next: nop" ::: "rax", "memory", "cc");
}

static uint64_t step_rips[4];
static unsigned n_steps;

static bool step_hook(uint64_t vec, uint64_t err, uint64_t *rip, uint64_t *rflags)
{
	(void)err, (void)rflags;
	if (vec != 1)
		return false;
	if (n_steps < 4)
		step_rips[n_steps] = *rip;
	n_steps++;
	return true;     /* go on stepping: rt_try's frame ends with popf */
}

static bool seen_step(uint64_t rip)
{
	for (unsigned i = 0; i < n_steps && i < 4; i++)
		if (step_rips[i] == rip)
			return true;
	return false;
}

static void test_step_shadows(void)
{
	/* Each step after the first nop: the traps land after each
	 * instruction; MOV SS holds the one after it back until after the
	 * next instruction. Stepping in STI's shadow must not stop the
	 * partition (a VT-x entry with TF, STI blocking and no pending BS
	 * would fail). */
	rt_exc_hook = step_hook;
	n_steps = 0;
	asm volatile("cli");
	step_sti(NULL);
	asm volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
	rt_printf("dbg: step over sti: traps at 0x%lx 0x%lx 0x%lx (sti ends at 0x%lx)\n",
		  step_rips[0], step_rips[1], step_rips[2], (uint64_t)after_sti);
	EXPECT(n_steps >= 3);
	n_steps = 0;
	step_movss(NULL);
	asm volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
	rt_printf("dbg: step over mov ss: traps at 0x%lx 0x%lx (mov ss ends at 0x%lx)\n",
		  step_rips[0], step_rips[1], (uint64_t)after_movss);
	EXPECT(!seen_step((uint64_t)after_movss));
	EXPECT(seen_step((uint64_t)after_movss_next));
	n_steps = 0;
	/* Asked once before, the stepped CPUID's answer is one the vCPU
	 * keeps: the kind a vendor answers between two entries without the
	 * run loop (vmm/vcpu.c, vcpu_private_fast), which must still step. */
	(void)cpuid(0, 0);
	step_cpuid(NULL);
	asm volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
	rt_printf("dbg: step over cpuid: traps at 0x%lx 0x%lx (cpuid ends at 0x%lx)\n",
		  step_rips[0], step_rips[1], (uint64_t)after_cpuid);
	EXPECT(seen_step((uint64_t)after_cpuid));
	rt_exc_hook = NULL;
	asm volatile("cli");
}

extern char after_icebp[];

static void icebp(void *a)
{
	(void)a;
	asm volatile(".byte 0xf1\n"
		     ".globl after_icebp\n"
		     "after_icebp: nop" ::: "memory");
}

static void test_icebp(void)
{
	if (rt_has_flag("no_icebp")) {
		rt_printf("dbg: icebp skipped (no_icebp)\n");
		return;
	}
	write_dr6(0);
	int r = rt_try(icebp, NULL);
	rt_printf("dbg: icebp -> vector %d rip 0x%lx (after it 0x%lx) dr6 0x%lx\n", r - 1,
		  rt_trap_rip, (uint64_t)after_icebp, read_dr6());
	EXPECT_EQ(r, 1 + 1);
	EXPECT_EQ(rt_trap_rip, (uint64_t)after_icebp);
	EXPECT_EQ(read_dr6() & 0xf, 0);
}

static void test_breakpoints(void)
{
	if (rt_has_flag("no_bp")) {
		rt_printf("dbg: breakpoints skipped (no_bp)\n");
		goto step;
	}
	/* Execute breakpoint at target (fault: RIP at the instruction). */
	write_dr6(0);
	write_dr0((uint64_t)target);
	write_dr7(DR7_L0);
	int r = rt_try(target, NULL);
	uint64_t dr6 = read_dr6();
	write_dr7(0);
	rt_printf("dbg: execute breakpoint -> vector %d rip 0x%lx dr6 0x%lx\n", r - 1, rt_trap_rip, dr6);
	EXPECT_EQ(r, 1 + 1);
	EXPECT_EQ(rt_trap_rip, (uint64_t)target);
	if (!no_dr6) {
		EXPECT_EQ(dr6 & 0xf, 1);
		EXPECT_EQ(dr6 & DR6_BS, 0);
	}

	/* Data write breakpoint on wvar, 8 bytes (trap: after the store). */
	write_dr6(0);
	write_dr1((uint64_t)&wvar);
	write_dr7(DR7_L1 | 1ull << 20 | 3ull << 22);
	EXPECT_EQ(rt_try(store_other, NULL), 0);
	EXPECT_EQ(other, 0x5678);
	r = rt_try(store_wvar, NULL);
	dr6 = read_dr6();
	write_dr7(0);
	rt_printf("dbg: data write breakpoint -> vector %d dr6 0x%lx, value 0x%lx\n", r - 1, dr6, wvar);
	EXPECT_EQ(r, 1 + 1);
	if (!no_dr6)
		EXPECT_EQ(dr6 & 0xf, 2);
	EXPECT_EQ(wvar, 0x1234);
	EXPECT_EQ(read_dr0(), (uint64_t)target);
	EXPECT_EQ(read_dr1(), (uint64_t)&wvar);

step:
	/* Single step. */
	write_dr6(0);
	r = rt_try(single_step, NULL);
	dr6 = read_dr6();
	rt_printf("dbg: single step -> vector %d dr6 0x%lx\n", r - 1, dr6);
	EXPECT_EQ(r, 1 + 1);
	if (!no_dr6) {
		EXPECT(dr6 & DR6_BS);
		EXPECT_EQ(dr6 & 0xf, 0);
	}
	write_dr6(0);
	EXPECT_EQ(read_dr6(), DR6_FIXED);
	EXPECT_EQ(read_dr7(), 0x400);
}

/* ---- #AC at CPL 3 --------------------------------------------------------- */

static uint8_t buf[16] __attribute__((aligned(16)));
extern char ac_load[];

static void user_ac(void)
{
	asm volatile("pushfq; orq $0x40000, (%%rsp); popfq\n\t"
		     ".globl ac_load\n"
		     "ac_load: movl (%0), %%eax\n\t"
		     "hlt" ::"r"(buf + 1) : "rax", "memory", "cc");
	for (;;)
		;
}

static uint64_t loop_end, n_db, n_ac;

static bool loop_hook(uint64_t vec, uint64_t err, uint64_t *rip, uint64_t *rflags)
{
	(void)err, (void)rip;
	if (vec == 1) {
		n_db++;
		if (rdtsc() >= loop_end)
			*rflags &= ~RFLAGS_TF;
		return true;
	}
	if (vec == 17) {
		/* Back to the same load: #AC again, until the time is up. */
		n_ac++;
		if (rdtsc() >= loop_end)
			*rflags &= ~RFLAGS_AC;
		return true;
	}
	return false;
}

static void test_ac(void)
{
	write_cr0(read_cr0() | CR0_AM);
	if (rt_has_flag("no_ac")) {
		rt_printf("dbg: #AC skipped (no_ac)\n");
		return;
	}
	int r = rt_user_run(user_ac);
	rt_printf("dbg: misaligned load at CPL 3 with AC -> vector %d err 0x%lx\n", r - 1, rt_trap_err);
	EXPECT_EQ(r, 17 + 1);
	EXPECT_EQ(rt_trap_err, 0);
	EXPECT_EQ(rt_trap_rip, (uint64_t)ac_load);
}

static void test_loops(uint64_t seconds)
{
	uint64_t ticks = tsc_khz ? tsc_khz * 1000 * seconds : 20000000;

	rt_exc_hook = loop_hook;
	loop_end = rdtsc() + ticks;
	asm volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
	while (rdtsc() < loop_end)
		;
	asm volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
	rt_printf("dbg: #DB loop: %lu single-step traps in %lu s\n", n_db, seconds);
	EXPECT(n_db > 100);

	if (rt_has_flag("no_ac"))
		goto out;
	loop_end = rdtsc() + ticks;
	int r = rt_user_run(user_ac);
	rt_printf("dbg: #AC loop: %lu alignment checks in %lu s\n", n_ac, seconds);
	EXPECT_EQ(r, 13 + 1);   /* then the HLT after the load, at CPL 3 */
	EXPECT(n_ac > 100);
out:
	rt_exc_hook = NULL;
	write_cr0(read_cr0() & ~CR0_AM);
}

/* ---- the CVE-2015-8104 pattern ------------------------------------------ */

static uint8_t db_stack[4096] __attribute__((aligned(16)));

static void storm(void)
{
	uint64_t top = (uint64_t)db_stack + sizeof(db_stack);

	rt_set_ist(1, 1, top);
	write_dr0(top - 8);                     /* the pushed SS */
	write_dr7(DR7_L0 | 1ull << 16 | 3ull << 18);
	rt_printf("dbg: storm: #DB with a write breakpoint on its own stack\n");
	asm volatile("pushfq; orq $0x100, (%%rsp); popfq; nop" ::: "memory", "cc");
	rt_printf("dbg: storm ended (the CPU would not get here)\n");
	rt_exit(1);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	struct cpuid_regs h = cpuid(0x40000000, 0);

	if (!rt_bare && h.eax >= 0x40000010 && h.eax < 0x40000100)
		tsc_khz = cpuid(0x40000010, 0).eax;
	no_dr6 = rt_has_flag("no_dr6");
	if (no_dr6)
		rt_printf("dbg: DR6 bits not checked (no_dr6)\n");
	if (rt_has_flag("storm"))
		storm();
	test_breakpoints();
	test_step_shadows();
	test_icebp();
	test_ac();
	test_loops(rt_arg_ul("seconds=", 2));
	rt_done();
}
