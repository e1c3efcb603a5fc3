/*
 * queue_log_case: runs one data-driven case of the Asterisk queue_log parser (lib/queue_log.c).
 *
 *   queue_log_case CASE_DIR
 *
 * CASE_DIR/input holds queue_log lines (split on '\n'; a last line without '\n' counts; a
 * trailing '\r' stays on the line, as the daemon would pass it). Each line is parsed on its
 * own, from an exact-size copy with an exact-size scratch (QUEUE_LOG_SCRATCH_SIZE), so
 * AddressSanitizer sees any read or write past them. The results are rendered one compact
 * JSON object per input line, in this key order:
 *   {"line":N,"kind":"lifecycle","event":"ABANDON","at":"...Z","type":"call.ended","id":...,
 *    "queue":...,"agent":...,"channel":...,"caller":...,"outcome":...,"handle_s":...}
 *   {"line":N,"kind":"ring_no_answer","event":"RINGNOANSWER","at":...,"id":...,"queue":...,
 *    "agent":...,"ring_ms":N}
 *   {"line":N,"kind":"other","event":"PAUSE","at":...}
 *   {"line":N,"error":"..."}
 * (absent optionals omitted; "channel" and "caller" only for call.offered; "outcome" and
 * "handle_s" only for call.ended) and compared byte for byte with CASE_DIR/expected. With
 * CCM_REGENERATE=1 the rendering is written to CASE_DIR/expected instead: read every file
 * written that way before keeping it. The record's invariants are checked on the way.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "case_runner.h"
#include "queue_log.h"

/* An optional string: omitted when NULL. */
static int set_string(json_t *object, const char *key, const char *text)
{
    return text ? case_runner_set_value(object, key, json_string(text)) : 0;
}

static size_t count_chars(const char *text)
{
    size_t chars = 0;
    for (const char *p = text; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    return chars;
}

/* True when `text` is NULL or lies inside the scratch. */
static int in_scratch(const char *text, const char *scratch, size_t scratch_size)
{
    return !text || (text >= scratch && text < scratch + scratch_size &&
                     memchr(text, '\0', (size_t)(scratch + scratch_size - text)) != NULL);
}

static const char *const type_names[] = {"call", "call.offered", "call.answered", "call.ended"};

/* The record's promises (queue_log.h); NULL when kept, else what is broken. */
static const char *check_record(const struct queue_log_record *record, const char *scratch,
                                size_t scratch_size)
{
    const struct event_lifecycle *event = &record->event;

    if (!queue_log_kind_name(record->kind))
        return "kind is outside the enum";
    if (!record->event_name || !record->event_name[0] ||
        count_chars(record->event_name) > QUEUE_LOG_EVENT_MAX_CHARS)
        return "event_name is missing, empty or too long";
    if (record->at_us < EVENT_INSTANT_MIN_US || record->at_us > EVENT_INSTANT_MAX_US)
        return "at_us outside 1970..9998";
    if (!in_scratch(record->id, scratch, scratch_size) ||
        !in_scratch(record->queue, scratch, scratch_size) ||
        !in_scratch(record->agent, scratch, scratch_size) ||
        !in_scratch(event->caller, scratch, scratch_size))
        return "a string is not in the scratch";
    if (record->kind == QUEUE_LOG_OTHER) {
        if (record->id || record->queue || record->agent || record->ring_ms ||
            event->type != EVENT_TYPE_CALL || event->id)
            return "an OTHER record has call fields";
        return NULL;
    }
    if (!record->id || !record->queue || !record->queue[0])
        return "a call record has no id or queue";
    {
        size_t id_length = strlen(record->id), queue_length = strlen(record->queue);
        if (id_length < queue_length + 2 ||
            record->queue != record->id + id_length - queue_length || record->queue[-1] != '@')
            return "id is not <callid>@<queue>";
    }
    if (count_chars(record->id) > EVENT_ID_MAX_CHARS ||
        count_chars(record->queue) > EVENT_QUEUE_MAX_CHARS ||
        (record->agent && count_chars(record->agent) > EVENT_AGENT_MAX_CHARS) ||
        (event->caller && count_chars(event->caller) > EVENT_CALLER_MAX_CHARS))
        return "a string is over its limit";
    if (record->agent && (!record->agent[0] || strcmp(record->agent, "NONE") == 0))
        return "agent is empty or NONE instead of NULL";
    if (record->kind == QUEUE_LOG_RING_NO_ANSWER) {
        if (event->type != EVENT_TYPE_CALL || event->id || record->ring_ms < 0)
            return "a ring-no-answer record has a lifecycle event or a negative ring_ms";
        return NULL;
    }
    if (record->ring_ms != 0)
        return "a lifecycle record has ring_ms";
    if (event->id != record->id || event->at_us != record->at_us)
        return "event id/at differ from the record's";
    if (event->channel != EVENT_CHANNEL_PHONE ||
        event->first_contact_resolved != EVENT_RESOLUTION_UNKNOWN)
        return "channel is not phone or first_contact_resolved is known";
    switch (event->type) {
    case EVENT_TYPE_CALL_OFFERED:
        if (event->queue != record->queue || event->agent || event->outcome || event->has_handle)
            return "call.offered carries the wrong fields";
        break;
    case EVENT_TYPE_CALL_ANSWERED:
        if (event->queue || event->caller || event->agent != record->agent || event->outcome ||
            event->has_handle)
            return "call.answered carries the wrong fields";
        break;
    case EVENT_TYPE_CALL_ENDED:
        if (event->queue || event->caller || event->agent || !event_outcome_name(event->outcome))
            return "call.ended carries the wrong fields or no outcome";
        if (event->has_handle && (event->handle_s < 0 || event->handle_s > (EVENT_HANDLE_MAX_S) ||
                                  event->outcome != EVENT_OUTCOME_ANSWERED))
            return "handle_s out of range or on an unanswered call";
        break;
    default:
        return "a lifecycle record has no lifecycle type";
    }
    return NULL;
}

/* One line's rendering, or NULL with *problem set. */
static json_t *render_line(long number, const char *line, size_t length, const char **problem)
{
    size_t scratch_size = QUEUE_LOG_SCRATCH_SIZE(length);
    char *copy = malloc(length ? length : 1), *scratch = malloc(scratch_size);
    json_t *object = json_object();
    struct queue_log_record record;
    struct ccm_error error;
    char at[32];
    int returned, failed = 0;

    if (!copy || !scratch || !object) {
        *problem = "out of memory";
        goto fail;
    }
    memcpy(copy, line, length);
    memset(&error, 'x', sizeof error); /* the parser must clear or set it */
    returned = queue_log_parse_line(copy, length, scratch, scratch_size, &record, &error);
    failed |= case_runner_set_value(object, "line", json_integer(number));
    if (returned == -1) {
        static const struct queue_log_record zero;
        if (!memchr(error.message, '\0', sizeof error.message) || !error.message[0] ||
            memcmp(&record, &zero, sizeof record) != 0) {
            *problem = "a failure must have a message and a zeroed record";
            goto fail;
        }
        failed |= case_runner_set_value(object, "error", json_string(error.message));
    } else if (returned == 0) {
        const struct event_lifecycle *event = &record.event;
        if (error.message[0]) {
            *problem = "success with an error message";
            goto fail;
        }
        if ((*problem = check_record(&record, scratch, scratch_size)) != NULL)
            goto fail;
        calendar_format_rfc3339_utc(record.at_us, at);
        failed |=
            case_runner_set_value(object, "kind", json_string(queue_log_kind_name(record.kind)));
        failed |= case_runner_set_value(object, "event", json_string(record.event_name));
        failed |= case_runner_set_value(object, "at", json_string(at));
        if (record.kind == QUEUE_LOG_LIFECYCLE)
            failed |= case_runner_set_value(object, "type", json_string(type_names[event->type]));
        failed |= set_string(object, "id", record.id);
        failed |= set_string(object, "queue", record.queue);
        failed |= set_string(object, "agent", record.agent);
        if (record.kind == QUEUE_LOG_LIFECYCLE && event->type == EVENT_TYPE_CALL_OFFERED) {
            failed |= case_runner_set_value(object, "channel",
                                            json_string(event_channel_name(event->channel)));
            failed |= set_string(object, "caller", event->caller);
        }
        if (record.kind == QUEUE_LOG_LIFECYCLE && event->type == EVENT_TYPE_CALL_ENDED) {
            failed |= case_runner_set_value(object, "outcome",
                                            json_string(event_outcome_name(event->outcome)));
            if (event->has_handle)
                failed |= case_runner_set_value(object, "handle_s", json_real(event->handle_s));
        }
        if (record.kind == QUEUE_LOG_RING_NO_ANSWER)
            failed |= case_runner_set_value(object, "ring_ms", json_integer(record.ring_ms));
    } else {
        *problem = "returned neither 0 nor -1";
        goto fail;
    }
    if (failed) {
        *problem = "a string of the record or the message is not UTF-8";
        goto fail;
    }
    free(copy);
    free(scratch);
    return object;
fail:
    free(copy);
    free(scratch);
    json_decref(object);
    return NULL;
}

/* The rendering of every line, or NULL with *problem set. */
static char *render(const char *input, size_t input_length, const char **problem)
{
    const char *cursor = input, *end = input + input_length;
    size_t size = 0;
    char *text = NULL;
    long number = 0;

    while (cursor < end) {
        const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        const char *line_end = newline ? newline : end;
        json_t *object = render_line(++number, cursor, (size_t)(line_end - cursor), problem);
        char *dumped, *grown;
        size_t dumped_length;

        if (!object) {
            fprintf(stderr, "line %ld: ", number);
            free(text);
            return NULL;
        }
        dumped = json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(object);
        if (!dumped) {
            *problem = "json_dumps failed";
            free(text);
            return NULL;
        }
        dumped_length = strlen(dumped);
        grown = realloc(text, size + dumped_length + 2);
        if (!grown) {
            free(dumped);
            free(text);
            *problem = "out of memory";
            return NULL;
        }
        text = grown;
        memcpy(text + size, dumped, dumped_length);
        size += dumped_length;
        text[size++] = '\n';
        text[size] = '\0';
        free(dumped);
        cursor = newline ? newline + 1 : end;
    }
    if (!text)
        *problem = "the input has no lines";
    return text;
}

int main(int argc, char **argv)
{
    const char *case_dir, *problem = NULL;
    char *input, *actual;
    size_t input_length;
    int status;

    status = case_runner_start(argc, argv, &case_dir, &input, &input_length);
    if (status != 0)
        return status;

    actual = render(input, input_length, &problem);
    free(input);
    if (!actual)
        return case_runner_fail(case_dir, problem);

    status = case_runner_finish(case_dir, actual);
    free(actual);
    return status;
}
