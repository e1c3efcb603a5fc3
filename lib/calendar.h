/*
 * calendar: proleptic Gregorian civil-date arithmetic and RFC 3339 instants.
 * Pure functions, no time zone knowledge (see tz.h), no I/O, no libc time
 * functions (they depend on the process's TZ and locale).
 *
 * Conventions used across ccmetrics:
 *  - an instant is int64_t microseconds since 1970-01-01T00:00:00Z ("_us");
 *  - a civil date is int32_t days since 1970-01-01 ("day number").
 */
#ifndef CCM_CALENDAR_H
#define CCM_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccm_error.h"

#define CALENDAR_US_PER_SECOND INT64_C(1000000)
#define CALENDAR_US_PER_DAY    (INT64_C(86400) * CALENDAR_US_PER_SECOND)

struct calendar_date {
    int year;  /* e.g. 2026 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

/* Days since 1970-01-01 of a civil date (valid for years -9999..9999). */
int32_t calendar_days_from_civil(int year, int month, int day);

/* The civil date of a day number. */
struct calendar_date calendar_civil_from_days(int32_t days);

/* 0 = Sunday .. 6 = Saturday. */
int calendar_weekday(int32_t days);

bool calendar_is_leap_year(int year);
int calendar_days_in_month(int year, int month);

/* Floor division of an instant into its UTC day number. */
int32_t calendar_utc_day(int64_t instant_us);

/* Parse "YYYY-MM-DD" exactly (length given; no trailing bytes). */
int calendar_parse_date(const char *text, size_t length, int32_t *days_out,
                        struct ccm_error *error);

/* Format a day number as "YYYY-MM-DD" (buffer of at least 11 bytes). */
void calendar_format_date(int32_t days, char out[static 11]);

/*
 * Parse an RFC 3339 date-time with a mandatory offset ("Z", "+01:00", "-05:30"):
 * YYYY-MM-DDTHH:MM:SS[.fraction]OFFSET. 't' and ' ' are accepted for 'T', 'z'
 * for 'Z'. Fractions beyond microseconds are truncated. Leap second 60 is
 * rejected. `length` bytes are parsed, no NUL needed; trailing bytes are an error.
 */
int calendar_parse_rfc3339(const char *text, size_t length, int64_t *instant_us_out,
                           struct ccm_error *error);

/* Format an instant as UTC RFC 3339, "2026-10-06T08:00:12Z", or with
 * ".123456" when it has a sub-second part. Buffer of at least 32 bytes. */
void calendar_format_rfc3339_utc(int64_t instant_us, char out[static 32]);

#endif
