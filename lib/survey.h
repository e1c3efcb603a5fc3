/*
 * survey: customer satisfaction survey responses (issue 8; KPI definitions, "Customer
 * satisfaction"), parsed and checked from a POST /v1/surveys body: one JSON object, an
 * array of them, or NDJSON. Owns struct survey_batch: the valid responses (strings in
 * the batch's arena) or, when any item is bad, the errors, one per bad item, so the
 * daemon stores all of a request or none of it. Pure: no I/O.
 */
#ifndef CCM_SURVEY_H
#define CCM_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "scope.h"

#define SURVEY_MAX_ITEMS 10000

enum survey_rating {
    SURVEY_POOR = 1,
    SURVEY_AVERAGE = 2,
    SURVEY_GOOD = 3,
};

struct survey_response {
    const char *id;
    int64_t at_us;
    enum event_channel channel;
    enum scope_kind scope_kind; /* tenant, queue:NAME or service:NAME */
    const char *scope_name;     /* the NAME (in the batch's arena); NULL for the tenant */
    enum survey_rating rating;
    int score; /* the 1-5 value when the rating was given as one, else 0 */
};

struct survey_batch {
    struct survey_response *responses;
    size_t count;
    struct event_item_error *errors; /* at most EVENT_MAX_ERRORS listed */
    size_t error_count;              /* every bad item, listed or not */
    void *arena_internal;
};

void survey_batch_init(struct survey_batch *batch);
void survey_batch_free(struct survey_batch *batch);

/*
 * 0: every item valid; 1: one or more bad (errors listed, store nothing); -1: the body
 * itself is bad (not JSON, empty, too many items; one error listed). An item is
 * {"id": 1-128 characters, "at": RFC 3339 with offset, "rating": "good"|"average"|
 * "poor" or 1-5, "channel"?: as contacts (default phone), "scope"?: tenant (default),
 * queue:NAME or service:NAME}. A UTF-8 byte order mark is skipped; an NDJSON line that is
 * not JSON makes the body bad (-1), as for events. Never crashes or leaks on any input.
 */
int survey_parse_body(struct survey_batch *batch, const char *body, size_t length,
                      enum event_body_format format);

/* 1-2 poor, 3 average, 4-5 good (KPI definitions). */
enum survey_rating survey_rating_from_score(int score);

#endif
