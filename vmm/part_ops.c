/* Partition operations and reports for the management commands (see
 * part_ops.h). Nothing here prints to the console by itself: every reply
 * goes to the sink the caller gives. */
#include "vmm/part_ops.h"
#include "vmm/partition.h"
#include "vmm/passthru.h"
#include "vmm/sched.h"
#include "vmm/dev/vpm.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"

int part_op_find(const char *name, unsigned *id, struct sink *out)
{
	struct partition *p = name ? part_find(name) : NULL;

	if (!p) {
		sink_printf(out, "error: no partition named '%s'\n", name ? name : "");
		return -ENOENT;
	}
	*id = (unsigned)(p - partitions);
	return 0;
}

/* The partition called name, locked and running; NULL after saying why. */
static struct partition *lock_running(const char *name, struct sink *out, int *r)
{
	struct partition *p;
	unsigned id;

	*r = part_op_find(name, &id, out);
	if (*r)
		return NULL;
	p = &partitions[id];
	part_lock(p);
	if (p->state == PART_RUNNING)
		return p;
	part_unlock(p);
	sink_printf(out, "error: partition %s is not running\n", part_name(p));
	*r = -EINVAL;
	return NULL;
}

int part_op_start(const char *name, struct sink *out)
{
	struct partition *p;
	unsigned id;
	int r = part_op_find(name, &id, out);

	if (r)
		return r;
	p = &partitions[id];
	part_lock(p);
	if (p->state == PART_RUNNING) {
		part_unlock(p);
		sink_printf(out, "error: partition %s is already running\n", part_name(p));
		return -EBUSY;
	}
	r = part_start(p, id, &p->cfg);
	part_unlock(p);
	return r;
}

/* Graceful: the ACPI power button; `destroy` if the guest ignores it. */
int part_op_stop(const char *name, struct sink *out)
{
	int r;
	struct partition *p = lock_running(name, out, &r);

	if (!p)
		return r;
	vpm_power_button(&p->plat.pm);
	p->plat.dirty = true;
	sched_kick_partition(p);
	part_unlock(p);
	sink_printf(out, "partition %s: power button pressed\n", part_name(p));
	return 0;
}

int part_op_reset(const char *name, struct sink *out)
{
	int r;
	struct partition *p = lock_running(name, out, &r);

	if (!p)
		return r;
	part_reset(p);
	part_unlock(p);
	return 0;
}

int part_op_nmi(const char *name, struct sink *out)
{
	int r;
	unsigned n;
	struct partition *p = lock_running(name, out, &r);

	if (!p)
		return r;
	n = platform_nmi_button(p);
	part_unlock(p);
	if (n)
		sink_printf(out, "partition %s: NMI button pressed: %u of %u vCPU(s) took it on LINT1\n",
			    part_name(p), n, p->nvcpus);
	else
		sink_printf(out, "partition %s: NMI button pressed: LINT1 is masked on every vCPU, "
			    "nothing delivered\n", part_name(p));
	return 0;
}

int part_op_pause(const char *name, struct sink *out)
{
	int r;
	struct partition *p = lock_running(name, out, &r);

	if (!p)
		return r;
	p->paused = true;
	sched_kick_partition(p);      /* its CPUs leave its slices now */
	part_unlock(p);
	sink_printf(out, "partition %s: paused\n", part_name(p));
	return 0;
}

int part_op_resume(const char *name, struct sink *out)
{
	int r;
	struct partition *p = lock_running(name, out, &r);

	if (!p)
		return r;
	if (!p->paused) {
		part_unlock(p);
		sink_printf(out, "error: partition %s is not paused\n", part_name(p));
		return -EINVAL;
	}
	p->paused = false;
	sched_kick_partition(p);
	part_unlock(p);
	sink_printf(out, "partition %s: resumed\n", part_name(p));
	return 0;
}

int part_op_destroy(const char *name, struct sink *out)
{
	int r;
	struct partition *p = lock_running(name, out, &r);

	if (!p)
		return r;
	part_stop(p, 0, "destroyed by the operator");
	part_unlock(p);
	return 0;
}

static const char *format_name(enum part_format f)
{
	static const char *const names[] = PART_FORMAT_NAMES;

	return (unsigned)f < PART_NFORMATS ? names[f] : "?";
}

static const char *vcpu_state_name(enum vcpu_state s)
{
	return s == VCPU_RUNNABLE ? "runnable" : s == VCPU_HALTED ? "halted" :
	       s == VCPU_WAIT_SIPI ? "waiting for SIPI" : "stopped";
}

int part_op_info(const char *name, struct sink *out)
{
	const struct partition *p;
	const struct part_config *c;
	unsigned id;
	int r = part_op_find(name, &id, out);

	if (r)
		return r;
	p = &partitions[id];
	c = &p->cfg;
	sink_printf(out, "partition %s (vatra.cfg line %u)\n", c->name, c->line);
	sink_printf(out, "  state    %s%s\n", p->state == PART_RUNNING ? "running" : "stopped",
		    p->paused ? ", paused" : "");
	if (p->state != PART_RUNNING)
		sink_printf(out, "  stopped  %s (status %d)\n", p->stop_reason, p->status);
	sink_printf(out, "  kernel   %s (%s)\n", c->kernel, format_name(c->format));
	if (c->initrd[0])
		sink_printf(out, "  initrd   %s\n", c->initrd);
	if (c->cmdline[0])
		sink_printf(out, "  cmdline  %s\n", c->cmdline);
	sink_printf(out, "  memory   %llu MiB at host %#llx\n", (unsigned long long)(c->memory >> 20),
		    (unsigned long long)p->ram_hpa);
	sink_printf(out, "  vcpus    %u, starts %u\n", c->vcpus, p->starts);
	if (p->state == PART_RUNNING && hv.tsc_khz) {
		uint64_t secs = (rdtsc() - p->start_tsc) / (hv.tsc_khz * 1000);
		sink_printf(out, "  uptime   %02llu:%02llu:%02llu\n", (unsigned long long)(secs / 3600),
			    (unsigned long long)(secs / 60 % 60), (unsigned long long)(secs % 60));
	}
	for (unsigned i = 0; i < p->nvcpus; i++)
		sink_printf(out, "  vCPU %u   %s, RIP %#llx, %llu exits, %llu NMIs\n", i,
			    vcpu_state_name(p->vcpus[i].state),
			    (unsigned long long)p->vcpus[i].regs.rip,
			    (unsigned long long)vcpu_exits(&p->vcpus[i]),
			    (unsigned long long)p->vcpus[i].nmis);
	passthru_report(p, out);
	virtio_part_info(p, out);
	return 0;
}

int part_op_stats(const char *name, struct sink *out)
{
	unsigned id = 0;

	if (name && part_op_find(name, &id, out))
		return -ENOENT;
	for (unsigned i = 0; i < npartitions; i++) {
		const struct partition *p = &partitions[i];
		if (name && i != id)
			continue;
		sink_printf(out, "partition %s: %s\n", part_name(p),
			    p->state == PART_RUNNING ? "running" : p->stop_reason);
		for (unsigned j = 0; j < p->nvcpus; j++) {
			const struct vcpu *v = &p->vcpus[j];
			sink_printf(out, "  vCPU %u on CPU %u: %llu exits, %llu Mcycles run, weight %u\n",
				    j, v->pcpu ? v->pcpu->id : 0, (unsigned long long)vcpu_exits(v),
				    (unsigned long long)(v->run_cycles / 1000000), sched_weight(v));
			for (int r = 0; r < EXIT_NREASONS; r++)
				if (v->exits[r])
					sink_printf(out, "    %-14s %llu\n", exit_reason_name(r),
						    (unsigned long long)v->exits[r]);
			if (p->cfg.unmapped == PART_UNMAPPED_IGNORE)
				sink_printf(out, "    unmapped: %llu reads (all ones), %llu writes (dropped)\n",
					    (unsigned long long)v->unmapped_reads,
					    (unsigned long long)v->unmapped_writes);
		}
	}
	return 0;
}

int part_op_list(struct sink *out)
{
	sink_printf(out, "%-16s %-8s %5s %8s  %s\n", "NAME", "STATE", "VCPUS", "MEMORY", "NOTE");
	for (unsigned i = 0; i < npartitions; i++) {
		const struct partition *p = &partitions[i];
		sink_printf(out, "%-16s %-8s %5u %7lluM  %s\n", part_name(p),
			    p->state != PART_RUNNING ? "stopped" : p->paused ? "paused" : "running",
			    p->cfg.vcpus, (unsigned long long)(p->cfg.memory >> 20),
			    p->state == PART_RUNNING ? "" : p->stop_reason);
	}
	return 0;
}

int part_op_cpus(struct sink *out)
{
	for (unsigned i = 0; i < cpu_count; i++) {
		const struct cpu *c = &cpu_table[i];
		uint64_t total = c->busy_cycles + c->idle_cycles;
		char vcpus[160];
		size_t n = 0;

		vcpus[0] = '\0';
		for (unsigned j = 0; j < npartitions; j++) {
			const struct partition *p = &partitions[j];
			if (p->state != PART_RUNNING)
				continue;
			for (unsigned k = 0; k < p->nvcpus && n + 40 < sizeof(vcpus); k++)
				if (p->vcpus[k].pcpu == c)
					n += (size_t)snprintf(vcpus + n, sizeof(vcpus) - n, " %s/%u",
							      part_name(p), k);
		}
		sink_printf(out, "cpu %u: apic id %u, %s%s%s, %u vCPU(s)%s%s, busy %llu%%\n", i,
			    c->apic_id, c->state == CPU_ONLINE ? "online" : "failed",
			    i == 0 ? ", boot CPU (shell)" : "",
			    c->state == CPU_ONLINE && !c->virt_on ? ", no virtualization" : "",
			    c->nvcpus, c->dedicated ? " dedicated:" : n ? ":" : "", vcpus,
			    (unsigned long long)(total ? c->busy_cycles * 100 / total : 0));
		if (c->fail)
			sink_printf(out, "       not used: %s\n", c->fail);
	}
	if (hv.acpi && hv.acpi->ncpus > cpu_count)
		sink_printf(out, "%u more CPU(s) in the MADT did not come up\n",
			    hv.acpi->ncpus - cpu_count);
	return 0;
}

bool part_op_running(unsigned id)
{
	return id < npartitions && partitions[id].state == PART_RUNNING;
}

const char *part_op_name(unsigned id)
{
	return id < npartitions ? part_name(&partitions[id]) : "?";
}

/* The guest's UART (and the interrupt it may raise) is the partition's:
 * its vCPUs on other CPUs use it too, so under its lock. */
int part_op_console_input(unsigned id, const uint8_t *s, size_t n)
{
	struct partition *p;
	int r = 0;

	if (id >= npartitions)
		return -EINVAL;
	p = &partitions[id];
	part_lock(p);
	if (p->state == PART_RUNNING && !virtio_console_input(p, s, n))
		for (size_t i = 0; i < n; i++)
			vuart_rx(&p->uart, s[i]);
	else if (p->state != PART_RUNNING)
		r = -EINVAL;
	part_unlock(p);
	return r;
}

unsigned part_op_count(void)
{
	return npartitions;
}

bool part_op_snap(unsigned id, struct part_snap *s)
{
	const struct partition *p;

	if (id >= npartitions)
		return false;
	p = &partitions[id];
	memset(s, 0, sizeof(*s));
	s->name = part_name(p);
	s->state = p->state != PART_RUNNING ? "stopped" : p->paused ? "paused" : "running";
	s->note = p->state == PART_RUNNING ? "" : p->stop_reason;
	s->vcpus = p->cfg.vcpus;
	s->memory = p->cfg.memory;
	s->starts = p->starts;
	s->status = p->status;
	if (p->state == PART_RUNNING && hv.tsc_khz)
		s->uptime_s = (rdtsc() - p->start_tsc) / (hv.tsc_khz * 1000);
	return true;
}

/* Label values are partition names (letters, digits, '-', '_') and
 * reason names: nothing that needs escaping. */
void part_op_metrics(struct sink *out)
{
	sink_printf(out, "# HELP vatra_partition_up 1 while the partition runs (paused included).\n"
			 "# TYPE vatra_partition_up gauge\n");
	for (unsigned i = 0; i < npartitions; i++)
		sink_printf(out, "vatra_partition_up{partition=\"%s\"} %d\n", part_name(&partitions[i]),
			    partitions[i].state == PART_RUNNING);
	sink_printf(out, "# HELP vatra_partition_paused 1 while the operator has paused it.\n"
			 "# TYPE vatra_partition_paused gauge\n");
	for (unsigned i = 0; i < npartitions; i++)
		sink_printf(out, "vatra_partition_paused{partition=\"%s\"} %d\n",
			    part_name(&partitions[i]),
			    partitions[i].state == PART_RUNNING && partitions[i].paused);
	sink_printf(out, "# HELP vatra_partition_memory_bytes Guest RAM configured.\n"
			 "# TYPE vatra_partition_memory_bytes gauge\n");
	for (unsigned i = 0; i < npartitions; i++)
		sink_printf(out, "vatra_partition_memory_bytes{partition=\"%s\"} %llu\n",
			    part_name(&partitions[i]),
			    (unsigned long long)partitions[i].cfg.memory);
	sink_printf(out, "# HELP vatra_partition_vcpus Virtual CPUs configured.\n"
			 "# TYPE vatra_partition_vcpus gauge\n");
	for (unsigned i = 0; i < npartitions; i++)
		sink_printf(out, "vatra_partition_vcpus{partition=\"%s\"} %u\n",
			    part_name(&partitions[i]), partitions[i].cfg.vcpus);
	sink_printf(out, "# HELP vatra_partition_starts_total Starts, resets included.\n"
			 "# TYPE vatra_partition_starts_total counter\n");
	for (unsigned i = 0; i < npartitions; i++)
		sink_printf(out, "vatra_partition_starts_total{partition=\"%s\"} %u\n",
			    part_name(&partitions[i]), partitions[i].starts);
	sink_printf(out, "# HELP vatra_vcpu_cpu_seconds_total Time the vCPU ran in the guest.\n"
			 "# TYPE vatra_vcpu_cpu_seconds_total counter\n");
	for (unsigned i = 0; i < npartitions; i++)
		for (unsigned j = 0; j < partitions[i].nvcpus; j++) {
			uint64_t c = partitions[i].vcpus[j].run_cycles;
			uint64_t ms = hv.tsc_khz ? c / hv.tsc_khz : 0;
			sink_printf(out, "vatra_vcpu_cpu_seconds_total{partition=\"%s\",vcpu=\"%u\"} %llu.%03llu\n",
				    part_name(&partitions[i]), j, (unsigned long long)(ms / 1000),
				    (unsigned long long)(ms % 1000));
		}
	sink_printf(out, "# HELP vatra_vcpu_exits_total VM exits by reason.\n"
			 "# TYPE vatra_vcpu_exits_total counter\n");
	for (unsigned i = 0; i < npartitions; i++)
		for (unsigned j = 0; j < partitions[i].nvcpus; j++) {
			const struct vcpu *v = &partitions[i].vcpus[j];
			for (int r = 0; r < EXIT_NREASONS; r++)
				if (v->exits[r])
					sink_printf(out, "vatra_vcpu_exits_total{partition=\"%s\",vcpu=\"%u\",reason=\"%s\"} %llu\n",
						    part_name(&partitions[i]), j, exit_reason_name(r),
						    (unsigned long long)v->exits[r]);
		}
}
