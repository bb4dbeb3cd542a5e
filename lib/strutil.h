/* Small string helpers beyond ISO C, shared by the core, the loader and
 * host tests. Pure code. */
#ifndef VATRA_LIB_STRUTIL_H
#define VATRA_LIB_STRUTIL_H

#include <stddef.h>
#include <stdbool.h>

/* Copy at most size-1 bytes of src into dst and always NUL-terminate
 * (size > 0). Returns strlen(src), so a result >= size means truncated. */
size_t str_copy(char *dst, const char *src, size_t size);

/* Case-insensitive comparison of two NUL-terminated ASCII strings. */
int str_casecmp(const char *a, const char *b);

/* true if c is ASCII white space (space, tab, CR, LF, VT, FF). */
bool str_isspace(char c);

/* The value of an ASCII hexadecimal digit (either case), or -1. */
int str_hexdigit(char c);

#endif
