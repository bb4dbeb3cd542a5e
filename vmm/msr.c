/* Guest MSR access: an explicit list, the policy docs/msr.md tables.
 * MSRs the vendor keeps in its guest state (EFER, PAT) go to the vendor
 * code, the local APIC's to its model; the rest of what the guest's CPU
 * has is emulated here. Every other MSR, and every MSR of the other
 * vendor, raises #GP in the guest, never anything in the host. MSRs that
 * VMRUN/VMLOAD or the VMCS switch by themselves (FS/GS base, SYSCALL and
 * SYSENTER MSRs) do not exit at all.
 *
 * An MSR that a CPUID bit promises exists exactly when the guest's CPUID
 * shows that bit; msr_cpuid_fixup hides the bits whose MSRs Vatra does
 * not provide (Intel SDM Vol. 4, Table 2-2 "IA32 Architectural MSRs";
 * AMD APM Vol. 2, Appendix A; Vol. 3, Appendix E). */
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "vmm/platform.h"
#include "vmm/crwrite.h"
#include "arch/x86/cpu.h"
#include "vmm/vmm.h"
#include "vmm/guestmsr.h"
#include "vmm/mtrr.h"
#include "vmm/spec.h"
#include "vmm/platform.h"
#include "arch/x86/caps.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

#define MSR_P5_MC_ADDR     0x0
#define MSR_P5_MC_TYPE     0x1
#define MSR_TSC            0x10
#define MSR_PLATFORM_ID    0x17
#define MSR_TSC_ADJUST     0x3b
#define MSR_UCODE_REV      0x8b
#define MSR_MCG_CAP        0x179
#define MSR_MCG_STATUS     0x17a
#define MSR_PERF_STATUS    0x198
#define MSR_MISC_ENABLE    0x1a0
#define MSR_PAT            0x277
#define MSR_DEBUGCTL       0x1d9
#define MSR_PERF_CAP       0x345
#define MSR_TSC_AUX        0xc0000103
#define MSR_AMD_PERF_FIRST 0xc0010000   /* PerfEvtSel0-3, then PerfCtr0-3 */
#define MSR_AMD_PERF_LAST  0xc0010007
#define MSR_AMD_SYSCFG     0xc0010010
#define MSR_AMD_HWCR       0xc0010015
#define MSR_AMD_NB_CFG     0xc001001f
#define MSR_AMD_INT_PENDING 0xc0010055

/* CPUID bits that promise an MSR (docs/msr.md). */
#define CPUID1_EDX_MTRR    (1u << 12)
#define CPUID1_EDX_MCA     (1u << 14)
#define CPUID1_ECX_PDCM    (1u << 15)
#define CPUID7_EBX_TSC_ADJ (1u << 1)
#define CPUIDX1_EDX_RDTSCP (1u << 27)
#define CPUID7_ECX_RDPID   (1u << 22)

static bool is_intel(void)
{
	return vmm_guest_vendor() == CPU_VENDOR_INTEL;
}

/* Whether the guest's CPUID shows bit in register reg (0 EAX .. 3 EDX). */
static bool guest_has(struct vcpu *v, uint32_t leaf, unsigned reg, uint32_t bit)
{
	struct cpuid_regs r;
	uint32_t w[4];

	cpuid_guest(v, leaf, 0, &r);
	w[0] = r.a, w[1] = r.b, w[2] = r.c, w[3] = r.d;
	return w[reg] & bit;
}

/* Hides what promises MSRs (or MSR bits) that are not provided, and
 * offers IA32_TSC_ADJUST on Intel, emulated here. Called last by
 * cpuid_guest on the guest's view of a leaf. */
void msr_cpuid_fixup(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	switch (leaf) {
	case 1:
		/* ECX: DTES64 2, DS-CPL 4, DCA 18; EDX: DS 21. The debug store
		 * (IA32_DS_AREA) and IA32_PLATFORM_DCA_CAP are not provided. */
		r->c &= ~((1u << 2) | (1u << 4) | (1u << 18));
		r->d &= ~(1u << 21);
		break;
	case 7:
		if (sub)
			break;
		/* EBX: RDT-M 12, RDT-A 15 (IA32_PQR_ASSOC...), Intel PT 25
		 * (IA32_RTIT_*). ECX: CET_SS 7, TME 13. EDX: TSX_FORCE_ABORT 13,
		 * arch LBR 19, CET_IBT 20. The speculation controls 26-31:
		 * what vmm/spec.c switches, as the host has them. */
		r->b &= ~((1u << 12) | (1u << 15) | (1u << 25));
		r->c &= ~((1u << 7) | (1u << 13));
		r->d &= ~((1u << 13) | (1u << 19) | (1u << 20));
		r->d = specctrl_l7d(spec_host(), r->d);
		if (is_intel())
			r->b |= CPUID7_EBX_TSC_ADJ;
		else
			r->b &= ~CPUID7_EBX_TSC_ADJ;
		break;
	case 0xf:    /* RDT monitoring */
	case 0x10:   /* RDT allocation */
	case 0x12:   /* SGX */
	case 0x14:   /* Intel PT */
	case 0x1c:   /* architectural LBR */
	case 0x8000001b:   /* IBS */
	case 0x8000001f:   /* SME/SEV: SYSCFG.MemEncryptionModeEn, SEV MSRs */
	case 0x80000020:   /* AMD platform QoS */
	case 0x80000022:   /* AMD PerfMonV2 */
		*r = (struct cpuid_regs){ 0 };
		break;
	case 0x80000001:
		/* ECX: OSVW 9, IBS 10, LWP 15, NodeId 19, PerfCtrExtCore 23
		 * (0xC0010200-0xC001020B), PerfCtrExtNB 24, DataBpExt 26,
		 * PerfTsc 27, PerfCtrExtLLC 28: none of their MSRs exist. */
		r->c &= ~((1u << 9) | (1u << 10) | (1u << 15) | (1u << 19) | (1u << 23) |
			  (1u << 24) | (1u << 26) | (1u << 27) | (1u << 28));
		break;
	case 0x80000007:
		/* EBX: MCA overflow recovery, SUCCOR, ScalableMca (MCA_CONFIG
		 * ...). EDX: HwPstate 7 (P-state MSRs), CPB 9 (HWCR.CpbDis),
		 * EffFreqRO 10 (MPERF/APERF read-only), ProcPowerReporting 12. */
		r->b = 0;
		r->d &= ~((1u << 7) | (1u << 9) | (1u << 10) | (1u << 12));
		break;
	case 0x80000008:
		/* EBX: IRPerf 1, PPIN 23, CPPC 27, PSFD 28 (SPEC_CTRL[7]):
		 * their MSRs (or MSR bits) are not provided. IBPB 12, IBRS
		 * 14, STIBP 15, AMD_SSBD 24, VIRT_SSBD 25: vmm/spec.c. */
		r->b &= ~((1u << 1) | (1u << 23) | (1u << 27) | (1u << 28));
		r->b = specctrl_x8b(spec_host(), r->b);
		break;
	case 0x80000021:
		/* EAX: SBPB 27 (PRED_CMD[7]) is not accepted. */
		r->a &= ~(1u << 27);
		break;
	}
}

/* The guest's TSC: the host's plus the partition's offset (its start)
 * plus what the guest moved it by, IA32_TSC_ADJUST. */
uint64_t msr_guest_tsc(struct vcpu *v)
{
	return rdtsc() - v->part->start_tsc + v->tsc_adjust;
}

/* Moves this vCPU's TSC by delta: TSC and IA32_TSC_ADJUST move together
 * (SDM Vol. 3B, 17.17.3), as does the TSC the LAPIC's deadline timer
 * compares against. */
static void tsc_move(struct vcpu *v, uint64_t delta)
{
	v->tsc_adjust += delta;
	v->lapic.tsc_offset = v->tsc_adjust;
	v->lapic_touched = true;      /* its deadline, in guest TSC, moved */
	vmm->set_tsc_offset(v, v->tsc_adjust - v->part->start_tsc);
}

/* What VMRUN/VMLOAD or the VMCS switch by themselves (and, on VT-x, what
 * moves with the vCPU in software) needs no exit: opened for reads and
 * writes in every partition. */
static const uint32_t msr_pass[] = {
	0xc0000100, 0xc0000101, 0xc0000102,              /* FS, GS, KERNEL_GS base */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,  /* STAR, LSTAR, CSTAR, SFMASK */
	0x174, 0x175, 0x176,                             /* SYSENTER CS, ESP, EIP */
};

int msr_part_init(struct partition *p)
{
	for (size_t i = 0; i < sizeof(msr_pass) / sizeof(msr_pass[0]); i++) {
		int r = vmm->part_msr(p, msr_pass[i], true, true);

		if (r)
			return r;
	}
	return 0;
}

/* The checks a write to an MSR the vendor holds must pass first. */
static bool vendor_write_ok(uint32_t msr, uint64_t val)
{
	if (msr == MSR_EFER)
		return guestmsr_efer_valid(val, vmm_guest_vendor());
	if (msr == MSR_PAT)
		return guestmsr_pat_valid(val);
	return true;
}

/* The guest's MAXPHYADDR: the host's (CPUID 0x80000008 is passed). */
static unsigned guest_maxphy(void)
{
	return caps_get()->phys_bits ? caps_get()->phys_bits : 36;
}

/* What firmware leaves in the MTRRs before the OS runs, the same on
 * every vCPU: write-back by default and below 1 MiB (guest RAM has no
 * hole), uncacheable from the PCI hole to 4 GiB (BARs, IOAPIC, LAPIC)
 * and over the ECAM window where there is one. */
void msr_mtrr_init(struct vcpu *v)
{
	struct mtrr_range r[2] = {
		{ PLAT_PCI_HOLE_GPA, (1ULL << 32) - PLAT_PCI_HOLE_GPA, MTRR_UC },
		{ PLAT_ECAM_GPA, PLAT_ECAM_SIZE, MTRR_UC },
	};
	unsigned n = platform_has_ecam(v->part) ? 2 : 1;

	if (mtrr_firmware(&v->mtrr, guest_maxphy(), r, n)) {
		pr_err("partition %s: cannot describe its memory in MTRRs; all UC", part_name(v->part));
		mtrr_reset(&v->mtrr);
	}
}

static int emulated_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	bool intel = is_intel();
	int r = spec_msr_read(v, msr, val);

	if (r != -ENOENT)
		return r;
	/* The MTRRs (SDM Vol. 3A, 13.11), only with CPUID's MTRR bit. */
	if (mtrr_is_msr(msr)) {
		if (!guest_has(v, 1, 3, CPUID1_EDX_MTRR))
			return -ENOENT;
		return mtrr_read(&v->mtrr, msr, val);
	}

	/* AMD's legacy counters exist on every AMD64 CPU (APM Vol. 2,
	 * 13.2.1); with no PMU offered they count nothing. */
	if (msr >= MSR_AMD_PERF_FIRST && msr <= MSR_AMD_PERF_LAST) {
		*val = 0;
		return intel ? -ENOENT : 0;
	}
	switch (msr) {
	case MSR_TSC:
		*val = msr_guest_tsc(v);   /* as RDTSC reads it */
		return 0;
	case MSR_TSC_ADJUST:
		if (!guest_has(v, 7, 1, CPUID7_EBX_TSC_ADJ))
			return -ENOENT;
		*val = v->tsc_adjust;
		return 0;
	case MSR_TSC_AUX:
		if (!guest_has(v, 0x80000001, 3, CPUIDX1_EDX_RDTSCP) &&
		    !guest_has(v, 7, 2, CPUID7_ECX_RDPID))
			return -ENOENT;
		*val = v->tsc_aux;
		return 0;
	case MSR_UCODE_REV:
	case MSR_DEBUGCTL:
		*val = 0;
		return 0;
	case MSR_MCG_CAP:
		/* No banks, no MCG_CTL, no extended state (SDM 15.3.1.1). */
	case MSR_MCG_STATUS:
		if (!guest_has(v, 1, 3, CPUID1_EDX_MCA))
			return -ENOENT;
		*val = msr == MSR_MCG_STATUS ? v->mcg_status : 0;
		return 0;
	case MSR_P5_MC_ADDR:
	case MSR_P5_MC_TYPE:
	case MSR_PLATFORM_ID:
	case MSR_PERF_STATUS:
		/* Intel architectural MSRs (Table 2-2) with nothing to say. */
		*val = 0;
		return intel ? 0 : -ENOENT;
	case MSR_PERF_CAP:
		/* What PDCM promises; no LBR format, PEBS or full-width
		 * counter writes (SDM 18.6.1... "IA32_PERF_CAPABILITIES"). */
		if (!intel || !guest_has(v, 1, 2, CPUID1_ECX_PDCM))
			return -ENOENT;
		*val = 0;
		return 0;
	case MSR_MISC_ENABLE:
		/* Intel only; Linux's early boot reads it unchecked. Fast
		 * strings on, BTS and PEBS unavailable, XD not disabled. */
		if (!intel)
			return -ENOENT;
		*val = (1u << 0) | (1u << 11) | (1u << 12);
		return 0;
	case MSR_FEATURE_CONTROL:
		/* Locked with VMX off: what Intel firmware leaves when VT-x is
		 * not offered. AMD has no such MSR. */
		if (!intel)
			return -ENOENT;
		*val = 1;
		return 0;
	case MSR_AMD_SYSCFG:
	case MSR_AMD_NB_CFG:
		/* SYSCFG (APM Vol. 2, 7.9.1): no MTRR extensions, no memory
		 * encryption. NB_CFG: Linux reads it unchecked on family 17h. */
		*val = 0;
		return intel ? -ENOENT : 0;
	case MSR_AMD_INT_PENDING:
		/* Interrupt Pending Message (BKDG families 0Fh-11h): no C1E,
		 * so no SMI-on-C1E and no C1E-on-CMP-halt. Linux reads it on
		 * the CPUs of AMD's erratum 400. */
		*val = 0;
		return intel || caps_get()->family < 0xf || caps_get()->family > 0x11 ? -ENOENT : 0;
	case MSR_AMD_HWCR:
		/* TscFreqSel (24): the TSC counts at the P0 rate, read-only 1
		 * from family 10h on. */
		*val = 1u << 24;
		return intel ? -ENOENT : 0;
	default:
		return -ENOENT;
	}
}

/* The hardware TSC_AUX holds the running vCPU's value: RDTSCP (and
 * RDPID) read it directly wherever no intercept applies. Each CPU
 * remembers what it holds. */
void msr_load_guest(struct vcpu *v)
{
	struct cpu *c = this_cpu();

	if ((!c->tsc_aux_valid || c->tsc_aux != v->tsc_aux) &&
	    (cpuid(0x80000001, 0).d & (1u << 27))) {
		wrmsr(MSR_TSC_AUX, v->tsc_aux);
		c->tsc_aux = v->tsc_aux;
		c->tsc_aux_valid = true;
	}
}

static int emulated_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	uint64_t old;
	int r = spec_msr_write(v, msr, val);

	if (r != -ENOENT)
		return r;
	r = emulated_read(v, msr, &old);

	/* What cannot be read here cannot be written either. */
	if (r)
		return r;
	if (mtrr_is_msr(msr))
		return mtrr_write(&v->mtrr, msr, val, guest_maxphy());
	switch (msr) {
	case MSR_TSC:
		/* Sets the TSC; TSC_ADJUST moves by the same amount. */
		tsc_move(v, val - old);
		return 0;
	case MSR_TSC_ADJUST:
		/* "adds X - Y to the TSC" for a write of X over Y. */
		tsc_move(v, val - old);
		return 0;
	case MSR_TSC_AUX:
		if (val >> 32)
			return -EINVAL;   /* bits 63:32 reserved */
		v->tsc_aux = val;
		msr_load_guest(v);
		return 0;
	case MSR_MCG_STATUS:
		/* RIPV, EIPV, MCIP; LMCE_S is reserved without MCG_LMCE_P. */
		if (val & ~7ull)
			return -EINVAL;
		v->mcg_status = val;
		return 0;
	case MSR_DEBUGCTL:
		/* LBR (0) and BTF (1) accepted and dropped: the LBR stack
		 * has no entries and branch single-step is not offered; any
		 * other bit is reserved on the CPU shown (#GP). */
		return val & ~3ull ? -EINVAL : 0;
	case MSR_P5_MC_ADDR:
	case MSR_P5_MC_TYPE:
	case MSR_UCODE_REV:
		/* Intel: written with 0 before CPUID, then read (SDM Vol. 3A,
		 * 10.11.7.1); AMD's PATCH_LEVEL is read-only. */
		return is_intel() ? 0 : -EINVAL;
	case MSR_MISC_ENABLE:        /* kept as it is */
	case MSR_AMD_SYSCFG:
	case MSR_AMD_NB_CFG:
	case MSR_AMD_HWCR:
	case MSR_AMD_INT_PENDING:
		return 0;
	default:
		/* The legacy AMD counters: written and dropped. */
		if (msr >= MSR_AMD_PERF_FIRST && msr <= MSR_AMD_PERF_LAST)
			return 0;
		/* Read-only: MCG_CAP, PLATFORM_ID, PERF_STATUS,
		 * PERF_CAPABILITIES, FEATURE_CONTROL (locked). */
		return -EINVAL;
	}
}

/* EFER as the CPU checks a WRMSR to it (vmm/crvalid.c), before the
 * vendor code stores it. */
static int efer_write(struct vcpu *v, uint64_t *val)
{
	struct guest_ctl c;
	struct cr_state s;
	struct cr_allowed a;

	vmm->get_ctl(v, &c);
	crwrite_state(v, &c, &s, &a);
	return crvalid_efer(&s, &a, *val, val);
}

/* Every MSR lives in the vCPU, its control block or its own LAPIC
 * (which has a lock of its own, and sends IPIs and EOIs under the
 * partition's lock by itself), except the TSC and TSC_ADJUST, whose
 * writes move the vCPU's clock (kept under the partition's lock). */
EXIT_PATH bool msr_private(uint32_t msr)
{
	return msr != MSR_TSC && msr != MSR_TSC_ADJUST;
}

EXIT_PATH int msr_exit(struct vcpu *v, const struct vm_exit *e)
{
	uint32_t msr = e->msr.index;
	uint64_t val;
	int r;

	if (e->reason == EXIT_MSR_READ) {
		r = vmm->msr_read(v, msr, &val);
		if (r == -ENOENT)
			r = platform_msr(v, msr, false, &val);
		if (r == -ENOENT)
			r = emulated_read(v, msr, &val);
		if (r) {
			pr_debug("partition %s: rdmsr %#x refused (#GP)", part_name(v->part), msr);
			vcpu_gp(v);
			return 0;
		}
		v->regs.gpr[REG_RAX] = (uint32_t)val;
		v->regs.gpr[REG_RDX] = val >> 32;
	} else {
		val = (uint32_t)v->regs.gpr[REG_RAX] | (v->regs.gpr[REG_RDX] << 32);
		r = vendor_write_ok(msr, val) ? 0 : -EINVAL;
		if (!r && msr == MSR_EFER)
			r = efer_write(v, &val);
		if (!r)
			r = vmm->msr_write(v, msr, val);
		if (r == -ENOENT)
			r = platform_msr(v, msr, true, &val);
		if (r == -ENOENT)
			r = emulated_write(v, msr, val);
		if (r) {
			pr_debug("partition %s: wrmsr %#x <- %#llx refused (#GP)", part_name(v->part),
				 msr, (unsigned long long)val);
			vcpu_gp(v);
			return 0;
		}
	}
	vcpu_skip(v, e, 2);
	return 0;
}
