/*
 * kpi: rates, averages, targets and status from summed counters. The only
 * implementation of the formulas in shared/spec/kpis.md (see kpi.h).
 */
#include "kpi.h"

#include <math.h>
#include <string.h>

static const char *const kpi_names[KPI_COUNT] = {
    [KPI_OFFERED] = "offered",
    [KPI_ANSWERED] = "answered",
    [KPI_ABANDONED] = "abandoned",
    [KPI_SHORT_ABANDONED] = "short_abandoned",
    [KPI_TIMED_OUT] = "timed_out",
    [KPI_REFUSED] = "refused",
    [KPI_HANDLED_DENOMINATOR] = "handled_denominator",
    [KPI_ANSWERED_PCT] = "answered_pct",
    [KPI_ABANDONED_PCT] = "abandoned_pct",
    [KPI_ASA_S] = "asa_s",
    [KPI_SERVICE_LEVEL_PCT] = "service_level_pct",
    [KPI_AHT_S] = "aht_s",
    [KPI_FCR_PCT] = "fcr_pct",
    [KPI_LONGEST_WAIT_S] = "longest_wait_s",
    [KPI_REPEAT_FCR_PCT] = "repeat_fcr_pct",
    [KPI_SURVEY_RESPONSES] = "survey_responses",
    [KPI_SATISFACTION_NET_PCT] = "satisfaction_net_pct",
    [KPI_SATISFIED_PCT] = "satisfied_pct",
    [KPI_BASELINE_OFFERED] = "baseline_offered",
    [KPI_VOLUME_CHANGE_PCT] = "volume_change_pct",
};

void kpi_counters_add(struct kpi_counters *sum, const struct kpi_counters *add)
{
    sum->offered += add->offered;
    sum->answered += add->answered;
    sum->abandoned += add->abandoned;
    sum->short_abandoned += add->short_abandoned;
    sum->timed_out += add->timed_out;
    sum->refused += add->refused;
    sum->answered_wait_us += add->answered_wait_us;
    sum->sl_numerator += add->sl_numerator;
    sum->sl_denominator += add->sl_denominator;
    sum->handle_ms += add->handle_ms;
    sum->handle_count += add->handle_count;
    sum->fcr_resolved += add->fcr_resolved;
    sum->fcr_known += add->fcr_known;
    sum->repeat_known += add->repeat_known;
    sum->repeat_followed += add->repeat_followed;
    sum->survey_good += add->survey_good;
    sum->survey_average += add->survey_average;
    sum->survey_poor += add->survey_poor;
    if (add->has_baseline) {
        sum->has_baseline = true;
        sum->baseline_offered += add->baseline_offered;
    }
    if (add->has_max_wait && (!sum->has_max_wait || add->max_wait_us > sum->max_wait_us)) {
        sum->has_max_wait = true;
        sum->max_wait_us = add->max_wait_us;
    }
}

static void kpi_set_count(struct kpi_value *out, int64_t count)
{
    out->is_null = false;
    out->is_count = true;
    out->count = count;
    out->value = (double)count;
}

/* 100 x numerator / denominator, null when the denominator is 0. One rounding
 * step only (100 * n is exact), so ties compare equal to targets. */
static void kpi_set_percentage(struct kpi_value *out, int64_t numerator, int64_t denominator)
{
    out->is_count = false;
    out->count = 0;
    out->is_null = denominator <= 0;
    out->value = out->is_null ? 0.0 : (100.0 * (double)numerator) / (double)denominator;
}

/* sum / count / scale, null when count is 0. */
static void kpi_set_mean(struct kpi_value *out, int64_t sum, int64_t count, double scale)
{
    out->is_count = false;
    out->count = 0;
    out->is_null = count <= 0;
    out->value = out->is_null ? 0.0 : (double)sum / ((double)count * scale);
}

void kpi_compute(const struct kpi_counters *c, struct kpi_value values[KPI_COUNT])
{
    int64_t handled = c->offered - c->short_abandoned - c->refused;

    kpi_set_count(&values[KPI_OFFERED], c->offered);
    kpi_set_count(&values[KPI_ANSWERED], c->answered);
    kpi_set_count(&values[KPI_ABANDONED], c->abandoned);
    kpi_set_count(&values[KPI_SHORT_ABANDONED], c->short_abandoned);
    kpi_set_count(&values[KPI_TIMED_OUT], c->timed_out);
    kpi_set_count(&values[KPI_REFUSED], c->refused);
    kpi_set_count(&values[KPI_HANDLED_DENOMINATOR], handled);
    kpi_set_percentage(&values[KPI_ANSWERED_PCT], c->answered, handled);
    kpi_set_percentage(&values[KPI_ABANDONED_PCT], c->abandoned, handled);
    kpi_set_mean(&values[KPI_ASA_S], c->answered_wait_us, c->answered, 1e6);
    kpi_set_percentage(&values[KPI_SERVICE_LEVEL_PCT], c->sl_numerator, c->sl_denominator);
    kpi_set_mean(&values[KPI_AHT_S], c->handle_ms, c->handle_count, 1e3);
    kpi_set_percentage(&values[KPI_FCR_PCT], c->fcr_resolved, c->fcr_known);
    kpi_set_percentage(&values[KPI_REPEAT_FCR_PCT], c->repeat_known - c->repeat_followed,
                       c->repeat_known);

    int64_t responses = c->survey_good + c->survey_average + c->survey_poor;
    kpi_set_count(&values[KPI_SURVEY_RESPONSES], responses);
    kpi_set_percentage(&values[KPI_SATISFACTION_NET_PCT],
                       c->survey_good + c->survey_average - c->survey_poor, responses);
    kpi_set_percentage(&values[KPI_SATISFIED_PCT], c->survey_good, responses);
    kpi_set_count(&values[KPI_BASELINE_OFFERED], c->baseline_offered);
    values[KPI_BASELINE_OFFERED].is_null = !c->has_baseline;
    kpi_set_percentage(&values[KPI_VOLUME_CHANGE_PCT], c->offered - c->baseline_offered,
                       c->has_baseline ? c->baseline_offered : 0);

    values[KPI_LONGEST_WAIT_S].is_count = false;
    values[KPI_LONGEST_WAIT_S].count = 0;
    values[KPI_LONGEST_WAIT_S].is_null = !c->has_max_wait;
    values[KPI_LONGEST_WAIT_S].value = c->has_max_wait ? (double)c->max_wait_us / 1e6 : 0.0;
}

const char *kpi_name(enum kpi_key key)
{
    return (unsigned)key < KPI_COUNT ? kpi_names[key] : "unknown";
}

int kpi_from_name(const char *name)
{
    for (int key = 0; key < KPI_COUNT; key++)
        if (strcmp(kpi_names[key], name) == 0)
            return key;
    return -1;
}

enum kpi_direction kpi_direction_of(enum kpi_key key)
{
    switch (key) {
    case KPI_ANSWERED_PCT:
    case KPI_SERVICE_LEVEL_PCT:
    case KPI_FCR_PCT:
    case KPI_REPEAT_FCR_PCT:
    case KPI_SATISFACTION_NET_PCT:
    case KPI_SATISFIED_PCT:
        return KPI_HIGHER_IS_BETTER;
    case KPI_VOLUME_CHANGE_PCT:
        return KPI_DIRECTION_OF_TARGET;
    case KPI_ABANDONED_PCT:
    case KPI_ASA_S:
    case KPI_AHT_S:
    case KPI_LONGEST_WAIT_S:
        return KPI_LOWER_IS_BETTER;
    default:
        return KPI_DIRECTION_NONE;
    }
}

int64_t kpi_sample_size(enum kpi_key key, const struct kpi_counters *counters)
{
    switch (key) {
    case KPI_ANSWERED_PCT:
    case KPI_ABANDONED_PCT:
        return counters->offered - counters->short_abandoned - counters->refused;
    case KPI_SERVICE_LEVEL_PCT:
        return counters->sl_denominator;
    case KPI_ASA_S:
        return counters->answered;
    case KPI_AHT_S:
        return counters->handle_count;
    case KPI_FCR_PCT:
        return counters->fcr_known;
    case KPI_REPEAT_FCR_PCT:
        return counters->repeat_known;
    case KPI_SURVEY_RESPONSES:
    case KPI_SATISFACTION_NET_PCT:
    case KPI_SATISFIED_PCT:
        return counters->survey_good + counters->survey_average + counters->survey_poor;
    case KPI_BASELINE_OFFERED:
    case KPI_VOLUME_CHANGE_PCT:
        return counters->baseline_offered;
    default:
        return counters->offered;
    }
}

const struct kpi_target *kpi_target_in_force(const struct kpi_target *targets, size_t count,
                                             enum kpi_key key, int32_t first_day)
{
    const struct kpi_target *best = NULL;
    for (size_t i = 0; i < count; i++) {
        const struct kpi_target *t = &targets[i];
        if (t->kpi != key || t->effective_from > first_day)
            continue;
        if (!best || t->effective_from > best->effective_from)
            best = t;
    }
    return best;
}

enum kpi_status kpi_status_of(enum kpi_key key, const struct kpi_value *value,
                              const struct kpi_target *target)
{
    return kpi_status_for(kpi_direction_of(key), value, target);
}

enum kpi_status kpi_status_for(enum kpi_direction direction, const struct kpi_value *value,
                               const struct kpi_target *target)
{
    double shortfall;

    if (!target || value->is_null || direction == KPI_DIRECTION_NONE)
        return KPI_STATUS_NONE;
    if (direction == KPI_DIRECTION_OF_TARGET)
        direction = target->value > 0 ? KPI_HIGHER_IS_BETTER : KPI_LOWER_IS_BETTER;
    shortfall = direction == KPI_HIGHER_IS_BETTER ? target->value - value->value
                                                  : value->value - target->value;
    if (shortfall <= 0)
        return KPI_STATUS_GREEN;
    if (target->has_amber && shortfall <= target->amber)
        return KPI_STATUS_AMBER;
    return KPI_STATUS_RED;
}

const char *kpi_status_name(enum kpi_status status)
{
    switch (status) {
    case KPI_STATUS_GREEN:
        return "green";
    case KPI_STATUS_AMBER:
        return "amber";
    case KPI_STATUS_RED:
        return "red";
    default:
        return "none";
    }
}

double kpi_round_half_away(double value, int decimals)
{
    double scale = 1.0;
    for (int i = 0; i < decimals; i++)
        scale *= 10.0;
    /* round() is half away from zero; the nudge keeps 2.675-style binary
     * representations of a decimal tie (2.67499999...) from rounding down. */
    double scaled = value * scale;
    double nudged = scaled + copysign(1e-9 * fmax(1.0, fabs(scaled)), scaled);
    return round(nudged) / scale;
}

int kpi_display_decimals(enum kpi_key key)
{
    switch (key) {
    case KPI_ANSWERED_PCT:
    case KPI_ABANDONED_PCT:
    case KPI_SERVICE_LEVEL_PCT:
    case KPI_FCR_PCT:
    case KPI_REPEAT_FCR_PCT:
    case KPI_SATISFACTION_NET_PCT:
    case KPI_SATISFIED_PCT:
    case KPI_VOLUME_CHANGE_PCT:
        return 1;
    default:
        return 0;
    }
}
