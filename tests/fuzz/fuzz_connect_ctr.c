/*
 * fuzz_connect_ctr: libFuzzer target for the Amazon Connect contact record parser
 * (lib/connect_ctr.c), which reads untrusted request bodies. Each input is parsed as a body;
 * the batch's promises are checked (every record is a complete, valid call record; errors
 * are listed exactly when the result is not 0; a body-level failure is one error and
 * nothing else; every listed message is UTF-8 a JSON answer can carry; records, skipped
 * CTRs and bad records add up to the records in the body), the body is parsed again into
 * the same batch and must give the same counts, then the batch is freed (leaks show up
 * under AddressSanitizer).
 *
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Ilib lib/ccm_error.c \
 *       lib/calendar.c lib/utf8.c lib/arena.c lib/event.c lib/connect_ctr.c
 * tests/fuzz/fuzz_connect_ctr.c -ljansson \ -o /tmp/fuzz_ctr /tmp/fuzz_ctr -max_total_time=60
 * CORPUS_COPY   (a copy of tests/fuzz/corpus/connect_ctr)
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect_ctr.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(const struct connect_ctr_record *record, bool array_body)
{
    const struct event_contact *contact = &record->contact;

    check_text(contact->id, EVENT_ID_MAX_CHARS, "id is set, UTF-8, within its limit");
    check(contact->id[0] != '\0', "id is not empty");
    check_text(contact->queue, EVENT_QUEUE_MAX_CHARS, "queue is set, UTF-8, within its limit");
    check(contact->queue[0] != '\0', "queue is not empty");
    if (contact->caller) {
        check_text(contact->caller, EVENT_CALLER_MAX_CHARS, "caller within its limit");
        check(contact->caller[0] != '\0', "caller is absent or not empty");
    }
    if (contact->agent) {
        check_text(contact->agent, EVENT_AGENT_MAX_CHARS, "agent within its limit");
        check(contact->agent[0] != '\0', "agent is absent or not empty");
    }
    check(contact->reason == NULL, "CTRs carry no reason");
    check(event_channel_name(contact->channel) != NULL, "channel is a known one");
    check(contact->outcome == EVENT_OUTCOME_ANSWERED || contact->outcome == EVENT_OUTCOME_ABANDONED,
          "outcome is answered or abandoned");
    check(contact->has_answered == (contact->outcome == EVENT_OUTCOME_ANSWERED),
          "answered_at exactly when answered");
    check(contact->offered_us >= EVENT_INSTANT_MIN_US &&
              contact->offered_us <= EVENT_INSTANT_MAX_US,
          "offered_at in range");
    if (contact->has_answered)
        check(contact->answered_us >= contact->offered_us, "answered_at >= offered_at");
    if (contact->has_ended) {
        check(contact->ended_us >= contact->offered_us, "ended_at >= offered_at");
        if (contact->has_answered)
            check(contact->ended_us >= contact->answered_us, "ended_at >= answered_at");
    }
    if (contact->outcome == EVENT_OUTCOME_ABANDONED)
        check(contact->has_ended && !contact->has_handle && !contact->agent,
              "abandoned contacts have ended_at, no handle and no agent");
    if (contact->has_handle)
        check(contact->handle_s >= 0 && contact->handle_s <= (EVENT_HANDLE_MAX_S),
              "handle_s within 0..7 days");
    check(contact->first_contact_resolved == EVENT_RESOLUTION_UNKNOWN,
          "first_contact_resolved is unknown");
    check(record->version_us >= 0 && record->version_us <= EVENT_INSTANT_MAX_US,
          "version in range");
    check(record->index >= 0, "record index");
    check(array_body ? record->line == -1 : record->line >= 1, "record line");
}

/* True when the body's first byte that is not white space (after a BOM) is '['. */
static bool is_array_body(const uint8_t *data, size_t size)
{
    size_t i = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
        i++;
    return i < size && data[i] == '[';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct connect_ctr_batch batch;
    bool array_body = is_array_body(data, size);
    size_t listed, records, skipped, errors;
    int result, again;

    connect_ctr_batch_init(&batch);
    result = connect_ctr_parse_body(&batch, (const char *)data, size);
    check(result == 0 || result == 1 || result == -1, "returns 0, 1 or -1");
    check((result == 0) == (batch.error_count == 0), "errors exactly when the result is not 0");
    check(batch.error_count == 0 || batch.errors != NULL, "counted errors are listed");
    if (result == -1)
        check(batch.error_count == 1 && batch.record_count == 0 && batch.skipped_count == 0,
              "a body-level failure is one error and nothing else");
    if (batch.too_many_items)
        check(result == -1, "too many records is a body-level failure");
    check(batch.record_count + batch.skipped_count + batch.error_count <= EVENT_MAX_ITEMS,
          "at most EVENT_MAX_ITEMS records");
    for (size_t i = 0; i < batch.record_count; i++) {
        check_record(&batch.records[i], array_body);
        if (i > 0)
            check(batch.records[i].index > batch.records[i - 1].index, "records in body order");
    }
    listed = batch.error_count < EVENT_MAX_ERRORS ? batch.error_count : EVENT_MAX_ERRORS;
    for (size_t i = 0; i < listed; i++) {
        const struct event_item_error *error = &batch.errors[i];
        check(memchr(error->field, '\0', sizeof error->field) != NULL, "field terminated");
        check(memchr(error->message, '\0', sizeof error->message) != NULL, "message terminated");
        check(error->message[0] != '\0', "message is not empty");
        check_text(error->message, sizeof error->message, "message is UTF-8");
        if (result == 1) {
            check(error->index >= 0, "a record's error names its index");
            check(array_body ? error->line == -1 : error->line >= 1, "a record's error line");
            if (i > 0)
                check(error->index > batch.errors[i - 1].index, "errors in body order");
        }
    }

    /* The same body into the same (now used) batch: the same answer. */
    records = batch.record_count, skipped = batch.skipped_count, errors = batch.error_count;
    again = connect_ctr_parse_body(&batch, (const char *)data, size);
    check(again == result && batch.record_count == records && batch.skipped_count == skipped &&
              batch.error_count == errors,
          "a reused batch gives the same answer");

    connect_ctr_batch_free(&batch);
    check(batch.records == NULL && batch.errors == NULL && batch.arena_internal == NULL &&
              batch.record_count == 0 && batch.skipped_count == 0 && batch.error_count == 0,
          "free leaves an empty batch");
    return 0;
}
