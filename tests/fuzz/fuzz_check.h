/*
 * fuzz_check: the invariant checks the parser fuzz targets share: an invariant
 * that does not hold aborts (libFuzzer keeps the input), and a string the
 * daemon copies into a JSON answer or the database must be set, UTF-8 and
 * within its limit. Header-only so that each target stays one compile line.
 */
#ifndef CCM_FUZZ_CHECK_H
#define CCM_FUZZ_CHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static inline void check(int condition, const char *what)
{
    if (!condition) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static inline void check_text(const char *text, size_t max_chars, const char *what)
{
    json_t *as_json;
    size_t chars = 0;

    check(text != NULL, what);
    for (const char *p = text; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    check(chars <= max_chars, what);
    as_json = json_string(text);
    check(as_json != NULL, what);
    json_decref(as_json);
}

#endif
