/* Guest writes to CR0, CR4 and EFER checked as the CPU checks them
 * (rules cited per function). Pure; host unit tests in
 * tests/unit/test_crvalid.c. */
#include "vmm/crvalid.h"
#include "lib/errno.h"

#define BIT(n) (1ULL << (n))

#define CR0_PE BIT(0)
#define CR0_ET BIT(4)
#define CR0_WP BIT(16)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)
/* PE MP EM TS ET NE, WP, AM, NW CD PG: the rest of bits 31:0 is
 * reserved and ignored on write (SDM Vol. 3A, 2.5). */
#define CR0_DEFINED (0x3fULL | BIT(16) | BIT(18) | BIT(29) | BIT(30) | BIT(31))

#define CR4_PAE    BIT(5)
#define CR4_LA57   BIT(12)
#define CR4_PCIDE  BIT(17)
#define CR4_CET    BIT(23)

#define EFER_SCE   BIT(0)
#define EFER_LME   BIT(8)
#define EFER_LMA   BIT(10)
#define EFER_NXE   BIT(11)
#define EFER_SVME  BIT(12)
#define EFER_FFXSR BIT(14)
#define EFER_TCE   BIT(15)

static uint64_t if_set(uint32_t reg, unsigned bit, uint64_t mask)
{
	return (reg >> bit) & 1 ? mask : 0;
}

/* The CR4 bit of each feature (SDM Vol. 3A, 2.5, Figure 2-7) next to
 * the CPUID bit that announces it (Vol. 2A, CPUID). PCE and OSXMMEXCPT
 * have no CPUID bit of their own: PCE is always there, OSXMMEXCPT comes
 * with SSE. EFER bits: SDM Vol. 3A, 2.2.1; AMD APM Vol. 2, 3.1.7
 * (LMSLE is not offered: Vatra's guests get no segment limits in 64-bit
 * mode, and CPUID 0x80000008 EBX[20] says so on AMD). */
void crvalid_allowed(const struct cr_cpuid *id, struct cr_allowed *a)
{
	a->cr4 = if_set(id->l1d, 1, BIT(0) | BIT(1)) |  /* VME, PVI */
		 if_set(id->l1d, 4, BIT(2)) |           /* TSD */
		 if_set(id->l1d, 2, BIT(3)) |           /* DE */
		 if_set(id->l1d, 3, BIT(4)) |           /* PSE */
		 if_set(id->l1d, 6, CR4_PAE) |
		 if_set(id->l1d, 7, BIT(6)) |           /* MCE */
		 if_set(id->l1d, 13, BIT(7)) |          /* PGE */
		 BIT(8) |                               /* PCE */
		 if_set(id->l1d, 24, BIT(9)) |          /* OSFXSR */
		 if_set(id->l1d, 25, BIT(10)) |         /* OSXMMEXCPT */
		 if_set(id->l7c, 2, BIT(11)) |          /* UMIP */
		 if_set(id->l7c, 16, CR4_LA57) |
		 if_set(id->l1c, 5, BIT(13)) |          /* VMXE */
		 if_set(id->l1c, 6, BIT(14)) |          /* SMXE */
		 if_set(id->l7b, 0, BIT(16)) |          /* FSGSBASE */
		 if_set(id->l1c, 17, CR4_PCIDE) |
		 if_set(id->l1c, 26, BIT(18)) |         /* OSXSAVE */
		 if_set(id->l7c, 23, BIT(19)) |         /* KL */
		 if_set(id->l7b, 7, BIT(20)) |          /* SMEP */
		 if_set(id->l7b, 20, BIT(21)) |         /* SMAP */
		 if_set(id->l7c, 3, BIT(22)) |          /* PKE */
		 if_set(id->l7c, 7, CR4_CET) | if_set(id->l7d, 20, CR4_CET) |
		 if_set(id->l7c, 31, BIT(24)) |         /* PKS */
		 if_set(id->l7d, 5, BIT(25));           /* UINTR */
	a->efer = EFER_SCE |
		  if_set(id->e1d, 29, EFER_LME | EFER_LMA) |
		  if_set(id->e1d, 20, EFER_NXE) |
		  if_set(id->e1c, 2, EFER_SVME) |
		  if_set(id->e1d, 25, EFER_FFXSR) |
		  if_set(id->e1c, 17, EFER_TCE);
}

/* MOV to CR0 (SDM Vol. 2B, MOV—Move to/from Control Registers, and Vol.
 * 3A, 4.1.2): #GP(0) for bits 63:32, PG without PE, NW without CD,
 * clearing PG in 64-bit mode or with CR4.PCIDE set, setting PG with
 * EFER.LME and CR4.PAE clear or with CS.L set, clearing WP with
 * CR4.CET set. Turning paging on with LME set enters IA-32e mode (LMA),
 * turning it off leaves it (Vol. 3A, 10.8.5). */
int crvalid_cr0(const struct cr_state *s, uint64_t val, uint64_t *out, uint64_t *efer_out)
{
	bool was_pg = s->cr0 & CR0_PG, pg = val & CR0_PG;
	bool lma = s->efer & EFER_LMA;
	uint64_t efer = s->efer;

	if (val >> 32)
		return -EINVAL;
	if (pg && !(val & CR0_PE))
		return -EINVAL;
	if ((val & CR0_NW) && !(val & CR0_CD))
		return -EINVAL;
	if (was_pg && !pg && ((lma && s->cs_l) || (s->cr4 & CR4_PCIDE)))
		return -EINVAL;
	if (!was_pg && pg && (s->efer & EFER_LME) && (!(s->cr4 & CR4_PAE) || s->cs_l))
		return -EINVAL;
	if (!(val & CR0_WP) && (s->cr4 & CR4_CET))
		return -EINVAL;
	if (!was_pg && pg && (efer & EFER_LME))
		efer |= EFER_LMA;
	else if (!pg)
		efer &= ~EFER_LMA;
	*out = (val & CR0_DEFINED) | CR0_ET;
	*efer_out = efer;
	return 0;
}

/* MOV to CR4 (SDM Vol. 2B, MOV; Vol. 3A, 4.1.2 and 4.10.1): #GP(0) for
 * a reserved bit or a feature the guest's CPUID does not show, clearing
 * PAE in IA-32e mode, changing LA57 in IA-32e mode, setting PCIDE
 * outside IA-32e mode or with CR3[11:0] not 0, setting CET with CR0.WP
 * clear. */
int crvalid_cr4(const struct cr_state *s, const struct cr_allowed *a, uint64_t val,
		uint64_t *out)
{
	bool lma = s->efer & EFER_LMA;

	if (val & ~a->cr4)
		return -EINVAL;
	if (lma && !(val & CR4_PAE))
		return -EINVAL;
	if (lma && ((val ^ s->cr4) & CR4_LA57))
		return -EINVAL;
	if ((val & CR4_PCIDE) && !(s->cr4 & CR4_PCIDE) && (!lma || (s->cr3 & 0xfff)))
		return -EINVAL;
	if ((val & CR4_CET) && !(s->cr0 & CR0_WP))
		return -EINVAL;
	*out = val;
	return 0;
}

/* WRMSR to IA32_EFER (SDM Vol. 3A, 4.1.2: "IA32_EFER.LME cannot be
 * modified while paging is enabled"; AMD APM Vol. 2, 14.6): #GP(0) for
 * a reserved bit or one the guest's CPUID does not show, or a change of
 * LME with CR0.PG set. LMA is the processor's: a write keeps it. */
int crvalid_efer(const struct cr_state *s, const struct cr_allowed *a, uint64_t val,
		 uint64_t *out)
{
	if (val & ~a->efer)
		return -EINVAL;
	if ((s->cr0 & CR0_PG) && ((val ^ s->efer) & EFER_LME))
		return -EINVAL;
	*out = (val & ~EFER_LMA) | (s->efer & EFER_LMA);
	return 0;
}
