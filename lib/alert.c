/*
 * alert: alert rules and their state machine (see alert.h).
 */
#include "alert.h"

#include "event.h"

#include <math.h>
#include <string.h>

#include "utf8.h"

static const char *const alert_window_names[ALERT_WINDOW_COUNT] = {
    [ALERT_WINDOW_TODAY] = "today",
    [ALERT_WINDOW_ROLLING_1H] = "rolling-1h",
    [ALERT_WINDOW_ROLLING_15M] = "rolling-15m",
    [ALERT_WINDOW_MTD] = "mtd",
};

const char *alert_window_name(enum alert_window window)
{
    return window < ALERT_WINDOW_COUNT ? alert_window_names[window] : "?";
}

int alert_window_from_name(const char *name)
{
    for (int i = 0; i < ALERT_WINDOW_COUNT; i++)
        if (strcmp(name, alert_window_names[i]) == 0)
            return i;
    return -1;
}

bool alert_kpi_is_alertable(enum kpi_key key)
{
    /* The rates and averages of contacts: not the repeat figure (final only days later),
     * nor the survey and channel-shift figures (the evaluator reads contact aggregates). */
    switch (key) {
    case KPI_ANSWERED_PCT:
    case KPI_ABANDONED_PCT:
    case KPI_ASA_S:
    case KPI_SERVICE_LEVEL_PCT:
    case KPI_AHT_S:
    case KPI_FCR_PCT:
    case KPI_LONGEST_WAIT_S:
        return true;
    default:
        return false;
    }
}

/* An integer member in [min, max], or the default when absent. */
static int alert_rule_integer(const json_t *body, const char *key, int64_t min, int64_t max,
                              int64_t fallback, int64_t *out, struct ccm_error *error)
{
    const json_t *value = json_object_get(body, key);
    if (!value || json_is_null(value)) {
        *out = fallback;
        return 0;
    }
    if (!json_is_integer(value) || json_integer_value(value) < min ||
        json_integer_value(value) > max)
        return ccm_error_set(error, "%s must be a whole number from %lld to %lld", key,
                             (long long)min, (long long)max);
    *out = json_integer_value(value);
    return 0;
}

static int alert_rule_endpoints(struct alert_rule *rule, const json_t *list,
                                struct ccm_error *error)
{
    size_t index;
    const json_t *id;

    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list) || json_array_size(list) > ALERT_ENDPOINTS_MAX)
        return ccm_error_set(error, "endpoints must be an array of at most %d endpoint ids",
                             ALERT_ENDPOINTS_MAX);
    json_array_foreach(list, index, id)
    {
        const char *text = json_string_value(id);
        if (!text || !*text || strlen(text) >= sizeof rule->endpoints[0])
            return ccm_error_set(error, "endpoints[%zu] must be an endpoint id (a string)", index);
        for (size_t j = 0; j < rule->endpoint_count; j++)
            if (strcmp(rule->endpoints[j], text) == 0)
                return ccm_error_set(error, "endpoints[%zu]: \"%s\" is listed twice", index, text);
        strcpy(rule->endpoints[rule->endpoint_count++], text);
    }
    return 0;
}

int alert_rule_parse(struct alert_rule *rule, const json_t *body, struct ccm_error *error)
{
    static const char *const known[] = {
        "name",           "scope",      "kpi",      "window",        "threshold",       "for_s",
        "recover_margin", "min_sample", "repeat_s", "opening_hours", "no_data_minutes", "endpoints",
        "enabled",        "channel",    NULL};
    struct alert_rule parsed;
    const char *key;
    const json_t *value, *kpi, *window, *name, *threshold, *margin, *enabled;
    int index;

    if (!json_is_object(body))
        return ccm_error_set(error, "the body must be a JSON object");
    json_object_foreach((json_t *)body, key, value)
    {
        bool found = false;
        for (int i = 0; known[i]; i++)
            found = found || strcmp(key, known[i]) == 0;
        if (!found)
            return ccm_error_set(error,
                                 "unknown key \"%.40s\" (known: name, scope, kpi, window, "
                                 "threshold, for_s, recover_margin, min_sample, repeat_s, "
                                 "opening_hours, no_data_minutes, endpoints, enabled, channel)",
                                 key);
    }
    memset(&parsed, 0, sizeof parsed);
    opening_hours_init(&parsed.hours);
    parsed.enabled = true;

    name = json_object_get(body, "name");
    if (name && !json_is_null(name)) {
        const char *text = json_string_value(name);
        /* jansson has checked the UTF-8 */
        if (!text || utf8_count_chars(text, strlen(text)) > ALERT_NAME_MAX ||
            strlen(text) >= sizeof parsed.name || utf8_first_control(text, strlen(text)) >= 0)
            return ccm_error_set(error,
                                 "name must be text of at most %d characters, without control "
                                 "characters",
                                 ALERT_NAME_MAX);
        strcpy(parsed.name, text);
    }
    if (!json_is_string(json_object_get(body, "scope")))
        return ccm_error_set(error, "scope is required: tenant, queue:NAME or service:NAME");
    if (scope_parse(json_string_value(json_object_get(body, "scope")), &parsed.scope, error))
        return -1;
    parsed.channel = -1;
    value = json_object_get(body, "channel");
    if (value && !json_is_null(value) &&
        (!json_is_string(value) ||
         (parsed.channel = event_channel_from_name(json_string_value(value))) < 0))
        return ccm_error_set(error, "channel must be " EVENT_CHANNEL_CHOICES
                                    " (or absent: every channel)");

    kpi = json_object_get(body, "kpi");
    if (json_object_get(body, "no_data_minutes")) {
        parsed.kind = ALERT_KIND_NO_DATA;
        if (kpi || json_object_get(body, "window") || json_object_get(body, "threshold") ||
            json_object_get(body, "min_sample") || json_object_get(body, "recover_margin"))
            return ccm_error_set(error, "a no-data rule (no_data_minutes) takes no kpi, window, "
                                        "threshold, min_sample or recover_margin");
        if (alert_rule_integer(body, "no_data_minutes", 1, 1440, 0, &parsed.no_data_minutes, error))
            return -1;
    } else {
        parsed.kind = ALERT_KIND_KPI;
        index = json_is_string(kpi) ? kpi_from_name(json_string_value(kpi)) : -1;
        if (index < 0 || !alert_kpi_is_alertable((enum kpi_key)index))
            return ccm_error_set(error,
                                 "kpi must be a rate or average: answered_pct, abandoned_pct, "
                                 "service_level_pct, asa_s, aht_s, fcr_pct or longest_wait_s "
                                 "(or give no_data_minutes for a no-data rule)");
        parsed.kpi = (enum kpi_key)index;
        window = json_object_get(body, "window");
        index = !window                  ? ALERT_WINDOW_TODAY
                : json_is_string(window) ? alert_window_from_name(json_string_value(window))
                                         : -1;
        if (index < 0)
            return ccm_error_set(error, "window must be today, rolling-1h, rolling-15m or mtd");
        parsed.window = (enum alert_window)index;
        threshold = json_object_get(body, "threshold");
        if (threshold && !json_is_null(threshold)) {
            if (!json_is_number(threshold) || !isfinite(json_number_value(threshold)))
                return ccm_error_set(error, "threshold must be a number (or omit it to use the "
                                            "target in force)");
            parsed.has_threshold = true;
            parsed.threshold = json_number_value(threshold);
        }
        margin = json_object_get(body, "recover_margin");
        if (margin && !json_is_null(margin)) {
            if (!json_is_number(margin) || !(json_number_value(margin) >= 0) ||
                !isfinite(json_number_value(margin)))
                return ccm_error_set(error, "recover_margin must be a number >= 0");
            parsed.recover_margin = json_number_value(margin);
        }
        if (alert_rule_integer(body, "min_sample", 0, 1000000000, 10, &parsed.min_sample, error))
            return -1;
    }
    if (alert_rule_integer(body, "for_s", 0, 86400, 0, &parsed.for_s, error) ||
        alert_rule_integer(body, "repeat_s", 0, 7 * 86400, 0, &parsed.repeat_s, error))
        return -1;
    if (parsed.repeat_s > 0 && parsed.repeat_s < 60)
        return ccm_error_set(error, "repeat_s must be 0 (notify once) or at least 60");
    if (opening_hours_parse(&parsed.hours, json_object_get(body, "opening_hours"), error))
        return -1;
    if (alert_rule_endpoints(&parsed, json_object_get(body, "endpoints"), error))
        return -1;
    enabled = json_object_get(body, "enabled");
    if (enabled && !json_is_boolean(enabled))
        return ccm_error_set(error, "enabled must be true or false");
    parsed.enabled = !enabled || json_is_true(enabled);
    *rule = parsed;
    return 0;
}

enum kpi_direction alert_direction(const struct alert_rule *rule)
{
    return rule->kind == ALERT_KIND_NO_DATA ? KPI_LOWER_IS_BETTER : kpi_direction_of(rule->kpi);
}

static bool alert_breached(enum kpi_direction direction, const struct alert_observation *seen)
{
    return direction == KPI_HIGHER_IS_BETTER ? seen->value < seen->threshold
                                             : seen->value > seen->threshold;
}

static bool alert_recovered(enum kpi_direction direction, double margin,
                            const struct alert_observation *seen)
{
    return direction == KPI_HIGHER_IS_BETTER ? seen->value >= seen->threshold + margin
                                             : seen->value <= seen->threshold - margin;
}

static void alert_enter(struct alert_state *state, enum alert_state_kind kind, int64_t now_us)
{
    state->kind = kind;
    state->since_us = now_us;
    if (kind != ALERT_FIRING)
        state->last_notified_us = 0;
}

enum alert_notice alert_step(const struct alert_rule *rule, struct alert_state *state,
                             const struct alert_observation *seen, int64_t now_us)
{
    enum kpi_direction direction = alert_direction(rule);
    bool judged = seen->open && seen->has_figure && seen->has_threshold;

    if (!judged) {
        /* Nothing to judge by: a breach did not hold; a firing rule neither
         * resolves on thin data nor repeats. */
        if (state->kind == ALERT_PENDING)
            alert_enter(state, ALERT_OK, now_us);
        return ALERT_NOTICE_NONE;
    }
    switch (state->kind) {
    case ALERT_OK:
    case ALERT_PENDING:
        if (!alert_breached(direction, seen)) {
            if (state->kind == ALERT_PENDING)
                alert_enter(state, ALERT_OK, now_us);
            return ALERT_NOTICE_NONE;
        }
        if (state->kind == ALERT_OK)
            alert_enter(state, ALERT_PENDING, now_us);
        if (now_us - state->since_us < rule->for_s * INT64_C(1000000))
            return ALERT_NOTICE_NONE;
        alert_enter(state, ALERT_FIRING, now_us);
        state->last_notified_us = now_us;
        return ALERT_NOTICE_FIRING;
    case ALERT_FIRING:
        if (alert_recovered(direction, rule->kind == ALERT_KIND_NO_DATA ? 0 : rule->recover_margin,
                            seen)) {
            alert_enter(state, ALERT_OK, now_us);
            return ALERT_NOTICE_RESOLVED;
        }
        if (rule->repeat_s > 0 &&
            now_us - state->last_notified_us >= rule->repeat_s * INT64_C(1000000)) {
            state->last_notified_us = now_us;
            return ALERT_NOTICE_REPEAT;
        }
        return ALERT_NOTICE_NONE;
    }
    return ALERT_NOTICE_NONE;
}

static const char *const alert_state_names[] = {"ok", "pending", "firing"};

const char *alert_state_name(enum alert_state_kind kind)
{
    return kind <= ALERT_FIRING ? alert_state_names[kind] : "?";
}

int alert_state_from_name(const char *name)
{
    for (int i = 0; i <= ALERT_FIRING; i++)
        if (strcmp(name, alert_state_names[i]) == 0)
            return i;
    return -1;
}

const char *alert_notice_type(enum alert_notice notice)
{
    switch (notice) {
    case ALERT_NOTICE_FIRING:
    case ALERT_NOTICE_REPEAT:
        return "alert.firing";
    case ALERT_NOTICE_RESOLVED:
        return "alert.resolved";
    default:
        return "";
    }
}
