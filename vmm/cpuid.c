/* The guest's view of CPUID: the real CPU's leaves, minus what Vatra does
 * not virtualize (VMX, SVM, MONITOR, PMU) and the vector
 * extensions whose state guests cannot enable (vmm/xstate.c),
 * plus the hypervisor bit and Vatra's own leaves at 0x40000000. */
#include "vmm/vcpu.h"
#include "vmm/fpu.h"
#include "vmm/vmm_ops.h"
#include "vmm/crvalid.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "vmm/vmm.h"
#include "arch/x86/caps.h"
#include "include/vatra/hotpath.h"

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

/* The host's highest basic (base 0) or extended (base 0x80000000) leaf,
 * read once: a CPUID instruction costs the hypervisor a hundred cycles
 * and more, and the answer never changes. */
static uint32_t host_max_leaf(uint32_t base)
{
	static uint32_t max[2];
	unsigned i = base ? 1 : 0;

	if (!max[i])
		max[i] = cpuid(base, 0).a;
	return max[i];
}

/* Bits needed to number n vCPUs: ceil(log2(n)). */
static uint32_t id_bits(uint32_t n)
{
	uint32_t b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

/* The partition's own topology, never the host's: one package of
 * nvcpus cores with one thread each, core i with APIC ID i (as the
 * generated MADT lists them). Leaves: 1 EBX[31:16] and EDX[28] (HTT),
 * 4 EAX[31:14] and AMD 0x8000001D EAX[25:14] (Intel SDM Vol. 2A, CPUID;
 * Vol. 3A, 10.9 "Programming considerations for hardware
 * multi-threading" — cache sharing: L1/L2 per core, L3 per package),
 * 0xB and 0x1F (the extended topology: SMT level then core level, EDX
 * the x2APIC ID), AMD 0x80000008 ECX (NC, ApicIdSize) and 0x8000001E
 * (extended APIC ID, core ID; AMD APM Vol. 3, Appendix E.4). */
static void topology(struct vcpu *v, uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	uint32_t n = v->part->nvcpus ? v->part->nvcpus : 1, bits = id_bits(n);
	uint32_t ids = 1u << bits, level;

	if (leaf > host_max_leaf(leaf & 0x80000000))
		return;         /* beyond the highest leaf: as the CPU answers */
	switch (leaf) {
	case 1:
		r->b = (r->b & 0x0000ffff) | (ids << 16) | (v->id << 24);
		r->d |= 1u << 28;
		break;
	case 4:
	case 0x8000001d:
		if (!(r->a & 0x1f))
			break;          /* no cache at this subleaf */
		level = (r->a >> 5) & 7;
		r->a &= 0x3fff;
		r->a |= (level >= 3 ? ids - 1 : 0) << 14;
		if (leaf == 4)
			r->a |= (ids - 1) << 26;
		break;
	case 0xb:
	case 0x1f:
		r->d = v->id;
		if (sub == 0)
			*r = (struct cpuid_regs){ 0, 1, (1u << 8), v->id };
		else if (sub == 1)
			*r = (struct cpuid_regs){ bits, n, (2u << 8) | 1, v->id };
		else
			*r = (struct cpuid_regs){ 0, 0, sub & 0xff, v->id };
		break;
	case 0x80000008:
		r->c = (bits << 12) | (n - 1);
		/* EBX[20]: EFER.LMSLE is not offered (vmm/crvalid.c). */
		if (caps_get()->virt == VIRT_SVM)
			r->b |= 1u << 20;
		else
			r->c = 0;       /* reserved on Intel */
		break;
	case 0x8000001e:
		if (caps_get()->virt == VIRT_SVM)
			*r = (struct cpuid_regs){ v->id, v->id, 0, 0 };
		break;
	}
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
		uint32_t max = host_max_leaf(0);
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
		/* EDX: thermal monitor and its MSRs 22 and 29 (ECX 7 EIST, 8
		 * TM2) hidden; MTRR 12 offered, emulated (vmm/mtrr.c). */
		r->d &= ~((1u << 22) | (1u << 29));
		r->d |= 1u << 12;
		break;
	case 6:
		/* Thermal and power management: their MSRs are not offered;
		 * only EAX[2] ARAT stays as the host has it (the LAPIC model's
		 * timer runs in every C-state the guest can reach anyway). */
		*r = (struct cpuid_regs){ r->a & (1u << 2), 0, 0, 0 };
		break;
	case 5:   /* MONITOR/MWAIT */
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
			 * msr_cpuid_fixup); ECX: OSPKE 4 (below), WAITPKG 5.
			 * LA57 16 is the host's: the guest's 5-level tables are
			 * walked by the CPU and by vmm/gwalk.c alike. */
			r->b &= ~((1u << 2) | (1u << 4) | (1u << 11) | (1u << 14));
			/* INVPCID 10 runs in the guest on AMD-V; on VT-x only
			 * with the enable-INVPCID control (SDM Vol. 3C, 25.6.2). */
			if (caps_get()->virt == VIRT_VMX && !caps_get()->invpcid_exec)
				r->b &= ~(1u << 10);
			/* PKU 3 stays with its state (vmm/xstate.c); OSPKE 4
			 * is the guest's CR4.PKE. */
			r->c &= ~((1u << 4) | (1u << 5));
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
		/* EDX: AMD repeats leaf 1's MTRR bit 12 (APM Vol. 3, E.4.2). */
		if (vmm_guest_vendor() == CPU_VENDOR_AMD)
			r->d |= 1u << 12;
		break;
	case 0x8000000a:  /* SVM features */
		*r = (struct cpuid_regs){ 0 };
		break;
	}
	msr_cpuid_fixup(leaf, sub, r);
	topology(v, leaf, sub, r);
}

/* The CR4 and EFER bits this vCPU's CPUID shows (vmm/crvalid.c). */
void cpuid_cr_allowed(struct vcpu *v, struct cr_allowed *a)
{
	struct cpuid_regs l1, l7, e1;
	struct cr_cpuid id;

	cpuid_guest(v, 1, 0, &l1);
	cpuid_guest(v, 7, 0, &l7);
	cpuid_guest(v, 0x80000001, 0, &e1);
	id = (struct cr_cpuid){ l1.c, l1.d, l7.b, l7.c, l7.d, e1.c, e1.d };
	if (cpuid(0, 0).a < 7)
		id.l7b = id.l7c = id.l7d = 0;
	crvalid_allowed(&id, a);
}

/* Whether a leaf's answer stays the same for the vCPU: all but 1 and 7
 * (OSXSAVE and OSPKE follow the guest's CR4) and 0xD (the sizes follow
 * its XCR0). Everything else is the host's constant answer, filtered by
 * the partition's constant settings and the vCPU's own ID. */
static bool cpuid_keep(uint32_t leaf)
{
	return leaf != 1 && leaf != 7 && leaf != 0xd;
}

/* The guest's answers, cached in the vCPU (the lookup: cpuid_cached in
 * vmm/vcpu.h): a CPUID costs the hypervisor one host CPUID (a hundred
 * cycles and more on a real CPU) plus the filtering, and guests ask the
 * same few leaves over and over. Not in the cache: computed here, and
 * kept when it stays the same. */
static void __attribute__((noinline)) cpuid_miss(struct vcpu *v, uint32_t leaf, uint32_t sub)
{
	unsigned i = cpuid_slot(leaf, sub);
	struct cpuid_regs r;

	cpuid_guest(v, leaf, sub, &r);
	v->regs.gpr[REG_RAX] = r.a;
	v->regs.gpr[REG_RBX] = r.b;
	v->regs.gpr[REG_RCX] = r.c;
	v->regs.gpr[REG_RDX] = r.d;
	if (!cpuid_keep(leaf))
		return;
	v->cpuid_cache[i].leaf = leaf;
	v->cpuid_cache[i].sub = sub;
	v->cpuid_cache[i].r[0] = r.a;
	v->cpuid_cache[i].r[1] = r.b;
	v->cpuid_cache[i].r[2] = r.c;
	v->cpuid_cache[i].r[3] = r.d;
	v->cpuid_cache[i].valid = true;
}

static int __attribute__((noinline)) cpuid_exit_slow(struct vcpu *v, const struct vm_exit *e,
						     uint32_t leaf, uint32_t sub)
{
	if (!cpuid_cached(v, leaf, sub))
		cpuid_miss(v, leaf, sub);
	vcpu_skip(v, e, 2);
	return 0;
}

/* A repeated leaf with the instruction's length known (always on VT-x,
 * with NRIP save on AMD-V) is answered without a frame; the rest is a
 * tail call. */
EXIT_PATH int cpuid_exit(struct vcpu *v, const struct vm_exit *e)
{
	uint32_t leaf = (uint32_t)v->regs.gpr[REG_RAX], sub = (uint32_t)v->regs.gpr[REG_RCX];

	if (!e->inst_len || !cpuid_cached(v, leaf, sub))
		return cpuid_exit_slow(v, e, leaf, sub);
	v->regs.rip += e->inst_len;
	return 0;
}
