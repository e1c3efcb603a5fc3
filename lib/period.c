/*
 * period: resolves the KPI periods ("today", "mtd", "rolling-30d", "YYYY-MM",
 * "fy-YYYY", "YYYY-MM-DD", explicit instants) into half-open UTC ranges whose
 * boundaries are local midnights of the tenant's zone. It exists so that the
 * daemon, the SQL layer and the tests agree on one definition of each period.
 */
#include "period.h"

#include "calendar.h"

#include <stdio.h>
#include <string.h>

#define PERIOD_MIN_YEAR 1970
#define PERIOD_MAX_YEAR 9999

static const char period_accepted[] = "today, mtd, rolling-30d, YYYY-MM, fy-YYYY or YYYY-MM-DD";

/* Fill a whole-day period [start of first_day, start of end_day). */
static void period_whole_days(struct period *out, enum period_kind kind, const char *key,
                              int32_t first_day, int32_t end_day, const struct tz_rule *tz)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    snprintf(out->key, sizeof out->key, "%s", key);
    out->from_us = tz_day_start(tz, first_day);
    out->to_us = tz_day_start(tz, end_day);
    out->first_day = first_day;
    out->end_day = end_day;
    out->whole_days = true;
}

static bool period_all_digits(const char *text, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return true;
}

static int period_four_digits(const char *text)
{
    return (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
}

static int period_check_year(const char *quoted, int year, struct ccm_error *error)
{
    if (year < PERIOD_MIN_YEAR || year > PERIOD_MAX_YEAR)
        return ccm_error_set(error, "period \"%s\" has year %04d (must be %d..%d)", quoted, year,
                             PERIOD_MIN_YEAR, PERIOD_MAX_YEAR);
    return 0;
}

void period_month(int year, int month, const struct tz_rule *tz, struct period *out)
{
    char key[24];
    long long m0 = (long long)month - 1;
    int first_year, next_year, next_month;

    /* Out-of-range months carry into the year (13 = January of the next). */
    first_year = (int)(year + (m0 >= 0 ? m0 / 12 : -((11 - m0) / 12)));
    month = (int)((m0 % 12 + 12) % 12 + 1);
    next_year = month == 12 ? first_year + 1 : first_year;
    next_month = month == 12 ? 1 : month + 1;
    snprintf(key, sizeof key, "%04d-%02d", first_year, month);
    period_whole_days(out, PERIOD_MONTH, key, calendar_days_from_civil(first_year, month, 1),
                      calendar_days_from_civil(next_year, next_month, 1), tz);
}

void period_day(int32_t day, const struct tz_rule *tz, struct period *out)
{
    char key[11];
    calendar_format_date(day, key);
    period_whole_days(out, PERIOD_DAY, key, day, day + 1, tz);
}

int period_resolve(const char *spec, int64_t now_us, const struct tz_rule *tz, int fy_start_month,
                   struct period *out, struct ccm_error *error)
{
    char quoted[288];
    size_t length;

    if (!spec || !*spec)
        return ccm_error_set(error, "period is empty (expected %s)", period_accepted);
    length = strlen(spec);
    ccm_error_quote(spec, strnlen(spec, 65), quoted, sizeof quoted);

    if (strcmp(spec, "today") == 0 || strcmp(spec, "mtd") == 0 ||
        strcmp(spec, "rolling-30d") == 0) {
        int32_t today = tz_local_day(tz, now_us);
        if (spec[0] == 't') {
            period_whole_days(out, PERIOD_TODAY, "today", today, today + 1, tz);
        } else if (spec[0] == 'm') {
            struct calendar_date d = calendar_civil_from_days(today);
            period_whole_days(out, PERIOD_MONTH_TO_DATE, "mtd",
                              calendar_days_from_civil(d.year, d.month, 1), today + 1, tz);
        } else {
            period_whole_days(out, PERIOD_ROLLING_30_DAYS, "rolling-30d", today - 30, today + 1,
                              tz);
        }
        return 0;
    }

    /* YYYY-MM */
    if (length == 7 && period_all_digits(spec, 4) && spec[4] == '-' &&
        period_all_digits(spec + 5, 2)) {
        int year = period_four_digits(spec);
        int month = (spec[5] - '0') * 10 + (spec[6] - '0');
        if (period_check_year(quoted, year, error))
            return -1;
        if (month < 1 || month > 12)
            return ccm_error_set(error, "period \"%s\" has month %02d (must be 01..12)", quoted,
                                 month);
        period_month(year, month, tz, out);
        return 0;
    }

    /* fy-YYYY */
    if (strncmp(spec, "fy-", 3) == 0) {
        char key[16];
        int year;
        if (length != 7 || !period_all_digits(spec + 3, 4))
            return ccm_error_set(error,
                                 "period \"%s\" is not a financial year: expected fy-YYYY with a "
                                 "four-digit year, e.g. fy-2026",
                                 quoted);
        year = period_four_digits(spec + 3);
        if (period_check_year(quoted, year, error))
            return -1;
        if (fy_start_month < 1 || fy_start_month > 12)
            return ccm_error_set(error,
                                 "cannot resolve period \"%s\": the financial year start month "
                                 "is %d (must be 1..12)",
                                 quoted, fy_start_month);
        snprintf(key, sizeof key, "fy-%04d", year);
        period_whole_days(out, PERIOD_FINANCIAL_YEAR, key,
                          calendar_days_from_civil(year, fy_start_month, 1),
                          calendar_days_from_civil(year + 1, fy_start_month, 1), tz);
        return 0;
    }

    /* YYYY-MM-DD */
    if (length == 10 && period_all_digits(spec, 4) && spec[4] == '-') {
        struct ccm_error date_error;
        int32_t day;
        if (calendar_parse_date(spec, length, &day, &date_error))
            return ccm_error_set(error, "period %s", date_error.message);
        if (period_check_year(quoted, period_four_digits(spec), error))
            return -1;
        period_day(day, tz, out);
        return 0;
    }

    return ccm_error_set(error, "unknown period \"%s\" (expected %s)", quoted, period_accepted);
}

/*
 * The key of an explicit range: an ISO 8601 interval in basic format,
 * "20261006T080000Z/20261007T000000Z" (33 characters, fits key[40]), when both
 * ends are whole seconds in years 0000..9999; otherwise "custom".
 */
static void period_instants_key(int64_t from_us, int64_t to_us, char out[static 40])
{
    char text[2][32];
    int64_t ends[2] = {from_us, to_us};

    for (int i = 0; i < 2; i++) {
        char *s = text[i];
        /* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYYMMDDTHHMMSSZ" */
        calendar_format_rfc3339_utc(ends[i], s);
        if (strlen(s) != 20) {
            memcpy(out, "custom", 7);
            return;
        }
        memmove(s + 4, s + 5, 2);   /* MM */
        memmove(s + 6, s + 8, 3);   /* DDT */
        memmove(s + 9, s + 11, 2);  /* HH */
        memmove(s + 11, s + 14, 2); /* MM */
        memmove(s + 13, s + 17, 4); /* SSZ and the NUL */
    }
    memcpy(out, text[0], 16);
    out[16] = '/';
    memcpy(out + 17, text[1], 17);
}

int period_from_instants(int64_t from_us, int64_t to_us, const struct tz_rule *tz,
                         struct period *out, struct ccm_error *error)
{
    char from_text[32], to_text[32];
    int32_t last_day;

    if (to_us <= from_us) {
        calendar_format_rfc3339_utc(from_us, from_text);
        calendar_format_rfc3339_utc(to_us, to_text);
        return ccm_error_set(error,
                             "period from %s to %s is empty: \"to\" must be later than \"from\"",
                             from_text, to_text);
    }
    memset(out, 0, sizeof *out);
    out->kind = PERIOD_INSTANTS;
    period_instants_key(from_us, to_us, out->key);
    out->from_us = from_us;
    out->to_us = to_us;
    out->first_day = tz_local_day(tz, from_us);
    last_day = tz_local_day(tz, to_us - 1);
    out->end_day = last_day + 1;
    out->whole_days = tz_day_start(tz, out->first_day) == from_us &&
                      tz_day_start(tz, tz_local_day(tz, to_us)) == to_us;
    return 0;
}
