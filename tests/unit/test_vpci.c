/* Unit tests for vmm/dev/vpci.c: configuration mechanism #1, ECAM, the
 * host bridge's registers, absent functions and the device table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmm/dev/vpci.h"
#include "lib/errno.h"

static struct vpci *vp;
static struct devreg dreg;

static int setup(void **state)
{
	(void)state;
	vp = malloc(sizeof(*vp));
	if (!vp)
		return -1;
	memset(vp, 0xcc, sizeof(*vp));	/* vpci_init must clear it all */
	devreg_init(&dreg);
	vpci_init(vp, &dreg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(vp);
	return 0;
}

static uint32_t cf8_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint64_t ecam_off(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return (uint64_t)bus << 20 | dev << 15 | fn << 12 | reg;
}

/* Reads through CF8/CFC the way a guest does: address, then data port. */
static uint32_t io_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
	vpci_cf8_write(vp, cf8_addr(bus, dev, fn, reg));
	return vpci_cfc_read(vp, reg & 3, size);
}

static void io_write(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned size,
		     uint32_t val)
{
	vpci_cf8_write(vp, cf8_addr(bus, dev, fn, reg));
	vpci_cfc_write(vp, reg & 3, size, val);
}

static uint32_t ones(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* ---- CONFIG_ADDRESS ---- */

static void test_cf8_latch(void **state)
{
	(void)state;
	assert_int_equal(vpci_cf8_read(vp), 0);
	vpci_cf8_write(vp, 0x80001234);
	assert_int_equal(vpci_cf8_read(vp), 0x80001234);
	/* Reserved bits 30:24 and bits 1:0 are read-only 0. */
	vpci_cf8_write(vp, 0xffffffff);
	assert_int_equal(vpci_cf8_read(vp), 0x80fffffc);
	vpci_cf8_write(vp, 0x7f000003);
	assert_int_equal(vpci_cf8_read(vp), 0);
	vpci_cf8_write(vp, 0x00fffffc);
	assert_int_equal(vpci_cf8_read(vp), 0x00fffffc);
}

static void test_cfc_needs_enable_bit(void **state)
{
	(void)state;
	/* 00:00.0 register 0, enable bit clear: plain I/O to nothing. */
	vpci_cf8_write(vp, 0x00000000);
	assert_int_equal(vpci_cfc_read(vp, 0, 4), 0xffffffff);
	assert_int_equal(vpci_cfc_read(vp, 0, 2), 0xffff);
	assert_int_equal(vpci_cfc_read(vp, 3, 1), 0xff);
	/* ...and writes go nowhere: the command register stays 0. */
	vpci_cf8_write(vp, 0x00000004);
	vpci_cfc_write(vp, 0, 2, VPCI_CMD_MEMORY | VPCI_CMD_MASTER);
	assert_int_equal(io_read(0, 0, 0, VPCI_COMMAND, 2), 0);
	/* Setting the bit makes the same address reach the host bridge. */
	vpci_cf8_write(vp, 0x80000000);
	assert_int_equal(vpci_cfc_read(vp, 0, 4), 0x29c08086);
}

/* ---- host bridge ---- */

static void test_host_bridge_ids_cf8(void **state)
{
	(void)state;
	/* dword */
	assert_int_equal(io_read(0, 0, 0, 0x00, 4), 0x29c08086);
	assert_int_equal(io_read(0, 0, 0, 0x08, 4), 0x06000000);	/* class, rev 0 */
	assert_int_equal(io_read(0, 0, 0, 0x0c, 4), 0x00000000);	/* header type 0 */
	/* words at both halves */
	assert_int_equal(io_read(0, 0, 0, 0x00, 2), 0x8086);
	assert_int_equal(io_read(0, 0, 0, 0x02, 2), 0x29c0);
	assert_int_equal(io_read(0, 0, 0, 0x0a, 2), 0x0600);
	/* bytes at each offset of CONFIG_DATA */
	assert_int_equal(io_read(0, 0, 0, 0x00, 1), 0x86);
	assert_int_equal(io_read(0, 0, 0, 0x01, 1), 0x80);
	assert_int_equal(io_read(0, 0, 0, 0x02, 1), 0xc0);
	assert_int_equal(io_read(0, 0, 0, 0x03, 1), 0x29);
	assert_int_equal(io_read(0, 0, 0, 0x0b, 1), 0x06);	/* base class: bridge */
	assert_int_equal(io_read(0, 0, 0, 0x0a, 1), 0x00);	/* subclass: host */
	assert_int_equal(io_read(0, 0, 0, 0x09, 1), 0x00);	/* prog-if */
	assert_int_equal(io_read(0, 0, 0, 0x0e, 1), 0x00);	/* type 0, single fn */
	/* A word in the middle of the dword (0xcfd-0xcfe). */
	assert_int_equal(io_read(0, 0, 0, 0x01, 2), 0xc080);
	/* Offset + size past 0xcff is not CONFIG_DATA. */
	vpci_cf8_write(vp, cf8_addr(0, 0, 0, 0));
	assert_int_equal(vpci_cfc_read(vp, 3, 2), 0xffff);
	assert_int_equal(vpci_cfc_read(vp, 2, 4), 0xffffffff);
}

static void test_host_bridge_ids_ecam(void **state)
{
	(void)state;
	assert_int_equal(vpci_ecam_read(vp, 0x00, 4), 0x29c08086);
	assert_int_equal(vpci_ecam_read(vp, 0x00, 2), 0x8086);
	assert_int_equal(vpci_ecam_read(vp, 0x02, 2), 0x29c0);
	assert_int_equal(vpci_ecam_read(vp, 0x03, 1), 0x29);
	assert_int_equal(vpci_ecam_read(vp, 0x08, 4), 0x06000000);
	assert_int_equal(vpci_ecam_read(vp, 0x0b, 1), 0x06);
	assert_int_equal(vpci_ecam_read(vp, 0x0e, 1), 0x00);
	/* Every other conventional register reads 0: no BARs, no capability
	 * list (status bit 4 clear, pointer 0), no interrupt pin. */
	for (unsigned reg = 0x10; reg < 0x100; reg += 4)
		assert_int_equal(vpci_ecam_read(vp, reg, 4), 0);
	assert_int_equal(vpci_ecam_read(vp, VPCI_STATUS, 2), 0);
	/* Extended space: an empty extended capability header, all zero. */
	for (unsigned reg = 0x100; reg < 0x1000; reg += 4)
		assert_int_equal(vpci_ecam_read(vp, reg, 4), 0);
	/* ECAM reaches the extended space, CF8 cannot: its register field
	 * is bits 7:2, and bit 8 selects function 1 instead. */
	vpci_cf8_write(vp, 0x80000000 | 0x100);
	assert_int_equal(vpci_cf8_read(vp), 0x80000100);	/* device 0, fn 1 */
	assert_int_equal(vpci_cfc_read(vp, 0, 4), 0xffffffff);
}

static void test_read_only_registers(void **state)
{
	(void)state;
	/* IDs, class and header type ignore writes of every width. */
	io_write(0, 0, 0, 0x00, 4, 0x12345678);
	io_write(0, 0, 0, 0x02, 2, 0xabcd);
	vpci_ecam_write(vp, 0x00, 1, 0x55);
	assert_int_equal(io_read(0, 0, 0, 0x00, 4), 0x29c08086);
	vpci_ecam_write(vp, 0x08, 4, 0xffffffff);
	io_write(0, 0, 0, 0x0e, 1, 0x80);
	assert_int_equal(vpci_ecam_read(vp, 0x08, 4), 0x06000000);
	assert_int_equal(vpci_ecam_read(vp, 0x0c, 4), 0);
	/* BAR sizing writes read back 0: the bridge has no BARs. */
	for (unsigned reg = VPCI_BAR0; reg < 0x28; reg += 4) {
		io_write(0, 0, 0, reg, 4, 0xffffffff);
		assert_int_equal(io_read(0, 0, 0, reg, 4), 0);
	}
	/* Status, cache line size, latency timer, subsystem, capability
	 * pointer, interrupt line/pin, device-specific space. */
	vpci_ecam_write(vp, VPCI_STATUS, 2, 0xffff);
	io_write(0, 0, 0, 0x0c, 1, 0x10);
	io_write(0, 0, 0, 0x0d, 1, 0x40);
	io_write(0, 0, 0, VPCI_SUBSYS_VENDOR, 4, 0x11112222);
	io_write(0, 0, 0, VPCI_CAP_PTR, 1, 0x40);
	io_write(0, 0, 0, VPCI_INT_LINE, 2, 0x010b);
	io_write(0, 0, 0, 0x40, 4, 0xdeadbeef);
	vpci_ecam_write(vp, 0xfc, 4, 0xdeadbeef);
	vpci_ecam_write(vp, 0x100, 4, 0xdeadbeef);
	for (unsigned reg = 0x0c; reg < 0x1000; reg += 4)
		assert_int_equal(vpci_ecam_read(vp, reg, 4), 0);
	assert_int_equal(vpci_ecam_read(vp, VPCI_STATUS, 2), 0);
}

static void test_command_register(void **state)
{
	(void)state;
	assert_int_equal(io_read(0, 0, 0, VPCI_COMMAND, 2), 0);
	/* Only I/O, memory, master, parity response, SERR# stick. */
	io_write(0, 0, 0, VPCI_COMMAND, 2, 0xffff);
	assert_int_equal(io_read(0, 0, 0, VPCI_COMMAND, 2), 0x0147);
	assert_int_equal(vpci_ecam_read(vp, VPCI_COMMAND, 2), 0x0147);
	/* A dword write to 0x04 also hits status, which stays 0. */
	vpci_ecam_write(vp, VPCI_COMMAND, 4, 0xffff0006);
	assert_int_equal(vpci_ecam_read(vp, VPCI_COMMAND, 4), 0x00000006);
	/* A byte write changes the low byte only; SERR# (bit 8) survives. */
	io_write(0, 0, 0, VPCI_COMMAND, 2, VPCI_CMD_SERR | VPCI_CMD_IO);
	io_write(0, 0, 0, VPCI_COMMAND, 1, VPCI_CMD_MASTER);
	assert_int_equal(io_read(0, 0, 0, VPCI_COMMAND, 2), VPCI_CMD_SERR | VPCI_CMD_MASTER);
	/* The high byte on its own: INTx disable (bit 10) is read-only. */
	io_write(0, 0, 0, VPCI_COMMAND + 1, 1, 0x04 | 0x01);
	assert_int_equal(io_read(0, 0, 0, VPCI_COMMAND + 1, 1), 0x01);
	/* Cleared again. */
	vpci_ecam_write(vp, VPCI_COMMAND, 2, 0);
	assert_int_equal(io_read(0, 0, 0, VPCI_COMMAND, 2), 0);
}

static void test_cf8_and_ecam_agree(void **state)
{
	(void)state;
	io_write(0, 0, 0, VPCI_COMMAND, 2, VPCI_CMD_MEMORY);
	assert_int_equal(vpci_ecam_read(vp, VPCI_COMMAND, 2), VPCI_CMD_MEMORY);
	vpci_ecam_write(vp, VPCI_COMMAND, 2, VPCI_CMD_IO | VPCI_CMD_PARITY);
	assert_int_equal(io_read(0, 0, 0, VPCI_COMMAND, 2), VPCI_CMD_IO | VPCI_CMD_PARITY);
	/* The whole conventional space reads the same both ways. */
	for (unsigned reg = 0; reg < 0x100; reg += 4)
		assert_int_equal(io_read(0, 0, 0, reg, 4), vpci_ecam_read(vp, reg, 4));
	/* ECAM accesses leave CONFIG_ADDRESS alone. */
	vpci_cf8_write(vp, 0x80000008);
	vpci_ecam_read(vp, 0, 4);
	vpci_ecam_write(vp, VPCI_COMMAND, 2, 0);
	assert_int_equal(vpci_cf8_read(vp), 0x80000008);
}

/* ---- absent functions ---- */

static void test_absent_all_ones(void **state)
{
	static const unsigned bdf[][3] = {
		{ 0, 0, 1 }, { 0, 1, 0 }, { 0, 2, 0 }, { 0, 31, 7 },
		{ 1, 0, 0 }, { 255, 0, 0 }, { 0x80, 0x10, 3 },
	};
	static const unsigned sizes[] = { 1, 2, 4 };

	(void)state;
	for (size_t k = 0; k < sizeof(bdf) / sizeof(bdf[0]); k++) {
		unsigned b = bdf[k][0], d = bdf[k][1], f = bdf[k][2];

		for (size_t s = 0; s < 3; s++) {
			unsigned sz = sizes[s];

			for (unsigned reg = 0; reg < 0x40; reg += sz) {
				assert_int_equal(io_read(b, d, f, reg, sz), ones(sz));
				assert_int_equal(vpci_ecam_read(vp, ecam_off(b, d, f, reg), sz),
						 ones(sz));
			}
		}
		assert_int_equal(vpci_ecam_read(vp, ecam_off(b, d, f, 0x800), 4), 0xffffffff);
		/* Writes go nowhere and create nothing. */
		io_write(b, d, f, VPCI_COMMAND, 2, 0xffff);
		vpci_ecam_write(vp, ecam_off(b, d, f, 0), 4, 0);
		assert_int_equal(io_read(b, d, f, 0, 4), 0xffffffff);
	}
	/* ...and did not land on the host bridge either. */
	assert_int_equal(io_read(0, 0, 0, VPCI_COMMAND, 2), 0);
	assert_int_equal(io_read(0, 0, 0, 0, 4), 0x29c08086);
}

static void test_ecam_bad_accesses(void **state)
{
	(void)state;
	vpci_ecam_write(vp, VPCI_COMMAND, 2, VPCI_CMD_MEMORY);
	/* Sizes other than 1, 2, 4. */
	assert_int_equal(vpci_ecam_read(vp, 0, 3), 0xffffffff);
	assert_int_equal(vpci_ecam_read(vp, 0, 8), 0xffffffff);
	assert_int_equal(vpci_ecam_read(vp, 0, 0), 0xffffffff);
	/* Crossing a dword. */
	assert_int_equal(vpci_ecam_read(vp, 0x02, 4), 0xffffffff);
	assert_int_equal(vpci_ecam_read(vp, 0x03, 2), 0xffff);
	/* Within a dword but not naturally aligned: one transaction, fine. */
	assert_int_equal(vpci_ecam_read(vp, 0x01, 2), 0xc080);
	/* Beyond bus 255. */
	assert_int_equal(vpci_ecam_read(vp, 1ull << 28, 4), 0xffffffff);
	assert_int_equal(vpci_ecam_read(vp, UINT64_MAX - 3, 4), 0xffffffff);
	/* The same shapes as writes change nothing. */
	vpci_ecam_write(vp, VPCI_COMMAND, 3, 0);
	vpci_ecam_write(vp, VPCI_COMMAND, 8, 0);
	vpci_ecam_write(vp, VPCI_COMMAND - 1, 2, 0);
	vpci_ecam_write(vp, 0x03, 4, 0);
	vpci_ecam_write(vp, (1ull << 28) | VPCI_COMMAND, 2, 0);
	assert_int_equal(vpci_ecam_read(vp, VPCI_COMMAND, 2), VPCI_CMD_MEMORY);
	/* CFC: bad sizes and offsets too. */
	vpci_cf8_write(vp, cf8_addr(0, 0, 0, VPCI_COMMAND));
	vpci_cfc_write(vp, 0, 3, 0);
	vpci_cfc_write(vp, 3, 2, 0);
	vpci_cfc_write(vp, 4, 1, 0);
	assert_int_equal(vpci_cfc_read(vp, 4, 1), 0xff);
	assert_int_equal(vpci_cfc_read(vp, 0, 2), VPCI_CMD_MEMORY);
}

/* ---- the device table ---- */

struct fake_dev {
	unsigned reads, writes;
	unsigned last_reg, last_size;
	uint32_t last_val;
};

static uint32_t fake_read(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val)
{
	struct fake_dev *d = f->ctx;

	d->reads++;
	/* A register computed on the fly, e.g. virtio device-specific. */
	if (reg == 0x40 && size == 4)
		return 0xc0ffee00 | d->writes;
	return val;
}

static void fake_write(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val)
{
	struct fake_dev *d = f->ctx;

	d->writes++;
	d->last_reg = reg;
	d->last_size = size;
	d->last_val = val;
}

static const struct vpci_ops fake_ops = { .read = fake_read, .write = fake_write };

static void test_add_device(void **state)
{
	struct fake_dev dev = { 0 };
	struct vpci_func *f = NULL;

	(void)state;
	/* A virtio-style function at 02:1f.7: every bit of the address
	 * fields decodes the same way through both mechanisms. */
	assert_int_equal(vpci_add(vp, 2, 31, 7, &fake_ops, &dev, &f), 0);
	assert_non_null(f);
	vpci_cfg_set(f, VPCI_VENDOR_ID, 4, 0x10411af4);
	vpci_cfg_set(f, VPCI_REVISION, 4, 0x02000001);
	f->wmask[VPCI_INT_LINE] = 0xff;

	assert_int_equal(io_read(2, 31, 7, 0, 4), 0x10411af4);
	assert_int_equal(vpci_ecam_read(vp, ecam_off(2, 31, 7, 0), 4), 0x10411af4);
	assert_int_equal(vpci_ecam_read(vp, 0x2ff000, 2), 0x1af4);	/* by hand */
	assert_int_equal(io_read(2, 31, 7, 0x0b, 1), 0x02);
	/* Neighbours stay absent. */
	assert_int_equal(io_read(2, 31, 6, 0, 4), 0xffffffff);
	assert_int_equal(io_read(2, 30, 7, 0, 4), 0xffffffff);
	assert_int_equal(io_read(3, 31, 7, 0, 4), 0xffffffff);

	/* The read hook sees every access and can compute values. */
	dev.reads = 0;
	assert_int_equal(vpci_ecam_read(vp, ecam_off(2, 31, 7, 0x40), 4), 0xc0ffee00);
	assert_int_equal(dev.reads, 1);

	/* The write hook gets the guest's value as written; the register
	 * file keeps only writable bits. */
	io_write(2, 31, 7, VPCI_INT_LINE, 2, 0x0a0b);
	assert_int_equal(dev.writes, 1);
	assert_int_equal(dev.last_reg, VPCI_INT_LINE);
	assert_int_equal(dev.last_size, 2);
	assert_int_equal(dev.last_val, 0x0a0b);
	assert_int_equal(io_read(2, 31, 7, VPCI_INT_LINE, 2), 0x000b);
	/* Extended space writes reach the hook too (ECAM only). */
	vpci_ecam_write(vp, ecam_off(2, 31, 7, 0x104), 1, 0x1ff);
	assert_int_equal(dev.writes, 2);
	assert_int_equal(dev.last_reg, 0x104);
	assert_int_equal(dev.last_val, 0xff);		/* masked to the size */
	assert_int_equal(vpci_ecam_read(vp, ecam_off(2, 31, 7, 0x40), 4), 0xc0ffee02);

	/* The host bridge is unaffected. */
	assert_int_equal(io_read(0, 0, 0, 0, 4), 0x29c08086);
}

/* vpci_cfc_none (what a vCPU answers without the partition's lock) says
 * "nothing there" exactly when CONFIG_DATA under that CONFIG_ADDRESS
 * reaches no function: the enable bit clear, an access that does not fit
 * the dword, or an address no function has; then the read is all ones
 * and no device hook sees it. Everywhere else it says no. */
static void test_cfc_none(void **state)
{
	static const unsigned buses[] = { 0, 1, 2, 255 }, devs[] = { 0, 1, 30, 31 },
			      fns[] = { 0, 6, 7 }, regs[] = { 0, 0x40, 0xfc }, sizes[] = { 1, 2, 4 };
	struct fake_dev dev = { 0 };
	struct vpci_func *f = NULL;
	unsigned none = 0, some = 0;

	(void)state;
	assert_int_equal(vpci_add(vp, 2, 31, 7, &fake_ops, &dev, &f), 0);
	for (unsigned en = 0; en < 2; en++)
	for (size_t b = 0; b < 4; b++)
	for (size_t d = 0; d < 4; d++)
	for (size_t fn = 0; fn < 3; fn++)
	for (size_t r = 0; r < 3; r++)
	for (unsigned off = 0; off < 4; off++)
	for (size_t z = 0; z < 3; z++) {
		unsigned bus = buses[b], dv = devs[d], fu = fns[fn], sz = sizes[z];
		bool there = (bus == 0 && dv == 0 && fu == 0) || (bus == 2 && dv == 31 && fu == 7);
		bool reaches = en && there && off + sz <= 4;
		uint32_t cf8 = cf8_addr(bus, dv, fu, regs[r]) & ~(en ? 0u : 0x80000000u);
		unsigned reads = dev.reads;

		vpci_cf8_write(vp, cf8);
		assert_int_equal(vpci_cfc_none(vp, off, sz), !reaches);
		if (!reaches) {
			assert_int_equal(vpci_cfc_read(vp, off, sz), ones(sz));
			assert_int_equal(dev.reads, reads);
			none++;
		} else {
			some++;
		}
		/* It reads CONFIG_ADDRESS and changes nothing. */
		assert_int_equal(vpci_cf8_read(vp), cf8);
	}
	assert_true(none > 0 && some > 0);
}

static void test_add_errors(void **state)
{
	struct vpci_func *f;
	unsigned added = 0;

	(void)state;
	assert_int_equal(vpci_add(vp, 0, 0, 0, NULL, NULL, &f), -EEXIST);
	assert_int_equal(vpci_add(vp, 0, 32, 0, NULL, NULL, &f), -EINVAL);
	assert_int_equal(vpci_add(vp, 0, 0, 8, NULL, NULL, &f), -EINVAL);
	/* The host bridge holds one slot. */
	for (unsigned d = 1; d < 32; d++) {
		int rc = vpci_add(vp, 0, (uint8_t)d, 0, NULL, NULL, &f);

		if (rc == -ENOSPC)
			break;
		assert_int_equal(rc, 0);
		added++;
	}
	assert_int_equal(added, VPCI_MAX_FUNCS - 1);
	assert_int_equal(vpci_add(vp, 1, 0, 0, NULL, NULL, NULL), -ENOSPC);
	/* A plain function (no ops, nothing set) exists: reads 0, not ones. */
	assert_int_equal(io_read(0, 1, 0, 0, 4), 0);
	assert_int_equal(io_read(0, VPCI_MAX_FUNCS, 0, 0, 4), 0xffffffff);
	/* vpci_init starts over with the host bridge only. */
	vpci_init(vp, &dreg);
	assert_int_equal(vpci_cf8_read(vp), 0);
	assert_int_equal(io_read(0, 1, 0, 0, 4), 0xffffffff);
	assert_int_equal(io_read(0, 0, 0, 0, 4), 0x29c08086);
}

/* ---- BARs, capabilities, many functions ---- */

static int bar_fn(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		  bool write, uint64_t *val)
{
	(void)who;
	(void)addr;
	(void)size;
	if (!write)
		*val = (uint64_t)(uintptr_t)ctx + off;
	return 0;
}

static int mmio_rd(uint64_t addr, uint64_t *val)
{
	*val = 0;
	return devreg_access(&dreg, DEVREG_MMIO, NULL, addr, 4, false, val);
}

static void test_bar_sizing_and_move(void **state)
{
	struct vpci_func *f;
	uint64_t v;

	(void)state;
	assert_int_equal(vpci_add(vp, 0, 3, 0, NULL, NULL, &f), 0);
	assert_int_equal(vpci_bar_add(f, 0, VPCI_BAR_MEM32, 0x1000, bar_fn, (void *)0xa000), 0);
	assert_int_equal(vpci_bar_add(f, 2, VPCI_BAR_MEM64 | VPCI_BAR_PREFETCH, 0x200000,
				      bar_fn, (void *)0xb000), 0);
	assert_int_equal(vpci_bar_add(f, 4, VPCI_BAR_IO, 0x20, bar_fn, (void *)0xc000), 0);
	/* Sizing: all ones in, the size mask with the type bits out. */
	io_write(0, 3, 0, VPCI_BAR0, 4, 0xffffffff);
	assert_int_equal(io_read(0, 3, 0, VPCI_BAR0, 4), 0xfffff000);
	io_write(0, 3, 0, VPCI_BAR0 + 8, 4, 0xffffffff);
	io_write(0, 3, 0, VPCI_BAR0 + 12, 4, 0xffffffff);
	assert_int_equal(io_read(0, 3, 0, VPCI_BAR0 + 8, 4), 0xffe0000c);
	assert_int_equal(io_read(0, 3, 0, VPCI_BAR0 + 12, 4), 0xffffffff);
	io_write(0, 3, 0, VPCI_BAR0 + 16, 4, 0xffffffff);
	assert_int_equal(io_read(0, 3, 0, VPCI_BAR0 + 16, 4), 0xffffffe1);
	/* Unused BARs stay 0 whatever is written. */
	io_write(0, 3, 0, VPCI_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(io_read(0, 3, 0, VPCI_BAR0 + 4, 4), 0);
	/* With memory decode off nothing decodes, wherever the BAR is. */
	io_write(0, 3, 0, VPCI_BAR0, 4, 0xc0000000);
	assert_int_equal(mmio_rd(0xc0000000, &v), -ENOENT);
	/* Decode on: there, and only there. */
	io_write(0, 3, 0, VPCI_COMMAND, 2, VPCI_CMD_MEMORY);
	assert_int_equal(mmio_rd(0xc0000010, &v), 0);
	assert_int_equal(v, 0xa010);
	/* Moved through ECAM: the new place decodes, the old one not. */
	vpci_ecam_write(vp, ecam_off(0, 3, 0, VPCI_BAR0), 4, 0xc0100000);
	assert_int_equal(vpci_bar_addr(f, 0), 0xc0100000);
	assert_int_equal(mmio_rd(0xc0100000, &v), 0);
	assert_int_equal(v, 0xa000);
	assert_int_equal(mmio_rd(0xc0000000, &v), -ENOENT);
	/* The 64-bit BAR sat at its sizing address (above 4 GiB, 0xffffffff
	 * ffe00000) while decoding; placed below, it decodes there. */
	io_write(0, 3, 0, VPCI_BAR0 + 12, 4, 0);
	io_write(0, 3, 0, VPCI_BAR0 + 8, 4, 0xc0200000);
	assert_int_equal(vpci_bar_addr(f, 2), 0xc0200000);
	assert_int_equal(mmio_rd(0xc0400000 - 4, &v), 0);
	assert_int_equal(v, 0xb000 + 0x1ffffc);
	/* A move onto another BAR is refused: it decodes nowhere. */
	io_write(0, 3, 0, VPCI_BAR0, 4, 0xc0200000);
	assert_int_equal(mmio_rd(0xc0100000, &v), -ENOENT);
	assert_int_equal(mmio_rd(0xc0200000, &v), 0);
	assert_int_equal(v, 0xb000);
	/* The I/O BAR follows the I/O decode bit. */
	io_write(0, 3, 0, VPCI_BAR0 + 16, 4, 0x1000);
	v = 0;
	assert_int_equal(devreg_access(&dreg, DEVREG_PIO, NULL, 0x1004, 1, false, &v), -ENOENT);
	io_write(0, 3, 0, VPCI_COMMAND, 2, VPCI_CMD_MEMORY | VPCI_CMD_IO);
	assert_int_equal(devreg_access(&dreg, DEVREG_PIO, NULL, 0x1004, 1, false, &v), 0);
	assert_int_equal(v, 0xc004);
	/* Decode off again: all gone. */
	io_write(0, 3, 0, VPCI_COMMAND, 2, 0);
	assert_int_equal(mmio_rd(0xc0200000, &v), -ENOENT);
	assert_int_equal(devreg_access(&dreg, DEVREG_PIO, NULL, 0x1004, 1, false, &v), -ENOENT);
}

static void test_bar_errors(void **state)
{
	struct vpci_func *f;

	(void)state;
	assert_int_equal(vpci_add(vp, 0, 3, 0, NULL, NULL, &f), 0);
	assert_int_equal(vpci_bar_add(f, 6, VPCI_BAR_MEM32, 0x1000, bar_fn, NULL), -EINVAL);
	assert_int_equal(vpci_bar_add(f, 5, VPCI_BAR_MEM64, 0x1000, bar_fn, NULL), -EINVAL);
	assert_int_equal(vpci_bar_add(f, 0, VPCI_BAR_MEM32, 0x1800, bar_fn, NULL), -EINVAL);
	assert_int_equal(vpci_bar_add(f, 0, VPCI_BAR_MEM32, 8, bar_fn, NULL), -EINVAL);
	assert_int_equal(vpci_bar_add(f, 0, VPCI_BAR_IO, 0x200, bar_fn, NULL), -EINVAL);
	assert_int_equal(vpci_bar_add(f, 0, VPCI_BAR_IO | VPCI_BAR_PREFETCH, 0x10, bar_fn, NULL),
			 -EINVAL);
	assert_int_equal(vpci_bar_add(f, 0, VPCI_BAR_MEM32, 0x1000, NULL, NULL), -EINVAL);
}

static void test_capabilities(void **state)
{
	struct vpci_func *f;
	const uint8_t a[] = { 0x04, 'V', 'T' }, b[] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
	uint8_t big[200] = { 0 };
	unsigned off1, off2;

	(void)state;
	assert_int_equal(vpci_add(vp, 0, 4, 0, NULL, NULL, &f), 0);
	assert_int_equal(io_read(0, 4, 0, VPCI_STATUS, 2) & VPCI_STATUS_CAP_LIST, 0);
	assert_int_equal(vpci_cap_add(f, 0x09, a, sizeof(a), &off1), 0);
	assert_int_equal(vpci_cap_add(f, 0x05, b, sizeof(b), &off2), 0);
	assert_int_equal(off1, VPCI_CAP_FIRST);
	assert_int_equal(off2, 0x48);     /* after 5 bytes, dword aligned */
	/* Walked as a guest walks it: status bit, pointer, IDs, links. */
	assert_int_equal(io_read(0, 4, 0, VPCI_STATUS, 2) & VPCI_STATUS_CAP_LIST,
			 VPCI_STATUS_CAP_LIST);
	assert_int_equal(io_read(0, 4, 0, VPCI_CAP_PTR, 1), off1);
	assert_int_equal(io_read(0, 4, 0, off1, 4), 0x56040000u | off2 << 8 | 0x09);
	assert_int_equal(io_read(0, 4, 0, off2, 2), 0x0005);
	assert_int_equal(vpci_ecam_read(vp, ecam_off(0, 4, 0, off2 + 4), 4), 0x66554433);
	/* The list is read-only to the guest. */
	io_write(0, 4, 0, off1, 4, 0);
	assert_int_equal(io_read(0, 4, 0, off1, 1), 0x09);
	assert_int_equal(vpci_cap_add(f, 0x10, big, sizeof(big), NULL), -ENOSPC);
}

/* More than 8 functions, on several devices and buses, all reachable
 * both ways and distinct. */
static void test_many_functions(void **state)
{
	struct vpci_func *f;
	unsigned n = 0;

	(void)state;
	for (unsigned bus = 0; bus < 3; bus++)
		for (unsigned d = 1; d < 3; d++)
			for (unsigned fn = 0; fn < 2; fn++, n++) {
				assert_int_equal(vpci_add(vp, (uint8_t)bus, (uint8_t)d, (uint8_t)fn,
							  NULL, NULL, &f), 0);
				vpci_cfg_set(f, VPCI_VENDOR_ID, 4, 0x10000000u * bus + 0x100000u * d +
					     0x10000u * fn + 0x1234);
			}
	assert_true(n > 8);
	for (unsigned bus = 0; bus < 3; bus++)
		for (unsigned d = 1; d < 3; d++)
			for (unsigned fn = 0; fn < 2; fn++) {
				uint32_t want = 0x10000000u * bus + 0x100000u * d + 0x10000u * fn + 0x1234;

				assert_int_equal(io_read(bus, d, fn, 0, 4), want);
				assert_int_equal(vpci_ecam_read(vp, ecam_off(bus, d, fn, 0), 4), want);
			}
	assert_int_equal(io_read(3, 1, 0, 0, 4), 0xffffffff);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_bar_sizing_and_move),
		T(test_bar_errors),
		T(test_capabilities),
		T(test_many_functions),
		T(test_cf8_latch),
		T(test_cfc_needs_enable_bit),
		T(test_host_bridge_ids_cf8),
		T(test_host_bridge_ids_ecam),
		T(test_read_only_registers),
		T(test_command_register),
		T(test_cf8_and_ecam_agree),
		T(test_absent_all_ones),
		T(test_ecam_bad_accesses),
		T(test_add_device),
		T(test_add_errors),
		T(test_cfc_none),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
