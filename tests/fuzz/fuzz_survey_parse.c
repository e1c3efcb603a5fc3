/*
 * fuzz_survey_parse: libFuzzer target for survey_parse_body (POST /v1/surveys) in both
 * body formats. The input is copied into an exact-size buffer with no NUL so any read
 * past `length` is caught. Invariants: 0 means responses and no errors, 1 and -1 mean
 * errors and no responses; every response is storable (an id of 1-128 characters, a
 * rating 1-3, a score 0 or 1-5 that agrees with it, a known channel).
 */
#include "survey.h"

#include "fuzz_check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_body(const char *text, size_t size, enum event_body_format format)
{
    struct survey_batch batch;
    survey_batch_init(&batch);
    int rc = survey_parse_body(&batch, text, size, format);
    check(rc >= -1 && rc <= 1, "result in -1..1");
    check(rc == 0 ? batch.error_count == 0 && batch.count > 0
                  : batch.error_count > 0 && batch.count == 0,
          "responses xor errors");
    for (size_t i = 0; i < batch.count; i++) {
        const struct survey_response *r = &batch.responses[i];
        check_text(r->id, 128, "id");
        check(r->rating >= SURVEY_POOR && r->rating <= SURVEY_GOOD, "rating 1-3");
        check(r->score == 0 || survey_rating_from_score(r->score) == r->rating, "score agrees");
        check(event_channel_name(r->channel) != NULL, "a known channel");
    }
    for (size_t i = 0; i < batch.error_count && i < EVENT_MAX_ERRORS; i++)
        check_text(batch.errors[i].message, sizeof batch.errors[i].message,
                   "a message is valid UTF-8 (it quotes the input)");
    survey_batch_free(&batch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    fuzz_body(text, size, EVENT_BODY_JSON);
    fuzz_body(text, size, EVENT_BODY_NDJSON);
    free(text);
    return 0;
}
