/*
 * connect_ctr: the Amazon Connect contact record (CTR) parser behind POST
 * /v1/ingest/amazon-connect. Owns the step from request bytes to validated
 * struct event_contact records, skipped CTRs and per-record errors, and the
 * batch's string arena. The mapping is documented in connect_ctr.h.
 *
 * jansson does the JSON syntax, one record at a time (each record's tree is freed
 * before the next), so memory stays proportional to the body. An array body is
 * walked element by element as lib/event walks arrays; a broken array is one
 * body-level error, since after a syntax error there is no telling where its
 * next element starts. A sequence of objects (NDJSON, or Firehose's "}{") is first
 * cut into records by a small scanner that follows strings and brackets, and each
 * piece is handed to jansson alone. A piece jansson refuses is one record's error
 * and the next piece is read as usual: a record ends at its closing bracket, or
 * when broken (truncated, say) at the end of a line followed by a line starting
 * with '{', or at a raw line break inside a string (never valid JSON). Every byte
 * is scanned once and parsed once, so even hostile bodies cost linear time.
 *
 * Error reporting: one entry per bad record, naming the first bad field by its
 * path ("Queue.EnqueueTimestamp"); other bad fields of the same record are listed
 * at the end of its message. The value checks and messages follow lib/event.c's.
 */
#include "connect_ctr.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "calendar.h"
#include "item_problems.h"
#include "utf8.h"

/* Numbers are read as reals: durations are seconds in a double anyway, and a huge
 * integer in a field this version ignores must not make a record unreadable. */
#define CTR_LOAD_FLAGS (JSON_DECODE_INT_AS_REAL)

#define QUOTED_VALUE_MAX_CHARS 40 /* of a bad value shown in a message */

/* Channel values of the data model, and what each maps to. */
static const struct {
    const char *name;
    enum event_channel channel;
} channel_map[] = {
    {"VOICE", EVENT_CHANNEL_PHONE},
    {"CHAT", EVENT_CHANNEL_WEBCHAT},
    {"TASK", EVENT_CHANNEL_WEBFORM},
    {"EMAIL", EVENT_CHANNEL_EMAIL},
};
#define CHANNEL_MAP_COUNT (sizeof channel_map / sizeof channel_map[0])
#define CHANNEL_CHOICES   "VOICE, CHAT, TASK, EMAIL"

/* ---- batch */

void connect_ctr_batch_init(struct connect_ctr_batch *batch)
{
    memset(batch, 0, sizeof *batch);
}

void connect_ctr_batch_free(struct connect_ctr_batch *batch)
{
    free(batch->records);
    free(batch->errors);
    arena_free(&batch->arena_internal);
    connect_ctr_batch_init(batch);
}

/* ---- parser state and error recording */

struct parser {
    struct connect_ctr_batch *batch;
    const char *body; /* after a UTF-8 byte order mark, if any */
    size_t length;
    size_t record_capacity;
    size_t item_count;
    bool body_failed; /* a body-level error (or no room for errors): the answer is -1 */
};

/* Records an error: counted always, listed while there is room. When even the list cannot
 * be allocated nothing is counted and the parse fails. */
static void record_error(struct parser *parser, long index, long line, const char *field,
                         const char *message)
{
    struct connect_ctr_batch *batch = parser->batch;
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

/* A body-level failure replaces everything found so far with one error. Returns -1. */
static int fail_body(struct parser *parser, long index, long line, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_body(struct parser *parser, long index, long line, const char *format, ...)
{
    char message[sizeof parser->batch->errors[0].message];
    va_list args;

    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    parser->batch->record_count = 0;
    parser->batch->skipped_count = 0;
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

static int fail_too_many_items(struct parser *parser, long index, long line)
{
    int result = fail_body(parser, index, line,
                           "the body has more than %d records; send at most %d per request",
                           EVENT_MAX_ITEMS, EVENT_MAX_ITEMS);
    parser->batch->too_many_items = true;
    return result;
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
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

/* One byte shown in a message: 'x' when printable ASCII, else its hex value. */
static void describe_byte(unsigned char byte, char out[static 16])
{
    if (byte > 0x20 && byte < 0x7F && byte != '\'')
        snprintf(out, 16, "'%c'", byte);
    else
        snprintf(out, 16, "byte 0x%02x", byte);
}

/* ---- positions in the body */

/* A place in the body: its 1-based line and the characters before it on that line
 * (columns are 1-based characters, counted as jansson counts them). */
struct position {
    size_t offset;
    long line;
    long chars_before;
};

/* Moves `position` forward to `offset`. */
static void advance_to(const struct parser *parser, struct position *position, size_t offset)
{
    for (size_t i = position->offset; i < offset && i < parser->length; i++) {
        unsigned char byte = (unsigned char)parser->body[i];
        if (byte == '\n') {
            position->line++;
            position->chars_before = 0;
        } else if (!utf8_is_continuation(byte)) {
            position->chars_before++;
        }
    }
    position->offset = offset;
}

/* Line and column of a jansson error in the text that starts at `start`. */
static void error_position(const struct position *start, const json_error_t *json_error, long *line,
                           long *column)
{
    *line = start->line;
    *column = start->chars_before;
    if (json_error->line <= 1) {
        *column += json_error->column > 0 ? json_error->column : 0;
    } else {
        *line += json_error->line - 1;
        *column = json_error->column;
    }
}

/* ---- one record's problems */

/* Records the record's one error. */
static void report_problems(struct parser *parser, long index, long line,
                            struct item_problems *problems)
{
    record_error(parser, index, line, problems->field, item_problems_message(problems));
}

/* ---- field checks: `value` is NULL when the key is absent */

static const char *kind_name(const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "an unknown value";
}

/* The outcome of checking one field. */
enum field_state {
    FIELD_ABSENT, /* missing, null, or an empty optional string */
    FIELD_VALID,
    FIELD_INVALID, /* a problem was recorded */
};

static bool is_absent(const json_t *value)
{
    return !value || json_is_null(value);
}

/* A nested object such as Queue or Agent: absent, null, or an object. */
static enum field_state check_object(struct item_problems *problems, const json_t *value,
                                     const char *field)
{
    if (is_absent(value))
        return FIELD_ABSENT;
    if (!json_is_object(value)) {
        item_problems_add(problems, field, "%s must be an object or null, not %s", field,
                          kind_name(value));
        return FIELD_INVALID;
    }
    return FIELD_VALID;
}

struct string_rule {
    const char *field;
    bool required;
    size_t max_chars;
    bool printable; /* control characters are refused */
};

/* A string field. On FIELD_VALID, *text_out and *length_out hold the borrowed value. */
static enum field_state check_string(struct item_problems *problems, const json_t *value,
                                     const struct string_rule *rule, const char **text_out,
                                     size_t *length_out)
{
    const char *text;
    size_t length, chars;
    long control;

    if (!value) {
        if (rule->required)
            item_problems_add(problems, rule->field, "%s is required", rule->field);
        return rule->required ? FIELD_INVALID : FIELD_ABSENT;
    }
    if (json_is_null(value) && !rule->required)
        return FIELD_ABSENT;
    if (!json_is_string(value)) {
        item_problems_add(problems, rule->field, "%s must be a string, not %s", rule->field,
                          kind_name(value));
        return FIELD_INVALID;
    }
    text = json_string_value(value);
    length = json_string_length(value);
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

/* An RFC 3339 instant (absent or null: FIELD_ABSENT). On FIELD_VALID, *instant_out is set. */
static enum field_state check_instant(struct item_problems *problems, const json_t *value,
                                      const char *field, int64_t *instant_out)
{
    struct ccm_error error;
    const char *text;
    size_t length;

    if (is_absent(value))
        return FIELD_ABSENT;
    if (!json_is_string(value)) {
        item_problems_add(problems, field, "%s must be a string (an ISO 8601 time), not %s", field,
                          kind_name(value));
        return FIELD_INVALID;
    }
    text = json_string_value(value);
    length = json_string_length(value);
    if (calendar_parse_rfc3339(text, length, instant_out, &error) != 0) {
        item_problems_add(problems, field, "%s: %s", field, error.message);
        return FIELD_INVALID;
    }
    /* Contacts happen in the Unix era: this also keeps every stored instant
     * and local date inside the range PostgreSQL and the calendar format. */
    if (*instant_out < EVENT_INSTANT_MIN_US || *instant_out > EVENT_INSTANT_MAX_US) {
        char quoted[QUOTED_VALUE_MAX_CHARS * 4 + 8];
        utf8_quote(text, length, QUOTED_VALUE_MAX_CHARS, quoted, sizeof quoted);
        item_problems_add(problems, field, "%s \"%s\" is outside the years 1970 to 9998 (in UTC)",
                          field, quoted);
        return FIELD_INVALID;
    }
    return FIELD_VALID;
}

/* A duration in seconds (absent or null: FIELD_ABSENT). */
static enum field_state check_seconds(struct item_problems *problems, const json_t *value,
                                      const char *field, double *seconds_out)
{
    double seconds;

    if (is_absent(value))
        return FIELD_ABSENT;
    if (!json_is_number(value)) {
        item_problems_add(problems, field, "%s must be a number of seconds, not %s", field,
                          kind_name(value));
        return FIELD_INVALID;
    }
    seconds = json_number_value(value);
    if (seconds < 0) {
        item_problems_add(problems, field, "%s %.15g is negative; it must be 0 or more", field,
                          seconds);
        return FIELD_INVALID;
    }
    if (seconds > (EVENT_HANDLE_MAX_S)) {
        item_problems_add(problems, field,
                          "%s %.15g is more than the limit of %.0f seconds (7 days)", field,
                          seconds, (double)(EVENT_HANDLE_MAX_S));
        return FIELD_INVALID;
    }
    *seconds_out = seconds + 0.0; /* -0 becomes 0 */
    return FIELD_VALID;
}

/* Channel: required, one of the data model's names. */
static enum field_state check_channel(struct item_problems *problems, const json_t *value,
                                      enum event_channel *channel_out)
{
    char quoted[QUOTED_VALUE_MAX_CHARS * 4 + 8];
    const char *text;

    if (is_absent(value)) {
        item_problems_add(problems, "Channel", "Channel is required (one of %s)", CHANNEL_CHOICES);
        return FIELD_INVALID;
    }
    if (!json_is_string(value)) {
        item_problems_add(problems, "Channel", "Channel must be a string, not %s",
                          kind_name(value));
        return FIELD_INVALID;
    }
    text = json_string_value(value);
    for (size_t i = 0; i < CHANNEL_MAP_COUNT; i++) {
        if (strlen(channel_map[i].name) == json_string_length(value) &&
            memcmp(channel_map[i].name, text, json_string_length(value)) == 0) {
            *channel_out = channel_map[i].channel;
            return FIELD_VALID;
        }
    }
    utf8_quote(text, json_string_length(value), QUOTED_VALUE_MAX_CHARS, quoted, sizeof quoted);
    item_problems_add(problems, "Channel", "Channel \"%s\" is not one of %s", quoted,
                      CHANNEL_CHOICES);
    return FIELD_INVALID;
}

static const struct string_rule id_rule = {"ContactId", true, EVENT_ID_MAX_CHARS, false};
static const struct string_rule queue_rule = {"Queue.Name", false, EVENT_QUEUE_MAX_CHARS, true};
static const struct string_rule caller_rule = {"CustomerEndpoint.Address", false,
                                               EVENT_CALLER_MAX_CHARS, false};
static const struct string_rule agent_rule = {"Agent.Username", false, EVENT_AGENT_MAX_CHARS,
                                              false};

/* The handle time's parts, in the order they are added. */
static const char *const handle_fields[] = {
    "Agent.AgentInteractionDuration",
    "Agent.CustomerHoldDuration",
    "Agent.AfterContactWorkDuration",
};
#define HANDLE_FIELD_COUNT (sizeof handle_fields / sizeof handle_fields[0])

/* A checked record before its strings are copied: the strings are borrowed from jansson. */
struct checked_record {
    struct connect_ctr_record record;
    size_t id_length, queue_length, caller_length, agent_length;
};

/* The member `key` of `object` when `object` is an object, else NULL (absent). */
static const json_t *member(const json_t *object, const char *key)
{
    return json_is_object(object) ? json_object_get(object, key) : NULL;
}

/* Formats the "X is before Y" problem of two instants. */
static void add_order_problem(struct item_problems *problems, const char *later_field,
                              int64_t later_us, const char *earlier_field, int64_t earlier_us)
{
    char later[32], earlier[32];

    calendar_format_rfc3339_utc(later_us, later);
    calendar_format_rfc3339_utc(earlier_us, earlier);
    item_problems_add(problems, later_field, "%s %s is before %s %s", later_field, later,
                      earlier_field, earlier);
}

/* Checks a CTR object into `checked`. Returns false when it never waited in a queue (not a
 * contact), true when it is a contact; either way, problems may have been recorded. */
static bool check_ctr(const json_t *ctr, struct item_problems *problems,
                      struct checked_record *checked)
{
    struct event_contact *contact = &checked->record.contact;
    const json_t *queue = member(ctr, "Queue"), *agent = member(ctr, "Agent");
    const json_t *endpoint = member(ctr, "CustomerEndpoint");
    enum field_state queue_state, name, offered, dequeued, disconnected, updated, agent_state,
        answered, parts[HANDLE_FIELD_COUNT];
    int64_t dequeue_us = 0, disconnect_us = 0, update_us = 0;
    double part_s[HANDLE_FIELD_COUNT] = {0};
    const char *username = NULL;
    size_t username_length = 0;
    enum event_channel channel = EVENT_CHANNEL_PHONE;

    /* Every CTR needs its id, contact or not: a body of objects that are not CTRs at all
     * must not be taken for CTRs of contacts that never queued. */
    check_string(problems, member(ctr, "ContactId"), &id_rule, &contact->id, &checked->id_length);

    queue_state = check_object(problems, queue, "Queue");
    if (queue_state != FIELD_VALID)
        return false;
    name = check_string(problems, member(queue, "Name"), &queue_rule, &contact->queue,
                        &checked->queue_length);
    offered = check_instant(problems, member(queue, "EnqueueTimestamp"), "Queue.EnqueueTimestamp",
                            &contact->offered_us);
    if (name == FIELD_ABSENT || offered == FIELD_ABSENT)
        return false;

    check_channel(problems, member(ctr, "Channel"), &channel);
    contact->channel = channel;
    dequeued = check_instant(problems, member(queue, "DequeueTimestamp"), "Queue.DequeueTimestamp",
                             &dequeue_us);
    disconnected = check_instant(problems, member(ctr, "DisconnectTimestamp"),
                                 "DisconnectTimestamp", &disconnect_us);
    updated = check_instant(problems, member(ctr, "LastUpdateTimestamp"), "LastUpdateTimestamp",
                            &update_us);
    if (check_object(problems, endpoint, "CustomerEndpoint") == FIELD_VALID)
        check_string(problems, member(endpoint, "Address"), &caller_rule, &contact->caller,
                     &checked->caller_length);
    agent_state = check_object(problems, agent, "Agent");
    answered = check_instant(problems, member(agent, "ConnectedToAgentTimestamp"),
                             "Agent.ConnectedToAgentTimestamp", &contact->answered_us);
    check_string(problems, member(agent, "Username"), &agent_rule, &username, &username_length);
    for (size_t i = 0; i < HANDLE_FIELD_COUNT; i++) /* the key is the path after "Agent." */
        parts[i] = check_seconds(problems, member(agent, handle_fields[i] + strlen("Agent.")),
                                 handle_fields[i], &part_s[i]);
    contact->first_contact_resolved = EVENT_RESOLUTION_UNKNOWN;
    checked->record.version_us = updated == FIELD_VALID        ? update_us
                                 : disconnected == FIELD_VALID ? disconnect_us
                                                               : 0;

    if (agent_state == FIELD_VALID && answered != FIELD_ABSENT) {
        contact->outcome = EVENT_OUTCOME_ANSWERED;
        contact->has_answered = answered == FIELD_VALID;
        if (offered == FIELD_VALID && answered == FIELD_VALID &&
            contact->answered_us < contact->offered_us)
            add_order_problem(problems, "Agent.ConnectedToAgentTimestamp", contact->answered_us,
                              "Queue.EnqueueTimestamp", contact->offered_us);
        /* A disconnect before the answer is not this contact's end: leave ended_at out. */
        if (answered == FIELD_VALID && disconnected == FIELD_VALID &&
            disconnect_us >= contact->answered_us) {
            contact->has_ended = true;
            contact->ended_us = disconnect_us;
        }
        for (size_t i = 0; i < HANDLE_FIELD_COUNT; i++) {
            if (parts[i] == FIELD_VALID) {
                contact->has_handle = true;
                contact->handle_s += part_s[i];
            }
        }
        if (contact->has_handle && contact->handle_s > (EVENT_HANDLE_MAX_S))
            item_problems_add(
                problems, "Agent",
                "Agent: the handle time (AgentInteractionDuration + CustomerHoldDuration "
                "+ AfterContactWorkDuration) is %.15g seconds, more than the limit of "
                "%.0f (7 days)",
                contact->handle_s, (double)(EVENT_HANDLE_MAX_S));
        contact->agent = username;
        checked->agent_length = username_length;
        return true;
    }

    contact->outcome = EVENT_OUTCOME_ABANDONED;
    if (dequeued == FIELD_VALID || (dequeued == FIELD_ABSENT && disconnected == FIELD_VALID)) {
        const char *field =
            dequeued == FIELD_VALID ? "Queue.DequeueTimestamp" : "DisconnectTimestamp";
        contact->has_ended = true;
        contact->ended_us = dequeued == FIELD_VALID ? dequeue_us : disconnect_us;
        if (offered == FIELD_VALID && contact->ended_us < contact->offered_us)
            add_order_problem(problems, field, contact->ended_us, "Queue.EnqueueTimestamp",
                              contact->offered_us);
    } else if (dequeued == FIELD_ABSENT && disconnected == FIELD_ABSENT) {
        item_problems_add(problems, "DisconnectTimestamp",
                          "the contact was never connected to an agent (abandoned) and has neither "
                          "Queue.DequeueTimestamp nor DisconnectTimestamp: the wait is needed for "
                          "short abandons, service level and longest wait");
    }
    return true;
}

/* ---- storing good records */

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

/* Appends a good record, its strings copied into the arena. -1 when out of memory. */
static int store_record(struct parser *parser, const struct checked_record *checked)
{
    struct connect_ctr_batch *batch = parser->batch;
    const struct event_contact *borrowed = &checked->record.contact;
    struct connect_ctr_record *record;
    size_t size = checked->id_length + 1 + checked->queue_length + 1;
    char *strings;

    size += borrowed->caller ? checked->caller_length + 1 : 0;
    size += borrowed->agent ? checked->agent_length + 1 : 0;

    if (batch->record_count == parser->record_capacity) {
        size_t capacity = parser->record_capacity ? parser->record_capacity * 2 : 64;
        struct connect_ctr_record *grown = realloc(batch->records, capacity * sizeof *grown);
        if (!grown)
            return -1;
        batch->records = grown;
        parser->record_capacity = capacity;
    }
    strings = arena_alloc(&batch->arena_internal, size);
    if (!strings)
        return -1;
    record = &batch->records[batch->record_count++];
    *record = checked->record;
    record->contact.id = place_string(&strings, borrowed->id, checked->id_length);
    record->contact.queue = place_string(&strings, borrowed->queue, checked->queue_length);
    record->contact.caller = place_string(&strings, borrowed->caller, checked->caller_length);
    record->contact.reason = NULL;
    record->contact.agent = place_string(&strings, borrowed->agent, checked->agent_length);
    return 0;
}

/* Checks one parsed record and stores it, counts it as skipped or records its error.
 * Returns -1 when parsing must stop (out of memory), else 0. */
static int take_record(struct parser *parser, const json_t *value, long index, long line)
{
    struct item_problems problems = {0};
    struct checked_record checked = {0};
    bool is_contact = false;

    if (!json_is_object(value))
        item_problems_add(&problems, "", "the record is %s; each record must be a JSON object",
                          kind_name(value));
    else
        is_contact = check_ctr(value, &problems, &checked);

    if (problems.count > 0) {
        report_problems(parser, index, line, &problems);
        return parser->body_failed ? -1 : 0;
    }
    if (!is_contact) {
        parser->batch->skipped_count++;
        return 0;
    }
    checked.record.index = index;
    checked.record.line = line;
    if (store_record(parser, &checked) != 0)
        return fail_out_of_memory(parser);
    return 0;
}

/* ---- body forms */

/* The end of the record that starts at `start` in a sequence: just after its closing
 * bracket; or, when it is broken, before the line break that ends its line when the next
 * line starts with '{', or before a raw line break inside a string; or the body's end.
 * A record that does not start with a bracket ends with its line. */
static size_t sequence_record_end(const struct parser *parser, size_t start)
{
    const char *body = parser->body;
    size_t length = parser->length, depth = 0;
    bool in_string = false, escaped = false;

    if (body[start] != '{' && body[start] != '[') {
        const char *newline = memchr(body + start, '\n', length - start);
        return newline ? (size_t)(newline - body) : length;
    }
    for (size_t i = start; i < length; i++) {
        char c = body[i];
        if (in_string) {
            if (c == '\n')
                return i;
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '{':
        case '[':
            depth++;
            break;
        case '}':
        case ']':
            if (--depth == 0)
                return i + 1;
            break;
        case '\n':
            if (i + 1 < length && body[i + 1] == '{')
                return i;
            break;
        }
    }
    return length;
}

/* One or more records one after another (NDJSON, Firehose's "}{", or a single object). */
static int parse_sequence(struct parser *parser, size_t offset)
{
    struct position position = {0, 1, 0};
    long index = 0;

    while (offset < parser->length) {
        size_t end = sequence_record_end(parser, offset);
        json_error_t json_error;
        json_t *value;
        int result;

        if (parser->item_count == EVENT_MAX_ITEMS) {
            advance_to(parser, &position, offset);
            return fail_too_many_items(parser, index, position.line);
        }
        parser->item_count++;
        advance_to(parser, &position, offset);
        value = json_loadb(parser->body + offset, end - offset, CTR_LOAD_FLAGS | JSON_DECODE_ANY,
                           &json_error);
        if (value) {
            result = take_record(parser, value, index, position.line);
            json_decref(value);
            if (result != 0)
                return -1;
        } else if (json_error_code(&json_error) == json_error_out_of_memory) {
            return fail_out_of_memory(parser);
        } else {
            char message[sizeof parser->batch->errors[0].message];
            long line, column;
            error_position(&position, &json_error, &line, &column);
            snprintf(message, sizeof message, "invalid JSON at line %ld, column %ld: %s", line,
                     column, describe_json_error(&json_error));
            record_error(parser, index, position.line, "", message);
            if (parser->body_failed)
                return -1;
        }
        index++;
        offset = end;
        while (offset < parser->length && is_json_space(parser->body[offset]))
            offset++;
    }
    return 0;
}

/* A structural error of an array body at `offset`. */
static int fail_array_syntax(struct parser *parser, size_t offset, const char *what)
{
    struct position position = {0, 1, 0};
    char found[16];

    advance_to(parser, &position, offset);
    if (offset >= parser->length)
        return fail_body(parser, -1, -1,
                         "invalid JSON at line %ld, column %ld: %s near end of file", position.line,
                         position.chars_before, what);
    describe_byte((unsigned char)parser->body[offset], found);
    return fail_body(parser, -1, -1, "invalid JSON at line %ld, column %ld: %s, found %s",
                     position.line, position.chars_before + 1, what, found);
}

static size_t skip_space(const struct parser *parser, size_t offset)
{
    while (offset < parser->length && is_json_space(parser->body[offset]))
        offset++;
    return offset;
}

/* The elements of a JSON array, each parsed and freed in turn; `offset` is just after '['. */
static int parse_array(struct parser *parser, size_t offset)
{
    long index = 0;

    offset = skip_space(parser, offset);
    if (offset < parser->length && parser->body[offset] == ']')
        offset = skip_space(parser, offset + 1);
    else
        for (;;) {
            json_error_t json_error;
            json_t *value;
            int result;

            if (index == EVENT_MAX_ITEMS)
                return fail_too_many_items(parser, index, -1);
            if (offset == parser->length)
                return fail_array_syntax(parser, offset, "a record or ']' expected");
            parser->item_count++;
            value =
                json_loadb(parser->body + offset, parser->length - offset,
                           CTR_LOAD_FLAGS | JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &json_error);
            if (!value) {
                struct position position = {0, 1, 0};
                long line, column;
                if (json_error_code(&json_error) == json_error_out_of_memory)
                    return fail_out_of_memory(parser);
                advance_to(parser, &position, offset);
                error_position(&position, &json_error, &line, &column);
                return fail_body(parser, index, -1, "invalid JSON at line %ld, column %ld: %s",
                                 line, column, describe_json_error(&json_error));
            }
            if (json_error.position <= 0 || (size_t)json_error.position > parser->length - offset) {
                json_decref(value);
                return fail_body(parser, index, -1, "record %ld is too large to parse", index);
            }
            offset += (size_t)json_error.position;
            result = take_record(parser, value, index, -1);
            json_decref(value);
            if (result != 0)
                return -1;
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
    if (offset < parser->length)
        return fail_array_syntax(parser, offset, "end of file expected after the array");
    return 0;
}

int connect_ctr_parse_body(struct connect_ctr_batch *batch, const char *body, size_t length)
{
    struct parser parser = {.batch = batch, .body = body ? body : "", .length = body ? length : 0};
    size_t start;
    int result;

    connect_ctr_batch_free(batch);
    /* A UTF-8 byte order mark (Windows tools write one) is not part of the JSON. */
    if (parser.length >= 3 && memcmp(parser.body, "\xEF\xBB\xBF", 3) == 0) {
        parser.body += 3;
        parser.length -= 3;
    }
    start = skip_space(&parser, 0);
    if (start == parser.length) {
        result = fail_body(&parser, -1, -1,
                           "the body is empty; send a contact record (a JSON object), an array "
                           "of them, or records one after another (NDJSON)");
    } else if (parser.body[start] == '[') {
        result = parse_array(&parser, start + 1);
    } else if (parser.body[start] == '{') {
        result = parse_sequence(&parser, start);
    } else {
        struct position position = {0, 1, 0};
        char found[16];
        advance_to(&parser, &position, start);
        describe_byte((unsigned char)parser.body[start], found);
        result = fail_body(&parser, -1, -1,
                           "the body is not JSON contact records: it starts with %s at line %ld, "
                           "column %ld (expected '{' or '[')",
                           found, position.line, position.chars_before + 1);
    }
    if (result != 0 || parser.body_failed) {
        batch->record_count = 0;
        batch->skipped_count = 0;
        return -1;
    }
    return batch->error_count > 0 ? 1 : 0;
}
