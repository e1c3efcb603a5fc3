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
#include "api_reasons.h"
#include "api_kpi.h"
#include "calendar.h"
#include "db.h"
#include "event.h"
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
    int channel; /* -1: every channel */
    char from_text[32], to_text[32], top_text[24], channel_text[16];
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
        http_reply_db_failure(call, result, "query_failed", "the reasons could not be read");
        free(query);
        return;
    }
    /* api_reasons_sql: a totals row (none when there are no contacts), then the reasons */
    PGresult *rows = result->results[0];
    long long contacts = 0, with_reason = 0, listed = 0;
    int first = 0;
    if (PQntuples(rows) > 0 && strcmp(PQgetvalue(rows, 0, 0), "0") == 0) {
        contacts = strtoll(PQgetvalue(rows, 0, 3), NULL, 10);
        with_reason = strtoll(PQgetvalue(rows, 0, 4), NULL, 10);
        first = 1;
    }
    json_t *list = json_array();
    for (int r = first; r < PQntuples(rows); r++) {
        long long count = strtoll(PQgetvalue(rows, r, 3), NULL, 10);
        listed += count;
        json_array_append_new(list, json_pack("{s:s, s:I, s:o}", "reason", PQgetvalue(rows, r, 1),
                                              "count", (json_int_t)count, "share_pct",
                                              api_reasons_share(count, contacts)));
    }
    json_t *body =
        json_pack("{s:s, s:o, s:I, s:I, s:o, s:{s:I, s:o}, s:{s:I, s:o}}", "scope",
                  query->scope_text, "period", api_kpi_period_json(&query->period, call->tenant),
                  "contacts", (json_int_t)contacts, "with_reason", (json_int_t)with_reason,
                  "reasons", list, "other", "count", (json_int_t)(with_reason - listed),
                  "share_pct", api_reasons_share(with_reason - listed, contacts), "no_reason",
                  "count", (json_int_t)(contacts - with_reason), "share_pct",
                  api_reasons_share(contacts - with_reason, contacts));
    if (query->channel >= 0)
        json_object_set_new(body, "channel",
                            json_string(event_channel_name((enum event_channel)query->channel)));
    http_reply_json(call, 200, body);
    free(query);
}

void api_reasons_sql(char out[API_KPI_SUMS_SQL_MAX], enum scope_kind kind, bool by_month)
{
    /* The contacts of the scope: a service's are its queues' on each contact's day. */
    const char *scope_filter = kind == SCOPE_QUEUE     ? " AND c.queue = $4"
                               : kind == SCOPE_SERVICE ? " AND nullif(s.service, '') = $4"
                                                       : " AND $4::text IS NULL";
    const char *bucket = by_month ? "to_char(local_date, 'YYYY-MM')" : "'total'";
    int length = snprintf(
        out, API_KPI_SUMS_SQL_MAX,
        "WITH scoped AS (SELECT c.reason, c.local_date FROM contacts c"
        " LEFT JOIN queue_settings_resolved s ON s.tenant_id = c.tenant_id AND s.queue = c.queue"
        " AND c.local_date >= s.valid_from AND c.local_date < s.valid_to"
        " WHERE c.tenant_id = $1 AND c.offered_at >= $2 AND c.offered_at < $3%s"
        " AND ($5::smallint IS NULL OR c.channel = $5)),"
        " top AS (SELECT reason, count(*) AS n FROM scoped WHERE reason <> '' GROUP BY reason"
        " ORDER BY n DESC, reason LIMIT $6::integer)"
        " SELECT 0 AS kind, NULL::text AS reason, %s AS bucket, count(*),"
        " count(reason) FILTER (WHERE reason <> '') AS rank FROM scoped GROUP BY 3"
        " UNION ALL SELECT 1, t.reason, %s, count(*), max(t.n) FROM top t JOIN scoped USING "
        "(reason)"
        " GROUP BY t.reason, 3 ORDER BY 1, 5 DESC, 2, 3",
        scope_filter, bucket, bucket);
    if (length < 0 || length >= API_KPI_SUMS_SQL_MAX)
        abort(); /* fixed texts */
}

void api_reasons_get(struct http_call *call)
{
    struct api_reasons_query *query = calloc(1, sizeof *query);
    struct db_statement statements[1];

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
    if (http_query_channel(call, &query->channel)) {
        free(query);
        return;
    }
    calendar_format_rfc3339_utc(query->period.from_us, query->from_text);
    calendar_format_rfc3339_utc(query->period.to_us, query->to_text);
    snprintf(query->top_text, sizeof query->top_text, "%ld", query->top);
    snprintf(query->channel_text, sizeof query->channel_text, "%d", query->channel);
    static char sql[3][API_KPI_SUMS_SQL_MAX];
    if (!sql[0][0])
        for (int kind = SCOPE_TENANT; kind <= SCOPE_SERVICE; kind++)
            api_reasons_sql(sql[kind], (enum scope_kind)kind, false);
    memset(statements, 0, sizeof statements);
    statements[0].sql = sql[query->scope.kind];
    statements[0].param_count = 6;
    statements[0].params[0] = call->tenant->id_text;
    statements[0].params[1] = query->from_text;
    statements[0].params[2] = query->to_text;
    statements[0].params[3] = query->scope.kind == SCOPE_TENANT ? NULL : query->scope.name;
    statements[0].params[4] = query->channel >= 0 ? query->channel_text : NULL;
    statements[0].params[5] = query->top_text;
    if (db_pool_submit(call->server->readers, statements, 1, api_reasons_on_result, query) != 0) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        free(query);
    }
}
