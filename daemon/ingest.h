/*
 * ingest: POST /v1/events and the group-commit writer behind it. Owns struct
 * ingest: the queue of validated requests waiting for the next transaction.
 * One transaction is in flight at a time on the writer connection; everything
 * that arrives meanwhile goes into the next one (group commit), so small
 * requests share an fsync. Each request is answered when the COMMIT of its
 * transaction has returned: 200 means durably stored.
 */
#ifndef CCM_INGEST_H
#define CCM_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "event.h"

struct http_call;
struct server;
struct ingest;

struct ingest_stats {
    uint64_t requests;
    uint64_t contacts_accepted;
    uint64_t contacts_duplicate;
    uint64_t transactions;
    uint64_t requests_rejected;
    uint64_t requests_failed;
};

struct ingest *ingest_new(struct server *server);
void ingest_free(struct ingest *ingest);

struct http_call;
struct event_batch;

/* Stores a batch another source parsed (e.g. Asterisk queue_log lines) through the
 * group commit, and answers the call: 200 {"accepted", "duplicates"} plus the keys of
 * reply_more (stolen, may be NULL) once committed. The batch is moved (left empty). */
void ingest_submit(struct http_call *call, struct event_batch *batch, json_t *reply_more);

/* Requests waiting or in flight (for a graceful shutdown). */
size_t ingest_pending(const struct ingest *ingest);

/* Contacts of a tenant were committed (any source: events, a PBX's records, a followed
 * file): the live view refreshes and the alert evaluator passes soon. */
struct tenant;
void ingest_contacts_changed(struct server *server, const struct tenant *tenant);

/* Shared by every ingest endpoint (events, surveys, enquiries). */
struct db_result;
/* The body and its format (NDJSON by Content-Type, else JSON); replies (413 over the
 * body limit, 503 while shutting down) and returns -1 when it cannot be taken. */
int ingest_body(struct http_call *call, const char **body, size_t *length,
                enum event_body_format *format);
/* Answers a failed store: 503 with Retry-After when retrying can help (database down,
 * out of disk or another resource), else 500; `what` names the items ("events"). */
void ingest_reply_failure(struct http_call *call, const struct db_result *result, const char *what);
const struct ingest_stats *ingest_get_stats(const struct ingest *ingest);

#endif
