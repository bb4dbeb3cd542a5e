/* x86 instruction decoder and emulator for MMIO exits (see vmm/decode.h).
 * Encodings and semantics follow the Intel SDM Vol. 1 and Vol. 2; section
 * numbers are cited where a rule is not obvious. */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "lib/string.h"
#include "lib/errno.h"
#include "vmm/decode.h"
#include "include/vatra/hotpath.h"

/* REX bits (Intel SDM Vol. 2A, 2.2.1.2, Table 2-4). */
#define REX_W 0x8
#define REX_R 0x4
#define REX_X 0x2
#define REX_B 0x1

#define X86_STATUS_FLAGS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
			  RFLAGS_SF | RFLAGS_OF)

/* ALU operation by the 3-bit field shared by opcodes 00-3F (bits 5:3) and
 * group 1's ModRM.reg (Intel SDM Vol. 2A, Table A-6): ADD OR ADC SBB AND
 * SUB XOR CMP. */
static const enum x86_op decode_alu_ops[8] = {
	X86_OP_ADD, X86_OP_OR, X86_OP_ADC, X86_OP_SBB,
	X86_OP_AND, X86_OP_SUB, X86_OP_XOR, X86_OP_CMP,
};

/* Bit tests by 0F BA's ModRM.reg 4-7 and by bits 4:3 of 0F A3/AB/B3/BB. */
static const enum x86_op decode_bt_ops[4] = {
	X86_OP_BT, X86_OP_BTS, X86_OP_BTR, X86_OP_BTC,
};

struct decode_ctx {
	const uint8_t *bytes;
	unsigned n;
	unsigned pos;
};

static uint64_t x86_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* Sign-extends the low size bytes of v to 64 bits (without relying on
 * signed shifts). */
static uint64_t x86_sext(uint64_t v, unsigned size)
{
	uint64_t sign = 1ULL << (8 * size - 1);

	v &= x86_mask(size);
	return (v ^ sign) - sign;
}

/* Fetches size bytes, little endian. */
static int decode_fetch(struct decode_ctx *c, unsigned size, uint64_t *val)
{
	uint64_t v = 0;

	/* No instruction is longer than 15 bytes, prefixes included (Intel SDM
	 * Vol. 2A, 2.3.11); the CPU raises #GP rather than read further, so
	 * more input cannot make this one valid. */
	if (c->pos + size > X86_MAX_INSN)
		return -EINVAL;
	if (c->pos + size > c->n)
		return -E2BIG;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)c->bytes[c->pos + i] << (8 * i);
	c->pos += size;
	*val = v;
	return 0;
}

/* Decodes ModRM and, as needed, SIB and displacement into the memory
 * operand of in, and the ModRM.reg field into in->reg as a register of
 * regsize bytes. *ext gets ModRM.reg alone, for group opcodes. A register
 * (mod = 11) r/m is refused: with no memory operand the instruction cannot
 * have caused an MMIO fault. */
static int decode_modrm(struct decode_ctx *c, struct x86_insn *in, uint8_t rex,
			unsigned regsize, unsigned *ext)
{
	/* 16-bit forms (Intel SDM Vol. 2A, 2.1.5, Table 2-1), by r/m:
	 * [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP] [BX]. */
	static const int8_t base16[8] = {
		REG_RBX, REG_RBX, REG_RBP, REG_RBP,
		REG_RSI, REG_RDI, REG_RBP, REG_RBX,
	};
	static const int8_t index16[8] = {
		REG_RSI, REG_RDI, REG_RSI, REG_RDI,
		X86_REG_NONE, X86_REG_NONE, X86_REG_NONE, X86_REG_NONE,
	};
	unsigned mod, rm, reg, dispsize;
	uint64_t b;
	int err;

	err = decode_fetch(c, 1, &b);
	if (err)
		return err;
	mod = b >> 6;
	reg = (b >> 3) & 7;
	rm = b & 7;
	*ext = reg;
	if (mod == 3)
		return -EINVAL;

	/* Without any REX prefix, byte registers 4-7 are AH CH DH BH, bits 15:8
	 * of RAX..RBX; any REX prefix makes them SPL BPL SIL DIL (Intel SDM
	 * Vol. 1, 3.4.1.1; Vol. 2A, 2.2.1.2). */
	in->reg = reg | (rex & REX_R ? 8 : 0);
	in->reg_high8 = false;
	if (regsize == 1 && !rex && reg >= 4) {
		in->reg = reg - 4;
		in->reg_high8 = true;
	}

	in->scale = 1;
	in->index = X86_REG_NONE;
	if (in->addrsize == 2) {
		in->base = base16[rm];
		in->index = index16[rm];
		dispsize = mod == 1 ? 1 : mod == 2 ? 2 : 0;
		if (mod == 0 && rm == 6) {
			/* [disp16] replaces [BP] when mod = 00. */
			in->base = X86_REG_NONE;
			dispsize = 2;
		}
	} else {
		dispsize = mod == 1 ? 1 : mod == 2 ? 4 : 0;
		if (rm == 4) {
			/* r/m = 100 always means a SIB byte follows, REX.B
			 * notwithstanding (Intel SDM Vol. 2A, 2.2.1.2, Table 2-5). */
			unsigned idx, base;

			err = decode_fetch(c, 1, &b);
			if (err)
				return err;
			in->scale = 1 << (b >> 6);
			idx = ((b >> 3) & 7) | (rex & REX_X ? 8 : 0);
			base = b & 7;
			/* Index 100 without REX.X means no index; with REX.X it
			 * is R12 (Table 2-3, Table 2-5). */
			if (idx != 4)
				in->index = idx;
			if (base == 5 && mod == 0) {
				/* No base, disp32, whatever REX.B says. */
				in->base = X86_REG_NONE;
				dispsize = 4;
			} else {
				in->base = base | (rex & REX_B ? 8 : 0);
			}
		} else if (rm == 5 && mod == 0) {
			/* disp32 alone, which 64-bit mode turns into
			 * RIP-relative (Intel SDM Vol. 2A, 2.2.1.6). */
			in->base = in->mode == MODE_LONG64 ? X86_BASE_RIP :
							     X86_REG_NONE;
			dispsize = 4;
		} else {
			in->base = rm | (rex & REX_B ? 8 : 0);
		}
	}
	in->disp = 0;
	if (dispsize) {
		err = decode_fetch(c, dispsize, &b);
		if (err)
			return err;
		in->disp = (int64_t)x86_sext(b, dispsize);
	}
	return 0;
}

/* Fetches an immediate of immsize bytes and stores it sign-extended to,
 * and masked to, in->opsize: the imm8 of 83 is sign-extended to the operand
 * size, and a 64-bit operation sign-extends its imm32 (Intel SDM Vol. 2A,
 * 2.2.1.5 and the ADD page). */
static int decode_imm(struct decode_ctx *c, struct x86_insn *in, unsigned immsize)
{
	uint64_t v;
	int err;

	err = decode_fetch(c, immsize, &v);
	if (err)
		return err;
	in->has_imm = true;
	in->imm = x86_sext(v, immsize) & x86_mask(in->opsize);
	return 0;
}

/* Legacy prefixes, in any order (Intel SDM Vol. 2A, 2.1.1). A REX prefix
 * counts only if it immediately precedes the opcode; one followed by a
 * legacy prefix is ignored (2.2.1), hence rex = 0 on each legacy prefix.
 * Of conflicting F2/F3 or segment prefixes the last one wins, except that
 * in 64-bit mode the ES, CS, SS and DS overrides are null prefixes: they
 * select nothing and do not cancel an FS or GS override before them (AMD
 * APM Vol. 3, 1.2.4; so do the CPUs: 64 26 8B 04 25 00 00 00 00 reads
 * FS:0). 40-4F are REX only in 64-bit mode; elsewhere they are INC/DEC,
 * an opcode. */
EXIT_PATH unsigned x86_prefixes(const uint8_t *bytes, unsigned n, enum cpu_mode mode,
		      struct x86_prefixes *p)
{
	bool m64 = mode == MODE_LONG64;
	unsigned i;

	*p = (struct x86_prefixes){ .seg = SEG_NONE };
	for (i = 0; i < n && i < X86_MAX_INSN; i++) {
		uint8_t b = bytes[i];

		switch (b) {
		case 0x66: p->opsize = true; break;
		case 0x67: p->addrsize = true; break;
		case 0xf0: p->lock = true; break;
		case 0xf2: case 0xf3: p->rep = b; break;
		case 0x26: if (!m64) p->seg = SEG_ES; break;
		case 0x2e: if (!m64) p->seg = SEG_CS; break;
		case 0x36: if (!m64) p->seg = SEG_SS; break;
		case 0x3e: if (!m64) p->seg = SEG_DS; break;
		case 0x64: p->seg = SEG_FS; break;
		case 0x65: p->seg = SEG_GS; break;
		default:
			if (!m64 || (b & 0xf0) != 0x40)
				goto done;
			p->rex = b;
			continue;
		}
		p->rex = 0;
	}
done:
	p->len = (uint8_t)i;
	return i;
}

/* SSE moves with a memory operand, by opcode after 0F and the mandatory
 * prefix (none, 66, F3; F2 takes none of these): Intel SDM Vol. 2, MOVD/
 * MOVQ, MOVDQA, MOVDQU, MOVAPS, MOVUPS, MOVAPD, MOVUPD, MOVNTDQ, MOVNTPS.
 * F3 beats 66 when both are present. The register is ModRM.reg with REX.R. */
static int decode_sse(struct decode_ctx *c, struct x86_insn *in, uint8_t rex, uint8_t op,
		      bool opsize_pfx, unsigned opsz)
{
	unsigned pfx = in->rep == 0xf3 ? 0xf3 : in->rep == 0xf2 ? 0xf2 : opsize_pfx ? 0x66 : 0;
	unsigned size = 16, ext;
	bool load;
	int err;

	switch (op) {
	case 0x10: case 0x28:    /* movups/movupd, movaps/movapd xmm, m128 */
	case 0x11: case 0x29:    /* ... m128, xmm */
		if (pfx != 0 && pfx != 0x66)
			return -EINVAL;
		load = !(op & 1);
		break;
	case 0x2b:               /* movntps/movntpd m128, xmm */
		if (pfx != 0 && pfx != 0x66)
			return -EINVAL;
		load = false;
		break;
	case 0x6f: case 0x7f:    /* movdqa (66), movdqu (F3) */
		if (pfx != 0x66 && pfx != 0xf3)
			return -EINVAL;
		load = op == 0x6f;
		break;
	case 0xe7:               /* movntdq m128, xmm */
		if (pfx != 0x66)
			return -EINVAL;
		load = false;
		break;
	case 0x6e:               /* 66: movd/movq xmm, r/m32/64 */
		if (pfx != 0x66)
			return -EINVAL;
		load = true;
		size = opsz == 8 ? 8 : 4;
		break;
	case 0x7e:               /* 66: movd/movq r/m, xmm; F3: movq xmm, m64 */
		if (pfx == 0x66) {
			load = false;
			size = opsz == 8 ? 8 : 4;
		} else if (pfx == 0xf3) {
			load = true;
			size = 8;
		} else {
			return -EINVAL;
		}
		break;
	case 0xd6:               /* 66: movq m64, xmm */
		if (pfx != 0x66)
			return -EINVAL;
		load = false;
		size = 8;
		break;
	default:
		return -EINVAL;
	}
	in->op = load ? X86_OP_SSE_LOAD : X86_OP_SSE_STORE;
	in->opsize = (uint8_t)size;
	in->regsize = (uint8_t)size;
	in->rep = 0;
	err = decode_modrm(c, in, rex, 16, &ext);
	if (err)
		return err;
	in->xmm = (uint8_t)(ext | (rex & REX_R ? 8 : 0));
	in->reg = X86_REG_NONE;
	in->reg_high8 = false;
	return 0;
}

int x86_decode(const uint8_t *bytes, unsigned n, enum cpu_mode mode,
	       struct x86_insn *in)
{
	struct x86_prefixes pf;
	struct decode_ctx c = { .bytes = bytes, .n = n, .pos = 0 };
	bool opsize_pfx, addrsize_pfx, lockable = false;
	uint8_t rex;
	unsigned opsz, op, ext, immsize;
	uint64_t b;
	int err;

	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->reg = X86_REG_NONE;
	in->base = X86_REG_NONE;
	in->index = X86_REG_NONE;
	in->scale = 1;

	c.pos = x86_prefixes(bytes, n, mode, &pf);
	opsize_pfx = pf.opsize;
	addrsize_pfx = pf.addrsize;
	in->lock = pf.lock;
	in->rep = pf.rep;
	in->seg = pf.seg;
	rex = pf.rex;
	err = decode_fetch(&c, 1, &b);
	if (err)
		return err;
	op = b;

	/* Operand size: REX.W beats 66 (Intel SDM Vol. 1, 3.6.1, Table 3-4);
	 * address size: 67 toggles the mode's default, and 64-bit mode offers
	 * 64 and 32 only (Vol. 1, 3.6, 3.6.1). */
	if (rex & REX_W)
		opsz = 8;
	else if (mode == MODE_REAL || mode == MODE_PROT16)
		opsz = opsize_pfx ? 4 : 2;
	else
		opsz = opsize_pfx ? 2 : 4;
	if (mode == MODE_LONG64)
		in->addrsize = addrsize_pfx ? 4 : 8;
	else if (mode == MODE_PROT32)
		in->addrsize = addrsize_pfx ? 2 : 4;
	else
		in->addrsize = addrsize_pfx ? 4 : 2;

	if (op == 0x0f) {
		err = decode_fetch(&c, 1, &b);
		if (err)
			return err;
		switch (b) {
		case 0xb6:      /* movzx r, r/m8 */
		case 0xb7:      /* movzx r, r/m16 */
		case 0xbe:      /* movsx r, r/m8 */
		case 0xbf:      /* movsx r, r/m16 */
			in->op = b & 8 ? X86_OP_MOVSX : X86_OP_MOVZX;
			in->opsize = b & 1 ? 2 : 1;
			in->regsize = opsz;
			err = decode_modrm(&c, in, rex, in->regsize, &ext);
			break;
		case 0xb0:      /* cmpxchg r/m8, r8 */
		case 0xb1:      /* cmpxchg r/m, r */
			in->op = X86_OP_CMPXCHG;
			in->opsize = b & 1 ? opsz : 1;
			in->regsize = in->opsize;
			lockable = true;
			err = decode_modrm(&c, in, rex, in->regsize, &ext);
			break;
		case 0xc0:      /* xadd r/m8, r8 */
		case 0xc1:      /* xadd r/m, r */
			in->op = X86_OP_XADD;
			in->opsize = b & 1 ? opsz : 1;
			in->regsize = in->opsize;
			lockable = true;
			err = decode_modrm(&c, in, rex, in->regsize, &ext);
			break;
		case 0xc3:      /* movnti m32/m64, r (NP: no 66, F2, F3) */
			if (opsize_pfx || in->rep)
				return -EINVAL;
			in->op = X86_OP_MOV_STORE;
			in->opsize = opsz == 8 ? 8 : 4;
			in->regsize = in->opsize;
			err = decode_modrm(&c, in, rex, in->regsize, &ext);
			break;
		case 0xa3:      /* bt r/m, r */
		case 0xab:      /* bts r/m, r */
		case 0xb3:      /* btr r/m, r */
		case 0xbb:      /* btc r/m, r */
			in->op = decode_bt_ops[(b >> 3) & 3];
			in->opsize = opsz;
			in->regsize = opsz;
			lockable = in->op != X86_OP_BT;
			err = decode_modrm(&c, in, rex, in->regsize, &ext);
			break;
		case 0xba:      /* group 8: bt/bts/btr/btc r/m, imm8 */
			in->opsize = opsz;
			in->regsize = opsz;
			err = decode_modrm(&c, in, rex, in->regsize, &ext);
			if (err)
				return err;
			if (ext < 4)
				return -EINVAL;
			in->op = decode_bt_ops[ext - 4];
			in->reg = X86_REG_NONE;
			in->reg_high8 = false;
			lockable = in->op != X86_OP_BT;
			err = decode_fetch(&c, 1, &b);
			in->has_imm = true;
			in->imm = b;
			break;
		default:
			err = decode_sse(&c, in, rex, (uint8_t)b, opsize_pfx, opsz);
			break;
		}
		goto done;
	}

	if (op < 0x40 && (op & 7) < 4 && decode_alu_ops[op >> 3] != X86_OP_NONE) {
		/* ADD/OR/AND/SUB/XOR/CMP: 0 r/m8,r8; 1 r/m,r; 2 r8,r/m8;
		 * 3 r,r/m (the AL/eAX,imm forms 4 and 5 touch no memory). */
		in->op = decode_alu_ops[op >> 3];
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		in->to_reg = op & 2;
		lockable = !in->to_reg && in->op != X86_OP_CMP;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		goto done;
	}

	switch (op) {
	case 0x88:      /* mov r/m8, r8 */
	case 0x89:      /* mov r/m, r */
	case 0x8a:      /* mov r8, r/m8 */
	case 0x8b:      /* mov r, r/m */
		in->op = op & 2 ? X86_OP_MOV_LOAD : X86_OP_MOV_STORE;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		break;
	case 0xc6:      /* mov r/m8, imm8 */
	case 0xc7:      /* mov r/m, imm16/32 (imm32 sign-extended for REX.W) */
		in->op = X86_OP_MOV_STORE;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		if (err)
			return err;
		/* Only /0 is MOV; C6 F8 and C7 F8 are XABORT/XBEGIN. */
		if (ext != 0)
			return -EINVAL;
		in->reg = X86_REG_NONE;
		in->reg_high8 = false;
		immsize = in->opsize == 1 ? 1 : in->opsize == 2 ? 2 : 4;
		err = decode_imm(&c, in, immsize);
		break;
	case 0x80:      /* group 1 r/m8, imm8 */
	case 0x81:      /* group 1 r/m, imm16/32 */
	case 0x83:      /* group 1 r/m, imm8 sign-extended */
		in->opsize = op == 0x80 ? 1 : opsz;
		in->regsize = in->opsize;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		if (err)
			return err;
		in->op = decode_alu_ops[ext];
		if (in->op == X86_OP_NONE)
			return -EINVAL;
		in->reg = X86_REG_NONE;
		in->reg_high8 = false;
		lockable = in->op != X86_OP_CMP;
		if (op == 0x81)
			immsize = in->opsize == 2 ? 2 : 4;
		else
			immsize = 1;
		err = decode_imm(&c, in, immsize);
		break;
	case 0x84:      /* test r/m8, r8 */
	case 0x85:      /* test r/m, r */
		in->op = X86_OP_TEST;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		break;
	case 0xf6:      /* group 3 r/m8: /0 test imm8, /2 not, /3 neg */
	case 0xf7:      /* group 3 r/m: /0 test imm16/32, /2 not, /3 neg */
		in->op = X86_OP_TEST;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		if (err)
			return err;
		in->reg = X86_REG_NONE;
		in->reg_high8 = false;
		/* /2 NOT, /3 NEG; /4-/7 are MUL IMUL DIV IDIV, /1 is an
		 * undocumented alias of /0 that is left out. */
		if (ext == 2 || ext == 3) {
			in->op = ext == 2 ? X86_OP_NOT : X86_OP_NEG;
			lockable = true;
			break;
		}
		if (ext != 0)
			return -EINVAL;
		immsize = in->opsize == 1 ? 1 : in->opsize == 2 ? 2 : 4;
		err = decode_imm(&c, in, immsize);
		break;
	case 0x63:
		/* MOVSXD r, r/m32 exists only in 64-bit mode (elsewhere 63 is
		 * ARPL). Without REX.W it is a plain 32- or 16-bit move
		 * (Intel SDM Vol. 2B, MOVSX/MOVSXD). */
		if (mode != MODE_LONG64)
			return -EINVAL;
		in->op = X86_OP_MOVSX;
		in->regsize = opsz;
		in->opsize = opsz == 8 ? 4 : opsz;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		break;
	case 0x86:      /* xchg r/m8, r8 */
	case 0x87:      /* xchg r/m, r */
		/* Locked with or without the prefix (Intel SDM Vol. 2D, XCHG). */
		in->op = X86_OP_XCHG;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		lockable = true;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		break;
	case 0xfe:      /* group 4: inc/dec r/m8 */
	case 0xff:      /* group 5: inc/dec r/m (/2-/6 are CALL JMP PUSH) */
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		err = decode_modrm(&c, in, rex, in->regsize, &ext);
		if (err)
			return err;
		if (ext > 1)
			return -EINVAL;
		in->op = ext ? X86_OP_DEC : X86_OP_INC;
		in->reg = X86_REG_NONE;
		in->reg_high8 = false;
		lockable = true;
		break;
	case 0xac:      /* lods m8 */
	case 0xad:      /* lods m */
		in->op = X86_OP_LODS;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		in->reg = REG_RAX;
		in->base = REG_RSI;
		break;
	case 0xa0:      /* mov al, moffs8 */
	case 0xa1:      /* mov eAX, moffs */
	case 0xa2:      /* mov moffs8, al */
	case 0xa3:      /* mov moffs, eAX */
		/* The offset is address-size wide, 8 bytes by default in 64-bit
		 * mode, and not sign-extended (Intel SDM Vol. 2A, 2.2.1.4). */
		in->op = op & 2 ? X86_OP_MOV_STORE : X86_OP_MOV_LOAD;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		in->reg = REG_RAX;
		in->moffs = true;
		err = decode_fetch(&c, in->addrsize, &b);
		in->disp = (int64_t)b;
		break;
	case 0xa4:      /* movs m8, m8 */
	case 0xa5:      /* movs m, m */
		in->op = X86_OP_MOVS;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		in->base = REG_RSI;
		break;
	case 0xaa:      /* stos m8 */
	case 0xab:      /* stos m */
		/* The destination is ES:rDI; ES cannot be overridden (Intel
		 * SDM Vol. 2B, STOS). */
		in->op = X86_OP_STOS;
		in->opsize = op & 1 ? opsz : 1;
		in->regsize = in->opsize;
		in->reg = REG_RAX;
		in->base = REG_RDI;
		in->seg = SEG_ES;
		break;
	default:
		return -EINVAL;
	}

done:
	if (err)
		return err;
	/* LOCK is allowed only on read-modify-write forms with a memory
	 * destination; anywhere else it raises #UD (Intel SDM Vol. 2A, LOCK). */
	if (in->lock && !lockable)
		return -EINVAL;
	in->len = c.pos;
	return 0;
}

/* Bytes [0, 16) of an instruction buffer as two words, zero past n (at
 * most X86_MAX_INSN bytes are read). */
static void memo_words(const uint8_t *bytes, unsigned n, uint64_t w[2])
{
	uint8_t b[16] = { 0 };

	__builtin_memcpy(b, bytes, n < X86_MAX_INSN ? n : X86_MAX_INSN);
	__builtin_memcpy(w, b, 16);
}

int x86_decode_memo(struct x86_decode_memo *m, const uint8_t *bytes, unsigned n,
		    enum cpu_mode mode, const struct x86_insn **in)
{
	struct x86_memo_entry *e;
	uint64_t w[2];
	int r;

	memo_words(bytes, n, w);
	for (unsigned i = 0; i < X86_MEMO_N; i++) {
		e = &m->e[i];
		if (e->len && e->len <= n && e->mode == mode && !((w[0] ^ e->key[0]) & e->mask[0]) &&
		    !((w[1] ^ e->key[1]) & e->mask[1])) {
			*in = &e->in;
			return 0;
		}
	}
	e = &m->e[m->next];
	r = x86_decode(bytes, n, mode, &e->in);
	if (r) {
		e->len = 0;
		return r;
	}
	e->len = e->in.len;
	e->mode = mode;
	e->mask[0] = e->len >= 8 ? ~0ULL : (1ULL << (8 * e->len)) - 1;
	e->mask[1] = e->len > 8 ? (1ULL << (8 * (e->len - 8))) - 1 : 0;
	e->key[0] = w[0] & e->mask[0];
	e->key[1] = w[1] & e->mask[1];
	m->next = (m->next + 1) % X86_MEMO_N;
	*in = &e->in;
	return 0;
}

/* Register operand of size bytes (or the high byte). */
static uint64_t x86_get_reg(const struct guest_regs *r, int reg, bool high8,
			    unsigned size)
{
	if (high8)
		return (r->gpr[reg] >> 8) & 0xff;
	return r->gpr[reg] & x86_mask(size);
}

/* Writes a register operand of size bytes: 8- and 16-bit writes leave the
 * rest of the register alone, 32-bit writes zero bits 63:32 (Intel SDM
 * Vol. 1, 3.4.1.1). Outside 64-bit mode bits 63:32 are not visible and are
 * undefined after a mode switch, so zeroing them there is also correct. */
static void x86_set_reg(struct guest_regs *r, int reg, bool high8, unsigned size,
			uint64_t val)
{
	uint64_t *g = &r->gpr[reg];

	switch (size) {
	case 1:
		if (high8)
			*g = (*g & ~0xff00ULL) | ((val & 0xff) << 8);
		else
			*g = (*g & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		*g = (*g & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		*g = val & 0xffffffffULL;
		break;
	default:
		*g = val;
		break;
	}
}

static bool x86_even_parity(uint64_t v)
{
	uint8_t b = v;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

/* Computes a op b on size-byte operands and sets the status flags in
 * *rflags as the SDM's instruction pages specify (Intel SDM Vol. 2A ADC,
 * ADD, AND, CMP, DEC, INC, NEG, OR; Vol. 2B SBB, SUB, TEST; Vol. 2D XOR):
 * CF is the unsigned carry or borrow, OF the signed overflow, AF the carry
 * or borrow out of bit 3, PF the even parity of the low byte, ZF and SF
 * from the result. ADC and SBB take CF in. The logical ops clear CF and OF;
 * their AF is undefined, and cleared here. INC and DEC (a + 1, a - 1)
 * leave CF alone. */
static uint64_t x86_alu(enum x86_op op, uint64_t a, uint64_t b, unsigned size,
			uint64_t *rflags)
{
	uint64_t mask = x86_mask(size), sign = 1ULL << (8 * size - 1);
	uint64_t r, f = 0, c = (*rflags & RFLAGS_CF) ? 1 : 0;
	bool incdec = op == X86_OP_INC || op == X86_OP_DEC;

	a &= mask;
	b &= mask;
	switch (op) {
	case X86_OP_INC:
	case X86_OP_DEC:
		b = 1;
		op = op == X86_OP_INC ? X86_OP_ADD : X86_OP_SUB;
		c = 0;
		break;
	case X86_OP_ADD:
	case X86_OP_SUB:
	case X86_OP_CMP:
		c = 0;
		break;
	default:
		break;
	}
	switch (op) {
	case X86_OP_ADD:
	case X86_OP_ADC:
		r = (a + b + c) & mask;
		if (r < a || (c && r == a))
			f |= RFLAGS_CF;
		if ((a ^ r) & (b ^ r) & sign)
			f |= RFLAGS_OF;
		if ((a ^ b ^ r) & 0x10)
			f |= RFLAGS_AF;
		break;
	case X86_OP_SUB:
	case X86_OP_SBB:
	case X86_OP_CMP:
		r = (a - b - c) & mask;
		if (a < b || (c && a == b))
			f |= RFLAGS_CF;
		if ((a ^ b) & (a ^ r) & sign)
			f |= RFLAGS_OF;
		if ((a ^ b ^ r) & 0x10)
			f |= RFLAGS_AF;
		break;
	case X86_OP_OR:
		r = a | b;
		break;
	case X86_OP_XOR:
		r = a ^ b;
		break;
	default:        /* AND, TEST */
		r = a & b;
		break;
	}
	if (!r)
		f |= RFLAGS_ZF;
	if (r & sign)
		f |= RFLAGS_SF;
	if (x86_even_parity(r))
		f |= RFLAGS_PF;
	if (incdec)
		f = (f & ~RFLAGS_CF) | (*rflags & RFLAGS_CF);
	*rflags = (*rflags & ~X86_STATUS_FLAGS) | f;
	return r;
}

/* RIP after the instruction; IP and EIP wrap in 16- and 32-bit code. */
static uint64_t x86_next_rip(const struct x86_insn *in, uint64_t rip)
{
	rip += in->len;
	if (in->mode == MODE_LONG64)
		return rip;
	if (in->mode == MODE_PROT32)
		return rip & 0xffffffffULL;
	return rip & 0xffff;
}

/* Linear address of offset ea in segment seg. In 64-bit mode the CS, DS,
 * ES and SS bases are treated as 0 and only FS and GS add one (Intel SDM
 * Vol. 3A, 3.2.4); elsewhere the sum wraps at 4 GiB. */
static uint64_t x86_linear(const struct x86_insn *in,
			   const struct x86_emu_ops *ops, int seg, uint64_t ea)
{
	uint64_t base = 0;

	if (in->mode == MODE_LONG64 && seg != SEG_FS && seg != SEG_GS)
		return ea;
	if (ops && ops->seg_base)
		base = ops->seg_base(ops->ctx, seg);
	if (in->mode == MODE_LONG64)
		return ea + base;
	return (ea + base) & 0xffffffffULL;
}

uint64_t x86_operand_gla(const struct x86_insn *in, const struct guest_regs *regs,
			 const struct x86_emu_ops *ops)
{
	uint64_t ea = (uint64_t)in->disp;
	int seg = in->seg;

	if (in->base == X86_BASE_RIP)
		ea += regs->rip + in->len;
	else if (in->base >= 0)
		ea += regs->gpr[in->base];
	if (in->index >= 0)
		ea += regs->gpr[in->index] * in->scale;
	ea &= x86_mask(in->addrsize);
	/* Default segment: SS when the base is rSP or rBP (BP for 16-bit
	 * forms), DS otherwise (Intel SDM Vol. 1, 3.7.4, Table 3-5). */
	if (seg == SEG_NONE)
		seg = in->base == REG_RSP || in->base == REG_RBP ? SEG_SS : SEG_DS;
	return x86_linear(in, ops, seg, ea);
}

/* One element access of a string instruction at linear address gla: by
 * guest-physical address if it is MMIO, else as ordinary memory. */
static int x86_string_read(const struct x86_emu_ops *ops, uint64_t gla,
			   uint64_t gpa, unsigned size, uint64_t *val)
{
	int err;

	if (ops->is_mmio(ops->ctx, gpa))
		err = ops->mmio_read(ops->ctx, gpa, size, val);
	else
		err = ops->mem_read(ops->ctx, gla, size, val);
	if (err)
		return err;
	*val &= x86_mask(size);
	return 0;
}

static int x86_string_write(const struct x86_emu_ops *ops, uint64_t gla,
			    uint64_t gpa, unsigned size, uint64_t val)
{
	if (ops->is_mmio(ops->ctx, gpa))
		return ops->mmio_write(ops->ctx, gpa, size, val);
	return ops->mem_write(ops->ctx, gla, size, val);
}

/* STOS and MOVS (Intel SDM Vol. 2B, MOVS, STOS, REP): rSI/rDI/rCX are SI/
 * DI/CX, ESI/EDI/ECX or RSI/RDI/RCX by address size, and step by the
 * element size, down if DF is set. Registers are updated element by element
 * so that a failure leaves the state of the last completed element, as the
 * SDM describes for a fault in the middle of a REP. */
static int x86_emulate_string(const struct x86_insn *in, struct guest_regs *regs,
			      const struct x86_emu_ops *ops)
{
	uint64_t amask = x86_mask(in->addrsize), size = in->opsize;
	uint64_t step = regs->rflags & RFLAGS_DF ? -size : size;
	uint64_t count = 1, done;
	int src_seg = in->seg == SEG_NONE ? SEG_DS : in->seg;
	bool reads = in->op != X86_OP_STOS, writes = in->op != X86_OP_LODS;

	if (!ops->gla_to_gpa || !ops->is_mmio ||
	    (writes && (!ops->mmio_write || !ops->mem_write)) ||
	    (reads && (!ops->mmio_read || !ops->mem_read)))
		return -EINVAL;
	if (in->rep) {
		/* F2 and F3 both act as REP on MOVS, STOS and LODS, which
		 * have no termination condition to distinguish them. */
		count = regs->gpr[REG_RCX] & amask;
	}

	for (done = 0; done < count && done < X86_REP_MAX; done++) {
		uint64_t rdi = regs->gpr[REG_RDI], rsi = regs->gpr[REG_RSI];
		uint64_t dgla = 0, dgpa = 0, sgla = 0, sgpa = 0, val;
		int err;

		/* Translate both sides before touching either, so a fault on
		 * the destination cannot follow a device read with side
		 * effects. */
		if (writes) {
			dgla = x86_linear(in, ops, SEG_ES, rdi & amask);
			err = ops->gla_to_gpa(ops->ctx, dgla, true, &dgpa);
			if (err)
				return err;
		}
		if (reads) {
			sgla = x86_linear(in, ops, src_seg, rsi & amask);
			err = ops->gla_to_gpa(ops->ctx, sgla, false, &sgpa);
			if (err)
				return err;
			err = x86_string_read(ops, sgla, sgpa, size, &val);
			if (err)
				return err;
		} else {
			val = x86_get_reg(regs, REG_RAX, false, size);
		}
		if (writes) {
			err = x86_string_write(ops, dgla, dgpa, size, val);
			if (err)
				return err;
			x86_set_reg(regs, REG_RDI, false, in->addrsize, rdi + step);
		} else {
			x86_set_reg(regs, REG_RAX, false, size, val);
		}
		if (reads)
			x86_set_reg(regs, REG_RSI, false, in->addrsize, rsi + step);
		if (in->rep)
			x86_set_reg(regs, REG_RCX, false, in->addrsize,
				    regs->gpr[REG_RCX] - 1);
	}
	/* An unfinished REP leaves RIP on the instruction: the guest runs it
	 * again, faults again and we carry on from the updated registers. */
	if (done == count)
		regs->rip = x86_next_rip(in, regs->rip);
	return 0;
}

/* Bit tests on the word at gpa: the bit is the offset modulo the operand
 * width (for the register form gpa already is the word the offset picked,
 * Intel SDM Vol. 2A, BT: "the processor may access ... Effective Address +
 * (4 * (BitOffset DIV 32))"). CF gets the bit's old value. */
static int x86_emulate_bt(const struct x86_insn *in, struct guest_regs *r, uint64_t gpa,
			  const struct x86_emu_ops *ops)
{
	unsigned bits = 8 * in->opsize;
	uint64_t off = in->has_imm ? in->imm : x86_get_reg(r, in->reg, false, in->opsize);
	uint64_t mem, bit;
	int err;

	err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
	if (err)
		return err;
	bit = 1ULL << (off & (bits - 1));
	r->rflags = (r->rflags & ~RFLAGS_CF) | ((mem & bit) ? RFLAGS_CF : 0);
	switch (in->op) {
	case X86_OP_BTS:
		mem |= bit;
		break;
	case X86_OP_BTR:
		mem &= ~bit;
		break;
	case X86_OP_BTC:
		mem ^= bit;
		break;
	default:
		return 0;
	}
	return ops->mmio_write(ops->ctx, gpa, in->opsize, mem & x86_mask(in->opsize));
}

/* SSE moves between an XMM register and device memory, in accesses of at
 * most 8 bytes. A load of 4 or 8 bytes (MOVD, MOVQ) zeroes the rest of the
 * register (Intel SDM Vol. 2B, MOVD/MOVQ). */
static int x86_emulate_sse(const struct x86_insn *in, uint64_t gpa,
			   const struct x86_emu_ops *ops)
{
	uint8_t x[16];
	int err;

	if (!ops->xmm_read || !ops->xmm_write)
		return -EINVAL;
	if (in->op == X86_OP_SSE_LOAD) {
		memset(x, 0, sizeof(x));
		for (unsigned o = 0; o < in->opsize; o += 8) {
			unsigned n = in->opsize - o < 8 ? in->opsize - o : 8;
			uint64_t v;
			err = ops->mmio_read(ops->ctx, gpa + o, n, &v);
			if (err)
				return err;
			for (unsigned i = 0; i < n; i++)
				x[o + i] = (uint8_t)(v >> (8 * i));
		}
		return ops->xmm_write(ops->ctx, in->xmm, x);
	}
	err = ops->xmm_read(ops->ctx, in->xmm, x);
	if (err)
		return err;
	for (unsigned o = 0; o < in->opsize; o += 8) {
		unsigned n = in->opsize - o < 8 ? in->opsize - o : 8;
		uint64_t v = 0;
		for (unsigned i = 0; i < n; i++)
			v |= (uint64_t)x[o + i] << (8 * i);
		err = ops->mmio_write(ops->ctx, gpa + o, n, v);
		if (err)
			return err;
	}
	return 0;
}

int x86_emulate(const struct x86_insn *in, struct guest_regs *regs,
		enum cpu_mode mode, uint64_t gpa, const struct x86_emu_ops *ops)
{
	struct guest_regs r;
	uint64_t mem = 0, src, res;
	int err = 0;

	if (mode != in->mode)
		return -EINVAL;
	if (in->op == X86_OP_STOS || in->op == X86_OP_MOVS || in->op == X86_OP_LODS)
		return x86_emulate_string(in, regs, ops);
	if (!ops->mmio_read || !ops->mmio_write)
		return -EINVAL;

	/* A MOV, the commonest by far, makes one access and then changes one
	 * register at most: in place, after the access. */
	if (in->op == X86_OP_MOV_STORE) {
		src = in->has_imm ? in->imm : x86_get_reg(regs, in->reg, in->reg_high8, in->opsize);
		err = ops->mmio_write(ops->ctx, gpa, in->opsize, src);
		if (!err)
			regs->rip = x86_next_rip(in, regs->rip);
		return err;
	}
	if (in->op == X86_OP_MOV_LOAD) {
		err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
		if (err)
			return err;
		x86_set_reg(regs, in->reg, in->reg_high8, in->opsize, mem);
		regs->rip = x86_next_rip(in, regs->rip);
		return 0;
	}
	/* Work on a copy so a failed access leaves the guest untouched. */
	r = *regs;
	switch (in->op) {
	case X86_OP_MOVZX:
	case X86_OP_MOVSX:
		err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
		if (err)
			break;
		mem &= x86_mask(in->opsize);
		if (in->op == X86_OP_MOVSX)
			mem = x86_sext(mem, in->opsize);
		x86_set_reg(&r, in->reg, false, in->regsize, mem);
		break;
	case X86_OP_INC:
	case X86_OP_DEC:
	case X86_OP_NEG:
		err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
		if (err)
			break;
		if (in->op == X86_OP_NEG)
			res = x86_alu(X86_OP_SUB, 0, mem, in->opsize, &r.rflags);
		else
			res = x86_alu(in->op, mem, 1, in->opsize, &r.rflags);
		err = ops->mmio_write(ops->ctx, gpa, in->opsize, res);
		break;
	case X86_OP_NOT:
		err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
		if (!err)
			err = ops->mmio_write(ops->ctx, gpa, in->opsize, ~mem & x86_mask(in->opsize));
		break;
	case X86_OP_XADD:
		/* dest = dest + src with ADD's flags, src = the old dest
		 * (Intel SDM Vol. 2D, XADD). */
		err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
		if (err)
			break;
		src = x86_get_reg(&r, in->reg, in->reg_high8, in->opsize);
		res = x86_alu(X86_OP_ADD, mem, src, in->opsize, &r.rflags);
		err = ops->mmio_write(ops->ctx, gpa, in->opsize, res);
		if (!err)
			x86_set_reg(&r, in->reg, in->reg_high8, in->opsize, mem);
		break;
	case X86_OP_XCHG:
		err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
		if (err)
			break;
		src = x86_get_reg(&r, in->reg, in->reg_high8, in->opsize);
		err = ops->mmio_write(ops->ctx, gpa, in->opsize, src);
		if (!err)
			x86_set_reg(&r, in->reg, in->reg_high8, in->opsize, mem);
		break;
	case X86_OP_CMPXCHG:
		/* Compare the accumulator with the destination (flags as CMP
		 * acc, dest); equal: dest = src, else acc = dest, and the
		 * destination gets a write either way (Intel SDM Vol. 2A,
		 * CMPXCHG: the old value is written back on failure). */
		err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
		if (err)
			break;
		mem &= x86_mask(in->opsize);
		src = x86_get_reg(&r, in->reg, in->reg_high8, in->opsize);
		x86_alu(X86_OP_CMP, x86_get_reg(&r, REG_RAX, false, in->opsize), mem,
			in->opsize, &r.rflags);
		if (r.rflags & RFLAGS_ZF) {
			err = ops->mmio_write(ops->ctx, gpa, in->opsize, src);
		} else {
			err = ops->mmio_write(ops->ctx, gpa, in->opsize, mem);
			if (!err)
				x86_set_reg(&r, REG_RAX, false, in->opsize, mem);
		}
		break;
	case X86_OP_BT:
	case X86_OP_BTS:
	case X86_OP_BTR:
	case X86_OP_BTC:
		err = x86_emulate_bt(in, &r, gpa, ops);
		break;
	case X86_OP_SSE_LOAD:
	case X86_OP_SSE_STORE:
		err = x86_emulate_sse(in, gpa, ops);
		break;
	case X86_OP_ADD:
	case X86_OP_OR:
	case X86_OP_ADC:
	case X86_OP_SBB:
	case X86_OP_AND:
	case X86_OP_SUB:
	case X86_OP_XOR:
	case X86_OP_CMP:
	case X86_OP_TEST:
		err = ops->mmio_read(ops->ctx, gpa, in->opsize, &mem);
		if (err)
			break;
		if (in->has_imm)
			src = in->imm;
		else
			src = x86_get_reg(&r, in->reg, in->reg_high8, in->opsize);
		if (in->to_reg) {
			res = x86_alu(in->op, src, mem, in->opsize, &r.rflags);
			if (in->op != X86_OP_CMP)
				x86_set_reg(&r, in->reg, in->reg_high8, in->opsize, res);
		} else {
			res = x86_alu(in->op, mem, src, in->opsize, &r.rflags);
			if (in->op != X86_OP_CMP && in->op != X86_OP_TEST)
				err = ops->mmio_write(ops->ctx, gpa, in->opsize, res);
		}
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	r.rip = x86_next_rip(in, r.rip);
	*regs = r;
	return 0;
}
