/* Scheduling on one CPU: every runnable vCPU gets a slice in turn; the
 * shell is polled between slices; when the last partition stops, the
 * configured on_all_stopped action runs. */
#include "vmm/vmm.h"
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "arch/x86/caps.h"
#include "arch/x86/apic.h"
#include "vmm/dev/vpm.h"
#include "mgmt/shell.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/printf.h"

const struct vmm_ops *vmm;

/* Time slice: 10 ms of TSC time, checked at exits. */
#define SLICE_US 10000

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
	/* The machine's ACPI PM timer is a read-only free-running counter:
	 * guests read it directly, which is what lets a guest calibrate its
	 * TSC when exits are slow (its FADT names the same port). */
	if (hv.acpi && hv.acpi->pm_tmr && hv.acpi->pm_tmr <= 0xfffc &&
	    (hv.acpi->pm_tmr + 4 <= VPM_PM1A_EVT || hv.acpi->pm_tmr >= VPM_PM1A_CNT + 2) &&
	    (hv.acpi->pm_tmr + 4 <= 0xcf8 || hv.acpi->pm_tmr >= 0xd00)) {
		hv.pm_tmr_passthrough = (uint16_t)hv.acpi->pm_tmr;
		ops->io_passthrough(hv.pm_tmr_passthrough, 4);
		pr_info("vmm: guests read the PM timer at port %#x directly", hv.pm_tmr_passthrough);
	}
	/* On, but some guests cannot run (e.g. VT-x without unrestricted
	 * guest): partitions are refused with the reason. */
	if (ops->refuse_reason && ops->refuse_reason()) {
		hv.virt_off = ops->refuse_reason();
		pr_warn("vmm: partitions cannot run: %s", hv.virt_off);
	}
}

void vmm_start_partitions(void)
{
	const struct vatra_config *cfg = hv.cfg;

	for (unsigned i = 0; i < cfg->nparts && i < PART_MAX; i++) {
		npartitions = i + 1;
		if (!cfg->parts[i].autostart) {
			partitions[i].id = i;
			partitions[i].cfg = &cfg->parts[i];
			partitions[i].state = PART_STOPPED;
			snprintf(partitions[i].stop_reason, sizeof(partitions[i].stop_reason),
				 "not started (autostart = no)");
			continue;
		}
		part_start(&partitions[i], i, &cfg->parts[i]);
	}
}

static bool any_running(void)
{
	for (unsigned i = 0; i < npartitions; i++)
		if (partitions[i].state == PART_RUNNING)
			return true;
	return false;
}

static int last_status(void)
{
	uint64_t last = 0;
	int st = 0;

	for (unsigned i = 0; i < npartitions; i++)
		if (partitions[i].state == PART_STOPPED && partitions[i].stop_tsc >= last) {
			last = partitions[i].stop_tsc;
			st = partitions[i].status;
		}
	return st;
}

/* FPU/SSE state belongs to the guest: the host never uses it, so it
 * only moves when another vCPU takes the CPU. */
static struct vcpu *fpu_owner;

static void fpu_switch(struct vcpu *v)
{
	if (fpu_owner == v)
		return;
	if (fpu_owner && fpu_owner->state != VCPU_STOPPED) {
		__asm__ volatile("fxsave64 %0" : "=m"(fpu_owner->fpu));
		fpu_owner->fpu_valid = true;
	}
	if (v->fpu_valid)
		__asm__ volatile("fxrstor64 %0" : : "m"(v->fpu));
	else
		__asm__ volatile("fninit");
	fpu_owner = v;
}

/* Nothing to run: sleep until the next virtual timer (or 10 ms, to poll
 * the shell), woken by the hypervisor's own LAPIC timer. */
static void idle(uint64_t deadline)
{
	uint64_t now = rdtsc(), max = now + (hv.tsc_khz ? hv.tsc_khz * 10 : 20000000);

	if (!apic_ready()) {
		cpu_relax();
		return;
	}
	apic_timer_at(deadline && deadline < max ? deadline : max);
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	apic_timer_at(0);
}

void vmm_loop(void)
{
	uint64_t slice = hv.tsc_khz ? hv.tsc_khz * SLICE_US / 1000 : 20000000;
	bool stopped_reported = false;

	for (;;) {
		uint64_t next = 0;
		bool ran = false;

		shell_poll();
		for (unsigned i = 0; i < npartitions; i++) {
			struct partition *p = &partitions[i];
			if (p->restart)
				part_start(p, p->id, p->cfg);
			if (p->state != PART_RUNNING || p->paused)
				continue;
			for (unsigned j = 0; j < p->nvcpus && p->state == PART_RUNNING; j++) {
				struct vcpu *v = &p->vcpus[j];
				uint64_t due = platform_poll(p);
				if (due && (!next || due < next))
					next = due;
				if (v->state == VCPU_HALTED && (v->regs.rflags & RFLAGS_IF) &&
				    (v->pending_irq >= 0 || platform_pending(v) >= 0))
					v->state = VCPU_RUNNABLE;
				if (v->state != VCPU_RUNNABLE)
					continue;
				fpu_switch(v);
				vcpu_run_slice(v, slice);
				if (fpu_owner == v && v->state == VCPU_STOPPED)
					fpu_owner = NULL;
				ran = true;
				shell_poll();
			}
		}
		if (any_running()) {
			stopped_reported = false;
			if (!ran)
				idle(next);
			continue;
		}
		if (!stopped_reported) {
			stopped_reported = true;
			hv_all_stopped(last_status());
		}
		idle(0);
	}
}

void vmm_stats(const char *name)
{
	bool found = false;

	for (unsigned i = 0; i < npartitions; i++) {
		struct partition *p = &partitions[i];
		if (name && strcmp(name, part_name(p)))
			continue;
		found = true;
		kprintf("partition %s: %s\n", part_name(p),
			p->state == PART_RUNNING ? "running" : p->stop_reason);
		for (unsigned j = 0; j < p->nvcpus; j++) {
			struct vcpu *v = &p->vcpus[j];
			kprintf("  vCPU %u: %llu exits, %llu Mcycles\n", j,
				(unsigned long long)v->exits_total,
				(unsigned long long)(v->run_cycles / 1000000));
			for (int r = 0; r < EXIT_NREASONS; r++)
				if (v->exits[r])
					kprintf("    %-14s %llu\n", exit_reason_name(r),
						(unsigned long long)v->exits[r]);
		}
	}
	if (name && !found)
		kprintf("error: no partition named '%s'\n", name);
}
