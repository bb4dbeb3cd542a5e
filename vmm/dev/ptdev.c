/* A passed-through function's configuration space. See vmm/dev/ptdev.h. */
#include "vmm/dev/ptdev.h"
#include "vmm/dev/msi.h"
#include "vmm/dev/vlapic.h"
#include "lib/string.h"
#include "lib/errno.h"

#define CAP_ID_MSI 0x05
#define CAP_ID_MSIX 0x11

/* MSI capability (PCI Local Bus 3.0, 6.8.1): Message Control bits. */
#define MSI_CTRL_ENABLE 0x0001u
#define MSI_CTRL_64BIT 0x0080u
#define MSI_CTRL_MASKABLE 0x0100u
/* MSI-X capability (6.8.2): Message Control, Table and PBA registers. */
#define MSIX_CTRL_ENABLE 0x8000u
#define MSIX_CTRL_FMASK 0x4000u
#define MSIX_CAP_LEN 12u
#define MSIX_ENTRY 16
#define MSIX_VEC_MASKED 1u

static bool bar_io(const struct ptdev_bar *b)
{
	return b->type & VPCI_BAR_IO;
}

static bool bar_wide(const struct ptdev_bar *b)
{
	return !bar_io(b) && (b->type & VPCI_BAR_MEM64);
}

/* The BAR register's value for what the guest wrote: address bits above
 * the size, the type bits fixed (PCI Local Bus 3.0, 6.2.5.1). */
static uint32_t bar_value(const struct ptdev_bar *b, uint32_t v)
{
	if (b->upper) {
		const struct ptdev_bar *lo = b - 1;

		return v & (uint32_t)(~(lo->size - 1) >> 32);
	}
	if (!b->size)
		return 0;
	return (v & (uint32_t)~(b->size - 1) & (bar_io(b) ? ~3u : ~15u)) | b->type;
}

uint64_t ptdev_bar_addr(const struct ptdev *d, unsigned i)
{
	const struct ptdev_bar *b = &d->bars[i];
	uint64_t a;

	if (i >= PTDEV_NBARS || b->upper || !b->size)
		return 0;
	a = b->shadow & (bar_io(b) ? ~3u : ~15u);
	if (bar_wide(b) && i + 1 < PTDEV_NBARS)
		a |= (uint64_t)d->bars[i + 1].shadow << 32;
	return a;
}

/* Maps each BAR where the guest has it while its decode bit is on:
 * unmapped first from where it was, when it moved or decode went off. */
static void bars_sync(struct ptdev *d)
{
	for (unsigned i = 0; i < PTDEV_NBARS; i++) {
		struct ptdev_bar *b = &d->bars[i];
		bool on = b->size && !b->upper &&
			  (d->cmd & (bar_io(b) ? VPCI_CMD_IO : VPCI_CMD_MEMORY));
		uint64_t at = ptdev_bar_addr(d, i);

		if (b->mapped && (!on || at != b->mapped_at)) {
			d->env.bar_map(d->env.ctx, i, b->mapped_at, false);
			b->mapped = false;
		}
		if (on && !b->mapped && d->env.bar_map(d->env.ctx, i, at, true) == 0) {
			b->mapped = true;
			b->mapped_at = at;
		}
	}
}

/* ---- MSI ---- */

static unsigned msi_len(const struct ptdev *d)
{
	return d->msi_64 ? (d->msi_maskable ? 0x18 : 0x0e) : (d->msi_maskable ? 0x14 : 0x0a);
}

static unsigned msi_data_off(const struct ptdev *d)
{
	return d->msi_64 ? 0x0c : 0x08;
}

static unsigned msi_mask_off(const struct ptdev *d)
{
	return d->msi_64 ? 0x10 : 0x0c;
}

static bool in_msi(const struct ptdev *d, unsigned reg)
{
	return d->msi_off && reg >= d->msi_off && reg < d->msi_off + msi_len(d);
}

static void msi_sync(struct ptdev *d)
{
	bool on = (d->msi_ctrl & MSI_CTRL_ENABLE) && !(d->msi_maskable && (d->msi_mask & 1));
	uint64_t addr = d->msi_addr_lo | (d->msi_64 ? (uint64_t)d->msi_addr_hi << 32 : 0);
	uint32_t data = d->msi_data;

	if (on == d->msi_on && (!on || (addr == d->msi_cur_addr && data == d->msi_cur_data)))
		return;
	d->msi_on = on;
	d->msi_cur_addr = addr;
	d->msi_cur_data = data;
	if (d->env.msi_update)
		d->env.msi_update(d->env.ctx, on, addr, data);
}

/* One byte of the emulated MSI capability at offset o from its start
 * (o >= 2: the ID and next pointer are the list's). Pending bits
 * (-1) read the device. */
static int msi_read_byte(const struct ptdev *d, unsigned o)
{
	unsigned dat = msi_data_off(d), msk = msi_mask_off(d);
	uint16_t ctrl = (uint16_t)((d->msi_64 ? MSI_CTRL_64BIT : 0) |
				   (d->msi_maskable ? MSI_CTRL_MASKABLE : 0) |
				   (d->msi_ctrl & MSI_CTRL_ENABLE));

	if (o < 4)
		return (uint8_t)(ctrl >> (8 * (o - 2)));
	if (o < 8)
		return (uint8_t)(d->msi_addr_lo >> (8 * (o - 4)));
	if (d->msi_64 && o < 12)
		return (uint8_t)(d->msi_addr_hi >> (8 * (o - 8)));
	if (o < dat + 2)
		return (uint8_t)(d->msi_data >> (8 * (o - dat)));
	if (o < dat + 4)
		return 0;	/* extended message data: not offered */
	if (d->msi_maskable && o < msk + 4)
		return (uint8_t)(d->msi_mask >> (8 * (o - msk)));
	return -1;
}

static void set_byte32(uint32_t *r, unsigned i, uint8_t v, uint32_t mask)
{
	uint32_t nv = (*r & ~(0xffu << (8 * i))) | (uint32_t)v << (8 * i);

	*r = nv & mask;
}

/* Returns whether the byte was the guest's to write. */
static bool msi_write_byte(struct ptdev *d, unsigned o, uint8_t v)
{
	unsigned dat = msi_data_off(d), msk = msi_mask_off(d);

	if (o == 2) {
		/* Enable; Multiple Message Enable stays 0: one vector. */
		d->msi_ctrl = v & MSI_CTRL_ENABLE;
		return true;
	}
	if (o >= 4 && o < 8) {
		/* bits 1:0 of the address are reserved (6.8.1.4) */
		set_byte32(&d->msi_addr_lo, o - 4, v, ~3u);
		return true;
	}
	if (d->msi_64 && o >= 8 && o < 12) {
		set_byte32(&d->msi_addr_hi, o - 8, v, ~0u);
		return true;
	}
	if (o >= dat && o < dat + 2) {
		uint32_t x = d->msi_data;

		set_byte32(&x, o - dat, v, 0xffffu);
		d->msi_data = (uint16_t)x;
		return true;
	}
	if (d->msi_maskable && o >= msk && o < msk + 4) {
		set_byte32(&d->msi_mask, o - msk, v, 1u);	/* one vector */
		return true;
	}
	return false;
}

/* The vCPU whose APIC ID a physical-mode message names, or -1. */
static int dest_index(const struct msi_msg *m, const uint32_t *apic_ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (apic_ids[i] == m->dest)
			return (int)i;
	return -1;
}

int ptdev_msi_check(uint64_t addr, uint32_t data, const uint32_t *apic_ids, unsigned n,
		    const char **why)
{
	struct msi_msg m;

	if (addr >> 32 || msi_decode(addr, data, &m)) {
		*why = "not an interrupt message (address outside 0xfee00000-0xfeefffff or a "
		       "reserved delivery mode)";
		return -EINVAL;
	}
	if (m.mode != VLAPIC_DM_FIXED && m.mode != VLAPIC_DM_LOWEST) {
		*why = "delivery mode other than fixed or lowest priority";
		return -EINVAL;
	}
	if (m.level) {
		*why = "level-triggered";
		return -EINVAL;
	}
	if (m.vector < 16) {
		*why = "vector below 16 (reserved for exceptions)";
		return -EINVAL;
	}
	if (!m.logical && m.dest != 0xff && dest_index(&m, apic_ids, n) < 0) {
		*why = "destination APIC ID is none of the partition's vCPUs";
		return -EINVAL;
	}
	return 0;
}

unsigned ptdev_msi_target(uint64_t addr, uint32_t data, const uint32_t *apic_ids, unsigned n)
{
	struct msi_msg m;

	int i;

	if (msi_decode(addr, data, &m) || m.logical || m.dest == 0xff)
		return 0;
	i = dest_index(&m, apic_ids, n);
	return i < 0 ? 0 : (unsigned)i;
}

/* ---- MSI-X ---- */

static bool in_msix(const struct ptdev *d, unsigned reg)
{
	return d->msix_off && reg >= d->msix_off && reg < d->msix_off + MSIX_CAP_LEN;
}

static void msix_sync_one(struct ptdev *d, unsigned i)
{
	bool on = (d->msix_ctrl & MSIX_CTRL_ENABLE) && !(d->msix_ctrl & MSIX_CTRL_FMASK) &&
		  !(d->msix[i].ctrl & MSIX_VEC_MASKED);
	uint64_t addr = d->msix[i].addr_lo | (uint64_t)d->msix[i].addr_hi << 32;
	uint32_t data = d->msix[i].data;

	if (on == d->msix[i].on &&
	    (!on || (addr == d->msix[i].cur_addr && data == d->msix[i].cur_data)))
		return;
	d->msix[i].on = on;
	d->msix[i].cur_addr = addr;
	d->msix[i].cur_data = data;
	if (d->env.msix_update)
		d->env.msix_update(d->env.ctx, i, on, addr, data);
}

static void msix_set_ctrl(struct ptdev *d, uint16_t ctrl)
{
	bool was = d->msix_ctrl & MSIX_CTRL_ENABLE;

	d->msix_ctrl = ctrl & (MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
	if (!was && (d->msix_ctrl & MSIX_CTRL_ENABLE) && d->env.msix_enable)
		d->env.msix_enable(d->env.ctx, true);
	for (unsigned i = 0; i < d->msix_n; i++)
		msix_sync_one(d, i);
	if (was && !(d->msix_ctrl & MSIX_CTRL_ENABLE) && d->env.msix_enable)
		d->env.msix_enable(d->env.ctx, false);
}

static int msix_read_byte(const struct ptdev *d, unsigned o)
{
	uint16_t ctrl = (uint16_t)((d->msix_n - 1u) | d->msix_ctrl);

	if (o == 2 || o == 3)
		return (uint8_t)(ctrl >> (8 * (o - 2)));
	return -1;		/* Table and PBA offset/BIR: the device's */
}

static void msix_entry_write(struct ptdev *d, unsigned i, unsigned field, uint32_t v)
{
	switch (field) {
	case 0: d->msix[i].addr_lo = v & ~3u; break;	/* bits 1:0 reserved */
	case 4: d->msix[i].addr_hi = v; break;
	case 8: d->msix[i].data = v; break;
	case 12: d->msix[i].ctrl = v & MSIX_VEC_MASKED; break;
	}
	msix_sync_one(d, i);
}

static uint32_t msix_entry_read(const struct ptdev *d, unsigned i, unsigned field)
{
	switch (field) {
	case 0: return d->msix[i].addr_lo;
	case 4: return d->msix[i].addr_hi;
	case 8: return d->msix[i].data;
	default: return d->msix[i].ctrl;
	}
}

int ptdev_msix_access(struct ptdev *d, unsigned bir, uint64_t off, unsigned size, bool write,
		      uint64_t *val)
{
	uint64_t tlen = (uint64_t)d->msix_dev_n * MSIX_ENTRY, plen = (d->msix_dev_n + 63u) / 64 * 8;

	if (!d->msix_off)
		return -ENOENT;
	if (bir == d->msix_table_bir && off >= d->msix_table_off &&
	    off < d->msix_table_off + tlen) {
		uint64_t t = off - d->msix_table_off;
		unsigned i = (unsigned)(t / MSIX_ENTRY), field = (unsigned)(t % MSIX_ENTRY);

		if (!write)
			*val = 0;
		/* Only aligned dword and qword accesses are defined. */
		if ((size != 4 && size != 8) || (t & (size - 1)) || i >= d->msix_n)
			return 0;
		for (unsigned k = 0; k < size / 4; k++, field += 4) {
			if (write)
				msix_entry_write(d, i, field, (uint32_t)(*val >> (32 * k)));
			else
				*val |= (uint64_t)msix_entry_read(d, i, field) << (32 * k);
		}
		return 0;
	}
	if (bir == d->msix_pba_bir && off >= d->msix_pba_off && off < d->msix_pba_off + plen) {
		uint64_t p = off - d->msix_pba_off;

		if (!write)
			*val = p < 8 && (size == 4 || size == 8) && !(p & (size - 1)) ?
			       (d->msix_pending >> (8 * p)) & (size == 8 ? ~0ull : 0xffffffffull) : 0;
		return 0;
	}
	return -ENOENT;
}

unsigned ptdev_trap_ranges(const struct ptdev *d, unsigned bar, uint64_t size,
			   uint64_t off[2], uint64_t len[2])
{
	const uint64_t pg = PTDEV_PAGE - 1;
	uint64_t lo[2], hi[2];
	unsigned n = 0, out = 0;

	if (!size)
		return 0;
	if (size < PTDEV_PAGE) {
		off[0] = 0;
		len[0] = size;
		return 1;
	}
	if (d->msix_off && d->msix_table_bir == bar) {
		lo[n] = d->msix_table_off & ~pg;
		hi[n++] = (d->msix_table_off + (uint64_t)d->msix_dev_n * MSIX_ENTRY + pg) & ~pg;
	}
	if (d->msix_off && d->msix_pba_bir == bar) {
		lo[n] = d->msix_pba_off & ~pg;
		hi[n++] = (d->msix_pba_off + (d->msix_dev_n + 63u) / 64 * 8ull + pg) & ~pg;
	}
	if (n == 2 && lo[1] <= hi[0] && lo[0] <= hi[1]) {
		lo[0] = lo[0] < lo[1] ? lo[0] : lo[1];
		hi[0] = hi[0] > hi[1] ? hi[0] : hi[1];
		n = 1;
	}
	if (n == 2 && lo[1] < lo[0]) {
		uint64_t t = lo[0];

		lo[0] = lo[1];
		lo[1] = t;
		t = hi[0];
		hi[0] = hi[1];
		hi[1] = t;
	}
	for (unsigned k = 0; k < n; k++) {
		if (hi[k] > size)
			hi[k] = size;
		if (hi[k] > lo[k]) {
			off[out] = lo[k];
			len[out++] = hi[k] - lo[k];
		}
	}
	return out;
}

bool ptdev_msix_fire(struct ptdev *d, unsigned i)
{
	if (i >= d->msix_n)
		return false;
	if (d->msix[i].on)
		return true;
	d->msix_pending |= 1ull << i;
	return false;
}

bool ptdev_msix_take(struct ptdev *d, unsigned i)
{
	bool was = i < d->msix_n && (d->msix_pending & (1ull << i));

	if (i < d->msix_n)
		d->msix_pending &= ~(1ull << i);
	return was;
}

/* ---- the capability list ---- */

static const struct ptdev_cap *cap_at(const struct ptdev *d, unsigned reg)
{
	for (unsigned i = 0; i < d->ncaps; i++)
		if (reg == d->caps[i].off || reg == d->caps[i].off + 1u)
			return &d->caps[i];
	return NULL;
}

/* The next visible capability after index i. */
static uint8_t cap_next_visible(const struct ptdev *d, unsigned i)
{
	for (unsigned j = i; j < d->ncaps; j++)
		if (!d->caps[j].hidden)
			return d->caps[j].off;
	return 0;
}

static void caps_walk(struct ptdev *d)
{
	uint8_t seen[256 / 8] = { 0 };
	unsigned ptr;

	d->ncaps = 0;
	if (!(d->env.cfg_read(d->env.ctx, VPCI_STATUS, 2) & VPCI_STATUS_CAP_LIST))
		return;
	ptr = d->env.cfg_read(d->env.ctx, VPCI_CAP_PTR, 1) & 0xfc;
	while (ptr >= 0x40 && d->ncaps < PTDEV_MAX_CAPS && !(seen[ptr / 8] & (1u << (ptr % 8)))) {
		struct ptdev_cap *c = &d->caps[d->ncaps++];

		seen[ptr / 8] |= (uint8_t)(1u << (ptr % 8));
		c->off = (uint8_t)ptr;
		c->id = (uint8_t)d->env.cfg_read(d->env.ctx, ptr, 1);
		/* A second MSI or MSI-X capability is nonsense: hidden. */
		c->hidden = (c->id == CAP_ID_MSIX && d->msix_off) || (c->id == CAP_ID_MSI && d->msi_off);
		if (c->id == CAP_ID_MSIX && !c->hidden) {
			uint16_t ctrl = (uint16_t)d->env.cfg_read(d->env.ctx, ptr + 2, 2);
			uint32_t t = d->env.cfg_read(d->env.ctx, ptr + 4, 4);
			uint32_t pb = d->env.cfg_read(d->env.ctx, ptr + 8, 4);

			/* A table in no BAR (BIR 6, 7 reserved) cannot work. */
			if ((t & 7) > 5 || (pb & 7) > 5 || ptr > 0x100 - MSIX_CAP_LEN) {
				c->hidden = true;
			} else {
				d->msix_off = (uint8_t)ptr;
				d->msix_dev_n = (uint16_t)((ctrl & 0x7ff) + 1);
				d->msix_n = d->msix_dev_n < PTDEV_MSIX_MAX ? d->msix_dev_n :
					    PTDEV_MSIX_MAX;
				d->msix_table_bir = t & 7;
				d->msix_table_off = t & ~7u;
				d->msix_pba_bir = pb & 7;
				d->msix_pba_off = pb & ~7u;
			}
		}
		if (c->id == CAP_ID_MSI && !c->hidden && ptr <= 0x100 - 0x18) {
			uint16_t ctrl = (uint16_t)d->env.cfg_read(d->env.ctx, ptr + 2, 2);

			d->msi_off = (uint8_t)ptr;
			d->msi_64 = ctrl & MSI_CTRL_64BIT;
			d->msi_maskable = ctrl & MSI_CTRL_MASKABLE;
		} else if (c->id == CAP_ID_MSI) {
			c->hidden = true;
		}
		ptr = d->env.cfg_read(d->env.ctx, ptr + 1, 1) & 0xfc;
	}
	d->cap_ptr = cap_next_visible(d, 0);
}

/* ---- set-up ---- */

int ptdev_init(struct ptdev *d, const struct ptdev_env *env,
	       const struct ptdev_bar_info bars[PTDEV_NBARS], const uint64_t gaddr[PTDEV_NBARS])
{
	uint16_t cmd;

	memset(d, 0, sizeof(*d));
	d->env = *env;
	for (unsigned i = 0; i < PTDEV_NBARS; i++) {
		struct ptdev_bar *b = &d->bars[i];
		uint64_t s = bars[i].size;
		uint32_t t = bars[i].type;
		bool io = t & VPCI_BAR_IO, wide = !io && (t & VPCI_BAR_MEM64);

		if (b->upper || !s)
			continue;
		if ((s & (s - 1)) || (io ? t != VPCI_BAR_IO || s < 4 || s > 256 :
		    (t & ~(VPCI_BAR_MEM64 | VPCI_BAR_PREFETCH)) || s < 16 ||
		    (!wide && s > 0x80000000ull)) || (wide && i + 1 >= PTDEV_NBARS))
			return -EINVAL;
		b->size = s;
		b->type = t;
		b->shadow = bar_value(b, (uint32_t)gaddr[i]);
		if (wide) {
			d->bars[i + 1].upper = true;
			d->bars[i + 1].shadow = bar_value(&d->bars[i + 1], (uint32_t)(gaddr[i] >> 32));
		}
	}
	caps_walk(d);
	/* MSI-X vectors come out of reset masked (6.8.2.9). */
	for (unsigned i = 0; i < PTDEV_MSIX_MAX; i++)
		d->msix[i].ctrl = MSIX_VEC_MASKED;
	/* Decode and bus mastering off on the device, as a reset leaves
	 * them (6.2.2); the guest turns them on. */
	cmd = (uint16_t)env->cfg_read(env->ctx, VPCI_COMMAND, 2);
	env->cfg_write(env->ctx, VPCI_COMMAND, 2,
		       cmd & ~(VPCI_CMD_IO | VPCI_CMD_MEMORY | VPCI_CMD_MASTER));
	return 0;
}

void ptdev_shutdown(struct ptdev *d)
{
	d->cmd = 0;
	bars_sync(d);
	d->msi_ctrl = 0;
	msi_sync(d);
	if (d->msix_off)
		msix_set_ctrl(d, 0);
}

/* ---- the guest's accesses ---- */

/* One byte the guest reads; real is the aligned dword of the device
 * holding it, read only when some byte needs it (*have). */
static uint8_t read_byte(struct ptdev *d, unsigned reg, uint32_t *real, bool *have)
{
	const struct ptdev_wl *w = ptdev_wl_byte(reg);
	const struct ptdev_cap *c;
	int m;

	if (reg < 64) {
		if (w->kind == PTDEV_WL_ZERO || (reg == VPCI_INT_PIN && d->intx_hidden))
			return 0;
		if (w->kind == PTDEV_WL_SHADOW) {
			if (reg >= VPCI_BAR0 && reg < VPCI_BAR5_END)
				return (uint8_t)(d->bars[(reg - VPCI_BAR0) / 4].shadow >>
						 (8 * (reg % 4)));
			if (reg == VPCI_CAP_PTR)
				return d->cap_ptr;
			if (reg == VPCI_INT_LINE)
				return d->int_line;
			/* Header Type: never multi-function (bit 7), the
			 * partition sees this one function alone. */
		}
	} else if (reg < VPCI_CFG_SIZE) {
		c = cap_at(d, reg);
		if (c && c->hidden)
			return 0;
		if (c && reg == c->off + 1u)
			return cap_next_visible(d, (unsigned)(c - d->caps) + 1);
		if (in_msi(d, reg) && reg >= d->msi_off + 2u &&
		    (m = msi_read_byte(d, reg - d->msi_off)) >= 0)
			return (uint8_t)m;
		if (in_msix(d, reg) && (m = msix_read_byte(d, reg - d->msix_off)) >= 0)
			return (uint8_t)m;
	}
	if (!*have) {
		*real = d->env.cfg_read(d->env.ctx, reg & ~3u, 4);
		*have = true;
	}
	m = (uint8_t)(*real >> (8 * (reg % 4)));
	if (reg == VPCI_HEADER_TYPE)
		m &= 0x7f;
	return (uint8_t)m;
}

uint32_t ptdev_cfg_read(struct ptdev *d, unsigned reg, unsigned size)
{
	uint32_t val = 0, real = 0;
	bool have = false;

	for (unsigned i = 0; i < size; i++)
		val |= (uint32_t)read_byte(d, reg + i, &real, &have) << (8 * i);
	return val;
}

void ptdev_cfg_write(struct ptdev *d, unsigned reg, unsigned size, uint32_t val)
{
	bool bars = false, msi = false, intx = d->intx_disabled;
	int msix = -1, cmd_w = -1;

	for (unsigned i = 0; i < size; i++) {
		unsigned r = reg + i;
		uint8_t v = (uint8_t)(val >> (8 * i));
		const struct ptdev_wl *w = ptdev_wl_byte(r);

		if (r >= VPCI_CFG_SIZE) {
			d->dropped_writes++;
		} else if (r >= 64) {
			if (in_msi(d, r) && msi_write_byte(d, r - d->msi_off, v))
				msi = true;
			else if (in_msix(d, r) && r == d->msix_off + 3u)
				msix = v << 8;	/* Enable, Function Mask */
			else
				d->dropped_writes++;
		} else if (w->kind == PTDEV_WL_REAL && w->wmask) {
			/* Only the whitelisted bits are the guest's; the
			 * rest keep the device's value, except that a
			 * write-1-to-clear bit is written 0 unless the guest
			 * wrote 1 (writing back a 1 read would clear it). */
			uint8_t cur = (uint8_t)d->env.cfg_read(d->env.ctx, r, 1);
			/* A function without an INTx route keeps INTx
			 * disabled: its line may be someone else's. */
			uint8_t keep = r == VPCI_COMMAND + 1 && d->intx_hidden ? 4 : 0;
			uint8_t nv = (uint8_t)((cur & ~w->wmask & ~w->w1c) | (v & w->wmask) | keep);

			if (r == VPCI_COMMAND || r == VPCI_COMMAND + 1) {
				/* The Command register goes as one 16-bit write
				 * (below): a device may act on it only when its
				 * low byte is written (INTx Disable, in QEMU). */
				if (cmd_w < 0)
					cmd_w = (int)d->env.cfg_read(d->env.ctx, VPCI_COMMAND, 2);
				cmd_w = r == VPCI_COMMAND ? (cmd_w & 0xff00) | nv : (cmd_w & 0xff) | nv << 8;
			} else {
				d->env.cfg_write(d->env.ctx, r, 1, nv);
			}
			if (r == VPCI_COMMAND) {
				d->cmd = (uint16_t)((d->cmd & 0xff00) | (v & w->wmask));
				bars = true;
			}
			if (r == VPCI_COMMAND + 1)
				intx = v & w->wmask & 4;	/* bit 10 */
			if (v & ~w->wmask)
				d->dropped_writes++;
		} else if (w->kind == PTDEV_WL_SHADOW && r >= VPCI_BAR0 && r < VPCI_BAR5_END) {
			struct ptdev_bar *b = &d->bars[(r - VPCI_BAR0) / 4];
			uint32_t x = b->shadow;

			set_byte32(&x, r % 4, v, ~0u);
			b->shadow = bar_value(b, x);
			bars = true;
		} else if (r == VPCI_INT_LINE) {
			d->int_line = v;
		} else {
			d->dropped_writes++;
		}
	}
	if (cmd_w >= 0)
		d->env.cfg_write(d->env.ctx, VPCI_COMMAND, 2, (uint32_t)cmd_w);
	if (bars)
		bars_sync(d);
	if (msi)
		msi_sync(d);
	if (msix >= 0)
		msix_set_ctrl(d, (uint16_t)msix);
	if (intx != d->intx_disabled) {
		d->intx_disabled = intx;
		if (d->env.intx_disable)
			d->env.intx_disable(d->env.ctx, intx);
	}
}

static uint32_t ops_read(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val)
{
	(void)val;
	return ptdev_cfg_read(f->ctx, reg, size);
}

static void ops_write(struct vpci_func *f, unsigned reg, unsigned size, uint32_t val)
{
	ptdev_cfg_write(f->ctx, reg, size, val);
}

const struct vpci_ops ptdev_vpci_ops = { ops_read, ops_write };
