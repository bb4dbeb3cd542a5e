/* The Vatra test device, for partitions with debug_exit = yes: a page of
 * MMIO registers that guest test kernels drive through many instruction
 * forms (tests/guests/README.md has the register map). Pure code. */
#ifndef VATRA_VMM_DEV_TESTDEV_H
#define VATRA_VMM_DEV_TESTDEV_H

#include <stdint.h>

#define TESTDEV_GPA  0xd0000000ULL
#define TESTDEV_SIZE 0x1000
#define TESTDEV_ID   0x0000564154524130ULL

struct testdev {
	uint8_t scratch[8];
	uint8_t array[256];
	uint64_t writes;
};

void testdev_reset(struct testdev *d);
/* off is relative to the device base; size 1, 2, 4 or 8. */
uint64_t testdev_read(struct testdev *d, uint64_t off, unsigned size);
void testdev_write(struct testdev *d, uint64_t off, unsigned size, uint64_t val);

#endif
