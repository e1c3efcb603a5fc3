/*
 * api_kpi: the pieces of GET /v1/kpis other views reuse (the live view): the
 * SQL that sums a scope's interval aggregates, reading those sums and the
 * targets back, and the JSON of figures with targets and status.
 */
#ifndef CCM_API_KPI_H
#define CCM_API_KPI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "kpi.h"
#include "period.h"

struct tenant;

#define API_KPI_MAX_TARGETS 1024

/* The 14 sums of contact_intervals in the order api_kpi_read_counters reads them. */
extern const char *const api_kpi_aggregate_columns;
/* SELECT kpi, effective_from, value, amber of a scope ($1 tenant id, $2 scope text). */
extern const char *const api_kpi_targets_sql;

int64_t api_kpi_now_us(void);
/* Reads the 14 sums starting at `column` of `row` into counters. */
void api_kpi_read_counters(PGresult *result, int row, int column, struct kpi_counters *counters);
/* Reads a targets answer (api_kpi_targets_sql); at most API_KPI_MAX_TARGETS. */
size_t api_kpi_read_targets(PGresult *result, struct kpi_target *targets);
json_t *api_kpi_period_json(const struct period *period, const struct tenant *tenant);
json_t *api_kpi_figures_json(const struct kpi_counters *counters, const struct kpi_target *targets,
                             size_t target_count, int32_t first_day);

#endif
