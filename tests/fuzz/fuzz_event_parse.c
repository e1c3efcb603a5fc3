/*
 * fuzz_event_parse: libFuzzer target for the ingest body parser (lib/event.c), which reads
 * untrusted request bodies. Each input is parsed as a JSON body and as NDJSON; the batch's
 * promises are checked (a valid batch has complete contacts, a failed one has errors and no
 * contacts, every listed message is UTF-8 a JSON answer can carry), then the batch is freed
 * (leaks show up under AddressSanitizer).
 *
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Ilib lib/ccm_error.c \
 *       lib/calendar.c lib/utf8.c lib/arena.c lib/event.c tests/fuzz/fuzz_event_parse.c -ljansson
 * -o /tmp/fuzz_ev /tmp/fuzz_ev -max_total_time=60 CORPUS_COPY   (a copy of
 * tests/fuzz/corpus/event_parse)
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_contact(const struct event_contact *contact)
{
    check_text(contact->id, EVENT_ID_MAX_CHARS, "id is set, UTF-8, within its limit");
    check(contact->id[0] != '\0', "id is not empty");
    check_text(contact->queue, EVENT_QUEUE_MAX_CHARS, "queue is set, UTF-8, within its limit");
    check(contact->queue[0] != '\0', "queue is not empty");
    if (contact->caller)
        check_text(contact->caller, EVENT_CALLER_MAX_CHARS, "caller within its limit");
    if (contact->reason)
        check_text(contact->reason, EVENT_REASON_MAX_CHARS, "reason within its limit");
    if (contact->agent)
        check_text(contact->agent, EVENT_AGENT_MAX_CHARS, "agent within its limit");
    check(event_channel_name(contact->channel) != NULL, "channel is a known one");
    check(event_outcome_name(contact->outcome) != NULL, "outcome is a known one");
    check(contact->has_answered == (contact->outcome == EVENT_OUTCOME_ANSWERED),
          "answered_at exactly when answered");
    if (contact->has_answered)
        check(contact->answered_us >= contact->offered_us, "answered_at >= offered_at");
    if (contact->has_ended) {
        check(contact->ended_us >= contact->offered_us, "ended_at >= offered_at");
        if (contact->has_answered)
            check(contact->ended_us >= contact->answered_us, "ended_at >= answered_at");
    } else {
        check(contact->outcome != EVENT_OUTCOME_ABANDONED &&
                  contact->outcome != EVENT_OUTCOME_TIMEOUT,
              "abandoned and timeout have ended_at");
    }
    if (contact->has_handle)
        check(contact->handle_s >= 0 && contact->handle_s <= (EVENT_HANDLE_MAX_S),
              "handle_s within 0..7 days");
    check(contact->first_contact_resolved >= EVENT_RESOLUTION_UNKNOWN &&
              contact->first_contact_resolved <= EVENT_RESOLUTION_YES,
          "first_contact_resolved is tri-state");
}

static void check_lifecycle(const struct event_lifecycle *event)
{
    check(event->type == EVENT_TYPE_CALL_OFFERED || event->type == EVENT_TYPE_CALL_ANSWERED ||
              event->type == EVENT_TYPE_CALL_ENDED,
          "a lifecycle event has a lifecycle type");
    check_text(event->id, EVENT_ID_MAX_CHARS, "lifecycle id is set, UTF-8, within its limit");
    check(event->id[0] != '\0', "lifecycle id is not empty");
    check(event->at_us >= EVENT_INSTANT_MIN_US && event->at_us <= EVENT_INSTANT_MAX_US,
          "lifecycle at within the accepted years");
    check((event->queue != NULL) == (event->type == EVENT_TYPE_CALL_OFFERED),
          "a queue exactly on call.offered");
    if (event->queue)
        check_text(event->queue, EVENT_QUEUE_MAX_CHARS, "lifecycle queue within its limit");
    if (event->caller)
        check_text(event->caller, EVENT_CALLER_MAX_CHARS, "lifecycle caller within its limit");
    if (event->agent)
        check_text(event->agent, EVENT_AGENT_MAX_CHARS, "lifecycle agent within its limit");
    check(event->outcome == 0 || event_outcome_name((enum event_outcome)event->outcome) != NULL,
          "lifecycle outcome is none or a known one");
    if (event->has_handle)
        check(event->handle_s >= 0 && event->handle_s <= (EVENT_HANDLE_MAX_S),
              "lifecycle handle_s within 0..7 days");
}

static void parse_and_check(const uint8_t *data, size_t size, enum event_body_format format)
{
    struct event_batch batch;
    int result;

    event_batch_init(&batch);
    result = event_parse_body(&batch, (const char *)data, size, format);
    check(result == 0 || result == 1 || result == -1, "returns 0, 1 or -1");
    if (result == 0) {
        check(batch.error_count == 0, "success has no errors");
        check(batch.contact_count <= EVENT_MAX_ITEMS, "at most EVENT_MAX_ITEMS contacts");
        for (size_t i = 0; i < batch.contact_count; i++)
            check_contact(&batch.contacts[i]);
        for (size_t i = 0; i < batch.lifecycle_count; i++)
            check_lifecycle(&batch.lifecycle[i]);
        check(batch.contact_count + batch.lifecycle_count <= EVENT_MAX_ITEMS,
              "at most EVENT_MAX_ITEMS items");
    } else {
        size_t listed = batch.error_count < EVENT_MAX_ERRORS ? batch.error_count : EVENT_MAX_ERRORS;
        check(batch.error_count > 0 && batch.errors != NULL, "failure lists errors");
        check(batch.contact_count == 0 && batch.lifecycle_count == 0,
              "no contacts or lifecycle events when there are errors");
        if (result == -1 || batch.too_many_items)
            check(batch.error_count == 1, "a body-level failure is one error");
        if (batch.too_many_items)
            check(result == -1, "too many items is a body-level failure");
        for (size_t i = 0; i < listed; i++) {
            const struct event_item_error *error = &batch.errors[i];
            check(memchr(error->field, '\0', sizeof error->field) != NULL, "field terminated");
            check(memchr(error->message, '\0', sizeof error->message) != NULL,
                  "message terminated");
            check(error->message[0] != '\0', "message is not empty");
            check_text(error->message, sizeof error->message, "message is UTF-8");
            if (format == EVENT_BODY_NDJSON)
                check(error->index == -1 && (error->line >= 1 || error->line == -1),
                      "NDJSON errors carry a line");
            else
                check(error->line == -1 && error->index >= -1, "JSON errors carry an index");
        }
    }
    event_batch_free(&batch);
    check(batch.contacts == NULL && batch.errors == NULL && batch.arena_internal == NULL,
          "free leaves an empty batch");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_and_check(data, size, EVENT_BODY_JSON);
    parse_and_check(data, size, EVENT_BODY_NDJSON);
    return 0;
}
