/* Unit tests for the x86 decoder and emulator used on MMIO exits
 * (vmm/decode.c), over real instruction encodings.
 *
 * Every byte string written with ENC64 / ENC32 / ENC16 / ENCP16 carries its
 * AT&T assembly in a comment on the same line, and was checked against the
 * GNU assembler in that mode (.code64, .code32, .code16; ENC16 decodes in
 * real mode, ENCP16 in 16-bit protected mode). RAW64 marks the few byte
 * strings the assembler will not produce (hand-built invalid or
 * redundant-prefix forms); each says how it is built.
 *
 * The emulator runs against fakes: one 4 KiB device page at guest-physical
 * MMIO_BASE backed by an array, guest RAM at linear == physical 0..RAM_SIZE,
 * the device page also reachable at linear MMIO_BASE, and the linear page
 * HIGH_GLA (just under 4 GiB) mapped onto the device page, so 32-bit
 * wrap-around of string addresses can be seen. Every access is logged and
 * any one of them can be made to fail. The host CPU serves as the reference
 * for ALU results and flags. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/decode.h"
#include "lib/errno.h"

#define MMIO_BASE 0xd0000000ULL
#define MMIO_SIZE 0x1000u
#define RAM_SIZE  0x100000u
#define HIGH_GLA  0xfffff000ULL

#define ST (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)
#define CF RFLAGS_CF
#define PF RFLAGS_PF
#define AF RFLAGS_AF
#define ZF RFLAGS_ZF
#define SF RFLAGS_SF
#define OF RFLAGS_OF
/* Non-status RFLAGS bits the ALU must leave alone: reserved bit 1, IF. */
#define FB (0x2ULL | RFLAGS_IF)

/* ---- Byte strings ---- */

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, \
	(unsigned)sizeof((const uint8_t[]){ __VA_ARGS__ })
#define ENC64(...)  MODE_LONG64, BYTES(__VA_ARGS__)
#define ENC32(...)  MODE_PROT32, BYTES(__VA_ARGS__)
#define ENC16(...)  MODE_REAL, BYTES(__VA_ARGS__)
#define ENCP16(...) MODE_PROT16, BYTES(__VA_ARGS__)
#define RAW64(...)  MODE_LONG64, BYTES(__VA_ARGS__)

static const char *hex(const uint8_t *b, unsigned n)
{
	static char buf[3 * 32 + 1];
	unsigned i;

	buf[0] = 0;
	for (i = 0; i < n && i < 32; i++)
		snprintf(buf + 3 * i, 4, "%02x ", b[i]);
	return buf;
}

/* ---- Fake guest: device page, RAM, translation, segments ---- */

static uint8_t mmio[MMIO_SIZE];
static uint8_t ram[RAM_SIZE];

enum acc_kind { MMIO_R, MMIO_W, MEM_R, MEM_W };
struct acc {
	enum acc_kind kind;
	uint64_t addr;          /* gpa for MMIO_*, gla for MEM_* */
	unsigned size;
	uint64_t val;           /* value written, or value read before junk */
};

#define LOG_MAX 64
static struct acc acc_log[LOG_MAX];     /* the first LOG_MAX accesses */
static unsigned nacc;                   /* accesses attempted */
static unsigned nwrites_ok;             /* writes that took effect */
static unsigned fail_at;                /* 1-based access number to fail, 0 none */
static int fail_err;
static uint64_t read_junk;              /* put above the size in read results */
static uint64_t seg_bases[6];
static unsigned seg_calls;
static uint64_t xlate_fail_page;        /* linear page whose translation fails */
static unsigned nxlate;
static int fake_ctx;

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static uint64_t le_get(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void le_put(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Logs an access; returns the injected error if it is the one to fail. */
static int record(enum acc_kind kind, uint64_t addr, unsigned size, uint64_t val)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		fail_msg("access of %u bytes", size);
	if (nacc < LOG_MAX)
		acc_log[nacc] = (struct acc){ kind, addr, size, val };
	nacc++;
	return fail_at && nacc == fail_at ? fail_err : 0;
}

static bool in_mmio(uint64_t gpa, unsigned size)
{
	return gpa >= MMIO_BASE && gpa - MMIO_BASE <= MMIO_SIZE - size;
}

static bool in_ram(uint64_t gla, unsigned size)
{
	return gla <= RAM_SIZE - size;
}

static int f_mmio_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	uint64_t v;
	int err;

	assert_ptr_equal(ctx, &fake_ctx);
	if (!in_mmio(gpa, size))
		return -EFAULT;
	v = le_get(mmio + (gpa - MMIO_BASE), size);
	err = record(MMIO_R, gpa, size, v);
	if (err)
		return err;
	*val = v | (read_junk & ~size_mask(size));
	return 0;
}

static int f_mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	int err;

	assert_ptr_equal(ctx, &fake_ctx);
	if (!in_mmio(gpa, size))
		return -EFAULT;
	/* The interface promises zero-extended values. */
	if (val & ~size_mask(size))
		fail_msg("mmio write of %u bytes with value %#llx", size, (unsigned long long)val);
	err = record(MMIO_W, gpa, size, val);
	if (err)
		return err;
	le_put(mmio + (gpa - MMIO_BASE), size, val);
	nwrites_ok++;
	return 0;
}

static int f_mem_read(void *ctx, uint64_t gla, unsigned size, uint64_t *val)
{
	uint64_t v;
	int err;

	assert_ptr_equal(ctx, &fake_ctx);
	if (!in_ram(gla, size))
		return -EFAULT;
	v = le_get(ram + gla, size);
	err = record(MEM_R, gla, size, v);
	if (err)
		return err;
	*val = v | (read_junk & ~size_mask(size));
	return 0;
}

static int f_mem_write(void *ctx, uint64_t gla, unsigned size, uint64_t val)
{
	int err;

	assert_ptr_equal(ctx, &fake_ctx);
	if (!in_ram(gla, size))
		return -EFAULT;
	if (val & ~size_mask(size))
		fail_msg("memory write of %u bytes with value %#llx", size, (unsigned long long)val);
	err = record(MEM_W, gla, size, val);
	if (err)
		return err;
	le_put(ram + gla, size, val);
	nwrites_ok++;
	return 0;
}

static unsigned nxlate_writes;

static int f_gla_to_gpa(void *ctx, uint64_t gla, bool write, uint64_t *gpa)
{
	assert_ptr_equal(ctx, &fake_ctx);
	nxlate++;
	nxlate_writes += write;
	if (xlate_fail_page && (gla & ~0xfffULL) == xlate_fail_page)
		return -ENOENT;
	if (gla < RAM_SIZE || (gla >= MMIO_BASE && gla < MMIO_BASE + MMIO_SIZE))
		*gpa = gla;
	else if (gla >= HIGH_GLA && gla < HIGH_GLA + MMIO_SIZE)
		*gpa = MMIO_BASE + (gla - HIGH_GLA);
	else
		return -EFAULT;
	return 0;
}

static bool f_is_mmio(void *ctx, uint64_t gpa)
{
	assert_ptr_equal(ctx, &fake_ctx);
	return gpa >= MMIO_BASE && gpa < MMIO_BASE + MMIO_SIZE;
}

static uint64_t f_seg_base(void *ctx, int seg)
{
	assert_ptr_equal(ctx, &fake_ctx);
	if (seg < SEG_ES || seg > SEG_GS)
		fail_msg("seg_base(%d)", seg);
	seg_calls++;
	return seg_bases[seg];
}

static uint8_t xmm[16][16];

static int f_xmm_read(void *ctx, unsigned n, uint8_t val[16])
{
	assert_ptr_equal(ctx, &fake_ctx);
	assert_true(n < 16);
	memcpy(val, xmm[n], 16);
	return 0;
}

static int f_xmm_write(void *ctx, unsigned n, const uint8_t val[16])
{
	assert_ptr_equal(ctx, &fake_ctx);
	assert_true(n < 16);
	memcpy(xmm[n], val, 16);
	return 0;
}

static const struct x86_emu_ops fake_ops = {
	.mmio_read = f_mmio_read, .mmio_write = f_mmio_write,
	.mem_read = f_mem_read, .mem_write = f_mem_write,
	.gla_to_gpa = f_gla_to_gpa, .is_mmio = f_is_mmio,
	.seg_base = f_seg_base, .xmm_read = f_xmm_read, .xmm_write = f_xmm_write,
	.ctx = &fake_ctx,
};

static void reset_log(void)
{
	memset(acc_log, 0, sizeof(acc_log));
	nacc = 0;
	nwrites_ok = 0;
	nxlate = 0;
	seg_calls = 0;
}

static int setup(void **state)
{
	(void)state;
	memset(mmio, 0, sizeof(mmio));
	memset(ram, 0, sizeof(ram));
	memset(seg_bases, 0, sizeof(seg_bases));
	reset_log();
	fail_at = 0;
	fail_err = 0;
	read_junk = 0;
	xlate_fail_page = 0;
	return 0;
}

/* ---- Helpers ---- */

static void decode_ok(enum cpu_mode m, const uint8_t *b, unsigned n, struct x86_insn *in)
{
	int rc = x86_decode(b, n, m, in);

	if (rc)
		fail_msg("decode of %s(mode %d) returned %d", hex(b, n), m, rc);
	if (in->len != n)
		fail_msg("decode of %s(mode %d): length %u", hex(b, n), m, in->len);
	assert_int_equal(in->mode, m);
}

static int emulate(enum cpu_mode m, const uint8_t *b, unsigned n, struct guest_regs *r,
		   uint64_t gpa)
{
	struct x86_insn in;

	decode_ok(m, b, n, &in);
	return x86_emulate(&in, r, m, gpa, &fake_ops);
}

static uint64_t gla_of(enum cpu_mode m, const uint8_t *b, unsigned n,
		       const struct guest_regs *r)
{
	struct x86_insn in;

	decode_ok(m, b, n, &in);
	return x86_operand_gla(&in, r, &fake_ops);
}

static void regs_fill(struct guest_regs *r)
{
	for (int i = 0; i < REG_NGPR; i++)
		r->gpr[i] = 0xa5a5a5a500000000ULL | (uint64_t)(i + 1) * 0x01010101ULL;
	r->rip = 0x401000;
	r->rflags = FB;
}

static void assert_regs(const struct guest_regs *got, const struct guest_regs *want)
{
	for (int i = 0; i < REG_NGPR; i++)
		if (got->gpr[i] != want->gpr[i])
			fail_msg("gpr %d is %#llx, want %#llx", i,
				 (unsigned long long)got->gpr[i],
				 (unsigned long long)want->gpr[i]);
	if (got->rip != want->rip)
		fail_msg("rip is %#llx, want %#llx", (unsigned long long)got->rip,
			 (unsigned long long)want->rip);
	if (got->rflags != want->rflags)
		fail_msg("rflags is %#llx, want %#llx", (unsigned long long)got->rflags,
			 (unsigned long long)want->rflags);
}

static void expect_acc(unsigned i, enum acc_kind kind, uint64_t addr, unsigned size,
		       uint64_t val)
{
	if (i >= nacc || i >= LOG_MAX)
		fail_msg("access %u missing (%u made)", i, nacc);
	if (acc_log[i].kind != kind || acc_log[i].addr != addr || acc_log[i].size != size ||
	    acc_log[i].val != val)
		fail_msg("access %u is kind %d at %#llx size %u value %#llx, want kind %d at "
			 "%#llx size %u value %#llx", i, acc_log[i].kind,
			 (unsigned long long)acc_log[i].addr, acc_log[i].size,
			 (unsigned long long)acc_log[i].val, kind, (unsigned long long)addr,
			 size, (unsigned long long)val);
}

static uint64_t next_rip(enum cpu_mode m, uint64_t rip, unsigned len)
{
	rip += len;
	if (m == MODE_LONG64)
		return rip;
	if (m == MODE_PROT32)
		return rip & 0xffffffffULL;
	return rip & 0xffff;
}

/* The host CPU as the reference for ALU results and flags. PUSHF goes below
 * the 128-byte red zone, where the compiler may keep locals. */
#define HW_ALU(insn, mod)                                                    \
	__asm__ volatile(insn " %" mod "[b], %" mod "[a]\n\t"                \
			 "lea -128(%%rsp), %%rsp\n\t"                         \
			 "pushfq\n\t"                                         \
			 "popq %[f]\n\t"                                      \
			 "lea 128(%%rsp), %%rsp"                              \
			 : [a] "+r"(a), [f] "=r"(f) : [b] "r"(b) : "cc", "memory")
#define HW_SIZES(insn)                                                       \
	do {                                                                 \
		switch (size) {                                              \
		case 1: HW_ALU(insn "b", "b"); break;                        \
		case 2: HW_ALU(insn "w", "w"); break;                        \
		case 4: HW_ALU(insn "l", "k"); break;                        \
		default: HW_ALU(insn "q", "q"); break;                       \
		}                                                            \
	} while (0)

/* a op b on size bytes; *flags gets the status flags, with AF dropped for
 * the logical ops (undefined there). */
static uint64_t hw_alu(enum x86_op op, unsigned size, uint64_t a, uint64_t b, uint64_t *flags)
{
	uint64_t f = 0, st = ST;

	switch (op) {
	case X86_OP_ADD: HW_SIZES("add"); break;
	case X86_OP_SUB: HW_SIZES("sub"); break;
	case X86_OP_CMP: HW_SIZES("cmp"); break;
	case X86_OP_AND: HW_SIZES("and"); st &= ~AF; break;
	case X86_OP_OR:  HW_SIZES("or");  st &= ~AF; break;
	case X86_OP_XOR: HW_SIZES("xor"); st &= ~AF; break;
	case X86_OP_TEST: HW_SIZES("test"); st &= ~AF; break;
	default: fail_msg("hw_alu(%d)", op);
	}
	*flags = f & st;
	return a & size_mask(size);
}

static bool is_alu(enum x86_op op)
{
	return (op >= X86_OP_ADD && op <= X86_OP_TEST) || op == X86_OP_ADC || op == X86_OP_SBB;
}

/* Ops with no register operand besides memory. */
static bool no_reg_operand(enum x86_op op)
{
	return op == X86_OP_INC || op == X86_OP_DEC || op == X86_OP_NOT || op == X86_OP_NEG ||
	       op == X86_OP_SSE_LOAD || op == X86_OP_SSE_STORE;
}

static bool is_sse(enum x86_op op)
{
	return op == X86_OP_SSE_LOAD || op == X86_OP_SSE_STORE;
}

/* Read-modify-write forms, the ones LOCK may prefix. */
static bool is_rmw(enum x86_op op)
{
	switch (op) {
	case X86_OP_ADD: case X86_OP_OR: case X86_OP_AND: case X86_OP_SUB: case X86_OP_XOR:
	case X86_OP_ADC: case X86_OP_SBB: case X86_OP_INC: case X86_OP_DEC: case X86_OP_NOT:
	case X86_OP_NEG: case X86_OP_XCHG: case X86_OP_XADD: case X86_OP_CMPXCHG: case X86_OP_BTS:
	case X86_OP_BTR: case X86_OP_BTC:
		return true;
	default:
		return false;
	}
}

static bool is_logic(enum x86_op op)
{
	return op == X86_OP_AND || op == X86_OP_OR || op == X86_OP_XOR || op == X86_OP_TEST;
}

/* ---- Decoding: a table of encodings and what they decode to ---- */

#define NOREG X86_REG_NONE
#define BRIP  X86_BASE_RIP
#define OPS(o, os, rs, as) .op = X86_OP_##o, .opsize = (os), .regsize = (rs), .addrsize = (as)
#define REG(r)  .reg = (r)
#define REGH(r) .reg = (r), .high8 = true
#define MEM(b, i, s, d) .base = (b), .index = (i), .scale = (s), .disp = (d)
#define IMM(v)  .has_imm = true, .imm = (v)
#define SEGO(s) .seg = (uint8_t)((s) + 1)

struct dcase {
	enum cpu_mode mode;
	const uint8_t *b;
	unsigned n;
	enum x86_op op;
	uint8_t opsize, regsize, addrsize;
	int reg;
	bool high8, to_reg;
	int base, index;
	uint8_t scale;
	int64_t disp;
	bool has_imm;
	uint64_t imm;
	bool moffs, lock;
	uint8_t rep;
	uint8_t seg;            /* SEG_* + 1, 0 for SEG_NONE */
};

static const struct dcase dcases[] = {
	/* MOV in every size, both directions. */
	{ ENC64(0x88, 0x03),                    /* mov %al,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x66, 0x89, 0x03),              /* mov %ax,(%rbx) */
	  OPS(MOV_STORE, 2, 2, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x89, 0x03),                    /* mov %eax,(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x48, 0x89, 0x03),              /* mov %rax,(%rbx) */
	  OPS(MOV_STORE, 8, 8, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x8a, 0x0b),                    /* mov (%rbx),%cl */
	  OPS(MOV_LOAD, 1, 1, 8), REG(REG_RCX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x66, 0x8b, 0x0b),              /* mov (%rbx),%cx */
	  OPS(MOV_LOAD, 2, 2, 8), REG(REG_RCX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x8b, 0x0b),                    /* mov (%rbx),%ecx */
	  OPS(MOV_LOAD, 4, 4, 8), REG(REG_RCX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x48, 0x8b, 0x0b),              /* mov (%rbx),%rcx */
	  OPS(MOV_LOAD, 8, 8, 8), REG(REG_RCX), MEM(REG_RBX, NOREG, 1, 0) },
	/* High-8 registers without REX, their REX replacements with it. */
	{ ENC64(0x88, 0x23),                    /* mov %ah,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REGH(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x88, 0x2b),                    /* mov %ch,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REGH(REG_RCX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x8a, 0x33),                    /* mov (%rbx),%dh */
	  OPS(MOV_LOAD, 1, 1, 8), REGH(REG_RDX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x8a, 0x3b),                    /* mov (%rbx),%bh */
	  OPS(MOV_LOAD, 1, 1, 8), REGH(REG_RBX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x40, 0x88, 0x23),              /* mov %spl,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REG(REG_RSP), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x40, 0x88, 0x2b),              /* mov %bpl,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REG(REG_RBP), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x40, 0x88, 0x33),              /* mov %sil,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REG(REG_RSI), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x40, 0x8a, 0x3b),              /* mov (%rbx),%dil */
	  OPS(MOV_LOAD, 1, 1, 8), REG(REG_RDI), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x44, 0x88, 0x03),              /* mov %r8b,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REG(REG_R8), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x44, 0x88, 0x23),              /* mov %r12b,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REG(REG_R12), MEM(REG_RBX, NOREG, 1, 0) },
	/* A REX prefix followed by a legacy prefix is ignored: AH again. */
	{ ENC64(0x40, 0x3e, 0x88, 0x23),        /* .byte 0x40, 0x3e; mov %ah,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REGH(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x48, 0x66, 0x89, 0x03),        /* .byte 0x48; mov %ax,(%rbx) */
	  OPS(MOV_STORE, 2, 2, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x66, 0x48, 0x89, 0x03),        /* .byte 0x66; mov %rax,(%rbx) */
	  OPS(MOV_STORE, 8, 8, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	/* REX.R, REX.B, REX.X. */
	{ ENC64(0x45, 0x89, 0x0a),              /* mov %r9d,(%r10) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_R9), MEM(REG_R10, NOREG, 1, 0) },
	{ ENC64(0x4f, 0x8b, 0x24, 0x98),        /* mov (%r8,%r11,4),%r12 */
	  OPS(MOV_LOAD, 8, 8, 8), REG(REG_R12), MEM(REG_R8, REG_R11, 4, 0) },
	{ ENC64(0x42, 0x89, 0x04, 0x23),        /* mov %eax,(%rbx,%r12,1) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, REG_R12, 1, 0) },
	{ ENC64(0x41, 0x89, 0x04, 0x24),        /* mov %eax,(%r12) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_R12, NOREG, 1, 0) },
	{ ENC64(0x41, 0x89, 0x45, 0x00),        /* mov %eax,(%r13) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_R13, NOREG, 1, 0) },
	{ ENC64(0x41, 0x89, 0x44, 0x45, 0x10),  /* mov %eax,0x10(%r13,%rax,2) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_R13, REG_RAX, 2, 0x10) },
	/* SIB base 101 with mod 00 is disp32 and no base, REX.B or not. */
	{ ENC64(0x41, 0x89, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00), /* .byte 0x41; mov %eax,0x10 */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0x10) },
	{ ENC64(0x89, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00), /* mov %eax,0x10 */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0x10) },
	{ ENC64(0x89, 0x04, 0x05, 0x10, 0x00, 0x00, 0x00), /* mov %eax,0x10(,%rax,1) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(NOREG, REG_RAX, 1, 0x10) },
	/* SIB index 100 without REX.X: no index (mov %eax,(%rax,%riz,1),
	 * which this gas does not take; ModRM 04, SIB 00 100 000). */
	{ RAW64(0x89, 0x04, 0x20),
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RAX, NOREG, 1, 0) },
	{ ENC64(0x89, 0x45, 0x00),              /* mov %eax,0x0(%rbp) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBP, NOREG, 1, 0) },
	{ ENC64(0x89, 0x04, 0x24),              /* mov %eax,(%rsp) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RSP, NOREG, 1, 0) },
	{ ENC64(0x89, 0x44, 0xcb, 0x12),        /* mov %eax,0x12(%rbx,%rcx,8) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, REG_RCX, 8, 0x12) },
	{ ENC64(0x89, 0x04, 0x4d, 0x78, 0x56, 0x34, 0x12), /* mov %eax,0x12345678(,%rcx,2) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(NOREG, REG_RCX, 2, 0x12345678) },
	/* disp8 and disp32, both sign-extended. */
	{ ENC64(0x89, 0x83, 0x00, 0x10, 0x00, 0x00), /* mov %eax,0x1000(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0x1000) },
	{ ENC64(0x89, 0x43, 0x80),              /* mov %eax,-0x80(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, -0x80) },
	{ ENC64(0x89, 0x83, 0x00, 0xf0, 0xff, 0xff), /* mov %eax,-0x1000(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, -0x1000) },
	/* RIP-relative; with 67 it is EIP-relative. */
	{ ENC64(0x89, 0x05, 0x00, 0x01, 0x00, 0x00), /* mov %eax,0x100(%rip) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(BRIP, NOREG, 1, 0x100) },
	{ ENC64(0x67, 0x89, 0x05, 0x10, 0x00, 0x00, 0x00), /* mov %eax,0x10(%eip) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(BRIP, NOREG, 1, 0x10) },
	{ ENC64(0x67, 0x89, 0x03),              /* mov %eax,(%ebx) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x67, 0x66, 0x89, 0x03),        /* mov %ax,(%ebx) */
	  OPS(MOV_STORE, 2, 2, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	/* MOV immediate. */
	{ ENC64(0xc6, 0x03, 0x12),              /* movb $0x12,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x12) },
	{ ENC64(0xc6, 0x03, 0x80),              /* movb $0x80,(%rbx) */
	  OPS(MOV_STORE, 1, 1, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x80) },
	{ ENC64(0x66, 0xc7, 0x03, 0x34, 0x12),  /* movw $0x1234,(%rbx) */
	  OPS(MOV_STORE, 2, 2, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x1234) },
	{ ENC64(0xc7, 0x03, 0xef, 0xcd, 0xab, 0x89), /* movl $0x89abcdef,(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x89abcdef) },
	{ ENC64(0x48, 0xc7, 0x03, 0xfe, 0xff, 0xff, 0xff), /* movq $-2,(%rbx) */
	  OPS(MOV_STORE, 8, 8, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0),
	  IMM(0xfffffffffffffffeULL) },
	{ ENC64(0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0x7f), /* movq $0x7fffffff,(%rbx) */
	  OPS(MOV_STORE, 8, 8, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x7fffffff) },
	{ ENC64(0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11), /* movl $0x11223344,0x100(%rip) */
	  OPS(MOV_STORE, 4, 4, 8), REG(NOREG), MEM(BRIP, NOREG, 1, 0x100), IMM(0x11223344) },
	/* moffs: address-size wide, not sign-extended. */
	{ ENC64(0xa0, 0x10, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs 0xd0000010,%al */
	  OPS(MOV_LOAD, 1, 1, 8), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0xd0000010), .moffs = true },
	{ ENC64(0xa1, 0x10, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs 0xd0000010,%eax */
	  OPS(MOV_LOAD, 4, 4, 8), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0xd0000010), .moffs = true },
	{ ENC64(0x66, 0xa3, 0x10, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs %ax,0xd0000010 */
	  OPS(MOV_STORE, 2, 2, 8), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0xd0000010), .moffs = true },
	{ ENC64(0x48, 0xa3, 0x10, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs %rax,0xd0000010 */
	  OPS(MOV_STORE, 8, 8, 8), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0xd0000010), .moffs = true },
	{ ENC64(0xa2, 0x10, 0x00, 0x00, 0xd0, 0xff, 0xff, 0xff, 0xff), /* movabs %al,0xffffffffd0000010 */
	  OPS(MOV_STORE, 1, 1, 8), REG(REG_RAX), MEM(NOREG, NOREG, 1, (int64_t)0xffffffffd0000010ULL),
	  .moffs = true },
	{ ENC64(0x67, 0xa3, 0x10, 0x00, 0x00, 0xd0), /* addr32 movabs %eax,0xd0000010 */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0xd0000010), .moffs = true },
	/* MOVZX, MOVSX, MOVSXD. */
	{ ENC64(0x0f, 0xb6, 0x03),              /* movzbl (%rbx),%eax */
	  OPS(MOVZX, 1, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x0f, 0xb7, 0x03),              /* movzwl (%rbx),%eax */
	  OPS(MOVZX, 2, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x48, 0x0f, 0xb6, 0x03),        /* movzbq (%rbx),%rax */
	  OPS(MOVZX, 1, 8, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x4c, 0x0f, 0xb7, 0x0b),        /* movzwq (%rbx),%r9 */
	  OPS(MOVZX, 2, 8, 8), REG(REG_R9), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x66, 0x0f, 0xb6, 0x03),        /* movzbw (%rbx),%ax */
	  OPS(MOVZX, 1, 2, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	/* Register field 110 with a 32-bit destination is ESI, not DH. */
	{ ENC64(0x0f, 0xbe, 0x33),              /* movsbl (%rbx),%esi */
	  OPS(MOVSX, 1, 4, 8), REG(REG_RSI), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x0f, 0xbf, 0x03),              /* movswl (%rbx),%eax */
	  OPS(MOVSX, 2, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x48, 0x0f, 0xbe, 0x03),        /* movsbq (%rbx),%rax */
	  OPS(MOVSX, 1, 8, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x48, 0x0f, 0xbf, 0x03),        /* movswq (%rbx),%rax */
	  OPS(MOVSX, 2, 8, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x66, 0x0f, 0xbe, 0x03),        /* movsbw (%rbx),%ax */
	  OPS(MOVSX, 1, 2, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x48, 0x63, 0x03),              /* movslq (%rbx),%rax */
	  OPS(MOVSX, 4, 8, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x63, 0x03),                    /* movsxd (%rbx),%eax */
	  OPS(MOVSX, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x66, 0x63, 0x03),              /* movsxd (%rbx),%ax */
	  OPS(MOVSX, 2, 2, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	/* MOVZX r16, r/m16 (66 0F B7 /r; gas has no spelling for it). */
	{ RAW64(0x66, 0x0f, 0xb7, 0x03),
	  OPS(MOVZX, 2, 2, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x4c, 0x63, 0x05, 0x10, 0x00, 0x00, 0x00), /* movslq 0x10(%rip),%r8 */
	  OPS(MOVSX, 4, 8, 8), REG(REG_R8), MEM(BRIP, NOREG, 1, 0x10) },
	/* STOS and MOVS. */
	{ ENC64(0xaa),                          /* stos %al,%es:(%rdi) */
	  OPS(STOS, 1, 1, 8), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES) },
	{ ENC64(0xab),                          /* stos %eax,%es:(%rdi) */
	  OPS(STOS, 4, 4, 8), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES) },
	{ ENC64(0x66, 0xab),                    /* stos %ax,%es:(%rdi) */
	  OPS(STOS, 2, 2, 8), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES) },
	{ ENC64(0x48, 0xab),                    /* stos %rax,%es:(%rdi) */
	  OPS(STOS, 8, 8, 8), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES) },
	{ ENC64(0xf3, 0xaa),                    /* rep stos %al,%es:(%rdi) */
	  OPS(STOS, 1, 1, 8), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES), .rep = 0xf3 },
	{ ENC64(0xf2, 0xab),                    /* repnz stos %eax,%es:(%rdi) */
	  OPS(STOS, 4, 4, 8), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES), .rep = 0xf2 },
	{ ENC64(0xf2, 0xf3, 0xaa),              /* .byte 0xf2; rep stosb */
	  OPS(STOS, 1, 1, 8), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES), .rep = 0xf3 },
	{ ENC64(0x67, 0xf3, 0xaa),              /* rep stos %al,%es:(%edi) */
	  OPS(STOS, 1, 1, 4), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES), .rep = 0xf3 },
	/* A segment override does not move STOS off ES. */
	{ ENC64(0x64, 0xaa),                    /* .byte 0x64; stosb */
	  OPS(STOS, 1, 1, 8), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES) },
	{ ENC64(0xa4),                          /* movsb */
	  OPS(MOVS, 1, 1, 8), REG(NOREG), MEM(REG_RSI, NOREG, 1, 0) },
	{ ENC64(0xa5),                          /* movsl */
	  OPS(MOVS, 4, 4, 8), REG(NOREG), MEM(REG_RSI, NOREG, 1, 0) },
	{ ENC64(0x66, 0xa5),                    /* movsw */
	  OPS(MOVS, 2, 2, 8), REG(NOREG), MEM(REG_RSI, NOREG, 1, 0) },
	{ ENC64(0x48, 0xa5),                    /* movsq */
	  OPS(MOVS, 8, 8, 8), REG(NOREG), MEM(REG_RSI, NOREG, 1, 0) },
	{ ENC64(0x64, 0xf3, 0xa5),              /* rep movsl %fs:(%rsi),%es:(%rdi) */
	  OPS(MOVS, 4, 4, 8), REG(NOREG), MEM(REG_RSI, NOREG, 1, 0), SEGO(SEG_FS), .rep = 0xf3 },
	{ ENC64(0x67, 0xf3, 0xa4),              /* addr32 rep movsb */
	  OPS(MOVS, 1, 1, 4), REG(NOREG), MEM(REG_RSI, NOREG, 1, 0), .rep = 0xf3 },
	/* ALU, memory operand on either side. */
	{ ENC64(0x00, 0x03),                    /* add %al,(%rbx) */
	  OPS(ADD, 1, 1, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x01, 0x03),                    /* add %eax,(%rbx) */
	  OPS(ADD, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x02, 0x0b),                    /* add (%rbx),%cl */
	  OPS(ADD, 1, 1, 8), REG(REG_RCX), MEM(REG_RBX, NOREG, 1, 0), .to_reg = true },
	{ ENC64(0x48, 0x03, 0x0b),              /* add (%rbx),%rcx */
	  OPS(ADD, 8, 8, 8), REG(REG_RCX), MEM(REG_RBX, NOREG, 1, 0), .to_reg = true },
	{ ENC64(0x66, 0x09, 0x13),              /* or %dx,(%rbx) */
	  OPS(OR, 2, 2, 8), REG(REG_RDX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x0a, 0x23),                    /* or (%rbx),%ah */
	  OPS(OR, 1, 1, 8), REGH(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), .to_reg = true },
	{ ENC64(0x4c, 0x21, 0x13),              /* and %r10,(%rbx) */
	  OPS(AND, 8, 8, 8), REG(REG_R10), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x23, 0x33),                    /* and (%rbx),%esi */
	  OPS(AND, 4, 4, 8), REG(REG_RSI), MEM(REG_RBX, NOREG, 1, 0), .to_reg = true },
	{ ENC64(0x28, 0x3b),                    /* sub %bh,(%rbx) */
	  OPS(SUB, 1, 1, 8), REGH(REG_RBX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x2b, 0x03),                    /* sub (%rbx),%eax */
	  OPS(SUB, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), .to_reg = true },
	{ ENC64(0x31, 0x03),                    /* xor %eax,(%rbx) */
	  OPS(XOR, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x44, 0x33, 0x1b),              /* xor (%rbx),%r11d */
	  OPS(XOR, 4, 4, 8), REG(REG_R11), MEM(REG_RBX, NOREG, 1, 0), .to_reg = true },
	{ ENC64(0x38, 0x03),                    /* cmp %al,(%rbx) */
	  OPS(CMP, 1, 1, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x3b, 0x03),                    /* cmp (%rbx),%eax */
	  OPS(CMP, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), .to_reg = true },
	/* Group 1: 80 imm8, 81 imm16/32, 83 imm8 sign-extended. */
	{ ENC64(0x80, 0x03, 0x7f),              /* addb $0x7f,(%rbx) */
	  OPS(ADD, 1, 1, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x7f) },
	{ ENC64(0x81, 0x0b, 0x78, 0x56, 0x34, 0x12), /* orl $0x12345678,(%rbx) */
	  OPS(OR, 4, 4, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x12345678) },
	{ ENC64(0x66, 0x83, 0x23, 0xf0),        /* andw $0xfff0,(%rbx) */
	  OPS(AND, 2, 2, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0xfff0) },
	{ ENC64(0x48, 0x83, 0x2b, 0xff),        /* subq $-1,(%rbx) */
	  OPS(SUB, 8, 8, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(~0ULL) },
	{ ENC64(0x81, 0x33, 0x00, 0x00, 0x00, 0x80), /* xorl $0x80000000,(%rbx) */
	  OPS(XOR, 4, 4, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x80000000) },
	{ ENC64(0x48, 0x81, 0x3b, 0x00, 0x00, 0x00, 0x80), /* cmpq $-0x80000000,(%rbx) */
	  OPS(CMP, 8, 8, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0xffffffff80000000ULL) },
	{ ENC64(0x80, 0x3b, 0x80),              /* cmpb $0x80,(%rbx) */
	  OPS(CMP, 1, 1, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x80) },
	{ ENC64(0x66, 0x81, 0x03, 0x34, 0x12),  /* addw $0x1234,(%rbx) */
	  OPS(ADD, 2, 2, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x1234) },
	{ ENC64(0x83, 0x64, 0x8b, 0x08, 0xfe),  /* andl $-2,0x8(%rbx,%rcx,4) */
	  OPS(AND, 4, 4, 8), REG(NOREG), MEM(REG_RBX, REG_RCX, 4, 8), IMM(0xfffffffe) },
	/* LOCK on read-modify-write forms with a memory destination. */
	{ ENC64(0xf0, 0x83, 0x03, 0x01),        /* lock addl $1,(%rbx) */
	  OPS(ADD, 4, 4, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(1), .lock = true },
	{ ENC64(0xf0, 0x01, 0x03),              /* lock add %eax,(%rbx) */
	  OPS(ADD, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), .lock = true },
	{ ENC64(0xf0, 0x30, 0x03),              /* lock xor %al,(%rbx) */
	  OPS(XOR, 1, 1, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), .lock = true },
	{ ENC64(0x64, 0x67, 0xf0, 0x48, 0x81, 0x84, 0xcb, 0x78, 0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12), /* lock addq $0x12345678,%fs:0x12345678(%ebx,%ecx,8) */
	  OPS(ADD, 8, 8, 4), REG(NOREG), MEM(REG_RBX, REG_RCX, 8, 0x12345678), IMM(0x12345678),
	  .lock = true, SEGO(SEG_FS) },
	/* TEST. */
	{ ENC64(0x84, 0x03),                    /* test %al,(%rbx) */
	  OPS(TEST, 1, 1, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x85, 0x0b),                    /* test %ecx,(%rbx) */
	  OPS(TEST, 4, 4, 8), REG(REG_RCX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x4c, 0x85, 0x0b),              /* test %r9,(%rbx) */
	  OPS(TEST, 8, 8, 8), REG(REG_R9), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x84, 0x23),                    /* test %ah,(%rbx) */
	  OPS(TEST, 1, 1, 8), REGH(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0xf6, 0x03, 0x80),              /* testb $0x80,(%rbx) */
	  OPS(TEST, 1, 1, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x80) },
	{ ENC64(0x66, 0xf7, 0x03, 0x00, 0x80),  /* testw $0x8000,(%rbx) */
	  OPS(TEST, 2, 2, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x8000) },
	{ ENC64(0xf7, 0x03, 0x00, 0x00, 0x01, 0x00), /* testl $0x10000,(%rbx) */
	  OPS(TEST, 4, 4, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x10000) },
	{ ENC64(0x48, 0xf7, 0x03, 0xff, 0xff, 0xff, 0xff), /* testq $-1,(%rbx) */
	  OPS(TEST, 8, 8, 8), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(~0ULL) },
	/* Segment overrides. In 64-bit mode ES CS SS DS are null prefixes:
	 * no override, and no cancelling an FS or GS before them. Of FS and
	 * GS, the last one counts. */
	{ ENC64(0x26, 0x89, 0x03),              /* mov %eax,%es:(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x2e, 0x89, 0x03),              /* mov %eax,%cs:(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x36, 0x89, 0x03),              /* mov %eax,%ss:(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x3e, 0x89, 0x03),              /* .byte 0x3e; mov %eax,(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC64(0x64, 0x89, 0x03),              /* mov %eax,%fs:(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), SEGO(SEG_FS) },
	{ ENC64(0x65, 0x89, 0x03),              /* mov %eax,%gs:(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), SEGO(SEG_GS) },
	{ ENC64(0x64, 0x65, 0x89, 0x03),        /* .byte 0x64, 0x65; mov %eax,(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), SEGO(SEG_GS) },
	{ ENC64(0x64, 0x26, 0x89, 0x03),        /* .byte 0x64, 0x26; mov %eax,(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), SEGO(SEG_FS) },
	{ ENC64(0x65, 0x3e, 0x89, 0x05, 0xfd, 0x69, 0xef, 0x33), /* .byte 0x65, 0x3e; mov %eax,0x33ef69fd(%rip) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(BRIP, NOREG, 1, 0x33ef69fd), SEGO(SEG_GS) },
	{ ENC64(0x2e, 0x64, 0x89, 0x03),        /* .byte 0x2e, 0x64; mov %eax,(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), SEGO(SEG_FS) },
	/* A REP prefix on MOV is recorded and harmless. */
	{ ENC64(0xf3, 0x89, 0x03),              /* .byte 0xf3; mov %eax,(%rbx) */
	  OPS(MOV_STORE, 4, 4, 8), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), .rep = 0xf3 },

	/* 32-bit protected mode. */
	{ ENC32(0x89, 0x03),                    /* mov %eax,(%ebx) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC32(0x66, 0x89, 0x03),              /* mov %ax,(%ebx) */
	  OPS(MOV_STORE, 2, 2, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC32(0x67, 0x89, 0x00),              /* addr16 mov %eax,(%bx,%si) */
	  OPS(MOV_STORE, 4, 4, 2), REG(REG_RAX), MEM(REG_RBX, REG_RSI, 1, 0) },
	/* disp32 alone is absolute outside 64-bit mode, not RIP-relative. */
	{ ENC32(0x89, 0x1d, 0x10, 0x00, 0x00, 0x00), /* mov %ebx,0x10 */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RBX), MEM(NOREG, NOREG, 1, 0x10) },
	{ ENC32(0xa1, 0x10, 0x00, 0x00, 0xd0),  /* mov 0xd0000010,%eax */
	  OPS(MOV_LOAD, 4, 4, 4), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0xd0000010), .moffs = true },
	{ ENC32(0x67, 0xa0, 0x34, 0x12),        /* addr16 mov 0x1234,%al */
	  OPS(MOV_LOAD, 1, 1, 2), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0x1234), .moffs = true },
	{ ENC32(0x89, 0x45, 0x10),              /* mov %eax,0x10(%ebp) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(REG_RBP, NOREG, 1, 0x10) },
	{ ENC32(0x89, 0x04, 0x28),              /* mov %eax,(%eax,%ebp,1) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(REG_RAX, REG_RBP, 1, 0) },
	{ ENC32(0x0f, 0xb6, 0x03),              /* movzbl (%ebx),%eax */
	  OPS(MOVZX, 1, 4, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC32(0xf3, 0xab),                    /* rep stos %eax,%es:(%edi) */
	  OPS(STOS, 4, 4, 4), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES), .rep = 0xf3 },
	{ ENC32(0x66, 0xf3, 0xa5),              /* rep movsw */
	  OPS(MOVS, 2, 2, 4), REG(NOREG), MEM(REG_RSI, NOREG, 1, 0), .rep = 0xf3 },
	{ ENC32(0x83, 0x03, 0x01),              /* addl $1,(%ebx) */
	  OPS(ADD, 4, 4, 4), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(1) },
	/* Outside 64-bit mode every segment override counts; the last wins. */
	{ ENC32(0x64, 0x26, 0x89, 0x03),        /* .byte 0x64, 0x26; mov %eax,(%ebx) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), SEGO(SEG_ES) },
	{ ENC32(0x3e, 0x89, 0x03),              /* .byte 0x3e; mov %eax,(%ebx) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), SEGO(SEG_DS) },
	{ ENC32(0x36, 0x89, 0x03),              /* mov %eax,%ss:(%ebx) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0), SEGO(SEG_SS) },

	/* Real mode: every 16-bit ModRM form. */
	{ ENC16(0x89, 0x00),                    /* mov %ax,(%bx,%si) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBX, REG_RSI, 1, 0) },
	{ ENC16(0x89, 0x01),                    /* mov %ax,(%bx,%di) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBX, REG_RDI, 1, 0) },
	{ ENC16(0x89, 0x02),                    /* mov %ax,(%bp,%si) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBP, REG_RSI, 1, 0) },
	{ ENC16(0x89, 0x03),                    /* mov %ax,(%bp,%di) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBP, REG_RDI, 1, 0) },
	{ ENC16(0x89, 0x04),                    /* mov %ax,(%si) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RSI, NOREG, 1, 0) },
	{ ENC16(0x89, 0x05),                    /* mov %ax,(%di) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0) },
	{ ENC16(0x89, 0x1e, 0x34, 0x12),        /* mov %bx,0x1234 */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RBX), MEM(NOREG, NOREG, 1, 0x1234) },
	{ ENC16(0x89, 0x07),                    /* mov %ax,(%bx) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC16(0x89, 0x40, 0x04),              /* mov %ax,4(%bx,%si) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBX, REG_RSI, 1, 4) },
	{ ENC16(0x89, 0x46, 0xfe),              /* mov %ax,-2(%bp) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBP, NOREG, 1, -2) },
	{ ENC16(0x89, 0x87, 0x34, 0x12),        /* mov %ax,0x1234(%bx) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0x1234) },
	{ ENC16(0x89, 0x85, 0x00, 0x80),        /* mov %ax,-0x8000(%di) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, -0x8000) },
	{ ENC16(0x66, 0x89, 0x07),              /* mov %eax,(%bx) */
	  OPS(MOV_STORE, 4, 4, 2), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC16(0x67, 0x89, 0x04, 0x88),        /* mov %ax,(%eax,%ecx,4) */
	  OPS(MOV_STORE, 2, 2, 4), REG(REG_RAX), MEM(REG_RAX, REG_RCX, 4, 0) },
	{ ENC16(0x67, 0x89, 0x1d, 0x10, 0x00, 0x00, 0x00), /* addr32 mov %bx,0x10 */
	  OPS(MOV_STORE, 2, 2, 4), REG(REG_RBX), MEM(NOREG, NOREG, 1, 0x10) },
	{ ENC16(0xa2, 0x34, 0x12),              /* mov %al,0x1234 */
	  OPS(MOV_STORE, 1, 1, 2), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0x1234), .moffs = true },
	{ ENC16(0xa1, 0x34, 0x12),              /* mov 0x1234,%ax */
	  OPS(MOV_LOAD, 2, 2, 2), REG(REG_RAX), MEM(NOREG, NOREG, 1, 0x1234), .moffs = true },
	{ ENC16(0xc6, 0x07, 0x12),              /* movb $0x12,(%bx) */
	  OPS(MOV_STORE, 1, 1, 2), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x12) },
	{ ENC16(0xc7, 0x07, 0x34, 0x12),        /* movw $0x1234,(%bx) */
	  OPS(MOV_STORE, 2, 2, 2), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x1234) },
	{ ENC16(0x66, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), /* movl $0x12345678,(%bx) */
	  OPS(MOV_STORE, 4, 4, 2), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0x12345678) },
	{ ENC16(0x83, 0x07, 0xff),              /* addw $-1,(%bx) */
	  OPS(ADD, 2, 2, 2), REG(NOREG), MEM(REG_RBX, NOREG, 1, 0), IMM(0xffff) },
	{ ENC16(0x0f, 0xb6, 0x07),              /* movzbw (%bx),%ax */
	  OPS(MOVZX, 1, 2, 2), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC16(0x66, 0x0f, 0xb6, 0x07),        /* movzbl (%bx),%eax */
	  OPS(MOVZX, 1, 4, 2), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
	{ ENC16(0xf3, 0xaa),                    /* rep stos %al,%es:(%di) */
	  OPS(STOS, 1, 1, 2), REG(REG_RAX), MEM(REG_RDI, NOREG, 1, 0), SEGO(SEG_ES), .rep = 0xf3 },
	{ ENC16(0x2e, 0xf3, 0xa5),              /* rep movsw %cs:(%si),%es:(%di) */
	  OPS(MOVS, 2, 2, 2), REG(NOREG), MEM(REG_RSI, NOREG, 1, 0), SEGO(SEG_CS), .rep = 0xf3 },
	{ ENCP16(0x89, 0x00),                   /* mov %ax,(%bx,%si) */
	  OPS(MOV_STORE, 2, 2, 2), REG(REG_RAX), MEM(REG_RBX, REG_RSI, 1, 0) },
	{ ENCP16(0x67, 0x66, 0x89, 0x03),       /* mov %eax,(%ebx) */
	  OPS(MOV_STORE, 4, 4, 4), REG(REG_RAX), MEM(REG_RBX, NOREG, 1, 0) },
};

static void check_dcase(const struct dcase *c, const struct x86_insn *in)
{
	const char *b = hex(c->b, c->n);

#define CHK(field, want) \
	do { \
		if ((int64_t)(in->field) != (int64_t)(want)) \
			fail_msg("%s(mode %d): " #field " is %lld, want %lld", b, c->mode, \
				 (long long)(in->field), (long long)(want)); \
	} while (0)
	CHK(len, c->n);
	CHK(op, c->op);
	CHK(mode, c->mode);
	CHK(opsize, c->opsize);
	CHK(regsize, c->regsize);
	CHK(addrsize, c->addrsize);
	CHK(reg, c->reg);
	CHK(reg_high8, c->high8);
	CHK(to_reg, c->to_reg);
	CHK(has_imm, c->has_imm);
	if (c->has_imm)
		CHK(imm, c->imm);
	CHK(moffs, c->moffs);
	CHK(lock, c->lock);
	CHK(rep, c->rep);
	CHK(seg, c->seg ? c->seg - 1 : SEG_NONE);
	CHK(base, c->base);
	CHK(index, c->index);
	if (c->index != NOREG)
		CHK(scale, c->scale);
	CHK(disp, c->disp);
#undef CHK
}

static void test_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		struct x86_insn in;
		int rc;

		memset(&in, 0xcc, sizeof(in));
		rc = x86_decode(dcases[i].b, dcases[i].n, dcases[i].mode, &in);
		if (rc)
			fail_msg("case %zu (%s): decode returned %d", i,
				 hex(dcases[i].b, dcases[i].n), rc);
		check_dcase(&dcases[i], &in);
	}
}

/* Bytes after the instruction change nothing. */
static void test_decode_trailing_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		uint8_t buf[X86_MAX_INSN + 8];
		struct x86_insn in;

		memset(buf, 0x90, sizeof(buf));
		memcpy(buf, dcases[i].b, dcases[i].n);
		assert_int_equal(x86_decode(buf, sizeof(buf), dcases[i].mode, &in), 0);
		check_dcase(&dcases[i], &in);
	}
}

/* Every proper prefix of a valid instruction asks for more bytes. The
 * prefix is copied to a buffer of exactly that size so that ASan catches a
 * read past the end. */
static void test_decode_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		for (unsigned k = 0; k < dcases[i].n; k++) {
			uint8_t *p = malloc(k ? k : 1);
			struct x86_insn in;
			int rc;

			assert_non_null(p);
			memcpy(p, dcases[i].b, k);
			rc = x86_decode(p, k, dcases[i].mode, &in);
			if (rc != -E2BIG)
				fail_msg("%s(mode %d) cut to %u bytes: %d", hex(dcases[i].b, dcases[i].n),
					 dcases[i].mode, k, rc);
			free(p);
		}
	}
	/* Nothing at all, in every mode. */
	for (int m = MODE_REAL; m <= MODE_LONG64; m++) {
		struct x86_insn in;

		assert_int_equal(x86_decode((const uint8_t *)"", 0, (enum cpu_mode)m, &in), -E2BIG);
	}
}

struct errcase {
	enum cpu_mode mode;
	const uint8_t *b;
	unsigned n;
	int rc;
};

static const struct errcase errcases[] = {
	/* Register-only ModRM: no memory operand, no MMIO fault possible. */
	{ ENC64(0x89, 0xc3), -EINVAL },                 /* mov %eax,%ebx */
	{ ENC64(0x8b, 0xc3), -EINVAL },                 /* mov.s %ebx,%eax */
	{ ENC64(0x88, 0xe0), -EINVAL },                 /* mov %ah,%al */
	{ ENC64(0x31, 0xc0), -EINVAL },                 /* xor %eax,%eax */
	{ ENC64(0x00, 0xc3), -EINVAL },                 /* add %al,%bl */
	{ ENC64(0x0f, 0xb6, 0xc0), -EINVAL },           /* movzbl %al,%eax */
	{ ENC64(0x48, 0x0f, 0xbf, 0xc1), -EINVAL },     /* movswq %cx,%rax */
	{ ENC64(0x48, 0x63, 0xc0), -EINVAL },           /* movslq %eax,%rax */
	{ ENC64(0x83, 0xc0, 0x01), -EINVAL },           /* add $1,%eax */
	{ ENC64(0x80, 0xfb, 0x01), -EINVAL },           /* cmp $1,%bl */
	{ ENC64(0x85, 0xc3), -EINVAL },                 /* test %eax,%ebx */
	{ ENC64(0xf6, 0xc3, 0x01), -EINVAL },           /* test $1,%bl */
	/* C7 /0 with a register r/m (the C7 form of mov $1,%eax, which gas
	 * writes as B8; ModRM C0). */
	{ RAW64(0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00), -EINVAL },
	/* Opcodes outside the list. */
	{ ENC64(0x04, 0x01), -EINVAL },                 /* add $1,%al */
	{ ENC64(0x05, 0x78, 0x56, 0x34, 0x12), -EINVAL }, /* add $0x12345678,%eax */
	{ ENC64(0x90), -EINVAL },                       /* nop */
	{ ENC64(0xf4), -EINVAL },                       /* hlt */
	{ ENC64(0x0f, 0x05), -EINVAL },                 /* syscall */
	{ ENC64(0x0f, 0x0b), -EINVAL },                 /* ud2 */
	{ ENC64(0xf7, 0x23), -EINVAL },                 /* mull (%rbx) */
	{ ENC64(0x48, 0xf7, 0x3b), -EINVAL },           /* idivq (%rbx) */
	{ ENC64(0x8d, 0x03), -EINVAL },                 /* lea (%rbx),%eax */
	{ ENC64(0x8c, 0x03), -EINVAL },                 /* mov %es,(%rbx) */
	{ ENC64(0x0f, 0x94, 0x03), -EINVAL },           /* sete (%rbx) */
	{ ENC64(0xff, 0x33), -EINVAL },                 /* push (%rbx) */
	{ ENC64(0x8f, 0x03), -EINVAL },                 /* pop (%rbx) */
	{ ENC64(0xd1, 0x23), -EINVAL },                 /* shll (%rbx) */
	{ ENC64(0xae), -EINVAL },                       /* scas %es:(%rdi),%al */
	{ ENC64(0xa6), -EINVAL },                       /* cmpsb %es:(%rdi),%ds:(%rsi) */
	{ ENC64(0x6c), -EINVAL },                       /* insb (%dx),%es:(%rdi) */
	{ ENC64(0xb8, 0x01, 0x00, 0x00, 0x00), -EINVAL }, /* mov $1,%eax */
	{ ENC64(0xc6, 0xf8, 0x01), -EINVAL },           /* xabort $1 */
	/* C6 /1 and F7 /1 (the undocumented TEST alias) with memory: ModRM
	 * 0B is mod 00, reg 001, r/m 011 = (%rbx). */
	{ RAW64(0xc6, 0x0b, 0x12), -EINVAL },
	{ RAW64(0xf7, 0x0b, 0x00, 0x00, 0x00, 0x00), -EINVAL },
	/* LOCK where it is not allowed (#UD). */
	{ ENC64(0xf0, 0x89, 0x03), -EINVAL },           /* .byte 0xf0; mov %eax,(%rbx) */
	{ ENC64(0xf0, 0x39, 0x03), -EINVAL },           /* .byte 0xf0; cmp %eax,(%rbx) */
	{ ENC64(0xf0, 0x83, 0x3b, 0x01), -EINVAL },     /* .byte 0xf0; cmpl $1,(%rbx) */
	{ ENC64(0xf0, 0x03, 0x03), -EINVAL },           /* .byte 0xf0; add (%rbx),%eax */
	{ ENC64(0xf0, 0x85, 0x03), -EINVAL },           /* .byte 0xf0; test %eax,(%rbx) */
	{ ENC64(0xf0, 0xf6, 0x03, 0x01), -EINVAL },     /* .byte 0xf0; testb $1,(%rbx) */
	{ ENC64(0xf0, 0x0f, 0xb6, 0x03), -EINVAL },     /* .byte 0xf0; movzbl (%rbx),%eax */
	{ ENC64(0xf0, 0xc7, 0x03, 0x01, 0x00, 0x00, 0x00), -EINVAL }, /* .byte 0xf0; movl $1,(%rbx) */
	{ ENC64(0xf0, 0xf3, 0xaa), -EINVAL },           /* .byte 0xf0; rep stosb */
	{ ENC64(0xf0, 0xa5), -EINVAL },                 /* .byte 0xf0; movsl */
	/* 40-4F are INC/DEC outside 64-bit mode; 63 is ARPL. */
	{ ENC32(0x40), -EINVAL },                       /* inc %eax */
	{ ENC32(0x48, 0x89, 0x03), -EINVAL },           /* dec %eax; mov %eax,(%ebx) */
	{ ENC32(0x63, 0x03), -EINVAL },                 /* arpl %ax,(%ebx) */
	{ ENC16(0x63, 0x07), -EINVAL },                 /* arpl %ax,(%bx) */
	/* Prefixes alone, and an escape alone, want more. */
	{ ENC64(0x66), -E2BIG },                        /* .byte 0x66 */
	{ ENC64(0xf3), -E2BIG },                        /* .byte 0xf3 */
	{ ENC64(0x48), -E2BIG },                        /* .byte 0x48 */
	{ ENC64(0x0f), -E2BIG },                        /* .byte 0x0f */
	{ ENC64(0x67, 0x64, 0xf0, 0x48), -E2BIG },      /* .byte 0x67, 0x64, 0xf0, 0x48 */
};

static void test_decode_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(errcases) / sizeof(errcases[0]); i++) {
		const struct errcase *c = &errcases[i];
		uint8_t *p = malloc(c->n);
		struct x86_insn in;
		int rc;

		assert_non_null(p);
		memcpy(p, c->b, c->n);
		rc = x86_decode(p, c->n, c->mode, &in);
		if (rc != c->rc)
			fail_msg("%s(mode %d): decode returned %d, want %d", hex(c->b, c->n),
				 c->mode, rc, c->rc);
		free(p);
	}
}

/* No instruction is longer than 15 bytes, prefixes included. */
static void test_decode_length_limit(void **state)
{
	uint8_t b[20];
	struct x86_insn in;
	/* lock addq $0x12345678,%fs:0x12345678(%ebx,%ecx,8): exactly 15. */
	static const uint8_t longest[] = {
		0x64, 0x67, 0xf0, 0x48, 0x81, 0x84, 0xcb, 0x78, 0x56, 0x34, 0x12,
		0x78, 0x56, 0x34, 0x12,
	};

	(void)state;
	/* 14 operand-size prefixes and MOVS (A5): 15 bytes, fine. */
	memset(b, 0x66, sizeof(b));
	b[14] = 0xa5;
	assert_int_equal(x86_decode(b, 15, MODE_LONG64, &in), 0);
	assert_int_equal(in.len, 15);
	assert_int_equal(in.op, X86_OP_MOVS);
	assert_int_equal(in.opsize, 2);
	/* 15 prefixes and MOVS: 16 bytes, #GP on hardware. */
	b[14] = 0x66;
	b[15] = 0xa5;
	assert_int_equal(x86_decode(b, 16, MODE_LONG64, &in), -EINVAL);
	/* 13 prefixes, MOV and ModRM: 15 bytes. */
	memset(b, 0x64, sizeof(b));
	b[13] = 0x89;
	b[14] = 0x03;
	assert_int_equal(x86_decode(b, 15, MODE_LONG64, &in), 0);
	assert_int_equal(in.len, 15);
	assert_int_equal(in.seg, SEG_FS);
	/* 14 prefixes, MOV and ModRM: 16 bytes; refused whether or not the
	 * 16th byte was supplied, as no more input can fix it. */
	memset(b, 0x3e, sizeof(b));
	b[14] = 0x89;
	b[15] = 0x03;
	assert_int_equal(x86_decode(b, 16, MODE_LONG64, &in), -EINVAL);
	assert_int_equal(x86_decode(b, 15, MODE_LONG64, &in), -EINVAL);
	/* A natural 15-byte instruction and the same with one more prefix. */
	assert_int_equal(x86_decode(longest, sizeof(longest), MODE_LONG64, &in), 0);
	assert_int_equal(in.len, 15);
	b[0] = 0x66;
	memcpy(b + 1, longest, sizeof(longest));
	assert_int_equal(x86_decode(b, 16, MODE_LONG64, &in), -EINVAL);
	assert_int_equal(x86_decode(b, 15, MODE_LONG64, &in), -EINVAL);
	/* Cut short before the opcode, it wants more bytes; cut after the
	 * displacement, it is already known to be too long. */
	assert_int_equal(x86_decode(b, 5, MODE_LONG64, &in), -E2BIG);
	assert_int_equal(x86_decode(b, 12, MODE_LONG64, &in), -EINVAL);
}

/* ---- Emulation of single accesses: MOV, MOVZX/MOVSX, ALU ---- */

#define E8 0xeeeeeeeeeeeeeeeeULL
#define RV 0x1122334455667788ULL

/* The memory operand is the device at MMIO_BASE + 0x100 in every case, and
 * the encodings address it through rBX (or moffs); reg is the register the
 * instruction names (RAX where it names none, to check it is unchanged). */
struct ecase {
	enum cpu_mode mode;
	const uint8_t *b;
	unsigned n;
	int reg;
	uint64_t reg_in, mem_in, flags_in;
	uint64_t reg_out, mem_out, flags_out;
	const char *acc;        /* device accesses in order, 'r' and 'w' */
};

static const struct ecase ecases[] = {
	/* MOV stores. */
	{ ENC64(0x88, 0x03),                    /* mov %al,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeeeeeeeee88ULL, FB, "w" },
	{ ENC64(0x66, 0x89, 0x03),              /* mov %ax,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeeeeeee7788ULL, FB, "w" },
	{ ENC64(0x89, 0x03),                    /* mov %eax,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeee55667788ULL, FB, "w" },
	{ ENC64(0x48, 0x89, 0x03),              /* mov %rax,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, RV, FB, "w" },
	{ ENC64(0x88, 0x23),                    /* mov %ah,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeeeeeeeee77ULL, FB, "w" },
	{ ENC64(0x40, 0x88, 0x33),              /* mov %sil,(%rbx) */
	  REG_RSI, 0x99aabbccddeeff01ULL, E8, FB, 0x99aabbccddeeff01ULL, 0xeeeeeeeeeeeeee01ULL, FB, "w" },
	{ ENC64(0x44, 0x88, 0x3b),              /* mov %r15b,(%rbx) */
	  REG_R15, 0x1234, E8, FB, 0x1234, 0xeeeeeeeeeeeeee34ULL, FB, "w" },
	{ ENC64(0x66, 0x44, 0x89, 0x0b),        /* mov %r9w,(%rbx) */
	  REG_R9, 0x1234567890abcdefULL, E8, FB, 0x1234567890abcdefULL, 0xeeeeeeeeeeeecdefULL, FB, "w" },
	/* MOV loads: 8- and 16-bit merge, 32-bit zero-extends. */
	{ ENC64(0x8a, 0x03),                    /* mov (%rbx),%al */
	  REG_RAX, RV, 0xeeeeeeeeeeeeeeabULL, FB, 0x11223344556677abULL, 0xeeeeeeeeeeeeeeabULL, FB, "r" },
	{ ENC64(0x8a, 0x23),                    /* mov (%rbx),%ah */
	  REG_RAX, RV, 0xeeeeeeeeeeeeeeabULL, FB, 0x112233445566ab88ULL, 0xeeeeeeeeeeeeeeabULL, FB, "r" },
	{ ENC64(0x66, 0x8b, 0x03),              /* mov (%rbx),%ax */
	  REG_RAX, RV, 0xeeeeeeeeeeeecdabULL, FB, 0x112233445566cdabULL, 0xeeeeeeeeeeeecdabULL, FB, "r" },
	{ ENC64(0x8b, 0x03),                    /* mov (%rbx),%eax */
	  REG_RAX, RV, 0xeeeeeeee89abcdefULL, FB, 0x89abcdefULL, 0xeeeeeeee89abcdefULL, FB, "r" },
	{ ENC64(0x48, 0x8b, 0x03),              /* mov (%rbx),%rax */
	  REG_RAX, RV, 0xfedcba9876543210ULL, FB, 0xfedcba9876543210ULL, 0xfedcba9876543210ULL, FB, "r" },
	{ ENC64(0x40, 0x8a, 0x3b),              /* mov (%rbx),%dil */
	  REG_RDI, RV, 0xeeeeeeeeeeeeeeabULL, FB, 0x11223344556677abULL, 0xeeeeeeeeeeeeeeabULL, FB, "r" },
	/* BH is bits 15:8 of the base register itself. */
	{ ENC64(0x8a, 0x3b),                    /* mov (%rbx),%bh */
	  REG_RBX, 0xd0000100ULL, 0xeeeeeeeeeeeeeeabULL, FB, 0xd000ab00ULL, 0xeeeeeeeeeeeeeeabULL, FB, "r" },
	{ ENC64(0x44, 0x8b, 0x03),              /* mov (%rbx),%r8d */
	  REG_R8, ~0ULL, 0xeeeeeeee00000001ULL, FB, 1, 0xeeeeeeee00000001ULL, FB, "r" },
	{ ENC64(0x66, 0x44, 0x8b, 0x0b),        /* mov (%rbx),%r9w */
	  REG_R9, 0x1111111111111111ULL, 0xeeeeeeeeeeeebeefULL, FB, 0x111111111111beefULL, 0xeeeeeeeeeeeebeefULL, FB, "r" },
	/* MOV immediate. */
	{ ENC64(0xc6, 0x03, 0x5a),              /* movb $0x5a,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeeeeeeeee5aULL, FB, "w" },
	{ ENC64(0x66, 0xc7, 0x03, 0x01, 0x80),  /* movw $0x8001,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeeeeeee8001ULL, FB, "w" },
	{ ENC64(0xc7, 0x03, 0xef, 0xcd, 0xab, 0x89), /* movl $0x89abcdef,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeee89abcdefULL, FB, "w" },
	{ ENC64(0x48, 0xc7, 0x03, 0xfe, 0xff, 0xff, 0xff), /* movq $-2,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0xfffffffffffffffeULL, FB, "w" },
	{ ENC64(0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0x7f), /* movq $0x7fffffff,(%rbx) */
	  REG_RAX, RV, E8, FB, RV, 0x7fffffffULL, FB, "w" },
	/* moffs. */
	{ ENC64(0xa1, 0x00, 0x01, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs 0xd0000100,%eax */
	  REG_RAX, RV, 0xeeeeeeee89abcdefULL, FB, 0x89abcdefULL, 0xeeeeeeee89abcdefULL, FB, "r" },
	{ ENC64(0x48, 0xa1, 0x00, 0x01, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs 0xd0000100,%rax */
	  REG_RAX, RV, 0xfedcba9876543210ULL, FB, 0xfedcba9876543210ULL, 0xfedcba9876543210ULL, FB, "r" },
	{ ENC64(0x66, 0xa1, 0x00, 0x01, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs 0xd0000100,%ax */
	  REG_RAX, RV, 0xeeeeeeee89abcdefULL, FB, 0x112233445566cdefULL, 0xeeeeeeee89abcdefULL, FB, "r" },
	{ ENC64(0xa2, 0x00, 0x01, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs %al,0xd0000100 */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeeeeeeeee88ULL, FB, "w" },
	{ ENC64(0x48, 0xa3, 0x00, 0x01, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), /* movabs %rax,0xd0000100 */
	  REG_RAX, RV, E8, FB, RV, RV, FB, "w" },
	/* MOVZX, MOVSX, MOVSXD. */
	{ ENC64(0x0f, 0xb6, 0x03),              /* movzbl (%rbx),%eax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee80ULL, FB, 0x80, 0xeeeeeeeeeeeeee80ULL, FB, "r" },
	{ ENC64(0x0f, 0xb7, 0x03),              /* movzwl (%rbx),%eax */
	  REG_RAX, RV, 0xeeeeeeeeeeee8001ULL, FB, 0x8001, 0xeeeeeeeeeeee8001ULL, FB, "r" },
	{ ENC64(0x48, 0x0f, 0xb6, 0x03),        /* movzbq (%rbx),%rax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeeeffULL, FB, 0xff, 0xeeeeeeeeeeeeeeffULL, FB, "r" },
	{ ENC64(0x48, 0x0f, 0xb7, 0x03),        /* movzwq (%rbx),%rax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeffffULL, FB, 0xffff, 0xeeeeeeeeeeeeffffULL, FB, "r" },
	{ ENC64(0x66, 0x0f, 0xb6, 0x03),        /* movzbw (%rbx),%ax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee80ULL, FB, 0x1122334455660080ULL, 0xeeeeeeeeeeeeee80ULL, FB, "r" },
	{ ENC64(0x0f, 0xbe, 0x03),              /* movsbl (%rbx),%eax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee80ULL, FB, 0xffffff80ULL, 0xeeeeeeeeeeeeee80ULL, FB, "r" },
	{ ENC64(0x0f, 0xbe, 0x03),              /* movsbl (%rbx),%eax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee7fULL, FB, 0x7f, 0xeeeeeeeeeeeeee7fULL, FB, "r" },
	{ ENC64(0x0f, 0xbf, 0x03),              /* movswl (%rbx),%eax */
	  REG_RAX, RV, 0xeeeeeeeeeeee8000ULL, FB, 0xffff8000ULL, 0xeeeeeeeeeeee8000ULL, FB, "r" },
	{ ENC64(0x0f, 0xbf, 0x03),              /* movswl (%rbx),%eax */
	  REG_RAX, RV, 0xeeeeeeeeeeee7fffULL, FB, 0x7fff, 0xeeeeeeeeeeee7fffULL, FB, "r" },
	{ ENC64(0x48, 0x0f, 0xbe, 0x03),        /* movsbq (%rbx),%rax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee80ULL, FB, 0xffffffffffffff80ULL, 0xeeeeeeeeeeeeee80ULL, FB, "r" },
	{ ENC64(0x48, 0x0f, 0xbf, 0x03),        /* movswq (%rbx),%rax */
	  REG_RAX, RV, 0xeeeeeeeeeeee8000ULL, FB, 0xffffffffffff8000ULL, 0xeeeeeeeeeeee8000ULL, FB, "r" },
	{ ENC64(0x66, 0x0f, 0xbe, 0x03),        /* movsbw (%rbx),%ax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee80ULL, FB, 0x112233445566ff80ULL, 0xeeeeeeeeeeeeee80ULL, FB, "r" },
	{ ENC64(0x48, 0x63, 0x03),              /* movslq (%rbx),%rax */
	  REG_RAX, RV, 0xeeeeeeee80000000ULL, FB, 0xffffffff80000000ULL, 0xeeeeeeee80000000ULL, FB, "r" },
	{ ENC64(0x48, 0x63, 0x03),              /* movslq (%rbx),%rax */
	  REG_RAX, RV, 0xeeeeeeee7fffffffULL, FB, 0x7fffffffULL, 0xeeeeeeee7fffffffULL, FB, "r" },
	{ ENC64(0x63, 0x03),                    /* movsxd (%rbx),%eax */
	  REG_RAX, RV, 0xeeeeeeee80000000ULL, FB, 0x80000000ULL, 0xeeeeeeee80000000ULL, FB, "r" },
	{ ENC64(0x66, 0x63, 0x03),              /* movsxd (%rbx),%ax */
	  REG_RAX, RV, 0xeeeeeeeeeeee8001ULL, FB, 0x1122334455668001ULL, 0xeeeeeeeeeeee8001ULL, FB, "r" },
	{ ENC64(0x0f, 0xb6, 0x33),              /* movzbl (%rbx),%esi */
	  REG_RSI, RV, 0xeeeeeeeeeeeeeeabULL, FB, 0xab, 0xeeeeeeeeeeeeeeabULL, FB, "r" },
	{ ENC64(0x4c, 0x0f, 0xbe, 0x13),        /* movsbq (%rbx),%r10 */
	  REG_R10, 0, 0xeeeeeeeeeeeeeefeULL, FB, 0xfffffffffffffffeULL, 0xeeeeeeeeeeeeeefeULL, FB, "r" },
	/* ALU with a register, both directions; flags on the edges. */
	{ ENC64(0x00, 0x03),                    /* add %al,(%rbx) */
	  REG_RAX, 0x1122334455667701ULL, 0xeeeeeeeeeeeeee7fULL, FB,
	  0x1122334455667701ULL, 0xeeeeeeeeeeeeee80ULL, FB | SF | OF | AF, "rw" },
	{ ENC64(0x00, 0x03),                    /* add %al,(%rbx) */
	  REG_RAX, 0x1122334455667701ULL, 0xeeeeeeeeeeeeeeffULL, FB,
	  0x1122334455667701ULL, 0xeeeeeeeeeeeeee00ULL, FB | CF | ZF | AF | PF, "rw" },
	{ ENC64(0x28, 0x03),                    /* sub %al,(%rbx) */
	  REG_RAX, 0x1122334455667701ULL, 0xeeeeeeeeeeeeee00ULL, FB,
	  0x1122334455667701ULL, 0xeeeeeeeeeeeeeeffULL, FB | CF | SF | AF | PF, "rw" },
	{ ENC64(0x28, 0x03),                    /* sub %al,(%rbx) */
	  REG_RAX, 0x1122334455667701ULL, 0xeeeeeeeeeeeeee80ULL, FB,
	  0x1122334455667701ULL, 0xeeeeeeeeeeeeee7fULL, FB | OF | AF, "rw" },
	{ ENC64(0x01, 0x03),                    /* add %eax,(%rbx) */
	  REG_RAX, 0x1122334400000001ULL, 0xeeeeeeeeffffffffULL, FB,
	  0x1122334400000001ULL, 0xeeeeeeee00000000ULL, FB | CF | ZF | AF | PF, "rw" },
	{ ENC64(0x66, 0x01, 0x03),              /* add %ax,(%rbx) */
	  REG_RAX, 0x1122334455660001ULL, 0xeeeeeeeeeeee7fffULL, FB,
	  0x1122334455660001ULL, 0xeeeeeeeeeeee8000ULL, FB | SF | OF | AF | PF, "rw" },
	{ ENC64(0x48, 0x01, 0x03),              /* add %rax,(%rbx) */
	  REG_RAX, 1, 0x7fffffffffffffffULL, FB,
	  1, 0x8000000000000000ULL, FB | SF | OF | AF | PF, "rw" },
	{ ENC64(0x48, 0x29, 0x03),              /* sub %rax,(%rbx) */
	  REG_RAX, 1, 0, FB, 1, ~0ULL, FB | CF | SF | AF | PF, "rw" },
	/* CMP and TEST read only and leave the destination alone. */
	{ ENC64(0x39, 0x03),                    /* cmp %eax,(%rbx) */
	  REG_RAX, 0x1122334400000007ULL, 0xeeeeeeee00000005ULL, FB | ZF | OF,
	  0x1122334400000007ULL, 0xeeeeeeee00000005ULL, FB | CF | SF | AF, "r" },
	{ ENC64(0x3b, 0x03),                    /* cmp (%rbx),%eax */
	  REG_RAX, 0x1122334400000007ULL, 0xeeeeeeee00000005ULL, FB | ST,
	  0x1122334400000007ULL, 0xeeeeeeee00000005ULL, FB, "r" },
	{ ENC64(0x38, 0x03),                    /* cmp %al,(%rbx) */
	  REG_RAX, 0x1122334455667742ULL, 0xeeeeeeeeeeeeee42ULL, FB,
	  0x1122334455667742ULL, 0xeeeeeeeeeeeeee42ULL, FB | ZF | PF, "r" },
	{ ENC64(0x85, 0x03),                    /* test %eax,(%rbx) */
	  REG_RAX, 0x1122334480000000ULL, 0xeeeeeeee80000000ULL, FB | CF | OF,
	  0x1122334480000000ULL, 0xeeeeeeee80000000ULL, FB | SF | PF, "r" },
	{ ENC64(0x84, 0x03),                    /* test %al,(%rbx) */
	  REG_RAX, 0x11223344556677f0ULL, 0xeeeeeeeeeeeeee0fULL, FB,
	  0x11223344556677f0ULL, 0xeeeeeeeeeeeeee0fULL, FB | ZF | PF, "r" },
	/* AND/OR/XOR clear CF and OF (and AF). */
	{ ENC64(0x21, 0x03),                    /* and %eax,(%rbx) */
	  REG_RAX, 0x112233440f0f0f0fULL, 0xeeeeeeeef0f0f0f0ULL, FB | ST,
	  0x112233440f0f0f0fULL, 0xeeeeeeee00000000ULL, FB | ZF | PF, "rw" },
	{ ENC64(0x20, 0x03),                    /* and %al,(%rbx) */
	  REG_RAX, 0x11223344556677ffULL, 0xeeeeeeeeeeeeee80ULL, FB | CF | OF | AF | ZF,
	  0x11223344556677ffULL, 0xeeeeeeeeeeeeee80ULL, FB | SF, "rw" },
	{ ENC64(0x08, 0x03),                    /* or %al,(%rbx) */
	  REG_RAX, 0x1122334455667702ULL, 0xeeeeeeeeeeeeee01ULL, FB | CF | OF,
	  0x1122334455667702ULL, 0xeeeeeeeeeeeeee03ULL, FB | PF, "rw" },
	{ ENC64(0x66, 0x31, 0x03),              /* xor %ax,(%rbx) */
	  REG_RAX, 0x112233445566ffffULL, 0xeeeeeeeeeeeeffffULL, FB,
	  0x112233445566ffffULL, 0xeeeeeeeeeeee0000ULL, FB | ZF | PF, "rw" },
	{ ENC64(0x48, 0x33, 0x03),              /* xor (%rbx),%rax */
	  REG_RAX, ~0ULL, 0x8000000000000001ULL, FB,
	  0x7ffffffffffffffeULL, 0x8000000000000001ULL, FB, "r" },
	/* Register destinations: 32-bit zero-extends, 8-bit merges. */
	{ ENC64(0x2b, 0x03),                    /* sub (%rbx),%eax */
	  REG_RAX, 0xdeadbeef00000010ULL, 0xeeeeeeee00000001ULL, FB,
	  0xf, 0xeeeeeeee00000001ULL, FB | AF | PF, "r" },
	{ ENC64(0x02, 0x03),                    /* add (%rbx),%al */
	  REG_RAX, 0x1122334455667780ULL, 0xeeeeeeeeeeeeee80ULL, FB,
	  0x1122334455667700ULL, 0xeeeeeeeeeeeeee80ULL, FB | CF | ZF | OF | PF, "r" },
	{ ENC64(0x0b, 0x03),                    /* or (%rbx),%eax */
	  REG_RAX, 0xffffffff00000001ULL, 0xeeeeeeee80000000ULL, FB,
	  0x80000001ULL, 0xeeeeeeee80000000ULL, FB | SF, "r" },
	{ ENC64(0x28, 0x23),                    /* sub %ah,(%rbx) */
	  REG_RAX, 0x1122334455660100ULL, 0xeeeeeeeeeeeeee00ULL, FB,
	  0x1122334455660100ULL, 0xeeeeeeeeeeeeeeffULL, FB | CF | SF | AF | PF, "rw" },
	{ ENC64(0x02, 0x23),                    /* add (%rbx),%ah */
	  REG_RAX, 0x1122334455667f88ULL, 0xeeeeeeeeeeeeee01ULL, FB,
	  0x1122334455668088ULL, 0xeeeeeeeeeeeeee01ULL, FB | SF | OF | AF, "r" },
	/* Group 1 and TEST with an immediate. */
	{ ENC64(0x80, 0x03, 0x01),              /* addb $1,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee7fULL, FB, RV, 0xeeeeeeeeeeeeee80ULL, FB | SF | OF | AF, "rw" },
	{ ENC64(0x66, 0x81, 0x0b, 0x00, 0x80),  /* orw $0x8000,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeeeeeee0001ULL, FB, RV, 0xeeeeeeeeeeee8001ULL, FB | SF, "rw" },
	/* PF looks at the low byte only (0x12340000 has five bits set). */
	{ ENC64(0x81, 0x23, 0x00, 0x00, 0xff, 0xff), /* andl $0xffff0000,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeee12345678ULL, FB | ST, RV, 0xeeeeeeee12340000ULL, FB | PF, "rw" },
	{ ENC64(0x83, 0x2b, 0xff),              /* subl $-1,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeee00000000ULL, FB, RV, 0xeeeeeeee00000001ULL, FB | CF | AF, "rw" },
	{ ENC64(0x48, 0x83, 0x33, 0xff),        /* xorq $-1,(%rbx) */
	  REG_RAX, RV, 0x00ff00ff00ff00ffULL, FB, RV, 0xff00ff00ff00ff00ULL, FB | SF | PF, "rw" },
	{ ENC64(0x48, 0x83, 0x3b, 0xff),        /* cmpq $-1,(%rbx) */
	  REG_RAX, RV, ~0ULL, FB, RV, ~0ULL, FB | ZF | PF, "r" },
	{ ENC64(0x48, 0x81, 0x03, 0x00, 0x00, 0x00, 0x80), /* addq $-0x80000000,(%rbx) */
	  REG_RAX, RV, 0x80000000ULL, FB, RV, 0, FB | CF | ZF | PF, "rw" },
	{ ENC64(0x80, 0x3b, 0x80),              /* cmpb $0x80,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee7fULL, FB, RV, 0xeeeeeeeeeeeeee7fULL, FB | CF | SF | OF | PF, "r" },
	{ ENC64(0x66, 0x83, 0x03, 0xff),        /* addw $-1,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeeeeeee0001ULL, FB, RV, 0xeeeeeeeeeeee0000ULL, FB | CF | ZF | AF | PF, "rw" },
	{ ENC64(0xf6, 0x03, 0x80),              /* testb $0x80,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee80ULL, FB, RV, 0xeeeeeeeeeeeeee80ULL, FB | SF, "r" },
	{ ENC64(0xf7, 0x03, 0x00, 0x00, 0x01, 0x00), /* testl $0x10000,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeee00010000ULL, FB, RV, 0xeeeeeeee00010000ULL, FB | PF, "r" },
	{ ENC64(0x48, 0xf7, 0x03, 0xff, 0xff, 0xff, 0xff), /* testq $-1,(%rbx) */
	  REG_RAX, RV, 0x8000000000000000ULL, FB, RV, 0x8000000000000000ULL, FB | SF | PF, "r" },
	{ ENC64(0x66, 0xf7, 0x03, 0x00, 0x80),  /* testw $0x8000,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeeeeeee0000ULL, FB, RV, 0xeeeeeeeeeeee0000ULL, FB | ZF | PF, "r" },
	{ ENC64(0xf0, 0x83, 0x03, 0x01),        /* lock addl $1,(%rbx) */
	  REG_RAX, RV, 0xeeeeeeee7fffffffULL, FB, RV, 0xeeeeeeee80000000ULL, FB | SF | OF | AF | PF, "rw" },
	/* Other modes. */
	{ ENC16(0x01, 0x07),                    /* add %ax,(%bx) */
	  REG_RAX, 0x1122334455660001ULL, 0xeeeeeeeeeeee7fffULL, FB,
	  0x1122334455660001ULL, 0xeeeeeeeeeeee8000ULL, FB | SF | OF | AF | PF, "rw" },
	{ ENC16(0x66, 0x8b, 0x07),              /* mov (%bx),%eax */
	  REG_RAX, RV, 0xeeeeeeee89abcdefULL, FB, 0x89abcdefULL, 0xeeeeeeee89abcdefULL, FB, "r" },
	{ ENC16(0x8a, 0x07),                    /* mov (%bx),%al */
	  REG_RAX, RV, 0xeeeeeeeeeeeeeeabULL, FB, 0x11223344556677abULL, 0xeeeeeeeeeeeeeeabULL, FB, "r" },
	{ ENC16(0x66, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), /* movl $0x12345678,(%bx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeee12345678ULL, FB, "w" },
	{ ENC16(0x0f, 0xbe, 0x07),              /* movsbw (%bx),%ax */
	  REG_RAX, RV, 0xeeeeeeeeeeeeee80ULL, FB, 0x112233445566ff80ULL, 0xeeeeeeeeeeeeee80ULL, FB, "r" },
	{ ENC16(0xa2, 0x00, 0x01),              /* mov %al,0x100 */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeeeeeeeee88ULL, FB, "w" },
	{ ENCP16(0x89, 0x07),                   /* mov %ax,(%bx) */
	  REG_RAX, RV, E8, FB, RV, 0xeeeeeeeeeeee7788ULL, FB, "w" },
	{ ENC32(0x83, 0x2b, 0x01),              /* subl $1,(%ebx) */
	  REG_RAX, RV, 0xeeeeeeee00000000ULL, FB, RV, 0xeeeeeeeeffffffffULL, FB | CF | SF | AF | PF, "rw" },
	{ ENC32(0x66, 0x8b, 0x03),              /* mov (%ebx),%ax */
	  REG_RAX, RV, 0xeeeeeeeeeeeecdabULL, FB, 0x112233445566cdabULL, 0xeeeeeeeeeeeecdabULL, FB, "r" },
	{ ENC32(0xa1, 0x00, 0x01, 0x00, 0xd0),  /* mov 0xd0000100,%eax */
	  REG_RAX, RV, 0xeeeeeeee89abcdefULL, FB, 0x89abcdefULL, 0xeeeeeeee89abcdefULL, FB, "r" },
	{ ENC32(0x0f, 0xb7, 0x03),              /* movzwl (%ebx),%eax */
	  REG_RAX, RV, 0xeeeeeeeeeeee8001ULL, FB, 0x8001, 0xeeeeeeeeeeee8001ULL, FB, "r" },
};

static void run_ecase(const struct ecase *c, size_t i)
{
	const uint64_t gpa = MMIO_BASE + 0x100;
	struct guest_regs r, before, want;
	struct x86_insn in;
	uint64_t mask, got;
	size_t nexp = strlen(c->acc);
	int rc;

	setup(NULL);
	read_junk = 0x5a5a5a5a5a5a5a5aULL;
	decode_ok(c->mode, c->b, c->n, &in);
	mask = size_mask(in.opsize);
	regs_fill(&r);
	if (c->mode == MODE_LONG64) {
		r.gpr[REG_RBX] = gpa;
	} else if (c->mode == MODE_PROT32) {
		r.gpr[REG_RBX] = 0xa5a5a5a500000000ULL | gpa;
	} else {
		r.gpr[REG_RBX] = 0xa5a5a5a500000100ULL;
		seg_bases[SEG_DS] = MMIO_BASE;
	}
	r.gpr[c->reg] = c->reg_in;
	r.rflags = c->flags_in;
	r.rip = c->mode == MODE_LONG64 ? 0x401000 : 0x1000;
	before = r;
	le_put(mmio + 0x100, 8, c->mem_in);
	/* The operand really is the device address. */
	if (x86_operand_gla(&in, &before, &fake_ops) != gpa)
		fail_msg("case %zu (%s): operand at %#llx", i, hex(c->b, c->n),
			 (unsigned long long)x86_operand_gla(&in, &before, &fake_ops));

	rc = x86_emulate(&in, &r, c->mode, gpa, &fake_ops);
	if (rc)
		fail_msg("case %zu (%s): emulate returned %d", i, hex(c->b, c->n), rc);
	want = before;
	want.gpr[c->reg] = c->reg_out;
	want.rflags = c->flags_out;
	want.rip = before.rip + c->n;
	assert_regs(&r, &want);
	got = le_get(mmio + 0x100, 8);
	if (got != c->mem_out)
		fail_msg("case %zu (%s): device holds %#llx, want %#llx", i, hex(c->b, c->n),
			 (unsigned long long)got, (unsigned long long)c->mem_out);
	assert_int_equal(mmio[0xff], 0);
	assert_int_equal(mmio[0x108], 0);
	if (nacc != nexp)
		fail_msg("case %zu (%s): %u accesses, want %zu", i, hex(c->b, c->n), nacc, nexp);
	for (unsigned j = 0; j < nexp; j++) {
		if (c->acc[j] == 'r')
			expect_acc(j, MMIO_R, gpa, in.opsize, c->mem_in & mask);
		else
			expect_acc(j, MMIO_W, gpa, in.opsize, c->mem_out & mask);
	}
}

static void test_emulate_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++)
		run_ecase(&ecases[i], i);
}

/* ---- STOS and MOVS ---- */

static void test_rep_stos_forward(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0x112233445566775aULL;
	r.gpr[REG_RDI] = MMIO_BASE + 0x10;
	r.gpr[REG_RCX] = 5;
	want = r;
	/* gpa is not used by string instructions: pass a wrong one. */
	assert_int_equal(emulate(ENC64(0xf3, 0xaa), &r, 0x1234), 0); /* rep stos %al,%es:(%rdi) */
	want.gpr[REG_RDI] = MMIO_BASE + 0x15;
	want.gpr[REG_RCX] = 0;
	want.rip += 2;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 5);
	for (unsigned i = 0; i < 5; i++) {
		expect_acc(i, MMIO_W, MMIO_BASE + 0x10 + i, 1, 0x5a);
		assert_int_equal(mmio[0x10 + i], 0x5a);
	}
	assert_int_equal(mmio[0x0f], 0);
	assert_int_equal(mmio[0x15], 0);
}

static void test_rep_stos_backward(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0xaaaaaaaa11223344ULL;
	r.gpr[REG_RDI] = MMIO_BASE + 0x20;
	r.gpr[REG_RCX] = 3;
	r.rflags |= RFLAGS_DF;
	want = r;
	assert_int_equal(emulate(ENC64(0xf3, 0xab), &r, 0), 0); /* rep stos %eax,%es:(%rdi) */
	want.gpr[REG_RDI] = MMIO_BASE + 0x14;
	want.gpr[REG_RCX] = 0;
	want.rip += 2;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 3);
	expect_acc(0, MMIO_W, MMIO_BASE + 0x20, 4, 0x11223344);
	expect_acc(1, MMIO_W, MMIO_BASE + 0x1c, 4, 0x11223344);
	expect_acc(2, MMIO_W, MMIO_BASE + 0x18, 4, 0x11223344);
	assert_int_equal(le_get(mmio + 0x18, 4), 0x11223344);
	assert_int_equal(le_get(mmio + 0x20, 4), 0x11223344);
	assert_int_equal(le_get(mmio + 0x14, 4), 0);
	assert_int_equal(le_get(mmio + 0x24, 4), 0);
}

/* REP with a zero count only moves RIP on. */
static void test_rep_zero_count(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RDI] = MMIO_BASE;
	r.gpr[REG_RSI] = 0x3000;
	r.gpr[REG_RCX] = 0;
	want = r;
	want.rip += 3;
	assert_int_equal(emulate(ENC64(0xf3, 0x48, 0xab), &r, 0), 0); /* rep stos %rax,%es:(%rdi) */
	assert_regs(&r, &want);
	assert_int_equal(nacc, 0);
	assert_int_equal(nxlate, 0);

	want.rip += 2;
	assert_int_equal(emulate(ENC64(0xf3, 0xa4), &r, 0), 0); /* rep movsb */
	assert_regs(&r, &want);
	assert_int_equal(nacc, 0);

	/* With a 32-bit address size the count is ECX alone. */
	r.gpr[REG_RCX] = 0x100000000ULL;
	want = r;
	want.rip += 4;
	assert_int_equal(emulate(ENC64(0x67, 0xf3, 0x48, 0xab), &r, 0), 0); /* rep stos %rax,%es:(%edi) */
	assert_regs(&r, &want);
	assert_int_equal(nacc, 0);
}

static void test_stos_single(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0x0123456789abcdefULL;
	r.gpr[REG_RDI] = MMIO_BASE + 0x40;
	r.gpr[REG_RCX] = 7;             /* no REP: not a count, not touched */
	want = r;
	assert_int_equal(emulate(ENC64(0x48, 0xab), &r, 0), 0); /* stos %rax,%es:(%rdi) */
	want.gpr[REG_RDI] += 8;
	want.rip += 2;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 1);
	expect_acc(0, MMIO_W, MMIO_BASE + 0x40, 8, 0x0123456789abcdefULL);

	/* Backwards, 16 bits. */
	reset_log();
	r.rflags |= RFLAGS_DF;
	want = r;
	assert_int_equal(emulate(ENC64(0x66, 0xab), &r, 0), 0); /* stos %ax,%es:(%rdi) */
	want.gpr[REG_RDI] -= 2;
	want.rip += 2;
	assert_regs(&r, &want);
	expect_acc(0, MMIO_W, MMIO_BASE + 0x48, 2, 0xcdef);
}

/* A string instruction whose target is RAM goes through mem_write by
 * linear address and never to the device. */
static void test_rep_stos_ram(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0x777777777777beefULL;
	r.gpr[REG_RDI] = 0x2000;
	r.gpr[REG_RCX] = 4;
	want = r;
	assert_int_equal(emulate(ENC64(0x66, 0xf3, 0xab), &r, 0), 0); /* rep stos %ax,%es:(%rdi) */
	want.gpr[REG_RDI] = 0x2008;
	want.gpr[REG_RCX] = 0;
	want.rip += 3;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 4);
	for (unsigned i = 0; i < 4; i++) {
		expect_acc(i, MEM_W, 0x2000 + 2 * i, 2, 0xbeef);
		assert_int_equal(le_get(ram + 0x2000 + 2 * i, 2), 0xbeef);
	}
	assert_int_equal(ram[0x2008], 0);
}

static void test_rep_movs_ram_to_mmio(void **state)
{
	struct guest_regs r, want;

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		ram[0x3000 + i] = (uint8_t)(0xa0 + i);
	read_junk = 0xfeedfacecafebeefULL;
	regs_fill(&r);
	r.gpr[REG_RSI] = 0x3000;
	r.gpr[REG_RDI] = MMIO_BASE + 0x40;
	r.gpr[REG_RCX] = 4;
	want = r;
	assert_int_equal(emulate(ENC64(0xf3, 0xa5), &r, 0), 0); /* rep movsl %ds:(%rsi),%es:(%rdi) */
	want.gpr[REG_RSI] = 0x3010;
	want.gpr[REG_RDI] = MMIO_BASE + 0x50;
	want.gpr[REG_RCX] = 0;
	want.rip += 2;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 8);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t v = le_get(ram + 0x3000 + 4 * i, 4);

		expect_acc(2 * i, MEM_R, 0x3000 + 4 * i, 4, v);
		expect_acc(2 * i + 1, MMIO_W, MMIO_BASE + 0x40 + 4 * i, 4, v);
	}
	assert_memory_equal(mmio + 0x40, ram + 0x3000, 16);
	assert_int_equal(mmio[0x50], 0);
}

static void test_rep_movs_mmio_to_ram_backward(void **state)
{
	struct guest_regs r, want;

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		mmio[0x80 + i] = (uint8_t)(i + 1);
	read_junk = ~0ULL;
	regs_fill(&r);
	r.gpr[REG_RSI] = MMIO_BASE + 0x83;
	r.gpr[REG_RDI] = 0x5003;
	r.gpr[REG_RCX] = 4;
	r.rflags |= RFLAGS_DF;
	want = r;
	assert_int_equal(emulate(ENC64(0xf3, 0xa4), &r, 0), 0); /* rep movsb %ds:(%rsi),%es:(%rdi) */
	want.gpr[REG_RSI] = MMIO_BASE + 0x7f;
	want.gpr[REG_RDI] = 0x4fff;
	want.gpr[REG_RCX] = 0;
	want.rip += 2;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 8);
	for (unsigned i = 0; i < 4; i++) {
		expect_acc(2 * i, MMIO_R, MMIO_BASE + 0x83 - i, 1, 4 - i);
		expect_acc(2 * i + 1, MEM_W, 0x5003 - i, 1, 4 - i);
	}
	assert_int_equal(ram[0x5000], 1);
	assert_int_equal(ram[0x5003], 4);
	assert_int_equal(ram[0x4fff], 0);
	assert_int_equal(ram[0x5004], 0);
}

static void test_movs_mmio_to_mmio(void **state)
{
	struct guest_regs r, want;

	(void)state;
	mmio[0x200] = 0x34;
	mmio[0x201] = 0x12;
	read_junk = 0x5555555555555555ULL;
	regs_fill(&r);
	r.gpr[REG_RSI] = MMIO_BASE + 0x200;
	r.gpr[REG_RDI] = MMIO_BASE + 0x300;
	r.gpr[REG_RCX] = 99;
	want = r;
	assert_int_equal(emulate(ENC64(0x66, 0xa5), &r, 0), 0); /* movsw %ds:(%rsi),%es:(%rdi) */
	want.gpr[REG_RSI] += 2;
	want.gpr[REG_RDI] += 2;
	want.rip += 2;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 2);
	expect_acc(0, MMIO_R, MMIO_BASE + 0x200, 2, 0x1234);
	expect_acc(1, MMIO_W, MMIO_BASE + 0x300, 2, 0x1234);
	assert_int_equal(le_get(mmio + 0x300, 4), 0x1234);
}

/* In 64-bit mode an FS override moves the source by the FS base, and ES
 * (the destination) has base 0 whatever seg_base says. */
static void test_movs_fs_source_64(void **state)
{
	struct guest_regs r, want;

	(void)state;
	seg_bases[SEG_FS] = 0x1000;
	seg_bases[SEG_ES] = 0x500000;
	seg_bases[SEG_DS] = 0x600000;
	le_put(ram + 0x3000, 8, 0x8877665544332211ULL);
	regs_fill(&r);
	r.gpr[REG_RSI] = 0x2000;
	r.gpr[REG_RDI] = 0x4000;
	r.gpr[REG_RCX] = 2;
	want = r;
	assert_int_equal(emulate(ENC64(0x64, 0xf3, 0xa5), &r, 0), 0); /* rep movsl %fs:(%rsi),%es:(%rdi) */
	want.gpr[REG_RSI] = 0x2008;
	want.gpr[REG_RDI] = 0x4008;
	want.gpr[REG_RCX] = 0;
	want.rip += 3;
	assert_regs(&r, &want);
	expect_acc(0, MEM_R, 0x3000, 4, 0x44332211);
	expect_acc(1, MEM_W, 0x4000, 4, 0x44332211);
	expect_acc(2, MEM_R, 0x3004, 4, 0x88776655);
	expect_acc(3, MEM_W, 0x4004, 4, 0x88776655);
	assert_int_equal(le_get(ram + 0x4000, 8), 0x8877665544332211ULL);

	/* A CS prefix after the FS one changes nothing in 64-bit mode. */
	reset_log();
	r.gpr[REG_RSI] = 0x2000;
	r.gpr[REG_RDI] = 0x5000;
	assert_int_equal(emulate(ENC64(0x64, 0x2e, 0xa4), &r, 0), 0); /* .byte 0x64, 0x2e; movsb */
	expect_acc(0, MEM_R, 0x3000, 1, 0x11);
	expect_acc(1, MEM_W, 0x5000, 1, 0x11);
}

/* More than X86_REP_MAX elements: each call does at most that many, leaves
 * RIP on the instruction and the registers where the guest resumes. */
static void test_rep_chunking_stos(void **state)
{
	struct guest_regs r, want;
	struct x86_insn in;
	const uint64_t pat = 0x0123456789abcdefULL;

	(void)state;
	decode_ok(ENC64(0xf3, 0x48, 0xab), &in); /* rep stos %rax,%es:(%rdi) */
	regs_fill(&r);
	r.gpr[REG_RAX] = pat;
	r.gpr[REG_RDI] = 0x10000;
	r.gpr[REG_RCX] = 10000;
	want = r;

	assert_int_equal(x86_emulate(&in, &r, MODE_LONG64, 0, &fake_ops), 0);
	want.gpr[REG_RCX] = 10000 - X86_REP_MAX;
	want.gpr[REG_RDI] = 0x10000 + 8 * X86_REP_MAX;
	assert_regs(&r, &want);
	assert_int_equal(nacc, X86_REP_MAX);
	assert_int_equal(le_get(ram + 0x10000 + 8 * (X86_REP_MAX - 1), 8), pat);
	assert_int_equal(le_get(ram + 0x10000 + 8 * X86_REP_MAX, 8), 0);

	reset_log();
	assert_int_equal(x86_emulate(&in, &r, MODE_LONG64, 0, &fake_ops), 0);
	want.gpr[REG_RCX] = 10000 - 2 * X86_REP_MAX;
	want.gpr[REG_RDI] = 0x10000 + 16 * X86_REP_MAX;
	assert_regs(&r, &want);
	assert_int_equal(nacc, X86_REP_MAX);

	reset_log();
	assert_int_equal(x86_emulate(&in, &r, MODE_LONG64, 0, &fake_ops), 0);
	want.gpr[REG_RCX] = 0;
	want.gpr[REG_RDI] = 0x10000 + 8 * 10000;
	want.rip += 3;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 10000 - 2 * X86_REP_MAX);
	for (unsigned i = 0; i < 10000; i++)
		if (le_get(ram + 0x10000 + 8 * i, 8) != pat)
			fail_msg("element %u not stored", i);
	assert_int_equal(le_get(ram + 0x10000 + 8 * 10000, 8), 0);
	assert_int_equal(le_get(ram + 0x10000 - 8, 8), 0);
}

static void test_rep_exactly_max(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0x5a;
	r.gpr[REG_RDI] = MMIO_BASE;
	r.gpr[REG_RCX] = X86_REP_MAX;
	want = r;
	assert_int_equal(emulate(ENC64(0xf3, 0xaa), &r, 0), 0); /* rep stos %al,%es:(%rdi) */
	want.gpr[REG_RCX] = 0;
	want.gpr[REG_RDI] = MMIO_BASE + X86_REP_MAX;
	want.rip += 2;
	assert_regs(&r, &want);
	assert_int_equal(nacc, X86_REP_MAX);
	for (unsigned i = 0; i < MMIO_SIZE; i++)
		assert_int_equal(mmio[i], 0x5a);
}

/* MOVS in chunks: the second call faults on its first element (the
 * destination runs off the device page) and must leave the registers of
 * the first call alone. */
static void test_rep_chunking_movs(void **state)
{
	struct guest_regs r, want;
	struct x86_insn in;

	(void)state;
	for (unsigned i = 0; i < 0x1100; i++)
		ram[0x8000 + i] = (uint8_t)(i * 7 + 3);
	decode_ok(ENC64(0xf3, 0xa4), &in); /* rep movsb %ds:(%rsi),%es:(%rdi) */
	regs_fill(&r);
	r.gpr[REG_RSI] = 0x8000;
	r.gpr[REG_RDI] = MMIO_BASE;
	r.gpr[REG_RCX] = X86_REP_MAX + 1;
	want = r;
	assert_int_equal(x86_emulate(&in, &r, MODE_LONG64, 0, &fake_ops), 0);
	want.gpr[REG_RCX] = 1;
	want.gpr[REG_RSI] = 0x8000 + X86_REP_MAX;
	want.gpr[REG_RDI] = MMIO_BASE + X86_REP_MAX;
	assert_regs(&r, &want);
	assert_memory_equal(mmio, ram + 0x8000, MMIO_SIZE);

	reset_log();
	assert_int_equal(x86_emulate(&in, &r, MODE_LONG64, 0, &fake_ops), -EFAULT);
	assert_regs(&r, &want);
	assert_int_equal(nacc, 0);
}

/* 67 in 64-bit mode: ESI/EDI/ECX, wrapping at 4 GiB, and the registers are
 * written as 32-bit registers (bits 63:32 cleared). */
static void test_rep_addr32_wrap_64(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0x77;
	r.gpr[REG_RDI] = 0xaaaa0000fffffffeULL;
	r.gpr[REG_RCX] = 0x5555000000000004ULL;
	want = r;
	assert_int_equal(emulate(ENC64(0x67, 0xf3, 0xaa), &r, 0), 0); /* rep stos %al,%es:(%edi) */
	want.gpr[REG_RDI] = 2;
	want.gpr[REG_RCX] = 0;
	want.rip += 3;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 4);
	expect_acc(0, MMIO_W, MMIO_BASE + 0xffe, 1, 0x77);    /* linear 0xfffffffe */
	expect_acc(1, MMIO_W, MMIO_BASE + 0xfff, 1, 0x77);    /* linear 0xffffffff */
	expect_acc(2, MEM_W, 0, 1, 0x77);
	expect_acc(3, MEM_W, 1, 1, 0x77);

	reset_log();
	ram[0x3000] = 0x11;
	ram[0x3001] = 0x22;
	regs_fill(&r);
	r.gpr[REG_RSI] = 0xffffffff00003000ULL;
	r.gpr[REG_RDI] = 0x7777777700004000ULL;
	r.gpr[REG_RCX] = 2;
	want = r;
	assert_int_equal(emulate(ENC64(0x67, 0xf3, 0xa4), &r, 0), 0); /* addr32 rep movsb */
	want.gpr[REG_RSI] = 0x3002;
	want.gpr[REG_RDI] = 0x4002;
	want.gpr[REG_RCX] = 0;
	want.rip += 3;
	assert_regs(&r, &want);
	assert_int_equal(ram[0x4000], 0x11);
	assert_int_equal(ram[0x4001], 0x22);

	/* ESI wrapping: the device byte at linear 0xffffffff, then RAM at 0. */
	reset_log();
	mmio[0xfff] = 0xab;
	ram[0] = 0xcd;
	regs_fill(&r);
	r.gpr[REG_RSI] = 0x12345678ffffffffULL;
	r.gpr[REG_RDI] = 0x6000;
	r.gpr[REG_RCX] = 2;
	want = r;
	assert_int_equal(emulate(ENC64(0x67, 0xf3, 0xa4), &r, 0), 0); /* addr32 rep movsb */
	want.gpr[REG_RSI] = 1;
	want.gpr[REG_RDI] = 0x6002;
	want.gpr[REG_RCX] = 0;
	want.rip += 3;
	assert_regs(&r, &want);
	expect_acc(0, MMIO_R, MMIO_BASE + 0xfff, 1, 0xab);
	expect_acc(1, MEM_W, 0x6000, 1, 0xab);
	expect_acc(2, MEM_R, 0, 1, 0xcd);
	expect_acc(3, MEM_W, 0x6001, 1, 0xcd);
}

/* Real mode: ES:DI, 16-bit wrap of DI and CX with the bits above kept. */
static void test_rep_real_mode(void **state)
{
	struct guest_regs r, want;

	(void)state;
	seg_bases[SEG_ES] = 0x10000;
	regs_fill(&r);
	r.rip = 0xffff;
	r.gpr[REG_RAX] = 0x3c;
	r.gpr[REG_RDI] = 0x123400000000fffeULL;
	r.gpr[REG_RCX] = 0xabcd0003ULL;
	want = r;
	assert_int_equal(emulate(ENC16(0xf3, 0xaa), &r, 0), 0); /* rep stos %al,%es:(%di) */
	want.gpr[REG_RDI] = 0x1234000000000001ULL;
	want.gpr[REG_RCX] = 0xabcd0000ULL;
	want.rip = 1;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 3);
	expect_acc(0, MEM_W, 0x1fffe, 1, 0x3c);
	expect_acc(1, MEM_W, 0x1ffff, 1, 0x3c);
	expect_acc(2, MEM_W, 0x10000, 1, 0x3c);
	assert_true(seg_calls > 0);

	/* Downwards through 0. */
	reset_log();
	regs_fill(&r);
	r.rip = 0x100;
	r.rflags |= RFLAGS_DF;
	r.gpr[REG_RAX] = 0x4d;
	r.gpr[REG_RDI] = 0x9999000000000001ULL;
	r.gpr[REG_RCX] = 3;
	want = r;
	assert_int_equal(emulate(ENC16(0xf3, 0xaa), &r, 0), 0); /* rep stos %al,%es:(%di) */
	want.gpr[REG_RDI] = 0x999900000000fffeULL;
	want.gpr[REG_RCX] = 0;
	want.rip = 0x102;
	assert_regs(&r, &want);
	expect_acc(0, MEM_W, 0x10001, 1, 0x4d);
	expect_acc(1, MEM_W, 0x10000, 1, 0x4d);
	expect_acc(2, MEM_W, 0x1ffff, 1, 0x4d);

	/* MOVSW from DS:SI, and from CS:SI with an override. */
	seg_bases[SEG_DS] = 0x20000;
	seg_bases[SEG_ES] = 0x30000;
	seg_bases[SEG_CS] = 0x40000;
	le_put(ram + 0x20010, 4, 0xbbbbaaaa);
	le_put(ram + 0x40010, 4, 0xddddcccc);
	reset_log();
	regs_fill(&r);
	r.rip = 0x100;
	r.gpr[REG_RSI] = 0x10;
	r.gpr[REG_RDI] = 0x20;
	r.gpr[REG_RCX] = 2;
	want = r;
	assert_int_equal(emulate(ENC16(0xf3, 0xa5), &r, 0), 0); /* rep movsw */
	want.gpr[REG_RSI] = 0x14;
	want.gpr[REG_RDI] = 0x24;
	want.gpr[REG_RCX] = 0;
	want.rip = 0x102;
	assert_regs(&r, &want);
	assert_int_equal(le_get(ram + 0x30020, 4), 0xbbbbaaaa);
	r.gpr[REG_RSI] = 0x10;
	r.gpr[REG_RDI] = 0x40;
	r.gpr[REG_RCX] = 2;
	assert_int_equal(emulate(ENC16(0x2e, 0xf3, 0xa5), &r, 0), 0); /* rep movsw %cs:(%si),%es:(%di) */
	assert_int_equal(le_get(ram + 0x30040, 4), 0xddddcccc);
}

/* 32-bit protected mode: ES base applies to STOS; a segment override on
 * STOS is ignored; F2 repeats as F3 does. */
static void test_rep_prot32(void **state)
{
	struct guest_regs r, want;

	(void)state;
	seg_bases[SEG_ES] = 0x1000;
	seg_bases[SEG_FS] = 0x5000;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0xcafef00d;
	r.gpr[REG_RDI] = 0x100;
	r.gpr[REG_RCX] = 2;
	want = r;
	assert_int_equal(emulate(ENC32(0xf3, 0xab), &r, 0), 0); /* rep stos %eax,%es:(%edi) */
	want.gpr[REG_RDI] = 0x108;
	want.gpr[REG_RCX] = 0;
	want.rip += 2;
	assert_regs(&r, &want);
	expect_acc(0, MEM_W, 0x1100, 4, 0xcafef00d);
	expect_acc(1, MEM_W, 0x1104, 4, 0xcafef00d);

	reset_log();
	assert_int_equal(emulate(ENC32(0x64, 0xaa), &r, 0), 0); /* .byte 0x64; stos %al,%es:(%edi) */
	expect_acc(0, MEM_W, 0x1108, 1, 0x0d);

	reset_log();
	r.gpr[REG_RCX] = 3;
	assert_int_equal(emulate(ENC32(0xf2, 0xaa), &r, 0), 0); /* repnz stos %al,%es:(%edi) */
	assert_int_equal(nacc, 3);
	assert_int_equal(r.gpr[REG_RCX], 0);
	expect_acc(2, MEM_W, 0x110b, 1, 0x0d);
}

/* A failure in the middle of a REP keeps the completed elements' register
 * updates and leaves RIP on the instruction. */
static void test_rep_fault_midway(void **state)
{
	struct guest_regs r, want;

	(void)state;
	for (unsigned i = 0; i < 20; i++)
		ram[0x3000 + i] = (uint8_t)(i + 1);
	regs_fill(&r);
	r.gpr[REG_RSI] = 0x3000;
	r.gpr[REG_RDI] = MMIO_BASE + 0x40;
	r.gpr[REG_RCX] = 5;
	want = r;
	fail_at = 6;            /* read, write, read, write, read, WRITE */
	fail_err = -EIO;
	assert_int_equal(emulate(ENC64(0xf3, 0xa5), &r, 0), -EIO); /* rep movsl %ds:(%rsi),%es:(%rdi) */
	want.gpr[REG_RSI] = 0x3008;
	want.gpr[REG_RDI] = MMIO_BASE + 0x48;
	want.gpr[REG_RCX] = 3;
	assert_regs(&r, &want);
	assert_memory_equal(mmio + 0x40, ram + 0x3000, 8);
	assert_int_equal(le_get(mmio + 0x48, 4), 0);

	/* A translation failure is passed back as is. */
	setup(NULL);
	xlate_fail_page = 0x7000;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0x99;
	r.gpr[REG_RDI] = 0x6ffe;
	r.gpr[REG_RCX] = 4;
	want = r;
	assert_int_equal(emulate(ENC64(0xf3, 0xaa), &r, 0), -ENOENT); /* rep stos %al,%es:(%rdi) */
	want.gpr[REG_RDI] = 0x7000;
	want.gpr[REG_RCX] = 2;
	assert_regs(&r, &want);
	assert_int_equal(ram[0x6ffe], 0x99);
	assert_int_equal(ram[0x6fff], 0x99);
}

/* MOVS translates both sides before the read, so a bad destination cannot
 * follow a device read that has side effects; a bad source means no write. */
static void test_movs_translates_first(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RSI] = MMIO_BASE + 0x10;
	r.gpr[REG_RDI] = 0x200000;      /* not mapped */
	want = r;
	assert_int_equal(emulate(ENC64(0xa4), &r, 0), -EFAULT); /* movsb */
	assert_regs(&r, &want);
	assert_int_equal(nacc, 0);

	r.gpr[REG_RSI] = 0x300000;      /* not mapped */
	r.gpr[REG_RDI] = MMIO_BASE + 0x10;
	want = r;
	assert_int_equal(emulate(ENC64(0xa4), &r, 0), -EFAULT); /* movsb */
	assert_regs(&r, &want);
	assert_int_equal(nacc, 0);
}

/* ---- Failures leave the guest as it was ---- */

static void test_callback_failures(void **state)
{
	struct guest_regs r, want;

	(void)state;
	regs_fill(&r);
	r.gpr[REG_RAX] = 1;
	r.gpr[REG_RBX] = MMIO_BASE + 0x10;
	r.rflags = FB | CF | OF;
	le_put(mmio + 0x10, 4, 0xffffffff);
	want = r;

	/* The read of a read-modify-write fails. */
	fail_at = 1;
	fail_err = -EIO;
	assert_int_equal(emulate(ENC64(0x01, 0x03), &r, MMIO_BASE + 0x10), -EIO); /* add %eax,(%rbx) */
	assert_regs(&r, &want);
	assert_int_equal(nacc, 1);
	assert_int_equal(le_get(mmio + 0x10, 4), 0xffffffff);

	/* Its write fails: the flags must not change either. */
	reset_log();
	fail_at = 2;
	assert_int_equal(emulate(ENC64(0x01, 0x03), &r, MMIO_BASE + 0x10), -EIO); /* add %eax,(%rbx) */
	assert_regs(&r, &want);
	assert_int_equal(nacc, 2);
	assert_int_equal(le_get(mmio + 0x10, 4), 0xffffffff);

	/* A load that fails leaves the destination register. */
	reset_log();
	fail_at = 1;
	fail_err = -EPERM;
	assert_int_equal(emulate(ENC64(0x48, 0x8b, 0x03), &r, MMIO_BASE + 0x10), -EPERM); /* mov (%rbx),%rax */
	assert_regs(&r, &want);
	reset_log();
	assert_int_equal(emulate(ENC64(0x0f, 0xbe, 0x03), &r, MMIO_BASE + 0x10), -EPERM); /* movsbl (%rbx),%eax */
	assert_regs(&r, &want);

	/* A store that fails does not move RIP. */
	reset_log();
	assert_int_equal(emulate(ENC64(0xc7, 0x03, 0x01, 0x00, 0x00, 0x00), &r, MMIO_BASE + 0x10), -EPERM); /* movl $1,(%rbx) */
	assert_regs(&r, &want);

	/* A device address out of the fake's range: its error comes back. */
	reset_log();
	fail_at = 0;
	assert_int_equal(emulate(ENC64(0x89, 0x03), &r, MMIO_BASE + MMIO_SIZE - 2), -EFAULT); /* mov %eax,(%rbx) */
	assert_regs(&r, &want);

	/* A single STOS whose write fails leaves RDI. */
	reset_log();
	fail_at = 1;
	fail_err = -EIO;
	r.gpr[REG_RDI] = MMIO_BASE + 0x20;
	want = r;
	assert_int_equal(emulate(ENC64(0x48, 0xab), &r, 0), -EIO); /* stos %rax,%es:(%rdi) */
	assert_regs(&r, &want);
	/* Also when it is the first element of a REP. */
	reset_log();
	r.gpr[REG_RCX] = 10;
	want = r;
	assert_int_equal(emulate(ENC64(0xf3, 0x48, 0xab), &r, 0), -EIO); /* rep stos %rax,%es:(%rdi) */
	assert_regs(&r, &want);
}

static void test_missing_callbacks_and_mode(void **state)
{
	struct guest_regs r, want;
	struct x86_emu_ops ops;
	struct x86_insn mov, stos, movs;

	(void)state;
	decode_ok(ENC64(0x89, 0x03), &mov);       /* mov %eax,(%rbx) */
	decode_ok(ENC64(0xf3, 0xaa), &stos);      /* rep stos %al,%es:(%rdi) */
	decode_ok(ENC64(0xa4), &movs);            /* movsb */
	regs_fill(&r);
	r.gpr[REG_RDI] = MMIO_BASE;
	r.gpr[REG_RSI] = MMIO_BASE + 0x10;
	r.gpr[REG_RCX] = 1;
	want = r;

	ops = fake_ops;
	ops.mmio_read = NULL;
	assert_int_equal(x86_emulate(&mov, &r, MODE_LONG64, MMIO_BASE, &ops), -EINVAL);
	ops = fake_ops;
	ops.mmio_write = NULL;
	assert_int_equal(x86_emulate(&mov, &r, MODE_LONG64, MMIO_BASE, &ops), -EINVAL);
	assert_int_equal(x86_emulate(&stos, &r, MODE_LONG64, 0, &ops), -EINVAL);
	ops = fake_ops;
	ops.gla_to_gpa = NULL;
	assert_int_equal(x86_emulate(&stos, &r, MODE_LONG64, 0, &ops), -EINVAL);
	ops = fake_ops;
	ops.is_mmio = NULL;
	assert_int_equal(x86_emulate(&stos, &r, MODE_LONG64, 0, &ops), -EINVAL);
	ops = fake_ops;
	ops.mem_write = NULL;
	assert_int_equal(x86_emulate(&stos, &r, MODE_LONG64, 0, &ops), -EINVAL);
	ops = fake_ops;
	ops.mem_read = NULL;
	assert_int_equal(x86_emulate(&movs, &r, MODE_LONG64, 0, &ops), -EINVAL);
	ops = fake_ops;
	ops.mmio_read = NULL;
	assert_int_equal(x86_emulate(&movs, &r, MODE_LONG64, 0, &ops), -EINVAL);
	/* Decoded for one mode, emulated in another. */
	assert_int_equal(x86_emulate(&mov, &r, MODE_PROT32, MMIO_BASE, &fake_ops), -EINVAL);
	assert_int_equal(x86_emulate(&stos, &r, MODE_REAL, 0, &fake_ops), -EINVAL);
	assert_regs(&r, &want);
	assert_int_equal(nacc, 0);

	/* seg_base may be missing: bases are then 0. */
	ops = fake_ops;
	ops.seg_base = NULL;
	seg_bases[SEG_ES] = 0x10000;
	decode_ok(ENC16(0xaa), &stos);            /* stos %al,%es:(%di) */
	r.gpr[REG_RDI] = 0x2000;
	r.rip = 0x10;
	assert_int_equal(x86_emulate(&stos, &r, MODE_REAL, 0, &ops), 0);
	expect_acc(0, MEM_W, 0x2000, 1, r.gpr[REG_RAX] & 0xff);
	assert_int_equal(r.gpr[REG_RDI], 0x2001);
	assert_int_equal(seg_calls, 0);
}

/* ---- RIP ---- */

static void test_rip_advance_and_wrap(void **state)
{
	struct guest_regs r;

	(void)state;
	regs_fill(&r);
	r.rip = 0x7ffffffff000ULL;
	assert_int_equal(emulate(ENC64(0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11), &r, MMIO_BASE), 0); /* movl $0x11223344,0x100(%rip) */
	assert_int_equal(r.rip, 0x7ffffffff00aULL);
	expect_acc(0, MMIO_W, MMIO_BASE, 4, 0x11223344);

	r.rip = 0xfffffffe;
	assert_int_equal(emulate(ENC32(0x89, 0x03), &r, MMIO_BASE), 0); /* mov %eax,(%ebx) */
	assert_int_equal(r.rip, 0);

	r.rip = 0xfffe;
	assert_int_equal(emulate(ENC16(0x89, 0x40, 0x04), &r, MMIO_BASE), 0); /* mov %ax,4(%bx,%si) */
	assert_int_equal(r.rip, 1);

	r.rip = 0xffff;
	assert_int_equal(emulate(ENCP16(0x89, 0x00), &r, MMIO_BASE), 0); /* mov %ax,(%bx,%si) */
	assert_int_equal(r.rip, 1);

	/* In 64-bit mode RIP does not wrap at 4 GiB. */
	r.rip = 0xfffffffe;
	assert_int_equal(emulate(ENC64(0x89, 0x03), &r, MMIO_BASE), 0); /* mov %eax,(%rbx) */
	assert_int_equal(r.rip, 0x100000000ULL);
}

/* ---- Operand addresses ---- */

static void test_gla_64(void **state)
{
	struct guest_regs r;
	struct x86_insn in;

	(void)state;
	for (int s = SEG_ES; s <= SEG_GS; s++)
		seg_bases[s] = 0x1000000ULL * (uint64_t)(s + 1);
	seg_bases[SEG_FS] = 0x7f0000000000ULL;
	seg_bases[SEG_GS] = 0xffff800000000000ULL;
	regs_fill(&r);
	r.rip = 0x400000;
	r.gpr[REG_RBX] = 0x1000;
	r.gpr[REG_RCX] = 0x10;
	r.gpr[REG_RAX] = 0x2000;
	r.gpr[REG_RSP] = 0x9999;
	r.gpr[REG_R12] = 0x234;
	r.gpr[REG_R13] = 0x5000;

	assert_int_equal(gla_of(ENC64(0x89, 0x44, 0xcb, 0x12), &r), 0x1092); /* mov %eax,0x12(%rbx,%rcx,8) */
	assert_int_equal(gla_of(ENC64(0x89, 0x04, 0x8d, 0x00, 0x01, 0x00, 0x00), &r), 0x140); /* mov %eax,0x100(,%rcx,4) */
	assert_int_equal(gla_of(ENC64(0x42, 0x89, 0x04, 0x23), &r), 0x1234); /* mov %eax,(%rbx,%r12,1) */
	assert_int_equal(gla_of(ENC64(0x41, 0x89, 0x04, 0x24), &r), 0x234); /* mov %eax,(%r12) */
	assert_int_equal(gla_of(ENC64(0x41, 0x89, 0x44, 0x45, 0x10), &r), 0x9010); /* mov %eax,0x10(%r13,%rax,2) */
	assert_int_equal(gla_of(ENC64(0x41, 0x89, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00), &r), 0x10); /* .byte 0x41; mov %eax,0x10 */
	assert_int_equal(gla_of(RAW64(0x89, 0x04, 0x20), &r), 0x2000); /* (%rax) with SIB index 100 = none */
	assert_int_equal(gla_of(ENC64(0x89, 0x43, 0x80), &r), 0xf80); /* mov %eax,-0x80(%rbx) */
	assert_int_equal(gla_of(ENC64(0x89, 0x83, 0x00, 0xf0, 0xff, 0xff), &r), 0); /* mov %eax,-0x1000(%rbx) */
	/* RIP-relative counts from the end of the instruction, immediate
	 * included. */
	assert_int_equal(gla_of(ENC64(0x89, 0x05, 0x00, 0x01, 0x00, 0x00), &r), 0x400106); /* mov %eax,0x100(%rip) */
	assert_int_equal(gla_of(ENC64(0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, 0x44, 0x33, 0x22, 0x11), &r), 0x40010a); /* movl $0x11223344,0x100(%rip) */
	assert_int_equal(gla_of(ENC64(0x89, 0x05, 0xf0, 0xff, 0xff, 0xff), &r), 0x3ffff6); /* mov %eax,-0x10(%rip) */
	/* Only FS and GS have a base in 64-bit mode. */
	assert_int_equal(gla_of(ENC64(0x64, 0x89, 0x43, 0x10), &r), 0x7f0000001010ULL); /* mov %eax,%fs:0x10(%rbx) */
	assert_int_equal(gla_of(ENC64(0x65, 0x89, 0x03), &r), 0xffff800000001000ULL); /* mov %eax,%gs:(%rbx) */
	assert_int_equal(gla_of(ENC64(0x26, 0x89, 0x03), &r), 0x1000); /* mov %eax,%es:(%rbx) */
	assert_int_equal(gla_of(ENC64(0x2e, 0x89, 0x03), &r), 0x1000); /* mov %eax,%cs:(%rbx) */
	assert_int_equal(gla_of(ENC64(0x36, 0x89, 0x03), &r), 0x1000); /* mov %eax,%ss:(%rbx) */
	assert_int_equal(gla_of(ENC64(0x3e, 0x89, 0x03), &r), 0x1000); /* .byte 0x3e; mov %eax,(%rbx) */
	assert_int_equal(gla_of(ENC64(0x89, 0x04, 0x24), &r), 0x9999); /* mov %eax,(%rsp) */
	/* ES CS SS DS after FS or GS do not cancel it (the hardware reads
	 * FS:0 for 64 26 8B 04 25 00 00 00 00). */
	assert_int_equal(gla_of(ENC64(0x64, 0x26, 0x89, 0x03), &r), 0x7f0000001000ULL); /* .byte 0x64, 0x26; mov %eax,(%rbx) */
	assert_int_equal(gla_of(ENC64(0x65, 0x3e, 0x89, 0x43, 0x10), &r), 0xffff800000001010ULL); /* .byte 0x65, 0x3e; mov %eax,0x10(%rbx) */
	assert_int_equal(gla_of(ENC64(0x64, 0x36, 0x89, 0x04, 0x24), &r), 0x7f0000009999ULL); /* .byte 0x64, 0x36; mov %eax,(%rsp) */
	/* moffs: 64-bit, or 32-bit and zero-extended with 67. */
	assert_int_equal(gla_of(ENC64(0xa3, 0x10, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), &r), 0xd0000010); /* movabs %eax,0xd0000010 */
	assert_int_equal(gla_of(ENC64(0x67, 0xa3, 0x10, 0x00, 0x00, 0xd0), &r), 0xd0000010); /* addr32 movabs %eax,0xd0000010 */
	assert_int_equal(gla_of(ENC64(0xa2, 0x10, 0x00, 0x00, 0xd0, 0xff, 0xff, 0xff, 0xff), &r), 0xffffffffd0000010ULL); /* movabs %al,0xffffffffd0000010 */
	assert_int_equal(gla_of(ENC64(0x64, 0xa3, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), &r), 0x7f0000000010ULL); /* movabs %eax,%fs:0x10 */
	/* 67: the effective address is truncated to 32 bits. */
	r.gpr[REG_RBX] = 0xffffffff00001000ULL;
	assert_int_equal(gla_of(ENC64(0x67, 0x89, 0x03), &r), 0x1000); /* mov %eax,(%ebx) */
	r.gpr[REG_RBX] = 0xfffffff8;
	assert_int_equal(gla_of(ENC64(0x67, 0x89, 0x43, 0x10), &r), 0x8); /* mov %eax,0x10(%ebx) */
	assert_int_equal(gla_of(ENC64(0x89, 0x43, 0x10), &r), 0x100000008ULL); /* mov %eax,0x10(%rbx) */
	r.rip = 0xfffffff0;
	assert_int_equal(gla_of(ENC64(0x67, 0x89, 0x05, 0x10, 0x00, 0x00, 0x00), &r), 0x7); /* mov %eax,0x10(%eip) */

	/* No ops, or ops without seg_base: bases are 0. */
	decode_ok(ENC64(0x64, 0x89, 0x43, 0x10), &in); /* mov %eax,%fs:0x10(%rbx) */
	r.gpr[REG_RBX] = 0x1000;
	assert_int_equal(x86_operand_gla(&in, &r, NULL), 0x1010);
	{
		struct x86_emu_ops ops = fake_ops;

		ops.seg_base = NULL;
		assert_int_equal(x86_operand_gla(&in, &r, &ops), 0x1010);
	}
}

static void test_gla_32(void **state)
{
	struct guest_regs r;

	(void)state;
	seg_bases[SEG_DS] = 0x10000;
	seg_bases[SEG_SS] = 0x20000;
	seg_bases[SEG_ES] = 0x30000;
	seg_bases[SEG_FS] = 0x40000;
	regs_fill(&r);
	r.gpr[REG_RAX] = 0x1000;
	r.gpr[REG_RBX] = 0xdead000000000100ULL;  /* bits 63:32 do not count */
	r.gpr[REG_RBP] = 0x100;
	r.gpr[REG_RSP] = 0x200;
	r.gpr[REG_RSI] = 0x30;

	assert_int_equal(gla_of(ENC32(0x89, 0x43, 0x10), &r), 0x10110); /* mov %eax,0x10(%ebx) */
	/* EBP or ESP as base selects SS; EBP as index does not. */
	assert_int_equal(gla_of(ENC32(0x89, 0x45, 0x10), &r), 0x20110); /* mov %eax,0x10(%ebp) */
	assert_int_equal(gla_of(ENC32(0x89, 0x04, 0x24), &r), 0x20200); /* mov %eax,(%esp) */
	assert_int_equal(gla_of(ENC32(0x89, 0x04, 0x28), &r), 0x11100); /* mov %eax,(%eax,%ebp,1) */
	assert_int_equal(gla_of(ENC32(0x26, 0x89, 0x45, 0x10), &r), 0x30110); /* mov %eax,%es:0x10(%ebp) */
	assert_int_equal(gla_of(ENC32(0x64, 0x89, 0x03), &r), 0x40100); /* mov %eax,%fs:(%ebx) */
	/* disp32 alone is an absolute offset in DS. */
	assert_int_equal(gla_of(ENC32(0x89, 0x1d, 0x10, 0x00, 0x00, 0x00), &r), 0x10010); /* mov %ebx,0x10 */
	assert_int_equal(gla_of(ENC32(0xa1, 0x10, 0x00, 0x00, 0xd0), &r), 0xd0010010); /* mov 0xd0000010,%eax */
	/* 16-bit addressing with 67. */
	r.gpr[REG_RBX] = 0xffff;
	assert_int_equal(gla_of(ENC32(0x67, 0x89, 0x00), &r), 0x1002f); /* addr16 mov %eax,(%bx,%si) */
	/* The offset wraps at 4 GiB, and so does base + offset. */
	r.gpr[REG_RBX] = 0xfffffff0;
	assert_int_equal(gla_of(ENC32(0x89, 0x43, 0x20), &r), 0x10010); /* mov %eax,0x20(%ebx) */
	seg_bases[SEG_DS] = 0xfffff000;
	r.gpr[REG_RBX] = 0x2000;
	assert_int_equal(gla_of(ENC32(0x89, 0x03), &r), 0x1000); /* mov %eax,(%ebx) */
}

static void test_gla_real_mode(void **state)
{
	struct guest_regs r;

	(void)state;
	seg_bases[SEG_DS] = 0x12340;
	seg_bases[SEG_SS] = 0x20000;
	seg_bases[SEG_ES] = 0x30000;
	regs_fill(&r);
	r.gpr[REG_RBX] = 0x5555000000011000ULL;  /* BX = 0x1000 */
	r.gpr[REG_RSI] = 0x20;
	r.gpr[REG_RDI] = 0x40;
	r.gpr[REG_RBP] = 0x300;
	r.gpr[REG_RAX] = 0x100;
	r.gpr[REG_RCX] = 0x10;

	assert_int_equal(gla_of(ENC16(0x89, 0x40, 0x04), &r), 0x13364); /* mov %ax,4(%bx,%si) */
	assert_int_equal(gla_of(ENC16(0x89, 0x01), &r), 0x13380); /* mov %ax,(%bx,%di) */
	assert_int_equal(gla_of(ENC16(0x89, 0x02), &r), 0x20320); /* mov %ax,(%bp,%si) */
	assert_int_equal(gla_of(ENC16(0x89, 0x03), &r), 0x20340); /* mov %ax,(%bp,%di) */
	assert_int_equal(gla_of(ENC16(0x89, 0x04), &r), 0x12360); /* mov %ax,(%si) */
	assert_int_equal(gla_of(ENC16(0x89, 0x05), &r), 0x12380); /* mov %ax,(%di) */
	assert_int_equal(gla_of(ENC16(0x89, 0x07), &r), 0x13340); /* mov %ax,(%bx) */
	assert_int_equal(gla_of(ENC16(0x89, 0x46, 0x00), &r), 0x20300); /* mov %ax,0(%bp) */
	/* [disp16] is not [BP]: DS, no base. */
	assert_int_equal(gla_of(ENC16(0x89, 0x1e, 0x34, 0x12), &r), 0x13574); /* mov %bx,0x1234 */
	assert_int_equal(gla_of(ENC16(0x26, 0x89, 0x03), &r), 0x30340); /* mov %ax,%es:(%bp,%di) */
	assert_int_equal(gla_of(ENC16(0xa2, 0x34, 0x12), &r), 0x13574); /* mov %al,0x1234 */
	/* 16-bit wrap of the offset. */
	r.gpr[REG_RBP] = 0;
	assert_int_equal(gla_of(ENC16(0x89, 0x46, 0xfe), &r), 0x2fffe); /* mov %ax,-2(%bp) */
	r.gpr[REG_RBX] = 0xffff;
	r.gpr[REG_RSI] = 2;
	assert_int_equal(gla_of(ENC16(0x89, 0x40, 0x04), &r), 0x12345); /* mov %ax,4(%bx,%si) */
	r.gpr[REG_RDI] = 0x9000;
	assert_int_equal(gla_of(ENC16(0x89, 0x85, 0x00, 0x80), &r), 0x13340); /* mov %ax,-0x8000(%di) */
	/* 32-bit addressing with 67. */
	assert_int_equal(gla_of(ENC16(0x67, 0x89, 0x04, 0x88), &r), 0x12480); /* mov %ax,(%eax,%ecx,4) */
}

/* MOV through a computed address: emulate at the gpa the operand really
 * maps to, the way the VMM does (gla -> gpa through the fake translation). */
static void test_emulate_via_gla(void **state)
{
	struct guest_regs r;
	struct x86_insn in;
	uint64_t gla, gpa;

	(void)state;
	seg_bases[SEG_DS] = MMIO_BASE - 0x10000;
	regs_fill(&r);
	r.rip = 0x100;
	r.gpr[REG_RAX] = 0xbeef;
	r.gpr[REG_RBX] = 0x1000;
	r.gpr[REG_RSI] = 0x20;
	decode_ok(ENC16(0x89, 0x40, 0x04), &in); /* mov %ax,4(%bx,%si) */
	gla = x86_operand_gla(&in, &r, &fake_ops);
	assert_int_equal(gla, MMIO_BASE - 0x10000 + 0x1024);
	seg_bases[SEG_DS] = MMIO_BASE - 0x1000;
	gla = x86_operand_gla(&in, &r, &fake_ops);
	assert_int_equal(gla, MMIO_BASE + 0x24);
	assert_int_equal(f_gla_to_gpa(&fake_ctx, gla, false, &gpa), 0);
	assert_int_equal(x86_emulate(&in, &r, MODE_REAL, gpa, &fake_ops), 0);
	assert_int_equal(le_get(mmio + 0x24, 2), 0xbeef);
	assert_int_equal(r.rip, 0x103);
}

/* ---- ALU results and flags against the host CPU ---- */

struct alucase {
	enum cpu_mode mode;
	const uint8_t *b;
	unsigned n;
	enum x86_op op;
	unsigned size;
	bool to_reg;
};

/* Register operand RAX (AL/AX/EAX), memory operand (%rbx). */
static const struct alucase alucases[] = {
	{ ENC64(0x00, 0x03), X86_OP_ADD, 1, false },          /* add %al,(%rbx) */
	{ ENC64(0x66, 0x01, 0x03), X86_OP_ADD, 2, false },    /* add %ax,(%rbx) */
	{ ENC64(0x01, 0x03), X86_OP_ADD, 4, false },          /* add %eax,(%rbx) */
	{ ENC64(0x48, 0x01, 0x03), X86_OP_ADD, 8, false },    /* add %rax,(%rbx) */
	{ ENC64(0x02, 0x03), X86_OP_ADD, 1, true },           /* add (%rbx),%al */
	{ ENC64(0x66, 0x03, 0x03), X86_OP_ADD, 2, true },     /* add (%rbx),%ax */
	{ ENC64(0x03, 0x03), X86_OP_ADD, 4, true },           /* add (%rbx),%eax */
	{ ENC64(0x48, 0x03, 0x03), X86_OP_ADD, 8, true },     /* add (%rbx),%rax */
	{ ENC64(0x08, 0x03), X86_OP_OR, 1, false },           /* or %al,(%rbx) */
	{ ENC64(0x66, 0x09, 0x03), X86_OP_OR, 2, false },     /* or %ax,(%rbx) */
	{ ENC64(0x09, 0x03), X86_OP_OR, 4, false },           /* or %eax,(%rbx) */
	{ ENC64(0x48, 0x09, 0x03), X86_OP_OR, 8, false },     /* or %rax,(%rbx) */
	{ ENC64(0x0a, 0x03), X86_OP_OR, 1, true },            /* or (%rbx),%al */
	{ ENC64(0x66, 0x0b, 0x03), X86_OP_OR, 2, true },      /* or (%rbx),%ax */
	{ ENC64(0x0b, 0x03), X86_OP_OR, 4, true },            /* or (%rbx),%eax */
	{ ENC64(0x48, 0x0b, 0x03), X86_OP_OR, 8, true },      /* or (%rbx),%rax */
	{ ENC64(0x20, 0x03), X86_OP_AND, 1, false },          /* and %al,(%rbx) */
	{ ENC64(0x66, 0x21, 0x03), X86_OP_AND, 2, false },    /* and %ax,(%rbx) */
	{ ENC64(0x21, 0x03), X86_OP_AND, 4, false },          /* and %eax,(%rbx) */
	{ ENC64(0x48, 0x21, 0x03), X86_OP_AND, 8, false },    /* and %rax,(%rbx) */
	{ ENC64(0x22, 0x03), X86_OP_AND, 1, true },           /* and (%rbx),%al */
	{ ENC64(0x66, 0x23, 0x03), X86_OP_AND, 2, true },     /* and (%rbx),%ax */
	{ ENC64(0x23, 0x03), X86_OP_AND, 4, true },           /* and (%rbx),%eax */
	{ ENC64(0x48, 0x23, 0x03), X86_OP_AND, 8, true },     /* and (%rbx),%rax */
	{ ENC64(0x28, 0x03), X86_OP_SUB, 1, false },          /* sub %al,(%rbx) */
	{ ENC64(0x66, 0x29, 0x03), X86_OP_SUB, 2, false },    /* sub %ax,(%rbx) */
	{ ENC64(0x29, 0x03), X86_OP_SUB, 4, false },          /* sub %eax,(%rbx) */
	{ ENC64(0x48, 0x29, 0x03), X86_OP_SUB, 8, false },    /* sub %rax,(%rbx) */
	{ ENC64(0x2a, 0x03), X86_OP_SUB, 1, true },           /* sub (%rbx),%al */
	{ ENC64(0x66, 0x2b, 0x03), X86_OP_SUB, 2, true },     /* sub (%rbx),%ax */
	{ ENC64(0x2b, 0x03), X86_OP_SUB, 4, true },           /* sub (%rbx),%eax */
	{ ENC64(0x48, 0x2b, 0x03), X86_OP_SUB, 8, true },     /* sub (%rbx),%rax */
	{ ENC64(0x30, 0x03), X86_OP_XOR, 1, false },          /* xor %al,(%rbx) */
	{ ENC64(0x66, 0x31, 0x03), X86_OP_XOR, 2, false },    /* xor %ax,(%rbx) */
	{ ENC64(0x31, 0x03), X86_OP_XOR, 4, false },          /* xor %eax,(%rbx) */
	{ ENC64(0x48, 0x31, 0x03), X86_OP_XOR, 8, false },    /* xor %rax,(%rbx) */
	{ ENC64(0x32, 0x03), X86_OP_XOR, 1, true },           /* xor (%rbx),%al */
	{ ENC64(0x66, 0x33, 0x03), X86_OP_XOR, 2, true },     /* xor (%rbx),%ax */
	{ ENC64(0x33, 0x03), X86_OP_XOR, 4, true },           /* xor (%rbx),%eax */
	{ ENC64(0x48, 0x33, 0x03), X86_OP_XOR, 8, true },     /* xor (%rbx),%rax */
	{ ENC64(0x38, 0x03), X86_OP_CMP, 1, false },          /* cmp %al,(%rbx) */
	{ ENC64(0x66, 0x39, 0x03), X86_OP_CMP, 2, false },    /* cmp %ax,(%rbx) */
	{ ENC64(0x39, 0x03), X86_OP_CMP, 4, false },          /* cmp %eax,(%rbx) */
	{ ENC64(0x48, 0x39, 0x03), X86_OP_CMP, 8, false },    /* cmp %rax,(%rbx) */
	{ ENC64(0x3a, 0x03), X86_OP_CMP, 1, true },           /* cmp (%rbx),%al */
	{ ENC64(0x66, 0x3b, 0x03), X86_OP_CMP, 2, true },     /* cmp (%rbx),%ax */
	{ ENC64(0x3b, 0x03), X86_OP_CMP, 4, true },           /* cmp (%rbx),%eax */
	{ ENC64(0x48, 0x3b, 0x03), X86_OP_CMP, 8, true },     /* cmp (%rbx),%rax */
	{ ENC64(0x84, 0x03), X86_OP_TEST, 1, false },         /* test %al,(%rbx) */
	{ ENC64(0x66, 0x85, 0x03), X86_OP_TEST, 2, false },   /* test %ax,(%rbx) */
	{ ENC64(0x85, 0x03), X86_OP_TEST, 4, false },         /* test %eax,(%rbx) */
	{ ENC64(0x48, 0x85, 0x03), X86_OP_TEST, 8, false },   /* test %rax,(%rbx) */
};

static uint64_t merge_reg(uint64_t old, bool high8, unsigned size, uint64_t v)
{
	if (high8)
		return (old & ~0xff00ULL) | ((v & 0xff) << 8);
	switch (size) {
	case 1: return (old & ~0xffULL) | (v & 0xff);
	case 2: return (old & ~0xffffULL) | (v & 0xffff);
	case 4: return v & 0xffffffffULL;
	default: return v;
	}
}

/* Emulates one ALU case with memory value memv and RAX = regv and checks
 * result, flags and accesses against the CPU. */
static void alu_check(const struct alucase *c, const struct x86_insn *in, uint64_t memv,
		      uint64_t regv, uint64_t flags_in)
{
	const uint64_t gpa = MMIO_BASE + 0x800;
	uint64_t mask = size_mask(c->size), hwf, hwres, st, left, right;
	struct guest_regs r, want;
	int rc;

	reset_log();
	le_put(mmio + 0x800, 8, memv);
	regs_fill(&r);
	r.gpr[REG_RAX] = regv;
	r.rflags = flags_in;
	want = r;
	left = c->to_reg ? regv : memv;
	right = c->to_reg ? memv : regv;
	hwres = hw_alu(c->op, c->size, left, right, &hwf);
	rc = x86_emulate(in, &r, MODE_LONG64, gpa, &fake_ops);
	if (rc)
		fail_msg("%s: emulate returned %d", hex(c->b, c->n), rc);
	st = is_logic(c->op) ? ST & ~AF : ST;
	if ((r.rflags & st) != hwf)
		fail_msg("%s with mem %#llx reg %#llx: flags %#llx, CPU says %#llx",
			 hex(c->b, c->n), (unsigned long long)memv, (unsigned long long)regv,
			 (unsigned long long)(r.rflags & st), (unsigned long long)hwf);
	if (is_logic(c->op) && (r.rflags & AF))
		fail_msg("%s: AF left set by a logical op", hex(c->b, c->n));
	want.rflags = (flags_in & ~ST) | (r.rflags & ST);
	want.rip += c->n;
	if (c->to_reg && c->op != X86_OP_CMP)
		want.gpr[REG_RAX] = merge_reg(regv, false, c->size, hwres);
	assert_regs(&r, &want);
	if (!c->to_reg && c->op != X86_OP_CMP && c->op != X86_OP_TEST) {
		assert_int_equal(nacc, 2);
		expect_acc(1, MMIO_W, gpa, c->size, hwres);
		assert_int_equal(le_get(mmio + 0x800, 8), (memv & ~mask) | hwres);
	} else {
		assert_int_equal(nacc, 1);
		assert_int_equal(le_get(mmio + 0x800, 8), memv);
	}
	expect_acc(0, MMIO_R, gpa, c->size, memv & mask);
}

static const uint64_t edge_values[] = {
	0, 1, 2, 0x0f, 0x10, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x100, 0x7fff, 0x8000,
	0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, 0xffffffffffffffffULL, 0x123456789abcdef0ULL,
	0xfedcba9876543210ULL, 0x5555555555555555ULL, 0xaaaaaaaaaaaaaaaaULL,
	0x00000000ffffff80ULL, 0xffffffff00000001ULL,
};

static void test_alu_edges_vs_cpu(void **state)
{
	size_t nv = sizeof(edge_values) / sizeof(edge_values[0]);

	(void)state;
	read_junk = 0x3c3c3c3c3c3c3c3cULL;
	for (size_t k = 0; k < sizeof(alucases) / sizeof(alucases[0]); k++) {
		const struct alucase *c = &alucases[k];
		struct x86_insn in;

		decode_ok(c->mode, c->b, c->n, &in);
		assert_int_equal(in.op, c->op);
		assert_int_equal(in.opsize, c->size);
		assert_int_equal(in.to_reg, c->to_reg);
		for (size_t i = 0; i < nv; i++)
			for (size_t j = 0; j < nv; j++)
				alu_check(c, &in, edge_values[i], edge_values[j],
					  (i + j) & 1 ? FB | ST : FB);
	}
}

/* Every pair of byte operands, every 8-bit form. */
static void test_alu8_exhaustive_vs_cpu(void **state)
{
	unsigned forms = 0;

	(void)state;
	for (size_t k = 0; k < sizeof(alucases) / sizeof(alucases[0]); k++) {
		const struct alucase *c = &alucases[k];
		struct x86_insn in;

		if (c->size != 1)
			continue;
		forms++;
		decode_ok(c->mode, c->b, c->n, &in);
		for (unsigned a = 0; a < 256; a++)
			for (unsigned b = 0; b < 256; b++)
				alu_check(c, &in, 0xeeeeeeeeeeeeee00ULL | a,
					  0x1122334455667700ULL | b, (a ^ b) & 1 ? FB | ST : FB);
	}
	assert_int_equal(forms, 13);
}

/* ---- Fuzzing ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static const uint8_t fz_prefix[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
	0x40, 0x41, 0x42, 0x44, 0x45, 0x48, 0x49, 0x4a, 0x4c, 0x4f,
};
static const uint8_t fz_opcode[] = {
	0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x18, 0x20, 0x21,
	0x22, 0x23, 0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39,
	0x3a, 0x3b, 0x63, 0x80, 0x81, 0x83, 0x84, 0x85, 0x88, 0x89, 0x8a, 0x8b,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0xc6, 0xc7, 0xf6, 0xf7,
	0x0f, 0x0f, 0x0f,
};

/* Instruction-like bytes: some prefixes, an opcode mostly from the
 * supported list, a ModRM usually with a memory operand, random rest. */
static void gen_insn(uint8_t *b, unsigned cap)
{
	unsigned n = 0, np = (unsigned)(rnd() % 5);

	for (unsigned i = 0; i < cap; i++)
		b[i] = (uint8_t)rnd();
	for (unsigned i = 0; i < np; i++)
		b[n++] = fz_prefix[rnd() % sizeof(fz_prefix)];
	b[n] = fz_opcode[rnd() % sizeof(fz_opcode)];
	if (b[n++] == 0x0f) {
		static const uint8_t ext[] = { 0xb6, 0xb7, 0xbe, 0xbf, 0x05 };

		b[n++] = ext[rnd() % sizeof(ext)];
	}
	if (rnd() % 8) {
		b[n] &= 0xc7 | (rnd() % 2 ? 0x38 : 0);     /* often ModRM.reg 0 */
		if ((b[n] >> 6) == 3)
			b[n] &= 0x7f;
	}
}

static bool in_set(int v, const int *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

/* What any successful decode must satisfy. */
static void check_sane(const struct x86_insn *in, enum cpu_mode m, unsigned n)
{
	static const int base16[] = { X86_REG_NONE, REG_RBX, REG_RBP, REG_RSI, REG_RDI };
	static const int index16[] = { X86_REG_NONE, REG_RSI, REG_RDI };
	unsigned lim = m == MODE_LONG64 ? 16 : 8;

	assert_true(in->len >= 1 && in->len <= X86_MAX_INSN && in->len <= n);
	assert_int_equal(in->mode, m);
	assert_true(in->op >= X86_OP_MOV_STORE && in->op <= X86_OP_SSE_STORE);
	assert_true(in->opsize == 1 || in->opsize == 2 || in->opsize == 4 || in->opsize == 8 ||
		    (is_sse(in->op) && in->opsize == 16));
	assert_true(in->regsize == in->opsize || in->regsize == 1 || in->regsize == 2 ||
		    in->regsize == 4 || in->regsize == 8);
	if (in->op == X86_OP_MOVZX || in->op == X86_OP_MOVSX)
		assert_true(in->regsize >= in->opsize && in->regsize >= 2);
	else
		assert_int_equal(in->regsize, in->opsize);
	if (m == MODE_LONG64)
		assert_true(in->addrsize == 4 || in->addrsize == 8);
	else
		assert_true(in->addrsize == 2 || in->addrsize == 4);
	assert_true(in->reg >= X86_REG_NONE && in->reg < (int)lim);
	if (in->reg_high8)
		assert_true(in->reg >= 0 && in->reg <= 3 && in->opsize == 1 &&
			    in->op != X86_OP_MOVZX && in->op != X86_OP_MOVSX);
	if (!in->has_imm && in->op != X86_OP_MOVS && !no_reg_operand(in->op))
		assert_true(in->reg >= 0);
	if (in->has_imm)
		assert_true((in->imm & ~size_mask(in->opsize)) == 0 && in->reg == X86_REG_NONE);
	assert_true(in->base >= X86_BASE_RIP && in->base < (int)lim);
	if (in->base == X86_BASE_RIP)
		assert_int_equal(m, MODE_LONG64);
	assert_true(in->index >= X86_REG_NONE && in->index < (int)lim);
	assert_true(in->scale == 1 || in->scale == 2 || in->scale == 4 || in->scale == 8);
	if (in->addrsize == 2) {
		assert_true(in_set(in->base, base16, 5));
		assert_true(in_set(in->index, index16, 3));
		assert_true(in->moffs ? in->disp >= 0 && in->disp <= 0xffff :
					in->disp >= -0x8000 && in->disp <= 0x7fff);
	} else {
		assert_true(in->index != REG_RSP);
		if (!in->moffs)
			assert_true(in->disp >= INT32_MIN && in->disp <= INT32_MAX);
		else if (in->addrsize == 4)
			assert_true(in->disp >= 0 && in->disp <= 0xffffffffLL);
	}
	assert_true(in->rep == 0 || in->rep == 0xf2 || in->rep == 0xf3);
	assert_true(in->seg <= SEG_GS || in->seg == SEG_NONE);
	if (in->op == X86_OP_STOS)
		assert_true(in->seg == SEG_ES && in->base == REG_RDI && in->reg == REG_RAX);
	if (in->op == X86_OP_MOVS)
		assert_true(in->base == REG_RSI && in->reg == X86_REG_NONE);
	if (in->lock)
		assert_true(is_rmw(in->op) && !in->to_reg);
	if (is_sse(in->op))
		assert_true(in->xmm < lim && (in->opsize == 4 || in->opsize == 8 || in->opsize == 16));
	if (in->to_reg)
		assert_true(is_alu(in->op) && in->op != X86_OP_TEST);
	if (in->moffs)
		assert_true((in->op == X86_OP_MOV_LOAD || in->op == X86_OP_MOV_STORE) &&
			    in->base == X86_REG_NONE && in->index == X86_REG_NONE &&
			    in->reg == REG_RAX);
}

static bool insn_equal(const struct x86_insn *a, const struct x86_insn *b)
{
	return a->len == b->len && a->op == b->op && a->mode == b->mode &&
	       a->opsize == b->opsize && a->regsize == b->regsize &&
	       a->addrsize == b->addrsize && a->reg == b->reg &&
	       a->reg_high8 == b->reg_high8 && a->to_reg == b->to_reg &&
	       a->has_imm == b->has_imm && a->imm == b->imm && a->moffs == b->moffs &&
	       a->lock == b->lock && a->rep == b->rep && a->seg == b->seg &&
	       a->base == b->base && a->index == b->index && a->scale == b->scale &&
	       a->disp == b->disp;
}

/* Decoding random and instruction-like bytes in every mode: no crash, no
 * read past n (each input sits in a buffer of exactly n bytes), sane
 * results, and the same answer from the instruction's own bytes. */
static void test_fuzz_decode(void **state)
{
	unsigned ok = 0, e2big = 0, einval = 0;

	(void)state;
	rng = 0x9e3779b97f4a7c15ULL;
	for (int it = 0; it < 100000; it++) {
		uint8_t src[20];
		unsigned n = (unsigned)(rnd() % 19);
		enum cpu_mode m = (enum cpu_mode)(rnd() % 4);
		struct x86_insn in, again;
		uint8_t *p;
		int rc;

		if (it & 1)
			gen_insn(src, sizeof(src));
		else
			for (unsigned i = 0; i < sizeof(src); i++)
				src[i] = (uint8_t)rnd();
		p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, src, n);
		rc = x86_decode(p, n, m, &in);
		if (rc == 0) {
			ok++;
			check_sane(&in, m, n);
			assert_int_equal(x86_decode(p, in.len, m, &again), 0);
			assert_true(insn_equal(&in, &again));
			assert_int_equal(x86_decode(p, in.len - 1, m, &again), -E2BIG);
		} else if (rc == -E2BIG) {
			/* Only short input can be incomplete: from 15 bytes
			 * on, the decoder knows. */
			assert_true(n < X86_MAX_INSN);
			e2big++;
		} else if (rc == -EINVAL) {
			einval++;
		} else {
			fail_msg("decode of %s(mode %d) returned %d", hex(p, n), m, rc);
		}
		free(p);
	}
	/* The generator really reaches all three outcomes. */
	assert_true(ok > 15000);
	assert_true(e2big > 5000);
	assert_true(einval > 15000);
}

static uint64_t fz_addr(void)
{
	switch (rnd() % 6) {
	case 0: return rnd() % RAM_SIZE;
	case 1: return MMIO_BASE + rnd() % MMIO_SIZE;
	case 2: return HIGH_GLA + rnd() % MMIO_SIZE;
	case 3: return rnd() % 64;
	case 4: return (rnd() & 0xffffffff00000000ULL) | (MMIO_BASE + rnd() % MMIO_SIZE);
	default: return rnd();
	}
}

static void fuzz_check_single(const struct x86_insn *in, enum cpu_mode m, int rc,
			      const struct guest_regs *before, const struct guest_regs *r,
			      uint64_t gpa)
{
	struct guest_regs want = *before;
	uint64_t mask = size_mask(in->opsize), memv, src, res, hwf, st;

	if (rc) {
		assert_regs(r, before);
		return;
	}
	want.rip = next_rip(m, before->rip, in->len);
	assert_true(nacc >= 1);
	memv = acc_log[0].val;
	switch (in->op) {
	case X86_OP_MOV_STORE:
		src = in->has_imm ? in->imm :
		      in->reg_high8 ? (before->gpr[in->reg] >> 8) & 0xff :
		      before->gpr[in->reg] & mask;
		assert_int_equal(nacc, 1);
		expect_acc(0, MMIO_W, gpa, in->opsize, src);
		break;
	case X86_OP_MOV_LOAD:
		assert_int_equal(nacc, 1);
		assert_true(acc_log[0].kind == MMIO_R && acc_log[0].addr == gpa);
		want.gpr[in->reg] = merge_reg(before->gpr[in->reg], in->reg_high8, in->opsize, memv);
		break;
	case X86_OP_MOVZX:
	case X86_OP_MOVSX:
		assert_int_equal(nacc, 1);
		assert_true(acc_log[0].kind == MMIO_R && acc_log[0].size == in->opsize);
		if (in->op == X86_OP_MOVSX && (memv >> (8 * in->opsize - 1)) & 1)
			memv |= ~mask;
		want.gpr[in->reg] = merge_reg(before->gpr[in->reg], false, in->regsize, memv);
		break;
	default:
		assert_true(is_alu(in->op));
		assert_true(acc_log[0].kind == MMIO_R && acc_log[0].addr == gpa &&
			    acc_log[0].size == in->opsize);
		src = in->has_imm ? in->imm :
		      in->reg_high8 ? (before->gpr[in->reg] >> 8) & 0xff :
		      before->gpr[in->reg] & mask;
		if (in->to_reg)
			res = hw_alu(in->op, in->opsize, src, memv, &hwf);
		else
			res = hw_alu(in->op, in->opsize, memv, src, &hwf);
		st = is_logic(in->op) ? ST & ~AF : ST;
		if ((r->rflags & st) != hwf)
			fail_msg("flags %#llx, CPU says %#llx", (unsigned long long)(r->rflags & st),
				 (unsigned long long)hwf);
		if (is_logic(in->op))
			assert_int_equal(r->rflags & AF, 0);
		want.rflags = (before->rflags & ~ST) | (r->rflags & ST);
		if (in->op == X86_OP_CMP || in->op == X86_OP_TEST) {
			assert_int_equal(nacc, 1);
		} else if (in->to_reg) {
			assert_int_equal(nacc, 1);
			want.gpr[in->reg] = merge_reg(before->gpr[in->reg], in->reg_high8,
						      in->opsize, res);
		} else {
			assert_int_equal(nacc, 2);
			expect_acc(1, MMIO_W, gpa, in->opsize, res);
		}
		break;
	}
	assert_regs(r, &want);
}

static uint64_t addr_reg_after(uint64_t old, unsigned asz, uint64_t v, uint64_t k)
{
	return k ? merge_reg(old, false, asz, v) : old;
}

static void fuzz_check_string(const struct x86_insn *in, enum cpu_mode m, int rc,
			      const struct guest_regs *before, const struct guest_regs *r)
{
	uint64_t amask = size_mask(in->addrsize);
	uint64_t step = before->rflags & RFLAGS_DF ? -(uint64_t)in->opsize : in->opsize;
	uint64_t count = in->rep ? before->gpr[REG_RCX] & amask : 1;
	uint64_t k = nwrites_ok;
	struct guest_regs want = *before;

	assert_true(k <= count && k <= X86_REP_MAX);
	if (rc == 0) {
		assert_int_equal(k, count < X86_REP_MAX ? count : X86_REP_MAX);
		if (k == count)
			want.rip = next_rip(m, before->rip, in->len);
	} else {
		assert_true(k < count);
	}
	want.gpr[REG_RDI] = addr_reg_after(before->gpr[REG_RDI], in->addrsize,
					   before->gpr[REG_RDI] + k * step, k);
	if (in->op == X86_OP_MOVS)
		want.gpr[REG_RSI] = addr_reg_after(before->gpr[REG_RSI], in->addrsize,
						   before->gpr[REG_RSI] + k * step, k);
	if (in->rep)
		want.gpr[REG_RCX] = addr_reg_after(before->gpr[REG_RCX], in->addrsize,
						   before->gpr[REG_RCX] - k, k);
	assert_regs(r, &want);
	if (in->op == X86_OP_STOS)
		for (unsigned i = 0; i < nacc && i < LOG_MAX; i++)
			assert_int_equal(acc_log[i].val, before->gpr[REG_RAX] & size_mask(in->opsize));
	for (unsigned i = 0; i < nacc && i < LOG_MAX; i++)
		assert_int_equal(acc_log[i].size, in->opsize);
}

/* Emulating instruction-like bytes against the fakes with random registers,
 * segment bases, device addresses and injected failures, checking every
 * outcome against an independent model (the CPU for ALU flags). */
static void test_fuzz_emulate(void **state)
{
	unsigned emulated = 0, strings = 0, failed = 0;

	(void)state;
	rng = 0x0123456789abcdefULL;
	for (int it = 0; it < 100000; it++) {
		uint8_t b[X86_MAX_INSN];
		enum cpu_mode m = (enum cpu_mode)(rnd() % 4);
		struct guest_regs r, before;
		struct x86_insn in;
		uint64_t gpa;
		bool string, newer;
		int rc;

		gen_insn(b, sizeof(b));
		if (x86_decode(b, sizeof(b), m, &in))
			continue;
		string = in.op == X86_OP_STOS || in.op == X86_OP_MOVS;
		newer = in.op > X86_OP_TEST;
		reset_log();
		fail_at = rnd() % 4 ? 0 : 1 + (unsigned)(rnd() % 4);
		fail_err = -EIO;
		read_junk = rnd();
		xlate_fail_page = rnd() % 8 ? 0 : (1 + rnd() % (RAM_SIZE / 0x1000 - 1)) * 0x1000;
		for (int s = SEG_ES; s <= SEG_GS; s++) {
			static const uint64_t bases[] = { 0, 0x1000, 0x10000, 0xfffff000 };

			seg_bases[s] = rnd() % 2 ? bases[rnd() % 4] : rnd() % RAM_SIZE;
		}
		for (int i = 0; i < REG_NGPR; i++)
			r.gpr[i] = fz_addr();
		switch (rnd() % 4) {
		case 0: r.gpr[REG_RCX] = 0; break;
		case 1: r.gpr[REG_RCX] = rnd() % 64; break;
		case 2: r.gpr[REG_RCX] = (rnd() << 32) | (rnd() % 64); break;
		default: r.gpr[REG_RCX] = rnd() % (2 * X86_REP_MAX); break;
		}
		r.rflags = 0x2 | (rnd() & (ST | RFLAGS_DF | RFLAGS_IF | RFLAGS_TF));
		r.rip = rnd();
		if (m == MODE_PROT32)
			r.rip &= 0xffffffff;
		else if (m != MODE_LONG64)
			r.rip &= 0xffff;
		gpa = rnd() % 4 ? MMIO_BASE + rnd() % MMIO_SIZE : fz_addr();
		before = r;
		rc = x86_emulate(&in, &r, m, gpa, &fake_ops);
		if (rc != 0 && rc != -EIO && rc != -EFAULT && rc != -ENOENT)
			fail_msg("emulate of %s(mode %d) returned %d", hex(b, in.len), m, rc);
		emulated++;
		failed += rc != 0;
		if (newer) {
			/* Checked by their own tests; here: no crash, and a
			 * failed single access changes nothing. */
			if (rc && in.op != X86_OP_LODS)
				assert_regs(&r, &before);
		} else if (string) {
			strings++;
			fuzz_check_string(&in, m, rc, &before, &r);
		} else {
			fuzz_check_single(&in, m, rc, &before, &r, gpa);
		}
	}
	assert_true(emulated > 20000);
	assert_true(strings > 1000);
	assert_true(failed > 1000 && failed < emulated);
}

/* The shared prefix scanner (what the decoder and the exits without a
 * next RIP use): Intel SDM Vol. 2A, 2.1.1 and 2.2.1; AMD APM Vol. 3, 1.2.4. */
static void test_prefix_scan(void **state)
{
	struct x86_prefixes p;
	static const uint8_t movcr8[] = { 0x44, 0x0f, 0x22, 0xc0 };
	static const uint8_t rex_then_66[] = { 0x48, 0x66, 0x89, 0x07 };
	static const uint8_t fs_then_es[] = { 0x64, 0x26, 0x8b, 0x04 };
	static const uint8_t es_then_fs[] = { 0x26, 0x64, 0x8b, 0x04 };
	static const uint8_t rep_both[] = { 0xf3, 0xf2, 0xf0, 0x67, 0xa4 };
	static const uint8_t inc[] = { 0x40, 0x90 };
	uint8_t all[20];

	(void)state;
	assert_int_equal(x86_prefixes(movcr8, sizeof(movcr8), MODE_LONG64, &p), 1);
	assert_int_equal(p.rex, 0x44);
	assert_int_equal(p.seg, SEG_NONE);
	/* A REX followed by a legacy prefix is ignored. */
	assert_int_equal(x86_prefixes(rex_then_66, sizeof(rex_then_66), MODE_LONG64, &p), 2);
	assert_int_equal(p.rex, 0);
	assert_true(p.opsize);
	assert_false(p.addrsize);
	/* 64-bit mode: ES/CS/SS/DS are null prefixes, FS stays. */
	assert_int_equal(x86_prefixes(fs_then_es, sizeof(fs_then_es), MODE_LONG64, &p), 2);
	assert_int_equal(p.seg, SEG_FS);
	assert_int_equal(x86_prefixes(fs_then_es, sizeof(fs_then_es), MODE_PROT32, &p), 2);
	assert_int_equal(p.seg, SEG_ES);
	assert_int_equal(x86_prefixes(es_then_fs, sizeof(es_then_fs), MODE_PROT32, &p), 2);
	assert_int_equal(p.seg, SEG_FS);
	/* The last of F2/F3 counts. */
	assert_int_equal(x86_prefixes(rep_both, sizeof(rep_both), MODE_REAL, &p), 4);
	assert_int_equal(p.rep, 0xf2);
	assert_true(p.lock);
	assert_true(p.addrsize);
	/* 40-4F are INC/DEC, an opcode, outside 64-bit mode. */
	assert_int_equal(x86_prefixes(inc, sizeof(inc), MODE_PROT32, &p), 0);
	assert_int_equal(p.rex, 0);
	assert_int_equal(x86_prefixes(inc, sizeof(inc), MODE_LONG64, &p), 1);
	assert_int_equal(p.rex, 0x40);
	/* Bounded by n and by the architectural 15 bytes. */
	memset(all, 0x66, sizeof(all));
	assert_int_equal(x86_prefixes(all, 3, MODE_LONG64, &p), 3);
	assert_int_equal(x86_prefixes(all, sizeof(all), MODE_LONG64, &p), X86_MAX_INSN);
	assert_int_equal(x86_prefixes(all, 0, MODE_LONG64, &p), 0);
	assert_int_equal(p.len, 0);
}

/* ---- The read-modify-write, bit-test, LODS, CMPXCHG, MOVNTI and SSE forms ---- */

#define GPA8 (MMIO_BASE + 0x800)

/* Runs bytes on the device word at GPA8 holding memv, registers from
 * regs_fill with RAX = rax, RCX = rcx, RFLAGS = fl. */
static int run_at(enum cpu_mode m, const uint8_t *b, unsigned n, uint64_t memv, uint64_t rax,
		  uint64_t rcx, uint64_t fl, struct guest_regs *r, struct guest_regs *before)
{
	reset_log();
	le_put(mmio + 0x800, 8, memv);
	le_put(mmio + 0x808, 8, 0x0f0e0d0c0b0a0908ULL);
	regs_fill(r);
	r->gpr[REG_RAX] = rax;
	r->gpr[REG_RCX] = rcx;
	r->rflags = fl;
	*before = *r;
	return emulate(m, b, n, r, GPA8);
}

#define RUN(enc, memv, rax, rcx, fl) run_at(enc, memv, rax, rcx, fl, &r, &want)

static void test_xchg(void **state)
{
	struct guest_regs r, want;
	struct x86_insn in;

	(void)state;
	assert_int_equal(RUN(ENC64(0x87, 0x03), 0x1111222233334444ULL, 0xaaaabbbbccccddddULL, 0, FB), 0); /* xchg %eax,(%rbx) */
	want.gpr[REG_RAX] = 0x33334444;
	want.rip += 2;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 2);
	expect_acc(0, MMIO_R, GPA8, 4, 0x33334444);
	expect_acc(1, MMIO_W, GPA8, 4, 0xccccdddd);
	assert_int_equal(le_get(mmio + 0x800, 8), 0x11112222ccccddddULL);
	assert_int_equal(RUN(ENC64(0x86, 0x23), 0x5a, 0x1234, 0, FB), 0); /* xchg %ah,(%rbx) */
	want.gpr[REG_RAX] = 0x5a34;
	want.rip += 2;
	assert_regs(&r, &want);
	expect_acc(1, MMIO_W, GPA8, 1, 0x12);
	assert_int_equal(RUN(ENC64(0x66, 0x87, 0x33), 0xbeef, 0, 0, FB), 0); /* xchg %si,(%rbx) */
	want.gpr[REG_RSI] = (want.gpr[REG_RSI] & ~0xffffULL) | 0xbeef;
	want.rip += 3;
	assert_regs(&r, &want);
	decode_ok(ENC64(0xf0, 0x48, 0x87, 0x13), &in); /* lock xchg %rdx,(%rbx) */
	assert_true(in.lock && in.op == X86_OP_XCHG && in.opsize == 8 && in.reg == REG_RDX);
	/* The write fails: the register keeps its value. */
	reset_log();
	fail_at = 2;
	fail_err = -EIO;
	regs_fill(&r);
	want = r;
	assert_int_equal(emulate(ENC64(0x87, 0x03), &r, GPA8), -EIO); /* xchg %eax,(%rbx) */
	assert_regs(&r, &want);
}

/* ADC/SBB/INC/DEC/NEG on the host CPU with a given CF in. */
#define HW_CF(insn, mod)                                                     \
	__asm__ volatile("bt $0, %[c]\n\t" insn " %" mod "[b], %" mod "[a]\n\t" \
			 "lea -128(%%rsp), %%rsp\n\t"                         \
			 "pushfq\n\t"                                         \
			 "popq %[f]\n\t"                                      \
			 "lea 128(%%rsp), %%rsp"                              \
			 : [a] "+r"(a), [f] "=r"(f) : [b] "r"(b), [c] "r"(cin) : "cc", "memory")
#define HW_UN(insn, mod)                                                     \
	__asm__ volatile("bt $0, %[c]\n\t" insn " %" mod "[a]\n\t"             \
			 "lea -128(%%rsp), %%rsp\n\t"                         \
			 "pushfq\n\t"                                         \
			 "popq %[f]\n\t"                                      \
			 "lea 128(%%rsp), %%rsp"                              \
			 : [a] "+r"(a), [f] "=r"(f) : [c] "r"(cin) : "cc", "memory")
#define HW_SZ(M, insn)                                                       \
	do {                                                                 \
		switch (size) {                                              \
		case 1: M(insn "b", "b"); break;                             \
		case 2: M(insn "w", "w"); break;                             \
		case 4: M(insn "l", "k"); break;                             \
		default: M(insn "q", "q"); break;                            \
		}                                                            \
	} while (0)

static uint64_t hw_cf(enum x86_op op, unsigned size, uint64_t a, uint64_t b, uint64_t cin,
		      uint64_t *flags)
{
	uint64_t f = 0;

	switch (op) {
	case X86_OP_ADC: HW_SZ(HW_CF, "adc"); break;
	case X86_OP_SBB: HW_SZ(HW_CF, "sbb"); break;
	case X86_OP_INC: HW_SZ(HW_UN, "inc"); break;
	case X86_OP_DEC: HW_SZ(HW_UN, "dec"); break;
	case X86_OP_NEG: HW_SZ(HW_UN, "neg"); break;
	case X86_OP_NOT: HW_SZ(HW_UN, "not"); break;
	default: fail_msg("hw_cf(%d)", op);
	}
	(void)b;
	*flags = f & ST;
	return a & size_mask(size);
}

struct cfcase {
	enum cpu_mode mode;
	const uint8_t *b;
	unsigned n;
	enum x86_op op;
	unsigned size;
	bool to_reg, imm;
	uint64_t immv;
};

static const struct cfcase cfcases[] = {
	{ ENC64(0x11, 0x03), X86_OP_ADC, 4, false, false, 0 },          /* adc %eax,(%rbx) */
	{ ENC64(0x13, 0x03), X86_OP_ADC, 4, true, false, 0 },           /* adc (%rbx),%eax */
	{ ENC64(0x10, 0x03), X86_OP_ADC, 1, false, false, 0 },          /* adc %al,(%rbx) */
	{ ENC64(0x83, 0x13, 0x01), X86_OP_ADC, 4, false, true, 1 },     /* adcl $1,(%rbx) */
	{ ENC64(0xf0, 0x48, 0x81, 0x13, 0x78, 0x56, 0x34, 0x12), X86_OP_ADC, 8, false, true, 0x12345678 }, /* lock adcq $0x12345678,(%rbx) */
	{ ENC64(0x80, 0x1b, 0x01), X86_OP_SBB, 1, false, true, 1 },     /* sbbb $1,(%rbx) */
	{ ENC64(0x48, 0x1b, 0x03), X86_OP_SBB, 8, true, false, 0 },     /* sbb (%rbx),%rax */
	{ ENC64(0x66, 0x19, 0x03), X86_OP_SBB, 2, false, false, 0 },    /* sbb %ax,(%rbx) */
	{ ENC64(0xff, 0x03), X86_OP_INC, 4, false, false, 0 },          /* incl (%rbx) */
	{ ENC64(0xfe, 0x03), X86_OP_INC, 1, false, false, 0 },          /* incb (%rbx) */
	{ ENC64(0x66, 0xff, 0x0b), X86_OP_DEC, 2, false, false, 0 },    /* decw (%rbx) */
	{ ENC64(0xf0, 0x48, 0xff, 0x0b), X86_OP_DEC, 8, false, false, 0 }, /* lock decq (%rbx) */
	{ ENC64(0xf6, 0x1b), X86_OP_NEG, 1, false, false, 0 },          /* negb (%rbx) */
	{ ENC64(0xf0, 0x48, 0xf7, 0x1b), X86_OP_NEG, 8, false, false, 0 }, /* lock negq (%rbx) */
	{ ENC64(0xf7, 0x13), X86_OP_NOT, 4, false, false, 0 },          /* notl (%rbx) */
	{ ENC64(0x66, 0xf7, 0x13), X86_OP_NOT, 2, false, false, 0 },    /* notw (%rbx) */
};

static void test_carry_forms_vs_cpu(void **state)
{
	size_t nv = sizeof(edge_values) / sizeof(edge_values[0]);

	(void)state;
	for (size_t k = 0; k < sizeof(cfcases) / sizeof(cfcases[0]); k++) {
		const struct cfcase *c = &cfcases[k];
		uint64_t mask = size_mask(c->size);
		struct x86_insn in;

		decode_ok(c->mode, c->b, c->n, &in);
		assert_int_equal(in.op, c->op);
		assert_int_equal(in.opsize, c->size);
		for (size_t i = 0; i < nv; i++)
			for (size_t j = 0; j < nv; j++)
				for (uint64_t cin = 0; cin < 2; cin++) {
					uint64_t memv = edge_values[i], regv = edge_values[j];
					uint64_t fl = (j & 1 ? FB | (ST & ~CF) : FB) | cin;
					uint64_t src = c->imm ? c->immv : regv, hwf, res;
					struct guest_regs r, want;
					bool unary = c->op == X86_OP_INC || c->op == X86_OP_DEC ||
						     c->op == X86_OP_NEG || c->op == X86_OP_NOT;

					if (c->to_reg)
						res = hw_cf(c->op, c->size, regv, memv, cin, &hwf);
					else
						res = hw_cf(c->op, c->size, memv, src, cin, &hwf);
					assert_int_equal(run_at(c->mode, c->b, c->n, memv, regv, 0, fl,
								&r, &want), 0);
					want.rip += c->n;
					want.rflags = c->op == X86_OP_NOT ? fl : (fl & ~ST) | hwf;
					if (c->to_reg) {
						want.gpr[REG_RAX] = merge_reg(regv, false, c->size, res);
						assert_int_equal(nacc, 1);
					} else {
						assert_int_equal(nacc, 2);
						expect_acc(1, MMIO_W, GPA8, c->size, res);
						assert_int_equal(le_get(mmio + 0x800, 8),
								 (memv & ~mask) | res);
					}
					(void)unary;
					assert_regs(&r, &want);
				}
	}
}

static void test_bt(void **state)
{
	struct guest_regs r, want;
	const uint64_t keep = FB | ZF | SF | OF | PF | AF;

	(void)state;
	/* bt %eax,(%rbx), EAX = 37: bit 5 of the word the CPU accessed. */
	assert_int_equal(RUN(ENC64(0x0f, 0xa3, 0x03), 0x20, 37, 0, keep), 0);
	want.rip += 3;
	want.rflags = keep | CF;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 1);
	assert_int_equal(RUN(ENC64(0x0f, 0xa3, 0x03), 0xffffffdfULL, 37, 0, keep | CF), 0);
	want.rip += 3;
	want.rflags = keep;
	assert_regs(&r, &want);
	/* bts %rax,(%rbx), RAX = 127: bit 63. */
	assert_int_equal(RUN(ENC64(0x48, 0x0f, 0xab, 0x03), 1, 127, 0, FB), 0);
	want.rip += 4;
	assert_regs(&r, &want);
	expect_acc(1, MMIO_W, GPA8, 8, 0x8000000000000001ULL);
	/* btr %cx,(%rbx), CX = -1: bit 15 of the word below. */
	assert_int_equal(RUN(ENC64(0x66, 0x0f, 0xb3, 0x0b), 0xffff, 0, 0xffff, FB), 0);
	want.rip += 4;
	want.rflags = FB | CF;
	assert_regs(&r, &want);
	expect_acc(1, MMIO_W, GPA8, 2, 0x7fff);
	/* lock btc %edx,(%rbx). */
	regs_fill(&r);
	assert_int_equal(RUN(ENC64(0xf0, 0x0f, 0xbb, 0x13), 0, 0, 0, FB), 0);
	want.rip += 4;
	assert_regs(&r, &want);
	expect_acc(1, MMIO_W, GPA8, 4, 1ULL << (0x03030303 & 31));   /* EDX from regs_fill */
	/* Immediate forms: the offset modulo the width. */
	assert_int_equal(RUN(ENC64(0x0f, 0xba, 0x23, 0x05), 0x20, 0, 0, FB), 0); /* btl $5,(%rbx) */
	want.rip += 4;
	want.rflags = FB | CF;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 1);
	assert_int_equal(RUN(ENC64(0x48, 0x0f, 0xba, 0x2b, 0x3f), 0, 0, 0, FB), 0); /* btsq $63,(%rbx) */
	expect_acc(1, MMIO_W, GPA8, 8, 1ULL << 63);
	assert_int_equal(RUN(ENC64(0x66, 0x0f, 0xba, 0x33, 0x11), 0xffff, 0, 0, FB), 0); /* btrw $17,(%rbx) */
	expect_acc(1, MMIO_W, GPA8, 2, 0xfffd);
	assert_true(r.rflags & CF);
	assert_int_equal(RUN(ENC64(0xf0, 0x0f, 0xba, 0x3b, 0x1f), 0x80000000ULL, 0, 0, FB), 0); /* lock btcl $31,(%rbx) */
	expect_acc(1, MMIO_W, GPA8, 4, 0);
	assert_true(r.rflags & CF);
}

static void test_lods(void **state)
{
	struct guest_regs r, want;

	(void)state;
	reset_log();
	le_put(mmio + 0x100, 8, 0x8877665544332211ULL);
	le_put(mmio + 0x108, 8, 0x1100ffeeddccbbaaULL);
	regs_fill(&r);
	r.gpr[REG_RSI] = MMIO_BASE + 0x100;
	want = r;
	assert_int_equal(emulate(ENC64(0xac), &r, 0), 0); /* lods %ds:(%rsi),%al */
	want.gpr[REG_RAX] = (want.gpr[REG_RAX] & ~0xffULL) | 0x11;
	want.gpr[REG_RSI] += 1;
	want.rip += 1;
	assert_regs(&r, &want);
	assert_int_equal(emulate(ENC64(0xad), &r, 0), 0); /* lods %ds:(%rsi),%eax */
	want.gpr[REG_RAX] = 0x55443322;
	want.gpr[REG_RSI] += 4;
	want.rip += 1;
	assert_regs(&r, &want);
	/* rep lodsq backwards: RAX ends with the last element read. */
	r.gpr[REG_RSI] = MMIO_BASE + 0x108;
	r.gpr[REG_RCX] = 2;
	r.rflags |= RFLAGS_DF;
	want = r;
	assert_int_equal(emulate(ENC64(0xf3, 0x48, 0xad), &r, 0), 0); /* rep lods %ds:(%rsi),%rax */
	want.gpr[REG_RAX] = 0x8877665544332211ULL;
	want.gpr[REG_RSI] = MMIO_BASE + 0xf8;
	want.gpr[REG_RCX] = 0;
	want.rip += 3;
	assert_regs(&r, &want);
	assert_int_equal(nxlate_writes, 0);
	/* FS override. */
	reset_log();
	seg_bases[SEG_FS] = MMIO_BASE;
	regs_fill(&r);
	r.gpr[REG_RSI] = 0x102;
	want = r;
	assert_int_equal(emulate(ENC64(0x64, 0x66, 0xad), &r, 0), 0); /* lods %fs:(%rsi),%ax */
	want.gpr[REG_RAX] = (want.gpr[REG_RAX] & ~0xffffULL) | 0x4433;
	want.gpr[REG_RSI] += 2;
	want.rip += 3;
	assert_regs(&r, &want);
	/* A translation fault: nothing changes. */
	xlate_fail_page = 0x1000;
	regs_fill(&r);
	r.gpr[REG_RSI] = 0x1000;
	want = r;
	assert_int_equal(emulate(ENC64(0xac), &r, 0), -ENOENT); /* lods %ds:(%rsi),%al */
	assert_regs(&r, &want);
}

static void test_cmpxchg(void **state)
{
	struct guest_regs r, want;

	(void)state;
	/* Equal: ZF, the destination gets ECX, EAX untouched. */
	assert_int_equal(RUN(ENC64(0x0f, 0xb1, 0x0b), 0xffffffff00000042ULL, 0xdead000000000042ULL,
			     0x1234567899887766ULL, FB | CF), 0); /* cmpxchg %ecx,(%rbx) */
	want.rip += 3;
	want.rflags = FB | ZF | PF;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 2);
	expect_acc(1, MMIO_W, GPA8, 4, 0x99887766);
	/* Not equal: EAX gets the destination (zero-extended), which is
	 * written back unchanged. */
	assert_int_equal(RUN(ENC64(0x0f, 0xb1, 0x0b), 0x50, 0xdead000000000042ULL, 7, FB), 0); /* cmpxchg %ecx,(%rbx) */
	want.rip += 3;
	want.gpr[REG_RAX] = 0x50;
	want.rflags = FB | CF | SF;   /* 0x42 - 0x50 = 0xfffffff2 */
	assert_regs(&r, &want);
	assert_int_equal(nacc, 2);
	expect_acc(1, MMIO_W, GPA8, 4, 0x50);
	/* Byte form, and lock with REX.W. */
	assert_int_equal(RUN(ENC64(0x0f, 0xb0, 0x0b), 0x11, 0x11, 0x99, FB), 0); /* cmpxchg %cl,(%rbx) */
	expect_acc(1, MMIO_W, GPA8, 1, 0x99);
	assert_true(r.rflags & ZF);
	assert_int_equal(RUN(ENC64(0xf0, 0x48, 0x0f, 0xb1, 0x0b), 5, 6, 7, FB), 0); /* lock cmpxchg %rcx,(%rbx) */
	want.rip += 5;
	want.gpr[REG_RAX] = 5;
	want.rflags = FB;
	assert_regs(&r, &want);
}

static void test_xadd(void **state)
{
	struct guest_regs r, want;
	struct x86_insn in;

	(void)state;
	/* lock xadd %ecx,(%rbx): memory 0xffffffff + 1 = 0 (CF ZF PF AF),
	 * ECX gets the old value, zero-extended. */
	assert_int_equal(RUN(ENC64(0xf0, 0x0f, 0xc1, 0x0b), 0xaaaaaaaaffffffffULL, 0, 1, FB), 0); /* lock xadd %ecx,(%rbx) */
	want.rip += 4;
	want.gpr[REG_RCX] = 0xffffffff;
	want.rflags = FB | CF | ZF | PF | AF;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 2);
	expect_acc(1, MMIO_W, GPA8, 4, 0);
	/* xadd %ah,(%rbx). */
	assert_int_equal(RUN(ENC64(0x0f, 0xc0, 0x23), 0x7f, 0x0100, 0, FB), 0); /* xadd %ah,(%rbx) */
	want.rip += 3;
	want.gpr[REG_RAX] = 0x7f00;
	want.rflags = FB | SF | OF | AF;   /* 0x7f + 1 = 0x80 */
	assert_regs(&r, &want);
	expect_acc(1, MMIO_W, GPA8, 1, 0x80);
	decode_ok(ENC64(0x48, 0x0f, 0xc1, 0x03), &in); /* xadd %rax,(%rbx) */
	assert_true(in.op == X86_OP_XADD && in.opsize == 8 && !in.lock);
}

static void test_movnti(void **state)
{
	struct guest_regs r, want;
	struct x86_insn in;

	(void)state;
	assert_int_equal(RUN(ENC64(0x0f, 0xc3, 0x03), 0, 0x1122334455667788ULL, 0, FB), 0); /* movnti %eax,(%rbx) */
	want.rip += 3;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 1);
	expect_acc(0, MMIO_W, GPA8, 4, 0x55667788);
	assert_int_equal(RUN(ENC64(0x4c, 0x0f, 0xc3, 0x0b), 0, 0, 0, FB), 0); /* movnti %r9,(%rbx) */
	expect_acc(0, MMIO_W, GPA8, 8, want.gpr[REG_R9]);
	assert_int_equal(x86_decode(BYTES(0x66, 0x0f, 0xc3, 0x03), MODE_LONG64, &in), -EINVAL); /* 66 + movnti */
	assert_int_equal(x86_decode(BYTES(0xf0, 0x0f, 0xc3, 0x03), MODE_LONG64, &in), -EINVAL); /* lock + movnti */
}

static void test_sse_moves(void **state)
{
	struct guest_regs r, want;
	struct x86_insn in;
	uint8_t pat[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			xmm[i][j] = (uint8_t)(0x10 * i + j);
	memcpy(pat, xmm[6], 16);
	/* movd (%rbx),%xmm1: 4 bytes in, the rest of the register zeroed. */
	assert_int_equal(RUN(ENC64(0x66, 0x0f, 0x6e, 0x0b), 0x8877665544332211ULL, 0, 0, FB), 0);
	want.rip += 4;
	assert_regs(&r, &want);
	assert_int_equal(nacc, 1);
	expect_acc(0, MMIO_R, GPA8, 4, 0x44332211);
	assert_int_equal(le_get(xmm[1], 8), 0x44332211);
	assert_int_equal(le_get(xmm[1] + 8, 8), 0);
	/* movq (%rbx),%xmm3 (F3 0F 7E): 8 bytes, upper half zeroed. */
	assert_int_equal(RUN(ENC64(0xf3, 0x0f, 0x7e, 0x1b), 0x8877665544332211ULL, 0, 0, FB), 0);
	assert_int_equal(le_get(xmm[3], 8), 0x8877665544332211ULL);
	assert_int_equal(le_get(xmm[3] + 8, 8), 0);
	/* movd %xmm2,(%rbx) and movq %xmm4,(%rbx) and movq %xmm9,(%rbx). */
	assert_int_equal(RUN(ENC64(0x66, 0x0f, 0x7e, 0x13), 0, 0, 0, FB), 0);
	assert_int_equal(nacc, 1);
	expect_acc(0, MMIO_W, GPA8, 4, 0x23222120);
	assert_int_equal(RUN(ENC64(0x66, 0x0f, 0xd6, 0x23), 0, 0, 0, FB), 0);
	expect_acc(0, MMIO_W, GPA8, 8, 0x4746454443424140ULL);
	assert_int_equal(RUN(ENC64(0x66, 0x44, 0x0f, 0xd6, 0x0b), 0, 0, 0, FB), 0);
	expect_acc(0, MMIO_W, GPA8, 8, 0x9796959493929190ULL);
	/* movq %xmm0,(%rbx) with REX.W (66 48 0F 7E). */
	assert_int_equal(RUN(ENC64(0x66, 0x48, 0x0f, 0x7e, 0x03), 0, 0, 0, FB), 0); /* movq %xmm0,(%rbx) */
	expect_acc(0, MMIO_W, GPA8, 8, 0x0706050403020100ULL);
	/* movdqa (%rbx),%xmm5: 16 bytes as two 8-byte reads, low first. */
	assert_int_equal(RUN(ENC64(0x66, 0x0f, 0x6f, 0x2b), 0x1111111122222222ULL, 0, 0, FB), 0);
	assert_int_equal(nacc, 2);
	expect_acc(0, MMIO_R, GPA8, 8, 0x1111111122222222ULL);
	expect_acc(1, MMIO_R, GPA8 + 8, 8, 0x0f0e0d0c0b0a0908ULL);
	assert_int_equal(le_get(xmm[5], 8), 0x1111111122222222ULL);
	assert_int_equal(le_get(xmm[5] + 8, 8), 0x0f0e0d0c0b0a0908ULL);
	/* movdqa %xmm6,(%rbx). */
	assert_int_equal(RUN(ENC64(0x66, 0x0f, 0x7f, 0x33), 0, 0, 0, FB), 0);
	assert_int_equal(nacc, 2);
	assert_int_equal(memcmp(mmio + 0x800, pat, 16), 0);
	/* movdqu %xmm15,(%rbx): REX.R. */
	assert_int_equal(RUN(ENC64(0xf3, 0x44, 0x0f, 0x7f, 0x3b), 0, 0, 0, FB), 0);
	assert_int_equal(memcmp(mmio + 0x800, xmm[15], 16), 0);
	/* The other 16-byte moves decode to the right direction and register. */
	const struct { enum cpu_mode m; const uint8_t *b; unsigned n; enum x86_op op; unsigned x; } mv[] = {
		{ ENC64(0xf3, 0x0f, 0x6f, 0x3b), X86_OP_SSE_LOAD, 7 },   /* movdqu (%rbx),%xmm7 */
		{ ENC64(0x0f, 0x28, 0x03), X86_OP_SSE_LOAD, 0 },         /* movaps (%rbx),%xmm0 */
		{ ENC64(0x0f, 0x29, 0x0b), X86_OP_SSE_STORE, 1 },        /* movaps %xmm1,(%rbx) */
		{ ENC64(0x0f, 0x10, 0x13), X86_OP_SSE_LOAD, 2 },         /* movups (%rbx),%xmm2 */
		{ ENC64(0x0f, 0x11, 0x1b), X86_OP_SSE_STORE, 3 },        /* movups %xmm3,(%rbx) */
		{ ENC64(0x66, 0x0f, 0x28, 0x23), X86_OP_SSE_LOAD, 4 },   /* movapd (%rbx),%xmm4 */
		{ ENC64(0x66, 0x0f, 0x11, 0x2b), X86_OP_SSE_STORE, 5 },  /* movupd %xmm5,(%rbx) */
		{ ENC64(0x66, 0x0f, 0xe7, 0x33), X86_OP_SSE_STORE, 6 },  /* movntdq %xmm6,(%rbx) */
		{ ENC64(0x0f, 0x2b, 0x3b), X86_OP_SSE_STORE, 7 },        /* movntps %xmm7,(%rbx) */
	};
	for (size_t i = 0; i < sizeof(mv) / sizeof(mv[0]); i++) {
		decode_ok(mv[i].m, mv[i].b, mv[i].n, &in);
		assert_int_equal(in.op, mv[i].op);
		assert_int_equal(in.xmm, mv[i].x);
		assert_int_equal(in.opsize, 16);
		assert_int_equal(in.rep, 0);
	}
	/* Refused: register operands, MMX forms, VEX (AVX), F2 forms, LOCK. */
	assert_int_equal(x86_decode(BYTES(0x66, 0x48, 0x0f, 0x6e, 0xc0), MODE_LONG64, &in), -EINVAL); /* movq %rax,%xmm0 */
	assert_int_equal(x86_decode(BYTES(0x0f, 0x6e, 0x03), MODE_LONG64, &in), -EINVAL); /* movd (%rbx),%mm0 */
	assert_int_equal(x86_decode(BYTES(0xc5, 0xfa, 0x6f, 0x03), MODE_LONG64, &in), -EINVAL); /* vmovdqu (%rbx),%xmm0 */
	assert_int_equal(x86_decode(BYTES(0xf2, 0x0f, 0x6f, 0x03), MODE_LONG64, &in), -EINVAL); /* F2 0F 6F */
	assert_int_equal(x86_decode(BYTES(0xf0, 0x66, 0x0f, 0x6f, 0x03), MODE_LONG64, &in), -EINVAL); /* lock movdqa */
	assert_int_equal(x86_decode(BYTES(0x0f, 0xc7, 0x0b), MODE_LONG64, &in), -EINVAL); /* cmpxchg8b (%rbx) */
	/* Without the XMM callbacks: refused at emulation. */
	struct x86_emu_ops ops = fake_ops;
	ops.xmm_read = NULL;
	decode_ok(ENC64(0x66, 0x0f, 0x7f, 0x33), &in);
	regs_fill(&r);
	assert_int_equal(x86_emulate(&in, &r, MODE_LONG64, GPA8, &ops), -EINVAL);
}

/* LOCK only where a read-modify-write is. */
static void test_lock_rules(void **state)
{
	struct x86_insn in;

	(void)state;
	assert_int_equal(x86_decode(BYTES(0xf0, 0x0f, 0xa3, 0x03), MODE_LONG64, &in), -EINVAL); /* lock bt %eax,(%rbx) */
	assert_int_equal(x86_decode(BYTES(0xf0, 0x0f, 0xba, 0x23, 0x05), MODE_LONG64, &in), -EINVAL); /* lock btl $5,(%rbx) */
	assert_int_equal(x86_decode(BYTES(0xf0, 0xac), MODE_LONG64, &in), -EINVAL); /* lock lodsb */
	assert_int_equal(x86_decode(BYTES(0xf0, 0x13, 0x03), MODE_LONG64, &in), -EINVAL); /* lock adc (%rbx),%eax */
	assert_int_equal(x86_decode(BYTES(0xff, 0x13), MODE_LONG64, &in), -EINVAL); /* call *(%rbx) */
	assert_int_equal(x86_decode(BYTES(0xf7, 0x0b, 0, 0, 0, 0), MODE_LONG64, &in), -EINVAL); /* f7 /1 */
	assert_int_equal(x86_decode(BYTES(0x0f, 0xba, 0x03, 0x05), MODE_LONG64, &in), -EINVAL); /* 0f ba /0 */
	decode_ok(ENC64(0xf0, 0x0f, 0xbb, 0x13), &in); /* lock btc %edx,(%rbx) */
	assert_true(in.lock);
	decode_ok(ENC64(0xf0, 0xf7, 0x13), &in); /* lock notl (%rbx) */
	assert_true(in.lock && in.op == X86_OP_NOT);
	decode_ok(ENC64(0xf0, 0x11, 0x03), &in); /* lock adc %eax,(%rbx) */
	assert_true(in.lock && in.op == X86_OP_ADC);
	/* In 32-bit mode, INC/DEC r/m and NOT work the same. */
	decode_ok(ENC32(0xff, 0x03), &in); /* incl (%ebx) */
	assert_true(in.op == X86_OP_INC && in.opsize == 4 && in.addrsize == 4);
}

/* The memo answers exactly what x86_decode answers, for any buffer
 * length and mode, as entries are hit, replaced and their bytes changed
 * under them; and a repeat of a decoded instruction is a hit (the same
 * entry back), also when only the bytes after it differ. */
static void test_decode_memo(void **state)
{
	static struct x86_decode_memo m;
	uint8_t pool[6][X86_MAX_INSN];
	unsigned ok = 0;

	(void)state;
	rng = 0xfeedface12345678ULL;
	memset(&m, 0, sizeof(m));
	for (unsigned i = 0; i < 6; i++)
		gen_insn(pool[i], X86_MAX_INSN);
	for (int it = 0; it < 200000; it++) {
		uint8_t *b = pool[rnd() % 6];
		enum cpu_mode mode = (enum cpu_mode)(rnd() % 4);
		unsigned n = rnd() % 4 ? X86_MAX_INSN : 1 + (unsigned)(rnd() % X86_MAX_INSN);
		const struct x86_insn *p = NULL, *again = NULL;
		struct x86_insn d;
		int r1, r2;

		if (rnd() % 8 == 0)
			b[rnd() % X86_MAX_INSN] = (uint8_t)rnd();       /* changed under the memo */
		if (rnd() % 64 == 0)
			gen_insn(b, X86_MAX_INSN);
		r1 = x86_decode(b, n, mode, &d);
		r2 = x86_decode_memo(&m, b, n, mode, &p);
		assert_int_equal(r1, r2);
		if (r1)
			continue;
		ok++;
		assert_non_null(p);
		assert_memory_equal(&d, p, sizeof(d));
		/* The same bytes again, and garbage past the instruction's end. */
		if (d.len < X86_MAX_INSN && rnd() % 2) {
			uint8_t c[X86_MAX_INSN];

			memcpy(c, b, X86_MAX_INSN);
			for (unsigned k = d.len; k < X86_MAX_INSN; k++)
				c[k] = (uint8_t)rnd();
			assert_int_equal(x86_decode_memo(&m, c, X86_MAX_INSN, mode, &again), 0);
		} else {
			assert_int_equal(x86_decode_memo(&m, b, n, mode, &again), 0);
		}
		assert_ptr_equal(again, p);
	}
	assert_true(ok > 20000);
}

/* The memo's edges, on instructions of 2, 7, 8, 9, 12 and 15 bytes: the
 * byte after one is not compared (a hit), its last byte is (a miss with
 * the new decode), another mode misses, one byte short is -E2BIG, and
 * exactly len bytes in a buffer of that size are enough (ASan catches
 * a read past it). */
static void test_decode_memo_edges(void **state)
{
	static const struct { uint8_t len, b[X86_MAX_INSN]; } cases[] = {
		{ 2, { 0x89, 0x03 } },                                     /* mov %eax,(%rbx) */
		{ 7, { 0x89, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe } },       /* mov %eax,0xfee000b0 */
		{ 8, { 0x3e, 0x89, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe } },
		{ 9, { 0x3e, 0x3e, 0x89, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe } },
		{ 12, { 0x48, 0xc7, 0x84, 0x24, 0x10, 0x20, 0x30, 0x40, 0x01, 0x02, 0x03, 0x04 } },
		{ 15, { 0x2e, 0x2e, 0x2e, 0x48, 0xc7, 0x84, 0x24, 0x10, 0x20, 0x30, 0x40,
			0x01, 0x02, 0x03, 0x04 } },
	};
	static struct x86_decode_memo m;

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned len = cases[i].len;
		const struct x86_insn *p, *q;
		struct x86_insn d;
		uint8_t b[X86_MAX_INSN], *exact;

		memset(&m, 0, sizeof(m));
		memset(b, 0xcc, sizeof(b));
		memcpy(b, cases[i].b, len);
		assert_int_equal(x86_decode_memo(&m, b, sizeof(b), MODE_LONG64, &p), 0);
		assert_int_equal(p->len, len);
		if (len < X86_MAX_INSN) {
			b[len] ^= 0x5a;
			assert_int_equal(x86_decode_memo(&m, b, sizeof(b), MODE_LONG64, &q), 0);
			assert_ptr_equal(q, p);
		}
		assert_int_equal(x86_decode_memo(&m, b, len - 1, MODE_LONG64, &q), -E2BIG);
		assert_int_equal(x86_decode_memo(&m, b, sizeof(b), MODE_LONG64, &q), 0);
		assert_ptr_equal(q, p);       /* the failure left that entry alone */
		exact = malloc(len);
		assert_non_null(exact);
		memcpy(exact, b, len);
		assert_int_equal(x86_decode_memo(&m, exact, len, MODE_LONG64, &q), 0);
		assert_ptr_equal(q, p);
		free(exact);
		b[len - 1] ^= 0x01;
		assert_int_equal(x86_decode(b, sizeof(b), MODE_LONG64, &d), 0);
		assert_int_equal(x86_decode_memo(&m, b, sizeof(b), MODE_LONG64, &q), 0);
		assert_ptr_not_equal(q, p);
		assert_memory_equal(q, &d, sizeof(d));
		b[len - 1] ^= 0x01;
		if (x86_decode(b, sizeof(b), MODE_PROT32, &d) == 0) {
			assert_int_equal(x86_decode_memo(&m, b, sizeof(b), MODE_PROT32, &q), 0);
			assert_ptr_not_equal(q, p);
			assert_memory_equal(q, &d, sizeof(d));
		} else {
			assert_int_not_equal(x86_decode_memo(&m, b, sizeof(b), MODE_PROT32, &q), 0);
		}
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_prefix_scan),
		T(test_decode_table),
		T(test_xchg),
		T(test_carry_forms_vs_cpu),
		T(test_bt),
		T(test_lods),
		T(test_cmpxchg),
		T(test_xadd),
		T(test_movnti),
		T(test_sse_moves),
		T(test_lock_rules),
		T(test_decode_trailing_bytes),
		T(test_decode_truncated),
		T(test_decode_errors),
		T(test_decode_length_limit),
		T(test_emulate_table),
		T(test_rep_stos_forward),
		T(test_rep_stos_backward),
		T(test_rep_zero_count),
		T(test_stos_single),
		T(test_rep_stos_ram),
		T(test_rep_movs_ram_to_mmio),
		T(test_rep_movs_mmio_to_ram_backward),
		T(test_movs_mmio_to_mmio),
		T(test_movs_fs_source_64),
		T(test_rep_chunking_stos),
		T(test_rep_exactly_max),
		T(test_rep_chunking_movs),
		T(test_rep_addr32_wrap_64),
		T(test_rep_real_mode),
		T(test_rep_prot32),
		T(test_rep_fault_midway),
		T(test_movs_translates_first),
		T(test_callback_failures),
		T(test_missing_callbacks_and_mode),
		T(test_rip_advance_and_wrap),
		T(test_gla_64),
		T(test_gla_32),
		T(test_gla_real_mode),
		T(test_emulate_via_gla),
		T(test_alu_edges_vs_cpu),
		T(test_alu8_exhaustive_vs_cpu),
		T(test_fuzz_decode),
		T(test_fuzz_emulate),
		T(test_decode_memo),
		T(test_decode_memo_edges),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
