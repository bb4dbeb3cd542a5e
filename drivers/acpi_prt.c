/* The PCI routing tables of the root buses, from the AML (drivers/acpi_prt.h).
 * Encodings: ACPI 6.4 20.2 (AML grammar), 6.4 (resource descriptors),
 * 6.2.13 (_PRT), 5.3 (name search rules). */
#include "drivers/acpi_prt.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

enum { OBJ_DEVICE = 1, OBJ_NAME, OBJ_METHOD, OBJ_OTHER };

#define SEG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define S_PRT SEG('_', 'P', 'R', 'T')
#define S_HID SEG('_', 'H', 'I', 'D')
#define S_CID SEG('_', 'C', 'I', 'D')
#define S_BBN SEG('_', 'B', 'B', 'N')
#define S_SEG SEG('_', 'S', 'E', 'G')
#define S_CRS SEG('_', 'C', 'R', 'S')
#define S_PIC SEG('_', 'P', 'I', 'C')
#define S_ADR SEG('_', 'A', 'D', 'R')

#define EISA_PNP0A03 0x030ad041u
#define EISA_PNP0A08 0x080ad041u

/* A namespace path: segments from the root. */
struct path {
	uint32_t s[PRT_DEPTH];
	unsigned n;
};

struct walk {
	struct acpi_prt *t;
	unsigned budget;	/* bounds the work on hostile nesting */
};

static void err(struct acpi_prt *t, const char *fmt, unsigned long a, unsigned long b)
{
	if (t->nerrors >= PRT_MAX_ERRORS)
		return;
	snprintf(t->errors[t->nerrors++], PRT_MSG_MAX, fmt, a, b);
}

/* ---- encodings ---- */

/* PkgLength (20.2.4): *end = the package's end (bounded by lim), p past it. */
static const uint8_t *pkglen(const uint8_t *p, const uint8_t *lim, const uint8_t **end)
{
	const uint8_t *start = p;
	unsigned extra, len;

	if (p >= lim)
		return NULL;
	extra = *p >> 6;
	if (lim - p < 1 + (long)extra)
		return NULL;
	if (!extra) {
		len = *p & 0x3f;
	} else {
		len = *p & 0x0f;
		for (unsigned i = 0; i < extra; i++)
			len |= (unsigned)p[1 + i] << (4 + 8 * i);
	}
	p += 1 + extra;
	if (len < 1 + extra || len > (size_t)(lim - start))
		return NULL;
	*end = start + len;
	return p;
}

static bool lead(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool namechar(uint8_t c)
{
	return lead(c) || (c >= '0' && c <= '9');
}

/* A NameString (20.2.2) relative to scope: *out is the path it names;
 * *single tells a one-segment relative name (searched upward). Returns
 * the byte after it, or NULL. */
static const uint8_t *namestring(const uint8_t *p, const uint8_t *lim, const struct path *scope,
				 struct path *out, bool *single)
{
	unsigned nseg = 0;
	bool root = false;

	*out = *scope;
	if (single)
		*single = false;
	if (p < lim && *p == '\\') {
		root = true;
		out->n = 0;
		p++;
	} else {
		while (p < lim && *p == '^') {
			if (!out->n)
				return NULL;
			out->n--;
			p++;
		}
	}
	if (p >= lim)
		return NULL;
	if (*p == 0x00) {
		return p + 1;	/* NullName */
	} else if (*p == 0x2e) {
		nseg = 2;
		p++;
	} else if (*p == 0x2f) {
		if (lim - p < 2)
			return NULL;
		nseg = p[1];
		p += 2;
	} else {
		nseg = 1;
		if (single && !root && out->n == scope->n)
			*single = true;
	}
	if ((size_t)(lim - p) < 4ull * nseg)
		return NULL;
	for (unsigned i = 0; i < nseg; i++, p += 4) {
		if (!lead(p[0]) || !namechar(p[1]) || !namechar(p[2]) || !namechar(p[3]))
			return NULL;
		if (out->n >= PRT_DEPTH)
			return NULL;
		out->s[out->n++] = SEG(p[0], p[1], p[2], p[3]);
	}
	return p;
}

/* An integer constant (ZeroOp, OneOp, OnesOp, Byte/Word/DWord/QWordConst). */
static const uint8_t *integer(const uint8_t *p, const uint8_t *lim, uint64_t *v)
{
	unsigned n;

	if (p >= lim)
		return NULL;
	switch (*p) {
	case 0x00: *v = 0; return p + 1;
	case 0x01: *v = 1; return p + 1;
	case 0xff: *v = ~0ull; return p + 1;
	case 0x0a: n = 1; break;
	case 0x0b: n = 2; break;
	case 0x0c: n = 4; break;
	case 0x0e: n = 8; break;
	default: return NULL;
	}
	if ((size_t)(lim - p) < 1 + n)
		return NULL;
	*v = 0;
	for (unsigned i = 0; i < n; i++)
		*v |= (uint64_t)p[1 + i] << (8 * i);
	return p + 1 + n;
}

/* Past one DataRefObject or package element; NULL if not one. */
static const uint8_t *skip_data(const uint8_t *p, const uint8_t *lim)
{
	const uint8_t *end;
	uint64_t v;
	const uint8_t *q = integer(p, lim, &v);

	if (q)
		return q;
	if (p >= lim)
		return NULL;
	switch (*p) {
	case 0x0d:		/* String: to its NUL */
		for (q = p + 1; q < lim; q++)
			if (!*q)
				return q + 1;
		return NULL;
	case 0x11: case 0x12: case 0x13:
		return pkglen(p + 1, lim, &end) ? end : NULL;
	case 0x5b:
		return lim - p >= 2 && p[1] == 0x30 ? p + 2 : NULL;	/* Revision */
	default: {
		struct path dummy = { .n = 0 }, out;

		return namestring(p, lim, &dummy, &out, NULL);
	}
	}
}

/* ---- the walk of the declarations ---- */

static void record(struct walk *w, const struct path *pa, uint8_t kind, const uint8_t *at,
		   const uint8_t *end)
{
	struct acpi_prt *t = w->t;
	struct prt_obj *o;

	if (!pa->n)
		return;
	if (t->nobjs >= PRT_MAX_OBJS) {
		if (t->nobjs++ == PRT_MAX_OBJS)
			err(t, "AML: more than %lu named objects: the rest ignored", PRT_MAX_OBJS, 0);
		return;
	}
	o = &t->objs[t->nobjs++];
	memcpy(o->path, pa->s, sizeof(o->path));
	o->depth = (uint8_t)pa->n;
	o->kind = kind;
	o->at = at;
	o->end = end;
}

static void walk(struct walk *w, const uint8_t *base, const uint8_t *p, const uint8_t *lim,
		 const struct path *scope, unsigned depth)
{
	while (p < lim) {
		const uint8_t *op = p, *end, *q;
		struct path pa;
		uint64_t v;

		if (!w->budget--) {
			err(w->t, "AML: too much to walk: stopped at offset %#lx", (unsigned long)(op - base), 0);
			return;
		}
		switch (*p) {
		case 0x10:	/* Scope */
			q = pkglen(p + 1, lim, &end);
			q = q ? namestring(q, end, scope, &pa, NULL) : NULL;
			if (!q)
				goto bad;
			if (depth < 16)
				walk(w, base, q, end, &pa, depth + 1);
			p = end;
			continue;
		case 0x14:	/* Method */
			q = pkglen(p + 1, lim, &end);
			q = q ? namestring(q, end, scope, &pa, NULL) : NULL;
			if (!q || q >= end)
				goto bad;
			record(w, &pa, OBJ_METHOD, q + 1, end);
			p = end;
			continue;
		case 0x08:	/* Name */
			q = namestring(p + 1, lim, scope, &pa, NULL);
			end = q ? skip_data(q, lim) : NULL;
			if (!end)
				goto bad;
			record(w, &pa, OBJ_NAME, q, end);
			p = end;
			continue;
		case 0x06:	/* Alias */
			q = namestring(p + 1, lim, scope, &pa, NULL);
			q = q ? namestring(q, lim, scope, &pa, NULL) : NULL;
			if (!q)
				goto bad;
			record(w, &pa, OBJ_OTHER, q, q);
			p = q;
			continue;
		case 0x15:	/* External */
			q = namestring(p + 1, lim, scope, &pa, NULL);
			if (!q || lim - q < 2)
				goto bad;
			p = q + 2;
			continue;
		case 0xa0: case 0xa1:	/* If / Else at the top: skipped (conditional) */
			if (!pkglen(p + 1, lim, &end))
				goto bad;
			p = end;
			continue;
		case 0x5b:
			if (lim - p < 2)
				goto bad;
			switch (p[1]) {
			case 0x82:	/* Device */
				q = pkglen(p + 2, lim, &end);
				q = q ? namestring(q, end, scope, &pa, NULL) : NULL;
				if (!q)
					goto bad;
				record(w, &pa, OBJ_DEVICE, q, end);
				if (depth < 16)
					walk(w, base, q, end, &pa, depth + 1);
				p = end;
				continue;
			case 0x81: case 0x86: case 0x87:	/* Field, IndexField, BankField */
			case 0x83: case 0x84: case 0x85:	/* Processor, PowerResource, ThermalZone */
				if (!pkglen(p + 2, lim, &end))
					goto bad;
				p = end;
				continue;
			case 0x80:	/* OperationRegion: name, space, offset, length */
				q = namestring(p + 2, lim, scope, &pa, NULL);
				q = q && q < lim ? integer(q + 1, lim, &v) : NULL;
				q = q ? integer(q, lim, &v) : NULL;
				if (!q)
					goto bad;
				record(w, &pa, OBJ_OTHER, q, q);
				p = q;
				continue;
			case 0x01:	/* Mutex: name, sync level */
				q = namestring(p + 2, lim, scope, &pa, NULL);
				if (!q || q >= lim)
					goto bad;
				record(w, &pa, OBJ_OTHER, q, q);
				p = q + 1;
				continue;
			case 0x02:	/* Event */
				q = namestring(p + 2, lim, scope, &pa, NULL);
				if (!q)
					goto bad;
				record(w, &pa, OBJ_OTHER, q, q);
				p = q;
				continue;
			}
			goto bad;
		default:
			goto bad;
		}
bad:
		err(w->t, "AML: opcode %#lx at offset %#lx not read: the rest of its scope skipped",
		    *op, (unsigned long)(op - base));
		return;
	}
}

/* ---- lookups in the walk's objects ---- */

static const struct prt_obj *find(const struct acpi_prt *t, const struct path *pa)
{
	for (unsigned i = 0; i < t->nobjs && i < PRT_MAX_OBJS; i++) {
		const struct prt_obj *o = &t->objs[i];

		if (o->depth == pa->n && !memcmp(o->path, pa->s, 4 * pa->n))
			return o;
	}
	return NULL;
}

static const struct prt_obj *child(const struct acpi_prt *t, const struct prt_obj *o, uint32_t seg)
{
	struct path pa;

	if (o->depth >= PRT_DEPTH)
		return NULL;
	memcpy(pa.s, o->path, sizeof(pa.s));
	pa.n = o->depth;
	pa.s[pa.n++] = seg;
	return find(t, &pa);
}

/* A name as used at scope: a one-segment relative name is searched in
 * scope and then each scope above it (5.3). */
static const struct prt_obj *resolve(const struct acpi_prt *t, const struct path *pa, bool single)
{
	struct path s = *pa;
	const struct prt_obj *o;

	for (;;) {
		o = find(t, &s);
		if (o || !single || s.n < 2)
			return o;
		s.s[s.n - 2] = s.s[s.n - 1];
		s.n--;
	}
}

static void obj_scope(const struct prt_obj *o, struct path *pa)
{
	memcpy(pa->s, o->path, sizeof(pa->s));
	pa->n = o->depth;
}

static void seg_name(uint32_t seg, char out[5])
{
	for (unsigned i = 0; i < 4; i++)
		out[i] = (char)(seg >> (8 * i));
	out[4] = 0;
	for (int i = 3; i > 0 && out[i] == '_'; i--)
		out[i] = 0;
}

/* The integer value of a static Name, or false. */
static bool name_int(const struct prt_obj *o, uint64_t *v)
{
	return o && o->kind == OBJ_NAME && integer(o->at, o->end, v) == o->end;
}

static bool is_pci_root_id(const struct prt_obj *o)
{
	static const char *const strs[] = { "PNP0A03", "PNP0A08" };
	uint64_t v;

	if (!o || o->kind != OBJ_NAME)
		return false;
	if (name_int(o, &v))
		return v == EISA_PNP0A03 || v == EISA_PNP0A08;
	if (o->end - o->at == 9 && o->at[0] == 0x0d)
		for (unsigned i = 0; i < 2; i++)
			if (!memcmp(o->at + 1, strs[i], 8))
				return true;
	return false;
}

/* ---- the link device's current resource ---- */

static const char *link_route(const struct acpi_prt *t, const struct prt_obj *dev, uint64_t index,
			      struct prt_route *r)
{
	const struct prt_obj *crs = child(t, dev, S_CRS);
	const uint8_t *p, *end, *q;
	uint64_t size;

	if (!crs)
		return "its link device has no _CRS";
	if (crs->kind == OBJ_METHOD)
		return "its link device's _CRS is a method (Vatra does not run AML)";
	if (crs->kind != OBJ_NAME || crs->at[0] != 0x11)
		return "its link device's _CRS is not a buffer";
	p = pkglen(crs->at + 1, crs->end, &end);
	q = p ? integer(p, end, &size) : NULL;
	if (!q)
		return "its link device's _CRS buffer is malformed";
	if (size < (uint64_t)(end - q))
		end = q + size;
	for (uint64_t i = 0; q < end; i++) {
		unsigned len, hdr;
		uint8_t tag = *q;

		if (tag & 0x80) {		/* large item */
			if (end - q < 3)
				break;
			hdr = 3;
			len = q[1] | (unsigned)q[2] << 8;
		} else {
			hdr = 1;
			len = tag & 7;
		}
		if ((size_t)(end - q) < hdr + len)
			break;
		if (!(tag & 0x80) && (tag >> 3) == 0xf)
			break;			/* End Tag */
		if (i != index) {
			q += hdr + len;
			continue;
		}
		if (tag == 0x89) {		/* Extended Interrupt (6.4.3.6) */
			if (len < 6 || q[4] != 1)
				return "its link device's interrupt descriptor lists other than one interrupt";
			r->level = !(q[3] & 2);
			r->active_low = q[3] & 4;
			r->gsi = q[5] | (uint32_t)q[6] << 8 | (uint32_t)q[7] << 16 |
				 (uint32_t)q[8] << 24;
			return NULL;
		}
		if (!(tag & 0x80) && (tag >> 3) == 4 && len >= 2) {	/* IRQ (6.4.2.1) */
			unsigned mask = q[1] | (unsigned)q[2] << 8, bit;

			if (!mask || (mask & (mask - 1)))
				return "its link device's IRQ descriptor lists other than one IRQ";
			for (bit = 0; !(mask & (1u << bit)); bit++)
				;
			r->gsi = bit;
			/* without the information byte: edge, active high */
			r->level = len >= 3 && !(q[3] & 1);
			r->active_low = len >= 3 && (q[3] & 8);
			return NULL;
		}
		return "its link device's resource at that index is not an interrupt";
	}
	return "its link device's _CRS has no resource at that index";
}

/* ---- the _PRT package ---- */

/* Where a _PRT's entries go: a root bus's or a bridge's table. */
struct prt_out {
	struct prt_entry *e;
	unsigned max, *n;
	const char **why;
};

static void read_package(struct acpi_prt *t, const struct prt_out *o, const uint8_t *p,
			 const uint8_t *lim, const struct path *scope)
{
	const uint8_t *end, *q;

	q = p < lim && *p == 0x12 ? pkglen(p + 1, lim, &end) : NULL;
	if (!q || q >= end) {
		*o->why = "its _PRT is not a package";
		return;
	}
	q++;				/* NumElements */
	while (q < end) {
		const uint8_t *eend, *r;
		uint64_t addr, pin, src = 0, index;
		struct prt_entry *e;
		struct path pa;
		bool single;
		const struct prt_obj *link = NULL;

		r = *q == 0x12 ? pkglen(q + 1, end, &eend) : NULL;
		if (!r || r >= eend) {
			*o->why = "an entry of its _PRT is not a package";
			*o->n = 0;
			return;
		}
		r = integer(r + 1, eend, &addr);
		r = r ? integer(r, eend, &pin) : NULL;
		if (r) {
			/* the source: an integer (Zero), or a device's name */
			const uint8_t *s = integer(r, eend, &src);

			if (s) {
				src = src ? 2 : 0;
			} else {
				s = namestring(r, eend, scope, &pa, &single);
				if (s && pa.n) {
					link = resolve(t, &pa, single);
					src = 1;
				} else {
					s = NULL;
				}
			}
			r = s;
		}
		r = r ? integer(r, eend, &index) : NULL;
		if (!r || r != eend || (addr & 0xffff) != 0xffff || (addr >> 16) > 31 || pin > 3) {
			*o->why = "an entry of its _PRT is not {0xSSSSFFFF, pin 0-3, source, index}";
			*o->n = 0;
			return;
		}
		q = eend;
		if (*o->n >= o->max) {
			*o->why = "its _PRT has too many entries";
			*o->n = 0;
			return;
		}
		e = &o->e[(*o->n)++];
		e->slot = (uint8_t)(addr >> 16);
		e->pin = (uint8_t)pin;
		e->why = NULL;
		e->source[0] = 0;
		if (!src) {
			e->route = (struct prt_route){ (uint32_t)index, true, true };
			continue;
		}
		if (src != 1) {
			e->why = "its source is neither Zero nor a device";
			continue;
		}
		seg_name(pa.s[pa.n - 1], e->source);
		if (!link || link->kind != OBJ_DEVICE) {
			e->why = "its source names no device";
			continue;
		}
		e->why = link_route(t, link, index, &e->route);
	}
	*o->why = NULL;
}

/* ---- the Method (_PRT) shape ---- */

struct prt_eval {
	const struct acpi_prt *t;
	struct path scope;	/* the method's */
	const struct prt_obj *pic_flag;
	unsigned budget;
};

static const uint8_t *predicate(struct prt_eval *ev, const uint8_t *p, const uint8_t *lim,
				uint64_t *v, unsigned depth)
{
	const uint8_t *q;
	uint64_t a, b;
	struct path pa;
	bool single;

	if (p >= lim || depth > 8 || !ev->budget--)
		return NULL;
	if ((q = integer(p, lim, v)))
		return q;
	switch (*p) {
	case 0x92:		/* LNot, or LNotEqual = LNot LEqual */
		if (lim - p >= 2 && p[1] == 0x93) {
			q = predicate(ev, p + 2, lim, &a, depth + 1);
			q = q ? predicate(ev, q, lim, &b, depth + 1) : NULL;
			*v = a != b;
			return q;
		}
		q = predicate(ev, p + 1, lim, &a, depth + 1);
		*v = !a;
		return q;
	case 0x93: case 0x90: case 0x91:	/* LEqual, LAnd, LOr */
		q = predicate(ev, p + 1, lim, &a, depth + 1);
		q = q ? predicate(ev, q, lim, &b, depth + 1) : NULL;
		*v = *p == 0x93 ? a == b : *p == 0x90 ? (a && b) : (a || b);
		return q;
	}
	q = namestring(p, lim, &ev->scope, &pa, &single);
	if (!q || !ev->pic_flag || resolve(ev->t, &pa, single) != ev->pic_flag)
		return NULL;
	*v = 1;			/* APIC mode */
	return q;
}

/* Runs a statement list: 1 with *pkg and *pscope at the Return'd
 * package, 0 when it falls through, -1 when it is not the shape. */
static int statements(struct prt_eval *ev, const uint8_t *p, const uint8_t *lim,
		      const uint8_t **pkg, const uint8_t **pend, struct path *pscope, unsigned depth)
{
	while (p < lim) {
		const uint8_t *end, *q, *eend;
		uint64_t v;
		int r;

		if (depth > 8 || !ev->budget--)
			return -1;
		if (*p == 0xa4) {	/* Return */
			struct path pa;
			bool single;
			const struct prt_obj *o;

			if (p + 1 < lim && p[1] == 0x12) {
				*pkg = p + 1;
				*pend = lim;
				*pscope = ev->scope;
				return 1;
			}
			q = namestring(p + 1, lim, &ev->scope, &pa, &single);
			o = q ? resolve(ev->t, &pa, single) : NULL;
			if (!o || o->kind != OBJ_NAME)
				return -1;
			*pkg = o->at;
			*pend = o->end;
			obj_scope(o, pscope);
			pscope->n--;
			return 1;
		}
		if (*p != 0xa0)
			return -1;
		q = pkglen(p + 1, lim, &end);
		q = q ? predicate(ev, q, end, &v, 0) : NULL;
		if (!q)
			return -1;
		if (v) {
			r = statements(ev, q, end, pkg, pend, pscope, depth + 1);
			if (r)
				return r;
		}
		p = end;
		if (p < lim && *p == 0xa1) {
			q = pkglen(p + 1, lim, &eend);
			if (!q)
				return -1;
			if (!v) {
				r = statements(ev, q, eend, pkg, pend, pscope, depth + 1);
				if (r)
					return r;
			}
			p = eend;
		}
	}
	return 0;
}

/* \_PIC's body must be Store (Arg0, FLAG): the flag. */
static const struct prt_obj *pic_flag(const struct acpi_prt *t)
{
	struct path pa = { { S_PIC }, 1 }, fl;
	const struct prt_obj *o = find(t, &pa);
	const uint8_t *p;
	bool single;

	if (!o || o->kind != OBJ_METHOD || o->end - o->at < 3 || o->at[0] != 0x70 ||
	    o->at[1] != 0x68)
		return NULL;
	p = namestring(o->at + 2, o->end, &pa, &fl, &single);
	return p ? resolve(t, &fl, single) : NULL;
}

static void read_prt(struct acpi_prt *t, const struct prt_out *o, const struct prt_obj *prt)
{
	struct prt_eval ev = { t, { { 0 }, 0 }, NULL, 256 };
	const uint8_t *pkg, *pend;
	struct path ps;
	int r;

	if (prt->kind == OBJ_NAME) {
		obj_scope(prt, &ps);
		ps.n--;
		read_package(t, o, prt->at, prt->end, &ps);
		return;
	}
	if (prt->kind != OBJ_METHOD) {
		*o->why = "its _PRT is neither a package nor a method";
		return;
	}
	obj_scope(prt, &ev.scope);
	ev.pic_flag = pic_flag(t);
	r = statements(&ev, prt->at, prt->end, &pkg, &pend, &ps, 0);
	if (r != 1) {
		*o->why = ev.pic_flag ? "its _PRT method is not If (flag) Return (package) [Else] Return (package)"
					: "its _PRT is a method and \\_PIC is not Store (Arg0, flag)";
		return;
	}
	read_package(t, o, pkg, pend, &ps);
}

/* The _PRTs of devices below root device d (PCI-to-PCI bridges, PCIe
 * ports): each device on the way down must have a static _ADR, which
 * names it on the bus above ((device << 16) | function, 6.1.1). */
static void bridges_of(struct acpi_prt *t, const struct prt_obj *d, uint8_t root)
{
	for (unsigned i = 0; i < t->nobjs && i < PRT_MAX_OBJS; i++) {
		const struct prt_obj *x = &t->objs[i], *prt;
		struct prt_bridge *b;
		unsigned depth;

		if (x->kind != OBJ_DEVICE || x->depth <= d->depth ||
		    memcmp(x->path, d->path, 4 * d->depth) || !(prt = child(t, x, S_PRT)))
			continue;
		depth = x->depth - d->depth;
		if (depth > PRT_BRIDGE_DEPTH || t->nbridges >= PRT_MAX_BRIDGES) {
			err(t, "a bridge _PRT %lu levels below a root bus (or more than %lu): ignored",
			    depth, PRT_MAX_BRIDGES);
			continue;
		}
		b = &t->bridges[t->nbridges];
		*b = (struct prt_bridge){ .root = root, .depth = (uint8_t)depth };
		seg_name(x->path[x->depth - 1], b->name);
		for (unsigned k = 0; k < depth; k++) {
			struct path pa;
			uint64_t v;
			const struct prt_obj *dev;

			memcpy(pa.s, x->path, sizeof(pa.s));
			pa.n = d->depth + k + 1;
			dev = find(t, &pa);
			if (!dev || dev->kind != OBJ_DEVICE || !name_int(child(t, dev, S_ADR), &v) ||
			    v > 0xffffffffu) {
				b->why = "a device on its way has no static _ADR";
				break;
			}
			b->adr[k] = (uint32_t)v;
		}
		if (!b->why) {
			struct prt_out out = { b->e, PRT_BRIDGE_ENTRIES, &b->n, &b->why };

			read_prt(t, &out, prt);
		}
		t->nbridges++;
	}
}

int acpi_prt_parse(struct acpi_prt *t, const struct prt_aml *blocks, unsigned n)
{
	struct walk w = { t, 200000 };
	struct path root = { .n = 0 };

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < n; i++)
		if (blocks[i].aml)
			walk(&w, blocks[i].aml, blocks[i].aml, blocks[i].aml + blocks[i].len, &root, 0);
	for (unsigned i = 0; i < t->nobjs && i < PRT_MAX_OBJS; i++) {
		const struct prt_obj *d = &t->objs[i], *prt, *o;
		struct prt_root *r;
		uint64_t v;

		if (d->kind != OBJ_DEVICE ||
		    (!is_pci_root_id(child(t, d, S_HID)) && !is_pci_root_id(child(t, d, S_CID))))
			continue;
		if (t->nroots >= PRT_MAX_ROOTS) {
			err(t, "more than %lu PCI root buses: the rest ignored", PRT_MAX_ROOTS, 0);
			break;
		}
		r = &t->roots[t->nroots++];
		seg_name(d->path[d->depth - 1], r->name);
		o = child(t, d, S_BBN);
		if (o && !name_int(o, &v)) {
			r->why = "its _BBN is not a static integer";
			continue;
		}
		r->bus = o ? (uint8_t)v : 0;
		o = child(t, d, S_SEG);
		if (o && !name_int(o, &v)) {
			r->why = "its _SEG is not a static integer";
			continue;
		}
		r->seg = o ? (uint16_t)v : 0;
		for (unsigned k = 0; k < t->nobjs && k < PRT_MAX_OBJS; k++) {
			const struct prt_obj *x = &t->objs[k];

			if (x->depth > d->depth + 1 && x->path[x->depth - 1] == S_PRT &&
			    !memcmp(x->path, d->path, 4 * d->depth))
				r->bridge_prt = true;
		}
		prt = child(t, d, S_PRT);
		if (!prt) {
			r->why = "it has no _PRT";
		} else {
			struct prt_out out = { r->e, PRT_MAX_ENTRIES, &r->n, &r->why };

			read_prt(t, &out, prt);
		}
		bridges_of(t, d, (uint8_t)(t->nroots - 1));
	}
	/* nothing points into the tables any more */
	for (unsigned i = 0; i < t->nobjs && i < PRT_MAX_OBJS; i++)
		t->objs[i].at = t->objs[i].end = NULL;
	return (int)t->nroots;
}

/* The route of (slot, pin) in one _PRT's entries, or -ENOENT with why
 * (the entry's own reason, else none_why). */
static int entry_route(const struct prt_entry *e, unsigned n, uint8_t slot, uint8_t pin,
		       struct prt_route *r, const char **why, const char *none_why)
{
	for (unsigned k = 0; k < n; k++) {
		if (e[k].slot != slot || e[k].pin != pin)
			continue;
		if (e[k].why) {
			*why = e[k].why;
			return -ENOENT;
		}
		*r = e[k].route;
		return 0;
	}
	*why = none_why;
	return -ENOENT;
}

int acpi_prt_route(const struct acpi_prt *t, uint16_t seg, uint8_t bus, uint8_t slot,
		   uint8_t pin, struct prt_route *r, const char **why)
{
	for (unsigned i = 0; i < t->nroots; i++) {
		const struct prt_root *root = &t->roots[i];

		if (root->seg != seg || root->bus != bus)
			continue;
		if (root->why) {
			*why = root->why;
			return -ENOENT;
		}
		return entry_route(root->e, root->n, slot, pin, r, why,
				   "its root bus's _PRT has no entry for it");
	}
	*why = "no PCI root bus in the ACPI namespace has its bus number";
	return -ENOENT;
}

int acpi_prt_route_below(const struct acpi_prt *t, uint16_t seg, uint8_t bus, const uint32_t *adr,
			 unsigned depth, uint8_t slot, uint8_t pin, struct prt_route *r,
			 const char **why)
{
	for (unsigned i = 0; i < t->nbridges; i++) {
		const struct prt_bridge *b = &t->bridges[i];
		const struct prt_root *root = &t->roots[b->root];

		if (root->seg != seg || root->bus != bus || b->depth != depth ||
		    memcmp(b->adr, adr, 4 * depth))
			continue;
		if (b->why) {
			*why = b->why;
			return -ENOENT;
		}
		return entry_route(b->e, b->n, slot, pin, r, why,
				   "its bridge's _PRT has no entry for it");
	}
	return -ENXIO;
}
