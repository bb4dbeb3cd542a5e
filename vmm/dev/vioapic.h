/* An emulated I/O APIC (82093AA) with 24 inputs, at 0xfec00000: the
 * indirect IOREGSEL/IOWIN register window, the redirection table, and
 * edge and level (remote IRR) interrupt semantics. Pure state machine:
 * interrupts leave through the deliver callback, which the hypervisor
 * routes to the local APICs (vlapic_match_dest, vlapic_set_irq); the
 * local APICs' EOIs for level-triggered vectors come back through
 * vioapic_eoi. */
#ifndef VATRA_VMM_DEV_VIOAPIC_H
#define VATRA_VMM_DEV_VIOAPIC_H

#include <stdint.h>
#include <stdbool.h>

#define VIOAPIC_DEFAULT_BASE 0xfec00000ULL
#define VIOAPIC_SIZE         0x1000
#define VIOAPIC_PINS         24

/* MMIO offsets (82093AA datasheet, 3.1). */
#define VIOAPIC_IOREGSEL     0x00
#define VIOAPIC_IOWIN        0x10

struct vioapic {
	uint8_t id;             /* IOAPICID bits 27:24 */
	uint8_t ioregsel;
	uint32_t pin_level;     /* electrical level of each input */
	uint64_t redir[VIOAPIC_PINS];
	/* An interrupt message: dest is the entry's 8-bit destination field,
	 * logical its destination mode, mode its delivery mode (VLAPIC_DM_*
	 * values), level true for a level-triggered fixed or lowest-priority
	 * interrupt (the receiver sets TMR and will EOI it). */
	void (*deliver)(void *ctx, uint32_t dest, bool logical, uint8_t mode, uint8_t vector,
			bool level);
	void *ctx;
	/* Optional: told each input whose remote IRR an EOI cleared, before
	 * the entry is looked at again (a level source may let go then). */
	void (*eoi_hook)(void *ctx, unsigned gsi);
	void *eoi_ctx;
};

/* Reset state: every redirection entry masked, every input low. id is
 * the 4-bit IOAPIC ID the MADT reports. */
void vioapic_init(struct vioapic *io, uint8_t id,
		  void (*deliver)(void *ctx, uint32_t dest, bool logical, uint8_t mode,
				  uint8_t vector, bool level),
		  void *ctx);
/* Access at offset in the IOAPIC's page: IOREGSEL (size 1 or 4) and IOWIN
 * (size 4). Other offsets read 0 and ignore writes; -EINVAL for an access
 * past the page or a size those registers do not take. */
int vioapic_read(struct vioapic *io, uint32_t offset, unsigned size, uint32_t *val);
int vioapic_write(struct vioapic *io, uint32_t offset, unsigned size, uint32_t val);
/* Sets the electrical level of input gsi (0-23; others are ignored). An
 * input whose entry is active low (polarity bit 13) is asserted while
 * low: the source of such a line must drive it high (level true) while
 * idle, as the board's pull-up would. Edge-triggered: an unmasked entry
 * delivers on each inactive-to-active transition; edges while masked are
 * lost. Level-triggered: delivers while asserted, unmasked and remote IRR
 * is clear, and sets remote IRR (82093AA datasheet, 3.2.4). */
void vioapic_set_irq(struct vioapic *io, unsigned gsi, bool level);
/* A local APIC EOI for vector: clears remote IRR in the level-triggered
 * entries with that vector, calls eoi_hook for each, and delivers again
 * those still asserted. */
void vioapic_eoi(struct vioapic *io, uint8_t vector);
/* Whether an unmasked entry sends NMIs: its input can wake a CPU that
 * halted with interrupts off. */
bool vioapic_nmi_armed(const struct vioapic *io);

#endif
