/* Error codes: fallible functions return 0 or one of these, negated. */
#ifndef VATRA_LIB_ERRNO_H
#define VATRA_LIB_ERRNO_H

#define EPERM    1   /* operation not permitted */
#define ENOENT   2   /* no such file, table or object */
#define EIO      5   /* device or firmware error */
#define ENXIO    6   /* no such address (nothing behind it) */
#define E2BIG    7   /* too many items / too long */
#define EAGAIN  11   /* changed meanwhile: try again */
#define ENOMEM  12   /* out of memory */
#define EFAULT  14   /* bad address */
#define EBUSY   16   /* resource in use */
#define EEXIST  17   /* already exists / overlaps */
#define EINVAL  22   /* invalid argument or malformed input */
#define ENOSPC  28   /* no room left in a fixed-size table */
#define ERANGE  34   /* value out of range */
#define ENOSYS  38   /* not supported */
#define EBADMSG 74   /* corrupt data (bad checksum, bad length) */
#define ENODEV  19   /* no such device or hardware feature */
#define ETIMEDOUT 110 /* no answer in time */

/* A short name for an error code, for messages ("EINVAL"); err may be negative. */
const char *err_name(int err);

#endif
