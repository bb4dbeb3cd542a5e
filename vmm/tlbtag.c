/* Generation-based TLB tag allocation (see tlbtag.h). */
#include "vmm/tlbtag.h"

void tlbtag_cpu_init(struct tlbtag_cpu *c, uint32_t ntags)
{
	c->max = ntags >= 2 ? ntags - 1 : 0;
	c->next = 1;
	c->gen = 1;
}

void tlbtag_init(struct tlbtag *t)
{
	t->tag = 0;
	t->gen = 0;
	t->cpu = -1;
}

uint32_t tlbtag_limit(uint32_t hw, uint32_t limit)
{
	return limit && limit < hw ? limit : hw;
}

bool tlbtag_log_rollover(uint64_t gen)
{
	return gen >= 2 && !(gen & (gen - 1));
}

struct tlbtag_decision tlbtag_decide(const struct tlbtag_cpu *c, const struct tlbtag *t,
				     int cpu, bool dirty, bool flush_one)
{
	struct tlbtag_decision d = { .cpu = *c, .vcpu = *t, .flush = TLBTAG_FLUSH_NONE };

	if (!c->max) {
		/* No tags to spare: share tag 1 and flush on every entry. */
		d.vcpu = (struct tlbtag){ .tag = 1, .gen = c->gen, .cpu = cpu };
		d.tag = 1;
		d.flush = TLBTAG_FLUSH_ALL;
		return d;
	}
	if (t->cpu == cpu && t->gen == c->gen && t->tag) {
		d.tag = t->tag;
		if (!dirty)
			return d;
		if (flush_one) {
			d.flush = TLBTAG_FLUSH_TAG;
			return d;
		}
		/* Else a fresh tag below: it has no entries in this generation. */
	}
	if (d.cpu.next > d.cpu.max) {
		/* Out of tags: every tag handed out so far is now stale. */
		d.cpu.gen++;
		d.cpu.next = 1;
		d.flush = TLBTAG_FLUSH_ALL;
		d.rollover = true;
	}
	d.vcpu = (struct tlbtag){ .tag = d.cpu.next++, .gen = d.cpu.gen, .cpu = cpu };
	d.tag = d.vcpu.tag;
	return d;
}
