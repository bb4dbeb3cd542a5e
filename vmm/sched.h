/* Placing vCPUs on physical CPUs and the per-CPU scheduler. */
#ifndef VATRA_VMM_SCHED_H
#define VATRA_VMM_SCHED_H

#include <stddef.h>
#include "vmm/partition.h"
#include "arch/x86/percpu.h"

#define SCHED_SLICE_US   10000     /* quantum on a shared CPU */
#define SCHED_PERIOD_US  100000    /* the cap is a share of this period */

/* Pins each vCPU of p to a physical CPU: the config's cpus list, else the
 * least loaded CPU that is not dedicated. 0, or -errno with why in err. */
int sched_place(struct partition *p, char *err, size_t errlen);
/* Gives p's CPUs back (when it is reaped). */
void sched_unplace(struct partition *p);
/* "1,2" — where p's vCPUs run, for messages. */
const char *sched_cpus_str(const struct partition *p);

/* Makes the CPU of v (and of every vCPU of p) look at it again soon. */
void vcpu_kick(struct vcpu *v);
void sched_kick_partition(struct partition *p);

/* Runs the vCPUs pinned to c forever; the boot CPU also runs the shell
 * and restarts and reaps partitions. */
__attribute__((noreturn)) void sched_loop(struct cpu *c);

/* Weighted share a vCPU may take in its slice (for tests and stats). */
unsigned sched_weight(const struct vcpu *v);

#endif
