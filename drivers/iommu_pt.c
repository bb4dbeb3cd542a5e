/* VT-d second-level and AMD-Vi I/O page-table formats. See iommu_pt.h. */
#include "drivers/iommu_pt.h"

#define IOPT_ADDR 0x000ffffffffff000ULL

static uint64_t span(unsigned level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

/* ---- VT-d second level ---- */

#define SL_R (1ULL << 0)
#define SL_W (1ULL << 1)
#define SL_PS (1ULL << 7)

static bool vtd_present(uint64_t e)
{
	return e & (SL_R | SL_W);
}

static bool vtd_is_leaf(uint64_t e, unsigned level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & SL_PS));
}

static uint64_t vtd_addr(uint64_t e, unsigned level)
{
	if (level > 1 && vtd_is_leaf(e, level))
		return e & IOPT_ADDR & ~(span(level) - 1);
	return e & IOPT_ADDR;
}

static uint64_t vtd_table_entry(uint64_t phys)
{
	return (phys & IOPT_ADDR) | SL_R | SL_W;
}

static uint64_t vtd_leaf_entry(uint64_t phys, unsigned level, unsigned flags)
{
	uint64_t e = phys & IOPT_ADDR & ~(span(level) - 1);

	if (level > 1)
		e |= SL_PS;
	/* Write without read is allowed by VT-d, but a DMA engine that
	 * may write can be told to read back: keep R with W. */
	if (flags & (PT_R | PT_W))
		e |= SL_R;
	if (flags & PT_W)
		e |= SL_W;
	return e;
}

static unsigned vtd_flags(uint64_t e, unsigned level)
{
	unsigned f = 0;

	(void)level;
	if (e & SL_R)
		f |= PT_R;
	if (e & SL_W)
		f |= PT_W;
	return f;
}

#define VTD_FORMAT(n, lv) { \
	.name = "VT-d second-level " #lv "-level", .levels = lv, \
	.leaf_levels = PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G, .sign_extended = false, \
	.table_entry = vtd_table_entry, .leaf_entry = vtd_leaf_entry, \
	.present = vtd_present, .is_leaf = vtd_is_leaf, .addr = vtd_addr, \
	.flags = vtd_flags }

const struct pt_format pt_vtd3 = VTD_FORMAT(3, 3);
const struct pt_format pt_vtd4 = VTD_FORMAT(4, 4);

/* ---- AMD-Vi ---- */

#define AV_PR (1ULL << 0)
#define AV_NL_SHIFT 9
#define AV_NL (7ULL << AV_NL_SHIFT)
#define AV_IR (1ULL << 61)
#define AV_IW (1ULL << 62)

static bool amdvi_present(uint64_t e)
{
	return e & AV_PR;
}

static bool amdvi_is_leaf(uint64_t e, unsigned level)
{
	return level == 1 || !(e & AV_NL);
}

static uint64_t amdvi_addr(uint64_t e, unsigned level)
{
	if (level > 1 && amdvi_is_leaf(e, level))
		return e & IOPT_ADDR & ~(span(level) - 1);
	return e & IOPT_ADDR;
}

static uint64_t amdvi_table_entry_lvl(uint64_t phys, unsigned level)
{
	return (phys & IOPT_ADDR) | AV_PR | (uint64_t)(level - 1) << AV_NL_SHIFT | AV_IR | AV_IW;
}

static uint64_t amdvi_leaf_entry(uint64_t phys, unsigned level, unsigned flags)
{
	uint64_t e = (phys & IOPT_ADDR & ~(span(level) - 1)) | AV_PR;

	if (flags & (PT_R | PT_W))
		e |= AV_IR;
	if (flags & PT_W)
		e |= AV_IW;
	return e;
}

static unsigned amdvi_flags(uint64_t e, unsigned level)
{
	unsigned f = 0;

	(void)level;
	if (e & AV_IR)
		f |= PT_R;
	if (e & AV_IW)
		f |= PT_W;
	return f;
}

#define AMDVI_FORMAT(lv) { \
	.name = "AMD-Vi " #lv "-level", .levels = lv, \
	.leaf_levels = PT_LEAF_4K | PT_LEAF_2M | PT_LEAF_1G, .sign_extended = false, \
	.table_entry_lvl = amdvi_table_entry_lvl, .leaf_entry = amdvi_leaf_entry, \
	.present = amdvi_present, .is_leaf = amdvi_is_leaf, .addr = amdvi_addr, \
	.flags = amdvi_flags }

const struct pt_format pt_amdvi3 = AMDVI_FORMAT(3);
const struct pt_format pt_amdvi4 = AMDVI_FORMAT(4);
