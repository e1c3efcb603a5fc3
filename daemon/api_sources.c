/*
 * api_sources: ingest from real PBX formats over HTTP.
 *
 * POST /v1/ingest/asterisk-queue-log: Asterisk queue_log lines (text body),
 * parsed by lib/queue_log into lifecycle events and stored through the group
 * commit like POST /v1/events. A PBX forwarder must not be stuck on one bad
 * line, so malformed lines are skipped and reported (line number and why) in
 * the 200 answer, with the counts of other events and ring-no-answers; only a
 * body with no valid line at all is refused (422).
 *
 * POST /v1/ingest/amazon-connect: Amazon Connect contact trace records (one,
 * an array, or a Kinesis Firehose delivery), parsed by lib/connect_ctr into
 * complete contacts with a version (LastUpdateTimestamp). They are stored by
 * ccm_contacts_put (origin 2): a newer version of a ContactId replaces the
 * stored one, an older one changes nothing. Bad records are reported and the
 * good ones stored; records without a queue are not contacts (counted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "connect_ctr.h"
#include "db.h"
#include "event.h"
#include "http.h"
#include "ingest.h"
#include "ingest_arrays.h"
#include "log.h"
#include "queue_log.h"
#include "server.h"
#include "tenant.h"

#define API_SOURCES_MAX_DETAILS 100

static bool api_sources_body_fits(struct http_call *call, size_t length)
{
    size_t limit = call->server->config->max_body_bytes;
    char message[200];
    if (length <= limit)
        return true;
    snprintf(message, sizeof message,
             "the body is %zu bytes; the limit is %zu bytes: split it into several requests",
             length, limit);
    http_reply_error(call, 413, "body_too_large", message, NULL);
    return false;
}

/* ---- Asterisk queue_log */

void api_asterisk_queue_log_post(struct http_call *call)
{
    size_t length, line_number = 0, longest = 0, lines = 0, other = 0, ring_no_answer = 0,
                   malformed = 0;
    const char *body = http_body(call, &length), *cursor, *end;
    json_t *details = json_array();
    struct event_batch batch;
    char *scratch;

    if (!api_sources_body_fits(call, length)) {
        json_decref(details);
        return;
    }
    /* One scratch for every line: as long as the longest line needs. */
    for (cursor = body, end = body + length; cursor < end;) {
        const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        size_t line_length = (size_t)((newline ? newline : end) - cursor);
        if (line_length > longest)
            longest = line_length;
        cursor = newline ? newline + 1 : end;
    }
    scratch = malloc(QUEUE_LOG_SCRATCH_SIZE(longest));
    if (!scratch) {
        json_decref(details);
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
        return;
    }
    event_batch_init(&batch);
    for (cursor = body, end = body + length; cursor < end;) {
        const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        size_t line_length = (size_t)((newline ? newline : end) - cursor);
        struct queue_log_record record;
        struct ccm_error error;

        line_number++;
        if (line_length > 0 && !(line_length == 1 && cursor[0] == '\r')) {
            lines++;
            if (queue_log_parse_line(cursor, line_length, scratch, QUEUE_LOG_SCRATCH_SIZE(longest),
                                     &record, &error) != 0) {
                malformed++;
                if (json_array_size(details) < API_SOURCES_MAX_DETAILS)
                    json_array_append_new(details,
                                          json_pack("{s:I, s:s}", "line", (json_int_t)line_number,
                                                    "message", error.message));
            } else if (record.kind == QUEUE_LOG_LIFECYCLE) {
                if (event_batch_add_lifecycle(&batch, &record.event) != 0) {
                    free(scratch);
                    event_batch_free(&batch);
                    json_decref(details);
                    http_reply_error(call, 503, "out_of_memory",
                                     "out of memory; nothing was stored", NULL);
                    return;
                }
            } else if (record.kind == QUEUE_LOG_RING_NO_ANSWER) {
                ring_no_answer++;
            } else {
                other++;
            }
        }
        cursor = newline ? newline + 1 : end;
    }
    free(scratch);
    if (lines == 0 || malformed == lines) {
        event_batch_free(&batch);
        http_reply_error(call, lines == 0 ? 400 : 422, lines == 0 ? "bad_body" : "invalid_lines",
                         lines == 0 ? "the body has no queue_log lines"
                                    : "no line is a queue_log line; nothing was stored",
                         details);
        return;
    }
    if (malformed > 0)
        log_warn("queue_log.malformed", "source=http tenant=%s lines=%zu malformed=%zu",
                 call->tenant->name, lines, malformed);
    ingest_submit(call, &batch,
                  json_pack("{s:I, s:I, s:I, s:I, s:o}", "lines", (json_int_t)lines, "ignored",
                            (json_int_t)other, "ring_no_answer", (json_int_t)ring_no_answer,
                            "malformed", (json_int_t)malformed, "errors", details));
}

/* ---- Amazon Connect */

struct api_connect_request {
    struct http_call *call;
    struct connect_ctr_batch batch;
    struct ingest_contact_arrays rows;
    json_t *details;
};

static void api_connect_request_free(struct api_connect_request *request)
{
    connect_ctr_batch_free(&request->batch);
    ingest_contact_arrays_free(&request->rows);
    json_decref(request->details);
    free(request);
}

static void api_connect_on_stored(const struct db_result *result, void *user_data)
{
    struct api_connect_request *request = user_data;
    struct http_call *call = request->call;
    size_t changed = 0, unchanged = 0;

    if (!result->ok) {
        ingest_reply_failure(call, result, "records");
        api_connect_request_free(request);
        return;
    }
    if (result->result_count == 1 && PQntuples(result->results[0]) == 1) {
        const char *mask = PQgetvalue(result->results[0], 0, 0);
        for (const char *p = mask; *p; p++)
            *p == '1' ? changed++ : unchanged++;
    }
    ingest_contacts_changed(call->server, call->tenant);
    http_reply_json(call, 200,
                    json_pack("{s:I, s:I, s:I, s:I, s:O}", "accepted", (json_int_t)changed,
                              "unchanged", (json_int_t)unchanged, "not_contacts",
                              (json_int_t)request->batch.skipped_count, "invalid",
                              (json_int_t)request->batch.error_count, "errors", request->details));
    api_connect_request_free(request);
}

static json_t *api_connect_errors_json(const struct connect_ctr_batch *batch)
{
    json_t *details = json_array();
    for (size_t i = 0; i < batch->error_count && i < EVENT_MAX_ERRORS; i++) {
        const struct event_item_error *e = &batch->errors[i];
        json_t *item = json_pack("{s:s, s:s}", "field", e->field, "message", e->message);
        if (e->index >= 0)
            json_object_set_new(item, "index", json_integer(e->index));
        if (e->line >= 0)
            json_object_set_new(item, "line", json_integer(e->line));
        json_array_append_new(details, item);
    }
    return details;
}

void api_amazon_connect_post(struct http_call *call)
{
    struct api_connect_request *request;
    struct db_statement statement;
    size_t length;
    const char *body = http_body(call, &length);
    int rc;

    if (!api_sources_body_fits(call, length))
        return;
    request = calloc(1, sizeof *request);
    if (!request) {
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
        return;
    }
    request->call = call;
    connect_ctr_batch_init(&request->batch);
    ingest_contact_arrays_init(&request->rows);
    rc = connect_ctr_parse_body(&request->batch, body, length);
    request->details = api_connect_errors_json(&request->batch);
    if (rc < 0 || (request->batch.record_count == 0 && request->batch.error_count > 0)) {
        int status = request->batch.too_many_items ? 413 : rc < 0 ? 400 : 422;
        http_reply_error(call, status,
                         request->batch.too_many_items ? "too_many_items"
                         : rc < 0                      ? "bad_body"
                                                       : "invalid_records",
                         rc < 0 && request->batch.error_count > 0
                             ? request->batch.errors[0].message
                             : "no record could be stored; nothing was stored",
                         json_incref(request->details));
        api_connect_request_free(request);
        return;
    }
    if (request->batch.record_count == 0) {
        http_reply_json(call, 200,
                        json_pack("{s:i, s:i, s:I, s:i, s:O}", "accepted", 0, "unchanged", 0,
                                  "not_contacts", (json_int_t)request->batch.skipped_count,
                                  "invalid", 0, "errors", request->details));
        api_connect_request_free(request);
        return;
    }
    if (request->batch.error_count > 0)
        log_warn("connect.invalid_records", "tenant=%s records=%zu invalid=%zu", call->tenant->name,
                 request->batch.record_count, request->batch.error_count);
    ingest_contact_arrays_begin(&request->rows);
    for (size_t i = 0; i < request->batch.record_count; i++)
        ingest_contact_arrays_add(&request->rows, call->tenant, &request->batch.records[i].contact,
                                  request->batch.records[i].version_us);
    memset(&statement, 0, sizeof statement);
    if (!ingest_contact_arrays_statement(&request->rows, call->tenant, 2, &statement) ||
        db_pool_submit(call->server->writer, &statement, 1, api_connect_on_stored, request) != 0) {
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
        api_connect_request_free(request);
    }
}
