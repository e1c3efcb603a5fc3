/*
 * connect_ctr_case: runs one data-driven case of the Amazon Connect contact record parser
 * (lib/connect_ctr.c).
 *
 *   connect_ctr_case CASE_DIR
 *
 * CASE_DIR/input holds the request body bytes (the form is detected, as the daemon does).
 * The parse result is rendered as canonical JSON (sorted keys, 2-space indent) and compared
 * byte for byte with CASE_DIR/expected. With CCM_REGENERATE=1 the rendering is written to
 * CASE_DIR/expected instead: read every file written that way before keeping it.
 *
 * Rendering, whatever the result: {"returned": 0|1|-1, "records": [...] (every field of
 * each record, times as UTC RFC 3339, absent optionals omitted, "line" omitted when -1),
 * "skipped_count": N, "error_count": N, "too_many_items": bool, "errors": [{"index",
 * "line", "field", "message"}] (index or line omitted when -1)}. The batch's invariants
 * are checked on the way, and the body is parsed a second time into the same batch to
 * check that a reused batch gives the same answer.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_runner.h"
#include "connect_ctr.h"

static size_t count_chars(const char *text)
{
    size_t chars = 0;
    for (const char *p = text; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    return chars;
}

/* NULL when the record keeps every promise of a call record, else the broken one. */
static const char *broken_promise(const struct connect_ctr_record *record)
{
    const struct event_contact *contact = &record->contact;

    if (!contact->id || !contact->id[0] || count_chars(contact->id) > EVENT_ID_MAX_CHARS)
        return "id is set, 1..EVENT_ID_MAX_CHARS characters";
    if (!contact->queue || !contact->queue[0] ||
        count_chars(contact->queue) > EVENT_QUEUE_MAX_CHARS)
        return "queue is set, 1..EVENT_QUEUE_MAX_CHARS characters";
    if (contact->caller &&
        (!contact->caller[0] || count_chars(contact->caller) > EVENT_CALLER_MAX_CHARS))
        return "caller is absent or 1..EVENT_CALLER_MAX_CHARS characters";
    if (contact->agent &&
        (!contact->agent[0] || count_chars(contact->agent) > EVENT_AGENT_MAX_CHARS))
        return "agent is absent or 1..EVENT_AGENT_MAX_CHARS characters";
    if (contact->reason)
        return "CTRs carry no reason";
    if (contact->outcome != EVENT_OUTCOME_ANSWERED && contact->outcome != EVENT_OUTCOME_ABANDONED)
        return "outcome is answered or abandoned";
    if (contact->has_answered != (contact->outcome == EVENT_OUTCOME_ANSWERED))
        return "answered_at exactly when answered";
    if (contact->outcome == EVENT_OUTCOME_ABANDONED &&
        (!contact->has_ended || contact->agent || contact->has_handle))
        return "abandoned contacts have ended_at and no agent or handle";
    if (contact->has_answered && contact->answered_us < contact->offered_us)
        return "answered_at >= offered_at";
    if (contact->has_ended && (contact->ended_us < contact->offered_us ||
                               (contact->has_answered && contact->ended_us < contact->answered_us)))
        return "ended_at >= offered_at and answered_at";
    if (contact->has_handle && !(contact->handle_s >= 0 && contact->handle_s <= EVENT_HANDLE_MAX_S))
        return "handle_s within 0..7 days";
    if (contact->first_contact_resolved != EVENT_RESOLUTION_UNKNOWN)
        return "first_contact_resolved is unknown";
    if (event_channel_name(contact->channel) == NULL)
        return "channel is a known one";
    if (contact->offered_us < EVENT_INSTANT_MIN_US || contact->offered_us > EVENT_INSTANT_MAX_US)
        return "offered_at within the accepted range";
    return NULL;
}

static json_t *render_record(const struct connect_ctr_record *record)
{
    const struct event_contact *contact = &record->contact;
    json_t *object = json_object();
    int failed = 0;

    failed |= case_runner_set_value(object, "index", json_integer(record->index));
    if (record->line != -1)
        failed |= case_runner_set_value(object, "line", json_integer(record->line));
    failed |= case_runner_set_contact(object, contact);
    failed |= case_runner_set_instant(object, "version", record->version_us);
    if (failed) {
        json_decref(object);
        return NULL;
    }
    return object;
}

/* The canonical rendering of a parse, or NULL (with *problem set) when the batch breaks an
 * invariant or cannot be rendered. */
static char *render(const struct connect_ctr_batch *batch, int returned, const char **problem)
{
    json_t *root = json_object(), *records = json_array(), *errors = json_array();
    size_t listed = batch->error_count < EVENT_MAX_ERRORS ? batch->error_count : EVENT_MAX_ERRORS;
    char *text = NULL;

    if (returned != 0 && returned != 1 && returned != -1) {
        *problem = "returned neither 0, 1 nor -1";
        goto done;
    }
    if ((returned == 0) != (batch->error_count == 0) || (batch->error_count && !batch->errors)) {
        *problem = "errors are listed exactly when the result is not 0";
        goto done;
    }
    if (returned == -1 &&
        (batch->error_count != 1 || batch->record_count || batch->skipped_count)) {
        *problem = "a body-level failure is one error, with no records and none skipped";
        goto done;
    }
    if (batch->too_many_items && returned != -1) {
        *problem = "too many records is a body-level failure";
        goto done;
    }
    for (size_t i = 0; i < batch->record_count; i++) {
        const struct connect_ctr_record *record = &batch->records[i];
        json_t *rendered;
        if ((*problem = broken_promise(record)) != NULL)
            goto done;
        if (i > 0 && record->index <= batch->records[i - 1].index) {
            *problem = "records are in body order";
            goto done;
        }
        rendered = render_record(record);
        if (!rendered) {
            *problem = "a record has a string that is not UTF-8";
            goto done;
        }
        json_array_append_new(records, rendered);
    }
    for (size_t i = 0; i < listed; i++) {
        json_t *error = case_runner_render_error(&batch->errors[i]);
        if (!error) {
            *problem = "an error has a string that is not UTF-8";
            goto done;
        }
        json_array_append_new(errors, error);
    }
    json_object_set_new(root, "returned", json_integer(returned));
    json_object_set(root, "records", records);
    json_object_set_new(root, "skipped_count", json_integer((json_int_t)batch->skipped_count));
    json_object_set_new(root, "error_count", json_integer((json_int_t)batch->error_count));
    json_object_set_new(root, "too_many_items", json_boolean(batch->too_many_items));
    json_object_set(root, "errors", errors);
    text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
    if (!text)
        *problem = "json_dumps failed";
done:
    json_decref(records);
    json_decref(errors);
    json_decref(root);
    return text;
}

int main(int argc, char **argv)
{
    const char *case_dir, *problem = NULL;
    struct connect_ctr_batch batch;
    char *input, *actual, *rendered, *again;
    size_t input_length;
    int status, returned;

    status = case_runner_start(argc, argv, &case_dir, &input, &input_length);
    if (status != 0)
        return status;

    connect_ctr_batch_init(&batch);
    returned = connect_ctr_parse_body(&batch, input, input_length);
    rendered = render(&batch, returned, &problem);
    returned = connect_ctr_parse_body(&batch, input, input_length); /* reused batch */
    again = rendered ? render(&batch, returned, &problem) : NULL;
    connect_ctr_batch_free(&batch);
    free(input);
    if (batch.records || batch.errors || batch.arena_internal || batch.record_count) {
        free(rendered);
        free(again);
        return case_runner_fail(case_dir, "free leaves an empty batch");
    }
    if (!rendered || !again) {
        free(rendered);
        free(again);
        return case_runner_fail(case_dir, problem);
    }
    status = strcmp(rendered, again);
    free(again);
    if (status != 0) {
        free(rendered);
        return case_runner_fail(case_dir, "parsing into a reused batch gives another answer");
    }
    actual = malloc(strlen(rendered) + 2);
    if (!actual) {
        free(rendered);
        return case_runner_fail(case_dir, "out of memory");
    }
    sprintf(actual, "%s\n", rendered);
    free(rendered);

    status = case_runner_finish(case_dir, actual);
    free(actual);
    return status;
}
