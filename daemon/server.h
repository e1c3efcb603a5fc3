/*
 * server: the running daemon's state, owned by main.c and shared read-only by
 * the modules that serve requests: the event base, the configuration, the
 * database pools, the tenant registry and the ingest writer.
 */
#ifndef CCM_SERVER_H
#define CCM_SERVER_H

#include <stdbool.h>

#include "config.h"

struct event_base;
struct evhttp;
struct db_pool;
struct tenant_registry;
struct ingest;

struct server {
    struct event_base *base;
    struct config *config;
    struct db_pool *readers; /* reads and admin writes */
    struct db_pool *writer;  /* the ingest group-commit connection */
    struct tenant_registry *tenants;
    struct ingest *ingest;
    struct lifecycle_sweeper *lifecycle;
    struct repeat_finalizer *repeat;      /* repeat-contact counts of past days */
    struct queue_log_follower *queue_log; /* NULL unless queue_log_path is set */
    struct live *live;                    /* GET /v1/live and its streams */
    struct dashboards *dashboards;        /* the pages served outside /v1/ */
    struct alert_evaluator *alerts;       /* judges the alert rules */
    struct webhook_sender *webhooks;      /* delivers the outbox */
    struct export_worker *exports;        /* writes workbooks off the loop */
    struct publisher *publisher;          /* publishes last month on publish_day */
    struct daemon_metrics *metrics;       /* counters of GET /metrics */
    struct rate_limiter *limiter;         /* per-token request buckets */
    struct evhttp *http;
    struct evconnlistener *listener; /* the HTTP listener (paused over max_connections) */
    struct event *connection_watch;  /* counts open descriptors */
    int open_descriptors;            /* at the last count */
    bool accept_paused;
    int port; /* bound port */
    bool shutting_down;
    unsigned long long request_counter;
};

#endif
