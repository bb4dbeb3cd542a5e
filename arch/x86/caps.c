/* CPU capability probe (CPUID and the VMX capability MSRs). */
#include "arch/x86/caps.h"
#include "arch/x86/cpu.h"
#include "lib/string.h"
#include "lib/log.h"

static struct caps caps;

const struct caps *caps_get(void)
{
	return &caps;
}

static void probe_svm(struct caps *c)
{
	struct cpuid_regs r;

	c->virt = VIRT_SVM;
	/* AMD APM Vol. 2, 15.4: VM_CR.SVMDIS set by firmware forbids EFER.SVME. */
	if (rdmsr(MSR_VM_CR) & (1u << 4))
		c->virt_off = "SVM disabled by firmware (VM_CR.SVMDIS)";
	if (cpuid(0x80000000, 0).a < 0x8000000a) {
		c->virt_off = "CPUID leaf 0x8000000A missing";
		return;
	}
	/* AMD APM Vol. 3, CPUID Fn8000_000A. */
	r = cpuid(0x8000000a, 0);
	c->svm_rev = r.a & 0xff;
	c->asids = r.b;
	c->npt = r.d & (1u << 0);
	c->nrip_save = r.d & (1u << 3);
	c->vmcb_clean = r.d & (1u << 5);
	c->flush_by_asid = r.d & (1u << 6);
	c->decode_assists = r.d & (1u << 7);
	c->avic = r.d & (1u << 13);
	c->vgif = r.d & (1u << 16);
}

static void probe_vmx(struct caps *c)
{
	uint64_t basic, pin, proc, proc2 = 0, ept = 0, fc;

	c->virt = VIRT_VMX;
	/* Intel SDM Vol. 3C, 23.7: VMXON outside SMX needs bit 2 of
	 * IA32_FEATURE_CONTROL; a locked MSR without it means firmware
	 * turned VT-x off. An unlocked one (OVMF) we set ourselves. */
	fc = rdmsr(MSR_FEATURE_CONTROL);
	if ((fc & 1) && !(fc & (1u << 2)))
		c->virt_off = "VT-x disabled by firmware (IA32_FEATURE_CONTROL locked)";
	/* Appendix A: allowed-1 settings live in the high 32 bits. */
	basic = rdmsr(MSR_VMX_BASIC);
	c->vmcs_rev = basic & 0x7fffffff;
	pin = rdmsr(MSR_VMX_PINBASED);
	proc = rdmsr(MSR_VMX_PROCBASED);
	c->preempt_timer = (pin >> 32) & (1u << 6);
	c->posted_intr = (pin >> 32) & (1u << 7);
	if ((proc >> 32) & (1u << 31))
		proc2 = rdmsr(MSR_VMX_PROCBASED2) >> 32;
	c->ept = proc2 & (1u << 1);
	c->vpid = proc2 & (1u << 5);
	c->unrestricted = proc2 & (1u << 7);
	c->invpcid_exec = proc2 & (1u << 12);
	c->apicv = proc2 & (1u << 8);
	if (c->ept || c->vpid)
		ept = rdmsr(MSR_VMX_EPT_VPID);
	c->ept_wb = ept & (1ULL << 14);
	c->ept_2m = ept & (1ULL << 16);
	c->ept_1g = ept & (1ULL << 17);
	c->ept_ad = ept & (1ULL << 21);
	c->invept_single = ept & (1ULL << 25);
	c->invvpid_single = ept & (1ULL << 41);
}

void caps_probe(struct caps *c)
{
	struct cpuid_regs r = cpuid(0, 0), f;
	uint32_t maxext;

	memset(c, 0, sizeof(*c));
	memcpy(c->vendor, &r.b, 4);
	memcpy(c->vendor + 4, &r.d, 4);
	memcpy(c->vendor + 8, &r.c, 4);
	f = cpuid(1, 0);
	c->family = (f.a >> 8) & 0xf;
	c->model = (f.a >> 4) & 0xf;
	c->stepping = f.a & 0xf;
	if (c->family == 0xf)
		c->family += (f.a >> 20) & 0xff;
	if (c->family >= 6)
		c->model |= ((f.a >> 16) & 0xf) << 4;
	c->x2apic = f.c & (1u << 21);
	if (r.a >= 7) {
		struct cpuid_regs l7 = cpuid(7, 0);
		c->smep = l7.b & (1u << 7);
		c->smap = l7.b & (1u << 20);
	}
	maxext = cpuid(0x80000000, 0).a;
	if (maxext >= 0x80000001) {
		struct cpuid_regs e = cpuid(0x80000001, 0);
		c->nx = e.d & (1u << 20);
		c->gbpages = e.d & (1u << 26);
		if (e.c & (1u << 2))
			probe_svm(c);
	}
	if (maxext >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++) {
			struct cpuid_regs b = cpuid(0x80000002 + i, 0);
			memcpy(c->brand + i * 16, &b, 16);
		}
		/* Trim the leading spaces some CPUs pad with. */
		char *p = c->brand;
		while (*p == ' ')
			p++;
		memmove(c->brand, p, strlen(p) + 1);
	}
	if (maxext >= 0x80000007)
		c->invariant_tsc = cpuid(0x80000007, 0).d & (1u << 8);
	if (maxext >= 0x80000008)
		c->phys_bits = cpuid(0x80000008, 0).a & 0xff;
	if (c->virt == VIRT_NONE && (f.c & (1u << 5)))
		probe_vmx(c);
	if (c->virt == VIRT_NONE)
		c->virt_off = "the CPU has neither VT-x nor AMD-V";
	caps = *c;
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

void caps_print(struct sink *out, const struct caps *c, const char *iommu)
{
	sink_printf(out, "caps: cpu        %s family %#x model %#x stepping %u \"%s\"\n",
		c->vendor, c->family, c->model, c->stepping, c->brand);
	if (c->virt == VIRT_SVM) {
		sink_printf(out, "caps: virt       AMD-V (SVM rev %u)%s%s\n", c->svm_rev,
			c->virt_off ? ", unusable: " : "", c->virt_off ? c->virt_off : "");
		sink_printf(out, "caps: npt        %s\n", yn(c->npt));
		sink_printf(out, "caps: asids      %u\n", c->asids);
		sink_printf(out, "caps: nrip-save  %s\n", yn(c->nrip_save));
		sink_printf(out, "caps: decode     %s\n", yn(c->decode_assists));
		sink_printf(out, "caps: flush-asid %s\n", yn(c->flush_by_asid));
		sink_printf(out, "caps: vmcb-clean %s\n", yn(c->vmcb_clean));
		sink_printf(out, "caps: avic       %s\n", yn(c->avic));
		sink_printf(out, "caps: vgif       %s\n", yn(c->vgif));
	} else if (c->virt == VIRT_VMX) {
		sink_printf(out, "caps: virt       Intel VT-x (VMX, VMCS rev %#x)%s%s\n", c->vmcs_rev,
			c->virt_off ? ", unusable: " : "", c->virt_off ? c->virt_off : "");
		sink_printf(out, "caps: ept        %s%s%s%s\n", yn(c->ept), c->ept_2m ? ", 2M" : "",
			c->ept_1g ? ", 1G" : "", c->ept_ad ? ", A/D" : "");
		sink_printf(out, "caps: vpid       %s\n", yn(c->vpid));
		sink_printf(out, "caps: unrestricted %s\n", yn(c->unrestricted));
		sink_printf(out, "caps: preempt-timer %s\n", yn(c->preempt_timer));
		sink_printf(out, "caps: apicv      %s%s\n", yn(c->apicv),
			c->posted_intr ? ", posted interrupts" : "");
		sink_printf(out, "caps: invept-single %s, invvpid-single %s\n",
			yn(c->invept_single), yn(c->invvpid_single));
	} else {
		sink_printf(out, "caps: virt       none (%s)\n", c->virt_off);
	}
	sink_printf(out, "caps: x2apic     %s\n", yn(c->x2apic));
	sink_printf(out, "caps: 1g-pages   %s\n", yn(c->gbpages));
	sink_printf(out, "caps: nx %s, smep %s, smap %s, invariant-tsc %s, phys-bits %u\n",
		yn(c->nx), yn(c->smep), yn(c->smap), yn(c->invariant_tsc), c->phys_bits);
	sink_printf(out, "caps: iommu      %s\n", iommu);
}
