/*
 * conout: console output on demand, for the console throughput
 * benchmark. Prints "conout: ready", then for every line "run R N K"
 * typed on COM1 writes N lines of exactly 100 bytes,
 * "rRRR NNNNNNN xxx...x\n" (run and line number zero-padded), 40 lines
 * to each `rep outsb` (one exit), at most K KiB/s of TSC time (0: as
 * fast as it can), and then
 * "conout: run R wrote B bytes in U us". "quit" ends it (PASS).
 * Vatra-only (TSC frequency from CPUID 0x40000010).
 */
#include "rt.h"

#define COM1 0x3f8
#define LINE 100
#define BLOCK 40      /* lines per rep outsb: 4000 bytes, one exit (vmm/io.c takes 4096) */

/* Decimal number at *s, moving *s past it and the spaces after. */
static uint64_t number(const char **s)
{
	uint64_t v = 0;

	while (**s >= '0' && **s <= '9')
		v = v * 10 + (uint64_t)(*(*s)++ - '0');
	while (**s == ' ')
		(*s)++;
	return v;
}

/* v in exactly width decimal digits at p (the low ones, zero-padded). */
static void digits(char *p, uint64_t v, unsigned width)
{
	while (width--) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

static void run(const char *args, uint64_t khz)
{
	static char block[BLOCK * LINE];
	uint64_t r = number(&args), n = number(&args), kib = number(&args);
	uint64_t t0, t, per_line;

	if (!r || r > 999 || !n || n > 9999999) {
		rt_printf("conout: usage: run R N K (R 1..999, N 1..9999999)\n");
		return;
	}
	/* TSC ticks per line at K KiB/s: LINE bytes / (K * 1024 bytes/s). */
	per_line = kib ? khz * 1000 * LINE / (kib * 1024) : 0;
	memset(block, 'x', sizeof(block));
	for (unsigned k = 0; k < BLOCK; k++) {
		char *l = block + k * LINE;
		l[0] = 'r';
		digits(l + 1, r, 3);
		l[4] = ' ';
		l[12] = ' ';
		l[LINE - 1] = '\n';
	}
	t0 = rdtsc();
	for (uint64_t i = 0; i < n; i += BLOCK) {
		uint64_t lines = n - i < BLOCK ? n - i : BLOCK, c = lines * LINE;
		const char *p = block;

		for (unsigned k = 0; k < lines; k++)
			digits(block + k * LINE + 5, i + k, 7);
		if (per_line)
			while (rdtsc() - t0 < i * per_line)
				asm volatile("pause");
		asm volatile("rep outsb" : "+S"(p), "+c"(c) : "d"((uint16_t)COM1) : "memory");
	}
	t = rdtsc() - t0;
	rt_printf("conout: run %lu wrote %lu bytes in %lu us\n", r, n * LINE, t * 1000 / khz);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	char line[80];
	unsigned len = 0;
	uint64_t khz = 0;

	(void)mb_magic, (void)mb_info;
	if (cpuid(0x40000000, 0).eax >= 0x40000010)
		khz = cpuid(0x40000010, 0).eax;
	if (!EXPECT(khz != 0))
		rt_done();
	rt_printf("conout: ready\n");
	for (;;) {
		if (!(inb(COM1 + 5) & 1))
			continue;
		char c = (char)inb(COM1);
		if (c != '\r' && c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = 0;
		len = 0;
		if (!strcmp(line, "quit"))
			break;
		if (!strncmp(line, "run ", 4))
			run(line + 4, khz);
		else if (line[0])
			rt_printf("conout: unknown '%s'\n", line);
	}
	rt_done();
}
