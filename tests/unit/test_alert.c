/*
 * test_alert: alert rules as the admin API takes them (every key, defaults, each
 * refusal with its reason), opening hours (groups, overrides, split days, limits,
 * continuous opening across midnight), and the state machine: for_s, hysteresis,
 * min_sample, closed lines, repeats, no-data rules, and a figure oscillating
 * around its target for an hour that fires and resolves only as the margin says.
 */
#include "alert.h"
#include "event.h"

#include <stdlib.h>

#include "unit.h"

#define S INT64_C(1000000)

static int parse(const char *text, struct alert_rule *rule, struct ccm_error *error)
{
    json_error_t json_error;
    json_t *body = json_loads(text, 0, &json_error);
    if (!body) {
        unit_fail(__FILE__, __LINE__, "bad test JSON %s: %s", text, json_error.text);
        return -1;
    }
    int rc = alert_rule_parse(rule, body, error);
    json_decref(body);
    return rc;
}

static void test_rule_parse(void)
{
    struct alert_rule rule;
    struct ccm_error error;

    CHECK_INT(parse("{\"scope\": \"queue:council-tax\", \"kpi\": \"abandoned_pct\", \"window\": "
                    "\"rolling-1h\", \"threshold\": 10, \"for_s\": 300, \"recover_margin\": 2, "
                    "\"min_sample\": 20, \"repeat_s\": 14400, \"endpoints\": [\"a\", \"b\"], "
                    "\"name\": \"Abandons\", \"opening_hours\": {\"weekdays\": \"08:30-17:00\"}}",
                    &rule, &error),
              0);
    CHECK_INT(rule.kind, ALERT_KIND_KPI);
    CHECK_INT(rule.scope.kind, SCOPE_QUEUE);
    CHECK_STR(rule.scope.name, "council-tax");
    CHECK_INT(rule.kpi, KPI_ABANDONED_PCT);
    CHECK_INT(rule.window, ALERT_WINDOW_ROLLING_1H);
    CHECK(rule.has_threshold && rule.threshold == 10);
    CHECK_INT(rule.for_s, 300);
    CHECK(rule.recover_margin == 2);
    CHECK_INT(rule.min_sample, 20);
    CHECK_INT(rule.repeat_s, 14400);
    CHECK_INT(rule.endpoint_count, 2);
    CHECK_STR(rule.endpoints[1], "b");
    CHECK_STR(rule.name, "Abandons");
    CHECK(rule.enabled);
    CHECK(!rule.hours.always);
    CHECK(opening_hours_is_open(&rule.hours, 1, 8 * 60 + 30));
    CHECK(!opening_hours_is_open(&rule.hours, 0, 12 * 60));

    /* One channel's figure; none given: every channel. */
    CHECK_INT(parse("{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"channel\": \"webchat\"}", &rule,
                    &error),
              0);
    CHECK_INT(rule.channel, EVENT_CHANNEL_WEBCHAT);
    CHECK_INT(
        parse("{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"channel\": \"fax\"}", &rule, &error),
        -1);
    CHECK_INT(parse("{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"channel\": 2}", &rule, &error),
              -1);
    CHECK_INT(parse("{\"scope\": \"tenant\", \"kpi\": \"satisfied_pct\"}", &rule, &error), -1);

    /* Defaults: today, the target in force, no wait, no margin, 10 contacts, once. */
    CHECK_INT(parse("{\"scope\": \"tenant\", \"kpi\": \"asa_s\"}", &rule, &error), 0);
    CHECK_INT(rule.channel, -1);
    CHECK_INT(rule.window, ALERT_WINDOW_TODAY);
    CHECK(!rule.has_threshold);
    CHECK_INT(rule.for_s, 0);
    CHECK_INT(rule.min_sample, 10);
    CHECK_INT(rule.repeat_s, 0);
    CHECK(rule.hours.always);
    CHECK_INT(rule.endpoint_count, 0);
    CHECK_STR(rule.name, "");

    CHECK_INT(parse("{\"scope\": \"service:revenues\", \"no_data_minutes\": 30}", &rule, &error),
              0);
    CHECK_INT(rule.kind, ALERT_KIND_NO_DATA);
    CHECK_INT(rule.no_data_minutes, 30);
    CHECK_INT(alert_direction(&rule), KPI_LOWER_IS_BETTER);

    static const struct {
        const char *body, *reason;
    } refused[] = {
        {"[]", "must be a JSON object"},
        {"{\"kpi\": \"asa_s\"}", "scope is required"},
        {"{\"scope\": \"queue:\", \"kpi\": \"asa_s\"}", "scope"},
        {"{\"scope\": \"tenant\"}", "kpi must be a rate or average"},
        {"{\"scope\": \"tenant\", \"kpi\": \"offered\"}", "kpi must be a rate or average"},
        {"{\"scope\": \"tenant\", \"kpi\": \"repeat_fcr_pct\"}", "kpi must be a rate or average"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"window\": \"week\"}", "window must be"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"threshold\": \"35\"}", "threshold must"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"for_s\": -1}", "for_s must be"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"for_s\": 1.5}", "for_s must be"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"recover_margin\": -1}", "recover_margin"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"min_sample\": -5}", "min_sample"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"repeat_s\": 30}", "at least 60"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"endpoints\": \"x\"}", "endpoints must"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"endpoints\": [\"x\", \"x\"]}", "twice"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"endpoints\": [7]}", "endpoints[0]"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"enabled\": 1}", "enabled must"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"colour\": 1}", "unknown key \"colour\""},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"name\": \"a\\u0007b\"}", "control"},
        {"{\"scope\": \"tenant\", \"no_data_minutes\": 0}", "no_data_minutes must be"},
        {"{\"scope\": \"tenant\", \"no_data_minutes\": 10, \"kpi\": \"asa_s\"}", "takes no kpi"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"opening_hours\": []}", "must be an object"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"opening_hours\": {\"monday\": null}}",
         "unknown key \"monday\""},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"opening_hours\": {\"mon\": \"9-5\"}}",
         "opening_hours.mon: a range must be"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"opening_hours\": {\"mon\": "
         "\"17:00-09:00\"}}",
         "ends before it starts"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"opening_hours\": {\"mon\": "
         "\"24:00-24:00\"}}",
         "a range must be"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"opening_hours\": {\"tue\": "
         "\"08:60-09:00\"}}",
         "a range must be"},
        {"{\"scope\": \"tenant\", \"kpi\": \"asa_s\", \"opening_hours\": {\"sat\": 9}}",
         "opening_hours.sat must be"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        ccm_error_clear(&error);
        CHECK_MSG(parse(refused[i].body, &rule, &error) == -1, "accepted %s", refused[i].body);
        CHECK_MSG(strstr(error.message, refused[i].reason), "%s: \"%s\" lacks \"%s\"",
                  refused[i].body, error.message, refused[i].reason);
    }
}

static void test_opening_hours(void)
{
    struct opening_hours hours;
    struct ccm_error error;
    json_t *value = json_loads("{\"daily\": \"09:00-17:00\", \"weekdays\": [\"08:00-12:00\", "
                               "\"13:00-18:00\"], \"sun\": null, \"fri\": \"00:00-24:00\"}",
                               0, NULL);

    CHECK_INT(opening_hours_parse(&hours, value, &error), 0);
    json_decref(value);
    /* sat from "daily"; mon-thu from "weekdays" (a group of five days wins over
     * every day); fri and sun named. */
    CHECK(opening_hours_is_open(&hours, 6, 9 * 60));
    CHECK(!opening_hours_is_open(&hours, 6, 17 * 60));
    CHECK(opening_hours_is_open(&hours, 6, 17 * 60 - 1));
    CHECK(!opening_hours_is_open(&hours, 1, 12 * 60 + 30));
    CHECK(opening_hours_is_open(&hours, 1, 8 * 60));
    CHECK(!opening_hours_is_open(&hours, 1, 8 * 60 - 1));
    CHECK(opening_hours_is_open(&hours, 4, 17 * 60 + 59));
    CHECK(!opening_hours_is_open(&hours, 0, 12 * 60));
    CHECK(opening_hours_is_open(&hours, 5, 0) && opening_hours_is_open(&hours, 5, 1439));
    CHECK(!opening_hours_is_open(&hours, 7, 0) && !opening_hours_is_open(&hours, 1, 1440));
    /* Continuous opening: Friday 00:00 continues Thursday? No: Thursday closes 18:00. */
    CHECK_INT(opening_hours_open_for(&hours, 5, 10, 1000), 11);
    CHECK_INT(opening_hours_open_for(&hours, 6, 9 * 60 + 5, 1000), 6);
    /* Saturday 09:00-17:00 follows Friday's whole day: Sat 00:00 is not open. */
    CHECK_INT(opening_hours_open_for(&hours, 1, 8 * 60 + 29, 10), 10);
    CHECK_INT(opening_hours_open_for(&hours, 0, 12 * 60, 10), 0);

    value = json_loads("{\"sat\": \"00:00-24:00\", \"fri\": \"20:00-24:00\"}", 0, NULL);
    CHECK_INT(opening_hours_parse(&hours, value, &error), 0);
    json_decref(value);
    CHECK_INT(opening_hours_open_for(&hours, 6, 30, 10000), 31 + 4 * 60); /* across midnight */

    CHECK_INT(opening_hours_parse(&hours, json_null(), &error), 0);
    CHECK(hours.always && opening_hours_is_open(&hours, 3, 3));
    CHECK_INT(opening_hours_open_for(&hours, 3, 3, 50), 50);
}

static struct alert_observation seen(double value, double threshold)
{
    return (struct alert_observation){.open = true,
                                      .has_figure = true,
                                      .value = value,
                                      .has_threshold = true,
                                      .threshold = threshold};
}

static void test_state_machine(void)
{
    struct alert_rule rule;
    struct alert_state state = {ALERT_OK, 0, 0};
    struct ccm_error error;
    struct alert_observation o;

    /* abandoned_pct: lower is better; threshold 10, margin 2, must hold 60 s. */
    CHECK_INT(parse("{\"scope\": \"tenant\", \"kpi\": \"abandoned_pct\", \"threshold\": 10, "
                    "\"for_s\": 60, \"recover_margin\": 2, \"repeat_s\": 600}",
                    &rule, &error),
              0);
    o = seen(9, 10);
    CHECK_INT(alert_step(&rule, &state, &o, 0), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_OK);
    o = seen(10, 10); /* on the threshold is not a breach */
    CHECK_INT(alert_step(&rule, &state, &o, 5 * S), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_OK);
    o = seen(12, 10);
    CHECK_INT(alert_step(&rule, &state, &o, 10 * S), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_PENDING);
    CHECK_INT(state.since_us, 10 * S);
    CHECK_INT(alert_step(&rule, &state, &o, 69 * S), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_PENDING);
    CHECK_INT(alert_step(&rule, &state, &o, 70 * S), ALERT_NOTICE_FIRING);
    CHECK_INT(state.kind, ALERT_FIRING);
    CHECK_INT(state.last_notified_us, 70 * S);
    /* Back under the threshold but inside the margin: still firing. */
    o = seen(8.5, 10);
    CHECK_INT(alert_step(&rule, &state, &o, 80 * S), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_FIRING);
    /* Repeat every 600 s while not recovered. */
    CHECK_INT(alert_step(&rule, &state, &o, 669 * S), ALERT_NOTICE_NONE);
    CHECK_INT(alert_step(&rule, &state, &o, 670 * S), ALERT_NOTICE_REPEAT);
    CHECK_INT(alert_step(&rule, &state, &o, 671 * S), ALERT_NOTICE_NONE);
    /* Thin data or a closed line: no resolve, no repeat. */
    o.has_figure = false;
    CHECK_INT(alert_step(&rule, &state, &o, 2000 * S), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_FIRING);
    o = seen(1, 10);
    o.open = false;
    CHECK_INT(alert_step(&rule, &state, &o, 2001 * S), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_FIRING);
    /* Past the margin: resolved. */
    o = seen(8, 10);
    CHECK_INT(alert_step(&rule, &state, &o, 2002 * S), ALERT_NOTICE_RESOLVED);
    CHECK_INT(state.kind, ALERT_OK);
    CHECK_INT(state.last_notified_us, 0);

    /* A breach that does not hold for for_s goes back to ok without a notice;
     * so does a pending rule whose data thins out or whose line closes. */
    o = seen(11, 10);
    alert_step(&rule, &state, &o, 3000 * S);
    CHECK_INT(state.kind, ALERT_PENDING);
    o = seen(9.9, 10);
    CHECK_INT(alert_step(&rule, &state, &o, 3030 * S), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_OK);
    o = seen(11, 10);
    alert_step(&rule, &state, &o, 3040 * S);
    o.has_threshold = false;
    CHECK_INT(alert_step(&rule, &state, &o, 3200 * S), ALERT_NOTICE_NONE);
    CHECK_INT(state.kind, ALERT_OK);

    /* Higher is better, for_s 0: fires at once; margin in the other direction. */
    CHECK_INT(parse("{\"scope\": \"tenant\", \"kpi\": \"service_level_pct\", \"recover_margin\": "
                    "5}",
                    &rule, &error),
              0);
    state = (struct alert_state){ALERT_OK, 0, 0};
    o = seen(79.9, 80);
    CHECK_INT(alert_step(&rule, &state, &o, 1 * S), ALERT_NOTICE_FIRING);
    o = seen(84.9, 80);
    CHECK_INT(alert_step(&rule, &state, &o, 2 * S), ALERT_NOTICE_NONE); /* repeat_s 0 */
    CHECK_INT(alert_step(&rule, &state, &o, 99999 * S), ALERT_NOTICE_NONE);
    o = seen(85, 80);
    CHECK_INT(alert_step(&rule, &state, &o, 100000 * S), ALERT_NOTICE_RESOLVED);

    /* No data: the figure is minutes of silence; recovers with any contact. */
    CHECK_INT(parse("{\"scope\": \"queue:bins\", \"no_data_minutes\": 30, \"recover_margin\": 5}",
                    &rule, &error),
              -1); /* no margin for no-data rules */
    CHECK_INT(parse("{\"scope\": \"queue:bins\", \"no_data_minutes\": 30}", &rule, &error), 0);
    state = (struct alert_state){ALERT_OK, 0, 0};
    o = seen(30, 30);
    CHECK_INT(alert_step(&rule, &state, &o, 1 * S), ALERT_NOTICE_NONE);
    o = seen(31, 30);
    CHECK_INT(alert_step(&rule, &state, &o, 2 * S), ALERT_NOTICE_FIRING);
    o = seen(0, 30);
    CHECK_INT(alert_step(&rule, &state, &o, 3 * S), ALERT_NOTICE_RESOLVED);
}

/* An hour of a figure oscillating around its target, evaluated every 10 s:
 * how often it fires and resolves depends on the margin and for_s, not on how
 * often the figure crosses the target. */
static void test_oscillation(void)
{
    struct alert_rule rule;
    struct ccm_error error;
    int fired, resolved, crossings;

    /* abandoned_pct around 10 +- 1.5 with a 90 s period; margin 2: the figure
     * never gets 2 below the target, so after the first firing it never resolves. */
    CHECK_INT(parse("{\"scope\": \"tenant\", \"kpi\": \"abandoned_pct\", \"threshold\": 10, "
                    "\"recover_margin\": 2}",
                    &rule, &error),
              0);
    struct alert_state state = {ALERT_OK, 0, 0};
    fired = resolved = crossings = 0;
    double previous = 10;
    for (int t = 0; t < 3600; t += 10) {
        double value = 10 + 1.5 * sin(t * 2 * M_PI / 90);
        struct alert_observation o = seen(value, 10);
        enum alert_notice notice = alert_step(&rule, &state, &o, t * S);
        fired += notice == ALERT_NOTICE_FIRING;
        resolved += notice == ALERT_NOTICE_RESOLVED;
        crossings += (previous > 10) != (value > 10);
        previous = value;
    }
    CHECK_MSG(crossings > 50, "the figure crossed the target %d times", crossings);
    CHECK_INT(fired, 1);
    CHECK_INT(resolved, 0);

    /* A slow swing of +-3 every 20 minutes with margin 2 and for_s 120: one firing
     * and one resolve per swing (3 in the hour), whatever the evaluation jitter. */
    CHECK_INT(parse("{\"scope\": \"tenant\", \"kpi\": \"abandoned_pct\", \"threshold\": 10, "
                    "\"recover_margin\": 2, \"for_s\": 120}",
                    &rule, &error),
              0);
    state = (struct alert_state){ALERT_OK, 0, 0};
    fired = resolved = 0;
    for (int t = 0; t < 3600; t += 10) {
        double value = 10 + 3 * sin(t * 2 * M_PI / 1200) + 0.8 * sin(t * 2 * M_PI / 40);
        struct alert_observation o = seen(value, 10);
        enum alert_notice notice = alert_step(&rule, &state, &o, t * S);
        fired += notice == ALERT_NOTICE_FIRING;
        resolved += notice == ALERT_NOTICE_RESOLVED;
    }
    CHECK_INT(fired, 3);
    CHECK_INT(resolved, 3);
}

void unit_main(void)
{
    test_rule_parse();
    test_opening_hours();
    test_state_machine();
    test_oscillation();
}
