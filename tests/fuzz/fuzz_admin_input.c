/*
 * fuzz_admin_input: libFuzzer target for what the admin API parses from untrusted
 * input besides events: an alert rule (alert_rule_parse, with its opening hours),
 * an allowed network (net_policy_allow), a webhook secret (webhook_secret_check,
 * webhook_sign), an export profile (export_profile_parse) and a CSV cell
 * (export_csv_field). An accepted rule must be judged by alert_step without
 * trouble and render in every format as JSON that parses back; an accepted
 * secret must sign; an accepted profile must render as CSV whose cells never
 * start a formula.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "alert_payload.h"
#include "export.h"
#include "fuzz_check.h"
#include "net_policy.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks RFC 4180 CSV and checks that no cell's value starts a formula (=, +, @, tab,
 * CR, or - unless the value is a plain number). */
static void check_csv_cells(const char *text)
{
    const char *p = text;
    while (*p) {
        char value[64];
        size_t length = 0;
        if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                if (*p == '"')
                    p++;
                if (length < sizeof value - 1)
                    value[length++] = *p;
            }
            if (*p == '"')
                p++;
        } else {
            for (; *p && *p != ',' && *p != '\r' && *p != '\n'; p++)
                if (length < sizeof value - 1)
                    value[length++] = *p;
        }
        value[length] = '\0';
        bool number = value[0] == '-' && value[1] >= '0' && value[1] <= '9' &&
                      strspn(value + 1, "0123456789.") == strlen(value + 1);
        check(!strchr("=+@\t\r", value[0]) || value[0] == '\0', "no CSV cell starts a formula");
        check(value[0] != '-' || number, "no CSV cell starts with - unless a number");
        if (*p == ',')
            p++;
        else if (*p == '\r' && p[1] == '\n')
            p += 2;
        else if (*p)
            p++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ccm_error error;
    struct alert_rule rule;
    json_t *body = json_loadb((const char *)data, size, 0, NULL);

    if (body && alert_rule_parse(&rule, body, &error) == 0) {
        struct alert_state state = {ALERT_OK, 0, 0};
        for (int i = 0; i < 8; i++) {
            struct alert_observation seen = {.open = i % 3 != 0,
                                             .has_figure = i % 4 != 1,
                                             .value = (i * 37) % 100,
                                             .has_threshold = true,
                                             .threshold = 50};
            alert_step(&rule, &state, &seen, (int64_t)i * 7000000);
            check(state.kind <= ALERT_FIRING, "a state of the machine");
        }
        check(opening_hours_open_for(&rule.hours, 3, 600, 2000) <= 2000,
              "open_for within its limit");
        struct alert_notification n = {.type = "alert.firing",
                                       .at_us = 0,
                                       .rule_id = "r",
                                       .rule_name = rule.name,
                                       .scope = "tenant",
                                       .kpi = "asa_s",
                                       .window = "today",
                                       .has_value = true,
                                       .value = 1,
                                       .link = "https://x/"};
        for (int f = 0; f < ALERT_FORMAT_COUNT; f++) {
            char *text = alert_payload_render(&n, f);
            json_t *back = text ? json_loads(text, 0, NULL) : NULL;
            check(back != NULL, "every format renders JSON");
            json_decref(back);
            free(text);
        }
    }
    struct export_profile profile = {.name = "fuzz"};
    if (body && export_profile_parse(&profile, body, &error) == 0) {
        struct export_month_input *months = calloc(EXPORT_MONTHS, sizeof *months);
        struct export_table table;
        if (months && export_table_build(&table, "tenant", 2025, 4, 20000, &profile, months, NULL,
                                         0, NULL, 0, &error) == 0) {
            struct text_buffer out;
            text_buffer_init(&out);
            export_render_csv(&table, 1, &out);
            check_csv_cells(text_buffer_string(&out));
            text_buffer_free(&out);
            export_table_free(&table);
        }
        free(months);
    }
    json_decref(body);

    /* The same bytes as a network and as a secret (NUL-terminated copies). */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct net_policy policy;
    net_policy_init(&policy);
    if (net_policy_allow(&policy, text, &error) == 0) {
        check(policy.count == 1 && policy.allowed[0].prefix >= 0 &&
                  policy.allowed[0].prefix <= (policy.allowed[0].family == NET_IPV4 ? 32 : 128),
              "an accepted network has a valid prefix");
        unsigned char any[16] = {0};
        net_policy_refusal(&policy, policy.allowed[0].family, any);
    }
    struct text_buffer cell;
    text_buffer_init(&cell);
    export_csv_field(&cell, text);
    check_csv_cells(text_buffer_string(&cell));
    text_buffer_free(&cell);
    if (webhook_secret_check(text, &error) == 0) {
        char signature[WEBHOOK_SIGNATURE_MAX];
        check(webhook_sign(text, "msg_1", 1, "{}", 2, signature, &error) == 0,
              "an accepted secret signs");
        check(strncmp(signature, "v1,", 3) == 0 && strlen(signature) == 47,
              "a signature is v1, and 44 base64 characters");
    }
    free(text);
    return 0;
}
