/*
 * alert: what an alert rule is and how its state moves (issue 5). Owns struct
 * alert_rule (a rule as the admin API takes it, validated) and struct
 * alert_state (where a rule stands: ok, pending or firing, and since when).
 * alert_step() is the whole state machine, pure, so the daemon's evaluator only
 * gathers observations and stores what it returns:
 *
 *   ok --breach--> pending --breach held for_s--> firing --recovered--> ok
 *        (for_s 0: straight to firing)       \--no breach--> ok
 *
 * A breach is a figure worse than the threshold (the rule's, else the target in
 * force) in the KPI's better direction. Recovered means better than the
 * threshold by at least recover_margin (hysteresis), so a figure hovering
 * around its target fires once, not at every crossing. With too small a sample
 * (fewer than min_sample contacts in the figure's base), no figure, no threshold
 * or the line closed, nothing fires and nothing resolves: pending falls back to
 * ok, firing holds (without repeats). A firing rule notifies again every
 * repeat_s while it is not recovered (0 = once).
 *
 * A "no data" rule (no_data_minutes) breaches when the scope has had no contact
 * offered for that many minutes of continuous opening time.
 */
#ifndef CCM_ALERT_H
#define CCM_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ccm_error.h"
#include "kpi.h"
#include "opening_hours.h"
#include "scope.h"

#define ALERT_NAME_MAX      200
#define ALERT_ENDPOINTS_MAX 16

enum alert_kind {
    ALERT_KIND_KPI,
    ALERT_KIND_NO_DATA,
};

enum alert_window {
    ALERT_WINDOW_TODAY,
    ALERT_WINDOW_ROLLING_1H,
    ALERT_WINDOW_ROLLING_15M,
    ALERT_WINDOW_MTD,
    ALERT_WINDOW_COUNT
};

struct alert_rule {
    enum alert_kind kind;
    char name[ALERT_NAME_MAX * 4 + 1]; /* "" when none given */
    struct scope scope;
    int channel;              /* an enum event_channel, or -1: every channel */
    enum kpi_key kpi;         /* ALERT_KIND_KPI */
    enum alert_window window; /* ALERT_KIND_KPI */
    bool has_threshold;       /* else the target in force */
    double threshold;
    int64_t for_s;           /* the breach must hold this long before firing */
    double recover_margin;   /* >= 0, in the KPI's unit */
    int64_t min_sample;      /* contacts in the figure's base */
    int64_t repeat_s;        /* 0 = notify once per firing */
    int64_t no_data_minutes; /* ALERT_KIND_NO_DATA */
    struct opening_hours hours;
    bool enabled;
    size_t endpoint_count;
    char endpoints[ALERT_ENDPOINTS_MAX][64]; /* endpoint ids as given (checked by the daemon) */
};

/* A rule from its JSON (POST /v1/alert-rules). Unknown keys are errors. */
int alert_rule_parse(struct alert_rule *rule, const json_t *body, struct ccm_error *error);

/* True for the KPIs a rule can watch: the rates and averages except
 * repeat_fcr_pct, which is final only days later. */
bool alert_kpi_is_alertable(enum kpi_key key);

const char *alert_window_name(enum alert_window window);
int alert_window_from_name(const char *name); /* -1 when unknown */

enum alert_state_kind {
    ALERT_OK,
    ALERT_PENDING,
    ALERT_FIRING,
};

struct alert_state {
    enum alert_state_kind kind;
    int64_t since_us;         /* when the current state was entered */
    int64_t last_notified_us; /* firing: the last firing/repeat notice; 0 when none */
};

/* What a rule sees at one evaluation. */
struct alert_observation {
    bool open;       /* within opening hours */
    bool has_figure; /* a figure over at least min_sample contacts */
    double value;
    bool has_threshold; /* the rule's, or a target in force */
    double threshold;
};

enum alert_notice {
    ALERT_NOTICE_NONE,
    ALERT_NOTICE_FIRING,
    ALERT_NOTICE_REPEAT, /* still firing, repeat_s after the last notice */
    ALERT_NOTICE_RESOLVED,
};

/* Move `state` on by one evaluation at `now_us`; returns what to notify. */
enum alert_notice alert_step(const struct alert_rule *rule, struct alert_state *state,
                             const struct alert_observation *observation, int64_t now_us);

/* The better direction a rule compares in: the KPI's, or lower-is-better for
 * no-data rules (their figure is minutes of silence). */
enum kpi_direction alert_direction(const struct alert_rule *rule);

const char *alert_state_name(enum alert_state_kind kind);
int alert_state_from_name(const char *name);             /* -1 when unknown */
const char *alert_notice_type(enum alert_notice notice); /* "alert.firing", ... */

#endif
