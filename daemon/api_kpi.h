/*
 * api_kpi: the pieces of GET /v1/kpis other views reuse (the live view): the
 * SQL that sums a scope's figures (interval aggregates, repeat-contact counts),
 * reading those sums and the targets back, and the JSON of figures with
 * targets and status.
 */
#ifndef CCM_API_KPI_H
#define CCM_API_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "kpi.h"
#include "period.h"
#include "scope.h"
#include "text_buffer.h"
#include "tz.h"

struct tenant;

#define API_KPI_MAX_TARGETS 1024

/* Size of a buffer for api_kpi_sums_sql. */
#define API_KPI_SUMS_SQL_MAX 3072
/* The sums of a row start at this column (after the bucket key and its first instant). */
#define API_KPI_SUMS_COLUMN 2
/* SELECT kpi, effective_from, value, amber of a scope ($1 tenant id, $2 scope text):
 * the targets of every channel together; with a channel ($3, its name), that
 * channel's own targets (a channel's figure is never judged by another's target). */
extern const char *const api_kpi_targets_sql;
extern const char *const api_kpi_channel_targets_sql;

/* Survey ratings per bucket over [$2, $3), parameters as api_kpi_sums_sql; `bucket`
 * an expression of local_date or `at`. Rows in time order: bucket, first instant,
 * good, average, poor (api_kpi_read_surveys). */
void api_kpi_surveys_sql(char out[API_KPI_SUMS_SQL_MAX], enum scope_kind kind, const char *bucket);
void api_kpi_read_surveys(PGresult *result, int row, struct kpi_counters *counters);

/* Contacts offered in the same local period of the tenant's baseline financial year,
 * per bucket: $1 tenant id, $2 and $3 the buckets' local bounds (timestamp[]), $4 name,
 * $5 channel, $6 the financial year of each bucket (integer[]). Rows in bucket order:
 * ordinal, count (NULL when the tenant has no baseline year; api_kpi_read_baseline). */
void api_kpi_baseline_sql(char out[API_KPI_SUMS_SQL_MAX], enum scope_kind kind, bool use_raw);
struct api_kpi_baseline_params {
    struct text_buffer local_from, local_to, fy; /* PostgreSQL array literals */
    size_t count;
};
void api_kpi_baseline_params_init(struct api_kpi_baseline_params *params);
void api_kpi_baseline_params_free(struct api_kpi_baseline_params *params);
void api_kpi_baseline_params_add(struct api_kpi_baseline_params *params,
                                 const struct period *period, const struct tz_rule *tz,
                                 int fy_start_month);
void api_kpi_baseline_params_finish(struct api_kpi_baseline_params *params);
void api_kpi_read_baseline(PGresult *result, int row, struct kpi_counters *counters);

/*
 * Writes the one statement that sums a scope's figures over [$2, $3) per bucket:
 * $1 tenant id, $4 queue or service name (NULL for the tenant), $5 channel number
 * (NULL: all). `bucket` is an SQL expression of local_date, interval_start or (raw)
 * offered_at, e.g. "'total'". use_raw sums the raw contacts (bounds off the 15-minute
 * grid) instead of the interval aggregates. Rows, in time order: bucket, its first
 * instant, then the sums api_kpi_read_counters reads. Repeat-contact counts come from
 * the aggregates for days the finalizer has made final and, with repeat_from_raw, from
 * the raw contacts for the rest, in the same snapshot (without: those days count 0).
 */
void api_kpi_sums_sql(char out[API_KPI_SUMS_SQL_MAX], enum scope_kind kind, const char *bucket,
                      bool use_raw, bool repeat_from_raw);
/* The 14 sums of kpi_counters (then two repeat counts that need a CTE f with
 * column `through`, a date) over contact_intervals, and the same 14 (then two
 * zeros) over contact_facts: the select lists of every statement that sums. */
extern const char *const api_kpi_aggregate_columns;
extern const char *const api_kpi_raw_columns;
/* Reads the 14 sums that start at `column` of `row`. */
void api_kpi_read_sums(PGresult *result, int row, int column, struct kpi_counters *counters);
/* Reads the sums of `row` (api_kpi_sums_sql) into counters, and the longest repeat
 * window of the tenant's queues in days. */
void api_kpi_read_counters(PGresult *result, int row, struct kpi_counters *counters,
                           int *repeat_window_days);
/* repeat_fcr_pct is final only once the repeat window has passed after the period. */
bool api_kpi_repeat_provisional(const struct period *period, int repeat_window_days);
/* Reads a targets answer (api_kpi_targets_sql); at most API_KPI_MAX_TARGETS. */
size_t api_kpi_read_targets(PGresult *result, struct kpi_target *targets);
json_t *api_kpi_period_json(const struct period *period, const struct tenant *tenant);
/* with_other_work: also the survey and channel-shift figures (the counters hold them). */
json_t *api_kpi_figures_json(const struct kpi_counters *counters, const struct kpi_target *targets,
                             size_t target_count, int32_t first_day, bool repeat_provisional,
                             bool with_other_work);

struct http_call;
/* The common query of list endpoints: scope=S, period=P and a count (limit=, top=)
 * of 1..maximum, fallback when absent. Replies 400 and returns -1 when one is bad. */
int api_kpi_list_query(struct http_call *call, struct scope *scope, char *scope_text,
                       size_t scope_text_size, struct period *period, const char *count_name,
                       long fallback, long maximum, long *count);

#endif
