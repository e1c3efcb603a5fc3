/*
 * test_workday: working-day arithmetic against a naive day-by-day count written
 * here (weekday from a known Monday, holidays by linear search), over every day
 * of 2024-2028 and n = 0..25 with several holiday sets (none, England and Wales,
 * Scotland, a dense random one); workday_sub as the exact inverse bound of
 * workday_add; and known due dates around Easter, Christmas and New Year.
 */
#include "workday.h"

#include "calendar.h"
#include "unit.h"

#include <stdlib.h>

static int32_t day_of(int y, int m, int d)
{
    return calendar_days_from_civil(y, m, d);
}

/* 2024-01-01 was a Monday: weekday counted from it, independently of lib/calendar. */
static bool naive_working(int32_t day, const int32_t *holidays, size_t count)
{
    int32_t monday = 19723;                            /* 2024-01-01 */
    int weekday = (int)(((day - monday) % 7 + 7) % 7); /* 0 Monday .. 6 Sunday */
    if (weekday >= 5)
        return false;
    for (size_t i = 0; i < count; i++)
        if (holidays[i] == day)
            return false;
    return true;
}

static int32_t naive_add(int32_t day, int n, const int32_t *holidays, size_t count)
{
    int found = 0;
    while (found < n) {
        day++;
        if (naive_working(day, holidays, count))
            found++;
    }
    return day;
}

static const int32_t *england_2026(size_t *count)
{
    static int32_t days[16];
    static const int dates[][3] = {
        {2026, 1, 1},   {2026, 4, 3},   {2026, 4, 6}, {2026, 5, 4},  {2026, 5, 25}, {2026, 8, 31},
        {2026, 12, 25}, {2026, 12, 28}, {2027, 1, 1}, {2027, 3, 26}, {2027, 3, 29}, {2027, 5, 3},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        days[i] = day_of(dates[i][0], dates[i][1], dates[i][2]);
    *count = sizeof dates / sizeof dates[0];
    return days;
}

static const int32_t *scotland_2026(size_t *count)
{
    static int32_t days[16];
    /* 2 January 2027 is a Saturday: its substitute is Monday 4 January. */
    static const int dates[][3] = {
        {2026, 1, 1},   {2026, 1, 2},   {2026, 4, 3},   {2026, 5, 4}, {2026, 5, 25}, {2026, 8, 3},
        {2026, 11, 30}, {2026, 12, 25}, {2026, 12, 28}, {2027, 1, 1}, {2027, 1, 4},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        days[i] = day_of(dates[i][0], dates[i][1], dates[i][2]);
    *count = sizeof dates / sizeof dates[0];
    return days;
}

static void test_against_naive(const int32_t *holidays, size_t count, const char *name)
{
    struct workday_calendar calendar = {holidays, count};
    int budget = 10;

    CHECK_MSG(workday_holidays_valid(holidays, count), "%s: sorted", name);
    for (int32_t day = day_of(2024, 1, 1); day <= day_of(2028, 12, 31); day++) {
        CHECK_BULK(workday_is_working_day(&calendar, day) == naive_working(day, holidays, count),
                   budget, "%s: working day %d", name, (int)day);
        bool listed = false;
        for (size_t i = 0; i < count; i++)
            listed = listed || holidays[i] == day;
        CHECK_BULK(workday_is_holiday(&calendar, day) == listed, budget, "%s: holiday %d", name,
                   (int)day);
        for (int n = 0; n <= 25; n++) {
            int32_t want = naive_add(day, n, holidays, count);
            int32_t back = workday_sub(&calendar, day, n);
            CHECK_BULK(workday_add(&calendar, day, n) == want, budget, "%s: add(%d, %d)", name,
                       (int)day, n);
            /* workday_sub(d, n) is the least x with add(x, n) >= d. */
            CHECK_BULK(naive_add(back, n, holidays, count) >= day, budget, "%s: sub(%d, %d)", name,
                       (int)day, n);
            CHECK_BULK(n == 0 || naive_add(back - 1, n, holidays, count) < day, budget,
                       "%s: sub(%d, %d) least", name, (int)day, n);
        }
    }
}

static void test_holiday_lookup(void)
{
    static const int32_t holidays[] = {-5, 0, 3, 4, 10, 1000};
    struct workday_calendar calendar = {holidays, 6};
    struct workday_calendar empty = {NULL, 0};

    for (int32_t day = -10; day <= 1010; day++) {
        bool want = day == -5 || day == 0 || day == 3 || day == 4 || day == 10 || day == 1000;
        CHECK_MSG(workday_is_holiday(&calendar, day) == want, "holiday %d", (int)day);
        CHECK(!workday_is_holiday(&empty, day));
    }
    CHECK(!workday_holidays_valid((const int32_t[]){1, 1}, 2));
    CHECK(!workday_holidays_valid((const int32_t[]){2, 1}, 2));
    CHECK(workday_holidays_valid((const int32_t[]){1, 2}, 2));
    CHECK(workday_holidays_valid(NULL, 0));
}

static void test_known_due_dates(void)
{
    size_t e_count, s_count;
    const int32_t *e = england_2026(&e_count), *s = scotland_2026(&s_count);
    struct workday_calendar england = {e, e_count}, scotland = {s, s_count}, none = {NULL, 0};

    /* Thursday before Easter: Good Friday and Easter Monday skipped. */
    CHECK_INT(workday_add(&england, day_of(2026, 4, 2), 5), day_of(2026, 4, 13));
    CHECK_INT(workday_add(&none, day_of(2026, 4, 2), 5), day_of(2026, 4, 9));
    /* Christmas (Friday), Boxing Day's substitute (Monday 28th), New Year's Day. */
    CHECK_INT(workday_add(&england, day_of(2026, 12, 23), 5), day_of(2027, 1, 4));
    /* Scotland: 2 January (Saturday) substituted on Monday 4 January. */
    CHECK_INT(workday_add(&scotland, day_of(2026, 12, 23), 5), day_of(2027, 1, 5));
    /* Opened on a Saturday or Sunday: counting starts on Monday. */
    CHECK_INT(workday_add(&none, day_of(2026, 10, 24), 5), day_of(2026, 10, 30));
    CHECK_INT(workday_add(&none, day_of(2026, 10, 25), 5), day_of(2026, 10, 30));
    /* A holiday as the opened day itself does not count either way. */
    CHECK_INT(workday_add(&england, day_of(2026, 5, 25), 1), day_of(2026, 5, 26));
    /* Month end: Wednesday 28 October -> Wednesday 4 November. */
    CHECK_INT(workday_add(&none, day_of(2026, 10, 28), 5), day_of(2026, 11, 4));
    CHECK_INT(workday_sub(&england, day_of(2026, 4, 13), 5), day_of(2026, 4, 2));
    CHECK_INT(workday_add(&none, day_of(2026, 10, 28), 0), day_of(2026, 10, 28));
}

void unit_main(void)
{
    size_t count;
    const int32_t *holidays;
    int32_t random_days[400];
    size_t random_count = 0;

    test_holiday_lookup();
    test_known_due_dates();
    test_against_naive(NULL, 0, "no holidays");
    holidays = england_2026(&count);
    test_against_naive(holidays, count, "England and Wales");
    holidays = scotland_2026(&count);
    test_against_naive(holidays, count, "Scotland");
    /* Dense: about one day in three of 2025-2027 is a holiday (runs of several). */
    srand(8);
    for (int32_t day = day_of(2025, 1, 1); day <= day_of(2027, 12, 31) && random_count < 400; day++)
        if (rand() % 3 == 0)
            random_days[random_count++] = day;
    test_against_naive(random_days, random_count, "dense");
}
