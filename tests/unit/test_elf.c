/* ELF64 inspection: valid images, and malformed ones rejected. */
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
	assert_int_equal(img.nseg, 2);
	assert_int_equal(img.entry, 0x400004);
	assert_int_equal(img.lo, 0x400000);
	assert_int_equal(img.hi, 0x403000);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_bad_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
