/*
 * fuzz_event_fast_path: differential libFuzzer target for the ingest parser's flat-record
 * fast path (lib/event.c). Each input is parsed as a JSON body and as NDJSON twice, by
 * event_parse_body (fast path for flat records) and by event_parse_body_reference (jansson
 * for every item); the two batches must be equal in every contact field and every error,
 * so no answer of POST /v1/events depends on which path read an item.
 *
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Ilib lib/ccm_error.c \
 *       lib/calendar.c lib/utf8.c lib/arena.c lib/event.c tests/fuzz/fuzz_event_fast_path.c
 * -ljansson -o /tmp/fuzz_fp /tmp/fuzz_fp -max_total_time=60 CORPUS_COPY   (a copy of
 * tests/fuzz/corpus/event_fast_path)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int condition, const char *what)
{
    if (!condition) {
        fprintf(stderr, "fast path and reference differ: %s\n", what);
        abort();
    }
}

static void check_same_text(const char *fast, const char *reference, const char *what)
{
    check((fast == NULL) == (reference == NULL), what);
    if (fast)
        check(strcmp(fast, reference) == 0, what);
}

static void check_same_contact(const struct event_contact *fast,
                               const struct event_contact *reference)
{
    check_same_text(fast->id, reference->id, "id");
    check_same_text(fast->queue, reference->queue, "queue");
    check_same_text(fast->caller, reference->caller, "caller");
    check_same_text(fast->reason, reference->reason, "reason");
    check_same_text(fast->agent, reference->agent, "agent");
    check(fast->channel == reference->channel, "channel");
    check(fast->outcome == reference->outcome, "outcome");
    check(fast->offered_us == reference->offered_us, "offered_at");
    check(fast->has_answered == reference->has_answered, "has answered_at");
    check(!fast->has_answered || fast->answered_us == reference->answered_us, "answered_at");
    check(fast->has_ended == reference->has_ended, "has ended_at");
    check(!fast->has_ended || fast->ended_us == reference->ended_us, "ended_at");
    check(fast->has_handle == reference->has_handle, "has handle_s");
    /* Bit for bit: the same double, -0 and all. */
    check(!fast->has_handle || memcmp(&fast->handle_s, &reference->handle_s, sizeof(double)) == 0,
          "handle_s");
    check(fast->first_contact_resolved == reference->first_contact_resolved,
          "first_contact_resolved");
}

static void check_same_lifecycle(const struct event_lifecycle *fast,
                                 const struct event_lifecycle *reference)
{
    check(fast->type == reference->type, "lifecycle type");
    check_same_text(fast->id, reference->id, "lifecycle id");
    check(fast->at_us == reference->at_us, "lifecycle at");
    check_same_text(fast->queue, reference->queue, "lifecycle queue");
    check(fast->channel == reference->channel, "lifecycle channel");
    check_same_text(fast->caller, reference->caller, "lifecycle caller");
    check_same_text(fast->agent, reference->agent, "lifecycle agent");
    check(fast->outcome == reference->outcome, "lifecycle outcome");
    check(fast->has_handle == reference->has_handle, "lifecycle has handle_s");
    check(!fast->has_handle || memcmp(&fast->handle_s, &reference->handle_s, sizeof(double)) == 0,
          "lifecycle handle_s");
    check(fast->first_contact_resolved == reference->first_contact_resolved,
          "lifecycle first_contact_resolved");
}

static void compare(const uint8_t *data, size_t size, enum event_body_format format)
{
    struct event_batch fast, reference;
    int fast_result, reference_result;

    event_batch_init(&fast);
    event_batch_init(&reference);
    fast_result = event_parse_body(&fast, (const char *)data, size, format);
    reference_result = event_parse_body_reference(&reference, (const char *)data, size, format);
    check(fast_result == reference_result, "result");
    check(fast.contact_count == reference.contact_count, "contact count");
    for (size_t i = 0; i < fast.contact_count; i++)
        check_same_contact(&fast.contacts[i], &reference.contacts[i]);
    check(fast.lifecycle_count == reference.lifecycle_count, "lifecycle count");
    for (size_t i = 0; i < fast.lifecycle_count; i++)
        check_same_lifecycle(&fast.lifecycle[i], &reference.lifecycle[i]);
    check(fast.error_count == reference.error_count, "error count");
    check(fast.too_many_items == reference.too_many_items, "too_many_items");
    for (size_t i = 0; i < fast.error_count && i < EVENT_MAX_ERRORS; i++) {
        const struct event_item_error *a = &fast.errors[i], *b = &reference.errors[i];
        check(a->index == b->index, "error index");
        check(a->line == b->line, "error line");
        check(strcmp(a->field, b->field) == 0, "error field");
        check(strcmp(a->message, b->message) == 0, "error message");
    }
    event_batch_free(&fast);
    event_batch_free(&reference);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    compare(data, size, EVENT_BODY_JSON);
    compare(data, size, EVENT_BODY_NDJSON);
    return 0;
}
