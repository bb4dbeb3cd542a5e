/* Unit tests for vmm/specctrl.c: which speculation controls a guest is
 * offered for each host, the MSR bits that exist, and the registers'
 * values while the guest runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmm/specctrl.h"

#define ALL_L7D (SPEC_L7D_IBRS_IBPB | SPEC_L7D_STIBP | SPEC_L7D_SSBD | (7u << 28))
#define ALL_X8B (SPEC_X8B_IBPB | SPEC_X8B_IBRS | SPEC_X8B_STIBP | SPEC_X8B_AMD_SSBD | SPEC_X8B_VIRT_SSBD)

/* A CPU with none: nothing offered, every write #GPs, nothing to load. */
static void test_none(void **state)
{
	struct specctrl_host h;
	struct specctrl_regs host = { 0x1234, 0x5678, 0x9abc }, g;

	(void)state;
	specctrl_probe(&h, false, 6, 0, 0, false);
	assert_int_equal(h.spec_ctrl, 0);
	assert_false(h.ibpb);
	assert_false(h.virt);
	assert_int_equal(specctrl_l7d(&h, ALL_L7D | 1), 1);
	assert_int_equal(specctrl_x8b(&h, ALL_X8B | 1), 1);
	assert_false(specctrl_spec_ctrl_ok(&h, 0));
	assert_false(specctrl_pred_cmd_ok(&h, 0));
	assert_false(specctrl_virt_ok(&h, 0));
	specctrl_guest_regs(&h, &host, ~0ull, ~0ull, &g);
	assert_memory_equal(&g, &host, sizeof(g));
	/* An Intel host's CPUID 0x80000008 EBX AMD bits mean nothing. */
	specctrl_probe(&h, false, 6, 0, ALL_X8B, true);
	assert_int_equal(h.spec_ctrl, 0);
	assert_false(h.ibpb);
	assert_false(h.virt);
}

/* Intel with IBRS/IBPB, STIBP and SSBD: all offered, the others hidden. */
static void test_intel(void **state)
{
	struct specctrl_host h;
	struct specctrl_regs host = { SPEC_CTRL_SSBD, 0, 0 }, g;

	(void)state;
	specctrl_probe(&h, false, 6, ALL_L7D, 0, false);
	assert_int_equal(h.spec_ctrl, SPEC_CTRL_IBRS | SPEC_CTRL_STIBP | SPEC_CTRL_SSBD);
	assert_true(h.ibpb);
	assert_false(h.virt);
	assert_true(h.flush_l1d);
	assert_true(h.arch_cap);
	/* CORE_CAPABILITIES is not provided. */
	assert_int_equal(specctrl_l7d(&h, ALL_L7D), SPEC_L7D_IBRS_IBPB | SPEC_L7D_STIBP | SPEC_L7D_SSBD |
			 SPEC_L7D_L1D_FLUSH | SPEC_L7D_ARCH_CAP);
	assert_true(specctrl_flush_ok(&h, 0));
	assert_true(specctrl_flush_ok(&h, FLUSH_CMD_L1D));
	assert_false(specctrl_flush_ok(&h, 2));
	assert_int_equal(specctrl_x8b(&h, 0), 0);
	for (unsigned b = 0; b < 64; b++)
		assert_int_equal(specctrl_spec_ctrl_ok(&h, 1ull << b), b < 3);
	assert_true(specctrl_spec_ctrl_ok(&h, 7));
	assert_true(specctrl_pred_cmd_ok(&h, 0));
	assert_true(specctrl_pred_cmd_ok(&h, 1));
	assert_false(specctrl_pred_cmd_ok(&h, 2));
	assert_false(specctrl_pred_cmd_ok(&h, 1ull << 63));
	assert_false(specctrl_virt_ok(&h, 0));
	/* The guest's value exactly, even below the host's. */
	specctrl_guest_regs(&h, &host, 0, 0, &g);
	assert_int_equal(g.spec_ctrl, 0);
	specctrl_guest_regs(&h, &host, SPEC_CTRL_IBRS, SPEC_CTRL_SSBD, &g);
	assert_int_equal(g.spec_ctrl, SPEC_CTRL_IBRS);
}

/* Only STIBP: SPEC_CTRL exists with one bit; IBRS/IBPB hidden. */
static void test_partial(void **state)
{
	struct specctrl_host h;

	(void)state;
	specctrl_probe(&h, false, 6, SPEC_L7D_STIBP, 0, false);
	assert_int_equal(h.spec_ctrl, SPEC_CTRL_STIBP);
	assert_false(h.ibpb);
	assert_int_equal(specctrl_l7d(&h, ALL_L7D & ~(SPEC_L7D_L1D_FLUSH | SPEC_L7D_ARCH_CAP)),
			 SPEC_L7D_STIBP);
	assert_false(h.flush_l1d);
	assert_false(specctrl_flush_ok(&h, 0));
	assert_false(specctrl_spec_ctrl_ok(&h, SPEC_CTRL_IBRS));
	assert_true(specctrl_spec_ctrl_ok(&h, SPEC_CTRL_STIBP));
	assert_false(specctrl_pred_cmd_ok(&h, 1));
	/* AMD: IBPB alone gives PRED_CMD but no SPEC_CTRL. */
	specctrl_probe(&h, true, 0x19, 0, SPEC_X8B_IBPB, false);
	assert_int_equal(h.spec_ctrl, 0);
	assert_true(h.ibpb);
	assert_false(h.virt);
	assert_int_equal(specctrl_x8b(&h, ALL_X8B), SPEC_X8B_IBPB);
	assert_false(specctrl_spec_ctrl_ok(&h, 0));
	assert_true(specctrl_pred_cmd_ok(&h, 1));
}

/* AMD with AMD_SSBD: VIRT_SPEC_CTRL rides on SPEC_CTRL.SSBD. */
static void test_amd_ssbd(void **state)
{
	struct specctrl_host h;
	struct specctrl_regs host = { 0, 0, 0 }, g;

	(void)state;
	specctrl_probe(&h, true, 0x19, 0, ALL_X8B & ~SPEC_X8B_VIRT_SSBD, true);
	assert_int_equal(h.spec_ctrl, 7);
	assert_true(h.ibpb);
	assert_true(h.virt);
	assert_int_equal(h.ssbd, SPEC_SSBD_SPEC_CTRL);
	assert_int_equal(specctrl_x8b(&h, 0xffffffffu), 0xffffffffu);
	assert_true(specctrl_virt_ok(&h, VIRT_SPEC_CTRL_SSBD));
	assert_true(specctrl_virt_ok(&h, 0));
	assert_false(specctrl_virt_ok(&h, 1));
	assert_false(specctrl_virt_ok(&h, 8));
	specctrl_guest_regs(&h, &host, SPEC_CTRL_STIBP, VIRT_SPEC_CTRL_SSBD, &g);
	assert_int_equal(g.spec_ctrl, SPEC_CTRL_STIBP | SPEC_CTRL_SSBD);
	assert_int_equal(g.virt_spec_ctrl, 0);
	assert_int_equal(g.ls_cfg, 0);
	specctrl_guest_regs(&h, &host, SPEC_CTRL_STIBP, 0, &g);
	assert_int_equal(g.spec_ctrl, SPEC_CTRL_STIBP);
}

/* A host that is itself a guest with VIRT_SSBD passes it on. */
static void test_amd_virt(void **state)
{
	struct specctrl_host h;
	struct specctrl_regs host = { 0, VIRT_SPEC_CTRL_SSBD, 0 }, g;

	(void)state;
	specctrl_probe(&h, true, 0x17, 0, SPEC_X8B_VIRT_SSBD, true);
	assert_int_equal(h.ssbd, SPEC_SSBD_VIRT_SPEC_CTRL);
	assert_true(h.virt);
	assert_int_equal(h.spec_ctrl, 0);
	assert_int_equal(specctrl_x8b(&h, 0), SPEC_X8B_VIRT_SSBD);
	specctrl_guest_regs(&h, &host, 0, 0, &g);
	assert_int_equal(g.virt_spec_ctrl, 0);
	specctrl_guest_regs(&h, &host, 0, VIRT_SPEC_CTRL_SSBD, &g);
	assert_int_equal(g.virt_spec_ctrl, VIRT_SPEC_CTRL_SSBD);
}

/* Families 15h-17h without either: LS_CFG, when it can be read. */
static void test_amd_ls_cfg(void **state)
{
	static const struct { uint32_t family; uint64_t bit; } f[] = {
		{ 0x15, 1ull << 54 }, { 0x16, 1ull << 33 }, { 0x17, 1ull << 10 },
	};
	struct specctrl_host h;
	struct specctrl_regs g;

	(void)state;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct specctrl_regs host = { 0, 0, 0x8000000000000001ull | f[i].bit };

		specctrl_probe(&h, true, f[i].family, 0, 0, true);
		assert_int_equal(h.ssbd, SPEC_SSBD_LS_CFG);
		assert_int_equal(h.ls_cfg_ssbd, f[i].bit);
		assert_true(h.virt);
		assert_int_equal(specctrl_x8b(&h, 0), SPEC_X8B_VIRT_SSBD);
		assert_false(specctrl_spec_ctrl_ok(&h, 0));
		/* The guest's SSBD, the rest of LS_CFG the host's. */
		specctrl_guest_regs(&h, &host, 0, 0, &g);
		assert_int_equal(g.ls_cfg, 0x8000000000000001ull);
		specctrl_guest_regs(&h, &host, 0, VIRT_SPEC_CTRL_SSBD, &g);
		assert_int_equal(g.ls_cfg, host.ls_cfg);
		host.ls_cfg = 0x10;
		specctrl_guest_regs(&h, &host, 0, VIRT_SPEC_CTRL_SSBD, &g);
		assert_int_equal(g.ls_cfg, 0x10 | f[i].bit);
		/* Reserved VIRT_SPEC_CTRL bits never reach LS_CFG. */
		specctrl_guest_regs(&h, &host, 0, ~VIRT_SPEC_CTRL_SSBD, &g);
		assert_int_equal(g.ls_cfg, 0x10);
		/* Unreadable LS_CFG: nothing to offer. */
		specctrl_probe(&h, true, f[i].family, 0, 0, false);
		assert_false(h.virt);
		assert_int_equal(specctrl_x8b(&h, SPEC_X8B_VIRT_SSBD), 0);
	}
	/* Other families have no LS_CFG SSBD bit. */
	specctrl_probe(&h, true, 0x10, 0, 0, true);
	assert_false(h.virt);
	specctrl_probe(&h, true, 0x19, 0, 0, true);
	assert_false(h.virt);
	/* And an Intel CPU never takes the AMD path. */
	specctrl_probe(&h, false, 0x17, 0, 0, true);
	assert_false(h.virt);
}

/* ARCH_CAPABILITIES: what the CPU is immune to passes, what promises an
 * MSR (TSX_CTRL 7, MISC_PACKAGE_CTRLS 10, ENERGY_FILTERING_CTL 11, DOITM
 * 12, FB_CLEAR_CTRL 18, XAPIC_DISABLE_STATUS 21, OVERCLOCKING_STATUS 23,
 * GDS_CTRL 25, the UMONITOR bits 29, 30) and reserved bits do not. */
static void test_arch_cap(void **state)
{
	static const unsigned pass[] = { 0, 1, 2, 3, 4, 5, 6, 8, 13, 14, 15, 17, 19, 20, 24, 26, 27, 28 };
	uint64_t want = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		want |= 1ull << pass[i];
	assert_int_equal(specctrl_arch_cap(~0ull), want);
	assert_int_equal(specctrl_arch_cap(0), 0);
	for (unsigned b = 0; b < 64; b++)
		assert_int_equal(specctrl_arch_cap(1ull << b), want & (1ull << b));
	assert_int_equal(specctrl_arch_cap((1ull << 7) | (1ull << 12) | (1ull << 18) | (1ull << 25)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_intel),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_amd_ssbd),
		cmocka_unit_test(test_amd_virt),
		cmocka_unit_test(test_amd_ls_cfg),
		cmocka_unit_test(test_arch_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
