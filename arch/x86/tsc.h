/* TSC frequency, measured once at boot against the ACPI PM timer (or the
 * 8254 PIT when ACPI has none). */
#ifndef VATRA_ARCH_X86_TSC_H
#define VATRA_ARCH_X86_TSC_H

#include <stdint.h>
#include <stdbool.h>

/* pm_tmr_port: the FADT's PM timer block, 0 if none. Returns kHz, or 0
 * when no reference timer answered. */
uint64_t tsc_calibrate(uint32_t pm_tmr_port, bool pm_tmr_32bit);

#endif
