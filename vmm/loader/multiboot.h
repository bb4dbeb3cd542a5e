/* Multiboot v1 guest loader (Multiboot Specification 0.6.96): loads an
 * ELF32, ELF64 or "a.out kludge" kernel plus boot modules into a
 * partition's RAM and builds the boot information structure. Pure code.
 *
 * Guest-physical layout it produces:
 *   0x1000 ..            info structure, memory map, module list, strings
 *   .. 0x9f000           (all of it in conventional memory, never touched
 *                         by the kernel image, which must load >= 1 MiB)
 *   >= 0x100000          kernel segments (and bss)
 *   after the kernel     modules, each at a 4 KiB boundary, in order */
#ifndef VATRA_VMM_LOADER_MULTIBOOT_H
#define VATRA_VMM_LOADER_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "vmm/loader/loader.h"

/* OS image header (3.1.1): 4-byte aligned, wholly inside the first 8192
 * bytes of the file; magic + flags + checksum == 0 (mod 2^32). */
#define MB_HEADER_MAGIC        0x1BADB002u
#define MB_HEADER_SEARCH       8192
#define MB_HEADER_ALIGN        4

/* Header flags (3.1.2). Bits 0-15 are requirements: a loader that does
 * not understand one must refuse the image; bits 16-31 are optional. */
#define MB_HF_PAGE_ALIGN       (1u << 0)   /* modules 4 KiB aligned */
#define MB_HF_MEMORY_INFO      (1u << 1)   /* mem_* (and mmap) wanted */
#define MB_HF_VIDEO_MODE       (1u << 2)   /* video mode fields valid */
#define MB_HF_AOUT_KLUDGE      (1u << 16)  /* address fields valid, use them */
#define MB_HF_REQUIRED_MASK    0x0000ffffu

/* Machine state (3.2): EAX holds this, EBX the info structure address. */
#define MB_BOOTLOADER_MAGIC    0x2BADB002u

/* Info structure flags (3.3): which fields are valid. */
#define MB_INFO_MEMORY         (1u << 0)   /* mem_lower, mem_upper */
#define MB_INFO_BOOTDEV        (1u << 1)
#define MB_INFO_CMDLINE        (1u << 2)
#define MB_INFO_MODS           (1u << 3)
#define MB_INFO_AOUT_SYMS      (1u << 4)
#define MB_INFO_ELF_SHDR       (1u << 5)
#define MB_INFO_MEM_MAP        (1u << 6)
#define MB_INFO_DRIVES         (1u << 7)
#define MB_INFO_CONFIG_TABLE   (1u << 8)
#define MB_INFO_LOADER_NAME    (1u << 9)
#define MB_INFO_APM_TABLE      (1u << 10)
#define MB_INFO_VBE            (1u << 11)
#define MB_INFO_FRAMEBUFFER    (1u << 12)

/* Memory map entry types (3.3): 1 is usable RAM, anything else is not. */
#define MB_MEM_AVAILABLE       1
#define MB_MEM_RESERVED        2

/* Limits this loader enforces. */
#define MB_CMDLINE_MAX         4096        /* characters, without the NUL */
#define MB_KERNEL_MIN          0x100000u   /* modules go at or above 1 MiB */
#define MB_LOW_BASE            0x1000u     /* the info's first choice; bounds its size with MB_LOW_END */
#define MB_LOW_END             0x9f000u
#define MB_EBDA_BASE           0x9fc00u    /* reserved [EBDA, 640 KiB) as on a PC */
#define MB_BIOS_BASE           0xf0000u    /* reserved [BIOS, 1 MiB): system ROM */
#define MB_MMAP_ENTRIES        4

/* The OS image header, all fields (3.1.1); the address fields are valid
 * only with MB_HF_AOUT_KLUDGE, the graphics fields only with
 * MB_HF_VIDEO_MODE, but their offsets are fixed either way. */
struct mb_header {
	uint32_t magic;          /*  0 */
	uint32_t flags;          /*  4 */
	uint32_t checksum;       /*  8 */
	uint32_t header_addr;    /* 12 */
	uint32_t load_addr;      /* 16 */
	uint32_t load_end_addr;  /* 20 */
	uint32_t bss_end_addr;   /* 24 */
	uint32_t entry_addr;     /* 28 */
	uint32_t mode_type;      /* 32 */
	uint32_t width;          /* 36 */
	uint32_t height;         /* 40 */
	uint32_t depth;          /* 44 */
} __attribute__((packed));

/* Boot information structure (3.3). */
struct mb_info {
	uint32_t flags;              /*   0 */
	uint32_t mem_lower;          /*   4: KiB from 0, at most 640 */
	uint32_t mem_upper;          /*   8: KiB from 1 MiB to the first hole */
	uint32_t boot_device;        /*  12 */
	uint32_t cmdline;            /*  16: physical address of a C string */
	uint32_t mods_count;         /*  20 */
	uint32_t mods_addr;          /*  24: physical address of mb_module[] */
	uint32_t syms[4];            /*  28: a.out symbols or ELF section headers */
	uint32_t mmap_length;        /*  44: bytes in the buffer */
	uint32_t mmap_addr;          /*  48: first entry's size field */
	uint32_t drives_length;      /*  52 */
	uint32_t drives_addr;        /*  56 */
	uint32_t config_table;       /*  60 */
	uint32_t boot_loader_name;   /*  64 */
	uint32_t apm_table;          /*  68 */
	uint32_t vbe_control_info;   /*  72 */
	uint32_t vbe_mode_info;      /*  76 */
	uint16_t vbe_mode;           /*  80 */
	uint16_t vbe_interface_seg;  /*  82 */
	uint16_t vbe_interface_off;  /*  84 */
	uint16_t vbe_interface_len;  /*  86 */
	uint64_t framebuffer_addr;   /*  88 */
	uint32_t framebuffer_pitch;  /*  96 */
	uint32_t framebuffer_width;  /* 100 */
	uint32_t framebuffer_height; /* 104 */
	uint8_t framebuffer_bpp;     /* 108 */
	uint8_t framebuffer_type;    /* 109 */
	uint8_t color_info[6];       /* 110 */
} __attribute__((packed));

/* One boot module (3.3): [mod_start, mod_end), and its string. */
struct mb_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;       /* 0 */
} __attribute__((packed));

/* One memory map entry (3.3). The spec places size at offset -4 of the
 * entry proper; mmap_addr points at size, which counts the bytes after
 * itself (20 here), so a reader steps by size + 4. */
struct mb_mmap_entry {
	uint32_t size;           /*  0 */
	uint64_t base_addr;      /*  4 */
	uint64_t length;         /* 12 */
	uint32_t type;           /* 20 */
} __attribute__((packed));

_Static_assert(offsetof(struct mb_header, entry_addr) == 28, "Multiboot 3.1.1 layout");
_Static_assert(sizeof(struct mb_header) == 48, "Multiboot 3.1.1 layout");
_Static_assert(offsetof(struct mb_info, mmap_length) == 44, "Multiboot 3.3 layout");
_Static_assert(offsetof(struct mb_info, boot_loader_name) == 64, "Multiboot 3.3 layout");
_Static_assert(offsetof(struct mb_info, vbe_mode) == 80, "Multiboot 3.3 layout");
_Static_assert(offsetof(struct mb_info, framebuffer_addr) == 88, "Multiboot 3.3 layout");
_Static_assert(sizeof(struct mb_info) == 116, "Multiboot 3.3 layout");
_Static_assert(sizeof(struct mb_module) == 16, "Multiboot 3.3 layout");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "Multiboot 3.3 layout");

/* true if a valid Multiboot v1 header (magic 0x1BADB002, flags, checksum)
 * lies 4-aligned in the first 8192 bytes. */
bool mb_detect(const uint8_t *kernel, size_t len);

/* Loads an ELF32 or ELF64 kernel (or, when header flag bit 16 is set, the
 * header's load_addr/load_end_addr/bss_end_addr/entry_addr "a.out
 * kludge") wherever it asks in img's RAM below 4 GiB, low memory included,
 * refusing only an overlap with img->reserved (named in st->err); puts
 * the modules after it (from 1 MiB at least), builds the info structure
 * (flags MEMORY, CMDLINE, MODS, MEM_MAP, LOADER_NAME) at MB_LOW_BASE or,
 * when the kernel is there, right after it or the modules, and
 * fills st: BOOT_PROT32, rip = entry, rax = 0x2BADB002, rbx = info
 * address, rsp = 0 (undefined per 3.2; the kernel sets its own stack),
 * cs_sel unused (3.2 leaves selector values undefined).
 * ELF segments load at p_paddr; the entry point is e_entry translated by
 * the executable segment that holds it (for higher-half kernels).
 * cmdline NULL is taken as "", a module's args NULL likewise.
 * 0, or -EINVAL with st->err set; on failure guest RAM is untouched. */
int mb_load(struct guest_image *img, const uint8_t *kernel, size_t len, const char *cmdline,
	    const struct loader_module *mods, unsigned nmods, struct boot_state *st);

#endif
