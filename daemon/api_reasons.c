/*
 * api_reasons: GET /v1/reasons?scope=S&period=P[&top=N] (issue 8 point 4, the
 * KPI definitions' "Enquiry reasons"): the top N `reason` values by contacts
 * offered in the period, each with its count and its share of every contact of
 * the scope and period (those without a reason included, so shares never
 * overstate a reason), plus how many had a reason and the rest as "other".
 * Ties are broken by the reason's text, so the list is stable.
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

#define API_REASONS_DEFAULT_TOP 10
#define API_REASONS_MAX_TOP     100

struct api_reasons_query {
    struct http_call *call;
    struct scope scope;
    char scope_text[SCOPE_TEXT_MAX];
    struct period period;
    long top;
    char from_text[32], to_text[32], top_text[24];
};

static json_t *api_reasons_share(long long count, long long total)
{
    return total > 0 ? json_real(100.0 * (double)count / (double)total) : json_null();
}

static void api_reasons_on_result(const struct db_result *result, void *user_data)
{
    struct api_reasons_query *query = user_data;
    struct http_call *call = query->call;

    if (!result->ok) {
        http_reply_error(call, result->connection_failed ? 503 : 500,
                         result->connection_failed ? "database_unavailable" : "query_failed",
                         "the reasons could not be read", NULL);
        free(query);
        return;
    }
    PGresult *totals = result->results[0], *rows = result->results[1];
    long long contacts = strtoll(PQgetvalue(totals, 0, 0), NULL, 10);
    long long with_reason = strtoll(PQgetvalue(totals, 0, 1), NULL, 10);
    long long listed = 0;
    json_t *list = json_array();
    for (int r = 0; r < PQntuples(rows); r++) {
        long long count = strtoll(PQgetvalue(rows, r, 1), NULL, 10);
        listed += count;
        json_array_append_new(list, json_pack("{s:s, s:I, s:o}", "reason", PQgetvalue(rows, r, 0),
                                              "count", (json_int_t)count, "share_pct",
                                              api_reasons_share(count, contacts)));
    }
    http_reply_json(call, 200,
                    json_pack("{s:s, s:o, s:I, s:I, s:o, s:{s:I, s:o}, s:{s:I, s:o}}", "scope",
                              query->scope_text, "period",
                              api_kpi_period_json(&query->period, call->tenant), "contacts",
                              (json_int_t)contacts, "with_reason", (json_int_t)with_reason,
                              "reasons", list, "other", "count", (json_int_t)(with_reason - listed),
                              "share_pct", api_reasons_share(with_reason - listed, contacts),
                              "no_reason", "count", (json_int_t)(contacts - with_reason),
                              "share_pct", api_reasons_share(contacts - with_reason, contacts)));
    free(query);
}

void api_reasons_get(struct http_call *call)
{
    struct api_reasons_query *query = calloc(1, sizeof *query);
    struct db_statement statements[2];

    if (!query) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    query->call = call;
    if (api_kpi_list_query(call, &query->scope, query->scope_text, sizeof query->scope_text,
                           &query->period, "top", API_REASONS_DEFAULT_TOP, API_REASONS_MAX_TOP,
                           &query->top)) {
        free(query);
        return;
    }
    calendar_format_rfc3339_utc(query->period.from_us, query->from_text);
    calendar_format_rfc3339_utc(query->period.to_us, query->to_text);
    snprintf(query->top_text, sizeof query->top_text, "%ld", query->top);
    /* The contacts of the scope: a service's are its queues' on each contact's day. */
    static const char *const scoped =
        "WITH scoped AS (SELECT c.reason FROM contacts c LEFT JOIN queue_settings_resolved s"
        " ON s.tenant_id = c.tenant_id AND s.queue = c.queue AND c.local_date >= s.valid_from"
        " AND c.local_date < s.valid_to WHERE c.tenant_id = $1 AND c.offered_at >= $2"
        " AND c.offered_at < $3 AND ($4::text IS NULL OR ($5 = 'queue' AND c.queue = $4)"
        " OR ($5 = 'service' AND nullif(s.service, '') = $4)))";
    static char totals_sql[1024], top_sql[1024];
    if (!totals_sql[0]) {
        snprintf(totals_sql, sizeof totals_sql,
                 "%s SELECT count(*), count(reason) FILTER (WHERE reason <> '') FROM scoped",
                 scoped);
        snprintf(top_sql, sizeof top_sql,
                 "%s SELECT reason, count(*) FROM scoped WHERE reason <> '' GROUP BY reason"
                 " ORDER BY count(*) DESC, reason LIMIT $6::integer",
                 scoped);
    }
    memset(statements, 0, sizeof statements);
    for (int i = 0; i < 2; i++) {
        statements[i].sql = i == 0 ? totals_sql : top_sql;
        statements[i].param_count = i == 0 ? 5 : 6;
        statements[i].params[0] = call->tenant->id_text;
        statements[i].params[1] = query->from_text;
        statements[i].params[2] = query->to_text;
        statements[i].params[3] = query->scope.kind == SCOPE_TENANT ? NULL : query->scope.name;
        statements[i].params[4] = query->scope.kind == SCOPE_QUEUE ? "queue" : "service";
        statements[i].params[5] = query->top_text;
    }
    if (db_pool_submit(call->server->readers, statements, 2, api_reasons_on_result, query) != 0) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        free(query);
    }
}
