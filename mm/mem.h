/* Physical memory of the machine: the page allocator built from the
 * firmware's memory map, and the direct map through which the core
 * reaches any physical address. */
#ifndef VATRA_MM_MEM_H
#define VATRA_MM_MEM_H

#include <stdint.h>
#include <stdbool.h>
#include "include/vatra/bootinfo.h"

static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(PHYSMAP_BASE + phys);
}

static inline uint64_t virt_to_phys(const void *v)
{
	return (uint64_t)v - PHYSMAP_BASE;
}

/* Builds the allocator: usable RAM is what the firmware called free
 * (conventional and boot-services memory); the hypervisor's own pages
 * (loader data), the first MiB and everything else stay reserved.
 * Returns 0, or -ENOMEM when no room for the allocator's bitmap. */
int mem_init(const struct boot_info *bi);

/* npages contiguous pages, aligned to align_pages (power of two), zeroed.
 * Returns the physical address, or 0 when out of memory. */
uint64_t page_alloc(uint64_t npages, uint64_t align_pages);
void page_free(uint64_t phys, uint64_t npages);
/* The same without zeroing: for memory the caller clears itself before
 * anything reads it (partition RAM, zeroed at each start). */
uint64_t page_alloc_unzeroed(uint64_t npages, uint64_t align_pages);

/* Prints the memory map summary and allocator totals. */
void mem_report(const struct boot_info *bi);
uint64_t mem_free_pages(void);
/* Whether the allocator holds phys as free. Read without the lock, for
 * reports (a panic may come while another CPU holds it). */
bool page_is_free(uint64_t phys);
uint64_t mem_managed_pages(void);

/* Name of a boot-info memory type ("free", "hypervisor", ...). */
const char *mem_type_name(uint32_t type);

#endif
