/* Guest page-table walk: translates a guest linear address to a
 * guest-physical one the way the guest's own MMU would, for fetching the
 * instruction behind an exit and for string I/O. Pure code; guest memory
 * is read through a callback. Access rights are not checked and A/D bits
 * are not set: the walk only finds where the guest's bytes are. */
#ifndef VATRA_VMM_GWALK_H
#define VATRA_VMM_GWALK_H

#include <stdint.h>

struct gwalk_env {
	/* Reads size (4 or 8) bytes at gpa; 0 or negative. */
	int (*read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
	void *ctx;
};

/* cr0/cr4/efer select the mode: no paging, 32-bit (with PSE), PAE, or
 * 4-level. 0, -EFAULT for a not-present entry, or a read error. */
int gwalk(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer, uint64_t gla,
	  const struct gwalk_env *env, uint64_t *gpa);

#endif
