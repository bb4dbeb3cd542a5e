/* TLB tags (AMD ASIDs, Intel VPIDs) handed out per physical CPU with
 * generations, as Xen does: a vCPU keeps its tag while its generation is
 * the CPU's; when the CPU runs out of tags it starts a new generation, all
 * old tags become stale at once, and the caller flushes the whole TLB.
 * Pure code. One struct tlbtag_cpu per physical CPU, touched only by that
 * CPU, so no lock. */
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

/* ntags counts tag 0, which belongs to the host: 16 ASIDs give 15 guest
 * tags. ntags < 2 means tagging is unusable (every entry then flushes). */
void tlbtag_cpu_init(struct tlbtag_cpu *c, uint32_t ntags);
void tlbtag_init(struct tlbtag *t);

/* Before entering a vCPU on CPU cpu: makes t valid there. Returns true
 * when the caller must flush every guest tag on this CPU first (a new
 * generation started, or tagging is unusable). */
bool tlbtag_assign(struct tlbtag_cpu *c, int cpu, struct tlbtag *t);

/* The vCPU's guest-physical mappings changed and the CPU cannot flush a
 * single tag: give it a fresh tag at its next entry. */
void tlbtag_invalidate(struct tlbtag *t);

#endif
