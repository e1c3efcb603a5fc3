/*
 * test_kpi: the formulas of lib/kpi over counters (rates, averages, null
 * denominators), targets in force across a year of versions, status in both
 * directions with amber tolerances, and display rounding half away from zero.
 * Per-contact classification (short abandons, the four service-level formulas)
 * is SQL (contact_facts) and is tested against an independent implementation
 * in tests/integration/test_aggregates.py and the conformance cases.
 */
#include <stdint.h>

#include "kpi.h"
#include "unit.h"

struct compute_case {
    const char *name;
    struct kpi_counters counters;
    enum kpi_key key;
    bool is_null;
    double value;
};

static const struct compute_case compute_cases[] = {
    /* the basic conformance case: 7 offered, 3 answered, 2 abandoned, 1 timeout, 1 refused */
    {"answered_pct",
     {.offered = 7, .answered = 3, .abandoned = 2, .timed_out = 1, .refused = 1},
     KPI_ANSWERED_PCT,
     false,
     50.0},
    {"abandoned_pct",
     {.offered = 7, .answered = 3, .abandoned = 2, .timed_out = 1, .refused = 1},
     KPI_ABANDONED_PCT,
     false,
     100.0 * 2 / 6},
    {"handled denominator excludes short abandons and refused",
     {.offered = 10, .answered = 5, .abandoned = 2, .short_abandoned = 2, .refused = 1},
     KPI_HANDLED_DENOMINATOR,
     false,
     7},
    {"answered_pct over handled",
     {.offered = 10, .answered = 5, .short_abandoned = 2, .refused = 1},
     KPI_ANSWERED_PCT,
     false,
     100.0 * 5 / 7},
    {"asa in seconds from microseconds",
     {.offered = 3, .answered = 3, .answered_wait_us = 187000000},
     KPI_ASA_S,
     false,
     187.0 / 3},
    {"asa null with no answered", {.offered = 3, .abandoned = 3}, KPI_ASA_S, true, 0},
    {"service level from per-contact sums",
     {.offered = 9, .sl_numerator = 2, .sl_denominator = 6},
     KPI_SERVICE_LEVEL_PCT,
     false,
     100.0 * 2 / 6},
    {"service level null with empty denominator",
     {.offered = 1, .refused = 1},
     KPI_SERVICE_LEVEL_PCT,
     true,
     0},
    {"aht over contacts reporting handle",
     {.answered = 4, .handle_ms = 450000, .handle_count = 3},
     KPI_AHT_S,
     false,
     150.0},
    {"aht null when none reports handle", {.answered = 4}, KPI_AHT_S, true, 0},
    {"fcr over known flags",
     {.answered = 4, .fcr_resolved = 2, .fcr_known = 3},
     KPI_FCR_PCT,
     false,
     100.0 * 2 / 3},
    {"fcr null with no known flag", {.answered = 4}, KPI_FCR_PCT, true, 0},
    {"repeat fcr: contacts not followed over contacts with a known caller",
     {.answered = 10, .repeat_known = 8, .repeat_followed = 2},
     KPI_REPEAT_FCR_PCT,
     false,
     100.0 * 6 / 8},
    {"repeat fcr 0 when every one was followed",
     {.answered = 3, .repeat_known = 3, .repeat_followed = 3},
     KPI_REPEAT_FCR_PCT,
     false,
     0},
    {"repeat fcr null with no known caller", {.answered = 4}, KPI_REPEAT_FCR_PCT, true, 0},
    {"rates null when only refused",
     {.offered = 1, .refused = 1, .has_max_wait = true},
     KPI_ANSWERED_PCT,
     true,
     0},
    {"abandoned_pct null when only refused",
     {.offered = 1, .refused = 1},
     KPI_ABANDONED_PCT,
     true,
     0},
    {"abandoned_pct 0 not null with handled contacts",
     {.offered = 1, .answered = 1},
     KPI_ABANDONED_PCT,
     false,
     0.0},
    {"longest wait 0 is a value",
     {.offered = 1, .refused = 1, .has_max_wait = true},
     KPI_LONGEST_WAIT_S,
     false,
     0.0},
    {"longest wait null for nothing", {.offered = 0}, KPI_LONGEST_WAIT_S, true, 0},
    {"longest wait seconds",
     {.offered = 1, .has_max_wait = true, .max_wait_us = 600500000},
     KPI_LONGEST_WAIT_S,
     false,
     600.5},
    {"offered count of nothing is 0", {.offered = 0}, KPI_OFFERED, false, 0},
};

static void test_compute(void)
{
    for (size_t i = 0; i < sizeof compute_cases / sizeof compute_cases[0]; i++) {
        const struct compute_case *c = &compute_cases[i];
        struct kpi_value values[KPI_COUNT];
        kpi_compute(&c->counters, values);
        CHECK_MSG(values[c->key].is_null == c->is_null, "%s: is_null = %d", c->name,
                  values[c->key].is_null);
        if (!c->is_null)
            CHECK_MSG(fabs(values[c->key].value - c->value) <= 1e-12 * fmax(1.0, fabs(c->value)),
                      "%s: %s = %.15g, want %.15g", c->name, kpi_name(c->key), values[c->key].value,
                      c->value);
    }
}

static void test_counts_are_integers(void)
{
    struct kpi_counters counters = {.offered = 8410,
                                    .answered = 8000,
                                    .abandoned = 300,
                                    .short_abandoned = 50,
                                    .timed_out = 40,
                                    .refused = 20};
    struct kpi_value values[KPI_COUNT];
    kpi_compute(&counters, values);
    CHECK(values[KPI_OFFERED].is_count);
    CHECK_INT(values[KPI_OFFERED].count, 8410);
    CHECK_INT(values[KPI_HANDLED_DENOMINATOR].count, 8410 - 50 - 20);
    CHECK(!values[KPI_ANSWERED_PCT].is_count);
}

static void test_add(void)
{
    struct kpi_counters sum = {.offered = 1, .has_max_wait = true, .max_wait_us = 5};
    struct kpi_counters a = {.offered = 2,
                             .answered = 1,
                             .has_max_wait = true,
                             .max_wait_us = 9,
                             .repeat_known = 1,
                             .repeat_followed = 1};
    struct kpi_counters none = {.offered = 3, .repeat_known = 2};
    kpi_counters_add(&sum, &a);
    kpi_counters_add(&sum, &none);
    CHECK_INT(sum.offered, 6);
    CHECK_INT(sum.answered, 1);
    CHECK(sum.has_max_wait);
    CHECK_INT(sum.max_wait_us, 9);
    CHECK_INT(sum.repeat_known, 3);
    CHECK_INT(sum.repeat_followed, 1);
}

static void test_names(void)
{
    for (int key = 0; key < KPI_COUNT; key++)
        CHECK_INT(kpi_from_name(kpi_name((enum kpi_key)key)), key);
    CHECK_INT(kpi_from_name("answred_pct"), -1);
    CHECK_INT(kpi_from_name("repeat_fcr_pct"), KPI_REPEAT_FCR_PCT);
    CHECK_INT(kpi_direction_of(KPI_REPEAT_FCR_PCT), KPI_HIGHER_IS_BETTER);
    CHECK_INT(kpi_display_decimals(KPI_REPEAT_FCR_PCT), 1);
    CHECK_INT(kpi_direction_of(KPI_ANSWERED_PCT), KPI_HIGHER_IS_BETTER);
    CHECK_INT(kpi_direction_of(KPI_ASA_S), KPI_LOWER_IS_BETTER);
    CHECK_INT(kpi_direction_of(KPI_ABANDONED_PCT), KPI_LOWER_IS_BETTER);
    CHECK_INT(kpi_direction_of(KPI_OFFERED), KPI_DIRECTION_NONE);
}

/* asa_s 20 s from April, 35 s from July (days since 1970: 2026-04-01 = 20544). */
static void test_target_in_force(void)
{
    const int32_t april = 20544, july = april + 91, october = april + 183;
    const struct kpi_target targets[] = {
        {KPI_ASA_S, april, 20, true, 5},
        {KPI_ASA_S, july, 35, true, 5},
        {KPI_ANSWERED_PCT, INT32_MIN, 80, false, 0},
        {KPI_ANSWERED_PCT, october, 85, true, 3},
    };
    const size_t n = sizeof targets / sizeof targets[0];
    CHECK(kpi_target_in_force(targets, n, KPI_ASA_S, april - 1) == NULL);
    CHECK(kpi_target_in_force(targets, n, KPI_ASA_S, april)->value == 20);
    CHECK(kpi_target_in_force(targets, n, KPI_ASA_S, july - 1)->value == 20);
    CHECK(kpi_target_in_force(targets, n, KPI_ASA_S, july)->value == 35);
    CHECK(kpi_target_in_force(targets, n, KPI_ANSWERED_PCT, 0)->value == 80);
    CHECK(kpi_target_in_force(targets, n, KPI_ANSWERED_PCT, october)->value == 85);
    CHECK(kpi_target_in_force(targets, n, KPI_FCR_PCT, october) == NULL);
}

struct status_case {
    enum kpi_key key;
    double value;
    double target;
    bool has_amber;
    double amber;
    enum kpi_status want;
};

static const struct status_case status_cases[] = {
    /* higher is better */
    {KPI_ANSWERED_PCT, 86, 80, true, 5, KPI_STATUS_GREEN},
    {KPI_ANSWERED_PCT, 80, 80, true, 5, KPI_STATUS_GREEN}, /* meets exactly */
    {KPI_ANSWERED_PCT, 79.9, 80, true, 5, KPI_STATUS_AMBER},
    {KPI_ANSWERED_PCT, 75, 80, true, 5, KPI_STATUS_AMBER}, /* misses by exactly the tolerance */
    {KPI_ANSWERED_PCT, 74.9, 80, true, 5, KPI_STATUS_RED},
    {KPI_ANSWERED_PCT, 79.9, 80, false, 0, KPI_STATUS_RED}, /* no tolerance: any miss is red */
    /* lower is better */
    {KPI_ASA_S, 31, 35, true, 5, KPI_STATUS_GREEN},
    {KPI_ASA_S, 35, 35, true, 5, KPI_STATUS_GREEN},
    {KPI_ASA_S, 40, 35, true, 5, KPI_STATUS_AMBER},
    {KPI_ASA_S, 40.01, 35, true, 5, KPI_STATUS_RED},
    {KPI_ABANDONED_PCT, 4, 5, false, 0, KPI_STATUS_GREEN},
    {KPI_ABANDONED_PCT, 5.1, 5, false, 0, KPI_STATUS_RED},
    /* counts have no direction */
    {KPI_OFFERED, 100, 50, false, 0, KPI_STATUS_NONE},
};

static void test_status(void)
{
    for (size_t i = 0; i < sizeof status_cases / sizeof status_cases[0]; i++) {
        const struct status_case *c = &status_cases[i];
        struct kpi_value value = {.value = c->value};
        struct kpi_target target = {c->key, 0, c->target, c->has_amber, c->amber};
        CHECK_MSG(kpi_status_of(c->key, &value, &target) == c->want,
                  "case %zu: %s %.2f vs %.2f (amber %.2f) = %s, want %s", i, kpi_name(c->key),
                  c->value, c->target, c->amber,
                  kpi_status_name(kpi_status_of(c->key, &value, &target)),
                  kpi_status_name(c->want));
    }
    struct kpi_value null_value = {.is_null = true};
    struct kpi_target target = {KPI_ANSWERED_PCT, 0, 80, false, 0};
    struct kpi_value value = {.value = 90};
    CHECK_INT(kpi_status_of(KPI_ANSWERED_PCT, &null_value, &target), KPI_STATUS_NONE);
    CHECK_INT(kpi_status_of(KPI_ANSWERED_PCT, &value, NULL), KPI_STATUS_NONE);
    CHECK_STR(kpi_status_name(KPI_STATUS_AMBER), "amber");
}

struct rounding_case {
    double value;
    int decimals;
    double want;
};

static const struct rounding_case rounding_cases[] = {
    {86.25, 1, 86.3},
    {86.35, 1, 86.4},
    {86.349, 1, 86.3},
    {-2.25, 1, -2.3},
    {31.5, 0, 32},
    {30.5, 0, 31},
    {-0.5, 0, -1},
    {2.675, 2, 2.68},
    {100.0 * 2 / 3, 1, 66.7},
    {100.0 / 3, 1, 33.3},
    {0.05, 1, 0.1},
    {1.45, 1, 1.5},
    {62.333333333333336, 0, 62},
    {79.95, 1, 80.0},
};

static void test_rounding(void)
{
    for (size_t i = 0; i < sizeof rounding_cases / sizeof rounding_cases[0]; i++) {
        const struct rounding_case *c = &rounding_cases[i];
        double got = kpi_round_half_away(c->value, c->decimals);
        CHECK_MSG(fabs(got - c->want) < 1e-9, "round(%.17g, %d) = %.17g, want %.17g", c->value,
                  c->decimals, got, c->want);
    }
    CHECK_INT(kpi_display_decimals(KPI_ANSWERED_PCT), 1);
    CHECK_INT(kpi_display_decimals(KPI_ASA_S), 0);
}

/* Customer satisfaction and channel shift (KPI definitions, "Other contact work"). */
static void test_other_work(void)
{
    struct kpi_counters c = {0};
    struct kpi_value v[KPI_COUNT];

    kpi_compute(&c, v);
    CHECK(v[KPI_SATISFACTION_NET_PCT].is_null);
    CHECK(v[KPI_SATISFIED_PCT].is_null);
    CHECK(v[KPI_VOLUME_CHANGE_PCT].is_null); /* no baseline year */
    CHECK(v[KPI_BASELINE_OFFERED].is_null);
    CHECK_INT(v[KPI_SURVEY_RESPONSES].count, 0);

    c.survey_good = 5, c.survey_average = 3, c.survey_poor = 2;
    c.offered = 105, c.has_baseline = true, c.baseline_offered = 100;
    kpi_compute(&c, v);
    CHECK_INT(v[KPI_SURVEY_RESPONSES].count, 10);
    CHECK(v[KPI_SATISFACTION_NET_PCT].value == 60.0); /* (5 + 3 - 2) / 10 */
    CHECK(v[KPI_SATISFIED_PCT].value == 50.0);
    CHECK(v[KPI_VOLUME_CHANGE_PCT].value == 5.0);
    CHECK_INT(v[KPI_BASELINE_OFFERED].count, 100);
    c.survey_good = 0, c.survey_average = 0, c.survey_poor = 4;
    c.offered = 0;
    kpi_compute(&c, v);
    CHECK(v[KPI_SATISFACTION_NET_PCT].value == -100.0);
    CHECK(v[KPI_VOLUME_CHANGE_PCT].value == -100.0);
    c.baseline_offered = 0; /* a baseline year without contacts: no rate, never 0 */
    kpi_compute(&c, v);
    CHECK(v[KPI_VOLUME_CHANGE_PCT].is_null);
    CHECK(!v[KPI_BASELINE_OFFERED].is_null);

    /* The target's sign gives the better direction: +5 a rise to reach, -5 a fall. */
    struct kpi_value rise = {.value = 6.0}, flat = {.value = 0.0}, fall = {.value = -6.0};
    struct kpi_target up = {KPI_VOLUME_CHANGE_PCT, INT32_MIN, 5, true, 2};
    struct kpi_target down = {KPI_VOLUME_CHANGE_PCT, INT32_MIN, -5, true, 2};
    struct kpi_target none = {KPI_VOLUME_CHANGE_PCT, INT32_MIN, 0, false, 0};
    CHECK_INT(kpi_status_of(KPI_VOLUME_CHANGE_PCT, &rise, &up), KPI_STATUS_GREEN);
    CHECK_INT(kpi_status_of(KPI_VOLUME_CHANGE_PCT, &flat, &up), KPI_STATUS_RED);
    CHECK_INT(kpi_status_of(KPI_VOLUME_CHANGE_PCT, &fall, &down), KPI_STATUS_GREEN);
    CHECK_INT(kpi_status_of(KPI_VOLUME_CHANGE_PCT, &rise, &down), KPI_STATUS_RED);
    struct kpi_value near = {.value = -3.5};
    CHECK_INT(kpi_status_of(KPI_VOLUME_CHANGE_PCT, &near, &down), KPI_STATUS_AMBER);
    CHECK_INT(kpi_status_of(KPI_VOLUME_CHANGE_PCT, &flat, &none), KPI_STATUS_GREEN);
    CHECK_INT(kpi_status_of(KPI_VOLUME_CHANGE_PCT, &rise, &none), KPI_STATUS_RED);
    CHECK_INT(kpi_direction_of(KPI_SATISFIED_PCT), KPI_HIGHER_IS_BETTER);
    CHECK_INT(kpi_direction_of(KPI_SURVEY_RESPONSES), KPI_DIRECTION_NONE);
    CHECK_INT(kpi_display_decimals(KPI_VOLUME_CHANGE_PCT), 1);
    CHECK_INT(kpi_sample_size(KPI_SATISFIED_PCT,
                              &(struct kpi_counters){.survey_good = 2, .survey_poor = 1}),
              3);

    /* sums: a month without a baseline adds nothing, one with adds its count */
    struct kpi_counters sum = {0}, with = {.has_baseline = true, .baseline_offered = 7};
    kpi_counters_add(&sum, &(struct kpi_counters){.survey_average = 2});
    CHECK(!sum.has_baseline);
    kpi_counters_add(&sum, &with);
    kpi_counters_add(&sum, &with);
    CHECK(sum.has_baseline);
    CHECK_INT(sum.baseline_offered, 14);
    CHECK_INT(sum.survey_average, 2);
}

void unit_main(void)
{
    test_other_work();
    test_compute();
    test_counts_are_integers();
    test_add();
    test_names();
    test_target_in_force();
    test_status();
    test_rounding();
}
