/* The guest's view of CPUID: the real CPU's leaves, minus what Vatra does
 * not virtualize (VMX, SVM, MONITOR, PMU, MTRRs, LA57) and the vector
 * extensions whose state guests cannot enable (vmm/xstate.c),
 * plus the hypervisor bit and Vatra's own leaves at 0x40000000. */
#include "vmm/vcpu.h"
#include "vmm/fpu.h"
#include "vmm/vmm_ops.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "vmm/vmm.h"
#include "arch/x86/caps.h"

#define VATRA_LEAF_MAX 0x40000010

static void hv_leaf(struct vcpu *v, uint32_t leaf, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0 };
	switch (leaf) {
	case 0x40000000:
		r->a = VATRA_LEAF_MAX;
		r->b = 0x72746156;   /* "Vatr" */
		r->c = 0x74615661;   /* "aVat" */
		r->d = 0x56486172;   /* "raHV" */
		break;
	case 0x40000001:
		r->a = 0x00010000;
		/* Which hypercall instruction exits depends on the extension
		 * (VMCALL under VT-x, VMMCALL under AMD-V), not the CPU. */
		r->b = caps_get()->virt == VIRT_VMX ? 1 : 2;
		break;
	case 0x40000010:
		/* TSC frequency in kHz, so guests need not calibrate. */
		r->a = (uint32_t)hv.tsc_khz;
		break;
	}
	(void)v;
}

void cpuid_guest(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	if (leaf >= 0x40000000 && leaf < 0x50000000) {
		hv_leaf(v, leaf, r);
		return;
	}
	/* Intel guests learn the TSC frequency from leaf 0x15 (TSC = crystal
	 * * EBX / EAX; SDM Vol. 2A, CPUID leaf 15H) instead of calibrating
	 * against emulated timers. */
	if (vmm_guest_vendor() == CPU_VENDOR_INTEL && hv.tsc_khz) {
		uint32_t max = cpuid(0, 0).a;
		if (leaf == 0) {
			*r = cpuid(0, 0);
			if (r->a < 0x15)
				r->a = 0x15;
			return;
		}
		if (leaf == 0x15) {
			*r = (struct cpuid_regs){ 1, 1, (uint32_t)(hv.tsc_khz * 1000), 0 };
			return;
		}
		if (leaf > max && leaf < 0x40000000) {
			*r = (struct cpuid_regs){ 0 };
			return;
		}
	}
	*r = cpuid(leaf, sub);
	{
		uint32_t x[4] = { r->a, r->b, r->c, r->d };
		xstate_filter_features(fpu_guest_mask(), leaf, sub, x);
		*r = (struct cpuid_regs){ x[0], x[1], x[2], x[3] };
	}
	switch (leaf) {
	case 1:
		/* ECX: MONITOR 3, VMX 5, SMX 6, EIST 7, TM2 8 hidden; x2APIC
		 * 21 and TSC-deadline 24 are the LAPIC model's; OSXSAVE 27 is
		 * the guest's CR4.OSXSAVE (SDM Vol. 2A, CPUID); hypervisor 31
		 * set. PCID 17 is the host's: with nested paging the guest's
		 * TLB tags are its own business. EBX 31:24: the vCPU's APIC id. */
		r->c &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) |
			  (1u << 21) | (1u << 24) | (1u << 27));
		if (fpu_guest_mask()) {
			struct guest_ctl c;
			vmm->get_ctl(v, &c);
			if (c.cr4 & CR4_OSXSAVE)
				r->c |= 1u << 27;
		}
		/* x2APIC: the LAPIC model has it, whatever the host has. */
		r->c |= (1u << 31) | (1u << 21);
		/* The LAPIC model's TSC-deadline timer, when the TSC rate is known. */
		if (hv.tsc_khz)
			r->c |= 1u << 24;
		/* EDX: MTRR 12, thermal monitor and its MSRs 22 and 29 (ECX 7
		 * EIST, 8 TM2): no MTRRs or thermal MSRs are offered. */
		r->d &= ~((1u << 12) | (1u << 22) | (1u << 29));
		r->b = (r->b & 0x00ffffff) | (v->id << 24);
		break;
	case 5:   /* MONITOR/MWAIT */
	case 6:   /* thermal and power management */
	case 0xa: /* architectural PMU */
		*r = (struct cpuid_regs){ 0 };
		break;
	case 0xd: {  /* XSAVE: what the guest may enable, sizes for its XCR0 */
		uint32_t x[4];
		xstate_leaf_d(fpu_layout(), fpu_guest_mask(), fpu_guest_xcr0(v), sub, x);
		*r = (struct cpuid_regs){ x[0], x[1], x[2], x[3] };
		break;
	}
	case 7:
		if (sub == 0) {
			r->a = 0;   /* no subleaf 1 and up is offered */
			/* EBX: SGX 2, HLE 4, RTM 11, MPX 14 (TSC_ADJUST 1:
			 * msr_cpuid_fixup); ECX: OSPKE 4 (below), WAITPKG 5,
			 * LA57 16. */
			r->b &= ~((1u << 2) | (1u << 4) | (1u << 11) | (1u << 14));
			/* INVPCID 10 runs in the guest on AMD-V; on VT-x only
			 * with the enable-INVPCID control (SDM Vol. 3C, 25.6.2). */
			if (caps_get()->virt == VIRT_VMX && !caps_get()->invpcid_exec)
				r->b &= ~(1u << 10);
			/* PKU 3 stays with its state (vmm/xstate.c); OSPKE 4
			 * is the guest's CR4.PKE. */
			r->c &= ~((1u << 4) | (1u << 5) | (1u << 16));
			if (r->c & (1u << 3)) {
				struct guest_ctl c;
				vmm->get_ctl(v, &c);
				if (c.cr4 & CR4_PKE)
					r->c |= 1u << 4;
			}
		} else {
			*r = (struct cpuid_regs){ 0 };
		}
		break;
	case 0x80000001:
		/* ECX: SVM 2, SKINIT 12, MWAITX 29. */
		r->c &= ~((1u << 2) | (1u << 12) | (1u << 29));
		break;
	case 0x8000000a:  /* SVM features */
		*r = (struct cpuid_regs){ 0 };
		break;
	}
	msr_cpuid_fixup(leaf, sub, r);
}

int cpuid_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct cpuid_regs r;

	cpuid_guest(v, (uint32_t)v->regs.gpr[REG_RAX], (uint32_t)v->regs.gpr[REG_RCX], &r);
	v->regs.gpr[REG_RAX] = r.a;
	v->regs.gpr[REG_RBX] = r.b;
	v->regs.gpr[REG_RCX] = r.c;
	v->regs.gpr[REG_RDX] = r.d;
	vcpu_skip(v, e, 2);
	return 0;
}
