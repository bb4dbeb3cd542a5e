/*
 * cpuid: what CPUID shows a Vatra partition.
 *   - leaf 0: a known vendor, sane highest leaf; extended leaves present
 *   - leaf 1: hypervisor bit (ECX 31) set, VMX (ECX 5) clear
 *   - 0x80000001: SVM (ECX 2) clear, long mode (EDX 29) set
 *   - 0x40000000: EAX >= 0x40000001, "VatraVatraHV"
 *   - 0x40000001: EAX = 0x00010000, EBX bit 0 on Intel, bit 1 on AMD
 *   - topology of a 1-vCPU partition, never the host's: leaf 1 EBX[31:24]
 *     APIC ID 0 and EBX[23:16] 1; leaf 4 EAX[31:26] 0 and no cache shared
 *     by more than one; 0xB/0x1F one thread, one core, x2APIC ID 0; AMD
 *     0x80000008 ECX NC 0, 0x8000001E extended APIC ID 0, one thread
 *     per core, and 0x8000001D as leaf 4
 *   - CPUID behind prefixes (segment overrides, 66, 67, REX) and placed
 *     across a page boundary (prefixes on one page and the opcode on the
 *     next, the opcode split, the instruction ending at the page's end):
 *     the instruction after it runs and the answer is leaf 0's. Without a
 *     next RIP from the CPU the hypervisor finds the length itself.
 * Flag `bare`: only the vendor-neutral checks (no Vatra leaves, no
 * hypervisor/VMX/SVM bits).
 */
#include "rt.h"

/* A partition with vcpus = 1: one package, one core, one thread, APIC
 * ID 0, whatever the host has. */
static void check_topology(uint32_t max, uint32_t xmax)
{
	struct cpuid_regs r = cpuid(1, 0);

	rt_printf("cpuid: leaf 1 APIC ID %u, logical processors %u\n", r.ebx >> 24, (r.ebx >> 16) & 0xff);
	EXPECT_EQ(r.ebx >> 24, 0);
	EXPECT_EQ((r.ebx >> 16) & 0xff, 1);
	for (uint32_t leaf = 4; leaf; leaf = leaf == 4 && xmax >= 0x8000001d ? 0x8000001d : 0) {
		if (leaf == 4 && max < 4)
			continue;
		for (uint32_t sub = 0; sub < 8; sub++) {
			r = cpuid(leaf, sub);
			if (!(r.eax & 0x1f))
				break;
			rt_printf("cpuid: leaf 0x%x.%u cache L%u eax 0x%08x\n", leaf, sub, (r.eax >> 5) & 7, r.eax);
			EXPECT_EQ((r.eax >> 14) & 0xfff, 0);
			if (leaf == 4)
				EXPECT_EQ(r.eax >> 26, 0);
		}
	}
	for (uint32_t leaf = 0xb; leaf <= 0x1f && leaf <= max; leaf += 0x1f - 0xb) {
		struct cpuid_regs s0 = cpuid(leaf, 0), s1 = cpuid(leaf, 1), s2 = cpuid(leaf, 2);
		rt_printf("cpuid: leaf 0x%x: smt %u/%u core %u/%u x2apic id %u\n", leaf,
			  s0.eax & 0x1f, s0.ebx & 0xffff, s1.eax & 0x1f, s1.ebx & 0xffff, s0.edx);
		if (!s0.ebx)
			continue;   /* not offered */
		EXPECT_EQ(s0.ebx & 0xffff, 1);
		EXPECT_EQ((s0.ecx >> 8) & 0xff, 1);
		EXPECT_EQ(s1.ebx & 0xffff, 1);
		EXPECT_EQ((s1.ecx >> 8) & 0xff, 2);
		EXPECT_EQ(s1.eax & 0x1f, 0);
		EXPECT_EQ((s2.ecx >> 8) & 0xff, 0);
		EXPECT_EQ(s0.edx, 0);
		EXPECT_EQ(s1.edx, 0);
	}
	if (rt_is_amd && xmax >= 0x80000008) {
		r = cpuid(0x80000008, 0);
		rt_printf("cpuid: 0x80000008 ecx 0x%x\n", r.ecx);
		EXPECT_EQ(r.ecx & 0xff, 0);
	}
	if (rt_is_amd && xmax >= 0x8000001e) {
		r = cpuid(0x8000001e, 0);
		rt_printf("cpuid: 0x8000001e eax 0x%x ebx 0x%x ecx 0x%x\n", r.eax, r.ebx, r.ecx);
		EXPECT_EQ(r.eax, 0);
		EXPECT_EQ((r.ebx >> 8) & 0xff, 0);
		EXPECT_EQ(r.ecx & 0x7ff, 0);
	}
}

/* Two pages of code to place CPUID anywhere in: the bytes go in at
 * offset off (from the start of the second page), followed by MOV ECX,
 * 0x600D (B9 0D 60 00 00) and RET, and are called with EAX = ECX = 0. */
static uint8_t code[3 * 4096] __attribute__((aligned(4096)));

static void prefixed_cpuid(const char *what, const uint8_t *insn, unsigned len, int off,
			   uint32_t max)
{
	static const uint8_t tail[] = { 0xb9, 0x0d, 0x60, 0x00, 0x00, 0xc3 };
	uint8_t *at = code + 4096 + off;
	uint32_t a = 0, b, c = 0, d;

	memset(code, 0xcc, sizeof(code));      /* INT3 wherever RIP should not be */
	memcpy(at, insn, len);
	memcpy(at + len, tail, sizeof(tail));
	__asm__ volatile("call *%4" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : "r"(at) : "memory");
	rt_printf("cpuid: %s: eax 0x%x, then ecx 0x%x\n", what, a, c);
	EXPECT_EQ(a, max);
	EXPECT_EQ(c, 0x600d);
}

static void check_prefixes(uint32_t max)
{
	static const uint8_t plain[] = { 0x0f, 0xa2 };
	static const uint8_t opsize[] = { 0x66, 0x0f, 0xa2 };
	static const uint8_t rexw[] = { 0x48, 0x0f, 0xa2 };
	static const uint8_t many[] = { 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0x66, 0x67, 0x48, 0x0f, 0xa2 };

	prefixed_cpuid("66 0f a2", opsize, sizeof(opsize), 100, max);
	prefixed_cpuid("48 0f a2", rexw, sizeof(rexw), 200, max);
	prefixed_cpuid("9 prefixes, REX.W", many, sizeof(many), 300, max);
	prefixed_cpuid("prefixes end a page", many, sizeof(many), -9, max);
	prefixed_cpuid("opcode split over pages", opsize, sizeof(opsize), -2, max);
	prefixed_cpuid("ends at a page's end", plain, sizeof(plain), -2, max);
	prefixed_cpuid("starts a page", many, sizeof(many), 0, max);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	struct cpuid_regs r0 = cpuid(0, 0), r1 = cpuid(1, 0);
	struct cpuid_regs x0 = cpuid(0x80000000, 0), x1 = cpuid(0x80000001, 0);

	rt_printf("cpuid: vendor %s, max leaf 0x%x, max extended leaf 0x%x\n",
		  rt_vendor, r0.eax, x0.eax);
	rt_printf("cpuid: leaf 1 eax 0x%08x ebx 0x%08x ecx 0x%08x edx 0x%08x\n",
		  r1.eax, r1.ebx, r1.ecx, r1.edx);
	EXPECT(rt_is_amd || rt_is_intel);
	EXPECT(r0.eax >= 1 && r0.eax < 0x100);
	check_prefixes(r0.eax);
	EXPECT(x0.eax >= 0x80000001 && x0.eax < 0x80000100);
	EXPECT(x1.edx & (1u << 29)); /* long mode: we are running in it */

	/* Same answer twice (no state leaks between exits). */
	struct cpuid_regs again = cpuid(1, 0);
	EXPECT_EQ(again.eax, r1.eax);
	EXPECT_EQ(again.ecx, r1.ecx);
	EXPECT_EQ(again.edx, r1.edx);

	if (rt_bare) {
		rt_printf("cpuid: skip Vatra checks (bare)\n");
		rt_done();
	}

	EXPECT_EQ(r1.ecx >> 31, 1);         /* hypervisor present */
	EXPECT_EQ((r1.ecx >> 5) & 1, 0);    /* VMX hidden */
	EXPECT_EQ((x1.ecx >> 2) & 1, 0);    /* SVM hidden */

	struct cpuid_regs h0 = cpuid(0x40000000, 0), h1 = cpuid(0x40000001, 0);
	char sig[13];
	memcpy(sig + 0, &h0.ebx, 4);
	memcpy(sig + 4, &h0.ecx, 4);
	memcpy(sig + 8, &h0.edx, 4);
	sig[12] = 0;
	rt_printf("cpuid: 0x40000000 eax 0x%x signature \"%s\"\n", h0.eax, sig);
	rt_printf("cpuid: 0x40000001 eax 0x%x ebx 0x%x\n", h1.eax, h1.ebx);
	EXPECT(h0.eax >= 0x40000001 && h0.eax < 0x40000100);
	EXPECT(!strcmp(sig, "VatraVatraHV"));
	EXPECT_EQ(h1.eax, 0x00010000);
	EXPECT_EQ(h1.ebx & 3, rt_is_intel ? 1 : 2);
	check_topology(r0.eax, x0.eax);
	rt_done();
}
