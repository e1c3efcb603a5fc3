/*
 * calendar: proleptic Gregorian day arithmetic (Howard Hinnant's
 * days_from_civil / civil_from_days) and strict RFC 3339 parsing/formatting.
 * It exists because libc's time functions depend on the process TZ and locale;
 * everything here is pure arithmetic on day numbers and microsecond instants.
 */
#include "calendar.h"

#include <stdio.h>
#include <string.h>

static const char *const calendar_month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

/* Floor division for a positive divisor. */
static int64_t calendar_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b < 0)
        q--;
    return q;
}

int32_t calendar_days_from_civil(int year, int month, int day)
{
    /* 64-bit intermediates: no overflow for any int year whose result fits. */
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                      /* [0, 399] */
    int64_t mp = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9; /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;              /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              /* [0, 146096] */
    return (int32_t)(era * 146097 + doe - 719468);
}

struct calendar_date calendar_civil_from_days(int32_t days)
{
    struct calendar_date date;
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int64_t month = mp < 10 ? mp + 3 : mp - 9;

    date.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    date.month = (int)month;
    date.year = (int)(yoe + era * 400 + (month <= 2));
    return date;
}

int calendar_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (4). */
    int64_t z = days;
    return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

bool calendar_is_leap_year(int year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int calendar_days_in_month(int year, int month)
{
    static const int lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && calendar_is_leap_year(year))
        return 29;
    return lengths[month - 1];
}

int32_t calendar_utc_day(int64_t instant_us)
{
    return (int32_t)calendar_floor_div(instant_us, CALENDAR_US_PER_DAY);
}

/* Describe the byte at text[pos] (or the end of the text) for an error message. */
static void calendar_describe_byte(const char *text, size_t length, size_t pos, char *out,
                                   size_t out_size)
{
    unsigned char c;
    if (pos >= length) {
        snprintf(out, out_size, "the end of the text");
        return;
    }
    c = (unsigned char)text[pos];
    if (c >= 0x21 && c <= 0x7e && c != '\'')
        snprintf(out, out_size, "'%c'", c);
    else if (c == ' ')
        snprintf(out, out_size, "a space");
    else
        snprintf(out, out_size, "byte 0x%02x", c);
}

static bool calendar_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parse `count` decimal digits at text[pos]; returns the position of the first
 * non-digit among them, or `pos + count` when all are digits. */
static size_t calendar_digits(const char *text, size_t length, size_t pos, size_t count, int *value)
{
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        if (pos + i >= length || !calendar_is_digit(text[pos + i]))
            return pos + i;
        v = v * 10 + (text[pos + i] - '0');
    }
    *value = v;
    return pos + count;
}

/* A fixed-shape field: `count` digits at `pos`. Returns 0 or -1 with the error set. */
static int calendar_field(const char *what, const char *quoted, const char *text, size_t length,
                          size_t pos, size_t count, const char *field, int *value,
                          struct ccm_error *error)
{
    char found[32];
    size_t bad = calendar_digits(text, length, pos, count, value);
    if (bad == pos + count)
        return 0;
    calendar_describe_byte(text, length, bad, found, sizeof found);
    return ccm_error_set(error,
                         "%s \"%s\" is not valid: expected a digit of the %s at character %zu, "
                         "found %s",
                         what, quoted, field, bad + 1, found);
}

static int calendar_literal(const char *what, const char *quoted, const char *text, size_t length,
                            size_t pos, char want, const char *after, struct ccm_error *error)
{
    char found[32];
    if (pos < length && text[pos] == want)
        return 0;
    calendar_describe_byte(text, length, pos, found, sizeof found);
    return ccm_error_set(error,
                         "%s \"%s\" is not valid: expected '%c' after the %s at character %zu, "
                         "found %s",
                         what, quoted, want, after, pos + 1, found);
}

/* Parse and validate YYYY-MM-DD at text[0..10). */
static int calendar_parse_ymd(const char *what, const char *quoted, const char *text, size_t length,
                              int32_t *days_out, struct ccm_error *error)
{
    int year = 0, month = 0, day = 0;

    if (calendar_field(what, quoted, text, length, 0, 4, "year", &year, error) ||
        calendar_literal(what, quoted, text, length, 4, '-', "year", error) ||
        calendar_field(what, quoted, text, length, 5, 2, "month", &month, error) ||
        calendar_literal(what, quoted, text, length, 7, '-', "month", error) ||
        calendar_field(what, quoted, text, length, 8, 2, "day", &day, error))
        return -1;
    if (month < 1 || month > 12)
        return ccm_error_set(error, "%s \"%s\" has month %02d (must be 01..12)", what, quoted,
                             month);
    if (day < 1 || day > calendar_days_in_month(year, month))
        return ccm_error_set(error, "%s \"%s\" has day %02d but %s %04d has %d days", what, quoted,
                             day, calendar_month_names[month - 1], year,
                             calendar_days_in_month(year, month));
    *days_out = calendar_days_from_civil(year, month, day);
    return 0;
}

int calendar_parse_date(const char *text, size_t length, int32_t *days_out, struct ccm_error *error)
{
    char quoted[272];
    int32_t days;

    if (!text || length == 0)
        return ccm_error_set(error, "date is empty (expected YYYY-MM-DD)");
    ccm_error_quote(text, length, quoted, sizeof quoted);
    if (calendar_parse_ymd("date", quoted, text, length, &days, error))
        return -1;
    if (length != 10)
        return ccm_error_set(error,
                             "date \"%s\" has %zu unexpected trailing character%s after "
                             "YYYY-MM-DD",
                             quoted, length - 10, length - 10 == 1 ? "" : "s");
    *days_out = days;
    return 0;
}

/* Write `count` digits of a non-negative value, zero-padded. */
static char *calendar_put_digits(char *out, int64_t value, int count)
{
    for (int i = count - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
    return out + count;
}

void calendar_format_date(int32_t days, char out[static 11])
{
    struct calendar_date d = calendar_civil_from_days(days);
    char *p = out;

    if (d.year < 0 || d.year > 9999) {
        /* Not representable in 10 characters: the "zero date", which no parser accepts. */
        memcpy(out, "0000-00-00", 11);
        return;
    }
    p = calendar_put_digits(p, d.year, 4);
    *p++ = '-';
    p = calendar_put_digits(p, d.month, 2);
    *p++ = '-';
    p = calendar_put_digits(p, d.day, 2);
    *p = '\0';
}

int calendar_parse_rfc3339(const char *text, size_t length, int64_t *instant_us_out,
                           struct ccm_error *error)
{
    static const char what[] = "timestamp";
    char quoted[272], found[32];
    int32_t days;
    int hour = 0, minute = 0, second = 0, off_hour = 0, off_minute = 0;
    int64_t micros = 0, seconds;
    size_t pos;
    int sign;

    if (!text || length == 0)
        return ccm_error_set(error,
                             "timestamp is empty (expected RFC 3339, e.g. 2026-10-06T08:00:00Z)");
    ccm_error_quote(text, length, quoted, sizeof quoted);

    if (calendar_parse_ymd(what, quoted, text, length, &days, error))
        return -1;
    if (length == 10)
        return ccm_error_set(error,
                             "timestamp \"%s\" is a date without a time (expected e.g. "
                             "%.10sT00:00:00Z)",
                             quoted, text);
    if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') {
        calendar_describe_byte(text, length, 10, found, sizeof found);
        return ccm_error_set(error,
                             "timestamp \"%s\" is not valid: expected 'T' between date and time "
                             "at character 11, found %s",
                             quoted, found);
    }
    if (calendar_field(what, quoted, text, length, 11, 2, "hour", &hour, error) ||
        calendar_literal(what, quoted, text, length, 13, ':', "hour", error) ||
        calendar_field(what, quoted, text, length, 14, 2, "minute", &minute, error) ||
        calendar_literal(what, quoted, text, length, 16, ':', "minute", error) ||
        calendar_field(what, quoted, text, length, 17, 2, "second", &second, error))
        return -1;
    if (hour > 23)
        return ccm_error_set(error, "timestamp \"%s\" has hour %02d (must be 00..23)", quoted,
                             hour);
    if (minute > 59)
        return ccm_error_set(error, "timestamp \"%s\" has minute %02d (must be 00..59)", quoted,
                             minute);
    if (second == 60)
        return ccm_error_set(
            error, "timestamp \"%s\" has second 60: leap seconds are not supported", quoted);
    if (second > 59)
        return ccm_error_set(error, "timestamp \"%s\" has second %02d (must be 00..59)", quoted,
                             second);

    pos = 19;
    if (pos < length && text[pos] == '.') {
        size_t first = ++pos;
        int64_t scale = 100000;
        while (pos < length && calendar_is_digit(text[pos])) {
            micros += (text[pos] - '0') * scale; /* digits past the 6th add 0: truncated */
            scale /= 10;
            pos++;
        }
        if (pos == first) {
            calendar_describe_byte(text, length, pos, found, sizeof found);
            return ccm_error_set(error,
                                 "timestamp \"%s\" is not valid: expected a digit of the "
                                 "fraction of a second at character %zu, found %s",
                                 quoted, pos + 1, found);
        }
    }

    if (pos >= length)
        return ccm_error_set(error, "timestamp \"%s\" has no UTC offset (add Z or +01:00)", quoted);
    if (text[pos] == 'Z' || text[pos] == 'z') {
        pos++;
        sign = 0;
    } else if (text[pos] == '+' || text[pos] == '-') {
        size_t start = pos;
        sign = text[pos] == '-' ? -1 : 1;
        if (calendar_field(what, quoted, text, length, pos + 1, 2, "offset hour", &off_hour,
                           error) ||
            calendar_literal(what, quoted, text, length, pos + 3, ':', "offset hour", error) ||
            calendar_field(what, quoted, text, length, pos + 4, 2, "offset minute", &off_minute,
                           error))
            return -1;
        if (off_hour > 23 || off_minute > 59)
            return ccm_error_set(error,
                                 "timestamp \"%s\" has an invalid UTC offset \"%.6s\" at "
                                 "character %zu (hours must be 00..23, minutes 00..59)",
                                 quoted, text + start, start + 1);
        pos += 6;
    } else {
        calendar_describe_byte(text, length, pos, found, sizeof found);
        return ccm_error_set(error,
                             "timestamp \"%s\" is not valid: expected a UTC offset (Z, +HH:MM or "
                             "-HH:MM) at character %zu, found %s",
                             quoted, pos + 1, found);
    }
    if (pos != length)
        return ccm_error_set(error,
                             "timestamp \"%s\" has %zu unexpected trailing character%s after the "
                             "UTC offset, starting at character %zu",
                             quoted, length - pos, length - pos == 1 ? "" : "s", pos + 1);

    seconds = (int64_t)days * 86400 + hour * 3600 + minute * 60 + second;
    seconds -= (int64_t)sign * (off_hour * 3600 + off_minute * 60);
    *instant_us_out = seconds * CALENDAR_US_PER_SECOND + micros;
    return 0;
}

void calendar_format_rfc3339_utc(int64_t instant_us, char out[static 32])
{
    int64_t seconds = calendar_floor_div(instant_us, CALENDAR_US_PER_SECOND);
    int64_t micros = instant_us % CALENDAR_US_PER_SECOND; /* no seconds * 10^6: INT64_MIN */
    int64_t days = calendar_floor_div(seconds, 86400);
    int64_t sod = seconds - days * 86400;
    struct calendar_date d = calendar_civil_from_days((int32_t)days);
    char *p = out;

    if (micros < 0)
        micros += CALENDAR_US_PER_SECOND;

    /* Years outside 0000..9999 (only reachable from extreme instants) use the
     * ISO 8601 expanded form "+10000-..." / "-0001-...": at most 30 bytes. */
    if (d.year < 0) {
        *p++ = '-';
        p += sprintf(p, "%04d", -d.year);
    } else if (d.year > 9999) {
        *p++ = '+';
        p += sprintf(p, "%d", d.year);
    } else {
        p = calendar_put_digits(p, d.year, 4);
    }
    *p++ = '-';
    p = calendar_put_digits(p, d.month, 2);
    *p++ = '-';
    p = calendar_put_digits(p, d.day, 2);
    *p++ = 'T';
    p = calendar_put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = calendar_put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = calendar_put_digits(p, sod % 60, 2);
    if (micros) {
        *p++ = '.';
        p = calendar_put_digits(p, micros, 6);
    }
    *p++ = 'Z';
    *p = '\0';
}
