/*
 * oob: touches a guest-physical address outside RAM and every device; Vatra
 * must stop the partition ("partition NAME: stopped: ..."). Prints
 * `touching guest-physical ADDR` first. If the access completes, prints
 * `FAIL: read returned` (or `write`) and exits 1.
 *   addr=0x...  the address (default 0x40000000; below 4 GiB: identity-mapped)
 *   write       write to it instead of reading
 * Under bare QEMU the read returns (there is no Vatra to stop it): exit 1.
 */
#include "rt.h"

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	uint64_t addr = rt_arg_ul("addr=", 0x40000000);
	bool write = rt_has_flag("write");

	if (addr >= 1ull << 32) {
		rt_printf("oob: addr 0x%lx is not below 4 GiB (not mapped)\n", addr);
		rt_exit(2);
	}
	rt_printf("touching guest-physical 0x%lx (%s)\n", addr, write ? "write" : "read");
	if (write) {
		*(volatile uint32_t *)addr = 0x0badf00d;
		rt_printf("FAIL: write returned\n");
	} else {
		uint32_t v = *(volatile uint32_t *)addr;
		rt_printf("FAIL: read returned 0x%x\n", v);
	}
	rt_exit(1);
}
