/* Flat binary loader: the boot-sector model (PC firmware loads the boot
 * sector to 0000:7C00 and jumps there in real mode; BIOS Boot
 * Specification 1.01), generalised to any 16-byte aligned address in
 * conventional memory. */
#include "vmm/loader/flat.h"
#include "lib/string.h"
#include "lib/errno.h"

int flat_load(struct guest_image *img, const uint8_t *bin, size_t len, uint64_t load_addr,
	      struct boot_state *st)
{
	int r = loader_begin(img, st);

	if (r)
		return r;
	if (!bin || !len)
		return loader_fail(st, "flat binary is empty");
	if (load_addr & (FLAT_ALIGN - 1))
		return loader_fail(st, "flat load address is not 16-byte aligned (CS = addr >> 4, IP = 0)");
	if (load_addr < FLAT_LOAD_MIN)
		return loader_fail(st, "flat load address is below 0x1000");
	/* Real mode reaches 1 MiB, and below it only conventional memory
	 * is RAM on a PC: the binary must end by 0x9f000. */
	if (load_addr >= FLAT_LOAD_END || len > FLAT_LOAD_END - load_addr)
		return loader_fail(st, "flat binary does not end at or below 0x9f000");
	if (load_addr + len > img->size)
		return loader_fail(st, "flat binary does not fit in guest RAM");

	memcpy(img->ram + load_addr, bin, len);
	st->mode = BOOT_REAL16;
	st->cs_sel = (uint16_t)(load_addr >> 4);
	st->rip = 0;
	/* SS = 0. Below 64 KiB the stack sits under the image (SP = the
	 * image's address, pushes go below it); above, SP = 0 wraps so the
	 * first push lands at 0xfffe, still below the image. */
	st->rsp = load_addr < FLAT_STACK_TOP ? load_addr : 0;
	return 0;
}
