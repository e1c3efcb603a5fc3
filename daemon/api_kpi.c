/*
 * api_kpi: GET /v1/kpis and GET /v1/kpis/series. Sums the 15-minute interval
 * aggregates of the scope over the period in SQL (or the raw contacts when a
 * period does not fall on 15-minute boundaries), with the repeat-contact counts
 * of days not final yet from raw contacts, then lib/kpi turns the sums into
 * figures, targets in force and status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "api_kpi.h"
#include "calendar.h"
#include "clock.h"
#include "db.h"
#include "event.h"
#include "http.h"
#include "kpi.h"
#include "period.h"
#include "scope.h"
#include "server.h"
#include "tenant.h"

#define API_KPI_MAX_BUCKETS 10000
#define API_KPI_INTERVAL_US (15 * 60 * CALENDAR_US_PER_SECOND)

enum api_kpi_grouping {
    API_KPI_TOTAL,
    API_KPI_BY_MONTH,
    API_KPI_BY_DAY,
    API_KPI_BY_HOUR,
    API_KPI_BY_QUARTER_HOUR,
};

struct api_kpi_bucket {
    struct period period;
    char sql_key[40]; /* how SQL names the bucket */
    struct kpi_counters counters;
};

struct api_kpi_query {
    struct http_call *call;
    struct scope scope;
    char scope_text[SCOPE_TEXT_MAX];
    int channel; /* -1: all channels */
    enum api_kpi_grouping grouping;
    bool series;
    struct api_kpi_bucket *buckets;
    size_t bucket_count;
    int64_t from_us, to_us;
    bool use_raw; /* bounds not on 15-minute boundaries */
    int repeat_window_days;
    char from_text[32], to_text[32], channel_text[16];
};

/* The statements' texts depend only on the scope's kind, the grouping and whether raw
 * contacts are summed: each is written once, on first use (the daemon's loop is one
 * thread), not on every request. */
static struct {
    char sums[3][5][2][API_KPI_SUMS_SQL_MAX];
    char surveys[3][5][API_KPI_SUMS_SQL_MAX];
    char baseline[3][2][API_KPI_SUMS_SQL_MAX];
} api_kpi_texts;

/* The 14 sums of kpi_counters over contact_intervals, and the same over contact_facts. */
const char *const api_kpi_aggregate_columns =
    "coalesce(sum(offered), 0), coalesce(sum(answered), 0), coalesce(sum(abandoned), 0),"
    " coalesce(sum(short_abandoned), 0), coalesce(sum(timed_out), 0),"
    " coalesce(sum(refused), 0), coalesce(sum(answered_wait_us), 0),"
    " coalesce(sum(sl_numerator), 0), coalesce(sum(sl_denominator), 0),"
    " coalesce(sum(handle_ms), 0), coalesce(sum(handle_count), 0),"
    " coalesce(sum(fcr_resolved), 0), coalesce(sum(fcr_known), 0), max(max_wait_us),"
    " coalesce(sum(repeat_known) FILTER (WHERE local_date <= f.through), 0),"
    " coalesce(sum(repeat_followed) FILTER (WHERE local_date <= f.through), 0)";
const char *const api_kpi_raw_columns =
    "count(*), coalesce(sum(is_answered), 0), coalesce(sum(is_abandoned), 0),"
    " coalesce(sum(is_short_abandoned), 0), coalesce(sum(is_timed_out), 0),"
    " coalesce(sum(is_refused), 0), coalesce(sum(answered_wait_us), 0),"
    " coalesce(sum(sl_numerator), 0), coalesce(sum(sl_denominator), 0),"
    " coalesce(sum(handle_ms), 0), coalesce(sum(has_handle), 0),"
    " coalesce(sum(fcr_resolved), 0), coalesce(sum(fcr_known), 0), max(wait_us), 0, 0";

void api_kpi_sums_sql(char out[API_KPI_SUMS_SQL_MAX], enum scope_kind kind, const char *bucket,
                      bool use_raw, bool repeat_from_raw)
{
    char open[512];
    const char *time_column = use_raw ? "offered_at" : "interval_start";
    const char *scope_filter = kind == SCOPE_QUEUE     ? " AND queue = $4"
                               : kind == SCOPE_SERVICE ? " AND service = $4"
                                                       : " AND $4::text IS NULL";
    /* f.through: the last day whose repeat counts are stored final (raw: none, since
     * stored counts are per interval); `open` takes the answered contacts of the later
     * days from the raw contacts with their followed flags. */
    if (repeat_from_raw)
        snprintf(open, sizeof open,
                 "SELECT %s AS bucket, count(*) AS known, sum(followed) AS followed"
                 " FROM f, ccm_repeat_flags($1, $2, $3, f.through) WHERE TRUE%s"
                 " AND ($5::smallint IS NULL OR channel = $5) GROUP BY 1",
                 bucket, scope_filter);
    else
        snprintf(open, sizeof open,
                 "SELECT NULL::text AS bucket, 0::bigint AS known, 0::bigint AS followed"
                 " WHERE false");
    int length = snprintf(
        out, API_KPI_SUMS_SQL_MAX,
        "WITH f AS (SELECT %s AS through, ccm_repeat_window_max($1::bigint) AS window_days),"
        " sums AS (SELECT %s AS bucket, min(%s) AS first, %s FROM %s, f"
        " WHERE tenant_id = $1 AND %s >= $2 AND %s < $3%s"
        " AND ($5::smallint IS NULL OR channel = $5) GROUP BY 1),"
        " open AS (%s)"
        " SELECT s.*, coalesce(o.known, 0), coalesce(o.followed, 0),"
        " (SELECT window_days FROM f) FROM sums s LEFT JOIN open o ON o.bucket = s.bucket"
        " ORDER BY s.first",
        use_raw ? "'-infinity'::date" : "ccm_repeat_final_through($1::bigint)", bucket, time_column,
        use_raw ? api_kpi_raw_columns : api_kpi_aggregate_columns,
        use_raw ? "contact_facts" : "contact_intervals", time_column, time_column, scope_filter,
        open);
    if (length < 0 || length >= API_KPI_SUMS_SQL_MAX)
        abort(); /* fixed texts: a programming error, caught by every test */
}

const char *const api_kpi_targets_sql =
    "SELECT kpi, CASE WHEN effective_from = '-infinity' THEN NULL"
    " ELSE effective_from::text END, value, amber"
    " FROM targets WHERE tenant_id = $1 AND scope = $2 AND channel = ''";
const char *const api_kpi_channel_targets_sql =
    "SELECT kpi, CASE WHEN effective_from = '-infinity' THEN NULL"
    " ELSE effective_from::text END, value, amber"
    " FROM targets WHERE tenant_id = $1 AND scope = $2 AND channel = $3";

void api_kpi_surveys_sql(char out[API_KPI_SUMS_SQL_MAX], enum scope_kind kind, const char *bucket)
{
    /* A queue's responses count for its service on their local date, as contacts do. */
    const char *scope_filter =
        kind == SCOPE_QUEUE ? " AND v.queue = $4"
        : kind == SCOPE_SERVICE
            ? " AND (v.service = $4 OR EXISTS (SELECT 1 FROM queue_settings_resolved s"
              " WHERE s.tenant_id = $1 AND s.queue = v.queue AND s.service = $4"
              " AND v.local_date >= s.valid_from AND v.local_date < s.valid_to))"
            : " AND $4::text IS NULL";
    int length = snprintf(out, API_KPI_SUMS_SQL_MAX,
                          "SELECT %s AS bucket, min(at), count(*) FILTER (WHERE rating = 3),"
                          " count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 1)"
                          " FROM surveys v WHERE v.tenant_id = $1 AND v.at >= $2 AND v.at < $3%s"
                          " AND ($5::smallint IS NULL OR v.channel = $5) GROUP BY 1 ORDER BY 2",
                          bucket, scope_filter);
    if (length < 0 || length >= API_KPI_SUMS_SQL_MAX)
        abort(); /* fixed texts: a programming error, caught by every test */
}

void api_kpi_read_surveys(PGresult *result, int row, struct kpi_counters *counters)
{
    counters->survey_good = strtoll(PQgetvalue(result, row, 2), NULL, 10);
    counters->survey_average = strtoll(PQgetvalue(result, row, 3), NULL, 10);
    counters->survey_poor = strtoll(PQgetvalue(result, row, 4), NULL, 10);
}

void api_kpi_baseline_sql(char out[API_KPI_SUMS_SQL_MAX], enum scope_kind kind, bool use_raw)
{
    const char *scope_filter = kind == SCOPE_QUEUE     ? " AND x.queue = $4"
                               : kind == SCOPE_SERVICE ? " AND x.service = $4"
                                                       : " AND $4::text IS NULL";
    const char *column = use_raw ? "offered_at" : "interval_start";
    /* The same local period of the baseline year: the local start moved back by whole
     * years (29 February to the 28th); a period of whole calendar months ends on the
     * first of the month as many years back (February has its own length there), any
     * other keeps its length (a day stays a day: 28 February 2025 compares with 28
     * February 2024, not with the 28th and 29th). Then instants in the tenant's zone. */
    int length =
        snprintf(out, API_KPI_SUMS_SQL_MAX,
                 "SELECT b.i, CASE WHEN t.baseline_fy IS NOT NULL THEN"
                 " (SELECT %s FROM %s x WHERE x.tenant_id = $1"
                 " AND x.%s >= ((b.lf - make_interval(years => b.fy - t.baseline_fy))"
                 " AT TIME ZONE t.time_zone)"
                 " AND x.%s < ((CASE WHEN date_trunc('month', b.lf) = b.lf"
                 " AND date_trunc('month', b.lt) = b.lt"
                 " THEN b.lt - make_interval(years => b.fy - t.baseline_fy)"
                 " ELSE b.lf - make_interval(years => b.fy - t.baseline_fy) + (b.lt - b.lf) END)"
                 " AT TIME ZONE t.time_zone)%s AND ($5::smallint IS NULL OR x.channel = $5)) END"
                 " FROM tenants t, unnest($2::timestamp[], $3::timestamp[], $6::integer[])"
                 " WITH ORDINALITY b(lf, lt, fy, i) WHERE t.id = $1 ORDER BY b.i",
                 use_raw ? "count(*)" : "coalesce(sum(offered), 0)",
                 use_raw ? "contact_facts" : "contact_intervals", column, column, scope_filter);
    if (length < 0 || length >= API_KPI_SUMS_SQL_MAX)
        abort();
}

void api_kpi_baseline_params_init(struct api_kpi_baseline_params *params)
{
    text_buffer_init(&params->local_from);
    text_buffer_init(&params->local_to);
    text_buffer_init(&params->fy);
    params->count = 0;
}

void api_kpi_baseline_params_free(struct api_kpi_baseline_params *params)
{
    text_buffer_free(&params->local_from);
    text_buffer_free(&params->local_to);
    text_buffer_free(&params->fy);
}

/* "YYYY-MM-DD HH:MM:SS.ffffff", the local wall-clock time of an instant. */
static void api_kpi_local_text(const struct tz_rule *tz, int64_t instant_us, char out[40])
{
    int64_t local_us = instant_us + (int64_t)tz_offset_at(tz, instant_us) * CALENDAR_US_PER_SECOND;
    int64_t day = local_us / CALENDAR_US_PER_DAY;
    if (local_us % CALENDAR_US_PER_DAY < 0)
        day--;
    int64_t in_day = local_us - day * CALENDAR_US_PER_DAY;
    int64_t seconds = in_day / CALENDAR_US_PER_SECOND;
    char date[11];
    calendar_format_date((int32_t)day, date);
    snprintf(out, 40, "%s %02d:%02d:%02d.%06d", date, (int)(seconds / 3600),
             (int)(seconds / 60 % 60), (int)(seconds % 60), (int)(in_day % CALENDAR_US_PER_SECOND));
}

void api_kpi_baseline_params_add(struct api_kpi_baseline_params *params,
                                 const struct period *period, const struct tz_rule *tz,
                                 int fy_start_month)
{
    char from[40], to[40];
    struct calendar_date first = calendar_civil_from_days(period->first_day);
    int fy = first.month < fy_start_month ? first.year - 1 : first.year;
    api_kpi_local_text(tz, period->from_us, from);
    api_kpi_local_text(tz, period->to_us, to);
    const char *separator = params->count ? "," : "{";
    text_buffer_printf(&params->local_from, "%s\"%s\"", separator, from);
    text_buffer_printf(&params->local_to, "%s\"%s\"", separator, to);
    text_buffer_printf(&params->fy, "%s%d", separator, fy);
    params->count++;
}

void api_kpi_baseline_params_finish(struct api_kpi_baseline_params *params)
{
    const char *end = params->count ? "}" : "{}";
    text_buffer_append_string(&params->local_from, end);
    text_buffer_append_string(&params->local_to, end);
    text_buffer_append_string(&params->fy, end);
}

void api_kpi_read_baseline(PGresult *result, int row, struct kpi_counters *counters)
{
    counters->has_baseline = !PQgetisnull(result, row, 1);
    counters->baseline_offered =
        counters->has_baseline ? strtoll(PQgetvalue(result, row, 1), NULL, 10) : 0;
}

static void api_kpi_query_free(struct api_kpi_query *query)
{
    free(query->buckets);
    free(query);
}

json_t *api_kpi_period_json(const struct period *period, const struct tenant *tenant)
{
    char from[32], to[32];
    calendar_format_rfc3339_utc(period->from_us, from);
    calendar_format_rfc3339_utc(period->to_us, to);
    return json_pack("{s:s, s:s, s:s, s:s}", "key", period->key, "from", from, "to", to, "tz",
                     tenant->tz.name[0] ? tenant->tz.name : "Europe/London");
}

bool api_kpi_repeat_provisional(const struct period *period, int repeat_window_days)
{
    int64_t window_us = (int64_t)repeat_window_days * 86400 * CALENDAR_US_PER_SECOND;
    return period->to_us + window_us > clock_now_us();
}

json_t *api_kpi_figures_json(const struct kpi_counters *counters, const struct kpi_target *targets,
                             size_t target_count, int32_t first_day, bool repeat_provisional,
                             bool with_other_work)
{
    struct kpi_value values[KPI_COUNT];
    json_t *kpis = json_object();

    kpi_compute(counters, values);
    for (int key = 0; key < (with_other_work ? KPI_COUNT : KPI_SURVEY_RESPONSES); key++) {
        const struct kpi_value *value = &values[key];
        json_t *figure = json_object();
        json_t *number = value->is_null    ? json_null()
                         : value->is_count ? json_integer(value->count)
                                           : json_real(value->value);
        json_object_set_new(figure, "value", number);
        if (kpi_direction_of(key) != KPI_DIRECTION_NONE) {
            const struct kpi_target *target =
                kpi_target_in_force(targets, target_count, key, first_day);
            json_object_set_new(figure, "target", target ? json_real(target->value) : json_null());
            if (target && target->has_amber)
                json_object_set_new(figure, "amber", json_real(target->amber));
            json_object_set_new(figure, "status",
                                json_string(kpi_status_name(kpi_status_of(key, value, target))));
        }
        if (key == KPI_REPEAT_FCR_PCT)
            json_object_set_new(figure, "provisional", json_boolean(repeat_provisional));
        json_object_set_new(kpis, kpi_name(key), figure);
    }
    return kpis;
}

static int64_t api_kpi_column(PGresult *result, int row, int column)
{
    return PQgetisnull(result, row, column) ? 0
                                            : strtoll(PQgetvalue(result, row, column), NULL, 10);
}

void api_kpi_read_sums(PGresult *result, int row, int column, struct kpi_counters *counters)
{
    struct kpi_counters *c = counters;
    c->offered = api_kpi_column(result, row, column + 0);
    c->answered = api_kpi_column(result, row, column + 1);
    c->abandoned = api_kpi_column(result, row, column + 2);
    c->short_abandoned = api_kpi_column(result, row, column + 3);
    c->timed_out = api_kpi_column(result, row, column + 4);
    c->refused = api_kpi_column(result, row, column + 5);
    c->answered_wait_us = api_kpi_column(result, row, column + 6);
    c->sl_numerator = api_kpi_column(result, row, column + 7);
    c->sl_denominator = api_kpi_column(result, row, column + 8);
    c->handle_ms = api_kpi_column(result, row, column + 9);
    c->handle_count = api_kpi_column(result, row, column + 10);
    c->fcr_resolved = api_kpi_column(result, row, column + 11);
    c->fcr_known = api_kpi_column(result, row, column + 12);
    c->has_max_wait = !PQgetisnull(result, row, column + 13);
    c->max_wait_us = api_kpi_column(result, row, column + 13);
}

void api_kpi_read_counters(PGresult *result, int row, struct kpi_counters *counters,
                           int *repeat_window_days)
{
    struct kpi_counters *c = counters;
    int column = API_KPI_SUMS_COLUMN;
    api_kpi_read_sums(result, row, column, counters);
    /* stored final counts + counts of the days not final yet */
    c->repeat_known =
        api_kpi_column(result, row, column + 14) + api_kpi_column(result, row, column + 16);
    c->repeat_followed =
        api_kpi_column(result, row, column + 15) + api_kpi_column(result, row, column + 17);
    *repeat_window_days = (int)api_kpi_column(result, row, column + 18);
}

size_t api_kpi_read_targets(PGresult *result, struct kpi_target *targets)
{
    size_t count = 0;
    for (int row = 0; row < PQntuples(result) && count < API_KPI_MAX_TARGETS; row++) {
        int key = kpi_from_name(PQgetvalue(result, row, 0));
        struct kpi_target *target = &targets[count];
        if (key < 0)
            continue;
        target->kpi = (enum kpi_key)key;
        if (PQgetisnull(result, row, 1) ||
            calendar_parse_date(PQgetvalue(result, row, 1), strlen(PQgetvalue(result, row, 1)),
                                &target->effective_from, NULL) != 0)
            target->effective_from = INT32_MIN;
        target->value = strtod(PQgetvalue(result, row, 2), NULL);
        target->has_amber = !PQgetisnull(result, row, 3);
        target->amber = target->has_amber ? strtod(PQgetvalue(result, row, 3), NULL) : 0.0;
        count++;
    }
    return count;
}

static void api_kpi_on_result(const struct db_result *result, void *user_data)
{
    struct api_kpi_query *query = user_data;
    struct http_call *call = query->call;
    struct kpi_target *targets;
    size_t target_count;
    PGresult *sums;
    json_t *body;

    if (!result->ok) {
        http_reply_db_failure(call, result, "query_failed", "the figures could not be read");
        api_kpi_query_free(query);
        return;
    }
    sums = result->results[0];
    /* Rows come in time order (ORDER BY in api_kpi_run), like the buckets: one
     * forward walk, not a search per row (a 15-minute series has 10,000). */
    size_t next_bucket = 0;
    for (int row = 0; row < PQntuples(sums); row++) {
        const char *key = PQgetvalue(sums, row, 0);
        for (size_t b = next_bucket; b < query->bucket_count; b++) {
            if (strcmp(query->buckets[b].sql_key, key) != 0)
                continue;
            next_bucket = b + 1;
            api_kpi_read_counters(sums, row, &query->buckets[b].counters,
                                  &query->repeat_window_days);
            break;
        }
    }
    next_bucket = 0;
    for (int row = 0; row < PQntuples(result->results[2]); row++) {
        const char *key = PQgetvalue(result->results[2], row, 0);
        for (size_t b = next_bucket; b < query->bucket_count; b++) {
            if (strcmp(query->buckets[b].sql_key, key) != 0)
                continue;
            next_bucket = b + 1;
            api_kpi_read_surveys(result->results[2], row, &query->buckets[b].counters);
            break;
        }
    }
    for (int row = 0; row < PQntuples(result->results[3]); row++)
        if ((size_t)row < query->bucket_count)
            api_kpi_read_baseline(result->results[3], row, &query->buckets[row].counters);
    targets = malloc(API_KPI_MAX_TARGETS * sizeof *targets);
    if (!targets) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_kpi_query_free(query);
        return;
    }
    target_count = api_kpi_read_targets(result->results[1], targets);

    if (!query->series) {
        struct api_kpi_bucket *bucket = &query->buckets[0];
        body = json_pack("{s:s, s:o, s:o}", "scope", query->scope_text, "period",
                         api_kpi_period_json(&bucket->period, call->tenant), "kpis",
                         api_kpi_figures_json(
                             &bucket->counters, targets, target_count, bucket->period.first_day,
                             api_kpi_repeat_provisional(&bucket->period, query->repeat_window_days),
                             true));
    } else {
        json_t *series = json_array();
        for (size_t b = 0; b < query->bucket_count; b++) {
            struct api_kpi_bucket *bucket = &query->buckets[b];
            json_array_append_new(
                series,
                json_pack(
                    "{s:o, s:o}", "period", api_kpi_period_json(&bucket->period, call->tenant),
                    "kpis",
                    api_kpi_figures_json(
                        &bucket->counters, targets, target_count, bucket->period.first_day,
                        api_kpi_repeat_provisional(&bucket->period, query->repeat_window_days),
                        true)));
        }
        body = json_pack("{s:s, s:o}", "scope", query->scope_text, "series", series);
    }
    if (query->channel >= 0)
        json_object_set_new(body, "channel",
                            json_string(event_channel_name((enum event_channel)query->channel)));
    free(targets);
    http_reply_json(call, 200, body);
    api_kpi_query_free(query);
}

/* Build the SQL over aggregates (or raw contacts) and send it with the targets, the
 * survey ratings and the baseline year's volumes: four statements, one snapshot. */
static void api_kpi_run(struct api_kpi_query *query)
{
    const char *bucket, *survey_bucket;
    struct db_statement statements[4];
    struct api_kpi_baseline_params baseline;
    const struct tenant *tenant = query->call->tenant;

    switch (query->grouping) {
    case API_KPI_BY_MONTH:
        bucket = survey_bucket = "to_char(local_date, 'YYYY-MM')";
        break;
    case API_KPI_BY_DAY:
        bucket = survey_bucket = "to_char(local_date, 'YYYY-MM-DD')";
        break;
    case API_KPI_BY_HOUR:
        bucket = query->use_raw
                     ? "(extract(epoch FROM offered_at)::bigint / 3600 * 3600)::text"
                     : "(extract(epoch FROM interval_start)::bigint / 3600 * 3600)::text";
        survey_bucket = "(extract(epoch FROM at)::bigint / 3600 * 3600)::text";
        break;
    case API_KPI_BY_QUARTER_HOUR:
        bucket = query->use_raw ? "(extract(epoch FROM offered_at)::bigint / 900 * 900)::text"
                                : "extract(epoch FROM interval_start)::bigint::text";
        survey_bucket = "(extract(epoch FROM at)::bigint / 900 * 900)::text";
        break;
    default:
        bucket = survey_bucket = "'total'";
        break;
    }
    char *sums_sql = api_kpi_texts.sums[query->scope.kind][query->grouping][query->use_raw];
    char *surveys_sql = api_kpi_texts.surveys[query->scope.kind][query->grouping];
    char *baseline_sql = api_kpi_texts.baseline[query->scope.kind][query->use_raw];
    if (!sums_sql[0])
        api_kpi_sums_sql(sums_sql, query->scope.kind, bucket, query->use_raw, true);
    if (!surveys_sql[0])
        api_kpi_surveys_sql(surveys_sql, query->scope.kind, survey_bucket);
    if (!baseline_sql[0])
        api_kpi_baseline_sql(baseline_sql, query->scope.kind, query->use_raw);
    query->repeat_window_days = 7; /* the default, until a row says otherwise */

    api_kpi_baseline_params_init(&baseline);
    for (size_t b = 0; b < query->bucket_count; b++)
        api_kpi_baseline_params_add(&baseline, &query->buckets[b].period, &tenant->tz,
                                    tenant->fy_start_month);
    api_kpi_baseline_params_finish(&baseline);

    calendar_format_rfc3339_utc(query->from_us, query->from_text);
    calendar_format_rfc3339_utc(query->to_us, query->to_text);
    memset(statements, 0, sizeof statements);
    statements[0].sql = sums_sql;
    statements[0].param_count = 5;
    statements[0].params[0] = tenant->id_text;
    statements[0].params[1] = query->from_text;
    statements[0].params[2] = query->to_text;
    statements[0].params[3] = query->scope.kind == SCOPE_TENANT ? NULL : query->scope.name;
    if (query->channel >= 0) {
        snprintf(query->channel_text, sizeof query->channel_text, "%d", query->channel);
        statements[0].params[4] = query->channel_text;
    }
    statements[1].param_count = query->channel >= 0 ? 3 : 2;
    statements[1].sql = query->channel >= 0 ? api_kpi_channel_targets_sql : api_kpi_targets_sql;
    statements[1].params[0] = tenant->id_text;
    statements[1].params[1] = query->scope_text;
    if (query->channel >= 0)
        statements[1].params[2] = event_channel_name((enum event_channel)query->channel);
    statements[2] = statements[0];
    statements[2].sql = surveys_sql;
    statements[3] = statements[0];
    statements[3].sql = baseline_sql;
    statements[3].param_count = 6;
    statements[3].params[1] = text_buffer_string(&baseline.local_from);
    statements[3].params[2] = text_buffer_string(&baseline.local_to);
    statements[3].params[5] = text_buffer_string(&baseline.fy);
    /* db_pool_submit copies the parameters */
    int failed =
        db_pool_submit(query->call->server->readers, statements, 4, api_kpi_on_result, query);
    api_kpi_baseline_params_free(&baseline);
    if (failed) {
        http_reply_error(query->call, 503, "out_of_memory", "out of memory", NULL);
        api_kpi_query_free(query);
    }
}

/* Common parameters: scope and channel. Replies and returns NULL on error. */
static struct api_kpi_query *api_kpi_query_new(struct http_call *call)
{
    struct api_kpi_query *query = calloc(1, sizeof *query);
    struct ccm_error error;

    if (!query) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return NULL;
    }
    query->call = call;
    query->channel = -1;
    if (scope_parse(http_query(call, "scope"), &query->scope, &error)) {
        http_reply_error(call, 400, "bad_scope", error.message, NULL);
        free(query);
        return NULL;
    }
    scope_format(&query->scope, query->scope_text, sizeof query->scope_text);
    if (http_query_channel(call, &query->channel)) {
        free(query);
        return NULL;
    }
    return query;
}

static bool api_kpi_on_interval_boundary(int64_t instant_us)
{
    return instant_us % API_KPI_INTERVAL_US == 0;
}

/* Parse an instant given as RFC 3339 or as a local date YYYY-MM-DD (its start). */
static int api_kpi_parse_instant(const char *text, const struct tenant *tenant, int64_t *out,
                                 struct ccm_error *error)
{
    int32_t day;
    if (strlen(text) == 10 && calendar_parse_date(text, 10, &day, NULL) == 0) {
        *out = tz_day_start(&tenant->tz, day);
        return 0;
    }
    return calendar_parse_rfc3339(text, strlen(text), out, error);
}

void api_kpis_get(struct http_call *call)
{
    struct api_kpi_query *query = api_kpi_query_new(call);
    const char *period = http_query(call, "period");
    const char *from = http_query(call, "from"), *to = http_query(call, "to");
    struct ccm_error error;
    struct period resolved;
    int64_t from_us, to_us;

    if (!query)
        return;
    if (period) {
        if (period_resolve(period, clock_now_us(), &call->tenant->tz, call->tenant->fy_start_month,
                           &resolved, &error)) {
            http_reply_error(call, 400, "bad_period", error.message, NULL);
            free(query);
            return;
        }
    } else if (from && to) {
        if (api_kpi_parse_instant(from, call->tenant, &from_us, &error) ||
            api_kpi_parse_instant(to, call->tenant, &to_us, &error) ||
            period_from_instants(from_us, to_us, &call->tenant->tz, &resolved, &error)) {
            http_reply_error(call, 400, "bad_period", error.message, NULL);
            free(query);
            return;
        }
    } else {
        http_reply_error(
            call, 400, "bad_period",
            "give period=today|mtd|YYYY-MM|rolling-30d|fy-YYYY, or from= and to=", NULL);
        free(query);
        return;
    }
    query->buckets = calloc(1, sizeof *query->buckets);
    if (!query->buckets) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        free(query);
        return;
    }
    query->bucket_count = 1;
    query->buckets[0].period = resolved;
    snprintf(query->buckets[0].sql_key, sizeof query->buckets[0].sql_key, "total");
    query->grouping = API_KPI_TOTAL;
    query->from_us = resolved.from_us;
    query->to_us = resolved.to_us;
    query->use_raw = !api_kpi_on_interval_boundary(resolved.from_us) ||
                     !api_kpi_on_interval_boundary(resolved.to_us);
    api_kpi_run(query);
}

static int api_kpi_parse_month(const char *text, int *year, int *month)
{
    char tail;
    if (!text || strlen(text) != 7 || sscanf(text, "%4d-%2d%c", year, month, &tail) != 2 ||
        *month < 1 || *month > 12 || *year < 1970 || *year > 9999)
        return -1;
    return 0;
}

static int api_kpi_monthly_buckets(struct api_kpi_query *query, const char *from, const char *to)
{
    int year, month, end_year, end_month;
    size_t count;
    const struct tz_rule *tz = &query->call->tenant->tz;

    if (api_kpi_parse_month(from, &year, &month) || api_kpi_parse_month(to, &end_year, &end_month))
        return -1;
    if (end_year * 12 + end_month < year * 12 + month)
        return -1;
    count = (size_t)((end_year * 12 + end_month) - (year * 12 + month) + 1);
    if (count > 1200)
        return -1;
    query->buckets = calloc(count, sizeof *query->buckets);
    if (!query->buckets)
        return -1;
    for (size_t b = 0; b < count; b++) {
        struct api_kpi_bucket *bucket = &query->buckets[b];
        period_month(year, month, tz, &bucket->period);
        snprintf(bucket->sql_key, sizeof bucket->sql_key, "%04d-%02d", year, month);
        if (++month > 12) {
            month = 1;
            year++;
        }
    }
    query->bucket_count = count;
    query->from_us = query->buckets[0].period.from_us;
    query->to_us = query->buckets[count - 1].period.to_us;
    return 0;
}

/* Room for one more bucket (zeroed), or NULL with error set. */
static struct api_kpi_bucket *api_kpi_next_bucket(struct api_kpi_query *query, size_t *count,
                                                  size_t *capacity, struct ccm_error *error)
{
    if (*count == API_KPI_MAX_BUCKETS) {
        ccm_error_set(error, "at most %d buckets per series", API_KPI_MAX_BUCKETS);
        return NULL;
    }
    if (*count == *capacity) {
        struct api_kpi_bucket *grown = realloc(query->buckets, 2 * *capacity * sizeof *grown);
        if (!grown) {
            ccm_error_set(error, "out of memory");
            return NULL;
        }
        memset(grown + *capacity, 0, *capacity * sizeof *grown);
        query->buckets = grown;
        *capacity *= 2;
    }
    return &query->buckets[(*count)++];
}

static int api_kpi_interval_buckets(struct api_kpi_query *query, int64_t from_us, int64_t to_us,
                                    struct ccm_error *error)
{
    const struct tz_rule *tz = &query->call->tenant->tz;
    size_t count = 0, capacity = 64;

    if (to_us <= from_us)
        return ccm_error_set(error, "to must be after from");
    query->buckets = calloc(capacity, sizeof *query->buckets);
    if (!query->buckets)
        return ccm_error_set(error, "out of memory");
    if (query->grouping == API_KPI_BY_DAY) {
        int32_t day = tz_local_day(tz, from_us), last = tz_local_day(tz, to_us - 1);
        from_us = tz_day_start(tz, day);
        for (; day <= last; day++) {
            struct api_kpi_bucket *bucket = api_kpi_next_bucket(query, &count, &capacity, error);
            if (!bucket)
                return -1;
            period_day(day, tz, &bucket->period);
            calendar_format_date(day, bucket->sql_key);
            to_us = bucket->period.to_us;
        }
    } else {
        int64_t step = (query->grouping == API_KPI_BY_HOUR ? 3600 : 900) * CALENDAR_US_PER_SECOND;
        int64_t start = from_us - (((from_us % step) + step) % step);
        from_us = start;
        for (; start < to_us; start += step) {
            struct api_kpi_bucket *bucket = api_kpi_next_bucket(query, &count, &capacity, error);
            if (!bucket)
                return -1;
            if (period_from_instants(start, start + step, tz, &bucket->period, error))
                return -1;
            bucket->period.kind =
                query->grouping == API_KPI_BY_HOUR ? PERIOD_HOUR : PERIOD_QUARTER_HOUR;
            calendar_format_rfc3339_utc(start, bucket->period.key);
            snprintf(bucket->sql_key, sizeof bucket->sql_key, "%lld",
                     (long long)(start / CALENDAR_US_PER_SECOND));
        }
        to_us = start;
    }
    query->bucket_count = count;
    query->from_us = from_us;
    query->to_us = to_us;
    return 0;
}

void api_kpis_series_get(struct http_call *call)
{
    struct api_kpi_query *query = api_kpi_query_new(call);
    const char *interval = http_query(call, "interval");
    const char *from = http_query(call, "from"), *to = http_query(call, "to");
    struct ccm_error error;
    int64_t from_us, to_us;

    if (!query)
        return;
    query->series = true;
    if (!from || !to) {
        http_reply_error(call, 400, "bad_period",
                         "give from= and to= (YYYY-MM months, or instants with interval=)", NULL);
        free(query);
        return;
    }
    if (!interval || strcmp(interval, "month") == 0) {
        query->grouping = API_KPI_BY_MONTH;
        if (api_kpi_monthly_buckets(query, from, to)) {
            http_reply_error(call, 400, "bad_period",
                             "monthly series need from=YYYY-MM and to=YYYY-MM (inclusive, "
                             "to not before from, at most 100 years)",
                             NULL);
            api_kpi_query_free(query);
            return;
        }
    } else {
        if (strcmp(interval, "day") == 0)
            query->grouping = API_KPI_BY_DAY;
        else if (strcmp(interval, "hour") == 0)
            query->grouping = API_KPI_BY_HOUR;
        else if (strcmp(interval, "15m") == 0)
            query->grouping = API_KPI_BY_QUARTER_HOUR;
        else {
            http_reply_error(call, 400, "bad_interval", "interval must be month, day, hour or 15m",
                             NULL);
            free(query);
            return;
        }
        if (api_kpi_parse_instant(from, call->tenant, &from_us, &error) ||
            api_kpi_parse_instant(to, call->tenant, &to_us, &error) ||
            api_kpi_interval_buckets(query, from_us, to_us, &error)) {
            http_reply_error(call, 400, "bad_period", error.message, NULL);
            api_kpi_query_free(query);
            return;
        }
    }
    query->use_raw = !api_kpi_on_interval_boundary(query->from_us) ||
                     !api_kpi_on_interval_boundary(query->to_us);
    api_kpi_run(query);
}

int api_kpi_list_query(struct http_call *call, struct scope *scope, char *scope_text,
                       size_t scope_text_size, struct period *period, const char *count_name,
                       long fallback, long maximum, long *count)
{
    const char *period_text = http_query(call, "period"),
               *count_text = http_query(call, count_name);
    struct ccm_error error;
    char *end;

    if (scope_parse(http_query(call, "scope"), scope, &error) != 0) {
        http_reply_error(call, 400, "bad_scope", error.message, NULL);
        return -1;
    }
    scope_format(scope, scope_text, scope_text_size);
    if (!period_text || period_resolve(period_text, clock_now_us(), &call->tenant->tz,
                                       call->tenant->fy_start_month, period, &error) != 0) {
        http_reply_error(call, 400, "bad_period",
                         period_text
                             ? error.message
                             : "give period=today|mtd|YYYY-MM|rolling-30d|fy-YYYY|YYYY-MM-DD",
                         NULL);
        return -1;
    }
    *count = fallback;
    if (count_text) {
        *count = strtol(count_text, &end, 10);
        if (*end || end == count_text || *count < 1 || *count > maximum) {
            char message[96], code[32];
            snprintf(message, sizeof message, "%s must be a whole number from 1 to %ld", count_name,
                     maximum);
            snprintf(code, sizeof code, "bad_%s", count_name);
            http_reply_error(call, 400, code, message, NULL);
            return -1;
        }
    }
    return 0;
}
