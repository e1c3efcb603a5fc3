/*
 * test_survey: lib/survey, the survey responses of POST /v1/surveys: ratings in words
 * and 1-5, channels and scopes, every kind of bad item reported with its index or
 * line and field, and nothing kept when any item is bad.
 */
#include "survey.h"
#include "unit.h"

static int parse(struct survey_batch *batch, const char *body, enum event_body_format format)
{
    survey_batch_init(batch);
    return survey_parse_body(batch, body, strlen(body), format);
}

static void test_valid(void)
{
    struct survey_batch batch;
    const char *body =
        "[{\"id\": \"a\", \"at\": \"2026-03-29T00:30:00+00:00\", \"rating\": \"good\"},"
        " {\"id\": \"b\", \"at\": \"2026-03-29T01:30:00+01:00\", \"rating\": 3, \"channel\": "
        "\"webchat\","
        "  \"scope\": \"queue:council tax\"},"
        " {\"id\": \"c\", \"at\": \"2026-03-29T02:30:00Z\", \"rating\": 2, \"scope\": "
        "\"service:revenues\"},"
        " {\"id\": \"d\", \"at\": \"2026-03-29T02:30:00Z\", \"rating\": 4, \"scope\": \"tenant\"},"
        " {\"id\": \"e\", \"at\": \"2026-03-29T02:30:00Z\", \"rating\": \"poor\", \"channel\": "
        "null}]";
    CHECK_INT(parse(&batch, body, EVENT_BODY_JSON), 0);
    CHECK_INT(batch.count, 5);
    CHECK_INT(batch.responses[0].rating, SURVEY_GOOD);
    CHECK_INT(batch.responses[0].score, 0);
    CHECK_INT(batch.responses[0].channel, EVENT_CHANNEL_PHONE);
    CHECK_INT(batch.responses[0].scope_kind, SCOPE_TENANT);
    CHECK_INT(batch.responses[1].rating, SURVEY_AVERAGE);
    CHECK_INT(batch.responses[1].score, 3);
    CHECK_INT(batch.responses[1].channel, EVENT_CHANNEL_WEBCHAT);
    CHECK_INT(batch.responses[1].scope_kind, SCOPE_QUEUE);
    CHECK(strcmp(batch.responses[1].scope_name, "council tax") == 0);
    CHECK_INT(batch.responses[0].at_us, batch.responses[1].at_us); /* the same instant */
    CHECK_INT(batch.responses[2].rating, SURVEY_POOR);
    CHECK_INT(batch.responses[2].scope_kind, SCOPE_SERVICE);
    CHECK_INT(batch.responses[3].rating, SURVEY_GOOD);
    CHECK_INT(batch.responses[4].rating, SURVEY_POOR);
    CHECK(strcmp(batch.responses[4].id, "e") == 0);
    survey_batch_free(&batch);

    CHECK_INT(parse(&batch, "{\"id\": \"x\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 5}",
                    EVENT_BODY_JSON),
              0);
    CHECK_INT(batch.count, 1);
    survey_batch_free(&batch);

    CHECK_INT(parse(&batch,
                    "{\"id\": \"x\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 1}\r\n\n"
                    "{\"id\": \"y\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": \"average\"}",
                    EVENT_BODY_NDJSON),
              0);
    CHECK_INT(batch.count, 2);
    CHECK_INT(batch.responses[1].rating, SURVEY_AVERAGE);
    survey_batch_free(&batch);
}

/* What spreadsheets and PowerShell write: a UTF-8 byte order mark first. */
static void test_byte_order_mark(void)
{
    struct survey_batch batch;
    CHECK_INT(
        parse(&batch,
              "\xEF\xBB\xBF[{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 2}]",
              EVENT_BODY_JSON),
        0);
    CHECK_INT(batch.count, 1);
    survey_batch_free(&batch);
    CHECK_INT(
        parse(&batch,
              "\xEF\xBB\xBF{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 2}\n",
              EVENT_BODY_NDJSON),
        0);
    CHECK_INT(batch.count, 1);
    survey_batch_free(&batch);
}

static void test_scores(void)
{
    CHECK_INT(survey_rating_from_score(1), SURVEY_POOR);
    CHECK_INT(survey_rating_from_score(2), SURVEY_POOR);
    CHECK_INT(survey_rating_from_score(3), SURVEY_AVERAGE);
    CHECK_INT(survey_rating_from_score(4), SURVEY_GOOD);
    CHECK_INT(survey_rating_from_score(5), SURVEY_GOOD);
}

static void test_invalid(void)
{
    static const struct {
        const char *item;
        const char *field;
    } cases[] = {
        {"{\"at\": \"2026-01-01T00:00:00Z\", \"rating\": 5}", "id"},
        {"{\"id\": \"\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 5}", "id"},
        {"{\"id\": \"a\\u0001\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 5}", "id"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01 00:00\", \"rating\": 5}", "at"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00\", \"rating\": 5}", "at"},
        {"{\"id\": \"a\", \"at\": \"1969-12-31T23:59:59Z\", \"rating\": 5}", "at"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 0}", "rating"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 6}", "rating"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 4.5}", "rating"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": \"Good\"}", "rating"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\"}", "rating"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 5, \"channel\": \"fax\"}",
         "channel"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 5, \"scope\": \"team:x\"}",
         "scope"},
        {"{\"id\": \"a\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 5, \"score\": 5}", ""},
        {"[1]", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct survey_batch batch;
        char body[512];
        snprintf(body, sizeof body,
                 "[{\"id\": \"ok\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": \"good\"}, %s]",
                 cases[i].item);
        int rc = parse(&batch, body, EVENT_BODY_JSON);
        CHECK_MSG(rc == 1, "case %zu: rc %d", i, rc);
        CHECK_MSG(batch.count == 0, "case %zu: nothing kept", i);
        CHECK_MSG(batch.error_count == 1, "case %zu: one error, not %zu", i, batch.error_count);
        if (batch.error_count == 1) {
            CHECK_MSG(batch.errors[0].index == 1, "case %zu: index %ld", i, batch.errors[0].index);
            CHECK_MSG(strcmp(batch.errors[0].field, cases[i].field) == 0, "case %zu: field %s", i,
                      batch.errors[0].field);
        }
        survey_batch_free(&batch);
    }
    struct survey_batch batch;
    CHECK_INT(parse(&batch, "", EVENT_BODY_JSON), -1);
    survey_batch_free(&batch);
    CHECK_INT(parse(&batch, "[]", EVENT_BODY_JSON), -1);
    survey_batch_free(&batch);
    CHECK_INT(parse(&batch, "{\"id\": ", EVENT_BODY_JSON), -1);
    survey_batch_free(&batch);
    CHECK_INT(parse(&batch, "\n\n", EVENT_BODY_NDJSON), -1);
    survey_batch_free(&batch);
    CHECK_INT(parse(&batch,
                    "{\"id\": \"x\", \"at\": \"2026-01-01T00:00:00Z\", \"rating\": 1}\n{oops\n",
                    EVENT_BODY_NDJSON),
              -1); /* as for events: a line that is not JSON is a bad body (400), not a bad item */
    CHECK_INT(batch.count, 0);
    CHECK_INT(batch.error_count, 1);
    CHECK_INT(batch.errors[0].line, 2);
    CHECK_INT(batch.errors[0].index, -1);
    survey_batch_free(&batch);
}

void unit_main(void)
{
    test_valid();
    test_byte_order_mark();
    test_scores();
    test_invalid();
}
