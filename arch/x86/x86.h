/* Architectural constants in one place: control register bits, exception
 * vectors, EFER bits and MSR numbers. Pure header (no instructions): pure
 * modules and vmm/ use it too; cpu.h includes it. MSRs only one vendor's
 * virtualization extension has stay in vmcb.h / vmcs.h beside their users. */
#ifndef VATRA_ARCH_X86_X86_H
#define VATRA_ARCH_X86_X86_H

/* Control register bits (Intel SDM Vol. 3A, 2.5). */
#define CR0_PE   (1ULL << 0)
#define CR0_MP   (1ULL << 1)
#define CR0_ET   (1ULL << 4)
#define CR0_NE   (1ULL << 5)
#define CR0_WP   (1ULL << 16)
#define CR0_PG   (1ULL << 31)
#define CR4_PSE  (1ULL << 4)
#define CR4_PAE  (1ULL << 5)
#define CR4_PGE  (1ULL << 7)
#define CR4_LA57 (1ULL << 12)
#define CR4_VMXE (1ULL << 13)
#define CR4_OSXSAVE (1ULL << 18)
#define CR4_PKE  (1ULL << 22)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)

/* EFER bits (AMD APM Vol. 2, 3.1.7; Intel SDM Vol. 3A, 2.2.1). */
#define EFER_SCE   (1ULL << 0)
#define EFER_LME   (1ULL << 8)
#define EFER_LMA   (1ULL << 10)
#define EFER_NXE   (1ULL << 11)
#define EFER_SVME  (1ULL << 12)
#define EFER_FFXSR (1ULL << 14)

/* Exception vectors (Intel SDM Vol. 3A, 6.15, Table 6-1). */
#define X86_EXC_DE  0    /* divide error */
#define X86_EXC_DB  1    /* debug */
#define X86_EXC_NMI 2
#define X86_EXC_BP  3    /* breakpoint */
#define X86_EXC_OF  4    /* overflow */
#define X86_EXC_BR  5    /* bound range */
#define X86_EXC_UD  6    /* invalid opcode */
#define X86_EXC_NM  7    /* device not available */
#define X86_EXC_DF  8    /* double fault */
#define X86_EXC_TS  10   /* invalid TSS */
#define X86_EXC_NP  11   /* segment not present */
#define X86_EXC_SS  12   /* stack fault */
#define X86_EXC_GP  13   /* general protection */
#define X86_EXC_PF  14   /* page fault */
#define X86_EXC_MF  16   /* x87 error */
#define X86_EXC_AC  17   /* alignment check */
#define X86_EXC_MC  18   /* machine check */
#define X86_EXC_XM  19   /* SIMD floating point */
#define X86_EXC_VE  20   /* virtualization exception */
#define X86_EXC_CP  21   /* control protection */

/* MSR numbers (Intel SDM Vol. 4, Table 2-2; AMD APM Vol. 2, Appendix A). */
#define MSR_TSC             0x10
#define MSR_APIC_BASE       0x1b
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_UCODE_REV       0x8b
#define MSR_MTRRCAP         0xfe
#define MSR_SYSENTER_CS     0x174
#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176
#define MSR_MISC_ENABLE     0x1a0
#define MSR_PAT             0x277
#define MSR_VMX_BASIC       0x480
#define MSR_VMX_PINBASED    0x481
#define MSR_VMX_PROCBASED   0x482
#define MSR_VMX_EXIT        0x483
#define MSR_VMX_ENTRY       0x484
#define MSR_VMX_MISC        0x485
#define MSR_VMX_PROCBASED2  0x48b
#define MSR_VMX_EPT_VPID    0x48c
#define MSR_TSC_DEADLINE    0x6e0
#define MSR_X2APIC_FIRST    0x800
#define MSR_X2APIC_LAST     0x8ff
#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_SFMASK          0xc0000084
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_TSC_AUX         0xc0000103
#define MSR_AMD_NB_CFG      0xc001001f
#define MSR_VM_CR           0xc0010114  /* AMD APM Vol. 2, 15.30.1 */

#endif
