/* ACPI fixed hardware for a PC partition: the power management timer
 * (PM_TMR), a PM1a event and control block, and the PCI reset control
 * register at 0xCF9. The ports are the ones the VMM's generated FADT names
 * (PM1a_EVT_BLK 0x600, PM1a_CNT_BLK 0x604, PM_TMR_BLK 0x608, RESET_REG
 * 0xCF9); there is no PM1b block, no SMI_CMD, and so no legacy mode: the
 * block is always in ACPI mode (SCI_EN reads 1).
 *
 * What the guest asks of the machine comes back as the return value of
 * vpm_write: power off when it enters S5 (SLP_TYP 5, the \_S5 package
 * the generated DSDT declares), reset when it writes the reset register.
 *
 * Not modelled: sleeping states other than S5 (S1-S4 writes are ignored,
 * the DSDT declares none), the bus master, global lock (GBL), sleep button
 * and RTC wake events, general-purpose events (no GPE blocks). */
#ifndef VATRA_VMM_DEV_VPM_H
#define VATRA_VMM_DEV_VPM_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/devenv.h"

#define VPM_PM1A_EVT    0x600      /* 4 bytes: PM1_STS, PM1_EN */
#define VPM_PM1A_CNT    0x604      /* 2 bytes: PM1_CNT */
#define VPM_PM_TMR      0x608      /* 4 bytes, read-only */
#define VPM_RESET_PORT  0xcf9      /* 1 byte */
#define VPM_RESET_VALUE 0x06       /* what the FADT's RESET_VALUE says */
#define VPM_SLP_TYP_S5  5          /* the \_S5 value in the DSDT */
#define VPM_PMTMR_HZ    3579545u

/* PM1 status and enable bits (ACPI 6.4, 4.8.3.1.1 and 4.8.3.1.2). */
#define VPM_TMR_STS     0x0001
#define VPM_PWRBTN_STS  0x0100
#define VPM_WAK_STS     0x8000

enum vpm_action { VPM_NONE, VPM_POWEROFF, VPM_RESET };

/* The PM timer: free-running at 3.579545 MHz from guest time 0, 24 bits
 * wide, or 32 when the FADT sets TMR_VAL_EXT (ACPI 6.4, 4.8.3.3). */
struct vpmtimer {
	bool ext32;
	uint64_t base;         /* ticks at guest time 0: matches a real counter
				* the guest reads directly (0 otherwise) */
};

void vpmtimer_init(struct vpmtimer *t, bool ext32);
uint32_t vpmtimer_read(const struct vpmtimer *t, uint64_t now);

struct vpm {
	struct vpmtimer tmr;
	uint16_t sts;          /* PM1_STS */
	uint16_t en;           /* PM1_EN */
	uint16_t cnt;          /* PM1_CNT as readable (SLP_EN reads 0) */
	uint8_t rst;           /* 0xCF9 bits kept */
	unsigned sci;          /* the SCI's interrupt line (FADT SCI_INT) */
	bool sci_level;
	uint64_t seen;         /* guest ns through which TMR_STS is counted */
	uint64_t count;        /* the counter at seen, carried past its width */
	/* The machine's counter, when guests read it directly: TMR_STS then
	 * follows what they read, not guest time (the two drift apart by
	 * the error of the TSC's calibration). NULL: guest time. */
	uint32_t (*hw_read)(void *ctx);
	void *hw_ctx;
	const struct dev_env *env;
};

void vpm_init(struct vpm *pm, const struct dev_env *env, unsigned sci_irq,
	      bool tmr_ext32);
/* From now on TMR_STS follows the counter hw_read returns (24 bits, or
 * 32 with tmr_ext32), which guests read in place of the virtual one. */
void vpm_follow_hw(struct vpm *pm, uint32_t (*hw_read)(void *ctx), void *ctx);
/* Access of size 1, 2 or 4 at a port in 0x600-0x60B or 0xCF9, byte by
 * byte (other bytes read 0xff, writes to them are ignored). */
uint32_t vpm_read(struct vpm *pm, uint16_t port, unsigned size);
/* A read of size bytes at port within PM_TMR while the timer follows
 * guest time (no hw_read), from constant facts and now alone: true with
 * *val as vpm_read would return it, and nothing in the model changes
 * (TMR_STS is counted up to date by the next vpm_read or vpm_update,
 * over the whole interval, as this read would have); false for anything
 * else (vpm_timer_peekable says which without reading). Needs no lock. */
bool vpm_timer_peekable(const struct vpm *pm, uint16_t port, unsigned size);
bool vpm_timer_peek(const struct vpm *pm, uint16_t port, unsigned size, uint64_t now,
		    uint32_t *val);
enum vpm_action vpm_write(struct vpm *pm, uint16_t port, unsigned size, uint32_t v);
/* The operator pressed the power button: PWRBTN_STS, an SCI if enabled
 * (the guest then shuts down and enters S5). */
void vpm_power_button(struct vpm *pm);
/* When TMR_STS would next raise the SCI (timer MSB toggle with TMR_EN),
 * or DEV_NO_DEADLINE. */
uint64_t vpm_next_deadline(const struct vpm *pm, uint64_t now);
void vpm_update(struct vpm *pm, uint64_t now);

#endif
