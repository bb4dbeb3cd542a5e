/* The hand-off from the UEFI loader (boot/efi_main.c) to the hypervisor
 * core (boot/main.c). The loader fills it before ExitBootServices, except
 * the memory map, which it converts right after. All addresses are
 * physical; the core reads the structure through its direct map. */
#ifndef VATRA_BOOTINFO_H
#define VATRA_BOOTINFO_H

#include <stdint.h>

#define BOOTINFO_MAGIC   0x6f666e4961727456ULL  /* "VtraInfo" */
#define BOOTINFO_VERSION 1

/* Virtual layout shared by loader and core. */
#define CORE_VIRT_BASE   0xffffffff80000000ULL  /* linker.ld places the core here */
#define PHYSMAP_BASE     0xffff800000000000ULL  /* all of physical memory, 1:1 shifted */

#define BI_MAX_MEM    512
#define BI_MAX_FILES  32
#define BI_PATH_MAX   128

enum bi_mem_type {
	BI_MEM_FREE = 1,        /* usable RAM once boot services are gone */
	BI_MEM_HV,              /* loader data: core image, boot info, config, files */
	BI_MEM_RESERVED,        /* firmware reserved, runtime services, unusable */
	BI_MEM_ACPI_RECLAIM,    /* ACPI tables (kept: guests' tables are copied from them) */
	BI_MEM_ACPI_NVS,
	BI_MEM_MMIO,
	BI_MEM_BAD,
	BI_MEM_PERSISTENT,
};

struct bi_mem {
	uint64_t base;
	uint64_t pages;         /* 4 KiB pages */
	uint32_t type;          /* enum bi_mem_type */
	uint32_t efi_type;      /* the firmware's own type, for the report */
};

struct bi_file {
	char path[BI_PATH_MAX]; /* as written in vatra.cfg, from the ESP root */
	uint64_t phys;          /* 0 when the file could not be read */
	uint64_t size;
	int32_t status;         /* 0 or a negative lib/errno.h code */
	uint32_t pad;
};

struct boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t flags;         /* reserved, 0 */
	uint64_t rsdp;          /* ACPI RSDP, 0 if the firmware gave none */
	uint64_t core_phys;     /* where the core image was placed */
	uint64_t core_size;     /* bytes, page-rounded, bss included */
	uint64_t cfg_phys;      /* vatra.cfg contents, 0 if absent */
	uint64_t cfg_size;
	int32_t cfg_status;     /* 0 or negative errno from reading vatra.cfg */
	uint32_t nfiles;
	struct bi_file files[BI_MAX_FILES];
	uint32_t nmem;
	uint32_t mem_dropped;   /* entries that did not fit (merged first) */
	struct bi_mem mem[BI_MAX_MEM];
	uint64_t loader_pt;     /* the loader's page tables (CR3 at entry) */
	uint64_t tsc_handoff;   /* TSC just before jumping to the core */
	uint64_t tsc_loader;    /* TSC when the loader started */
	uint64_t boot_device;   /* reserved */
};


#endif
