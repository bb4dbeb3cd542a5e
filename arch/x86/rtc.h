/* The machine's CMOS real-time clock, read once at boot so partitions'
 * virtual RTCs start at the wall time. */
#ifndef VATRA_ARCH_X86_RTC_H
#define VATRA_ARCH_X86_RTC_H

#include <stdint.h>

/* Seconds since 1970-01-01 00:00 UTC (the RTC is taken as UTC), or 0
 * when no plausible RTC answers. */
uint64_t rtc_read_epoch(void);
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). Pure. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
