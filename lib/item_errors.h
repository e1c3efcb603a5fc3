/*
 * item_errors: what every ingest-style endpoint shares about request bodies:
 * the body format a Content-Type names, and the `details` array of a 4xx answer
 * ({"index" | "line", "field", "message"} per bad item, API contract "Ingest").
 * POST /v1/enquiries uses both; POST /v1/events and /v1/surveys can too.
 */
#ifndef CCM_ITEM_ERRORS_H
#define CCM_ITEM_ERRORS_H

#include <stddef.h>

#include <jansson.h>

#include "event.h"

/* NDJSON for application/x-ndjson, application/ndjson and application/jsonl (any
 * case, parameters allowed); JSON (an object or an array) for anything else. */
enum event_body_format item_errors_body_format(const char *content_type);

/* The details of at most `listed` errors (index only for JSON bodies, line only for
 * NDJSON). */
json_t *item_errors_json(const struct event_item_error *errors, size_t count, size_t listed);

#endif
