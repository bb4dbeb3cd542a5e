/* An emulated local APIC, one per vCPU: xAPIC (the MMIO page at
 * 0xfee00000, reached through the instruction emulator) and x2APIC (MSRs
 * 0x800-0x8ff), the APIC timer in one-shot, periodic and TSC-deadline
 * modes, and the IRR/ISR/TMR bookkeeping the hypervisor's interrupt
 * injection runs on. Pure state machine: time comes from the dev_env,
 * IPIs and EOIs leave through vlapic_ops. Section numbers cite Intel SDM
 * Vol. 3A chapter 11, "Advanced Programmable Interrupt Controller"
 * (chapter 10 in editions before 2023). */
#ifndef VATRA_VMM_DEV_VLAPIC_H
#define VATRA_VMM_DEV_VLAPIC_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/devenv.h"

#define VLAPIC_DEFAULT_BASE 0xfee00000ULL
#define VLAPIC_SIZE         0x1000

#define VLAPIC_MSR_APIC_BASE    0x1b
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0
#define VLAPIC_MSR_X2APIC_FIRST 0x800
#define VLAPIC_MSR_X2APIC_LAST  0x8ff

/* IA32_APIC_BASE bits (SDM Vol. 3A, 11.4.4 and 11.12.1). */
#define VLAPIC_BASE_BSP    (1ULL << 8)
#define VLAPIC_BASE_EXTD   (1ULL << 10)
#define VLAPIC_BASE_EN     (1ULL << 11)

/* ICR delivery modes and shorthands as they reach send_ipi
 * (SDM Vol. 3A, 11.6.1, Figure 11-12). */
#define VLAPIC_DM_FIXED    0
#define VLAPIC_DM_LOWEST   1
#define VLAPIC_DM_SMI      2
#define VLAPIC_DM_NMI      4
#define VLAPIC_DM_INIT     5
#define VLAPIC_DM_STARTUP  6
#define VLAPIC_DM_EXTINT   7
#define VLAPIC_SH_NONE     0
#define VLAPIC_SH_SELF     1
#define VLAPIC_SH_ALL      2
#define VLAPIC_SH_OTHERS   3

/* LVT entries, in the order of their registers: CMCI (0x2f0), then timer
 * (0x320) through error (0x370). */
enum {
	VLAPIC_LVT_CMCI,
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_PERF,
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_ERROR,
	VLAPIC_NR_LVT
};

/* What a LAPIC needs from the hypervisor. Either callback may be NULL. */
struct vlapic_ops {
	/* An ICR write: the decoded command. dest is ICR[63:56] in xAPIC
	 * mode and ICR[63:32] in x2APIC mode, meaningful when shorthand is
	 * VLAPIC_SH_NONE. INIT and SIPI come through here too; an INIT with
	 * level_assert false is the INIT level de-assert Linux still sends,
	 * which Pentium 4 and later ignore (SDM Vol. 3A, 11.6.1). Self and
	 * all-including-self shorthands include this LAPIC: the router
	 * delivers back to it with vlapic_set_irq. */
	void (*send_ipi)(void *ctx, uint32_t dest, bool dest_logical, uint8_t shorthand,
			 uint8_t delivery_mode, uint8_t vector, bool level_assert);
	/* An EOI for a level-triggered (TMR) vector: broadcast to the IOAPIC. */
	void (*eoi)(void *ctx, uint8_t vector);
	void *ctx;
};

struct vlapic {
	const struct dev_env *env;
	struct vlapic_ops ops;
	uint32_t apic_id;       /* initial APIC ID = x2APIC ID */
	bool bsp;
	uint64_t tsc_khz;       /* guest TSC rate; 0: no TSC-deadline mode */
	uint64_t tsc_offset;    /* guest TSC at ns 0 (its IA32_TSC_ADJUST) */
	uint64_t bus_khz;       /* APIC timer input clock before the divider */

	uint64_t apic_base;     /* IA32_APIC_BASE */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t isr[8], tmr[8], irr[8];
	uint32_t esr;           /* what ESR reads */
	uint32_t esr_pending;   /* errors since the last ESR write */
	uint64_t icr;           /* xAPIC ICR high in bits 63:32 */
	uint32_t lvt[VLAPIC_NR_LVT];
	uint32_t timer_icr;     /* initial count */
	uint32_t timer_dcr;     /* divide configuration */

	/* The timer. In one-shot and periodic mode it counts from
	 * timer_start at bus_khz / timer_div (the divisor when it was
	 * armed); timer_periods whole periods have been signalled. */
	bool timer_armed;
	uint32_t timer_div;
	uint64_t timer_start;   /* ns */
	uint64_t timer_periods;
	uint64_t timer_deadline;        /* ns, valid while armed */
	uint64_t tsc_deadline;          /* IA32_TSC_DEADLINE */
};

/* Power-up state (SDM Vol. 3A, 11.4.7.1): xAPIC mode at the default base,
 * software-disabled, every LVT masked. tsc_khz is the rate of the TSC the
 * guest reads, which the hypervisor must keep equal to
 * now_ns * tsc_khz / 10^6 for TSC-deadline mode to match it; 0 hides
 * TSC-deadline mode (IA32_TSC_DEADLINE is then #GP). bus_khz is the
 * timer's input clock; 0 leaves no one-shot or periodic timer (the
 * current count reads 0). env and ops must outlive l; ops is
 * copied and may be NULL. */
void vlapic_init(struct vlapic *l, const struct dev_env *env, const struct vlapic_ops *ops,
		 uint32_t apic_id, bool bsp, uint64_t tsc_khz, uint64_t bus_khz);
/* The INIT signal (an INIT IPI to this vCPU): every register back to its
 * power-up value except the APIC ID and IA32_APIC_BASE, which keeps the
 * xAPIC/x2APIC mode (SDM Vol. 3A, 11.4.7.3 and 11.12.5.1). */
void vlapic_init_reset(struct vlapic *l);

/* 32-bit access at offset (0..0xfff) in the xAPIC page. Offsets that are
 * not 16-byte aligned or past the page are -EINVAL. -ENODEV when the
 * page is not the APIC's: the APIC is disabled in IA32_APIC_BASE or in
 * x2APIC mode (SDM Vol. 3A, 11.12.2); treat it as unbacked. Reserved
 * registers read 0, and writes to them or to read-only registers are
 * ignored, as the hardware does (reserved ones also set ESR bit 7). */
int vlapic_mmio_read(struct vlapic *l, uint32_t offset, uint32_t *val);
int vlapic_mmio_write(struct vlapic *l, uint32_t offset, uint32_t val);

/* Whether an access to the register at offset (xAPIC page) can arm the
 * timer or bring its next deadline (vlapic_next_deadline) forward. Reads
 * cannot; nor can writes of EOI, TPR, ESR or the ICR, which change ISR,
 * the priorities and the error status, or add to an IRR — which only
 * ever takes a deadline away. Every other write may. */
bool vlapic_access_moves_timer(uint32_t offset, bool write);
/* IA32_APIC_BASE (0x1b), IA32_TSC_DEADLINE (0x6e0) and the x2APIC MSRs
 * 0x800-0x8ff. -EINVAL means the guest takes #GP; -ENOENT means the MSR
 * is none of these. Relocating the APIC (a new base in IA32_APIC_BASE)
 * is not modelled and is refused with -EINVAL. */
int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t *val);
int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t val);

/* The highest-priority vector the vCPU should take now: the highest IRR
 * vector whose priority class is above the PPR's, while the APIC is
 * enabled in IA32_APIC_BASE and in SVR; -1 when none. */
int vlapic_pending(struct vlapic *l);
/* The vCPU took vector: it moves from IRR to ISR (SDM Vol. 3A, 11.8.4). */
void vlapic_accept(struct vlapic *l, uint8_t vector);
/* A signal on LINT0 or LINT1 (lint 0 or 1), as its LVT entry says: a
 * fixed vector is accepted into IRR here; NMI (and the modes not
 * modelled) are returned for the caller to deliver. Returns the delivery
 * mode, or -1 when the entry is masked (or the APIC is disabled in SVR);
 * with the APIC disabled in IA32_APIC_BASE, LINT1 is the NMI pin.
 * SDM Vol. 3A, 11.5.1 and 11.4.3. */
int vlapic_lint(struct vlapic *l, unsigned lint);
/* Whether a signal on LINT0 or LINT1 would be an NMI (as vlapic_lint
 * would return, without taking it): the operator's NMI button, or a
 * wired NMI, can then wake a CPU halted with interrupts off. */
bool vlapic_lint_nmi(const struct vlapic *l);

/* A fixed interrupt arriving from the IOAPIC or an IPI; level sets the
 * TMR bit (level-triggered), otherwise it is cleared. Vectors 0-15 are
 * refused with an ESR "receive illegal vector" error. Held in IRR while
 * the APIC is software-disabled; dropped while it is globally disabled. */
void vlapic_set_irq(struct vlapic *l, uint8_t vector, bool level);
/* Whether a message to dest (physical or logical) is for this LAPIC, in
 * its current mode (SDM Vol. 3A, 11.6.2 and 11.12.10): what the
 * hypervisor's router asks of each LAPIC. dest is 8 bits in xAPIC mode
 * and 32 bits in x2APIC mode; all ones is the broadcast. */
bool vlapic_match_dest(const struct vlapic *l, uint32_t dest, bool logical);

/* The TSC value IA32_TSC_DEADLINE is compared against at guest time now:
 * now * tsc_khz / 10^6. The guest's RDTSC must agree with it. */
uint64_t vlapic_guest_tsc(const struct vlapic *l, uint64_t now);
/* The guest time (ns) at which the timer next needs vlapic_update, or
 * DEV_NO_DEADLINE. It may be <= now: update at once. */
uint64_t vlapic_next_deadline(const struct vlapic *l, uint64_t now);
/* Fires the timer if its deadline has passed: the LVT timer vector goes
 * into IRR unless masked; periodic mode re-arms, with periods missed
 * since coalesced into this one interrupt. */
void vlapic_update(struct vlapic *l, uint64_t now);

#endif
