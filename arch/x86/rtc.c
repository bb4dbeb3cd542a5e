/* MC146818 CMOS clock (ports 0x70/0x71): registers 0-9, A and B. */
#include "arch/x86/rtc.h"
#include <stdbool.h>
#include "arch/x86/cpu.h"

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned bcd(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* Howard Hinnant's days-from-civil algorithm (public domain
 * description): March-based years make February the last month. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

uint64_t rtc_read_epoch(void)
{
	uint8_t s, mi, h, d, mo, y, b;
	unsigned spins = 0;
	bool bin, h12;
	unsigned hour;

	/* Wait out an update in progress (register A bit 7). */
	while ((cmos(0x0a) & 0x80) && ++spins < 100000)
		cpu_relax();
	s = cmos(0x00);
	mi = cmos(0x02);
	h = cmos(0x04);
	d = cmos(0x07);
	mo = cmos(0x08);
	y = cmos(0x09);
	b = cmos(0x0b);
	bin = b & 0x04;
	h12 = !(b & 0x02);
	hour = bcd(h & 0x7f, bin);
	if (h12) {
		hour %= 12;
		if (h & 0x80)
			hour += 12;
	}
	if (bcd(s, bin) > 59 || bcd(mi, bin) > 59 || hour > 23 || bcd(d, bin) < 1 ||
	    bcd(d, bin) > 31 || bcd(mo, bin) < 1 || bcd(mo, bin) > 12 || bcd(y, bin) > 99)
		return 0;
	return (uint64_t)rtc_days_from_civil(2000 + bcd(y, bin), bcd(mo, bin), bcd(d, bin)) *
		       86400 + hour * 3600 + bcd(mi, bin) * 60 + bcd(s, bin);
}
