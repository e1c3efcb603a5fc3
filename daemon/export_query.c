/*
 * export_query: the statements and tables of a financial-year export (see
 * export_query.h).
 */
#include "export_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_reasons.h"
#include "calendar.h"
#include "event.h"
#include "period.h"

/* Statements: 0 profile, 1 publications, then per scope EXPORT_PER_SCOPE: live sums,
 * targets, published sums, published targets, commentary, survey ratings, baseline-year
 * volumes, top reasons, published survey ratings and baseline-year volumes. */
#define EXPORT_PER_SCOPE 9

/* A published month's survey ratings and baseline-year volume of a scope; whether the
 * tenant had a baseline year then is the month's, whatever the scope. */
static const char *const export_published_other_sql =
    "SELECT to_char(month, 'YYYY-MM'), coalesce(sum(survey_good) FILTER (WHERE s), 0),"
    " coalesce(sum(survey_average) FILTER (WHERE s), 0),"
    " coalesce(sum(survey_poor) FILTER (WHERE s), 0), bool_or(with_baseline),"
    " coalesce(sum(baseline_offered) FILTER (WHERE s), 0)"
    " FROM (SELECT *, ($4 = 'tenant' OR ($4 = 'queue' AND queue = $5)"
    " OR ($4 = 'service' AND service = $5)) AS s FROM published_other_work"
    " WHERE tenant_id = $1 AND month >= $2::date AND month < $3::date) w"
    " GROUP BY month ORDER BY month";

static const char *const export_published_sums_sql =
    "SELECT to_char(month, 'YYYY-MM'), sum(offered), sum(answered), sum(abandoned),"
    " sum(short_abandoned), sum(timed_out), sum(refused), sum(answered_wait_us),"
    " sum(sl_numerator), sum(sl_denominator), sum(handle_ms), sum(handle_count),"
    " sum(fcr_resolved), sum(fcr_known), max(max_wait_us), sum(repeat_known),"
    " sum(repeat_followed) FROM published_sums WHERE tenant_id = $1 AND month >= $2::date"
    " AND month < $3::date AND ($4 = 'tenant' OR ($4 = 'queue' AND queue = $5)"
    " OR ($4 = 'service' AND service = $5)) GROUP BY month ORDER BY month";

int export_query_init(struct export_query *query, int64_t tenant_id, const struct tz_rule *tz,
                      int fy_start_month, int64_t now_us, const char *const *scope_texts,
                      size_t scope_count, const char *fy_text, const char *profile,
                      struct ccm_error *error)
{
    char *end;
    long fy;

    memset(query, 0, sizeof *query);
    query->tenant_id = tenant_id;
    snprintf(query->tenant_id_text, sizeof query->tenant_id_text, "%lld", (long long)tenant_id);
    query->tz = *tz;
    query->fy_start_month = fy_start_month;
    query->today = tz_local_day(tz, now_us);
    if (!fy_text || (fy = strtol(fy_text, &end, 10), *end) || end == fy_text || fy < 2000 ||
        fy > 2100)
        return ccm_error_set(error, "fy must be the year the financial year starts in (e.g. "
                                    "fy=2026 for 2026-27)");
    query->fy = (int)fy;
    if (scope_count < 1 || scope_count > EXPORT_SCOPES_MAX)
        return ccm_error_set(error, "give 1-%d scopes (tenant, service:NAME or queue:NAME)",
                             EXPORT_SCOPES_MAX);
    for (size_t i = 0; i < scope_count; i++) {
        if (scope_parse(scope_texts[i], &query->scopes[i], error))
            return -1;
        scope_format(&query->scopes[i], query->scope_texts[i], sizeof query->scope_texts[i]);
    }
    query->scope_count = scope_count;
    if (profile && (strlen(profile) == 0 || strlen(profile) >= sizeof query->profile_name))
        return ccm_error_set(error, "profile must be a profile name (1-63 bytes)");
    snprintf(query->profile_name, sizeof query->profile_name, "%s", profile ? profile : "");
    int32_t first = calendar_days_from_civil(query->fy, fy_start_month, 1);
    int32_t after = calendar_days_from_civil(query->fy + 1, fy_start_month, 1);
    calendar_format_rfc3339_utc(tz_day_start(tz, first), query->from_text);
    calendar_format_rfc3339_utc(tz_day_start(tz, after), query->to_text);
    calendar_format_date(first, query->first_month);
    calendar_format_date(after, query->after_month);
    query->channel = -1;

    struct api_kpi_baseline_params baseline;
    api_kpi_baseline_params_init(&baseline);
    for (int m = 0; m < EXPORT_MONTHS; m++) {
        struct period month;
        int month0 = fy_start_month - 1 + m;
        period_month(query->fy + month0 / 12, month0 % 12 + 1, tz, &month);
        api_kpi_baseline_params_add(&baseline, &month, tz, fy_start_month);
    }
    api_kpi_baseline_params_finish(&baseline);
    snprintf(query->baseline_from, sizeof query->baseline_from, "%s",
             text_buffer_string(&baseline.local_from));
    snprintf(query->baseline_to, sizeof query->baseline_to, "%s",
             text_buffer_string(&baseline.local_to));
    snprintf(query->baseline_fy, sizeof query->baseline_fy, "%s", text_buffer_string(&baseline.fy));
    api_kpi_baseline_params_free(&baseline);
    return 0;
}

int export_query_set_channel(struct export_query *query, const char *channel,
                             struct ccm_error *error)
{
    query->channel = event_channel_from_name(channel);
    if (query->channel < 0)
        return ccm_error_set(error, "channel must be " EVENT_CHANNEL_CHOICES);
    snprintf(query->channel_text, sizeof query->channel_text, "%d", query->channel);
    return 0;
}

int export_query_statements(struct export_query *query, struct db_statement *statements)
{
    static char tenant_sums_sql[API_KPI_SUMS_SQL_MAX], service_sums_sql[API_KPI_SUMS_SQL_MAX],
        queue_sums_sql[API_KPI_SUMS_SQL_MAX];
    static char surveys_sql[3][API_KPI_SUMS_SQL_MAX], baseline_sql[3][API_KPI_SUMS_SQL_MAX],
        reasons_sql[3][API_KPI_SUMS_SQL_MAX];
    const char *channel = query->channel >= 0 ? query->channel_text : NULL;
    int count = 0;

    if (!tenant_sums_sql[0]) {
        api_kpi_sums_sql(tenant_sums_sql, SCOPE_TENANT, "to_char(local_date, 'YYYY-MM')", false,
                         true);
        api_kpi_sums_sql(service_sums_sql, SCOPE_SERVICE, "to_char(local_date, 'YYYY-MM')", false,
                         true);
        api_kpi_sums_sql(queue_sums_sql, SCOPE_QUEUE, "to_char(local_date, 'YYYY-MM')", false,
                         true);
        for (int kind = SCOPE_TENANT; kind <= SCOPE_SERVICE; kind++) {
            api_kpi_surveys_sql(surveys_sql[kind], (enum scope_kind)kind,
                                "to_char(local_date, 'YYYY-MM')");
            api_kpi_baseline_sql(baseline_sql[kind], (enum scope_kind)kind, false);
            api_reasons_sql(reasons_sql[kind], (enum scope_kind)kind, true);
        }
    }
    memset(statements, 0, sizeof *statements * (size_t)(2 + EXPORT_PER_SCOPE * query->scope_count));
    statements[count].sql = "SELECT definition::text FROM export_profiles"
                            " WHERE tenant_id = $1 AND name = $2";
    statements[count].param_count = 2;
    statements[count].params[0] = query->tenant_id_text;
    statements[count++].params[1] = query->profile_name;
    statements[count].sql = "SELECT to_char(month, 'YYYY-MM') FROM publications"
                            " WHERE tenant_id = $1 AND month >= $2::date AND month < $3::date";
    statements[count].param_count = 3;
    statements[count].params[0] = query->tenant_id_text;
    statements[count].params[1] = query->first_month;
    statements[count++].params[2] = query->after_month;
    for (size_t i = 0; i < query->scope_count; i++) {
        const struct scope *scope = &query->scopes[i];
        const char *kind = scope->kind == SCOPE_TENANT    ? "tenant"
                           : scope->kind == SCOPE_SERVICE ? "service"
                                                          : "queue";
        struct db_statement *live = &statements[count++];
        live->sql = scope->kind == SCOPE_TENANT    ? tenant_sums_sql
                    : scope->kind == SCOPE_SERVICE ? service_sums_sql
                                                   : queue_sums_sql;
        live->param_count = 5;
        live->params[0] = query->tenant_id_text;
        live->params[1] = query->from_text;
        live->params[2] = query->to_text;
        live->params[3] = scope->kind == SCOPE_TENANT ? NULL : scope->name;
        live->params[4] = channel;
        struct db_statement *targets = &statements[count++];
        targets->sql = channel ? api_kpi_channel_targets_sql : api_kpi_targets_sql;
        targets->param_count = channel ? 3 : 2;
        targets->params[0] = query->tenant_id_text;
        targets->params[1] = query->scope_texts[i];
        targets->params[2] =
            channel ? event_channel_name((enum event_channel)query->channel) : NULL;
        struct db_statement *published = &statements[count++];
        published->sql = export_published_sums_sql;
        published->param_count = 5;
        published->params[0] = query->tenant_id_text;
        published->params[1] = query->first_month;
        published->params[2] = query->after_month;
        published->params[3] = kind;
        published->params[4] = scope->name;
        struct db_statement *frozen = &statements[count++];
        frozen->sql = "SELECT to_char(month, 'YYYY-MM'), kpi, NULL::text, value, amber"
                      " FROM published_targets WHERE tenant_id = $1 AND month >= $2::date"
                      " AND month < $3::date AND scope = $4 ORDER BY month";
        frozen->param_count = 4;
        frozen->params[0] = query->tenant_id_text;
        frozen->params[1] = query->first_month;
        frozen->params[2] = query->after_month;
        frozen->params[3] = query->scope_texts[i];
        struct db_statement *notes = &statements[count++];
        notes->sql = "SELECT kpi, to_char(month, 'YYYY-MM'), text FROM commentary"
                     " WHERE tenant_id = $1 AND scope = $2 AND month >= $3::date"
                     " AND month < $4::date ORDER BY month, kpi";
        notes->param_count = 4;
        notes->params[0] = query->tenant_id_text;
        notes->params[1] = query->scope_texts[i];
        notes->params[2] = query->first_month;
        notes->params[3] = query->after_month;
        struct db_statement *surveys = &statements[count++];
        *surveys = *live;
        surveys->sql = surveys_sql[scope->kind];
        struct db_statement *baseline = &statements[count++];
        *baseline = *live;
        baseline->sql = baseline_sql[scope->kind];
        baseline->param_count = 6;
        baseline->params[1] = query->baseline_from;
        baseline->params[2] = query->baseline_to;
        baseline->params[5] = query->baseline_fy;
        struct db_statement *reasons = &statements[count++];
        *reasons = *live;
        reasons->sql = reasons_sql[scope->kind];
        reasons->param_count = 6;
        reasons->params[5] = EXPORT_REASONS_TOP_TEXT;
        struct db_statement *other = &statements[count++];
        *other = *published;
        other->sql = export_published_other_sql;
    }
    return count;
}

/* Which month of the year a "YYYY-MM" key is, or -1. */
static int export_month_index(const struct export_query *query, const char *key)
{
    int year, month;
    if (sscanf(key, "%4d-%2d", &year, &month) != 2)
        return -1;
    int index = (year - query->fy) * 12 + month - query->fy_start_month;
    return index >= 0 && index < EXPORT_MONTHS ? index : -1;
}

int export_query_tables(const struct export_query *query, PGresult *const *results,
                        struct export_table **tables_out, struct ccm_error *error)
{
    struct export_profile profile;
    struct export_month_input *months = NULL;
    struct export_table *tables = NULL;
    struct kpi_target *targets = NULL;
    struct export_comment *comments = NULL;
    bool published[EXPORT_MONTHS] = {false};
    int rc = -1;

    export_profile_default(&profile);
    if (query->profile_name[0]) {
        json_t *definition =
            PQntuples(results[0]) == 1 ? json_loads(PQgetvalue(results[0], 0, 0), 0, NULL) : NULL;
        if (!definition) {
            ccm_error_set(error, "no export profile \"%s\" (PUT /v1/export-profiles/NAME)",
                          query->profile_name);
            return -1;
        }
        snprintf(profile.name, sizeof profile.name, "%s", query->profile_name);
        int parsed = export_profile_parse(&profile, definition, error);
        json_decref(definition);
        if (parsed)
            return -1;
    }
    for (int r = 0; r < PQntuples(results[1]); r++) {
        int m = export_month_index(query, PQgetvalue(results[1], r, 0));
        if (m >= 0)
            published[m] = true;
    }
    if (query->channel >= 0) /* published sums are of every channel: live figures only */
        memset(published, 0, sizeof published);
    months = calloc(EXPORT_MONTHS, sizeof *months);
    tables = calloc(query->scope_count, sizeof *tables);
    targets = calloc(API_KPI_MAX_TARGETS, sizeof *targets);
    if (!months || !tables || !targets) {
        ccm_error_set(error, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < query->scope_count; i++) {
        PGresult *const *mine = results + 2 + EXPORT_PER_SCOPE * i;
        int window_days = 7;
        memset(months, 0, EXPORT_MONTHS * sizeof *months);
        for (int m = 0; m < EXPORT_MONTHS; m++) {
            int month0 = query->fy_start_month - 1 + m;
            months[m].begun = calendar_days_from_civil(query->fy + month0 / 12, month0 % 12 + 1,
                                                       1) <= query->today;
            months[m].published = published[m];
        }
        for (int r = 0; r < PQntuples(mine[0]); r++) {
            int m = export_month_index(query, PQgetvalue(mine[0], r, 0));
            if (m >= 0)
                api_kpi_read_counters(mine[0], r, &months[m].live, &window_days);
        }
        for (int r = 0; r < PQntuples(mine[5]); r++) {
            int m = export_month_index(query, PQgetvalue(mine[5], r, 0));
            if (m >= 0)
                api_kpi_read_surveys(mine[5], r, &months[m].live);
        }
        for (int r = 0; r < PQntuples(mine[6]) && r < EXPORT_MONTHS; r++)
            api_kpi_read_baseline(mine[6], r, &months[r].live);
        size_t target_count = api_kpi_read_targets(mine[1], targets);
        for (int r = 0; r < PQntuples(mine[2]); r++) {
            int m = export_month_index(query, PQgetvalue(mine[2], r, 0));
            if (m < 0)
                continue;
            api_kpi_read_sums(mine[2], r, 1, &months[m].published_counters);
            months[m].published_counters.repeat_known =
                strtoll(PQgetvalue(mine[2], r, 15), NULL, 10);
            months[m].published_counters.repeat_followed =
                strtoll(PQgetvalue(mine[2], r, 16), NULL, 10);
        }
        for (int r = 0; r < PQntuples(mine[3]); r++) {
            int m = export_month_index(query, PQgetvalue(mine[3], r, 0));
            if (m < 0 || months[m].published_target_count >= EXPORT_TARGETS_MAX)
                continue;
            /* columns 1.. as api_kpi_targets_sql: kpi, effective_from (NULL), value, amber */
            PGresult *row = mine[3];
            int key = kpi_from_name(PQgetvalue(row, r, 1));
            if (key < 0)
                continue;
            struct kpi_target *frozen =
                &months[m].published_targets[months[m].published_target_count++];
            frozen->kpi = (enum kpi_key)key;
            frozen->effective_from = INT32_MIN;
            frozen->value = strtod(PQgetvalue(row, r, 3), NULL);
            frozen->has_amber = !PQgetisnull(row, r, 4);
            frozen->amber = frozen->has_amber ? strtod(PQgetvalue(row, r, 4), NULL) : 0;
        }
        size_t comment_count = 0;
        free(comments);
        comments = calloc((size_t)PQntuples(mine[4]) + 1, sizeof *comments);
        if (!comments) {
            ccm_error_set(error, "out of memory");
            goto done;
        }
        for (int r = 0; r < PQntuples(mine[4]); r++) {
            int key = kpi_from_name(PQgetvalue(mine[4], r, 0));
            int m = export_month_index(query, PQgetvalue(mine[4], r, 1));
            if (key < 0 || m < 0)
                continue;
            comments[comment_count].kpi = (enum kpi_key)key;
            comments[comment_count].month = m;
            snprintf(comments[comment_count].text, sizeof comments[comment_count].text, "%s",
                     PQgetvalue(mine[4], r, 2));
            comment_count++;
        }
        /* A published month's survey ratings and baseline volume as frozen with it; live
         * for a month published before they were frozen (no rows). */
        for (int m = 0; m < EXPORT_MONTHS; m++) {
            struct kpi_counters *frozen = &months[m].published_counters;
            frozen->survey_good = months[m].live.survey_good;
            frozen->survey_average = months[m].live.survey_average;
            frozen->survey_poor = months[m].live.survey_poor;
            frozen->has_baseline = months[m].live.has_baseline;
            frozen->baseline_offered = months[m].live.baseline_offered;
        }
        for (int r = 0; r < PQntuples(mine[8]); r++) {
            int m = export_month_index(query, PQgetvalue(mine[8], r, 0));
            if (m < 0)
                continue;
            struct kpi_counters *frozen = &months[m].published_counters;
            frozen->survey_good = strtoll(PQgetvalue(mine[8], r, 1), NULL, 10);
            frozen->survey_average = strtoll(PQgetvalue(mine[8], r, 2), NULL, 10);
            frozen->survey_poor = strtoll(PQgetvalue(mine[8], r, 3), NULL, 10);
            frozen->has_baseline = PQgetvalue(mine[8], r, 4)[0] == 't';
            frozen->baseline_offered = strtoll(PQgetvalue(mine[8], r, 5), NULL, 10);
        }
        if (export_table_build(&tables[i], query->scope_texts[i], query->fy, query->fy_start_month,
                               query->today, &profile, months, targets, target_count, comments,
                               comment_count, error))
            goto done;
        if (query->channel >= 0)
            export_table_set_channel(&tables[i],
                                     event_channel_name((enum event_channel)query->channel));
        /* rows: totals per month (kind 0), then the top reasons in rank order (kind 1) */
        for (int r = 0; r < PQntuples(mine[7]); r++) {
            int m = export_month_index(query, PQgetvalue(mine[7], r, 2));
            long long count = strtoll(PQgetvalue(mine[7], r, 3), NULL, 10);
            if (strcmp(PQgetvalue(mine[7], r, 0), "0") == 0)
                export_table_add_reason_totals(&tables[i], m, count,
                                               strtoll(PQgetvalue(mine[7], r, 4), NULL, 10));
            else
                export_table_add_reason(&tables[i], PQgetvalue(mine[7], r, 1), m, count);
        }
        export_table_sum_reasons(&tables[i]);
    }
    *tables_out = tables;
    tables = NULL;
    rc = 0;
done:
    if (tables)
        export_query_tables_free(tables, query->scope_count);
    free(months);
    free(targets);
    free(comments);
    return rc;
}

void export_query_tables_free(struct export_table *tables, size_t count)
{
    if (!tables)
        return;
    for (size_t i = 0; i < count; i++)
        export_table_free(&tables[i]);
    free(tables);
}
