/* Partitions and their vCPUs: fixed guest RAM behind nested page tables,
 * emulated devices, and the state the scheduler and shell read.
 *
 * Locking: each partition has one lock (part_lock), held by whichever
 * CPU handles an exit of one of its vCPUs, polls its devices, or changes
 * its state (start, stop, pause); it is dropped only while a vCPU is in
 * guest mode. So the device models, the local APICs and the vCPU states
 * of a partition are touched by one CPU at a time. The shell's readers
 * (list, info, stats) read counters without it. */
#ifndef VATRA_VMM_PARTITION_H
#define VATRA_VMM_PARTITION_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/regs.h"
#include "vmm/exit.h"
#include "vmm/tlbtag.h"
#include "vmm/dev/vuart.h"
#include "vmm/dev/testdev.h"
#include "vmm/platform.h"
#include "arch/x86/paging.h"
#include "mgmt/config.h"
#include "lib/spinlock.h"

#define PART_MAX  CFG_MAX_PARTS
#define VCPU_MAX  8

enum part_state { PART_EMPTY, PART_RUNNING, PART_STOPPED };
enum vcpu_state { VCPU_RUNNABLE, VCPU_HALTED, VCPU_WAIT_SIPI, VCPU_STOPPED };

struct partition;
struct cpu;

struct vcpu {
	struct partition *part;
	unsigned id;
	enum vcpu_state state;
	struct guest_regs regs;
	void *arch;                  /* the vendor's per-vCPU state */
	struct tlbtag tag;           /* ASID or VPID */
	int pending_irq;             /* vector to inject, -1 = none */
	int sipi_vector;             /* a startup IPI arrived while WAIT_SIPI, -1 = none */
	struct cpu *pcpu;            /* the physical CPU it is pinned to */
	volatile bool in_slice;      /* its CPU is running it or handling its exits */
	/* scheduling (vmm/sched.c) */
	uint64_t vruntime;           /* run time scaled by 1/weight */
	uint64_t period_start, period_used;   /* for the cap */
	bool yield;                  /* give the CPU to the next vCPU */
	uint64_t slice_end;          /* TSC value at which this slice ends */
	struct vlapic lapic;
	uint64_t dr[4];              /* DR0-3 as the guest last wrote them */
	uint64_t tsc_aux;
	uint8_t fpu[512] __attribute__((aligned(16)));   /* FXSAVE area */
	bool fpu_valid;
	/* statistics */
	uint64_t exits[EXIT_NREASONS];
	uint64_t exits_total;
	uint64_t run_cycles;         /* TSC cycles spent in the guest and its exits */
};

struct partition {
	unsigned id;
	const struct cfg_part *cfg;
	enum part_state state;
	int status;                  /* exit status once stopped */
	char stop_reason[128];
	uint64_t ram_hpa;            /* host-physical base of guest RAM */
	uint64_t ram_size;
	uint8_t *ram;                /* guest RAM through the direct map */
	struct pt gpt;               /* guest-physical -> host-physical */
	struct pt_env gpt_env;       /* its allocator, counting gpt_pages */
	uint64_t gpt_pages;
	bool gpt_ready;
	unsigned nvcpus;
	struct vcpu vcpus[VCPU_MAX];
	struct vuart uart;
	struct testdev testdev;
	struct platform plat;
	bool restart;                /* the guest asked for a reset: start again */
	bool teardown;               /* stopped; memory freed once no vCPU is in a slice */
	unsigned starts;             /* times started, resets included */
	bool paused;                 /* the operator stopped its vCPUs for now */
	uint64_t start_tsc, stop_tsc;
	uint64_t entry_tsc;          /* first entry into the guest, 0 = not yet */
};

extern struct partition partitions[PART_MAX];
extern unsigned npartitions;

void part_lock(struct partition *p);
void part_unlock(struct partition *p);
/* Frees what a stopped partition held once none of its vCPUs is in a
 * slice; true when nothing is left to free. Lock held. */
bool part_reap(struct partition *p);

/* Whether the files a partition names were read from the ESP: 0, or
 * -ENOENT with the first missing one in err. */
int part_check_files(const struct cfg_part *c, char *err, size_t errlen);
/* Reserves the RAM of partition id for good (done for every valid
 * partition before any starts); 0, or -ENOMEM with why in err. */
int part_reserve(unsigned id, const struct cfg_part *c, char *err, size_t errlen);
/* Creates and loads partition id from its config section; on failure the
 * partition stays PART_STOPPED with stop_reason saying why, and nothing
 * else is affected. Lock held (it waits for an earlier run to be reaped). */
int part_start(struct partition *p, unsigned id, const struct cfg_part *c);
/* Stops a partition: its vCPUs never run again; its tables and vCPU state
 * are released once no CPU is in one of its slices (its RAM stays
 * reserved, and is zeroed before the next start). status is reported as
 * the exit status. Lock held. */
void part_stop(struct partition *p, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The guest reset its machine: stop now, start again from the scheduler. */
void part_reset(struct partition *p);
struct partition *part_find(const char *name);
const char *part_name(const struct partition *p);

/* Guest memory by guest-physical address: a host pointer to len bytes of
 * RAM, or NULL when any of it lies outside RAM. */
void *gpa_ptr(struct partition *p, uint64_t gpa, uint64_t len);
/* Reads/writes guest memory by guest linear address through the guest's
 * page tables; 0 or -EFAULT. */
int gla_read(struct vcpu *v, uint64_t gla, void *buf, unsigned len);
int gla_write(struct vcpu *v, uint64_t gla, const void *buf, unsigned len);
int gla_to_gpa(struct vcpu *v, uint64_t gla, uint64_t *gpa);

/* Console output from the guest (UART or hypercall). */
void part_console_putc(struct partition *p, uint8_t c);

#endif
