/* x86 instruction wrappers (CPUID, MSRs, control registers, port I/O)
 * used by the core; the constants are arch/x86/x86.h. Architectural only. */
#ifndef VATRA_ARCH_X86_CPU_H
#define VATRA_ARCH_X86_CPU_H

#include <stdint.h>
#include <stdbool.h>
#include "arch/x86/x86.h"

struct cpuid_regs {
	uint32_t a, b, c, d;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
			 : "a"(leaf), "c"(sub));
	return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

#define CR_ACCESSORS(n)							\
static inline uint64_t read_cr##n(void)					\
{									\
	uint64_t v;							\
	__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));		\
	return v;							\
}									\
static inline void write_cr##n(uint64_t v)				\
{									\
	__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");	\
}
CR_ACCESSORS(0)
CR_ACCESSORS(3)
CR_ACCESSORS(4)
#undef CR_ACCESSORS

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void write_cr2(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr2" : : "r"(v) : "memory");
}

/* The breakpoint addresses DR0-DR3 (SDM Vol. 3B, 17.2.1). */
static inline void read_dr0_3(uint64_t d[4])
{
	__asm__ volatile("mov %%dr0, %0; mov %%dr1, %1; mov %%dr2, %2; mov %%dr3, %3"
			 : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3]));
}

static inline void write_dr0_3(const uint64_t d[4])
{
	__asm__ volatile("mov %0, %%dr0; mov %1, %%dr1; mov %2, %%dr2; mov %3, %%dr3"
			 : : "r"(d[0]), "r"(d[1]), "r"(d[2]), "r"(d[3]) : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* XCR0 and the XSAVE family (SDM Vol. 1, chapter 13). The hypervisor
 * itself uses no FPU/SSE state: these only move guests' state. */
static inline uint64_t xgetbv(uint32_t xcr)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv(uint32_t xcr, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* area: 64-byte aligned; rfbm: the components to save or restore. */
static inline void xsave64(void *area, uint64_t rfbm)
{
	__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)rfbm),
			 "d"((uint32_t)(rfbm >> 32)) : "memory");
}

static inline void xrstor64(const void *area, uint64_t rfbm)
{
	__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)rfbm),
			 "d"((uint32_t)(rfbm >> 32)) : "memory");
}

/* PKRU (SDM Vol. 3A, 4.6.2): needs CR4.PKE. */
static inline uint32_t rdpkru(void)
{
	uint32_t v, d;

	__asm__ volatile("rdpkru" : "=a"(v), "=d"(d) : "c"(0));
	return v;
}

static inline void wrpkru(uint32_t v)
{
	__asm__ volatile("wrpkru" : : "a"(v), "c"(0), "d"(0) : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* Interrupts off, returning RFLAGS to give to irq_restore. */
static inline uint64_t irq_save(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) : : "memory");
	return f;
}

static inline void irq_restore(uint64_t f)
{
	if (f & (1u << 9))
		__asm__ volatile("sti" ::: "memory");
}

/* Stops this CPU for good: interrupts off, halt forever. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

#endif
