/*
 * event: parses and validates an ingest request body (POST /v1/events) into
 * contact records, or into a list of per-item errors. Owns struct event_batch:
 * the records and every string they point to live in one arena owned by the
 * batch, so a request costs a handful of allocations, not one per field.
 *
 * Body forms (API contract): one JSON object, a JSON array of objects, or
 * NDJSON (one object a line; blank lines skipped). Errors name the item by
 * `index` (0-based, object/array bodies) or `line` (1-based, NDJSON), the
 * field, and why.
 */
#ifndef CCM_EVENT_H
#define CCM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccm_error.h"

#define EVENT_ID_MAX_CHARS     128
#define EVENT_QUEUE_MAX_CHARS  128
#define EVENT_CALLER_MAX_CHARS 256
#define EVENT_REASON_MAX_CHARS 256
#define EVENT_AGENT_MAX_CHARS  128
#define EVENT_HANDLE_MAX_S     (86400.0 * 7) /* a week: anything longer is a unit mistake */
#define EVENT_MAX_ITEMS        20000         /* per request */
#define EVENT_MAX_ERRORS       100           /* errors listed per request (the count is exact) */
/* Accepted instants: 1970-01-01T00:00:00Z to 9998-12-31T23:59:59.999999Z. */
#define EVENT_INSTANT_MIN_US INT64_C(0)
#define EVENT_INSTANT_MAX_US INT64_C(253370764799999999)

enum event_channel {
    EVENT_CHANNEL_PHONE = 0,
    EVENT_CHANNEL_FACE_TO_FACE = 1,
    EVENT_CHANNEL_WEBCHAT = 2,
    EVENT_CHANNEL_EMAIL = 3,
    EVENT_CHANNEL_SOCIAL = 4,
    EVENT_CHANNEL_WEBFORM = 5,
};
#define EVENT_CHANNEL_COUNT 6

enum event_outcome {
    EVENT_OUTCOME_ANSWERED = 1,
    EVENT_OUTCOME_ABANDONED = 2,
    EVENT_OUTCOME_TIMEOUT = 3,
    EVENT_OUTCOME_REFUSED = 4,
};

enum event_type {
    EVENT_TYPE_CALL = 0,         /* a complete call record (default) */
    EVENT_TYPE_CALL_OFFERED = 1, /* lifecycle events: see struct event_lifecycle */
    EVENT_TYPE_CALL_ANSWERED = 2,
    EVENT_TYPE_CALL_ENDED = 3,
};

/* Tri-state for first_contact_resolved. */
enum event_resolution {
    EVENT_RESOLUTION_UNKNOWN = -1,
    EVENT_RESOLUTION_NO = 0,
    EVENT_RESOLUTION_YES = 1,
};

/* One validated contact record. Strings are NUL-terminated, owned by the batch;
 * optional strings are NULL when absent. */
struct event_contact {
    const char *id;
    const char *queue;
    enum event_channel channel;
    enum event_outcome outcome;
    int64_t offered_us;
    int64_t answered_us; /* valid when has_answered */
    int64_t ended_us;    /* valid when has_ended */
    bool has_answered;
    bool has_ended;
    bool has_handle;
    double handle_s; /* valid when has_handle; >= 0 */
    enum event_resolution first_contact_resolved;
    const char *caller; /* raw caller identity: the daemon pseudonymises it before storage */
    const char *reason;
    const char *agent;
};

/* One lifecycle event (API contract: call.offered, call.answered, call.ended).
 * The daemon assembles the events of one id into a contact. Strings are
 * NUL-terminated, owned by whoever owns the event (the batch, for parsed
 * bodies); optional ones are NULL when absent. */
struct event_lifecycle {
    enum event_type type; /* EVENT_TYPE_CALL_OFFERED, _ANSWERED or _ENDED */
    const char *id;       /* the call's id, as in a call record */
    int64_t at_us;        /* when it happened, microseconds since the Unix epoch (UTC) */
    /* call.offered */
    const char *queue; /* required for call.offered, NULL otherwise */
    enum event_channel channel;
    const char *caller; /* optional; pseudonymised by the daemon before storage */
    /* call.answered */
    const char *agent; /* optional */
    /* call.ended: all optional */
    int outcome; /* an enum event_outcome, or 0 when the event does not say */
    bool has_handle;
    double handle_s;
    enum event_resolution first_contact_resolved;
};

struct event_item_error {
    long index;     /* 0-based item index, or -1 when the body is NDJSON */
    long line;      /* 1-based NDJSON line, or -1 when the body is an object/array */
    char field[48]; /* "" when the error is about the whole item or body */
    char message[200];
};

enum event_body_format {
    EVENT_BODY_JSON = 0, /* object or array (decided by the first non-space byte) */
    EVENT_BODY_NDJSON = 1,
};

struct event_batch {
    struct event_contact *contacts;
    size_t contact_count;
    struct event_lifecycle *lifecycle; /* in body order, like contacts */
    size_t lifecycle_count;
    struct event_item_error *errors; /* at most EVENT_MAX_ERRORS listed */
    size_t error_count;              /* exact number of bad items (may exceed the listed ones) */
    bool too_many_items;             /* more than EVENT_MAX_ITEMS: nothing else reported */
    void *arena_internal;            /* private: the string arena */
};

void event_batch_init(struct event_batch *batch);
void event_batch_free(struct event_batch *batch);

/*
 * Parse `length` bytes (no NUL needed). Returns 0 when every item is valid
 * (batch->contacts filled, error_count 0), 1 when one or more items are invalid
 * (batch->errors filled; contacts must not be stored), -1 on a body-level
 * failure the caller reports as one error (e.g. not JSON at all, empty body):
 * that error is also added to batch->errors so callers can treat 1 and -1 alike.
 * Never crashes or leaks on any input.
 */
int event_parse_body(struct event_batch *batch, const char *body, size_t length,
                     enum event_body_format format);

/* The same as event_parse_body with every item parsed by jansson, none by the
 * flat-record fast path: the reference the fast path is tested against. */
int event_parse_body_reference(struct event_batch *batch, const char *body, size_t length,
                               enum event_body_format format);

/* Appends a lifecycle event that is already valid (another parser's output, e.g. the
 * Asterisk queue_log's), its strings copied into the batch. 0, or -1 when out of memory. */
int event_batch_add_lifecycle(struct event_batch *batch, const struct event_lifecycle *event);

/* The channel names, for messages: "channel must be " EVENT_CHANNEL_CHOICES. */
#define EVENT_CHANNEL_CHOICES "phone, face_to_face, webchat, email, social or webform"

/* Names <-> enums ("phone", "answered", ...); -1 when unknown. */
int event_channel_from_name(const char *name);
/*
 * True when a caller identity is a withheld-number marker, not a caller: "anonymous",
 * "unknown", "unavailable", "restricted", "private", "withheld", "blocked" (any case,
 * as PBXs write them for a hidden number). Such a contact has no known caller;
 * pseudonymised, every withheld call would be one caller ringing again and again
 * (repeat_fcr_pct, the abandoned-call recovery list).
 */
bool event_caller_is_withheld(const char *caller);
const char *event_channel_name(enum event_channel channel);
int event_outcome_from_name(const char *name);
const char *event_outcome_name(enum event_outcome outcome);

#endif
