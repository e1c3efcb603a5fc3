/*
 * test_queue_log: what the data-driven cases (tests/queue_log/) cannot say in a file of lines:
 * a '\n' inside a line, the scratch-size contract (exact-size buffers, so AddressSanitizer sees
 * any overrun), a NULL error, exact microseconds, and that a failure zeroes a used record.
 */
#include <stdlib.h>

#include "queue_log.h"
#include "unit.h"

/* Parses `text` from an exact-size copy with a scratch of `scratch_size` bytes. */
static int parse(const char *text, size_t scratch_size, struct queue_log_record *record,
                 struct ccm_error *error)
{
    size_t length = strlen(text);
    char *copy = malloc(length + 1), *scratch = malloc(scratch_size ? scratch_size : 1);
    int result;

    memcpy(copy, text, length);
    result = queue_log_parse_line(copy, length, scratch, scratch_size, record, error);
    /* The record points into the scratch: keep what the checks read before freeing it. */
    if (result == 0 && record->id)
        CHECK_INT(record->id[strlen(record->id)], 0);
    free(copy);
    free(scratch);
    return result;
}

static void test_line_feed_inside(void)
{
    const char *line = "1791273600|c1|council-tax|NONE|ENTERQUEUE||0770\n0900123";
    struct queue_log_record record;
    struct ccm_error error;

    CHECK_INT(parse(line, QUEUE_LOG_SCRATCH_SIZE(strlen(line)), &record, &error), -1);
    CHECK_STR(error.message, "the line contains a line feed ('\\n') byte at column 48");
}

static void test_scratch_size(void)
{
    char line[1024];
    struct queue_log_record record;
    struct ccm_error error;
    size_t length;

    /* Every string at its limit: the most a line can put in the scratch. */
    snprintf(line, sizeof line, "1791273600|%.*s|%.*s|%.*s|ENTERQUEUE||%.*s\r", 64,
             "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", 63,
             "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", 8, "PJSIP/99",
             256,
             "77777777777777777777777777777777777777777777777777777777777777777777777777777777"
             "77777777777777777777777777777777777777777777777777777777777777777777777777777777"
             "77777777777777777777777777777777777777777777777777777777777777777777777777777777"
             "7777777777777777");
    length = strlen(line);
    CHECK_INT(parse(line, QUEUE_LOG_SCRATCH_SIZE(length), &record, &error), 0);
    CHECK_INT(record.kind, QUEUE_LOG_LIFECYCLE);
    CHECK_INT(parse(line, QUEUE_LOG_SCRATCH_SIZE(length) - 1, &record, &error), -1);
    CHECK(strstr(error.message, "scratch buffer") != NULL);
    CHECK_INT(queue_log_parse_line(NULL, 0, line, sizeof line, &record, &error), -1);
    CHECK_INT(queue_log_parse_line(line, length, NULL, 0, &record, &error), -1);
    CHECK_INT(queue_log_parse_line(line, (size_t)-1, line, sizeof line, &record, &error), -1);
}

static void test_null_error_and_reuse(void)
{
    const char *good = "1700000000.123456|1700000000.7|bins|Agent 7|COMPLETEAGENT|3|95|1";
    struct queue_log_record record;
    char scratch[256];

    CHECK_INT(queue_log_parse_line(good, strlen(good), scratch, sizeof scratch, &record, NULL), 0);
    CHECK_INT(record.at_us, INT64_C(1700000000123456));
    CHECK_STR(record.id, "1700000000.7@bins");
    CHECK_STR(record.queue, "bins");
    CHECK_STR(record.agent, "Agent 7");
    CHECK_INT(record.event.type, EVENT_TYPE_CALL_ENDED);
    CHECK_INT(record.event.outcome, EVENT_OUTCOME_ANSWERED);
    CHECK(record.event.has_handle);
    CHECK_NEAR(record.event.handle_s, 95);
    CHECK_INT(queue_log_parse_line("x|y", 3, scratch, sizeof scratch, &record, NULL), -1);
    CHECK(record.id == NULL && record.event_name == NULL && record.event.id == NULL);
    CHECK_INT(queue_log_parse_line("\r", 1, scratch, sizeof scratch, &record, NULL), -1);
}

static void test_kind_names(void)
{
    CHECK_STR(queue_log_kind_name(QUEUE_LOG_LIFECYCLE), "lifecycle");
    CHECK_STR(queue_log_kind_name(QUEUE_LOG_RING_NO_ANSWER), "ring_no_answer");
    CHECK_STR(queue_log_kind_name(QUEUE_LOG_OTHER), "other");
    CHECK(queue_log_kind_name((enum queue_log_kind)7) == NULL);
}

void unit_main(void)
{
    test_line_feed_inside();
    test_scratch_size();
    test_null_error_and_reuse();
    test_kind_names();
}
