/* The AMD-V virtual machine control block: layout only (AMD APM Vol. 2,
 * Appendix B, "Layout of VMCB"). Only arch/x86/svm.c includes this. */
#ifndef VATRA_ARCH_X86_VMCB_H
#define VATRA_ARCH_X86_VMCB_H

#include <stdint.h>
#include <stddef.h>

struct vmcb_seg {
	uint16_t sel;
	uint16_t attr;      /* descriptor bits 40-47 in 0-7, 52-55 in 8-11 */
	uint32_t limit;
	uint64_t base;
} __attribute__((packed));

struct vmcb_control {
	uint32_t cr_intercepts;        /* 0x000: reads 0-15, writes 16-31 */
	uint32_t dr_intercepts;        /* 0x004 */
	uint32_t exc_intercepts;       /* 0x008 */
	uint32_t intercepts1;          /* 0x00c */
	uint32_t intercepts2;          /* 0x010 */
	uint32_t intercepts3;          /* 0x014 */
	uint8_t rsvd0[0x3c - 0x18];
	uint16_t pause_thresh;         /* 0x03c */
	uint16_t pause_count;          /* 0x03e */
	uint64_t iopm_pa;              /* 0x040 */
	uint64_t msrpm_pa;             /* 0x048 */
	uint64_t tsc_offset;           /* 0x050 */
	uint32_t asid;                 /* 0x058 */
	uint8_t tlb_control;           /* 0x05c */
	uint8_t rsvd1[3];
	uint64_t int_ctl;              /* 0x060: V_TPR, V_IRQ, ..., V_INTR_VECTOR */
	uint64_t int_state;            /* 0x068: bit 0 interrupt shadow */
	uint64_t exitcode;             /* 0x070 */
	uint64_t exitinfo1;            /* 0x078 */
	uint64_t exitinfo2;            /* 0x080 */
	uint64_t exitintinfo;          /* 0x088 */
	uint64_t np_enable;            /* 0x090 */
	uint64_t avic_apic_bar;        /* 0x098 */
	uint64_t ghcb_pa;              /* 0x0a0 */
	uint64_t eventinj;             /* 0x0a8 */
	uint64_t n_cr3;                /* 0x0b0 */
	uint64_t lbr_virt;             /* 0x0b8 */
	uint32_t clean;                /* 0x0c0 */
	uint32_t rsvd2;
	uint64_t next_rip;             /* 0x0c8 */
	uint8_t insn_len;              /* 0x0d0 */
	uint8_t insn_bytes[15];        /* 0x0d1 */
	uint8_t rsvd3[0x400 - 0xe0];
} __attribute__((packed));

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;  /* 0x400 */
	uint8_t rsvd0[0xcb - 0xa0];
	uint8_t cpl;                   /* 0x4cb */
	uint32_t rsvd1;
	uint64_t efer;                 /* 0x4d0 */
	uint8_t rsvd2[0x148 - 0xd8];
	uint64_t cr4;                  /* 0x548 */
	uint64_t cr3;
	uint64_t cr0;
	uint64_t dr7;
	uint64_t dr6;
	uint64_t rflags;
	uint64_t rip;                  /* 0x578 */
	uint8_t rsvd3[0x1d8 - 0x180];
	uint64_t rsp;                  /* 0x5d8 */
	uint8_t rsvd4[0x1f8 - 0x1e0];
	uint64_t rax;                  /* 0x5f8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t cr2;                  /* 0x640 */
	uint8_t rsvd5[0x268 - 0x248];
	uint64_t g_pat;                /* 0x668 */
	uint8_t rsvd6[0xc00 - 0x270];
} __attribute__((packed));

struct vmcb {
	struct vmcb_control c;
	struct vmcb_save s;
} __attribute__((packed));

_Static_assert(offsetof(struct vmcb, c.iopm_pa) == 0x40, "VMCB layout");
_Static_assert(offsetof(struct vmcb, c.eventinj) == 0xa8, "VMCB layout");
_Static_assert(offsetof(struct vmcb, c.next_rip) == 0xc8, "VMCB layout");
_Static_assert(offsetof(struct vmcb, s.cpl) == 0x4cb, "VMCB layout");
_Static_assert(offsetof(struct vmcb, s.efer) == 0x4d0, "VMCB layout");
_Static_assert(offsetof(struct vmcb, s.cr4) == 0x548, "VMCB layout");
_Static_assert(offsetof(struct vmcb, s.rip) == 0x578, "VMCB layout");
_Static_assert(offsetof(struct vmcb, s.rsp) == 0x5d8, "VMCB layout");
_Static_assert(offsetof(struct vmcb, s.rax) == 0x5f8, "VMCB layout");
_Static_assert(offsetof(struct vmcb, s.cr2) == 0x640, "VMCB layout");
_Static_assert(offsetof(struct vmcb, s.g_pat) == 0x668, "VMCB layout");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

/* Intercept bits (AMD APM Vol. 2, 15.9-15.13; Appendix B). */
#define SVM_I1_INTR      (1u << 0)
#define SVM_I1_NMI       (1u << 1)
#define SVM_I1_SMI       (1u << 2)
#define SVM_I1_INIT      (1u << 3)
#define SVM_I1_VINTR     (1u << 4)
#define SVM_I1_RDPMC     (1u << 15)
#define SVM_I1_CPUID     (1u << 18)
#define SVM_I1_IRET      (1u << 20)
#define SVM_I1_INVD      (1u << 22)
#define SVM_I1_HLT       (1u << 24)
#define SVM_I1_INVLPGA   (1u << 26)
#define SVM_I1_IOIO      (1u << 27)
#define SVM_I1_MSR       (1u << 28)
#define SVM_I1_TASKSW    (1u << 29)
#define SVM_I1_SHUTDOWN  (1u << 31)
#define SVM_I2_VMRUN     (1u << 0)
#define SVM_I2_VMMCALL   (1u << 1)
#define SVM_I2_VMLOAD    (1u << 2)
#define SVM_I2_VMSAVE    (1u << 3)
#define SVM_I2_STGI      (1u << 4)
#define SVM_I2_CLGI      (1u << 5)
#define SVM_I2_SKINIT    (1u << 6)
#define SVM_I2_RDTSCP    (1u << 7)
#define SVM_I2_ICEBP     (1u << 8)
#define SVM_I2_WBINVD    (1u << 9)
#define SVM_I2_MONITOR   (1u << 10)
#define SVM_I2_MWAIT     (1u << 11)
#define SVM_I2_MWAIT_C   (1u << 12)
#define SVM_I2_XSETBV    (1u << 13)

/* Exit codes (Appendix C). */
#define SVM_EXIT_WRITE_CR0  0x10
#define SVM_EXIT_WRITE_CR4  0x14
#define SVM_EXIT_WRITE_CR8  0x18
#define SVM_EXIT_READ_DR0   0x20
#define SVM_EXIT_WRITE_DR0  0x30
#define SVM_EXIT_EXCP0      0x40
#define SVM_EXIT_INTR       0x60
#define SVM_EXIT_NMI        0x61
#define SVM_EXIT_SMI        0x62
#define SVM_EXIT_INIT       0x63
#define SVM_EXIT_VINTR      0x64
#define SVM_EXIT_RDPMC      0x6f
#define SVM_EXIT_CPUID      0x72
#define SVM_EXIT_IRET       0x74
#define SVM_EXIT_INVD       0x76
#define SVM_EXIT_HLT        0x78
#define SVM_EXIT_INVLPGA    0x7a
#define SVM_EXIT_IOIO       0x7b
#define SVM_EXIT_MSR        0x7c
#define SVM_EXIT_TASKSW     0x7d
#define SVM_EXIT_SHUTDOWN   0x7f
#define SVM_EXIT_VMRUN      0x80
#define SVM_EXIT_VMMCALL    0x81
#define SVM_EXIT_VMLOAD     0x82
#define SVM_EXIT_VMSAVE     0x83
#define SVM_EXIT_STGI       0x84
#define SVM_EXIT_CLGI       0x85
#define SVM_EXIT_SKINIT     0x86
#define SVM_EXIT_RDTSCP     0x87
#define SVM_EXIT_ICEBP      0x88
#define SVM_EXIT_WBINVD     0x89
#define SVM_EXIT_MONITOR    0x8a
#define SVM_EXIT_MWAIT      0x8b
#define SVM_EXIT_MWAIT_C    0x8c
#define SVM_EXIT_XSETBV     0x8d
#define SVM_EXIT_NPF        0x400
/* EXITCODE is 64 bits and VMEXIT_INVALID is -1 in all of them, but
 * every code fits in the low 32 and emulators store the 32-bit -1:
 * compare the low half only. */
#define SVM_EXIT_INVALID    0xffffffffu

/* EVENTINJ / EXITINTINFO (15.20). */
#define SVM_EVT_VALID   (1ULL << 31)
#define SVM_EVT_ERR     (1ULL << 11)
#define SVM_EVT_INTR    (0ULL << 8)
#define SVM_EVT_NMI     (2ULL << 8)
#define SVM_EVT_EXC     (3ULL << 8)
#define SVM_EVT_SOFT    (4ULL << 8)

/* int_ctl (15.21). */
#define SVM_V_IRQ           (1ULL << 8)
#define SVM_V_INTR_PRIO(p)  ((uint64_t)(p) << 16)
#define SVM_V_IGN_TPR       (1ULL << 20)
#define SVM_V_INTR_MASKING  (1ULL << 24)

#define MSR_VM_HSAVE_PA 0xc0010117

#endif
