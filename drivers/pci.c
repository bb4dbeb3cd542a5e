/* PCI configuration mechanism #1: CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at
 * 0xCFC (PCI Local Bus 3.0, 3.2.2.3.2). */
#include "drivers/pci.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"

uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg)
{
	uint32_t v;

	outl(0xcf8, (1u << 31) | ((uint32_t)bus << 16) | ((uint32_t)dev << 11) |
	     ((uint32_t)fn << 8) | (reg & 0xfc));
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0xcfc));
	return v;
}

void pci_list(void)
{
	unsigned n = 0;

	for (unsigned bus = 0; bus < 256; bus++)
		for (unsigned dev = 0; dev < 32; dev++)
			for (unsigned fn = 0; fn < 8; fn++) {
				uint32_t id = pci_read32((uint8_t)bus, (uint8_t)dev, (uint8_t)fn, 0);
				uint32_t cls;
				if ((id & 0xffff) == 0xffff) {
					if (fn == 0)
						break;
					continue;
				}
				cls = pci_read32((uint8_t)bus, (uint8_t)dev, (uint8_t)fn, 8);
				kprintf("%02x:%02x.%x  %04x:%04x  class %02x%02x%02x\n", bus, dev, fn,
					id & 0xffff, id >> 16, cls >> 24, (cls >> 16) & 0xff,
					(cls >> 8) & 0xff);
				n++;
				/* Single-function devices answer on every function. */
				if (fn == 0 && !((pci_read32((uint8_t)bus, (uint8_t)dev, 0, 0xc) >> 16) & 0x80))
					break;
			}
	kprintf("%u PCI function(s)\n", n);
}
