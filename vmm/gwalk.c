/* Guest paging modes (Intel SDM Vol. 3A, 4.3 32-bit, 4.4 PAE, 4.5 4-level). */
#include "vmm/gwalk.h"
#include "arch/x86/x86.h"
#include "lib/errno.h"

#define P  1ULL
#define PS (1ULL << 7)
#define ADDR 0x000ffffffffff000ULL

int gwalk(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer, uint64_t gla,
	  const struct gwalk_env *env, uint64_t *gpa)
{
	uint64_t e, table;
	int levels, r;

	if (!(cr0 & CR0_PG)) {
		*gpa = gla;
		return 0;
	}
	if (!(cr4 & CR4_PAE)) {
		/* 32-bit paging: 10 + 10 + 12 bits, 4 MiB pages with PSE. */
		gla &= 0xffffffff;
		r = env->read(env->ctx, (cr3 & 0xfffff000) + ((gla >> 22) << 2), 4, &e);
		if (r)
			return r;
		if (!(e & P))
			return -EFAULT;
		if ((e & PS) && (cr4 & CR4_PSE)) {
			/* Bits 20:13 of a 4 MiB PDE hold physical bits 39:32. */
			*gpa = (e & 0xffc00000) | ((e & 0x1fe000) << 19) | (gla & 0x3fffff);
			return 0;
		}
		r = env->read(env->ctx, (e & 0xfffff000) + (((gla >> 12) & 0x3ff) << 2), 4, &e);
		if (r)
			return r;
		if (!(e & P))
			return -EFAULT;
		*gpa = (e & 0xfffff000) | (gla & 0xfff);
		return 0;
	}
	if (efer & EFER_LMA) {
		levels = 4;
		table = cr3 & ADDR;
	} else {
		/* PAE: CR3 points at four 8-byte PDPTEs, 32-byte aligned. */
		gla &= 0xffffffff;
		r = env->read(env->ctx, (cr3 & 0xffffffe0) + ((gla >> 30) << 3), 8, &e);
		if (r)
			return r;
		if (!(e & P))
			return -EFAULT;
		levels = 2;
		table = e & ADDR;
	}
	for (int l = levels; l >= 1; l--) {
		unsigned shift = 12 + 9 * (l - 1);
		r = env->read(env->ctx, table + (((gla >> shift) & 511) << 3), 8, &e);
		if (r)
			return r;
		if (!(e & P))
			return -EFAULT;
		if (l == 1 || ((l == 2 || l == 3) && (e & PS))) {
			uint64_t span = 1ULL << shift;
			*gpa = (e & ADDR & ~(span - 1)) | (gla & (span - 1));
			return 0;
		}
		table = e & ADDR;
	}
	return -EFAULT;
}
