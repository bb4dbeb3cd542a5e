/* Linux x86-64 bzImage loader: the 64-bit boot protocol (Linux
 * Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"; the zero page
 * fields from Documentation/arch/x86/zero-page.rst).
 *
 * linux_load works in two phases, like mb_load: first it validates the
 * image and plans every placement (kernel, initrd, command line), then
 * it writes. Every check happens in the first phase, so a refused image
 * leaves guest RAM exactly as it was.
 *
 * Multi-byte fields are little-endian (boot.rst, "Details of Header
 * Fields"); so is every host this code runs on (x86-64), so they are read
 * and written with memcpy. */
#include "vmm/loader/linux.h"
#include "lib/string.h"
#include "lib/strutil.h"
#include "lib/errno.h"

#define LINUX_PAGE      4096ULL
#define LINUX_4G        (1ULL << 32)
#define LINUX_2M        (1ULL << 21)
#define LINUX_SECTOR    512u
#define LINUX_ENTRY64   0x200u       /* startup_64: load address + 0x200 */
#define LINUX_RSDP_LEN  36u          /* ACPI 2.0+ RSDP (ACPI 6.5, 5.2.5.3) */
#define LINUX_E820_N    5     /* at most */

/* Page table entry bits (Intel SDM Vol. 3A, 4.5). */
#define PTE_P           (1ULL << 0)
#define PTE_RW          (1ULL << 1)
#define PTE_PS          (1ULL << 7)

/* GDT descriptors for __BOOT_CS and __BOOT_DS (boot.rst: "both
 * descriptors must be 4G flat segment; __BOOT_CS must have execute/read
 * permission, and __BOOT_DS must have read/write permission"). Base 0,
 * limit 0xfffff with G = 1, P = 1, DPL 0, S = 1; the accessed bit is
 * preset so that loading a selector never writes the GDT.
 *   code: type 0xb (execute/read, accessed), L = 1, D = 0 (64-bit)
 *   data: type 0x3 (read/write, accessed), D/B = 1 */
#define LINUX_GDT_CODE64 0x00af9b000000ffffULL
#define LINUX_GDT_DATA   0x00cf93000000ffffULL

/* The fixed low-memory pieces must not meet one another, the command
 * line area, the EBDA or the kernel and initrd (which stay >= 1 MiB). */
_Static_assert(LINUX_GDT_ADDR + LINUX_GDT_LIMIT + 1 <= LINUX_ZERO_PAGE, "GDT below the zero page");
_Static_assert(LINUX_ZERO_PAGE + LINUX_BP_SIZE <= LINUX_STACK_TOP - LINUX_PAGE,
	       "zero page below the stack page");
_Static_assert(LINUX_STACK_TOP <= LINUX_PML4, "stack page below the page tables");
_Static_assert(LINUX_PML4 + 6 * LINUX_PAGE == LINUX_PT_END, "PML4, PDPT and four PDs");
_Static_assert(LINUX_PT_END <= LINUX_CMDLINE, "page tables below the command line");
_Static_assert(LINUX_CMDLINE_END <= LINUX_EBDA, "command line below the EBDA");
_Static_assert(LINUX_EBDA < LINUX_HIGH && LINUX_HIGH <= LINUX_RELOC_MIN, "low area below 1 MiB");
_Static_assert(LINUX_BP_E820_TABLE + LINUX_E820_N * LINUX_E820_ENTRY_SIZE <= 0xd00,
	       "e820 entries inside e820_table");

/* What phase one decided; phase two only copies. */
struct linux_plan {
	uint64_t hdr_end;        /* end of the setup header, file = boot_params offset */
	uint64_t pm_off;         /* file offset of the protected-mode kernel */
	uint64_t pm_len;         /* its length: the rest of the file */
	uint64_t load;           /* where it goes */
	uint64_t span;           /* the kernel owns [load, load + span) */
	uint64_t initrd;         /* initrd address, 0 without one */
	uint64_t initrd_len;
	uint64_t cmd_len;        /* strlen of the command line */
	uint64_t rsdp;           /* acpi_rsdp_addr, 0 for none */
	uint64_t ecam_base, ecam_size;   /* reserved in the e820 map, size 0 for none */
};

/* ---- little helpers ----------------------------------------------------- */

static uint16_t rd16(const uint8_t *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void wr8(uint8_t *ram, uint64_t at, uint8_t v)
{
	ram[at] = v;
}

static void wr16(uint8_t *ram, uint64_t at, uint16_t v)
{
	memcpy(ram + at, &v, sizeof(v));
}

static void wr32(uint8_t *ram, uint64_t at, uint32_t v)
{
	memcpy(ram + at, &v, sizeof(v));
}

static void wr64(uint8_t *ram, uint64_t at, uint64_t v)
{
	memcpy(ram + at, &v, sizeof(v));
}

static uint64_t linux_page_down(uint64_t x)
{
	return x & ~(LINUX_PAGE - 1);
}

/* Error text: a tiny formatter, enough for "%x" (0x-prefixed hex), "%u"
 * (decimal) and "%v" (a boot protocol version, 0x020c -> "2.12";
 * boot.rst, "version"), taking its numbers from a[] in order. Output is
 * cut to fit and always NUL-terminated. */
struct linux_msg {
	char *buf;
	size_t size, n;
};

static void msg_putc(struct linux_msg *m, char c)
{
	if (m->n + 1 < m->size)
		m->buf[m->n++] = c;
}

static void msg_num(struct linux_msg *m, uint64_t v, unsigned base, unsigned min_digits)
{
	char d[20];
	unsigned n = 0;

	do {
		d[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < sizeof(d));
	while (n < min_digits && n < sizeof(d))
		d[n++] = '0';
	while (n)
		msg_putc(m, d[--n]);
}

static int linux_fail(struct boot_state *st, const char *fmt, uint64_t a0, uint64_t a1)
{
	struct linux_msg m = { st->err, sizeof(st->err), 0 };
	uint64_t a[2] = { a0, a1 };
	unsigned ai = 0;

	for (; *fmt; fmt++) {
		uint64_t v;

		if (fmt[0] != '%' || !fmt[1]) {
			msg_putc(&m, *fmt);
			continue;
		}
		fmt++;
		v = ai < 2 ? a[ai] : 0;
		switch (*fmt) {
		case 'x':
			msg_putc(&m, '0');
			msg_putc(&m, 'x');
			msg_num(&m, v, 16, 1);
			ai++;
			break;
		case 'u':
			msg_num(&m, v, 10, 1);
			ai++;
			break;
		case 'v':
			msg_num(&m, (v >> 8) & 0xff, 10, 1);
			msg_putc(&m, '.');
			msg_num(&m, v & 0xff, 10, 2);
			ai++;
			break;
		default:
			msg_putc(&m, *fmt);
			break;
		}
	}
	m.buf[m.n] = '\0';
	return -EINVAL;
}

/* ---- phase one: validate and plan -------------------------------------- */

static bool linux_magic_ok(const uint8_t *k, size_t len)
{
	return k && len >= LINUX_HDR_VERSION + 2 &&
	       rd16(k, LINUX_HDR_BOOT_FLAG) == LINUX_BOOT_FLAG &&
	       rd32(k, LINUX_HDR_MAGIC) == LINUX_HDRS_MAGIC;
}

bool linux_detect(const uint8_t *img, size_t len)
{
	if (!linux_magic_ok(img, len) || len < LINUX_HDR_XLOADFLAGS + 2)
		return false;
	return rd16(img, LINUX_HDR_VERSION) >= LINUX_PROTO_MIN &&
	       (rd16(img, LINUX_HDR_XLOADFLAGS) & LINUX_XLF_KERNEL_64);
}

/* The setup header and the file's shape (boot.rst, "The Real-Mode Kernel
 * Header" and "Loading The Rest of The Kernel"). */
static int linux_check_image(struct linux_plan *p, const uint8_t *k, size_t len,
			     struct boot_state *st)
{
	unsigned sects;
	uint16_t ver;
	uint32_t align;

	if (!linux_magic_ok(k, len))
		return linux_fail(st, "not a Linux bzImage (no 0xAA55 at 0x1fe and \"HdrS\" at 0x202)",
				  0, 0);
	/* xloadflags and its XLF_KERNEL_64 (the 64-bit entry we jump to)
	 * arrived with 2.12; older kernels can only be entered in 16 or
	 * 32-bit mode. */
	ver = rd16(k, LINUX_HDR_VERSION);
	if (ver < LINUX_PROTO_MIN)
		return linux_fail(st, "Linux boot protocol %v is older than 2.12 (no 64-bit entry)",
				  ver, 0);
	/* "If this field is 0, the real value is 4"; the boot sector
	 * itself is one more sector. Since this is at least 1 KiB, every
	 * header field below lies inside the file once this holds. */
	sects = k[LINUX_HDR_SETUP_SECTS] ? k[LINUX_HDR_SETUP_SECTS] : 4;
	p->pm_off = (uint64_t)(sects + 1) * LINUX_SECTOR;
	if (p->pm_off > len)
		return linux_fail(st, "bzImage truncated: its %u setup sectors run past the end (%u bytes)",
				  sects, len);
	/* The header ends at 0x202 + the byte at 0x201 (boot.rst, "64-bit
	 * Boot Protocol"); we read up to init_size. boot_params has room for
	 * it only up to edd_mbr_sig_buffer at 0x290: a longer one is copied
	 * that far, as a loader copies the header it knows. */
	p->hdr_end = 0x202u + k[LINUX_HDR_JUMP + 1];
	if (p->hdr_end < LINUX_HDR_MIN_END)
		return linux_fail(st, "setup header length %x (byte at 0x201) ends before init_size",
				  k[LINUX_HDR_JUMP + 1], 0);
	if (p->hdr_end > LINUX_HDR_MAX_END)
		p->hdr_end = LINUX_HDR_MAX_END;
	if (!(k[LINUX_HDR_LOADFLAGS] & LINUX_LF_LOADED_HIGH))
		return linux_fail(st, "not a bzImage: loadflags LOADED_HIGH is clear (zImage)", 0, 0);
	if (!(rd16(k, LINUX_HDR_XLOADFLAGS) & LINUX_XLF_KERNEL_64))
		return linux_fail(st, "kernel has no 64-bit entry (xloadflags XLF_KERNEL_64 clear)", 0, 0);
	/* The protected-mode kernel is the rest of the file, copied whole.
	 * syssize counts it in 16-byte paragraphs, rounded up by the build,
	 * so it may claim up to 15 bytes past the end; like GRUB and QEMU we
	 * take the file's length and never check syssize. What the kernel
	 * needs in memory is init_size (boot.rst, "init_size"). */
	p->pm_len = len - p->pm_off;
	if (p->pm_len <= LINUX_ENTRY64)
		return linux_fail(st, "protected-mode kernel is too short to hold startup_64 at 0x200",
				  0, 0);
	if (!rd32(k, LINUX_HDR_INIT_SIZE))
		return linux_fail(st, "setup header: init_size is 0", 0, 0);
	align = rd32(k, LINUX_HDR_KERNEL_ALIGN);
	if (k[LINUX_HDR_RELOCATABLE] && (!align || (align & (align - 1))))
		return linux_fail(st, "setup header: kernel_alignment %x is not a power of two", align, 0);
	return 0;
}

/* The command line must fit the kernel's buffer ("cmdline_size: the
 * maximum size of the command line without the terminating zero") and
 * our area [0x20000, 0x9fc00). */
static int linux_check_cmdline(struct linux_plan *p, const uint8_t *k, const char *cmdline,
			       struct boot_state *st)
{
	uint64_t max = rd32(k, LINUX_HDR_CMDLINE_SIZE);
	uint64_t room = LINUX_CMDLINE_END - LINUX_CMDLINE - 1;

	if (max > room)
		max = room;
	p->cmd_len = strnlen(cmdline, (size_t)max + 1);
	if (p->cmd_len > max)
		return linux_fail(st, "command line is longer than the %u characters this kernel takes",
				  max, 0);
	return 0;
}

/* Where the protected-mode kernel goes (boot.rst, "pref_address",
 * "relocatable_kernel", "init_size"). The kernel needs init_size bytes
 * from its runtime start, which for a relocatable kernel is the load
 * address aligned up to kernel_alignment: we load only at aligned
 * addresses, so the two coincide. All of it must lie in RAM and below
 * 4 GiB, the reach of our identity map ("The range with
 * setup_header.init_size from start address of loaded kernel ... get
 * ident mapping"), and at or above 1 MiB, clear of the low area. */
static int linux_place_kernel(struct linux_plan *p, const uint8_t *k, uint64_t ram_size,
			      struct boot_state *st)
{
	uint64_t limit = ram_size < LINUX_4G ? ram_size : LINUX_4G;
	uint64_t pref = rd64(k, LINUX_HDR_PREF_ADDRESS);
	uint64_t align = rd32(k, LINUX_HDR_KERNEL_ALIGN);
	bool reloc = k[LINUX_HDR_RELOCATABLE] != 0;
	uint64_t at;

	/* The file may be longer than init_size claims (it never is for a
	 * real kernel, whose init_size covers decompression); own both. */
	p->span = rd32(k, LINUX_HDR_INIT_SIZE);
	if (p->span < p->pm_len)
		p->span = p->pm_len;

	if (pref >= LINUX_HIGH && pref <= limit && p->span <= limit - pref &&
	    (!reloc || !(pref & (align - 1)))) {
		p->load = pref;
		return 0;
	}
	if (!reloc)
		return linux_fail(st, "kernel not relocatable; pref_address %x + init_size %x "
				  "not in RAM < 4 GiB", pref, p->span);
	/* The lowest aligned address from 16 MiB, the traditional
	 * LOAD_PHYSICAL_ADDR; nothing else lives up there yet, so if that
	 * one does not fit, none does. */
	if (align > limit)
		return linux_fail(st, "kernel_alignment %x is beyond guest RAM", align, 0);
	at = (LINUX_RELOC_MIN + align - 1) & ~(align - 1);
	if (at > limit || p->span > limit - at)
		return linux_fail(st, "kernel (init_size %x) does not fit in guest RAM below 4 GiB "
				  "from %x", p->span, at);
	p->load = at;
	return 0;
}

/* The initrd goes page-aligned as high as it can ("an initrd should be
 * placed near end of memory", boot.rst, "mem="), its last byte at or
 * below initrd_addr_max ("the address of the highest safe byte") and
 * inside RAM, never over the kernel's init_size range and never below
 * 1 MiB. First the gap above the kernel, then the one below it. */
static int linux_place_initrd(struct linux_plan *p, const uint8_t *k, const uint8_t *initrd,
			      size_t len, uint64_t ram_size, struct boot_state *st)
{
	uint64_t top = (uint64_t)rd32(k, LINUX_HDR_INITRD_ADDR_MAX) + 1;
	uint64_t kend = p->load + p->span;
	uint64_t lo, hi, at;

	if (!len)
		return 0;
	if (!initrd)
		return linux_fail(st, "initrd has %u bytes but no data", len, 0);
	if (top > ram_size)
		top = ram_size;
	p->initrd_len = len;
	for (int gap = 0; gap < 2; gap++) {
		lo = gap == 0 ? (kend > LINUX_HIGH ? kend : LINUX_HIGH) : LINUX_HIGH;
		hi = gap == 0 ? top : (p->load < top ? p->load : top);
		if (hi < len)
			continue;
		at = linux_page_down(hi - len);
		if (at >= lo) {
			p->initrd = at;
			return 0;
		}
	}
	return linux_fail(st, "initrd (%x bytes) does not fit at or below %x beside the kernel",
			  len, top - 1);
}

/* The RSDP must sit where the e820 map says firmware tables are, or the
 * kernel would take its memory for RAM. */
static int linux_check_rsdp(struct linux_plan *p, const struct linux_layout *lay,
			    uint64_t ram_size, struct boot_state *st)
{
	uint64_t a = lay ? lay->acpi_rsdp : 0;

	if (!a)
		return 0;
	if (a < LINUX_BIOS_AREA || a > LINUX_HIGH - LINUX_RSDP_LEN || a + LINUX_RSDP_LEN > ram_size)
		return linux_fail(st, "ACPI RSDP at %x is outside the reserved [0xe0000, 0x100000)",
				  a, 0);
	p->rsdp = a;
	return 0;
}

static int linux_check_ecam(struct linux_plan *p, const struct linux_layout *lay,
			    uint64_t ram_size, struct boot_state *st)
{
	if (!lay || !lay->ecam_size)
		return 0;
	if (lay->ecam_base < ram_size || lay->ecam_base + lay->ecam_size < lay->ecam_base)
		return linux_fail(st, "ECAM window at %x overlaps guest RAM (%x bytes)",
				  lay->ecam_base, ram_size);
	p->ecam_base = lay->ecam_base;
	p->ecam_size = lay->ecam_size;
	return 0;
}

/* ---- phase two: write --------------------------------------------------- */

/* struct boot_params (zero-page.rst): zeroed ("initialized to all
 * zero"), the image's setup header copied in from 0x1f1, then the fields
 * a boot loader writes. The bytes around the header, notably the
 * sentinel at 0x1ef, stay 0, which tells the kernel the loader built
 * the zero page properly (sanitize_boot_params). */
static void linux_write_zero_page(const struct linux_plan *p, uint8_t *ram, const uint8_t *k,
				  uint64_t ram_size)
{
	const uint64_t zp = LINUX_ZERO_PAGE;
	const uint64_t e820[LINUX_E820_N][3] = {
		/* A PC's map: conventional memory below the EBDA, the EBDA
		 * and the BIOS area (our ACPI tables) reserved, the VGA and
		 * option ROM window [0xa0000, 0xe0000) absent, RAM from 1 MiB
		 * to the end (guest RAM has no hole). */
		{ 0, LINUX_EBDA, LINUX_E820_RAM },
		{ LINUX_EBDA, 0xa0000 - LINUX_EBDA, LINUX_E820_RESERVED },
		{ LINUX_BIOS_AREA, LINUX_HIGH - LINUX_BIOS_AREA, LINUX_E820_RESERVED },
		{ LINUX_HIGH, ram_size - LINUX_HIGH, LINUX_E820_RAM },
		/* The PCI configuration window, beyond RAM. */
		{ p->ecam_base, p->ecam_size, LINUX_E820_RESERVED },
	};
	unsigned n = p->ecam_size ? LINUX_E820_N : LINUX_E820_N - 1;

	memset(ram + zp, 0, LINUX_BP_SIZE);
	memcpy(ram + zp + LINUX_HDR_START, k + LINUX_HDR_START, p->hdr_end - LINUX_HDR_START);

	/* No assigned boot loader ID: 0xff, "undefined" ("type_of_loader"),
	 * and the extended ID fields 0. */
	wr8(ram, zp + LINUX_HDR_TYPE_OF_LOADER, LINUX_LOADER_TYPE);
	wr8(ram, zp + LINUX_HDR_EXT_LOADER_VER, 0);
	wr8(ram, zp + LINUX_HDR_EXT_LOADER_TYPE, 0);
	/* vid_mode is "modify (obligatory)": 0xffff is "normal", what a
	 * loader writes when the user asked for no vga= mode. */
	wr16(ram, zp + LINUX_HDR_VID_MODE, 0xffff);
	/* The heap belongs to the 16-bit setup code, which the 64-bit
	 * protocol never runs; we still mark it valid, as the sample
	 * configuration does, as if the real-mode segment were the 64 KiB
	 * just below the command line ("permitted to give the stack/heap the
	 * full 64K segment and locate the command line above it"). */
	wr8(ram, zp + LINUX_HDR_LOADFLAGS, k[LINUX_HDR_LOADFLAGS] | LINUX_LF_CAN_USE_HEAP);
	wr16(ram, zp + LINUX_HDR_HEAP_END_PTR, LINUX_HEAP_END_PTR);
	/* A relocating loader "must set the code32_start field to point to
	 * the loaded code". */
	wr32(ram, zp + LINUX_HDR_CODE32_START, (uint32_t)p->load);
	wr32(ram, zp + LINUX_HDR_CMD_LINE_PTR, LINUX_CMDLINE);
	wr32(ram, zp + LINUX_BP_EXT_CMD_LINE_PTR, 0);
	wr32(ram, zp + LINUX_HDR_RAMDISK_IMAGE, (uint32_t)p->initrd);
	wr32(ram, zp + LINUX_HDR_RAMDISK_SIZE, (uint32_t)p->initrd_len);
	wr32(ram, zp + LINUX_BP_EXT_RAMDISK_IMG, (uint32_t)(p->initrd >> 32));
	wr32(ram, zp + LINUX_BP_EXT_RAMDISK_SIZE, (uint32_t)(p->initrd_len >> 32));
	/* 0: the default x86/PC environment. */
	wr32(ram, zp + LINUX_HDR_HW_SUBARCH, 0);
	/* We pass no setup_data list; the image's own value is meaningless. */
	wr64(ram, zp + LINUX_HDR_SETUP_DATA, 0);
	/* boot_params.acpi_rsdp_addr (zero-page.rst, 0x070); a kernel that
	 * predates it sees padding and finds the RSDP by scanning the BIOS
	 * area instead, where it also is. */
	wr64(ram, zp + LINUX_BP_ACPI_RSDP_ADDR, p->rsdp);

	wr8(ram, zp + LINUX_BP_E820_ENTRIES, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t e = zp + LINUX_BP_E820_TABLE + i * LINUX_E820_ENTRY_SIZE;

		wr64(ram, e, e820[i][0]);
		wr64(ram, e + 8, e820[i][1]);
		wr32(ram, e + 16, (uint32_t)e820[i][2]);
	}
}

/* Null descriptor, an unused one at 0x08, then __BOOT_CS at 0x10 and
 * __BOOT_DS at 0x18, the selectors the protocol names. */
static void linux_write_gdt(uint8_t *ram)
{
	wr64(ram, LINUX_GDT_ADDR + 0x00, 0);
	wr64(ram, LINUX_GDT_ADDR + 0x08, 0);
	wr64(ram, LINUX_GDT_ADDR + LINUX_BOOT_CS, LINUX_GDT_CODE64);
	wr64(ram, LINUX_GDT_ADDR + LINUX_BOOT_DS, LINUX_GDT_DATA);
}

/* 4-level paging, identity for [0, 4 GiB) with 2 MiB pages: one PML4
 * entry, four PDPT entries, four full PDs. Everything the protocol
 * wants mapped (kernel, zero page, command line) lies below 4 GiB. */
static void linux_write_page_tables(uint8_t *ram)
{
	const uint64_t pml4 = LINUX_PML4, pdpt = pml4 + LINUX_PAGE, pd = pdpt + LINUX_PAGE;

	memset(ram + pml4, 0, LINUX_PT_END - LINUX_PML4);
	wr64(ram, pml4, pdpt | PTE_P | PTE_RW);
	for (uint64_t i = 0; i < 4; i++) {
		wr64(ram, pdpt + i * 8, (pd + i * LINUX_PAGE) | PTE_P | PTE_RW);
		for (uint64_t j = 0; j < 512; j++)
			wr64(ram, pd + i * LINUX_PAGE + j * 8,
			     ((i * 512 + j) * LINUX_2M) | PTE_P | PTE_RW | PTE_PS);
	}
}

int linux_load(struct guest_image *img, const uint8_t *kernel, size_t len, const char *cmdline,
	       const uint8_t *initrd, size_t initrd_len, const struct linux_layout *lay,
	       struct boot_state *st)
{
	struct linux_plan p;
	int r;

	r = loader_begin(img, st);
	if (r)
		return r;
	/* A floor, not a fit test (that comes with init_size): below 64 MiB
	 * a distribution kernel cannot get past early boot even where its
	 * image fits, so say so plainly instead. */
	if (img->size < LINUX_RAM_MIN)
		return linux_fail(st, "guest RAM is %u KiB; a Linux guest needs at least 64 MiB",
				  img->size >> 10, 0);
	if (!cmdline)
		cmdline = "";

	memset(&p, 0, sizeof(p));
	r = linux_check_image(&p, kernel, len, st);
	if (!r)
		r = linux_check_cmdline(&p, kernel, cmdline, st);
	if (!r)
		r = linux_place_kernel(&p, kernel, img->size, st);
	if (!r)
		r = linux_place_initrd(&p, kernel, initrd, initrd_len, img->size, st);
	if (!r)
		r = linux_check_rsdp(&p, lay, img->size, st);
	if (!r)
		r = linux_check_ecam(&p, lay, img->size, st);
	if (r)
		return r;

	memcpy(img->ram + p.load, kernel + p.pm_off, p.pm_len);
	if (p.initrd_len)
		memcpy(img->ram + p.initrd, initrd, p.initrd_len);
	memcpy(img->ram + LINUX_CMDLINE, cmdline, p.cmd_len);
	img->ram[LINUX_CMDLINE + p.cmd_len] = '\0';
	linux_write_zero_page(&p, img->ram, kernel, img->size);
	linux_write_gdt(img->ram);
	linux_write_page_tables(img->ram);

	/* boot.rst, "64-bit Boot Protocol": 64-bit mode, paging on,
	 * CS = __BOOT_CS, DS = ES = SS = __BOOT_DS, interrupts off, %rsi =
	 * boot_params, entry at the load address + 0x200.
	 * CR0: PE and PG are what long mode needs; ET is hardwired on any
	 * x86-64; NE is what every firmware hands over and what VMX keeps
	 * set underneath anyway. WP stays clear: our tables have no
	 * read-only pages, and the kernel loads its own CR0 (with WP) early.
	 * CR4.PAE and EFER.LME|LMA make it long mode; the kernel enables NX,
	 * PGE and the rest itself. The protocol needs no stack (startup_64
	 * sets its own before its first push), but a valid one costs
	 * nothing: [0x8000, 0x9000). */
	st->mode = BOOT_LONG64;
	st->rip = p.load + LINUX_ENTRY64;
	st->rsi = LINUX_ZERO_PAGE;
	st->rsp = LINUX_STACK_TOP;
	st->cs_sel = LINUX_BOOT_CS;
	st->ds_sel = LINUX_BOOT_DS;
	st->cr0 = LINUX_CR0;
	st->cr3 = LINUX_PML4;
	st->cr4 = LINUX_CR4;
	st->efer = LINUX_EFER;
	st->gdt_base = LINUX_GDT_ADDR;
	st->gdt_limit = LINUX_GDT_LIMIT;
	return 0;
}
