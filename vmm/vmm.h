/* The VMM: picks the vendor table, starts the configured partitions and
 * runs their vCPUs on this CPU, round robin, with the shell in between. */
#ifndef VATRA_VMM_VMM_H
#define VATRA_VMM_VMM_H

/* Chooses AMD-V or VT-x from CPUID and turns it on; on failure partitions
 * are refused later with the reason, and the hypervisor runs on. */
void vmm_init(void);
/* Starts every autostart partition of vatra.cfg. */
void vmm_start_partitions(void);
/* The scheduler loop; never returns. */
__attribute__((noreturn)) void vmm_loop(void);
/* Prints exit statistics (all partitions when name is NULL). */
void vmm_stats(const char *name);

#endif
