/*
 * exc: exceptions raised in the guest go to the guest's own IDT, with the
 * right vector, error code, saved RIP and CR2.
 *   #DE (div by 0), #UD (ud2), #BP (int3, RIP after it), #NM (x87 with
 *   CR0.TS), #GP(0) (non-canonical load; RDMSR 0x12345678 under Vatra),
 *   #PF (a 2 MiB page unmapped: read err 0, write err 2, fetch err 0x10;
 *   read-only page write err 3; NX page fetch err 0x11), INT 0x30.
 * Flag `bare`: skip the RDMSR #GP.
 */
#include "rt.h"

/* Each faulting instruction has a label, to check the saved RIP. */
asm(".text\n"
    "exc_de: movl $1, %eax\n xorl %edx, %edx\n xorl %ecx, %ecx\n"
    "exc_de_insn: divl %ecx\n ret\n"
    "exc_ud: ud2\n ret\n"
    "exc_bp: int3\n"
    "exc_bp_after: ret\n"
    "exc_nm: fninit\n ret\n"
    "exc_gp: movabsq $0x8000000000000000, %rax\n"
    "exc_gp_insn: movq (%rax), %rax\n ret\n"
    "exc_msr: movl $0x12345678, %ecx\n"
    "exc_msr_insn: rdmsr\n ret\n"
    "exc_int: int $0x30\n ret\n");
void exc_de(void *), exc_ud(void *), exc_bp(void *), exc_nm(void *), exc_gp(void *),
	exc_msr(void *), exc_int(void *);
extern const char exc_de_insn[], exc_bp_after[], exc_gp_insn[], exc_msr_insn[];

static void expect_exc(const char *name, void (*fn)(void *), void *arg, unsigned vec,
		       uint64_t err, const void *rip, uint64_t cr2)
{
	int r = rt_try(fn, arg);
	rt_printf("exc: %-22s -> vector %d err 0x%lx rip 0x%lx cr2 0x%lx\n", name, r - 1,
		  rt_trap_err, rt_trap_rip, rt_trap_cr2);
	bool ok = EXPECT_EQ(r, vec + 1);
	ok &= EXPECT_EQ(rt_trap_err, err);
	if (rip)
		ok &= EXPECT_EQ(rt_trap_rip, (uint64_t)rip);
	if (vec == 14)
		ok &= EXPECT_EQ(rt_trap_cr2, cr2);
	if (!ok)
		rt_printf("  in: %s\n", name);
}

static void do_read(void *p) { (void)*(volatile uint64_t *)p; }
static void do_write(void *p) { *(volatile uint64_t *)p = 1; }
static void do_call(void *p) { ((void (*)(void))p)(); }

#define PF_PAGE 0x800000ull /* a 2 MiB page of RAM that nothing uses */

static void set_pde(uint64_t v)
{
	*rt_pde(PF_PAGE) = v;
	invlpg((void *)PF_PAGE);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;

	expect_exc("#DE div by zero", exc_de, NULL, 0, 0, exc_de_insn, 0);
	expect_exc("#UD ud2", exc_ud, NULL, 6, 0, exc_ud, 0);
	expect_exc("#BP int3", exc_bp, NULL, 3, 0, exc_bp_after, 0);
	write_cr0(read_cr0() | 8);
	expect_exc("#NM fninit with CR0.TS", exc_nm, NULL, 7, 0, exc_nm, 0);
	asm volatile("clts");
	EXPECT_EQ(rt_try(exc_nm, NULL), 0);
	expect_exc("#GP non-canonical load", exc_gp, NULL, 13, 0, exc_gp_insn, 0);
	if (!rt_bare)
		expect_exc("#GP rdmsr 0x12345678", exc_msr, NULL, 13, 0, exc_msr_insn, 0);

	uint64_t pde = *rt_pde(PF_PAGE);
	uint64_t a = PF_PAGE + 0x1238;
	set_pde(0);
	expect_exc("#PF read, not present", do_read, (void *)a, 14, 0, NULL, a);
	expect_exc("#PF write, not present", do_write, (void *)a, 14, 2, NULL, a);
	expect_exc("#PF fetch, not present", do_call, (void *)a, 14, rt_nx ? 0x10 : 0, (void *)a, a);
	set_pde(pde & ~PTE_RW);
	EXPECT_EQ(rt_try(do_read, (void *)a), 0);
	expect_exc("#PF write, read-only", do_write, (void *)a, 14, 3, NULL, a);
	if (rt_nx) {
		set_pde(pde | PTE_NX);
		expect_exc("#PF fetch, NX", do_call, (void *)a, 14, 0x11, (void *)a, a);
	} else {
		rt_printf("exc: no NX, skip the NX fetch\n");
	}
	set_pde(pde);
	EXPECT_EQ(rt_try(do_write, (void *)a), 0);

	uint32_t before = rt_irq_count[0x30];
	EXPECT_EQ(rt_try(exc_int, NULL), 0);
	EXPECT_EQ(rt_irq_count[0x30], before + 1);
	rt_printf("exc: int 0x30 handled\n");
	rt_done();
}
