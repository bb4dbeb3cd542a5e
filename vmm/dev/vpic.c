/* 8259A programmable interrupt controller pair (Intel 8259A datasheet,
 * "Programming the 8259A") and the PIIX ELCR (Intel 82371AB PIIX4
 * datasheet, ELCR1/ELCR2). */
#include "vmm/dev/vpic.h"
#include "lib/string.h"

#define ICW1_IC4   0x01
#define ICW1_SNGL  0x02
#define ICW1_LTIM  0x08
#define ICW1_SEL   0x10    /* A0 = 0, D4 = 1: ICW1 */
#define OCW3_SEL   0x08    /* A0 = 0, D4:D3 = 01: OCW3 */
#define OCW3_RIS   0x01
#define OCW3_RR    0x02
#define OCW3_P     0x04
#define OCW3_SMM   0x20
#define OCW3_ESMM  0x40
#define ICW4_AEOI  0x02

/* OCW2 R, SL, EOI (bits 7:5). */
enum {
	OCW2_ROT_AEOI_CLEAR = 0, OCW2_EOI = 1, OCW2_NOP = 2, OCW2_SEOI = 3,
	OCW2_ROT_AEOI_SET = 4, OCW2_ROT_EOI = 5, OCW2_SET_PRIO = 6,
	OCW2_ROT_SEOI = 7,
};

/* The PIIX ties IRQ0, IRQ1, IRQ2, IRQ8 and IRQ13 to edge mode: their ELCR
 * bits are reserved and read 0 (PIIX4 datasheet, ELCR1/ELCR2). */
#define ELCR1_MASK 0xf8
#define ELCR2_MASK 0xde

static uint8_t vpic_level_mask(const struct vpic_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

/* Priority 0 (highest) to 7 of the highest-priority bit of mask, 8 if none.
 * prio_add rotates: it is the input that currently has priority 0. */
static unsigned vpic_priority(const struct vpic_chip *c, uint8_t mask)
{
	for (unsigned pr = 0; pr < 8; pr++)
		if (mask & (1u << ((pr + c->prio_add) & 7)))
			return pr;
	return 8;
}

static uint8_t vpic_request(const struct vpic_chip *c, bool master)
{
	/* The master also sees the slave's INT as a level on IR2: the edge
	 * latch alone would lose a second slave request that keeps INT high
	 * through an acknowledge (slave in auto-EOI). */
	return (uint8_t)(c->irr | (master ? c->lines & (1u << VPIC_CASCADE_IRQ) : 0));
}

/* The input this chip would present on INT now, or -1. In fully nested
 * mode a request is served only above every in-service priority; in
 * special mask mode, masked in-service levels stop blocking (8259A
 * datasheet, OCW3 ESMM/SMM). */
static int vpic_chip_irq(const struct vpic_chip *c, bool master)
{
	uint8_t req = (uint8_t)(vpic_request(c, master) & ~c->imr);
	uint8_t in_service = c->isr;
	unsigned pr;

	pr = vpic_priority(c, req);
	if (pr == 8)
		return -1;
	if (c->special_mask)
		in_service &= (uint8_t)~c->imr;
	if (pr >= vpic_priority(c, in_service))
		return -1;
	return (int)((pr + c->prio_add) & 7);
}

/* One IR input changes level. Edge mode latches IRR on the rising edge
 * only; level mode makes IRR follow the input (8259A datasheet, ICW1 LTIM;
 * the ELCR does the same per input). */
static void vpic_chip_input(struct vpic_chip *c, unsigned ir, bool level)
{
	uint8_t bit = (uint8_t)(1u << ir);

	if (vpic_level_mask(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= (uint8_t)~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= (uint8_t)~bit;
}

/* The slave's INT output is the master's IR2 input: re-evaluate it after
 * anything that may change the slave's priority decision. */
static void vpic_cascade(struct vpic *p)
{
	vpic_chip_input(&p->chip[0], VPIC_CASCADE_IRQ,
			vpic_chip_irq(&p->chip[1], false) >= 0);
}

/* The chip's half of an interrupt acknowledge for input ir. A level input
 * keeps its IRR bit: the line is still high (8259A datasheet, level
 * triggered mode); ISR then holds it off until the EOI. */
static void vpic_chip_intack(struct vpic_chip *c, unsigned ir)
{
	uint8_t bit = (uint8_t)(1u << ir);

	if (c->aeoi) {
		if (c->rotate_aeoi)
			c->prio_add = (uint8_t)((ir + 1) & 7);
	} else {
		c->isr |= bit;
	}
	if (!(vpic_level_mask(c) & bit))
		c->irr &= (uint8_t)~bit;
}

static uint8_t vpic_vector(const struct vpic_chip *c, unsigned ir)
{
	/* 8086 mode: T7-T3 from ICW2, the input number in the low bits. */
	return (uint8_t)((c->icw2 & 0xf8) | ir);
}

/* ICW1 (8259A datasheet, "Initialization Command Words"): the edge sense
 * latches reset, IMR cleared, IR0 highest priority, special mask mode off,
 * status read set to IRR, ICW4 functions zero unless IC4. The datasheet is
 * silent on ISR; it is cleared (as the PC BIOSes expect) so that a guest
 * reprogramming the PIC owes no EOI for the old setup. */
static void vpic_icw1(struct vpic_chip *c, uint8_t v)
{
	c->need_icw4 = v & ICW1_IC4;
	c->single = v & ICW1_SNGL;
	c->ltim = v & ICW1_LTIM;
	c->imr = 0;
	c->isr = 0;
	c->irr &= (uint8_t)(vpic_level_mask(c) & c->lines);
	c->prio_add = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->aeoi = false;
	c->rotate_aeoi = false;
	c->init_step = 2;
}

static void vpic_icw(struct vpic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->icw2 = v;
		if (!c->single)
			c->init_step = 3;
		else
			c->init_step = c->need_icw4 ? 4 : 0;
		break;
	case 3:
		/* Master: which inputs have slaves; slave: its ID. The PC
		 * wiring (slave on IR2) is fixed, so this is only kept. */
		c->icw3 = v;
		c->init_step = c->need_icw4 ? 4 : 0;
		break;
	default:
		/* ICW4: uPM, BUF, M/S and SFNM are not modelled. */
		c->aeoi = v & ICW4_AEOI;
		c->init_step = 0;
		break;
	}
}

static void vpic_ocw2(struct vpic_chip *c, uint8_t v)
{
	unsigned cmd = v >> 5, ir = v & 7, pr;

	switch (cmd) {
	case OCW2_ROT_AEOI_CLEAR:
	case OCW2_ROT_AEOI_SET:
		c->rotate_aeoi = cmd == OCW2_ROT_AEOI_SET;
		break;
	case OCW2_EOI:
	case OCW2_ROT_EOI:
		/* Non-specific EOI resets the highest-priority ISR bit: the
		 * one being served in fully nested mode. */
		pr = vpic_priority(c, c->isr);
		if (pr == 8)
			break;
		ir = (pr + c->prio_add) & 7;
		c->isr &= (uint8_t)~(1u << ir);
		if (cmd == OCW2_ROT_EOI)
			c->prio_add = (uint8_t)((ir + 1) & 7);
		break;
	case OCW2_SEOI:
	case OCW2_ROT_SEOI:
		c->isr &= (uint8_t)~(1u << ir);
		if (cmd == OCW2_ROT_SEOI)
			c->prio_add = (uint8_t)((ir + 1) & 7);
		break;
	case OCW2_SET_PRIO:
		/* L2-L0 names the lowest-priority input. */
		c->prio_add = (uint8_t)((ir + 1) & 7);
		break;
	default:
		break;
	}
}

static void vpic_chip_write(struct vpic_chip *c, bool a0, uint8_t v)
{
	if (a0) {
		if (c->init_step)
			vpic_icw(c, v);
		else
			c->imr = v;          /* OCW1 */
	} else if (v & ICW1_SEL) {
		vpic_icw1(c, v);
	} else if (v & OCW3_SEL) {
		if (v & OCW3_P)
			c->poll = true;
		if (v & OCW3_RR)
			c->read_isr = v & OCW3_RIS;
		if (v & OCW3_ESMM)
			c->special_mask = v & OCW3_SMM;
	} else {
		vpic_ocw2(c, v);
	}
}

/* Poll command (8259A datasheet, "The Poll Command"): the next read is an
 * interrupt acknowledge that returns I (bit 7) and the input number. */
static uint8_t vpic_poll_read(struct vpic_chip *c, bool master)
{
	int ir = vpic_chip_irq(c, master);

	c->poll = false;
	if (ir < 0)
		return 0;
	vpic_chip_intack(c, (unsigned)ir);
	return (uint8_t)(0x80 | ir);
}

static void vpic_chip_reset(struct vpic_chip *c, uint8_t vector, uint8_t imr,
			    uint8_t elcr_mask)
{
	memset(c, 0, sizeof(*c));
	c->icw2 = vector;
	c->imr = imr;
	c->elcr_mask = elcr_mask;
}

void vpic_init(struct vpic *p, const struct dev_env *env)
{
	memset(p, 0, sizeof(*p));
	p->env = env;
	vpic_chip_reset(&p->chip[0], 0x08, (uint8_t)~(1u << VPIC_CASCADE_IRQ),
			ELCR1_MASK);
	p->chip[0].icw3 = 1u << VPIC_CASCADE_IRQ;
	vpic_chip_reset(&p->chip[1], 0x70, 0xff, ELCR2_MASK);
	p->chip[1].icw3 = VPIC_CASCADE_IRQ;
}

uint8_t vpic_read(struct vpic *p, uint16_t port)
{
	struct vpic_chip *c;
	bool master;
	uint8_t v;

	switch (port) {
	case VPIC_ELCR1:
		return p->chip[0].elcr;
	case VPIC_ELCR2:
		return p->chip[1].elcr;
	case VPIC_MASTER_CMD:
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_CMD:
	case VPIC_SLAVE_DATA:
		break;
	default:
		return 0xff;
	}
	master = port < VPIC_SLAVE_CMD;
	c = &p->chip[!master];
	if (c->poll) {
		v = vpic_poll_read(c, master);
		vpic_cascade(p);
		return v;
	}
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : vpic_request(c, master);
}

void vpic_write(struct vpic *p, uint16_t port, uint8_t v)
{
	struct vpic_chip *c;

	switch (port) {
	case VPIC_ELCR1:
	case VPIC_ELCR2:
		c = &p->chip[port & 1];
		c->elcr = v & c->elcr_mask;
		/* A newly level input's IRR follows its line from now on. */
		c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->lines & c->elcr));
		break;
	case VPIC_MASTER_CMD:
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_CMD:
	case VPIC_SLAVE_DATA:
		vpic_chip_write(&p->chip[port >= VPIC_SLAVE_CMD], port & 1, v);
		break;
	default:
		return;
	}
	vpic_cascade(p);
}

void vpic_set_irq(struct vpic *p, unsigned irq, bool level)
{
	if (irq > 15 || irq == VPIC_CASCADE_IRQ)
		return;
	vpic_chip_input(&p->chip[irq >> 3], irq & 7, level);
	if (irq >= 8)
		vpic_cascade(p);
}

bool vpic_has_output(const struct vpic *p)
{
	return vpic_chip_irq(&p->chip[0], true) >= 0;
}

int vpic_pending(const struct vpic *p)
{
	int ir = vpic_chip_irq(&p->chip[0], true), sir;

	if (ir < 0)
		return -1;
	if (ir != VPIC_CASCADE_IRQ)
		return vpic_vector(&p->chip[0], (unsigned)ir);
	sir = vpic_chip_irq(&p->chip[1], false);
	return vpic_vector(&p->chip[1], sir < 0 ? 7 : (unsigned)sir);
}

int vpic_ack(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[0], *s = &p->chip[1];
	int ir = vpic_chip_irq(m, true), sir;
	int vec;

	if (ir < 0)
		return vpic_vector(m, 7);    /* spurious IRQ7: no ISR bit */
	if (ir == VPIC_CASCADE_IRQ) {
		/* The master puts out no vector for a cascaded input; the
		 * slave answers the second INTA, with IR7 if its request is
		 * gone (spurious IRQ15). */
		sir = vpic_chip_irq(s, false);
		if (sir >= 0) {
			vpic_chip_intack(s, (unsigned)sir);
			vec = vpic_vector(s, (unsigned)sir);
		} else {
			vec = vpic_vector(s, 7);
		}
	} else {
		vec = vpic_vector(m, (unsigned)ir);
	}
	vpic_chip_intack(m, (unsigned)ir);
	vpic_cascade(p);
	return vec;
}
