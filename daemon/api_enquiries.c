/*
 * api_enquiries: members' enquiries (issue 8 point 5; docs/enquiries.md).
 *   POST /v1/enquiries                 (ingest) store or update enquiries, atomically
 *   PUT|DELETE|GET /v1/calendar/holidays (admin; GET read) the working-day calendar
 *   PUT /v1/enquiries/settings         (admin) due_working_days
 *   GET /v1/enquiries/kpis?scope=&period=  figures of the enquiries due in the period
 *   GET /v1/enquiries/ageing?at=       enquiries open at an instant, by unit and age
 *   GET /v1/exports/enquiries?fy=&format=json|csv  the financial-year table by unit
 * Nothing derived is stored: a read loads the tenant's calendar (holidays,
 * due_working_days, enquiry targets) first, then the enquiries opened in the range
 * whose due dates can fall in the period (lib/enquiry), and judges each in C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "clock.h"
#include "api_kpi.h"
#include "calendar.h"
#include "db.h"
#include "enquiry.h"
#include "enquiry_export.h"
#include "http.h"
#include "ingest.h"
#include "item_errors.h"
#include "period.h"
#include "server.h"
#include "tenant.h"
#include "text_buffer.h"

/* Reads as (unit, opened, delay, closed) with instants in microseconds. */
#define API_ENQUIRIES_COLUMNS                                                                      \
    "unit, (extract(epoch FROM opened_at) * 1000000)::bigint,"                                     \
    " (extract(epoch FROM delay_advised_at) * 1000000)::bigint,"                                   \
    " (extract(epoch FROM closed_at) * 1000000)::bigint"

static int64_t api_enquiries_int(PGresult *result, int row, int column)
{
    return strtoll(PQgetvalue(result, row, column), NULL, 10);
}

/* One enquiry of a result row (strings point into the result). */
static void api_enquiries_read_row(PGresult *result, int row, struct enquiry *out)
{
    memset(out, 0, sizeof *out);
    out->unit = PQgetvalue(result, row, 0);
    out->opened_us = api_enquiries_int(result, row, 1);
    out->has_delay = !PQgetisnull(result, row, 2);
    out->delay_us = out->has_delay ? api_enquiries_int(result, row, 2) : 0;
    out->has_closed = !PQgetisnull(result, row, 3);
    out->closed_us = out->has_closed ? api_enquiries_int(result, row, 3) : 0;
}

/* ---- POST /v1/enquiries ---- */

struct api_enquiries_post {
    struct http_call *call;
    size_t accepted;
};

static void api_enquiries_on_stored(const struct db_result *result, void *user_data)
{
    struct api_enquiries_post *post = user_data;
    PGresult *counts;

    if (!result->ok) {
        ingest_reply_failure(post->call, result, "enquiries");
        free(post);
        return;
    }
    counts = result->results[0];
    http_reply_json(post->call, 200,
                    json_pack("{s:I, s:I, s:I, s:I}", "accepted", (json_int_t)post->accepted,
                              "created", (json_int_t)api_enquiries_int(counts, 0, 0), "updated",
                              (json_int_t)api_enquiries_int(counts, 0, 1), "unchanged",
                              (json_int_t)api_enquiries_int(counts, 0, 2)));
    free(post);
}

void api_enquiries_post(struct http_call *call)
{
    size_t length;
    const char *body;
    enum event_body_format format;
    struct enquiry_batch batch;
    struct api_enquiries_post *post;
    struct db_statement statement = {0};
    char message[300], *items;
    int rc;

    if (ingest_body(call, &body, &length, &format))
        return;
    enquiry_batch_init(&batch);
    rc = enquiry_parse_body(&batch, body, length, format);
    if (rc != 0) {
        int status = batch.too_many_items ? 413 : (rc < 0 ? 400 : 422);
        const char *code = batch.too_many_items ? "too_many_items"
                           : rc < 0             ? "bad_body"
                                                : "invalid_enquiries";
        if (rc < 0 && batch.error_count > 0)
            snprintf(message, sizeof message, "the body cannot be read: %.200s; nothing was stored",
                     batch.errors[0].message);
        else
            snprintf(message, sizeof message,
                     "%zu item%s invalid; nothing was stored (details list up to %d)",
                     batch.error_count, batch.error_count == 1 ? " is" : "s are",
                     ENQUIRY_MAX_ERRORS);
        http_reply_error(call, status, code, message,
                         item_errors_json(batch.errors, batch.error_count, ENQUIRY_MAX_ERRORS));
        enquiry_batch_free(&batch);
        return;
    }
    json_t *json = enquiry_batch_json(&batch);
    items = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    post = calloc(1, sizeof *post);
    if (!items || !post) {
        free(items);
        free(post);
        enquiry_batch_free(&batch);
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
        return;
    }
    post->call = call;
    post->accepted = batch.count;
    enquiry_batch_free(&batch);
    statement.sql = "SELECT created, updated, unchanged FROM ccm_enquiries_put($1, $2::jsonb)";
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = items;
    rc = db_pool_submit(call->server->readers, &statement, 1, api_enquiries_on_stored, post);
    free(items);
    if (rc != 0) {
        free(post);
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
    }
}

/* ---- the calendar: holidays and settings ---- */

static const char *const api_enquiries_holidays_sql =
    "SELECT day::text FROM enquiry_holidays WHERE tenant_id = $1 ORDER BY day";

static json_t *api_enquiries_dates_json(PGresult *rows)
{
    json_t *dates = json_array();
    for (int r = 0; r < PQntuples(rows); r++)
        json_array_append_new(dates, json_string(PQgetvalue(rows, r, 0)));
    return dates;
}

/* Answers {"dates": [...]} (every holiday after the change) plus a count. */
static void api_enquiries_on_holidays(const struct db_result *result, void *user_data)
{
    struct http_call *call = user_data;
    const char *method = call->method_name;

    if (!result->ok) {
        http_reply_db_failure(call, result, "storage_failed", "the holidays could not be stored");
        return;
    }
    if (result->result_count == 1) {
        http_reply_json(call, 200,
                        json_pack("{s:o}", "dates", api_enquiries_dates_json(result->results[0])));
        return;
    }
    http_reply_json(call, 200,
                    json_pack("{s:I, s:o}", strcmp(method, "DELETE") == 0 ? "removed" : "added",
                              (json_int_t)api_enquiries_int(result->results[0], 0, 0), "dates",
                              api_enquiries_dates_json(result->results[1])));
}

static void api_enquiries_holidays_change(struct http_call *call, bool add)
{
    json_t *body = http_body_json_object(call);
    struct db_statement statements[2];
    struct ccm_error error;
    struct text_buffer array;
    int32_t *days;
    size_t count;
    char date[11];

    if (!body)
        return;
    if (enquiry_holidays_parse(body, &days, &count, &error) != 0) {
        json_decref(body);
        http_reply_error(call, 422, "invalid_holidays", error.message, NULL);
        return;
    }
    json_decref(body);
    text_buffer_init(&array);
    text_buffer_append_string(&array, "{");
    for (size_t i = 0; i < count; i++) {
        calendar_format_date(days[i], date);
        text_buffer_printf(&array, "%s%s", i ? "," : "", date);
    }
    text_buffer_append_string(&array, "}");
    free(days);
    if (array.failed) {
        text_buffer_free(&array);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    memset(statements, 0, sizeof statements);
    statements[0].sql =
        add ? "WITH added AS (INSERT INTO enquiry_holidays (tenant_id, day)"
              " SELECT $1, unnest($2::date[]) ON CONFLICT DO NOTHING RETURNING 1)"
              " SELECT count(*) FROM added"
            : "WITH removed AS (DELETE FROM enquiry_holidays WHERE tenant_id = $1"
              " AND day = ANY ($2::date[]) RETURNING 1) SELECT count(*) FROM removed";
    statements[0].param_count = 2;
    statements[0].params[0] = call->tenant->id_text;
    statements[0].params[1] = array.data;
    statements[1].sql = api_enquiries_holidays_sql;
    statements[1].param_count = 1;
    statements[1].params[0] = call->tenant->id_text;
    if (db_pool_submit(call->server->readers, statements, 2, api_enquiries_on_holidays, call))
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
    text_buffer_free(&array);
}

void api_calendar_holidays_put(struct http_call *call)
{
    api_enquiries_holidays_change(call, true);
}

void api_calendar_holidays_delete(struct http_call *call)
{
    api_enquiries_holidays_change(call, false);
}

void api_calendar_holidays_get(struct http_call *call)
{
    struct db_statement statement = {0};
    statement.sql = api_enquiries_holidays_sql;
    statement.param_count = 1;
    statement.params[0] = call->tenant->id_text;
    if (db_pool_submit(call->server->readers, &statement, 1, api_enquiries_on_holidays, call))
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
}

static void api_enquiries_on_settings(const struct db_result *result, void *user_data)
{
    struct http_call *call = user_data;
    if (!result->ok) {
        http_reply_db_failure(call, result, "storage_failed", "the settings could not be stored");
        return;
    }
    http_reply_json(call, 200,
                    json_pack("{s:I}", "due_working_days",
                              (json_int_t)api_enquiries_int(result->results[0], 0, 0)));
}

void api_enquiries_settings_put(struct http_call *call)
{
    json_t *body = http_body_json_object(call), *days;
    struct db_statement statement = {0};
    const char *key;
    json_t *value;
    char text[16];

    if (!body)
        return;
    json_object_foreach(body, key, value)
    {
        if (strcmp(key, "due_working_days") != 0) {
            json_decref(body);
            http_reply_error(call, 422, "invalid_settings", "unknown key (known: due_working_days)",
                             NULL);
            return;
        }
    }
    days = json_object_get(body, "due_working_days");
    if (!json_is_integer(days) || json_integer_value(days) < 1 ||
        json_integer_value(days) > ENQUIRY_DUE_DAYS_MAX) {
        json_decref(body);
        char message[96];
        snprintf(message, sizeof message,
                 "due_working_days must be a whole number of working days, 1 to %d",
                 ENQUIRY_DUE_DAYS_MAX);
        http_reply_error(call, 422, "invalid_settings", message, NULL);
        return;
    }
    snprintf(text, sizeof text, "%lld", (long long)json_integer_value(days));
    json_decref(body);
    statement.sql = "INSERT INTO enquiry_settings (tenant_id, due_working_days) VALUES ($1, $2)"
                    " ON CONFLICT (tenant_id) DO UPDATE SET due_working_days ="
                    " excluded.due_working_days, updated_at = now() RETURNING due_working_days";
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = text;
    if (db_pool_submit(call->server->readers, &statement, 1, api_enquiries_on_settings, call))
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
}

/* ---- reads: the calendar first, then the enquiries ---- */

enum api_enquiries_view { API_ENQUIRIES_KPIS, API_ENQUIRIES_TABLE };

struct api_enquiries_target {
    char *scope;
    struct kpi_target target;
};

struct api_enquiries_read {
    struct http_call *call;
    enum api_enquiries_view view;
    char unit[ENQUIRY_UNIT_BYTES]; /* kpis: "" for the tenant */
    char scope_text[ENQUIRY_UNIT_BYTES + 8];
    struct period period; /* kpis */
    int fy;               /* table */
    char format[8];       /* table: json or csv */
    int32_t due_from, due_to;
    int32_t *holidays;
    size_t holiday_count;
    int due_working_days;
    struct api_enquiries_target *targets;
    size_t target_count;
};

static void api_enquiries_read_free(struct api_enquiries_read *read)
{
    for (size_t i = 0; i < read->target_count; i++)
        free(read->targets[i].scope);
    free(read->targets);
    free(read->holidays);
    free(read);
}

/* The targets of one scope, as enquiry targets (kpi: enum enquiry_kpi); owned by the
 * caller. NULL with *count 0 when there are none (or out of memory). */
static struct kpi_target *api_enquiries_targets_of(const struct api_enquiries_read *read,
                                                   const char *scope, size_t *count)
{
    struct kpi_target *out = read->target_count ? calloc(read->target_count, sizeof *out) : NULL;
    *count = 0;
    for (size_t i = 0; out && i < read->target_count; i++)
        if (strcmp(read->targets[i].scope, scope) == 0)
            out[(*count)++] = read->targets[i].target;
    return out;
}

static void api_enquiries_reply_kpis(struct api_enquiries_read *read, PGresult *rows)
{
    struct workday_calendar calendar = {read->holidays, read->holiday_count};
    struct enquiry_counts counts = {0};
    struct kpi_target *targets;
    size_t target_count;

    for (int r = 0; r < PQntuples(rows); r++) {
        struct enquiry enquiry;
        struct enquiry_judgement judgement;
        api_enquiries_read_row(rows, r, &enquiry);
        enquiry_judge(&enquiry, &read->call->tenant->tz, &calendar, read->due_working_days,
                      &judgement);
        if (judgement.due_day >= read->due_from && judgement.due_day < read->due_to)
            enquiry_counts_add_result(&counts, judgement.result);
    }
    targets = api_enquiries_targets_of(read, read->scope_text, &target_count);
    http_reply_json(
        read->call, 200,
        json_pack("{s:s, s:o, s:i, s:o}", "scope", read->scope_text, "period",
                  api_kpi_period_json(&read->period, read->call->tenant), "due_working_days",
                  read->due_working_days, "kpis",
                  enquiry_figures_json(&counts, targets, target_count, read->period.first_day)));
    free(targets);
}

static void api_enquiries_reply_table(struct api_enquiries_read *read, PGresult *rows)
{
    struct http_call *call = read->call;
    struct workday_calendar calendar = {read->holidays, read->holiday_count};
    struct enquiry_table table;
    char scope[ENQUIRY_UNIT_BYTES + 8];
    struct text_buffer text;

    if (enquiry_table_init(&table, read->fy, call->tenant->fy_start_month,
                           read->due_working_days) != 0) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    for (int r = 0; r < PQntuples(rows); r++) {
        struct enquiry enquiry;
        struct enquiry_judgement judgement;
        api_enquiries_read_row(rows, r, &enquiry);
        enquiry_judge(&enquiry, &call->tenant->tz, &calendar, read->due_working_days, &judgement);
        if (enquiry_table_add(&table, enquiry.unit, judgement.due_day, judgement.result) != 0) {
            enquiry_table_free(&table);
            http_reply_error(call, 503, "too_many_units",
                             "more delivery units than a table can show", NULL);
            return;
        }
    }
    enquiry_table_sort(&table);
    for (size_t i = 0; i < table.row_count; i++) {
        struct enquiry_table_row *row = &table.rows[i];
        if (row->unit)
            snprintf(scope, sizeof scope, "unit:%s", row->unit);
        else
            snprintf(scope, sizeof scope, "tenant");
        row->targets = api_enquiries_targets_of(read, scope, &row->target_count);
    }
    if (strcmp(read->format, "json") == 0) {
        json_t *body = enquiry_table_json(&table);
        json_object_set_new(
            body, "tz",
            json_string(call->tenant->tz.name[0] ? call->tenant->tz.name : "Europe/London"));
        enquiry_table_free(&table);
        http_reply_json(call, 200, body);
        return;
    }
    bool html = strcmp(read->format, "html") == 0;
    text_buffer_init(&text);
    if (html) {
        char title[200];
        snprintf(title, sizeof title, "%s: members' enquiries %d-%02d", call->tenant->name,
                 read->fy, (read->fy + 1) % 100);
        enquiry_table_html(&table, title, &text);
    } else {
        enquiry_table_csv(&table, &text);
    }
    enquiry_table_free(&table);
    if (text.failed) {
        text_buffer_free(&text);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    char disposition[120];
    struct evkeyvalq *headers = evhttp_request_get_output_headers(call->request);
    snprintf(disposition, sizeof disposition, "%s; filename=\"members-enquiries-%d-%02d.%s\"",
             html ? "inline" : "attachment", read->fy, (read->fy + 1) % 100, html ? "html" : "csv");
    evhttp_add_header(headers, "Content-Type",
                      html ? "text/html; charset=utf-8"
                           : "text/csv; charset=utf-8; header=present");
    evhttp_add_header(headers, "Content-Disposition", disposition);
    evbuffer_add(evhttp_request_get_output_buffer(call->request), text.data, text.length);
    text_buffer_free(&text);
    http_reply(call, 200);
}

static void api_enquiries_on_rows(const struct db_result *result, void *user_data)
{
    struct api_enquiries_read *read = user_data;

    if (!result->ok)
        http_reply_db_failure(read->call, result, "query_failed",
                              "the enquiries could not be read");
    else if (read->view == API_ENQUIRIES_KPIS)
        api_enquiries_reply_kpis(read, result->results[0]);
    else
        api_enquiries_reply_table(read, result->results[0]);
    api_enquiries_read_free(read);
}

static int api_enquiries_read_calendar(struct api_enquiries_read *read,
                                       const struct db_result *result)
{
    PGresult *holidays = result->results[0], *settings = result->results[1],
             *targets = result->results[2];
    struct ccm_error error;

    read->holiday_count = 0;
    read->holidays = calloc((size_t)PQntuples(holidays) + 1, sizeof *read->holidays);
    read->targets = calloc((size_t)PQntuples(targets) + 1, sizeof *read->targets);
    if (!read->holidays || !read->targets)
        return -1;
    for (int r = 0; r < PQntuples(holidays); r++) {
        const char *text = PQgetvalue(holidays, r, 0);
        if (calendar_parse_date(text, strlen(text), &read->holidays[read->holiday_count], &error) ==
            0)
            read->holiday_count++;
    }
    read->due_working_days = (int)api_enquiries_int(settings, 0, 0);
    for (int r = 0; r < PQntuples(targets); r++) {
        struct api_enquiries_target *t = &read->targets[read->target_count];
        const char *from = PQgetvalue(targets, r, 2);
        int key = enquiry_kpi_from_name(PQgetvalue(targets, r, 1));
        if (key < 0)
            continue;
        t->target.kpi = (enum kpi_key)key;
        t->target.effective_from = INT32_MIN;
        if (!PQgetisnull(targets, r, 2) &&
            calendar_parse_date(from, strlen(from), &t->target.effective_from, &error) != 0)
            continue;
        t->target.value = strtod(PQgetvalue(targets, r, 3), NULL);
        t->target.has_amber = !PQgetisnull(targets, r, 4);
        t->target.amber = t->target.has_amber ? strtod(PQgetvalue(targets, r, 4), NULL) : 0;
        t->scope = strdup(PQgetvalue(targets, r, 0));
        if (!t->scope)
            return -1;
        read->target_count++;
    }
    return 0;
}

static void api_enquiries_on_calendar(const struct db_result *result, void *user_data)
{
    struct api_enquiries_read *read = user_data;
    struct http_call *call = read->call;
    struct db_statement statement = {0};
    struct workday_calendar calendar;
    int32_t opened_from, opened_to;
    char from[32], to[32];

    if (!result->ok) {
        http_reply_db_failure(call, result, "query_failed", "the calendar could not be read");
        api_enquiries_read_free(read);
        return;
    }
    if (api_enquiries_read_calendar(read, result) != 0) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_enquiries_read_free(read);
        return;
    }
    calendar = (struct workday_calendar){read->holidays, read->holiday_count};
    enquiry_opened_range(&calendar, read->due_working_days, read->due_from, read->due_to,
                         &opened_from, &opened_to);
    calendar_format_rfc3339_utc(tz_day_start(&call->tenant->tz, opened_from), from);
    calendar_format_rfc3339_utc(tz_day_start(&call->tenant->tz, opened_to), to);
    statement.sql = "SELECT " API_ENQUIRIES_COLUMNS " FROM enquiries WHERE tenant_id = $1"
                    " AND opened_at >= $2 AND opened_at < $3 AND ($4::text IS NULL OR unit = $4)";
    statement.param_count = 4;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = from;
    statement.params[2] = to;
    statement.params[3] = read->unit[0] ? read->unit : NULL;
    if (db_pool_submit(call->server->readers, &statement, 1, api_enquiries_on_rows, read)) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_enquiries_read_free(read);
    }
}

/* Loads the calendar and the enquiry targets of the tenant (channel '': enquiries have
 * no channel). */
static void api_enquiries_start_read(struct api_enquiries_read *read)
{
    struct http_call *call = read->call;
    struct db_statement statements[3];

    memset(statements, 0, sizeof statements);
    statements[0].sql = api_enquiries_holidays_sql;
    statements[1].sql = "SELECT coalesce((SELECT due_working_days FROM enquiry_settings"
                        " WHERE tenant_id = $1), 5)";
    statements[2].sql =
        "SELECT scope, kpi, CASE WHEN effective_from = '-infinity' THEN NULL"
        " ELSE effective_from::text END, value, amber FROM targets t WHERE tenant_id = $1"
        " AND kpi IN ('closed_in_time_pct', 'responded_in_time_pct')"
        " AND (scope = 'tenant' OR scope LIKE 'unit:%')"
        " AND channel = ''";
    for (int i = 0; i < 3; i++) {
        statements[i].param_count = 1;
        statements[i].params[0] = call->tenant->id_text;
    }
    if (db_pool_submit(call->server->readers, statements, 3, api_enquiries_on_calendar, read)) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_enquiries_read_free(read);
    }
}

void api_enquiries_kpis_get(struct http_call *call)
{
    struct api_enquiries_read *read = calloc(1, sizeof *read);
    const char *scope = http_query(call, "scope"), *period = http_query(call, "period");
    struct ccm_error error;

    if (!read) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    read->call = call;
    read->view = API_ENQUIRIES_KPIS;
    if (enquiry_scope_parse(scope ? scope : "tenant", read->unit, &error) != 0) {
        free(read);
        http_reply_error(call, 400, "bad_scope", error.message, NULL);
        return;
    }
    if (!period) {
        free(read);
        http_reply_error(
            call, 400, "bad_period",
            "period is required: today, mtd, YYYY-MM, YYYY-MM-DD, rolling-30d, fy-YYYY", NULL);
        return;
    }
    if (period_resolve(period, clock_now_us(), &call->tenant->tz, call->tenant->fy_start_month,
                       &read->period, &error) != 0) {
        free(read);
        http_reply_error(call, 400, "bad_period", error.message, NULL);
        return;
    }
    snprintf(read->scope_text, sizeof read->scope_text, "%s%s", read->unit[0] ? "unit:" : "tenant",
             read->unit);
    read->due_from = read->period.first_day;
    read->due_to = read->period.end_day;
    api_enquiries_start_read(read);
}

void api_exports_enquiries_get(struct http_call *call)
{
    struct api_enquiries_read *read = calloc(1, sizeof *read);
    const char *fy = http_query(call, "fy"), *format = http_query(call, "format");
    char *end = NULL;
    long year = fy ? strtol(fy, &end, 10) : 0;
    int start_month = call->tenant->fy_start_month;

    if (!read) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    if (!fy || !end || *end || strlen(fy) != 4 || year < 1971 || year > 9997) {
        free(read);
        http_reply_error(call, 400, "bad_fy",
                         "fy must be the year YYYY the financial year starts in", NULL);
        return;
    }
    if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0 &&
        strcmp(format, "html") != 0) {
        free(read);
        http_reply_error(call, 400, "bad_format", "format must be json, csv or html", NULL);
        return;
    }
    read->call = call;
    read->view = API_ENQUIRIES_TABLE;
    read->fy = (int)year;
    snprintf(read->format, sizeof read->format, "%s", format ? format : "json");
    read->due_from = calendar_days_from_civil((int)year, start_month, 1);
    read->due_to = calendar_days_from_civil((int)year + 1, start_month, 1);
    api_enquiries_start_read(read);
}

/* ---- GET /v1/enquiries/ageing ---- */

struct api_enquiries_ageing {
    struct http_call *call;
    int64_t at_us;
};

static void api_enquiries_on_ageing(const struct db_result *result, void *user_data)
{
    struct api_enquiries_ageing *ageing = user_data;
    struct http_call *call = ageing->call;
    struct enquiry_ageing total = {{0}}, unit = {{0}};
    json_t *units = json_object();
    PGresult *rows;
    char at[32];

    if (!result->ok) {
        json_decref(units);
        http_reply_db_failure(call, result, "query_failed", "the enquiries could not be read");
        free(ageing);
        return;
    }
    rows = result->results[0];
    /* Rows come ordered by unit: a unit's buckets are complete when the unit changes. */
    for (int r = 0; r < PQntuples(rows); r++) {
        struct enquiry enquiry;
        api_enquiries_read_row(rows, r, &enquiry);
        enum enquiry_age_bucket bucket = enquiry_age_bucket_of(
            enquiry_age_days(enquiry.opened_us, ageing->at_us, &call->tenant->tz));
        unit.buckets[bucket]++;
        total.buckets[bucket]++;
        if (r + 1 == PQntuples(rows) || strcmp(enquiry.unit, PQgetvalue(rows, r + 1, 0)) != 0) {
            json_object_set_new(units, enquiry.unit, enquiry_ageing_json(&unit));
            memset(&unit, 0, sizeof unit);
        }
    }
    calendar_format_rfc3339_utc(ageing->at_us, at);
    http_reply_json(call, 200,
                    json_pack("{s:s, s:s, s:o, s:o}", "at", at, "tz",
                              call->tenant->tz.name[0] ? call->tenant->tz.name : "Europe/London",
                              "units", units, "total", enquiry_ageing_json(&total)));
    free(ageing);
}

void api_enquiries_ageing_get(struct http_call *call)
{
    struct api_enquiries_ageing *ageing = calloc(1, sizeof *ageing);
    const char *at = http_query(call, "at");
    struct db_statement statement = {0};
    struct ccm_error error;
    char at_text[32];

    if (!ageing) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    ageing->call = call;
    ageing->at_us = clock_now_us();
    if (at && calendar_parse_rfc3339(at, strlen(at), &ageing->at_us, &error) != 0) {
        free(ageing);
        http_reply_error(call, 400, "bad_instant", error.message, NULL);
        return;
    }
    if (ageing->at_us < EVENT_INSTANT_MIN_US || ageing->at_us > EVENT_INSTANT_MAX_US) {
        free(ageing);
        http_reply_error(call, 400, "bad_instant", "at is outside the years 1970 to 9998", NULL);
        return;
    }
    calendar_format_rfc3339_utc(ageing->at_us, at_text);
    /* Ordered by the bytes of the unit, so the answer does not depend on the collation. */
    /* Open at $2: still open, or closed after it (one index each, sql/013). */
    statement.sql = "SELECT * FROM (SELECT " API_ENQUIRIES_COLUMNS " FROM enquiries"
                    " WHERE tenant_id = $1 AND opened_at <= $2 AND closed_at IS NULL"
                    " UNION ALL SELECT " API_ENQUIRIES_COLUMNS " FROM enquiries"
                    " WHERE tenant_id = $1 AND closed_at > $2 AND opened_at <= $2) open_then"
                    " ORDER BY unit COLLATE \"C\"";
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = at_text;
    if (db_pool_submit(call->server->readers, &statement, 1, api_enquiries_on_ageing, ageing)) {
        free(ageing);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
    }
}
