/*
 * fuzz: a seeded, reproducible stream of what a hostile guest can throw
 * at the exit paths, recovering from its own exceptions (rt_try) and
 * going on. Each of `ops=N` operations (default 20000) is one of:
 *   - CPUID with a random leaf and subleaf
 *   - RDMSR/WRMSR of an MSR from Vatra's lists, the MTRRs or anywhere,
 *     with a random value
 *   - IN/OUT of 1/2/4 bytes to a random port; INS/OUTS with REP, DF either
 *     way, a random count and a buffer in the scratch area or outside RAM
 *   - MMIO to the LAPIC, IOAPIC, the test device, the ECAM window and the
 *     PCI hole: MOV loads and stores of every size, ADD/OR/XOR/AND, XCHG,
 *     CMPXCHG, BTS, INC, MOVS, STOS and LODS with REP
 *   - CR0/CR4 bit flips, CR3 with its PWT/PCD bits, CR8, XSETBV, DR0-3
 *     and DR6 (each put back after)
 *   - VMCALL/VMMCALL with a random number and wild pointers
 *   - a 4 KiB page of its own whose PTE points at a device, outside RAM,
 *     the page table itself or the page directory, reached through
 *     every MMIO form above (the emulator walks the guest's tables)
 *   - EFER bit flips other than LME and NXE, put back after
 *   - 64 random bytes run at CPL 3 with interrupts on, from a 2 MiB
 *     scratch region that is the only user-accessible memory, with
 *     registers pointing into it; a LAPIC timer watchdog ends code that
 *     loops (its handler ends the rt_try)
 *   - 1 KiB of random bytes run at CPL 0 in 64-bit, 32-bit or 16-bit
 *     code (K_KERN, below: how it survives them); `kern=P` makes P% of
 *     all operations such streams; flag `no_ring0` leaves them out
 *     (Bochs' SVM: a stream looping with IF=0 and TF cleared would keep
 *     the CPU, as that SVM takes no host interrupt while the guest's IF
 *     is clear)
 * Every random instruction, CPL 3 and CPL 0, runs with TF set: its #DB
 * counts it, and the total is printed at the end ("N instructions
 * single-stepped"). `seconds=N` ends the run after N s of TSC time.
 * What would end the partition on purpose is left out: the debug-exit
 * and reset ports, ACPI sleep, INIT/SIPI/SMI in IPIs and interrupt
 * routing, interrupt vectors below 32, EFER, APIC_BASE, FS/GS base,
 * PCI BARs, SMEP/SMAP (the kernel's own pages are user pages), and the
 * COM1 port's output (the log). Needs `unmapped = ignore`: addresses
 * outside RAM read all ones.
 *
 * Prints its seed, progress every ops/8, the count of each kind and of
 * each exception vector, and PASS when it got to the end.
 * `role=canary`: fills its RAM from 4 MiB with a pattern and checks it
 * for `seconds=N` (default 10), printing a heartbeat each second; any
 * changed byte is a FAIL.
 */
#include "rt.h"

#define SCRATCH   0xa00000ul         /* 2 MiB, the only user pages */
#define S_CODE    (SCRATCH)
#define S_DATA    (SCRATCH + 0x1000)
#define S_USTACK  (SCRATCH + 0x200000 - 0x100)
#define LAPIC(off) (*(volatile uint32_t *)(0xfee00000ul + (off)))
#define V_WATCHDOG 0xfe               /* above every vector the fuzzing routes */

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static uint64_t rnd_n(uint64_t n) { return rnd() % n; }

enum { K_CPUID, K_MSR, K_PIO, K_SIO, K_MMIO, K_CR, K_HCALL, K_USER, K_PT, K_EFER, K_KERN, K_N };
static const char *const kind_name[K_N] = { "cpuid", "msr", "pio", "string-io", "mmio", "cr",
					    "hypercall", "user-code", "page-table", "efer",
					    "ring0-code" };
static uint64_t kinds[K_N], vectors[256], watchdogs, spurious;

/* ---- what is left out ---- */

static bool port_bad(uint16_t p, bool write)
{
	if (p >= 0xf4 && p <= 0xf7)        /* debug exit */
		return true;
	if (p == 0xcf9 || p == 0x92 || p == 0x64)   /* resets */
		return true;
	if (p >= 0x604 && p <= 0x605)      /* PM1a_CNT: SLP_EN */
		return true;
	if (write && ((p >= 0x3f8 && p <= 0x3ff)))  /* the console */
		return true;
	/* The 8259s: a base below 32 would deliver exceptions' vectors. */
	if (write && (p == 0x20 || p == 0x21 || p == 0xa0 || p == 0xa1))
		return true;
	if (write && p >= 0xcfc && p <= 0xcff) {
		uint32_t a;
		asm volatile("inl %1, %0" : "=a"(a) : "Nd"((uint16_t)0xcf8));
		a &= 0xfc;
		return a >= 0x10 && a < 0x28;  /* BARs */
	}
	return false;
}

static const uint32_t msrs[] = {
	0x10, 0x3b, 0x8b, 0xfe, 0x174, 0x175, 0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x277,
	0x2ff, 0x200, 0x201, 0x20e, 0x20f, 0x210, 0x250, 0x258, 0x259, 0x268, 0x26f,
	0x345, 0x3a, 0x6e0, 0x802, 0x808, 0x830, 0xc0000081, 0xc0000082, 0xc0000083,
	0xc0000084, 0xc0000102, 0xc0000103, 0xc0010000, 0xc0010004, 0xc0010010,
	0xc0010015, 0xc001001f, 0xc0010114, 0x48, 0x49, 0xc001011f, 0x600, 0x9b, 0x480, 0x40000000,
};

static bool msr_bad(uint32_t m)
{
	/* EFER, APIC_BASE, FS/GS base; SYSENTER would let CPL 3 code in at
	 * a random ring-0 address. */
	return m == 0xc0000080 || m == 0x1b || (m >= 0xc0000100 && m <= 0xc0000101) ||
	       (m >= 0x174 && m <= 0x176);
}

/* ---- operations; each runs inside rt_try ---- */

static uint64_t a0, a1, a2, a3;

static void op_cpuid(void *x)
{
	(void)x;
	uint32_t leaf = (uint32_t)a0, sub = (uint32_t)a1;
	asm volatile("cpuid" : "+a"(leaf), "+c"(sub) :: "rbx", "rdx");
}

static void op_msr(void *x)
{
	(void)x;
	uint32_t m = (uint32_t)a0;
	if (a2 & 1)
		wrmsr(m, a1);
	else
		(void)rdmsr(m);
}

static void op_pio(void *x)
{
	(void)x;
	uint16_t p = (uint16_t)a0;
	uint32_t v = (uint32_t)a1;
	switch (a2 % 6) {
	case 0: asm volatile("inb %1, %%al" : "+a"(v) : "d"(p)); break;
	case 1: asm volatile("inw %1, %%ax" : "+a"(v) : "d"(p)); break;
	case 2: asm volatile("inl %1, %%eax" : "+a"(v) : "d"(p)); break;
	case 3: asm volatile("outb %%al, %1" :: "a"(v), "d"(p)); break;
	case 4: asm volatile("outw %%ax, %1" :: "a"(v), "d"(p)); break;
	default: asm volatile("outl %%eax, %1" :: "a"(v), "d"(p)); break;
	}
}

static void op_sio(void *x)
{
	(void)x;
	uint16_t p = (uint16_t)a0;
	uint64_t buf = a1, n = a3;
	bool down = a2 & 8;
	if (down)
		asm volatile("std");
	switch (a2 % 6) {
	case 0: asm volatile("rep insb" : "+D"(buf), "+c"(n) : "d"(p) : "memory"); break;
	case 1: asm volatile("rep insw" : "+D"(buf), "+c"(n) : "d"(p) : "memory"); break;
	case 2: asm volatile("rep insl" : "+D"(buf), "+c"(n) : "d"(p) : "memory"); break;
	case 3: asm volatile("rep outsb" : "+S"(buf), "+c"(n) : "d"(p) : "memory"); break;
	case 4: asm volatile("rep outsw" : "+S"(buf), "+c"(n) : "d"(p) : "memory"); break;
	default: asm volatile("rep outsl" : "+S"(buf), "+c"(n) : "d"(p) : "memory"); break;
	}
	asm volatile("cld");
}

static void op_mmio(void *x)
{
	(void)x;
	volatile uint8_t *p = (volatile uint8_t *)a0;
	uint64_t v = a1, n = 1 + (a3 & 7);
	switch (a2 % 16) {
	case 0: v = *p; break;
	case 1: v = *(volatile uint16_t *)p; break;
	case 2: v = *(volatile uint32_t *)p; break;
	case 3: v = *(volatile uint64_t *)p; break;
	case 4: *p = (uint8_t)v; break;
	case 5: *(volatile uint16_t *)p = (uint16_t)v; break;
	case 6: *(volatile uint32_t *)p = (uint32_t)v; break;
	case 7: *(volatile uint64_t *)p = v; break;
	case 8: asm volatile("addl %1, %0" : "+m"(*(volatile uint32_t *)p) : "r"((uint32_t)v)); break;
	case 9: asm volatile("lock orq %1, %0" : "+m"(*(volatile uint64_t *)p) : "r"(v)); break;
	case 10: {
		uint32_t w = (uint32_t)v;
		asm volatile("xchgl %1, %0" : "+m"(*(volatile uint32_t *)p), "+r"(w));
		v = w;
		break;
	}
	case 11: {
		uint32_t w = (uint32_t)v;
		asm volatile("lock cmpxchgl %2, %0" : "+m"(*(volatile uint32_t *)p), "+a"(w)
			     : "r"((uint32_t)a3));
		v = w;
		break;
	}
	case 12: asm volatile("btsl %1, %0" : "+m"(*(volatile uint32_t *)p) : "r"((uint32_t)a3 & 63)); break;
	case 13: asm volatile("incw %0" : "+m"(*(volatile uint16_t *)p)); break;
	case 14: {
		uint64_t d = S_DATA + 0x800;
		if (a3 & 16)
			asm volatile("rep movsb" : "+S"(p), "+D"(d), "+c"(n) :: "memory");
		else
		{
			uint16_t w;
			asm volatile("rep lodsw" : "+S"(p), "+c"(n), "=a"(w) :: "memory");
			v = w;
		}
		break;
	}
	default: {
		volatile uint8_t *d = p;
		uint64_t s = S_DATA;
		if (a3 & 16)
			asm volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(v) : "memory");
		else
			asm volatile("rep movsq" : "+S"(s), "+D"(d), "+c"(n) :: "memory");
		break;
	}
	}
	asm volatile("" :: "r"(v));
}

static inline uint64_t rd_cr0(void) { uint64_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t rd_cr3(void) { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t rd_cr4(void) { uint64_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }

static uint64_t cr0_0, cr3_0, cr4_0;

static void op_cr(void *x)
{
	(void)x;
	switch (a2 % 8) {
	case 0: {
		/* One of MP EM TS NE WP AM NW CD, or a reserved bit. */
		static const uint8_t b[] = { 1, 2, 3, 5, 16, 18, 29, 30, 31, 0, 4, 6, 32, 40, 63 };
		uint64_t v = cr0_0 ^ (1ull << b[a0 % sizeof(b)]);
		asm volatile("mov %0, %%cr0" :: "r"(v));
		break;
	}
	case 1: {
		unsigned bit = (unsigned)(a0 % 64);
		if (bit == 20 || bit == 21)        /* SMEP, SMAP: see above */
			bit = 2;
		asm volatile("mov %0, %%cr4" :: "r"(cr4_0 ^ (1ull << bit)));
		break;
	}
	case 2:
		/* PWT and PCD; not bit 63, which QEMU's TCG takes without
		 * the #GP (docs/security.md, known limits). */
		asm volatile("mov %0, %%cr3" :: "r"(cr3_0 | (a0 & 0x18)));
		break;
	case 3:
		asm volatile("mov %0, %%cr8" :: "r"(a0 & 0x1f));
		break;
	case 4: {
		uint32_t lo = (uint32_t)a1, hi = (uint32_t)(a1 >> 32), c = (uint32_t)(a0 & 1);
		if (a0 & 2)
			lo |= 3;
		asm volatile("xsetbv" :: "a"(lo), "d"(hi), "c"(c));
		break;
	}
	case 5:
		switch (a0 & 3) {
		case 0: asm volatile("mov %0, %%dr0" :: "r"(a1)); break;
		case 1: asm volatile("mov %0, %%dr1" :: "r"(a1)); break;
		case 2: asm volatile("mov %0, %%dr2" :: "r"(a1)); break;
		default: asm volatile("mov %0, %%dr3" :: "r"(a1)); break;
		}
		break;
	case 6:
		asm volatile("mov %0, %%dr6" :: "r"(a1));
		break;
	default: {
		uint64_t v;
		asm volatile("mov %%dr6, %0" : "=r"(v));
		asm volatile("mov %%dr7, %0" : "=r"(v));
		asm volatile("mov %%cr8, %0" : "=r"(v));
		break;
	}
	}
}

static void op_hcall(void *x)
{
	(void)x;
	uint64_t nr = a0;
	switch (a3 & 3) {
	case 0: nr = a0 & 7; break;                /* the real ones, with wild pointers */
	case 1: nr = 0x100 + (a0 & 3); break;      /* the test ones */
	default: break;
	}
	if (nr == 1)                               /* console: a byte at most */
		a2 = a2 & 1;
	if (nr == 0x100)                           /* an injected vector: not below 32 */
		a1 = 32 + (a1 & 0xdf);
	(void)rt_hypercall((long)nr, (long)a1, (long)a2, (long)a3, (long)a0);
}

/* K_PT: the 2 MiB at PT_VA are mapped by pt[] (4 KiB pages). */
#define PT_VA 0x7fe00000ul
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint64_t efer_0;

static void op_efer(void *x)
{
	(void)x;
	static const uint8_t b[] = { 0, 14, 12, 13, 15, 1, 9, 10, 16, 63 };
	wrmsr(0xc0000080, efer_0 ^ (1ull << b[a0 % sizeof(b)]));
}

static volatile bool in_user;
/* Kernel memory CPL 3 code must not reach: checked at the end. */
static uint64_t guard[512];
#define GUARD(i) (0x6a09e667f3bcc908ull ^ ((uint64_t)(i) * 0x100000001b3ull))

/* Enters the scratch code at CPL 3, interrupts on, every GPR pointing
 * into the scratch area; it ends by faulting (or by the watchdog). */
static void op_user(void *x)
{
	(void)x;
	uint64_t frame[5] = { S_CODE, 0x23, 0x302, S_USTACK, 0x1b };   /* IF, TF */
	in_user = true;
	asm volatile("mov %0, %%rsp\n"
		     "mov %1, %%rax\n mov %1, %%rbx\n mov %1, %%rcx\n mov %1, %%rdx\n"
		     "mov %1, %%rsi\n mov %1, %%rdi\n mov %1, %%rbp\n mov %1, %%r8\n"
		     "mov %1, %%r9\n mov %1, %%r10\n mov %1, %%r11\n mov %1, %%r12\n"
		     "mov %1, %%r13\n mov %1, %%r14\n mov %1, %%r15\n"
		     "iretq" :: "r"(frame), "r"(S_DATA + 0x10000) : "memory");
	__builtin_unreachable();
}

static bool on_irq(uint64_t vec)
{
	LAPIC(0xb0) = 0;
	if (vec == V_WATCHDOG && in_user) {
		watchdogs++;
		return true;
	}
	return false;
}

/* NMIs (a fuzzed ICR or LVT may send them) are counted and dismissed
 * wherever they come; every other exception is rt_try's. */
static uint64_t usteps;

static bool on_exc(uint64_t vec, uint64_t err, uint64_t *rip, uint64_t *rflags)
{
	(void)err, (void)rip;
	if (vec == 1 && in_user && (*rflags & 0x100)) {
		usteps++;                  /* a CPL 3 instruction completed */
		return true;
	}
	if (vec != 2)
		return false;
	spurious++;
	return true;
}

/* Only the scratch region is user-accessible: clears US in every other
 * 2 MiB page of the first 4 GiB. */
static void protect(void)
{
	for (uint64_t va = 0; va < (4ull << 30); va += 2ull << 20)
		if (va != SCRATCH)
			*rt_pde(va) &= ~4ull;
	asm volatile("mov %0, %%cr3" :: "r"(rd_cr3()) : "memory");
}

static void watchdog_arm(void)
{
	asm volatile("mov %0, %%cr8" :: "r"(0ull));
	LAPIC(0x80) = 0;
	LAPIC(0xf0) = 0x1ff;
	LAPIC(0x3e0) = 0xb;
	LAPIC(0x320) = V_WATCHDOG;                  /* one-shot */
	LAPIC(0x380) = 200000;                      /* 2 ms of a 100 MHz bus */
}

static void pick_pt(void)
{
	static const uint64_t tgt[] = { 0xfee00000, 0xfec00000, 0xd0000000, 0xb0000000,
					0xc0000000, 0x40000000, 0, 0 };
	unsigned j = (unsigned)rnd_n(sizeof(tgt) / sizeof(tgt[0])), e = (unsigned)rnd_n(512);
	uint64_t t = tgt[j];

	/* The PDE first: a write through the page directory may have
	 * changed it. */
	*rt_pde(PT_VA) = (uint64_t)pt | 3;
	asm volatile("mov %0, %%cr3" :: "r"(cr3_0) : "memory");
	if (j == 6)
		t = (uint64_t)pt;                   /* the page table itself */
	if (j == 7)
		t = (uint64_t)rt_pde(PT_VA) & ~0xfffull;   /* the page directory */
	/* Present, writable, supervisor; PWT/PCD at random. */
	pt[e] = t | 3 | (rnd() & 0x18);
	asm volatile("invlpg (%0)" :: "r"(PT_VA + e * 4096ul) : "memory");
	a0 = PT_VA + e * 4096ul + (rnd_n(0x1000) & ~(uint64_t)(rnd() & 1 ? 3 : 0));
	if (a0 % 4096 > 0xf00)
		a0 -= 0x100;
	a1 = rnd();
	a2 = rnd();
	a3 = rnd();
	/* Over the LAPIC or IOAPIC: the same limits as pick_mmio's; over
	 * the tables, a store would map the fuzzer's own addresses at
	 * random (and a walk through them that leaves RAM stops it, by
	 * design). Loads only there. */
	if (j <= 1 || j >= 6)
		a2 = a2 % 16 < 4 ? a2 : a2 & ~15ull;
	if (j == 3)
		a2 = a2 & ~15ull;
}

static void pick_mmio(void)
{
	static const uint64_t base[] = { 0xfee00000, 0xfec00000, 0xd0000000, 0xb0000000,
					 0xc0000000, 0xe0000000, 0xfed00000, 0x100000000ull };
	uint64_t b = base[rnd_n(sizeof(base) / sizeof(base[0]))];
	uint64_t off = rnd_n(0x1000) & ~(uint64_t)(rnd() & 1 ? 3 : 0);

	if (b == 0xb0000000)                 /* ECAM: no BARs */
		off = (rnd_n(32) << 15) | (off & 0xfff);
	if (b == 0xb0000000 && (off & 0xfff) >= 0x10 && (off & 0xfff) < 0x28)
		off += 0x20;
	a0 = b + off;
	a2 = rnd();
	a3 = rnd();
	a1 = rnd();
	if (b == 0xfee00000) {
		unsigned reg = off & 0xff0;
		if (reg == 0x300)                /* ICR: fixed or NMI, vector >= 32 */
			a1 = (a1 & ~0x7ffull) | (a1 & 0x400) | (32 + (a1 & 0xbf));
		if (reg >= 0x320 && reg <= 0x370)  /* LVT: fixed or NMI, vector >= 32 */
			a1 = (a1 & ~0x7ffull) | (a1 & 0x400) | (32 + (a1 & 0xbf));
		if (reg == 0x350)                /* LINT0: never the 8259 */
			a1 |= 1u << 16;
		if (reg == 0xf0)                 /* spurious vector 0xff */
			a1 |= 0xff;
	}
	if (b == 0xfec00000 && (off & 0xff) == 0x10) {
		/* The IOAPIC window: fixed or lowest priority, vector >= 32. */
		a1 = (a1 & ~0x7ffull) | (a1 & 0x100) | (32 + (a1 & 0xbf));
	}
	/* Only register accesses that are whole: no string forms crossing
	 * into the next page. */
	if ((a2 % 16) >= 14 && (off & 0xfff) > 0xf00)
		a0 -= 0x100;
}

/* ---- K_KERN: random code at CPL 0 ----
 *
 * The stream runs from the scratch code page at CPL 0, in 64-bit mode or
 * in 32-bit or 16-bit code (compatibility mode, CS 0x38 or 0x40), with
 * RFLAGS.TF set: each instruction it completes is a #DB trap, which is
 * how the fuzzer counts the instructions it ran. What random ring-0 code
 * can do to the fuzzer itself is contained, not filtered:
 *   - it runs under page tables of its own (s_pml4): the fuzzer's image
 *     (the first 2 MiB) read-only, the code page read-only, the rest of
 *     the scratch region and of the first GiB writable, nothing above
 *     (no device a stray store could reach: MMIO is K_MMIO's);
 *   - an IDT and GDT of its own, in read-only pages, whose every gate
 *     switches to an interrupt stack (IST) in the scratch region, so a
 *     wild RSP cannot turn an exception into a double fault;
 *   - every entry switches to the fuzzer's own CR3 before it runs C and
 *     back before IRETQ (kstub_common); the scratch region is a
 *     supervisor page there too for the stream's duration, so CR4.SMAP,
 *     SMEP and PKE set by the stream do not touch the handler;
 *   - a fault resumes at the next byte (a new random instruction); a
 *     trap resumes where it points; the stream ends after KSTEPS steps,
 *     KFAULTS faults, on leaving the code bytes or its code segments, or
 *     when the watchdog sees no progress between two NMIs: the PIT at
 *     1 kHz through IOAPIC pin 2 in NMI mode, which CLI, CR8 and HLT
 *     cannot hold off;
 *   - after it: GDTR, IDTR, segment registers, CR0, CR3, CR4, EFER, DR7
 *     are put back.
 * Filtered, because each would end the partition by design, not by a
 * fault (each byte position is checked, as a resumed stream may start
 * anywhere, until no pattern is left):
 *   - the port I/O opcodes (E4-E7, EC-EF, 6C-6F become NOP): a port
 *     number is in the instruction or in DX at run time, and the
 *     debug-exit, reset and ACPI sleep ports end the partition (K_PIO
 *     and K_SIO fuzz port I/O with those ports left out);
 *   - MOV to CR3 (0F 22 /3 becomes /0, a CR0 write): a random CR3 makes
 *     the next exception's delivery unreadable, a triple fault;
 *   - LGDT and LIDT (0F 01 /2 and /3 with a memory operand become SGDT
 *     and SIDT), for the same reason;
 *   - far CALL and JMP through a register (FF /3 and FF /5 with mod 3,
 *     made INC): #UD on a CPU, but QEMU 7.2's TCG aborts on them
 *     ("tcg fatal error"), ending the whole emulated machine.
 */
#define KLEN      1024                  /* random code bytes */
#define KSTEPS    1024                  /* instructions per stream at most (ksteps=) */
#define KFAULTS   256                   /* faults per stream at most */
#define K_STACK   (SCRATCH + 0x100000)  /* the stream's RSP at entry */
#define KIST1     (SCRATCH + 0x1f0000)  /* exceptions */
#define KIST2     (SCRATCH + 0x1f4000)  /* NMI */
#define KIST3     (SCRATCH + 0x1f8000)  /* interrupts */
#define KSEL64    0x08
#define KSEL32    0x38
#define KSEL16    0x40                  /* base S_CODE: IP wraps in the scratch */
#define KSEL_DS16 0x48                  /* base S_DATA + 0xf000, 64 KiB */

struct kframe {
	uint64_t cr3, cr3_copy;             /* at entry (twice: alignment) */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vec, err, rip, cs, rflags, rsp, ss;
};

/* kstream_run's entry: the IRETQ frame, DS/ES, every GPR's value, the
 * stream's CR3. */
struct kentry {
	uint64_t rip, cs, rflags, rsp, ss, ds, gpr, cr3;
};

uint64_t kern_cr3, kstream_rsp;
extern const uint64_t kstub_table[256];
void kstream_run(const struct kentry *e);
void kstream_exit(void);
uint64_t kstream_trap(struct kframe *f);
extern char __bss_end[];

/* Stubs: a vector with an error code gets a 0 pushed if the CPU pushed
 * none (INT n, or an injected vector), told by where RSP is on IST 1. */
asm(".pushsection .text\n"
    ".altmacro\n"
    ".macro KSTUB v\n"
    "kstub_\\v:\n"
    ".if (\\v == 8) || ((\\v >= 10) && (\\v <= 14)) || (\\v == 17) || (\\v == 21) || (\\v == 29) || (\\v == 30)\n"
    "  cmpq $(0xbf0000 - 48), %rsp\n"
    "  je 1f\n"
    "  pushq $0\n"
    "1:\n"
    ".else\n"
    "  pushq $0\n"
    ".endif\n"
    "  pushq $\\v\n"
    "  jmp kstub_common\n"
    ".endm\n"
    ".macro KSTUBADDR v\n"
    "  .quad kstub_\\v\n"
    ".endm\n"
    ".set kv, 0\n"
    ".rept 256\n"
    "  KSTUB %kv\n"
    "  .set kv, kv + 1\n"
    ".endr\n"
    "kstub_common:\n"
    "  push %rax; push %rbx; push %rcx; push %rdx; push %rsi; push %rdi; push %rbp\n"
    "  push %r8; push %r9; push %r10; push %r11; push %r12; push %r13; push %r14; push %r15\n"
    "  mov %cr3, %rax\n"
    "  push %rax; push %rax\n"
    "  mov kern_cr3(%rip), %rax\n"
    "  mov %rax, %cr3\n"
    "  mov %rsp, %rdi\n"
    "  cld\n"
    "  call kstream_trap\n"
    "  mov %rax, %cr3\n"
    "  add $16, %rsp\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %r11; pop %r10; pop %r9; pop %r8\n"
    "  pop %rbp; pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rbx; pop %rax\n"
    "  add $16, %rsp\n"
    "  iretq\n"
    ".global kstream_run, kstream_exit\n"
    "kstream_run:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  pushfq\n"
    "  mov %rsp, kstream_rsp(%rip)\n"
    "  mov 40(%rdi), %rax\n"
    "  mov %ax, %ds\n"
    "  mov %ax, %es\n"
    "  pushq 32(%rdi); pushq 24(%rdi); pushq 16(%rdi); pushq 8(%rdi); pushq 0(%rdi)\n"
    "  mov 56(%rdi), %rax\n"
    "  mov %rax, %cr3\n"
    "  mov 48(%rdi), %rax\n"
    "  mov %rax, %rbx; mov %rax, %rcx; mov %rax, %rdx; mov %rax, %rsi; mov %rax, %rbp\n"
    "  mov %rax, %r8; mov %rax, %r9; mov %rax, %r10; mov %rax, %r11; mov %rax, %r12\n"
    "  mov %rax, %r13; mov %rax, %r14; mov %rax, %r15; mov %rax, %rdi\n"
    "  iretq\n"
    "kstream_exit:\n"
    "  mov $0x400, %eax\n"       /* no breakpoint the stream armed */
    "  mov %rax, %dr7\n"
    "  popfq\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n"
    ".popsection\n"
    ".pushsection .rodata\n"
    ".balign 8\n"
    ".global kstub_table\n"
    "kstub_table:\n"
    ".set kv, 0\n"
    ".rept 256\n"
    "  KSTUBADDR %kv\n"
    "  .set kv, kv + 1\n"
    ".endr\n"
    ".noaltmacro\n"
    ".popsection\n");

struct kgate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} packed;

static struct kgate kidt[256] __attribute__((aligned(4096)));
static uint64_t kgdt[10] __attribute__((aligned(16)));
static uint64_t s_pml4[512] __attribute__((aligned(4096)));
static uint64_t s_pdpt[512] __attribute__((aligned(4096)));
static uint64_t s_pd[512] __attribute__((aligned(4096)));
static uint64_t s_pt[512] __attribute__((aligned(4096)));

/* Per stream, and over the run. */
static volatile uint64_t k_steps, k_faults, k_progress, k_seen, k_stalls;
static uint64_t ksteps_mode[4], kvectors[256], kends[5], kstreams;
enum { KE_STEPS, KE_FAULTS, KE_LEFT, KE_WATCHDOG, KE_MODE };
static const char *const kend_name[5] = { "step limit", "fault limit", "left its code",
					  "watchdog", "left its segments" };
static uint64_t ksteps = KSTEPS;

static int kmode_of(uint64_t cs)
{
	switch (cs) {
	case KSEL64: return 0;
	case KSEL32: return 1;
	case KSEL16: return 2;
	default: return 3;
	}
}

/* Ends the stream: IRETQ to kstream_exit on the fuzzer's stack. */
static uint64_t kend(struct kframe *f, unsigned why)
{
	kends[why]++;
	f->rip = (uint64_t)kstream_exit;
	f->cs = KSEL64;
	f->ss = 0x10;
	f->rsp = kstream_rsp;
	f->rflags = 0x10002;    /* RF: no instruction breakpoint at kstream_exit */
	return kern_cr3;
}

/* The offset of the stream's RIP in its code bytes, or -1. */
static int64_t kcode_off(const struct kframe *f)
{
	uint64_t off = f->cs == KSEL16 ? f->rip : f->rip - S_CODE;
	return off < KLEN ? (int64_t)off : -1;
}

/* Every vector while the stream's IDT is loaded; returns the CR3 to go
 * back with. f->cr3 is the stream's when the stream was interrupted (it
 * cannot load another), the fuzzer's when kstream_run's own code or a
 * handler was (an NMI inside the handler). */
uint64_t kstream_trap(struct kframe *f)
{
	bool stream = f->cr3 != kern_cr3;
	int m = kmode_of(f->cs);

	if (f->vec == 2) {
		/* Two NMIs in a row with no step, fault or interrupt since:
		 * a loop with TF cleared, or HLT with interrupts off. */
		if (!stream)
			return f->cr3;
		if (k_progress == k_seen) {
			if (++k_stalls >= 2)
				return kend(f, KE_WATCHDOG);
		} else {
			k_stalls = 0;
		}
		k_seen = k_progress;
		return f->cr3;
	}
	k_progress++;
	if (f->vec >= 32) {
		LAPIC(0xb0) = 0;
		return f->cr3;
	}
	if (!stream) {
		rt_printf("fuzz: ring 0: exception %lu at 0x%lx in the harness\n", f->vec, f->rip);
		return kend(f, KE_MODE);
	}
	if (f->vec == 1) {
		/* A single-step trap (or ICEBP, INT 1, a data breakpoint: each
		 * after an instruction that completed). */
		k_steps++;
		ksteps_mode[m]++;
		if (k_steps >= ksteps)
			return kend(f, KE_STEPS);
	} else {
		kvectors[f->vec]++;
		if (++k_faults >= KFAULTS)
			return kend(f, KE_FAULTS);
		/* Faults point at their instruction, traps (#BP, #OF, INT n)
		 * past it: either way, on to the next byte. */
		f->rip++;
	}
	if (m == 3 || (f->cs & 3))
		return kend(f, KE_MODE);
	if (kcode_off(f) < 0)
		return kend(f, KE_LEFT);
	f->rflags |= 0x10100;   /* TF, RF */
	return f->cr3;
}

static void kgate(unsigned v, unsigned ist)
{
	uint64_t a = kstub_table[v];
	kidt[v] = (struct kgate){ .off0 = a & 0xffff, .sel = KSEL64, .ist = (uint8_t)ist,
				  .type = 0x8e, .off1 = (a >> 16) & 0xffff, .off2 = a >> 32 };
}

static void kstream_setup(void)
{
	struct { uint16_t limit; uint64_t base; } packed g;

	for (unsigned v = 0; v < 256; v++)
		kgate(v, v == 2 ? 2 : v < 32 ? 1 : 3);
	/* rt's descriptors for 0x08-0x28 (the TSS is the one TR names) and
	 * the stream's code segments; accessed bits set, as the table is
	 * read-only under the stream's CR3. */
	asm volatile("sgdt %0" : "=m"(g));
	for (unsigned i = 0; i < 7; i++)
		kgdt[i] = ((uint64_t *)g.base)[i] | (i && i < 5 ? 1ull << 40 : 0);
	kgdt[KSEL32 / 8] = 0x00CF9B000000FFFFull;
	kgdt[KSEL16 / 8] = 0x00009B000000FFFFull | (S_CODE & 0xffffff) << 16 |
			   (S_CODE >> 24) << 56;
	kgdt[KSEL_DS16 / 8] = 0x000093000000FFFFull | ((S_DATA + 0xf000) & 0xffffff) << 16 |
			      ((S_DATA + 0xf000) >> 24) << 56;
	/* The image read-only, the scratch's code page read-only, the rest
	 * of the first GiB writable; all supervisor. */
	EXPECT((uint64_t)__bss_end <= (2ul << 20));
	s_pml4[0] = (uint64_t)s_pdpt | 0x23;
	s_pdpt[0] = (uint64_t)s_pd | 0x23;
	s_pd[0] = 0 | 0xa1;
	for (unsigned i = 1; i < 512; i++)
		s_pd[i] = ((uint64_t)i << 21) | 0xe3;
	s_pd[SCRATCH >> 21] = (uint64_t)s_pt | 0x23;
	for (unsigned i = 0; i < 512; i++)
		s_pt[i] = (SCRATCH + ((uint64_t)i << 12)) | 0x63;
	s_pt[0] = S_CODE | 0x21;
	rt_set_tss_ist(1, KIST1);
	rt_set_tss_ist(2, KIST2);
	rt_set_tss_ist(3, KIST3);
}

/* Random bytes without the encodings listed above, at any offset. */
static void kcode_fill(volatile uint8_t *c)
{
	for (unsigned i = 0; i < KLEN; i++)
		c[i] = (uint8_t)rnd();
	for (bool again = true; again;) {
		again = false;
		for (unsigned i = 0; i < KLEN; i++) {
			uint8_t b = c[i];
			uint8_t n1 = i + 1 < KLEN ? c[i + 1] : 0, n2 = i + 2 < KLEN ? c[i + 2] : 0;
			if ((b >= 0xe4 && b <= 0xe7) || (b >= 0xec && b <= 0xef) ||
			    (b >= 0x6c && b <= 0x6f)) {
				c[i] = 0x90;
				again = true;
			} else if (b == 0x0f && n1 == 0x22 && (n2 >> 3 & 7) == 3) {
				c[i + 2] = n2 & ~0x18;
				again = true;
			} else if (b == 0xff && (n1 >> 6) == 3 &&
				   ((n1 >> 3 & 7) == 3 || (n1 >> 3 & 7) == 5)) {
				c[i + 1] = n1 & ~0x38;
				again = true;
			} else if (b == 0x0f && n1 == 0x01 && (n2 >> 6) != 3 &&
				   ((n2 >> 3 & 7) == 2 || (n2 >> 3 & 7) == 3)) {
				c[i + 2] = n2 & ~0x10;
				again = true;
			}
		}
	}
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)0xfec00000ul = reg;
	*(volatile uint32_t *)0xfec00010ul = v;
}

static void op_kern(void *x)
{
	(void)x;
	struct { uint16_t limit; uint64_t base; } packed idtr, gdtr;
	static const uint16_t cs[4] = { KSEL64, KSEL64, KSEL32, KSEL16 };
	uint16_t sel = cs[a0 & 3];
	struct kentry e;

	kcode_fill((volatile uint8_t *)S_CODE);
	e = (struct kentry){
		.rip = sel == KSEL16 ? 0 : S_CODE,
		.cs = sel,
		.rflags = 0x102 | (a1 & 1 ? 0x200 : 0),
		.rsp = K_STACK,
		.ss = 0x10,
		.ds = sel == KSEL16 ? KSEL_DS16 : 0x10,
		.gpr = a1 & 2 ? S_DATA + 0x10000 : sel == KSEL16 ? 0x1000 : a2,
		.cr3 = (uint64_t)s_pml4,
	};
	kern_cr3 = cr3_0;
	k_steps = k_faults = k_progress = k_seen = k_stalls = 0;
	/* The watchdog: PIT channel 0 at 1 kHz, mode 2, IOAPIC pin 2 an NMI
	 * to this CPU. */
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	ioapic_write(0x15, LAPIC(0x20) & 0xff000000);
	ioapic_write(0x14, 4u << 8);
	*rt_pde(SCRATCH) &= ~4ull;
	asm volatile("mov %0, %%cr3" :: "r"(cr3_0) : "memory");
	asm volatile("sidt %0; sgdt %1" : "=m"(idtr), "=m"(gdtr));
	{
		struct { uint16_t limit; uint64_t base; } packed ki = { sizeof(kidt) - 1, (uint64_t)kidt },
			kg = { sizeof(kgdt) - 1, (uint64_t)kgdt };
		asm volatile("lgdt %0; lidt %1" :: "m"(kg), "m"(ki) : "memory");
	}
	kstreams++;
	kstream_run(&e);
	asm volatile("lgdt %0; lidt %1" :: "m"(gdtr), "m"(idtr) : "memory");
	asm volatile("mov %0, %%ds; mov %0, %%es; mov %1, %%fs; mov %1, %%gs"
		     :: "r"(0x10), "r"(0) : "memory");
	ioapic_write(0x14, 1u << 16);
	outb(0x43, 0x30);             /* mode 0: one edge, 55 ms on, masked */
	outb(0x40, 0);
	outb(0x40, 0);
	*rt_pde(SCRATCH) |= 4;
	/* The stream's CR4 first: PCIDE must go before CR3 loses it. */
	asm volatile("mov %0, %%cr4" :: "r"(cr4_0));
	asm volatile("mov %0, %%cr0" :: "r"(cr0_0));
	asm volatile("mov %0, %%cr3" :: "r"(cr3_0) : "memory");
	wrmsr(0xc0000080, efer_0);
}

static void canary(void)
{
	uint64_t secs = rt_arg_ul("seconds=", 10), khz = cpuid(0x40000010, 0).eax;
	uint64_t mem = rt_arg_ul("mem=", 16 << 20), bad = 0, next;
	volatile uint64_t *p = (volatile uint64_t *)(4ul << 20);
	size_t n = (mem - (4ul << 20)) / 8;

	if (!khz)
		khz = 2000000;
	for (size_t i = 0; i < n; i++)
		p[i] = 0xc0ffee0000000000ull ^ (i * 0x9e3779b97f4a7c15ull);
	next = rdtsc();
	for (uint64_t s = 0; s < secs; s++) {
		next += khz * 1000;
		while (rdtsc() < next)
			for (size_t i = 0; i < n && rdtsc() < next; i += 512)
				bad += p[i] != (0xc0ffee0000000000ull ^ (i * 0x9e3779b97f4a7c15ull));
		rt_printf("canary: heartbeat %lu, %lu bad words\n", s + 1, bad);
	}
	for (size_t i = 0; i < n; i++)
		bad += p[i] != (0xc0ffee0000000000ull ^ (i * 0x9e3779b97f4a7c15ull));
	rt_printf("canary: %lu bad words in %lu MiB after %lu s\n", bad, (mem >> 20) - 4, secs);
	EXPECT_EQ(bad, 0);
	rt_done();
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	char role[16] = "";
	uint64_t seed = rt_arg_ul("seed=", 1), ops = rt_arg_ul("ops=", 20000), step;
	uint64_t kern = rt_arg_ul("kern=", 0), secs = rt_arg_ul("seconds=", 0), end = 0, done = 0;
	uint64_t khz = cpuid(0x40000010, 0).eax;

	ksteps = rt_arg_ul("ksteps=", KSTEPS);
	bool ring0 = !rt_has_flag("no_ring0");

	rt_arg_str("role=", role, sizeof(role));
	if (!strcmp(role, "canary"))
		canary();
	rng = seed * 0x9e3779b97f4a7c15ull + 0x5a5a;
	step = ops / 8 ? ops / 8 : 1;
	rt_printf("fuzz: seed %lu, %lu operations, %lu%% more ring-0 code\n", seed, ops, kern);
	for (unsigned i = 0; i < 512; i++)
		guard[i] = GUARD(i);
	protect();
	/* K_PT's page table, under a PDE of its own (outside RAM: unused). */
	*rt_pde(PT_VA) = (uint64_t)pt | 3;
	asm volatile("mov %0, %%cr3" :: "r"(rd_cr3()) : "memory");
	efer_0 = rdmsr(0xc0000080);
	cr0_0 = rd_cr0();
	cr3_0 = rd_cr3();
	cr4_0 = rd_cr4() | (1u << 9) | (1u << 10);   /* OSFXSR, OSXMMEXCPT: SSE decodes */
	if (cpuid(1, 0).ecx >> 26 & 1)
		cr4_0 |= 1u << 18;                   /* OSXSAVE: XSETBV is fuzzed */
	asm volatile("mov %0, %%cr4" :: "r"(cr4_0));
	kstream_setup();
	if (secs)
		end = rdtsc() + secs * (khz ? khz : 2000000) * 1000;
	rt_irq_hook = on_irq;
	rt_exc_hook = on_exc;
	for (uint64_t i = 1; i <= ops; i++) {
		unsigned k = kern && rnd_n(100) < kern ? K_KERN : (unsigned)rnd_n(K_N);
		void (*fn)(void *) = NULL;
		int r;

		a0 = rnd(), a1 = rnd(), a2 = rnd(), a3 = rnd();
		switch (k) {
		case K_CPUID: {
			static const uint32_t base[] = { 0, 0x40000000, 0x80000000, 0 };
			unsigned j = (unsigned)(a2 & 3);
			a0 = j == 3 ? a0 : base[j] + (a0 & 0x3f);
			a1 = a3 & 1 ? a1 : a1 & 3;
			fn = op_cpuid;
			break;
		}
		case K_MSR:
			if (a3 & 1)
				a0 = msrs[a0 % (sizeof(msrs) / sizeof(msrs[0]))];
			else if (a3 & 2)
				a0 = (uint32_t)a0;
			else
				a0 = (a0 & 0x3ff) | ((a3 >> 8) & 1 ? 0xc0010000 : 0);
			if (a3 & 4)
				a1 &= 0xffffffff;
			if ((a2 & 1) && msr_bad((uint32_t)a0))
				a2 &= ~1ull;
			fn = op_msr;
			break;
		case K_PIO:
			a0 = a3 & 1 ? (uint16_t)a0 : (a0 & 0x3ff);
			if (port_bad((uint16_t)a0, a2 % 6 >= 3))
				continue;
			fn = op_pio;
			break;
		case K_SIO:
			a0 = a3 & 1 ? (uint16_t)a0 : (a0 & 0x3ff);
			if (port_bad((uint16_t)a0, a2 % 6 >= 3))
				continue;
			/* The scratch page, or outside RAM, or a wild address. */
			a1 = a3 & 2 ? S_DATA + (a1 & 0x7ff) : a3 & 4 ? 0x40000000 + (a1 & 0xfffff) : a1;
			a3 = a3 >> 8 & 0x3f;
			fn = op_sio;
			break;
		case K_MMIO:
			pick_mmio();
			fn = op_mmio;
			break;
		case K_CR:
			fn = op_cr;
			break;
		case K_HCALL:
			if ((a3 & 3) == 0 && (a2 & 4))
				a1 = S_DATA + (a1 & 0x7ff);   /* sometimes a real buffer */
			fn = op_hcall;
			break;
		case K_PT:
			pick_pt();
			fn = op_mmio;
			break;
		case K_EFER:
			fn = op_efer;
			break;
		case K_KERN:
			if (!ring0)
				continue;
			fn = op_kern;
			break;
		default:
			for (unsigned j = 0; j < 64; j++)
				((volatile uint8_t *)S_CODE)[j] = (uint8_t)rnd();
			((volatile uint8_t *)S_CODE)[64] = 0xf4;   /* HLT: #GP at CPL 3 */
			watchdog_arm();
			fn = op_user;
			break;
		}
		kinds[k]++;
		r = rt_try(fn, NULL);
		in_user = false;
		if (k == K_USER)
			LAPIC(0x380) = 0;
		if (r > 0)
			vectors[(r - 1) & 255]++;
		/* What an operation may have changed that the loop needs. */
		asm volatile("cld");
		asm volatile("mov %0, %%cr0" :: "r"(cr0_0));
		asm volatile("mov %0, %%cr4" :: "r"(cr4_0));
		asm volatile("mov %0, %%cr3" :: "r"(cr3_0) : "memory");
		asm volatile("mov %0, %%dr7" :: "r"(0x400ull));
		if (k == K_EFER)
			wrmsr(0xc0000080, efer_0);
		done = i;
		if (i % step == 0)
			rt_printf("fuzz: %lu/%lu operations, %lu instructions\n", i, ops,
				  ksteps_mode[0] + ksteps_mode[1] + ksteps_mode[2] + usteps);
		if (end && rdtsc() >= end) {
			rt_printf("fuzz: %lu s up after %lu operations\n", secs, i);
			break;
		}
	}
	rt_irq_hook = NULL;
	rt_exc_hook = NULL;
	for (unsigned k = 0; k < K_N; k++)
		rt_printf("fuzz: %-10s %lu\n", kind_name[k], kinds[k]);
	rt_printf("fuzz: exceptions:");
	for (unsigned v = 0; v < 256; v++)
		if (vectors[v])
			rt_printf(" %u:%lu", v, vectors[v]);
	rt_printf("\nfuzz: %lu watchdog ends, %lu stray NMIs\n", watchdogs, spurious);
	rt_printf("fuzz: ring 0: %lu streams, %lu instructions (64-bit %lu, 32-bit %lu, 16-bit %lu);"
		  " ends:", kstreams, ksteps_mode[0] + ksteps_mode[1] + ksteps_mode[2],
		  ksteps_mode[0], ksteps_mode[1], ksteps_mode[2]);
	for (unsigned j = 0; j < 5; j++)
		rt_printf(" %s %lu%s", kend_name[j], kends[j], j < 4 ? "," : "\n");
	rt_printf("fuzz: ring 0: exceptions:");
	for (unsigned v = 0; v < 256; v++)
		if (kvectors[v])
			rt_printf(" %u:%lu", v, kvectors[v]);
	rt_printf("\nfuzz: ring 3: %lu instructions\n", usteps);
	rt_printf("fuzz: seed %lu: %lu instructions single-stepped\n", seed,
		  ksteps_mode[0] + ksteps_mode[1] + ksteps_mode[2] + usteps);
	unsigned bad = 0;
	for (unsigned i = 0; i < 512; i++)
		bad += guard[i] != GUARD(i);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(rd_cr3(), cr3_0);
	rt_printf("fuzz: seed %lu: %lu operations done\n", seed, done);
	rt_done();
}
