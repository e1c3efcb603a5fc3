/* workday: working days over weekends and a sorted holiday array (see workday.h). */
#include "workday.h"

#include "calendar.h"

bool workday_is_holiday(const struct workday_calendar *calendar, int32_t day)
{
    size_t low = 0, high = calendar ? calendar->count : 0;

    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int32_t value = calendar->holidays[middle];
        if (value == day)
            return true;
        if (value < day)
            low = middle + 1;
        else
            high = middle;
    }
    return false;
}

bool workday_is_working_day(const struct workday_calendar *calendar, int32_t day)
{
    int weekday = calendar_weekday(day);
    return weekday != 0 && weekday != 6 && !workday_is_holiday(calendar, day);
}

/* Each step moves one day; at most two weekend days in a row plus the holidays can
 * be skipped, so every loop ends within 7 * n + holidays steps. */
int32_t workday_add(const struct workday_calendar *calendar, int32_t day, int n)
{
    while (n > 0) {
        day++;
        if (workday_is_working_day(calendar, day))
            n--;
    }
    return day;
}

int32_t workday_sub(const struct workday_calendar *calendar, int32_t day, int n)
{
    while (n > 0) {
        day--;
        if (workday_is_working_day(calendar, day))
            n--;
    }
    return day;
}

bool workday_holidays_valid(const int32_t *holidays, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (holidays[i] <= holidays[i - 1])
            return false;
    return true;
}
