/* Per-partition console rings and the attach state. vCPUs on every CPU
 * write here while the shell reads: one lock guards the rings and the
 * attach state. */
#include "mgmt/console.h"
#include "vmm/partition.h"
#include "drivers/uart.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "lib/spinlock.h"

struct ring {
	char buf[CONSOLE_RING];
	uint64_t head;          /* bytes ever written */
	uint64_t shown;         /* of those, bytes the drain has dealt with */
	uint64_t lost;          /* overwritten before the drain reached them */
	const char *name;       /* the partition's name, for the prefix */
	char line[200];         /* the current line, for prefixed output */
	unsigned linelen;
	bool raw_open;          /* attached: the raw output ends mid-line */
	bool flush;             /* end the partial line when the drain */
	uint64_t flush_at;      /* reaches this byte (the stop's) */
};

static struct ring rings[PART_MAX];
static int attached = CONSOLE_NONE;
static bool quiet;            /* console_mode = quiet: detached output only kept */
static struct spinlock lock;

void console_set_quiet(bool q)
{
	quiet = q;
}

/* Writers only fill the ring: the serial line is the drain's (slow on a
 * real line: 115200 baud is 11.5 bytes per ms), so no vCPU waits for it
 * while holding its partition. Output the drain has not reached when the
 * ring wraps is counted as lost. */
static void put(unsigned id, const char *name, uint8_t c)
{
	struct ring *r;

	if (id >= PART_MAX)
		return;
	r = &rings[id];
	r->name = name;
	r->buf[r->head++ % CONSOLE_RING] = (char)c;
	if (r->head - r->shown > CONSOLE_RING) {
		r->lost += r->head - CONSOLE_RING - r->shown;
		r->shown = r->head - CONSOLE_RING;
	}
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
	if (id < PART_MAX) {
		rings[id].name = name;
		rings[id].flush = true;
		rings[id].flush_at = rings[id].head;
	}
	spin_unlock(&lock);
}

/* What one drain step prints, gathered under the lock and written after
 * it: whole prefixed lines, or raw bytes for the attached partition. */
static char out[CONSOLE_DRAIN_MAX + 256];
static size_t outlen;

static void out_line(struct ring *r)
{
	const char *name = r->name ? r->name : "?";
	size_t n = strlen(name);

	r->line[r->linelen] = '\0';
	if (attached == CONSOLE_NONE && !quiet && outlen + n + r->linelen + 4 < sizeof(out)) {
		out[outlen++] = '[';
		memcpy(out + outlen, name, n);
		outlen += n;
		out[outlen++] = ']';
		out[outlen++] = ' ';
		memcpy(out + outlen, r->line, r->linelen);
		outlen += r->linelen;
		out[outlen++] = '\n';
	}
	r->linelen = 0;
}

/* Takes up to budget bytes of ring id into out. Lock held. */
static size_t drain_ring(int id, size_t budget)
{
	struct ring *r = &rings[id];
	size_t used = 0;

	if (r->lost && attached != id) {
		char note[64];
		snprintf(note, sizeof(note), "(%llu bytes of console output lost)",
			 (unsigned long long)r->lost);
		if (r->linelen)
			out_line(r);
		memcpy(r->line, note, strlen(note));
		r->linelen = (unsigned)strlen(note);
		out_line(r);
		r->lost = 0;
	}
	for (;;) {
		char c;

		/* A stopped run's last partial line ends at its stop, before
		 * what a restarted run writes. */
		if (r->flush && r->shown >= r->flush_at) {
			if (r->linelen)
				out_line(r);
			r->flush = false;
		}
		if (r->shown >= r->head || used >= budget || outlen >= CONSOLE_DRAIN_MAX)
			break;
		c = r->buf[r->shown++ % CONSOLE_RING];
		used++;
		if (attached == id) {
			out[outlen++] = c;
			r->raw_open = c != '\n';
			continue;
		}
		if (c == '\r')
			continue;
		if (c != '\n' && r->linelen < sizeof(r->line) - 1) {
			r->line[r->linelen++] = (char)((c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?');
			continue;
		}
		out_line(r);
		if (c != '\n')
			r->line[r->linelen++] = (char)((c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?');
	}
	return used;
}

static void write_out(bool raw)
{
	size_t i = 0, j;

	if (raw) {
		uart_write(out, outlen);
		return;
	}
	/* Line by line through the log's console output, so that lines of
	 * the log and of partitions never interleave mid-line. */
	while (i < outlen) {
		for (j = i; j < outlen && out[j] != '\n'; j++)
			;
		kputline("%.*s\n", (int)(j - i), out + i);
		i = j + 1;
	}
}

bool console_drain(void)
{
	static unsigned next;
	bool more = false, raw;

	spin_lock(&lock);
	outlen = 0;
	raw = attached != CONSOLE_NONE;
	/* Round robin, so that one chatty partition does not hold back
	 * the others' lines. While one partition is attached, the others'
	 * lines are only kept in their rings (for a later replay). */
	for (unsigned k = 0; k < PART_MAX && outlen < CONSOLE_DRAIN_MAX; k++)
		drain_ring((int)((next + k) % PART_MAX), CONSOLE_DRAIN_MAX);
	next = (next + 1) % PART_MAX;
	for (unsigned id = 0; id < PART_MAX; id++)
		if (rings[id].shown != rings[id].head || rings[id].flush || rings[id].lost)
			more = true;
	spin_unlock(&lock);
	write_out(raw);
	return more;
}

/* Where the last n lines of ring id start. Lock held. */
static uint64_t tail_start(const struct ring *r, unsigned n)
{
	uint64_t oldest = r->head > CONSOLE_RING ? r->head - CONSOLE_RING : 0, p;
	unsigned lines = 0;

	p = r->head;
	if (!n)
		return p;
	while (p > oldest) {
		char c = r->buf[(p - 1) % CONSOLE_RING];
		if (c == '\n' && p != r->head && ++lines == n)
			break;
		p--;
	}
	return p;
}

uint64_t console_tail_pos(int id, unsigned lines)
{
	uint64_t p;

	if (id < 0 || id >= PART_MAX)
		return 0;
	spin_lock(&lock);
	p = tail_start(&rings[id], lines);
	spin_unlock(&lock);
	return p;
}

size_t console_read(int id, uint64_t *pos, char *buf, size_t size, uint64_t *lost)
{
	const struct ring *r;
	uint64_t oldest;
	size_t n = 0;

	*lost = 0;
	if (id < 0 || id >= PART_MAX)
		return 0;
	spin_lock(&lock);
	r = &rings[id];
	oldest = r->head > CONSOLE_RING ? r->head - CONSOLE_RING : 0;
	if (*pos < oldest) {
		*lost = oldest - *pos;
		*pos = oldest;
	}
	if (*pos > r->head)
		*pos = r->head;
	while (n < size && *pos < r->head)
		buf[n++] = r->buf[(*pos)++ % CONSOLE_RING];
	spin_unlock(&lock);
	return n;
}

static size_t tail_locked(int id, unsigned n, char *buf, size_t size)
{
	const struct ring *r;
	uint64_t start, p;
	size_t len = 0;

	if (id < 0 || id >= PART_MAX || !size)
		return 0;
	r = &rings[id];
	/* Walk back over n newlines (a trailing one ends the last line). */
	start = tail_start(r, n);
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
	rings[id].shown = rings[id].head;    /* the replay showed them */
	rings[id].lost = 0;
	/* The replay showed the partial line too: it is not shown again,
	 * prefixed, after a detach. */
	rings[id].linelen = 0;
	rings[id].raw_open = n && tail[n - 1] != '\n';
	spin_unlock(&lock);
	return 0;
}

bool console_detach(void)
{
	bool open = false;

	spin_lock(&lock);
	if (attached != CONSOLE_NONE) {
		open = rings[attached].raw_open;
		rings[attached].raw_open = false;
	}
	attached = CONSOLE_NONE;
	spin_unlock(&lock);
	return open;
}

int console_attached(void)
{
	return attached;
}
