/*
 * api_metrics: the daemon's counters and GET /metrics (see api_metrics.h).
 */
#include "api_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "db.h"
#include "http.h"
#include "ingest.h"
#include "live.h"
#include "server.h"

void daemon_metrics_init(struct daemon_metrics *metrics)
{
    memset(metrics, 0, sizeof *metrics);
    for (int i = 0; i <= METRICS_ROUTES_MAX; i++)
        metrics_histogram_init_latency(&metrics->http[i]);
}

void daemon_metrics_http(struct daemon_metrics *metrics, int route, int status, double seconds)
{
    int index = route < 0 || route >= METRICS_ROUTES_MAX ? METRICS_ROUTES_MAX : route;
    metrics_histogram_observe(&metrics->http[index], seconds);
    if (status >= 100 && status < 600)
        metrics->http_status[index][status / 100 - 1]++;
}

static void metrics_pool(struct text_buffer *out, const struct db_pool *pool, int part)
{
    char labels[96];
    if (!pool)
        return;
    snprintf(labels, sizeof labels, "pool=\"%s\"", db_pool_name(pool));
    if (part == 0)
        metrics_write_sample(out, "ccmetrics_db_connections_up", labels,
                             db_pool_connections_up(pool));
    else if (part == 1)
        metrics_write_sample(out, "ccmetrics_db_requests_pending", labels,
                             (double)db_pool_pending(pool));
    else
        metrics_write_histogram(out, "ccmetrics_db_request_duration_seconds", labels,
                                db_pool_latency(pool));
}

static void metrics_on_backlog(const struct db_result *result, void *user_data)
{
    struct http_call *call = user_data;
    struct server *server = call->server;
    struct daemon_metrics *metrics = server->metrics;
    const struct ingest_stats *ingest = ingest_get_stats(server->ingest);
    const struct db_pool *pools[] = {server->writer, server->readers};
    struct text_buffer out;
    char labels[200], route[140];

    text_buffer_init(&out);
    metrics_write_header(&out, "ccmetrics_build_info", "gauge", "The running version.");
    metrics_write_sample(&out, "ccmetrics_build_info", "version=\"" CCM_VERSION "\"", 1);

    metrics_write_header(&out, "ccmetrics_ingested_events_total", "counter",
                         "Contacts offered to ingest, by result.");
    metrics_write_sample(&out, "ccmetrics_ingested_events_total", "result=\"accepted\"",
                         (double)ingest->contacts_accepted);
    metrics_write_sample(&out, "ccmetrics_ingested_events_total", "result=\"duplicate\"",
                         (double)ingest->contacts_duplicate);
    metrics_write_header(&out, "ccmetrics_ingest_requests_total", "counter",
                         "Ingest requests, by result (rejected: 4xx; failed: not stored, 5xx).");
    metrics_write_sample(
        &out, "ccmetrics_ingest_requests_total", "result=\"stored\"",
        (double)(ingest->requests - ingest->requests_rejected - ingest->requests_failed));
    metrics_write_sample(&out, "ccmetrics_ingest_requests_total", "result=\"rejected\"",
                         (double)ingest->requests_rejected);
    metrics_write_sample(&out, "ccmetrics_ingest_requests_total", "result=\"failed\"",
                         (double)ingest->requests_failed);

    metrics_write_header(&out, "ccmetrics_http_request_duration_seconds", "histogram",
                         "HTTP requests, from arrival to the reply, by route.");
    for (int r = 0; r <= METRICS_ROUTES_MAX; r++) {
        if (metrics->http[r].count == 0)
            continue;
        metrics_label_value(r < METRICS_ROUTES_MAX ? http_route_label(r) : "other", route,
                            sizeof route);
        snprintf(labels, sizeof labels, "route=\"%s\"", route);
        metrics_write_histogram(&out, "ccmetrics_http_request_duration_seconds", labels,
                                &metrics->http[r]);
    }
    metrics_write_header(&out, "ccmetrics_http_responses_total", "counter",
                         "HTTP replies, by route and status class.");
    for (int r = 0; r <= METRICS_ROUTES_MAX; r++)
        for (int s = 0; s < 5; s++) {
            if (metrics->http_status[r][s] == 0)
                continue;
            metrics_label_value(r < METRICS_ROUTES_MAX ? http_route_label(r) : "other", route,
                                sizeof route);
            snprintf(labels, sizeof labels, "route=\"%s\",code=\"%dxx\"", route, s + 1);
            metrics_write_sample(&out, "ccmetrics_http_responses_total", labels,
                                 (double)metrics->http_status[r][s]);
        }

    metrics_write_header(&out, "ccmetrics_db_connections_up", "gauge",
                         "Database connections up, per pool.");
    for (size_t p = 0; p < sizeof pools / sizeof pools[0]; p++)
        metrics_pool(&out, pools[p], 0);
    metrics_write_header(&out, "ccmetrics_db_requests_pending", "gauge",
                         "Database requests queued or in flight, per pool.");
    for (size_t p = 0; p < sizeof pools / sizeof pools[0]; p++)
        metrics_pool(&out, pools[p], 1);
    metrics_write_header(&out, "ccmetrics_db_request_duration_seconds", "histogram",
                         "Database requests, from submit to the answer (a commit included).");
    for (size_t p = 0; p < sizeof pools / sizeof pools[0]; p++)
        metrics_pool(&out, pools[p], 2);

    metrics_write_header(&out, "ccmetrics_open_descriptors", "gauge",
                         "Descriptors open (connections, database, files) at the last count.");
    metrics_write_sample(&out, "ccmetrics_open_descriptors", "", server->open_descriptors);
    metrics_write_header(&out, "ccmetrics_accept_paused", "gauge",
                         "1 while new connections wait because max_connections is reached.");
    metrics_write_sample(&out, "ccmetrics_accept_paused", "", server->accept_paused ? 1 : 0);
    metrics_write_header(&out, "ccmetrics_sse_clients", "gauge", "Live streams open.");
    metrics_write_sample(&out, "ccmetrics_sse_clients", "",
                         (double)live_stream_count(server->live));

    static const char *const outcomes[] = {"delivered", "failed", "refused"};
    metrics_write_header(&out, "ccmetrics_webhook_deliveries_total", "counter",
                         "Webhook delivery attempts by this daemon, by outcome.");
    for (int o = 0; o < METRICS_WEBHOOK_OUTCOMES; o++) {
        snprintf(labels, sizeof labels, "outcome=\"%s\"", outcomes[o]);
        metrics_write_sample(&out, "ccmetrics_webhook_deliveries_total", labels,
                             (double)metrics->webhooks[o]);
    }
    metrics_write_header(&out, "ccmetrics_outbox_backlog", "gauge",
                         "Notifications not delivered yet (all daemons), and the age of the "
                         "oldest in seconds.");
    if (result->ok && PQntuples(result->results[0]) == 1) {
        metrics_write_sample(&out, "ccmetrics_outbox_backlog", "",
                             strtod(PQgetvalue(result->results[0], 0, 0), NULL));
        metrics_write_header(&out, "ccmetrics_outbox_oldest_seconds", "gauge",
                             "Age of the oldest undelivered notification.");
        metrics_write_sample(&out, "ccmetrics_outbox_oldest_seconds", "",
                             strtod(PQgetvalue(result->results[0], 0, 1), NULL));
    }
    metrics_write_header(&out, "ccmetrics_database_up", "gauge",
                         "Whether the scrape could read from the database.");
    metrics_write_sample(&out, "ccmetrics_database_up", "", result->ok ? 1 : 0);

    if (out.failed) {
        text_buffer_free(&out);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(call->request), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evbuffer_add(evhttp_request_get_output_buffer(call->request), out.data, out.length);
    text_buffer_free(&out);
    http_reply(call, 200);
}

void api_metrics_get(struct http_call *call)
{
    struct db_statement statement = {0};
    statement.sql = "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
                    " FROM alert_outbox WHERE delivered_at IS NULL";
    if (db_pool_submit(call->server->readers, &statement, 1, metrics_on_backlog, call))
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
}
