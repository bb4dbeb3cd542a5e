/* Guest linear accesses for emulated instructions (see vmm/gla.h). */
#include "vmm/gla.h"
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "vmm/fpu.h"
#include "vmm/platform.h"
#include "vmm/partition.h"
#include "arch/x86/cpu.h"
#include "arch/x86/caps.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "include/vatra/hotpath.h"

static int gla_pt_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	void *src = gpa_ptr(ctx, gpa, size);

	if (!src)
		return -EFAULT;
	*val = 0;
	memcpy(val, src, size);
	return 0;
}

/* The CPU's locked update of an entry's A/D bits. Entries are naturally
 * aligned: tables are 4 KiB aligned, PAE PDPTEs 32 bytes. */
static int gla_pt_update(void *ctx, uint64_t gpa, unsigned size, uint64_t old, uint64_t new)
{
	void *h = gpa_ptr(ctx, gpa, size);
	bool ok;

	if (!h)
		return -EFAULT;
	if (size == 4) {
		uint32_t o = (uint32_t)old;
		ok = __atomic_compare_exchange_n((uint32_t *)h, &o, (uint32_t)new, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	} else {
		ok = __atomic_compare_exchange_n((uint64_t *)h, &old, new, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
	return ok ? 0 : -EAGAIN;
}

/* CPUID 0x80000001 EDX bit 26, once. */
static bool gla_page1g(void)
{
	static int known = -1;

	if (known < 0)
		known = (cpuid(0x80000001, 0).d >> 26) & 1;
	return known;
}

/* The guest's walk of gla for an access of v's, from its paging state c;
 * update sets the A/D bits (gla_pt_update) or not (a report's). */
static int gla_gwalk(struct vcpu *v, const struct guest_ctl *c, uint64_t gla, unsigned access,
		     int (*update)(void *, uint64_t, unsigned, uint64_t, uint64_t),
		     struct gwalk_result *res)
{
	struct gwalk_env env = { gla_pt_read, update, v->part };
	/* The guest sees the host's MAXPHYADDR and 1 GiB-page bit (vmm/
	 * cpuid.c passes leaves 0x80000001 EDX and 0x80000008 through);
	 * its PKRU is live in the register during its exits (vmm/fpu.c). */
	struct gwalk_req rq = {
		.cr0 = c->cr0, .cr3 = c->cr3, .cr4 = c->cr4, .efer = c->efer,
		.rflags = v->regs.rflags, .pkru = fpu_guest_pkru(v), .cpl = c->cpl,
		.maxphyaddr = (uint8_t)(caps_get()->phys_bits ? caps_get()->phys_bits : 36),
		.page1g = gla_page1g(), .access = access,
	};

	return gwalk(&rq, gla, &env, res);
}

int gla_translate(struct vcpu *v, uint64_t gla, unsigned access, uint64_t *gpa,
		  struct gla_fault *f)
{
	struct gwalk_result res;
	struct guest_ctl c;
	int r;

	vmm->get_ctl(v, &c);
	r = gla_gwalk(v, &c, gla, access, gla_pt_update, &res);
	f->addr = gla;
	f->err = res.pf_err;
	f->gpa = res.gpa;
	switch (r) {
	case 0:
		*gpa = res.gpa;
		return 0;
	case -EFAULT:
		f->kind = GLA_PF;
		break;
	case -EINVAL:
		f->kind = GLA_GP;
		break;
	case -EAGAIN:
		f->kind = GLA_RETRY;
		break;
	default:
		f->kind = GLA_TABLE_IO;
	}
	return -EFAULT;
}

/* Byte runs that stay within one guest page, so each is one translation;
 * every page is translated before anything is copied, so a fault on the
 * second page leaves the first untouched. buf NULL only checks. */
static int gla_copy(struct vcpu *v, uint64_t gla, uint8_t *buf, unsigned len,
		    unsigned access, struct gla_fault *f)
{
	uint8_t *h[2] = { NULL, NULL };
	unsigned n[2] = { 0, 0 };
	bool none[2] = { false, false };

	if (len > 4096)
		return -EINVAL;
	for (int i = 0; i < 2 && len; i++) {
		unsigned chunk = 4096 - (unsigned)(gla & 4095);
		uint64_t gpa;

		if (chunk > len)
			chunk = len;
		if (gla_translate(v, gla, access, &gpa, f))
			return -EFAULT;
		h[i] = gpa_ptr(v->part, gpa, chunk);
		/* Nothing there, in a partition with unmapped = ignore: reads
		 * give all ones and writes are dropped, as on a PC bus. */
		if (!h[i] && v->part->cfg.unmapped == PART_UNMAPPED_IGNORE &&
		    !platform_mmio_owns(v->part, gpa) && !platform_mmio_owns(v->part, gpa + chunk - 1))
			none[i] = true;
		else if (!h[i]) {
			f->kind = GLA_NOT_RAM;
			f->gpa = gpa;
			return -EFAULT;
		}
		n[i] = chunk;
		gla += chunk;
		len -= chunk;
	}
	if (!buf)
		return 0;       /* a probe: the rights are there */
	for (int i = 0; i < 2; i++) {
		if (none[i] && (access & GWALK_WRITE))
			v->unmapped_writes++;
		else if (none[i] && n[i]) {
			memset(buf, 0xff, n[i]);
			v->unmapped_reads++;
		} else if (access & GWALK_WRITE)
			memcpy(h[i], buf, n[i]);
		else if (n[i])
			memcpy(buf, h[i], n[i]);
		buf += n[i];
	}
	return 0;
}

int gla_read(struct vcpu *v, uint64_t gla, void *buf, unsigned len, unsigned access,
	     struct gla_fault *f)
{
	return gla_copy(v, gla, buf, len, access & ~GWALK_WRITE, f);
}

int gla_write(struct vcpu *v, uint64_t gla, const void *buf, unsigned len,
	      struct gla_fault *f)
{
	return gla_copy(v, gla, (uint8_t *)buf, len, GWALK_WRITE, f);
}

/* The guest-physical address of gla in long mode (4- or 5-level paging)
 * from the entries alone: present, accessed, no address bits beyond
 * MAXPHYADDR, 1 GiB and 2 MiB leaves as the PS bits say (SDM Vol. 3A,
 * 5.5). No rights are checked and no A/D bit is set: only for bytes the
 * CPU has just fetched through these entries itself, which did both. false:
 * something else (an entry not present or not yet accessed, or outside
 * RAM), for the full walk to find out. The vCPU keeps its last walk: an
 * exit at the RIP of the one before re-reads those entries only, one per
 * level, without the work between (a CPU's paging-structure caches do
 * less: they trust their copies until an INVLPG or CR3 load, which
 * Vatra does not see). */
EXIT_PATH static bool gla_walk(struct vcpu *v, const struct guest_ctl *c, uint64_t gla,
				uint64_t *gpa)
{
	static EXIT_DATA uint64_t addr_mask;
	struct gla_walk *w = &v->walk;
	uint64_t table, page;
	int level = (c->cr4 & CR4_LA57) ? 5 : 4;
	unsigned n = 0;

	if (!addr_mask) {
		unsigned bits = caps_get()->phys_bits ? caps_get()->phys_bits : 36;
		addr_mask = ((1ULL << bits) - 1) & 0x000ffffffffff000ULL;
	}
	table = c->cr3 & addr_mask;
	page = (gla >> 12) << 1 | (level == 5);
	w->n = 0;
	for (; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint64_t at = table + ((gla >> shift) & 511) * 8;
		uint64_t *pe = gpa_ptr(v->part, at, 8);
		uint64_t e;

		if (!pe)
			return false;
		e = __atomic_load_n(pe, __ATOMIC_RELAXED);
		if ((e & 0x21) != 0x21 || (e & 0x000fffffffffffffULL & ~0xfffULL & ~addr_mask))
			return false;         /* not present, not accessed, or odd */
		if (level >= 4 && (e & 0x80))
			return false;         /* reserved: the CPU would have faulted */
		w->at[n] = at;
		w->val[n++] = e;
		if ((level == 3 || level == 2) && (e & 0x80)) {
			uint64_t size = 1ULL << shift;
			*gpa = (e & addr_mask & ~(size - 1)) | (gla & (size - 1));
			break;
		}
		table = e & addr_mask;
		*gpa = table | (gla & 0xfff);
	}
	/* Kept by CR3's whole address field, as gla_quick_gpa compares it. */
	w->table = n ? c->cr3 & ~0xfffULL & 0x000fffffffffffffULL : 0;
	w->page = page;
	w->gpa = *gpa & ~0xfffULL;
	w->n = n;
	return true;
}

/* The same page through the same entries as the last walk: the walk
 * depends on nothing but their values (and CR3, and the paging depth),
 * so it would end where it did. Every entry it read lay wholly inside
 * RAM, whose size is fixed while the partition runs. */
static inline __attribute__((always_inline)) bool gla_quick_gpa(struct vcpu *v,
								const struct guest_ctl *c,
								uint64_t gla, uint64_t *gpa)
{
	const struct gla_walk *w = &v->walk;
	const uint8_t *ram = v->part->ram;
	uint64_t size = v->part->ram_size;
	unsigned i, n = w->n;

	if (n && ram && w->table == (c->cr3 & ~0xfffULL & 0x000fffffffffffffULL) &&
	    w->page == ((gla >> 12) << 1 | !!(c->cr4 & CR4_LA57))) {
		for (i = 0; i < n; i++) {
			uint64_t at = w->at[i];

			if (at > size - 8 || *(const volatile uint64_t *)(ram + at) != w->val[i])
				break;
		}
		if (i == n) {
			*gpa = w->gpa | (gla & 0xfff);
			return true;
		}
	}
	return gla_walk(v, c, gla, gpa);
}

EXIT_PATH const uint8_t *gla_code_ptr(struct vcpu *v, const struct guest_ctl *c, unsigned *n)
{
	uint64_t gpa;
	const uint8_t *h;

	*n = 0;
	if (c->mode != MODE_LONG64 || !(c->cr0 & CR0_PG) || !gla_quick_gpa(v, c, v->regs.rip, &gpa))
		return NULL;
	*n = 4096 - (unsigned)(gpa & 4095);
	if (!(h = gpa_ptr(v->part, gpa, *n)))
		*n = 0;
	return h;
}

/* The instruction at RIP has just been fetched by the CPU (it exited on
 * it, or on its data access): in 64-bit mode its bytes are read through
 * the entries as that fetch left them; anything else, and whatever the
 * quick way cannot read, takes the full walk with a fetch's rights. */
unsigned gla_fetch(struct vcpu *v, const struct guest_ctl *ctl, uint8_t *b, unsigned max,
		   struct gla_fault *f)
{
	struct guest_ctl own;
	const struct guest_ctl *c = ctl;
	uint64_t ip, gpa;
	unsigned first, got = 0;

	if (!c) {
		vmm->get_ctl(v, &own);
		c = &own;
	}
	if (c->mode == MODE_LONG64 && (c->cr0 & CR0_PG)) {
		ip = v->regs.rip;
		while (got < max) {
			unsigned n = 4096 - (unsigned)((ip + got) & 4095);
			const uint8_t *h;

			if (n > max - got)
				n = max - got;
			if (!gla_quick_gpa(v, c, ip + got, &gpa) || !(h = gpa_ptr(v->part, gpa, n)))
				break;
			memcpy(b + got, h, n);
			got += n;
		}
		if (got == max)
			return got;
	}
	ip = vmm->seg_base(v, SEG_CS) + v->regs.rip;
	first = 4096 - (unsigned)(ip & 4095);
	if (first >= max)
		return gla_read(v, ip, b, max, GWALK_FETCH, f) ? 0 : max;
	if (gla_read(v, ip, b, first, GWALK_FETCH, f))
		return 0;
	return gla_read(v, ip + first, b + first, max - first, GWALK_FETCH, f) ? first : max;
}

void gla_raise(struct vcpu *v, const struct gla_fault *f, const char *what)
{
	switch (f->kind) {
	case GLA_PF:
		vmm->set_cr2(v, f->addr);
		vmm->inject_exception(v, 14, true, f->err);
		break;
	case GLA_GP:
		vcpu_gp(v);
		break;
	case GLA_RETRY:
		break;
	case GLA_TABLE_IO:
		vcpu_fail(v, "%s: the guest's page-table walk for %#llx reached guest-physical "
			  "%#llx, which is not RAM", what, (unsigned long long)f->addr,
			  (unsigned long long)f->gpa);
		break;
	case GLA_NOT_RAM:
		vcpu_fail(v, "%s: guest address %#llx is device memory or nothing "
			  "(guest-physical %#llx)", what, (unsigned long long)f->addr,
			  (unsigned long long)f->gpa);
		break;
	}
}

/* A report's walk sets no accessed or dirty bit. */
static int gla_pt_keep(void *ctx, uint64_t gpa, unsigned size, uint64_t old, uint64_t new)
{
	(void)ctx, (void)gpa, (void)size, (void)old, (void)new;
	return 0;
}

void gla_report_access(struct vcpu *v, uint64_t gla, unsigned access, const char *what)
{
	struct gwalk_result res;
	struct guest_ctl c;
	int r;

	vmm->get_ctl(v, &c);
	if (!(c.cr0 & CR0_PG) || !(c.efer & EFER_LMA))
		return;
	r = gla_gwalk(v, &c, gla, access, gla_pt_keep, &res);
	if (r == 0)
		pr_err("  %s %#llx, walked under the guest's paging mode (CR0 %#llx CR4 %#llx "
		       "EFER %#llx): no fault", what, (unsigned long long)gla,
		       (unsigned long long)c.cr0, (unsigned long long)c.cr4,
		       (unsigned long long)c.efer);
	else if (r == -EFAULT)
		pr_err("  %s %#llx, walked under the guest's paging mode: #PF, error %#x", what,
		       (unsigned long long)gla, res.pf_err);
	else
		pr_err("  %s %#llx, walked under the guest's paging mode: %s", what,
		       (unsigned long long)gla, r == -EINVAL ? "#GP" : "a table outside RAM");
}

/* For a vCPU that failed (a triple fault): the guest's own walk of gla,
 * entry by entry as they are in its RAM now, and where the nested tables
 * put each table page (expected: the partition's RAM at the same offset;
 * anything else means the nested tables are not what the partition's
 * start built). Long mode only; logging only. */
void gla_report(struct vcpu *v, uint64_t gla, const char *what)
{
	struct partition *p = v->part;
	struct guest_ctl c;
	uint64_t table, mask = 0x000ffffffffff000ULL;
	int level;

	vmm->get_ctl(v, &c);
	if (!(c.cr0 & CR0_PG) || !(c.efer & EFER_LMA) || !p->ram)
		return;
	level = (c.cr4 & CR4_LA57) ? 5 : 4;
	table = c.cr3 & mask;
	for (; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint64_t at = table + ((gla >> shift) & 511) * 8, hpa = 0, e;
		const uint64_t *pe = gpa_ptr(p, at, 8);
		const char *nested = "unmapped";

		if (!pt_lookup(&p->gpt, at, &hpa, NULL, NULL))
			nested = hpa == p->ram_hpa + at ? "its RAM" : "ELSEWHERE";
		if (!pe) {
			pr_err("  walk of %s %#llx: level %d entry at %#llx is outside RAM", what,
			       (unsigned long long)gla, level, (unsigned long long)at);
			return;
		}
		e = *pe;
		pr_err("  walk of %s %#llx: level %d entry at %#llx (nested: %s, %#llx) = %#llx", what,
		       (unsigned long long)gla, level, (unsigned long long)at, nested,
		       (unsigned long long)hpa, (unsigned long long)e);
		if (!(e & 1) || (level >= 2 && level <= 3 && (e & 0x80)))
			return;
		table = e & mask;
	}
}
