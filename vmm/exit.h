/* The vendor-neutral VM exit: arch/x86/svm.c and vmx.c translate their
 * hardware exit codes into this, and everything in vmm/ works from it. */
#ifndef VATRA_VMM_EXIT_H
#define VATRA_VMM_EXIT_H

#include <stdint.h>
#include <stdbool.h>

enum vm_exit_reason {
	EXIT_NONE,            /* handled inside the vendor code: just re-enter */
	EXIT_CPUID,
	EXIT_MSR_READ,
	EXIT_MSR_WRITE,
	EXIT_IO,
	EXIT_MMIO,            /* guest-physical access outside RAM */
	EXIT_HLT,
	EXIT_HYPERCALL,
	EXIT_RDPMC,
	EXIT_RDTSCP,
	EXIT_DR_ACCESS,
	EXIT_CR8_WRITE,       /* MOV to CR8 (the TPR), when the CPU does not handle it */
	EXIT_CACHE,           /* INVD, WBINVD */
	EXIT_UD,              /* an instruction the guest may not use: inject #UD */
	EXIT_XSETBV,          /* XSETBV: the guest sets XCR0 */
	EXIT_EXCEPTION,       /* an intercepted guest exception, to reflect */
	EXIT_INTR,            /* a host interrupt arrived */
	EXIT_IRQ_WINDOW,      /* the guest can take an interrupt now */
	EXIT_NMI_WINDOW,      /* the guest can take an NMI now */
	EXIT_TRIPLE_FAULT,
	EXIT_ENTRY_FAILED,    /* the hardware refused the guest state */
	EXIT_UNKNOWN,
	EXIT_NREASONS
};

#define EVENT_EXT_INTR 0
#define EVENT_NMI      2
#define EVENT_HW_EXC   3

struct vm_exit {
	enum vm_exit_reason reason;
	uint32_t vendor_code;     /* raw hardware exit code, for stats and dumps */
	uint8_t inst_len;         /* length of the exiting instruction, 0 = unknown */
	/* The guest changed CR8 (the LAPIC's TPR[7:4]) by itself: applied
	 * by the neutral code once it holds the partition's lock. */
	bool cr8_set;
	uint8_t cr8;
	/* The exiting instruction ran in an interrupt shadow (after STI or
	 * MOV SS): the neutral code ends it once the instruction completes. */
	bool shadow;
	/* The exit interrupted the delivery of an event (an exception or
	 * interrupt whose IDT read or stack push faulted): the vendor code
	 * queues it again; the instruction at RIP has not run. */
	bool event;
	uint8_t event_vector;
	/* Its type, as both vendors encode it (bits 10:8 of EXITINTINFO and
	 * of the IDT-vectoring information): EVENT_EXT_INTR, EVENT_NMI,
	 * EVENT_HW_EXC, higher values software events. */
	uint8_t event_type;
	union {
		struct {
			uint16_t port;
			uint8_t size;     /* 1, 2, 4 */
			uint8_t addr_size; /* string I/O: 2, 4, 8 */
			uint8_t seg;      /* string OUT: SEG_* */
			bool in, string, rep;
		} io;
		struct {
			uint32_t index;
		} msr;
		struct {
			uint64_t gpa;
			bool write, fetch;
			/* The fault was on the CPU's read or A/D update of a
			 * guest paging-structure entry, not on the access
			 * the translation was for. */
			bool walk;
		} mmio;
		struct {
			uint8_t dr;
			bool write;
		} dr;
		struct {
			uint8_t vector;
			bool has_err;
			uint32_t err;
			/* Raised by an instruction that completes (ICEBP): RIP
			 * moves past it (inst_len) before the delivery. */
			bool trap_insn;
		} exc;
		struct {
			const char *what;
			uint64_t info1, info2;
		} fail;
	};
};

const char *exit_reason_name(enum vm_exit_reason r);

#endif
