/*
 * case_runner: file I/O, jansson setters and the regenerate-or-compare step shared by the
 * data-driven case runners (tests/<suite>_case.c), kept in one place so that every suite
 * reads, writes, fails and reports a difference the same way.
 */
#include "case_runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "event.h"

int case_runner_fail(const char *case_dir, const char *what)
{
    fprintf(stderr, "FAIL %s: %s\n", case_dir, what);
    return 1;
}

char *case_runner_read_file(const char *path, size_t *length_out)
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

int case_runner_write_file(const char *path, const char *text)
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

int case_runner_start(int argc, char **argv, const char **case_dir, char **input,
                      size_t *input_length)
{
    char path[4096];

    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE_DIR\n", argv[0]);
        return 2;
    }
    *case_dir = argv[1];
    snprintf(path, sizeof path, "%s/input", *case_dir);
    *input = case_runner_read_file(path, input_length);
    if (!*input) {
        fprintf(stderr, "FAIL %s: cannot read %s: %s\n", *case_dir, path, strerror(errno));
        return 1;
    }
    return 0;
}

void case_runner_report_difference(const char *expected, const char *actual)
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

int case_runner_set_value(json_t *object, const char *key, json_t *value)
{
    if (!value)
        return -1;
    return json_object_set_new(object, key, value);
}

int case_runner_set_instant(json_t *object, const char *key, int64_t instant_us)
{
    char text[32];
    calendar_format_rfc3339_utc(instant_us, text);
    return case_runner_set_value(object, key, json_string(text));
}

int case_runner_set_contact(json_t *object, const struct event_contact *contact)
{
    int failed = 0;

    failed |= case_runner_set_value(object, "id", contact->id ? json_string(contact->id) : NULL);
    failed |=
        case_runner_set_value(object, "queue", contact->queue ? json_string(contact->queue) : NULL);
    failed |=
        case_runner_set_value(object, "channel", json_string(event_channel_name(contact->channel)));
    failed |=
        case_runner_set_value(object, "outcome", json_string(event_outcome_name(contact->outcome)));
    failed |= case_runner_set_instant(object, "offered_at", contact->offered_us);
    if (contact->has_answered)
        failed |= case_runner_set_instant(object, "answered_at", contact->answered_us);
    if (contact->has_ended)
        failed |= case_runner_set_instant(object, "ended_at", contact->ended_us);
    if (contact->has_handle)
        failed |= case_runner_set_value(object, "handle_s", json_real(contact->handle_s));
    if (contact->first_contact_resolved != EVENT_RESOLUTION_UNKNOWN)
        failed |= case_runner_set_value(
            object, "first_contact_resolved",
            json_boolean(contact->first_contact_resolved == EVENT_RESOLUTION_YES));
    if (contact->caller)
        failed |= case_runner_set_value(object, "caller", json_string(contact->caller));
    if (contact->reason)
        failed |= case_runner_set_value(object, "reason", json_string(contact->reason));
    if (contact->agent)
        failed |= case_runner_set_value(object, "agent", json_string(contact->agent));
    return failed;
}

int case_runner_finish(const char *case_dir, const char *actual)
{
    char path[4096];
    const char *regenerate = getenv("CCM_REGENERATE");
    char *expected;
    size_t expected_length;
    int status;

    snprintf(path, sizeof path, "%s/expected", case_dir);
    if (regenerate && strcmp(regenerate, "1") == 0) {
        if (case_runner_write_file(path, actual) != 0)
            return case_runner_fail(case_dir, "cannot write expected");
        printf("wrote %s\n", path);
        return 0;
    }
    expected = case_runner_read_file(path, &expected_length);
    if (!expected) {
        fprintf(stderr, "FAIL %s: cannot read %s: %s\n", case_dir, path, strerror(errno));
        fprintf(stderr, "=== actual, whole ===\n%s", actual);
        return 1;
    }
    status = strlen(expected) == expected_length && strcmp(expected, actual) == 0 ? 0 : 1;
    if (status != 0) {
        fprintf(stderr, "FAIL %s: the result differs from %s\n", case_dir, path);
        case_runner_report_difference(expected, actual);
    }
    free(expected);
    return status;
}

json_t *case_runner_render_error(const struct event_item_error *error)
{
    json_t *object = json_object();
    int failed = 0;

    if (error->index != -1)
        failed |= case_runner_set_value(object, "index", json_integer(error->index));
    if (error->line != -1)
        failed |= case_runner_set_value(object, "line", json_integer(error->line));
    failed |= case_runner_set_value(object, "field", json_string(error->field));
    failed |= case_runner_set_value(object, "message", json_string(error->message));
    if (failed) {
        json_decref(object);
        return NULL;
    }
    return object;
}
