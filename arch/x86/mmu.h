/* The hypervisor's own address space: W^X mappings of the core image,
 * guarded stacks, and the direct map of physical memory. */
#ifndef VATRA_ARCH_X86_MMU_H
#define VATRA_ARCH_X86_MMU_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "include/vatra/bootinfo.h"

/* Builds the core's page tables (text RX, rodata R, data/bss RW+NX, an
 * unmapped guard page around each stack; RAM in the direct map RW+NX),
 * turns on NX, WP, global pages and SMEP/SMAP where the CPU has them, and
 * switches to them. Returns 0 or a negative errno (the loader's tables
 * then stay in use). */
int mmu_init(const struct boot_info *bi);

/* Makes [phys, phys+len) reachable through the direct map (uncached for
 * device memory) and returns its address there, or NULL. */
void *mmu_map_phys(uint64_t phys, size_t len, bool uncached);

/* A stack of pages pages between unmapped guard pages; returns its top
 * (the initial stack pointer) or 0. */
uint64_t mmu_stack_alloc(unsigned pages);
/* The core's page-table root, which every CPU loads. */
uint64_t mmu_root(void);
/* A check of the host's own tables: the walks for the IDT, this code and
 * the current stack still reach a page, through table pages none of
 * which is in the page allocator's free pool; says what is wrong, naming
 * when (a host reset on an emulator was traced to the host's tables
 * losing the IDT's mapping right after a partition's teardown). */
void mmu_check(const char *when);

/* What mmu_init turned on, for the caps report. */
struct mmu_state {
	bool nx, smep, smap, wp, gbpages;
	uint64_t table_pages;    /* page-table pages in use */
};
const struct mmu_state *mmu_state(void);

/* The W^X self-test: probes that writing text or rodata, executing data,
 * stack or heap, and touching a guard page each fault. Returns the
 * number of probes that did NOT fault (0 = all protections hold). */
int mmu_selftest(void);

#endif
