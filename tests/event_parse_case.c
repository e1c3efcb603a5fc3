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
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "event.h"

static int case_failed(const char *case_dir, const char *what)
{
    fprintf(stderr, "FAIL %s: %s\n", case_dir, what);
    return 1;
}

/* Reads a whole file; NULL with errno set when it cannot. */
static char *read_file(const char *path, size_t *length_out)
{
    FILE *file = fopen(path, "rb");
    char *data = NULL;
    size_t length = 0, capacity = 0, got;

    if (!file)
        return NULL;
    do {
        if (length == capacity) {
            char *grown;
            capacity = capacity ? capacity * 2 : 4096;
            grown = realloc(data, capacity + 1);
            if (!grown) {
                free(data);
                fclose(file);
                errno = ENOMEM;
                return NULL;
            }
            data = grown;
        }
        got = fread(data + length, 1, capacity - length, file);
        length += got;
    } while (got > 0);
    if (ferror(file)) {
        free(data);
        fclose(file);
        errno = EIO;
        return NULL;
    }
    fclose(file);
    data[length] = '\0';
    *length_out = length;
    return data;
}

static int write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    if (!file)
        return -1;
    if (fputs(text, file) == EOF) {
        fclose(file);
        return -1;
    }
    return fclose(file) == 0 ? 0 : -1;
}

/* 0, or -1 when jansson refused the value (NULL: e.g. a string that is not UTF-8). */
static int set_value(json_t *object, const char *key, json_t *value)
{
    if (!value)
        return -1;
    return json_object_set_new(object, key, value);
}

static int set_instant(json_t *object, const char *key, int64_t instant_us)
{
    char text[32];
    calendar_format_rfc3339_utc(instant_us, text);
    return set_value(object, key, json_string(text));
}

static json_t *render_contact(const struct event_contact *contact)
{
    json_t *object = json_object();
    int failed = 0;

    failed |= set_value(object, "id", contact->id ? json_string(contact->id) : NULL);
    failed |= set_value(object, "queue", contact->queue ? json_string(contact->queue) : NULL);
    failed |= set_value(object, "channel", json_string(event_channel_name(contact->channel)));
    failed |= set_value(object, "outcome", json_string(event_outcome_name(contact->outcome)));
    failed |= set_instant(object, "offered_at", contact->offered_us);
    if (contact->has_answered)
        failed |= set_instant(object, "answered_at", contact->answered_us);
    if (contact->has_ended)
        failed |= set_instant(object, "ended_at", contact->ended_us);
    if (contact->has_handle)
        failed |= set_value(object, "handle_s", json_real(contact->handle_s));
    if (contact->first_contact_resolved != EVENT_RESOLUTION_UNKNOWN)
        failed |= set_value(object, "first_contact_resolved",
                            json_boolean(contact->first_contact_resolved == EVENT_RESOLUTION_YES));
    if (contact->caller)
        failed |= set_value(object, "caller", json_string(contact->caller));
    if (contact->reason)
        failed |= set_value(object, "reason", json_string(contact->reason));
    if (contact->agent)
        failed |= set_value(object, "agent", json_string(contact->agent));
    if (failed) {
        json_decref(object);
        return NULL;
    }
    return object;
}

static json_t *render_error(const struct event_item_error *error)
{
    json_t *object = json_object();
    int failed = 0;

    if (error->index != -1)
        failed |= set_value(object, "index", json_integer(error->index));
    if (error->line != -1)
        failed |= set_value(object, "line", json_integer(error->line));
    failed |= set_value(object, "field", json_string(error->field));
    failed |= set_value(object, "message", json_string(error->message));
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

    failed |= set_value(object, "type", type ? json_string(type) : NULL);
    failed |= set_value(object, "id", event->id ? json_string(event->id) : NULL);
    failed |= set_instant(object, "at", event->at_us);
    if (event->queue)
        failed |= set_value(object, "queue", json_string(event->queue));
    if (event->type == EVENT_TYPE_CALL_OFFERED)
        failed |= set_value(object, "channel", json_string(event_channel_name(event->channel)));
    if (event->caller)
        failed |= set_value(object, "caller", json_string(event->caller));
    if (event->agent)
        failed |= set_value(object, "agent", json_string(event->agent));
    if (event->outcome)
        failed |= set_value(object, "outcome",
                            json_string(event_outcome_name((enum event_outcome)event->outcome)));
    if (event->has_handle)
        failed |= set_value(object, "handle_s", json_real(event->handle_s));
    if (event->first_contact_resolved != EVENT_RESOLUTION_UNKNOWN)
        failed |= set_value(object, "first_contact_resolved",
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
            json_t *error = render_error(&batch->errors[i]);
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

/* Prints where two texts first differ, then the actual text whole. */
static void report_difference(const char *expected, const char *actual)
{
    long line = 1;
    const char *e = expected, *a = actual;

    while (*e && *e == *a) {
        if (*e == '\n')
            line++;
        e++;
        a++;
    }
    while (e > expected && e[-1] != '\n')
        e--, a--;
    fprintf(stderr, "first difference at line %ld\n--- expected\n%.*s\n+++ actual\n%.*s\n", line,
            (int)strcspn(e, "\n"), e, (int)strcspn(a, "\n"), a);
    fprintf(stderr, "=== actual, whole ===\n%s", actual);
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
    const char *case_dir, *problem = NULL, *regenerate = getenv("CCM_REGENERATE");
    enum event_body_format format = EVENT_BODY_JSON;
    char *input, *format_text, *actual, *expected, *rendered, *reference;
    size_t input_length, format_length, expected_length;
    int status;

    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE_DIR\n", argv[0]);
        return 2;
    }
    case_dir = argv[1];

    snprintf(path, sizeof path, "%s/input", case_dir);
    input = read_file(path, &input_length);
    if (!input) {
        fprintf(stderr, "FAIL %s: cannot read %s: %s\n", case_dir, path, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/format", case_dir);
    format_text = read_file(path, &format_length);
    if (format_text) {
        format_text[strcspn(format_text, " \t\r\n")] = '\0';
        if (strcmp(format_text, "ndjson") == 0) {
            format = EVENT_BODY_NDJSON;
        } else if (strcmp(format_text, "json") != 0) {
            free(format_text);
            free(input);
            return case_failed(case_dir, "format must be \"json\" or \"ndjson\"");
        }
        free(format_text);
    }

    rendered = parse_and_render(event_parse_body, input, input_length, format, &problem);
    reference = parse_and_render(event_parse_body_reference, input, input_length, format, &problem);
    free(input);
    if (!rendered || !reference) {
        free(rendered);
        free(reference);
        return case_failed(case_dir, problem);
    }
    if (strcmp(rendered, reference) != 0) {
        fprintf(stderr, "FAIL %s: the fast path and the reference (jansson) parse differ\n",
                case_dir);
        report_difference(reference, rendered);
        free(rendered);
        free(reference);
        return 1;
    }
    free(reference);
    actual = malloc(strlen(rendered) + 2);
    if (!actual) {
        free(rendered);
        return case_failed(case_dir, "out of memory");
    }
    sprintf(actual, "%s\n", rendered);
    free(rendered);

    snprintf(path, sizeof path, "%s/expected", case_dir);
    if (regenerate && strcmp(regenerate, "1") == 0) {
        status = write_file(path, actual);
        if (status == 0)
            printf("wrote %s\n", path);
        free(actual);
        return status == 0 ? 0 : case_failed(case_dir, "cannot write expected");
    }
    expected = read_file(path, &expected_length);
    if (!expected) {
        fprintf(stderr, "FAIL %s: cannot read %s: %s\n", case_dir, path, strerror(errno));
        fprintf(stderr, "=== actual, whole ===\n%s", actual);
        free(actual);
        return 1;
    }
    status = strlen(expected) == expected_length && strcmp(expected, actual) == 0 ? 0 : 1;
    if (status != 0) {
        fprintf(stderr, "FAIL %s: the result differs from %s\n", case_dir, path);
        report_difference(expected, actual);
    }
    free(expected);
    free(actual);
    return status;
}
