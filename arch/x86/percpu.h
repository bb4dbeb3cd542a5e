/* Per-CPU data: one struct cpu per physical CPU, found through the GS
 * base (its first field points to itself). CPU 0 is the boot CPU; the
 * others are numbered in MADT order as they come up. */
#ifndef VATRA_ARCH_X86_PERCPU_H
#define VATRA_ARCH_X86_PERCPU_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/tlbtag.h"
#include "vmm/specctrl.h"
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

/* Lock tags: [own] only this CPU writes it (others may read: a torn read
 * only misprints a report); [boot] set while the CPU comes up (smp.c),
 * constant after; [place] the vCPU placement lock (vmm/sched.c); [any]
 * any CPU writes it, without a lock (a flag or counter whose races are
 * harmless: a kick or a wake-up more). */
struct cpu {
	struct cpu *self;            /* [boot] %gs:0 */
	unsigned id;                 /* [boot] */
	uint32_t apic_id;            /* [boot] */
	volatile enum cpu_state state;   /* the start-up handshake: the boot CPU and this one
					  * in turn (smp.c, ap_main); constant once ONLINE/FAILED */
	bool virt_on;                /* [own] AMD-V / VT-x turned on here */
	const char *fail;            /* [own] why it is not usable, when it is not */
	uint64_t gdt[5];             /* [boot] */
	struct tss64 tss;            /* [boot] */
	uint64_t stack_top;          /* [boot] */
	/* local APIC (arch/x86/apic.c) */
	uint64_t timer_armed;        /* [own] */
	volatile uint64_t timer_irqs, kicks;   /* [own] counted by its interrupt handlers */
	/* AMD-V (svm.c) / VT-x (vmx.c) state of this CPU, all [own] */
	uint64_t hsave_pa, host_vmcb_pa;
	uint64_t vmxon_pa, current_vmcs;
	void *msrs_loaded;
	uint64_t tsc_aux;            /* what IA32_TSC_AUX holds (vmm/msr.c) */
	bool tsc_aux_valid;
	struct specctrl_regs spec_host;   /* [boot] the host's speculation controls (vmm/spec.c) */
	bool spec_reset_differs;     /* [boot] ...differ from what a guest starts with */
	struct tlbtag_cpu tags;      /* [own] */
	/* scheduler (vmm/sched.c) */
	void *current;               /* [own] the vCPU in a slice here, or NULL */
	volatile bool resched;       /* [any] a vCPU here other than current may run now */
	void *fpu_owner;             /* [own] whose FPU/SSE state the registers hold */
	unsigned fpu_owner_starts;   /* [own] ...in which run of its partition */
	uint64_t xcr0;               /* [own] what XCR0 holds (vmm/fpu.c), 0 = not known */
	unsigned nvcpus;             /* [place] vCPUs placed here */
	bool dedicated;              /* [place] one vCPU owns it (cpus + dedicated) */
	uint64_t busy_cycles, idle_cycles;   /* [own] */
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
