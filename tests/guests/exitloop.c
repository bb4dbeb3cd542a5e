/*
 * exitloop: a stream of VM exits, to soak the exit path. `loops=N`
 * iterations (default 1000000; 0 = run forever), alternately CPUID leaf 0
 * and OUT to port 0x80. Prints progress every N/4 iterations (every 2^20
 * when running forever). Checks that every CPUID gave the same answer and
 * that callee-saved state survived, then ends with PASS (status 0).
 * Works bare too (nothing exits then).
 */
#include "rt.h"

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	uint64_t loops = rt_arg_ul("loops=", 1000000);
	uint64_t step = loops ? (loops / 4 ? loops / 4 : 1) : 1 << 20;
	struct cpuid_regs first = cpuid(0, 0);
	uint64_t t0 = rdtsc(), i, differ = 0;

	rt_printf("exitloop: %lu iterations%s\n", loops, loops ? "" : " (forever)");
	for (i = 1; loops == 0 || i <= loops; i++) {
		if (i & 1) {
			struct cpuid_regs r = cpuid(0, 0);
			differ += r.eax != first.eax || r.ebx != first.ebx ||
				  r.ecx != first.ecx || r.edx != first.edx;
		} else {
			outb(0x80, (uint8_t)i);
		}
		if (i % step == 0)
			rt_printf("exitloop: %lu/%lu, %lu cycles per iteration\n", i, loops,
				  (rdtsc() - t0) / i);
	}
	EXPECT_EQ(i - 1, loops);
	EXPECT_EQ(differ, 0);
	rt_done();
}
