/*
 * event: the ingest body parser and validator (POST /v1/events). Owns the step
 * from request bytes to validated struct event_contact records or per-item
 * errors, and the batch's string arena.
 *
 * jansson does the JSON syntax (flat machine-written records take a fast path
 * that gives the same answers, see below). This file splits the body into items (array
 * elements or NDJSON lines) and parses them one at a time, freeing each item's
 * tree before the next, so memory stays proportional to the body; it checks
 * every field and cross-field rule of the API contract and copies the strings
 * of valid items into the arena (a list of growing blocks, never a malloc per
 * string).
 *
 * Error reporting: one entry per bad item (the API's `details` are one per bad
 * item), naming the first bad field; other bad fields of the same item are
 * listed at the end of its message. A body that is not JSON, is empty, has a
 * syntax error or too many items is one body-level error and nothing else.
 */
#include "event.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "calendar.h"
#include "item_problems.h"
#include "utf8.h"

/* Integers are read as reals: handle_s is a double anyway, and a huge integer in a
 * field this version ignores must not make the whole body fail. */
#define EVENT_LOAD_FLAGS (JSON_DECODE_INT_AS_REAL)

#define QUOTED_VALUE_MAX_CHARS 40 /* of a bad value shown in a message */

static const char *const channel_names[EVENT_CHANNEL_COUNT] = {
    "phone", "face_to_face", "webchat", "email", "social", "webform",
};

static const char *const outcome_names[] = {NULL, "answered", "abandoned", "timeout", "refused"};
#define OUTCOME_NAME_COUNT (sizeof outcome_names / sizeof outcome_names[0])

static const char *const type_names[] = {"call", "call.offered", "call.answered", "call.ended"};
#define TYPE_NAME_COUNT (sizeof type_names / sizeof type_names[0])

/* ---- names */

/* The index of the name equal to the `length` bytes at `text`, or -1. */
static int index_of_text(const char *const *names, size_t count, const char *text, size_t length)
{
    for (size_t i = 0; i < count; i++)
        if (names[i] && strlen(names[i]) == length && memcmp(names[i], text, length) == 0)
            return (int)i;
    return -1;
}

static int index_of_name(const char *const *names, size_t count, const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

int event_channel_from_name(const char *name)
{
    return index_of_name(channel_names, EVENT_CHANNEL_COUNT, name);
}

/* NULL for a value outside the enum. */
const char *event_channel_name(enum event_channel channel)
{
    if ((int)channel < 0 || (int)channel >= EVENT_CHANNEL_COUNT)
        return NULL;
    return channel_names[channel];
}

int event_outcome_from_name(const char *name)
{
    return index_of_name(outcome_names, OUTCOME_NAME_COUNT, name);
}

/* NULL for a value outside the enum. */
const char *event_outcome_name(enum event_outcome outcome)
{
    if ((int)outcome < EVENT_OUTCOME_ANSWERED || (int)outcome > EVENT_OUTCOME_REFUSED)
        return NULL;
    return outcome_names[outcome];
}

/* ---- batch */

void event_batch_init(struct event_batch *batch)
{
    memset(batch, 0, sizeof *batch);
}

void event_batch_free(struct event_batch *batch)
{
    free(batch->contacts);
    free(batch->lifecycle);
    free(batch->errors);
    arena_free(&batch->arena_internal);
    event_batch_init(batch);
}

/* ---- parser state and error recording */

struct parser {
    struct event_batch *batch;
    const char *body; /* after a UTF-8 byte order mark, if any */
    size_t length;
    size_t contact_capacity;
    size_t lifecycle_capacity;
    size_t item_count;
    bool body_failed; /* a body-level error (or no room for errors): the answer is -1 */
    bool fast_path;   /* read flat records without jansson (see "the flat-record fast path") */
};

/* Records an error: counted always, listed while there is room. When even the list cannot
 * be allocated nothing is counted, so error_count > 0 always means errors[0] exists; the
 * parse still fails (the caller sees -1 with no error listed only when out of memory). */
static void record_error(struct parser *parser, long index, long line, const char *field,
                         const char *message)
{
    struct event_batch *batch = parser->batch;
    struct event_item_error *entry;

    if (!batch->errors) {
        batch->errors = calloc(EVENT_MAX_ERRORS, sizeof *batch->errors);
        if (!batch->errors) {
            parser->body_failed = true;
            return;
        }
    }
    batch->error_count++;
    if (batch->error_count > EVENT_MAX_ERRORS)
        return;
    entry = &batch->errors[batch->error_count - 1];
    entry->index = index;
    entry->line = line;
    snprintf(entry->field, sizeof entry->field, "%s", field);
    snprintf(entry->message, sizeof entry->message, "%s", message);
    utf8_sanitize(entry->message);
}

/* A body-level failure replaces everything reported so far with one error. Returns -1. */
static int fail_body(struct parser *parser, long index, long line, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_body(struct parser *parser, long index, long line, const char *format, ...)
{
    char message[sizeof parser->batch->errors[0].message];
    va_list args;

    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    parser->batch->contact_count = 0;
    parser->batch->lifecycle_count = 0;
    parser->batch->error_count = 0;
    arena_free(&parser->batch->arena_internal);
    record_error(parser, index, line, "", message);
    parser->body_failed = true;
    return -1;
}

static int fail_out_of_memory(struct parser *parser)
{
    return fail_body(parser, -1, -1, "out of memory while parsing the body");
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const struct parser *parser, size_t offset)
{
    while (offset < parser->length && is_json_space(parser->body[offset]))
        offset++;
    return offset;
}

/* 1-based line and character column of the byte at `offset` (at the end of the body: the
 * last character before it), counted like jansson counts them. */
static void position_of(const struct parser *parser, size_t offset, long *line, long *column)
{
    long line_number = 1, chars = 0;
    for (size_t i = 0; i < offset && i < parser->length; i++) {
        unsigned char byte = (unsigned char)parser->body[i];
        if (byte == '\n') {
            line_number++;
            chars = 0;
        } else if (!utf8_is_continuation(byte)) {
            chars++;
        }
    }
    *line = line_number;
    *column = chars + (offset < parser->length ? 1 : 0);
}

/* jansson's explanation, with its own wording replaced where it talks about its API. */
static const char *describe_json_error(const json_error_t *json_error)
{
    switch (json_error_code(json_error)) {
    case json_error_null_character:
        return "\\u0000 (NUL) is not allowed in strings";
    case json_error_out_of_memory:
        return "out of memory";
    default:
        return json_error->text;
    }
}

/* A jansson syntax error in the text that starts at body offset `start`. */
static int fail_json_syntax(struct parser *parser, long index, long ndjson_line, size_t start,
                            const json_error_t *json_error)
{
    long line, column;

    if (json_error_code(json_error) == json_error_out_of_memory)
        return fail_out_of_memory(parser);
    position_of(parser, start, &line, &column);
    column -= start < parser->length; /* characters before `start` on its line */
    if (json_error->line <= 1) {
        column += json_error->column > 0 ? json_error->column : 0;
    } else {
        line += json_error->line - 1;
        column = json_error->column;
    }
    if (ndjson_line > 0) {
        line = ndjson_line;
        if (json_error_code(json_error) == json_error_premature_end_of_input)
            return fail_body(parser, -1, ndjson_line,
                             "invalid JSON at line %ld, column %ld: %s (NDJSON needs each object "
                             "on one line)",
                             line, column, describe_json_error(json_error));
    }
    /* jansson's position is just past the unexpected token: another object's '{'? */
    if (json_error_code(json_error) == json_error_end_of_input_expected && ndjson_line <= 0 &&
        json_error->position > 0 && start + (size_t)json_error->position <= parser->length &&
        parser->body[start + (size_t)json_error->position - 1] == '{')
        return fail_body(parser, index, -1,
                         "invalid JSON at line %ld, column %ld: %s (several objects must be "
                         "sent as an array or as NDJSON)",
                         line, column, describe_json_error(json_error));
    return fail_body(parser, index, ndjson_line, "invalid JSON at line %ld, column %ld: %s", line,
                     column, describe_json_error(json_error));
}

static int fail_too_many_items(struct parser *parser, long index, long line)
{
    int result = fail_body(parser, index, line,
                           "the body has more than %d items; send at most %d per request",
                           EVENT_MAX_ITEMS, EVENT_MAX_ITEMS);
    parser->batch->too_many_items = true;
    return result;
}

/* ---- one item's problems */

/* Records the item's one error. */
static void record_item_problems(struct parser *parser, long index, long line,
                                 struct item_problems *problems)
{
    record_error(parser, index, line, problems->field, item_problems_message(problems));
}

/* ---- field checks */

/* A field's value as the checks see it, whichever parser read it. Strings are
 * borrowed (from jansson, or from the body for the flat-record fast path) and
 * need not be NUL-terminated. */
enum value_kind {
    VALUE_ABSENT = 0, /* the key is not there */
    VALUE_NULL,
    VALUE_STRING,
    VALUE_NUMBER,
    VALUE_BOOLEAN,
    VALUE_OBJECT,
    VALUE_ARRAY,
};

struct field_value {
    enum value_kind kind;
    const char *text; /* VALUE_STRING */
    size_t length;
    double number; /* VALUE_NUMBER */
    bool boolean;  /* VALUE_BOOLEAN */
};

struct raw_fields {
    struct field_value type, id, queue, channel, offered_at, answered_at, ended_at, outcome,
        handle_s, first_contact_resolved, caller, reason, agent, at;
};

/* Compares a key of `length` bytes with a NUL-terminated known name. */
static bool key_is(const char *key, size_t length, const char *name)
{
    return strlen(name) == length && memcmp(key, name, length) == 0;
}

/* The slot of a known key (`length` bytes, no NUL needed), or NULL for a key this
 * version ignores. */
static struct field_value *field_slot(struct raw_fields *fields, const char *key, size_t length)
{
    if (length == 0)
        return NULL;
    switch (key[0]) {
    case 'a':
        if (key_is(key, length, "answered_at"))
            return &fields->answered_at;
        if (key_is(key, length, "agent"))
            return &fields->agent;
        if (key_is(key, length, "at"))
            return &fields->at;
        break;
    case 'c':
        if (key_is(key, length, "channel"))
            return &fields->channel;
        if (key_is(key, length, "caller"))
            return &fields->caller;
        break;
    case 'e':
        if (key_is(key, length, "ended_at"))
            return &fields->ended_at;
        break;
    case 'f':
        if (key_is(key, length, "first_contact_resolved"))
            return &fields->first_contact_resolved;
        break;
    case 'h':
        if (key_is(key, length, "handle_s"))
            return &fields->handle_s;
        break;
    case 'i':
        if (key_is(key, length, "id"))
            return &fields->id;
        break;
    case 'o':
        if (key_is(key, length, "offered_at"))
            return &fields->offered_at;
        if (key_is(key, length, "outcome"))
            return &fields->outcome;
        break;
    case 'q':
        if (key_is(key, length, "queue"))
            return &fields->queue;
        break;
    case 'r':
        if (key_is(key, length, "reason"))
            return &fields->reason;
        break;
    case 't':
        if (key_is(key, length, "type"))
            return &fields->type;
        break;
    }
    return NULL;
}

/* A jansson value as the checks see it; the tree must outlive the use of `out`. */
static void value_from_json(const json_t *value, struct field_value *out)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        out->kind = VALUE_OBJECT;
        break;
    case JSON_ARRAY:
        out->kind = VALUE_ARRAY;
        break;
    case JSON_STRING:
        out->kind = VALUE_STRING;
        out->text = json_string_value(value);
        out->length = json_string_length(value);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        out->kind = VALUE_NUMBER;
        out->number = json_number_value(value);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        out->kind = VALUE_BOOLEAN;
        out->boolean = json_is_true(value);
        break;
    case JSON_NULL:
        out->kind = VALUE_NULL;
        break;
    }
}

static const char *value_kind_name(const struct field_value *value)
{
    switch (value->kind) {
    case VALUE_OBJECT:
        return "an object";
    case VALUE_ARRAY:
        return "an array";
    case VALUE_STRING:
        return "a string";
    case VALUE_NUMBER:
        return "a number";
    case VALUE_BOOLEAN:
        return "a boolean";
    case VALUE_NULL:
        return "null";
    case VALUE_ABSENT:
        break;
    }
    return "an unknown value";
}

/* The outcome of checking one field. */
enum field_state {
    FIELD_ABSENT, /* missing, null, or an empty optional string */
    FIELD_VALID,
    FIELD_INVALID, /* a problem was recorded */
};

struct string_rule {
    const char *field;
    bool required;
    size_t max_chars;
    bool printable; /* control characters are refused */
};

/* A string field. On FIELD_VALID, *text_out and *length_out hold the borrowed value. */
static enum field_state check_string(struct item_problems *problems,
                                     const struct field_value *value,
                                     const struct string_rule *rule, const char **text_out,
                                     size_t *length_out)
{
    const char *text;
    size_t length, chars;
    long control;

    if (value->kind == VALUE_ABSENT) {
        if (rule->required)
            item_problems_add(problems, rule->field, "%s is required", rule->field);
        return rule->required ? FIELD_INVALID : FIELD_ABSENT;
    }
    if (value->kind == VALUE_NULL && !rule->required)
        return FIELD_ABSENT;
    if (value->kind != VALUE_STRING) {
        item_problems_add(problems, rule->field, "%s must be a string, not %s", rule->field,
                          value_kind_name(value));
        return FIELD_INVALID;
    }
    text = value->text;
    length = value->length;
    if (length == 0) {
        if (!rule->required)
            return FIELD_ABSENT; /* "" means unknown, e.g. a withheld caller */
        item_problems_add(problems, rule->field, "%s is empty; it must be 1 to %zu characters",
                          rule->field, rule->max_chars);
        return FIELD_INVALID;
    }
    /* Characters are at least a byte each and at most four: count only when it matters. */
    if (length > rule->max_chars && (chars = utf8_count_chars(text, length)) > rule->max_chars) {
        item_problems_add(problems, rule->field, "%s is %zu characters long; the limit is %zu",
                          rule->field, chars, rule->max_chars);
        return FIELD_INVALID;
    }
    if (rule->printable && (control = utf8_first_control(text, length)) >= 0) {
        item_problems_add(problems, rule->field,
                          "%s contains a control character (U+%04lX); it must be printable text",
                          rule->field, (unsigned long)control);
        return FIELD_INVALID;
    }
    *text_out = text;
    *length_out = length;
    return FIELD_VALID;
}

/* An enum given by name. On FIELD_VALID, *index_out is the name's index in `names`. */
static enum field_state check_name(struct item_problems *problems, const struct field_value *value,
                                   const char *field, bool required, const char *const *names,
                                   size_t count, const char *choices, int *index_out)
{
    char quoted[QUOTED_VALUE_MAX_CHARS * 4 + 8];
    int found;

    if (value->kind == VALUE_ABSENT || (value->kind == VALUE_NULL && !required)) {
        if (required)
            item_problems_add(problems, field, "%s is required", field);
        return required ? FIELD_INVALID : FIELD_ABSENT;
    }
    if (value->kind != VALUE_STRING) {
        item_problems_add(problems, field, "%s must be a string, not %s", field,
                          value_kind_name(value));
        return FIELD_INVALID;
    }
    found = index_of_text(names, count, value->text, value->length);
    if (found < 0) {
        utf8_quote(value->text, value->length, QUOTED_VALUE_MAX_CHARS, quoted, sizeof quoted);
        item_problems_add(problems, field, "%s \"%s\" is not one of %s", field, quoted, choices);
        return FIELD_INVALID;
    }
    *index_out = found;
    return FIELD_VALID;
}

/* An RFC 3339 instant. On FIELD_VALID, *instant_out is set. */
static enum field_state check_instant(struct item_problems *problems,
                                      const struct field_value *value, const char *field,
                                      bool required, int64_t *instant_out)
{
    struct ccm_error error;

    if (value->kind == VALUE_ABSENT || (value->kind == VALUE_NULL && !required)) {
        if (required)
            item_problems_add(problems, field, "%s is required", field);
        return required ? FIELD_INVALID : FIELD_ABSENT;
    }
    if (value->kind != VALUE_STRING) {
        item_problems_add(problems, field, "%s must be a string (an RFC 3339 time), not %s", field,
                          value_kind_name(value));
        return FIELD_INVALID;
    }
    if (calendar_parse_rfc3339(value->text, value->length, instant_out, &error) != 0) {
        item_problems_add(problems, field, "%s: %s", field, error.message);
        return FIELD_INVALID;
    }
    /* Contacts happen in the Unix era: this also keeps every stored instant
     * and local date inside the range PostgreSQL and the calendar format. */
    if (*instant_out < EVENT_INSTANT_MIN_US || *instant_out > EVENT_INSTANT_MAX_US) {
        item_problems_add(problems, field, "%s \"%.*s\" is outside the years 1970 to 9998 (in UTC)",
                          field, (int)(value->length < 40 ? value->length : 40), value->text);
        return FIELD_INVALID;
    }
    return FIELD_VALID;
}

static enum field_state check_handle(struct item_problems *problems,
                                     const struct field_value *value, double *seconds_out)
{
    double seconds;

    if (value->kind == VALUE_ABSENT || value->kind == VALUE_NULL)
        return FIELD_ABSENT;
    if (value->kind != VALUE_NUMBER) {
        item_problems_add(problems, "handle_s", "handle_s must be a number of seconds, not %s",
                          value_kind_name(value));
        return FIELD_INVALID;
    }
    seconds = value->number;
    if (seconds < 0) {
        item_problems_add(problems, "handle_s", "handle_s %.15g is negative; it must be 0 or more",
                          seconds);
        return FIELD_INVALID;
    }
    if (seconds > (EVENT_HANDLE_MAX_S)) {
        item_problems_add(problems, "handle_s",
                          "handle_s %.15g is more than the limit of %.0f seconds (7 days)", seconds,
                          (double)(EVENT_HANDLE_MAX_S));
        return FIELD_INVALID;
    }
    *seconds_out = seconds + 0.0; /* -0 becomes 0 */
    return FIELD_VALID;
}

static enum field_state check_resolution(struct item_problems *problems,
                                         const struct field_value *value,
                                         enum event_resolution *resolution_out)
{
    if (value->kind == VALUE_ABSENT || value->kind == VALUE_NULL)
        return FIELD_ABSENT;
    if (value->kind != VALUE_BOOLEAN) {
        item_problems_add(problems, "first_contact_resolved",
                          "first_contact_resolved must be true, false or null, not %s",
                          value_kind_name(value));
        return FIELD_INVALID;
    }
    *resolution_out = value->boolean ? EVENT_RESOLUTION_YES : EVENT_RESOLUTION_NO;
    return FIELD_VALID;
}

/* "type" (absent means a complete call record). On FIELD_VALID, *type_out is set. */
static enum field_state check_type(struct item_problems *problems, const struct field_value *value,
                                   enum event_type *type_out)
{
    int type = EVENT_TYPE_CALL;
    enum field_state state = check_name(problems, value, "type", false, type_names, TYPE_NAME_COUNT,
                                        "call, call.offered, call.answered, call.ended", &type);
    if (state == FIELD_INVALID)
        return FIELD_INVALID;
    *type_out = (enum event_type)type;
    return FIELD_VALID;
}

static const struct string_rule id_rule = {"id", true, EVENT_ID_MAX_CHARS, false};
static const struct string_rule queue_rule = {"queue", true, EVENT_QUEUE_MAX_CHARS, true};
static const struct string_rule caller_rule = {"caller", false, EVENT_CALLER_MAX_CHARS, false};
static const struct string_rule reason_rule = {"reason", false, EVENT_REASON_MAX_CHARS, false};
static const struct string_rule agent_rule = {"agent", false, EVENT_AGENT_MAX_CHARS, false};

/* A validated item before its strings are copied: the strings are borrowed from jansson. */
struct checked_item {
    struct event_contact contact;
    struct event_lifecycle lifecycle; /* for lifecycle events (contact unused) */
    size_t id_length, queue_length, caller_length, reason_length, agent_length;
};

/* Checks every field and cross-field rule of a call record into `item`. */
static void check_call_record(const struct raw_fields *fields, struct item_problems *problems,
                              struct checked_item *item)
{
    struct event_contact *contact = &item->contact;
    enum field_state offered, answered, ended, outcome_state;
    char first[32], second[32];
    int channel = EVENT_CHANNEL_PHONE, outcome = 0;

    check_string(problems, &fields->id, &id_rule, &contact->id, &item->id_length);
    check_string(problems, &fields->queue, &queue_rule, &contact->queue, &item->queue_length);
    check_name(problems, &fields->channel, "channel", false, channel_names, EVENT_CHANNEL_COUNT,
               "phone, face_to_face, webchat, email, social, webform", &channel);
    contact->channel = (enum event_channel)channel;
    offered =
        check_instant(problems, &fields->offered_at, "offered_at", true, &contact->offered_us);
    answered =
        check_instant(problems, &fields->answered_at, "answered_at", false, &contact->answered_us);
    ended = check_instant(problems, &fields->ended_at, "ended_at", false, &contact->ended_us);
    outcome_state =
        check_name(problems, &fields->outcome, "outcome", true, outcome_names, OUTCOME_NAME_COUNT,
                   "answered, abandoned, timeout, refused", &outcome);
    contact->outcome = (enum event_outcome)outcome;
    contact->has_handle =
        check_handle(problems, &fields->handle_s, &contact->handle_s) == FIELD_VALID;
    contact->first_contact_resolved = EVENT_RESOLUTION_UNKNOWN;
    check_resolution(problems, &fields->first_contact_resolved, &contact->first_contact_resolved);
    check_string(problems, &fields->caller, &caller_rule, &contact->caller, &item->caller_length);
    check_string(problems, &fields->reason, &reason_rule, &contact->reason, &item->reason_length);
    check_string(problems, &fields->agent, &agent_rule, &contact->agent, &item->agent_length);
    contact->has_answered = answered == FIELD_VALID;
    contact->has_ended = ended == FIELD_VALID;

    /* Cross-field rules, each checked when the fields it needs are valid. */
    if (outcome_state == FIELD_VALID && outcome == EVENT_OUTCOME_ANSWERED &&
        answered == FIELD_ABSENT)
        item_problems_add(problems, "answered_at",
                          "outcome is answered but answered_at is missing");
    if (outcome_state == FIELD_VALID && outcome != EVENT_OUTCOME_ANSWERED &&
        answered == FIELD_VALID)
        item_problems_add(
            problems, "answered_at",
            "answered_at contradicts outcome %s: only answered contacts have an answered_at",
            outcome_names[outcome]);
    if (offered == FIELD_VALID && answered == FIELD_VALID &&
        contact->answered_us < contact->offered_us) {
        calendar_format_rfc3339_utc(contact->answered_us, first);
        calendar_format_rfc3339_utc(contact->offered_us, second);
        item_problems_add(problems, "answered_at", "answered_at %s is before offered_at %s", first,
                          second);
    }
    if (offered == FIELD_VALID && ended == FIELD_VALID && contact->ended_us < contact->offered_us) {
        calendar_format_rfc3339_utc(contact->ended_us, first);
        calendar_format_rfc3339_utc(contact->offered_us, second);
        item_problems_add(problems, "ended_at", "ended_at %s is before offered_at %s", first,
                          second);
    } else if (answered == FIELD_VALID && ended == FIELD_VALID &&
               contact->ended_us < contact->answered_us) {
        calendar_format_rfc3339_utc(contact->ended_us, first);
        calendar_format_rfc3339_utc(contact->answered_us, second);
        item_problems_add(problems, "ended_at", "ended_at %s is before answered_at %s", first,
                          second);
    }
    if (outcome_state == FIELD_VALID &&
        (outcome == EVENT_OUTCOME_ABANDONED || outcome == EVENT_OUTCOME_TIMEOUT) &&
        ended == FIELD_ABSENT)
        item_problems_add(
            problems, "ended_at",
            "outcome %s needs ended_at: the wait is needed for short abandons, service "
            "level and longest wait",
            outcome_names[outcome]);
}

/* Checks a lifecycle event (API contract): call.offered (id, queue, at, caller?,
 * channel?), call.answered (id, at, agent?), call.ended (id, at, outcome?, handle_s?,
 * first_contact_resolved?). Keys another type uses are ignored, like unknown keys. */
static void check_lifecycle(const struct raw_fields *fields, enum event_type type,
                            struct item_problems *problems, struct checked_item *item)
{
    struct event_lifecycle *event = &item->lifecycle;
    int channel = EVENT_CHANNEL_PHONE, outcome = 0;

    event->type = type;
    event->first_contact_resolved = EVENT_RESOLUTION_UNKNOWN;
    check_string(problems, &fields->id, &id_rule, &event->id, &item->id_length);
    check_instant(problems, &fields->at, "at", true, &event->at_us);
    switch (type) {
    case EVENT_TYPE_CALL_OFFERED:
        check_string(problems, &fields->queue, &queue_rule, &event->queue, &item->queue_length);
        check_name(problems, &fields->channel, "channel", false, channel_names, EVENT_CHANNEL_COUNT,
                   "phone, face_to_face, webchat, email, social, webform", &channel);
        check_string(problems, &fields->caller, &caller_rule, &event->caller, &item->caller_length);
        break;
    case EVENT_TYPE_CALL_ANSWERED:
        check_string(problems, &fields->agent, &agent_rule, &event->agent, &item->agent_length);
        break;
    case EVENT_TYPE_CALL_ENDED:
        check_name(problems, &fields->outcome, "outcome", false, outcome_names, OUTCOME_NAME_COUNT,
                   "answered, abandoned, timeout, refused", &outcome);
        event->has_handle =
            check_handle(problems, &fields->handle_s, &event->handle_s) == FIELD_VALID;
        check_resolution(problems, &fields->first_contact_resolved, &event->first_contact_resolved);
        break;
    case EVENT_TYPE_CALL:
        break;
    }
    event->channel = (enum event_channel)channel;
    event->outcome = outcome;
}

/* ---- storing valid items */

static const char *place_string(char **cursor, const char *text, size_t length)
{
    char *copy;
    if (!text)
        return NULL;
    copy = *cursor;
    memcpy(copy, text, length);
    copy[length] = '\0';
    *cursor += length + 1;
    return copy;
}

/* Appends a valid item, its strings copied into the arena. -1 when out of memory. */
static int store_contact(struct parser *parser, const struct checked_item *item)
{
    struct event_batch *batch = parser->batch;
    const struct event_contact *borrowed = &item->contact;
    struct event_contact *contact;
    size_t size = item->id_length + 1 + item->queue_length + 1;
    char *strings;

    size += borrowed->caller ? item->caller_length + 1 : 0;
    size += borrowed->reason ? item->reason_length + 1 : 0;
    size += borrowed->agent ? item->agent_length + 1 : 0;

    if (batch->contact_count == parser->contact_capacity) {
        size_t capacity = parser->contact_capacity ? parser->contact_capacity * 2 : 64;
        struct event_contact *grown = realloc(batch->contacts, capacity * sizeof *grown);
        if (!grown)
            return -1;
        batch->contacts = grown;
        parser->contact_capacity = capacity;
    }
    strings = arena_alloc(&batch->arena_internal, size);
    if (!strings)
        return -1;
    contact = &batch->contacts[batch->contact_count++];
    *contact = *borrowed;
    contact->id = place_string(&strings, borrowed->id, item->id_length);
    contact->queue = place_string(&strings, borrowed->queue, item->queue_length);
    contact->caller = place_string(&strings, borrowed->caller, item->caller_length);
    contact->reason = place_string(&strings, borrowed->reason, item->reason_length);
    contact->agent = place_string(&strings, borrowed->agent, item->agent_length);
    return 0;
}

/* Appends a valid lifecycle event, its strings copied into the arena. -1 when out of
 * memory. */
static int store_lifecycle(struct parser *parser, const struct checked_item *item)
{
    struct event_batch *batch = parser->batch;
    const struct event_lifecycle *borrowed = &item->lifecycle;
    struct event_lifecycle *event;
    size_t size = item->id_length + 1;
    char *strings;

    size += borrowed->queue ? item->queue_length + 1 : 0;
    size += borrowed->caller ? item->caller_length + 1 : 0;
    size += borrowed->agent ? item->agent_length + 1 : 0;

    if (batch->lifecycle_count == parser->lifecycle_capacity) {
        size_t capacity = parser->lifecycle_capacity ? parser->lifecycle_capacity * 2 : 64;
        struct event_lifecycle *grown = realloc(batch->lifecycle, capacity * sizeof *grown);
        if (!grown)
            return -1;
        batch->lifecycle = grown;
        parser->lifecycle_capacity = capacity;
    }
    strings = arena_alloc(&batch->arena_internal, size);
    if (!strings)
        return -1;
    event = &batch->lifecycle[batch->lifecycle_count++];
    *event = *borrowed;
    event->id = place_string(&strings, borrowed->id, item->id_length);
    event->queue = place_string(&strings, borrowed->queue, item->queue_length);
    event->caller = place_string(&strings, borrowed->caller, item->caller_length);
    event->agent = place_string(&strings, borrowed->agent, item->agent_length);
    return 0;
}

/* Validates one item's fields (`fields` NULL: the item is not an object, `kind_name` says
 * what it is) and stores it or records its error. Returns -1 when parsing must stop (out of
 * memory), else 0. */
static int take_fields(struct parser *parser, const struct raw_fields *fields,
                       const char *kind_name, long index, long line)
{
    struct item_problems problems = {0};
    struct checked_item item = {0};
    enum event_type type = EVENT_TYPE_CALL;

    if (!fields)
        item_problems_add(&problems, "", "the item is %s; each item must be a JSON object",
                          kind_name);
    else if (check_type(&problems, &fields->type, &type) == FIELD_VALID && type == EVENT_TYPE_CALL)
        check_call_record(fields, &problems, &item);
    else if (problems.count == 0)
        check_lifecycle(fields, type, &problems, &item);

    if (problems.count > 0) {
        if (parser->batch->error_count == 0) {
            /* The request is refused: the valid items so far are not needed any more. */
            parser->batch->contact_count = 0;
            parser->batch->lifecycle_count = 0;
            arena_free(&parser->batch->arena_internal);
        }
        record_item_problems(parser, index, line, &problems);
        return 0;
    }
    if (parser->batch->error_count > 0)
        return 0;
    if ((type == EVENT_TYPE_CALL ? store_contact(parser, &item) : store_lifecycle(parser, &item)) !=
        0)
        return fail_out_of_memory(parser);
    return 0;
}

/* An item parsed by jansson. */
static int take_json_item(struct parser *parser, json_t *value, long index, long line)
{
    struct raw_fields fields = {0};
    struct field_value as_value = {0};
    const char *key;
    json_t *member;

    if (!json_is_object(value)) {
        value_from_json(value, &as_value);
        return take_fields(parser, NULL, value_kind_name(&as_value), index, line);
    }
    json_object_foreach(value, key, member)
    {
        struct field_value *slot = field_slot(&fields, key, strlen(key));
        if (slot)
            value_from_json(member, slot);
    }
    return take_fields(parser, &fields, NULL, index, line);
}

/* ---- the flat-record fast path
 *
 * Most bodies are machine-written call records: one flat object of known keys
 * whose strings are plain ASCII and whose numbers are short decimals. Building a
 * jansson tree for each costs more than everything else the daemon does with
 * it, so such an object is read here straight from the body. Anything else (an
 * escape, a byte outside printable ASCII, an unknown or repeated key, a nested
 * value, an exponent, a long number, a syntax error) makes it give up before
 * anything is recorded, and jansson parses the item instead: the fast path
 * only ever accepts a subset of what jansson accepts, with the same values,
 * so answers do not depend on which path read an item. The differential fuzzer
 * (tests/fuzz/fuzz_event_fast_path.c) and every event_parse case check that. */

#define FAST_NUMBER_MAX_CHARS 24

static const char *fast_skip_space(const char *cursor, const char *end)
{
    while (cursor < end && is_json_space(*cursor))
        cursor++;
    return cursor;
}

/* A string of printable ASCII without escapes; `cursor` is after the opening quote.
 * Returns the position after the closing quote, or NULL. */
static const char *fast_string(const char *cursor, const char *end, const char **text,
                               size_t *length)
{
    const char *start = cursor;
    while (cursor < end) {
        unsigned char byte = (unsigned char)*cursor;
        if (byte == '"') {
            *text = start;
            *length = (size_t)(cursor - start);
            return cursor + 1;
        }
        if (byte < 0x20 || byte > 0x7E || byte == '\\')
            return NULL;
        cursor++;
    }
    return NULL;
}

/* A JSON number without an exponent: -?(0|[1-9][0-9]*)(.[0-9]+)?, at most
 * FAST_NUMBER_MAX_CHARS characters, read exactly as jansson reads it (strtod, which
 * jansson also uses for integers under JSON_DECODE_INT_AS_REAL). */
static const char *fast_number(const char *cursor, const char *end, double *number)
{
    char digits[FAST_NUMBER_MAX_CHARS + 1];
    const char *start = cursor;
    size_t length;

    if (cursor < end && *cursor == '-')
        cursor++;
    if (cursor < end && *cursor == '0') {
        cursor++;
    } else if (cursor < end && *cursor >= '1' && *cursor <= '9') {
        while (cursor < end && *cursor >= '0' && *cursor <= '9')
            cursor++;
    } else {
        return NULL;
    }
    if (cursor < end && *cursor == '.') {
        const char *fraction = ++cursor;
        while (cursor < end && *cursor >= '0' && *cursor <= '9')
            cursor++;
        if (cursor == fraction)
            return NULL;
    }
    if (cursor < end && (*cursor == 'e' || *cursor == 'E'))
        return NULL;
    length = (size_t)(cursor - start);
    if (length > FAST_NUMBER_MAX_CHARS)
        return NULL;
    memcpy(digits, start, length);
    digits[length] = '\0';
    *number = strtod(digits, NULL);
    return cursor;
}

static const char *fast_literal(const char *cursor, const char *end, const char *word)
{
    size_t length = strlen(word);
    if ((size_t)(end - cursor) < length || memcmp(cursor, word, length) != 0)
        return NULL;
    return cursor + length;
}

/* One value into `value`. Returns the position after it, or NULL. */
static const char *fast_value(const char *cursor, const char *end, struct field_value *value)
{
    if (cursor >= end)
        return NULL;
    switch (*cursor) {
    case '"':
        value->kind = VALUE_STRING;
        return fast_string(cursor + 1, end, &value->text, &value->length);
    case 't':
        value->kind = VALUE_BOOLEAN;
        value->boolean = true;
        return fast_literal(cursor, end, "true");
    case 'f':
        value->kind = VALUE_BOOLEAN;
        value->boolean = false;
        return fast_literal(cursor, end, "false");
    case 'n':
        value->kind = VALUE_NULL;
        return fast_literal(cursor, end, "null");
    default:
        value->kind = VALUE_NUMBER;
        return fast_number(cursor, end, &value->number);
    }
}

/* A flat object of known keys starting at `cursor` (after any space). Returns the position
 * after its '}' with `fields` filled, or NULL when jansson must parse the item. */
static const char *fast_object(const char *cursor, const char *end, struct raw_fields *fields)
{
    if (cursor >= end || *cursor != '{')
        return NULL;
    cursor = fast_skip_space(cursor + 1, end);
    if (cursor < end && *cursor == '}')
        return cursor + 1;
    for (;;) {
        struct field_value *slot;
        const char *key;
        size_t key_length;

        if (cursor >= end || *cursor != '"')
            return NULL;
        cursor = fast_string(cursor + 1, end, &key, &key_length);
        if (!cursor)
            return NULL;
        slot = field_slot(fields, key, key_length);
        if (!slot || slot->kind != VALUE_ABSENT)
            return NULL;
        cursor = fast_skip_space(cursor, end);
        if (cursor >= end || *cursor != ':')
            return NULL;
        cursor = fast_value(fast_skip_space(cursor + 1, end), end, slot);
        if (!cursor)
            return NULL;
        cursor = fast_skip_space(cursor, end);
        if (cursor < end && *cursor == '}')
            return cursor + 1;
        if (cursor >= end || *cursor != ',')
            return NULL;
        cursor = fast_skip_space(cursor + 1, end);
    }
}

/* ---- body forms */

static int fail_empty(struct parser *parser)
{
    return fail_body(parser, -1, -1,
                     "the body is empty; send a JSON object, an array of objects, or NDJSON");
}

static int parse_ndjson(struct parser *parser)
{
    const char *cursor = parser->body, *end = parser->body + parser->length;
    long line = 0;

    while (cursor < end) {
        const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        const char *line_end = newline ? newline : end;
        size_t length = (size_t)(line_end - cursor), first = 0;
        json_error_t json_error;
        json_t *item;
        int result;

        line++;
        if (length > 0 && cursor[length - 1] == '\r')
            length--;
        while (first < length && is_json_space(cursor[first]))
            first++;
        if (first < length) {
            if (parser->item_count == EVENT_MAX_ITEMS)
                return fail_too_many_items(parser, -1, line);
            parser->item_count++;
            if (parser->fast_path) {
                struct raw_fields fields = {0};
                const char *after = fast_object(cursor + first, cursor + length, &fields);
                if (after && fast_skip_space(after, cursor + length) == cursor + length) {
                    if (take_fields(parser, &fields, NULL, -1, line) != 0)
                        return -1;
                    cursor = newline ? newline + 1 : end;
                    continue;
                }
            }
            item = json_loadb(cursor, length, EVENT_LOAD_FLAGS | JSON_DECODE_ANY, &json_error);
            if (!item)
                return fail_json_syntax(parser, -1, line, (size_t)(cursor - parser->body),
                                        &json_error);
            result = take_json_item(parser, item, -1, line);
            json_decref(item);
            if (result != 0)
                return -1;
        }
        cursor = newline ? newline + 1 : end;
    }
    return parser->item_count == 0 ? fail_empty(parser) : 0;
}

/* One byte shown in a message: 'x' when printable ASCII, else its hex value. */
static void describe_byte(unsigned char byte, char out[static 16])
{
    if (byte > 0x20 && byte < 0x7F && byte != '\'')
        snprintf(out, 16, "'%c'", byte);
    else
        snprintf(out, 16, "byte 0x%02x", byte);
}

/* A structural error of the array between items, at body offset `offset`: it is about no
 * item, so only its line and column say where. */
static int fail_array_syntax(struct parser *parser, size_t offset, const char *what)
{
    long line, column;
    char found[16];

    position_of(parser, offset, &line, &column);
    if (offset >= parser->length)
        return fail_body(parser, -1, -1,
                         "invalid JSON at line %ld, column %ld: %s near end of file", line, column,
                         what);
    describe_byte((unsigned char)parser->body[offset], found);
    return fail_body(parser, -1, -1, "invalid JSON at line %ld, column %ld: %s, found %s", line,
                     column, what, found);
}

/* The elements of a JSON array, each parsed and freed in turn; `offset` is just after '['. */
static int parse_json_array(struct parser *parser, size_t offset)
{
    long index = 0;

    offset = skip_space(parser, offset);
    if (offset < parser->length && parser->body[offset] == ']') {
        offset = skip_space(parser, offset + 1);
    } else {
        for (;;) {
            json_error_t json_error;
            json_t *item;
            int result;

            if (index == EVENT_MAX_ITEMS)
                return fail_too_many_items(parser, index, -1);
            parser->item_count++;
            if (parser->fast_path) {
                struct raw_fields fields = {0};
                const char *start = parser->body + offset;
                const char *after = fast_object(start, parser->body + parser->length, &fields);
                if (after) {
                    if (take_fields(parser, &fields, NULL, index, -1) != 0)
                        return -1;
                    offset += (size_t)(after - start);
                    goto next_element;
                }
            }
            item = json_loadb(parser->body + offset, parser->length - offset,
                              EVENT_LOAD_FLAGS | JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK,
                              &json_error);
            if (!item)
                return fail_json_syntax(parser, index, -1, offset, &json_error);
            if (json_error.position <= 0 || (size_t)json_error.position > parser->length - offset) {
                json_decref(item);
                return fail_body(parser, index, -1, "item %ld is too large to parse", index);
            }
            offset += (size_t)json_error.position;
            result = take_json_item(parser, item, index, -1);
            json_decref(item);
            if (result != 0)
                return -1;
        next_element:
            index++;
            offset = skip_space(parser, offset);
            if (offset < parser->length && parser->body[offset] == ',') {
                offset = skip_space(parser, offset + 1);
                continue;
            }
            if (offset < parser->length && parser->body[offset] == ']') {
                offset = skip_space(parser, offset + 1);
                break;
            }
            return fail_array_syntax(parser, offset, "',' or ']' expected");
        }
    }
    if (offset < parser->length)
        return fail_array_syntax(parser, offset, "end of file expected after the array");
    return 0;
}

static int parse_json(struct parser *parser)
{
    size_t start = skip_space(parser, 0);
    json_error_t json_error;
    json_t *item;
    long line, column;
    char found[16];
    int result;

    if (start == parser->length)
        return fail_empty(parser);
    if (parser->body[start] == '[')
        return parse_json_array(parser, start + 1);
    if (parser->body[start] != '{') {
        position_of(parser, start, &line, &column);
        describe_byte((unsigned char)parser->body[start], found);
        return fail_body(parser, -1, -1,
                         "a JSON body must be an object or an array of objects, but it starts "
                         "with %s at line %ld, column %ld",
                         found, line, column);
    }
    parser->item_count = 1;
    if (parser->fast_path) {
        struct raw_fields fields = {0};
        const char *end = parser->body + parser->length;
        const char *after = fast_object(parser->body + start, end, &fields);
        if (after && fast_skip_space(after, end) == end)
            return take_fields(parser, &fields, NULL, 0, -1);
    }
    item = json_loadb(parser->body, parser->length, EVENT_LOAD_FLAGS, &json_error);
    if (!item)
        return fail_json_syntax(parser, 0, -1, 0, &json_error);
    result = take_json_item(parser, item, 0, -1);
    json_decref(item);
    return result;
}

static int parse_body(struct event_batch *batch, const char *body, size_t length,
                      enum event_body_format format, bool fast_path)
{
    struct parser parser = {.batch = batch,
                            .body = body ? body : "",
                            .length = body ? length : 0,
                            .fast_path = fast_path};
    int result;

    event_batch_free(batch);
    /* A UTF-8 byte order mark (Windows tools write one) is not part of the JSON. */
    if (parser.length >= 3 && memcmp(parser.body, "\xEF\xBB\xBF", 3) == 0) {
        parser.body += 3;
        parser.length -= 3;
    }
    result = format == EVENT_BODY_NDJSON ? parse_ndjson(&parser) : parse_json(&parser);
    if (result != 0 || parser.body_failed) {
        batch->contact_count = 0;
        batch->lifecycle_count = 0;
        return -1;
    }
    return batch->error_count > 0 ? 1 : 0;
}

int event_parse_body(struct event_batch *batch, const char *body, size_t length,
                     enum event_body_format format)
{
    return parse_body(batch, body, length, format, true);
}

int event_parse_body_reference(struct event_batch *batch, const char *body, size_t length,
                               enum event_body_format format)
{
    return parse_body(batch, body, length, format, false);
}

/* Lifecycle arrays grow like the parser grows them (64, then doubling), so the
 * capacity follows from the count. */
static size_t lifecycle_capacity_of(size_t count)
{
    size_t capacity = 64;
    while (capacity < count)
        capacity *= 2;
    return count == 0 ? 0 : capacity;
}

int event_batch_add_lifecycle(struct event_batch *batch, const struct event_lifecycle *event)
{
    struct checked_item item;
    struct parser parser = {.batch = batch,
                            .lifecycle_capacity = lifecycle_capacity_of(batch->lifecycle_count)};

    memset(&item, 0, sizeof item);
    item.lifecycle = *event;
    item.id_length = event->id ? strlen(event->id) : 0;
    item.queue_length = event->queue ? strlen(event->queue) : 0;
    item.caller_length = event->caller ? strlen(event->caller) : 0;
    item.agent_length = event->agent ? strlen(event->agent) : 0;
    if (!event->id)
        return -1;
    return store_lifecycle(&parser, &item);
}

bool event_caller_is_withheld(const char *caller)
{
    static const char *const markers[] = {"anonymous", "unknown",  "unavailable", "restricted",
                                          "private",   "withheld", "blocked"};
    for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++) {
        const char *a = caller, *b = markers[m];
        while (*a && *b && (*a | 0x20) == *b)
            a++, b++;
        if (!*a && !*b)
            return true;
    }
    return false;
}
