/* The PC's two cascaded 8259A interrupt controllers (master at 0x20/0x21,
 * slave at 0xA0/0xA1 on the master's IR2) and the PIIX edge/level control
 * registers (ELCR) at 0x4D0/0x4D1. Pure state machine: ISA interrupt
 * sources set input levels with vpic_set_irq, the VMM asks whether INTR is
 * asserted (vpic_has_output, vpic_pending) and runs the
 * interrupt-acknowledge cycle (vpic_ack) when it injects the vector.
 *
 * Not modelled: MCS-80/85 mode (ICW1 ADI, ICW4 uPM = 0), buffered mode,
 * special fully nested mode (ICW4 SFNM), a slave on any input but IR2,
 * and the datasheet's rule that an edge request which falls before INTA
 * becomes a default IR7 (an edge, once latched, stays latched here, so
 * sources may pulse their line). */
#ifndef VATRA_VMM_DEV_VPIC_H
#define VATRA_VMM_DEV_VPIC_H

#include <stdint.h>
#include <stdbool.h>
#include "vmm/dev/devenv.h"

#define VPIC_MASTER_CMD  0x20
#define VPIC_MASTER_DATA 0x21
#define VPIC_SLAVE_CMD   0xa0
#define VPIC_SLAVE_DATA  0xa1
#define VPIC_ELCR1       0x4d0
#define VPIC_ELCR2       0x4d1

/* The master's input that the slave's INT output drives. */
#define VPIC_CASCADE_IRQ 2

struct vpic_chip {
	uint8_t irr;          /* interrupt request register */
	uint8_t isr;          /* in-service register */
	uint8_t imr;          /* interrupt mask register (OCW1) */
	uint8_t lines;        /* current level of each IR input */
	uint8_t elcr;         /* inputs the ELCR makes level-triggered */
	uint8_t elcr_mask;    /* ELCR bits that exist on this chip */
	uint8_t icw2;         /* vector of IR0 (bits 7:3 used) */
	uint8_t icw3;
	uint8_t init_step;    /* ICW expected next on the data port, 0 if none */
	uint8_t prio_add;     /* the input with the highest priority */
	bool need_icw4, single, ltim;
	bool aeoi, rotate_aeoi;
	bool read_isr, poll, special_mask;
};

struct vpic {
	struct vpic_chip chip[2];   /* [0] master, [1] slave */
	const struct dev_env *env;
};

/* The state firmware leaves: initialized with vectors 0x08 and 0x70, every
 * input masked except the cascade, all inputs edge-triggered. */
void vpic_init(struct vpic *p, const struct dev_env *env);
/* Byte access to 0x20, 0x21, 0xA0, 0xA1, 0x4D0 or 0x4D1; any other port
 * reads 0xff and ignores writes. */
uint8_t vpic_read(struct vpic *p, uint16_t port);
void vpic_write(struct vpic *p, uint16_t port, uint8_t v);
/* Sets the level of ISA input irq (0-15). IRQ2 is the cascade and takes no
 * outside source; it is ignored, as are numbers above 15. */
void vpic_set_irq(struct vpic *p, unsigned irq, bool level);
/* Whether the master's INT output (the CPU's INTR) is asserted now. */
bool vpic_has_output(const struct vpic *p);
/* The vector an interrupt acknowledge would return now, or -1 when INTR is
 * not asserted. Changes nothing. */
int vpic_pending(const struct vpic *p);
/* The interrupt-acknowledge cycle: returns the vector and moves the request
 * from IRR to ISR (not in auto-EOI mode). When the request went away after
 * INTR was sampled it returns the spurious vector of IR7 with no ISR bit
 * set; when the master latched a slave request that went away, the slave's
 * IR7 vector (IRQ15) with only the master's cascade bit in service, as the
 * hardware does. */
int vpic_ack(struct vpic *p);

#endif
