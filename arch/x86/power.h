/* Ending the machine's run: ACPI power-off and reset, and the debug-exit
 * ports emulators offer to test rigs. */
#ifndef VATRA_ARCH_X86_POWER_H
#define VATRA_ARCH_X86_POWER_H

#include <stdint.h>
#include "drivers/acpi.h"

/* Reports status to an emulator's exit device: QEMU's isa-debug-exit at
 * port 0xf4 (exits with (status << 1) | 1) and Bochs' 0x8900 "Shutdown".
 * Returns if neither is present. Only for configurations that ask for it
 * (on_all_stopped = exit). */
void power_debug_exit(uint8_t status);

/* ACPI S5 through PM1a/PM1b control; returns -ENODEV when ACPI gave no way. */
int power_off(const struct acpi_info *ai);

/* FADT reset register, then the 0xCF9 reset control and the keyboard
 * controller; returns only if all of them failed. */
void power_reset(const struct acpi_info *ai);

#endif
