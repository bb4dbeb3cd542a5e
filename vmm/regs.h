/* A vCPU's general-purpose registers as the vendor-neutral VMM sees them,
 * in x86 encoding order so an instruction's register number indexes gpr[]
 * directly (Intel SDM Vol. 2A, 2.1.5, Table 2-2). */
#ifndef VATRA_VMM_REGS_H
#define VATRA_VMM_REGS_H

#include <stdint.h>

enum {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	REG_NGPR
};

/* RFLAGS bits (Intel SDM Vol. 1, 3.4.3). */
#define RFLAGS_CF (1ULL << 0)
#define RFLAGS_PF (1ULL << 2)
#define RFLAGS_AF (1ULL << 4)
#define RFLAGS_ZF (1ULL << 6)
#define RFLAGS_SF (1ULL << 7)
#define RFLAGS_TF (1ULL << 8)
#define RFLAGS_IF (1ULL << 9)
#define RFLAGS_DF (1ULL << 10)
#define RFLAGS_OF (1ULL << 11)
#define RFLAGS_AC (1ULL << 18)

struct guest_regs {
	uint64_t gpr[REG_NGPR];
	uint64_t rip;
	uint64_t rflags;
};

/* Segment registers, for the decoder's address computation. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NONE = 0xff };

/* The execution mode that decides default operand and address sizes. */
enum cpu_mode { MODE_REAL, MODE_PROT16, MODE_PROT32, MODE_LONG64 };

#endif
