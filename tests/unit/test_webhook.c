/*
 * test_webhook: Standard Webhooks signatures (the specification's own test vector,
 * a raw-string secret, secrets that cannot sign), new secrets, retry delays
 * (growth, cap, jitter bounds, Retry-After), which addresses a webhook may reach
 * (every special range, mapped and NAT64 IPv6, the operator's allow-list), and the
 * three notification formats parsed back as JSON.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "alert_payload.h"
#include "net_policy.h"
#include "unit.h"
#include "webhook.h"

static void test_signature(void)
{
    char signature[WEBHOOK_SIGNATURE_MAX];
    struct ccm_error error;
    const char *body = "{\"test\": 2432232314}";

    /* The test vector of the Standard Webhooks specification. */
    CHECK_INT(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                           1614265330, body, strlen(body), signature, &error),
              0);
    CHECK_STR(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* Without the prefix the secret's own bytes are the key (Python's hmac agrees). */
    CHECK_INT(webhook_sign("plain-secret", "abc", 1700000000, "body", 4, signature, &error), 0);
    CHECK_STR(signature, "v1,F7sfJ6dRMCi0HXcB2nzOf/EA8j1ehhKVSwln3JhnyZk=");
    /* The body's length counts, not a NUL. */
    CHECK_INT(
        webhook_sign("plain-secret", "abc", 1700000000, "body and more", 4, signature, &error), 0);
    CHECK_STR(signature, "v1,F7sfJ6dRMCi0HXcB2nzOf/EA8j1ehhKVSwln3JhnyZk=");

    static const char *const unusable[] = {"",           "whsec_",     "whsec_abc", "whsec_ab!d",
                                           "whsec_a=bc", "whsec_====", "whsec_=AAA"};
    for (size_t i = 0; i < sizeof unusable / sizeof unusable[0]; i++) {
        CHECK_MSG(webhook_sign(unusable[i], "id", 1, "", 0, signature, &error) == -1,
                  "signed with \"%s\"", unusable[i]);
        CHECK_MSG(webhook_secret_check(unusable[i], &error) == -1, "accepted \"%s\"", unusable[i]);
    }
    CHECK_INT(webhook_secret_check("whsec_AAAA", &error), 0);
    CHECK_INT(webhook_secret_check("whsec_AA==", &error), 0);

    unsigned char random_bytes[32];
    char secret[WEBHOOK_SECRET_MAX];
    for (int i = 0; i < 32; i++)
        random_bytes[i] = (unsigned char)(i * 37 + 1);
    webhook_secret_format(random_bytes, secret);
    CHECK_INT(strlen(secret), 50);
    CHECK(strncmp(secret, "whsec_", 6) == 0);
    CHECK_INT(webhook_secret_check(secret, &error), 0);
}

static void test_retry(void)
{
    CHECK_INT(webhook_retry_delay_s(1, 30, 0, 0), 15);
    CHECK_INT(webhook_retry_delay_s(1, 30, 0.999999, 0), 29);
    CHECK_INT(webhook_retry_delay_s(2, 30, 0, 0), 30);
    CHECK_INT(webhook_retry_delay_s(3, 30, 0, 0), 60);
    CHECK_INT(webhook_retry_delay_s(8, 30, 0, 0), 1800);
    CHECK_INT(webhook_retry_delay_s(9, 30, 0, 0), 1800); /* capped at 1 h, half of it fixed */
    CHECK_INT(webhook_retry_delay_s(1000, 30, 0.5, 0), 2700);
    CHECK_INT(webhook_retry_delay_s(1, 30, 0.5, 120), 120);      /* Retry-After asks for longer */
    CHECK_INT(webhook_retry_delay_s(9, 30, 0.5, 120), 2700);     /* ... or not */
    CHECK_INT(webhook_retry_delay_s(1, 30, 0.5, 999999), 86400); /* at most a day */
    CHECK_INT(webhook_retry_delay_s(1, 30, -1, 0), 15);          /* a bad random is no jitter */
    /* Hours of retries before a day is up: 1 h apart at most. */
    int64_t total = 0;
    int attempts = 0;
    while (total < 3 * 86400) {
        total += webhook_retry_delay_s(++attempts, 30, 0.5, 0);
    }
    CHECK_MSG(attempts > 60 && attempts < 200, "%d attempts in 3 days", attempts);
}

static const char *refusal(const struct net_policy *policy, const char *text)
{
    unsigned char bytes[16];
    if (inet_pton(AF_INET, text, bytes) == 1)
        return net_policy_refusal(policy, NET_IPV4, bytes);
    if (inet_pton(AF_INET6, text, bytes) == 1)
        return net_policy_refusal(policy, NET_IPV6, bytes);
    unit_fail(__FILE__, __LINE__, "bad test address %s", text);
    return "bad";
}

static void test_net_policy(void)
{
    struct net_policy policy;
    struct ccm_error error;

    net_policy_init(&policy);
    static const struct {
        const char *address, *why; /* why NULL: allowed */
    } cases[] = {
        {"93.184.216.34", NULL},
        {"8.8.8.8", NULL},
        {"2606:4700::6810:85e5", NULL},
        {"127.0.0.1", "loopback"},
        {"127.255.255.254", "loopback"},
        {"10.0.0.1", "private"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"172.32.0.1", NULL},
        {"192.168.1.1", "private"},
        {"169.254.169.254", "link-local (cloud metadata)"},
        {"100.64.0.1", "shared (carrier-grade NAT)"},
        {"100.100.100.200", "shared (carrier-grade NAT)"},
        {"100.128.0.1", NULL},
        {"0.0.0.0", "unspecified"},
        {"224.0.0.1", "multicast"},
        {"255.255.255.255", "reserved"},
        {"192.0.0.192", "reserved (IETF protocol assignments)"},
        {"198.18.0.1", "reserved (benchmarking)"},
        {"::1", "loopback"},
        {"::", "unspecified"},
        {"fe80::1", "link-local"},
        {"fd00:ec2::254", "private (unique local; cloud metadata)"},
        {"fc00::1", "private (unique local; cloud metadata)"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:169.254.169.254", "link-local (cloud metadata)"},
        {"::ffff:8.8.8.8", NULL},
        {"64:ff9b::10.0.0.1", "private"},
        {"64:ff9b::8.8.8.8", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = refusal(&policy, cases[i].address);
        CHECK_MSG((why == NULL) == (cases[i].why == NULL) && (!why || !strcmp(why, cases[i].why)),
                  "%s: refused as %s, want %s", cases[i].address, why ? why : "(allowed)",
                  cases[i].why ? cases[i].why : "(allowed)");
    }
    /* The operator's on-premises receivers. */
    CHECK_INT(net_policy_allow(&policy, "10.20.0.0/16", &error), 0);
    CHECK_INT(net_policy_allow(&policy, "127.0.0.1", &error), 0);
    CHECK_INT(net_policy_allow(&policy, "fd12:3456::/32", &error), 0);
    CHECK(refusal(&policy, "10.20.255.1") == NULL);
    CHECK_STR(refusal(&policy, "10.21.0.1"), "private");
    CHECK(refusal(&policy, "127.0.0.1") == NULL);
    CHECK_STR(refusal(&policy, "127.0.0.2"), "loopback");
    CHECK(refusal(&policy, "fd12:3456:1::1") == NULL);
    CHECK_STR(refusal(&policy, "fd12:3457::1"), "private (unique local; cloud metadata)");
    static const char *const bad[] = {
        "",           "/8",          "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8x",
        "fd00::/129", "example.org", "10.0.0.0/-1", "1.2.3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(net_policy_allow(&policy, bad[i], &error) == -1, "accepted \"%s\"", bad[i]);
    CHECK_INT(net_policy_allow(&policy, "0.0.0.0/0", &error), 0); /* an operator may say so */
    CHECK(refusal(&policy, "169.254.169.254") == NULL);
}

static void test_payloads(void)
{
    struct alert_notification n = {
        .type = "alert.firing",
        .at_us = INT64_C(1792742400000000), /* 2026-10-23T08:00:00Z */
        .rule_id = "r1",
        .rule_name = "Abandons",
        .scope = "queue:bins",
        .kpi = "abandoned_pct",
        .window = "rolling-1h",
        .has_value = true,
        .value = 12.345,
        .has_threshold = true,
        .threshold = 10,
        .link = "https://ccm.example/month.html?scope=queue%3Abins",
    };
    char *text = alert_payload_render(&n, ALERT_FORMAT_GENERIC);
    json_t *body = json_loads(text, 0, NULL);
    CHECK(body != NULL);
    CHECK_STR(json_string_value(json_object_get(body, "type")), "alert.firing");
    CHECK_STR(json_string_value(json_object_get(body, "timestamp")), "2026-10-23T08:00:00Z");
    json_t *data = json_object_get(body, "data");
    CHECK_STR(json_string_value(json_object_get(data, "rule")), "r1");
    CHECK_STR(json_string_value(json_object_get(data, "scope")), "queue:bins");
    CHECK_STR(json_string_value(json_object_get(data, "kpi")), "abandoned_pct");
    CHECK_STR(json_string_value(json_object_get(data, "window")), "rolling-1h");
    CHECK(json_real_value(json_object_get(data, "value")) == 12.345);
    CHECK(json_number_value(json_object_get(data, "target")) == 10);
    CHECK_STR(json_string_value(json_object_get(data, "state")), "firing");
    CHECK_STR(json_string_value(json_object_get(data, "link")), n.link);
    json_decref(body);
    free(text);

    n.type = "alert.resolved";
    n.has_value = false;
    text = alert_payload_render(&n, ALERT_FORMAT_SLACK);
    body = json_loads(text, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(body, "text")),
              "Resolved: Abandons: abandoned_pct no figure (threshold 10.0%) on queue:bins, "
              "rolling-1h");
    json_t *blocks = json_object_get(body, "blocks");
    CHECK_STR(json_string_value(json_object_get(json_array_get(blocks, 0), "type")), "section");
    CHECK(strstr(json_string_value(
                     json_object_get(json_object_get(json_array_get(blocks, 0), "text"), "text")),
                 "<https://ccm.example/month.html?scope=queue%3Abins|Open the dashboard>"));
    json_decref(body);
    free(text);

    n.type = "alert.firing";
    n.has_value = true;
    n.value = 99.5;
    n.kpi = "asa_s";
    text = alert_payload_render(&n, ALERT_FORMAT_TEAMS);
    body = json_loads(text, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(body, "type")), "message");
    json_t *attachment = json_array_get(json_object_get(body, "attachments"), 0);
    CHECK_STR(json_string_value(json_object_get(attachment, "contentType")),
              "application/vnd.microsoft.card.adaptive");
    json_t *card = json_object_get(attachment, "content");
    CHECK_STR(json_string_value(json_object_get(card, "type")), "AdaptiveCard");
    CHECK_STR(json_string_value(json_object_get(card, "version")), "1.4");
    json_t *facts = json_object_get(json_array_get(json_object_get(card, "body"), 1), "facts");
    CHECK_STR(json_string_value(json_object_get(json_array_get(facts, 2), "value")), "100 s");
    CHECK_STR(json_string_value(
                  json_object_get(json_array_get(json_object_get(card, "actions"), 0), "url")),
              n.link);
    json_decref(body);
    free(text);

    /* A rule on one channel: the generic body says which; people read it in the scope. */
    n.channel = "webchat";
    text = alert_payload_render(&n, ALERT_FORMAT_GENERIC);
    body = json_loads(text, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(body, "data"), "channel")),
              "webchat");
    CHECK_STR(json_string_value(json_object_get(json_object_get(body, "data"), "scope")),
              "queue:bins");
    json_decref(body);
    free(text);
    text = alert_payload_render(&n, ALERT_FORMAT_SLACK);
    body = json_loads(text, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(body, "text")),
              "Firing: Abandons: asa_s 100 s (threshold 10 s) on queue:bins (webchat), rolling-1h");
    json_decref(body);
    free(text);
    n.channel = "";
    text = alert_payload_render(&n, ALERT_FORMAT_GENERIC);
    body = json_loads(text, 0, NULL);
    CHECK(json_object_get(json_object_get(body, "data"), "channel") == NULL);
    json_decref(body);
    free(text);
    CHECK_INT(alert_format_from_name("teams"), ALERT_FORMAT_TEAMS);
    CHECK_INT(alert_format_from_name("email"), -1);
}

void unit_main(void)
{
    test_signature();
    test_retry();
    test_net_policy();
    test_payloads();
}
