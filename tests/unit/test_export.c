/*
 * test_export: the financial-year table in lib/export: CSV fields (RFC 4180 quoting,
 * every formula prefix neutralised, plain numbers left alone), quarters and the year
 * summed from months (not averaged), targets in force per column, months not begun,
 * published months shown as frozen with the live figure beside them when it moved,
 * and profiles (parsing and refusals).
 */
#include "export.h"

#include <stdlib.h>

#include "calendar.h"
#include "unit.h"

static void test_csv_field(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"=1+2", "\"'=1+2\""},
        {"+1", "\"'+1\""},
        {"-2+3", "\"'-2+3\""},
        {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\tTAB", "\"'\tTAB\""},
        {"\rCR", "\"'\rCR\""},
        {"-", "\"'-\""},
        {"-5", "-5"},
        {"-12.5", "-12.5"},
        {"-1.", "\"'-1.\""},
        {"-.5", "\"'-.5\""},
        {"12.5", "12.5"},
        {"a=b", "a=b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct text_buffer out;
        text_buffer_init(&out);
        export_csv_field(&out, cases[i].in);
        CHECK_MSG(strcmp(text_buffer_string(&out), cases[i].out) == 0, "%s -> %s, want %s",
                  cases[i].in, text_buffer_string(&out), cases[i].out);
        text_buffer_free(&out);
    }
}

static struct kpi_counters calls(int offered, int answered, int64_t wait_s)
{
    struct kpi_counters c = {0};
    c.offered = offered;
    c.answered = answered;
    c.abandoned = offered - answered;
    c.answered_wait_us = answered * wait_s * 1000000;
    c.sl_numerator = answered;
    c.sl_denominator = offered;
    return c;
}

static void test_table(void)
{
    struct export_profile profile;
    struct export_month_input *months = calloc(EXPORT_MONTHS, sizeof *months);
    struct export_table table;
    struct ccm_error error;
    struct kpi_target targets[] = {
        {KPI_ASA_S, INT32_MIN, 20, true, 5},
        {KPI_ASA_S, calendar_days_from_civil(2025, 7, 1), 35, true, 5},
    };
    struct export_comment note = {KPI_ASA_S, 3, "Target raised"};

    export_profile_default(&profile);
    CHECK_INT(profile.count, 8);
    CHECK_INT(profile.kpis[4].kpi, KPI_ASA_S);
    for (int m = 0; m < 9; m++) { /* April-December begun; 10 calls, m+5 answered, wait 10m s */
        months[m].begun = true;
        months[m].live = calls(10, m + 1, 10 * (m + 1));
    }
    /* June published with other figures; its frozen target was 30. */
    months[2].published = true;
    months[2].published_counters = calls(10, 9, 10);
    months[2].published_target_count = 1;
    months[2].published_targets[0] = (struct kpi_target){KPI_ASA_S, INT32_MIN, 30, false, 0};
    int32_t today = calendar_days_from_civil(2026, 1, 1) - 1; /* 31 Dec 2025 */
    CHECK_INT(export_table_build(&table, "tenant", 2025, 4, today, &profile, months, targets, 2,
                                 &note, 1, &error),
              0);
    CHECK_STR(table.column_key[0], "2025-04");
    CHECK_STR(table.column_label[11], "Mar 2026");
    CHECK_STR(table.column_label[EXPORT_YEAR_COLUMN], "Year to date");
    CHECK(!table.column_begun[9] && !table.column_begun[EXPORT_MONTHS + 3]);
    size_t asa = 4, offered = 0;
    /* April: 1 answered, wait 10 s; target 20 (before July) -> green */
    CHECK(table.cells[asa][0].has_value && table.cells[asa][0].value == 10);
    CHECK(table.cells[asa][0].target == 20 && table.cells[asa][0].status == KPI_STATUS_GREEN);
    /* July: target 35 from its first day */
    CHECK(table.cells[asa][3].target == 35);
    /* June: the published figure (9 answered at 10 s) and its frozen target 30 */
    CHECK(table.cells[asa][2].value == 10 && table.cells[asa][2].target == 30);
    CHECK(table.cells[asa][2].restated && table.cells[asa][2].has_live &&
          table.cells[asa][2].live_value == 30);
    CHECK(table.month_published[2] && table.month_restated[2]);
    CHECK(!table.month_restated[1]);
    /* Q1 = April + May + published June, summed: answered 1 + 2 + 9 = 12,
     * waits 10 + 2*20 + 9*10 = 140 s -> 11.67 s; restated against the live sum. */
    double q1 = (10.0 + 40 + 90) / 12;
    CHECK_NEAR(table.cells[asa][EXPORT_MONTHS].value, q1);
    CHECK(table.cells[asa][EXPORT_MONTHS].restated);
    /* A quarter's target is the one in force on its first day (April: live, 20). */
    CHECK(table.cells[asa][EXPORT_MONTHS].target == 20);
    /* Q3 (October-December): target in force on 1 October: 35 */
    CHECK(table.cells[asa][EXPORT_MONTHS + 2].target == 35);
    /* Offered: counts, summed; the year to date over the nine months begun */
    CHECK(table.cells[offered][EXPORT_YEAR_COLUMN].value == 90);
    CHECK(table.cells[offered][EXPORT_YEAR_COLUMN].status == KPI_STATUS_NONE);
    /* Months not begun: no figure, but their target */
    CHECK(!table.cells[asa][10].has_value && table.cells[asa][10].target == 35);
    CHECK_INT(table.comment_count, 1);

    struct text_buffer out;
    text_buffer_init(&out);
    export_render_csv(&table, 1, &out);
    CHECK(strstr(text_buffer_string(&out), "Jul 2025: Target raised") != NULL);
    CHECK(strstr(text_buffer_string(&out), ",Restated actual,") != NULL);
    text_buffer_reset(&out);
    export_render_html(&table, 1, "A <council> & co", &out);
    CHECK(strstr(text_buffer_string(&out), "A &lt;council&gt; &amp; co") != NULL);
    text_buffer_free(&out);
    export_table_free(&table);
    free(months);
}

static void test_profile(void)
{
    struct export_profile profile = {.name = "mine"};
    struct ccm_error error;
    json_t *good =
        json_loads("{\"kpis\": [{\"kpi\": \"fcr_pct\", \"reference\": \"R1\"}]}", 0, NULL);
    CHECK_INT(export_profile_parse(&profile, good, &error), 0);
    CHECK_INT(profile.count, 1);
    CHECK_STR(profile.kpis[0].description, "fcr_pct");
    CHECK_STR(profile.name, "mine");
    json_decref(good);
    static const char *const bad[] = {"{}",
                                      "{\"kpis\": []}",
                                      "{\"kpis\": [{\"kpi\": \"nope\"}]}",
                                      "{\"kpis\": [{\"kpi\": \"asa_s\", \"colour\": 1}]}",
                                      "{\"kpis\": [{\"kpi\": \"asa_s\", \"reference\": \"\\tx\"}]}",
                                      "{\"kpis\": [{\"kpi\": \"asa_s\"}], \"other\": 1}",
                                      "{\"kpis\": [7]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *value = json_loads(bad[i], 0, NULL);
        CHECK_MSG(export_profile_parse(&profile, value, &error) == -1, "accepted %s", bad[i]);
        json_decref(value);
    }
}

/* The top reasons rows: counts per month, quarter and year; other, none and all from
 * the totals; shares of every contact; a channel's table says so. */
static void test_reasons(void)
{
    struct export_profile profile;
    struct export_month_input *months = calloc(EXPORT_MONTHS, sizeof *months);
    struct export_table table;
    struct ccm_error error;

    export_profile_default(&profile);
    for (int m = 0; m < 6; m++)
        months[m].begun = true;
    int32_t today = calendar_days_from_civil(2025, 9, 30);
    CHECK_INT(export_table_build(&table, "queue:tax", 2025, 4, today, &profile, months, NULL, 0,
                                 NULL, 0, &error),
              0);
    export_table_set_channel(&table, "webchat");
    CHECK_STR(table.scope_label, "Queue: tax, webchat only");
    export_table_add_reason_totals(&table, 0, 40, 30); /* April: 40 contacts, 30 with a reason */
    export_table_add_reason_totals(&table, 4, 10, 10); /* August */
    export_table_add_reason(&table, "bins", 0, 20);
    export_table_add_reason(&table, "=cmd()", 0, 5); /* a formula in a reason stays text */
    export_table_add_reason(&table, "bins", 4, 6);
    export_table_add_reason(&table, "x", 12, 1); /* not a month: ignored */
    for (int r = 0; r < EXPORT_REASONS_TOP + 3; r++) {
        char name[16];
        snprintf(name, sizeof name, "r%d", r);
        export_table_add_reason(&table, name, 5, 0);
    }
    CHECK_INT(table.reason_count, EXPORT_REASONS_TOP); /* beyond the top: ignored */
    export_table_sum_reasons(&table);
    CHECK_INT(table.reasons[0].counts[EXPORT_MONTHS], 20);      /* Q1 */
    CHECK_INT(table.reasons[0].counts[EXPORT_MONTHS + 1], 6);   /* Q2 */
    CHECK_INT(table.reasons[0].counts[EXPORT_YEAR_COLUMN], 26); /* the year */
    CHECK_INT(table.other_reasons.counts[0], 5);                /* 30 - 20 - 5 */
    CHECK_INT(table.other_reasons.counts[4], 4);
    CHECK_INT(table.no_reason.counts[EXPORT_YEAR_COLUMN], 10);
    CHECK_INT(table.all_contacts.counts[EXPORT_YEAR_COLUMN], 50);

    struct text_buffer out;
    text_buffer_init(&out);
    export_render_csv(&table, 1, &out);
    const char *csv = text_buffer_string(&out);
    CHECK(strstr(csv, "queue:tax (webchat),R01,reason,bins,Monthly,Contacts,20,0,0,0,6,0,,,") !=
          NULL);
    CHECK(strstr(csv, "queue:tax (webchat),R01,reason,bins,Monthly,Share %,50.0,,,,60.0,") != NULL);
    CHECK(strstr(csv, ",R02,reason,\"'=cmd()\",") != NULL);
    CHECK(strstr(csv, ",RALL,reason,All contacts,Monthly,Contacts,40,") != NULL);
    CHECK(strstr(csv, ",52.0,\r\n") != NULL); /* bins: 26 of 50 in the year */
    text_buffer_reset(&out);
    export_render_html(&table, 1, "t", &out);
    CHECK(strstr(text_buffer_string(&out), "Top reasons for contact") != NULL);
    CHECK(strstr(text_buffer_string(&out), "=cmd()") != NULL);
    json_t *json = export_render_json(&table, 1);
    json_t *first = json_object_get(json_array_get(json_object_get(json, "tables"), 0), "reasons");
    CHECK_INT(json_integer_value(
                  json_object_get(json_object_get(json_array_get(first, 0), "counts"), "year")),
              26);
    CHECK_STR(json_string_value(
                  json_object_get(json_array_get(json_object_get(json, "tables"), 0), "channel")),
              "webchat");
    json_decref(json);
    text_buffer_free(&out);
    export_table_free(&table);
    free(months);
}

void unit_main(void)
{
    test_csv_field();
    test_table();
    test_reasons();
    test_profile();
}
