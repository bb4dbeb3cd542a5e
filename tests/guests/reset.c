/*
 * reset: on its first start, leaves a marker in its RAM and resets the
 * machine through the reset control port 0xCF9 (the FADT's reset
 * register); Vatra must start the partition again, which the
 * PARTITION_INFO hypercall's start count shows, with its memory zeroed:
 * on the second start the marker must be gone. The same for the FPU/SSE
 * registers: markers in XMM0-15 and a changed MXCSR and x87 control word
 * before the reset; the second run must find the power-up state (XMM
 * zero, MXCSR 0x1f80, FCW 0x037f). Vatra-only.
 * `resets=N` (default 1) resets N times before the final check, each
 * start checking the last one's marker is gone: every start is a new
 * vCPU, so pinned to one CPU this walks through its TLB tags.
 */
#define MARK_ADDR 0x800000UL   /* 8 MiB: above the kernel, inside 16 MiB of RAM */
#define MARK 0x56617472614d726bULL
#include "rt.h"

static void sse_on(void)
{
	uint64_t cr4;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= (1u << 9) | (1u << 10);          /* OSFXSR, OSXMMEXCPT */
	asm volatile("mov %0, %%cr4" : : "r"(cr4));
}

#define XMM_ALL(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) \
	op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define XMM_SET(n) asm volatile("movq %0, %%xmm" #n : : "r"(MARK + n));
#define XMM_GET(n) asm volatile("movdqu %%xmm" #n ", %0" : "=m"(x[n]));

static void fpu_mark(void)
{
	uint32_t mxcsr = 0x9fc0;                /* FTZ, DAZ */
	uint16_t fcw = 0x027f;                  /* 53-bit precision */

	XMM_ALL(XMM_SET)
	asm volatile("ldmxcsr %0" : : "m"(mxcsr));
	asm volatile("fldcw %0" : : "m"(fcw));
}

/* Nonzero XMM registers, MXCSR and FCW as found now. */
static unsigned fpu_check(uint32_t *mxcsr, uint16_t *fcw)
{
	struct { uint64_t lo, hi; } x[16];
	unsigned dirty = 0;

	XMM_ALL(XMM_GET)
	asm volatile("stmxcsr %0" : "=m"(*mxcsr));
	asm volatile("fnstcw %0" : "=m"(*fcw));
	for (unsigned i = 0; i < 16; i++)
		dirty += x[i].lo || x[i].hi;
	return dirty;
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	struct vatra_pinfo pi;

	uint32_t mxcsr;
	uint16_t fcw;
	unsigned dirty;
	uint64_t resets = rt_arg_ul("resets=", 1);

	(void)mb_magic, (void)mb_info;
	sse_on();
	dirty = fpu_check(&mxcsr, &fcw);
	EXPECT_EQ(rt_hypercall(HC_PARTITION_INFO, (long)&pi, sizeof(pi), 0, 0), 0);
	rt_printf("reset: start %u\n", pi.starts);
	/* Every run starts from the FPU's power-up state. */
	EXPECT_EQ(dirty, 0);
	EXPECT_EQ(mxcsr, 0x1f80);
	EXPECT_EQ(fcw, 0x037f);
	if (pi.starts > 1)
		EXPECT_EQ(*(volatile uint64_t *)MARK_ADDR, 0);   /* RAM zeroed on restart */
	if (pi.starts <= resets) {
		*(volatile uint64_t *)MARK_ADDR = MARK;
		fpu_mark();
		outb(0xcf9, 0x02);
		outb(0xcf9, 0x06);   /* hard reset */
		rt_printf("reset: FAIL: still running after the reset\n");
		rt_exit(1);
	}
	EXPECT_EQ(pi.starts, resets + 1);
	rt_printf("reset: %lu restarts; memory and FPU/SSE registers zeroed on every restart\n", resets);
	rt_done();
}
