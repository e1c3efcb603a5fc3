/*
 * ccmetrics-sim: the traffic simulator and load generator of ccmetrics. It wraps
 * the council contact-centre model of lib/sim.c in a command-line tool:
 *   setup         configure the simulated queues and some targets in a daemon;
 *   backfill      post N days of history as NDJSON batches;
 *   live          post calls as they happen, at wall-clock time (or faster): lifecycle
 *                 events (call.offered / answered / ended), or whole records at their end;
 *   bench-batch   a throughput benchmark of batched ingest;
 *   bench-single  a latency benchmark of one-call requests;
 *   ndjson        write the records to stdout (benchmarks, tests, COPY comparisons).
 * HTTP goes through libevent's evhttp client: one event loop, a few keep-alive
 * connections with one request in flight each, host names resolved with evdns.
 * Nothing blocks the loop; the only other I/O is stdout/stderr (and, at start-up,
 * a zoneinfo file when --tz names one).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>
#include <jansson.h>

#include "calendar.h"
#include "ccm_error.h"
#include "sim.h"
#include "tz.h"

#ifndef CCM_VERSION
#define CCM_VERSION "dev"
#endif

#define US                   INT64_C(1000000)
#define PROGRAM              "ccmetrics-sim"
#define RESPONSE_KEEP_MAX    (64 * 1024) /* bytes of an answer kept for messages */
#define ERROR_BODIES_SHOWN   3
#define LIVE_TICK_S          0.1
#define LIVE_LOOKBACK_US     (INT64_C(3) * 3600 * US) /* calls in progress at start */
#define LIVE_BACKLOG_MAX     1000                     /* batches waiting to be posted */
#define LIVE_SHUTDOWN_WAIT_S 10.0
#define BENCH_DAYS           90
#ifndef BENCH_PREFORMAT_MAX
#define BENCH_PREFORMAT_MAX 1e9 /* bytes of bodies made before the clock starts */
#endif
#define BENCH_BYTES_PER_CALL   340.0 /* an NDJSON line, about */
#define SETUP_ATTEMPTS         4
#define BACKFILL_ATTEMPTS      10 /* after the daemon has stored something */
#define BACKFILL_ATTEMPTS_COLD 4  /* before: 0.5 + 1 + 2 s of back-off */

enum mode {
    MODE_NONE,
    MODE_SETUP,
    MODE_BACKFILL,
    MODE_LIVE,
    MODE_BENCH_BATCH,
    MODE_BENCH_SINGLE,
    MODE_NDJSON,
};

struct options {
    enum mode mode;
    const char *mode_name;
    const char *url;
    const char *token;
    double rate;
    double speed;
    uint64_t seed;
    bool seed_given;
    long days;
    int64_t to_us;
    bool to_given;
    long batch;
    long concurrency;
    long calls;
    bool always_open;
    bool records; /* live: post complete call records at their end, not lifecycle events */
    struct tz_rule tz;
    double timeout_s;
    const char *effective_from;
    const char *file; /* bench-batch: post these NDJSON lines instead of generated calls */
};

/* ---------------------------------------------------------------- small helpers */

static void print_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void print_error(const char *format, ...)
{
    va_list args;
    fputs(PROGRAM ": ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
}

static double monotonic_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + now.tv_nsec / 1e9;
}

static int64_t wall_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * US + now.tv_nsec / 1000;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* "2026-10-06 09:12:04 Tue" in the model's local time. */
static void format_local(const struct tz_rule *tz, int64_t instant_us, char out[64])
{
    static const char *const weekdays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    int64_t local_s = floor_div(instant_us, US) + tz_offset_at(tz, instant_us);
    int32_t day = (int32_t)floor_div(local_s, 86400);
    int seconds = (int)(local_s - (int64_t)day * 86400);
    struct calendar_date date = calendar_civil_from_days(day);
    snprintf(out, 64, "%04d-%02d-%02d %02d:%02d:%02d %s", date.year, date.month, date.day,
             seconds / 3600, seconds / 60 % 60, seconds % 60, weekdays[calendar_weekday(day)]);
}

/* A growable byte buffer for request bodies. */
struct body_buffer {
    char *data;
    size_t length;
    size_t capacity;
};

static int body_reserve(struct body_buffer *buffer, size_t extra)
{
    if (buffer->length + extra <= buffer->capacity)
        return 0;
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->length + extra)
        capacity *= 2;
    char *grown = realloc(buffer->data, capacity);
    if (!grown)
        return -1;
    buffer->data = grown;
    buffer->capacity = capacity;
    return 0;
}

/* Append one record as an NDJSON line. */
static int body_append_record(struct body_buffer *buffer, const struct sim_record *record)
{
    if (body_reserve(buffer, SIM_NDJSON_MAX) < 0)
        return -1;
    int length = sim_format_ndjson(record, buffer->data + buffer->length, SIM_NDJSON_MAX);
    if (length < 0)
        return -1;
    buffer->length += (size_t)length;
    return 0;
}

/* ---------------------------------------------------------------- HTTP client */

struct app;

/* One request (and its retries). The body is owned (freed with the job) or borrowed
 * from memory that outlives the run (the benchmarks' pre-formatted bodies). */
struct http_job {
    struct http_job *next;
    struct app *app;
    enum evhttp_cmd_type method;
    char path[320];
    char label[200];          /* "PUT /v1/queues/bins", for messages */
    const char *content_type; /* NULL: no body */
    const char *body;
    size_t length;
    char *owned;
    size_t calls;
    int attempts;
    struct event *retry_timer;
    double sent_mono;
    /* what the modes remember about a request */
    size_t index; /* bench-single: the latency slot */
    size_t outcomes[SIM_OUTCOME_COUNT];
    size_t waiting_now;
    size_t events; /* live: lifecycle events in the body */
    int64_t sim_now_us;
    char first_id[SIM_ID_MAX];
    bool prepared; /* lives in app->prepared (bench-batch): never freed alone */
};

struct http_slot {
    struct app *app;
    struct evhttp_connection *connection;
    struct http_job *job; /* in flight, or NULL when idle */
    int transport_error;  /* enum evhttp_request_error + 1, 0 when none reported */
};

struct http_client {
    char host[256];
    char address[256]; /* the numeric address connected to */
    int port;
    char host_header[300];
    char base_path[256];
    char *authorization;
    struct evdns_base *dns;
    struct evdns_getaddrinfo_request *resolving;
    struct http_slot *slots;
    int slot_count;
    bool ready;
    struct http_job *queue_head;
    struct http_job *queue_tail;
    size_t queued;
    size_t in_flight;
    struct http_job *retry_list; /* jobs waiting for their retry timer */
    size_t retrying;
    char *response; /* a copy of the last answer's body, NUL-terminated */
};

/* The benchmarks' choice of records: `want` of the `total` the model makes, spread evenly. */
struct bench_pick {
    size_t total; /* records that qualify */
    size_t want;  /* records to keep */
    size_t seen;  /* qualifying records so far */
    size_t kept;
    int64_t to_us;
    struct app *app;
    bool single; /* one JSON object per request, else NDJSON batches */
    struct body_buffer batch;
    size_t batch_calls;
    char batch_first_id[SIM_ID_MAX];
    struct body_buffer arena;
    bool failed;
};

/* What every mode shares; the mode's own state follows. */
struct app {
    const struct options *options;
    struct event_base *base;
    struct http_client client;
    struct sim_model model;
    bool model_ready;
    struct event *pump;
    struct event *signal_int;
    struct event *signal_term;
    struct event *timer; /* progress (backfill) or tick (live) */
    struct event *shutdown_timer;
    int exit_code;
    bool stopping;      /* a signal or a fatal answer: make no new work */
    bool producer_done; /* every job the mode will make has been made */
    int signals;
    void (*refill)(struct app *app);
    void (*done)(struct app *app, struct http_job *job, int status, const char *body, size_t length,
                 const char *transport_error);
    void (*finish)(struct app *app);
    /* counters */
    size_t calls_posted;
    size_t calls_accepted;
    size_t calls_duplicates;
    size_t requests_ok;
    size_t requests_failed;
    size_t error_bodies_shown;
    double start_mono;
    double first_send_mono;
    double last_done_mono;
    /* backfill and live */
    struct sim_cursor cursor;
    int64_t from_us;
    int64_t to_us;
    size_t skipped_in_progress;
    size_t last_progress_calls;
    double last_progress_mono;
    /* live */
    int64_t live_start_sim_us;
    double live_start_mono;
    struct sim_record held;
    bool have_held;
    struct sim_record *heap; /* calls not yet ended, a min-heap by ended_us */
    size_t heap_count;
    size_t heap_capacity;
    struct sim_record *answers; /* live: answered calls whose call.answered is still to come */
    size_t answers_count;
    size_t answers_capacity;
    struct body_buffer batch;
    size_t batch_events; /* lifecycle events in the batch */
    size_t batch_calls;
    size_t batch_outcomes[SIM_OUTCOME_COUNT];
    char batch_first_id[SIM_ID_MAX];
    double last_flush_mono;
    double last_activity_mono;
    size_t dropped_calls;
    size_t flushes;
    bool live_failing; /* the daemon stopped answering; said once */
    /* benchmarks */
    struct http_job *prepared; /* bench-batch: every request, made before the clock starts */
    size_t prepared_count;
    size_t prepared_next;
    char *single_arena; /* bench-single: the bodies, back to back */
    size_t *single_offsets;
    size_t single_count;
    size_t single_next;
    double *latencies_ms;
    size_t latency_count;
    struct bench_pick pick;
    bool bench_streaming;    /* too many calls to hold formatted: format ahead of sending */
    size_t planned_requests; /* for counting what a cut-short run never sent */
};

static void app_kick(struct app *app)
{
    event_active(app->pump, EV_TIMEOUT, 0);
}

static struct http_job *job_new(struct app *app, enum evhttp_cmd_type method, const char *path)
{
    struct http_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->app = app;
    job->method = method;
    snprintf(job->path, sizeof job->path, "%s%s", app->client.base_path, path);
    snprintf(job->label, sizeof job->label, "%s %s",
             method == EVHTTP_REQ_PUT    ? "PUT"
             : method == EVHTTP_REQ_POST ? "POST"
                                         : "GET",
             path);
    return job;
}

static void job_free(struct http_job *job)
{
    if (!job)
        return;
    if (job->retry_timer)
        event_free(job->retry_timer);
    job->retry_timer = NULL;
    if (job->prepared)
        return; /* its body and itself go with app->prepared */
    free(job->owned);
    free(job);
}

static void client_enqueue(struct app *app, struct http_job *job, bool front)
{
    struct http_client *client = &app->client;
    job->next = NULL;
    if (front) {
        job->next = client->queue_head;
        client->queue_head = job;
        if (!client->queue_tail)
            client->queue_tail = job;
    } else {
        if (client->queue_tail)
            client->queue_tail->next = job;
        else
            client->queue_head = job;
        client->queue_tail = job;
    }
    client->queued++;
    app_kick(app);
}

static struct http_job *client_dequeue(struct http_client *client)
{
    struct http_job *job = client->queue_head;
    if (!job)
        return NULL;
    client->queue_head = job->next;
    if (!client->queue_head)
        client->queue_tail = NULL;
    client->queued--;
    job->next = NULL;
    return job;
}

static void retry_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_job *job = arg;
    struct app *app = job->app;
    struct http_client *client = &app->client;
    struct http_job **link = &client->retry_list;
    while (*link && *link != job)
        link = &(*link)->next;
    if (*link)
        *link = job->next;
    client->retrying--;
    event_free(job->retry_timer);
    job->retry_timer = NULL;
    client_enqueue(app, job, true);
}

/* Post the job again after a delay growing with its attempts (0.5 s .. 30 s). */
static int client_retry_later(struct app *app, struct http_job *job)
{
    struct http_client *client = &app->client;
    double delay = fmin(30.0, 0.5 * pow(2.0, job->attempts > 1 ? job->attempts - 1 : 0));
    struct timeval tv = {(time_t)delay, (suseconds_t)((delay - floor(delay)) * 1e6)};
    job->retry_timer = evtimer_new(app->base, retry_timer_cb, job);
    if (!job->retry_timer || evtimer_add(job->retry_timer, &tv) < 0)
        return -1;
    job->next = client->retry_list;
    client->retry_list = job;
    client->retrying++;
    return 0;
}

static const char *transport_error_text(int code)
{
    switch (code - 1) {
    case EVREQ_HTTP_TIMEOUT:
        return "timed out";
    case EVREQ_HTTP_EOF:
        return "the connection was closed before a complete answer";
    case EVREQ_HTTP_INVALID_HEADER:
        return "the answer had an invalid header";
    case EVREQ_HTTP_BUFFER_ERROR:
        return "a socket error";
    case EVREQ_HTTP_REQUEST_CANCEL:
        return "the request was cancelled";
    case EVREQ_HTTP_DATA_TOO_LONG:
        return "the answer was too long";
    default:
        return "could not connect (refused, unreachable or reset)";
    }
}

static void http_error_cb(enum evhttp_request_error error, void *arg)
{
    struct http_slot *slot = arg;
    slot->transport_error = (int)error + 1;
}

/* Every request ends here exactly once: with an answer, or with req NULL / status 0
 * when the connection failed (libevent frees the request after this returns). */
static void http_done_cb(struct evhttp_request *req, void *arg)
{
    struct http_slot *slot = arg;
    struct app *app = slot->app;
    struct http_client *client = &app->client;
    struct http_job *job = slot->job;
    if (!job)
        return; /* already handled (defensive: libevent calls once) */
    slot->job = NULL;
    client->in_flight--;
    app->last_done_mono = monotonic_s();

    int status = req ? evhttp_request_get_response_code(req) : 0;
    size_t length = 0;
    const char *transport_error = NULL;
    client->response[0] = '\0';
    if (status > 0) {
        struct evbuffer *input = evhttp_request_get_input_buffer(req);
        length = evbuffer_get_length(input);
        if (length > RESPONSE_KEEP_MAX)
            length = RESPONSE_KEEP_MAX;
        evbuffer_copyout(input, client->response, length);
        client->response[length] = '\0';
    } else {
        transport_error = transport_error_text(slot->transport_error);
    }
    slot->transport_error = 0;
    app->done(app, job, status, client->response, length, transport_error);
    app_kick(app);
}

static int client_send(struct app *app, struct http_slot *slot, struct http_job *job)
{
    struct http_client *client = &app->client;
    struct evhttp_request *req = evhttp_request_new(http_done_cb, slot);
    if (!req)
        return -1;
    evhttp_request_set_error_cb(req, http_error_cb);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Host", client->host_header);
    evhttp_add_header(headers, "Authorization", client->authorization);
    evhttp_add_header(headers, "Accept", "application/json");
    evhttp_add_header(headers, "User-Agent", PROGRAM "/" CCM_VERSION);
    if (job->content_type) {
        evhttp_add_header(headers, "Content-Type", job->content_type);
        /* The body is referenced, not copied: it outlives the request. */
        if (evbuffer_add_reference(evhttp_request_get_output_buffer(req), job->body, job->length,
                                   NULL, NULL) < 0) {
            evhttp_request_free(req);
            return -1;
        }
    }
    job->attempts++;
    job->sent_mono = monotonic_s();
    if (app->first_send_mono == 0)
        app->first_send_mono = job->sent_mono;
    slot->job = job;
    slot->transport_error = 0;
    client->in_flight++;
    if (evhttp_make_request(slot->connection, req, job->method, job->path) != 0) {
        /* The request is gone (libevent freed it); if the callback has not run, the
         * failure is ours to report, once. */
        if (slot->job == job) {
            slot->job = NULL;
            client->in_flight--;
            app->done(app, job, 0, "", 0, "could not start the request");
        }
    }
    return 0;
}

/* The pump: let the mode make jobs, hand them to idle connections, and end the run
 * when nothing is left. Runs from the loop only, so callbacks never recurse. */
static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
    struct app *app = arg;
    struct http_client *client = &app->client;
    if (!app->stopping && !app->producer_done && app->refill)
        app->refill(app);
    if (client->ready) {
        for (int i = 0; i < client->slot_count && client->queue_head; i++) {
            struct http_slot *slot = &client->slots[i];
            if (slot->job)
                continue;
            struct http_job *job = client_dequeue(client);
            if (client_send(app, slot, job) < 0) {
                print_error("out of memory making a request for %s", job->label);
                job_free(job);
                app->exit_code = 1;
                app->stopping = true;
            }
        }
    }
    if (app->stopping && client->retrying) {
        /* Stopping: batches waiting to be retried are given up. */
        while (client->retry_list) {
            struct http_job *job = client->retry_list;
            client->retry_list = job->next;
            app->dropped_calls += job->calls;
            job_free(job);
        }
        client->retrying = 0;
    }
    bool idle = client->queued == 0 && client->in_flight == 0 && client->retrying == 0;
    if ((app->stopping && !client->ready) || (idle && (app->producer_done || app->stopping)))
        event_base_loopexit(app->base, NULL);
}

static int client_connect_all(struct app *app)
{
    struct http_client *client = &app->client;
    for (int i = 0; i < client->slot_count; i++) {
        struct http_slot *slot = &client->slots[i];
        slot->app = app;
        slot->connection =
            evhttp_connection_base_new(app->base, NULL, client->address, (uint16_t)client->port);
        if (!slot->connection) {
            print_error("cannot create a connection to %s:%d", client->address, client->port);
            return -1;
        }
        evhttp_connection_set_timeout(slot->connection, (int)ceil(app->options->timeout_s));
        evhttp_connection_set_retries(slot->connection, 0);
    }
    client->ready = true;
    app_kick(app);
    return 0;
}

static void resolve_cb(int result, struct evutil_addrinfo *addresses, void *arg)
{
    struct app *app = arg;
    struct http_client *client = &app->client;
    const struct evutil_addrinfo *pick = NULL;
    client->resolving = NULL;
    if (result != 0) {
        print_error("cannot resolve host \"%s\" of --url: %s", client->host,
                    evutil_gai_strerror(result));
    } else {
        /* IPv4 first: "localhost" daemons listen on 127.0.0.1 more often than on ::1. */
        for (const struct evutil_addrinfo *a = addresses; a && !pick; a = a->ai_next)
            if (a->ai_family == AF_INET)
                pick = a;
        if (!pick)
            pick = addresses;
    }
    if (pick) {
        const void *raw = pick->ai_family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)pick->ai_addr)->sin_addr
                              : (const void *)&((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr;
        evutil_inet_ntop(pick->ai_family, raw, client->address, sizeof client->address);
    }
    if (addresses)
        evutil_freeaddrinfo(addresses);
    if (!pick || client_connect_all(app) < 0) {
        app->exit_code = 1;
        app->stopping = true;
        event_base_loopexit(app->base, NULL);
    }
}

/* Parse --url (http://host[:port][/prefix]) and --token. */
static int client_init(struct app *app)
{
    const struct options *options = app->options;
    struct http_client *client = &app->client;
    struct evhttp_uri *uri = evhttp_uri_parse(options->url);
    int status = -1;
    if (!uri) {
        print_error("--url \"%s\" is not a URL (want http://HOST:PORT)", options->url);
        return -1;
    }
    const char *scheme = evhttp_uri_get_scheme(uri);
    const char *host = evhttp_uri_get_host(uri);
    const char *path = evhttp_uri_get_path(uri);
    int port = evhttp_uri_get_port(uri);
    if (!scheme || strcmp(scheme, "http") != 0) {
        print_error("--url \"%s\": only http:// is supported (put a TLS proxy in front for "
                    "https)",
                    options->url);
        goto done;
    }
    if (!host || !host[0] || strlen(host) >= sizeof client->host) {
        print_error("--url \"%s\" has no host", options->url);
        goto done;
    }
    snprintf(client->host, sizeof client->host, "%s", host);
    client->port = port > 0 ? port : 80;
    snprintf(client->host_header, sizeof client->host_header,
             strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, client->port);
    size_t path_length = path ? strlen(path) : 0;
    while (path_length > 0 && path[path_length - 1] == '/')
        path_length--;
    if (path_length >= sizeof client->base_path - 1) {
        print_error("--url \"%s\": the path is too long", options->url);
        goto done;
    }
    memcpy(client->base_path, path ? path : "", path_length);
    client->base_path[path_length] = '\0';

    size_t token_length = strlen(options->token);
    client->authorization = malloc(token_length + 8);
    client->response = malloc(RESPONSE_KEEP_MAX + 1);
    client->slot_count = (int)options->concurrency;
    client->slots = calloc((size_t)client->slot_count, sizeof *client->slots);
    if (!client->authorization || !client->response || !client->slots) {
        print_error("out of memory");
        goto done;
    }
    snprintf(client->authorization, token_length + 8, "Bearer %s", options->token);
    status = 0;
done:
    evhttp_uri_free(uri);
    return status;
}

/* Start resolving the host (numeric addresses need no DNS); the pump starts sending
 * once connections exist. */
static int client_start(struct app *app)
{
    struct http_client *client = &app->client;
    struct in_addr ipv4;
    struct in6_addr ipv6;
    if (evutil_inet_pton(AF_INET, client->host, &ipv4) == 1 ||
        evutil_inet_pton(AF_INET6, client->host, &ipv6) == 1) {
        snprintf(client->address, sizeof client->address, "%s", client->host);
        return client_connect_all(app);
    }
    client->dns = evdns_base_new(app->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                                EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!client->dns) { /* no usable resolv.conf: the hosts file still answers */
        client->dns = evdns_base_new(app->base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (client->dns)
            evdns_base_load_hosts(client->dns, NULL);
    }
    if (!client->dns) {
        print_error("cannot start a DNS resolver for \"%s\"", client->host);
        return -1;
    }
    struct evutil_addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
    client->resolving = evdns_getaddrinfo(client->dns, client->host, NULL, &hints, resolve_cb, app);
    return 0;
}

static void client_free(struct http_client *client)
{
    struct http_job *job;
    if (client->resolving)
        evdns_getaddrinfo_cancel(client->resolving);
    for (int i = 0; client->slots && i < client->slot_count; i++) {
        /* Freeing a connection frees its pending request without calling back. */
        if (client->slots[i].connection)
            evhttp_connection_free(client->slots[i].connection);
        job_free(client->slots[i].job);
    }
    while ((job = client_dequeue(client)) != NULL)
        job_free(job);
    while ((job = client->retry_list) != NULL) {
        client->retry_list = job->next;
        job_free(job);
    }
    if (client->dns)
        evdns_base_free(client->dns, 0);
    free(client->slots);
    free(client->authorization);
    free(client->response);
    memset(client, 0, sizeof *client);
}

/* Whether an answer is worth another try: the daemon or the network had a moment. */
static bool status_retryable(int status)
{
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* Print an error answer to stderr (the first few only when quiet_after is set). */
static void show_error(struct app *app, const struct http_job *job, int status, const char *body,
                       const char *transport_error, bool limited)
{
    if (limited && app->error_bodies_shown >= ERROR_BODIES_SHOWN)
        return;
    app->error_bodies_shown++;
    if (status == 0) {
        print_error("%s to %s:%d: %s", job->label, app->client.host, app->client.port,
                    transport_error ? transport_error : "failed");
        return;
    }
    int length = (int)strnlen(body, 2000);
    while (length > 0 && (body[length - 1] == '\n' || body[length - 1] == '\r'))
        length--;
    print_error("%s: HTTP %d: %.*s", job->label, status, length, length ? body : "(no body)");
}

/* {"accepted": N, "duplicates": M} */
static void count_accepted(struct app *app, const struct http_job *job, const char *body,
                           size_t length)
{
    json_error_t json_error;
    json_t *answer = json_loadb(body, length, 0, &json_error);
    json_t *accepted = json_object_get(answer, "accepted");
    json_t *duplicates = json_object_get(answer, "duplicates");
    if (json_is_integer(accepted)) {
        app->calls_accepted += (size_t)json_integer_value(accepted);
        app->calls_duplicates += (size_t)json_integer_value(duplicates);
    } else if (app->error_bodies_shown < ERROR_BODIES_SHOWN) {
        app->error_bodies_shown++;
        print_error("%s: HTTP 200 without {\"accepted\": N}: %.200s", job->label, body);
    }
    json_decref(answer);
}

/* ---------------------------------------------------------------- signals and the loop */

static void signal_cb(evutil_socket_t signal_number, short what, void *arg)
{
    struct app *app = arg;
    app->signals++;
    if (app->signals > 1) {
        print_error("second signal: exiting without waiting for answers");
        app->exit_code = app->exit_code ? app->exit_code : 1;
        event_base_loopbreak(app->base);
        return;
    }
    fprintf(stderr, PROGRAM ": %s: finishing the requests in flight (again to quit now)\n",
            signal_number == SIGINT ? "interrupted" : "terminated");
    if (app->options->mode != MODE_LIVE && app->exit_code == 0)
        app->exit_code = 1; /* a run cut short did not do its job */
    app->stopping = true;
    app_kick(app);
}

static int app_init(struct app *app, const struct options *options)
{
    memset(app, 0, sizeof *app);
    app->options = options;
    app->start_mono = monotonic_s();
    signal(SIGPIPE, SIG_IGN); /* a closed socket is an error to report, not a death */
    /* The change list folds the event changes of one loop iteration into one
     * epoll_ctl: the load generator should cost the machine it shares as
     * little as it can. */
    struct event_config *config = event_config_new();
    if (config) {
        event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
        app->base = event_base_new_with_config(config);
        event_config_free(config);
    }
    if (!app->base) {
        print_error("cannot create an event loop");
        return -1;
    }
    app->pump = event_new(app->base, -1, 0, pump_cb, app);
    app->signal_int = evsignal_new(app->base, SIGINT, signal_cb, app);
    app->signal_term = evsignal_new(app->base, SIGTERM, signal_cb, app);
    if (!app->pump || !app->signal_int || !app->signal_term ||
        evsignal_add(app->signal_int, NULL) < 0 || evsignal_add(app->signal_term, NULL) < 0) {
        print_error("cannot set up events");
        return -1;
    }
    if (client_init(app) < 0)
        return -1;
    return 0;
}

static int app_model_init(struct app *app, uint64_t seed, double rate)
{
    struct ccm_error error;
    if (sim_model_init(&app->model, seed, rate, &error) < 0) {
        print_error("%s", error.message);
        return -1;
    }
    app->model_ready = true;
    sim_model_set_tz(&app->model, &app->options->tz);
    sim_model_set_always_open(&app->model, app->options->always_open);
    return 0;
}

static int app_run(struct app *app)
{
    if (client_start(app) < 0)
        return 1;
    app_kick(app);
    event_base_dispatch(app->base);
    if (app->finish)
        app->finish(app);
    return app->exit_code;
}

static void app_free(struct app *app)
{
    client_free(&app->client);
    if (app->timer)
        event_free(app->timer);
    if (app->shutdown_timer)
        event_free(app->shutdown_timer);
    if (app->signal_int)
        event_free(app->signal_int);
    if (app->signal_term)
        event_free(app->signal_term);
    if (app->pump)
        event_free(app->pump);
    if (app->base)
        event_base_free(app->base);
    if (app->model_ready)
        sim_model_free(&app->model);
    for (size_t i = 0; app->prepared && i < app->prepared_count; i++)
        free(app->prepared[i].owned);
    free(app->prepared);
    free(app->single_arena);
    free(app->single_offsets);
    free(app->latencies_ms);
    free(app->heap);
    free(app->answers);
    free(app->batch.data);
    free(app->pick.batch.data);
    free(app->pick.arena.data);
}

/* ---------------------------------------------------------------- setup */

static const struct {
    const char *kpi;
    double value;
    double amber; /* < 0: none */
} setup_targets[] = {
    {"answered_pct", 85, 5},      {"asa_s", 60, 15},   {"abandoned_pct", 10, 2},
    {"service_level_pct", 80, 5}, {"fcr_pct", 80, -1},
};

/* 85 rather than 85.0 when the number is whole. */
static json_t *json_number_tidy(double value)
{
    if (value == floor(value) && fabs(value) < 1e15)
        return json_integer((json_int_t)value);
    return json_real(value);
}

static int setup_add_json(struct app *app, const char *path, json_t *body)
{
    struct http_job *job = job_new(app, EVHTTP_REQ_PUT, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!job || !text) {
        free(text);
        job_free(job);
        print_error("out of memory");
        return -1;
    }
    job->owned = text;
    job->body = text;
    job->length = strlen(text);
    job->content_type = "application/json";
    client_enqueue(app, job, false);
    return 0;
}

static void setup_done(struct app *app, struct http_job *job, int status, const char *body,
                       size_t length, const char *transport_error)
{
    if (status >= 200 && status < 300) {
        printf("setup: %s -> %d\n", job->label, status);
        app->requests_ok++;
        job_free(job);
        return;
    }
    if (status_retryable(status) && job->attempts < SETUP_ATTEMPTS && !app->stopping) {
        show_error(app, job, status, body, transport_error, false);
        if (client_retry_later(app, job) == 0)
            return;
    }
    show_error(app, job, status, body, transport_error, false);
    app->requests_failed++;
    app->exit_code = 1;
    job_free(job);
}

static void setup_finish(struct app *app)
{
    if (app->requests_failed)
        print_error("setup: %zu of %zu requests failed", app->requests_failed,
                    app->requests_failed + app->requests_ok);
    else
        printf("setup: %zu queues and %zu targets configured\n", sim_queue_count(),
               app->requests_ok - sim_queue_count());
}

static int run_setup(const struct options *options)
{
    struct app app;
    int status = 1;
    if (app_init(&app, options) < 0)
        goto done;
    app.done = setup_done;
    app.finish = setup_finish;
    app.producer_done = true;

    const char *services[16];
    size_t service_count = 0;
    for (size_t q = 0; q < sim_queue_count(); q++) {
        const struct sim_queue_info *info = sim_queue_info(q);
        char path[200];
        snprintf(path, sizeof path, "/v1/queues/%s", info->name);
        json_t *body = json_pack("{s:s, s:i, s:s, s:i}", "service", info->service, "sl_threshold_s",
                                 info->sl_threshold_s, "sl_formula", "abandons_count",
                                 "short_abandon_s", info->short_abandon_s);
        if (setup_add_json(&app, path, body) < 0)
            goto done;
        size_t s = 0;
        while (s < service_count && strcmp(services[s], info->service) != 0)
            s++;
        if (s == service_count && service_count < 16)
            services[service_count++] = info->service;
    }
    for (size_t s = 0; s <= service_count; s++) {
        char scope[160];
        if (s == service_count)
            snprintf(scope, sizeof scope, "tenant");
        else
            snprintf(scope, sizeof scope, "service:%s", services[s]);
        for (size_t t = 0; t < sizeof setup_targets / sizeof setup_targets[0]; t++) {
            json_t *body =
                json_pack("{s:s, s:s, s:o, s:s}", "scope", scope, "kpi", setup_targets[t].kpi,
                          "value", json_number_tidy(setup_targets[t].value), "effective_from",
                          options->effective_from);
            if (body && setup_targets[t].amber >= 0)
                json_object_set_new(body, "amber", json_number_tidy(setup_targets[t].amber));
            if (setup_add_json(&app, "/v1/targets", body) < 0)
                goto done;
        }
    }
    status = app_run(&app);
done:
    app_free(&app);
    return status;
}

/* ---------------------------------------------------------------- backfill */

static void backfill_progress(struct app *app, bool final)
{
    double now = monotonic_s();
    double elapsed = now - app->start_mono;
    double interval = now - app->last_progress_mono;
    size_t recent = app->calls_posted - app->last_progress_calls;
    int32_t first_day = tz_local_day(&app->options->tz, app->from_us);
    char where[64] = "";
    if (app->cursor.day < app->cursor.end_day) {
        char date[16];
        calendar_format_date(app->cursor.day, date);
        snprintf(where, sizeof where, "day %d of %d (%s): ", (int)(app->cursor.day - first_day + 1),
                 (int)(app->cursor.end_day - first_day), date);
    }
    if (final)
        printf("backfill: done: %zu calls in %.1f s (%.0f calls/s): accepted %zu, duplicates "
               "%zu; %zu calls still in progress at the end were left for live%s\n",
               app->calls_posted, elapsed, elapsed > 0 ? app->calls_posted / elapsed : 0.0,
               app->calls_accepted, app->calls_duplicates, app->skipped_in_progress,
               app->exit_code ? " (FAILED)" : "");
    else
        printf("backfill: %s%zu calls posted, %.0f calls/s (last second %.0f), accepted %zu, "
               "duplicates %zu\n",
               where, app->calls_posted, elapsed > 0 ? app->calls_posted / elapsed : 0.0,
               interval > 0 ? recent / interval : 0.0, app->calls_accepted, app->calls_duplicates);
    fflush(stdout);
    app->last_progress_mono = now;
    app->last_progress_calls = app->calls_posted;
}

static void backfill_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct app *app = arg;
    double now = monotonic_s();
    if (app->calls_posted != app->last_progress_calls) {
        backfill_progress(app, false);
    } else if (now - app->last_progress_mono >= 10.0) { /* stalled: say why, now and then */
        printf("backfill: %zu calls posted; waiting for the daemon: %zu requests in flight, "
               "%zu waiting to be retried\n",
               app->calls_posted, app->client.in_flight, app->client.retrying);
        fflush(stdout);
        app->last_progress_mono = now;
    }
}

/* One batch of the records of [from, to) that had ended by `to`: 1 made, 0 none left,
 * -1 on failure (reported). */
static int backfill_make_batch(struct app *app)
{
    struct ccm_error error;
    struct body_buffer body = {NULL, 0, 0};
    struct http_job *job = job_new(app, EVHTTP_REQ_POST, "/v1/events");
    const struct sim_record *record;
    int got = 0;
    if (!job) {
        print_error("backfill: out of memory");
        return -1;
    }
    while (job->calls < (size_t)app->options->batch &&
           (got = sim_cursor_next(&app->model, &app->cursor, &record, &error)) == 1) {
        if (record->ended_us > app->to_us) {
            app->skipped_in_progress++;
            continue;
        }
        if (body_append_record(&body, record) < 0) {
            ccm_error_set(&error, "out of memory formatting a batch");
            got = -1;
            break;
        }
        if (job->calls++ == 0)
            memcpy(job->first_id, record->id, sizeof job->first_id);
    }
    job->owned = body.data;
    job->body = body.data;
    job->length = body.length;
    job->content_type = "application/x-ndjson";
    if (got < 0) {
        print_error("backfill: %s", error.message);
        job_free(job);
        return -1;
    }
    if (got == 0)
        app->producer_done = true;
    if (job->calls == 0) {
        job_free(job);
        return 0;
    }
    client_enqueue(app, job, false);
    return 1;
}

/* Keep a batch ready for every connection. */
static void backfill_refill(struct app *app)
{
    while (app->client.queued < (size_t)app->client.slot_count && !app->producer_done) {
        if (backfill_make_batch(app) < 0) {
            app->exit_code = 1;
            app->stopping = true;
            return;
        }
    }
}

static void backfill_done(struct app *app, struct http_job *job, int status, const char *body,
                          size_t length, const char *transport_error)
{
    if (status == 200) {
        app->calls_posted += job->calls;
        app->requests_ok++;
        count_accepted(app, job, body, length);
        job_free(job);
        return;
    }
    /* A daemon that never answered is probably not there: give up sooner. */
    int attempts = app->requests_ok ? BACKFILL_ATTEMPTS : BACKFILL_ATTEMPTS_COLD;
    if (status_retryable(status) && job->attempts < attempts && !app->stopping) {
        show_error(app, job, status, body, transport_error, true);
        if (client_retry_later(app, job) == 0)
            return;
    }
    print_error("backfill: a batch of %zu calls (first id %s) was not stored:", job->calls,
                job->first_id);
    app->error_bodies_shown = 0;
    show_error(app, job, status, body, transport_error, false);
    if (status == 413)
        print_error("backfill: the daemon finds the batch too large: try a smaller --batch");
    app->requests_failed++;
    app->exit_code = 1;
    app->stopping = true;
    job_free(job);
}

static void backfill_finish(struct app *app)
{
    backfill_progress(app, true);
}

static int run_backfill(const struct options *options)
{
    struct app app;
    int status = 1;
    if (app_init(&app, options) < 0)
        goto done;
    if (app_model_init(&app, options->seed, options->rate) < 0)
        goto done;
    app.refill = backfill_refill;
    app.done = backfill_done;
    app.finish = backfill_finish;
    app.to_us = options->to_given ? options->to_us : floor_div(wall_us(), US) * US;
    int32_t last_day = tz_local_day(&options->tz, app.to_us);
    app.from_us = tz_day_start(&options->tz, last_day - (int32_t)options->days);
    sim_cursor_init(&app.cursor, &app.model, app.from_us, app.to_us);
    app.last_progress_mono = app.start_mono;

    char from_text[64], to_text[64];
    format_local(&options->tz, app.from_us, from_text);
    format_local(&options->tz, app.to_us, to_text);
    printf("backfill: %s .. %s local (%ld whole days and today so far), seed %" PRIu64
           ", rate %g, ~%.0f calls, batches of %ld on %ld connections to %s\n",
           from_text, to_text, options->days, options->seed, options->rate,
           sim_model_expected_calls(&app.model, app.from_us, app.to_us), options->batch,
           options->concurrency, options->url);
    fflush(stdout);

    app.timer = event_new(app.base, -1, EV_PERSIST, backfill_timer_cb, &app);
    struct timeval second = {1, 0};
    if (!app.timer || event_add(app.timer, &second) < 0) {
        print_error("cannot start the progress timer");
        goto done;
    }
    status = app_run(&app);
done:
    app_free(&app);
    return status;
}

/* ---------------------------------------------------------------- live */

static double live_sim_now_us(const struct app *app)
{
    return (double)app->live_start_sim_us +
           (monotonic_s() - app->live_start_mono) * app->options->speed * 1e6;
}

static bool live_heap_before(const struct sim_record *a, const struct sim_record *b)
{
    return a->ended_us < b->ended_us ||
           (a->ended_us == b->ended_us && a->offered_us < b->offered_us);
}

static int live_heap_push(struct app *app, const struct sim_record *record)
{
    if (app->heap_count == app->heap_capacity) {
        size_t capacity = app->heap_capacity ? 2 * app->heap_capacity : 256;
        struct sim_record *grown = realloc(app->heap, capacity * sizeof *grown);
        if (!grown)
            return -1;
        app->heap = grown;
        app->heap_capacity = capacity;
    }
    size_t i = app->heap_count++;
    app->heap[i] = *record;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!live_heap_before(&app->heap[i], &app->heap[parent]))
            break;
        struct sim_record swap = app->heap[i];
        app->heap[i] = app->heap[parent];
        app->heap[parent] = swap;
        i = parent;
    }
    return 0;
}

static void live_heap_pop(struct app *app)
{
    size_t i = 0;
    app->heap[0] = app->heap[--app->heap_count];
    for (;;) {
        size_t left = 2 * i + 1, right = left + 1, best = i;
        if (left < app->heap_count && live_heap_before(&app->heap[left], &app->heap[best]))
            best = left;
        if (right < app->heap_count && live_heap_before(&app->heap[right], &app->heap[best]))
            best = right;
        if (best == i)
            return;
        struct sim_record swap = app->heap[i];
        app->heap[i] = app->heap[best];
        app->heap[best] = swap;
        i = best;
    }
}

/* Callers in a queue at `now`: offered, neither answered nor gone yet. */
static size_t live_waiting(const struct app *app, int64_t now_us)
{
    size_t waiting = 0;
    for (size_t i = 0; i < app->heap_count; i++) {
        const struct sim_record *r = &app->heap[i];
        int64_t leaves = r->outcome == SIM_OUTCOME_ANSWERED ? r->answered_us : r->ended_us;
        waiting += r->offered_us <= now_us && leaves > now_us;
    }
    return waiting;
}

static void live_flush(struct app *app, int64_t now_us)
{
    struct http_client *client = &app->client;
    if (app->batch_calls == 0 && app->batch_events == 0)
        return;
    app->last_flush_mono = monotonic_s();
    if (client->queued + client->retrying >= LIVE_BACKLOG_MAX) {
        app->dropped_calls += app->batch_calls;
        print_error("live: %zu batches are waiting for the daemon: dropping %zu calls",
                    client->queued + client->retrying, app->batch_calls);
    } else {
        struct http_job *job = job_new(app, EVHTTP_REQ_POST, "/v1/events");
        if (!job) {
            print_error("live: out of memory");
            app->exit_code = 1;
            app->stopping = true;
            return;
        }
        job->owned = app->batch.data;
        job->body = app->batch.data;
        job->length = app->batch.length;
        job->content_type = "application/x-ndjson";
        job->calls = app->batch_calls;
        job->events = app->batch_events;
        job->sim_now_us = now_us;
        job->waiting_now = live_waiting(app, now_us);
        memcpy(job->outcomes, app->batch_outcomes, sizeof job->outcomes);
        memcpy(job->first_id, app->batch_first_id, sizeof job->first_id);
        app->batch.data = NULL;
        app->batch.capacity = 0;
        client_enqueue(app, job, false);
    }
    free(app->batch.data);
    memset(&app->batch, 0, sizeof app->batch);
    app->batch_calls = 0;
    app->batch_events = 0;
    memset(app->batch_outcomes, 0, sizeof app->batch_outcomes);
}

/* Appends one lifecycle event of `record` to the batch (-1 when out of memory). */
static int live_append_event(struct app *app, const struct sim_record *record,
                             enum sim_lifecycle_step step)
{
    int length;
    if (body_reserve(&app->batch, SIM_NDJSON_MAX) < 0)
        return -1;
    length =
        sim_format_lifecycle(record, step, app->batch.data + app->batch.length, SIM_NDJSON_MAX);
    if (length < 0)
        return -1;
    app->batch.length += (size_t)length;
    app->batch_events++;
    return 0;
}

static int live_remember_answer(struct app *app, const struct sim_record *record)
{
    if (app->answers_count == app->answers_capacity) {
        size_t capacity = app->answers_capacity ? 2 * app->answers_capacity : 64;
        struct sim_record *grown = realloc(app->answers, capacity * sizeof *grown);
        if (!grown)
            return -1;
        app->answers = grown;
        app->answers_capacity = capacity;
    }
    app->answers[app->answers_count++] = *record;
    return 0;
}

/* Move the simulated clock on: calls offered by now join the heap, calls ended by now
 * join the batch; flush every --batch calls and at least once a second. */
static void live_advance(struct app *app, bool final)
{
    struct ccm_error error;
    int64_t now_us = (int64_t)live_sim_now_us(app);
    for (;;) {
        if (!app->have_held) {
            const struct sim_record *record;
            int got = sim_cursor_next(&app->model, &app->cursor, &record, &error);
            if (got < 0) {
                print_error("live: %s", error.message);
                app->exit_code = 1;
                app->stopping = true;
                return;
            }
            if (got == 0)
                break;
            app->held = *record;
            app->have_held = true;
        }
        if (app->held.offered_us > now_us)
            break;
        app->have_held = false;
        if (app->held.ended_us <= app->live_start_sim_us)
            continue; /* over before we started: a backfill's business */
        if (live_heap_push(app, &app->held) < 0 ||
            (!app->options->records &&
             (live_append_event(app, &app->held, SIM_LIFECYCLE_OFFERED) < 0 ||
              (app->held.outcome == SIM_OUTCOME_ANSWERED &&
               live_remember_answer(app, &app->held) < 0)))) {
            print_error("live: out of memory");
            app->exit_code = 1;
            app->stopping = true;
            return;
        }
    }
    /* Lifecycle events: the answers that have happened by now, before any end. */
    for (size_t i = 0; i < app->answers_count;) {
        if (app->answers[i].answered_us > now_us) {
            i++;
            continue;
        }
        if (live_append_event(app, &app->answers[i], SIM_LIFECYCLE_ANSWERED) < 0) {
            print_error("live: out of memory");
            app->exit_code = 1;
            app->stopping = true;
            return;
        }
        app->answers[i] = app->answers[--app->answers_count];
    }
    while (app->heap_count && app->heap[0].ended_us <= now_us) {
        if (app->options->records
                ? body_append_record(&app->batch, &app->heap[0]) < 0
                : live_append_event(app, &app->heap[0], SIM_LIFECYCLE_ENDED) < 0) {
            print_error("live: out of memory");
            app->exit_code = 1;
            app->stopping = true;
            return;
        }
        if (app->batch_calls++ == 0)
            memcpy(app->batch_first_id, app->heap[0].id, sizeof app->batch_first_id);
        app->batch_outcomes[app->heap[0].outcome]++;
        live_heap_pop(app);
        if (app->batch_calls + app->batch_events >= (size_t)app->options->batch)
            live_flush(app, now_us);
    }
    double mono = monotonic_s();
    if ((app->batch_calls || app->batch_events) && (final || mono - app->last_flush_mono >= 1.0))
        live_flush(app, now_us);
    if (!app->batch_calls && !app->batch_events && mono - app->last_activity_mono >= 60.0) {
        char sim_text[64];
        format_local(&app->options->tz, now_us, sim_text);
        bool open = false;
        for (size_t q = 0; q < sim_queue_count() && !open; q++)
            open = sim_model_is_open(&app->model, q, now_us);
        printf("live: sim %s: nothing ended in the last minute (%s); %zu calls posted so "
               "far\n",
               sim_text, open ? "quiet" : "all queues closed", app->calls_posted);
        fflush(stdout);
        app->last_activity_mono = mono;
    }
}

static void live_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct app *app = arg;
    if (!app->stopping)
        live_advance(app, false);
    app_kick(app);
}

static void live_done(struct app *app, struct http_job *job, int status, const char *body,
                      size_t length, const char *transport_error)
{
    char sim_text[64];
    format_local(&app->options->tz, job->sim_now_us, sim_text);
    app->last_activity_mono = monotonic_s();
    if (status == 200) {
        if (app->live_failing) {
            print_error("live: the daemon answers again");
            app->live_failing = false;
        }
        size_t accepted_before = app->calls_accepted;
        size_t duplicates_before = app->calls_duplicates;
        app->calls_posted += job->calls;
        app->requests_ok++;
        app->flushes++;
        count_accepted(app, job, body, length);
        printf("live: sim %s: posted %zu call%s ended (%zu answered, %zu abandoned, %zu timeout, "
               "%zu refused)%s -> accepted %zu, duplicates %zu; %zu waiting now; %zu posted in "
               "all\n",
               sim_text, job->calls, job->calls == 1 ? "" : "s",
               job->outcomes[SIM_OUTCOME_ANSWERED], job->outcomes[SIM_OUTCOME_ABANDONED],
               job->outcomes[SIM_OUTCOME_TIMEOUT], job->outcomes[SIM_OUTCOME_REFUSED],
               job->events ? " as lifecycle events" : "", app->calls_accepted - accepted_before,
               app->calls_duplicates - duplicates_before, job->waiting_now, app->calls_posted);
        fflush(stdout);
        job_free(job);
        return;
    }
    if (status == 401 || status == 403) {
        show_error(app, job, status, body, transport_error, false);
        print_error("live: the daemon refuses the token (needs the \"ingest\" scope): stopping");
        app->exit_code = 1;
        app->stopping = true;
        app->requests_failed++;
        app->dropped_calls += job->calls;
        job_free(job);
        return;
    }
    if (status_retryable(status) && !app->stopping) {
        /* The daemon may be restarting: keep the batch and try again, and say so once
         * per outage rather than once per batch. */
        if (!app->live_failing) {
            show_error(app, job, status, body, transport_error, false);
            print_error("live: keeping the calls and retrying until the daemon answers");
            app->live_failing = true;
        }
        if (client_retry_later(app, job) == 0)
            return;
    }
    show_error(app, job, status, body, transport_error, false);
    print_error("live: %zu calls (first id %s) dropped", job->calls, job->first_id);
    app->requests_failed++;
    app->dropped_calls += job->calls;
    job_free(job);
}

static void live_shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct app *app = arg;
    print_error("live: the daemon did not answer within %.0f s of stopping: exiting",
                LIVE_SHUTDOWN_WAIT_S);
    app->exit_code = 1;
    event_base_loopbreak(app->base);
}

/* Stopping: post what has ended by now, then give the answers a few seconds. */
static void live_pump_stop(struct app *app)
{
    if (app->producer_done)
        return;
    live_advance(app, true);
    app->stopping = true;
    app->producer_done = true;
    if (app->timer)
        event_del(app->timer);
    struct timeval wait = {(time_t)LIVE_SHUTDOWN_WAIT_S, 0};
    app->shutdown_timer = evtimer_new(app->base, live_shutdown_timeout_cb, app);
    if (app->shutdown_timer)
        evtimer_add(app->shutdown_timer, &wait);
}

static void live_finish(struct app *app)
{
    printf("live: stopped: %zu calls posted in %zu batches (accepted %zu, duplicates %zu)%s",
           app->calls_posted, app->flushes, app->calls_accepted, app->calls_duplicates,
           app->dropped_calls ? "" : "\n");
    if (app->dropped_calls) {
        printf(", %zu calls dropped\n", app->dropped_calls);
        app->exit_code = 1; /* some calls never reached the daemon */
    }
}

static void live_signal_cb(evutil_socket_t signal_number, short what, void *arg)
{
    struct app *app = arg;
    signal_cb(signal_number, what, arg);
    if (app->signals == 1)
        live_pump_stop(app);
}

static int run_live(const struct options *options)
{
    struct app app;
    int status = 1;
    if (app_init(&app, options) < 0)
        goto done;
    if (app_model_init(&app, options->seed, options->rate) < 0)
        goto done;
    /* Live mode stops on a signal after a last flush. */
    event_free(app.signal_int);
    event_free(app.signal_term);
    app.signal_int = evsignal_new(app.base, SIGINT, live_signal_cb, &app);
    app.signal_term = evsignal_new(app.base, SIGTERM, live_signal_cb, &app);
    if (!app.signal_int || !app.signal_term || evsignal_add(app.signal_int, NULL) < 0 ||
        evsignal_add(app.signal_term, NULL) < 0) {
        print_error("cannot set up signals");
        goto done;
    }
    app.done = live_done; /* the clock's tick makes the jobs */
    app.finish = live_finish;
    app.live_start_sim_us = floor_div(wall_us(), US) * US;
    app.live_start_mono = monotonic_s();
    app.last_flush_mono = app.live_start_mono;
    app.last_activity_mono = app.live_start_mono;
    /* Calls offered before the start that end after it belong to this run. */
    sim_cursor_init(&app.cursor, &app.model, app.live_start_sim_us - LIVE_LOOKBACK_US,
                    INT64_C(4102444800) * US); /* 2100-01-01 */

    char now_text[64];
    format_local(&options->tz, app.live_start_sim_us, now_text);
    size_t open = 0;
    for (size_t q = 0; q < sim_queue_count(); q++)
        open += sim_model_is_open(&app.model, q, app.live_start_sim_us);
    printf("live: sim starts %s local, speed %g, rate %g, seed %" PRIu64
           "%s; %zu of %zu queues open now; posting to %s\n",
           now_text, options->speed, options->rate, options->seed,
           options->always_open ? ", always open" : "", open, sim_queue_count(), options->url);
    if (open == 0 && !options->always_open)
        printf("live: every queue is closed now (Mon-Fri 08:30-17:00, some Sat 09:00-12:00); "
               "use --always-open for a demo out of hours\n");
    fflush(stdout);

    app.timer = event_new(app.base, -1, EV_PERSIST, live_tick_cb, &app);
    struct timeval tick = {0, (suseconds_t)(LIVE_TICK_S * 1e6)};
    if (!app.timer || event_add(app.timer, &tick) < 0) {
        print_error("cannot start the clock");
        goto done;
    }
    status = app_run(&app);
done:
    app_free(&app);
    return status;
}

/* ---------------------------------------------------------------- benchmarks */

static int bench_count_cb(const struct sim_record *record, void *user_data)
{
    struct bench_pick *pick = user_data;
    if (record->ended_us <= pick->to_us)
        pick->total++;
    return 0;
}

static int bench_close_batch(struct bench_pick *pick)
{
    struct app *app = pick->app;
    if (pick->batch_calls == 0)
        return 0;
    struct http_job *job = &app->prepared[app->prepared_count++];
    memset(job, 0, sizeof *job);
    job->app = app;
    job->prepared = true;
    job->method = EVHTTP_REQ_POST;
    snprintf(job->path, sizeof job->path, "%s/v1/events", app->client.base_path);
    snprintf(job->label, sizeof job->label, "POST /v1/events (%zu calls from %s)",
             pick->batch_calls, pick->batch_first_id);
    job->content_type = "application/x-ndjson";
    job->owned = pick->batch.data;
    job->body = pick->batch.data;
    job->length = pick->batch.length;
    job->calls = pick->batch_calls;
    memset(&pick->batch, 0, sizeof pick->batch);
    pick->batch_calls = 0;
    return 0;
}

/* Keep `want` of `total` records, spread evenly over the range. */
static bool bench_keep(struct bench_pick *pick, const struct sim_record *record)
{
    if (record->ended_us > pick->to_us)
        return false;
    size_t index = pick->seen++;
    if ((index + 1) * pick->want / pick->total == index * pick->want / pick->total)
        return false;
    pick->kept++;
    return true;
}

static int bench_keep_cb(const struct sim_record *record, void *user_data)
{
    struct bench_pick *pick = user_data;
    struct app *app = pick->app;
    if (!bench_keep(pick, record))
        return 0;
    if (pick->single) {
        if (body_reserve(&pick->arena, SIM_NDJSON_MAX) < 0)
            goto oom;
        int length =
            sim_format_ndjson(record, pick->arena.data + pick->arena.length, SIM_NDJSON_MAX);
        if (length < 0)
            goto oom;
        app->single_offsets[app->single_count++] = pick->arena.length;
        pick->arena.length += (size_t)length - 1; /* a JSON object: no newline */
        app->single_offsets[app->single_count] = pick->arena.length;
        return 0;
    }
    if (body_append_record(&pick->batch, record) < 0)
        goto oom;
    if (pick->batch_calls++ == 0)
        memcpy(pick->batch_first_id, record->id, sizeof pick->batch_first_id);
    if (pick->batch_calls >= (size_t)app->options->batch)
        bench_close_batch(pick);
    return 0;
oom:
    pick->failed = true;
    return 1;
}

/* Make the benchmark's records: `calls` of them, offered over the last 90 days, spread
 * evenly, formatted before the clock starts (or, beyond BENCH_PREFORMAT_MAX bytes,
 * formatted just ahead of the senders). */
/* bench-batch --file: the bodies are the file's lines, --batch a body, as
 * given (so a benchmark can post exactly the rows it also loads with COPY). */
static int bench_prepare_file(struct app *app)
{
    const struct options *options = app->options;
    FILE *file = fopen(options->file, "rb");
    char *data = NULL;
    size_t length = 0, lines = 0, start = 0, in_batch = 0;
    long size;

    if (!file) {
        print_error("%s: cannot open %s: %s", options->mode_name, options->file, strerror(errno));
        return -1;
    }
    if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) > 0 &&
        fseek(file, 0, SEEK_SET) == 0 && (data = malloc((size_t)size)) != NULL)
        length = fread(data, 1, (size_t)size, file);
    fclose(file);
    if (!data || length == 0) {
        free(data);
        print_error("%s: %s is empty or unreadable", options->mode_name, options->file);
        return -1;
    }
    for (size_t i = 0; i < length; i++)
        lines += data[i] == '\n';
    lines += data[length - 1] != '\n'; /* a last line without its newline */
    app->planned_requests = (lines + (size_t)options->batch - 1) / (size_t)options->batch;
    app->prepared = calloc(app->planned_requests + 1, sizeof *app->prepared);
    if (!app->prepared) {
        free(data);
        print_error("%s: out of memory", options->mode_name);
        return -1;
    }
    app->single_arena = data; /* owns the bytes the prepared jobs point into */
    for (size_t i = 0; i < length; i++) {
        if (data[i] != '\n' || ++in_batch < (size_t)options->batch) {
            if (i + 1 < length)
                continue;
        }
        struct http_job *job = &app->prepared[app->prepared_count++];
        memset(job, 0, sizeof *job);
        job->app = app;
        job->method = EVHTTP_REQ_POST;
        snprintf(job->path, sizeof job->path, "/v1/events");
        job->content_type = "application/x-ndjson";
        job->body = data + start;
        job->length = i + 1 - start;
        job->calls = in_batch + (data[i] != '\n'); /* the last line may lack its newline */
        job->prepared = true;
        snprintf(job->label, sizeof job->label, "POST /v1/events (%zu calls from %s)", job->calls,
                 options->file);
        app->pick.kept += job->calls;
        start = i + 1;
        in_batch = 0;
    }
    fprintf(stderr, PROGRAM ": %s: %zu lines of %s in %zu requests; %ld connections to %s\n",
            options->mode_name, lines, options->file, app->prepared_count, options->concurrency,
            options->url);
    return 0;
}

static int bench_prepare(struct app *app, bool single)
{
    if (!single && app->options->file)
        return bench_prepare_file(app);
    const struct options *options = app->options;
    struct bench_pick *pick = &app->pick;
    struct ccm_error error;
    int64_t to_us = floor_div(wall_us(), US) * US;
    int64_t from_us = to_us - (int64_t)BENCH_DAYS * 86400 * US;
    memset(pick, 0, sizeof *pick);
    pick->to_us = to_us;
    pick->app = app;
    pick->single = single;

    /* A rate that gives a few more calls than wanted; every k-th of them is kept. */
    if (app_model_init(app, options->seed, 1.0) < 0)
        return -1;
    double per_rate = sim_model_expected_calls(&app->model, from_us, to_us);
    double rate = fmax(0.001, (double)options->calls / per_rate * 1.05);
    for (;;) {
        if (rate > SIM_RATE_MAX) {
            print_error("--calls %ld: more calls than the model makes in %d days", options->calls,
                        BENCH_DAYS);
            return -1;
        }
        sim_model_free(&app->model);
        app->model_ready = false;
        if (app_model_init(app, options->seed, rate) < 0)
            return -1;
        pick->total = 0;
        if (sim_generate(&app->model, from_us, to_us, bench_count_cb, pick, &error) < 0) {
            print_error("%s", error.message);
            return -1;
        }
        if (pick->total >= (size_t)options->calls)
            break;
        rate *= 1.1 * (double)options->calls / (double)(pick->total ? pick->total : 1);
    }
    pick->want = (size_t)options->calls;
    app->planned_requests =
        single ? pick->want : (pick->want + (size_t)options->batch - 1) / (size_t)options->batch;
    if (single) {
        app->latencies_ms = malloc(pick->want * sizeof *app->latencies_ms);
        if (!app->latencies_ms)
            goto oom;
    }
    if ((double)pick->want * BENCH_BYTES_PER_CALL > BENCH_PREFORMAT_MAX) {
        app->bench_streaming = true;
        sim_cursor_init(&app->cursor, &app->model, from_us, to_us);
        fprintf(stderr,
                PROGRAM ": %s: %zu calls (seed %" PRIu64 ", rate %.3g over %d days) in %zu "
                        "requests: ~%.1f GB of bodies is too much to hold, so they are formatted "
                        "just ahead of the senders; %ld connections to %s\n",
                options->mode_name, pick->want, options->seed, rate, BENCH_DAYS,
                app->planned_requests, pick->want * BENCH_BYTES_PER_CALL / 1e9,
                options->concurrency, options->url);
        return 0;
    }
    if (single) {
        app->single_offsets = malloc((pick->want + 1) * sizeof *app->single_offsets);
        if (!app->single_offsets)
            goto oom;
        app->single_offsets[0] = 0;
    } else {
        app->prepared = calloc(app->planned_requests + 1, sizeof *app->prepared);
        if (!app->prepared)
            goto oom;
    }
    if (sim_generate(&app->model, from_us, to_us, bench_keep_cb, pick, &error) < 0) {
        print_error("%s", error.message);
        goto fail;
    }
    if (pick->failed)
        goto oom;
    bench_close_batch(pick);
    app->single_arena = pick->arena.data;
    pick->arena.data = NULL;
    size_t bytes = pick->arena.length;
    for (size_t i = 0; i < app->prepared_count; i++)
        bytes += app->prepared[i].length;
    fprintf(stderr,
            PROGRAM ": %s: %zu calls (seed %" PRIu64 ", rate %.3g over %d days) in %zu "
                    "requests, %.1f MB of bodies; %ld connections to %s\n",
            options->mode_name, pick->kept, options->seed, rate, BENCH_DAYS,
            single ? app->single_count : app->prepared_count, bytes / 1e6, options->concurrency,
            options->url);
    return 0;
oom:
    print_error("out of memory preparing %ld calls", options->calls);
fail:
    free(pick->batch.data);
    free(pick->arena.data);
    memset(&pick->batch, 0, sizeof pick->batch);
    memset(&pick->arena, 0, sizeof pick->arena);
    return -1;
}

/* Streaming: one request's worth of the chosen records. 1 made, 0 none left, -1 failed. */
static int bench_stream_job(struct app *app)
{
    struct bench_pick *pick = &app->pick;
    struct ccm_error error;
    struct body_buffer body = {NULL, 0, 0};
    const struct sim_record *record;
    size_t want_calls = pick->single ? 1 : (size_t)app->options->batch;
    struct http_job *job = job_new(app, EVHTTP_REQ_POST, "/v1/events");
    int got = 0;
    if (!job)
        goto oom;
    while (job->calls < want_calls &&
           (got = sim_cursor_next(&app->model, &app->cursor, &record, &error)) == 1) {
        if (!bench_keep(pick, record))
            continue;
        if (body_append_record(&body, record) < 0) {
            free(body.data);
            goto oom;
        }
        if (job->calls++ == 0)
            memcpy(job->first_id, record->id, sizeof job->first_id);
    }
    job->owned = body.data;
    job->body = body.data;
    job->length = body.length;
    if (pick->single) {
        job->content_type = "application/json";
        if (job->length > 0)
            job->length--; /* a JSON object: no newline */
    } else {
        job->content_type = "application/x-ndjson";
    }
    if (got < 0) {
        print_error("%s: %s", app->options->mode_name, error.message);
        job_free(job);
        return -1;
    }
    if (job->calls == 0) {
        job_free(job);
        return 0;
    }
    snprintf(job->label, sizeof job->label, "POST /v1/events (%zu calls from %s)", job->calls,
             job->first_id);
    client_enqueue(app, job, false);
    return got == 0 ? 0 : 1;
oom:
    job_free(job);
    print_error("%s: out of memory", app->options->mode_name);
    return -1;
}

static void bench_stream_refill(struct app *app)
{
    while (app->client.queued < (size_t)app->client.slot_count && !app->producer_done) {
        int made = bench_stream_job(app);
        if (made < 0) {
            app->exit_code = 1;
            app->stopping = true;
            return;
        }
        if (made == 0)
            app->producer_done = true;
    }
}

static void bench_batch_refill(struct app *app)
{
    struct http_client *client = &app->client;
    while (client->queued < (size_t)client->slot_count && app->prepared_next < app->prepared_count)
        client_enqueue(app, &app->prepared[app->prepared_next++], false);
    if (app->prepared_next == app->prepared_count)
        app->producer_done = true;
}

static void bench_single_refill(struct app *app)
{
    struct http_client *client = &app->client;
    while (client->queued < (size_t)client->slot_count && app->single_next < app->single_count) {
        size_t i = app->single_next;
        struct http_job *job = job_new(app, EVHTTP_REQ_POST, "/v1/events");
        if (!job) {
            print_error("out of memory");
            app->exit_code = 1;
            app->stopping = true;
            return;
        }
        job->content_type = "application/json";
        job->body = app->single_arena + app->single_offsets[i];
        job->length = app->single_offsets[i + 1] - app->single_offsets[i];
        job->calls = 1;
        job->index = i;
        app->single_next++;
        client_enqueue(app, job, false);
    }
    if (app->single_next == app->single_count)
        app->producer_done = true;
}

static void bench_done(struct app *app, struct http_job *job, int status, const char *body,
                       size_t length, const char *transport_error)
{
    if (app->latencies_ms)
        app->latencies_ms[app->latency_count++] = (monotonic_s() - job->sent_mono) * 1000.0;
    if (status == 200) {
        app->requests_ok++;
        app->calls_posted += job->calls;
        count_accepted(app, job, body, length);
    } else {
        app->requests_failed++;
        show_error(app, job, status, body, transport_error, true);
    }
    job_free(job);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank. */
static double percentile(const double *sorted, size_t count, double p)
{
    if (count == 0)
        return 0;
    size_t rank = (size_t)ceil(p * (double)count);
    return sorted[rank > 0 ? rank - 1 : 0];
}

static void bench_finish(struct app *app)
{
    const struct options *options = app->options;
    double seconds = app->first_send_mono > 0 ? app->last_done_mono - app->first_send_mono : 0;
    double rate = seconds > 0 ? app->calls_posted / seconds : 0;
    size_t errors = app->requests_failed;
    size_t sent = app->requests_ok + app->requests_failed;
    if (sent < app->planned_requests) /* cut short: what was never sent is an error too */
        errors += app->planned_requests - sent;
    if (app->calls_duplicates)
        fprintf(stderr,
                PROGRAM ": %s: %zu of the calls were duplicates (use another --seed "
                        "for fresh ids)\n",
                options->mode_name, app->calls_duplicates);
    if (options->mode == MODE_BENCH_BATCH) {
        printf("bench-batch calls=%ld batch=%ld concurrency=%ld seconds=%.3f calls_per_s=%.1f "
               "errors=%zu\n",
               options->calls, options->batch, options->concurrency, seconds, rate, errors);
    } else {
        qsort(app->latencies_ms, app->latency_count, sizeof *app->latencies_ms, compare_double);
        printf("bench-single calls=%ld concurrency=%ld seconds=%.3f calls_per_s=%.1f "
               "p50_ms=%.3f p99_ms=%.3f errors=%zu\n",
               options->calls, options->concurrency, seconds, rate,
               percentile(app->latencies_ms, app->latency_count, 0.50),
               percentile(app->latencies_ms, app->latency_count, 0.99), errors);
    }
    fflush(stdout);
    if (errors && app->exit_code == 0)
        app->exit_code = 1;
}

static int run_bench(const struct options *options)
{
    struct app app;
    int status = 1;
    bool single = options->mode == MODE_BENCH_SINGLE;
    if (app_init(&app, options) < 0)
        goto done;
    if (bench_prepare(&app, single) < 0)
        goto done;
    app.refill = app.bench_streaming ? bench_stream_refill
                 : single            ? bench_single_refill
                                     : bench_batch_refill;
    app.done = bench_done;
    app.finish = bench_finish;
    status = app_run(&app);
done:
    app_free(&app);
    return status;
}

/* ---------------------------------------------------------------- ndjson */

static int run_ndjson(const struct options *options)
{
    struct sim_model model;
    struct sim_cursor cursor;
    struct ccm_error error;
    const struct sim_record *record;
    char line[SIM_NDJSON_MAX];
    int got = 0;
    if (sim_model_init(&model, options->seed, options->rate, &error) < 0) {
        print_error("%s", error.message);
        return 1;
    }
    sim_model_set_tz(&model, &options->tz);
    sim_model_set_always_open(&model, options->always_open);
    int64_t to_us = options->to_given ? options->to_us : floor_div(wall_us(), US) * US;
    int64_t from_us =
        tz_day_start(&options->tz, tz_local_day(&options->tz, to_us) - (int32_t)options->days);
    static char buffer[1 << 20];
    setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
    sim_cursor_init(&cursor, &model, from_us, to_us);
    long written = 0;
    while ((options->calls < 0 || written < options->calls) &&
           (got = sim_cursor_next(&model, &cursor, &record, &error)) == 1) {
        if (record->ended_us > to_us)
            continue; /* still in progress at --to */
        written++;
        int length = sim_format_ndjson(record, line, sizeof line);
        if (length < 0 || fwrite(line, 1, (size_t)length, stdout) != (size_t)length)
            break;
    }
    if (got < 0)
        print_error("ndjson: %s", error.message);
    int status = got < 0 ? 1 : 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        print_error("ndjson: writing to stdout: %s", strerror(errno));
        status = 1;
    }
    sim_model_free(&model);
    return status;
}

/* ---------------------------------------------------------------- options */

#define FOR_SETUP        (1u << MODE_SETUP)
#define FOR_BACKFILL     (1u << MODE_BACKFILL)
#define FOR_LIVE         (1u << MODE_LIVE)
#define FOR_BENCH_BATCH  (1u << MODE_BENCH_BATCH)
#define FOR_BENCH_SINGLE (1u << MODE_BENCH_SINGLE)
#define FOR_NDJSON       (1u << MODE_NDJSON)
#define FOR_HTTP         (FOR_SETUP | FOR_BACKFILL | FOR_LIVE | FOR_BENCH_BATCH | FOR_BENCH_SINGLE)
#define FOR_BENCH        (FOR_BENCH_BATCH | FOR_BENCH_SINGLE)

enum option_key {
    OPT_URL = 'u',
    OPT_TOKEN = 't',
    OPT_HELP = 'h',
    OPT_RATE = 256,
    OPT_SEED,
    OPT_DAYS,
    OPT_TO,
    OPT_BATCH,
    OPT_CONCURRENCY,
    OPT_CALLS,
    OPT_SPEED,
    OPT_ALWAYS_OPEN,
    OPT_RECORDS,
    OPT_TZ,
    OPT_TIMEOUT,
    OPT_EFFECTIVE_FROM,
    OPT_FILE,
    OPT_VERSION,
};

static const struct {
    int key;
    unsigned modes;
} option_modes[] = {
    {OPT_URL, FOR_HTTP},
    {OPT_TOKEN, FOR_HTTP},
    {OPT_RATE, FOR_BACKFILL | FOR_LIVE | FOR_NDJSON},
    {OPT_SEED, FOR_BACKFILL | FOR_LIVE | FOR_NDJSON | FOR_BENCH},
    {OPT_DAYS, FOR_BACKFILL | FOR_NDJSON},
    {OPT_TO, FOR_BACKFILL | FOR_NDJSON},
    {OPT_BATCH, FOR_BACKFILL | FOR_LIVE | FOR_BENCH_BATCH},
    {OPT_CONCURRENCY, FOR_BACKFILL | FOR_LIVE | FOR_BENCH},
    {OPT_CALLS, FOR_BENCH | FOR_NDJSON},
    {OPT_SPEED, FOR_LIVE},
    {OPT_ALWAYS_OPEN, FOR_BACKFILL | FOR_LIVE | FOR_NDJSON},
    {OPT_RECORDS, FOR_LIVE},
    {OPT_TZ, FOR_BACKFILL | FOR_LIVE | FOR_NDJSON | FOR_BENCH},
    {OPT_TIMEOUT, FOR_HTTP},
    {OPT_EFFECTIVE_FROM, FOR_SETUP},
    {OPT_FILE, FOR_BENCH_BATCH},
};

static const struct option long_options[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"rate", required_argument, NULL, OPT_RATE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"days", required_argument, NULL, OPT_DAYS},
    {"to", required_argument, NULL, OPT_TO},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"calls", required_argument, NULL, OPT_CALLS},
    {"speed", required_argument, NULL, OPT_SPEED},
    {"always-open", no_argument, NULL, OPT_ALWAYS_OPEN},
    {"records", no_argument, NULL, OPT_RECORDS},
    {"tz", required_argument, NULL, OPT_TZ},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"effective-from", required_argument, NULL, OPT_EFFECTIVE_FROM},
    {"file", required_argument, NULL, OPT_FILE},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
    fputs("Usage: " PROGRAM " MODE [OPTIONS]\n"
          "\n"
          "Simulates the phone lines of a large UK council (8 queues in 4 services:\n"
          "council-tax, business-rates, benefits -> revenues; bins, street-cleansing ->\n"
          "environment; housing-repairs, housing-options -> housing; registrars ->\n"
          "registration) and feeds the calls to ccmetricsd. The same --seed always gives\n"
          "the same calls with the same ids (sim-SEED-YYYYMMDD-QUEUE-N), so re-posting is\n"
          "harmless: the daemon counts them as duplicates.\n"
          "\n"
          "Modes:\n"
          "  setup         PUT /v1/queues/NAME for every queue (service, sl_threshold_s,\n"
          "                sl_formula, short_abandon_s) and PUT /v1/targets for answered_pct,\n"
          "                asa_s, abandoned_pct, service_level_pct and fcr_pct at tenant and\n"
          "                service scope. Needs a token with the admin scope.\n"
          "  backfill      POST /v1/events: the calls of the last --days whole local days and\n"
          "                of today up to now (or --to) that have ended by then, as NDJSON\n"
          "                batches; prints progress and calls/s every second.\n"
          "  live          Generates calls at wall-clock time (--speed simulated seconds per\n"
          "                second) and posts each as it happens: call.offered when it enters\n"
          "                its queue, call.answered, call.ended (with --records: one complete\n"
          "                record when it ends), in small batches flushed\n"
          "                at least every second; prints a line per batch. Calls in progress\n"
          "                at start-up are included. Runs until SIGINT/SIGTERM, then posts what\n"
          "                has ended and exits (a second signal exits at once).\n"
          "  bench-batch   Makes --calls calls offered over the last 90 days, formats them\n"
          "                into NDJSON bodies of --batch calls, then posts them as fast as\n"
          "                possible on --concurrency connections. Prints one line:\n"
          "                bench-batch calls=N batch=B concurrency=C seconds=T calls_per_s=R "
          "errors=E\n"
          "  bench-single  One call per request (a JSON object), --concurrency requests in\n"
          "                flight on as many keep-alive connections. Prints one line:\n"
          "                bench-single calls=N concurrency=C seconds=T calls_per_s=R\n"
          "                p50_ms=P p99_ms=Q errors=E\n"
          "  ndjson        Writes the calls backfill would post to stdout, one JSON object a\n"
          "                line (no daemon needed).\n"
          "\n"
          "Options (the modes each applies to in brackets):\n"
          "  -u, --url URL          the daemon, http://HOST:PORT[/PREFIX]\n"
          "                         [setup backfill live bench-*]\n"
          "  -t, --token TOKEN      bearer token; default $CCMETRICS_TOKEN. Scopes: admin\n"
          "                         (setup), ingest (the others) [setup backfill live bench-*]\n"
          "      --rate X           traffic multiplier, 0 < X <= 1000; 1 = ~7,000 calls a\n"
          "                         weekday, a call every few seconds in opening hours;\n"
          "                         agents scale with it (default 1) [backfill live ndjson]\n"
          "      --seed S           random seed, 0..2^64-1 (default 1; the benchmarks default\n"
          "                         to one from the clock, so that every run posts new ids)\n"
          "                         [backfill live ndjson bench-*]\n"
          "      --days N           whole local days before today, 0..36500; required\n"
          "                         [backfill ndjson]\n"
          "      --to RFC3339       the end of the history instead of now, e.g.\n"
          "                         2026-10-06T17:00:00Z [backfill ndjson]\n"
          "      --batch B          calls per request, 1..100000 (default 1000; live: the most\n"
          "                         per batch, default 500) [backfill live bench-batch]\n"
          "      --concurrency C    connections, each with one request in flight, 1..1024\n"
          "                         (default 4; live: 2) [backfill live bench-*]\n"
          "      --file PATH        post the NDJSON lines of this file, --batch lines a\n"
          "                         request, instead of generated calls (--calls defaults\n"
          "                         to its line count) [bench-batch]\n"
          "      --calls N          calls to post, 1..100000000; required [bench-*]; ndjson:\n"
          "                         stop after the first N [bench-* ndjson]\n"
          "      --speed F          simulated seconds per real second, 0 < F <= 100000\n"
          "                         (default 1; above 1 the calls run ahead of the clock)\n"
          "                         [live]\n"
          "      --records          live: post complete call records at their end instead of\n"
          "                         lifecycle events [live]\n"
          "      --always-open      every half hour of every day is an opening hour, with the\n"
          "                         daytime curve squeezed into 24 hours (demos out of hours;\n"
          "                         gives other calls for a seed) [backfill live ndjson]\n"
          "      --tz ZONE          local time of the opening hours: a POSIX TZ rule\n"
          "                         (\"GMT0BST,M3.5.0/1,M10.5.0\") or a zoneinfo name\n"
          "                         (default Europe/London) [backfill live ndjson bench-*]\n"
          "      --timeout S        seconds to wait for an answer, 1..3600 (default 60)\n"
          "                         [setup backfill live bench-*]\n"
          "      --effective-from D the targets' effective_from date (default 2020-04-01)\n"
          "                         [setup]\n"
          "  -h, --help             this help\n"
          "      --version          the version\n"
          "\n"
          "Failures (a rejected batch, a refused token, a daemon that cannot be reached)\n"
          "are reported on stderr with the request and the daemon's answer; the exit status\n"
          "is then 1. Transient failures (no connection, 408, 429, 5xx) are retried with\n"
          "back-off: backfill up to 10 attempts (4 while the daemon has not answered yet),\n"
          "live until stopped; the benchmarks count them as errors.\n"
          "\n"
          "Examples:\n"
          "  " PROGRAM " setup --url http://127.0.0.1:8080 --token $ADMIN_TOKEN\n"
          "  " PROGRAM " backfill --url http://127.0.0.1:8080 --token $TOKEN --days 90\n"
          "  " PROGRAM " live --url http://127.0.0.1:8080 --token $TOKEN --speed 10\n"
          "  " PROGRAM " bench-batch --url http://127.0.0.1:8080 --token $TOKEN --calls 200000 \\\n"
          "      --batch 1000 --concurrency 4\n"
          "  " PROGRAM " ndjson --days 30 --seed 7 > calls.ndjson\n",
          out);
}

static int parse_double(const char *name, const char *text, double low, double high, bool low_open,
                        double *out)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(value) || value > high ||
        (low_open ? value <= low : value < low)) {
        print_error("--%s \"%s\": want a number %s %g and <= %g", name, text,
                    low_open ? ">" : ">=", low, high);
        return -1;
    }
    *out = value;
    return 0;
}

static int parse_long(const char *name, const char *text, long low, long high, long *out)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (end == text || *end || errno || value < low || value > high) {
        print_error("--%s \"%s\": want a whole number from %ld to %ld", name, text, low, high);
        return -1;
    }
    *out = value;
    return 0;
}

static int parse_seed(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text[0] == '-' || text[0] == '+') {
        print_error("--seed \"%s\": want a whole number from 0 to 18446744073709551615", text);
        return -1;
    }
    unsigned long long value = strtoull(text, &end, 10);
    if (end == text || *end || errno) {
        print_error("--seed \"%s\": want a whole number from 0 to 18446744073709551615", text);
        return -1;
    }
    *out = (uint64_t)value;
    return 0;
}

/* A POSIX TZ rule, or a zoneinfo name whose TZif footer holds one. */
static int parse_tz(const char *text, struct tz_rule *rule)
{
    struct ccm_error error;
    if (tz_rule_parse(rule, text, &error) == 0)
        return 0;
    bool name_ok = text[0] && text[0] != '/' && !strstr(text, "..");
    for (const char *p = text; *p && name_ok; p++)
        name_ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || strchr("/_+-", *p);
    if (!name_ok) {
        print_error("--tz \"%s\": not a POSIX TZ rule (%s) nor a zoneinfo name", text,
                    error.message);
        return -1;
    }
    char path[512];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", text);
    FILE *file = fopen(path, "rb");
    if (!file) {
        print_error("--tz \"%s\": %s: %s", text, path, strerror(errno));
        return -1;
    }
    static unsigned char bytes[1 << 16];
    size_t length = fread(bytes, 1, sizeof bytes, file);
    fclose(file);
    char footer[256];
    if (tz_footer_from_tzif(bytes, length, footer, sizeof footer, &error) < 0 ||
        tz_rule_parse(rule, footer, &error) < 0) {
        print_error("--tz \"%s\": %s: %s", text, path, error.message);
        return -1;
    }
    snprintf(rule->name, sizeof rule->name, "%s", text);
    return 0;
}

static const struct {
    const char *name;
    enum mode mode;
} mode_names[] = {
    {"setup", MODE_SETUP},
    {"backfill", MODE_BACKFILL},
    {"live", MODE_LIVE},
    {"bench-batch", MODE_BENCH_BATCH},
    {"bench-single", MODE_BENCH_SINGLE},
    {"ndjson", MODE_NDJSON},
};

/* 0: run; 1: bad usage (exit 1); 2: help or version printed (exit 0). */
static int parse_options(int argc, char **argv, struct options *options)
{
    memset(options, 0, sizeof *options);
    options->rate = 1.0;
    options->speed = 1.0;
    options->seed = 1;
    options->days = -1;
    options->batch = -1;
    options->concurrency = -1;
    options->calls = -1;
    options->timeout_s = 60;
    options->effective_from = "2020-04-01";
    tz_rule_europe_london(&options->tz);

    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf(PROGRAM " " CCM_VERSION "\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (strcmp(argv[1], mode_names[i].name) == 0) {
            options->mode = mode_names[i].mode;
            options->mode_name = mode_names[i].name;
        }
    if (options->mode == MODE_NONE) {
        print_error("unknown mode \"%s\" (want setup, backfill, live, bench-batch, "
                    "bench-single or ndjson; see --help)",
                    argv[1]);
        return 1;
    }

    int key;
    optind = 1;
    opterr = 0;
    while ((key = getopt_long(argc - 1, argv + 1, ":u:t:h", long_options, NULL)) != -1) {
        const char *arg = optarg;
        /* getopt sees argv + 1, and has moved past the option: it is argv[optind]. */
        if (key == '?') {
            if (optopt)
                print_error("%s: unknown option \"-%c\" (see --help)", options->mode_name, optopt);
            else
                print_error("%s: unknown option \"%s\" (see --help)", options->mode_name,
                            argv[optind]);
            return 1;
        }
        if (key == ':') {
            print_error("%s: option \"%s\" needs a value", options->mode_name, argv[optind]);
            return 1;
        }
        if (key == OPT_HELP) {
            usage(stdout);
            return 2;
        }
        if (key == OPT_VERSION) {
            printf(PROGRAM " " CCM_VERSION "\n");
            return 2;
        }
        for (size_t i = 0; i < sizeof option_modes / sizeof option_modes[0]; i++) {
            if (option_modes[i].key == key && !(option_modes[i].modes & (1u << options->mode))) {
                const char *name = "?";
                for (const struct option *o = long_options; o->name; o++)
                    if (o->val == key)
                        name = o->name;
                print_error("%s: --%s does not apply to this mode (see --help)", options->mode_name,
                            name);
                return 1;
            }
        }
        int status = 0;
        switch (key) {
        case OPT_URL:
            options->url = arg;
            break;
        case OPT_TOKEN:
            options->token = arg;
            break;
        case OPT_RATE:
            status = parse_double("rate", arg, 0, SIM_RATE_MAX, true, &options->rate);
            break;
        case OPT_SEED:
            status = parse_seed(arg, &options->seed);
            options->seed_given = true;
            break;
        case OPT_DAYS:
            status = parse_long("days", arg, 0, 36500, &options->days);
            break;
        case OPT_TO: {
            struct ccm_error error;
            if (calendar_parse_rfc3339(arg, strlen(arg), &options->to_us, &error) < 0) {
                print_error("--to \"%s\": %s", arg, error.message);
                status = -1;
            }
            options->to_given = true;
            break;
        }
        case OPT_BATCH:
            status = parse_long("batch", arg, 1, 100000, &options->batch);
            break;
        case OPT_CONCURRENCY:
            status = parse_long("concurrency", arg, 1, 1024, &options->concurrency);
            break;
        case OPT_CALLS:
            status = parse_long("calls", arg, 1, 100000000, &options->calls);
            break;
        case OPT_FILE:
            options->file = arg;
            break;
        case OPT_SPEED:
            status = parse_double("speed", arg, 0, 100000, true, &options->speed);
            break;
        case OPT_ALWAYS_OPEN:
            options->always_open = true;
            break;
        case OPT_RECORDS:
            options->records = true;
            break;
        case OPT_TZ:
            status = parse_tz(arg, &options->tz);
            break;
        case OPT_TIMEOUT:
            status = parse_double("timeout", arg, 1, 3600, false, &options->timeout_s);
            break;
        case OPT_EFFECTIVE_FROM: {
            struct ccm_error error;
            int32_t day;
            if (calendar_parse_date(arg, strlen(arg), &day, &error) < 0) {
                print_error("--effective-from \"%s\": %s", arg, error.message);
                status = -1;
            }
            options->effective_from = arg;
            break;
        }
        default:
            status = -1;
            break;
        }
        if (status < 0)
            return 1;
    }
    if (optind < argc - 1) {
        print_error("%s: unexpected argument \"%s\" (see --help)", options->mode_name,
                    argv[optind + 1]);
        return 1;
    }

    /* Required options and mode defaults. */
    if ((1u << options->mode) & FOR_HTTP) {
        if (!options->url) {
            print_error("%s: --url is required (e.g. --url http://127.0.0.1:8080)",
                        options->mode_name);
            return 1;
        }
        if (!options->token)
            options->token = getenv("CCMETRICS_TOKEN");
        if (!options->token || !options->token[0]) {
            print_error("%s: --token is required (or set CCMETRICS_TOKEN)", options->mode_name);
            return 1;
        }
        if (strpbrk(options->token, "\r\n")) {
            print_error("%s: --token contains a line break", options->mode_name);
            return 1;
        }
    }
    if ((options->mode == MODE_BACKFILL || options->mode == MODE_NDJSON) && options->days < 0) {
        print_error("%s: --days is required (whole days before today, e.g. --days 30)",
                    options->mode_name);
        return 1;
    }
    if ((1u << options->mode) & FOR_BENCH) {
        if (options->calls < 0 && options->file) {
            FILE *file = fopen(options->file, "rb");
            int c, last = '\n';
            options->calls = 0;
            while (file && (c = getc(file)) != EOF) {
                options->calls += c == '\n';
                last = c;
            }
            options->calls += last != '\n'; /* a last line without its newline */
            if (file)
                fclose(file);
        }
        if (options->calls < 0) {
            print_error("%s: --calls is required", options->mode_name);
            return 1;
        }
        if (!options->seed_given) /* fresh ids on every run */
            options->seed = (uint64_t)wall_us();
    }
    if (options->batch < 0)
        options->batch = options->mode == MODE_LIVE ? 500 : 1000;
    if (options->concurrency < 0)
        options->concurrency = options->mode == MODE_LIVE ? 2 : 4;
    return 0;
}

int main(int argc, char **argv)
{
    struct options options;
    int status = parse_options(argc, argv, &options);
    if (status != 0)
        return status == 2 ? 0 : 1;
    switch (options.mode) {
    case MODE_SETUP:
        return run_setup(&options);
    case MODE_BACKFILL:
        return run_backfill(&options);
    case MODE_LIVE:
        return run_live(&options);
    case MODE_BENCH_BATCH:
    case MODE_BENCH_SINGLE:
        return run_bench(&options);
    case MODE_NDJSON:
        return run_ndjson(&options);
    case MODE_NONE:
        break;
    }
    return 1;
}
