/* Power control. */
#include "arch/x86/power.h"
#include "arch/x86/cpu.h"
#include "lib/errno.h"

void power_debug_exit(uint8_t status)
{
	const char *s = "Shutdown";

	outl(0xf4, status);
	while (*s)
		outb(0x8900, (uint8_t)*s++);
}

int power_off(const struct acpi_info *ai)
{
	/* ACPI 6.4, 4.8.3.2.1: SLP_TYP in bits 10-12, SLP_EN is bit 13. */
	if (!ai || !ai->have_fadt || !ai->have_s5 || !ai->pm1a_cnt)
		return -ENODEV;
	outw((uint16_t)ai->pm1a_cnt, (uint16_t)((ai->slp_typa << 10) | (1u << 13)));
	if (ai->pm1b_cnt)
		outw((uint16_t)ai->pm1b_cnt, (uint16_t)((ai->slp_typb << 10) | (1u << 13)));
	for (int i = 0; i < 1000000; i++)
		cpu_relax();
	return -EIO;
}

void power_reset(const struct acpi_info *ai)
{
	/* FADT RESET_REG in system I/O space (space id 1). */
	if (ai && ai->have_fadt && ai->reset_supported && ai->reset_reg.space == 1)
		outb((uint16_t)ai->reset_reg.addr, ai->reset_value);
	for (int i = 0; i < 100000; i++)
		cpu_relax();
	outb(0xcf9, 0x02);
	outb(0xcf9, 0x06);      /* hard reset through the PCI reset control */
	for (int i = 0; i < 100000; i++)
		cpu_relax();
	outb(0x64, 0xfe);       /* keyboard controller pulse reset line */
	for (int i = 0; i < 100000; i++)
		cpu_relax();
}
