/* Guest paging modes (Intel SDM Vol. 3A, 4.3 32-bit, 4.4 PAE, 4.5 4- and
 * 5-level), access rights (4.6), #PF error codes (4.7) and accessed/dirty
 * flags (4.8). */
#include "vmm/gwalk.h"
#include "arch/x86/x86.h"
#include "vmm/regs.h"
#include "lib/errno.h"


#define E_P  (1ULL << 0)
#define E_RW (1ULL << 1)
#define E_US (1ULL << 2)
#define E_A  (1ULL << 5)
#define E_D  (1ULL << 6)
#define E_PS (1ULL << 7)
#define E_XD (1ULL << 63)

#define GWALK_MAX_LEVELS 5
#define GWALK_RETRIES    8

/* One walk's findings: where each entry was and what it held, and the
 * rights accumulated over the levels (SDM 4.6: R/W and U/S must be 1 in
 * every entry, XD 1 in any one forbids a fetch). */
struct walk {
	uint64_t addr[GWALK_MAX_LEVELS], val[GWALK_MAX_LEVELS];
	unsigned size, n;
	bool has_a[GWALK_MAX_LEVELS];   /* PAE PDPTEs have no accessed flag */
	bool rw, us, xd, ia32e;
	uint32_t pkey;
};

static uint64_t gwalk_bits(unsigned hi, unsigned lo)
{
	return ((hi >= 63 ? 0 : 1ULL << (hi + 1)) - 1) & ~((1ULL << lo) - 1);
}

static int gwalk_entry(struct walk *w, const struct gwalk_env *env, uint64_t addr,
		       uint64_t *e, struct gwalk_result *res)
{
	int r = env->read(env->ctx, addr, w->size, e);

	if (r) {
		res->gpa = addr;
		return -ENXIO;
	}
	w->addr[w->n] = addr;
	w->val[w->n] = *e;
	w->has_a[w->n] = true;
	w->n++;
	res->levels = w->n;
	if (*e & E_P) {
		w->rw &= !!(*e & E_RW);
		w->us &= !!(*e & E_US);
		w->xd |= w->size == 8 && (*e & E_XD);
	}
	return 0;
}

/* 32-bit paging: 10 + 10 + 12 bits; with CR4.PSE a PDE with PS = 1 maps
 * 4 MiB, its bits 20:13 holding physical bits 39:32 (PSE-36, up to
 * MAXPHYADDR or 40) and bit 21 reserved. With CR4.PSE = 0 PS is ignored
 * and the PDE points at a page table (SDM 4.3, Table 4-5). */
static int gwalk_32(const struct gwalk_req *rq, uint32_t gla, const struct gwalk_env *env,
		    struct walk *w, struct gwalk_result *res, uint64_t *pa, uint32_t *err)
{
	uint64_t e;
	int r;

	w->size = 4;
	r = gwalk_entry(w, env, (rq->cr3 & 0xfffff000) + ((gla >> 22) << 2), &e, res);
	if (r)
		return r;
	if (!(e & E_P))
		return -EFAULT;
	if ((e & E_PS) && (rq->cr4 & CR4_PSE)) {
		unsigned m = rq->maxphyaddr > 40 ? 40 : rq->maxphyaddr < 32 ? 32 : rq->maxphyaddr;
		uint64_t rsvd = (1ULL << 21) | (m < 40 ? gwalk_bits(20, 13 + (m - 32)) : 0);
		if (e & rsvd) {
			*err |= PF_RSVD;
			return -EFAULT;
		}
		*pa = (e & 0xffc00000) | ((e & 0x1fe000) << 19) | (gla & 0x3fffff);
		return 0;
	}
	r = gwalk_entry(w, env, (e & 0xfffff000) + (((gla >> 12) & 0x3ff) << 2), &e, res);
	if (r)
		return r;
	if (!(e & E_P))
		return -EFAULT;
	*pa = (e & 0xfffff000) | (gla & 0xfff);
	return 0;
}

/* PAE and 4/5-level paging: 8-byte entries, 9 bits per level. Reserved:
 * address bits from MAXPHYADDR to 51, XD without EFER.NXE, PS in a PML4E
 * or PML5E, PS in a PDPTE without 1 GiB pages, the low address bits of a
 * large page but its PAT bit; in PAE PDPTEs bits 2:1, 8:5 and 63 too (SDM
 * 4.4.2 and 4.5.5, Tables 4-8 to 4-20). */
static int gwalk_long(const struct gwalk_req *rq, uint64_t gla, const struct gwalk_env *env,
		      struct walk *w, struct gwalk_result *res, uint64_t *pa, uint32_t *err)
{
	unsigned m = rq->maxphyaddr > 52 ? 52 : rq->maxphyaddr;
	uint64_t addr_rsvd = gwalk_bits(51, m), xd_rsvd = (rq->efer & EFER_NXE) ? 0 : E_XD;
	uint64_t table, e, addrmask = gwalk_bits(m - 1, 12);
	int level, r;

	w->size = 8;
	if (w->ia32e) {
		level = (rq->cr4 & CR4_LA57) ? 5 : 4;
		table = rq->cr3 & addrmask;
	} else {
		/* CR3 points at four PDPTEs, 32-byte aligned. */
		gla &= 0xffffffff;
		r = gwalk_entry(w, env, (rq->cr3 & 0xffffffe0) + ((gla >> 30) << 3), &e, res);
		if (r)
			return r;
		w->has_a[w->n - 1] = false;
		if (!(e & E_P))
			return -EFAULT;
		if (e & (addr_rsvd | gwalk_bits(2, 1) | gwalk_bits(8, 5) | E_XD)) {
			*err |= PF_RSVD;
			return -EFAULT;
		}
		/* A PDPTE grants every right: R/W and U/S do not exist in it. */
		w->rw = w->us = true;
		level = 2;
		table = e & addrmask;
	}
	for (; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t rsvd = addr_rsvd | xd_rsvd;
		bool leaf = level == 1;

		r = gwalk_entry(w, env, table + (((gla >> shift) & 511) << 3), &e, res);
		if (r)
			return r;
		if (!(e & E_P))
			return -EFAULT;
		if (level >= 4 || (level == 3 && !rq->page1g && w->ia32e))
			rsvd |= E_PS;
		else if (level >= 2 && (e & E_PS)) {
			/* A large page: bit 12 is PAT, the rest below the
			 * page size must be zero. */
			rsvd |= gwalk_bits(shift - 1, 13);
			leaf = true;
		}
		if (e & rsvd) {
			*err |= PF_RSVD;
			return -EFAULT;
		}
		if (leaf) {
			uint64_t span = 1ULL << shift;
			*pa = (e & addrmask & ~(span - 1)) | (gla & (span - 1));
			w->pkey = (uint32_t)(e >> 59) & 15;
			return 0;
		}
		table = e & addrmask;
	}
	return -EFAULT;
}

/* The rights check of SDM 4.6.1 for a completed translation. */
static bool gwalk_allowed(const struct gwalk_req *rq, const struct walk *w, uint32_t *err)
{
	bool user = rq->cpl == 3 && !(rq->access & GWALK_IMPLICIT);
	bool write = rq->access & GWALK_WRITE, fetch = rq->access & GWALK_FETCH;
	bool wp = rq->cr0 & CR0_WP, nx = (rq->efer & EFER_NXE) && w->size == 8;

	if (fetch) {
		if (nx && w->xd)
			return false;
		if (user)
			return w->us;
		return !(w->us && (rq->cr4 & CR4_SMEP));
	}
	if (user) {
		if (!w->us || (write && !w->rw))
			return false;
	} else {
		if (w->us && (rq->cr4 & CR4_SMAP) &&
		    ((rq->access & GWALK_IMPLICIT) || !(rq->rflags & RFLAGS_AC)))
			return false;
		if (write && wp && !w->rw)
			return false;
	}
	/* Protection keys: user-mode addresses in IA-32e paging (4.6.2). */
	if (w->ia32e && w->us && (rq->cr4 & CR4_PKE)) {
		bool ad = rq->pkru >> (2 * w->pkey) & 1, wd = rq->pkru >> (2 * w->pkey + 1) & 1;
		if (ad || (write && wd && (user || wp))) {
			*err |= PF_PK;
			return false;
		}
	}
	return true;
}

/* Sets A in every entry used and D in the leaf for a write, as the CPU's
 * locked updates do (4.8); the walk starts again if an entry changed. */
static int gwalk_set_ad(const struct gwalk_req *rq, const struct walk *w,
			const struct gwalk_env *env)
{
	for (unsigned i = 0; i < w->n; i++) {
		uint64_t nv = w->val[i];
		if (w->has_a[i])
			nv |= E_A;
		if (i == w->n - 1 && (rq->access & GWALK_WRITE))
			nv |= E_D;
		if (nv != w->val[i]) {
			int r = env->update(env->ctx, w->addr[i], w->size, w->val[i], nv);
			if (r)
				return r;
		}
	}
	return 0;
}

static bool gwalk_canonical(uint64_t gla, unsigned bits)
{
	uint64_t top = gla >> (bits - 1);

	return top == 0 || top == (~0ULL >> (bits - 1));
}

int gwalk(const struct gwalk_req *rq, uint64_t gla, const struct gwalk_env *env,
	  struct gwalk_result *res)
{
	uint32_t base_err = 0;

	res->levels = 0;
	res->pf_err = 0;
	if (!(rq->cr0 & CR0_PG)) {
		res->gpa = gla & 0xffffffff;
		return 0;
	}
	if (rq->access & GWALK_WRITE)
		base_err |= PF_W;
	if (rq->cpl == 3 && !(rq->access & GWALK_IMPLICIT))
		base_err |= PF_U;
	/* I/D is reported only where a fetch can be refused (4.7). */
	if ((rq->access & GWALK_FETCH) &&
	    ((rq->cr4 & CR4_SMEP) || ((rq->cr4 & CR4_PAE) && (rq->efer & EFER_NXE))))
		base_err |= PF_I;
	for (int tries = 0; tries < GWALK_RETRIES; tries++) {
		struct walk w = { .rw = true, .us = true, .ia32e = (rq->efer & EFER_LMA) != 0 };
		uint32_t err = base_err;
		uint64_t pa = 0;
		int r;

		if (w.ia32e && !gwalk_canonical(gla, (rq->cr4 & CR4_LA57) ? 57 : 48))
			return -EINVAL;
		if (!(rq->cr4 & CR4_PAE))
			r = gwalk_32(rq, (uint32_t)gla, env, &w, res, &pa, &err);
		else
			r = gwalk_long(rq, gla, env, &w, res, &pa, &err);
		if (r == -EFAULT) {
			/* Not present: P = 0; a reserved bit: P = 1. */
			res->pf_err = err & PF_RSVD ? err | PF_P : err;
			return r;
		}
		if (r)
			return r;
		if (!gwalk_allowed(rq, &w, &err)) {
			res->pf_err = err | PF_P;
			return -EFAULT;
		}
		r = gwalk_set_ad(rq, &w, env);
		if (r == -EAGAIN)
			continue;
		if (r) {
			res->gpa = w.addr[0];
			return -ENXIO;
		}
		res->gpa = pa;
		return 0;
	}
	return -EAGAIN;
}
