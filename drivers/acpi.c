/* ACPI static table discovery. See drivers/acpi.h.
 *
 * Firmware tables are untrusted: every pointer comes from map() with an
 * explicit length, every read is checked against the length we were granted,
 * and every variable-length sub-entry loop advances by at least the size of
 * an entry header, so a corrupt table costs an error message, never a fault
 * or a hang.
 */
#include "drivers/acpi.h"
#include "lib/string.h"
#include "lib/strutil.h"
#include "lib/errno.h"

/* Sizes from ACPI 6.4, 5.2.5.3 (RSDP) and 5.2.6 (system description header). */
#define ACPI_HDR_LEN		36
#define ACPI_RSDP_V1_LEN	20	/* the part covered by the first checksum */
#define ACPI_RSDP_V2_LEN	36
/* The RSDP is 36 bytes in every revision so far; a Length far beyond that is
 * corruption, not a future extension. */
#define ACPI_RSDP_MAX_LEN	4096
/* No sane table is this big (large server DSDTs are around 1 MiB); the cap
 * keeps a corrupt length from making us checksum gigabytes. */
#define ACPI_TABLE_MAX_LEN	(16u << 20)

/* MADT, ACPI 6.4 5.2.12: header, Local Interrupt Controller Address, Flags. */
#define MADT_HDR_LEN		44
#define MADT_PCAT_COMPAT	(1u << 0)
#define MADT_LAPIC		0	/* 5.2.12.2, 8 bytes */
#define MADT_IOAPIC		1	/* 5.2.12.3, 12 bytes */
#define MADT_ISO		2	/* 5.2.12.5, 10 bytes */
#define MADT_X2APIC		9	/* 5.2.12.12, 16 bytes */
#define MADT_CPU_ENABLED	(1u << 0)
#define MADT_CPU_ONLINE_CAP	(1u << 1)

/* MCFG, PCI Firmware 3.2 4.1.2: header + 8 reserved bytes, 16-byte entries. */
#define MCFG_HDR_LEN		44
#define MCFG_ENTRY_LEN		16

/* FADT, ACPI 6.4 5.2.9, Table 5.9: byte offsets of the fields we use. */
#define FADT_DSDT		40
#define FADT_SCI_INT		46
#define FADT_SMI_CMD		48
#define FADT_ACPI_ENABLE	52
#define FADT_PM1A_CNT		64
#define FADT_PM1B_CNT		68
#define FADT_PM_TMR		76
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_X_DSDT		140
#define FADT_X_PM1A_CNT		172
#define FADT_X_PM1B_CNT		184
#define FADT_X_PM_TMR		208
#define FADT_GAS_LEN		12	/* 5.2.3.2 */
/* The FACS and DSDT pointers are in every revision; anything shorter
 * cannot describe a system. */
#define FADT_MIN_LEN		44
/* FADT Flags, ACPI 6.4 Table 5.10. */
#define FADT_TMR_VAL_EXT	(1u << 8)
#define FADT_RESET_REG_SUP	(1u << 10)
#define FADT_HW_REDUCED		(1u << 20)

/* AML opcodes, ACPI 6.4 20.2.3 and 20.2.5. */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_PACKAGE_OP		0x12

/* DMAR, Intel VT-d 4.0 8.1: header, HAW, flags, 10 reserved bytes. */
#define DMAR_HDR_LEN		48
#define DMAR_HAW		36
#define DMAR_FLAGS		37
#define DMAR_INTR_REMAP		(1u << 0)
#define DMAR_DRHD		0
#define DMAR_DRHD_LEN		16	/* 8.3 */

/* IVRS, AMD IOMMU 3.0 5.2.1: header, IVinfo, 8 reserved bytes. */
#define IVRS_HDR_LEN		48
#define IVRS_IVHD_10		0x10	/* 5.2.2.1, 24-byte block header */
#define IVRS_IVHD_11		0x11	/* 40-byte block header */
#define IVRS_IVHD_40		0x40	/* 40-byte block header */

/* ---- little-endian field access (tables are unaligned byte streams) ---- */

static uint16_t acpi_get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | (uint16_t)p[off + 1] << 8);
}

static uint32_t acpi_get32(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static uint64_t acpi_get64(const uint8_t *p, size_t off)
{
	return (uint64_t)acpi_get32(p, off) | (uint64_t)acpi_get32(p, off + 4) << 32;
}

/* ---- error messages ---- */

/*
 * A tiny formatter: fmt may contain %u (decimal) and %x (0x-prefixed hex),
 * consuming a, b, c in turn. Output is truncated to ACPI_MSG_MAX - 1.
 */
struct acpi_msg {
	char buf[ACPI_MSG_MAX];
	size_t n;
};

static void acpi_msg_ch(struct acpi_msg *m, char c)
{
	if (m->n < sizeof(m->buf) - 1)
		m->buf[m->n++] = c;
	m->buf[m->n] = '\0';
}

static void acpi_msg_str(struct acpi_msg *m, const char *s)
{
	while (*s)
		acpi_msg_ch(m, *s++);
}

static void acpi_msg_num(struct acpi_msg *m, uint64_t v, unsigned base)
{
	char t[20];
	int i = 0;

	if (base == 16)
		acpi_msg_str(m, "0x");
	do {
		t[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		acpi_msg_ch(m, t[--i]);
}

static void acpi_record(struct acpi_info *ai, const char *msg)
{
	if (ai->nerrors < ACPI_MAX_ERRORS) {
		str_copy(ai->errors[ai->nerrors++], msg, ACPI_MSG_MAX);
		return;
	}
	/* Keep the first problems (they usually explain the rest) and make
	 * the loss visible. */
	str_copy(ai->errors[ACPI_MAX_ERRORS - 1], "further errors dropped",
		 ACPI_MSG_MAX);
}

/* Records "sig: <fmt>". */
static void acpi_err(struct acpi_info *ai, const char *sig, const char *fmt,
		     uint64_t a, uint64_t b, uint64_t c)
{
	struct acpi_msg m = { .n = 0 };
	uint64_t args[3] = { a, b, c };
	unsigned next = 0;

	m.buf[0] = '\0';
	acpi_msg_str(&m, sig);
	acpi_msg_str(&m, ": ");
	for (; *fmt; fmt++) {
		if (fmt[0] == '%' && (fmt[1] == 'u' || fmt[1] == 'x') && next < 3) {
			acpi_msg_num(&m, args[next++], fmt[1] == 'x' ? 16 : 10);
			fmt++;
			continue;
		}
		acpi_msg_ch(&m, *fmt);
	}
	acpi_record(ai, m.buf);
}

/* Firmware strings are shown to humans: replace anything non-printable. */
static char acpi_printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) ? (char)c : '?';
}

static void acpi_copy_sig(char out[5], const uint8_t *p)
{
	for (int i = 0; i < 4; i++)
		out[i] = acpi_printable(p[i]);
	out[4] = '\0';
}

/* OEMID is 6 bytes, space padded by convention, NUL terminated by some. */
static void acpi_copy_oem(char out[7], const uint8_t *p)
{
	int i;

	for (i = 0; i < 6 && p[i]; i++)
		out[i] = acpi_printable(p[i]);
	out[i] = '\0';
}

/* ---- checksums and mapping ---- */

bool acpi_checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *b++);
	return sum == 0;
}

static const uint8_t *acpi_map(const struct acpi_env *env, uint64_t phys, size_t len)
{
	/* A range that wraps the address space cannot be real memory. */
	if (!len || phys > UINT64_MAX - (len - 1))
		return NULL;
	return env->map(env->ctx, phys, len);
}

/* ---- MADT ---- */

static void acpi_add_cpu(struct acpi_info *ai, uint32_t apic_id, uint32_t uid,
			 uint32_t flags, bool x2apic, bool *overflow)
{
	struct acpi_cpu *cpu;

	/* ACPI 6.4 5.2.12.2: with Enabled and Online Capable both clear the
	 * processor is unusable and OSPM must not try to use it. Dropping
	 * those keeps placeholder entries from eating the fixed-size table. */
	if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAP)))
		return;
	if (ai->ncpus >= ACPI_MAX_CPUS) {
		if (!*overflow)
			acpi_err(ai, "APIC", "more than %u usable CPUs, rest ignored",
				 ACPI_MAX_CPUS, 0, 0);
		*overflow = true;
		return;
	}
	cpu = &ai->cpus[ai->ncpus++];
	cpu->apic_id = apic_id;
	cpu->uid = uid;
	cpu->enabled = flags & MADT_CPU_ENABLED;
	/* Online Capable only means something while Enabled is clear. */
	cpu->online_capable = !cpu->enabled && (flags & MADT_CPU_ONLINE_CAP);
	cpu->x2apic = x2apic;
}

static size_t acpi_madt_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:	return 8;
	case MADT_IOAPIC:	return 12;
	case MADT_ISO:		return 10;
	case MADT_X2APIC:	return 16;
	default:		return 2;
	}
}

int acpi_parse_madt(struct acpi_info *ai, const void *tbl, size_t len)
{
	const uint8_t *p = tbl;
	bool cpu_over = false, ioapic_over = false, iso_over = false;
	size_t off, elen;

	if (len < MADT_HDR_LEN) {
		acpi_err(ai, "APIC", "length %u shorter than header", len, 0, 0);
		return -EBADMSG;
	}
	ai->have_madt = true;
	ai->lapic_addr = acpi_get32(p, 36);
	ai->pcat_compat = acpi_get32(p, 40) & MADT_PCAT_COMPAT;

	/* Interrupt controller structures: type, length, body (5.2.12). */
	for (off = MADT_HDR_LEN; off < len; off += elen) {
		const uint8_t *e = p + off;
		uint8_t type;

		if (len - off < 2) {
			acpi_err(ai, "APIC", "truncated entry header at offset %u",
				 off, 0, 0);
			return -EBADMSG;
		}
		type = e[0];
		elen = e[1];
		/* A length below 2 would never advance the walk. */
		if (elen < 2) {
			acpi_err(ai, "APIC", "entry type %u at offset %u has length %u",
				 type, off, elen);
			return -EBADMSG;
		}
		if (elen > len - off) {
			acpi_err(ai, "APIC", "entry type %u at offset %u runs past end (length %u)",
				 type, off, elen);
			return -EBADMSG;
		}
		/* Later revisions may grow a structure, never shrink it. */
		if (elen < acpi_madt_min_len(type)) {
			acpi_err(ai, "APIC", "entry type %u at offset %u too short (length %u)",
				 type, off, elen);
			return -EBADMSG;
		}

		switch (type) {
		case MADT_LAPIC:
			/* UID @2 (1), APIC ID @3 (1), flags @4 (4) */
			acpi_add_cpu(ai, e[3], e[2], acpi_get32(e, 4), false, &cpu_over);
			break;
		case MADT_X2APIC:
			/* reserved @2 (2), x2APIC ID @4, flags @8, UID @12 */
			acpi_add_cpu(ai, acpi_get32(e, 4), acpi_get32(e, 12),
				     acpi_get32(e, 8), true, &cpu_over);
			break;
		case MADT_IOAPIC:
			/* ID @2, reserved @3, address @4, GSI base @8 */
			if (ai->nioapics >= ACPI_MAX_IOAPICS) {
				if (!ioapic_over)
					acpi_err(ai, "APIC", "more than %u I/O APICs, rest ignored",
						 ACPI_MAX_IOAPICS, 0, 0);
				ioapic_over = true;
				break;
			}
			ai->ioapics[ai->nioapics].id = e[2];
			ai->ioapics[ai->nioapics].addr = acpi_get32(e, 4);
			ai->ioapics[ai->nioapics].gsi_base = acpi_get32(e, 8);
			ai->nioapics++;
			break;
		case MADT_ISO:
			/* bus @2, source @3, GSI @4, MPS INTI flags @8 */
			if (ai->nisos >= ACPI_MAX_ISOS) {
				if (!iso_over)
					acpi_err(ai, "APIC", "more than %u interrupt overrides, rest ignored",
						 ACPI_MAX_ISOS, 0, 0);
				iso_over = true;
				break;
			}
			ai->isos[ai->nisos].bus = e[2];
			ai->isos[ai->nisos].source = e[3];
			ai->isos[ai->nisos].gsi = acpi_get32(e, 4);
			ai->isos[ai->nisos].flags = acpi_get16(e, 8);
			ai->nisos++;
			break;
		default:
			/* NMI sources, LAPIC NMI, address override, GIC...: not
			 * needed here, skipped by their length. */
			break;
		}
	}
	return 0;
}

/* ---- MCFG ---- */

int acpi_parse_mcfg(struct acpi_info *ai, const void *tbl, size_t len)
{
	const uint8_t *p = tbl;
	bool over = false;
	int ret = 0;
	size_t off;
	unsigned i;

	if (len < MCFG_HDR_LEN) {
		acpi_err(ai, "MCFG", "length %u shorter than header", len, 0, 0);
		return -EBADMSG;
	}
	for (off = MCFG_HDR_LEN, i = 0; len - off >= MCFG_ENTRY_LEN;
	     off += MCFG_ENTRY_LEN, i++) {
		const uint8_t *e = p + off;
		struct acpi_mcfg *m;

		/* base @0 (8), segment @8 (2), start bus @10, end bus @11 */
		if (e[11] < e[10]) {
			acpi_err(ai, "MCFG", "entry %u bus range %u-%u is inverted",
				 i, e[10], e[11]);
			ret = -EBADMSG;
			continue;
		}
		if (!acpi_get64(e, 0)) {
			acpi_err(ai, "MCFG", "entry %u has base address 0", i, 0, 0);
			ret = -EBADMSG;
			continue;
		}
		if (ai->nmcfg >= ACPI_MAX_MCFG) {
			if (!over)
				acpi_err(ai, "MCFG", "more than %u entries, rest ignored",
					 ACPI_MAX_MCFG, 0, 0);
			over = true;
			continue;
		}
		m = &ai->mcfg[ai->nmcfg++];
		m->base = acpi_get64(e, 0);
		m->segment = acpi_get16(e, 8);
		m->bus_start = e[10];
		m->bus_end = e[11];
	}
	if (off != len) {
		acpi_err(ai, "MCFG", "length %u leaves a partial %u-byte entry",
			 len, len - off, 0);
		return -EBADMSG;
	}
	return ret;
}

/* ---- FADT ---- */

static bool acpi_has(size_t len, size_t off, size_t size)
{
	return off + size <= len;
}

static void acpi_get_gas(struct acpi_gas *g, const uint8_t *p, size_t off)
{
	g->space = p[off];
	g->bit_width = p[off + 1];
	g->bit_offset = p[off + 2];
	g->access_size = p[off + 3];
	g->addr = acpi_get64(p, off + 4);
}

/*
 * Prefer an X_ register block (ACPI 6.4 5.2.9: "if this field contains a
 * non-zero value, the legacy field is ignored") but only when it is an I/O
 * port, since the result is reported as a port number.
 */
static uint32_t acpi_fadt_port(const uint8_t *p, size_t len, size_t legacy, size_t x)
{
	struct acpi_gas g;

	if (acpi_has(len, x, FADT_GAS_LEN)) {
		acpi_get_gas(&g, p, x);
		if (g.space == ACPI_GAS_IO && g.addr && g.addr <= 0xffff)
			return (uint32_t)g.addr;
	}
	return acpi_has(len, legacy, 4) ? acpi_get32(p, legacy) : 0;
}

int acpi_parse_fadt(struct acpi_info *ai, const void *tbl, size_t len)
{
	const uint8_t *p = tbl;
	uint32_t flags = 0;

	/* Old revisions are shorter (ACPI 1.0: 116 bytes, rev 1); every field
	 * below is read only when it lies within len. */
	if (len < FADT_MIN_LEN) {
		acpi_err(ai, "FACP", "length %u shorter than header", len, 0, 0);
		return -EBADMSG;
	}
	ai->have_fadt = true;
	ai->fadt_rev = p[8];

	ai->dsdt_phys = acpi_get32(p, FADT_DSDT);
	/* 5.2.9: a non-zero X_DSDT overrides DSDT. */
	if (acpi_has(len, FADT_X_DSDT, 8) && acpi_get64(p, FADT_X_DSDT))
		ai->dsdt_phys = acpi_get64(p, FADT_X_DSDT);

	if (acpi_has(len, FADT_FLAGS, 4))
		flags = acpi_get32(p, FADT_FLAGS);
	ai->hw_reduced = flags & FADT_HW_REDUCED;

	/* RESET_REG and RESET_VALUE (ACPI 2.0+) must both be present. */
	if ((flags & FADT_RESET_REG_SUP) && acpi_has(len, FADT_RESET_VALUE, 1)) {
		ai->reset_supported = true;
		acpi_get_gas(&ai->reset_reg, p, FADT_RESET_REG);
		ai->reset_value = p[FADT_RESET_VALUE];
	}

	/* 5.2.9: on HW-reduced platforms OSPM ignores the fixed hardware
	 * fields (offsets 46-108, 148-232, and TMR_VAL_EXT among the flags),
	 * so report them absent rather than pass on firmware leftovers. */
	if (ai->hw_reduced)
		return 0;

	if (acpi_has(len, FADT_SCI_INT, 2))
		ai->sci_irq = acpi_get16(p, FADT_SCI_INT);
	if (acpi_has(len, FADT_SMI_CMD, 4))
		ai->smi_cmd = acpi_get32(p, FADT_SMI_CMD);
	if (acpi_has(len, FADT_ACPI_ENABLE, 1))
		ai->acpi_enable = p[FADT_ACPI_ENABLE];
	ai->pm1a_cnt = acpi_fadt_port(p, len, FADT_PM1A_CNT, FADT_X_PM1A_CNT);
	ai->pm1b_cnt = acpi_fadt_port(p, len, FADT_PM1B_CNT, FADT_X_PM1B_CNT);
	ai->pm_tmr = acpi_fadt_port(p, len, FADT_PM_TMR, FADT_X_PM_TMR);
	ai->pm_tmr_32bit = ai->pm_tmr && (flags & FADT_TMR_VAL_EXT);
	return 0;
}

/* ---- DSDT \_S5 ---- */

/*
 * One integer data object (ACPI 6.4 20.2.3 ComputationalData): ZeroOp,
 * OneOp, BytePrefix, WordPrefix or DWordPrefix, entirely before end.
 */
static int acpi_aml_int(const uint8_t *p, size_t *pos, size_t end, uint64_t *val)
{
	size_t at = *pos, n;

	if (at >= end)
		return -EBADMSG;
	switch (p[at]) {
	case AML_ZERO_OP:	*val = 0; *pos = at + 1; return 0;
	case AML_ONE_OP:	*val = 1; *pos = at + 1; return 0;
	case AML_BYTE_PREFIX:	n = 1; break;
	case AML_WORD_PREFIX:	n = 2; break;
	case AML_DWORD_PREFIX:	n = 4; break;
	default:		return -EINVAL;
	}
	if (end - at - 1 < n)
		return -EBADMSG;
	*val = 0;
	for (size_t i = 0; i < n; i++)
		*val |= (uint64_t)p[at + 1 + i] << (8 * i);
	*pos = at + 1 + n;
	return 0;
}

/* Parses the package whose PackageOp is at p[pos]. */
static int acpi_s5_package(struct acpi_info *ai, const uint8_t *p, size_t len,
			   size_t pos)
{
	size_t name_off = pos - 4, end, nbytes, pkglen, i;
	uint64_t val[2];
	uint8_t lead, nel;

	pos++;	/* PackageOp */
	if (pos >= len)
		goto truncated;
	/* PkgLength, 20.2.4: bits 7:6 of the lead byte count the bytes that
	 * follow; a one-byte length uses bits 5:0, otherwise bits 3:0 are the
	 * low nibble and each further byte adds 8 bits. The length counts
	 * itself but not the PackageOp. */
	lead = p[pos];
	nbytes = lead >> 6;
	if (len - pos < nbytes + 1)
		goto truncated;
	if (!nbytes) {
		pkglen = lead & 0x3f;
	} else {
		pkglen = lead & 0x0f;
		for (i = 0; i < nbytes; i++)
			pkglen |= (size_t)p[pos + 1 + i] << (4 + 8 * i);
	}
	if (pkglen < nbytes + 2) {
		acpi_err(ai, "DSDT", "_S5_ at offset %u has package length %u",
			 name_off, pkglen, 0);
		return -EBADMSG;
	}
	if (pkglen > len - pos)
		goto truncated;
	end = pos + pkglen;
	pos += nbytes + 1;

	nel = p[pos++];		/* NumElements, 20.2.5.5 */
	if (nel < 2) {
		acpi_err(ai, "DSDT", "_S5_ at offset %u has %u elements, need 2",
			 name_off, nel, 0);
		return -EBADMSG;
	}
	for (i = 0; i < 2; i++) {
		size_t at = pos;
		int ret = acpi_aml_int(p, &pos, end, &val[i]);

		if (ret == -EINVAL) {
			acpi_err(ai, "DSDT", "_S5_ element %u has unsupported opcode %x",
				 i, p[at], 0);
			return -EBADMSG;
		}
		if (ret)
			goto truncated;
		/* SLP_TYPx is a 3-bit field of PM1x_CNT (4.8.3.2.1). */
		if (val[i] > 0xff) {
			acpi_err(ai, "DSDT", "_S5_ element %u value %x out of range",
				 i, val[i], 0);
			return -EBADMSG;
		}
	}
	ai->have_s5 = true;
	ai->slp_typa = (uint8_t)val[0];
	ai->slp_typb = (uint8_t)val[1];
	return 0;

truncated:
	acpi_err(ai, "DSDT", "_S5_ package at offset %u truncated (table length %u)",
		 name_off, len, 0);
	return -EBADMSG;
}

int acpi_find_s5(struct acpi_info *ai, const void *dsdt, size_t len)
{
	const uint8_t *p = dsdt;
	size_t i;

	if (len < ACPI_HDR_LEN) {
		acpi_err(ai, "DSDT", "length %u shorter than header", len, 0, 0);
		return -EBADMSG;
	}
	/*
	 * Name(_S5, Package(){a, b, ...}) encodes as NameOp, [RootChar],
	 * "_S5_", PackageOp, ... (20.2.5.1). Without an interpreter we take
	 * the first "_S5_" that is followed by a PackageOp; other occurrences
	 * (references, strings) are skipped.
	 */
	for (i = ACPI_HDR_LEN; len - i > 4; i++) {
		if (memcmp(p + i, "_S5_", 4) || p[i + 4] != AML_PACKAGE_OP)
			continue;
		return acpi_s5_package(ai, p, len, i + 4);
	}
	return 0;
}

/* ---- DMAR ---- */

int acpi_parse_dmar(struct acpi_info *ai, const void *tbl, size_t len)
{
	const uint8_t *p = tbl;
	size_t off, slen;

	if (len < DMAR_HDR_LEN) {
		acpi_err(ai, "DMAR", "length %u shorter than header", len, 0, 0);
		return -EBADMSG;
	}
	ai->have_dmar = true;
	ai->dmar_intr_remap = p[DMAR_FLAGS] & DMAR_INTR_REMAP;
	/* VT-d 8.1: HAW holds N where the DMA address width is N+1 bits. */
	if (p[DMAR_HAW] > 63) {
		acpi_err(ai, "DMAR", "host address width %u out of range",
			 p[DMAR_HAW] + 1u, 0, 0);
		return -EBADMSG;
	}
	ai->dmar_haw = (uint8_t)(p[DMAR_HAW] + 1);

	/* Remapping structures: 16-bit type, 16-bit length (VT-d 8.2). */
	for (off = DMAR_HDR_LEN; off < len; off += slen) {
		uint16_t type;

		if (len - off < 4) {
			acpi_err(ai, "DMAR", "truncated structure header at offset %u",
				 off, 0, 0);
			return -EBADMSG;
		}
		type = acpi_get16(p, off);
		slen = acpi_get16(p, off + 2);
		if (slen < 4) {
			acpi_err(ai, "DMAR", "structure type %u at offset %u has length %u",
				 type, off, slen);
			return -EBADMSG;
		}
		if (slen > len - off) {
			acpi_err(ai, "DMAR", "structure type %u at offset %u runs past end (length %u)",
				 type, off, slen);
			return -EBADMSG;
		}
		if (type == DMAR_DRHD) {
			if (slen < DMAR_DRHD_LEN) {
				acpi_err(ai, "DMAR", "DRHD at offset %u too short (length %u)",
					 off, slen, 0);
				return -EBADMSG;
			}
			ai->dmar_drhd++;
		}
	}
	return 0;
}

/* ---- IVRS ---- */

int acpi_parse_ivrs(struct acpi_info *ai, const void *tbl, size_t len)
{
	const uint8_t *p = tbl;
	size_t off, blen;

	if (len < IVRS_HDR_LEN) {
		acpi_err(ai, "IVRS", "length %u shorter than header", len, 0, 0);
		return -EBADMSG;
	}
	ai->have_ivrs = true;

	/* IVHD/IVMD blocks: type @0, flags @1, 16-bit length @2 (5.2.2). */
	for (off = IVRS_HDR_LEN; off < len; off += blen) {
		size_t min = 0;
		uint8_t type;

		if (len - off < 4) {
			acpi_err(ai, "IVRS", "truncated block header at offset %u",
				 off, 0, 0);
			return -EBADMSG;
		}
		type = p[off];
		blen = acpi_get16(p, off + 2);
		if (blen < 4) {
			acpi_err(ai, "IVRS", "block type %x at offset %u has length %u",
				 type, off, blen);
			return -EBADMSG;
		}
		if (blen > len - off) {
			acpi_err(ai, "IVRS", "block type %x at offset %u runs past end (length %u)",
				 type, off, blen);
			return -EBADMSG;
		}
		if (type == IVRS_IVHD_10)
			min = 24;
		else if (type == IVRS_IVHD_11 || type == IVRS_IVHD_40)
			min = 40;
		if (!min)
			continue;	/* IVMD and unknown blocks */
		if (blen < min) {
			acpi_err(ai, "IVRS", "IVHD type %x at offset %u too short (length %u)",
				 type, off, blen);
			return -EBADMSG;
		}
		ai->ivrs_ivhd++;
	}
	return 0;
}

/* ---- table walk ---- */

struct acpi_hdr {
	char sig[5];
	uint32_t len;
	uint8_t rev;
	char oem_id[7];
};

static void acpi_read_hdr(struct acpi_hdr *h, const uint8_t *p)
{
	acpi_copy_sig(h->sig, p);
	h->len = acpi_get32(p, 4);
	h->rev = p[8];
	acpi_copy_oem(h->oem_id, p + 10);
}

/*
 * Given a header already read from phys, maps the whole table and checks
 * length and checksum (ACPI 6.4 5.2.6: the entire table, including the
 * checksum field, sums to zero). Returns the mapping or NULL after
 * recording why; *err tells -EFAULT from -EBADMSG.
 */
static const uint8_t *acpi_map_table(struct acpi_info *ai, const struct acpi_env *env,
				     uint64_t phys, const struct acpi_hdr *h, int *err)
{
	const uint8_t *p;

	*err = -EBADMSG;
	if (h->len < ACPI_HDR_LEN) {
		acpi_err(ai, h->sig, "length %u shorter than header", h->len, 0, 0);
		return NULL;
	}
	if (h->len > ACPI_TABLE_MAX_LEN) {
		acpi_err(ai, h->sig, "length %u too large", h->len, 0, 0);
		return NULL;
	}
	p = acpi_map(env, phys, h->len);
	if (!p) {
		*err = -EFAULT;
		acpi_err(ai, h->sig, "%u bytes at %x not readable", h->len, phys, 0);
		return NULL;
	}
	if (!acpi_checksum_ok(p, h->len)) {
		acpi_err(ai, h->sig, "bad checksum", 0, 0, 0);
		return NULL;
	}
	return p;
}

static struct acpi_table_ref *acpi_add_ref(struct acpi_info *ai, const struct acpi_hdr *h,
					   uint64_t phys, const char *root)
{
	struct acpi_table_ref *t;

	if (ai->ntables >= ACPI_MAX_TABLES) {
		if (ai->ntables == ACPI_MAX_TABLES)
			acpi_err(ai, root, "more than %u tables, rest not listed",
				 ACPI_MAX_TABLES, 0, 0);
		/* Still parsed; only the listing is capped. Count one past
		 * the end so the message is recorded once. */
		ai->ntables = ACPI_MAX_TABLES + 1;
		return NULL;
	}
	t = &ai->tables[ai->ntables++];
	memcpy(t->sig, h->sig, sizeof(t->sig));
	t->phys = phys;
	t->len = h->len;
	t->rev = h->rev;
	memcpy(t->oem_id, h->oem_id, sizeof(t->oem_id));
	t->valid = false;
	return t;
}

static void acpi_load_dsdt(struct acpi_info *ai, const struct acpi_env *env,
			   const char *root)
{
	struct acpi_table_ref *ref;
	struct acpi_hdr h;
	const uint8_t *p;
	int err;

	if (!ai->dsdt_phys) {
		/* Every full or HW-reduced system has a DSDT (5.2.11.1). */
		acpi_err(ai, "FACP", "no DSDT address", 0, 0, 0);
		return;
	}
	p = acpi_map(env, ai->dsdt_phys, ACPI_HDR_LEN);
	if (!p) {
		acpi_err(ai, "DSDT", "header at %x not readable", ai->dsdt_phys, 0, 0);
		return;
	}
	acpi_read_hdr(&h, p);
	if (memcmp(p, "DSDT", 4)) {
		acpi_err(ai, "FACP", "DSDT pointer %x has wrong signature",
			 ai->dsdt_phys, 0, 0);
		return;
	}
	ref = acpi_add_ref(ai, &h, ai->dsdt_phys, root);
	p = acpi_map_table(ai, env, ai->dsdt_phys, &h, &err);
	if (!p)
		return;
	if (ref)
		ref->valid = true;
	acpi_find_s5(ai, p, h.len);
}

/* Bits for tables we parse at most once; a second copy is recorded. */
enum {
	ACPI_SEEN_MADT = 1 << 0,
	ACPI_SEEN_MCFG = 1 << 1,
	ACPI_SEEN_FADT = 1 << 2,
	ACPI_SEEN_DMAR = 1 << 3,
	ACPI_SEEN_IVRS = 1 << 4,
};

static const struct {
	const char *sig;
	unsigned seen;
	int (*parse)(struct acpi_info *ai, const void *tbl, size_t len);
} acpi_parsers[] = {
	{ "APIC", ACPI_SEEN_MADT, acpi_parse_madt },
	{ "MCFG", ACPI_SEEN_MCFG, acpi_parse_mcfg },
	{ "FACP", ACPI_SEEN_FADT, acpi_parse_fadt },
	{ "DMAR", ACPI_SEEN_DMAR, acpi_parse_dmar },
	{ "IVRS", ACPI_SEEN_IVRS, acpi_parse_ivrs },
};

static void acpi_walk_entry(struct acpi_info *ai, const struct acpi_env *env,
			    const char *root, unsigned idx, uint64_t phys,
			    unsigned *seen)
{
	struct acpi_table_ref *ref;
	struct acpi_hdr h;
	const uint8_t *p;
	size_t i;
	int err;

	if (!phys) {
		acpi_err(ai, root, "entry %u is null", idx, 0, 0);
		return;
	}
	p = acpi_map(env, phys, ACPI_HDR_LEN);
	if (!p) {
		acpi_err(ai, root, "entry %u points at unreadable memory", idx, 0, 0);
		return;
	}
	acpi_read_hdr(&h, p);
	ref = acpi_add_ref(ai, &h, phys, root);
	p = acpi_map_table(ai, env, phys, &h, &err);
	if (!p)
		return;
	if (ref)
		ref->valid = true;

	for (i = 0; i < sizeof(acpi_parsers) / sizeof(acpi_parsers[0]); i++) {
		if (memcmp(h.sig, acpi_parsers[i].sig, 4))
			continue;
		/* Two MADTs (say) would double every CPU; like other OSes we
		 * trust the first one. */
		if (*seen & acpi_parsers[i].seen) {
			acpi_err(ai, h.sig, "duplicate table at %x ignored", phys, 0, 0);
			return;
		}
		*seen |= acpi_parsers[i].seen;
		acpi_parsers[i].parse(ai, p, h.len);
		/* p may be unmapped by the next map() call; the FADT parser
		 * left the DSDT address in ai. */
		if (acpi_parsers[i].seen == ACPI_SEEN_FADT && ai->have_fadt)
			acpi_load_dsdt(ai, env, root);
		return;
	}
}

int acpi_parse(struct acpi_info *ai, const struct acpi_env *env, uint64_t rsdp_phys)
{
	const uint8_t *p;
	uint64_t rsdt, xsdt = 0, root;
	struct acpi_hdr h;
	const char *rsig;
	unsigned seen = 0;
	size_t esz, n, i;
	int err;

	memset(ai, 0, sizeof(*ai));
	if (!rsdp_phys)
		return -ENOENT;
	if (!env || !env->map)
		return -EINVAL;

	/* RSDP, ACPI 6.4 5.2.5.3: the first 20 bytes (ACPI 1.0) carry their
	 * own checksum; revision 2+ adds Length, XsdtAddress and an extended
	 * checksum over the whole structure. */
	p = acpi_map(env, rsdp_phys, ACPI_RSDP_V1_LEN);
	if (!p) {
		acpi_err(ai, "RSDP", "not readable at %x", rsdp_phys, 0, 0);
		return -EFAULT;
	}
	if (memcmp(p, "RSD PTR ", 8)) {
		acpi_err(ai, "RSDP", "bad signature", 0, 0, 0);
		return -EBADMSG;
	}
	if (!acpi_checksum_ok(p, ACPI_RSDP_V1_LEN)) {
		acpi_err(ai, "RSDP", "bad checksum", 0, 0, 0);
		return -EBADMSG;
	}
	ai->rsdp_rev = p[15];
	acpi_copy_oem(ai->oem_id, p + 9);
	rsdt = acpi_get32(p, 16);

	if (ai->rsdp_rev >= 2) {
		uint32_t rlen;

		p = acpi_map(env, rsdp_phys, ACPI_RSDP_V2_LEN);
		if (!p) {
			acpi_err(ai, "RSDP", "revision %u structure not readable",
				 ai->rsdp_rev, 0, 0);
			return -EFAULT;
		}
		rlen = acpi_get32(p, 20);
		if (rlen < ACPI_RSDP_V2_LEN || rlen > ACPI_RSDP_MAX_LEN) {
			acpi_err(ai, "RSDP", "length %u out of range", rlen, 0, 0);
			return -EBADMSG;
		}
		if (rlen > ACPI_RSDP_V2_LEN) {
			p = acpi_map(env, rsdp_phys, rlen);
			if (!p) {
				acpi_err(ai, "RSDP", "length %u not readable", rlen, 0, 0);
				return -EFAULT;
			}
		}
		if (!acpi_checksum_ok(p, rlen)) {
			acpi_err(ai, "RSDP", "bad extended checksum", 0, 0, 0);
			return -EBADMSG;
		}
		xsdt = acpi_get64(p, 24);
	}

	/* 5.2.5.3: OSPM uses the XSDT when present, else the RSDT. */
	if (xsdt) {
		root = xsdt;
		rsig = "XSDT";
		esz = 8;
		ai->xsdt = true;
	} else if (rsdt) {
		root = rsdt;
		rsig = "RSDT";
		esz = 4;
	} else {
		acpi_err(ai, "RSDP", "no RSDT or XSDT address", 0, 0, 0);
		return -EBADMSG;
	}
	ai->root_phys = root;

	p = acpi_map(env, root, ACPI_HDR_LEN);
	if (!p) {
		acpi_err(ai, rsig, "not readable at %x", root, 0, 0);
		return -EFAULT;
	}
	if (memcmp(p, rsig, 4)) {
		acpi_err(ai, rsig, "bad signature at %x", root, 0, 0);
		return -EBADMSG;
	}
	acpi_read_hdr(&h, p);
	p = acpi_map_table(ai, env, root, &h, &err);
	if (!p)
		return err;

	/* Entries are 32- or 64-bit physical addresses after the header
	 * (5.2.7, 5.2.8). A stray tail is reported and ignored. */
	n = (h.len - ACPI_HDR_LEN) / esz;
	if ((h.len - ACPI_HDR_LEN) % esz)
		acpi_err(ai, rsig, "length %u leaves a partial entry", h.len, 0, 0);

	for (i = 0; i < n; i++) {
		uint64_t phys;

		/* Re-map per entry: parsing a table may have replaced the
		 * mapping of the root table. */
		p = acpi_map(env, root + ACPI_HDR_LEN + i * esz, esz);
		if (!p) {
			acpi_err(ai, rsig, "entry %u not readable", i, 0, 0);
			continue;
		}
		phys = esz == 8 ? acpi_get64(p, 0) : acpi_get32(p, 0);
		acpi_walk_entry(ai, env, rsig, (unsigned)i, phys, &seen);
	}
	if (ai->ntables > ACPI_MAX_TABLES)
		ai->ntables = ACPI_MAX_TABLES;
	return 0;
}
