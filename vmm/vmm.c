/* Turning the VMM on (the boot CPU first, then each other CPU) and
 * starting the configured partitions; the scheduler is vmm/sched.c. */
#include "vmm/vmm.h"
#include "vmm/fpu.h"
#include "vmm/spec.h"
#include "vmm/vcpu.h"
#include "vmm/sched.h"
#include "arch/x86/percpu.h"
#include "vmm/vmm_ops.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "arch/x86/caps.h"
#include "arch/x86/apic.h"
#include "vmm/dev/vpm.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

EXIT_DATA const struct vmm_ops *vmm;
const struct vmm_hooks *vmm_hooks;

void vmm_set_hooks(const struct vmm_hooks *h)
{
	vmm_hooks = h;
}

void vmm_init(void)
{
	const struct caps *c = caps_get();
	const struct vmm_ops *ops = c->virt == VIRT_SVM ? &svm_ops :
				    c->virt == VIRT_VMX ? &vmx_ops : NULL;

	if (!ops) {
		hv.virt_off = c->virt_off ? c->virt_off : "no hardware virtualization";
		pr_warn("vmm: partitions cannot run: %s", hv.virt_off);
		return;
	}
	if (ops->cpu_enable()) {
		hv.virt_off = ops->refuse_reason && ops->refuse_reason() ? ops->refuse_reason() :
			      c->virt_off ? c->virt_off : "virtualization could not be turned on";
		pr_warn("vmm: partitions cannot run: %s", hv.virt_off);
		return;
	}
	vmm = ops;
	this_cpu()->virt_on = true;
	fpu_init();
	spec_init();
	spec_cpu_init();
	/* The machine's ACPI PM timer is a read-only free-running counter:
	 * guests read it directly, which is what lets a guest calibrate its
	 * TSC when exits are slow (its FADT names the same port). */
	if (hv.acpi && hv.acpi->pm_tmr && hv.acpi->pm_tmr <= 0xfffc &&
	    (hv.acpi->pm_tmr + 4 <= VPM_PM1A_EVT || hv.acpi->pm_tmr >= VPM_PM1A_CNT + 2) &&
	    (hv.acpi->pm_tmr + 4 <= 0xcf8 || hv.acpi->pm_tmr >= 0xd00)) {
		hv.pm_tmr_passthrough = (uint16_t)hv.acpi->pm_tmr;   /* opened at each start */
		pr_info("vmm: guests read the PM timer at port %#x directly", hv.pm_tmr_passthrough);
	}
	/* On, but some guests cannot run (e.g. VT-x without unrestricted
	 * guest): partitions are refused with the reason. */
	if (ops->refuse_reason && ops->refuse_reason()) {
		hv.virt_off = ops->refuse_reason();
		pr_warn("vmm: partitions cannot run: %s", hv.virt_off);
	}
}

/* From the vendor string caps_probe() read, once: CPUID and MSR exits ask
 * on every exit. Every CPU computes the same value, so a race to store it
 * is harmless. */
enum cpu_vendor vmm_guest_vendor(void)
{
	static int known = -1;
	const char *v;

	if (known >= 0)
		return (enum cpu_vendor)known;
	v = caps_get()->vendor;
	if (!strcmp(v, "GenuineIntel"))
		known = CPU_VENDOR_INTEL;
	/* Hygon's CPUs are AMD's family 17h design. */
	else if (!strcmp(v, "AuthenticAMD") || !strcmp(v, "HygonGenuine"))
		known = CPU_VENDOR_AMD;
	else
		known = CPU_VENDOR_OTHER;
	return (enum cpu_vendor)known;
}

int vmm_cpu_init(void)
{
	struct cpu *c = this_cpu();
	int r;

	if (!vmm)
		return -ENODEV;
	r = vmm->cpu_enable();
	if (r)
		return r;
	spec_cpu_init();
	c->virt_on = true;
	return 0;
}

void vmm_start_partitions(const struct part_config *parts, unsigned n)
{
	char err[128];

	if (n > PART_MAX)
		n = PART_MAX;
	/* Memory for every valid partition first, autostart or not, in the
	 * order of vatra.cfg: one that does not fit is refused (at its start)
	 * and the others keep theirs for good. */
	for (unsigned i = 0; vmm && !hv.virt_off && i < n; i++)
		if (parts[i].valid && (part_check_files(&parts[i], err, sizeof(err)) ||
				       part_reserve(i, &parts[i], err, sizeof(err))))
			pr_err("partition %s (vatra.cfg line %u): %s", parts[i].name,
			       parts[i].line, err);
	for (unsigned i = 0; i < n; i++) {
		struct partition *p = &partitions[i];
		part_lock(p);
		npartitions = i + 1;
		if (!parts[i].autostart) {
			p->id = i;
			p->cfg = parts[i];
			p->state = PART_STOPPED;
			snprintf(p->stop_reason, sizeof(p->stop_reason),
				 "not started (autostart = no)");
		} else {
			part_start(p, i, &parts[i]);
		}
		part_unlock(p);
	}
}
