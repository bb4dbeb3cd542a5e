/* RDSEED / RDRAND (rand.h). CPUID.(EAX=7,ECX=0):EBX bit 18 is RDSEED,
 * CPUID.1:ECX bit 30 is RDRAND; CF=1 says the value is valid. */
#include "arch/x86/rand.h"
#include "arch/x86/cpu.h"

static int which = -1;   /* -1 unknown, 0 none, 1 rdrand, 2 rdseed */

static int probe(void)
{
	if (which < 0) {
		which = 0;
		if (cpuid(1, 0).c & (1u << 30))
			which = 1;
		if (cpuid(0, 0).a >= 7 && (cpuid(7, 0).b & (1u << 18)))
			which = 2;
	}
	return which;
}

const char *rand_source(void)
{
	static const char *const names[] = { NULL, "rdrand", "rdseed" };

	return names[probe()];
}

bool rand_u64(uint64_t *out)
{
	int w = probe();

	for (int i = 0; w && i < 10; i++) {
		uint64_t v;
		uint8_t ok;

		if (w == 2)
			__asm__ volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(ok));
		else
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (ok) {
			*out = v;
			return true;
		}
		__builtin_ia32_pause();
	}
	return false;
}
