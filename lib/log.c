/* Log ring and console output. One lock guards the ring and the sink, so
 * lines from different CPUs never interleave. */
#include <stdint.h>
#include <stdbool.h>
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/spinlock.h"

static void (*sink)(const char *s, size_t n);
static void (*fatal_hook)(void);
static bool mid_line;           /* the console's last output did not end a line */
static enum log_level level = LOG_INFO;
static char ring[LOG_RING_SIZE];
static uint64_t ring_head;      /* bytes ever written */
static struct spinlock lock;
static void (*tap)(enum log_level lvl, const char *line, size_t n);

/* A CPU that faults while holding the lock must still get its report
 * out: after ~a second of spinning the lock is taken anyway. */
static bool log_lock(void)
{
	for (unsigned long i = 0; !spin_trylock(&lock); i++)
		if (i > 200000000UL)
			return false;   /* went ahead without it */
	return true;
}

static void log_unlock(bool held)
{
	if (held)
		spin_unlock(&lock);
}

static const char *const prefix[] = {
	[LOG_ERROR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void log_set_sink(void (*s)(const char *, size_t))
{
	sink = s;
}

void log_set_tap(void (*t)(enum log_level lvl, const char *line, size_t n))
{
	tap = t;
}

void log_set_level(enum log_level lvl)
{
	level = lvl;
}

static void ring_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ring[(ring_head++) % LOG_RING_SIZE] = s[i];
}

size_t log_ring_read(size_t *pos, char *buf, size_t n)
{
	uint64_t oldest, p;
	size_t c = 0;
	bool held;

	held = log_lock();
	oldest = ring_head > LOG_RING_SIZE ? ring_head - LOG_RING_SIZE : 0;
	p = oldest + *pos;
	while (c < n && p < ring_head)
		buf[c++] = ring[(p++) % LOG_RING_SIZE];
	log_unlock(held);
	*pos += c;
	return c;
}

static void console_out(const char *s, size_t n)
{
	if (!sink || !n)
		return;
	sink(s, n);
	mid_line = s[n - 1] != '\n';
}

/* Messages start on a line of their own, even after a prompt. */
static void line_start(void)
{
	if (mid_line)
		console_out("\n", 1);
}

void kputline(const char *fmt, ...)
{
	char buf[512];
	bool held;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	held = log_lock();
	line_start();
	console_out(buf, (size_t)n);
	log_unlock(held);
}

void kvprintf(const char *fmt, va_list ap)
{
	char buf[512];
	bool held;
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	held = log_lock();
	console_out(buf, (size_t)n);
	log_unlock(held);
}

static void console_sink_write(void *ctx, const char *s, size_t n)
{
	bool held = log_lock();

	console_out(s, n);
	log_unlock(held);
}

struct sink log_console_sink = { console_sink_write, NULL };

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char buf[512];
	bool held;
	size_t p = 0;
	va_list ap;
	int n;

	if (lvl > LOG_DEBUG)
		lvl = LOG_DEBUG;
	p = (size_t)snprintf(buf, sizeof(buf), "%s", prefix[lvl]);
	va_start(ap, fmt);
	n = vsnprintf(buf + p, sizeof(buf) - p - 1, fmt, ap);
	va_end(ap);
	p += (size_t)n < sizeof(buf) - p - 1 ? (size_t)n : sizeof(buf) - p - 2;
	if (p == 0 || buf[p - 1] != '\n')
		buf[p++] = '\n';
	held = log_lock();
	ring_put(buf, p);   /* the ring keeps every level */
	if (tap && lvl <= level)
		tap(lvl, buf, p);
	if (lvl <= level) {
		line_start();
		console_out(buf, p);
	}
	log_unlock(held);
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(LOG_ERROR, "PANIC at %s:%d: %s", file, line, buf);
	log_fatal_stop();
}

void log_set_fatal_hook(void (*stop)(void))
{
	fatal_hook = stop;
}

void log_fatal_stop(void)
{
	if (fatal_hook)
		fatal_hook();
	for (;;)
		__asm__ volatile("cli; hlt");
}
