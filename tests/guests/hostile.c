/*
 * hostile: accesses Vatra emulates must obey the guest's own page tables,
 * and faults inside them must reach the guest as the CPU would give them.
 * Vatra only. Default (the partition lives):
 *   - REP INSB from port 0x2f0 running into an unmapped page: #PF with
 *     CR2 = the page, error code 2, RCX/RDI at the faulting element, the
 *     elements before it stored
 *   - MOVSB from the test device to a read-only page with CR0.WP = 1: #PF
 *     error code 3 and the page unchanged; with WP = 0 the write is done
 *   - at CPL 3, MOVSB from the test device to a supervisor page: #PF error
 *     code 7; to a user page it works
 *   - an instruction the MMIO emulator does not have (PUSH from the test
 *     device): #UD in the guest at the instruction
 *   - a CPUID at one linear address, its page remapped to code with a
 *     prefix in front: each run is read as the code then mapped
 * case=walk: a page table at the LAPIC's address, then a store through it:
 *   Vatra must stop the partition (a page walk through device memory),
 *   never turn the store into a LAPIC register write.
 * case=event: #GP with RSP on the test device, so that delivering it
 *   pushes onto device memory: Vatra must stop the partition, naming the
 *   vector, never emulate the instruction at RIP.
 */
#include "rt.h"

#define DEV(off) (TESTDEV_BASE + (off))
#define HOLE 0x800000ull   /* a 2 MiB page of RAM nothing uses: unmapped, RO, supervisor */
#define PF_W 2u
#define PF_P 1u
#define PF_U 4u

static uint64_t saved_pde;

static void set_pde(uint64_t va, uint64_t v)
{
	*rt_pde(va) = v;
	invlpg((void *)va);
}

struct ins_args {
	uint64_t rdi, rcx;
};

asm(".text\n"
    "hostile_insb: movq 8(%rdi), %rcx\n"
    "  movq (%rdi), %rdi\n"
    "  movw $0x2f0, %dx\n"
    "hostile_insb_insn: rep insb\n"
    "  ret\n");
void hostile_insb(void *);
extern const char hostile_insb_insn[];

/* 10 elements from 4 bytes below an unmapped page: 4 are done, the fifth
 * faults with RDI on the page and RCX = 6 (SDM Vol. 2B, REP: the state
 * of a fault mid-REP is that of the elements completed). */
static void test_insb_fault(void)
{
	uint8_t *buf = (uint8_t *)(HOLE - 4);
	struct ins_args a = { (uint64_t)buf, 10 };
	int r;

	memset(buf, 0x11, 4);
	set_pde(HOLE, 0);
	r = rt_try(hostile_insb, &a);
	EXPECT_EQ(r, 14 + 1);
	EXPECT_EQ(rt_trap_err, PF_W);
	EXPECT_EQ(rt_trap_cr2, HOLE);
	EXPECT_EQ(rt_trap_rip, (uint64_t)hostile_insb_insn);
	EXPECT_EQ(rt_trap_rdi, HOLE);
	EXPECT_EQ(rt_trap_rcx, 6);
	EXPECT(buf[0] == 0xff && buf[1] == 0xff && buf[2] == 0xff && buf[3] == 0xff);
	rt_printf("hostile: rep insb into an unmapped page: vector %lu err 0x%lx cr2 0x%lx "
		  "rdi 0x%lx rcx %lu\n", rt_trap_vec, rt_trap_err, rt_trap_cr2, rt_trap_rdi,
		  rt_trap_rcx);
	set_pde(HOLE, saved_pde);
}

struct movs_args {
	uint64_t dst, src;
};

static void do_movsb(void *p)
{
	struct movs_args *a = p;
	uint64_t d = a->dst, s = a->src, n = 1;
	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static void test_readonly(void)
{
	volatile uint8_t *dst = (uint8_t *)(HOLE + 0x123);
	struct movs_args a = { (uint64_t)dst, DEV(TESTDEV_ID) };
	int r;

	*dst = 0x77;
	set_pde(HOLE, saved_pde & ~PTE_RW);
	r = rt_try(do_movsb, &a);
	EXPECT_EQ(r, 15);
	EXPECT_EQ(rt_trap_err, PF_P | PF_W);
	EXPECT_EQ(rt_trap_cr2, (uint64_t)dst);
	EXPECT_EQ(*dst, 0x77);
	rt_printf("hostile: movsb device->read-only page, WP=1: vector %lu err 0x%lx\n",
		  rt_trap_vec, rt_trap_err);
	/* CR0.WP = 0: a supervisor may write read-only pages. */
	write_cr0(read_cr0() & ~(1ull << 16));
	r = rt_try(do_movsb, &a);
	write_cr0(read_cr0() | (1ull << 16));
	EXPECT_EQ(r, 0);
	EXPECT_EQ(*dst, 0x30);   /* the ID register's first byte */
	set_pde(HOLE, saved_pde);
}

static struct movs_args user_args;
static volatile uint64_t user_done;

/* CPL 3: one MOVSB, then HLT (#GP) to come back. */
static void user_movsb(void)
{
	uint64_t d = user_args.dst, s = user_args.src, n = 1;
	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	user_done = 1;
	asm volatile("hlt");
	for (;;)
		;
}

static void test_user_supervisor(void)
{
	volatile uint8_t *dst = (uint8_t *)(HOLE + 0x456);
	int r;

	*dst = 0x55;
	user_args = (struct movs_args){ (uint64_t)dst, DEV(TESTDEV_ID) };
	set_pde(HOLE, saved_pde & ~PTE_US);
	user_done = 0;
	r = rt_user_run(user_movsb);
	EXPECT_EQ(r, 15);
	EXPECT_EQ(rt_trap_err, PF_P | PF_W | PF_U);
	EXPECT_EQ(rt_trap_cr2, (uint64_t)dst);
	EXPECT_EQ(*dst, 0x55);
	EXPECT_EQ(user_done, 0);
	rt_printf("hostile: cpl 3 movsb device->supervisor page: vector %lu err 0x%lx\n",
		  rt_trap_vec, rt_trap_err);
	set_pde(HOLE, saved_pde);
	r = rt_user_run(user_movsb);
	EXPECT_EQ(r, 14);       /* reached the HLT: #GP */
	EXPECT_EQ(user_done, 1);
	EXPECT_EQ(*dst, 0x30);
}

asm(".text\n"
    "hostile_push: pushq (%rdi)\n"
    "  popq %rax\n"
    "  ret\n");
void hostile_push(void *);

/* PUSH from device memory is not emulated: #UD at the instruction. */
static void test_unknown_ud(void)
{
	int r = rt_try(hostile_push, (void *)DEV(TESTDEV_SCRATCH));
	EXPECT_EQ(r, 6 + 1);
	EXPECT_EQ(rt_trap_rip, (uint64_t)hostile_push);
	rt_printf("hostile: push from device memory: vector %d\n", r - 1);
}

/* A 4 KiB page table for HOLE's first 2 MiB: one linear page whose code
 * changes under the same RIP. */
static uint64_t code_pt[512] __attribute__((aligned(4096)));

/* PUSH RBX; CPUID; POP RBX; RET, and the same with a CS prefix on the
 * CPUID. Read with the first one's length (2), the second would go on
 * at its A2 opcode byte: MOV moffs64, AL to 0xffffffffffffc35b, a #PF. */
static const uint8_t code_plain[] = { 0x53, 0x0f, 0xa2, 0x5b, 0xc3 };
static const uint8_t code_prefixed[] = { 0x53, 0x2e, 0x0f, 0xa2, 0x5b, 0xc3, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff };

/* Without NRIP save Vatra reads the exiting instruction through the
 * guest's page tables to find its length. The same RIP, after its page
 * was remapped (and INVLPG'd) to other code, must be read as the new
 * code, whatever Vatra kept of the walk before. */
static void test_remapped_code(void)
{
	uint8_t *a = (uint8_t *)(HOLE + 0x1000), *b = (uint8_t *)(HOLE + 0x2000);
	void (*fn)(void *) = (void (*)(void *))(HOLE + 0x10);
	int r1, r2, r3;

	memcpy(a + 0x10, code_plain, sizeof(code_plain));
	memcpy(b + 0x10, code_prefixed, sizeof(code_prefixed));
	code_pt[0] = (uint64_t)(uintptr_t)a | PTE_P | PTE_RW;
	set_pde(HOLE, (uint64_t)(uintptr_t)code_pt | PTE_P | PTE_RW);
	r1 = rt_try(fn, NULL);
	r2 = rt_try(fn, NULL);
	code_pt[0] = (uint64_t)(uintptr_t)b | PTE_P | PTE_RW;
	invlpg((void *)fn);
	r3 = rt_try(fn, NULL);
	set_pde(HOLE, saved_pde);
	EXPECT_EQ(r1, 0);
	EXPECT_EQ(r2, 0);
	EXPECT_EQ(r3, 0);
	rt_printf("hostile: cpuid at one address, its page remapped to other code: %s\n",
		  r1 || r2 || r3 ? "FAILED" : "each read as it was");
}

/* A page table at the LAPIC: PDE -> 0xFEE00000; VA 0xC60000 uses PTE
 * index 0x60, read from 0xFEE00300 (the ICR). */
static noreturn void case_walk(void)
{
	volatile uint32_t *va = (volatile uint32_t *)0xc60000ull;
	set_pde((uint64_t)va, 0xfee00000ull | PTE_P | PTE_RW);
	rt_printf("hostile: store through a page table at the LAPIC\n");
	*va = 0x000c40fe;  /* a self-IPI if it reached the ICR */
	rt_printf("FAIL: the store returned\n");
	rt_exit(1);
}

static noreturn void case_event(void)
{
	rt_printf("hostile: #GP with the stack on the test device\n");
	asm volatile("movq %0, %%rsp\n\t"
		     "movabsq $0x8000000000000000, %%rax\n\t"
		     "movq (%%rax), %%rax" : : "r"(DEV(0x800)) : "rax", "memory");
	rt_printf("FAIL: delivery returned\n");
	rt_exit(1);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	char c[16];

	(void)mb_magic, (void)mb_info;
	if (rt_bare) {
		rt_printf("hostile: skipped (bare)\n");
		rt_done();
	}
	saved_pde = *rt_pde(HOLE);
	if (rt_arg_str("case=", c, sizeof(c))) {
		if (!strcmp(c, "walk"))
			case_walk();
		if (!strcmp(c, "event"))
			case_event();
		rt_printf("hostile: unknown case\n");
		rt_exit(2);
	}
	test_insb_fault();
	test_readonly();
	test_user_supervisor();
	test_unknown_ud();
	test_remapped_code();
	rt_done();
}
