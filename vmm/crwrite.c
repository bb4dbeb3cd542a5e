/* Decoding a control-register write that exited without hardware
 * decoding (Intel SDM Vol. 2B: MOV—Move to/from Control Registers, LMSW,
 * CLTS). MOV to CRn is 0F 22 /r: ModRM.reg (with REX.R) names the CR,
 * ModRM.rm (with REX.B) the GPR, and the mod bits are ignored (always a
 * register). LMSW is 0F 01 /6 with a 16-bit register or memory operand;
 * CLTS is 0F 06. */
#include "vmm/crwrite.h"
#include "vmm/vcpu.h"
#include "vmm/decode.h"
#include "vmm/gla.h"
#include "lib/errno.h"

static uint64_t crwrite_seg_base(void *ctx, int seg)
{
	return vmm->seg_base(ctx, seg);
}

/* The memory operand of LMSW. Its ModRM/SIB/displacement have the same
 * form as MOV r32, r/m32 (8B /r), which the MMIO decoder knows: decode
 * the bytes with 0F 01 replaced by 8B and read the word there. */
static int lmsw_mem(struct vcpu *v, const struct guest_ctl *c, const uint8_t *b, unsigned n,
		    unsigned op, uint16_t *out, unsigned *len)
{
	const struct x86_emu_ops ops = { .seg_base = crwrite_seg_base, .ctx = v };
	struct guest_regs regs = v->regs;
	uint8_t alt[X86_MAX_INSN];
	struct x86_insn in;
	struct gla_fault f;
	unsigned k = 0;

	for (unsigned i = 0; i < n && k < sizeof(alt); i++)
		if (i != op + 1)
			alt[k++] = i == op ? 0x8b : b[i];
	if (x86_decode(alt, k, c->mode, &in) || in.op != X86_OP_MOV_LOAD)
		return -EINVAL;
	*len = in.len + 1u;  /* the real instruction is a byte longer */
	regs.rip += 1;       /* so is a RIP-relative operand's base */
	if (!gla_read(v, x86_operand_gla(&in, &regs, &ops), out, 2, GWALK_READ, &f))
		return 0;
	/* #PF or #GP as the CPU would raise them (an injection: safe where
	 * the exit is translated), or a retry; an operand outside RAM is
	 * left to the caller, which stops the partition. */
	if (f.kind == GLA_PF || f.kind == GLA_GP)
		gla_raise(v, &f, "the LMSW operand");
	else if (f.kind != GLA_RETRY)
		return -EINVAL;
	return -EFAULT;
}

int crwrite_decode(struct vcpu *v, const struct guest_ctl *c, struct cr_write *w)
{
	bool lm = c->mode == MODE_LONG64;
	uint8_t b[X86_MAX_INSN];
	unsigned got = vcpu_fetch(v, b, sizeof(b)), n, rex;
	struct x86_prefixes pf;
	uint8_t modrm;
	uint16_t msw;
	bool lock;

	n = x86_prefixes(b, got, c->mode, &pf);
	rex = pf.rex;
	lock = pf.lock;
	if (n + 2 > got || b[n] != 0x0f)
		return -EINVAL;
	if (b[n + 1] == 0x06) {
		w->cr = 0;
		w->val = c->cr0 & ~(1ULL << 3);            /* TS */
		w->len = n + 2;
		return 0;
	}
	if (n + 3 > got)
		return -EINVAL;
	modrm = b[n + 2];
	if (b[n + 1] == 0x22) {
		w->cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
		if (lock && w->cr == 0)
			w->cr = 8;      /* AMD's LOCK MOV CR0: CR8 (APM Vol. 3, MOV CRn) */
		w->val = v->regs.gpr[(modrm & 7) | ((rex & 1) ? 8 : 0)];
		if (!lm)
			w->val = (uint32_t)w->val;
		w->len = n + 3;
		return 0;
	}
	if (b[n + 1] != 0x01 || ((modrm >> 3) & 7) != 6)
		return -EINVAL;
	if ((modrm >> 6) == 3) {
		msw = (uint16_t)v->regs.gpr[(modrm & 7) | ((rex & 1) ? 8 : 0)];
		w->len = n + 3;
	} else {
		int r = lmsw_mem(v, c, b, got, n, &msw, &w->len);
		if (r)
			return r;
	}
	w->cr = 0;
	/* LMSW loads PE, MP, EM, TS; it can set PE but not clear it. */
	w->val = (c->cr0 & ~0xeULL) | (msw & 0xf) | (c->cr0 & 1);
	return 0;
}

void crwrite_state(struct vcpu *v, const struct guest_ctl *c, struct cr_state *s,
		   struct cr_allowed *a)
{
	*s = (struct cr_state){ .cr0 = c->cr0, .cr3 = c->cr3, .cr4 = c->cr4, .efer = c->efer,
				.cs_l = c->mode == MODE_LONG64 };
	cpuid_cr_allowed(v, a);
}
