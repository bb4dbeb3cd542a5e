/* Flat binary guest loader: a raw image started in 16-bit real mode the
 * way PC firmware starts a boot sector. Pure code. */
#ifndef VATRA_VMM_LOADER_FLAT_H
#define VATRA_VMM_LOADER_FLAT_H

#include <stddef.h>
#include <stdint.h>
#include "vmm/loader/loader.h"

#define FLAT_LOAD_MIN   0x1000u    /* keep the real-mode IVT and BDA page free */
#define FLAT_LOAD_END   0x9f000u   /* conventional memory below the EBDA */
#define FLAT_ALIGN      16u        /* so that CS = load_addr >> 4, IP = 0 is exact */
#define FLAT_STACK_TOP  0x10000u   /* SS = 0: the stack lives in the first 64 KiB */

/* Copies a raw binary to guest-physical load_addr and starts the vCPU there
 * in 16-bit real mode: CS = load_addr >> 4, IP = 0, all other segments 0.
 * The stack is SS:SP = 0:SP with SP = load_addr when load_addr < 64 KiB,
 * so it grows down just below the image as with the boot sector's
 * 0000:7C00 convention, and SP = 0 otherwise (the first push wraps to
 * 0000:FFFE, so the stack grows down from 64 KiB, below the image).
 * Either way the stack never runs into the image.
 * load_addr must be 16-byte aligned, at or above 0x1000, and the whole
 * binary (len >= 1) must end at or below 0x9f000 and inside guest RAM;
 * -EINVAL with st->err otherwise, and guest RAM is then untouched. */
int flat_load(struct guest_image *img, const uint8_t *bin, size_t len, uint64_t load_addr,
	      struct boot_state *st);

#endif
