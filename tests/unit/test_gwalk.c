/* Guest page walks over a fake guest memory: every paging mode's
 * structure and reserved bits, each access right both ways, the #PF error
 * codes and the accessed/dirty updates (Intel SDM Vol. 3A, 4.3-4.8). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "vmm/gwalk.h"
#include "lib/errno.h"

static uint8_t mem[1 << 20];
static int updates, fail_updates;

static int rd(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	(void)ctx;
	if (gpa + size > sizeof(mem))
		return -EFAULT;
	*val = 0;
	memcpy(val, mem + gpa, size);
	return 0;
}

static int upd(void *ctx, uint64_t gpa, unsigned size, uint64_t old, uint64_t new)
{
	uint64_t cur = 0;

	(void)ctx;
	if (gpa + size > sizeof(mem))
		return -EFAULT;
	if (fail_updates) {
		/* Another CPU changed the entry meanwhile. */
		fail_updates--;
		return -EAGAIN;
	}
	memcpy(&cur, mem + gpa, size);
	if (cur != old)
		return -EAGAIN;
	memcpy(mem + gpa, &new, size);
	updates++;
	return 0;
}

static const struct gwalk_env env = { rd, upd, NULL };

static void put32(uint64_t a, uint32_t v) { memcpy(mem + a, &v, 4); }
static void put64(uint64_t a, uint64_t v) { memcpy(mem + a, &v, 8); }
static uint32_t get32(uint64_t a) { uint32_t v; memcpy(&v, mem + a, 4); return v; }
static uint64_t get64(uint64_t a) { uint64_t v; memcpy(&v, mem + a, 8); return v; }

#define PG   (1ULL << 31)
#define WP   (1ULL << 16)
#define PE   1ULL
#define PSE  (1ULL << 4)
#define PAE  (1ULL << 5)
#define LA57 (1ULL << 12)
#define SMEP (1ULL << 20)
#define SMAP (1ULL << 21)
#define PKE  (1ULL << 22)
#define LMA  (1ULL << 10)
#define NXE  (1ULL << 11)
#define AC   (1ULL << 18)

#define P  1ULL
#define RW 2ULL
#define US 4ULL
#define A  0x20ULL
#define D  0x40ULL
#define PS 0x80ULL
#define XD (1ULL << 63)

static struct gwalk_req req(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
			    uint8_t cpl, unsigned access)
{
	return (struct gwalk_req){ .cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer,
				   .cpl = cpl, .access = access, .maxphyaddr = 40,
				   .page1g = true };
}

/* Walks and returns 0 or the error; *out gets the gpa or the error code. */
static int walk(const struct gwalk_req *rq, uint64_t gla, uint64_t *out)
{
	struct gwalk_result res;
	int r = gwalk(rq, gla, &env, &res);

	*out = r == -EFAULT ? res.pf_err : res.gpa;
	return r;
}

static void test_no_paging(void **state)
{
	struct gwalk_req rq = req(0x11, 0, 0, 0, 0, GWALK_WRITE);
	uint64_t gpa;

	(void)state;
	assert_int_equal(walk(&rq, 0x12345678, &gpa), 0);
	assert_int_equal(gpa, 0x12345678);
	rq.cpl = 3;     /* no paging, no page protection */
	assert_int_equal(walk(&rq, 0xfffff000, &gpa), 0);
	assert_int_equal(gpa, 0xfffff000);
}

/* 32-bit paging: PD at 0x1000, PT at 0x2000, PDE 0x300 -> PT. */
static void setup32(void)
{
	memset(mem, 0, sizeof(mem));
	put32(0x1000 + (0x300 << 2), 0x2000 | P | RW | US);
	put32(0x2000 + (0x045 << 2), 0x7000 | P | RW | US);
}

static void test_32bit(void **state)
{
	struct gwalk_req rq = req(PG | PE, 0x1000, 0, 0, 0, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup32();
	assert_int_equal(walk(&rq, 0xc0045abc, &gpa), 0);
	assert_int_equal(gpa, 0x7abc);
	/* Only bits 31:0 count. */
	assert_int_equal(walk(&rq, 0x1c0045abcULL, &gpa), 0);
	assert_int_equal(gpa, 0x7abc);
	/* 4 MiB page with CR4.PSE. */
	put32(0x1000 + (0x001 << 2), 0x00c00000 | PS | P);
	rq.cr4 = PSE;
	assert_int_equal(walk(&rq, 0x00412345, &gpa), 0);
	assert_int_equal(gpa, 0x00c12345);
	/* Not present PDE: P = 0, and a supervisor read has no other bits. */
	assert_int_equal(walk(&rq, 0x80000000, &gpa), -EFAULT);
	assert_int_equal(gpa, 0);
	/* Not present PTE, user write: W | U. */
	rq.cpl = 3;
	rq.access = GWALK_WRITE;
	assert_int_equal(walk(&rq, 0xc0046000, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_W | PF_U);
}

/* With CR4.PSE = 0 the PS bit of a 32-bit PDE is ignored: the entry is a
 * page-table pointer (SDM 4.3, Table 4-5). */
static void test_32bit_ps_without_pse(void **state)
{
	struct gwalk_req rq = req(PG | PE, 0x1000, 0, 0, 0, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup32();
	/* PDE 1 has PS set and points at 0x3000 as a table... */
	put32(0x1000 + (0x001 << 2), 0x3000 | PS | P | RW);
	put32(0x3000 + (0x012 << 2), 0x9000 | P | RW);
	assert_int_equal(walk(&rq, 0x00412345, &gpa), 0);
	assert_int_equal(gpa, 0x9345);
	/* ...and as a 4 MiB page once CR4.PSE = 1: frame 0, bit 13 of the
	 * entry (0x2000 of 0x3000) being physical bit 32. */
	rq.cr4 = PSE;
	assert_int_equal(walk(&rq, 0x00412345, &gpa), 0);
	assert_int_equal(gpa, 0x100012345ULL);
}

/* PSE-36: bits 20:13 of a 4 MiB PDE are physical bits 39:32; bit 21 and
 * the bits above MAXPHYADDR are reserved. */
static void test_32bit_pse36(void **state)
{
	struct gwalk_req rq = req(PG | PE, 0x1000, PSE, 0, 0, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup32();
	put32(0x1000 + (0x002 << 2), 0x00800000 | (0x0fULL << 13) | PS | P);
	assert_int_equal(walk(&rq, 0x00812345, &gpa), 0);
	assert_int_equal(gpa, 0xf00812345ULL);
	rq.maxphyaddr = 36;
	assert_int_equal(walk(&rq, 0x00812345, &gpa), 0);
	put32(0x1000 + (0x002 << 2), 0x00800000 | (0x1fULL << 13) | PS | P);
	assert_int_equal(walk(&rq, 0x00812345, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	rq.maxphyaddr = 40;
	assert_int_equal(walk(&rq, 0x00812345, &gpa), 0);
	assert_int_equal(gpa, 0x1f00812345ULL);
	put32(0x1000 + (0x002 << 2), 0x00800000 | (1u << 21) | PS | P);
	assert_int_equal(walk(&rq, 0x00812345, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	/* A 4 KiB PTE has no reserved bits: bit 7 is PAT. */
	put32(0x2000 + (0x045 << 2), 0x7000 | PS | P);
	assert_int_equal(walk(&rq, 0xc0045000, &gpa), 0);
	assert_int_equal(gpa, 0x7000);
}

/* PAE: PDPTEs at 0x1000 (32-byte aligned), PD at 0x3000, PT at 0x4000. */
static void setup_pae(void)
{
	memset(mem, 0, sizeof(mem));
	put64(0x1000 + 3 * 8, 0x3000 | P);
	put64(0x3000 + 1 * 8, 0x40000000ULL | PS | P | RW | US);
	put64(0x3000 + 2 * 8, 0x4000 | P | RW | US);
	put64(0x4000 + 5 * 8, 0x8000 | P | RW | US);
}

static void test_pae(void **state)
{
	struct gwalk_req rq = req(PG | PE, 0x1000, PAE, 0, 0, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup_pae();
	assert_int_equal(walk(&rq, 0xc0212345, &gpa), 0);
	assert_int_equal(gpa, 0x40012345);
	assert_int_equal(walk(&rq, 0xc0405678, &gpa), 0);
	assert_int_equal(gpa, 0x8678);
	/* CR3 bits 4:0 are ignored. */
	rq.cr3 = 0x1018;
	assert_int_equal(walk(&rq, 0xc0405678, &gpa), 0);
	assert_int_equal(gpa, 0x8678);
	rq.cr3 = 0x1000;
	/* PDPTE reserved bits: 2:1, 8:5, 63. */
	const uint64_t pdpte_rsvd[] = { RW, US, A, D, PS, 1ULL << 8, XD, 1ULL << 45 };
	for (unsigned i = 0; i < sizeof(pdpte_rsvd) / sizeof(pdpte_rsvd[0]); i++) {
		put64(0x1000 + 3 * 8, 0x3000 | P | pdpte_rsvd[i]);
		assert_int_equal(walk(&rq, 0xc0405678, &gpa), -EFAULT);
		assert_int_equal(gpa, PF_RSVD | PF_P);
	}
	put64(0x1000 + 3 * 8, 0x3000 | P);
	/* 2 MiB page: bits 20:13 reserved, bit 12 is PAT. */
	put64(0x3000 + 1 * 8, 0x40000000ULL | (1ULL << 13) | PS | P);
	assert_int_equal(walk(&rq, 0xc0212345, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	put64(0x3000 + 1 * 8, 0x40000000ULL | (1ULL << 12) | PS | P);
	assert_int_equal(walk(&rq, 0xc0212345, &gpa), 0);
	assert_int_equal(gpa, 0x40012345);
	/* XD is reserved without EFER.NXE, a right with it. */
	put64(0x4000 + 5 * 8, 0x8000 | P | RW | XD);
	assert_int_equal(walk(&rq, 0xc0405678, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	rq.efer = NXE;
	assert_int_equal(walk(&rq, 0xc0405678, &gpa), 0);
	rq.access = GWALK_FETCH;
	assert_int_equal(walk(&rq, 0xc0405678, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_I | PF_P);
	/* Address bits at and above MAXPHYADDR are reserved. */
	rq.access = GWALK_READ;
	put64(0x4000 + 5 * 8, (1ULL << 40) | 0x8000 | P);
	assert_int_equal(walk(&rq, 0xc0405678, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	rq.maxphyaddr = 46;
	assert_int_equal(walk(&rq, 0xc0405678, &gpa), 0);
	assert_int_equal(gpa, (1ULL << 40) | 0x8678);
	/* Not-present PDPTE. */
	assert_int_equal(walk(&rq, 0x00000000, &gpa), -EFAULT);
	assert_int_equal(gpa, 0);
}

/* 4-level: gla 0x8080604567 is PML4 1, PDPT 2, PD 3, PT 4, offset 0x567. */
#define GLA4 0x8080604567ULL
static void setup4(uint64_t flags)
{
	memset(mem, 0, sizeof(mem));
	put64(0x1000 + 1 * 8, 0x2000 | flags);
	put64(0x2000 + 2 * 8, 0x3000 | flags);
	put64(0x3000 + 3 * 8, 0x4000 | flags);
	put64(0x4000 + 4 * 8, 0x9000 | flags);
}

/* Where setup4 put the entry of each level for GLA4, PML4E first. */
static const uint64_t entry4[4] = { 0x1000 + 8, 0x2000 + 16, 0x3000 + 24, 0x4000 + 32 };

/* setup4, then one level's entry with bits cleared. */
static void setup4_clear(int level, uint64_t flags, uint64_t clear)
{
	setup4(flags);
	put64(entry4[level], get64(entry4[level]) & ~clear);
}

static void test_4level(void **state)
{
	struct gwalk_req rq = req(PG | PE, 0x1000, PAE, LMA, 0, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup4(P | RW | US);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	assert_int_equal(gpa, 0x9567);
	/* Canonical: bits 63:47 equal; otherwise #GP, not #PF. */
	assert_int_equal(walk(&rq, GLA4 | (1ULL << 47), &gpa), -EINVAL);
	assert_int_equal(walk(&rq, 0xffff800000000000ULL, &gpa), -EFAULT);
	/* 1 GiB and 2 MiB pages. */
	put64(0x2000 + 5 * 8, 0x80000000ULL | PS | P);
	assert_int_equal(walk(&rq, 0x8140000010ULL, &gpa), 0);
	assert_int_equal(gpa, 0x80000010ULL);
	put64(0x2000 + 5 * 8, 0x80000000ULL | (1ULL << 29) | PS | P);
	assert_int_equal(walk(&rq, 0x8140000010ULL, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	put64(0x2000 + 5 * 8, 0x80000000ULL | PS | P);
	rq.page1g = false;
	assert_int_equal(walk(&rq, 0x8140000010ULL, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	rq.page1g = true;
	put64(0x3000 + 6 * 8, 0x200000ULL | PS | P);
	assert_int_equal(walk(&rq, 0x8080c12345ULL, &gpa), 0);
	assert_int_equal(gpa, 0x212345);
	/* PS in a PML4E is reserved. */
	put64(0x1000 + 2 * 8, 0x2000 | PS | P);
	assert_int_equal(walk(&rq, 0x10000000000ULL, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	/* Bits 51:MAXPHYADDR reserved at every level, 62:52 ignored. */
	put64(0x3000 + 3 * 8, 0x4000 | (1ULL << 51) | P | RW | US);
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	put64(0x3000 + 3 * 8, 0x4000 | (1ULL << 52) | (1ULL << 62) | P | RW | US);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	/* Not present at each level, the error code with W and U. */
	rq.cpl = 3;
	rq.access = GWALK_WRITE;
	for (int l = 0; l < 4; l++) {
		setup4_clear(l, P | RW | US, P);
		assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
		assert_int_equal(gpa, PF_W | PF_U);
	}
	/* A table outside guest memory: -ENXIO with the entry's address. */
	setup4(P | RW | US);
	put64(0x3000 + 3 * 8, 0xfee00000ULL | P | RW | US);
	assert_int_equal(walk(&rq, GLA4, &gpa), -ENXIO);
	assert_int_equal(gpa, 0xfee00000ULL + 4 * 8);
}

static void test_5level(void **state)
{
	struct gwalk_req rq = req(PG | PE, 0x1000, PAE | LA57, LMA, 0, GWALK_READ);
	uint64_t gpa, gla = (3ULL << 48) | GLA4;

	(void)state;
	setup4(P | RW);
	/* PML5 at 0x1000 entry 3 -> the PML4 moved to 0x5000. */
	memcpy(mem + 0x5000, mem + 0x1000, 4096);
	memset(mem + 0x1000, 0, 4096);
	put64(0x1000 + 3 * 8, 0x5000 | P | RW);
	assert_int_equal(walk(&rq, gla, &gpa), 0);
	assert_int_equal(gpa, 0x9567);
	/* 57-bit canonical: bits 63:56 copy bit 56. */
	assert_int_equal(walk(&rq, (1ULL << 55) | GLA4, &gpa), -EFAULT);
	assert_int_equal(walk(&rq, (1ULL << 56) | GLA4, &gpa), -EINVAL);
	assert_int_equal(walk(&rq, 0xff00000000000000ULL, &gpa), -EFAULT);
	/* PS in a PML5E is reserved. */
	put64(0x1000 + 3 * 8, 0x5000 | P | RW | PS);
	assert_int_equal(walk(&rq, gla, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_RSVD | PF_P);
	/* Without LA57 the same address is 48-bit non-canonical. */
	rq.cr4 = PAE;
	assert_int_equal(walk(&rq, gla, &gpa), -EINVAL);
}

/* The fifth level takes part in the rights, the accessed flag and the
 * not-present and reserved-bit faults like the other four (SDM 4.5). */
static void test_5level_rights(void **state)
{
	struct gwalk_req rq = req(PG | PE, 0x1000, PAE | LA57, LMA | NXE, 3, GWALK_READ);
	uint64_t gpa, gla = (7ULL << 48) | GLA4, pml5e = 0x1000 + 7 * 8;

	(void)state;
	setup4(P | RW | US);
	memcpy(mem + 0x5000, mem + 0x1000, 4096);
	memset(mem + 0x1000, 0, 4096);
	/* Supervisor-only at the PML5E: a user read faults, P set. */
	put64(pml5e, 0x5000 | P | RW);
	assert_int_equal(walk(&rq, gla, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_U);
	assert_int_equal(get64(pml5e) & A, 0);
	/* User and writable: the read works and sets A in the PML5E. */
	put64(pml5e, 0x5000 | P | RW | US);
	assert_int_equal(walk(&rq, gla, &gpa), 0);
	assert_int_equal(gpa, 0x9567);
	assert_true(get64(pml5e) & A);
	/* Read-only at the PML5E: a user write faults. */
	put64(pml5e, 0x5000 | P | US);
	rq.access = GWALK_WRITE;
	assert_int_equal(walk(&rq, gla, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_W | PF_U);
	/* XD at the PML5E forbids a fetch. */
	put64(pml5e, 0x5000 | P | RW | US | XD);
	rq.access = GWALK_FETCH;
	assert_int_equal(walk(&rq, gla, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_U | PF_I);
	/* Not present: P clear. */
	put64(pml5e, 0x5000 | RW | US);
	rq.access = GWALK_READ;
	assert_int_equal(walk(&rq, gla, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_U);
	/* An address bit above MAXPHYADDR in the PML5E is reserved. */
	put64(pml5e, (1ULL << 45) | 0x5000 | P | RW | US);
	assert_int_equal(walk(&rq, gla, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_U | PF_RSVD);
	/* Five entries read for a 4 KiB page. */
	put64(pml5e, 0x5000 | P | RW | US);
	{
		struct gwalk_result res;
		assert_int_equal(gwalk(&rq, gla, &env, &res), 0);
		assert_int_equal(res.levels, 5);
	}
}

/* R/W and CR0.WP: a read-only page, written by each privilege. */
static void test_rw(void **state)
{
	struct gwalk_req rq = req(PG | PE | WP, 0x1000, PAE, LMA, 0, GWALK_WRITE);
	uint64_t gpa;

	(void)state;
	setup4(P | RW | US);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	/* R/W = 0 at any one level makes the page read-only. */
	for (int l = 0; l < 4; l++) {
		setup4_clear(l, P | RW | US, RW);
		rq.cpl = 0;
		rq.cr0 = PG | PE | WP;
		assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
		assert_int_equal(gpa, PF_P | PF_W);
		rq.cr0 = PG | PE;           /* WP = 0: supervisor writes anyway */
		assert_int_equal(walk(&rq, GLA4, &gpa), 0);
		rq.cpl = 3;                 /* but never a user */
		assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
		assert_int_equal(gpa, PF_P | PF_W | PF_U);
		rq.access = GWALK_READ;     /* reading is fine */
		assert_int_equal(walk(&rq, GLA4, &gpa), 0);
		rq.access = GWALK_WRITE;
	}
	/* 32-bit paging has the same rule. */
	setup32();
	put32(0x2000 + (0x045 << 2), 0x7000 | P | US);
	rq = req(PG | PE | WP, 0x1000, 0, 0, 0, GWALK_WRITE);
	assert_int_equal(walk(&rq, 0xc0045000, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_W);
	rq.cr0 = PG | PE;
	assert_int_equal(walk(&rq, 0xc0045000, &gpa), 0);
}

/* U/S: user accesses need U/S = 1 at every level. */
static void test_us(void **state)
{
	struct gwalk_req rq = req(PG | PE | WP, 0x1000, PAE, LMA, 3, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup4(P | RW | US);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	for (int l = 0; l < 4; l++) {
		setup4_clear(l, P | RW | US, US);
		rq.cpl = 3;
		rq.access = GWALK_READ;
		assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
		assert_int_equal(gpa, PF_P | PF_U);
		rq.access = GWALK_FETCH;
		assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
		assert_int_equal(gpa, PF_P | PF_U);        /* no NXE, no SMEP: no I/D */
		rq.cpl = 0;
		assert_int_equal(walk(&rq, GLA4, &gpa), 0);
		rq.access = GWALK_READ;
		assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	}
	/* An implicit access at CPL 3 is a supervisor access. */
	rq.cpl = 3;
	rq.access = GWALK_READ | GWALK_IMPLICIT;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
}

static void test_nx(void **state)
{
	struct gwalk_req rq = req(PG | PE | WP, 0x1000, PAE, LMA | NXE, 0, GWALK_FETCH);
	uint64_t gpa;

	(void)state;
	setup4(P | RW);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	put64(0x2000 + 16, get64(0x2000 + 16) | XD);    /* XD in the PDPTE */
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_I);
	rq.access = GWALK_WRITE;                        /* data is fine */
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.access = GWALK_FETCH;
	rq.efer = LMA;                                   /* XD reserved */
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_RSVD | PF_I * 0);
	/* I/D on a not-present fetch: with NXE (PAE), or with SMEP. */
	setup4(P | RW);
	put64(0x4000 + 32, 0);
	rq.efer = LMA | NXE;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_I);
	rq.efer = LMA;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, 0);
	rq.cr4 = PAE | SMEP;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_I);
}

static void test_smep(void **state)
{
	struct gwalk_req rq = req(PG | PE | WP, 0x1000, PAE, LMA | NXE, 0, GWALK_FETCH);
	uint64_t gpa;

	(void)state;
	setup4(P | RW | US);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.cr4 = PAE | SMEP;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_I);
	rq.cpl = 3;                                     /* users may */
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.cpl = 0;
	put64(0x4000 + 32, get64(0x4000 + 32) & ~US);   /* a supervisor page */
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	/* SMEP does not apply to data reads. */
	setup4(P | RW | US);
	rq.access = GWALK_READ;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
}

static void test_smap(void **state)
{
	struct gwalk_req rq = req(PG | PE | WP, 0x1000, PAE, LMA, 0, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup4(P | RW | US);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.cr4 = PAE | SMAP;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P);
	rq.access = GWALK_WRITE;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_W);
	/* RFLAGS.AC = 1 allows explicit accesses... */
	rq.rflags = AC;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.access = GWALK_READ;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	/* ...never implicit ones, at any CPL. */
	rq.access = GWALK_READ | GWALK_IMPLICIT;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P);
	rq.cpl = 3;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P);
	/* User accesses are not SMAP's business. */
	rq.access = GWALK_READ;
	rq.rflags = 0;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	/* Nor supervisor pages. */
	rq.cpl = 0;
	put64(0x4000 + 32, get64(0x4000 + 32) & ~US);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	/* AC = 1 does not lift R/W with WP = 1. */
	setup4(P | US);
	rq.rflags = AC;
	rq.access = GWALK_WRITE;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_W);
}

static void test_pku(void **state)
{
	struct gwalk_req rq = req(PG | PE | WP, 0x1000, PAE | PKE, LMA, 3, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup4(P | RW | US);
	put64(0x4000 + 32, get64(0x4000 + 32) | (5ULL << 59));   /* key 5 */
	rq.pkru = 1u << 10;                                      /* AD5 */
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_U | PF_PK);
	rq.cpl = 0;                                              /* supervisor too */
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_PK);
	rq.access = GWALK_FETCH;                                 /* not fetches */
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.cpl = 3;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.pkru = 3u << 8;                                       /* another key */
	rq.access = GWALK_WRITE;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.pkru = 2u << 10;                                      /* WD5 */
	rq.access = GWALK_READ;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.access = GWALK_WRITE;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_W | PF_U | PF_PK);
	rq.cpl = 0;                                              /* WP = 1 */
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_W | PF_PK);
	rq.cr0 = PG | PE;                                        /* WP = 0 */
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	/* Without CR4.PKE, or on a supervisor page, keys do nothing. */
	rq.cr0 = PG | PE | WP;
	rq.pkru = ~0u;
	rq.cr4 = PAE;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	rq.cr4 = PAE | PKE;
	put64(0x4000 + 32, get64(0x4000 + 32) & ~US);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	/* R/W is checked before the key: no PK bit then. */
	setup4(P | US);
	put64(0x4000 + 32, get64(0x4000 + 32) | (5ULL << 59));
	rq.cpl = 3;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(gpa, PF_P | PF_W | PF_U);
}

/* A on every entry used, D on the leaf for writes, nothing on a fault. */
static void test_accessed_dirty(void **state)
{
	struct gwalk_req rq = req(PG | PE | WP, 0x1000, PAE, LMA, 0, GWALK_READ);
	uint64_t gpa;

	(void)state;
	setup4(P | RW);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	assert_int_equal(get64(0x1000 + 8), 0x2000 | P | RW | A);
	assert_int_equal(get64(0x2000 + 16), 0x3000 | P | RW | A);
	assert_int_equal(get64(0x3000 + 24), 0x4000 | P | RW | A);
	assert_int_equal(get64(0x4000 + 32), 0x9000 | P | RW | A);
	rq.access = GWALK_WRITE;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	assert_int_equal(get64(0x3000 + 24), 0x4000 | P | RW | A);
	assert_int_equal(get64(0x4000 + 32), 0x9000 | P | RW | A | D);
	/* Already set: no more updates. */
	updates = 0;
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	assert_int_equal(updates, 0);
	/* A fault sets nothing. */
	setup4(P);
	assert_int_equal(walk(&rq, GLA4, &gpa), -EFAULT);
	assert_int_equal(get64(0x1000 + 8), 0x2000 | P);
	assert_int_equal(get64(0x4000 + 32), 0x9000 | P);
	/* D on a large page's entry. */
	setup4(P | RW);
	put64(0x3000 + 3 * 8, 0x200000 | PS | P | RW);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	assert_int_equal(gpa, 0x204567);
	assert_int_equal(get64(0x3000 + 24), 0x200000 | PS | P | RW | A | D);
	assert_int_equal(get64(0x2000 + 16), 0x3000 | P | RW | A);
	/* PAE PDPTEs have no A bit. */
	setup_pae();
	rq = req(PG | PE, 0x1000, PAE, 0, 0, GWALK_WRITE);
	assert_int_equal(walk(&rq, 0xc0405678, &gpa), 0);
	assert_int_equal(get64(0x1000 + 3 * 8), 0x3000 | P);
	assert_int_equal(get64(0x3000 + 2 * 8), 0x4000 | P | RW | US | A);
	assert_int_equal(get64(0x4000 + 5 * 8), 0x8000 | P | RW | US | A | D);
	/* 32-bit entries. */
	setup32();
	rq = req(PG | PE, 0x1000, 0, 0, 0, GWALK_WRITE);
	assert_int_equal(walk(&rq, 0xc0045abc, &gpa), 0);
	assert_int_equal(get32(0x1000 + (0x300 << 2)), 0x2000 | P | RW | US | A);
	assert_int_equal(get32(0x2000 + (0x045 << 2)), 0x7000 | P | RW | US | A | D);
	/* An entry that changes under the update: the walk starts again. */
	setup4(P | RW);
	fail_updates = 2;
	rq = req(PG | PE, 0x1000, PAE, LMA, 0, GWALK_READ);
	assert_int_equal(walk(&rq, GLA4, &gpa), 0);
	assert_int_equal(get64(0x4000 + 32), 0x9000 | P | RW | A);
	setup4(P | RW);
	fail_updates = 100;
	assert_int_equal(walk(&rq, GLA4, &gpa), -EAGAIN);
	fail_updates = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_paging),
		cmocka_unit_test(test_32bit),
		cmocka_unit_test(test_32bit_ps_without_pse),
		cmocka_unit_test(test_32bit_pse36),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_4level),
		cmocka_unit_test(test_5level),
		cmocka_unit_test(test_5level_rights),
		cmocka_unit_test(test_rw),
		cmocka_unit_test(test_us),
		cmocka_unit_test(test_nx),
		cmocka_unit_test(test_smep),
		cmocka_unit_test(test_smap),
		cmocka_unit_test(test_pku),
		cmocka_unit_test(test_accessed_dirty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
