/*
 * workday: working-day arithmetic for a tenant's calendar (members' enquiries,
 * issue 8). A working day is a Monday to Friday that is not one of the tenant's
 * holidays. Holidays are local day numbers (calendar.h), passed as an array
 * sorted ascending without duplicates (the daemon reads them ORDER BY day).
 * Pure: no I/O, no time zones (days are already local).
 */
#ifndef CCM_WORKDAY_H
#define CCM_WORKDAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct workday_calendar {
    const int32_t *holidays; /* sorted ascending, unique; may be NULL when count is 0 */
    size_t count;
};

/* True when `day` is in the holiday array (binary search). */
bool workday_is_holiday(const struct workday_calendar *calendar, int32_t day);

/* True when `day` is Monday to Friday and not a holiday. */
bool workday_is_working_day(const struct workday_calendar *calendar, int32_t day);

/* The n-th working day strictly after `day` (n >= 1); `day` itself when n <= 0. */
int32_t workday_add(const struct workday_calendar *calendar, int32_t day, int n);

/* The n-th working day strictly before `day` (n >= 1); `day` itself when n <= 0.
 * workday_add(workday_sub(d, n), n) >= d for every d: the days x with
 * workday_add(x, n) >= d are exactly those x >= workday_sub(d, n). */
int32_t workday_sub(const struct workday_calendar *calendar, int32_t day, int n);

/* Checks that an array is sorted ascending without duplicates. */
bool workday_holidays_valid(const int32_t *holidays, size_t count);

#endif
