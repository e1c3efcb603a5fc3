/*
 * fuzz_tz_footer: libFuzzer target for the TZif footer extractor and, on
 * success, the POSIX TZ parser and the offset / local day / day start
 * computations over a spread of instants (including the int64 extremes).
 * Invariants checked: the footer is NUL-terminated and printable, offsets are
 * one of the rule's two, and a day start belongs to its day when it can.
 */
#include "calendar.h"
#include "tz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_tz_check(const struct tz_rule *rule, int64_t instant_us)
{
    int32_t offset = tz_offset_at(rule, instant_us);
    int32_t day = tz_local_day(rule, instant_us);
    int64_t start = tz_day_start(rule, day);

    if (offset != rule->std_offset_s && offset != rule->dst_offset_s)
        abort();
    /* Within the years real periods use, a day's start is on that day. */
    if (instant_us > INT64_C(-62135596800000000) && instant_us < INT64_C(253402300800000000) &&
        tz_local_day(rule, start) != day)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t instants[] = {
        INT64_MIN,
        INT64_MIN + 1,
        INT64_C(-62167219200000000), /* 0000-01-01 */
        -1,
        0,
        INT64_C(1774745999999999), /* 2026-03-29T00:59:59.999999Z */
        INT64_C(1774746000000000),
        INT64_C(1792889999999999), /* 2026-10-25T00:59:59.999999Z */
        INT64_C(1792890000000000),
        INT64_C(1798761599999999), /* 2026-12-31T23:59:59.999999Z */
        INT64_C(253402300799999999),
        INT64_MAX - 1,
        INT64_MAX,
    };
    char footer[256];
    struct tz_rule rule;
    struct ccm_error error;

    if (tz_footer_from_tzif(data, size, footer, sizeof footer, &error) != 0)
        return 0;
    if (memchr(footer, '\0', sizeof footer) == NULL)
        abort();
    for (const char *p = footer; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            abort();
    if (tz_rule_parse(&rule, footer, &error) != 0)
        return 0;
    for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++)
        fuzz_tz_check(&rule, instants[i]);
    /* Instants derived from the input: every hour of a year picked by the data. */
    if (size >= 8) {
        uint64_t seed = 0;
        memcpy(&seed, data + size - 8, 8);
        int64_t base = (int64_t)(seed % UINT64_C(8000)) * 365 * 86400 * INT64_C(1000000);
        for (int h = 0; h < 24 * 366; h += 7)
            fuzz_tz_check(&rule, base + (int64_t)h * 3600 * INT64_C(1000000));
    }
    return 0;
}
