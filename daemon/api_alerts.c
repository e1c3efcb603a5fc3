/*
 * api_alerts: the admin API of alerts (issue 5): webhook endpoints
 * (POST/GET /v1/alert-endpoints, PATCH/DELETE /v1/alert-endpoints/ID, its
 * delivery log GET .../ID/deliveries and a sample POST .../ID/test), alert rules
 * (POST/GET /v1/alert-rules, PUT/DELETE /v1/alert-rules/ID) and where each rule
 * stands (GET /v1/alerts). Rules are validated by lib/alert; the answers are
 * built as JSON by the SQL that reads them. A secret is shown once, in the answer
 * that creates it, and never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "alert.h"
#include "clock.h"
#include "alert_payload.h"
#include "alert_eval.h"
#include "api.h"
#include "db.h"
#include "http.h"
#include "server.h"
#include "tenant.h"
#include "webhook.h"
#include "webhook_sender.h"

#define API_ALERTS_URL_MAX 2048

/* One request's parameters and what its answer needs, until the database answers. */
struct api_alerts_call {
    struct http_call *call;
    int status; /* on success */
    char id[64];
    char secret[WEBHOOK_SECRET_MAX + 256];
    char texts[10][64];
    char *definition;  /* a rule's JSON */
    char *endpoints;   /* its endpoint ids, a JSON array */
    char *strings[4];  /* other owned parameters */
    bool reply_secret; /* endpoint creation: add the secret to the answer */
    bool wake_sender;  /* a sample was queued */
};

static struct api_alerts_call *api_alerts_call_new(struct http_call *call, int status)
{
    struct api_alerts_call *alerts = calloc(1, sizeof *alerts);
    if (!alerts) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return NULL;
    }
    alerts->call = call;
    alerts->status = status;
    return alerts;
}

static void api_alerts_call_free(struct api_alerts_call *alerts)
{
    free(alerts->definition);
    free(alerts->endpoints);
    for (int i = 0; i < 4; i++)
        free(alerts->strings[i]);
    OPENSSL_cleanse(alerts->secret, sizeof alerts->secret);
    free(alerts);
}

/* "ep_" or "rule_" + 16 random hex digits. */
static int api_alerts_new_id(const char *prefix, char out[64])
{
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return -1;
    int length = snprintf(out, 64, "%s", prefix);
    for (size_t i = 0; i < sizeof bytes; i++)
        length += snprintf(out + length, 64 - (size_t)length, "%02x", bytes[i]);
    return 0;
}

/* The answer: the last statement's one text column is the JSON to send. */
static void api_alerts_on_answer(const struct db_result *result, void *user_data)
{
    struct api_alerts_call *alerts = user_data;
    struct http_call *call = alerts->call;
    json_t *body = NULL;

    if (!result->ok) {
        if (result->connection_failed)
            http_reply_error(call, 503, "database_unavailable",
                             "the database is not reachable; nothing was changed, retry later",
                             NULL);
        else if (strcmp(result->sqlstate, "23503") == 0)
            http_reply_error(call, 422, "unknown_endpoint", result->error, NULL);
        else if (strcmp(result->sqlstate, "P0002") == 0)
            http_reply_error(call, 404, "not_found", result->error, NULL);
        else
            http_reply_error(call, 500, "storage_failed", "the request could not be completed",
                             NULL);
        api_alerts_call_free(alerts);
        return;
    }
    PGresult *rows = result->results[result->result_count - 1];
    if (PQntuples(rows) == 1 && !PQgetisnull(rows, 0, 0))
        body = json_loads(PQgetvalue(rows, 0, 0), 0, NULL);
    if (!body) {
        http_reply_error(call, 404, "not_found", "no such alert endpoint or rule", NULL);
        api_alerts_call_free(alerts);
        return;
    }
    if (alerts->reply_secret)
        json_object_set_new(body, "secret", json_string(alerts->secret));
    if (alerts->wake_sender)
        webhook_sender_wake(call->server->webhooks);
    http_reply_json(call, alerts->status, body);
    api_alerts_call_free(alerts);
}

static void api_alerts_submit(struct api_alerts_call *alerts, struct db_statement *statements,
                              int count)
{
    if (db_pool_submit(alerts->call->server->readers, statements, count, api_alerts_on_answer,
                       alerts)) {
        http_reply_error(alerts->call, 503, "out_of_memory", "out of memory", NULL);
        api_alerts_call_free(alerts);
    }
}

/* The ID of PREFIX/ID[/suffix] (percent-decoded), and its suffix ("" when none). */
static char *api_alerts_item(struct http_call *call, const char *prefix, const char **suffix)
{
    const char *segment = call->raw_path + strlen(prefix);
    const char *slash = strchr(segment, '/');
    size_t length = slash ? (size_t)(slash - segment) : strlen(segment);
    char raw[64];

    *suffix = slash ? slash + 1 : "";
    if (length == 0 || length >= sizeof raw)
        return NULL;
    memcpy(raw, segment, length);
    raw[length] = '\0';
    return evhttp_uridecode(raw, 0, NULL);
}

static const char *const api_alerts_endpoint_json =
    "json_build_object('id', e.id, 'url', ccm_url_shown(e.url, e.format), 'format', e.format,"
    " 'enabled', e.enabled, 'publications', e.publications,"
    " 'disabled_reason', e.disabled_reason,"
    " 'disabled_at', ccm_utc_text(e.disabled_at), 'failing_since', ccm_utc_text(e.failing_since),"
    " 'created_at', ccm_utc_text(e.created_at),"
    " 'pending', (SELECT count(*) FROM alert_outbox o WHERE o.endpoint_id = e.id"
    " AND o.delivered_at IS NULL))";

/* http(s) only, with a host: checked with libcurl's own URL parser. */
static int api_alerts_check_url(const char *url, struct ccm_error *error)
{
    CURLU *parsed = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = 0;

    if (!parsed)
        return ccm_error_set(error, "out of memory");
    if (strlen(url) > API_ALERTS_URL_MAX ||
        curl_url_set(parsed, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
        rc = ccm_error_set(error, "url must be an absolute http:// or https:// URL of at most "
                                  "2048 characters");
    else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        rc = ccm_error_set(error, "url must use http or https, not %s", scheme);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(parsed);
    return rc;
}

void api_alert_endpoints_post(struct http_call *call)
{
    static const char *const known[] = {"url", "format", "secret", "enabled", "publications", NULL};
    struct db_statement statement = {0};
    struct api_alerts_call *alerts;
    struct ccm_error error;
    const char *key, *url, *format, *secret;
    json_t *body = http_body_json_object(call), *value;

    if (!body)
        return;
    json_object_foreach(body, key, value)
    {
        bool found = false;
        for (int i = 0; known[i]; i++)
            found = found || strcmp(key, known[i]) == 0;
        if (!found) {
            ccm_error_set(&error,
                          "unknown key \"%.40s\" (known: url, format, secret, enabled, "
                          "publications)",
                          key);
            goto invalid;
        }
    }
    url = json_string_value(json_object_get(body, "url"));
    format = json_object_get(body, "format") ? json_string_value(json_object_get(body, "format"))
                                             : "generic";
    secret = json_string_value(json_object_get(body, "secret"));
    value = json_object_get(body, "enabled");
    if (!url) {
        ccm_error_set(&error, "url is required");
        goto invalid;
    }
    if (api_alerts_check_url(url, &error))
        goto invalid;
    if (!format || alert_format_from_name(format) < 0) {
        ccm_error_set(&error, "format must be generic, slack or teams");
        goto invalid;
    }
    if (json_object_get(body, "secret") && !json_is_null(json_object_get(body, "secret")) &&
        (!secret || webhook_secret_check(secret, &error))) {
        if (!secret)
            ccm_error_set(&error, "secret must be a string");
        goto invalid;
    }
    if (value && !json_is_boolean(value)) {
        ccm_error_set(&error, "enabled must be true or false");
        goto invalid;
    }
    if (json_object_get(body, "publications") &&
        !json_is_boolean(json_object_get(body, "publications"))) {
        ccm_error_set(&error, "publications must be true or false");
        goto invalid;
    }
    if (!(alerts = api_alerts_call_new(call, 201))) {
        json_decref(body);
        return;
    }
    if (secret && strlen(secret) >= sizeof alerts->secret) {
        api_alerts_call_free(alerts);
        ccm_error_set(&error, "secret must be at most %zu bytes", sizeof alerts->secret - 1);
        goto invalid;
    }
    unsigned char random_bytes[32];
    if (RAND_bytes(random_bytes, sizeof random_bytes) != 1 ||
        api_alerts_new_id("ep_", alerts->id)) {
        api_alerts_call_free(alerts);
        json_decref(body);
        http_reply_error(call, 503, "no_randomness", "no random bytes for an id or secret", NULL);
        return;
    }
    if (secret)
        strcpy(alerts->secret, secret);
    else
        webhook_secret_format(random_bytes, alerts->secret); /* generated: shown only now */
    OPENSSL_cleanse(random_bytes, sizeof random_bytes);
    alerts->strings[0] = strdup(url);
    snprintf(alerts->texts[0], sizeof alerts->texts[0], "%s", format);
    snprintf(alerts->texts[1], sizeof alerts->texts[1], "%s",
             !value || json_is_true(value) ? "true" : "false");
    snprintf(alerts->texts[2], sizeof alerts->texts[2], "%s",
             json_is_true(json_object_get(body, "publications")) ? "true" : "false");
    json_decref(body);
    if (!alerts->strings[0]) {
        api_alerts_call_free(alerts);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    alerts->reply_secret = true;
    statement.sql = "WITH e AS (INSERT INTO alert_endpoints (id, tenant_id, url, format, secret,"
                    " enabled, publications) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *)"
                    " SELECT json_build_object('id', e.id, 'url', e.url, 'format', e.format,"
                    " 'enabled', e.enabled, 'publications', e.publications,"
                    " 'created_at', ccm_utc_text(e.created_at))::text FROM e";
    statement.param_count = 7;
    statement.params[6] = alerts->texts[2];
    statement.params[0] = alerts->id;
    statement.params[1] = call->tenant->id_text;
    statement.params[2] = alerts->strings[0];
    statement.params[3] = alerts->texts[0];
    statement.params[4] = alerts->secret;
    statement.params[5] = alerts->texts[1];
    api_alerts_submit(alerts, &statement, 1);
    return;
invalid:
    json_decref(body);
    http_reply_error(call, 422, "invalid_endpoint", error.message, NULL);
}

void api_alert_endpoints_get(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_alerts_call *alerts = api_alerts_call_new(call, 200);
    static char sql[1024];

    if (!alerts)
        return;
    if (!sql[0])
        snprintf(sql, sizeof sql,
                 "SELECT json_build_object('endpoints', coalesce(json_agg(%s ORDER BY e.created_at,"
                 " e.id), '[]'::json))::text FROM alert_endpoints e WHERE e.tenant_id = $1",
                 api_alerts_endpoint_json);
    statement.sql = sql;
    statement.param_count = 1;
    statement.params[0] = call->tenant->id_text;
    api_alerts_submit(alerts, &statement, 1);
}

/* GET /v1/alert-endpoints/ID[/deliveries] */
void api_alert_endpoint_get(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_alerts_call *alerts;
    const char *suffix, *limit = http_query(call, "limit");
    char *id = api_alerts_item(call, "/v1/alert-endpoints/", &suffix);
    static char one_sql[1024];
    char *limit_end = NULL;
    long count = limit ? strtol(limit, &limit_end, 10) : 100;

    if (!id || (strcmp(suffix, "") != 0 && strcmp(suffix, "deliveries") != 0)) {
        free(id);
        http_reply_error(call, 404, "not_found", "no such endpoint", NULL);
        return;
    }
    if (count < 1 || count > 1000 || (limit && (limit_end == limit || *limit_end))) {
        free(id);
        http_reply_error(call, 400, "bad_limit", "limit must be a whole number 1-1000", NULL);
        return;
    }
    if (!(alerts = api_alerts_call_new(call, 200))) {
        free(id);
        return;
    }
    alerts->strings[0] = id;
    snprintf(alerts->texts[0], sizeof alerts->texts[0], "%ld", count);
    if (!one_sql[0])
        snprintf(one_sql, sizeof one_sql,
                 "SELECT (%s)::text FROM alert_endpoints e WHERE e.tenant_id = $1 AND e.id = $2",
                 api_alerts_endpoint_json);
    statement.sql =
        suffix[0]
            ? "SELECT json_build_object('endpoint', e.id, 'deliveries', coalesce((SELECT json_agg("
              "json_build_object('webhook_id', o.webhook_id, 'type', o.type, 'attempt',"
              " d.attempt, 'attempted_at', ccm_utc_text(d.attempted_at), 'duration_ms',"
              " d.duration_ms, 'status', d.status, 'error', d.error, 'retry_at',"
              " ccm_utc_text(d.retry_at), 'delivered', d.error IS NULL) ORDER BY d.id DESC)"
              " FROM (SELECT * FROM alert_deliveries WHERE endpoint_id = e.id ORDER BY id DESC"
              " LIMIT $3) d JOIN alert_outbox o ON o.id = d.outbox_id), '[]'::json))::text"
              " FROM alert_endpoints e WHERE e.tenant_id = $1 AND e.id = $2"
            : one_sql;
    statement.param_count = suffix[0] ? 3 : 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = alerts->strings[0];
    statement.params[2] = alerts->texts[0];
    api_alerts_submit(alerts, &statement, 1);
}

/* PATCH /v1/alert-endpoints/ID {"enabled": true|false}: turning an endpoint back on
 * clears why it was off and sends what waited for it at once. */
void api_alert_endpoint_patch(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_alerts_call *alerts;
    const char *suffix, *key;
    char *id = api_alerts_item(call, "/v1/alert-endpoints/", &suffix);
    json_t *body, *value, *enabled;
    static char sql[1400];

    if (!id || suffix[0]) {
        free(id);
        http_reply_error(call, 404, "not_found", "no such endpoint", NULL);
        return;
    }
    if (!(body = http_body_json_object(call))) {
        free(id);
        return;
    }
    enabled = json_object_get(body, "enabled");
    json_object_foreach(body, key, value) if (strcmp(key, "enabled") != 0) enabled = NULL;
    if (!json_is_boolean(enabled)) {
        free(id);
        json_decref(body);
        http_reply_error(call, 422, "invalid_endpoint",
                         "give {\"enabled\": true} or {\"enabled\": false} (nothing else can "
                         "change: create a new endpoint for another URL or secret)",
                         NULL);
        return;
    }
    if (!(alerts = api_alerts_call_new(call, 200))) {
        free(id);
        json_decref(body);
        return;
    }
    alerts->strings[0] = id;
    snprintf(alerts->texts[0], sizeof alerts->texts[0], "%s",
             json_is_true(enabled) ? "true" : "false");
    json_decref(body);
    alerts->wake_sender = true;
    if (!sql[0])
        snprintf(sql, sizeof sql,
                 "WITH changed AS (UPDATE alert_endpoints SET enabled = $3,"
                 " disabled_reason = CASE WHEN $3 THEN NULL ELSE 'disabled through the API' END,"
                 " disabled_at = CASE WHEN $3 THEN NULL ELSE now() END,"
                 " failing_since = CASE WHEN $3 THEN NULL ELSE failing_since END"
                 " WHERE tenant_id = $1 AND id = $2 RETURNING id),"
                 " due AS (UPDATE alert_outbox SET next_attempt_at = now() WHERE $3 AND"
                 " endpoint_id IN (SELECT id FROM changed) AND delivered_at IS NULL)"
                 " SELECT 1");
    statement.sql = sql;
    statement.param_count = 3;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = alerts->strings[0];
    statement.params[2] = alerts->texts[0];
    struct db_statement statements[2] = {statement, {0}};
    static char answer_sql[1024];
    if (!answer_sql[0])
        snprintf(answer_sql, sizeof answer_sql,
                 "SELECT (%s)::text FROM alert_endpoints e WHERE e.tenant_id = $1 AND e.id = $2",
                 api_alerts_endpoint_json);
    statements[1].sql = answer_sql;
    statements[1].param_count = 2;
    statements[1].params[0] = call->tenant->id_text;
    statements[1].params[1] = alerts->strings[0];
    api_alerts_submit(alerts, statements, 2);
}

void api_alert_endpoint_delete(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_alerts_call *alerts;
    const char *suffix;
    char *id = api_alerts_item(call, "/v1/alert-endpoints/", &suffix);

    if (!id || suffix[0]) {
        free(id);
        http_reply_error(call, 404, "not_found", "no such endpoint", NULL);
        return;
    }
    if (!(alerts = api_alerts_call_new(call, 200))) {
        free(id);
        return;
    }
    alerts->strings[0] = id;
    statement.sql = "WITH gone AS (DELETE FROM alert_endpoints WHERE tenant_id = $1 AND id = $2"
                    " RETURNING id) SELECT json_build_object('deleted', id)::text FROM gone";
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = alerts->strings[0];
    api_alerts_submit(alerts, &statement, 1);
}

/* POST /v1/alert-endpoints/ID/test: a sample notification through the outbox, so
 * it is signed, retried and logged like any other. 202 with its webhook id. */
void api_alert_endpoint_post(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_alerts_call *alerts;
    const char *suffix;
    char *id = api_alerts_item(call, "/v1/alert-endpoints/", &suffix);
    char link[512];
    struct alert_notification sample = {
        .type = "alert.test",
        .at_us = clock_now_us(),
        .rule_id = "test",
        .rule_name = "A test from ccmetrics",
        .scope = "tenant",
        .kpi = "answered_pct",
        .window = "today",
        .has_value = true,
        .value = 90,
        .has_threshold = true,
        .threshold = 85,
        .link = link,
    };

    if (!id || strcmp(suffix, "test") != 0) {
        free(id);
        http_reply_error(call, 404, "not_found", "no such endpoint", NULL);
        return;
    }
    if (!(alerts = api_alerts_call_new(call, 202))) {
        free(id);
        return;
    }
    alert_evaluator_link(call->server, "tenant", NULL, ALERT_WINDOW_TODAY, link, sizeof link);
    alerts->strings[0] = id;
    for (int format = 0; format < ALERT_FORMAT_COUNT; format++)
        if (!(alerts->strings[1 + format] = alert_payload_render(&sample, format))) {
            api_alerts_call_free(alerts);
            http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
            return;
        }
    alerts->wake_sender = true;
    statement.sql =
        "WITH queued AS (INSERT INTO alert_outbox (webhook_id, tenant_id, endpoint_id, rule_id,"
        " type, body) SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.tenant_id,"
        " e.id, NULL, 'alert.test', CASE e.format WHEN 'slack' THEN $4 WHEN 'teams' THEN $5"
        " ELSE $3 END FROM alert_endpoints e WHERE e.tenant_id = $1 AND e.id = $2"
        " RETURNING webhook_id, endpoint_id)"
        " SELECT json_build_object('endpoint', endpoint_id, 'webhook_id', webhook_id)::text"
        " FROM queued";
    statement.param_count = 5;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = alerts->strings[0];
    for (int format = 0; format < ALERT_FORMAT_COUNT; format++)
        statement.params[2 + format] = alerts->strings[1 + format];
    api_alerts_submit(alerts, &statement, 1);
}

static const char *const api_alerts_rule_json =
    "jsonb_build_object('id', r.id, 'enabled', r.enabled, 'created_at',"
    " ccm_utc_text(r.created_at)) || (r.definition - 'enabled' - 'endpoints')"
    " || jsonb_build_object('endpoints', coalesce((SELECT jsonb_agg(x.endpoint_id ORDER BY"
    " x.endpoint_id) FROM alert_rule_endpoints x WHERE x.rule_id = r.id), '[]'::jsonb))";

/* POST /v1/alert-rules (new id) and PUT /v1/alert-rules/ID (create or replace). */
static void api_alert_rule_store(struct http_call *call, char *id, int status)
{
    struct db_statement statements[2] = {{0}};
    struct api_alerts_call *alerts;
    struct alert_rule rule;
    struct ccm_error error;
    json_t *body = http_body_json_object(call), *endpoints;
    static char answer_sql[1024];

    if (!body) {
        free(id);
        return;
    }
    if (alert_rule_parse(&rule, body, &error)) {
        free(id);
        json_decref(body);
        http_reply_error(call, 422, "invalid_rule", error.message, NULL);
        return;
    }
    if (!(alerts = api_alerts_call_new(call, status))) {
        free(id);
        json_decref(body);
        return;
    }
    if (id) {
        snprintf(alerts->id, sizeof alerts->id, "%s", id);
        free(id);
    } else if (api_alerts_new_id("rule_", alerts->id)) {
        api_alerts_call_free(alerts);
        json_decref(body);
        http_reply_error(call, 503, "no_randomness", "no random bytes for an id", NULL);
        return;
    }
    endpoints = json_object_get(body, "endpoints");
    alerts->endpoints = endpoints ? json_dumps(endpoints, JSON_COMPACT) : strdup("[]");
    alerts->definition = json_dumps(body, JSON_COMPACT);
    scope_format(&rule.scope, alerts->secret, sizeof alerts->secret); /* scope text */
    json_decref(body);
    if (!alerts->endpoints || !alerts->definition) {
        api_alerts_call_free(alerts);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    snprintf(alerts->texts[0], sizeof alerts->texts[0], "%s",
             rule.scope.kind == SCOPE_TENANT  ? "tenant"
             : rule.scope.kind == SCOPE_QUEUE ? "queue"
                                              : "service");
    snprintf(alerts->texts[1], sizeof alerts->texts[1], "%lld", (long long)rule.no_data_minutes);
    snprintf(alerts->texts[2], sizeof alerts->texts[2], "%s", rule.enabled ? "true" : "false");
    alerts->strings[0] = strdup(rule.scope.name);
    if (!alerts->strings[0]) {
        api_alerts_call_free(alerts);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    statements[0].sql = "SELECT ccm_alert_rule_put($1, $2, $3::jsonb, $4, $5, nullif($6, ''),"
                        " nullif($7::integer, 0), $8::boolean, $9::jsonb)";
    statements[0].param_count = 9;
    statements[0].params[0] = call->tenant->id_text;
    statements[0].params[1] = alerts->id;
    statements[0].params[2] = alerts->definition;
    statements[0].params[3] = alerts->secret;
    statements[0].params[4] = alerts->texts[0];
    statements[0].params[5] = alerts->strings[0];
    statements[0].params[6] = alerts->texts[1];
    statements[0].params[7] = alerts->texts[2];
    statements[0].params[8] = alerts->endpoints;
    if (!answer_sql[0])
        snprintf(answer_sql, sizeof answer_sql,
                 "SELECT (%s)::text FROM alert_rules r WHERE r.tenant_id = $1 AND r.id = $2",
                 api_alerts_rule_json);
    statements[1].sql = answer_sql;
    statements[1].param_count = 2;
    statements[1].params[0] = call->tenant->id_text;
    statements[1].params[1] = alerts->id;
    api_alerts_submit(alerts, statements, 2);
}

void api_alert_rules_post(struct http_call *call)
{
    api_alert_rule_store(call, NULL, 201);
}

void api_alert_rule_put(struct http_call *call)
{
    const char *suffix;
    char *id = api_alerts_item(call, "/v1/alert-rules/", &suffix);
    if (!id || suffix[0] ||
        strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_-.") != strlen(id)) {
        free(id);
        http_reply_error(call, 400, "bad_rule_id",
                         "a rule id is 1-63 of A-Z, a-z, 0-9, '_', '-' and '.'", NULL);
        return;
    }
    api_alert_rule_store(call, id, 200);
}

void api_alert_rules_get(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_alerts_call *alerts = api_alerts_call_new(call, 200);
    static char sql[1200];

    if (!alerts)
        return;
    if (!sql[0])
        snprintf(sql, sizeof sql,
                 "SELECT json_build_object('rules', coalesce(json_agg(%s ORDER BY r.created_at,"
                 " r.id), '[]'::json))::text FROM alert_rules r WHERE r.tenant_id = $1",
                 api_alerts_rule_json);
    statement.sql = sql;
    statement.param_count = 1;
    statement.params[0] = call->tenant->id_text;
    api_alerts_submit(alerts, &statement, 1);
}

void api_alert_rule_delete(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_alerts_call *alerts;
    const char *suffix;
    char *id = api_alerts_item(call, "/v1/alert-rules/", &suffix);

    if (!id || suffix[0]) {
        free(id);
        http_reply_error(call, 404, "not_found", "no such rule", NULL);
        return;
    }
    if (!(alerts = api_alerts_call_new(call, 200))) {
        free(id);
        return;
    }
    alerts->strings[0] = id;
    statement.sql = "WITH gone AS (DELETE FROM alert_rules WHERE tenant_id = $1 AND id = $2"
                    " RETURNING id) SELECT json_build_object('deleted', id)::text FROM gone";
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = alerts->strings[0];
    api_alerts_submit(alerts, &statement, 1);
}

/* GET /v1/alerts: every rule with its state and the figure it was last judged on. */
void api_alerts_get(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_alerts_call *alerts = api_alerts_call_new(call, 200);

    if (!alerts)
        return;
    statement.sql =
        "SELECT json_build_object('alerts', coalesce(json_agg(json_build_object("
        " 'rule', r.id, 'name', r.definition->>'name', 'scope', r.scope,"
        " 'channel', r.definition->>'channel',"
        " 'kpi', coalesce(r.definition->>'kpi', 'no_data'),"
        " 'window', CASE WHEN r.no_data_minutes IS NULL"
        "  THEN coalesce(r.definition->>'window', 'today') END,"
        " 'enabled', r.enabled, 'state', coalesce(s.state, 'ok'),"
        " 'since', ccm_utc_text(s.since), 'value', s.value, 'threshold', s.threshold,"
        " 'sample', s.sample, 'open', s.open,"
        " 'last_notified_at', ccm_utc_text(s.last_notified_at),"
        " 'last_resolved_at', ccm_utc_text(s.last_resolved_at),"
        " 'evaluated_at', ccm_utc_text(s.evaluated_at)) ORDER BY r.created_at, r.id),"
        " '[]'::json))::text"
        " FROM alert_rules r LEFT JOIN alert_state s ON s.rule_id = r.id WHERE r.tenant_id = $1";
    statement.param_count = 1;
    statement.params[0] = call->tenant->id_text;
    api_alerts_submit(alerts, &statement, 1);
}
