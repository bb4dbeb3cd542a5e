/* ELF64 parsing (System V ABI, x86-64 supplement), bounds-checked. */
#include <stdbool.h>
#include "lib/elf.h"
#include "lib/string.h"
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

#define PT_LOAD 1
#define PF_X 1

int elf_parse(struct elf_image *img, const void *data, size_t len)
{
	const uint8_t *p = data;
	struct ehdr eh;
	bool entry_ok = false;

	memset(img, 0, sizeof(*img));
	if (len < sizeof(eh))
		return -EINVAL;
	memcpy(&eh, p, sizeof(eh));
	if (memcmp(eh.ident, "\x7f" "ELF", 4) || eh.ident[4] != 2 /* 64-bit */ ||
	    eh.ident[5] != 1 /* little endian */ || eh.machine != 62 /* x86-64 */ ||
	    eh.type != 2 /* ET_EXEC */ || eh.phentsize != sizeof(struct phdr))
		return -EINVAL;
	if (eh.phoff > len || (uint64_t)eh.phnum * sizeof(struct phdr) > len - eh.phoff)
		return -EINVAL;

	img->lo = UINT64_MAX;
	for (unsigned i = 0; i < eh.phnum; i++) {
		struct phdr ph;
		struct elf_segment *s;

		memcpy(&ph, p + eh.phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (img->nseg == ELF_MAX_SEGMENTS)
			return -E2BIG;
		if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset ||
		    ph.vaddr + ph.memsz < ph.vaddr || ph.vaddr + ph.memsz > UINT64_MAX - 4095)
			return -EINVAL;
		s = &img->seg[img->nseg++];
		s->vaddr = ph.vaddr;
		s->offset = ph.offset;
		s->filesz = ph.filesz;
		s->memsz = ph.memsz;
		s->flags = ph.flags;
		if (ph.vaddr < img->lo)
			img->lo = ph.vaddr;
		if (ph.vaddr + ph.memsz > img->hi)
			img->hi = ph.vaddr + ph.memsz;
		if ((ph.flags & PF_X) && eh.entry >= ph.vaddr && eh.entry < ph.vaddr + ph.memsz)
			entry_ok = true;
	}
	if (!img->nseg || !entry_ok)
		return -EINVAL;
	img->lo &= ~4095ULL;
	img->hi = (img->hi + 4095) & ~4095ULL;
	img->entry = eh.entry;
	return 0;
}

void elf_copy(const struct elf_image *img, const void *data, void *dst)
{
	uint8_t *d = dst;

	memset(d, 0, img->hi - img->lo);
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];
		memcpy(d + (s->vaddr - img->lo), (const uint8_t *)data + s->offset, s->filesz);
	}
}
