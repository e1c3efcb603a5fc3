/*
 * queue_log: the Asterisk queue_log line parser (see queue_log.h for the format, the mapping
 * to lifecycle events and the validation rules). Owns the table of queue events this version
 * understands and the checks of their fields.
 *
 * One pass over the line's bytes (eight at a time on little-endian machines) finds the '|'
 * separators, refuses NUL and '\n', and notes whether any byte is non-ASCII (so UTF-8 is only
 * validated on lines that need it). Then the fields the mapping uses are checked and copied,
 * NUL-terminated, into the caller's scratch: no malloc, no sscanf, no strtol (numbers are
 * short runs of digits). Error messages are ASCII: untrusted bytes are quoted with
 * ccm_error_quote.
 */
#include "queue_log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define FIELDS_KEPT       16 /* the first fields' positions; the last three are kept apart */
#define HEADER_FIELDS     5  /* epoch|callid|queue|agent|event */
#define DATA_FIELDS_NAMED 5  /* the most data fields an event below names */
#define SECONDS_MAX       ((long)(EVENT_HANDLE_MAX_S)) /* a week */
#define MILLISECONDS_MAX  (SECONDS_MAX * 1000L)
#define EPOCH_MAX_SECONDS (EVENT_INSTANT_MAX_US / 1000000) /* 9998-12-31T23:59:59 */
#define FRACTION_DIGITS   6 /* microseconds; further digits are truncated */

struct field {
    const char *text;
    size_t length;
};

/* What an event's data field holds, and how it is checked. */
enum data_kind {
    DATA_TEXT = 0, /* not used: any bytes */
    DATA_CALLER,   /* ENTERQUEUE's callerid: optional string */
    DATA_SECONDS,  /* 0 .. 7 days */
    DATA_MILLISECONDS,
    DATA_POSITION, /* 0 .. QUEUE_LOG_POSITION_MAX */
};

/* What a call event becomes. */
enum event_action {
    ACTION_OFFERED,
    ACTION_ANSWERED,
    ACTION_ENDED_ANSWERED,
    ACTION_ENDED_ABANDONED,
    ACTION_ENDED_TIMEOUT,
    ACTION_RING_NO_ANSWER,
};

struct event_spec {
    const char *name;
    size_t name_length;
    enum event_action action;
    unsigned required; /* data fields that must be there */
    unsigned named;    /* data fields described below (others ignored) */
    const char *data_names[DATA_FIELDS_NAMED];
    enum data_kind data_kinds[DATA_FIELDS_NAMED];
    int calltime_index; /* the data field that is handle_s, or -1 */
    bool trailing;      /* ATTENDEDTRANSFER: the named fields are the LAST `named` ones */
};

#define NAME(text) text, sizeof text - 1

/* clang-format off */
static const struct event_spec event_specs[] = {
    /* name, becomes, required data fields, named data fields, their names and kinds,
     * the index of calltime (handle_s) or -1, trailing */
    {NAME("ENTERQUEUE"), ACTION_OFFERED, 0, 2,
     {"url", "callerid"},
     {DATA_TEXT, DATA_CALLER}, -1, false},
    {NAME("CONNECT"), ACTION_ANSWERED, 2, 3,
     {"holdtime", "bridgedchanneluniqueid", "ringtime"},
     {DATA_SECONDS, DATA_TEXT, DATA_SECONDS}, -1, false},
    {NAME("COMPLETECALLER"), ACTION_ENDED_ANSWERED, 3, 3,
     {"holdtime", "calltime", "origposition"},
     {DATA_SECONDS, DATA_SECONDS, DATA_POSITION}, 1, false},
    {NAME("COMPLETEAGENT"), ACTION_ENDED_ANSWERED, 3, 3,
     {"holdtime", "calltime", "origposition"},
     {DATA_SECONDS, DATA_SECONDS, DATA_POSITION}, 1, false},
    {NAME("BLINDTRANSFER"), ACTION_ENDED_ANSWERED, 5, 5,
     {"extension", "context", "holdtime", "calltime", "origposition"},
     {DATA_TEXT, DATA_TEXT, DATA_SECONDS, DATA_SECONDS, DATA_POSITION}, 3, false},
    /* method|methoddata...|holdtime|calltime|origposition: the last three (queue_log.h) */
    {NAME("ATTENDEDTRANSFER"), ACTION_ENDED_ANSWERED, 4, 3,
     {"holdtime", "calltime", "origposition"},
     {DATA_SECONDS, DATA_SECONDS, DATA_POSITION}, 1, true},
    {NAME("ABANDON"), ACTION_ENDED_ABANDONED, 3, 3,
     {"position", "origposition", "waittime"},
     {DATA_POSITION, DATA_POSITION, DATA_SECONDS}, -1, false},
    {NAME("EXITWITHTIMEOUT"), ACTION_ENDED_TIMEOUT, 3, 3,
     {"position", "origposition", "waittime"},
     {DATA_POSITION, DATA_POSITION, DATA_SECONDS}, -1, false},
    {NAME("EXITEMPTY"), ACTION_ENDED_TIMEOUT, 3, 3,
     {"position", "origposition", "waittime"},
     {DATA_POSITION, DATA_POSITION, DATA_SECONDS}, -1, false},
    /* Asterisk 1.4 wrote key|position only. */
    {NAME("EXITWITHKEY"), ACTION_ENDED_TIMEOUT, 2, 4,
     {"key", "position", "origposition", "waittime"},
     {DATA_TEXT, DATA_POSITION, DATA_POSITION, DATA_SECONDS}, -1, false},
    {NAME("RINGNOANSWER"), ACTION_RING_NO_ANSWER, 1, 1,
     {"ringtime"},
     {DATA_MILLISECONDS}, -1, false},
};
/* clang-format on */
#define EVENT_SPEC_COUNT (sizeof event_specs / sizeof event_specs[0])

/* The split line. */
struct line_fields {
    struct field kept[FIELDS_KEPT]; /* the first min(count, FIELDS_KEPT) fields */
    struct field last[3];           /* the last three fields, in a ring: field i at [i % 3] */
    size_t count;
    bool non_ascii; /* some byte >= 0x80: strings need a UTF-8 check */
};

static const struct queue_log_record empty_record;

/* ---- errors */

static int fail(struct queue_log_record *record, struct ccm_error *error, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct queue_log_record *record, struct ccm_error *error, const char *format, ...)
{
    va_list args;

    memset(record, 0, sizeof *record);
    va_start(args, format);
    ccm_error_setv(error, format, args);
    va_end(args);
    return -1;
}

/* An untrusted field shown in a message (ccm_error_quote: ASCII only, bounded). */
#define QUOTED_SIZE (64 * 4 + 8)

/* ---- UTF-8 */

/* Checks `field` is UTF-8 and counts its characters; returns the offset of the first bad byte,
 * or -1. Without non-ASCII bytes in the line, characters are bytes. */
static long utf8_check(const struct field *field, bool non_ascii, size_t *chars_out)
{
    const unsigned char *bytes = (const unsigned char *)field->text;
    size_t i = 0, chars = 0;

    if (!non_ascii) {
        *chars_out = field->length;
        return -1;
    }
    while (i < field->length) {
        size_t n = bytes[i] < 0x80 ? 1 : utf8_sequence_length(bytes + i, field->length - i);
        if (n == 0)
            return (long)i;
        i += n;
        chars++;
    }
    *chars_out = chars;
    return -1;
}

/* The first control character (C0, DEL or C1) in valid UTF-8 text, or -1. */
static long first_control(const struct field *field)
{
    const unsigned char *bytes = (const unsigned char *)field->text;
    for (size_t i = 0; i < field->length; i++) {
        if (bytes[i] < 0x20 || bytes[i] == 0x7F)
            return bytes[i];
        if (bytes[i] == 0xC2 && i + 1 < field->length && bytes[i + 1] >= 0x80 &&
            bytes[i + 1] <= 0x9F)
            return bytes[i + 1];
    }
    return -1;
}

/* A string field: valid UTF-8, at most `max_chars` characters, and (when `printable`) no
 * control characters. `event` (NULL for none) starts the message. */
static int check_text(const struct line_fields *fields, const struct field *field, size_t number,
                      const char *event, const char *name, size_t max_chars, bool printable,
                      size_t *chars_out, struct queue_log_record *record, struct ccm_error *error)
{
    size_t chars = 0;
    long bad = utf8_check(field, fields->non_ascii, &chars), control;

    if (bad >= 0)
        return fail(record, error,
                    "%s%s%s (field %zu) is not valid UTF-8 (byte 0x%02x at byte %ld of the field)",
                    event ? event : "", event ? ": " : "", name, number,
                    (unsigned char)field->text[bad], bad + 1);
    if (chars > max_chars)
        return fail(record, error, "%s%s%s (field %zu) is %zu characters long; the limit is %zu",
                    event ? event : "", event ? ": " : "", name, number, chars, max_chars);
    if (printable && (control = first_control(field)) >= 0)
        return fail(record, error,
                    "%s%s%s (field %zu) contains a control character (U+%04lX); it must be "
                    "printable text",
                    event ? event : "", event ? ": " : "", name, number, (unsigned long)control);
    if (chars_out)
        *chars_out = chars;
    return 0;
}

/* ---- numbers */

enum number_status {
    NUMBER_OK,
    NUMBER_EMPTY,
    NUMBER_NOT_DIGITS,
    NUMBER_NEGATIVE,
    NUMBER_TOO_LARGE,
};

/* A non-negative decimal integer of digits only, at most `max`. */
static enum number_status parse_count(const struct field *field, long max, long *value_out)
{
    const char *text = field->text;
    size_t length = field->length, i = 0;
    long long value = 0;
    bool negative = false;

    if (length == 0)
        return NUMBER_EMPTY;
    if (text[0] == '-' && length > 1) {
        negative = true;
        i = 1;
    }
    for (size_t k = i; k < length; k++)
        if (text[k] < '0' || text[k] > '9')
            return NUMBER_NOT_DIGITS;
    if (negative) {
        for (size_t k = i; k < length; k++)
            if (text[k] != '0')
                return NUMBER_NEGATIVE;
        *value_out = 0; /* "-0" */
        return NUMBER_OK;
    }
    for (; i < length; i++) {
        value = value * 10 + (text[i] - '0');
        if (value > max)
            return NUMBER_TOO_LARGE;
    }
    *value_out = (long)value;
    return NUMBER_OK;
}

/* A numeric data field, checked as `kind`. */
static int check_number(const struct field *field, size_t number, const char *event,
                        const char *name, enum data_kind kind, long *value_out,
                        struct queue_log_record *record, struct ccm_error *error)
{
    char quoted[QUOTED_SIZE];
    enum number_status status;
    const char *what;
    long max;

    switch (kind) {
    case DATA_SECONDS:
        what = "a whole number of seconds", max = SECONDS_MAX;
        break;
    case DATA_MILLISECONDS:
        what = "a whole number of milliseconds", max = MILLISECONDS_MAX;
        break;
    default:
        what = "a whole number", max = QUEUE_LOG_POSITION_MAX;
        break;
    }
    status = parse_count(field, max, value_out);
    if (status == NUMBER_OK)
        return 0;
    ccm_error_quote(field->text, field->length, quoted, sizeof quoted);
    switch (status) {
    case NUMBER_OK:
        break;
    case NUMBER_EMPTY:
        return fail(record, error, "%s: %s (field %zu) is empty; it must be %s", event, name,
                    number, what);
    case NUMBER_NOT_DIGITS:
        return fail(record, error, "%s: %s (field %zu) \"%s\" is not %s", event, name, number,
                    quoted, what);
    case NUMBER_NEGATIVE:
        return fail(record, error, "%s: %s (field %zu) \"%s\" is negative; it must be 0 or more",
                    event, name, number, quoted);
    case NUMBER_TOO_LARGE:
        break;
    }
    if (kind == DATA_POSITION)
        return fail(record, error, "%s: %s (field %zu) \"%s\" is more than the limit of %ld", event,
                    name, number, quoted, max);
    return fail(record, error,
                "%s: %s (field %zu) \"%s\" is more than the limit of %ld %s (7 days)", event, name,
                number, quoted, max, kind == DATA_SECONDS ? "seconds" : "milliseconds");
}

/* The epoch: digits, optionally '.' and digits (microseconds; further digits truncated). */
static int parse_epoch(const struct field *field, int64_t *at_us_out,
                       struct queue_log_record *record, struct ccm_error *error)
{
    const char *text = field->text, *problem = NULL;
    size_t length = field->length, i = 0, digits;
    int64_t seconds = 0, micros = 0;
    char quoted[QUOTED_SIZE];

    if (length == 0)
        return fail(record, error, "epoch (field 1) is empty; it must be a Unix time in seconds");
    for (; i < length && text[i] >= '0' && text[i] <= '9'; i++)
        if (seconds <= EPOCH_MAX_SECONDS) /* past it, stop counting: no overflow */
            seconds = seconds * 10 + (text[i] - '0');
    digits = i;
    if (i < length && text[i] == '.') {
        size_t fraction_start = ++i;
        for (; i < length && text[i] >= '0' && text[i] <= '9'; i++)
            if (i - fraction_start < FRACTION_DIGITS)
                micros = micros * 10 + (text[i] - '0');
        for (size_t k = i - fraction_start; k < FRACTION_DIGITS; k++)
            micros *= 10;
        if (i == fraction_start)
            digits = 0; /* "1700000000." */
    }
    if (text[0] == '-' && length > 1 && text[1] >= '0' && text[1] <= '9')
        problem = "is negative; it must be in the years 1970 to 9998";
    else if (digits == 0 || i != length)
        problem = "is not a Unix time (seconds since 1970, such as 1700000000 or "
                  "1700000000.123456)";
    else if (seconds > EPOCH_MAX_SECONDS)
        problem = "is outside the years 1970 to 9998 (in UTC)";
    if (problem) {
        ccm_error_quote(text, length, quoted, sizeof quoted);
        return fail(record, error, "epoch (field 1) \"%s\" %s", quoted, problem);
    }
    *at_us_out = seconds * 1000000 + micros;
    return 0;
}

/* ---- splitting */

/* 1: the separator '|', 2: a byte no line may hold (NUL, '\n'), 0: anything else. */
static const unsigned char byte_class[256] = {[0] = 2, ['\n'] = 2, ['|'] = 1};

static void add_field(struct line_fields *fields, const char *text, size_t length)
{
    struct field field = {text, length};
    if (fields->count < FIELDS_KEPT)
        fields->kept[fields->count] = field;
    fields->last[fields->count % 3] = field;
    fields->count++;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SPLIT_BY_WORDS 1
#define BYTES_ONES     UINT64_C(0x0101010101010101)
#define BYTES_LOWS     UINT64_C(0x7F7F7F7F7F7F7F7F)

/* 0x80 in exactly the bytes of `word` that are zero (no carries between bytes). */
static inline uint64_t zero_bytes(uint64_t word)
{
    return ~(((word & BYTES_LOWS) + BYTES_LOWS) | word | BYTES_LOWS);
}
#endif

/* Splits the line into fields, in one pass (eight bytes at a time where it can). Returns the
 * offset of a NUL or '\n', or -1. */
static long split_line(const char *line, size_t length, struct line_fields *fields)
{
    const unsigned char *bytes = (const unsigned char *)line;
    size_t start = 0, i = 0;
    uint64_t all = 0; /* every byte OR-ed: some bit 7 set when one is non-ASCII */

    fields->count = 0;
#ifdef SPLIT_BY_WORDS
    for (; i + 8 <= length; i += 8) {
        uint64_t word, bad, bars;
        memcpy(&word, bytes + i, 8);
        all |= word;
        bad = zero_bytes(word) | zero_bytes(word ^ (BYTES_ONES * '\n'));
        if (bad)
            return (long)(i + (size_t)__builtin_ctzll(bad) / 8);
        for (bars = zero_bytes(word ^ (BYTES_ONES * '|')); bars; bars &= bars - 1) {
            size_t at = i + (size_t)__builtin_ctzll(bars) / 8;
            add_field(fields, line + start, at - start);
            start = at + 1;
        }
    }
#endif
    for (; i < length; i++) {
        unsigned char byte = bytes[i];
        all |= byte;
        if (byte_class[byte] == 0)
            continue;
        if (byte_class[byte] == 2)
            return (long)i;
        add_field(fields, line + start, i - start);
        start = i + 1;
    }
    add_field(fields, line + start, length - start);
    fields->non_ascii = (all & UINT64_C(0x8080808080808080)) != 0;
    return -1;
}

/* ---- the record */

static const struct event_spec *find_event(const struct field *name)
{
    for (size_t i = 0; i < EVENT_SPEC_COUNT; i++)
        if (event_specs[i].name_length == name->length &&
            memcmp(event_specs[i].name, name->text, name->length) == 0)
            return &event_specs[i];
    return NULL;
}

static bool field_is(const struct field *field, const char *text, size_t length)
{
    return field->length == length && memcmp(field->text, text, length) == 0;
}

/* Copies a field into the scratch, NUL-terminated; returns the copy. */
static char *copy_field(char **cursor, const struct field *field)
{
    char *copy = *cursor;
    memcpy(copy, field->text, field->length);
    copy[field->length] = '\0';
    *cursor += field->length + 1;
    return copy;
}

const char *queue_log_kind_name(enum queue_log_kind kind)
{
    switch (kind) {
    case QUEUE_LOG_LIFECYCLE:
        return "lifecycle";
    case QUEUE_LOG_RING_NO_ANSWER:
        return "ring_no_answer";
    case QUEUE_LOG_OTHER:
        return "other";
    }
    return NULL;
}

/* The event's data field `index` (0-based) among its named ones; for a `trailing` event they
 * are the line's last `named` fields. Sets *number to its 1-based field number. */
static const struct field *data_field(const struct line_fields *fields,
                                      const struct event_spec *spec, unsigned index, size_t *number)
{
    size_t position = spec->trailing ? fields->count - spec->named + index : HEADER_FIELDS + index;

    *number = position + 1;
    if (position < FIELDS_KEPT)
        return &fields->kept[position];
    return &fields->last[position % 3]; /* only the last three are ever asked for beyond that */
}

/* The call event's fields: header strings, then the data; fills record. */
static int parse_call_event(const struct line_fields *fields, const struct event_spec *spec,
                            char *scratch, struct queue_log_record *record, struct ccm_error *error)
{
    const struct field *callid = &fields->kept[1], *queue = &fields->kept[2];
    const struct field *agent = &fields->kept[3], *caller = NULL;
    size_t data_count = fields->count - HEADER_FIELDS, callid_chars, queue_chars, number;
    char *cursor = scratch, *id;
    double handle_s = 0;
    bool has_handle = false;
    long ring_ms = 0;

    if (data_count < spec->required) {
        char names[128] = "";
        if (spec->trailing)
            snprintf(names, sizeof names, "method|...|holdtime|calltime|origposition");
        else
            for (unsigned i = 0; i < spec->required; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "|" : "",
                         spec->data_names[i]);
        return fail(record, error,
                    "%s: too few fields: it needs %s%u data field%s after the event (%s); the "
                    "line has %zu",
                    spec->name, spec->trailing ? "at least " : "", spec->required,
                    spec->required == 1 ? "" : "s", names, data_count);
    }
    if (callid->length == 0)
        return fail(record, error, "%s: callid (field 2) is empty", spec->name);
    if (queue->length == 0)
        return fail(record, error, "%s: queue (field 3) is empty", spec->name);
    if (check_text(fields, callid, 2, spec->name, "callid", EVENT_ID_MAX_CHARS, false,
                   &callid_chars, record, error) != 0 ||
        check_text(fields, queue, 3, spec->name, "queue", EVENT_QUEUE_MAX_CHARS, true, &queue_chars,
                   record, error) != 0)
        return -1;
    if (callid_chars + 1 + queue_chars > EVENT_ID_MAX_CHARS)
        return fail(record, error,
                    "%s: the contact id callid@queue (fields 2 and 3) would be %zu characters "
                    "long; the limit is %d",
                    spec->name, callid_chars + 1 + queue_chars, EVENT_ID_MAX_CHARS);
    if (agent->length == 0 || field_is(agent, "NONE", 4))
        agent = NULL;
    else if (check_text(fields, agent, 4, spec->name, "agent", EVENT_AGENT_MAX_CHARS, false, NULL,
                        record, error) != 0)
        return -1;

    for (unsigned i = 0; i < spec->named && (spec->trailing || i < data_count); i++) {
        const struct field *field = data_field(fields, spec, i, &number);
        long value = 0;

        switch (spec->data_kinds[i]) {
        case DATA_TEXT:
            break;
        case DATA_CALLER:
            if (field->length == 0)
                break;
            if (check_text(fields, field, number, spec->name, spec->data_names[i],
                           EVENT_CALLER_MAX_CHARS, false, NULL, record, error) != 0)
                return -1;
            caller = field;
            break;
        case DATA_SECONDS:
        case DATA_MILLISECONDS:
        case DATA_POSITION:
            if (check_number(field, number, spec->name, spec->data_names[i], spec->data_kinds[i],
                             &value, record, error) != 0)
                return -1;
            if ((int)i == spec->calltime_index) {
                handle_s = (double)value;
                has_handle = true;
            }
            if (spec->data_kinds[i] == DATA_MILLISECONDS)
                ring_ms = value;
            break;
        }
    }

    /* "<callid>@<queue>\0": the queue is the id's tail, so it is copied once. */
    id = cursor;
    memcpy(cursor, callid->text, callid->length);
    cursor += callid->length;
    *cursor++ = '@';
    record->queue = copy_field(&cursor, queue);
    record->id = id;
    record->agent = agent ? copy_field(&cursor, agent) : NULL;
    record->event_name = spec->name;
    if (spec->action == ACTION_RING_NO_ANSWER) {
        record->kind = QUEUE_LOG_RING_NO_ANSWER;
        record->ring_ms = ring_ms;
        return 0;
    }
    record->kind = QUEUE_LOG_LIFECYCLE;
    record->event.id = id;
    record->event.at_us = record->at_us;
    record->event.channel = EVENT_CHANNEL_PHONE;
    record->event.first_contact_resolved = EVENT_RESOLUTION_UNKNOWN;
    switch (spec->action) {
    case ACTION_OFFERED:
        record->event.type = EVENT_TYPE_CALL_OFFERED;
        record->event.queue = record->queue;
        record->event.caller = caller ? copy_field(&cursor, caller) : NULL;
        break;
    case ACTION_ANSWERED:
        record->event.type = EVENT_TYPE_CALL_ANSWERED;
        record->event.agent = record->agent;
        break;
    case ACTION_ENDED_ANSWERED:
    case ACTION_ENDED_ABANDONED:
    case ACTION_ENDED_TIMEOUT:
        record->event.type = EVENT_TYPE_CALL_ENDED;
        record->event.outcome = spec->action == ACTION_ENDED_ANSWERED    ? EVENT_OUTCOME_ANSWERED
                                : spec->action == ACTION_ENDED_ABANDONED ? EVENT_OUTCOME_ABANDONED
                                                                         : EVENT_OUTCOME_TIMEOUT;
        record->event.has_handle = has_handle;
        record->event.handle_s = handle_s;
        break;
    case ACTION_RING_NO_ANSWER:
        break; /* returned above */
    }
    return 0;
}

int queue_log_parse_line(const char *line, size_t length, char *scratch, size_t scratch_size,
                         struct queue_log_record *record, struct ccm_error *error)
{
    struct line_fields fields;
    const struct event_spec *spec;
    const struct field *event;
    long bad;
    int64_t at_us = 0;

    *record = empty_record; /* a copy, not memset: cheaper for a struct this size */
    ccm_error_clear(error);
    if (!line || !scratch)
        return fail(record, error, "queue_log_parse_line needs a line and a scratch buffer");
    if (length > (size_t)-1 - 64 || scratch_size < QUEUE_LOG_SCRATCH_SIZE(length))
        return fail(record, error,
                    "the scratch buffer (%zu bytes) is smaller than the %zu bytes a line of %zu "
                    "bytes needs",
                    scratch_size, QUEUE_LOG_SCRATCH_SIZE(length), length);
    if (length > 0 && line[length - 1] == '\r')
        length--;
    if (length == 0)
        return fail(record, error, "the line is empty");
    bad = split_line(line, length, &fields);
    if (bad >= 0)
        return fail(record, error, "the line contains a %s byte at column %ld",
                    line[bad] == '\0' ? "NUL" : "line feed ('\\n')", bad + 1);
    if (fields.count < HEADER_FIELDS)
        return fail(record, error,
                    "the line has %zu field%s; a queue_log line has at least %d: "
                    "epoch|callid|queue|agent|event",
                    fields.count, fields.count == 1 ? "" : "s", HEADER_FIELDS);
    if (parse_epoch(&fields.kept[0], &at_us, record, error) != 0)
        return -1;
    event = &fields.kept[4];
    if (event->length == 0)
        return fail(record, error, "event (field 5) is empty");
    if (check_text(&fields, event, 5, NULL, "event", QUEUE_LOG_EVENT_MAX_CHARS, true, NULL, record,
                   error) != 0)
        return -1;
    record->at_us = at_us;
    spec = find_event(event);
    if (spec && !field_is(&fields.kept[1], "NONE", 4))
        return parse_call_event(&fields, spec, scratch, record, error);
    record->kind = QUEUE_LOG_OTHER;
    if (spec) {
        record->event_name = spec->name;
    } else {
        char *cursor = scratch;
        record->event_name = copy_field(&cursor, event);
    }
    return 0;
}
