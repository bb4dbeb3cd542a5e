/* The PC's 8254 programmable interval timer at 0x40-0x43 and the system
 * control port B at 0x61 (channel 2's gate and output, which Linux uses to
 * calibrate the TSC). Pure state machine over guest time: the 1193182 Hz
 * input clock is derived from env->now_ns, channel 0's OUT drives IRQ0.
 *
 * All six modes, binary and BCD counting, LSB/MSB/LSB-then-MSB access, the
 * counter latch and read-back commands. Approximations: a count is loaded
 * on the clock edge at or before the write instead of the one after (at
 * most one 838 ns tick early); a count rewritten in mode 3 takes effect at
 * the end of the current period, not half-period; several IRQ0 edges that
 * fall between two vpit_update calls are delivered as one pulse (the 8259A
 * latches one edge anyway). Not modelled: the speaker (bit 1 of 0x61) and
 * the NMI status bits 6-7 of 0x61 (read 0). */
#ifndef VATRA_VMM_DEV_VPIT_H
#define VATRA_VMM_DEV_VPIT_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/devenv.h"

#define VPIT_HZ        1193182u    /* input clock, Hz */
#define VPIT_PORT_CH0  0x40
#define VPIT_PORT_CH2  0x42
#define VPIT_PORT_MODE 0x43
#define VPIT_PORT_61   0x61
#define VPIT_IRQ       0           /* ISA line channel 0 drives */

struct vpit_channel {
	/* Control word. */
	uint8_t mode_bits;     /* M2-M0 as written (6 and 7 alias 2 and 3) */
	uint8_t mode;          /* effective mode 0-5 */
	uint8_t rw;            /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	bool gate;
	/* The counting element, in 8254 input-clock ticks. */
	bool cr_valid;         /* a complete count was written since the mode */
	uint32_t cr_n;         /* that count, in clocks (0 means 65536/10000) */
	bool loaded;           /* CE holds a count */
	bool running;          /* CE advances: d counts ticks since start */
	uint32_t n;            /* count of CE's current cycle */
	uint64_t start;        /* tick at which d was 0 */
	uint64_t d_frozen;     /* d while not running */
	uint64_t reload_at;    /* modes 2/3: tick cr_n replaces n, or ~0 */
	uint16_t ce_hold;      /* CE while nothing is loaded */
	bool null_count;       /* CR written but not yet in CE */
	/* Access state. */
	uint8_t wr_lsb;
	bool wr_msb_next, rd_msb_next;
	uint16_t latch;
	uint8_t latched;       /* latched count bytes left to read: 0, 1 or 2 */
	bool status_latched;
	uint8_t status;
};

struct vpit {
	struct vpit_channel ch[3];
	uint8_t port61;        /* bits 0-3 as last written */
	uint64_t seen;         /* tick through which IRQ0 edges were delivered */
	uint64_t last_pulse;   /* tick of the last IRQ0 pulse, 0 = none yet */
	const struct dev_env *env;
};

/* The state firmware leaves: every channel in mode 3 with count 65536
 * (18.2 Hz), channel 2's gate low. */
void vpit_init(struct vpit *p, const struct dev_env *env);
/* Byte access to 0x40-0x43 and 0x61; other ports read 0xff. */
uint8_t vpit_read(struct vpit *p, uint16_t port);
void vpit_write(struct vpit *p, uint16_t port, uint8_t v);
/* Guest time (ns) of the next IRQ0 edge not yet delivered, but not
 * sooner than 100 us after the last pulse (faster edges merge); now
 * when one is overdue; DEV_NO_DEADLINE when channel 0 will raise no edge
 * by itself. */
uint64_t vpit_next_deadline(const struct vpit *p, uint64_t now);
/* Delivers IRQ0 (one pulse) if channel 0's OUT rose since the last update. */
void vpit_update(struct vpit *p, uint64_t now);

#endif
