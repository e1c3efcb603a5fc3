/*
 * export: the financial-year scrutiny table councils put before their panels, and
 * its text formats (issue 6). Owns struct export_table: for one scope, per KPI of an
 * export profile, a Target and an Actual per month (April-March, or the tenant's
 * financial year), per quarter and for the year to date, with status, commentary,
 * and for published months the published figure and, when the live figure has moved
 * since, the live one ("restated"). Pure: the daemon hands it counters and targets;
 * it computes every figure with lib/kpi and renders CSV (RFC 4180, formula injection
 * neutralised), JSON and printable HTML (A4 landscape, SVG trend charts).
 */
#ifndef CCM_EXPORT_H
#define CCM_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ccm_error.h"
#include "kpi.h"
#include "text_buffer.h"

#define EXPORT_MONTHS      12
#define EXPORT_QUARTERS    4
#define EXPORT_COLUMNS     (EXPORT_MONTHS + EXPORT_QUARTERS + 1) /* months, Q1-Q4, year to date */
#define EXPORT_YEAR_COLUMN (EXPORT_COLUMNS - 1)
#define EXPORT_KPIS_MAX    32
#define EXPORT_TARGETS_MAX 256
#define EXPORT_TEXT_MAX    400

/* Top reasons for contact in an export (issue 8): per scope, the reasons with the
 * most contacts over the financial year, with their count in every column. */
#define EXPORT_REASONS_TOP      10
#define EXPORT_REASONS_TOP_TEXT "10"

struct export_reason_row {
    char reason[EXPORT_TEXT_MAX];
    int64_t counts[EXPORT_MONTHS + EXPORT_QUARTERS + 1];
};

/* One KPI row of a profile: which figure, and how the council refers to it. */
struct export_kpi {
    enum kpi_key kpi;
    char reference[64];
    char description[EXPORT_TEXT_MAX];
};

struct export_profile {
    char name[64];
    size_t count;
    struct export_kpi kpis[EXPORT_KPIS_MAX];
};

/* The default profile: calls answered, abandoned, service level, speed of answer,
 * handling time, first-contact resolution, repeat contacts, volume. */
void export_profile_default(struct export_profile *profile);
/* {"kpis": [{"kpi": "answered_pct", "reference": "CC01", "description": "..."}]} */
int export_profile_parse(struct export_profile *profile, const json_t *definition,
                         struct ccm_error *error);

/* What the daemon read for one month. */
struct export_month_input {
    bool begun;               /* its first day is today or earlier */
    struct kpi_counters live; /* the figures now */
    bool published;
    struct kpi_counters published_counters;
    size_t published_target_count; /* the scope's targets frozen with it */
    struct kpi_target published_targets[EXPORT_TARGETS_MAX];
};

struct export_comment {
    enum kpi_key kpi;
    int month; /* 0-11 */
    char text[2000];
};

struct export_cell {
    bool has_value;
    double value;
    bool has_target;
    double target;
    enum kpi_status status;
    bool restated; /* published, and the live figure is another one */
    bool has_live;
    double live_value;
};

struct export_table {
    char scope[600];
    char scope_label[620];
    int fy;             /* the year the financial year starts in */
    int fy_start_month; /* 1-12 */
    int32_t column_first_day[EXPORT_COLUMNS];
    char column_key[EXPORT_COLUMNS][16];   /* "2026-04", "Q1", "year" */
    char column_label[EXPORT_COLUMNS][24]; /* "Apr 2026", "Q1", "Year to date" */
    bool column_begun[EXPORT_COLUMNS];
    bool month_published[EXPORT_MONTHS];
    bool month_restated[EXPORT_MONTHS];
    struct export_profile profile;
    struct export_cell cells[EXPORT_KPIS_MAX][EXPORT_COLUMNS];
    size_t comment_count;
    struct export_comment *comments; /* owned */
    char channel[16];                /* "" : every channel (export_table_set_channel) */
    /* reasons: the top ones, then the rest with a reason, those without, and all */
    size_t reason_count;
    struct export_reason_row reasons[EXPORT_REASONS_TOP];
    struct export_reason_row other_reasons, no_reason, all_contacts;
};

/* Build the table. targets: the scope's live targets (every effective date). */
int export_table_build(struct export_table *table, const char *scope, int fy, int fy_start_month,
                       int32_t today, const struct export_profile *profile,
                       const struct export_month_input months[EXPORT_MONTHS],
                       const struct kpi_target *targets, size_t target_count,
                       const struct export_comment *comments, size_t comment_count,
                       struct ccm_error *error);
void export_table_free(struct export_table *table);

/* Make the table one channel's: its label and every format say so. */
void export_table_set_channel(struct export_table *table, const char *channel);
/* Add a month's count of one reason (reasons in rank order: the first call for a
 * reason gives its row; beyond EXPORT_REASONS_TOP they are ignored), and a month's
 * totals: every contact and those with a reason. Then export_table_sum_reasons makes
 * the other rows and the quarter and year columns. month: 0-11. */
void export_table_add_reason(struct export_table *table, const char *reason, int month,
                             int64_t count);
void export_table_add_reason_totals(struct export_table *table, int month, int64_t contacts,
                                    int64_t with_reason);
void export_table_sum_reasons(struct export_table *table);
/* The reasons rows in order, the top ones (reference R01..), then the rest with a
 * reason (ROTHER), those without (RNONE) and every contact (RALL); NULL past them. */
const struct export_reason_row *export_table_reason(const struct export_table *table, size_t index,
                                                    char reference[16]);

/* A figure as published: percentages to 1 place, seconds and counts whole. "" for none. */
void export_format_number(enum kpi_key kpi, bool has, double value, char *out, size_t size);

/* The formats; several tables (one per scope) in one output. Append to `out`. */
void export_render_csv(const struct export_table *tables, size_t count, struct text_buffer *out);
json_t *export_render_json(const struct export_table *tables, size_t count);
void export_render_html(const struct export_table *tables, size_t count, const char *title,
                        struct text_buffer *out);

/* A status in words ("On target", "Near target", "Off target", "" for none) and as a
 * symbol after a figure (" ✓", " ▲", " ✗", ""): status is never colour alone. */
const char *export_status_word(enum kpi_status status);
const char *export_status_symbol(enum kpi_status status);
/* "Jan".."Dec" for 1..12. */
const char *export_month_name(int month);

/* Text for HTML content or a quoted attribute: < > & " ' escaped. */
void export_html_escape(struct text_buffer *out, const char *text);

/* One CSV field, RFC 4180, with a cell that a spreadsheet would read as a formula
 * (starting =, +, -, @, tab or CR, unless it is a plain number) prefixed with '. */
void export_csv_field(struct text_buffer *out, const char *text);

#endif
