/* ACPI table generator. See vmm/dev/acpigen.h.
 *
 * Tables are byte streams written with explicit little-endian stores at
 * offsets taken from the spec's tables, never through packed structs, so
 * the layout is visible here and checkable against ACPI 6.4 chapter 5.
 * The whole layout is computed before the first byte is written: a buffer
 * that is too small is reported without leaving half a table behind.
 */
#include "vmm/dev/acpigen.h"
#include "lib/string.h"
#include "lib/errno.h"

/* Sizes, ACPI 6.4: 5.2.5.3 RSDP, 5.2.6 header, 5.2.9 FADT (Table 5.9, rev 6
 * ends with the Hypervisor Vendor Identity at 268), 5.2.10 FACS. */
#define ACPIGEN_RSDP_V1_LEN	20	/* covered by the first checksum */
#define ACPIGEN_RSDP_LEN	36
#define ACPIGEN_HDR_LEN		36
#define ACPIGEN_FADT_LEN	276
#define ACPIGEN_FACS_LEN	64

/* MADT, ACPI 6.4 5.2.12: header + LAPIC address + flags, then entries. */
#define ACPIGEN_MADT_HDR_LEN	44
#define ACPIGEN_MADT_LAPIC	0	/* 5.2.12.2 */
#define ACPIGEN_MADT_LAPIC_LEN	8
#define ACPIGEN_MADT_IOAPIC	1	/* 5.2.12.3 */
#define ACPIGEN_MADT_IOAPIC_LEN	12
#define ACPIGEN_MADT_ISO	2	/* 5.2.12.5 */
#define ACPIGEN_MADT_ISO_LEN	10
#define ACPIGEN_MADT_LNMI	4	/* 5.2.12.7 */
#define ACPIGEN_MADT_LNMI_LEN	6
#define ACPIGEN_MADT_PCAT_COMPAT	(1u << 0)
#define ACPIGEN_LAPIC_ENABLED	(1u << 0)
/* MPS INTI flags (5.2.12.5, Table 5.26): polarity bits 1:0, trigger 3:2. */
#define ACPIGEN_INTI_HIGH	0x1
#define ACPIGEN_INTI_EDGE	(0x1 << 2)
#define ACPIGEN_INTI_LEVEL	(0x3 << 2)
/* 5.2.12.7: a Local APIC NMI entry with UID 0xff applies to every CPU. */
#define ACPIGEN_ALL_CPUS	0xff

/* MCFG, PCI Firmware 3.2 4.1.2: header + 8 reserved bytes, 16-byte entries. */
#define ACPIGEN_MCFG_HDR_LEN	44
#define ACPIGEN_MCFG_ENTRY_LEN	16

/* FADT field offsets, ACPI 6.4 Table 5.9. */
#define FADT_FIRMWARE_CTRL	36
#define FADT_DSDT		40
#define FADT_PM_PROFILE		45
#define FADT_SCI_INT		46
#define FADT_SMI_CMD		48
#define FADT_PM1A_EVT_BLK	56
#define FADT_PM1A_CNT_BLK	64
#define FADT_PM_TMR_BLK		76
#define FADT_PM1_EVT_LEN	88
#define FADT_PM1_CNT_LEN	89
#define FADT_PM_TMR_LEN		91
#define FADT_P_LVL2_LAT		96
#define FADT_P_LVL3_LAT		98
#define FADT_IAPC_BOOT_ARCH	109
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_MINOR_VERSION	131
#define FADT_X_FIRMWARE_CTRL	132
#define FADT_X_DSDT		140
#define FADT_X_PM1A_EVT_BLK	148
#define FADT_X_PM1A_CNT_BLK	172
#define FADT_X_PM_TMR_BLK	208

/* Register block sizes in ports: PM1 event = status + enable, 2 bytes
 * each (4.8.3.1); PM1 control 2 bytes (4.8.3.2); PM timer 4 bytes (4.8.3.3). */
#define ACPIGEN_PM1_EVT_LEN	4
#define ACPIGEN_PM1_CNT_LEN	2
#define ACPIGEN_PM_TMR_LEN	4

/* FADT Flags, ACPI 6.4 Table 5.10. */
#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_PWR_BUTTON	(1u << 4)
#define FADT_F_SLP_BUTTON	(1u << 5)
#define FADT_F_FIX_RTC		(1u << 6)
#define FADT_F_RESET_REG_SUP	(1u << 10)
/* IA-PC Boot Architecture Flags, ACPI 6.4 Table 5.11. */
#define FADT_IAPC_LEGACY_DEVICES	(1u << 0)

/* Generic Address Structure, ACPI 6.4 5.2.3.2 (Table 5.1). */
#define ACPIGEN_GAS_IO		1
#define ACPIGEN_ACCESS_BYTE	1
#define ACPIGEN_ACCESS_WORD	2
#define ACPIGEN_ACCESS_DWORD	3

/* AML opcodes, ACPI 6.4 20.2. */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_SCOPE_OP		0x10
#define AML_PACKAGE_OP		0x12
#define AML_ROOT_CHAR		0x5c	/* '\' */

/* Table revisions of ACPI 6.4 (5.2.5.3, 5.2.8, 5.2.9, 5.2.10, 5.2.11.1,
 * 5.2.12; MCFG from PCI Firmware 3.2). */
#define ACPIGEN_RSDP_REV	2
#define ACPIGEN_RSDT_REV	1
#define ACPIGEN_XSDT_REV	1
#define ACPIGEN_FADT_REV	6
#define ACPIGEN_FADT_MINOR	4
#define ACPIGEN_FACS_VERSION	2
/* Revision 2+ also makes AML integers 64 bits wide (5.2.11.1). */
#define ACPIGEN_DSDT_REV	2
#define ACPIGEN_MADT_REV	5
#define ACPIGEN_MCFG_REV	1

/* Header identity. 5.2.9 wants the FADT's OEM Table ID to match the one
 * in the RSDT: one ID for every table keeps that true. */
#define ACPIGEN_OEM_TABLE_ID	"VATRA   "
#define ACPIGEN_OEM_REV		1
#define ACPIGEN_CREATOR_ID	"VTRA"	/* also "compiled" the DSDT AML */
#define ACPIGEN_CREATOR_REV	1

/* 5.2.9: a worst-case C2 latency over 100 us, C3 over 1000 us, means the
 * state is not supported. A vCPU has no C2/C3 worth exposing: its idle is
 * HLT (C1). */
#define ACPIGEN_NO_C2_LAT	101
#define ACPIGEN_NO_C3_LAT	1001

#define ACPIGEN_4G		0x100000000ull
#define ACPIGEN_ECAM_BUS_SHIFT	20	/* 1 MiB of ECAM per bus */

/* ---- little-endian stores ---- */

static void acpigen_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void acpigen_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void acpigen_put64(uint8_t *p, uint64_t v)
{
	acpigen_put32(p, (uint32_t)v);
	acpigen_put32(p + 4, (uint32_t)(v >> 32));
}

/* Makes len bytes at p sum to zero mod 256 through the byte at p[at]
 * (5.2.5.3, 5.2.6). */
static void acpigen_checksum(uint8_t *p, size_t len, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	p[at] = (uint8_t)-sum;
}

/* GAS, 5.2.3.2: space id, bit width, bit offset, access size, address. */
static void acpigen_gas_io(uint8_t *p, unsigned ports, uint8_t access, uint16_t port)
{
	p[0] = ACPIGEN_GAS_IO;
	p[1] = (uint8_t)(ports * 8);
	p[2] = 0;
	p[3] = access;
	acpigen_put64(p + 4, port);
}

/* OEMID: 6 bytes, space padded by convention; cfg's string may be shorter. */
static void acpigen_oem_id(uint8_t *p, const struct acpigen_cfg *cfg)
{
	size_t i;

	for (i = 0; i < 6 && cfg->oem_id[i]; i++)
		p[i] = (uint8_t)cfg->oem_id[i];
	for (; i < 6; i++)
		p[i] = ' ';
}

/* System description table header, 5.2.6 (Table 5.4). The checksum at
 * offset 9 is filled in once the body is complete. */
static void acpigen_hdr(uint8_t *t, const char *sig, size_t len, uint8_t rev,
			const struct acpigen_cfg *cfg)
{
	memcpy(t, sig, 4);
	acpigen_put32(t + 4, (uint32_t)len);
	t[8] = rev;
	acpigen_oem_id(t + 10, cfg);
	memcpy(t + 16, ACPIGEN_OEM_TABLE_ID, 8);
	acpigen_put32(t + 24, ACPIGEN_OEM_REV);
	memcpy(t + 28, ACPIGEN_CREATOR_ID, 4);
	acpigen_put32(t + 32, ACPIGEN_CREATOR_REV);
}

/* ---- AML ---- */

size_t acpigen_pkglength(uint8_t out[4], size_t body_len)
{
	size_t n, total;

	/*
	 * 20.2.4: the encoded value counts the PkgLength bytes themselves, so
	 * the encoding size is found by trying the sizes in turn. One byte
	 * holds 0..63 in bits 5:0; with n follow bytes, bits 7:6 of the lead
	 * byte say n, its bits 3:0 hold the low nibble (bits 5:4 must be
	 * zero) and each follow byte the next 8 bits: 12, 20 or 28 bits.
	 */
	if (body_len >= 1u << 28)
		return 0;
	if (body_len <= 63 - 1) {
		out[0] = (uint8_t)(body_len + 1);
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = body_len + n;
		if (total >> (4 + 8 * (n - 1)))
			continue;
		out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
		for (size_t i = 1; i < n; i++)
			out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
		return n;
	}
	return 0;
}

/* An AML emitter that only counts while p is NULL, so the same code
 * measures a package body (for its PkgLength) and then writes it. */
struct acpigen_aml {
	uint8_t *p;
	size_t n;
};

static void acpigen_aml_byte(struct acpigen_aml *a, uint8_t b)
{
	if (a->p)
		a->p[a->n] = b;
	a->n++;
}

static void acpigen_aml_bytes(struct acpigen_aml *a, const void *src, size_t len)
{
	const uint8_t *s = src;

	for (size_t i = 0; i < len; i++)
		acpigen_aml_byte(a, s[i]);
}

/* ComputationalData (20.2.3) for a small integer: ZeroOp, OneOp or
 * BytePrefix ByteData, the shortest form as an ASL compiler emits it. */
static void acpigen_aml_int(struct acpigen_aml *a, uint8_t v)
{
	if (v == 0) {
		acpigen_aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		acpigen_aml_byte(a, AML_ONE_OP);
	} else {
		acpigen_aml_byte(a, AML_BYTE_PREFIX);
		acpigen_aml_byte(a, v);
	}
}

/* Op PkgLength body, from a body already laid out (op is 1 or 2 bytes). */
static size_t acpigen_wrap(uint8_t *dst, unsigned op, const uint8_t *body, size_t len)
{
	uint8_t pl[4];
	size_t n = acpigen_pkglength(pl, len), k = 0;

	if (op > 0xff)
		dst[k++] = (uint8_t)(op >> 8);
	dst[k++] = (uint8_t)op;
	memcpy(dst + k, pl, n);
	memcpy(dst + k + n, body, len);
	return k + n + len;
}

static size_t acpigen_dword(uint8_t *d, uint32_t v)
{
	d[0] = 0x0c;			/* DWordPrefix */
	acpigen_put32(d + 1, v);
	return 5;
}

/* Word Address Space descriptor (6.4.3.5.3): bus numbers (type 2) or
 * I/O (type 1), min and max fixed. */
static size_t acpigen_word_space(uint8_t *d, uint8_t type, uint8_t tflags, uint16_t min,
				 uint16_t max)
{
	static const uint8_t hdr[3] = { 0x88, 0x0d, 0x00 };
	uint16_t v[5] = { 0, min, max, 0, (uint16_t)(max - min + 1) };

	memcpy(d, hdr, 3);
	d[3] = type;
	d[4] = 0x0c;			/* MaxFixed, MinFixed, producer, positive decode */
	d[5] = tflags;
	for (unsigned i = 0; i < 5; i++) {
		d[6 + 2 * i] = (uint8_t)v[i];
		d[7 + 2 * i] = (uint8_t)(v[i] >> 8);
	}
	return 16;
}

/* Device (PCI0) { Name (_HID, EisaId ("PNP0A03")) Name (_ADR, Zero)
 *   Name (_UID, Zero) Name (_BBN, Zero)
 *   Name (_CRS, ResourceTemplate () { WordBusNumber 0-0xff,
 *     WordIO 0-0xcf7, WordIO 0xd00-0xffff, DWordMemory window })
 *   Name (_PRT, Package () { Package () { 0xSSSSFFFF, pin, Zero, gsi }, ... }) }
 * Returns its length; dst holds ACPIGEN_PCI0_MAX bytes. */
#define ACPIGEN_PCI0_MAX (160 + 24 * ACPIGEN_MAX_PRT)
/* NameOp NameSeg: the start of a DefName (20.2.5.1). */
static size_t acpigen_name(uint8_t *d, const char *seg)
{
	d[0] = AML_NAME_OP;
	memcpy(d + 1, seg, 4);
	return 5;
}

/* PCI0's _CRS template: bus numbers 0-0xff, I/O 0-0xcf7 and 0xd00-0xffff
 * (the config ports between are the host bridge's), the memory window;
 * then the End Tag. Returns its length (at most 80). */
static size_t acpigen_pci0_crs(const struct acpigen_cfg *cfg, uint8_t *res)
{
	size_t nr = 0;

	nr += acpigen_word_space(res + nr, 2, 0, 0, 0xff);
	nr += acpigen_word_space(res + nr, 1, 3, 0, 0xcf7);	/* ISA and non-ISA ranges */
	nr += acpigen_word_space(res + nr, 1, 3, 0xd00, 0xffff);
	/* DWord Address Space, memory (6.4.3.5.2): min and max fixed,
	 * read-write, non-cacheable; granularity and translation 0 */
	res[nr++] = 0x87;
	res[nr++] = 0x17;
	res[nr++] = 0x00;
	res[nr++] = 0;
	res[nr++] = 0x0c;
	res[nr++] = 0x01;
	acpigen_put32(res + nr, 0);
	acpigen_put32(res + nr + 4, cfg->pci_mem_base);
	acpigen_put32(res + nr + 8, cfg->pci_mem_end);
	acpigen_put32(res + nr + 12, 0);
	acpigen_put32(res + nr + 16, cfg->pci_mem_end - cfg->pci_mem_base + 1);
	nr += 20;
	res[nr++] = 0x79;		/* End Tag, checksum 0 */
	res[nr++] = 0x00;
	return nr;
}

static size_t acpigen_pci0(const struct acpigen_cfg *cfg, uint8_t *dst)
{
	static const char *const zeros[] = { "_ADR", "_UID", "_BBN" };
	uint8_t body[ACPIGEN_PCI0_MAX], prt[24 * ACPIGEN_MAX_PRT], ent[24], crs[96];
	size_t n = 0, np = 0, nc = 0;

	memcpy(body, "PCI0", 4);
	n = 4;
	n += acpigen_name(body + n, "_HID");
	n += acpigen_dword(body + n, 0x030ad041);	/* EisaId ("PNP0A03") */
	for (unsigned i = 0; i < 3; i++) {
		n += acpigen_name(body + n, zeros[i]);
		body[n++] = AML_ZERO_OP;
	}
	/* Name (_CRS, Buffer (size) { template }) */
	crs[nc++] = AML_BYTE_PREFIX;	/* BufferSize */
	crs[nc] = (uint8_t)acpigen_pci0_crs(cfg, crs + nc + 1);
	nc += 1 + crs[nc];
	n += acpigen_name(body + n, "_CRS");
	n += acpigen_wrap(body + n, 0x11, crs, nc);
	/* Name (_PRT, Package () { Package () { addr, pin, Zero, gsi }, ... }) */
	prt[np++] = (uint8_t)cfg->nprt;	/* NumElements */
	for (unsigned i = 0; i < cfg->nprt; i++) {
		struct acpigen_aml m = { ent, 0 };

		acpigen_aml_byte(&m, 4);
		m.n += acpigen_dword(ent + m.n, (uint32_t)cfg->prt[i].slot << 16 | 0xffff);
		acpigen_aml_int(&m, cfg->prt[i].pin);
		acpigen_aml_int(&m, 0);		/* source Zero: the index is a GSI */
		acpigen_aml_int(&m, cfg->prt[i].gsi);
		np += acpigen_wrap(prt + np, AML_PACKAGE_OP, ent, m.n);
	}
	n += acpigen_name(body + n, "_PRT");
	n += acpigen_wrap(body + n, AML_PACKAGE_OP, prt, np);
	return acpigen_wrap(dst, 0x5b82, body, n);	/* DeviceOp */
}

/* Scope(\_SB) body: RootChar NameSeg (20.2.2), then PCI0 when the
 * partition has INTx routes. \_SB is predefined (5.3.1). */
static void acpigen_sb_body(struct acpigen_aml *a, const struct acpigen_cfg *cfg)
{
	acpigen_aml_byte(a, AML_ROOT_CHAR);
	acpigen_aml_bytes(a, "_SB_", 4);
	if (cfg->nprt) {
		uint8_t dev[ACPIGEN_PCI0_MAX + 8];

		acpigen_aml_bytes(a, dev, acpigen_pci0(cfg, dev));
	}
}

/* Package(){SLP_TYPa, SLP_TYPb, 0, 0} body (20.2.5.5: NumElements then
 * the elements). 7.4.2: \_S5 holds PM1a_CNT.SLP_TYP, PM1b_CNT.SLP_TYP and
 * two reserved values; with no PM1b block both carry the same value. */
static void acpigen_s5_body(struct acpigen_aml *a, const struct acpigen_cfg *cfg)
{
	acpigen_aml_byte(a, 4);
	acpigen_aml_int(a, cfg->slp_typ_s5);
	acpigen_aml_int(a, cfg->slp_typ_s5);
	acpigen_aml_int(a, 0);
	acpigen_aml_int(a, 0);
}

/* Op PkgLength Body: DefScope and DefPackage (20.2.5.1, 20.2.5.5). */
static void acpigen_aml_pkg(struct acpigen_aml *a, uint8_t op,
			    void (*body)(struct acpigen_aml *, const struct acpigen_cfg *),
			    const struct acpigen_cfg *cfg)
{
	struct acpigen_aml m = { .p = NULL, .n = 0 };
	uint8_t len[4];
	size_t n;

	body(&m, cfg);
	/* Bodies here are a few bytes: always encodable. */
	n = acpigen_pkglength(len, m.n);
	acpigen_aml_byte(a, op);
	acpigen_aml_bytes(a, len, n);
	body(a, cfg);
}

/*
 * The DSDT's definition block (ASL equivalent):
 *	Scope (\_SB) { [Device (PCI0) { ... }] }
 *	Name (\_S5, Package () { typ, typ, 0, 0 })
 * Writes to out, or only measures with out NULL; returns the length.
 */
static size_t acpigen_dsdt_aml(const struct acpigen_cfg *cfg, uint8_t *out)
{
	struct acpigen_aml a = { .p = out, .n = 0 };

	acpigen_aml_pkg(&a, AML_SCOPE_OP, acpigen_sb_body, cfg);
	/* DefName := NameOp NameString DataRefObject (20.2.5.1) */
	acpigen_aml_byte(&a, AML_NAME_OP);
	acpigen_aml_byte(&a, AML_ROOT_CHAR);
	acpigen_aml_bytes(&a, "_S5_", 4);
	acpigen_aml_pkg(&a, AML_PACKAGE_OP, acpigen_s5_body, cfg);
	return a.n;
}

/* ---- layout ---- */

/* Byte offsets into buf; gpa = base + offset. */
struct acpigen_layout {
	bool low;		/* all of buf below 4 GiB: 32-bit pointers usable */
	size_t rsdp, facs, xsdt, rsdt, fadt, dsdt, madt, mcfg;
	size_t xsdt_len, rsdt_len, dsdt_len, madt_len;
	unsigned nentries;	/* tables listed by the XSDT/RSDT */
	size_t end;		/* first byte after the last table */
};

/* Reserves len bytes aligned to align (a power of two) in guest-physical
 * terms, after what is already placed. */
static int acpigen_place(struct acpigen_layout *l, uint64_t base, size_t size,
			 size_t align, size_t len, size_t *off)
{
	size_t pad = (size_t)(-(base + l->end) & (align - 1));

	if (pad > size - l->end || len > size - l->end - pad)
		return -ENOSPC;
	*off = l->end + pad;
	l->end = *off + len;
	return 0;
}

static int acpigen_layout(struct acpigen_layout *l, const struct acpigen_cfg *cfg,
			  uint64_t base, size_t size)
{
	int ret = 0;

	memset(l, 0, sizeof(*l));
	/* 32-bit table pointers (RsdtAddress, RSDT entries, FIRMWARE_CTRL,
	 * DSDT) only when every table lies below 4 GiB. */
	l->low = base < ACPIGEN_4G && size <= ACPIGEN_4G - base;
	l->nentries = cfg->mcfg_base ? 3 : 2;	/* FADT, MADT [, MCFG] */
	l->xsdt_len = ACPIGEN_HDR_LEN + 8 * l->nentries;
	l->rsdt_len = ACPIGEN_HDR_LEN + 4 * l->nentries;
	l->dsdt_len = ACPIGEN_HDR_LEN + acpigen_dsdt_aml(cfg, NULL);
	l->madt_len = ACPIGEN_MADT_HDR_LEN + cfg->ncpus * ACPIGEN_MADT_LAPIC_LEN +
		      ACPIGEN_MADT_IOAPIC_LEN + 2 * ACPIGEN_MADT_ISO_LEN +
		      ACPIGEN_MADT_LNMI_LEN;

	/* 5.2.5.1: the RSDP sits on a 16-byte boundary; first, so that it is
	 * the first signature a legacy scan from base meets. 5.2.10: the
	 * FACS is 64-byte aligned. The rest is 16-byte aligned for tidiness
	 * in a hex dump. */
	ret |= acpigen_place(l, base, size, 16, ACPIGEN_RSDP_LEN, &l->rsdp);
	ret |= acpigen_place(l, base, size, 64, ACPIGEN_FACS_LEN, &l->facs);
	ret |= acpigen_place(l, base, size, 16, l->xsdt_len, &l->xsdt);
	if (l->low)
		ret |= acpigen_place(l, base, size, 16, l->rsdt_len, &l->rsdt);
	ret |= acpigen_place(l, base, size, 16, ACPIGEN_FADT_LEN, &l->fadt);
	ret |= acpigen_place(l, base, size, 16, l->dsdt_len, &l->dsdt);
	ret |= acpigen_place(l, base, size, 16, l->madt_len, &l->madt);
	if (cfg->mcfg_base)
		ret |= acpigen_place(l, base, size, 16,
				     ACPIGEN_MCFG_HDR_LEN + ACPIGEN_MCFG_ENTRY_LEN, &l->mcfg);
	/* Every failure is -ENOSPC and any one fails the whole layout. */
	return ret ? -ENOSPC : 0;
}

/* ---- validation ---- */

static bool acpigen_ports_ok(uint16_t port, unsigned len)
{
	return port && (uint32_t)port + len <= 0x10000;
}

static bool acpigen_overlap(uint16_t a, unsigned alen, uint16_t b, unsigned blen)
{
	return (uint32_t)a < (uint32_t)b + blen && (uint32_t)b < (uint32_t)a + alen;
}

static int acpigen_check(const struct acpigen_cfg *cfg)
{
	/* xAPIC ids are 8 bits and 0xff is the broadcast id, so at most 255
	 * CPUs (ids 0..254) fit a LAPIC (not x2APIC) MADT entry. */
	if (!cfg->ncpus || cfg->ncpus > 255)
		return -EINVAL;
	/* The LAPIC base is a 4 KiB page (IA32_APIC_BASE bits 35:12). */
	if (!cfg->lapic_addr || (cfg->lapic_addr & 0xfff))
		return -EINVAL;
	if (!cfg->ioapic_addr)
		return -EINVAL;
	if (cfg->nprt > ACPIGEN_MAX_PRT ||
	    (cfg->nprt && (!cfg->pci_mem_base || cfg->pci_mem_end < cfg->pci_mem_base)))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->nprt; i++)
		if (cfg->prt[i].slot > 31 || cfg->prt[i].pin > 3)
			return -EINVAL;
	/* The SCI is described as an ISA IRQ (PCAT_COMPAT, 8259 mode
	 * SCI_INT); IRQ0 is the timer and IRQ2 the cascade, which the IRQ0
	 * override sends to GSI 2 instead. */
	if (!cfg->sci_irq || cfg->sci_irq == 2 || cfg->sci_irq > 15)
		return -EINVAL;
	/* SLP_TYPx is a 3-bit field of PM1x_CNT (4.8.3.2.1). */
	if (cfg->slp_typ_s5 > 7)
		return -EINVAL;
	/* Non-HW-reduced platforms must have the PM1a blocks (5.2.9); we
	 * always describe the PM timer too. */
	if (!acpigen_ports_ok(cfg->pm1a_evt, ACPIGEN_PM1_EVT_LEN) ||
	    !acpigen_ports_ok(cfg->pm1a_cnt, ACPIGEN_PM1_CNT_LEN) ||
	    !acpigen_ports_ok(cfg->pm_tmr, ACPIGEN_PM_TMR_LEN))
		return -EINVAL;
	if (acpigen_overlap(cfg->pm1a_evt, ACPIGEN_PM1_EVT_LEN, cfg->pm1a_cnt, ACPIGEN_PM1_CNT_LEN) ||
	    acpigen_overlap(cfg->pm1a_evt, ACPIGEN_PM1_EVT_LEN, cfg->pm_tmr, ACPIGEN_PM_TMR_LEN) ||
	    acpigen_overlap(cfg->pm1a_cnt, ACPIGEN_PM1_CNT_LEN, cfg->pm_tmr, ACPIGEN_PM_TMR_LEN))
		return -EINVAL;
	if (cfg->mcfg_base) {
		uint64_t len = ((uint64_t)cfg->mcfg_bus_end + 1) << ACPIGEN_ECAM_BUS_SHIFT;

		/* Bus 0's 1 MiB of ECAM starts at the base (PCI Firmware 3.2
		 * 4.1.2), so the base is at least 1 MiB aligned. */
		if (cfg->mcfg_base & ((1ull << ACPIGEN_ECAM_BUS_SHIFT) - 1) ||
		    cfg->mcfg_base > UINT64_MAX - (len - 1))
			return -EINVAL;
	}
	return 0;
}

/* ---- tables ---- */

static void acpigen_rsdp(uint8_t *p, const struct acpigen_cfg *cfg,
			 const struct acpigen_layout *l, uint64_t base)
{
	/* 5.2.5.3, Table 5.3 */
	memcpy(p, "RSD PTR ", 8);
	acpigen_oem_id(p + 9, cfg);
	p[15] = ACPIGEN_RSDP_REV;
	acpigen_put32(p + 16, l->low ? (uint32_t)(base + l->rsdt) : 0);
	acpigen_put32(p + 20, ACPIGEN_RSDP_LEN);
	acpigen_put64(p + 24, base + l->xsdt);
	/* The first checksum covers the ACPI 1.0 part only; the extended
	 * one covers everything, the first checksum included. */
	acpigen_checksum(p, ACPIGEN_RSDP_V1_LEN, 8);
	acpigen_checksum(p, ACPIGEN_RSDP_LEN, 32);
}

static void acpigen_facs(uint8_t *p)
{
	/* 5.2.10, Table 5.14. Hardware signature 0 (it never changes, so no
	 * "hardware changed" verdict after S4), waking vectors 0 (no S3/S4),
	 * global lock free, no S4BIOS, no 64-bit wake. No checksum field. */
	memcpy(p, "FACS", 4);
	acpigen_put32(p + 4, ACPIGEN_FACS_LEN);
	p[32] = ACPIGEN_FACS_VERSION;
}

static void acpigen_root(uint8_t *t, const char *sig, size_t len, unsigned esz,
			 const uint64_t *tables, unsigned n, const struct acpigen_cfg *cfg)
{
	/* 5.2.7 RSDT (32-bit entries), 5.2.8 XSDT (64-bit entries). */
	acpigen_hdr(t, sig, len, esz == 8 ? ACPIGEN_XSDT_REV : ACPIGEN_RSDT_REV, cfg);
	for (unsigned i = 0; i < n; i++) {
		if (esz == 8)
			acpigen_put64(t + ACPIGEN_HDR_LEN + 8 * i, tables[i]);
		else
			acpigen_put32(t + ACPIGEN_HDR_LEN + 4 * i, (uint32_t)tables[i]);
	}
	acpigen_checksum(t, len, 9);
}

static void acpigen_fadt(uint8_t *t, const struct acpigen_cfg *cfg,
			 const struct acpigen_layout *l, uint64_t base)
{
	uint64_t facs = base + l->facs, dsdt = base + l->dsdt;
	uint32_t flags;

	acpigen_hdr(t, "FACP", ACPIGEN_FADT_LEN, ACPIGEN_FADT_REV, cfg);

	/* At most one of FIRMWARE_CTRL and X_FIRMWARE_CTRL is non-zero
	 * (5.2.9): the 32-bit one below 4 GiB. */
	if (l->low)
		acpigen_put32(t + FADT_FIRMWARE_CTRL, (uint32_t)facs);
	else
		acpigen_put64(t + FADT_X_FIRMWARE_CTRL, facs);
	/* DSDT is 32-bit only; X_DSDT overrides it when non-zero. Both are
	 * given (same value) for OSes that read only one. */
	if (l->low)
		acpigen_put32(t + FADT_DSDT, (uint32_t)dsdt);
	acpigen_put64(t + FADT_X_DSDT, dsdt);

	t[FADT_PM_PROFILE] = 0;		/* Unspecified: a VM is no form factor */
	acpigen_put16(t + FADT_SCI_INT, cfg->sci_irq);
	/* SMI_CMD 0 (Table 5.9: no SMM), so ACPI_ENABLE, ACPI_DISABLE,
	 * S4BIOS_REQ, PSTATE_CNT and CST_CNT are 0 too: the hardware is in
	 * ACPI mode from the start and PM1a_CNT.SCI_EN must read 1. */

	/* PM1a event, PM1a control, PM timer as legacy ports plus X_ GAS with
	 * the same address and a bit width of 8 * the block length, which is
	 * what OSes cross-check. Accesses are as the registers are wide: the
	 * PM1 registers are 16-bit, the timer is read as a dword (4.8.3.3). */
	acpigen_put32(t + FADT_PM1A_EVT_BLK, cfg->pm1a_evt);
	acpigen_put32(t + FADT_PM1A_CNT_BLK, cfg->pm1a_cnt);
	acpigen_put32(t + FADT_PM_TMR_BLK, cfg->pm_tmr);
	t[FADT_PM1_EVT_LEN] = ACPIGEN_PM1_EVT_LEN;
	t[FADT_PM1_CNT_LEN] = ACPIGEN_PM1_CNT_LEN;
	t[FADT_PM_TMR_LEN] = ACPIGEN_PM_TMR_LEN;
	/* No PM1b, PM2 or GPE blocks: their addresses and lengths stay 0. */
	acpigen_gas_io(t + FADT_X_PM1A_EVT_BLK, ACPIGEN_PM1_EVT_LEN, ACPIGEN_ACCESS_WORD,
		       cfg->pm1a_evt);
	acpigen_gas_io(t + FADT_X_PM1A_CNT_BLK, ACPIGEN_PM1_CNT_LEN, ACPIGEN_ACCESS_WORD,
		       cfg->pm1a_cnt);
	acpigen_gas_io(t + FADT_X_PM_TMR_BLK, ACPIGEN_PM_TMR_LEN, ACPIGEN_ACCESS_DWORD,
		       cfg->pm_tmr);

	acpigen_put16(t + FADT_P_LVL2_LAT, ACPIGEN_NO_C2_LAT);
	acpigen_put16(t + FADT_P_LVL3_LAT, ACPIGEN_NO_C3_LAT);
	/* FLUSH_SIZE/STRIDE are ignored with WBINVD set; no RTC alarm or
	 * century fields (DAY_ALRM, MON_ALRM, CENTURY 0). */

	/* Table 5.11: LEGACY_DEVICES set (there are ISA-style devices, COM1
	 * at 0x3f8); 8042 clear, so Linux marks the keyboard controller
	 * absent and never probes ports 0x60/0x64, which are not emulated.
	 * VGA Not Present and CMOS RTC Not Present stay clear: legacy VGA and
	 * the RTC are the platform's call, not this table's. */
	acpigen_put16(t + FADT_IAPC_BOOT_ARCH, FADT_IAPC_LEGACY_DEVICES);

	/* Table 5.10: WBINVD works (an instruction the CPU implements),
	 * C1 via HLT on every CPU. PWR_BUTTON/SLP_BUTTON set: no fixed
	 * feature buttons (and no control method ones either), so the OS
	 * leaves PWRBTN_EN/SLPBTN_EN alone. FIX_RTC set: no RTC wake status
	 * in PM1. TMR_VAL_EXT clear: the PM timer is 24 bits. */
	flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
		FADT_F_SLP_BUTTON | FADT_F_FIX_RTC;
	if (cfg->reset_port) {
		/* 4.8.3.6 and Table 5.9: the reset register is 8 bits wide
		 * at bit offset 0, here in system I/O space. */
		flags |= FADT_F_RESET_REG_SUP;
		acpigen_gas_io(t + FADT_RESET_REG, 1, ACPIGEN_ACCESS_BYTE, cfg->reset_port);
		t[FADT_RESET_VALUE] = cfg->reset_value;
	}
	acpigen_put32(t + FADT_FLAGS, flags);
	t[FADT_MINOR_VERSION] = ACPIGEN_FADT_MINOR;
	/* Hypervisor Vendor Identity (268) stays 0. */

	acpigen_checksum(t, ACPIGEN_FADT_LEN, 9);
}

static void acpigen_dsdt(uint8_t *t, const struct acpigen_cfg *cfg, size_t len)
{
	acpigen_hdr(t, "DSDT", len, ACPIGEN_DSDT_REV, cfg);
	acpigen_dsdt_aml(cfg, t + ACPIGEN_HDR_LEN);
	acpigen_checksum(t, len, 9);
}

static uint8_t *acpigen_iso(uint8_t *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	/* 5.2.12.5: bus 0 (ISA), source IRQ, GSI, MPS INTI flags. */
	e[0] = ACPIGEN_MADT_ISO;
	e[1] = ACPIGEN_MADT_ISO_LEN;
	e[2] = 0;
	e[3] = irq;
	acpigen_put32(e + 4, gsi);
	acpigen_put16(e + 8, flags);
	return e + ACPIGEN_MADT_ISO_LEN;
}

static void acpigen_madt(uint8_t *t, const struct acpigen_cfg *cfg, size_t len)
{
	uint8_t *e = t + ACPIGEN_MADT_HDR_LEN;

	acpigen_hdr(t, "APIC", len, ACPIGEN_MADT_REV, cfg);
	acpigen_put32(t + 36, cfg->lapic_addr);
	/* PCAT_COMPAT: the guest also has (emulated) 8259s, which the OS
	 * must mask when it switches to APIC mode. */
	acpigen_put32(t + 40, ACPIGEN_MADT_PCAT_COMPAT);

	/* 5.2.12.2: UID, APIC id, flags (Enabled). The boot processor (APIC
	 * id 0, vCPU 0) is listed first, as 5.2.12 asks of firmware. */
	for (unsigned i = 0; i < cfg->ncpus; i++) {
		e[0] = ACPIGEN_MADT_LAPIC;
		e[1] = ACPIGEN_MADT_LAPIC_LEN;
		e[2] = (uint8_t)i;
		e[3] = (uint8_t)i;
		acpigen_put32(e + 4, ACPIGEN_LAPIC_ENABLED);
		e += ACPIGEN_MADT_LAPIC_LEN;
	}

	/* 5.2.12.3: id, reserved, address, GSI base 0 (its pins are GSIs
	 * 0..n, ISA IRQs identity mapped unless overridden). */
	e[0] = ACPIGEN_MADT_IOAPIC;
	e[1] = ACPIGEN_MADT_IOAPIC_LEN;
	e[2] = cfg->ioapic_id;
	e[3] = 0;
	acpigen_put32(e + 4, cfg->ioapic_addr);
	acpigen_put32(e + 8, 0);
	e += ACPIGEN_MADT_IOAPIC_LEN;

	/* 5.2.12.5: the PIT (IRQ0) is wired to IOAPIC pin 2, as on PCs;
	 * ISA edge, active high. Without an override OSPM treats the SCI as
	 * a level, active low interrupt (5.2.9, SCI_INT); this platform
	 * drives it level, active high, and the override says so. */
	e = acpigen_iso(e, 0, 2, ACPIGEN_INTI_EDGE | ACPIGEN_INTI_HIGH);
	e = acpigen_iso(e, (uint8_t)cfg->sci_irq, cfg->sci_irq,
			ACPIGEN_INTI_LEVEL | ACPIGEN_INTI_HIGH);

	/* 5.2.12.7: NMI arrives on LINT1 of every local APIC, edge, high. */
	e[0] = ACPIGEN_MADT_LNMI;
	e[1] = ACPIGEN_MADT_LNMI_LEN;
	e[2] = ACPIGEN_ALL_CPUS;
	acpigen_put16(e + 3, ACPIGEN_INTI_EDGE | ACPIGEN_INTI_HIGH);
	e[5] = 1;

	acpigen_checksum(t, len, 9);
}

static void acpigen_mcfg(uint8_t *t, const struct acpigen_cfg *cfg)
{
	size_t len = ACPIGEN_MCFG_HDR_LEN + ACPIGEN_MCFG_ENTRY_LEN;
	uint8_t *e = t + ACPIGEN_MCFG_HDR_LEN;

	/* PCI Firmware 3.2 4.1.2, Table 4-3: base, segment 0, start bus 0,
	 * end bus, 4 reserved bytes. */
	acpigen_hdr(t, "MCFG", len, ACPIGEN_MCFG_REV, cfg);
	acpigen_put64(e, cfg->mcfg_base);
	acpigen_put16(e + 8, 0);
	e[10] = 0;
	e[11] = cfg->mcfg_bus_end;
	acpigen_checksum(t, len, 9);
}

int acpigen_build(const struct acpigen_cfg *cfg, uint8_t *buf, uint64_t base,
		  size_t size, uint64_t *rsdp_gpa)
{
	struct acpigen_layout l;
	uint64_t tables[3];
	unsigned n = 0;
	int ret;

	if (!cfg || !buf || !rsdp_gpa)
		return -EINVAL;
	/* The buffer stands for guest memory; it may end exactly at 2^64. */
	if (size && base > UINT64_MAX - (size - 1))
		return -EINVAL;
	ret = acpigen_check(cfg);
	if (ret)
		return ret;
	ret = acpigen_layout(&l, cfg, base, size);
	if (ret)
		return ret;

	/* Padding between tables is zeroed too: nothing stale in the
	 * region the guest sees as firmware tables. */
	memset(buf, 0, l.end);

	/* 5.2.8: the FADT first, as OSes have long expected. The DSDT and
	 * FACS are reached through the FADT only, never listed. */
	tables[n++] = base + l.fadt;
	tables[n++] = base + l.madt;
	if (cfg->mcfg_base)
		tables[n++] = base + l.mcfg;

	acpigen_facs(buf + l.facs);
	acpigen_dsdt(buf + l.dsdt, cfg, l.dsdt_len);
	acpigen_madt(buf + l.madt, cfg, l.madt_len);
	if (cfg->mcfg_base)
		acpigen_mcfg(buf + l.mcfg, cfg);
	acpigen_fadt(buf + l.fadt, cfg, &l, base);
	acpigen_root(buf + l.xsdt, "XSDT", l.xsdt_len, 8, tables, n, cfg);
	if (l.low)
		acpigen_root(buf + l.rsdt, "RSDT", l.rsdt_len, 4, tables, n, cfg);
	acpigen_rsdp(buf + l.rsdp, cfg, &l, base);

	*rsdp_gpa = base + l.rsdp;
	return 0;
}
