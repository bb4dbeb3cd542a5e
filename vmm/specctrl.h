/* The speculation controls a guest is offered: IA32_SPEC_CTRL (IBRS,
 * STIBP, SSBD), IA32_PRED_CMD (IBPB) and, on AMD, VIRT_SPEC_CTRL (SSBD
 * through the interface AMD defines for hypervisors), each exactly when
 * the host has the mechanism behind it. Pure code: which CPUID bits the
 * guest sees, which MSR bits exist, and what the hardware registers must
 * hold while the guest runs. The switching itself is vmm/spec.c.
 *
 * Intel SDM Vol. 4, Table 2-2 (IA32_SPEC_CTRL 48H, IA32_PRED_CMD 49H),
 * Vol. 2A CPUID leaf 7 EDX[26,27,31]; AMD APM Vol. 3, CPUID Fn8000_0008
 * EBX[12,14,15,24,25], and AMD's "Speculative Store Bypass Disable"
 * white paper (VIRT_SPEC_CTRL C001_011FH, LS_CFG on families 15h-17h). */
#ifndef VATRA_VMM_SPECCTRL_H
#define VATRA_VMM_SPECCTRL_H

#include <stdint.h>
#include <stdbool.h>

#define MSR_SPEC_CTRL       0x48
#define MSR_PRED_CMD        0x49
#define MSR_ARCH_CAP        0x10a
#define MSR_FLUSH_CMD       0x10b
#define MSR_VIRT_SPEC_CTRL  0xc001011f
#define MSR_AMD_LS_CFG      0xc0011020

#define SPEC_CTRL_IBRS      (1ull << 0)
#define SPEC_CTRL_STIBP     (1ull << 1)
#define SPEC_CTRL_SSBD      (1ull << 2)
#define PRED_CMD_IBPB       (1ull << 0)
#define FLUSH_CMD_L1D       (1ull << 0)
#define VIRT_SPEC_CTRL_SSBD (1ull << 2)

/* CPUID 7.0 EDX */
#define SPEC_L7D_IBRS_IBPB  (1u << 26)
#define SPEC_L7D_STIBP      (1u << 27)
#define SPEC_L7D_L1D_FLUSH  (1u << 28)
#define SPEC_L7D_ARCH_CAP   (1u << 29)
#define SPEC_L7D_SSBD       (1u << 31)
/* CPUID 0x80000008 EBX */
#define SPEC_X8B_IBPB       (1u << 12)
#define SPEC_X8B_IBRS       (1u << 14)
#define SPEC_X8B_STIBP      (1u << 15)
#define SPEC_X8B_AMD_SSBD   (1u << 24)
#define SPEC_X8B_VIRT_SSBD  (1u << 25)

/* How the host sets SSBD for a guest that asks through VIRT_SPEC_CTRL. */
enum specctrl_ssbd {
	SPEC_SSBD_NONE,
	SPEC_SSBD_SPEC_CTRL,       /* IA32_SPEC_CTRL[2] (AMD_SSBD or Intel SSBD) */
	SPEC_SSBD_VIRT_SPEC_CTRL,  /* the host is itself a guest offered VIRT_SSBD */
	SPEC_SSBD_LS_CFG,          /* LS_CFG, families 15h-17h */
};

/* What the host has, from its CPUID. */
struct specctrl_host {
	uint64_t spec_ctrl;        /* the IA32_SPEC_CTRL bits that exist; 0: no MSR */
	bool ibpb;                 /* IA32_PRED_CMD.IBPB exists */
	bool flush_l1d;            /* IA32_FLUSH_CMD.L1D_FLUSH exists */
	bool arch_cap;             /* IA32_ARCH_CAPABILITIES exists */
	bool virt;                 /* VIRT_SPEC_CTRL is offered (AMD guests) */
	enum specctrl_ssbd ssbd;   /* its mechanism, with virt */
	uint64_t ls_cfg_ssbd;      /* LS_CFG's SSBD bit, with SPEC_SSBD_LS_CFG */
};

/* The host's controls: amd for an AMD (or Hygon) CPU of that family;
 * l7d and x8b its CPUID 7.0 EDX and 0x80000008 EBX (0 where the leaf is
 * absent); ls_cfg whether LS_CFG can be read. */
void specctrl_probe(struct specctrl_host *h, bool amd, uint32_t family, uint32_t l7d,
		    uint32_t x8b, bool ls_cfg);

/* The guest's view of CPUID 7.0 EDX (leaf 7) and 0x80000008 EBX: the
 * host's speculation-control bits where the host has the MSR bit they
 * promise, VIRT_SSBD where VIRT_SPEC_CTRL is offered; CORE_CAPABILITIES
 * hidden (not provided). */
uint32_t specctrl_l7d(const struct specctrl_host *h, uint32_t l7d);
uint32_t specctrl_x8b(const struct specctrl_host *h, uint32_t x8b);

/* Whether a guest write of val is valid (else #GP). */
bool specctrl_spec_ctrl_ok(const struct specctrl_host *h, uint64_t val);
bool specctrl_pred_cmd_ok(const struct specctrl_host *h, uint64_t val);
bool specctrl_virt_ok(const struct specctrl_host *h, uint64_t val);
bool specctrl_flush_ok(const struct specctrl_host *h, uint64_t val);

/* The guest's IA32_ARCH_CAPABILITIES from the host's: the bits that say
 * the CPU is not affected by an issue or how it behaves (RDCL_NO,
 * IBRS_ALL, RSBA, SKIP_L1DFL_VMENTRY, SSB_NO, MDS_NO, IF_PSCHANGE_MC_NO,
 * TAA_NO, SBDR_SSDP_NO, FBSDP_NO, PSDP_NO, FB_CLEAR, RRSBA, BHI_NO,
 * PBRSB_NO, GDS_NO, RFDS_NO, RFDS_CLEAR); those that promise an MSR or a
 * control Vatra does not provide (TSX_CTRL, MISC_PACKAGE_CTRLS,
 * ENERGY_FILTERING_CTL, DOITM, FB_CLEAR_CTRL, XAPIC_DISABLE_STATUS,
 * OVERCLOCKING_STATUS, GDS_CTRL, the UMONITOR bits) and reserved bits
 * cleared (SDM Vol. 4, Table 2-2, 10AH). */
uint64_t specctrl_arch_cap(uint64_t host);

/* The values of the registers behind the controls. */
struct specctrl_regs {
	uint64_t spec_ctrl;        /* with h->spec_ctrl */
	uint64_t virt_spec_ctrl;   /* with SPEC_SSBD_VIRT_SPEC_CTRL */
	uint64_t ls_cfg;           /* with SPEC_SSBD_LS_CFG */
};

/* What the registers hold while a guest with SPEC_CTRL g_spec and
 * VIRT_SPEC_CTRL g_virt runs, given the host's own values: the guest's
 * SPEC_CTRL exactly, and its VIRT_SPEC_CTRL.SSBD mapped onto the host's
 * mechanism (the rest of LS_CFG is the host's). */
void specctrl_guest_regs(const struct specctrl_host *h, const struct specctrl_regs *host,
			 uint64_t g_spec, uint64_t g_virt, struct specctrl_regs *out);

#endif
