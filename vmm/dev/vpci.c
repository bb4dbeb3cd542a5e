/* PCI configuration space. See vmm/dev/vpci.h. */
#include "vmm/dev/vpci.h"
#include "include/vatra/hotpath.h"
#include "lib/string.h"
#include "lib/errno.h"

/* CONFIG_ADDRESS, PCI Local Bus 3.0 3.2.2.3.2 (Figure 3-2): bit 31 enable,
 * 30:24 reserved (read-only, read as 0), 23:16 bus, 15:11 device, 10:8
 * function, 7:2 register, 1:0 read-only 0. */
#define VPCI_CF8_ENABLE		(1u << 31)
#define VPCI_CF8_WRITABLE	0x80fffffcu

/* ECAM offset fields (PCI Express Base 4.0, 7.2.2). */
#define VPCI_ECAM_BUS_SHIFT	20
#define VPCI_ECAM_DEV_SHIFT	15
#define VPCI_ECAM_FN_SHIFT	12
#define VPCI_ECAM_LIMIT		(1ull << 28)	/* 256 buses */

/*
 * Command bits the host bridge lets the guest set: I/O and memory decode
 * and bus mastering (a host bridge forwards CPU cycles and DMA, so they
 * mean something in principle; the OS may well toggle them), parity error
 * response and SERR# enable. The rest describe features this bridge lacks
 * (special cycles, MWI, VGA palette snoop, fast back-to-back, INTx disable
 * with no interrupt pin) and are hardwired 0, as PCI Local Bus 3.0 6.2.2
 * allows for unimplemented features.
 */
#define VPCI_HB_CMD_WMASK	(VPCI_CMD_IO | VPCI_CMD_MEMORY | VPCI_CMD_MASTER | \
				 VPCI_CMD_PARITY | VPCI_CMD_SERR)

/* All ones of an access's width; 32 bits for a width that is not 1 or 2. */
static uint32_t vpci_ones(unsigned size)
{
	return size == 1 ? 0xffu : size == 2 ? 0xffffu : 0xffffffffu;
}

/* One access must stay within a dword: a configuration transaction
 * addresses one dword and selects bytes within it with byte enables. */
static bool vpci_access_ok(unsigned reg, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && (reg & 3) + size <= 4;
}

static struct vpci_func *vpci_find(struct vpci *p, unsigned bus, unsigned dev, unsigned fn)
{
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		struct vpci_func *f = &p->funcs[i];

		if (f->used && f->bus == bus && f->dev == dev && f->fn == fn)
			return f;
	}
	return NULL;
}

void vpci_cfg_set(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val)
{
	for (unsigned i = 0; i < size && reg + i < VPCI_CFG_SIZE; i++)
		f->cfg[reg + i] = (uint8_t)(val >> (8 * i));
}

static void vpci_wmask_set(struct vpci_func *f, unsigned reg, unsigned size, uint32_t mask)
{
	for (unsigned i = 0; i < size && reg + i < VPCI_CFG_SIZE; i++)
		f->wmask[reg + i] = (uint8_t)(mask >> (8 * i));
}

int vpci_add(struct vpci *p, uint8_t bus, uint8_t dev, uint8_t fn,
	     const struct vpci_ops *ops, void *ctx, struct vpci_func **out)
{
	struct vpci_func *f = NULL;

	if (dev > 31 || fn > 7)
		return -EINVAL;
	if (vpci_find(p, bus, dev, fn))
		return -EEXIST;
	for (unsigned i = 0; i < VPCI_MAX_FUNCS && !f; i++)
		if (!p->funcs[i].used)
			f = &p->funcs[i];
	if (!f)
		return -ENOSPC;
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->pci = p;
	f->cap_end = VPCI_CAP_FIRST;
	for (unsigned i = 0; i < VPCI_NBARS; i++)
		f->bars[i].handle = -1;
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	f->ops = ops;
	f->ctx = ctx;
	if (out)
		*out = f;
	return 0;
}

/*
 * The host bridge, 00:00.0. Identity: Intel 8086:29c0, the 82G33/P35 DRAM
 * controller that Q35-class virtual machines present, rather than a Vatra
 * vendor ID: Vatra has no PCI-SIG vendor ID, and an unassigned one could
 * collide with a real vendor's later. 29c0 is what guests already see as a
 * virtual host bridge: Linux binds nothing to it that needs chipset
 * registers (intel-agp looks for an integrated GPU at 00:02.0, finds none
 * and gives up). Firmware that recognises Q35 by this ID (SeaBIOS, OVMF)
 * would expect the MCH registers (PCIEXBAR, PAM, SMRAM), which are not
 * emulated; the IDs are two defines in vpci.h if that ever matters.
 *
 * Class 06/00/00 (bridge, host bridge), header type 0, single function,
 * no BARs, no capabilities, no interrupt pin. Subsystem IDs stay 0: PCI
 * Local Bus 3.0 6.2.4 exempts base class 06h subclasses 00h-04h.
 */
static void vpci_host_bridge(struct vpci *p)
{
	struct vpci_func *f;

	/* The table is empty: this cannot fail. */
	if (vpci_add(p, 0, 0, 0, NULL, NULL, &f))
		return;
	vpci_cfg_set(f, VPCI_VENDOR_ID, 2, VPCI_HB_VENDOR);
	vpci_cfg_set(f, VPCI_DEVICE_ID, 2, VPCI_HB_DEVICE);
	vpci_cfg_set(f, VPCI_CLASS, 1, 0x06);
	vpci_cfg_set(f, VPCI_SUBCLASS, 1, 0x00);
	vpci_cfg_set(f, VPCI_PROG_IF, 1, 0x00);
	vpci_cfg_set(f, VPCI_HEADER_TYPE, 1, 0x00);
	vpci_wmask_set(f, VPCI_COMMAND, 2, VPCI_HB_CMD_WMASK);
}

void vpci_init(struct vpci *p, struct devreg *reg)
{
	memset(p, 0, sizeof(*p));
	p->reg = reg;
	vpci_host_bridge(p);
}

/* ---- BARs and capabilities ---- */

static uint32_t vpci_cfg_get(const struct vpci_func *f, unsigned reg)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)f->cfg[reg + i] << (8 * i);
	return v;
}

static bool vpci_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int vpci_bar_add(struct vpci_func *f, unsigned idx, uint32_t type, uint64_t size,
		 devreg_fn fn, void *ctx)
{
	unsigned reg = VPCI_BAR0 + 4 * idx;
	bool io = type & VPCI_BAR_IO, wide = type == VPCI_BAR_MEM64 ||
		  type == (VPCI_BAR_MEM64 | VPCI_BAR_PREFETCH);
	uint64_t mask = ~(size - 1);

	if (idx >= VPCI_NBARS || (wide && idx + 1 >= VPCI_NBARS) || !vpci_pow2(size) || !fn)
		return -EINVAL;
	if (io ? type != VPCI_BAR_IO || size < 4 || size > 256 :
	    (type & ~(VPCI_BAR_MEM64 | VPCI_BAR_PREFETCH)) || size < 16 ||
	    (!wide && size > 0x80000000ull))
		return -EINVAL;
	f->bars[idx] = (struct vpci_bar){ size, type, -1, 0, fn, ctx };
	/* Its space's decode bit becomes the guest's to set (6.2.2). */
	f->wmask[VPCI_COMMAND] |= io ? VPCI_CMD_IO : VPCI_CMD_MEMORY;
	/* The address bits above the size are the guest's; the ones below
	 * read 0 and the type bits are fixed, so writing all ones reads back
	 * the size mask with the type (6.2.5.1, "sizing"). */
	vpci_cfg_set(f, reg, 4, type);
	vpci_wmask_set(f, reg, 4, (uint32_t)mask & (io ? ~3u : ~15u));
	if (wide) {
		vpci_cfg_set(f, reg + 4, 4, 0);
		vpci_wmask_set(f, reg + 4, 4, (uint32_t)(mask >> 32));
		f->bars[idx + 1] = (struct vpci_bar){ .handle = -1 };
	}
	return 0;
}

uint64_t vpci_bar_addr(const struct vpci_func *f, unsigned idx)
{
	const struct vpci_bar *b = &f->bars[idx];
	uint32_t lo = vpci_cfg_get(f, VPCI_BAR0 + 4 * idx);

	if (b->type & VPCI_BAR_IO)
		return lo & ~3u;
	if (b->type & VPCI_BAR_MEM64)
		return (lo & ~15ull) | (uint64_t)vpci_cfg_get(f, VPCI_BAR0 + 4 * idx + 4) << 32;
	return lo & ~15u;
}

/* Each BAR decodes where it says while its space is enabled in the
 * Command register (6.2.2: bits 0 and 1); one the decoder refuses (it
 * would overlap another device, or the guest is sizing it with decoding
 * on) decodes nowhere until it is written again. */
static void vpci_bars_sync(struct vpci_func *f)
{
	uint16_t cmd = (uint16_t)(f->cfg[VPCI_COMMAND] | f->cfg[VPCI_COMMAND + 1] << 8);
	struct devreg *reg = f->pci ? f->pci->reg : NULL;

	for (unsigned i = 0; i < VPCI_NBARS && reg; i++) {
		struct vpci_bar *b = &f->bars[i];
		bool io = b->type & VPCI_BAR_IO;
		enum devreg_space s = io ? DEVREG_PIO : DEVREG_MMIO;
		uint64_t addr = vpci_bar_addr(f, i);
		bool on = b->size && (cmd & (io ? VPCI_CMD_IO : VPCI_CMD_MEMORY));

		if (b->handle >= 0 && (!on || addr != b->base)) {
			if (on && !devreg_move(reg, s, b->handle, addr)) {
				b->base = addr;
				continue;
			}
			devreg_del(reg, s, b->handle);
			b->handle = -1;
		}
		if (on && b->handle < 0) {
			b->handle = devreg_add(reg, s, addr, b->size, b->fn, b->ctx);
			b->base = addr;
		}
	}
}

int vpci_cap_add(struct vpci_func *f, uint8_t id, const void *body, unsigned len,
		 unsigned *off)
{
	unsigned at = (f->cap_end + 3) & ~3u, link = VPCI_CAP_PTR;

	if (at + 2 + len > VPCI_CFG_SIZE)
		return -ENOSPC;
	/* Walk to the last capability's next pointer (bits 1:0 of the
	 * pointers are reserved, 6.7). */
	while (f->cfg[link] & ~3u)
		link = (f->cfg[link] & ~3u) + 1;
	f->cfg[link] = (uint8_t)at;
	f->cfg[at] = id;
	f->cfg[at + 1] = 0;
	memcpy(&f->cfg[at + 2], body, len);
	f->cfg[VPCI_STATUS] |= VPCI_STATUS_CAP_LIST;
	f->cap_end = at + 2 + len;
	if (off)
		*off = at;
	return 0;
}

/* ---- one access to a decoded address ---- */

static uint32_t vpci_func_read(struct vpci_func *f, unsigned reg, unsigned size)
{
	uint32_t val = 0;

	/* Unimplemented registers read 0 (PCI Local Bus 3.0, 6.1). Above
	 * the conventional 256 bytes (ECAM only) that is also an extended
	 * capability header saying "no extended capabilities" (PCI Express
	 * Base 4.0, 7.6). */
	if (reg < VPCI_CFG_SIZE)
		for (unsigned i = 0; i < size; i++)
			val |= (uint32_t)f->cfg[reg + i] << (8 * i);
	if (f->ops && f->ops->read)
		val = f->ops->read(f, reg, size, val);
	return val;
}

static void vpci_func_write(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val)
{
	if (reg < VPCI_CFG_SIZE) {
		for (unsigned i = 0; i < size; i++) {
			uint8_t m = f->wmask[reg + i], b = (uint8_t)(val >> (8 * i));

			/* Read-only bits keep their value (PCI Local Bus 3.0
			 * 6.1: writes to reserved or read-only bits have no
			 * effect). */
			f->cfg[reg + i] = (uint8_t)((f->cfg[reg + i] & ~m) | (b & m));
		}
		if (reg < VPCI_BAR5_END && reg + size > VPCI_COMMAND)
			vpci_bars_sync(f);
	}
	if (f->ops && f->ops->write)
		f->ops->write(f, reg, size, val);
}

static uint32_t vpci_read(struct vpci *p, unsigned bus, unsigned dev, unsigned fn,
			  unsigned reg, unsigned size)
{
	struct vpci_func *f = vpci_find(p, bus, dev, fn);

	/* No function there: the access master-aborts, reads all ones. */
	return f ? vpci_func_read(f, reg, size) : vpci_ones(size);
}

static void vpci_write(struct vpci *p, unsigned bus, unsigned dev, unsigned fn,
		       unsigned reg, unsigned size, uint32_t val)
{
	struct vpci_func *f = vpci_find(p, bus, dev, fn);

	if (f)
		vpci_func_write(f, reg, size, val & vpci_ones(size));
}

/* ---- configuration mechanism #1 ---- */

/* CONFIG_ADDRESS is one register for all of the partition's vCPUs, as
 * the chipset's is for all CPUs: each access is one atomic load or store
 * (a vCPU may set it without the partition's lock, vpci_cfc_none). */
EXIT_PATH uint32_t vpci_cf8_read(struct vpci *p)
{
	return __atomic_load_n(&p->cf8, __ATOMIC_RELAXED);
}

EXIT_PATH void vpci_cf8_write(struct vpci *p, uint32_t val)
{
	__atomic_store_n(&p->cf8, val & VPCI_CF8_WRITABLE, __ATOMIC_RELAXED);
}

/* Decodes CONFIG_ADDRESS (read once) plus the CONFIG_DATA port offset.
 * With the enable bit clear a CONFIG_DATA access is plain I/O to nothing.
 * Bus 0 means a type 0 cycle to a device on the root bus, any other bus a
 * type 1 cycle for a bridge; with no bridges both come down to the table
 * lookup. */
static bool vpci_cfc_decode(struct vpci *p, unsigned offset, unsigned size,
			    unsigned *bus, unsigned *dev, unsigned *fn, unsigned *reg)
{
	uint32_t cf8 = vpci_cf8_read(p);

	if (!(cf8 & VPCI_CF8_ENABLE) || offset > 3 || !vpci_access_ok(offset, size))
		return false;
	*bus = (cf8 >> 16) & 0xff;
	*dev = (cf8 >> 11) & 0x1f;
	*fn = (cf8 >> 8) & 0x7;
	*reg = (cf8 & 0xfc) + offset;
	return true;
}

EXIT_PATH bool vpci_cfc_none(struct vpci *p, unsigned offset, unsigned size)
{
	unsigned bus, dev, fn, reg;

	return !vpci_cfc_decode(p, offset, size, &bus, &dev, &fn, &reg) ||
	       !vpci_find(p, bus, dev, fn);
}

uint32_t vpci_cfc_read(struct vpci *p, unsigned offset, unsigned size)
{
	unsigned bus, dev, fn, reg;

	if (!vpci_cfc_decode(p, offset, size, &bus, &dev, &fn, &reg))
		return vpci_ones(size);
	return vpci_read(p, bus, dev, fn, reg, size);
}

void vpci_cfc_write(struct vpci *p, unsigned offset, unsigned size, uint32_t val)
{
	unsigned bus, dev, fn, reg;

	if (vpci_cfc_decode(p, offset, size, &bus, &dev, &fn, &reg))
		vpci_write(p, bus, dev, fn, reg, size, val);
}

/* ---- ECAM ---- */

static bool vpci_ecam_decode(uint64_t off, unsigned size, unsigned *bus,
			     unsigned *dev, unsigned *fn, unsigned *reg)
{
	if (off >= VPCI_ECAM_LIMIT || !vpci_access_ok((unsigned)(off & 3), size))
		return false;
	*bus = (unsigned)(off >> VPCI_ECAM_BUS_SHIFT) & 0xff;
	*dev = (unsigned)(off >> VPCI_ECAM_DEV_SHIFT) & 0x1f;
	*fn = (unsigned)(off >> VPCI_ECAM_FN_SHIFT) & 0x7;
	*reg = (unsigned)off & (VPCI_ECAM_FN_SIZE - 1);
	return true;
}

uint32_t vpci_ecam_read(struct vpci *p, uint64_t off, unsigned size)
{
	unsigned bus, dev, fn, reg;

	if (!vpci_ecam_decode(off, size, &bus, &dev, &fn, &reg))
		return vpci_ones(size);
	return vpci_read(p, bus, dev, fn, reg, size);
}

void vpci_ecam_write(struct vpci *p, uint64_t off, unsigned size, uint32_t val)
{
	unsigned bus, dev, fn, reg;

	if (vpci_ecam_decode(off, size, &bus, &dev, &fn, &reg))
		vpci_write(p, bus, dev, fn, reg, size, val);
}
