/* Multiboot v1 loader (Multiboot Specification 0.6.96).
 *
 * mb_load works in two phases: first it validates the image and plans
 * every placement (kernel pieces, modules, the info area), then it
 * writes. Every check happens in the first phase, so a refused image
 * leaves guest RAM exactly as it was. */
#include "vmm/loader/multiboot.h"
#include "lib/elf.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "lib/printf.h"

#define MB_PAGE   4096ULL
#define MB_4G     (1ULL << 32)
#define MB_LOADER_NAME "Vatra"

/* One contiguous piece of the kernel: filesz bytes from the file at
 * offset, then zeroes up to memsz, at guest-physical paddr. */
struct mb_piece {
	uint64_t paddr, offset, filesz, memsz;
};

struct mb_plan {
	struct mb_piece piece[ELF_MAX_SEGMENTS];
	unsigned npiece;
	uint64_t entry;
	uint64_t kernel_end;     /* end of the highest piece, bss included */
	uint64_t limit;          /* where the kernel and modules must end: min(RAM, 4 GiB) */
	uint64_t mods_at;        /* where the first module goes */
	uint64_t mods_end;       /* the end of the last one */
	/* the boot information, placed where nothing else is */
	uint32_t info, mmap, mods, strings, end;
};

static uint64_t mb_page_up(uint64_t x)
{
	return (x + MB_PAGE - 1) & ~(MB_PAGE - 1);
}

/* Finds the first 4-aligned header whose checksum holds within the first
 * 8192 bytes (3.1.1). 0 and *off, or -ENOENT (no magic anywhere) or
 * -EBADMSG (a magic, but no checksum held). */
static int mb_find(const uint8_t *k, size_t len, size_t *off)
{
	size_t lim = len < MB_HEADER_SEARCH ? len : MB_HEADER_SEARCH;
	int r = -ENOENT;

	if (!k)
		return -ENOENT;
	for (size_t o = 0; o + 12 <= lim; o += MB_HEADER_ALIGN) {
		uint32_t w[3];

		memcpy(w, k + o, sizeof(w));
		if (w[0] != MB_HEADER_MAGIC)
			continue;
		if ((uint32_t)(w[0] + w[1] + w[2]) == 0) {
			*off = o;
			return 0;
		}
		r = -EBADMSG;
	}
	return r;
}

bool mb_detect(const uint8_t *kernel, size_t len)
{
	size_t off;

	return mb_find(kernel, len, &off) == 0;
}

/* The a.out kludge (3.1.3): one piece described by the header's physical
 * address fields; the file offset of load_addr follows from where the
 * header was found. */
static int mb_plan_aout(struct mb_plan *p, const struct mb_header *h, size_t hoff,
			size_t len, struct boot_state *st)
{
	uint64_t foff, filesz, memsz;

	if (h->load_addr > h->header_addr)
		return loader_fail(st, "Multiboot header: load_addr is above header_addr (3.1.3)");
	if (h->header_addr - h->load_addr > hoff)
		return loader_fail(st, "Multiboot header: load_addr lies before the start of the file");
	foff = hoff - (h->header_addr - h->load_addr);
	if (h->load_end_addr) {
		if (h->load_end_addr <= h->load_addr)
			return loader_fail(st, "Multiboot header: load_end_addr is not above load_addr");
		filesz = h->load_end_addr - h->load_addr;
		if (filesz > len - foff)
			return loader_fail(st, "Multiboot header: load_end_addr lies past the end of the file");
	} else {
		/* 0: text and data occupy the rest of the file (3.1.3). */
		filesz = len - foff;
	}
	memsz = filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + filesz)
			return loader_fail(st, "Multiboot header: bss_end_addr is below the end of the data");
		memsz = h->bss_end_addr - h->load_addr;
	}
	/* entry_addr is where to jump (3.1.3), nothing more: like GRUB we do
	 * not ask that it lie inside the loaded image. */
	p->piece[0] = (struct mb_piece){ h->load_addr, foff, filesz, memsz };
	p->npiece = 1;
	p->entry = h->entry_addr;
	return 0;
}

/* An ELF32 or ELF64 kernel: one piece per PT_LOAD at its p_paddr. */
static int mb_plan_elf(struct mb_plan *p, const uint8_t *k, size_t len, struct boot_state *st)
{
	struct elf_image e;
	int r = elf_parse(&e, k, len);

	if (r == -E2BIG)
		return loader_fail(st, "ELF kernel has more than 16 loadable segments");
	if (r) {
		if (len >= 4 && !memcmp(k, "\x7f" "ELF", 4))
			return loader_fail(st, "ELF kernel is malformed or not an i386/x86-64 executable");
		return loader_fail(st, "kernel is not ELF and its Multiboot header lacks address fields (flag 16)");
	}
	p->npiece = e.nseg;
	p->entry = UINT64_MAX;
	for (unsigned i = 0; i < e.nseg; i++) {
		const struct elf_segment *s = &e.seg[i];

		p->piece[i] = (struct mb_piece){ s->paddr, s->offset, s->filesz, s->memsz };
		/* e_entry is virtual; paging is off at entry (3.2), so translate
		 * it through the executable segment holding it, for kernels
		 * linked in the higher half with p_paddr in low memory. */
		if (p->entry == UINT64_MAX && (s->flags & 1 /* PF_X */) &&
		    e.entry >= s->vaddr && e.entry - s->vaddr < s->memsz)
			p->entry = s->paddr + (e.entry - s->vaddr);
	}
	return 0;
}

static bool mb_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The first of Vatra's ranges that [at, at + len) overlaps, or NULL. */
static const struct loader_range *mb_reserved_hit(const struct guest_image *img, uint64_t at,
						   uint64_t len)
{
	for (unsigned i = 0; i < img->nreserved; i++) {
		const struct loader_range *r = &img->reserved[i];

		if (len && mb_overlap(at, len, r->start, r->end - r->start))
			return r;
	}
	return NULL;
}

static int mb_fail_overlap(struct boot_state *st, const char *what, uint64_t at, uint64_t len,
			   const struct loader_range *r)
{
	snprintf(st->err, sizeof(st->err), "%s [%#llx, %#llx) overlaps %s [%#llx, %#llx)", what,
		 (unsigned long long)at, (unsigned long long)(at + len), r->what,
		 (unsigned long long)r->start, (unsigned long long)r->end);
	return -EINVAL;
}

/* Every piece where the kernel asks, inside RAM below 4 GiB (3.1.3,
 * 3.1.5: the addresses are physical; a loader may refuse only what it
 * cannot satisfy), clear of Vatra's ranges, none overlapping another. */
static int mb_check_pieces(struct mb_plan *p, const struct guest_image *img, struct boot_state *st)
{
	const struct loader_range *hit;

	p->kernel_end = 0;
	for (unsigned i = 0; i < p->npiece; i++) {
		const struct mb_piece *a = &p->piece[i];

		if (a->paddr > MB_4G || a->memsz > MB_4G - a->paddr)
			return loader_fail(st, "kernel segment extends past 4 GiB (unreachable in 32-bit mode)");
		if (a->paddr > img->size || a->memsz > img->size - a->paddr)
			return loader_fail(st, "kernel segment extends past the end of guest RAM");
		hit = mb_reserved_hit(img, a->paddr, a->memsz);
		if (hit)
			return mb_fail_overlap(st, "kernel segment", a->paddr, a->memsz, hit);
		for (unsigned j = 0; j < i; j++) {
			const struct mb_piece *b = &p->piece[j];

			if (mb_overlap(a->paddr, a->memsz, b->paddr, b->memsz))
				return loader_fail(st, "kernel segments overlap in physical memory");
		}
		if (a->paddr + a->memsz > p->kernel_end)
			p->kernel_end = a->paddr + a->memsz;
	}
	if (p->entry >= MB_4G)
		return loader_fail(st, "kernel entry point is at or above 4 GiB");
	return 0;
}

/* Modules go one after another, each on a page boundary after the kernel
 * and its bss (header flag 0 asks for it; we always do it, 3.1.2; bss is
 * reserved from modules, 3.1.3), and at or above 1 MiB, clear of the
 * PC's low areas, for a kernel linked low. A module's mod_end is
 * exclusive and must fit the 32-bit field, hence the limit of min(RAM,
 * 4 GiB). */
static int mb_check_modules(struct mb_plan *p, const struct guest_image *img,
			    const struct loader_module *mods, unsigned nmods, struct boot_state *st)
{
	uint64_t at = mb_page_up(p->kernel_end > MB_KERNEL_MIN ? p->kernel_end : MB_KERNEL_MIN);
	const struct loader_range *hit;

	if (nmods && !mods)
		return loader_fail(st, "module list missing");
	p->mods_at = p->mods_end = at;
	for (unsigned i = 0; i < nmods; i++) {
		if (!mods[i].data && mods[i].size)
			return loader_fail(st, "module has no data");
		if (at > p->limit || mods[i].size > p->limit - at || at + mods[i].size >= MB_4G)
			return loader_fail(st, "modules do not fit in guest RAM below 4 GiB after the kernel");
		hit = mb_reserved_hit(img, at, mods[i].size);
		if (hit)
			return mb_fail_overlap(st, "module", at, mods[i].size, hit);
		p->mods_end = at + mods[i].size;
		at = mb_page_up(at + mods[i].size);
	}
	return 0;
}

/* Whether the boot information may occupy [at, at + len): inside RAM
 * below 4 GiB, in what the memory map calls available (below the EBDA or
 * from 1 MiB), and clear of the kernel, the modules and Vatra's ranges. */
static bool mb_info_fits(const struct mb_plan *p, const struct guest_image *img, uint64_t at,
			 uint64_t len)
{
	if (at < MB_LOW_BASE || at > p->limit || len > p->limit - at)
		return false;
	if (mb_overlap(at, len, MB_EBDA_BASE, MB_KERNEL_MIN - MB_EBDA_BASE))
		return false;
	for (unsigned i = 0; i < p->npiece; i++)
		if (mb_overlap(at, len, p->piece[i].paddr, p->piece[i].memsz))
			return false;
	if (p->mods_end > p->mods_at && mb_overlap(at, len, p->mods_at, p->mods_end - p->mods_at))
		return false;
	return !mb_reserved_hit(img, at, len);
}

/* Lays out the boot information: info structure, memory map, module
 * list, then the strings (loader name, command line, one per module), in
 * one block. It goes at MB_LOW_BASE when the kernel leaves that free,
 * else right after a kernel piece or after the modules: the first of
 * those places where it fits (3.2: "anywhere in memory"). */
static int mb_plan_info(struct mb_plan *p, const struct guest_image *img, const char *cmdline,
			const struct loader_module *mods, unsigned nmods, struct boot_state *st)
{
	uint64_t cand[ELF_MAX_SEGMENTS + 2], at = 0, len, base = UINT64_MAX;
	unsigned ncand = 0;

	len = (sizeof(struct mb_info) + 7) & ~7ULL;
	len += MB_MMAP_ENTRIES * sizeof(struct mb_mmap_entry);
	if (nmods > (MB_LOW_END - MB_LOW_BASE - len) / sizeof(struct mb_module))
		return loader_fail(st, "too many modules for the boot information");
	len += (uint64_t)nmods * sizeof(struct mb_module);
	len += sizeof(MB_LOADER_NAME);
	len += strlen(cmdline) + 1;  /* bounded by MB_CMDLINE_MAX already */
	for (unsigned i = 0; i < nmods; i++) {
		const char *s = mods[i].args ? mods[i].args : "";

		len += strnlen(s, MB_LOW_END) + 1;
		if (len > MB_LOW_END - MB_LOW_BASE)
			return loader_fail(st, "module strings do not fit in the boot information");
	}
	cand[ncand++] = MB_LOW_BASE;
	for (unsigned i = 0; i < p->npiece; i++)
		cand[ncand++] = mb_page_up(p->piece[i].paddr + p->piece[i].memsz);
	cand[ncand++] = mb_page_up(p->mods_end);
	for (unsigned i = 0; i < ncand && base == UINT64_MAX; i++)
		if (mb_info_fits(p, img, cand[i], len))
			base = cand[i];
	if (base == UINT64_MAX || base + len > MB_4G)
		return loader_fail(st, "no room for the boot information beside the kernel and modules");

	at = base;
	p->info = (uint32_t)at;
	at = (at + sizeof(struct mb_info) + 7) & ~7ULL;
	p->mmap = (uint32_t)at;
	at += MB_MMAP_ENTRIES * sizeof(struct mb_mmap_entry);
	p->mods = (uint32_t)at;
	at += (uint64_t)nmods * sizeof(struct mb_module);
	p->strings = (uint32_t)at;
	p->end = (uint32_t)(base + len);
	return 0;
}

/* Copies a string into guest RAM at *at and returns its address. */
static uint32_t mb_put_str(uint8_t *ram, uint32_t *at, const char *s)
{
	uint32_t a = *at;
	size_t n = strlen(s) + 1;

	memcpy(ram + a, s, n);
	*at += (uint32_t)n;
	return a;
}

static void mb_write(const struct mb_plan *p, struct guest_image *img, const uint8_t *k,
		     const char *cmdline, const struct loader_module *mods, unsigned nmods)
{
	struct mb_info mi;
	struct mb_mmap_entry mm[MB_MMAP_ENTRIES] = {
		/* A PC's map (3.3 "mmap"): conventional memory below the
		 * EBDA, the EBDA and the system ROM reserved, the VGA/option
		 * ROM window [0xa0000, 0xf0000) absent, then RAM from 1 MiB. */
		{ 20, 0, MB_EBDA_BASE, MB_MEM_AVAILABLE },
		{ 20, MB_EBDA_BASE, 0xa0000 - MB_EBDA_BASE, MB_MEM_RESERVED },
		{ 20, MB_BIOS_BASE, 0x100000 - MB_BIOS_BASE, MB_MEM_RESERVED },
		{ 20, 0x100000, img->size - 0x100000, MB_MEM_AVAILABLE },
	};
	uint32_t str = p->strings;
	uint64_t at;

	for (unsigned i = 0; i < p->npiece; i++) {
		const struct mb_piece *s = &p->piece[i];

		memcpy(img->ram + s->paddr, k + s->offset, s->filesz);
		memset(img->ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}

	memset(&mi, 0, sizeof(mi));
	mi.flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP |
		   MB_INFO_LOADER_NAME;
	/* mem_lower stops at the EBDA the map reserves (639 KiB, what a PC
	 * BIOS reports); mem_upper runs from 1 MiB to the end of RAM, which
	 * has no hole, capped at 4 GiB, the reach of a 32-bit kernel; the
	 * map has the exact extent. */
	mi.mem_lower = MB_EBDA_BASE / 1024;
	mi.mem_upper = (uint32_t)((p->limit - 0x100000) / 1024);
	mi.boot_loader_name = mb_put_str(img->ram, &str, MB_LOADER_NAME);
	mi.cmdline = mb_put_str(img->ram, &str, cmdline);
	mi.mods_count = nmods;
	mi.mods_addr = p->mods;
	mi.mmap_length = sizeof(mm);
	mi.mmap_addr = p->mmap;

	at = p->mods_at;
	for (unsigned i = 0; i < nmods; i++) {
		struct mb_module m;

		if (mods[i].size)  /* data may be NULL for an empty module */
			memcpy(img->ram + at, mods[i].data, mods[i].size);
		m.mod_start = (uint32_t)at;
		m.mod_end = (uint32_t)(at + mods[i].size);
		m.string = mb_put_str(img->ram, &str, mods[i].args ? mods[i].args : "");
		m.reserved = 0;
		memcpy(img->ram + p->mods + i * sizeof(m), &m, sizeof(m));
		at = mb_page_up(at + mods[i].size);
	}
	memcpy(img->ram + p->mmap, mm, sizeof(mm));
	memcpy(img->ram + p->info, &mi, sizeof(mi));
}

int mb_load(struct guest_image *img, const uint8_t *kernel, size_t len, const char *cmdline,
	    const struct loader_module *mods, unsigned nmods, struct boot_state *st)
{
	struct mb_plan p;
	struct mb_header h;
	size_t hoff = 0, hlen;
	uint32_t unknown;
	int r;

	r = loader_begin(img, st);
	if (r)
		return r;
	if (img->size < 0x100000)
		return loader_fail(st, "guest RAM is smaller than 1 MiB");
	if (!cmdline)
		cmdline = "";
	if (strnlen(cmdline, MB_CMDLINE_MAX + 1) > MB_CMDLINE_MAX)
		return loader_fail(st, "command line longer than 4096 characters");

	r = mb_find(kernel, len, &hoff);
	if (r == -EBADMSG)
		return loader_fail(st, "Multiboot header checksum is wrong (magic + flags + checksum != 0)");
	if (r)
		return loader_fail(st, "no Multiboot header in the first 8 KiB (4-byte aligned)");

	/* The header must lie wholly in the first 8192 bytes (3.1.1); its
	 * length follows from the fields its flags declare valid. */
	memset(&h, 0, sizeof(h));
	memcpy(&h, kernel + hoff, 12);
	hlen = h.flags & MB_HF_VIDEO_MODE ? 48 : h.flags & MB_HF_AOUT_KLUDGE ? 32 : 12;
	if (hoff + hlen > len || hoff + hlen > MB_HEADER_SEARCH)
		return loader_fail(st, "Multiboot header is cut off (it must lie in the first 8 KiB)");
	memcpy(&h, kernel + hoff, hlen);

	/* Required bits we do not know: refuse (3.1.2). Bit 2 (video mode)
	 * is required-class, but Vatra guests have no display: we accept it
	 * and leave info flags 11/12 clear, so the kernel sees no video
	 * information and can fall back. Bits 0 and 1 we always satisfy. */
	unknown = h.flags & MB_HF_REQUIRED_MASK &
		  ~(MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO | MB_HF_VIDEO_MODE);
	if (unknown)
		return loader_fail(st, "Multiboot header requires an unsupported feature (flag bits 3-15)");

	memset(&p, 0, sizeof(p));
	p.limit = img->size < MB_4G ? img->size : MB_4G;
	/* With flag 16 the address fields win even over an ELF header (3.1.2). */
	if (h.flags & MB_HF_AOUT_KLUDGE)
		r = mb_plan_aout(&p, &h, hoff, len, st);
	else
		r = mb_plan_elf(&p, kernel, len, st);
	if (r)
		return r;
	r = mb_check_pieces(&p, img, st);
	if (!r)
		r = mb_check_modules(&p, img, mods, nmods, st);
	if (!r)
		r = mb_plan_info(&p, img, cmdline, mods, nmods, st);
	if (r)
		return r;

	mb_write(&p, img, kernel, cmdline, mods, nmods);
	st->mode = BOOT_PROT32;
	st->rip = p.entry;
	st->rax = MB_BOOTLOADER_MAGIC;
	st->rbx = p.info;
	return 0;
}
