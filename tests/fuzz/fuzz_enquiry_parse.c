/*
 * fuzz_enquiry_parse: libFuzzer target for enquiry_parse_body (POST /v1/enquiries)
 * in both body formats, and enquiry_holidays_parse and enquiry_scope_parse on the
 * same bytes. The input is copied into an exact-size buffer with no NUL so any read
 * past `length` is caught. Invariants: 0 means items and no errors, 1 and -1 mean
 * errors and no items; every stored enquiry is what the daemon may store (id and
 * unit set, UTF-8, within limits; delay and closing not before opening); the jsonb
 * the daemon sends holds one object per item; every error names no more than its
 * limits; holidays come back sorted and unique.
 */
#include "enquiry.h"

#include "fuzz_check.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_body(const char *text, size_t size, enum event_body_format format)
{
    struct enquiry_batch batch;
    int rc;

    enquiry_batch_init(&batch);
    rc = enquiry_parse_body(&batch, text, size, format);
    check(rc >= -1 && rc <= 1, "result in -1..1");
    check(rc == 0 ? batch.error_count == 0 && batch.count > 0
                  : batch.error_count > 0 && batch.count == 0,
          "items xor errors");
    for (size_t i = 0; i < batch.count; i++) {
        const struct enquiry *e = &batch.items[i];
        check_text(e->id, ENQUIRY_ID_MAX_CHARS, "id");
        check_text(e->unit, ENQUIRY_UNIT_MAX_CHARS, "unit");
        check(!e->has_delay || e->delay_us >= e->opened_us, "delay not before opening");
        check(!e->has_closed || e->closed_us >= e->opened_us, "closing not before opening");
    }
    if (rc == 0) {
        json_t *items = enquiry_batch_json(&batch);
        check(json_array_size(items) == batch.count, "one jsonb object per item");
        json_decref(items);
    }
    for (size_t i = 0; i < batch.error_count && i < ENQUIRY_MAX_ERRORS; i++)
        check_text(batch.errors[i].message, sizeof batch.errors[i].message,
                   "a message is valid UTF-8 (it quotes the input)");
    enquiry_batch_free(&batch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    char unit[ENQUIRY_UNIT_BYTES];
    struct ccm_error error;
    int32_t *days;
    size_t count;

    if (!text)
        return 0;
    memcpy(text, data, size);
    fuzz_body(text, size, EVENT_BODY_JSON);
    fuzz_body(text, size, EVENT_BODY_NDJSON);

    json_t *body = json_loadb(text, size, JSON_DECODE_ANY, NULL);
    if (body) {
        if (enquiry_holidays_parse(body, &days, &count, &error) == 0) {
            check(count > 0 && count <= ENQUIRY_HOLIDAYS_MAX_DATES, "dates counted");
            for (size_t i = 1; i < count; i++)
                check(days[i] > days[i - 1], "dates sorted and unique");
            free(days);
        } else {
            check(days == NULL && count == 0, "no dates on error");
        }
        json_decref(body);
    }
    char *scope = malloc(size + 1);
    if (scope) {
        memcpy(scope, data, size);
        scope[size] = '\0';
        if (enquiry_scope_parse(scope, unit, &error) == 0 && unit[0])
            check_text(unit, ENQUIRY_UNIT_MAX_CHARS, "scope unit");
        free(scope);
    }
    free(text);
    return 0;
}
