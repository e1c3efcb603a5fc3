/*
 * alert_payload: notification bodies per endpoint format (see alert_payload.h).
 */
#include "alert_payload.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "calendar.h"

static const char *const alert_format_names[ALERT_FORMAT_COUNT] = {"generic", "slack", "teams"};

const char *alert_format_name(enum alert_format format)
{
    return format < ALERT_FORMAT_COUNT ? alert_format_names[format] : "?";
}

int alert_format_from_name(const char *name)
{
    for (int i = 0; i < ALERT_FORMAT_COUNT; i++)
        if (strcmp(name, alert_format_names[i]) == 0)
            return i;
    return -1;
}

/* A figure as people read it: percentages to one place, seconds and minutes whole. */
static void alert_payload_figure(const char *kpi, bool has, double value, char *out, size_t size)
{
    size_t length = strlen(kpi);
    if (!has)
        snprintf(out, size, "no figure");
    else if (length > 4 && strcmp(kpi + length - 4, "_pct") == 0)
        snprintf(out, size, "%.1f%%", kpi_round_half_away(value, 1));
    else if (length > 2 && strcmp(kpi + length - 2, "_s") == 0)
        snprintf(out, size, "%.0f s", kpi_round_half_away(value, 0));
    else if (strcmp(kpi, "no_data") == 0)
        snprintf(out, size, "%.0f min without contacts", kpi_round_half_away(value, 0));
    else
        snprintf(out, size, "%g", value);
}

/* The scope for people: "queue:bins", or "queue:bins (webchat)" for one channel. */
static void alert_payload_scope(const struct alert_notification *n, char *out, size_t size)
{
    if (n->channel && *n->channel)
        snprintf(out, size, "%s (%s)", n->scope, n->channel);
    else
        snprintf(out, size, "%s", n->scope);
}

/* One line for people: "FIRING: abandoned_pct 12.5% (target 10.0%) on queue:bins, today". */
static void alert_payload_headline(const struct alert_notification *n, char *out, size_t size)
{
    char value[64], threshold[64], scope[700];
    alert_payload_scope(n, scope, sizeof scope);
    const char *what = strcmp(n->type, "alert.resolved") == 0 ? "Resolved"
                       : strcmp(n->type, "alert.test") == 0   ? "Test"
                       : n->repeat                            ? "Still firing"
                                                              : "Firing";
    alert_payload_figure(n->kpi, n->has_value, n->value, value, sizeof value);
    alert_payload_figure(n->kpi, n->has_threshold, n->threshold, threshold, sizeof threshold);
    if (strcmp(n->kpi, "no_data") == 0)
        snprintf(out, size, "%s: %s%s%s on %s (limit %s)", what, n->rule_name,
                 *n->rule_name ? ": " : "", value, scope, threshold);
    else
        snprintf(out, size, "%s: %s%s%s %s (threshold %s) on %s, %s", what, n->rule_name,
                 *n->rule_name ? ": " : "", n->kpi, value, threshold, scope, n->window);
}

/* The compact text of a body (taken over), or NULL. */
static char *alert_payload_dump(json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(body);
    return text;
}

static json_t *alert_payload_number(bool has, double value)
{
    return has ? json_real(value) : json_null();
}

static json_t *alert_payload_generic(const struct alert_notification *n, const char *timestamp)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s?, s:s, s:s*, s:s, s:s, s:o, s:o, s:s, s:b, s:s}}",
                     "type", n->type, "timestamp", timestamp, "data", "rule", n->rule_id, "name",
                     *n->rule_name ? n->rule_name : NULL, "scope", n->scope, "channel",
                     n->channel && *n->channel ? n->channel : NULL, "kpi", n->kpi, "window",
                     n->window, "value", alert_payload_number(n->has_value, n->value), "target",
                     alert_payload_number(n->has_threshold, n->threshold), "state",
                     strcmp(n->type, "alert.resolved") == 0 ? "resolved" : "firing", "repeat",
                     n->repeat, "link", n->link);
}

static json_t *alert_payload_slack(const struct alert_notification *n, const char *headline,
                                   const char *timestamp)
{
    char section[1200];
    snprintf(section, sizeof section, "*%s*\n<%s|Open the dashboard>", headline, n->link);
    return json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}, {s:s, s:[{s:s, s:s}]}]}", "text", headline,
                     "blocks", "type", "section", "text", "type", "mrkdwn", "text", section, "type",
                     "context", "elements", "type", "plain_text", "text", timestamp);
}

static json_t *alert_payload_teams(const struct alert_notification *n, const char *headline,
                                   const char *timestamp)
{
    char value[64], threshold[64], scope[700];
    bool resolved = strcmp(n->type, "alert.resolved") == 0;
    alert_payload_scope(n, scope, sizeof scope);
    alert_payload_figure(n->kpi, n->has_value, n->value, value, sizeof value);
    alert_payload_figure(n->kpi, n->has_threshold, n->threshold, threshold, sizeof threshold);
    json_t *card = json_pack(
        "{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:s, s:b}, {s:s, s:[{s:s, s:s}, {s:s, s:s}, "
        "{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}], s:[{s:s, s:s, s:s}]}",
        "$schema", "http://adaptivecards.io/schemas/adaptive-card.json", "type", "AdaptiveCard",
        "version", "1.4", "body", "type", "TextBlock", "text", headline, "weight", "Bolder", "size",
        "Medium", "color", resolved ? "Good" : "Attention", "wrap", 1, "type", "FactSet", "facts",
        "title", "Scope", "value", scope, "title", "KPI", "value", n->kpi, "title", "Figure",
        "value", value, "title", "Threshold", "value", threshold, "title", "At", "value", timestamp,
        "actions", "type", "Action.OpenUrl", "title", "Open the dashboard", "url", n->link);
    return json_pack("{s:s, s:[{s:s, s:n, s:o}]}", "type", "message", "attachments", "contentType",
                     "application/vnd.microsoft.card.adaptive", "contentUrl", "content", card);
}

char *alert_payload_render(const struct alert_notification *n, enum alert_format format)
{
    char timestamp[32], headline[1000];
    json_t *body = NULL;

    calendar_format_rfc3339_utc(n->at_us, timestamp);
    alert_payload_headline(n, headline, sizeof headline);
    switch (format) {
    case ALERT_FORMAT_GENERIC:
        body = alert_payload_generic(n, timestamp);
        break;
    case ALERT_FORMAT_SLACK:
        body = alert_payload_slack(n, headline, timestamp);
        break;
    case ALERT_FORMAT_TEAMS:
        body = alert_payload_teams(n, headline, timestamp);
        break;
    default:
        return NULL;
    }
    return alert_payload_dump(body);
}

char *alert_payload_published(const char *month, int64_t at_us, const char *link,
                              enum alert_format format)
{
    char timestamp[32], headline[200];
    json_t *body;

    calendar_format_rfc3339_utc(at_us, timestamp);
    snprintf(headline, sizeof headline, "The figures of %s are published", month);
    switch (format) {
    case ALERT_FORMAT_GENERIC:
        body = json_pack("{s:s, s:s, s:{s:s, s:s}}", "type", "export.published", "timestamp",
                         timestamp, "data", "month", month, "link", link);
        break;
    case ALERT_FORMAT_SLACK:
        body = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}", "text", headline, "blocks", "type",
                         "section", "text", "type", "mrkdwn", "text", headline);
        if (body) {
            char section[600];
            snprintf(section, sizeof section, "*%s*\n<%s|The printable report>", headline, link);
            json_object_set_new(
                json_object_get(json_array_get(json_object_get(body, "blocks"), 0), "text"), "text",
                json_string(section));
        }
        break;
    case ALERT_FORMAT_TEAMS:
        body = json_pack("{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:b}], "
                         "s:[{s:s, s:s, s:s}]}}]}",
                         "type", "message", "attachments", "contentType",
                         "application/vnd.microsoft.card.adaptive", "contentUrl", "content",
                         "$schema", "http://adaptivecards.io/schemas/adaptive-card.json", "type",
                         "AdaptiveCard", "version", "1.4", "body", "type", "TextBlock", "text",
                         headline, "weight", "Bolder", "wrap", 1, "actions", "type",
                         "Action.OpenUrl", "title", "The printable report", "url", link);
        break;
    default:
        return NULL;
    }
    return alert_payload_dump(body);
}
