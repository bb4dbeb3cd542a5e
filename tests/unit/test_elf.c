/* ELF inspection, ELF64 x86-64 and ELF32 i386: valid images, and
 * malformed ones rejected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "lib/elf.h"
#include "lib/errno.h"

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
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

static uint8_t file[8192];

/* Two segments: text (RX) at 0x400000 with 16 bytes, data (RW) at
 * 0x402000 with 8 bytes of file and 0x1000 of memory. */
static size_t build(void)
{
	struct ehdr *e = (struct ehdr *)file;
	struct phdr *p = (struct phdr *)(file + sizeof(*e));

	memset(file, 0, sizeof(file));
	memcpy(e->ident, "\x7f" "ELF\x02\x01\x01", 7);
	e->type = 2;
	e->machine = 62;
	e->version = 1;
	e->entry = 0x400004;
	e->phoff = sizeof(*e);
	e->ehsize = sizeof(*e);
	e->phentsize = sizeof(*p);
	e->phnum = 3;
	p[0] = (struct phdr){ 1, 5, 0x1000, 0x400000, 0x400000, 16, 16, 0x1000 };
	p[1] = (struct phdr){ 1, 6, 0x1010, 0x402000, 0x402000, 8, 0x1000, 0x1000 };
	p[2] = (struct phdr){ 4 /* PT_NOTE */, 4, 0, 0, 0, 0, 0, 0 };
	memset(file + 0x1000, 0xc3, 16);
	memset(file + 0x1010, 0xaa, 8);
	return 0x1018;
}

static void test_valid(void **state)
{
	struct elf_image img;
	size_t len = build();
	static uint8_t dst[0x3000];

	(void)state;
	assert_int_equal(elf_parse(&img, file, len), 0);
	assert_int_equal(img.elf_class, 64);
	assert_int_equal(img.nseg, 2);
	assert_int_equal(img.entry, 0x400004);
	assert_int_equal(img.lo, 0x400000);
	assert_int_equal(img.hi, 0x403000);
	assert_int_equal(img.seg[1].paddr, 0x402000);
	assert_int_equal(img.seg[1].offset, 0x1010);
	assert_int_equal(img.seg[1].flags, 6);
	memset(dst, 0x55, sizeof(dst));
	elf_copy(&img, file, dst);
	assert_int_equal(dst[0], 0xc3);
	assert_int_equal(dst[16], 0);          /* gap zeroed */
	assert_int_equal(dst[0x2000], 0xaa);
	assert_int_equal(dst[0x2008], 0);      /* bss zeroed */
	assert_int_equal(dst[0x2fff], 0);
}

static void test_bad_header(void **state)
{
	struct elf_image img;
	size_t len = build();
	struct ehdr *e = (struct ehdr *)file;

	(void)state;
	assert_int_equal(elf_parse(&img, file, 10), -EINVAL);
	e->ident[4] = 1;                       /* 32-bit */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build();
	e->machine = 3;                        /* i386 */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build();
	e->phoff = len - 8;                    /* program headers past the end */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build();
	e->entry = 0x402000;                   /* entry in a non-executable segment */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build();
	assert_int_equal(elf_parse(&img, file, 60), -EINVAL); /* ELF32-sized, not ELF64 */
}

/* ELF32 i386, linked in the higher half: text (RX) at 0xc0100000 with 16
 * bytes, data (RW) at 0xc0102000 with 8 bytes of file and 0x1000 of
 * memory; both with p_paddr 3 GiB lower. */
static size_t build32(void)
{
	struct ehdr32 *e = (struct ehdr32 *)file;
	struct phdr32 *p = (struct phdr32 *)(file + sizeof(*e));

	memset(file, 0, sizeof(file));
	memcpy(e->ident, "\x7f" "ELF\x01\x01\x01", 7);
	e->type = 2;
	e->machine = 3;
	e->version = 1;
	e->entry = 0xc0100004;
	e->phoff = sizeof(*e);
	e->ehsize = sizeof(*e);
	e->phentsize = sizeof(*p);
	e->phnum = 3;
	/*                       type off     vaddr       paddr     filesz memsz  flags align */
	p[0] = (struct phdr32){ 1, 0x1000, 0xc0100000, 0x100000, 16, 16, 5, 0x1000 };
	p[1] = (struct phdr32){ 4 /* PT_NOTE */, 0, 0, 0, 0, 0, 4, 0 };
	p[2] = (struct phdr32){ 1, 0x1010, 0xc0102000, 0x102000, 8, 0x1000, 6, 0x1000 };
	memset(file + 0x1000, 0x90, 16);
	memset(file + 0x1010, 0xbb, 8);
	return 0x1018;
}

static void test_valid32(void **state)
{
	struct elf_image img;
	size_t len = build32();
	static uint8_t dst[0x3000];

	(void)state;
	assert_int_equal(elf_parse(&img, file, len), 0);
	assert_int_equal(img.elf_class, 32);
	assert_int_equal(img.nseg, 2);
	assert_int_equal(img.entry, 0xc0100004);
	assert_int_equal(img.lo, 0xc0100000);
	assert_int_equal(img.hi, 0xc0103000);
	assert_int_equal(img.seg[0].vaddr, 0xc0100000);
	assert_int_equal(img.seg[0].paddr, 0x100000);
	assert_int_equal(img.seg[0].offset, 0x1000);
	assert_int_equal(img.seg[0].filesz, 16);
	assert_int_equal(img.seg[0].memsz, 16);
	assert_int_equal(img.seg[0].flags, 5);
	assert_int_equal(img.seg[1].vaddr, 0xc0102000);
	assert_int_equal(img.seg[1].paddr, 0x102000);
	assert_int_equal(img.seg[1].filesz, 8);
	assert_int_equal(img.seg[1].memsz, 0x1000);
	assert_int_equal(img.seg[1].flags, 6);
	memset(dst, 0x55, sizeof(dst));
	elf_copy(&img, file, dst);
	assert_int_equal(dst[0], 0x90);
	assert_int_equal(dst[15], 0x90);
	assert_int_equal(dst[16], 0);          /* gap zeroed */
	assert_int_equal(dst[0x2000], 0xbb);
	assert_int_equal(dst[0x2007], 0xbb);
	assert_int_equal(dst[0x2008], 0);      /* bss zeroed */
	assert_int_equal(dst[0x2fff], 0);
}

/* A segment may end exactly at 4 GiB, the top of the ELF32 space. */
static void test_top32(void **state)
{
	struct elf_image img;
	size_t len = build32();
	struct ehdr32 *e = (struct ehdr32 *)file;
	struct phdr32 *p = (struct phdr32 *)(file + sizeof(*e));

	(void)state;
	p[0].vaddr = 0xfffff000;
	p[0].memsz = 0x1000;
	e->entry = 0xfffffff0;
	assert_int_equal(elf_parse(&img, file, len), 0);
	assert_int_equal(img.hi, 0x100000000ULL);
	assert_int_equal(img.entry, 0xfffffff0);
}

static void test_bad_header32(void **state)
{
	struct elf_image img;
	size_t len = build32();
	struct ehdr32 *e = (struct ehdr32 *)file;
	struct phdr32 *p = (struct phdr32 *)(file + sizeof(*e));

	(void)state;
	assert_int_equal(elf_parse(&img, file, 51), -EINVAL);   /* shorter than the header */
	e->machine = 62;                       /* x86-64 machine in a 32-bit file */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	e->ident[4] = 3;                       /* no such class */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	e->ident[5] = 2;                       /* big endian */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	e->type = 3;                           /* ET_DYN */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	e->phentsize = 56;                     /* ELF64 program header size */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	e->phoff = len - 40;                   /* program headers past the end */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	e->entry = 0xc0102000;                 /* entry in a non-executable segment */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	e->entry = 0xc0100010;                 /* just past the text segment */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	p[0].type = 4;                         /* no PT_LOAD left with the entry */
	p[2].type = 4;
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	assert_int_equal(elf_parse(&img, file, len), 0); /* the builder itself is fine */
}

static void test_bad_segments32(void **state)
{
	struct elf_image img;
	size_t len = build32();
	struct phdr32 *p = (struct phdr32 *)(file + sizeof(struct ehdr32));

	(void)state;
	p[2].filesz = 0x2000;                  /* filesz > memsz */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	p[2].offset = len;                     /* data past the end of the file */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	p[2].offset = len - 4;                 /* data runs past the end of the file */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build32();
	p[2].vaddr = 0xfffff000;               /* runs past 4 GiB: wraps in ELF32 */
	p[2].memsz = 0x2000;
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
}

/* ELF_MAX_SEGMENTS loadable segments fit; one more is -E2BIG. */
static void test_many32(void **state)
{
	struct elf_image img;
	struct ehdr32 *e = (struct ehdr32 *)file;
	struct phdr32 *p = (struct phdr32 *)(file + sizeof(*e));

	(void)state;
	build32();
	for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++)
		p[i] = (struct phdr32){ 1, 0x1000, 0x100000 + i * 0x1000, 0x100000 + i * 0x1000,
					16, 16, 5, 0x1000 };
	e->entry = 0x100000;
	e->phnum = ELF_MAX_SEGMENTS;
	assert_int_equal(elf_parse(&img, file, 0x1010), 0);
	assert_int_equal(img.nseg, ELF_MAX_SEGMENTS);
	assert_int_equal(img.hi, 0x100000 + ELF_MAX_SEGMENTS * 0x1000);
	e->phnum = ELF_MAX_SEGMENTS + 1;
	assert_int_equal(elf_parse(&img, file, 0x1010), -E2BIG);
}

static void test_bad_segments(void **state)
{
	struct elf_image img;
	size_t len = build();
	struct phdr *p = (struct phdr *)(file + sizeof(struct ehdr));

	(void)state;
	p[1].filesz = 0x2000;                  /* filesz > memsz */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build();
	p[1].offset = len;                     /* data past the end of the file */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	len = build();
	p[1].vaddr = 0xfffffffffffff000ULL;    /* wraps */
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
}

/* Exact boundaries, by result: the last segment's bytes and the program
 * header table each ending exactly at the file's length are accepted,
 * one byte short is refused; the entry point may be the last byte of its
 * segment but not the byte after; a 64-bit segment may end at the top of
 * the address space the parser allows, not one page later. */
static void test_exact_boundaries(void **state)
{
	struct elf_image img;
	size_t len = build();
	struct ehdr *e = (struct ehdr *)file;
	struct phdr *p = (struct phdr *)(file + sizeof(*e));

	(void)state;
	/* Data of the last segment ends at 0x1018 = len. */
	assert_int_equal(elf_parse(&img, file, len), 0);
	assert_int_equal(img.seg[1].filesz, 8);
	assert_int_equal(elf_parse(&img, file, len - 1), -EINVAL);
	assert_int_equal(elf_parse(&img, file, len + 1), 0);
	/* A segment with no file bytes may start exactly at len, not past. */
	p[1].filesz = 0;
	p[1].offset = len;
	assert_int_equal(elf_parse(&img, file, len), 0);
	p[1].offset = len + 1;
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);

	/* The program header table as the last thing in the file. */
	len = build();
	size_t pht = e->phnum * sizeof(*p);
	memmove(file + len, p, pht);
	memset(p, 0, pht);
	e->phoff = len;
	assert_int_equal(elf_parse(&img, file, len + pht), 0);
	assert_int_equal(img.nseg, 2);
	assert_int_equal(elf_parse(&img, file, len + pht - 1), -EINVAL);

	/* The entry: first and last byte of the executable segment. */
	len = build();
	e->entry = 0x400000;
	assert_int_equal(elf_parse(&img, file, len), 0);
	e->entry = 0x400000 + 15;
	assert_int_equal(elf_parse(&img, file, len), 0);
	e->entry = 0x400000 + 16;
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
	e->entry = 0x400000 - 1;
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);

	/* The ELF64 header is 64 bytes: 63 is not a header. */
	len = build();
	assert_int_equal(elf_parse(&img, file, 63), -EINVAL);

	/* Highest 64-bit placement: ending at 2^64 - 4096 is the limit. */
	len = build();
	p[1].vaddr = 0xffffffffffffe000ULL;
	p[1].memsz = 0x1000;
	assert_int_equal(elf_parse(&img, file, len), 0);
	assert_int_equal(img.hi, 0xfffffffffffff000ULL);
	p[1].memsz = 0x1001;
	assert_int_equal(elf_parse(&img, file, len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_bad_segments),
		cmocka_unit_test(test_exact_boundaries),
		cmocka_unit_test(test_valid32),
		cmocka_unit_test(test_top32),
		cmocka_unit_test(test_bad_header32),
		cmocka_unit_test(test_bad_segments32),
		cmocka_unit_test(test_many32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
