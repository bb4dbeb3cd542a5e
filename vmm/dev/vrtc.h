/* The PC's MC146818 real-time clock and CMOS NVRAM at 0x70 (index) and
 * 0x71 (data). Pure state machine over guest time: the time of day
 * advances with env->now_ns from a wall time given at init, the periodic,
 * alarm and update-ended interrupts raise IRQ8 through env->irq_line.
 *
 * IRQ8 is driven as the chip drives its IRQ pin: asserted while register
 * C's IRQF is set, deasserted when the guest reads register C (so a guest
 * that never reads C gets no further edges, as on the hardware).
 *
 * Approximations: the update cycle is instantaneous at the second
 * boundary (UIP is set for the 244 us before it); the day of week is
 * computed from the date rather than counted from what the guest wrote;
 * while the clock runs, time registers are regenerated in the current
 * data mode, so flipping DM or 24/12 converts them instead of leaving
 * the hardware's garbage; divider values other than 11x (reset) all run
 * the 32.768 kHz chain. Not modelled: daylight saving (DSE), the square
 * wave pin (SQWE), the second 128-byte bank (0x72/0x73). */
#ifndef VATRA_VMM_DEV_VRTC_H
#define VATRA_VMM_DEV_VRTC_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/devenv.h"

#define VRTC_PORT_INDEX 0x70
#define VRTC_PORT_DATA  0x71
#define VRTC_IRQ        8

/* Register and NVRAM offsets. */
#define VRTC_SECONDS    0x00
#define VRTC_SEC_ALARM  0x01
#define VRTC_MINUTES    0x02
#define VRTC_MIN_ALARM  0x03
#define VRTC_HOURS      0x04
#define VRTC_HOUR_ALARM 0x05
#define VRTC_WEEKDAY    0x06
#define VRTC_DAY        0x07
#define VRTC_MONTH      0x08
#define VRTC_YEAR       0x09
#define VRTC_REG_A      0x0a
#define VRTC_REG_B      0x0b
#define VRTC_REG_C      0x0c
#define VRTC_REG_D      0x0d
#define VRTC_SHUTDOWN   0x0f
#define VRTC_EQUIPMENT  0x14
#define VRTC_BASE_LO    0x15
#define VRTC_EXT_LO     0x17
#define VRTC_CHECKSUM   0x2e
#define VRTC_EXT2_LO    0x30
#define VRTC_CENTURY    0x32
#define VRTC_HIGH_LO    0x34

struct vrtc {
	uint8_t cmos[128];
	uint8_t index;
	bool irq;              /* level on IRQ8 */
	int64_t base_sec;      /* wall time (s since 1970) at phase */
	int64_t phase;         /* ns: a second boundary of the divider chain */
	uint64_t seen;         /* ns through which events were counted */
	const struct dev_env *env;
};

/* epoch_seconds_at_now0: the wall time (seconds since 1970-01-01 00:00,
 * the zone is the VMM's choice, Linux assumes UTC) when env->now_ns() was
 * 0. ram_bytes: guest RAM, for the PC's memory size bytes. The registers
 * are as firmware leaves them: A = 0x26 (32.768 kHz, 1024 Hz), B = 0x02
 * (BCD, 24-hour), no interrupt enabled. */
void vrtc_init(struct vrtc *r, const struct dev_env *env,
	       uint64_t epoch_seconds_at_now0, uint64_t ram_bytes);
/* Byte access to 0x70 and 0x71; other ports read 0xff. */
uint8_t vrtc_read(struct vrtc *r, uint16_t port);
void vrtc_write(struct vrtc *r, uint16_t port, uint8_t v);
/* Guest time (ns) at which IRQ8 would next be asserted; now if overdue;
 * DEV_NO_DEADLINE when no enabled source can assert it (none enabled, or
 * IRQF already set and waiting for a read of register C). */
uint64_t vrtc_next_deadline(const struct vrtc *r, uint64_t now);
/* Counts the periodic, update and alarm events up to now and sets IRQ8. */
void vrtc_update(struct vrtc *r, uint64_t now);

#endif
