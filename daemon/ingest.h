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
const struct ingest_stats *ingest_get_stats(const struct ingest *ingest);

#endif
