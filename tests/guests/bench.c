/*
 * bench: TSC cycles per round trip of the common exits, `iters=N` times
 * each (default 20000). One line per measure,
 * `BENCH <name> <cycles> best <cycles>`: the whole run's mean, then the
 * lowest median of WINDOW consecutive round trips (the steady figure: a
 * loaded host slows whole runs down for seconds at a time):
 *   baseline  lfence; nop (nothing exits)
 *   cpuid     CPUID leaf 0
 *   in        IN from port 0x80 (unassigned)
 *   mmio      read of the test device ID register   (Vatra only)
 *   eoi       xAPIC EOI write (MOV to 0xfee000b0; nothing in service,
 *             so it changes nothing), a Linux guest's commonest exit
 *   hypercall VERSION                               (Vatra only)
 *   tsc_khz   CPUID 0x40000010 EAX when Vatra's leaf 0x40000000 reaches
 *             it, else 0
 *   cpuid-os, in-os, hypercall-os: the same once the kernel runs with the
 *             protections a modern kernel sets (CR4.PGE, and SMEP and
 *             SMAP where CPUID has them, its pages supervisor-only), as
 *             Linux does and the hypervisor itself does
 * Each round trip is timed from one RDTSC to the next, as a loop of
 * "RDTSC; store; exiting instruction" (the baseline has the same loop).
 * Flag `bare`: no mmio, no hypercall; `only=NAME`: that measure alone
 * (for profiles of one exit). Always exits 0.
 */
#include "rt.h"

#define WINDOW 1000
#define MAXSAMPLES 20000

static uint64_t iters;
static char only[16];
static uint32_t samples[MAXSAMPLES];
static uint32_t scratch[WINDOW];

/* The k-th smallest of a[0..n) (Hoare's selection; a is reordered). */
static uint32_t select_kth(uint32_t *a, unsigned n, unsigned k)
{
	unsigned lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t pivot = a[lo + (hi - lo) / 2];
		unsigned i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				uint32_t t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

/* The lowest median over the whole windows of WINDOW samples; with
 * fewer samples than a window, the median of them all. */
static uint32_t best_window(unsigned n)
{
	unsigned w = n < WINDOW ? n : WINDOW;
	uint32_t best = ~0u;

	for (unsigned s = 0; s + w <= n; s += w) {
		memcpy(scratch, samples + s, w * sizeof(uint32_t));
		uint32_t m = select_kth(scratch, w, w / 2);
		if (m < best)
			best = m;
	}
	return best;
}

#define MEASURE(name, body)                                                    \
	do {                                                                   \
		if (only[0] && strcmp(only, name))                             \
			break;                                                 \
		unsigned n = 0;                                                \
		uint64_t t0 = rdtsc(), prev = t0;                              \
		for (uint64_t i = 0; i < iters; i++) {                         \
			body;                                                  \
			uint64_t t = rdtsc();                                  \
			if (n < MAXSAMPLES)                                    \
				samples[n++] = (uint32_t)(t - prev);           \
			prev = t;                                              \
		}                                                              \
		rt_printf("BENCH %s %lu best %u\n", name, (prev - t0) / iters, \
			  best_window(n));                                     \
	} while (0)

/* Supervisor-only pages (U/S clear in every PDE of the identity map),
 * then CR4.PGE, SMEP and SMAP as CPUID offers them (SDM Vol. 3A, 4.6). */
static void os_protections(void)
{
	struct cpuid_regs l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){ 0 };
	uint64_t cr4 = read_cr4() | (1u << 7);

	for (unsigned i = 0; i < 4; i++)
		for (unsigned j = 0; j < 512; j++)
			rt_pd[i][j] &= ~4ULL;
	write_cr3(read_cr3());
	if (l7.ebx & (1u << 7))
		cr4 |= 1u << 20;
	if (l7.ebx & (1u << 20))
		cr4 |= 1u << 21;
	write_cr4(cr4);
	rt_printf("bench: CR4 0x%lx\n", read_cr4());
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	iters = rt_arg_ul("iters=", 20000);
	if (!iters)
		iters = 1;
	rt_arg_str("only=", only, sizeof(only));
	rt_printf("bench: %lu iterations each\n", iters);

	MEASURE("baseline", asm volatile("lfence; nop; lfence" ::: "memory"));
	MEASURE("cpuid", (void)cpuid(0, 0));
	MEASURE("in", (void)inb(0x80));
	MEASURE("eoi", asm volatile("movl %0, (%1)" ::"r"(0u), "r"(0xfee000b0ul) : "memory"));
	if (!rt_bare) {
		MEASURE("mmio", (void)*(volatile uint64_t *)(TESTDEV_BASE + TESTDEV_ID));
		MEASURE("hypercall", (void)rt_hypercall(HC_VERSION, 0, 0, 0, 0));
	}
	os_protections();
	MEASURE("cpuid-os", (void)cpuid(0, 0));
	MEASURE("in-os", (void)inb(0x80));
	if (!rt_bare)
		MEASURE("hypercall-os", (void)rt_hypercall(HC_VERSION, 0, 0, 0, 0));

	uint32_t khz = 0;
	struct cpuid_regs h = cpuid(0x40000000, 0);
	uint32_t sig[3] = {h.ebx, h.ecx, h.edx};
	if (!memcmp(sig, "VatraVatraHV", 12) && h.eax >= 0x40000010 && h.eax < 0x40000100)
		khz = cpuid(0x40000010, 0).eax;
	rt_printf("BENCH tsc_khz %u\n", khz);
	return 0;
}
