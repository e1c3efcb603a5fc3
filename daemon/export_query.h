/*
 * export_query: reads what a financial-year export needs and builds its tables
 * (lib/export), for GET /v1/exports/monthly and for `ccmetricsd export`. Owns struct
 * export_query: the request (scopes, year, profile) and the parameters of its
 * statements, one snapshot: the profile, the year's publications, and per scope
 * its live monthly sums (the same statement as GET /v1/kpis/series), its targets,
 * its published sums and targets, and its commentary.
 */
#ifndef CCM_EXPORT_QUERY_H
#define CCM_EXPORT_QUERY_H

#include <libpq-fe.h>

#include "api_kpi.h"
#include "ccm_error.h"
#include "db.h"
#include "export.h"
#include "scope.h"
#include "tz.h"

#define EXPORT_SCOPES_MAX 8

struct export_query {
    int64_t tenant_id;
    char tenant_id_text[24];
    struct tz_rule tz;
    int fy_start_month;
    int fy;
    int32_t today;
    size_t scope_count;
    struct scope scopes[EXPORT_SCOPES_MAX];
    char scope_texts[EXPORT_SCOPES_MAX][SCOPE_TEXT_MAX];
    char profile_name[64]; /* "" : the default */
    int channel;           /* -1: every channel (export_query_set_channel) */
    char channel_text[16]; /* its number, a statement parameter */
    /* statement parameters */
    char from_text[32], to_text[32], first_month[11], after_month[11];
    /* the months' local bounds and financial year, for the baseline-year volumes */
    char baseline_from[EXPORT_MONTHS * 32 + 8], baseline_to[EXPORT_MONTHS * 32 + 8],
        baseline_fy[EXPORT_MONTHS * 8 + 8];
};

/* Fill in and check the request. scope_texts: 1-8 scopes. */
int export_query_init(struct export_query *query, int64_t tenant_id, const struct tz_rule *tz,
                      int fy_start_month, int64_t now_us, const char *const *scope_texts,
                      size_t scope_count, const char *fy_text, const char *profile,
                      struct ccm_error *error);

/* One channel's table (its figures, its own targets; published figures are frozen
 * for every channel together, so a channel's table shows live figures only). */
int export_query_set_channel(struct export_query *query, const char *channel,
                             struct ccm_error *error);

/* The statements, in order; returns their count (<= DB_MAX_STATEMENTS). */
int export_query_statements(struct export_query *query, struct db_statement *statements);

/* Build one table per scope from the statements' results. *tables_out is an array
 * of query->scope_count tables (export_query_tables_free). -1 with the reason (an
 * unknown profile, out of memory). */
int export_query_tables(const struct export_query *query, PGresult *const *results,
                        struct export_table **tables_out, struct ccm_error *error);
void export_query_tables_free(struct export_table *tables, size_t count);

#endif
