/* Guest loaders: Multiboot v1 (ELF32, ELF64, a.out kludge) and flat
 * binaries, loaded into a heap "guest RAM". The info structure is read
 * back at the byte offsets the Multiboot 0.6.96 spec (3.3) gives, not
 * through the loader's own structs, so a layout slip shows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "vmm/loader/multiboot.h"
#include "vmm/loader/flat.h"
#include "lib/errno.h"

#define RAM_SIZE   (16ULL << 20)
#define FILL       0xcc
#define KBUF_SIZE  0x8000

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
	for (uint64_t i = 0; i < RAM_SIZE; i++)
		if (ram[i] != FILL)
			return false;
	return true;
}

static bool ram_untouched_from(uint64_t a, uint64_t b)
{
	for (uint64_t i = a; i < b; i++)
		if (ram[i] != FILL)
			return false;
	return true;
}

static bool all_zero(uint64_t a, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (ram[a + i])
			return false;
	return true;
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

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A Multiboot header at kbuf + off: magic, flags, checksum, and, when
 * addr is non-NULL, the five address fields (3.1.1). */
static void put_header(size_t off, uint32_t flags, const uint32_t *addr)
{
	wr32(kbuf + off, 0x1BADB002);
	wr32(kbuf + off + 4, flags);
	wr32(kbuf + off + 8, (uint32_t)(0u - 0x1BADB002u - flags));
	if (addr)
		for (int i = 0; i < 5; i++)
			wr32(kbuf + off + 12 + 4 * i, addr[i]);
}

struct ehdr64 {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr64 {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
struct ehdr32 {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr32 {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

/* A synthetic kernel: text of TEXT_SZ bytes at file text_off (the
 * Multiboot header is its first bytes), data of DATA_SZ bytes right
 * after it in the file, with bss up to data_memsz. */
#define TEXT_SZ 0x100
#define DATA_SZ 0x80

struct kdesc {
	int cls;
	size_t text_off;
	uint64_t text_vaddr, text_paddr;
	uint64_t data_vaddr, data_paddr, data_memsz;
	uint64_t entry;
	uint32_t mbflags;
};

/* ELF32, identity-linked at 1 MiB, bss ends mid-page (0x104f00). */
static struct kdesc kd32(void)
{
	return (struct kdesc){ 32, 0x1000, 0x100000, 0x100000, 0x102000, 0x102000, 0x2f00,
			       0x100020, 0x3 };
}

/* ELF64 linked in the higher half, p_paddr at 2 MiB. */
static struct kdesc kd64(void)
{
	return (struct kdesc){ 64, 0x1000, 0xffffffff80200000ULL, 0x200000,
			       0xffffffff80203000ULL, 0x203000, 0x1000,
			       0xffffffff80200040ULL, 0x3 };
}

static size_t build_elf(const struct kdesc *d)
{
	size_t doff = d->text_off + TEXT_SZ;

	memset(kbuf, 0, sizeof(kbuf));
	for (size_t i = 0; i < TEXT_SZ; i++)
		kbuf[d->text_off + i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < DATA_SZ; i++)
		kbuf[doff + i] = (uint8_t)(0xa0 ^ i);
	if (d->cls == 32) {
		struct ehdr32 e = { .type = 2, .machine = 3, .version = 1,
				    .entry = (uint32_t)d->entry, .phoff = sizeof(e),
				    .ehsize = sizeof(e), .phentsize = sizeof(struct phdr32),
				    .phnum = 2 };
		struct phdr32 p[2] = {
			{ 1, (uint32_t)d->text_off, (uint32_t)d->text_vaddr, (uint32_t)d->text_paddr,
			  TEXT_SZ, TEXT_SZ, 5, 0x1000 },
			{ 1, (uint32_t)doff, (uint32_t)d->data_vaddr, (uint32_t)d->data_paddr,
			  DATA_SZ, (uint32_t)d->data_memsz, 6, 0x1000 },
		};

		memcpy(e.ident, "\x7f" "ELF\x01\x01\x01", 7);
		memcpy(kbuf, &e, sizeof(e));
		memcpy(kbuf + sizeof(e), p, sizeof(p));
	} else {
		struct ehdr64 e = { .type = 2, .machine = 62, .version = 1,
				    .entry = d->entry, .phoff = sizeof(e),
				    .ehsize = sizeof(e), .phentsize = sizeof(struct phdr64),
				    .phnum = 2 };
		struct phdr64 p[2] = {
			{ 1, 5, d->text_off, d->text_vaddr, d->text_paddr, TEXT_SZ, TEXT_SZ, 0x1000 },
			{ 1, 6, doff, d->data_vaddr, d->data_paddr, DATA_SZ, d->data_memsz, 0x1000 },
		};

		memcpy(e.ident, "\x7f" "ELF\x02\x01\x01", 7);
		memcpy(kbuf, &e, sizeof(e));
		memcpy(kbuf + sizeof(e), p, sizeof(p));
	}
	put_header(d->text_off, d->mbflags, NULL);
	return doff + DATA_SZ;
}

/* Program header i of a kernel built by build_elf (for edits). */
static struct phdr32 *ph32(int i)
{
	return (struct phdr32 *)(kbuf + sizeof(struct ehdr32)) + i;
}

static struct phdr64 *ph64(int i)
{
	return (struct phdr64 *)(kbuf + sizeof(struct ehdr64)) + i;
}

/* An a.out-kludge kernel (not ELF): `prefix` bytes of junk, then the
 * image proper of AOUT_SZ bytes whose first 0x40 bytes are code and whose
 * Multiboot header sits at image offset 0x40, then AOUT_TAIL bytes past
 * load_end_addr that must not be loaded. The image loads at 0x100000,
 * bss runs to 0x103000, entry at 0x100100. */
#define AOUT_SZ   0x800
#define AOUT_TAIL 0x100

static uint32_t aout_fields[5];

static size_t build_aout(size_t prefix, uint32_t extra_flags)
{
	memset(kbuf, 0, sizeof(kbuf));
	memset(kbuf, 0xee, prefix);
	for (size_t i = 0; i < AOUT_SZ; i++)
		kbuf[prefix + i] = (uint8_t)(0x11 * i + 3);
	memset(kbuf + prefix + AOUT_SZ, 0xdd, AOUT_TAIL);
	aout_fields[0] = 0x100040;             /* header_addr */
	aout_fields[1] = 0x100000;             /* load_addr */
	aout_fields[2] = 0x100000 + AOUT_SZ;   /* load_end_addr */
	aout_fields[3] = 0x103000;             /* bss_end_addr */
	aout_fields[4] = 0x100100;             /* entry_addr */
	put_header(prefix + 0x40, 0x00010003 | extra_flags, aout_fields);
	return prefix + AOUT_SZ + AOUT_TAIL;
}

/* Rewrites the a.out header's address fields after a test edits them. */
static void redo_aout(size_t prefix)
{
	uint32_t flags;

	memcpy(&flags, kbuf + prefix + 0x40 + 4, 4);
	put_header(prefix + 0x40, flags, aout_fields);
}

struct range {
	uint64_t lo, hi;
};

static void assert_disjoint(const struct range *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		assert_true(r[i].lo <= r[i].hi);
		for (unsigned j = 0; j < i; j++)
			assert_false(r[i].lo < r[j].hi && r[j].lo < r[i].hi);
	}
}

static bool in_low_area(uint64_t lo, uint64_t hi)
{
	return lo >= 0x1000 && hi <= 0x9f000 && lo <= hi;
}

/* Reads the memory map back entry by entry, stepping by size + 4 as a
 * kernel does (3.3), and checks it is exactly the PC layout. */
static void check_mmap(uint64_t info, uint64_t ram_size)
{
	static const struct { uint64_t base, len; uint32_t type; } want[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x400, 2 },
		{ 0xf0000, 0x10000, 2 },
		{ 0x100000, 0, 1 },            /* length: RAM above 1 MiB */
	};
	uint32_t len = rd32(info + 44), addr = rd32(info + 48);
	uint64_t p = addr;
	unsigned n = 0;

	assert_int_equal(len, 4 * 24);
	assert_true(in_low_area(addr, (uint64_t)addr + len));
	while (p < (uint64_t)addr + len) {
		assert_true(n < 4);
		assert_int_equal(rd32(p), 20);
		assert_int_equal(rd64(p + 4), want[n].base);
		assert_int_equal(rd64(p + 12), n == 3 ? ram_size - 0x100000 : want[n].len);
		assert_int_equal(rd32(p + 20), want[n].type);
		p += rd32(p) + 4;
		n++;
	}
	assert_int_equal(n, 4);
	assert_int_equal(p, (uint64_t)addr + len);
}

#define INFO_FLAGS ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9))

/* Every field of the info structure the loader does not provide is 0. */
static void check_unused_fields(uint64_t info)
{
	assert_int_equal(rd32(info + 12), 0);           /* boot_device */
	for (int o = 28; o < 44; o += 4)
		assert_int_equal(rd32(info + o), 0);    /* syms */
	for (int o = 52; o < 64; o += 4)
		assert_int_equal(rd32(info + o), 0);    /* drives, config_table */
	for (int o = 68; o < 116; o += 4)
		assert_int_equal(rd32(info + o), 0);    /* apm, vbe, framebuffer */
}

/* What the partition passes: Vatra's ACPI tables in the BIOS area. */
static const struct loader_range acpi_range = { 0xe0000, 0x100000, "the ACPI tables" };

static void expect_reject(const uint8_t *k, size_t len, const char *cmd,
			  const struct loader_module *m, unsigned n, const char *why)
{
	struct boot_state st;

	memset(&st, 0x77, sizeof(st));
	assert_int_equal(mb_load(&gi, k, len, cmd, m, n, &st), -EINVAL);
	assert_true(st.err[0] != '\0');
	assert_non_null(memchr(st.err, '\0', sizeof(st.err)));
	if (!strstr(st.err, why))
		fail_msg("error \"%s\" does not mention \"%s\"", st.err, why);
	assert_int_equal(st.rax, 0);                    /* no half-filled state */
	assert_int_equal(st.rip, 0);
	assert_true(ram_untouched());
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

/* ---- Multiboot: detection ---------------------------------------------- */

static void test_mb_detect(void **state)
{
	(void)state;
	memset(kbuf, 0, sizeof(kbuf));
	assert_false(mb_detect(kbuf, sizeof(kbuf)));
	put_header(0, 0, NULL);
	assert_true(mb_detect(kbuf, sizeof(kbuf)));
	assert_true(mb_detect(kbuf, 12));               /* just the header */
	assert_false(mb_detect(kbuf, 11));
	assert_false(mb_detect(NULL, 0));

	memset(kbuf, 0, sizeof(kbuf));
	put_header(8180, 3, NULL);                      /* last 4-aligned slot that fits */
	assert_true(mb_detect(kbuf, sizeof(kbuf)));
	memset(kbuf, 0, sizeof(kbuf));
	put_header(8184, 3, NULL);                      /* runs past 8192 */
	assert_false(mb_detect(kbuf, sizeof(kbuf)));
	memset(kbuf, 0, sizeof(kbuf));
	put_header(8192, 3, NULL);                      /* beyond the first 8 KiB */
	assert_false(mb_detect(kbuf, sizeof(kbuf)));
	memset(kbuf, 0, sizeof(kbuf));
	put_header(2, 3, NULL);                         /* not 4-aligned */
	assert_false(mb_detect(kbuf, sizeof(kbuf)));

	memset(kbuf, 0, sizeof(kbuf));
	put_header(0x100, 3, NULL);
	wr32(kbuf + 0x108, 0);                          /* bad checksum */
	assert_false(mb_detect(kbuf, sizeof(kbuf)));
	put_header(0x200, 3, NULL);                     /* a later good one still counts */
	assert_true(mb_detect(kbuf, sizeof(kbuf)));
}

/* ---- Multiboot: good kernels -------------------------------------------- */

static void test_mb_elf32(void **state)
{
	struct kdesc d = kd32();
	size_t len = build_elf(&d);
	struct boot_state st;
	const char *cmd = "kernel.elf console=ttyS0 debug";
	uint64_t info;
	uint32_t cl, nm;
	struct range r[6];

	(void)state;
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, cmd, NULL, 0, &st), 0);
	assert_int_equal(st.err[0], '\0');
	assert_int_equal(st.mode, BOOT_PROT32);
	assert_int_equal(st.rip, 0x100020);
	assert_int_equal(st.rax, 0x2BADB002);
	info = st.rbx;
	assert_true(in_low_area(info, info + 116));

	/* The kernel: text and data copied, bss zeroed, nothing past it. */
	assert_memory_equal(ram + 0x100000, kbuf + 0x1000, TEXT_SZ);
	assert_memory_equal(ram + 0x102000, kbuf + 0x1000 + TEXT_SZ, DATA_SZ);
	assert_true(all_zero(0x102000 + DATA_SZ, 0x2f00 - DATA_SZ));
	assert_int_equal(ram[0x104f00], FILL);
	assert_int_equal(ram[0xfffff], FILL);
	assert_int_equal(ram[0xfff], FILL);              /* nothing below 0x1000 */
	assert_int_equal(ram[0x9f000], FILL);            /* nothing at or above 0x9f000 */

	/* The info structure, field by field (3.3). */
	assert_int_equal(rd32(info + 0), INFO_FLAGS);
	assert_int_equal(rd32(info + 4), 639);           /* mem_lower: up to the EBDA */
	assert_int_equal(rd32(info + 8), (RAM_SIZE - 0x100000) / 1024);
	cl = rd32(info + 16);
	assert_string_equal((const char *)ram + cl, cmd);
	nm = rd32(info + 20);
	assert_int_equal(nm, 0);
	assert_true(in_low_area(rd32(info + 24), rd32(info + 24)));
	assert_string_equal((const char *)ram + rd32(info + 64), "Vatra");
	check_unused_fields(info);
	check_mmap(info, RAM_SIZE);

	r[0] = (struct range){ info, info + 116 };
	r[1] = (struct range){ rd32(info + 48), rd32(info + 48) + rd32(info + 44) };
	r[2] = (struct range){ cl, cl + strlen(cmd) + 1 };
	r[3] = (struct range){ rd32(info + 64), rd32(info + 64) + 6 };
	r[4] = (struct range){ 0x100000, 0x104f00 };
	r[5] = (struct range){ 0, 0x1000 };              /* real-mode IVT/BDA page */
	assert_disjoint(r, 6);
	for (int i = 0; i < 4; i++)
		assert_true(in_low_area(r[i].lo, r[i].hi));
}

/* A higher-half ELF64 kernel: segments land at p_paddr, the entry point is
 * translated to physical, and the vCPU still starts in 32-bit mode. */
static void test_mb_elf64(void **state)
{
	struct kdesc d = kd64();
	size_t len = build_elf(&d);
	struct boot_state st;

	(void)state;
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, "k64", NULL, 0, &st), 0);
	assert_int_equal(st.mode, BOOT_PROT32);
	assert_int_equal(st.rip, 0x200040);
	assert_int_equal(st.rax, 0x2BADB002);
	assert_memory_equal(ram + 0x200000, kbuf + 0x1000, TEXT_SZ);
	assert_memory_equal(ram + 0x203000, kbuf + 0x1000 + TEXT_SZ, DATA_SZ);
	assert_true(all_zero(0x203000 + DATA_SZ, 0x1000 - DATA_SZ));
	assert_int_equal(ram[0x204000], FILL);
	assert_int_equal(rd32(st.rbx), INFO_FLAGS);
	assert_string_equal((const char *)ram + rd32(st.rbx + 16), "k64");
	check_mmap(st.rbx, RAM_SIZE);
}

/* Modules: each page-aligned after the kernel and its bss, in order, with
 * contents, exclusive mod_end, strings and reserved = 0. */
static void test_mb_modules(void **state)
{
	struct kdesc d = kd32();
	size_t len = build_elf(&d);
	static uint8_t m0[5000], m2[4096];
	struct loader_module mods[4] = {
		{ m0, sizeof(m0), "/boot/initrd.img root=/dev/ram0" },
		{ NULL, 0, NULL },                       /* empty module, no string */
		{ m2, sizeof(m2), "fs.tar" },
		{ (const uint8_t *)"hello", 5, "" },
	};
	static const uint64_t want[4] = { 0x105000, 0x107000, 0x107000, 0x108000 };
	struct boot_state st;
	struct range r[4 + 2 * 4 + 2];
	unsigned nr = 0;
	uint64_t info, ma;

	(void)state;
	for (size_t i = 0; i < sizeof(m0); i++)
		m0[i] = (uint8_t)(i * 7);
	memset(m2, 0x5e, sizeof(m2));
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, "k", mods, 4, &st), 0);
	info = st.rbx;
	assert_int_equal(rd32(info) & (1u << 3), 1u << 3);
	assert_int_equal(rd32(info + 20), 4);
	ma = rd32(info + 24);
	assert_true(in_low_area(ma, ma + 4 * 16));

	for (unsigned i = 0; i < 4; i++) {
		uint64_t e = ma + 16 * i;
		uint32_t start = rd32(e), end = rd32(e + 4), s = rd32(e + 8);
		const char *args = mods[i].args ? mods[i].args : "";

		assert_int_equal(start, want[i]);
		assert_int_equal(start % 4096, 0);
		assert_true(start >= 0x104f00);          /* after the kernel's bss */
		assert_int_equal(end - start, mods[i].size);
		assert_int_equal(rd32(e + 12), 0);
		if (mods[i].size)
			assert_memory_equal(ram + start, mods[i].data, mods[i].size);
		assert_true(in_low_area(s, s + strlen(args) + 1));
		assert_string_equal((const char *)ram + s, args);
		r[nr++] = (struct range){ start, end };
		r[nr++] = (struct range){ s, s + strlen(args) + 1 };
	}
	assert_int_equal(ram[0x108005], FILL);           /* nothing after the last module */
	r[nr++] = (struct range){ 0x100000, 0x104f00 };  /* kernel */
	r[nr++] = (struct range){ info, info + 116 };
	r[nr++] = (struct range){ ma, ma + 4 * 16 };
	r[nr++] = (struct range){ rd32(info + 48), rd32(info + 48) + rd32(info + 44) };
	r[nr++] = (struct range){ rd32(info + 16), rd32(info + 16) + 2 };
	r[nr++] = (struct range){ rd32(info + 64), rd32(info + 64) + 6 };
	assert_disjoint(r, nr);
	check_mmap(info, RAM_SIZE);
}

/* A module may end exactly at the end of RAM, not one byte later. */
static void test_mb_module_fit(void **state)
{
	struct kdesc d = kd32();
	size_t len = build_elf(&d);
	uint64_t room = RAM_SIZE - 0x105000;
	uint8_t *big = malloc(room + 1);
	struct loader_module m = { big, room, "big" };
	struct boot_state st;

	(void)state;
	assert_non_null(big);
	memset(big, 0x3c, room + 1);
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, "", &m, 1, &st), 0);
	assert_int_equal(rd32(rd32(st.rbx + 24)), 0x105000);
	assert_int_equal(rd32(rd32(st.rbx + 24) + 4), RAM_SIZE);
	assert_int_equal(ram[RAM_SIZE - 1], 0x3c);

	m.size = room + 1;
	reset_ram(RAM_SIZE);
	expect_reject(kbuf, len, "", &m, 1, "modules do not fit");
	free(big);
}

/* The a.out kludge: load_addr's file offset comes from where the header
 * sits (3.1.3), only up to load_end_addr is loaded, bss is zeroed. */
static void test_mb_aout(void **state)
{
	size_t len = build_aout(0x200, 0);
	struct boot_state st;
	struct loader_module m = { (const uint8_t *)"mod", 3, "m" };

	(void)state;
	assert_true(mb_detect(kbuf, len));
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, "aout", &m, 1, &st), 0);
	assert_int_equal(st.mode, BOOT_PROT32);
	assert_int_equal(st.rip, 0x100100);
	assert_int_equal(st.rax, 0x2BADB002);
	assert_memory_equal(ram + 0x100000, kbuf + 0x200, AOUT_SZ);
	assert_int_equal(ram[0xfffff], FILL);            /* the junk prefix is not loaded */
	assert_true(all_zero(0x100000 + AOUT_SZ, 0x103000 - 0x100000 - AOUT_SZ)); /* not the tail */
	assert_int_equal(rd32(st.rbx), INFO_FLAGS);
	assert_int_equal(rd32(rd32(st.rbx + 24)), 0x103000);  /* module after bss_end_addr */
	check_mmap(st.rbx, RAM_SIZE);

	/* load_end_addr = 0: the rest of the file; bss_end_addr = 0: no bss. */
	len = build_aout(0, 0);
	aout_fields[2] = 0;
	aout_fields[3] = 0;
	redo_aout(0);
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, NULL, NULL, 0, &st), 0);
	assert_memory_equal(ram + 0x100000, kbuf, len);
	assert_int_equal(ram[0x100000 + len], FILL);
	assert_string_equal((const char *)ram + rd32(st.rbx + 16), "");  /* NULL cmdline */
	assert_int_equal(rd32(st.rbx) & (1u << 2), 1u << 2);
}

/* The a.out-kludge header is 32 bytes and must lie in the first 8192
 * (3.1.1): ending exactly at 8192 loads, 4 bytes later (the next aligned
 * slot) is cut off. The image must also be in the file: load_end_addr
 * may name the file's last byte, not one past it. */
static void test_mb_aout_boundaries(void **state)
{
	size_t len, prefix = 8160 - 0x40;
	struct boot_state st;

	(void)state;
	reset_ram(RAM_SIZE);
	len = build_aout(prefix, 0);
	assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
	assert_memory_equal(ram + 0x100000, kbuf + prefix, AOUT_SZ);
	reset_ram(RAM_SIZE);
	len = build_aout(prefix + 4, 0);
	expect_reject(kbuf, len, "", NULL, 0, "cut off");

	/* load_end_addr at the end of the file, then one byte past it. */
	len = build_aout(0, 0);
	aout_fields[2] = 0x100000 + (uint32_t)len;
	redo_aout(0);
	assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
	assert_memory_equal(ram + 0x100000, kbuf, len);
	reset_ram(RAM_SIZE);
	aout_fields[2] = 0x100000 + (uint32_t)len + 1;
	redo_aout(0);
	expect_reject(kbuf, len, "", NULL, 0, "load_end_addr lies past the end of the file");
}

/* With flag 16 an ELF file is placed by the address fields, not its
 * program headers (3.1.2). */
static void test_mb_aout_beats_elf(void **state)
{
	struct kdesc d = kd32();
	size_t len = build_elf(&d);
	/* The header is at file 0x1000: load the whole file from 0x300000. */
	uint32_t f[5] = { 0x301000, 0x300000, 0, 0x300000 + 0x2000, 0x301010 };
	struct boot_state st;

	(void)state;
	put_header(0x1000, 0x00010003, f);
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
	assert_int_equal(st.rip, 0x301010);
	assert_memory_equal(ram + 0x300000, kbuf, len);
	assert_int_equal(ram[0x100000], FILL);            /* the ELF placement was not used */
	assert_int_equal(ram[0x102000], FILL);
	assert_true(all_zero(0x300000 + len, 0x2000 - len));
}

/* Header flags (3.1.2): 0 and 1 always honoured, 2 accepted and ignored,
 * unknown optional bits ignored, unknown required bits refused. */
static void test_mb_flags(void **state)
{
	struct kdesc d = kd32();
	size_t len;
	struct boot_state st;
	static const uint32_t ok[] = { 0, 1, 2, 3, 4, 7, 1u << 20, 0xfffe0007 };
	static const uint32_t bad[] = { 1u << 3, 1u << 8, 1u << 15, 0xffff };

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		d.mbflags = ok[i] & ~(1u << 16);        /* keep this an ELF load */
		len = build_elf(&d);
		reset_ram(RAM_SIZE);
		assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
		/* No video info is passed even when asked for. */
		assert_int_equal(rd32(st.rbx), INFO_FLAGS);
		assert_int_equal(rd32(st.rbx + 88), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.mbflags = bad[i] | 3;
		len = build_elf(&d);
		reset_ram(RAM_SIZE);
		expect_reject(kbuf, len, "", NULL, 0, "unsupported feature");
	}
}

static void test_mb_cmdline(void **state)
{
	struct kdesc d = kd32();
	size_t len = build_elf(&d);
	static char cmd[4098];
	struct boot_state st;

	(void)state;
	memset(cmd, 'x', 4096);
	cmd[0] = 'k';
	cmd[4096] = '\0';
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, cmd, NULL, 0, &st), 0);
	assert_string_equal((const char *)ram + rd32(st.rbx + 16), cmd);
	cmd[4096] = 'y';
	cmd[4097] = '\0';
	reset_ram(RAM_SIZE);
	expect_reject(kbuf, len, cmd, NULL, 0, "command line");
}

/* mem_upper and the last map entry follow the RAM size; mem_upper stops
 * at 4 GiB, the map does not. The large case only claims 6 GiB: the loader
 * must write nothing but the low area, the kernel and modules, all within
 * the real 16 MiB (ASan would catch anything else). */
static void test_mb_ram_sizes(void **state)
{
	struct kdesc d = kd32();
	size_t len = build_elf(&d);
	struct boot_state st;

	(void)state;
	reset_ram(2ULL << 20);
	assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
	assert_int_equal(rd32(st.rbx + 8), 1024);
	check_mmap(st.rbx, 2ULL << 20);

	reset_ram(6ULL << 30);
	assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
	assert_int_equal(rd32(st.rbx + 8), ((4ULL << 30) - 0x100000) / 1024);
	check_mmap(st.rbx, 6ULL << 30);

	reset_ram(0xfffff);
	expect_reject(kbuf, len, "", NULL, 0, "smaller than 1 MiB");
}

/* ---- Multiboot: refusals ------------------------------------------------ */

/* A kernel may load below 1 MiB wherever RAM is (GRUB and QEMU load it
 * there): at 0x10000, the boot information stays at 0x1000; at 0x1000,
 * over where it would go, the information moves past the kernel; an
 * a.out-kludge kernel whose entry is not inside its image loads too.
 * Modules still go from 1 MiB. Nothing overlaps. */
static void test_mb_low_kernels(void **state)
{
	static const uint64_t at[] = { 0x10000, 0x1000, 0x0 };
	struct loader_module m = { (const uint8_t *)"module", 6, "m" };
	struct boot_state st;
	struct kdesc d;
	size_t len;

	(void)state;
	gi.reserved = &acpi_range;
	gi.nreserved = 1;
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		static const uint64_t want_info[] = { 0x1000, 0x2000, 0x1000 };
		uint64_t info, mods;

		d = kd32();
		d.text_vaddr = d.text_paddr = at[i];
		d.data_vaddr = d.data_paddr = at[i] + 0x2000;
		d.entry = at[i] + 0x20;
		len = build_elf(&d);
		reset_ram(RAM_SIZE);
		assert_int_equal(mb_load(&gi, kbuf, len, "low", &m, 1, &st), 0);
		assert_int_equal(st.rip, at[i] + 0x20);
		assert_memory_equal(ram + at[i], kbuf + 0x1000, TEXT_SZ);
		assert_memory_equal(ram + at[i] + 0x2000, kbuf + 0x1000 + TEXT_SZ, DATA_SZ);
		info = st.rbx;
		/* 0x1000 unless the text is there; then the page after it
		 * (the data starts a page later). */
		assert_int_equal(info, want_info[i]);
		check_mmap(info, RAM_SIZE);
		assert_string_equal((const char *)ram + rd32(info + 16), "low");
		mods = rd32(info + 24);
		assert_int_equal(rd32(mods), 0x100000);          /* module from 1 MiB */
		assert_memory_equal(ram + 0x100000, "module", 6);
		assert_true(ram_untouched_from(0xe0000, 0x100000));
	}
	len = build_aout(0x200, 0);                      /* a.out kludge at 0x20000 */
	for (int i = 0; i < 4; i++)
		aout_fields[i] -= 0xe0000;
	aout_fields[4] = 0x10;                           /* entry below the image */
	redo_aout(0x200);
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
	assert_int_equal(st.rip, 0x10);
	gi.reserved = NULL;
	gi.nreserved = 0;
}

static void test_mb_reject_header(void **state)
{
	struct kdesc d = kd32();
	size_t len;

	(void)state;
	reset_ram(RAM_SIZE);
	len = build_elf(&d);
	memset(kbuf + 0x1000, 0, 12);                    /* no header */
	expect_reject(kbuf, len, "", NULL, 0, "no Multiboot header");
	expect_reject(NULL, 0, "", NULL, 0, "no Multiboot header");

	len = build_elf(&d);
	wr32(kbuf + 0x1008, 0x12345678);                 /* bad checksum */
	expect_reject(kbuf, len, "", NULL, 0, "checksum");

	d.text_off = 0x2000;                             /* header beyond 8 KiB */
	len = build_elf(&d);
	expect_reject(kbuf, len, "", NULL, 0, "no Multiboot header");

	d.text_off = 0x1002;                             /* header not 4-aligned */
	len = build_elf(&d);
	expect_reject(kbuf, len, "", NULL, 0, "no Multiboot header");

	/* Flag 16 at 8176: magic, flags and checksum fit, the address
	 * fields would run past 8192. */
	len = build_aout(0, 0);
	memset(kbuf, 0, sizeof(kbuf));
	put_header(8176, 0x00010003, aout_fields);
	expect_reject(kbuf, 0x3000, "", NULL, 0, "cut off");
	/* The same header at the very end of a short file. */
	memset(kbuf, 0, sizeof(kbuf));
	put_header(0x100, 0x00010003, aout_fields);
	expect_reject(kbuf, 0x100 + 20, "", NULL, 0, "cut off");
}

static void test_mb_reject_elf(void **state)
{
	struct kdesc d;
	size_t len;

	(void)state;
	reset_ram(RAM_SIZE);

	d = kd32();                                      /* text over Vatra's ACPI tables */
	d.text_vaddr = d.text_paddr = 0xff000;
	d.entry = 0xff020;
	len = build_elf(&d);
	gi.reserved = &acpi_range;
	gi.nreserved = 1;
	expect_reject(kbuf, len, "", NULL, 0,
		      "kernel segment [0xff000, 0xff100) overlaps the ACPI tables [0xe0000, 0x100000)");
	d.text_vaddr = d.text_paddr = 0xd0000;           /* bss up to the tables: loads */
	d.entry = 0xd0020;
	d.data_vaddr = d.data_paddr = 0xdf000;
	d.data_memsz = 0x1000;
	len = build_elf(&d);
	{
		struct boot_state st;

		assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
		reset_ram(RAM_SIZE);
	}
	ph32(1)->memsz = 0x1001;                         /* one byte into them: refused */
	expect_reject(kbuf, len, "", NULL, 0, "[0xdf000, 0xe0001) overlaps the ACPI tables");
	gi.reserved = NULL;
	gi.nreserved = 0;

	d = kd32();                                      /* bss runs past the end of RAM */
	d.data_vaddr = d.data_paddr = RAM_SIZE - 0x1000;
	len = build_elf(&d);
	ph32(1)->memsz = 0x1001;
	expect_reject(kbuf, len, "", NULL, 0, "end of guest RAM");
	ph32(1)->memsz = 0x1000;                         /* exactly to the end is fine */
	{
		struct boot_state st;

		assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, &st), 0);
		assert_true(all_zero(RAM_SIZE - 0x1000 + DATA_SZ, 0x1000 - DATA_SZ));
		reset_ram(RAM_SIZE);
	}

	d = kd64();                                      /* segment wholly beyond RAM */
	len = build_elf(&d);
	ph64(1)->paddr = 0x40000000;
	expect_reject(kbuf, len, "", NULL, 0, "end of guest RAM");

	/* Past 4 GiB, with RAM claimed large enough: the 32-bit limit. */
	d = kd64();
	d.data_paddr = 0xfffff000;
	d.data_memsz = 0x2000;
	len = build_elf(&d);
	reset_ram(8ULL << 30);
	expect_reject(kbuf, len, "", NULL, 0, "4 GiB");
	d = kd64();                                      /* entry in a segment above 4 GiB */
	d.text_paddr = 0x100000000ULL;
	len = build_elf(&d);
	expect_reject(kbuf, len, "", NULL, 0, "4 GiB");
	reset_ram(RAM_SIZE);

	d = kd32();                                      /* overlapping segments */
	d.data_paddr = 0x100080;
	len = build_elf(&d);
	expect_reject(kbuf, len, "", NULL, 0, "overlap");

	d = kd32();                                      /* malformed ELF */
	len = build_elf(&d);
	ph32(1)->filesz = 0x10000;
	expect_reject(kbuf, len, "", NULL, 0, "malformed");
	len = build_elf(&d);
	kbuf[18] = 40;                                   /* e_machine: ARM */
	expect_reject(kbuf, len, "", NULL, 0, "malformed");

	d = kd32();                                      /* neither ELF nor flag 16 */
	len = build_elf(&d);
	kbuf[0] = 0;
	expect_reject(kbuf, len, "", NULL, 0, "not ELF");
}

static void test_mb_reject_aout(void **state)
{
	size_t len;

	(void)state;
	reset_ram(RAM_SIZE);

	len = build_aout(0x200, 0);                      /* load_addr above header_addr */
	aout_fields[1] = 0x100044;
	redo_aout(0x200);
	expect_reject(kbuf, len, "", NULL, 0, "above header_addr");

	len = build_aout(0x200, 0);                      /* load_addr before the file start */
	aout_fields[1] = 0x100040 - 0x300;
	redo_aout(0x200);
	expect_reject(kbuf, len, "", NULL, 0, "before the start of the file");

	len = build_aout(0x200, 0);                      /* load_end past the end of the file */
	aout_fields[2] = 0x100000 + AOUT_SZ + AOUT_TAIL + 1;
	redo_aout(0x200);
	expect_reject(kbuf, len, "", NULL, 0, "past the end of the file");

	len = build_aout(0x200, 0);                      /* load_end not above load_addr */
	aout_fields[2] = 0x100000;
	redo_aout(0x200);
	expect_reject(kbuf, len, "", NULL, 0, "load_end_addr");

	len = build_aout(0x200, 0);                      /* bss below the data end */
	aout_fields[3] = 0x100000 + AOUT_SZ - 1;
	redo_aout(0x200);
	expect_reject(kbuf, len, "", NULL, 0, "bss_end_addr");

	len = build_aout(0x200, 0);                      /* loads over the ACPI tables */
	for (int i = 0; i < 5; i++)
		aout_fields[i] -= 0x1000;
	redo_aout(0x200);
	gi.reserved = &acpi_range;
	gi.nreserved = 1;
	expect_reject(kbuf, len, "", NULL, 0, "overlaps the ACPI tables [0xe0000, 0x100000)");
	gi.reserved = NULL;
	gi.nreserved = 0;

	len = build_aout(0x200, 0);                      /* bss beyond RAM */
	aout_fields[3] = RAM_SIZE + 1;
	redo_aout(0x200);
	expect_reject(kbuf, len, "", NULL, 0, "end of guest RAM");

	len = build_aout(0x200, 1u << 4);                /* unknown required bit */
	expect_reject(kbuf, len, "", NULL, 0, "unsupported feature");
}

static void test_mb_reject_modules(void **state)
{
	struct kdesc d = kd32();
	size_t len = build_elf(&d);
	struct loader_module m[2] = { { (const uint8_t *)"a", 1, "a" }, { NULL, 1, "b" } };
	struct loader_module *many;
	char *huge;
	unsigned nmany = 0x9e000 / 16;

	(void)state;
	reset_ram(RAM_SIZE);
	expect_reject(kbuf, len, "", m, 2, "no data");   /* size 1, no data */
	expect_reject(kbuf, len, "", NULL, 1, "module list");

	/* Strings that cannot fit below 0x9f000. */
	huge = malloc(0xa0000);
	assert_non_null(huge);
	memset(huge, 's', 0xa0000 - 1);
	huge[0xa0000 - 1] = '\0';
	m[1] = (struct loader_module){ (const uint8_t *)"b", 1, huge };
	expect_reject(kbuf, len, "", m, 2, "module strings");
	huge[0x9d000] = '\0';                            /* ~628 KiB: fits */
	{
		struct boot_state st;

		assert_int_equal(mb_load(&gi, kbuf, len, "", m, 2, &st), 0);
		assert_string_equal((const char *)ram + rd32(rd32(st.rbx + 24) + 16 + 8), huge);
		reset_ram(RAM_SIZE);
	}
	free(huge);

	/* More modules than the list can hold below 0x9f000. */
	many = calloc(nmany, sizeof(*many));
	assert_non_null(many);
	expect_reject(kbuf, len, "", many, nmany, "too many modules");
	free(many);

	/* A module that does not fit in a smaller RAM. */
	reset_ram(0x108000);
	m[1] = (struct loader_module){ (const uint8_t *)"0123456789", 0x2001, "b" };
	m[0].size = 0x1000;
	m[0].data = kbuf;
	expect_reject(kbuf, len, "", m, 2, "modules do not fit");
}

static void test_mb_no_state(void **state)
{
	struct kdesc d = kd32();
	size_t len = build_elf(&d);
	struct guest_image none = { NULL, RAM_SIZE, NULL, 0 };
	struct boot_state st;

	(void)state;
	reset_ram(RAM_SIZE);
	assert_int_equal(mb_load(&gi, kbuf, len, "", NULL, 0, NULL), -EINVAL);
	assert_int_equal(mb_load(&none, kbuf, len, "", NULL, 0, &st), -EINVAL);
	assert_true(st.err[0] != '\0');
	assert_true(ram_untouched());
}

/* ---- flat binaries -------------------------------------------------------- */

static void test_flat_load(void **state)
{
	static uint8_t bin[512];
	struct boot_state st;

	(void)state;
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i ^ 0x5a);
	bin[510] = 0x55;
	bin[511] = 0xaa;

	reset_ram(RAM_SIZE);
	memset(&st, 0x77, sizeof(st));
	assert_int_equal(flat_load(&gi, bin, sizeof(bin), 0x7c00, &st), 0);
	assert_int_equal(st.err[0], '\0');
	assert_int_equal(st.mode, BOOT_REAL16);
	assert_int_equal(st.cs_sel, 0x7c0);
	assert_int_equal(st.rip, 0);
	assert_int_equal(st.rsp, 0x7c00);                /* stack just below the image */
	assert_int_equal(st.rax, 0);
	assert_int_equal(st.rbx, 0);
	assert_int_equal(st.rsi, 0);
	assert_memory_equal(ram + 0x7c00, bin, sizeof(bin));
	assert_int_equal(ram[0x7bff], FILL);
	assert_int_equal(ram[0x7e00], FILL);

	reset_ram(RAM_SIZE);
	assert_int_equal(flat_load(&gi, bin, sizeof(bin), 0x10000, &st), 0);
	assert_int_equal(st.cs_sel, 0x1000);
	assert_int_equal(st.rip, 0);
	assert_int_equal(st.rsp, 0);                     /* SS:SP = 0:0, stack below 64 KiB */
	assert_memory_equal(ram + 0x10000, bin, sizeof(bin));

	reset_ram(RAM_SIZE);                             /* lowest address */
	assert_int_equal(flat_load(&gi, bin, sizeof(bin), 0x1000, &st), 0);
	assert_int_equal(st.cs_sel, 0x100);
	assert_int_equal(st.rsp, 0x1000);

	reset_ram(RAM_SIZE);                             /* ends exactly at 0x9f000 */
	assert_int_equal(flat_load(&gi, bin, sizeof(bin), 0x9f000 - 512, &st), 0);
	assert_int_equal(st.cs_sel, (0x9f000 - 512) >> 4);
	assert_memory_equal(ram + 0x9f000 - 512, bin, sizeof(bin));
	assert_int_equal(ram[0x9f000], FILL);
}

static void flat_reject(const uint8_t *bin, size_t len, uint64_t at, const char *why)
{
	struct boot_state st;

	memset(&st, 0x77, sizeof(st));
	assert_int_equal(flat_load(&gi, bin, len, at, &st), -EINVAL);
	assert_true(st.err[0] != '\0');
	if (!strstr(st.err, why))
		fail_msg("error \"%s\" does not mention \"%s\"", st.err, why);
	assert_true(ram_untouched());
}

static void test_flat_reject(void **state)
{
	static uint8_t bin[0x1000];
	struct boot_state st;

	(void)state;
	memset(bin, 0x90, sizeof(bin));
	reset_ram(RAM_SIZE);
	flat_reject(bin, 512, 0x7c01, "16-byte aligned");
	flat_reject(bin, 512, 0x7c08, "16-byte aligned");
	flat_reject(bin, 512, 0, "below 0x1000");
	flat_reject(bin, 512, 0xff0, "below 0x1000");
	flat_reject(bin, 1, 0x9f000, "0x9f000");          /* starts at the limit */
	flat_reject(bin, 512, 0x9f000 - 512 + 16, "0x9f000"); /* ends 16 bytes too high */
	flat_reject(bin, 0x1000, 0x9e010, "0x9f000");     /* too large for where it is */
	flat_reject(bin, 512, 0x100000, "0x9f000");
	flat_reject(bin, 512, UINT64_MAX & ~15ULL, "0x9f000");
	flat_reject(bin, 0, 0x7c00, "empty");
	flat_reject(NULL, 512, 0x7c00, "empty");
	reset_ram(0x8000);                                /* RAM smaller than the image's end */
	flat_reject(bin, 0x800, 0x7c00, "guest RAM");
	assert_int_equal(flat_load(&gi, bin, 0x400, 0x7c00, &st), 0); /* ends at 0x8000: fits */
	assert_int_equal(flat_load(&gi, bin, 1, 0x7c00, NULL), -EINVAL);
}

/* Every loader starts the same way (loader_begin): st cleared, no RAM
 * refused with the reason, a NULL st refused outright. */
static void test_loader_preamble(void **state)
{
	static uint8_t bin[16] = { 0xf4 };
	struct guest_image none = { NULL, 1 << 20, NULL, 0 };
	struct boot_state st;

	(void)state;
	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(flat_load(NULL, bin, sizeof(bin), 0x8000, &st), -EINVAL);
	assert_string_equal(st.err, "no guest RAM");
	assert_int_equal(st.rip, 0);
	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(flat_load(&none, bin, sizeof(bin), 0x8000, &st), -EINVAL);
	assert_string_equal(st.err, "no guest RAM");
	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(mb_load(&none, bin, sizeof(bin), "", NULL, 0, &st), -EINVAL);
	assert_string_equal(st.err, "no guest RAM");
	assert_int_equal(st.mode, 0);
	assert_int_equal(flat_load(&none, bin, sizeof(bin), 0x8000, NULL), -EINVAL);
	assert_int_equal(mb_load(&none, bin, sizeof(bin), "", NULL, 0, NULL), -EINVAL);
	assert_int_equal(loader_fail(&st, "why"), -EINVAL);
	assert_string_equal(st.err, "why");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loader_preamble),
		cmocka_unit_test(test_mb_detect),
		cmocka_unit_test(test_mb_elf32),
		cmocka_unit_test(test_mb_elf64),
		cmocka_unit_test(test_mb_modules),
		cmocka_unit_test(test_mb_module_fit),
		cmocka_unit_test(test_mb_aout),
		cmocka_unit_test(test_mb_aout_boundaries),
		cmocka_unit_test(test_mb_aout_beats_elf),
		cmocka_unit_test(test_mb_flags),
		cmocka_unit_test(test_mb_cmdline),
		cmocka_unit_test(test_mb_ram_sizes),
		cmocka_unit_test(test_mb_low_kernels),
		cmocka_unit_test(test_mb_reject_header),
		cmocka_unit_test(test_mb_reject_elf),
		cmocka_unit_test(test_mb_reject_aout),
		cmocka_unit_test(test_mb_reject_modules),
		cmocka_unit_test(test_mb_no_state),
		cmocka_unit_test(test_flat_load),
		cmocka_unit_test(test_flat_reject),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
