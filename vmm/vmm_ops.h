/* The one vendor boundary: arch/x86/svm.c (AMD-V) and vmx.c (VT-x) each
 * fill one const struct vmm_ops; vmm/ calls only these and never reads a
 * VMCB or VMCS field. The table is chosen once at boot from CPUID. */
#ifndef VATRA_VMM_VMM_OPS_H
#define VATRA_VMM_VMM_OPS_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/exit.h"
#include "vmm/regs.h"
#include "arch/x86/paging.h"

struct vcpu;
struct partition;
struct boot_state;

/* Guest control state the neutral code needs to walk guest page tables
 * and decode instructions. */
struct guest_ctl {
	uint64_t cr0, cr3, cr4, efer;
	enum cpu_mode mode;
	uint8_t cpl;
	uint64_t idtr_base;           /* for reports: where an event's delivery reads */
};

struct vmm_ops {
	const char *name;             /* "AMD-V" or "VT-x" */
	/* Turns virtualization on for the calling CPU (the boot CPU first,
	 * which also sets up what all CPUs share); 0 or a negative errno
	 * with the reason printed. */
	int (*cpu_enable)(void);
	/* Nested/extended page-table format and the page sizes it may use. */
	const struct pt_format *gpt_format;
	unsigned (*gpt_leaf_levels)(void);
	/* Per-partition vendor state (its I/O and MSR permission maps):
	 * made before the partition's vCPUs, freed after them; every port
	 * and MSR exits until opened below. 0 or -errno. */
	int (*part_create)(struct partition *p);
	unsigned part_map_kib;        /* the memory part_create takes */
	void (*part_destroy)(struct partition *p);
	/* Lets partition p's vCPUs reach ports [port, port+len) directly
	 * (direct) or makes them exit again. */
	void (*part_io)(struct partition *p, uint16_t port, unsigned len, bool direct);
	/* Lets its vCPUs read and/or write msr directly: 0, or -EINVAL for an
	 * MSR the hardware's map does not cover (it always exits). */
	int (*part_msr)(struct partition *p, uint32_t msr, bool read_direct, bool write_direct);
	int (*vcpu_create)(struct vcpu *v);
	void (*vcpu_destroy)(struct vcpu *v);
	/* Puts the vCPU's vendor state in the mode a loader asks for (real
	 * mode, 32-bit protected mode with flat segments, ...); the GPRs are
	 * set by vcpu_reset (vmm/vcpu.c), which calls this. */
	int (*vcpu_reset)(struct vcpu *v, const struct boot_state *bs);
	/* Runs the guest until an exit the neutral code must see. v->regs
	 * holds the GPRs, RIP and RFLAGS before and after. */
	void (*vcpu_run)(struct vcpu *v, struct vm_exit *exit);
	/* The end of a slice on this CPU: afterwards any CPU may reset or
	 * destroy the vCPU (NULL when there is nothing to do). */
	void (*vcpu_put)(struct vcpu *v);
	/* Its guest-physical mappings lost a page (a passed-through BAR
	 * moved away): drop the cached translations before its next entry.
	 * Partition lock held. */
	void (*gpt_changed)(struct vcpu *v);
	void (*get_ctl)(struct vcpu *v, struct guest_ctl *ctl);
	uint64_t (*seg_base)(struct vcpu *v, int seg);
	/* Queue an exception for the next entry (has_err: push err). */
	void (*inject_exception)(struct vcpu *v, uint8_t vector, bool has_err, uint32_t err);
	/* The guest's CR2, set before injecting a #PF (SDM Vol. 3A, 4.7). */
	void (*set_cr2)(struct vcpu *v, uint64_t cr2);
	/* Whether an external interrupt could be delivered now. */
	bool (*interruptible)(struct vcpu *v);
	/* Deliver an external interrupt at the next entry (only when
	 * interruptible), or ask for an EXIT_IRQ_WINDOW exit when it is. */
	void (*inject_irq)(struct vcpu *v, uint8_t vector);
	void (*request_irq_window)(struct vcpu *v, bool on);
	/* NMIs (SDM Vol. 3A, 6.7.1; APM Vol. 2, 15.20): whether one could be
	 * delivered at the next entry (no NMI being handled — blocked from
	 * its delivery until the handler's IRET —, no STI/MOV SS shadow, no
	 * other event queued); queue one; and ask for an EXIT_NMI_WINDOW
	 * exit once NMIs are unblocked (best effort: an exit may come later
	 * where the hardware has no such exit). */
	bool (*nmi_allowed)(struct vcpu *v);
	void (*inject_nmi)(struct vcpu *v);
	void (*request_nmi_window)(struct vcpu *v, bool on);
	/* MSRs that live in the vendor's guest state (EFER, PAT); -ENOENT
	 * when the vendor does not hold this MSR. Writes come already checked
	 * against the guest's rules (vmm/msr.c); EFER.LMA stays the CPU's. */
	int (*msr_read)(struct vcpu *v, uint32_t msr, uint64_t *val);
	int (*msr_write)(struct vcpu *v, uint32_t msr, uint64_t val);
	/* The guest's TSC is the host's plus offset (mod 2^64): RDTSC,
	 * RDTSCP and the TSC the hardware compares run on it. */
	void (*set_tsc_offset)(struct vcpu *v, uint64_t offset);
	/* DR6 (dr = 6) and DR7 (dr = 7), which live in the guest state. */
	void (*dr_access)(struct vcpu *v, unsigned dr, bool write, uint64_t *val);
	/* An emulated instruction completed: the STI / MOV SS interrupt
	 * shadow it may have been in is over (SDM Vol. 3A, 6.8.3). */
	void (*clear_irq_shadow)(struct vcpu *v);
	/* Prints the vendor guest state after a failure. */
	void (*dump)(struct vcpu *v);
	/* Why this CPU cannot run Vatra's guests even though the extension
	 * is there (a missing sub-feature), or NULL. */
	const char *(*refuse_reason)(void);
};

/* The table for this machine, or NULL when it has no usable VT-x/AMD-V. */
extern const struct vmm_ops *vmm;
extern const struct vmm_ops svm_ops;
extern const struct vmm_ops vmx_ops;

#endif
