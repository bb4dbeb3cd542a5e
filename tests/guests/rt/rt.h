/*
 * Vatra guest test runtime: what every test kernel links against.
 * See tests/guests/README.md for how it works and the platform contract.
 */
#ifndef VATRA_GUEST_RT_H
#define VATRA_GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define noreturn __attribute__((noreturn))
#define packed __attribute__((packed))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Multiboot v1 ------------------------------------------------------ */
#define MB_BOOT_MAGIC 0x2BADB002u
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 640K / above 1M */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
} packed;

struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
} packed;

struct mb_mmap {
	uint32_t size; /* of the rest of the entry, not counting this field */
	uint64_t addr, len;
	uint32_t type; /* 1 = available */
} packed;

extern uint32_t rt_mb_magic;
extern struct mb_info *rt_mbi; /* NULL if not booted by a multiboot loader */

/* ---- Vatra hypercalls (docs/hypercalls.md) ------------------------------ */
#define HC_VERSION 0
#define HC_CONSOLE_WRITE 1
#define HC_PARTITION_INFO 2
#define HC_YIELD 3
#define HC_TEST_INJECT 0x100
#define HC_EPERM (-1L)
#define HC_EFAULT (-14L)
#define HC_EINVAL (-22L)
#define HC_ENOSYS (-38L)

struct vatra_pinfo {
	uint32_t version;
	uint32_t id;
	char name[32];
	uint64_t memory;
	uint32_t vcpus;
	uint32_t vcpu;
	uint32_t starts;         /* how many times the partition has started */
	uint32_t reserved;
} packed;

/* All general registers, for rt_hypercall_regs (loaded before the call,
 * stored back after it). */
struct rt_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

long rt_hypercall(long nr, long a1, long a2, long a3, long a4);
void rt_hypercall_regs(struct rt_regs *r);

/* ---- The Vatra test device (MMIO) -------------------------------------- */
#define TESTDEV_BASE 0xD0000000ul
#define TESTDEV_SCRATCH 0x000
#define TESTDEV_ID 0x008
#define TESTDEV_WRITES 0x010
#define TESTDEV_ARRAY 0x100
#define TESTDEV_ID_VALUE 0x0000564154524130ull

/* ---- CPU --------------------------------------------------------------- */
extern bool rt_is_amd, rt_is_intel; /* from the CPUID vendor string */
extern bool rt_bare;                /* cmdline flag "bare": not under Vatra */
extern bool rt_nx;                  /* EFER.NXE was enabled at boot */
extern char rt_vendor[13];

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define SEL_TSS 0x28

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;
	asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(sub));
	return r;
}

static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#define CR_ACCESSORS(n)                                                        \
	static inline uint64_t read_cr##n(void)                                \
	{                                                                      \
		uint64_t v;                                                    \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));                  \
		return v;                                                      \
	}                                                                      \
	static inline void write_cr##n(uint64_t v)                             \
	{                                                                      \
		asm volatile("mov %0, %%cr" #n ::"r"(v) : "memory");           \
	}
CR_ACCESSORS(0)
CR_ACCESSORS(2)
CR_ACCESSORS(3)
CR_ACCESSORS(4)
CR_ACCESSORS(8)

/* The debug registers (SDM Vol. 3B, 17.2). */
#define DR_ACCESSORS(n)                                                        \
	static inline uint64_t read_dr##n(void)                                \
	{                                                                      \
		uint64_t v;                                                    \
		asm volatile("mov %%dr" #n ", %0" : "=r"(v));                  \
		return v;                                                      \
	}                                                                      \
	static inline void write_dr##n(uint64_t v)                             \
	{                                                                      \
		asm volatile("mov %0, %%dr" #n ::"r"(v) : "memory");           \
	}
DR_ACCESSORS(0)
DR_ACCESSORS(1)
DR_ACCESSORS(2)
DR_ACCESSORS(3)
DR_ACCESSORS(6)
DR_ACCESSORS(7)

static inline void invlpg(const volatile void *p) { asm volatile("invlpg (%0)" ::"r"(p) : "memory"); }
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline uint64_t read_rflags(void)
{
	uint64_t f;
	asm volatile("pushfq; pop %0" : "=r"(f));
	return f;
}

/* Page tables built at boot: identity map of [0, 4 GiB) with 2 MiB pages
 * (P | RW | US | PS). rt_pde() returns the entry that maps va (< 4 GiB). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
extern uint64_t rt_pml4[512], rt_pdpt[512], rt_pd[4][512];
uint64_t *rt_pde(uint64_t va);

/* ---- Exceptions and interrupts ----------------------------------------- */
/* Runs fn(arg). Returns 0 if it returned normally, or vector + 1 if it
 * raised an exception (vectors 0-31), like longjmp out of the handler;
 * the trap details are then in rt_trap_*. Not nestable. */
int rt_try(void (*fn)(void *), void *arg);
extern volatile uint64_t rt_trap_vec, rt_trap_err, rt_trap_rip, rt_trap_cr2;
/* RCX, RSI and RDI as the exception found them (string instructions). */
extern volatile uint64_t rt_trap_rcx, rt_trap_rsi, rt_trap_rdi;

/* When set, called first for every exception (vectors 0-31) with the
 * interrupted context's RIP and RFLAGS, which it may change; returns true
 * when it handled the trap (the context then resumes). */
extern bool (*rt_exc_hook)(uint64_t vec, uint64_t err, uint64_t *rip, uint64_t *rflags);
/* Delivers vector vec on interrupt stack table entry ist (1-7, 0 = off)
 * with the stack top given. */
void rt_set_ist(int vec, int ist, uint64_t top);
/* Sets only the TSS's interrupt stack table entry ist (1-7), for an IDT
 * of the caller's own. */
void rt_set_tss_ist(int ist, uint64_t top);

/* Deliveries per vector 32-255 (counted by the handler; nothing else). */
extern volatile uint32_t rt_irq_count[256];
/* Called after the count for vectors 32-255 when set (an EOI, say);
 * returning true ends the running rt_try as if fn had raised vec. */
extern bool (*rt_irq_hook)(uint64_t vec);
uint32_t rt_irq_total(void);

/* Runs fn at CPL 3 (user code/data selectors, all pages are user pages).
 * fn must not return: it ends by faulting (e.g. HLT -> #GP).
 * Returns what rt_try returns. */
int rt_user_run(void (*fn)(void));

/* ---- Console and checks ------------------------------------------------ */
void rt_putc(char c);
void rt_puts(const char *s); /* no newline added */
int rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rt_vprintf(const char *fmt, va_list ap);

extern unsigned rt_checks, rt_failures;
bool rt_expect(bool ok, const char *file, int line, const char *expr);
bool rt_expect_eq(uint64_t got, uint64_t want, const char *file, int line, const char *expr);
#define EXPECT(c) rt_expect(!!(c), __FILE__, __LINE__, #c)
#define EXPECT_EQ(a, b) rt_expect_eq((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a)

noreturn void rt_done(void);           /* PASS/FAIL summary, exit 0 or 1 */
noreturn void rt_exit(unsigned status); /* out 0xf4; cli; hlt */

/* ---- Command line ------------------------------------------------------ */
extern char rt_cmdline[1024]; /* copy of the multiboot cmdline ("" if none) */
bool rt_has_flag(const char *flag);                   /* a whole word */
uint64_t rt_arg_ul(const char *prefix, uint64_t def); /* "loops=" -> number (0x.., K/M/G) */
bool rt_arg_str(const char *prefix, char *buf, size_t size);
bool rt_parse_ul(const char *s, uint64_t *out); /* whole string */

/* ---- Small libc -------------------------------------------------------- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

int main(uint32_t mb_magic, uint64_t mb_info);

/* A string instruction as a function of DF: rt_sregs goes in and comes
 * back with RSI/RDI/RCX as the instruction left them; reg names the one
 * further register it reads ("d": the port of INS/OUTS, "a": STOS's RAX). */
struct rt_sregs { uint64_t rsi, rdi, rcx; };

#define RT_STRING_FN(name, insn, reg)                                             \
	static void name(bool df, uint64_t val, struct rt_sregs *r)               \
	{                                                                         \
		if (df)                                                           \
			asm volatile("std; " insn "; cld"                         \
				     : "+S"(r->rsi), "+D"(r->rdi), "+c"(r->rcx)   \
				     : reg(val) : "memory", "cc");                \
		else                                                              \
			asm volatile(insn                                         \
				     : "+S"(r->rsi), "+D"(r->rdi), "+c"(r->rcx)   \
				     : reg(val) : "memory", "cc");                \
	}

#endif
