/*
 * live: GET /v1/live and the Server-Sent Events of GET /v1/live/stream (see
 * live.h).
 */
#include "live.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "clock.h"
#include "api_kpi.h"
#include "calendar.h"
#include "db.h"
#include "event.h"
#include "http.h"
#include "log.h"
#include "period.h"
#include "scope.h"
#include "server.h"
#include "tenant.h"

#define LIVE_MAX_STREAMS        2000
#define LIVE_MAX_BACKLOG_BYTES  (64 * 1024)
#define LIVE_SOON_MS            50 /* changes within this are folded into one query */
#define LIVE_KEEPALIVE_TICKS    15 /* a comment line every 15 s keeps proxies from closing */
#define LIVE_TODAY_REFRESH_TICK 60 /* every scope at least once a minute (midnight, targets) */
/* Today's repeat-contact counts cost a look-up per answered contact with a caller (none of
 * today is final): a stream recomputes them once a minute, not on every change. */
#define LIVE_REPEAT_REFRESH_TICKS 60

struct live_scope;

struct live_stream {
    struct live_scope *scope;
    struct evhttp_request *request;
    struct evhttp_connection *connection;
    struct live_stream *next;
    bool behind; /* a snapshot was skipped: send the next one even if unchanged */
};

/* A scope with streams. Freed when its last stream goes (later, if a query is in flight). */
struct live_scope {
    struct live *live;
    const struct tenant *tenant;
    struct scope scope;
    char scope_text[SCOPE_TEXT_MAX];
    int channel; /* -1: every channel */
    struct live_stream *streams;
    char *last_json;
    long waiting;
    /* today's repeat-contact counts, as of repeat_tick (repeat_valid) */
    bool repeat_valid;
    int32_t repeat_day;
    unsigned long repeat_tick;
    int64_t repeat_known, repeat_followed;
    bool dirty;
    bool in_flight;
    struct live_scope *next;
};

/* One snapshot query: for a scope's streams or for one GET /v1/live. */
struct live_query {
    struct live *live;
    struct live_scope *scope; /* or NULL */
    struct http_call *call;   /* or NULL */
    const struct tenant *tenant;
    struct scope target;
    char scope_text[SCOPE_TEXT_MAX];
    int channel; /* -1: every channel */
    char channel_text[16];
    struct period today;
    bool repeat_from_raw; /* else a scope's cached repeat counts are used */
    char from_text[32], to_text[32];
    const char *sql_open; /* live_texts */
};

struct live {
    struct server *server;
    struct live_scope *scopes;
    size_t stream_count;
    struct event *tick;
    struct event *soon;
    bool soon_pending;
    unsigned long ticks;
};

static void live_query_submit(struct live_query *query);

/* ---- snapshots */

static json_t *live_snapshot_json(const struct live_query *query, const struct db_result *result,
                                  long *waiting_out)
{
    struct kpi_counters counters;
    int repeat_window_days = 7;
    struct kpi_target *targets = malloc(API_KPI_MAX_TARGETS * sizeof *targets);
    PGresult *open = result->results[2];
    size_t target_count;
    long waiting = 0, in_progress = 0;
    json_t *oldest_since = json_null(), *oldest_wait = json_null();
    json_t *body;

    if (!targets)
        return NULL;
    memset(&counters, 0, sizeof counters);
    if (PQntuples(result->results[0]) == 1)
        api_kpi_read_counters(result->results[0], 0, &counters, &repeat_window_days);
    if (query->scope && query->repeat_from_raw) {
        struct live_scope *scope = query->scope;
        scope->repeat_valid = true;
        scope->repeat_day = query->today.first_day;
        scope->repeat_tick = query->live->ticks;
        scope->repeat_known = counters.repeat_known;
        scope->repeat_followed = counters.repeat_followed;
    } else if (query->scope) {
        counters.repeat_known = query->scope->repeat_known;
        counters.repeat_followed = query->scope->repeat_followed;
    }
    target_count = api_kpi_read_targets(result->results[1], targets);
    if (PQntuples(open) == 1) {
        waiting = atol(PQgetvalue(open, 0, 0));
        in_progress = atol(PQgetvalue(open, 0, 2));
        if (!PQgetisnull(open, 0, 1)) {
            int64_t oldest_us = strtoll(PQgetvalue(open, 0, 1), NULL, 10);
            int64_t now_us = strtoll(PQgetvalue(open, 0, 3), NULL, 10);
            char text[32];
            calendar_format_rfc3339_utc(oldest_us, text);
            json_decref(oldest_since);
            json_decref(oldest_wait);
            oldest_since = json_string(text);
            oldest_wait = json_integer((now_us - oldest_us) / CALENDAR_US_PER_SECOND);
        }
    }
    body = json_pack(
        "{s:s, s:i, s:o, s:o, s:i, s:{s:o, s:o}}", "scope", query->scope_text, "waiting",
        (json_int_t)waiting, "oldest_wait_s", oldest_wait, "oldest_waiting_since", oldest_since,
        "in_progress", (json_int_t)in_progress, "today", "period",
        api_kpi_period_json(&query->today, query->tenant), "kpis",
        api_kpi_figures_json(&counters, targets, target_count, query->today.first_day,
                             api_kpi_repeat_provisional(&query->today, repeat_window_days), false));
    if (query->channel >= 0)
        json_object_set_new(body, "channel",
                            json_string(event_channel_name((enum event_channel)query->channel)));
    free(targets);
    *waiting_out = waiting;
    return body;
}

/* ---- streams */

static void live_stream_send(struct live_stream *stream, const char *text, size_t length)
{
    struct bufferevent *connection_buffer = evhttp_connection_get_bufferevent(stream->connection);
    struct evbuffer *chunk;

    if (connection_buffer &&
        evbuffer_get_length(bufferevent_get_output(connection_buffer)) > LIVE_MAX_BACKLOG_BYTES) {
        stream->behind = true; /* the client is not reading: skip, never queue without bound */
        return;
    }
    chunk = evbuffer_new();
    if (!chunk)
        return;
    evbuffer_add(chunk, text, length);
    evhttp_send_reply_chunk(stream->request, chunk);
    evbuffer_free(chunk);
    stream->behind = false;
}

static void live_stream_send_snapshot(struct live_stream *stream, const char *json)
{
    size_t length = strlen(json);
    char *event = malloc(length + 32);
    int written;
    if (!event)
        return;
    written = snprintf(event, length + 32, "event: live\ndata: %s\n\n", json);
    if (written > 0)
        live_stream_send(stream, event, (size_t)written);
    free(event);
}

static void live_scope_free(struct live_scope *scope)
{
    struct live_scope **link = &scope->live->scopes;
    while (*link && *link != scope)
        link = &(*link)->next;
    if (*link)
        *link = scope->next;
    free(scope->last_json);
    free(scope);
}

static void live_stream_remove(struct live_stream *stream)
{
    struct live_scope *scope = stream->scope;
    struct live_stream **link = &scope->streams;
    while (*link && *link != stream)
        link = &(*link)->next;
    if (*link)
        *link = stream->next;
    scope->live->stream_count--;
    free(stream);
    if (!scope->streams && !scope->in_flight)
        live_scope_free(scope);
}

/* The client closed the connection (or evhttp is freeing it). */
static void live_on_connection_close(struct evhttp_connection *connection, void *arg)
{
    struct live_stream *stream = arg;
    log_debug("live.stream_closed", "scope=%s", stream->scope->scope_text);
    /* When the client went away mid-stream, evhttp has detached the request
     * and leaves it to us: ending it frees it. Still attached, the connection
     * frees it itself. */
    if (!evhttp_request_get_connection(stream->request))
        evhttp_send_reply_end(stream->request);
    live_stream_remove(stream);
}

/* ---- queries */

static void live_on_snapshot(const struct db_result *result, void *user_data)
{
    struct live_query *query = user_data;
    struct live_scope *scope = query->scope;
    json_t *snapshot = NULL;
    long waiting = 0;

    if (result->ok && result->result_count == 3)
        snapshot = live_snapshot_json(query, result, &waiting);

    if (query->call) {
        if (snapshot)
            http_reply_json(query->call, 200, snapshot);
        else
            http_reply_db_failure(query->call, result, "query_failed",
                                  "the live figures could not be read");
        free(query);
        return;
    }

    if (!scope->live) {
        /* live_free ran while this query was in flight. */
        json_decref(snapshot);
        free(scope->last_json);
        free(scope);
        free(query);
        return;
    }
    scope->in_flight = false;
    if (!scope->streams) {
        json_decref(snapshot);
        live_scope_free(scope);
        free(query);
        return;
    }
    if (snapshot) {
        char *text = json_dumps(snapshot, JSON_COMPACT);
        bool changed = text && (!scope->last_json || strcmp(text, scope->last_json) != 0);
        scope->waiting = waiting;
        for (struct live_stream *stream = scope->streams; text && stream; stream = stream->next)
            if (changed || stream->behind)
                live_stream_send_snapshot(stream, text);
        if (text) {
            free(scope->last_json);
            scope->last_json = text;
        }
        json_decref(snapshot);
    }
    if (scope->dirty) {
        /* Changed again while this query ran. */
        scope->dirty = false;
        live_query_submit(query);
        return;
    }
    free(query);
}

/* The texts of a snapshot's statements: they depend only on the scope's kind (and, for
 * the sums, whether repeat counts come from raw contacts), so each is written once. */
static struct {
    char open[3][1024];
    char sums[3][2][API_KPI_SUMS_SQL_MAX];
} live_texts;

static void live_query_prepare(struct live_query *query)
{
    char *open = live_texts.open[query->target.kind];
    query->sql_open = open;
    if (open[0])
        return;
    const char *open_filter =
        query->target.kind == SCOPE_QUEUE ? " AND l.queue = $2"
        : query->target.kind == SCOPE_SERVICE
            ? " AND EXISTS (SELECT 1 FROM queue_settings_resolved s WHERE s.tenant_id ="
              " l.tenant_id AND s.queue = l.queue AND l.local_date >= s.valid_from AND"
              " l.local_date < s.valid_to AND s.service = $2)"
            : " AND $2::text IS NULL";

    snprintf(open, sizeof live_texts.open[0],
             "SELECT count(*) FILTER (WHERE l.answered_at IS NULL),"
             " (extract(epoch FROM min(l.offered_at) FILTER (WHERE l.answered_at IS NULL))"
             " * 1000000)::bigint, count(*) FILTER (WHERE l.answered_at IS NOT NULL),"
             " (extract(epoch FROM now()) * 1000000)::bigint"
             " FROM lifecycle_calls l WHERE l.tenant_id = $1 AND l.offered_at IS NOT NULL"
             " AND l.ended_at IS NULL AND l.timeout_at IS NULL%s"
             " AND ($3::smallint IS NULL OR coalesce(l.channel, 0) = $3)",
             open_filter);
}

/* (Re)computes today's period and sends the three statements. */
static void live_query_submit(struct live_query *query)
{
    struct db_statement statements[3];
    const char *scope_name = query->target.kind == SCOPE_TENANT ? NULL : query->target.name;
    struct ccm_error error;

    if (period_resolve("today", clock_now_us(), &query->tenant->tz, query->tenant->fy_start_month,
                       &query->today, &error) != 0) {
        struct db_result failed = {.ok = false, .error = error.message, .sqlstate = ""};
        live_on_snapshot(&failed, query);
        return;
    }
    calendar_format_rfc3339_utc(query->today.from_us, query->from_text);
    calendar_format_rfc3339_utc(query->today.to_us, query->to_text);
    query->repeat_from_raw =
        !query->scope || !query->scope->repeat_valid ||
        query->scope->repeat_day != query->today.first_day ||
        query->live->ticks - query->scope->repeat_tick >= LIVE_REPEAT_REFRESH_TICKS;
    char *sums = live_texts.sums[query->target.kind][query->repeat_from_raw];
    if (!sums[0])
        api_kpi_sums_sql(sums, query->target.kind, "'total'", false, query->repeat_from_raw);
    memset(statements, 0, sizeof statements);
    statements[0].sql = sums;
    const char *channel = query->channel >= 0 ? query->channel_text : NULL;
    statements[0].param_count = 5; /* $5, the channel: NULL, all channels */
    statements[0].params[0] = query->tenant->id_text;
    statements[0].params[1] = query->from_text;
    statements[0].params[2] = query->to_text;
    statements[0].params[3] = scope_name;
    statements[0].params[4] = channel;
    statements[1].sql = channel ? api_kpi_channel_targets_sql : api_kpi_targets_sql;
    statements[1].param_count = channel ? 3 : 2;
    statements[1].params[0] = query->tenant->id_text;
    statements[1].params[1] = query->scope_text;
    statements[1].params[2] =
        channel ? event_channel_name((enum event_channel)query->channel) : NULL;
    statements[2].sql = query->sql_open;
    statements[2].param_count = 3;
    statements[2].params[0] = query->tenant->id_text;
    statements[2].params[1] = scope_name;
    statements[2].params[2] = channel;
    if (query->scope)
        query->scope->in_flight = true;
    if (db_pool_submit(query->live->server->readers, statements, 3, live_on_snapshot, query) != 0) {
        struct db_result failed = {.ok = false, .error = "out of memory", .sqlstate = ""};
        live_on_snapshot(&failed, query);
    }
}

static struct live_query *live_query_new(struct live *live, const struct tenant *tenant,
                                         const struct scope *target, int channel)
{
    struct live_query *query = calloc(1, sizeof *query);
    if (!query)
        return NULL;
    query->live = live;
    query->tenant = tenant;
    query->target = *target;
    query->channel = channel;
    snprintf(query->channel_text, sizeof query->channel_text, "%d", channel);
    scope_format(target, query->scope_text, sizeof query->scope_text);
    live_query_prepare(query);
    return query;
}

static void live_scope_refresh(struct live_scope *scope)
{
    struct live_query *query;
    if (scope->in_flight) {
        scope->dirty = true;
        return;
    }
    query = live_query_new(scope->live, scope->tenant, &scope->scope, scope->channel);
    if (!query)
        return;
    query->scope = scope;
    scope->dirty = false;
    live_query_submit(query);
}

/* ---- timers */

static void live_on_soon(evutil_socket_t fd, short what, void *arg)
{
    struct live *live = arg;
    struct live_scope *scope, *next;
    live->soon_pending = false;
    for (scope = live->scopes; scope; scope = next) {
        next = scope->next;
        if (scope->dirty && !scope->in_flight)
            live_scope_refresh(scope);
    }
}

static void live_schedule_soon(struct live *live)
{
    struct timeval delay = {0, LIVE_SOON_MS * 1000};
    if (live->soon_pending)
        return;
    live->soon_pending = true;
    event_add(live->soon, &delay);
}

static void live_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct live *live = arg;
    struct live_scope *scope, *next;
    bool keepalive = ++live->ticks % LIVE_KEEPALIVE_TICKS == 0;
    bool everything = live->ticks % LIVE_TODAY_REFRESH_TICK == 0;

    for (scope = live->scopes; scope; scope = next) {
        next = scope->next;
        if (keepalive)
            for (struct live_stream *stream = scope->streams; stream; stream = stream->next)
                live_stream_send(stream, ": keepalive\n\n", 13);
        if (scope->waiting > 0 || everything)
            live_scope_refresh(scope);
    }
}

void live_tenant_changed(struct live *live, const struct tenant *tenant)
{
    bool any = false;
    for (struct live_scope *scope = live->scopes; scope; scope = scope->next) {
        if (scope->tenant == tenant) {
            scope->dirty = true;
            any = true;
        }
    }
    if (any)
        live_schedule_soon(live);
}

void live_all_changed(struct live *live)
{
    for (struct live_scope *scope = live->scopes; scope; scope = scope->next)
        scope->dirty = true;
    if (live->scopes)
        live_schedule_soon(live);
}

size_t live_stream_count(const struct live *live)
{
    return live->stream_count;
}

struct live *live_new(struct server *server)
{
    struct live *live = calloc(1, sizeof *live);
    struct timeval second = {1, 0};
    if (!live)
        return NULL;
    live->server = server;
    live->tick = event_new(server->base, -1, EV_PERSIST, live_on_tick, live);
    live->soon = evtimer_new(server->base, live_on_soon, live);
    if (!live->tick || !live->soon) {
        live_free(live);
        return NULL;
    }
    event_add(live->tick, &second);
    return live;
}

void live_free(struct live *live)
{
    if (!live)
        return;
    while (live->scopes) {
        struct live_scope *scope = live->scopes;
        while (scope->streams) {
            struct live_stream *stream = scope->streams;
            scope->streams = stream->next;
            evhttp_connection_set_closecb(stream->connection, NULL, NULL);
            evhttp_send_reply_end(stream->request);
            free(stream);
        }
        live->scopes = scope->next;
        /* A query in flight still points at the scope: the pools are freed
         * after this and finish it, so leave the scope to that callback. */
        if (!scope->in_flight) {
            free(scope->last_json);
            free(scope);
        } else {
            scope->next = NULL;
            scope->live = NULL;
        }
    }
    if (live->tick)
        event_free(live->tick);
    if (live->soon)
        event_free(live->soon);
    free(live);
}

/* ---- handlers */

/* scope=S and an optional channel=C (-1: every channel). */
static bool live_parse_scope(struct http_call *call, struct scope *target, int *channel)
{
    struct ccm_error error;
    if (scope_parse(http_query(call, "scope"), target, &error) != 0) {
        http_reply_error(call, 400, "bad_scope", error.message, NULL);
        return false;
    }
    return http_query_channel(call, channel) == 0;
}

void api_live_get(struct http_call *call)
{
    struct live *live = call->server->live;
    struct live_query *query;
    struct scope target;
    int channel;

    if (!live_parse_scope(call, &target, &channel))
        return;
    query = live_query_new(live, call->tenant, &target, channel);
    if (!query) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    query->call = call;
    live_query_submit(query);
}

void api_live_stream(struct http_call *call)
{
    struct live *live = call->server->live;
    struct live_scope *scope;
    struct live_stream *stream;
    struct scope target;
    char scope_text[SCOPE_TEXT_MAX];
    int channel;

    if (!live_parse_scope(call, &target, &channel))
        return;
    if (live->stream_count >= LIVE_MAX_STREAMS) {
        http_reply_error(call, 503, "too_many_streams",
                         "this daemon serves as many live streams as it may; retry later", NULL);
        return;
    }
    scope_format(&target, scope_text, sizeof scope_text);
    for (scope = live->scopes; scope; scope = scope->next)
        if (scope->tenant == call->tenant && scope->channel == channel &&
            strcmp(scope->scope_text, scope_text) == 0)
            break;
    stream = calloc(1, sizeof *stream);
    if (!scope) {
        scope = calloc(1, sizeof *scope);
        if (!scope || !stream) {
            free(scope);
            free(stream);
            http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
            return;
        }
        scope->live = live;
        scope->tenant = call->tenant;
        scope->scope = target;
        scope->channel = channel;
        memcpy(scope->scope_text, scope_text, sizeof scope_text);
        scope->next = live->scopes;
        live->scopes = scope;
    } else if (!stream) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    stream->scope = scope;
    stream->request = http_start_stream(call, "text/event-stream");
    stream->connection = evhttp_request_get_connection(stream->request);
    stream->next = scope->streams;
    scope->streams = stream;
    live->stream_count++;
    evhttp_connection_set_closecb(stream->connection, live_on_connection_close, stream);
    live_stream_send(stream, "retry: 2000\n\n", 13);
    if (scope->last_json && !scope->in_flight)
        live_stream_send_snapshot(stream, scope->last_json);
    else
        stream->behind = true; /* gets the snapshot the refresh below brings */
    live_scope_refresh(scope);
}
