/* TLB tags (AMD ASIDs, Intel VPIDs) handed out per physical CPU with
 * generations, as Xen does: a vCPU keeps its tag while its generation is
 * the CPU's; when the CPU runs out of tags it starts a new generation, all
 * old tags become stale at once, and the whole TLB is flushed.
 * Pure code: tlbtag_decide() takes the CPU's and the vCPU's tag state and
 * returns both updated plus what to flush; the vendor code stores them and
 * turns the flush into TLB_CONTROL or INVVPID. One struct tlbtag_cpu per
 * physical CPU, touched only by that CPU, so no lock. */
#ifndef VATRA_VMM_TLBTAG_H
#define VATRA_VMM_TLBTAG_H

#include <stdint.h>
#include <stdbool.h>

struct tlbtag_cpu {
	uint32_t next;        /* next tag to hand out */
	uint32_t max;         /* highest usable tag (tags run 1..max) */
	uint64_t gen;         /* current generation, starts at 1 */
};

struct tlbtag {
	uint32_t tag;         /* 0 = none yet */
	uint64_t gen;
	int cpu;              /* CPU the tag belongs to, -1 = none */
};

enum tlbtag_flush {
	TLBTAG_FLUSH_NONE,    /* the tag's TLB entries are all still valid */
	TLBTAG_FLUSH_TAG,     /* flush the entries of this tag only */
	TLBTAG_FLUSH_ALL,     /* flush every guest tag on this CPU */
};

struct tlbtag_decision {
	struct tlbtag_cpu cpu;   /* the CPU's state after this entry */
	struct tlbtag vcpu;      /* the vCPU's tag state after this entry */
	uint32_t tag;            /* the tag to enter with (= vcpu.tag) */
	enum tlbtag_flush flush;
	bool rollover;           /* this entry started a new generation */
};

/* ntags counts tag 0, which belongs to the host: 16 ASIDs give 15 guest
 * tags. ntags < 2 means tagging is unusable (every entry then flushes). */
void tlbtag_cpu_init(struct tlbtag_cpu *c, uint32_t ntags);
void tlbtag_init(struct tlbtag *t);

/* How many tags to use: what the CPU has (hw), or fewer when the
 * configuration's limit (0 = none) asks for it. */
uint32_t tlbtag_limit(uint32_t hw, uint32_t limit);

/* Before entering a vCPU whose tag state is t on CPU cpu (state c).
 * dirty: the vCPU's guest-physical mappings changed since its last entry.
 * flush_one: the CPU can flush a single tag (AMD flush-by-ASID); without
 * it a dirty vCPU gets a fresh tag instead, whose TLB holds nothing yet.
 * A vCPU keeps its tag only on the same CPU in the same generation; any
 * other vCPU is reassigned the CPU's next tag, and running out starts a
 * new generation with a full flush. The caller stores .cpu and .vcpu
 * back and must enter with .tag. */
/* Whether starting generation gen is worth a log line: the 2nd, 4th,
 * 8th, ... so a CPU that rolls over all the time logs a few lines. */
bool tlbtag_log_rollover(uint64_t gen);

struct tlbtag_decision tlbtag_decide(const struct tlbtag_cpu *c, const struct tlbtag *t,
				     int cpu, bool dirty, bool flush_one);

/* Whether a vCPU whose mappings did not change keeps its tag with nothing
 * to flush: exactly the case where tlbtag_decide(c, t, cpu, false, ...)
 * returns .cpu = *c, .vcpu = *t and TLBTAG_FLUSH_NONE, so that the
 * vendor code may skip the decision on the exit path. */
static inline bool tlbtag_current(const struct tlbtag_cpu *c, const struct tlbtag *t, int cpu)
{
	return c->max && t->tag && t->cpu == cpu && t->gen == c->gen;
}

#endif
