/*
 * echo: a console partition for the attach/detach tests. Prints
 * "echo: ready", then a "echo: tick N" line every `tick_ms=` (default 300)
 * ms of TSC time, and answers every line typed on COM1 with
 * "echo: got LINE". "quit" ends it (PASS). Vatra-only (TSC frequency from
 * CPUID 0x40000010).
 */
#include "rt.h"

#define COM1 0x3f8

int main(uint32_t mb_magic, uint64_t mb_info)
{
	char line[80];
	unsigned len = 0, ticks = 0;
	uint64_t khz = 0, next, period;

	(void)mb_magic, (void)mb_info;
	if (cpuid(0x40000000, 0).eax >= 0x40000010)
		khz = cpuid(0x40000010, 0).eax;
	if (!EXPECT(khz != 0))
		rt_done();
	period = rt_arg_ul("tick_ms=", 300) * khz;
	next = rdtsc() + period;
	rt_printf("echo: ready\n");
	for (;;) {
		if (rdtsc() >= next) {
			rt_printf("echo: tick %u\n", ++ticks);
			next += period;
		}
		if (!(inb(COM1 + 5) & 1))
			continue;
		char c = (char)inb(COM1);
		if (c == '\r' || c == '\n') {
			line[len] = 0;
			if (!len)
				continue;
			rt_printf("echo: got %s\n", line);
			if (!strcmp(line, "quit"))
				break;
			len = 0;
		} else if (len < sizeof(line) - 1) {
			line[len++] = c;
		}
	}
	EXPECT(ticks > 0);
	rt_done();
}
