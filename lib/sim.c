/*
 * sim: the simulated council contact centre behind ccmetrics-sim (see sim.h for
 * the model). This file owns the PRNG, the built-in queue table, the half-hourly
 * plan of a day (opening, expected arrivals, roster), the FIFO queue simulation
 * of one queue-day, the one-day cache that makes iteration cheap, and the NDJSON
 * form of a record. Pure: no I/O, no clock, no globals that change.
 */
#include "sim.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"

#define SIM_US              INT64_C(1000000)
#define SIM_SLOT_S          1800
#define SIM_DAY_CURVE_SLOTS 17   /* 08:30-17:00 */
#define SIM_DAY_OPEN_SLOT   17   /* 08:30 */
#define SIM_SAT_SLOTS       6    /* 09:00-12:00 */
#define SIM_SAT_OPEN_SLOT   18   /* 09:00 */
#define SIM_SAT_SHARE       0.22 /* a Saturday morning's calls / a Wednesday's */
#define SIM_NEVER           INT64_MAX

/* ---------------------------------------------------------------- PRNG */

static uint64_t sim_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t sim_splitmix64(uint64_t *state)
{
    *state += UINT64_C(0x9E3779B97F4A7C15);
    return sim_mix64(*state);
}

void sim_rng_seed(struct sim_rng *rng, uint64_t seed)
{
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = sim_splitmix64(&state);
}

static uint64_t sim_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = sim_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim_rotl(s[3], 45);
    return result;
}

double sim_rng_uniform(struct sim_rng *rng)
{
    return (double)(sim_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1]: safe under log(). */
static double sim_rng_uniform_open(struct sim_rng *rng)
{
    return (double)((sim_rng_next(rng) >> 11) + 1) * 0x1.0p-53;
}

uint64_t sim_rng_below(struct sim_rng *rng, uint64_t n)
{
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n: reject the partial last block */
    for (;;) {
        uint64_t r = sim_rng_next(rng);
        if (r >= threshold)
            return r % n;
    }
}

double sim_rng_exponential(struct sim_rng *rng, double mean)
{
    return -mean * log(sim_rng_uniform_open(rng));
}

double sim_rng_normal(struct sim_rng *rng)
{
    double u1 = sim_rng_uniform_open(rng);
    double u2 = sim_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double sim_rng_lognormal(struct sim_rng *rng, double median, double sigma)
{
    return median * exp(sigma * sim_rng_normal(rng));
}

/* ---------------------------------------------------------------- the queues */

struct sim_reason {
    const char *text;
    int weight;
};

struct sim_queue_def {
    struct sim_queue_info info;
    double daily_calls;         /* a Wednesday's calls at rate 1 */
    double aht_s;               /* mean handle: talk + hold + wrap */
    double patience_median_s;   /* callers who wait at all */
    int max_wait_s;             /* the queue times a call out after this */
    int voicemail_s;            /* callers still waiting are offered voicemail (0: never) */
    int capacity;               /* callers waiting at rate 1; more are refused */
    double fcr;                 /* first-contact resolution probability */
    double month_start;         /* extra share on the first working day of a month */
    const double *month_factor; /* 12 entries, or NULL for a flat year */
    const struct sim_reason *reasons;
    size_t reason_count;
};

static const struct sim_reason sim_reasons_council_tax[] = {
    {"payment", 30},         {"moving home", 18},  {"single person discount", 12},
    {"reminder notice", 15}, {"direct debit", 13}, {"bill query", 12},
};
static const struct sim_reason sim_reasons_business_rates[] = {
    {"payment", 35},
    {"rate relief", 25},
    {"new business", 15},
    {"bill query", 25},
};
static const struct sim_reason sim_reasons_benefits[] = {
    {"new claim", 22},   {"council tax reduction", 25}, {"change of circumstances", 25},
    {"overpayment", 12}, {"claim progress", 16},
};
static const struct sim_reason sim_reasons_bins[] = {
    {"missed bin", 40},  {"new bin", 18},        {"garden waste", 17},
    {"bulky waste", 15}, {"collection day", 10},
};
static const struct sim_reason sim_reasons_street[] = {
    {"fly-tipping", 40},       {"litter", 20}, {"dog fouling", 12}, {"graffiti", 10},
    {"abandoned vehicle", 18},
};
static const struct sim_reason sim_reasons_repairs[] = {
    {"repair request", 40},     {"damp and mould", 18},   {"heating or hot water", 17},
    {"appointment change", 15}, {"emergency repair", 10},
};
static const struct sim_reason sim_reasons_options[] = {
    {"homelessness", 30},
    {"housing register", 35},
    {"temporary accommodation", 20},
    {"rent arrears advice", 15},
};
static const struct sim_reason sim_reasons_registrars[] = {
    {"birth registration", 30},   {"death registration", 25},
    {"certificate copy", 20},     {"marriage or civil partnership", 15},
    {"citizenship ceremony", 10},
};

/* Annual bills land in March, the first instalments in April; December is quiet. */
static const double sim_months_council_tax[12] = {0.95, 0.90, 1.25, 1.35, 1.10, 1.00,
                                                  0.95, 0.90, 1.00, 1.00, 0.95, 0.75};
/* Christmas collection changes, garden-waste renewals in spring. */
static const double sim_months_bins[12] = {1.25, 0.95, 1.10, 1.10, 1.00, 0.95,
                                           0.95, 0.95, 0.95, 0.95, 1.00, 1.10};

/* Volumes, handle times and patience are those of a large English district or unitary
 * council; the rosters follow from them (sim_roster). */
static const struct sim_queue_def sim_queues[] = {
    {
        .info = {"council-tax", "revenues", 60, 5, true},
        .daily_calls = 1800,
        .aht_s = 330,
        .patience_median_s = 300,
        .max_wait_s = 900,
        .voicemail_s = 300,
        .capacity = 32,
        .fcr = 0.82,
        .month_start = 0.8,
        .month_factor = sim_months_council_tax,
        .reasons = sim_reasons_council_tax,
        .reason_count = sizeof sim_reasons_council_tax / sizeof sim_reasons_council_tax[0],
    },
    {
        .info = {"business-rates", "revenues", 60, 5, false},
        .daily_calls = 250,
        .aht_s = 420,
        .patience_median_s = 300,
        .max_wait_s = 900,
        .voicemail_s = 0,
        .capacity = 8,
        .fcr = 0.85,
        .month_start = 0.3,
        .month_factor = NULL,
        .reasons = sim_reasons_business_rates,
        .reason_count = sizeof sim_reasons_business_rates / sizeof sim_reasons_business_rates[0],
    },
    {
        .info = {"benefits", "revenues", 80, 5, false},
        .daily_calls = 900,
        .aht_s = 540,
        .patience_median_s = 420,
        .max_wait_s = 900,
        .voicemail_s = 300,
        .capacity = 20,
        .fcr = 0.72,
        .month_start = 0.25,
        .month_factor = NULL,
        .reasons = sim_reasons_benefits,
        .reason_count = sizeof sim_reasons_benefits / sizeof sim_reasons_benefits[0],
    },
    {
        .info = {"bins", "environment", 60, 5, true},
        .daily_calls = 1500,
        .aht_s = 180,
        .patience_median_s = 240,
        .max_wait_s = 600,
        .voicemail_s = 0,
        .capacity = 24,
        .fcr = 0.90,
        .month_start = 0.0,
        .month_factor = sim_months_bins,
        .reasons = sim_reasons_bins,
        .reason_count = sizeof sim_reasons_bins / sizeof sim_reasons_bins[0],
    },
    {
        .info = {"street-cleansing", "environment", 80, 0, false},
        .daily_calls = 350,
        .aht_s = 220,
        .patience_median_s = 240,
        .max_wait_s = 600,
        .voicemail_s = 0,
        .capacity = 8,
        .fcr = 0.88,
        .month_start = 0.0,
        .month_factor = NULL,
        .reasons = sim_reasons_street,
        .reason_count = sizeof sim_reasons_street / sizeof sim_reasons_street[0],
    },
    {
        .info = {"housing-repairs", "housing", 80, 5, true},
        .daily_calls = 1300,
        .aht_s = 400,
        .patience_median_s = 360,
        .max_wait_s = 900,
        .voicemail_s = 240,
        .capacity = 28,
        .fcr = 0.70,
        .month_start = 0.0,
        .month_factor = NULL,
        .reasons = sim_reasons_repairs,
        .reason_count = sizeof sim_reasons_repairs / sizeof sim_reasons_repairs[0],
    },
    {
        .info = {"housing-options", "housing", 80, 0, false},
        .daily_calls = 400,
        .aht_s = 720,
        .patience_median_s = 480,
        .max_wait_s = 900,
        .voicemail_s = 0,
        .capacity = 12,
        .fcr = 0.70,
        .month_start = 0.0,
        .month_factor = NULL,
        .reasons = sim_reasons_options,
        .reason_count = sizeof sim_reasons_options / sizeof sim_reasons_options[0],
    },
    {
        .info = {"registrars", "registration", 60, 0, true},
        .daily_calls = 500,
        .aht_s = 300,
        .patience_median_s = 300,
        .max_wait_s = 720,
        .voicemail_s = 0,
        .capacity = 12,
        .fcr = 0.90,
        .month_start = 0.0,
        .month_factor = NULL,
        .reasons = sim_reasons_registrars,
        .reason_count = sizeof sim_reasons_registrars / sizeof sim_reasons_registrars[0],
    },
};

#define SIM_QUEUE_COUNT (sizeof sim_queues / sizeof sim_queues[0])

size_t sim_queue_count(void)
{
    return SIM_QUEUE_COUNT;
}

const struct sim_queue_info *sim_queue_info(size_t index)
{
    return index < SIM_QUEUE_COUNT ? &sim_queues[index].info : NULL;
}

const char *sim_outcome_name(enum sim_outcome outcome)
{
    switch (outcome) {
    case SIM_OUTCOME_ANSWERED:
        return "answered";
    case SIM_OUTCOME_ABANDONED:
        return "abandoned";
    case SIM_OUTCOME_TIMEOUT:
        return "timeout";
    case SIM_OUTCOME_REFUSED:
        return "refused";
    }
    return "unknown";
}

/* The seed of one queue's day: every stream of the model is a function of these. */
static uint64_t sim_day_seed(uint64_t seed, size_t queue_index, int32_t day)
{
    return sim_mix64(sim_mix64(seed ^ UINT64_C(0x5349d3c0ffee)) ^
                     sim_mix64(((uint64_t)queue_index << 32) ^ (uint32_t)day));
}

/* ---------------------------------------------------------------- the day plan */

/* Weekday arrival curve, half hours from 08:30: the morning peak, the lunch dip, the
 * post-lunch bump, the afternoon tail. */
static const double sim_day_curve[SIM_DAY_CURVE_SLOTS] = {
    1.30, 1.45, 1.45, 1.35, 1.25, 1.15, 1.05, 0.85, 0.75,
    0.85, 1.05, 1.10, 1.00, 0.90, 0.80, 0.70, 0.55,
};
static const double sim_sat_curve[SIM_SAT_SLOTS] = {1.10, 1.20, 1.10, 1.00, 0.90, 0.70};
/* Sunday .. Saturday (Saturday uses its own share). */
static const double sim_weekday_factor[7] = {0.0, 1.25, 1.05, 1.00, 0.95, 0.82, 0.0};
/* The extra share on the n-th working day of a month, times month_start. */
static const double sim_month_start_decay[5] = {1.0, 0.7, 0.45, 0.25, 0.1};

struct sim_plan {
    int64_t slot_start[SIM_SLOTS + 1]; /* [SIM_SLOTS]: the next local midnight */
    double rate[SIM_SLOTS];            /* expected arrivals per second */
    int staff[SIM_SLOTS + 1];          /* agents rostered; [SIM_SLOTS] = 0 */
    bool open[SIM_SLOTS];
};

static double sim_curve_sum(const double *curve, size_t count)
{
    double sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += curve[i];
    return sum;
}

/* The instant of a local wall-clock time (seconds after local midnight of `day`). */
static int64_t sim_local_to_instant(const struct tz_rule *rule, int32_t day, int32_t seconds)
{
    int64_t wall = ((int64_t)day * 86400 + seconds) * SIM_US;
    int64_t instant = wall - (int64_t)rule->std_offset_s * SIM_US;
    instant = wall - (int64_t)tz_offset_at(rule, instant) * SIM_US;
    return wall - (int64_t)tz_offset_at(rule, instant) * SIM_US;
}

static bool sim_is_holiday(struct calendar_date date)
{
    return (date.month == 12 && (date.day == 25 || date.day == 26)) ||
           (date.month == 1 && date.day == 1);
}

/* 1-based number of the working day (Mon-Fri) in its month; a weekend day counts as
 * the working day before it (0 before the first one). */
static int sim_working_day_of_month(struct calendar_date date)
{
    int count = 0;
    for (int d = 1; d <= date.day; d++) {
        int weekday = calendar_weekday(calendar_days_from_civil(date.year, date.month, d));
        if (weekday >= 1 && weekday <= 5)
            count++;
    }
    return count;
}

static int sim_roster(double expected_per_s, double aht_s, double relative_load, bool lunch)
{
    double erlangs = expected_per_s * aht_s;
    /* Square-root staffing; at peaks the roster only just covers the load. */
    double beta = relative_load >= 1.3 ? -0.3 : 0.2;
    double agents = ceil(erlangs + beta * sqrt(erlangs));
    if (lunch)
        agents = ceil(agents * 0.85);
    return agents < 1 ? 1 : (int)agents;
}

static void sim_plan_day(const struct sim_model *model, size_t queue_index, int32_t day,
                         struct sim_plan *plan)
{
    const struct sim_queue_def *def = &sim_queues[queue_index];
    struct calendar_date date = calendar_civil_from_days(day);
    int weekday = calendar_weekday(day);
    bool holiday = sim_is_holiday(date);
    double month_factor = def->month_factor ? def->month_factor[date.month - 1] : 1.0;
    int nth = sim_working_day_of_month(date);
    double month_start = 1.0;
    if (nth >= 1 && nth <= 5)
        month_start += def->month_start * sim_month_start_decay[nth - 1];
    /* Planners see the month-start rush coming, but only half of it. */
    double planned_share = (1.0 + 0.5 * (month_start - 1.0)) / month_start;
    /* Bad days nobody planned for, drawn from the day's own stream so that every use of
     * the plan sees the same: sickness (a thinner roster all day) and an incident (a
     * service failure, a letter gone out) that brings a surge for a few hours. */
    struct sim_rng events;
    sim_rng_seed(&events, sim_day_seed(model->seed ^ UINT64_C(0xbad0da7), queue_index, day));
    double sickness_u = sim_rng_uniform(&events);
    double surge_u = sim_rng_uniform(&events);
    int surge_from = (int)sim_rng_below(&events, 12);
    int surge_to = surge_from + 4 + (int)sim_rng_below(&events, 5);
    double staff_factor = sickness_u < 0.05 ? 0.7 : sickness_u < 0.20 ? 0.9 : 1.0;
    double surge = surge_u < 0.04 ? 1.6 : 1.0;
    double day_sum = sim_curve_sum(sim_day_curve, SIM_DAY_CURVE_SLOTS);
    double day_mean = day_sum / SIM_DAY_CURVE_SLOTS;
    double sat_sum = sim_curve_sum(sim_sat_curve, SIM_SAT_SLOTS);
    double base = model->rate * def->daily_calls * month_factor * month_start / SIM_SLOT_S;
    int last_open = -1;

    plan->slot_start[0] = tz_day_start(&model->tz, day);
    plan->slot_start[SIM_SLOTS] = tz_day_start(&model->tz, day + 1);
    for (int k = 1; k < SIM_SLOTS; k++) {
        int64_t start = sim_local_to_instant(&model->tz, day, k * SIM_SLOT_S);
        if (start < plan->slot_start[k - 1])
            start = plan->slot_start[k - 1];
        if (start > plan->slot_start[SIM_SLOTS])
            start = plan->slot_start[SIM_SLOTS];
        plan->slot_start[k] = start;
    }

    for (int k = 0; k < SIM_SLOTS; k++) {
        int curve_index = -1; /* index into the weekday curve, -1 when closed */
        bool saturday = false;
        plan->rate[k] = 0;
        plan->staff[k] = 0;
        plan->open[k] = false;
        if (model->always_open) {
            curve_index = k * SIM_DAY_CURVE_SLOTS / SIM_SLOTS;
        } else if (weekday >= 1 && weekday <= 5 && !holiday) {
            if (k >= SIM_DAY_OPEN_SLOT && k < SIM_DAY_OPEN_SLOT + SIM_DAY_CURVE_SLOTS)
                curve_index = k - SIM_DAY_OPEN_SLOT;
        } else if (weekday == 6 && def->info.saturday && !holiday) {
            if (k >= SIM_SAT_OPEN_SLOT && k < SIM_SAT_OPEN_SLOT + SIM_SAT_SLOTS)
                saturday = true;
        }
        if (curve_index < 0 && !saturday)
            continue;

        double rate, relative;
        bool lunch = false;
        if (saturday) {
            double weight = sim_sat_curve[k - SIM_SAT_OPEN_SLOT];
            rate = base * SIM_SAT_SHARE * weight / sat_sum;
            relative = SIM_SAT_SHARE * weight / sat_sum * SIM_DAY_CURVE_SLOTS;
        } else {
            double weight = sim_day_curve[curve_index];
            double factor = (weekday >= 1 && weekday <= 5) ? sim_weekday_factor[weekday] : 1.0;
            if (weekday == 1 && curve_index < 7) /* Monday morning: everything from the weekend */
                factor *= 1.12;
            if (weekday == 5 && curve_index >= 9) /* Friday afternoon */
                factor *= 0.8;
            rate = base * factor * weight / day_sum;
            relative = factor * weight / day_mean;
            lunch = curve_index >= 7 && curve_index <= 10; /* 12:00-14:00 */
        }
        int agents = sim_roster(rate * planned_share, def->aht_s, relative, lunch);
        agents = (int)ceil(agents * staff_factor);
        if (curve_index >= surge_from && curve_index < surge_to)
            rate *= surge;
        plan->rate[k] = rate;
        plan->open[k] = true;
        plan->staff[k] = agents;
        last_open = k;
    }
    /* After closing, the last roster stays to answer the callers still waiting. */
    for (int k = last_open + 1; last_open >= 0 && k < SIM_SLOTS; k++)
        plan->staff[k] = plan->staff[last_open];
    plan->staff[SIM_SLOTS] = 0;
}

/* The slot that holds an instant; -1 before the day, SIM_SLOTS after it. */
static int sim_plan_slot(const struct sim_plan *plan, int64_t instant_us)
{
    if (instant_us < plan->slot_start[0])
        return -1;
    if (instant_us >= plan->slot_start[SIM_SLOTS])
        return SIM_SLOTS;
    int low = 0, high = SIM_SLOTS - 1;
    while (low < high) { /* the last k with slot_start[k] <= instant */
        int mid = (low + high + 1) / 2;
        if (plan->slot_start[mid] <= instant_us)
            low = mid;
        else
            high = mid - 1;
    }
    return low;
}

/* ---------------------------------------------------------------- simulation */

struct sim_agent {
    int64_t free_us; /* when the current call (wrap-up included) ends */
    uint32_t id;
};

struct sim_scratch {
    struct sim_agent *heap; /* agents on duty, a min-heap by (free_us, id) */
    size_t heap_count;
    size_t heap_capacity;
    int64_t *id_busy_until; /* per agent id: when its last call ends */
    bool *id_on_duty;
    size_t id_count;
    size_t id_capacity;
    int64_t *waiting; /* when each caller still in the queue leaves it */
    size_t waiting_count;
    size_t waiting_capacity;
    /* the last plan of each queue (sim_model_is_open is called once per record) */
    struct sim_plan plans[SIM_QUEUE_COUNT];
    int32_t plan_days[SIM_QUEUE_COUNT];
    bool plan_valid[SIM_QUEUE_COUNT];
};

static const struct sim_plan *sim_plan_cached(struct sim_model *model, size_t queue_index,
                                              int32_t day)
{
    struct sim_scratch *scratch = model->scratch_internal;
    if (!scratch->plan_valid[queue_index] || scratch->plan_days[queue_index] != day) {
        sim_plan_day(model, queue_index, day, &scratch->plans[queue_index]);
        scratch->plan_days[queue_index] = day;
        scratch->plan_valid[queue_index] = true;
    }
    return &scratch->plans[queue_index];
}

static int sim_grow(void **array, size_t *capacity, size_t needed, size_t element_size)
{
    if (needed <= *capacity)
        return 0;
    size_t capacity_new = *capacity ? *capacity : 16;
    while (capacity_new < needed)
        capacity_new *= 2;
    void *grown = realloc(*array, capacity_new * element_size);
    if (!grown)
        return -1;
    *array = grown;
    *capacity = capacity_new;
    return 0;
}

static bool sim_agent_before(const struct sim_agent *a, const struct sim_agent *b)
{
    return a->free_us < b->free_us || (a->free_us == b->free_us && a->id < b->id);
}

static void sim_heap_sift_up(struct sim_agent *heap, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!sim_agent_before(&heap[i], &heap[parent]))
            break;
        struct sim_agent swap = heap[i];
        heap[i] = heap[parent];
        heap[parent] = swap;
        i = parent;
    }
}

static void sim_heap_sift_down(struct sim_agent *heap, size_t count, size_t i)
{
    for (;;) {
        size_t left = 2 * i + 1, right = left + 1, best = i;
        if (left < count && sim_agent_before(&heap[left], &heap[best]))
            best = left;
        if (right < count && sim_agent_before(&heap[right], &heap[best]))
            best = right;
        if (best == i)
            return;
        struct sim_agent swap = heap[i];
        heap[i] = heap[best];
        heap[best] = swap;
        i = best;
    }
}

static void sim_heap_remove_at(struct sim_scratch *scratch, size_t i)
{
    scratch->heap_count--;
    if (i == scratch->heap_count)
        return;
    scratch->heap[i] = scratch->heap[scratch->heap_count];
    sim_heap_sift_down(scratch->heap, scratch->heap_count, i);
    sim_heap_sift_up(scratch->heap, i);
}

/* Bring the roster to plan->staff[slot] at the slot's start: new agents are free
 * then; agents going off duty are those busy longest (they finish their call). */
static int sim_apply_roster(struct sim_scratch *scratch, const struct sim_plan *plan, int slot)
{
    size_t target = (size_t)plan->staff[slot];
    int64_t at = plan->slot_start[slot];

    while (scratch->heap_count > target) {
        size_t latest = 0;
        for (size_t i = 1; i < scratch->heap_count; i++)
            if (sim_agent_before(&scratch->heap[latest], &scratch->heap[i]))
                latest = i;
        uint32_t id = scratch->heap[latest].id;
        scratch->id_on_duty[id] = false;
        scratch->id_busy_until[id] = scratch->heap[latest].free_us;
        sim_heap_remove_at(scratch, latest);
    }
    while (scratch->heap_count < target) {
        /* The lowest id not on duty and not still finishing a call. */
        size_t id = 0;
        while (id < scratch->id_count &&
               (scratch->id_on_duty[id] || scratch->id_busy_until[id] > at))
            id++;
        if (id == scratch->id_count) {
            if (id == scratch->id_capacity) {
                size_t capacity = scratch->id_capacity ? 2 * scratch->id_capacity : 64;
                int64_t *busy = realloc(scratch->id_busy_until, capacity * sizeof *busy);
                if (!busy)
                    return -1;
                scratch->id_busy_until = busy;
                bool *on_duty = realloc(scratch->id_on_duty, capacity * sizeof *on_duty);
                if (!on_duty)
                    return -1;
                scratch->id_on_duty = on_duty;
                scratch->id_capacity = capacity;
            }
            scratch->id_count++;
        }
        scratch->id_on_duty[id] = true;
        scratch->id_busy_until[id] = at;
        if (sim_grow((void **)&scratch->heap, &scratch->heap_capacity, scratch->heap_count + 1,
                     sizeof(struct sim_agent)) < 0)
            return -1;
        scratch->heap[scratch->heap_count] = (struct sim_agent){at, (uint32_t)id};
        sim_heap_sift_up(scratch->heap, scratch->heap_count);
        scratch->heap_count++;
    }
    return 0;
}

static int64_t sim_floor_second(int64_t instant_us)
{
    int64_t rem = instant_us % SIM_US;
    return rem < 0 ? instant_us - rem - SIM_US : instant_us - rem;
}

static const char *sim_pick_reason(const struct sim_queue_def *def, struct sim_rng *rng)
{
    int total = 0;
    for (size_t i = 0; i < def->reason_count; i++)
        total += def->reasons[i].weight;
    int pick = (int)sim_rng_below(rng, (uint64_t)total);
    for (size_t i = 0; i < def->reason_count; i++) {
        if (pick < def->reasons[i].weight)
            return def->reasons[i].text;
        pick -= def->reasons[i].weight;
    }
    return def->reasons[def->reason_count - 1].text;
}

/* A fake UK mobile number: pool index n (0 <= n < 10^8) scrambled by a bijection. */
static void sim_format_caller(char out[SIM_CALLER_MAX], uint64_t n)
{
    uint64_t digits = (n * UINT64_C(48271) + UINT64_C(12345)) % UINT64_C(100000000);
    snprintf(out, SIM_CALLER_MAX, "+4479%08" PRIu64, digits);
}

static struct sim_record *sim_append(struct sim_day_cache *cache)
{
    if (sim_grow((void **)&cache->records, &cache->capacity, cache->count + 1,
                 sizeof(struct sim_record)) < 0)
        return NULL;
    struct sim_record *record = &cache->records[cache->count++];
    memset(record, 0, sizeof *record);
    return record;
}

struct sim_call_draw {
    int64_t patience_us;
    bool takes_voicemail; /* when the queue offers it */
    int64_t ring_us;
    int32_t handle_s;
    int32_t wrap_s;
    double fcr_u;
    double fcr_known_u;
    const char *reason;
    char caller[SIM_CALLER_MAX];
};

/* Every call draws the same numbers in the same order, whatever its outcome. */
static void sim_draw_call(const struct sim_model *model, const struct sim_queue_def *def,
                          struct sim_rng *rng, struct sim_call_draw *draw)
{
    double patience_s;
    if (sim_rng_uniform(rng) < 0.03) /* misdials and "press 1" hang-ups */
        patience_s = 1 + (double)sim_rng_below(rng, 5);
    else
        patience_s = fmin(fmax(sim_rng_lognormal(rng, def->patience_median_s, 0.9), 3), 7200);
    draw->patience_us = (int64_t)patience_s * SIM_US;
    draw->takes_voicemail = sim_rng_uniform(rng) < 0.3;
    draw->ring_us = (2 + (int64_t)sim_rng_below(rng, 5)) * SIM_US;

    double handle = sim_rng_lognormal(rng, def->aht_s * exp(-0.18), 0.6); /* mean ~ aht */
    handle = fmin(fmax(handle, 30), 4 * def->aht_s);
    draw->handle_s = (int32_t)lround(handle);
    int32_t wrap = 10 + (int32_t)sim_rng_below(rng, 51);
    draw->wrap_s = wrap > draw->handle_s / 3 ? draw->handle_s / 3 : wrap;
    draw->fcr_u = sim_rng_uniform(rng);
    draw->fcr_known_u = sim_rng_uniform(rng);
    draw->reason = sim_pick_reason(def, rng);

    double caller_u = sim_rng_uniform(rng);
    uint64_t frequent = (uint64_t)fmin(fmax(2500 * model->rate, 100), 1e7);
    uint64_t pick = sim_rng_below(rng, UINT64_C(100000000) - frequent);
    if (caller_u < 0.04)
        draw->caller[0] = '\0'; /* withheld */
    else if (caller_u < 0.16)
        sim_format_caller(draw->caller, pick % frequent); /* a frequent caller */
    else
        sim_format_caller(draw->caller, frequent + pick);
}

static int sim_simulate_queue_day(struct sim_model *model, size_t queue_index, int32_t day,
                                  struct sim_scratch *scratch, struct sim_day_cache *cache)
{
    const struct sim_queue_def *def = &sim_queues[queue_index];
    const struct sim_plan *plan = sim_plan_cached(model, queue_index, day);
    struct sim_rng rng;
    struct calendar_date date = calendar_civil_from_days(day);
    uint32_t agent_base = (uint32_t)(queue_index * 100 * (size_t)ceil(model->rate));
    size_t capacity = (size_t)fmax(3, ceil(def->capacity * model->rate));
    int64_t max_wait_us = (int64_t)def->max_wait_s * SIM_US;
    uint32_t sequence = 0;
    int applied = 0;

    sim_rng_seed(&rng, sim_day_seed(model->seed, queue_index, day));
    scratch->heap_count = 0;
    scratch->waiting_count = 0;
    for (size_t i = 0; i < scratch->id_count; i++) {
        scratch->id_on_duty[i] = false;
        scratch->id_busy_until[i] = INT64_MIN;
    }
    if (sim_apply_roster(scratch, plan, 0) < 0)
        return -1;

    for (int k = 0; k < SIM_SLOTS; k++) {
        if (!plan->open[k] || plan->rate[k] <= 0)
            continue;
        double length_s = (double)(plan->slot_start[k + 1] - plan->slot_start[k]) / SIM_US;
        double mean_gap_s = 1.0 / plan->rate[k];
        double at_s = 0;
        for (;;) {
            at_s += sim_rng_exponential(&rng, mean_gap_s);
            if (at_s >= length_s)
                break;
            int64_t offered = sim_floor_second(plan->slot_start[k] + (int64_t)(at_s * 1e6));
            struct sim_call_draw draw;
            sim_draw_call(model, def, &rng, &draw);

            /* Who is still waiting when this caller arrives. */
            size_t kept = 0;
            for (size_t i = 0; i < scratch->waiting_count; i++)
                if (scratch->waiting[i] > offered)
                    scratch->waiting[kept++] = scratch->waiting[i];
            scratch->waiting_count = kept;

            struct sim_record *record = sim_append(cache);
            if (!record)
                return -1;
            record->queue = def->info.name;
            record->channel = "phone";
            record->offered_us = offered;
            record->handle_s = -1;
            record->first_contact_resolved = -1;
            record->reason = draw.reason;
            record->queue_index = (uint32_t)queue_index;
            record->sequence = ++sequence;
            memcpy(record->caller, draw.caller, sizeof record->caller);
            snprintf(record->id, sizeof record->id, "sim-%" PRIu64 "-%04d%02d%02d-%s-%" PRIu32,
                     model->seed, date.year, date.month, date.day, def->info.name, sequence);

            if (scratch->waiting_count >= capacity) {
                record->outcome = SIM_OUTCOME_REFUSED;
                record->ended_us = offered;
                continue;
            }

            /* The first moment an agent can take the call: FIFO, so every earlier
             * caller has been placed already; roster changes are applied in time order
             * (the candidate never goes backwards from one caller to the next). */
            int64_t candidate;
            for (;;) {
                int64_t agent_free = scratch->heap_count ? scratch->heap[0].free_us : SIM_NEVER;
                candidate = agent_free > offered ? agent_free : offered;
                if (applied < SIM_SLOTS && plan->slot_start[applied + 1] <= candidate) {
                    applied++;
                    if (sim_apply_roster(scratch, plan, applied) < 0)
                        return -1;
                    continue;
                }
                break;
            }

            /* The system ends the wait at the time-out, or earlier when the caller
             * takes the voicemail offer; the caller ends it when patience runs out. */
            int64_t system_end_us = max_wait_us;
            if (def->voicemail_s > 0 && draw.takes_voicemail &&
                (int64_t)def->voicemail_s * SIM_US < system_end_us)
                system_end_us = (int64_t)def->voicemail_s * SIM_US;
            int64_t limit = draw.patience_us < system_end_us ? draw.patience_us : system_end_us;
            int64_t leaves;
            if (candidate != SIM_NEVER && candidate + draw.ring_us - offered <= limit) {
                int64_t answered = candidate + draw.ring_us;
                struct sim_agent *agent = &scratch->heap[0];
                uint32_t id = agent->id;
                agent->free_us = answered + (int64_t)draw.handle_s * SIM_US;
                sim_heap_sift_down(scratch->heap, scratch->heap_count, 0);
                record->outcome = SIM_OUTCOME_ANSWERED;
                record->answered_us = answered;
                record->ended_us = answered + (int64_t)(draw.handle_s - draw.wrap_s) * SIM_US;
                record->handle_s = draw.handle_s;
                double fcr = def->fcr - (answered - offered > 600 * SIM_US ? 0.05 : 0);
                record->first_contact_resolved =
                    draw.fcr_known_u < 0.02 ? -1 : (draw.fcr_u < fcr ? 1 : 0);
                snprintf(record->agent, sizeof record->agent, "agent-%02" PRIu32,
                         agent_base + id + 1);
                leaves = answered;
            } else if (draw.patience_us < system_end_us) {
                record->outcome = SIM_OUTCOME_ABANDONED;
                record->ended_us = offered + draw.patience_us;
                leaves = record->ended_us;
            } else {
                record->outcome = SIM_OUTCOME_TIMEOUT;
                record->ended_us = offered + system_end_us;
                leaves = record->ended_us;
            }
            if (sim_grow((void **)&scratch->waiting, &scratch->waiting_capacity,
                         scratch->waiting_count + 1, sizeof(int64_t)) < 0)
                return -1;
            scratch->waiting[scratch->waiting_count++] = leaves;
        }
    }
    return 0;
}

static int sim_record_compare(const void *a, const void *b)
{
    const struct sim_record *x = a, *y = b;
    if (x->offered_us != y->offered_us)
        return x->offered_us < y->offered_us ? -1 : 1;
    if (x->queue_index != y->queue_index)
        return x->queue_index < y->queue_index ? -1 : 1;
    return x->sequence < y->sequence ? -1 : (x->sequence > y->sequence);
}

/* The records of a local day, simulated unless one of the cached days. */
static struct sim_day_cache *sim_day(struct sim_model *model, int32_t day, struct ccm_error *error)
{
    struct sim_day_cache *cache = NULL;
    for (size_t i = 0; i < 2; i++)
        if (model->cache[i].valid && model->cache[i].day == day)
            cache = &model->cache[i];
    if (!cache) {
        cache = model->cache[0].used <= model->cache[1].used ? &model->cache[0] : &model->cache[1];
        cache->valid = false;
        cache->count = 0;
        for (size_t q = 0; q < SIM_QUEUE_COUNT; q++) {
            if (sim_simulate_queue_day(model, q, day, model->scratch_internal, cache) < 0) {
                cache->count = 0;
                ccm_error_set(error, "sim: out of memory simulating local day %" PRId32, day);
                return NULL;
            }
        }
        if (cache->count > 1) /* a closed day has no records (and maybe no array) */
            qsort(cache->records, cache->count, sizeof *cache->records, sim_record_compare);
        cache->valid = true;
        cache->day = day;
    }
    cache->used = ++model->cache_clock;
    return cache;
}

static void sim_cache_clear(struct sim_model *model)
{
    struct sim_scratch *scratch = model->scratch_internal;
    model->cache[0].valid = false;
    model->cache[1].valid = false;
    if (scratch)
        memset(scratch->plan_valid, 0, sizeof scratch->plan_valid);
}

/* ---------------------------------------------------------------- the model */

int sim_model_init(struct sim_model *model, uint64_t seed, double rate_multiplier,
                   struct ccm_error *error)
{
    memset(model, 0, sizeof *model);
    if (!(rate_multiplier > 0 && rate_multiplier <= SIM_RATE_MAX))
        return ccm_error_set(error, "sim: rate multiplier %g is out of range (0, %g]",
                             rate_multiplier, SIM_RATE_MAX);
    model->scratch_internal = calloc(1, sizeof(struct sim_scratch));
    if (!model->scratch_internal)
        return ccm_error_set(error, "sim: out of memory");
    model->seed = seed;
    model->rate = rate_multiplier;
    tz_rule_europe_london(&model->tz);
    return 0;
}

void sim_model_free(struct sim_model *model)
{
    struct sim_scratch *scratch = model->scratch_internal;
    if (scratch) {
        free(scratch->heap);
        free(scratch->id_busy_until);
        free(scratch->id_on_duty);
        free(scratch->waiting);
        free(scratch);
    }
    free(model->cache[0].records);
    free(model->cache[1].records);
    memset(model, 0, sizeof *model);
}

void sim_model_set_tz(struct sim_model *model, const struct tz_rule *rule)
{
    model->tz = *rule;
    sim_cache_clear(model);
}

void sim_model_set_always_open(struct sim_model *model, bool always_open)
{
    model->always_open = always_open;
    sim_cache_clear(model);
}

bool sim_model_is_open(struct sim_model *model, size_t queue_index, int64_t instant_us)
{
    if (queue_index >= SIM_QUEUE_COUNT)
        return false;
    const struct sim_plan *plan =
        sim_plan_cached(model, queue_index, tz_local_day(&model->tz, instant_us));
    int slot = sim_plan_slot(plan, instant_us);
    return slot >= 0 && slot < SIM_SLOTS && plan->open[slot];
}

int sim_model_agents(struct sim_model *model, size_t queue_index, int64_t instant_us)
{
    if (queue_index >= SIM_QUEUE_COUNT)
        return 0;
    const struct sim_plan *plan =
        sim_plan_cached(model, queue_index, tz_local_day(&model->tz, instant_us));
    int slot = sim_plan_slot(plan, instant_us);
    return slot >= 0 && slot < SIM_SLOTS && plan->open[slot] ? plan->staff[slot] : 0;
}

double sim_model_expected_calls(struct sim_model *model, int64_t from_us, int64_t to_us)
{
    double expected = 0;
    if (to_us <= from_us)
        return 0;
    int32_t end_day = tz_local_day(&model->tz, to_us - 1) + 1;
    for (int32_t day = tz_local_day(&model->tz, from_us); day < end_day; day++) {
        for (size_t q = 0; q < SIM_QUEUE_COUNT; q++) {
            const struct sim_plan *plan = sim_plan_cached(model, q, day);
            for (int k = 0; k < SIM_SLOTS; k++) {
                int64_t start = plan->slot_start[k] > from_us ? plan->slot_start[k] : from_us;
                int64_t end = plan->slot_start[k + 1] < to_us ? plan->slot_start[k + 1] : to_us;
                if (plan->open[k] && end > start)
                    expected += plan->rate[k] * (double)(end - start) / SIM_US;
            }
        }
    }
    return expected;
}

/* ---------------------------------------------------------------- iteration */

void sim_cursor_init(struct sim_cursor *cursor, struct sim_model *model, int64_t from_us,
                     int64_t to_us)
{
    cursor->from_us = from_us;
    cursor->to_us = to_us;
    cursor->index = 0;
    if (to_us <= from_us) {
        cursor->day = cursor->end_day = 0;
        return;
    }
    cursor->day = tz_local_day(&model->tz, from_us);
    cursor->end_day = tz_local_day(&model->tz, to_us - 1) + 1;
}

int sim_cursor_next(struct sim_model *model, struct sim_cursor *cursor,
                    const struct sim_record **record, struct ccm_error *error)
{
    while (cursor->day < cursor->end_day) {
        struct sim_day_cache *cache = sim_day(model, cursor->day, error);
        if (!cache)
            return -1;
        if (cursor->index == 0) { /* skip to the first record offered at or after from */
            size_t low = 0, high = cache->count;
            while (low < high) {
                size_t mid = low + (high - low) / 2;
                if (cache->records[mid].offered_us < cursor->from_us)
                    low = mid + 1;
                else
                    high = mid;
            }
            cursor->index = low;
        }
        if (cursor->index < cache->count) {
            const struct sim_record *next = &cache->records[cursor->index];
            if (next->offered_us >= cursor->to_us) { /* later days are later still */
                cursor->day = cursor->end_day;
                return 0;
            }
            cursor->index++;
            *record = next;
            return 1;
        }
        cursor->day++;
        cursor->index = 0;
    }
    return 0;
}

int sim_generate(struct sim_model *model, int64_t from_us, int64_t to_us, sim_record_fn fn,
                 void *user_data, struct ccm_error *error)
{
    struct sim_cursor cursor;
    const struct sim_record *record;
    int status;
    sim_cursor_init(&cursor, model, from_us, to_us);
    while ((status = sim_cursor_next(model, &cursor, &record, error)) == 1) {
        int stop = fn(record, user_data);
        if (stop)
            return stop;
    }
    return status;
}

/* ---------------------------------------------------------------- records */

int64_t sim_record_wait_us(const struct sim_record *record)
{
    if (record->outcome == SIM_OUTCOME_ANSWERED)
        return record->answered_us - record->offered_us;
    return record->ended_us - record->offered_us;
}

struct sim_writer {
    char *out;
    size_t size;
    size_t length;
    bool overflow;
};

static void sim_put(struct sim_writer *writer, const char *text, size_t length)
{
    if (writer->overflow || writer->size - writer->length <= length) {
        writer->overflow = true;
        return;
    }
    memcpy(writer->out + writer->length, text, length);
    writer->length += length;
}

static void sim_put_text(struct sim_writer *writer, const char *text)
{
    sim_put(writer, text, strlen(text));
}

/* A JSON string (the model's strings are plain ASCII; escaping keeps it valid anyway). */
static void sim_put_string(struct sim_writer *writer, const char *text)
{
    sim_put(writer, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        char escaped[8];
        if (*p == '"' || *p == '\\') {
            escaped[0] = '\\';
            escaped[1] = (char)*p;
            sim_put(writer, escaped, 2);
        } else if (*p < 0x20) {
            snprintf(escaped, sizeof escaped, "\\u%04x", *p);
            sim_put(writer, escaped, 6);
        } else {
            sim_put(writer, (const char *)p, 1);
        }
    }
    sim_put(writer, "\"", 1);
}

static void sim_put_field(struct sim_writer *writer, const char *key, const char *value)
{
    sim_put_text(writer, ",\"");
    sim_put_text(writer, key);
    sim_put_text(writer, "\":");
    sim_put_string(writer, value);
}

static void sim_put_instant(struct sim_writer *writer, const char *key, int64_t instant_us)
{
    char text[32];
    calendar_format_rfc3339_utc(instant_us, text);
    sim_put_field(writer, key, text);
}

/* handle_s and first_contact_resolved, when the record has them. */
static void sim_put_handle_and_resolution(struct sim_writer *writer,
                                          const struct sim_record *record)
{
    char number[32];
    if (record->handle_s >= 0) {
        snprintf(number, sizeof number, ",\"handle_s\":%" PRId32, record->handle_s);
        sim_put_text(writer, number);
    }
    if (record->first_contact_resolved >= 0)
        sim_put_text(writer, record->first_contact_resolved ? ",\"first_contact_resolved\":true"
                                                            : ",\"first_contact_resolved\":false");
}

/* Closes the object and the line; the length written, or -1 when it did not fit. */
static int sim_finish_line(struct sim_writer *writer, char *out)
{
    sim_put_text(writer, "}\n");
    if (writer->overflow) {
        out[0] = '\0';
        return -1;
    }
    out[writer->length] = '\0';
    return (int)writer->length;
}

int sim_format_ndjson(const struct sim_record *record, char *out, size_t size)
{
    struct sim_writer writer = {out, size, 0, false};
    bool answered = record->outcome == SIM_OUTCOME_ANSWERED;

    if (size == 0)
        return -1;
    sim_put_text(&writer, "{\"id\":");
    sim_put_string(&writer, record->id);
    sim_put_field(&writer, "queue", record->queue);
    sim_put_field(&writer, "channel", record->channel);
    sim_put_instant(&writer, "offered_at", record->offered_us);
    if (answered)
        sim_put_instant(&writer, "answered_at", record->answered_us);
    sim_put_instant(&writer, "ended_at", record->ended_us);
    sim_put_field(&writer, "outcome", sim_outcome_name(record->outcome));
    sim_put_handle_and_resolution(&writer, record);
    if (record->caller[0])
        sim_put_field(&writer, "caller", record->caller);
    sim_put_field(&writer, "reason", record->reason);
    if (record->agent[0])
        sim_put_field(&writer, "agent", record->agent);
    return sim_finish_line(&writer, out);
}

int sim_format_lifecycle(const struct sim_record *record, enum sim_lifecycle_step step, char *out,
                         size_t size)
{
    struct sim_writer writer = {out, size, 0, false};

    if (size == 0)
        return -1;
    switch (step) {
    case SIM_LIFECYCLE_OFFERED:
        sim_put_text(&writer, "{\"type\":\"call.offered\",\"id\":");
        sim_put_string(&writer, record->id);
        sim_put_field(&writer, "queue", record->queue);
        sim_put_field(&writer, "channel", record->channel);
        sim_put_instant(&writer, "at", record->offered_us);
        if (record->caller[0])
            sim_put_field(&writer, "caller", record->caller);
        break;
    case SIM_LIFECYCLE_ANSWERED:
        sim_put_text(&writer, "{\"type\":\"call.answered\",\"id\":");
        sim_put_string(&writer, record->id);
        sim_put_instant(&writer, "at", record->answered_us);
        if (record->agent[0])
            sim_put_field(&writer, "agent", record->agent);
        break;
    case SIM_LIFECYCLE_ENDED:
        sim_put_text(&writer, "{\"type\":\"call.ended\",\"id\":");
        sim_put_string(&writer, record->id);
        sim_put_instant(&writer, "at", record->ended_us);
        sim_put_field(&writer, "outcome", sim_outcome_name(record->outcome));
        sim_put_handle_and_resolution(&writer, record);
        break;
    }
    return sim_finish_line(&writer, out);
}
