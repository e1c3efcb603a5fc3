/*
 * survey: parse and check survey responses (see survey.h). jansson does the JSON
 * syntax, a document at a time (the whole body, or one NDJSON line); each item's
 * problems are gathered by item_problems so errors read like those of events.
 */
#include "survey.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "calendar.h"
#include "item_problems.h"
#include "utf8.h"

void survey_batch_init(struct survey_batch *batch)
{
    memset(batch, 0, sizeof *batch);
}

void survey_batch_free(struct survey_batch *batch)
{
    free(batch->responses);
    free(batch->errors);
    arena_free(&batch->arena_internal);
    memset(batch, 0, sizeof *batch);
}

enum survey_rating survey_rating_from_score(int score)
{
    return score >= 4 ? SURVEY_GOOD : score == 3 ? SURVEY_AVERAGE : SURVEY_POOR;
}

static int survey_add_error(struct survey_batch *batch, long index, long line, const char *field,
                            const char *message)
{
    batch->error_count++;
    if (batch->error_count > EVENT_MAX_ERRORS)
        return 0;
    if (!batch->errors) {
        batch->errors = calloc(EVENT_MAX_ERRORS, sizeof *batch->errors);
        if (!batch->errors)
            return -1;
    }
    struct event_item_error *error = &batch->errors[batch->error_count - 1];
    error->index = index;
    error->line = line;
    snprintf(error->field, sizeof error->field, "%s", field ? field : "");
    snprintf(error->message, sizeof error->message, "%s", message);
    utf8_sanitize(error->message); /* jansson's messages quote the input, cut anywhere */
    return 0;
}

/* A copy of text in the batch's arena, or NULL when out of memory. */
static const char *survey_copy(struct survey_batch *batch, const char *text)
{
    size_t length = strlen(text);
    char *copy = arena_alloc(&batch->arena_internal, length + 1);
    if (copy)
        memcpy(copy, text, length + 1);
    return copy;
}

/* Check one item; on success append it to the batch. */
static void survey_parse_item(struct survey_batch *batch, json_t *item, long index, long line)
{
    static const char *const known[] = {"id", "at", "rating", "channel", "scope", NULL};
    struct item_problems problems = {0};
    struct survey_response response = {0};
    const char *key;
    json_t *value;

    if (!json_is_object(item)) {
        survey_add_error(batch, index, line, "", "a survey response must be a JSON object");
        return;
    }
    json_object_foreach(item, key, value)
    {
        bool ok = false;
        (void)value;
        for (const char *const *k = known; *k; k++)
            ok |= strcmp(*k, key) == 0;
        if (!ok)
            item_problems_add(&problems, "",
                              "unknown field \"%.40s\" (known: id, at, rating, "
                              "channel, scope)",
                              key);
    }
    value = json_object_get(item, "id");
    if (!json_is_string(value) || json_string_length(value) == 0 ||
        utf8_count_chars(json_string_value(value), json_string_length(value)) > 128 ||
        utf8_first_control(json_string_value(value), json_string_length(value)) >= 0)
        item_problems_add(&problems, "id",
                          "id is required: a string of 1-128 characters, none a control one");
    value = json_object_get(item, "at");
    if (!json_is_string(value) ||
        calendar_parse_rfc3339(json_string_value(value), json_string_length(value), &response.at_us,
                               NULL) != 0 ||
        response.at_us < EVENT_INSTANT_MIN_US || response.at_us > EVENT_INSTANT_MAX_US)
        item_problems_add(&problems, "at",
                          "at is required: an RFC 3339 date-time with an offset, from 1970 to "
                          "9998, e.g. 2026-10-06T09:15:00+01:00");
    value = json_object_get(item, "rating");
    if (json_is_string(value)) {
        const char *rating = json_string_value(value);
        response.rating = strcmp(rating, "good") == 0      ? SURVEY_GOOD
                          : strcmp(rating, "average") == 0 ? SURVEY_AVERAGE
                          : strcmp(rating, "poor") == 0    ? SURVEY_POOR
                                                           : 0;
    } else if (json_is_integer(value) && json_integer_value(value) >= 1 &&
               json_integer_value(value) <= 5) {
        response.score = (int)json_integer_value(value);
        response.rating = survey_rating_from_score(response.score);
    }
    if (response.rating == 0)
        item_problems_add(&problems, "rating",
                          "rating is required: \"good\", \"average\", \"poor\" or 1-5");
    value = json_object_get(item, "channel");
    response.channel = EVENT_CHANNEL_PHONE;
    if (value && !json_is_null(value)) {
        int channel =
            json_is_string(value) ? event_channel_from_name(json_string_value(value)) : -1;
        if (channel < 0)
            item_problems_add(&problems, "channel", "channel must be " EVENT_CHANNEL_CHOICES);
        else
            response.channel = (enum event_channel)channel;
    }
    value = json_object_get(item, "scope");
    struct scope scope = {.kind = SCOPE_TENANT};
    if (value && !json_is_null(value)) {
        struct ccm_error error;
        if (!json_is_string(value) ||
            strlen(json_string_value(value)) != json_string_length(value) ||
            scope_parse(json_string_value(value), &scope, &error) != 0)
            item_problems_add(&problems, "scope",
                              "scope must be tenant, queue:NAME or service:NAME");
    }
    if (problems.count) {
        survey_add_error(batch, index, line, problems.field, item_problems_message(&problems));
        return;
    }
    if (batch->error_count)
        return; /* nothing will be stored: keep checking, stop collecting */
    response.scope_kind = scope.kind;
    response.id = survey_copy(batch, json_string_value(json_object_get(item, "id")));
    response.scope_name = scope.kind == SCOPE_TENANT ? NULL : survey_copy(batch, scope.name);
    if (!response.id || (scope.kind != SCOPE_TENANT && !response.scope_name)) {
        survey_add_error(batch, index, line, "", "out of memory");
        return;
    }
    batch->responses[batch->count++] = response;
}

static int survey_body_error(struct survey_batch *batch, const char *message)
{
    survey_add_error(batch, -1, -1, "", message);
    return -1;
}

int survey_parse_body(struct survey_batch *batch, const char *body, size_t length,
                      enum event_body_format format)
{
    json_error_t json_error;
    char message[400];

    if (length >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) { /* a UTF-8 byte order mark */
        body += 3;
        length -= 3;
    }
    if (format == EVENT_BODY_JSON) {
        json_t *document = json_loadb(body, length, JSON_REJECT_DUPLICATES, &json_error);
        if (!document) {
            snprintf(message, sizeof message, "the body is not JSON: %s (line %d, column %d)",
                     json_error.text, json_error.line, json_error.column);
            return survey_body_error(batch, message);
        }
        size_t count = json_is_array(document) ? json_array_size(document) : 1;
        if (count == 0 || count > SURVEY_MAX_ITEMS) {
            json_decref(document);
            snprintf(message, sizeof message, "a request holds 1-%d survey responses",
                     SURVEY_MAX_ITEMS);
            return survey_body_error(batch, message);
        }
        batch->responses = calloc(count, sizeof *batch->responses);
        if (!batch->responses) {
            json_decref(document);
            return survey_body_error(batch, "out of memory");
        }
        if (json_is_array(document))
            for (size_t i = 0; i < count; i++)
                survey_parse_item(batch, json_array_get(document, i), (long)i, -1);
        else
            survey_parse_item(batch, document, 0, -1);
        json_decref(document);
    } else {
        /* first the items (lines with more than blanks), to refuse too many at once */
        size_t items = 0;
        for (size_t start = 0; start < length;) {
            const char *newline = memchr(body + start, '\n', length - start);
            size_t end = newline ? (size_t)(newline - body) : length;
            while (start < end && strchr(" \t\r", body[start]))
                start++;
            items += start < end;
            start = end + 1;
        }
        if (items > SURVEY_MAX_ITEMS) {
            snprintf(message, sizeof message, "a request holds 1-%d survey responses",
                     SURVEY_MAX_ITEMS);
            return survey_body_error(batch, message);
        }
        batch->responses = calloc(items ? items : 1, sizeof *batch->responses);
        if (!batch->responses)
            return survey_body_error(batch, "out of memory");
        long line = 0;
        for (size_t start = 0; start < length;) {
            const char *newline = memchr(body + start, '\n', length - start);
            size_t end = newline ? (size_t)(newline - body) : length;
            line++;
            while (start < end && strchr(" \t\r", body[start]))
                start++;
            if (start < end) {
                json_t *item = json_loadb(body + start, end - start,
                                          JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &json_error);
                if (!item) {
                    /* as for events: a line that is not JSON makes the body unreadable */
                    snprintf(message, sizeof message, "line %ld is not JSON: %s (column %d)", line,
                             json_error.text, json_error.column);
                    batch->count = 0;
                    survey_add_error(batch, -1, line, "", message);
                    return -1;
                }
                survey_parse_item(batch, item, -1, line);
                json_decref(item);
            }
            start = end + 1;
        }
        if (items == 0)
            return survey_body_error(batch, "the body holds no survey response");
    }
    if (batch->error_count) {
        batch->count = 0;
        return 1;
    }
    return 0;
}
