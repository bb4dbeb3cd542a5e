/* DMAR and IVRS parsing. See drivers/iommu_tables.h.
 *
 * Every structure is bounds-checked against its parent before any field
 * is read, every loop advances by a length that was checked to be at
 * least the structure's header, and the first problem ends the parse with
 * a message: a table is either understood whole or refused. */
#include "drivers/iommu_tables.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"

#define SDT_HDR_LEN 36

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Signature, length and checksum of the system description header
 * (ACPI 6.4, 5.2.6). */
static int sdt_check(const uint8_t *p, size_t len, const char *sig, size_t hdr, char *msg)
{
	uint8_t sum = 0;
	uint32_t tlen;

	if (len < hdr) {
		snprintf(msg, IOMMU_TABLE_MSG, "%s: %zu bytes, shorter than its %zu-byte header",
			 sig, len, hdr);
		return -EBADMSG;
	}
	if (memcmp(p, sig, 4)) {
		snprintf(msg, IOMMU_TABLE_MSG, "%s: signature is not %s", sig, sig);
		return -EBADMSG;
	}
	tlen = rd32(p + 4);
	if (tlen < hdr || tlen > len) {
		snprintf(msg, IOMMU_TABLE_MSG, "%s: length field %u outside %zu..%zu", sig, tlen,
			 hdr, len);
		return -EBADMSG;
	}
	for (uint32_t i = 0; i < tlen; i++)
		sum = (uint8_t)(sum + p[i]);
	if (sum) {
		snprintf(msg, IOMMU_TABLE_MSG, "%s: checksum off by %u", sig, sum);
		return -EBADMSG;
	}
	return 0;
}

/* ---- DMAR (VT-d 4.0 chapter 8) ---- */

#define DMAR_HDR_LEN 48		/* 8.1: header, HAW, flags, 10 reserved */
#define DMAR_T_DRHD 0
#define DMAR_T_RMRR 1
#define DMAR_T_ATSR 2
#define DRHD_LEN 16		/* 8.3: type, length, flags, size, segment, base */
#define RMRR_LEN 24		/* 8.4: ..., reserved, segment, base, limit */
#define ATSR_LEN 8		/* 8.5: type, length, flags, reserved, segment */
#define SCOPE_HDR 6		/* 8.3.1: type, length, flags, reserved, enum ID, bus */

/* The device scopes of one structure: p[off..end) holds nothing else. */
static int dmar_scopes(struct dmar_info *d, const uint8_t *p, size_t off, size_t end,
		       const char *what, size_t where, struct dmar_scopes *sc, char *msg)
{
	sc->first = d->nscopes;
	sc->n = 0;
	while (off < end) {
		struct dmar_scope *s;
		size_t slen, npath;

		if (end - off < SCOPE_HDR) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "DMAR: %s at offset %zu: device scope at offset %zu truncated (%zu bytes left)",
				 what, where, off, end - off);
			return -EBADMSG;
		}
		slen = p[off + 1];
		if (slen < SCOPE_HDR + 2 || (slen - SCOPE_HDR) % 2 || slen > end - off) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "DMAR: %s at offset %zu: device scope at offset %zu has bad length %zu",
				 what, where, off, slen);
			return -EBADMSG;
		}
		npath = (slen - SCOPE_HDR) / 2;
		if (p[off] < DMAR_SCOPE_ENDPOINT || p[off] > DMAR_SCOPE_ACPI_NS) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "DMAR: %s at offset %zu: device scope at offset %zu has unknown type %u",
				 what, where, off, p[off]);
			return -EBADMSG;
		}
		if (npath > DMAR_MAX_PATH) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "DMAR: %s at offset %zu: device scope at offset %zu has a path of %zu hops (at most %u kept)",
				 what, where, off, npath, DMAR_MAX_PATH);
			return -ENOSPC;
		}
		if (d->nscopes == DMAR_MAX_SCOPES) {
			snprintf(msg, IOMMU_TABLE_MSG, "DMAR: more than %u device scopes",
				 DMAR_MAX_SCOPES);
			return -ENOSPC;
		}
		s = &d->scopes[d->nscopes++];
		s->type = p[off];
		s->enum_id = p[off + 4];
		s->bus = p[off + 5];
		s->npath = (uint8_t)npath;
		for (size_t i = 0; i < npath; i++) {
			uint8_t dev = p[off + SCOPE_HDR + 2 * i], fn = p[off + SCOPE_HDR + 2 * i + 1];

			if (dev > 31 || fn > 7) {
				snprintf(msg, IOMMU_TABLE_MSG,
					 "DMAR: %s at offset %zu: device scope at offset %zu has path entry %u.%u",
					 what, where, off, dev, fn);
				return -EBADMSG;
			}
			s->path[i] = (uint8_t)(dev << 3 | fn);
		}
		sc->n++;
		off += slen;
	}
	return 0;
}

static int dmar_drhd(struct dmar_info *d, const uint8_t *p, size_t off, size_t slen, char *msg)
{
	struct dmar_drhd *u;

	if (slen < DRHD_LEN) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: DRHD at offset %zu too short (%zu bytes)", off,
			 slen);
		return -EBADMSG;
	}
	if (d->ndrhd == DMAR_MAX_UNITS) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: more than %u DRHD units", DMAR_MAX_UNITS);
		return -ENOSPC;
	}
	u = &d->drhd[d->ndrhd];
	u->flags = p[off + 4];
	u->size = p[off + 5] & 0xf;
	u->seg = rd16(p + off + 6);
	u->base = rd64(p + off + 8);
	if (!u->base || (u->base & 0xfff)) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: DRHD at offset %zu has register base %#llx",
			 off, (unsigned long long)u->base);
		return -EBADMSG;
	}
	for (unsigned i = 0; i < d->ndrhd; i++)
		if (d->drhd[i].base == u->base) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "DMAR: DRHD at offset %zu repeats register base %#llx", off,
				 (unsigned long long)u->base);
			return -EBADMSG;
		}
	d->ndrhd++;
	return dmar_scopes(d, p, off + DRHD_LEN, off + slen, "DRHD", off, &u->sc, msg);
}

static int dmar_rmrr(struct dmar_info *d, const uint8_t *p, size_t off, size_t slen, char *msg)
{
	struct dmar_rmrr *r;

	if (slen < RMRR_LEN) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: RMRR at offset %zu too short (%zu bytes)", off,
			 slen);
		return -EBADMSG;
	}
	if (d->nrmrr == DMAR_MAX_RMRR) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: more than %u RMRRs", DMAR_MAX_RMRR);
		return -ENOSPC;
	}
	r = &d->rmrr[d->nrmrr];
	r->seg = rd16(p + off + 6);
	r->base = rd64(p + off + 8);
	r->limit = rd64(p + off + 16);
	/* 8.4: base 4 KiB aligned, limit the last byte of a 4 KiB page. */
	if ((r->base & 0xfff) || (r->limit & 0xfff) != 0xfff || r->limit < r->base) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: RMRR at offset %zu has range %#llx-%#llx", off,
			 (unsigned long long)r->base, (unsigned long long)r->limit);
		return -EBADMSG;
	}
	d->nrmrr++;
	return dmar_scopes(d, p, off + RMRR_LEN, off + slen, "RMRR", off, &r->sc, msg);
}

static int dmar_atsr(struct dmar_info *d, const uint8_t *p, size_t off, size_t slen, char *msg)
{
	struct dmar_atsr *a;

	if (slen < ATSR_LEN) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: ATSR at offset %zu too short (%zu bytes)", off,
			 slen);
		return -EBADMSG;
	}
	if (d->natsr == DMAR_MAX_ATSR) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: more than %u ATSRs", DMAR_MAX_ATSR);
		return -ENOSPC;
	}
	a = &d->atsr[d->natsr++];
	a->flags = p[off + 4];
	a->seg = rd16(p + off + 6);
	return dmar_scopes(d, p, off + ATSR_LEN, off + slen, "ATSR", off, &a->sc, msg);
}

int dmar_parse(struct dmar_info *d, const void *tbl, size_t len, char *msg)
{
	const uint8_t *p = tbl;
	size_t off, tlen;
	int r;

	memset(d, 0, sizeof(*d));
	msg[0] = '\0';
	r = sdt_check(p, len, "DMAR", DMAR_HDR_LEN, msg);
	if (r)
		return r;
	tlen = rd32(p + 4);
	d->haw = (uint8_t)(p[36] + 1);
	d->flags = p[37];
	/* 8.1: the width is what the platform decodes; at least 32 bits
	 * are needed for anything to work, at most 64. */
	if (d->haw < 32 || d->haw > 64) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: host address width %u out of range 32..64",
			 d->haw);
		return -EBADMSG;
	}
	for (off = DMAR_HDR_LEN; off < tlen;) {
		size_t slen;
		unsigned type;

		if (tlen - off < 4) {
			snprintf(msg, IOMMU_TABLE_MSG, "DMAR: structure header at offset %zu truncated",
				 off);
			return -EBADMSG;
		}
		type = rd16(p + off);
		slen = rd16(p + off + 2);
		if (slen < 4) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "DMAR: structure type %u at offset %zu has length %zu", type, off, slen);
			return -EBADMSG;
		}
		if (slen > tlen - off) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "DMAR: structure type %u at offset %zu runs past the end (length %zu, %zu left)",
				 type, off, slen, tlen - off);
			return -EBADMSG;
		}
		switch (type) {
		case DMAR_T_DRHD:
			r = dmar_drhd(d, p, off, slen, msg);
			break;
		case DMAR_T_RMRR:
			r = dmar_rmrr(d, p, off, slen, msg);
			break;
		case DMAR_T_ATSR:
			r = dmar_atsr(d, p, off, slen, msg);
			break;
		default:
			d->nother++;
			r = 0;
			break;
		}
		if (r)
			return r;
		off += slen;
	}
	if (!d->ndrhd) {
		snprintf(msg, IOMMU_TABLE_MSG, "DMAR: no DRHD unit");
		return -EBADMSG;
	}
	/* 8.3: an INCLUDE_PCI_ALL unit must be the last one of its segment. */
	for (unsigned i = 0; i < d->ndrhd; i++) {
		if (!(d->drhd[i].flags & DMAR_INCLUDE_PCI_ALL))
			continue;
		for (unsigned j = i + 1; j < d->ndrhd; j++)
			if (d->drhd[j].seg == d->drhd[i].seg) {
				snprintf(msg, IOMMU_TABLE_MSG,
					 "DMAR: INCLUDE_PCI_ALL unit %#llx of segment %u is not its segment's last",
					 (unsigned long long)d->drhd[i].base, d->drhd[i].seg);
				return -EBADMSG;
			}
	}
	return 0;
}

int dmar_scope_rid(const struct dmar_scope *s, uint16_t seg,
		   uint8_t (*secbus)(void *ctx, uint16_t seg, uint8_t bus, uint8_t devfn),
		   void *ctx, uint16_t *rid)
{
	uint8_t bus = s->bus;

	if (!s->npath)
		return -EINVAL;
	for (unsigned i = 0; i + 1 < s->npath; i++) {
		uint8_t b;

		if (!secbus)
			return -ENOENT;
		b = secbus(ctx, seg, bus, s->path[i]);
		if (b == 0 || b == 0xff || b <= bus)
			return -ENOENT;
		bus = b;
	}
	*rid = (uint16_t)(bus << 8 | s->path[s->npath - 1]);
	return 0;
}

/* ---- IVRS (AMD IOMMU 3.0, 5.2) ---- */

#define IVRS_HDR_LEN 48		/* header, IVinfo, 8 reserved */
#define IVHD10_LEN 24
#define IVHD11_LEN 40
#define IVMD_LEN 32

/* Device entry types, 5.2.2.2 Table 93. */
#define IVE_PAD4 0
#define IVE_ALL 1
#define IVE_SELECT 2
#define IVE_START 3
#define IVE_END 4
#define IVE_PAD8 0x40
#define IVE_ALIAS 0x42
#define IVE_ALIAS_START 0x43
#define IVE_EXT 0x46
#define IVE_EXT_START 0x47
#define IVE_SPECIAL 0x48
#define IVE_ACPI 0xf0
#define IVE_ACPI_FIXED 22	/* F0h: type, devid, setting, HID, CID, UID format, UID length */

static int ivrs_add(struct ivrs_info *v, const struct ivrs_dev *e, char *msg)
{
	if (v->ndevs == IVRS_MAX_DEVS) {
		snprintf(msg, IOMMU_TABLE_MSG, "IVRS: more than %u device entries", IVRS_MAX_DEVS);
		return -ENOSPC;
	}
	v->devs[v->ndevs++] = *e;
	return 0;
}

/* The device entries of one IVHD: p[off..end). A start-of-range entry
 * must be followed directly by its end-of-range entry. */
static int ivhd_entries(struct ivrs_info *v, const uint8_t *p, size_t off, size_t end,
			size_t where, uint8_t type, struct ivrs_devs *dv, char *msg)
{
	struct ivrs_dev range;
	bool open = false;
	size_t open_at = 0;

	dv->first = v->ndevs;
	while (off < end) {
		uint8_t t = p[off];
		size_t elen = t < 0x40 ? 4 : t < 0x80 ? 8 : t < 0xc0 ? 16 : 32;
		struct ivrs_dev e;
		int r = 0;

		if (t == IVE_ACPI) {
			if (type == 0x10) {
				snprintf(msg, IOMMU_TABLE_MSG,
					 "IVRS: IVHD 10h at offset %zu: ACPI device entry at offset %zu (only in 11h/40h)",
					 where, off);
				return -EBADMSG;
			}
			if (end - off < IVE_ACPI_FIXED) {
				snprintf(msg, IOMMU_TABLE_MSG,
					 "IVRS: IVHD at offset %zu: ACPI device entry at offset %zu truncated",
					 where, off);
				return -EBADMSG;
			}
			elen = IVE_ACPI_FIXED + p[off + 21];
		}
		if (elen > end - off) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "IVRS: IVHD at offset %zu: device entry type %#x at offset %zu runs past the block end",
				 where, t, off);
			return -EBADMSG;
		}
		memset(&e, 0, sizeof(e));
		e.first = e.last = rd16(p + off + 1);
		e.setting = p[off + 3];
		if (open && t != IVE_END) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "IVRS: IVHD at offset %zu: range started at offset %zu has no end entry",
				 where, open_at);
			return -EBADMSG;
		}
		switch (t) {
		case IVE_PAD4:
		case IVE_PAD8:
			break;
		case IVE_ALL:
			e.kind = IVRS_DEV_ALL;
			e.first = 0;
			e.last = 0xffff;
			r = ivrs_add(v, &e, msg);
			break;
		case IVE_SELECT:
			e.kind = IVRS_DEV_SELECT;
			r = ivrs_add(v, &e, msg);
			break;
		case IVE_ALIAS:
			e.kind = IVRS_DEV_ALIAS;
			e.alias = rd16(p + off + 5);
			r = ivrs_add(v, &e, msg);
			break;
		case IVE_EXT:
			e.kind = IVRS_DEV_EXT;
			e.ext = rd32(p + off + 4);
			r = ivrs_add(v, &e, msg);
			break;
		case IVE_START:
		case IVE_ALIAS_START:
		case IVE_EXT_START:
			e.kind = t == IVE_START ? IVRS_DEV_SELECT :
				 t == IVE_ALIAS_START ? IVRS_DEV_ALIAS : IVRS_DEV_EXT;
			if (t == IVE_ALIAS_START)
				e.alias = rd16(p + off + 5);
			if (t == IVE_EXT_START)
				e.ext = rd32(p + off + 4);
			range = e;
			open = true;
			open_at = off;
			break;
		case IVE_END:
			if (!open) {
				snprintf(msg, IOMMU_TABLE_MSG,
					 "IVRS: IVHD at offset %zu: end-of-range entry at offset %zu without a start",
					 where, off);
				return -EBADMSG;
			}
			if (e.first < range.first) {
				snprintf(msg, IOMMU_TABLE_MSG,
					 "IVRS: IVHD at offset %zu: range %#x-%#x at offset %zu runs backwards",
					 where, range.first, e.first, open_at);
				return -EBADMSG;
			}
			range.last = e.first;
			open = false;
			r = ivrs_add(v, &range, msg);
			break;
		case IVE_SPECIAL:
			e.kind = IVRS_DEV_SPECIAL;
			e.handle = p[off + 4];
			e.first = e.last = rd16(p + off + 5);
			e.variety = p[off + 7];
			if (e.variety != IVRS_SPECIAL_IOAPIC && e.variety != IVRS_SPECIAL_HPET) {
				snprintf(msg, IOMMU_TABLE_MSG,
					 "IVRS: IVHD at offset %zu: special device entry at offset %zu has variety %u",
					 where, off, e.variety);
				return -EBADMSG;
			}
			r = ivrs_add(v, &e, msg);
			break;
		case IVE_ACPI:
			e.kind = IVRS_DEV_ACPI;
			memcpy(e.hid, p + off + 4, 8);
			e.hid[8] = '\0';
			r = ivrs_add(v, &e, msg);
			break;
		default:
			/* Reserved types: the length encoding in the type's top
			 * two bits lets them be skipped (5.2.2.2). */
			break;
		}
		if (r)
			return r;
		off += elen;
	}
	if (open) {
		snprintf(msg, IOMMU_TABLE_MSG,
			 "IVRS: IVHD at offset %zu: range started at offset %zu has no end entry", where,
			 open_at);
		return -EBADMSG;
	}
	dv->n = v->ndevs - dv->first;
	return 0;
}

static int ivrs_ivhd(struct ivrs_info *v, const uint8_t *p, size_t off, size_t blen, char *msg)
{
	uint8_t type = p[off];
	size_t hlen = type == 0x10 ? IVHD10_LEN : IVHD11_LEN;
	struct ivrs_ivhd *u;

	if (blen < hlen) {
		snprintf(msg, IOMMU_TABLE_MSG, "IVRS: IVHD %#x at offset %zu too short (%zu bytes)",
			 type, off, blen);
		return -EBADMSG;
	}
	if (v->nivhd == IVRS_MAX_UNITS) {
		snprintf(msg, IOMMU_TABLE_MSG, "IVRS: more than %u IVHD blocks", IVRS_MAX_UNITS);
		return -ENOSPC;
	}
	u = &v->ivhd[v->nivhd];
	memset(u, 0, sizeof(*u));
	u->type = type;
	u->flags = p[off + 1];
	u->devid = rd16(p + off + 4);
	u->cap_off = rd16(p + off + 6);
	u->base = rd64(p + off + 8);
	u->seg = rd16(p + off + 16);
	u->info = rd16(p + off + 18);
	u->feat = rd32(p + off + 20);
	if (type != 0x10)
		u->efr = rd64(p + off + 24);
	/* The registers take 16 KiB, aligned (IOMMU 3.0, 3.4). */
	if (!u->base || (u->base & 0x3fff)) {
		snprintf(msg, IOMMU_TABLE_MSG, "IVRS: IVHD at offset %zu has register base %#llx", off,
			 (unsigned long long)u->base);
		return -EBADMSG;
	}
	v->nivhd++;
	return ivhd_entries(v, p, off + hlen, off + blen, off, type, &u->dv, msg);
}

static int ivrs_ivmd(struct ivrs_info *v, const uint8_t *p, size_t off, size_t blen, char *msg)
{
	struct ivrs_ivmd *m;

	if (blen < IVMD_LEN) {
		snprintf(msg, IOMMU_TABLE_MSG, "IVRS: IVMD at offset %zu too short (%zu bytes)", off,
			 blen);
		return -EBADMSG;
	}
	if (v->nivmd == IVRS_MAX_IVMD) {
		snprintf(msg, IOMMU_TABLE_MSG, "IVRS: more than %u IVMD blocks", IVRS_MAX_IVMD);
		return -ENOSPC;
	}
	m = &v->ivmd[v->nivmd];
	m->type = p[off];
	m->flags = p[off + 1];
	m->first = rd16(p + off + 4);
	m->last = m->type == 0x22 ? rd16(p + off + 6) : m->first;
	if (m->type == 0x20) {
		m->first = 0;
		m->last = 0xffff;
	}
	m->start = rd64(p + off + 16);
	m->len = rd64(p + off + 24);
	if ((m->start & 0xfff) || !m->len || m->len - 1 > ~0ULL - m->start || m->last < m->first) {
		snprintf(msg, IOMMU_TABLE_MSG,
			 "IVRS: IVMD at offset %zu has range %#llx+%#llx for devices %#x-%#x", off,
			 (unsigned long long)m->start, (unsigned long long)m->len, m->first, m->last);
		return -EBADMSG;
	}
	v->nivmd++;
	return 0;
}

int ivrs_parse(struct ivrs_info *v, const void *tbl, size_t len, char *msg)
{
	const uint8_t *p = tbl;
	size_t off, tlen;
	int r;

	memset(v, 0, sizeof(*v));
	msg[0] = '\0';
	r = sdt_check(p, len, "IVRS", IVRS_HDR_LEN, msg);
	if (r)
		return r;
	tlen = rd32(p + 4);
	v->ivinfo = rd32(p + 36);
	for (off = IVRS_HDR_LEN; off < tlen;) {
		size_t blen;
		uint8_t type;

		if (tlen - off < 4) {
			snprintf(msg, IOMMU_TABLE_MSG, "IVRS: block header at offset %zu truncated", off);
			return -EBADMSG;
		}
		type = p[off];
		blen = rd16(p + off + 2);
		if (blen < 4) {
			snprintf(msg, IOMMU_TABLE_MSG, "IVRS: block type %#x at offset %zu has length %zu",
				 type, off, blen);
			return -EBADMSG;
		}
		if (blen > tlen - off) {
			snprintf(msg, IOMMU_TABLE_MSG,
				 "IVRS: block type %#x at offset %zu runs past the end (length %zu, %zu left)",
				 type, off, blen, tlen - off);
			return -EBADMSG;
		}
		if (type == 0x10 || type == 0x11 || type == 0x40)
			r = ivrs_ivhd(v, p, off, blen, msg);
		else if (type >= 0x20 && type <= 0x22)
			r = ivrs_ivmd(v, p, off, blen, msg);
		else {
			v->nother++;
			r = 0;
		}
		if (r)
			return r;
		off += blen;
	}
	if (!v->nivhd) {
		snprintf(msg, IOMMU_TABLE_MSG, "IVRS: no IVHD block");
		return -EBADMSG;
	}
	/* 5.2.2: firmware may describe one IOMMU by several block types;
	 * software uses the newest type it knows and ignores the others. */
	for (unsigned i = 0; i < v->nivhd; i++)
		for (unsigned j = 0; j < v->nivhd; j++)
			if (i != j && v->ivhd[i].base == v->ivhd[j].base &&
			    (v->ivhd[j].type > v->ivhd[i].type ||
			     (v->ivhd[j].type == v->ivhd[i].type && j < i)))
				v->ivhd[i].superseded = true;
	return 0;
}

const struct ivrs_ivhd *ivrs_unit_of(const struct ivrs_info *v, uint16_t seg, uint16_t devid)
{
	for (unsigned i = 0; i < v->nivhd; i++) {
		const struct ivrs_ivhd *u = &v->ivhd[i];

		if (u->superseded || u->seg != seg)
			continue;
		for (unsigned k = 0; k < u->dv.n; k++) {
			const struct ivrs_dev *e = &v->devs[u->dv.first + k];

			if (e->kind == IVRS_DEV_ACPI)
				continue;
			if (devid >= e->first && devid <= e->last)
				return u;
		}
	}
	return NULL;
}
