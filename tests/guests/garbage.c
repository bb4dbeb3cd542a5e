/*
 * garbage: zeroes the IDT limit and jumps into 4 KiB of pseudo-random
 * bytes (a fixed LCG seed, or seed=N). Whatever the bytes do -- fault
 * (a triple fault, with no IDT), halt with IF=0, touch memory that does
 * not exist -- Vatra must stop the partition without harm to itself or
 * other partitions. If control comes back: exit 1. Random code can also
 * write to port 0xf4 or loop forever; the test script needs a timeout.
 * The default seed triple-faults quickly under bare QEMU.
 */
#include "rt.h"

static uint8_t code[4096] __attribute__((aligned(4096)));

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	uint64_t seed = rt_arg_ul("seed=", 0x5a7a), x = seed;

	for (size_t i = 0; i < sizeof(code); i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		code[i] = x >> 56;
	}
	rt_printf("garbage: seed 0x%lx, first bytes %02x %02x %02x %02x %02x %02x %02x %02x\n",
		  seed, code[0], code[1], code[2], code[3], code[4], code[5], code[6], code[7]);
	struct {
		uint16_t limit;
		uint64_t base;
	} packed empty = {0, 0};
	asm volatile("lidt %0" ::"m"(empty));
	((void (*)(void))code)();
	rt_printf("FAIL: returned from garbage\n");
	rt_exit(1);
}
