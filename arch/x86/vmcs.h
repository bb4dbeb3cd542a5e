/* VMCS field encodings (Intel SDM Vol. 3C, Appendix B) and the control,
 * exit-reason and event bits vmx.c uses. Only arch/x86/vmx.c includes it. */
#ifndef VATRA_ARCH_X86_VMCS_H
#define VATRA_ARCH_X86_VMCS_H

/* 16-bit fields */
#define VMCS_VPID                0x0000
#define GUEST_ES_SEL             0x0800   /* ES CS SS DS FS GS LDTR TR: +2 each */
#define GUEST_TR_SEL             0x080e
#define HOST_ES_SEL              0x0c00
#define HOST_CS_SEL              0x0c02
#define HOST_SS_SEL              0x0c04
#define HOST_DS_SEL              0x0c06
#define HOST_FS_SEL              0x0c08
#define HOST_GS_SEL              0x0c0a
#define HOST_TR_SEL              0x0c0c
/* 64-bit fields */
#define IO_BITMAP_A              0x2000
#define IO_BITMAP_B              0x2002
#define MSR_BITMAP               0x2004
#define TSC_OFFSET               0x2010
#define EPT_POINTER              0x201a
#define GUEST_PHYS_ADDR          0x2400
#define VMCS_LINK_POINTER        0x2800
#define GUEST_DEBUGCTL           0x2802
#define GUEST_PAT                0x2804
#define GUEST_EFER               0x2806
#define HOST_PAT                 0x2c00
#define HOST_EFER                0x2c02
/* 32-bit fields */
#define PIN_CONTROLS             0x4000
#define PROC_CONTROLS            0x4002
#define EXCEPTION_BITMAP         0x4004
#define CR3_TARGET_COUNT         0x400a
#define EXIT_CONTROLS            0x400c
#define EXIT_MSR_STORE_COUNT     0x400e
#define EXIT_MSR_LOAD_COUNT      0x4010
#define ENTRY_CONTROLS           0x4012
#define ENTRY_MSR_LOAD_COUNT     0x4014
#define ENTRY_INTR_INFO          0x4016
#define ENTRY_EXC_ERROR          0x4018
#define ENTRY_INSN_LEN           0x401a
#define PROC_CONTROLS2           0x401e
#define VM_INSN_ERROR            0x4400
#define EXIT_REASON              0x4402
#define EXIT_INTR_INFO           0x4404
#define EXIT_INTR_ERROR          0x4406
#define IDT_VECTORING_INFO       0x4408
#define IDT_VECTORING_ERROR      0x440a
#define EXIT_INSN_LEN            0x440c
#define EXIT_INSN_INFO           0x440e
#define GUEST_ES_LIMIT           0x4800   /* ... +2 each, GDTR 0x4810, IDTR 0x4812 */
#define GUEST_GDTR_LIMIT         0x4810
#define GUEST_IDTR_LIMIT         0x4812
#define GUEST_ES_AR              0x4814   /* ... +2 each */
#define GUEST_INTERRUPTIBILITY   0x4824
#define GUEST_ACTIVITY           0x4826
#define GUEST_SYSENTER_CS        0x482a
#define PREEMPT_TIMER_VALUE      0x482e
#define HOST_SYSENTER_CS         0x4c00
/* natural-width fields */
#define CR0_MASK                 0x6000
#define CR4_MASK                 0x6002
#define CR0_SHADOW               0x6004
#define CR4_SHADOW               0x6006
#define EXIT_QUALIFICATION       0x6400
#define GUEST_LINEAR_ADDR        0x640a
#define GUEST_CR0                0x6800
#define GUEST_CR3                0x6802
#define GUEST_CR4                0x6804
#define GUEST_ES_BASE            0x6806   /* ... +2 each, GDTR 0x6816, IDTR 0x6818 */
#define GUEST_GDTR_BASE          0x6816
#define GUEST_IDTR_BASE          0x6818
#define GUEST_DR7                0x681a
#define GUEST_RSP                0x681c
#define GUEST_RIP                0x681e
#define GUEST_RFLAGS             0x6820
#define GUEST_PENDING_DBG        0x6822
#define GUEST_SYSENTER_ESP       0x6824
#define GUEST_SYSENTER_EIP       0x6826
#define HOST_CR0                 0x6c00
#define HOST_CR3                 0x6c02
#define HOST_CR4                 0x6c04
#define HOST_FS_BASE             0x6c06
#define HOST_GS_BASE             0x6c08
#define HOST_TR_BASE             0x6c0a
#define HOST_GDTR_BASE           0x6c0c
#define HOST_IDTR_BASE           0x6c0e
#define HOST_SYSENTER_ESP        0x6c10
#define HOST_SYSENTER_EIP        0x6c12
#define HOST_RSP                 0x6c14
#define HOST_RIP                 0x6c16

/* Pin-based controls (24.6.1) */
#define PIN_EXT_INTR             (1u << 0)
#define PIN_NMI                  (1u << 3)
#define PIN_VIRTUAL_NMI          (1u << 5)
#define PIN_PREEMPT_TIMER        (1u << 6)
/* Primary processor-based controls (24.6.2) */
#define PROC_INTR_WINDOW         (1u << 2)
#define PROC_TSC_OFFSET          (1u << 3)
#define PROC_HLT                 (1u << 7)
#define PROC_NMI_WINDOW          (1u << 22)
#define PROC_MWAIT               (1u << 10)
#define PROC_RDPMC               (1u << 11)
#define PROC_CR3_LOAD            (1u << 15)
#define PROC_CR3_STORE           (1u << 16)
#define PROC_CR8_LOAD            (1u << 19)
#define PROC_CR8_STORE           (1u << 20)
#define PROC_MOV_DR              (1u << 23)
#define PROC_IO_UNCOND           (1u << 24)
#define PROC_IO_BITMAPS          (1u << 25)
#define PROC_MSR_BITMAP          (1u << 28)
#define PROC_MONITOR             (1u << 29)
#define PROC_SECONDARY           (1u << 31)
/* Secondary processor-based controls */
#define PROC2_EPT                (1u << 1)
#define PROC2_RDTSCP             (1u << 3)
#define PROC2_VPID               (1u << 5)
#define PROC2_WBINVD             (1u << 6)
#define PROC2_UNRESTRICTED       (1u << 7)
#define PROC2_INVPCID            (1u << 12)
/* VM-exit controls (24.7.1) */
#define EXIT_SAVE_DEBUG          (1u << 2)
#define EXIT_HOST_64             (1u << 9)
#define EXIT_SAVE_PREEMPT        (1u << 22)
#define EXIT_SAVE_PAT            (1u << 18)
#define EXIT_LOAD_PAT            (1u << 19)
#define EXIT_SAVE_EFER           (1u << 20)
#define EXIT_LOAD_EFER           (1u << 21)
/* VM-entry controls (24.8.1) */
#define ENTRY_LOAD_DEBUG         (1u << 2)
#define ENTRY_IA32E              (1u << 9)
#define ENTRY_LOAD_PAT           (1u << 14)
#define ENTRY_LOAD_EFER          (1u << 15)

/* Basic exit reasons (Appendix C) */
#define VMX_EXIT_EXCEPTION       0
#define VMX_EXIT_EXT_INTR        1
#define VMX_EXIT_TRIPLE_FAULT    2
#define VMX_EXIT_INIT            3
#define VMX_EXIT_SIPI            4
#define VMX_EXIT_INTR_WINDOW     7
#define VMX_EXIT_NMI_WINDOW      8
#define VMX_EXIT_TASK_SWITCH     9
#define VMX_EXIT_CPUID           10
#define VMX_EXIT_GETSEC          11
#define VMX_EXIT_HLT             12
#define VMX_EXIT_INVD            13
#define VMX_EXIT_INVLPG          14
#define VMX_EXIT_RDPMC           15
#define VMX_EXIT_RDTSC           16
#define VMX_EXIT_VMCALL          18
#define VMX_EXIT_VMCLEAR         19
#define VMX_EXIT_VMXON           27
#define VMX_EXIT_CR_ACCESS       28
#define VMX_EXIT_DR_ACCESS       29
#define VMX_EXIT_IO              30
#define VMX_EXIT_RDMSR           31
#define VMX_EXIT_WRMSR           32
#define VMX_EXIT_BAD_GUEST       33
#define VMX_EXIT_BAD_MSR_LOAD    34
#define VMX_EXIT_MWAIT           36
#define VMX_EXIT_MONITOR         39
#define VMX_EXIT_PAUSE           40
#define VMX_EXIT_MCE_ENTRY       41
#define VMX_EXIT_EPT_VIOLATION   48
#define VMX_EXIT_EPT_MISCONFIG   49
#define VMX_EXIT_INVEPT          50
#define VMX_EXIT_RDTSCP          51
#define VMX_EXIT_PREEMPT_TIMER   52
#define VMX_EXIT_INVVPID         53
#define VMX_EXIT_WBINVD          54
#define VMX_EXIT_XSETBV          55
#define VMX_EXIT_RDRAND          57
#define VMX_EXIT_INVPCID         58
#define VMX_EXIT_VMFUNC          59
#define VMX_EXIT_ENTRY_FAIL      (1u << 31)

/* Interruption information (24.8.3, 24.9.2) */
#define INTR_VALID               (1u << 31)
#define INTR_ERR                 (1u << 11)
#define INTR_TYPE_EXT            (0u << 8)
#define INTR_TYPE_NMI            (2u << 8)
#define INTR_TYPE_HW_EXC         (3u << 8)
#define INTR_TYPE_SW_INT         (4u << 8)
#define INTR_TYPE_SW_EXC         (6u << 8)

#define MSR_VMX_CR0_FIXED0       0x486
#define MSR_VMX_CR0_FIXED1       0x487
#define MSR_VMX_CR4_FIXED0       0x488
#define MSR_VMX_CR4_FIXED1       0x489
#define MSR_VMX_TRUE_PINBASED    0x48d
#define MSR_VMX_TRUE_PROCBASED   0x48e
#define MSR_VMX_TRUE_EXIT        0x48f
#define MSR_VMX_TRUE_ENTRY       0x490

#endif
