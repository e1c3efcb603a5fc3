/* enquiry_export: the financial-year table of members' enquiries (see enquiry_export.h). */
#include "enquiry_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "export.h"

int enquiry_table_init(struct enquiry_table *table, int fy, int fy_start_month,
                       int due_working_days)
{
    memset(table, 0, sizeof *table);
    if (fy < 1971 || fy > 9997 || fy_start_month < 1 || fy_start_month > 12)
        return -1;
    table->fy = fy;
    table->fy_start_month = fy_start_month;
    table->due_working_days = due_working_days;
    for (int m = 0; m <= ENQUIRY_TABLE_MONTHS; m++) {
        int month0 = fy_start_month - 1 + m;
        table->month_first_day[m] = calendar_days_from_civil(fy + month0 / 12, month0 % 12 + 1, 1);
    }
    return enquiry_table_row(table, NULL) ? 0 : -1;
}

void enquiry_table_free(struct enquiry_table *table)
{
    for (size_t i = 0; i < table->row_count; i++) {
        free(table->rows[i].unit);
        free(table->rows[i].targets);
    }
    free(table->rows);
    memset(table, 0, sizeof *table);
}

struct enquiry_table_row *enquiry_table_row(struct enquiry_table *table, const char *unit)
{
    struct enquiry_table_row *row;

    for (size_t i = 0; i < table->row_count; i++) {
        const char *name = table->rows[i].unit;
        if ((!unit && !name) || (unit && name && strcmp(unit, name) == 0))
            return &table->rows[i];
    }
    if (table->row_count >= ENQUIRY_TABLE_MAX_ROWS + 1)
        return NULL;
    if (table->row_count == table->row_capacity) {
        size_t capacity = table->row_capacity ? table->row_capacity * 2 : 8;
        struct enquiry_table_row *rows = realloc(table->rows, capacity * sizeof *rows);
        if (!rows)
            return NULL;
        table->rows = rows;
        table->row_capacity = capacity;
    }
    row = &table->rows[table->row_count];
    memset(row, 0, sizeof *row);
    if (unit) {
        size_t length = strlen(unit);
        row->unit = malloc(length + 1);
        if (!row->unit)
            return NULL;
        memcpy(row->unit, unit, length + 1);
    }
    table->row_count++;
    return row;
}

int enquiry_table_add(struct enquiry_table *table, const char *unit, int32_t due_day,
                      enum enquiry_result result)
{
    struct enquiry_table_row *row;
    int month = -1;

    for (int m = 0; m < ENQUIRY_TABLE_MONTHS; m++)
        if (due_day >= table->month_first_day[m] && due_day < table->month_first_day[m + 1])
            month = m;
    if (month < 0)
        return 0;
    row = enquiry_table_row(table, unit);
    if (!row)
        return -1;
    enquiry_counts_add_result(&row->months[month], result);
    enquiry_counts_add_result(&table->rows[0].months[month], result);
    return 0;
}

static int enquiry_table_compare_rows(const void *a, const void *b)
{
    return strcmp(((const struct enquiry_table_row *)a)->unit,
                  ((const struct enquiry_table_row *)b)->unit);
}

void enquiry_table_sort(struct enquiry_table *table)
{
    if (table->row_count > 2)
        qsort(table->rows + 1, table->row_count - 1, sizeof *table->rows,
              enquiry_table_compare_rows);
}

void enquiry_table_column(const struct enquiry_table *table, const struct enquiry_table_row *row,
                          int column, struct enquiry_counts *counts, int32_t *first_day)
{
    int from, to;

    if (column < ENQUIRY_TABLE_MONTHS) {
        from = column;
        to = column + 1;
    } else if (column < ENQUIRY_TABLE_MONTHS + 4) {
        from = (column - ENQUIRY_TABLE_MONTHS) * 3;
        to = from + 3;
    } else {
        from = 0;
        to = ENQUIRY_TABLE_MONTHS;
    }
    memset(counts, 0, sizeof *counts);
    for (int m = from; m < to; m++)
        enquiry_counts_add(counts, &row->months[m]);
    *first_day = table->month_first_day[from];
}

void enquiry_table_column_key(const struct enquiry_table *table, int column, char out[16])
{
    if (column < ENQUIRY_TABLE_MONTHS) {
        struct calendar_date date = calendar_civil_from_days(table->month_first_day[column]);
        snprintf(out, 16, "%04d-%02d", date.year % 10000, date.month % 100);
    } else if (column < ENQUIRY_TABLE_MONTHS + 4) {
        snprintf(out, 16, "Q%d", column - ENQUIRY_TABLE_MONTHS + 1);
    } else {
        snprintf(out, 16, "year");
    }
}

static const char *enquiry_table_scope(const struct enquiry_table_row *row, char *out, size_t size)
{
    if (!row->unit)
        return "tenant";
    snprintf(out, size, "unit:%s", row->unit);
    return out;
}

json_t *enquiry_table_json(const struct enquiry_table *table)
{
    json_t *columns = json_array(), *rows = json_array();
    char from[11], to[11], key[16], scope[ENQUIRY_UNIT_BYTES + 8];

    for (int c = 0; c < ENQUIRY_TABLE_COLUMNS; c++) {
        struct enquiry_counts counts;
        int32_t first_day;
        enquiry_table_column(table, &table->rows[0], c, &counts, &first_day);
        enquiry_table_column_key(table, c, key);
        calendar_format_date(first_day, from);
        json_array_append_new(columns, json_pack("{s:s, s:s}", "key", key, "first_day", from));
    }
    for (size_t r = 0; r < table->row_count; r++) {
        const struct enquiry_table_row *row = &table->rows[r];
        json_t *figures = json_array();
        for (int c = 0; c < ENQUIRY_TABLE_COLUMNS; c++) {
            struct enquiry_counts counts;
            int32_t first_day;
            enquiry_table_column(table, row, c, &counts, &first_day);
            json_array_append_new(
                figures, enquiry_figures_json(&counts, row->targets, row->target_count, first_day));
        }
        json_array_append_new(rows, json_pack("{s:s, s:o, s:o}", "scope",
                                              enquiry_table_scope(row, scope, sizeof scope), "unit",
                                              row->unit ? json_string(row->unit) : json_null(),
                                              "columns", figures));
    }
    calendar_format_date(table->month_first_day[0], from);
    calendar_format_date(table->month_first_day[ENQUIRY_TABLE_MONTHS], to);
    return json_pack("{s:i, s:s, s:s, s:i, s:o, s:o}", "fy", table->fy, "from", from, "to", to,
                     "due_working_days", table->due_working_days, "columns", columns, "rows", rows);
}

static const char *const enquiry_csv_labels[ENQUIRY_KPI_COUNT] = {
    "Items due",        "Closed in time",  "Delay advised",       "Responded in time",
    "Closed in time %", "Delay advised %", "Responded in time %",
};

/* The figure of one cell as shown: counts whole, percentages to 1 place; "" for none. */
static void enquiry_csv_number(const struct kpi_value *value, char out[32])
{
    if (value->is_null)
        out[0] = '\0';
    else if (value->is_count)
        snprintf(out, 32, "%lld", (long long)value->count);
    else
        snprintf(out, 32, "%.1f", kpi_round_half_away(value->value, 1));
}

/* Every figure of a row's columns, and the target in force for each (NULL: none). */
static void
enquiry_table_figures(const struct enquiry_table *table, const struct enquiry_table_row *row,
                      struct kpi_value values[ENQUIRY_TABLE_COLUMNS][ENQUIRY_KPI_COUNT],
                      const struct kpi_target *targets[ENQUIRY_TABLE_COLUMNS][ENQUIRY_KPI_COUNT])
{
    for (int c = 0; c < ENQUIRY_TABLE_COLUMNS; c++) {
        struct enquiry_counts counts;
        int32_t first_day;
        enquiry_table_column(table, row, c, &counts, &first_day);
        enquiry_compute(&counts, values[c]);
        for (int k = 0; k < ENQUIRY_KPI_COUNT; k++)
            targets[c][k] =
                enquiry_kpi_has_target(k)
                    ? enquiry_target_in_force(row->targets, row->target_count, k, first_day)
                    : NULL;
    }
}

void enquiry_table_csv(const struct enquiry_table *table, struct text_buffer *out)
{
    char key[16], cell[32], scope[ENQUIRY_UNIT_BYTES + 8];

    text_buffer_append_string(out, "Scope,Measure,Row");
    for (int c = 0; c < ENQUIRY_TABLE_COLUMNS; c++) {
        enquiry_table_column_key(table, c, key);
        text_buffer_append_string(out, ",");
        export_csv_field(out, strcmp(key, "year") == 0 ? "Year" : key);
    }
    text_buffer_append_string(out, "\r\n");
    for (size_t r = 0; r < table->row_count; r++) {
        const struct enquiry_table_row *row = &table->rows[r];
        struct kpi_value values[ENQUIRY_TABLE_COLUMNS][ENQUIRY_KPI_COUNT];
        const struct kpi_target *targets[ENQUIRY_TABLE_COLUMNS][ENQUIRY_KPI_COUNT];

        enquiry_table_figures(table, row, values, targets);
        for (int k = 0; k < ENQUIRY_KPI_COUNT; k++) {
            static const char *const kinds[3] = {"Actual", "Target", "Status"};
            for (int kind = 0; kind < (enquiry_kpi_has_target(k) ? 3 : 1); kind++) {
                export_csv_field(out, enquiry_table_scope(row, scope, sizeof scope));
                text_buffer_append_string(out, ",");
                export_csv_field(out, enquiry_csv_labels[k]);
                text_buffer_append_string(out, ",");
                text_buffer_append_string(out, kinds[kind]);
                for (int c = 0; c < ENQUIRY_TABLE_COLUMNS; c++) {
                    const struct kpi_target *target = targets[c][k];
                    text_buffer_append_string(out, ",");
                    if (kind == 0) {
                        enquiry_csv_number(&values[c][k], cell);
                    } else if (kind == 1) {
                        struct kpi_value shown = {.is_null = !target,
                                                  .value = target ? target->value : 0};
                        enquiry_csv_number(&shown, cell);
                    } else {
                        snprintf(cell, sizeof cell, "%s",
                                 export_status_word(enquiry_status_of(k, &values[c][k], target)));
                    }
                    export_csv_field(out, cell);
                }
                text_buffer_append_string(out, "\r\n");
            }
        }
    }
}

void enquiry_table_html(const struct enquiry_table *table, const char *title,
                        struct text_buffer *out)
{
    char cell[32], label[24];

    text_buffer_append_string(
        out, "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    export_html_escape(out, title);
    text_buffer_append_string(
        out, "</title>\n<style>\n"
             "@page { size: A4 landscape; margin: 10mm; }\n"
             "body { font: 9pt/1.3 \"DejaVu Sans\", Arial, sans-serif; color: #111; margin: 0; }\n"
             "h1 { font-size: 14pt; margin: 0 0 2mm; } h2 { font-size: 11pt; margin: 4mm 0 2mm; "
             "break-after: avoid; }\n"
             "table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; "
             "font-size: 8pt; break-inside: avoid; }\n"
             "th, td { border: 0.3mm solid #999; padding: 0.6mm 1mm; text-align: right; }\n"
             "th.kpi { text-align: left; } thead th { background: #e8e8e8; }\n"
             "tr.target td { color: #444; }\n"
             "td.green { background: #d9f0df; } td.amber { background: #fde9c8; }\n"
             "td.red { background: #f7d4d4; }\n"
             "</style>\n</head>\n<body>\n<h1>");
    export_html_escape(out, title);
    text_buffer_printf(out,
                       "</h1>\n<p>Members' enquiries by the month they fall due (%d working "
                       "day%s after they were opened), financial year %d-%02d.</p>\n",
                       table->due_working_days, table->due_working_days == 1 ? "" : "s", table->fy,
                       (table->fy + 1) % 100);
    for (size_t r = 0; r < table->row_count; r++) {
        const struct enquiry_table_row *row = &table->rows[r];
        text_buffer_append_string(out, "<h2>");
        export_html_escape(out, row->unit ? row->unit : "Every delivery unit");
        text_buffer_append_string(out, "</h2>\n<table>\n<thead><tr><th class=\"kpi\"></th>"
                                       "<th class=\"kpi\"></th>");
        for (int c = 0; c < ENQUIRY_TABLE_COLUMNS; c++) {
            if (c < ENQUIRY_TABLE_MONTHS) {
                struct calendar_date first = calendar_civil_from_days(table->month_first_day[c]);
                snprintf(label, sizeof label, "%s %04d", export_month_name(first.month),
                         first.year);
            } else if (c < ENQUIRY_TABLE_COLUMNS - 1) {
                snprintf(label, sizeof label, "Q%d", c - ENQUIRY_TABLE_MONTHS + 1);
            } else {
                snprintf(label, sizeof label, "Year");
            }
            text_buffer_printf(out, "<th scope=\"col\">%s</th>", label);
        }
        text_buffer_append_string(out, "</tr></thead>\n<tbody>\n");
        struct kpi_value values[ENQUIRY_TABLE_COLUMNS][ENQUIRY_KPI_COUNT];
        const struct kpi_target *targets[ENQUIRY_TABLE_COLUMNS][ENQUIRY_KPI_COUNT];
        enquiry_table_figures(table, row, values, targets);
        for (int k = 0; k < ENQUIRY_KPI_COUNT; k++) {
            bool with_target = enquiry_kpi_has_target(k);
            for (int kind = 0; kind < (with_target ? 2 : 1); kind++) {
                text_buffer_printf(out, "<tr class=\"%s\" data-kpi=\"%s\">",
                                   kind ? "target" : "actual", enquiry_kpi_name(k));
                text_buffer_printf(out, "<th class=\"kpi\" scope=\"row\">%s</th>",
                                   enquiry_csv_labels[k]);
                text_buffer_printf(out, "<th class=\"kpi\">%s</th>", kind ? "Target" : "Actual");
                for (int c = 0; c < ENQUIRY_TABLE_COLUMNS; c++) {
                    const struct kpi_target *target = targets[c][k];
                    if (kind == 1) {
                        struct kpi_value shown = {.is_null = !target,
                                                  .value = target ? target->value : 0};
                        enquiry_csv_number(&shown, cell);
                        text_buffer_printf(out, "<td>%s</td>", cell);
                        continue;
                    }
                    enum kpi_status status = enquiry_status_of(k, &values[c][k], target);
                    enquiry_csv_number(&values[c][k], cell);
                    text_buffer_printf(out, "<td class=\"%s\">%s%s</td>", kpi_status_name(status),
                                       cell, export_status_symbol(status));
                }
                text_buffer_append_string(out, "</tr>\n");
            }
        }
        text_buffer_append_string(out, "</tbody>\n</table>\n");
    }
    text_buffer_append_string(out, "<p>Status: \xe2\x9c\x93 on target, \xe2\x96\xb2 near target, "
                                   "\xe2\x9c\x97 off target.</p>\n</body>\n</html>\n");
}
