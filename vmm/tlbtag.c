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

bool tlbtag_assign(struct tlbtag_cpu *c, int cpu, struct tlbtag *t)
{
	bool flush = false;

	if (!c->max) {
		/* No tags to spare: share tag 1 and flush on every entry. */
		t->tag = 1;
		t->gen = c->gen;
		t->cpu = cpu;
		return true;
	}
	if (t->cpu == cpu && t->gen == c->gen && t->tag)
		return false;
	if (c->next > c->max) {
		/* Out of tags: every tag handed out so far is now stale. */
		c->gen++;
		c->next = 1;
		flush = true;
	}
	t->tag = c->next++;
	t->gen = c->gen;
	t->cpu = cpu;
	return flush;
}

void tlbtag_invalidate(struct tlbtag *t)
{
	t->gen = 0;
}
