/*
 * ingest: validation of POST /v1/events bodies (lib/event) and the group
 * commit into PostgreSQL (see ingest.h). Per transaction and tenant, one
 * statement calls ccm_ingest_calls() with the call records of every waiting
 * request of that tenant as parallel arrays, and one ccm_ingest_lifecycle()
 * with their lifecycle events (ingest_arrays.h); each answers with an
 * inserted mask that says, position by position, which items were new, so each
 * request gets its own accepted/duplicates counts.
 */
#include "ingest.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alert_eval.h"
#include "api.h"
#include "calendar.h"
#include "db.h"
#include "event.h"
#include "http.h"
#include "ingest_arrays.h"
#include "item_errors.h"
#include "live.h"
#include "log.h"
#include "server.h"
#include "tenant.h"
#include "text_buffer.h"
#include "tz.h"

#define INGEST_TRANSACTIONS     2 /* in flight at once; the writer pool has as many connections */
#define INGEST_MAX_GROUPS       8 /* tenants per transaction (two statements each) */
#define INGEST_MAX_ATTEMPTS     3
#define INGEST_MIN_OVERLAP_ROWS 64 /* rows that justify a second transaction in flight */

struct ingest_request {
    struct http_call *call;
    const struct tenant *tenant;
    struct event_batch batch;
    size_t accepted;
    size_t duplicates;
    bool alone;         /* a shared transaction failed: retry this request in one of its own */
    json_t *reply_more; /* more keys of the 200 answer (a source's own counts), or NULL */
    struct ingest_request *next;
};

/* The requests of one tenant inside the transaction in flight. */
struct ingest_tenant_group {
    const struct tenant *tenant;
    struct ingest_request **members; /* in the order of their items in the arrays */
    size_t member_count;
    size_t member_capacity;
    struct ingest_contact_arrays contacts;
    struct ingest_lifecycle_arrays lifecycle;
    int contacts_statement; /* index in the transaction's statements, or -1 */
    int lifecycle_statement;
};

/* One transaction: while one commits (fsync), the next can already execute
 * on the second writer connection. Aggregate rows are locked in one order by
 * every transaction (ORDER BY in ccm_intervals_accumulate), and a deadlock or
 * serialization failure (possible only between concurrent duplicates) is
 * retried, so the overlap never fails a request. */
struct ingest_transaction {
    struct ingest *ingest;
    bool in_flight;
    int attempts;
    struct ingest_tenant_group groups[INGEST_MAX_GROUPS];
    int group_count;
    struct db_statement statements[INGEST_MAX_GROUPS * 2]; /* cleared on every flush */
    int statement_count;
};
_Static_assert(INGEST_MAX_GROUPS * 2 <= DB_MAX_STATEMENTS, "a transaction is one request");

struct ingest {
    struct server *server;
    struct ingest_request *waiting_head;
    struct ingest_request *waiting_tail;
    size_t waiting_count;
    size_t waiting_rows;
    struct ingest_transaction transactions[INGEST_TRANSACTIONS];
    struct ingest_stats stats;
};

struct ingest *ingest_new(struct server *server)
{
    struct ingest *ingest = calloc(1, sizeof *ingest);
    if (!ingest)
        return NULL;
    ingest->server = server;
    for (int t = 0; t < INGEST_TRANSACTIONS; t++) {
        ingest->transactions[t].ingest = ingest;
        for (int g = 0; g < INGEST_MAX_GROUPS; g++) {
            ingest_contact_arrays_init(&ingest->transactions[t].groups[g].contacts);
            ingest_lifecycle_arrays_init(&ingest->transactions[t].groups[g].lifecycle);
        }
    }
    return ingest;
}

static void ingest_request_free(struct ingest_request *request)
{
    event_batch_free(&request->batch);
    json_decref(request->reply_more);
    free(request);
}

void ingest_free(struct ingest *ingest)
{
    struct ingest_request *request;
    if (!ingest)
        return;
    while ((request = ingest->waiting_head) != NULL) {
        ingest->waiting_head = request->next;
        http_reply_error(request->call, 503, "shutting_down",
                         "the daemon is shutting down; nothing was stored", NULL);
        ingest_request_free(request);
    }
    for (int t = 0; t < INGEST_TRANSACTIONS; t++) {
        for (int g = 0; g < INGEST_MAX_GROUPS; g++) {
            ingest_contact_arrays_free(&ingest->transactions[t].groups[g].contacts);
            ingest_lifecycle_arrays_free(&ingest->transactions[t].groups[g].lifecycle);
            free(ingest->transactions[t].groups[g].members);
        }
    }
    free(ingest);
}

size_t ingest_pending(const struct ingest *ingest)
{
    size_t pending = ingest->waiting_count;
    for (int t = 0; t < INGEST_TRANSACTIONS; t++)
        for (int g = 0; g < ingest->transactions[t].group_count; g++)
            pending += ingest->transactions[t].groups[g].member_count;
    return pending;
}

const struct ingest_stats *ingest_get_stats(const struct ingest *ingest)
{
    return &ingest->stats;
}

/* Items of a request: call records and lifecycle events. */
static size_t ingest_request_items(const struct ingest_request *request)
{
    return request->batch.contact_count + request->batch.lifecycle_count;
}

static void ingest_flush(struct ingest *ingest);
static void ingest_enqueue(struct ingest *ingest, struct ingest_request *request);

static void ingest_finish_group(struct ingest *ingest, struct ingest_tenant_group *group,
                                const struct db_result *result, bool stored)
{
    for (size_t m = 0; m < group->member_count; m++) {
        struct ingest_request *request = group->members[m];
        if (stored) {
            json_t *body = json_pack("{s:I, s:I}", "accepted", (json_int_t)request->accepted,
                                     "duplicates", (json_int_t)request->duplicates);
            if (request->reply_more)
                json_object_update(body, request->reply_more);
            ingest->stats.contacts_accepted += request->accepted;
            ingest->stats.contacts_duplicate += request->duplicates;
            http_reply_json(request->call, 200, body);
        } else {
            ingest->stats.requests_failed++;
            ingest_reply_failure(request->call, result, "events");
        }
        ingest_request_free(request);
    }
    group->member_count = 0;
}

static size_t ingest_transaction_requests(const struct ingest_transaction *transaction)
{
    size_t requests = 0;
    for (int g = 0; g < transaction->group_count; g++)
        requests += transaction->groups[g].member_count;
    return requests;
}

/* Put the requests of a failed shared transaction back at the head of the
 * queue, in their order, each to be stored alone. */
static void ingest_requeue_alone(struct ingest *ingest, struct ingest_transaction *transaction)
{
    struct ingest_request *head = NULL, *last = NULL;
    for (int g = 0; g < transaction->group_count; g++) {
        struct ingest_tenant_group *group = &transaction->groups[g];
        for (size_t m = 0; m < group->member_count; m++) {
            struct ingest_request *request = group->members[m];
            request->alone = true;
            request->accepted = request->duplicates = 0;
            request->next = NULL;
            if (last)
                last->next = request;
            else
                head = request;
            last = request;
            ingest->waiting_count++;
            ingest->waiting_rows += ingest_request_items(request);
        }
        group->member_count = 0;
    }
    if (!head)
        return;
    last->next = ingest->waiting_head;
    if (!ingest->waiting_head)
        ingest->waiting_tail = last;
    ingest->waiting_head = head;
}

static bool ingest_should_retry(const struct db_result *result, int attempts)
{
    return !result->ok && !result->connection_failed && attempts < INGEST_MAX_ATTEMPTS &&
           result->sqlstate &&
           (strcmp(result->sqlstate, "40P01") == 0 || strcmp(result->sqlstate, "40001") == 0);
}

/* The inserted mask of a statement's one-row answer (column "inserted_mask"): one '1'
 * (new) or '0' (already stored) per item, in array order, and its length. NULL when the
 * answer is not that. */
static const char *ingest_result_mask(const struct db_result *result, int statement, size_t *length)
{
    PGresult *answer;
    int column;
    if (statement >= result->result_count)
        return NULL;
    answer = result->results[statement];
    column = PQfnumber(answer, "inserted_mask");
    if (PQntuples(answer) != 1 || column < 0)
        return NULL;
    *length = (size_t)PQgetlength(answer, 0, column);
    return PQgetvalue(answer, 0, column);
}

/* Counts `count` positions of the mask from *position into the request's answer (the
 * mask's length given, not measured: a group may have thousands of members). */
static void ingest_count_mask(struct ingest_request *request, const char *mask, size_t mask_length,
                              size_t *position, size_t count)
{
    for (size_t i = 0; i < count; i++, (*position)++) {
        if (*position < mask_length && mask[*position] == '1')
            request->accepted++;
        else
            request->duplicates++;
    }
}

static void ingest_on_committed(const struct db_result *result, void *user_data)
{
    struct ingest_transaction *transaction = user_data;
    struct ingest *ingest = transaction->ingest;

    if (ingest_should_retry(result, transaction->attempts)) {
        log_warn("ingest.retry", "sqlstate=%s attempt=%d", result->sqlstate,
                 transaction->attempts + 1);
        transaction->attempts++;
        if (db_pool_submit(ingest->server->writer, transaction->statements,
                           transaction->statement_count, ingest_on_committed, transaction) == 0)
            return;
    }
    if (!result->ok && !result->connection_failed && ingest_transaction_requests(transaction) > 1) {
        /* Validation happened before queueing, so this should not happen; if
         * it does, one request's rows must not fail the others: each is
         * tried again in a transaction of its own. */
        log_warn("ingest.isolating", "sqlstate=%s requests=%zu",
                 result->sqlstate ? result->sqlstate : "",
                 ingest_transaction_requests(transaction));
        ingest_requeue_alone(ingest, transaction);
        transaction->group_count = 0;
        transaction->in_flight = false;
        ingest_flush(ingest);
        return;
    }
    if (!result->ok) {
        char quoted[400];
        log_error("ingest.transaction_failed", "sqlstate=%s connection_failed=%d error=\"%s\"",
                  result->sqlstate ? result->sqlstate : "", result->connection_failed,
                  log_quote(result->error, quoted, sizeof quoted));
    } else {
        ingest->stats.transactions++;
    }
    for (int g = 0; g < transaction->group_count; g++) {
        struct ingest_tenant_group *group = &transaction->groups[g];
        const char *contacts_mask = NULL, *lifecycle_mask = NULL;
        size_t contacts_mask_length = 0, lifecycle_mask_length = 0;
        bool answered = result->ok;
        if (result->ok && group->contacts_statement >= 0) {
            contacts_mask =
                ingest_result_mask(result, group->contacts_statement, &contacts_mask_length);
            answered &= contacts_mask != NULL;
        }
        if (result->ok && group->lifecycle_statement >= 0) {
            lifecycle_mask =
                ingest_result_mask(result, group->lifecycle_statement, &lifecycle_mask_length);
            answered &= lifecycle_mask != NULL;
        }
        if (answered) {
            size_t contact_position = 0, lifecycle_position = 0;
            for (size_t m = 0; m < group->member_count; m++) {
                struct ingest_request *request = group->members[m];
                ingest_count_mask(request, contacts_mask, contacts_mask_length, &contact_position,
                                  request->batch.contact_count);
                ingest_count_mask(request, lifecycle_mask, lifecycle_mask_length,
                                  &lifecycle_position, request->batch.lifecycle_count);
            }
            ingest_contacts_changed(ingest->server, group->tenant);
        }
        ingest_finish_group(ingest, group, result, answered);
    }
    transaction->group_count = 0;
    transaction->in_flight = false;
    if (ingest->waiting_head)
        ingest_flush(ingest);
}

static struct ingest_tenant_group *ingest_group_for(struct ingest_transaction *transaction,
                                                    const struct tenant *tenant)
{
    struct ingest_tenant_group *group;
    for (int g = 0; g < transaction->group_count; g++)
        if (transaction->groups[g].tenant == tenant)
            return &transaction->groups[g];
    if (transaction->group_count == INGEST_MAX_GROUPS)
        return NULL;
    group = &transaction->groups[transaction->group_count++];
    group->tenant = tenant;
    group->member_count = 0;
    ingest_contact_arrays_begin(&group->contacts);
    ingest_lifecycle_arrays_begin(&group->lifecycle);
    return group;
}

static bool ingest_group_add(struct ingest_tenant_group *group, struct ingest_request *request)
{
    if (group->member_count == group->member_capacity) {
        size_t capacity = group->member_capacity ? group->member_capacity * 2 : 16;
        struct ingest_request **grown = realloc(group->members, capacity * sizeof *grown);
        if (!grown)
            return false;
        group->members = grown;
        group->member_capacity = capacity;
    }
    group->members[group->member_count++] = request;
    for (size_t i = 0; i < request->batch.contact_count; i++)
        ingest_contact_arrays_add(&group->contacts, group->tenant, &request->batch.contacts[i], -1);
    for (size_t i = 0; i < request->batch.lifecycle_count; i++)
        ingest_lifecycle_arrays_add(&group->lifecycle, group->tenant, &request->batch.lifecycle[i]);
    return true;
}

/* Start a transaction with everything waiting (up to ingest_max_rows), when a
 * transaction slot is free. */
static void ingest_flush(struct ingest *ingest)
{
    struct ingest_transaction *transaction = NULL;
    int busy = 0;
    size_t rows = 0;
    size_t max_rows = (size_t)ingest->server->config->ingest_max_rows;
    bool failed = false;

    for (int t = 0; t < INGEST_TRANSACTIONS; t++) {
        if (ingest->transactions[t].in_flight)
            busy++;
        else if (!transaction)
            transaction = &ingest->transactions[t];
    }
    if (!transaction || !ingest->waiting_head)
        return;
    /* While a transaction is in flight, start the next one only once it has
     * enough to carry: a commit per handful of rows costs more PostgreSQL CPU
     * than waiting a moment (the first commit's reply releases it anyway). */
    if (busy > 0 && ingest->waiting_rows < INGEST_MIN_OVERLAP_ROWS)
        return;
    transaction->group_count = 0;
    transaction->attempts = 1;
    while (ingest->waiting_head) {
        struct ingest_request *request = ingest->waiting_head;
        struct ingest_tenant_group *group;
        if (rows > 0 && (request->alone || rows + ingest_request_items(request) > max_rows))
            break;
        group = ingest_group_for(transaction, request->tenant);
        if (!group)
            break;
        ingest->waiting_head = request->next;
        if (!ingest->waiting_head)
            ingest->waiting_tail = NULL;
        ingest->waiting_count--;
        ingest->waiting_rows -= ingest_request_items(request);
        rows += ingest_request_items(request);
        request->next = NULL;
        if (!ingest_group_add(group, request)) {
            http_reply_error(request->call, 503, "out_of_memory",
                             "out of memory; nothing was stored", NULL);
            ingest_request_free(request);
        }
        if (request->alone)
            break;
    }

    memset(transaction->statements, 0, sizeof transaction->statements);
    transaction->statement_count = 0;
    for (int g = 0; g < transaction->group_count; g++) {
        struct ingest_tenant_group *group = &transaction->groups[g];
        group->contacts_statement = group->lifecycle_statement = -1;
        if (group->contacts.count > 0) {
            group->contacts_statement = transaction->statement_count++;
            failed |= !ingest_contact_arrays_statement(
                &group->contacts, group->tenant, 0,
                &transaction->statements[group->contacts_statement]);
        }
        if (group->lifecycle.count > 0) {
            group->lifecycle_statement = transaction->statement_count++;
            failed |= !ingest_lifecycle_arrays_statement(
                &group->lifecycle, group->tenant,
                &transaction->statements[group->lifecycle_statement]);
        }
    }
    if (transaction->statement_count == 0)
        return;
    transaction->in_flight = true;
    if (failed ||
        db_pool_submit(ingest->server->writer, transaction->statements,
                       transaction->statement_count, ingest_on_committed, transaction) != 0) {
        struct db_result result;
        memset(&result, 0, sizeof result);
        result.error = "out of memory";
        result.sqlstate = "";
        ingest_on_committed(&result, transaction);
    }
}

void ingest_reply_failure(struct http_call *call, const struct db_result *result, const char *what)
{
    char message[160];
    snprintf(message, sizeof message, "the %s could not be stored; nothing was stored", what);
    http_reply_db_failure(call, result, "storage_failed", message);
}

void ingest_contacts_changed(struct server *server, const struct tenant *tenant)
{
    live_tenant_changed(server->live, tenant);
    alert_evaluator_wake(server->alerts);
}

int ingest_body(struct http_call *call, const char **body, size_t *length,
                enum event_body_format *format)
{
    size_t limit = call->server->config->max_body_bytes;
    const char *content_type = http_content_type(call);
    char message[160];

    *body = http_body(call, length);
    if (*length > limit) {
        snprintf(message, sizeof message,
                 "the body is %zu bytes; the limit is %zu bytes: split it into several requests",
                 *length, limit);
        http_reply_error(call, 413, "body_too_large", message, NULL);
        return -1;
    }
    if (call->server->shutting_down) {
        http_reply_error(call, 503, "shutting_down", "the daemon is shutting down", NULL);
        return -1;
    }
    *format = item_errors_body_format(content_type);
    return 0;
}

void api_events_post(struct http_call *call)
{
    struct ingest *ingest = call->server->ingest;
    struct ingest_request *request;
    size_t length;
    const char *body;
    enum event_body_format format;
    char message[300];
    int rc;

    ingest->stats.requests++;
    if (ingest_body(call, &body, &length, &format)) {
        ingest->stats.requests_rejected++;
        return;
    }

    request = calloc(1, sizeof *request);
    if (!request) {
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
        return;
    }
    request->call = call;
    request->tenant = call->tenant;
    event_batch_init(&request->batch);
    rc = event_parse_body(&request->batch, body, length, format);
    if (rc != 0) {
        int status = request->batch.too_many_items ? 413 : (rc < 0 ? 400 : 422);
        const char *code = request->batch.too_many_items ? "too_many_items"
                           : rc < 0                      ? "bad_body"
                                                         : "invalid_events";
        ingest->stats.requests_rejected++;
        if (request->batch.too_many_items)
            snprintf(message, sizeof message,
                     "a request may carry at most %d events; split it; nothing was stored",
                     EVENT_MAX_ITEMS);
        else if (rc < 0 && request->batch.error_count > 0)
            snprintf(message, sizeof message, "the body cannot be read: %.200s; nothing was stored",
                     request->batch.errors[0].message);
        else
            snprintf(message, sizeof message,
                     "%zu item%s invalid; nothing was stored (details list up to %d)",
                     request->batch.error_count, request->batch.error_count == 1 ? " is" : "s are",
                     EVENT_MAX_ERRORS);
        http_reply_error(
            call, status, code, message,
            item_errors_json(request->batch.errors, request->batch.error_count, EVENT_MAX_ERRORS));
        ingest_request_free(request);
        return;
    }
    ingest_enqueue(ingest, request);
}

/* Queues a request for the next group commit (answers at once when it is empty). */
static void ingest_enqueue(struct ingest *ingest, struct ingest_request *request)
{
    if (ingest_request_items(request) == 0) {
        json_t *body = json_pack("{s:i, s:i}", "accepted", 0, "duplicates", 0);
        if (request->reply_more)
            json_object_update(body, request->reply_more);
        http_reply_json(request->call, 200, body);
        ingest_request_free(request);
        return;
    }
    if (ingest->waiting_tail)
        ingest->waiting_tail->next = request;
    else
        ingest->waiting_head = request;
    ingest->waiting_tail = request;
    ingest->waiting_count++;
    ingest->waiting_rows += ingest_request_items(request);
    ingest_flush(ingest);
}

void ingest_submit(struct http_call *call, struct event_batch *batch, json_t *reply_more)
{
    struct ingest *ingest = call->server->ingest;
    struct ingest_request *request = calloc(1, sizeof *request);

    if (!request) {
        event_batch_free(batch);
        json_decref(reply_more);
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
        return;
    }
    if (call->server->shutting_down) {
        event_batch_free(batch);
        json_decref(reply_more);
        free(request);
        http_reply_error(call, 503, "shutting_down", "the daemon is shutting down", NULL);
        return;
    }
    ingest->stats.requests++;
    request->call = call;
    request->tenant = call->tenant;
    request->batch = *batch; /* moved */
    event_batch_init(batch);
    request->reply_more = reply_more;
    ingest_enqueue(ingest, request);
}
