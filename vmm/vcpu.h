/* Running a vCPU and handling its exits in vendor-neutral code. */
#ifndef VATRA_VMM_VCPU_H
#define VATRA_VMM_VCPU_H

#include "vmm/partition.h"

/* Runs v until it stops, halts, or max_cycles of TSC time have passed at
 * an exit. */
void vcpu_run_slice(struct vcpu *v, uint64_t max_cycles);

/* Stops the whole partition of v because of what the guest did; prints
 * the vendor state dump first. */
void vcpu_fail(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Exit handlers, one file each (vmm/cpuid.c msr.c io.c mmio.c
 * hypercall.c). Each returns 0 when the exit was handled (RIP advanced
 * where needed) or the partition was stopped. */
int cpuid_exit(struct vcpu *v, const struct vm_exit *e);

/* The vCPU's cache of CPUID answers (vmm/cpuid.c fills it): the slot of
 * a leaf and subleaf, and the answer written to the registers when that
 * slot holds it. */
static inline unsigned cpuid_slot(uint32_t leaf, uint32_t sub)
{
	return (leaf ^ (leaf >> 29) ^ (sub * 5)) & 7;
}

static inline bool cpuid_cached(struct vcpu *v, uint32_t leaf, uint32_t sub)
{
	const struct cpuid_entry *c = &v->cpuid_cache[cpuid_slot(leaf, sub)];

	if (!c->valid || c->leaf != leaf || c->sub != sub)
		return false;
	v->regs.gpr[REG_RAX] = c->r[0];
	v->regs.gpr[REG_RBX] = c->r[1];
	v->regs.gpr[REG_RCX] = c->r[2];
	v->regs.gpr[REG_RDX] = c->r[3];
	return true;
}

/* A CPUID whose answer v has cached and whose length the hardware gave:
 * answered and RIP moved past it; false (nothing done) otherwise. */
static inline bool cpuid_exit_cached(struct vcpu *v, const struct vm_exit *e)
{
	if (!e->inst_len || !cpuid_cached(v, (uint32_t)v->regs.gpr[REG_RAX],
					  (uint32_t)v->regs.gpr[REG_RCX]))
		return false;
	v->regs.rip += e->inst_len;
	return true;
}
/* Called by the vendor's vcpu_run after each exit: true when the exit
 * was handled here in full and v may enter again at once, false to
 * return it to vcpu_run_slice (vmm/vcpu.c). Other exits pay one test. */
bool vcpu_private_fast(struct vcpu *v, const struct vm_exit *e);
#define EXIT_FAST_REASONS ((1u << EXIT_CPUID) | (1u << EXIT_IO) | (1u << EXIT_HYPERCALL))
static inline bool vcpu_exit_fast(struct vcpu *v, const struct vm_exit *e)
{
	_Static_assert(EXIT_NREASONS <= 32, "exit reasons fit the mask");
	return ((1u << e->reason) & EXIT_FAST_REASONS) && vcpu_private_fast(v, e);
}
struct cr_allowed;
/* The CR4 and EFER bits the guest's CPUID shows, for vmm/crvalid.c. */
void cpuid_cr_allowed(struct vcpu *v, struct cr_allowed *a);
int msr_exit(struct vcpu *v, const struct vm_exit *e);
int io_exit(struct vcpu *v, const struct vm_exit *e);
int mmio_exit(struct vcpu *v, const struct vm_exit *e);
int hypercall_exit(struct vcpu *v, const struct vm_exit *e);
/* Whether the exit's handler touches only the vCPU's own state, so that
 * it runs without the partition's lock (vmm/vcpu.c): an MSR other than
 * the local APIC's and the TSC's; the VERSION hypercall. */
bool msr_private(uint32_t msr);
bool hypercall_private(const struct vcpu *v);

/* The guest's CPUID (vmm/cpuid.c); msr_cpuid_fixup is its last step:
 * it hides the bits whose MSRs vmm/msr.c does not provide. */
struct cpuid_regs;
void cpuid_guest(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r);
void msr_cpuid_fixup(uint32_t leaf, uint32_t sub, struct cpuid_regs *r);
/* The TSC as this vCPU reads it. */
uint64_t msr_guest_tsc(struct vcpu *v);

/* Opens the MSRs every partition reads and writes without exits (the
 * ones the hardware switches); 0 or -errno. */
int msr_part_init(struct partition *p);
/* Sets v's MTRRs to what firmware leaves at power-up (the same for
 * every vCPU of the partition). */
void msr_mtrr_init(struct vcpu *v);
/* Loads MSRs that the hardware uses on the guest's behalf without an
 * exit (TSC_AUX) before v runs. */
void msr_load_guest(struct vcpu *v);

/* Advances RIP past the exiting instruction: by e->inst_len when the
 * hardware said it (every exit of an instruction on VT-x, and on AMD-V
 * with NRIP save), else by decoding prefixes + the opcode length given. */
void vcpu_skip_decode(struct vcpu *v, unsigned opcode_len);
struct guest_ctl;
/* The same with the control state the caller has already read. */
void vcpu_skip_decode_ctl(struct vcpu *v, const struct guest_ctl *c, unsigned opcode_len);
static inline void vcpu_skip(struct vcpu *v, const struct vm_exit *e, unsigned opcode_len)
{
	if (e->inst_len)
		v->regs.rip += e->inst_len;
	else
		vcpu_skip_decode(v, opcode_len);
}
/* Reads up to max bytes of the instruction at CS:RIP; returns how many
 * could be read. */
unsigned vcpu_fetch(struct vcpu *v, uint8_t *b, unsigned max);
/* CR8 as the guest sees it: bits 7:4 of its local APIC's TPR. */
static inline uint64_t vcpu_cr8(const struct vcpu *v)
{
	return (v->lapic.tpr >> 4) & 15;
}
void vcpu_set_cr8(struct vcpu *v, uint64_t cr8);
struct boot_state;
/* Puts v in the state a loader (or a startup IPI) asks for: GPRs, RIP
 * and RFLAGS here, the rest through the vendor. 0 or -errno. */
int vcpu_reset(struct vcpu *v, const struct boot_state *bs);

/* Injects #GP(0) / #UD into the guest. */
void vcpu_gp(struct vcpu *v);
void vcpu_ud(struct vcpu *v);

#endif
