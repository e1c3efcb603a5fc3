/*
 * opening_hours: the weekly opening minutes of a line (see opening_hours.h).
 */
#include "opening_hours.h"

#include <string.h>

static const char *const opening_hours_day_keys[7] = {"sun", "mon", "tue", "wed",
                                                      "thu", "fri", "sat"};

void opening_hours_init(struct opening_hours *hours)
{
    memset(hours, 0, sizeof *hours);
    hours->always = true;
}

/* "HH:MM" at text[0..4] -> minutes; 24:00 allowed only as an end. */
static int opening_hours_clock(const char *text, bool is_end)
{
    int hour, minute;
    if (!(text[0] >= '0' && text[0] <= '9' && text[1] >= '0' && text[1] <= '9' && text[2] == ':' &&
          text[3] >= '0' && text[3] <= '5' && text[4] >= '0' && text[4] <= '9'))
        return -1;
    hour = (text[0] - '0') * 10 + (text[1] - '0');
    minute = (text[3] - '0') * 10 + (text[4] - '0');
    if (hour < 24 || (is_end && hour == 24 && minute == 0))
        return hour * 60 + minute;
    return -1;
}

/* One "HH:MM-HH:MM" range into day bits. */
static int opening_hours_range(uint8_t day[OPENING_HOURS_MINUTES_PER_DAY / 8], const json_t *range,
                               const char *key, struct ccm_error *error)
{
    const char *text = json_string_value(range);
    int start, end;

    if (!text || strlen(text) != 11 || text[5] != '-' ||
        (start = opening_hours_clock(text, false)) < 0 ||
        (end = opening_hours_clock(text + 6, true)) < 0)
        return ccm_error_set(error,
                             "opening_hours.%s: a range must be \"HH:MM-HH:MM\" (e.g. "
                             "\"08:30-17:00\"; 24:00 only as an end)",
                             key);
    if (end <= start)
        return ccm_error_set(error,
                             "opening_hours.%s: \"%s\" ends before it starts (a night shift "
                             "is two ranges on two days)",
                             key, text);
    for (int minute = start; minute < end; minute++)
        day[minute / 8] |= (uint8_t)(1u << (minute % 8));
    return 0;
}

/* A day's value: a range, an array of ranges, or null (closed). */
static int opening_hours_day(uint8_t day[OPENING_HOURS_MINUTES_PER_DAY / 8], const json_t *value,
                             const char *key, struct ccm_error *error)
{
    size_t index;
    const json_t *range;

    memset(day, 0, OPENING_HOURS_MINUTES_PER_DAY / 8);
    if (json_is_null(value))
        return 0;
    if (json_is_string(value))
        return opening_hours_range(day, value, key, error);
    if (!json_is_array(value) || json_array_size(value) > 16)
        return ccm_error_set(error,
                             "opening_hours.%s must be a range \"HH:MM-HH:MM\", an array of at "
                             "most 16 ranges, or null (closed)",
                             key);
    json_array_foreach(value, index,
                       range) if (opening_hours_range(day, range, key, error)) return -1;
    return 0;
}

int opening_hours_parse(struct opening_hours *hours, const json_t *value, struct ccm_error *error)
{
    struct opening_hours parsed;
    const char *key;
    json_t *day_value;

    if (json_is_null(value) || !value) {
        opening_hours_init(hours);
        return 0;
    }
    if (!json_is_object(value))
        return ccm_error_set(error, "opening_hours must be an object such as "
                                    "{\"weekdays\": \"08:30-17:00\", \"sat\": \"09:00-12:00\"}");
    memset(&parsed, 0, sizeof parsed);
    /* "daily", then "weekdays", then the days: the more specific key wins. */
    for (int pass = 0; pass < 3; pass++) {
        json_object_foreach((json_t *)value, key, day_value)
        {
            int weekday = -1;
            for (int d = 0; d < 7; d++)
                if (strcmp(key, opening_hours_day_keys[d]) == 0)
                    weekday = d;
            bool is_daily = strcmp(key, "daily") == 0, is_weekdays = strcmp(key, "weekdays") == 0;
            if (weekday < 0 && !is_daily && !is_weekdays)
                return ccm_error_set(error,
                                     "opening_hours: unknown key \"%.40s\" (known: mon, tue, wed, "
                                     "thu, fri, sat, sun, weekdays, daily)",
                                     key);
            if ((pass == 0 && is_daily) || (pass == 1 && is_weekdays)) {
                uint8_t day[OPENING_HOURS_MINUTES_PER_DAY / 8];
                if (opening_hours_day(day, day_value, key, error))
                    return -1;
                for (int d = 0; d < 7; d++)
                    if (is_daily || (d >= 1 && d <= 5))
                        memcpy(parsed.minutes[d], day, sizeof day);
            } else if (pass == 2 && weekday >= 0) {
                if (opening_hours_day(parsed.minutes[weekday], day_value, key, error))
                    return -1;
            }
        }
    }
    *hours = parsed;
    return 0;
}

bool opening_hours_is_open(const struct opening_hours *hours, int weekday, int minute)
{
    if (hours->always)
        return true;
    if (weekday < 0 || weekday > 6 || minute < 0 || minute >= OPENING_HOURS_MINUTES_PER_DAY)
        return false;
    return (hours->minutes[weekday][minute / 8] >> (minute % 8)) & 1u;
}

int opening_hours_open_for(const struct opening_hours *hours, int weekday, int minute, int limit)
{
    int open = 0;
    while (open < limit && opening_hours_is_open(hours, weekday, minute)) {
        open++;
        if (--minute < 0) {
            minute = OPENING_HOURS_MINUTES_PER_DAY - 1;
            weekday = (weekday + 6) % 7;
        }
    }
    return open;
}
