/*
 * export_xlsx: the financial-year tables as an Excel workbook (see export_xlsx.h).
 */
#include "export_xlsx.h"

#include <stdio.h>
#include <string.h>

#include <xlsxwriter.h>

/* A sheet name: at most 31 characters, none of []:*?/\ (Excel's rules), unique. */
static void export_xlsx_sheet_name(const struct export_table *table, size_t index, char out[32])
{
    char name[32];
    size_t length = 0;
    for (const char *p = table->scope; *p && length < 26; p++) { /* index < 8: "8 " */
        if (strchr("[]:*?/\\", *p))
            name[length++] = *p == ':' ? ' ' : '_';
        else if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
            name[length++] = *p;
    }
    name[length] = '\0';
    snprintf(out, 32, "%d %.26s", (int)(index % 100) + 1, name); /* at most 3 + 26 bytes */
}

int export_xlsx_write(const struct export_table *tables, size_t count, const char *title,
                      const char *path, const char *tmpdir, struct ccm_error *error)
{
    lxw_workbook_options options = {.constant_memory = LXW_FALSE, .tmpdir = (char *)tmpdir};
    lxw_workbook *workbook = workbook_new_opt(path, &options);
    lxw_format *bold, *header, *number[3], *fill[4][3], *text, *wrap, *heading;
    static const char *const formats[3] = {"#,##0", "0.0", "0"};
    static const uint32_t fills[4] = {0, 0xD9F0DF, 0xFDE9C8, 0xF7D4D4};
    char label[64];

    if (!workbook)
        return ccm_error_set(error, "cannot create the workbook");
    bold = workbook_add_format(workbook);
    format_set_bold(bold);
    heading = workbook_add_format(workbook);
    format_set_bold(heading);
    format_set_font_size(heading, 14);
    header = workbook_add_format(workbook);
    format_set_bold(header);
    format_set_bg_color(header, 0xE8E8E8);
    format_set_border(header, LXW_BORDER_THIN);
    format_set_text_wrap(header);
    text = workbook_add_format(workbook);
    format_set_border(text, LXW_BORDER_THIN);
    wrap = workbook_add_format(workbook);
    format_set_text_wrap(wrap);
    format_set_border(wrap, LXW_BORDER_THIN);
    for (int f = 0; f < 3; f++) {
        number[f] = workbook_add_format(workbook);
        format_set_num_format(number[f], formats[f]);
        format_set_border(number[f], LXW_BORDER_THIN);
        for (int s = 0; s < 4; s++) {
            fill[s][f] = workbook_add_format(workbook);
            format_set_num_format(fill[s][f], formats[f]);
            format_set_border(fill[s][f], LXW_BORDER_THIN);
            format_set_bold(fill[s][f]);
            if (fills[s])
                format_set_bg_color(fill[s][f], fills[s]);
        }
    }
    for (size_t t = 0; t < count; t++) {
        const struct export_table *table = &tables[t];
        char sheet_name[32];
        export_xlsx_sheet_name(table, t, sheet_name);
        lxw_worksheet *sheet = workbook_add_worksheet(workbook, sheet_name);
        if (!sheet) {
            workbook_close(workbook);
            return ccm_error_set(error, "cannot add a worksheet");
        }
        worksheet_set_landscape(sheet);
        worksheet_set_paper(sheet, 9); /* A4 */
        worksheet_fit_to_pages(sheet, 1, 0);
        worksheet_write_string(sheet, 0, 0, title, heading);
        snprintf(label, sizeof label, "Financial year %d-%02d", table->fy, (table->fy + 1) % 100);
        worksheet_write_string(sheet, 1, 0, table->scope_label, bold);
        worksheet_write_string(sheet, 1, 3, label, bold);
        static const char *const fixed[] = {"Reference", "KPI", "Description", "Frequency",
                                            "Measure"};
        for (int c = 0; c < 5; c++)
            worksheet_write_string(sheet, 3, (lxw_col_t)c, fixed[c], header);
        for (int column = 0; column < EXPORT_COLUMNS; column++) {
            snprintf(label, sizeof label, "%s%s", table->column_label[column],
                     column < EXPORT_MONTHS && table->month_restated[column]    ? " (restated)"
                     : column < EXPORT_MONTHS && table->month_published[column] ? " (published)"
                                                                                : "");
            worksheet_write_string(sheet, 3, (lxw_col_t)(5 + column), label, header);
        }
        worksheet_write_string(sheet, 3, 5 + EXPORT_COLUMNS, "Commentary", header);
        worksheet_set_column(sheet, 0, 0, 10, NULL);
        worksheet_set_column(sheet, 1, 1, 18, NULL);
        worksheet_set_column(sheet, 2, 2, 34, NULL);
        worksheet_set_column(sheet, 3, 4, 10, NULL);
        worksheet_set_column(sheet, 5, 5 + EXPORT_COLUMNS - 1, 10, NULL);
        worksheet_set_column(sheet, 5 + EXPORT_COLUMNS, 5 + EXPORT_COLUMNS, 50, NULL);
        worksheet_freeze_panes(sheet, 4, 5); /* the header row and the KPI columns */
        lxw_row_t row = 4;
        for (size_t k = 0; k < table->profile.count; k++) {
            const struct export_kpi *kpi = &table->profile.kpis[k];
            int f = kpi_direction_of(kpi->kpi) == KPI_DIRECTION_NONE ? 0
                    : kpi_display_decimals(kpi->kpi) == 1            ? 1
                                                                     : 2;
            bool restated = false;
            for (int column = 0; column < EXPORT_COLUMNS; column++)
                restated = restated || table->cells[k][column].restated;
            static const char *const measures[] = {"Target", "Actual", "Restated actual"};
            for (int measure = 0; measure < (restated ? 3 : 2); measure++, row++) {
                worksheet_write_string(sheet, row, 0, kpi->reference, text);
                worksheet_write_string(sheet, row, 1, kpi_name(kpi->kpi), text);
                worksheet_write_string(sheet, row, 2, kpi->description, wrap);
                worksheet_write_string(sheet, row, 3, "Monthly", text);
                worksheet_write_string(sheet, row, 4, measures[measure], text);
                for (int column = 0; column < EXPORT_COLUMNS; column++) {
                    const struct export_cell *cell = &table->cells[k][column];
                    lxw_col_t col = (lxw_col_t)(5 + column);
                    bool has = measure == 0   ? cell->has_target
                               : measure == 1 ? cell->has_value
                                              : cell->restated && cell->has_live;
                    double value = measure == 0   ? cell->target
                                   : measure == 1 ? cell->value
                                                  : cell->live_value;
                    lxw_format *format = measure == 1 ? fill[cell->status][f] : number[f];
                    if (!has) {
                        worksheet_write_blank(sheet, row, col, format);
                        continue;
                    }
                    /* The figure as published (rounded as the definitions say), so the
                     * sheet's totals and the printed table agree. */
                    worksheet_write_number(
                        sheet, row, col,
                        kpi_round_half_away(value, f == 0 ? 0 : kpi_display_decimals(kpi->kpi)),
                        format);
                }
                if (measure == 1) {
                    char notes[4000] = "";
                    size_t used = 0;
                    for (size_t i = 0; i < table->comment_count && used < sizeof notes - 1; i++)
                        if (table->comments[i].kpi == kpi->kpi)
                            used += (size_t)snprintf(notes + used, sizeof notes - used, "%s%s: %s",
                                                     used ? "; " : "",
                                                     table->column_label[table->comments[i].month],
                                                     table->comments[i].text);
                    worksheet_write_string(sheet, row, 5 + EXPORT_COLUMNS, notes, wrap);
                } else {
                    worksheet_write_blank(sheet, row, 5 + EXPORT_COLUMNS, text);
                }
            }
        }
        worksheet_write_string(sheet, row + 1, 0,
                               "Status fills: green on target, amber near target, red off target.",
                               NULL);
        /* The top reasons for contact: contacts per column (lib/export's rows). */
        const struct export_reason_row *reason;
        char reference[16];
        row += 3;
        if (table->all_contacts.counts[EXPORT_YEAR_COLUMN] > 0)
            worksheet_write_string(sheet, row++, 0, "Top reasons for contact", bold);
        for (size_t index = 0; table->all_contacts.counts[EXPORT_YEAR_COLUMN] > 0 &&
                               (reason = export_table_reason(table, index, reference)) != NULL;
             index++, row++) {
            worksheet_write_string(sheet, row, 0, reference, text);
            worksheet_write_string(sheet, row, 1, "reason", text);
            worksheet_write_string(sheet, row, 2, reason->reason, wrap);
            worksheet_write_string(sheet, row, 3, "Monthly", text);
            worksheet_write_string(sheet, row, 4, "Contacts", text);
            for (int column = 0; column < EXPORT_COLUMNS; column++) {
                if (table->column_begun[column])
                    worksheet_write_number(sheet, row, (lxw_col_t)(5 + column),
                                           (double)reason->counts[column], number[0]);
                else
                    worksheet_write_blank(sheet, row, (lxw_col_t)(5 + column), number[0]);
            }
        }
    }
    lxw_error closed = workbook_close(workbook);
    if (closed != LXW_NO_ERROR)
        return ccm_error_set(error, "cannot write the workbook: %s", lxw_strerror(closed));
    return 0;
}
