/* <stdio.h> for mbedTLS inside the core: snprintf is the core's own. */
#ifndef VATRA_NET_LIBC_STDIO_H
#define VATRA_NET_LIBC_STDIO_H
#include "lib/printf.h"
#endif
