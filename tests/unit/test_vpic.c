/* The 8259A pair: Linux's init sequence, priorities, cascade, EOI, masks,
 * edge versus level, auto-EOI, poll mode and spurious IRQ7/IRQ15. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/dev/vpic.h"

static uint64_t now;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now;
}

static void fake_irq(void *ctx, unsigned line, bool level)
{
	/* The PIC drives no ISA line: its output is polled by the VMM. */
	(void)ctx;
	(void)line;
	(void)level;
	fail_msg("the PIC raised an ISA line");
}

static const struct dev_env env = { .now_ns = fake_now, .irq_line = fake_irq };

/* arch/x86/kernel/i8259.c init_8259A(0), with the vectors the brief's older
 * kernels used (0x20/0x28), then every input masked but the cascade. */
static void linux_init(struct vpic *p, uint8_t master_icw4)
{
	vpic_init(p, &env);
	vpic_write(p, 0x21, 0xff);
	vpic_write(p, 0x20, 0x11);
	vpic_write(p, 0x21, 0x20);
	vpic_write(p, 0x21, 0x04);
	vpic_write(p, 0x21, master_icw4);
	vpic_write(p, 0xa0, 0x11);
	vpic_write(p, 0xa1, 0x28);
	vpic_write(p, 0xa1, 0x02);
	vpic_write(p, 0xa1, 0x01);
	vpic_write(p, 0x21, 0xfb);
	vpic_write(p, 0xa1, 0xff);
}

static uint8_t read_isr(struct vpic *p, uint16_t cmd)
{
	uint8_t v;

	vpic_write(p, cmd, 0x0b);
	v = vpic_read(p, cmd);
	vpic_write(p, cmd, 0x0a);
	return v;
}

static void pulse(struct vpic *p, unsigned irq)
{
	vpic_set_irq(p, irq, true);
	vpic_set_irq(p, irq, false);
}

static void test_firmware_state(void **state)
{
	struct vpic p;

	(void)state;
	vpic_init(&p, &env);
	assert_int_equal(vpic_read(&p, 0x21), 0xfb);
	assert_int_equal(vpic_read(&p, 0xa1), 0xff);
	assert_int_equal(vpic_read(&p, 0x4d0), 0);
	assert_int_equal(vpic_read(&p, 0x4d1), 0);
	pulse(&p, 0);
	assert_false(vpic_has_output(&p));          /* masked */
	assert_int_equal(vpic_pending(&p), -1);
	vpic_write(&p, 0x21, 0xfa);
	assert_int_equal(vpic_pending(&p), 0x08);  /* the BIOS vectors */
	vpic_write(&p, 0xa1, 0xfe);
	pulse(&p, 8);
	assert_int_equal(vpic_ack(&p), 0x08);
	vpic_write(&p, 0x20, 0x20);
	assert_int_equal(vpic_ack(&p), 0x70);
}

static void test_linux_init_and_eoi(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	/* After ICW4 the data port is the mask register again. */
	assert_int_equal(vpic_read(&p, 0x21), 0xfb);
	assert_int_equal(vpic_read(&p, 0xa1), 0xff);
	assert_false(vpic_has_output(&p));
	vpic_write(&p, 0x21, 0xfa);                 /* unmask IRQ0 */
	pulse(&p, 0);
	assert_true(vpic_has_output(&p));
	assert_int_equal(vpic_pending(&p), 0x20);
	assert_int_equal(vpic_pending(&p), 0x20);  /* pending has no effect */
	assert_int_equal(vpic_ack(&p), 0x20);
	assert_false(vpic_has_output(&p));
	assert_int_equal(read_isr(&p, 0x20), 0x01);
	assert_int_equal(vpic_read(&p, 0x20), 0x00); /* IRR */
	/* A second edge while in service waits for the EOI. */
	pulse(&p, 0);
	assert_false(vpic_has_output(&p));
	assert_int_equal(vpic_read(&p, 0x20), 0x01);
	vpic_write(&p, 0x20, 0x20);                 /* non-specific EOI */
	assert_int_equal(read_isr(&p, 0x20), 0x00);
	assert_int_equal(vpic_ack(&p), 0x20);
	vpic_write(&p, 0x20, 0x60);                 /* specific EOI, IR0 */
	assert_int_equal(read_isr(&p, 0x20), 0x00);
	assert_false(vpic_has_output(&p));

	/* Modern kernels map IRQ0 to 0x30. */
	vpic_write(&p, 0x20, 0x11);
	vpic_write(&p, 0x21, 0x30);
	vpic_write(&p, 0x21, 0x04);
	vpic_write(&p, 0x21, 0x01);
	assert_int_equal(vpic_read(&p, 0x21), 0x00);  /* ICW1 cleared IMR */
	pulse(&p, 4);
	assert_int_equal(vpic_ack(&p), 0x34);
}

static void test_priorities(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0x21, 0x00);
	pulse(&p, 3);
	pulse(&p, 1);
	assert_int_equal(vpic_read(&p, 0x20), 0x0a);
	assert_int_equal(vpic_ack(&p), 0x21);       /* IR1 beats IR3 */
	/* IR3 is lower than the IR1 in service: held off. */
	assert_false(vpic_has_output(&p));
	/* IR0 is higher: it nests. */
	pulse(&p, 0);
	assert_int_equal(vpic_ack(&p), 0x20);
	assert_int_equal(read_isr(&p, 0x20), 0x03);
	/* Non-specific EOI ends the highest in service (IR0) first. */
	vpic_write(&p, 0x20, 0x20);
	assert_int_equal(read_isr(&p, 0x20), 0x02);
	assert_false(vpic_has_output(&p));
	vpic_write(&p, 0x20, 0x20);
	assert_int_equal(read_isr(&p, 0x20), 0x00);
	assert_int_equal(vpic_ack(&p), 0x23);
	vpic_write(&p, 0x20, 0x63);
	assert_false(vpic_has_output(&p));
}

static void test_cascade_linux_mask_and_ack(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0x21, 0xf3);          /* IR2 cascade and IR3 open */
	vpic_write(&p, 0xa1, 0xfc);          /* IRQ8, IRQ9 open */
	pulse(&p, 3);
	pulse(&p, 9);
	pulse(&p, 8);
	/* The cascade's IR2 outranks IR3; on the slave IR0 outranks IR1. */
	assert_int_equal(vpic_pending(&p), 0x28);
	assert_int_equal(vpic_ack(&p), 0x28);
	assert_int_equal(read_isr(&p, 0x20), 0x04);
	assert_int_equal(read_isr(&p, 0xa0), 0x01);
	assert_int_equal(vpic_read(&p, 0xa0), 0x02);  /* IRQ9 still requested */
	/* IRQ9 waits for the slave's EOI, IRQ3 for the master's IR2. */
	assert_false(vpic_has_output(&p));
	/* mask_and_ack_8259A for IRQ8: mask, dummy read, specific EOIs. */
	vpic_write(&p, 0xa1, 0xfd);
	(void)vpic_read(&p, 0xa1);
	vpic_write(&p, 0xa0, 0x60);
	assert_false(vpic_has_output(&p));    /* master IR2 still in service */
	vpic_write(&p, 0x20, 0x62);
	assert_int_equal(vpic_ack(&p), 0x29);
	assert_int_equal(read_isr(&p, 0x20), 0x04);
	assert_int_equal(read_isr(&p, 0xa0), 0x02);
	vpic_write(&p, 0xa0, 0x61);
	vpic_write(&p, 0x20, 0x62);
	assert_int_equal(vpic_ack(&p), 0x23);
	vpic_write(&p, 0x20, 0x63);
	assert_false(vpic_has_output(&p));
	/* Masking IR2 on the master silences the whole slave. */
	vpic_write(&p, 0x21, 0xff);
	vpic_write(&p, 0xa1, 0x00);
	pulse(&p, 15);
	assert_false(vpic_has_output(&p));
	vpic_write(&p, 0x21, 0xfb);
	assert_int_equal(vpic_ack(&p), 0x2f);
	assert_int_equal(read_isr(&p, 0xa0), 0x80);
}

static void test_masked_request_is_kept(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	pulse(&p, 4);
	assert_false(vpic_has_output(&p));
	vpic_write(&p, 0x20, 0x0a);
	assert_int_equal(vpic_read(&p, 0x20), 0x10);   /* latched in IRR */
	vpic_write(&p, 0x21, 0xeb);
	assert_int_equal(vpic_ack(&p), 0x24);
	assert_int_equal(vpic_read(&p, 0x20), 0x00);
	/* Masking an input in service does not end its service. */
	vpic_write(&p, 0x21, 0xfb);
	assert_int_equal(read_isr(&p, 0x20), 0x10);
}

static void test_edge_versus_level(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0x21, 0x00);
	vpic_write(&p, 0xa1, 0x00);
	/* Only the writable ELCR bits stick (IRQ0-2, 8, 13 are edge). */
	vpic_write(&p, 0x4d0, 0xff);
	vpic_write(&p, 0x4d1, 0xff);
	assert_int_equal(vpic_read(&p, 0x4d0), 0xf8);
	assert_int_equal(vpic_read(&p, 0x4d1), 0xde);
	vpic_write(&p, 0x4d0, 0x00);
	vpic_write(&p, 0x4d1, 0x08);          /* IRQ11 level, as for PCI INTx */

	/* Edge, IRQ5: held high it interrupts once. */
	vpic_set_irq(&p, 5, true);
	assert_int_equal(vpic_ack(&p), 0x25);
	vpic_write(&p, 0x20, 0x20);
	assert_false(vpic_has_output(&p));
	vpic_set_irq(&p, 5, false);
	assert_false(vpic_has_output(&p));
	vpic_set_irq(&p, 5, true);             /* a new edge */
	assert_int_equal(vpic_ack(&p), 0x25);
	vpic_write(&p, 0x20, 0x20);
	vpic_set_irq(&p, 5, false);

	/* Level, IRQ11: interrupts again after each EOI while high... */
	vpic_set_irq(&p, 11, true);
	assert_int_equal(vpic_ack(&p), 0x2b);
	assert_false(vpic_has_output(&p));
	vpic_write(&p, 0xa0, 0x63);
	vpic_write(&p, 0x20, 0x62);
	assert_int_equal(vpic_ack(&p), 0x2b);
	/* ...so handle_level_irq masks before the EOIs, lets the handler
	 * quiet the device, then unmasks: no second interrupt. */
	vpic_write(&p, 0xa1, 0x08);
	vpic_write(&p, 0xa0, 0x63);
	vpic_write(&p, 0x20, 0x62);
	assert_false(vpic_has_output(&p));
	vpic_set_irq(&p, 11, false);
	vpic_write(&p, 0xa1, 0x00);
	assert_false(vpic_has_output(&p));
	assert_int_equal(vpic_read(&p, 0xa0), 0x00);
	/* Without the mask the slave asserts again at the EOI; a line that
	 * then drops before INTA leaves the master's IR2 edge latched:
	 * spurious IRQ15, as on the hardware. */
	vpic_set_irq(&p, 11, true);
	assert_int_equal(vpic_ack(&p), 0x2b);
	vpic_write(&p, 0xa0, 0x63);
	vpic_write(&p, 0x20, 0x62);
	vpic_set_irq(&p, 11, false);
	assert_int_equal(vpic_ack(&p), 0x2f);
	vpic_write(&p, 0x20, 0x62);
	assert_false(vpic_has_output(&p));
	/* A level pulse leaves no request behind; an edge pulse does. */
	vpic_write(&p, 0x4d0, 0x80);
	pulse(&p, 7);
	assert_false(vpic_has_output(&p));
	assert_int_equal(vpic_read(&p, 0x20), 0x00);
	pulse(&p, 10);
	assert_int_equal(vpic_ack(&p), 0x2a);
	vpic_write(&p, 0xa0, 0x20);
	vpic_write(&p, 0x20, 0x20);

	/* ICW1 LTIM makes every input level-triggered. */
	vpic_write(&p, 0x20, 0x19);
	vpic_write(&p, 0x21, 0x20);
	vpic_write(&p, 0x21, 0x04);
	vpic_write(&p, 0x21, 0x01);
	pulse(&p, 6);
	assert_false(vpic_has_output(&p));
	vpic_set_irq(&p, 6, true);
	assert_int_equal(vpic_ack(&p), 0x26);
	vpic_write(&p, 0x20, 0x20);
	assert_int_equal(vpic_ack(&p), 0x26);
}

static void test_auto_eoi(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x03);                 /* master in AEOI */
	vpic_write(&p, 0x21, 0x00);
	pulse(&p, 1);
	assert_int_equal(vpic_ack(&p), 0x21);
	assert_int_equal(read_isr(&p, 0x20), 0x00);
	/* No EOI needed before a lower-priority request. */
	pulse(&p, 6);
	assert_int_equal(vpic_ack(&p), 0x26);
	/* The slave is not in AEOI: its input stays in service. */
	vpic_write(&p, 0xa1, 0x00);
	pulse(&p, 12);
	assert_int_equal(vpic_ack(&p), 0x2c);
	assert_int_equal(read_isr(&p, 0x20), 0x00);
	assert_int_equal(read_isr(&p, 0xa0), 0x10);
	pulse(&p, 13);
	assert_false(vpic_has_output(&p));        /* IR4 blocks IR5 */
	vpic_write(&p, 0xa0, 0x20);
	assert_int_equal(vpic_ack(&p), 0x2d);
}

static void test_spurious_irq7(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0x21, 0xfa);
	pulse(&p, 0);
	assert_true(vpic_has_output(&p));
	/* The guest masks IRQ0 after INTR was sampled. */
	vpic_write(&p, 0x21, 0xfb);
	assert_int_equal(vpic_pending(&p), -1);
	assert_int_equal(vpic_ack(&p), 0x27);
	/* i8259A_irq_real(7): ISR bit 7 clear tells Linux it is spurious. */
	assert_int_equal(read_isr(&p, 0x20), 0x00);
	/* Nothing at all pending: also IR7. */
	assert_int_equal(vpic_ack(&p), 0x27);
	assert_int_equal(read_isr(&p, 0x20), 0x00);
}

static void test_spurious_irq15(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0xa1, 0xfb);
	pulse(&p, 10);
	assert_int_equal(vpic_pending(&p), 0x2a);
	/* The slave's request goes away; the master latched the IR2 edge. */
	vpic_write(&p, 0xa1, 0xff);
	assert_true(vpic_has_output(&p));
	assert_int_equal(vpic_pending(&p), 0x2f);
	assert_int_equal(vpic_ack(&p), 0x2f);
	assert_int_equal(read_isr(&p, 0xa0), 0x00);
	assert_int_equal(read_isr(&p, 0x20), 0x04);  /* Linux EOIs the master */
	vpic_write(&p, 0x20, 0x62);
	assert_false(vpic_has_output(&p));
	/* Unmasked again, the slave's IRR still holds IRQ10. */
	vpic_write(&p, 0xa1, 0xfb);
	assert_int_equal(vpic_ack(&p), 0x2a);
}

static void test_poll_mode(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0x21, 0x00);
	vpic_write(&p, 0x20, 0x0c);           /* OCW3 poll */
	assert_int_equal(vpic_read(&p, 0x20), 0x00);
	/* The poll is a one-shot: the next read is IRR again. */
	pulse(&p, 5);
	assert_int_equal(vpic_read(&p, 0x20), 0x20);
	vpic_write(&p, 0x20, 0x0c);
	assert_int_equal(vpic_read(&p, 0x20), 0x85);
	assert_int_equal(read_isr(&p, 0x20), 0x20);
	assert_false(vpic_has_output(&p));
	vpic_write(&p, 0x20, 0x65);
	assert_int_equal(read_isr(&p, 0x20), 0x00);
}

static void test_rotation_and_special_mask(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0x21, 0x00);
	vpic_write(&p, 0x20, 0xc4);           /* IR4 lowest: IR5 highest */
	pulse(&p, 1);
	pulse(&p, 6);
	assert_int_equal(vpic_ack(&p), 0x26);
	/* Rotate on non-specific EOI: IR6 becomes lowest, IR7 highest. */
	vpic_write(&p, 0x20, 0xa0);
	assert_int_equal(vpic_ack(&p), 0x21);
	vpic_write(&p, 0x20, 0xc7);           /* back to IR0 highest */
	vpic_write(&p, 0x20, 0x61);

	/* Special mask mode: a masked in-service level stops blocking. */
	pulse(&p, 1);
	assert_int_equal(vpic_ack(&p), 0x21);
	pulse(&p, 3);
	assert_false(vpic_has_output(&p));
	vpic_write(&p, 0x21, 0x02);
	vpic_write(&p, 0x20, 0x68);           /* set special mask */
	assert_int_equal(vpic_ack(&p), 0x23);
	assert_int_equal(read_isr(&p, 0x20), 0x0a);
	vpic_write(&p, 0x20, 0x48);           /* reset special mask */
	vpic_write(&p, 0x20, 0x63);
	vpic_write(&p, 0x20, 0x61);
	assert_int_equal(read_isr(&p, 0x20), 0x00);
}

static void test_icw1_resets(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0x4d1, 0x08);
	vpic_write(&p, 0x21, 0x00);
	vpic_write(&p, 0xa1, 0x00);
	pulse(&p, 3);
	assert_int_equal(vpic_ack(&p), 0x23);
	pulse(&p, 4);
	vpic_set_irq(&p, 11, true);
	vpic_write(&p, 0xa0, 0x0b);           /* status read ISR... */
	/* ...ICW1 resets it to IRR, clears ISR, the edge latch and IMR but
	 * not a level input that is still high. */
	vpic_write(&p, 0xa0, 0x11);
	vpic_write(&p, 0xa1, 0x28);
	vpic_write(&p, 0xa1, 0x02);
	vpic_write(&p, 0xa1, 0x01);
	assert_int_equal(vpic_read(&p, 0xa0), 0x08);
	vpic_write(&p, 0x20, 0x11);
	vpic_write(&p, 0x21, 0x20);
	vpic_write(&p, 0x21, 0x04);
	vpic_write(&p, 0x21, 0x01);
	assert_int_equal(read_isr(&p, 0x20), 0x00);
	/* Master IRR: IR4's edge is gone; IR2 shows the slave's request. */
	assert_int_equal(vpic_read(&p, 0x20), 0x04);
	assert_int_equal(vpic_ack(&p), 0x2b);
	/* Without IC4 the ICW4 functions are off and ICW3 ends the
	 * sequence; single mode skips ICW3 too. */
	vpic_write(&p, 0x20, 0x10);
	vpic_write(&p, 0x21, 0x40);
	vpic_write(&p, 0x21, 0x04);
	vpic_write(&p, 0x21, 0xfe);
	assert_int_equal(vpic_read(&p, 0x21), 0xfe);
	vpic_write(&p, 0x20, 0x12);
	vpic_write(&p, 0x21, 0x50);
	vpic_write(&p, 0x21, 0xef);
	assert_int_equal(vpic_read(&p, 0x21), 0xef);
	pulse(&p, 4);
	assert_int_equal(vpic_ack(&p), 0x54);
}

static void test_bad_inputs(void **state)
{
	struct vpic p;

	(void)state;
	linux_init(&p, 0x01);
	vpic_write(&p, 0x21, 0x00);
	vpic_write(&p, 0xa1, 0x00);
	vpic_set_irq(&p, 2, true);            /* the cascade has no source */
	vpic_set_irq(&p, 16, true);
	vpic_set_irq(&p, 1000, true);
	assert_false(vpic_has_output(&p));
	assert_int_equal(vpic_read(&p, 0x22), 0xff);
	vpic_write(&p, 0x22, 0x00);
	assert_int_equal(vpic_read(&p, 0x21), 0x00);
	/* An EOI with nothing in service changes nothing. */
	vpic_write(&p, 0x20, 0x20);
	assert_int_equal(read_isr(&p, 0x20), 0x00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firmware_state),
		cmocka_unit_test(test_linux_init_and_eoi),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_cascade_linux_mask_and_ack),
		cmocka_unit_test(test_masked_request_is_kept),
		cmocka_unit_test(test_edge_versus_level),
		cmocka_unit_test(test_auto_eoi),
		cmocka_unit_test(test_spurious_irq7),
		cmocka_unit_test(test_spurious_irq15),
		cmocka_unit_test(test_poll_mode),
		cmocka_unit_test(test_rotation_and_special_mask),
		cmocka_unit_test(test_icw1_resets),
		cmocka_unit_test(test_bad_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
