/* <stdlib.h> for lwIP and mbedTLS inside the core: what they call. No
 * malloc: mbedTLS allocates through lwIP's heap (platform calloc/free). */
#ifndef VATRA_NET_LIBC_STDLIB_H
#define VATRA_NET_LIBC_STDLIB_H
#include <stddef.h>
int atoi(const char *s);
#endif
