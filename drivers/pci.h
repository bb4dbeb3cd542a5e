/* The machine's PCI devices, read through configuration mechanism #1. */
#ifndef VATRA_DRIVERS_PCI_H
#define VATRA_DRIVERS_PCI_H

#include <stdint.h>

uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg);
/* Prints every function found: address, vendor:device, class. */
void pci_list(void);

#endif
