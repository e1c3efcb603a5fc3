/*
 * tz: a tenant's time zone as a POSIX TZ rule ("GMT0BST,M3.5.0/1,M10.5.0"),
 * the form every TZif v2+ file carries in its footer for all future years.
 * lib/ never reads files: the daemon reads /usr/share/zoneinfo/NAME and hands
 * the footer string to tz_rule_parse (tz_footer_from_tzif extracts it from the
 * bytes). The rule is exact for the years it describes (Europe/London: since
 * 1996), which covers every period ccmetrics reports on.
 */
#ifndef CCM_TZ_H
#define CCM_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccm_error.h"

/* One DST transition rule: Jn, n or Mm.w.d with a local time of day. */
struct tz_transition_rule {
    char kind;      /* 'J' (Julian 1..365, no leap day), 'D' (0..365), 'M' */
    int day;        /* J/D: the day; M: weekday 0..6 (0 = Sunday) */
    int week;       /* M: 1..5 (5 = last) */
    int month;      /* M: 1..12 */
    int32_t time_s; /* local wall-clock seconds after midnight, may be negative or > 24h */
};

struct tz_rule {
    char name[64];        /* IANA name, informational, e.g. "Europe/London" */
    int32_t std_offset_s; /* UTC offset in standard time, seconds EAST of UTC (GMT: 0, CET: 3600) */
    int32_t dst_offset_s; /* UTC offset in daylight time, seconds east */
    bool has_dst;
    struct tz_transition_rule dst_start; /* expressed in standard local time */
    struct tz_transition_rule dst_end;   /* expressed in daylight local time */
};

/* Parse a POSIX TZ string. Note POSIX offsets are west-positive ("EST5EDT"); the
 * struct stores east-positive seconds. Quoted names ("<+03>-3") are supported. */
int tz_rule_parse(struct tz_rule *rule, const char *posix_tz, struct ccm_error *error);

/* The rule for Europe/London, the default tenant zone (no parsing, no files). */
void tz_rule_europe_london(struct tz_rule *rule);

/* Extract the POSIX footer from TZif file bytes (v2+); copies into out (NUL-terminated). */
int tz_footer_from_tzif(const unsigned char *bytes, size_t length, char *out, size_t out_size,
                        struct ccm_error *error);

/* UTC offset (seconds east) in force at an instant. */
int32_t tz_offset_at(const struct tz_rule *rule, int64_t instant_us);

/* The local day number (days since 1970-01-01 in local wall-clock terms) of an instant. */
int32_t tz_local_day(const struct tz_rule *rule, int64_t instant_us);

/* The instant at which local day `day` begins (its first existing local instant:
 * local midnight, or the end of a spring-forward gap that swallows midnight). */
int64_t tz_day_start(const struct tz_rule *rule, int32_t day);

#endif
