/* Physical page-frame allocator: one bit per 4 KiB frame.
 *
 * The hypervisor core builds it from the UEFI memory map: palloc_init()
 * starts with every frame "used", palloc_add_free() releases the RAM
 * ranges the firmware reports as usable, and palloc_reserve() then takes
 * back what the hypervisor itself occupies (image, stacks, the bitmap,
 * boot-time tables), so that memory is never handed out twice.
 *
 * Order matters: the bitmap has a single bit per frame, so it cannot tell
 * "reserved" from "allocated" from "not RAM". A palloc_add_free() issued
 * after a palloc_reserve() of the same frame frees it again. Add all free
 * RAM first, then reserve.
 *
 * Pure code with no locking: mm/mem.c holds its lock around each call
 * (palloc_is_free()'s answer is stale as soon as that lock is dropped).
 */
#ifndef VATRA_LIB_PALLOC_H
#define VATRA_LIB_PALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PAGE_SIZE 4096ULL

struct palloc {
	uint64_t base_pfn, npfn;    /* frames covered: [base_pfn, base_pfn+npfn) */
	uint64_t *bitmap;           /* 1 bit per frame; 1 = used or not RAM */
	uint64_t free_pages;        /* frames currently free */
	uint64_t managed_pages;     /* frames ever added as free */
	uint64_t hint;              /* next-fit search start (frame index) */
};

/* Bytes of bitmap needed for npfn frames, rounded up to whole 64-bit words. */
size_t palloc_bitmap_bytes(uint64_t npfn);

/* Set up pa over frames [base_pfn, base_pfn + npfn) using bitmap, which
 * must hold palloc_bitmap_bytes(npfn) bytes and be 8-byte aligned. Every
 * frame starts used; the bits past npfn in the last word stay set forever
 * so the search never returns them. */
void palloc_init(struct palloc *pa, uint64_t *bitmap, uint64_t base_pfn, uint64_t npfn);

/* Mark [phys, phys + size) free. Rounds inward to whole pages (a partial
 * page at either end is not usable RAM) and clips to the covered range.
 * Frames that are already free are not counted twice. managed_pages grows
 * by the number of frames this call turned from used to free. */
void palloc_add_free(struct palloc *pa, uint64_t phys, uint64_t size);

/* Mark [phys, phys + size) used. Rounds outward (any byte touched makes
 * the whole page unavailable) and clips to the covered range. Frames that
 * were free leave free_pages; managed_pages is not changed ("ever added"). */
void palloc_reserve(struct palloc *pa, uint64_t phys, uint64_t size);

/* Allocate npages physically contiguous frames whose first frame address
 * is a multiple of align_pages * PAGE_SIZE (align_pages a power of two;
 * 0 or 1 mean 4 KiB). Alignment is of the physical address, not of the
 * index inside the bitmap. Next-fit from pa->hint, wrapping once.
 * Returns 0 and the address in *phys_out, -EINVAL for npages 0, a bad
 * alignment or a NULL phys_out, -ENOMEM if no such run is free. */
int palloc_alloc(struct palloc *pa, uint64_t npages, uint64_t align_pages, uint64_t *phys_out);

/* Free npages frames starting at phys. -EINVAL (and nothing changed) if
 * phys is not page-aligned, npages is 0, the range leaves the covered
 * area, or any frame in it is already free (double free). The allocator
 * cannot tell an allocated frame from a reserved or non-RAM one: free only
 * what palloc_alloc() returned. */
int palloc_free(struct palloc *pa, uint64_t phys, uint64_t npages);

/* true if the frame containing phys is covered and free. */
bool palloc_is_free(const struct palloc *pa, uint64_t phys);

#endif
