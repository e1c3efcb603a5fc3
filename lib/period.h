/*
 * period: turns a period of the KPI definitions ("today", "mtd", "2026-10",
 * "rolling-30d", "fy-2026", explicit from/to instants) into a half-open UTC
 * range [from, to) and the local days it covers, in the tenant's time zone.
 * Month and day boundaries are local midnight, so October 2026 in London is
 * 745 hours long and March 2026 743.
 */
#ifndef CCM_PERIOD_H
#define CCM_PERIOD_H

#include <stdbool.h>
#include <stdint.h>

#include "ccm_error.h"
#include "tz.h"

enum period_kind {
    PERIOD_TODAY,
    PERIOD_MONTH_TO_DATE,
    PERIOD_MONTH, /* YYYY-MM */
    PERIOD_ROLLING_30_DAYS,
    PERIOD_FINANCIAL_YEAR, /* fy-YYYY */
    PERIOD_DAY,            /* one local day (series) */
    PERIOD_HOUR,           /* one hour (series) */
    PERIOD_QUARTER_HOUR,   /* one 15-minute interval (series) */
    PERIOD_INSTANTS,       /* explicit from/to */
};

struct period {
    enum period_kind kind;
    char key[40];      /* "2026-10", "today", "fy-2026", "2026-10-06", ... */
    int64_t from_us;   /* inclusive */
    int64_t to_us;     /* exclusive */
    int32_t first_day; /* local day number of from_us (the day targets are chosen by) */
    int32_t end_day;   /* local day number one past the last local day touched */
    bool whole_days;   /* from/to are both local midnights (aggregates by local day suffice) */
};

/*
 * Resolve a named period at instant `now_us`. fy_start_month is 1..12 (UK councils: 4).
 * "today": [start of today, start of tomorrow); "mtd": [first of month, start of
 * tomorrow); "rolling-30d": [start of (today - 30 days), start of tomorrow);
 * "YYYY-MM"; "fy-YYYY": [first of fy_start_month YYYY, same a year later).
 * Also accepts "YYYY-MM-DD" (one local day).
 */
int period_resolve(const char *spec, int64_t now_us, const struct tz_rule *tz, int fy_start_month,
                   struct period *out, struct ccm_error *error);

/* An explicit [from, to) range of instants (to > from). */
int period_from_instants(int64_t from_us, int64_t to_us, const struct tz_rule *tz,
                         struct period *out, struct ccm_error *error);

/* The calendar month YYYY-MM as a period. */
void period_month(int year, int month, const struct tz_rule *tz, struct period *out);

/* The local day `day` as a period. */
void period_day(int32_t day, const struct tz_rule *tz, struct period *out);

#endif
