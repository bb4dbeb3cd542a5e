/* ELF executable inspection: validates the header and program headers
 * of an in-memory image and reports its loadable span. Pure code; used by
 * the loader to place the core and by the guest loaders (Multiboot
 * kernels may be ELF32 i386 or ELF64 x86-64). */
#ifndef VATRA_LIB_ELF_H
#define VATRA_LIB_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t vaddr;
	uint64_t paddr;      /* p_paddr: where a loader without paging puts it */
	uint64_t offset;     /* in the file */
	uint64_t filesz;
	uint64_t memsz;
	uint32_t flags;      /* PF_X 1, PF_W 2, PF_R 4 */
};

struct elf_image {
	uint8_t elf_class;   /* 32 (ELFCLASS32, i386) or 64 (ELFCLASS64, x86-64) */
	uint64_t entry;
	uint64_t lo, hi;     /* loadable span [lo, hi) of vaddr, page-rounded */
	unsigned nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/* Parses an x86-64 ELF64 or i386 ELF32 little-endian executable (ET_EXEC)
 * of len bytes. Every PT_LOAD must lie inside the file, have
 * filesz <= memsz, not wrap the class's address space (2^32 for ELF32),
 * and the entry point must fall in an executable segment. Callers that
 * accept only one class check img->elf_class. 0, or -EINVAL / -E2BIG. */
int elf_parse(struct elf_image *img, const void *data, size_t len);

/* Copies the segments into dst, which stands for [img->lo, img->hi), and
 * zeroes the rest (bss and gaps). */
void elf_copy(const struct elf_image *img, const void *data, void *dst);

#endif
