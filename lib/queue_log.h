/*
 * queue_log: parses one line of Asterisk's queue_log (app_queue's event log,
 * /var/log/asterisk/queue_log) into a lifecycle event (struct event_lifecycle,
 * lib/event.h), a ring-no-answer, or "other". Owns the mapping from Asterisk's
 * queue events to the API contract's call.offered / call.answered / call.ended
 * and the validation of every field it uses. Pure: no I/O, no allocation; the
 * strings of a record live in a caller-owned scratch buffer, so a line costs
 * one pass over its bytes.
 *
 * Line format: epoch|callid|queuename|agent|event|data1|data2|...
 * (fields 1 to 5, then the event's data fields; the line without its '\n', a
 * trailing '\r' ignored). epoch is whole seconds since 1970 or a fraction such
 * as 1700000000.123456 (exact to the microsecond; further digits truncated).
 *
 * Contacts: one contact is one (callid, queue) pair. A call transferred from
 * queue to queue enters the second queue with a second ENTERQUEUE and the same
 * callid: that is a second contact. The lifecycle id is "<callid>@<queue>".
 *
 * Mapping (every lifecycle event has at_us = the line's epoch):
 *   ENTERQUEUE  url|callerid[|...]               -> call.offered: queue, channel phone,
 *                                                   caller = callerid when not empty
 *   CONNECT     holdtime|bridgeduniqueid[|ringtime] -> call.answered: agent
 *   COMPLETECALLER, COMPLETEAGENT holdtime|calltime|origposition
 *                                                -> call.ended answered, handle_s = calltime
 *   BLINDTRANSFER extension|context|holdtime|calltime|origposition
 *                                                -> call.ended answered, handle_s = calltime
 *   ATTENDEDTRANSFER method|methoddata...|holdtime|calltime|origposition
 *                                                -> call.ended answered, handle_s = calltime.
 *       Rule: at least 4 data fields; the LAST THREE are always holdtime|calltime|origposition
 *       and everything before them is the method and its data, however many fields that is:
 *       BRIDGE|bridgeid and APP|app (5 data fields), LINK|chan|chan (6), and the older form
 *       with the method alone (4).
 *   ABANDON     position|origposition|waittime   -> call.ended abandoned
 *   EXITWITHTIMEOUT, EXITEMPTY position|origposition|waittime
 *                                                -> call.ended timeout
 *   EXITWITHKEY key|position[|origposition|waittime] -> call.ended timeout. The caller pressed
 *       a key to leave (a menu exit to voicemail or a callback): in the KPI definitions that is
 *       the system ending the wait ("exit to voicemail"), so `timeout`, not `abandoned`.
 *   RINGNOANSWER ringtime (milliseconds)          -> QUEUE_LOG_RING_NO_ANSWER (not a contact
 *                                                   event; the daemon counts them)
 *   any other event (AGENTLOGIN, ADDMEMBER, PAUSE, QUEUESTART, CONFIGRELOAD, custom events of
 *   QueueLog(), ...), and any line whose callid is "NONE" (a system event)
 *                                                -> QUEUE_LOG_OTHER, not an error.
 * Fields in [...] are optional (older Asterisk versions do not write them); data fields beyond
 * those listed are ignored (newer versions append some, e.g. ENTERQUEUE's position).
 *
 * Validation (an error names the event, the field and its 1-based number in the line):
 *  - every line: no NUL or '\n' byte; at least the 5 fields up to the event; the event name 1
 *    to QUEUE_LOG_EVENT_MAX_CHARS characters of printable UTF-8; epoch digits with an optional
 *    fraction, within the years 1970 to 9998;
 *  - call events (lifecycle and RINGNOANSWER): the event's required data fields present; callid
 *    and queue not empty; "<callid>@<queue>" at most EVENT_ID_MAX_CHARS characters; queue at
 *    most EVENT_QUEUE_MAX_CHARS, no control characters; agent at most EVENT_AGENT_MAX_CHARS;
 *    caller at most EVENT_CALLER_MAX_CHARS; every string valid UTF-8;
 *  - numbers (holdtime, calltime, waittime, ringtime, positions): decimal digits only, not
 *    negative; times at most 7 days (EVENT_HANDLE_MAX_S; ringtime in milliseconds), positions
 *    at most QUEUE_LOG_POSITION_MAX. Optional numeric fields are checked when present.
 * Other lines are not checked beyond the first list: their data is not used.
 */
#ifndef CCM_QUEUE_LOG_H
#define CCM_QUEUE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "ccm_error.h"
#include "event.h"

#define QUEUE_LOG_EVENT_MAX_CHARS 64
#define QUEUE_LOG_POSITION_MAX    2147483647L /* Asterisk writes positions as an int */
/* The scratch a line of `length` bytes needs (its strings are copied there, each once). */
#define QUEUE_LOG_SCRATCH_SIZE(length) ((size_t)(length) + 64)

enum queue_log_kind {
    QUEUE_LOG_LIFECYCLE = 0,      /* record.event is a call.offered/answered/ended */
    QUEUE_LOG_RING_NO_ANSWER = 1, /* a member was rung and did not answer: record.ring_ms */
    QUEUE_LOG_OTHER = 2,          /* any other event, or a system event (callid "NONE") */
};

/* One parsed line. Strings are NUL-terminated and point into the caller's scratch (or are
 * static); they are valid until the scratch is reused. */
struct queue_log_record {
    enum queue_log_kind kind;
    const char *event_name; /* every kind: the event as written, e.g. "ABANDON", "PAUSE" */
    int64_t at_us;          /* every kind: the line's epoch, microseconds since 1970 (UTC) */
    /* LIFECYCLE and RING_NO_ANSWER (NULL for OTHER): the contact id "<callid>@<queue>", the
     * queue, and the agent field (NULL when empty or "NONE"). */
    const char *id;
    const char *queue;
    const char *agent;
    /* LIFECYCLE only (zeroed otherwise): the event with the fields the API contract gives its
     * type: id and at_us always; queue, channel (phone) and caller (NULL when empty) for
     * call.offered; agent for call.answered; outcome and handle_s (when known) for
     * call.ended; first_contact_resolved is always EVENT_RESOLUTION_UNKNOWN. */
    struct event_lifecycle event;
    long ring_ms; /* RING_NO_ANSWER only: how long the member was rung, in milliseconds */
};

/*
 * Parse one queue_log line of `length` bytes (no NUL needed; without its '\n'; a trailing
 * '\r' is ignored). `scratch` must hold QUEUE_LOG_SCRATCH_SIZE(length) bytes. Returns 0 with
 * `record` filled, or -1 with error->message saying what is wrong and where (record is then
 * zeroed). Never reads outside `line`, never allocates.
 */
int queue_log_parse_line(const char *line, size_t length, char *scratch, size_t scratch_size,
                         struct queue_log_record *record, struct ccm_error *error);

/* "lifecycle", "ring_no_answer", "other"; NULL for a value outside the enum. */
const char *queue_log_kind_name(enum queue_log_kind kind);

#endif
