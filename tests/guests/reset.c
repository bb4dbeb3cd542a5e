/*
 * reset: on its first start, resets the machine through the reset control
 * port 0xCF9 (the FADT's reset register); Vatra must start the partition
 * again, which the PARTITION_INFO hypercall's start count shows. On the
 * second start it passes. Vatra-only.
 */
#include "rt.h"

int main(uint32_t mb_magic, uint64_t mb_info)
{
	struct vatra_pinfo pi;

	(void)mb_magic, (void)mb_info;
	EXPECT_EQ(rt_hypercall(HC_PARTITION_INFO, (long)&pi, sizeof(pi), 0, 0), 0);
	rt_printf("reset: start %u\n", pi.starts);
	if (pi.starts == 1) {
		outb(0xcf9, 0x02);
		outb(0xcf9, 0x06);   /* hard reset */
		rt_printf("reset: FAIL: still running after the reset\n");
		rt_exit(1);
	}
	EXPECT_EQ(pi.starts, 2);
	rt_done();
}
