/* The per-CPU scheduler. Every vCPU is pinned to one physical CPU. A CPU
 * with several vCPUs runs the runnable one with the least weighted run
 * time (run time * 256 / weight, as a fair-share scheduler does) for a
 * quantum of SCHED_SLICE_US; a partition's cap limits each of its vCPUs to
 * cap% of every SCHED_PERIOD_US. A CPU with nothing to run sleeps in HLT
 * until the next virtual timer or a kick IPI from another CPU. */
#include "vmm/sched.h"
#include "vmm/vcpu.h"
#include "vmm/fpu.h"
#include "vmm/vmm.h"
#include "vmm/vmm_ops.h"
#include "vmm/loader/loader.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "arch/x86/apic.h"
#include "arch/x86/smp.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"

static struct spinlock place_lock;

unsigned sched_weight(const struct vcpu *v)
{
	unsigned w = v->part->cfg.weight;

	return w ? w : PART_WEIGHT_DEFAULT;
}

static bool usable(const struct cpu *c)
{
	return c->state == CPU_ONLINE && c->virt_on;
}

int sched_place(struct partition *p, char *err, size_t errlen)
{
	const struct part_config *cfg = &p->cfg;
	unsigned online = 0;

	for (unsigned i = 0; i < cpu_count; i++)
		online += usable(&cpu_table[i]);
	spin_lock(&place_lock);
	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct cpu *c = NULL;

		if (cfg->ncpus) {
			unsigned n = cfg->cpus[i % cfg->ncpus];
			if (n >= cpu_count || !usable(&cpu_table[n])) {
				snprintf(err, errlen, "cpus = names CPU %u, which is not online "
					 "(CPUs 0-%u are)", n, cpu_count - 1);
				goto fail;
			}
			c = &cpu_table[n];
			if (c->dedicated || (cfg->dedicated && c->nvcpus)) {
				snprintf(err, errlen, "CPU %u is %s", n, c->dedicated ?
					 "dedicated to another partition" :
					 "already running other vCPUs, so it cannot be dedicated");
				goto fail;
			}
		} else {
			/* Least loaded, the boot CPU (which also runs the shell)
			 * last among equals. */
			unsigned best = ~0u;
			for (unsigned n = 0; n < cpu_count; n++) {
				struct cpu *k = &cpu_table[n];
				unsigned score = k->nvcpus * 2 + (n == 0);
				if (!usable(k) || k->dedicated || score >= best)
					continue;
				best = score;
				c = k;
			}
			if (!c) {
				snprintf(err, errlen, "every CPU is dedicated to other partitions");
				goto fail;
			}
		}
		p->vcpus[i].pcpu = c;
		c->nvcpus++;
		if (cfg->dedicated)
			c->dedicated = true;
	}
	spin_unlock(&place_lock);
	return 0;
fail:
	spin_unlock(&place_lock);
	sched_unplace(p);
	return -EBUSY;
}

void sched_unplace(struct partition *p)
{
	spin_lock(&place_lock);
	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct cpu *c = p->vcpus[i].pcpu;
		if (!c)
			continue;
		if (c->nvcpus)
			c->nvcpus--;
		if (p->cfg.dedicated)
			c->dedicated = false;
		p->vcpus[i].pcpu = NULL;
	}
	spin_unlock(&place_lock);
}

const char *sched_cpus_str(const struct partition *p)
{
	static char buf[4 * VCPU_MAX + 1];
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->nvcpus && n + 5 < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u", i ? "," : "",
				      p->vcpus[i].pcpu ? p->vcpus[i].pcpu->id : 0);
	return buf;
}

void vcpu_kick(struct vcpu *v)
{
	struct cpu *c = v->pcpu;

	if (!c)
		return;
	/* Another vCPU holds that CPU: end its slice at its next exit, so
	 * the scheduler looks at v (which may have been woken). */
	if (c->current != v)
		c->resched = true;
	cpu_kick(c);
}

void sched_kick_partition(struct partition *p)
{
	for (unsigned i = 0; i < p->nvcpus; i++)
		vcpu_kick(&p->vcpus[i]);
}

static uint64_t us_to_tsc(uint64_t us)
{
	return hv.tsc_khz ? hv.tsc_khz * us / 1000 : us * 2000;
}

/* Nothing to run: sleep until the next virtual timer, a kick, or 10 ms
 * (the boot CPU polls the shell), woken by this CPU's LAPIC timer. */
static void idle(struct cpu *c, uint64_t deadline)
{
	uint64_t now = rdtsc(), max = now + us_to_tsc(10000);

	if (!apic_ready()) {
		cpu_relax();
		return;
	}
	apic_timer_at(deadline && deadline < max ? deadline : max);
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	apic_timer_at(0);
	c->idle_cycles += rdtsc() - now;
}

/* A halted or waiting vCPU that can go on. Lock held. */
static void wake(struct vcpu *v)
{
	if (v->state == VCPU_WAIT_SIPI && v->sipi_vector >= 0) {
		struct boot_state bs;
		memset(&bs, 0, sizeof(bs));
		bs.mode = BOOT_REAL16;
		bs.cs_sel = (uint16_t)(v->sipi_vector << 8);
		v->sipi_vector = -1;
		if (vcpu_reset(v, &bs)) {
			vcpu_fail(v, "could not be started by its startup IPI");
			return;
		}
		v->state = VCPU_RUNNABLE;
		pr_debug("partition %s: vCPU %u started at %04x:0000", part_name(v->part), v->id,
			 bs.cs_sel);
	}
	/* An NMI ends HLT whatever IF says (SDM Vol. 2A, HLT). */
	if (v->state == VCPU_HALTED &&
	    (v->nmi_pending || ((v->regs.rflags & RFLAGS_IF) &&
				(v->pending_irq >= 0 || platform_pending(v) >= 0))))
		v->state = VCPU_RUNNABLE;
}

static bool has_vcpu_on(const struct partition *p, const struct cpu *c)
{
	for (unsigned i = 0; i < p->nvcpus; i++)
		if (p->vcpus[i].pcpu == c)
			return true;
	return false;
}

/* The cap: how much of this period v may still run; 0 = throttled until
 * *until. No cap: the whole quantum. */
static uint64_t budget(struct vcpu *v, uint64_t now, uint64_t quantum, uint64_t *until)
{
	unsigned cap = v->part->cfg.cap;
	uint64_t period = us_to_tsc(SCHED_PERIOD_US), allowed;

	if (!cap)
		return quantum;
	allowed = period / 100 * cap;
	if (now - v->period_start >= period) {
		/* A slice that ran past the budget (its CPU was taken away
		 * under it, or an exit took long) is paid back from the next
		 * period, at most one period's worth: over time the cap holds. */
		uint64_t over = v->period_used > allowed ? v->period_used - allowed : 0;

		v->period_start = now;
		v->period_used = over < allowed ? over : allowed;
	}
	if (v->period_used >= allowed) {
		*until = v->period_start + period;
		return 0;
	}
	return allowed - v->period_used < quantum ? allowed - v->period_used : quantum;
}

/* Boot CPU only: restarts, reaping, and what happens when everything
 * has stopped. */
static void housekeeping(bool *stopped_reported)
{
	bool running = false;
	uint64_t last = 0;
	int st = 0;

	for (unsigned i = 0; i < npartitions; i++) {
		struct partition *p = &partitions[i];
		if (p->teardown || p->restart) {
			part_lock(p);
			part_reap(p);
			if (p->restart && !p->teardown)
				part_start(p, p->id, &p->cfg);
			part_unlock(p);
		}
		if (p->state == PART_RUNNING || p->teardown)
			running = true;
		else if (p->state == PART_STOPPED && p->stop_tsc >= last) {
			last = p->stop_tsc;
			st = p->status;
		}
	}
	if (running) {
		*stopped_reported = false;
	} else if (!*stopped_reported) {
		*stopped_reported = true;
		/* Console output still in the rings goes out first. */
		while (vmm_hooks && vmm_hooks->console_drain && vmm_hooks->console_drain())
			;
		if (vmm_hooks && vmm_hooks->all_stopped)
			vmm_hooks->all_stopped(st);
	}
}

/* The earliest LAPIC timer deadline of the vCPUs on c other than v (0 =
 * none): only c runs them, so only c reads and writes their lapic_due. */
static uint64_t others_lapic_due(const struct cpu *c, const struct vcpu *v)
{
	uint64_t due = 0;

	for (unsigned i = 0; i < npartitions; i++) {
		struct partition *p = &partitions[i];

		if (p->state != PART_RUNNING)
			continue;
		for (unsigned j = 0; j < p->nvcpus; j++) {
			const struct vcpu *o = &p->vcpus[j];
			if (o != v && o->pcpu == c && o->lapic_due && (!due || o->lapic_due < due))
				due = o->lapic_due;
		}
	}
	return due;
}

void sched_loop(struct cpu *c)
{
	uint64_t quantum = us_to_tsc(SCHED_SLICE_US), vclock = 0;
	bool stopped_reported = false, pending = false;

	for (;;) {
		struct vcpu *best = NULL;
		uint64_t next = 0, now;
		unsigned best_starts = 0;

		if (c->id == 0) {
			if (vmm_hooks && vmm_hooks->boot_cpu_poll)
				vmm_hooks->boot_cpu_poll();
			pending = vmm_hooks && vmm_hooks->console_drain && vmm_hooks->console_drain();
			housekeeping(&stopped_reported);
		}
		c->resched = false;
		now = rdtsc();
		for (unsigned i = 0; i < npartitions; i++) {
			struct partition *p = &partitions[i];
			uint64_t due;

			if (p->state != PART_RUNNING || !has_vcpu_on(p, c))
				continue;
			part_lock(p);
			if (p->state != PART_RUNNING || p->paused) {
				/* Paused: it gets no credit for the pause either. */
				for (unsigned j = 0; j < p->nvcpus; j++)
					if (p->vcpus[j].pcpu == c)
						p->vcpus[j].queued = false;
				part_unlock(p);
				continue;
			}
			due = platform_poll(p);
			if (due && (!next || due < next))
				next = due;
			for (unsigned j = 0; j < p->nvcpus; j++) {
				struct vcpu *v = &p->vcpus[j];
				uint64_t until = 0;
				if (v->pcpu != c)
					continue;
				/* Its LAPIC timer is this CPU's to run. */
				if (v->lapic_touched || (v->lapic_due && now >= v->lapic_due))
					platform_lapic_poll(v);
				if (v->lapic_due && (!next || v->lapic_due < next))
					next = v->lapic_due;
				wake(v);
				if (v->state != VCPU_RUNNABLE) {
					v->queued = false;
					continue;
				}
				if (!budget(v, now, quantum, &until)) {
					v->queued = false;
					if (!next || until < next)
						next = until;
					continue;
				}
				/* Back from sleep (or new): no credit for the time
				 * asleep. One that waited its turn all along keeps
				 * its lag: a neighbour's slice that ran long (its
				 * CPU taken away under it) is made up for. */
				if (!v->queued && v->vruntime + quantum < vclock)
					v->vruntime = vclock - quantum;
				v->queued = true;
				if (!best || v->vruntime < best->vruntime) {
					best = v;
					best_starts = p->starts;
				}
			}
			part_unlock(p);
		}
		if (!best) {
			if (!pending)      /* console output waits: drain it first */
				idle(c, next);
			continue;
		}
		{
			struct partition *p = best->part;
			uint64_t until = 0, allow, t0, ran;

			part_lock(p);
			/* Between the scan and here the partition may have been
			 * restarted, with this vCPU slot pinned elsewhere. */
			if (p->state == PART_RUNNING && !p->paused && best->state == VCPU_RUNNABLE &&
			    p->starts == best_starts && best->pcpu == c &&
			    (allow = budget(best, rdtsc(), quantum, &until)) != 0) {
				uint64_t other = others_lapic_due(c, best), t = rdtsc();
				/* Back for another vCPU's LAPIC timer here. */
				if (other)
					allow = other > t + allow ? allow : other > t ? other - t : 1;
				fpu_load(c, best);
				t0 = rdtsc();
				vcpu_run_slice(best, allow);
				fpu_save(best);
				ran = rdtsc() - t0;
				best->period_used += ran;
				best->vruntime += ran * PART_WEIGHT_DEFAULT / sched_weight(best);
				if (best->vruntime > vclock)
					vclock = best->vruntime;
				c->busy_cycles += ran;
			}
			part_unlock(p);
		}
	}
}
