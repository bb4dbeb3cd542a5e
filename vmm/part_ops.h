/* Operations on partitions by name, for the management commands (and any
 * transport over them): each looks the partition up, checks its state,
 * does the work under its lock and reports into out. An error is one
 * line "error: ..." in out and a negative code:
 *   -ENOENT  no partition of that name
 *   -EBUSY   start: it is already running
 *   -EINVAL  it is not running (or, for resume, not paused) */
#ifndef VATRA_VMM_PART_OPS_H
#define VATRA_VMM_PART_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/sink.h"

/* The index of the partition called name: 0, or -ENOENT (said in out). */
int part_op_find(const char *name, unsigned *id, struct sink *out);

/* Starts a stopped partition again from its settings; a start that fails
 * is reported in the log with the reason (and returns its code). */
int part_op_start(const char *name, struct sink *out);
/* Presses its ACPI power button: the guest shuts itself down. */
int part_op_stop(const char *name, struct sink *out);
/* Stops and starts it again, as a guest-initiated reset does. */
int part_op_reset(const char *name, struct sink *out);
/* Its vCPUs stop being scheduled until resume; its CPUs leave its slices. */
/* The partition's NMI button: LINT1 of every vCPU's LAPIC (as a PC's
 * NMI button; for a hung guest's stack dump). Says how many took it. */
int part_op_nmi(const char *name, struct sink *out);
int part_op_pause(const char *name, struct sink *out);
int part_op_resume(const char *name, struct sink *out);
/* Stops it at once (status 0, "destroyed by the operator"). */
int part_op_destroy(const char *name, struct sink *out);

/* Reports: one partition in detail; exit statistics per vCPU and reason
 * (every partition when name is NULL); the partition table; the CPUs and
 * the vCPUs placed on them. */
int part_op_info(const char *name, struct sink *out);
int part_op_stats(const char *name, struct sink *out);
int part_op_list(struct sink *out);
int part_op_cpus(struct sink *out);

/* For a console transport, by index: whether it runs, its name ("?" for
 * none), and bytes typed to its UART (-EINVAL when it is not running). */
bool part_op_running(unsigned id);
const char *part_op_name(unsigned id);
int part_op_console_input(unsigned id, const uint8_t *s, size_t n);

/* For structured transports (the network API): how many partitions
 * there are, and one as plain values (name and texts stay valid while
 * the partition table does). false for an index out of range. */
struct part_snap {
	const char *name;
	const char *state;       /* "running", "paused" or "stopped" */
	const char *note;        /* why it stopped, "" while running */
	unsigned vcpus;
	uint64_t memory;         /* bytes */
	uint64_t uptime_s;       /* while running */
	unsigned starts;
	int status;              /* exit status once stopped */
};
unsigned part_op_count(void);
bool part_op_snap(unsigned id, struct part_snap *s);

/* Every partition's counters in the Prometheus text format (0.0.4):
 * state, vCPUs, memory, exits per vCPU and reason, CPU time. */
void part_op_metrics(struct sink *out);

#endif
