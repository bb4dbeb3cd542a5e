/* An emulated 16550 UART (the guest's COM1): the partition's console.
 * Pure state machine; output leaves through a callback, the interrupt
 * line through another. Transmission is instant: THR is always empty. */
#ifndef VATRA_VMM_DEV_VUART_H
#define VATRA_VMM_DEV_VUART_H

#include <stdint.h>
#include <stdbool.h>

/* Receive queue: deep, as if the line had flow control. The operator's
 * keystrokes and the API's console input come in far faster than any
 * baud rate (a pasted or scripted line at once) and wait here until the
 * guest reads them, instead of overrunning a 16-byte FIFO. */
#define VUART_RXQ 4096

struct vuart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t rxq[VUART_RXQ];
	unsigned rx_head, rx_len;
	bool thre_pending;                   /* THR-empty interrupt not yet taken */
	bool irq_level;                      /* last level given to irq */
	void (*out)(void *ctx, uint8_t c);   /* a byte the guest transmitted */
	void (*irq)(void *ctx, bool level);  /* the interrupt line (gated by OUT2), or NULL */
	void *ctx;
};

void vuart_init(struct vuart *u, void (*out)(void *ctx, uint8_t c), void *ctx);
/* Register access at offset 0..7 from the base port (byte access). */
uint8_t vuart_read(struct vuart *u, unsigned off);
void vuart_write(struct vuart *u, unsigned off, uint8_t v);
/* Queues a byte for the guest to receive; false when the queue is full. */
bool vuart_rx(struct vuart *u, uint8_t c);

#endif
