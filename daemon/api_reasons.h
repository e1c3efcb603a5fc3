/*
 * api_reasons: GET /v1/reasons (top reasons for contact of a scope and period) and
 * the statement the financial-year export shares with it.
 */
#ifndef CCM_API_REASONS_H
#define CCM_API_REASONS_H

#include <stdbool.h>

#include "api_kpi.h"
#include "scope.h"

/*
 * The top $6 reasons of a scope's contacts over [$2, $3): $1 tenant id, $4 queue or
 * service name (NULL for the tenant), $5 channel number (NULL: all). Rows: kind 0 per
 * bucket (kind, NULL, bucket, contacts, contacts with a reason), then kind 1 per top
 * reason and bucket in rank order (kind, reason, bucket, count, the reason's count over
 * the whole range). by_month: buckets are local months "YYYY-MM", else one "total".
 */
void api_reasons_sql(char out[API_KPI_SUMS_SQL_MAX], enum scope_kind kind, bool by_month);

#endif
