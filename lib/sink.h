/* Output sinks: where a report or a command's reply goes. The serial
 * shell hands commands the console sink; the network API (later) a
 * sink that fills a response buffer. */
#ifndef VATRA_LIB_SINK_H
#define VATRA_LIB_SINK_H

#include <stdarg.h>
#include <stddef.h>

struct sink {
	void (*write)(void *ctx, const char *s, size_t n);
	void *ctx;
};

void sink_write(struct sink *out, const char *s, size_t n);
/* Formats into a line-sized buffer (512 bytes; longer output is cut
 * there) and writes the result to out. */
void sink_printf(struct sink *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sink_vprintf(struct sink *out, const char *fmt, va_list ap);

/* A sink that collects into a caller's buffer, always NUL-terminated;
 * what does not fit is counted in dropped. */
struct sink_buf {
	struct sink sink;
	char *buf;
	size_t size, len, dropped;
};
void sink_buf_init(struct sink_buf *sb, char *buf, size_t size);

#endif
