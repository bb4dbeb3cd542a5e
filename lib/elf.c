/* ELF parsing (System V ABI generic ELF, with the i386 and x86-64
 * supplements), bounds-checked. Both classes are read into one neutral
 * form so the validation rules are written once. */
#include <stdbool.h>
#include "lib/elf.h"
#include "lib/string.h"
#include "lib/errno.h"

/* File layouts (gABI, "ELF Header" and "Program Header"). */
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

/* Note the different field order from phdr64: p_flags moved after p_memsz
 * in ELF64 to keep the 64-bit fields aligned. */
struct phdr32 {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

_Static_assert(sizeof(struct ehdr64) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct phdr64) == 56, "ELF64 program header is 56 bytes");
_Static_assert(sizeof(struct ehdr32) == 52, "ELF32 header is 52 bytes");
_Static_assert(sizeof(struct phdr32) == 32, "ELF32 program header is 32 bytes");

#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PF_X 1

/* The fields of either header class that the checks need. */
struct ehdr_any {
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

static int elf_read_ehdr(struct ehdr_any *eh, const uint8_t *p, size_t len, uint8_t *cls)
{
	if (len < 16 || memcmp(p, "\x7f" "ELF", 4) || p[5] != ELFDATA2LSB)
		return -EINVAL;
	if (p[4] == ELFCLASS64) {
		struct ehdr64 e;

		if (len < sizeof(e))
			return -EINVAL;
		memcpy(&e, p, sizeof(e));
		*eh = (struct ehdr_any){ e.type, e.machine, e.phentsize, e.phnum, e.entry, e.phoff };
		*cls = 64;
		return e.machine == EM_X86_64 && e.phentsize == sizeof(struct phdr64) ? 0 : -EINVAL;
	}
	if (p[4] == ELFCLASS32) {
		struct ehdr32 e;

		if (len < sizeof(e))
			return -EINVAL;
		memcpy(&e, p, sizeof(e));
		*eh = (struct ehdr_any){ e.type, e.machine, e.phentsize, e.phnum, e.entry, e.phoff };
		*cls = 32;
		return e.machine == EM_386 && e.phentsize == sizeof(struct phdr32) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* Reads program header i into the 64-bit form; bounds were checked. */
static void elf_read_phdr(struct phdr64 *ph, const uint8_t *p, uint8_t cls)
{
	if (cls == 64) {
		memcpy(ph, p, sizeof(*ph));
	} else {
		struct phdr32 h;

		memcpy(&h, p, sizeof(h));
		*ph = (struct phdr64){ .type = h.type, .flags = h.flags, .offset = h.offset,
				       .vaddr = h.vaddr, .paddr = h.paddr, .filesz = h.filesz,
				       .memsz = h.memsz, .align = h.align };
	}
}

int elf_parse(struct elf_image *img, const void *data, size_t len)
{
	const uint8_t *p = data;
	struct ehdr_any eh;
	uint8_t cls = 0;
	uint64_t top;
	bool entry_ok = false;

	memset(img, 0, sizeof(*img));
	if (elf_read_ehdr(&eh, p, len, &cls) || eh.type != ET_EXEC)
		return -EINVAL;
	if (eh.phoff > len || (uint64_t)eh.phnum * eh.phentsize > len - eh.phoff)
		return -EINVAL;
	/* The highest address a segment may reach: the class's address space,
	 * less a page so rounding hi up cannot overflow. */
	top = cls == 64 ? UINT64_MAX - 4095 : 1ULL << 32;

	img->lo = UINT64_MAX;
	for (unsigned i = 0; i < eh.phnum; i++) {
		struct phdr64 ph;
		struct elf_segment *s;

		elf_read_phdr(&ph, p + eh.phoff + (uint64_t)i * eh.phentsize, cls);
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (img->nseg == ELF_MAX_SEGMENTS)
			return -E2BIG;
		if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset ||
		    ph.vaddr > top || ph.memsz > top - ph.vaddr)
			return -EINVAL;
		s = &img->seg[img->nseg++];
		s->vaddr = ph.vaddr;
		s->paddr = ph.paddr;
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
	img->elf_class = cls;
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
