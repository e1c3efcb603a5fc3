/*
 * export_xlsx: writes financial-year tables (lib/export) as an Excel workbook
 * with libxlsxwriter: one sheet per scope, A4 landscape, the header row and the
 * KPI columns frozen, numbers as numbers with their display format (counts
 * #,##0, percentages 0.0, seconds 0), Actual cells filled by status, commentary
 * in the last column. It writes a file (libxlsxwriter 1.1.4 has no memory
 * output), so the daemon runs it on a worker thread (export_worker).
 */
#ifndef CCM_EXPORT_XLSX_H
#define CCM_EXPORT_XLSX_H

#include <stddef.h>

#include "ccm_error.h"
#include "export.h"

/* tmpdir: where libxlsxwriter keeps its temporary files (NULL: the system's). */
int export_xlsx_write(const struct export_table *tables, size_t count, const char *title,
                      const char *path, const char *tmpdir, struct ccm_error *error);

#endif
