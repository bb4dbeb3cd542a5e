/* The guest's memory type range registers (Intel SDM Vol. 3A, 13.11;
 * AMD APM Vol. 2, 7.7), kept per vCPU as pure state: which MSRs exist,
 * what a write must look like to be accepted (anything else is #GP), the
 * state firmware leaves, and the memory type the registers give an
 * address. No hardware access: host-unit-tested.
 *
 * What Vatra offers (IA32_MTRRCAP): 8 variable ranges, the fixed ranges
 * and the write-combining type; no SMRR. The registers only describe
 * memory types to the guest: guest RAM stays write-back in the nested
 * page tables whatever they say (a device's registers are emulated, so
 * caching never reaches them). */
#ifndef VATRA_VMM_MTRR_H
#define VATRA_VMM_MTRR_H

#include <stdint.h>
#include <stdbool.h>

#define MTRR_VCNT       8
#define MTRR_NFIXED     11

#define MSR_MTRRCAP        0xfe
#define MSR_MTRR_PHYSBASE0 0x200    /* PHYSBASEn 0x200 + 2n, PHYSMASKn 0x201 + 2n */
#define MSR_MTRR_FIX64K    0x250
#define MSR_MTRR_FIX16K_80 0x258
#define MSR_MTRR_FIX16K_A0 0x259
#define MSR_MTRR_FIX4K_C0  0x268    /* through 0x26f (F8000) */
#define MSR_MTRR_DEF_TYPE  0x2ff

/* Memory types (SDM Table 13-8); 2, 3 and 7-255 are reserved. */
#define MTRR_UC 0
#define MTRR_WC 1
#define MTRR_WT 4
#define MTRR_WP 5
#define MTRR_WB 6

#define MTRR_CAP_FIX     (1u << 8)
#define MTRR_CAP_WC      (1u << 10)
#define MTRR_DEF_FE      (1u << 10)
#define MTRR_DEF_E       (1u << 11)
#define MTRR_MASK_VALID  (1u << 11)

/* What an address's type lookup returns when two variable ranges give
 * it types the SDM leaves undefined (13.11.4.1): reported as such. */
#define MTRR_UNDEFINED 0xff

struct mtrr {
	uint64_t def_type;
	uint64_t fixed[MTRR_NFIXED];    /* FIX64K_00000, FIX16K_80000, _A0000, FIX4K_C0000.._F8000 */
	uint64_t base[MTRR_VCNT], mask[MTRR_VCNT];
};

/* A range for the firmware state: [base, base + size), size a power of
 * two of at least 4 KiB and base a multiple of it. */
struct mtrr_range {
	uint64_t base, size;
	uint8_t type;
};

/* The IA32_MTRRCAP value: VCNT 8, FIX, WC. */
uint64_t mtrr_cap(void);
/* Whether msr is one of the MTRR MSRs Vatra offers (MTRRCAP, DEF_TYPE,
 * the 11 fixed ranges, PHYSBASE/PHYSMASK 0..VCNT-1). */
bool mtrr_is_msr(uint32_t msr);
/* Power-up: every register 0 (E clear, so all memory is UC). */
void mtrr_reset(struct mtrr *m);
/* What firmware leaves for the OS: MTRRs and fixed ranges enabled, the
 * default type and the fixed ranges write-back, and variable range i
 * giving ranges[i] its type. 0, or -EINVAL (nothing changed) for more
 * than MTRR_VCNT ranges, a range that is not a naturally aligned power
 * of two, that reaches past maxphy bits, or an invalid type. */
int mtrr_firmware(struct mtrr *m, unsigned maxphy, const struct mtrr_range *ranges, unsigned n);
/* RDMSR: 0 with *val, or -ENOENT for an MSR that is not an MTRR. */
int mtrr_read(const struct mtrr *m, uint32_t msr, uint64_t *val);
/* WRMSR with the guest's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]): 0, or
 * -ENOENT for an MSR that is not an MTRR, -EINVAL (#GP, nothing changed)
 * for MTRRCAP (read-only), a reserved bit, an address bit at or above
 * maxphy, or an invalid memory type. */
int mtrr_write(struct mtrr *m, uint32_t msr, uint64_t val, unsigned maxphy);
/* The memory type the MTRRs give physical address pa (13.11.4.1): UC
 * with E clear; the fixed range below 1 MiB with FE set; else the
 * matching variable ranges (UC wins, WT over WB, one type as it is,
 * other mixes MTRR_UNDEFINED); else the default type. */
uint8_t mtrr_type(const struct mtrr *m, uint64_t pa, unsigned maxphy);

#endif
