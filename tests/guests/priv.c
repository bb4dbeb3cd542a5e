/*
 * priv: privileged instructions, one by one, with what the guest sees.
 *   MOV CR0/CR3/CR4/CR8 (round trips; CR4.VMXE #GP on Intel, Vatra only),
 *   LMSW, CLTS, MOV DR0-3/6/7, INVD, WBINVD, INVLPG after a PTE change,
 *   LGDT/LIDT/LLDT/LTR (read back with SGDT/SIDT/SLDT/STR, and used),
 *   RDTSC monotonic, RDTSCP with TSC_AUX,
 *   RDPMC #GP and HLT woken by TEST_INJECT (Vatra only).
 * Flag `bare`: skip the Vatra-only checks.
 */
#include "rt.h"

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} packed;

/* Write try_val to a control register, inside rt_try. */
static uint64_t try_val;
static void do_write_cr4(void *a) { (void)a; write_cr4(try_val); }
static void do_write_cr0(void *a) { (void)a; write_cr0(try_val); }
static void do_write_cr3(void *a) { (void)a; write_cr3(try_val); }
static void do_write_efer(void *a) { (void)a; wrmsr(0xc0000080, try_val); }
static void do_write_dr6(void *a) { (void)a; asm volatile("mov %0, %%dr6" :: "r"(try_val)); }
static void do_write_dr7(void *a) { (void)a; asm volatile("mov %0, %%dr7" :: "r"(try_val)); }
static void do_read_dr4(void *a) { uint64_t v; (void)a; asm volatile("mov %%dr4, %0" : "=r"(v)); }
static void do_read(void *a) { (void)*(volatile uint64_t *)a; }
static void do_int3(void *a) { (void)a; asm volatile("int3"); }
static void do_invd(void *a) { (void)a; asm volatile("wbinvd; invd" ::: "memory"); }
static void do_wbinvd(void *a) { (void)a; asm volatile("wbinvd" ::: "memory"); }
static void do_rdpmc(void *a)
{
	(void)a;
	uint32_t lo, hi;
	asm volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0));
}

static void expect_gp(void (*fn)(void *), uint64_t v, const char *what)
{
	try_val = v;
	int r = rt_try(fn, NULL);
	rt_printf("priv: %s 0x%lx -> %s\n", what, v, r == 14 ? "#GP" : "no #GP");
	EXPECT_EQ(r, 13 + 1);
	EXPECT_EQ(rt_trap_err, 0);
}

static void test_cr0(void)
{
	uint64_t cr0 = read_cr0();
	rt_printf("priv: cr0 0x%lx\n", cr0);
	EXPECT_EQ(cr0, CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE);

	static const uint64_t bits[] = {CR0_MP, CR0_NE, CR0_WP, CR0_AM, CR0_CD};
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		write_cr0(cr0 ^ bits[i]);
		EXPECT_EQ(read_cr0(), cr0 ^ bits[i]);
		write_cr0(cr0);
		EXPECT_EQ(read_cr0(), cr0);
	}
	EXPECT_EQ(read_cr0(), cr0);

	/* LMSW loads PE MP EM TS but cannot clear PE. */
	asm volatile("lmsw %0" ::"r"((uint16_t)(CR0_PE | CR0_MP | CR0_EM | CR0_TS)));
	EXPECT_EQ(read_cr0(), cr0 | CR0_MP | CR0_EM | CR0_TS);
	asm volatile("lmsw %0" ::"r"((uint16_t)0));
	EXPECT_EQ(read_cr0(), cr0 & ~(CR0_MP | CR0_EM | CR0_TS));
	write_cr0(cr0);

	/* CLTS clears TS and nothing else. */
	write_cr0(cr0 | CR0_TS);
	EXPECT_EQ(read_cr0(), cr0 | CR0_TS);
	asm volatile("clts");
	EXPECT_EQ(read_cr0(), cr0);
	rt_printf("priv: cr0 round trips, lmsw, clts done\n");
}

/* A second PML4 that also maps [0, 512 GiB) at ALIAS, to see CR3 in use. */
static uint64_t pml4_copy[512] __attribute__((aligned(4096)));
static volatile uint64_t marker = 0x5eed5eed5eed5eedull;
#define ALIAS 0x8000000000ull

static void test_cr3(void)
{
	uint64_t cr3 = read_cr3();
	rt_printf("priv: cr3 0x%lx\n", cr3);
	EXPECT_EQ(cr3, (uint64_t)rt_pml4);

	memcpy(pml4_copy, rt_pml4, sizeof(pml4_copy));
	pml4_copy[1] = pml4_copy[0];
	write_cr3((uint64_t)pml4_copy);
	EXPECT_EQ(read_cr3(), (uint64_t)pml4_copy);
	EXPECT_EQ(*(volatile uint64_t *)(ALIAS + (uint64_t)&marker), marker);
	write_cr3(cr3);
	EXPECT_EQ(read_cr3(), cr3);
	EXPECT_EQ(rt_try(do_read, (void *)(ALIAS + (uint64_t)&marker)), 14 + 1);
	EXPECT_EQ(rt_trap_cr2, ALIAS + (uint64_t)&marker);
}

static void test_cr4(void)
{
	uint64_t cr4 = read_cr4();
	rt_printf("priv: cr4 0x%lx\n", cr4);
	EXPECT_EQ(cr4, CR4_PAE);

	/* TSD DE PGE PCE OSFXSR OSXMMEXCPT */
	static const unsigned bits[] = {2, 3, 7, 8, 9, 10};
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		write_cr4(cr4 ^ 1ull << bits[i]);
		EXPECT_EQ(read_cr4(), cr4 ^ 1ull << bits[i]);
		write_cr4(cr4);
		EXPECT_EQ(read_cr4(), cr4);
	}
	EXPECT_EQ(read_cr4(), cr4);
}

static void test_cr8(void)
{
	rt_printf("priv: cr8 0x%lx\n", read_cr8());
	static const uint64_t v[] = {5, 15, 1, 0};
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		write_cr8(v[i]);
		EXPECT_EQ(read_cr8(), v[i]);
	}
	EXPECT_EQ(read_cr8(), 0);
}


static void test_dr(void)
{
	write_dr0(0x1000);
	write_dr1(0x2000);
	write_dr2(0xffff800000003000ull);
	write_dr3(0x4000);
	EXPECT_EQ(read_dr0(), 0x1000);
	EXPECT_EQ(read_dr1(), 0x2000);
	EXPECT_EQ(read_dr2(), 0xffff800000003000ull);
	EXPECT_EQ(read_dr3(), 0x4000);
	write_dr7(0);
	EXPECT_EQ(read_dr7(), 0x400);
	write_dr7(0x00010000); /* R/W0 = write, breakpoint 0 still disabled */
	EXPECT_EQ(read_dr7(), 0x00010400);
	write_dr7(0);
	write_dr6(0);
	EXPECT_EQ(read_dr6(), 0xffff0ff0);
	rt_printf("priv: dr0-3 round trip, dr6 0x%lx, dr7 0x%lx\n", read_dr6(), read_dr7());
	/* MOV to DR6/DR7 with a 1 in bits 63:32 is #GP(0); DR4 is DR6's
	 * alias with CR4.DE clear and #UD with it set (SDM Vol. 2B, MOV DR). */
	try_val = 1ull << 32;
	EXPECT_EQ(rt_try(do_write_dr6, NULL), 13 + 1);
	EXPECT_EQ(rt_try(do_write_dr7, NULL), 13 + 1);
	EXPECT_EQ(read_dr7(), 0x400);
	EXPECT_EQ(rt_try(do_read_dr4, NULL), 0);
	write_cr4(read_cr4() | (1u << 3));
	EXPECT_EQ(rt_try(do_read_dr4, NULL), 6 + 1);
	write_cr4(read_cr4() & ~(1ull << 3));
}

static void test_caches(void)
{
	EXPECT_EQ(rt_try(do_wbinvd, NULL), 0);
	EXPECT_EQ(rt_try(do_invd, NULL), 0);
	rt_printf("priv: wbinvd, invd done\n");
}

/* Split the 2 MiB page holding frames[] into 4 KiB pages, then move the
 * PTE of frames[0] to frames[1]'s frame: after INVLPG the guest sees it. */
static uint8_t frames[2][4096] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));

static void test_invlpg(void)
{
	volatile uint8_t *p = frames[0];
	uint64_t region = (uint64_t)p & ~0x1fffffull;
	uint64_t *pde = rt_pde((uint64_t)p), old = *pde;
	unsigned idx = ((uint64_t)p >> 12) & 511;

	frames[0][0] = 0xa1;
	frames[1][0] = 0xb2;
	for (int i = 0; i < 512; i++)
		pt[i] = (region + i * 4096ull) | PTE_P | PTE_RW | PTE_US;
	*pde = (uint64_t)pt | PTE_P | PTE_RW | PTE_US;
	write_cr3(read_cr3());
	EXPECT_EQ(*p, 0xa1);
	pt[idx] = (uint64_t)frames[1] | PTE_P | PTE_RW | PTE_US;
	invlpg(p);
	EXPECT_EQ(*p, 0xb2);
	pt[idx] = (uint64_t)frames[0] | PTE_P | PTE_RW | PTE_US;
	invlpg(p);
	EXPECT_EQ(*p, 0xa1);
	*pde = old;
	write_cr3(read_cr3());
	rt_printf("priv: invlpg after a PTE change done\n");
}

/* Descriptor tables: a new GDT (the old one + an LDT and a TSS), an LDT
 * with one data segment, a new IDT whose #BP gate goes to the #OF stub. */
static uint64_t new_gdt[16] __attribute__((aligned(16)));
static uint64_t ldt[2] __attribute__((aligned(16)));
static uint8_t new_tss[104] __attribute__((aligned(16)));
static uint64_t new_idt[512] __attribute__((aligned(16)));
static volatile uint64_t ldt_target = 0x1d71d71d71d71d7ull;
#define SEL_LDT 0x40
#define SEL_NEW_TSS 0x50

static uint64_t seg_desc(uint64_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffff) | (base & 0xffffff) << 16 | (uint64_t)access << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
	       ((base >> 24) & 0xff) << 56;
}

static void test_tables(void)
{
	struct desc_ptr g, g2, i, i2;
	uint16_t sel;

	asm volatile("sgdt %0" : "=m"(g));
	rt_printf("priv: gdt base 0x%lx limit 0x%x\n", g.base, g.limit);
	EXPECT(g.limit >= 7 * 8 - 1 && g.limit < 8 * ARRAY_SIZE(new_gdt) - 4 * 8);
	memcpy(new_gdt, (void *)g.base, g.limit + 1);
	memcpy(new_tss, (void *)(uint64_t)((new_gdt[5] >> 16 & 0xffffff) | (new_gdt[5] >> 56) << 24 |
					   new_gdt[6] << 32),
	       sizeof(new_tss));
	new_gdt[SEL_LDT / 8] = seg_desc((uint64_t)ldt, sizeof(ldt) - 1, 0x82, 0);
	new_gdt[SEL_LDT / 8 + 1] = (uint64_t)ldt >> 32;
	new_gdt[SEL_NEW_TSS / 8] = seg_desc((uint64_t)new_tss, sizeof(new_tss) - 1, 0x89, 0);
	new_gdt[SEL_NEW_TSS / 8 + 1] = (uint64_t)new_tss >> 32;
	ldt[0] = seg_desc((uint64_t)&ldt_target, 0xfffff, 0x92, 0xc);

	struct desc_ptr n = {sizeof(new_gdt) - 1, (uint64_t)new_gdt};
	asm volatile("lgdt %0" ::"m"(n));
	asm volatile("sgdt %0" : "=m"(g2));
	EXPECT_EQ(g2.base, (uint64_t)new_gdt);
	EXPECT_EQ(g2.limit, sizeof(new_gdt) - 1);

	asm volatile("lldt %w0" ::"r"(SEL_LDT));
	asm volatile("sldt %w0" : "=r"(sel));
	EXPECT_EQ(sel, SEL_LDT);
	uint64_t v;
	asm volatile("movw $4, %%ax; movw %%ax, %%fs; movq %%fs:0, %0; xorl %%eax, %%eax; movw %%ax, %%fs"
		     : "=r"(v)
		     :
		     : "rax");
	EXPECT_EQ(v, ldt_target); /* FS = LDT selector 0: base = &ldt_target */
	wrmsr(0xC0000100, 0);
	asm volatile("lldt %w0" ::"r"(0));
	asm volatile("sldt %w0" : "=r"(sel));
	EXPECT_EQ(sel, 0);

	asm volatile("ltr %w0" ::"r"(SEL_NEW_TSS));
	asm volatile("str %w0" : "=r"(sel));
	EXPECT_EQ(sel, SEL_NEW_TSS);
	EXPECT_EQ(new_gdt[SEL_NEW_TSS / 8] >> 40 & 0xf, 0xb); /* marked busy */
	rt_printf("priv: lgdt, lldt, ltr done (str 0x%x)\n", sel);
	/* The new GDT stays loaded: TR now refers to it. */

	asm volatile("sidt %0" : "=m"(i));
	EXPECT_EQ(i.limit, 256 * 16 - 1);
	memcpy(new_idt, (void *)i.base, sizeof(new_idt));
	new_idt[3 * 2] = new_idt[4 * 2];
	new_idt[3 * 2 + 1] = new_idt[4 * 2 + 1];
	struct desc_ptr ni = {sizeof(new_idt) - 1, (uint64_t)new_idt};
	asm volatile("lidt %0" ::"m"(ni));
	asm volatile("sidt %0" : "=m"(i2));
	EXPECT_EQ(i2.base, (uint64_t)new_idt);
	EXPECT_EQ(i2.limit, sizeof(new_idt) - 1);
	EXPECT_EQ(rt_try(do_int3, NULL), 4 + 1); /* the #OF stub ran */
	asm volatile("lidt %0" ::"m"(i));
	EXPECT_EQ(rt_try(do_int3, NULL), 3 + 1);
	rt_printf("priv: lidt done\n");
}

static void test_tsc(void)
{
	uint64_t first = rdtsc(), prev = first;
	bool mono = true;
	for (int i = 0; i < 1000; i++) {
		uint64_t t = rdtsc();
		mono &= t >= prev;
		prev = t;
	}
	EXPECT(mono);
	EXPECT(prev > first);
	rt_printf("priv: rdtsc monotonic over 1000 reads (%lu cycles)\n", prev - first);

	if (!(cpuid(0x80000001, 0).edx & 1u << 27)) {
		rt_printf("priv: no RDTSCP in CPUID\n");
		EXPECT(!"RDTSCP in CPUID");
		return;
	}
	uint64_t old = rdmsr(0xC0000103);
	wrmsr(0xC0000103, 0x1234);
	uint32_t lo, hi, aux;
	uint64_t t0 = rdtsc();
	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	uint64_t t1 = rdtsc(), t = (uint64_t)hi << 32 | lo;
	wrmsr(0xC0000103, old);
	EXPECT_EQ(aux, 0x1234);
	EXPECT(t0 <= t && t <= t1);
	rt_printf("priv: rdtscp aux 0x%x\n", aux);
}

/* The #GP rules of MOV to CR0/CR3/CR4 and WRMSR to EFER in 64-bit mode
 * (SDM Vol. 2B, MOV—Move to/from Control Registers; Vol. 3A, 4.1.2):
 * CR4 and EFER bits of features CPUID does not show fault too. Vatra
 * only: QEMU's TCG lets several of these through (README). */
static void test_cr_rules(void)
{
	uint64_t cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
	uint64_t efer = rdmsr(0xc0000080);
	struct cpuid_regs l1 = cpuid(1, 0), l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){0};
	struct cpuid_regs e1 = cpuid(0x80000001, 0), e8 = cpuid(0x80000008, 0);
	unsigned maxphy = e8.eax & 0xff, faults = 0;

	expect_gp(do_write_cr0, cr0 | 1ull << 32, "mov cr0 bit 32");
	expect_gp(do_write_cr0, cr0 | CR0_NW, "mov cr0 NW without CD");
	expect_gp(do_write_cr0, cr0 & ~CR0_PE, "mov cr0 PG without PE");
	expect_gp(do_write_cr0, cr0 & ~CR0_PG, "mov cr0 clearing PG in 64-bit mode");
	EXPECT_EQ(read_cr0(), cr0);
	expect_gp(do_write_cr4, cr4 & ~CR4_PAE, "mov cr4 clearing PAE in long mode");
	/* Not intercepted: the CPU checks it (QEMU's TCG does not). */
	if (rt_is_intel && maxphy < 63)
		expect_gp(do_write_cr3, cr3 | 1ull << 62, "mov cr3 reserved bit 62");

	/* Every CR4 bit whose feature this CPUID does not show. */
	const struct { unsigned bit; uint32_t reg; int cpuid_bit; } feat[] = {
		{0, l1.edx, 1}, {1, l1.edx, 1}, {2, l1.edx, 4}, {3, l1.edx, 2}, {4, l1.edx, 3},
		{6, l1.edx, 7}, {7, l1.edx, 13}, {9, l1.edx, 24}, {10, l1.edx, 25},
		{11, l7.ecx, 2}, {12, l7.ecx, 16}, {13, l1.ecx, 5}, {14, l1.ecx, 6},
		{16, l7.ebx, 0}, {17, l1.ecx, 17}, {18, l1.ecx, 26}, {19, l7.ecx, 23},
		{20, l7.ebx, 7}, {21, l7.ebx, 20}, {22, l7.ecx, 3}, {24, l7.ecx, 31},
		{25, l7.edx, 5},
	};
	for (unsigned b = 0; b < 64; b++) {
		int known = -1;
		for (size_t i = 0; i < ARRAY_SIZE(feat); i++)
			if (feat[i].bit == b)
				known = (feat[i].reg >> feat[i].cpuid_bit) & 1;
		if (b == 5 || b == 8 || b == 23 || known == 1)
			continue;     /* PAE, PCE: always there; CET: two CPUID bits */
		try_val = cr4 | 1ull << b;
		int r = rt_try(do_write_cr4, NULL);
		if (r != 13 + 1)
			rt_printf("priv: mov cr4 bit %u (not offered) -> no #GP\n", b);
		EXPECT_EQ(r, 13 + 1);
		faults++;
	}
	EXPECT_EQ(read_cr4(), cr4);
	rt_printf("priv: mov cr4: %u bits not offered, each #GP\n", faults);

	/* EFER: LME cannot change with paging on; hidden and reserved bits. */
	expect_gp(do_write_efer, efer & ~(1ull << 8), "wrmsr efer clearing LME in long mode");
	expect_gp(do_write_efer, efer | 1ull << 12, "wrmsr efer SVME (SVM not offered)");
	expect_gp(do_write_efer, efer | 1ull << 13, "wrmsr efer LMSLE");
	expect_gp(do_write_efer, efer | 1ull << 1, "wrmsr efer reserved bit 1");
	expect_gp(do_write_efer, efer | 1ull << 63, "wrmsr efer reserved bit 63");
	if (!(e1.edx & 1u << 25))
		expect_gp(do_write_efer, efer | 1ull << 14, "wrmsr efer FFXSR (not offered)");
	if (!(e1.ecx & 1u << 17))
		expect_gp(do_write_efer, efer | 1ull << 15, "wrmsr efer TCE (not offered)");
	if (!(e1.edx & 1u << 20))
		expect_gp(do_write_efer, efer | 1ull << 11, "wrmsr efer NXE (NX not offered)");
	EXPECT_EQ(rdmsr(0xc0000080), efer);
	wrmsr(0xc0000080, efer);
	EXPECT_EQ(rdmsr(0xc0000080), efer);
}

static void test_vatra_only(void)
{
	test_cr_rules();
	/* VT-x keeps the real CR4.VMXE set: Vatra owns the bit and must make
	 * the guest's write fault, as on a CPU without VMX. (On AMD the bit is
	 * reserved in hardware; emulators do not all fault, so not checked.) */
	if (rt_is_intel) {
		expect_gp(do_write_cr4, read_cr4() | 1ull << 13, "mov cr4 VMXE");
		EXPECT_EQ(read_cr4(), CR4_PAE);
	}

	int r = rt_try(do_rdpmc, NULL);
	rt_printf("priv: rdpmc -> %s\n", r == 14 ? "#GP" : "no #GP");
	EXPECT_EQ(r, 13 + 1);
	EXPECT_EQ(rt_trap_err, 0);

	/* Pending interrupt, IF=0; STI; HLT wakes when it is delivered. */
	cli();
	EXPECT_EQ(rt_hypercall(HC_TEST_INJECT, 0x41, 0, 0, 0), 0);
	EXPECT_EQ(rt_irq_count[0x41], 0);
	asm volatile("sti; hlt; cli" ::: "memory");
	EXPECT_EQ(rt_irq_count[0x41], 1);
	rt_printf("priv: hlt woken by an injected interrupt\n");
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	test_cr0();
	test_cr3();
	test_cr4();
	test_cr8();
	test_dr();
	test_caches();
	test_invlpg();
	test_tables();
	test_tsc();
	if (rt_bare)
		rt_printf("priv: skip rdpmc #GP and hlt wake-up (bare)\n");
	else
		test_vatra_only();
	rt_done();
}
