/*
 * connect_ctr: parses Amazon Connect contact records (contact trace records, CTRs; the
 * body of POST /v1/ingest/amazon-connect) into complete call records (struct
 * event_contact) that obey the same rules as records sent to POST /v1/events. Owns
 * struct connect_ctr_batch: the records and every string they point to live in the
 * batch. Pure: no I/O.
 *
 * Body forms: one CTR object, a JSON array of them, or CTR objects one after another
 * as Kinesis Firehose writes them to S3 (one a line, NDJSON, or back to back with no
 * separator, "}{"). The form is decided by the first byte that is not white space:
 * '[' is an array, '{' a sequence of one or more objects.
 *
 * Unlike lib/event, errors are per record: a bad record is reported and parsing goes on,
 * so the caller can store the good records and report the bad ones. In a sequence, even
 * a record that is not JSON is one record's error: the next record starts after the
 * bad one's closing bracket or, when its brackets do not balance (a truncated record),
 * at the next line that starts with '{' (see connect_ctr.c). Array bodies have no such
 * recovery: a syntax error in an array is a body-level error.
 *
 * Mapping (fields of the AWS "contact records data model"):
 *   id          ContactId (required, 1..EVENT_ID_MAX_CHARS characters)
 *   queue       Queue.Name. A CTR with no Queue, no Queue.Name or no
 *               Queue.EnqueueTimestamp never waited in a queue (IVR only, outbound,
 *               ...): it is skipped ("not_a_contact"), not an error
 *   offered_at  Queue.EnqueueTimestamp
 *   outcome     answered when Agent.ConnectedToAgentTimestamp is set (answered_at),
 *               else abandoned
 *   ended_at    answered: DisconnectTimestamp, omitted when absent or before
 *               answered_at; abandoned: Queue.DequeueTimestamp, else DisconnectTimestamp
 *               (one of them is required)
 *   handle_s    answered only: the sum of the present ones of Agent.AgentInteraction-
 *               Duration, .CustomerHoldDuration, .AfterContactWorkDuration; absent
 *               when none is present
 *   channel     Channel (required): VOICE phone, CHAT webchat, EMAIL email, TASK
 *               webform (a task is work raised by a form, an API call or a flow);
 *               any other value is an error
 *   caller      CustomerEndpoint.Address when not empty (whatever its Type)
 *   agent       Agent.Username, answered contacts only (an agent who missed a
 *               contact did not handle it)
 *   first_contact_resolved  unknown (CTRs do not carry it)
 *   version_us  LastUpdateTimestamp, else DisconnectTimestamp, else 0: CTRs are
 *               delivered at least once and updated; of several records with one
 *               ContactId the caller keeps the newest
 * ContactId is checked on every CTR, skipped or not (an object that is not a CTR at all
 * is an error, not a skipped CTR), and so are Queue, Queue.Name and
 * Queue.EnqueueTimestamp when present: a present but invalid value is an error even
 * where its absence would make the CTR skipped.
 * Other fields (PreviousContactId, Attributes, Recording, ...) are ignored, as are
 * fields added to the data model later. Timestamps are RFC 3339 (ISO 8601 with an
 * offset, e.g. "2026-03-02T09:00:00Z" or "2026-03-02T09:00:00.123Z"); durations are
 * seconds (a non-negative number, at most EVENT_HANDLE_MAX_S each and in sum).
 */
#ifndef CCM_CONNECT_CTR_H
#define CCM_CONNECT_CTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* The reason a skipped CTR is not stored, for the caller's answer. */
#define CONNECT_CTR_SKIP_NOT_A_CONTACT "not_a_contact"

struct connect_ctr_record {
    struct event_contact contact; /* valid under lib/event's rules for a call record */
    int64_t version_us;           /* LastUpdateTimestamp, else DisconnectTimestamp, else 0 */
    long index;                   /* 0-based position of the CTR in the body */
    long line;                    /* 1-based line it starts on; -1 in an array body */
};

struct connect_ctr_batch {
    struct connect_ctr_record *records; /* the good contacts, in body order */
    size_t record_count;
    size_t skipped_count; /* good CTRs that are not contacts (CONNECT_CTR_SKIP_NOT_A_CONTACT) */
    /* One entry per bad record, at most EVENT_MAX_ERRORS listed. `index` is the record's
     * 0-based position in the body; `line` the 1-based line it starts on, or -1 in an
     * array body; `field` the path of the first bad field ("Queue.EnqueueTimestamp"),
     * "" when the error is about the whole record or body. */
    struct event_item_error *errors;
    size_t error_count;   /* exact number of bad records (may exceed the listed ones) */
    bool too_many_items;  /* more than EVENT_MAX_ITEMS records: nothing else reported */
    void *arena_internal; /* private: the string arena */
};

void connect_ctr_batch_init(struct connect_ctr_batch *batch);
/* Frees everything the batch owns and leaves it initialised (reusable). */
void connect_ctr_batch_free(struct connect_ctr_batch *batch);

/*
 * Parse `length` bytes (no NUL needed; a UTF-8 byte order mark is skipped). Returns
 *   0  every record is good: batch->records (and skipped_count) filled, no errors;
 *   1  one or more records are bad (batch->errors); the good ones are in
 *      batch->records all the same, for the caller to store or not;
 *  -1  a body-level failure (empty, not JSON, a broken array, more than EVENT_MAX_ITEMS
 *      records, out of memory): one error in batch->errors, no records, none skipped.
 * Any previous contents of the batch are freed first. Never crashes, leaks or takes
 * more than linear time on any input; memory is proportional to the body.
 */
int connect_ctr_parse_body(struct connect_ctr_batch *batch, const char *body, size_t length);

#endif
