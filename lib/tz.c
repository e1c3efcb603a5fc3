/*
 * tz: POSIX TZ rules ("GMT0BST,M3.5.0/1,M10.5.0") - parsing, extraction from
 * TZif footers, and UTC offset / local day / local midnight computation.
 * It exists so that tenant-local days and months never depend on libc's
 * process-wide TZ state: every answer is computed from the rule alone, with
 * the current year's two transitions worked out on the fly (no cache, O(1)).
 */
#include "tz.h"

#include "calendar.h"

#include <stdio.h>
#include <string.h>

#define TZ_SECONDS_PER_DAY INT64_C(86400)

/* A rule's transitions for year Y always fall within TZ_YEAR_SLACK_S of year Y
 * (in UTC): a time of day up to 167 h, a D365 day one past a non-leap year, a
 * UTC offset up to 25 h. Ten days is comfortably more. */
#define TZ_YEAR_SLACK_S (10 * TZ_SECONDS_PER_DAY)

/* Largest time of day accepted in a rule (RFC 8536 extension: -167..167 h). */
#define TZ_MAX_RULE_HOURS 167

/* Day numbers whose midnight is representable as int64 microseconds. */
#define TZ_MAX_DAY 106751990

static int64_t tz_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b < 0)
        q--;
    return q;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

struct tz_parser {
    const char *text; /* whole POSIX TZ string, NUL-terminated */
    const char *p;    /* cursor */
    char quoted[96];  /* the string as shown in error messages */
    struct ccm_error *error;
};

static bool tz_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool tz_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t tz_column(const struct tz_parser *ps)
{
    return (size_t)(ps->p - ps->text) + 1;
}

static int tz_fail(struct tz_parser *ps, const char *what)
{
    unsigned char c = (unsigned char)*ps->p;
    if (c == '\0')
        return ccm_error_set(ps->error, "time zone rule \"%s\" is not valid: %s at the end",
                             ps->quoted, what);
    if (c > 0x20 && c < 0x7f)
        return ccm_error_set(ps->error,
                             "time zone rule \"%s\" is not valid: %s at character %zu (found "
                             "'%c')",
                             ps->quoted, what, tz_column(ps), c);
    return ccm_error_set(ps->error,
                         "time zone rule \"%s\" is not valid: %s at character %zu (found byte "
                         "0x%02x)",
                         ps->quoted, what, tz_column(ps), c);
}

/* std / dst designation: 3+ letters, or <...> of 3+ letters, digits, '+', '-'. */
static int tz_parse_name(struct tz_parser *ps, const char *which)
{
    char what[80];
    const char *start;

    if (*ps->p == '<') {
        start = ++ps->p;
        while (tz_is_alpha(*ps->p) || tz_is_digit(*ps->p) || *ps->p == '+' || *ps->p == '-')
            ps->p++;
        if (*ps->p != '>') {
            snprintf(what, sizeof what, "expected '>' closing the quoted %s name", which);
            return tz_fail(ps, what);
        }
        if (ps->p - start < 3) {
            snprintf(what, sizeof what, "the quoted %s name must have at least 3 characters",
                     which);
            return tz_fail(ps, what);
        }
        ps->p++;
        return 0;
    }
    start = ps->p;
    while (tz_is_alpha(*ps->p))
        ps->p++;
    if (ps->p - start < 3) {
        snprintf(what, sizeof what,
                 "the %s name must be at least 3 letters (or quoted, like <+03>)", which);
        return tz_fail(ps, what);
    }
    return 0;
}

/* 1..max_digits digits with a value in min..max. */
static int tz_parse_number(struct tz_parser *ps, int max_digits, int min, int max,
                           const char *field, int *value)
{
    char what[96];
    size_t column = tz_column(ps);
    int v = 0, n = 0;

    while (n < max_digits && tz_is_digit(*ps->p)) {
        v = v * 10 + (*ps->p - '0');
        ps->p++;
        n++;
    }
    if (n == 0) {
        snprintf(what, sizeof what, "expected a number for the %s", field);
        return tz_fail(ps, what);
    }
    if (tz_is_digit(*ps->p))
        return ccm_error_set(ps->error,
                             "time zone rule \"%s\" is not valid: the %s has too many digits (at "
                             "most %d, at character %zu)",
                             ps->quoted, field, max_digits, column);
    if (v < min || v > max)
        return ccm_error_set(ps->error,
                             "time zone rule \"%s\" is not valid: the %s is %d, out of range "
                             "%d..%d (at character %zu)",
                             ps->quoted, field, v, min, max, column);
    *value = v;
    return 0;
}

/* [+-]hh[:mm[:ss]] -> signed seconds. */
static int tz_parse_hms(struct tz_parser *ps, int max_hours, const char *field,
                        int32_t *seconds_out)
{
    char sub[96];
    int sign = 1, h = 0, m = 0, s = 0;

    if (*ps->p == '+' || *ps->p == '-') {
        sign = *ps->p == '-' ? -1 : 1;
        ps->p++;
    }
    snprintf(sub, sizeof sub, "hour of the %s", field);
    if (tz_parse_number(ps, 3, 0, max_hours, sub, &h))
        return -1;
    if (*ps->p == ':') {
        ps->p++;
        snprintf(sub, sizeof sub, "minute of the %s", field);
        if (tz_parse_number(ps, 2, 0, 59, sub, &m))
            return -1;
        if (*ps->p == ':') {
            ps->p++;
            snprintf(sub, sizeof sub, "second of the %s", field);
            if (tz_parse_number(ps, 2, 0, 59, sub, &s))
                return -1;
        }
    }
    *seconds_out = (int32_t)(sign * (h * 3600 + m * 60 + s));
    return 0;
}

/* Jn | n | Mm.w.d, then optional /time. */
static int tz_parse_transition(struct tz_parser *ps, const char *which,
                               struct tz_transition_rule *out)
{
    char field[64];
    struct tz_transition_rule r = {.kind = 'M', .day = 0, .week = 0, .month = 0, .time_s = 7200};

    if (*ps->p == 'J') {
        ps->p++;
        r.kind = 'J';
        snprintf(field, sizeof field, "Julian day of the %s", which);
        if (tz_parse_number(ps, 3, 1, 365, field, &r.day))
            return -1;
    } else if (*ps->p == 'M') {
        ps->p++;
        r.kind = 'M';
        snprintf(field, sizeof field, "month of the %s", which);
        if (tz_parse_number(ps, 2, 1, 12, field, &r.month))
            return -1;
        if (*ps->p != '.')
            return tz_fail(ps, "expected '.' after the month of an Mm.w.d rule");
        ps->p++;
        snprintf(field, sizeof field, "week of the %s", which);
        if (tz_parse_number(ps, 1, 1, 5, field, &r.week))
            return -1;
        if (*ps->p != '.')
            return tz_fail(ps, "expected '.' after the week of an Mm.w.d rule");
        ps->p++;
        snprintf(field, sizeof field, "weekday of the %s", which);
        if (tz_parse_number(ps, 1, 0, 6, field, &r.day))
            return -1;
    } else if (tz_is_digit(*ps->p)) {
        r.kind = 'D';
        snprintf(field, sizeof field, "day of the year of the %s", which);
        if (tz_parse_number(ps, 3, 0, 365, field, &r.day))
            return -1;
    } else {
        char what[96];
        snprintf(what, sizeof what, "expected the %s date (Mm.w.d, Jn or n)", which);
        return tz_fail(ps, what);
    }
    if (*ps->p == '/') {
        ps->p++;
        snprintf(field, sizeof field, "time of day of the %s", which);
        if (tz_parse_hms(ps, TZ_MAX_RULE_HOURS, field, &r.time_s))
            return -1;
    }
    *out = r;
    return 0;
}

int tz_rule_parse(struct tz_rule *rule, const char *posix_tz, struct ccm_error *error)
{
    struct tz_parser ps;
    struct tz_rule r;
    int32_t offset;

    if (!posix_tz || !*posix_tz)
        return ccm_error_set(error, "time zone rule is empty (expected a POSIX TZ string such "
                                    "as \"GMT0BST,M3.5.0/1,M10.5.0\")");
    memset(&r, 0, sizeof r);
    ps.text = posix_tz;
    ps.p = posix_tz;
    ps.error = error;
    ccm_error_quote(posix_tz, strnlen(posix_tz, 65), ps.quoted, sizeof ps.quoted);

    if (tz_parse_name(&ps, "standard time"))
        return -1;
    if (*ps.p != '+' && *ps.p != '-' && !tz_is_digit(*ps.p))
        return tz_fail(&ps, "expected the standard time UTC offset (e.g. 0, 5 or -1)");
    if (tz_parse_hms(&ps, 24, "standard time offset", &offset))
        return -1;
    r.std_offset_s = -offset; /* POSIX is west-positive */
    r.dst_offset_s = r.std_offset_s;

    if (*ps.p != '\0') {
        if (tz_parse_name(&ps, "daylight time"))
            return -1;
        r.has_dst = true;
        r.dst_offset_s = r.std_offset_s + 3600;
        if (*ps.p == '+' || *ps.p == '-' || tz_is_digit(*ps.p)) {
            if (tz_parse_hms(&ps, 24, "daylight time offset", &offset))
                return -1;
            r.dst_offset_s = -offset;
        }
        if (*ps.p != ',')
            return tz_fail(&ps, "expected ',' and the daylight time rules (,start[/time],end[/"
                                "time])");
        ps.p++;
        if (tz_parse_transition(&ps, "daylight time start", &r.dst_start))
            return -1;
        if (*ps.p != ',')
            return tz_fail(&ps, "expected ',' before the daylight time end");
        ps.p++;
        if (tz_parse_transition(&ps, "daylight time end", &r.dst_end))
            return -1;
        if (*ps.p != '\0')
            return tz_fail(&ps, "unexpected text after the daylight time end");
    }

    /* Informational: the POSIX string itself (the caller may overwrite it with
     * the IANA name it loaded the rule from). */
    snprintf(r.name, sizeof r.name, "%s", posix_tz);
    *rule = r;
    return 0;
}

void tz_rule_europe_london(struct tz_rule *rule)
{
    memset(rule, 0, sizeof *rule);
    snprintf(rule->name, sizeof rule->name, "Europe/London");
    rule->std_offset_s = 0;
    rule->dst_offset_s = 3600;
    rule->has_dst = true;
    /* M3.5.0/1: last Sunday of March, 01:00 GMT. */
    rule->dst_start =
        (struct tz_transition_rule){.kind = 'M', .day = 0, .week = 5, .month = 3, .time_s = 3600};
    /* M10.5.0: last Sunday of October, 02:00 BST. */
    rule->dst_end =
        (struct tz_transition_rule){.kind = 'M', .day = 0, .week = 5, .month = 10, .time_s = 7200};
}

/* ------------------------------------------------------------------------ */
/* TZif footer                                                               */
/* ------------------------------------------------------------------------ */

#define TZ_TZIF_HEADER_SIZE 44

static uint32_t tz_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Validate the header at bytes[pos] and return the size of its data block. */
static int tz_tzif_block(const unsigned char *bytes, size_t length, size_t pos, int time_size,
                         const char *which, uint64_t *block_size, unsigned char *version,
                         struct ccm_error *error)
{
    const unsigned char *h;
    uint64_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;

    if (length - pos < TZ_TZIF_HEADER_SIZE)
        return ccm_error_set(error,
                             "TZif data is truncated: the %s header at byte %zu needs %d bytes "
                             "but only %zu remain",
                             which, pos, TZ_TZIF_HEADER_SIZE, length - pos);
    h = bytes + pos;
    if (memcmp(h, "TZif", 4) != 0)
        return ccm_error_set(error,
                             "TZif data is not valid: the %s header at byte %zu does not start "
                             "with \"TZif\"",
                             which, pos);
    *version = h[4];
    isutcnt = tz_be32(h + 20);
    isstdcnt = tz_be32(h + 24);
    leapcnt = tz_be32(h + 28);
    timecnt = tz_be32(h + 32);
    typecnt = tz_be32(h + 36);
    charcnt = tz_be32(h + 40);
    /* Each count is < 2^32, so the sum cannot overflow 64 bits. */
    *block_size = timecnt * (uint64_t)time_size + timecnt + typecnt * 6 + charcnt +
                  leapcnt * (uint64_t)(time_size + 4) + isstdcnt + isutcnt;
    if (*block_size > length - pos - TZ_TZIF_HEADER_SIZE)
        return ccm_error_set(error,
                             "TZif data is truncated: the %s data block at byte %zu claims %llu "
                             "bytes but only %zu remain",
                             which, pos + TZ_TZIF_HEADER_SIZE, (unsigned long long)*block_size,
                             length - pos - TZ_TZIF_HEADER_SIZE);
    return 0;
}

int tz_footer_from_tzif(const unsigned char *bytes, size_t length, char *out, size_t out_size,
                        struct ccm_error *error)
{
    uint64_t block = 0;
    unsigned char version = 0, version2 = 0;
    size_t pos, start, end;

    if (!out || out_size == 0)
        return ccm_error_set(error, "no buffer for the TZif footer");
    out[0] = '\0';
    if (!bytes || length == 0)
        return ccm_error_set(error, "TZif data is empty");
    if (tz_tzif_block(bytes, length, 0, 4, "version 1", &block, &version, error))
        return -1;
    if (version == '\0')
        return ccm_error_set(error, "TZif data is version 1, which has no POSIX TZ footer "
                                    "(version 2 or later is needed)");
    if (version < '2' || version > '9')
        return ccm_error_set(error, "TZif data has an unknown version byte 0x%02x", version);
    pos = TZ_TZIF_HEADER_SIZE + (size_t)block;
    if (tz_tzif_block(bytes, length, pos, 8, "version 2+", &block, &version2, error))
        return -1;
    if (version2 != version)
        return ccm_error_set(error,
                             "TZif data is not valid: the headers disagree on the version "
                             "(0x%02x and 0x%02x)",
                             version, version2);
    pos += TZ_TZIF_HEADER_SIZE + (size_t)block;

    if (pos >= length)
        return ccm_error_set(error,
                             "TZif data is truncated: the POSIX TZ footer expected at "
                             "byte %zu is missing",
                             pos);
    if (bytes[pos] != '\n')
        return ccm_error_set(error,
                             "TZif data is not valid: the footer at byte %zu does not start with "
                             "a newline (found byte 0x%02x)",
                             pos, bytes[pos]);
    start = pos + 1;
    for (end = start; end < length && bytes[end] != '\n'; end++) {
        if (bytes[end] < 0x20 || bytes[end] > 0x7e)
            return ccm_error_set(error,
                                 "TZif data is not valid: the footer contains byte 0x%02x at "
                                 "byte %zu",
                                 bytes[end], end);
    }
    if (end == length)
        return ccm_error_set(error,
                             "TZif data is truncated: the footer starting at byte %zu "
                             "has no closing newline",
                             start);
    if (end == start)
        return ccm_error_set(error, "TZif footer is empty: the zone has no POSIX TZ rule for "
                                    "future times");
    if (end - start >= out_size)
        return ccm_error_set(error,
                             "TZif footer is %zu bytes long, more than the %zu-byte buffer "
                             "holds",
                             end - start, out_size - 1);
    /* Bytes after the closing newline are ignored (RFC 8536 defines none). */
    memcpy(out, bytes + start, end - start);
    out[end - start] = '\0';
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Offsets                                                                   */
/* ------------------------------------------------------------------------ */

/* Day number (local) of a transition date in `year`. */
static int64_t tz_transition_day(const struct tz_transition_rule *t, int year)
{
    switch (t->kind) {
    case 'J': /* 1..365, February 29 never counted */
        return (int64_t)calendar_days_from_civil(year, 1, 1) + t->day - 1 +
               (t->day >= 60 && calendar_is_leap_year(year));
    case 'M': {
        int64_t first = calendar_days_from_civil(year, t->month, 1);
        int64_t day = first + (((int64_t)t->day - calendar_weekday((int32_t)first)) % 7 + 7) % 7 +
                      ((int64_t)t->week - 1) * 7;
        if (t->week >= 5 && day >= first + calendar_days_in_month(year, t->month))
            day -= 7;
        return day;
    }
    default: /* 'D': 0..365, February 29 counted */
        return (int64_t)calendar_days_from_civil(year, 1, 1) + t->day;
    }
}

/* UTC seconds of a transition in `year`, given the offset in force before it. */
static int64_t tz_transition_utc(const struct tz_transition_rule *t, int year, int32_t offset_s)
{
    return tz_transition_day(t, year) * TZ_SECONDS_PER_DAY + t->time_s - (int64_t)offset_s;
}

/* The latest transition at or before t_s among years year-1..year+1 (ties go to
 * the later year, and within a year to the end). Returns true when it is a DST
 * start, and stores its instant. */
static bool tz_latest_transition(const struct tz_rule *rule, int year, int64_t t_s, int64_t *when_s)
{
    bool found = false, is_start = false;
    int64_t best = 0;

    for (int y = year - 1; y <= year + 1; y++) {
        int64_t start = tz_transition_utc(&rule->dst_start, y, rule->std_offset_s);
        int64_t end = tz_transition_utc(&rule->dst_end, y, rule->dst_offset_s);
        if (start <= t_s && (!found || start >= best)) {
            best = start;
            is_start = true;
            found = true;
        }
        if (end <= t_s && (!found || end >= best)) {
            best = end;
            is_start = false;
            found = true;
        }
    }
    *when_s = found ? best : INT64_MIN;
    return found && is_start;
}

static int32_t tz_offset_at_seconds(const struct tz_rule *rule, int64_t t_s)
{
    int32_t day;
    int year;
    int64_t jan1, next_jan1, start, end, when;
    bool dst;

    if (!rule->has_dst)
        return rule->std_offset_s;
    day = (int32_t)tz_floor_div(t_s, TZ_SECONDS_PER_DAY);
    year = calendar_civil_from_days(day).year;
    jan1 = (int64_t)calendar_days_from_civil(year, 1, 1) * TZ_SECONDS_PER_DAY;
    next_jan1 = jan1 + (calendar_is_leap_year(year) ? 366 : 365) * TZ_SECONDS_PER_DAY;
    if (t_s - jan1 >= TZ_YEAR_SLACK_S && next_jan1 - t_s > TZ_YEAR_SLACK_S) {
        /* Well inside the year: only this year's two transitions can matter. */
        start = tz_transition_utc(&rule->dst_start, year, rule->std_offset_s);
        end = tz_transition_utc(&rule->dst_end, year, rule->dst_offset_s);
        if (start < end)
            dst = t_s >= start && t_s < end;
        else /* southern hemisphere: DST spans the new year */
            dst = t_s >= start || t_s < end;
        if (start == end)
            dst = false;
    } else {
        dst = tz_latest_transition(rule, year, t_s, &when);
    }
    return dst ? rule->dst_offset_s : rule->std_offset_s;
}

int32_t tz_offset_at(const struct tz_rule *rule, int64_t instant_us)
{
    if (!rule->has_dst)
        return rule->std_offset_s;
    return tz_offset_at_seconds(rule, tz_floor_div(instant_us, CALENDAR_US_PER_SECOND));
}

int32_t tz_local_day(const struct tz_rule *rule, int64_t instant_us)
{
    int64_t t_s = tz_floor_div(instant_us, CALENDAR_US_PER_SECOND);
    int32_t offset = rule->has_dst ? tz_offset_at_seconds(rule, t_s) : rule->std_offset_s;
    return (int32_t)tz_floor_div(t_s + offset, TZ_SECONDS_PER_DAY);
}

/* Seconds to microseconds, saturating (only extreme days or hand-made offsets). */
static int64_t tz_seconds_to_us(int64_t seconds)
{
    if (seconds > INT64_MAX / CALENDAR_US_PER_SECOND)
        return INT64_MAX;
    if (seconds < INT64_MIN / CALENDAR_US_PER_SECOND)
        return INT64_MIN;
    return seconds * CALENDAR_US_PER_SECOND;
}

int64_t tz_day_start(const struct tz_rule *rule, int32_t day)
{
    int64_t midnight, u_std, u_dst, start, when;

    if (day > TZ_MAX_DAY)
        return INT64_MAX;
    if (day < -TZ_MAX_DAY)
        return INT64_MIN;
    midnight = (int64_t)day * TZ_SECONDS_PER_DAY;
    u_std = midnight - rule->std_offset_s;
    if (!rule->has_dst)
        return tz_seconds_to_us(u_std);
    u_dst = midnight - rule->dst_offset_s;
    {
        bool std_ok = tz_offset_at_seconds(rule, u_std) == rule->std_offset_s;
        bool dst_ok = tz_offset_at_seconds(rule, u_dst) == rule->dst_offset_s;
        if (std_ok && dst_ok) /* midnight happens twice: the first one */
            start = u_std < u_dst ? u_std : u_dst;
        else if (std_ok)
            start = u_std;
        else if (dst_ok)
            start = u_dst;
        else {
            /* A forward jump swallows midnight: the day starts when the jump
             * lands, i.e. at the latest transition before the later candidate. */
            int64_t later = u_std > u_dst ? u_std : u_dst;
            int year = calendar_civil_from_days(day).year;
            tz_latest_transition(rule, year, later, &when);
            start = when == INT64_MIN ? later : when;
        }
    }
    return tz_seconds_to_us(start);
}
