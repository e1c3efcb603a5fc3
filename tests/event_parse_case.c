/*
 * event_parse_case: runs one data-driven case of the ingest body parser (lib/event.c).
 *
 *   event_parse_case CASE_DIR
 *
 * CASE_DIR/input holds the request body bytes, CASE_DIR/format (optional) "json" or "ndjson".
 * The parse result is rendered as canonical JSON (sorted keys, 2-space indent) and compared
 * byte for byte with CASE_DIR/expected. With CCM_REGENERATE=1 the rendering is written to
 * CASE_DIR/expected instead: read every file written that way before keeping it.
 *
 * Rendering: {"contacts": [...], "lifecycle": [...]} when the parse succeeds (every field,
 * times as UTC RFC 3339, absent optionals omitted; "lifecycle" only when there are events);
 * otherwise {"returned": -1|1, "error_count": N, "too_many_items": bool, "errors": [{"index",
 * "line", "field", "message"}]} with index or line omitted when -1. The batch's invariants are
 * checked on the way.
 *
 * The body is parsed twice, by event_parse_body (with the flat-record fast path) and by
 * event_parse_body_reference (jansson for every item): both must render the same.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_runner.h"
#include "event.h"

static json_t *render_contact(const struct event_contact *contact)
{
    json_t *object = json_object();
    int failed = 0;

    failed |= case_runner_set_contact(object, contact);
    if (failed) {
        json_decref(object);
        return NULL;
    }
    return object;
}

/* The canonical rendering of a parse, or NULL (with *problem set) when the batch breaks an
 * invariant or cannot be rendered. */
static const char *lifecycle_type_name(enum event_type type)
{
    switch (type) {
    case EVENT_TYPE_CALL_OFFERED:
        return "call.offered";
    case EVENT_TYPE_CALL_ANSWERED:
        return "call.answered";
    case EVENT_TYPE_CALL_ENDED:
        return "call.ended";
    case EVENT_TYPE_CALL:
        break;
    }
    return NULL;
}

static json_t *render_lifecycle(const struct event_lifecycle *event)
{
    json_t *object = json_object();
    const char *type = lifecycle_type_name(event->type);
    int failed = !type;

    failed |= case_runner_set_value(object, "type", type ? json_string(type) : NULL);
    failed |= case_runner_set_value(object, "id", event->id ? json_string(event->id) : NULL);
    failed |= case_runner_set_instant(object, "at", event->at_us);
    if (event->queue)
        failed |= case_runner_set_value(object, "queue", json_string(event->queue));
    if (event->type == EVENT_TYPE_CALL_OFFERED)
        failed |= case_runner_set_value(object, "channel",
                                        json_string(event_channel_name(event->channel)));
    if (event->caller)
        failed |= case_runner_set_value(object, "caller", json_string(event->caller));
    if (event->agent)
        failed |= case_runner_set_value(object, "agent", json_string(event->agent));
    if (event->outcome)
        failed |= case_runner_set_value(
            object, "outcome", json_string(event_outcome_name((enum event_outcome)event->outcome)));
    if (event->has_handle)
        failed |= case_runner_set_value(object, "handle_s", json_real(event->handle_s));
    if (event->first_contact_resolved != EVENT_RESOLUTION_UNKNOWN)
        failed |= case_runner_set_value(
            object, "first_contact_resolved",
            json_boolean(event->first_contact_resolved == EVENT_RESOLUTION_YES));
    if (failed) {
        json_decref(object);
        return NULL;
    }
    return object;
}

static char *render(const struct event_batch *batch, int returned, const char **problem)
{
    json_t *root = json_object(), *list = json_array();
    char *text = NULL;

    if (returned == 0) {
        if (batch->error_count != 0) {
            *problem = "returned 0 with errors";
            goto done;
        }
        for (size_t i = 0; i < batch->contact_count; i++) {
            json_t *contact = render_contact(&batch->contacts[i]);
            if (!contact) {
                *problem = "a contact has a missing name or a string that is not UTF-8";
                goto done;
            }
            json_array_append_new(list, contact);
        }
        json_object_set(root, "contacts", list);
        if (batch->lifecycle_count > 0) {
            json_t *events = json_array();
            json_object_set_new(root, "lifecycle", events);
            for (size_t i = 0; i < batch->lifecycle_count; i++) {
                json_t *event = render_lifecycle(&batch->lifecycle[i]);
                if (!event) {
                    *problem = "a lifecycle event has a bad type, a missing id or bad UTF-8";
                    goto done;
                }
                json_array_append_new(events, event);
            }
        }
    } else {
        size_t listed =
            batch->error_count < EVENT_MAX_ERRORS ? batch->error_count : EVENT_MAX_ERRORS;
        if (returned != 1 && returned != -1) {
            *problem = "returned neither 0, 1 nor -1";
            goto done;
        }
        if (batch->error_count == 0 || batch->contact_count != 0 || batch->lifecycle_count != 0 ||
            !batch->errors) {
            *problem = "a failed parse must have errors and no contacts or lifecycle events";
            goto done;
        }
        for (size_t i = 0; i < listed; i++) {
            json_t *error = case_runner_render_error(&batch->errors[i]);
            if (!error) {
                *problem = "an error has a string that is not UTF-8";
                goto done;
            }
            json_array_append_new(list, error);
        }
        json_object_set_new(root, "returned", json_integer(returned));
        json_object_set_new(root, "error_count", json_integer((json_int_t)batch->error_count));
        json_object_set_new(root, "too_many_items", json_boolean(batch->too_many_items));
        json_object_set(root, "errors", list);
    }
    text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
    if (!text)
        *problem = "json_dumps failed";
done:
    json_decref(list);
    json_decref(root);
    return text;
}

typedef int parse_function(struct event_batch *, const char *, size_t, enum event_body_format);

/* The rendering of one parse, or NULL with *problem set. */
static char *parse_and_render(parse_function *parse, const char *input, size_t input_length,
                              enum event_body_format format, const char **problem)
{
    struct event_batch batch;
    char *rendered;
    int returned;

    event_batch_init(&batch);
    returned = parse(&batch, input, input_length, format);
    rendered = render(&batch, returned, problem);
    event_batch_free(&batch);
    return rendered;
}

int main(int argc, char **argv)
{
    char path[4096];
    const char *case_dir, *problem = NULL;
    enum event_body_format format = EVENT_BODY_JSON;
    char *input, *format_text, *actual, *rendered, *reference;
    size_t input_length, format_length;
    int status;

    status = case_runner_start(argc, argv, &case_dir, &input, &input_length);
    if (status != 0)
        return status;

    snprintf(path, sizeof path, "%s/format", case_dir);
    format_text = case_runner_read_file(path, &format_length);
    if (format_text) {
        format_text[strcspn(format_text, " \t\r\n")] = '\0';
        if (strcmp(format_text, "ndjson") == 0) {
            format = EVENT_BODY_NDJSON;
        } else if (strcmp(format_text, "json") != 0) {
            free(format_text);
            free(input);
            return case_runner_fail(case_dir, "format must be \"json\" or \"ndjson\"");
        }
        free(format_text);
    }

    rendered = parse_and_render(event_parse_body, input, input_length, format, &problem);
    reference = parse_and_render(event_parse_body_reference, input, input_length, format, &problem);
    free(input);
    if (!rendered || !reference) {
        free(rendered);
        free(reference);
        return case_runner_fail(case_dir, problem);
    }
    if (strcmp(rendered, reference) != 0) {
        fprintf(stderr, "FAIL %s: the fast path and the reference (jansson) parse differ\n",
                case_dir);
        case_runner_report_difference(reference, rendered);
        free(rendered);
        free(reference);
        return 1;
    }
    free(reference);
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
