/*
 * export: the financial-year scrutiny table and its formats (see export.h).
 */
#include "export.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "utf8.h"

static const char *const export_month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char *export_month_name(int month)
{
    return month >= 1 && month <= 12 ? export_month_names[month - 1] : "";
}

void export_profile_default(struct export_profile *profile)
{
    static const struct {
        enum kpi_key kpi;
        const char *reference, *description;
    } rows[] = {
        {KPI_OFFERED, "CC01", "Contacts offered"},
        {KPI_ANSWERED_PCT, "CC02", "% of contacts answered"},
        {KPI_ABANDONED_PCT, "CC03", "% of contacts abandoned"},
        {KPI_SERVICE_LEVEL_PCT, "CC04", "% answered within the service level"},
        {KPI_ASA_S, "CC05", "Average speed of answer (seconds)"},
        {KPI_AHT_S, "CC06", "Average handling time (seconds)"},
        {KPI_FCR_PCT, "CC07", "% resolved at first point of contact"},
        {KPI_REPEAT_FCR_PCT, "CC08", "% not contacting us again within the repeat window"},
    };
    memset(profile, 0, sizeof *profile);
    snprintf(profile->name, sizeof profile->name, "default");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        profile->kpis[i].kpi = rows[i].kpi;
        snprintf(profile->kpis[i].reference, sizeof profile->kpis[i].reference, "%s",
                 rows[i].reference);
        snprintf(profile->kpis[i].description, sizeof profile->kpis[i].description, "%s",
                 rows[i].description);
    }
    profile->count = sizeof rows / sizeof rows[0];
}

static int export_profile_text(const json_t *value, const char *what, size_t index, char *out,
                               size_t size, struct ccm_error *error)
{
    const char *text = json_string_value(value);
    if (!value || json_is_null(value))
        return 0;
    if (!text || strlen(text) >= size || utf8_first_control(text, strlen(text)) >= 0)
        return ccm_error_set(error,
                             "kpis[%zu].%s must be text of at most %zu bytes without control "
                             "characters",
                             index, what, size - 1);
    snprintf(out, size, "%s", text);
    return 0;
}

int export_profile_parse(struct export_profile *profile, const json_t *definition,
                         struct ccm_error *error)
{
    struct export_profile parsed;
    const json_t *list = json_object_get(definition, "kpis"), *item;
    size_t index;

    if (!json_is_object(definition) || !json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > EXPORT_KPIS_MAX || json_object_size(definition) != 1)
        return ccm_error_set(error,
                             "a profile is {\"kpis\": [{\"kpi\": \"answered_pct\", \"reference\": "
                             "\"CC01\", \"description\": \"...\"}, ...]} with 1-%d KPIs",
                             EXPORT_KPIS_MAX);
    memset(&parsed, 0, sizeof parsed);
    json_array_foreach(list, index, item)
    {
        struct export_kpi *row = &parsed.kpis[parsed.count];
        const char *key;
        const json_t *value;
        const char *name = json_string_value(json_object_get(item, "kpi"));
        int kpi = name ? kpi_from_name(name) : -1;
        if (kpi < 0)
            return ccm_error_set(error, "kpis[%zu].kpi must be a KPI key of the definitions",
                                 index);
        json_object_foreach(
            (json_t *)item, key,
            value) if (strcmp(key, "kpi") && strcmp(key, "reference") &&
                       strcmp(
                           key,
                           "description")) return ccm_error_set(error,
                                                                "kpis[%zu]: unknown key \"%.40s\" "
                                                                "(known: kpi, reference, "
                                                                "description)",
                                                                index, key);
        row->kpi = (enum kpi_key)kpi;
        snprintf(row->description, sizeof row->description, "%s", kpi_name(row->kpi));
        if (export_profile_text(json_object_get(item, "reference"), "reference", index,
                                row->reference, sizeof row->reference, error) ||
            export_profile_text(json_object_get(item, "description"), "description", index,
                                row->description, sizeof row->description, error))
            return -1;
        parsed.count++;
    }
    snprintf(parsed.name, sizeof parsed.name, "%s", profile->name);
    *profile = parsed;
    return 0;
}

void export_format_number(enum kpi_key kpi, bool has, double value, char *out, size_t size)
{
    if (!has) {
        snprintf(out, size, "%s", "");
        return;
    }
    int decimals = kpi_display_decimals(kpi);
    double rounded = kpi_round_half_away(value, decimals);
    if (rounded == 0)
        rounded = 0; /* no "-0.0" */
    snprintf(out, size, "%.*f", decimals, rounded);
}

static void export_cell_set(struct export_cell *cell, enum kpi_key kpi,
                            const struct kpi_counters *shown, const struct kpi_counters *live,
                            bool compare, const struct kpi_target *target)
{
    struct kpi_value values[KPI_COUNT], live_values[KPI_COUNT];

    memset(cell, 0, sizeof *cell);
    kpi_compute(shown, values);
    cell->has_value = !values[kpi].is_null;
    cell->value = values[kpi].value;
    cell->has_target = target != NULL && kpi_direction_of(kpi) != KPI_DIRECTION_NONE;
    cell->target = target ? target->value : 0;
    cell->status = kpi_status_of(kpi, &values[kpi], cell->has_target ? target : NULL);
    if (compare) {
        kpi_compute(live, live_values);
        bool differs = values[kpi].is_null != live_values[kpi].is_null ||
                       (!values[kpi].is_null && values[kpi].value != live_values[kpi].value);
        if (differs) {
            cell->restated = true;
            cell->has_live = !live_values[kpi].is_null;
            cell->live_value = live_values[kpi].value;
        }
    }
}

int export_table_build(struct export_table *table, const char *scope, int fy, int fy_start_month,
                       int32_t today, const struct export_profile *profile,
                       const struct export_month_input months[EXPORT_MONTHS],
                       const struct kpi_target *targets, size_t target_count,
                       const struct export_comment *comments, size_t comment_count,
                       struct ccm_error *error)
{
    struct kpi_counters shown[EXPORT_COLUMNS], live[EXPORT_COLUMNS];
    bool any_published[EXPORT_COLUMNS] = {false};

    memset(table, 0, sizeof *table);
    snprintf(table->scope, sizeof table->scope, "%s", scope);
    if (strcmp(scope, "tenant") == 0)
        snprintf(table->scope_label, sizeof table->scope_label, "Whole contact centre");
    else if (strncmp(scope, "service:", 8) == 0)
        snprintf(table->scope_label, sizeof table->scope_label, "Service: %s", scope + 8);
    else
        snprintf(table->scope_label, sizeof table->scope_label, "Queue: %s",
                 strchr(scope, ':') ? strchr(scope, ':') + 1 : scope);
    table->fy = fy;
    table->fy_start_month = fy_start_month;
    table->profile = *profile;
    memset(shown, 0, sizeof shown);
    memset(live, 0, sizeof live);
    for (int m = 0; m < EXPORT_MONTHS; m++) {
        int month0 = fy_start_month - 1 + m;
        int year = fy + month0 / 12, month = month0 % 12 + 1;
        int quarter = EXPORT_MONTHS + m / 3;
        table->column_first_day[m] = calendar_days_from_civil(year, month, 1);
        snprintf(table->column_key[m], sizeof table->column_key[m], "%04d-%02d", year, month);
        snprintf(table->column_label[m], sizeof table->column_label[m], "%s %04d",
                 export_month_names[month - 1], year);
        table->column_begun[m] = months[m].begun && table->column_first_day[m] <= today;
        table->month_published[m] = months[m].published;
        if (!table->column_begun[m])
            continue;
        const struct kpi_counters *month_shown =
            months[m].published ? &months[m].published_counters : &months[m].live;
        shown[m] = *month_shown;
        live[m] = months[m].live;
        kpi_counters_add(&shown[quarter], month_shown);
        kpi_counters_add(&live[quarter], &months[m].live);
        kpi_counters_add(&shown[EXPORT_YEAR_COLUMN], month_shown);
        kpi_counters_add(&live[EXPORT_YEAR_COLUMN], &months[m].live);
        any_published[m] = any_published[m] || months[m].published;
        any_published[quarter] = any_published[quarter] || months[m].published;
        any_published[EXPORT_YEAR_COLUMN] =
            any_published[EXPORT_YEAR_COLUMN] || months[m].published;
        table->column_begun[quarter] = true;
        table->column_begun[EXPORT_YEAR_COLUMN] = true;
    }
    for (int q = 0; q < EXPORT_QUARTERS; q++) {
        int column = EXPORT_MONTHS + q;
        table->column_first_day[column] = table->column_first_day[q * 3];
        snprintf(table->column_key[column], sizeof table->column_key[column], "Q%d", q + 1);
        snprintf(table->column_label[column], sizeof table->column_label[column], "Q%d", q + 1);
    }
    table->column_first_day[EXPORT_YEAR_COLUMN] = table->column_first_day[0];
    snprintf(table->column_key[EXPORT_YEAR_COLUMN], sizeof table->column_key[0], "year");
    snprintf(table->column_label[EXPORT_YEAR_COLUMN], sizeof table->column_label[0],
             table->column_first_day[EXPORT_YEAR_COLUMN] <= today &&
                     calendar_days_from_civil(fy + 1, fy_start_month, 1) > today
                 ? "Year to date"
                 : "Year");

    for (size_t k = 0; k < profile->count; k++) {
        enum kpi_key kpi = profile->kpis[k].kpi;
        for (int column = 0; column < EXPORT_COLUMNS; column++) {
            /* The target in force on the column's first day: the frozen one when the
             * month that starts the column was published. */
            int first_month = column < EXPORT_MONTHS ? column
                              : column < EXPORT_MONTHS + EXPORT_QUARTERS
                                  ? (column - EXPORT_MONTHS) * 3
                                  : 0;
            const struct kpi_target *target =
                months[first_month].published
                    ? kpi_target_in_force(months[first_month].published_targets,
                                          months[first_month].published_target_count, kpi,
                                          table->column_first_day[column])
                    : kpi_target_in_force(targets, target_count, kpi,
                                          table->column_first_day[column]);
            if (!table->column_begun[column]) {
                struct kpi_counters none = {0};
                export_cell_set(&table->cells[k][column], kpi, &none, &none, false, target);
                table->cells[k][column].has_value = false;
                table->cells[k][column].status = KPI_STATUS_NONE;
                continue;
            }
            export_cell_set(&table->cells[k][column], kpi, &shown[column], &live[column],
                            any_published[column], target);
            if (column < EXPORT_MONTHS && table->cells[k][column].restated)
                table->month_restated[column] = true;
        }
    }
    if (comment_count) {
        table->comments = calloc(comment_count, sizeof *table->comments);
        if (!table->comments)
            return ccm_error_set(error, "out of memory");
        memcpy(table->comments, comments, comment_count * sizeof *comments);
        table->comment_count = comment_count;
    }
    return 0;
}

void export_table_set_channel(struct export_table *table, const char *channel)
{
    snprintf(table->channel, sizeof table->channel, "%s", channel);
    size_t length = strlen(table->scope_label);
    snprintf(table->scope_label + length, sizeof table->scope_label - length, ", %s only", channel);
}

void export_table_add_reason(struct export_table *table, const char *reason, int month,
                             int64_t count)
{
    size_t r;
    if (month < 0 || month >= EXPORT_MONTHS)
        return;
    for (r = 0; r < table->reason_count; r++)
        if (strcmp(table->reasons[r].reason, reason) == 0)
            break;
    if (r == table->reason_count) {
        if (r == EXPORT_REASONS_TOP)
            return;
        snprintf(table->reasons[r].reason, sizeof table->reasons[r].reason, "%s", reason);
        table->reason_count++;
    }
    table->reasons[r].counts[month] += count;
}

void export_table_add_reason_totals(struct export_table *table, int month, int64_t contacts,
                                    int64_t with_reason)
{
    if (month < 0 || month >= EXPORT_MONTHS)
        return;
    table->all_contacts.counts[month] += contacts;
    table->other_reasons.counts[month] += with_reason;
    table->no_reason.counts[month] += contacts - with_reason;
}

static void export_reason_sum(struct export_reason_row *row)
{
    for (int column = EXPORT_MONTHS; column < EXPORT_COLUMNS; column++)
        row->counts[column] = 0;
    for (int m = 0; m < EXPORT_MONTHS; m++) {
        row->counts[EXPORT_MONTHS + m / 3] += row->counts[m];
        row->counts[EXPORT_YEAR_COLUMN] += row->counts[m];
    }
}

void export_table_sum_reasons(struct export_table *table)
{
    snprintf(table->other_reasons.reason, sizeof table->other_reasons.reason, "Other reasons");
    snprintf(table->no_reason.reason, sizeof table->no_reason.reason, "No reason recorded");
    snprintf(table->all_contacts.reason, sizeof table->all_contacts.reason, "All contacts");
    for (size_t r = 0; r < table->reason_count; r++)
        for (int m = 0; m < EXPORT_MONTHS; m++)
            table->other_reasons.counts[m] -= table->reasons[r].counts[m];
    for (size_t r = 0; r < table->reason_count; r++)
        export_reason_sum(&table->reasons[r]);
    export_reason_sum(&table->other_reasons);
    export_reason_sum(&table->no_reason);
    export_reason_sum(&table->all_contacts);
}

const struct export_reason_row *export_table_reason(const struct export_table *table, size_t index,
                                                    char reference[16])
{
    if (index < table->reason_count) {
        snprintf(reference, 16, "R%02u", (unsigned)(index + 1) % 100);
        return &table->reasons[index];
    }
    index -= table->reason_count;
    snprintf(reference, 16, "%s", index == 0 ? "ROTHER" : index == 1 ? "RNONE" : "RALL");
    return index == 0   ? &table->other_reasons
           : index == 1 ? &table->no_reason
           : index == 2 ? &table->all_contacts
                        : NULL;
}

/* A reason's share of every contact of a column, "" when there were none. */
static void export_reason_share(const struct export_table *table,
                                const struct export_reason_row *row, int column, char *out,
                                size_t size)
{
    int64_t all = table->all_contacts.counts[column];
    if (all <= 0) {
        snprintf(out, size, "%s", "");
        return;
    }
    snprintf(out, size, "%.1f",
             kpi_round_half_away(100.0 * (double)row->counts[column] / (double)all, 1));
}

void export_table_free(struct export_table *table)
{
    if (!table)
        return;
    free(table->comments);
    table->comments = NULL;
    table->comment_count = 0;
}

/* ---- CSV ---- */

static bool export_is_plain_number(const char *text)
{
    const char *p = text;
    if (*p == '-')
        p++;
    if (!(*p >= '0' && *p <= '9'))
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

void export_csv_field(struct text_buffer *out, const char *text)
{
    bool dangerous = (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                      text[0] == '\t' || text[0] == '\r') &&
                     !export_is_plain_number(text);
    bool quote = dangerous || strpbrk(text, ",\"\r\n") != NULL;
    if (quote)
        text_buffer_append(out, "\"", 1);
    if (dangerous)
        text_buffer_append(out, "'", 1);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            text_buffer_append(out, "\"", 1);
        text_buffer_append(out, p, 1);
    }
    if (quote)
        text_buffer_append(out, "\"", 1);
}

const char *export_status_word(enum kpi_status status)
{
    switch (status) {
    case KPI_STATUS_GREEN:
        return "On target";
    case KPI_STATUS_AMBER:
        return "Near target";
    case KPI_STATUS_RED:
        return "Off target";
    default:
        return "";
    }
}

/* The comments of one KPI, "Apr 2026: text; ..." */
static void export_comments_text(const struct export_table *table, enum kpi_key kpi,
                                 struct text_buffer *out)
{
    bool first = true;
    for (size_t i = 0; i < table->comment_count; i++) {
        const struct export_comment *comment = &table->comments[i];
        if (comment->kpi != kpi || comment->month < 0 || comment->month >= EXPORT_MONTHS)
            continue;
        text_buffer_printf(out, "%s%s: %s", first ? "" : "; ", table->column_label[comment->month],
                           comment->text);
        first = false;
    }
}

/* The Scope cell: "queue:tax", or "queue:tax (webchat)" for one channel's table. */
static void export_csv_scope(struct text_buffer *out, const struct export_table *table)
{
    char scope[sizeof table->scope + sizeof table->channel + 4];
    snprintf(scope, sizeof scope, table->channel[0] ? "%s (%s)" : "%s", table->scope,
             table->channel);
    export_csv_field(out, scope);
}

static void export_csv_row_start(struct text_buffer *out, const struct export_table *table,
                                 const struct export_kpi *row, const char *measure)
{
    export_csv_scope(out, table);
    text_buffer_append(out, ",", 1);
    export_csv_field(out, row->reference);
    text_buffer_append(out, ",", 1);
    export_csv_field(out, kpi_name(row->kpi));
    text_buffer_append(out, ",", 1);
    export_csv_field(out, row->description);
    text_buffer_append(out, ",Monthly,", 9);
    export_csv_field(out, measure);
}

/* Reason rows: KPI "reason", the reason as the description, a Contacts and a Share %
 * row each (references R01.., then ROTHER, RNONE, RALL). */
static void export_csv_reasons(struct text_buffer *out, const struct export_table *table)
{
    const struct export_reason_row *row;
    char reference[16], number[32];
    for (size_t index = 0; (row = export_table_reason(table, index, reference)) != NULL; index++) {
        for (int measure = 0; measure < 2; measure++) {
            export_csv_scope(out, table);
            text_buffer_append(out, ",", 1);
            export_csv_field(out, reference);
            text_buffer_append_string(out, ",reason,");
            export_csv_field(out, row->reason);
            text_buffer_append_string(out, measure == 0 ? ",Monthly,Contacts" : ",Monthly,Share %");
            for (int column = 0; column < EXPORT_COLUMNS; column++) {
                if (measure == 0)
                    snprintf(number, sizeof number, "%lld", (long long)row->counts[column]);
                else
                    export_reason_share(table, row, column, number, sizeof number);
                text_buffer_append(out, ",", 1);
                export_csv_field(out, table->column_begun[column] ? number : "");
            }
            text_buffer_append_string(out, ",\r\n");
        }
    }
}

void export_render_csv(const struct export_table *tables, size_t count, struct text_buffer *out)
{
    char number[64];
    struct text_buffer comments;

    text_buffer_init(&comments);
    text_buffer_append_string(out, "Scope,Reference,KPI,Description,Frequency,Measure");
    if (count)
        for (int column = 0; column < EXPORT_COLUMNS; column++) {
            text_buffer_append(out, ",", 1);
            export_csv_field(out, tables[0].column_label[column]);
        }
    text_buffer_append_string(out, ",Commentary\r\n");
    for (size_t t = 0; t < count; t++) {
        const struct export_table *table = &tables[t];
        for (size_t k = 0; k < table->profile.count; k++) {
            const struct export_kpi *row = &table->profile.kpis[k];
            bool restated = false;
            for (int column = 0; column < EXPORT_COLUMNS; column++)
                restated = restated || table->cells[k][column].restated;
            const char *measures[] = {"Target", "Actual", "Status", "Restated actual"};
            for (int measure = 0; measure < (restated ? 4 : 3); measure++) {
                export_csv_row_start(out, table, row, measures[measure]);
                for (int column = 0; column < EXPORT_COLUMNS; column++) {
                    const struct export_cell *cell = &table->cells[k][column];
                    text_buffer_append(out, ",", 1);
                    if (measure == 0)
                        export_format_number(row->kpi, cell->has_target, cell->target, number,
                                             sizeof number);
                    else if (measure == 1)
                        export_format_number(row->kpi, cell->has_value, cell->value, number,
                                             sizeof number);
                    else if (measure == 2)
                        snprintf(number, sizeof number, "%s", export_status_word(cell->status));
                    else
                        export_format_number(row->kpi, cell->restated && cell->has_live,
                                             cell->live_value, number, sizeof number);
                    export_csv_field(out, number);
                }
                text_buffer_append(out, ",", 1);
                text_buffer_reset(&comments);
                if (measure == 1)
                    export_comments_text(table, row->kpi, &comments);
                export_csv_field(out, text_buffer_string(&comments));
                text_buffer_append(out, "\r\n", 2);
            }
        }
        export_csv_reasons(out, table);
    }
    text_buffer_free(&comments);
}

/* ---- JSON ---- */

static json_t *export_number_json(enum kpi_key kpi, bool has, double value)
{
    if (!has)
        return json_null();
    if (kpi_direction_of(kpi) == KPI_DIRECTION_NONE && kpi != KPI_LONGEST_WAIT_S)
        return json_integer((json_int_t)llround(value));
    return json_real(value);
}

json_t *export_render_json(const struct export_table *tables, size_t count)
{
    json_t *list = json_array();
    for (size_t t = 0; t < count; t++) {
        const struct export_table *table = &tables[t];
        json_t *columns = json_array(), *rows = json_array();
        for (int column = 0; column < EXPORT_COLUMNS; column++) {
            char first[11];
            calendar_format_date(table->column_first_day[column], first);
            json_array_append_new(
                columns,
                json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "key", table->column_key[column],
                          "label", table->column_label[column], "from", first, "begun",
                          table->column_begun[column], "published",
                          column < EXPORT_MONTHS && table->month_published[column], "restated",
                          column < EXPORT_MONTHS && table->month_restated[column]));
        }
        for (size_t k = 0; k < table->profile.count; k++) {
            const struct export_kpi *row = &table->profile.kpis[k];
            json_t *cells = json_object(), *notes = json_array();
            for (int column = 0; column < EXPORT_COLUMNS; column++) {
                const struct export_cell *cell = &table->cells[k][column];
                json_t *value =
                    json_pack("{s:o, s:o, s:s}", "actual",
                              export_number_json(row->kpi, cell->has_value, cell->value), "target",
                              cell->has_target ? json_real(cell->target) : json_null(), "status",
                              kpi_status_name(cell->status));
                if (cell->restated)
                    json_object_set_new(
                        value, "live",
                        export_number_json(row->kpi, cell->has_live, cell->live_value));
                json_object_set_new(cells, table->column_key[column], value);
            }
            for (size_t i = 0; i < table->comment_count; i++)
                if (table->comments[i].kpi == row->kpi)
                    json_array_append_new(notes,
                                          json_pack("{s:s, s:s}", "month",
                                                    table->column_key[table->comments[i].month],
                                                    "text", table->comments[i].text));
            json_array_append_new(
                rows, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "kpi", kpi_name(row->kpi),
                                "reference", row->reference, "description", row->description,
                                "frequency", "Monthly", "columns", cells, "commentary", notes));
        }
        char fy_label[16];
        snprintf(fy_label, sizeof fy_label, "%d-%02d", table->fy, (table->fy + 1) % 100);
        json_t *reasons = json_array(), *reason_row;
        const struct export_reason_row *reason;
        char reference[16];
        for (size_t index = 0; (reason = export_table_reason(table, index, reference)) != NULL;
             index++) {
            json_t *counts = json_object(), *shares = json_object();
            for (int column = 0; column < EXPORT_COLUMNS; column++) {
                int64_t all = table->all_contacts.counts[column];
                json_object_set_new(counts, table->column_key[column],
                                    table->column_begun[column]
                                        ? json_integer((json_int_t)reason->counts[column])
                                        : json_null());
                json_object_set_new(
                    shares, table->column_key[column],
                    table->column_begun[column] && all > 0
                        ? json_real(100.0 * (double)reason->counts[column] / (double)all)
                        : json_null());
            }
            size_t other = index - table->reason_count;
            reason_row = json_pack("{s:s, s:o, s:o}", "reason", reason->reason, "counts", counts,
                                   "share_pct", shares);
            json_object_set_new(reason_row, "kind",
                                json_string(index < table->reason_count ? "reason"
                                            : other == 0                ? "other"
                                            : other == 1                ? "no_reason"
                                                                        : "all"));
            json_array_append_new(reasons, reason_row);
        }
        json_t *scope_table =
            json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "scope", table->scope, "label",
                      table->scope_label, "fy", fy_label, "profile", table->profile.name, "columns",
                      columns, "kpis", rows, "reasons", reasons);
        if (table->channel[0])
            json_object_set_new(scope_table, "channel", json_string(table->channel));
        json_array_append_new(list, scope_table);
    }
    return json_pack("{s:o}", "tables", list);
}

/* ---- HTML ---- */

void export_html_escape(struct text_buffer *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '<':
            text_buffer_append_string(out, "&lt;");
            break;
        case '>':
            text_buffer_append_string(out, "&gt;");
            break;
        case '&':
            text_buffer_append_string(out, "&amp;");
            break;
        case '"':
            text_buffer_append_string(out, "&quot;");
            break;
        case '\'':
            text_buffer_append_string(out, "&#39;");
            break;
        default:
            text_buffer_append(out, p, 1);
        }
    }
}

const char *export_status_symbol(enum kpi_status status)
{
    return status == KPI_STATUS_GREEN   ? " \xe2\x9c\x93" /* ✓ */
           : status == KPI_STATUS_AMBER ? " \xe2\x96\xb2" /* ▲ */
           : status == KPI_STATUS_RED   ? " \xe2\x9c\x97" /* ✗ */
                                        : "";
}

/* A trend chart of one KPI over the months: actual as a line with points, target
 * as a dashed step. Inline SVG: prints sharply, needs no script. */
static void export_html_chart(struct text_buffer *out, const struct export_table *table, size_t k)
{
    const double width = 360, height = 120, left = 40, right = 8, top = 8, bottom = 20;
    double low = INFINITY, high = -INFINITY;
    enum kpi_key kpi = table->profile.kpis[k].kpi;
    char number[64];

    for (int m = 0; m < EXPORT_MONTHS; m++) {
        const struct export_cell *cell = &table->cells[k][m];
        if (cell->has_value) {
            low = fmin(low, cell->value);
            high = fmax(high, cell->value);
        }
        if (cell->has_target) {
            low = fmin(low, cell->target);
            high = fmax(high, cell->target);
        }
    }
    if (!isfinite(low)) {
        low = 0;
        high = 1;
    }
    if (low > 0)
        low = 0;
    if (high <= low)
        high = low + 1;
    high += (high - low) * 0.05;
    double step = (width - left - right) / EXPORT_MONTHS;
#define EXPORT_X(m) (left + step * ((m) + 0.5))
#define EXPORT_Y(v) (top + (height - top - bottom) * (1 - ((v)-low) / (high - low)))
    text_buffer_printf(out,
                       "<svg class=\"trend\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                       "aria-label=\"",
                       width, height);
    export_html_escape(out, table->profile.kpis[k].description);
    text_buffer_append_string(out, " by month, with its target\">");
    text_buffer_printf(out,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>",
                       left, height - bottom, width - right, height - bottom);
    for (int tick = 0; tick <= 2; tick++) {
        double v = low + (high - low) * tick / 2;
        export_format_number(kpi, true, v, number, sizeof number);
        text_buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%s</text>", left - 4,
                           EXPORT_Y(v) + 3, number);
    }
    for (int m = 0; m < EXPORT_MONTHS; m++)
        text_buffer_printf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"month\">%.1s</text>",
                           EXPORT_X(m), height - 6, table->column_label[m]);
    /* target: dashed steps */
    text_buffer_append_string(out, "<path class=\"target\" d=\"");
    bool drawing = false;
    for (int m = 0; m < EXPORT_MONTHS; m++) {
        const struct export_cell *cell = &table->cells[k][m];
        if (!cell->has_target) {
            drawing = false;
            continue;
        }
        text_buffer_printf(out, "%c%.1f %.1fH%.1f", drawing ? 'L' : 'M', EXPORT_X(m) - step / 2,
                           EXPORT_Y(cell->target), EXPORT_X(m) + step / 2);
        drawing = true;
    }
    text_buffer_append_string(out, "\"/><path class=\"actual\" d=\"");
    drawing = false;
    for (int m = 0; m < EXPORT_MONTHS; m++) {
        const struct export_cell *cell = &table->cells[k][m];
        if (!cell->has_value) {
            drawing = false;
            continue;
        }
        text_buffer_printf(out, "%c%.1f %.1f", drawing ? 'L' : 'M', EXPORT_X(m),
                           EXPORT_Y(cell->value));
        drawing = true;
    }
    text_buffer_append_string(out, "\"/>");
    for (int m = 0; m < EXPORT_MONTHS; m++) {
        const struct export_cell *cell = &table->cells[k][m];
        if (cell->has_value)
            text_buffer_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" class=\"%s\"/>",
                               EXPORT_X(m), EXPORT_Y(cell->value), kpi_status_name(cell->status));
    }
    text_buffer_append_string(out, "</svg>");
#undef EXPORT_X
#undef EXPORT_Y
}

/* The top reasons for contact: contacts per column, and each one's share of the year. */
static void export_html_reasons(struct text_buffer *out, const struct export_table *table)
{
    const struct export_reason_row *row;
    char share[32], reference[16];
    if (table->all_contacts.counts[EXPORT_YEAR_COLUMN] == 0)
        return;
    text_buffer_append_string(out, "<h2>Top reasons for contact</h2>\n<table class=\"reasons\">\n"
                                   "<thead><tr><th class=\"kpi\">Reason</th>");
    for (int column = 0; column < EXPORT_COLUMNS; column++) {
        text_buffer_append_string(out, "<th>");
        export_html_escape(out, table->column_label[column]);
        text_buffer_append_string(out, "</th>");
    }
    text_buffer_append_string(out, "<th>Share of the year</th></tr></thead>\n<tbody>\n");
    for (size_t index = 0; (row = export_table_reason(table, index, reference)) != NULL; index++) {
        text_buffer_append_string(out, "<tr><th class=\"kpi\" scope=\"row\">");
        export_html_escape(out, row->reason);
        text_buffer_append_string(out, "</th>");
        for (int column = 0; column < EXPORT_COLUMNS; column++) {
            if (table->column_begun[column])
                text_buffer_printf(out, "<td data-column=\"%s\">%lld</td>",
                                   table->column_key[column], (long long)row->counts[column]);
            else
                text_buffer_printf(out, "<td data-column=\"%s\"></td>", table->column_key[column]);
        }
        export_reason_share(table, row, EXPORT_YEAR_COLUMN, share, sizeof share);
        text_buffer_printf(out, "<td>%s%s</td></tr>\n", share, *share ? "%" : "");
    }
    text_buffer_append_string(out, "</tbody>\n</table>\n");
}

void export_render_html(const struct export_table *tables, size_t count, const char *title,
                        struct text_buffer *out)
{
    char number[64];

    text_buffer_append_string(
        out, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    export_html_escape(out, title);
    text_buffer_append_string(
        out,
        "</title>\n<style>\n"
        "@page { size: A4 landscape; margin: 10mm; }\n"
        "body { font: 9pt/1.3 \"DejaVu Sans\", Arial, sans-serif; color: #111; margin: 0; }\n"
        "h1 { font-size: 14pt; margin: 0 0 2mm; } h2 { font-size: 11pt; margin: 4mm 0 2mm; }\n"
        "section.scope { break-before: page; } section.scope:first-of-type { break-before: auto; "
        "}\n"
        "h2 { break-after: avoid; }\n"
        "table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; "
        "font-size: 8pt; }\n"
        "th, td { border: 0.3mm solid #999; padding: 0.6mm 1mm; text-align: right; }\n"
        "td { white-space: nowrap; }\n"
        "th.kpi, td.text { text-align: left; }\n"
        "thead th { background: #e8e8e8; }\n"
        "tr.target td { color: #444; }\n"
        "td.green { background: #d9f0df; } td.amber { background: #fde9c8; }\n"
        "td.red { background: #f7d4d4; } td.restated { outline: 0.5mm dashed #333; }\n"
        "tbody { break-inside: avoid; }\n"
        ".note { font-size: 8pt; color: #333; }\n"
        ".charts { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3mm; "
        "break-inside: avoid; }\n"
        "figure { margin: 0; break-inside: avoid; } figcaption { font-size: 8pt; }\n"
        "svg.trend { width: 100%; height: auto; }\n"
        "svg .axis { stroke: #999; } svg .tick, svg .month { font-size: 7px; fill: #333; }\n"
        "svg .tick { text-anchor: end; } svg .month { text-anchor: middle; }\n"
        "svg .target { fill: none; stroke: #555; stroke-dasharray: 4 3; }\n"
        "svg .actual { fill: none; stroke: #0072b2; stroke-width: 1.5; }\n"
        "svg circle.green { fill: #0b6b2e; } svg circle.amber { fill: #b36200; }\n"
        "svg circle.red { fill: #a4161a; } svg circle.none { fill: #0072b2; }\n"
        "ul.commentary { margin: 1mm 0; padding-left: 5mm; }\n"
        "</style>\n</head>\n<body>\n");
    for (size_t t = 0; t < count; t++) {
        const struct export_table *table = &tables[t];
        text_buffer_append_string(out, "<section class=\"scope\">\n<h1>");
        export_html_escape(out, title);
        text_buffer_append_string(out, "</h1>\n<h2>");
        export_html_escape(out, table->scope_label);
        text_buffer_printf(out,
                           ", financial year %d-%02d</h2>\n<table>\n<thead><tr>"
                           "<th class=\"kpi\">Ref</th><th class=\"kpi\">KPI</th><th></th>",
                           table->fy, (table->fy + 1) % 100);
        for (int column = 0; column < EXPORT_COLUMNS; column++) {
            text_buffer_append_string(out, "<th>");
            export_html_escape(out, table->column_label[column]);
            if (column < EXPORT_MONTHS && table->month_restated[column])
                text_buffer_append_string(out, "<br><span class=\"note\">restated</span>");
            else if (column < EXPORT_MONTHS && table->month_published[column])
                text_buffer_append_string(out, "<br><span class=\"note\">published</span>");
            text_buffer_append_string(out, "</th>");
        }
        text_buffer_append_string(out, "</tr></thead>\n");
        for (size_t k = 0; k < table->profile.count; k++) {
            const struct export_kpi *row = &table->profile.kpis[k];
            text_buffer_printf(out,
                               "<tbody data-kpi=\"%s\"><tr class=\"target\"><td class=\"text\" "
                               "rowspan=\"2\">",
                               kpi_name(row->kpi));
            export_html_escape(out, row->reference);
            text_buffer_append_string(out,
                                      "</td><th class=\"kpi\" rowspan=\"2\" scope=\"rowgroup\">");
            export_html_escape(out, row->description);
            text_buffer_append_string(out, "</th><th class=\"kpi\" scope=\"row\">Target</th>");
            for (int column = 0; column < EXPORT_COLUMNS; column++) {
                const struct export_cell *cell = &table->cells[k][column];
                export_format_number(row->kpi, cell->has_target, cell->target, number,
                                     sizeof number);
                text_buffer_printf(out, "<td data-column=\"%s\">%s</td>", table->column_key[column],
                                   number);
            }
            text_buffer_append_string(out, "</tr>\n<tr class=\"actual\"><th class=\"kpi\" "
                                           "scope=\"row\">Actual</th>");
            for (int column = 0; column < EXPORT_COLUMNS; column++) {
                const struct export_cell *cell = &table->cells[k][column];
                export_format_number(row->kpi, cell->has_value, cell->value, number, sizeof number);
                text_buffer_printf(out, "<td data-column=\"%s\" class=\"%s%s\">%s%s",
                                   table->column_key[column], kpi_status_name(cell->status),
                                   cell->restated ? " restated" : "", number,
                                   export_status_symbol(cell->status));
                if (cell->restated) {
                    char live[64];
                    export_format_number(row->kpi, cell->has_live, cell->live_value, live,
                                         sizeof live);
                    text_buffer_printf(out, "<br><span class=\"note\">now %s</span>",
                                       *live ? live : "none");
                }
                text_buffer_append_string(out, "</td>");
            }
            text_buffer_append_string(out, "</tr></tbody>\n");
        }
        text_buffer_append_string(out, "</table>\n");
        export_html_reasons(out, table);
        if (table->comment_count > 0) {
            text_buffer_append_string(out, "<h2>Commentary</h2>\n<ul class=\"commentary\">\n");
            for (size_t k = 0; k < table->profile.count; k++)
                for (size_t i = 0; i < table->comment_count; i++) {
                    const struct export_comment *comment = &table->comments[i];
                    if (comment->kpi != table->profile.kpis[k].kpi)
                        continue;
                    text_buffer_append_string(out, "<li><strong>");
                    export_html_escape(out, table->profile.kpis[k].reference);
                    text_buffer_append_string(out, " ");
                    export_html_escape(out, table->column_label[comment->month]);
                    text_buffer_append_string(out, ":</strong> ");
                    export_html_escape(out, comment->text);
                    text_buffer_append_string(out, "</li>\n");
                }
            text_buffer_append_string(out, "</ul>\n");
        }
        text_buffer_append_string(out, "<h2>Trends</h2>\n<div class=\"charts\">\n");
        for (size_t k = 0; k < table->profile.count; k++) {
            text_buffer_append_string(out, "<figure>");
            export_html_chart(out, table, k);
            text_buffer_append_string(out, "<figcaption>");
            export_html_escape(out, table->profile.kpis[k].description);
            text_buffer_append_string(out, "</figcaption></figure>\n");
        }
        text_buffer_append_string(out, "</div>\n</section>\n");
    }
    text_buffer_append_string(out, "</body>\n</html>\n");
}
