/* MSI address/data decoding. See vmm/dev/msi.h. */
#include "vmm/dev/msi.h"
#include "lib/errno.h"

/* Intel SDM Vol. 3A, 11.11.1 (Figure 11-24): bits 31:20 are 0FEEh. */
#define MSI_ADDR_BASE   0xfee00000u
#define MSI_ADDR_MASK   0xfff00000u

int msi_decode(uint64_t addr, uint32_t data, struct msi_msg *m)
{
	uint8_t mode = (data >> 8) & 7;

	/* A 64-bit message address has its upper half 0 for interrupts. */
	if (addr >> 32 || ((uint32_t)addr & MSI_ADDR_MASK) != MSI_ADDR_BASE)
		return -EINVAL;
	/* 11.11.2 (Figure 11-25): 011b and 110b are reserved; StartUp is
	 * not an MSI delivery mode either. */
	if (mode == 3 || mode == 6)
		return -EINVAL;
	m->dest = (uint8_t)(addr >> 12);
	m->redirect = addr & (1u << 3);
	m->logical = addr & (1u << 2);
	m->mode = mode;
	m->vector = (uint8_t)data;
	m->level = data & (1u << 15);
	m->assert = data & (1u << 14);
	return 0;
}

uint64_t msi_addr(uint8_t dest, bool logical)
{
	return MSI_ADDR_BASE | (uint32_t)dest << 12 | (logical ? 1u << 2 : 0);
}

uint32_t msi_data(uint8_t vector)
{
	return vector;
}
