/*
 * opening_hours: when a line is open, in the tenant's local wall-clock time, as an
 * alert rule gives it (no alert fires while the line is closed). Owns struct
 * opening_hours: one bit per local minute of each weekday. Parsed from JSON:
 *   {"mon": "08:30-17:00", "tue": ["08:30-12:30", "13:30-17:00"], "sat": null, ...}
 * with keys mon..sun and the groups "weekdays" (mon-fri) and "daily" (every day);
 * whatever the order, a day overrides "weekdays", which overrides "daily". A day
 * not named is closed.
 * "00:00-24:00" is all day; a range that ends at or before it starts is an error
 * (a night shift is two ranges on two days).
 */
#ifndef CCM_OPENING_HOURS_H
#define CCM_OPENING_HOURS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ccm_error.h"

#define OPENING_HOURS_MINUTES_PER_DAY 1440

struct opening_hours {
    bool always; /* no hours given: always open */
    /* [weekday 0 = Sunday .. 6 = Saturday][minute / 8] */
    uint8_t minutes[7][OPENING_HOURS_MINUTES_PER_DAY / 8];
};

/* Always open. */
void opening_hours_init(struct opening_hours *hours);

/* Parse the JSON form above; JSON null means always open. On error `hours` is
 * unchanged and error says which key and why. */
int opening_hours_parse(struct opening_hours *hours, const json_t *value, struct ccm_error *error);

/* Open at local minute `minute` (0..1439) of `weekday` (0 = Sunday)? */
bool opening_hours_is_open(const struct opening_hours *hours, int weekday, int minute);

/* How many minutes the line has been open without a break, counting the current
 * minute and going back across midnight, at most `limit`: 0 when closed now. */
int opening_hours_open_for(const struct opening_hours *hours, int weekday, int minute, int limit);

#endif
