/*
 * test_tz: POSIX TZ parsing (valid and invalid tables), Europe/London offsets
 * around every clock change of several years (last Sundays of March/October
 * written out by hand), local days and day starts around midnight, DST gaps
 * that swallow midnight (Chile), southern-hemisphere and negative DST, and
 * tz_footer_from_tzif on TZif v2+ blobs built in memory (no file I/O), with
 * truncated, corrupted and random inputs that must fail cleanly.
 */
#include "tz.h"

#include "calendar.h"
#include "unit.h"

#include <stdlib.h>

#define US   INT64_C(1000000)
#define HOUR (3600 * US)

/* An RFC 3339 instant; test tables are written in text for readability. */
static int64_t at(const char *text)
{
    struct ccm_error error;
    int64_t instant = 0;
    if (calendar_parse_rfc3339(text, strlen(text), &instant, &error) != 0) {
        fprintf(stderr, "bad instant in test table: %s\n", error.message);
        abort();
    }
    return instant;
}

static int32_t day_of(const char *date)
{
    int32_t day = 0;
    if (calendar_parse_date(date, strlen(date), &day, NULL) != 0) {
        fprintf(stderr, "bad date in test table: %s\n", date);
        abort();
    }
    return day;
}

static void parse_or_die(struct tz_rule *rule, const char *posix_tz)
{
    struct ccm_error error;
    if (tz_rule_parse(rule, posix_tz, &error) != 0) {
        fprintf(stderr, "tz_rule_parse(\"%s\"): %s\n", posix_tz, error.message);
        abort();
    }
}

/* ------------------------------------------------------------------------ */

struct parse_case {
    const char *text;
    int32_t std_offset_s, dst_offset_s;
    bool has_dst;
    struct tz_transition_rule start, end;
};

#define M(m, w, d, t)                                                                              \
    {                                                                                              \
        .kind = 'M', .day = (d), .week = (w), .month = (m), .time_s = (t)                          \
    }
#define J(n, t)                                                                                    \
    {                                                                                              \
        .kind = 'J', .day = (n), .time_s = (t)                                                     \
    }
#define D(n, t)                                                                                    \
    {                                                                                              \
        .kind = 'D', .day = (n), .time_s = (t)                                                     \
    }

static bool same_transition(const struct tz_transition_rule *a, const struct tz_transition_rule *b)
{
    return a->kind == b->kind && a->day == b->day && a->week == b->week && a->month == b->month &&
           a->time_s == b->time_s;
}

static void test_parse_valid(void)
{
    static const struct parse_case cases[] = {
        {"GMT0BST,M3.5.0/1,M10.5.0", 0, 3600, true, M(3, 5, 0, 3600), M(10, 5, 0, 7200)},
        {"UTC0", 0, 0, false, {0}, {0}},
        {"GMT0", 0, 0, false, {0}, {0}},
        {"<+03>-3", 10800, 10800, false, {0}, {0}},
        {"<-03>3", -10800, -10800, false, {0}, {0}},
        {"<+0545>-5:45", 20700, 20700, false, {0}, {0}},
        {"XXX+3", -10800, -10800, false, {0}, {0}},
        {"XXX3:15:30", -11730, -11730, false, {0}, {0}},
        {"LMT-14", 50400, 50400, false, {0}, {0}},
        {"LMT24", -86400, -86400, false, {0}, {0}},
        {"EST5EDT,M3.2.0,M11.1.0", -18000, -14400, true, M(3, 2, 0, 7200), M(11, 1, 0, 7200)},
        {"CET-1CEST,M3.5.0,M10.5.0/3", 3600, 7200, true, M(3, 5, 0, 7200), M(10, 5, 0, 10800)},
        {"AEST-10AEDT,M10.1.0,M4.1.0/3", 36000, 39600, true, M(10, 1, 0, 7200), M(4, 1, 0, 10800)},
        {"NST3:30NDT,M3.2.0,M11.1.0", -12600, -9000, true, M(3, 2, 0, 7200), M(11, 1, 0, 7200)},
        {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 45900, 49500, true, M(9, 5, 0, 9900),
         M(4, 1, 0, 13500)},
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800, 39600, true, M(10, 1, 0, 7200),
         M(4, 1, 0, 7200)},
        {"IST-1GMT0,M10.5.0,M3.5.0/1", 3600, 0, true, M(10, 5, 0, 7200), M(3, 5, 0, 3600)},
        {"<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", -10800, -7200, true, M(3, 5, 0, -7200),
         M(10, 5, 0, -3600)},
        {"<-04>4<-03>,M9.1.6/24,M4.1.6/24", -14400, -10800, true, M(9, 1, 6, 86400),
         M(4, 1, 6, 86400)},
        {"EET-2EEST,M3.4.4/50,M10.4.4/50", 7200, 10800, true, M(3, 4, 4, 180000),
         M(10, 4, 4, 180000)},
        {"IST-2IDT,M3.4.4/26,M10.5.0", 7200, 10800, true, M(3, 4, 4, 93600), M(10, 5, 0, 7200)},
        {"EST5EDT,0/0,J365/25", -18000, -14400, true, D(0, 0), J(365, 90000)},
        {"XXX0YYY,J60/+1:30:15,59/-167", 0, 3600, true, J(60, 5415), D(59, -601200)},
        {"<A-1>1<A+2>-2,J1/-167:59:59,365/167:59:59", -3600, 7200, true, J(1, -604799),
         D(365, 604799)},
        {"aaa0bbb,M1.1.0,M12.5.6", 0, 3600, true, M(1, 1, 0, 7200), M(12, 5, 6, 7200)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct parse_case *c = &cases[i];
        struct tz_rule rule;
        struct ccm_error error;
        int rc;

        memset(&rule, 0x5a, sizeof rule);
        ccm_error_clear(&error);
        rc = tz_rule_parse(&rule, c->text, &error);
        CHECK_MSG(rc == 0, "tz_rule_parse(\"%s\") failed: %s", c->text, error.message);
        if (rc != 0)
            continue;
        CHECK_MSG(rule.std_offset_s == c->std_offset_s && rule.dst_offset_s == c->dst_offset_s &&
                      rule.has_dst == c->has_dst,
                  "\"%s\": std %d dst %d has_dst %d, want %d %d %d", c->text,
                  (int)rule.std_offset_s, (int)rule.dst_offset_s, rule.has_dst,
                  (int)c->std_offset_s, (int)c->dst_offset_s, c->has_dst);
        if (c->has_dst) {
            CHECK_MSG(same_transition(&rule.dst_start, &c->start),
                      "\"%s\": start %c d%d w%d m%d t%d", c->text, rule.dst_start.kind,
                      rule.dst_start.day, rule.dst_start.week, rule.dst_start.month,
                      (int)rule.dst_start.time_s);
            CHECK_MSG(same_transition(&rule.dst_end, &c->end), "\"%s\": end %c d%d w%d m%d t%d",
                      c->text, rule.dst_end.kind, rule.dst_end.day, rule.dst_end.week,
                      rule.dst_end.month, (int)rule.dst_end.time_s);
        }
        CHECK_MSG(memchr(rule.name, '\0', sizeof rule.name) != NULL, "\"%s\": name unterminated",
                  c->text);
    }
}

static void test_parse_invalid(void)
{
    static const struct {
        const char *text;
        const char *reason;
    } cases[] = {
        {"", "time zone rule is empty"},
        {"GMT", "expected the standard time UTC offset (e.g. 0, 5 or -1) at the end"},
        {"GM0", "the standard time name must be at least 3 letters"},
        {"0", "the standard time name must be at least 3 letters"},
        {"+03", "the standard time name must be at least 3 letters (or quoted, like <+03>) at "
                "character 1 (found '+')"},
        {"<+3>-3", "the quoted standard time name must have at least 3 characters"},
        {"<+03-3", "expected '>' closing the quoted standard time name at the end"},
        {"<+0 3>-3", "expected '>' closing the quoted standard time name at character 4"},
        {"<>0", "the quoted standard time name must have at least 3 characters"},
        {"GMT25",
         "the hour of the standard time offset is 25, out of range 0..24 (at character 4)"},
        {"GMT0001", "the hour of the standard time offset has too many digits (at most 3"},
        {"GMT0:60", "the minute of the standard time offset is 60, out of range 0..59"},
        {"GMT0:00:60", "the second of the standard time offset is 60, out of range 0..59"},
        {"GMT0:", "expected a number for the minute of the standard time offset at the end"},
        {"GMT+", "expected a number for the hour of the standard time offset at the end"},
        {"GMT0BST", "expected ',' and the daylight time rules"},
        {"GMT0BST1", "expected ',' and the daylight time rules"},
        {"GMT0BST25,M3.5.0,M10.5.0", "the hour of the daylight time offset is 25"},
        {"GMT0 ", "the daylight time name must be at least 3 letters"},
        {"GMT0BS,M3.5.0,M10.5.0", "the daylight time name must be at least 3 letters"},
        {"GMT0<BS>,M3.5.0,M10.5.0", "the quoted daylight time name must have at least 3"},
        {"GMT0BST,M3.5.0/1", "expected ',' before the daylight time end at the end"},
        {"GMT0BST,M3.5.0/1,", "expected the daylight time end date (Mm.w.d, Jn or n) at the end"},
        {"GMT0BST,,M10.5.0", "expected the daylight time start date (Mm.w.d, Jn or n)"},
        {"GMT0BST,X1,M10.5.0", "expected the daylight time start date (Mm.w.d, Jn or n) at "
                               "character 9 (found 'X')"},
        {"GMT0BST,M13.5.0,M10.5.0", "the month of the daylight time start is 13, out of range "
                                    "1..12 (at character 10)"},
        {"GMT0BST,M0.5.0,M10.5.0", "the month of the daylight time start is 0, out of range"},
        {"GMT0BST,M3.6.0,M10.5.0", "the week of the daylight time start is 6, out of range 1..5"},
        {"GMT0BST,M3.0.0,M10.5.0", "the week of the daylight time start is 0, out of range 1..5"},
        {"GMT0BST,M3.5.7,M10.5.0", "the weekday of the daylight time start is 7, out of range "
                                   "0..6"},
        {"GMT0BST,M3.5.0,M10.5.10",
         "the weekday of the daylight time end has too many digits (at most 1"},
        {"GMT0BST,M3,M10.5.0", "expected '.' after the month of an Mm.w.d rule at character 11"},
        {"GMT0BST,M3.5,M10.5.0", "expected '.' after the week of an Mm.w.d rule"},
        {"GMT0BST,M3.5.,M10.5.0", "expected a number for the weekday of the daylight time start"},
        {"GMT0BST,J0,M10.5.0", "the Julian day of the daylight time start is 0, out of range "
                               "1..365"},
        {"GMT0BST,J366,M10.5.0", "the Julian day of the daylight time start is 366"},
        {"GMT0BST,M3.5.0,366", "the day of the year of the daylight time end is 366, out of "
                               "range 0..365"},
        {"GMT0BST,M3.5.0/168,M10.5.0", "the hour of the time of day of the daylight time start "
                                       "is 168, out of range 0..167"},
        {"GMT0BST,M3.5.0/-168,M10.5.0", "is 168, out of range 0..167"},
        {"GMT0BST,M3.5.0/1:60,M10.5.0", "the minute of the time of day of the daylight time "
                                        "start is 60"},
        {"GMT0BST,M3.5.0/,M10.5.0", "expected a number for the hour of the time of day"},
        {"GMT0BST,M3.5.0,M10.5.0x", "unexpected text after the daylight time end at character "
                                    "23 (found 'x')"},
        {"GMT0BST,M3.5.0,M10.5.0,", "unexpected text after the daylight time end"},
        {"GMT0BST,M3.5.0,M10.5.0\n", "unexpected text after the daylight time end at character "
                                     "23 (found byte 0x0a)"},
        {"GMT0\xff", "\"GMT0\\xff\" is not valid"},
        {"Europe/London", "expected the standard time UTC offset (e.g. 0, 5 or -1) at character 7 "
                          "(found '/')"},
        {"XXX0YYY,J1/167,D365", "expected the daylight time end date (Mm.w.d, Jn or n) at "
                                "character 16 (found 'D')"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tz_rule rule, before;
        struct ccm_error error;

        memset(&rule, 0x5a, sizeof rule);
        before = rule;
        ccm_error_clear(&error);
        CHECK_MSG(tz_rule_parse(&rule, cases[i].text, &error) == -1,
                  "tz_rule_parse(\"%s\") accepted, want error: %s", cases[i].text, cases[i].reason);
        CHECK_MSG(memcmp(&rule, &before, sizeof rule) == 0,
                  "tz_rule_parse(\"%s\") changed the rule on error", cases[i].text);
        CHECK_MSG(strstr(error.message, cases[i].reason) != NULL,
                  "tz_rule_parse(\"%s\") error \"%s\" does not say \"%s\"", cases[i].text,
                  error.message, cases[i].reason);
    }
    {
        struct tz_rule rule;
        CHECK(tz_rule_parse(&rule, NULL, NULL) == -1);
        CHECK(tz_rule_parse(&rule, "nonsense", NULL) == -1);
    }
}

static void test_europe_london_rule(void)
{
    struct tz_rule builtin, parsed;
    tz_rule_europe_london(&builtin);
    parse_or_die(&parsed, "GMT0BST,M3.5.0/1,M10.5.0");
    CHECK_STR(builtin.name, "Europe/London");
    CHECK_STR(parsed.name, "GMT0BST,M3.5.0/1,M10.5.0");
    CHECK_INT(builtin.std_offset_s, parsed.std_offset_s);
    CHECK_INT(builtin.dst_offset_s, parsed.dst_offset_s);
    CHECK(builtin.has_dst && parsed.has_dst);
    CHECK(same_transition(&builtin.dst_start, &parsed.dst_start));
    CHECK(same_transition(&builtin.dst_end, &parsed.dst_end));
}

/* ------------------------------------------------------------------------ */

struct offset_case {
    const char *instant;
    int32_t offset_s;
    const char *local_day;
};

static void check_offsets(const char *zone, const struct tz_rule *rule,
                          const struct offset_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int64_t t = at(cases[i].instant);
        CHECK_MSG(tz_offset_at(rule, t) == cases[i].offset_s, "%s: offset at %s = %d, want %d",
                  zone, cases[i].instant, (int)tz_offset_at(rule, t), (int)cases[i].offset_s);
        if (cases[i].local_day) {
            char got[11];
            calendar_format_date(tz_local_day(rule, t), got);
            CHECK_MSG(strcmp(got, cases[i].local_day) == 0, "%s: local day of %s = %s, want %s",
                      zone, cases[i].instant, got, cases[i].local_day);
        }
    }
}

static void test_london_2026(void)
{
    static const struct offset_case cases[] = {
        {"2026-01-01T00:00:00Z", 0, "2026-01-01"},
        {"2026-03-29T00:59:59.999999Z", 0, "2026-03-29"},
        {"2026-03-29T01:00:00Z", 3600, "2026-03-29"}, /* 01:00 GMT -> 02:00 BST */
        {"2026-03-29T01:00:00.000001Z", 3600, "2026-03-29"},
        {"2026-03-28T23:59:59Z", 0, "2026-03-28"},
        {"2026-03-29T22:59:59Z", 3600, "2026-03-29"},
        {"2026-03-29T23:00:00Z", 3600, "2026-03-30"},
        {"2026-07-01T22:59:59.999999Z", 3600, "2026-07-01"}, /* BST midnight */
        {"2026-07-01T23:00:00Z", 3600, "2026-07-02"},
        {"2026-07-01T23:30:00Z", 3600, "2026-07-02"},
        {"2026-10-24T22:59:59Z", 3600, "2026-10-24"},
        {"2026-10-24T23:00:00Z", 3600, "2026-10-25"},
        {"2026-10-25T00:59:59.999999Z", 3600, "2026-10-25"},
        {"2026-10-25T01:00:00Z", 0, "2026-10-25"}, /* 02:00 BST -> 01:00 GMT */
        {"2026-10-25T23:59:59Z", 0, "2026-10-25"},
        {"2026-10-26T00:00:00Z", 0, "2026-10-26"},
        {"2026-01-15T23:59:59.999999Z", 0, "2026-01-15"}, /* GMT midnight */
        {"2026-01-16T00:00:00Z", 0, "2026-01-16"},
        {"2026-12-31T23:59:59Z", 0, "2026-12-31"},
        {"2027-01-01T00:00:00Z", 0, "2027-01-01"},
        {"2026-03-29T01:00:00+00:00", 3600, NULL},
        {"2026-03-29T02:00:00+01:00", 3600, NULL},
        {"2026-10-25T01:59:59+01:00", 3600, NULL},
        {"2026-10-25T01:00:00+00:00", 0, NULL},
    };
    struct tz_rule london;
    tz_rule_europe_london(&london);
    check_offsets("Europe/London", &london, cases, sizeof cases / sizeof cases[0]);
}

/* The last Sundays of March and October, from a printed calendar. */
static void test_london_years(void)
{
    static const struct {
        int year;
        int march_day, october_day;
    } years[] = {
        {1996, 31, 27}, {2000, 26, 29}, {2020, 29, 25}, {2023, 26, 29}, {2024, 31, 27},
        {2025, 30, 26}, {2026, 29, 25}, {2027, 28, 31}, {2028, 26, 29}, {2030, 31, 27},
        {2037, 29, 25}, {2038, 28, 31}, {2050, 27, 30}, {2100, 28, 31},
    };
    struct tz_rule london;
    tz_rule_europe_london(&london);

    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        int y = years[i].year;
        int64_t spring =
            (int64_t)calendar_days_from_civil(y, 3, years[i].march_day) * CALENDAR_US_PER_DAY +
            HOUR;
        int64_t autumn =
            (int64_t)calendar_days_from_civil(y, 10, years[i].october_day) * CALENDAR_US_PER_DAY +
            HOUR;
        int64_t jan1 = (int64_t)calendar_days_from_civil(y, 1, 1) * CALENDAR_US_PER_DAY;
        int64_t jul15 = (int64_t)calendar_days_from_civil(y, 7, 15) * CALENDAR_US_PER_DAY;

        CHECK_MSG(calendar_weekday(calendar_days_from_civil(y, 3, years[i].march_day)) == 0 &&
                      calendar_weekday(calendar_days_from_civil(y, 10, years[i].october_day)) == 0,
                  "%d: table dates are not Sundays", y);
        CHECK_MSG(tz_offset_at(&london, spring - 1) == 0, "%d: GMT just before spring", y);
        CHECK_MSG(tz_offset_at(&london, spring) == 3600, "%d: BST from 01:00Z on 03-%02d", y,
                  years[i].march_day);
        CHECK_MSG(tz_offset_at(&london, autumn - 1) == 3600, "%d: BST just before autumn", y);
        CHECK_MSG(tz_offset_at(&london, autumn) == 0, "%d: GMT from 01:00Z on 10-%02d", y,
                  years[i].october_day);
        CHECK_MSG(tz_offset_at(&london, spring - 7 * CALENDAR_US_PER_DAY) == 0,
                  "%d: GMT a week before", y);
        CHECK_MSG(tz_offset_at(&london, autumn - 7 * CALENDAR_US_PER_DAY) == 3600,
                  "%d: BST a week before autumn", y);
        CHECK_MSG(tz_offset_at(&london, jan1) == 0 && tz_offset_at(&london, jan1 - 1) == 0,
                  "%d: GMT at new year", y);
        CHECK_MSG(tz_offset_at(&london, jul15) == 3600, "%d: BST in July", y);
        /* Day starts on both change days: midnight comes before 01:00Z both times. */
        CHECK_MSG(tz_day_start(&london, calendar_days_from_civil(y, 3, years[i].march_day)) ==
                      spring - HOUR,
                  "%d: spring day starts at 00:00Z", y);
        CHECK_MSG(tz_day_start(&london, calendar_days_from_civil(y, 10, years[i].october_day)) ==
                      autumn - 2 * HOUR,
                  "%d: autumn day starts at 23:00Z the day before", y);
    }
}

/* Every hour from 2020 to 2031: offset exactly when between the table's changes. */
static void test_london_hourly(void)
{
    static const int march[] = {29, 28, 27, 26, 31, 30, 29, 28, 26, 25, 31, 30};   /* 2020.. */
    static const int october[] = {25, 31, 30, 29, 27, 26, 25, 31, 29, 28, 27, 26}; /* 2020.. */
    struct tz_rule london;
    int budget = 10;
    tz_rule_europe_london(&london);

    for (int y = 2020; y <= 2031; y++) {
        int64_t spring =
            (int64_t)calendar_days_from_civil(y, 3, march[y - 2020]) * CALENDAR_US_PER_DAY + HOUR;
        int64_t autumn =
            (int64_t)calendar_days_from_civil(y, 10, october[y - 2020]) * CALENDAR_US_PER_DAY +
            HOUR;
        int64_t t = (int64_t)calendar_days_from_civil(y, 1, 1) * CALENDAR_US_PER_DAY;
        int64_t end = (int64_t)calendar_days_from_civil(y + 1, 1, 1) * CALENDAR_US_PER_DAY;
        for (; t < end; t += HOUR / 2) {
            int32_t want = t >= spring && t < autumn ? 3600 : 0;
            int32_t got = tz_offset_at(&london, t);
            int32_t local = calendar_utc_day(t + want * US);
            CHECK_BULK(got == want, budget, "London %lld: offset %d, want %d", (long long)t,
                       (int)got, (int)want);
            CHECK_BULK(tz_local_day(&london, t) == local, budget, "London %lld: local day",
                       (long long)t);
        }
    }
}

/* Month lengths in hours: local midnight to local midnight. */
static void test_london_month_hours(void)
{
    static const int hours[12] = {744, 672, 743, 720, 744, 720, 744, 744, 720, 745, 720, 744};
    struct tz_rule london;
    tz_rule_europe_london(&london);
    for (int m = 1; m <= 12; m++) {
        int64_t from = tz_day_start(&london, calendar_days_from_civil(2026, m, 1));
        int64_t to =
            tz_day_start(&london, calendar_days_from_civil(2026 + (m == 12), m % 12 + 1, 1));
        CHECK_MSG(to - from == hours[m - 1] * HOUR, "2026-%02d is %lld h, want %d h", m,
                  (long long)((to - from) / HOUR), hours[m - 1]);
    }
}

struct day_start_case {
    const char *date;
    const char *start;
};

static void check_day_starts(const char *zone, const struct tz_rule *rule,
                             const struct day_start_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int32_t day = day_of(cases[i].date);
        int64_t got = tz_day_start(rule, day), want = at(cases[i].start);
        char text[32];
        calendar_format_rfc3339_utc(got, text);
        CHECK_MSG(got == want, "%s: %s starts at %s, want %s", zone, cases[i].date, text,
                  cases[i].start);
        CHECK_MSG(tz_local_day(rule, got) == day && tz_local_day(rule, got - 1) == day - 1,
                  "%s: %s: day start is not the first instant of the day", zone, cases[i].date);
    }
}

static void test_london_day_starts(void)
{
    static const struct day_start_case cases[] = {
        {"2026-03-28", "2026-03-28T00:00:00Z"}, {"2026-03-29", "2026-03-29T00:00:00Z"},
        {"2026-03-30", "2026-03-29T23:00:00Z"}, {"2026-07-02", "2026-07-01T23:00:00Z"},
        {"2026-10-24", "2026-10-23T23:00:00Z"}, {"2026-10-25", "2026-10-24T23:00:00Z"},
        {"2026-10-26", "2026-10-26T00:00:00Z"}, {"2026-01-01", "2026-01-01T00:00:00Z"},
        {"2027-01-01", "2027-01-01T00:00:00Z"}, {"1970-01-01", "1970-01-01T00:00:00Z"},
        {"2027-03-28", "2027-03-28T00:00:00Z"}, {"2027-10-31", "2027-10-30T23:00:00Z"},
    };
    struct tz_rule london;
    tz_rule_europe_london(&london);
    check_day_starts("Europe/London", &london, cases, sizeof cases / sizeof cases[0]);
}

static void test_us_eastern(void)
{
    static const struct offset_case offsets[] = {
        {"2026-01-15T12:00:00Z", -18000, "2026-01-15"},
        {"2026-01-16T04:59:59Z", -18000, "2026-01-15"},
        {"2026-01-16T05:00:00Z", -18000, "2026-01-16"},
        {"2026-03-08T06:59:59Z", -18000, "2026-03-08"}, /* second Sunday of March */
        {"2026-03-08T07:00:00Z", -14400, "2026-03-08"}, /* 02:00 EST -> 03:00 EDT */
        {"2026-07-04T03:59:59Z", -14400, "2026-07-03"},
        {"2026-07-04T04:00:00Z", -14400, "2026-07-04"},
        {"2026-11-01T05:59:59Z", -14400, "2026-11-01"}, /* first Sunday of November */
        {"2026-11-01T06:00:00Z", -18000, "2026-11-01"}, /* 02:00 EDT -> 01:00 EST */
        {"2027-03-14T07:00:00Z", -14400, "2027-03-14"},
        {"2027-03-14T06:59:59Z", -18000, "2027-03-14"},
        {"2027-11-07T06:00:00Z", -18000, "2027-11-07"},
        {"2027-01-01T04:59:59Z", -18000, "2026-12-31"},
    };
    static const struct day_start_case starts[] = {
        {"2026-03-08", "2026-03-08T05:00:00Z"}, {"2026-03-09", "2026-03-09T04:00:00Z"},
        {"2026-11-01", "2026-11-01T04:00:00Z"}, {"2026-11-02", "2026-11-02T05:00:00Z"},
        {"2027-01-01", "2027-01-01T05:00:00Z"},
    };
    struct tz_rule rule;
    parse_or_die(&rule, "EST5EDT,M3.2.0,M11.1.0");
    check_offsets("EST5EDT", &rule, offsets, sizeof offsets / sizeof offsets[0]);
    check_day_starts("EST5EDT", &rule, starts, sizeof starts / sizeof starts[0]);
}

static void test_sydney(void)
{
    static const struct offset_case offsets[] = {
        {"2026-01-15T00:00:00Z", 39600, "2026-01-15"}, /* summer: DST over the new year */
        {"2025-12-31T12:59:59Z", 39600, "2025-12-31"},
        {"2025-12-31T13:00:00Z", 39600, "2026-01-01"},
        {"2026-04-04T15:59:59Z", 39600, "2026-04-05"}, /* first Sunday of April, 03:00 AEDT */
        {"2026-04-04T16:00:00Z", 36000, "2026-04-05"},
        {"2026-07-15T00:00:00Z", 36000, "2026-07-15"},
        {"2026-10-03T15:59:59Z", 36000, "2026-10-04"}, /* first Sunday of October, 02:00 AEST */
        {"2026-10-03T16:00:00Z", 39600, "2026-10-04"},
        {"2026-12-31T12:59:59Z", 39600, "2026-12-31"},
        {"2026-12-31T13:00:00Z", 39600, "2027-01-01"},
        {"2027-04-03T16:00:00Z", 36000, "2027-04-04"},
        {"2027-04-03T15:59:59Z", 39600, "2027-04-04"},
    };
    static const struct day_start_case starts[] = {
        {"2027-01-01", "2026-12-31T13:00:00Z"}, {"2026-01-01", "2025-12-31T13:00:00Z"},
        {"2026-04-05", "2026-04-04T13:00:00Z"}, {"2026-04-06", "2026-04-05T14:00:00Z"},
        {"2026-10-04", "2026-10-03T14:00:00Z"}, {"2026-10-05", "2026-10-04T13:00:00Z"},
    };
    struct tz_rule rule;
    parse_or_die(&rule, "AEST-10AEDT,M10.1.0,M4.1.0/3");
    check_offsets("AEST-10AEDT", &rule, offsets, sizeof offsets / sizeof offsets[0]);
    check_day_starts("AEST-10AEDT", &rule, starts, sizeof starts / sizeof starts[0]);
}

/* Chile: clocks go forward at Saturday 24:00, so Sunday's midnight never happens. */
static void test_chile_midnight_gap(void)
{
    static const struct offset_case offsets[] = {
        {"2026-09-06T03:59:59Z", -14400, "2026-09-05"}, /* Sat 23:59:59 -04 */
        {"2026-09-06T04:00:00Z", -10800, "2026-09-06"}, /* Sun 01:00:00 -03 */
        {"2026-04-05T02:59:59Z", -10800, "2026-04-04"}, /* Sat 23:59:59 -03 */
        {"2026-04-05T03:00:00Z", -14400, "2026-04-04"}, /* back to Sat 23:00 -04 */
        {"2026-04-05T03:59:59Z", -14400, "2026-04-04"},
        {"2026-04-05T04:00:00Z", -14400, "2026-04-05"},
        {"2026-01-01T02:59:59Z", -10800, "2025-12-31"},
        {"2026-01-01T03:00:00Z", -10800, "2026-01-01"},
    };
    static const struct day_start_case starts[] = {
        {"2026-09-06", "2026-09-06T04:00:00Z"}, /* the gap swallows 00:00-01:00 */
        {"2026-09-05", "2026-09-05T04:00:00Z"}, {"2026-09-07", "2026-09-07T03:00:00Z"},
        {"2026-04-04", "2026-04-04T03:00:00Z"}, {"2026-04-05", "2026-04-05T04:00:00Z"},
        {"2026-01-01", "2026-01-01T03:00:00Z"},
    };
    struct tz_rule rule;
    parse_or_die(&rule, "<-04>4<-03>,M9.1.6/24,M4.1.6/24");
    check_offsets("Chile", &rule, offsets, sizeof offsets / sizeof offsets[0]);
    check_day_starts("Chile", &rule, starts, sizeof starts / sizeof starts[0]);
    /* The 2026-09-06 local day is 23 hours long. */
    CHECK_INT(tz_day_start(&rule, day_of("2026-09-07")) - tz_day_start(&rule, day_of("2026-09-06")),
              23 * HOUR);
}

/* Greenland before 2023: transitions at -2h/-1h local, i.e. Saturday evening. */
static void test_godthab(void)
{
    static const struct offset_case offsets[] = {
        {"2026-03-29T00:59:59Z", -10800, "2026-03-28"}, /* Sat 21:59:59 -03 */
        {"2026-03-29T01:00:00Z", -7200, "2026-03-28"},  /* Sat 23:00 -02 */
        {"2026-03-29T01:59:59Z", -7200, "2026-03-28"},
        {"2026-03-29T02:00:00Z", -7200, "2026-03-29"},
        {"2026-10-25T00:59:59Z", -7200, "2026-10-24"},  /* Sat 22:59:59 -02 */
        {"2026-10-25T01:00:00Z", -10800, "2026-10-24"}, /* Sat 22:00 -03 */
        {"2026-10-25T03:00:00Z", -10800, "2026-10-25"},
    };
    static const struct day_start_case starts[] = {
        {"2026-03-28", "2026-03-28T03:00:00Z"},
        {"2026-03-29", "2026-03-29T02:00:00Z"},
        {"2026-10-24", "2026-10-24T02:00:00Z"},
        {"2026-10-25", "2026-10-25T03:00:00Z"},
    };
    static const struct day_start_case nuuk_starts[] = {
        /* Nuuk since 2023: forward at Sat 23:00 -02 to Sun 00:00 -01, back at Sun 00:00 -01 */
        {"2026-03-29", "2026-03-29T01:00:00Z"},
        {"2026-10-25", "2026-10-25T02:00:00Z"},
        {"2026-10-26", "2026-10-26T02:00:00Z"},
    };
    struct tz_rule rule;
    parse_or_die(&rule, "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");
    check_offsets("Godthab", &rule, offsets, sizeof offsets / sizeof offsets[0]);
    check_day_starts("Godthab", &rule, starts, sizeof starts / sizeof starts[0]);
    parse_or_die(&rule, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    check_day_starts("Nuuk", &rule, nuuk_starts, sizeof nuuk_starts / sizeof nuuk_starts[0]);
    /* At 2026-10-25T01:00Z Sunday 00:00 -01 would begin, but the clocks go back to Saturday
     * 23:00 -02 instead: Sunday begins an hour later, at 00:00 -02. */
    CHECK_INT(tz_local_day(&rule, at("2026-10-25T00:59:59Z")), day_of("2026-10-24"));
    CHECK_INT(tz_local_day(&rule, at("2026-10-25T01:00:00Z")), day_of("2026-10-24"));
    CHECK_INT(tz_local_day(&rule, at("2026-10-25T01:59:59Z")), day_of("2026-10-24"));
    CHECK_INT(tz_local_day(&rule, at("2026-10-25T02:00:00Z")), day_of("2026-10-25"));
}

/* A synthetic zone whose gap [23:30, 00:30) straddles midnight: the day starts at
 * the transition itself, local 00:30, not at either "midnight" candidate. */
static void test_gap_straddling_midnight(void)
{
    static const struct day_start_case starts[] = {
        /* Last Saturday of March 2026 is the 28th: 23:30 -03 = 2026-03-29T02:30Z. */
        {"2026-03-29", "2026-03-29T02:30:00Z"},
        {"2026-03-28", "2026-03-28T03:00:00Z"},
        {"2026-03-30", "2026-03-30T02:00:00Z"},
    };
    struct tz_rule rule;
    parse_or_die(&rule, "<-03>3<-02>,M3.5.6/23:30,M10.5.0");
    check_day_starts("gap at midnight", &rule, starts, sizeof starts / sizeof starts[0]);
    CHECK_INT(tz_offset_at(&rule, at("2026-03-29T02:29:59Z")), -10800);
    CHECK_INT(tz_offset_at(&rule, at("2026-03-29T02:30:00Z")), -7200);
    CHECK_INT(tz_local_day(&rule, at("2026-03-29T02:29:59Z")), day_of("2026-03-28"));
}

/* A rule whose DST lasts zero seconds (start and end at the same instant) is
 * standard time everywhere, including right at the new year where the previous
 * and next years' transitions are also considered. */
static void test_zero_length_dst(void)
{
    static const char *const rules[] = {"XXX0YYY,J1/1,J1/2", "XXX0YYY,M3.5.0/1,M3.5.0/2",
                                        "XXX-1YYY,J365/23,J365/24"};
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        struct tz_rule rule;
        int budget = 5;
        parse_or_die(&rule, rules[r]);
        for (int64_t t = at("2025-12-20T00:00:00Z"); t < at("2027-01-20T00:00:00Z"); t += HOUR / 4)
            CHECK_BULK(tz_offset_at(&rule, t) == rule.std_offset_s, budget,
                       "%s: DST at %lld despite zero length", rules[r], (long long)t);
    }
}

/* Transition dates of the J, n and M forms in leap and common years: with
 * std = UTC and transitions at 00:00, DST starts exactly at UTC midnight. */
static void test_transition_dates(void)
{
    static const struct {
        const char *start;
        const char *end;
        const char *date; /* the local date DST starts */
    } cases[] = {
        {"J59", "M11.1.0", "2024-02-28"},    {"J59", "M11.1.0", "2026-02-28"},
        {"J60", "M11.1.0", "2024-03-01"},    {"J60", "M11.1.0", "2026-03-01"},
        {"J1", "M11.1.0", "2026-01-01"},     {"J365", "J200", "2024-12-31"},
        {"J365", "J200", "2026-12-31"},      {"58", "M11.1.0", "2024-02-28"},
        {"59", "M11.1.0", "2024-02-29"},     {"59", "M11.1.0", "2026-03-01"},
        {"0", "M11.1.0", "2026-01-01"},      {"365", "J200", "2024-12-31"},
        {"364", "J200", "2026-12-31"},       {"M2.5.4", "M11.1.0", "2024-02-29"},
        {"M2.5.3", "M11.1.0", "2026-02-25"}, {"M2.4.4", "M11.1.0", "2024-02-22"},
        {"M5.5.0", "M11.1.0", "2026-05-31"}, {"M5.4.0", "M11.1.0", "2026-05-24"},
        {"M8.1.6", "M11.1.0", "2026-08-01"}, {"M8.1.0", "M11.1.0", "2026-08-02"},
        {"M3.2.0", "M11.1.0", "2026-03-08"}, {"M3.5.1", "M11.1.0", "2026-03-30"},
        {"M2.5.0", "M11.1.0", "2015-02-22"}, {"M2.4.0", "M11.1.0", "2015-02-22"},
        {"M12.5.4", "J200", "2026-12-31"},   {"M1.1.4", "M11.1.0", "2026-01-01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        struct tz_rule rule;
        int64_t midnight = (int64_t)day_of(cases[i].date) * CALENDAR_US_PER_DAY;
        snprintf(text, sizeof text, "XXX0YYY,%s/0,%s", cases[i].start, cases[i].end);
        parse_or_die(&rule, text);
        CHECK_MSG(tz_offset_at(&rule, midnight - 1) == 0 && tz_offset_at(&rule, midnight) == 3600,
                  "%s: DST does not start at %s 00:00 (offsets %d, %d)", text, cases[i].date,
                  (int)tz_offset_at(&rule, midnight - 1), (int)tz_offset_at(&rule, midnight));
    }
}

/* Dublin: "winter time" is the DST of the rule, one hour behind standard. */
static void test_dublin_negative_dst(void)
{
    struct tz_rule dublin, london;
    int budget = 10;
    parse_or_die(&dublin, "IST-1GMT0,M10.5.0,M3.5.0/1");
    tz_rule_europe_london(&london);
    for (int64_t t = at("2020-01-01T00:00:00Z"); t < at("2031-01-01T00:00:00Z"); t += HOUR) {
        CHECK_BULK(tz_offset_at(&dublin, t) == tz_offset_at(&london, t), budget,
                   "Dublin and London differ at %lld", (long long)t);
    }
    for (int32_t d = day_of("2020-01-01"); d < day_of("2031-01-01"); d++)
        CHECK_BULK(tz_day_start(&dublin, d) == tz_day_start(&london, d), budget,
                   "Dublin and London day starts differ on day %d", (int)d);
}

/* RFC 8536: "EST5EDT,0/0,J365/25" is daylight time all year. */
static void test_all_year_dst(void)
{
    struct tz_rule rule;
    int budget = 10;
    parse_or_die(&rule, "EST5EDT,0/0,J365/25");
    for (int64_t t = at("2023-12-25T00:00:00Z"); t < at("2029-01-10T00:00:00Z"); t += HOUR / 4)
        CHECK_BULK(tz_offset_at(&rule, t) == -14400, budget, "all-year DST broken at %lld",
                   (long long)t);
}

static void test_fixed_zones(void)
{
    static const struct {
        const char *rule;
        int32_t offset_s;
    } zones[] = {{"UTC0", 0}, {"<+03>-3", 10800}, {"<-0930>9:30", -34200}, {"<+14>-14", 50400}};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        struct tz_rule rule;
        int32_t day = day_of("2026-10-06");
        int64_t midnight = (int64_t)day * CALENDAR_US_PER_DAY;
        parse_or_die(&rule, zones[i].rule);
        CHECK_INT(tz_offset_at(&rule, at("2026-07-01T12:00:00Z")), zones[i].offset_s);
        CHECK_INT(tz_offset_at(&rule, at("2026-01-01T12:00:00Z")), zones[i].offset_s);
        CHECK_INT(tz_day_start(&rule, day), midnight - zones[i].offset_s * US);
        CHECK_INT(tz_local_day(&rule, midnight - zones[i].offset_s * US), day);
        CHECK_INT(tz_local_day(&rule, midnight - zones[i].offset_s * US - 1), day - 1);
    }
    {
        struct tz_rule utc;
        parse_or_die(&utc, "UTC0");
        CHECK_INT(tz_local_day(&utc, -1), -1);
        CHECK_INT(tz_local_day(&utc, 0), 0);
        CHECK_INT(tz_local_day(&utc, at("1969-12-31T00:00:00Z")), -1);
        CHECK_INT(tz_local_day(&utc, at("1969-12-30T23:59:59.999999Z")), -2);
    }
}

/* For several zones and every day 1990..2060: day_start is the first instant of
 * the day and days are 23, 24 or 25 hours long (24.5/23.5 for Lord Howe). */
static void test_day_start_sweep(void)
{
    static const char *const zones[] = {
        "GMT0BST,M3.5.0/1,M10.5.0",
        "EST5EDT,M3.2.0,M11.1.0",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",
        "<-04>4<-03>,M9.1.6/24,M4.1.6/24",
        "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
        "IST-1GMT0,M10.5.0,M3.5.0/1",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "EET-2EEST,M3.4.4/50,M10.4.4/50",
        "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
        "<-01>1<+00>,M3.5.0/0,M10.5.0/1",
        "<-03>3<-02>,M3.5.6/23:30,M10.5.0",
        "EST5EDT,0/0,J365/25",
        "UTC0",
    };
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        struct tz_rule rule;
        int budget = 5;
        int64_t previous;
        int32_t first = day_of("1990-01-01"), last = day_of("2060-12-31");
        parse_or_die(&rule, zones[z]);
        previous = tz_day_start(&rule, first - 1);
        for (int32_t d = first; d <= last; d++) {
            int64_t start = tz_day_start(&rule, d);
            int64_t length = start - previous;
            CHECK_BULK(tz_local_day(&rule, start) == d && tz_local_day(&rule, start - 1) == d - 1,
                       budget, "%s: day %d start is not its first instant", zones[z], (int)d);
            CHECK_BULK(length == 24 * HOUR || length == 23 * HOUR || length == 25 * HOUR ||
                           length == 23 * HOUR + HOUR / 2 || length == 24 * HOUR + HOUR / 2,
                       budget, "%s: day %d is %lld s long", zones[z], (int)d - 1,
                       (long long)(length / US));
            previous = start;
        }
    }
}

static void test_extremes(void)
{
    static const int64_t instants[] = {INT64_MIN, INT64_MIN + 1,    -(INT64_C(1) << 62), -1,
                                       0,         INT64_C(1) << 62, INT64_MAX - 1,       INT64_MAX};
    static const int32_t days[] = {INT32_MIN, -106751992, -106751991, -106751990,
                                   0,         106751990,  106751991,  INT32_MAX};
    struct tz_rule rules[3];
    tz_rule_europe_london(&rules[0]);
    parse_or_die(&rules[1], "AEST-10AEDT,M10.1.0,M4.1.0/3");
    parse_or_die(&rules[2], "<+14>-14");
    for (size_t r = 0; r < 3; r++) {
        for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
            int32_t offset = tz_offset_at(&rules[r], instants[i]);
            CHECK(offset == rules[r].std_offset_s || offset == rules[r].dst_offset_s);
            (void)tz_local_day(&rules[r], instants[i]);
        }
        for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
            (void)tz_day_start(&rules[r], days[i]);
        CHECK_INT(tz_day_start(&rules[r], INT32_MAX), INT64_MAX);
        CHECK_INT(tz_day_start(&rules[r], INT32_MIN), INT64_MIN);
    }
}

/* ------------------------------------------------------------------------ */
/* TZif                                                                      */
/* ------------------------------------------------------------------------ */

struct blob {
    unsigned char bytes[8192];
    size_t length;
};

static void put(struct blob *b, const void *data, size_t n)
{
    if (b->length + n > sizeof b->bytes) {
        fprintf(stderr, "test TZif blob too large\n");
        abort();
    }
    memcpy(b->bytes + b->length, data, n);
    b->length += n;
}

static void put_be32(struct blob *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    put(b, x, 4);
}

static void put_fill(struct blob *b, unsigned char byte, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, &byte, 1);
}

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static void put_header(struct blob *b, char version, const struct tzif_counts *c)
{
    put(b, "TZif", 4);
    put(b, &version, 1);
    put_fill(b, 0, 15);
    put_be32(b, c->isut);
    put_be32(b, c->isstd);
    put_be32(b, c->leap);
    put_be32(b, c->time);
    put_be32(b, c->type);
    put_be32(b, c->chars);
}

/* A data block whose contents are '\n' bytes where a naive footer search
 * could be fooled (transition times and leap records are filler). */
static void put_data(struct blob *b, const struct tzif_counts *c, int time_size)
{
    put_fill(b, '\n', (size_t)c->time * (size_t)time_size); /* transition times */
    put_fill(b, 0, c->time);                                /* type indices */
    for (uint32_t i = 0; i < c->type; i++) {                /* ttinfo: utoff, isdst, idx */
        put_be32(b, 0);
        put_fill(b, 0, 2);
    }
    put_fill(b, 'A', c->chars > 0 ? c->chars - 1 : 0); /* designations */
    if (c->chars > 0)
        put_fill(b, 0, 1);
    put_fill(b, '\n', (size_t)c->leap * (size_t)(time_size + 4));
    put_fill(b, 1, c->isstd);
    put_fill(b, 0, c->isut);
}

/* A TZif v2+ file: v1 header and block, v2 header and block, "\nfooter\n". */
static void build_tzif(struct blob *b, char version, const struct tzif_counts *c,
                       const char *footer)
{
    b->length = 0;
    put_header(b, version, c);
    put_data(b, c, 4);
    put_header(b, version, c);
    put_data(b, c, 8);
    put(b, "\n", 1);
    put(b, footer, strlen(footer));
    put(b, "\n", 1);
}

static int footer_exact(const unsigned char *bytes, size_t length, char *out, size_t out_size,
                        struct ccm_error *error)
{
    unsigned char *copy = malloc(length ? length : 1);
    int rc;
    if (!copy)
        abort();
    memcpy(copy, bytes, length);
    rc = tz_footer_from_tzif(copy, length, out, out_size, error);
    free(copy);
    return rc;
}

static void test_tzif_valid(void)
{
    static const struct {
        char version;
        struct tzif_counts counts;
        const char *footer;
    } cases[] = {
        {'2', {0, 0, 0, 0, 1, 4}, "UTC0"}, /* the minimal file: one type, "UTC\0" */
        {'2', {0, 0, 0, 0, 1, 4}, "GMT0BST,M3.5.0/1,M10.5.0"},
        {'3', {2, 2, 0, 3, 2, 8}, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"},
        {'4', {3, 3, 2, 7, 3, 12}, "EST5EDT,M3.2.0,M11.1.0"},
        {'2', {0, 0, 27, 0, 1, 4}, "UTC0"}, /* right/UTC-like: leap records */
        {'2', {8, 8, 0, 240, 8, 20}, "AEST-10AEDT,M10.1.0,M4.1.0/3"},
        {'2', {0, 0, 0, 0, 0, 0}, "UTC0"}, /* slim-style empty v1 block */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct blob b;
        char out[64];
        struct ccm_error error;
        int rc;
        build_tzif(&b, cases[i].version, &cases[i].counts, cases[i].footer);
        memset(out, 'x', sizeof out);
        ccm_error_clear(&error);
        rc = footer_exact(b.bytes, b.length, out, sizeof out, &error);
        CHECK_MSG(rc == 0, "TZif case %zu failed: %s", i, error.message);
        if (rc == 0)
            CHECK_STR(out, cases[i].footer);
    }
    /* The extracted footer parses. */
    {
        struct blob b;
        struct tzif_counts c = {0, 0, 0, 0, 1, 4};
        struct tz_rule rule, london;
        char out[64];
        build_tzif(&b, '2', &c, "GMT0BST,M3.5.0/1,M10.5.0");
        CHECK(tz_footer_from_tzif(b.bytes, b.length, out, sizeof out, NULL) == 0);
        CHECK(tz_rule_parse(&rule, out, NULL) == 0);
        tz_rule_europe_london(&london);
        CHECK_INT(tz_offset_at(&rule, at("2026-07-01T00:00:00Z")), 3600);
        CHECK(same_transition(&rule.dst_end, &london.dst_end));
    }
    /* Buffer sizes: exact fit works, one byte less fails. */
    {
        struct blob b;
        struct tzif_counts c = {0, 0, 0, 0, 1, 4};
        char out[8];
        struct ccm_error error;
        build_tzif(&b, '2', &c, "UTC0");
        CHECK(tz_footer_from_tzif(b.bytes, b.length, out, 5, &error) == 0);
        CHECK_STR(out, "UTC0");
        CHECK(tz_footer_from_tzif(b.bytes, b.length, out, 4, &error) == -1);
        CHECK_MSG(strstr(error.message, "TZif footer is 4 bytes long, more than the 3-byte "
                                        "buffer holds") != NULL,
                  "small buffer: %s", error.message);
        CHECK_STR(out, "");
        CHECK(tz_footer_from_tzif(b.bytes, b.length, out, 0, &error) == -1);
        CHECK(tz_footer_from_tzif(b.bytes, b.length, NULL, 8, &error) == -1);
        /* Bytes after the closing newline are ignored. */
        put(&b, "trailing", 8);
        CHECK(tz_footer_from_tzif(b.bytes, b.length, out, sizeof out, &error) == 0);
        CHECK_STR(out, "UTC0");
    }
}

static void test_tzif_invalid(void)
{
    static const struct tzif_counts minimal = {0, 0, 0, 0, 1, 4};
    struct blob good, b;
    char out[64];
    struct ccm_error error;

    build_tzif(&good, '2', &minimal, "UTC0");

    /* Every truncation fails cleanly (exact-size copies: ASan catches overreads). */
    for (size_t n = 0; n < good.length; n++) {
        ccm_error_clear(&error);
        CHECK_MSG(footer_exact(good.bytes, n, out, sizeof out, &error) == -1,
                  "truncated to %zu bytes: accepted", n);
        CHECK_MSG(error.message[0] != '\0' && out[0] == '\0', "truncated to %zu: no message", n);
    }
    CHECK(tz_footer_from_tzif(NULL, 0, out, sizeof out, &error) == -1);
    CHECK(strstr(error.message, "TZif data is empty") != NULL);

    struct {
        const char *what;
        size_t offset; /* byte to overwrite in `good`, or SIZE_MAX for a custom blob */
        unsigned char value;
        const char *reason;
    } cases[] = {
        {"magic", 0, 'X', "the version 1 header at byte 0 does not start with \"TZif\""},
        {"version 1", 4, 0, "TZif data is version 1, which has no POSIX TZ footer"},
        {"version byte", 4, '1', "unknown version byte 0x31"},
        {"version byte", 4, 0xff, "unknown version byte 0xff"},
        {"second magic", 44 + 10, 'X', "the version 2+ header at byte 54 does not start with"},
        {"second version", 44 + 10 + 4, '3', "the headers disagree on the version"},
        {"huge v1 timecnt", 32, 0xff, "the version 1 data block at byte 44 claims"},
        {"huge v2 charcnt", 54 + 40, 0x7f, "the version 2+ data block at byte 98 claims"},
        {"footer newline", 108, 'U', "the footer at byte 108 does not start with a newline"},
        {"footer control byte", 110, 0x01, "the footer contains byte 0x01 at byte 110"},
        {"footer NUL", 109, 0, "the footer contains byte 0x00 at byte 109"},
        {"footer high byte", 112, 0xc3, "the footer contains byte 0xc3 at byte 112"},
        {"closing newline", 113, 'x', "the footer starting at byte 109 has no closing newline"},
    };
    CHECK_INT(good.length, 114); /* the offsets above are for this layout */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b = good;
        b.bytes[cases[i].offset] = cases[i].value;
        ccm_error_clear(&error);
        memset(out, 'x', sizeof out);
        CHECK_MSG(footer_exact(b.bytes, b.length, out, sizeof out, &error) == -1,
                  "TZif %s: accepted", cases[i].what);
        CHECK_MSG(strstr(error.message, cases[i].reason) != NULL,
                  "TZif %s: error \"%s\" does not say \"%s\"", cases[i].what, error.message,
                  cases[i].reason);
        CHECK_MSG(out[0] == '\0', "TZif %s: output not emptied", cases[i].what);
    }

    /* Empty footer: valid TZif but no rule. */
    build_tzif(&b, '2', &minimal, "");
    CHECK(footer_exact(b.bytes, b.length, out, sizeof out, &error) == -1);
    CHECK(strstr(error.message, "TZif footer is empty") != NULL);

    /* All counts at their maximum: sizes must not overflow. */
    {
        struct tzif_counts huge = {0xffffffffu, 0xffffffffu, 0xffffffffu,
                                   0xffffffffu, 0xffffffffu, 0xffffffffu};
        b.length = 0;
        put_header(&b, '2', &huge);
        put_fill(&b, '\n', 100);
        CHECK(footer_exact(b.bytes, b.length, out, sizeof out, &error) == -1);
        CHECK(strstr(error.message, "claims 94489280490 bytes but only 100 remain") != NULL);
    }
}

/* Random bytes, and every single-byte corruption of a valid file: never a crash,
 * and any success yields a printable NUL-terminated footer. */
static void test_tzif_garbage(void)
{
    static const struct tzif_counts counts = {2, 2, 1, 3, 2, 8};
    struct blob good, b;
    uint64_t state = 12345;
    char out[64];
    int budget = 10;

    for (int i = 0; i < 20000; i++) {
        unsigned char bytes[160];
        size_t n;
        state = state * 6364136223846793005u + 1442695040888963407u;
        n = (size_t)(state >> 33) % sizeof bytes;
        for (size_t k = 0; k < n; k++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            bytes[k] = (unsigned char)(state >> 56);
        }
        if (i % 2 && n >= 5)
            memcpy(bytes, "TZif2", 5);
        CHECK_BULK(footer_exact(bytes, n, out, sizeof out, NULL) == -1, budget,
                   "random blob %d accepted", i);
    }

    build_tzif(&good, '2', &counts, "CET-1CEST,M3.5.0,M10.5.0/3");
    for (size_t pos = 0; pos < good.length; pos++) {
        static const unsigned char values[] = {0x00, 0x0a, 0x20, 0x7f, 0x80, 0xff};
        for (size_t v = 0; v < sizeof values; v++) {
            int rc;
            b = good;
            b.bytes[pos] = values[v];
            rc = footer_exact(b.bytes, b.length, out, sizeof out, NULL);
            if (rc == 0) {
                size_t len = strnlen(out, sizeof out);
                bool printable = len > 0 && len < sizeof out;
                for (size_t k = 0; k < len; k++)
                    printable = printable && out[k] >= 0x20 && out[k] <= 0x7e;
                CHECK_BULK(printable, budget, "corruption at %zu: bad footer", pos);
            } else {
                CHECK_BULK(out[0] == '\0', budget, "corruption at %zu: output not emptied", pos);
            }
        }
    }
}

void unit_main(void)
{
    test_parse_valid();
    test_parse_invalid();
    test_europe_london_rule();
    test_london_2026();
    test_london_years();
    test_london_hourly();
    test_london_month_hours();
    test_london_day_starts();
    test_us_eastern();
    test_sydney();
    test_chile_midnight_gap();
    test_godthab();
    test_gap_straddling_midnight();
    test_zero_length_dst();
    test_transition_dates();
    test_dublin_negative_dst();
    test_all_year_dst();
    test_fixed_zones();
    test_day_start_sweep();
    test_extremes();
    test_tzif_valid();
    test_tzif_invalid();
    test_tzif_garbage();
}
