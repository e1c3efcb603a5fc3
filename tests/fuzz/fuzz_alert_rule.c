/*
 * fuzz_alert_rule: libFuzzer target for what the alert admin API parses from
 * untrusted input: a rule (alert_rule_parse, with its opening hours), an allowed
 * network (net_policy_allow) and a webhook secret (webhook_secret_check,
 * webhook_sign). An accepted rule must be judged by alert_step without trouble
 * for any observation, and render in every format as JSON that parses back; an
 * accepted secret must sign.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "alert_payload.h"
#include "fuzz_check.h"
#include "net_policy.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
