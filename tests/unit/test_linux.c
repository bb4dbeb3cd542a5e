/* Linux bzImage loader (64-bit boot protocol). Synthetic bzImages are
 * built in host buffers with the setup header at the offsets Linux
 * Documentation/arch/x86/boot.rst gives, loaded into a heap "guest RAM",
 * and everything the loader wrote is read back at the byte offsets of
 * boot.rst and zero-page.rst, not through the loader's own constants, so
 * a layout slip shows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <glob.h>
#include "vmm/loader/linux.h"
#include "lib/errno.h"

#define RAM_SIZE   (128ULL << 20)
#define FILL       0xcc
#define FILL64     0xccccccccccccccccULL
#define KBUF_SIZE  0x40000
#define MiB        (1ULL << 20)
#define GiB        (1ULL << 30)

/* The layout the loader promises (vmm/loader/linux.h), spelled out. */
#define ZP         0x7000ULL
#define GDT        0x6000ULL
#define PML4       0x9000ULL
#define CMDLINE    0x20000ULL

static uint8_t *ram;
static struct guest_image gi;
static uint8_t kbuf[KBUF_SIZE];

/* ---- helpers ---------------------------------------------------------- */

static void reset_ram(uint64_t size)
{
	memset(ram, FILL, RAM_SIZE);
	gi.ram = ram;
	gi.size = size;
}

static bool ram_untouched(void)
{
	for (uint64_t i = 0; i < RAM_SIZE; i += 8) {
		uint64_t w;

		memcpy(&w, ram + i, 8);
		if (w != FILL64)
			return false;
	}
	return true;
}

static uint8_t rd8(uint64_t a)
{
	return ram[a];
}

static uint16_t rd16(uint64_t a)
{
	uint16_t v;

	memcpy(&v, ram + a, 2);
	return v;
}

static uint32_t rd32(uint64_t a)
{
	uint32_t v;

	memcpy(&v, ram + a, 4);
	return v;
}

static uint64_t rd64(uint64_t a)
{
	uint64_t v;

	memcpy(&v, ram + a, 8);
	return v;
}

static void put16(size_t off, uint16_t v)
{
	memcpy(kbuf + off, &v, 2);
}

static void put32(size_t off, uint32_t v)
{
	memcpy(kbuf + off, &v, 4);
}

static void put64(size_t off, uint64_t v)
{
	memcpy(kbuf + off, &v, 8);
}

/* A synthetic bzImage: the fields the loader reads, plus recognisable
 * values in fields it should copy untouched and junk in fields it must
 * overwrite. The protected-mode part is pm_len bytes of a pattern. */
struct kdesc {
	uint8_t setup_sects;       /* raw field: 0 means 4 */
	uint16_t version;
	uint8_t loadflags;
	uint16_t xloadflags;
	uint8_t hdr_len;           /* byte at 0x201: header ends at 0x202 + this */
	uint64_t pref;
	uint32_t init_size;
	uint32_t align;
	uint8_t reloc;
	uint32_t cmdline_size;
	uint32_t initrd_addr_max;
	size_t pm_len;             /* multiple of 16 */
};

static struct kdesc kd(void)
{
	return (struct kdesc){
		.setup_sects = 5, .version = 0x020f, .loadflags = 0x01, .xloadflags = 0x03,
		.hdr_len = 0x6a, .pref = 0x1000000, .init_size = 0x800000, .align = 0x200000,
		.reloc = 1, .cmdline_size = 2047, .initrd_addr_max = 0x7fffffff, .pm_len = 0x3000,
	};
}

static size_t pm_off(const struct kdesc *d)
{
	return ((size_t)(d->setup_sects ? d->setup_sects : 4) + 1) * 512;
}

static uint8_t pm_byte(size_t i)
{
	return (uint8_t)((i * 13) ^ (i >> 8) ^ 0x5a);
}

static size_t build(const struct kdesc *d)
{
	size_t off = pm_off(d);

	memset(kbuf, 0, sizeof(kbuf));
	for (size_t i = 0; i < off; i++)       /* boot sector, setup code: junk */
		kbuf[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < d->pm_len; i++)
		kbuf[off + i] = pm_byte(i);
	kbuf[0x1f1] = d->setup_sects;
	put16(0x1f2, 1);                       /* root_flags */
	put32(0x1f4, (uint32_t)(d->pm_len / 16)); /* syssize */
	put16(0x1f8, 0);                       /* ram_size */
	put16(0x1fa, 0xfffd);                  /* vid_mode: "ask", we write "normal" */
	put16(0x1fc, 0x0801);                  /* root_dev */
	put16(0x1fe, 0xaa55);
	kbuf[0x200] = 0xeb;
	kbuf[0x201] = d->hdr_len;
	memcpy(kbuf + 0x202, "HdrS", 4);
	put16(0x206, d->version);
	put32(0x208, 0);                       /* realmode_swtch */
	put16(0x20c, 0x1000);                  /* start_sys_seg */
	put16(0x20e, 0x1234);                  /* kernel_version */
	kbuf[0x210] = 0;                       /* type_of_loader */
	kbuf[0x211] = d->loadflags;
	put16(0x212, 0x8000);                  /* setup_move_size */
	put32(0x214, 0x100000);                /* code32_start */
	put32(0x218, 0xdeadbeef);              /* ramdisk_image: junk */
	put32(0x21c, 0xdeadbeef);              /* ramdisk_size: junk */
	put32(0x220, 0);
	put16(0x224, 0x1111);                  /* heap_end_ptr: junk */
	kbuf[0x226] = 0x11;                    /* ext_loader_ver: junk */
	kbuf[0x227] = 0x22;                    /* ext_loader_type: junk */
	put32(0x228, 0x33333333);              /* cmd_line_ptr: junk */
	put32(0x22c, d->initrd_addr_max);
	put32(0x230, d->align);
	kbuf[0x234] = d->reloc;
	kbuf[0x235] = 0x15;                    /* min_alignment */
	put16(0x236, d->xloadflags);
	put32(0x238, d->cmdline_size);
	put32(0x23c, 5);                       /* hardware_subarch: junk */
	put64(0x240, 0);
	put32(0x248, 0x3b4);                   /* payload_offset */
	put32(0x24c, 0x1000);                  /* payload_length */
	put64(0x250, 0xfeedface);              /* setup_data: junk */
	put64(0x258, d->pref);
	put32(0x260, d->init_size);
	put32(0x264, 0x190);                   /* handover_offset */
	put32(0x268, 0x2345);                  /* kernel_info_offset */
	return off + d->pm_len;
}

static void expect_reject_ex(const uint8_t *k, size_t len, const char *cmd, const uint8_t *initrd,
			     size_t ilen, const struct linux_layout *lay, const char *why)
{
	struct boot_state st;

	memset(&st, 0x77, sizeof(st));
	assert_int_equal(linux_load(&gi, k, len, cmd, initrd, ilen, lay, &st), -EINVAL);
	assert_true(st.err[0] != '\0');
	assert_non_null(memchr(st.err, '\0', sizeof(st.err)));
	assert_true(strlen(st.err) < sizeof(st.err) - 1);       /* not cut off */
	if (!strstr(st.err, why))
		fail_msg("error \"%s\" does not mention \"%s\"", st.err, why);
	/* no half-filled state */
	assert_int_equal(st.mode, 0);
	assert_int_equal(st.rip, 0);
	assert_int_equal(st.rsi, 0);
	assert_int_equal(st.cr0, 0);
	assert_int_equal(st.cr3, 0);
	assert_int_equal(st.gdt_base, 0);
	assert_true(ram_untouched());
}

static void expect_reject(const uint8_t *k, size_t len, const char *why)
{
	expect_reject_ex(k, len, "", NULL, 0, NULL, why);
}

static void load_ok(size_t len, const char *cmd, const uint8_t *initrd, size_t ilen,
		    const struct linux_layout *lay, struct boot_state *st)
{
	int r = linux_load(&gi, kbuf, len, cmd, initrd, ilen, lay, st);

	if (r)
		fail_msg("linux_load: %d (%s)", r, st->err);
}

/* The protected-mode kernel is at `at`, byte for byte. */
static void check_payload(const struct kdesc *d, uint64_t at)
{
	assert_memory_equal(ram + at, kbuf + pm_off(d), d->pm_len);
}

struct region {
	uint64_t lo, hi;
};

/* Every byte outside the regions still holds FILL. */
static void check_only(const struct region *r, unsigned n)
{
	for (uint64_t i = 0; i < RAM_SIZE; i += 8) {
		uint64_t w;

		memcpy(&w, ram + i, 8);
		if (w == FILL64)
			continue;
		for (uint64_t b = i; b < i + 8; b++) {
			bool inside = false;

			if (ram[b] == FILL)
				continue;
			for (unsigned k = 0; k < n; k++)
				inside |= b >= r[k].lo && b < r[k].hi;
			if (!inside)
				fail_msg("stray write at guest 0x%llx", (unsigned long long)b);
		}
	}
}

static void check_disjoint(const struct region *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		assert_true(r[i].lo < r[i].hi);
		for (unsigned j = 0; j < i; j++)
			if (r[i].lo < r[j].hi && r[j].lo < r[i].hi)
				fail_msg("regions %u [0x%llx, 0x%llx) and %u [0x%llx, 0x%llx) overlap",
					 i, (unsigned long long)r[i].lo, (unsigned long long)r[i].hi,
					 j, (unsigned long long)r[j].lo, (unsigned long long)r[j].hi);
	}
}

/* The e820 table in the zero page: count at 0x1e8, 20-byte entries
 * { u64 addr, u64 size, u32 type } from 0x2d0 (zero-page.rst). */
static void check_e820(uint64_t ram_size)
{
	static const struct { uint64_t addr, size; uint32_t type; } want[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x400, 2 },
		{ 0xe0000, 0x20000, 2 },
		{ 0x100000, 0, 1 },            /* size: RAM above 1 MiB */
	};

	assert_int_equal(rd8(ZP + 0x1e8), 4);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t e = ZP + 0x2d0 + 20 * i;

		assert_int_equal(rd64(e), want[i].addr);
		assert_int_equal(rd64(e + 8), i == 3 ? ram_size - 0x100000 : want[i].size);
		assert_int_equal(rd32(e + 16), want[i].type);
	}
}

/* The zero page: the header copied from the image, the fields a loader
 * writes, and zero everywhere else. */
static void check_zero_page(const struct kdesc *d, uint64_t load, uint64_t cmd_ptr,
			    uint64_t initrd, uint64_t ilen, uint64_t rsdp, uint64_t ram_size)
{
	uint64_t hdr_end = 0x202 + d->hdr_len;

	/* written by the loader */
	assert_int_equal(rd8(ZP + 0x210), 0xff);                  /* type_of_loader */
	assert_int_equal(rd8(ZP + 0x211), d->loadflags | 0x80);   /* CAN_USE_HEAP */
	assert_int_equal(rd16(ZP + 0x224), 0xfe00);               /* heap_end_ptr */
	assert_int_equal(rd8(ZP + 0x226), 0);
	assert_int_equal(rd8(ZP + 0x227), 0);
	assert_int_equal(rd32(ZP + 0x228), cmd_ptr);              /* cmd_line_ptr */
	assert_int_equal(rd32(ZP + 0x0c8), cmd_ptr >> 32);        /* ext_cmd_line_ptr */
	assert_int_equal(rd32(ZP + 0x218), (uint32_t)initrd);     /* ramdisk_image */
	assert_int_equal(rd32(ZP + 0x21c), (uint32_t)ilen);       /* ramdisk_size */
	assert_int_equal(rd32(ZP + 0x0c0), initrd >> 32);         /* ext_ramdisk_image */
	assert_int_equal(rd32(ZP + 0x0c4), ilen >> 32);           /* ext_ramdisk_size */
	assert_int_equal(rd32(ZP + 0x23c), 0);                    /* hardware_subarch */
	assert_int_equal(rd64(ZP + 0x250), 0);                    /* setup_data */
	assert_int_equal(rd64(ZP + 0x070), rsdp);                 /* acpi_rsdp_addr */
	assert_int_equal(rd16(ZP + 0x1fa), 0xffff);               /* vid_mode */
	assert_int_equal(rd32(ZP + 0x214), load);                 /* code32_start */
	check_e820(ram_size);

	/* copied from the image */
	assert_int_equal(rd8(ZP + 0x1f1), d->setup_sects);
	assert_int_equal(rd16(ZP + 0x1f2), 1);
	assert_int_equal(rd32(ZP + 0x1f4), d->pm_len / 16);
	assert_int_equal(rd16(ZP + 0x1fc), 0x0801);
	assert_int_equal(rd16(ZP + 0x1fe), 0xaa55);
	assert_int_equal(rd8(ZP + 0x200), 0xeb);
	assert_int_equal(rd8(ZP + 0x201), d->hdr_len);
	assert_memory_equal(ram + ZP + 0x202, "HdrS", 4);
	assert_int_equal(rd16(ZP + 0x206), d->version);
	assert_int_equal(rd16(ZP + 0x20c), 0x1000);
	assert_int_equal(rd16(ZP + 0x20e), 0x1234);
	assert_int_equal(rd16(ZP + 0x212), 0x8000);
	assert_int_equal(rd32(ZP + 0x22c), d->initrd_addr_max);
	assert_int_equal(rd32(ZP + 0x230), d->align);
	assert_int_equal(rd8(ZP + 0x234), d->reloc);
	assert_int_equal(rd8(ZP + 0x235), 0x15);
	assert_int_equal(rd16(ZP + 0x236), d->xloadflags);
	assert_int_equal(rd32(ZP + 0x238), d->cmdline_size);
	assert_int_equal(rd32(ZP + 0x248), 0x3b4);
	assert_int_equal(rd32(ZP + 0x24c), 0x1000);
	assert_int_equal(rd64(ZP + 0x258), d->pref);
	assert_int_equal(rd32(ZP + 0x260), d->init_size);
	if (hdr_end >= 0x268)
		assert_int_equal(rd32(ZP + 0x264), 0x190);
	if (hdr_end >= 0x26c)
		assert_int_equal(rd32(ZP + 0x268), 0x2345);

	/* Nothing else: the sentinel (0x1ef), the image bytes around the
	 * header and the rest of boot_params stay 0. */
	for (uint64_t o = 0; o < 4096; o++) {
		bool known = (o >= 0x070 && o < 0x078) || (o >= 0x0c0 && o < 0x0cc) || o == 0x1e8 ||
			     (o >= 0x1f1 && o < hdr_end) || (o >= 0x2d0 && o < 0x2d0 + 4 * 20);

		if (!known && rd8(ZP + o))
			fail_msg("zero page byte 0x%llx is 0x%x, not 0", (unsigned long long)o, rd8(ZP + o));
	}
}

/* Descriptor fields (Intel SDM Vol. 3A, 3.4.5). */
static void check_gdt(const struct boot_state *st)
{
	uint64_t c, d;

	assert_int_equal(st->gdt_base, GDT);
	assert_int_equal(st->gdt_limit, 0x1f);          /* four descriptors */
	assert_int_equal(rd64(GDT), 0);                 /* null */
	assert_int_equal(rd64(GDT + 8), 0);
	c = rd64(GDT + 0x10);
	d = rd64(GDT + 0x18);
	for (int i = 0; i < 2; i++) {
		uint64_t x = i ? d : c;

		assert_int_equal((x & 0xffff) | ((x >> 32) & 0xf0000), 0xfffff);     /* limit */
		assert_int_equal(((x >> 16) & 0xffffff) | ((x >> 32) & 0xff000000), 0); /* base */
		assert_int_equal((x >> 44) & 1, 1);     /* S: code/data */
		assert_int_equal((x >> 45) & 3, 0);     /* DPL 0 */
		assert_int_equal((x >> 47) & 1, 1);     /* P */
		assert_int_equal((x >> 55) & 1, 1);     /* G: 4 KiB units, 4 GiB */
	}
	assert_int_equal((c >> 43) & 1, 1);             /* code */
	assert_int_equal((c >> 41) & 1, 1);             /* readable */
	assert_int_equal((c >> 53) & 1, 1);             /* L: 64-bit */
	assert_int_equal((c >> 54) & 1, 0);             /* D must be 0 with L */
	assert_int_equal((d >> 43) & 1, 0);             /* data */
	assert_int_equal((d >> 41) & 1, 1);             /* writable */
	assert_int_equal((d >> 54) & 1, 1);             /* B: 32-bit stack */
	assert_int_equal((d >> 53) & 1, 0);
}

/* Walks the 4-level tables like the CPU; returns the physical address,
 * or ~0 if not mapped. Only 2 MiB leaves are expected. */
static uint64_t walk(uint64_t cr3, uint64_t va)
{
	const uint64_t m = 0x000ffffffffff000ULL;
	uint64_t e;

	e = rd64((cr3 & m) + ((va >> 39) & 511) * 8);
	if (!(e & 1))
		return ~0ULL;
	assert_int_equal(e & 0x80, 0);
	e = rd64((e & m) + ((va >> 30) & 511) * 8);
	if (!(e & 1))
		return ~0ULL;
	assert_int_equal(e & 0x80, 0);                  /* no 1 GiB pages */
	e = rd64((e & m) + ((va >> 21) & 511) * 8);
	if (!(e & 1))
		return ~0ULL;
	assert_int_equal(e & 0x80, 0x80);               /* PS: a 2 MiB page */
	assert_int_equal(e & 2, 2);                     /* writable */
	return (e & 0x000fffffffe00000ULL) | (va & 0x1fffff);
}

static void check_page_tables(const struct boot_state *st)
{
	uint64_t pdpt, va[] = { 0, 0x6000, 0x7000, 0x8ff8, 0x20000, st->rip, 0x1fffff, 0x200000,
				0x3fffffff, 0x40000000, 0x7fffffff, 0xbfffffff, 0xfee00000,
				0xffffffff };

	assert_int_equal(st->cr3, PML4);
	for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		assert_int_equal(walk(st->cr3, va[i]), va[i]);
	assert_int_equal(walk(st->cr3, 4 * GiB), ~0ULL);
	/* Exactly one PML4 entry, four PDPT entries, 2048 2 MiB leaves. */
	for (unsigned i = 1; i < 512; i++)
		assert_int_equal(rd64(PML4 + i * 8), 0);
	pdpt = rd64(PML4) & 0x000ffffffffff000ULL;
	for (unsigned i = 4; i < 512; i++)
		assert_int_equal(rd64(pdpt + i * 8), 0);
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t pd = rd64(pdpt + i * 8) & 0x000ffffffffff000ULL;

		for (uint64_t j = 0; j < 512; j++)
			assert_int_equal(rd64(pd + j * 8), ((i * 512 + j) << 21) | 0x83);
	}
}

/* Registers for the 64-bit entry (boot.rst, "64-bit Boot Protocol"). */
static void check_regs(const struct boot_state *st, uint64_t load)
{
	assert_int_equal(st->mode, BOOT_LONG64);
	assert_int_equal(st->rip, load + 0x200);        /* startup_64 */
	assert_int_equal(st->rsi, ZP);
	assert_int_equal(st->cs_sel, 0x10);
	assert_int_equal(st->ds_sel, 0x18);
	assert_int_equal(st->cr0 & 0x80000001, 0x80000001);   /* PG, PE */
	assert_int_equal(st->cr0, 0x80000031);          /* + ET, NE; no WP, no CD/NW */
	assert_int_equal(st->cr4, 0x20);                /* PAE */
	assert_int_equal(st->efer, 0x500);              /* LMA | LME */
	assert_int_equal(st->rsp, 0x9000);
	assert_int_equal(st->rax, 0);
	assert_int_equal(st->rbx, 0);
	assert_int_equal(st->err[0], '\0');
}

/* The low-memory pieces and the kernel and initrd do not overlap, and
 * everything the loader wrote lies inside one of them. */
static void check_layout(const struct boot_state *st, uint64_t load, uint64_t init_size,
			 size_t cmd_len, uint64_t initrd, uint64_t ilen, size_t pm_len)
{
	struct region r[7] = {
		{ st->gdt_base, st->gdt_base + st->gdt_limit + 1 },
		{ ZP, ZP + 4096 },
		{ st->rsp - 4096, st->rsp },                 /* stack */
		{ st->cr3, st->cr3 + 6 * 4096 },             /* PML4, PDPT, 4 PDs */
		{ CMDLINE, CMDLINE + cmd_len + 1 },
		{ load, load + init_size },
		{ initrd, initrd + ilen },
	};
	unsigned n = ilen ? 7 : 6;

	assert_true(r[4].hi <= 0x9fc00);                /* below the EBDA */
	assert_true(load >= 0x100000);
	check_disjoint(r, n);
	r[5].hi = load + pm_len;                        /* only the file is copied */
	check_only(r, n);
}

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_SIZE);
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

/* ---- detection ----------------------------------------------------------- */

static void test_detect(void **state)
{
	struct kdesc d = kd();
	size_t len = build(&d);

	(void)state;
	assert_true(linux_detect(kbuf, len));
	assert_true(linux_detect(kbuf, 0x238));         /* xloadflags is the last field read */
	assert_false(linux_detect(kbuf, 0x237));
	assert_false(linux_detect(NULL, len));
	put16(0x206, 0x020c);                           /* 2.12: the first with xloadflags */
	assert_true(linux_detect(kbuf, len));
	put16(0x206, 0x020b);
	assert_false(linux_detect(kbuf, len));
	put16(0x206, 0x020f);
	put16(0x236, 0x02);                             /* no XLF_KERNEL_64 */
	assert_false(linux_detect(kbuf, len));
	put16(0x236, 0x01);
	assert_true(linux_detect(kbuf, len));
	put16(0x1fe, 0x55aa);                           /* boot_flag byte-swapped */
	assert_false(linux_detect(kbuf, len));
	put16(0x1fe, 0xaa55);
	memcpy(kbuf + 0x202, "HdrT", 4);
	assert_false(linux_detect(kbuf, len));
	memset(kbuf, 0, sizeof(kbuf));
	assert_false(linux_detect(kbuf, sizeof(kbuf)));
}

/* ---- loading --------------------------------------------------------------- */

/* At pref_address: everything the protocol asks for, checked field by field. */
static void test_load_pref(void **state)
{
	static const char cmd[] = "console=ttyS0 root=/dev/vda1 ro";
	struct kdesc d = kd();
	size_t len = build(&d);
	struct boot_state st;

	(void)state;
	reset_ram(RAM_SIZE);
	memset(&st, 0x77, sizeof(st));
	load_ok(len, cmd, NULL, 0, NULL, &st);
	check_payload(&d, 0x1000000);
	check_regs(&st, 0x1000000);
	check_zero_page(&d, 0x1000000, CMDLINE, 0, 0, 0, RAM_SIZE);
	assert_memory_equal(ram + CMDLINE, cmd, sizeof(cmd));   /* with the NUL */
	assert_int_equal(rd8(CMDLINE + sizeof(cmd)), FILL);
	check_gdt(&st);
	check_page_tables(&st);
	check_layout(&st, 0x1000000, d.init_size, strlen(cmd), 0, 0, d.pm_len);
	/* The loader copies the file; the rest of init_size is the kernel's. */
	assert_int_equal(rd8(0x1000000 + d.pm_len), FILL);
	assert_int_equal(rd8(0x1000000 - 1), FILL);
}

/* syssize is the protected-mode length rounded up to 16-byte paragraphs
 * (and may be anything): a file that ends up to 15 bytes, or further,
 * before syssize * 16 still loads, all of the file copied, init_size
 * reserved; a syssize of 0 or one short of the file changes nothing. */
static void test_syssize_ignored(void **state)
{
	static const size_t cut[] = { 1, 15, 16, 0x1000 };
	static const uint32_t sys[] = { 0, 0x3000 / 16 - 1, 0xffffffff };
	struct kdesc d = kd();
	struct boot_state st;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		len = build(&d) - cut[i];          /* syssize still says 0x3000 bytes */
		reset_ram(RAM_SIZE);
		load_ok(len, "", NULL, 0, NULL, &st);
		assert_int_equal(st.rip, 0x1000000 + 0x200);
		for (size_t j = 0; j < d.pm_len - cut[i]; j++)
			assert_int_equal(rd8(0x1000000 + j), pm_byte(j));
		assert_int_equal(rd8(0x1000000 + d.pm_len - cut[i]), FILL);
	}
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		len = build(&d);
		put32(0x1f4, sys[i]);
		reset_ram(RAM_SIZE);
		load_ok(len, "", NULL, 0, NULL, &st);
		check_payload(&d, 0x1000000);
	}
}

/* A relocatable kernel whose pref_address does not work goes to the
 * lowest kernel_alignment boundary at or above 16 MiB. */
static void test_load_relocated(void **state)
{
	static const struct {
		uint64_t pref;
		uint32_t init_size, align;
		uint64_t want;
	} c[] = {
		{ 0x6000000, 0x4000000, 0x200000, 0x1000000 },   /* pref + init_size past RAM */
		{ 0x1100000, 0x800000, 0x200000, 0x1000000 },    /* pref not aligned */
		{ 0, 0x800000, 0x200000, 0x1000000 },            /* no preference */
		{ 0x80000, 0x800000, 0x200000, 0x1000000 },      /* pref below 1 MiB */
		{ 0x100000000ULL, 0x800000, 0x1000000, 0x1000000 }, /* pref above RAM */
		{ 0, 0x2000000, 0x4000000, 0x4000000 },          /* 64 MiB alignment */
		{ 0x7000000, 0x2000000, 0x2000000, 0x2000000 },  /* 32 MiB alignment */
		{ 0x4000000, 0x4000000, 0x200000, 0x4000000 },   /* pref fits exactly at the end */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct kdesc d = kd();
		struct boot_state st;
		size_t len;

		d.pref = c[i].pref;
		d.init_size = c[i].init_size;
		d.align = c[i].align;
		len = build(&d);
		reset_ram(RAM_SIZE);
		load_ok(len, "", NULL, 0, NULL, &st);
		if (st.rip != c[i].want + 0x200)
			fail_msg("case %zu: loaded at 0x%llx, want 0x%llx", i,
				 (unsigned long long)(st.rip - 0x200), (unsigned long long)c[i].want);
		check_payload(&d, c[i].want);
		check_regs(&st, c[i].want);
		assert_int_equal(rd32(ZP + 0x214), c[i].want);  /* code32_start */
		assert_int_equal(rd64(ZP + 0x258), c[i].pref);  /* pref_address as the image had it */
		check_layout(&st, c[i].want, c[i].init_size, 0, 0, 0, d.pm_len);
	}
}

/* A kernel that is not relocatable loads at pref_address or not at all. */
static void test_load_fixed(void **state)
{
	struct kdesc d = kd();
	struct boot_state st;
	size_t len;

	(void)state;
	d.reloc = 0;
	d.align = 0;                                    /* unused without relocation */
	d.pref = 0x200000;
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, NULL, &st);
	check_payload(&d, 0x200000);
	check_regs(&st, 0x200000);

	d.pref = 0x1100000;                             /* any address will do */
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, NULL, &st);
	check_payload(&d, 0x1100000);

	d.pref = 0x7900000;                             /* 0x7900000 + 8 MiB > 128 MiB */
	len = build(&d);
	reset_ram(RAM_SIZE);
	expect_reject(kbuf, len, "not relocatable");
	d.pref = 0;
	len = build(&d);
	expect_reject(kbuf, len, "pref_address");
	d.pref = 0x80000;                               /* inside the low area */
	len = build(&d);
	expect_reject(kbuf, len, "pref_address");
}

/* setup_sects 0 means 4; the kernel starts at (setup_sects + 1) * 512. */
static void test_setup_sects(void **state)
{
	static const uint8_t sects[] = { 0, 1, 4, 27, 63 };

	(void)state;
	for (size_t i = 0; i < sizeof(sects); i++) {
		struct kdesc d = kd();
		struct boot_state st;
		size_t len;

		d.setup_sects = sects[i];
		len = build(&d);
		assert_int_equal(len, (sects[i] ? sects[i] + 1u : 5u) * 512 + d.pm_len);
		reset_ram(RAM_SIZE);
		load_ok(len, "", NULL, 0, NULL, &st);
		check_payload(&d, 0x1000000);
		assert_int_equal(rd8(ZP + 0x1f1), sects[i]);
	}
}

/* A shorter setup header (2.12's ends at 0x268) is copied only as far as
 * it goes; boot_params beyond it stays 0. */
static void test_short_header(void **state)
{
	struct kdesc d = kd();
	struct boot_state st;
	size_t len;

	(void)state;
	d.version = 0x020c;
	d.hdr_len = 0x66;                               /* ends at 0x268 */
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, NULL, &st);
	check_zero_page(&d, 0x1000000, CMDLINE, 0, 0, 0, RAM_SIZE);
	assert_int_equal(rd32(ZP + 0x268), 0);          /* kernel_info_offset not copied */
	d.hdr_len = 0x62;                               /* ends at 0x264, right after init_size */
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, NULL, &st);
	check_zero_page(&d, 0x1000000, CMDLINE, 0, 0, 0, RAM_SIZE);
	assert_int_equal(rd32(ZP + 0x264), 0);
	/* Past boot_params' room for it (0x290): copied up to there only. */
	for (unsigned h = 0x8e; h <= 0xff; h += 0x71) {
		d.hdr_len = (uint8_t)h;
		len = build(&d);
		memset(kbuf + 0x26c, 0x5a, 0x120);
		reset_ram(RAM_SIZE);
		load_ok(len, "", NULL, 0, NULL, &st);
		assert_int_equal(ram[ZP + 0x28f], 0x5a);
		assert_int_equal(ram[ZP + 0x290], 0);
	}
}

static uint8_t *make_initrd(size_t n)
{
	uint8_t *p = malloc(n);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + (i >> 12) + 1);
	return p;
}

/* The initrd goes page-aligned as high as RAM and initrd_addr_max allow. */
static void test_initrd(void **state)
{
	const size_t n = 0x12345;
	uint8_t *initrd = make_initrd(n);
	struct kdesc d = kd();
	struct boot_state st;
	size_t len = build(&d);

	(void)state;
	reset_ram(RAM_SIZE);
	load_ok(len, "initrd=x", initrd, n, NULL, &st);
	/* 0x8000000 - 0x12345 = 0x7fedcbb, down to a page: 0x7fed000 */
	assert_int_equal(rd32(ZP + 0x218), 0x7fed000);
	assert_int_equal(rd32(ZP + 0x21c), n);
	assert_int_equal(rd32(ZP + 0x0c0), 0);
	assert_int_equal(rd32(ZP + 0x0c4), 0);
	assert_memory_equal(ram + 0x7fed000, initrd, n);
	check_zero_page(&d, 0x1000000, CMDLINE, 0x7fed000, n, 0, RAM_SIZE);
	check_layout(&st, 0x1000000, d.init_size, 8, 0x7fed000, n, d.pm_len);

	/* initrd_addr_max is the highest byte it may use: with 0x3ffefff
	 * it must end by 0x3fff000: 0x3fff000 - 0x12345 = 0x3feccbb. */
	d.initrd_addr_max = 0x3ffefff;
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", initrd, n, NULL, &st);
	assert_int_equal(rd32(ZP + 0x218), 0x3fec000);
	assert_memory_equal(ram + 0x3fec000, initrd, n);
	assert_true(0x3fec000 + n - 1 <= 0x3ffefff);
	check_layout(&st, 0x1000000, d.init_size, 0, 0x3fec000, n, d.pm_len);

	/* An empty initrd is no initrd, even with a pointer. */
	reset_ram(RAM_SIZE);
	load_ok(len, "", initrd, 0, NULL, &st);
	assert_int_equal(rd32(ZP + 0x218), 0);
	assert_int_equal(rd32(ZP + 0x21c), 0);
	check_layout(&st, 0x1000000, d.init_size, 0, 0, 0, d.pm_len);
	free(initrd);
}

/* The initrd never lands in the kernel's [load, load + init_size): when
 * the kernel holds the top, the initrd goes below it. */
static void test_initrd_beside_kernel(void **state)
{
	const size_t n = 0x12345;
	uint8_t *initrd = make_initrd(n);
	uint8_t *big;
	struct kdesc d = kd();
	struct boot_state st;
	size_t len;

	(void)state;
	d.pref = 0x6000000;                             /* kernel [96 MiB, 128 MiB) */
	d.init_size = 0x2000000;
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", initrd, n, NULL, &st);
	check_payload(&d, 0x6000000);
	assert_int_equal(rd32(ZP + 0x218), 0x5fed000);  /* 0x6000000 - 0x12345, page down */
	assert_memory_equal(ram + 0x5fed000, initrd, n);
	check_layout(&st, 0x6000000, d.init_size, 0, 0x5fed000, n, d.pm_len);

	/* initrd_addr_max at the kernel's end: no room above, so below. */
	d = kd();                                       /* kernel [16 MiB, 24 MiB) */
	d.initrd_addr_max = 0x17fffff;
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", initrd, n, NULL, &st);
	assert_int_equal(rd32(ZP + 0x218), 0xfed000);
	check_layout(&st, 0x1000000, d.init_size, 0, 0xfed000, n, d.pm_len);

	/* Exactly the room above the kernel [16 MiB, 112 MiB): 16 MiB fits
	 * at 112 MiB; one byte more fits nowhere (below the kernel there
	 * are only 15 MiB). */
	d = kd();
	d.init_size = 0x6000000;
	len = build(&d);
	big = make_initrd(16 * MiB + 1);
	reset_ram(RAM_SIZE);
	load_ok(len, "", big, 16 * MiB, NULL, &st);
	assert_int_equal(rd32(ZP + 0x218), 0x7000000);
	assert_memory_equal(ram + 0x7000000, big, 16 * MiB);
	check_layout(&st, 0x1000000, d.init_size, 0, 0x7000000, 16 * MiB, d.pm_len);
	reset_ram(RAM_SIZE);
	expect_reject_ex(kbuf, len, "", big, 16 * MiB + 1, NULL, "initrd");
	free(big);
	free(initrd);
}

/* An init_size smaller than the file (no real kernel has one) still
 * covers the whole copied file: nothing may land on it, and it must fit. */
static void test_init_size_small(void **state)
{
	const size_t n = 0x2000;
	uint8_t *initrd = make_initrd(n);
	struct kdesc d = kd();
	struct boot_state st;
	size_t len;

	(void)state;
	d.init_size = 0x1000;                           /* the file has 0x3000 */
	d.initrd_addr_max = 0x1003fff;                  /* room above the file: 0x1000 */
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", initrd, n, NULL, &st);
	check_payload(&d, 0x1000000);
	assert_int_equal(rd32(ZP + 0x218), 0xffe000);   /* below the kernel, not on its file */
	check_layout(&st, 0x1000000, d.pm_len, 0, 0xffe000, n, d.pm_len);

	d = kd();
	d.reloc = 0;
	d.init_size = 0x1000;
	d.pref = 0x7ffe000;                             /* init_size fits, the file does not */
	len = build(&d);
	reset_ram(RAM_SIZE);
	expect_reject(kbuf, len, "not relocatable");
	free(initrd);
}

/* Guest RAM above what the test really has: the loader must write only
 * low memory, the kernel and the initrd, all within the real 128 MiB
 * (ASan and check_layout catch anything else); the e820 map and the
 * 4 GiB limit follow the claimed size. */
static void test_ram_sizes(void **state)
{
	const size_t n = 0x3000;
	uint8_t *initrd = make_initrd(n);
	struct kdesc d = kd();
	struct boot_state st;
	size_t len;

	(void)state;
	d.initrd_addr_max = 0x7ffffff;                  /* keeps the initrd in the real buffer */
	len = build(&d);
	reset_ram(6 * GiB);
	load_ok(len, "", initrd, n, NULL, &st);
	check_payload(&d, 0x1000000);
	assert_int_equal(rd32(ZP + 0x218), 0x7ffd000);
	check_e820(6 * GiB);
	check_page_tables(&st);                         /* still the first 4 GiB only */
	check_layout(&st, 0x1000000, d.init_size, 0, 0x7ffd000, n, d.pm_len);

	/* The kernel must sit below 4 GiB, whatever the RAM. */
	d = kd();
	d.reloc = 0;
	d.pref = 0xffe00000;
	d.init_size = 0x400000;
	len = build(&d);
	reset_ram(8 * GiB);
	expect_reject(kbuf, len, "not relocatable");

	/* The floor: 64 MiB loads, a page less does not. */
	d = kd();
	len = build(&d);
	reset_ram(64 * MiB);
	load_ok(len, "", NULL, 0, NULL, &st);
	check_e820(64 * MiB);
	reset_ram(64 * MiB - 4096);
	expect_reject(kbuf, len, "64 MiB");
	free(initrd);
}

static void test_acpi_rsdp(void **state)
{
	struct kdesc d = kd();
	size_t len = build(&d);
	struct linux_layout lay = { .acpi_rsdp = 0xf0000 };
	struct boot_state st;

	(void)state;
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, &lay, &st);
	assert_int_equal(rd64(ZP + 0x070), 0xf0000);
	check_zero_page(&d, 0x1000000, CMDLINE, 0, 0, 0xf0000, RAM_SIZE);

	lay.acpi_rsdp = 0x100000 - 36;                  /* the last place a 36-byte RSDP fits */
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, &lay, &st);
	assert_int_equal(rd64(ZP + 0x070), 0x100000 - 36);
	lay.acpi_rsdp = 0xe0000;
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, &lay, &st);
	assert_int_equal(rd64(ZP + 0x070), 0xe0000);

	lay.acpi_rsdp = 0;                              /* none */
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, &lay, &st);
	assert_int_equal(rd64(ZP + 0x070), 0);
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, NULL, &st);
	assert_int_equal(rd64(ZP + 0x070), 0);

	reset_ram(RAM_SIZE);
	lay.acpi_rsdp = 0x100000 - 35;
	expect_reject_ex(kbuf, len, "", NULL, 0, &lay, "RSDP");
	lay.acpi_rsdp = 0xdfff0;
	expect_reject_ex(kbuf, len, "", NULL, 0, &lay, "RSDP");
	lay.acpi_rsdp = 0x5000000;
	expect_reject_ex(kbuf, len, "", NULL, 0, &lay, "RSDP");
}

static void test_cmdline(void **state)
{
	struct kdesc d = kd();
	struct boot_state st;
	char *s = malloc(0x80001);
	size_t len;

	(void)state;
	assert_non_null(s);
	d.cmdline_size = 100;                           /* characters, NUL excluded */
	len = build(&d);
	memset(s, 'a', 100);
	s[0] = 'x';
	s[99] = 'z';
	s[100] = '\0';
	reset_ram(RAM_SIZE);
	load_ok(len, s, NULL, 0, NULL, &st);
	assert_memory_equal(ram + CMDLINE, s, 101);
	assert_int_equal(rd32(ZP + 0x228), CMDLINE);
	check_layout(&st, 0x1000000, d.init_size, 100, 0, 0, d.pm_len);
	s[100] = 'a';
	s[101] = '\0';
	reset_ram(RAM_SIZE);
	expect_reject_ex(kbuf, len, s, NULL, 0, NULL, "command line");

	/* NULL is the empty string; cmd_line_ptr is set regardless. */
	reset_ram(RAM_SIZE);
	load_ok(len, NULL, NULL, 0, NULL, &st);
	assert_int_equal(rd8(CMDLINE), 0);
	assert_int_equal(rd8(CMDLINE + 1), FILL);
	assert_int_equal(rd32(ZP + 0x228), CMDLINE);

	/* A huge cmdline_size is capped by the room below the EBDA:
	 * [0x20000, 0x9fc00) holds 0x7fbff characters and the NUL. */
	d.cmdline_size = 0xffffffff;
	len = build(&d);
	memset(s, 'b', 0x80000);
	s[0x7fbff] = '\0';
	reset_ram(RAM_SIZE);
	load_ok(len, s, NULL, 0, NULL, &st);
	assert_int_equal(rd8(CMDLINE + 0x7fbfe), 'b');
	assert_int_equal(rd8(0x9fbff), 0);
	assert_int_equal(rd8(0x9fc00), FILL);
	s[0x7fbff] = 'b';
	s[0x7fc00] = '\0';
	reset_ram(RAM_SIZE);
	expect_reject_ex(kbuf, len, s, NULL, 0, NULL, "command line");
	free(s);
}

/* ---- refusals ------------------------------------------------------------- */

static void test_reject_image(void **state)
{
	struct kdesc d = kd();
	size_t len;

	(void)state;
	reset_ram(RAM_SIZE);
	len = build(&d);
	expect_reject(NULL, len, "bzImage");
	expect_reject(kbuf, 0x207, "bzImage");          /* version cut off */
	put16(0x1fe, 0);
	expect_reject(kbuf, len, "0xAA55");
	len = build(&d);
	memcpy(kbuf + 0x202, "HdrZ", 4);
	expect_reject(kbuf, len, "HdrS");

	d.version = 0x020b;                             /* 2.11: no xloadflags */
	len = build(&d);
	expect_reject(kbuf, len, "protocol 2.11 is older than 2.12");
	d.version = 0x0209;
	len = build(&d);
	expect_reject(kbuf, len, "2.09");
	d = kd();

	d.loadflags = 0;                                /* zImage */
	len = build(&d);
	expect_reject(kbuf, len, "LOADED_HIGH");
	d = kd();
	d.xloadflags = 0x02;                            /* 32-bit kernel */
	len = build(&d);
	expect_reject(kbuf, len, "XLF_KERNEL_64");
	d = kd();

	/* truncated: the setup, then the protected-mode part */
	len = build(&d);
	expect_reject(kbuf, 6 * 512 - 1, "truncated");
	expect_reject(kbuf, 0x400, "truncated");
	d.setup_sects = 0x40;                           /* 65 sectors: 0x8200 > the file */
	d.pm_len = 0x100;
	len = build(&d);
	expect_reject(kbuf, 0x8200 - 1, "setup sectors");
	d = kd();
	d.pm_len = 0x200;                               /* no room for startup_64 */
	len = build(&d);
	expect_reject(kbuf, len, "startup_64");
	d = kd();

	d.hdr_len = 0x61;                               /* ends at 0x263, before init_size ends */
	len = build(&d);
	expect_reject(kbuf, len, "header length");
	d = kd();
	d.init_size = 0;
	len = build(&d);
	expect_reject(kbuf, len, "init_size");
	d = kd();
	d.align = 0x300000;
	len = build(&d);
	expect_reject(kbuf, len, "kernel_alignment 0x300000");
	d.align = 0;
	len = build(&d);
	expect_reject(kbuf, len, "kernel_alignment");
}

/* The setup header's and the file's limits, from both sides: the header
 * may end exactly at 0x264 (just past init_size) or at 0x290 (the last
 * byte boot_params has room for), one byte either way is refused; the
 * protected-mode part must reach one paragraph past startup_64 at 0x200,
 * and the file may end exactly where syssize says. */
static void test_header_limits(void **state)
{
	static const struct { uint8_t hdr_len; bool ok; } h[] = {
		{ 0x61, false }, { 0x62, true }, { 0x8e, true }, { 0x8f, true },  /* cut at 0x290 */
	};
	struct kdesc d;
	struct boot_state st;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		d = kd();
		d.hdr_len = h[i].hdr_len;
		len = build(&d);
		reset_ram(RAM_SIZE);
		if (h[i].ok) {
			load_ok(len, "", NULL, 0, NULL, &st);
			check_payload(&d, 0x1000000);
		} else {
			expect_reject(kbuf, len, "header length");
		}
	}
	d = kd();
	d.pm_len = 0x210;                               /* startup_64 plus one paragraph */
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, NULL, &st);
	check_payload(&d, 0x1000000);
	d.pm_len = 0x200;
	len = build(&d);
	reset_ram(RAM_SIZE);
	expect_reject(kbuf, len, "startup_64");

	/* Exactly syssize: loads; the setup ending exactly at the file's
	 * end leaves no kernel (refused for the missing startup_64, not read
	 * past). */
	d = kd();
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, NULL, &st);
	reset_ram(RAM_SIZE);
	expect_reject(kbuf, pm_off(&d), "startup_64");
	reset_ram(RAM_SIZE);
	expect_reject(kbuf, pm_off(&d) - 1, "setup sectors");
}

static void test_reject_fit(void **state)
{
	struct kdesc d = kd();
	struct boot_state st;
	size_t len;

	(void)state;
	reset_ram(RAM_SIZE);
	d.init_size = 0x7000001;                        /* 16 MiB + this > 128 MiB */
	len = build(&d);
	expect_reject(kbuf, len, "does not fit");
	d.init_size = 0x7000000;                        /* exactly to the end: fits */
	len = build(&d);
	reset_ram(RAM_SIZE);
	load_ok(len, "", NULL, 0, NULL, &st);
	check_payload(&d, 0x1000000);
	reset_ram(RAM_SIZE);
	d = kd();
	d.pref = 0;
	d.align = 0x10000000;                           /* 256 MiB: no boundary in RAM but 0 */
	len = build(&d);
	expect_reject(kbuf, len, "kernel_alignment");

	d = kd();
	len = build(&d);
	expect_reject_ex(kbuf, len, "", NULL, 0x1000, NULL, "no data");
	/* More initrd than RAM: checked before anything reads it. */
	expect_reject_ex(kbuf, len, "", kbuf, 0x7000000, NULL, "initrd");

	gi.ram = NULL;
	expect_reject(kbuf, len, "no guest RAM");
	assert_int_equal(linux_load(NULL, kbuf, len, "", NULL, 0, NULL, &st), -EINVAL);
	assert_non_null(strstr(st.err, "no guest RAM"));
	reset_ram(RAM_SIZE);
	assert_int_equal(linux_load(&gi, kbuf, len, "", NULL, 0, NULL, NULL), -EINVAL);
	assert_true(ram_untouched());
}

/* ---- a real kernel, when the machine has one -------------------------------- */

/* $VATRA_TEST_BZIMAGE, else build/linux/vmlinuz (what tools/guest-linux
 * fetches: Debian's cloud kernel), else the first /boot/vmlinuz-*;
 * skipped without any (or when it cannot be read, e.g. a root-only 0600
 * file in /boot). */
static void test_real_kernel(void **state)
{
	const char *path = getenv("VATRA_TEST_BZIMAGE");
	glob_t g = { 0 };
	FILE *f;
	long n;
	uint8_t *k, *big;
	struct guest_image rg;
	struct boot_state st;
	const uint64_t size = 512 * MiB;
	uint64_t load, off, pref;
	uint32_t init_size, rd;
	uint8_t *initrd;

	(void)state;
	if ((!path || !*path) && (f = fopen("build/linux/vmlinuz", "rb"))) {
		fclose(f);
		path = "build/linux/vmlinuz";
	}
	if (!path || !*path) {
		if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || !g.gl_pathc) {
			globfree(&g);
			skip();
			return;
		}
		path = g.gl_pathv[0];
	}
	f = fopen(path, "rb");
	if (!f) {
		globfree(&g);
		skip();
		return;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	k = malloc((size_t)n);
	assert_non_null(k);
	assert_int_equal(fread(k, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_true(linux_detect(k, (size_t)n));
	big = calloc(1, size);
	assert_non_null(big);
	rg = (struct guest_image){ big, size, NULL, 0 };
	initrd = make_initrd(MiB);
	if (linux_load(&rg, k, (size_t)n, "console=ttyS0", initrd, MiB, NULL, &st))
		fail_msg("%s: %s", path, st.err);
	assert_true((uint16_t)(big[ZP + 0x206] | (big[ZP + 0x207] << 8)) >= 0x020c);
	assert_int_equal(big[ZP + 0x210], 0xff);
	assert_int_equal(big[ZP + 0x1ef], 0);          /* sentinel: the image has 0xff */
	load = st.rip - 0x200;
	memcpy(&pref, k + 0x258, 8);
	memcpy(&init_size, k + 0x260, 4);
	assert_int_equal(load, pref);                   /* 512 MiB: room at pref_address */
	off = ((uint64_t)(k[0x1f1] ? k[0x1f1] : 4) + 1) * 512;
	assert_memory_equal(big + load, k + off, (size_t)n - off);
	memcpy(&rd, big + ZP + 0x218, 4);
	assert_int_equal(rd, size - MiB);               /* initrd at the top, clear of the kernel */
	assert_true(rd >= load + init_size);
	assert_memory_equal(big + rd, initrd, MiB);
	free(initrd);
	free(big);
	free(k);
	globfree(&g);
}

/* The ECAM window the MCFG names is a fifth e820 entry, reserved; one
 * that overlaps RAM is refused. */
static void test_ecam_reserved(void **state)
{
	struct linux_layout lay = { .ecam_base = 0xb0000000, .ecam_size = 0x10000000 };
	struct kdesc d = kd();
	struct boot_state st;
	uint64_t e = ZP + 0x2d0 + 20 * 4;
	size_t len;

	(void)state;
	len = build(&d);
	reset_ram(64 * MiB);
	load_ok(len, "", NULL, 0, &lay, &st);
	assert_int_equal(rd8(ZP + 0x1e8), 5);
	assert_int_equal(rd64(e), 0xb0000000);
	assert_int_equal(rd64(e + 8), 0x10000000);
	assert_int_equal(rd32(e + 16), 2);
	lay.ecam_base = 32 * MiB;
	reset_ram(64 * MiB);
	expect_reject_ex(kbuf, len, "", NULL, 0, &lay, "ECAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_load_pref),
		cmocka_unit_test(test_syssize_ignored),
		cmocka_unit_test(test_load_relocated),
		cmocka_unit_test(test_load_fixed),
		cmocka_unit_test(test_setup_sects),
		cmocka_unit_test(test_short_header),
		cmocka_unit_test(test_initrd),
		cmocka_unit_test(test_initrd_beside_kernel),
		cmocka_unit_test(test_init_size_small),
		cmocka_unit_test(test_ram_sizes),
		cmocka_unit_test(test_ecam_reserved),
		cmocka_unit_test(test_acpi_rsdp),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_reject_image),
		cmocka_unit_test(test_reject_fit),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_real_kernel),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
