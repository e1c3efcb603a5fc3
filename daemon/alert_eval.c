/*
 * alert_eval: the alert rules' evaluator (see alert_eval.h).
 */
#include "alert_eval.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "clock.h"
#include "alert_payload.h"
#include "api_kpi.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "server.h"
#include "webhook_sender.h"

/* After a commit a pass starts 10 ms later (commits that close together are one
 * pass), and never sooner than 100 ms, nor twice the previous pass's duration,
 * after the previous one started: a prompt notification when the centre is
 * quiet; under steady ingest at most ten passes a second, and evaluation busy at
 * most half the time however many rules there are. */
#define ALERT_WAKE_MIN_S 0.010
#define ALERT_PASS_GAP_S 0.100

struct alert_evaluator {
    struct server *server;
    struct db_pool *pool; /* one session: it holds the evaluator lock */
    struct event *timer;
    struct event *wake;
    bool wake_pending;
    bool in_flight;
    bool again; /* woken during a pass: run another when it ends */
    bool closing;
    bool leader;
    double pass_started_s;
    double read_ms, judge_ms; /* of the pass in flight, for the log */
    double last_pass_s;       /* how long the last pass took */
    int rules, stored_states;
    char sums_sql[2048];
    char raw_sql[2048];
};

/* One row of sums: a (tenant, queue, service, channel) over a part of a window. */
struct alert_sums_row {
    int64_t tenant_id;
    const char *queue;
    const char *service; /* NULL: in no service */
    bool part;           /* today (of the month's rows) or the last 15 minutes (of the hour's) */
    int channel;
    struct kpi_counters counters;
};

struct alert_sums {
    struct alert_sums_row *rows;
    int count;
};

void alert_evaluator_link(const struct server *server, const char *scope_text, const char *channel,
                          enum alert_window window, char *out, size_t size)
{
    const struct config *config = server->config;
    char base[512];
    char *scope = evhttp_uriencode(scope_text, -1, 0);

    if (config->public_url && *config->public_url) {
        size_t length = strlen(config->public_url);
        snprintf(base, sizeof base, "%.*s",
                 (int)(length && config->public_url[length - 1] == '/' ? length - 1 : length),
                 config->public_url);
    } else {
        const char *colon = strrchr(config->listen, ':');
        snprintf(base, sizeof base, "http://%.*s:%d", (int)(colon ? colon - config->listen : 0),
                 config->listen, server->port);
    }
    snprintf(out, size, "%s/%s?scope=%s%s%s", base, window == ALERT_WINDOW_MTD ? "month.html" : "",
             scope ? scope : "tenant", channel && *channel ? "&channel=" : "",
             channel ? channel : "");
    free(scope);
}

static void alert_pass_start(struct alert_evaluator *evaluator);

/* Read the sums of a result into rows (the text they point to stays in `result`). */
static int alert_sums_read(struct alert_sums *sums, PGresult *result)
{
    sums->count = PQntuples(result);
    sums->rows = sums->count ? calloc((size_t)sums->count, sizeof *sums->rows) : NULL;
    if (sums->count && !sums->rows)
        return -1;
    for (int r = 0; r < sums->count; r++) {
        struct alert_sums_row *row = &sums->rows[r];
        row->tenant_id = strtoll(PQgetvalue(result, r, 0), NULL, 10);
        row->queue = PQgetvalue(result, r, 1);
        row->service = PQgetisnull(result, r, 2) ? NULL : PQgetvalue(result, r, 2);
        row->part = PQgetvalue(result, r, 3)[0] == 't';
        row->channel = (int)strtol(PQgetvalue(result, r, 4), NULL, 10);
        api_kpi_read_sums(result, r, 5, &row->counters);
    }
    return 0;
}

/* The first row of `tenant_id` at or after *cursor (rows and rules both in tenant order). */
static int alert_tenant_start(const int64_t *tenant_of, int count, int *cursor, int64_t tenant_id)
{
    while (*cursor < count && tenant_of[*cursor] < tenant_id)
        (*cursor)++;
    return *cursor;
}

/* Sum a rule's scope over its window. */
static void alert_sum_scope(const struct alert_sums *sums, int start, int64_t tenant_id,
                            const struct alert_rule *rule, bool part_only, struct kpi_counters *out)
{
    memset(out, 0, sizeof *out);
    for (int r = start; r < sums->count && sums->rows[r].tenant_id == tenant_id; r++) {
        const struct alert_sums_row *row = &sums->rows[r];
        if ((part_only && !row->part) || (rule->channel >= 0 && row->channel != rule->channel))
            continue;
        if (rule->scope.kind == SCOPE_QUEUE && strcmp(row->queue, rule->scope.name) != 0)
            continue;
        if (rule->scope.kind == SCOPE_SERVICE &&
            (!row->service || strcmp(row->service, rule->scope.name) != 0))
            continue;
        kpi_counters_add(out, &row->counters);
    }
}

/* Whether a stored figure (NULL, or PostgreSQL's exact shortest text of a double)
 * is the one just computed. */
static bool alert_same_number(PGresult *result, int row, int column, bool has, double value)
{
    if (PQgetisnull(result, row, column))
        return !has;
    return has && strtod(PQgetvalue(result, row, column), NULL) == value;
}

/* The row of a rule in the no-data answer (ordered by id, bytewise), or -1. */
static int alert_find_rule(PGresult *rows, const char *rule_id)
{
    int low = 0, high = PQntuples(rows) - 1;
    while (low <= high) {
        int middle = low + (high - low) / 2;
        int order = strcmp(PQgetvalue(rows, middle, 0), rule_id);
        if (order == 0)
            return middle;
        if (order < 0)
            low = middle + 1;
        else
            high = middle - 1;
    }
    return -1;
}

static int64_t alert_column_us(PGresult *result, int row, int column)
{
    return PQgetisnull(result, row, column) ? 0
                                            : strtoll(PQgetvalue(result, row, column), NULL, 10);
}

/* The target in force for a rule, from the targets result (tenant, scope order). */
/* The target in force of a rule's scope, KPI and channel ("": the figure of every
 * channel; a channel's figure is judged by that channel's targets only). */
static bool alert_target(PGresult *targets, int start, int64_t tenant_id, const char *scope_text,
                         const char *channel, enum kpi_key kpi, int32_t first_day, double *out)
{
    struct kpi_target best = {0};
    bool found = false;
    for (int r = start; r < PQntuples(targets); r++) {
        if (strtoll(PQgetvalue(targets, r, 0), NULL, 10) != tenant_id)
            break;
        if (strcmp(PQgetvalue(targets, r, 1), scope_text) != 0 ||
            strcmp(PQgetvalue(targets, r, 5), channel) != 0 ||
            kpi_from_name(PQgetvalue(targets, r, 2)) != (int)kpi)
            continue;
        int32_t from = PQgetisnull(targets, r, 3)
                           ? INT32_MIN
                           : (int32_t)strtol(PQgetvalue(targets, r, 3), NULL, 10);
        if (from > first_day || (found && from < best.effective_from))
            continue;
        best.effective_from = from;
        best.value = strtod(PQgetvalue(targets, r, 4), NULL);
        found = true;
    }
    *out = best.value;
    return found;
}

/* Adds a notification's bodies to the notices array; -1 when out of memory. */
static int alert_notice_add(json_t *notices, const struct alert_notification *notification)
{
    char *bodies[ALERT_FORMAT_COUNT] = {0};
    int rc = 0;
    for (int f = 0; f < ALERT_FORMAT_COUNT; f++)
        if (!(bodies[f] = alert_payload_render(notification, f)))
            rc = -1;
    if (rc == 0 &&
        json_array_append_new(notices, json_pack("{s:s, s:s, s:s, s:s, s:s}", "rule_id",
                                                 notification->rule_id, "type", notification->type,
                                                 "generic", bodies[0], "slack", bodies[1], "teams",
                                                 bodies[2])))
        rc = -1;
    for (int f = 0; f < ALERT_FORMAT_COUNT; f++)
        free(bodies[f]);
    return rc;
}

/* A pass ended (its states stored, or nothing to store): log it, notify, go again if
 * woken meanwhile. */
static void alert_pass_done(struct alert_evaluator *evaluator, long stored)
{
    double total_ms = (clock_monotonic_s() - evaluator->pass_started_s) * 1e3;
    evaluator->in_flight = false;
    evaluator->last_pass_s = total_ms / 1e3;
    log_debug("alert.pass",
              "ms=%.1f read_ms=%.1f judge_ms=%.1f store_ms=%.1f rules=%d states=%d "
              "notifications=%ld",
              total_ms, evaluator->read_ms, evaluator->judge_ms,
              total_ms - evaluator->read_ms - evaluator->judge_ms, evaluator->rules,
              evaluator->stored_states, stored);
    if (stored > 0)
        webhook_sender_wake(evaluator->server->webhooks);
    if (evaluator->again && !evaluator->closing && !evaluator->server->shutting_down) {
        evaluator->again = false;
        alert_evaluator_wake(evaluator); /* after the gap: never back to back */
    }
}

static void alert_on_stored(const struct db_result *result, void *user_data)
{
    struct alert_evaluator *evaluator = user_data;
    char quoted[300];

    evaluator->in_flight = false;
    if (!result->ok) {
        if (!result->connection_failed)
            log_warn("alert.store_failed", "error=\"%s\"",
                     log_quote(result->error, quoted, sizeof quoted));
        evaluator->leader = false;
        return;
    }
    alert_pass_done(evaluator, strtol(PQgetvalue(result->results[0], 0, 0), NULL, 10));
}

/* Judge every rule; returns the states and notices to store (NULLs when out of memory). */
static void alert_judge(struct alert_evaluator *evaluator, const struct db_result *result,
                        json_t *states, json_t *notices)
{
    PGresult *rules = result->results[1], *no_data = result->results[4],
             *targets = result->results[5];
    int64_t now_us = strtoll(PQgetvalue(result->results[0], 0, 1), NULL, 10);
    struct alert_sums month = {0}, hour = {0};
    int month_cursor = 0, hour_cursor = 0, target_cursor = 0;
    int64_t *month_tenants = NULL, *hour_tenants = NULL, *target_tenants = NULL;

    if (alert_sums_read(&month, result->results[2]) || alert_sums_read(&hour, result->results[3]))
        goto done;
    month_tenants = calloc((size_t)month.count + 1, sizeof *month_tenants);
    hour_tenants = calloc((size_t)hour.count + 1, sizeof *hour_tenants);
    target_tenants = calloc((size_t)PQntuples(targets) + 1, sizeof *target_tenants);
    if (!month_tenants || !hour_tenants || !target_tenants)
        goto done;
    for (int r = 0; r < month.count; r++)
        month_tenants[r] = month.rows[r].tenant_id;
    for (int r = 0; r < hour.count; r++)
        hour_tenants[r] = hour.rows[r].tenant_id;
    for (int r = 0; r < PQntuples(targets); r++)
        target_tenants[r] = strtoll(PQgetvalue(targets, r, 0), NULL, 10);

    for (int r = 0; r < PQntuples(rules); r++) {
        const char *rule_id = PQgetvalue(rules, r, 0);
        int64_t tenant_id = strtoll(PQgetvalue(rules, r, 1), NULL, 10);
        struct alert_rule rule;
        struct alert_state state;
        struct alert_observation seen = {0};
        struct ccm_error error;
        json_t *definition = json_loads(PQgetvalue(rules, r, 2), 0, NULL);
        int parsed = definition ? alert_rule_parse(&rule, definition, &error) : -1;
        int weekday = (int)strtol(PQgetvalue(rules, r, 6), NULL, 10);
        int minute = (int)strtol(PQgetvalue(rules, r, 7), NULL, 10);
        int32_t today = (int32_t)strtol(PQgetvalue(rules, r, 8), NULL, 10);
        int32_t month_first = (int32_t)strtol(PQgetvalue(rules, r, 9), NULL, 10);
        const char *scope_text = PQgetvalue(rules, r, 10);
        int64_t sample = 0;
        bool has_value = true; /* false: a rate over nothing */

        json_decref(definition);
        if (parsed) {
            log_warn("alert.rule_unreadable", "rule=%s", rule_id); /* stored by an older version */
            continue;
        }
        int kind =
            PQgetisnull(rules, r, 3) ? ALERT_OK : alert_state_from_name(PQgetvalue(rules, r, 3));
        state.kind = kind < 0 ? ALERT_OK : (enum alert_state_kind)kind;
        state.since_us = PQgetisnull(rules, r, 3) ? now_us : alert_column_us(rules, r, 4);
        state.last_notified_us = alert_column_us(rules, r, 5);
        seen.open = opening_hours_is_open(&rule.hours, weekday, minute);

        if (rule.kind == ALERT_KIND_NO_DATA) {
            /* minutes without a contact offered, counted within opening time only */
            int limit = (int)rule.no_data_minutes + 1;
            double silence = limit;
            int row = alert_find_rule(no_data, rule_id);
            if (row >= 0 && !PQgetisnull(no_data, row, 1))
                silence = strtod(PQgetvalue(no_data, row, 1), NULL) / 60.0;
            int open_for = opening_hours_open_for(&rule.hours, weekday, minute, limit);
            seen.has_figure = true;
            seen.value = silence < open_for ? silence : open_for;
            seen.has_threshold = true;
            seen.threshold = (double)rule.no_data_minutes;
        } else {
            struct kpi_counters counters;
            struct kpi_value values[KPI_COUNT];
            bool rolling =
                rule.window == ALERT_WINDOW_ROLLING_1H || rule.window == ALERT_WINDOW_ROLLING_15M;
            const struct alert_sums *sums = rolling ? &hour : &month;
            int start =
                rolling ? alert_tenant_start(hour_tenants, hour.count, &hour_cursor, tenant_id)
                        : alert_tenant_start(month_tenants, month.count, &month_cursor, tenant_id);
            alert_sum_scope(sums, start, tenant_id, &rule,
                            rule.window == ALERT_WINDOW_TODAY ||
                                rule.window == ALERT_WINDOW_ROLLING_15M,
                            &counters);
            kpi_compute(&counters, values);
            sample = kpi_sample_size(rule.kpi, &counters);
            seen.value = values[rule.kpi].value;
            seen.has_figure = !values[rule.kpi].is_null && sample >= rule.min_sample;
            if (rule.has_threshold) {
                seen.has_threshold = true;
                seen.threshold = rule.threshold;
            } else {
                int target_start = alert_tenant_start(target_tenants, PQntuples(targets),
                                                      &target_cursor, tenant_id);
                seen.has_threshold = alert_target(
                    targets, target_start, tenant_id, scope_text,
                    rule.channel >= 0 ? event_channel_name((enum event_channel)rule.channel) : "",
                    rule.kpi, rule.window == ALERT_WINDOW_MTD ? month_first : today,
                    &seen.threshold);
            }
            has_value = !values[rule.kpi].is_null;
            if (!has_value)
                seen.value = 0;
        }
        struct alert_state before = state;
        enum alert_notice notice = alert_step(&rule, &state, &seen, now_us);
        /* Only what changed is stored: a steady rule costs no write. */
        bool unchanged = notice == ALERT_NOTICE_NONE && !PQgetisnull(rules, r, 3) &&
                         state.kind == before.kind && state.since_us == before.since_us &&
                         state.last_notified_us == before.last_notified_us &&
                         alert_same_number(rules, r, 11, has_value, seen.value) &&
                         alert_same_number(rules, r, 12, seen.has_threshold, seen.threshold) &&
                         alert_column_us(rules, r, 13) == sample && !PQgetisnull(rules, r, 14) &&
                         (PQgetvalue(rules, r, 14)[0] == 't') == seen.open;
        if (unchanged)
            continue;
        json_array_append_new(
            states,
            json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:I, s:b, s:b}", "rule_id", rule_id, "state",
                      alert_state_name(state.kind), "since_us", (json_int_t)state.since_us,
                      "last_notified_us", (json_int_t)state.last_notified_us, "value",
                      has_value ? json_real(seen.value) : json_null(), "threshold",
                      seen.has_threshold ? json_real(seen.threshold) : json_null(), "sample",
                      (json_int_t)sample, "open", seen.open, "resolved",
                      notice == ALERT_NOTICE_RESOLVED));
        if (notice == ALERT_NOTICE_NONE)
            continue;
        char link[600];
        alert_evaluator_link(
            evaluator->server, scope_text,
            rule.channel >= 0 ? event_channel_name((enum event_channel)rule.channel) : NULL,
            rule.window, link, sizeof link);
        struct alert_notification notification = {
            .type = alert_notice_type(notice),
            .at_us = now_us,
            .rule_id = rule_id,
            .rule_name = rule.name,
            .scope = scope_text,
            .channel =
                rule.channel >= 0 ? event_channel_name((enum event_channel)rule.channel) : "",
            .kpi = rule.kind == ALERT_KIND_NO_DATA ? "no_data" : kpi_name(rule.kpi),
            .window = rule.kind == ALERT_KIND_NO_DATA ? "" : alert_window_name(rule.window),
            .has_value = has_value,
            .value = seen.value,
            .has_threshold = seen.has_threshold,
            .threshold = seen.threshold,
            .repeat = notice == ALERT_NOTICE_REPEAT,
            .link = link,
        };
        alert_notice_add(notices, &notification);
        log_info(notice == ALERT_NOTICE_RESOLVED ? "alert.resolved" : "alert.firing",
                 "rule=%s scope=\"%s\" kpi=%s value=%.3f threshold=%.3f repeat=%d", rule_id,
                 scope_text, notification.kpi, seen.value, seen.threshold,
                 notice == ALERT_NOTICE_REPEAT);
    }
done:
    free(month.rows);
    free(hour.rows);
    free(month_tenants);
    free(hour_tenants);
    free(target_tenants);
}

static void alert_on_read(const struct db_result *result, void *user_data)
{
    struct alert_evaluator *evaluator = user_data;
    struct db_statement statement = {0};
    char quoted[300];
    json_t *states, *notices;
    char *states_text, *notices_text;

    if (!result->ok || evaluator->closing || evaluator->server->shutting_down) {
        if (!result->ok && !result->connection_failed)
            log_warn("alert.read_failed", "error=\"%s\"",
                     log_quote(result->error, quoted, sizeof quoted));
        evaluator->in_flight = false;
        return;
    }
    bool leader = PQgetvalue(result->results[0], 0, 0)[0] == 't';
    if (leader != evaluator->leader)
        log_info(leader ? "alert.evaluating" : "alert.standing_by", "%s",
                 leader ? "reason=\"this daemon holds the evaluator lock\""
                        : "reason=\"another daemon evaluates the alert rules\"");
    evaluator->leader = leader;
    if (!leader) {
        evaluator->in_flight = false;
        return;
    }
    double judge_started_s = clock_monotonic_s();
    evaluator->read_ms = (judge_started_s - evaluator->pass_started_s) * 1e3;
    states = json_array();
    notices = json_array();
    alert_judge(evaluator, result, states, notices);
    evaluator->rules = PQntuples(result->results[1]);
    evaluator->stored_states = (int)json_array_size(states);
    if (json_array_size(states) == 0 && json_array_size(notices) == 0) {
        /* Nothing changed: no write. */
        json_decref(states);
        json_decref(notices);
        evaluator->judge_ms = (clock_monotonic_s() - judge_started_s) * 1e3;
        alert_pass_done(evaluator, 0);
        return;
    }
    states_text = json_dumps(states, JSON_COMPACT);
    notices_text = json_dumps(notices, JSON_COMPACT);
    json_decref(states);
    json_decref(notices);
    evaluator->judge_ms = (clock_monotonic_s() - judge_started_s) * 1e3;
    statement.sql = "SELECT ccm_alert_store($1::jsonb, $2::jsonb)";
    statement.param_count = 2;
    statement.params[0] = states_text;
    statement.params[1] = notices_text;
    if (!states_text || !notices_text ||
        db_pool_submit(evaluator->pool, &statement, 1, alert_on_stored, evaluator))
        evaluator->in_flight = false;
    free(states_text);
    free(notices_text);
}

static void alert_pass_start(struct alert_evaluator *evaluator)
{
    struct db_statement statements[6] = {{0}};

    if (evaluator->in_flight) {
        evaluator->again = true;
        return;
    }
    /* Leadership is asked once a pass (ccm_alert_leader reads pg_locks, which takes every
     * lock-manager partition); the statements after it read the answer from the session. */
    statements[0].sql = "SELECT set_config('ccm.alert_leader', ccm_alert_leader()::text, false)"
                        "::boolean, (extract(epoch FROM now()) * 1e6)::bigint";
    statements[1].sql = "SELECT r.id, r.tenant_id, r.definition::text, s.state,"
                        " (extract(epoch FROM s.since) * 1e6)::bigint,"
                        " (extract(epoch FROM s.last_notified_at) * 1e6)::bigint,"
                        " extract(dow FROM l.local)::int, (extract(hour FROM l.local) * 60"
                        " + extract(minute FROM l.local))::int, l.local::date - date '1970-01-01',"
                        " date_trunc('month', l.local)::date - date '1970-01-01', r.scope,"
                        " s.value, s.threshold, s.sample, s.open"
                        " FROM alert_rules r JOIN tenants t ON t.id = r.tenant_id"
                        " CROSS JOIN LATERAL (SELECT now() AT TIME ZONE t.time_zone AS local) l"
                        " LEFT JOIN alert_state s ON s.rule_id = r.id"
                        " WHERE r.enabled AND current_setting('ccm.alert_leader')::boolean ORDER "
                        "BY r.tenant_id, r.id";
    statements[2].sql = evaluator->sums_sql;
    statements[3].sql = evaluator->raw_sql;
    statements[4].sql =
        "SELECT r.id, extract(epoch FROM now() - greatest("
        " (SELECT max(c.offered_at) FROM contacts c WHERE c.tenant_id = r.tenant_id"
        "  AND c.offered_at > now() - make_interval(mins => r.no_data_minutes + 1)"
        "  AND c.offered_at <= now() AND (r.scope_kind = 'tenant' OR c.queue = ANY (q.queues))"
        "  AND (q.channel IS NULL OR c.channel = q.channel)),"
        " (SELECT max(l.offered_at) FROM lifecycle_calls l WHERE l.tenant_id = r.tenant_id"
        "  AND l.offered_at IS NOT NULL AND l.ended_at IS NULL AND l.timeout_at IS NULL"
        "  AND l.offered_at > now() - make_interval(mins => r.no_data_minutes + 1)"
        "  AND l.offered_at <= now() AND (r.scope_kind = 'tenant' OR l.queue = ANY (q.queues))"
        "  AND (q.channel IS NULL OR coalesce(l.channel, 0) = q.channel))))"
        " FROM alert_rules r JOIN tenants t ON t.id = r.tenant_id"
        " CROSS JOIN LATERAL (SELECT CASE r.scope_kind WHEN 'queue' THEN ARRAY[r.scope_name]"
        "  WHEN 'service' THEN ARRAY(SELECT s.queue FROM queue_settings_resolved s"
        "   WHERE s.tenant_id = r.tenant_id AND s.service = r.scope_name"
        "   AND s.valid_from <= (now() AT TIME ZONE t.time_zone)::date"
        "   AND (now() AT TIME ZONE t.time_zone)::date < s.valid_to) END AS queues,"
        /* the rule's channel as its number (lib/event.h enum event_channel) */
        "  (array_position(ARRAY['phone', 'face_to_face', 'webchat', 'email', 'social',"
        "   'webform'], r.definition->>'channel') - 1)::smallint AS channel) q"
        " WHERE r.enabled AND r.no_data_minutes IS NOT NULL AND "
        "current_setting('ccm.alert_leader')::boolean"
        " ORDER BY r.id COLLATE \"C\"";
    statements[5].sql =
        "SELECT tenant_id, scope, kpi, CASE WHEN isfinite(effective_from)"
        " THEN effective_from - date '1970-01-01' END, value, channel"
        " FROM targets WHERE tenant_id IN (SELECT tenant_id FROM alert_rules WHERE enabled)"
        " AND current_setting('ccm.alert_leader')::boolean ORDER BY tenant_id";
    evaluator->in_flight = true;
    evaluator->pass_started_s = clock_monotonic_s();
    if (db_pool_submit(evaluator->pool, statements, 6, alert_on_read, evaluator))
        evaluator->in_flight = false;
}

static void alert_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct alert_evaluator *evaluator = arg;
    (void)fd;
    (void)what;
    evaluator->wake_pending = false;
    if (!evaluator->closing && !evaluator->server->shutting_down)
        alert_pass_start(evaluator);
}

void alert_evaluator_wake(struct alert_evaluator *evaluator)
{
    if (!evaluator || !evaluator->wake || evaluator->wake_pending || evaluator->closing)
        return;
    /* With no rule (or as a standby) a commit has nothing to judge: the periodic pass
     * finds new rules, and a new leadership, within alert_evaluate_interval_s. */
    if (!evaluator->leader || evaluator->rules == 0)
        return;
    double gap = evaluator->last_pass_s * 2 > ALERT_PASS_GAP_S ? evaluator->last_pass_s * 2
                                                               : ALERT_PASS_GAP_S;
    double delay = gap - (clock_monotonic_s() - evaluator->pass_started_s);
    if (delay < ALERT_WAKE_MIN_S)
        delay = ALERT_WAKE_MIN_S;
    struct timeval soon = {0, (long)(delay * 1e6)};
    evaluator->wake_pending = true;
    evtimer_add(evaluator->wake, &soon);
}

struct alert_evaluator *alert_evaluator_new(struct server *server, const char *dsn)
{
    struct alert_evaluator *evaluator = calloc(1, sizeof *evaluator);
    struct timeval period = {server->config->alert_evaluate_interval_s, 0};

    if (!evaluator)
        return NULL;
    evaluator->server = server;
    if (period.tv_sec == 0)
        return evaluator; /* this daemon does not evaluate: no connection, no timer */
    int sums_length = snprintf(
        evaluator->sums_sql, sizeof evaluator->sums_sql,
        "WITH t AS (SELECT id, (now() AT TIME ZONE time_zone)::date AS today FROM tenants"
        " WHERE id IN (SELECT tenant_id FROM alert_rules WHERE enabled"
        " AND no_data_minutes IS NULL) AND current_setting('ccm.alert_leader')::boolean),"
        " f AS (SELECT '-infinity'::date AS through)"
        " SELECT i.tenant_id, i.queue, i.service, i.local_date = t.today, i.channel, %s"
        " FROM contact_intervals i JOIN t ON i.tenant_id = t.id CROSS JOIN f"
        " WHERE i.interval_start >= now() - interval '32 days'"
        " AND i.local_date >= date_trunc('month', t.today)::date AND i.local_date <= t.today"
        " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1",
        api_kpi_aggregate_columns);
    int raw_length =
        snprintf(evaluator->raw_sql, sizeof evaluator->raw_sql,
                 "SELECT tenant_id, queue, service, offered_at >= now() - interval '15 minutes',"
                 " channel, %s"
                 " FROM contact_facts WHERE tenant_id IN (SELECT tenant_id FROM alert_rules"
                 " WHERE enabled AND no_data_minutes IS NULL) AND "
                 "current_setting('ccm.alert_leader')::boolean"
                 " AND offered_at >= now() - interval '1 hour' AND offered_at < now()"
                 " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1",
                 api_kpi_raw_columns);
    if (sums_length < 0 || (size_t)sums_length >= sizeof evaluator->sums_sql || raw_length < 0 ||
        (size_t)raw_length >= sizeof evaluator->raw_sql)
        abort(); /* fixed texts: a programming error, caught by every test */
    evaluator->pool = db_pool_new(server->base, dsn, 1, "alerts");
    evaluator->timer = event_new(server->base, -1, EV_PERSIST, alert_on_timer, evaluator);
    evaluator->wake = evtimer_new(server->base, alert_on_timer, evaluator);
    if (!evaluator->pool || !evaluator->timer || !evaluator->wake) {
        alert_evaluator_free(evaluator);
        return NULL;
    }
    event_add(evaluator->timer, &period);
    return evaluator;
}

void alert_evaluator_free(struct alert_evaluator *evaluator)
{
    if (!evaluator)
        return;
    evaluator->closing = true;
    if (evaluator->timer)
        event_free(evaluator->timer);
    if (evaluator->wake)
        event_free(evaluator->wake);
    /* The pool's callbacks (the pass in flight, failed) still reach the evaluator. */
    if (evaluator->pool)
        db_pool_free(evaluator->pool);
    free(evaluator);
}
