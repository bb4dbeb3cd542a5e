/*
 * spin: prints one line, then loops forever without a single VM exit.
 * Only a hypervisor that preempts with its own timer lets other
 * partitions run beside it; the operator ends it with `destroy`.
 */
#include "rt.h"

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	rt_printf("spin: looping without exits\n");
	for (;;)
		asm volatile("" ::: "memory");
	return 1;
}
