/*
 * io: port I/O as Vatra emulates it.
 *   - an unassigned port reads all ones at 8/16/32 bits, writes ignored;
 *     IN AL and IN AX leave the rest of RAX, IN EAX clears RAX's upper
 *     half, OUT changes no register (SDM Vol. 1, 3.4.1.1; Vol. 2A, IN),
 *     the same at every one of many INs in a row
 *   - COM1: LSR reads 0x60 (THR empty, idle), the scratch register 0x3ff
 *     reads back what was written
 *   - rep outsb of "string-io-ok\n" to 0x3f8 prints that line
 *   - rep insb/insw from an unassigned port fills 0xff (forwards and,
 *     with DF=1, backwards), exactly the count asked, RCX/RSI/RDI updated
 *   - every string I/O form: INSB/INSW/INSD and OUTSB/OUTSW/OUTSD, with
 *     and without REP, with DF=0 and DF=1 (Intel SDM Vol. 2A, INS and
 *     Vol. 2B, OUTS: rSI/rDI step by the element size, down when DF = 1;
 *     REP counts rCX down to 0, without REP rCX is untouched): the final
 *     RCX, RSI and RDI, which bytes of the buffer were written (INS) and
 *     which element reached the device last (OUTS: COM1's scratch
 *     register for bytes and, at 0x3fe, for a word's high byte; the PCI
 *     address register 0xcf8 for dwords)
 * Flag `bare`: LSR only needs bits 5 and 6 set (QEMU may add others).
 */
#include "rt.h"

#define UNASSIGNED 0x2f0 /* nothing there on a PC (and none in Vatra) */

RT_STRING_FN(sio_insb, "insb", "d")
RT_STRING_FN(sio_insw, "insw", "d")
RT_STRING_FN(sio_insl, "insl", "d")
RT_STRING_FN(sio_rep_insb, "rep insb", "d")
RT_STRING_FN(sio_rep_insw, "rep insw", "d")
RT_STRING_FN(sio_rep_insl, "rep insl", "d")
RT_STRING_FN(sio_outsb, "outsb", "d")
RT_STRING_FN(sio_outsw, "outsw", "d")
RT_STRING_FN(sio_outsl, "outsl", "d")
RT_STRING_FN(sio_rep_outsb, "rep outsb", "d")
RT_STRING_FN(sio_rep_outsw, "rep outsw", "d")
RT_STRING_FN(sio_rep_outsl, "rep outsl", "d")

static const struct {
	const char *name;
	void (*fn)(bool df, uint64_t port, struct rt_sregs *r);
	bool in, rep;
	unsigned size;
} sio_forms[] = {
	{ "insb", sio_insb, true, false, 1 }, { "insw", sio_insw, true, false, 2 },
	{ "insd", sio_insl, true, false, 4 }, { "rep insb", sio_rep_insb, true, true, 1 },
	{ "rep insw", sio_rep_insw, true, true, 2 }, { "rep insd", sio_rep_insl, true, true, 4 },
	{ "outsb", sio_outsb, false, false, 1 }, { "outsw", sio_outsw, false, false, 2 },
	{ "outsd", sio_outsl, false, false, 4 }, { "rep outsb", sio_rep_outsb, false, true, 1 },
	{ "rep outsw", sio_rep_outsw, false, true, 2 }, { "rep outsd", sio_rep_outsl, false, true, 4 },
};

#define SIO_AT 32      /* buffer offset of the first element */
#define SIO_REP 4      /* elements of a REP form */
#define SIO_RCX 7      /* RCX of a form without REP: must stay */

static uint32_t sio_get(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* Ports with a register that keeps what was written, per element size. */
static uint16_t sio_port(unsigned size)
{
	return size == 1 ? 0x3ff : size == 2 ? 0x3fe : 0xcf8;
}

/* Returns the number of failed checks of one form with one DF. */
static unsigned sio_one(unsigned f, bool df)
{
	static uint8_t buf[64];
	unsigned size = sio_forms[f].size, fails = rt_failures;
	uint64_t count = sio_forms[f].rep ? SIO_REP : 1;
	int64_t step = df ? -(int64_t)size : (int64_t)size;
	/* The bytes the elements cover: [lo, hi). */
	unsigned lo = df ? SIO_AT - (unsigned)(count - 1) * size : SIO_AT;
	unsigned hi = df ? SIO_AT + size : SIO_AT + (unsigned)count * size;
	uint64_t start = (uint64_t)(buf + SIO_AT);
	struct rt_sregs r = { start, start, sio_forms[f].rep ? SIO_REP : SIO_RCX };
	uint32_t elem = 0;

	if (sio_forms[f].in) {
		memset(buf, 0, sizeof(buf));
		/* What the port gives each time. */
		if (size == 1) {
			outb(0x3ff, 0xc3);
			elem = 0xc3;
		} else if (size == 2) {
			elem = 0xffff;     /* unassigned port */
		} else {
			outl(0xcf8, 0x80123400);
			elem = 0x80123400;
		}
		sio_forms[f].fn(df, size == 2 ? UNASSIGNED : sio_port(size), &r);
		EXPECT_EQ(r.rdi, start + (uint64_t)(step * (int64_t)count));
		EXPECT_EQ(r.rsi, start);
		unsigned good = 0;
		for (unsigned i = 0; i < sizeof(buf); i++) {
			uint8_t want = i >= lo && i < hi ? (uint8_t)(elem >> (8 * ((i - lo) % size))) : 0;
			good += buf[i] == want;
		}
		EXPECT_EQ(good, sizeof(buf));
	} else {
		/* Distinct elements; dwords only with bits 0xcf8 keeps
		 * (bits 30:24 and 1:0 are reserved there). */
		for (unsigned i = 0; i < sizeof(buf); i++)
			buf[i] = size == 4 ? (uint8_t[]){ 0, (uint8_t)(i + 1), (uint8_t)(i + 1), 0x80 }[i % 4]
					   : (uint8_t)(i + 1);
		outb(0x3ff, 0);
		outl(0xcf8, 0);
		/* The last element sent is at the far end of the range. */
		elem = sio_get(buf + (df ? lo : hi - size), size);
		sio_forms[f].fn(df, sio_port(size), &r);
		EXPECT_EQ(r.rsi, start + (uint64_t)(step * (int64_t)count));
		EXPECT_EQ(r.rdi, start);
		if (size == 1)
			EXPECT_EQ(inb(0x3ff), elem);
		else if (size == 2)
			EXPECT_EQ(inb(0x3ff), elem >> 8);
		else
			EXPECT_EQ(inl(0xcf8), elem);
	}
	EXPECT_EQ(r.rcx, sio_forms[f].rep ? 0 : SIO_RCX);
	return rt_failures - fails;
}

static void string_forms(void)
{
	unsigned n = 0;

	for (unsigned f = 0; f < sizeof(sio_forms) / sizeof(sio_forms[0]); f++)
		for (int df = 0; df <= 1; df++) {
			if (sio_one(f, df))
				rt_printf("io: FAIL: %s with DF=%d\n", sio_forms[f].name, df);
			n++;
		}
	outl(0xcf8, 0);
	rt_printf("io: %u string I/O forms checked with DF=0 and DF=1\n", n);
}

/* What an IN writes: the bytes of its width, zero-extended only at 32
 * bits; many in a row, as a loop of I/O delays makes them. */
static void in_widths(void)
{
	const uint64_t fill = 0x1122334455667788ULL;
	uint64_t a, d;
	unsigned wrong = 0;

	for (int i = 0; i < 1000; i++) {
		a = fill;
		asm volatile("inb %%dx, %%al" : "+a"(a) : "d"(UNASSIGNED));
		wrong += a != 0x11223344556677ffULL;
		a = fill;
		asm volatile("inw %%dx, %%ax" : "+a"(a) : "d"(UNASSIGNED));
		wrong += a != 0x112233445566ffffULL;
		a = fill;
		asm volatile("inl %%dx, %%eax" : "+a"(a) : "d"(UNASSIGNED));
		wrong += a != 0xffffffffULL;
		a = fill;
		d = UNASSIGNED | 0xabcd0000ULL;
		asm volatile("outl %%eax, %%dx" : "+a"(a), "+d"(d));
		wrong += a != fill || d != (UNASSIGNED | 0xabcd0000ULL);
	}
	EXPECT_EQ(wrong, 0);
	rt_printf("io: IN widths and OUT registers right %d times\n", 1000);
}

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
	in_widths();

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
	string_forms();
	rt_done();
}
