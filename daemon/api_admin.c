/*
 * api_admin: configuration endpoints (GET /v1/queues, PUT/GET /v1/queues/NAME, PUT/GET
 * /v1/targets) and health (/healthz, /readyz). Settings and targets are
 * versioned by effective date (KPI definitions, "Targets"); a settings change
 * rebuilds the affected interval aggregates in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "api.h"
#include "calendar.h"
#include "db.h"
#include "event.h"
#include "http.h"
#include "kpi.h"
#include "scope.h"
#include "server.h"
#include "tenant.h"

/* Owns the parameter strings of one admin statement until its answer. */
struct api_admin_call {
    struct http_call *call;
    char texts[8][160];
    char scope_text[SCOPE_TEXT_MAX];
    char *queue;
    json_t *echo; /* the stored version, echoed back */
};

/* The NAME of /v1/queues/NAME: one percent-decoded path segment (so a queue
 * named "a/b" is addressed as /v1/queues/a%2Fb). NULL when invalid. */
static char *api_admin_queue_name(struct http_call *call)
{
    const char *segment = call->raw_path + strlen("/v1/queues/");
    char scope_text[SCOPE_TEXT_MAX + 8];
    struct scope check;
    char *name;

    if (strncmp(call->raw_path, "/v1/queues/", strlen("/v1/queues/")) != 0 || !*segment ||
        strchr(segment, '/'))
        return NULL;
    name = evhttp_uridecode(segment, 0, NULL);
    if (!name)
        return NULL;
    snprintf(scope_text, sizeof scope_text, "queue:%s", name);
    if (strlen(name) > SCOPE_NAME_MAX * 4 || scope_parse(scope_text, &check, NULL)) {
        free(name);
        return NULL;
    }
    return name;
}

static void api_admin_call_free(struct api_admin_call *admin)
{
    json_decref(admin->echo);
    free(admin->queue);
    free(admin);
}

static void api_admin_on_stored(const struct db_result *result, void *user_data)
{
    struct api_admin_call *admin = user_data;
    if (!result->ok) {
        http_reply_db_failure(admin->call, result, "storage_failed",
                              "the change could not be stored");
    } else {
        http_reply_json(admin->call, 200, json_incref(admin->echo));
    }
    api_admin_call_free(admin);
}

/* An effective_from: absent/null -> "-infinity"; else YYYY-MM-DD. */
static int api_admin_effective_from(json_t *body, char out[16], struct ccm_error *error)
{
    json_t *value = json_object_get(body, "effective_from");
    int32_t day;
    if (!value || json_is_null(value)) {
        snprintf(out, 16, "-infinity");
        return 0;
    }
    if (!json_is_string(value) ||
        calendar_parse_date(json_string_value(value), json_string_length(value), &day, error))
        return ccm_error_set(error, "effective_from must be a date YYYY-MM-DD");
    calendar_format_date(day, out);
    return 0;
}

static bool api_admin_only_keys(json_t *body, const char *const *allowed, char *unknown,
                                size_t unknown_size)
{
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        bool ok = false;
        (void)value;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(*a, key) == 0;
        if (!ok) {
            snprintf(unknown, unknown_size, "%s", key);
            return false;
        }
    }
    return true;
}

static int api_admin_optional_int(json_t *body, const char *key, long minimum, long maximum,
                                  char out[160], const char **param, struct ccm_error *error)
{
    json_t *value = json_object_get(body, key);
    *param = NULL;
    if (!value || json_is_null(value))
        return 0;
    if (!json_is_integer(value) || json_integer_value(value) < minimum ||
        json_integer_value(value) > maximum)
        return ccm_error_set(error, "%s must be a whole number from %ld to %ld", key, minimum,
                             maximum);
    snprintf(out, 160, "%lld", (long long)json_integer_value(value));
    *param = out;
    return 0;
}

void api_queue_put(struct http_call *call)
{
    static const char *const allowed[] = {
        "service",        "sl_threshold_s", "sl_formula", "short_abandon_s", "repeat_window_days",
        "effective_from", "channel",        NULL};
    char *name = api_admin_queue_name(call);
    struct api_admin_call *admin;
    struct db_statement statement = {0};
    struct ccm_error error;
    json_t *body, *service, *formula;
    char unknown[80], message[CCM_ERROR_MESSAGE_MAX + 64];

    if (!name) {
        http_reply_error(call, 400, "bad_queue",
                         "the queue name must be 1-128 characters without control characters "
                         "(percent-encode '/' as %2F)",
                         NULL);
        return;
    }
    body = http_body_json_object(call);
    if (!body) {
        free(name);
        return;
    }
    admin = calloc(1, sizeof *admin);
    if (!admin) {
        free(name);
        json_decref(body);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    admin->queue = name;
    admin->call = call;
    statement.sql = "SELECT ccm_queue_settings_put($1::bigint, $2, $3::date, $4, $5::integer, $6,"
                    " $7::integer, $8::integer)";
    statement.param_count = 8;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = admin->queue;
    if (!api_admin_only_keys(body, allowed, unknown, sizeof unknown)) {
        snprintf(message, sizeof message,
                 "unknown key \"%s\" (known: service, sl_threshold_s, sl_formula, "
                 "short_abandon_s, repeat_window_days, effective_from, channel)",
                 unknown);
        goto invalid_message;
    }
    if (api_admin_effective_from(body, admin->texts[0], &error))
        goto invalid;
    statement.params[2] = admin->texts[0];
    service = json_object_get(body, "service");
    if (service && !json_is_null(service)) {
        if (!json_is_string(service) || json_string_length(service) > 128 ||
            strlen(json_string_value(service)) != json_string_length(service)) {
            ccm_error_set(&error, "service must be a string of at most 128 characters (\"\" "
                                  "takes the queue out of its service)");
            goto invalid;
        }
        snprintf(admin->texts[1], sizeof admin->texts[1], "%s", json_string_value(service));
        statement.params[3] = admin->texts[1];
    }
    if (api_admin_optional_int(body, "sl_threshold_s", 0, 7 * 86400, admin->texts[2],
                               &statement.params[4], &error))
        goto invalid;
    formula = json_object_get(body, "sl_formula");
    if (formula && !json_is_null(formula)) {
        const char *f = json_is_string(formula) ? json_string_value(formula) : "";
        if (strcmp(f, "abandons_count") && strcmp(f, "abandons_ignored") &&
            strcmp(f, "answered_only") && strcmp(f, "abandons_positive")) {
            ccm_error_set(&error, "sl_formula must be abandons_count, abandons_ignored, "
                                  "answered_only or abandons_positive");
            goto invalid;
        }
        snprintf(admin->texts[3], sizeof admin->texts[3], "%s", f);
        statement.params[5] = admin->texts[3];
    }
    if (api_admin_optional_int(body, "short_abandon_s", 0, 86400, admin->texts[4],
                               &statement.params[6], &error))
        goto invalid;
    if (api_admin_optional_int(body, "repeat_window_days", 1, 90, admin->texts[5],
                               &statement.params[7], &error))
        goto invalid;
    json_t *channel = json_object_get(body, "channel");
    if (channel && !json_is_null(channel)) {
        /* One channel's version: the judging settings only (a service groups queues, and
         * the repeat window is about callers, whatever channel they use). */
        int number =
            json_is_string(channel) ? event_channel_from_name(json_string_value(channel)) : -1;
        if (number < 0) {
            ccm_error_set(&error, "channel must be " EVENT_CHANNEL_CHOICES);
            goto invalid;
        }
        if (statement.params[3] || statement.params[7]) {
            ccm_error_set(&error, "service and repeat_window_days are settings of the whole "
                                  "queue: give them without channel");
            goto invalid;
        }
        snprintf(admin->texts[6], sizeof admin->texts[6], "%d", number);
        statement.sql = "SELECT ccm_queue_channel_settings_put($1::bigint, $2, $3::smallint,"
                        " $4::date, $5::integer, $6, $7::integer)";
        statement.param_count = 7;
        /* $3 channel and $4 date where the queue's $3 date and $4 service were; $5 threshold,
         * $6 formula and $7 short abandon stay where they are */
        statement.params[2] = admin->texts[6];
        statement.params[3] = admin->texts[0];
    }

    admin->echo = json_deep_copy(body);
    json_object_set_new(admin->echo, "queue", json_string(admin->queue));
    if (strcmp(admin->texts[0], "-infinity") == 0)
        json_object_set_new(admin->echo, "effective_from", json_null());
    json_decref(body);
    if (db_pool_submit(call->server->readers, &statement, 1, api_admin_on_stored, admin)) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_admin_call_free(admin);
    }
    return;

invalid:
    snprintf(message, sizeof message, "%s", error.message);
invalid_message:
    json_decref(body);
    api_admin_call_free(admin);
    http_reply_error(call, 422, "invalid_settings", message, NULL);
}

static void api_admin_on_queue(const struct db_result *result, void *user_data)
{
    struct api_admin_call *admin = user_data;
    json_t *versions;
    PGresult *rows;

    if (!result->ok) {
        http_reply_db_failure(admin->call, result, "query_failed",
                              "the settings could not be read");
        api_admin_call_free(admin);
        return;
    }
    rows = result->results[0];
    versions = json_array();
    for (int r = 0; r < PQntuples(rows); r++) {
        json_t *version = json_object();
        json_object_set_new(version, "effective_from",
                            PQgetisnull(rows, r, 0) ? json_null()
                                                    : json_string(PQgetvalue(rows, r, 0)));
        json_object_set_new(version, "service",
                            PQgetisnull(rows, r, 1) ? json_null()
                                                    : json_string(PQgetvalue(rows, r, 1)));
        json_object_set_new(version, "sl_threshold_s",
                            json_integer(strtoll(PQgetvalue(rows, r, 2), NULL, 10)));
        json_object_set_new(version, "sl_formula", json_string(PQgetvalue(rows, r, 3)));
        json_object_set_new(version, "short_abandon_s",
                            json_integer(strtoll(PQgetvalue(rows, r, 4), NULL, 10)));
        json_object_set_new(version, "repeat_window_days",
                            json_integer(strtoll(PQgetvalue(rows, r, 5), NULL, 10)));
        json_array_append_new(versions, version);
    }
    json_t *channels = json_object();
    rows = result->results[1];
    for (int r = 0; r < PQntuples(rows); r++) {
        const char *channel =
            event_channel_name((enum event_channel)strtol(PQgetvalue(rows, r, 0), NULL, 10));
        json_t *list = json_object_get(channels, channel);
        if (!list)
            json_object_set_new(channels, channel, list = json_array());
        json_t *version = json_object();
        json_object_set_new(version, "effective_from",
                            PQgetisnull(rows, r, 1) ? json_null()
                                                    : json_string(PQgetvalue(rows, r, 1)));
        /* null: the channel has not set it, so the queue's value applies */
        json_object_set_new(version, "sl_threshold_s",
                            PQgetisnull(rows, r, 2)
                                ? json_null()
                                : json_integer(strtoll(PQgetvalue(rows, r, 2), NULL, 10)));
        json_object_set_new(version, "sl_formula",
                            PQgetisnull(rows, r, 3) ? json_null()
                                                    : json_string(PQgetvalue(rows, r, 3)));
        json_object_set_new(version, "short_abandon_s",
                            PQgetisnull(rows, r, 4)
                                ? json_null()
                                : json_integer(strtoll(PQgetvalue(rows, r, 4), NULL, 10)));
        json_array_append_new(list, version);
    }
    http_reply_json(admin->call, 200,
                    json_pack("{s:s, s:o, s:o}", "queue", admin->queue, "versions", versions,
                              "channels", channels));
    api_admin_call_free(admin);
}

void api_queue_get(struct http_call *call)
{
    struct api_admin_call *admin = calloc(1, sizeof *admin);
    struct db_statement statement = {0};

    if (!admin) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    if (!(admin->queue = api_admin_queue_name(call))) {
        free(admin);
        http_reply_error(call, 400, "bad_queue",
                         "the queue name must be 1-128 characters without control characters "
                         "(percent-encode '/' as %2F)",
                         NULL);
        return;
    }
    admin->call = call;
    statement.sql =
        "SELECT CASE WHEN valid_from = '-infinity' THEN NULL ELSE valid_from::text END,"
        " nullif(service, ''), sl_threshold_s, sl_formula, short_abandon_s,"
        " repeat_window_days FROM queue_settings_resolved r WHERE tenant_id = $1 AND queue = $2"
        " ORDER BY r.valid_from"; /* the date, not the text column named after it */
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = admin->queue;
    struct db_statement statements[2] = {statement, statement};
    /* Each channel's versions, its keys carried forward; null: the queue's value. */
    statements[1].sql =
        "SELECT channel, CASE WHEN valid_from = '-infinity' THEN NULL ELSE valid_from::text END,"
        " sl_threshold_s, sl_formula, short_abandon_s FROM queue_channel_settings_resolved r"
        " WHERE tenant_id = $1 AND queue = $2 ORDER BY r.channel, r.valid_from";
    if (db_pool_submit(call->server->readers, statements, 2, api_admin_on_queue, admin)) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_admin_call_free(admin);
    }
}

static void api_admin_on_queue_list(const struct db_result *result, void *user_data)
{
    struct http_call *call = user_data;
    json_t *queues, *services;
    PGresult *rows;

    if (!result->ok) {
        http_reply_db_failure(call, result, "query_failed", "the queues could not be read");
        return;
    }
    queues = json_array();
    rows = result->results[0];
    for (int r = 0; r < PQntuples(rows); r++)
        json_array_append_new(
            queues,
            json_pack("{s:s, s:o}", "name", PQgetvalue(rows, r, 0), "service",
                      PQgetisnull(rows, r, 1) ? json_null() : json_string(PQgetvalue(rows, r, 1))));
    services = json_array();
    rows = result->results[1];
    for (int r = 0; r < PQntuples(rows); r++)
        json_array_append_new(services, json_string(PQgetvalue(rows, r, 0)));
    http_reply_json(call, 200, json_pack("{s:o, s:o}", "queues", queues, "services", services));
}

/* GET /v1/queues: the tenant's queues (configured or with contacts) and each one's
 * service today, and every service that has or had a queue: what a page offers as
 * scopes. Names come from loose index scans of the interval aggregates (one probe
 * per distinct name), so the answer costs the same at 10 million contacts as at 10. */
void api_queue_list(struct http_call *call)
{
    struct db_statement statements[2] = {{0}};

    statements[0].sql =
        "WITH RECURSIVE seen(queue) AS ("
        " (SELECT queue FROM contact_intervals WHERE tenant_id = $1 ORDER BY queue LIMIT 1)"
        " UNION ALL SELECT (SELECT i.queue FROM contact_intervals i WHERE i.tenant_id = $1"
        "  AND i.queue > seen.queue ORDER BY i.queue LIMIT 1) FROM seen WHERE seen.queue IS NOT "
        "NULL),"
        " names AS (SELECT queue FROM seen WHERE queue IS NOT NULL"
        "  UNION SELECT queue FROM queue_settings WHERE tenant_id = $1)"
        " SELECT n.queue, nullif(r.service, '') FROM names n"
        " LEFT JOIN queue_settings_resolved r ON r.tenant_id = $1 AND r.queue = n.queue"
        "  AND r.valid_from <= (SELECT (now() AT TIME ZONE time_zone)::date FROM tenants"
        "   WHERE id = $1)"
        "  AND (SELECT (now() AT TIME ZONE time_zone)::date FROM tenants WHERE id = $1)"
        "   < r.valid_to"
        " ORDER BY n.queue";
    statements[1].sql =
        "WITH RECURSIVE seen(service) AS ("
        " (SELECT service FROM contact_intervals WHERE tenant_id = $1 AND service IS NOT NULL"
        "  ORDER BY service LIMIT 1)"
        " UNION ALL SELECT (SELECT i.service FROM contact_intervals i WHERE i.tenant_id = $1"
        "  AND i.service IS NOT NULL AND i.service > seen.service ORDER BY i.service LIMIT 1)"
        "  FROM seen WHERE seen.service IS NOT NULL)"
        " SELECT service FROM seen WHERE service <> ''"
        " UNION SELECT service FROM queue_settings_resolved WHERE tenant_id = $1 AND service <> ''"
        " ORDER BY 1";
    for (int i = 0; i < 2; i++) {
        statements[i].param_count = 1;
        statements[i].params[0] = call->tenant->id_text;
    }
    if (db_pool_submit(call->server->readers, statements, 2, api_admin_on_queue_list, call))
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
}

/* The members' enquiry figures that have a better direction, so a target (KPI
 * definitions; docs/enquiries.md): stored like the others, with the scope tenant or
 * unit:NAME. */
static bool api_admin_is_enquiry_kpi(const char *name)
{
    return strcmp(name, "closed_in_time_pct") == 0 || strcmp(name, "responded_in_time_pct") == 0;
}

void api_targets_put(struct http_call *call)
{
    static const char *const allowed[] = {"scope",          "kpi",     "value", "amber",
                                          "effective_from", "channel", NULL};
    struct api_admin_call *admin;
    struct db_statement statement = {0};
    struct ccm_error error;
    struct scope scope;
    json_t *body, *kpi, *value, *amber;
    char unknown[80], message[CCM_ERROR_MESSAGE_MAX + 64];
    int key;

    body = http_body_json_object(call);
    if (!body)
        return;
    admin = calloc(1, sizeof *admin);
    if (!admin) {
        json_decref(body);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    admin->call = call;
    if (!api_admin_only_keys(body, allowed, unknown, sizeof unknown)) {
        ccm_error_set(&error,
                      "unknown key \"%s\" (known: scope, kpi, value, amber, "
                      "effective_from, channel)",
                      unknown);
        goto invalid;
    }
    json_t *scope_json = json_object_get(body, "scope");
    kpi = json_object_get(body, "kpi");
    const char *kpi_text = json_is_string(kpi) ? json_string_value(kpi) : "";
    bool enquiry_kpi = api_admin_is_enquiry_kpi(kpi_text);
    if (json_is_string(scope_json) && strncmp(json_string_value(scope_json), "unit:", 5) == 0) {
        /* a delivery unit of members' enquiries (docs/enquiries.md) */
        const char *unit = json_string_value(scope_json) + 5;
        if (!*unit || strlen(unit) > 128 || strlen(unit) + 5 != json_string_length(scope_json) ||
            !enquiry_kpi) {
            ccm_error_set(&error, "a unit:NAME scope (a delivery unit of 1-128 bytes) takes the "
                                  "members' enquiry KPIs only");
            goto invalid;
        }
        snprintf(admin->scope_text, sizeof admin->scope_text, "%s", json_string_value(scope_json));
    } else {
        if (!json_is_string(scope_json) ||
            scope_parse(json_string_value(scope_json), &scope, &error)) {
            if (!json_is_string(scope_json))
                ccm_error_set(&error,
                              "scope is required: tenant, queue:NAME, service:NAME or unit:NAME");
            goto invalid;
        }
        scope_format(&scope, admin->scope_text, sizeof admin->scope_text);
        if (enquiry_kpi && scope.kind != SCOPE_TENANT) {
            ccm_error_set(&error, "members' enquiry KPIs have the scope tenant or unit:NAME");
            goto invalid;
        }
    }
    key = enquiry_kpi ? -1 : kpi_from_name(kpi_text);
    if (key < 0 && !enquiry_kpi) {
        ccm_error_set(&error, "kpi must be one of the KPI keys (e.g. answered_pct, asa_s, "
                              "abandoned_pct, service_level_pct, fcr_pct, aht_s, "
                              "satisfaction_net_pct, volume_change_pct, responded_in_time_pct)");
        goto invalid;
    }
    json_t *channel = json_object_get(body, "channel");
    admin->texts[4][0] = '\0';
    if (channel && !json_is_null(channel)) {
        if (!json_is_string(channel) || event_channel_from_name(json_string_value(channel)) < 0 ||
            enquiry_kpi) {
            ccm_error_set(&error, "channel must be " EVENT_CHANNEL_CHOICES
                                  " (and members' enquiry KPIs have none)");
            goto invalid;
        }
        snprintf(admin->texts[4], sizeof admin->texts[4], "%s", json_string_value(channel));
    }
    value = json_object_get(body, "value");
    if (!json_is_number(value)) {
        ccm_error_set(&error, "value is required and must be a number");
        goto invalid;
    }
    amber = json_object_get(body, "amber");
    if (amber && !json_is_null(amber) && (!json_is_number(amber) || json_number_value(amber) < 0)) {
        ccm_error_set(&error, "amber must be a number >= 0 (the tolerance of an amber status)");
        goto invalid;
    }
    if (api_admin_effective_from(body, admin->texts[0], &error))
        goto invalid;
    snprintf(admin->texts[1], sizeof admin->texts[1], "%s",
             enquiry_kpi ? kpi_text : kpi_name((enum kpi_key)key));
    snprintf(admin->texts[2], sizeof admin->texts[2], "%.17g", json_number_value(value));
    statement.sql =
        "INSERT INTO targets (tenant_id, scope, kpi, effective_from, value, amber, channel)"
        " VALUES ($1, $2, $3, $4::date, $5::double precision, $6::double precision, $7)"
        " ON CONFLICT (tenant_id, scope, kpi, channel, effective_from) DO UPDATE SET"
        " value = excluded.value, amber = excluded.amber, updated_at = now()";
    statement.param_count = 7;
    statement.params[6] = admin->texts[4];
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = admin->scope_text;
    statement.params[2] = admin->texts[1];
    statement.params[3] = admin->texts[0];
    statement.params[4] = admin->texts[2];
    if (amber && !json_is_null(amber)) {
        snprintf(admin->texts[3], sizeof admin->texts[3], "%.17g", json_number_value(amber));
        statement.params[5] = admin->texts[3];
    }
    admin->echo = json_deep_copy(body);
    json_object_set_new(admin->echo, "scope", json_string(admin->scope_text));
    if (strcmp(admin->texts[0], "-infinity") == 0)
        json_object_set_new(admin->echo, "effective_from", json_null());
    json_decref(body);
    if (db_pool_submit(call->server->readers, &statement, 1, api_admin_on_stored, admin)) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_admin_call_free(admin);
    }
    return;

invalid:
    snprintf(message, sizeof message, "%s", error.message);
    json_decref(body);
    api_admin_call_free(admin);
    http_reply_error(call, 422, "invalid_target", message, NULL);
}

static void api_admin_on_targets(const struct db_result *result, void *user_data)
{
    struct api_admin_call *admin = user_data;
    json_t *targets;
    PGresult *rows;

    if (!result->ok) {
        http_reply_db_failure(admin->call, result, "query_failed", "the targets could not be read");
        api_admin_call_free(admin);
        return;
    }
    rows = result->results[0];
    targets = json_array();
    for (int r = 0; r < PQntuples(rows); r++) {
        json_t *target =
            json_pack("{s:s, s:s, s:f}", "scope", PQgetvalue(rows, r, 0), "kpi",
                      PQgetvalue(rows, r, 1), "value", strtod(PQgetvalue(rows, r, 3), NULL));
        json_object_set_new(target, "effective_from",
                            PQgetisnull(rows, r, 2) ? json_null()
                                                    : json_string(PQgetvalue(rows, r, 2)));
        json_object_set_new(target, "amber",
                            PQgetisnull(rows, r, 4)
                                ? json_null()
                                : json_real(strtod(PQgetvalue(rows, r, 4), NULL)));
        if (*PQgetvalue(rows, r, 5))
            json_object_set_new(target, "channel", json_string(PQgetvalue(rows, r, 5)));
        json_array_append_new(targets, target);
    }
    http_reply_json(admin->call, 200, json_pack("{s:o}", "targets", targets));
    api_admin_call_free(admin);
}

void api_targets_get(struct http_call *call)
{
    struct api_admin_call *admin = calloc(1, sizeof *admin);
    struct db_statement statement = {0};
    const char *scope_text = http_query(call, "scope");
    struct scope scope;
    struct ccm_error error;

    if (!admin) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    admin->call = call;
    if (scope_text && strncmp(scope_text, "unit:", 5) == 0 && scope_text[5] &&
        strlen(scope_text) < sizeof admin->scope_text) {
        snprintf(admin->scope_text, sizeof admin->scope_text, "%s", scope_text);
    } else if (scope_text) {
        if (scope_parse(scope_text, &scope, &error)) {
            free(admin);
            http_reply_error(call, 400, "bad_scope", error.message, NULL);
            return;
        }
        scope_format(&scope, admin->scope_text, sizeof admin->scope_text);
    }
    statement.sql = "SELECT scope, kpi, CASE WHEN effective_from = '-infinity' THEN NULL"
                    " ELSE effective_from::text END, value, amber, channel FROM targets t"
                    " WHERE tenant_id = $1 AND ($2::text IS NULL OR scope = $2)"
                    " ORDER BY t.scope, t.channel, t.kpi, t.effective_from";
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = scope_text ? admin->scope_text : NULL;
    if (db_pool_submit(call->server->readers, &statement, 1, api_admin_on_targets, admin)) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_admin_call_free(admin);
    }
}

void api_healthz(struct http_call *call)
{
    http_reply_json(call, 200, json_pack("{s:s}", "status", "ok"));
}

static void api_on_ready(const struct db_result *result, void *user_data)
{
    struct http_call *call = user_data;
    if (result->ok)
        http_reply_json(call, 200, json_pack("{s:s}", "status", "ready"));
    else
        http_reply_error(call, 503, "database_unavailable", "the database is not reachable", NULL);
}

void api_readyz(struct http_call *call)
{
    struct db_statement statement = {.sql = "SELECT 1", .param_count = 0};
    if (!db_pool_is_ready(call->server->writer)) {
        http_reply_error(call, 503, "database_unavailable",
                         "the ingest connection to the database is down", NULL);
        return;
    }
    if (db_pool_submit(call->server->readers, &statement, 1, api_on_ready, call))
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
}

/* PUT /v1/settings {"baseline_fy": 2024}: the tenant's settings (so far the baseline
 * financial year of channel shift, volume_change_pct; null removes it). */
void api_settings_put(struct http_call *call)
{
    static const char *const allowed[] = {"baseline_fy", NULL};
    struct api_admin_call *admin;
    struct db_statement statement = {0};
    json_t *body = http_body_json_object(call), *baseline;
    char unknown[80], message[160];

    if (!body)
        return;
    if (!api_admin_only_keys(body, allowed, unknown, sizeof unknown)) {
        snprintf(message, sizeof message, "unknown key \"%s\" (known: baseline_fy)", unknown);
        json_decref(body);
        http_reply_error(call, 422, "invalid_settings", message, NULL);
        return;
    }
    baseline = json_object_get(body, "baseline_fy");
    if (!baseline || (!json_is_null(baseline) &&
                      (!json_is_integer(baseline) || json_integer_value(baseline) < 1900 ||
                       json_integer_value(baseline) > 2200))) {
        json_decref(body);
        http_reply_error(call, 422, "invalid_settings",
                         "baseline_fy must be the year a financial year starts in (e.g. 2024 for "
                         "2024-25), or null for none",
                         NULL);
        return;
    }
    admin = calloc(1, sizeof *admin);
    if (!admin) {
        json_decref(body);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    admin->call = call;
    admin->echo = body;
    statement.sql = "UPDATE tenants SET baseline_fy = $2::integer WHERE id = $1";
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    if (!json_is_null(baseline)) {
        snprintf(admin->texts[0], sizeof admin->texts[0], "%lld",
                 (long long)json_integer_value(baseline));
        statement.params[1] = admin->texts[0];
    }
    if (db_pool_submit(call->server->readers, &statement, 1, api_admin_on_stored, admin)) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_admin_call_free(admin);
    }
}

static void api_admin_on_settings(const struct db_result *result, void *user_data)
{
    struct http_call *call = user_data;
    if (!result->ok || PQntuples(result->results[0]) != 1) {
        http_reply_db_failure(call, result, "query_failed", "the settings could not be read");
        return;
    }
    PGresult *row = result->results[0];
    http_reply_json(
        call, 200,
        json_pack("{s:s, s:i, s:o, s:i}", "time_zone", PQgetvalue(row, 0, 0), "fy_start_month",
                  atoi(PQgetvalue(row, 0, 1)), "baseline_fy",
                  PQgetisnull(row, 0, 2) ? json_null() : json_integer(atoi(PQgetvalue(row, 0, 2))),
                  "due_working_days", atoi(PQgetvalue(row, 0, 3))));
}

/* GET /v1/settings: the tenant's time zone, financial year start, baseline year and
 * the working days to a members' enquiry's due date (PUT /v1/enquiries/settings). */
void api_settings_get(struct http_call *call)
{
    struct db_statement statement = {0};
    statement.sql = "SELECT time_zone, fy_start_month, baseline_fy, coalesce((SELECT"
                    " due_working_days FROM enquiry_settings WHERE tenant_id = $1), 5)"
                    " FROM tenants WHERE id = $1";
    statement.param_count = 1;
    statement.params[0] = call->tenant->id_text;
    if (db_pool_submit(call->server->readers, &statement, 1, api_admin_on_settings, call))
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
}
