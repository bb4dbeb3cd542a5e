/* Unit tests for the CR0/CR4/EFER write rules (vmm/crvalid.c): each #GP
 * rule with a value that breaks it and its legal neighbour, and the
 * masks derived from CPUID. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/crvalid.h"
#include "lib/errno.h"

#define PE (1ULL << 0)
#define ET (1ULL << 4)
#define NE (1ULL << 5)
#define WP (1ULL << 16)
#define NW (1ULL << 29)
#define CD (1ULL << 30)
#define PG (1ULL << 31)
#define PAE (1ULL << 5)
#define PGE (1ULL << 7)
#define LA57 (1ULL << 12)
#define PCIDE (1ULL << 17)
#define OSXSAVE (1ULL << 18)
#define CET (1ULL << 23)
#define SCE (1ULL << 0)
#define LME (1ULL << 8)
#define LMA (1ULL << 10)
#define NXE (1ULL << 11)
#define SVME (1ULL << 12)
#define LMSLE (1ULL << 13)
#define FFXSR (1ULL << 14)

/* A 64-bit guest: paging on, PAE, IA-32e mode, in a 64-bit segment. */
static const struct cr_state long64 = {
	.cr0 = PG | WP | NE | ET | PE, .cr3 = 0x1000, .cr4 = PAE | PGE,
	.efer = SCE | LME | LMA | NXE, .cs_l = true,
};
/* A guest in protected mode, paging off, no long mode yet. */
static const struct cr_state prot = { .cr0 = ET | PE, .cr4 = 0, .efer = 0 };

/* A CPU offering PAE, PGE, FXSR, SSE, PSE, DE, long mode, NX; no PCID,
 * XSAVE, LA57, CET or SVM. */
static struct cr_allowed base_allowed(void)
{
	struct cr_cpuid id = {
		.l1d = (1u << 2) | (1u << 3) | (1u << 6) | (1u << 13) | (1u << 24) | (1u << 25),
		.e1d = (1u << 29) | (1u << 20),
	};
	struct cr_allowed a;

	crvalid_allowed(&id, &a);
	return a;
}

static void test_cr0_rules(void **st)
{
	uint64_t out, efer;

	(void)st;
	assert_int_equal(crvalid_cr0(&long64, long64.cr0 | CD, &out, &efer), 0);
	assert_int_equal(out, long64.cr0 | CD);
	assert_int_equal(efer, long64.efer);
	/* Bits 63:32. */
	assert_int_equal(crvalid_cr0(&long64, long64.cr0 | (1ULL << 32), &out, &efer), -EINVAL);
	/* NW without CD; NW with CD is legal. */
	assert_int_equal(crvalid_cr0(&long64, long64.cr0 | NW, &out, &efer), -EINVAL);
	assert_int_equal(crvalid_cr0(&long64, long64.cr0 | NW | CD, &out, &efer), 0);
	/* PG without PE. */
	assert_int_equal(crvalid_cr0(&long64, long64.cr0 & ~PE, &out, &efer), -EINVAL);
	assert_int_equal(crvalid_cr0(&prot, PG | ET, &out, &efer), -EINVAL);
	/* Clearing PG in 64-bit mode; allowed in compatibility mode. */
	assert_int_equal(crvalid_cr0(&long64, long64.cr0 & ~PG, &out, &efer), -EINVAL);
	struct cr_state compat = long64;
	compat.cs_l = false;
	assert_int_equal(crvalid_cr0(&compat, compat.cr0 & ~PG, &out, &efer), 0);
	assert_int_equal(efer, long64.efer & ~LMA);
	/* Clearing PG with PCIDE set. */
	compat.cr4 |= PCIDE;
	assert_int_equal(crvalid_cr0(&compat, compat.cr0 & ~PG, &out, &efer), -EINVAL);
	/* Reserved low bits are dropped, ET reads 1. */
	assert_int_equal(crvalid_cr0(&prot, PE | (1ULL << 8), &out, &efer), 0);
	assert_int_equal(out, PE | ET);
}

static void test_cr0_long_mode_entry(void **st)
{
	struct cr_state s = prot;
	uint64_t out, efer;

	(void)st;
	s.efer = LME;
	/* PG with LME and no PAE. */
	assert_int_equal(crvalid_cr0(&s, PG | PE, &out, &efer), -EINVAL);
	s.cr4 = PAE;
	assert_int_equal(crvalid_cr0(&s, PG | PE, &out, &efer), 0);
	assert_int_equal(efer, LME | LMA);
	/* Activating IA-32e mode from a segment with L set. */
	s.cs_l = true;
	assert_int_equal(crvalid_cr0(&s, PG | PE, &out, &efer), -EINVAL);
	/* Without LME, paging without PAE is 32-bit paging. */
	s = prot;
	assert_int_equal(crvalid_cr0(&s, PG | PE, &out, &efer), 0);
	assert_int_equal(efer, 0);
	/* CET needs WP. */
	s = long64;
	s.cr4 |= CET;
	assert_int_equal(crvalid_cr0(&s, s.cr0 & ~WP, &out, &efer), -EINVAL);
}

static void test_cr4_rules(void **st)
{
	struct cr_allowed a = base_allowed();
	struct cr_state s = long64;
	uint64_t out;

	(void)st;
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 & ~PGE, &out), 0);
	assert_int_equal(out, s.cr4 & ~PGE);
	/* Clearing PAE in IA-32e mode; outside it PAE may go. */
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 & ~PAE, &out), -EINVAL);
	assert_int_equal(crvalid_cr4(&prot, &a, 0, &out), 0);
	/* Features the CPUID view hides, and reserved bits. */
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 | OSXSAVE, &out), -EINVAL);
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 | PCIDE, &out), -EINVAL);
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 | (1ULL << 13), &out), -EINVAL);  /* VMXE */
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 | (1ULL << 15), &out), -EINVAL);
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 | (1ULL << 32), &out), -EINVAL);
	/* With PCID and LA57 shown: PCIDE needs IA-32e mode and CR3[11:0] = 0;
	 * LA57 cannot change in IA-32e mode. */
	a.cr4 |= PCIDE | LA57 | CET;
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 | PCIDE, &out), 0);
	s.cr3 = 0x1005;
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 | PCIDE, &out), -EINVAL);
	assert_int_equal(crvalid_cr4(&prot, &a, PCIDE, &out), -EINVAL);
	assert_int_equal(crvalid_cr4(&long64, &a, long64.cr4 | LA57, &out), -EINVAL);
	assert_int_equal(crvalid_cr4(&prot, &a, LA57 | PAE, &out), 0);
	/* CET with WP clear. */
	s = long64;
	s.cr0 &= ~WP;
	assert_int_equal(crvalid_cr4(&s, &a, s.cr4 | CET, &out), -EINVAL);
}

static void test_efer_rules(void **st)
{
	struct cr_allowed a = base_allowed();
	uint64_t out;

	(void)st;
	/* The case: clearing LME in 64-bit mode. */
	assert_int_equal(crvalid_efer(&long64, &a, long64.efer & ~LME, &out), -EINVAL);
	assert_int_equal(crvalid_efer(&long64, &a, long64.efer & ~NXE, &out), 0);
	assert_int_equal(out, long64.efer & ~NXE);
	/* LMA written as 0 is kept as it is. */
	assert_int_equal(crvalid_efer(&long64, &a, long64.efer & ~LMA, &out), 0);
	assert_int_equal(out, long64.efer);
	/* Setting LME with paging on (32-bit paging), and without. */
	struct cr_state paged = prot;
	paged.cr0 |= PG;
	assert_int_equal(crvalid_efer(&paged, &a, LME, &out), -EINVAL);
	assert_int_equal(crvalid_efer(&prot, &a, LME, &out), 0);
	assert_int_equal(out, LME);
	/* Hidden or reserved bits. */
	assert_int_equal(crvalid_efer(&long64, &a, long64.efer | SVME, &out), -EINVAL);
	assert_int_equal(crvalid_efer(&long64, &a, long64.efer | LMSLE, &out), -EINVAL);
	assert_int_equal(crvalid_efer(&long64, &a, long64.efer | FFXSR, &out), -EINVAL);
	assert_int_equal(crvalid_efer(&long64, &a, long64.efer | (1ULL << 1), &out), -EINVAL);
	assert_int_equal(crvalid_efer(&long64, &a, long64.efer | (1ULL << 63), &out), -EINVAL);
	/* NX hidden: NXE faults. */
	struct cr_cpuid id = { .e1d = 1u << 29 };
	crvalid_allowed(&id, &a);
	assert_int_equal(crvalid_efer(&prot, &a, NXE, &out), -EINVAL);
	assert_int_equal(crvalid_efer(&prot, &a, SCE | LME, &out), 0);
	/* No long mode: LME faults. */
	id.e1d = 0;
	crvalid_allowed(&id, &a);
	assert_int_equal(crvalid_efer(&prot, &a, LME, &out), -EINVAL);
}

static void test_allowed(void **st)
{
	struct cr_cpuid id = { 0 };
	struct cr_allowed a;

	(void)st;
	crvalid_allowed(&id, &a);
	assert_int_equal(a.cr4, 1ULL << 8);           /* only PCE */
	assert_int_equal(a.efer, SCE);
	id.l1c = (1u << 26) | (1u << 17);
	id.l7c = 1u << 3;
	id.e1d = 1u << 25;
	crvalid_allowed(&id, &a);
	assert_int_equal(a.cr4, (1ULL << 8) | OSXSAVE | PCIDE | (1ULL << 22));
	assert_int_equal(a.efer, SCE | FFXSR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cr0_rules),
		cmocka_unit_test(test_cr0_long_mode_entry),
		cmocka_unit_test(test_cr4_rules),
		cmocka_unit_test(test_efer_rules),
		cmocka_unit_test(test_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
