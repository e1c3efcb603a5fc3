/*
 * fuzz_queue_log: libFuzzer target for the Asterisk queue_log line parser (lib/queue_log.c),
 * which reads files other programs write. The input is parsed whole as one line (so '\n' and
 * NUL are seen inside a line) and line by line; each parse uses an exact-size copy and an
 * exact-size scratch, so AddressSanitizer sees any overrun. The record's promises are checked
 * (strings UTF-8, bounded, NUL-terminated inside the scratch; id is "<callid>@<queue>" made
 * of the line's own fields 2 and 3; the event name is field 5; times and numbers in range; a
 * failure has a message a JSON answer can carry and a zeroed record), and a line must parse
 * the same with and without a trailing '\r'.
 *
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Ilib lib/ccm_error.c \
 *       lib/calendar.c lib/utf8.c lib/arena.c lib/event.c lib/queue_log.c
 * tests/fuzz/fuzz_queue_log.c -ljansson \ -o /tmp/fuzz_ql /tmp/fuzz_ql -max_total_time=60
 * CORPUS_COPY   (a copy of tests/fuzz/corpus/queue_log)
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_log.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* NULL, or a NUL-terminated string inside the scratch. */
static void check_in_scratch(const char *text, const char *scratch, size_t size, const char *what)
{
    if (!text)
        return;
    check(text >= scratch && text < scratch + size, what);
    check(memchr(text, '\0', (size_t)(scratch + size - text)) != NULL, what);
}

/* Field `index` (0-based) of the line, found independently of the parser. */
static int nth_field(const char *line, size_t length, unsigned index, const char **text,
                     size_t *field_length)
{
    const char *cursor = line, *end = line + length;
    for (unsigned i = 0; i < index; i++) {
        const char *bar = memchr(cursor, '|', (size_t)(end - cursor));
        if (!bar)
            return -1;
        cursor = bar + 1;
    }
    {
        const char *bar = memchr(cursor, '|', (size_t)(end - cursor));
        *text = cursor;
        *field_length = (size_t)((bar ? bar : end) - cursor);
    }
    return 0;
}

static int equals_field(const char *line, size_t length, unsigned index, const char *text,
                        size_t text_length)
{
    const char *field;
    size_t field_length;
    return nth_field(line, length, index, &field, &field_length) == 0 &&
           field_length == text_length && memcmp(field, text, text_length) == 0;
}

static void check_record(const struct queue_log_record *record, const char *line, size_t length,
                         const char *scratch, size_t scratch_size)
{
    const struct event_lifecycle *event = &record->event;
    size_t id_length, queue_length;

    if (length > 0 && line[length - 1] == '\r')
        length--;
    check(queue_log_kind_name(record->kind) != NULL, "kind is in the enum");
    check_text(record->event_name, QUEUE_LOG_EVENT_MAX_CHARS, "event_name UTF-8, bounded");
    check(record->event_name[0] != '\0', "event_name not empty");
    check(equals_field(line, length, 4, record->event_name, strlen(record->event_name)),
          "event_name is field 5");
    check(record->at_us >= EVENT_INSTANT_MIN_US && record->at_us <= EVENT_INSTANT_MAX_US,
          "at_us within 1970..9998");
    check_in_scratch(record->id, scratch, scratch_size, "id in the scratch");
    check_in_scratch(record->queue, scratch, scratch_size, "queue in the scratch");
    check_in_scratch(record->agent, scratch, scratch_size, "agent in the scratch");
    check_in_scratch(event->caller, scratch, scratch_size, "caller in the scratch");
    if (record->kind == QUEUE_LOG_OTHER) {
        check(!record->id && !record->queue && !record->agent && record->ring_ms == 0,
              "other has no call fields");
        check(event->type == EVENT_TYPE_CALL && !event->id, "other has no lifecycle event");
        return;
    }
    check_text(record->id, EVENT_ID_MAX_CHARS, "id UTF-8, within its limit");
    check_text(record->queue, EVENT_QUEUE_MAX_CHARS, "queue UTF-8, within its limit");
    for (const unsigned char *p = (const unsigned char *)record->queue; *p; p++)
        check(*p >= 0x20 && *p != 0x7F && !(p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F),
              "queue has no control character");
    id_length = strlen(record->id);
    queue_length = strlen(record->queue);
    check(queue_length > 0 && id_length >= queue_length + 2, "id and queue not empty");
    check(record->queue == record->id + id_length - queue_length && record->queue[-1] == '@',
          "id ends with @queue");
    check(equals_field(line, length, 2, record->queue, queue_length), "queue is field 3");
    check(equals_field(line, length, 1, record->id, id_length - queue_length - 1),
          "id starts with field 2");
    check(!equals_field(line, length, 1, "NONE", 4), "callid NONE is a system event");
    if (record->agent) {
        check_text(record->agent, EVENT_AGENT_MAX_CHARS, "agent UTF-8, within its limit");
        check(record->agent[0] && strcmp(record->agent, "NONE") != 0, "agent not empty or NONE");
        check(equals_field(line, length, 3, record->agent, strlen(record->agent)),
              "agent is field 4");
    }
    if (record->kind == QUEUE_LOG_RING_NO_ANSWER) {
        check(strcmp(record->event_name, "RINGNOANSWER") == 0, "ring-no-answer from RINGNOANSWER");
        check(record->ring_ms >= 0 && record->ring_ms <= 604800000L, "ring_ms within 0..7 days");
        check(event->type == EVENT_TYPE_CALL && !event->id, "ring-no-answer has no event");
        return;
    }
    check(record->ring_ms == 0, "lifecycle has no ring_ms");
    check(event->id == record->id && event->at_us == record->at_us, "event id and at");
    check(event->channel == EVENT_CHANNEL_PHONE, "channel phone");
    check(event->first_contact_resolved == EVENT_RESOLUTION_UNKNOWN, "resolution unknown");
    switch (event->type) {
    case EVENT_TYPE_CALL_OFFERED:
        check(strcmp(record->event_name, "ENTERQUEUE") == 0, "offered from ENTERQUEUE");
        check(event->queue == record->queue, "offered carries the queue");
        check(!event->agent && !event->outcome && !event->has_handle, "offered fields only");
        if (event->caller) {
            check_text(event->caller, EVENT_CALLER_MAX_CHARS, "caller UTF-8, within its limit");
            check(event->caller[0] != '\0', "caller not empty");
        }
        break;
    case EVENT_TYPE_CALL_ANSWERED:
        check(strcmp(record->event_name, "CONNECT") == 0, "answered from CONNECT");
        check(event->agent == record->agent, "answered carries the agent");
        check(!event->queue && !event->caller && !event->outcome && !event->has_handle,
              "answered fields only");
        break;
    case EVENT_TYPE_CALL_ENDED:
        check(event_outcome_name(event->outcome) != NULL && event->outcome != EVENT_OUTCOME_REFUSED,
              "ended has answered, abandoned or timeout");
        check(!event->queue && !event->caller && !event->agent, "ended fields only");
        check(event->has_handle == (event->outcome == EVENT_OUTCOME_ANSWERED),
              "handle exactly when answered");
        if (event->has_handle)
            check(event->handle_s >= 0 && event->handle_s <= (EVENT_HANDLE_MAX_S),
                  "handle_s within 0..7 days");
        break;
    default:
        check(0, "lifecycle has a lifecycle type");
    }
}

/* A line with a NUL or '\n' (before any trailing '\r') fails, naming the first one's column;
 * found here byte by byte, independently of the parser's word-at-a-time scan. */
static void check_forbidden_bytes(const char *line, size_t length, int result, const char *message)
{
    char expected[128];

    if (length > 0 && line[length - 1] == '\r')
        length--;
    for (size_t i = 0; i < length; i++) {
        if (line[i] == '\0' || line[i] == '\n') {
            snprintf(expected, sizeof expected, "the line contains a %s byte at column %zu",
                     line[i] == '\0' ? "NUL" : "line feed ('\\n')", i + 1);
            check(result == -1 && strcmp(message, expected) == 0,
                  "the first NUL or line feed is reported at its column");
            return;
        }
    }
    check(result == 0 || strncmp(message, "the line contains a", 19) != 0,
          "no NUL or line feed reported where there is none");
}

/* Parses `length` bytes at `line` from exact-size copies, checks the outcome, and writes a
 * rendering of it (record or message) to `signature` for the caller to compare. */
static int parse_and_check(const char *line, size_t length, char *signature, size_t signature_size)
{
    size_t scratch_size = QUEUE_LOG_SCRATCH_SIZE(length);
    char *copy = malloc(length ? length : 1), *scratch = malloc(scratch_size);
    struct queue_log_record record;
    struct ccm_error error;
    int result;

    check(copy && scratch, "memory");
    memcpy(copy, line, length);
    memset(&error, 'x', sizeof error);
    result = queue_log_parse_line(copy, length, scratch, scratch_size, &record, &error);
    check(result == 0 || result == -1, "returns 0 or -1");
    check_forbidden_bytes(copy, length, result, error.message);
    if (result == 0) {
        check(error.message[0] == '\0', "success clears the error");
        check_record(&record, copy, length, scratch, scratch_size);
        snprintf(signature, signature_size, "%d|%s|%lld|%s|%s|%s|%d|%d|%s|%d|%.17g|%ld",
                 record.kind, record.event_name, (long long)record.at_us,
                 record.id ? record.id : "-", record.agent ? record.agent : "-",
                 record.event.caller ? record.event.caller : "-", record.event.type,
                 record.event.outcome, record.event.queue ? record.event.queue : "-",
                 record.event.has_handle, record.event.handle_s, record.ring_ms);
    } else {
        static const struct queue_log_record zero;
        check(memchr(error.message, '\0', sizeof error.message) != NULL, "message terminated");
        check(error.message[0] != '\0', "failure has a message");
        check_text(error.message, sizeof error.message, "message is UTF-8");
        check(memcmp(&record, &zero, sizeof record) == 0, "failure zeroes the record");
        snprintf(signature, signature_size, "error|%s", error.message);
    }
    free(copy);
    free(scratch);
    return result;
}

/* A line parses the same with one more trailing '\r' (when it has none already). */
static void parse_line(const char *line, size_t length)
{
    static char first[2048], second[2048];
    char *with_cr;

    parse_and_check(line, length, first, sizeof first);
    if (length > 0 && line[length - 1] == '\r')
        return;
    with_cr = malloc(length + 1);
    check(with_cr != NULL, "memory");
    memcpy(with_cr, line, length);
    with_cr[length] = '\r';
    parse_and_check(with_cr, length + 1, second, sizeof second);
    free(with_cr);
    /* Messages may quote the scratch-size figures, which differ by one byte. */
    if (strncmp(first, "error|the scratch", 17) != 0)
        check(strcmp(first, second) == 0, "a trailing '\\r' changes nothing");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *cursor = text, *end = text + size;
    char signature[2048];

    parse_and_check(text, size, signature, sizeof signature);
    while (cursor < end) {
        const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        const char *line_end = newline ? newline : end;
        parse_line(cursor, (size_t)(line_end - cursor));
        cursor = newline ? newline + 1 : end;
    }
    return 0;
}
