/*
 * Isolation, two kernels in one file:
 *   role=plant  fills most of its RAM with a marker built at run time,
 *               says so, waits `hold_ms=` (default 3000) and exits 0;
 *   role=scan   waits until `wait_ms=` (default 1000) has passed, then reads
 *               every byte of its own RAM looking for the same marker
 *               (skipping the one buffer where it builds it) and reports;
 *               then reads just past the end of its RAM, which Vatra must
 *               answer by stopping this partition, never with a sibling's
 *               memory.
 * The marker is computed, so it is in no binary, no command line and no
 * page the scanner did not write itself.
 */
#include "rt.h"

#define MARKER_LEN 32

static void make_marker(uint8_t *m)
{
	uint32_t x = 0x5eedf00d;

	for (int i = 0; i < MARKER_LEN; i++) {
		x = x * 1103515245u + 12345u;
		m[i] = (uint8_t)(x >> 16) | 0x80;
	}
}

static uint64_t tsc_khz(void)
{
	if (cpuid(0x40000000, 0).eax >= 0x40000010)
		return cpuid(0x40000010, 0).eax;
	return 0;
}

static void wait_ms(uint64_t ms)
{
	uint64_t end = rdtsc() + ms * tsc_khz();

	while (rdtsc() < end)
		asm volatile("pause");
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	uint8_t marker[MARKER_LEN];
	uint64_t mem = (uint64_t)(rt_mbi->mem_upper + 1024) * 1024;

	(void)mb_magic, (void)mb_info;
	if (!EXPECT(tsc_khz() != 0))
		rt_done();
	make_marker(marker);
	if (rt_has_flag("role=plant")) {
		/* From 4 MiB (above this kernel) to the end of RAM. */
		uint64_t n = 0;
		for (uint64_t a = 4 << 20; a + MARKER_LEN <= mem; a += 4096, n++)
			memcpy((void *)a, marker, MARKER_LEN);
		rt_printf("scan: planted the marker in %lu pages\n", n);
		wait_ms(rt_arg_ul("hold_ms=", 3000));
		rt_done();
	}
	wait_ms(rt_arg_ul("wait_ms=", 1000));
	uint64_t found = 0, own = (uint64_t)marker;
	for (uint64_t a = 0x1000; a + MARKER_LEN <= mem; a++) {
		if (a + MARKER_LEN > own && a < own + MARKER_LEN)
			continue;   /* the buffer the marker is built in */
		if (*(volatile uint8_t *)a == marker[0] && !memcmp((void *)a, marker, MARKER_LEN))
			found++;
	}
	rt_printf("scan: marker found %lu times in %lu MiB of own RAM\n", found, mem >> 20);
	EXPECT_EQ(found, 0);
	rt_printf("scan: reading guest-physical 0x%lx, just past RAM\n", mem);
	(void)*(volatile uint8_t *)mem;
	rt_printf("scan: FAIL: a read past RAM returned\n");
	rt_exit(1);
}
