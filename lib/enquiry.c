/* enquiry: members' enquiries, pure (see enquiry.h and docs/enquiries.md). */
#include "enquiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "item_problems.h"
#include "utf8.h"

/* ---- states and the merge rule ---- */

enum enquiry_state enquiry_state_of(const struct enquiry *enquiry)
{
    return enquiry->has_closed  ? ENQUIRY_STATE_CLOSED
           : enquiry->has_delay ? ENQUIRY_STATE_DELAY_ADVISED
                                : ENQUIRY_STATE_OPEN;
}

void enquiry_merge(const struct enquiry *stored, const struct enquiry *posted, struct enquiry *out)
{
    bool posted_wins = enquiry_state_of(posted) >= enquiry_state_of(stored);
    const struct enquiry *winner = posted_wins ? posted : stored;
    const struct enquiry *loser = posted_wins ? stored : posted;

    *out = *winner;
    if (!winner->has_delay && loser->has_delay && loser->delay_us >= winner->opened_us) {
        out->has_delay = true;
        out->delay_us = loser->delay_us;
    }
}

/* ---- the request body ---- */

void enquiry_batch_init(struct enquiry_batch *batch)
{
    memset(batch, 0, sizeof *batch);
}

static void enquiry_items_free(struct enquiry_batch *batch)
{
    for (size_t i = 0; i < batch->count; i++) {
        free(batch->items[i].id);
        free(batch->items[i].unit);
    }
    free(batch->items);
    batch->items = NULL;
    batch->count = 0;
}

void enquiry_batch_free(struct enquiry_batch *batch)
{
    enquiry_items_free(batch);
    free(batch->errors);
    enquiry_batch_init(batch);
}

struct enquiry_parser {
    struct enquiry_batch *batch;
    size_t capacity;
    size_t items_seen;
    bool failed; /* out of memory or a body-level error */
};

static void enquiry_add_error(struct enquiry_parser *parser, long index, long line,
                              const char *field, const char *message)
{
    struct enquiry_batch *batch = parser->batch;

    if (batch->error_count < ENQUIRY_MAX_ERRORS) {
        if (!batch->errors) {
            batch->errors = calloc(ENQUIRY_MAX_ERRORS, sizeof *batch->errors);
            if (!batch->errors) {
                parser->failed = true;
                batch->error_count++;
                return;
            }
        }
        struct event_item_error *e = &batch->errors[batch->error_count];
        e->index = index;
        e->line = line;
        snprintf(e->field, sizeof e->field, "%s", field ? field : "");
        snprintf(e->message, sizeof e->message, "%s", message);
        utf8_sanitize(e->message); /* jansson's messages quote the input, cut anywhere */
    }
    batch->error_count++;
}

static int enquiry_fail_body(struct enquiry_parser *parser, long index, long line,
                             const char *message)
{
    /* The body cannot be read: this is the one error reported. */
    parser->batch->error_count = 0;
    enquiry_add_error(parser, index, line, "", message);
    parser->failed = true;
    return -1;
}

/* A name-like string: valid UTF-8, 1..max characters, no control characters (C0, DEL,
 * C1). NULL when fine. */
static const char *enquiry_text_problem(const char *text, size_t max_chars)
{
    size_t length = strlen(text);

    if (!length)
        return "must not be empty";
    for (size_t i = 0; i < length;) {
        size_t n = utf8_sequence_length((const unsigned char *)text + i, length - i);
        if (!n)
            return "is not valid UTF-8";
        i += n;
    }
    if (utf8_count_chars(text, length) > max_chars)
        return "is too long";
    if (utf8_first_control(text, length) >= 0)
        return "contains a control character";
    return NULL;
}

static void enquiry_check_text(struct item_problems *problems, const json_t *value,
                               const char *field, size_t max_chars, const char **out)
{
    const char *problem;

    *out = NULL;
    if (!value || json_is_null(value)) {
        item_problems_add(problems, field, "%s is required", field);
        return;
    }
    if (!json_is_string(value)) {
        item_problems_add(problems, field, "%s must be a string", field);
        return;
    }
    problem = enquiry_text_problem(json_string_value(value), max_chars);
    if (problem) {
        item_problems_add(problems, field, "%s %s (1 to %zu characters)", field, problem,
                          max_chars);
        return;
    }
    *out = json_string_value(value);
}

/* Returns true when present and valid (instant in *out). */
static bool enquiry_check_instant(struct item_problems *problems, const json_t *value,
                                  const char *field, bool required, int64_t *out)
{
    struct ccm_error error;

    if (!value || json_is_null(value)) {
        if (required)
            item_problems_add(problems, field, "%s is required", field);
        return false;
    }
    if (!json_is_string(value)) {
        item_problems_add(problems, field, "%s must be a string (an RFC 3339 time with an offset)",
                          field);
        return false;
    }
    if (calendar_parse_rfc3339(json_string_value(value), json_string_length(value), out, &error) !=
        0) {
        item_problems_add(problems, field, "%s: %s", field, error.message);
        return false;
    }
    if (*out < EVENT_INSTANT_MIN_US || *out > EVENT_INSTANT_MAX_US) {
        item_problems_add(problems, field, "%s is outside the years 1970 to 9998 (in UTC)", field);
        return false;
    }
    return true;
}

static char *enquiry_strdup(const char *text)
{
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (copy)
        memcpy(copy, text, length + 1);
    return copy;
}

static int enquiry_take_item(struct enquiry_parser *parser, const json_t *item, long index,
                             long line)
{
    struct enquiry_batch *batch = parser->batch;
    struct item_problems problems = {0};
    struct enquiry enquiry = {0};
    const char *id, *unit;
    bool has_opened;

    if (!json_is_object(item)) {
        enquiry_add_error(parser, index, line, "", "an enquiry must be a JSON object");
        return 0;
    }
    enquiry_check_text(&problems, json_object_get(item, "id"), "id", ENQUIRY_ID_MAX_CHARS, &id);
    enquiry_check_text(&problems, json_object_get(item, "unit"), "unit", ENQUIRY_UNIT_MAX_CHARS,
                       &unit);
    has_opened = enquiry_check_instant(&problems, json_object_get(item, "opened_at"), "opened_at",
                                       true, &enquiry.opened_us);
    enquiry.has_delay = enquiry_check_instant(&problems, json_object_get(item, "delay_advised_at"),
                                              "delay_advised_at", false, &enquiry.delay_us);
    enquiry.has_closed = enquiry_check_instant(&problems, json_object_get(item, "closed_at"),
                                               "closed_at", false, &enquiry.closed_us);
    if (has_opened && enquiry.has_delay && enquiry.delay_us < enquiry.opened_us)
        item_problems_add(&problems, "delay_advised_at", "delay_advised_at is before opened_at");
    if (has_opened && enquiry.has_closed && enquiry.closed_us < enquiry.opened_us)
        item_problems_add(&problems, "closed_at", "closed_at is before opened_at");
    if (problems.count > 0) {
        enquiry_add_error(parser, index, line, problems.field, item_problems_message(&problems));
        return 0;
    }
    if (batch->error_count > 0)
        return 0; /* nothing will be stored: keep only checking */
    if (batch->count == parser->capacity) {
        size_t capacity = parser->capacity ? parser->capacity * 2 : 16;
        struct enquiry *items = realloc(batch->items, capacity * sizeof *items);
        if (!items)
            return enquiry_fail_body(parser, -1, -1, "out of memory");
        batch->items = items;
        parser->capacity = capacity;
    }
    enquiry.id = enquiry_strdup(id);
    enquiry.unit = enquiry_strdup(unit);
    if (!enquiry.id || !enquiry.unit) {
        free(enquiry.id);
        free(enquiry.unit);
        return enquiry_fail_body(parser, -1, -1, "out of memory");
    }
    batch->items[batch->count++] = enquiry;
    return 0;
}

static int enquiry_count_item(struct enquiry_parser *parser, long index, long line)
{
    char message[160];

    if (++parser->items_seen > ENQUIRY_MAX_ITEMS) {
        parser->batch->too_many_items = true;
        snprintf(message, sizeof message, "a request may carry at most %d enquiries",
                 ENQUIRY_MAX_ITEMS);
        return enquiry_fail_body(parser, index, line, message);
    }
    return 0;
}

static bool enquiry_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int enquiry_parse_ndjson(struct enquiry_parser *parser, const char *body, size_t length)
{
    const char *cursor = body, *end = body + length;
    long line = 0;
    char message[200];

    while (cursor < end) {
        const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        const char *line_end = newline ? newline : end;
        const char *first = cursor;

        line++;
        while (first < line_end && enquiry_is_space(*first))
            first++;
        if (first < line_end) {
            json_error_t json_error;
            json_t *item;

            if (enquiry_count_item(parser, -1, line))
                return -1;
            item = json_loadb(first, (size_t)(line_end - first),
                              JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &json_error);
            if (!item) {
                snprintf(message, sizeof message, "invalid JSON at line %ld, column %d: %.120s",
                         line, json_error.column, json_error.text);
                return enquiry_fail_body(parser, -1, line, message);
            }
            enquiry_take_item(parser, item, -1, line);
            json_decref(item);
            if (parser->failed)
                return -1;
        }
        cursor = newline ? newline + 1 : end;
    }
    if (parser->items_seen == 0)
        return enquiry_fail_body(parser, -1, -1, "the body holds no enquiry");
    return 0;
}

static int enquiry_parse_json(struct enquiry_parser *parser, const char *body, size_t length)
{
    json_error_t json_error;
    json_t *root;
    char message[200];
    size_t start = 0;

    while (start < length && enquiry_is_space(body[start]))
        start++;
    if (start == length)
        return enquiry_fail_body(parser, -1, -1,
                                 "the body is empty; send a JSON object, an array of objects, "
                                 "or NDJSON");
    root = json_loadb(body, length, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        snprintf(message, sizeof message, "invalid JSON at line %d, column %d: %.120s",
                 json_error.line, json_error.column, json_error.text);
        return enquiry_fail_body(parser, -1, -1, message);
    }
    if (json_is_object(root)) {
        if (enquiry_count_item(parser, 0, -1) == 0)
            enquiry_take_item(parser, root, 0, -1);
    } else if (json_is_array(root)) {
        for (size_t i = 0; i < json_array_size(root) && !parser->failed; i++)
            if (enquiry_count_item(parser, (long)i, -1) == 0)
                enquiry_take_item(parser, json_array_get(root, i), (long)i, -1);
        if (!parser->failed && parser->items_seen == 0)
            enquiry_fail_body(parser, -1, -1, "the array holds no enquiry");
    } else {
        enquiry_fail_body(parser, -1, -1, "a JSON body must be an object or an array of objects");
    }
    json_decref(root);
    return parser->failed ? -1 : 0;
}

int enquiry_parse_body(struct enquiry_batch *batch, const char *body, size_t length,
                       enum event_body_format format)
{
    struct enquiry_parser parser = {.batch = batch};
    int rc;

    enquiry_batch_free(batch);
    if (!body)
        length = 0;
    if (length >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        body += 3;
        length -= 3;
    }
    rc = format == EVENT_BODY_NDJSON ? enquiry_parse_ndjson(&parser, body ? body : "", length)
                                     : enquiry_parse_json(&parser, body ? body : "", length);
    if (rc != 0 || parser.failed) {
        enquiry_items_free(batch);
        return -1;
    }
    if (batch->error_count > 0) {
        enquiry_items_free(batch);
        return 1;
    }
    return 0;
}

static json_t *enquiry_instant_json(bool has, int64_t instant_us)
{
    char text[32];

    if (!has)
        return json_null();
    calendar_format_rfc3339_utc(instant_us, text);
    return json_string(text);
}

json_t *enquiry_batch_json(const struct enquiry_batch *batch)
{
    json_t *items = json_array();

    for (size_t i = 0; i < batch->count; i++) {
        const struct enquiry *e = &batch->items[i];
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", e->id, "unit", e->unit, "opened_at",
                             enquiry_instant_json(true, e->opened_us), "delay_advised_at",
                             enquiry_instant_json(e->has_delay, e->delay_us), "closed_at",
                             enquiry_instant_json(e->has_closed, e->closed_us)));
    }
    return items;
}

/* ---- calendar and scope input ---- */

static int enquiry_compare_days(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int enquiry_holidays_parse(const json_t *body, int32_t **days_out, size_t *count_out,
                           struct ccm_error *error)
{
    const json_t *dates = json_is_object(body) ? json_object_get(body, "dates") : NULL;
    const char *key;
    json_t *value;
    int32_t *days;
    size_t count = 0;

    *days_out = NULL;
    *count_out = 0;
    if (!json_is_object(body))
        return ccm_error_set(error, "the body must be a JSON object {\"dates\": [...]}");
    json_object_foreach((json_t *)body, key, value)
    {
        if (strcmp(key, "dates") != 0)
            return ccm_error_set(error, "unknown key \"%.60s\" (known: dates)", key);
    }
    if (!json_is_array(dates) || json_array_size(dates) == 0 ||
        json_array_size(dates) > ENQUIRY_HOLIDAYS_MAX_DATES)
        return ccm_error_set(error, "dates must be an array of 1 to %d dates \"YYYY-MM-DD\"",
                             ENQUIRY_HOLIDAYS_MAX_DATES);
    days = malloc(json_array_size(dates) * sizeof *days);
    if (!days)
        return ccm_error_set(error, "out of memory");
    for (size_t i = 0; i < json_array_size(dates); i++) {
        const json_t *date = json_array_get(dates, i);
        struct ccm_error date_error;
        if (!json_is_string(date) ||
            calendar_parse_date(json_string_value(date), json_string_length(date), &days[i],
                                &date_error) != 0) {
            free(days);
            return ccm_error_set(error, "dates[%zu] is not a date \"YYYY-MM-DD\"", i);
        }
        if (days[i] < 0 || days[i] > calendar_days_from_civil(9998, 12, 31)) {
            free(days);
            return ccm_error_set(error, "dates[%zu] is outside the years 1970 to 9998", i);
        }
    }
    qsort(days, json_array_size(dates), sizeof *days, enquiry_compare_days);
    for (size_t i = 0; i < json_array_size(dates); i++)
        if (count == 0 || days[count - 1] != days[i])
            days[count++] = days[i];
    *days_out = days;
    *count_out = count;
    return 0;
}

int enquiry_scope_parse(const char *text, char unit[ENQUIRY_UNIT_BYTES], struct ccm_error *error)
{
    const char *problem;

    unit[0] = '\0';
    if (!text || !*text)
        return ccm_error_set(error, "scope is missing: use tenant or unit:NAME");
    if (strcmp(text, "tenant") == 0)
        return 0;
    if (strncmp(text, "unit:", 5) != 0)
        return ccm_error_set(error, "scope must be tenant or unit:NAME");
    problem = strlen(text + 5) >= ENQUIRY_UNIT_BYTES
                  ? "is too long"
                  : enquiry_text_problem(text + 5, ENQUIRY_UNIT_MAX_CHARS);
    if (problem)
        return ccm_error_set(error, "the unit name %s (1 to %d characters)", problem,
                             ENQUIRY_UNIT_MAX_CHARS);
    memcpy(unit, text + 5, strlen(text + 5) + 1);
    return 0;
}

/* ---- due dates and classification ---- */

void enquiry_judge(const struct enquiry *enquiry, const struct tz_rule *tz,
                   const struct workday_calendar *calendar, int due_working_days,
                   struct enquiry_judgement *out)
{
    out->opened_day = tz_local_day(tz, enquiry->opened_us);
    out->due_day = workday_add(calendar, out->opened_day, due_working_days);
    if (enquiry->has_closed && tz_local_day(tz, enquiry->closed_us) <= out->due_day)
        out->result = ENQUIRY_CLOSED_IN_TIME;
    else if (enquiry->has_delay && tz_local_day(tz, enquiry->delay_us) <= out->due_day)
        out->result = ENQUIRY_DELAY_ADVISED;
    else
        out->result = ENQUIRY_NOT_IN_TIME;
}

void enquiry_opened_range(const struct workday_calendar *calendar, int due_working_days,
                          int32_t due_from, int32_t due_to, int32_t *opened_from,
                          int32_t *opened_to)
{
    *opened_from = workday_sub(calendar, due_from, due_working_days);
    *opened_to = due_to > due_from ? workday_sub(calendar, due_to, due_working_days) : *opened_from;
}

void enquiry_counts_add_result(struct enquiry_counts *counts, enum enquiry_result result)
{
    counts->items_due++;
    if (result == ENQUIRY_CLOSED_IN_TIME)
        counts->closed_in_time++;
    else if (result == ENQUIRY_DELAY_ADVISED)
        counts->delay_advised++;
}

void enquiry_counts_add(struct enquiry_counts *sum, const struct enquiry_counts *add)
{
    sum->items_due += add->items_due;
    sum->closed_in_time += add->closed_in_time;
    sum->delay_advised += add->delay_advised;
}

/* ---- figures ---- */

static const char *const enquiry_kpi_names[ENQUIRY_KPI_COUNT] = {
    "items_due",          "closed_in_time",    "delay_advised",         "responded_in_time",
    "closed_in_time_pct", "delay_advised_pct", "responded_in_time_pct",
};

static void enquiry_count_value(struct kpi_value *value, int64_t count)
{
    *value = (struct kpi_value){.is_count = true, .count = count, .value = (double)count};
}

static void enquiry_pct_value(struct kpi_value *value, int64_t part, int64_t whole)
{
    *value = whole > 0 ? (struct kpi_value){.value = 100.0 * (double)part / (double)whole}
                       : (struct kpi_value){.is_null = true};
}

void enquiry_compute(const struct enquiry_counts *counts,
                     struct kpi_value values[ENQUIRY_KPI_COUNT])
{
    int64_t responded = counts->closed_in_time + counts->delay_advised;

    enquiry_count_value(&values[ENQUIRY_KPI_ITEMS_DUE], counts->items_due);
    enquiry_count_value(&values[ENQUIRY_KPI_CLOSED_IN_TIME], counts->closed_in_time);
    enquiry_count_value(&values[ENQUIRY_KPI_DELAY_ADVISED], counts->delay_advised);
    enquiry_count_value(&values[ENQUIRY_KPI_RESPONDED_IN_TIME], responded);
    enquiry_pct_value(&values[ENQUIRY_KPI_CLOSED_IN_TIME_PCT], counts->closed_in_time,
                      counts->items_due);
    enquiry_pct_value(&values[ENQUIRY_KPI_DELAY_ADVISED_PCT], counts->delay_advised,
                      counts->items_due);
    enquiry_pct_value(&values[ENQUIRY_KPI_RESPONDED_IN_TIME_PCT], responded, counts->items_due);
}

const char *enquiry_kpi_name(enum enquiry_kpi key)
{
    return key >= 0 && key < ENQUIRY_KPI_COUNT ? enquiry_kpi_names[key] : "unknown";
}

int enquiry_kpi_from_name(const char *name)
{
    for (int i = 0; name && i < ENQUIRY_KPI_COUNT; i++)
        if (strcmp(name, enquiry_kpi_names[i]) == 0)
            return i;
    return -1;
}

bool enquiry_kpi_has_target(enum enquiry_kpi key)
{
    return key == ENQUIRY_KPI_CLOSED_IN_TIME_PCT || key == ENQUIRY_KPI_RESPONDED_IN_TIME_PCT;
}

const struct kpi_target *enquiry_target_in_force(const struct kpi_target *targets, size_t count,
                                                 enum enquiry_kpi key, int32_t first_day)
{
    return kpi_target_in_force(targets, count, (enum kpi_key)key, first_day);
}

enum kpi_status enquiry_status_of(enum enquiry_kpi key, const struct kpi_value *value,
                                  const struct kpi_target *target)
{
    if (!enquiry_kpi_has_target(key))
        return KPI_STATUS_NONE;
    return kpi_status_for(KPI_HIGHER_IS_BETTER, value, target);
}

json_t *enquiry_figures_json(const struct enquiry_counts *counts, const struct kpi_target *targets,
                             size_t target_count, int32_t first_day)
{
    struct kpi_value values[ENQUIRY_KPI_COUNT];
    json_t *kpis = json_object();

    enquiry_compute(counts, values);
    for (int key = 0; key < ENQUIRY_KPI_COUNT; key++) {
        const struct kpi_value *value = &values[key];
        json_t *figure = json_object();
        json_object_set_new(figure, "value",
                            value->is_null    ? json_null()
                            : value->is_count ? json_integer(value->count)
                                              : json_real(value->value));
        if (enquiry_kpi_has_target(key)) {
            const struct kpi_target *target =
                enquiry_target_in_force(targets, target_count, key, first_day);
            json_object_set_new(figure, "target", target ? json_real(target->value) : json_null());
            if (target && target->has_amber)
                json_object_set_new(figure, "amber", json_real(target->amber));
            json_object_set_new(
                figure, "status",
                json_string(kpi_status_name(enquiry_status_of(key, value, target))));
        }
        json_object_set_new(kpis, enquiry_kpi_names[key], figure);
    }
    return kpis;
}

/* ---- ageing ---- */

bool enquiry_open_at(const struct enquiry *enquiry, int64_t at_us)
{
    return enquiry->opened_us <= at_us && (!enquiry->has_closed || enquiry->closed_us > at_us);
}

int32_t enquiry_age_days(int64_t opened_us, int64_t at_us, const struct tz_rule *tz)
{
    return tz_local_day(tz, at_us) - tz_local_day(tz, opened_us);
}

enum enquiry_age_bucket enquiry_age_bucket_of(int32_t days)
{
    return days < 10   ? ENQUIRY_AGE_LT10
           : days < 20 ? ENQUIRY_AGE_D10_19
           : days < 30 ? ENQUIRY_AGE_D20_29
           : days < 40 ? ENQUIRY_AGE_D30_39
                       : ENQUIRY_AGE_D40_PLUS;
}

const char *enquiry_age_bucket_name(enum enquiry_age_bucket bucket)
{
    static const char *const names[ENQUIRY_AGE_COUNT] = {"lt10", "d10_19", "d20_29", "d30_39",
                                                         "d40_plus"};
    return bucket >= 0 && bucket < ENQUIRY_AGE_COUNT ? names[bucket] : "unknown";
}

json_t *enquiry_ageing_json(const struct enquiry_ageing *ageing)
{
    json_t *out = json_object();
    int64_t total = 0;

    for (int b = 0; b < ENQUIRY_AGE_COUNT; b++) {
        json_object_set_new(out, enquiry_age_bucket_name(b), json_integer(ageing->buckets[b]));
        total += ageing->buckets[b];
    }
    json_object_set_new(out, "over_10", json_integer(total - ageing->buckets[ENQUIRY_AGE_LT10]));
    json_object_set_new(out, "total", json_integer(total));
    return out;
}
