/* 16550 register model (PC16550D datasheet, register summary table). */
#include "vmm/dev/vuart.h"
#include "lib/string.h"

enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };
#define LCR_DLAB 0x80
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10

void vuart_init(struct vuart *u, void (*out)(void *ctx, uint8_t c), void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->out = out;
	u->ctx = ctx;
}

bool vuart_rx(struct vuart *u, uint8_t c)
{
	if (u->rx_len == VUART_RXQ)
		return false;
	u->rxq[(u->rx_head + u->rx_len++) % VUART_RXQ] = c;
	return true;
}

uint8_t vuart_read(struct vuart *u, unsigned off)
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
		/* No interrupt pending; FIFOs enabled bits when FCR bit 0. */
		return (u->fcr & 1) ? 0xc1 : 0x01;
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

void vuart_write(struct vuart *u, unsigned off, uint8_t v)
{
	switch (off & 7) {
	case RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else if (u->mcr & MCR_LOOP)
			vuart_rx(u, v);
		else if (u->out)
			u->out(u->ctx, v);
		break;
	case IER:
		if (u->lcr & LCR_DLAB)
			u->dlm = v;
		else
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
