/* x86 instruction wrappers, control registers, MSRs and CPUID leaves used
 * by the core. Vendor-neutral; everything here is architectural. */
#ifndef VATRA_ARCH_X86_CPU_H
#define VATRA_ARCH_X86_CPU_H

#include <stdint.h>
#include <stdbool.h>

/* Control register bits (Intel SDM Vol. 3A, 2.5). */
#define CR0_PE   (1ULL << 0)
#define CR0_MP   (1ULL << 1)
#define CR0_ET   (1ULL << 4)
#define CR0_NE   (1ULL << 5)
#define CR0_WP   (1ULL << 16)
#define CR0_PG   (1ULL << 31)
#define CR4_PAE  (1ULL << 5)
#define CR4_PGE  (1ULL << 7)
#define CR4_VMXE (1ULL << 13)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)

/* MSRs. */
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_VMX_BASIC       0x480
#define MSR_VMX_PINBASED    0x481
#define MSR_VMX_PROCBASED   0x482
#define MSR_VMX_EXIT        0x483
#define MSR_VMX_ENTRY       0x484
#define MSR_VMX_MISC        0x485
#define MSR_VMX_PROCBASED2  0x48b
#define MSR_VMX_EPT_VPID    0x48c
#define MSR_EFER            0xc0000080
#define MSR_VM_CR           0xc0010114  /* AMD APM Vol. 2, 15.30.1 */
#define EFER_SCE   (1ULL << 0)
#define EFER_LME   (1ULL << 8)
#define EFER_NXE   (1ULL << 11)
#define EFER_SVME  (1ULL << 12)

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

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
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
