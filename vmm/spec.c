/* The guest's speculation controls, switched with the vCPU (vmm/spec.h).
 * Every access is intercepted: the MSRs stay in the MSR permission maps'
 * default, so a guest can set only the bits it is offered, and its
 * values are loaded right before guest mode and the host's put back
 * right after, so they are what the CPU runs the guest with and never
 * what it runs the hypervisor with. */
#include "vmm/spec.h"
#include "vmm/vcpu.h"
#include "vmm/vmm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/caps.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "lib/log.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

enum { CH_SPEC = 1, CH_VIRT = 2, CH_LS_CFG = 4 };

static EXIT_DATA struct specctrl_host host;
static uint64_t arch_cap;       /* the guest's IA32_ARCH_CAPABILITIES */

const struct specctrl_host *spec_host(void)
{
	return &host;
}

static void read_ls_cfg(void *arg)
{
	*(uint64_t *)arg = rdmsr(MSR_AMD_LS_CFG);
}

void spec_init(void)
{
	const struct caps *c = caps_get();
	bool amd = vmm_guest_vendor() == CPU_VENDOR_AMD;
	uint32_t l7d = cpuid(0, 0).a >= 7 ? cpuid(7, 0).d : 0;
	uint32_t x8b = cpuid(0x80000000, 0).a >= 0x80000008 ? cpuid(0x80000008, 0).b : 0;
	uint64_t ls;
	/* LS_CFG is model-specific: read it the careful way. */
	bool ls_ok = amd && c->family >= 0x15 && c->family <= 0x17 && !fault_try(read_ls_cfg, &ls);

	specctrl_probe(&host, amd, c->family, l7d, x8b, ls_ok);
	if (host.arch_cap)
		arch_cap = specctrl_arch_cap(rdmsr(MSR_ARCH_CAP));
	pr_info("vmm: guest speculation controls: SPEC_CTRL %#llx, IBPB %s, VIRT_SPEC_CTRL %s",
		(unsigned long long)host.spec_ctrl, host.ibpb ? "yes" : "no",
		host.ssbd == SPEC_SSBD_SPEC_CTRL ? "on SPEC_CTRL.SSBD" :
		host.ssbd == SPEC_SSBD_VIRT_SPEC_CTRL ? "on the host's VIRT_SPEC_CTRL" :
		host.ssbd == SPEC_SSBD_LS_CFG ? "on LS_CFG" : "no");
	if (host.arch_cap || host.flush_l1d)
		pr_info("vmm: guest ARCH_CAPABILITIES %s%#llx, L1D flush %s",
			host.arch_cap ? "" : "none ", (unsigned long long)arch_cap,
			host.flush_l1d ? "yes" : "no");
}

/* This CPU's own values, read once: the hypervisor never changes them. */
void spec_cpu_init(void)
{
	struct cpu *c = this_cpu();
	struct specctrl_regs g;

	c->spec_host = (struct specctrl_regs){ 0 };
	if (host.spec_ctrl)
		c->spec_host.spec_ctrl = rdmsr(MSR_SPEC_CTRL);
	if (host.ssbd == SPEC_SSBD_VIRT_SPEC_CTRL)
		c->spec_host.virt_spec_ctrl = rdmsr(MSR_VIRT_SPEC_CTRL);
	if (host.ssbd == SPEC_SSBD_LS_CFG)
		c->spec_host.ls_cfg = rdmsr(MSR_AMD_LS_CFG);
	specctrl_guest_regs(&host, &c->spec_host, 0, 0, &g);
	c->spec_reset_differs = g.spec_ctrl != c->spec_host.spec_ctrl ||
				g.virt_spec_ctrl != c->spec_host.virt_spec_ctrl ||
				g.ls_cfg != c->spec_host.ls_cfg;
}

EXIT_PATH unsigned spec_enter_slow(struct vcpu *v)
{
	struct cpu *c = this_cpu();
	struct specctrl_regs g;
	unsigned ch = 0;

	specctrl_guest_regs(&host, &c->spec_host, v->spec_ctrl, v->virt_spec_ctrl, &g);
	if (g.spec_ctrl != c->spec_host.spec_ctrl) {
		wrmsr(MSR_SPEC_CTRL, g.spec_ctrl);
		ch |= CH_SPEC;
	}
	if (g.virt_spec_ctrl != c->spec_host.virt_spec_ctrl) {
		wrmsr(MSR_VIRT_SPEC_CTRL, g.virt_spec_ctrl);
		ch |= CH_VIRT;
	}
	if (g.ls_cfg != c->spec_host.ls_cfg) {
		wrmsr(MSR_AMD_LS_CFG, g.ls_cfg);
		ch |= CH_LS_CFG;
	}
	return ch;
}

EXIT_PATH void spec_exit(unsigned ch)
{
	struct cpu *c = this_cpu();

	if (ch & CH_SPEC)
		wrmsr(MSR_SPEC_CTRL, c->spec_host.spec_ctrl);
	if (ch & CH_VIRT)
		wrmsr(MSR_VIRT_SPEC_CTRL, c->spec_host.virt_spec_ctrl);
	if (ch & CH_LS_CFG)
		wrmsr(MSR_AMD_LS_CFG, c->spec_host.ls_cfg);
}

int spec_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_SPEC_CTRL:
		if (!host.spec_ctrl)
			return -EINVAL;
		*val = v->spec_ctrl;
		return 0;
	case MSR_PRED_CMD:
	case MSR_FLUSH_CMD:
		return -EINVAL;          /* write-only */
	case MSR_ARCH_CAP:
		if (!host.arch_cap)
			return -EINVAL;
		*val = arch_cap;
		return 0;
	case MSR_VIRT_SPEC_CTRL:
		if (!host.virt)
			return -EINVAL;
		*val = v->virt_spec_ctrl;
		return 0;
	default:
		return -ENOENT;
	}
}

int spec_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_SPEC_CTRL:
		if (!specctrl_spec_ctrl_ok(&host, val))
			return -EINVAL;
		v->spec_ctrl = val;      /* in the hardware from the next entry */
		return 0;
	case MSR_PRED_CMD:
		if (!specctrl_pred_cmd_ok(&host, val))
			return -EINVAL;
		/* The barrier the guest asked for, on the CPU it runs on:
		 * nothing it ran before steers its indirect branches after. */
		if (val & PRED_CMD_IBPB)
			wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB);
		return 0;
	case MSR_FLUSH_CMD:
		if (!specctrl_flush_ok(&host, val))
			return -EINVAL;
		/* Writes back and invalidates the L1 data cache, for real. */
		if (val & FLUSH_CMD_L1D)
			wrmsr(MSR_FLUSH_CMD, FLUSH_CMD_L1D);
		return 0;
	case MSR_ARCH_CAP:
		return -EINVAL;          /* read-only */
	case MSR_VIRT_SPEC_CTRL:
		if (!specctrl_virt_ok(&host, val))
			return -EINVAL;
		v->virt_spec_ctrl = val;
		return 0;
	default:
		return -ENOENT;
	}
}
