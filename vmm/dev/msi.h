/* Message-signalled interrupts as a device writes them: the address and
 * data a PCI function's MSI or MSI-X entry holds, decoded into what a
 * local APIC receives (Intel SDM Vol. 3A, 11.11; AMD APM Vol. 2, 16.x
 * uses the same format). Pure code. */
#ifndef VATRA_VMM_DEV_MSI_H
#define VATRA_VMM_DEV_MSI_H

#include <stdint.h>
#include <stdbool.h>

struct msi_msg {
	uint8_t dest;        /* destination APIC ID, address bits 19:12 */
	bool logical;        /* destination mode, address bit 2 */
	bool redirect;       /* redirection hint, address bit 3 */
	uint8_t mode;        /* delivery mode, data bits 10:8 (VLAPIC_DM_*) */
	uint8_t vector;      /* data bits 7:0 */
	bool level;          /* trigger mode, data bit 15: level-triggered */
	bool assert;         /* level, data bit 14 (meaningful for level only) */
};

/* Decodes one message: 0, or -EINVAL when the address is not in the
 * 0xFEExxxxx interrupt window (11.11.1) or the delivery mode is one the
 * SDM reserves for MSI (011b, 110b; 11.11.2). */
int msi_decode(uint64_t addr, uint32_t data, struct msi_msg *m);
/* The address and data that deliver vector to dest (fixed, edge). */
uint64_t msi_addr(uint8_t dest, bool logical);
uint32_t msi_data(uint8_t vector);

#endif
