/*
 * spin: loops without a single VM exit — forever, or for `seconds=N` of
 * TSC time (the frequency from Vatra's CPUID leaf 0x40000010), then exits
 * with status 0. Only a hypervisor that preempts with its own timer lets
 * other partitions run meanwhile. `sti` spins with interrupts enabled.
 * `measure` (with `seconds=`): the loop reads the TSC and counts as run
 * only the steps shorter than 20 us, so a gap is time the vCPU did not
 * run; it prints the share of the time it ran.
 */
#include "rt.h"

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	uint64_t secs = rt_arg_ul("seconds=", 0), khz = 0, end = 0;

	if (secs && cpuid(0x40000000, 0).eax >= 0x40000010)
		khz = cpuid(0x40000010, 0).eax;
	if (secs && !khz) {
		rt_printf("spin: no TSC frequency from the hypervisor\n");
		rt_exit(1);
	}
	rt_printf("spin: looping without exits%s%s\n", secs ? " for a while" : "",
		  rt_has_flag("sti") ? " (interrupts on)" : "");
	if (rt_has_flag("sti"))
		asm volatile("sti");
	if (secs)
		end = rdtsc() + secs * khz * 1000;
	if (secs && rt_has_flag("measure")) {
		uint64_t gap = khz * 20 / 1000, t0 = rdtsc(), last = t0, ran = 0, gaps = 0;
		while (last < end) {
			uint64_t t = rdtsc();
			if (t - last < gap)
				ran += t - last;
			else
				gaps++;
			last = t;
		}
		rt_printf("spin: ran %lu.%lu%% of %lu s (%lu gaps)\n", ran * 100 / (last - t0),
			  ran * 1000 / (last - t0) % 10, secs, gaps);
	}
	while (!secs || rdtsc() < end)
		asm volatile("" ::: "memory");
	asm volatile("cli");
	rt_printf("spin: done\n");
	rt_exit(0);
	return 0;
}
