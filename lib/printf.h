/* Formatted output: a small vsnprintf for the core, the loader and tests.
 * Supports %d %i %u %x %X %o %p %s %c %% with flags '-', '0', width,
 * precision (strings and integers), '*', and length modifiers hh h l ll z. */
#ifndef VATRA_LIB_PRINTF_H
#define VATRA_LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Like ISO C: writes at most size bytes including the NUL and returns the
 * length the full output would have had. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
