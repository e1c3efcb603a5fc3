/*
 * test_calendar: civil-date arithmetic checked day by day against a hand-rolled
 * y/m/d counter (1900..2200), known dates and weekdays, and table-driven RFC 3339
 * / YYYY-MM-DD parsing (valid, invalid with the reason, every truncation) and
 * formatting. Inputs are copied into exact-size heap buffers so that reading
 * past `length` is caught by AddressSanitizer.
 */
#include "calendar.h"

#include "unit.h"

#include <stdlib.h>

#define US INT64_C(1000000)

/* A counted check for bulk loops: prints at most `budget` failures. */
/* An exact-size, non-NUL-terminated heap copy of `length` bytes. */
static char *exact_copy(const char *text, size_t length)
{
    char *copy = malloc(length ? length : 1);
    if (!copy)
        abort();
    memcpy(copy, text, length);
    return copy;
}

static int parse_rfc3339_exact(const char *text, size_t length, int64_t *out,
                               struct ccm_error *error)
{
    char *copy = exact_copy(text, length);
    int rc = calendar_parse_rfc3339(copy, length, out, error);
    free(copy);
    return rc;
}

static int parse_date_exact(const char *text, size_t length, int32_t *out, struct ccm_error *error)
{
    char *copy = exact_copy(text, length);
    int rc = calendar_parse_date(copy, length, out, error);
    free(copy);
    return rc;
}

/* Every day from 1900-01-01 to 2200-12-31 against an independent y/m/d counter.
 * The leap rule here is written out for the range (1900, 2100, 2200 are not
 * leap years, 2000 is), not shared with the code under test. */
static void test_every_day_1900_2200(void)
{
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = 1900, month = 1, day = 1, weekday = 1; /* 1900-01-01 was a Monday */
    int32_t n = -25567;                               /* days from 1900-01-01 to 1970-01-01 */
    int days_checked = 0, budget = 10;

    while (year <= 2200) {
        bool leap = year % 4 == 0 && year != 1900 && year != 2100 && year != 2200;
        int length = month_days[month - 1] + (month == 2 && leap);
        struct calendar_date d = calendar_civil_from_days(n);
        int32_t back = calendar_days_from_civil(year, month, day);
        bool ok = back == n && d.year == year && d.month == month && d.day == day &&
                  calendar_weekday(n) == weekday && calendar_days_in_month(year, month) == length &&
                  calendar_is_leap_year(year) == leap;

        CHECK_BULK(ok, budget,
                   "%04d-%02d-%02d (day %d): days_from_civil %d, civil %04d-%02d-%02d, "
                   "weekday %d want %d, month length %d want %d",
                   year, month, day, (int)n, (int)back, d.year, d.month, d.day, calendar_weekday(n),
                   weekday, calendar_days_in_month(year, month), length);
        days_checked++;
        n++;
        weekday = (weekday + 1) % 7;
        if (++day > length) {
            day = 1;
            if (++month > 12) {
                month = 1;
                year++;
            }
        }
    }
    CHECK_INT(days_checked, 109938); /* 301 years: 301 * 365 + 73 leap days */
    CHECK_INT(n, calendar_days_from_civil(2201, 1, 1));
}

static void test_known_dates(void)
{
    static const struct {
        int year, month, day;
        int32_t days;
        int weekday; /* 0 = Sunday */
        const char *note;
    } cases[] = {
        {1970, 1, 1, 0, 4, "Thursday"},
        {1969, 12, 31, -1, 3, "Wednesday"},
        {1970, 1, 2, 1, 5, "Friday"},
        {1900, 1, 1, -25567, 1, "Monday"},
        {2000, 1, 1, 10957, 6, "Saturday"},
        {2000, 2, 29, 11016, 2, "Tuesday"},
        {2000, 3, 1, 11017, 3, "Wednesday"},
        {2038, 1, 19, 24855, 2, "the 32-bit time_t day: Tuesday"},
        {2026, 3, 29, 20541, 0, "BST starts: Sunday"},
        {2026, 10, 6, 20732, 2, "Tuesday"},
        {2026, 10, 25, 20751, 0, "BST ends: Sunday"},
        {2024, 2, 29, 19782, 4, "Thursday"},
        {2100, 3, 1, 47541, 1, "2100 is not a leap year: Monday"},
        {1, 1, 1, -719162, 1, "Monday (proleptic Gregorian)"},
        {0, 3, 1, -719468, 3, "Hinnant's era origin: Wednesday"},
        {9999, 12, 31, 2932896, 5, "Friday"},
        {-9999, 1, 1, -4371587, 1, "25 eras before 0001-01-01"},
        {1600, 2, 29, -135081, 2, "Tuesday"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct calendar_date d = calendar_civil_from_days(cases[i].days);
        CHECK_MSG(calendar_days_from_civil(cases[i].year, cases[i].month, cases[i].day) ==
                      cases[i].days,
                  "days_from_civil(%d-%02d-%02d) = %d, want %d", cases[i].year, cases[i].month,
                  cases[i].day,
                  (int)calendar_days_from_civil(cases[i].year, cases[i].month, cases[i].day),
                  (int)cases[i].days);
        CHECK_MSG(d.year == cases[i].year && d.month == cases[i].month && d.day == cases[i].day,
                  "civil_from_days(%d) = %d-%02d-%02d, want %d-%02d-%02d", (int)cases[i].days,
                  d.year, d.month, d.day, cases[i].year, cases[i].month, cases[i].day);
        CHECK_MSG(calendar_weekday(cases[i].days) == cases[i].weekday,
                  "weekday of %d-%02d-%02d (%s) = %d, want %d", cases[i].year, cases[i].month,
                  cases[i].day, cases[i].note, calendar_weekday(cases[i].days), cases[i].weekday);
    }
}

/* Round trip and weekday continuity over the whole -9999..9999 range, in steps. */
static void test_wide_round_trip(void)
{
    int32_t first = calendar_days_from_civil(-9999, 1, 1);
    int32_t last = calendar_days_from_civil(9999, 12, 31);
    int budget = 10;
    for (int32_t n = first; n <= last; n += 7) {
        struct calendar_date d = calendar_civil_from_days(n);
        bool ok = calendar_days_from_civil(d.year, d.month, d.day) == n && d.month >= 1 &&
                  d.month <= 12 && d.day >= 1 && d.day <= calendar_days_in_month(d.year, d.month) &&
                  calendar_weekday(n) == calendar_weekday(first);
        CHECK_BULK(ok, budget, "day %d -> %d-%02d-%02d does not round-trip", (int)n, d.year,
                   d.month, d.day);
    }
    /* Extremes of int32 day numbers must not crash and must stay consistent. */
    {
        static const int32_t extremes[] = {INT32_MIN,  INT32_MIN + 1, -1000000000,
                                           1000000000, INT32_MAX - 1, INT32_MAX};
        for (size_t i = 0; i < sizeof extremes / sizeof extremes[0]; i++) {
            struct calendar_date d = calendar_civil_from_days(extremes[i]);
            CHECK_MSG(calendar_days_from_civil(d.year, d.month, d.day) == extremes[i],
                      "extreme day %d -> %d-%02d-%02d", (int)extremes[i], d.year, d.month, d.day);
            CHECK(calendar_weekday(extremes[i]) >= 0 && calendar_weekday(extremes[i]) <= 6);
        }
    }
}

static void test_leap_years_and_month_lengths(void)
{
    static const struct {
        int year;
        bool leap;
    } leaps[] = {
        {1900, false}, {2000, true}, {2024, true}, {2025, false}, {2026, false}, {2028, true},
        {2100, false}, {2400, true}, {1600, true}, {1700, false}, {0, true},     {-4, true},
        {-100, false}, {-400, true}, {1, false},   {4, true},     {9996, true},  {9999, false},
    };
    static const struct {
        int year, month, days;
    } lengths[] = {
        {2026, 1, 31},  {2026, 2, 28},  {2026, 3, 31}, {2026, 4, 30}, {2026, 5, 31},
        {2026, 6, 30},  {2026, 7, 31},  {2026, 8, 31}, {2026, 9, 30}, {2026, 10, 31},
        {2026, 11, 30}, {2026, 12, 31}, {2024, 2, 29}, {2000, 2, 29}, {1900, 2, 28},
        {2100, 2, 28},  {2026, 0, 0},   {2026, 13, 0}, {2026, -1, 0},
    };
    for (size_t i = 0; i < sizeof leaps / sizeof leaps[0]; i++)
        CHECK_MSG(calendar_is_leap_year(leaps[i].year) == leaps[i].leap, "is_leap_year(%d) != %d",
                  leaps[i].year, leaps[i].leap);
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
        CHECK_MSG(calendar_days_in_month(lengths[i].year, lengths[i].month) == lengths[i].days,
                  "days_in_month(%d, %d) = %d, want %d", lengths[i].year, lengths[i].month,
                  calendar_days_in_month(lengths[i].year, lengths[i].month), lengths[i].days);
}

static void test_utc_day(void)
{
    static const struct {
        int64_t instant_us;
        int32_t day;
    } cases[] = {
        {0, 0},
        {1, 0},
        {-1, -1},
        {CALENDAR_US_PER_DAY - 1, 0},
        {CALENDAR_US_PER_DAY, 1},
        {-CALENDAR_US_PER_DAY, -1},
        {-CALENDAR_US_PER_DAY - 1, -2},
        {INT64_C(1791244800) * US, 20732}, /* 2026-10-06T00:00:00Z */
        {INT64_C(1791244800) * US - 1, 20731},
        {INT64_MAX, 106751991},
        {INT64_MIN, -106751992},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_MSG(calendar_utc_day(cases[i].instant_us) == cases[i].day,
                  "utc_day(%lld) = %d, want %d", (long long)cases[i].instant_us,
                  (int)calendar_utc_day(cases[i].instant_us), (int)cases[i].day);
}

static void test_parse_date(void)
{
    static const struct {
        const char *text;
        int32_t days;
    } valid[] = {
        {"1970-01-01", 0},     {"2026-10-06", 20732},   {"2000-02-29", 11016},
        {"1969-12-31", -1},    {"0000-01-01", -719528}, {"9999-12-31", 2932896},
        {"2024-02-29", 19782}, {"2026-12-31", 20818},   {"1900-01-01", -25567},
    };
    static const struct {
        const char *text;
        size_t length; /* 0: strlen */
        const char *reason;
    } invalid[] = {
        {"", 0, "date is empty"},
        {"2026-10-6", 0, "expected a digit of the day at character 10, found the end"},
        {"2026-10-061", 0, "1 unexpected trailing character after YYYY-MM-DD"},
        {"2026-10-06 ", 0, "1 unexpected trailing character"},
        {"2026-10-06T00:00:00Z", 0, "10 unexpected trailing characters"},
        {"2026/10/06", 0, "expected '-' after the year at character 5, found '/'"},
        {"2026-10/06", 0, "expected '-' after the month at character 8, found '/'"},
        {"26-10-06", 0, "expected a digit of the year at character 3, found '-'"},
        {"2026-1-06", 0, "expected a digit of the month at character 7, found '-'"},
        {" 2026-10-06", 0, "expected a digit of the year at character 1, found a space"},
        {"2026-13-01", 0, "has month 13 (must be 01..12)"},
        {"2026-00-01", 0, "has month 00 (must be 01..12)"},
        {"2026-10-00", 0, "has day 00 but October 2026 has 31 days"},
        {"2026-10-32", 0, "has day 32 but October 2026 has 31 days"},
        {"2026-02-29", 0, "has day 29 but February 2026 has 28 days"},
        {"2100-02-29", 0, "has day 29 but February 2100 has 28 days"},
        {"2026-04-31", 0, "has day 31 but April 2026 has 30 days"},
        {"2026-10-0x", 0, "expected a digit of the day at character 10, found 'x'"},
        {"+2026-10-0", 0, "expected a digit of the year at character 1, found '+'"},
        {"2026-10-06\0", 11, "1 unexpected trailing character"},
        {"2026\0-10-06", 11, "expected '-' after the year at character 5, found byte 0x00"},
    };
    struct ccm_error error;
    int32_t days;

    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        ccm_error_clear(&error);
        days = 12345;
        CHECK_MSG(parse_date_exact(valid[i].text, strlen(valid[i].text), &days, &error) == 0,
                  "parse_date(\"%s\") failed: %s", valid[i].text, error.message);
        CHECK_MSG(days == valid[i].days, "parse_date(\"%s\") = %d, want %d", valid[i].text,
                  (int)days, (int)valid[i].days);
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        size_t length = invalid[i].length ? invalid[i].length : strlen(invalid[i].text);
        ccm_error_clear(&error);
        days = 12345;
        CHECK_MSG(parse_date_exact(invalid[i].text, length, &days, &error) == -1,
                  "parse_date(\"%s\") accepted, want error (%s)", invalid[i].text,
                  invalid[i].reason);
        CHECK_MSG(days == 12345, "parse_date(\"%s\") wrote the output on error", invalid[i].text);
        CHECK_MSG(strstr(error.message, invalid[i].reason) != NULL,
                  "parse_date(\"%s\") error \"%s\" does not say \"%s\"", invalid[i].text,
                  error.message, invalid[i].reason);
    }
    /* Only `length` bytes are read: a longer buffer with garbage after is fine. */
    CHECK(calendar_parse_date("2026-10-06garbage", 10, &days, &error) == 0 && days == 20732);
    /* A NULL error is allowed. */
    CHECK(calendar_parse_date("2026-99-06", 10, &days, NULL) == -1);
    CHECK(calendar_parse_date(NULL, 0, &days, NULL) == -1);
}

static void test_format_date(void)
{
    static const struct {
        int32_t days;
        const char *text;
    } cases[] = {
        {0, "1970-01-01"},         {-1, "1969-12-31"},        {20732, "2026-10-06"},
        {11016, "2000-02-29"},     {-719528, "0000-01-01"},   {2932896, "9999-12-31"},
        {-25567, "1900-01-01"},    {-719529, "0000-00-00"},   {2932897, "0000-00-00"},
        {INT32_MAX, "0000-00-00"}, {INT32_MIN, "0000-00-00"},
    };
    char out[11];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        calendar_format_date(cases[i].days, out);
        CHECK_STR(out, cases[i].text);
    }
    /* Every day of 0000..9999 formats and parses back (sampled every 13 days). */
    {
        int budget = 10;
        for (int32_t n = -719528; n <= 2932896; n += 13) {
            int32_t back = 0;
            calendar_format_date(n, out);
            CHECK_BULK(strlen(out) == 10 && calendar_parse_date(out, 10, &back, NULL) == 0 &&
                           back == n,
                       budget, "format_date(%d) = \"%s\" does not parse back", (int)n, out);
        }
    }
}

struct rfc3339_valid_case {
    const char *text;
    int64_t instant_us;
};

static void test_parse_rfc3339_valid(void)
{
    static const struct rfc3339_valid_case cases[] = {
        {"2026-10-06T08:00:00Z", INT64_C(1791273600) * US},
        {"2026-10-06T08:00:00z", INT64_C(1791273600) * US},
        {"2026-10-06t08:00:00Z", INT64_C(1791273600) * US},
        {"2026-10-06 08:00:00Z", INT64_C(1791273600) * US},
        {"2026-10-06T09:00:00+01:00", INT64_C(1791273600) * US},
        {"2026-10-06T03:00:00-05:00", INT64_C(1791273600) * US},
        {"2026-10-06T13:30:00+05:30", INT64_C(1791273600) * US},
        {"2026-10-06T02:30:00-05:30", INT64_C(1791273600) * US},
        {"2026-10-06T08:00:00+00:00", INT64_C(1791273600) * US},
        {"2026-10-06T08:00:00-00:00", INT64_C(1791273600) * US},
        {"2026-10-07T07:59:00+23:59", INT64_C(1791273600) * US},
        {"2026-10-05T08:01:00-23:59", INT64_C(1791273600) * US},
        {"2026-10-06T08:00:12Z", INT64_C(1791273612) * US},
        {"2026-10-06T08:00:00.5Z", INT64_C(1791273600) * US + 500000},
        {"2026-10-06T08:00:00.123456Z", INT64_C(1791273600) * US + 123456},
        {"2026-10-06T08:00:00.1234567Z", INT64_C(1791273600) * US + 123456},
        {"2026-10-06T08:00:00.123456999Z", INT64_C(1791273600) * US + 123456},
        {"2026-10-06T08:00:00.000001Z", INT64_C(1791273600) * US + 1},
        {"2026-10-06T08:00:00.0000009Z", INT64_C(1791273600) * US},
        {"2026-10-06T08:00:00.999999999999999999999999999999999999999999+01:00",
         INT64_C(1791270000) * US + 999999},
        {"2026-10-06T08:00:00.0Z", INT64_C(1791273600) * US},
        {"2026-10-06T09:00:00.25+01:00", INT64_C(1791273600) * US + 250000},
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01T00:00:00.000001Z", 1},
        {"1969-12-31T23:59:59.999999Z", -1},
        {"1970-01-01T01:00:00+01:00", 0},
        {"1969-12-31T19:00:00-05:00", 0},
        {"2000-02-29T23:59:59Z", INT64_C(951868799) * US},
        {"2024-02-29T12:00:00Z", INT64_C(1709208000) * US},
        {"2026-03-29T01:00:00Z", INT64_C(1774746000) * US},
        {"2026-10-25T01:00:00Z", INT64_C(1792890000) * US},
        {"2038-01-19T03:14:08Z", INT64_C(2147483648) * US},
        {"0000-01-01T00:00:00Z", INT64_C(-62167219200) * US},
        {"0000-01-01T00:00:00+23:59", (INT64_C(-62167219200) - 86340) * US},
        {"9999-12-31T23:59:59.999999Z", INT64_C(253402300799) * US + 999999},
        {"9999-12-31T23:59:59.999999-23:59", (INT64_C(253402300799) + 86340) * US + 999999},
        {"1900-01-01T00:00:00Z", INT64_C(-2208988800) * US},
    };
    struct ccm_error error;
    int64_t got;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ccm_error_clear(&error);
        got = -42;
        CHECK_MSG(parse_rfc3339_exact(cases[i].text, strlen(cases[i].text), &got, &error) == 0,
                  "parse_rfc3339(\"%s\") failed: %s", cases[i].text, error.message);
        CHECK_MSG(got == cases[i].instant_us, "parse_rfc3339(\"%s\") = %lld, want %lld",
                  cases[i].text, (long long)got, (long long)cases[i].instant_us);
    }
    /* Only `length` bytes are read. */
    CHECK(calendar_parse_rfc3339("2026-10-06T08:00:00Zgarbage", 20, &got, &error) == 0 &&
          got == INT64_C(1791273600) * US);
    CHECK(calendar_parse_rfc3339("2026-10-06T08:00:00.123456789", 26, &got, &error) == -1);
}

struct rfc3339_invalid_case {
    const char *text;
    size_t length; /* 0: strlen */
    const char *reason;
};

static void test_parse_rfc3339_invalid(void)
{
    static const struct rfc3339_invalid_case cases[] = {
        {"", 0, "timestamp is empty"},
        {"2026-10-06T08:00:00", 0,
         "timestamp \"2026-10-06T08:00:00\" has no UTC offset (add Z or +01:00)"},
        {"2026-10-06T08:00:00.123", 0, "has no UTC offset (add Z or +01:00)"},
        {"2026-10-06", 0, "is a date without a time (expected e.g. 2026-10-06T00:00:00Z)"},
        {"2026-10-06T", 0, "expected a digit of the hour at character 12, found the end"},
        {"2026-10-06T08:00", 0, "expected ':' after the minute at character 17, found the end"},
        {"2026-10-06T08:00Z", 0, "expected ':' after the minute at character 17, found 'Z'"},
        {"2026-10-06T8:00:00Z", 0, "expected a digit of the hour at character 13, found ':'"},
        {"2026-10-06T08:0:00Z", 0, "expected a digit of the minute at character 16, found ':'"},
        {"2026-10-06T08:00:0Z", 0, "expected a digit of the second at character 19, found 'Z'"},
        {"2026-10-06T08-00-00Z", 0, "expected ':' after the hour at character 14, found '-'"},
        {"2026-10-06X08:00:00Z", 0, "expected 'T' between date and time at character 11"},
        {"2026-10-06_08:00:00Z", 0, "expected 'T' between date and time at character 11"},
        {"20261006T080000Z", 0, "expected '-' after the year at character 5, found '1'"},
        {"2026-13-06T08:00:00Z", 0, "has month 13 (must be 01..12)"},
        {"2026-00-06T08:00:00Z", 0, "has month 00 (must be 01..12)"},
        {"2026-02-29T08:00:00Z", 0, "has day 29 but February 2026 has 28 days"},
        {"2026-09-31T08:00:00Z", 0, "has day 31 but September 2026 has 30 days"},
        {"2026-10-00T08:00:00Z", 0, "has day 00 but October 2026 has 31 days"},
        {"2026-10-06T24:00:00Z", 0, "has hour 24 (must be 00..23)"},
        {"2026-10-06T99:00:00Z", 0, "has hour 99 (must be 00..23)"},
        {"2026-10-06T08:60:00Z", 0, "has minute 60 (must be 00..59)"},
        {"2026-10-06T23:59:60Z", 0, "has second 60: leap seconds are not supported"},
        {"2026-10-06T08:00:61Z", 0, "has second 61 (must be 00..59)"},
        {"2026-10-06T08:00:00.Z", 0,
         "expected a digit of the fraction of a second at character 21, found 'Z'"},
        {"2026-10-06T08:00:00.", 0, "fraction of a second at character 21, found the end"},
        {"2026-10-06T08:00:00,5Z", 0,
         "expected a UTC offset (Z, +HH:MM or -HH:MM) at character 20"},
        {"2026-10-06T08:00:00 Z", 0,
         "expected a UTC offset (Z, +HH:MM or -HH:MM) at character "
         "20, found a space"},
        {"2026-10-06T08:00:00UTC", 0, "at character 20, found 'U'"},
        {"2026-10-06T08:00:00GMT", 0, "at character 20, found 'G'"},
        {"2026-10-06T08:00:00+01", 0,
         "expected ':' after the offset hour at character 23, found the end"},
        {"2026-10-06T08:00:00+0100", 0,
         "expected ':' after the offset hour at character 23, found '0'"},
        {"2026-10-06T08:00:00+1:00", 0,
         "expected a digit of the offset hour at character 22, found ':'"},
        {"2026-10-06T08:00:00+01:0", 0,
         "expected a digit of the offset minute at character 25, found the end"},
        {"2026-10-06T08:00:00+", 0, "expected a digit of the offset hour at character 21"},
        {"2026-10-06T08:00:00+24:00", 0,
         "has an invalid UTC offset \"+24:00\" at character 20 (hours must be 00..23"},
        {"2026-10-06T08:00:00-01:60", 0, "has an invalid UTC offset \"-01:60\" at character 20"},
        {"2026-10-06T08:00:00Zjunk", 0,
         "has 4 unexpected trailing characters after the UTC offset, starting at character 21"},
        {"2026-10-06T08:00:00Z ", 0, "has 1 unexpected trailing character after the UTC offset"},
        {"2026-10-06T08:00:00ZZ", 0, "has 1 unexpected trailing character"},
        {"2026-10-06T08:00:00+01:00:00", 0, "has 3 unexpected trailing characters"},
        {"2026-10-06T08:00:00+01:00Z", 0, "has 1 unexpected trailing character"},
        {"2026-10-06T08:00:00Z\n", 0, "has 1 unexpected trailing character"},
        {"2026-10-06T08:00:00\0Z", 21, "at character 20, found byte 0x00"},
        {"2026-10-06T08:00:00Z\0", 21, "has 1 unexpected trailing character"},
        {" 2026-10-06T08:00:00Z", 0, "expected a digit of the year at character 1, found a space"},
        {"-2026-10-06T08:00:00Z", 0, "expected a digit of the year at character 1, found '-'"},
        {"12026-10-06T08:00:00Z", 0, "expected '-' after the year at character 5, found '6'"},
        {"2026-10-06T08:00:00.5", 0, "has no UTC offset"},
        {"1776-07-04", 0, "is a date without a time"},
        {"not a timestamp", 0,
         "timestamp \"not a timestamp\" is not valid: expected a digit of the year at character "
         "1, found 'n'"},
        {"\"quoted\"\\", 0, "timestamp \"\\\"quoted\\\"\\\\\" is not valid"},
        {"\x01\xff", 0, "timestamp \"\\x01\\xff\" is not valid"},
    };
    struct ccm_error error;
    int64_t got;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t length = cases[i].length ? cases[i].length : strlen(cases[i].text);
        ccm_error_clear(&error);
        got = -42;
        CHECK_MSG(parse_rfc3339_exact(cases[i].text, length, &got, &error) == -1,
                  "parse_rfc3339(\"%s\") accepted (%lld), want error: %s", cases[i].text,
                  (long long)got, cases[i].reason);
        CHECK_MSG(got == -42, "parse_rfc3339(\"%s\") wrote the output on error", cases[i].text);
        CHECK_MSG(strstr(error.message, cases[i].reason) != NULL,
                  "parse_rfc3339(\"%s\") error \"%s\" does not say \"%s\"", cases[i].text,
                  error.message, cases[i].reason);
    }
    /* A long input is shown truncated in the message, which stays one sentence. */
    {
        char long_text[600];
        memset(long_text, '9', sizeof long_text);
        CHECK(parse_rfc3339_exact(long_text, sizeof long_text, &got, &error) == -1);
        CHECK_MSG(strstr(error.message, "...\"") != NULL && strlen(error.message) < 300,
                  "long input message: %s", error.message);
    }
    CHECK(calendar_parse_rfc3339("2026-10-06T08:00:00", 19, &got, NULL) == -1);
    CHECK(calendar_parse_rfc3339(NULL, 0, &got, NULL) == -1);
}

/* Every strict prefix of a valid timestamp is an error, read within bounds. */
static void test_parse_rfc3339_prefixes(void)
{
    static const char *const texts[] = {
        "2026-10-06T08:00:00Z",
        "2026-10-06T08:00:00.123456789+01:00",
        "1969-12-31T23:59:59.999999-05:30",
    };
    struct ccm_error error;
    int64_t got;

    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t length = strlen(texts[i]);
        for (size_t n = 0; n < length; n++) {
            int rc = parse_rfc3339_exact(texts[i], n, &got, &error);
            /* "...:00.1234567" cut inside the fraction has no offset: still an error. */
            CHECK_MSG(rc == -1, "prefix %zu of \"%s\" accepted", n, texts[i]);
            CHECK_MSG(error.message[0] != '\0', "prefix %zu of \"%s\": empty message", n, texts[i]);
        }
        CHECK(parse_rfc3339_exact(texts[i], length, &got, &error) == 0);
    }
}

static void test_format_rfc3339(void)
{
    static const struct {
        int64_t instant_us;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00Z"},
        {1, "1970-01-01T00:00:00.000001Z"},
        {-1, "1969-12-31T23:59:59.999999Z"},
        {500000, "1970-01-01T00:00:00.500000Z"},
        {INT64_C(1791273612) * US, "2026-10-06T08:00:12Z"},
        {INT64_C(1791273612) * US + 123456, "2026-10-06T08:00:12.123456Z"},
        {INT64_C(1791273612) * US + 100, "2026-10-06T08:00:12.000100Z"},
        {INT64_C(1774746000) * US, "2026-03-29T01:00:00Z"},
        {INT64_C(951868799) * US, "2000-02-29T23:59:59Z"},
        {INT64_C(-2208988800) * US, "1900-01-01T00:00:00Z"},
        {INT64_C(-62167219200) * US, "0000-01-01T00:00:00Z"},
        {INT64_C(253402300799) * US + 999999, "9999-12-31T23:59:59.999999Z"},
        {INT64_C(253402300800) * US, "+10000-01-01T00:00:00Z"},
        {INT64_C(-62167219200) * US - 1, "-0001-12-31T23:59:59.999999Z"},
        {INT64_MAX, "+294247-01-10T04:00:54.775807Z"},
        {INT64_MIN, "-290308-12-21T19:59:05.224192Z"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'x', sizeof out);
        calendar_format_rfc3339_utc(cases[i].instant_us, out);
        CHECK_STR(out, cases[i].text);
    }
}

/* Format -> parse round trip on pseudo-random instants across 0000..9999. */
static void test_rfc3339_round_trip(void)
{
    const int64_t lo = INT64_C(-62167219200) * US, hi = INT64_C(253402300800) * US;
    uint64_t state = 0x9e3779b97f4a7c15u;
    int budget = 10;
    char out[32];

    for (int i = 0; i < 200000; i++) {
        int64_t t, back = 0;
        state = state * 6364136223846793005u + 1442695040888963407u;
        t = lo + (int64_t)((state >> 1) % (uint64_t)(hi - lo));
        if (i % 3 == 0) /* whole seconds too */
            t -= ((t % US) + US) % US;
        calendar_format_rfc3339_utc(t, out);
        CHECK_BULK(calendar_parse_rfc3339(out, strlen(out), &back, NULL) == 0 && back == t, budget,
                   "%lld -> \"%s\" -> %lld", (long long)t, out, (long long)back);
        CHECK_BULK((t % US == 0) == (strchr(out, '.') == NULL), budget,
                   "\"%s\": fraction shown iff sub-second part", out);
    }
}

void unit_main(void)
{
    test_every_day_1900_2200();
    test_known_dates();
    test_wide_round_trip();
    test_leap_years_and_month_lengths();
    test_utc_day();
    test_parse_date();
    test_format_date();
    test_parse_rfc3339_valid();
    test_parse_rfc3339_invalid();
    test_parse_rfc3339_prefixes();
    test_format_rfc3339();
    test_rfc3339_round_trip();
}
