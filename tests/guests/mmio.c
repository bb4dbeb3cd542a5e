/*
 * mmio: the Vatra test device at 0xD0000000 through many instruction forms
 * (Vatra decodes and emulates each one):
 *   - MOV loads/stores of 1/2/4/8 bytes at every offset of the scratch
 *     register, checked against the same stores to RAM; partial loads keep
 *     (8/16-bit) or zero (32-bit) the upper register bits
 *   - MOVZX/MOVSX/MOVSXD, MOV with moffs (A0-A3, via movabs)
 *   - ADD OR AND XOR SUB CMP TEST with a memory operand, result and flags
 *     checked against the same instruction on RAM
 *   - REP STOSB/STOSQ into the scratch array (also with DF=1),
 *     REP MOVSB RAM->device and device->RAM
 *   - every STOS and MOVS form the emulator handles: byte/word/dword/
 *     qword, with and without REP, DF=0 and DF=1, STOS and MOVS into the
 *     device and MOVS out of it (Intel SDM Vol. 2B, MOVS, STOS: rSI/rDI
 *     step by the element size, down with DF = 1; REP counts rCX to 0,
 *     without REP rCX stays): final RCX/RSI/RDI and exactly which bytes
 *     were written
 *   - ADC SBB INC DEC NOT NEG XCHG XADD BT BTS BTR BTC (register and immediate
 *     offsets), LOCK forms, CMPXCHG (both outcomes), LODS, MOVNTI and the
 *     SSE moves MOVD MOVQ MOVDQU MOVDQA MOVAPS MOVUPS MOVNTDQ: value, flags
 *     and write count against the same instruction on RAM
 *   - the ID register, the write counter (one per store, none for CMP/
 *     TEST/loads), all ones elsewhere in the page
 * Flag `bare`: there is no test device: print "skipped" and pass.
 */
#include "rt.h"

#define DEV(off) (TESTDEV_BASE + (off))
#define ARITH_FLAGS 0x8d5 /* CF PF AF ZF SF OF */
#define LOGIC_FLAGS 0x8c5 /* AF is undefined after AND OR XOR TEST */

static inline uint64_t writes(void) { return *(volatile uint64_t *)DEV(TESTDEV_WRITES); }

/* Loads and stores of an exact size. The loads start from a register full
 * of ones so that the bits the instruction must not touch are visible. */
static uint64_t load(uint64_t a, int size)
{
	uint64_t v = ~0ull;
	switch (size) {
	case 1: asm volatile("movb (%1), %b0" : "+r"(v) : "r"(a) : "memory"); break;
	case 2: asm volatile("movw (%1), %w0" : "+r"(v) : "r"(a) : "memory"); break;
	case 4: asm volatile("movl (%1), %k0" : "+r"(v) : "r"(a) : "memory"); break;
	default: asm volatile("movq (%1), %0" : "+r"(v) : "r"(a) : "memory"); break;
	}
	return v;
}

static void store(uint64_t a, uint64_t v, int size)
{
	switch (size) {
	case 1: asm volatile("movb %b0, (%1)" ::"r"(v), "r"(a) : "memory"); break;
	case 2: asm volatile("movw %w0, (%1)" ::"r"(v), "r"(a) : "memory"); break;
	case 4: asm volatile("movl %k0, (%1)" ::"r"(v), "r"(a) : "memory"); break;
	default: asm volatile("movq %0, (%1)" ::"r"(v), "r"(a) : "memory"); break;
	}
}

static void test_mov(void)
{
	static const int sizes[] = {1, 2, 4, 8};
	uint64_t shadow = 0x1122334455667788ull, pattern = 0xf0e1d2c3b4a59687ull;
	uint64_t scratch = DEV(TESTDEV_SCRATCH);
	int n = 0;

	store(scratch, shadow, 8);
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		int size = sizes[s];
		for (int off = 0; off + size <= 8; off++, n++) {
			uint64_t keep = size == 8 ? 0 : ~0ull << size * 8;
			uint64_t want = (shadow >> off * 8 & ~keep) | (size == 4 ? 0 : keep);
			uint64_t got = load(scratch + off, size);
			if (!EXPECT_EQ(got, want))
				rt_printf("  load size %d offset %d\n", size, off);
			uint64_t c0 = writes();
			store(scratch + off, pattern, size);
			store((uint64_t)&shadow + off, pattern, size);
			EXPECT_EQ(writes() - c0, 1);
			if (!EXPECT_EQ(load(scratch, 8), shadow))
				rt_printf("  store size %d offset %d\n", size, off);
			pattern = pattern * 6364136223846793005ull + 1442695040888963407ull;
		}
	}
	rt_printf("mmio: mov loads and stores, %d size/offset pairs\n", n);
}

static void test_extend(void)
{
	uint64_t a = DEV(TESTDEV_SCRATCH), v;
	store(a, 0x00000000f0008080ull, 8);
	asm volatile("movzbl (%1), %k0" : "=r"(v) : "r"(a) : "memory");
	EXPECT_EQ(v, 0x80);
	asm volatile("movzwq (%1), %0" : "=r"(v) : "r"(a) : "memory");
	EXPECT_EQ(v, 0x8080);
	asm volatile("movsbl (%1), %k0" : "=r"(v) : "r"(a) : "memory");
	EXPECT_EQ(v, 0xffffff80);
	asm volatile("movsbq (%1), %0" : "=r"(v) : "r"(a) : "memory");
	EXPECT_EQ(v, 0xffffffffffffff80ull);
	asm volatile("movswl (%1), %k0" : "=r"(v) : "r"(a) : "memory");
	EXPECT_EQ(v, 0xffff8080);
	asm volatile("movswq (%1), %0" : "=r"(v) : "r"(a) : "memory");
	EXPECT_EQ(v, 0xffffffffffff8080ull);
	asm volatile("movslq (%1), %0" : "=r"(v) : "r"(a) : "memory");
	EXPECT_EQ(v, 0xfffffffff0008080ull);
	asm volatile("movzbw 1(%1), %w0" : "=r"(v) : "r"(a), "0"(~0ull) : "memory");
	EXPECT_EQ(v, 0xffffffffffff0080ull); /* 16-bit destination keeps 16-63 */
	rt_printf("mmio: movzx/movsx/movsxd done\n");
}

#define STR(x) #x
#define XSTR(x) STR(x)
#define MOFFS XSTR(TESTDEV_BASE)

static void test_moffs(void)
{
	uint64_t v;
	store(DEV(0), 0x8877665544332211ull, 8);
	asm volatile("movabs " MOFFS ", %%al" : "=a"(v) : "0"(~0ull) : "memory");
	EXPECT_EQ(v, 0xffffffffffffff11ull);
	asm volatile("movabs " MOFFS ", %%ax" : "=a"(v) : "0"(~0ull) : "memory");
	EXPECT_EQ(v, 0xffffffffffff2211ull);
	asm volatile("movabs " MOFFS ", %%eax" : "=a"(v) : "0"(~0ull) : "memory");
	EXPECT_EQ(v, 0x44332211);
	asm volatile("movabs " MOFFS ", %%rax" : "=a"(v) : : "memory");
	EXPECT_EQ(v, 0x8877665544332211ull);
	asm volatile("movabs %%al, " MOFFS ::"a"(0xaaull) : "memory");
	EXPECT_EQ(load(DEV(0), 8), 0x88776655443322aaull);
	asm volatile("movabs %%ax, " MOFFS ::"a"(0xbbbbull) : "memory");
	EXPECT_EQ(load(DEV(0), 8), 0x887766554433bbbbull);
	asm volatile("movabs %%eax, " MOFFS ::"a"(0xccccccccull) : "memory");
	EXPECT_EQ(load(DEV(0), 8), 0x88776655ccccccccull);
	asm volatile("movabs %%rax, " MOFFS ::"a"(0x0123456789abcdefull) : "memory");
	EXPECT_EQ(load(DEV(0), 8), 0x0123456789abcdefull);
	rt_printf("mmio: mov moffs (a0-a3) done\n");
}

/* Run INSN once on a RAM word and once on the scratch register, both
 * holding INIT, with %[r] = OPND and %[p] pointing at the word; compare
 * memory, register and flags, and count the device writes. */
#define ALU(insn, init, opnd, flagmask, nwrites)                                          \
	do {                                                                              \
		uint64_t ram = (init), rr = (opnd), rd = (opnd), fr, fd;                  \
		volatile uint64_t *dev = (volatile uint64_t *)DEV(TESTDEV_SCRATCH);       \
		*dev = (init);                                                            \
		uint64_t c0 = writes();                                                   \
		asm volatile(insn "\n\tpushfq\n\tpopq %[f]"                               \
			     : [r] "+r"(rr), [f] "=r"(fr)                                 \
			     : [p] "r"(&ram)                                              \
			     : "memory", "cc");                                           \
		asm volatile(insn "\n\tpushfq\n\tpopq %[f]"                               \
			     : [r] "+r"(rd), [f] "=r"(fd)                                 \
			     : [p] "r"(dev)                                               \
			     : "memory", "cc");                                           \
		uint64_t c1 = writes();                                                   \
		bool ok = EXPECT_EQ(*dev, ram) & EXPECT_EQ(rd, rr) &                      \
			  EXPECT_EQ(fd & (flagmask), fr & (flagmask)) &                   \
			  EXPECT_EQ(c1 - c0, nwrites);                                    \
		if (!ok)                                                                  \
			rt_printf("  in: %s\n", insn);                                    \
		n++;                                                                      \
	} while (0)

static void test_alu(void)
{
	int n = 0;
	ALU("addq %[r], (%[p])", ~0ull, 1, ARITH_FLAGS, 1);
	ALU("addq $-1, (%[p])", 0, 0, ARITH_FLAGS, 1);
	ALU("addq $0x12345678, (%[p])", 0x7fffffffedcba988ull, 0, ARITH_FLAGS, 1);
	ALU("addl (%[p]), %k[r]", 0x1111111180000000ull, 0xffffffff80000000ull, ARITH_FLAGS, 0);
	ALU("addb %b[r], (%[p])", 0x1122334455667788ull, 0x79, ARITH_FLAGS, 1);
	ALU("subw $1, (%[p])", 0x1122334455660000ull, 0, ARITH_FLAGS, 1);
	ALU("subq (%[p]), %[r]", 5, 3, ARITH_FLAGS, 0);
	ALU("subl %k[r], (%[p])", 0xaaaaaaaa80000000ull, 1, ARITH_FLAGS, 1);
	ALU("orb %b[r], (%[p])", 0x1122334455667770ull, 0x8f, LOGIC_FLAGS, 1);
	ALU("orq (%[p]), %[r]", 0, 0, LOGIC_FLAGS, 0);
	ALU("andw %w[r], (%[p])", 0xffffffffffff0ff0ull, 0xf00f, LOGIC_FLAGS, 1);
	ALU("andq (%[p]), %[r]", 0x8000000000000001ull, ~0ull, LOGIC_FLAGS, 0);
	ALU("andl $0x0f0f0f0f, (%[p])", 0x123456789abcdef0ull, 0, LOGIC_FLAGS, 1);
	ALU("xorl %k[r], (%[p])", 0x55555555aaaaaaaaull, 0xaaaaaaaa, LOGIC_FLAGS, 1);
	ALU("xorq (%[p]), %[r]", 0x0123456789abcdefull, 0x0123456789abcdefull, LOGIC_FLAGS, 0);
	ALU("cmpq %[r], (%[p])", 42, 42, ARITH_FLAGS, 0);
	ALU("cmpq %[r], (%[p])", 1, 2, ARITH_FLAGS, 0);
	ALU("cmpb $0x80, (%[p])", 0x7f, 0, ARITH_FLAGS, 0);
	ALU("cmpl (%[p]), %k[r]", 0x80000000, 0x7fffffff, ARITH_FLAGS, 0);
	ALU("testl $0x80000000, (%[p])", 0x80000000, 0, LOGIC_FLAGS, 0);
	ALU("testq %[r], (%[p])", 0xff00, 0x00ff, LOGIC_FLAGS, 0);
	ALU("testw %w[r], (%[p])", 0x8001, 0x8000, LOGIC_FLAGS, 0);
	rt_printf("mmio: add/or/and/xor/sub/cmp/test with a memory operand, %d forms\n", n);

	/* One literal case, in case RAM and device were both wrong. */
	volatile uint64_t *dev = (volatile uint64_t *)DEV(TESTDEV_SCRATCH);
	*dev = ~0ull;
	uint64_t f;
	asm volatile("addq $1, (%1); pushfq; popq %0" : "=r"(f) : "r"(dev) : "memory", "cc");
	EXPECT_EQ(*dev, 0);
	EXPECT_EQ(f & ARITH_FLAGS, 0x55); /* CF PF AF ZF */
}

/* The read-modify-write forms the decoder has beyond plain ALU ops. Each
 * starts from flags set by a CMP of the operand with itself, so that the
 * flags an instruction leaves alone are the same in both runs. */
#define CF_FLAG 0x1
static void test_rmw(void)
{
	int n = 0;
	ALU("stc\n\tadcq %[r], (%[p])", ~0ull, 0, ARITH_FLAGS, 1);
	ALU("clc\n\tadcl $1, (%[p])", 0x7fffffff, 0, ARITH_FLAGS, 1);
	ALU("stc\n\tadcb (%[p]), %b[r]", 0x7f, 0x80, ARITH_FLAGS, 0);
	ALU("stc\n\tsbbb %b[r], (%[p])", 0x10, 0x0f, ARITH_FLAGS, 1);
	ALU("stc\n\tsbbq (%[p]), %[r]", 5, 5, ARITH_FLAGS, 0);
	ALU("clc\n\tsbbw $0x8000, (%[p])", 0x7fff, 0, ARITH_FLAGS, 1);
	ALU("stc\n\tincq (%[p])", ~0ull, 0, ARITH_FLAGS, 1);
	ALU("clc\n\tincb (%[p])", 0x7f, 0, ARITH_FLAGS, 1);
	ALU("stc\n\tdecw (%[p])", 0x8000, 0, ARITH_FLAGS, 1);
	ALU("clc\n\tdecl (%[p])", 0, 0, ARITH_FLAGS, 1);
	ALU("negl (%[p])", 0x80000000, 0, ARITH_FLAGS, 1);
	ALU("negq (%[p])", 0, 0, ARITH_FLAGS, 1);
	ALU("negb (%[p])", 0x01, 0, ARITH_FLAGS, 1);
	ALU("cmpq %[r], %[r]\n\tnotb (%[p])", 0x5a, 0, ARITH_FLAGS, 1);
	ALU("cmpq %[r], %[r]\n\tnotq (%[p])", 0x0123456789abcdefull, 0, ARITH_FLAGS, 1);
	ALU("lock addq %[r], (%[p])", 0x7fffffffffffffffull, 1, ARITH_FLAGS, 1);
	ALU("lock orl $0x80, (%[p])", 0x01, 0, LOGIC_FLAGS, 1);
	ALU("lock incl (%[p])", 0xffffffff, 0, ARITH_FLAGS, 1);
	ALU("lock negw (%[p])", 0x1234, 0, ARITH_FLAGS, 1);
	ALU("cmpq %[r], %[r]\n\txchgq %[r], (%[p])", 0x1122334455667788ull, 0x99, ARITH_FLAGS, 1);
	ALU("cmpq %[r], %[r]\n\txchgb %b[r], (%[p])", 0x1122334455667788ull, 0xabcd, ARITH_FLAGS, 1);
	ALU("cmpq %[r], %[r]\n\tlock xchgl %k[r], (%[p])", 0x1122334455667788ull, ~0ull, ARITH_FLAGS, 1);
	ALU("lock xaddq %[r], (%[p])", 0x7fffffffffffffffull, 1, ARITH_FLAGS, 1);
	ALU("xaddw %w[r], (%[p])", 0x1111222233334444ull, 0xbbbc, ARITH_FLAGS, 1);
	ALU("btq %[r], (%[p])", 0x8000000000000000ull, 63, CF_FLAG, 0);
	ALU("btl %k[r], (%[p])", 0x00000001fffffffeull, 32, CF_FLAG, 0); /* bit 0 of the dword at +4 */
	ALU("btsl %k[r], (%[p])", 0, 31, CF_FLAG, 1);
	ALU("btrq %[r], (%[p])", ~0ull, 5, CF_FLAG, 1);
	ALU("btcw %w[r], (%[p])", 0x8000, 15, CF_FLAG, 1);
	ALU("btl $3, (%[p])", 0x08, 0, CF_FLAG, 0);
	ALU("btsq $63, (%[p])", 0, 0, CF_FLAG, 1);
	ALU("btrw $3, (%[p])", 0xffff, 0, CF_FLAG, 1);
	ALU("lock btcq $40, (%[p])", 0, 0, CF_FLAG, 1);
	ALU("lock btsl %k[r], (%[p])", 0, 7, CF_FLAG, 1);
	rt_printf("mmio: adc/sbb/inc/dec/not/neg/xchg/xadd/bt*/lock forms, %d forms\n", n);

	/* A register bit offset past the operand picks a later word: bit 70
	 * of the scratch register is bit 6 of the ID register's first byte
	 * (0x30: clear), bit 69 is bit 5 (set). */
	uint64_t f, off = 70;
	asm volatile("btq %1, (%2); pushfq; popq %0" : "=r"(f) : "r"(off), "r"(DEV(TESTDEV_SCRATCH)) : "memory", "cc");
	EXPECT_EQ(f & CF_FLAG, 0);
	off = 69;
	asm volatile("btq %1, (%2); pushfq; popq %0" : "=r"(f) : "r"(off), "r"(DEV(TESTDEV_SCRATCH)) : "memory", "cc");
	EXPECT_EQ(f & CF_FLAG, 1);
}

/* CMPXCHG on a word at p holding init, with RAX = acc and source src. */
static uint64_t cmpxchg_run(volatile uint64_t *p, uint64_t init, uint64_t *acc, uint64_t src)
{
	uint64_t f;
	*p = init;
	asm volatile("lock cmpxchgq %[s], (%[p])\n\tpushfq\n\tpopq %[f]"
		     : "+a"(*acc), [f] "=r"(f) : [s] "r"(src), [p] "r"(p) : "memory", "cc");
	return f;
}

static void test_cmpxchg_lods_movnti(void)
{
	volatile uint64_t *dev = (volatile uint64_t *)DEV(TESTDEV_SCRATCH);
	volatile uint64_t ram;
	uint64_t ar, ad, fr, fd, c0;

	for (int equal = 0; equal < 2; equal++) {
		ar = ad = 0x1111;
		fr = cmpxchg_run(&ram, equal ? 0x1111 : 0x2222, &ar, 0x3333);
		c0 = writes();
		fd = cmpxchg_run(dev, equal ? 0x1111 : 0x2222, &ad, 0x3333);
		EXPECT_EQ(writes() - c0, 2);   /* the *p = init, and the CMPXCHG's write */
		EXPECT_EQ(*dev, ram);
		EXPECT_EQ(ad, ar);
		EXPECT_EQ(fd & ARITH_FLAGS, fr & ARITH_FLAGS);
	}
	EXPECT_EQ(*dev, 0x3333);   /* the last run: equal, so the source went in */

	/* LODS: one element, then REP LODSB over three of the array. */
	uint64_t a = 0, s = DEV(TESTDEV_SCRATCH), n;
	*dev = 0x8877665544332211ull;
	asm volatile("lodsq" : "+a"(a), "+S"(s) : : "memory");
	EXPECT_EQ(a, 0x8877665544332211ull);
	EXPECT_EQ(s, DEV(TESTDEV_SCRATCH) + 8);
	for (int i = 0; i < 8; i++)
		*(volatile uint8_t *)DEV(TESTDEV_ARRAY + i) = (uint8_t)(0xa0 + i);
	a = ~0ull, s = DEV(TESTDEV_ARRAY), n = 3;
	asm volatile("rep lodsb" : "+a"(a), "+S"(s), "+c"(n) : : "memory");
	EXPECT_EQ(a, 0xffffffffffffffa2ull);
	EXPECT(s == DEV(TESTDEV_ARRAY) + 3 && n == 0);
	a = 0x5555555555555555ull, s = DEV(TESTDEV_ARRAY + 4);
	asm volatile("std; lodsl; cld" : "+a"(a), "+S"(s) : : "memory", "cc");
	EXPECT_EQ(a, 0xa7a6a5a4ull);
	EXPECT_EQ(s, DEV(TESTDEV_ARRAY));

	/* MOVNTI: an ordinary store as far as the device sees. */
	c0 = writes();
	asm volatile("movnti %0, (%1)" : : "r"(0x0badc0de12345678ull), "r"(dev) : "memory");
	asm volatile("movnti %k0, 4(%1)" : : "r"(0xfeedfaceull), "r"(dev) : "memory");
	EXPECT_EQ(writes() - c0, 2);
	EXPECT_EQ(*dev, 0xfeedface12345678ull);
	rt_printf("mmio: cmpxchg (both outcomes), lods, rep lods, movnti done\n");
}

/* SSE moves to and from the device (CR4.OSFXSR on for them). */
static void test_sse(void)
{
	uint64_t arr = DEV(TESTDEV_ARRAY);
	uint8_t buf[32] __attribute__((aligned(16)));
	uint64_t lo, hi, c0;

	write_cr4(read_cr4() | (1ull << 9));
	for (int i = 0; i < 32; i++)
		*(volatile uint8_t *)(arr + i) = (uint8_t)(0x40 + i);
	/* movdqu device -> xmm0 -> RAM. */
	memset(buf, 0, sizeof(buf));
	asm volatile("movdqu (%0), %%xmm0\n\tmovdqu %%xmm0, (%1)" : : "r"(arr + 1), "r"(buf) : "memory");
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(buf[i], 0x41 + i);
	/* movdqa RAM -> xmm1 -> device (aligned), movaps and movntdq too. */
	for (int i = 0; i < 16; i++)
		buf[i] = (uint8_t)(0x90 + i);
	c0 = writes();
	asm volatile("movdqa (%0), %%xmm1\n\tmovdqa %%xmm1, (%1)" : : "r"(buf), "r"(arr + 16) : "memory");
	EXPECT(writes() - c0 >= 1);
	lo = *(volatile uint64_t *)(arr + 16), hi = *(volatile uint64_t *)(arr + 24);
	EXPECT_EQ(lo, 0x9796959493929190ull);
	EXPECT_EQ(hi, 0x9f9e9d9c9b9a9998ull);
	asm volatile("movaps (%0), %%xmm2\n\tmovaps %%xmm2, (%1)" : : "r"(arr + 16), "r"(buf + 16) : "memory");
	EXPECT_EQ(memcmp(buf, buf + 16, 16), 0);
	asm volatile("movups %%xmm2, 3(%0)\n\tmovntdq %%xmm2, 32(%0)" : : "r"(arr) : "memory");
	EXPECT_EQ(*(volatile uint8_t *)(arr + 3), 0x90);
	EXPECT_EQ(*(volatile uint64_t *)(arr + 40), 0x9f9e9d9c9b9a9998ull);
	/* movd/movq: loads zero the rest of the register. */
	for (int i = 0; i < 16; i++)
		*(volatile uint8_t *)(arr + i) = (uint8_t)(0x40 + i);
	asm volatile("pcmpeqb %%xmm3, %%xmm3\n\tmovd (%0), %%xmm3\n\tmovdqu %%xmm3, (%1)"
		     : : "r"(arr), "r"(buf) : "memory");
	EXPECT_EQ(*(uint64_t *)buf, 0x43424140ull);
	EXPECT_EQ(*(uint64_t *)(buf + 8), 0);
	asm volatile("pcmpeqb %%xmm4, %%xmm4\n\tmovq (%0), %%xmm4\n\tmovdqu %%xmm4, (%1)"
		     : : "r"(arr), "r"(buf) : "memory");
	EXPECT_EQ(*(uint64_t *)buf, 0x4746454443424140ull);
	EXPECT_EQ(*(uint64_t *)(buf + 8), 0);
	asm volatile("movq %0, %%xmm5\n\tmovq %%xmm5, 8(%1)\n\tmovd %%xmm5, 4(%1)"
		     : : "r"(0x1122334455667788ull), "r"(arr) : "memory");
	EXPECT_EQ(*(volatile uint64_t *)(arr + 8), 0x1122334455667788ull);
	EXPECT_EQ(*(volatile uint32_t *)(arr + 4), 0x55667788u);
	rt_printf("mmio: sse movd/movq/movdqu/movdqa/movaps/movups/movntdq done\n");
}

static void test_string(void)
{
	uint64_t arr = DEV(TESTDEV_ARRAY);
	uint8_t ram[256], back[256];
	uint64_t c0, n, d, s;

	d = arr, n = 256, c0 = writes();
	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0x5a) : "memory");
	EXPECT_EQ(writes() - c0, 256);
	EXPECT(d == arr + 256 && n == 0);
	EXPECT_EQ(load(arr, 8), 0x5a5a5a5a5a5a5a5aull);
	EXPECT_EQ(load(arr + 248, 8), 0x5a5a5a5a5a5a5a5aull);
	EXPECT_EQ(load(arr + 256, 8), ~0ull); /* past the array: all ones */

	d = arr, n = 32, c0 = writes();
	asm volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0x0706050403020100ull) : "memory");
	EXPECT_EQ(writes() - c0, 32);
	EXPECT(d == arr + 256 && n == 0);
	EXPECT_EQ(load(arr + 8 * 17, 8), 0x0706050403020100ull);

	d = arr + 8 * 3, n = 4; /* DF=1: qwords 3, 2, 1, 0 */
	asm volatile("std; rep stosq; cld" : "+D"(d), "+c"(n) : "a"(0xddull) : "memory", "cc");
	EXPECT_EQ(d, arr - 8);
	EXPECT(load(arr, 8) == 0xdd && load(arr + 24, 8) == 0xdd &&
	       load(arr + 32, 8) == 0x0706050403020100ull);
	rt_printf("mmio: rep stosb/stosq done\n");

	for (int i = 0; i < 256; i++)
		ram[i] = i * 7 + 3;
	memset(back, 0, sizeof(back));
	d = arr, s = (uint64_t)ram, n = 256, c0 = writes();
	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	EXPECT_EQ(writes() - c0, 256);
	EXPECT(d == arr + 256 && s == (uint64_t)ram + 256 && n == 0);
	EXPECT_EQ(load(arr + 100, 1) & 0xff, (uint8_t)(100 * 7 + 3));
	d = (uint64_t)back, s = arr, n = 256, c0 = writes();
	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	EXPECT_EQ(writes() - c0, 0);
	EXPECT(d == (uint64_t)back + 256 && s == arr + 256 && n == 0);
	EXPECT_EQ(memcmp(back, ram, 256), 0);
	rt_printf("mmio: rep movsb ram->device->ram done\n");
}

RT_STRING_FN(s_stosb, "stosb", "a") RT_STRING_FN(s_stosw, "stosw", "a") RT_STRING_FN(s_stosl, "stosl", "a") RT_STRING_FN(s_stosq, "stosq", "a")
RT_STRING_FN(s_rstosb, "rep stosb", "a") RT_STRING_FN(s_rstosw, "rep stosw", "a") RT_STRING_FN(s_rstosl, "rep stosl", "a")
RT_STRING_FN(s_rstosq, "rep stosq", "a")
RT_STRING_FN(s_movsb, "movsb", "a") RT_STRING_FN(s_movsw, "movsw", "a") RT_STRING_FN(s_movsl, "movsl", "a") RT_STRING_FN(s_movsq, "movsq", "a")
RT_STRING_FN(s_rmovsb, "rep movsb", "a") RT_STRING_FN(s_rmovsw, "rep movsw", "a") RT_STRING_FN(s_rmovsl, "rep movsl", "a")
RT_STRING_FN(s_rmovsq, "rep movsq", "a")

static const struct {
	const char *name;
	void (*fn)(bool df, uint64_t rax, struct rt_sregs *r);
	bool movs, rep;
	unsigned size;
} str_forms[] = {
	{ "stosb", s_stosb, false, false, 1 }, { "stosw", s_stosw, false, false, 2 },
	{ "stosd", s_stosl, false, false, 4 }, { "stosq", s_stosq, false, false, 8 },
	{ "rep stosb", s_rstosb, false, true, 1 }, { "rep stosw", s_rstosw, false, true, 2 },
	{ "rep stosd", s_rstosl, false, true, 4 }, { "rep stosq", s_rstosq, false, true, 8 },
	{ "movsb", s_movsb, true, false, 1 }, { "movsw", s_movsw, true, false, 2 },
	{ "movsd", s_movsl, true, false, 4 }, { "movsq", s_movsq, true, false, 8 },
	{ "rep movsb", s_rmovsb, true, true, 1 }, { "rep movsw", s_rmovsw, true, true, 2 },
	{ "rep movsd", s_rmovsl, true, true, 4 }, { "rep movsq", s_rmovsq, true, true, 8 },
};

#define STR_AT 128     /* offset of the first element, in RAM and device */
#define STR_REP 4
#define STR_RCX 7
#define STR_RAX 0x8877665544332211ull

static uint8_t str_ram[256];

/* The expected byte at i: from the element pattern inside [lo, hi),
 * else 0. */
static uint8_t str_want(unsigned i, unsigned lo, unsigned hi, bool movs, unsigned size)
{
	if (i < lo || i >= hi)
		return 0;
	return movs ? (uint8_t)(i * 7 + 3) : (uint8_t)(STR_RAX >> (8 * ((i - lo) % size)));
}

/* One form, one DF, one direction (to_dev: the device is the
 * destination; else MOVS reads the device into RAM). */
static unsigned str_one(unsigned f, bool df, bool to_dev)
{
	static uint8_t back[256];
	uint64_t arr = DEV(TESTDEV_ARRAY), z = 0, n = 32, d = arr;
	unsigned size = str_forms[f].size, fails = rt_failures, good = 0;
	uint64_t count = str_forms[f].rep ? STR_REP : 1;
	int64_t step = df ? -(int64_t)size : (int64_t)size;
	unsigned lo = df ? STR_AT - (unsigned)(count - 1) * size : STR_AT;
	unsigned hi = df ? STR_AT + size : STR_AT + (unsigned)count * size;
	bool movs = str_forms[f].movs;
	uint64_t src = to_dev ? (uint64_t)(str_ram + STR_AT) : arr + STR_AT;
	uint64_t dst = to_dev ? arr + STR_AT : (uint64_t)(back + STR_AT);
	struct rt_sregs r = { movs ? src : 0, dst, str_forms[f].rep ? STR_REP : STR_RCX };

	/* The device array: zero to be written, or the pattern to be read. */
	if (to_dev) {
		asm volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(z) : "memory");
	} else {
		uint64_t s = (uint64_t)str_ram;
		n = 256;
		asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		memset(back, 0, sizeof(back));
	}
	str_forms[f].fn(df, STR_RAX, &r);
	EXPECT_EQ(r.rdi, dst + (uint64_t)(step * (int64_t)count));
	EXPECT_EQ(r.rsi, movs ? src + (uint64_t)(step * (int64_t)count) : 0);
	EXPECT_EQ(r.rcx, str_forms[f].rep ? 0 : STR_RCX);
	for (unsigned i = STR_AT - 64; i < STR_AT + 64; i++) {
		uint8_t got = to_dev ? (uint8_t)load(arr + i, 1) : back[i];
		good += got == str_want(i, lo, hi, movs, size);
	}
	EXPECT_EQ(good, 128);
	return rt_failures - fails;
}

static void test_string_forms(void)
{
	unsigned n = 0;

	for (int i = 0; i < 256; i++)
		str_ram[i] = (uint8_t)(i * 7 + 3);
	for (unsigned f = 0; f < sizeof(str_forms) / sizeof(str_forms[0]); f++)
		for (int df = 0; df <= 1; df++)
			for (int to_dev = 1; to_dev >= (str_forms[f].movs ? 0 : 1); to_dev--) {
				if (str_one(f, df, to_dev))
					rt_printf("mmio: FAIL: %s %s the device with DF=%d\n",
						  str_forms[f].name, to_dev ? "into" : "out of", df);
				n++;
			}
	rt_printf("mmio: %u STOS/MOVS forms checked with DF=0 and DF=1\n", n);
}

static void test_registers(void)
{
	uint64_t id = load(DEV(TESTDEV_ID), 8);
	rt_printf("mmio: id 0x%lx\n", id);
	EXPECT_EQ(id, TESTDEV_ID_VALUE);
	EXPECT_EQ(load(DEV(TESTDEV_ID), 4), 0x54524130);
	EXPECT_EQ(load(DEV(TESTDEV_ID + 4), 4), 0x00005641);
	EXPECT_EQ(load(DEV(TESTDEV_ID + 5), 1) & 0xff, 0x56);
	EXPECT_EQ(load(DEV(TESTDEV_ID + 2), 2) & 0xffff, 0x5452);

	uint64_t c0 = writes();
	store(DEV(TESTDEV_ID), 0x1234, 8);          /* ignored, but counted */
	EXPECT_EQ(load(DEV(TESTDEV_ID), 8), TESTDEV_ID_VALUE);
	store(DEV(TESTDEV_WRITES), 0, 8);           /* read-only, counted */
	store(DEV(0x800), 0x1234, 4);               /* ignored, counted */
	EXPECT_EQ(writes(), c0 + 3);
	EXPECT_EQ(writes(), c0 + 3);                /* reads do not count */
	EXPECT_EQ(load(DEV(0x800), 8), ~0ull);
	EXPECT_EQ(load(DEV(0x018), 8), ~0ull);
	EXPECT_EQ(load(DEV(0xfff), 1) & 0xff, 0xff);
	EXPECT_EQ(load(DEV(0xffc), 4), 0xffffffff);
	rt_printf("mmio: write counter %lu\n", writes());
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	if (rt_bare) {
		rt_printf("mmio: skipped (bare: no test device)\n");
		rt_done();
	}
	test_registers();
	test_mov();
	test_extend();
	test_moffs();
	test_alu();
	test_rmw();
	test_cmpxchg_lods_movnti();
	test_sse();
	test_string();
	test_string_forms();
	rt_done();
}
