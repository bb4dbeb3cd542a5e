/* What a device model gets from its partition: guest time, interrupt
 * lines, guest memory (RAM only) and MSI delivery. Device models are pure code: they see the world only through
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
	/* Guest RAM by guest-physical address, as a device's DMA reaches it:
	 * 0, or -EFAULT (nothing copied) when any byte of [gpa, gpa+len) lies
	 * outside the partition's RAM. */
	int (*mem_read)(void *ctx, uint64_t gpa, void *buf, uint64_t len);
	int (*mem_write)(void *ctx, uint64_t gpa, const void *buf, uint64_t len);
	/* A message-signalled interrupt, the address/data pair a function's
	 * MSI capability holds, delivered to the partition's local APICs:
	 * 0, or -EINVAL for a message no APIC accepts (vmm/dev/msi.h). */
	int (*msi)(void *ctx, uint64_t addr, uint32_t data);
	void *ctx;
};

#endif
