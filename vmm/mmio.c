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
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"

struct mmio_ctx {
	struct vcpu *v;
};

static bool ignoring(struct partition *p, uint64_t gpa, unsigned size)
{
	return p->cfg.unmapped == PART_UNMAPPED_IGNORE && !platform_mmio_owns(p, gpa) &&
	       !platform_mmio_owns(p, gpa + size - 1);
}

static int m_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct vcpu *v = ((struct mmio_ctx *)ctx)->v;

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

	if (ignoring(v->part, gpa, size)) {
		v->unmapped_writes++;
		return 0;
	}
	return platform_mmio(v, gpa, size, true, &val);
}

static int mem_read(void *ctx, uint64_t gla, unsigned size, uint64_t *val)
{
	*val = 0;
	return gla_read(((struct mmio_ctx *)ctx)->v, gla, val, size);
}

static int mem_write(void *ctx, uint64_t gla, unsigned size, uint64_t val)
{
	return gla_write(((struct mmio_ctx *)ctx)->v, gla, &val, size);
}

static int to_gpa(void *ctx, uint64_t gla, uint64_t *gpa)
{
	return gla_to_gpa(((struct mmio_ctx *)ctx)->v, gla, gpa);
}

static bool is_mmio(void *ctx, uint64_t gpa)
{
	return !gpa_ptr(((struct mmio_ctx *)ctx)->v->part, gpa, 1);
}

static uint64_t seg_base(void *ctx, int seg)
{
	return vmm->seg_base(((struct mmio_ctx *)ctx)->v, seg);
}

int mmio_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct mmio_ctx ctx = { v };
	const struct x86_emu_ops ops = {
		.mmio_read = m_read, .mmio_write = m_write,
		.mem_read = mem_read, .mem_write = mem_write,
		.gla_to_gpa = to_gpa, .is_mmio = is_mmio, .seg_base = seg_base,
		.ctx = &ctx,
	};
	struct guest_ctl c;
	struct x86_insn in;
	uint8_t b[X86_MAX_INSN];
	unsigned got;
	int r;

	if (!platform_mmio_owns(v->part, e->mmio.gpa) &&
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
	got = vcpu_fetch(v, b, sizeof(b));
	r = x86_decode(b, got, c.mode, &in);
	if (r) {
		vcpu_fail(v, "cannot emulate the instruction accessing device memory at %#llx "
			  "(bytes %02x %02x %02x %02x)", (unsigned long long)e->mmio.gpa,
			  b[0], b[1], b[2], b[3]);
		return 0;
	}
	r = x86_emulate(&in, &v->regs, c.mode, e->mmio.gpa, &ops);
	if (r)
		vcpu_fail(v, "device access at %#llx failed (%s)", (unsigned long long)e->mmio.gpa,
			  err_name(r));
	return 0;
}
