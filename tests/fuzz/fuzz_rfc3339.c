/*
 * fuzz_rfc3339: libFuzzer target for calendar_parse_rfc3339 and
 * calendar_parse_date. The input is copied into an exact-size buffer with no
 * NUL so any read past `length` is caught. Accepted timestamps must format
 * and parse back to the same instant; accepted dates likewise.
 */
#include "calendar.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    struct ccm_error error;
    int64_t instant, back;
    int32_t days, back_days;
    char out[32];

    if (!text)
        return 0;
    memcpy(text, data, size);

    if (calendar_parse_rfc3339(text, size, &instant, &error) == 0) {
        calendar_format_rfc3339_utc(instant, out);
        /* An offset can move 0000-01-01 / 9999-12-31 into year -1 / 10000 in UTC, which
         * formats in the ISO 8601 expanded form ("-0001-...") RFC 3339 does not parse. */
        bool expanded = out[0] == '-' || out[0] == '+';
        bool in_range =
            instant >= INT64_C(-62167219200000000) && instant < INT64_C(253402300800000000);
        if (expanded == in_range)
            abort();
        if (!expanded &&
            (calendar_parse_rfc3339(out, strlen(out), &back, &error) != 0 || back != instant))
            abort();
    } else if (error.message[0] == '\0') {
        abort();
    }

    if (calendar_parse_date(text, size, &days, &error) == 0) {
        calendar_format_date(days, out);
        if (calendar_parse_date(out, strlen(out), &back_days, &error) != 0 || back_days != days)
            abort();
    } else if (error.message[0] == '\0') {
        abort();
    }

    free(text);
    return 0;
}
