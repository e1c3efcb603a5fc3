/*
 * api_metrics: GET /metrics in the Prometheus text format (issue 7). Owns struct
 * daemon_metrics: what the daemon counts as it runs (HTTP request durations per
 * route as histograms, by status class; webhook delivery outcomes). The rest is
 * read at scrape time from its owners: ingest counters, database pools (state,
 * pending requests, latency histograms), SSE clients, and the outbox backlog
 * (one query).
 */
#ifndef CCM_METRICS_DAEMON_H
#define CCM_METRICS_DAEMON_H

#include <stdint.h>

#include "metrics.h"

#define METRICS_ROUTES_MAX 64

enum metrics_webhook_outcome {
    METRICS_WEBHOOK_DELIVERED,
    METRICS_WEBHOOK_FAILED,  /* no 2xx: an answer, a timeout or no connection */
    METRICS_WEBHOOK_REFUSED, /* the address is not allowed */
    METRICS_WEBHOOK_OUTCOMES
};

struct daemon_metrics {
    /* index: the route's place in the route table; the last one: pages and unknown paths */
    struct metrics_histogram http[METRICS_ROUTES_MAX + 1];
    uint64_t http_status[METRICS_ROUTES_MAX + 1][5]; /* 1xx..5xx */
    uint64_t webhooks[METRICS_WEBHOOK_OUTCOMES];
};

void daemon_metrics_init(struct daemon_metrics *metrics);
/* route: the route's index, or -1. */
void daemon_metrics_http(struct daemon_metrics *metrics, int route, int status, double seconds);

struct http_call;
void api_metrics_get(struct http_call *call);

#endif
