/* I/O APIC register model (Intel 82093AA I/O APIC datasheet, section 3). */
#include "vmm/dev/vioapic.h"
#include "lib/string.h"
#include "lib/errno.h"

/* Indirect registers (datasheet, 3.2). */
#define REG_ID       0x00
#define REG_VER      0x01
#define REG_ARB      0x02
#define REG_REDIR    0x10       /* 0x10-0x3f: two dwords per entry */

/* Version 11h, maximum redirection entry 17h: 24 entries (3.2.2). */
#define IOAPIC_VERSION 0x00170011u

/* Redirection entry fields (3.2.4). */
#define RTE_VECTOR     0xffULL
#define RTE_MODE(e)    (((e) >> 8) & 7)
#define RTE_DM_NMI     4                /* delivery mode 100b (3.2.4) */
#define RTE_LOGICAL    (1ULL << 11)
#define RTE_STATUS     (1ULL << 12)     /* delivery status: always idle */
#define RTE_ACTIVE_LOW (1ULL << 13)
#define RTE_REMOTE_IRR (1ULL << 14)
#define RTE_LEVEL      (1ULL << 15)
#define RTE_MASKED     (1ULL << 16)
#define RTE_DEST_SHIFT 56
/* Software-writable bits of the low dword; delivery status and remote IRR
 * are read-only, 17-31 reserved. The high dword holds only the
 * destination in 63:56. */
#define RTE_LO_BITS    0x0001afffULL
#define RTE_HI_BITS    0xff000000ULL

void vioapic_init(struct vioapic *io, uint8_t id,
		  void (*deliver)(void *ctx, uint32_t dest, bool logical, uint8_t mode,
				  uint8_t vector, bool level),
		  void *ctx)
{
	memset(io, 0, sizeof(*io));
	io->id = id & 0x0f;
	io->deliver = deliver;
	io->ctx = ctx;
	/* Reset masks every entry (3.2.4, bit 16). */
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		io->redir[i] = RTE_MASKED;
}

static bool asserted(const struct vioapic *io, unsigned pin)
{
	bool high = (io->pin_level >> pin) & 1;

	/* Polarity, bit 13: 1 = active low (3.2.4). */
	return (io->redir[pin] & RTE_ACTIVE_LOW) ? !high : high;
}

/* Only fixed and lowest-priority messages can be level-triggered: SMI,
 * NMI, INIT and ExtINT are edge whatever the trigger bit says (3.2.4,
 * delivery mode). */
static bool level_mode(uint64_t e)
{
	return (e & RTE_LEVEL) && RTE_MODE(e) <= 1;
}

static void send(struct vioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];

	if (io->deliver)
		io->deliver(io->ctx, (uint32_t)(e >> RTE_DEST_SHIFT), e & RTE_LOGICAL,
			    (uint8_t)RTE_MODE(e), (uint8_t)(e & RTE_VECTOR), level_mode(e));
}

/* A level-triggered input: one message per assertion, then nothing until
 * the EOI for it clears remote IRR (3.2.4, bit 14). Remote IRR is set
 * before the message leaves, in case the receiver's EOI comes back at
 * once. */
static void service_level(struct vioapic *io, unsigned pin)
{
	uint64_t e = io->redir[pin];

	if ((e & (RTE_MASKED | RTE_REMOTE_IRR)) || !asserted(io, pin))
		return;
	io->redir[pin] |= RTE_REMOTE_IRR;
	send(io, pin);
}

void vioapic_set_irq(struct vioapic *io, unsigned gsi, bool level)
{
	bool was;

	if (gsi >= VIOAPIC_PINS)
		return;
	was = asserted(io, gsi);
	if (level)
		io->pin_level |= 1u << gsi;
	else
		io->pin_level &= ~(1u << gsi);
	if (level_mode(io->redir[gsi])) {
		service_level(io, gsi);
		return;
	}
	/* Edge: masked edges are ignored, not held (3.2.4, bit 16). */
	if (!was && asserted(io, gsi) && !(io->redir[gsi] & RTE_MASKED))
		send(io, gsi);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	for (unsigned i = 0; i < VIOAPIC_PINS; i++) {
		uint64_t e = io->redir[i];

		if (!(e & RTE_REMOTE_IRR) || (e & RTE_VECTOR) != vector)
			continue;
		io->redir[i] &= ~RTE_REMOTE_IRR;
		if (io->eoi_hook)
			io->eoi_hook(io->eoi_ctx, i);
		if (level_mode(e))
			service_level(io, i);
	}
}

bool vioapic_nmi_armed(const struct vioapic *io)
{
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		if (!(io->redir[i] & RTE_MASKED) && RTE_MODE(io->redir[i]) == RTE_DM_NMI)
			return true;
	return false;
}

static void redir_write(struct vioapic *io, unsigned pin, bool high, uint32_t val)
{
	uint64_t e = io->redir[pin];

	if (high) {
		e = (e & 0xffffffffULL) | (((uint64_t)val << 32) & (RTE_HI_BITS << 32));
	} else {
		e = (e & ~0xffffffffULL) | (e & RTE_REMOTE_IRR) | (val & RTE_LO_BITS);
		/* An entry made edge-triggered drops its remote IRR. Linux
		 * relies on this to retire a stuck level interrupt on IOAPICs
		 * without an EOI register (version < 20h): it flips the entry
		 * to edge and back (__eoi_ioapic_pin). */
		if (!(e & RTE_LEVEL))
			e &= ~RTE_REMOTE_IRR;
	}
	io->redir[pin] = e;
	/* Unmasking, or making level, an entry whose input is asserted
	 * delivers now: level inputs are sampled, not latched. */
	if (level_mode(e))
		service_level(io, pin);
}

static uint32_t reg_read(const struct vioapic *io)
{
	unsigned r = io->ioregsel;

	switch (r) {
	case REG_ID:
	case REG_ARB:
		/* The arbitration ID is loaded from the ID (3.2.3). */
		return (uint32_t)io->id << 24;
	case REG_VER:
		return IOAPIC_VERSION;
	default:
		if (r >= REG_REDIR && r < REG_REDIR + 2 * VIOAPIC_PINS) {
			uint64_t e = io->redir[(r - REG_REDIR) / 2];

			return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
		}
		return 0;               /* reserved */
	}
}

static void reg_write(struct vioapic *io, uint32_t val)
{
	unsigned r = io->ioregsel;

	if (r == REG_ID)
		io->id = (val >> 24) & 0x0f;    /* 3.2.1: bits 27:24 */
	else if (r >= REG_REDIR && r < REG_REDIR + 2 * VIOAPIC_PINS)
		redir_write(io, (r - REG_REDIR) / 2, r & 1, val);
	/* VER and ARB are read-only; the rest is reserved. */
}

int vioapic_read(struct vioapic *io, uint32_t offset, unsigned size, uint32_t *val)
{
	*val = 0;
	if (offset >= VIOAPIC_SIZE || size > VIOAPIC_SIZE - offset)
		return -EINVAL;
	switch (offset) {
	case VIOAPIC_IOREGSEL:
		/* An 8-bit register; byte and dword access both work. */
		if (size != 1 && size != 4)
			return -EINVAL;
		*val = io->ioregsel;
		return 0;
	case VIOAPIC_IOWIN:
		if (size != 4)
			return -EINVAL;
		*val = reg_read(io);
		return 0;
	default:
		return 0;
	}
}

int vioapic_write(struct vioapic *io, uint32_t offset, unsigned size, uint32_t val)
{
	if (offset >= VIOAPIC_SIZE || size > VIOAPIC_SIZE - offset)
		return -EINVAL;
	switch (offset) {
	case VIOAPIC_IOREGSEL:
		if (size != 1 && size != 4)
			return -EINVAL;
		io->ioregsel = (uint8_t)val;
		return 0;
	case VIOAPIC_IOWIN:
		if (size != 4)
			return -EINVAL;
		reg_write(io, val);
		return 0;
	default:
		return 0;
	}
}
