/* item_errors: body formats and error details of ingest-style endpoints (see item_errors.h). */
#include "item_errors.h"

#include <strings.h>

enum event_body_format item_errors_body_format(const char *content_type)
{
    if (content_type && (strncasecmp(content_type, "application/x-ndjson", 20) == 0 ||
                         strncasecmp(content_type, "application/jsonl", 17) == 0 ||
                         strncasecmp(content_type, "application/ndjson", 18) == 0))
        return EVENT_BODY_NDJSON;
    return EVENT_BODY_JSON;
}

json_t *item_errors_json(const struct event_item_error *errors, size_t count, size_t listed)
{
    json_t *details = json_array();
    for (size_t i = 0; i < count && i < listed; i++) {
        const struct event_item_error *e = &errors[i];
        json_t *item = json_object();
        if (e->index >= 0)
            json_object_set_new(item, "index", json_integer(e->index));
        if (e->line >= 0)
            json_object_set_new(item, "line", json_integer(e->line));
        json_object_set_new(item, "field", json_string(e->field));
        json_object_set_new(item, "message", json_string(e->message));
        json_array_append_new(details, item);
    }
    return details;
}
