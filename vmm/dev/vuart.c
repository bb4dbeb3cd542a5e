/* 16550 register model (PC16550D datasheet, register summary table). */
#include "vmm/dev/vuart.h"
#include "lib/string.h"

enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };
#define LCR_DLAB 0x80
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MCR_OUT2 0x08   /* gates the interrupt line on a PC */
#define IER_RDI  0x01
#define IER_THRI 0x02

void vuart_init(struct vuart *u, void (*out)(void *ctx, uint8_t c), void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->out = out;
	u->ctx = ctx;
}

/* IIR by priority: received data, then THR empty (PC16550D, Table 4). */
static uint8_t iir(const struct vuart *u)
{
	uint8_t fifo = (u->fcr & 1) ? 0xc0 : 0;

	if ((u->ier & IER_RDI) && u->rx_len)
		return fifo | 0x04;
	if ((u->ier & IER_THRI) && u->thre_pending)
		return fifo | 0x02;
	return fifo | 0x01;
}

static void update_irq(struct vuart *u)
{
	bool level = !(iir(u) & 1) && (u->mcr & MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->ctx, level);
	}
}

bool vuart_rx(struct vuart *u, uint8_t c)
{
	if (u->rx_len == VUART_RXQ)
		return false;
	u->rxq[(u->rx_head + u->rx_len++) % VUART_RXQ] = c;
	update_irq(u);
	return true;
}

static uint8_t reg_read(struct vuart *u, unsigned off)
{
	uint8_t v;

	switch (off & 7) {
	case RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		if (!u->rx_len)
			return 0;
		v = u->rxq[u->rx_head];
		u->rx_head = (u->rx_head + 1) % VUART_RXQ;
		u->rx_len--;
		return v;
	case IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case IIR_FCR:
		v = iir(u);
		/* Reading IIR with THR empty as the source clears it. */
		if ((v & 0x0f) == 0x02)
			u->thre_pending = false;
		return v;
	case LCR:
		return u->lcr;
	case MCR:
		return u->mcr;
	case LSR:
		/* The transmitter is always ready: output is taken at once. */
		return LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0);
	case MSR:
		/* CTS, DSR, DCD asserted; in loopback they follow MCR. */
		if (u->mcr & MCR_LOOP)
			return (uint8_t)(((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) |
					 ((u->mcr & 0x0c) << 4));
		return 0xb0;
	default:
		return u->scr;
	}
}

uint8_t vuart_read(struct vuart *u, unsigned off)
{
	uint8_t v = reg_read(u, off);

	update_irq(u);
	return v;
}

static void reg_write(struct vuart *u, unsigned off, uint8_t v)
{
	switch (off & 7) {
	case RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		if (u->mcr & MCR_LOOP)
			vuart_rx(u, v);
		else if (u->out)
			u->out(u->ctx, v);
		u->thre_pending = true;   /* sent at once: empty again */
		break;
	case IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling the THR-empty interrupt while THR is empty raises
		 * it at once. */
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thre_pending = true;
		u->ier = v & 0x0f;
		break;
	case IIR_FCR:
		u->fcr = v & 0xc9;
		if (v & 0x02) {          /* clear the receive FIFO */
			u->rx_len = 0;
			u->rx_head = 0;
		}
		break;
	case LCR:
		u->lcr = v;
		break;
	case MCR:
		u->mcr = v & 0x1f;
		break;
	case LSR:
	case MSR:
		break;                  /* read-only */
	default:
		u->scr = v;
	}
}

void vuart_write(struct vuart *u, unsigned off, uint8_t v)
{
	reg_write(u, off, v);
	update_irq(u);
}
