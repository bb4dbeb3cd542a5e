/* Per-partition console rings and the attach state. vCPUs on every CPU
 * write here while the shell reads: one lock guards the rings and the
 * attach state. */
#include "mgmt/console.h"
#include "vmm/partition.h"
#include "drivers/uart.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "lib/spinlock.h"

struct ring {
	char buf[CONSOLE_RING];
	uint64_t head;          /* bytes ever written */
	char line[200];         /* the current line, for prefixed output */
	unsigned linelen;
};

static struct ring rings[PART_MAX];
static int attached = CONSOLE_NONE;
static bool quiet;            /* console_mode = quiet: detached output only kept */
static struct spinlock lock;

void console_set_quiet(bool q)
{
	quiet = q;
}

static void line_out(struct ring *r, const char *name)
{
	r->line[r->linelen] = '\0';
	if (attached == CONSOLE_NONE && !quiet)
		kputline("[%s] %s\n", name, r->line);
	r->linelen = 0;
}

static void put(unsigned id, const char *name, uint8_t c)
{
	struct ring *r;

	if (id >= PART_MAX)
		return;
	r = &rings[id];
	r->buf[r->head++ % CONSOLE_RING] = (char)c;
	if (attached == (int)id) {
		uart_write((const char *)&c, 1);
		if (c == '\n')
			r->linelen = 0;
		return;
	}
	if (c == '\r')
		return;
	if (c != '\n' && r->linelen < sizeof(r->line) - 1) {
		r->line[r->linelen++] = (char)((c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?');
		return;
	}
	line_out(r, name);
	if (c != '\n')
		put(id, name, c);
}

void console_put(unsigned id, const char *name, uint8_t c)
{
	spin_lock(&lock);
	put(id, name, c);
	spin_unlock(&lock);
}

void console_flush(unsigned id, const char *name)
{
	spin_lock(&lock);
	if (id < PART_MAX && rings[id].linelen)
		line_out(&rings[id], name);
	spin_unlock(&lock);
}

static size_t tail_locked(int id, unsigned n, char *buf, size_t size)
{
	const struct ring *r;
	uint64_t start, oldest, p;
	unsigned lines = 0;
	size_t len = 0;

	if (id < 0 || id >= PART_MAX || !size)
		return 0;
	r = &rings[id];
	oldest = r->head > CONSOLE_RING ? r->head - CONSOLE_RING : 0;
	/* Walk back over n newlines (a trailing one ends the last line). */
	start = r->head;
	p = r->head;
	while (p > oldest) {
		char c = r->buf[(p - 1) % CONSOLE_RING];
		if (c == '\n' && p != r->head && ++lines == n)
			break;
		p--;
	}
	start = p;
	for (p = start; p < r->head && len + 1 < size; p++)
		buf[len++] = r->buf[p % CONSOLE_RING];
	buf[len] = '\0';
	return len;
}


int console_attach(int id, unsigned replay_lines)
{
	static char tail[CONSOLE_RING + 1];
	size_t n;

	if (id < 0 || id >= PART_MAX)
		return -EINVAL;
	/* Replay and switch under the lock: no byte is shown twice or lost
	 * between the two. */
	spin_lock(&lock);
	n = tail_locked(id, replay_lines, tail, sizeof(tail));
	uart_write(tail, n);
	attached = id;
	spin_unlock(&lock);
	return 0;
}

void console_detach(void)
{
	spin_lock(&lock);
	attached = CONSOLE_NONE;
	spin_unlock(&lock);
}

int console_attached(void)
{
	return attached;
}
