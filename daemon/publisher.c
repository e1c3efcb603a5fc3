/*
 * publisher: publishes each tenant's last month automatically on publish_day of
 * the next (see publisher.h).
 */
#include "publisher.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "alert_eval.h"
#include "alert_payload.h"
#include "api_export.h"
#include "api_kpi.h"
#include "config.h"
#include "db.h"
#include "export_query.h"
#include "log.h"
#include "server.h"
#include "tenant.h"
#include "webhook_sender.h"

struct publisher {
    struct server *server;
    struct event *timer;
    char day_text[8];
    bool in_flight;
    bool closing;
};

/* One tenant's publication, from the due check to the files. */
struct publisher_run {
    struct publisher *publisher;
    char tenant_id[24];
    char tenant_name[80];
    char month[11]; /* YYYY-MM-01 */
    char *payloads[ALERT_FORMAT_COUNT];
    struct export_query query;
    char services[EXPORT_SCOPES_MAX][SCOPE_NAME_MAX * 4 + 16];
};

static void publisher_run_free(struct publisher_run *run)
{
    for (int f = 0; f < ALERT_FORMAT_COUNT; f++)
        free(run->payloads[f]);
    free(run);
}

static void publisher_on_export(const struct db_result *result, void *user_data)
{
    struct publisher_run *run = user_data;
    struct server *server = run->publisher->server;
    struct export_table *tables = NULL;
    struct ccm_error error;

    if (!result->ok || export_query_tables(&run->query, result->results, &tables, &error)) {
        log_warn("publish.export_failed", "tenant=%s month=%.7s", run->tenant_name, run->month);
        publisher_run_free(run);
        return;
    }
    char directory[1200], title[200];
    snprintf(directory, sizeof directory, "%s/%s/%.7s", server->config->publish_dir,
             run->tenant_name, run->month);
    snprintf(title, sizeof title, "%s: contact centre performance %d-%02d, as published for %.7s",
             run->tenant_name, run->query.fy, (run->query.fy + 1) % 100, run->month);
    /* The files are written on the export worker's thread: file I/O stays off the loop. */
    if (export_worker_write_files(server->exports, tables, run->query.scope_count, title,
                                  directory))
        export_query_tables_free(tables, run->query.scope_count);
    publisher_run_free(run);
}

/* After the month is stored as published: notify, then read its export for the files. */
static void publisher_on_published(const struct db_result *result, void *user_data)
{
    struct publisher_run *run = user_data;
    struct server *server = run->publisher->server;
    struct db_statement statements[DB_MAX_STATEMENTS];
    char quoted[300];

    if (!result->ok) {
        if (strcmp(result->sqlstate, "23505") != 0) /* another daemon published it first */
            log_warn("publish.failed", "tenant=%s month=%.7s error=\"%s\"", run->tenant_name,
                     run->month, log_quote(result->error, quoted, sizeof quoted));
        publisher_run_free(run);
        return;
    }
    log_info("publish.done", "tenant=%s month=%.7s automatic=1 notifications=%s", run->tenant_name,
             run->month, PQgetvalue(result->results[1], 0, 0));
    webhook_sender_wake(server->webhooks);
    if (!server->config->publish_dir || !*server->config->publish_dir) {
        publisher_run_free(run);
        return;
    }
    /* The tenant and each of its services (as many as an export takes). */
    PGresult *services = result->results[2];
    const char *scopes[EXPORT_SCOPES_MAX];
    size_t count = 0;
    scopes[count++] = "tenant";
    for (int r = 0; r < PQntuples(services) && count < EXPORT_SCOPES_MAX; r++, count++) {
        snprintf(run->services[count], sizeof run->services[count], "service:%s",
                 PQgetvalue(services, r, 0));
        scopes[count] = run->services[count];
    }
    struct tz_rule tz;
    struct ccm_error error;
    const char *zone = PQgetvalue(result->results[3], 0, 0);
    int start_month = (int)strtol(PQgetvalue(result->results[3], 0, 1), NULL, 10);
    int year = (int)strtol(run->month, NULL, 10), month = (int)strtol(run->month + 5, NULL, 10);
    char fy_text[8];
    snprintf(fy_text, sizeof fy_text, "%d", month >= start_month ? year : year - 1);
    if (tenant_load_time_zone(zone, &tz, &error) ||
        export_query_init(&run->query, strtoll(run->tenant_id, NULL, 10), &tz, start_month,
                          clock_now_us(), scopes, count, fy_text, NULL, &error)) {
        log_warn("publish.export_failed", "tenant=%s error=\"%s\"", run->tenant_name,
                 error.message);
        publisher_run_free(run);
        return;
    }
    int statement_count = export_query_statements(&run->query, statements);
    if (db_pool_submit(server->readers, statements, statement_count, publisher_on_export, run))
        publisher_run_free(run);
}

static void publisher_publish(struct publisher *publisher, PGresult *due, int row)
{
    struct server *server = publisher->server;
    struct publisher_run *run = calloc(1, sizeof *run);
    struct db_statement statements[4] = {{0}};
    char link[700], month_key[8], fy_link[16];

    if (!run)
        return;
    run->publisher = publisher;
    snprintf(run->tenant_id, sizeof run->tenant_id, "%s", PQgetvalue(due, row, 0));
    snprintf(run->tenant_name, sizeof run->tenant_name, "%s", PQgetvalue(due, row, 1));
    snprintf(run->month, sizeof run->month, "%s", PQgetvalue(due, row, 2));
    snprintf(month_key, sizeof month_key, "%.7s", run->month);
    snprintf(fy_link, sizeof fy_link, "%s", PQgetvalue(due, row, 3));
    alert_evaluator_link(server, "tenant", NULL, ALERT_WINDOW_TODAY, link, sizeof link);
    /* The wallboard link's base, to the printable report of the year instead. */
    char *query = strstr(link, "/?scope=");
    if (query)
        snprintf(query, sizeof link - (size_t)(query - link),
                 "/v1/exports/monthly?scope=tenant&fy=%s&format=html", fy_link);
    for (int f = 0; f < ALERT_FORMAT_COUNT; f++)
        if (!(run->payloads[f] = alert_payload_published(month_key, clock_now_us(), link, f))) {
            publisher_run_free(run);
            return;
        }
    statements[0].sql = "SELECT ccm_publish_month($1, $2::date, true)";
    statements[0].param_count = 2;
    statements[0].params[0] = run->tenant_id;
    statements[0].params[1] = run->month;
    statements[1].sql =
        "WITH queued AS (INSERT INTO alert_outbox (webhook_id, tenant_id, endpoint_id, rule_id,"
        " type, body) SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.tenant_id,"
        " e.id, NULL, 'export.published', CASE e.format WHEN 'slack' THEN $3 WHEN 'teams'"
        " THEN $4 ELSE $2 END FROM alert_endpoints e WHERE e.tenant_id = $1 AND e.enabled"
        " AND e.publications RETURNING 1) SELECT count(*) FROM queued";
    statements[1].param_count = 4;
    statements[1].params[0] = run->tenant_id;
    for (int f = 0; f < ALERT_FORMAT_COUNT; f++)
        statements[1].params[1 + f] = run->payloads[f];
    statements[2].sql = "SELECT DISTINCT service FROM queue_settings_resolved WHERE tenant_id = $1"
                        " AND service <> '' ORDER BY 1";
    statements[2].param_count = 1;
    statements[2].params[0] = run->tenant_id;
    statements[3].sql = "SELECT time_zone, fy_start_month FROM tenants WHERE id = $1";
    statements[3].param_count = 1;
    statements[3].params[0] = run->tenant_id;
    if (db_pool_submit(server->readers, statements, 4, publisher_on_published, run))
        publisher_run_free(run);
}

static void publisher_on_due(const struct db_result *result, void *user_data)
{
    struct publisher *publisher = user_data;
    publisher->in_flight = false;
    if (!result->ok || publisher->closing || publisher->server->shutting_down)
        return;
    for (int r = 0; r < PQntuples(result->results[0]); r++)
        publisher_publish(publisher, result->results[0], r);
}

static void publisher_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct publisher *publisher = arg;
    struct db_statement statement = {0};
    (void)fd;
    (void)what;
    if (publisher->in_flight || publisher->closing || publisher->server->shutting_down)
        return;
    /* Tenants whose last month is due (its publish day has come) and not published. */
    statement.sql =
        "SELECT t.id, t.name, to_char(l.last_month, 'YYYY-MM-DD'),"
        " CASE WHEN extract(month FROM l.last_month) >= t.fy_start_month"
        "  THEN extract(year FROM l.last_month) ELSE extract(year FROM l.last_month) - 1 END"
        " FROM tenants t CROSS JOIN LATERAL (SELECT (date_trunc('month', now() AT TIME ZONE"
        "  t.time_zone) - interval '1 month')::date AS last_month,"
        "  extract(day FROM now() AT TIME ZONE t.time_zone) AS today) l"
        " WHERE l.today >= $1::int AND NOT EXISTS (SELECT 1 FROM publications p"
        "  WHERE p.tenant_id = t.id AND p.month = l.last_month)"
        " ORDER BY t.id";
    statement.param_count = 1;
    statement.params[0] = publisher->day_text;
    publisher->in_flight = true;
    if (db_pool_submit(publisher->server->readers, &statement, 1, publisher_on_due, publisher))
        publisher->in_flight = false;
}

struct publisher *publisher_new(struct server *server)
{
    struct publisher *publisher = calloc(1, sizeof *publisher);
    struct timeval every = {server->config->publish_check_interval_s, 0};

    if (!publisher)
        return NULL;
    publisher->server = server;
    if (server->config->publish_day == 0)
        return publisher; /* publishing is by hand (POST /v1/publications) */
    snprintf(publisher->day_text, sizeof publisher->day_text, "%d", server->config->publish_day);
    publisher->timer = event_new(server->base, -1, EV_PERSIST, publisher_on_timer, publisher);
    if (!publisher->timer) {
        free(publisher);
        return NULL;
    }
    event_add(publisher->timer, &every);
    publisher_on_timer(-1, 0, publisher);
    return publisher;
}

void publisher_free(struct publisher *publisher)
{
    if (!publisher)
        return;
    publisher->closing = true;
    if (publisher->timer)
        event_free(publisher->timer);
    free(publisher);
}
