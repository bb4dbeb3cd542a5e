/*
 * cpuid: what CPUID shows a Vatra partition.
 *   - leaf 0: a known vendor, sane highest leaf; extended leaves present
 *   - leaf 1: hypervisor bit (ECX 31) set, VMX (ECX 5) clear
 *   - 0x80000001: SVM (ECX 2) clear, long mode (EDX 29) set
 *   - 0x40000000: EAX >= 0x40000001, "VatraVatraHV"
 *   - 0x40000001: EAX = 0x00010000, EBX bit 0 on Intel, bit 1 on AMD
 * Flag `bare`: only the vendor-neutral checks (no Vatra leaves, no
 * hypervisor/VMX/SVM bits).
 */
#include "rt.h"

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
	rt_done();
}
