/* Per-CPU data: one struct cpu per physical CPU, found through the GS
 * base (its first field points to itself). CPU 0 is the boot CPU; the
 * others are numbered in MADT order as they come up. */
#ifndef VATRA_ARCH_X86_PERCPU_H
#define VATRA_ARCH_X86_PERCPU_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/tlbtag.h"
#include "arch/x86/x86.h"

#define CPU_MAX 64

enum cpu_state { CPU_ABSENT, CPU_STARTING, CPU_ONLINE, CPU_FAILED };

struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __attribute__((packed));

struct cpu {
	struct cpu *self;            /* %gs:0 */
	unsigned id;
	uint32_t apic_id;
	volatile enum cpu_state state;
	bool virt_on;                /* AMD-V / VT-x turned on here */
	const char *fail;            /* why it is not usable, when it is not */
	uint64_t gdt[5];
	struct tss64 tss;
	uint64_t stack_top;
	/* local APIC (arch/x86/apic.c) */
	uint64_t timer_armed;
	volatile uint64_t timer_irqs, kicks;
	/* AMD-V (svm.c) / VT-x (vmx.c) state of this CPU */
	uint64_t hsave_pa, host_vmcb_pa;
	uint64_t vmxon_pa, current_vmcs;
	void *msrs_loaded;
	uint64_t tsc_aux;            /* what IA32_TSC_AUX holds (vmm/msr.c) */
	bool tsc_aux_valid;
	struct tlbtag_cpu tags;
	/* scheduler (vmm/sched.c) */
	void *current;               /* the vCPU in a slice here, or NULL */
	volatile bool resched;       /* a vCPU here other than current may run now */
	void *fpu_owner;             /* whose FPU/SSE state the registers hold */
	unsigned fpu_owner_starts;   /* ...in which run of its partition */
	unsigned nvcpus;             /* vCPUs placed here */
	bool dedicated;              /* one vCPU owns it (cpus + dedicated) */
	uint64_t busy_cycles, idle_cycles;
};

extern struct cpu cpu_table[CPU_MAX];
extern unsigned cpu_count;           /* entries of cpu_table in use */

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

/* Loads c's GDT, TSS (with its IST stacks) and the shared IDT, and points
 * the GS base at c. */
void cpu_desc_init(struct cpu *c, uint64_t ist_df, uint64_t ist_nmi, uint64_t ist_mc);

#endif
