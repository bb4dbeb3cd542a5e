/*
 * features: what CPUID offers works, what it hides is refused.
 *   - PCID: CR4.PCIDE can be set, CR3 carries a PCID (and the no-flush
 *     bit 63 is accepted), then PCIDE is cleared again
 *   - INVPCID: offered -> every type executes, an invalid type is #GP;
 *     hidden -> #UD
 *   - FSGSBASE: offered -> CR4.FSGSBASE, WRFSBASE/RDFSBASE round trip
 *   - RDRAND, RDSEED: offered -> execute; RDPID: offered -> TSC_AUX
 *   - a hidden feature's CR4 bit (PCIDE, FSGSBASE, UMIP, SMEP, SMAP)
 *     is #GP
 *   - UMIP: offered -> with CR4.UMIP, SGDT at CPL 3 is #GP
 *   - SMEP, SMAP: offered -> the CR4 bits can be set and cleared
 * Flag `bare`: the same checks, without Vatra.
 */
#include "rt.h"

#define CR4_UMIP (1ull << 11)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

static struct { uint64_t pcid, addr; } inv_desc __attribute__((aligned(16)));
static uint64_t inv_type;
static volatile bool user_reached;

static void do_invpcid(void *a)
{
	(void)a;
	asm volatile("invpcid %0, %1" ::"m"(inv_desc), "r"(inv_type) : "memory");
}

static void do_rdrand(void *a)
{
	uint64_t v;

	(void)a;
	asm volatile("1: rdrand %0; jnc 1b" : "=r"(v));
}

static void do_rdseed(void *a)
{
	uint64_t v;

	(void)a;
	asm volatile("1: rdseed %0; jnc 1b" : "=r"(v));
}

static uint64_t cr4_val;
static void do_write_cr4(void *a)
{
	(void)a;
	write_cr4(cr4_val);
}

/* 0 when CR4 = v was accepted (and restored), else the vector + 1. */
static int try_cr4(uint64_t v)
{
	uint64_t old = read_cr4();
	int r;

	cr4_val = v;
	r = rt_try(do_write_cr4, NULL);
	write_cr4(old);
	return r;
}

/* The runtime maps everything as user pages; SMEP and SMAP would then
 * fault on the kernel itself. Make every page a supervisor page (and
 * back) around those two. */
static void supervisor_pages(bool on)
{
	for (unsigned i = 0; i < 4; i++)
		for (unsigned j = 0; j < 512; j++) {
			if (on)
				rt_pd[i][j] &= ~PTE_US;
			else
				rt_pd[i][j] |= PTE_US;
		}
	write_cr3(read_cr3());
}

static void user_sgdt(void)
{
	struct { uint16_t limit; uint64_t base; } packed g;

	asm volatile("sgdt %0" : "=m"(g));
	user_reached = true;
	asm volatile("hlt");   /* #GP at CPL 3 either way */
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	struct cpuid_regs l1 = cpuid(1, 0), l7 = cpuid(7, 0);
	uint64_t cr3 = read_cr3(), cr4 = read_cr4();

	(void)mb_magic, (void)mb_info;
	rt_printf("features: PCID %d INVPCID %d FSGSBASE %d RDRAND %d RDSEED %d RDPID %d UMIP %d SMEP %d SMAP %d\n",
		  !!(l1.ecx & (1u << 17)), !!(l7.ebx & (1u << 10)), !!(l7.ebx & 1u),
		  !!(l1.ecx & (1u << 30)), !!(l7.ebx & (1u << 18)), !!(l7.ecx & (1u << 22)),
		  !!(l7.ecx & (1u << 2)), !!(l7.ebx & (1u << 7)), !!(l7.ebx & (1u << 20)));

	if (l1.ecx & (1u << 17)) {
		EXPECT_EQ(cr3 & 0xfff, 0);
		write_cr4(cr4 | CR4_PCIDE);
		EXPECT(read_cr4() & CR4_PCIDE);
		write_cr3(cr3 | 1);                  /* PCID 1 */
		EXPECT_EQ(read_cr3() & 0xfff, 1);
		write_cr3(cr3 | (1ull << 63));       /* back to PCID 0, no flush */
		EXPECT_EQ(read_cr3(), cr3);          /* bit 63 is not stored */
		write_cr4(cr4);
		EXPECT(!(read_cr4() & CR4_PCIDE));
	} else {
		EXPECT_EQ(try_cr4(cr4 | CR4_PCIDE), 13 + 1);
	}

	if (l7.ebx & (1u << 10)) {
		for (inv_type = 0; inv_type < 4; inv_type++) {
			inv_desc.pcid = 0;
			inv_desc.addr = (uint64_t)&inv_desc;
			EXPECT_EQ(rt_try(do_invpcid, NULL), 0);
		}
		inv_type = 4;
		EXPECT_EQ(rt_try(do_invpcid, NULL), 13 + 1);
	} else {
		inv_type = 2;
		EXPECT_EQ(rt_try(do_invpcid, NULL), 6 + 1);
	}

	if (l7.ebx & 1u) {
		uint64_t old = rdmsr(0xc0000100), got;
		write_cr4(cr4 | CR4_FSGSBASE);
		asm volatile("wrfsbase %0" ::"r"(0x12345000ull));
		asm volatile("rdfsbase %0" : "=r"(got));
		EXPECT_EQ(got, 0x12345000ull);
		EXPECT_EQ(rdmsr(0xc0000100), 0x12345000ull);
		wrmsr(0xc0000100, old);
		write_cr4(cr4);
	} else {
		EXPECT_EQ(try_cr4(cr4 | CR4_FSGSBASE), 13 + 1);
	}

	/* Hidden, they are left to the CPU: a CPU without them raises #UD,
	 * but emulators run them whatever their CPUID says, and neither
	 * vendor lets a hypervisor intercept RDSEED everywhere. */
	if (l1.ecx & (1u << 30))
		EXPECT_EQ(rt_try(do_rdrand, NULL), 0);
	if (l7.ebx & (1u << 18))
		EXPECT_EQ(rt_try(do_rdseed, NULL), 0);
	if (l7.ecx & (1u << 22)) {
		uint64_t pid;
		wrmsr(0xc0000103, 0x2a);
		asm volatile("rdpid %0" : "=r"(pid));
		EXPECT_EQ(pid, 0x2a);
	}

	if (l7.ecx & (1u << 2)) {
		write_cr4(cr4 | CR4_UMIP);
		user_reached = false;
		EXPECT_EQ(rt_user_run(user_sgdt), 13 + 1);
		EXPECT(!user_reached);               /* SGDT itself faulted */
		write_cr4(cr4);
	} else {
		EXPECT_EQ(try_cr4(cr4 | CR4_UMIP), 13 + 1);
	}
	user_reached = false;
	EXPECT_EQ(rt_user_run(user_sgdt), 13 + 1);
	EXPECT(user_reached);                        /* without UMIP SGDT runs at CPL 3 */

	supervisor_pages(true);
	EXPECT_EQ(try_cr4(cr4 | CR4_SMEP), (l7.ebx & (1u << 7)) ? 0 : 13 + 1);
	EXPECT_EQ(try_cr4(cr4 | CR4_SMAP), (l7.ebx & (1u << 20)) ? 0 : 13 + 1);
	supervisor_pages(false);
	EXPECT_EQ(read_cr4(), cr4);
	rt_done();
}
