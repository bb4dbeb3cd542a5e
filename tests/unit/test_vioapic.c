/* The IOAPIC model, programmed the way Linux's io_apic.c does: IOREGSEL
 * then IOWIN, the high dword of an entry before the low one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "vmm/dev/vioapic.h"
#include "lib/errno.h"

#define LO(pin) (0x10 + 2 * (pin))
#define HI(pin) (0x11 + 2 * (pin))

#define RTE_LOGICAL    (1u << 11)
#define RTE_ACTIVE_LOW (1u << 13)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL      (1u << 15)
#define RTE_MASKED     (1u << 16)

struct msg {
	uint32_t dest;
	bool logical;
	uint8_t mode, vector;
	bool level;
};

static struct msg msgs[32];
static unsigned nmsgs;
static int ctx_token;

static void rec_deliver(void *ctx, uint32_t dest, bool logical, uint8_t mode, uint8_t vector,
			bool level)
{
	assert_ptr_equal(ctx, &ctx_token);
	assert_true(nmsgs < 32);
	msgs[nmsgs++] = (struct msg){ dest, logical, mode, vector, level };
}

static void mk(struct vioapic *io)
{
	nmsgs = 0;
	vioapic_init(io, 2, rec_deliver, &ctx_token);
}

static uint32_t reg(struct vioapic *io, uint8_t r)
{
	uint32_t v = 0xdeadbeef;

	assert_int_equal(vioapic_write(io, 0x00, 4, r), 0);
	assert_int_equal(vioapic_read(io, 0x10, 4, &v), 0);
	return v;
}

static void set_reg(struct vioapic *io, uint8_t r, uint32_t v)
{
	assert_int_equal(vioapic_write(io, 0x00, 4, r), 0);
	assert_int_equal(vioapic_write(io, 0x10, 4, v), 0);
}

/* ioapic_write_entry: high dword, then low. */
static void program(struct vioapic *io, unsigned pin, uint8_t dest, uint32_t lo)
{
	set_reg(io, HI(pin), (uint32_t)dest << 24);
	set_reg(io, LO(pin), lo);
}

static void test_id_version_arbitration(void **state)
{
	struct vioapic io;
	uint32_t v;

	(void)state;
	mk(&io);
	assert_int_equal(reg(&io, 0x00), 2u << 24);
	assert_int_equal(reg(&io, 0x01), 0x00170011);       /* 24 entries, v11h */
	assert_int_equal(reg(&io, 0x02), 2u << 24);         /* arbitration = ID */
	/* The ID is 4 bits at 27:24; VER and ARB are read-only. */
	set_reg(&io, 0x00, 0xff000000);
	assert_int_equal(reg(&io, 0x00), 0x0f000000);
	set_reg(&io, 0x01, 0);
	set_reg(&io, 0x02, 0);
	assert_int_equal(reg(&io, 0x01), 0x00170011);
	assert_int_equal(reg(&io, 0x02), 0x0f000000);
	/* Every entry resets masked. */
	for (unsigned pin = 0; pin < 24; pin++) {
		assert_int_equal(reg(&io, LO(pin)), RTE_MASKED);
		assert_int_equal(reg(&io, HI(pin)), 0);
	}
	/* IOREGSEL reads back, byte access too. */
	assert_int_equal(vioapic_write(&io, 0x00, 1, 0x21), 0);
	assert_int_equal(vioapic_read(&io, 0x00, 4, &v), 0);
	assert_int_equal(v, 0x21);
	assert_int_equal(vioapic_read(&io, 0x00, 1, &v), 0);
	assert_int_equal(v, 0x21);
	/* Reserved indirect registers read 0 (past entry 23 too). */
	assert_int_equal(reg(&io, 0x03), 0);
	assert_int_equal(reg(&io, 0x40), 0);
}

static void test_access_sizes(void **state)
{
	struct vioapic io;
	uint32_t v;

	(void)state;
	mk(&io);
	assert_int_equal(vioapic_read(&io, 0x10, 1, &v), -EINVAL);
	assert_int_equal(vioapic_write(&io, 0x10, 2, 0), -EINVAL);
	assert_int_equal(vioapic_write(&io, 0x00, 2, 0), -EINVAL);
	assert_int_equal(vioapic_read(&io, 0x1000, 4, &v), -EINVAL);
	assert_int_equal(vioapic_read(&io, 0xffe, 4, &v), -EINVAL);
	/* Other offsets in the page: read 0, writes ignored. */
	assert_int_equal(vioapic_write(&io, 0x20, 4, 0x12345678), 0);
	assert_int_equal(vioapic_read(&io, 0x20, 4, &v), 0);
	assert_int_equal(v, 0);
	/* A refused IOWIN write leaves the entry alone. */
	assert_int_equal(vioapic_write(&io, 0x00, 4, LO(3)), 0);
	assert_int_equal(vioapic_write(&io, 0x10, 1, 0x31), -EINVAL);
	assert_int_equal(reg(&io, LO(3)), RTE_MASKED);
}

static void test_redirection_programming(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	/* IRQ 4 (COM1): edge, active high, physical dest APIC 3, vector 0x24 */
	program(&io, 4, 3, 0x24);
	assert_int_equal(reg(&io, LO(4)), 0x24);
	assert_int_equal(reg(&io, HI(4)), 3u << 24);
	/* GSI 20: level, active low, logical, lowest priority, masked */
	program(&io, 20, 0x0f, RTE_MASKED | RTE_LEVEL | RTE_ACTIVE_LOW | RTE_LOGICAL | 0x100 | 0x51);
	assert_int_equal(reg(&io, LO(20)), 0x1a951);
	assert_int_equal(reg(&io, HI(20)), 0x0f000000);
	/* Delivery status and remote IRR are read-only; 17-31 and high
	 * 0-23 reserved. */
	set_reg(&io, LO(5), 0xffffffff);
	assert_int_equal(reg(&io, LO(5)), 0x0001afff);
	set_reg(&io, HI(5), 0xffffffff);
	assert_int_equal(reg(&io, HI(5)), 0xff000000);
	/* Entries are independent. */
	assert_int_equal(reg(&io, LO(6)), RTE_MASKED);
	assert_int_equal(nmsgs, 0);
}

static void test_edge_masked_unmasked(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	program(&io, 1, 0, RTE_MASKED | 0x31);
	vioapic_set_irq(&io, 1, true);
	vioapic_set_irq(&io, 1, false);
	assert_int_equal(nmsgs, 0);
	/* Unmasking does not replay an edge seen while masked. */
	program(&io, 1, 0, 0x31);
	assert_int_equal(nmsgs, 0);
	vioapic_set_irq(&io, 1, true);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].dest, 0);
	assert_false(msgs[0].logical);
	assert_int_equal(msgs[0].mode, 0);
	assert_int_equal(msgs[0].vector, 0x31);
	assert_false(msgs[0].level);
	/* Holding the line is not another edge; only the next rise is. */
	vioapic_set_irq(&io, 1, true);
	assert_int_equal(nmsgs, 1);
	vioapic_set_irq(&io, 1, false);
	assert_int_equal(nmsgs, 1);
	vioapic_set_irq(&io, 1, true);
	assert_int_equal(nmsgs, 2);
	/* Edge entries have no remote IRR and ignore EOIs. */
	assert_int_equal(reg(&io, LO(1)) & RTE_REMOTE_IRR, 0);
	vioapic_eoi(&io, 0x31);
	assert_int_equal(nmsgs, 2);
	/* Out-of-range inputs are ignored. */
	vioapic_set_irq(&io, 24, true);
	vioapic_set_irq(&io, 1000, true);
	assert_int_equal(nmsgs, 2);
}

static void test_level_remote_irr_and_eoi(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	/* A PCI INTx routed active high for simplicity; polarity next test. */
	program(&io, 16, 1, RTE_LEVEL | 0x41);
	vioapic_set_irq(&io, 16, true);
	assert_int_equal(nmsgs, 1);
	assert_true(msgs[0].level);
	assert_int_equal(msgs[0].dest, 1);
	assert_int_equal(msgs[0].vector, 0x41);
	assert_int_equal(reg(&io, LO(16)), RTE_REMOTE_IRR | RTE_LEVEL | 0x41);
	/* While remote IRR is set nothing more goes out. */
	vioapic_set_irq(&io, 16, true);
	assert_int_equal(nmsgs, 1);
	/* An EOI for another vector changes nothing. */
	vioapic_eoi(&io, 0x42);
	assert_int_equal(nmsgs, 1);
	assert_true(reg(&io, LO(16)) & RTE_REMOTE_IRR);
	/* EOI while still asserted: delivered again. */
	vioapic_eoi(&io, 0x41);
	assert_int_equal(nmsgs, 2);
	assert_true(reg(&io, LO(16)) & RTE_REMOTE_IRR);
	/* The device lowers the line, then the EOI: quiet, IRR clear. */
	vioapic_set_irq(&io, 16, false);
	vioapic_eoi(&io, 0x41);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(reg(&io, LO(16)) & RTE_REMOTE_IRR, 0);
	/* Remote IRR cannot be set by software. */
	set_reg(&io, LO(16), RTE_REMOTE_IRR | RTE_LEVEL | 0x41);
	assert_int_equal(reg(&io, LO(16)) & RTE_REMOTE_IRR, 0);
}

static void test_level_masked_then_unmasked(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	program(&io, 9, 0, RTE_MASKED | RTE_LEVEL | 0x39);      /* ACPI SCI */
	vioapic_set_irq(&io, 9, true);
	assert_int_equal(nmsgs, 0);
	assert_int_equal(reg(&io, LO(9)) & RTE_REMOTE_IRR, 0);
	/* Unmasking an asserted level input delivers at once. */
	program(&io, 9, 0, RTE_LEVEL | 0x39);
	assert_int_equal(nmsgs, 1);
	assert_true(msgs[0].level);
	/* mask_ioapic_irq during handling, EOI, unmask: redelivered only
	 * after the unmask, as the line is still up. */
	program(&io, 9, 0, RTE_MASKED | RTE_LEVEL | 0x39);
	vioapic_eoi(&io, 0x39);
	assert_int_equal(nmsgs, 1);
	program(&io, 9, 0, RTE_LEVEL | 0x39);
	assert_int_equal(nmsgs, 2);
	/* Deasserted while masked: nothing on unmask. */
	program(&io, 9, 0, RTE_MASKED | RTE_LEVEL | 0x39);
	vioapic_set_irq(&io, 9, false);
	vioapic_eoi(&io, 0x39);
	program(&io, 9, 0, RTE_LEVEL | 0x39);
	assert_int_equal(nmsgs, 2);
}

static void test_polarity_active_low_level(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	/* The line idles high (the pull-up); INTx# asserts by pulling low. */
	vioapic_set_irq(&io, 17, true);
	program(&io, 17, 0, RTE_LEVEL | RTE_ACTIVE_LOW | 0x51);
	assert_int_equal(nmsgs, 0);
	vioapic_set_irq(&io, 17, false);                    /* asserted */
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x51);
	vioapic_eoi(&io, 0x51);                             /* still low */
	assert_int_equal(nmsgs, 2);
	vioapic_set_irq(&io, 17, true);                     /* released */
	vioapic_eoi(&io, 0x51);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(reg(&io, LO(17)) & RTE_REMOTE_IRR, 0);
	/* An active-high entry on a line held low is not asserted. */
	program(&io, 18, 0, RTE_LEVEL | 0x52);
	vioapic_set_irq(&io, 18, false);
	assert_int_equal(nmsgs, 2);
	/* Flipping the polarity of a low line to active low asserts it. */
	program(&io, 18, 0, RTE_LEVEL | RTE_ACTIVE_LOW | 0x52);
	assert_int_equal(nmsgs, 3);
	assert_int_equal(msgs[2].vector, 0x52);
}

/* The EOI hook hears each input whose remote IRR an EOI cleared, before
 * the entry is looked at again: a source that lets go then (passthrough
 * INTx) gets no second delivery; one that does not is delivered again. */
static unsigned hook_pins[8], nhook;
static struct vioapic *hook_io;
static bool hook_release;

static void eoi_rec(void *ctx, unsigned gsi)
{
	assert_ptr_equal(ctx, &ctx_token);
	assert_true(nhook < 8);
	hook_pins[nhook++] = gsi;
	if (hook_release)
		vioapic_set_irq(hook_io, gsi, true);	/* idle: high */
}

static void test_eoi_hook(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	nhook = 0;
	hook_io = &io;
	io.eoi_hook = eoi_rec;
	io.eoi_ctx = &ctx_token;
	vioapic_set_irq(&io, 16, true);
	program(&io, 16, 0, RTE_LEVEL | RTE_ACTIVE_LOW | 0x62);
	vioapic_set_irq(&io, 16, false);
	assert_int_equal(nmsgs, 1);
	hook_release = false;
	vioapic_eoi(&io, 0x62);			/* held: told, and delivered again */
	assert_int_equal(nhook, 1);
	assert_int_equal(hook_pins[0], 16);
	assert_int_equal(nmsgs, 2);
	hook_release = true;
	vioapic_eoi(&io, 0x62);			/* let go in the hook: no more */
	assert_int_equal(nhook, 2);
	assert_int_equal(nmsgs, 2);
	vioapic_eoi(&io, 0x62);			/* remote IRR clear: not told */
	assert_int_equal(nhook, 2);
	vioapic_eoi(&io, 0x63);			/* another vector: not told */
	assert_int_equal(nhook, 2);
}

static void test_polarity_active_low_edge(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	vioapic_set_irq(&io, 5, true);
	program(&io, 5, 2, RTE_ACTIVE_LOW | 0x35);
	vioapic_set_irq(&io, 5, false);                     /* falling: active */
	assert_int_equal(nmsgs, 1);
	assert_false(msgs[0].level);
	assert_int_equal(msgs[0].dest, 2);
	vioapic_set_irq(&io, 5, true);                      /* rising: inactive */
	assert_int_equal(nmsgs, 1);
	vioapic_set_irq(&io, 5, false);
	assert_int_equal(nmsgs, 2);
}

/* __eoi_ioapic_pin on an IOAPIC without an EOI register (version < 20h):
 * mask and make the entry edge, then restore it. Remote IRR must go. */
static void test_linux_edge_toggle_clears_remote_irr(void **state)
{
	struct vioapic io;
	uint32_t entry;

	(void)state;
	mk(&io);
	program(&io, 10, 0, RTE_LEVEL | 0x3a);
	vioapic_set_irq(&io, 10, true);
	vioapic_set_irq(&io, 10, false);                    /* lost its EOI */
	assert_int_equal(nmsgs, 1);
	entry = reg(&io, LO(10));
	assert_true(entry & RTE_REMOTE_IRR);
	set_reg(&io, LO(10), (entry | RTE_MASKED) & ~RTE_LEVEL);
	assert_int_equal(reg(&io, LO(10)) & RTE_REMOTE_IRR, 0);
	set_reg(&io, LO(10), entry);
	assert_int_equal(reg(&io, LO(10)), RTE_LEVEL | 0x3a);
	assert_int_equal(nmsgs, 1);
	/* The line works again. */
	vioapic_set_irq(&io, 10, true);
	assert_int_equal(nmsgs, 2);
	/* Setting level trigger alone does not clear remote IRR. */
	set_reg(&io, LO(10), RTE_MASKED | RTE_LEVEL | 0x3a);
	assert_true(reg(&io, LO(10)) & RTE_REMOTE_IRR);
}

/* An unmasked NMI entry is an NMI source; masked ones and other modes
 * (SMI, INIT, fixed) are not. */
static void test_nmi_armed(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	assert_false(vioapic_nmi_armed(&io));              /* all masked at reset */
	program(&io, 2, 0, RTE_MASKED | 0x400);
	program(&io, 3, 0, 0x200);                         /* SMI */
	program(&io, 4, 0, 0x500);                         /* INIT */
	program(&io, 5, 0, 0x31);                          /* fixed */
	assert_false(vioapic_nmi_armed(&io));
	program(&io, 23, 0, 0x400);
	assert_true(vioapic_nmi_armed(&io));
	program(&io, 23, 0, RTE_MASKED | 0x400);
	assert_false(vioapic_nmi_armed(&io));
	assert_int_equal(nmsgs, 0);
}

static void test_delivery_fields(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	/* Flat logical, lowest priority, level. */
	program(&io, 11, 0x0f, RTE_LEVEL | RTE_LOGICAL | 0x100 | 0x61);
	vioapic_set_irq(&io, 11, true);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].dest, 0x0f);
	assert_true(msgs[0].logical);
	assert_int_equal(msgs[0].mode, 1);
	assert_true(msgs[0].level);
	/* NMI is edge whatever the trigger bit: no remote IRR, no TMR. */
	program(&io, 12, 0xff, RTE_LEVEL | 0x400);
	vioapic_set_irq(&io, 12, true);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(msgs[1].mode, 4);
	assert_int_equal(msgs[1].dest, 0xff);
	assert_false(msgs[1].level);
	assert_int_equal(reg(&io, LO(12)) & RTE_REMOTE_IRR, 0);
	vioapic_set_irq(&io, 12, true);                     /* no new edge */
	assert_int_equal(nmsgs, 2);
	/* ExtINT (the 8259 through pin 0 in virtual wire mode) */
	program(&io, 0, 0, 0x700);
	vioapic_set_irq(&io, 0, true);
	assert_int_equal(nmsgs, 3);
	assert_int_equal(msgs[2].mode, 7);
}

static void test_eoi_shared_vector(void **state)
{
	struct vioapic io;

	(void)state;
	mk(&io);
	/* Two level inputs on one vector (shared), a third on another. */
	program(&io, 16, 0, RTE_LEVEL | 0x71);
	program(&io, 19, 0, RTE_LEVEL | 0x71);
	program(&io, 21, 0, RTE_LEVEL | 0x72);
	vioapic_set_irq(&io, 16, true);
	vioapic_set_irq(&io, 19, true);
	vioapic_set_irq(&io, 21, true);
	assert_int_equal(nmsgs, 3);
	vioapic_set_irq(&io, 16, false);
	vioapic_eoi(&io, 0x71);
	/* 16 is quiet; 19 is still up and comes again; 21 untouched. */
	assert_int_equal(nmsgs, 4);
	assert_int_equal(msgs[3].vector, 0x71);
	assert_int_equal(reg(&io, LO(16)) & RTE_REMOTE_IRR, 0);
	assert_true(reg(&io, LO(19)) & RTE_REMOTE_IRR);
	assert_true(reg(&io, LO(21)) & RTE_REMOTE_IRR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_version_arbitration),
		cmocka_unit_test(test_access_sizes),
		cmocka_unit_test(test_redirection_programming),
		cmocka_unit_test(test_edge_masked_unmasked),
		cmocka_unit_test(test_level_remote_irr_and_eoi),
		cmocka_unit_test(test_level_masked_then_unmasked),
		cmocka_unit_test(test_polarity_active_low_level),
		cmocka_unit_test(test_polarity_active_low_edge),
		cmocka_unit_test(test_linux_edge_toggle_clears_remote_irr),
		cmocka_unit_test(test_delivery_fields),
		cmocka_unit_test(test_nmi_armed),
		cmocka_unit_test(test_eoi_shared_vector),
		cmocka_unit_test(test_eoi_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
