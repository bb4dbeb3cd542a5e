/* Partitions and their vCPUs: fixed guest RAM behind nested page tables,
 * emulated devices, and the state the scheduler and shell read.
 *
 * Locking: each partition has one lock (part_lock), held by whichever
 * CPU polls its devices, delivers its interrupts, changes its state or a
 * vCPU's (start, stop, pause, INIT, SIPI, HLT), or handles an exit that
 * reaches a device model (port I/O, MMIO, the xAPIC page through the
 * instruction emulator). So the device models and the vCPU states of a
 * partition are touched by one CPU at a time. A vCPU's CPU drops it
 * while the vCPU is in guest mode and while it handles a private exit
 * (vmm/vcpu.c: CPUID, every MSR but the TSC's, the VERSION hypercall,
 * a port no device decodes, PCI CONFIG_ADDRESS and CONFIG_DATA of a
 * function that is not there, a read of the PM timer while it follows
 * guest time, a MOV to the vCPU's own xAPIC page), which touch only [cpu] fields of that
 * vCPU, constant ([start]) facts, its own LAPIC under that LAPIC's lock
 * (lapic_lock, below), the port decoder's lock-free question
 * (devreg_pio_unclaimed: a sequence count the decoder's changes, made
 * under the lock, move around themselves), and CONFIG_ADDRESS, one
 * atomic load or store (vmm/dev/vpci.c), with the virtual PCI bus's table
 * of functions, which is [start]; it does
 * so only when the last locked entry left no interrupt or NMI pending,
 * and goes back to the lock for a due timer, a kick, an interrupt its
 * LAPIC now has to deliver, or a device another CPU touched. Whoever
 * changes what a vCPU's CPU reads unlocked (p->state, p->paused,
 * v->state, a pending interrupt) does it under the lock and then kicks
 * that CPU (vcpu_kick): with its interrupts off the kick waits, and the
 * vCPU's next entry exits at once into the locked path.
 * Lock order: part_lock, then at most one vCPU's lapic_lock (then the
 * console, log and memory locks, lib/spinlock.h). A LAPIC's IPIs and EOI
 * broadcasts are carried out after its lock is dropped, under part_lock.
 * The shell's readers (list, info, stats) read counters without locks.
 */
#ifndef VATRA_VMM_PARTITION_H
#define VATRA_VMM_PARTITION_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/regs.h"
#include "vmm/exit.h"
#include "vmm/decode.h"
#include "vmm/tlbtag.h"
#include "vmm/dev/vuart.h"
#include "vmm/dev/testdev.h"
#include "vmm/platform.h"
#include "vmm/virtio.h"
#include "vmm/part_config.h"
#include "vmm/mtrr.h"
#include "arch/x86/paging.h"
#include "lib/spinlock.h"

enum part_state { PART_EMPTY, PART_RUNNING, PART_STOPPED };
enum vcpu_state { VCPU_RUNNABLE, VCPU_HALTED, VCPU_WAIT_SIPI, VCPU_STOPPED };

struct partition;
struct cpu;

/* An IPI or EOI broadcast a vCPU's LAPIC sent, waiting to be carried out
 * once its LAPIC lock is dropped (vmm/platform.c). */
struct lapic_out {
	bool ipi, logical, eoi;
	uint8_t shorthand, mode, vector, eoi_vector;
	uint32_t dest;
};

/* Lock tags: [part] the partition's lock (part_lock); [place] the vCPU
 * placement lock in vmm/sched.c; [start] written under [part] by
 * part_start and constant for the run; [cpu] only the vCPU's own CPU, in
 * a slice (so also under [part]). Fields marked "read unlocked" are read
 * by the shell's reports without the lock: a torn value only misprints. */
struct vcpu {
	struct partition *part;      /* [start] */
	unsigned id;                 /* [start] */
	enum vcpu_state state;       /* [part]; a change by another CPU comes with a kick */
	/* [cpu] while its partition runs (private exits change them without
	 * [part]); [part] while it is out of a slice (start, reset) */
	struct guest_regs regs;
	void *arch;                  /* the vendor's per-vCPU state: as regs */
	struct tlbtag tag;           /* [cpu] ASID or VPID */
	int pending_irq;             /* [part] vector to inject, -1 = none */
	bool nmi_pending;            /* [part] an NMI waits for delivery (held while one is handled) */
	uint64_t nmis;               /* [part] NMIs delivered into the guest */
	int sipi_vector;             /* [part] a startup IPI arrived while WAIT_SIPI, -1 = none */
	struct cpu *pcpu;            /* [place] the physical CPU it is pinned to; read under [part] */
	volatile bool in_slice;      /* [cpu] its CPU is running it or handling its exits;
				      * read unlocked by part_reap */
	/* [cpu] odd while the vCPU is in guest mode (one more at each entry
	 * and each exit); read unlocked by part_gpt_sync */
	volatile uint64_t guest_seq;
	/* scheduling (vmm/sched.c), all [cpu] */
	uint64_t vruntime;           /* run time scaled by 1/weight */
	bool queued;                 /* runnable since the scheduler last found it not: keeps its lag */
	uint64_t period_start, period_used;   /* for the cap */
	bool yield;                  /* give the CPU to the next vCPU */
	uint64_t slice_end;          /* TSC value at which this slice ends */
	/* The LAPIC: touched by its own CPU holding [part] or lapic_lock,
	 * by any other CPU holding both ([part] first, then lapic_lock;
	 * never two LAPIC locks at once). Its timer is run by its own CPU
	 * only (platform_lapic_poll). */
	struct vlapic lapic;
	struct spinlock lapic_lock;
	struct lapic_out lapic_out;  /* [lapic_lock] what it sent during one access */
	uint64_t lapic_due;          /* [cpu] TSC of its timer's next deadline, 0 = none */
	bool lapic_touched;          /* [cpu] an access that may move its timer since that was last run */
	/* [cpu] an access that left the timer alone may have made an
	 * interrupt deliverable (an EOI, the TPR, an IPI to itself by the ICR) */
	bool lapic_recheck;
	bool unlocked_exit;          /* [cpu] its exit is being handled without [part] */
	bool unlocked_retry;         /* [cpu] that handler did nothing: take it with [part] */
	/* [cpu] the vendor may handle an exit vcpu_exit_fast takes and
	 * enter again without returning: nothing waits for delivery and no
	 * speculation control is switched around the guest */
	bool fast_reentry;
	uint64_t dr[4];              /* [cpu] DR0-3 as the guest last wrote them */
	uint64_t tsc_aux;            /* [cpu] */
	uint64_t tsc_adjust;         /* [cpu] IA32_TSC_ADJUST: the guest's moves of its TSC */
	uint64_t mcg_status;         /* [cpu] IA32_MCG_STATUS */
	uint64_t spec_ctrl;          /* [cpu] IA32_SPEC_CTRL (vmm/spec.c) */
	uint64_t virt_spec_ctrl;     /* [cpu] AMD's VIRT_SPEC_CTRL */
	/* [cpu] CPUID answers the guest asked for, by leaf and subleaf
	 * (vmm/cpuid.c); emptied at start. Leaves whose answer follows the
	 * guest's CR4 or XCR0 are never kept. */
	struct cpuid_entry {
		uint32_t leaf, sub, r[4];
		bool valid;
	} __attribute__((aligned(32))) cpuid_cache[8];  /* [cpu] vmm/cpuid.c */
	uint64_t exits[EXIT_NREASONS];   /* [cpu], read unlocked: by reason; their sum: vcpu_exits() */
	/* [cpu] The last quick walk of a linear page (vmm/gla.c): where it
	 * started, each entry it read by guest-physical address with the
	 * value it found, and the page it reached. Used again only while
	 * every one of those entries still holds that value. */
	struct gla_walk {
		uint64_t table, page, gpa;
		uint64_t at[5], val[5];
		unsigned n;              /* entries read; 0 = nothing kept */
	} walk;
	/* [cpu] The instructions its MMIO exits decoded last (vmm/mmio.c). */
	struct x86_decode_memo decode_memo;
	/* Everything above is what an exit reads and writes (about 1.6 KiB):
	 * with the vCPU 2 KiB aligned it lies on one page (include/vatra/hotpath.h). */
	struct mtrr mtrr;            /* [cpu] the MTRRs (vmm/mtrr.c); INIT keeps them */
	/* FPU/SSE/AVX state while not in the registers (vmm/fpu.c) */
	uint8_t fpu[4096] __attribute__((aligned(64)));  /* [cpu] XSAVE (or FXSAVE) area */
	bool fpu_valid;              /* [cpu] */
	uint64_t xcr0;               /* [cpu] the guest's XCR0 */
	/* statistics: [cpu], read unlocked */
	/* Device accesses by instructions the MMIO emulator does not have,
	 * answered with #UD (vmm/mmio.c). */
	uint64_t mmio_ud;
	uint64_t run_cycles;         /* TSC cycles spent in the guest and its exits */
	uint64_t unmapped_reads, unmapped_writes;   /* unmapped = ignore: what nothing answered */
} __attribute__((aligned(2048)));

struct partition {
	/* What every exit reads comes first, with the platform's deadline and
	 * flags at the start of plat: one page with the partition page
	 * aligned (include/vatra/hotpath.h). */
	unsigned id;                 /* [start] index in partitions[] */
	enum part_state state;       /* [part], read unlocked */
	bool paused;                 /* [part] the operator stopped its vCPUs for now */
	unsigned nvcpus;             /* [start] */
	uint8_t *ram;                /* [part] guest RAM through the direct map */
	uint64_t ram_size;           /* [start] */
	struct platform plat;        /* [part] */
	struct part_config cfg;      /* [start] its settings, copied at start */
	int status;                  /* [part] exit status once stopped */
	char stop_reason[128];       /* [part], read unlocked */
	uint64_t ram_hpa;            /* [part] host-physical base of guest RAM */
	struct pt gpt;               /* [part] guest-physical -> host-physical */
	struct pt_env gpt_env;       /* [start] its allocator, counting gpt_pages */
	uint64_t gpt_pages;          /* [part] */
	bool gpt_ready;              /* [part] */
	/* [part] nested-table pages pt_unmap unlinked while vCPUs may still
	 * walk them: freed by part_gpt_sync once each has left guest mode */
	bool gpt_live;
	unsigned gpt_ndeferred;
	uint64_t gpt_deferred[32];
	uint64_t gpt_leaked;         /* [part] pages kept for good: a vCPU never left guest mode */
	struct vcpu vcpus[VCPU_MAX];
	struct vuart uart;           /* [part] */
	struct testdev testdev;      /* [part] */
	struct part_virtio virtio;   /* [part] its virtio devices */
	void *arch;                  /* [start] the vendor's per-partition state (permission maps) */
	bool restart;                /* [part] the guest asked for a reset: start again */
	bool teardown;               /* [part] stopped; freed once no vCPU is in a slice */
	unsigned starts;             /* [start] times started, resets included */
	uint64_t start_tsc, stop_tsc;   /* [part] */
	uint64_t entry_tsc;          /* [part] first entry into the guest, 0 = not yet */
} __attribute__((aligned(4096)));

extern struct partition partitions[PART_MAX];
extern unsigned npartitions;

void part_lock(struct partition *p);
void part_unlock(struct partition *p);
/* Frees what a stopped partition held once none of its vCPUs is in a
 * slice; true when nothing is left to free. Lock held. */
bool part_reap(struct partition *p);

/* After a change that removed nested mappings: every vCPU flushes its
 * translations at its next entry, each one in guest mode is kicked out
 * and waited for, and the table pages the change unlinked are freed.
 * Lock held. */
void part_gpt_sync(struct partition *p);

/* Whether the files a partition names were read from the ESP: 0, or
 * -ENOENT with the first missing one in err. */
int part_check_files(const struct part_config *c, char *err, size_t errlen);
/* Reserves the RAM of partition id for good (done for every valid
 * partition before any starts); 0, or -ENOMEM with why in err. */
int part_reserve(unsigned id, const struct part_config *c, char *err, size_t errlen);
/* Creates and loads partition id from its settings (copied into the
 * partition: c need not outlive the call); on failure the partition stays
 * PART_STOPPED with stop_reason saying why, and nothing else is affected.
 * Lock held (it waits for an earlier run to be reaped). */
int part_start(struct partition *p, unsigned id, const struct part_config *c);
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

/* A file the loader read from the ESP, or NULL when it was not read. */
struct bi_file;
const struct bi_file *part_file(const char *path);

/* Guest memory by guest-physical address: a host pointer to len bytes of
 * RAM, or NULL when any of it lies outside RAM. Inline: guest page walks
 * call it for every entry. */
static inline void *gpa_ptr(struct partition *p, uint64_t gpa, uint64_t len)
{
	if (!p->ram || gpa >= p->ram_size || len > p->ram_size - gpa)
		return NULL;
	return p->ram + gpa;
}
/* Guest memory by linear address: vmm/gla.h. */

/* Console output from the guest (UART or hypercall). */
void part_console_putc(struct partition *p, uint8_t c);

/* All of v's exits so far (counted by reason only: one add per exit). */
static inline uint64_t vcpu_exits(const struct vcpu *v)
{
	uint64_t n = 0;

	for (int r = 0; r < EXIT_NREASONS; r++)
		n += v->exits[r];
	return n;
}

#endif
