/*
 * kpi: the formulas of the KPI definitions (shared/spec/kpis.md) over summed
 * counters, targets in force, status and display rounding. The counters come
 * from interval aggregates or raw contacts (the daemon sums them in SQL); every
 * rate, average and status any ccmetrics surface shows is computed here, once.
 */
#ifndef CCM_KPI_H
#define CCM_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sums over a set of contacts (see sql/001_core.sql, contact_facts). */
struct kpi_counters {
    int64_t offered;
    int64_t answered;
    int64_t abandoned; /* excluding short abandons */
    int64_t short_abandoned;
    int64_t timed_out;
    int64_t refused;
    int64_t answered_wait_us; /* sum of waits of answered contacts */
    int64_t sl_numerator;     /* per-contact service-level numerator (own queue's formula) */
    int64_t sl_denominator;
    int64_t handle_ms; /* sum of handle of answered contacts that report it */
    int64_t handle_count;
    int64_t fcr_resolved;
    int64_t fcr_known;
    bool has_max_wait;
    int64_t max_wait_us;
    int64_t repeat_known;    /* answered contacts with a known caller */
    int64_t repeat_followed; /* ... followed by another contact of the caller within the window */
    /* Survey responses of the scope, channel and period (sql/012, surveys). */
    int64_t survey_good;
    int64_t survey_average;
    int64_t survey_poor;
    /* Contacts offered in the same period of the tenant's baseline financial year
     * (channel shift); has_baseline is false when the tenant has no baseline year. */
    bool has_baseline;
    int64_t baseline_offered;
};

enum kpi_key {
    KPI_OFFERED,
    KPI_ANSWERED,
    KPI_ABANDONED,
    KPI_SHORT_ABANDONED,
    KPI_TIMED_OUT,
    KPI_REFUSED,
    KPI_HANDLED_DENOMINATOR,
    KPI_ANSWERED_PCT,
    KPI_ABANDONED_PCT,
    KPI_ASA_S,
    KPI_SERVICE_LEVEL_PCT,
    KPI_AHT_S,
    KPI_FCR_PCT,
    KPI_LONGEST_WAIT_S,
    KPI_REPEAT_FCR_PCT,
    KPI_SURVEY_RESPONSES,
    KPI_SATISFACTION_NET_PCT,
    KPI_SATISFIED_PCT,
    KPI_BASELINE_OFFERED,
    KPI_VOLUME_CHANGE_PCT,
    KPI_COUNT
};

enum kpi_direction {
    KPI_DIRECTION_NONE, /* counts: no better direction, so no status */
    KPI_HIGHER_IS_BETTER,
    KPI_LOWER_IS_BETTER,
    /* channel shift: a target above 0 is a rise to reach (web forms +5%), one of 0
     * or below a fall (calls -5%) */
    KPI_DIRECTION_OF_TARGET,
};

enum kpi_status {
    KPI_STATUS_NONE,
    KPI_STATUS_GREEN,
    KPI_STATUS_AMBER,
    KPI_STATUS_RED,
};

struct kpi_value {
    bool is_null;  /* a rate whose denominator is 0, or a max of nothing */
    bool is_count; /* an integer count (JSON integer), else a real */
    int64_t count;
    double value; /* full precision; equals count for counts */
};

struct kpi_target {
    enum kpi_key kpi;
    int32_t effective_from; /* local day number; INT32_MIN = has always applied */
    double value;
    bool has_amber;
    double amber;
};

void kpi_counters_add(struct kpi_counters *sum, const struct kpi_counters *add);

/* Compute every KPI from counters. */
void kpi_compute(const struct kpi_counters *counters, struct kpi_value values[KPI_COUNT]);

const char *kpi_name(enum kpi_key key);
/* -1 when unknown. Knows only the keys this version computes. */
int kpi_from_name(const char *name);
enum kpi_direction kpi_direction_of(enum kpi_key key);
/* How many contacts a figure rests on: the denominator of a rate, the count of an
 * average, offered for counts and the longest wait. */
int64_t kpi_sample_size(enum kpi_key key, const struct kpi_counters *counters);

/* The target in force for a period whose first local day is first_day: the one
 * with the latest effective_from on or before it; NULL when none. */
const struct kpi_target *kpi_target_in_force(const struct kpi_target *targets, size_t count,
                                             enum kpi_key key, int32_t first_day);

/* green: meets the target in the better direction; amber: misses by no more than
 * the tolerance; red: beyond; none: no target, null figure or no direction. */
enum kpi_status kpi_status_of(enum kpi_key key, const struct kpi_value *value,
                              const struct kpi_target *target);
/* The same judgement for a figure whose better direction is given (figures outside
 * enum kpi_key: members' enquiries). */
enum kpi_status kpi_status_for(enum kpi_direction direction, const struct kpi_value *value,
                               const struct kpi_target *target);
const char *kpi_status_name(enum kpi_status status);

/* Display rounding: half away from zero to `decimals` places (percentages 1,
 * seconds 0). The API carries full precision; exports and pages round. */
double kpi_round_half_away(double value, int decimals);
/* Decimal places a KPI is shown with: 1 for percentages, 0 for seconds and counts. */
int kpi_display_decimals(enum kpi_key key);

#endif
