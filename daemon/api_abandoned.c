/*
 * api_abandoned: GET /v1/abandoned?scope=S&period=P[&limit=N]. The abandoned
 * contacts of a scope and period (short abandons included and flagged), each
 * with the first later answered contact of the same caller in any queue of the
 * tenant (a call-back or the caller ringing again), so a team can work the
 * list. Callers are compared by their pseudonym (the keyed hash stored at
 * ingest); the list never shows who the caller is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "api_kpi.h"
#include "calendar.h"
#include "db.h"
#include "http.h"
#include "period.h"
#include "scope.h"
#include "server.h"
#include "tenant.h"

#define API_ABANDONED_DEFAULT_LIMIT 1000
#define API_ABANDONED_MAX_LIMIT     10000

struct api_abandoned_query {
    struct http_call *call;
    struct scope scope;
    char scope_text[SCOPE_TEXT_MAX];
    struct period period;
    long limit;
    char from_text[32], to_text[32], limit_text[24];
    char sql[2048];
};

static json_t *api_abandoned_instant(PGresult *result, int row, int column)
{
    char text[32];
    if (PQgetisnull(result, row, column))
        return json_null();
    calendar_format_rfc3339_utc(strtoll(PQgetvalue(result, row, column), NULL, 10), text);
    return json_string(text);
}

static json_t *api_abandoned_seconds(PGresult *result, int row, int column)
{
    if (PQgetisnull(result, row, column))
        return json_null();
    return json_real((double)strtoll(PQgetvalue(result, row, column), NULL, 10) / 1e6);
}

static void api_abandoned_on_result(const struct db_result *result, void *user_data)
{
    struct api_abandoned_query *query = user_data;
    struct http_call *call = query->call;
    PGresult *rows;
    json_t *list, *body;
    long recovered = 0;
    int count;

    if (!result->ok) {
        http_reply_db_failure(call, result, "query_failed", "the list could not be read");
        free(query);
        return;
    }
    rows = result->results[0];
    count = PQntuples(rows);
    list = json_array();
    for (int row = 0; row < count && row < query->limit; row++) {
        json_t *later = json_null();
        if (!PQgetisnull(rows, row, 7)) {
            json_decref(later);
            later = json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", PQgetvalue(rows, row, 7), "queue",
                              PQgetvalue(rows, row, 8), "offered_at",
                              api_abandoned_instant(rows, row, 9), "answered_at",
                              api_abandoned_instant(rows, row, 10), "after_s",
                              api_abandoned_seconds(rows, row, 11));
            recovered++;
        }
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:b, s:o}", "id",
                            PQgetvalue(rows, row, 0), "queue", PQgetvalue(rows, row, 1),
                            "offered_at", api_abandoned_instant(rows, row, 2), "ended_at",
                            api_abandoned_instant(rows, row, 3), "wait_s",
                            api_abandoned_seconds(rows, row, 4), "short",
                            strcmp(PQgetvalue(rows, row, 5), "t") == 0, "caller_known",
                            strcmp(PQgetvalue(rows, row, 6), "t") == 0, "later_answered", later));
    }
    body = json_pack("{s:s, s:o, s:i, s:i, s:b, s:o}", "scope", query->scope_text, "period",
                     api_kpi_period_json(&query->period, call->tenant), "count",
                     (json_int_t)json_array_size(list), "recovered", (json_int_t)recovered,
                     "truncated", count > query->limit, "abandoned", list);
    http_reply_json(call, 200, body);
    free(query);
}

void api_abandoned_get(struct http_call *call)
{
    struct api_abandoned_query *query = calloc(1, sizeof *query);
    struct db_statement statement;
    const char *scope_filter;

    if (!query) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    query->call = call;
    if (api_kpi_list_query(call, &query->scope, query->scope_text, sizeof query->scope_text,
                           &query->period, "limit", API_ABANDONED_DEFAULT_LIMIT,
                           API_ABANDONED_MAX_LIMIT, &query->limit)) {
        free(query);
        return;
    }
    scope_filter = query->scope.kind == SCOPE_QUEUE     ? " AND f.queue = $4"
                   : query->scope.kind == SCOPE_SERVICE ? " AND f.service = $4"
                                                        : " AND $4::text IS NULL";
    /* One more row than the limit says whether the list was cut. */
    snprintf(query->sql, sizeof query->sql,
             "SELECT f.id, f.queue, (extract(epoch FROM c.offered_at) * 1000000)::bigint,"
             " (extract(epoch FROM c.ended_at) * 1000000)::bigint, f.wait_us,"
             " f.is_short_abandoned = 1, c.caller_hash IS NOT NULL, r.id, r.queue,"
             " (extract(epoch FROM r.offered_at) * 1000000)::bigint,"
             " (extract(epoch FROM r.answered_at) * 1000000)::bigint,"
             " (extract(epoch FROM r.answered_at - c.offered_at) * 1000000)::bigint"
             " FROM contact_facts f JOIN contacts c ON c.tenant_id = f.tenant_id AND c.id = f.id"
             " LEFT JOIN LATERAL (SELECT x.id, x.queue, x.offered_at, x.answered_at"
             "   FROM contacts x WHERE x.tenant_id = c.tenant_id AND x.caller_hash = c.caller_hash"
             "   AND x.offered_at > c.offered_at AND x.outcome = 1"
             "   ORDER BY x.offered_at LIMIT 1) r ON c.caller_hash IS NOT NULL"
             " WHERE f.tenant_id = $1 AND f.offered_at >= $2 AND f.offered_at < $3%s"
             " AND (f.is_abandoned = 1 OR f.is_short_abandoned = 1)"
             " ORDER BY f.offered_at, f.id LIMIT $5::integer + 1",
             scope_filter);
    calendar_format_rfc3339_utc(query->period.from_us, query->from_text);
    calendar_format_rfc3339_utc(query->period.to_us, query->to_text);
    snprintf(query->limit_text, sizeof query->limit_text, "%ld", query->limit);
    memset(&statement, 0, sizeof statement);
    statement.sql = query->sql;
    statement.param_count = 5;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = query->from_text;
    statement.params[2] = query->to_text;
    statement.params[3] = query->scope.kind == SCOPE_TENANT ? NULL : query->scope.name;
    statement.params[4] = query->limit_text;
    if (db_pool_submit(call->server->readers, &statement, 1, api_abandoned_on_result, query) != 0) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        free(query);
    }
}
