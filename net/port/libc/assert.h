/* <assert.h> for mbedTLS inside the core: assertions compile out. */
#ifndef VATRA_NET_LIBC_ASSERT_H
#define VATRA_NET_LIBC_ASSERT_H
#define assert(x) ((void)0)
#endif
