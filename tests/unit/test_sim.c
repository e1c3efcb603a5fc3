/*
 * test_sim: the simulation model behind ccmetrics-sim (lib/sim.c). Checks the
 * PRNG, determinism (same seed -> same bytes; a range cut in two gives the
 * same calls), order, opening hours, record consistency, a plausible outcome
 * mix over a month, the shape of the arrival curve, and the NDJSON form.
 */
#include "unit.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>

#include "calendar.h"
#include "event.h"
#include "sim.h"
#include "tz.h"

#define US INT64_C(1000000)

static int64_t local_instant(const struct sim_model *model, int year, int month, int day, int hour,
                             int minute)
{
    int32_t days = calendar_days_from_civil(year, month, day);
    int64_t start = tz_day_start(&model->tz, days);
    /* No clock change falls inside the opening hours of the days used here. */
    return start + ((int64_t)hour * 3600 + minute * 60) * US;
}

static int local_seconds_of_day(const struct sim_model *model, int64_t instant_us)
{
    int64_t local_s = instant_us / US + tz_offset_at(&model->tz, instant_us);
    return (int)(((local_s % 86400) + 86400) % 86400);
}

static int local_weekday(const struct sim_model *model, int64_t instant_us)
{
    return calendar_weekday(tz_local_day(&model->tz, instant_us));
}

/* ---- PRNG ---- */

static void test_rng(void)
{
    struct sim_rng a, b, c;
    sim_rng_seed(&a, 7);
    sim_rng_seed(&b, 7);
    sim_rng_seed(&c, 8);
    int same = 1, differs = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sim_rng_next(&a), y = sim_rng_next(&b), z = sim_rng_next(&c);
        same &= x == y;
        differs |= x != z;
    }
    CHECK(same);
    CHECK(differs);

    double sum = 0, exp_sum = 0, normal_sum = 0, normal_sq = 0;
    int in_range = 1, below_ok = 1;
    int counts[6] = {0};
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = sim_rng_uniform(&a);
        in_range &= u >= 0.0 && u < 1.0;
        sum += u;
        exp_sum += sim_rng_exponential(&a, 3.0);
        double z = sim_rng_normal(&a);
        normal_sum += z;
        normal_sq += z * z;
        uint64_t k = sim_rng_below(&a, 6);
        below_ok &= k < 6;
        if (k < 6)
            counts[k]++;
    }
    CHECK(in_range);
    CHECK(below_ok);
    CHECK_MSG(fabs(sum / n - 0.5) < 0.01, "uniform mean %g", sum / n);
    CHECK_MSG(fabs(exp_sum / n - 3.0) < 0.05, "exponential mean %g", exp_sum / n);
    CHECK_MSG(fabs(normal_sum / n) < 0.02, "normal mean %g", normal_sum / n);
    CHECK_MSG(fabs(normal_sq / n - 1.0) < 0.02, "normal variance %g", normal_sq / n);
    for (int k = 0; k < 6; k++)
        CHECK_MSG(fabs(counts[k] / (double)n - 1.0 / 6) < 0.01, "below(6) face %d: %d", k,
                  counts[k]);
    double median_hits = 0;
    for (int i = 0; i < 20000; i++)
        median_hits += sim_rng_lognormal(&a, 100.0, 0.8) < 100.0;
    CHECK_MSG(fabs(median_hits / 20000 - 0.5) < 0.02, "lognormal median share %g",
              median_hits / 20000);
}

/* ---- queues ---- */

static void test_queues(void)
{
    size_t count = sim_queue_count();
    CHECK(count >= 6);
    CHECK(sim_queue_info(count) == NULL);
    int revenues = 0, environment = 0, housing = 0, registration = 0;
    for (size_t i = 0; i < count; i++) {
        const struct sim_queue_info *info = sim_queue_info(i);
        CHECK(info && info->name && info->service);
        CHECK(info->sl_threshold_s > 0);
        CHECK(info->short_abandon_s >= 0);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(strcmp(info->name, sim_queue_info(j)->name) != 0, "queue %s twice",
                      info->name);
        revenues += strcmp(info->service, "revenues") == 0;
        environment += strcmp(info->service, "environment") == 0;
        housing += strcmp(info->service, "housing") == 0;
        registration += strcmp(info->service, "registration") == 0;
        if (strcmp(info->name, "council-tax") == 0 || strcmp(info->name, "benefits") == 0)
            CHECK_STR(info->service, "revenues");
        if (strcmp(info->name, "bins") == 0)
            CHECK_STR(info->service, "environment");
    }
    CHECK(revenues >= 2);
    CHECK(environment >= 2);
    CHECK(housing >= 1);
    CHECK(registration >= 1);
    CHECK_STR(sim_outcome_name(SIM_OUTCOME_ANSWERED), "answered");
    CHECK_STR(sim_outcome_name(SIM_OUTCOME_ABANDONED), "abandoned");
    CHECK_STR(sim_outcome_name(SIM_OUTCOME_TIMEOUT), "timeout");
    CHECK_STR(sim_outcome_name(SIM_OUTCOME_REFUSED), "refused");
}

static void test_init(void)
{
    struct sim_model model;
    struct ccm_error error;
    CHECK_INT(sim_model_init(&model, 1, 0.0, &error), -1);
    CHECK(strstr(error.message, "rate") != NULL);
    sim_model_free(&model);
    CHECK_INT(sim_model_init(&model, 1, -1.0, &error), -1);
    sim_model_free(&model);
    CHECK_INT(sim_model_init(&model, 1, NAN, &error), -1);
    sim_model_free(&model);
    CHECK_INT(sim_model_init(&model, 1, SIM_RATE_MAX * 2, &error), -1);
    sim_model_free(&model);
    CHECK_INT(sim_model_init(&model, 1, 0.5, &error), 0);
    sim_model_free(&model);
}

/* ---- determinism ---- */

struct digest {
    uint64_t hash;
    size_t count;
    char first[SIM_NDJSON_MAX];
    char last[SIM_NDJSON_MAX];
};

static int digest_record(const struct sim_record *record, void *user_data)
{
    struct digest *digest = user_data;
    char line[SIM_NDJSON_MAX];
    int length = sim_format_ndjson(record, line, sizeof line);
    if (length < 0)
        return 1;
    for (int i = 0; i < length; i++)
        digest->hash = (digest->hash ^ (unsigned char)line[i]) * UINT64_C(0x100000001b3);
    if (digest->count == 0)
        memcpy(digest->first, line, (size_t)length + 1);
    memcpy(digest->last, line, (size_t)length + 1);
    digest->count++;
    return 0;
}

static void digest_range(uint64_t seed, double rate, int64_t from, int64_t to,
                         struct digest *digest)
{
    struct sim_model model;
    struct ccm_error error;
    CHECK_INT(sim_model_init(&model, seed, rate, &error), 0);
    CHECK_INT(sim_generate(&model, from, to, digest_record, digest, &error), 0);
    sim_model_free(&model);
}

static void test_determinism(void)
{
    struct sim_model model;
    struct ccm_error error;
    sim_model_init(&model, 1, 1.0, &error);
    int64_t from = local_instant(&model, 2026, 10, 5, 0, 0);
    int64_t mid = local_instant(&model, 2026, 10, 7, 11, 17);
    int64_t to = local_instant(&model, 2026, 10, 10, 0, 0);
    sim_model_free(&model);

    struct digest a = {0xcbf29ce484222325u, 0, "", ""};
    struct digest b = a, c = a, d = a;
    digest_range(42, 1.0, from, to, &a);
    digest_range(42, 1.0, from, to, &b);
    digest_range(43, 1.0, from, to, &c);
    CHECK(a.count > 10000);
    CHECK_INT(a.count, b.count);
    CHECK(a.hash == b.hash);
    CHECK_STR(a.first, b.first);
    CHECK(a.hash != c.hash);
    CHECK(strcmp(a.first, c.first) != 0);

    /* The same range cut in two, mid-morning: the same calls, byte for byte. */
    digest_range(42, 1.0, from, mid, &d);
    digest_range(42, 1.0, mid, to, &d);
    CHECK_INT(d.count, a.count);
    CHECK(d.hash == a.hash);
    CHECK_STR(d.last, a.last);

    /* The first record: its id names the seed, the local date and the queue. */
    CHECK(strncmp(a.first, "{\"id\":\"sim-42-20261005-", 23) == 0);
}

/* Two cursors interleaved on one model give what each gives alone. */
static void test_cursor_interleave(void)
{
    struct sim_model model;
    struct ccm_error error;
    sim_model_init(&model, 9, 0.5, &error);
    int64_t day1 = local_instant(&model, 2026, 11, 2, 0, 0);
    int64_t day2 = local_instant(&model, 2026, 11, 3, 0, 0);
    int64_t day3 = local_instant(&model, 2026, 11, 4, 0, 0);
    struct sim_cursor first, second;
    sim_cursor_init(&first, &model, day1, day2);
    sim_cursor_init(&second, &model, day2, day3);
    const struct sim_record *record;
    size_t count_first = 0, count_second = 0;
    int ordered = 1, inside = 1;
    int64_t last_first = 0, last_second = 0;
    for (;;) {
        int got_first = sim_cursor_next(&model, &first, &record, &error);
        if (got_first == 1) {
            inside &= record->offered_us >= day1 && record->offered_us < day2;
            ordered &= record->offered_us >= last_first;
            last_first = record->offered_us;
            count_first++;
        }
        int got_second = sim_cursor_next(&model, &second, &record, &error);
        if (got_second == 1) {
            inside &= record->offered_us >= day2 && record->offered_us < day3;
            ordered &= record->offered_us >= last_second;
            last_second = record->offered_us;
            count_second++;
        }
        if (got_first != 1 && got_second != 1)
            break;
    }
    CHECK(ordered);
    CHECK(inside);
    struct digest one = {0, 0, "", ""}, two = {0, 0, "", ""};
    digest_range(9, 0.5, day1, day2, &one);
    digest_range(9, 0.5, day2, day3, &two);
    CHECK_INT(count_first, one.count);
    CHECK_INT(count_second, two.count);
    /* An empty range yields nothing. */
    struct sim_cursor empty;
    sim_cursor_init(&empty, &model, day2, day2);
    CHECK_INT(sim_cursor_next(&model, &empty, &record, &error), 0);
    sim_model_free(&model);
}

/* ---- a month ---- */

struct month_stats {
    const struct sim_model *model;
    size_t count;
    size_t outcome[SIM_OUTCOME_COUNT];
    size_t short_abandons;       /* abandoned, wait < 5 s */
    size_t short_abandons_queue; /* ... on a queue with short_abandon_s set */
    size_t handled_denominator;
    int64_t last_offered;
    int ordered;
    int consistent;
    int open_ok;
    int whole_seconds;
    char first_bad[200];
    size_t hour_9_10;
    size_t hour_16_17;
    size_t weekday_calls[7];
    size_t weekday_days[7][32]; /* day-of-month seen, per weekday */
    size_t council_tax_by_working_day[24];
    size_t with_caller;
    size_t fcr_known, fcr_yes;
    int32_t queue_day_sequence[16];
    int32_t queue_day[16];
    int sequence_ok;
};

static void month_bad(struct month_stats *stats, const struct sim_record *record, const char *what)
{
    if (!stats->first_bad[0])
        snprintf(stats->first_bad, sizeof stats->first_bad, "%s: %s", record->id, what);
}

static int month_record(const struct sim_record *record, void *user_data)
{
    struct month_stats *stats = user_data;
    const struct sim_model *model = stats->model;
    const struct sim_queue_info *info = sim_queue_info(record->queue_index);
    int64_t wait = sim_record_wait_us(record);

    stats->count++;
    stats->outcome[record->outcome]++;
    if (record->offered_us < stats->last_offered) {
        stats->ordered = 0;
        month_bad(stats, record, "out of order");
    }
    stats->last_offered = record->offered_us;
    if (record->offered_us % US || record->ended_us % US ||
        (record->outcome == SIM_OUTCOME_ANSWERED && record->answered_us % US))
        stats->whole_seconds = 0;

    /* Consistency of instants and fields with the outcome. */
    int ok = record->ended_us >= record->offered_us && wait >= 0 && record->reason &&
             record->reason[0] && strcmp(record->channel, "phone") == 0 &&
             strcmp(record->queue, info->name) == 0;
    switch (record->outcome) {
    case SIM_OUTCOME_ANSWERED:
        ok &= record->answered_us >= record->offered_us;
        ok &= record->ended_us >= record->answered_us;
        ok &= record->handle_s >= 30 && record->agent[0] != '\0';
        ok &= strncmp(record->agent, "agent-", 6) == 0;
        ok &= record->first_contact_resolved >= -1 && record->first_contact_resolved <= 1;
        ok &= wait <= 900 * US;
        if (record->first_contact_resolved >= 0) {
            stats->fcr_known++;
            stats->fcr_yes += (size_t)record->first_contact_resolved;
        }
        break;
    case SIM_OUTCOME_ABANDONED:
        ok &= record->handle_s == -1 && record->agent[0] == '\0';
        ok &= record->first_contact_resolved == -1;
        ok &= wait > 0 && wait <= 900 * US;
        break;
    case SIM_OUTCOME_TIMEOUT:
        ok &= record->handle_s == -1 && record->agent[0] == '\0';
        ok &= wait > 0 && wait <= 900 * US;
        break;
    case SIM_OUTCOME_REFUSED:
        ok &= record->handle_s == -1 && record->agent[0] == '\0';
        ok &= wait == 0;
        break;
    }
    if (!ok) {
        stats->consistent = 0;
        month_bad(stats, record, "inconsistent");
    }
    if (record->outcome == SIM_OUTCOME_ABANDONED && wait < 5 * US) {
        stats->short_abandons++;
        if (info->short_abandon_s > 0)
            stats->short_abandons_queue++;
    }
    if (record->caller[0]) {
        stats->with_caller++;
        if (strncmp(record->caller, "+4479", 5) != 0 || strlen(record->caller) != 13)
            month_bad(stats, record, "caller format");
    }

    /* Opening hours: Mon-Fri 08:30-17:00, Saturday 09:00-12:00 on some queues. */
    int seconds = local_seconds_of_day(model, record->offered_us);
    int weekday = local_weekday(model, record->offered_us);
    int open =
        (weekday >= 1 && weekday <= 5 && seconds >= 8 * 3600 + 1800 && seconds < 17 * 3600) ||
        (weekday == 6 && info->saturday && seconds >= 9 * 3600 && seconds < 12 * 3600);
    if (!open ||
        !sim_model_is_open((struct sim_model *)model, record->queue_index, record->offered_us)) {
        stats->open_ok = 0;
        month_bad(stats, record, "offered while closed");
    }
    if (weekday >= 1 && weekday <= 5) {
        if (seconds >= 9 * 3600 && seconds < 10 * 3600)
            stats->hour_9_10++;
        if (seconds >= 16 * 3600 && seconds < 17 * 3600)
            stats->hour_16_17++;
    }
    stats->weekday_calls[weekday]++;
    struct calendar_date date =
        calendar_civil_from_days(tz_local_day(&model->tz, record->offered_us));
    stats->weekday_days[weekday][date.day] = 1;
    if (strcmp(record->queue, "council-tax") == 0 && weekday >= 1 && weekday <= 5) {
        int working = 0;
        for (int d = 1; d <= date.day; d++) {
            int w = calendar_weekday(calendar_days_from_civil(date.year, date.month, d));
            working += w >= 1 && w <= 5;
        }
        if (working < 24)
            stats->council_tax_by_working_day[working]++;
    }

    /* Per queue and local day, sequence numbers run 1, 2, 3, ... in offered order. */
    int32_t day = tz_local_day(&model->tz, record->offered_us);
    if (stats->queue_day[record->queue_index] != day) {
        stats->queue_day[record->queue_index] = day;
        stats->queue_day_sequence[record->queue_index] = 0;
    }
    if (record->sequence != (uint32_t)++stats->queue_day_sequence[record->queue_index]) {
        stats->sequence_ok = 0;
        month_bad(stats, record, "sequence");
    }
    return 0;
}

static void test_month(void)
{
    struct sim_model model;
    struct ccm_error error;
    struct month_stats stats;
    CHECK_INT(sim_model_init(&model, 2026, 1.0, &error), 0);
    memset(&stats, 0, sizeof stats);
    stats.model = &model;
    stats.ordered = stats.consistent = stats.open_ok = stats.whole_seconds = 1;
    stats.sequence_ok = 1;
    for (int q = 0; q < 16; q++)
        stats.queue_day[q] = INT32_MIN;
    int64_t from = local_instant(&model, 2026, 10, 1, 0, 0);
    int64_t to = local_instant(&model, 2026, 11, 1, 0, 0);
    CHECK_INT(sim_generate(&model, from, to, month_record, &stats, &error), 0);

    CHECK_MSG(stats.ordered, "order: %s", stats.first_bad);
    CHECK_MSG(stats.consistent, "consistency: %s", stats.first_bad);
    CHECK_MSG(stats.open_ok, "opening hours: %s", stats.first_bad);
    CHECK_MSG(stats.sequence_ok, "sequence: %s", stats.first_bad);
    CHECK_MSG(!stats.first_bad[0], "first problem: %s", stats.first_bad);
    CHECK(stats.whole_seconds);

    /* Volume: a large council, ~7,000 calls a weekday; the expectation matches. */
    double expected = sim_model_expected_calls(&model, from, to);
    CHECK_MSG(stats.count > 100000 && stats.count < 250000, "calls in October: %zu", stats.count);
    CHECK_MSG(fabs(stats.count - expected) < 0.03 * expected, "calls %zu, expected %.0f",
              stats.count, expected);
    CHECK_INT(stats.weekday_calls[0], 0); /* closed on Sundays */

    /* The outcome mix of a real council centre. */
    size_t refused = stats.outcome[SIM_OUTCOME_REFUSED];
    double denominator = (double)(stats.count - refused - stats.short_abandons_queue);
    double answered_pct = 100.0 * stats.outcome[SIM_OUTCOME_ANSWERED] / denominator;
    double abandoned_pct = 100.0 * stats.outcome[SIM_OUTCOME_ABANDONED] / stats.count;
    double timeout_pct = 100.0 * stats.outcome[SIM_OUTCOME_TIMEOUT] / stats.count;
    double refused_pct = 100.0 * refused / stats.count;
    double short_pct = 100.0 * stats.short_abandons / stats.count;
    printf("month: %zu calls; answered %.2f%% (of handled), abandoned %.2f%%, short "
           "abandons %.2f%%, timeouts %zu (%.2f%%), refused %zu (%.2f%%)\n",
           stats.count, answered_pct, abandoned_pct, short_pct, stats.outcome[SIM_OUTCOME_TIMEOUT],
           timeout_pct, refused, refused_pct);
    CHECK_MSG(answered_pct >= 75 && answered_pct <= 95, "answered %.2f%%", answered_pct);
    CHECK_MSG(abandoned_pct >= 3 && abandoned_pct <= 20, "abandoned %.2f%%", abandoned_pct);
    CHECK_MSG(short_pct >= 0.5 && short_pct <= 5, "short abandons %.2f%%", short_pct);
    CHECK_MSG(stats.outcome[SIM_OUTCOME_TIMEOUT] > 0 && timeout_pct < 2, "timeouts %.2f%%",
              timeout_pct);
    CHECK_MSG(refused > 0 && refused_pct < 2, "refused %.2f%%", refused_pct);
    double fcr_pct = 100.0 * stats.fcr_yes / stats.fcr_known;
    CHECK_MSG(fcr_pct >= 70 && fcr_pct <= 90, "fcr %.2f%%", fcr_pct);
    CHECK(stats.fcr_known < stats.outcome[SIM_OUTCOME_ANSWERED]); /* some unknown */
    CHECK(stats.with_caller < stats.count);                       /* some withheld */
    CHECK(stats.with_caller > stats.count * 9 / 10);

    /* The curve: the morning peak is far busier than the last hour; Mondays are busier
     * than Fridays (per day); council tax rushes on the first working days. */
    CHECK_MSG(stats.hour_9_10 > 2 * stats.hour_16_17, "09-10: %zu, 16-17: %zu", stats.hour_9_10,
              stats.hour_16_17);
    size_t mondays = 0, fridays = 0;
    for (int d = 0; d < 32; d++) {
        mondays += stats.weekday_days[1][d];
        fridays += stats.weekday_days[5][d];
    }
    CHECK(mondays > 0 && fridays > 0);
    if (mondays && fridays) {
        double monday = (double)stats.weekday_calls[1] / mondays;
        double friday = (double)stats.weekday_calls[5] / fridays;
        CHECK_MSG(monday > 1.25 * friday, "per Monday %.0f, per Friday %.0f", monday, friday);
    }
    double later = 0;
    for (int w = 8; w < 20; w++)
        later += stats.council_tax_by_working_day[w];
    later /= 12;
    CHECK_MSG(stats.council_tax_by_working_day[1] > 1.3 * later,
              "council tax on the first working day %zu, a later one %.0f",
              stats.council_tax_by_working_day[1], later);
    sim_model_free(&model);
}

/* Busier hours get more agents, closed hours none; Sunday is closed. */
static void test_roster(void)
{
    struct sim_model model;
    struct ccm_error error;
    sim_model_init(&model, 5, 1.0, &error);
    int64_t monday_peak = local_instant(&model, 2026, 10, 12, 9, 15);
    int64_t monday_late = local_instant(&model, 2026, 10, 12, 16, 45);
    int64_t monday_early = local_instant(&model, 2026, 10, 12, 7, 0);
    int64_t sunday = local_instant(&model, 2026, 10, 11, 11, 0);
    int64_t saturday = local_instant(&model, 2026, 10, 10, 10, 0);
    size_t count = sim_queue_count();
    int peak = 0, late = 0;
    for (size_t q = 0; q < count; q++) {
        peak += sim_model_agents(&model, q, monday_peak);
        late += sim_model_agents(&model, q, monday_late);
        CHECK(sim_model_is_open(&model, q, monday_peak));
        CHECK(!sim_model_is_open(&model, q, monday_early));
        CHECK(!sim_model_is_open(&model, q, sunday));
        CHECK_INT(sim_model_agents(&model, q, sunday), 0);
        CHECK(sim_model_is_open(&model, q, saturday) == sim_queue_info(q)->saturday);
    }
    CHECK_MSG(peak > late * 3 / 2, "agents at 09:15 %d, at 16:45 %d", peak, late);
    CHECK(!sim_model_is_open(&model, count, monday_peak));
    /* Christmas Day, a Friday in 2026: closed. */
    CHECK(!sim_model_is_open(&model, 0, local_instant(&model, 2026, 12, 25, 10, 0)));

    /* Nothing is generated while everything is closed (a Sunday). */
    struct digest digest = {0, 0, "", ""};
    CHECK_INT(sim_generate(&model, local_instant(&model, 2026, 10, 11, 0, 0),
                           local_instant(&model, 2026, 10, 12, 0, 0), digest_record, &digest,
                           &error),
              0);
    CHECK_INT(digest.count, 0);
    CHECK(sim_model_expected_calls(&model, local_instant(&model, 2026, 10, 11, 0, 0),
                                   local_instant(&model, 2026, 10, 12, 0, 0)) == 0.0);
    sim_model_free(&model);
}

/* Always open: calls at 03:00 on a Sunday, and at every hour. */
static void test_always_open(void)
{
    struct sim_model model;
    struct ccm_error error;
    sim_model_init(&model, 5, 1.0, &error);
    sim_model_set_always_open(&model, true);
    int64_t from = local_instant(&model, 2026, 10, 11, 0, 0);
    int64_t to = local_instant(&model, 2026, 10, 12, 0, 0);
    CHECK(sim_model_is_open(&model, 0, local_instant(&model, 2026, 10, 11, 3, 0)));
    struct sim_cursor cursor;
    const struct sim_record *record;
    int hours[24] = {0};
    sim_cursor_init(&cursor, &model, from, to);
    while (sim_cursor_next(&model, &cursor, &record, &error) == 1)
        hours[local_seconds_of_day(&model, record->offered_us) / 3600]++;
    for (int h = 0; h < 24; h++)
        CHECK_MSG(hours[h] > 60, "hour %d: %d calls", h, hours[h]);
    /* At rate 1 a call every few seconds: thousands an hour at the peak. */
    CHECK_MSG(hours[2] > 3600 / 10, "hour 02 of the squeezed peak: %d calls", hours[2]);
    sim_model_free(&model);

    /* A clock-change day (Sunday 25 October 2026, 25 hours) stays ordered and inside. */
    sim_model_init(&model, 5, 0.2, &error);
    sim_model_set_always_open(&model, true);
    from = local_instant(&model, 2026, 10, 25, 0, 0);
    to = local_instant(&model, 2026, 10, 26, 0, 0);
    CHECK_INT(to - from, INT64_C(25) * 3600 * US);
    sim_cursor_init(&cursor, &model, from, to);
    int64_t last = from;
    int ordered = 1;
    size_t count = 0;
    while (sim_cursor_next(&model, &cursor, &record, &error) == 1) {
        ordered &= record->offered_us >= last && record->offered_us < to;
        last = record->offered_us;
        count++;
    }
    CHECK(ordered);
    CHECK(count > 1000);
    sim_model_free(&model);
}

/* ---- NDJSON ---- */

/* Lifecycle lines of a day's calls parse through lib/event as exactly the events of
 * each record: what `ccmetrics-sim live` posts. */
static void test_lifecycle_lines(void)
{
    struct sim_model model;
    struct ccm_error error;
    struct sim_cursor cursor;
    const struct sim_record *record;
    char line[SIM_NDJSON_MAX];
    size_t records = 0, bad = 0, answered = 0;

    sim_model_init(&model, 78, 1.0, &error);
    sim_cursor_init(&cursor, &model, local_instant(&model, 2026, 10, 6, 0, 0),
                    local_instant(&model, 2026, 10, 7, 0, 0));
    while (sim_cursor_next(&model, &cursor, &record, &error) == 1) {
        bool is_answered = record->outcome == SIM_OUTCOME_ANSWERED;
        enum sim_lifecycle_step steps[3] = {SIM_LIFECYCLE_OFFERED, SIM_LIFECYCLE_ANSWERED,
                                            SIM_LIFECYCLE_ENDED};
        records++;
        answered += is_answered;
        for (int k = 0; k < 3; k++) {
            struct event_batch batch;
            int length;
            if (steps[k] == SIM_LIFECYCLE_ANSWERED && !is_answered)
                continue;
            length = sim_format_lifecycle(record, steps[k], line, sizeof line);
            event_batch_init(&batch);
            if (length <= 0 ||
                event_parse_body(&batch, line, (size_t)length, EVENT_BODY_NDJSON) != 0 ||
                batch.lifecycle_count != 1 || strcmp(batch.lifecycle[0].id, record->id) != 0) {
                bad++;
            } else {
                const struct event_lifecycle *e = &batch.lifecycle[0];
                int64_t at = steps[k] == SIM_LIFECYCLE_OFFERED    ? record->offered_us
                             : steps[k] == SIM_LIFECYCLE_ANSWERED ? record->answered_us
                                                                  : record->ended_us;
                bad += e->at_us != at;
                bad += e->type != (steps[k] == SIM_LIFECYCLE_OFFERED    ? EVENT_TYPE_CALL_OFFERED
                                   : steps[k] == SIM_LIFECYCLE_ANSWERED ? EVENT_TYPE_CALL_ANSWERED
                                                                        : EVENT_TYPE_CALL_ENDED);
                if (steps[k] == SIM_LIFECYCLE_OFFERED)
                    bad += !e->queue || strcmp(e->queue, record->queue) != 0;
                if (steps[k] == SIM_LIFECYCLE_ENDED)
                    bad +=
                        e->outcome != event_outcome_from_name(sim_outcome_name(record->outcome)) ||
                        e->has_handle != (record->handle_s >= 0);
            }
            event_batch_free(&batch);
        }
    }
    CHECK_MSG(records > 100 && answered > 50, "a day has calls, answered among them");
    CHECK_INT(bad, 0);
    sim_cursor_init(&cursor, &model, local_instant(&model, 2026, 10, 6, 9, 0),
                    local_instant(&model, 2026, 10, 6, 17, 0));
    CHECK_INT(sim_cursor_next(&model, &cursor, &record, &error), 1);
    CHECK_INT(sim_format_lifecycle(record, SIM_LIFECYCLE_OFFERED, line, 10), -1); /* too small */
    sim_model_free(&model);
}

static void test_ndjson(void)
{
    struct sim_model model;
    struct ccm_error error;
    sim_model_init(&model, 77, 1.0, &error);
    int64_t from = local_instant(&model, 2026, 10, 6, 0, 0);
    int64_t to = local_instant(&model, 2026, 10, 7, 0, 0);
    struct sim_cursor cursor;
    const struct sim_record *record;
    size_t seen[SIM_OUTCOME_COUNT] = {0};
    int parsed_all = 1, fields_ok = 1;
    char line[SIM_NDJSON_MAX];
    sim_cursor_init(&cursor, &model, from, to);
    while (sim_cursor_next(&model, &cursor, &record, &error) == 1) {
        int length = sim_format_ndjson(record, line, sizeof line);
        if (length <= 0 || line[length - 1] != '\n' || strchr(line, '\n') != line + length - 1) {
            parsed_all = 0;
            continue;
        }
        json_error_t json_error;
        json_t *object = json_loadb(line, (size_t)length, 0, &json_error);
        if (!json_is_object(object)) {
            parsed_all = 0;
            json_decref(object);
            continue;
        }
        const char *id = json_string_value(json_object_get(object, "id"));
        const char *queue = json_string_value(json_object_get(object, "queue"));
        const char *outcome = json_string_value(json_object_get(object, "outcome"));
        const char *offered = json_string_value(json_object_get(object, "offered_at"));
        const char *answered = json_string_value(json_object_get(object, "answered_at"));
        const char *ended = json_string_value(json_object_get(object, "ended_at"));
        int64_t instant = 0;
        fields_ok &= id && strcmp(id, record->id) == 0 && strlen(id) <= 128;
        fields_ok &= queue && strcmp(queue, record->queue) == 0;
        fields_ok &= outcome && strcmp(outcome, sim_outcome_name(record->outcome)) == 0;
        fields_ok &= strcmp(json_string_value(json_object_get(object, "channel")), "phone") == 0;
        fields_ok &= offered &&
                     calendar_parse_rfc3339(offered, strlen(offered), &instant, &error) == 0 &&
                     instant == record->offered_us && offered[strlen(offered) - 1] == 'Z';
        fields_ok &= ended && calendar_parse_rfc3339(ended, strlen(ended), &instant, &error) == 0 &&
                     instant == record->ended_us;
        if (record->outcome == SIM_OUTCOME_ANSWERED) {
            fields_ok &=
                answered &&
                calendar_parse_rfc3339(answered, strlen(answered), &instant, &error) == 0 &&
                instant == record->answered_us;
            fields_ok &=
                json_integer_value(json_object_get(object, "handle_s")) == record->handle_s;
            fields_ok &= json_is_string(json_object_get(object, "agent"));
            if (record->first_contact_resolved >= 0)
                fields_ok &= json_is_boolean(json_object_get(object, "first_contact_resolved"));
        } else {
            fields_ok &= answered == NULL && json_object_get(object, "handle_s") == NULL &&
                         json_object_get(object, "agent") == NULL &&
                         json_object_get(object, "first_contact_resolved") == NULL;
        }
        fields_ok &= json_is_string(json_object_get(object, "reason"));
        fields_ok &=
            (record->caller[0] != '\0') == json_is_string(json_object_get(object, "caller"));
        seen[record->outcome]++;
        json_decref(object);
    }
    CHECK(parsed_all);
    CHECK(fields_ok);
    CHECK(seen[SIM_OUTCOME_ANSWERED] > 0 && seen[SIM_OUTCOME_ABANDONED] > 0);

    /* Too small a buffer: -1 and an empty string, never a partial line. */
    sim_cursor_init(&cursor, &model, from, to);
    CHECK_INT(sim_cursor_next(&model, &cursor, &record, &error), 1);
    int full = sim_format_ndjson(record, line, sizeof line);
    CHECK(full > 0);
    CHECK_INT(sim_format_ndjson(record, line, (size_t)full), -1);
    CHECK_STR(line, "");
    CHECK_INT(sim_format_ndjson(record, line, (size_t)full + 1), full);
    sim_model_free(&model);
}

/* A hand-made record formats exactly as the ingest API expects. */
static void test_ndjson_exact(void)
{
    struct sim_record record;
    memset(&record, 0, sizeof record);
    snprintf(record.id, sizeof record.id, "sim-1-20261006-council-tax-1");
    record.queue = "council-tax";
    record.channel = "phone";
    record.offered_us = INT64_C(1791273600) * US; /* 2026-10-06T08:00:00Z */
    record.answered_us = record.offered_us + 12 * US;
    record.ended_us = record.answered_us + 300 * US;
    record.outcome = SIM_OUTCOME_ANSWERED;
    record.handle_s = 312;
    record.first_contact_resolved = 1;
    snprintf(record.caller, sizeof record.caller, "+447900000001");
    record.reason = "say \"hi\"";
    snprintf(record.agent, sizeof record.agent, "agent-07");
    char line[SIM_NDJSON_MAX];
    int length = sim_format_ndjson(&record, line, sizeof line);
    const char *want = "{\"id\":\"sim-1-20261006-council-tax-1\",\"queue\":\"council-tax\","
                       "\"channel\":\"phone\",\"offered_at\":\"2026-10-06T08:00:00Z\","
                       "\"answered_at\":\"2026-10-06T08:00:12Z\",\"ended_at\":"
                       "\"2026-10-06T08:05:12Z\",\"outcome\":\"answered\",\"handle_s\":312,"
                       "\"first_contact_resolved\":true,\"caller\":\"+447900000001\","
                       "\"reason\":\"say \\\"hi\\\"\",\"agent\":\"agent-07\"}\n";
    CHECK_STR(line, want);
    CHECK_INT(length, (long long)strlen(want));

    record.outcome = SIM_OUTCOME_REFUSED;
    record.ended_us = record.offered_us;
    record.handle_s = -1;
    record.first_contact_resolved = -1;
    record.caller[0] = '\0';
    record.agent[0] = '\0';
    record.reason = "payment";
    sim_format_ndjson(&record, line, sizeof line);
    CHECK_STR(line, "{\"id\":\"sim-1-20261006-council-tax-1\",\"queue\":\"council-tax\","
                    "\"channel\":\"phone\",\"offered_at\":\"2026-10-06T08:00:00Z\","
                    "\"ended_at\":\"2026-10-06T08:00:00Z\",\"outcome\":\"refused\","
                    "\"reason\":\"payment\"}\n");
    CHECK_INT(sim_record_wait_us(&record), 0);
}

void unit_main(void)
{
    test_rng();
    test_queues();
    test_init();
    test_determinism();
    test_cursor_interleave();
    test_month();
    test_roster();
    test_always_open();
    test_ndjson();
    test_lifecycle_lines();
    test_ndjson_exact();
}
