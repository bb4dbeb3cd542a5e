/*
 * io: port I/O as Vatra emulates it.
 *   - an unassigned port reads all ones at 8/16/32 bits, writes ignored
 *   - COM1: LSR reads 0x60 (THR empty, idle), the scratch register 0x3ff
 *     reads back what was written
 *   - rep outsb of "string-io-ok\n" to 0x3f8 prints that line
 *   - rep insb/insw from an unassigned port fills 0xff (forwards and,
 *     with DF=1, backwards), exactly the count asked, RCX/RSI/RDI updated
 * Flag `bare`: LSR only needs bits 5 and 6 set (QEMU may add others).
 */
#include "rt.h"

#define UNASSIGNED 0x2f0 /* nothing there on a PC (and none in Vatra) */

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;

	EXPECT_EQ(inb(UNASSIGNED), 0xff);
	EXPECT_EQ(inw(UNASSIGNED), 0xffff);
	EXPECT_EQ(inl(UNASSIGNED), 0xffffffff);
	outb(UNASSIGNED, 0x12);
	outw(UNASSIGNED, 0x1234);
	outl(UNASSIGNED, 0x12345678);
	EXPECT_EQ(inb(UNASSIGNED + 1), 0xff);
	EXPECT_EQ(inl(UNASSIGNED), 0xffffffff);
	rt_printf("io: port 0x%x reads 0x%x 0x%x 0x%x\n", UNASSIGNED, inb(UNASSIGNED),
		  inw(UNASSIGNED), inl(UNASSIGNED));

	uint8_t lsr = inb(0x3fd);
	rt_printf("io: COM1 LSR 0x%x\n", lsr);
	if (rt_bare)
		EXPECT_EQ(lsr & 0x60, 0x60);
	else
		EXPECT_EQ(lsr, 0x60);
	outb(0x3ff, 0x5a);
	EXPECT_EQ(inb(0x3ff), 0x5a);
	outb(0x3ff, 0xa5);
	EXPECT_EQ(inb(0x3ff), 0xa5);
	rt_printf("io: COM1 scratch register round trip done\n");

	static const char line[] = "string-io-ok\n";
	const char *src = line;
	uint64_t n = sizeof(line) - 1;
	asm volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(0x3f8) : "memory");
	EXPECT_EQ(n, 0);
	EXPECT_EQ(src, line + sizeof(line) - 1);

	uint8_t buf[64];
	memset(buf, 0, sizeof(buf));
	uint8_t *dst = buf + 8;
	n = 32;
	asm volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(UNASSIGNED) : "memory");
	EXPECT_EQ(n, 0);
	EXPECT_EQ(dst, buf + 40);
	int good = 0; /* 0xff in [8, 40), untouched zeros around it */
	for (int i = 0; i < 64; i++)
		good += buf[i] == (i >= 8 && i < 40 ? 0xff : 0);
	EXPECT_EQ(good, 64);

	memset(buf, 0, sizeof(buf));
	dst = buf + 8;
	n = 4;
	asm volatile("rep insw" : "+D"(dst), "+c"(n) : "d"(UNASSIGNED) : "memory");
	EXPECT_EQ(dst, buf + 16);
	EXPECT(buf[7] == 0 && buf[8] == 0xff && buf[15] == 0xff && buf[16] == 0);

	/* DF=1: RDI goes down, one element per iteration. */
	memset(buf, 0, sizeof(buf));
	dst = buf + 40;
	n = 4;
	asm volatile("std; rep insb; cld" : "+D"(dst), "+c"(n) : "d"(UNASSIGNED) : "memory", "cc");
	EXPECT_EQ(dst, buf + 36);
	EXPECT(buf[36] == 0 && buf[37] == 0xff && buf[40] == 0xff && buf[41] == 0);
	rt_printf("io: rep insb/insw done\n");
	rt_done();
}
