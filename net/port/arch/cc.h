/* lwIP's compiler and platform glue for Vatra's freestanding core: the
 * core's own string functions and log, no C library headers. */
#ifndef VATRA_LWIP_ARCH_CC_H
#define VATRA_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stddef.h>
#include <limits.h>

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H    1
#define LWIP_NO_UNISTD_H   1
#define LWIP_NO_LIMITS_H   0
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_INCLUDE "lib/errno.h"

#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN

void vatra_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vatra_lwip_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_DIAG(x) do { vatra_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) vatra_lwip_assert(x, __FILE__, __LINE__)

#endif
