/*
 * http: evhttp set-up with limits, routing, authentication and replies
 * (see http.h). Modelled on libevent's sample/http-server.c: every handler
 * replies exactly once.
 */
#include "http.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "clock.h"
#include "api.h"
#include "api_export.h"
#include "api_metrics.h"
#include "rate_limit.h"
#include "dashboards.h"
#include "db.h"
#include "event.h"
#include "live.h"
#include "log.h"
#include "server.h"
#include "tenant.h"

enum http_route_auth {
    HTTP_ROUTE_PUBLIC = 0,
    HTTP_ROUTE_INGEST = TENANT_SCOPE_INGEST,
    HTTP_ROUTE_READ = TENANT_SCOPE_READ,
    HTTP_ROUTE_ADMIN = TENANT_SCOPE_ADMIN,
};

struct http_route {
    enum evhttp_cmd_type method;
    const char *path; /* exact, or a prefix when it ends with '/' */
    unsigned scope;   /* required scope bit, 0 = public */
    void (*handler)(struct http_call *call);
};

static const struct http_route http_routes[] = {
    {EVHTTP_REQ_GET, "/healthz", HTTP_ROUTE_PUBLIC, api_healthz},
    {EVHTTP_REQ_GET, "/metrics", HTTP_ROUTE_PUBLIC, api_metrics_get},
    {EVHTTP_REQ_GET, "/readyz", HTTP_ROUTE_PUBLIC, api_readyz},
    {EVHTTP_REQ_POST, "/v1/events", HTTP_ROUTE_INGEST, api_events_post},
    {EVHTTP_REQ_POST, "/v1/ingest/asterisk-queue-log", HTTP_ROUTE_INGEST,
     api_asterisk_queue_log_post},
    {EVHTTP_REQ_POST, "/v1/ingest/amazon-connect", HTTP_ROUTE_INGEST, api_amazon_connect_post},
    {EVHTTP_REQ_GET, "/v1/kpis", HTTP_ROUTE_READ, api_kpis_get},
    {EVHTTP_REQ_GET, "/v1/kpis/series", HTTP_ROUTE_READ, api_kpis_series_get},
    {EVHTTP_REQ_PUT, "/v1/queues/", HTTP_ROUTE_ADMIN, api_queue_put},
    {EVHTTP_REQ_GET, "/v1/queues/", HTTP_ROUTE_READ, api_queue_get},
    {EVHTTP_REQ_GET, "/v1/queues", HTTP_ROUTE_READ, api_queue_list},
    {EVHTTP_REQ_PUT, "/v1/targets", HTTP_ROUTE_ADMIN, api_targets_put},
    {EVHTTP_REQ_GET, "/v1/targets", HTTP_ROUTE_READ, api_targets_get},
    {EVHTTP_REQ_GET, "/v1/live", HTTP_ROUTE_READ, api_live_get},
    {EVHTTP_REQ_GET, "/v1/abandoned", HTTP_ROUTE_READ, api_abandoned_get},
    {EVHTTP_REQ_GET, "/v1/reasons", HTTP_ROUTE_READ, api_reasons_get},
    {EVHTTP_REQ_POST, "/v1/enquiries", HTTP_ROUTE_INGEST, api_enquiries_post},
    {EVHTTP_REQ_GET, "/v1/enquiries/kpis", HTTP_ROUTE_READ, api_enquiries_kpis_get},
    {EVHTTP_REQ_GET, "/v1/enquiries/ageing", HTTP_ROUTE_READ, api_enquiries_ageing_get},
    {EVHTTP_REQ_PUT, "/v1/enquiries/settings", HTTP_ROUTE_ADMIN, api_enquiries_settings_put},
    {EVHTTP_REQ_PUT, "/v1/calendar/holidays", HTTP_ROUTE_ADMIN, api_calendar_holidays_put},
    {EVHTTP_REQ_DELETE, "/v1/calendar/holidays", HTTP_ROUTE_ADMIN, api_calendar_holidays_delete},
    {EVHTTP_REQ_GET, "/v1/calendar/holidays", HTTP_ROUTE_READ, api_calendar_holidays_get},
    {EVHTTP_REQ_GET, "/v1/exports/enquiries", HTTP_ROUTE_READ, api_exports_enquiries_get},
    {EVHTTP_REQ_POST, "/v1/surveys", HTTP_ROUTE_INGEST, api_surveys_post},
    {EVHTTP_REQ_PUT, "/v1/settings", HTTP_ROUTE_ADMIN, api_settings_put},
    {EVHTTP_REQ_GET, "/v1/settings", HTTP_ROUTE_READ, api_settings_get},
    {EVHTTP_REQ_GET, "/v1/live/stream", HTTP_ROUTE_READ, api_live_stream},
    {EVHTTP_REQ_POST, "/v1/alert-endpoints", HTTP_ROUTE_ADMIN, api_alert_endpoints_post},
    {EVHTTP_REQ_GET, "/v1/alert-endpoints", HTTP_ROUTE_ADMIN, api_alert_endpoints_get},
    {EVHTTP_REQ_GET, "/v1/alert-endpoints/", HTTP_ROUTE_ADMIN, api_alert_endpoint_get},
    {EVHTTP_REQ_POST, "/v1/alert-endpoints/", HTTP_ROUTE_ADMIN, api_alert_endpoint_post},
    {EVHTTP_REQ_PATCH, "/v1/alert-endpoints/", HTTP_ROUTE_ADMIN, api_alert_endpoint_patch},
    {EVHTTP_REQ_DELETE, "/v1/alert-endpoints/", HTTP_ROUTE_ADMIN, api_alert_endpoint_delete},
    {EVHTTP_REQ_POST, "/v1/alert-rules", HTTP_ROUTE_ADMIN, api_alert_rules_post},
    {EVHTTP_REQ_GET, "/v1/alert-rules", HTTP_ROUTE_ADMIN, api_alert_rules_get},
    {EVHTTP_REQ_PUT, "/v1/alert-rules/", HTTP_ROUTE_ADMIN, api_alert_rule_put},
    {EVHTTP_REQ_DELETE, "/v1/alert-rules/", HTTP_ROUTE_ADMIN, api_alert_rule_delete},
    {EVHTTP_REQ_GET, "/v1/alerts", HTTP_ROUTE_ADMIN, api_alerts_get},
    {EVHTTP_REQ_GET, "/v1/exports/monthly", HTTP_ROUTE_READ, api_exports_monthly_get},
    {EVHTTP_REQ_PUT, "/v1/export-profiles/", HTTP_ROUTE_ADMIN, api_export_profile_put},
    {EVHTTP_REQ_GET, "/v1/export-profiles", HTTP_ROUTE_READ, api_export_profiles_get},
    {EVHTTP_REQ_PUT, "/v1/commentary", HTTP_ROUTE_ADMIN, api_commentary_put},
    {EVHTTP_REQ_GET, "/v1/commentary", HTTP_ROUTE_READ, api_commentary_get},
    {EVHTTP_REQ_POST, "/v1/publications", HTTP_ROUTE_ADMIN, api_publications_post},
    {EVHTTP_REQ_GET, "/v1/publications", HTTP_ROUTE_READ, api_publications_get},
};

static const char *http_method_name(enum evhttp_cmd_type method)
{
    switch (method) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return "OTHER";
    }
}

static void http_call_free(struct http_call *call)
{
    evhttp_clear_headers(&call->query);
    free(call->path);
    free(call->raw_path);
    free(call);
}

static const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

_Static_assert(sizeof http_routes / sizeof http_routes[0] <= METRICS_ROUTES_MAX,
               "every route needs its place in the metrics");

const char *http_route_label(int index)
{
    static char labels[sizeof http_routes / sizeof http_routes[0]][96];
    if (index < 0 || (size_t)index >= sizeof http_routes / sizeof http_routes[0])
        return "other";
    if (!labels[index][0])
        snprintf(labels[index], sizeof labels[index], "%s %s%s",
                 http_method_name(http_routes[index].method), http_routes[index].path,
                 http_routes[index].path[strlen(http_routes[index].path) - 1] == '/' ? "*" : "");
    return labels[index];
}

void http_reply(struct http_call *call, int status)
{
    if (call->server->metrics)
        daemon_metrics_http(call->server->metrics, call->route_index, status,
                            clock_monotonic_s() - call->started_s);
    evhttp_add_header(evhttp_request_get_output_headers(call->request), "X-Request-Id",
                      call->request_id);
    evhttp_send_reply(call->request, status, http_reason(status), NULL);
    log_write(status >= 500 ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG, "http.request",
              "request_id=%s method=%s path=%s status=%d ms=%.2f tenant=%s", call->request_id,
              call->method_name, call->path ? call->path : "-", status,
              (clock_monotonic_s() - call->started_s) * 1000.0,
              call->tenant ? call->tenant->name : "-");
    http_call_free(call);
}

void http_reply_json(struct http_call *call, int status, json_t *body)
{
    struct evbuffer *output = evhttp_request_get_output_buffer(call->request);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(call->request);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

    evhttp_add_header(headers, "Content-Type", "application/json");
    evhttp_add_header(headers, "Cache-Control", "no-store");
    if (status == 503)
        evhttp_add_header(headers, "Retry-After", "1");
    if (text) {
        evbuffer_add(output, text, strlen(text));
        evbuffer_add(output, "\n", 1);
    }
    free(text);
    json_decref(body);
    http_reply(call, status);
}

struct evhttp_request *http_start_stream(struct http_call *call, const char *content_type)
{
    struct evhttp_request *request = call->request;
    struct evkeyvalq *headers = evhttp_request_get_output_headers(request);

    evhttp_add_header(headers, "Content-Type", content_type);
    evhttp_add_header(headers, "X-Request-Id", call->request_id);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    evhttp_add_header(headers, "X-Accel-Buffering", "no"); /* nginx: do not buffer the stream */
    evhttp_send_reply_start(request, 200, "OK");
    log_write(LOG_LEVEL_DEBUG, "http.stream", "request_id=%s path=%s tenant=%s", call->request_id,
              call->path ? call->path : "-", call->tenant ? call->tenant->name : "-");
    http_call_free(call);
    return request;
}

void http_reply_error(struct http_call *call, int status, const char *code, const char *message,
                      json_t *details)
{
    json_t *error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (details)
        json_object_set_new(error, "details", details);
    http_reply_json(call, status, json_pack("{s:o}", "error", error));
}

const char *http_query(struct http_call *call, const char *key)
{
    return evhttp_find_header(&call->query, key);
}

const char *http_body(struct http_call *call, size_t *length)
{
    struct evbuffer *input = evhttp_request_get_input_buffer(call->request);
    *length = evbuffer_get_length(input);
    return *length ? (const char *)evbuffer_pullup(input, -1) : "";
}

const char *http_content_type(struct http_call *call)
{
    const char *type =
        evhttp_find_header(evhttp_request_get_input_headers(call->request), "Content-Type");
    return type ? type : "";
}

json_t *http_body_json_object(struct http_call *call)
{
    size_t length;
    const char *body = http_body(call, &length);
    json_error_t error;
    json_t *value = json_loadb(body, length, 0, &error);
    char message[400];

    if (!value) {
        snprintf(message, sizeof message, "the body is not valid JSON: %s (line %d, column %d)",
                 error.text, error.line, error.column);
        http_reply_error(call, 400, "bad_json", message, NULL);
        return NULL;
    }
    if (!json_is_object(value)) {
        json_decref(value);
        http_reply_error(call, 400, "bad_json", "the body must be a JSON object", NULL);
        return NULL;
    }
    return value;
}

struct http_pending {
    struct http_call *call;
    const struct http_route *route;
    uint64_t token_key; /* from the token's SHA-256: its rate-limit bucket */
};

static void http_on_authenticated(const struct tenant *tenant, unsigned scopes, bool database_down,
                                  void *user_data)
{
    struct http_pending *pending = user_data;
    struct http_call *call = pending->call;
    const struct http_route *route = pending->route;
    uint64_t token_key = pending->token_key;

    free(pending);
    if (!tenant) {
        if (database_down)
            http_reply_error(call, 503, "database_unavailable",
                             "the database is not reachable; retry later", NULL);
        else
            http_reply_error(call, 401, "unauthorized",
                             "a valid token is required: Authorization: Bearer <token>", NULL);
        return;
    }
    call->tenant = tenant;
    call->scopes = scopes;
    const struct config *config = call->server->config;
    if (config->rate_limit_per_s > 0 && call->server->limiter) {
        double wait = rate_limiter_take(call->server->limiter, token_key, clock_monotonic_s(),
                                        config->rate_limit_per_s, config->rate_limit_burst);
        if (wait > 0) {
            char retry_after[24];
            snprintf(retry_after, sizeof retry_after, "%.0f", ceil(wait));
            evhttp_add_header(evhttp_request_get_output_headers(call->request), "Retry-After",
                              retry_after);
            http_reply_error(call, 429, "rate_limited",
                             "too many requests for this token; retry after Retry-After seconds",
                             NULL);
            return;
        }
    }
    if (!(scopes & route->scope)) {
        char message[160];
        snprintf(message, sizeof message, "this token lacks the \"%s\" scope",
                 route->scope == HTTP_ROUTE_INGEST ? "ingest"
                 : route->scope == HTTP_ROUTE_READ ? "read"
                                                   : "admin");
        http_reply_error(call, 403, "forbidden", message, NULL);
        return;
    }
    route->handler(call);
}

static bool http_path_matches(const char *route_path, const char *path)
{
    size_t length = strlen(route_path);
    if (route_path[length - 1] == '/')
        return strncmp(route_path, path, length) == 0 && path[length] != '\0';
    return strcmp(route_path, path) == 0;
}

static void http_on_request(struct evhttp_request *request, void *arg)
{
    struct server *server = arg;
    struct http_call *call = calloc(1, sizeof *call);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(request);
    enum evhttp_cmd_type method = evhttp_request_get_command(request);
    const char *raw_path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *raw_query = uri ? evhttp_uri_get_query(uri) : NULL;
    const struct http_route *route = NULL;
    bool path_known = false;
    const char *authorization;
    struct http_pending *pending;

    if (!call) {
        evhttp_send_error(request, 503, "out of memory");
        return;
    }
    call->server = server;
    call->request = request;
    call->route_index = -1;
    call->started_s = clock_monotonic_s();
    call->method_name = http_method_name(method);
    TAILQ_INIT(&call->query);
    snprintf(call->request_id, sizeof call->request_id, "%llx-%llx", (unsigned long long)time(NULL),
             ++server->request_counter);
    call->path = evhttp_uridecode(raw_path ? raw_path : "/", 0, NULL);
    call->raw_path = strdup(raw_path ? raw_path : "/");
    if (!call->path || !call->raw_path) {
        http_reply_error(call, 400, "bad_path", "the request path cannot be decoded", NULL);
        return;
    }
    if (raw_query && evhttp_parse_query_str(raw_query, &call->query) != 0) {
        http_reply_error(call, 400, "bad_query", "the query string cannot be parsed", NULL);
        return;
    }
    for (size_t i = 0; i < sizeof http_routes / sizeof http_routes[0]; i++) {
        if (!http_path_matches(http_routes[i].path, call->path))
            continue;
        path_known = true;
        if (http_routes[i].method == method) {
            route = &http_routes[i];
            call->route_index = (int)i;
            break;
        }
    }
    if (!route && !path_known && server->dashboards && strncmp(call->path, "/v1/", 4) != 0 &&
        (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)) {
        dashboards_serve(server->dashboards, call); /* the pages: public, no data in them */
        return;
    }
    if (!route) {
        if (path_known)
            http_reply_error(call, 405, "method_not_allowed",
                             "this path does not accept that method", NULL);
        else
            http_reply_error(call, 404, "not_found", "no such endpoint", NULL);
        return;
    }
    if (route->scope == HTTP_ROUTE_PUBLIC) {
        route->handler(call);
        return;
    }
    authorization = evhttp_find_header(evhttp_request_get_input_headers(request), "Authorization");
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) {
        http_reply_error(call, 401, "unauthorized",
                         "a token is required: Authorization: Bearer <token>", NULL);
        return;
    }
    pending = malloc(sizeof *pending);
    if (!pending) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    pending->call = call;
    pending->route = route;
    /* The token's rate-limit bucket: a 64-bit FNV-1a of its text. Only a table key
     * (tokens are authenticated by the registry's SHA-256), so no second SHA-256 on
     * every request. */
    pending->token_key = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)authorization + 7; *p; p++)
        pending->token_key = (pending->token_key ^ *p) * 1099511628211ULL;
    pending->token_key |= 1;
    tenant_authenticate(server->tenants, authorization + 7, http_on_authenticated, pending);
}

/* The connection limit: every connection is a descriptor, so the descriptors open
 * are counted (/proc/self/fd) ten times a second. Over max_connections, accepting
 * pauses (new clients wait in the kernel's backlog) until the count is back under
 * nine tenths of it: memory and descriptors stay bounded, and the clients already
 * connected keep being served; idle ones leave after http_timeout_s. */
static void http_on_connection_watch(evutil_socket_t fd, short what, void *arg)
{
    struct server *server = arg;
    int limit = server->config->max_connections, count = 0;
    DIR *directory = opendir("/proc/self/fd");
    struct dirent *entry;

    (void)fd;
    (void)what;
    if (!directory || !server->listener)
        return;
    while ((entry = readdir(directory)))
        count += entry->d_name[0] != '.';
    closedir(directory);
    server->open_descriptors = count;
    if (!server->accept_paused && count >= limit) {
        evconnlistener_disable(server->listener);
        server->accept_paused = true;
        log_warn("http.accept_paused", "open_descriptors=%d max_connections=%d", count, limit);
    } else if (server->accept_paused && count < limit - limit / 10) {
        evconnlistener_enable(server->listener);
        server->accept_paused = false;
        log_info("http.accept_resumed", "open_descriptors=%d max_connections=%d", count, limit);
    }
}

int http_start(struct server *server, struct ccm_error *error)
{
    struct config *config = server->config;
    char host[256];
    const char *colon = strrchr(config->listen, ':');
    int port = atoi(colon + 1);
    struct evhttp_bound_socket *bound;
    struct sockaddr_storage address;
    ev_socklen_t address_length = sizeof address;

    snprintf(host, sizeof host, "%.*s", (int)(colon - config->listen), config->listen);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    server->http = evhttp_new(server->base);
    if (!server->http)
        return ccm_error_set(error, "cannot create the HTTP server");
    /* evhttp's limits are unlimited by default: set them. Bodies up to twice the
     * configured limit are read so the handler can answer 413 in JSON. */
    evhttp_set_max_body_size(server->http, (ev_ssize_t)config->max_body_bytes * 2);
    evhttp_set_max_headers_size(server->http, (ev_ssize_t)config->max_header_bytes);
    evhttp_set_timeout(server->http, config->http_timeout_s);
    evhttp_set_allowed_methods(server->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                                 EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                                 EVHTTP_REQ_PATCH);
    evhttp_set_default_content_type(server->http, "application/json");
    evhttp_set_gencb(server->http, http_on_request, server);

    bound = evhttp_bind_socket_with_handle(server->http, host, (ev_uint16_t)port);
    if (!bound)
        return ccm_error_set(error, "cannot listen on %s: %s", config->listen,
                             evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    /* libevent listens with a backlog of 128: a burst of clients (a PBX reconnecting
     * its lines, a wallboard fleet after a network blip) would wait for SYN retries.
     * listen() again sets the backlog (capped by net.core.somaxconn). */
    listen(evhttp_bound_socket_get_fd(bound), 4096);
    server->listener = evhttp_bound_socket_get_listener(bound);
    server->connection_watch =
        event_new(server->base, -1, EV_PERSIST, http_on_connection_watch, server);
    if (server->connection_watch) {
        struct timeval every = {0, 100000};
        event_add(server->connection_watch, &every);
    }
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&address,
                    &address_length) == 0) {
        if (address.ss_family == AF_INET)
            server->port = ntohs(((struct sockaddr_in *)&address)->sin_port);
        else if (address.ss_family == AF_INET6)
            server->port = ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    }
    return 0;
}

void http_reply_db_failure(struct http_call *call, const struct db_result *result, const char *code,
                           const char *message)
{
    if (result->connection_failed)
        http_reply_error(call, 503, "database_unavailable",
                         "the database is not reachable; retry later", NULL);
    else if (result->sqlstate &&
             (strncmp(result->sqlstate, "53", 2) == 0 || strncmp(result->sqlstate, "57P", 3) == 0))
        http_reply_error(call, 503, "database_unavailable",
                         "the database cannot serve now (out of disk space or another resource); "
                         "retry later",
                         NULL);
    else
        http_reply_error(call, 500, code, message, NULL);
}

int http_query_channel(struct http_call *call, int *channel)
{
    const char *name = http_query(call, "channel");
    *channel = name ? event_channel_from_name(name) : -1;
    if (name && *channel < 0) {
        http_reply_error(call, 400, "bad_channel", "channel must be " EVENT_CHANNEL_CHOICES, NULL);
        return -1;
    }
    return 0;
}
