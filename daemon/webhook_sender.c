/*
 * webhook_sender: outbox delivery over curl multi on libevent (see webhook_sender.h).
 */
#include "webhook_sender.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "clock.h"
#include "api_metrics.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "net_policy.h"
#include "server.h"
#include "webhook.h"

#define WEBHOOK_CLAIM_BATCH  64 /* in the claim's SQL */
#define WEBHOOK_POLL_S       1
#define WEBHOOK_RESPONSE_MAX 65536 /* bytes of a receiver's answer read, then ignored */

struct webhook_delivery {
    struct webhook_sender *sender;
    TAILQ_ENTRY(webhook_delivery) link;
    CURL *easy;
    struct curl_slist *headers;
    char outbox_id[24];
    char endpoint_id[64];
    char webhook_id[64];
    char host[256]; /* for the log: never the path (Slack and Teams URLs are secrets) */
    char *body;
    int attempt;
    int64_t started_us;
    double started_s;
    size_t response_bytes;
    char refused[200]; /* why the address was refused, "" when it was not */
    char curl_error[CURL_ERROR_SIZE];
};

struct webhook_sender {
    struct server *server;
    CURLM *multi;
    struct event *curl_timer; /* the one timer curl asks for */
    struct event *poll_timer; /* claims what is due, every WEBHOOK_POLL_S */
    struct event *wake;
    struct net_policy policy;
    bool claiming;
    bool claim_again;
    bool closing;
    TAILQ_HEAD(, webhook_delivery) in_flight; /* transfers curl runs */
    char lease_text[16];
};

static void webhook_claim(struct webhook_sender *sender);

static void webhook_delivery_free(struct webhook_delivery *delivery)
{
    if (!delivery)
        return;
    if (delivery->easy)
        curl_easy_cleanup(delivery->easy);
    curl_slist_free_all(delivery->headers);
    free(delivery->body);
    free(delivery);
}

/* ---- curl on libevent: sockets and the timer ---- */

static void webhook_check_done(struct webhook_sender *sender);

static void webhook_on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct webhook_sender *sender = arg;
    int running = 0;
    int action =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(sender->multi, fd, action, &running);
    webhook_check_done(sender);
}

static int webhook_curl_socket(CURL *easy, curl_socket_t socket_fd, int what, void *user_data,
                               void *socket_data)
{
    struct webhook_sender *sender = user_data;
    struct event *event = socket_data;
    (void)easy;

    if (what == CURL_POLL_REMOVE) {
        if (event) {
            event_free(event);
            curl_multi_assign(sender->multi, socket_fd, NULL);
        }
        return 0;
    }
    short kinds = (short)(EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                          ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
    if (event) {
        event_del(event);
        event_assign(event, sender->server->base, socket_fd, kinds, webhook_on_socket, sender);
    } else {
        event = event_new(sender->server->base, socket_fd, kinds, webhook_on_socket, sender);
        if (!event)
            return -1;
        curl_multi_assign(sender->multi, socket_fd, event);
    }
    event_add(event, NULL);
    return 0;
}

static void webhook_on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
    struct webhook_sender *sender = arg;
    int running = 0;
    (void)fd;
    (void)what;
    curl_multi_socket_action(sender->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    webhook_check_done(sender);
}

static int webhook_curl_timer(CURLM *multi, long timeout_ms, void *user_data)
{
    struct webhook_sender *sender = user_data;
    (void)multi;
    if (timeout_ms < 0) {
        evtimer_del(sender->curl_timer);
    } else {
        struct timeval in = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        evtimer_add(sender->curl_timer, &in);
    }
    return 0;
}

/* ---- one delivery ---- */

/* The address check: curl asks for a socket for each address it connects to. */
static curl_socket_t webhook_open_socket(void *user_data, curlsocktype purpose,
                                         struct curl_sockaddr *address)
{
    struct webhook_delivery *delivery = user_data;
    const unsigned char *bytes = NULL;
    enum net_family family = NET_IPV4;
    char text[INET6_ADDRSTRLEN] = "?";
    const char *why;

    if (purpose != CURLSOCKTYPE_IPCXN)
        return CURL_SOCKET_BAD;
    if (address->family == AF_INET) {
        bytes = (const unsigned char *)&((struct sockaddr_in *)&address->addr)->sin_addr;
        inet_ntop(AF_INET, bytes, text, sizeof text);
    } else if (address->family == AF_INET6) {
        family = NET_IPV6;
        bytes = (const unsigned char *)&((struct sockaddr_in6 *)&address->addr)->sin6_addr;
        inet_ntop(AF_INET6, bytes, text, sizeof text);
    }
    why = bytes ? net_policy_refusal(&delivery->sender->policy, family, bytes) : "not IP";
    if (why) {
        snprintf(delivery->refused, sizeof delivery->refused,
                 "refused to connect to %s: a %s address (webhook_allow can permit it)", text, why);
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype, address->protocol);
}

static size_t webhook_on_response(char *data, size_t size, size_t count, void *user_data)
{
    struct webhook_delivery *delivery = user_data;
    (void)data;
    delivery->response_bytes += size * count;
    return delivery->response_bytes > WEBHOOK_RESPONSE_MAX ? 0 : size * count;
}

static void webhook_on_recorded(const struct db_result *result, void *user_data)
{
    struct webhook_sender *sender = user_data;
    char quoted[300];
    if (!result->ok && !result->connection_failed)
        log_warn("webhook.record_failed", "error=\"%s\"",
                 log_quote(result->error, quoted, sizeof quoted));
    /* The next of that endpoint's queue may be due at once. */
    if (result->ok && !sender->closing)
        webhook_sender_wake(sender);
}

static void webhook_finish(struct webhook_sender *sender, struct webhook_delivery *delivery,
                           CURLcode code)
{
    struct db_statement statement = {0};
    long status = 0;
    curl_off_t retry_after = 0;
    char error[400] = "", texts[8][32];
    double random01;
    unsigned int random_bits = 0;
    int duration_ms = (int)((clock_monotonic_s() - delivery->started_s) * 1000);
    bool delivered, gone;
    int64_t delay_s = 0;

    curl_easy_getinfo(delivery->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(delivery->easy, CURLINFO_RETRY_AFTER, &retry_after);
    delivered = code == CURLE_OK && status >= 200 && status < 300;
    gone = code == CURLE_OK && status == 410;
    if (!delivered) {
        if (delivery->refused[0])
            snprintf(error, sizeof error, "%s", delivery->refused);
        else if (code != CURLE_OK)
            snprintf(error, sizeof error, "%s",
                     delivery->curl_error[0] ? delivery->curl_error : curl_easy_strerror(code));
        else
            snprintf(error, sizeof error, "the receiver answered %ld", status);
        RAND_bytes((unsigned char *)&random_bits, sizeof random_bits);
        random01 = (double)random_bits / 4294967296.0;
        delay_s =
            webhook_retry_delay_s(delivery->attempt, sender->server->config->webhook_retry_base_s,
                                  random01, (int64_t)retry_after);
    }
    if (sender->server->metrics)
        sender->server->metrics->webhooks[delivered              ? METRICS_WEBHOOK_DELIVERED
                                          : delivery->refused[0] ? METRICS_WEBHOOK_REFUSED
                                                                 : METRICS_WEBHOOK_FAILED]++;
    log_write(delivered ? LOG_LEVEL_INFO : LOG_LEVEL_WARN,
              delivered ? "webhook.delivered" : "webhook.failed",
              "endpoint=%s webhook_id=%s host=%s attempt=%d status=%ld ms=%d retry_s=%lld%s%s%s",
              delivery->endpoint_id, delivery->webhook_id, delivery->host, delivery->attempt,
              status, duration_ms, (long long)delay_s, error[0] ? " error=\"" : "", error,
              error[0] ? "\"" : "");
    snprintf(texts[0], sizeof texts[0], "%d", delivery->attempt);
    snprintf(texts[1], sizeof texts[1], "%lld", (long long)delivery->started_us);
    snprintf(texts[2], sizeof texts[2], "%d", duration_ms);
    snprintf(texts[3], sizeof texts[3], "%ld", status);
    snprintf(texts[4], sizeof texts[4], "%lld", (long long)delay_s);
    snprintf(texts[5], sizeof texts[5], "%d", sender->server->config->webhook_disable_after_s);
    statement.sql = "SELECT ccm_webhook_record($1, $2, $3, $4, $5, nullif($6::integer, 0), $7,"
                    " $8, $9, $10)";
    statement.param_count = 10;
    statement.params[0] = delivery->outbox_id;
    statement.params[1] = delivery->endpoint_id;
    statement.params[2] = texts[0];
    statement.params[3] = texts[1];
    statement.params[4] = texts[2];
    statement.params[5] = texts[3];
    statement.params[6] = delivered ? NULL : error;
    statement.params[7] = texts[4];
    statement.params[8] = gone ? "true" : "false";
    statement.params[9] = texts[5];
    if (db_pool_submit(sender->server->readers, &statement, 1, webhook_on_recorded, sender))
        log_warn("webhook.record_failed", "error=\"out of memory\"");
    curl_multi_remove_handle(sender->multi, delivery->easy);
    TAILQ_REMOVE(&sender->in_flight, delivery, link);
    webhook_delivery_free(delivery);
}

static void webhook_check_done(struct webhook_sender *sender)
{
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read(sender->multi, &left))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        struct webhook_delivery *delivery = NULL;
        CURLcode code = message->data.result;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&delivery);
        if (delivery)
            webhook_finish(sender, delivery, code);
    }
}

/* Start one claimed notification: row of the claim answer. */
static void webhook_start(struct webhook_sender *sender, PGresult *rows, int r)
{
    struct webhook_delivery *delivery = calloc(1, sizeof *delivery);
    const char *url = PQgetvalue(rows, r, 5), *secret = PQgetvalue(rows, r, 6);
    char signature[WEBHOOK_SIGNATURE_MAX], header[128];
    struct ccm_error error;
    int64_t now_s;
    CURLU *parsed;
    char *host = NULL;

    if (!delivery)
        return;
    delivery->sender = sender;
    snprintf(delivery->outbox_id, sizeof delivery->outbox_id, "%s", PQgetvalue(rows, r, 0));
    snprintf(delivery->webhook_id, sizeof delivery->webhook_id, "%s", PQgetvalue(rows, r, 1));
    delivery->body = strdup(PQgetvalue(rows, r, 2));
    delivery->attempt = (int)strtol(PQgetvalue(rows, r, 3), NULL, 10);
    snprintf(delivery->endpoint_id, sizeof delivery->endpoint_id, "%s", PQgetvalue(rows, r, 4));
    if ((parsed = curl_url())) {
        if (curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK)
            snprintf(delivery->host, sizeof delivery->host, "%s", host);
        curl_free(host);
        curl_url_cleanup(parsed);
    }
    delivery->easy = curl_easy_init();
    now_s = clock_now_us() / 1000000;
    if (!delivery->body || !delivery->easy ||
        webhook_sign(secret, delivery->webhook_id, now_s, delivery->body, strlen(delivery->body),
                     signature, &error)) {
        log_warn("webhook.not_started", "endpoint=%s webhook_id=%s", delivery->endpoint_id,
                 delivery->webhook_id);
        webhook_delivery_free(delivery); /* the lease expires: tried again later */
        return;
    }
    delivery->headers = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(header, sizeof header, "webhook-id: %s", delivery->webhook_id);
    delivery->headers = curl_slist_append(delivery->headers, header);
    snprintf(header, sizeof header, "webhook-timestamp: %lld", (long long)now_s);
    delivery->headers = curl_slist_append(delivery->headers, header);
    snprintf(header, sizeof header, "webhook-signature: %s", signature);
    delivery->headers = curl_slist_append(delivery->headers, header);
    delivery->headers = curl_slist_append(delivery->headers, "Expect:");

    CURL *easy = delivery->easy;
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, delivery);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, delivery->body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(delivery->body));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, delivery->headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "ccmetrics-webhook/" CCM_VERSION);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, sender->server->config->webhook_timeout_s * 1000L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     sender->server->config->webhook_timeout_s * 1000L);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, webhook_open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, delivery);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, webhook_on_response);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, delivery);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, delivery->curl_error);
    delivery->started_us = clock_now_us();
    delivery->started_s = clock_monotonic_s();
    if (curl_multi_add_handle(sender->multi, easy) != CURLM_OK) {
        webhook_delivery_free(delivery);
        return;
    }
    TAILQ_INSERT_TAIL(&sender->in_flight, delivery, link);
}

static void webhook_on_claimed(const struct db_result *result, void *user_data)
{
    struct webhook_sender *sender = user_data;
    char quoted[300];

    sender->claiming = false;
    if (!result->ok) {
        if (!result->connection_failed)
            log_warn("webhook.claim_failed", "error=\"%s\"",
                     log_quote(result->error, quoted, sizeof quoted));
        return;
    }
    if (sender->closing || sender->server->shutting_down)
        return; /* the leases expire; a later run sends them */
    PGresult *rows = result->results[0];
    for (int r = 0; r < PQntuples(rows); r++)
        webhook_start(sender, rows, r);
    if (sender->claim_again) {
        sender->claim_again = false;
        webhook_claim(sender);
    }
}

static void webhook_claim(struct webhook_sender *sender)
{
    struct db_statement statement = {0};
    if (sender->claiming) {
        sender->claim_again = true;
        return;
    }
    /* Per endpoint its oldest undelivered notification, if due and not leased. */
    statement.sql =
        "WITH heads AS (SELECT DISTINCT ON (o.endpoint_id) o.id, o.endpoint_id,"
        " o.next_attempt_at, o.lease_until FROM alert_outbox o WHERE o.delivered_at IS NULL"
        " ORDER BY o.endpoint_id, o.id),"
        " due AS (SELECT h.id FROM heads h JOIN alert_endpoints e ON e.id = h.endpoint_id"
        " AND e.enabled WHERE h.next_attempt_at <= now()"
        " AND (h.lease_until IS NULL OR h.lease_until < now()) ORDER BY h.next_attempt_at"
        " LIMIT 64)" /* WEBHOOK_CLAIM_BATCH */
        " UPDATE alert_outbox o SET lease_until = now() + make_interval(secs => $1),"
        " attempts = o.attempts + 1 FROM alert_endpoints e"
        " WHERE o.id IN (SELECT id FROM due) AND e.id = o.endpoint_id AND e.enabled"
        " AND o.delivered_at IS NULL AND (o.lease_until IS NULL OR o.lease_until < now())"
        " RETURNING o.id, o.webhook_id, o.body, o.attempts, e.id, e.url, e.secret";
    statement.param_count = 1;
    statement.params[0] = sender->lease_text;
    sender->claiming = true;
    if (db_pool_submit(sender->server->readers, &statement, 1, webhook_on_claimed, sender))
        sender->claiming = false;
}

static void webhook_on_poll(evutil_socket_t fd, short what, void *arg)
{
    struct webhook_sender *sender = arg;
    (void)fd;
    (void)what;
    if (!sender->closing && !sender->server->shutting_down)
        webhook_claim(sender);
}

void webhook_sender_wake(struct webhook_sender *sender)
{
    if (sender && sender->wake && !sender->closing)
        event_active(sender->wake, 0, 0);
}

struct webhook_sender *webhook_sender_new(struct server *server)
{
    struct webhook_sender *sender = calloc(1, sizeof *sender);
    struct timeval every = {WEBHOOK_POLL_S, 0};
    struct ccm_error error;

    if (!sender)
        return NULL;
    sender->server = server;
    TAILQ_INIT(&sender->in_flight);
    net_policy_init(&sender->policy);
    for (int i = 0; i < server->config->webhook_allow_count; i++)
        if (net_policy_allow(&sender->policy, server->config->webhook_allow[i], &error)) {
            free(sender);
            return NULL;
        }
    /* A lease outlives the longest attempt and its recording. */
    snprintf(sender->lease_text, sizeof sender->lease_text, "%d",
             server->config->webhook_timeout_s + 5);
    sender->multi = curl_multi_init();
    sender->curl_timer = evtimer_new(server->base, webhook_on_curl_timer, sender);
    sender->poll_timer = event_new(server->base, -1, EV_PERSIST, webhook_on_poll, sender);
    sender->wake = event_new(server->base, -1, 0, webhook_on_poll, sender);
    if (!sender->multi || !sender->curl_timer || !sender->poll_timer || !sender->wake) {
        webhook_sender_free(sender);
        return NULL;
    }
    curl_multi_setopt(sender->multi, CURLMOPT_SOCKETFUNCTION, webhook_curl_socket);
    curl_multi_setopt(sender->multi, CURLMOPT_SOCKETDATA, sender);
    curl_multi_setopt(sender->multi, CURLMOPT_TIMERFUNCTION, webhook_curl_timer);
    curl_multi_setopt(sender->multi, CURLMOPT_TIMERDATA, sender);
    event_add(sender->poll_timer, &every);
    return sender;
}

void webhook_sender_free(struct webhook_sender *sender)
{
    if (!sender)
        return;
    sender->closing = true;
    struct webhook_delivery *delivery;
    while ((delivery = TAILQ_FIRST(&sender->in_flight))) {
        TAILQ_REMOVE(&sender->in_flight, delivery, link);
        curl_multi_remove_handle(sender->multi, delivery->easy);
        webhook_delivery_free(delivery);
    }
    if (sender->multi)
        curl_multi_cleanup(sender->multi);
    if (sender->curl_timer)
        event_free(sender->curl_timer);
    if (sender->poll_timer)
        event_free(sender->poll_timer);
    if (sender->wake)
        event_free(sender->wake);
    free(sender);
}
