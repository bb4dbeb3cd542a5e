/*
 * initself: a 1-vCPU partition sends INIT to its own APIC ID (xAPIC ICR,
 * physical destination 0, level assert). As on hardware the vCPU waits
 * for a startup IPI; with no other vCPU to send one, Vatra stops the
 * partition and says why. Reaching the end is a failure.
 */
#include "rt.h"

#define LAPIC 0xfee00000ull

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	volatile uint32_t *lapic = (volatile uint32_t *)LAPIC;

	if (rt_bare) {
		rt_printf("initself: skipped (bare)\n");
		rt_done();
	}
	lapic[0xf0 / 4] = 0x1ff;                 /* software-enable the APIC */
	rt_printf("initself: sending INIT to APIC ID 0\n");
	lapic[0x310 / 4] = 0;                    /* destination: APIC ID 0 */
	lapic[0x300 / 4] = (5u << 8) | (1u << 14);   /* INIT, level assert */
	for (volatile int i = 0; i < 1000; i++)
		;
	rt_printf("initself: FAIL: still running after INIT\n");
	rt_exit(1);
}
