/*
 * enquiry: members' enquiries (cases raised by councillors, tracked by delivery
 * unit; KPI definitions "Members' enquiries", issue 8 point 5). Pure: the
 * request body parser of POST /v1/enquiries, the merge rule of re-posted states
 * (the SQL function ccm_enquiries_put applies the same rule), due dates over a
 * working-day calendar (workday.h), the classification of one enquiry for the
 * month of its due date, the figures with targets and status (through lib/kpi),
 * and the ageing buckets of open enquiries.
 */
#ifndef CCM_ENQUIRY_H
#define CCM_ENQUIRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ccm_error.h"
#include "event.h"
#include "kpi.h"
#include "tz.h"
#include "workday.h"

#define ENQUIRY_ID_MAX_CHARS       128
#define ENQUIRY_UNIT_MAX_CHARS     128
#define ENQUIRY_DUE_DAYS_DEFAULT   5
#define ENQUIRY_DUE_DAYS_MAX       60
#define ENQUIRY_MAX_ITEMS          EVENT_MAX_ITEMS  /* per request */
#define ENQUIRY_MAX_ERRORS         EVENT_MAX_ERRORS /* listed per request */
#define ENQUIRY_HOLIDAYS_MAX_DATES 1000             /* per PUT or DELETE */

/* The state rank of an enquiry (docs/enquiries.md, "Re-posting"). */
enum enquiry_state {
    ENQUIRY_STATE_OPEN = 1,
    ENQUIRY_STATE_DELAY_ADVISED = 2,
    ENQUIRY_STATE_CLOSED = 3,
};

/* One enquiry. Strings are owned by whoever owns the struct (a batch: the batch). */
struct enquiry {
    char *id;
    char *unit;
    int64_t opened_us;
    bool has_delay;
    int64_t delay_us; /* delay_advised_at */
    bool has_closed;
    int64_t closed_us;
};

enum enquiry_state enquiry_state_of(const struct enquiry *enquiry);

/* The merge of a stored state and a posted one (strings point into either): the one
 * of higher rank wins (the posted one on equal rank) on unit, opened_at, closed_at;
 * delay_advised_at is the winner's, else the other's when not before the winner's
 * opened_at. */
void enquiry_merge(const struct enquiry *stored, const struct enquiry *posted, struct enquiry *out);

/* A parsed request body: every item valid, or the errors (nothing to store). */
struct enquiry_batch {
    struct enquiry *items;
    size_t count;
    struct event_item_error *errors; /* at most ENQUIRY_MAX_ERRORS listed */
    size_t error_count;              /* exact number of bad items */
    bool too_many_items;             /* more than ENQUIRY_MAX_ITEMS */
};

void enquiry_batch_init(struct enquiry_batch *batch);
void enquiry_batch_free(struct enquiry_batch *batch);

/* Parse a body: one object, an array of objects (EVENT_BODY_JSON) or NDJSON. Returns
 * 0 (all valid), 1 (items invalid: errors listed, count 0) or -1 (the body cannot be
 * read, or too many items: one error listed, count 0), like event_parse_body.
 * Unknown fields are ignored. */
int enquiry_parse_body(struct enquiry_batch *batch, const char *body, size_t length,
                       enum event_body_format format);

/* The items as the jsonb array ccm_enquiries_put takes (instants in UTC). */
json_t *enquiry_batch_json(const struct enquiry_batch *batch);

/* {"dates": ["YYYY-MM-DD", ...]} (1..ENQUIRY_HOLIDAYS_MAX_DATES, no other key) into
 * day numbers, sorted and without duplicates (*days owned by the caller: free()). */
int enquiry_holidays_parse(const json_t *body, int32_t **days, size_t *count,
                           struct ccm_error *error);

/* scope=tenant or unit:NAME (NAME: 1-128 characters, no control characters). unit
 * gets "" for the tenant. */
#define ENQUIRY_UNIT_BYTES (ENQUIRY_UNIT_MAX_CHARS * 4 + 1)
int enquiry_scope_parse(const char *text, char unit[ENQUIRY_UNIT_BYTES], struct ccm_error *error);

/* How one enquiry counts in the month of its due date. */
enum enquiry_result {
    ENQUIRY_NOT_IN_TIME,    /* open or closed after the due date, no delay advised in time */
    ENQUIRY_CLOSED_IN_TIME, /* closed on or before the end of the due date (local) */
    ENQUIRY_DELAY_ADVISED,  /* not closed in time; delay advised on or before the due date */
};

struct enquiry_judgement {
    int32_t opened_day; /* local day number of opened_at */
    int32_t due_day;    /* the due_working_days-th working day after opened_day */
    enum enquiry_result result;
};

void enquiry_judge(const struct enquiry *enquiry, const struct tz_rule *tz,
                   const struct workday_calendar *calendar, int due_working_days,
                   struct enquiry_judgement *out);

/* The local days [*opened_from, *opened_to) whose enquiries fall due in the local days
 * [due_from, due_to): due dates are monotone in the opened day. */
void enquiry_opened_range(const struct workday_calendar *calendar, int due_working_days,
                          int32_t due_from, int32_t due_to, int32_t *opened_from,
                          int32_t *opened_to);

struct enquiry_counts {
    int64_t items_due;
    int64_t closed_in_time;
    int64_t delay_advised;
};

void enquiry_counts_add_result(struct enquiry_counts *counts, enum enquiry_result result);
void enquiry_counts_add(struct enquiry_counts *sum, const struct enquiry_counts *add);

enum enquiry_kpi {
    ENQUIRY_KPI_ITEMS_DUE,
    ENQUIRY_KPI_CLOSED_IN_TIME,
    ENQUIRY_KPI_DELAY_ADVISED,
    ENQUIRY_KPI_RESPONDED_IN_TIME,
    ENQUIRY_KPI_CLOSED_IN_TIME_PCT,
    ENQUIRY_KPI_DELAY_ADVISED_PCT,
    ENQUIRY_KPI_RESPONDED_IN_TIME_PCT,
    ENQUIRY_KPI_COUNT
};

/* Every figure from counts: percentages of items_due, null when none is due. */
void enquiry_compute(const struct enquiry_counts *counts,
                     struct kpi_value values[ENQUIRY_KPI_COUNT]);
const char *enquiry_kpi_name(enum enquiry_kpi key);
int enquiry_kpi_from_name(const char *name); /* -1 when unknown */
/* closed_in_time_pct and responded_in_time_pct are better higher and carry a target
 * and status; counts and delay_advised_pct (neither more nor fewer is better) do not. */
bool enquiry_kpi_has_target(enum enquiry_kpi key);

/*
 * Targets of enquiry figures are struct kpi_target whose `kpi` member holds an enum
 * enquiry_kpi (cast), in arrays holding only enquiry targets, so lib/kpi chooses the
 * one in force (kpi_target_in_force) and judges status (as every higher-is-better
 * percentage) exactly as for call KPIs.
 */
const struct kpi_target *enquiry_target_in_force(const struct kpi_target *targets, size_t count,
                                                 enum enquiry_kpi key, int32_t first_day);
enum kpi_status enquiry_status_of(enum enquiry_kpi key, const struct kpi_value *value,
                                  const struct kpi_target *target);

/* {"items_due": {"value": n}, "closed_in_time_pct": {"value", "target", ["amber",]
 * "status"}, ...}: the figures of GET /v1/enquiries/kpis and of the table. */
json_t *enquiry_figures_json(const struct enquiry_counts *counts, const struct kpi_target *targets,
                             size_t target_count, int32_t first_day);

/* Ageing of enquiries open at an instant: whole calendar days from the local date of
 * opened_at to the local date of the instant. */
enum enquiry_age_bucket {
    ENQUIRY_AGE_LT10,
    ENQUIRY_AGE_D10_19,
    ENQUIRY_AGE_D20_29,
    ENQUIRY_AGE_D30_39,
    ENQUIRY_AGE_D40_PLUS,
    ENQUIRY_AGE_COUNT
};

/* Open at `at_us`: opened_at <= at and not closed at or before it. */
bool enquiry_open_at(const struct enquiry *enquiry, int64_t at_us);
int32_t enquiry_age_days(int64_t opened_us, int64_t at_us, const struct tz_rule *tz);
enum enquiry_age_bucket enquiry_age_bucket_of(int32_t days);
const char *enquiry_age_bucket_name(enum enquiry_age_bucket bucket);

struct enquiry_ageing {
    int64_t buckets[ENQUIRY_AGE_COUNT];
};

/* {"lt10", "d10_19", "d20_29", "d30_39", "d40_plus", "over_10", "total"}. */
json_t *enquiry_ageing_json(const struct enquiry_ageing *ageing);

#endif
