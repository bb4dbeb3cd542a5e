/* Guest MSR access: an explicit list. MSRs the vendor keeps in its guest
 * state (EFER, PAT, ...) go to the vendor code; a few are emulated here;
 * everything else raises #GP in the guest, never anything in the host.
 * MSRs that VMRUN/VMLOAD or the VMCS switch by themselves (FS/GS base,
 * SYSCALL and SYSENTER MSRs) do not exit at all. */
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "vmm/platform.h"
#include "arch/x86/cpu.h"
#include "arch/x86/caps.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/errno.h"

#define MSR_TSC            0x10
#define MSR_MTRRCAP        0xfe
#define MSR_UCODE_REV      0x8b
#define MSR_TSC_AUX        0xc0000103
#define MSR_AMD_NB_CFG     0xc001001f
#define MSR_MISC_ENABLE    0x1a0

static int emulated_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_TSC:
		*val = rdtsc() - v->part->start_tsc;   /* as RDTSC reads it */
		return 0;
	case MSR_TSC_AUX:
		*val = v->tsc_aux;
		return 0;
	case MSR_MTRRCAP:
	case MSR_UCODE_REV:
		*val = 0;
		return 0;
	case MSR_MISC_ENABLE:
		/* Intel only; Linux's early boot reads it unchecked. Fast
		 * strings on, BTS and PEBS unavailable, XD not disabled. */
		if (caps_get()->virt != VIRT_VMX)
			return -ENOENT;
		*val = (1u << 0) | (1u << 11) | (1u << 12);
		return 0;
	case MSR_AMD_NB_CFG:
		/* Linux reads it unchecked on AMD family 17h. */
		if (caps_get()->virt != VIRT_SVM)
			return -ENOENT;
		*val = 0;
		return 0;
	case MSR_FEATURE_CONTROL:
		/* Locked with VMX off: what Intel firmware leaves when VT-x is
		 * not offered. */
		if (caps_get()->virt != VIRT_VMX)
			return -ENOENT;
		*val = 1;
		return 0;
	default:
		return -ENOENT;
	}
}

/* The hardware TSC_AUX holds the running vCPU's value: RDTSCP (and
 * RDPID) read it directly wherever no intercept applies. Each CPU
 * remembers what it holds. */
void msr_load_guest(struct vcpu *v)
{
	struct cpu *c = this_cpu();

	if ((!c->tsc_aux_valid || c->tsc_aux != v->tsc_aux) &&
	    (cpuid(0x80000001, 0).d & (1u << 27))) {
		wrmsr(MSR_TSC_AUX, v->tsc_aux);
		c->tsc_aux = v->tsc_aux;
		c->tsc_aux_valid = true;
	}
}

static int emulated_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_TSC_AUX:
		if (val >> 32)
			return -EINVAL;
		v->tsc_aux = val;
		msr_load_guest(v);
		return 0;
	case MSR_UCODE_REV:
		return 0;
	case MSR_AMD_NB_CFG:
		return caps_get()->virt == VIRT_SVM ? 0 : -ENOENT;
	case MSR_MISC_ENABLE:
		return caps_get()->virt == VIRT_VMX ? 0 : -ENOENT;   /* kept as it is */
	default:
		return -ENOENT;
	}
}

int msr_exit(struct vcpu *v, const struct vm_exit *e)
{
	uint32_t msr = e->msr.index;
	uint64_t val;
	int r;

	if (e->reason == EXIT_MSR_READ) {
		r = vmm->msr_read(v, msr, &val);
		if (r == -ENOENT)
			r = platform_msr(v, msr, false, &val);
		if (r == -ENOENT)
			r = emulated_read(v, msr, &val);
		if (r) {
			pr_debug("partition %s: rdmsr %#x refused (#GP)", part_name(v->part), msr);
			vcpu_gp(v);
			return 0;
		}
		v->regs.gpr[REG_RAX] = (uint32_t)val;
		v->regs.gpr[REG_RDX] = val >> 32;
	} else {
		val = (uint32_t)v->regs.gpr[REG_RAX] | (v->regs.gpr[REG_RDX] << 32);
		r = vmm->msr_write(v, msr, val);
		if (r == -ENOENT)
			r = platform_msr(v, msr, true, &val);
		if (r == -ENOENT)
			r = emulated_write(v, msr, val);
		if (r) {
			pr_debug("partition %s: wrmsr %#x <- %#llx refused (#GP)", part_name(v->part),
				 msr, (unsigned long long)val);
			vcpu_gp(v);
			return 0;
		}
	}
	vcpu_skip(v, e, 2);
	return 0;
}
