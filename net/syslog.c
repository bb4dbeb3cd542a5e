/* RFC 5424 formatting and the UDP sender (syslog.h). */
#include "net/syslog.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/spinlock.h"
#include "lib/errno.h"

int syslog_severity(int level)
{
	static const int sev[] = { 3, 4, 6, 7 };   /* err, warning, info, debug */

	return level >= 0 && level < 4 ? sev[level] : 6;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* PRINTUSASCII without space (RFC 5424 6.2.4-6.2.7), at most max. */
static const char *field(const char *s, size_t max, char *tmp)
{
	size_t n = 0;

	if (!s || !s[0])
		return "-";
	for (; s[n]; n++)
		if (n >= max || s[n] <= ' ' || s[n] > '~')
			return "-";
	memcpy(tmp, s, n + 1);
	return tmp;
}

size_t syslog_format(char *buf, size_t size, int facility, int severity, uint64_t epoch_ms,
		     const char *host, const char *app, const char *msgid, const char *msg,
		     size_t n)
{
	char ts[48] = "-", h[256], a[49], id[33];
	size_t len;

	if (!size)
		return 0;
	if (epoch_ms) {
		uint64_t s = epoch_ms / 1000;
		int y;
		unsigned mo, d;
		civil((int64_t)(s / 86400), &y, &mo, &d);
		snprintf(ts, sizeof(ts), "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", y, mo, d,
			 (unsigned)(s % 86400 / 3600), (unsigned)(s % 3600 / 60), (unsigned)(s % 60),
			 (unsigned)(epoch_ms % 1000));
	}
	len = (size_t)snprintf(buf, size, "<%d>1 %s %s %s - %s - ", facility * 8 + severity, ts,
			       field(host, 255, h), field(app, 48, a), field(msgid, 32, id));
	if (len >= size)
		return size - 1;
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n && len + 1 < size; i++) {
		unsigned char c = (unsigned char)msg[i];
		buf[len++] = c < ' ' || c == 0x7f ? ' ' : (char)c;
	}
	buf[len] = '\0';
	return len;
}

#ifndef SYSLOG_NO_NET
#include "net/stack.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "lwip/udp.h"
#include "lwip/pbuf.h"

struct qline {
	int level;
	uint64_t epoch_ms;
	uint16_t len;
	char text[SYSLOG_MSG_MAX];
};

static struct spinlock qlock;
static struct qline queue[SYSLOG_QUEUE];   /* [qlock] */
static unsigned qhead, qtail;              /* [qlock] */
static uint64_t sent, dropped;             /* dropped [qlock] */
static struct udp_pcb *pcb;
static ip_addr_t dest;
static uint16_t dest_port;
static const char *host;
static bool started;

int syslog_start(uint32_t ip, uint16_t port, const char *hostname)
{
	pcb = udp_new();
	if (!pcb)
		return -ENOMEM;
	IP_ADDR4(&dest, ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	dest_port = port;
	host = hostname;
	started = true;
	return 0;
}

static uint64_t now_epoch_ms(void)
{
	if (!hv.boot_epoch || !hv.tsc_khz)
		return 0;
	return hv.boot_epoch * 1000 + (rdtsc() - hv.boot_tsc) / hv.tsc_khz;
}

void syslog_queue(int level, const char *line, size_t n)
{
	struct qline *q;

	if (!started)
		return;
	spin_lock(&qlock);
	if (qhead - qtail == SYSLOG_QUEUE) {
		qtail++;
		dropped++;
	}
	q = &queue[qhead++ % SYSLOG_QUEUE];
	q->level = level;
	q->epoch_ms = now_epoch_ms();
	if (n > sizeof(q->text))
		n = sizeof(q->text);
	memcpy(q->text, line, n);
	q->len = (uint16_t)n;
	spin_unlock(&qlock);
}

unsigned syslog_flush(void)
{
	unsigned count = 0;

	while (started) {
		struct qline q;
		char msg[SYSLOG_MSG_MAX + 128];
		struct pbuf *p;
		size_t n;

		spin_lock(&qlock);
		if (qtail == qhead) {
			spin_unlock(&qlock);
			break;
		}
		q = queue[qtail++ % SYSLOG_QUEUE];
		spin_unlock(&qlock);
		n = syslog_format(msg, sizeof(msg), SYSLOG_FACILITY, syslog_severity(q.level),
				  q.epoch_ms, host, "vatra", "log", q.text, q.len);
		p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);
		if (!p)
			break;
		pbuf_take(p, msg, (u16_t)n);
		if (udp_sendto(pcb, p, &dest, dest_port) == ERR_OK)
			sent++;
		pbuf_free(p);
		count++;
	}
	return count;
}

void syslog_counts(uint64_t *s, uint64_t *d)
{
	*s = sent;
	*d = dropped;
}
#endif
