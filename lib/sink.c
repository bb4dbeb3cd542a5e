/* Output sinks (lib/sink.h). */
#include "lib/sink.h"
#include "lib/printf.h"
#include "lib/string.h"

void sink_write(struct sink *out, const char *s, size_t n)
{
	if (out && out->write && n)
		out->write(out->ctx, s, n);
}

void sink_vprintf(struct sink *out, const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	sink_write(out, buf, (size_t)n);
}

void sink_printf(struct sink *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vprintf(out, fmt, ap);
	va_end(ap);
}

static void buf_write(void *ctx, const char *s, size_t n)
{
	struct sink_buf *sb = ctx;
	size_t room = sb->size ? sb->size - 1 - sb->len : 0;
	size_t take = n < room ? n : room;

	memcpy(sb->buf + sb->len, s, take);
	sb->len += take;
	sb->dropped += n - take;
	if (sb->size)
		sb->buf[sb->len] = '\0';
}

void sink_buf_init(struct sink_buf *sb, char *buf, size_t size)
{
	sb->sink.write = buf_write;
	sb->sink.ctx = sb;
	sb->buf = buf;
	sb->size = size;
	sb->len = 0;
	sb->dropped = 0;
	if (size)
		buf[0] = '\0';
}
