/*
 * reset: on its first start, leaves a marker in its RAM and resets the
 * machine through the reset control port 0xCF9 (the FADT's reset
 * register); Vatra must start the partition again, which the
 * PARTITION_INFO hypercall's start count shows, with its memory zeroed:
 * on the second start the marker must be gone. Vatra-only.
 */
#define MARK_ADDR 0x800000UL   /* 8 MiB: above the kernel, inside 16 MiB of RAM */
#define MARK 0x56617472614d726bULL
#include "rt.h"

int main(uint32_t mb_magic, uint64_t mb_info)
{
	struct vatra_pinfo pi;

	(void)mb_magic, (void)mb_info;
	EXPECT_EQ(rt_hypercall(HC_PARTITION_INFO, (long)&pi, sizeof(pi), 0, 0), 0);
	rt_printf("reset: start %u\n", pi.starts);
	if (pi.starts == 1) {
		*(volatile uint64_t *)MARK_ADDR = MARK;
		outb(0xcf9, 0x02);
		outb(0xcf9, 0x06);   /* hard reset */
		rt_printf("reset: FAIL: still running after the reset\n");
		rt_exit(1);
	}
	EXPECT_EQ(pi.starts, 2);
	EXPECT_EQ(*(volatile uint64_t *)MARK_ADDR, 0);   /* RAM zeroed on restart */
	rt_printf("reset: memory zeroed on restart\n");
	rt_done();
}
