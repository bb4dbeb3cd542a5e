/* 16550-compatible UART: the hypervisor's serial console. Polled. */
#ifndef VATRA_DRIVERS_UART_H
#define VATRA_DRIVERS_UART_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* Programs the UART at I/O port base for baud, 8N1, FIFOs on. Returns false
 * (and leaves output off) when no UART answers at that port. */
bool uart_init(uint16_t port, uint32_t baud);
void uart_putc(char c);
void uart_write(const char *s, size_t n);
/* A received byte, or -1 when none is waiting. */
int uart_getc(void);

#endif
