/*
 * case_runner: the plumbing shared by the data-driven case runners (tests/<suite>_case.c):
 * reading and writing case files, building a rendering with jansson, and the last step of
 * every case (write CASE_DIR/expected under CCM_REGENERATE=1, else compare with it and report
 * the first difference). It lives here once so that every suite fails, regenerates and reports
 * in the same words; each runner keeps only its own parsing, checks and rendering.
 */
#ifndef CCM_CASE_RUNNER_H
#define CCM_CASE_RUNNER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Prints "FAIL CASE_DIR: WHAT" on stderr; returns 1, the exit status of a failed case. */
int case_runner_fail(const char *case_dir, const char *what);

/* Reads a whole file, NUL-terminated; NULL with errno set when it cannot. */
char *case_runner_read_file(const char *path, size_t *length_out);

/* Writes `text` as the whole file; 0, or -1 when it cannot. */
int case_runner_write_file(const char *path, const char *text);

/* The first step of a case, from main's arguments (usage: PROGRAM CASE_DIR): sets *case_dir and
 * reads CASE_DIR/input into *input (NUL-terminated, the caller's to free) and *input_length.
 * Returns 0, or after printing the failure the exit status of the case: 2 for a wrong usage, 1
 * when the input cannot be read. */
int case_runner_start(int argc, char **argv, const char **case_dir, char **input,
                      size_t *input_length);

/* Prints where two texts first differ, then the actual text whole. */
void case_runner_report_difference(const char *expected, const char *actual);

/* Sets `key` to `value` (a new reference); 0, or -1 when jansson refused the value (NULL: e.g.
 * a string that is not UTF-8). */
int case_runner_set_value(json_t *object, const char *key, json_t *value);

/* Sets `key` to the instant as UTC RFC 3339 text; 0 or -1 as case_runner_set_value. */
int case_runner_set_instant(json_t *object, const char *key, int64_t instant_us);

struct event_contact;
/* Sets the keys of a contact (lib/event's shape, which lib/connect_ctr fills too), the
 * optional ones only when known; 0, or -1 when a string is not UTF-8. */
int case_runner_set_contact(json_t *object, const struct event_contact *contact);

/* An item error of lib/event's shape as {"index"?, "line"?, "field", "message"} (index and
 * line omitted when -1), or NULL when a string is not UTF-8. */
struct event_item_error;
json_t *case_runner_render_error(const struct event_item_error *error);

/* The last step of a case, given its whole rendering: with CCM_REGENERATE=1 writes it to
 * CASE_DIR/expected (printing "wrote PATH"), otherwise compares it byte for byte with
 * CASE_DIR/expected and reports any difference. Returns the exit status of the case (0 or 1).
 * `actual` stays the caller's. */
int case_runner_finish(const char *case_dir, const char *actual);

#endif
