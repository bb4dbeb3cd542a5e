/* 16550 UART driver (register layout from the PC16550D datasheet). */
#include "drivers/uart.h"
#include "arch/x86/cpu.h"

enum {
	UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
	UART_IER = 1, UART_DLM = 1,
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_SCR = 7,
};
#define LSR_DR   0x01   /* data ready */
#define LSR_THRE 0x20   /* transmit holding register empty */
#define LCR_DLAB 0x80

static uint16_t base;   /* 0 = no console UART */

bool uart_init(uint16_t port, uint32_t baud)
{
	uint16_t div = (uint16_t)(115200 / (baud ? baud : 115200));

	/* The scratch register exists on every 16450/16550: if it does not
	 * hold a value, nothing is at this port. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a) {
		base = 0;
		return false;
	}
	outb(port + UART_IER, 0x00);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, (uint8_t)div);
	outb(port + UART_DLM, (uint8_t)(div >> 8));
	outb(port + UART_LCR, 0x03);          /* 8N1 */
	outb(port + UART_FCR, 0x07);          /* FIFO on, both cleared */
	outb(port + UART_MCR, 0x03);          /* DTR, RTS */
	base = port;
	return true;
}

void uart_putc(char c)
{
	unsigned spins = 0;

	if (!base)
		return;
	/* Bounded wait: a wedged UART must not hang the hypervisor. */
	while (!(inb(base + UART_LSR) & LSR_THRE) && ++spins < 100000)
		cpu_relax();
	outb(base + UART_THR, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

int uart_getc(void)
{
	if (!base || !(inb(base + UART_LSR) & LSR_DR))
		return -1;
	return inb(base + UART_RBR);
}
