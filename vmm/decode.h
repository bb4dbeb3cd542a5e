/* x86 instruction decoding and emulation for MMIO exits.
 *
 * A guest access to a guest-physical address that is not RAM ends in a
 * nested-page fault. Without SVM decode assists (QEMU's SVM has none) the
 * fault tells us only the address, so the VMM fetches the instruction bytes
 * at the guest's RIP, decodes them here and replays the access against the
 * device model. Only the instructions compilers and drivers actually use on
 * device registers are handled: MOV in its memory forms and MOVNTI,
 * MOVZX/MOVSX/MOVSXD, STOS, LODS and MOVS (with REP), the ALU family (ADD OR
 * ADC SBB AND SUB XOR CMP TEST) with a memory operand, INC DEC NOT NEG, XCHG,
 * XADD, CMPXCHG, BT BTS BTR BTC (register and immediate bit offsets), each
 * read-modify-write form also with LOCK, and the SSE moves drivers use on
 * device memory (MOVD MOVQ MOVDQA MOVDQU MOVAPS MOVUPS MOVAPD MOVUPD MOVNTDQ
 * MOVNTPS). VEX-encoded (AVX) forms are not among them. Everything else is
 * refused, and the caller decides what the guest sees (#UD, as a CPU
 * without the instruction).
 *
 * Pure code: memory and devices are reached only through struct x86_emu_ops,
 * so the module is unit-tested on the host over real encodings. */
#ifndef VATRA_VMM_DECODE_H
#define VATRA_VMM_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include "vmm/regs.h"

/* Architectural limit on instruction length (Intel SDM Vol. 2A, 2.3.11). */
#define X86_MAX_INSN 15

/* Most elements of a REP string instruction emulated in one call, so one
 * exit cannot stall the host for an unbounded time. */
#define X86_REP_MAX 4096

/* Values of x86_insn.base / x86_insn.index besides a gpr index. */
#define X86_REG_NONE (-1)
#define X86_BASE_RIP (-2)

enum x86_op {
	X86_OP_NONE,            /* never returned by a successful decode */
	X86_OP_MOV_STORE,       /* mov r/m, reg or imm; also A2/A3 (moffs) */
	X86_OP_MOV_LOAD,        /* mov reg, r/m; also A0/A1 (moffs) */
	X86_OP_MOVZX,           /* 0F B6, 0F B7 */
	X86_OP_MOVSX,           /* 0F BE, 0F BF, 63 (movsxd) */
	X86_OP_STOS,            /* AA, AB */
	X86_OP_MOVS,            /* A4, A5 */
	/* ALU with a memory operand: r/m,reg and reg,r/m and r/m,imm forms. */
	X86_OP_ADD,
	X86_OP_OR,
	X86_OP_AND,
	X86_OP_SUB,
	X86_OP_XOR,
	X86_OP_CMP,
	X86_OP_TEST,            /* 84, 85, F6 /0, F7 /0 */
	X86_OP_ADC,             /* 10-13, 80/81/83 /2 */
	X86_OP_SBB,             /* 18-1B, 80/81/83 /3 */
	X86_OP_INC,             /* FE /0, FF /0 */
	X86_OP_DEC,             /* FE /1, FF /1 */
	X86_OP_NOT,             /* F6 /2, F7 /2 */
	X86_OP_NEG,             /* F6 /3, F7 /3 */
	X86_OP_XCHG,            /* 86, 87 */
	X86_OP_CMPXCHG,         /* 0F B0, 0F B1 */
	X86_OP_XADD,            /* 0F C0, 0F C1 */
	X86_OP_BT,              /* 0F A3, 0F BA /4 */
	X86_OP_BTS,             /* 0F AB, 0F BA /5 */
	X86_OP_BTR,             /* 0F B3, 0F BA /6 */
	X86_OP_BTC,             /* 0F BB, 0F BA /7 */
	X86_OP_LODS,            /* AC, AD */
	/* SSE register <- memory (MOVD/MOVQ zero the rest of the register)
	 * and memory <- SSE register; in->xmm names the register. */
	X86_OP_SSE_LOAD,
	X86_OP_SSE_STORE,
};

struct x86_insn {
	uint8_t len;            /* bytes consumed, 1..X86_MAX_INSN */
	enum x86_op op;
	enum cpu_mode mode;     /* the mode it was decoded in */
	uint8_t opsize;         /* 1, 2, 4, 8: size of the memory access */
	uint8_t regsize;        /* size of the register operand; for MOVZX and
				 * MOVSX the destination size, else == opsize */
	uint8_t addrsize;       /* 2, 4, 8 */
	/* Register operand, a gpr index, or X86_REG_NONE (immediate forms, MOVS).
	 * For byte operands without a REX prefix, encodings 4-7 name AH CH DH
	 * BH: reg is then the gpr holding the byte (0-3, RAX..RBX) and
	 * reg_high8 says the byte is bits 15:8. */
	int reg;
	bool reg_high8;
	/* ALU reg,r/m form (opcode bit 1 set): the register is the destination
	 * and the left operand (CMP computes reg - mem). False for r/m,reg,
	 * r/m,imm and TEST. */
	bool to_reg;
	bool has_imm;
	uint64_t imm;           /* sign-extended to opsize, masked to opsize */
	bool moffs;             /* A0-A3: absolute offset in disp, no ModRM */
	uint8_t xmm;            /* SSE forms: the XMM register, 0-15 */
	bool lock;              /* F0 prefix seen (only on lockable forms) */
	uint8_t rep;            /* 0, 0xf3 (REP/REPE) or 0xf2 (REPNE): last seen */
	uint8_t seg;            /* SEG_* override, SEG_NONE; SEG_ES for STOS */
	/* The memory operand, from ModRM/SIB/displacement or moffs: base and
	 * index are gpr indexes, X86_REG_NONE, or (base) X86_BASE_RIP. For
	 * STOS it is ES:rDI; for MOVS it is the source, seg:rSI (the
	 * destination is always ES:rDI). */
	int base, index;
	uint8_t scale;          /* 1, 2, 4, 8 */
	int64_t disp;
};

/* The prefixes in front of an opcode. */
struct x86_prefixes {
	uint8_t len;            /* prefix bytes, REX included */
	uint8_t rex;            /* the REX byte right before the opcode (64-bit mode), else 0 */
	bool opsize, addrsize;  /* 66, 67 */
	bool lock;              /* F0 */
	uint8_t rep;            /* 0, 0xf3 or 0xf2: the last seen */
	uint8_t seg;            /* the segment override that counts, or SEG_NONE */
};

/* Scans the prefixes at bytes[0..n) as a CPU in mode sees them and fills
 * *p; returns p->len, the offset of the opcode: the first byte that is no
 * prefix, or n, or X86_MAX_INSN when all of those are prefixes. The one
 * prefix scanner of the VMM: the decoder and the exits that find their
 * opcode after the guest's RIP (no next-RIP from the hardware) use it. */
unsigned x86_prefixes(const uint8_t *bytes, unsigned n, enum cpu_mode mode,
		      struct x86_prefixes *p);

/* Decodes one instruction from bytes[0..n) for a guest in the given mode.
 * Default operand and address sizes come from the mode (real and 16-bit
 * protected: 16/16, 32-bit: 32/32, 64-bit: 32/64); the 66, 67, F0, F2, F3,
 * segment-override and (64-bit mode) REX prefixes modify them as the SDM
 * says. On success fills *in and returns 0, with 1 <= in->len <= min(n, 15).
 * Returns -EINVAL if the bytes are not an instruction this module emulates:
 * an opcode outside the list, a register-only ModRM where a memory operand
 * is required, LOCK on a form that does not allow it, more than 15 bytes.
 * Returns -E2BIG if the instruction continues past bytes[n - 1] (fetch more
 * and retry). On failure the contents of *in are unspecified. */
int x86_decode(const uint8_t *bytes, unsigned n, enum cpu_mode mode,
	       struct x86_insn *in);

/* The last few instructions x86_decode_memo decoded, by their bytes.
 * Decoding is a function of the instruction's own bytes and the mode
 * alone (x86_decode reads no byte past the instruction's end), so a
 * repeated one — a guest's EOI, its ICR accesses — is looked up instead
 * of decoded again. Owned by one vCPU; no locking. */
#define X86_MEMO_N 4
struct x86_decode_memo {
	struct x86_memo_entry {
		uint64_t key[2], mask[2];   /* the bytes, zero past len; which count */
		enum cpu_mode mode;
		uint8_t len;                /* 0: empty */
		struct x86_insn in;
	} e[X86_MEMO_N];
	unsigned next;                  /* the slot the next miss fills */
};

/* x86_decode through the memo: the same result, and on success *in
 * points at the decoded instruction, valid until the next call with m.
 * Only successful decodes are kept. */
int x86_decode_memo(struct x86_decode_memo *m, const uint8_t *bytes, unsigned n,
		    enum cpu_mode mode, const struct x86_insn **in);

/* Guest memory and device access for x86_emulate. Callbacks return 0 or a
 * negative error, which x86_emulate passes back. Values are zero-extended
 * (read results are masked to the access size, so junk above is harmless). */
struct x86_emu_ops {
	/* The device side: gpa is guest-physical. size is 1, 2, 4 or 8. */
	int (*mmio_read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
	int (*mmio_write)(void *ctx, uint64_t gpa, unsigned size, uint64_t val);
	/* Ordinary guest memory by linear address (the RAM side of a string
	 * instruction), going through the guest's paging. */
	int (*mem_read)(void *ctx, uint64_t gla, unsigned size, uint64_t *val);
	int (*mem_write)(void *ctx, uint64_t gla, unsigned size, uint64_t val);
	/* Guest linear to guest-physical, to tell which side of a string
	 * element is MMIO. An error is returned as is (e.g. for the caller to
	 * turn into a #PF). */
	int (*gla_to_gpa)(void *ctx, uint64_t gla, bool write, uint64_t *gpa);
	bool (*is_mmio)(void *ctx, uint64_t gpa);
	/* Base of segment SEG_*; may be NULL (all bases 0). Not consulted for
	 * ES/CS/SS/DS in 64-bit mode, where those bases are 0. */
	uint64_t (*seg_base)(void *ctx, int seg);
	/* The guest's XMM register n (16 bytes, little endian), for the SSE
	 * forms only; may be NULL otherwise. */
	int (*xmm_read)(void *ctx, unsigned n, uint8_t val[16]);
	int (*xmm_write)(void *ctx, unsigned n, const uint8_t val[16]);
	void *ctx;
};

/* Emulates a decoded instruction whose memory operand faulted at gpa, the
 * guest-physical address of the operand (its first byte).
 *
 * MOV/MOVZX/MOVSX/ALU: one mmio_read and/or one mmio_write of in->opsize
 * bytes at gpa (read-modify-write for ALU ops with a memory destination,
 * INC DEC NOT NEG XCHG XADD BTS BTR BTC, and CMPXCHG, which writes the old value
 * back when the comparison fails as Intel's CPUs do; CMP TEST BT only
 * read). For BT* with a register bit offset gpa is the word the CPU
 * accessed, so only the offset's low bits select the bit. Register writes
 * follow the SDM: 8- and 16-bit writes merge (high-8 registers too),
 * 32-bit writes zero bits 63:32, MOVZX/MOVSX extend to in->regsize. ALU
 * ops set CF PF AF ZF SF OF as the SDM specifies (AF, undefined after
 * AND/OR/XOR/TEST, is cleared); INC/DEC keep CF; NOT changes no flag; BT*
 * set CF only (OF SF AF PF are undefined, and kept). The other RFLAGS bits
 * are left alone. SSE forms move 4, 8 or 16 bytes as accesses of at most
 * 8 (a 16-byte move is two 8-byte accesses, low half first) and need
 * xmm_read/xmm_write. Needs mmio_read and mmio_write.
 *
 * STOS/LODS/MOVS: gpa is not used; every element's linear address is computed
 * from rSI/rDI (width from the address size), translated with gla_to_gpa,
 * and sent to the mmio_* callbacks if is_mmio says so, else to mem_* by
 * linear address. DF selects the direction. With REP (F3 or F2), rCX
 * elements are moved; rCX = 0 only advances RIP. At most X86_REP_MAX
 * elements per call: if more remain, rCX/rSI/rDI are updated but RIP is not,
 * so the guest re-executes the instruction and faults again to continue.
 * Needs every callback but seg_base.
 *
 * On success RIP advances by in->len (wrapping at the code size) unless a
 * REP is unfinished, and 0 is returned. On a callback error that error is
 * returned and *regs is unchanged, except that a REP string instruction
 * that fails after completing some elements keeps those elements' rCX/rSI/
 * rDI updates (RIP unchanged), which is the state the SDM says a fault in
 * the middle of a REP leaves, so an injected fault resumes correctly.
 * -EINVAL if mode differs from in->mode or a needed callback is NULL. */
int x86_emulate(const struct x86_insn *in, struct guest_regs *regs,
		enum cpu_mode mode, uint64_t gpa, const struct x86_emu_ops *ops);

/* Linear address of the memory operand with the registers as they are
 * before the instruction: base + index * scale + disp (RIP-relative: the
 * next instruction's RIP + disp), truncated to the address size, plus the
 * segment base (the override, else SS for an rSP/rBP base, else DS; in
 * 64-bit mode only FS and GS have a base). Outside 64-bit mode the result
 * wraps at 4 GiB. ops may be NULL or have no seg_base (bases taken as 0). */
uint64_t x86_operand_gla(const struct x86_insn *in, const struct guest_regs *regs,
			 const struct x86_emu_ops *ops);

#endif
