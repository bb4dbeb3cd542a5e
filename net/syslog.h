/* Remote syslog: the hypervisor's log lines as RFC 5424 messages over
 * UDP (RFC 5426), one per datagram. Any CPU queues a line (syslog_queue,
 * under the queue's lock); the network CPU sends them (syslog_flush).
 * The formatter is pure (unit-tested). */
#ifndef VATRA_NET_SYSLOG_H
#define VATRA_NET_SYSLOG_H

#include <stdint.h>
#include <stddef.h>

#define SYSLOG_MSG_MAX 480   /* bytes of one message kept */
#define SYSLOG_QUEUE 64      /* lines waiting; older ones are dropped first */
#define SYSLOG_FACILITY 1    /* user-level (RFC 5424, 6.2.1) */

/* Severity (RFC 5424 table 2) of a Vatra log level 0 error .. 3 debug. */
int syslog_severity(int level);

/* Formats one message "<PRI>1 TIMESTAMP HOST APP - MSGID - MSG" into buf
 * (NUL-terminated, cut at size). epoch_ms 0 means the time is unknown
 * ("-"). host/app empty or with spaces or non-ASCII become "-"; msg's
 * trailing newline is dropped and control characters become spaces.
 * Returns the length. */
size_t syslog_format(char *buf, size_t size, int facility, int severity, uint64_t epoch_ms,
		     const char *host, const char *app, const char *msgid, const char *msg,
		     size_t n);

/* Starts sending to ip:port (host byte order); owner CPU. 0 or -errno. */
int syslog_start(uint32_t ip, uint16_t port, const char *hostname);
/* Any CPU: keeps a line for sending. */
void syslog_queue(int level, const char *line, size_t n);
/* Owner CPU: sends what is queued; returns the number sent. */
unsigned syslog_flush(void);
/* Datagrams sent and lines dropped so far. */
void syslog_counts(uint64_t *sent, uint64_t *dropped);

#endif
