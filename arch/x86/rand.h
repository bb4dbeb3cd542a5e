/* Random bits from the CPU: RDSEED (a conditioned entropy source) where
 * the CPU has it, else RDRAND (its DRBG), for seeding the TLS stack's
 * generator. Intel SDM Vol. 1, 7.3.17; AMD APM Vol. 3, RDRAND/RDSEED. */
#ifndef VATRA_ARCH_X86_RAND_H
#define VATRA_ARCH_X86_RAND_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* Which instruction rand_u64 uses: "rdseed", "rdrand" or NULL (none). */
const char *rand_source(void);
/* 64 random bits from the CPU; false when it has neither instruction or
 * it failed ten times in a row (the manuals' retry advice). */
bool rand_u64(uint64_t *out);

#endif
