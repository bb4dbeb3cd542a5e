/*
 * la57: 5-level paging (CPUID 7.0 ECX[16], CR4.LA57; SDM Vol. 3A, 4.5).
 *   - CR4.LA57 cannot change in IA-32e mode: setting it (and, in 5-level
 *     paging, clearing it) #GPs, offered or not
 *   - offered: leaves IA-32e mode (compatibility mode, paging off), sets
 *     CR4.LA57, and turns paging back on with a PML5 table whose entries
 *     0 and 1 both lead to the identity map, so that 0x0001000000000000 + x
 *     (canonical in 57 bits only) is x; then through that alias:
 *       - a read of RAM
 *       - an MMIO read of the local APIC's version register (the access
 *         Vatra emulates, its instruction fetched through 5 levels)
 *       - REP OUTSB of a line to COM1 (Vatra's string I/O reads the
 *         bytes through its own 5-level walk): the test script checks
 *         that line in the console log
 *       - REP OUTSB from a linear address whose PML5 entry is not
 *         present: #PF, error code 0, CR2 that address
 *       - REP OUTSB from an address non-canonical in 57 bits: #GP(0)
 *   - hidden: says so (CR4.LA57 is then reserved; crvalid's unit tests
 *     check that a write of it #GPs outside IA-32e mode too)
 */
#include "rt.h"

#define CR4_LA57 (1ull << 12)
#define ALIAS (1ul << 48)              /* PML5 entry 1 */
#define ABSENT (2ul << 48)             /* PML5 entry 2, not present */
#define NONCANON (1ul << 56)           /* bit 56 set, 63:57 clear */

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} packed;

static uint64_t pml5[512] __attribute__((aligned(4096)));
uint32_t la57_cr3;

/* Leaves IA-32e mode through compatibility mode (code selector 0x38),
 * loads CR3 = la57_cr3 with CR4.LA57 set while paging is off, and turns
 * paging on again: the CPU is back in IA-32e mode with 5-level paging
 * (SDM Vol. 3A, 10.8.5 and 4.1.2). */
void la57_switch(void);
__asm__(".text\n"
	".globl la57_switch\n"
	"la57_switch:\n"
	"	pushfq\n"
	"	cli\n"
	"	leaq 1f(%rip), %rax\n"
	"	pushq $0x38\n"
	"	pushq %rax\n"
	"	lretq\n"
	".code32\n"
	"1:	movl %cr0, %eax\n"
	"	andl $0x7fffffff, %eax\n"
	"	movl %eax, %cr0\n"
	"	movl %cr4, %eax\n"
	"	orl $0x1000, %eax\n"
	"	movl %eax, %cr4\n"
	"	movl la57_cr3, %eax\n"
	"	movl %eax, %cr3\n"
	"	movl %cr0, %eax\n"
	"	orl $0x80000000, %eax\n"
	"	movl %eax, %cr0\n"
	"	ljmp $0x08, $2f\n"
	".code64\n"
	"2:	popfq\n"
	"	ret\n");

static uint64_t cr4_val;
static void do_write_cr4(void *a)
{
	(void)a;
	write_cr4(cr4_val);
}

static int try_cr4(uint64_t v)
{
	cr4_val = v;
	return rt_try(do_write_cr4, NULL);
}

static const char *outs_src;
static uint64_t outs_len;
static void do_outs(void *a)
{
	const char *s = outs_src;
	uint64_t n = outs_len;

	(void)a;
	asm volatile("rep outsb" : "+S"(s), "+c"(n) : "d"(0x3f8) : "memory");
}

static int try_outs(uint64_t src, uint64_t n)
{
	outs_src = (const char *)src;
	outs_len = n;
	return rt_try(do_outs, NULL);
}

static volatile uint64_t marker = 0x5a57a11a5a57a11aull;
static const char line[] = "la57: this line went out by REP OUTSB through a 5-level mapping\n";

int main(uint32_t mb_magic, uint64_t mb_info)
{
	struct gdt_ptr g;
	bool offered;
	uint64_t cr4 = read_cr4();

	(void)mb_magic, (void)mb_info;
	offered = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ecx >> 16 & 1);
	rt_printf("la57: CPUID 7.0 ECX[16] %s\n", offered ? "offered" : "hidden");

	/* In IA-32e mode LA57 cannot change, whatever CPUID says. */
	EXPECT_EQ(try_cr4(cr4 | CR4_LA57), 13 + 1);
	EXPECT_EQ(rt_trap_err, 0);
	EXPECT_EQ(read_cr4(), cr4);
	rt_printf("la57: setting CR4.LA57 in IA-32e mode: #GP\n");
	if (!offered) {
		rt_printf("la57: not offered: 4-level paging only\n");
		rt_done();
	}

	/* A 32-bit code segment for the way out of IA-32e mode. */
	asm volatile("sgdt %0" : "=m"(g));
	EXPECT(g.limit >= 0x3f);
	((uint64_t *)g.base)[7] = 0x00CF9A000000FFFFull;
	pml5[0] = (uint64_t)rt_pml4 | PTE_P | PTE_RW | PTE_US;
	pml5[1] = (uint64_t)rt_pml4 | PTE_P | PTE_RW | PTE_US;
	la57_cr3 = (uint32_t)(uint64_t)pml5;
	la57_switch();
	cr4 = read_cr4();
	rt_printf("la57: 5-level paging on: CR4 0x%lx, CR3 0x%lx\n", cr4, read_cr3());
	EXPECT(cr4 & CR4_LA57);
	EXPECT_EQ(read_cr3(), (uint64_t)pml5);

	/* Clearing it now #GPs too. */
	EXPECT_EQ(try_cr4(cr4 & ~CR4_LA57), 13 + 1);
	EXPECT(read_cr4() & CR4_LA57);
	rt_printf("la57: clearing CR4.LA57 in IA-32e mode: #GP\n");

	/* RAM and MMIO through PML5 entry 1. */
	uint64_t m = *(volatile uint64_t *)(ALIAS + (uint64_t)&marker);
	rt_printf("la57: RAM read at 0x%lx: 0x%lx\n", ALIAS + (uint64_t)&marker, m);
	EXPECT_EQ(m, marker);
	uint32_t ver = *(volatile uint32_t *)0xFEE00030ul;
	uint32_t hver = *(volatile uint32_t *)(ALIAS + 0xFEE00030ul);
	rt_printf("la57: LAPIC version 0x%x, through the alias 0x%x\n", ver, hver);
	EXPECT_EQ(hver, ver);
	EXPECT(ver != 0 && ver != 0xffffffffu);

	/* String I/O: the emulator reads the bytes through 5 levels. */
	EXPECT_EQ(try_outs(ALIAS + (uint64_t)line, sizeof(line) - 1), 0);
	EXPECT_EQ(try_outs(ABSENT + (uint64_t)line, 4), 14 + 1);
	rt_printf("la57: REP OUTSB from 0x%lx: #PF, error 0x%lx, CR2 0x%lx\n", ABSENT + (uint64_t)line,
		  rt_trap_err, rt_trap_cr2);
	EXPECT_EQ(rt_trap_err, 0);
	EXPECT_EQ(rt_trap_cr2, ABSENT + (uint64_t)line);
	EXPECT_EQ(try_outs(NONCANON + (uint64_t)line, 4), 13 + 1);
	rt_printf("la57: REP OUTSB from 0x%lx (not canonical in 57 bits): #GP(%lu)\n",
		  NONCANON + (uint64_t)line, rt_trap_err);
	EXPECT_EQ(rt_trap_err, 0);
	rt_done();
}
