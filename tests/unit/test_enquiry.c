/*
 * test_enquiry: members' enquiries. The merge rule over every order of every
 * sequence of posted states (the final state must not depend on the order), the
 * judgement of one enquiry at the edges (23:59:59 local on the due date, local
 * midnight after it, clock changes where the local and UTC dates differ), the
 * opened-day range of a due-day range against a brute force, figures with targets
 * and status, ageing buckets at every boundary, and the body and input parsers
 * (valid forms, each kind of error with its index/line and field).
 */
#include "enquiry.h"

#include "calendar.h"
#include "unit.h"

#include <stdlib.h>

#define US INT64_C(1000000)

static struct tz_rule london;

static int64_t instant(const char *text)
{
    int64_t out = 0;
    struct ccm_error error;
    if (calendar_parse_rfc3339(text, strlen(text), &out, &error) != 0)
        unit_fail(__FILE__, __LINE__, "bad test instant %s", text);
    return out;
}

static int32_t day_of(int y, int m, int d)
{
    return calendar_days_from_civil(y, m, d);
}

static struct enquiry make(const char *unit, const char *opened, const char *delay,
                           const char *closed)
{
    struct enquiry e = {.id = "E1", .unit = (char *)unit, .opened_us = instant(opened)};
    if (delay) {
        e.has_delay = true;
        e.delay_us = instant(delay);
    }
    if (closed) {
        e.has_closed = true;
        e.closed_us = instant(closed);
    }
    return e;
}

static bool same(const struct enquiry *a, const struct enquiry *b)
{
    return strcmp(a->unit, b->unit) == 0 && a->opened_us == b->opened_us &&
           a->has_delay == b->has_delay && (!a->has_delay || a->delay_us == b->delay_us) &&
           a->has_closed == b->has_closed && (!a->has_closed || a->closed_us == b->closed_us);
}

/* Folds posts in the order given by perm (the first one is inserted as is). */
static struct enquiry fold(const struct enquiry *posts, const int *perm, int count)
{
    struct enquiry stored = posts[perm[0]], merged;
    for (int i = 1; i < count; i++) {
        enquiry_merge(&stored, &posts[perm[i]], &merged);
        stored = merged;
    }
    return stored;
}

static bool next_permutation(int *a, int n)
{
    int i = n - 2, j = n - 1;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0)
        return false;
    while (a[j] <= a[i])
        j--;
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (int l = i + 1, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return true;
}

static void check_every_order(const struct enquiry *posts, int count, const struct enquiry *want,
                              const char *name)
{
    int perm[6];
    int orders = 0;
    for (int i = 0; i < count; i++)
        perm[i] = i;
    do {
        struct enquiry got = fold(posts, perm, count);
        CHECK_MSG(same(&got, want), "%s: order %d%d%d%d", name, perm[0], perm[1],
                  count > 2 ? perm[2] : 9, count > 3 ? perm[3] : 9);
        orders++;
    } while (next_permutation(perm, count));
    CHECK(orders > 1);
}

static void test_merge(void)
{
    const char *o = "2026-10-05T09:00:00Z", *d = "2026-10-08T10:00:00Z",
               *c = "2026-10-20T16:00:00Z";
    /* The progressive states of one enquiry. */
    struct enquiry progressive[3] = {make("RE", o, NULL, NULL), make("RE", o, d, NULL),
                                     make("RE", o, d, c)};
    struct enquiry final = make("RE", o, d, c);
    check_every_order(progressive, 3, &final, "progressive");
    /* The closing post does not repeat the delay: the delay is kept anyway. */
    struct enquiry partial[3] = {make("RE", o, NULL, NULL), make("RE", o, d, NULL),
                                 make("RE", o, NULL, c)};
    check_every_order(partial, 3, &final, "closing without the delay");
    /* A unit moved when the enquiry was closed: the closed state's unit wins. */
    struct enquiry moved[3] = {make("RE", o, NULL, NULL), make("RE", o, d, NULL),
                               make("HS", o, NULL, c)};
    struct enquiry moved_final = make("HS", o, d, c);
    check_every_order(moved, 3, &moved_final, "unit moved");
    /* Four posts, the same state twice. */
    struct enquiry twice[4] = {make("RE", o, NULL, NULL), make("RE", o, d, NULL),
                               make("RE", o, d, c), make("RE", o, NULL, NULL)};
    check_every_order(twice, 4, &final, "repeated open");

    /* Equal rank: the posted one wins field by field (a corrected closing time). */
    struct enquiry stored = make("RE", o, d, c),
                   posted = make("RE", o, NULL, "2026-10-21T09:00:00Z"), out;
    enquiry_merge(&stored, &posted, &out);
    CHECK(out.has_closed && out.closed_us == instant("2026-10-21T09:00:00Z"));
    CHECK(out.has_delay && out.delay_us == instant(d));
    /* A kept delay never precedes the winner's opened_at. */
    stored = make("RE", o, d, NULL);
    posted = make("RE", "2026-10-09T09:00:00Z", NULL, "2026-10-10T09:00:00Z");
    enquiry_merge(&stored, &posted, &out);
    CHECK(!out.has_delay);
    CHECK(out.opened_us == instant("2026-10-09T09:00:00Z"));
    /* Lower rank changes nothing but a missing delay. */
    stored = make("RE", o, NULL, c);
    posted = make("HS", "2026-10-01T09:00:00Z", d, NULL);
    enquiry_merge(&stored, &posted, &out);
    CHECK_STR(out.unit, "RE");
    CHECK(out.opened_us == instant(o) && out.has_delay && out.delay_us == instant(d));
    CHECK_INT(enquiry_state_of(&stored), ENQUIRY_STATE_CLOSED);
    CHECK_INT(enquiry_state_of(&posted), ENQUIRY_STATE_DELAY_ADVISED);
}

static void judge(const char *opened, const char *delay, const char *closed,
                  const struct workday_calendar *calendar, int32_t want_due, int want_result,
                  int line)
{
    struct enquiry e = make("RE", opened, delay, closed);
    struct enquiry_judgement j;
    enquiry_judge(&e, &london, calendar, 5, &j);
    char got_text[11], want_text[11];
    calendar_format_date(j.due_day, got_text);
    calendar_format_date(want_due, want_text);
    CHECK_MSG(j.due_day == want_due, "line %d: due %s, want %s", line, got_text, want_text);
    CHECK_MSG((int)j.result == want_result, "line %d: result %d, want %d", line, (int)j.result,
              want_result);
}

static void test_judge(void)
{
    static int32_t holidays[4];
    struct workday_calendar none = {NULL, 0}, easter = {holidays, 2};
    holidays[0] = day_of(2026, 4, 3);
    holidays[1] = day_of(2026, 4, 6);

    /* Thursday before Easter: due Monday 13 April. */
    judge("2026-04-02T10:00:00+01:00", NULL, "2026-04-13T23:59:59+01:00", &easter,
          day_of(2026, 4, 13), ENQUIRY_CLOSED_IN_TIME, __LINE__);
    judge("2026-04-02T10:00:00+01:00", NULL, "2026-04-14T00:00:00+01:00", &easter,
          day_of(2026, 4, 13), ENQUIRY_NOT_IN_TIME, __LINE__);
    /* In UTC the end of the due date is 22:59:59Z (BST). */
    judge("2026-04-02T10:00:00+01:00", NULL, "2026-04-13T22:59:59Z", &easter, day_of(2026, 4, 13),
          ENQUIRY_CLOSED_IN_TIME, __LINE__);
    judge("2026-04-02T10:00:00+01:00", NULL, "2026-04-13T23:00:00Z", &easter, day_of(2026, 4, 13),
          ENQUIRY_NOT_IN_TIME, __LINE__);
    /* Without the holidays the same enquiry is due on the 9th. */
    judge("2026-04-02T10:00:00+01:00", NULL, "2026-04-13T12:00:00+01:00", &none, day_of(2026, 4, 9),
          ENQUIRY_NOT_IN_TIME, __LINE__);
    /* Delay advised in time, closed late: delay_advised. Closed in time wins over a delay. */
    judge("2026-10-05T09:00:00+01:00", "2026-10-12T23:59:59+01:00", "2026-10-20T09:00:00+01:00",
          &none, day_of(2026, 10, 12), ENQUIRY_DELAY_ADVISED, __LINE__);
    judge("2026-10-05T09:00:00+01:00", "2026-10-13T00:00:00+01:00", NULL, &none,
          day_of(2026, 10, 12), ENQUIRY_NOT_IN_TIME, __LINE__);
    judge("2026-10-05T09:00:00+01:00", "2026-10-06T09:00:00+01:00", "2026-10-07T09:00:00+01:00",
          &none, day_of(2026, 10, 12), ENQUIRY_CLOSED_IN_TIME, __LINE__);
    judge("2026-10-05T09:00:00+01:00", NULL, NULL, &none, day_of(2026, 10, 12), ENQUIRY_NOT_IN_TIME,
          __LINE__);
    /* Monday 00:30 BST is Sunday 23:30 UTC: the local date (Monday) counts. */
    judge("2026-10-19T00:30:00+01:00", NULL, NULL, &none, day_of(2026, 10, 26), ENQUIRY_NOT_IN_TIME,
          __LINE__);
    /* Clocks go back on Sunday 25 October 2026; Monday 26th 00:30 GMT, and the due
     * date's end in GMT. */
    judge("2026-10-26T00:30:00Z", NULL, "2026-11-02T23:59:59Z", &none, day_of(2026, 11, 2),
          ENQUIRY_CLOSED_IN_TIME, __LINE__);
    /* Clocks go forward on Sunday 29 March 2026: Monday 30th 00:30 BST = Sunday 23:30Z. */
    judge("2026-03-29T23:30:00Z", NULL, "2026-04-06T22:59:59Z", &none, day_of(2026, 4, 6),
          ENQUIRY_CLOSED_IN_TIME, __LINE__);
    /* Month end: Wednesday 28 October is due Wednesday 4 November. */
    judge("2026-10-28T12:00:00Z", NULL, "2026-11-04T23:59:59Z", &none, day_of(2026, 11, 4),
          ENQUIRY_CLOSED_IN_TIME, __LINE__);
}

static void test_opened_range(void)
{
    static int32_t holidays[40];
    size_t count = 0;
    int budget = 10;
    for (int32_t d = day_of(2026, 12, 20); d < day_of(2027, 1, 10); d += 2)
        holidays[count++] = d;
    struct workday_calendar calendar = {holidays, count};
    for (int n = 1; n <= 12; n++)
        for (int32_t from = day_of(2026, 12, 1); from < day_of(2027, 2, 1); from += 3) {
            int32_t to = from + 1 + (from % 40), lo, hi;
            enquiry_opened_range(&calendar, n, from, to, &lo, &hi);
            for (int32_t opened = from - 120; opened < to + 5; opened++) {
                int32_t due = workday_add(&calendar, opened, n);
                bool want = due >= from && due < to, got = opened >= lo && opened < hi;
                CHECK_BULK(want == got, budget, "n %d from %d to %d opened %d", n, (int)from,
                           (int)to, (int)opened);
            }
        }
}

static void test_figures(void)
{
    struct enquiry_counts counts = {0};
    struct kpi_value v[ENQUIRY_KPI_COUNT];
    struct kpi_target targets[3] = {
        {.kpi = (enum kpi_key)ENQUIRY_KPI_RESPONDED_IN_TIME_PCT,
         .effective_from = INT32_MIN,
         .value = 95,
         .has_amber = true,
         .amber = 5},
        {.kpi = (enum kpi_key)ENQUIRY_KPI_RESPONDED_IN_TIME_PCT,
         .effective_from = day_of(2026, 7, 1),
         .value = 80},
        {.kpi = (enum kpi_key)ENQUIRY_KPI_CLOSED_IN_TIME_PCT,
         .effective_from = day_of(2026, 4, 1),
         .value = 90},
    };

    enquiry_compute(&counts, v);
    CHECK(v[ENQUIRY_KPI_ITEMS_DUE].is_count && v[ENQUIRY_KPI_ITEMS_DUE].count == 0);
    CHECK(v[ENQUIRY_KPI_CLOSED_IN_TIME_PCT].is_null && v[ENQUIRY_KPI_DELAY_ADVISED_PCT].is_null &&
          v[ENQUIRY_KPI_RESPONDED_IN_TIME_PCT].is_null);
    enquiry_counts_add_result(&counts, ENQUIRY_CLOSED_IN_TIME);
    for (int i = 0; i < 5; i++)
        enquiry_counts_add_result(&counts, ENQUIRY_CLOSED_IN_TIME);
    enquiry_counts_add_result(&counts, ENQUIRY_DELAY_ADVISED);
    enquiry_counts_add_result(&counts, ENQUIRY_NOT_IN_TIME);
    struct enquiry_counts sum = {0};
    enquiry_counts_add(&sum, &counts);
    enquiry_counts_add(&sum, &counts);
    CHECK_INT(sum.items_due, 16);
    enquiry_compute(&counts, v);
    CHECK_INT(v[ENQUIRY_KPI_ITEMS_DUE].count, 8);
    CHECK_INT(v[ENQUIRY_KPI_CLOSED_IN_TIME].count, 6);
    CHECK_INT(v[ENQUIRY_KPI_DELAY_ADVISED].count, 1);
    CHECK_INT(v[ENQUIRY_KPI_RESPONDED_IN_TIME].count, 7);
    CHECK_NEAR(v[ENQUIRY_KPI_CLOSED_IN_TIME_PCT].value, 75.0);
    CHECK_NEAR(v[ENQUIRY_KPI_DELAY_ADVISED_PCT].value, 12.5);
    CHECK_NEAR(v[ENQUIRY_KPI_RESPONDED_IN_TIME_PCT].value, 87.5);
    /* In June 95 (amber 5): 87.5 is red; from July 80: green. closed_in_time 75 < 90: red. */
    const struct kpi_target *t =
        enquiry_target_in_force(targets, 3, ENQUIRY_KPI_RESPONDED_IN_TIME_PCT, day_of(2026, 6, 1));
    CHECK(t == &targets[0]);
    CHECK_INT(enquiry_status_of(ENQUIRY_KPI_RESPONDED_IN_TIME_PCT,
                                &v[ENQUIRY_KPI_RESPONDED_IN_TIME_PCT], t),
              KPI_STATUS_RED);
    struct kpi_value amber = {.value = 90.0};
    CHECK_INT(enquiry_status_of(ENQUIRY_KPI_RESPONDED_IN_TIME_PCT, &amber, t), KPI_STATUS_AMBER);
    struct kpi_value exact = {.value = 95.0};
    CHECK_INT(enquiry_status_of(ENQUIRY_KPI_RESPONDED_IN_TIME_PCT, &exact, t), KPI_STATUS_GREEN);
    t = enquiry_target_in_force(targets, 3, ENQUIRY_KPI_RESPONDED_IN_TIME_PCT, day_of(2026, 7, 1));
    CHECK(t == &targets[1]);
    CHECK_INT(enquiry_status_of(ENQUIRY_KPI_RESPONDED_IN_TIME_PCT,
                                &v[ENQUIRY_KPI_RESPONDED_IN_TIME_PCT], t),
              KPI_STATUS_GREEN);
    CHECK(enquiry_target_in_force(targets, 3, ENQUIRY_KPI_CLOSED_IN_TIME_PCT, day_of(2026, 3, 1)) ==
          NULL);
    CHECK_INT(enquiry_status_of(ENQUIRY_KPI_DELAY_ADVISED_PCT, &exact, &targets[0]),
              KPI_STATUS_NONE);
    struct kpi_value null_value = {.is_null = true};
    CHECK_INT(enquiry_status_of(ENQUIRY_KPI_CLOSED_IN_TIME_PCT, &null_value, &targets[2]),
              KPI_STATUS_NONE);

    json_t *figures = enquiry_figures_json(&counts, targets, 3, day_of(2026, 10, 1));
    char *text = json_dumps(figures, JSON_SORT_KEYS | JSON_COMPACT);
    CHECK_STR(text, "{\"closed_in_time\":{\"value\":6},\"closed_in_time_pct\":{\"status\":\"red\","
                    "\"target\":90.0,\"value\":75.0},\"delay_advised\":{\"value\":1},"
                    "\"delay_advised_pct\":{\"value\":12.5},\"items_due\":{\"value\":8},"
                    "\"responded_in_time\":{\"value\":7},\"responded_in_time_pct\":{\"status\":"
                    "\"green\",\"target\":80.0,\"value\":87.5}}");
    free(text);
    json_decref(figures);
    for (int k = 0; k < ENQUIRY_KPI_COUNT; k++)
        CHECK_INT(enquiry_kpi_from_name(enquiry_kpi_name(k)), k);
    CHECK_INT(enquiry_kpi_from_name("answered_pct"), -1);
    CHECK_INT(enquiry_kpi_from_name(NULL), -1);
}

static void test_ageing(void)
{
    static const struct {
        int32_t days;
        int bucket;
    } edges[] = {{0, ENQUIRY_AGE_LT10},       {9, ENQUIRY_AGE_LT10},    {10, ENQUIRY_AGE_D10_19},
                 {19, ENQUIRY_AGE_D10_19},    {20, ENQUIRY_AGE_D20_29}, {29, ENQUIRY_AGE_D20_29},
                 {30, ENQUIRY_AGE_D30_39},    {39, ENQUIRY_AGE_D30_39}, {40, ENQUIRY_AGE_D40_PLUS},
                 {4000, ENQUIRY_AGE_D40_PLUS}};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        CHECK_MSG((int)enquiry_age_bucket_of(edges[i].days) == edges[i].bucket, "%d days",
                  (int)edges[i].days);
    /* Local dates: 23:30 BST on 19 October is the 19th; 00:30 GMT on 29 October is the
     * 29th (after the clocks went back on the 25th): 10 days, though 24 * 10 + 1 hours. */
    CHECK_INT(
        enquiry_age_days(instant("2026-10-19T22:30:00Z"), instant("2026-10-29T00:30:00Z"), &london),
        10);
    CHECK_INT(
        enquiry_age_days(instant("2026-10-19T22:30:00Z"), instant("2026-10-28T23:59:59Z"), &london),
        9);
    /* 00:30 BST on Monday 19 October is Sunday 23:30 UTC: the 19th locally. */
    CHECK_INT(
        enquiry_age_days(instant("2026-10-18T23:30:00Z"), instant("2026-10-28T23:00:00Z"), &london),
        9);
    struct enquiry e = make("RE", "2026-10-01T09:00:00Z", NULL, "2026-10-05T09:00:00Z");
    CHECK(!enquiry_open_at(&e, instant("2026-10-01T08:59:59Z")));
    CHECK(enquiry_open_at(&e, instant("2026-10-01T09:00:00Z")));
    CHECK(enquiry_open_at(&e, instant("2026-10-05T08:59:59Z")));
    CHECK(!enquiry_open_at(&e, instant("2026-10-05T09:00:00Z")));
    struct enquiry_ageing ageing = {{38, 1, 2, 0, 4}};
    json_t *json = enquiry_ageing_json(&ageing);
    char *text = json_dumps(json, JSON_SORT_KEYS | JSON_COMPACT);
    CHECK_STR(text, "{\"d10_19\":1,\"d20_29\":2,\"d30_39\":0,\"d40_plus\":4,\"lt10\":38,"
                    "\"over_10\":7,\"total\":45}");
    free(text);
    json_decref(json);
}

static int parse(struct enquiry_batch *batch, const char *body, enum event_body_format format)
{
    /* An exact-size copy: reading past the end is caught by AddressSanitizer. */
    size_t length = strlen(body);
    char *copy = malloc(length ? length : 1);
    memcpy(copy, body, length);
    int rc = enquiry_parse_body(batch, copy, length, format);
    free(copy);
    return rc;
}

static void test_parse(void)
{
    struct enquiry_batch batch;
    enquiry_batch_init(&batch);

    CHECK_INT(
        parse(
            &batch,
            "{\"id\":\"M1\",\"unit\":\"Street Scene\",\"opened_at\":\"2026-10-05T09:00:00+01:00\","
            "\"delay_advised_at\":null,\"extra\":1}",
            EVENT_BODY_JSON),
        0);
    CHECK_INT(batch.count, 1);
    CHECK_STR(batch.items[0].id, "M1");
    CHECK_STR(batch.items[0].unit, "Street Scene");
    CHECK(batch.items[0].opened_us == instant("2026-10-05T08:00:00Z"));
    CHECK(!batch.items[0].has_delay && !batch.items[0].has_closed);
    json_t *json = enquiry_batch_json(&batch);
    char *text = json_dumps(json, JSON_COMPACT);
    CHECK_STR(text,
              "[{\"id\":\"M1\",\"unit\":\"Street Scene\",\"opened_at\":\"2026-10-05T08:00:00Z\","
              "\"delay_advised_at\":null,\"closed_at\":null}]");
    free(text);
    json_decref(json);

    CHECK_INT(
        parse(&batch,
              "\xEF\xBB\xBF[{\"id\":\"a\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"},"
              "{\"id\":\"b\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\","
              "\"closed_at\":\"2026-10-05T09:00:00Z\"}]",
              EVENT_BODY_JSON),
        0);
    CHECK_INT(batch.count, 2);
    CHECK(batch.items[1].has_closed);

    CHECK_INT(parse(&batch,
                    "{\"id\":\"a\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"}\r\n\n  \n"
                    "{\"id\":\"b\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"}",
                    EVENT_BODY_NDJSON),
              0);
    CHECK_INT(batch.count, 2);

    /* Item errors: index for JSON, line for NDJSON, the field named. */
    CHECK_INT(parse(&batch,
                    "[{\"id\":\"a\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"},"
                    "{\"id\":\"\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"},"
                    "{\"id\":\"c\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\","
                    "\"closed_at\":\"2026-10-05T08:59:59Z\"},"
                    "{\"id\":\"d\",\"unit\":7,\"opened_at\":\"2026-10-05 09:00\"},"
                    "{\"id\":\"e\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\","
                    "\"delay_advised_at\":\"2026-10-05T08:00:00Z\"}, 5]",
                    EVENT_BODY_JSON),
              1);
    CHECK_INT(batch.count, 0);
    CHECK_INT(batch.error_count, 5);
    CHECK_INT(batch.errors[0].index, 1);
    CHECK_STR(batch.errors[0].field, "id");
    CHECK_INT(batch.errors[1].index, 2);
    CHECK_STR(batch.errors[1].field, "closed_at");
    CHECK_INT(batch.errors[2].index, 3);
    CHECK_STR(batch.errors[2].field, "unit");
    CHECK_MSG(strstr(batch.errors[2].message, "opened_at") != NULL, "other field named: %s",
              batch.errors[2].message);
    CHECK_STR(batch.errors[3].field, "delay_advised_at");
    CHECK_INT(batch.errors[4].index, 5);
    CHECK_INT(batch.errors[4].line, -1);

    CHECK_INT(parse(&batch,
                    "{\"id\":\"a\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"}\n"
                    "{\"id\":\"b\",\"unit\":\"u\"}\n",
                    EVENT_BODY_NDJSON),
              1);
    CHECK_INT(batch.error_count, 1);
    CHECK_INT(batch.errors[0].line, 2);
    CHECK_INT(batch.errors[0].index, -1);
    CHECK_STR(batch.errors[0].field, "opened_at");

    /* Body errors. */
    static const char *const bad_bodies[] = {"",
                                             "   ",
                                             "nonsense",
                                             "[]",
                                             "7",
                                             "{\"id\":",
                                             "[{\"id\":\"a\"} {}]",
                                             "{\"id\":\"a\",\"id\":\"b\",\"unit\":\"u\","
                                             "\"opened_at\":\"2026-10-05T09:00:00Z\"}"};
    for (size_t i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
        CHECK_MSG(parse(&batch, bad_bodies[i], EVENT_BODY_JSON) == -1, "bad body %zu", i);
        CHECK_INT(batch.error_count, 1);
        CHECK_INT(batch.count, 0);
    }
    CHECK_INT(parse(&batch, "\n\n", EVENT_BODY_NDJSON), -1);
    CHECK_INT(parse(&batch, "{\"id\":\"a\"}\n{oops\n", EVENT_BODY_NDJSON), -1);
    CHECK_INT(batch.errors[0].line, 2);

    /* Too many. */
    size_t per = strlen("{\"id\":\"a\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"}\n");
    size_t length = per * (ENQUIRY_MAX_ITEMS + 1);
    char *many = malloc(length + 1);
    for (int i = 0; i <= ENQUIRY_MAX_ITEMS; i++)
        memcpy(many + (size_t)i * per,
               "{\"id\":\"a\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"}\n", per);
    many[length] = '\0';
    CHECK_INT(enquiry_parse_body(&batch, many, length, EVENT_BODY_NDJSON), -1);
    CHECK(batch.too_many_items);
    CHECK_INT(enquiry_parse_body(&batch, many, length - per, EVENT_BODY_NDJSON), 0);
    CHECK_INT(batch.count, ENQUIRY_MAX_ITEMS);
    CHECK(!batch.too_many_items);
    free(many);

    /* Long names: 128 characters (multi-byte) pass, 129 do not. */
    char body[1600], name[700] = "";
    for (int i = 0; i < 128; i++)
        strcat(name, "\xC3\xA9");
    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"unit\":\"%s\",\"opened_at\":\"2026-10-05T09:00:00Z\"}", name, name);
    CHECK_INT(parse(&batch, body, EVENT_BODY_JSON), 0);
    strcat(name, "e");
    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"}", name);
    CHECK_INT(parse(&batch, body, EVENT_BODY_JSON), 1);
    CHECK_INT(parse(&batch,
                    "{\"id\":\"a\\u0001\",\"unit\":\"u\",\"opened_at\":\"2026-10-05T09:00:00Z\"}",
                    EVENT_BODY_JSON),
              1);
    enquiry_batch_free(&batch);
}

static void test_inputs(void)
{
    struct ccm_error error;
    int32_t *days;
    size_t count;
    json_t *body =
        json_loads("{\"dates\":[\"2026-12-28\",\"2026-12-25\",\"2026-12-25\"]}", 0, NULL);
    CHECK_INT(enquiry_holidays_parse(body, &days, &count, &error), 0);
    CHECK_INT(count, 2);
    CHECK_INT(days[0], day_of(2026, 12, 25));
    CHECK_INT(days[1], day_of(2026, 12, 28));
    free(days);
    json_decref(body);
    static const char *const bad[] = {"{}",
                                      "{\"dates\":[]}",
                                      "{\"dates\":\"2026-12-25\"}",
                                      "{\"dates\":[\"2026-13-01\"]}",
                                      "{\"dates\":[20261225]}",
                                      "{\"dates\":[\"2026-12-25\"],\"extra\":1}",
                                      "[]",
                                      "{\"dates\":[\"1969-12-31\"]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        body = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        CHECK_MSG(enquiry_holidays_parse(body, &days, &count, &error) == -1 && !days,
                  "bad holidays %s", bad[i]);
        json_decref(body);
    }

    char unit[ENQUIRY_UNIT_BYTES];
    CHECK_INT(enquiry_scope_parse("tenant", unit, &error), 0);
    CHECK_STR(unit, "");
    CHECK_INT(enquiry_scope_parse("unit:Street Scene", unit, &error), 0);
    CHECK_STR(unit, "Street Scene");
    CHECK_INT(enquiry_scope_parse("unit:", unit, &error), -1);
    CHECK_INT(enquiry_scope_parse("queue:bins", unit, &error), -1);
    CHECK_INT(enquiry_scope_parse(NULL, unit, &error), -1);
    CHECK_INT(enquiry_scope_parse("unit:a\tb", unit, &error), -1);
    /* Invalid UTF-8 (a query string is bytes) and a C1 control character. */
    CHECK_INT(enquiry_scope_parse("unit:St\xE3reet", unit, &error), -1);
    CHECK_INT(enquiry_scope_parse("unit:a\xC2\x85", unit, &error), -1);
    CHECK_INT(enquiry_scope_parse("unit:\xC3\xA9lus", unit, &error), 0);
}

void unit_main(void)
{
    tz_rule_europe_london(&london);
    test_merge();
    test_judge();
    test_opened_range();
    test_figures();
    test_ageing();
    test_parse();
    test_inputs();
}
