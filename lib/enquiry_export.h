/*
 * enquiry_export: the financial-year table of members' enquiries (issue 8 point
 * 5): per delivery unit and overall, per month of the due date, per quarter (sums
 * of the months' counts, the formulas applied to the sums) and for the year, with
 * the targets in force on each column's first day and status. Renders JSON (the
 * page and GET /v1/exports/enquiries?format=json) and CSV (cells through
 * export_csv_field). Pure.
 */
#ifndef CCM_ENQUIRY_EXPORT_H
#define CCM_ENQUIRY_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "enquiry.h"
#include "text_buffer.h"

#define ENQUIRY_TABLE_MONTHS   12
#define ENQUIRY_TABLE_COLUMNS  17 /* 12 months, Q1-Q4, the year */
#define ENQUIRY_TABLE_MAX_ROWS 1000

struct enquiry_table_row {
    char *unit; /* NULL: every unit (scope tenant) */
    struct enquiry_counts months[ENQUIRY_TABLE_MONTHS];
    struct kpi_target *targets; /* owned; kpi holds an enum enquiry_kpi (see enquiry.h) */
    size_t target_count;
};

struct enquiry_table {
    int fy;
    int fy_start_month;
    int due_working_days;
    int32_t month_first_day[ENQUIRY_TABLE_MONTHS + 1]; /* the 13th: the next year's first */
    struct enquiry_table_row *rows;                    /* rows[0]: every unit */
    size_t row_count;
    size_t row_capacity;
};

/* 0, or -1 when out of memory or fy is outside 1971..9997. */
int enquiry_table_init(struct enquiry_table *table, int fy, int fy_start_month,
                       int due_working_days);
void enquiry_table_free(struct enquiry_table *table);

/* Counts an enquiry due on local day due_day in its unit's row and in rows[0];
 * nothing when the day is outside the year. -1 when out of memory or too many units. */
int enquiry_table_add(struct enquiry_table *table, const char *unit, int32_t due_day,
                      enum enquiry_result result);

/* The row of a unit (NULL: rows[0]), added when new; NULL when out of memory. */
struct enquiry_table_row *enquiry_table_row(struct enquiry_table *table, const char *unit);

/* Unit rows in byte order of their names (rows[0] stays first). */
void enquiry_table_sort(struct enquiry_table *table);

/* The counts and first local day of a column (0-11 months, 12-15 Q1-Q4, 16 year). */
void enquiry_table_column(const struct enquiry_table *table, const struct enquiry_table_row *row,
                          int column, struct enquiry_counts *counts, int32_t *first_day);

/* "2026-04" ... "Q1" ... "year". */
void enquiry_table_column_key(const struct enquiry_table *table, int column, char out[16]);

json_t *enquiry_table_json(const struct enquiry_table *table);
void enquiry_table_csv(const struct enquiry_table *table, struct text_buffer *out);
/* Printable HTML (A4 landscape, no script): a table per unit and overall, Actual with
 * status (fill, word in the key and symbol) and Target rows. */
void enquiry_table_html(const struct enquiry_table *table, const char *title,
                        struct text_buffer *out);

#endif
