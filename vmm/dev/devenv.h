/* What a device model gets from its partition: guest time and interrupt
 * lines. Device models are pure code: they see the world only through
 * this, so they build into host unit tests. */
#ifndef VATRA_VMM_DEV_DEVENV_H
#define VATRA_VMM_DEV_DEVENV_H

#include <stdint.h>
#include <stdbool.h>

#define DEV_NO_DEADLINE UINT64_MAX

struct dev_env {
	/* Guest time in nanoseconds: monotonic, starts near 0 when the
	 * partition starts. */
	uint64_t (*now_ns)(void *ctx);
	/* Sets the level of an interrupt line: an ISA IRQ (0-15) for the
	 * legacy devices, a GSI for the IOAPIC's inputs. Edge-triggered
	 * sources raise then lower it. */
	void (*irq_line)(void *ctx, unsigned line, bool level);
	void *ctx;
};

#endif
