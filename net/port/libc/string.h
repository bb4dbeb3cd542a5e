/* <string.h> for lwIP and mbedTLS inside the core: the core's own. */
#ifndef VATRA_NET_LIBC_STRING_H
#define VATRA_NET_LIBC_STRING_H
#include "lib/string.h"
char *strstr(const char *h, const char *n);
#endif
