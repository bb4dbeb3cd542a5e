/* Unit tests for decoding control-register writes (vmm/crwrite.c) over
 * real encodings (each checked against the GNU assembler in the mode
 * named): MOV to CR0/CR4/CR8 with REX, LOCK MOV CR0 as CR8, CLTS, LMSW
 * with a register and with memory operands (ModRM, SIB, RIP-relative,
 * 16-bit addressing). The instruction bytes and guest memory are fakes;
 * linear addresses are guest RAM offsets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>
#include <string.h>
#include "vmm/crwrite.h"
#include "vmm/vcpu.h"
#include "vmm/gla.h"
#include "lib/errno.h"

static uint8_t insn[16];
static unsigned insn_len;
static uint8_t ram[0x10000];

unsigned vcpu_fetch(struct vcpu *v, uint8_t *b, unsigned max)
{
	(void)v;
	unsigned n = insn_len < max ? insn_len : max;
	memcpy(b, insn, n);
	return n;
}

static unsigned raised;

int gla_read(struct vcpu *v, uint64_t gla, void *buf, unsigned len, unsigned access,
	     struct gla_fault *f)
{
	(void)v, (void)access;
	if (gla + len > sizeof(ram)) {
		f->kind = GLA_PF;
		f->addr = gla;
		return -EFAULT;
	}
	memcpy(buf, ram + gla, len);
	return 0;
}

void gla_raise(struct vcpu *v, const struct gla_fault *f, const char *what)
{
	(void)v, (void)f, (void)what;
	raised++;
}

void cpuid_cr_allowed(struct vcpu *v, struct cr_allowed *a)
{
	(void)v;
	a->cr4 = a->efer = 0;
}

static uint64_t fake_seg_base(struct vcpu *v, int seg)
{
	(void)v;
	return seg == SEG_FS ? 0x8000 : 0;
}

static const struct vmm_ops fake_ops = { .seg_base = fake_seg_base };
const struct vmm_ops *vmm = &fake_ops;

static struct vcpu vc;

#define SET(...) do { const uint8_t b_[] = { __VA_ARGS__ }; memcpy(insn, b_, sizeof(b_)); insn_len = sizeof(b_); } while (0)

static int decode(enum cpu_mode mode, uint64_t cr0, struct cr_write *w)
{
	struct guest_ctl c = { .cr0 = cr0, .mode = mode };
	return crwrite_decode(&vc, &c, w);
}

static void test_mov_cr(void **st)
{
	struct cr_write w;

	(void)st;
	memset(&vc, 0, sizeof(vc));
	vc.regs.gpr[REG_RAX] = 0x80050033;
	vc.regs.gpr[REG_R9] = 0x1ffffffffULL;
	SET(0x0f, 0x22, 0xc0);                       /* mov %rax,%cr0 */
	assert_int_equal(decode(MODE_LONG64, 0, &w), 0);
	assert_int_equal(w.cr, 0);
	assert_int_equal(w.val, 0x80050033);
	assert_int_equal(w.len, 3);
	SET(0x41, 0x0f, 0x22, 0xe1);                 /* mov %r9,%cr4 */
	assert_int_equal(decode(MODE_LONG64, 0, &w), 0);
	assert_int_equal(w.cr, 4);
	assert_int_equal(w.val, 0x1ffffffffULL);
	assert_int_equal(w.len, 4);
	SET(0x44, 0x0f, 0x22, 0xc0);                 /* mov %rax,%cr8 */
	assert_int_equal(decode(MODE_LONG64, 0, &w), 0);
	assert_int_equal(w.cr, 8);
	SET(0xf0, 0x0f, 0x22, 0xc0);                 /* lock mov %eax,%cr0 (RAW: AMD's CR8) */
	assert_int_equal(decode(MODE_PROT32, 0, &w), 0);
	assert_int_equal(w.cr, 8);
	/* Outside 64-bit mode the source is 32 bits; 41 is INC ECX there. */
	SET(0x0f, 0x22, 0xe0);                       /* mov %eax,%cr4 (.code32) */
	vc.regs.gpr[REG_RAX] = 0xabcd00000020ULL;
	assert_int_equal(decode(MODE_PROT32, 0, &w), 0);
	assert_int_equal(w.val, 0x20);
	SET(0x0f, 0x20, 0xc0);                       /* mov %cr0,%rax: a read */
	assert_int_equal(decode(MODE_LONG64, 0, &w), -EINVAL);
	SET(0x0f, 0x22);                             /* cut short */
	assert_int_equal(decode(MODE_LONG64, 0, &w), -EINVAL);
}

static void test_clts_lmsw(void **st)
{
	struct cr_write w;

	(void)st;
	memset(&vc, 0, sizeof(vc));
	SET(0x0f, 0x06);                             /* clts */
	assert_int_equal(decode(MODE_LONG64, 0x8000003b, &w), 0);
	assert_int_equal(w.cr, 0);
	assert_int_equal(w.val, 0x80000033);
	assert_int_equal(w.len, 2);
	/* LMSW loads PE MP EM TS, and cannot clear PE. */
	vc.regs.gpr[REG_RDX] = 0xfff6;
	SET(0x0f, 0x01, 0xf2);                       /* lmsw %dx */
	assert_int_equal(decode(MODE_LONG64, 0x80000011, &w), 0);
	assert_int_equal(w.val, 0x80000017);
	assert_int_equal(w.len, 3);
	vc.regs.gpr[REG_RDX] = 0;
	assert_int_equal(decode(MODE_PROT32, 0x1b, &w), 0);
	assert_int_equal(w.val, 0x11);
}

static void test_lmsw_memory(void **st)
{
	struct cr_write w;

	(void)st;
	memset(&vc, 0, sizeof(vc));
	memset(ram, 0, sizeof(ram));
	ram[0x1234] = 0x0b;
	vc.regs.gpr[REG_RBX] = 0x1000;
	vc.regs.gpr[REG_RSI] = 0x008c;
	SET(0x0f, 0x01, 0x74, 0xb3, 0x04);           /* lmsw 0x4(%rbx,%rsi,4) */
	assert_int_equal(decode(MODE_LONG64, 0x11, &w), 0);
	assert_int_equal(w.val, 0x1b);
	assert_int_equal(w.len, 5);
	/* RIP-relative: from the end of the 7-byte instruction. */
	vc.regs.rip = 0x1000;
	SET(0x0f, 0x01, 0x35, 0x2d, 0x02, 0x00, 0x00);   /* lmsw 0x22d(%rip) */
	assert_int_equal(decode(MODE_LONG64, 0x11, &w), 0);
	assert_int_equal(w.len, 7);
	assert_int_equal(w.val, 0x1b);
	/* A segment override: FS has base 0x8000 here. */
	ram[0x8010] = 0x03;
	vc.regs.gpr[REG_RAX] = 0x10;
	SET(0x64, 0x0f, 0x01, 0x30);                 /* lmsw %fs:(%rax) */
	assert_int_equal(decode(MODE_LONG64, 0x10, &w), 0);
	assert_int_equal(w.val, 0x13);
	assert_int_equal(w.len, 4);
	/* 16-bit addressing in real mode: [bx+si+disp8]. */
	vc.regs.gpr[REG_RBX] = 0x1200;
	vc.regs.gpr[REG_RSI] = 0x0030;
	SET(0x0f, 0x01, 0x70, 0x04);                 /* lmsw 0x4(%bx,%si) (.code16) */
	assert_int_equal(decode(MODE_REAL, 0x10, &w), 0);
	assert_int_equal(w.val, 0x1b);
	assert_int_equal(w.len, 4);
	/* An operand the guest cannot read: its fault is raised. */
	vc.regs.gpr[REG_RBX] = 0x7fff0000;
	SET(0x0f, 0x01, 0x33);                       /* lmsw (%rbx) */
	raised = 0;
	assert_int_equal(decode(MODE_LONG64, 0x10, &w), -EFAULT);
	assert_int_equal(raised, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov_cr),
		cmocka_unit_test(test_clts_lmsw),
		cmocka_unit_test(test_lmsw_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
