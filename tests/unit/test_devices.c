/* Device models: the 16550 UART and the test device. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/dev/vuart.h"
#include "vmm/dev/testdev.h"
#include "vmm/dev/vpci.h"
#include "vmm/dev/devreg.h"
#include <stdlib.h>
#include "lib/errno.h"

static char outbuf[64];
static unsigned outlen;

static void out(void *ctx, uint8_t c)
{
	(void)ctx;
	if (outlen < sizeof(outbuf))
		outbuf[outlen++] = (char)c;
}

static void test_uart_tx_and_lsr(void **state)
{
	struct vuart u;

	(void)state;
	outlen = 0;
	vuart_init(&u, out, NULL);
	assert_int_equal(vuart_read(&u, 5) & 0x60, 0x60);   /* THRE|TEMT */
	vuart_write(&u, 0, 'h');
	vuart_write(&u, 0, 'i');
	assert_int_equal(outlen, 2);
	assert_memory_equal(outbuf, "hi", 2);
	assert_int_equal(vuart_read(&u, 5) & 0x01, 0);     /* nothing received */
}

static void test_uart_divisor_and_scratch(void **state)
{
	struct vuart u;

	(void)state;
	outlen = 0;
	vuart_init(&u, out, NULL);
	vuart_write(&u, 3, 0x83);          /* DLAB, 8N1 */
	vuart_write(&u, 0, 0x01);          /* divisor 1: not transmitted */
	vuart_write(&u, 1, 0x00);
	assert_int_equal(vuart_read(&u, 0), 0x01);
	assert_int_equal(outlen, 0);
	vuart_write(&u, 3, 0x03);
	assert_int_equal(vuart_read(&u, 3), 0x03);
	vuart_write(&u, 7, 0xa5);
	assert_int_equal(vuart_read(&u, 7), 0xa5);
	vuart_write(&u, 1, 0xff);          /* IER keeps its 4 defined bits */
	assert_int_equal(vuart_read(&u, 1), 0x0f);
}

static void test_uart_rx_and_loopback(void **state)
{
	struct vuart u;

	(void)state;
	outlen = 0;
	vuart_init(&u, out, NULL);
	assert_true(vuart_rx(&u, 'x'));
	assert_int_equal(vuart_read(&u, 5) & 1, 1);
	assert_int_equal(vuart_read(&u, 0), 'x');
	assert_int_equal(vuart_read(&u, 5) & 1, 0);
	for (int i = 0; i < VUART_RXQ; i++)
		assert_true(vuart_rx(&u, (uint8_t)i));
	assert_false(vuart_rx(&u, 0));    /* full */
	vuart_write(&u, 2, 0x02);          /* FCR: clear receive FIFO */
	assert_int_equal(vuart_read(&u, 5) & 1, 0);
	vuart_write(&u, 4, 0x10);          /* loopback: transmit comes back */
	vuart_write(&u, 0, 'L');
	assert_int_equal(outlen, 0);
	assert_int_equal(vuart_read(&u, 0), 'L');
}

static int irq_level = -1, irq_changes;

static void irq(void *ctx, bool level)
{
	(void)ctx;
	irq_level = level;
	irq_changes++;
}

/* Linux's 8250 driver: OUT2 on, THR-empty interrupt enabled, write bytes
 * from the handler; IIR reports THRE and reading it clears the source. */
static void test_uart_irq(void **state)
{
	struct vuart u;

	(void)state;
	outlen = 0;
	irq_level = -1;
	irq_changes = 0;
	vuart_init(&u, out, NULL);
	u.irq = irq;
	vuart_write(&u, 1, 0x02);            /* IER: THRI, but OUT2 still off */
	assert_int_equal(vuart_read(&u, 2) & 0x0f, 0x02);   /* pending in IIR... */
	assert_int_not_equal(irq_level, 1);                   /* ...line gated */
	vuart_write(&u, 1, 0x00);
	vuart_write(&u, 4, 0x08);            /* MCR: OUT2 */
	vuart_write(&u, 1, 0x02);            /* enabling THRI with THR empty raises it */
	assert_int_equal(irq_level, 1);
	assert_int_equal(vuart_read(&u, 2) & 0x0f, 0x02);
	assert_int_equal(irq_level, 0);      /* IIR read took it */
	assert_int_equal(vuart_read(&u, 2) & 0x0f, 0x01);   /* nothing pending */
	vuart_write(&u, 0, 'x');             /* sent at once: empty again */
	assert_int_equal(irq_level, 1);
	assert_int_equal(outlen, 1);
	/* Received data outranks THR empty and needs its own enable. */
	vuart_write(&u, 1, 0x03);
	assert_true(vuart_rx(&u, 'k'));
	assert_int_equal(vuart_read(&u, 2) & 0x0f, 0x04);
	assert_int_equal(vuart_read(&u, 0), 'k');
	assert_int_equal(vuart_read(&u, 2) & 0x0f, 0x02);
	vuart_write(&u, 1, 0x00);            /* all off: line low */
	assert_int_equal(irq_level, 0);
}

static void test_testdev(void **state)
{
	struct testdev d;

	(void)state;
	testdev_reset(&d);
	assert_int_equal(testdev_read(&d, 8, 8), TESTDEV_ID);
	assert_int_equal(testdev_read(&d, 9, 2), (TESTDEV_ID >> 8) & 0xffff);
	testdev_write(&d, 0, 8, 0x1122334455667788ULL);
	testdev_write(&d, 2, 1, 0xaa);
	assert_int_equal(testdev_read(&d, 0, 8), 0x1122334455aa7788ULL);
	assert_int_equal(testdev_read(&d, 16, 8), 2);          /* write counter */
	testdev_write(&d, 8, 8, 0);                            /* ID is read-only */
	assert_int_equal(testdev_read(&d, 8, 8), TESTDEV_ID);
	testdev_write(&d, 0x1fe, 2, 0xbeef);
	assert_int_equal(testdev_read(&d, 0x1fe, 2), 0xbeef);
	assert_int_equal(testdev_read(&d, 0x800, 4), 0xffffffff);
	assert_int_equal(testdev_read(&d, 16, 8), 4);
}

/* The test PCI function: BAR0's contents follow the BAR, its MSI goes
 * out through the environment only when the guest enabled it, with the
 * address and data the guest programmed. */
static uint64_t msi_addr_seen;
static uint32_t msi_data_seen;
static int msi_calls;

static int fake_msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx;
	msi_addr_seen = addr;
	msi_data_seen = data;
	msi_calls++;
	return 0;
}

/* A 64 KiB "RAM" at guest-physical 0x10000. */
static uint8_t fake_ram[0x10000];

static int fake_read(void *ctx, uint64_t gpa, void *buf, uint64_t len)
{
	(void)ctx;
	if (gpa < 0x10000 || len > 0x10000 || gpa - 0x10000 > 0x10000 - len)
		return -EFAULT;
	memcpy(buf, fake_ram + (gpa - 0x10000), len);
	return 0;
}

static int fake_write(void *ctx, uint64_t gpa, const void *buf, uint64_t len)
{
	(void)ctx;
	if (gpa < 0x10000 || len > 0x10000 || gpa - 0x10000 > 0x10000 - len)
		return -EFAULT;
	memcpy(fake_ram + (gpa - 0x10000), buf, len);
	return 0;
}

static void cfg_wr(struct vpci *pci, unsigned reg, unsigned size, uint32_t v)
{
	vpci_ecam_write(pci, (uint64_t)TESTDEV_PCI_DEV << 15 | reg, size, v);
}

static uint32_t cfg_rd(struct vpci *pci, unsigned reg, unsigned size)
{
	return vpci_ecam_read(pci, (uint64_t)TESTDEV_PCI_DEV << 15 | reg, size);
}

static void test_testdev_pci(void **state)
{
	static struct testdev d;
	static struct devreg reg;
	struct vpci *pci = malloc(sizeof(*pci));
	const struct dev_env env = { .msi = fake_msi, .mem_read = fake_read,
				     .mem_write = fake_write };
	unsigned msi;
	uint64_t v = 0;

	(void)state;
	assert_non_null(pci);
	testdev_reset(&d);
	devreg_init(&reg);
	vpci_init(pci, &reg);
	assert_int_equal(testdev_pci_add(&d, pci, &env), 0);
	assert_int_equal(cfg_rd(pci, 0, 4), TESTDEV_PCI_DEVICE << 16 | TESTDEV_PCI_VENDOR);
	cfg_wr(pci, VPCI_BAR0, 4, 0xc0000000);
	cfg_wr(pci, VPCI_COMMAND, 2, VPCI_CMD_MEMORY);
	assert_int_equal(devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000000, 8, false, &v), 0);
	assert_int_equal(v, TESTDEV_PCI_ID);
	assert_int_equal(devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000008, 8, false, &v), 0);
	assert_int_equal(v, 0xc0000000);
	v = 0x12345678;
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000010, 4, true, &v);
	assert_int_equal(devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000010, 4, false, &v), 0);
	assert_int_equal(v, 0x12345678);
	/* The second capability is MSI. */
	msi = cfg_rd(pci, cfg_rd(pci, VPCI_CAP_PTR, 1) + 1, 1);
	assert_int_equal(cfg_rd(pci, msi, 1), 0x05);
	/* Off: the doorbell sends nothing. */
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000018, 4, true, &v);
	assert_int_equal(msi_calls, 0);
	cfg_wr(pci, msi + 4, 4, 0xfee01003);     /* bits 1:0 are not writable */
	cfg_wr(pci, msi + 8, 2, 0x4051);
	cfg_wr(pci, msi + 2, 2, 0xffff);         /* only MSI Enable sticks */
	assert_int_equal(cfg_rd(pci, msi + 2, 2), 1);
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000018, 4, true, &v);
	assert_int_equal(msi_calls, 1);
	assert_int_equal(msi_addr_seen, 0xfee01000);
	assert_int_equal(msi_data_seen, 0x4051);
	assert_int_equal(d.msis, 1);
	/* DMA: into RAM, back out of it, refused where RAM ends. */
	v = 0x10100;
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000020, 8, true, &v);
	v = 1;
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000028, 4, true, &v);
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000038, 4, false, &v);
	assert_int_equal(v, 0);
	assert_memory_equal(fake_ram + 0x100, "VATRTPCI", 8);
	fake_ram[0x108] = 0x5a;
	v = 0x10101;
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000020, 8, true, &v);
	v = 2;
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000028, 4, true, &v);
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000030, 8, false, &v);
	assert_int_equal(v, 0x5a49435054525441ULL);    /* "ATRTPCI" then 0x5a */
	v = 0x1fffc;                                   /* 8 bytes from 4 before the end */
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000020, 8, true, &v);
	v = 1;
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000028, 4, true, &v);
	devreg_access(&reg, DEVREG_MMIO, NULL, 0xc0000038, 4, false, &v);
	assert_int_equal(v, 1);
	assert_int_equal(fake_ram[0xfffc], 0);
	free(pci);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uart_tx_and_lsr),
		cmocka_unit_test(test_uart_divisor_and_scratch),
		cmocka_unit_test(test_uart_rx_and_loopback),
		cmocka_unit_test(test_uart_irq),
		cmocka_unit_test(test_testdev),
		cmocka_unit_test(test_testdev_pci),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
