/*
 * alert_payload: the bodies of an alert notification in each endpoint format.
 * Owns struct alert_notification: what happened (a rule fired, repeated or
 * resolved, or a test), with the figure, the threshold and a link to the
 * dashboard. Rendered once when the notification is stored (the outbox keeps the
 * exact body, so retries send the same bytes and the signature covers them):
 *   generic  Standard Webhooks style {"type", "timestamp", "data": {...}}
 *   slack    an incoming-webhook message: "text" plus Block Kit blocks
 *   teams    a message with one Adaptive Card (Teams workflows / incoming webhooks)
 */
#ifndef CCM_ALERT_PAYLOAD_H
#define CCM_ALERT_PAYLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"

enum alert_format {
    ALERT_FORMAT_GENERIC,
    ALERT_FORMAT_SLACK,
    ALERT_FORMAT_TEAMS,
    ALERT_FORMAT_COUNT
};

struct alert_notification {
    const char *type; /* "alert.firing", "alert.resolved" or "alert.test" */
    int64_t at_us;    /* when the state changed */
    const char *rule_id;
    const char *rule_name; /* "" when none */
    const char *scope;     /* "queue:bins" */
    const char *channel;   /* "webchat": a rule on one channel's figure; NULL or "": all */
    const char *kpi;       /* "abandoned_pct", or "no_data" */
    const char *window;    /* "today", ...; "" for no-data rules */
    bool has_value;
    double value;
    bool has_threshold;
    double threshold;
    bool repeat;      /* a repeat notice of a rule still firing */
    const char *link; /* the dashboard page of the scope */
};

const char *alert_format_name(enum alert_format format);
int alert_format_from_name(const char *name); /* -1 when unknown */

/* A month's figures were published (type "export.published"): its month
 * ("2026-10"), when, and a link to the printable report. NULL when out of memory. */
char *alert_payload_published(const char *month, int64_t at_us, const char *link,
                              enum alert_format format);

/* The body in `format`, as compact JSON; NULL when out of memory. free() it. */
char *alert_payload_render(const struct alert_notification *notification, enum alert_format format);

#endif
