/*
 * bench: TSC cycles per round trip of the common exits, `iters=N` times
 * each (default 20000). One line per measure, `BENCH <name> <cycles>`:
 *   baseline  lfence; nop (nothing exits)
 *   cpuid     CPUID leaf 0
 *   in        IN from port 0x80 (unassigned)
 *   mmio      read of the test device ID register   (Vatra only)
 *   hypercall VERSION                               (Vatra only)
 *   tsc_khz   CPUID 0x40000010 EAX when Vatra's leaf 0x40000000 reaches
 *             it, else 0
 * Flag `bare`: no mmio, no hypercall. Always exits 0.
 */
#include "rt.h"

static uint64_t iters;

#define MEASURE(name, body)                                                    \
	do {                                                                   \
		uint64_t t0 = rdtsc();                                         \
		for (uint64_t i = 0; i < iters; i++) {                         \
			body;                                                  \
		}                                                              \
		uint64_t t1 = rdtsc();                                         \
		rt_printf("BENCH %s %lu\n", name, (t1 - t0) / iters);          \
	} while (0)

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	iters = rt_arg_ul("iters=", 20000);
	if (!iters)
		iters = 1;
	rt_printf("bench: %lu iterations each\n", iters);

	MEASURE("baseline", asm volatile("lfence; nop; lfence" ::: "memory"));
	MEASURE("cpuid", (void)cpuid(0, 0));
	MEASURE("in", (void)inb(0x80));
	if (!rt_bare) {
		MEASURE("mmio", (void)*(volatile uint64_t *)(TESTDEV_BASE + TESTDEV_ID));
		MEASURE("hypercall", (void)rt_hypercall(HC_VERSION, 0, 0, 0, 0));
	}

	uint32_t khz = 0;
	struct cpuid_regs h = cpuid(0x40000000, 0);
	uint32_t sig[3] = {h.ebx, h.ecx, h.edx};
	if (!memcmp(sig, "VatraVatraHV", 12) && h.eax >= 0x40000010 && h.eax < 0x40000100)
		khz = cpuid(0x40000010, 0).eax;
	rt_printf("BENCH tsc_khz %u\n", khz);
	return 0;
}
