/* The guest's speculation controls (policy: vmm/specctrl.h): each
 * vCPU's IA32_SPEC_CTRL and VIRT_SPEC_CTRL, in the hardware while it is
 * in guest mode and the host's values back after each exit, and its
 * IBPBs issued for real. docs/msr.md. */
#ifndef VATRA_VMM_SPEC_H
#define VATRA_VMM_SPEC_H

#include <stdint.h>
#include "vmm/specctrl.h"
#include "vmm/partition.h"
#include "arch/x86/percpu.h"

/* Probes the host's controls (once, on the boot CPU, before any guest). */
void spec_init(void);
/* Reads this CPU's own values of them (every CPU, before its first guest). */
void spec_cpu_init(void);
const struct specctrl_host *spec_host(void);

/* A guest RDMSR/WRMSR of SPEC_CTRL, PRED_CMD or VIRT_SPEC_CTRL: 0, or
 * -EINVAL (#GP); -ENOENT for any other MSR. */
int spec_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int spec_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/* Around each entry to guest mode: spec_enter loads what differs from
 * the host's values and says which registers it changed, spec_exit puts
 * those back. A guest that never wrote a control, on a CPU whose own
 * values are what a guest starts with, costs two tests. */
unsigned spec_enter_slow(struct vcpu *v);
void spec_exit(unsigned changed);

static inline unsigned spec_enter(struct vcpu *v)
{
	if (!(v->spec_ctrl | v->virt_spec_ctrl) && !this_cpu()->spec_reset_differs)
		return 0;
	return spec_enter_slow(v);
}

#endif
