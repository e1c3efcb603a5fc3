/*
 * test_period: every named period form at several "now" instants in London
 * (including just after local midnight in BST and across both clock changes),
 * financial years with different start months, month lengths in hours, explicit
 * instant ranges (first_day / end_day / whole_days), US and Australian zones,
 * and the rejection table with the reason each spec is refused.
 */
#include "period.h"

#include "calendar.h"
#include "unit.h"

#include <stdlib.h>

#define US   INT64_C(1000000)
#define HOUR (3600 * US)

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

static void rule_or_die(struct tz_rule *rule, const char *posix_tz)
{
    if (tz_rule_parse(rule, posix_tz, NULL) != 0) {
        fprintf(stderr, "bad rule in test: %s\n", posix_tz);
        abort();
    }
}

static const char *kind_name(enum period_kind kind)
{
    switch (kind) {
    case PERIOD_TODAY:
        return "today";
    case PERIOD_MONTH_TO_DATE:
        return "mtd";
    case PERIOD_MONTH:
        return "month";
    case PERIOD_ROLLING_30_DAYS:
        return "rolling-30d";
    case PERIOD_FINANCIAL_YEAR:
        return "fy";
    case PERIOD_DAY:
        return "day";
    case PERIOD_HOUR:
        return "hour";
    case PERIOD_QUARTER_HOUR:
        return "quarter-hour";
    case PERIOD_INSTANTS:
        return "instants";
    }
    return "?";
}

/* One expected period: instants as RFC 3339 text, days as YYYY-MM-DD. */
struct expected {
    enum period_kind kind;
    const char *key;
    const char *from, *to;
    const char *first_day, *end_day;
    bool whole_days;
};

static void check_period(const char *what, const struct period *p, const struct expected *e)
{
    char from[32], to[32], first[11], end[11];
    calendar_format_rfc3339_utc(p->from_us, from);
    calendar_format_rfc3339_utc(p->to_us, to);
    calendar_format_date(p->first_day, first);
    calendar_format_date(p->end_day, end);
    CHECK_MSG(p->kind == e->kind, "%s: kind %s, want %s", what, kind_name(p->kind),
              kind_name(e->kind));
    CHECK_MSG(strcmp(p->key, e->key) == 0, "%s: key \"%s\", want \"%s\"", what, p->key, e->key);
    CHECK_MSG(p->from_us == at(e->from), "%s: from %s, want %s", what, from, e->from);
    CHECK_MSG(p->to_us == at(e->to), "%s: to %s, want %s", what, to, e->to);
    CHECK_MSG(p->first_day == day_of(e->first_day), "%s: first_day %s, want %s", what, first,
              e->first_day);
    CHECK_MSG(p->end_day == day_of(e->end_day), "%s: end_day %s, want %s", what, end, e->end_day);
    CHECK_MSG(p->whole_days == e->whole_days, "%s: whole_days %d, want %d", what, p->whole_days,
              e->whole_days);
}

struct resolve_case {
    const char *spec;
    const char *now;
    int fy_start_month;
    struct expected want;
};

static void check_resolve_table(const char *zone, const struct tz_rule *rule,
                                const struct resolve_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct period p;
        struct ccm_error error;
        char what[128];
        int rc;
        snprintf(what, sizeof what, "%s \"%s\" at %s (fy %d)", zone, cases[i].spec, cases[i].now,
                 cases[i].fy_start_month);
        ccm_error_clear(&error);
        rc = period_resolve(cases[i].spec, at(cases[i].now), rule, cases[i].fy_start_month, &p,
                            &error);
        CHECK_MSG(rc == 0, "%s failed: %s", what, error.message);
        if (rc == 0)
            check_period(what, &p, &cases[i].want);
    }
}

static void test_london_resolve(void)
{
    /* clang-format off */
    static const struct resolve_case cases[] = {
        /* An ordinary BST day. */
        {"today", "2026-10-06T08:00:00Z", 4,
         {PERIOD_TODAY, "today", "2026-10-05T23:00:00Z", "2026-10-06T23:00:00Z", "2026-10-06",
          "2026-10-07", true}},
        {"mtd", "2026-10-06T08:00:00Z", 4,
         {PERIOD_MONTH_TO_DATE, "mtd", "2026-09-30T23:00:00Z", "2026-10-06T23:00:00Z",
          "2026-10-01", "2026-10-07", true}},
        {"rolling-30d", "2026-10-06T08:00:00Z", 4,
         {PERIOD_ROLLING_30_DAYS, "rolling-30d", "2026-09-05T23:00:00Z", "2026-10-06T23:00:00Z",
          "2026-09-06", "2026-10-07", true}},
        {"2026-10", "2026-10-06T08:00:00Z", 4,
         {PERIOD_MONTH, "2026-10", "2026-09-30T23:00:00Z", "2026-11-01T00:00:00Z", "2026-10-01",
          "2026-11-01", true}},
        {"2026-03", "2026-10-06T08:00:00Z", 4,
         {PERIOD_MONTH, "2026-03", "2026-03-01T00:00:00Z", "2026-03-31T23:00:00Z", "2026-03-01",
          "2026-04-01", true}},
        {"2026-10-06", "2020-01-01T00:00:00Z", 4,
         {PERIOD_DAY, "2026-10-06", "2026-10-05T23:00:00Z", "2026-10-06T23:00:00Z", "2026-10-06",
          "2026-10-07", true}},
        {"2026-10-25", "2020-01-01T00:00:00Z", 4,
         {PERIOD_DAY, "2026-10-25", "2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z", "2026-10-25",
          "2026-10-26", true}},
        {"2026-03-29", "2020-01-01T00:00:00Z", 4,
         {PERIOD_DAY, "2026-03-29", "2026-03-29T00:00:00Z", "2026-03-29T23:00:00Z", "2026-03-29",
          "2026-03-30", true}},

        /* Financial years (the "now" does not matter). */
        {"fy-2026", "2026-10-06T08:00:00Z", 4,
         {PERIOD_FINANCIAL_YEAR, "fy-2026", "2026-03-31T23:00:00Z", "2027-03-31T23:00:00Z",
          "2026-04-01", "2027-04-01", true}},
        {"fy-2026", "2030-01-01T00:00:00Z", 1,
         {PERIOD_FINANCIAL_YEAR, "fy-2026", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
          "2026-01-01", "2027-01-01", true}},
        {"fy-2026", "2026-10-06T08:00:00Z", 7,
         {PERIOD_FINANCIAL_YEAR, "fy-2026", "2026-06-30T23:00:00Z", "2027-06-30T23:00:00Z",
          "2026-07-01", "2027-07-01", true}},
        {"fy-2026", "2026-10-06T08:00:00Z", 12,
         {PERIOD_FINANCIAL_YEAR, "fy-2026", "2026-12-01T00:00:00Z", "2027-12-01T00:00:00Z",
          "2026-12-01", "2027-12-01", true}},
        {"fy-2024", "2026-10-06T08:00:00Z", 4, /* a leap year inside */
         {PERIOD_FINANCIAL_YEAR, "fy-2024", "2024-03-31T23:00:00Z", "2025-03-31T23:00:00Z",
          "2024-04-01", "2025-04-01", true}},

        /* Just after local midnight in BST: UTC is still on the previous day. */
        {"today", "2026-07-01T23:30:00Z", 4,
         {PERIOD_TODAY, "today", "2026-07-01T23:00:00Z", "2026-07-02T23:00:00Z", "2026-07-02",
          "2026-07-03", true}},
        {"mtd", "2026-07-01T23:30:00Z", 4,
         {PERIOD_MONTH_TO_DATE, "mtd", "2026-06-30T23:00:00Z", "2026-07-02T23:00:00Z",
          "2026-07-01", "2026-07-03", true}},
        {"rolling-30d", "2026-07-01T23:30:00Z", 4,
         {PERIOD_ROLLING_30_DAYS, "rolling-30d", "2026-06-01T23:00:00Z", "2026-07-02T23:00:00Z",
          "2026-06-02", "2026-07-03", true}},
        /* ...and just before it. */
        {"today", "2026-07-01T22:59:59.999999Z", 4,
         {PERIOD_TODAY, "today", "2026-06-30T23:00:00Z", "2026-07-01T23:00:00Z", "2026-07-01",
          "2026-07-02", true}},
        /* First instant of a month in BST: mtd is that single day. */
        {"mtd", "2026-03-31T23:00:00Z", 4,
         {PERIOD_MONTH_TO_DATE, "mtd", "2026-03-31T23:00:00Z", "2026-04-01T23:00:00Z",
          "2026-04-01", "2026-04-02", true}},
        {"mtd", "2026-03-31T22:59:59Z", 4,
         {PERIOD_MONTH_TO_DATE, "mtd", "2026-03-01T00:00:00Z", "2026-03-31T23:00:00Z",
          "2026-03-01", "2026-04-01", true}},

        /* Clock-change days: 23 and 25 hours. */
        {"today", "2026-03-29T00:30:00Z", 4,
         {PERIOD_TODAY, "today", "2026-03-29T00:00:00Z", "2026-03-29T23:00:00Z", "2026-03-29",
          "2026-03-30", true}},
        {"today", "2026-10-25T12:00:00Z", 4,
         {PERIOD_TODAY, "today", "2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z", "2026-10-25",
          "2026-10-26", true}},
        /* Winter, new year. */
        {"today", "2026-01-01T00:00:00Z", 4,
         {PERIOD_TODAY, "today", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-01",
          "2026-01-02", true}},
        {"mtd", "2026-01-01T00:00:00Z", 4,
         {PERIOD_MONTH_TO_DATE, "mtd", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z",
          "2026-01-01", "2026-01-02", true}},
        {"rolling-30d", "2026-01-01T00:00:00Z", 4,
         {PERIOD_ROLLING_30_DAYS, "rolling-30d", "2025-12-02T00:00:00Z", "2026-01-02T00:00:00Z",
          "2025-12-02", "2026-01-02", true}},
        /* rolling-30d across the October change: 31 days and one hour. */
        {"rolling-30d", "2026-11-10T12:00:00Z", 4,
         {PERIOD_ROLLING_30_DAYS, "rolling-30d", "2026-10-10T23:00:00Z", "2026-11-11T00:00:00Z",
          "2026-10-11", "2026-11-11", true}},
        /* mtd in February of a leap year, on the 29th. */
        {"mtd", "2028-02-29T23:59:59Z", 4,
         {PERIOD_MONTH_TO_DATE, "mtd", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z",
          "2028-02-01", "2028-03-01", true}},

        /* Year bounds. */
        {"1970-01", "2026-10-06T08:00:00Z", 4,
         {PERIOD_MONTH, "1970-01", "1970-01-01T00:00:00Z", "1970-02-01T00:00:00Z", "1970-01-01",
          "1970-02-01", true}},
    };
    /* clang-format on */
    struct tz_rule london;
    tz_rule_europe_london(&london);
    check_resolve_table("London", &london, cases, sizeof cases / sizeof cases[0]);
    /* 9999-12 ends in year 10000, beyond RFC 3339 text. */
    {
        struct period p;
        CHECK(period_resolve("9999-12", 0, &london, 4, &p, NULL) == 0);
        CHECK_INT(p.from_us, at("9999-12-01T00:00:00Z"));
        CHECK_INT(p.to_us, at("9999-12-31T23:59:59Z") + US);
        CHECK_STR(p.key, "9999-12");
        CHECK_INT(p.end_day, day_of("9999-12-31") + 1);
        CHECK(period_resolve("fy-9999", 0, &london, 4, &p, NULL) == 0);
        CHECK_STR(p.key, "fy-9999");
        CHECK_INT(p.from_us, at("9999-03-31T23:00:00Z"));
        CHECK(p.to_us > p.from_us);
        CHECK(period_resolve("9999-12-31", 0, &london, 4, &p, NULL) == 0);
        CHECK_STR(p.key, "9999-12-31");
    }
}

static void test_other_zones_resolve(void)
{
    /* clang-format off */
    static const struct resolve_case us[] = {
        {"today", "2026-03-08T12:00:00Z", 4,
         {PERIOD_TODAY, "today", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", "2026-03-08",
          "2026-03-09", true}},
        {"today", "2026-11-01T03:59:59Z", 4, /* Oct 31 23:59:59 EDT */
         {PERIOD_TODAY, "today", "2026-10-31T04:00:00Z", "2026-11-01T04:00:00Z", "2026-10-31",
          "2026-11-01", true}},
        {"today", "2026-11-01T04:00:00Z", 4, /* 25-hour day */
         {PERIOD_TODAY, "today", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", "2026-11-01",
          "2026-11-02", true}},
        {"2026-03", "2026-11-01T04:00:00Z", 4,
         {PERIOD_MONTH, "2026-03", "2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z", "2026-03-01",
          "2026-04-01", true}},
        {"fy-2026", "2026-11-01T04:00:00Z", 7,
         {PERIOD_FINANCIAL_YEAR, "fy-2026", "2026-07-01T04:00:00Z", "2027-07-01T04:00:00Z",
          "2026-07-01", "2027-07-01", true}},
        {"mtd", "2026-12-01T04:59:59Z", 4, /* still November 30 in New York */
         {PERIOD_MONTH_TO_DATE, "mtd", "2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z",
          "2026-11-01", "2026-12-01", true}},
    };
    /* clang-format on */
    /* clang-format off */
    static const struct resolve_case sydney[] = {
        {"today", "2026-12-31T13:00:00Z", 4, /* 2027-01-01 00:00 AEDT */
         {PERIOD_TODAY, "today", "2026-12-31T13:00:00Z", "2027-01-01T13:00:00Z", "2027-01-01",
          "2027-01-02", true}},
        {"mtd", "2026-12-31T12:59:59Z", 4,
         {PERIOD_MONTH_TO_DATE, "mtd", "2026-11-30T13:00:00Z", "2026-12-31T13:00:00Z",
          "2026-12-01", "2027-01-01", true}},
        {"2026-04", "2026-12-31T12:59:59Z", 4, /* DST ends April 5: 721 hours */
         {PERIOD_MONTH, "2026-04", "2026-03-31T13:00:00Z", "2026-04-30T14:00:00Z", "2026-04-01",
          "2026-05-01", true}},
        {"fy-2026", "2026-12-31T12:59:59Z", 7, /* Australian financial year */
         {PERIOD_FINANCIAL_YEAR, "fy-2026", "2026-06-30T14:00:00Z", "2027-06-30T14:00:00Z",
          "2026-07-01", "2027-07-01", true}},
    };
    /* clang-format on */
    struct tz_rule rule;
    rule_or_die(&rule, "EST5EDT,M3.2.0,M11.1.0");
    check_resolve_table("EST5EDT", &rule, us, sizeof us / sizeof us[0]);
    rule_or_die(&rule, "AEST-10AEDT,M10.1.0,M4.1.0/3");
    check_resolve_table("AEST-10AEDT", &rule, sydney, sizeof sydney / sizeof sydney[0]);
}

static void test_resolve_invalid(void)
{
    static const char accepted[] =
        "(expected today, mtd, rolling-30d, YYYY-MM, fy-YYYY or YYYY-MM-DD)";
    static const struct {
        const char *spec;
        int fy_start_month;
        const char *reason;
    } cases[] = {
        {"", 4, "period is empty"},
        {"Today", 4, "unknown period \"Today\""},
        {"TODAY", 4, "unknown period \"TODAY\""},
        {" today", 4, "unknown period \" today\""},
        {"today ", 4, "unknown period \"today \""},
        {"yesterday", 4, "unknown period \"yesterday\""},
        {"ytd", 4, "unknown period \"ytd\""},
        {"rolling-7d", 4, "unknown period \"rolling-7d\""},
        {"rolling-30", 4, "unknown period"},
        {"mtd\n", 4, "unknown period \"mtd\\x0a\""},
        {"2026", 4, "unknown period \"2026\""},
        {"2026-1", 4, "unknown period \"2026-1\""},
        {"2026-1x", 4, "unknown period"},
        {"2026/10", 4, "unknown period"},
        {"10000-01", 4, "unknown period"},
        {"2026-10-6", 4, "unknown period"},
        {"2026-10-06T00:00:00Z", 4, "unknown period"},
        {"2026-13", 4, "period \"2026-13\" has month 13 (must be 01..12)"},
        {"2026-00", 4, "period \"2026-00\" has month 00 (must be 01..12)"},
        {"1969-12", 4, "period \"1969-12\" has year 1969 (must be 1970..9999)"},
        {"0000-01", 4, "has year 0000 (must be 1970..9999)"},
        {"fy-26", 4, "period \"fy-26\" is not a financial year: expected fy-YYYY"},
        {"fy-20261", 4, "is not a financial year"},
        {"fy-", 4, "is not a financial year"},
        {"fy-2026x", 4, "is not a financial year"},
        {"FY-2026", 4, "unknown period"},
        {"fy-1969", 4, "period \"fy-1969\" has year 1969 (must be 1970..9999)"},
        {"fy-2026", 0, "the financial year start month is 0 (must be 1..12)"},
        {"fy-2026", 13, "the financial year start month is 13 (must be 1..12)"},
        {"2026-02-30", 4, "has day 30 but February 2026 has 28 days"},
        {"2026-13-01", 4, "has month 13 (must be 01..12)"},
        {"1969-12-31", 4, "period \"1969-12-31\" has year 1969 (must be 1970..9999)"},
        {"2026-10-0x", 4, "expected a digit of the day at character 10"},
    };
    struct tz_rule london;
    tz_rule_europe_london(&london);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct period p, before;
        struct ccm_error error;
        memset(&p, 0x5a, sizeof p);
        before = p;
        ccm_error_clear(&error);
        CHECK_MSG(period_resolve(cases[i].spec, at("2026-10-06T08:00:00Z"), &london,
                                 cases[i].fy_start_month, &p, &error) == -1,
                  "period \"%s\" accepted, want error: %s", cases[i].spec, cases[i].reason);
        CHECK_MSG(memcmp(&p, &before, sizeof p) == 0, "period \"%s\": output changed on error",
                  cases[i].spec);
        CHECK_MSG(strstr(error.message, cases[i].reason) != NULL,
                  "period \"%s\": error \"%s\" does not say \"%s\"", cases[i].spec, error.message,
                  cases[i].reason);
        if (strncmp(cases[i].reason, "unknown period", 14) == 0 ||
            strncmp(cases[i].reason, "period is empty", 15) == 0)
            CHECK_MSG(strstr(error.message, accepted) != NULL,
                      "period \"%s\": error \"%s\" does not list the accepted forms", cases[i].spec,
                      error.message);
    }
    {
        struct period p;
        CHECK(period_resolve(NULL, 0, &london, 4, &p, NULL) == -1);
    }
}

static void test_month_hours(void)
{
    static const int hours[12] = {744, 672, 743, 720, 744, 720, 744, 744, 720, 745, 720, 744};
    struct tz_rule london;
    tz_rule_europe_london(&london);
    for (int m = 1; m <= 12; m++) {
        struct period p, q;
        char spec[8];
        period_month(2026, m, &london, &p);
        snprintf(spec, sizeof spec, "2026-%02d", m);
        CHECK_STR(p.key, spec);
        CHECK_MSG(p.to_us - p.from_us == hours[m - 1] * HOUR, "%s is %lld h, want %d h", spec,
                  (long long)((p.to_us - p.from_us) / HOUR), hours[m - 1]);
        CHECK_INT(p.first_day, calendar_days_from_civil(2026, m, 1));
        CHECK_INT(p.end_day, calendar_days_from_civil(2026 + (m == 12), m % 12 + 1, 1));
        CHECK(p.kind == PERIOD_MONTH && p.whole_days);
        CHECK(period_resolve(spec, 0, &london, 4, &q, NULL) == 0);
        CHECK(memcmp(&p, &q, sizeof p) == 0);
    }
    /* Out-of-range months carry into the year. */
    {
        struct period p, q;
        period_month(2026, 13, &london, &p);
        period_month(2027, 1, &london, &q);
        CHECK_STR(p.key, "2027-01");
        CHECK(memcmp(&p, &q, sizeof p) == 0);
        period_month(2026, 0, &london, &p);
        CHECK_STR(p.key, "2025-12");
        period_month(2026, -11, &london, &p);
        CHECK_STR(p.key, "2025-01");
        period_month(2026, -12, &london, &p);
        CHECK_STR(p.key, "2024-12");
        period_month(2026, 25, &london, &p);
        CHECK_STR(p.key, "2028-01");
    }
}

/* Every day and month 2020..2030: consistency between the constructors. */
static void test_day_and_month_sweep(void)
{
    struct tz_rule london;
    int budget = 10;
    tz_rule_europe_london(&london);
    for (int32_t d = day_of("2020-01-01"); d < day_of("2031-01-01"); d++) {
        struct period p, q;
        char key[11];
        int64_t length;
        period_day(d, &london, &p);
        calendar_format_date(d, key);
        length = p.to_us - p.from_us;
        CHECK_BULK(p.kind == PERIOD_DAY && strcmp(p.key, key) == 0 && p.first_day == d &&
                       p.end_day == d + 1 && p.whole_days,
                   budget, "period_day(%s)", key);
        CHECK_BULK(length == 24 * HOUR || length == 23 * HOUR || length == 25 * HOUR, budget,
                   "period_day(%s) is %lld s", key, (long long)(length / US));
        CHECK_BULK(period_resolve(key, 0, &london, 4, &q, NULL) == 0 &&
                       memcmp(&p, &q, sizeof p) == 0,
                   budget, "period_resolve(\"%s\") differs from period_day", key);
        CHECK_BULK(period_from_instants(p.from_us, p.to_us, &london, &q, NULL) == 0 &&
                       q.whole_days && q.first_day == d && q.end_day == d + 1,
                   budget, "period_from_instants of %s", key);
        /* "today" at the first and the last microsecond of the day. */
        CHECK_BULK(period_resolve("today", p.from_us, &london, 4, &q, NULL) == 0 &&
                       q.from_us == p.from_us && q.to_us == p.to_us,
                   budget, "today at the start of %s", key);
        CHECK_BULK(period_resolve("today", p.to_us - 1, &london, 4, &q, NULL) == 0 &&
                       q.from_us == p.from_us && q.to_us == p.to_us,
                   budget, "today at the end of %s", key);
        CHECK_BULK(period_resolve("rolling-30d", p.from_us, &london, 4, &q, NULL) == 0 &&
                       q.first_day == d - 30 && q.end_day == d + 1 &&
                       q.from_us == tz_day_start(&london, d - 30),
                   budget, "rolling-30d on %s", key);
    }
}

struct instants_case {
    const char *from, *to;
    struct expected want;
};

static void test_from_instants(void)
{
    /* clang-format off */
    static const struct instants_case cases[] = {
        /* A whole local day. */
        {"2026-10-05T23:00:00Z", "2026-10-06T23:00:00Z",
         {PERIOD_INSTANTS, "20261005T230000Z/20261006T230000Z", "2026-10-05T23:00:00Z",
          "2026-10-06T23:00:00Z", "2026-10-06", "2026-10-07", true}},
        /* UTC midnights are not London midnights in summer. */
        {"2026-10-06T00:00:00Z", "2026-10-07T00:00:00Z",
         {PERIOD_INSTANTS, "20261006T000000Z/20261007T000000Z", "2026-10-06T00:00:00Z",
          "2026-10-07T00:00:00Z", "2026-10-06", "2026-10-08", false}},
        /* ...but they are in winter. */
        {"2026-01-06T00:00:00Z", "2026-01-08T00:00:00Z",
         {PERIOD_INSTANTS, "20260106T000000Z/20260108T000000Z", "2026-01-06T00:00:00Z",
          "2026-01-08T00:00:00Z", "2026-01-06", "2026-01-08", true}},
        /* One hour inside a day. */
        {"2026-10-06T08:00:00Z", "2026-10-06T09:00:00Z",
         {PERIOD_INSTANTS, "20261006T080000Z/20261006T090000Z", "2026-10-06T08:00:00Z",
          "2026-10-06T09:00:00Z", "2026-10-06", "2026-10-07", false}},
        /* A microsecond past local midnight touches the next day. */
        {"2026-10-05T23:00:00Z", "2026-10-06T23:00:00.000001Z",
         {PERIOD_INSTANTS, "custom", "2026-10-05T23:00:00Z", "2026-10-06T23:00:00.000001Z",
          "2026-10-06", "2026-10-08", false}},
        /* Across local midnight: 23:30 to 00:30 BST. */
        {"2026-10-06T22:30:00Z", "2026-10-06T23:30:00Z",
         {PERIOD_INSTANTS, "20261006T223000Z/20261006T233000Z", "2026-10-06T22:30:00Z",
          "2026-10-06T23:30:00Z", "2026-10-06", "2026-10-08", false}},
        /* A single microsecond. */
        {"2026-10-06T08:00:00Z", "2026-10-06T08:00:00.000001Z",
         {PERIOD_INSTANTS, "custom", "2026-10-06T08:00:00Z", "2026-10-06T08:00:00.000001Z",
          "2026-10-06", "2026-10-07", false}},
        /* The 25-hour day, as instants. */
        {"2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z",
         {PERIOD_INSTANTS, "20261024T230000Z/20261026T000000Z", "2026-10-24T23:00:00Z",
          "2026-10-26T00:00:00Z", "2026-10-25", "2026-10-26", true}},
        /* A quarter hour, as the series use. */
        {"2026-10-06T08:15:00Z", "2026-10-06T08:30:00Z",
         {PERIOD_INSTANTS, "20261006T081500Z/20261006T083000Z", "2026-10-06T08:15:00Z",
          "2026-10-06T08:30:00Z", "2026-10-06", "2026-10-07", false}},
        /* Before 1970. */
        {"1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z",
         {PERIOD_INSTANTS, "19691231T000000Z/19700101T000000Z", "1969-12-31T00:00:00Z",
          "1970-01-01T00:00:00Z", "1969-12-31", "1970-01-01", true}},
    };
    /* clang-format on */
    struct tz_rule london;
    tz_rule_europe_london(&london);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct period p;
        struct ccm_error error;
        char what[96];
        int rc;
        snprintf(what, sizeof what, "instants %s..%s", cases[i].from, cases[i].to);
        rc = period_from_instants(at(cases[i].from), at(cases[i].to), &london, &p, &error);
        CHECK_MSG(rc == 0, "%s failed: %s", what, error.message);
        if (rc == 0)
            check_period(what, &p, &cases[i].want);
    }
    /* Empty and reversed ranges. */
    {
        struct period p, before;
        struct ccm_error error;
        memset(&p, 0x5a, sizeof p);
        before = p;
        CHECK(period_from_instants(at("2026-10-06T08:00:00Z"), at("2026-10-06T08:00:00Z"), &london,
                                   &p, &error) == -1);
        CHECK_MSG(strstr(error.message, "period from 2026-10-06T08:00:00Z to 2026-10-06T08:00:00Z "
                                        "is empty: \"to\" must be later than \"from\"") != NULL,
                  "empty range: %s", error.message);
        CHECK(period_from_instants(at("2026-10-06T09:00:00Z"), at("2026-10-06T08:00:00Z"), &london,
                                   &p, &error) == -1);
        CHECK(strstr(error.message, "period from 2026-10-06T09:00:00Z to 2026-10-06T08:00:00Z") !=
              NULL);
        CHECK(memcmp(&p, &before, sizeof p) == 0);
        CHECK(period_from_instants(INT64_MAX, INT64_MIN, &london, &p, NULL) == -1);
        /* The widest range does not overflow. */
        CHECK(period_from_instants(INT64_MIN, INT64_MAX, &london, &p, NULL) == 0);
        CHECK_STR(p.key, "custom");
        CHECK(p.end_day > p.first_day);
    }
}

void unit_main(void)
{
    test_london_resolve();
    test_other_zones_resolve();
    test_resolve_invalid();
    test_month_hours();
    test_day_and_month_sweep();
    test_from_instants();
}
