/* Linux x86-64 bzImage guest loader: the 64-bit boot protocol (Linux
 * Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"; the zero page
 * as in Documentation/arch/x86/zero-page.rst). The loader plays the part
 * of the firmware-side boot loader: it builds struct boot_params, copies
 * the protected-mode kernel, the initrd and the command line, writes a
 * GDT and identity page tables, and starts the vCPU at startup_64 in
 * long mode. The kernel's 16-bit setup code is never run. Pure code.
 *
 * Guest-physical layout it produces:
 *   0x6000   GDT: null, (unused), 0x10 __BOOT_CS (64-bit code), 0x18 __BOOT_DS
 *   0x7000   zero page (struct boot_params, 4 KiB)
 *   0x8000   boot stack page, rsp = 0x9000 (the protocol asks for none)
 *   0x9000   PML4, 0xa000 PDPT, 0xb000..0xefff four PDs: 0-4 GiB identity
 *            with 2 MiB pages
 *   0x20000  command line, at most up to 0x9fc00 (the EBDA)
 *   >= 1 MiB protected-mode kernel at pref_address, or relocated to the
 *            lowest kernel_alignment boundary >= 16 MiB; the kernel owns
 *            [load, load + init_size)
 *   high     initrd, page aligned, as high as initrd_addr_max and RAM allow,
 *            clear of the kernel's init_size range
 * The e820 map given to the kernel: RAM [0, 0x9fc00), reserved
 * [0x9fc00, 0xa0000) (EBDA), reserved [0xe0000, 0x100000) (BIOS area,
 * where the RSDP and ACPI tables live), RAM [0x100000, end of RAM). */
#ifndef VATRA_VMM_LOADER_LINUX_H
#define VATRA_VMM_LOADER_LINUX_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "vmm/loader/loader.h"

/* Setup header fields, as offsets into the bzImage file, which are also
 * their offsets in struct boot_params (boot.rst, "The Real-Mode Kernel
 * Header": the header at file offset 0x1f1 is copied to boot_params at
 * the same offset). */
#define LINUX_HDR_START           0x1f1   /* setup_sects, first header byte */
#define LINUX_HDR_SETUP_SECTS     0x1f1   /* u8: setup size in sectors, 0 means 4 */
#define LINUX_HDR_SYSSIZE         0x1f4   /* u32: protected-mode size, 16-byte paras */
#define LINUX_HDR_VID_MODE        0x1fa   /* u16 */
#define LINUX_HDR_BOOT_FLAG       0x1fe   /* u16: 0xAA55 */
#define LINUX_HDR_JUMP            0x200   /* u8 0xEB, u8 header length - 2 */
#define LINUX_HDR_MAGIC           0x202   /* u32: "HdrS" */
#define LINUX_HDR_VERSION         0x206   /* u16: protocol, (major << 8) | minor */
#define LINUX_HDR_TYPE_OF_LOADER  0x210   /* u8 */
#define LINUX_HDR_LOADFLAGS       0x211   /* u8 */
#define LINUX_HDR_CODE32_START    0x214   /* u32 */
#define LINUX_HDR_RAMDISK_IMAGE   0x218   /* u32 */
#define LINUX_HDR_RAMDISK_SIZE    0x21c   /* u32 */
#define LINUX_HDR_HEAP_END_PTR    0x224   /* u16 */
#define LINUX_HDR_EXT_LOADER_VER  0x226   /* u8 */
#define LINUX_HDR_EXT_LOADER_TYPE 0x227   /* u8 */
#define LINUX_HDR_CMD_LINE_PTR    0x228   /* u32 */
#define LINUX_HDR_INITRD_ADDR_MAX 0x22c   /* u32: highest byte the initrd may use */
#define LINUX_HDR_KERNEL_ALIGN    0x230   /* u32 */
#define LINUX_HDR_RELOCATABLE     0x234   /* u8 */
#define LINUX_HDR_XLOADFLAGS      0x236   /* u16, 2.12+ */
#define LINUX_HDR_CMDLINE_SIZE    0x238   /* u32: longest command line, NUL excluded */
#define LINUX_HDR_HW_SUBARCH      0x23c   /* u32 */
#define LINUX_HDR_SETUP_DATA      0x250   /* u64 */
#define LINUX_HDR_PREF_ADDRESS    0x258   /* u64 */
#define LINUX_HDR_INIT_SIZE       0x260   /* u32 */
#define LINUX_HDR_MIN_END         0x264   /* the header must reach past init_size */
#define LINUX_HDR_MAX_END         0x290   /* boot_params has room up to edd_mbr_sig_buffer */

#define LINUX_BOOT_FLAG           0xaa55
#define LINUX_HDRS_MAGIC          0x53726448u   /* "HdrS" */
#define LINUX_PROTO_MIN           0x020c        /* 2.12: xloadflags, 64-bit entry */

#define LINUX_LF_LOADED_HIGH      (1u << 0)     /* bzImage: protected-mode code at 1 MiB+ */
#define LINUX_LF_CAN_USE_HEAP     (1u << 7)     /* heap_end_ptr is valid */
#define LINUX_XLF_KERNEL_64       (1u << 0)     /* 64-bit entry at load address + 0x200 */

/* struct boot_params fields outside the setup header (zero-page.rst). */
#define LINUX_BP_ACPI_RSDP_ADDR   0x070   /* u64 */
#define LINUX_BP_EXT_RAMDISK_IMG  0x0c0   /* u32: ramdisk_image bits 63..32 */
#define LINUX_BP_EXT_RAMDISK_SIZE 0x0c4   /* u32: ramdisk_size bits 63..32 */
#define LINUX_BP_EXT_CMD_LINE_PTR 0x0c8   /* u32: cmd_line_ptr bits 63..32 */
#define LINUX_BP_E820_ENTRIES     0x1e8   /* u8 */
#define LINUX_BP_E820_TABLE       0x2d0   /* 128 x { u64 addr, u64 size, u32 type } */
#define LINUX_BP_SIZE             4096
#define LINUX_E820_ENTRY_SIZE     20
#define LINUX_E820_RAM            1
#define LINUX_E820_RESERVED       2

/* Guest-physical layout (see the top of this file). */
#define LINUX_GDT_ADDR            0x6000u
#define LINUX_GDT_LIMIT           (4 * 8 - 1)
#define LINUX_BOOT_CS             0x10          /* __BOOT_CS */
#define LINUX_BOOT_DS             0x18          /* __BOOT_DS */
#define LINUX_ZERO_PAGE           0x7000u
#define LINUX_STACK_TOP           0x9000u       /* stack page [0x8000, 0x9000) */
#define LINUX_PML4                0x9000u
#define LINUX_PT_END              0xf000u       /* PML4, PDPT, 4 PDs */
#define LINUX_CMDLINE             0x20000u
#define LINUX_CMDLINE_END         0x9fc00u      /* the EBDA starts here */
#define LINUX_EBDA                0x9fc00u
#define LINUX_BIOS_AREA           0xe0000u
#define LINUX_HIGH                0x100000u     /* kernel and initrd stay above */
#define LINUX_RELOC_MIN           0x1000000u    /* relocated kernels: >= 16 MiB */
#define LINUX_RAM_MIN             (64ULL << 20)
#define LINUX_HEAP_END_PTR        0xfe00u
#define LINUX_LOADER_TYPE         0xff          /* "undefined": no assigned ID */

/* Machine state at the 64-bit entry. */
#define LINUX_CR0                 0x80000031ULL /* PG | NE | ET | PE */
#define LINUX_CR4                 0x20ULL       /* PAE */
#define LINUX_EFER                0x500ULL      /* LMA | LME */

struct linux_layout {
	uint64_t acpi_rsdp;  /* guest-physical RSDP to pass in boot_params.acpi_rsdp_addr (0 = none) */
	/* The PCI ECAM window the MCFG names, reported reserved in the e820
	 * map (Linux uses ECAM only where firmware reserves it; PCI Firmware
	 * 3.2, 4.1.2); size 0 = none. Must lie above guest RAM. */
	uint64_t ecam_base, ecam_size;
};

/* true if the image is a bzImage this loader can start: 0xAA55 at 0x1fe,
 * "HdrS" at 0x202, boot protocol 2.12 or later (xloadflags exists) and
 * XLF_KERNEL_64 set (a 64-bit entry point at load address + 0x200). */
bool linux_detect(const uint8_t *img, size_t len);

/* Loads the bzImage `kernel` (len bytes) into img with the command line
 * (NULL is taken as "") and an optional initrd (initrd_len 0 means none),
 * and builds the zero page, GDT and page tables described above. lay may
 * be NULL (no RSDP to pass); a non-zero lay->acpi_rsdp must lie, with the
 * 36 bytes of an ACPI 2.0 RSDP, in the reserved [0xe0000, 0x100000).
 * Fills st: BOOT_LONG64, rip = load address + 0x200 (startup_64), rsi =
 * 0x7000 (the zero page), rsp = 0x9000, cs_sel 0x10, ds_sel 0x18, CR0 =
 * PE|ET|NE|PG, CR4 = PAE, EFER = LME|LMA, CR3 = 0x9000, GDTR = 0x6000/0x1f.
 * Guest RAM must be at least 64 MiB.
 * 0, or -EINVAL with st->err set; on failure guest RAM is untouched. */
int linux_load(struct guest_image *img, const uint8_t *kernel, size_t len, const char *cmdline,
	       const uint8_t *initrd, size_t initrd_len, const struct linux_layout *lay,
	       struct boot_state *st);

#endif
