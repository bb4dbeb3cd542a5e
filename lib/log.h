/* The hypervisor log: leveled messages kept in a ring buffer and written
 * to the console sink. kprintf writes to the console without a level. */
#ifndef VATRA_LIB_LOG_H
#define VATRA_LIB_LOG_H

#include <stddef.h>
#include <stdarg.h>
#include "lib/sink.h"

/* Same order and values as enum cfg_log in mgmt/config.h. */
enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#define LOG_RING_SIZE 65536

void log_set_sink(void (*sink)(const char *s, size_t n));
void log_set_level(enum log_level lvl);
/* Called with each leveled message the console shows (the line with its
 * prefix and newline), on the CPU that logs it, under the log lock: it
 * must only copy (remote syslog queues the line for the network CPU). */
void log_set_tap(void (*tap)(enum log_level lvl, const char *line, size_t n));
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
/* Like kprintf, but starts on a fresh line when the console is in the
 * middle of one (after a prompt): for output that is not a reply. */
void kputline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The console as a sink (what kprintf writes to). */
extern struct sink log_console_sink;

/* Copies up to n bytes of the ring starting at *pos (0 = oldest kept) and
 * advances *pos. Returns the number of bytes copied; 0 at the end. */
size_t log_ring_read(size_t *pos, char *buf, size_t n);

#define pr_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Prints where and why, then calls the fatal-stop hook. */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
__attribute__((noreturn, format(printf, 3, 4)))
void panic_at(const char *file, int line, const char *fmt, ...);

/* How a fatal error ends the run (the core's owner registers it: stop
 * the other CPUs, exit a test rig). The hook must not return; without
 * one, or if it does, the CPU halts with interrupts off. */
void log_set_fatal_hook(void (*stop)(void));
__attribute__((noreturn)) void log_fatal_stop(void);

#endif
