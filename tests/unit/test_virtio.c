/* Unit tests for vmm/dev/virtio_pci.c and vmm/dev/virtio_blk.c: the PCI
 * header and vendor capabilities as a driver finds them, feature
 * negotiation (VERSION_1 required, unknown bits refused), status and
 * reset, MSI-X with masking and pending bits, INTx with the ISR, the PCI
 * configuration access capability, and block requests (read, write,
 * flush, get-id, discard, read-only, out of range), then a hostile ring
 * putting the device into DEVICE_NEEDS_RESET with one log line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/virtio_blk.h"
#include "vmm/dev/virtio_net.h"
#include "vmm/dev/virtio_console.h"
#include "lib/errno.h"

#define RAM_SIZE 0x40000u
#define BAR	 0xe0000000u
#define DEVNO	 3
#define QSZ	 16
#define DESC	 0x1000u
#define AVAIL	 0x2000u
#define USED	 0x3000u

static uint8_t ram[RAM_SIZE];
static uint8_t image[64 * 512];
static struct vdisk disk;
static struct virtio_blk blk;
static struct vpci pci;
static struct devreg reg;
static struct virtq_req req;
static unsigned nmsi, nlog, irq_level;
static uint64_t msi_addr_seen;
static uint32_t msi_data_seen;
static char last_log[160];

static int mread(void *ctx, uint64_t gpa, void *buf, uint64_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int mwrite(void *ctx, uint64_t gpa, const void *buf, uint64_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static int msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx;
	nmsi++;
	msi_addr_seen = addr;
	msi_data_seen = data;
	return 0;
}

static void irq(void *ctx, unsigned line, bool level)
{
	(void)ctx;
	assert_int_equal(line, 11);
	irq_level = level;
}

static void log_line(struct virtio_dev *d, int q, const char *why)
{
	(void)d;
	nlog++;
	snprintf(last_log, sizeof(last_log), "queue %d: %s", q, why);
}

static const struct dev_env env = { .irq_line = irq, .mem_read = mread, .mem_write = mwrite,
				    .msi = msi };

static uint32_t cfg_rd(unsigned off, unsigned size)
{
	return vpci_ecam_read(&pci, (uint64_t)DEVNO << 15 | off, size);
}

static void cfg_wr(unsigned off, unsigned size, uint32_t v)
{
	vpci_ecam_write(&pci, (uint64_t)DEVNO << 15 | off, size, v);
}

static uint64_t bar_rd(uint64_t off, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(devreg_access(&reg, DEVREG_MMIO, NULL, BAR + off, size, false, &v), 0);
	return v;
}

static void bar_wr(uint64_t off, unsigned size, uint64_t v)
{
	assert_int_equal(devreg_access(&reg, DEVREG_MMIO, NULL, BAR + off, size, true, &v), 0);
}

static int setup_ro(bool ro)
{
	memset(ram, 0, sizeof(ram));
	for (unsigned i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 7 + i / 512);
	disk = (struct vdisk){ .data = image, .size = sizeof(image) + 100, .ro = ro };
	strcpy(disk.id, "web.img");
	devreg_init(&reg);
	vpci_init(&pci, &reg);
	nmsi = nlog = irq_level = 0;
	if (virtio_blk_add(&blk, &disk, &pci, DEVNO, BAR, &env, RAM_SIZE, &req, 11))
		return -1;
	blk.dev.log = log_line;
	return 0;
}

static int setup(void **state) { (void)state; return setup_ro(false); }
static int setup_rdonly(void **state) { (void)state; return setup_ro(true); }

/* Walks the capability list for vendor capability cfg_type t. */
static unsigned find_vcap(unsigned t)
{
	for (unsigned p = cfg_rd(0x34, 1); p; p = cfg_rd(p + 1, 1))
		if (cfg_rd(p, 1) == 0x09 && cfg_rd(p + 3, 1) == t)
			return p;
	return 0;
}

static void test_header_and_caps(void **state)
{
	(void)state;
	assert_int_equal(cfg_rd(0, 2), 0x1af4);
	assert_int_equal(cfg_rd(2, 2), 0x1042);
	assert_int_equal(cfg_rd(8, 1), 1);              /* revision 1: modern */
	assert_int_equal(cfg_rd(0x2e, 2), 0x1042);      /* subsystem */
	assert_int_equal(cfg_rd(0x3d, 1), 1);           /* INTA */
	assert_int_equal(cfg_rd(0x10, 4), BAR);         /* assigned, decoding */
	assert_true(cfg_rd(4, 2) & VPCI_CMD_MEMORY);
	unsigned c = find_vcap(1), n = find_vcap(2), i = find_vcap(3), dv = find_vcap(4),
		 pc = find_vcap(5);
	assert_true(c && n && i && dv && pc);
	assert_int_equal(cfg_rd(c + 4, 1), 0);          /* BAR 0 */
	assert_int_equal(cfg_rd(c + 8, 4), VIRTIO_BAR_COMMON);
	assert_int_equal(cfg_rd(c + 12, 4), VIRTIO_COMMON_SIZE);
	assert_int_equal(cfg_rd(n + 2, 1), 20);         /* cap_len with the multiplier */
	assert_int_equal(cfg_rd(n + 8, 4), VIRTIO_BAR_NOTIFY);
	assert_int_equal(cfg_rd(n + 16, 4), VIRTIO_NOTIFY_MULT);
	assert_int_equal(cfg_rd(i + 8, 4), VIRTIO_BAR_ISR);
	assert_int_equal(cfg_rd(dv + 8, 4), VIRTIO_BAR_DEVICE);
	/* The BAR sizes as 32 KiB of 32-bit memory. */
	cfg_wr(0x10, 4, 0xffffffff);
	assert_int_equal(cfg_rd(0x10, 4), 0xffff8000u);
	cfg_wr(0x10, 4, BAR);
	/* MSI-X: table in BAR 0 at 0x4000, PBA at 0x5000, 5 vectors. */
	unsigned m = 0;
	for (unsigned p = cfg_rd(0x34, 1); p; p = cfg_rd(p + 1, 1))
		if (cfg_rd(p, 1) == 0x11)
			m = p;
	assert_true(m);
	assert_int_equal(cfg_rd(m + 2, 2) & 0x7ff, VIRTIO_MSIX_VECTORS - 1);
	assert_int_equal(cfg_rd(m + 4, 4), VIRTIO_BAR_MSIX);
	assert_int_equal(cfg_rd(m + 8, 4), VIRTIO_BAR_PBA);
	/* Device configuration: capacity in whole sectors, blk_size. */
	assert_int_equal(bar_rd(VIRTIO_BAR_DEVICE, 8), 64);
	assert_int_equal(bar_rd(VIRTIO_BAR_DEVICE + 20, 4), 512);
	assert_int_equal(bar_rd(VIRTIO_BAR_COMMON + 0x12, 2), 1);   /* num_queues */
}

static uint64_t device_features(void)
{
	bar_wr(0x00, 4, 0);
	uint64_t lo = bar_rd(0x04, 4);
	bar_wr(0x00, 4, 1);
	return lo | bar_rd(0x04, 4) << 32;
}

static void driver_features(uint64_t f)
{
	bar_wr(0x08, 4, 0);
	bar_wr(0x0c, 4, (uint32_t)f);
	bar_wr(0x08, 4, 1);
	bar_wr(0x0c, 4, f >> 32);
}

static void test_features(void **state)
{
	(void)state;
	uint64_t f = device_features();

	assert_true(f & VIRTIO_F_VERSION_1);
	assert_true(f & VIRTIO_F_INDIRECT_DESC);
	assert_true(f & VIRTIO_F_EVENT_IDX);
	assert_true(f & VBLK_F_FLUSH);
	assert_false(f & VBLK_F_RO);
	bar_wr(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Without VERSION_1: FEATURES_OK does not stick. */
	driver_features(VBLK_F_FLUSH);
	bar_wr(0x14, 1, 3 | VIRTIO_STATUS_FEATURES_OK);
	assert_false(bar_rd(0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
	/* A bit never offered (VIRTIO_F_ACCESS_PLATFORM, 33): refused too. */
	driver_features(VIRTIO_F_VERSION_1 | (1ull << 33));
	bar_wr(0x14, 1, 3 | VIRTIO_STATUS_FEATURES_OK);
	assert_false(bar_rd(0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
	/* DRIVER_OK without FEATURES_OK: not live. */
	bar_wr(0x14, 1, 3 | VIRTIO_STATUS_DRIVER_OK);
	assert_false(virtio_live(&blk.dev));
	driver_features(VIRTIO_F_VERSION_1 | VBLK_F_FLUSH);
	bar_wr(0x14, 1, 3 | VIRTIO_STATUS_FEATURES_OK);
	assert_true(bar_rd(0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
	/* Features are fixed once accepted. */
	driver_features(VIRTIO_F_VERSION_1);
	bar_wr(0x08, 4, 0);
	assert_int_equal(bar_rd(0x0c, 4), (uint32_t)VBLK_F_FLUSH);
	bar_wr(0x14, 1, 0xf);
	assert_true(virtio_live(&blk.dev));
	assert_string_equal(virtio_state(&blk.dev), "live");
	/* Reset: status 0, features gone. */
	bar_wr(0x14, 1, 0);
	assert_int_equal(bar_rd(0x14, 1), 0);
	assert_int_equal(blk.dev.driver_features, 0);
	assert_string_equal(virtio_state(&blk.dev), "reset");
}

static void test_readonly_offers_ro(void **state)
{
	(void)state;
	uint64_t f = device_features();

	assert_true(f & VBLK_F_RO);
	assert_false(f & VBLK_F_DISCARD);
}

/* Brings the device up with one queue of QSZ at DESC/AVAIL/USED; with
 * msix, MSI-X on with queue vector 1. */
static void bring_up(bool msix, bool event_idx)
{
	bar_wr(0x14, 1, 3);
	driver_features(device_features() & (VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC |
			(event_idx ? VIRTIO_F_EVENT_IDX : 0) | VBLK_F_FLUSH | VBLK_F_DISCARD));
	bar_wr(0x14, 1, 0xb);
	bar_wr(0x16, 2, 0);
	assert_int_equal(bar_rd(0x18, 2), VIRTIO_QUEUE_SIZE);
	bar_wr(0x18, 2, QSZ);
	bar_wr(0x20, 4, DESC);
	bar_wr(0x24, 4, 0);
	bar_wr(0x28, 8, AVAIL);
	bar_wr(0x30, 8, USED);
	if (msix) {
		bar_wr(0x1a, 2, 1);
		bar_wr(VIRTIO_BAR_MSIX + 16, 8, 0xfee00000);
		bar_wr(VIRTIO_BAR_MSIX + 24, 4, 0x41);
		bar_wr(VIRTIO_BAR_MSIX + 28, 4, 0);   /* unmask */
		unsigned m = 0;
		for (unsigned p = cfg_rd(0x34, 1); p; p = cfg_rd(p + 1, 1))
			if (cfg_rd(p, 1) == 0x11)
				m = p;
		cfg_wr(m + 2, 2, 0x8000);
	}
	bar_wr(0x1c, 2, 1);
	bar_wr(0x14, 1, 0xf);
	assert_true(virtio_live(&blk.dev));
}

static void put16(uint64_t a, uint16_t v) { ram[a] = (uint8_t)v; ram[a + 1] = (uint8_t)(v >> 8); }
static uint16_t get16(uint64_t a) { return (uint16_t)(ram[a] | ram[a + 1] << 8); }
static uint32_t get32(uint64_t a) { return get16(a) | (uint32_t)get16(a + 2) << 16; }

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = ram + DESC + 16 * i;

	for (int k = 0; k < 8; k++)
		d[k] = (uint8_t)(addr >> (8 * k));
	for (int k = 0; k < 4; k++)
		d[8 + k] = (uint8_t)(len >> (8 * k));
	put16(DESC + 16 * i + 12, flags);
	put16(DESC + 16 * i + 14, next);
}

static void offer_and_kick(uint16_t head)
{
	uint16_t idx = get16(AVAIL + 2);

	put16(AVAIL + 4 + 2 * (idx % QSZ), head);
	put16(AVAIL + 2, (uint16_t)(idx + 1));
	bar_wr(VIRTIO_BAR_NOTIFY, 2, 0);
}

/* A request at head 0: header at 0x4000, data at 0x5000 (len bytes,
 * writable for reads), status at 0x6000. Returns the status byte. */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, bool data_in)
{
	uint8_t *h = ram + 0x4000;

	memset(h, 0, 16);
	h[0] = (uint8_t)type;
	for (int k = 0; k < 8; k++)
		h[8 + k] = (uint8_t)(sector >> (8 * k));
	ram[0x6000] = 0xee;
	desc(0, 0x4000, 16, VIRTQ_DESC_F_NEXT, len ? 1 : 2);
	desc(1, 0x5000, len, VIRTQ_DESC_F_NEXT | (data_in ? VIRTQ_DESC_F_WRITE : 0), 2);
	desc(2, 0x6000, 1, VIRTQ_DESC_F_WRITE, 0);
	offer_and_kick(0);
	return ram[0x6000];
}

static void test_read_write_msix(void **state)
{
	(void)state;
	bring_up(true, false);
	assert_int_equal(request(VBLK_T_IN, 2, 1024, true), VBLK_S_OK);
	assert_memory_equal(ram + 0x5000, image + 1024, 1024);
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(get32(USED + 8), 1025);
	assert_int_equal(nmsi, 1);
	assert_int_equal(msi_addr_seen, 0xfee00000);
	assert_int_equal(msi_data_seen, 0x41);
	memset(ram + 0x5000, 0xab, 512);
	assert_int_equal(request(VBLK_T_OUT, 63, 512, false), VBLK_S_OK);
	assert_int_equal(image[63 * 512], 0xab);
	assert_int_equal(image[63 * 512 + 511], 0xab);
	/* Past the end (the partial last sector is not on the disk). */
	assert_int_equal(request(VBLK_T_IN, 63, 1024, true), VBLK_S_IOERR);
	assert_int_equal(request(VBLK_T_OUT, 64, 512, false), VBLK_S_IOERR);
	assert_int_equal(request(VBLK_T_IN, ~0ull, 512, true), VBLK_S_IOERR);
	assert_int_equal(request(VBLK_T_IN, 0, 100, true), VBLK_S_IOERR);
	assert_int_equal(request(VBLK_T_FLUSH, 0, 0, false), VBLK_S_OK);
	assert_int_equal(request(VBLK_T_GET_ID, 0, 20, true), VBLK_S_OK);
	assert_string_equal((char *)ram + 0x5000, "web.img");
	assert_int_equal(request(99, 0, 0, false), VBLK_S_UNSUPP);
	/* Discard sectors 4-5: they read zeros. */
	uint8_t *s = ram + 0x5000;
	memset(s, 0, 16);
	s[0] = 4;
	s[8] = 2;
	assert_int_equal(request(VBLK_T_DISCARD, 0, 16, false), VBLK_S_OK);
	for (unsigned i = 4 * 512; i < 6 * 512; i++)
		assert_int_equal(image[i], 0);
	assert_int_not_equal(image[6 * 512 + 1], 0);
	/* A vector past the table is refused: it reads back NO_VECTOR. */
	bar_wr(0x1a, 2, VIRTIO_MSIX_VECTORS);
	assert_int_equal(bar_rd(0x1a, 2), VIRTIO_NO_VECTOR);
	bar_wr(0x10, 2, 7);
	assert_int_equal(bar_rd(0x10, 2), VIRTIO_NO_VECTOR);
	bar_wr(0x1a, 2, 1);
	/* A masked vector goes pending, and out once unmasked. */
	unsigned before = nmsi;
	bar_wr(VIRTIO_BAR_MSIX + 28, 4, 1);
	assert_int_equal(request(VBLK_T_FLUSH, 0, 0, false), VBLK_S_OK);
	assert_int_equal(nmsi, before);
	assert_int_equal(bar_rd(VIRTIO_BAR_PBA, 8), 2);
	bar_wr(VIRTIO_BAR_MSIX + 28, 4, 0);
	assert_int_equal(nmsi, before + 1);
	assert_int_equal(bar_rd(VIRTIO_BAR_PBA, 8), 0);
	assert_int_equal(disk.reads, 1);
	assert_int_equal(disk.writes, 1);
	assert_int_equal(disk.errors, 4);
	assert_int_equal(nlog, 0);
}

static void test_readonly_refuses_writes(void **state)
{
	(void)state;
	bring_up(false, false);
	uint8_t keep = image[0];
	memset(ram + 0x5000, 0x11, 512);
	assert_int_equal(request(VBLK_T_OUT, 0, 512, false), VBLK_S_IOERR);
	assert_int_equal(image[0], keep);
	assert_int_equal(request(VBLK_T_IN, 0, 512, true), VBLK_S_OK);
}

static void test_intx(void **state)
{
	(void)state;
	bring_up(false, false);
	assert_int_equal(request(VBLK_T_FLUSH, 0, 0, false), VBLK_S_OK);
	assert_int_equal(nmsi, 0);
	assert_int_equal(irq_level, 1);
	assert_int_equal(bar_rd(VIRTIO_BAR_ISR, 1), 1);   /* queue interrupt */
	assert_int_equal(irq_level, 0);                   /* read clears it */
	assert_int_equal(bar_rd(VIRTIO_BAR_ISR, 1), 0);
	/* Interrupt Disable holds the line low. */
	cfg_wr(4, 2, VPCI_CMD_MEMORY | VPCI_CMD_INTX_DISABLE);
	assert_int_equal(request(VBLK_T_FLUSH, 0, 0, false), VBLK_S_OK);
	assert_int_equal(irq_level, 0);
	cfg_wr(4, 2, VPCI_CMD_MEMORY);
	assert_int_equal(irq_level, 1);
	/* The driver asked for no interrupts. */
	bar_rd(VIRTIO_BAR_ISR, 1);
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(request(VBLK_T_FLUSH, 0, 0, false), VBLK_S_OK);
	assert_int_equal(irq_level, 0);
}

static void test_event_idx_suppresses(void **state)
{
	(void)state;
	bring_up(true, true);
	put16(AVAIL + 4 + 2 * QSZ, 5);   /* used_event: after entry 5 */
	for (int i = 0; i < 5; i++)
		assert_int_equal(request(VBLK_T_FLUSH, 0, 0, false), VBLK_S_OK);
	assert_int_equal(nmsi, 1);        /* the first decision, nothing until 5 */
	assert_int_equal(request(VBLK_T_FLUSH, 0, 0, false), VBLK_S_OK);
	assert_int_equal(nmsi, 2);
	/* avail_event tells the driver where we look next. */
	assert_int_equal(get16(USED + 4 + 8 * QSZ), 6);
}

static void test_pci_cfg_access(void **state)
{
	(void)state;
	unsigned pc = find_vcap(5);

	/* Read num_queues (common + 0x12, 2 bytes) through the window. */
	cfg_wr(pc + 4, 1, 0);
	cfg_wr(pc + 8, 4, 0x12);
	cfg_wr(pc + 12, 4, 2);
	assert_int_equal(cfg_rd(pc + 16, 4) & 0xffff, 1);
	/* Write the status byte through it. */
	cfg_wr(pc + 8, 4, 0x14);
	cfg_wr(pc + 12, 4, 1);
	cfg_wr(pc + 16, 4, 1);
	assert_int_equal(bar_rd(0x14, 1), 1);
	/* A misaligned or odd window does nothing. */
	cfg_wr(pc + 8, 4, 0x13);
	cfg_wr(pc + 12, 4, 2);
	cfg_wr(pc + 16, 4, 0);
	assert_int_equal(bar_rd(0x14, 1), 1);
}

static void test_bad_ring_needs_reset(void **state)
{
	(void)state;
	bring_up(true, false);
	desc(0, 0x4000, 16, VIRTQ_DESC_F_NEXT, 0);   /* loops onto itself */
	offer_and_kick(0);
	assert_true(bar_rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(nlog, 1);
	assert_string_equal(last_log, "queue 0: loop in a descriptor chain");
	assert_string_equal(virtio_state(&blk.dev), "needs reset");
	/* Nothing more happens until a reset, and no second line. */
	offer_and_kick(0);
	assert_int_equal(nlog, 1);
	/* The driver resets and starts again: works. */
	bar_wr(0x14, 1, 0);
	assert_false(bar_rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	memset(ram + AVAIL, 0, 0x100);
	memset(ram + USED, 0, 0x100);
	bring_up(true, false);
	assert_int_equal(request(VBLK_T_IN, 0, 512, true), VBLK_S_OK);
	assert_memory_equal(ram + 0x5000, image, 512);
}

static void test_bad_queue_setup(void **state)
{
	(void)state;
	bar_wr(0x14, 1, 3);
	driver_features(VIRTIO_F_VERSION_1);
	bar_wr(0x14, 1, 0xb);
	bar_wr(0x18, 2, 12);          /* not a power of two */
	bar_wr(0x20, 8, DESC);
	bar_wr(0x28, 8, AVAIL);
	bar_wr(0x30, 8, RAM_SIZE - 8); /* and past RAM */
	bar_wr(0x1c, 2, 1);
	assert_true(bar_rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(nlog, 1);
}

static void test_request_without_status(void **state)
{
	(void)state;
	bring_up(false, false);
	desc(0, 0x4000, 16, 0, 0);    /* header only */
	offer_and_kick(0);
	assert_true(bar_rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_string_equal(last_log, "queue 0: request without header or status byte");
}

/* ---- virtio-net ---- */

static struct virtio_net net;
static uint8_t sent[2048];
static size_t sent_len;
static unsigned nsent, nready;

static void net_tx(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	nsent++;
	sent_len = len;
	memcpy(sent, frame, len);
}

static void net_ready(void *ctx)
{
	(void)ctx;
	nready++;
}

static int setup_net(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x42 };

	(void)state;
	memset(ram, 0, sizeof(ram));
	devreg_init(&reg);
	vpci_init(&pci, &reg);
	nmsi = nlog = nsent = nready = 0;
	memset(&net, 0, sizeof(net));
	if (virtio_net_add(&net, mac, &pci, DEVNO, BAR, &env, RAM_SIZE, &req, 11))
		return -1;
	net.dev.log = log_line;
	net.tx = net_tx;
	net.rx_ready = net_ready;
	return 0;
}

#define NQ_DESC(q)  (0x1000u + 0x4000u * (q))
#define NQ_AVAIL(q) (0x2000u + 0x4000u * (q))
#define NQ_USED(q)  (0x3000u + 0x4000u * (q))

static void net_up(void)
{
	bar_wr(0x14, 1, 3);
	driver_features(device_features() & (VIRTIO_F_VERSION_1 | VNET_F_MAC));
	bar_wr(0x14, 1, 0xb);
	for (unsigned q = 0; q < 2; q++) {
		bar_wr(0x16, 2, q);
		bar_wr(0x18, 2, QSZ);
		bar_wr(0x20, 8, NQ_DESC(q));
		bar_wr(0x28, 8, NQ_AVAIL(q));
		bar_wr(0x30, 8, NQ_USED(q));
		bar_wr(0x1c, 2, 1);
	}
	bar_wr(0x14, 1, 0xf);
}

static void qdesc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint8_t *d = ram + NQ_DESC(q) + 16 * i;

	for (int k = 0; k < 8; k++)
		d[k] = (uint8_t)(addr >> (8 * k));
	for (int k = 0; k < 4; k++)
		d[8 + k] = (uint8_t)(len >> (8 * k));
	put16(NQ_DESC(q) + 16 * i + 12, flags);
	put16(NQ_DESC(q) + 16 * i + 14, 0);
}

static void qoffer(unsigned q, uint16_t head)
{
	uint16_t idx = get16(NQ_AVAIL(q) + 2);

	put16(NQ_AVAIL(q) + 4 + 2 * (idx % QSZ), head);
	put16(NQ_AVAIL(q) + 2, (uint16_t)(idx + 1));
}

static void test_net_config_and_tx(void **state)
{
	(void)state;
	assert_int_equal(cfg_rd(2, 2), 0x1041);
	assert_int_equal(bar_rd(VIRTIO_BAR_DEVICE + 5, 1), 0x42);
	assert_int_equal(bar_rd(VIRTIO_BAR_DEVICE + 6, 2), 1);   /* link up */
	assert_int_equal(bar_rd(0x12, 2), 2);
	net_up();
	/* A header and a 60-byte frame, in one buffer. */
	memset(ram + 0x10000, 0, VNET_HDR_LEN);
	for (unsigned i = 0; i < 60; i++)
		ram[0x10000 + VNET_HDR_LEN + i] = (uint8_t)i;
	qdesc(1, 0, 0x10000, VNET_HDR_LEN + 60, 0);
	qoffer(1, 0);
	bar_wr(VIRTIO_BAR_NOTIFY + 4, 2, 1);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent_len, 60);
	assert_int_equal(sent[59], 59);
	assert_int_equal(get16(NQ_USED(1) + 2), 1);
	/* Too long for a frame without offloads: dropped, not a ring error. */
	qdesc(1, 1, 0x10000, VNET_HDR_LEN + VNET_FRAME_MAX + 1, 0);
	qoffer(1, 1);
	bar_wr(VIRTIO_BAR_NOTIFY + 4, 2, 1);
	assert_int_equal(nsent, 1);
	assert_int_equal(net.tx_dropped, 1);
	assert_int_equal(get16(NQ_USED(1) + 2), 2);
	assert_true(virtio_live(&net.dev));
}

static unsigned nlater;

static void net_later(void *ctx)
{
	(void)ctx;
	nlater++;
}

/* With tx_defer a kick only marks the queue; frames added meanwhile go
 * out together at the poll, and kicks stay off until then (NO_NOTIFY). */
static void test_net_tx_deferred(void **state)
{
	(void)state;
	nlater = 0;
	net.tx_defer = true;
	net.tx_later = net_later;
	net_up();
	memset(ram + 0x10000, 0, 0x1000);
	for (unsigned i = 0; i < 3; i++) {
		qdesc(1, i, 0x10000 + 0x100 * i, VNET_HDR_LEN + 60, 0);
		qoffer(1, (uint16_t)i);
		if (!(get16(NQ_USED(1)) & VIRTQ_USED_F_NO_NOTIFY))
			bar_wr(VIRTIO_BAR_NOTIFY + 4, 2, 1);
	}
	assert_int_equal(nlater, 1);
	assert_int_equal(nsent, 0);
	assert_true(get16(NQ_USED(1)) & VIRTQ_USED_F_NO_NOTIFY);
	virtio_net_tx_poll(&net);
	assert_int_equal(nsent, 3);
	assert_int_equal(get16(NQ_USED(1) + 2), 3);
	assert_int_equal(get16(NQ_USED(1)), 0);     /* kicks on again */
	virtio_net_tx_poll(&net);                    /* nothing pending: nothing */
	assert_int_equal(nsent, 3);
	/* A reset forgets a pending kick. */
	qdesc(1, 3, 0x10000, VNET_HDR_LEN + 60, 0);
	qoffer(1, 3);
	bar_wr(VIRTIO_BAR_NOTIFY + 4, 2, 1);
	assert_true(net.tx_pending);
	bar_wr(0x14, 1, 0);
	assert_false(net.tx_pending);
}

static void test_net_rx(void **state)
{
	uint8_t f[100];

	(void)state;
	for (unsigned i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)(0xa0 + i);
	/* Not live yet: refused. */
	assert_int_equal(virtio_net_rx(&net, f, sizeof(f)), -EAGAIN);
	net_up();
	/* No buffers posted: refused, and the driver will be asked. */
	assert_int_equal(virtio_net_rx(&net, f, sizeof(f)), -EAGAIN);
	qdesc(0, 0, 0x11000, 1526, VIRTQ_DESC_F_WRITE);
	qoffer(0, 0);
	bar_wr(VIRTIO_BAR_NOTIFY, 2, 0);
	assert_int_equal(nready, 1);
	assert_int_equal(virtio_net_rx(&net, f, sizeof(f)), 0);
	assert_int_equal(get16(NQ_USED(0) + 2), 1);
	assert_int_equal(get32(NQ_USED(0) + 8), VNET_HDR_LEN + sizeof(f));
	assert_int_equal(get16(0x11000 + 10), 1);   /* num_buffers */
	assert_memory_equal(ram + 0x11000 + VNET_HDR_LEN, f, sizeof(f));
	/* A small buffer gets the frame cut to it. */
	qdesc(0, 1, 0x12000, VNET_HDR_LEN + 10, VIRTQ_DESC_F_WRITE);
	qoffer(0, 1);
	assert_int_equal(virtio_net_rx(&net, f, sizeof(f)), 0);
	assert_int_equal(get32(NQ_USED(0) + 16), VNET_HDR_LEN + 10);
	/* A buffer shorter than the header: a bad ring. */
	qdesc(0, 2, 0x12000, 4, VIRTQ_DESC_F_WRITE);
	qoffer(0, 2);
	assert_int_equal(virtio_net_rx(&net, f, sizeof(f)), -EIO);
	assert_true(bar_rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(nlog, 1);
	assert_int_equal(virtio_net_rx(&net, f, sizeof(f)), -EAGAIN);
}

static void test_net_bad_tx_ring(void **state)
{
	(void)state;
	net_up();
	qdesc(1, 0, RAM_SIZE - 4, 64, 0);
	qoffer(1, 0);
	bar_wr(VIRTIO_BAR_NOTIFY + 4, 2, 1);
	assert_int_equal(nsent, 0);
	assert_true(bar_rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_string_equal(last_log, "queue 1: buffer outside the partition's RAM");
}

/* ---- virtio-console ---- */

static struct virtio_console con;
static uint8_t con_buf[1024];
static size_t con_len;

static void con_out(void *ctx, const uint8_t *s, size_t n)
{
	(void)ctx;
	memcpy(con_buf + con_len, s, n);
	con_len += n;
}

static int setup_con(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	devreg_init(&reg);
	vpci_init(&pci, &reg);
	nmsi = nlog = 0;
	con_len = 0;
	if (virtio_console_add(&con, &pci, DEVNO, BAR, &env, RAM_SIZE, &req, 11))
		return -1;
	con.dev.log = log_line;
	con.out = con_out;
	return 0;
}

static void test_console_output(void **state)
{
	(void)state;
	assert_int_equal(cfg_rd(2, 2), 0x1043);
	net_up();   /* the same two-queue bring-up */
	/* 300 bytes over two buffers: in order, whole. */
	for (unsigned i = 0; i < 300; i++)
		ram[0x10000 + i] = (uint8_t)('a' + i % 26);
	qdesc(1, 0, 0x10000, 200, VIRTQ_DESC_F_NEXT);
	put16(NQ_DESC(1) + 14, 1);
	qdesc(1, 1, 0x10000 + 200, 100, 0);
	qoffer(1, 0);
	bar_wr(VIRTIO_BAR_NOTIFY + 4, 2, 1);
	assert_int_equal(con_len, 300);
	assert_memory_equal(con_buf, ram + 0x10000, 300);
	assert_int_equal(con.bytes_out, 300);
	assert_int_equal(get16(NQ_USED(1) + 2), 1);
	assert_int_equal(nmsi, 0);
	assert_int_equal(nlog, 0);
}

static void test_console_input(void **state)
{
	(void)state;
	/* Not live: dropped. */
	assert_int_equal(virtio_console_rx(&con, (const uint8_t *)"x", 1), 0);
	net_up();
	/* Two receive buffers of 4 and 2 bytes: "hello-hvc" fills them, the
	 * rest is dropped and counted. */
	qdesc(0, 0, 0x11000, 4, VIRTQ_DESC_F_WRITE);
	qdesc(0, 1, 0x12000, 2, VIRTQ_DESC_F_WRITE);
	qoffer(0, 0);
	qoffer(0, 1);
	assert_int_equal(virtio_console_rx(&con, (const uint8_t *)"hello-hvc", 9), 6);
	assert_memory_equal(ram + 0x11000, "hell", 4);
	assert_memory_equal(ram + 0x12000, "o-", 2);
	assert_int_equal(get16(NQ_USED(0) + 2), 2);
	assert_int_equal(get32(NQ_USED(0) + 8), 4);
	assert_int_equal(get32(NQ_USED(0) + 16), 2);
	assert_int_equal(con.bytes_in, 6);
	assert_int_equal(con.bytes_dropped, 4);
	/* A device-readable buffer in the receive queue: a bad ring. */
	qdesc(0, 2, 0x13000, 8, 0);
	qoffer(0, 2);
	assert_int_equal(virtio_console_rx(&con, (const uint8_t *)"ab", 2), 0);
	assert_true(bar_rd(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(nlog, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_header_and_caps, setup),
		cmocka_unit_test_setup(test_features, setup),
		cmocka_unit_test_setup(test_readonly_offers_ro, setup_rdonly),
		cmocka_unit_test_setup(test_read_write_msix, setup),
		cmocka_unit_test_setup(test_readonly_refuses_writes, setup_rdonly),
		cmocka_unit_test_setup(test_intx, setup),
		cmocka_unit_test_setup(test_event_idx_suppresses, setup),
		cmocka_unit_test_setup(test_pci_cfg_access, setup),
		cmocka_unit_test_setup(test_bad_ring_needs_reset, setup),
		cmocka_unit_test_setup(test_bad_queue_setup, setup),
		cmocka_unit_test_setup(test_request_without_status, setup),
		cmocka_unit_test_setup(test_net_config_and_tx, setup_net),
		cmocka_unit_test_setup(test_net_tx_deferred, setup_net),
		cmocka_unit_test_setup(test_net_rx, setup_net),
		cmocka_unit_test_setup(test_net_bad_tx_ring, setup_net),
		cmocka_unit_test_setup(test_console_output, setup_con),
		cmocka_unit_test_setup(test_console_input, setup_con),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
