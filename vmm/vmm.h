/* The VMM: picks the vendor table, turns it on on every CPU and starts the
 * configured partitions (scheduling is vmm/sched.c). */
#ifndef VATRA_VMM_VMM_H
#define VATRA_VMM_VMM_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/part_config.h"

/* What the VMM calls in its owner (boot/main.c registers them): vmm/
 * includes nothing from mgmt/ or boot/. Every hook may be NULL. */
struct vmm_hooks {
	/* A byte of partition id's console output (UART or hypercall), and
	 * the end of its output when it stops. Any CPU, partition lock held. */
	void (*console_put)(unsigned id, const char *name, uint8_t c);
	void (*console_flush)(unsigned id, const char *name);
	/* The boot CPU, once per pass of its scheduler loop: the shell. */
	void (*boot_cpu_poll)(void);
	/* The boot CPU, once per pass: writes some of the partitions'
	 * buffered console output; true while more is pending (the loop then
	 * does not sleep). */
	bool (*console_drain)(void);
	/* Every partition has stopped; status is the last one's. The boot
	 * CPU, from its scheduler loop; may not return (power off). */
	void (*all_stopped)(int status);
};

/* Registers the hooks (h must stay valid); before any partition starts. */
void vmm_set_hooks(const struct vmm_hooks *h);
extern const struct vmm_hooks *vmm_hooks;

/* Chooses AMD-V or VT-x from CPUID and turns it on for the boot CPU; on
 * failure partitions are refused later with the reason, and the
 * hypervisor runs on. */
void vmm_init(void);
/* Turns it on for the calling application processor: 0 or -errno. */
int vmm_cpu_init(void);
/* Sets up partitions 0..n-1 from their settings: reserves the memory of
 * every valid one, then starts those with autostart (the others wait,
 * stopped, for `start`). n is at most PART_MAX. */
void vmm_start_partitions(const struct part_config *parts, unsigned n);
/* The CPU vendor guests see (CPUID leaf 0 is the machine's): vendor
 * policy in vmm/ asks this, not which extension is on. */
enum cpu_vendor { CPU_VENDOR_OTHER, CPU_VENDOR_INTEL, CPU_VENDOR_AMD };
enum cpu_vendor vmm_guest_vendor(void);

#endif
