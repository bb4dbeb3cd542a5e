/* I/O and MSR permission map bit math. See arch/x86/permmap.h. */
#include "arch/x86/permmap.h"
#include "lib/errno.h"

static void permmap_bit(uint8_t *map, unsigned bit, bool set)
{
	if (set)
		map[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

static bool permmap_get(const uint8_t *map, unsigned bit)
{
	return map[bit / 8] & (1u << (bit % 8));
}

void permmap_io_set(uint8_t *map, unsigned port, unsigned len, bool intercept)
{
	for (unsigned p = port; p < port + len && p < 0x10000; p++)
		permmap_bit(map, p, intercept);
}

bool permmap_io_exits(const uint8_t *map, unsigned port)
{
	return port >= 0x10000 || permmap_get(map, port);
}

/* The bit numbers of msr's read and write intercepts, or false when the
 * map does not cover it. */
static bool permmap_msr_bits(enum permmap_msr_layout l, uint32_t msr, unsigned *rd,
			     unsigned *wr)
{
	static const uint32_t svm_base[3] = { 0, 0xc0000000u, 0xc0010000u };
	static const uint32_t vmx_base[2] = { 0, 0xc0000000u };

	if (l == PERMMAP_SVM) {
		for (unsigned v = 0; v < 3; v++)
			if (msr - svm_base[v] < 0x2000) {
				/* 2 KiB = 16384 bits a vector, 2 bits an MSR. */
				*rd = v * 0x4000 + 2 * (msr - svm_base[v]);
				*wr = *rd + 1;
				return true;
			}
		return false;
	}
	for (unsigned v = 0; v < 2; v++)
		if (msr - vmx_base[v] < 0x2000) {
			/* 1 KiB = 8192 bits a bitmap; writes 2 KiB on. */
			*rd = v * 0x2000 + (msr - vmx_base[v]);
			*wr = *rd + 0x4000;
			return true;
		}
	return false;
}

int permmap_msr_set(enum permmap_msr_layout l, uint8_t *map, uint32_t msr, bool rd_exit,
		    bool wr_exit)
{
	unsigned rd, wr;

	if (!permmap_msr_bits(l, msr, &rd, &wr))
		return -EINVAL;
	permmap_bit(map, rd, rd_exit);
	permmap_bit(map, wr, wr_exit);
	return 0;
}

bool permmap_msr_exits(enum permmap_msr_layout l, const uint8_t *map, uint32_t msr, bool write)
{
	unsigned rd, wr;

	if (!permmap_msr_bits(l, msr, &rd, &wr))
		return true;
	return permmap_get(map, write ? wr : rd);
}
