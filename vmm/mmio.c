/* Guest-physical accesses outside RAM: the instruction is fetched,
 * decoded and emulated against the device model that owns the address
 * (the hardware gives no decode help on every CPU). An address no device
 * owns stops the partition (it can never reach other memory), or with
 * `unmapped = ignore` reads all ones and drops writes, as a PC bus does
 * where nothing answers, each such access counted in the vCPU's stats. */
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "vmm/decode.h"
#include "vmm/platform.h"
#include "vmm/gla.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"

struct mmio_ctx {
	struct vcpu *v;
	/* The guest-side fault of a string element, for the guest to take
	 * once the elements before it are committed. */
	struct gla_fault fault;
	bool faulted;
};

static bool ignoring(struct partition *p, uint64_t gpa, unsigned size)
{
	return p->cfg.unmapped == PART_UNMAPPED_IGNORE && !platform_mmio_owns(p, gpa) &&
	       !platform_mmio_owns(p, gpa + size - 1);
}

static int m_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct vcpu *v = ((struct mmio_ctx *)ctx)->v;

	if (v->unlocked_exit)
		return platform_lapic_mmio(v, gpa, size, false, val);
	if (ignoring(v->part, gpa, size)) {
		*val = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
		v->unmapped_reads++;
		return 0;
	}
	return platform_mmio(v, gpa, size, false, val);
}

static int m_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	struct vcpu *v = ((struct mmio_ctx *)ctx)->v;

	if (v->unlocked_exit)
		return platform_lapic_mmio(v, gpa, size, true, &val);
	if (ignoring(v->part, gpa, size)) {
		v->unmapped_writes++;
		return 0;
	}
	return platform_mmio(v, gpa, size, true, &val);
}

static int mem_read(void *ctx, uint64_t gla, unsigned size, uint64_t *val)
{
	struct mmio_ctx *m = ctx;

	*val = 0;
	if (gla_read(m->v, gla, val, size, GWALK_READ, &m->fault)) {
		m->faulted = true;
		return -EFAULT;
	}
	return 0;
}

static int mem_write(void *ctx, uint64_t gla, unsigned size, uint64_t val)
{
	struct mmio_ctx *m = ctx;

	if (gla_write(m->v, gla, &val, size, &m->fault)) {
		m->faulted = true;
		return -EFAULT;
	}
	return 0;
}

static int to_gpa(void *ctx, uint64_t gla, bool write, uint64_t *gpa)
{
	struct mmio_ctx *m = ctx;

	if (gla_translate(m->v, gla, write ? GWALK_WRITE : GWALK_READ, gpa, &m->fault)) {
		m->faulted = true;
		return -EFAULT;
	}
	return 0;
}

static bool is_mmio(void *ctx, uint64_t gpa)
{
	return !gpa_ptr(((struct mmio_ctx *)ctx)->v->part, gpa, 1);
}

static uint64_t seg_base(void *ctx, int seg)
{
	return vmm->seg_base(((struct mmio_ctx *)ctx)->v, seg);
}

/* The guest's XMM registers are live in the CPU while its exit is handled
 * (vmm/fpu.c saves them at the end of the slice; the hypervisor itself
 * never touches SSE state), so they are reached through an FXSAVE image in
 * the legacy region of the vCPU's save area, which the end of the slice
 * saves over: XMMn at byte 160 + 16n (SDM Vol. 1, 10.5.1). FXRSTOR leaves
 * the upper halves of YMM registers alone, as a legacy SSE load must. */
#define FXSAVE_XMM0 160

static int xmm_read(void *ctx, unsigned n, uint8_t val[16])
{
	struct vcpu *v = ((struct mmio_ctx *)ctx)->v;

	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t (*)[512])v->fpu));
	memcpy(val, v->fpu + FXSAVE_XMM0 + 16 * n, 16);
	return 0;
}

static int xmm_write(void *ctx, unsigned n, const uint8_t val[16])
{
	struct vcpu *v = ((struct mmio_ctx *)ctx)->v;

	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t (*)[512])v->fpu));
	memcpy(v->fpu + FXSAVE_XMM0 + 16 * n, val, 16);
	__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t (*)[512])v->fpu));
	return 0;
}

static const char *mmio_access(const struct vm_exit *e)
{
	return e->mmio.fetch ? "fetch" : e->mmio.write ? "write" : "read";
}

int mmio_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct mmio_ctx ctx = { .v = v };
	const struct x86_emu_ops ops = {
		.mmio_read = m_read, .mmio_write = m_write,
		.mem_read = mem_read, .mem_write = mem_write,
		.gla_to_gpa = to_gpa, .is_mmio = is_mmio, .seg_base = seg_base,
		.xmm_read = xmm_read, .xmm_write = xmm_write,
		.ctx = &ctx,
	};
	struct guest_ctl c;
	const struct x86_insn *in = NULL;
	struct gla_fault f;
	uint8_t b[X86_MAX_INSN];
	unsigned got;
	int r;

	/* An exception or interrupt was being delivered: its IDT read or
	 * stack push reached an address that is not RAM. The instruction at
	 * RIP never ran, and a CPU cannot deliver an event through device
	 * memory: stop (docs/security.md). */
	if (e->event) {
		vcpu_fail(v, "delivering vector %u: the IDT or stack %s at guest-physical %#llx "
			  "is not RAM", e->event_vector, mmio_access(e),
			  (unsigned long long)e->mmio.gpa);
		return 0;
	}
	/* The CPU's own walk of the guest page tables reached an address
	 * that is not RAM: that is no access of the instruction's, and
	 * paging structures cannot live in device memory (docs/security.md). */
	if (e->mmio.walk) {
		vcpu_fail(v, "the guest's page-table walk reached guest-physical %#llx, "
			  "which is not RAM", (unsigned long long)e->mmio.gpa);
		return 0;
	}
	if (!v->unlocked_exit && !platform_mmio_owns(v->part, e->mmio.gpa) &&
	    (e->mmio.fetch || v->part->cfg.unmapped != PART_UNMAPPED_IGNORE)) {
		vcpu_fail(v, "%s unmapped guest-physical address %#llx",
			  e->mmio.fetch ? "executed from" : e->mmio.write ? "wrote to" : "read from",
			  (unsigned long long)e->mmio.gpa);
		return 0;
	}
	if (e->mmio.fetch) {
		vcpu_fail(v, "executed from device memory at %#llx", (unsigned long long)e->mmio.gpa);
		return 0;
	}
	vmm->get_ctl(v, &c);
	got = gla_fetch(v, &c, b, sizeof(b), &f);
	r = x86_decode_memo(&v->decode_memo, b, got, c.mode, &in);
	/* Without the partition's lock (exit_private: the exit's address is
	 * on the LAPIC page) only a plain MOV goes on, its one access
	 * straight to the vCPU's own LAPIC; anything else, or an access
	 * that leaves the page, is handed back untouched (x86_emulate
	 * changes nothing when its access fails) for the locked way. */
	if (v->unlocked_exit && (r || (in->op != X86_OP_MOV_LOAD && in->op != X86_OP_MOV_STORE))) {
		v->unlocked_retry = true;
		return 0;
	}
	if (r == -E2BIG && got < sizeof(b)) {
		/* The bytes the instruction still needs cannot be fetched. */
		gla_raise(v, &f, "instruction fetch");
		return 0;
	}
	if (r) {
		/* An instruction the emulator does not have: what a CPU
		 * without it would do. */
		if (!v->mmio_ud++)
			pr_warn("partition %s: vCPU %u: #UD for an unemulated instruction on "
				"device memory at %#llx (bytes %02x %02x %02x %02x); counted from "
				"now on", part_name(v->part), v->id, (unsigned long long)e->mmio.gpa,
				b[0], b[1], b[2], b[3]);
		vcpu_ud(v);
		return 0;
	}
	r = x86_emulate(in, &v->regs, c.mode, e->mmio.gpa, &ops);
	/* A failed access changed nothing: the locked way reports it. */
	if (r && v->unlocked_exit) {
		v->unlocked_retry = true;
		return 0;
	}
	if (r && ctx.faulted)
		gla_raise(v, &ctx.fault, "string instruction on device memory");
	else if (r)
		vcpu_fail(v, "device access at %#llx failed (%s)", (unsigned long long)e->mmio.gpa,
			  err_name(r));
	return 0;
}
