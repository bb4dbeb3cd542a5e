/* The VMM: picks the vendor table, turns it on on every CPU and starts the
 * configured partitions (scheduling is vmm/sched.c). */
#ifndef VATRA_VMM_VMM_H
#define VATRA_VMM_VMM_H

/* Chooses AMD-V or VT-x from CPUID and turns it on for the boot CPU; on
 * failure partitions are refused later with the reason, and the
 * hypervisor runs on. */
void vmm_init(void);
/* Turns it on for the calling application processor: 0 or -errno. */
int vmm_cpu_init(void);
/* Starts every autostart partition of vatra.cfg. */
void vmm_start_partitions(void);
/* Prints exit statistics (all partitions when name is NULL). */
void vmm_stats(const char *name);

#endif
